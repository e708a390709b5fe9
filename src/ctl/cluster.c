/* The control plane's view of clustered heads ([cluster] of ferryd.conf):
 *
 *   GET  /api/v1/cluster            this head, the epochs, every member's
 *                                   flags and addresses, reclaims outstanding
 *   POST /api/v1/cluster/takeover   {"node": "a"}: this head takes over
 *                                   failed head a (state_cluster_takeover:
 *                                   fences a first), ends a's storage
 *                                   sessions and listens on a's addresses;
 *                                   200 with "taken_over_by" another head
 *                                   (or this one) when a was taken over
 *                                   already, 503 with "retry_after_ms"
 *                                   while a may still be alive
 *   POST /api/v1/cluster/remove     {"node": "a"}: a will not come back
 *
 * and the ferry_cluster_* families of /metrics. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "core/log.h"
#include "ctl/ctl_internal.h"
#include "export/export.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "state/state.h"

static json_t *member_json(const struct state_cluster_member *m)
{
	json_t *addrs = json_array();
	char buf[STATE_CLUSTER_ADDRS_MAX];
	snprintf(buf, sizeof(buf), "%s", m->addrs);
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save))
		json_array_append_new(addrs, json_string(a));
	json_t *j = json_pack("{s:s, s:b, s:b, s:o, s:s}", "node", m->name, "need_grace", m->need,
			      "enforcing", m->enforcing, "addresses", addrs, "clients", m->fence);
	/* Unknown (never seen) is left out rather than shown as huge. */
	if (j && m->silent_ms != UINT64_MAX)
		json_object_set_new(j, "heartbeat_silent_ms", json_integer((json_int_t)m->silent_ms));
	return j;
}

unsigned ctl_cluster_get(struct ctl_server *cs, json_t **out)
{
	struct state_cluster_status *s = malloc(sizeof(*s));
	if (!s) {
		*out = ctl_api_error("out of memory");
		return 500;
	}
	state_cluster_status(cs->ctx.nfs->state, s);
	if (!s->enabled) {
		free(s);
		*out = json_pack("{s:b}", "clustered", 0);
		return 200;
	}
	json_t *members = json_array();
	for (size_t i = 0; i < s->nmembers; i++)
		json_array_append_new(members, member_json(&s->members[i]));
	*out = json_pack("{s:b, s:s, s:b, s:b, s:I, s:I, s:b, s:b, s:b, s:i, s:I, s:I, s:I, s:I, "
			 "s:I, s:o, s:s?}",
			 "clustered", 1, "node", s->node, "fenced", s->fenced, "acknowledging",
			 s->acknowledging, "fence_after_ms", (json_int_t)s->fence_after_ms,
			 "heartbeat_age_ms", (json_int_t)s->beat_age_ms, "in_grace", s->in_grace,
			 "reachable",
			 s->reachable, "reclaims_open", s->reclaims_open, "reclaims_outstanding",
			 (int)s->reclaims_outstanding, "epoch", (json_int_t)s->current,
			 "recovery_epoch", (json_int_t)s->recovery, "grace_since_ms",
			 (json_int_t)s->since_ms, "looks", (json_int_t)s->looks, "look_errors",
			 (json_int_t)s->look_errors, "members", members, "read_error",
			 s->read_error ? strerror(-s->read_error) : NULL);
	free(s);
	return 200;
}

/* {"node": "NAME"} and nothing else: the name, or 400 with *out. */
static unsigned node_field(const char *body, size_t len, char *node, size_t cap, json_t **out)
{
	json_error_t err;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	const char *name = NULL;
	if (!j || !json_is_object(j) || json_object_size(j) != 1 ||
	    !(name = json_string_value(json_object_get(j, "node"))) || !name[0] ||
	    strlen(name) >= cap) {
		json_decref(j);
		*out = ctl_api_error("the body must be {\"node\": \"NAME\"}, NAME a member of the "
				     "cluster");
		return 400;
	}
	snprintf(node, cap, "%s", name);
	json_decref(j);
	return 0;
}

static unsigned cluster_error(int rc, const char *node, const char *what, json_t **out)
{
	switch (rc) {
	case -ENOTSUP:
		*out = ctl_api_error("this server is not clustered ([cluster] node is not set)");
		return 409;
	case -ENOENT:
		*out = ctl_api_error("no head '%s' in the cluster", node);
		return 404;
	case -EINVAL:
		*out = ctl_api_error("'%s' is this head, or not a node name", node);
		return 400;
	default:
		*out = ctl_api_error("%s %s failed: %s", what, node, strerror(-rc));
		return 500;
	}
}

