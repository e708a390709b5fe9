/* libFuzzer target: sequences of NLM calls on the state module's lock table
 * (state/opens/state_nlm.h), with an NFSv4 lock owner's LOCK, LOCKU and LOCKT
 * among them, checked against a model of what they must do.
 *
 * Six NLM lock owners (three hosts, each at an address of its own, two
 * svids each) lock, unlock, test, cancel, share and unshare ranges of two
 * files, and hosts are freed (FREE_ALL); a seventh owner is an NFSv4.0
 * client's lock owner, whose open of the first file (read and write, deny
 * none) stands for the whole run: its LOCK never waits (NFS4ERR_DENIED
 * naming the holder), LOCKU, LOCKT (for TEST); its other calls are none.
 * The model keeps, per owner and file, the bytes it holds and their type,
 * the blocked LOCKs in the order they came, and the share reservations,
 * from the contract alone:
 *
 *  - a LOCK is granted iff no other owner holds an overlapping range that
 *    conflicts (a write lock against anything, a read lock against a
 *    write lock); granted, it replaces the owner's own locks on its range;
 *    refused, a blocking LOCK waits (BLOCKED) unless waiting closes a cycle
 *    of owners each waiting for the next (DEADLCK); a repeated blocked
 *    request keeps its place with the newest call's bytes;
 *  - TEST is denied iff LOCK would be, and names a holder that holds the
 *    bytes it names, of the type it names, overlapping the tested range;
 *  - UNLOCK cuts the owner's range; CANCEL forgets the blocked LOCK of
 *    that owner, range and type; FREE_ALL drops everything of a host;
 *  - a blocked LOCK is granted (the grant hook, with its call's bytes)
 *    only when nothing conflicts any more, and none is left waiting once
 *    nothing stands in its way: checked after every call, once the
 *    grants have been flushed;
 *  - SHARE is denied iff another owner's reservation (or the NFSv4 open)
 *    on the file denies what it asks or asks what it denies; one per
 *    owner and file;
 *  - the host record comes with a host's first lock, blocked LOCK or share
 *    and goes with its last (host_new, host_gone, state_nlm_addr_held),
 *    and the counters (hosts, blocked LOCKs, shares, locks) follow.
 *
 * Input layout, 3 bytes a call (at most 128 calls):
 *   byte 0   bits 0-2 the call (LOCK, LOCK blocking, UNLOCK, TEST, CANCEL,
 *            SHARE, UNSHARE, FREE_ALL), bits 3-5 the owner (modulo 7: 6 is
 *            the NFSv4 one), bit 6 the file, bit 7 exclusive
 *   byte 1   the offset: 0-23 as is, else one near 2^32, 2^63 or 2^64
 *            (SHARE: its access, the low two bits)
 *   byte 2   the length: 0 (to the end), 1-12, or one that runs past
 *            2^64 from most offsets (SHARE: its deny mode, the low two
 *            bits)
 * At the end the NFSv4 owner unlocks everything, every host is freed, and
 * the table must be empty.
 *
 * Seeds: fuzz/corpus/state_nlm, made by FUZZ_STATE_NLM_SEEDS=DIR
 * fuzz_state_nlm (a waiter granted in turn, a deadlock, shares, FREE_ALL
 * under waiters, ranges at 2^64, the NFSv4 owner against NLM's).  FUZZ_STATE_NLM_VERBOSE=1 prints each
 * call, its answer and the grants it made to stderr. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"
#include "state/state_calls.h"
#include "state/opens/state_nlm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NLM_OWNERS = 6, V4_OWNER = NLM_OWNERS, OWNERS, HOSTS = 3, FILES = 2 };
enum { CALLS_MAX = 128, RANGES_MAX = 2 * CALLS_MAX + 2 };
enum { C_LOCK, C_LOCK_BLOCK, C_UNLOCK, C_TEST, C_CANCEL, C_SHARE, C_UNSHARE, C_FREE_ALL };

static const char *const host_name[HOSTS] = {"host-a", "host-b", "host-c"};
static const char *const host_addr[HOSTS] = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};

static struct state_server *st;
static bool verbose;

/* The NFSv4 owner: its client, its open of file 0, its lock stateid
 * there (made at the start: the owner exists for the whole run). */
static const char v4_lock_owner[] = "fuzz-v4-lock-owner";
static uint64_t v4_clientid;
static struct nfs4_stateid v4_lock_sid;
static uint32_t v4_lock_seqid;
static struct state_file_key file_key[FILES];

