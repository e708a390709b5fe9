/* A throwaway Kerberos realm, FERRY.TEST, for tests of RPCSEC_GSS: a real
 * MIT krb5kdc on 127.0.0.1 run by tests/lib/krb5_kdc.sh, which says what
 * the realm holds (service keys of nfs/localhost and host/localhost, users
 * alice and bob, who map to the local users daemon and bin).
 *
 * Everything of the realm lives in one directory under $TMPDIR, removed by
 * krb5_kdc_stop; should the test die first, a watchdog of the script stops
 * the KDC and removes it once the test process has gone. */
#ifndef FERRY_TESTS_KRB5_KDC_H
#define FERRY_TESTS_KRB5_KDC_H

#include <stddef.h>

struct rpc_gss_client;

struct krb5_kdc {
	char dir[256];	     /* the realm's directory; empty once stopped */
	char krb5_conf[300]; /* DIR/krb5.conf */
	char keytab[300];    /* DIR/server.keytab: nfs/localhost, host/localhost */
};

/* Starts a KDC in a fresh directory under $TMPDIR and sets KRB5_CONFIG,
 * KRB5_KDC_PROFILE and KRB5RCACHEDIR (the acceptor's replay cache, inside
 * the directory) in this process's environment, so that the test's client
 * and any ferryd it starts use the realm.  0, or -1 with a message on
 * stderr (also when the Kerberos programs are not installed). */
int krb5_kdc_start(struct krb5_kdc *k);

/* Gets USER's ticket from its keytab into a credential cache file and
 * writes its path to ccache (use it as KRB5CCNAME or "FILE:" path).
 * Returns ccache, or NULL with a message on stderr. */
const char *krb5_kdc_kinit(struct krb5_kdc *k, const char *user, char *ccache, size_t len);

/* The keytab of a user principal ("alice", "bob"): DIR/USER.keytab. */
void krb5_kdc_client_keytab(const struct krb5_kdc *k, const char *user, char *out, size_t len);

/* An RPCSEC_GSS initiator for nfs@localhost as USER, from its keytab
 * (rpc/gss/gss_client.h: free it with rpc_gss_client_free); NULL with
 * the reason on stderr. */
struct rpc_gss_client *krb5_kdc_initiator(const struct krb5_kdc *k, const char *user);

/* Stops the KDC and removes its directory; the environment variables
 * krb5_kdc_start set are unset if they still name this realm.  Does
 * nothing on a stopped one. */
void krb5_kdc_stop(struct krb5_kdc *k);

#endif
