#include "rpc/gss/gss_ident.h"

#include <gssapi/gssapi_ext.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

enum { ANON_ID = 65534 };

static bool local_user(gss_name_t name, gss_OID mech, char *user, size_t cap)
{
	OM_uint32 minor;
	gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
	if (gss_localname(&minor, name, mech, &local) != GSS_S_COMPLETE)
		return false;
	bool ok = local.length > 0 && local.length < cap && !memchr(local.value, 0, local.length);
	if (ok) {
		memcpy(user, local.value, local.length);
		user[local.length] = '\0';
	}
	gss_release_buffer(&minor, &local);
	return ok;
}

/* uid, gid and groups of a local user; false when there is none. */
static bool user_ids(const char *user, struct rpc_cred *cred)
{
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t bufsz = sz > 0 ? (size_t)sz : 16384;
	char *buf = malloc(bufsz);
	if (!buf)
		return false;
	struct passwd pw, *found = NULL;
	bool ok = getpwnam_r(user, &pw, buf, bufsz, &found) == 0 && found;
	if (ok) {
		cred->uid = pw.pw_uid;
		cred->gid = pw.pw_gid;
		/* The primary group first, as getgrouplist lists it; then
		 * the others, as many as a credential carries. */
		gid_t groups[RPC_AUTH_SYS_MAX_GIDS + 1];
		int n = RPC_AUTH_SYS_MAX_GIDS + 1;
		if (getgrouplist(user, pw.pw_gid, groups, &n) < 0) {
			log_warn("rpc/gss: user %s is in %d groups; the first %d are used", user, n,
				 RPC_AUTH_SYS_MAX_GIDS);
			n = RPC_AUTH_SYS_MAX_GIDS + 1;
		}
		cred->ngids = 0;
		for (int i = 0; i < n && cred->ngids < RPC_AUTH_SYS_MAX_GIDS; i++)
			if (groups[i] != pw.pw_gid)
				cred->gids[cred->ngids++] = groups[i];
	}
	free(buf);
	return ok;
}

bool rpc_gss_ident_map(gss_name_t name, gss_OID mech, struct rpc_cred *cred, char *principal,
		       size_t cap)
{
	OM_uint32 minor;
	gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
	if (gss_display_name(&minor, name, &shown, NULL) != GSS_S_COMPLETE)
		return false;
	bool fits = shown.length > 0 && shown.length <= RPC_CRED_PRINCIPAL_MAX &&
		    shown.length < cap && !memchr(shown.value, 0, shown.length);
	if (fits) {
		memcpy(principal, shown.value, shown.length);
		principal[shown.length] = '\0';
		cred->principal = principal;
	}
	gss_release_buffer(&minor, &shown);
	if (!fits)
		return false;

	char user[256];
	cred->ngids = 0;
	if (!local_user(name, mech, user, sizeof(user)) || !user_ids(user, cred)) {
		cred->uid = cred->gid = ANON_ID;
		log_ratelimited("rpc/gss: principal %s has no local user; it acts as %u",
				principal, ANON_ID);
	}
	return true;
}