/* --- the model ------------------------------------------------------------------ */

struct mrange {
	uint64_t start, last;
	bool excl;
};

struct mheld {
	struct mrange r[RANGES_MAX];
	unsigned n;
};

struct mwait {
	unsigned owner, file;
	uint64_t start, last;
	bool excl;
	uint32_t id; /* the blob of the newest call */
};

struct mshare {
	bool on;
	uint32_t access, deny;
};

static struct mheld held[FILES][OWNERS];
static struct mwait waits[CALLS_MAX];
static unsigned nwaits;
static struct mshare shares[FILES][OWNERS];
static uint32_t next_id;

/* Grants the hook got since the last flush: their blobs. */
static uint32_t granted[CALLS_MAX * 2];
static unsigned ngranted;

static void fail(const char *what, unsigned call)
{
	fprintf(stderr, "fuzz_state_nlm: call %u: %s\n", call, what);
	abort();
}

static unsigned host_of(unsigned owner) { return owner / 2; }

static bool overlaps(const struct mrange *r, uint64_t start, uint64_t last)
{
	return r->start <= last && start <= r->last;
}

static bool conflicts(const struct mrange *r, bool excl) { return excl || r->excl; }

/* Another owner's range on the file in the way of [start, last]; its
 * owner in *by. */
static const struct mrange *model_conflict(unsigned file, unsigned owner, uint64_t start,
					   uint64_t last, bool excl, unsigned *by)
{
	for (unsigned o = 0; o < OWNERS; o++) {
		if (o == owner)
			continue;
		for (unsigned i = 0; i < held[file][o].n; i++) {
			const struct mrange *r = &held[file][o].r[i];
			if (overlaps(r, start, last) && conflicts(r, excl)) {
				if (by)
					*by = o;
				return r;
			}
		}
	}
	return NULL;
}

static void model_cut(unsigned file, unsigned owner, uint64_t start, uint64_t last)
{
	struct mheld *h = &held[file][owner];
	struct mrange out[RANGES_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < h->n; i++) {
		struct mrange r = h->r[i];
		if (!overlaps(&r, start, last)) {
			out[n++] = r;
			continue;
		}
		if (r.start < start)
			out[n++] = (struct mrange){r.start, start - 1, r.excl};
		if (r.last > last)
			out[n++] = (struct mrange){last + 1, r.last, r.excl};
	}
	if (n > RANGES_MAX)
		fail("model: too many ranges", 0);
	memcpy(h->r, out, n * sizeof(out[0]));
	h->n = n;
}

static void model_set(unsigned file, unsigned owner, uint64_t start, uint64_t last, bool excl)
{
	model_cut(file, owner, start, last);
	struct mheld *h = &held[file][owner];
	if (h->n == RANGES_MAX)
		fail("model: too many ranges", 0);
	h->r[h->n++] = (struct mrange){start, last, excl};
}

/* Whether the owner holds every byte of [start, last] with this type. */
static bool model_covers(unsigned file, unsigned owner, uint64_t start, uint64_t last, bool excl)
{
	uint64_t pos = start;
	for (;;) {
		const struct mrange *hit = NULL;
		for (unsigned i = 0; i < held[file][owner].n && !hit; i++) {
			const struct mrange *r = &held[file][owner].r[i];
			if (r->excl == excl && r->start <= pos && pos <= r->last)
				hit = r;
		}
		if (!hit)
			return false;
		if (hit->last >= last)
			return true;
		pos = hit->last + 1;
	}
}

static bool owner_holds_any(unsigned owner)
{
	for (unsigned f = 0; f < FILES; f++)
		if (held[f][owner].n)
			return true;
	return false;
}

static bool host_has_state(unsigned host)
{
	for (unsigned o = host * 2; o < host * 2 + 2; o++) {
		if (owner_holds_any(o))
			return true;
		for (unsigned f = 0; f < FILES; f++)
			if (shares[f][o].on)
				return true;
	}
	for (unsigned i = 0; i < nwaits; i++)
		if (host_of(waits[i].owner) == host)
			return true;
	return false;
}

static int wait_find(unsigned owner, unsigned file, uint64_t start, uint64_t last, bool excl)
{
	for (unsigned i = 0; i < nwaits; i++) {
		const struct mwait *w = &waits[i];
		if (w->owner == owner && w->file == file && w->start == start && w->last == last &&
		    w->excl == excl)
			return (int)i;
	}
	return -1;
}

