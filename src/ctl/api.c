/* /api/v1: JSON views of the server and the few changes the control plane
 * makes.  Every change is validated whole (JSON syntax, known fields,
 * types, ranges, ids) before anything is applied. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ctl/ctl_internal.h"
#include "export/export.h"
#include "nfs3/nfs3.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "state/clients/session.h"
#include "state/state.h"
#include "state/lifecycle/state_info.h"
#include "xdr/mount_prot.h"
#include "xdr/nfs4_types.h"

json_t *ctl_api_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages echo ids and paths from the request (URL-decoded, so any
	 * bytes) and may be cut inside a character; jansson refuses a string
	 * that is not UTF-8, and the client would get no reply at all. */
	size_t n = strlen(msg);
	if (!nfs4_utf8_valid((const uint8_t *)msg, n))
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)msg[i] >= 0x80)
				msg[i] = '?';
	return json_pack("{s:s}", "error", msg);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static json_t *clientid_json(uint64_t id)
{
	char s[20];
	snprintf(s, sizeof(s), "%016" PRIx64, id);
	return json_string(s);
}

/* Bytes from the wire or the file system (owner names, machine names,
 * paths) as a JSON string: printable ASCII as is, the rest as \xHH, so an
 * odd name cannot make the reply invalid UTF-8 (which jansson refuses);
 * "..." marks a name that was cut. */
static json_t *bytes_json(const uint8_t *p, size_t len, bool cut)
{
	char *s = malloc(4 * len + 4);
	if (!s)
		return json_string("");
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			s[o++] = (char)p[i];
		else
			o += (size_t)sprintf(s + o, "\\x%02x", p[i]);
	}
	if (cut)
		o += (size_t)sprintf(s + o, "...");
	s[o] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

static json_t *text_json(const char *t)
{
	return bytes_json((const uint8_t *)t, strlen(t), false);
}

static const char *cb_status_name(enum state_cb_status s)
{
	return s == STATE_CB_UP ? "up" : s == STATE_CB_DOWN ? "down" : "unknown";
}

static const char *dir_name(unsigned dir)
{
	return dir == (STATE_CONN_FORE | STATE_CONN_BACK) ? "both"
	       : dir == STATE_CONN_BACK			? "back"
								: "fore";
}

/* --- reads ------------------------------------------------------------------------- */

static unsigned get_server(struct ctl_server *cs, json_t **out)
{
	struct nfs4_server *nfs = cs->ctx.nfs;
	struct state_stats s;
	state_get_stats(nfs->state, &s);
	struct state_session_stats ss;
	state_get_session_stats(nfs->state, &ss);
	char verf[2 * sizeof(nfs->write_verifier) + 1];
	hex(verf, nfs->write_verifier, sizeof(nfs->write_verifier));
	*out = json_pack("{s:s, s:f, s:s, s:s#, s:b, s:i, s:{s:i, s:i}, s:I, s:I, s:I, s:I, s:I}",
			 "version",
			 FERRY_VERSION, "uptime_seconds",
			 (double)(clock_now_ms() - cs->start_mono_ms) / 1000.0, "boot_verifier",
			 verf, "server_owner", (const char *)nfs->server_owner,
			 (int)nfs->server_owner_len, "grace", s.in_grace, "lease_time_seconds",
			 (int)nfs->lease_time_s, "minor_versions", "min", (int)nfs->minor_min, "max",
			 (int)nfs->minor_max, "clients",
			 (json_int_t)(s.clients_confirmed + s.clients_unconfirmed), "sessions",
			 (json_int_t)ss.sessions, "opens", (json_int_t)s.opens, "state_memory_bytes",
			 (json_int_t)s.memory_bytes, "state_memory_budget_bytes",
			 (json_int_t)s.memory_budget);
	return 200;
}

