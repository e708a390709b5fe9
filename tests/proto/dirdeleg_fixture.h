/* What the directory-delegation protocol tests share: the delegation
 * fixture's ferryd (fast callback retries, short lease; dl_setup_with for
 * settings of their own), and v4.1 helpers: GET_DIR_DELEGATION, directories made and
 * changed through the protocol, DELEGRETURN of a directory. */
#ifndef FERRY_TESTS_PROTO_DIRDELEG_FIXTURE_H
#define FERRY_TESTS_PROTO_DIRDELEG_FIXTURE_H

#include <fcntl.h>
#include <unistd.h>

#include "proto/deleg_fixture.h"

/* A filehandle. */
struct dd_fh {
	uint8_t fh[NFS4_FHSIZE];
	uint32_t len;
};

/* A file of size bytes made on the host in dir_path, owned by 4001 (the
 * tests' protocol user, who may then change it through the server). */
static inline void dd_host_file(const char *dir_path, const char *name, size_t size)
{
	char p[500];
	snprintf(p, sizeof(p), "%s/%s", dir_path, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(fchown(fd, 4001, 4001), 0);
	close(fd);
}

/* CREATE of directory name in the export (asserts it worked). */
/* The next result, GETFH's (asserts NFS4_OK). */
static inline struct dd_fh dd_getfh_result(struct nfs4c_reply *p)
{
	struct dd_fh out;
	assert_int_equal(nfs4c_next(p, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p->d, &g));
	memcpy(out.fh, g.fh.data, g.fh.len);
	out.len = g.fh.len;
	return out;
}

static inline struct dd_fh dd_mkdir(struct nfs4c_sess *s, const char *name)
{
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
	struct dd_fh out = dd_getfh_result(&p);
	nfs4c_done(&p);
	return out;
}

/* The export's root directory. */
static inline struct dd_fh dd_export_fh(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	struct dd_fh out = dd_getfh_result(&p);
	nfs4c_done(&p);
	return out;
}

/* GET_DIR_DELEGATION on dir asking for the notifications in notify
 * (NOTIFY4_* bits), the given child and directory attributes and delays
 * (milliseconds); returns the operation's status, *out its result. */
static inline uint32_t dd_get_args(struct nfs4c_sess *s, const struct dd_fh *dir,
				   const struct nfs4_get_dir_delegation_args *a,
				   struct nfs4_get_dir_delegation_res *out);

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
	return dd_get_args(s, dir, &a, out);
}

/* GET_DIR_DELEGATION with arguments a. */
static inline uint32_t dd_get_args(struct nfs4c_sess *s, const struct dd_fh *dir,
				   const struct nfs4_get_dir_delegation_args *a,
				   struct nfs4_get_dir_delegation_res *out)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dir->fh, dir->len);
	NFS4C_OP(&m, OP_GET_DIR_DELEGATION, nfs4_enc_get_dir_delegation_args, a);
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

/* --- notifications received ------------------------------------------------------ */

/* One change of a CB_NOTIFY, decoded. */
struct dd_note {
	unsigned call;   /* which CB_NOTIFY it came in (0, 1, ...) */
	uint32_t kind;   /* NOTIFY4_* */
	struct nfs4_stateid stateid;
	char name[64];     /* ADD, REMOVE: the entry; RENAME: the old name; ATTRS: the entry */
	char new_name[64]; /* RENAME */
	char replaced[64]; /* ADD, RENAME: the entry renamed over (nad_old_entry), or "" */
	struct nfs4_bitmap attr_mask; /* the attributes that came with it */
	uint8_t attr_vals[256];
	uint32_t attr_len;
	struct nfs4_verifier old_verf, new_verf; /* CHANGE_COOKIE_VERIFIER */
};

enum { DD_NOTES_MAX = 256 };

/* What a client's back channel received; answer is the status its
 * CB_NOTIFYs get. */
struct dd_log {
	pthread_mutex_t lock;
	struct dd_note notes[DD_NOTES_MAX];
	unsigned count, calls;
	uint32_t answer;
	bool bad; /* a change that did not decode */
};

static inline void dd_copy_name(char out[64], struct nfs4_opaque n)
{
	size_t len = n.len < 63 ? n.len : 63;
	memcpy(out, n.data, len);
	out[len] = '\0';
}

static inline void dd_copy_attrs(struct dd_note *o, const struct nfs4_fattr_raw *a)
{
	o->attr_mask = a->mask;
	o->attr_len = a->vals.len < sizeof(o->attr_vals) ? a->vals.len : sizeof(o->attr_vals);
	memcpy(o->attr_vals, a->vals.data, o->attr_len);
}

/* Decodes one notify4 into o; false when it is not one change Ferry sends
 * (exactly one type bit, and its body whole). */
