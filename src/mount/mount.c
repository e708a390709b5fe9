/* The MOUNT program: decoding, the export by path, the checks, and the
 * mount list. */
#include "mount/mount.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "export/fh.h"
#include "rpc/addr.h"
#include "xdr/mount_codec.h"

/* The mount list is informational: a client that mounts and never
 * unmounts must not grow it without bound.  Past this many entries a new
 * MNT is still answered, only not listed. */
enum { MOUNT_LIST_MAX = 4096 };

struct mount_listed {
	struct mount_listed *next;
	uint64_t key; /* entry_key of host and path: most comparisons stop there */
	struct mount_entry e;
};

/* FNV-1a of host, a NUL and path. */
static uint64_t entry_key(const char *host, const char *path)
{
	uint64_t h = 14695981039346656037ull;
	for (const char *p = host;; p++) {
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
		if (!*p)
			break;
	}
	for (const char *p = path; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h;
}

struct mount_server {
	struct exports *exps;
	/* Lock order 9h (core/lock_order.h): the mount list.  A leaf. */
	pthread_mutex_t lock;
	struct mount_listed *head, **tail;
	size_t entries;
	_Atomic uint64_t calls[MOUNTPROC3_COUNT];
	_Atomic uint64_t mnt[MOUNT_MNT_OUTCOMES];
	_Atomic uint64_t garbage_args, list_full;
};

struct mount_server *mount_server_create(struct exports *exps)
{
	struct mount_server *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return NULL;
	ms->exps = exps;
	pthread_mutex_init(&ms->lock, NULL);
	ms->tail = &ms->head;
	return ms;
}

void mount_server_destroy(struct mount_server *ms)
{
	if (!ms)
		return;
	for (struct mount_listed *m = ms->head, *next; m; m = next) {
		next = m->next;
		free(m);
	}
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

/* --- paths --------------------------------------------------------------- */

bool mount_path_tidy(const uint8_t *p, size_t len, char *out)
{
	if (len == 0 || p[0] != '/' || len > MNTPATHLEN || memchr(p, '\0', len))
		return false;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '/' && n > 0 && out[n - 1] == '/')
			continue;
		out[n++] = (char)p[i];
	}
	if (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return true;
}

/* How far configured names tidy: the length of the prefix of tidy it is
 * (the whole of it, or up to a slash), or 0. */
static size_t path_prefix(const char *configured, const char *tidy)
{
	char own[MNTPATHLEN + 1];
	if (!mount_path_tidy((const uint8_t *)configured, strlen(configured), own))
		return 0;
	size_t n = strlen(own);
	if (strcmp(own, "/") == 0)
		return 1; /* the root is a prefix of every path */
	if (strncmp(own, tidy, n) != 0 || (tidy[n] != '\0' && tidy[n] != '/'))
		return 0;
	return n;
}

/* The export tidy names, or the one it lies below (the longest prefix:
 * an export's pseudo path or its directory; on a tie a pseudo path, as an
 * export's pseudo path may be another's directory), and where in tidy
 * what is below its root starts (*rest: "" for the root itself). */
static struct export *export_by_path(struct exports *exps, const char *tidy, const char **rest)
{
	struct export *best = NULL;
	size_t best_score = 0, best_len = 0;
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		struct export *ex = exports_at(exps, i);
		if (!ex)
			continue;
		size_t by_pseudo = path_prefix(ex->pseudo, tidy);
		size_t by_dir = path_prefix(ex->path, tidy);
		size_t len = by_pseudo >= by_dir ? by_pseudo : by_dir;
		size_t score = 2 * len + (len && by_pseudo == len);
		if (score > best_score) {
			best = ex;
			best_score = score;
			best_len = len;
		}
	}
	if (!best)
		return NULL;
	*rest = tidy + best_len;
	while (**rest == '/')
		(*rest)++;
	return best;
}

/* A path from the wire as the log may show it (log_printable). */
static const char *loggable(const char *path, char *buf, size_t cap)
{
	return log_printable(buf, cap, path, strlen(path));
}

/* --- the mount list ----------------------------------------------------- */

