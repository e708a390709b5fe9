/* The kernel leases behind file delegations, carried by an in-place
 * upgrade (upgrade/upgrade.h) so that the delegations go over as they are.
 *
 * A lease is held on an open file description, not on a process: the old
 * ferryd lists each export's leases (backend_ops.lease_list), and the
 * image names each by export, handle, type, the file's change time and the
 * index of a duplicate of its descriptor, which the upgrade sends beside
 * the image.  The new
 * ferryd, once the old one has said go and before it serves anything,
 * makes each descriptor its back end's lease (backend_ops.lease_adopt):
 * break signals are pointed at its own lease thread, and a break that came
 * meanwhile is reported (a recall), and so is a change on the host since
 * the old ferryd listed the lease (the file's change time moved: a rename
 * or a chmod, which no lease holds back).  The old ferryd forgets its leases
 * without dropping them (backend_ops.lease_leave) before it exits.
 *
 * A ceph export's lease is a CephFS delegation of the old process's
 * session, which no descriptor carries: the image names it with no
 * descriptor (NFS4_LEASE_NO_FD), and the new ferryd's back end takes a
 * delegation of its own session while the old one's still holds other
 * CephFS clients back (read delegations of two sessions stand together).
 *
 * Which delegations go over: those of exports whose back end can hand its
 * leases over (nfs4_deleg_carryable), and every delegation of a back end
 * without leases.  The others are recalled first (state_deleg_suspend);
 * directory delegations go with their watches (dirs_carried.c).
 *
 * A lease that cannot be taken over here (its export is gone from the
 * configuration, the back end refuses it) leaves its delegations without
 * anything holding host processes back: they are revoked, and the holder
 * is told as for any revocation.  A lease left over with no delegation
 * (given back just before the image) is dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/server.h"
#include "xdr/xdr.h"

bool nfs4_deleg_carryable(void *arg, const struct state_file_key *file, bool dir)
{
	struct nfs4_server *srv = arg;
	struct export *ex = exports_find(&srv->exports, file->export_id);
	if (dir)
		return ex && (!ex->ops->dir_watch || ex->ops->dir_watch_adopt);
	return ex && (!ex->ops->lease || ex->ops->lease_adopt);
}

static void held_release(struct backend_lease_held *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].fd >= 0)
			close(v[i].fd);
	free(v);
}

struct buf *nfs4_deleg_leases_encode(const struct nfs4_lease_carried *v, size_t n)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 64 + n * 64, 1u << 30))
		return NULL;
	bool ok = xdr_encode_u32(&e, (uint32_t)n);
	for (size_t i = 0; ok && i < n; i++)
		ok = xdr_encode_u32(&e, v[i].export_id) &&
		     xdr_encode_opaque(&e, v[i].handle.data, v[i].handle.len) &&
		     xdr_encode_u32(&e, v[i].type) && xdr_encode_u32(&e, v[i].fd) &&
		     xdr_encode_u64(&e, v[i].changed_ns);
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		return NULL;
	}
	return xdr_enc_take(&e);
}

int nfs4_deleg_leases_save(struct nfs4_server *srv, struct buf **out, int **fds, size_t *nfds)
{
	*out = NULL;
	*fds = NULL;
	*nfds = 0;
	struct nfs4_lease_carried *v = NULL;
	int *f = NULL;
	size_t n = 0, nf = 0; /* leases; descriptors */
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < exports_slots_used(&srv->exports); i++) {
		struct export *ex = exports_at(&srv->exports, i);
		if (!ex || !ex->ops->lease_list)
			continue;
		struct backend_lease_held *held = NULL;
		size_t nheld = 0;
		rc = ex->ops->lease_list(ex->bex, &held, &nheld);
		if (rc || nheld == 0)
			continue;
		struct nfs4_lease_carried *mv = realloc(v, (n + nheld) * sizeof(*v));
		if (mv)
			v = mv;
		int *mf = mv ? realloc(f, (nf + nheld) * sizeof(*f)) : NULL;
		if (mf)
			f = mf;
		if (!mv || !mf) {
			held_release(held, nheld);
			rc = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < nheld; k++, n++) {
			bool has_fd = held[k].fd >= 0;
			v[n] = (struct nfs4_lease_carried){
			    .export_id = ex->id,
			    .handle = held[k].handle,
			    .type = held[k].type,
			    .fd = has_fd ? (uint32_t)nf : NFS4_LEASE_NO_FD,
			    .changed_ns = held[k].changed_ns};
			if (has_fd)
				f[nf++] = held[k].fd;
			held[k].fd = -1;
		}
		held_release(held, nheld);
	}
	if (rc == 0 && !(*out = nfs4_deleg_leases_encode(v, n)))
		rc = -ENOMEM;
	free(v);
	if (rc) {
		for (size_t i = 0; i < nf; i++)
			close(f[i]);
		free(f);
		return rc;
	}
	*fds = f;
	*nfds = nf;
	return 0;
}

