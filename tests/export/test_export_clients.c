/* Client entries with options of their own (exports(5)'s per-host
 * options): which entry a client address gets, and what its options
 * decide — access, squashing, source port, flavours — and the entry
 * kinds exports(5) brought: "*", host names and wildcards. */
#include "nfs4/nfs4_inproc.h"

#include <arpa/inet.h>
#include <netdb.h>

#include "export/export.h"

/* cfg's export 0 given entries with options (texts[i], opts[i]), or
 * without any (opts NULL), reloaded: the export serving it. */
static struct export *with_entries(struct inproc *ip, const char *const *texts,
				   const struct config_client_opts *opts, unsigned n)
{
	static struct ferry_config cfg;
	memcpy(&cfg, &ip->cfg, sizeof(cfg));
	struct config_export *ce = &cfg.exports[0];
	ce->nclients = n;
	ce->client_own_opts = 0;
	for (unsigned i = 0; i < n; i++) {
		snprintf(ce->clients[i], sizeof(ce->clients[i]), "%s", texts[i]);
		if (opts) {
			ce->client_opts[i] = opts[i];
			ce->client_own_opts |= UINT32_C(1) << i;
		}
	}
	char err[256] = "";
	if (exports_reload(&ip->nfs.exports, &cfg, err, sizeof(err)) != 0)
		fail_msg("reload: %s", err);
	for (unsigned i = 0; i < exports_slots_used(&ip->nfs.exports); i++) {
		struct export *ex = exports_at(&ip->nfs.exports, i);
		if (ex && strcmp(ex->pseudo, ce->pseudo) == 0)
			return ex;
	}
	fail_msg("no export at %s", ce->pseudo);
	return NULL;
}

static struct sockaddr_storage addr(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	}
	return ss;
}

static struct config_client_opts opts(bool ro, enum config_squash squash, uint32_t anonuid,
				      bool insecure, uint32_t sec)
{
	struct config_client_opts o;
	memset(&o, 0, sizeof(o));
	o.read_only = ro;
	o.squash = squash;
	o.anonuid = anonuid;
	o.anongid = 65534;
	o.insecure = insecure;
	o.sec = sec;
	o.xprtsec = CONFIG_XPRTSEC_DEFAULT;
	return o;
}

static struct rpc_cred sys_cred(uint32_t uid)
{
	struct rpc_cred rc;
	memset(&rc, 0, sizeof(rc));
	rc.flavor = RPC_AUTH_SYS;
	rc.uid = rc.gid = uid;
	return rc;
}

/* The uid a caller uid from text becomes on ex. */
static uint32_t uid_as(const struct export *ex, const char *text, uint32_t uid)
{
	struct sockaddr_storage a = addr(text, 700);
	struct rpc_cred rc = sys_cred(uid);
	struct backend_cred bc;
	export_cred(ex, &a, &rc, &bc);
	return bc.uid;
}

static bool allows(const struct export *ex, const char *text)
{
	struct sockaddr_storage a = addr(text, 700);
	return export_allows(ex, &a, NULL);
}

static bool read_only(const struct export *ex, const char *text)
{
	struct sockaddr_storage a = addr(text, 700);
	return export_read_only(ex, &a);
}