static void list_add(struct mount_server *ms, const char *host, const char *path)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t key = entry_key(host, path);
	pthread_mutex_lock(&ms->lock);
	for (struct mount_listed *m = ms->head; m; m = m->next) {
		if (m->key == key && strcmp(m->e.host, host) == 0 && strcmp(m->e.path, path) == 0) {
			m->e.when = now;
			pthread_mutex_unlock(&ms->lock);
			return;
		}
	}
	struct mount_listed *m = NULL;
	if (ms->entries < MOUNT_LIST_MAX)
		m = malloc(sizeof(*m));
	if (m) {
		m->next = NULL;
		m->key = key;
		snprintf(m->e.host, sizeof(m->e.host), "%s", host);
		snprintf(m->e.path, sizeof(m->e.path), "%s", path);
		m->e.when = now;
		*ms->tail = m;
		ms->tail = &m->next;
		ms->entries++;
	}
	pthread_mutex_unlock(&ms->lock);
	if (!m) {
		char shown[MNTPATHLEN + 1];
		atomic_fetch_add_explicit(&ms->list_full, 1, memory_order_relaxed);
		log_ratelimited(
		    "mount: %s mounted %s, not listed (the mount list holds %d entries)", host,
		    loggable(path, shown, sizeof(shown)), MOUNT_LIST_MAX);
	}
}

/* Removes host's entry for path, or every entry of host (path NULL). */
static void list_remove(struct mount_server *ms, const char *host, const char *path)
{
	uint64_t key = path ? entry_key(host, path) : 0;
	pthread_mutex_lock(&ms->lock);
	struct mount_listed **pp = &ms->head;
	while (*pp) {
		struct mount_listed *m = *pp;
		if ((!path || m->key == key) && strcmp(m->e.host, host) == 0 &&
		    (!path || strcmp(m->e.path, path) == 0)) {
			*pp = m->next;
			free(m);
			ms->entries--;
		} else {
			pp = &m->next;
		}
	}
	ms->tail = pp;
	pthread_mutex_unlock(&ms->lock);
}

int mount_server_list(struct mount_server *ms, struct mount_entry **out, size_t *n)
{
	pthread_mutex_lock(&ms->lock);
	struct mount_entry *v = malloc((ms->entries ? ms->entries : 1) * sizeof(*v));
	size_t k = 0;
	if (v)
		for (struct mount_listed *m = ms->head; m; m = m->next)
			v[k++] = m->e;
	pthread_mutex_unlock(&ms->lock);
	if (!v)
		return -ENOMEM;
	*out = v;
	*n = k;
	return 0;
}

/* --- procedures ---------------------------------------------------------- */

static uint32_t flavor_of(enum config_sec s)
{
	switch (s) {
	case CONFIG_SEC_NONE:
		return MOUNT_FLAVOR_NONE;
	case CONFIG_SEC_SYS:
		return MOUNT_FLAVOR_SYS;
	case CONFIG_SEC_KRB5:
		return MOUNT_FLAVOR_KRB5;
	case CONFIG_SEC_KRB5I:
		return MOUNT_FLAVOR_KRB5I;
	default:
		return MOUNT_FLAVOR_KRB5P;
	}
}

static struct rpc_dispatch_result mnt_reply(struct mount_server *ms, struct rpc_request *req,
                                            const struct mount_mnt_res *res,
                                            enum mount_mnt_outcome outcome)
{
	atomic_fetch_add_explicit(&ms->mnt[outcome], 1, memory_order_relaxed);
	if (!mount_enc_mnt_res(&req->reply, res))
		return rpc_dispatch_done(RPC_SYSTEM_ERR);
	return rpc_dispatch_done(RPC_SUCCESS);
}

/* MNT refused as MNT3ERR_ACCES, and said in the log: "(export NAME" why
 * ")". */
static struct rpc_dispatch_result mnt_refused(struct mount_server *ms, struct rpc_request *req,
                                              const char *path, const struct export *ex,
                                              const char *why)
{
	char shown[MNTPATHLEN + 1];
	log_ratelimited("mount: %s refused %s (export %s%s)", rpc_conn_peer(req->conn),
	                loggable(path, shown, sizeof(shown)), ex->name, why);
	struct mount_mnt_res res = {.status = MNT3ERR_ACCES};
	return mnt_reply(ms, req, &res, MOUNT_MNT_ACCES);
}

