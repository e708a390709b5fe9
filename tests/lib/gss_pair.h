/* Two GSS-API contexts of the test realm (tests/lib/krb5_kdc.h) made in
 * memory, without a server between them: a user's initiator context with
 * nfs@localhost and the acceptor context from the server's keytab, as
 * RPCSEC_GSS asks for them (mutual authentication, integrity,
 * confidentiality).  For tests of the per-message work on both sides. */
#ifndef FERRY_TESTS_GSS_PAIR_H
#define FERRY_TESTS_GSS_PAIR_H

#include <gssapi/gssapi.h>
#include <stdint.h>

#include "lib/krb5_kdc.h"

struct gss_pair {
	gss_ctx_id_t initiator;
	gss_ctx_id_t acceptor;
	gss_name_t source; /* the client, as the acceptor knows it */
	OM_uint32 acceptor_flags;
};

/* Fails the test with GSS-API's own words for major/minor on an error. */
void gss_check(OM_uint32 major, OM_uint32 minor, const char *what);

/* Runs a GSS-API call and fails the test on an error; minor is read only
 * after the call has set it. */
#define GSS_OK(call, what)                                                                         \
	do {                                                                                       \
		OM_uint32 major_ = (call);                                                         \
		gss_check(major_, minor, what);                                                    \
	} while (0)

/* Runs the context establishment between USER and nfs@localhost until
 * both sides are complete; enctype, when not 0, is the only one the
 * initiator allows (the context's keys are then of it). */
void gss_pair_establish(struct krb5_kdc *kdc, const char *user, int32_t enctype,
			struct gss_pair *p);

void gss_pair_release(struct gss_pair *p);

#endif
