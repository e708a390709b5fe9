/* libFuzzer target: the NFSv4 section of an upgrade's state image
 * (state/lifecycle/state_carry.c), as the new ferryd loads it into a fresh
 * state server before it serves.
 *
 * Checked beyond "no sanitizer report": an image that loads leaves a
 * state that saves again (nothing it made is refused: no lock held in a
 * back end; every file's and directory's delegations are taken as
 * carried), that saved image loads into another fresh
 * server, and its own save is as long (the same records; only the leases
 * left may differ); an image that does not load leaves no client behind
 * (a second load of a valid image into the same server succeeds).
 *
 * Seeds: fuzz/corpus/state_carry, made by FUZZ_STATE_CARRY_SEEDS=DIR
 * fuzz_state_carry (a v4.0 client with an open, a lock and another lock
 * owner's denied blocking request waiting; a v4.1 client with a session,
 * a kept CREATE_SESSION reply and a read delegation; and, in
 * "directory-delegation", a v4.1 client with a back channel holding a
 * directory delegation with two changes waiting). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "state/clients/session.h"
#include "state/deleg/state_dirdeleg.h"
#include "state/state.h"
#include "state/state_calls.h"
#include "xdr/xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct state_server *fresh(void)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 3600 * 1000;
	o.reaper_interval_ms = 3600 * 1000;
	o.carried = true;
	o.deleg.mode = STATE_DELEG_READ_ONLY;
	struct state_server *st;
	CHECK(state_server_create(&o, &st) == 0);
	/* The state thread's first round (expiry) now, before a load: the
	 * next is an hour away, so no client of an image expires between
	 * its load and its save. */
	state_run_reaper(st);
	return st;
}

/* No connection was handed over. */
static int no_conn(void *arg, const struct rpc_conn *conn)
{
	(void)arg, (void)conn;
	return -1;
}

/* Every file's leases and directory's watch are handed over, as the
 * local back end's are. */
static bool carry_all(void *arg, const struct state_file_key *file, bool dir)
{
	(void)arg, (void)file, (void)dir;
	return true;
}

static struct buf *save(struct state_server *st)
{
	struct buf *out = NULL;
	char err[256];
	state_deleg_suspend(st, true, carry_all, NULL);
	CHECK(state_carry_save(st, no_conn, NULL, &out, err, sizeof(err)) == 0);
	return out;
}

/* Connections stand for themselves (nothing is sent). */
static struct rpc_conn *fake_ref(struct rpc_conn *c) { return c; }
static void fake_unref(struct rpc_conn *c) { (void)c; }
static bool fake_closed(struct rpc_conn *c)
{
	(void)c;
	return false;
}
static char fake_conn;

/* EXCHANGE_ID and CREATE_SESSION of a v4.1 client name (its verifier
 * the name too) with its reply kept; conn: the connection its back
 * channel is bound to (NULL: none).  Its clientid. */
static uint64_t seed_v41_client(struct state_server *st, uint32_t uid, const char *name,
				struct rpc_conn *conn)
{
	struct state_principal who = st_who(uid);
	uint8_t verifier[NFS4_VERIFIER_SIZE] = {0};
	memcpy(verifier, name, strlen(name) < sizeof(verifier) ? strlen(name) : sizeof(verifier));
	struct state_exchange_res x;
	CHECK(state_exchange_id(st, &who, verifier, (const uint8_t *)name, (uint32_t)strlen(name),
				0, 1, &x) == NFS4_OK);
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	a.clientid = x.clientid;
	a.sequence = x.sequenceid;
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 65536, .maxresponsesize = 65536,
					  .maxresponsesize_cached = 4096, .maxoperations = 16,
					  .maxrequests = 4};
	a.back = a.fore;
	a.back.maxrequests = 1;
	a.cb_program = 0x40000000;
	a.cb_sec.none = true;
	if (conn) {
		a.flags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
		a.conn = conn;
	}
	struct state_create_session_res r;
	struct buf *replay = NULL;
	enum nfsstat4 rs;
	CHECK(state_create_session(st, &who, &a, &r, &replay, &rs) == NFS4_OK && !replay);
	state_create_session_cache(st, x.clientid, a.sequence, NFS4_OK,
				   (const uint8_t *)"kept-reply", 10);
	return x.clientid;
}

