/* NSM through the system's rpc.statd (program 100024), as a kernel lock
 * manager uses it:
 *
 *   - the first lock or share from a host's address: SM_MON(mon_name = that
 *     address, my_id = 127.0.0.1, NLM v4, procedure 16) to the local
 *     statd, which records it in its directory; the last lock or share
 *     from it gone: SM_UNMON.  Hosts are named by address, as the
 *     kernel's lock manager names them by default: a caller_name is
 *     whatever the client calls itself, which the local statd may not
 *     resolve (it refuses to monitor a name it cannot);
 *   - statd calls my_id back (UDP, to 127.0.0.1 at the port rpcbind
 *     gives for NLM v4 over UDP) when that host tells it of a reboot:
 *     ferryd drops the host's locks and shares.  The UDP socket serving
 *     NLM on 0.0.0.0 or 127.0.0.1 takes that call, or one of its own on
 *     127.0.0.1 (udp.c);
 *   - the hosts monitored are listed in <state_dir>/nlm_hosts; a start
 *     that finds the list non-empty begins a grace period for them
 *     (state_nlm_grace_begin) and runs sm-notify -f so that statd tells
 *     them this server's lock manager lost its state: they reclaim.  The
 *     file keeps naming them until that grace period is over, then lists
 *     this run's hosts alone (NLM_JOB_HOSTS_SETTLE).
 *
 * statd is reached over TCP (GETPORT on 127.0.0.1) from a reserved port,
 * which it requires of SM_MON.  The calls run on the sender thread, in
 * the order the hosts came and went. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/state_dir.h"
#include "nlm/nlm_internal.h"
#include "rpc/addr.h"
#include "rpc/client.h"
#include "rpc/udp.h"
#include "state/state.h"

extern char **environ;

static const char loopback[] = "127.0.0.1";

/* --- the list of monitored hosts (sender thread) ------------------------------- */

static void list_path(const struct nlm_service *n, char *out, size_t len)
{
	snprintf(out, len, "%s/nlm_hosts", n->opts.state_dir);
}

static void list_write(struct nlm_service *n)
{
	if (!n->opts.state_dir[0])
		return;
	size_t len = 0;
	for (size_t i = 0; i < n->nmonitored; i++)
		len += strlen(n->monitored[i]) + 1;
	char *text = malloc(len + 1);
	if (!text) {
		log_error("nlm: no memory to record the hosts monitored");
		return;
	}
	size_t off = 0;
	for (size_t i = 0; i < n->nmonitored; i++)
		off += (size_t)sprintf(text + off, "%s\n", n->monitored[i]);
	char path[CONFIG_PATH_MAX + 16];
	list_path(n, path, sizeof(path));
	int rc = state_file_replace(path, text, off, 0600);
	if (rc)
		log_warn("nlm: cannot write %s: %s", path, strerror(-rc));
	free(text);
}

static ssize_t list_find(const struct nlm_service *n, const char *host)
{
	for (size_t i = 0; i < n->nmonitored; i++)
		if (strcmp(n->monitored[i], host) == 0)
			return (ssize_t)i;
	return -1;
}

static void list_set(struct nlm_service *n, const char *host, bool on)
{
	ssize_t at = list_find(n, host);
	if (on && at < 0) {
		char **v = realloc(n->monitored, (n->nmonitored + 1) * sizeof(*v));
		char *copy = strdup(host);
		if (!v || !copy) {
			free(copy);
			if (v)
				n->monitored = v;
			log_error("nlm: no memory to record host %s", host);
			return;
		}
		n->monitored = v;
		n->monitored[n->nmonitored++] = copy;
	} else if (!on && at >= 0) {
		free(n->monitored[at]);
		n->monitored[at] = n->monitored[--n->nmonitored];
	} else {
		return;
	}
	/* In the last run's grace period the file keeps naming its hosts:
	 * they may still come back, and a crash now must find them. */
	if (!n->hosts_held)
		list_write(n);
}

bool nlm_nsm_hosts_settle(struct nlm_service *n)
{
	if (!state_nlm_grace_over(n->st))
		return false;
	n->hosts_held = false;
	list_write(n);
	log_info("nlm: the grace period is over: nlm_hosts lists this run's %zu host(s)",
		 n->nmonitored);
	return true;
}

/* Whether the last run listed a host.  Nothing else of the list is used
 * (sm-notify -f reads statd's own), and list_write puts a host on its first
 * line: the file is read up to its first host and no further than
 * LIST_SCAN_LINES lines (of at most NLM4_MAXSTRLEN + 1 bytes), so that a
 * damaged one of any size (a run of NULs) does not hold the start. */
enum { LIST_SCAN_LINES = 1024 };

