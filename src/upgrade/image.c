#include "upgrade/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdr/xdr.h"

static const uint8_t image_magic[8] = {'F', 'E', 'R', 'R', 'Y', 'U', 'P', 'G'};
enum { IMAGE_HEAD = 16, SECTION_HEAD = 8 };

static bool reserve(struct upgrade_image_writer *w, size_t more)
{
	if (w->failed)
		return false;
	if (w->cap - w->len >= more)
		return true;
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len < more)
		cap *= 2;
	uint8_t *b = realloc(w->buf, cap);
	if (!b) {
		w->failed = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

void upgrade_image_begin(struct upgrade_image_writer *w, uint32_t version)
{
	memset(w, 0, sizeof(*w));
	if (!reserve(w, IMAGE_HEAD))
		return;
	memcpy(w->buf, image_magic, sizeof(image_magic));
	xdr_put_be32(w->buf + 8, version);
	xdr_put_be32(w->buf + 12, 0);
	w->len = IMAGE_HEAD;
}

void upgrade_image_add(struct upgrade_image_writer *w, uint32_t kind, const void *p, size_t len)
{
	if (len > UINT32_MAX || w->nsections >= UPGRADE_IMAGE_SECTIONS_MAX) {
		w->failed = true;
		return;
	}
	if (!reserve(w, SECTION_HEAD + len))
		return;
	xdr_put_be32(w->buf + w->len, kind);
	xdr_put_be32(w->buf + w->len + 4, (uint32_t)len);
	if (len)
		memcpy(w->buf + w->len + SECTION_HEAD, p, len);
	w->len += SECTION_HEAD + len;
	w->nsections++;
}

uint8_t *upgrade_image_finish(struct upgrade_image_writer *w, size_t *len)
{
	if (w->failed || !w->buf) {
		free(w->buf);
		w->buf = NULL;
		return NULL;
	}
	xdr_put_be32(w->buf + 12, w->nsections);
	*len = w->len;
	uint8_t *b = w->buf;
	w->buf = NULL;
	return b;
}

static bool kind_known(uint32_t kind)
{
	return kind == UPGRADE_SECTION_SERVER || kind == UPGRADE_SECTION_NLM ||
	       kind == UPGRADE_SECTION_CLUSTER || kind == UPGRADE_SECTION_LEASES ||
	       kind == UPGRADE_SECTION_DIR_WATCHES || kind == UPGRADE_SECTION_TLS_CONNS;
}

int upgrade_image_parse(const uint8_t *p, size_t len, struct upgrade_image *img, char *err,
			size_t errlen)
{
	img->version = img->nsections = 0;
	if (len < IMAGE_HEAD || memcmp(p, image_magic, sizeof(image_magic)) != 0) {
		snprintf(err, errlen, "not a ferryd state image");
		return -EINVAL;
	}
	uint32_t version = xdr_get_be32(p + 8), n = xdr_get_be32(p + 12);
	if (version < UPGRADE_IMAGE_VERSION_MIN || version > UPGRADE_IMAGE_VERSION) {
		snprintf(err, errlen, "state image version %u; this ferryd reads %u to %u", version,
			 UPGRADE_IMAGE_VERSION_MIN, UPGRADE_IMAGE_VERSION);
		return -EINVAL;
	}
	if (n > UPGRADE_IMAGE_SECTIONS_MAX) {
		snprintf(err, errlen, "state image with %u sections (at most %u)", n,
			 UPGRADE_IMAGE_SECTIONS_MAX);
		return -EINVAL;
	}
	size_t at = IMAGE_HEAD;
	for (uint32_t i = 0; i < n; i++) {
		if (len - at < SECTION_HEAD) {
			snprintf(err, errlen, "state image cut short in section %u", i);
			return -EINVAL;
		}
		uint32_t kind = xdr_get_be32(p + at), slen = xdr_get_be32(p + at + 4);
		at += SECTION_HEAD;
		if (len - at < slen) {
			snprintf(err, errlen, "state image section %u runs past the end", i);
			return -EINVAL;
		}
		if ((kind & UPGRADE_SECTION_REQUIRED) && !kind_known(kind)) {
			snprintf(err, errlen, "state image needs section kind %#x, unknown here", kind);
			return -EINVAL;
		}
		img->sections[i] = (struct upgrade_image_section){kind, p + at, slen};
		at += slen;
	}
	if (at != len) {
		snprintf(err, errlen, "%zu bytes after the state image's last section", len - at);
		return -EINVAL;
	}
	img->version = version;
	img->nsections = n;
	return 0;
}

const struct upgrade_image_section *upgrade_image_find(const struct upgrade_image *img,
							 uint32_t kind)
{
	for (uint32_t i = 0; i < img->nsections; i++)
		if (img->sections[i].kind == kind)
			return &img->sections[i];
	return NULL;
}

void upgrade_server_encode(const struct upgrade_server_section *s, uint8_t out[16])
{
	memcpy(out, s->write_verifier, 8);
	xdr_put_be32(out + 8, (uint32_t)(s->upgrades >> 32));
	xdr_put_be32(out + 12, (uint32_t)s->upgrades);
}

bool upgrade_server_decode(const struct upgrade_image_section *sec,
			   struct upgrade_server_section *out)
{
	if (!sec || sec->len != 16)
		return false;
	memcpy(out->write_verifier, sec->data, 8);
	out->upgrades = xdr_get_be64(sec->data + 8);
	return true;
}

/* A name: its length, then its bytes. */
static size_t put_name(uint8_t *out, const char *name)
{
	size_t len = strnlen(name, UPGRADE_NAME_MAX - 1);
	xdr_put_be32(out, (uint32_t)len);
	memcpy(out + 4, name, len);
	return 4 + len;
}

static bool get_name(const uint8_t *p, size_t len, size_t *at, char out[UPGRADE_NAME_MAX])
{
	if (len - *at < 4)
		return false;
	uint32_t n = xdr_get_be32(p + *at);
	if (n >= UPGRADE_NAME_MAX || len - *at - 4 < n || memchr(p + *at + 4, '\0', n))
		return false;
	memcpy(out, p + *at + 4, n);
	out[n] = '\0';
	*at += 4 + n;
	return true;
}

size_t upgrade_cluster_encode(const struct upgrade_cluster_section *s,
			      uint8_t out[UPGRADE_CLUSTER_SECTION_MAX])
{
	size_t at = put_name(out, s->node);
	xdr_put_be32(out + at, (uint32_t)(s->instance >> 32));
	xdr_put_be32(out + at + 4, (uint32_t)s->instance);
	at += 8;
	unsigned n = s->nextra < UPGRADE_CLUSTER_LISTENERS_MAX ? s->nextra
							       : UPGRADE_CLUSTER_LISTENERS_MAX;
	xdr_put_be32(out + at, n);
	at += 4;
	for (unsigned i = 0; i < n; i++) {
		xdr_put_be32(out + at, s->extra[i].listener);
		at += 4;
		at += put_name(out + at, s->extra[i].origin);
	}
	return at;
}

bool upgrade_cluster_decode(const struct upgrade_image_section *sec,
			    struct upgrade_cluster_section *out)
{
	if (!sec)
		return false;
	const uint8_t *p = sec->data;
	size_t len = sec->len, at = 0;
	memset(out, 0, sizeof(*out));
	if (!get_name(p, len, &at, out->node) || !out->node[0] || len - at < 12)
		return false;
	out->instance = xdr_get_be64(p + at);
	uint32_t n = xdr_get_be32(p + at + 8);
	at += 12;
	if (n > UPGRADE_CLUSTER_LISTENERS_MAX)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (len - at < 4)
			return false;
		out->extra[i].listener = xdr_get_be32(p + at);
		at += 4;
		if (!get_name(p, len, &at, out->extra[i].origin) || !out->extra[i].origin[0])
			return false;
	}
	out->nextra = n;
	return at == len;
}
