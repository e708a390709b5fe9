/* Internals of the NLM service shared by its files. */
#ifndef FERRY_NLM_NLM_INTERNAL_H
#define FERRY_NLM_NLM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "nlm/nlm.h"
#include "rpc/rpcbind.h"
#include "rpc/udp.h"
#include "state/opens/state_nlm.h"

/* Sender threads: one for statd, the others for clients' lock managers.
 * A reply from a client's portmapper or lock manager (GETPORT's port,
 * GRANTED's nlm4_res) is a few dozen bytes: longer records are refused
 * rather than allocated. */
enum { NLM_ADDR_MAX = 64, NLM_SENDERS = 3, NLM_REPLY_MAX = 64 * 1024 };

/* Answers to _MSG calls (_RES calls) waiting for the sender, for one
 * address and in all: past either a new answer is dropped (counted as a
 * _RES not delivered; the client's own timer sends its _MSG call again),
 * so that a client sending _MSG calls faster than its lock manager takes
 * their answers cannot grow the queue without bound. */
enum { NLM_RES_QUEUED_PER_ADDR = 64, NLM_RES_QUEUED_MAX = 1024 };

/* A call to a client's lock manager or statd, waiting for the sender; or
 * (NLM_JOB_HOSTS_SETTLE, on statd's thread) the check that the grace
 * period the last run's hosts began is over (nsm.c). */
enum nlm_job_kind {
	NLM_JOB_GRANTED,
	NLM_JOB_RES,
	NLM_JOB_SM_MON,
	NLM_JOB_SM_UNMON,
	NLM_JOB_HOSTS_SETTLE
};

struct nlm_job {
	struct nlm_job *next;
	enum nlm_job_kind kind;
	char addr[NLM_ADDR_MAX]; /* the client's address, no port ("10.0.0.1", "::1") */
	bool udp;                /* to the client's lock manager over UDP, not TCP */
	uint32_t proc;
	unsigned attempts;
	uint64_t due_ms;
	uint8_t *args; /* encoded arguments (GRANTED: nlm4_testargs) */
	uint32_t args_len;
	/* GRANTED: the grant's bytes (struct nlm_grant_blob's form), to let
	 * the lock go when the client refuses it or cannot be reached. */
	uint8_t *blob;
	uint32_t blob_len;
	/* SM_MON, SM_UNMON: the host (caller_name). */
	char host[NLM4_MAXSTRLEN + 1];
};

/* A call as program.c serves it, over TCP (rpc/server.h) or UDP
 * (rpc/udp.h): the caller, the procedure, its arguments and where its
 * results go. */
struct nlm_caller {
	const struct sockaddr_storage *addr; /* the caller's address and port */
	const char *name;                    /* printable, for logs */
	const struct rpc_tls_peer *tls;      /* NULL: no TLS */
	const struct rpc_cred *cred;
	bool udp; /* came over UDP: _RES and GRANTED calls go back over UDP */
	uint32_t proc;
	struct xdr_dec *args;
	struct xdr_enc *reply;
};

/* A UDP socket of the service: NLM on a listener's address, or statd's
 * callback alone on 127.0.0.1 (nlm false). */
struct nlm_udp_listener {
	struct nlm_service *n;
	struct rpc_udp *udp;
	char hostport[80]; /* as bound, with its port */
	uint16_t port;
	bool v6;
	bool loopback; /* gets what is sent to 127.0.0.1:port (0.0.0.0, 127.0.0.1) */
	bool nlm;      /* serves NLM's procedures (else statd's callback alone) */
};

enum { NLM_UDP_MAX = CONFIG_MAX_LISTEN + 1 };

struct nlm_service {
	struct state_server *st;
	struct exports *exps;
	struct nlm_options opts;
	/* The sender.  lock order: see core/lock_order.h, level 9i. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	/* nlm_nsm_pause: the NSM sender takes no job (no call to statd, no
	 * write of the hosts list) until resumed; nsm_held once it waits. */
	bool nsm_paused, nsm_held;
	struct nlm_job *jobs; /* unordered; few */
	unsigned res_queued; /* NLM_JOB_RES jobs on the list */
	pthread_t threads[NLM_SENDERS];
	struct sender_arg {
		struct nlm_service *n;
		unsigned idx;
		bool nsm; /* this thread makes the calls to statd, and only those */
	} sender_args[NLM_SENDERS];
	/* The address each sender thread is calling ("": none): the others
	 * leave that address's jobs alone, so that one client that does not
	 * answer holds one thread at most, never all of them. */
	char busy[NLM_SENDERS][NLM_ADDR_MAX];
	unsigned nthreads;
	_Atomic uint64_t next_cookie;
	/* Counters (struct nlm_stats), atomic. */
	_Atomic uint64_t calls[NLMPROC4_MAX + 1];
	_Atomic uint64_t results[NLM4_FAILED + 1];
	_Atomic uint64_t garbage, granted_sent, granted_refused, granted_failed, res_sent,
		res_failed, free_all, sm_mon, sm_unmon, nsm_failed, reboots;
	/* The UDP sockets (udp.c): set up before any call comes, closed by
	 * nlm_udp_stop; callback_port is the one statd reaches (0: none). */
	struct nlm_udp_listener udp[NLM_UDP_MAX];
	unsigned nudp;
	uint16_t callback_port;
	struct rpcbind_regs udp_regs; /* NLM over UDP, as registered */
	/* NSM (nsm.c): the hosts monitored (the sender's alone), as
	 * <state_dir>/nlm_hosts lists them once hosts_held is false: until
	 * the grace period the last run's hosts began is over, the file keeps
	 * naming them. */
	char **monitored;
	size_t nmonitored;
	bool hosts_held;
	/* The last run's hosts are still to be told of this start (sm-notify,
	 * run by nlm_tell_peers). */
	bool peers_to_tell;
};