/* The first look at whether the last run's grace period is over, after
 * the start (nlm_nsm_hosts_settle, then once a second). */
enum { NLM_HOSTS_FIRST_CHECK_MS = 1000 };

static bool list_read_previous(const struct nlm_service *n)
{
	if (!n->opts.state_dir[0])
		return false;
	char path[CONFIG_PATH_MAX + 16];
	list_path(n, path, sizeof(path));
	/* Not blocking on open: a FIFO there would hold the start for ever. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_warn("nlm: %s is not a regular file: taken as listing no host", path);
		close(fd);
		return false;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return false;
	}
	bool found = false;
	unsigned lines = 0;
	char line[NLM4_MAXSTRLEN + 2];
	while (!found && lines < LIST_SCAN_LINES && fgets(line, sizeof(line), f)) {
		found = line[0] && line[0] != '\n';
		lines++;
	}
	if (!found && lines == LIST_SCAN_LINES)
		log_warn("nlm: %s names no host in its first %d lines: taken as listing none",
			 path, LIST_SCAN_LINES);
	fclose(f);
	return found;
}

/* --- calls to statd --------------------------------------------------------------- */

static void my_id(struct nsm_my_id *id)
{
	*id = (struct nsm_my_id){
		.my_name = {(const uint8_t *)loopback, sizeof(loopback) - 1},
		.my_prog = NLM_PROGRAM,
		.my_vers = NLM4_VERSION,
		.my_proc = NLMPROC4_SM_NOTIFY,
	};
}

void nlm_nsm_host(struct nlm_service *n, const uint8_t *name, uint32_t len, bool on)
{
	/* statd files a host under its name, and nlm_hosts lists one a line:
	 * only names both can take. */
	if (!n->opts.nsm || len == 0 || len > NLM4_MAXSTRLEN || memchr(name, '/', len) ||
	    memchr(name, '\0', len) || memchr(name, '\n', len))
		return;
	struct nlm_job *j = calloc(1, sizeof(*j));
	if (!j) {
		log_error("nlm: no memory to tell statd of a host");
		return;
	}
	j->kind = on ? NLM_JOB_SM_MON : NLM_JOB_SM_UNMON;
	j->proc = on ? SM_MON : SM_UNMON;
	snprintf(j->addr, sizeof(j->addr), "%s", loopback);
	memcpy(j->host, name, len);
	j->host[len] = '\0';
	/* A host that locks and unlocks in turn would have statd write and
	 * remove its record each time: its SM_UNMON waits, and a new first
	 * lock meanwhile takes it back (statd still monitors the host). */
	pthread_mutex_lock(&n->lock);
	for (struct nlm_job **pp = &n->jobs; *pp; pp = &(*pp)->next) {
		struct nlm_job *q = *pp;
		if (q->kind == NLM_JOB_SM_UNMON && strcmp(q->host, j->host) == 0) {
			*pp = q->next;
			pthread_mutex_unlock(&n->lock);
			nlm_job_free(q);
			if (on) {
				nlm_job_free(j);
				return;
			}
			goto push;
		}
	}
	pthread_mutex_unlock(&n->lock);
push:
	if (!on)
		j->due_ms = clock_now_ms() + n->opts.unmon_delay_ms;
	nlm_job_push(n, j);
}

int nlm_nsm_call(struct nlm_service *n, const struct nlm_job *j)
{
	struct nsm_mon mon = {.mon_name = {(const uint8_t *)j->host, (uint32_t)strlen(j->host)}};
	my_id(&mon.my_id);
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 4096))
		return -ENOMEM;
	bool ok = j->kind == NLM_JOB_SM_MON ? nsm_encode_mon(&e, &mon) : nsm_encode_mon_id(&e, &mon);
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		return -EINVAL;
	}
	uint16_t port;
	int rc = nlm_getport(n, loopback, 111, NSM_PROGRAM, NSM_VERSION, IPPROTO_TCP, &port);
	struct buf *reply = NULL;
	size_t off = 0;
	if (!rc)
		rc = nlm_call(n, loopback, false, port, NSM_PROGRAM, NSM_VERSION, j->proc,
			      e.buf->data, e.buf->len, &reply, &off);
	xdr_enc_release(&e);
	if (rc)
		return rc;
	struct xdr_dec d;
	xdr_dec_init(&d, reply->data + off, reply->len - off);
	if (j->kind == NLM_JOB_SM_MON) {
		struct nsm_stat_res res;
		if (!nsm_decode_stat_res(&d, &res))
			rc = -EBADMSG;
		else if (res.res_stat != NSM_STAT_SUCC)
			rc = -EREMOTEIO; /* statd refused: a name it cannot resolve */
	}
	buf_unref(reply);
	if (rc)
		return rc;
	if (j->kind == NLM_JOB_SM_MON)
		atomic_fetch_add(&n->sm_mon, 1);
	else
		atomic_fetch_add(&n->sm_unmon, 1);
	list_set(n, j->host, j->kind == NLM_JOB_SM_MON);
	return 0;
}

