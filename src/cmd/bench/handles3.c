/* The file handles of an NFSv3 workload, got as an NFSv3 client gets them:
 * the export's root from MOUNT v3 MNT, then NFSv3 LOOKUP of each name from
 * there.  The files themselves are made by the workload's NFSv4.1 set-up;
 * a server's NFSv3 handles need not be its NFSv4 ones, so none of those is
 * sent in an NFSv3 call.
 *
 * MOUNT's port is --mount-port, or the server's rpcbind's answer (the
 * portmapper's GETPORT: MOUNT v3 over TCP).  These are blocking calls on
 * connections of their own, made before the run and closed after. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bench/bench.h"
#include "rpc/client.h"
#include "rpc/rpcbind.h"
#include "xdr/mount_codec.h"
#include "xdr/nfs3_codec.h"

/* The portmapper's port (RFC 1833). */
enum { PMAP_PORT = 111 };
enum { IPPROTO_TCP_NUMBER = 6 };

static unsigned timeout_ms(const struct bench_ctx *c) {
  return (unsigned)(c->opts.timeout_s * 1000.0);
}

/* "HOST:PORT" or "[V6]:PORT" of --server with the port replaced. */
static int server_at_port(struct bench_ctx *c, uint32_t port, char *out,
                          size_t len) {
  const char *colon = strrchr(c->opts.server, ':');
  if (!colon) {
    bench_fail(c, "--server %s has no port", c->opts.server);
    return -1;
  }
  int n = snprintf(out, len, "%.*s:%u", (int)(colon - c->opts.server),
                   c->opts.server, port);
  if (n < 0 || (size_t)n >= len) {
    bench_fail(c, "--server %s is too long", c->opts.server);
    return -1;
  }
  return 0;
}

/* One call on a connection of its own to port: the reply's results in
 * *reply from *off.  0, or -1 after bench_fail naming what. */
static int call_once(struct bench_ctx *c, struct rpc_client *cl, uint32_t prog,
                     uint32_t vers, uint32_t proc, const struct rpc_cred *cred,
                     const struct xdr_enc *args, struct buf **reply,
                     size_t *off, const char *what) {
  struct rpc_reply_hdr hdr;
  int rc = rpc_client_call(cl, prog, vers, proc, cred, args->buf->data,
                           xdr_enc_len(args), reply, &hdr, off, timeout_ms(c));
  if (rc != 0) {
    bench_fail(c, "%s: %s", what, strerror(-rc));
    return -1;
  }
  if (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS) {
    bench_fail(c,
               "%s: the call was not accepted (reply_stat %u, accept_stat %u, "
               "auth_stat %u)",
               what, hdr.reply_stat, hdr.accept_stat, hdr.auth_stat);
    buf_unref(*reply);
    *reply = NULL;
    return -1;
  }
  return 0;
}

static int connect_to(struct bench_ctx *c, struct rpc_client *cl, uint32_t port,
                      const char *what) {
  char hostport[300];
  if (server_at_port(c, port, hostport, sizeof(hostport)))
    return -1;
  int rc = rpc_client_connect(cl, hostport, timeout_ms(c));
  if (rc != 0) {
    bench_fail(c, "%s: cannot connect to %s: %s", what, hostport,
               strerror(-rc));
    return -1;
  }
  return 0;
}

/* MOUNT v3's TCP port from the server's rpcbind. */
static int mount_port_from_rpcbind(struct bench_ctx *c, uint32_t *port) {
  char hostport[300];
  if (server_at_port(c, PMAP_PORT, hostport, sizeof(hostport)))
    return -1;
  uint16_t p = 0;
  int rc = rpcbind_getport(hostport, RPC_CLIENT_PORT_RESERVED_IF_ALLOWED,
                           timeout_ms(c), MOUNT_PROGRAM, MOUNT_V3,
                           IPPROTO_TCP_NUMBER, &p);
  if (rc == -ENOENT) {
    bench_fail(
        c, "the server's rpcbind has no MOUNT v3 over TCP (give --mount-port)");
    return -1;
  }
  if (rc != 0) {
    bench_fail(c,
               "portmapper GETPORT of MOUNT v3/tcp at %s (or give "
               "--mount-port): %s",
               hostport, strerror(-rc));
    return -1;
  }
  *port = p;
  return 0;
}

/* MNT of --export: the export root's NFSv3 handle. */
static int mount_root(struct bench_ctx *c, uint32_t port,
                      struct bench_fh *root) {
  struct rpc_client cl;
  struct xdr_enc e;
  struct buf *reply = NULL;
  size_t off;
  int ret = -1;
  if (connect_to(c, &cl, port, "MOUNT"))
    return -1;
  if (!xdr_enc_init(&e, 1024, 1024)) {
    bench_fail(c, "out of memory");
    rpc_client_close(&cl);
    return -1;
  }
  struct mount_name path = {(const uint8_t *)c->opts.export_path,
                            (uint32_t)strlen(c->opts.export_path)};
  if (!mount_enc_dirpath(&e, &path)) {
    bench_fail(c, "--export %s is too long for MOUNT", c->opts.export_path);
  } else if (call_once(c, &cl, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_MNT,
                       &c->cred, &e, &reply, &off, "MOUNT v3 MNT") == 0) {
    struct xdr_dec d;
    struct mount_mnt_res r;
    xdr_dec_init(&d, reply->data + off, reply->len - off);
    if (!mount_dec_mnt_res(&d, &r))
      bench_fail(c, "MOUNT v3 MNT: malformed result");
    else if (r.status != MNT3_OK)
      bench_fail(c, "MOUNT v3 MNT %s: %s", c->opts.export_path,
                 mount_stat_name(r.status));
    else if (r.fh.len == 0 || r.fh.len > NFS3_FHSIZE)
      bench_fail(c, "MOUNT v3 MNT %s: a %u-byte file handle",
                 c->opts.export_path, r.fh.len);
    else {
      root->len = r.fh.len;
      memcpy(root->data, r.fh.data, r.fh.len);
      ret = 0;
    }
  }
  buf_unref(reply);
  xdr_enc_release(&e);
  rpc_client_close(&cl);
  return ret;
}

