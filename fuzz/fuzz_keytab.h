/* The acceptor's keytab of the RPCSEC_GSS fuzz targets: one random
 * aes256 key for nfs/localhost@FERRY.FUZZ in a memory keytab, made once.
 * Static, all of it: a memory keytab goes with its last handle, and what
 * it holds stays reachable (no leak report at exit). */
#ifndef FERRY_FUZZ_KEYTAB_H
#define FERRY_FUZZ_KEYTAB_H

#include <krb5/krb5.h>

#include "fuzz_codec.h"

#define FUZZ_KEYTAB "MEMORY:ferry-fuzz-gss"

static inline const char *fuzz_keytab(void)
{
	static krb5_context k;
	static krb5_principal p;
	static krb5_keytab kt;
	static krb5_keyblock key;
	if (!k) {
		CHECK(krb5_init_context(&k) == 0);
		CHECK(krb5_parse_name(k, "nfs/localhost@FERRY.FUZZ", &p) == 0);
		CHECK(krb5_c_make_random_key(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &key) == 0);
		CHECK(krb5_kt_resolve(k, FUZZ_KEYTAB, &kt) == 0);
		krb5_keytab_entry e = {.principal = p, .vno = 1, .key = key};
		CHECK(krb5_kt_add_entry(k, kt, &e) == 0);
	}
	return FUZZ_KEYTAB;
}

#endif
