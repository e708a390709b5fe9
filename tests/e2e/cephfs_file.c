/* A CephFS client of its own for the kernel-client tests on a ceph export
 * (tests/e2e/host_helper.sh with FERRY_HELPER_CEPH_CONF): it plays the
 * process beside ferryd that reads, appends to or makes a file, through
 * libcephfs instead of a host directory.
 *
 *   cephfs_file CONF ID cat PATH           prints the file
 *   cephfs_file CONF ID append PATH DATA   appends DATA
 *   cephfs_file CONF ID write PATH DATA    makes the file hold DATA
 *   cephfs_file CONF ID getfacl PATH       prints its POSIX access ACL
 *                                          as `getfacl -n` lists entries
 *                                          ("user:1234:r--"), or "none"
 *   cephfs_file CONF ID setfacl PATH ACL   sets it: ACL is entries such as
 *                                          "u::rw-,u:4321:rw-,g::r--,m::rw-,o::r--"
 *                                          in tag order
 *
 * PATH is inside the file system (from its root).  Exit 0, or 1 with the
 * error on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cephfs/libcephfs.h>

static int fail(const char *what, const char *path, int rc)
{
	fprintf(stderr, "cephfs_file: %s %s: %s\n", what, path, strerror(-rc));
	return 1;
}

/* The kernel's ACL attribute format (version 2, then tag, perm and id per
 * entry, little-endian). */
enum { ACL_VERSION = 2, ACL_MAX = 64 };
static const struct {
	char letter;
	uint16_t tag;
} tags[] = {{'u', 0x01}, {'g', 0x04}, {'m', 0x10}, {'o', 0x20}};

static void perm_string(uint16_t perm, char out[4])
{
	out[0] = perm & 4 ? 'r' : '-';
	out[1] = perm & 2 ? 'w' : '-';
	out[2] = perm & 1 ? 'x' : '-';
	out[3] = '\0';
}

static int getfacl(struct ceph_mount_info *cm, const char *path)
{
	uint8_t v[4 + 8 * ACL_MAX];
	int n = ceph_getxattr(cm, path, "system.posix_acl_access", v, sizeof(v));
	if (n == -ENODATA) {
		puts("none");
		return 0;
	}
	if (n < 4)
		return fail("getxattr", path, n < 0 ? n : -EINVAL);
	static const char *const names[] = {[0x01] = "user", [0x02] = "user", [0x04] = "group",
					    [0x08] = "group", [0x10] = "mask", [0x20] = "other"};
	for (int i = 0; i < (n - 4) / 8; i++) {
		const uint8_t *e = v + 4 + 8 * i;
		uint16_t tag = (uint16_t)(e[0] | e[1] << 8), perm = (uint16_t)(e[2] | e[3] << 8);
		uint32_t id = (uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 |
			      (uint32_t)e[7] << 24;
		char p[4];
		perm_string(perm, p);
		if (tag > 0x20 || !names[tag])
			return fail("decode the ACL of", path, -EINVAL);
		if (tag == 0x02 || tag == 0x08)
			printf("%s:%u:%s\n", names[tag], id, p);
		else
			printf("%s::%s\n", names[tag], p);
	}
	return 0;
}

static int setfacl(struct ceph_mount_info *cm, const char *path, const char *spec)
{
	uint8_t v[4 + 8 * ACL_MAX] = {ACL_VERSION, 0, 0, 0};
	int count = 0;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		char letter, rwx[4];
		unsigned id = 0;
		uint16_t tag = 0;
		bool named = sscanf(e, "%c:%u:%3s", &letter, &id, rwx) == 3;
		if (!named && sscanf(e, "%c::%3s", &letter, rwx) != 2)
			return fail("parse the entry", e, -EINVAL);
		for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++)
			if (tags[k].letter == letter)
				tag = tags[k].tag;
		if (!tag || count == ACL_MAX || strlen(rwx) != 3)
			return fail("parse the entry", e, -EINVAL);
		if (named)
			tag = tag == 0x01 ? 0x02 : 0x08;
		uint16_t perm = (uint16_t)((rwx[0] == 'r') << 2 | (rwx[1] == 'w') << 1 | (rwx[2] == 'x'));
		uint32_t wid = named ? id : UINT32_MAX;
		uint8_t *q = v + 4 + 8 * count++;
		q[0] = (uint8_t)tag;
		q[1] = (uint8_t)(tag >> 8);
		q[2] = (uint8_t)perm;
		q[3] = 0;
		for (int k = 0; k < 4; k++)
			q[4 + k] = (uint8_t)(wid >> (8 * k));
	}
	int rc = ceph_setxattr(cm, path, "system.posix_acl_access", v, 4 + 8 * (size_t)count, 0);
	return rc ? fail("setxattr", path, rc) : 0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[3], "cat") != 0 && strcmp(argv[3], "getfacl") != 0 &&
			 argc != 6)) {
		fprintf(stderr, "usage: cephfs_file CONF ID cat|append|write|getfacl|setfacl PATH "
				"[DATA|ACL]\n");
		return 2;
	}
	const char *conf = argv[1], *id = argv[2], *cmd = argv[3], *path = argv[4];
	struct ceph_mount_info *cm;
	int rc = ceph_create(&cm, id);
	if (rc == 0)
		rc = ceph_conf_read_file(cm, conf);
	/* POSIX ACLs through their attributes, as ferryd has them. */
	if (rc == 0)
		rc = ceph_conf_set(cm, "client_acl_type", "posix_acl");
	if (rc == 0)
		rc = ceph_mount(cm, "/");
	if (rc)
		return fail("mount for", path, rc);
	if (strcmp(cmd, "getfacl") == 0 || strcmp(cmd, "setfacl") == 0) {
		int status = cmd[0] == 'g' ? getfacl(cm, path) : setfacl(cm, path, argv[5]);
		ceph_shutdown(cm);
		return status;
	}

	int flags = strcmp(cmd, "cat") == 0	 ? O_RDONLY
		    : strcmp(cmd, "append") == 0 ? O_WRONLY | O_APPEND
		    : strcmp(cmd, "write") == 0	 ? O_WRONLY | O_CREAT | O_TRUNC
						 : -1;
	if (flags < 0) {
		fprintf(stderr, "cephfs_file: unknown command %s\n", cmd);
		ceph_shutdown(cm);
		return 2;
	}
	int fd = ceph_open(cm, path, flags, 0644);
	if (fd < 0) {
		ceph_shutdown(cm);
		return fail("open", path, fd);
	}
	int status = 0;
	if (flags == O_RDONLY) {
		char buf[65536];
		int64_t off = 0;
		int n;
		while ((n = ceph_read(cm, fd, buf, sizeof(buf), off)) > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			off += n;
		}
		if (n < 0)
			status = fail("read", path, n);
	} else {
		/* -1: at the file's offset, which O_APPEND puts at its end. */
		size_t len = strlen(argv[5]);
		int n = ceph_write(cm, fd, argv[5], (int64_t)len, -1);
		if (n != (int)len)
			status = fail("write", path, n < 0 ? n : -EIO);
	}
	rc = ceph_close(cm, fd);
	if (rc && !status)
		status = fail("close", path, rc);
	ceph_shutdown(cm);
	return status;
}
