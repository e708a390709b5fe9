/* The state module's calls as the NFSv4.0 op handlers sequence them (an
 * owner's seqid begin/end around OPEN, OPEN_CONFIRM, CLOSE, LOCK, LOCKU),
 * for the state module's unit tests (state_test.h) and the fuzz targets
 * that drive it (fuzz/fuzz_state_nlm.c): nothing here asserts, every call
 * answers its status. */
#ifndef FERRY_TESTS_STATE_CALLS_H
#define FERRY_TESTS_STATE_CALLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "state/state.h"

static inline struct state_principal st_who(uint32_t uid)
{
	struct state_principal p;
	memset(&p, 0, sizeof(p));
	p.flavor = 1; /* AUTH_SYS */
	p.uid = uid;
	snprintf(p.machine, sizeof(p.machine), "host%u", uid);
	return p;
}

static inline struct state_callback st_cb(void)
{
	struct state_callback cb;
	memset(&cb, 0, sizeof(cb));
	cb.program = 0x40000000;
	snprintf(cb.netid, sizeof(cb.netid), "tcp");
	snprintf(cb.addr, sizeof(cb.addr), "127.0.0.1.0.1");
	return cb;
}

/* SETCLIENTID + SETCLIENTID_CONFIRM; *id the clientid. */
static inline enum nfsstat4 st_client_make(struct state_server *st, const char *name, uint32_t uid,
					   const char *verf, uint64_t *id)
{
	struct state_principal who = st_who(uid);
	struct state_callback cb = st_cb(), inuse;
	uint8_t v[8] = {0}, confirm[8];
	memcpy(v, verf, strlen(verf) < 8 ? strlen(verf) : 8);
	enum nfsstat4 s = state_setclientid(st, &who, v, (const uint8_t *)name,
					    (uint32_t)strlen(name), &cb, id, confirm, &inuse);
	return s == NFS4_OK ? state_setclientid_confirm(st, &who, *id, confirm) : s;
}

static inline struct state_file_key st_key(uint32_t export_id, const char *h)
{
	struct state_file_key k;
	memset(&k, 0, sizeof(k));
	k.export_id = export_id;
	k.bh.len = (uint8_t)strlen(h);
	memcpy(k.bh.data, h, k.bh.len);
	return k;
}

/* Whether an owner's seqid moves on after status (RFC 7530 9.1.7). */
static inline bool st_advances(enum nfsstat4 s)
{
	return s != NFS4ERR_STALE_CLIENTID && s != NFS4ERR_STALE_STATEID &&
	       s != NFS4ERR_BAD_STATEID && s != NFS4ERR_BAD_SEQID && s != NFS4ERR_BADXDR &&
	       s != NFS4ERR_RESOURCE && s != NFS4ERR_NOFILEHANDLE && s != NFS4ERR_MOVED;
}

/* One sequenced OPEN as the handler does it: no reply body is cached. */
static inline enum nfsstat4 st_open_raw(struct state_server *st, uint64_t clientid,
					const char *owner, uint32_t seqid,
					const struct state_file_key *k, uint32_t access,
					uint32_t deny, unsigned flags, struct nfs4_stateid *sid,
					bool *need_confirm)
{
	struct state_owner *o;
	enum nfsstat4 s = state_open_owner_get(st, clientid, (const uint8_t *)owner,
					       (uint32_t)strlen(owner), &o);
	if (s != NFS4_OK)
		return s;
	struct state_replay r;
	enum state_seq seq = state_seq_begin(st, o, seqid, OP_OPEN, false, &r);
	if (seq == STATE_SEQ_BAD)
		s = NFS4ERR_BAD_SEQID;
	else if (seq == STATE_SEQ_REPLAY)
		s = r.status;
	else
		s = state_open(st, o, k, access, deny, flags, 0, sid, need_confirm);
	state_seq_end(st, o, false, s, NULL, 0, seq == STATE_SEQ_NEW && s == NFS4_OK ? k : NULL);
	state_owner_put(st, o);
	return s;
}