static uint32_t mnt_status_of(int err)
{
	switch (err) {
	case -ENOENT:
	case -ESTALE:
		return MNT3ERR_NOENT;
	case -EACCES:
		return MNT3ERR_ACCES;
	case -EPERM:
		return MNT3ERR_PERM;
	case -ENOTDIR:
		return MNT3ERR_NOTDIR;
	case -ENAMETOOLONG:
		return MNT3ERR_NAMETOOLONG;
	case -EINVAL:
		return MNT3ERR_INVAL;
	case -EIO:
		return MNT3ERR_IO;
	default:
		return MNT3ERR_SERVERFAULT;
	}
}

static enum mount_mnt_outcome outcome_of(uint32_t status)
{
	switch (status) {
	case MNT3_OK:
		return MOUNT_MNT_OK;
	case MNT3ERR_NOENT:
		return MOUNT_MNT_NOENT;
	case MNT3ERR_ACCES:
	case MNT3ERR_PERM:
		return MOUNT_MNT_ACCES;
	case MNT3ERR_NAMETOOLONG:
		return MOUNT_MNT_NAMETOOLONG;
	case MNT3ERR_NOTSUPP:
		return MOUNT_MNT_NOTSUPP;
	default:
		return MOUNT_MNT_OTHER;
	}
}

/* Walks rest (names below ex's root, slash-separated, tidy) from the root
 * as the caller, after squashing: the directory it names into *out.  A
 * MNT3 status. */
static uint32_t walk_below(struct export *ex, const struct sockaddr_storage *addr,
                           const struct rpc_cred *rc, const char *rest,
                           struct backend_handle *out)
{
	struct backend_cred cred;
	export_cred(ex, addr, rc, &cred);
	struct backend_handle cur = ex->root;
	struct backend_attr attr;
	while (*rest) {
		const char *slash = strchr(rest, '/');
		size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
		char name[MNTPATHLEN + 1];
		memcpy(name, rest, n);
		name[n] = '\0';
		/* Only names that lead down: ".." would climb out of the export. */
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return MNT3ERR_INVAL;
		struct backend_handle next;
		int rc2 = ex->ops->lookup(ex->bex, &cred, &cur, name, &next, &attr);
		if (rc2)
			return mnt_status_of(rc2);
		if (attr.type != BACKEND_DIR)
			return MNT3ERR_NOTDIR;
		cur = next;
		rest += n;
		while (*rest == '/')
			rest++;
	}
	*out = cur;
	return MNT3_OK;
}

static struct rpc_dispatch_result proc_mnt(struct mount_server *ms, struct rpc_request *req)
{
	struct mount_name arg;
	struct mount_mnt_res res = {.status = MNT3_OK};
	/* A copy: a call deferred to a worker decodes its arguments again. */
	struct xdr_dec args = req->args;
	switch (mount_dec_dirpath(&args, &arg)) {
	case MOUNT_PATH_GARBAGE:
		atomic_fetch_add_explicit(&ms->garbage_args, 1, memory_order_relaxed);
		return rpc_dispatch_done(RPC_GARBAGE_ARGS);
	case MOUNT_PATH_TOO_LONG:
		res.status = MNT3ERR_NAMETOOLONG;
		return mnt_reply(ms, req, &res, MOUNT_MNT_NAMETOOLONG);
	case MOUNT_PATH_OK:
		break;
	}
	char path[MNTPATHLEN + 1];
	const char *rest = "";
	struct export *ex =
	    mount_path_tidy(arg.data, arg.len, path) ? export_by_path(ms->exps, path, &rest) : NULL;
	const struct sockaddr_storage *addr = rpc_conn_peer_addr(req->conn);
	char host[64];
	rpc_addr_host(addr, host, sizeof(host));
	if (!ex) {
		res.status = MNT3ERR_NOENT;
		return mnt_reply(ms, req, &res, MOUNT_MNT_NOENT);
	}
	/* nfs3 = no: the handle would only be refused by NFSv3. */
	if (atomic_load_explicit(&ex->no_nfs3, memory_order_relaxed)) {
		return mnt_refused(ms, req, path, ex, " says nfs3 = no");
	}
	if (!export_allows(ex, addr, rpc_conn_tls_peer(req->conn)) ||
	    !export_port_ok(ex, addr, req->cred.flavor)) {
		return mnt_refused(ms, req, path, ex, "'s clients or secure port");
	}
	/* Below the root: lookups in the back end, which may block. */
	struct backend_handle dir = ex->root;
	if (*rest) {
		if (!req->on_worker)
			return rpc_dispatch_defer();
		res.status = walk_below(ex, addr, &req->cred, rest, &dir);
		if (res.status != MNT3_OK)
			return mnt_reply(ms, req, &res, outcome_of(res.status));
	}
	struct fh fh;
	fh_from_object(ms->exps, ex, &dir, &fh);
	if (fh.wire_len > FH_V3_MAX) {
		log_ratelimited("mount: a handle of export %s is %u bytes, more than NFSv3's %d: "
		                "no NFSv3 access to it",
		                ex->name, fh.wire_len, FH_V3_MAX);
		res.status = MNT3ERR_NOTSUPP;
		return mnt_reply(ms, req, &res, MOUNT_MNT_NOTSUPP);
	}
	res.fh.data = fh.wire;
	res.fh.len = fh.wire_len;
	uint32_t sec = export_sec_for(ex, addr);
	for (; sec && res.nflavors < MOUNT_MAX_FLAVORS; sec >>= 4)
		res.flavors[res.nflavors++] = flavor_of((enum config_sec)(sec & 0xf));
	list_add(ms, host, path);
	char shown[MNTPATHLEN + 1];
	log_info("mount: %s mounted %s (export %s)", host, loggable(path, shown, sizeof(shown)),
	         ex->name);
	return mnt_reply(ms, req, &res, MOUNT_MNT_OK);
}

