/* libFuzzer target: the NLM v4 and NSM codec (xdr/nlm_prot.h) on bytes from
 * the wire, as the NLM program decodes its arguments (and the tests and
 * the sender decode results).
 *
 * Input layout:
 *   byte 0   which type (modulo the number of types below)
 *   the rest its XDR bytes
 *
 * Checked beyond "no sanitizer report" (FUZZ_PAIR): what decodes
 * re-encodes, and the re-encoding decodes again and is consumed exactly.
 *
 * Seeds: fuzz/corpus/nlm_args, made by FUZZ_NLM_SEEDS=DIR fuzz_nlm_args
 * (one valid value of each type). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_codec.h"
#include "xdr/nlm_prot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	T_TESTARGS,
	T_LOCKARGS,
	T_CANCARGS,
	T_UNLOCKARGS,
	T_RES,
	T_TESTRES,
	T_SHAREARGS,
	T_SHARERES,
	T_NOTIFY,
	T_MON,
	T_MON_ID,
	T_MY_ID,
	T_STAT_RES,
	T_STAT_CHGE,
	T_STATUS,
	T_COUNT
};

static const uint8_t fh[] = {1, 1, 0, 0, 0, 7, 2, 0xaa, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8};
static const struct nlm4_lock lock = {
	.caller_name = {(const uint8_t *)"client", 6},
	.fh = {fh, sizeof(fh)},
	.oh = {(const uint8_t *)"17@client", 9},
	.svid = 17,
	.offset = 4096,
	.len = 0,
};
static const struct nlm_bytes cookie = {(const uint8_t *)"\0\0\0\1", 4};

static void write_seed(const char *dir, int type, bool (*enc)(struct xdr_enc *, const void *),
		       const void *v)
{
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 256, 1u << 16));
	CHECK(enc(&e, v));
	char path[512];
	snprintf(path, sizeof(path), "%s/type-%02d", dir, type);
	FILE *f = fopen(path, "wb");
	CHECK(f);
	uint8_t t = (uint8_t)type;
	CHECK(fwrite(&t, 1, 1, f) == 1);
	CHECK(fwrite(e.buf->data, 1, e.buf->len, f) == e.buf->len);
	CHECK(fclose(f) == 0);
	xdr_enc_release(&e);
}

#define SEED(type, fn, value) write_seed(dir, type, (bool (*)(struct xdr_enc *, const void *))fn, value)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_NLM_SEEDS");
	if (!dir)
		return 0;
	struct nlm4_testargs ta = {.cookie = cookie, .exclusive = true, .lock = lock};
	struct nlm4_lockargs la = {.cookie = cookie, .block = true, .exclusive = true,
				   .lock = lock, .reclaim = false, .state = 3};
	struct nlm4_cancargs ca = {.cookie = cookie, .block = true, .lock = lock};
	struct nlm4_unlockargs ua = {.cookie = cookie, .lock = lock};
	struct nlm4_res res = {.cookie = cookie, .stat = NLM4_BLOCKED};
	struct nlm4_testres tr = {.cookie = cookie,
				  .stat = NLM4_DENIED,
				  .holder = {.exclusive = true, .svid = 9, .oh = lock.oh, .len = 10}};
	struct nlm4_shareargs sa = {.cookie = cookie,
				    .share = {.caller_name = lock.caller_name, .fh = lock.fh,
					      .oh = lock.oh, .mode = NLM4_FSM_DW,
					      .access = NLM4_FSA_RW}};
	struct nlm4_shareres sr = {.cookie = cookie, .stat = NLM4_GRANTED, .sequence = 1};
	struct nlm4_notify no = {.name = lock.caller_name, .state = 5};
	struct nsm_mon mon = {.mon_name = lock.caller_name,
			      .my_id = {.my_name = {(const uint8_t *)"127.0.0.1", 9},
					.my_prog = NLM_PROGRAM,
					.my_vers = NLM4_VERSION,
					.my_proc = NLMPROC4_SM_NOTIFY}};
	struct nsm_stat_res st = {.res_stat = NSM_STAT_SUCC, .state = 7};
	struct nsm_stat_chge sc = {.mon_name = lock.caller_name, .state = 9};
	struct nsm_status ss = {.mon_name = lock.caller_name, .state = 9};
	SEED(T_TESTARGS, nlm4_encode_testargs, &ta);
	SEED(T_LOCKARGS, nlm4_encode_lockargs, &la);
	SEED(T_CANCARGS, nlm4_encode_cancargs, &ca);
	SEED(T_UNLOCKARGS, nlm4_encode_unlockargs, &ua);
	SEED(T_RES, nlm4_encode_res, &res);
	SEED(T_TESTRES, nlm4_encode_testres, &tr);
	SEED(T_SHAREARGS, nlm4_encode_shareargs, &sa);
	SEED(T_SHARERES, nlm4_encode_shareres, &sr);
	SEED(T_NOTIFY, nlm4_encode_notify, &no);
	SEED(T_MON, nsm_encode_mon, &mon);
	SEED(T_MON_ID, nsm_encode_mon_id, &mon);
	SEED(T_MY_ID, nsm_encode_my_id, &mon.my_id);
	SEED(T_STAT_RES, nsm_encode_stat_res, &st);
	SEED(T_STAT_CHGE, nsm_encode_stat_chge, &sc);
	SEED(T_STATUS, nsm_encode_status, &ss);
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % T_COUNT) {
	case T_TESTARGS:
		FUZZ_PAIR(struct nlm4_testargs, nlm4_encode_testargs, nlm4_decode_testargs,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_LOCKARGS:
		FUZZ_PAIR(struct nlm4_lockargs, nlm4_encode_lockargs, nlm4_decode_lockargs,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_CANCARGS:
		FUZZ_PAIR(struct nlm4_cancargs, nlm4_encode_cancargs, nlm4_decode_cancargs,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_UNLOCKARGS:
		FUZZ_PAIR(struct nlm4_unlockargs, nlm4_encode_unlockargs, nlm4_decode_unlockargs,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_RES:
		FUZZ_PAIR(struct nlm4_res, nlm4_encode_res, nlm4_decode_res, FUZZ_NO_WALK, in, len);
		break;
	case T_TESTRES:
		FUZZ_PAIR(struct nlm4_testres, nlm4_encode_testres, nlm4_decode_testres,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_SHAREARGS:
		FUZZ_PAIR(struct nlm4_shareargs, nlm4_encode_shareargs, nlm4_decode_shareargs,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_SHARERES:
		FUZZ_PAIR(struct nlm4_shareres, nlm4_encode_shareres, nlm4_decode_shareres,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_NOTIFY:
		FUZZ_PAIR(struct nlm4_notify, nlm4_encode_notify, nlm4_decode_notify, FUZZ_NO_WALK,
			  in, len);
		break;
	case T_MON:
		FUZZ_PAIR(struct nsm_mon, nsm_encode_mon, nsm_decode_mon, FUZZ_NO_WALK, in, len);
		break;
	case T_MON_ID:
		FUZZ_PAIR(struct nsm_mon, nsm_encode_mon_id, nsm_decode_mon_id, FUZZ_NO_WALK, in,
			  len);
		break;
	case T_MY_ID:
		FUZZ_PAIR(struct nsm_my_id, nsm_encode_my_id, nsm_decode_my_id, FUZZ_NO_WALK, in,
			  len);
		break;
	case T_STAT_RES:
		FUZZ_PAIR(struct nsm_stat_res, nsm_encode_stat_res, nsm_decode_stat_res,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_STAT_CHGE:
		FUZZ_PAIR(struct nsm_stat_chge, nsm_encode_stat_chge, nsm_decode_stat_chge,
			  FUZZ_NO_WALK, in, len);
		break;
	case T_STATUS:
		FUZZ_PAIR(struct nsm_status, nsm_encode_status, nsm_decode_status, FUZZ_NO_WALK, in,
			  len);
		break;
	}
	return 0;
}
