/* NFSv4.2 data operations (RFC 7862): ALLOCATE, DEALLOCATE, SEEK,
 * READ_PLUS, CLONE and IO_ADVISE.  COPY and the offload operations live
 * elsewhere; WRITE_SAME, LAYOUTERROR and LAYOUTSTATS are refused by the op
 * table (no application data blocks, no pNFS). */
#include <errno.h>
#include <string.h>

#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"

/* A range [offset, offset + length) that the host can address: no file
 * reaches past INT64_MAX bytes. */
static bool range_fits(uint64_t offset, uint64_t length)
{
	return offset <= (uint64_t)INT64_MAX && length <= (uint64_t)INT64_MAX - offset;
}

/* ALLOCATE and DEALLOCATE: the stateid is checked as for WRITE (RFC 7862
 * 15.1.3, 15.4.3), which also recalls other clients' delegations (the
 * answer is NFS4ERR_DELAY meanwhile), as a WRITE or a SETATTR of the size
 * would. */
static enum nfsstat4 space_change(struct nfs4_compound *c, const struct nfs4_allocate_args *a,
				  bool punch)
{
	struct backend_attr attr;
	enum nfsstat4 st = nfs4_need_regular_attr(c, &c->cfh, &attr);
	if (st != NFS4_OK)
		return st;
	if (a->length == 0)
		return NFS4ERR_INVAL;
	if (!range_fits(a->offset, a->length))
		return NFS4ERR_FBIG;
	if ((st = nfs4_check_io_stateid(c, &a->stateid, true, a->offset, a->length)) != NFS4_OK)
		return st;
	struct export *ex = c->cfh.export;
	enum backend_space what = punch ? BACKEND_SPACE_DEALLOCATE : BACKEND_SPACE_ALLOCATE;
	int rc = ex->ops->space(ex->bex, &c->cred, &c->cfh.bh, a->offset, a->length, what);
	if (rc)
		return nfs4_errno_to_status(rc);
	/* The new size and the allocation are the file's metadata. */
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ATTRS);
	nfs4_data_changed(c);
	return NFS4_OK;
}

/* The size grows when the range ends past it (RFC 7862 15.1.3). */
enum nfsstat4 nfs4_op_allocate(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_allocate_args *a = args;
	return space_change(c, a, false);
}

/* The size never changes: a range past the end frees up to it (RFC 7862
 * 15.4.3). */
enum nfsstat4 nfs4_op_deallocate(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_deallocate_args *a = args;
	return space_change(c, a, true);
}

enum nfsstat4 nfs4_op_seek(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_seek_args *a = args;
	/* NFS4_OPF_NEED_REG: the current fh is a regular file. */
	const struct backend_attr *attr = c->cfh_attr;
	enum nfsstat4 st;
	if (a->what != NFS4_CONTENT_DATA && a->what != NFS4_CONTENT_HOLE)
		return NFS4ERR_UNION_NOTSUPP;
	/* As for READ, with no byte range to test against locks. */
	if ((st = nfs4_check_io_stateid(c, &a->stateid, false, a->offset, 0)) != NFS4_OK)
		return st;
	/* RFC 7862 15.11.3: an offset at or past the end is NFS4ERR_NXIO
	 * (there is no byte there to start from). */
	if (a->offset >= attr->size)
		return NFS4ERR_NXIO;
	struct export *ex = c->cfh.export;
	uint64_t pos = 0;
	int rc = ex->ops->seek(ex->bex, &c->cred, &c->cfh.bh, a->offset,
			       a->what == NFS4_CONTENT_DATA ? BACKEND_SEEK_DATA : BACKEND_SEEK_HOLE,
			       &pos);
	struct nfs4_seek_res r = {.eof = false, .offset = pos};
	if (rc == -ENXIO && a->what == NFS4_CONTENT_DATA) {
		/* No data after the offset: not an error, but the end
		 * (RFC 7862 15.11.3: sr_eof true).  The file may also have
		 * shrunk since its size was read. */
		r.eof = true;
		r.offset = attr->size;
	} else if (rc) {
		return nfs4_errno_to_status(rc);
	} else {
		/* A hole found at the end is the end of the file. */
		r.eof = pos >= attr->size;
	}
	nfs4_enc_seek_res(res, &r);
	return NFS4_OK;
}

/* READ_PLUS holds at most NFS4_READ_PLUS_SEGMENTS_MAX segments (ops.h). */
enum { READ_PLUS_SEGMENTS_MAX = NFS4_READ_PLUS_SEGMENTS_MAX };

/* One data segment of [pos, pos + len) read straight into the reply (or
 * spliced, as READ's data: the first large one of a reply);
 * *got is what was read (less at the end of the file). */
