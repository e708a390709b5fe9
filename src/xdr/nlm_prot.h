/* The Network Lock Manager protocol, version 4 (program 100021), and the
 * Network Status Monitor (program 100024) calls around it: protocol
 * numbers and the one codec of both, each type decoded and encoded in one
 * place (nlm_codec.c), for the server, its callbacks and the tests.
 *
 * The wire types follow the X/Open XNFS specification (C702) and the
 * nlm_prot.x / sm_inter.x files that every implementation ships.  Decoded
 * variable-length items (cookies, file handles, owner handles, names) point
 * into the input, which must outlive the decoded struct; nothing is
 * allocated.  A decoder returns false on anything malformed (short input,
 * a length past its bound, a bool that is not 0 or 1), which the program
 * answers GARBAGE_ARGS. */
#ifndef FERRY_XDR_NLM_PROT_H
#define FERRY_XDR_NLM_PROT_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/xdr.h"

enum {
	NLM_PROGRAM = 100021,
	NLM4_VERSION = 4,
	NSM_PROGRAM = 100024,
	NSM_VERSION = 1,
	PMAP_PROGRAM = 100000,
	PMAP_VERSION = 2,
	PMAPPROC_GETPORT = 3,
};

/* NLM v4 procedures. */
enum nlm4_proc {
	NLMPROC4_NULL = 0,
	NLMPROC4_TEST = 1,
	NLMPROC4_LOCK = 2,
	NLMPROC4_CANCEL = 3,
	NLMPROC4_UNLOCK = 4,
	NLMPROC4_GRANTED = 5,
	NLMPROC4_TEST_MSG = 6,
	NLMPROC4_LOCK_MSG = 7,
	NLMPROC4_CANCEL_MSG = 8,
	NLMPROC4_UNLOCK_MSG = 9,
	NLMPROC4_GRANTED_MSG = 10,
	NLMPROC4_TEST_RES = 11,
	NLMPROC4_LOCK_RES = 12,
	NLMPROC4_CANCEL_RES = 13,
	NLMPROC4_UNLOCK_RES = 14,
	NLMPROC4_GRANTED_RES = 15,
	/* Not of the XNFS specification: the procedure the local statd
	 * calls back (SM_MON's my_id) when a monitored host rebooted; 16, as
	 * the Linux lockd numbers it, takes struct nsm_status. */
	NLMPROC4_SM_NOTIFY = 16,
	NLMPROC4_SHARE = 20,
	NLMPROC4_UNSHARE = 21,
	NLMPROC4_NM_LOCK = 22,
	NLMPROC4_FREE_ALL = 23,
	NLMPROC4_MAX = 23,
};

enum nlm4_stats {
	NLM4_GRANTED = 0,
	NLM4_DENIED = 1,
	NLM4_DENIED_NOLOCKS = 2,
	NLM4_BLOCKED = 3,
	NLM4_DENIED_GRACE_PERIOD = 4,
	NLM4_DEADLCK = 5,
	NLM4_ROFS = 6,
	NLM4_STALE_FH = 7,
	NLM4_FBIG = 8,
	NLM4_FAILED = 9,
};

/* DOS share reservations (nlm4_share). */
enum { NLM4_FSM_DN = 0, NLM4_FSM_DR = 1, NLM4_FSM_DW = 2, NLM4_FSM_DRW = 3 };
enum { NLM4_FSA_NONE = 0, NLM4_FSA_R = 1, NLM4_FSA_W = 2, NLM4_FSA_RW = 3 };

enum {
	NLM4_MAXNETOBJ = 1024, /* MAXNETOBJ_SZ */
	NLM4_MAXSTRLEN = 1024, /* LM_MAXSTRLEN */
	NLM4_FH_MAX = 1024,    /* netobj: the program rejects what no handle can be */
	NSM_MAXSTRLEN = 1024,  /* SM_MAXSTRLEN */
	NSM_PRIV_SIZE = 16,
};

/* NSM procedures and results. */
enum nsm_proc {
	SM_NULL = 0,
	SM_STAT = 1,
	SM_MON = 2,
	SM_UNMON = 3,
	SM_UNMON_ALL = 4,
	SM_SIMU_CRASH = 5,
	SM_NOTIFY = 6,
};
enum { NSM_STAT_SUCC = 0, NSM_STAT_FAIL = 1 };

/* netobj, string: bytes in place. */
struct nlm_bytes {
	const uint8_t *data;
	uint32_t len;
};

struct nlm4_lock {
	struct nlm_bytes caller_name; /* string<LM_MAXSTRLEN> */
	struct nlm_bytes fh;
	struct nlm_bytes oh;
	int32_t svid;
	uint64_t offset, len; /* len 0: to the end of the file */
};

struct nlm4_holder {
	bool exclusive;
	int32_t svid;
	struct nlm_bytes oh;
	uint64_t offset, len;
};

/* TEST, TEST_MSG, GRANTED, GRANTED_MSG. */
struct nlm4_testargs {
	struct nlm_bytes cookie;
	bool exclusive;
	struct nlm4_lock lock;
};

/* LOCK, LOCK_MSG, NM_LOCK. */
struct nlm4_lockargs {
	struct nlm_bytes cookie;
	bool block, exclusive;
	struct nlm4_lock lock;
	bool reclaim;
	int32_t state; /* the client's NSM state */
};

/* CANCEL, CANCEL_MSG. */
struct nlm4_cancargs {
	struct nlm_bytes cookie;
	bool block, exclusive;
	struct nlm4_lock lock;
};