/* Whether this server already accepts connections to addr (HOST:PORT):
 * a listener on that address, or on the wildcard of its family and port. */
static bool already_listening(struct ctl_server *cs, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	if (!colon)
		return true;
	for (unsigned i = 0; i < cs->ctx.nlisteners; i++) {
		const char *l = cs->ctx.listeners[i], *lc = strrchr(l, ':');
		if (strcmp(l, addr) == 0)
			return true;
		if (!lc || strcmp(lc, colon) != 0)
			continue;
		if ((strncmp(l, "0.0.0.0:", 8) == 0 && addr[0] != '[') ||
		    (strncmp(l, "[::]:", 5) == 0 && addr[0] == '['))
			return true;
	}
	return false;
}

/* Whether a listener of this server is bound to addr itself. */
static bool listening_exactly(struct ctl_server *cs, const char *addr)
{
	for (unsigned i = 0; i < cs->ctx.nlisteners; i++)
		if (strcmp(cs->ctx.listeners[i], addr) == 0)
			return true;
	return false;
}

/* A word of a head's published addresses: "HOST:PORT" for its own,
 * "HOST:PORT@NODE" for an address of head NODE it took over
 * (ctl_cluster_publish).  Cuts word at the '@'; the origin, or dflt. */
static const char *address_origin(char *word, const char *dflt)
{
	char *at = strchr(word, '@');
	if (!at)
		return dflt;
	*at = '\0';
	return at + 1;
}

/* The addresses alone of a published list (address_origin), into out. */
static void addresses_only(const char *addrs, char *out, size_t cap)
{
	char buf[STATE_CLUSTER_ADDRS_MAX];
	snprintf(buf, sizeof(buf), "%s", addrs);
	out[0] = '\0';
	size_t len = 0;
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
		address_origin(a, NULL);
		int w = snprintf(out + len, cap - len, "%s%s", len ? " " : "", a);
		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
}

/* Listens on each of failed head node's addresses this server does not
 * serve yet, each under the head it belongs to (node, or the head node
 * took it over from); what it did goes into listening / failed. */
static void listen_on(struct ctl_server *cs, const char *node, const char *addrs,
		      json_t *listening, json_t *failed)
{
	char buf[STATE_CLUSTER_ADDRS_MAX];
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
		const char *origin = address_origin(a, node);
		if (already_listening(cs, a)) {
			if (!listening_exactly(cs, a))
				log_warn("cluster: node %s's address %s reaches this head's wildcard "
					 "listener: a client that mounts both heads with one owner "
					 "has one client here, not one per head",
					 origin, a);
			json_array_append_new(listening, json_string(a));
			continue;
		}
		if (cs->ctx.nlisteners >= CONFIG_MAX_LISTEN) {
			json_array_append_new(failed, json_pack("{s:s, s:s}", "address", a, "error",
								"no room for another listener"));
			continue;
		}
		/* Its minor versions first: it accepts as soon as it listens. */
		uint16_t port = 0;
		int idx = nfs4_server_add_listener(cs->ctx.nfs, cs->ctx.nlisteners, origin);
		if (idx == 0)
			idx = rpc_server_listen_more(cs->ctx.rpc, a, &port);
		if (idx < 0 || (unsigned)idx != cs->ctx.nlisteners) {
			json_array_append_new(failed,
					      json_pack("{s:s, s:s}", "address", a, "error",
							idx < 0 ? strerror(-idx) : "listener index"));
			continue;
		}
		snprintf(cs->ctx.listeners[idx], sizeof(cs->ctx.listeners[idx]), "%s", a);
		cs->ctx.nlisteners++;
		json_array_append_new(listening, json_string(a));
	}
}

/* Holds each of node's addresses this server does not listen on yet
 * (rpc_server_hold), under node's name. */
static void hold_addresses(struct ctl_server *cs, const char *node, const char *addrs)
{
	char buf[STATE_CLUSTER_ADDRS_MAX];
	addresses_only(addrs, buf, sizeof(buf));
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save))
		if (!already_listening(cs, a))
			rpc_server_hold(cs->ctx.rpc, a, node);
}

