/* The MOUNT protocol's arguments and results (xdr/mount_prot.h), both
 * directions: ferryd decodes arguments and encodes results, the tests and
 * fuzz targets do the other side with the same descriptions.
 *
 * Decoding is in place: names point into the input.  Lists (DUMP's mount
 * list, EXPORT's export list and each export's groups) are read one item
 * at a time, so no decoder allocates. */
#ifndef FERRY_XDR_MOUNT_CODEC_H
#define FERRY_XDR_MOUNT_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/mount_prot.h"
#include "xdr/xdr.h"

/* Bytes of a name or path, not NUL-terminated, pointing into the input
 * when decoded. */
struct mount_name {
	const uint8_t *data;
	uint32_t len;
};

/* --- dirpath: MNT's and UMNT's argument --------------------------------- */

enum mount_dec_path {
	MOUNT_PATH_OK,
	/* Well-formed, but longer than MNTPATHLEN: MNT3ERR_NAMETOOLONG. */
	MOUNT_PATH_TOO_LONG,
	/* Not a dirpath at all (short input, bytes left over): GARBAGE_ARGS. */
	MOUNT_PATH_GARBAGE,
};

/* Decodes a dirpath that must be the whole of d's input. */
enum mount_dec_path mount_dec_dirpath(struct xdr_dec *d, struct mount_name *path);
bool mount_enc_dirpath(struct xdr_enc *e, const struct mount_name *path);

/* --- MNT's result (mountres3) ------------------------------------------ */

enum { MOUNT_MAX_FLAVORS = 16 }; /* decoding refuses more */

struct mount_mnt_res {
	uint32_t status; /* enum mountstat3; the rest only for MNT3_OK */
	struct mount_name fh;
	uint32_t nflavors;
	uint32_t flavors[MOUNT_MAX_FLAVORS];
};

bool mount_enc_mnt_res(struct xdr_enc *e, const struct mount_mnt_res *r);
bool mount_dec_mnt_res(struct xdr_dec *d, struct mount_mnt_res *r);

/* --- lists --------------------------------------------------------------- */

/* Every list is a chain of "value follows" booleans, each TRUE before an
 * item and one FALSE at the end.  Encoding: mount_enc_more(e, true), the
 * item, ..., then mount_enc_more(e, false).  Decoding: mount_dec_more
 * until *more is false. */
bool mount_enc_more(struct xdr_enc *e, bool more);
bool mount_dec_more(struct xdr_dec *d, bool *more);

/* DUMP: one mountbody (a client host and the path it mounted). */
struct mount_body {
	struct mount_name host; /* name<MNTNAMLEN> */
	struct mount_name dir;  /* dirpath<MNTPATHLEN> */
};
bool mount_enc_body(struct xdr_enc *e, const struct mount_body *b);
bool mount_dec_body(struct xdr_dec *d, struct mount_body *b);

/* EXPORT: one exportnode's path, then its groups as a list of names
 * (mount_enc_more / mount_dec_more around each mount_*_group). */
bool mount_enc_name(struct xdr_enc *e, const struct mount_name *n, uint32_t max);
bool mount_dec_name(struct xdr_dec *d, struct mount_name *n, uint32_t max);
#define mount_enc_export_dir(e, n) mount_enc_name((e), (n), MNTPATHLEN)
#define mount_dec_export_dir(d, n) mount_dec_name((d), (n), MNTPATHLEN)
#define mount_enc_group(e, n) mount_enc_name((e), (n), MNTNAMLEN)
#define mount_dec_group(d, n) mount_dec_name((d), (n), MNTNAMLEN)

/* The text of a status ("MNT3ERR_ACCES"), for logs and tools. */
const char *mount_stat_name(uint32_t status);

#endif