static struct rpc_dispatch_result proc_umnt(struct mount_server *ms, struct rpc_request *req)
{
	struct mount_name arg;
	enum mount_dec_path st = mount_dec_dirpath(&req->args, &arg);
	if (st == MOUNT_PATH_GARBAGE) {
		atomic_fetch_add_explicit(&ms->garbage_args, 1, memory_order_relaxed);
		return rpc_dispatch_done(RPC_GARBAGE_ARGS);
	}
	char host[64], path[MNTPATHLEN + 1];
	rpc_addr_host(rpc_conn_peer_addr(req->conn), host, sizeof(host));
	/* UMNT has no result: a path that was never mounted is no error. */
	if (st == MOUNT_PATH_OK && mount_path_tidy(arg.data, arg.len, path))
		list_remove(ms, host, path);
	return rpc_dispatch_done(RPC_SUCCESS);
}

static struct rpc_dispatch_result proc_umntall(struct mount_server *ms, struct rpc_request *req)
{
	char host[64];
	rpc_addr_host(rpc_conn_peer_addr(req->conn), host, sizeof(host));
	list_remove(ms, host, NULL);
	return rpc_dispatch_done(RPC_SUCCESS);
}

/* Room left in the reply for bytes more, keeping 4 for the list's end. */
static bool reply_has_room(const struct xdr_enc *e, size_t bytes)
{
	return xdr_enc_len(e) + bytes + 4 <= e->limit;
}

static struct rpc_dispatch_result proc_dump(struct mount_server *ms, struct rpc_request *req)
{
	pthread_mutex_lock(&ms->lock);
	bool cut = false;
	for (struct mount_listed *m = ms->head; m && !cut; m = m->next) {
		struct mount_body b = {
		    .host = {(const uint8_t *)m->e.host, (uint32_t)strlen(m->e.host)},
		    .dir = {(const uint8_t *)m->e.path, (uint32_t)strlen(m->e.path)},
		};
		size_t need = 4 + 4 + xdr_pad4(b.host.len) + 4 + xdr_pad4(b.dir.len);
		cut = !reply_has_room(&req->reply, need);
		if (!cut)
			mount_enc_more(&req->reply, true), mount_enc_body(&req->reply, &b);
	}
	pthread_mutex_unlock(&ms->lock);
	if (cut)
		log_ratelimited("mount: DUMP's reply holds only part of the mount list");
	mount_enc_more(&req->reply, false);
	return rpc_dispatch_done(req->reply.overflow ? RPC_SYSTEM_ERR : RPC_SUCCESS);
}