/* Whether word is one of the space-separated words of list. */
static bool words_contain(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += wl)
		if ((p == list || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0'))
			return true;
	return false;
}

/* Resets the connections node's clients had to the addresses taken over
 * (as node last published them), so that clients waiting for replies
 * from node reconnect here now, not after their RPC timeout; twice, for
 * a tickle can be lost and a client answers one each half second.  How
 * many connections were reset. */
static unsigned reset_clients(struct ctl_server *cs, const char *node, const char *published)
{
	char addrs[STATE_CLUSTER_ADDRS_MAX];
	addresses_only(published, addrs, sizeof(addrs));
	char *conns = NULL;
	int rc = state_cluster_peer_conns(cs->ctx.nfs->state, node, &conns);
	if (rc || !conns) {
		if (rc)
			log_warn("cluster: cannot read node %s's connections: %s; its clients "
				 "reconnect when their calls time out",
				 node, strerror(-rc));
		free(conns);
		return 0;
	}
	/* conns becomes the pairs' strings: "LOCAL\0PEER\0...". */
	size_t cap = 16, n = 0;
	const char *(*pairs)[2] = malloc(cap * sizeof(*pairs));
	char *save = NULL;
	for (char *w = strtok_r(conns, " ", &save); pairs && w; w = strtok_r(NULL, " ", &save)) {
		char *gt = strchr(w, '>');
		if (!gt)
			continue;
		*gt = '\0';
		/* Only connections to the addresses taken over here. */
		if (!words_contain(addrs, w))
			continue;
		if (n == cap) {
			const char *(*more)[2] = realloc(pairs, 2 * cap * sizeof(*pairs));
			if (!more)
				break;
			pairs = more;
			cap *= 2;
		}
		pairs[n][0] = w;
		pairs[n++][1] = gt + 1;
	}
	unsigned failed = 0;
	int err = 0;
	for (int round = 0; pairs && n && round < 2; round++) {
		if (round)
			nanosleep(&(struct timespec){.tv_nsec = 600 * 1000 * 1000}, NULL);
		for (size_t i = 0; i < n; i++) {
			int trc = rpc_tickle(pairs[i][0], pairs[i][1]);
			if (trc && round == 0) {
				failed++;
				err = trc;
			}
		}
	}
	free(pairs);
	free(conns);
	if (failed)
		log_warn("cluster: could not reset %u of node %s's %zu client connection(s): %s "
			 "(CAP_NET_RAW?); those clients reconnect when their calls time out",
			 failed, node, n, strerror(-err));
	else if (n)
		log_info("cluster: reset node %s's %zu client connection(s)", node, n);
	return (unsigned)n - failed;
}

/* Appends word to the space-separated list in buf (cap bytes); false
 * when it does not fit. */
static bool words_append(char *buf, size_t cap, const char *word)
{
	size_t len = strlen(buf);
	int w = snprintf(buf + len, cap - len, "%s%s", len ? " " : "", word);
	if (w < 0 || (size_t)w >= cap - len) {
		buf[len] = '\0';
		return false;
	}
	return true;
}

static uint64_t conns_changed(void *arg) { return rpc_server_conns_changed(arg); }

/* "LOCAL>PEER" for each TCP connection (not the local socket's). */
static char *conns_list(void *arg)
{
	struct rpc_conn_info *v;
	size_t n;
	if (rpc_server_list_conns(arg, &v, &n))
		return NULL;
	size_t cap = n * (2 * sizeof(v->peer) + 2) + 1, len = 0;
	char *out = malloc(cap);
	if (out) {
		out[0] = '\0';
		for (size_t i = 0; i < n; i++)
			if (v[i].local[0] && strchr(v[i].local, ':') && strchr(v[i].peer, ':'))
				len += (size_t)snprintf(out + len, cap - len, "%s%s>%s", len ? " " : "",
							v[i].local, v[i].peer);
	}
	rpc_conn_info_free(v, n);
	return out;
}

/* The peers sink: each of the other heads' addresses that is on no
 * interface here is held from now on (rpc_server_hold_ahead), so that
 * when keepalived moves one here, clients that reconnect before the
 * take-over wait for it instead of being refused. */
static void peers_told(void *arg, const struct state_cluster_member *peers, size_t n)
{
	struct rpc_server *rpc = arg;
	for (size_t i = 0; i < n; i++) {
		char buf[STATE_CLUSTER_ADDRS_MAX];
		addresses_only(peers[i].addrs, buf, sizeof(buf));
		for (char *save = NULL, *a = strtok_r(buf, " ", &save); a;
		     a = strtok_r(NULL, " ", &save)) {
			int rc = rpc_server_hold_ahead(rpc, a, peers[i].name);
			if (rc < 0)
				log_ratelimited("cluster: %s's address %s not held ahead (%s): "
						"clients that reconnect while it moves here may be "
						"refused once",
						peers[i].name, a, strerror(-rc));
		}
	}
}

int ctl_cluster_publish(struct ctl_context *ctx)
{
	/* Once, on the context the server was started from (the control
	 * server's copy keeps the same sources). */
	if (!ctx->conns_source.list) {
		ctx->conns_source = (struct state_cluster_conns_source){
			.changed = conns_changed, .list = conns_list, .arg = ctx->rpc};
		ctx->peers_sink = (struct state_cluster_peers_sink){.told = peers_told,
								    .arg = ctx->rpc};
		state_cluster_set_io(ctx->nfs->state, &ctx->conns_source, &ctx->peers_sink);
	}
	char addrs[STATE_CLUSTER_ADDRS_MAX] = "", clients[STATE_CLUSTER_ADDRS_MAX] = "";
	for (unsigned i = 0; i < ctx->nlisteners; i++) {
		/* An address taken over goes with its head's name: a head
		 * taking this one over keeps its clients apart too. */
		char word[sizeof(ctx->listeners[0]) + CONFIG_NAME_MAX + 1];
		const char *origin = nfs4_server_listener_origin(ctx->nfs, (int)i);
		snprintf(word, sizeof(word), "%s%s%s", ctx->listeners[i], origin[0] ? "@" : "",
			 origin);
		if (!words_append(addrs, sizeof(addrs), word))
			log_warn("cluster: listener %s does not fit in the addresses a take-over "
				 "listens on",
				 ctx->listeners[i]);
	}
	const struct exports *exps = &ctx->nfs->exports;
	for (unsigned i = 0, n = exports_slots_used(exps); i < n; i++) {
		const struct export *ex = exports_at(exps, i);
		char one[256];
		if (!ex || !ex->ops->client_instance || ex->ops->client_instance(ex->bex, one, sizeof(one)))
			continue;
		if (one[0] && !strstr(clients, one) && !words_append(clients, sizeof(clients), one))
			log_warn("export %s: its storage client %s does not fit in the list a take-over "
				 "blocklists",
				 ex->pseudo, one);
	}
	return state_cluster_publish(ctx->nfs->state, addrs, clients);
}

unsigned ctl_cluster_takeover(struct ctl_server *cs, const char *body, size_t len, json_t **out)
{
	char node[128];
	unsigned bad = node_field(body, len, node, sizeof(node), out);
	if (bad)
		return bad;
	struct state_cluster_takeover_result *r = malloc(sizeof(*r));
	if (!r) {
		*out = ctl_api_error("out of memory");
		return 500;
	}
	int rc = state_cluster_takeover(cs->ctx.nfs->state, node, r);
	if (rc == -EALREADY) {
		/* Done before, by this head or another: a success that does
		 * nothing more (and what this head held for it goes). */
		rpc_server_unhold(cs->ctx.rpc, node);
		*out = json_pack("{s:s, s:s, s:b, s:i}", "node", node, "taken_over_by", r->taken_by,
				 "already", 1, "records", (int)r->records);
		free(r);
		return 200;
	}
	if (rc == -EAGAIN) {
		/* Clients that reach node's addresses here before the
		 * take-over may run wait, connected, for it. */
		hold_addresses(cs, node, r->addrs);
		*out = json_pack("{s:s, s:s, s:I}", "node", node, "error",
				 "its heartbeat is too recent: it may still be alive (fence_after)",
				 "retry_after_ms", (json_int_t)r->retry_ms);
		free(r);
		return 503;
	}
	if (rc) {
		free(r);
		return cluster_error(rc, node, "taking over", out);
	}
	/* The failed head's locks and capabilities in the storage go now,
	 * before its clients come to reclaim them here. */
	json_t *sessions = json_array(), *failed = json_array();
	const struct exports *exps = &cs->ctx.nfs->exports;
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		const struct export *ex = exports_at(exps, i);
		if (!ex)
			continue;
		if (!ex->ops->end_peer_session)
			continue;
		int src = ex->ops->end_peer_session(ex->bex, node);
		if (src)
			json_array_append_new(failed, json_pack("{s:s, s:s}", "export", ex->pseudo,
								"error", strerror(-src)));
		else
			json_array_append_new(sessions, json_string(ex->pseudo));
	}
	json_t *listening = json_array();
	listen_on(cs, node, r->addrs, listening, failed);
	rpc_server_unhold(cs->ctx.rpc, node);
	/* The addresses taken over are this head's now: a head that takes
	 * this one over in turn listens on them too. */
	if (ctl_cluster_publish(&cs->ctx))
		json_array_append_new(failed, json_pack("{s:s, s:s}", "address", r->addrs, "error",
							"not published as this head's"));
	unsigned reset = reset_clients(cs, node, r->addrs);
	*out = json_pack("{s:s, s:s, s:b, s:i, s:o, s:o, s:o, s:i}", "node", node,
			 "taken_over_by", r->taken_by, "already", 0, "records", (int)r->records,
			 "sessions_ended", sessions, "listening", listening, "failed", failed,
			 "connections_reset", (int)reset);
	free(r);
	return 200;
}

