#include "lib/ferryd_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cephfs/libcephfs.h>
#include <cmocka.h>

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ferryd writes its control address before its port file. */
static void read_control_addr(struct ferryd_proc *p, const char *state)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/control.addr", state);
	snprintf(p->token_path, sizeof(p->token_path), "%s/control.token", state);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(p->control, sizeof(p->control), f))
		p->control[strcspn(p->control, "\r\n")] = '\0';
	fclose(f);
}

/* Ceph mode (FERRY_TEST_BACKEND=ceph): the export a test gets without
 * naming one is a fresh directory of the CephFS file system
 * FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name, served by the ceph back
 * end, so that a protocol test runs unchanged on CephFS.  A test that
 * reaches into its export on the host cannot run so: it stops loudly. */
bool ferryd_ceph_mode(void)
{
	const char *b = getenv("FERRY_TEST_BACKEND");
	return b && strcmp(b, "ceph") == 0;
}

static void ceph_mode_refuse(const char *what)
{
	fprintf(stderr, "%s makes or reads a local export: this test cannot run with "
			"FERRY_TEST_BACKEND=ceph\n",
		what);
	abort();
}

/* The cluster the environment names; exits 77 (skipped) when none. */
static void ceph_env(const char **conf, const char **id)
{
	*conf = getenv("FERRY_TEST_CEPH_CONF");
	*id = getenv("FERRY_TEST_CEPH_ID");
	if (!*conf || !**conf) {
		printf("FERRY_TEST_BACKEND=ceph, but FERRY_TEST_CEPH_CONF names no cluster: "
		       "skipped\n");
		exit(77);
	}
	if (!*id || !**id)
		*id = "admin";
}

/* A CephFS client of the test's own, mounted at the root: 0 or -errno. */
static int ceph_client(struct ceph_mount_info **cm)
{
	const char *conf, *id;
	ceph_env(&conf, &id);
	int rc = ceph_create(cm, id);
	if (rc == 0) {
		rc = ceph_conf_read_file(*cm, conf);
		if (rc == 0)
			rc = ceph_mount(*cm, "/");
		if (rc != 0)
			ceph_shutdown(*cm);
	}
	return rc;
}

/* The export section of a new directory in CephFS (mode 0777), written
 * to f; the directory goes to path. */
static bool ceph_export_section(FILE *f, char *path, size_t cap)
{
	const char *conf, *id;
	ceph_env(&conf, &id);
	static unsigned seq;
	snprintf(path, cap, "/ferry-proto-%ld-%ld-%u", (long)getpid(), (long)time(NULL), seq++);
	struct ceph_mount_info *cm;
	int rc = ceph_client(&cm);
	if (rc == 0) {
		rc = ceph_mkdir(cm, path, 0777);
		if (rc == 0)
			rc = ceph_chmod(cm, path, 0777);
		ceph_shutdown(cm);
	}
	if (rc != 0) {
		fprintf(stderr, "cannot make %s in CephFS (%s as %s): %s\n", path, conf, id,
			strerror(-rc));
		return false;
	}
	return fprintf(f, "[export e]\nbackend = ceph\npath = %s\npseudo = /export\n"
			  "ceph_conf = %s\nceph_id = %s\n",
		       path, conf, id) > 0;
}

