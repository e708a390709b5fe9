/* What the directory-delegation protocol tests share: the delegation
 * fixture's ferryd (fast callback retries, short lease) with settings of
 * their own, and v4.1 helpers: GET_DIR_DELEGATION, directories made and
 * changed through the protocol, DELEGRETURN of a directory. */
#ifndef FERRY_TESTS_PROTO_DIRDELEG_FIXTURE_H
#define FERRY_TESTS_PROTO_DIRDELEG_FIXTURE_H

#include "proto/deleg_fixture.h"

/* The delegation fixture's server with extra lines in [nfs]. */
static inline int dd_setup_with(const char *extra)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-dirdeleg-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	char p[300];
	snprintf(p, sizeof(p), "%s/export", dl_dir);
	if (mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ferry.conf", dl_dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fprintf(f, "[nfs]\nlease_time = 10\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		   "callback_retry_ms = 200\ncallback_retries = 1\n%s",
		extra);
	fclose(f);
	return dl_start();
}

/* A filehandle. */
struct dd_fh {
	uint8_t fh[NFS4_FHSIZE];
	uint32_t len;
};

/* CREATE of directory name in the export (asserts it worked). */
static inline struct dd_fh dd_mkdir(struct nfs4c_sess *s, const char *name)
{
	struct dd_fh out;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	struct nfs4_create_args c;
	memset(&c, 0, sizeof(c));
	c.type = NF4DIR;
	c.name = nfs4_opaque_str(name);
	static const uint8_t mode[4] = {0, 0, 0x01, 0xff}; /* 0777 */
	nfs4_bitmap_set(&c.attrs.mask, FATTR4_MODE);
	c.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	NFS4C_OP(&m, OP_CREATE, nfs4_enc_create_args, &c);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_CREATE), NFS4_OK);
	struct nfs4_create_res cr;
	assert_true(nfs4_dec_create_res(&p.d, &cr));
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p.d, &g));
	memcpy(out.fh, g.fh.data, g.fh.len);
	out.len = g.fh.len;
	nfs4c_done(&p);
	return out;
}

/* GET_DIR_DELEGATION on dir asking for the notifications in notify
 * (NOTIFY4_* bits), the given child and directory attributes and delays
 * (milliseconds); returns the operation's status, *out its result. */
static inline uint32_t dd_get_full(struct nfs4c_sess *s, const struct dd_fh *dir, uint32_t notify,
				   const struct nfs4_bitmap *child, const struct nfs4_bitmap *dattr,
				   uint32_t delay_ms, struct nfs4_get_dir_delegation_res *out)
{
	struct nfs4_get_dir_delegation_args a;
	memset(&a, 0, sizeof(a));
	a.notification_types.w[0] = notify;
	if (child)
		a.child_attributes = *child;
	if (dattr)
		a.dir_attributes = *dattr;
	a.child_attr_delay.tv_sec = delay_ms / 1000;
	a.child_attr_delay.tv_nsec = (long)(delay_ms % 1000) * 1000000;
	a.dir_attr_delay = a.child_attr_delay;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dir->fh, dir->len);
	NFS4C_OP(&m, OP_GET_DIR_DELEGATION, nfs4_enc_get_dir_delegation_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_GET_DIR_DELEGATION);
	memset(out, 0, sizeof(*out));
	if (st == NFS4_OK)
		assert_true(nfs4_dec_get_dir_delegation_res(&p.d, out));
	nfs4c_done(&p);
	return st;
}

static inline uint32_t dd_get(struct nfs4c_sess *s, const struct dd_fh *dir, uint32_t notify,
			      struct nfs4_get_dir_delegation_res *out)
{
	return dd_get_full(s, dir, notify, NULL, NULL, 0, out);
}

/* A granted delegation on dir (asserts GDD4_OK); its stateid. */
static inline struct nfs4_stateid dd_grant(struct nfs4c_sess *s, const struct dd_fh *dir,
					   uint32_t notify)
{
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get(s, dir, notify, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	return r.stateid;
}

static inline void dd_add_delegreturn(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_DELEGRETURN, nfs4_enc_delegreturn_args,
		 &(struct nfs4_stateid_args){*(const struct nfs4_stateid *)arg});
}

static inline uint32_t dd_return(struct nfs4c_sess *s, const struct dd_fh *dir,
				 const struct nfs4_stateid *sid)
{
	return dl_on(s, dir->fh, dir->len, OP_DELEGRETURN, dd_add_delegreturn, sid);
}

/* --- changes to a directory (the current fh), as dl_on operations ----------------- */

static inline void dd_add_create_file(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_create_args c;
	memset(&c, 0, sizeof(c));
	c.type = NF4LNK; /* an entry that needs no OPEN state */
	c.name = nfs4_opaque_str(arg);
	c.linkdata = nfs4_opaque_str("target");
	NFS4C_OP(m, OP_CREATE, nfs4_enc_create_args, &c);
}

static inline void dd_add_remove(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_REMOVE, nfs4_enc_remove_args,
		 &(struct nfs4_name_args){nfs4_opaque_str(arg)});
}

/* RENAME names[0] to names[1] within the current directory. */
static inline void dd_add_rename(struct nfs4c_call *m, const void *arg)
{
	const char *const *names = arg;
	nfs4c_op(m, OP_SAVEFH);
	struct nfs4_rename_args r = {nfs4_opaque_str(names[0]), nfs4_opaque_str(names[1])};
	NFS4C_OP(m, OP_RENAME, nfs4_enc_rename_args, &r);
}

/* A rename between directories: the current fh is the source. */
struct dd_move {
	const char *from, *to;
	const struct dd_fh *target;
};

static inline void dd_add_move(struct nfs4c_call *m, const void *arg)
{
	const struct dd_move *mv = arg;
	nfs4c_op(m, OP_SAVEFH);
	nfs4c_putfh(m, mv->target->fh, mv->target->len);
	struct nfs4_rename_args r = {nfs4_opaque_str(mv->from), nfs4_opaque_str(mv->to)};
	NFS4C_OP(m, OP_RENAME, nfs4_enc_rename_args, &r);
}

/* SETATTR mode (arg: the mode as a uint32_t) without a stateid. */
static inline void dd_add_chmod(struct nfs4c_call *m, const void *arg)
{
	uint32_t mode = *(const uint32_t *)arg;
	uint8_t v[4] = {(uint8_t)(mode >> 24), (uint8_t)(mode >> 16), (uint8_t)(mode >> 8),
			(uint8_t)mode};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){v, sizeof(v)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

static inline uint32_t dd_on(struct nfs4c_sess *s, const struct dd_fh *dir, uint32_t opnum,
			     dl_op_fn add, const void *arg)
{
	return dl_on(s, dir->fh, dir->len, opnum, add, arg);
}

#endif