unsigned ctl_cluster_remove(struct ctl_server *cs, const char *body, size_t len, json_t **out)
{
	char node[128];
	unsigned bad = node_field(body, len, node, sizeof(node), out);
	if (bad)
		return bad;
	int rc = state_cluster_remove(cs->ctx.nfs->state, node);
	if (rc)
		return cluster_error(rc, node, "removing", out);
	*out = json_pack("{s:s}", "removed", node);
	return 200;
}

/* One gauge family with a series per member: its enforcing flag, or its
 * need-grace flag. */
static void member_gauge(struct ctl_text *t, const struct state_cluster_status *s,
			 const char *name, const char *help, bool enforcing)
{
	ctl_text_printf(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct state_cluster_member *m = &s->members[i];
		ctl_text_printf(t, "%s{node=\"%s\"} %d\n", name, m->name,
				enforcing ? m->enforcing : m->need);
	}
}

void ctl_cluster_metrics(struct ctl_server *cs, struct ctl_text *t)
{
	struct state_cluster_status *s = malloc(sizeof(*s));
	if (!s)
		return;
	state_cluster_status(cs->ctx.nfs->state, s);
	if (!s->enabled) {
		free(s);
		return;
	}
	ctl_text_printf(t,
			"# HELP ferry_cluster_in_grace 1 while this head refuses new state for the "
			"cluster's grace (or cannot read the grace object).\n"
			"# TYPE ferry_cluster_in_grace gauge\nferry_cluster_in_grace %d\n",
			s->in_grace);
	ctl_text_printf(t,
			"# HELP ferry_cluster_reachable 1 when this head read the cluster's grace "
			"object recently.\n# TYPE ferry_cluster_reachable gauge\n"
			"ferry_cluster_reachable %d\n",
			s->reachable);
	ctl_text_printf(t,
			"# HELP ferry_cluster_fenced 1 once this head was taken over, replaced or "
			"blocklisted by another head (it is stopping).\n"
			"# TYPE ferry_cluster_fenced gauge\nferry_cluster_fenced %d\n",
			s->fenced);
	ctl_text_printf(t,
			"# HELP ferry_cluster_acknowledging 0 while this head answers nothing: "
			"fenced, or its heartbeat has not reached RADOS for nearly fence_after.\n"
			"# TYPE ferry_cluster_acknowledging gauge\nferry_cluster_acknowledging %d\n",
			s->acknowledging);
	ctl_text_printf(t,
			"# HELP ferry_cluster_heartbeat_age_seconds Since this head sent its last "
			"heartbeat that reached RADOS.\n"
			"# TYPE ferry_cluster_heartbeat_age_seconds gauge\n"
			"ferry_cluster_heartbeat_age_seconds %.3f\n",
			(double)s->beat_age_ms / 1000.0);
	ctl_text_printf(t,
			"# HELP ferry_cluster_reclaims_outstanding Client records on this head "
			"whose client has not reclaimed yet in the grace period.\n"
			"# TYPE ferry_cluster_reclaims_outstanding gauge\n"
			"ferry_cluster_reclaims_outstanding %u\n",
			s->reclaims_outstanding);
	ctl_text_printf(t,
			"# HELP ferry_cluster_grace_looks_total Reads of the grace object by this "
			"head, by result.\n# TYPE ferry_cluster_grace_looks_total counter\n"
			"ferry_cluster_grace_looks_total{result=\"ok\"} %llu\n"
			"ferry_cluster_grace_looks_total{result=\"error\"} %llu\n",
			(unsigned long long)s->looks, (unsigned long long)s->look_errors);
	if (s->read_error == 0) {
		ctl_text_printf(t,
				"# HELP ferry_cluster_epoch The cluster's grace epochs: current, and "
				"the one being recovered from (0: not in grace).\n"
				"# TYPE ferry_cluster_epoch gauge\n"
				"ferry_cluster_epoch{epoch=\"current\"} %llu\n"
				"ferry_cluster_epoch{epoch=\"recovery\"} %llu\n",
				(unsigned long long)s->current, (unsigned long long)s->recovery);
		member_gauge(t, s, "ferry_cluster_member_need_grace",
			     "1 for a member whose clients may still reclaim.", false);
		member_gauge(t, s, "ferry_cluster_member_enforcing",
			     "1 for a member that enforces the cluster's grace.", true);
	}
	free(s);
}