static json_t *listener_json(struct ctl_server *cs, unsigned i)
{
	uint32_t lo, hi;
	nfs4_server_listener_minor(cs->ctx.nfs, (int)i, &lo, &hi);
	/* Whether NFSv3 and MOUNT are served there (listen = ADDR,v3=no,mount=no). */
	bool v3 = cs->ctx.rpc && rpc_server_serves(cs->ctx.rpc, NFS3_PROGRAM, NFS3_VERSION, (int)i);
	bool mount = cs->ctx.rpc && rpc_server_serves(cs->ctx.rpc, MOUNT_PROGRAM, MOUNT_V3, (int)i);
	return json_pack("{s:i, s:s, s:i, s:i, s:b, s:b}", "index", (int)i, "address",
			 cs->ctx.listeners[i], "min_minor", (int)lo, "max_minor", (int)hi, "nfs3",
			 v3, "mount", mount);
}

static unsigned get_listeners(struct ctl_server *cs, json_t **out)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < cs->ctx.nlisteners; i++)
		json_array_append_new(a, listener_json(cs, i));
	*out = a;
	return 200;
}

/* What a back end with a storage of its own tells of it (ceph). */
static json_t *storage_json(const struct export *e)
{
	struct backend_status st;
	e->ops->status(e->bex, &st);
	json_t *calls = json_object();
	for (unsigned k = 0; k < st.ncalls; k++)
		json_object_set_new(calls, st.calls[k].name,
				    json_pack("{s:I, s:I, s:f}", "calls",
					      (json_int_t)st.calls[k].calls, "errors",
					      (json_int_t)st.calls[k].errors, "seconds",
					      (double)st.calls[k].ns / 1e9));
	json_t *o = json_pack("{s:b, s:o, s:o, s:o}", "connected", st.connected, "session",
			      text_json(st.session), "state", text_json(st.state), "calls", calls);
	if (st.caps >= 0)
		json_object_set_new(o, "caps", json_integer(st.caps));
	if (st.inodes >= 0)
		json_object_set_new(o, "inodes", json_integer(st.inodes));
	if (st.write_inflight_bytes >= 0)
		json_object_set_new(o, "write_inflight_bytes",
				    json_integer(st.write_inflight_bytes));
	json_object_set_new(o, "write_settles", json_integer((json_int_t)st.write_settles));
	json_object_set_new(o, "write_settle_waits",
			    json_integer((json_int_t)st.write_settle_waits));
	json_object_set_new(o, "read_cache_hits", json_integer((json_int_t)st.read_cache_hits));
	json_object_set_new(o, "read_cache_fills", json_integer((json_int_t)st.read_cache_fills));
	json_object_set_new(o, "read_cache_recalls",
			    json_integer((json_int_t)st.read_cache_recalls));
	return o;
}

static unsigned get_exports(struct ctl_server *cs, json_t **out)
{
	static const char *const squash[] = {"root", "all", "none"};
	const struct exports *ex = &cs->ctx.nfs->exports;
	json_t *a = json_array();
	for (unsigned i = 0; i < exports_slots_used(ex); i++) {
		const struct export *e = exports_at(ex, i);
		if (!e)
			continue;
		json_t *clients = json_array(), *exportfs = json_array();
		const struct export_client_list *cl =
			atomic_load_explicit(&((struct export *)e)->clients, memory_order_acquire);
		for (unsigned k = 0; cl && k < cl->n; k++)
			json_array_append_new(clients, json_string(cl->text[k]));
		/* What each client gets, in knfsd's words (ferryctl exportfs
		 * -v): every entry, or everyone when the export lists none. */
		unsigned listed = cl ? cl->n : 0;
		for (unsigned k = 0; k < (listed ? listed : 1); k++) {
			char opts[256];
			export_options_text(e, cl, listed ? (int)k : -1, opts, sizeof(opts));
			json_array_append_new(exportfs,
					      json_pack("{s:o, s:s}", "client",
							text_json(listed ? cl->text[k] : "*"),
							"options", opts));
		}
		const char *name = e->name, *backend = e->ops ? e->ops->name : "";
		json_array_append_new(
			a, json_pack("{s:I, s:o, s:o, s:o, s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:o, "
				     "s:s}",
				     "id", (json_int_t)e->id, "name", text_json(name), "path",
				     text_json(e->path), "pseudo", text_json(e->pseudo), "access",
				     e->read_only ? "ro" : "rw", "squash",
				     squash[e->squash <= EXPORT_SQUASH_NONE ? e->squash : 0], "secure",
				     !atomic_load_explicit(&((struct export *)e)->insecure,
							   memory_order_relaxed),
				     "async",
				     atomic_load_explicit(&((struct export *)e)->async,
							  memory_order_relaxed),
				     "secure_locks",
				     !atomic_load_explicit(&((struct export *)e)->insecure_locks,
							   memory_order_relaxed),
				     "anonuid",
				     (json_int_t)e->anonuid, "anongid", (json_int_t)e->anongid,
				     "clients", clients, "backend", backend));
		json_t *row = json_array_get(a, json_array_size(a) - 1);
		json_object_set_new(row, "exportfs", exportfs);
		json_object_set_new(row, "exports_file", json_boolean(cl && cl->from_exports_file));
		if (e->ops && e->ops->status)
			json_object_set_new(row, "storage", storage_json(e));
	}
	*out = a;
	return 200;
}