static struct rpc_dispatch_result proc_export(struct mount_server *ms, struct rpc_request *req)
{
	struct xdr_enc *e = &req->reply;
	for (unsigned i = 0; i < exports_slots_used(ms->exps); i++) {
		struct export *ex = exports_at(ms->exps, i);
		if (!ex)
			continue;
		/* nfs3 = no: MNT would refuse it, so it is not offered. */
		if (atomic_load_explicit(&ex->no_nfs3, memory_order_relaxed))
			continue;
		const struct export_client_list *cl =
		    atomic_load_explicit(&ex->clients, memory_order_acquire);
		/* An export of an exports(5) file by its directory, as
		 * knfsd's showmount -e lists it (MNT takes either). */
		const char *shown = cl && cl->from_exports_file ? ex->path : ex->pseudo;
		struct mount_name dir = {(const uint8_t *)shown, (uint32_t)strlen(shown)};
		mount_enc_more(e, true);
		mount_enc_export_dir(e, &dir);
		for (unsigned g = 0; cl && g < cl->n; g++) {
			struct mount_name name = {(const uint8_t *)cl->text[g],
			                          (uint32_t)strlen(cl->text[g])};
			mount_enc_more(e, true);
			mount_enc_group(e, &name);
		}
		mount_enc_more(e, false);
	}
	mount_enc_more(e, false);
	return rpc_dispatch_done(e->overflow ? RPC_SYSTEM_ERR : RPC_SUCCESS);
}

static struct rpc_dispatch_result mount_dispatch(struct rpc_request *req, void *ctx)
{
	struct mount_server *ms = ctx;
	uint32_t proc = req->hdr.proc;
	if (proc >= MOUNTPROC3_COUNT)
		return rpc_dispatch_done(RPC_PROC_UNAVAIL);
	/* A MNT deferred to a worker comes here twice: counted once. */
	if (!req->on_worker)
		atomic_fetch_add_explicit(&ms->calls[proc], 1, memory_order_relaxed);
	switch ((enum mount_proc)proc) {
	case MOUNTPROC3_NULL:
		return rpc_dispatch_done(RPC_SUCCESS);
	case MOUNTPROC3_MNT:
		return proc_mnt(ms, req);
	case MOUNTPROC3_DUMP:
		return proc_dump(ms, req);
	case MOUNTPROC3_UMNT:
		return proc_umnt(ms, req);
	case MOUNTPROC3_UMNTALL:
		return proc_umntall(ms, req);
	case MOUNTPROC3_EXPORT:
		return proc_export(ms, req);
	case MOUNTPROC3_COUNT:
		break;
	}
	return rpc_dispatch_done(RPC_PROC_UNAVAIL);
}

void mount_program_describe(struct rpc_program *p, struct mount_server *ms)
{
	*p = rpc_program_single(MOUNT_PROGRAM, MOUNT_V3, mount_dispatch, ms);
}

void mount_server_get_stats(struct mount_server *ms, struct mount_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < MOUNTPROC3_COUNT; i++)
		out->calls[i] = atomic_load_explicit(&ms->calls[i], memory_order_relaxed);
	for (unsigned i = 0; i < MOUNT_MNT_OUTCOMES; i++)
		out->mnt[i] = atomic_load_explicit(&ms->mnt[i], memory_order_relaxed);
	out->garbage_args = atomic_load_explicit(&ms->garbage_args, memory_order_relaxed);
	out->list_full = atomic_load_explicit(&ms->list_full, memory_order_relaxed);
	pthread_mutex_lock(&ms->lock);
	out->entries = ms->entries;
	pthread_mutex_unlock(&ms->lock);
}

const char *mount_proc_name(unsigned proc)
{
	static const char *const names[MOUNTPROC3_COUNT] = {"null", "mnt",     "dump",
	                                                    "umnt", "umntall", "export"};
	return proc < MOUNTPROC3_COUNT ? names[proc] : "unknown";
}

const char *mount_mnt_outcome_name(enum mount_mnt_outcome o)
{
	static const char *const names[MOUNT_MNT_OUTCOMES] = {"ok",          "noent",   "acces",
	                                                      "nametoolong", "notsupp", "other"};
	return (unsigned)o < MOUNT_MNT_OUTCOMES ? names[o] : "unknown";
}
