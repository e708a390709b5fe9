#include "inproc_server.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs4/engine/compound.h"
#include "rpc/rpc_msg.h"
#include "rpc/server_internal.h"
#include "xdr/nfs4_prot.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

bool inproc_add_memory_export(struct ferry_config *cfg, const char *name, const char *pseudo)
{
	char spec[256], err[256];
	snprintf(spec, sizeof(spec), "%s:%s", name, pseudo);
	if (!config_add_export_spec(cfg, spec, err, sizeof(err)))
		return false;
	struct config_export *e = &cfg->exports[cfg->nexports - 1];
	snprintf(e->backend, sizeof(e->backend), "memory");
	e->squash = CONFIG_SQUASH_NONE;
	return true;
}

static bool build(struct inproc *ip, bool with_state_dir, enum log_level log_level)
{
	memset(ip, 0, sizeof(*ip));
	if (with_state_dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(ip->dir, sizeof(ip->dir), "%s/ferry-nfs4-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(ip->dir))
			goto fail;
	}
	config_init_defaults(&ip->cfg);
	ip->cfg.rpcbind = false;
	ip->cfg.grace_time_s = 0;
	snprintf(ip->cfg.state_dir, sizeof(ip->cfg.state_dir), "%s", ip->dir);
	snprintf(ip->cfg.owner_domain, sizeof(ip->cfg.owner_domain), "example.org");
	if (!inproc_add_memory_export(&ip->cfg, "mema", INPROC_EXPORT_A) ||
	    !inproc_add_memory_export(&ip->cfg, "memb", INPROC_EXPORT_B))
		goto fail;
	char err[256];
	if (!config_finish(&ip->cfg, err, sizeof(err)))
		goto fail;
	/* config_finish names a default state directory; diskless has none. */
	if (!with_state_dir)
		ip->cfg.state_dir[0] = '\0';
	log_set_level(log_level);
	if (nfs4_server_init(&ip->nfs, &ip->cfg) != 0)
		goto fail;

	/* Never started: it only gives the connection its limits. */
	struct rpc_server_options o;
	rpc_server_options_default(&o);
	o.event_loops = 1;
	o.workers = 1;
	o.max_record_size = ip->cfg.max_record_size;
	ip->rpc = rpc_server_create(&o);
	if (!ip->rpc)
		goto fail;
	ip->nfs.rpc = ip->rpc;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(800)};
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ip->conn = rpc_conn_new(ip->rpc, -1, (const struct sockaddr *)&peer, sizeof(peer));
	if (!ip->conn)
		goto fail;

	ip->cred.flavor = RPC_AUTH_SYS;
	snprintf(ip->cred.machinename, sizeof(ip->cred.machinename), "inproc");
	ip->xid = 0x1f000000;
	return true;
fail:
	fprintf(stderr, "inproc_server: cannot build the server%s%s\n",
		ip->dir[0] ? " in " : "", ip->dir);
	return false;
}

struct inproc *inproc_new(void)
{
	struct inproc *ip = malloc(sizeof(*ip));
	if (ip && !build(ip, true, LOG_LEVEL_WARN)) {
		free(ip);
		ip = NULL;
	}
	return ip;
}

struct inproc *inproc_new_diskless(enum log_level log_level)
{
	struct inproc *ip = malloc(sizeof(*ip));
	if (ip && !inproc_init_diskless(ip, log_level)) {
		free(ip);
		ip = NULL;
	}
	return ip;
}

bool inproc_init_diskless(struct inproc *ip, enum log_level log_level)
{
	return build(ip, false, log_level);
}

void inproc_free(struct inproc *ip)
{
	if (!ip)
		return;
	inproc_fini(ip);
	free(ip);
}

void inproc_fini(struct inproc *ip)
{
	nfs4_server_fini(&ip->nfs);
	if (ip->conn)
		rpc_conn_unref(ip->conn);
	rpc_server_destroy(ip->rpc);
	if (ip->dir[0])
		nftw(ip->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool inproc_serve(struct inproc *ip, const uint8_t *args, size_t len, struct inproc_served *out)
{
	memset(out, 0, sizeof(*out));
	struct rpc_request req;
	memset(&req, 0, sizeof(req));
	req.conn = ip->conn;
	req.hdr.xid = ip->xid++;
	req.hdr.rpcvers = 2;
	req.hdr.prog = NFS4_PROGRAM;
	req.hdr.vers = NFS4_VERSION;
	req.hdr.proc = NFSPROC4_COMPOUND;
	req.hdr.cred_flavor = ip->cred.flavor;
	req.cred = ip->cred;
	xdr_dec_init(&req.args, args, len);
	/* Laid out as the dispatcher lays it out: record mark, accepted reply
	 * header, then the results, under the same size limit. */
	if (!xdr_enc_init(&req.reply, 512, (size_t)ip->cfg.max_record_size + 4))
		return false;
	xdr_enc_reserve(&req.reply, 4);
	rpc_encode_accepted(&req.reply, req.hdr.xid, RPC_SUCCESS);
	req.results_off = xdr_enc_len(&req.reply);
	/* Everything runs on this thread: pretend to be the worker pool, so an
	 * operation that may block does not ask to be moved. */
	req.on_worker = true;

	out->result = nfs4_compound(&ip->nfs, &req);
	out->prog_state_left = req.prog_state != NULL;
	/* A replay's kept results go out by reference after the header: put
	 * them where the caller reads the reply, as the wire would carry it. */
	if (req.tail) {
		uint8_t *p = xdr_enc_reserve(&req.reply, req.tail_len);
		if (p)
			memcpy(p, req.tail->data + req.tail_off, req.tail_len);
		buf_unref(req.tail);
		req.tail = NULL;
	}
	out->reply = xdr_enc_take(&req.reply);
	out->results_off = req.results_off;
	return true;
}
