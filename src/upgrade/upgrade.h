/* Replacing a running ferryd by another binary with no interruption a
 * client can see (`ferryctl upgrade`, SIGUSR2).
 *
 * The running ferryd (the old one) starts the new binary with the same
 * arguments and one end of a unix socket in FERRY_UPGRADE_FD.  The new
 * one reads its configuration and says which state images it reads
 * (HELLO).  Only then does the old one stop serving: it lets requests in
 * flight finish (rpc_server_handover_freeze), writes the image of its
 * state (image.h), and sends it with its listening sockets, its client
 * connections (with the bytes received on each and not yet served) and
 * its control plane's socket.  The new one sets up with those instead of
 * binding its own, and says READY; the old one says GO and exits
 * without shutting a socket down, and only then does the new one read
 * from the connections.
 *
 * Until READY nothing is lost: a binary that cannot be run, exits, cannot
 * read the image or refuses it, or is not ready in time is killed, and the
 * old one serves on as before, with the same sockets.
 *
 * The calls here run the exchange; what freezing, imaging and thawing
 * mean is the caller's (struct upgrade_hooks). */
#ifndef FERRY_UPGRADE_UPGRADE_H
#define FERRY_UPGRADE_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rpc/server.h"

#define UPGRADE_FD_ENV "FERRY_UPGRADE_FD"

enum {
	/* The new binary's start to its HELLO: its exports are opened (a
	 * CephFS mounted) meanwhile, while the old one still serves. */
	UPGRADE_HELLO_MS = 30000,
	UPGRADE_FREEZE_MS = 5000,  /* requests in flight finishing */
	UPGRADE_READY_MS = 30000,  /* the new one's set-up with what it got */
	UPGRADE_LISTEN_ADDR_MAX = 128,
};

/* Descriptors the image names by their index (the files that hold the
 * kernel leases behind delegations), sent after the connections. */
struct upgrade_files {
	int *fds; /* malloc'd */
	size_t n;
};

/* The old side's part, called in this order: freeze (then, if it
 * succeeded, image), and exactly one of thaw and done. */
struct upgrade_hooks {
	void *arg;
	int (*freeze)(void *arg, struct rpc_handover *h, char *err, size_t errlen);
	/* The state image (malloc'd, the caller's to free), and the
	 * descriptors it names (files: upgrade_run closes and frees them once
	 * sent, or not). */
	int (*image)(void *arg, uint8_t **img, size_t *len, struct upgrade_files *files,
		     char *err, size_t errlen);
	void (*thaw)(void *arg, struct rpc_handover *h);
	void (*done)(void *arg, struct rpc_handover *h);
};

struct upgrade_offer {
	const char *binary;
	char *const *argv;
	/* The configured address of each listener, in the handover's order
	 * (the new side keeps a socket only where its own configuration has
	 * the same address at the same place). */
	const char *listen[RPC_HANDOVER_LISTENERS_MAX];
	int control_fd; /* -1: none */
	/* Test settings: the image version this ferryd says it writes (one
	 * the new ferryd does not read makes it refuse at HELLO), the
	 * milliseconds the new one is given to be ready (0: the defaults). */
	uint32_t image_version;
	unsigned ready_ms;
};

struct upgrade_result {
	pid_t pid;           /* the new ferryd's */
	uint64_t stall_ms;   /* from the freeze to READY: no request was read */
	size_t connections;  /* handed over */
	unsigned listeners;
	unsigned closed_tls; /* closed instead (the client reconnects) */
	char err[512];       /* on failure */
};

/* 0 when the new ferryd serves (the caller exits), else a negative errno
 * with res->err saying why (the caller serves on). */
int upgrade_run(const struct upgrade_offer *o, const struct upgrade_hooks *hooks,
		struct upgrade_result *res);

/* --- the new side ----------------------------------------------------------- */

struct upgrade_conn {
	int fd;
	int listener; /* -1: none */
	uint8_t *unread;
	size_t unread_len;
};

struct upgrade_inherited {
	int channel;
	pid_t from;
	uint8_t *image;
	size_t image_len;
	unsigned nlisteners;
	int listener_fds[RPC_HANDOVER_LISTENERS_MAX]; /* -1 once taken */
	char listen[RPC_HANDOVER_LISTENERS_MAX][UPGRADE_LISTEN_ADDR_MAX];
	struct upgrade_conn *conns;
	size_t nconns;
	int control_fd; /* -1: none, or taken */
	struct upgrade_files files; /* each -1 once taken */
};

/* Whether this process was started by upgrade_run: the channel's
 * descriptor (and the variable unset), or -1. */
int upgrade_channel_from_env(void);
/* Whether this process was started by upgrade_run (before
 * upgrade_channel_from_env takes the variable). */
bool upgrade_started(void);

/* HELLO, then everything the old ferryd sends.  0, or a negative errno
 * with err saying why (the channel is closed: the old one serves on). */
int upgrade_inherit(int channel, struct upgrade_inherited *out, char *err, size_t errlen);

/* The listener handed over for the configured address at index i (the
 * caller owns it from now), or -1. */
int upgrade_take_listener(struct upgrade_inherited *in, unsigned i, const char *configured);

/* The descriptor the image names by index i (the caller owns it from
 * now), or -1. */
int upgrade_take_file(struct upgrade_inherited *in, size_t i);

/* READY, then the old one's go: 0 when it let go of everything (it
 * exits), else it gave up (timed out: it serves on, and this one must
 * exit without serving a connection handed over).  upgrade_refuse: why
 * this one cannot (the old one serves on).  Either closes the channel. */
int upgrade_ready(struct upgrade_inherited *in);
void upgrade_refuse(struct upgrade_inherited *in, const char *why);

/* Closes what was not taken and frees the rest. */
void upgrade_inherited_free(struct upgrade_inherited *in);

#endif