int ferryd_export_put(const struct ferryd_proc *p, const char *name, const void *data,
		      size_t len)
{
	char path[400];
	if (!p->ceph_path[0]) {
		ferryd_export_path(p, name, path, sizeof(path));
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
		if (fd >= 0)
			close(fd);
		return ok ? 0 : -1;
	}
	struct ceph_mount_info *cm;
	if (ceph_client(&cm) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", p->ceph_path, name);
	int fd = ceph_open(cm, path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	bool ok = fd >= 0 && ceph_write(cm, fd, data, (int64_t)len, 0) == (int)len;
	if (fd >= 0)
		ok = ceph_close(cm, fd) == 0 && ok;
	ceph_shutdown(cm);
	return ok ? 0 : -1;
}

/* ferryd_start; ceph_export: the arguments' configuration exports CephFS
 * (ferryd_start_export in ceph mode). */
static int start_server(struct ferryd_proc *p, const char *const *extra_args, bool ceph_export)
{
	memset(p, 0, sizeof(*p));
	const char *tmp = getenv("TMPDIR");
	snprintf(p->dir, sizeof(p->dir), "%s/ferry-test-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(p->dir)) {
		perror("mkdtemp");
		return -1;
	}
	char export_arg[300], state[300], portfile[300];
	snprintf(export_arg, sizeof(export_arg), "%s/export:/export", p->dir);
	snprintf(state, sizeof(state), "%s/state", p->dir);
	snprintf(portfile, sizeof(portfile), "%s/port", p->dir);
	snprintf(p->log_path, sizeof(p->log_path), "%s/ferryd.log", p->dir);

	const char *argv[64];
	int n = 0;
	bool has_listen = false, has_control = false;
	for (int i = 0; extra_args && extra_args[i]; i++) {
		if (strcmp(extra_args[i], "--listen") == 0)
			has_listen = true;
		if (strcmp(extra_args[i], "--control") == 0)
			has_control = true;
		/* A state directory of the caller's: the control address is
		 * written there. */
		if (strcmp(extra_args[i], "--state-dir") == 0 && extra_args[i + 1])
			snprintf(state, sizeof(state), "%s", extra_args[i + 1]);
	}
	argv[n++] = FERRYD_PATH;
	if (!has_listen) {
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.1:0";
	}
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	/* Tests share the host: no registration, unless the test runs its
	 * own rpcbind (in a namespace of its own) and asks for it. */
	if (!getenv("FERRYD_PROC_RPCBIND"))
		argv[n++] = "--no-rpcbind";
	if (!has_control) {
		/* Tests run in parallel: never the fixed default port. */
		argv[n++] = "--control";
		argv[n++] = "127.0.0.1:0";
	}
	argv[n++] = "--state-dir";
	argv[n++] = state;
	bool has_export = false;
	for (int i = 0; extra_args && extra_args[i] && n < 60; i++) {
		if (strcmp(extra_args[i], "--export") == 0 || strcmp(extra_args[i], "--config") == 0 ||
		    strcmp(extra_args[i], "--exports") == 0)
			has_export = true;
		argv[n++] = extra_args[i];
	}
	char ceph_conf_path[300];
	if (has_export && ferryd_ceph_mode() && !ceph_export)
		ceph_mode_refuse("a test's own --export, --exports or --config");
	if (!has_export && ferryd_ceph_mode()) {
		snprintf(ceph_conf_path, sizeof(ceph_conf_path), "%s/ceph-export.conf", p->dir);
		FILE *f = fopen(ceph_conf_path, "w");
		bool ok = f && ceph_export_section(f, p->ceph_path, sizeof(p->ceph_path));
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok)
			return -1;
		argv[n++] = "--config";
		argv[n++] = ceph_conf_path;
	} else if (!has_export) {
		argv[n++] = "--export";
		argv[n++] = export_arg;
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A test killed by its timeout must not leave its server behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	p->pid = pid;
	for (int waited = 0; waited < 10000; waited += 10) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			unsigned port = 0;
			int got = fscanf(f, "%u", &port);
			fclose(f);
			if (got == 1 && port > 0 && port < 65536) {
				p->port = (uint16_t)port;
				snprintf(p->hostport, sizeof(p->hostport), "127.0.0.1:%u", port);
				read_control_addr(p, state);
				return 0;
			}
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "ferryd exited during start-up\n");
			p->pid = 0;
			ferryd_dump_log(p);
			return -1;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "ferryd did not start listening within 10 s\n");
	ferryd_stop(p);
	return -1;
}

int ferryd_start(struct ferryd_proc *p, const char *const *extra_args)
{
	return start_server(p, extra_args, false);
}

int ferryd_start_own(struct ferryd_proc *p, const char *const *extra_args)
{
	return start_server(p, extra_args, ferryd_ceph_mode());
}

bool ferryd_ceph_export_section(FILE *f, char *ceph_path, size_t cap)
{
	return ceph_export_section(f, ceph_path, cap);
}

static void remove_tree(const char *dir);

int ferryd_start_conf(struct ferryd_proc *p, const char *conf_text)
{
	if (ferryd_ceph_mode())
		ceph_mode_refuse("ferryd_start_conf");
	const char *tmp = getenv("TMPDIR");
	char dir[256], conf[300], export_arg[300], export_dir[290];
	snprintf(dir, sizeof(dir), "%s/ferry-conf-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", dir);
	snprintf(export_dir, sizeof(export_dir), "%s/export", dir);
	snprintf(export_arg, sizeof(export_arg), "%s:/export", export_dir);
	FILE *f = fopen(conf, "w");
	bool ok = f && fputs(conf_text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || mkdir(export_dir, 0755) != 0) {
		fprintf(stderr, "cannot write %s\n", conf);
		remove_tree(dir);
		return -1;
	}
	const char *args[] = {"--config", conf, "--export", export_arg, NULL};
	int rc = ferryd_start(p, args);
	if (rc != 0) {
		remove_tree(dir);
		return rc;
	}
	snprintf(p->conf_dir, sizeof(p->conf_dir), "%s", dir);
	return 0;
}