/* What the state module keeps for a blocked LOCK, to build GRANTED once
 * the lock is taken: the client's address, the transport its LOCK came
 * over (GRANTED goes back the same way) and the lock as asked. */
struct nlm_grant_blob {
	struct nlm_bytes addr;
	bool udp;
	bool exclusive;
	struct nlm4_lock lock;
};

bool nlm_blob_encode(struct xdr_enc *e, const struct nlm_grant_blob *b);
bool nlm_blob_decode(const uint8_t *p, uint32_t len, struct nlm_grant_blob *out);

/* sender.c: queues a call to addr over UDP or TCP (the bytes are
 * copied); false when out of memory, or for an NLM_JOB_RES past
 * NLM_RES_QUEUED_PER_ADDR or NLM_RES_QUEUED_MAX (counted as a _RES not
 * delivered). */
bool nlm_send_queue(struct nlm_service *n, enum nlm_job_kind kind, const char *addr, bool udp,
		    uint32_t proc, const uint8_t *args, uint32_t args_len, const uint8_t *blob,
		    uint32_t blob_len);
/* Queues a job made by the caller (args and blob malloc'd, or NULL). */
void nlm_job_push(struct nlm_service *n, struct nlm_job *j);
void nlm_job_free(struct nlm_job *j);
int nlm_sender_start(struct nlm_service *n);
void nlm_sender_stop(struct nlm_service *n);
/* The state module's grant hook (state_nlm_grant_fn). */
void nlm_grant_hook(void *ctx, const struct state_nlm_grant *g);

/* nsm.c */
int nlm_nsm_start(struct nlm_service *n);
/* statd's SM_NOTIFY (NLM procedure 16, over UDP): heeded from loopback
 * and a reserved port only. */
enum rpc_accept_stat nlm_nsm_notify(struct nlm_service *n, struct rpc_udp_call *call);
/* Frees the list of hosts monitored, once the sender stopped: its NSM
 * thread updates the list when an SM_MON or SM_UNMON it sent is answered. */
void nlm_nsm_free(struct nlm_service *n);
/* A host's first state came (on) or its last went (!on): queue SM_MON or
 * SM_UNMON. */
void nlm_nsm_host(struct nlm_service *n, const uint8_t *name, uint32_t len, bool on);
/* On the sender: makes an SM_MON / SM_UNMON job's call to statd and
 * updates the list of monitored hosts.  0 or a negative errno. */
int nlm_nsm_call(struct nlm_service *n, const struct nlm_job *j);
/* On statd's sender thread, for NLM_JOB_HOSTS_SETTLE: once the grace
 * period is over, nlm_hosts lists this run's hosts alone.  false: not yet
 * (the job is due again later). */
bool nlm_nsm_hosts_settle(struct nlm_service *n);
/* The host's locks and shares go (FREE_ALL: the host of that name at
 * addr; a reboot: name NULL, every host at addr); SM_UNMON of addr follows
 * once no host there holds any. */
void nlm_free_host(struct nlm_service *n, const uint8_t *name, uint32_t len, const char *addr,
		   const char *why);
/* sender.c: the portmapper's port for prog/vers/proto at addr ("1.2.3.4"). */
int nlm_getport(struct nlm_service *n, const char *addr, uint16_t pmap_port, uint32_t prog,
		uint32_t vers, uint32_t proto, uint16_t *port);

/* sender.c: one call to prog (NLM v4 or NSM v1) at addr:port over TCP or
 * UDP, from a reserved port where the process may bind one, as the server
 * host's root (AUTH_SYS, machine "ferryd": what clients' lock managers and
 * statd expect of a server).  0 with the results in *reply from *off (the
 * caller unrefs it), -EPROTO when the call was not accepted, or the
 * connection's or the call's negative errno. */
int nlm_call(struct nlm_service *n, const char *addr, bool udp, uint16_t port, uint32_t prog,
	     uint32_t vers, uint32_t proc, const uint8_t *args, size_t args_len,
	     struct buf **reply, size_t *off);

/* udp.c: the UDP sockets' part of nlm_get_stats. */
void nlm_udp_get_stats(struct nlm_service *n, struct nlm_stats *out);

/* program.c: the rpc_udp_program serve callback of a UDP socket (ctx: its
 * struct nlm_udp_listener). */
enum rpc_accept_stat nlm_udp_serve(void *ctx, struct rpc_udp_call *call, struct xdr_enc *out);

/* program.c: the lock a blob describes, resolved to its file (false when
 * its handle no longer parses); let go of it. */
void nlm_release_granted(struct nlm_service *n, const struct nlm_grant_blob *b);

/* carry.c: one item of nlm_state_save's bytes, written and read (the
 * latter pointing into the bytes, the address copied into addr).  The
 * read takes only what the write makes. */
enum { NLM_CARRY_ADDR_MAX = 63 };
struct state_nlm_item;
struct state_file_key;
struct xdr_enc;
struct xdr_dec;
bool nlm_carry_encode_item(struct xdr_enc *e, const struct state_nlm_item *it);
bool nlm_carry_decode_item(struct xdr_dec *d, struct state_nlm_item *it,
			   struct state_file_key *key, char addr[NLM_CARRY_ADDR_MAX + 1]);

#endif