/* A sequenced operation on the owner of a stateid. */
enum st_op { ST_CONFIRM, ST_CLOSE, ST_DOWNGRADE, ST_LOCKU };

static inline enum nfsstat4 st_stateid_op(struct state_server *st, enum st_op op,
					  const struct nfs4_stateid *sid, uint32_t seqid,
					  const struct state_file_key *k, uint32_t a, uint32_t b,
					  uint64_t off, uint64_t len, struct nfs4_stateid *out)
{
	static const uint32_t opnums[] = {OP_OPEN_CONFIRM, OP_CLOSE, OP_OPEN_DOWNGRADE,
					  OP_LOCKU};
	struct state_owner *o;
	enum nfsstat4 s = state_stateid_owner(st, 0, sid, &o);
	if (s != NFS4_OK)
		return s;
	struct state_replay r;
	enum state_seq seq = state_seq_begin(st, o, seqid, opnums[op], false, &r);
	if (seq == STATE_SEQ_BAD) {
		s = NFS4ERR_BAD_SEQID;
	} else if (seq == STATE_SEQ_REPLAY) {
		s = r.status;
		if (r.len == sizeof(*out))
			memcpy(out, r.body, sizeof(*out));
	} else {
		switch (op) {
		case ST_CONFIRM:
			s = state_open_confirm(st, o, sid, k, out);
			break;
		case ST_CLOSE:
			s = state_close(st, o, sid, k, 0, out);
			break;
		case ST_DOWNGRADE:
			s = state_open_downgrade(st, o, sid, k, a, b, 0, out);
			break;
		case ST_LOCKU:
			s = state_locku(st, o, sid, k, off, len, 0, out);
			break;
		}
	}
	/* The "reply body" cached here is the raw stateid, to check replays. */
	state_seq_end(st, o, false, s, (const uint8_t *)out, s == NFS4_OK ? sizeof(*out) : 0, NULL);
	state_owner_put(st, o);
	return s;
}

/* OPEN then, for a new owner, OPEN_CONFIRM: *sid is the usable stateid
 * and *next_seqid the owner's next seqid. */
static inline enum nfsstat4 st_open(struct state_server *st, uint64_t clientid,
				    const char *owner, uint32_t *next_seqid,
				    const struct state_file_key *k, uint32_t access, uint32_t deny,
				    struct nfs4_stateid *sid)
{
	bool confirm = false;
	enum nfsstat4 s =
		st_open_raw(st, clientid, owner, *next_seqid, k, access, deny, 0, sid, &confirm);
	if (st_advances(s))
		(*next_seqid)++;
	if (s != NFS4_OK || !confirm)
		return s;
	struct nfs4_stateid out;
	s = st_stateid_op(st, ST_CONFIRM, sid, *next_seqid, k, 0, 0, 0, 0, &out);
	if (st_advances(s))
		(*next_seqid)++;
	if (s == NFS4_OK)
		*sid = out;
	return s;
}

static inline enum nfsstat4 st_close(struct state_server *st, struct nfs4_stateid *sid,
				     uint32_t *seqid, const struct state_file_key *k)
{
	struct nfs4_stateid out;
	enum nfsstat4 s = st_stateid_op(st, ST_CLOSE, sid, *seqid, k, 0, 0, 0, 0, &out);
	if (st_advances(s))
		(*seqid)++;
	if (s == NFS4_OK)
		*sid = out;
	return s;
}

/* LOCK of minor version minor with a new lock owner from an open
 * (sequenced on the open owner): from 1 a denied blocking LOCK leaves a
 * waiter. */
