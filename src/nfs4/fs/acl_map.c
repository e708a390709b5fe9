/* NFSv4 ACLs over POSIX ACLs, both ways (acl_map.h). */
#include "nfs4/fs/acl_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdr/nfs4_prot.h"

enum {
	ACL_R = BACKEND_ACL_READ,
	ACL_W = BACKEND_ACL_WRITE,
	ACL_X = BACKEND_ACL_EXECUTE,
	/* What everyone may do whatever the ACL says, and what the owner
	 * may do besides. */
	MASK_ANYONE = ACE4_READ_ATTRIBUTES | ACE4_READ_ACL | ACE4_SYNCHRONIZE,
	MASK_OWNER = ACE4_WRITE_ATTRIBUTES | ACE4_WRITE_ACL,
	MASK_READ = ACE4_READ_DATA,
	MASK_WRITE = ACE4_WRITE_DATA | ACE4_APPEND_DATA,
	MASK_EXECUTE = ACE4_EXECUTE,
	INHERIT_FLAGS = ACE4_FILE_INHERIT_ACE | ACE4_DIRECTORY_INHERIT_ACE,
	KNOWN_FLAGS = INHERIT_FLAGS | ACE4_INHERIT_ONLY_ACE | ACE4_IDENTIFIER_GROUP,
};

/* --- POSIX to NFSv4 ------------------------------------------------------ */

/* The ACE bits a POSIX permission grants (or, without the extras, denies). */
static uint32_t ace_bits(uint16_t perm, bool dir)
{
	uint32_t m = 0;
	if (perm & ACL_R)
		m |= MASK_READ;
	if (perm & ACL_W)
		m |= MASK_WRITE | (dir ? ACE4_DELETE_CHILD : 0);
	if (perm & ACL_X)
		m |= MASK_EXECUTE;
	return m;
}

static uint32_t allow_bits_of(uint16_t perm, bool dir, bool owner)
{
	return ace_bits(perm, dir) | MASK_ANYONE | (owner ? MASK_OWNER : 0);
}

/* What the entries of one POSIX ACL grant, by kind of principal, named
 * entries and the owning group through the mask. */
struct acl_summary {
	uint16_t owner, users, group, groups, other, mask;
};

static struct acl_summary summarize(const struct backend_acl *acl)
{
	struct acl_summary s = {.mask = ACL_R | ACL_W | ACL_X};
	for (uint32_t i = 0; i < acl->count; i++) {
		const struct backend_acl_entry *e = &acl->e[i];
		switch (e->tag) {
		case BACKEND_ACL_USER_OBJ: s.owner = e->perm; break;
		case BACKEND_ACL_USER: s.users |= e->perm; break;
		case BACKEND_ACL_GROUP_OBJ: s.group = e->perm; break;
		case BACKEND_ACL_GROUP: s.groups |= e->perm; break;
		case BACKEND_ACL_MASK: s.mask = e->perm; break;
		case BACKEND_ACL_OTHER: s.other = e->perm; break;
		}
	}
	s.users &= s.mask;
	s.group &= s.mask;
	s.groups &= s.mask;
	return s;
}

struct ace_out {
	struct nfs4_ace_val *at;
	uint32_t n, flag;
	bool dir;
};

static void put(struct ace_out *o, uint32_t type, uint32_t flag, uint32_t mask,
		enum nfs4_ace_who who, uint32_t id)
{
	o->at[o->n++] = (struct nfs4_ace_val){type, o->flag | flag, mask, who, id};
}

static void put_deny(struct ace_out *o, uint16_t deny, uint32_t flag, enum nfs4_ace_who who,
		     uint32_t id)
{
	deny &= ACL_R | ACL_W | ACL_X;
	if (deny)
		put(o, ACE4_ACCESS_DENIED_ACE_TYPE, flag, ace_bits(deny, o->dir), who, id);
}

