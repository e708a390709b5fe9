/* Leveled logging to stderr.
 *
 * Messages carry a level, a monotonic-free wall-clock timestamp and the
 * thread's short name.  Bad input from the wire is logged through
 * log_ratelimited() so a hostile peer cannot flood the log. */
#ifndef FERRY_CORE_LOG_H
#define FERRY_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE,
};

/* Parses "error", "warn", "info", "debug", "trace"; returns false if unknown. */
bool log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like log_msg at WARN, but at most a few lines per second process-wide;
 * suppressed lines are counted and reported with the next one that passes. */
void log_ratelimited(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bytes from the wire (a name, a path) as a log line may show them: those
 * that are not printable ASCII become '?', so that a peer cannot forge
 * lines; cut to fit out (cap bytes, NUL-terminated).  Returns out. */
const char *log_printable(char *out, size_t cap, const void *p, size_t len);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                  \
	do {                                                            \
		if (log_get_level() >= LOG_LEVEL_DEBUG)                 \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);          \
	} while (0)
#define log_trace(...)                                                  \
	do {                                                            \
		if (log_get_level() >= LOG_LEVEL_TRACE)                 \
			log_msg(LOG_LEVEL_TRACE, __VA_ARGS__);          \
	} while (0)

#endif
