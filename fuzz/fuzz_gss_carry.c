/* libFuzzer target: the RPCSEC_GSS contexts an in-place upgrade hands to
 * the new ferryd (rpc_gss_server_load, rpc/gss/gss_server.h), read into a
 * fresh table with a real acceptor (a random key in a memory keytab).
 *
 * Beyond "no sanitizer report": a refusal says why and keeps nothing (the
 * table stays empty); bytes that load make exactly the contexts they
 * count, within the table's cap, and what the table then saves loads
 * again into another fresh table with the same count. */
#include "fuzz_codec.h"
#include "fuzz_keytab.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "rpc/gss/gss_server.h"

enum { CAP = 64 };

/* A table of its own for each input (loading needs an empty one). */
static struct rpc_gss_server *fresh_table(void)
{
	char err[256];
	struct rpc_gss_options o = {.keytab = fuzz_keytab(), .max_contexts = CAP};
	struct rpc_gss_server *s = rpc_gss_server_create(&o, err, sizeof(err));
	if (!s)
		fprintf(stderr, "fuzz_gss_carry: %s\n", err);
	CHECK(s != NULL);
	return s;
}

static uint64_t contexts_of(struct rpc_gss_server *s)
{
	struct rpc_gss_stats st;
	rpc_gss_server_stats(s, &st);
	return st.contexts;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct rpc_gss_server *s = fresh_table();
	char err[256] = "";
	unsigned loaded = 0;
	if (rpc_gss_server_load(s, in, n, &loaded, err, sizeof(err)) != 0) {
		CHECK(err[0] != '\0');
		CHECK(loaded == 0 && contexts_of(s) == 0);
		rpc_gss_server_destroy(s);
		return 0;
	}
	CHECK(loaded <= CAP && contexts_of(s) == loaded);
	struct buf *again = NULL;
	unsigned left = 0;
	CHECK(rpc_gss_server_save(s, &again, &left) == 0);
	struct rpc_gss_server *t = fresh_table();
	unsigned reloaded = 0;
	CHECK(rpc_gss_server_load(t, again->data, again->len, &reloaded, err, sizeof(err)) == 0);
	/* Those past their ticket or idle too long stay behind. */
	CHECK(reloaded + left == loaded);
	buf_unref(again);
	rpc_gss_server_destroy(t);
	rpc_gss_server_destroy(s);
	return 0;
}
