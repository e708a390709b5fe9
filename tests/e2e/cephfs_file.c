/* A CephFS client of its own for the kernel-client tests on a ceph export
 * (tests/e2e/host_helper.sh with FERRY_HELPER_CEPH_CONF): it plays the
 * process beside ferryd that reads, appends to or makes a file, through
 * libcephfs instead of a host directory.
 *
 *   cephfs_file CONF ID cat PATH           prints the file
 *   cephfs_file CONF ID append PATH DATA   appends DATA
 *   cephfs_file CONF ID write PATH DATA    makes the file hold DATA
 *
 * PATH is inside the file system (from its root).  Exit 0, or 1 with the
 * error on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <cephfs/libcephfs.h>

static int fail(const char *what, const char *path, int rc)
{
	fprintf(stderr, "cephfs_file: %s %s: %s\n", what, path, strerror(-rc));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[3], "cat") != 0 && argc != 6)) {
		fprintf(stderr, "usage: cephfs_file CONF ID cat|append|write PATH [DATA]\n");
		return 2;
	}
	const char *conf = argv[1], *id = argv[2], *cmd = argv[3], *path = argv[4];
	struct ceph_mount_info *cm;
	int rc = ceph_create(&cm, id);
	if (rc == 0)
		rc = ceph_conf_read_file(cm, conf);
	if (rc == 0)
		rc = ceph_mount(cm, "/");
	if (rc)
		return fail("mount for", path, rc);

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