static void wait_drop(unsigned i)
{
	memmove(&waits[i], &waits[i + 1], (nwaits - i - 1) * sizeof(waits[0]));
	nwaits--;
}

/* Whether owner waits, through its blocked LOCKs and the holders in their
 * way, for target (seen: owners walked already). */
static bool waits_for(unsigned owner, unsigned target, bool *seen)
{
	if (owner == target)
		return true;
	if (seen[owner])
		return false;
	seen[owner] = true;
	for (unsigned i = 0; i < nwaits; i++) {
		const struct mwait *w = &waits[i];
		if (w->owner != owner)
			continue;
		for (unsigned o = 0; o < OWNERS; o++) {
			if (o == owner)
				continue;
			bool in_way = false;
			for (unsigned k = 0; k < held[w->file][o].n && !in_way; k++)
				in_way = overlaps(&held[w->file][o].r[k], w->start, w->last) &&
					 conflicts(&held[w->file][o].r[k], w->excl);
			if (in_way && waits_for(o, target, seen))
				return true;
		}
	}
	return false;
}

/* Whether owner waiting for [start, last] of file would close a cycle. */
static bool model_deadlock(unsigned owner, unsigned file, uint64_t start, uint64_t last, bool excl)
{
	for (unsigned o = 0; o < OWNERS; o++) {
		if (o == owner)
			continue;
		bool in_way = false;
		for (unsigned k = 0; k < held[file][o].n && !in_way; k++)
			in_way = overlaps(&held[file][o].r[k], start, last) &&
				 conflicts(&held[file][o].r[k], excl);
		bool seen[OWNERS] = {false};
		if (in_way && waits_for(o, owner, seen))
			return true;
	}
	return false;
}

static bool share_conflict(unsigned file, unsigned owner, uint32_t access, uint32_t deny)
{
	for (unsigned o = 0; o < OWNERS; o++) {
		const struct mshare *s = &shares[file][o];
		if (o != owner && s->on && ((access & s->deny) || (deny & s->access)))
			return true;
	}
	return false;
}

static void model_free_host(unsigned host)
{
	for (unsigned o = host * 2; o < host * 2 + 2; o++)
		for (unsigned f = 0; f < FILES; f++) {
			held[f][o].n = 0;
			shares[f][o].on = false;
		}
	for (unsigned i = nwaits; i-- > 0;)
		if (host_of(waits[i].owner) == host)
			wait_drop(i);
}

/* --- the calls ------------------------------------------------------------------- */

static void on_grant(void *ctx, const struct state_nlm_grant *g)
{
	(void)ctx;
	if (g->blob_len != 4 || ngranted == sizeof(granted) / sizeof(granted[0]))
		fail("a grant with a blob the target never gave", 0);
	memcpy(&granted[ngranted++], g->blob, 4);
}

static uint8_t oh_bytes[OWNERS][2];

static struct state_nlm_owner nlm_owner(unsigned owner)
{
	unsigned h = host_of(owner);
	oh_bytes[owner][0] = 'o';
	oh_bytes[owner][1] = (uint8_t)owner;
	return (struct state_nlm_owner){.host = (const uint8_t *)host_name[h],
					.host_len = (uint32_t)strlen(host_name[h]),
					.addr = host_addr[h],
					.svid = (int32_t)(owner % 2 + 1),
					.oh = oh_bytes[owner],
					.oh_len = 2};
}

static uint64_t offset_of(uint8_t b)
{
	static const uint64_t far[] = {
		(1ull << 32) - 1, 1ull << 32, (1ull << 63) - 1, 1ull << 63,
		UINT64_MAX - 8,	  UINT64_MAX - 1, UINT64_MAX,
	};
	return b < 24 ? b : far[b % (sizeof(far) / sizeof(far[0]))];
}

static uint64_t len_of(uint8_t b)
{
	static const uint64_t far[] = {1ull << 32, 1ull << 63, UINT64_MAX - 4, UINT64_MAX};
	return b < 13 ? b : far[b % (sizeof(far) / sizeof(far[0]))];
}

/* The contract's range: length 0, or one past 2^64, runs to the end. */
static uint64_t last_of(uint64_t offset, uint64_t len)
{
	if (len == 0 || len - 1 > UINT64_MAX - offset)
		return UINT64_MAX;
	return offset + (len - 1);
}

