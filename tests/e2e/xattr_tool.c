/* A small setfattr/getfattr for the kernel-client e2e guest
 * (tests/e2e/guest/xattr.sh), whose busybox has neither: built static and
 * shipped into the guest with kclient --file.  kclient.sh also runs it on
 * the host to look at what the guest left in the export.
 *
 *   xattr_tool set FILE NAME VALUE [either|create|replace]
 *   xattr_tool setsize FILE NAME BYTES      (a value of BYTES letters)
 *   xattr_tool get FILE NAME                (prints the value)
 *   xattr_tool size FILE NAME               (prints the value's length)
 *   xattr_tool list FILE                    (prints one name a line)
 *   xattr_tool remove FILE NAME
 *
 * Exits 0 on success; on failure prints "xattr_tool: CALL: ERRNO-NAME" on
 * stderr and exits with 10 + the errno value capped at 100, so a script
 * can tell ENODATA (61) and EEXIST (17) from other failures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

enum { VALUE_MAX = 65536, LIST_MAX = 65536 };

static int failed(const char *call)
{
	int e = errno;
	const char *name = e == ENODATA  ? "ENODATA"
			   : e == EEXIST ? "EEXIST"
			   : e == E2BIG  ? "E2BIG"
			   : e == ERANGE ? "ERANGE"
			   : e == EACCES ? "EACCES"
			   : e == EPERM  ? "EPERM"
			   : e == ENOTSUP ? "ENOTSUP"
					  : strerror(e);
	fprintf(stderr, "xattr_tool: %s: %s\n", call, name);
	return 10 + (e > 100 ? 100 : e);
}

static int usage(void)
{
	fprintf(stderr, "usage: xattr_tool set|setsize|get|size|list|remove FILE [NAME [VALUE]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *cmd = argv[1], *file = argv[2];
	static char buf[VALUE_MAX > LIST_MAX ? VALUE_MAX : LIST_MAX];
	if (strcmp(cmd, "set") == 0 && (argc == 5 || argc == 6)) {
		int flags = 0;
		if (argc == 6 && strcmp(argv[5], "create") == 0)
			flags = XATTR_CREATE;
		else if (argc == 6 && strcmp(argv[5], "replace") == 0)
			flags = XATTR_REPLACE;
		else if (argc == 6 && strcmp(argv[5], "either") != 0)
			return usage();
		if (setxattr(file, argv[3], argv[4], strlen(argv[4]), flags) != 0)
			return failed("setxattr");
		return 0;
	}
	if (strcmp(cmd, "setsize") == 0 && argc == 5) {
		long n = strtol(argv[4], NULL, 10);
		if (n < 0 || n > VALUE_MAX)
			return usage();
		for (long i = 0; i < n; i++)
			buf[i] = (char)('a' + i % 26);
		if (setxattr(file, argv[3], buf, (size_t)n, 0) != 0)
			return failed("setxattr");
		return 0;
	}
	if ((strcmp(cmd, "get") == 0 || strcmp(cmd, "size") == 0) && argc == 4) {
		ssize_t n = getxattr(file, argv[3], buf, sizeof(buf));
		if (n < 0)
			return failed("getxattr");
		if (strcmp(cmd, "size") == 0)
			printf("%zd\n", n);
		else
			printf("%.*s\n", (int)n, buf);
		return 0;
	}
	if (strcmp(cmd, "list") == 0 && argc == 3) {
		ssize_t n = listxattr(file, buf, sizeof(buf));
		if (n < 0)
			return failed("listxattr");
		for (ssize_t off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1)
			printf("%s\n", buf + off);
		return 0;
	}
	if (strcmp(cmd, "remove") == 0 && argc == 4) {
		if (removexattr(file, argv[3]) != 0)
			return failed("removexattr");
		return 0;
	}
	return usage();
}
