/* Exports and the pseudo file system that joins them.
 *
 * The pseudo file system is a read-only tree of directories made from the
 * exports' pseudo paths: PUTROOTFH lands at its root, and LOOKUP walks down
 * to the export roots.  An export at "/" is itself the root. */
#ifndef FERRY_NFS4_EXPORT_H
#define FERRY_NFS4_EXPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "core/config.h"
#include "core/siphash.h"
#include "rpc/rpc_msg.h"

enum nfs4_squash {
	NFS4_SQUASH_ROOT = 0, /* uid/gid 0 become the anonymous ids (default) */
	NFS4_SQUASH_ALL,      /* everyone is anonymous */
	NFS4_SQUASH_NONE,
};

struct nfs4_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct nfs4_pseudo_node;

struct nfs4_export {
	uint32_t id; /* stable: derived from the pseudo path; in file handles */
	char path[CONFIG_PATH_MAX];
	char pseudo[CONFIG_PATH_MAX];
	bool read_only;
	enum nfs4_squash squash;
	uint32_t anonuid, anongid;
	struct nfs4_cidr clients[CONFIG_MAX_CLIENTS];
	unsigned nclients; /* 0: every client */
	const struct backend_ops *ops;
	struct backend_export *bex;
	struct backend_handle root;
	struct backend_attr root_attr; /* at start-up: fileid of the root */
	struct nfs4_pseudo_node *mount_point;
	void *deleg_watch; /* nfs4_deleg_watch_leases's, freed by _unwatch_ */
};

struct nfs4_pseudo_node {
	uint32_t id; /* stable: derived from the node's path; in file handles */
	char name[256];
	struct nfs4_pseudo_node *parent;
	struct nfs4_pseudo_node *children; /* first child */
	struct nfs4_pseudo_node *sibling;
	struct nfs4_export *export; /* the export mounted here, or NULL */
	uint64_t fileid;
};

struct nfs4_exports {
	struct nfs4_export *list;
	unsigned count;
	struct nfs4_pseudo_node *root;
	struct siphash_key fh_key; /* signs file handles; kept in the state dir */
};

/* Opens every configured export and builds the pseudo tree.  Returns 0 or a
 * negative errno (logged). */
int nfs4_exports_open(struct nfs4_exports *exps, const struct ferry_config *cfg);
void nfs4_exports_close(struct nfs4_exports *exps);

struct nfs4_export *nfs4_exports_find(struct nfs4_exports *exps, uint32_t id);
struct nfs4_pseudo_node *nfs4_pseudo_find(struct nfs4_exports *exps, uint32_t id);

/* A child of a pseudo directory by name, or NULL. */
struct nfs4_pseudo_node *nfs4_pseudo_lookup(struct nfs4_pseudo_node *dir, const char *name);

/* Whether the client at addr may use the export. */
bool nfs4_export_allows(const struct nfs4_export *ex, const struct sockaddr_storage *addr);

/* The back-end identity for a caller on this export, after squashing. */
void nfs4_export_cred(const struct nfs4_export *ex, const struct rpc_cred *rc,
		      struct backend_cred *out);

#endif
