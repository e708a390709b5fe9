/* libFuzzer target: the state image a ferryd hands to the one replacing it
 * (upgrade/image.h), as the new one reads it.
 *
 * Checked beyond "no sanitizer report": an image that parses is written
 * again, section by section with the same kinds and bytes, into exactly
 * the input (one encoding per image); a SERVER section decodes only at its
 * size and encodes back to its bytes, a CLUSTER section that decodes
 * encodes back to its bytes; every refusal says why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "upgrade/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct upgrade_image img;
	char err[256] = "";
	if (upgrade_image_parse(data, size, &img, err, sizeof(err)) != 0) {
		CHECK(err[0] != '\0');
		return 0;
	}
	struct upgrade_image_writer w;
	upgrade_image_begin(&w, img.version);
	for (uint32_t i = 0; i < img.nsections; i++) {
		const struct upgrade_image_section *s = &img.sections[i];
		CHECK(s->data >= data && s->data + s->len <= data + size);
		upgrade_image_add(&w, s->kind, s->data, s->len);
	}
	size_t len = 0;
	uint8_t *again = upgrade_image_finish(&w, &len);
	CHECK(again && len == size && memcmp(again, data, size) == 0);
	free(again);
	const struct upgrade_image_section *srv = upgrade_image_find(&img, UPGRADE_SECTION_SERVER);
	struct upgrade_server_section s;
	bool ok = upgrade_server_decode(srv, &s);
	CHECK(ok == (srv && srv->len == 16));
	if (ok) {
		uint8_t back[16];
		upgrade_server_encode(&s, back);
		CHECK(memcmp(back, srv->data, 16) == 0);
	}
	const struct upgrade_image_section *cl = upgrade_image_find(&img, UPGRADE_SECTION_CLUSTER);
	static struct upgrade_cluster_section c;
	if (upgrade_cluster_decode(cl, &c)) {
		uint8_t back[UPGRADE_CLUSTER_SECTION_MAX];
		size_t blen = upgrade_cluster_encode(&c, back);
		CHECK(blen == cl->len && memcmp(back, cl->data, blen) == 0);
	}
	return 0;
}