static void put_allow(struct ace_out *o, uint16_t perm, bool owner, uint32_t flag,
		      enum nfs4_ace_who who, uint32_t id)
{
	put(o, ACE4_ACCESS_ALLOWED_ACE_TYPE, flag, allow_bits_of(perm, o->dir, owner), who, id);
}

uint32_t nfs4_acl_from_posix(const struct backend_acl *acl, bool dir, bool dflt,
			     struct nfs4_ace_val *out)
{
	if (acl->count == 0)
		return 0;
	struct acl_summary s = summarize(acl);
	struct ace_out o = {out, 0, dflt ? INHERIT_FLAGS | ACE4_INHERIT_ONLY_ACE : 0, dir};
	const struct backend_acl_entry *e = acl->e, *end = acl->e + acl->count;

	/* The owner is denied what it lacks and any later ACE would give. */
	put_deny(&o, (uint16_t)(~s.owner & (s.users | s.group | s.groups | s.other)), 0,
		 NFS4_ACE_WHO_OWNER, 0);
	put_allow(&o, s.owner, true, 0, NFS4_ACE_WHO_OWNER, 0);
	for (e++; e < end && e->tag == BACKEND_ACL_USER; e++) {
		uint16_t eff = e->perm & s.mask;
		put_deny(&o, (uint16_t)(~eff & (s.groups | s.group | s.other)), 0,
			 NFS4_ACE_WHO_NAMED, e->id);
		put_allow(&o, eff, false, 0, NFS4_ACE_WHO_NAMED, e->id);
	}
	/* Groups: all the allows, then the denials, since a user may be in
	 * several groups and gets what any of them is allowed. */
	const struct backend_acl_entry *groups = e + 1; /* after GROUP_OBJ */
	put_allow(&o, s.group, false, 0, NFS4_ACE_WHO_GROUP, 0);
	for (e = groups; e < end && e->tag == BACKEND_ACL_GROUP; e++)
		put_allow(&o, e->perm & s.mask, false, ACE4_IDENTIFIER_GROUP, NFS4_ACE_WHO_NAMED,
			  e->id);
	put_deny(&o, (uint16_t)(~s.group & s.other), 0, NFS4_ACE_WHO_GROUP, 0);
	for (e = groups; e < end && e->tag == BACKEND_ACL_GROUP; e++)
		put_deny(&o, (uint16_t)(~(e->perm & s.mask) & s.other), ACE4_IDENTIFIER_GROUP,
			 NFS4_ACE_WHO_NAMED, e->id);
	put_allow(&o, s.other, false, 0, NFS4_ACE_WHO_EVERYONE, 0);
	return o.n;
}

/* --- NFSv4 to POSIX ------------------------------------------------------ */

/* The ACE bits allowed and denied to one principal so far: a bit is
 * settled by the first ACE that names it. */
struct bits_state {
	uint32_t allow, deny;
};

static void allow_bits(struct bits_state *b, uint32_t mask)
{
	b->allow |= mask & ~b->deny;
}

static void deny_bits(struct bits_state *b, uint32_t mask)
{
	b->deny |= mask & ~b->allow;
}

struct named_state {
	uint32_t id;
	struct bits_state bits;
};

struct named_list {
	struct named_state *v;
	uint32_t n;
};

/* One ACL (access or default) being built. */
struct posix_state {
	bool empty;
	struct bits_state owner, group, other, everyone;
	struct named_list users, groups;
};

static int state_init(struct posix_state *st, uint32_t n)
{
	memset(st, 0, sizeof(*st));
	st->empty = true;
	/* Every ACE could name a new user, or a new group. */
	st->users.v = calloc(n ? n : 1, sizeof(*st->users.v));
	st->groups.v = calloc(n ? n : 1, sizeof(*st->groups.v));
	return st->users.v && st->groups.v ? 0 : -ENOMEM;
}

static void state_fini(struct posix_state *st)
{
	free(st->users.v);
	free(st->groups.v);
}

