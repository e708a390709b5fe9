/* libFuzzer target: what the control plane decodes from the network.
 *
 * Input layout: byte 0 picks the decoder (even: a request body of the
 * REST API, as PUT /api/v1/listeners/... reads it; odd: an HTTP reply as
 * ferryctl reads it), the rest is the bytes.
 *
 * Checked beyond "no sanitizer report": a body is either taken (0) or
 * refused with 400 and an error object, and fields it does not name keep
 * their values; a reply that parses has a body of at most the bytes after
 * its headers, NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/ctl_internal.h"

#define CHECK(cond)                          \
	do {                                 \
		if (!(cond))                 \
			__builtin_trap();    \
	} while (0)

static void fuzz_body(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"min_minor", "max_minor"};
	long long vals[2] = {-7, -9};
	json_t *out = NULL;
	unsigned st = ctl_api_parse_int_fields((const char *)data, size, names, vals, 2, &out);
	CHECK(st == 0 || st == 400);
	if (st == 0) {
		CHECK(out == NULL);
	} else {
		CHECK(out != NULL && json_is_object(out));
		json_decref(out);
	}
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
	/* The reader hands the parser a NUL-terminated buffer. */
	char *buf = malloc(size + 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct ctl_http_reply r = {0};
	char err[128];
	int rc = ctl_http_parse_reply(buf, size, &r, err, sizeof(err));
	if (rc == 0) {
		CHECK(r.body != NULL && r.len <= size && r.body[r.len] == '\0');
		ctl_http_reply_free(&r);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_reply(data + 1, size - 1);
	else
		fuzz_body(data + 1, size - 1);
	return 0;
}
