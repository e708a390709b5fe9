/* Shared by the control plane's files. */
#ifndef FERRY_CTL_CTL_INTERNAL_H
#define FERRY_CTL_CTL_INTERNAL_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ctl.h"

struct ctl_server {
	struct ctl_context ctx;
	struct MHD_Daemon *daemon;
	int listen_fd;
	char unix_path[108]; /* the socket file to remove at stop, or "" */
	char token[CTL_TOKEN_MAX];
	uint64_t start_realtime_ms; /* for uptime and process_start_time_seconds */
	uint64_t start_mono_ms;
	_Atomic unsigned requests; /* begun and not completed */
};

/* A growing text buffer; on out-of-memory it stops growing and says so. */
struct ctl_text {
	char *p;
	size_t len, cap;
	bool oom;
};

void ctl_text_printf(struct ctl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_text_free(struct ctl_text *t);

/* metrics.c: the whole /metrics page. */
void ctl_metrics_render(struct ctl_server *cs, struct ctl_text *out);

/* The parts of /metrics written by other files, in the text format
 * metrics.c writes: a family's HELP and TYPE lines; one series,
 * name{label="value"} v (label NULL: name v); a family of one unlabelled
 * value; a family of n series, one per value of label. */
struct ctl_series {
	const char *value;
	uint64_t v;
};
void ctl_metric_head(struct ctl_text *t, const char *name, const char *type, const char *help);
void ctl_metric_series(struct ctl_text *t, const char *name, const char *label, const char *value,
		       uint64_t v);
void ctl_metric_value(struct ctl_text *t, const char *name, const char *type, const char *help,
		      uint64_t v);
void ctl_metric_labelled(struct ctl_text *t, const char *name, const char *type, const char *help,
			 const char *label, const struct ctl_series *series, size_t n);

/* api.c: one request under /api/v1.  path is what follows "/api/v1";
 * body is the request body (NUL-terminated, may be empty).  Returns the
 * HTTP status and sets *reply (a new JSON value, owned by the caller). */
unsigned ctl_api_handle(struct ctl_server *cs, const char *method, const char *path,
			const char *body, size_t body_len, json_t **reply);

/* cluster.c: GET /cluster, POST /cluster/takeover and /cluster/remove,
 * and the ferry_cluster_* metrics (nothing when not clustered). */
unsigned ctl_cluster_get(struct ctl_server *cs, json_t **out);
unsigned ctl_cluster_takeover(struct ctl_server *cs, const char *body, size_t len, json_t **out);
unsigned ctl_cluster_remove(struct ctl_server *cs, const char *body, size_t len, json_t **out);
void ctl_cluster_metrics(struct ctl_server *cs, struct ctl_text *out);

/* health.c: GET /healthz (200 healthy, 503 with the problems) and the
 * ferry_healthy, ferry_event_loops_stuck, ferry_rpc_gate_drops_total
 * metrics. */
unsigned ctl_health(struct ctl_server *cs, json_t **out);
void ctl_health_metrics(struct ctl_server *cs, struct ctl_text *out);
/* cluster_config.c: /cluster/config and its exports, and the
 * ferry_cluster_config_* metrics (nothing without config = rados).
 * rest is what follows "/cluster/config". */
unsigned ctl_cluster_config_handle(struct ctl_server *cs, const char *method, const char *rest,
				   const char *body, size_t len, json_t **out);
void ctl_cluster_config_metrics(struct ctl_server *cs, struct ctl_text *out);

/* gss.c: GET /gss and the ferry_gss_* metrics (nothing when RPCSEC_GSS is
 * not served). */
unsigned ctl_gss_get(struct ctl_server *cs, json_t **out);
/* GET /api/v1/nlm (nlm.c). */
unsigned ctl_nlm_get(struct ctl_server *cs, json_t **out);
void ctl_gss_metrics(struct ctl_server *cs, struct ctl_text *out);
/* mounts.c: GET /mounts and the ferry_mount_* metrics (nothing when MOUNT
 * is not served). */
unsigned ctl_mounts_get(struct ctl_server *cs, json_t **out);
void ctl_mount_metrics(struct ctl_server *cs, struct ctl_text *out);
/* tls.c: a connection's TLS (JSON null when in plain text; *transport
 * "none", "tls" or "mtls"), and the ferry_tls_* metrics. */
struct rpc_conn;
json_t *ctl_tls_conn_json(struct rpc_conn *conn, const char **transport);
void ctl_tls_metrics(struct ctl_server *cs, struct ctl_text *out);

/* {"error": message} */
json_t *ctl_api_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A request body that must be a JSON object with only the given integer
 * fields (names[0 .. nnames)): 0 with vals[i] set for each field present
 * (the others keep their value), or 400 with *out the error to send (the
 * caller's reference).  Duplicate keys are refused. */
unsigned ctl_api_parse_int_fields(const char *body, size_t len, const char *const *names,
				  long long *vals, unsigned nnames, json_t **out);

#endif
