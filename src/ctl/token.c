/* The control plane's token file: read by ferryctl, made by ferryd.  A
 * file of its own, apart from the HTTP server: ferryctl links only what
 * it calls (the client and this), not the server's libraries. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/state_dir.h"
#include "ctl/ctl.h"

static void token_trim(char *tok)
{
	size_t n = strlen(tok);
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		tok[--n] = '\0';
}

int ctl_token_read(const char *path, char *tok, size_t toklen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, tok, toklen - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	tok[n] = '\0';
	token_trim(tok);
	return tok[0] ? 0 : -ENODATA;
}

int ctl_token_ensure(const char *path, char *tok, size_t toklen)
{
	if (ctl_token_read(path, tok, toklen) == 0) {
		struct stat st;
		/* A token others can read is no secret: say so, do not guess a fix. */
		if (stat(path, &st) == 0 && (st.st_mode & 077))
			log_warn("ctl: token file %s is readable by others (mode %03o)", path,
				 st.st_mode & 0777);
		return 0;
	}
	uint8_t raw[24];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	if (toklen < 2 * sizeof(raw) + 1)
		return -ENOSPC;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(tok + 2 * i, 3, "%02x", raw[i]);
	/* 0600 from the start: the token is never readable by others, not
	 * even between creation and a chmod; never written through a symlink. */
	char line[2 * sizeof(raw) + 2];
	int len = snprintf(line, sizeof(line), "%s\n", tok);
	return state_file_replace(path, line, (size_t)len, 0600);
}
