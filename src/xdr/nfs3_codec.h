/* The NFSv3 codec (RFC 1813): arguments and results of the 22 procedures,
 * both directions, each wire type described once on a struct xdr_stream.
 * The server decodes arguments and encodes results; ferry-bench, the tests
 * and the fuzz target go the other way.
 *
 * Decoding is in place: file handles, names, paths and WRITE's data point
 * into the input.  A directory listing's entries are encoded one at a time
 * (nfs3_xdr_entry, nfs3_xdr_entryplus) between the listing's head and its
 * end, so the server can stop at the client's size limits; decoding them
 * fills the caller's array (struct nfs3_dirlist). */
#ifndef FERRY_XDR_NFS3_CODEC_H
#define FERRY_XDR_NFS3_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs3_prot.h"
#include "xdr/xdr_stream.h"

/* filename3 and nfspath3 are string<> in RFC 1813; Ferry takes no longer
 * than these (NFS3ERR_NAMETOOLONG is for names the file system refuses). */
enum { NFS3_NAME_WIRE_MAX = 1024, NFS3_PATH_WIRE_MAX = 4096 };

struct nfs3_fh {
	const uint8_t *data;
	uint32_t len; /* at most NFS3_FHSIZE */
};

struct nfs3_str {
	const uint8_t *data;
	uint32_t len;
};

struct nfs3_time {
	uint32_t sec, nsec;
};

struct nfs3_fattr {
	uint32_t type; /* enum ftype3 */
	uint32_t mode, nlink, uid, gid;
	uint64_t size, used;
	uint32_t rdev_major, rdev_minor;
	uint64_t fsid, fileid;
	struct nfs3_time atime, mtime, ctime;
};

struct nfs3_post_attr {
	bool present;
	struct nfs3_fattr attr;
};

struct nfs3_wcc_attr {
	uint64_t size;
	struct nfs3_time mtime, ctime;
};

struct nfs3_pre_attr {
	bool present;
	struct nfs3_wcc_attr attr;
};

struct nfs3_wcc {
	struct nfs3_pre_attr before;
	struct nfs3_post_attr after;
};

struct nfs3_post_fh {
	bool present;
	struct nfs3_fh fh;
};

struct nfs3_sattr {
	bool set_mode, set_uid, set_gid, set_size;
	uint32_t mode, uid, gid;
	uint64_t size;
	uint32_t atime_how, mtime_how; /* enum time_how */
	struct nfs3_time atime, mtime;
};

struct nfs3_diropargs {
	struct nfs3_fh dir;
	struct nfs3_str name;
};

/* --- arguments --------------------------------------------------------- */

struct nfs3_setattr_args {
	struct nfs3_fh object;
	struct nfs3_sattr attr;
	bool guard_check;
	struct nfs3_time guard_ctime;
};

struct nfs3_access_args {
	struct nfs3_fh object;
	uint32_t access;
};

struct nfs3_read_args {
	struct nfs3_fh file;
	uint64_t offset;
	uint32_t count;
};

struct nfs3_write_args {
	struct nfs3_fh file;
	uint64_t offset;
	uint32_t count;
	uint32_t stable; /* enum stable_how */
	struct nfs3_str data;
};

struct nfs3_create_args {
	struct nfs3_diropargs where;
	uint32_t mode; /* enum createmode3 */
	struct nfs3_sattr attr;  /* UNCHECKED, GUARDED */
	uint8_t verf[NFS3_CREATEVERFSIZE]; /* EXCLUSIVE */
};

struct nfs3_mkdir_args {
	struct nfs3_diropargs where;
	struct nfs3_sattr attr;
};

struct nfs3_symlink_args {
	struct nfs3_diropargs where;
	struct nfs3_sattr attr;
	struct nfs3_str path;
};

struct nfs3_mknod_args {
	struct nfs3_diropargs where;
	uint32_t type; /* enum ftype3 */
	struct nfs3_sattr attr;   /* CHR, BLK, SOCK, FIFO */
	uint32_t major, minor;    /* CHR, BLK */
};

struct nfs3_rename_args {
	struct nfs3_diropargs from, to;
};

struct nfs3_link_args {
	struct nfs3_fh file;
	struct nfs3_diropargs link;
};

struct nfs3_readdir_args {
	struct nfs3_fh dir;
	uint64_t cookie;
	uint8_t verf[NFS3_COOKIEVERFSIZE];
	uint32_t count;    /* READDIR: the reply's size; READDIRPLUS: dircount */
	uint32_t maxcount; /* READDIRPLUS only */
};

struct nfs3_commit_args {
	struct nfs3_fh file;
	uint64_t offset;
	uint32_t count;
};