static unsigned get_clients(struct ctl_server *cs, json_t **out)
{
	struct state_server *st = cs->ctx.nfs->state;
	struct state_client_info *v;
	size_t n;
	struct state_session_info *sv;
	size_t sn;
	if (state_clients_snapshot(st, &v, &n) != 0)
		return *out = ctl_api_error("out of memory"), 500;
	if (state_sessions_snapshot(st, &sv, &sn) != 0) {
		free(v);
		return *out = ctl_api_error("out of memory"), 500;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct state_client_info *c = &v[i];
		/* v4.1: where its sessions' connections come from; v4.0:
		 * where its last SETCLIENTID, SETCLIENTID_CONFIRM or RENEW
		 * came from (it has no sessions; its other requests may come
		 * on any connection). */
		const char *addr = c->peer;
		for (size_t k = 0; k < sn && !addr[0]; k++)
			if (sv[k].clientid == c->clientid && sv[k].nconns)
				addr = rpc_conn_peer(sv[k].conns[0].conn);
		json_t *o = json_pack(
			"{s:o, s:o, s:i, s:b, s:o, s:I, s:f, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:I}}",
			"id",
			clientid_json(c->clientid), "owner",
			bytes_json(c->owner,
				   c->owner_len < STATE_INFO_OWNER_MAX ? c->owner_len : STATE_INFO_OWNER_MAX,
				   c->owner_len > STATE_INFO_OWNER_MAX),
			"minor", (int)c->minor, "confirmed", c->confirmed, "machine",
			text_json(c->machine),
			"uid", (json_int_t)c->uid, "lease_left_seconds",
			(double)c->lease_left_ms / 1000.0, "sessions", (int)c->sessions, "state",
			"owners", (int)c->owners, "opens", (int)c->opens, "lock_states",
			(int)c->lock_states, "locks", (int)c->locks, "delegations", (int)c->delegations,
			"memory_bytes", (json_int_t)c->memory_bytes);
		json_object_set_new(o, "address", json_string(addr));
		/* A client of a head this one took over, come in through that
		 * head's address: its state is kept apart (state_owner_key). */
		if (c->origin[0])
			json_object_set_new(o, "origin", json_string(c->origin));
		if (c->minor == 0) {
			json_object_set_new(o, "callback_address", text_json(c->cb.addr));
			json_object_set_new(o, "callback", json_string(cb_status_name(c->cb_status)));
		}
		json_array_append_new(a, o);
	}
	state_session_info_free(st, sv, sn);
	free(v);
	*out = a;
	return 200;
}

static json_t *session_json(const struct state_session_info *s)
{
	char id[2 * NFS4_SESSIONID_SIZE + 1];
	hex(id, s->id, sizeof(s->id));
	json_t *conns = json_array();
	for (unsigned c = 0; c < s->nconns && c < STATE_INFO_CONNS_MAX; c++)
		json_array_append_new(
			conns, json_pack("{s:s, s:s, s:i}", "peer", rpc_conn_peer(s->conns[c].conn),
					 "direction", dir_name(s->conns[c].dir), "listener",
					 rpc_conn_listener(s->conns[c].conn)));
	return json_pack("{s:s, s:o, s:i, s:i, s:i, s:I, s:{s:b, s:s, s:b, s:i, s:i}, s:i, s:o}",
			 "id", id, "client", clientid_json(s->clientid), "slots", (int)s->slots,
			 "slots_in_use", (int)s->slots_in_use, "target_highest_slotid",
			 (int)s->target_highest_slotid, "cache_bytes", (json_int_t)s->cache_bytes,
			 "back_channel", "wanted", s->back_wanted, "state",
			 s->back_wanted ? cb_status_name(s->cb_status) : "none", "fault",
			 s->cb_fault, "program", (int)s->cb_program, "slots", (int)s->back_slots,
			 "connection_count", (int)s->nconns, "connections", conns);
}

