#include "lib/gss_pair.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

void gss_check(OM_uint32 major, OM_uint32 minor, const char *what)
{
	if (!GSS_ERROR(major))
		return;
	char text[1024] = "";
	size_t used = 0;
	/* Both the mechanism-independent status and the mechanism's. */
	const struct {
		OM_uint32 code;
		int type;
	} parts[] = {{major, GSS_C_GSS_CODE}, {minor, GSS_C_MECH_CODE}};
	for (size_t i = 0; i < 2; i++) {
		OM_uint32 ctx = 0, min;
		do {
			gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
			if (GSS_ERROR(gss_display_status(&min, parts[i].code, parts[i].type,
							 GSS_C_NO_OID, &ctx, &msg)))
				break;
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%.*s",
						 used ? "; " : "", (int)msg.length,
						 (const char *)msg.value);
			if (used >= sizeof(text))
				used = sizeof(text) - 1; /* truncated */
			gss_release_buffer(&min, &msg);
		} while (ctx != 0 && used < sizeof(text) - 1);
	}
	fail_msg("%s: %s", what, text);
}

static gss_OID_set_desc krb5_mech_set(void)
{
	gss_OID_set_desc set = {1, (gss_OID)gss_mech_krb5};
	return set;
}

/* USER's initiator credential, from its keytab into a cache of its own
 * the library fills as it needs: what a test client does with no kinit. */
static gss_cred_id_t initiator_cred(struct krb5_kdc *kdc, const char *user)
{
	char keytab[300], ccache[320], principal[64];
	krb5_kdc_client_keytab(kdc, user, keytab, sizeof(keytab));
	snprintf(ccache, sizeof(ccache), "FILE:%s/%s.gss.ccache", kdc->dir, user);
	snprintf(principal, sizeof(principal), "%s@FERRY.TEST", user);

	OM_uint32 minor;
	gss_name_t name;
	gss_buffer_desc name_buf = {strlen(principal), principal};
	GSS_OK(gss_import_name(&minor, &name_buf, GSS_KRB5_NT_PRINCIPAL_NAME, &name),
	       "gss_import_name (initiator)");
	gss_key_value_element_desc elements[] = {
		{"client_keytab", keytab},
		{"ccache", ccache},
	};
	gss_key_value_set_desc store = {2, elements};
	gss_OID_set_desc mechs = krb5_mech_set();
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	GSS_OK(gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store,
				     &cred, NULL, NULL),
	       "gss_acquire_cred_from (initiator)");
	gss_release_name(&minor, &name);
	return cred;
}

/* The server's acceptor credential: any key of its keytab, as a server
 * that does not pin its own name. */
static gss_cred_id_t acceptor_cred(struct krb5_kdc *kdc)
{
	OM_uint32 minor;
	gss_key_value_element_desc elements[] = {{"keytab", kdc->keytab}};
	gss_key_value_set_desc store = {1, elements};
	gss_OID_set_desc mechs = krb5_mech_set();
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	GSS_OK(gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
				     &store, &cred, NULL, NULL),
	       "gss_acquire_cred_from (acceptor)");
	return cred;
}

/* Runs the context establishment between USER and nfs@localhost, tokens
 * passed in memory, until both sides are complete. */
void gss_pair_establish(struct krb5_kdc *kdc, const char *user, int32_t enctype,
			struct gss_pair *p)
{
	OM_uint32 minor;
	gss_cred_id_t icred = initiator_cred(kdc, user), acred = acceptor_cred(kdc);
	if (enctype) {
		krb5_enctype only = enctype;
		GSS_OK(gss_krb5_set_allowable_enctypes(&minor, icred, 1, &only),
		       "gss_krb5_set_allowable_enctypes");
	}
	gss_name_t target;
	gss_buffer_desc target_buf = {strlen("nfs@localhost"), "nfs@localhost"};
	GSS_OK(gss_import_name(&minor, &target_buf, GSS_C_NT_HOSTBASED_SERVICE, &target),
	       "gss_import_name (target)");

	memset(p, 0, sizeof(*p));
	p->initiator = GSS_C_NO_CONTEXT;
	p->acceptor = GSS_C_NO_CONTEXT;
	/* What RPCSEC_GSS asks for: its own sequence window does replay
	 * detection. */
	OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
	gss_buffer_desc to_acceptor = GSS_C_EMPTY_BUFFER, to_initiator = GSS_C_EMPTY_BUFFER;
	OM_uint32 imajor = GSS_S_CONTINUE_NEEDED, amajor = GSS_S_CONTINUE_NEEDED;
	for (int round = 0; round < 5; round++) {
		if (imajor == GSS_S_CONTINUE_NEEDED) {
			imajor = gss_init_sec_context(&minor, icred, &p->initiator, target,
						      (gss_OID)gss_mech_krb5, flags, 0,
						      GSS_C_NO_CHANNEL_BINDINGS, &to_initiator,
						      NULL, &to_acceptor, NULL, NULL);
			gss_check(imajor, minor, "gss_init_sec_context");
			gss_release_buffer(&minor, &to_initiator);
		}
		if (to_acceptor.length > 0) {
			amajor = gss_accept_sec_context(&minor, &p->acceptor, acred, &to_acceptor,
							GSS_C_NO_CHANNEL_BINDINGS, &p->source, NULL,
							&to_initiator, &p->acceptor_flags, NULL,
							NULL);
			gss_check(amajor, minor, "gss_accept_sec_context");
			gss_release_buffer(&minor, &to_acceptor);
		}
		if (imajor == GSS_S_COMPLETE && amajor == GSS_S_COMPLETE)
			break;
	}
	assert_int_equal(imajor, GSS_S_COMPLETE);
	assert_int_equal(amajor, GSS_S_COMPLETE);
	assert_int_equal(to_initiator.length, 0);
	assert_true(p->acceptor_flags & GSS_C_INTEG_FLAG);
	assert_true(p->acceptor_flags & GSS_C_CONF_FLAG);
	gss_release_name(&minor, &target);
	gss_release_cred(&minor, &icred);
	gss_release_cred(&minor, &acred);
}

void gss_pair_release(struct gss_pair *p)
{
	OM_uint32 minor;
	gss_delete_sec_context(&minor, &p->initiator, GSS_C_NO_BUFFER);
	gss_delete_sec_context(&minor, &p->acceptor, GSS_C_NO_BUFFER);
	gss_release_name(&minor, &p->source);
}