/* The grants of the last call, in order: each must have been waiting and
 * be free to take now; then nothing may wait that nothing blocks. */
static void check_grants(unsigned call)
{
	state_lock_notify_flush(st);
	for (unsigned g = 0; g < ngranted; g++) {
		if (verbose)
			fprintf(stderr, "  granted the blocked LOCK with bytes %u\n", granted[g]);
		int i = -1;
		for (unsigned k = 0; k < nwaits && i < 0; k++)
			if (waits[k].id == granted[g])
				i = (int)k;
		if (i < 0)
			fail("a grant for a LOCK that was not waiting (or an old call's bytes)", call);
		struct mwait w = waits[i];
		if (model_conflict(w.file, w.owner, w.start, w.last, w.excl, NULL))
			fail("a blocked LOCK granted while another owner's lock is in its way", call);
		wait_drop((unsigned)i);
		model_set(w.file, w.owner, w.start, w.last, w.excl);
	}
	ngranted = 0;
	for (unsigned i = 0; i < nwaits; i++)
		if (!model_conflict(waits[i].file, waits[i].owner, waits[i].start, waits[i].last,
				    waits[i].excl, NULL))
			fail("a blocked LOCK still waits with nothing in its way (a lost wake-up)",
			     call);
}

static void check_counts(unsigned call)
{
	struct state_nlm_stats s;
	state_nlm_get_stats(st, &s);
	unsigned hosts = 0, nshares = 0;
	bool any_lock = false;
	for (unsigned h = 0; h < HOSTS; h++) {
		bool has = host_has_state(h);
		hosts += has;
		if (state_nlm_addr_held(st, host_addr[h]) != has)
			fail("state_nlm_addr_held disagrees with the host's state", call);
	}
	for (unsigned f = 0; f < FILES; f++)
		for (unsigned o = 0; o < NLM_OWNERS; o++) {
			nshares += shares[f][o].on;
			any_lock |= held[f][o].n > 0;
		}
	if (s.hosts != hosts)
		fail("the host count disagrees", call);
	if (s.blocked != nwaits)
		fail("the blocked LOCK count disagrees", call);
	if (s.shares != nshares)
		fail("the share count disagrees", call);
	if ((s.locks > 0) != any_lock)
		fail("the lock count disagrees", call);
}

static void check_effect(const struct state_nlm_effect *eff, bool before, unsigned host,
			 unsigned call)
{
	bool after = host_has_state(host);
	if (eff->host_new != (!before && after))
		fail("host_new disagrees", call);
	if (eff->host_gone != (before && !after))
		fail("host_gone disagrees", call);
}

/* NFSv4's range for the contract's [start, last]. */
static uint64_t v4_length(uint64_t start, uint64_t last)
{
	return last == UINT64_MAX ? STATE_LENGTH_EOF : last - start + 1;
}

/* The NFSv4 owner's call: LOCK (blocking or not: NFSv4 never waits on
 * the server), UNLOCK, TEST; the others are nothing to it.  Only on
 * file 0, the one it has open. */