static unsigned get_sessions(struct ctl_server *cs, json_t **out)
{
	struct state_server *st = cs->ctx.nfs->state;
	struct state_session_info *v;
	size_t n;
	if (state_sessions_snapshot(st, &v, &n) != 0)
		return *out = ctl_api_error("out of memory"), 500;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, session_json(&v[i]));
	state_session_info_free(st, v, n);
	*out = a;
	return 200;
}

/* Every open connection, with the sessions it is bound to and in which
 * direction (v4.0 clients' connections have none: nothing ties them to a
 * client). */
static unsigned get_connections(struct ctl_server *cs, json_t **out)
{
	struct state_server *st = cs->ctx.nfs->state;
	struct rpc_server_stats rs;
	rpc_server_get_stats(cs->ctx.rpc, &rs);
	struct rpc_conn_info *cv;
	size_t cn;
	if (rpc_server_list_conns(cs->ctx.rpc, &cv, &cn) != 0)
		return *out = ctl_api_error("out of memory"), 500;
	struct state_session_info *v;
	size_t n;
	if (state_sessions_snapshot(st, &v, &n) != 0) {
		rpc_conn_info_free(cv, cn);
		return *out = ctl_api_error("out of memory"), 500;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < cn; i++) {
		json_t *sess = json_array();
		for (size_t j = 0; j < n; j++)
			for (unsigned d = 0; d < v[j].nconns && d < STATE_INFO_CONNS_MAX; d++)
				if (v[j].conns[d].conn == cv[i].conn) {
					char id[2 * NFS4_SESSIONID_SIZE + 1];
					hex(id, v[j].id, sizeof(v[j].id));
					json_array_append_new(
						sess, json_pack("{s:s, s:s}", "session", id, "direction",
								dir_name(v[j].conns[d].dir)));
				}
		const char *transport;
		json_t *tls = ctl_tls_conn_json(cv[i].conn, &transport);
		json_array_append_new(
			list, json_pack("{s:s, s:i, s:i, s:f, s:o, s:s, s:o}", "peer", cv[i].peer,
					"listener", cv[i].listener, "requests_in_flight",
					(int)cv[i].inflight, "age_seconds",
					(double)cv[i].age_ms / 1000.0, "sessions", sess, "transport",
					transport, "tls", tls));
	}
	state_session_info_free(st, v, n);
	rpc_conn_info_free(cv, cn);
	*out = json_pack("{s:I, s:I, s:I, s:o}", "open", (json_int_t)rs.connections_open,
			 "accepted", (json_int_t)rs.connections_accepted, "requests_in_flight",
			 (json_int_t)rs.inflight, "connections", list);
	return 200;
}

/* --- changes ------------------------------------------------------------------------ */

unsigned ctl_api_parse_int_fields(const char *body, size_t len, const char *const *names,
				 long long *vals, unsigned nnames, json_t **out)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*out = ctl_api_error("the body is not valid JSON: %s (line %d, column %d)",
				     jerr.text, jerr.line, jerr.column);
		return 400;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*out = ctl_api_error("the body must be a JSON object");
		return 400;
	}
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		unsigned i = 0;
		while (i < nnames && strcmp(key, names[i]) != 0)
			i++;
		if (i == nnames) {
			*out = ctl_api_error("unknown field \"%s\"", key);
			json_decref(root);
			return 400;
		}
		if (!json_is_integer(val)) {
			*out = ctl_api_error("field \"%s\" must be an integer", key);
			json_decref(root);
			return 400;
		}
		vals[i] = json_integer_value(val);
	}
	json_decref(root);
	return 0;
}