/* NFSv3 LOOKUP of name in dir on cl. */
static int lookup3(struct bench_ctx *c, struct rpc_client *cl,
                   const struct bench_fh *dir, const char *name,
                   struct bench_fh *out) {
  struct xdr_enc e;
  struct buf *reply = NULL;
  size_t off;
  int ret = -1;
  char what[300];
  snprintf(what, sizeof(what), "NFSv3 LOOKUP %s", name);
  if (!xdr_enc_init(&e, 1024, 1024)) {
    bench_fail(c, "out of memory");
    return -1;
  }
  union nfs3_args a;
  memset(&a, 0, sizeof(a));
  a.dirop.dir = (struct nfs3_fh){dir->data, dir->len};
  a.dirop.name =
      (struct nfs3_str){(const uint8_t *)name, (uint32_t)strlen(name)};
  struct xdr_stream x = XDR_ENC_STREAM(&e);
  if (!nfs3_xdr_args(&x, NFSPROC3_LOOKUP, &a)) {
    bench_fail(c, "%s: the arguments do not fit", what);
  } else if (call_once(c, cl, NFS3_PROGRAM, NFS3_VERSION, NFSPROC3_LOOKUP,
                       &c->cred, &e, &reply, &off, what) == 0) {
    struct xdr_dec d;
    struct nfs3_res r;
    memset(&r, 0, sizeof(r));
    xdr_dec_init(&d, reply->data + off, reply->len - off);
    struct xdr_stream xd = XDR_DEC_STREAM(&d);
    if (!nfs3_xdr_res(&xd, NFSPROC3_LOOKUP, &r))
      bench_fail(c, "%s: malformed result", what);
    else if (r.status != NFS3_OK)
      bench_fail(c, "%s: %s", what, bench_call_status_name(3, r.status));
    else if (r.fh.fh.len == 0 || r.fh.fh.len > sizeof(out->data))
      bench_fail(c, "%s: a %u-byte file handle", what, r.fh.fh.len);
    else {
      out->len = r.fh.fh.len;
      memcpy(out->data, r.fh.fh.data, r.fh.fh.len);
      ret = 0;
    }
  }
  buf_unref(reply);
  xdr_enc_release(&e);
  return ret;
}

int bench_v3_handles(struct bench_ctx *c) {
  struct bench_v3_fhs *h = &c->v3;
  uint32_t port = c->opts.mount_port;
  struct bench_fh root;
  if ((port == 0 && mount_port_from_rpcbind(c, &port)) ||
      mount_root(c, port, &root))
    return -1;
  const char *colon = strrchr(c->opts.server, ':');
  struct rpc_client cl;
  if (!colon ||
      connect_to(c, &cl, (uint32_t)strtoul(colon + 1, NULL, 10), "NFSv3"))
    return -1;
  const char *base = c->opts.workload->base_name;
  int rc = lookup3(c, &cl, &root, c->workdir, &h->workdir);
  if (rc == 0 && strcmp(base, "getattr") == 0) {
    rc = lookup3(c, &cl, &h->workdir, "f", &h->file);
  } else if (rc == 0 &&
             (strcmp(base, "read4k") == 0 || strcmp(base, "read1m") == 0)) {
    rc = lookup3(c, &cl, &h->workdir, "data", &h->file);
  } else if (rc == 0 && strcmp(base, "readdir") == 0) {
    rc = lookup3(c, &cl, &h->workdir, "dir", &h->dir);
  } else if (rc == 0 && strcmp(base, "lookup") == 0) {
    /* The lookup workload's d1/d2/.../dN, its file "f" in dN. */
    h->lookup_dir = h->workdir;
    for (unsigned i = 1; rc == 0 && i <= c->opts.depth; i++) {
      char name[16];
      snprintf(name, sizeof(name), "d%u", i);
      struct bench_fh parent = h->lookup_dir;
      rc = lookup3(c, &cl, &parent, name, &h->lookup_dir);
    }
  } else if (rc == 0 && strcmp(base, "write1m") == 0) {
    for (unsigned i = 0; rc == 0 && i < c->nsessions; i++) {
      char name[32];
      snprintf(name, sizeof(name), "w%u", i);
      rc = lookup3(c, &cl, &h->workdir, name, &c->sessions[i].wfh3);
    }
  }
  rpc_client_close(&cl);
  return rc;
}
