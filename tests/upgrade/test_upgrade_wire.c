/* The upgrade's wire: the state image (layout, versions, refusals) and the
 * channel (messages with descriptors, malformed frames). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upgrade/channel.h"
#include "upgrade/image.h"
#include "xdr/xdr.h"

static uint8_t *server_image(uint32_t version, size_t *len)
{
	struct upgrade_server_section srv = {.write_verifier = {1, 2, 3, 4, 5, 6, 7, 8},
					     .upgrades = 0x100000002ull};
	uint8_t sec[16];
	upgrade_server_encode(&srv, sec);
	struct upgrade_image_writer w;
	upgrade_image_begin(&w, version);
	upgrade_image_add(&w, UPGRADE_SECTION_SERVER, sec, sizeof(sec));
	upgrade_image_add(&w, 0x42, "opt", 3); /* not required: skipped by readers */
	return upgrade_image_finish(&w, len);
}

static void test_image_layout_and_round_trip(void **state)
{
	size_t len;
	uint8_t *img = server_image(UPGRADE_IMAGE_VERSION, &len);
	assert_non_null(img);
	static const uint8_t head[] = {'F', 'E', 'R', 'R', 'Y', 'U', 'P', 'G', 0, 0, 0, 1, 0, 0, 0, 2,
				       0x80, 0, 0, 1, 0, 0, 0, 16};
	assert_int_equal(len, 16 + 8 + 16 + 8 + 3);
	assert_memory_equal(img, head, sizeof(head));
	struct upgrade_image parsed;
	char err[256];
	assert_int_equal(upgrade_image_parse(img, len, &parsed, err, sizeof(err)), 0);
	assert_int_equal(parsed.version, UPGRADE_IMAGE_VERSION);
	assert_int_equal(parsed.nsections, 2);
	struct upgrade_server_section srv;
	assert_true(upgrade_server_decode(upgrade_image_find(&parsed, UPGRADE_SECTION_SERVER), &srv));
	static const uint8_t verf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(srv.write_verifier, verf, 8);
	assert_int_equal(srv.upgrades, 0x100000002ull);
	assert_null(upgrade_image_find(&parsed, 0x43));
	free(img);
}

