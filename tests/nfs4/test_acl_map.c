/* NFSv4 ACLs over POSIX ACLs (nfs4/fs/acl_map.h): the ACEs a POSIX ACL
 * reads as, the POSIX ACL an NFSv4 ACL sets, that an ACL read and set
 * back grants what it granted, and the ACLs that are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs4/fs/acl_map.h"
#include "xdr/nfs4_prot.h"

enum {
	R = BACKEND_ACL_READ,
	W = BACKEND_ACL_WRITE,
	X = BACKEND_ACL_EXECUTE,
	ANYONE = ACE4_READ_ATTRIBUTES | ACE4_READ_ACL | ACE4_SYNCHRONIZE,
	OWNER_EXTRA = ACE4_WRITE_ATTRIBUTES | ACE4_WRITE_ACL,
	ALLOW = ACE4_ACCESS_ALLOWED_ACE_TYPE,
	DENY = ACE4_ACCESS_DENIED_ACE_TYPE,
	INHERIT = ACE4_FILE_INHERIT_ACE | ACE4_DIRECTORY_INHERIT_ACE | ACE4_INHERIT_ONLY_ACE,
};

static struct backend_acl *acl_new(void)
{
	struct backend_acl *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	return a;
}

/* An ACL from a string of entries: "u::rw- u:1001:r-- g::r-- m::rw- o::---". */
static struct backend_acl *acl_parse(const char *text)
{
	struct backend_acl *a = acl_new();
	char *copy = strdup(text), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		struct backend_acl_entry *e = &a->e[a->count++];
		char kind = t[0];
		char *id = t + 2, *perm = strchr(id, ':') + 1;
		bool named = id[0] != ':';
		e->id = named ? (uint32_t)strtoul(id, NULL, 10) : 0;
		e->tag = kind == 'u' ? (named ? BACKEND_ACL_USER : BACKEND_ACL_USER_OBJ)
			 : kind == 'g' ? (named ? BACKEND_ACL_GROUP : BACKEND_ACL_GROUP_OBJ)
			 : kind == 'm' ? BACKEND_ACL_MASK
				       : BACKEND_ACL_OTHER;
		e->perm = (uint16_t)((perm[0] == 'r' ? R : 0) | (perm[1] == 'w' ? W : 0) |
				     (perm[2] == 'x' ? X : 0));
	}
	free(copy);
	return a;
}

static void assert_acl_equal(const struct backend_acl *got, const struct backend_acl *want)
{
	assert_int_equal(got->count, want->count);
	for (uint32_t i = 0; i < want->count; i++) {
		assert_int_equal(got->e[i].tag, want->e[i].tag);
		assert_int_equal(got->e[i].perm, want->e[i].perm);
		assert_int_equal(got->e[i].id, want->e[i].id);
	}
}

/* What the ACL gives the owner, a user, a member of some groups (for
 * a user who is not the owner and is in groups[]). */
static uint16_t acl_grants(const struct backend_acl *a, bool owner, uint32_t uid,
			   bool owning_group, const uint32_t *groups, size_t ngroups)
{
	uint16_t mask = R | W | X, group_perm = 0, other = 0;
	bool in_group = false;
	for (uint32_t i = 0; i < a->count; i++)
		if (a->e[i].tag == BACKEND_ACL_MASK)
			mask = a->e[i].perm;
	for (uint32_t i = 0; i < a->count; i++) {
		const struct backend_acl_entry *e = &a->e[i];
		switch (e->tag) {
		case BACKEND_ACL_USER_OBJ:
			if (owner)
				return e->perm;
			break;
		case BACKEND_ACL_USER:
			if (e->id == uid)
				return e->perm & mask;
			break;
		case BACKEND_ACL_GROUP_OBJ:
			if (owning_group) {
				group_perm |= e->perm & mask;
				in_group = true;
			}
			break;
		case BACKEND_ACL_GROUP:
			for (size_t g = 0; g < ngroups; g++)
				if (groups[g] == e->id) {
					group_perm |= e->perm & mask;
					in_group = true;
				}
			break;
		case BACKEND_ACL_OTHER:
			other = e->perm;
			break;
		}
	}
	return in_group ? group_perm : other;
}