union nfs3_args {
	struct nfs3_fh fh; /* GETATTR READLINK FSSTAT FSINFO PATHCONF */
	struct nfs3_setattr_args setattr;
	struct nfs3_diropargs dirop; /* LOOKUP REMOVE RMDIR */
	struct nfs3_access_args access;
	struct nfs3_read_args read;
	struct nfs3_write_args write;
	struct nfs3_create_args create;
	struct nfs3_mkdir_args mkdir;
	struct nfs3_symlink_args symlink;
	struct nfs3_mknod_args mknod;
	struct nfs3_rename_args rename;
	struct nfs3_link_args link;
	struct nfs3_readdir_args readdir; /* READDIR READDIRPLUS */
	struct nfs3_commit_args commit;
};

/* The arguments of procedure proc.  False for a procedure outside 0..21
 * (nothing read) or arguments that do not decode (GARBAGE_ARGS). */
bool nfs3_xdr_args(struct xdr_stream *x, uint32_t proc, union nfs3_args *a);

/* --- results ----------------------------------------------------------- */

/* One entry of a listing: READDIR's entry3 (attr and fh unused) or
 * READDIRPLUS's entryplus3. */
struct nfs3_entry {
	uint64_t fileid;
	struct nfs3_str name;
	uint64_t cookie;
	struct nfs3_post_attr attr;
	struct nfs3_post_fh fh;
};

/* Decoding: the entries go into v (cap of them; more is a failure); n
 * and eof are set.  Encoding through nfs3_xdr_res writes the n entries
 * of v and eof. */
struct nfs3_dirlist {
	struct nfs3_entry *v;
	uint32_t n, cap;
	bool eof;
};

/* Results whose body on success and on failure is one post_op_attr plus,
 * on success, the procedure's own fields. */
struct nfs3_res {
	uint32_t status; /* enum nfsstat3 */
	/* GETATTR (ok: attr.attr, present ignored); SETATTR, WRITE, COMMIT,
	 * REMOVE, RMDIR, CREATE, MKDIR, SYMLINK, MKNOD, LINK's linkdir and
	 * RENAME's fromdir: wcc; RENAME's todir: wcc2. */
	struct nfs3_wcc wcc, wcc2;
	/* LOOKUP's obj_attributes, CREATE's and the other creates' post_op
	 * attributes, LINK's file_attributes, and the post_op_attr of
	 * ACCESS READLINK READ READDIR FSSTAT FSINFO PATHCONF. */
	struct nfs3_post_attr attr;
	/* LOOKUP's dir_attributes. */
	struct nfs3_post_attr dir_attr;
	struct nfs3_post_fh fh; /* the creates; LOOKUP's object (present ignored) */
	union {
		uint32_t access;
		struct nfs3_str path; /* READLINK */
		struct {
			uint32_t count;
			bool eof;
			struct nfs3_str data;
		} read;
		struct {
			uint32_t count;
			uint32_t committed;
			uint8_t verf[NFS3_WRITEVERFSIZE];
		} write;
		uint8_t commit_verf[NFS3_WRITEVERFSIZE];
		struct {
			uint8_t verf[NFS3_COOKIEVERFSIZE];
			struct nfs3_dirlist list;
		} readdir;
		struct {
			uint64_t tbytes, fbytes, abytes, tfiles, ffiles, afiles;
			uint32_t invarsec;
		} fsstat;
		struct {
			uint32_t rtmax, rtpref, rtmult, wtmax, wtpref, wtmult, dtpref;
			uint64_t maxfilesize;
			struct nfs3_time time_delta;
			uint32_t properties;
		} fsinfo;
		struct {
			uint32_t linkmax, name_max;
			bool no_trunc, chown_restricted, case_insensitive, case_preserving;
		} pathconf;
	} u;
};

/* The results of procedure proc (NULL: none). */
bool nfs3_xdr_res(struct xdr_stream *x, uint32_t proc, struct nfs3_res *r);

/* The wire types the server also writes on their own. */
bool nfs3_xdr_fh(struct xdr_stream *x, struct nfs3_fh *fh);
bool nfs3_xdr_post_attr(struct xdr_stream *x, struct nfs3_post_attr *a);
bool nfs3_xdr_wcc(struct xdr_stream *x, struct nfs3_wcc *w);
/* One entry of a listing with its value_follows (true) in front. */
bool nfs3_xdr_entry(struct xdr_stream *x, struct nfs3_entry *e, bool plus);
/* The head of a READDIR or READDIRPLUS result up to its first entry:
 * status, dir_attributes and, when OK, the cookie verifier. */
bool nfs3_xdr_readdir_head(struct xdr_stream *x, struct nfs3_res *r);
/* A listing's end: value_follows false, then eof. */
bool nfs3_xdr_dirlist_end(struct xdr_stream *x, bool *eof);

/* Bytes an entry takes on the wire (value_follows included): READDIR's
 * count and READDIRPLUS's maxcount are checked with all of it, dircount
 * with the part of entry3 (plus false). */
uint32_t nfs3_entry_size(const struct nfs3_entry *e, bool plus);

/* The procedure's name ("GETATTR"), "?" outside 0..21. */
const char *nfs3_proc_name(uint32_t proc);

#endif
