/* A small NFSv3 client for protocol tests: calls made with the codec
 * (xdr/nfs3_codec.h), results decoded the same way. */
#ifndef FERRY_TESTS_NFS3_CLIENT_H
#define FERRY_TESTS_NFS3_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/rpctest.h"
#include "xdr/nfs3_codec.h"

enum { NFS3C_MAX_ENTRIES = 512 };

/* A handle kept by the test. */
struct nfs3c_fh {
	uint8_t data[NFS3_FHSIZE];
	uint32_t len;
};

static inline struct nfs3_fh nfs3c_wire(const struct nfs3c_fh *fh)
{
	return (struct nfs3_fh){fh->data, fh->len};
}

/* A decoded result; its pointers go into raw (nfs3c_release). */
struct nfs3c_res {
	struct rpctest_reply raw;
	struct nfs3_res res;
	struct nfs3_entry entries[NFS3C_MAX_ENTRIES];
	/* Where the results start and how long they are (DRC replays are
	 * compared byte for byte). */
	const uint8_t *body;
	size_t body_len;
};

/* Encodes a's arguments of proc into a new buffer (the caller's). */
struct buf *nfs3c_encode_args(uint32_t proc, union nfs3_args *a);

/* Calls proc with xid (0: a fresh one) under cred (NULL: root's AUTH_SYS).
 * 0 with the results decoded; -EPROTO when the call was not accepted with
 * SUCCESS (out->raw.hdr tells how; release it still); -EBADMSG when the
 * results do not decode; another negative errno from the transport. */
int nfs3c_call_xid(int fd, uint32_t xid, const struct rpc_cred *cred, uint32_t proc,
		   union nfs3_args *a, struct nfs3c_res *out);
int nfs3c_call(int fd, const struct rpc_cred *cred, uint32_t proc, union nfs3_args *a,
	       struct nfs3c_res *out);
void nfs3c_release(struct nfs3c_res *r);

/* The handle of the export at pseudo path "/export" (one component per
 * name, NULL-terminated), found through NFSv4 (PUTROOTFH, LOOKUPs,
 * GETFH): handles are the same for every version.  0 or -1. */
int nfs3c_export_root(int fd, const char *const *names, struct nfs3c_fh *out);

/* Shorthands that assert success and return what tests need. */
uint32_t nfs3c_lookup(int fd, const struct nfs3c_fh *dir, const char *name, struct nfs3c_fh *out);
uint32_t nfs3c_create(int fd, const struct nfs3c_fh *dir, const char *name, uint32_t mode,
		      struct nfs3c_fh *out);
void nfs3c_copy_fh(struct nfs3c_fh *dst, const struct nfs3_fh *src);
struct nfs3_str nfs3c_str(const char *s);

#endif