static void run_v4_call(unsigned call, unsigned kind, unsigned file, bool excl, uint64_t start,
			uint64_t last)
{
	if (file != 0)
		return;
	uint32_t type = excl ? STATE_WRITE_LT : STATE_READ_LT;
	uint64_t length = v4_length(start, last);
	/* NFSv4 cannot name bytes 0 to 2^64 - 2: their length, all ones, is
	 * its "to the end". */
	if (length == STATE_LENGTH_EOF)
		last = UINT64_MAX;
	struct state_lock_denied d;
	memset(&d, 0, sizeof(d));
	enum nfsstat4 s;
	unsigned by = 0;
	switch (kind) {
	case C_LOCK:
	case C_LOCK_BLOCK: {
		bool in_way = model_conflict(0, V4_OWNER, start, last, excl, &by) != NULL;
		s = st_lock(st, &v4_lock_sid, &v4_lock_seqid, &file_key[0], type, false, start,
			    length, &d);
		if (in_way != (s == NFS4ERR_DENIED) || (!in_way && s != NFS4_OK))
			fail("NFSv4 LOCK disagrees about a conflict", call);
		if (!in_way)
			model_set(0, V4_OWNER, start, last, excl);
		break;
	}
	case C_UNLOCK:
		s = st_unlock(st, &v4_lock_sid, &v4_lock_seqid, &file_key[0], start, length);
		if (s != NFS4_OK)
			fail("NFSv4 LOCKU failed", call);
		model_cut(0, V4_OWNER, start, last);
		break;
	case C_TEST: {
		bool in_way = model_conflict(0, V4_OWNER, start, last, excl, &by) != NULL;
		s = state_lockt(st, v4_clientid, (const uint8_t *)v4_lock_owner,
				(uint32_t)strlen(v4_lock_owner), &file_key[0], type, start, length, &d);
		if (in_way != (s == NFS4ERR_DENIED) || (!in_way && s != NFS4_OK))
			fail("NFSv4 LOCKT disagrees about a conflict", call);
		break;
	}
	default:
		return;
	}
	if (verbose)
		fprintf(stderr, "call %u: NFSv4 %s file 0 %s [%llu, %llu]: %u\n", call,
			kind == C_UNLOCK ? "LOCKU" : kind == C_TEST ? "LOCKT" : "LOCK",
			excl ? "excl" : "shared", (unsigned long long)start,
			(unsigned long long)last, s);
	if (s != NFS4ERR_DENIED)
		return;
	/* The holder NFSv4 names: an NLM owner's svid and oh, holding what
	 * it names. */
	uint64_t dlast = d.length == STATE_LENGTH_EOF ? UINT64_MAX : d.offset + d.length - 1;
	struct mrange dr = {d.offset, dlast, d.type == STATE_WRITE_LT};
	unsigned holder = d.owner_len == 6 ? d.owner[5] : OWNERS;
	/* A length of all ones is NFSv4's "to the end", and also the length
	 * of a lock of bytes 0 to 2^64 - 2, which NFSv4 cannot tell apart. */
	if (holder < NLM_OWNERS && d.offset == 0 && d.length == STATE_LENGTH_EOF &&
	    !model_covers(0, holder, 0, UINT64_MAX, dr.excl))
		dr.last = dlast = UINT64_MAX - 1;
	if (holder >= NLM_OWNERS || d.owner[4] != 'o' ||
	    (int32_t)((uint32_t)d.owner[0] << 24 | (uint32_t)d.owner[1] << 16 |
		      (uint32_t)d.owner[2] << 8 | d.owner[3]) != (int32_t)(holder % 2 + 1))
		fail("NFSv4 DENIED names no NLM owner", call);
	if (!overlaps(&dr, start, last) || !conflicts(&dr, excl) ||
	    !model_covers(0, holder, d.offset, dlast, dr.excl))
		fail("NFSv4 DENIED names a lock its holder does not hold", call);
}