static enum nfsstat4 read_plus_data(struct nfs4_compound *c, struct nfs4_read_plus_enc *r,
				    uint64_t pos, uint32_t len, uint32_t *got, bool *eof)
{
	uint8_t *p = nfs4_enc_read_plus_data_reserve(r, pos, len);
	if (!p)
		return NFS4ERR_RESOURCE;
	size_t n = 0;
	int rc = nfs4_read_into(c, NULL, pos, len, p, &n, eof, NULL);
	if (rc)
		return nfs4_errno_to_status(rc); /* the dispatcher drops the body */
	nfs4_enc_read_plus_data_done(r, (uint32_t)n);
	*got = (uint32_t)n;
	return NFS4_OK;
}

/* The segments of [offset, offset + count) clipped to the file: holes as
 * hole segments, data as data (RFC 7862 15.10).  A segment never reaches
 * past the range asked for, so a client needs no clipping. */
enum nfsstat4 nfs4_op_read_plus(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_read_plus_args *a = args;
	/* NFS4_OPF_NEED_REG: the current fh is a regular file. */
	const struct backend_attr *attr = c->cfh_attr;
	enum nfsstat4 st;
	uint64_t offset = a->offset;
	uint32_t count = a->count;
	if ((st = nfs4_check_io_stateid(c, &a->stateid, false, offset, count)) != NFS4_OK)
		return st;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	struct nfs4_read_plus_enc r;
	if (!nfs4_enc_read_plus_begin(&r, res))
		return NFS4ERR_RESOURCE;
	uint64_t size = attr->size;
	uint64_t end = range_fits(offset, count) ? offset + count : (uint64_t)INT64_MAX;
	if (end > size)
		end = size;
	struct export *ex = c->cfh.export;
	uint64_t pos = offset;
	bool eof = offset >= size;
	while (pos < end && !eof && r.count < READ_PLUS_SEGMENTS_MAX) {
		uint64_t data = 0;
		int rc = ex->ops->seek(ex->bex, &c->cred, &c->cfh.bh, pos, BACKEND_SEEK_DATA, &data);
		if (rc == -ENXIO) {
			/* Only a hole from here to the end (or the file
			 * shrank under us: the hole then reads as nothing). */
			if (!nfs4_enc_read_plus_hole(&r, pos, end - pos))
				return NFS4ERR_RESOURCE;
			pos = end;
			eof = end >= size;
			break;
		}
		if (rc)
			return nfs4_errno_to_status(rc);
		if (data > pos) {
			uint64_t stop = data < end ? data : end;
			if (!nfs4_enc_read_plus_hole(&r, pos, stop - pos))
				return NFS4ERR_RESOURCE;
			pos = stop;
			if (pos >= end || r.count >= READ_PLUS_SEGMENTS_MAX)
				break;
		}
		uint64_t hole = 0;
		rc = ex->ops->seek(ex->bex, &c->cred, &c->cfh.bh, pos, BACKEND_SEEK_HOLE, &hole);
		if (rc == -ENXIO)
			hole = end; /* shrank: the read below says where it ends */
		else if (rc)
			return nfs4_errno_to_status(rc);
		uint64_t stop = hole > pos && hole < end ? hole : end;
		uint32_t want = (uint32_t)(stop - pos), got = 0;
		if ((st = read_plus_data(c, &r, pos, want, &got, &eof)) != NFS4_OK)
			return st;
		pos += got;
		if (got < want)
			break; /* a short read: the end of the file */
	}
	if (pos >= size)
		eof = true;
	if (!nfs4_enc_read_plus_finish(&r, eof))
		return NFS4ERR_RESOURCE;
	return NFS4_OK;
}

/* CLONE from the saved filehandle's file into the current one's (RFC 7862
 * 15.13).  The ranges follow the rules of 15.13.3: offsets aligned to
 * clone_blksize, the count too unless the range ends at the source's end;
 * a source range past the source's end is NFS4ERR_INVAL, as are
 * overlapping ranges of one file.  A file system that cannot clone answers
 * NFS4ERR_NOTSUPP. */