/* Reads acl as ACEs and sets them back: what comes back. */
static void round_trip(const struct backend_acl *acl, const struct backend_acl *dflt, bool dir,
		       struct backend_acl *access_out, struct backend_acl *dflt_out)
{
	uint32_t cap = nfs4_acl_map_max(acl->count) + (dflt ? nfs4_acl_map_max(dflt->count) : 0);
	struct nfs4_ace_val *aces = calloc(cap, sizeof(*aces));
	uint32_t n = nfs4_acl_from_posix(acl, dir, false, aces);
	if (dflt)
		n += nfs4_acl_from_posix(dflt, dir, true, aces + n);
	assert_true(n <= cap);
	assert_int_equal(nfs4_acl_to_posix(aces, n, dir, access_out, dflt_out), 0);
	free(aces);
}

static void test_mode_acl_reads_as_three_aces(void **state)
{
	(void)state;
	struct backend_acl *a = acl_parse("u::rw- g::r-- o::---");
	struct nfs4_ace_val aces[8];
	uint32_t n = nfs4_acl_from_posix(a, false, false, aces);
	/* Nobody after the owner gets more than it: no DENY. */
	assert_int_equal(n, 3);
	assert_int_equal(aces[0].type, ALLOW);
	assert_int_equal(aces[0].who, NFS4_ACE_WHO_OWNER);
	assert_int_equal(aces[0].mask, ACE4_READ_DATA | ACE4_WRITE_DATA | ACE4_APPEND_DATA |
					       ANYONE | OWNER_EXTRA);
	assert_int_equal(aces[1].who, NFS4_ACE_WHO_GROUP);
	assert_int_equal(aces[1].mask, ACE4_READ_DATA | ANYONE);
	assert_int_equal(aces[2].who, NFS4_ACE_WHO_EVERYONE);
	assert_int_equal(aces[2].mask, ANYONE);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(aces[i].flag, 0);
	free(a);
}

static void test_denies_what_later_aces_would_grant(void **state)
{
	(void)state;
	/* Others may read, the owning group may not, the owner may only
	 * execute: on a directory, where write also covers DELETE_CHILD. */
	struct backend_acl *a = acl_parse("u::--x g::--- o::rw-");
	struct nfs4_ace_val aces[8];
	uint32_t n = nfs4_acl_from_posix(a, true, false, aces);
	assert_int_equal(n, 5);
	assert_int_equal(aces[0].type, DENY);
	assert_int_equal(aces[0].who, NFS4_ACE_WHO_OWNER);
	assert_int_equal(aces[0].mask, ACE4_READ_DATA | ACE4_WRITE_DATA | ACE4_APPEND_DATA |
					       ACE4_DELETE_CHILD);
	assert_int_equal(aces[1].type, ALLOW);
	assert_int_equal(aces[1].mask, ACE4_EXECUTE | ANYONE | OWNER_EXTRA);
	assert_int_equal(aces[2].type, ALLOW);
	assert_int_equal(aces[2].who, NFS4_ACE_WHO_GROUP);
	assert_int_equal(aces[3].type, DENY);
	assert_int_equal(aces[3].who, NFS4_ACE_WHO_GROUP);
	assert_int_equal(aces[3].mask,
			 ACE4_READ_DATA | ACE4_WRITE_DATA | ACE4_APPEND_DATA | ACE4_DELETE_CHILD);
	assert_int_equal(aces[4].who, NFS4_ACE_WHO_EVERYONE);
	free(a);
}

static void test_named_entries_and_mask(void **state)
{
	(void)state;
	/* u:1001 has rwx but the mask lets r-x through. */
	struct backend_acl *a = acl_parse("u::rwx u:1001:rwx g::r-- g:2002:rw- m::r-x o::---");
	struct nfs4_ace_val aces[16];
	uint32_t n = nfs4_acl_from_posix(a, false, false, aces);
	/* OWNER@ allow; user deny (w: the group gets nothing writable
	 * through the mask, so only what the others could give), allow;
	 * GROUP@ allow; group allow; no group denies (others get nothing);
	 * EVERYONE@ allow. */
	uint32_t i = 0;
	assert_int_equal(aces[i].who, NFS4_ACE_WHO_OWNER);
	assert_int_equal(aces[i++].type, ALLOW);
	assert_int_equal(aces[i].who, NFS4_ACE_WHO_NAMED);
	assert_int_equal(aces[i].id, 1001);
	assert_int_equal(aces[i].type, ALLOW);
	assert_int_equal(aces[i++].mask, ACE4_READ_DATA | ACE4_EXECUTE | ANYONE);
	assert_int_equal(aces[i].who, NFS4_ACE_WHO_GROUP);
	assert_int_equal(aces[i++].mask, ACE4_READ_DATA | ANYONE);
	assert_int_equal(aces[i].who, NFS4_ACE_WHO_NAMED);
	assert_int_equal(aces[i].flag, ACE4_IDENTIFIER_GROUP);
	assert_int_equal(aces[i].id, 2002);
	assert_int_equal(aces[i++].mask, ACE4_READ_DATA | ANYONE);
	assert_int_equal(aces[i++].who, NFS4_ACE_WHO_EVERYONE);
	assert_int_equal(n, i);
	free(a);
}