static inline enum nfsstat4 st_lock_new_minor(struct state_server *st, uint32_t minor,
					      const struct nfs4_stateid *open_sid,
					      uint32_t *open_seqid, uint64_t clientid,
					      const char *lock_owner, uint32_t lock_seqid,
					      const struct state_file_key *k, uint32_t type,
					      uint64_t off, uint64_t len, struct nfs4_stateid *out,
					      struct state_lock_denied *denied)
{
	struct state_owner *o;
	enum nfsstat4 s = state_stateid_owner(st, 0, open_sid, &o);
	if (s != NFS4_OK)
		return s;
	struct state_lock_args a;
	memset(&a, 0, sizeof(a));
	a.type = type;
	a.offset = off;
	a.length = len;
	a.new_owner = true;
	a.open_stateid = *open_sid;
	a.lock_clientid = clientid;
	a.lock_owner = (const uint8_t *)lock_owner;
	a.lock_owner_len = (uint32_t)strlen(lock_owner);
	a.lock_seqid = lock_seqid;
	struct state_replay r;
	enum state_seq seq = state_seq_begin(st, o, *open_seqid, OP_LOCK, false, &r);
	if (seq == STATE_SEQ_NEW)
		s = state_lock(st, o, k, &a, minor, out, denied);
	else
		s = seq == STATE_SEQ_BAD ? NFS4ERR_BAD_SEQID : r.status;
	if (seq == STATE_SEQ_NEW && st_advances(s))
		(*open_seqid)++;
	state_seq_end(st, o, false, s, NULL, 0, NULL);
	state_owner_put(st, o);
	return s;
}

/* st_lock_new_minor of a v4.0 LOCK. */
static inline enum nfsstat4 st_lock_new(struct state_server *st,
					const struct nfs4_stateid *open_sid,
					uint32_t *open_seqid, uint64_t clientid,
					const char *lock_owner, uint32_t lock_seqid,
					const struct state_file_key *k, uint32_t type,
					uint64_t off, uint64_t len, struct nfs4_stateid *out,
					struct state_lock_denied *denied)
{
	return st_lock_new_minor(st, 0, open_sid, open_seqid, clientid, lock_owner, lock_seqid,
				 k, type, off, len, out, denied);
}

/* LOCK by an existing lock owner (sequenced on it). */
static inline enum nfsstat4 st_lock(struct state_server *st, struct nfs4_stateid *lock_sid,
				    uint32_t *lock_seqid, const struct state_file_key *k,
				    uint32_t type, bool reclaim, uint64_t off, uint64_t len,
				    struct state_lock_denied *denied)
{
	struct state_owner *o;
	enum nfsstat4 s = state_stateid_owner(st, 0, lock_sid, &o);
	if (s != NFS4_OK)
		return s;
	struct state_lock_args a;
	memset(&a, 0, sizeof(a));
	a.type = type;
	a.reclaim = reclaim;
	a.offset = off;
	a.length = len;
	a.lock_stateid = *lock_sid;
	struct state_replay r;
	struct nfs4_stateid out;
	enum state_seq seq = state_seq_begin(st, o, *lock_seqid, OP_LOCK, false, &r);
	if (seq == STATE_SEQ_NEW)
		s = state_lock(st, o, k, &a, 0, &out, denied);
	else
		s = seq == STATE_SEQ_BAD ? NFS4ERR_BAD_SEQID : r.status;
	if (seq == STATE_SEQ_NEW && st_advances(s))
		(*lock_seqid)++;
	state_seq_end(st, o, false, s, NULL, 0, NULL);
	state_owner_put(st, o);
	if (s == NFS4_OK)
		*lock_sid = out;
	return s;
}

static inline enum nfsstat4 st_unlock(struct state_server *st, struct nfs4_stateid *lock_sid,
				      uint32_t *lock_seqid, const struct state_file_key *k,
				      uint64_t off, uint64_t len)
{
	struct nfs4_stateid out;
	enum nfsstat4 s =
		st_stateid_op(st, ST_LOCKU, lock_sid, *lock_seqid, k, 0, 0, off, len, &out);
	if (st_advances(s))
		(*lock_seqid)++;
	if (s == NFS4_OK)
		*lock_sid = out;
	return s;
}

static inline struct nfs4_stateid st_special(uint8_t fill, uint32_t seqid)
{
	struct nfs4_stateid s;
	s.seqid = seqid;
	memset(s.other, fill, sizeof(s.other));
	return s;
}

#endif