int ferryd_start_export(struct ferryd_proc *p, const char *conf_extra)
{
	char ceph_path[128] = "";
	const char *tmp = getenv("TMPDIR");
	char dir[256], conf[300], export_dir[290];
	snprintf(dir, sizeof(dir), "%s/ferry-export-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", dir);
	snprintf(export_dir, sizeof(export_dir), "%s/export", dir);
	FILE *f = fopen(conf, "w");
	bool ok = f && (ferryd_ceph_mode()
				? ceph_export_section(f, ceph_path, sizeof(ceph_path)) &&
					  fprintf(f, "%s", conf_extra ? conf_extra : "") >= 0
				: fprintf(f, "[export e]\npath = %s\npseudo = /export\n%s",
					  export_dir, conf_extra ? conf_extra : "") > 0);
	if (f && fclose(f) != 0)
		ok = false;
	/* World-writable, so that squashed users may create in it too. */
	if (!ok || mkdir(export_dir, 0777) != 0 || chmod(export_dir, 0777) != 0) {
		fprintf(stderr, "cannot set up %s\n", dir);
		remove_tree(dir);
		return -1;
	}
	const char *args[] = {"--config", conf, NULL};
	int rc = start_server(p, args, ferryd_ceph_mode());
	if (rc != 0) {
		remove_tree(dir);
		return rc;
	}
	snprintf(p->conf_dir, sizeof(p->conf_dir), "%s", dir);
	snprintf(p->ceph_path, sizeof(p->ceph_path), "%s", ceph_path);
	return 0;
}

void ferryd_export_path(const struct ferryd_proc *p, const char *name, char *out, size_t len)
{
	if (ferryd_ceph_mode())
		ceph_mode_refuse("ferryd_export_path");
	snprintf(out, len, "%s/export/%s", p->conf_dir[0] ? p->conf_dir : p->dir, name);
}

bool ferryd_running(struct ferryd_proc *p)
{
	if (p->pid <= 0)
		return false;
	int status;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = 0;
		return false;
	}
	return true;
}

void ferryd_wrapper(char *out, size_t len, const char *dir, const char *name, const char *env)
{
	snprintf(out, len, "%s/%s", dir, name);
	FILE *f = fopen(out, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s exec %s \"$@\"\n", env, FERRYD_PATH);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(out, 0755), 0);
}

bool ferryd_log_has(const struct ferryd_proc *p, const char *text)
{
	FILE *f = fopen(p->log_path, "r");
	assert_non_null(f);
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	if (!found)
		fprintf(stderr, "not in the log: %s\n", text);
	return found;
}

void ferryd_dump_log(struct ferryd_proc *p)
{
	FILE *f = fopen(p->log_path, "r");
	if (!f)
		return;
	char line[1024];
	fprintf(stderr, "---- ferryd log (%s) ----\n", p->log_path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(f);
}

static void remove_tree(const char *dir)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int ferryd_stop(struct ferryd_proc *p)
{
	int result = -1;
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		int status = 0;
		for (int waited = 0; waited < 15000; waited += 10) {
			pid_t r = waitpid(p->pid, &status, WNOHANG);
			if (r == p->pid) {
				if (WIFEXITED(status))
					result = WEXITSTATUS(status);
				else
					fprintf(stderr, "ferryd died from signal %d\n", WTERMSIG(status));
				p->pid = 0;
				break;
			}
			sleep_ms(10);
		}
		if (p->pid > 0) {
			fprintf(stderr, "ferryd did not stop within 15 s; killing it\n");
			/* Where it hangs is what a rare failure needs: its
			 * threads' stacks, when gdb is there to take them. */
			char cmd[160];
			snprintf(cmd, sizeof(cmd),
				 "command -v gdb >/dev/null && gdb -p %d -batch -ex 'thread apply all bt' "
				 "2>/dev/null | grep -v '^\\[' >&2",
				 (int)p->pid);
			if (system(cmd) != 0)
				fprintf(stderr, "(no stacks: gdb missing or failed)\n");
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
			p->pid = 0;
		}
	}
	if (result != 0)
		ferryd_dump_log(p);
	if (!getenv("FERRY_TEST_KEEP") && p->dir[0])
		remove_tree(p->dir);
	if (!getenv("FERRY_TEST_KEEP") && p->conf_dir[0])
		remove_tree(p->conf_dir);
	return result;
}

/* A "Key:   N kB" line of /proc/PID/status, in KiB; -1 when missing. */
long ferryd_status_kib(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long v = -1;
	size_t klen = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}