/* A listener by index ("0") or bound address ("127.0.0.1:2049"); -1 if none. */
static int find_listener(struct ctl_server *cs, const char *id)
{
	char *end;
	unsigned long v = strtoul(id, &end, 10);
	if (*id && !*end)
		return v < cs->ctx.nlisteners ? (int)v : -1;
	for (unsigned i = 0; i < cs->ctx.nlisteners; i++)
		if (strcmp(cs->ctx.listeners[i], id) == 0)
			return (int)i;
	return -1;
}

static unsigned put_listener(struct ctl_server *cs, const char *id, const char *body,
			     size_t len, json_t **out)
{
	int idx = find_listener(cs, id);
	if (idx < 0) {
		*out = ctl_api_error("no listener \"%s\" (give its index or its address as "
				     "GET /api/v1/listeners lists it)",
				     id);
		return 404;
	}
	uint32_t lo, hi;
	nfs4_server_listener_minor(cs->ctx.nfs, idx, &lo, &hi);
	static const char *const names[] = {"min_minor", "max_minor"};
	long long vals[2] = {lo, hi};
	unsigned st = ctl_api_parse_int_fields(body, len, names, vals, 2, out);
	if (st)
		return st;
	if (vals[0] < 0 || vals[1] < 0 || vals[0] > NFS4_MINOR_HIGHEST ||
	    vals[1] > NFS4_MINOR_HIGHEST) {
		*out = ctl_api_error("minor versions must be within 0..%d", NFS4_MINOR_HIGHEST);
		return 400;
	}
	if (vals[0] > vals[1]) {
		*out = ctl_api_error("min_minor %lld is above max_minor %lld", vals[0], vals[1]);
		return 400;
	}
	int rc = nfs4_server_set_listener_minor(cs->ctx.nfs, (unsigned)idx, (uint32_t)vals[0],
						(uint32_t)vals[1]);
	if (rc) {
		*out = ctl_api_error("cannot change the listener: %s", strerror(-rc));
		return 400;
	}
	*out = listener_json(cs, (unsigned)idx);
	return 200;
}

static unsigned delete_client(struct ctl_server *cs, const char *id, json_t **out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(id, &end, 16);
	if (!*id || *end || errno || strlen(id) > 16) {
		*out = ctl_api_error("\"%s\" is not a client id (16 hex digits, as "
				     "GET /api/v1/clients lists them)",
				     id);
		return 400;
	}
	if (state_client_evict(cs->ctx.nfs->state, v) != 0) {
		*out = ctl_api_error("no client %s", id);
		return 404;
	}
	*out = json_pack("{s:o}", "evicted", clientid_json(v));
	return 200;
}

static unsigned post_reload(struct ctl_server *cs, const char *body, size_t len, json_t **out)
{
	if (len) {
		json_error_t jerr;
		json_t *root = json_loadb(body, len, 0, &jerr);
		bool empty = root && json_is_object(root) && json_object_size(root) == 0;
		json_decref(root);
		if (!empty) {
			*out = ctl_api_error("exports/reload takes no fields (an empty body or {})");
			return 400;
		}
	}
	if (!cs->ctx.reload_exports) {
		*out = ctl_api_error("this server cannot reload its exports");
		return 501;
	}
	char err[512] = "";
	int rc = cs->ctx.reload_exports(cs->ctx.reload_arg, err, sizeof(err));
	if (rc) {
		*out = ctl_api_error("exports not reloaded: %s", err[0] ? err : strerror(-rc));
		return rc == -ENOMEM ? 500 : 409;
	}
	return get_exports(cs, out);
}

