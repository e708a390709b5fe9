/* Who a Kerberos principal is on this host.
 *
 * Mapping rule, decided: the realm's own rules in krb5.conf, applied by
 * MIT Kerberos itself (gss_localname, i.e. krb5_aname_to_localname: the
 * auth_to_local rules of the principal's realm, by default "user@REALM"
 * -> "user" for the default realm), then the system's user database
 * (getpwnam_r, so NSS, LDAP or SSSD as the host has it) for the uid, the
 * primary gid and the supplementary groups (getgrouplist).  No parser of
 * our own, and the same answer the host's own Kerberos logins get, which
 * is what an administrator already maintains.  libnfsidmap's mapping was
 * the other choice: it reads idmapd.conf, a second place to keep in line,
 * and its static and umich_ldap methods add nothing the krb5.conf rules
 * and NSS lack for one realm.
 *
 * A principal with no local user (a machine's nfs/HOST or host/HOST
 * principal, a user absent from the host) maps to the anonymous user
 * 65534, as AUTH_NONE does; exports squash it further as configured. */
#ifndef FERRY_RPC_GSS_IDENT_H
#define FERRY_RPC_GSS_IDENT_H

#include <gssapi/gssapi.h>
#include <stdbool.h>

#include "core/cred.h"

/* Fills cred's uid, gid and groups from the context's initiator name,
 * whose display form goes to principal (cap bytes: at least
 * RPC_CRED_PRINCIPAL_MAX + 1), which cred->principal then points to.
 * False (cred untouched) when the name cannot be displayed or is longer
 * than RPC_CRED_PRINCIPAL_MAX. */
bool rpc_gss_ident_map(gss_name_t name, gss_OID mech, struct rpc_cred *cred, char *principal,
		       size_t cap);

#endif