static void test_default_acl_aces_are_inherit_only(void **state)
{
	(void)state;
	struct backend_acl *a = acl_parse("u::rwx g::r-x o::r-x");
	struct backend_acl *d = acl_parse("u::rwx u:7:rw- g::r-x m::rwx o::---");
	struct nfs4_ace_val aces[32];
	uint32_t n = nfs4_acl_from_posix(a, true, false, aces);
	uint32_t m = nfs4_acl_from_posix(d, true, true, aces + n);
	assert_true(m > 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(aces[i].flag & INHERIT, 0);
	for (uint32_t i = n; i < n + m; i++)
		assert_int_equal(aces[i].flag & INHERIT, INHERIT);
	/* Set back, each goes where it came from. */
	struct backend_acl *ga = acl_new(), *gd = acl_new();
	assert_int_equal(nfs4_acl_to_posix(aces, n + m, true, ga, gd), 0);
	assert_acl_equal(ga, a);
	assert_acl_equal(gd, d);
	/* No default ACL, none empty default back. */
	assert_int_equal(nfs4_acl_to_posix(aces, n, true, ga, gd), 0);
	assert_int_equal(gd->count, 0);
	free(a);
	free(d);
	free(ga);
	free(gd);
}

/* An ACL whose mask hides nothing comes back as it was; one whose mask
 * hides bits comes back granting every principal what it granted. */
static void test_round_trip_keeps_what_is_granted(void **state)
{
	(void)state;
	static const char *const acls[] = {
		"u::rw- g::r-- o::r--",
		"u::--- g::rwx o::rwx",
		"u::r-x g::-w- o::r--",
		"u::rwx u:10:r-- u:11:rw- g::r-x g:20:--x g:21:rwx m::rwx o::---",
		"u::rw- u:10:rwx g::r-- m::rwx o::r--",
		"u::rwx u:10:rwx g::rwx g:20:rw- m::r-- o::--x",
		"u::r-- u:10:--- g::--- m::--- o::rwx",
	};
	static const uint32_t groups[] = {20, 21};
	for (size_t k = 0; k < sizeof(acls) / sizeof(acls[0]); k++) {
		for (int dir = 0; dir <= 1; dir++) {
			struct backend_acl *a = acl_parse(acls[k]), *got = acl_new(),
					   *dflt = acl_new();
			round_trip(a, NULL, dir, got, dflt);
			assert_int_equal(dflt->count, 0);
			struct {
				bool owner;
				uint32_t uid;
				bool owning;
				size_t ngroups;
			} who[] = {{true, 0, false, 0},  {false, 10, false, 0}, {false, 11, true, 0},
				   {false, 12, true, 0}, {false, 12, false, 1}, {false, 12, false, 2},
				   {false, 12, false, 0}};
			for (size_t w = 0; w < sizeof(who) / sizeof(who[0]); w++)
				assert_int_equal(acl_grants(got, who[w].owner, who[w].uid,
							    who[w].owning, groups, who[w].ngroups),
						 acl_grants(a, who[w].owner, who[w].uid,
							    who[w].owning, groups, who[w].ngroups));
			free(a);
			free(got);
			free(dflt);
		}
	}
	/* No mask hides anything: the same entries. */
	struct backend_acl *a = acl_parse("u::rwx u:10:r-- g::r-x g:20:--x m::r-x o::---");
	struct backend_acl *got = acl_new(), *dflt = acl_new();
	round_trip(a, NULL, false, got, dflt);
	assert_acl_equal(got, a);
	free(a);
	free(got);
	free(dflt);
}

static void test_named_user_with_nothing(void **state)
{
	(void)state;
	/* One ACE allowing user 123 nothing (pynfs ACL5): everyone else is
	 * given nothing either. */
	struct nfs4_ace_val ace = {ALLOW, 0, 0, NFS4_ACE_WHO_NAMED, 123};
	struct backend_acl *got = acl_new(), *dflt = acl_new();
	assert_int_equal(nfs4_acl_to_posix(&ace, 1, false, got, dflt), 0);
	struct backend_acl *want = acl_parse("u::--- u:123:--- g::--- m::--- o::---");
	assert_acl_equal(got, want);
	free(got);
	free(dflt);
	free(want);
}

static void test_first_ace_settles_a_bit(void **state)
{
	(void)state;
	uint32_t rwx = ACE4_READ_DATA | ACE4_WRITE_DATA | ACE4_APPEND_DATA | ACE4_EXECUTE;
	/* Write denied to everyone first: the later allow gives r-x only. */
	struct nfs4_ace_val aces[] = {
		{DENY, 0, ACE4_WRITE_DATA, NFS4_ACE_WHO_EVERYONE, 0},
		{ALLOW, 0, rwx, NFS4_ACE_WHO_EVERYONE, 0},
	};
	struct backend_acl *got = acl_new(), *dflt = acl_new();
	assert_int_equal(nfs4_acl_to_posix(aces, 2, false, got, dflt), 0);
	struct backend_acl *want = acl_parse("u::r-x g::r-x o::r-x");
	assert_acl_equal(got, want);
	free(want);
	/* A group's denial reaches the owner and the named users (the owner
	 * keeps the bits allowed to it before: w), and a named user first
	 * seen after it starts from what everyone has been denied. */
	struct nfs4_ace_val more[] = {
		{ALLOW, 0, ACE4_WRITE_DATA | ACE4_APPEND_DATA, NFS4_ACE_WHO_OWNER, 0},
		{DENY, ACE4_IDENTIFIER_GROUP, ACE4_WRITE_DATA | ACE4_APPEND_DATA | ACE4_READ_DATA,
		 NFS4_ACE_WHO_NAMED, 30},
		{ALLOW, 0, rwx, NFS4_ACE_WHO_NAMED, 5},
		{ALLOW, 0, rwx, NFS4_ACE_WHO_EVERYONE, 0},
	};
	assert_int_equal(nfs4_acl_to_posix(more, 4, false, got, dflt), 0);
	want = acl_parse("u::-wx u:5:--x g::--x g:30:--x m::--x o::rwx");
	assert_acl_equal(got, want);
	free(want);
	free(got);
	free(dflt);
}

static void test_refused(void **state)
{
	(void)state;
	struct backend_acl *got = acl_new(), *dflt = acl_new();
	struct nfs4_ace_val a = {ACE4_SYSTEM_AUDIT_ACE_TYPE, 0, ACE4_READ_DATA,
				 NFS4_ACE_WHO_EVERYONE, 0};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	a = (struct nfs4_ace_val){ALLOW, ACE4_INHERITED_ACE, ACE4_READ_DATA,
				  NFS4_ACE_WHO_EVERYONE, 0};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	/* Inheritance is a directory's. */
	a = (struct nfs4_ace_val){ALLOW, ACE4_FILE_INHERIT_ACE, ACE4_READ_DATA,
				  NFS4_ACE_WHO_EVERYONE, 0};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	assert_int_equal(nfs4_acl_to_posix(&a, 1, true, got, dflt), 0);
	assert_int_equal(dflt->count, 3); /* and, not inherit-only, the access ACL */
	assert_int_equal(got->e[2].perm, R);
	/* Denials nobody could enforce. */
	a = (struct nfs4_ace_val){DENY, 0, ACE4_READ_ACL, NFS4_ACE_WHO_NAMED, 9};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	a = (struct nfs4_ace_val){DENY, 0, ACE4_WRITE_ACL, NFS4_ACE_WHO_OWNER, 0};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	/* A user's denial reaches the owner too, unless the owner was
	 * allowed first. */
	a = (struct nfs4_ace_val){DENY, 0, ACE4_WRITE_ACL, NFS4_ACE_WHO_NAMED, 9};
	assert_int_equal(nfs4_acl_to_posix(&a, 1, false, got, dflt), -EINVAL);
	struct nfs4_ace_val two[] = {{ALLOW, 0, ACE4_WRITE_ACL, NFS4_ACE_WHO_OWNER, 0}, a};
	assert_int_equal(nfs4_acl_to_posix(two, 2, false, got, dflt), 0);
	free(got);
	free(dflt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_acl_reads_as_three_aces),
		cmocka_unit_test(test_denies_what_later_aces_would_grant),
		cmocka_unit_test(test_named_entries_and_mask),
		cmocka_unit_test(test_default_acl_aces_are_inherit_only),
		cmocka_unit_test(test_round_trip_keeps_what_is_granted),
		cmocka_unit_test(test_named_user_with_nothing),
		cmocka_unit_test(test_first_ace_settles_a_bit),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
