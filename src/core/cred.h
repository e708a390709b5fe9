/* The caller's identity as ONC RPC carries it (RFC 5531): the credential
 * flavors and the decoded AUTH_SYS body.
 *
 * It lives in core/ rather than rpc/ because the layers below nfs4/ keep
 * it too (state/ records who set up a client and the security of its
 * callbacks) and may not depend on rpc/.  rpc/rpc_msg.h decodes and
 * encodes it; nothing here knows the wire form. */
#ifndef FERRY_CORE_CRED_H
#define FERRY_CORE_CRED_H

#include <stdint.h>

enum {
	RPC_AUTH_SYS_MAX_MACHINENAME = 255,
	RPC_AUTH_SYS_MAX_GIDS = 16,
	/* A Kerberos principal as RPCSEC_GSS names it ("alice@EXAMPLE.COM");
	 * longer ones are refused when the context is made. */
	RPC_CRED_PRINCIPAL_MAX = 255,
};

enum rpc_auth_flavor {
	RPC_AUTH_NONE = 0,
	RPC_AUTH_SYS = 1,
	RPC_AUTH_SHORT = 2,
	RPC_AUTH_DH = 3,
	RPC_AUTH_GSS = 6,
	/* RPC-with-TLS's probe (RFC 9289 4.1): only on a NULL call, never a
	 * caller's identity. */
	RPC_AUTH_TLS = 7,
};

/* The transport a call came over (RFC 9289), weakest first: plain TCP,
 * TLS, or TLS with a client certificate the server verified (mutual
 * TLS).  An export lists the ones it admits (`xprtsec`). */
enum rpc_xprtsec {
	RPC_XPRTSEC_NONE = 1,
	RPC_XPRTSEC_TLS = 2,
	RPC_XPRTSEC_MTLS = 3,
};

/* RPCSEC_GSS's services (RFC 2203 5.3.3.4); 0 for other flavors. */
enum rpc_cred_gss_service {
	RPC_CRED_GSS_NONE = 1,      /* krb5 */
	RPC_CRED_GSS_INTEGRITY = 2, /* krb5i */
	RPC_CRED_GSS_PRIVACY = 3,   /* krb5p */
};

/* The caller's identity, decoded from the credential (AUTH_SYS) or mapped
 * from the principal of its RPCSEC_GSS context.  For AUTH_NONE only flavor
 * is meaningful. */
struct rpc_cred {
	uint32_t flavor;
	uint32_t gss_service; /* enum rpc_cred_gss_service under RPCSEC_GSS */
	uint32_t stamp;
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids;
	uint32_t gids[RPC_AUTH_SYS_MAX_GIDS];
	char machinename[RPC_AUTH_SYS_MAX_MACHINENAME + 1];
	/* RPCSEC_GSS: the context's initiator, as GSS-API displays it, in
	 * the context's own storage (the call holds the context while it
	 * runs; whoever keeps the name longer copies it).  NULL for other
	 * flavors.  A pointer, not a buffer: every call's credential is
	 * built and copied, and most are not RPCSEC_GSS. */
	const char *principal;
	/* enum rpc_xprtsec: how the call's connection is protected. */
	uint32_t xprtsec;
};

#endif
