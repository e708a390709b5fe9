/* POSIX ACLs as the kernel keeps them in extended attributes (acl(5),
 * backend_internal.h): the checks of an ACL's shape, its order, the ACL a
 * mode makes, and the attribute format (little-endian: a version word of
 * 2, then per entry a 16-bit tag, 16-bit permissions and a 32-bit id, the
 * id of the unnamed entries being -1). */
#include "backend/backend_internal.h"

#include <stdlib.h>

enum {
	ACL_XATTR_VERSION = 2,
	ACL_UNDEFINED_ID = 0xffffffffu,
	ACL_PERM_BITS = BACKEND_ACL_READ | BACKEND_ACL_WRITE | BACKEND_ACL_EXECUTE,
};

/* A tag's place in the order of a valid ACL; 0 for an unknown tag. */
static int tag_rank(uint16_t tag)
{
	switch (tag) {
	case BACKEND_ACL_USER_OBJ: return 1;
	case BACKEND_ACL_USER: return 2;
	case BACKEND_ACL_GROUP_OBJ: return 3;
	case BACKEND_ACL_GROUP: return 4;
	case BACKEND_ACL_MASK: return 5;
	case BACKEND_ACL_OTHER: return 6;
	}
	return 0;
}

static bool tag_named(uint16_t tag)
{
	return tag == BACKEND_ACL_USER || tag == BACKEND_ACL_GROUP;
}

static int entry_order(const void *pa, const void *pb)
{
	const struct backend_acl_entry *a = pa, *b = pb;
	int ra = tag_rank(a->tag), rb = tag_rank(b->tag);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

void backend_acl_sort(struct backend_acl *acl)
{
	qsort(acl->e, acl->count, sizeof(acl->e[0]), entry_order);
}

int backend_acl_check(const struct backend_acl *acl)
{
	if (acl->count > BACKEND_ACL_MAX_ENTRIES)
		return -EINVAL;
	int last = 0;
	bool named = false, mask = false;
	unsigned once = 0; /* USER_OBJ, GROUP_OBJ, OTHER seen */
	for (uint32_t i = 0; i < acl->count; i++) {
		const struct backend_acl_entry *e = &acl->e[i];
		int rank = tag_rank(e->tag);
		if (!rank || rank < last || (e->perm & ~ACL_PERM_BITS))
			return -EINVAL;
		if (tag_named(e->tag)) {
			/* Ascending ids within a tag, each once. */
			if (rank == last && e->id <= acl->e[i - 1].id)
				return -EINVAL;
			named = true;
		} else if (rank == last) {
			return -EINVAL; /* an unnamed entry twice */
		}
		if (e->tag == BACKEND_ACL_MASK)
			mask = true;
		if (e->tag == BACKEND_ACL_USER_OBJ || e->tag == BACKEND_ACL_GROUP_OBJ ||
		    e->tag == BACKEND_ACL_OTHER)
			once++;
		last = rank;
	}
	return once == 3 && named == mask ? 0 : -EINVAL;
}

bool backend_acl_may(const struct backend_acl *acl, const struct backend_cred *cred,
		     uint32_t uid, uint32_t gid, uint32_t want)
{
	uint16_t mask = ACL_PERM_BITS, other = 0;
	want &= ACL_PERM_BITS;
	for (uint32_t i = 0; i < acl->count; i++)
		if (acl->e[i].tag == BACKEND_ACL_MASK)
			mask = acl->e[i].perm;
	bool in_group = false;
	for (uint32_t i = 0; i < acl->count; i++) {
		const struct backend_acl_entry *e = &acl->e[i];
		switch (e->tag) {
		case BACKEND_ACL_USER_OBJ:
			if (cred->uid == uid)
				return (e->perm & want) == want;
			break;
		case BACKEND_ACL_USER:
			if (cred->uid == e->id)
				return (e->perm & mask & want) == want;
			break;
		case BACKEND_ACL_GROUP_OBJ:
		case BACKEND_ACL_GROUP:
			if (backend_cred_in_group(cred, e->tag == BACKEND_ACL_GROUP ? e->id : gid)) {
				if ((e->perm & mask & want) == want)
					return true;
				in_group = true;
			}
			break;
		case BACKEND_ACL_OTHER:
			other = e->perm;
			break;
		}
	}
	return !in_group && (other & want) == want;
}

void backend_acl_from_mode(uint32_t mode, struct backend_acl *out)
{
	out->count = 3;
	out->e[0] = (struct backend_acl_entry){BACKEND_ACL_USER_OBJ, (mode >> 6) & 7, 0};
	out->e[1] = (struct backend_acl_entry){BACKEND_ACL_GROUP_OBJ, (mode >> 3) & 7, 0};
	out->e[2] = (struct backend_acl_entry){BACKEND_ACL_OTHER, mode & 7, 0};
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int backend_acl_from_xattr(const uint8_t *val, size_t len, struct backend_acl *out)
{
	if (len < 4 || (len - 4) % 8 != 0 || (len - 4) / 8 > BACKEND_ACL_MAX_ENTRIES ||
	    get_le32(val) != ACL_XATTR_VERSION)
		return -EINVAL;
	out->count = (uint32_t)((len - 4) / 8);
	for (uint32_t i = 0; i < out->count; i++) {
		const uint8_t *p = val + 4 + 8 * (size_t)i;
		out->e[i].tag = get_le16(p);
		out->e[i].perm = get_le16(p + 2);
		out->e[i].id = tag_named(out->e[i].tag) ? get_le32(p + 4) : 0;
	}
	return backend_acl_check(out);
}

size_t backend_acl_to_xattr(const struct backend_acl *acl, uint8_t *buf)
{
	put_le32(buf, ACL_XATTR_VERSION);
	for (uint32_t i = 0; i < acl->count; i++) {
		uint8_t *p = buf + 4 + 8 * (size_t)i;
		const struct backend_acl_entry *e = &acl->e[i];
		put_le16(p, e->tag);
		put_le16(p + 2, e->perm);
		put_le32(p + 4, tag_named(e->tag) ? e->id : ACL_UNDEFINED_ID);
	}
	return 4 + 8 * (size_t)acl->count;
}