/* The seeds' state, made through the state calls. */
static void make_seed_state(struct state_server *st)
{
	uint64_t c40;
	CHECK(st_client_make(st, "seed-v40", 1000, "seedv40", &c40) == NFS4_OK);
	struct state_file_key k = st_key(1, "seedfile");
	struct nfs4_stateid open, lock;
	uint32_t oseq = 0;
	CHECK(st_open(st, c40, "owner", &oseq, &k, STATE_SHARE_ACCESS_BOTH, 0, &open) == NFS4_OK);
	CHECK(st_lock_new(st, &open, &oseq, c40, "locker", 0, &k, STATE_WRITE_LT, 0, 100, &lock,
			  NULL) == NFS4_OK);
	/* A denied blocking LOCK of another lock owner, as v4.1 makes one:
	 * its waiter. */
	struct nfs4_stateid waiting;
	struct state_lock_denied denied;
	CHECK(st_lock_new_minor(st, 1, &open, &oseq, c40, "waiter", 0, &k, STATE_WRITEW_LT, 0, 10,
				&waiting, &denied) == NFS4ERR_DENIED);

	uint64_t c41 = seed_v41_client(st, 1001, "seed-v41", NULL);
	struct state_file_key dk = st_key(1, "delegated");
	struct state_deleg_ask ask = {.access = STATE_SHARE_ACCESS_READ, .v41 = true, .cb_up = true};
	struct state_deleg_grant g;
	state_deleg_grant(st, c41, &dk, &ask, &g);
	CHECK(g.type == OPEN_DELEGATE_READ);
}

/* A server with a v4.1 client whose session has a back channel and which
 * holds a directory delegation with changes waiting. */
static struct state_server *dir_seed_state(void)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.conn_ref = fake_ref;
	o.conn_unref = fake_unref;
	o.conn_is_closed = fake_closed;
	o.lease_ms = 3600 * 1000;
	o.reaper_interval_ms = 3600 * 1000;
	o.deleg.mode = STATE_DELEG_READ_ONLY;
	o.deleg.dir = true;
	o.deleg.dir_window_ms = 50;
	o.deleg.dir_attr_delay_max_ms = 1000;
	struct state_server *st;
	CHECK(state_server_create(&o, &st) == 0);
	uint64_t c41 = seed_v41_client(st, 1002, "seed-dir", (struct rpc_conn *)(void *)&fake_conn);
	struct state_file_key dir = st_key(1, "seeddir");
	struct state_dirdeleg_ask ask = {
		.notify = (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_CHANGE_DIR_ATTRS),
		.cb_overhead = 512,
	};
	nfs4_bitmap_set(&ask.dir_attrs, FATTR4_MODE);
	struct state_dirdeleg_grant g;
	state_dirdeleg_grant(st, c41, &dir, &ask, &g);
	CHECK(g.granted);
	CHECK(state_dirdeleg_note(st, &g.stateid, NOTIFY4_ADD_ENTRY, 0,
				  (const uint8_t *)"entry-bytes", 11));
	CHECK(state_dirdeleg_note(st, &g.stateid, NOTIFY4_CHANGE_DIR_ATTRS, 1,
				  (const uint8_t *)"mode", 4));
	return st;
}

static void write_seed(const char *dir, const char *name, const struct buf *b)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(b->data, 1, b->len, f) == b->len && fclose(f) == 0);
}

/* An image with no client. */
static struct buf *empty_image(void)
{
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 64, 1024));
	CHECK(xdr_encode_u32(&e, 1) && xdr_encode_u32(&e, 7) && xdr_encode_u64(&e, 1) &&
	      xdr_encode_u64(&e, 2) && xdr_encode_u32(&e, 3) && xdr_encode_u32(&e, 4) &&
	      xdr_encode_u32(&e, 5) && xdr_encode_u32(&e, 0) && xdr_encode_u32(&e, 0));
	return xdr_enc_take(&e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("FUZZ_STATE_CARRY_SEEDS");
	if (!dir)
		return 0;
	struct state_server *st = fresh();
	make_seed_state(st);
	struct buf *b = save(st);
	write_seed(dir, "two-clients", b);
	buf_unref(b);
	state_server_destroy(st);
	st = dir_seed_state();
	b = save(st);
	write_seed(dir, "directory-delegation", b);
	buf_unref(b);
	state_server_destroy(st);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_server *st = fresh();
	char err[512];
	if (state_carry_load(st, data, size, err, sizeof(err)) != 0) {
		/* Nothing was kept: an empty image loads after it. */
		CHECK(err[0] != '\0');
		struct buf *empty = empty_image();
		CHECK(state_carry_load(st, empty->data, empty->len, err, sizeof(err)) == 0);
		buf_unref(empty);
		state_server_destroy(st);
		return 0;
	}
	struct buf *first = save(st);
	state_server_destroy(st);
	st = fresh();
	CHECK(state_carry_load(st, first->data, first->len, err, sizeof(err)) == 0);
	struct buf *second = save(st);
	CHECK(second->len == first->len);
	buf_unref(first);
	buf_unref(second);
	state_server_destroy(st);
	return 0;
}
