/* What the RPCSEC_GSS callback tests share: a throwaway Kerberos realm
 * (tests/lib/krb5_kdc.h) and a ferryd whose export takes the flavours
 * sec, with the realm's service keys and callbacks that time out fast,
 * beside the delegation fixture's helpers. */
#ifndef FERRY_TESTS_PROTO_GSS_FIXTURE_H
#define FERRY_TESTS_PROTO_GSS_FIXTURE_H

#include "proto/deleg_fixture.h"

#include "lib/krb5_kdc.h"

static struct krb5_kdc kdc;

/* The realm, alice's ticket in ccache (cap bytes), and the server. */
static inline int gss_server_up(const char *sec, unsigned callback_timeout_ms, char *ccache,
				size_t cap)
{
	if (krb5_kdc_start(&kdc) != 0 || !krb5_kdc_kinit(&kdc, "alice", ccache, cap))
		return -1;
	char conf[1024];
	snprintf(conf, sizeof(conf),
		 "sec = %s\n[server]\nkeytab = %s\n[nfs]\nlease_time = 10\n"
		 "callback_timeout_ms = %u\ncallback_retry_ms = 200\ncallback_retries = 1\n",
		 sec, kdc.keytab, callback_timeout_ms);
	return ferryd_start_export(&server, conf);
}

static inline int gss_server_down(void)
{
	int rc = ferryd_stop(&server);
	krb5_kdc_stop(&kdc);
	return rc == 0 ? 0 : -1;
}

#endif
