/* Starting and stopping a real ferryd for protocol tests.
 *
 * Each instance gets a fresh directory under $TMPDIR (export/, state/,
 * ferryd.log), listens on 127.0.0.1 with a port the kernel picks (unless the
 * extra arguments give --listen; port is then the first listener's), and
 * does not register with rpcbind (unless FERRYD_PROC_RPCBIND is set in the
 * environment: a test with an rpcbind of its own, in its own namespace).  Its control plane listens on a port the
 * kernel picks too, unless the extra arguments give --control. */
#ifndef FERRY_TESTS_FERRYD_PROC_H
#define FERRY_TESTS_FERRYD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct ferryd_proc {
	pid_t pid;
	uint16_t port;
	char dir[256];
	char hostport[64]; /* "127.0.0.1:PORT" */
	char log_path[300];
	/* The control plane ("127.0.0.1:PORT"; a free port unless the extra
	 * arguments give --control; empty when disabled) and its token file. */
	char control[64];
	char token_path[320];
	/* ferryd_start_conf's directory (its configuration file and export),
	 * removed with dir; empty otherwise. */
	char conf_dir[256];
	/* Ceph mode: the export's directory inside CephFS ("" otherwise). */
	char ceph_path[128];
};

/* Starts ferryd with extra arguments (NULL-terminated list, may be NULL) and
 * waits until it listens.  Returns 0, or -1 with a message on stderr. */
int ferryd_start(struct ferryd_proc *p, const char *const *extra_args);

/* Starts ferryd with an INI configuration of conf_text and an export
 * (EXPORT_DIR/..., see ferryd_export_path) of its own at /export, as
 * ferryd_start does.  Returns 0 or -1 with a message on stderr. */
int ferryd_start_conf(struct ferryd_proc *p, const char *conf_text);

/* Starts ferryd with a configuration file of one export, [export e] at
 * /export on a world-writable directory of its own, whose section goes
 * on with conf_extra (options of the export, then more sections if
 * wanted: "squash = none\n[nfs]\nlease_time = 10\n"), as ferryd_start
 * does.  ferryd_export_path finds its files; ferryd_stop removes it.
 * Returns 0 or -1 with a message on stderr. */
int ferryd_start_export(struct ferryd_proc *p, const char *conf_extra);

/* Where a file of the export of a ferryd_start_conf server lives: name
 * under its export directory, written to out. */
void ferryd_export_path(const struct ferryd_proc *p, const char *name, char *out, size_t len);

/* FERRY_TEST_BACKEND=ceph: ferryd_start's default export and
 * ferryd_start_export's are a new directory of the CephFS file system
 * FERRY_TEST_CEPH_CONF names (the process exits 77, skipped, when it names
 * none); ferryd_start_conf and ferryd_export_path, which work on a local
 * directory, and ferryd_start with an --export, --exports or --config of
 * the test's own, abort: a test that would not run on CephFS never passes
 * as if it had. */
bool ferryd_ceph_mode(void);

/* Ceph mode, for a test that writes its own configuration file: writes
 * to f the section of an export at /export on a new world-writable
 * directory of the CephFS file system, its path inside CephFS to
 * ceph_path.  Start the server with ferryd_start_own.  Returns false with
 * a message on stderr. */
bool ferryd_ceph_export_section(FILE *f, char *ceph_path, size_t cap);

/* ferryd_start for a --config whose only export is the one
 * ferryd_ceph_export_section wrote (allowed in ceph mode). */
int ferryd_start_own(struct ferryd_proc *p, const char *const *extra_args);

/* Writes a file name of len bytes (mode 0666) into the export of a server
 * ferryd_start or ferryd_start_export made with its default export,
 * local or CephFS alike.  0 or -1. */
int ferryd_export_put(const struct ferryd_proc *p, const char *name, const void *data,
		      size_t len);

/* True while the process runs. */
bool ferryd_running(struct ferryd_proc *p);

/* Sends SIGTERM and waits; returns the exit status (0 for a clean stop),
 * or -1 if it had to be killed or died from a signal.  Removes the
 * directory unless FERRY_TEST_KEEP is set. */
int ferryd_stop(struct ferryd_proc *p);

/* A "Key:   N kB" line of /proc/PID/status (VmRSS, VmHWM, ...), in KiB;
 * -1 when missing. */
long ferryd_status_kib(pid_t pid, const char *key);

/* Writes dir/name, a wrapper of ferryd that sets env (shell assignments)
 * for it: a binary to upgrade to that runs with a test setting.  Its path
 * in out; asserts on failure. */
void ferryd_wrapper(char *out, size_t len, const char *dir, const char *name, const char *env);

/* Whether the server's log has a line holding text (said on stderr when
 * not). */
bool ferryd_log_has(const struct ferryd_proc *p, const char *text);

/* Prints the server's log to stderr (for failing tests). */
void ferryd_dump_log(struct ferryd_proc *p);

#endif