static void run_call(unsigned call, uint8_t b0, uint8_t b1, uint8_t b2)
{
	unsigned kind = b0 & 7, owner = (b0 >> 3) & 7, file = (b0 >> 6) & 1;
	bool excl = b0 & 0x80;
	owner %= OWNERS;
	if (owner == V4_OWNER) {
		uint64_t offset = offset_of(b1), len = len_of(b2);
		run_v4_call(call, kind, file, excl, offset, last_of(offset, len));
		check_grants(call);
		check_counts(call);
		return;
	}
	unsigned host = host_of(owner);
	struct state_nlm_owner who = nlm_owner(owner);
	uint64_t offset = offset_of(b1), len = len_of(b2);
	uint64_t start = offset, last = last_of(offset, len);
	struct state_nlm_lock l = {
		.owner = who, .file = &file_key[file], .exclusive = excl, .offset = offset, .len = len};
	struct state_nlm_effect eff = {0};
	bool before = host_has_state(host);
	uint32_t stat = 0;

	switch (kind) {
	case C_LOCK:
	case C_LOCK_BLOCK: {
		bool block = kind == C_LOCK_BLOCK;
		uint32_t id = next_id++;
		bool in_way = model_conflict(file, owner, start, last, excl, NULL) != NULL;
		bool cycle = in_way && block && model_deadlock(owner, file, start, last, excl);
		stat = state_nlm_lock(st, &l, block, false, 7, &id, sizeof(id), &eff);
		if (!in_way) {
			if (stat != NLM4_GRANTED)
				fail("LOCK refused with nothing in its way", call);
			model_set(file, owner, start, last, excl);
			int w = wait_find(owner, file, start, last, excl);
			if (w >= 0)
				wait_drop((unsigned)w);
		} else if (!block) {
			if (stat != NLM4_DENIED)
				fail("a LOCK in another owner's way was not DENIED", call);
		} else if (cycle) {
			if (stat != NLM4_DEADLCK)
				fail("a blocking LOCK that closes a cycle was not DEADLCK", call);
		} else {
			if (stat != NLM4_BLOCKED)
				fail("a blocking LOCK in another owner's way was not BLOCKED", call);
			int w = wait_find(owner, file, start, last, excl);
			if (w >= 0) {
				waits[w].id = id;
			} else {
				if (nwaits == CALLS_MAX)
					fail("model: too many waiters", call);
				waits[nwaits++] =
					(struct mwait){owner, file, start, last, excl, id};
			}
		}
		break;
	}
	case C_UNLOCK:
		stat = state_nlm_unlock(st, &l, &eff, NULL);
		if (stat != NLM4_GRANTED)
			fail("UNLOCK not GRANTED", call);
		model_cut(file, owner, start, last);
		break;
	case C_TEST: {
		struct state_nlm_holder h;
		memset(&h, 0, sizeof(h));
		unsigned by = 0;
		bool in_way = model_conflict(file, owner, start, last, excl, &by) != NULL;
		stat = state_nlm_test(st, &l, &h, NULL);
		if (stat != (in_way ? NLM4_DENIED : NLM4_GRANTED))
			fail("TEST disagrees about a conflict", call);
		if (in_way) {
			/* The holder: an owner other than the tester, by its
			 * svid and oh, holding the bytes it names. */
			unsigned holder = OWNERS;
			if (h.svid == 0 && h.oh_len == strlen(v4_lock_owner) &&
			    memcmp(h.oh, v4_lock_owner, h.oh_len) == 0)
				holder = V4_OWNER; /* NFSv4's: svid 0, its owner's bytes */
			else if (h.oh_len == 2 && h.oh[0] == 'o' && h.oh[1] < NLM_OWNERS &&
				 h.svid == (int32_t)(h.oh[1] % 2 + 1))
				holder = h.oh[1];
			if (holder == OWNERS || holder == owner)
				fail("TEST names no other owner", call);
			uint64_t hlast = last_of(h.offset, h.len);
			struct mrange hr = {h.offset, hlast, h.exclusive};
			if (!overlaps(&hr, start, last) || !conflicts(&hr, excl))
				fail("TEST names a holder out of the way", call);
			if (!model_covers(file, holder, h.offset, hlast, h.exclusive))
				fail("TEST names bytes the holder does not hold", call);
		}
		break;
	}
	case C_CANCEL: {
		stat = state_nlm_cancel(st, &l, &eff);
		if (stat != NLM4_GRANTED)
			fail("CANCEL not GRANTED", call);
		int w = wait_find(owner, file, start, last, excl);
		if (w >= 0)
			wait_drop((unsigned)w);
		break;
	}
	case C_SHARE: {
		uint32_t access = b1 & 3, deny = b2 & 3;
		bool denied = share_conflict(file, owner, access, deny);
		stat = state_nlm_share(st, &who, &file_key[file], access, deny, false, &eff);
		if (stat != (denied ? NLM4_DENIED : NLM4_GRANTED))
			fail("SHARE disagrees about a conflict", call);
		if (!denied)
			shares[file][owner] = (struct mshare){true, access, deny};
		break;
	}
	case C_UNSHARE:
		stat = state_nlm_unshare(st, &who, &file_key[file], &eff);
		if (stat != NLM4_GRANTED)
			fail("UNSHARE not GRANTED", call);
		shares[file][owner].on = false;
		break;
	default: { /* C_FREE_ALL */
		bool had_locks = owner_holds_any(host * 2) || owner_holds_any(host * 2 + 1), known;
		unsigned n = state_nlm_free_host(st, who.host, who.host_len, who.addr, &known);
		if (known != before)
			fail("FREE_ALL disagrees about the host's record", call);
		if ((n > 0) != had_locks)
			fail("FREE_ALL's count of locks disagrees", call);
		model_free_host(host);
		break;
	}
	}
	if (verbose) {
		static const char *const names[] = {"LOCK",   "LOCK(block)", "UNLOCK",  "TEST",
						    "CANCEL", "SHARE",	     "UNSHARE", "FREE_ALL"};
		fprintf(stderr, "call %u: %s owner %u file %u %s [%llu, %llu]: %u\n", call,
			names[kind], owner, file, excl ? "excl" : "shared",
			(unsigned long long)start, (unsigned long long)last,
			kind == C_FREE_ALL ? 0 : stat);
	}
	if (kind != C_TEST && kind != C_FREE_ALL)
		check_effect(&eff, before, host, call);
	check_grants(call);
	check_counts(call);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 3600 * 1000;
	/* The state thread flushes grants on its periodic runs too: once an
	 * hour here, so that every grant reaches the hook from this target's
	 * own flush, after the call that made it. */
	o.reaper_interval_ms = 3600 * 1000;
	if (state_server_create(&o, &st) != 0)
		abort();
	state_run_reaper(st);
	state_nlm_grant_hook_set(st, on_grant, NULL);
	verbose = getenv("FUZZ_STATE_NLM_VERBOSE") != NULL;
	for (unsigned f = 0; f < FILES; f++) {
		file_key[f].export_id = 1;
		file_key[f].bh.len = 4;
		memcpy(file_key[f].bh.data, f ? "fil1" : "fil0", 4);
	}
	/* The NFSv4 owner: a client, its open of file 0, a lock taken and
	 * given back so that its lock owner and stateid exist from now on. */
	uint32_t open_seqid = 1;
	struct nfs4_stateid open_sid;
	struct state_lock_denied d;
	if (st_client_make(st, "fuzz-v4-client", 1000, "verf0001", &v4_clientid) != NFS4_OK ||
	    st_open(st, v4_clientid, "fuzz-v4-open-owner", &open_seqid, &file_key[0],
		    STATE_SHARE_ACCESS_BOTH, STATE_SHARE_DENY_NONE, &open_sid) != NFS4_OK ||
	    st_lock_new(st, &open_sid, &open_seqid, v4_clientid, v4_lock_owner, 0, &file_key[0],
			STATE_WRITE_LT, 0, 1, &v4_lock_sid, &d) != NFS4_OK)
		abort();
	v4_lock_seqid = 1;
	if (st_unlock(st, &v4_lock_sid, &v4_lock_seqid, &file_key[0], 0, 1) != NFS4_OK)
		abort();
	return 0;
}

