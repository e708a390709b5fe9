/* The MOUNT protocol's numbers: version 3 (RFC 1813, appendix I). */
#ifndef FERRY_XDR_MOUNT_PROT_H
#define FERRY_XDR_MOUNT_PROT_H

enum {
	MOUNT_PROGRAM = 100005,
	MOUNT_V3 = 3,

	MNTPATHLEN = 1024, /* a dirpath's longest */
	MNTNAMLEN = 255,   /* a name's longest (hosts, groups) */
	FHSIZE3 = 64,      /* an NFSv3 file handle's longest */
};

enum mount_proc {
	MOUNTPROC3_NULL = 0,
	MOUNTPROC3_MNT = 1,
	MOUNTPROC3_DUMP = 2,
	MOUNTPROC3_UMNT = 3,
	MOUNTPROC3_UMNTALL = 4,
	MOUNTPROC3_EXPORT = 5,
	MOUNTPROC3_COUNT
};

enum mountstat3 {
	MNT3_OK = 0,
	MNT3ERR_PERM = 1,
	MNT3ERR_NOENT = 2,
	MNT3ERR_IO = 5,
	MNT3ERR_ACCES = 13,
	MNT3ERR_NOTDIR = 20,
	MNT3ERR_INVAL = 22,
	MNT3ERR_NAMETOOLONG = 63,
	MNT3ERR_NOTSUPP = 10004,
	MNT3ERR_SERVERFAULT = 10006,
};

/* The flavours MNT's auth_flavors lists (RFC 2623 section 2.7 and the
 * RPCSEC_GSS pseudo-flavours of RFC 2623 section 2.9). */
enum {
	MOUNT_FLAVOR_NONE = 0,
	MOUNT_FLAVOR_SYS = 1,
	MOUNT_FLAVOR_KRB5 = 390003,
	MOUNT_FLAVOR_KRB5I = 390004,
	MOUNT_FLAVOR_KRB5P = 390005,
};

#endif