static unsigned post_upgrade(struct ctl_server *cs, const char *body, size_t len, json_t **out)
{
	const char *binary = NULL;
	json_t *root = NULL;
	if (len) {
		json_error_t jerr;
		root = json_loadb(body, len, 0, &jerr);
		json_t *b = root ? json_object_get(root, "binary") : NULL;
		bool ok = root && json_is_object(root) &&
			  json_object_size(root) == (b ? 1u : 0u) && (!b || json_is_string(b));
		if (!ok) {
			json_decref(root);
			*out = ctl_api_error("upgrade takes {} or {\"binary\": \"/path/to/ferryd\"}");
			return 400;
		}
		binary = b ? json_string_value(b) : NULL;
		if (binary && binary[0] != '/') {
			json_decref(root);
			*out = ctl_api_error("the binary must be an absolute path");
			return 400;
		}
	}
	if (!cs->ctx.upgrade) {
		json_decref(root);
		*out = ctl_api_error("this server cannot be upgraded in place");
		return 501;
	}
	struct ctl_upgrade_result res;
	memset(&res, 0, sizeof(res));
	int rc = cs->ctx.upgrade(cs->ctx.upgrade_arg, binary, &res);
	json_decref(root);
	if (rc) {
		*out = ctl_api_error("not upgraded: %s; this ferryd serves on",
				     res.err[0] ? res.err : strerror(-rc));
		return rc == -EBUSY ? 409 : rc == -ENOTSUP ? 501 : 502;
	}
	*out = json_pack("{s:i, s:I, s:I, s:I, s:I}", "pid", res.pid, "stall_ms",
			 (json_int_t)res.stall_ms, "connections", (json_int_t)res.connections,
			 "listeners", (json_int_t)res.listeners, "tls_closed",
			 (json_int_t)res.tls_closed);
	return 200;
}

/* --- routing --------------------------------------------------------------------------- */

unsigned ctl_api_handle(struct ctl_server *cs, const char *method, const char *path,
			const char *body, size_t body_len, json_t **reply)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	static const struct {
		const char *path;
		unsigned (*get)(struct ctl_server *, json_t **);
	} reads[] = {
		{"/server", get_server},   {"/listeners", get_listeners}, {"/exports", get_exports},
		{"/clients", get_clients}, {"/sessions", get_sessions},	  {"/connections", get_connections},
		{"/cluster", ctl_cluster_get},	   {"/gss", ctl_gss_get},
		{"/nlm", ctl_nlm_get},
		{"/mounts", ctl_mounts_get},
	};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		if (strcmp(path, reads[i].path) != 0)
			continue;
		if (!get) {
			*reply = ctl_api_error("%s is read-only: use GET", reads[i].path);
			return 405;
		}
		return reads[i].get(cs, reply);
	}
	if (strncmp(path, "/listeners/", 11) == 0 && path[11]) {
		if (strcmp(method, "PUT") != 0 && strcmp(method, "PATCH") != 0) {
			*reply = ctl_api_error("a listener is changed with PUT or PATCH");
			return 405;
		}
		return put_listener(cs, path + 11, body, body_len, reply);
	}
	if (strncmp(path, "/clients/", 9) == 0 && path[9]) {
		if (strcmp(method, "DELETE") != 0) {
			*reply = ctl_api_error("a client is evicted with DELETE");
			return 405;
		}
		return delete_client(cs, path + 9, reply);
	}
	if (strcmp(path, "/exports/reload") == 0) {
		if (strcmp(method, "POST") != 0) {
			*reply = ctl_api_error("exports are reloaded with POST");
			return 405;
		}
		return post_reload(cs, body, body_len, reply);
	}
	if (strcmp(path, "/upgrade") == 0) {
		if (strcmp(method, "POST") != 0) {
			*reply = ctl_api_error("an upgrade is asked with POST");
			return 405;
		}
		return post_upgrade(cs, body, body_len, reply);
	}
	if (strncmp(path, "/cluster/config", 15) == 0 && (!path[15] || path[15] == '/'))
		return ctl_cluster_config_handle(cs, method, path + 15, body, body_len, reply);
	if (strcmp(path, "/cluster/takeover") == 0 || strcmp(path, "/cluster/remove") == 0) {
		if (strcmp(method, "POST") != 0) {
			*reply = ctl_api_error("%s is asked with POST", path);
			return 405;
		}
		return path[9] == 't' ? ctl_cluster_takeover(cs, body, body_len, reply)
				      : ctl_cluster_remove(cs, body, body_len, reply);
	}
	*reply = ctl_api_error("no such resource: /api/v1%s", path);
	return 404;
}