/* --- statd's callback ------------------------------------------------------------- */

/* A datagram from a reserved port (below 1024): statd sends its
 * callbacks from one it bound as root, as the kernel's lock manager
 * requires of them too.  Any local user can send from loopback. */
static bool from_reserved_port(const struct sockaddr_storage *ss)
{
	uint16_t port = 0;
	if (ss->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return port > 0 && port < 1024;
}

enum rpc_accept_stat nlm_nsm_notify(struct nlm_service *n, struct rpc_udp_call *call)
{
	/* Only the local statd speaks for other hosts: from loopback, and
	 * from a port only a privileged process can bind.  Asked before the
	 * arguments are decoded: the NLM sockets on a listener's address take
	 * this procedure from anywhere. */
	if (!rpc_addr_is_loopback((const struct sockaddr *)call->peer)) {
		log_ratelimited("nlm: a reboot notice from a remote address ignored");
		return RPC_SUCCESS;
	}
	if (!from_reserved_port(call->peer)) {
		log_ratelimited("nlm: a reboot notice from an unprivileged local port ignored");
		return RPC_SUCCESS;
	}
	struct nsm_status st;
	if (!nsm_decode_status(&call->args, &st))
		return RPC_GARBAGE_ARGS;
	atomic_fetch_add(&n->reboots, 1);
	/* mon_name is what SM_MON named: the host's address. */
	char addr[NLM_ADDR_MAX];
	if (st.mon_name.len >= sizeof(addr))
		return RPC_SUCCESS;
	memcpy(addr, st.mon_name.data, st.mon_name.len);
	addr[st.mon_name.len] = '\0';
	nlm_free_host(n, NULL, 0, addr, "rebooted (statd)");
	state_lock_notify_flush(n->st);
	return RPC_SUCCESS;
}

/* Has statd tell the hosts monitored before this start that the lock
 * manager lost its state. */
static void run_sm_notify(struct nlm_service *n)
{
	if (!n->opts.sm_notify[0])
		return;
	char *argv[6];
	int i = 0;
	argv[i++] = n->opts.sm_notify;
	argv[i++] = "-f";
	if (n->opts.statd_dir[0]) {
		argv[i++] = "-P";
		argv[i++] = n->opts.statd_dir;
	}
	argv[i] = NULL;
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc) {
		log_warn("nlm: cannot run %s: %s; NLM clients of the last run are not told to "
			 "reclaim",
			 argv[0], strerror(rc));
		return;
	}
	/* sm-notify goes to the background itself once it has its list. */
	int status;
	pid_t w;
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w != pid)
		log_warn("nlm: cannot tell whether %s -f ran: waitpid: %s", argv[0],
			 strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		log_warn("nlm: %s -f failed (status %d)", argv[0], status);
	else
		log_info("nlm: %s -f asked to notify the NLM hosts of the last run", argv[0]);
}

void nlm_tell_peers(struct nlm_service *n)
{
	if (!n || !n->peers_to_tell)
		return;
	n->peers_to_tell = false;
	run_sm_notify(n);
}

int nlm_nsm_start(struct nlm_service *n)
{
	/* Handed over by an upgrade: the hosts listed hold their locks here
	 * too; the list stays as it is. */
	if (n->opts.inherited)
		return 0;
	if (list_read_previous(n)) {
		state_nlm_grace_begin(n->st);
		/* sm-notify runs once NLM is reachable (nlm_tell_peers). */
		n->peers_to_tell = n->opts.nsm;
		/* The list is this run's once the grace period is over: a host
		 * that did not come back by then lost its locks, and the next
		 * start need not wait for it. */
		struct nlm_job *j = calloc(1, sizeof(*j));
		if (j) {
			n->hosts_held = true;
			j->kind = NLM_JOB_HOSTS_SETTLE;
			snprintf(j->addr, sizeof(j->addr), "%s", loopback);
			j->due_ms = clock_now_ms() + NLM_HOSTS_FIRST_CHECK_MS;
			nlm_job_push(n, j);
		} else {
			log_error("nlm: no memory to settle nlm_hosts after the grace period");
		}
	}
	return 0;
}

void nlm_nsm_free(struct nlm_service *n)
{
	for (size_t i = 0; i < n->nmonitored; i++)
		free(n->monitored[i]);
	free(n->monitored);
	n->monitored = NULL;
	n->nmonitored = 0;
}
