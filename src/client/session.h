/* NFSv4.1 session establishment for Ferry's clients (ferry-bench and the
 * test client): the arguments of EXCHANGE_ID and CREATE_SESSION, and what a
 * client takes from (and checks in) their results (RFC 8881 18.35, 18.36).
 *
 * The functions fill the codec's argument structures; each caller encodes
 * and sends them its own way (ferry-bench from its event loop, the test
 * client synchronously).  The argument structures point into what they were
 * made from (the owner, the parms array): keep those until encoded.
 *
 * Ownership and locking: none; plain functions over the caller's structs. */
#ifndef FERRY_CLIENT_SESSION_H
#define FERRY_CLIENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/cred.h"
#include "xdr/nfs4_codec_session.h"

/* Who the client is: EXCHANGE_ID's arguments. */
struct client_owner {
	struct nfs4_opaque ownerid;     /* co_ownerid */
	struct nfs4_verifier verifier;  /* co_verifier: changes at each reboot */
	uint32_t flags;                 /* eia_flags (EXCHGID4_FLAG_*) */
	uint32_t sp4;                   /* state protection asked (SP4_*) */
	const char *impl_name;          /* NULL: no eia_client_impl_id */
};

/* A client ID and the csa_sequence of its next CREATE_SESSION, which
 * starts at eir_sequenceid and advances with each session made (18.36.4). */
struct client_id {
	uint64_t clientid;
	uint32_t create_seq;
	uint32_t flags; /* eir_flags */
};

void client_exchange_id_args(struct nfs4_exchange_id_args *a, const struct client_owner *o);
/* Takes the client ID from a successful EXCHANGE_ID.  0, or -1 with what
 * is wrong in why (len bytes): state protection other than SP4_NONE, the
 * only one these clients speak. */
int client_exchange_id_done(struct client_id *id, const struct nfs4_exchange_id_res *r,
			    char *why, size_t len);

enum { CLIENT_SEC_PARMS_MAX = 4 };

/* What a CREATE_SESSION asks for. */
struct client_session_req {
	uint32_t flags; /* csa_flags (CREATE_SESSION4_FLAG_*) */
	struct nfs4_chan_attrs fore, back;
	uint32_t cb_program;
	/* Callback security offered, at most CLIENT_SEC_PARMS_MAX flavors;
	 * AUTH_SYS entries carry cred's identity. */
	const uint32_t *flavors;
	unsigned nflavors;
	const struct rpc_cred *cred;
};

/* callback_sec_parms4 entries for flavors[0..n) into parms[0..n):
 * AUTH_NONE, AUTH_SYS as cred (none: empty), RPCSEC_GSS with empty
 * handles. */
void client_sec_parms(struct nfs4_cb_sec_parms *parms, const uint32_t *flavors, unsigned n,
		      const struct rpc_cred *cred);
/* CREATE_SESSION's arguments for id's next session; parms holds the
 * security entries (req->nflavors <= CLIENT_SEC_PARMS_MAX). */
void client_create_session_args(struct nfs4_create_session_args *a, const struct client_id *id,
				const struct client_session_req *req,
				struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX]);
/* A successful CREATE_SESSION made with a: checks that it answers a
 * (csr_sequence) and grants 1 to a's ca_maxrequests slots, and advances
 * id's sequence.  Returns the slots to use, the grant capped at max_slots,
 * or 0 with what is wrong in why (len bytes). */
uint32_t client_create_session_done(struct client_id *id,
				    const struct nfs4_create_session_args *a,
				    const struct nfs4_create_session_res *r, uint32_t max_slots,
				    char *why, size_t len);

#endif
