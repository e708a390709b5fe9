/* EXCHANGE_ID and CREATE_SESSION for Ferry's clients (session.h). */
#include "client/session.h"

#include <stdio.h>
#include <string.h>

void client_exchange_id_args(struct nfs4_exchange_id_args *a, const struct client_owner *o)
{
	*a = (struct nfs4_exchange_id_args){
		.verifier = o->verifier,
		.ownerid = o->ownerid,
		.flags = o->flags,
		.state_protect.how = o->sp4,
	};
	if (o->impl_name) {
		/* so server logs say who is calling */
		a->has_impl_id = true;
		a->impl_id.domain = nfs4_opaque_str("ferry.invalid");
		a->impl_id.name = nfs4_opaque_str(o->impl_name);
	}
}

int client_exchange_id_done(struct client_id *id, const struct nfs4_exchange_id_res *r,
			    char *why, size_t len)
{
	if (r->state_protect.how != SP4_NONE) {
		snprintf(why, len,
			 "EXCHANGE_ID: server chose state protection %u, asked for SP4_NONE",
			 r->state_protect.how);
		return -1;
	}
	id->clientid = r->clientid;
	id->create_seq = r->sequenceid;
	id->flags = r->flags;
	return 0;
}

void client_sec_parms(struct nfs4_cb_sec_parms *parms, const uint32_t *flavors, unsigned n,
		      const struct rpc_cred *cred)
{
	memset(parms, 0, n * sizeof(*parms));
	for (unsigned i = 0; i < n; i++) {
		parms[i].flavor = flavors[i];
		if (flavors[i] == RPC_AUTH_SYS && cred) {
			parms[i].sys.uid = cred->uid;
			parms[i].sys.gid = cred->gid;
			parms[i].sys.machinename = nfs4_opaque_str(cred->machinename);
		}
	}
}

void client_create_session_args(struct nfs4_create_session_args *a, const struct client_id *id,
				const struct client_session_req *req,
				struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX])
{
	unsigned n = req->nflavors < CLIENT_SEC_PARMS_MAX ? req->nflavors : CLIENT_SEC_PARMS_MAX;

	client_sec_parms(parms, req->flavors, n, req->cred);
	*a = (struct nfs4_create_session_args){
		.clientid = id->clientid,
		.sequence = id->create_seq,
		.flags = req->flags,
		.fore = req->fore,
		.back = req->back,
		.cb_program = req->cb_program,
		.sec_parms = {.l.count = n, .items = parms},
	};
}

uint32_t client_create_session_done(struct client_id *id,
				    const struct nfs4_create_session_args *a,
				    const struct nfs4_create_session_res *r, uint32_t max_slots,
				    char *why, size_t len)
{
	if (r->sequence != a->sequence) {
		snprintf(why, len, "CREATE_SESSION: csr_sequence %u, sent %u", r->sequence,
			 a->sequence);
		return 0;
	}
	if (r->fore.maxrequests == 0 || r->fore.maxrequests > a->fore.maxrequests) {
		snprintf(why, len, "CREATE_SESSION: server granted %u slots, asked for %u",
			 r->fore.maxrequests, a->fore.maxrequests);
		return 0;
	}
	/* The next CREATE_SESSION of this client ID; sending a's sequence
	 * again would only replay this one. */
	id->create_seq = a->sequence + 1;
	return r->fore.maxrequests < max_slots ? r->fore.maxrequests : max_slots;
}