static void test_addresses_networks_and_everyone(void **state)
{
	struct inproc *ip = *state;
	static const char *const texts[] = {"127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8", "*"};
	const struct config_client_opts o[] = {
		opts(false, CONFIG_SQUASH_NONE, 65534, false, CONFIG_SEC_SYS),
		opts(false, CONFIG_SQUASH_ALL, 4321, false, CONFIG_SEC_SYS),
		opts(true, CONFIG_SQUASH_ROOT, 7, false, CONFIG_SEC_SYS),
		opts(true, CONFIG_SQUASH_ROOT, 65534, false, CONFIG_SEC_SYS),
		opts(true, CONFIG_SQUASH_ROOT, 65534, true, CONFIG_SEC_KRB5),
	};
	struct export *ex = with_entries(ip, texts, o, 5);

	assert_false(read_only(ex, "127.0.0.1"));
	assert_int_equal(uid_as(ex, "127.0.0.1", 0), 0);
	/* An IPv4-mapped IPv6 address is the IPv4 address. */
	assert_false(read_only(ex, "::ffff:127.0.0.1"));
	assert_int_equal(uid_as(ex, "::ffff:127.0.0.1", 0), 0);
	assert_false(read_only(ex, "::1"));
	assert_int_equal(uid_as(ex, "::1", 1000), 4321);
	assert_true(read_only(ex, "10.200.0.1"));
	assert_int_equal(uid_as(ex, "10.200.0.1", 0), 7);
	assert_int_equal(uid_as(ex, "10.200.0.1", 1000), 1000);
	assert_true(read_only(ex, "fd00::5"));
	/* Everyone else: "*", insecure, Kerberos only. */
	assert_true(allows(ex, "192.168.7.7"));
	assert_true(read_only(ex, "192.168.7.7"));
	struct sockaddr_storage other = addr("192.168.7.7", 40000);
	struct sockaddr_storage one_high = addr("127.0.0.1", 40000);
	assert_true(export_port_ok(ex, &other, RPC_AUTH_SYS));
	assert_false(export_port_ok(ex, &one_high, RPC_AUTH_SYS));
	assert_int_equal(export_sec_for(ex, &other), CONFIG_SEC_KRB5);
	struct rpc_cred rc = sys_cred(1000);
	assert_false(export_sec_ok(ex, &other, &rc));
	assert_true(export_sec_ok(ex, &one_high, &rc));
	/* The pseudo file system takes every flavour some client may use. */
	uint32_t pseudo = exports_pseudo_sec(&ip->nfs.exports);
	bool krb5 = false;
	for (; pseudo; pseudo >>= 4)
		krb5 |= (pseudo & 0xf) == CONFIG_SEC_KRB5;
	assert_true(krb5);

	char text[256];
	const struct export_client_list *cl = atomic_load(&ex->clients);
	export_options_text(ex, cl, 2, text, sizeof(text));
	assert_string_equal(text, "sync,no_wdelay,no_subtree_check,sec=sys,ro,secure,root_squash,"
				  "no_all_squash,anonuid=7,anongid=65534");
	export_options_text(ex, cl, 4, text, sizeof(text));
	assert_string_equal(text, "sync,no_wdelay,no_subtree_check,sec=krb5,ro,insecure,"
				  "root_squash,no_all_squash");
	export_options_text(ex, cl, 1, text, sizeof(text));
	assert_string_equal(text, "sync,no_wdelay,no_subtree_check,sec=sys,rw,secure,root_squash,"
				  "all_squash,anonuid=4321,anongid=65534");

	/* Without "*", an address no entry matches is not admitted. */
	ex = with_entries(ip, texts, o, 4);
	assert_false(allows(ex, "192.168.7.7"));
	assert_true(allows(ex, "10.0.0.1"));
	assert_false(allows(ex, "11.0.0.1"));
}

/* Entries without options of their own (an INI clients list) leave the
 * export's options to everyone they admit. */
static void test_entries_without_options_use_the_exports(void **state)
{
	struct inproc *ip = *state;
	static const char *const texts[] = {"127.0.0.1", "*"};
	struct export *ex = with_entries(ip, texts, NULL, 2);
	bool ro = atomic_load(&ex->read_only);
	assert_int_equal(read_only(ex, "127.0.0.1"), ro);
	assert_int_equal(read_only(ex, "10.0.0.1"), ro);
	assert_true(allows(ex, "10.0.0.1"));
}

/* A host name is the addresses it resolves to; a wildcard the client's
 * name by reverse lookup.  Both through /etc/hosts' localhost, which
 * every test machine has for 127.0.0.1. */
static void test_host_names_and_wildcards(void **state)
{
	struct inproc *ip = *state;
	char name[NI_MAXHOST];
	struct sockaddr_storage one = addr("127.0.0.1", 700);
	if (getnameinfo((struct sockaddr *)&one, sizeof(struct sockaddr_in), name, sizeof(name),
			NULL, 0, NI_NAMEREQD) != 0 ||
	    strcmp(name, "localhost") != 0)
		skip(); /* 127.0.0.1 is not localhost here */

	static const char *const by_name[] = {"localhost", "*"};
	const struct config_client_opts o[] = {
		opts(false, CONFIG_SQUASH_ROOT, 65534, false, CONFIG_SEC_SYS),
		opts(true, CONFIG_SQUASH_ROOT, 65534, false, CONFIG_SEC_SYS),
	};
	struct export *ex = with_entries(ip, by_name, o, 2);
	assert_false(read_only(ex, "127.0.0.1"));
	assert_true(read_only(ex, "127.0.0.2"));

	static const char *const wild[] = {"LOCAL*", "*"};
	ex = with_entries(ip, wild, o, 2);
	assert_false(read_only(ex, "127.0.0.1"));

	static const char *const other[] = {"nosuch*.invalid"};
	ex = with_entries(ip, other, o, 1);
	assert_false(allows(ex, "127.0.0.1"));
	static const char *const qmark[] = {"localhos?"};
	ex = with_entries(ip, qmark, o, 1);
	assert_true(allows(ex, "127.0.0.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses_networks_and_everyone, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_entries_without_options_use_the_exports,
						inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_host_names_and_wildcards, inproc_setup,
						inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
