/* What a directory delegation saves: client a lists a directory again and
 * again while client b changes it now and then.  Without a delegation a
 * careful client asks the directory's change attribute before each
 * listing and reads the directory (READDIR) whenever it moved; with one
 * (entry notifications), a keeps its listing up to date from the
 * CB_NOTIFYs and reads the directory once.  Every listing a uses is
 * checked against what the directory holds, in both modes; the counts
 * are printed (the figures of the issue note) and the delegation's must
 * be lower. */
#include "proto/dirdeleg_fixture.h"

enum { ROUNDS = 100, CHANGE_EVERY = 5, INITIAL = 20, NAMES_MAX = 128 };

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("dir_notify_window_ms = 20\n");
}

/* A set of names (a listing). */
struct names {
	char n[NAMES_MAX][32];
	unsigned count;
};

static int names_find(const struct names *s, const char *name)
{
	for (unsigned i = 0; i < s->count; i++)
		if (strcmp(s->n[i], name) == 0)
			return (int)i;
	return -1;
}

static void names_add(struct names *s, const char *name)
{
	assert_true(names_find(s, name) < 0);
	assert_true(s->count < NAMES_MAX);
	snprintf(s->n[s->count++], sizeof(s->n[0]), "%s", name);
}

static void names_remove(struct names *s, const char *name)
{
	int i = names_find(s, name);
	assert_true(i >= 0);
	s->count--;
	memcpy(s->n[i], s->n[s->count], sizeof(s->n[0]));
}

static void names_assert_equal(const struct names *a, const struct names *b)
{
	assert_int_equal(a->count, b->count);
	for (unsigned i = 0; i < a->count; i++)
		assert_true(names_find(b, a->n[i]) >= 0);
}

/* READDIR of the whole directory into out (the listing's entries). */
static void list_dir(struct nfs4c_sess *s, const struct dd_fh *dir, struct names *out)
{
	out->count = 0;
	uint64_t cookie = 0;
	struct nfs4_verifier verf;
	memset(&verf, 0, sizeof(verf));
	for (;;) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(s, &m, 0, false);
		nfs4c_putfh(&m, dir->fh, dir->len);
		struct nfs4_readdir_args a;
		memset(&a, 0, sizeof(a));
		a.cookie = cookie;
		a.cookieverf = verf;
		a.dircount = 8192;
		a.maxcount = 32768;
		NFS4C_OP(&m, OP_READDIR, nfs4_enc_readdir_args, &a);
		nfs4c_send(s->fd, s->cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_READDIR), NFS4_OK);
		struct nfs4_readdir_res r;
		assert_true(nfs4_dec_readdir_res(&p.d, &r));
		struct nfs4_dirent e;
		while (nfs4_readdir_res_next(&r, &e)) {
			char name[64];
			dd_copy_name(name, e.name);
			names_add(out, name);
		}
		cookie = r.last_cookie;
		verf = r.cookieverf;
		bool eof = r.eof;
		nfs4c_done(&p);
		if (eof)
			break;
	}
}

/* GETATTR change of the directory. */
static uint64_t dir_change(struct nfs4c_sess *s, const struct dd_fh *dir)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dir->fh, dir->len);
	static const unsigned bits[] = {FATTR4_CHANGE};
	nfs4c_getattr(&m, bits, 1);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_fattr_raw f;
	assert_true(nfs4_dec_fattr_raw(&p.d, &f));
	assert_int_equal(f.vals.len, 8);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | f.vals.data[i];
	nfs4c_done(&p);
	return v;
}

struct figures {
	unsigned listings, readdirs, getattrs, changes, notes, recalls;
};

/* b's change of round i: a new entry, or the oldest one made by b gone. */
static void change_dir(struct nfs4c_sess *b, const struct dd_fh *dir, unsigned i,
		       struct names *truth, unsigned *made, unsigned *gone)
{
	char name[32];
	if (i % (2 * CHANGE_EVERY) < CHANGE_EVERY || *gone == *made) {
		snprintf(name, sizeof(name), "c%u", (*made)++);
		assert_int_equal(dd_on(b, dir, OP_CREATE, dd_add_create_file, name), NFS4_OK);
		names_add(truth, name);
	} else {
		snprintf(name, sizeof(name), "c%u", (*gone)++);
		assert_int_equal(dd_on(b, dir, OP_REMOVE, dd_add_remove, name), NFS4_OK);
		names_remove(truth, name);
	}
}

