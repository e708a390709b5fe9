#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int current_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

bool log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

void log_set_level(enum log_level level) { atomic_store(&current_level, (int)level); }

enum log_level log_get_level(void) { return (enum log_level)atomic_load(&current_level); }

static void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	char thread_name[16] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pthread_getname_np(pthread_self(), thread_name, sizeof(thread_name));
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s [%s] ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level), thread_name);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write per line keeps lines from different threads whole. */
	fwrite(line, 1, len, stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if ((int)level > atomic_load(&current_level))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

enum { RATELIMIT_BURST = 5 };

void log_ratelimited(const char *fmt, ...)
{
	/* lock order: see core/lock_order.h, level 12 */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t window;
	static unsigned in_window, suppressed;

	if (atomic_load(&current_level) < LOG_LEVEL_WARN)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	unsigned dropped = 0;
	pthread_mutex_lock(&lock);
	if (now.tv_sec != window) {
		window = now.tv_sec;
		in_window = 0;
	}
	bool pass = in_window < RATELIMIT_BURST;
	if (pass) {
		in_window++;
		dropped = suppressed;
		suppressed = 0;
	} else {
		suppressed++;
	}
	pthread_mutex_unlock(&lock);
	if (!pass)
		return;
	if (dropped)
		log_msg(LOG_LEVEL_WARN, "(%u similar messages suppressed)", dropped);
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

const char *log_printable(char *out, size_t cap, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t n = 0;
	for (; n < len && n + 1 < cap; n++)
		out[n] = b[n] >= 0x20 && b[n] < 0x7f ? (char)b[n] : '?';
	if (cap)
		out[n] = '\0';
	return out;
}
