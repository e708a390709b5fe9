#include "xdr/nfsacl_codec.h"

#include "xdr/xdr.h"

struct nfsacl_ace nfsacl_list_at(const struct nfsacl_list *l, uint32_t i)
{
	const uint8_t *p = l->wire + (size_t)i * NFSACL_ACE_SIZE;
	return (struct nfsacl_ace){xdr_get_be32(p), xdr_get_be32(p + 4), xdr_get_be32(p + 8)};
}

static bool xdr_list(struct xdr_stream *x, struct nfsacl_list *l)
{
	if (!xdr_count(x, NFSACL_MAX_ENTRIES, &l->count) ||
	    !xdr_count(x, NFSACL_MAX_ENTRIES, &l->n))
		return false;
	if (xdr_is_dec(x)) {
		uint8_t *p = xdr_span(x, (size_t)l->n * NFSACL_ACE_SIZE);
		if (!p && l->n)
			return false;
		l->wire = p;
		return true;
	}
	for (uint32_t i = 0; i < l->n; i++) {
		struct nfsacl_ace a = l->v[i];
		if (!xdr_u32(x, &a.type) || !xdr_u32(x, &a.id) || !xdr_u32(x, &a.perm))
			return false;
	}
	return true;
}

bool nfsacl_xdr_args(struct xdr_stream *x, uint32_t proc, union nfsacl_args *a)
{
	switch (proc) {
	case NFSACLPROC3_NULL:
		return true;
	case NFSACLPROC3_GETACL:
		return nfs3_xdr_fh(x, &a->getacl.fh) && xdr_u32(x, &a->getacl.mask);
	case NFSACLPROC3_SETACL: {
		struct nfsacl_setacl_args *s = &a->setacl;
		if (!nfs3_xdr_fh(x, &s->fh) || !xdr_u32(x, &s->mask) ||
		    !xdr_dec_check(x, !(s->mask & ~(uint32_t)NFSACL_MASK_ALL)) ||
		    !xdr_list(x, &s->access) || !xdr_list(x, &s->dflt))
			return false;
		/* A list the call sets comes whole. */
		return xdr_dec_check(x, !(s->mask & NFSACL_ACL) || s->access.n == s->access.count) &&
		       xdr_dec_check(x, !(s->mask & NFSACL_DFACL) || s->dflt.n == s->dflt.count);
	}
	default:
		return xdr_refuse(x);
	}
}

bool nfsacl_xdr_res(struct xdr_stream *x, uint32_t proc, struct nfsacl_res *r)
{
	switch (proc) {
	case NFSACLPROC3_NULL:
		return true;
	case NFSACLPROC3_GETACL:
		return xdr_u32(x, &r->status) && nfs3_xdr_post_attr(x, &r->attr) &&
		       (r->status != NFS3_OK || (xdr_u32(x, &r->mask) && xdr_list(x, &r->access) &&
						 xdr_list(x, &r->dflt)));
	case NFSACLPROC3_SETACL:
		return xdr_u32(x, &r->status) && nfs3_xdr_post_attr(x, &r->attr);
	default:
		return xdr_refuse(x);
	}
}

const char *nfsacl_proc_name(uint32_t proc)
{
	static const char *const names[NFSACLPROC3_COUNT] = {"NULL", "GETACL", "SETACL"};
	return proc < NFSACLPROC3_COUNT ? names[proc] : "?";
}
