/* The image of a running ferryd's state that it hands to the ferryd
 * replacing it (upgrade.h).
 *
 * Layout (big-endian): the magic "FERRYUPG", the format version, the
 * number of sections, then each section as kind, length and its bytes.
 * A kind with UPGRADE_SECTION_REQUIRED set must be understood by the
 * reader; others a reader that does not know them skips.  A reader takes
 * every version from UPGRADE_IMAGE_VERSION_MIN to UPGRADE_IMAGE_VERSION,
 * so a release reads its predecessor's images: a change that an older
 * reader would misread takes a new version. */
#ifndef FERRY_UPGRADE_IMAGE_H
#define FERRY_UPGRADE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	UPGRADE_IMAGE_VERSION_MIN = 1,
	UPGRADE_IMAGE_VERSION = 1,
	UPGRADE_IMAGE_SECTIONS_MAX = 256,
	UPGRADE_SECTION_REQUIRED = 0x80000000u,
};

/* Section kinds. */
enum upgrade_section {
	/* The server's identity as clients see it: its write verifier
	 * (8 bytes) and the count of upgrades so far (8). */
	UPGRADE_SECTION_SERVER = 1 | UPGRADE_SECTION_REQUIRED,
	/* NLM's locks, shares and blocked LOCKs (nlm_state_save's bytes);
	 * absent when they are not carried (the new ferryd then begins a
	 * grace period for NLM hosts as after a restart). */
	UPGRADE_SECTION_NLM = 2 | UPGRADE_SECTION_REQUIRED,
	/* The NFSv4 state (state_carry_save's bytes); absent when it is not
	 * carried.  Not required: a ferryd that skips it starts as after a
	 * restart, and its clients reclaim. */
	UPGRADE_SECTION_NFS4 = 3,
	/* The NFSv4.0 and NFSv3 duplicate request caches (rpc_drc_save's
	 * bytes).  Not required: without them a retransmission runs again. */
	UPGRADE_SECTION_DRC_NFS40 = 4,
	UPGRADE_SECTION_DRC_NFS3 = 5,
	/* A cluster head's membership (upgrade_cluster_section): required,
	 * for a reader that would join the cluster as a new process makes
	 * the old one stop. */
	UPGRADE_SECTION_CLUSTER = 6 | UPGRADE_SECTION_REQUIRED,
	/* The RPCSEC_GSS contexts (rpc_gss_server_save's bytes, keys among
	 * them).  Not required: without them clients make new contexts. */
	UPGRADE_SECTION_GSS = 7,
	/* The kernel leases behind the file delegations the NFSv4 section
	 * carries (nfs4_deleg_leases_save's bytes), each naming a descriptor
	 * sent after the connections.  Required: a reader that dropped them
	 * would serve delegations that nothing on the host respects. */
	UPGRADE_SECTION_LEASES = 8 | UPGRADE_SECTION_REQUIRED,
	/* The back-end watches behind the directory delegations the NFSv4
	 * section carries (nfs4_dir_watches_encode's bytes), each naming a
	 * descriptor sent after the leases'.  Required: a reader that
	 * dropped them would not see host changes to delegated
	 * directories. */
	UPGRADE_SECTION_DIR_WATCHES = 9 | UPGRADE_SECTION_REQUIRED,
	/* The connections handed over in kernel TLS
	 * (rpc_handover_tls_encode's bytes: which ones, what their
	 * handshakes agreed, who their peers are).  Required: a reader that
	 * dropped it would serve them as plain connections. */
	UPGRADE_SECTION_TLS_CONNS = 10 | UPGRADE_SECTION_REQUIRED,
};

struct upgrade_image_writer {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nsections;
	bool failed; /* out of memory: finish returns NULL */
};

void upgrade_image_begin(struct upgrade_image_writer *w, uint32_t version);
void upgrade_image_add(struct upgrade_image_writer *w, uint32_t kind, const void *p, size_t len);
/* The image (malloc'd, the caller's) and its length; NULL when out of memory. */
uint8_t *upgrade_image_finish(struct upgrade_image_writer *w, size_t *len);

struct upgrade_image_section {
	uint32_t kind;
	const uint8_t *data; /* into the parsed bytes */
	size_t len;
};

struct upgrade_image {
	uint32_t version;
	uint32_t nsections;
	struct upgrade_image_section sections[UPGRADE_IMAGE_SECTIONS_MAX];
};

/* 0, or -EINVAL with the reason in err: not an image, a version outside
 * [UPGRADE_IMAGE_VERSION_MIN, UPGRADE_IMAGE_VERSION], a section past the
 * end, bytes after the last, a required kind this reader does not know,
 * too many sections.  The sections point into p. */
int upgrade_image_parse(const uint8_t *p, size_t len, struct upgrade_image *img, char *err,
			size_t errlen);

/* The first section of kind (NULL: none). */
const struct upgrade_image_section *upgrade_image_find(const struct upgrade_image *img,
							 uint32_t kind);

/* The SERVER section. */
struct upgrade_server_section {
	uint8_t write_verifier[8];
	uint64_t upgrades;
};
void upgrade_server_encode(const struct upgrade_server_section *s, uint8_t out[16]);
bool upgrade_server_decode(const struct upgrade_image_section *sec,
			   struct upgrade_server_section *out);

/* The CLUSTER section: the head's node name and the instance number its
 * process joined the cluster under, and the listeners beyond the
 * configured ones (addresses of heads it took over) with the head each
 * address came from.  Listeners are named by their index in the
 * handover. */
enum {
	UPGRADE_NAME_MAX = 128,
	UPGRADE_CLUSTER_LISTENERS_MAX = 16,
	UPGRADE_CLUSTER_SECTION_MAX =
		4 + UPGRADE_NAME_MAX + 8 + 4 + UPGRADE_CLUSTER_LISTENERS_MAX * (8 + UPGRADE_NAME_MAX),
};
struct upgrade_cluster_section {
	char node[UPGRADE_NAME_MAX];
	uint64_t instance;
	unsigned nextra;
	struct {
		uint32_t listener;
		char origin[UPGRADE_NAME_MAX];
	} extra[UPGRADE_CLUSTER_LISTENERS_MAX];
};
/* The section's bytes into out (at most UPGRADE_CLUSTER_SECTION_MAX); their
 * length. */
size_t upgrade_cluster_encode(const struct upgrade_cluster_section *s,
			      uint8_t out[UPGRADE_CLUSTER_SECTION_MAX]);
/* false when sec is NULL or does not decode. */
bool upgrade_cluster_decode(const struct upgrade_image_section *sec,
			    struct upgrade_cluster_section *out);

#endif