/* The principal's state; one seen for the first time starts with what
 * EVERYONE@ has been given and denied so far. */
static struct bits_state *named(struct posix_state *st, struct named_list *l, uint32_t id)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i].bits;
	l->v[l->n] = (struct named_state){id, st->everyone};
	return &l->v[l->n++].bits;
}

static void named_deny_all(struct named_list *l, uint32_t mask)
{
	for (uint32_t i = 0; i < l->n; i++)
		deny_bits(&l->v[i].bits, mask);
}

static void named_allow_all(struct named_list *l, uint32_t mask)
{
	for (uint32_t i = 0; i < l->n; i++)
		allow_bits(&l->v[i].bits, mask);
}

static void apply_ace(struct posix_state *st, const struct nfs4_ace_val *a)
{
	bool allow = a->type == ACE4_ACCESS_ALLOWED_ACE_TYPE;
	uint32_t mask = a->mask;
	struct bits_state *b;
	st->empty = false;
	switch (a->who) {
	case NFS4_ACE_WHO_OWNER:
		(allow ? allow_bits : deny_bits)(&st->owner, mask);
		break;
	case NFS4_ACE_WHO_NAMED:
		if (!(a->flag & ACE4_IDENTIFIER_GROUP)) {
			b = named(st, &st->users, a->id);
			if (allow) {
				allow_bits(b, mask);
			} else {
				/* The owner may be that user too. */
				deny_bits(b, mask);
				deny_bits(&st->owner, b->deny);
			}
			break;
		}
		b = named(st, &st->groups, a->id);
		if (allow) {
			allow_bits(b, mask);
		} else {
			/* Anyone may be in that group. */
			deny_bits(b, mask);
			mask = b->deny;
			deny_bits(&st->owner, mask);
			deny_bits(&st->group, mask);
			deny_bits(&st->everyone, mask);
			named_deny_all(&st->users, mask);
			named_deny_all(&st->groups, mask);
		}
		break;
	case NFS4_ACE_WHO_GROUP:
		if (allow) {
			allow_bits(&st->group, mask);
		} else {
			deny_bits(&st->group, mask);
			mask = st->group.deny;
			deny_bits(&st->owner, mask);
			deny_bits(&st->everyone, mask);
			named_deny_all(&st->users, mask);
			named_deny_all(&st->groups, mask);
		}
		break;
	case NFS4_ACE_WHO_EVERYONE: {
		void (*fn)(struct bits_state *, uint32_t) = allow ? allow_bits : deny_bits;
		fn(&st->owner, mask);
		fn(&st->group, mask);
		fn(&st->other, mask);
		fn(&st->everyone, mask);
		(allow ? named_allow_all : named_deny_all)(&st->users, mask);
		(allow ? named_allow_all : named_deny_all)(&st->groups, mask);
		break;
	}
	}
}

/* The POSIX permission granted: only what every ACE bit of it allows. */
static uint16_t perm_of(uint32_t allowed, bool dir)
{
	uint32_t write = MASK_WRITE | (dir ? ACE4_DELETE_CHILD : 0);
	uint16_t p = 0;
	if ((allowed & MASK_READ) == MASK_READ)
		p |= ACL_R;
	if ((allowed & write) == write)
		p |= ACL_W;
	if ((allowed & MASK_EXECUTE) == MASK_EXECUTE)
		p |= ACL_X;
	return p;
}

/* Denials no POSIX ACL can carry out: reading attributes or the ACL is
 * everyone's, changing them the owner's. */
static bool deny_enforceable(const struct bits_state *b, bool owner)
{
	uint32_t never = ACE4_READ_ATTRIBUTES | ACE4_READ_ACL |
			 (owner ? ACE4_WRITE_ATTRIBUTES | ACE4_WRITE_ACL : 0);
	return !(b->deny & never);
}

