/* Client and session operations: the v4.1 ones of RFC 8881 18.33-18.51
 * (ops_session.c) and the v4.0 client-id ones of RFC 7530 16.32-16.34
 * (ops_client.c).  Each is served on arguments the codec decoded
 * (NFS4_SERVE in compound.h). */
#ifndef FERRY_NFS4_OPS_SESSION_H
#define FERRY_NFS4_OPS_SESSION_H

#include "nfs4/engine/compound.h"
#include "xdr/nfs4_codec_session.h"

NFS4_SERVE_DECL(exchange_id);
NFS4_SERVE_DECL(create_session); /* may block: writes the stable record */
NFS4_SERVE_DECL(destroy_session);
NFS4_SERVE_DECL(sequence);
NFS4_SERVE_DECL(bind_conn_to_session);
NFS4_SERVE_DECL(destroy_clientid); /* may block: removes the stable record */
NFS4_SERVE_DECL(reclaim_complete);
NFS4_SERVE_DECL(secinfo_no_name);
NFS4_SERVE_DECL(test_stateid);
NFS4_SERVE_DECL(free_stateid);
NFS4_SERVE_DECL(backchannel_ctl);
NFS4_SERVE_DECL(set_ssv);

NFS4_SERVE_DECL(setclientid);
NFS4_SERVE_DECL(setclientid_confirm); /* may block: writes the stable record */
NFS4_SERVE_DECL(renew);

#endif
