/* The control plane's pieces without a ferryd: the token file, the text
 * buffer behind /metrics, and the HTTP client's handling of servers that
 * are gone or do not speak HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_internal.h"

static char dir[256];

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-ctl-test-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_token(void **state)
{
	char path[300], tok[CTL_TOKEN_MAX], again[CTL_TOKEN_MAX];
	snprintf(path, sizeof(path), "%s/control.token", dir);
	assert_int_equal(ctl_token_read(path, tok, sizeof(tok)), -ENOENT);
	assert_int_equal(ctl_token_ensure(path, tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), 48);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Kept across restarts: the same token is read back. */
	assert_int_equal(ctl_token_ensure(path, again, sizeof(again)), 0);
	assert_string_equal(tok, again);
	assert_int_equal(ctl_token_read(path, again, sizeof(again)), 0);
	assert_string_equal(tok, again);
	/* An operator's own token, with a trailing newline, is taken as is. */
	FILE *f = fopen(path, "w");
	fputs("my-secret\r\n", f);
	fclose(f);
	assert_int_equal(ctl_token_read(path, again, sizeof(again)), 0);
	assert_string_equal(again, "my-secret");
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(ctl_token_read(path, again, sizeof(again)), -ENODATA);
}

/* A new token is written beside the token file and renamed: whatever is
 * already at that temporary name (a file left by a crash, a symlink
 * planted in the state directory) is neither followed nor trusted. */
static void test_token_tmp_not_followed(void **state)
{
	char path[300], tmp[310], victim[300], tok[CTL_TOKEN_MAX], buf[64] = "";
	snprintf(path, sizeof(path), "%s/planted.token", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	fputs("keep me\n", f);
	fclose(f);
	assert_int_equal(chmod(victim, 0644), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(ctl_token_ensure(path, tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), 48);
	f = fopen(victim, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep me\n");
	struct stat st;
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	char again[CTL_TOKEN_MAX];
	assert_int_equal(ctl_token_read(path, again, sizeof(again)), 0);
	assert_string_equal(tok, again);
}

static void test_text(void **state)
{
	struct ctl_text t = {0};
	char big[10000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 20; i++)
		ctl_text_printf(&t, "%d:%s\n", i, big);
	assert_false(t.oom);
	assert_int_equal(t.len, 20 * (sizeof(big) - 1 + 2) + 10 * 1 + 10 * 2); /* ":\n" and the digits */
	assert_int_equal(strlen(t.p), t.len);
	assert_memory_equal(t.p, "0:xx", 4);
	ctl_text_free(&t);
	assert_null(t.p);
}

/* A one-shot server that answers the first connection with canned bytes. */
struct canned {
	int lfd;
	const char *reply;
	pthread_t thread;
};

static void *canned_main(void *arg)
{
	struct canned *c = arg;
	int fd = accept(c->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	(void)n;
	ssize_t w = send(fd, c->reply, strlen(c->reply), MSG_NOSIGNAL);
	(void)w;
	close(fd);
	return NULL;
}

static void canned_start(struct canned *c, const char *reply, char *addr, size_t addrlen)
{
	c->reply = reply;
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(c->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(c->lfd, 1), 0);
	socklen_t sl = sizeof(sin);
	getsockname(c->lfd, (struct sockaddr *)&sin, &sl);
	snprintf(addr, addrlen, "127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(pthread_create(&c->thread, NULL, canned_main, c), 0);
}

static void canned_stop(struct canned *c)
{
	pthread_join(c->thread, NULL);
	close(c->lfd);
}

static int request(const char *addr, struct ctl_http_reply *r, char *err, size_t errlen)
{
	return ctl_http_request(addr, "GET", "/api/v1/server", "tok", NULL, 0, 2000, r, err,
				errlen);
}

static void test_client(void **state)
{
	struct ctl_http_reply r;
	char err[256], addr[64];
	struct canned c;

	canned_start(&c, "HTTP/1.1 418 No\r\nContent-Length: 5\r\n\r\nhello and more", addr,
		     sizeof(addr));
	assert_int_equal(request(addr, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 418);
	assert_string_equal(r.body, "hello"); /* Content-Length is the body */
	ctl_http_reply_free(&r);
	canned_stop(&c);

	canned_start(&c, "SSH-2.0-OpenSSH\r\n", addr, sizeof(addr));
	assert_int_equal(request(addr, &r, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not HTTP"));
	canned_stop(&c);

	canned_start(&c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", addr,
		     sizeof(addr));
	assert_int_equal(request(addr, &r, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "cut short"));
	canned_stop(&c);

	/* Nobody listens: the port of a listener closed again (shutdown wakes
	 * its thread's accept). */
	canned_start(&c, "", addr, sizeof(addr));
	shutdown(c.lfd, SHUT_RDWR);
	canned_stop(&c);
	assert_int_equal(request(addr, &r, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "cannot reach the control plane"));
	assert_int_equal(request("no-port", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_http_request("unix:/nonexistent/ctl.sock", "GET", "/", NULL, NULL, 0,
					  1000, &r, err, sizeof(err)),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_tmp_not_followed),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_client),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