static int cmp_named(const void *a, const void *b)
{
	uint32_t x = ((const struct named_state *)a)->id, y = ((const struct named_state *)b)->id;
	return x < y ? -1 : x > y;
}

static void add(struct backend_acl *out, uint16_t tag, uint16_t perm, uint32_t id)
{
	out->e[out->count++] = (struct backend_acl_entry){tag, perm, id};
}

static int state_to_posix(struct posix_state *st, bool dir, bool dflt, struct backend_acl *out)
{
	out->count = 0;
	if (st->empty && dflt)
		return 0;
	uint32_t named_n = st->users.n + st->groups.n;
	if (named_n > BACKEND_ACL_MAX_ENTRIES - 4)
		return -EFBIG;
	if (!deny_enforceable(&st->owner, true) || !deny_enforceable(&st->group, false) ||
	    !deny_enforceable(&st->other, false))
		return -EINVAL;
	for (uint32_t i = 0; i < st->users.n; i++)
		if (!deny_enforceable(&st->users.v[i].bits, false))
			return -EINVAL;
	for (uint32_t i = 0; i < st->groups.n; i++)
		if (!deny_enforceable(&st->groups.v[i].bits, false))
			return -EINVAL;
	qsort(st->users.v, st->users.n, sizeof(*st->users.v), cmp_named);
	qsort(st->groups.v, st->groups.n, sizeof(*st->groups.v), cmp_named);

	/* The mask lets through everything a named entry or the owning
	 * group is given. */
	uint32_t mask = st->group.allow;
	add(out, BACKEND_ACL_USER_OBJ, perm_of(st->owner.allow, dir), 0);
	for (uint32_t i = 0; i < st->users.n; i++) {
		add(out, BACKEND_ACL_USER, perm_of(st->users.v[i].bits.allow, dir),
		    st->users.v[i].id);
		mask |= st->users.v[i].bits.allow;
	}
	add(out, BACKEND_ACL_GROUP_OBJ, perm_of(st->group.allow, dir), 0);
	for (uint32_t i = 0; i < st->groups.n; i++) {
		add(out, BACKEND_ACL_GROUP, perm_of(st->groups.v[i].bits.allow, dir),
		    st->groups.v[i].id);
		mask |= st->groups.v[i].bits.allow;
	}
	if (named_n)
		add(out, BACKEND_ACL_MASK, perm_of(mask, dir), 0);
	add(out, BACKEND_ACL_OTHER, perm_of(st->other.allow, dir), 0);
	return 0;
}

int nfs4_acl_to_posix(const struct nfs4_ace_val *aces, uint32_t n, bool dir,
		      struct backend_acl *access, struct backend_acl *dflt)
{
	struct posix_state eff, inh;
	int rc = state_init(&eff, n);
	if (rc == 0)
		rc = state_init(&inh, n);
	else
		inh = (struct posix_state){0};
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const struct nfs4_ace_val *a = &aces[i];
		if ((a->type != ACE4_ACCESS_ALLOWED_ACE_TYPE &&
		     a->type != ACE4_ACCESS_DENIED_ACE_TYPE) ||
		    (a->flag & ~(uint32_t)KNOWN_FLAGS)) {
			rc = -EINVAL;
			break;
		}
		if (!(a->flag & INHERIT_FLAGS)) {
			apply_ace(&eff, a);
			continue;
		}
		/* Either inheritance flag stands for both: a POSIX default
		 * ACL reaches new files and directories alike. */
		if (!dir) {
			rc = -EINVAL;
			break;
		}
		apply_ace(&inh, a);
		if (!(a->flag & ACE4_INHERIT_ONLY_ACE))
			apply_ace(&eff, a);
	}
	if (rc == 0)
		rc = state_to_posix(&eff, dir, false, access);
	if (rc == 0)
		rc = state_to_posix(&inh, dir, true, dflt);
	state_fini(&eff);
	state_fini(&inh);
	return rc;
}