/* UNLOCK, UNLOCK_MSG. */
struct nlm4_unlockargs {
	struct nlm_bytes cookie;
	struct nlm4_lock lock;
};

/* The result of LOCK, CANCEL, UNLOCK, GRANTED (and their _RES). */
struct nlm4_res {
	struct nlm_bytes cookie;
	uint32_t stat;
};

/* TEST's result: holder is set when stat is NLM4_DENIED. */
struct nlm4_testres {
	struct nlm_bytes cookie;
	uint32_t stat;
	struct nlm4_holder holder;
};

struct nlm4_share {
	struct nlm_bytes caller_name;
	struct nlm_bytes fh;
	struct nlm_bytes oh;
	uint32_t mode;	 /* NLM4_FSM_* (what it denies) */
	uint32_t access; /* NLM4_FSA_* */
};

struct nlm4_shareargs {
	struct nlm_bytes cookie;
	struct nlm4_share share;
	bool reclaim;
};

struct nlm4_shareres {
	struct nlm_bytes cookie;
	uint32_t stat;
	int32_t sequence;
};

/* FREE_ALL. */
struct nlm4_notify {
	struct nlm_bytes name;
	int32_t state;
};

/* --- NSM ---------------------------------------------------------------- */

struct nsm_my_id {
	struct nlm_bytes my_name;
	int32_t my_prog, my_vers, my_proc;
};

/* SM_MON's argument (SM_UNMON takes the mon_id alone). */
struct nsm_mon {
	struct nlm_bytes mon_name;
	struct nsm_my_id my_id;
	uint8_t priv[NSM_PRIV_SIZE];
};

struct nsm_stat_res {
	uint32_t res_stat; /* NSM_STAT_* */
	int32_t state;
};

/* SM_NOTIFY (stat_chge), a rebooted peer to the local statd. */
struct nsm_stat_chge {
	struct nlm_bytes mon_name;
	int32_t state;
};

/* statd's callback to my_id on a monitored host's reboot. */
struct nsm_status {
	struct nlm_bytes mon_name;
	int32_t state;
	uint8_t priv[NSM_PRIV_SIZE];
};

/* --- the codec ----------------------------------------------------------- */

bool nlm4_decode_lock(struct xdr_dec *d, struct nlm4_lock *out);
bool nlm4_encode_lock(struct xdr_enc *e, const struct nlm4_lock *in);
bool nlm4_decode_testargs(struct xdr_dec *d, struct nlm4_testargs *out);
bool nlm4_encode_testargs(struct xdr_enc *e, const struct nlm4_testargs *in);
bool nlm4_decode_lockargs(struct xdr_dec *d, struct nlm4_lockargs *out);
bool nlm4_encode_lockargs(struct xdr_enc *e, const struct nlm4_lockargs *in);
bool nlm4_decode_cancargs(struct xdr_dec *d, struct nlm4_cancargs *out);
bool nlm4_encode_cancargs(struct xdr_enc *e, const struct nlm4_cancargs *in);
bool nlm4_decode_unlockargs(struct xdr_dec *d, struct nlm4_unlockargs *out);
bool nlm4_encode_unlockargs(struct xdr_enc *e, const struct nlm4_unlockargs *in);
bool nlm4_decode_res(struct xdr_dec *d, struct nlm4_res *out);
bool nlm4_encode_res(struct xdr_enc *e, const struct nlm4_res *in);
bool nlm4_decode_testres(struct xdr_dec *d, struct nlm4_testres *out);
bool nlm4_encode_testres(struct xdr_enc *e, const struct nlm4_testres *in);
bool nlm4_decode_shareargs(struct xdr_dec *d, struct nlm4_shareargs *out);
bool nlm4_encode_shareargs(struct xdr_enc *e, const struct nlm4_shareargs *in);
bool nlm4_decode_shareres(struct xdr_dec *d, struct nlm4_shareres *out);
bool nlm4_encode_shareres(struct xdr_enc *e, const struct nlm4_shareres *in);
bool nlm4_decode_notify(struct xdr_dec *d, struct nlm4_notify *out);
bool nlm4_encode_notify(struct xdr_enc *e, const struct nlm4_notify *in);

bool nsm_decode_my_id(struct xdr_dec *d, struct nsm_my_id *out);
bool nsm_encode_my_id(struct xdr_enc *e, const struct nsm_my_id *in);
bool nsm_decode_mon(struct xdr_dec *d, struct nsm_mon *out);
bool nsm_encode_mon(struct xdr_enc *e, const struct nsm_mon *in);
/* SM_UNMON's mon_id: the mon without priv. */
bool nsm_decode_mon_id(struct xdr_dec *d, struct nsm_mon *out);
bool nsm_encode_mon_id(struct xdr_enc *e, const struct nsm_mon *in);
bool nsm_decode_stat_res(struct xdr_dec *d, struct nsm_stat_res *out);
bool nsm_encode_stat_res(struct xdr_enc *e, const struct nsm_stat_res *in);
bool nsm_decode_stat_chge(struct xdr_dec *d, struct nsm_stat_chge *out);
bool nsm_encode_stat_chge(struct xdr_enc *e, const struct nsm_stat_chge *in);
bool nsm_decode_status(struct xdr_dec *d, struct nsm_status *out);
bool nsm_encode_status(struct xdr_enc *e, const struct nsm_status *in);

/* The name of an NLM v4 procedure ("LOCK", "TEST_MSG"; "?" for others). */
const char *nlm4_proc_name(uint32_t proc);
/* The name of an nlm4_stats value ("GRANTED", "DENIED_GRACE_PERIOD"). */
const char *nlm4_stat_name(uint32_t stat);

#endif
