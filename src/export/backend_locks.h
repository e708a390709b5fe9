/* The byte-range locks back ends hold for ferryd, handed from one process
 * to the next at an in-place upgrade (backend_locks.c). */
#ifndef FERRY_EXPORT_BACKEND_LOCKS_H
#define FERRY_EXPORT_BACKEND_LOCKS_H

#include <stdbool.h>
#include <stddef.h>

struct exports;
struct state_server;

/* Which lock owners' locks: NFSv4 clients', NLM hosts'. */
struct export_backend_locks_which {
	bool nfs4, nlm;
};

/* Lets go, in their back ends, of the locks the state lists
 * (state_backend_locks) for the owners which selects; the state keeps
 * them.  How many ranges there were (0 on a server with none). */
size_t export_backend_locks_release(struct exports *exps, struct state_server *st,
				    struct export_backend_locks_which which);

/* Takes them in the back ends.  all_or_none: the first that cannot be
 * taken stops it, those taken are let go again and -EAGAIN (another
 * holder) or the back end's error is returned, err saying which file and
 * range; else every one is tried, *failed counts those that could not be
 * taken (each logged) and 0 is returned.  *taken counts those taken. */
int export_backend_locks_take(struct exports *exps, struct state_server *st,
			      struct export_backend_locks_which which, bool all_or_none,
			      size_t *taken, size_t *failed, char *err, size_t errlen);

#endif
