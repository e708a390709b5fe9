/* NFSv4.1 session operations (RFC 8881 18.33-18.51) and the back-channel
 * probe.  Each handler has the nfs4_op_handler signature of compound.h. */
#ifndef FERRY_NFS4_OPS_SESSION_H
#define FERRY_NFS4_OPS_SESSION_H

#include "nfs4/compound.h"

#define NFS4_SESSION_OP(name)                                                         \
	enum nfsstat4 nfs4_op_##name(struct nfs4_compound *c, struct xdr_dec *args, \
				     struct xdr_enc *res)

NFS4_SESSION_OP(exchange_id);
NFS4_SESSION_OP(create_session); /* may block: writes the stable record */
NFS4_SESSION_OP(destroy_session);
NFS4_SESSION_OP(sequence);
NFS4_SESSION_OP(bind_conn_to_session);
NFS4_SESSION_OP(destroy_clientid); /* may block: removes the stable record */
NFS4_SESSION_OP(reclaim_complete);
NFS4_SESSION_OP(secinfo_no_name);
NFS4_SESSION_OP(test_stateid);
NFS4_SESSION_OP(free_stateid);
NFS4_SESSION_OP(backchannel_ctl);
NFS4_SESSION_OP(set_ssv);

struct nfs4_server;
struct state_session;

/* Sends CB_COMPOUND(CB_SEQUENCE) on a back-bound connection of session s
 * and records whether it was answered; returns at once. */
void nfs4_cb41_probe(struct nfs4_server *srv, struct state_session *s);

#endif
