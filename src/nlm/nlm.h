/* The NLM v4 program (program 100021, version 4): byte-range locks and
 * DOS share reservations of NFSv3 clients, kept in the state module's lock
 * table beside NFSv4's (state/opens/state_nlm.h), so that the two conflict.
 *
 * Calls are served on the event loop that read them, or over UDP on the
 * socket's own thread (the state module's work is in memory).  What goes
 * back to a client's own lock manager (GRANTED for a blocked LOCK whose
 * way cleared; the _RES call answering a _MSG call) is sent by the NLM
 * sender threads, which find the client's NLM port with the portmapper on
 * the client's address (GETPORT, TCP) and calls it, so that no request
 * waits for a client.
 *
 * NLM is served over TCP on the server's listeners, and over UDP on the
 * same addresses and ports (nlm_udp_listen).
 *
 * Threads: three senders (two for clients, one for statd), one per UDP
 * socket (NLM over UDP; statd's callback).  Locks: the senders' queue
 * (core/lock_order.h 9i), a leaf. */
#ifndef FERRY_NLM_NLM_H
#define FERRY_NLM_NLM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "rpc/server.h"
#include "xdr/nlm_prot.h"

struct state_server;
struct exports;
struct nlm_service;

struct nlm_options {
	/* Each call to a client's lock manager (GETPORT, then the call)
	 * waits this long for an answer. */
	uint32_t callback_timeout_ms;
	/* A GRANTED nobody answered is sent again this many times, waiting
	 * retry_ms, doubled each time; then the lock is let go (the client
	 * asks again if it still wants it). */
	unsigned granted_retries;
	uint32_t retry_ms;
	/* The portmapper's port on clients (111; tests may move it). */
	uint16_t portmapper_port;
	/* NSM through the local rpc.statd: SM_MON for each host that takes
	 * its first lock or share, SM_UNMON once it holds none, and statd's
	 * callback (NLM v4 over UDP on 127.0.0.1, procedure 16: the program,
	 * version and procedure of SM_MON's my_id, found through rpcbind)
	 * when a monitored host reboots: that host's locks go. */
	bool nsm;
	/* NLM over UDP as well as TCP (nlm_udp_listen). */
	bool udp;
	/* A host that holds nothing any more is unmonitored this much later,
	 * unless it locks again meanwhile. */
	uint32_t unmon_delay_ms;
	/* Where the hosts being monitored are listed (<dir>/nlm_hosts), so
	 * that the next start knows whom to have notified; "" keeps none. */
	char state_dir[CONFIG_PATH_MAX];
	/* The command run at a start that finds hosts listed: sm-notify,
	 * given -f and, when statd_dir is set, -P statd_dir (statd's own
	 * directory); "" runs nothing. */
	char sm_notify[CONFIG_PATH_MAX];
	char statd_dir[CONFIG_PATH_MAX];
	/* The hosts' locks come from the ferryd this one replaces
	 * (nlm_state_restore): the hosts listed keep them, so no grace
	 * period is begun for them and they are not told to reclaim. */
	bool inherited;
};

void nlm_options_default(struct nlm_options *o);

/* Starts the service (its sender thread) on the server's state and
 * exports, which must outlive it.  0 or a negative errno (logged). */
int nlm_create(struct state_server *st, struct exports *exps, const struct nlm_options *o,
	       struct nlm_service **out);

/* Stops the sender (calls not yet sent are dropped) and frees it. */
void nlm_destroy(struct nlm_service *n);

void nlm_program_describe(struct rpc_program *prog, struct nlm_service *n);

/* With the udp option, serves NLM over UDP at hostport ("HOST:PORT",
 * "[V6]:PORT": where a TCP listener serving NLM is bound).  A socket that
 * cannot be bound (the port taken) is warned of and left out: NLM is then
 * served over TCP alone there.  0 or a negative errno. */
int nlm_udp_listen(struct nlm_service *n, const char *hostport);

/* Once the UDP listeners are bound: with NSM, statd's callback (an
 * SM_NOTIFY datagram to 127.0.0.1) is taken by the UDP listener bound on
 * 127.0.0.1 or 0.0.0.0, if any; otherwise by a socket of its own on
 * 127.0.0.1, at the port of the first IPv4 UDP listener where it can (so
 * that one rpcbind registration serves both), else at any port. */
void nlm_udp_ready(struct nlm_service *n);

/* Registers (set) or withdraws with the local rpcbind NLM v4 over UDP:
 * netid "udp" at the IPv4 listener statd's callback reaches (or statd's
 * own socket), "udp6" at the first IPv6 listener.  NLM over TCP is
 * registered with the server's other programs.  A registration left by a
 * run that did not stop cleanly is replaced.  Failures are logged. */
void nlm_register_udp(struct nlm_service *n, bool set);

/* Once NLM is reachable (listening, and registered with rpcbind where
 * the server registers): after a start that found the last run's hosts,
 * runs sm-notify so that they reclaim their locks.  Their lock managers,
 * and the local statd passing a notice on, find NLM through rpcbind:
 * told before the registration, they would reach the last run's port. */
void nlm_tell_peers(struct nlm_service *n);

/* An in-place upgrade (carry.c): every lock, share and blocked LOCK as
 * bytes for the new ferryd (*out, the caller's reference), or
 * -EOPNOTSUPP when one is held in a back end too (a ceph export: the new
 * ferryd then starts a grace period as after a restart); made again by
 * the new ferryd (created with opts.inherited) before it serves.  0, or a
 * negative errno with err saying why. */
int nlm_state_save(struct nlm_service *n, struct buf **out, char *err, size_t errlen);
/* Holds NSM's calls to statd and its writes of the hosts list while the
 * new ferryd takes them over (or lets them go on: the upgrade failed);
 * returns once none is under way. */
void nlm_nsm_pause(struct nlm_service *n, bool paused);
int nlm_state_restore(struct nlm_service *n, const uint8_t *p, size_t len, char *err,
		      size_t errlen);

/* Closes the UDP sockets (also done by nlm_destroy): no call is served
 * over UDP once it returns; nlm_udp_listen and nlm_udp_ready may set
 * them up again. */
void nlm_udp_stop(struct nlm_service *n);

struct nlm_stats {
	uint64_t calls[NLMPROC4_MAX + 1];    /* by procedure */
	uint64_t results[NLM4_FAILED + 1];    /* by nlm4_stats answered */
	uint64_t garbage;                     /* arguments that did not decode */
	uint64_t granted_sent, granted_refused, granted_failed; /* GRANTED calls */
	uint64_t res_sent, res_failed;        /* _RES calls answering _MSG calls */
	uint64_t free_all;                    /* FREE_ALL received */
	uint64_t sm_mon, sm_unmon, nsm_failed; /* calls to statd, and failures */
	uint64_t reboots;                     /* statd said a monitored host rebooted */
	bool nsm;                             /* monitoring through statd */
	uint16_t callback_port;               /* statd's callback listener (UDP) */
	unsigned udp_listeners;               /* UDP sockets serving NLM */
	uint16_t udp_port;                    /* the first one's port (0: none) */
	uint64_t udp_calls, udp_bad;          /* over UDP: served; dropped */
};

void nlm_get_stats(struct nlm_service *n, struct nlm_stats *out);

#endif