static inline bool dd_decode_change(const struct nfs4_notify *n, struct dd_note *o)
{
	unsigned bits = 0;
	for (uint32_t k = 0; k < 32; k++)
		if (n->mask.w[0] & (1u << k)) {
			o->kind = k;
			bits++;
		}
	for (unsigned w = 1; w < NFS4_BITMAP_WORDS; w++)
		if (n->mask.w[w])
			return false;
	if (bits != 1)
		return false;
	struct xdr_dec d;
	xdr_dec_init(&d, n->vals.data, n->vals.len);
	bool ok = false;
	switch (o->kind) {
	case NOTIFY4_ADD_ENTRY: {
		struct nfs4_notify_add a;
		ok = nfs4_dec_notify_add(&d, &a);
		if (ok) {
			dd_copy_name(o->name, a.new_entry.name);
			if (a.has_old_entry)
				dd_copy_name(o->replaced, a.old_entry.old_entry.name);
			dd_copy_attrs(o, &a.new_entry.attrs);
		}
		break;
	}
	case NOTIFY4_REMOVE_ENTRY: {
		struct nfs4_notify_remove r;
		ok = nfs4_dec_notify_remove(&d, &r);
		if (ok)
			dd_copy_name(o->name, r.old_entry.name);
		break;
	}
	case NOTIFY4_RENAME_ENTRY: {
		struct nfs4_notify_rename r;
		ok = nfs4_dec_notify_rename(&d, &r);
		if (ok) {
			dd_copy_name(o->name, r.old_entry.old_entry.name);
			dd_copy_name(o->new_name, r.new_entry.new_entry.name);
			if (r.new_entry.has_old_entry)
				dd_copy_name(o->replaced, r.new_entry.old_entry.old_entry.name);
			dd_copy_attrs(o, &r.new_entry.new_entry.attrs);
		}
		break;
	}
	case NOTIFY4_CHANGE_CHILD_ATTRS:
	case NOTIFY4_CHANGE_DIR_ATTRS: {
		struct nfs4_notify_attr a;
		ok = nfs4_dec_notify_attr(&d, &a);
		if (ok) {
			dd_copy_name(o->name, a.changed_entry.name);
			dd_copy_attrs(o, &a.changed_entry.attrs);
		}
		break;
	}
	case NOTIFY4_CHANGE_COOKIE_VERIFIER: {
		struct nfs4_notify_verifier v;
		ok = nfs4_dec_notify_verifier(&d, &v);
		if (ok) {
			o->old_verf = v.old_cookieverf;
			o->new_verf = v.new_cookieverf;
		}
		break;
	}
	default:
		break;
	}
	/* Nothing may follow the body. */
	return ok && d.p == d.end;
}

static inline uint32_t dd_notify_handler(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
					 struct xdr_enc *res)
{
	(void)res;
	struct dd_log *log = svc->arg;
	pthread_mutex_lock(&log->lock);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &op->u.notify.changes);
	for (uint32_t i = 0; i < op->u.notify.changes.count; i++) {
		struct nfs4_notify n;
		struct dd_note o;
		memset(&o, 0, sizeof(o));
		o.call = log->calls;
		o.stateid = op->u.notify.stateid;
		if (!nfs4_dec_notify(&it, &n) || !dd_decode_change(&n, &o)) {
			log->bad = true;
			continue;
		}
		if (log->count < DD_NOTES_MAX)
			log->notes[log->count++] = o;
	}
	log->calls++;
	uint32_t answer = log->answer;
	pthread_mutex_unlock(&log->lock);
	return answer;
}

/* Routes svc's CB_NOTIFYs to log. */
static inline void dd_log_attach(struct nfs4c_cb *svc, struct dd_log *log)
{
	memset(log, 0, sizeof(*log));
	pthread_mutex_init(&log->lock, NULL);
	log->answer = NFS4_OK;
	pthread_mutex_lock(&svc->lock);
	svc->arg = log;
	svc->handlers[OP_CB_NOTIFY] = dd_notify_handler;
	pthread_mutex_unlock(&svc->lock);
}

/* Waits until the log holds n changes (or timeout); a copy of them. */
static inline unsigned dd_log_wait(struct dd_log *log, unsigned n, unsigned timeout_ms,
				   struct dd_note *out)
{
	uint64_t end = dl_now_ms() + timeout_ms;
	for (;;) {
		pthread_mutex_lock(&log->lock);
		unsigned have = log->count;
		if (have >= n || dl_now_ms() > end) {
			memcpy(out, log->notes, have * sizeof(*out));
			pthread_mutex_unlock(&log->lock);
			return have;
		}
		pthread_mutex_unlock(&log->lock);
		usleep(10 * 1000);
	}
}

#endif