int nfs4_deleg_leases_decode(const uint8_t *p, size_t len, size_t nfds,
			     struct nfs4_lease_carried **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	uint32_t count;
	/* The directory watches' descriptors come after the leases'. */
	if (!xdr_decode_u32(&d, &count) || count > len / 24)
		return -EINVAL;
	struct nfs4_lease_carried *v = count ? calloc(count, sizeof(*v)) : NULL;
	if (count && !v)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *h;
		uint32_t hlen;
		if (!xdr_decode_u32(&d, &v[i].export_id) ||
		    !xdr_decode_opaque(&d, BACKEND_HANDLE_MAX, &h, &hlen) ||
		    !xdr_decode_u32(&d, &v[i].type) || !xdr_decode_u32(&d, &v[i].fd) ||
		    !xdr_decode_u64(&d, &v[i].changed_ns) ||
		    (v[i].type != BACKEND_LEASE_READ && v[i].type != BACKEND_LEASE_WRITE) ||
		    (v[i].fd >= nfds && v[i].fd != NFS4_LEASE_NO_FD)) {
			free(v);
			return -EINVAL;
		}
		v[i].handle.len = (uint8_t)hlen;
		memcpy(v[i].handle.data, h, hlen);
	}
	if (xdr_dec_remaining(&d) != 0) {
		free(v);
		return -EINVAL;
	}
	*out = v;
	*n = count;
	return 0;
}

void nfs4_deleg_leases_adopt(struct nfs4_server *srv, const struct nfs4_lease_carried *v,
			     size_t n, int (*take_fd)(void *arg, size_t i), void *arg)
{
	unsigned adopted = 0, revoked = 0;
	for (size_t i = 0; i < n; i++) {
		struct state_file_key key = {.export_id = v[i].export_id, .bh = v[i].handle};
		bool has_fd = v[i].fd != NFS4_LEASE_NO_FD;
		int fd = has_fd ? take_fd(arg, v[i].fd) : -1;
		struct export *ex = exports_find(&srv->exports, v[i].export_id);
		int rc = -ENOENT;
		if ((fd >= 0 || !has_fd) && ex && ex->ops->lease_adopt)
			rc = ex->ops->lease_adopt(ex->bex, &v[i].handle, v[i].type, fd,
						  v[i].changed_ns);
		else if (fd >= 0)
			close(fd);
		if (rc == 0 || rc == -ENOTSUP) {
			/* -ENOTSUP: no leases here (no CAP_LEASE); the
			 * delegations go on as those granted without one. */
			adopted += rc == 0;
			/* Given back just before the image: not wanted. */
			nfs4_deleg_lease_drop(srv, &key);
			continue;
		}
		if (state_deleg_file_delegated(srv->state, &key)) {
			log_warn("upgrade: a delegated file's lease cannot be taken over (%s): its "
				 "delegations are revoked",
				 strerror(-rc));
			state_deleg_revoke_file(srv->state, &key,
						"its lease could not be taken over by the upgrade");
			revoked++;
		}
	}
	if (n)
		log_info("upgrade: %u lease(s) of delegated files taken over%s", adopted,
			 revoked ? "; some delegations revoked" : "");
	if (revoked)
		state_outbox_kick(srv->state);
}

void nfs4_deleg_leases_leave(struct nfs4_server *srv)
{
	for (unsigned i = 0; i < exports_slots_used(&srv->exports); i++) {
		struct export *ex = exports_at(&srv->exports, i);
		if (ex && ex->ops->lease_leave)
			ex->ops->lease_leave(ex->bex);
	}
}
