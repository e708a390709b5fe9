/* POSIX ACLs to and from NFSACL's lists (acl_wire.h). */
#include "nfs3/acl_wire.h"

#include <stdlib.h>
#include <string.h>

bool nfs3_acl_to_wire(const struct backend_acl *acl, uint32_t uid, uint32_t gid, bool dflt,
		      struct nfsacl_ace *out, uint32_t *n)
{
	uint32_t flag = dflt ? NFSACL_DEFAULT : 0;
	*n = 0;
	if (acl->count > NFSACL_MAX_ENTRIES)
		return false;
	for (uint32_t i = 0; i < acl->count; i++) {
		const struct backend_acl_entry *e = &acl->e[i];
		uint32_t id = 0;
		if (e->tag == BACKEND_ACL_USER_OBJ)
			id = uid;
		else if (e->tag == BACKEND_ACL_GROUP_OBJ)
			id = gid;
		else if (e->tag == BACKEND_ACL_USER || e->tag == BACKEND_ACL_GROUP)
			id = e->id;
		out[(*n)++] = (struct nfsacl_ace){e->tag | flag, id, e->perm};
		/* The minimal ACL's MASK, after GROUP_OBJ: its permissions. */
		if (acl->count == 3 && e->tag == BACKEND_ACL_GROUP_OBJ)
			out[(*n)++] = (struct nfsacl_ace){BACKEND_ACL_MASK | flag, 0, e->perm};
	}
	return true;
}

enum nfsstat3 nfs3_acl_from_wire(const struct nfsacl_list *list, struct backend_acl *out)
{
	out->count = 0;
	int group_obj = -1, mask = -1;
	for (uint32_t i = 0; i < list->n; i++) {
		struct nfsacl_ace a = nfsacl_list_at(list, i);
		struct backend_acl_entry e = {.tag = 0, .perm = 0, .id = 0};
		uint32_t tag = a.type & ~(uint32_t)NFSACL_DEFAULT;
		uint32_t rwx = BACKEND_ACL_READ | BACKEND_ACL_WRITE | BACKEND_ACL_EXECUTE;
		switch (tag) {
		case BACKEND_ACL_USER:
		case BACKEND_ACL_GROUP:
			if (a.id == UINT32_MAX)
				return NFS3ERR_INVAL;
			e.id = a.id;
			break;
		case BACKEND_ACL_MASK:
			/* Solaris sets bits beyond rwx in a MASK. */
			a.perm &= rwx;
			break;
		case BACKEND_ACL_USER_OBJ:
		case BACKEND_ACL_GROUP_OBJ:
		case BACKEND_ACL_OTHER:
			break;
		default:
			return NFS3ERR_INVAL;
		}
		if (a.perm & ~rwx)
			return NFS3ERR_INVAL;
		e.tag = (uint16_t)tag;
		e.perm = (uint16_t)a.perm;
		out->e[out->count++] = e;
	}
	backend_acl_sort(out);
	for (uint32_t i = 0; i < out->count; i++) {
		if (out->e[i].tag == BACKEND_ACL_GROUP_OBJ)
			group_obj = (int)i;
		else if (out->e[i].tag == BACKEND_ACL_MASK)
			mask = (int)i;
	}
	/* The four entries GETACL makes of a minimal ACL: three. */
	if (out->count == 4 && group_obj >= 0 && mask >= 0 &&
	    out->e[mask].perm == out->e[group_obj].perm) {
		memmove(&out->e[mask], &out->e[mask + 1],
			(out->count - (uint32_t)mask - 1) * sizeof(out->e[0]));
		out->count = 3;
	}
	return NFS3_OK;
}
