/* The NFSACL codec: program 100227 version 3, the side protocol through
 * which NFSv3 clients read and write POSIX ACLs (getfacl/setfacl on a
 * vers=3 mount).  No RFC describes it; these are the wire types Solaris
 * defined and Linux's client and server speak:
 *
 *   GETACL3args  { nfs_fh3 fh; uint32 mask; }
 *   GETACL3res   { nfsstat3 status; post_op_attr attr;
 *                  and when NFS3_OK: uint32 mask; secattr acl; }
 *   SETACL3args  { nfs_fh3 fh; uint32 mask; secattr acl; }
 *   SETACL3res   { nfsstat3 status; post_op_attr attr; }
 *   secattr      { aclent access; aclent default; }
 *   aclent       { uint32 count; ace entries<NFSACL_MAX_ENTRIES>; }
 *   ace          { uint32 type; uint32 id; uint32 perm; }
 *
 * count is the ACL's number of entries; the array carries them only when
 * the mask asks for them (NFSACL_ACL, NFSACL_DFACL), so a count may come
 * without its entries.  A type is a POSIX ACL tag (USER_OBJ 0x01 ...
 * OTHER 0x20), with NFSACL_DEFAULT set on a default ACL's entries.
 *
 * Decoding is in place: a list's entries stay in the input
 * (nfsacl_list_at reads one). */
#ifndef FERRY_XDR_NFSACL_CODEC_H
#define FERRY_XDR_NFSACL_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs3_codec.h"

enum {
	NFSACL_PROGRAM = 100227,
	NFSACL_VERSION = 3,
};

enum nfsacl_proc {
	NFSACLPROC3_NULL = 0,
	NFSACLPROC3_GETACL = 1,
	NFSACLPROC3_SETACL = 2,
	NFSACLPROC3_COUNT = 3,
};

enum {
	/* The mask: which parts a call asks for or sets. */
	NFSACL_ACL = 0x1,      /* the access ACL's entries */
	NFSACL_ACLCNT = 0x2,   /* its count */
	NFSACL_DFACL = 0x4,    /* the default ACL's entries */
	NFSACL_DFACLCNT = 0x8, /* its count */
	NFSACL_MASK_ALL = 0xf,
	/* Set in the type of a default ACL's entries. */
	NFSACL_DEFAULT = 0x1000,
	/* The most entries a list carries (Linux's and Solaris's limit). */
	NFSACL_MAX_ENTRIES = 1024,
	NFSACL_ACE_SIZE = 12,
};

struct nfsacl_ace {
	uint32_t type, id, perm;
};

struct nfsacl_list {
	uint32_t count; /* the ACL's entries */
	uint32_t n;     /* entries on the wire: count, or 0 when not asked for */
	/* Decoding: the n entries in the input; encoding: ignored. */
	const uint8_t *wire;
	/* Encoding: the n entries; decoding: ignored. */
	const struct nfsacl_ace *v;
};

/* Entry i (< n) of a decoded list. */
struct nfsacl_ace nfsacl_list_at(const struct nfsacl_list *l, uint32_t i);

struct nfsacl_getacl_args {
	struct nfs3_fh fh;
	uint32_t mask;
};

struct nfsacl_setacl_args {
	struct nfs3_fh fh;
	uint32_t mask;
	struct nfsacl_list access, dflt;
};

union nfsacl_args {
	struct nfsacl_getacl_args getacl;
	struct nfsacl_setacl_args setacl;
};

/* GETACL's and SETACL's results (SETACL: status and attr only). */
struct nfsacl_res {
	uint32_t status; /* enum nfsstat3 */
	struct nfs3_post_attr attr;
	uint32_t mask;
	struct nfsacl_list access, dflt;
};

/* The arguments of proc.  False for a procedure outside 0..2 or
 * arguments that do not decode (GARBAGE_ARGS): a list longer than
 * NFSACL_MAX_ENTRIES, SETACL with mask bits outside NFSACL_MASK_ALL or
 * whose list the mask sets carries other than its count of entries. */
bool nfsacl_xdr_args(struct xdr_stream *x, uint32_t proc, union nfsacl_args *a);
/* The results of proc. */
bool nfsacl_xdr_res(struct xdr_stream *x, uint32_t proc, struct nfsacl_res *r);

/* The procedure's name ("GETACL"), "?" outside 0..2. */
const char *nfsacl_proc_name(uint32_t proc);

#endif
