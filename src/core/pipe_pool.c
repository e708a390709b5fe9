#include "core/pipe_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

struct pipe_pool {
	/* lock order: see core/lock_order.h, level 9f. */
	pthread_mutex_t lock;
	struct pooled_pipe *idle;
	unsigned nidle, nopen;
	unsigned max_pipes, max_idle;
	size_t bytes;
	atomic_ulong refused;
	atomic_bool resize_warned;
};

/* The largest pipe an unprivileged process may ask for: threads that act
 * for a client run without CAP_SYS_RESOURCE, so no larger one is tried. */
static size_t pipe_max_size(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
	unsigned long v = 0;
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? (size_t)v : 1024 * 1024; /* the kernel's default */
}

struct pipe_pool *pipe_pool_create(size_t bytes, unsigned max_pipes, unsigned max_idle)
{
	struct pipe_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	size_t most = pipe_max_size();
	if (bytes > most) {
		/* Not a warning: at the default pipe-max-size (1 MiB) only the
		 * page an unaligned 1 MiB I/O spills over is copied. */
		log_debug("pipes for spliced I/O hold %zu bytes (fs.pipe-max-size), not %zu: "
			  "the rest of a larger READ or WRITE is copied",
			  most, bytes);
		bytes = most;
	}
	pool->bytes = bytes;
	pool->max_pipes = max_pipes;
	pool->max_idle = max_idle < max_pipes ? max_idle : max_pipes;
	return pool;
}

static void pipe_close(struct pooled_pipe *p)
{
	close(p->rd);
	close(p->wr);
	free(p);
}

void pipe_pool_destroy(struct pipe_pool *pool)
{
	if (!pool)
		return;
	while (pool->idle) {
		struct pooled_pipe *p = pool->idle;
		pool->idle = p->next_idle;
		pipe_close(p);
	}
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/* A new pipe as large as the pool asks, or as large as the kernel allows
 * (an unprivileged process may not pass /proc/sys/fs/pipe-max-size). */
static struct pooled_pipe *pipe_open(struct pipe_pool *pool)
{
	struct pooled_pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(p);
		return NULL;
	}
	p->rd = fds[0];
	p->wr = fds[1];
	int got = fcntl(p->wr, F_SETPIPE_SZ, (int)pool->bytes);
	if (got < 0) {
		/* Over the user's pipe-user-pages limits: a smaller pipe still
		 * saves copies. */
		if (!atomic_exchange(&pool->resize_warned, true))
			log_info("pipes of %zu bytes refused (%s): large I/O is spliced in "
				 "smaller pieces",
				 pool->bytes, strerror(errno));
		got = fcntl(p->wr, F_GETPIPE_SZ);
	}
	if (got <= 0) {
		pipe_close(p);
		return NULL;
	}
	p->capacity = (size_t)got;
	return p;
}

struct pooled_pipe *pipe_pool_get(struct pipe_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	struct pooled_pipe *p = pool->idle;
	if (p) {
		pool->idle = p->next_idle;
		pool->nidle--;
		pthread_mutex_unlock(&pool->lock);
		p->next_idle = NULL;
		return p;
	}
	if (pool->nopen >= pool->max_pipes) {
		pthread_mutex_unlock(&pool->lock);
		atomic_fetch_add_explicit(&pool->refused, 1, memory_order_relaxed);
		return NULL;
	}
	pool->nopen++; /* counted before it is made: the limit holds meanwhile */
	pthread_mutex_unlock(&pool->lock);
	p = pipe_open(pool);
	if (!p) {
		pthread_mutex_lock(&pool->lock);
		pool->nopen--;
		pthread_mutex_unlock(&pool->lock);
		atomic_fetch_add_explicit(&pool->refused, 1, memory_order_relaxed);
	}
	return p;
}

void pipe_pool_put(struct pipe_pool *pool, struct pooled_pipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&pool->lock);
	if (p->held == 0 && pool->nidle < pool->max_idle) {
		p->next_idle = pool->idle;
		pool->idle = p;
		pool->nidle++;
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->nopen--;
	pthread_mutex_unlock(&pool->lock);
	pipe_close(p);
}

unsigned pipe_pool_open(struct pipe_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	unsigned n = pool->nopen;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

unsigned long pipe_pool_refused(struct pipe_pool *pool)
{
	return atomic_load_explicit(&pool->refused, memory_order_relaxed);
}