static void write_seeds(const char *dir);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool seeds_done;
	if (!seeds_done) {
		seeds_done = true;
		const char *dir = getenv("FUZZ_STATE_NLM_SEEDS");
		if (dir) {
			write_seeds(dir);
			exit(0);
		}
	}
	if (!st)
		LLVMFuzzerInitialize(NULL, NULL);
	memset(held, 0, sizeof(held));
	memset(shares, 0, sizeof(shares));
	shares[0][V4_OWNER] = (struct mshare){true, STATE_SHARE_ACCESS_BOTH, STATE_SHARE_DENY_NONE};
	nwaits = 0;
	ngranted = 0;
	/* A lease that never runs out while the fuzzer runs. */
	if (state_renew(st, v4_clientid) != NFS4_OK)
		fail("the NFSv4 client's lease is gone", 0);
	unsigned calls = (unsigned)(size / 3);
	if (calls > CALLS_MAX)
		calls = CALLS_MAX;
	for (unsigned i = 0; i < calls; i++)
		run_call(i, data[3 * i], data[3 * i + 1], data[3 * i + 2]);
	/* The NFSv4 owner unlocks everything, every host is freed: nothing
	 * may be left. */
	run_call(calls, (uint8_t)(C_UNLOCK | V4_OWNER << 3), 0, 0);
	for (unsigned h = 0; h < HOSTS; h++)
		run_call(calls + 1 + h, (uint8_t)(C_FREE_ALL | (h * 2) << 3), 0, 0);
	struct state_nlm_stats s;
	state_nlm_get_stats(st, &s);
	if (s.hosts || s.locks || s.blocked || s.shares || held[0][V4_OWNER].n)
		fail("state left after every host was freed", calls + 1 + HOSTS);
	return 0;
}

/* --- seeds ------------------------------------------------------------------------- */

static uint8_t call_byte(unsigned kind, unsigned owner, unsigned file, bool excl)
{
	return (uint8_t)(kind | owner << 3 | file << 6 | (excl ? 0x80 : 0));
}