static void apply_note(struct names *cache, const struct dd_note *n)
{
	switch (n->kind) {
	case NOTIFY4_ADD_ENTRY: names_add(cache, n->name); break;
	case NOTIFY4_REMOVE_ENTRY: names_remove(cache, n->name); break;
	case NOTIFY4_RENAME_ENTRY:
		names_remove(cache, n->name);
		names_add(cache, n->new_name);
		break;
	default: break;
	}
}

static void run(bool deleg, const char *dirname, struct figures *fig)
{
	memset(fig, 0, sizeof(*fig));
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	char an[32], bn[32];
	snprintf(an, sizeof(an), "rd-%s-a", dirname);
	snprintf(bn, sizeof(bn), "rd-%s-b", dirname);
	dl_client(&a, &sa, an, deleg ? 4001 : 4011);
	dl_client(&b, &sb, bn, deleg ? 4002 : 4012);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, dirname);
	static struct names truth, cache, check;
	memset(&truth, 0, sizeof(truth));
	for (unsigned i = 0; i < INITIAL; i++) {
		char name[32];
		snprintf(name, sizeof(name), "init%02u", i);
		assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, name), NFS4_OK);
		names_add(&truth, name);
	}
	struct nfs4_stateid sid;
	uint64_t change = 0;
	unsigned applied = 0, made = 0, gone = 0;
	if (deleg) {
		sid = dd_grant(&a, &dir, (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) |
						  (1u << NOTIFY4_RENAME_ENTRY));
		list_dir(&a, &dir, &cache);
		fig->readdirs++;
	} else {
		cache.count = 0;
		change = UINT64_MAX; /* nothing cached yet */
	}
	struct dd_note *got = calloc(DD_NOTES_MAX, sizeof(*got));
	assert_non_null(got);
	for (unsigned i = 0; i < ROUNDS; i++) {
		if (i % CHANGE_EVERY == CHANGE_EVERY - 1) {
			change_dir(&b, &dir, i, &truth, &made, &gone);
			fig->changes++;
		}
		/* a lists. */
		fig->listings++;
		if (deleg) {
			/* What the server told it: the change lands within the
			 * window. */
			unsigned want = fig->changes;
			unsigned have = dd_log_wait(&log, want, 2000, got);
			assert_int_equal(have, want);
			for (; applied < have; applied++)
				apply_note(&cache, &got[applied]);
			assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
		} else {
			uint64_t now = dir_change(&a, &dir);
			fig->getattrs++;
			if (now != change) {
				list_dir(&a, &dir, &cache);
				fig->readdirs++;
				change = now;
			}
		}
		names_assert_equal(&cache, &truth);
	}
	/* What the directory really holds, read once more (not counted). */
	list_dir(&a, &dir, &check);
	names_assert_equal(&check, &truth);
	fig->notes = applied;
	fig->recalls = nfs4c_cb_count(&sa, OP_CB_RECALL);
	assert_false(log.bad);
	if (deleg)
		assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	free(got);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

static void test_readdirs_saved(void **st)
{
	(void)st;
	struct figures without, with;
	run(false, "rd-plain", &without);
	run(true, "rd-deleg", &with);
	printf("dirdeleg-readdirs: %u listings of a %u-entry directory, %u changes by another "
	       "client\n",
	       without.listings, INITIAL, without.changes);
	printf("dirdeleg-readdirs: without delegation: READDIR %u, GETATTR %u\n",
	       without.readdirs, without.getattrs);
	printf("dirdeleg-readdirs: with delegation:    READDIR %u, GETATTR %u, changes notified "
	       "%u, recalls %u\n",
	       with.readdirs, with.getattrs, with.notes, with.recalls);
	assert_int_equal(with.changes, without.changes);
	/* Every change made the careful client read again; the holder read
	 * once and was told the rest. */
	assert_int_equal(without.readdirs, without.changes + 1);
	assert_int_equal(with.readdirs, 1);
	assert_int_equal(with.notes, with.changes);
	assert_true(with.readdirs < without.readdirs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readdirs_saved),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