static void expect_refused(const uint8_t *p, size_t len, const char *why)
{
	struct upgrade_image parsed;
	char err[256] = "";
	assert_int_equal(upgrade_image_parse(p, len, &parsed, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
}

static void test_image_refusals(void **state)
{
	size_t len;
	uint8_t *img = server_image(UPGRADE_IMAGE_VERSION, &len);
	/* Every prefix is refused: none is a whole image. */
	for (size_t n = 0; n < len; n++) {
		struct upgrade_image parsed;
		char err[256];
		assert_int_not_equal(upgrade_image_parse(img, n, &parsed, err, sizeof(err)), 0);
	}
	uint8_t *copy = malloc(len + 1);
	memcpy(copy, img, len);
	copy[0] = 'X';
	expect_refused(copy, len, "not a ferryd state image");
	memcpy(copy, img, len);
	copy[11] = 99;
	expect_refused(copy, len, "state image version 99; this ferryd reads 1 to 1");
	memcpy(copy, img, len);
	copy[11] = 0;
	expect_refused(copy, len, "version 0");
	memcpy(copy, img, len);
	copy[len] = 0;
	expect_refused(copy, len + 1, "1 bytes after");
	memcpy(copy, img, len);
	copy[19] = 99; /* a required kind nobody knows */
	expect_refused(copy, len, "needs section kind 0x80000063");
	memcpy(copy, img, len);
	copy[15] = 3; /* one section more than there is */
	expect_refused(copy, len, "cut short in section 2");
	memcpy(copy, img, len);
	copy[14] = 1; /* 258 sections */
	expect_refused(copy, len, "sections (at most 256)");
	free(copy);
	free(img);
}

/* A cluster head's section: node, instance and the listeners taken over
 * come back as written; a cut, a name with a NUL, too many listeners or
 * bytes after the last are refused. */
static void test_cluster_section(void **state)
{
	struct upgrade_cluster_section cs = {.node = "a", .instance = 0x8000000100000003ull,
					     .nextra = 2};
	cs.extra[0].listener = 1;
	snprintf(cs.extra[0].origin, sizeof(cs.extra[0].origin), "b");
	cs.extra[1].listener = 2;
	snprintf(cs.extra[1].origin, sizeof(cs.extra[1].origin), "head-c");
	uint8_t buf[UPGRADE_CLUSTER_SECTION_MAX + 8];
	size_t len = upgrade_cluster_encode(&cs, buf);
	assert_int_equal(len, 4 + 1 + 8 + 4 + (4 + 4 + 1) + (4 + 4 + 6));
	struct upgrade_image_section sec = {UPGRADE_SECTION_CLUSTER, buf, len};
	struct upgrade_cluster_section back;
	assert_true(upgrade_cluster_decode(&sec, &back));
	assert_string_equal(back.node, "a");
	assert_true(back.instance == cs.instance);
	assert_int_equal(back.nextra, 2);
	assert_int_equal(back.extra[1].listener, 2);
	assert_string_equal(back.extra[1].origin, "head-c");
	assert_false(upgrade_cluster_decode(NULL, &back));
	for (size_t cut = 0; cut < len; cut++) {
		sec.len = cut;
		assert_false(upgrade_cluster_decode(&sec, &back));
	}
	sec.len = len + 1;
	buf[len] = 0;
	assert_false(upgrade_cluster_decode(&sec, &back)); /* a byte after the last */
	sec.len = len;
	buf[4] = '\0'; /* the node's name holds a NUL */
	assert_false(upgrade_cluster_decode(&sec, &back));
	buf[4] = 'a';
	xdr_put_be32(buf + 4 + 1 + 8, UPGRADE_CLUSTER_LISTENERS_MAX + 1);
	assert_false(upgrade_cluster_decode(&sec, &back));
	/* Required: a reader that does not know the kind refuses the image. */
	assert_true(UPGRADE_SECTION_CLUSTER & UPGRADE_SECTION_REQUIRED);
	(void)state;
}

static void test_channel_passes_descriptors(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	int fds[2] = {p[0], p[1]};
	assert_int_equal(channel_send(sv[0], 7, "hello", 5, fds, 2, 1000), 0);
	assert_int_equal(channel_send(sv[0], 8, NULL, 0, NULL, 0, 1000), 0);
	struct channel_msg m;
	assert_int_equal(channel_recv(sv[1], &m, 1000), 0);
	assert_int_equal(m.type, 7);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.payload, "hello", 5);
	assert_int_equal(m.nfds, 2);
	/* The descriptors received are the same pipe, close-on-exec. */
	assert_int_equal(write(m.fds[1], "x", 1), 1);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_true(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC);
	channel_msg_release(&m);
	assert_int_equal(m.nfds, 0);
	assert_int_equal(channel_recv(sv[1], &m, 1000), 0);
	assert_int_equal(m.type, 8);
	assert_int_equal(m.len, 0);
	channel_msg_release(&m);
	/* Nothing more: a timeout, then the peer's close. */
	assert_int_equal(channel_recv(sv[1], &m, 50), -ETIMEDOUT);
	close(sv[0]);
	assert_int_equal(channel_recv(sv[1], &m, 1000), -ECONNRESET);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void test_channel_refuses_malformed_frames(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* A header announcing a descriptor that did not come. */
	static const uint8_t lie[12] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
	assert_int_equal(write(sv[0], lie, sizeof(lie)), (ssize_t)sizeof(lie));
	struct channel_msg m;
	assert_int_equal(channel_recv(sv[1], &m, 1000), -EPROTO);
	/* A payload over the maximum. */
	static const uint8_t huge[12] = {0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	assert_int_equal(write(sv[0], huge, sizeof(huge)), (ssize_t)sizeof(huge));
	assert_int_equal(channel_recv(sv[1], &m, 1000), -EPROTO);
	/* A frame cut short by the close. */
	static const uint8_t part[12] = {0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0};
	assert_int_equal(write(sv[0], part, sizeof(part)), (ssize_t)sizeof(part));
	assert_int_equal(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	assert_int_equal(channel_recv(sv[1], &m, 1000), -ECONNRESET);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_layout_and_round_trip),
		cmocka_unit_test(test_image_refusals),
		cmocka_unit_test(test_cluster_section),
		cmocka_unit_test(test_channel_passes_descriptors),
		cmocka_unit_test(test_channel_refuses_malformed_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