enum nfsstat4 nfs4_op_clone(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_clone_args *a = args;
	if (c->sfh.kind == FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	struct backend_attr src, dst;
	enum nfsstat4 st = nfs4_need_regular_attr(c, &c->sfh, &src);
	if (st == NFS4_OK)
		st = nfs4_need_regular_attr(c, &c->cfh, &dst);
	if (st != NFS4_OK)
		return st;
	/* One export is one file system to Ferry: never across them. */
	if (c->sfh.export != c->cfh.export)
		return NFS4ERR_XDEV;
	struct nfs4_stateid src_sid = a->src_stateid;
	/* The dispatcher resolves the destination's current stateid (RFC
	 * 8881 16.2.3.1.2); the source's is resolved here. */
	if ((st = nfs4_compound_resolve_stateid(c, &src_sid)) != NFS4_OK)
		return st;
	uint64_t src_off = a->src_offset, dst_off = a->dst_offset, count = a->count;
	if (src_off > src.size)
		return NFS4ERR_INVAL;
	/* A count of 0 clones to the end of the source. */
	if (count == 0)
		count = src.size - src_off;
	if (count > src.size - src_off)
		return NFS4ERR_INVAL;
	if (!range_fits(dst_off, count))
		return NFS4ERR_FBIG;
	bool same = fh_equal(&c->sfh, &c->cfh);
	if (same && count > 0 && src_off < dst_off + count && dst_off < src_off + count)
		return NFS4ERR_INVAL;
	struct export *ex = c->cfh.export;
	struct backend_fsstat fs = {0};
	int rc = ex->ops->statfs(ex->bex, &c->cfh.bh, &fs);
	if (rc)
		return nfs4_errno_to_status(rc);
	uint64_t blk = fs.clone_blksize;
	if (blk > 1 && (src_off % blk || dst_off % blk ||
			(count % blk && src_off + count != src.size)))
		return NFS4ERR_INVAL;
	if ((st = nfs4_check_io_stateid_fh(c, &c->sfh, &src_sid, false, src_off, count)) != NFS4_OK)
		return st;
	if ((st = nfs4_check_io_stateid(c, &a->dst_stateid, true, dst_off, count)) != NFS4_OK)
		return st;
	if (count == 0)
		return NFS4_OK;
	rc = ex->ops->clone(ex->bex, &c->cred, &c->sfh.bh, src_off, &c->cfh.bh, dst_off, count);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_data_changed(c);
	return NFS4_OK;
}

/* How many of the hints in set are among bits. */
static unsigned hints_among(const struct nfs4_bitmap *set, const unsigned *bits, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		k += nfs4_bitmap_isset(set, bits[i]);
	return k;
}

/* IO_ADVISE (RFC 7862 15.5): each hint that maps to posix_fadvise advice
 * is given to the back end, and the reply lists those it took.  Hints that
 * contradict each other (two access patterns; WILLNEED with DONTNEED) are
 * all left out: advice is never required, and taking one of them at
 * random would be a guess. */
enum nfsstat4 nfs4_op_io_advise(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_io_advise_args *a = args;
	/* NFS4_OPF_NEED_REG: the current fh is a regular file. */
	enum nfsstat4 st;
	if ((st = nfs4_check_io_stateid(c, &a->stateid, false, a->offset, 0)) != NFS4_OK)
		return st;
	static const unsigned patterns[] = {IO_ADVISE4_NORMAL, IO_ADVISE4_SEQUENTIAL,
					    IO_ADVISE4_SEQUENTIAL_BACKWARDS, IO_ADVISE4_RANDOM};
	static const unsigned caching[] = {IO_ADVISE4_WILLNEED, IO_ADVISE4_DONTNEED};
	static const struct {
		unsigned hint;
		enum backend_advice advice;
	} map[] = {
		{IO_ADVISE4_NORMAL, BACKEND_ADVISE_NORMAL},
		{IO_ADVISE4_SEQUENTIAL, BACKEND_ADVISE_SEQUENTIAL},
		{IO_ADVISE4_RANDOM, BACKEND_ADVISE_RANDOM},
		{IO_ADVISE4_WILLNEED, BACKEND_ADVISE_WILLNEED},
		{IO_ADVISE4_DONTNEED, BACKEND_ADVISE_DONTNEED},
		{IO_ADVISE4_NOREUSE, BACKEND_ADVISE_NOREUSE},
	};
	bool one_pattern = hints_among(&a->hints, patterns, 4) == 1;
	bool one_caching = hints_among(&a->hints, caching, 2) == 1;
	struct nfs4_io_advise_res r;
	memset(&r, 0, sizeof(r));
	struct export *ex = c->cfh.export;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		unsigned h = map[i].hint;
		if (!nfs4_bitmap_isset(&a->hints, h))
			continue;
		if ((h <= IO_ADVISE4_RANDOM && !one_pattern) ||
		    ((h == IO_ADVISE4_WILLNEED || h == IO_ADVISE4_DONTNEED) && !one_caching))
			continue;
		/* A count of 0 is to the end of the file, as for
		 * posix_fadvise. */
		int rc = ex->ops->advise(ex->bex, &c->cfh.bh, a->offset, a->count, map[i].advice);
		if (rc == 0)
			nfs4_bitmap_set(&r.hints, h);
		else if (rc != -EOPNOTSUPP)
			return nfs4_errno_to_status(rc);
	}
	nfs4_enc_io_advise_res(res, &r);
	return NFS4_OK;
}