static void write_seed(const char *dir, const char *name, const uint8_t (*calls)[3], size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(calls, 3, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void write_seeds(const char *dir)
{
	/* Owner 0 holds bytes 0-9; 2 and 4 wait for them; 0 lets go: 2 gets
	 * them, 4 waits on; 2 lets go, 4 gets them. */
	const uint8_t in_turn[][3] = {
		{call_byte(C_LOCK, 0, 0, true), 0, 10},
		{call_byte(C_LOCK_BLOCK, 2, 0, true), 0, 10},
		{call_byte(C_LOCK_BLOCK, 4, 0, true), 5, 2},
		{call_byte(C_TEST, 4, 0, false), 3, 3},
		{call_byte(C_UNLOCK, 0, 0, false), 0, 0},
		{call_byte(C_UNLOCK, 2, 0, false), 0, 10},
	};
	write_seed(dir, "in-turn", in_turn, sizeof(in_turn) / 3);
	/* 0 holds file 0, 2 holds file 1; 0 waits for file 1; 2 asks for
	 * file 0: DEADLCK. */
	const uint8_t deadlock[][3] = {
		{call_byte(C_LOCK, 0, 0, true), 0, 0},
		{call_byte(C_LOCK, 2, 1, true), 0, 0},
		{call_byte(C_LOCK_BLOCK, 0, 1, true), 0, 0},
		{call_byte(C_LOCK_BLOCK, 2, 0, true), 4, 4},
		{call_byte(C_CANCEL, 0, 1, true), 0, 0},
		{call_byte(C_LOCK_BLOCK, 2, 0, true), 4, 4},
	};
	write_seed(dir, "deadlock", deadlock, sizeof(deadlock) / 3);
	/* Shares: read/deny-write, then a writer denied, a reader let in. */
	const uint8_t share[][3] = {
		{call_byte(C_SHARE, 0, 0, false), 1, 2},
		{call_byte(C_SHARE, 2, 0, false), 2, 0},
		{call_byte(C_SHARE, 3, 0, false), 1, 0},
		{call_byte(C_UNSHARE, 0, 0, false), 0, 0},
		{call_byte(C_SHARE, 2, 0, false), 3, 0},
	};
	write_seed(dir, "share", share, sizeof(share) / 3);
	/* A host freed under others' waits, its own waits gone with it. */
	const uint8_t free_all[][3] = {
		{call_byte(C_LOCK, 0, 0, false), 0, 0},
		{call_byte(C_LOCK, 1, 0, true), 20, 2},
		{call_byte(C_LOCK_BLOCK, 1, 0, true), 0, 4},
		{call_byte(C_LOCK_BLOCK, 2, 0, true), 2, 30},
		{call_byte(C_LOCK_BLOCK, 4, 1, false), 0, 0},
		{call_byte(C_FREE_ALL, 0, 0, false), 0, 0},
	};
	write_seed(dir, "free-all", free_all, sizeof(free_all) / 3);
	/* Ranges at 2^64: to the end, past it, the last byte. */
	const uint8_t far[][3] = {
		{call_byte(C_LOCK, 0, 0, true), 26, 0},		/* 2^64 - 2 to the end */
		{call_byte(C_LOCK, 2, 0, true), 25, 15},	/* 2^64 - 9, past the end */
		{call_byte(C_LOCK_BLOCK, 2, 0, false), 27, 1},	/* the last byte */
		{call_byte(C_TEST, 4, 0, false), 25, 14},
		{call_byte(C_UNLOCK, 0, 0, false), 26, 14},
	};
	write_seed(dir, "far", far, sizeof(far) / 3);
	/* The NFSv4 owner against NLM's: refused by an NLM lock (and named
	 * by TEST), an NLM reader waiting behind its write lock is let in by
	 * its downgrade to a read lock, a writer by its LOCKU. */
	const uint8_t v4[][3] = {
		{call_byte(C_LOCK, 0, 0, true), 0, 10},
		{call_byte(C_LOCK, V4_OWNER, 0, true), 5, 1},
		{call_byte(C_TEST, V4_OWNER, 0, false), 9, 2},
		{call_byte(C_LOCK, V4_OWNER, 0, true), 20, 10},
		{call_byte(C_TEST, 4, 0, false), 21, 1},
		{call_byte(C_LOCK_BLOCK, 2, 0, false), 22, 2},
		{call_byte(C_LOCK_BLOCK, 3, 0, true), 23, 2},
		{call_byte(C_LOCK, V4_OWNER, 0, false), 20, 10},
		{call_byte(C_UNLOCK, V4_OWNER, 0, false), 0, 0},
		{call_byte(C_SHARE, 1, 0, false), 1, 1},
	};
	write_seed(dir, "v4", v4, sizeof(v4) / 3);
}
