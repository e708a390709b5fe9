#include "core/state_dir.h"
#include "export/export.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netdb.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "state/state.h"

/* FNV-1a: ids derived from paths must be the same at every start. */
static uint32_t path_id(const char *salt, const char *path)
{
	uint32_t h = 2166136261u;
	for (const char *p = salt; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (const char *p = path; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h ? h : 1;
}

static bool host_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* A client entry: an address or CIDR prefix, a TLS client certificate's
 * identity ("cert:NAME", "sha256:HEX"; matched by its text), "*", a host
 * name or a name pattern with * and ? (exports(5)'s wildcards). */
static int parse_cidr(const char *text, struct export_cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(text, "cert:", 5) == 0 || strncmp(text, "sha256:", 7) == 0) {
		out->kind = EXPORT_MATCH_IDENTITY;
		size_t hex = 0;
		for (const char *p = text + 7; text[0] == 's' && *p; p++) {
			if (*p != ':' && !isxdigit((unsigned char)*p))
				return -EINVAL;
			hex += *p != ':';
		}
		if (text[0] == 's' ? hex != 64 : !text[5])
			return -EINVAL;
		return 0;
	}
	if (strcmp(text, "*") == 0) {
		out->kind = EXPORT_MATCH_ANYONE;
		return 0;
	}
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, n);
	addr[n] = '\0';
	out->kind = EXPORT_MATCH_PREFIX;
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else if (!slash && n > 0 && n < 254 && strchr(text, ':') == NULL) {
		/* A name: letters, digits, '.', '-', '_', and for a pattern
		 * '*' and '?'. */
		bool wild = false;
		for (const char *p = text; *p; p++) {
			if (*p == '*' || *p == '?')
				wild = true;
			else if (!host_name_char(*p))
				return -EINVAL;
		}
		out->kind = wild ? EXPORT_MATCH_WILDCARD : EXPORT_MATCH_HOST;
		return 0;
	} else {
		return -EINVAL;
	}
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p < 0 || (unsigned long)p > out->prefix)
			return -EINVAL;
		out->prefix = (unsigned)p;
	}
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* A certificate entry's name as rpc_tls_peer_matches takes it. */
static const char *identity_of(const char *text)
{
	return strncmp(text, "cert:", 5) == 0 ? text + 5 : text;
}

/* A host name's addresses into out (none when it does not resolve): 0,
 * or getaddrinfo's error. */
static int host_resolve(const char *name, struct export_host_addrs *out)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	memset(out, 0, sizeof(*out));
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0)
		return rc;
	for (struct addrinfo *ai = res; ai && out->n < EXPORT_HOST_ADDRS; ai = ai->ai_next) {
		int family = ai->ai_family;
		const void *src = NULL;
		if (family == AF_INET)
			src = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (family == AF_INET6)
			src = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		size_t len = family == AF_INET ? 4 : 16;
		bool dup = !src;
		for (unsigned i = 0; i < out->n && !dup; i++)
			dup = out->a[i].family == family && memcmp(out->a[i].addr, src, len) == 0;
		if (dup)
			continue;
		out->a[out->n].family = family;
		memcpy(out->a[out->n].addr, src, len);
		out->n++;
	}
	freeaddrinfo(res);
	return 0;
}

/* Clients' names by reverse lookup, for wildcard entries: each looked up
 * once a minute at most (a lookup blocks the thread that serves the
 * call), and kept only when the name leads back to the address, so that
 * whoever controls a reverse zone cannot name their host into an
 * export. */
enum { NAME_CACHE_SLOTS = 64, NAME_CACHE_TTL_NS = 60ull * 1000000000ull };

static struct {
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 11a */
	unsigned next;
	struct {
		int family;
		uint8_t addr[16];
		uint64_t until_ns;
		char name[NI_MAXHOST]; /* "" : none that leads back */
	} v[NAME_CACHE_SLOTS];
} name_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The confirmed name of the client at (family, a), lowercase, into out;
 * false when it has none. */
static bool client_name(int family, const uint8_t *a, char *out, size_t outlen)
{
	size_t len = family == AF_INET ? 4 : 16;
	uint64_t now = now_ns();
	pthread_mutex_lock(&name_cache.lock);
	for (unsigned i = 0; i < NAME_CACHE_SLOTS; i++) {
		if (name_cache.v[i].family == family && memcmp(name_cache.v[i].addr, a, len) == 0 &&
		    name_cache.v[i].until_ns > now) {
			snprintf(out, outlen, "%s", name_cache.v[i].name);
			pthread_mutex_unlock(&name_cache.lock);
			return out[0] != '\0';
		}
	}
	pthread_mutex_unlock(&name_cache.lock);

	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a, 16);
		sl = sizeof(*in6);
	}
	char name[NI_MAXHOST] = "";
	if (getnameinfo((struct sockaddr *)&ss, sl, name, sizeof(name), NULL, 0, NI_NAMEREQD) == 0) {
		struct export_host_addrs back;
		bool confirmed = false;
		(void)host_resolve(name, &back); /* none when it does not resolve */
		for (unsigned i = 0; i < back.n && !confirmed; i++)
			confirmed = back.a[i].family == family && memcmp(back.a[i].addr, a, len) == 0;
		if (!confirmed)
			name[0] = '\0';
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	pthread_mutex_lock(&name_cache.lock);
	unsigned slot = name_cache.next++ % NAME_CACHE_SLOTS;
	name_cache.v[slot].family = family;
	memcpy(name_cache.v[slot].addr, a, len);
	name_cache.v[slot].until_ns = now + NAME_CACHE_TTL_NS;
	snprintf(name_cache.v[slot].name, sizeof(name_cache.v[slot].name), "%s", name);
	pthread_mutex_unlock(&name_cache.lock);
	snprintf(out, outlen, "%s", name);
	return name[0] != '\0';
}

/* The client's address as entries compare it: an IPv4-mapped IPv6
 * address as the IPv4 one.  The family, or 0 for another kind. */
static int client_addr(const struct sockaddr_storage *addr, uint8_t a[16])
{
	if (addr->ss_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)addr)->sin_addr, 4);
		return AF_INET;
	}
	if (addr->ss_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memcpy(a, in6->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(a, in6->s6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

/* Whether entry k of cl matches the client at (family, a) with peer's
 * certificate. */
static bool entry_matches(const struct export_client_list *cl, unsigned k, int family,
			  const uint8_t *a, const struct rpc_tls_peer *peer)
{
	const struct export_cidr *v = &cl->v[k];
	switch (v->kind) {
	case EXPORT_MATCH_PREFIX:
		return family && v->family == family && prefix_match(v->addr, a, v->prefix);
	case EXPORT_MATCH_IDENTITY:
		return rpc_tls_peer_matches(peer, identity_of(cl->text[k]));
	case EXPORT_MATCH_ANYONE:
		return true;
	case EXPORT_MATCH_HOST:
		for (unsigned i = 0; family && i < cl->hosts[k].n; i++)
			if (cl->hosts[k].a[i].family == family &&
			    memcmp(cl->hosts[k].a[i].addr, a, family == AF_INET ? 4 : 16) == 0)
				return true;
		return false;
	case EXPORT_MATCH_WILDCARD: {
		char name[NI_MAXHOST];
		return family && client_name(family, a, name, sizeof(name)) &&
		       fnmatch(cl->text[k], name, FNM_CASEFOLD) == 0;
	}
	}
	return false;
}

bool export_allows(const struct export *ex, const struct sockaddr_storage *addr,
			const struct rpc_tls_peer *peer)
{
	const struct export_client_list *cl =
		atomic_load_explicit(&((struct export *)ex)->clients, memory_order_acquire);
	if (!cl || cl->n == 0)
		return true;
	uint8_t a[16];
	int family = client_addr(addr, a);
	for (unsigned i = 0; i < cl->n; i++)
		if (entry_matches(cl, i, family, a, peer))
			return true;
	return false;
}

static struct export_opts export_own_opts(const struct export *ex)
{
	struct export *e = (struct export *)ex;
	return (struct export_opts){
		.read_only = atomic_load_explicit(&e->read_only, memory_order_relaxed),
		.insecure = atomic_load_explicit(&e->insecure, memory_order_relaxed),
		.squash = atomic_load_explicit(&e->squash, memory_order_relaxed),
		.anonuid = atomic_load_explicit(&e->anonuid, memory_order_relaxed),
		.anongid = atomic_load_explicit(&e->anongid, memory_order_relaxed),
		.sec = atomic_load_explicit(&e->sec, memory_order_relaxed),
		.xprtsec = atomic_load_explicit(&e->xprtsec, memory_order_relaxed),
	};
}

void export_opts_of(const struct export *ex, const struct sockaddr_storage *addr,
		    struct export_opts *out)
{
	const struct export_client_list *cl =
		atomic_load_explicit(&((struct export *)ex)->clients, memory_order_acquire);
	if (cl && cl->own && addr) {
		uint8_t a[16];
		int family = client_addr(addr, a);
		/* Entries with options of their own are host patterns (an
		 * exports file's), never certificates: no peer needed. */
		for (unsigned i = 0; i < cl->n; i++) {
			if (cl->v[i].kind == EXPORT_MATCH_IDENTITY || !entry_matches(cl, i, family, a, NULL))
				continue;
			if (cl->own & UINT32_C(1) << i) {
				*out = cl->opts[i];
				return;
			}
			break;
		}
	}
	*out = export_own_opts(ex);
}

/* A packed list of words ("krb5p:sys"), name() naming each. */
static void packed_text(uint32_t packed, const char *(*name)(unsigned), char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (; packed && used < outlen; packed >>= 4)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ":" : "",
					 name(packed & 0xf));
}

static const char *sec_word(unsigned k)
{
	return config_sec_name((enum config_sec)k);
}

static const char *xprtsec_word(unsigned k)
{
	return config_xprtsec_name((enum config_xprtsec)k);
}

int export_options_text(const struct export *ex, const struct export_client_list *cl, int k,
			char *out, size_t outlen)
{
	struct export_opts o = export_own_opts(ex);
	if (cl && k >= 0 && (unsigned)k < cl->n && (cl->own & UINT32_C(1) << k))
		o = cl->opts[k];
	struct export *e = (struct export *)ex;
	bool async = atomic_load_explicit(&e->async, memory_order_relaxed);
	bool insecure_locks = atomic_load_explicit(&e->insecure_locks, memory_order_relaxed);
	char sec[64], xprtsec[32], anon[48] = "";
	packed_text(o.sec, sec_word, sec, sizeof(sec));
	packed_text(o.xprtsec, xprtsec_word, xprtsec, sizeof(xprtsec));
	/* As exportfs -v: anonymous ids only when not the default. */
	if (o.anonuid != 65534 || o.anongid != 65534)
		snprintf(anon, sizeof(anon), ",anonuid=%u,anongid=%u", o.anonuid, o.anongid);
	/* Every option Ferry applies, knfsd's words and order; Ferry never
	 * delays writes (no_wdelay) nor checks subtrees. */
	return snprintf(out, outlen, "%s,no_wdelay,no_subtree_check,%ssec=%s,%s,%s,%s%s%s%s%s",
			async ? "async" : "sync", cl && cl->fsid_root ? "fsid=0," : "", sec,
			o.read_only ? "ro" : "rw", o.insecure ? "insecure" : "secure",
			o.squash == EXPORT_SQUASH_ALL	 ? "root_squash,all_squash"
			: o.squash == EXPORT_SQUASH_NONE ? "no_root_squash,no_all_squash"
							 : "root_squash,no_all_squash",
			anon, insecure_locks ? ",insecure_locks" : "",
			o.xprtsec != CONFIG_XPRTSEC_DEFAULT ? ",xprtsec=" : "",
			o.xprtsec != CONFIG_XPRTSEC_DEFAULT ? xprtsec : "");
}

bool export_read_only(const struct export *ex, const struct sockaddr_storage *addr)
{
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	return o.read_only;
}

uint32_t export_sec_for(const struct export *ex, const struct sockaddr_storage *addr)
{
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	return o.sec;
}

bool exports_admit_any(const struct exports *exps, const struct sockaddr_storage *addr,
			    const struct rpc_tls_peer *peer)
{
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		const struct export *ex = exports_at(exps, i);
		if (ex && export_allows(ex, addr, peer))
			return true;
	}
	return false;
}

bool export_port_ok(const struct export *ex, const struct sockaddr_storage *addr,
			 uint32_t flavor)
{
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	if (o.insecure)
		return true;
	if (flavor != RPC_AUTH_NONE && flavor != RPC_AUTH_SYS)
		return true;
	uint16_t port;
	if (addr->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	else if (addr->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	else
		return false;
	return port < 1024;
}

enum config_sec export_cred_sec(const struct rpc_cred *rc)
{
	switch (rc->flavor) {
	case RPC_AUTH_NONE:
		return CONFIG_SEC_NONE;
	case RPC_AUTH_SYS:
		return CONFIG_SEC_SYS;
	case RPC_AUTH_GSS:
		if (rc->gss_service == RPC_CRED_GSS_INTEGRITY)
			return CONFIG_SEC_KRB5I;
		if (rc->gss_service == RPC_CRED_GSS_PRIVACY)
			return CONFIG_SEC_KRB5P;
		return CONFIG_SEC_KRB5;
	default:
		return CONFIG_SEC_END;
	}
}

static bool sec_lists(uint32_t sec, enum config_sec want)
{
	for (; sec; sec >>= 4)
		if ((sec & 0xf) == (uint32_t)want)
			return true;
	return false;
}

/* The transport, as knfsd judges it: each of none, tls and mtls admits
 * exactly that kind of connection (config_xprtsec's values are enum
 * rpc_xprtsec's). */
static bool xprtsec_ok(uint32_t xprtsec, const struct rpc_cred *rc)
{
	uint32_t have = rc->xprtsec ? rc->xprtsec : RPC_XPRTSEC_NONE;
	for (; xprtsec; xprtsec >>= 4)
		if ((xprtsec & 0xf) == have)
			return true;
	return false;
}

bool export_sec_ok(const struct export *ex, const struct sockaddr_storage *addr,
		   const struct rpc_cred *rc)
{
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	return sec_lists(o.sec, export_cred_sec(rc)) && xprtsec_ok(o.xprtsec, rc);
}

bool export_lock_sec_ok(const struct export *ex, const struct sockaddr_storage *addr,
			const struct rpc_cred *rc)
{
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	enum config_sec have = export_cred_sec(rc);
	bool unauthenticated = have == CONFIG_SEC_SYS || have == CONFIG_SEC_NONE;
	return (sec_lists(o.sec, have) || (unauthenticated && config_sec_has_krb5(o.sec))) &&
	       xprtsec_ok(o.xprtsec, rc);
}

uint32_t exports_pseudo_sec(const struct exports *exps)
{
	uint32_t out = 0;
	unsigned n = 0;
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		const struct export *ex = exports_at(exps, i);
		if (!ex)
			continue;
		uint32_t sec = atomic_load_explicit(&((struct export *)ex)->sec, memory_order_relaxed);
		for (; sec && n < 8; sec >>= 4)
			if (!sec_lists(out, (enum config_sec)(sec & 0xf)))
				out |= (sec & 0xf) << (4 * n++);
		/* Hosts with flavours of their own (exports(5)) walk the
		 * pseudo file system with those. */
		const struct export_client_list *cl =
			atomic_load_explicit(&((struct export *)ex)->clients, memory_order_acquire);
		for (unsigned k = 0; cl && k < cl->n; k++) {
			if (!(cl->own & UINT32_C(1) << k))
				continue;
			for (sec = cl->opts[k].sec; sec && n < 8; sec >>= 4)
				if (!sec_lists(out, (enum config_sec)(sec & 0xf)))
					out |= (sec & 0xf) << (4 * n++);
		}
	}
	return out ? out : CONFIG_SEC_DEFAULT;
}

void export_cred(const struct export *ex, const struct sockaddr_storage *addr,
		 const struct rpc_cred *rc, struct backend_cred *out)
{
	memset(out, 0, sizeof(*out));
	struct export_opts o;
	export_opts_of(ex, addr, &o);
	enum export_squash squash = o.squash;
	uint32_t anonuid = o.anonuid, anongid = o.anongid;
	bool anonymous = rc->flavor == RPC_AUTH_NONE || squash == EXPORT_SQUASH_ALL;
	if (anonymous) {
		out->uid = anonuid;
		out->gid = anongid;
		return;
	}
	out->uid = rc->uid;
	out->gid = rc->gid;
	out->ngids = rc->ngids > BACKEND_MAX_GIDS ? BACKEND_MAX_GIDS : rc->ngids;
	memcpy(out->gids, rc->gids, out->ngids * sizeof(out->gids[0]));
	if (squash == EXPORT_SQUASH_ROOT) {
		if (out->uid == 0)
			out->uid = anonuid;
		if (out->gid == 0)
			out->gid = anongid;
		for (uint32_t i = 0; i < out->ngids; i++)
			if (out->gids[i] == 0)
				out->gids[i] = anongid;
	}
}

/* The handle-signing secret survives restarts, or old handles would all
 * become BADHANDLE.  Whoever reads it can forge a handle for any file, and
 * whoever replaces it can make the server accept handles of their making:
 * it must be the server's own file, 0600.  Without a state directory (a
 * server built in process, never by ferryd) it is random per run:
 * "/fh.key" is nobody's to write. */
static int load_fh_key(const char *state_dir, struct siphash_key *key)
{
	if (!state_dir[0]) {
		uint8_t raw[16];
		if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
			return -EIO;
		memcpy(&key->k0, raw, 8);
		memcpy(&key->k1, raw + 8, 8);
		return 0;
	}
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/fh.key", state_dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		uid_t me = geteuid();
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != me ||
		    (st.st_mode & 07777) != 0600) {
			log_error("%s must be a file owned by uid %u (the server's) with mode 0600; it "
				  "has uid %u, mode %04o; fix with: chown %u %s && chmod 0600 %s",
				  path, (unsigned)me, (unsigned)st.st_uid,
				  (unsigned)(st.st_mode & 07777), (unsigned)me, path, path);
			close(fd);
			return -EPERM;
		}
		uint8_t raw[16];
		ssize_t n = read(fd, raw, sizeof(raw));
		close(fd);
		if (n != sizeof(raw)) {
			log_error("%s is damaged (expected 16 bytes); remove it to make a new one "
				  "(clients will see stale handles)",
				  path);
			return -EINVAL;
		}
		memcpy(&key->k0, raw, 8);
		memcpy(&key->k1, raw + 8, 8);
		return 0;
	}
	if (errno == ELOOP) {
		log_error("%s is a symbolic link; the key must be a file of its own", path);
		return -ELOOP;
	}
	if (errno != ENOENT) {
		log_error("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	uint8_t raw[16];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -EIO;
	int rc = state_file_replace(path, raw, sizeof(raw), 0600);
	if (rc) {
		log_error("cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	memcpy(&key->k0, raw, 8);
	memcpy(&key->k1, raw + 8, 8);
	log_info("created file handle key %s", path);
	return 0;
}

static struct pseudo_node *node_new(struct pseudo_node *parent, const char *name,
					 size_t len, const char *full_path)
{
	struct pseudo_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "%.*s", (int)len, name);
	n->id = path_id("pseudo:", full_path);
	/* Pseudo fileids live in their own file system (fsid), so any value
	 * unique within the tree will do. */
	n->fileid = n->id | (1ull << 32);
	n->parent = parent;
	if (parent) {
		/* Last among its siblings: the others keep their positions,
		 * which READDIR's cookies are. */
		struct pseudo_node *_Atomic *link = &parent->children;
		while (atomic_load_explicit(link, memory_order_acquire))
			link = &atomic_load_explicit(link, memory_order_acquire)->sibling;
		atomic_store_explicit(link, n, memory_order_release);
	}
	return n;
}

/* A child by name, hidden or not. */
static struct pseudo_node *pseudo_child(struct pseudo_node *dir, const char *name)
{
	for (struct pseudo_node *c = dir->children; c; c = c->sibling)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

struct pseudo_node *pseudo_lookup(struct pseudo_node *dir, const char *name)
{
	struct pseudo_node *c = pseudo_child(dir, name);
	return c && pseudo_visible(c) ? c : NULL;
}

/* The node of a pseudo path, made (hidden) where it is missing; NULL when
 * out of memory.  Only a reload calls it. */
static struct pseudo_node *pseudo_make(struct exports *exps, const char *pseudo)
{
	struct pseudo_node *node = exps->root;
	const char *p = pseudo + 1;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char name[256];
		if (len >= sizeof(name))
			return NULL;
		memcpy(name, p, len);
		name[len] = '\0';
		struct pseudo_node *child = pseudo_child(node, name);
		if (!child) {
			char full[CONFIG_PATH_MAX];
			snprintf(full, sizeof(full), "%.*s", (int)(p + len - pseudo), pseudo);
			child = node_new(node, p, len, full);
			if (!child)
				return NULL;
		}
		node = child;
		p += len;
		if (*p == '/')
			p++;
	}
	return node;
}

/* Mounts ex at node, which the reload's checks found free: the export
 * first, then the counts that make the node and its parents visible. */
static void pseudo_attach(struct export *ex, struct pseudo_node *node)
{
	ex->mount_point = node;
	atomic_store_explicit(&node->export, ex, memory_order_release);
	for (struct pseudo_node *n = node; n; n = n->parent)
		atomic_fetch_add_explicit(&n->live, 1, memory_order_acq_rel);
}

static void pseudo_detach(struct export *ex)
{
	struct pseudo_node *node = ex->mount_point;
	for (struct pseudo_node *n = node; n; n = n->parent)
		atomic_fetch_sub_explicit(&n->live, 1, memory_order_acq_rel);
	atomic_store_explicit(&node->export, NULL, memory_order_release);
}

static void pseudo_free(struct pseudo_node *n)
{
	while (n && n->children) {
		struct pseudo_node *c = n->children;
		n->children = c->sibling;
		pseudo_free(c);
	}
	free(n);
}

static struct pseudo_node *pseudo_find_in(struct pseudo_node *n, uint32_t id)
{
	if (n->id == id)
		return n;
	for (struct pseudo_node *c = n->children; c; c = c->sibling) {
		struct pseudo_node *f = pseudo_find_in(c, id);
		if (f)
			return f;
	}
	return NULL;
}

struct pseudo_node *pseudo_find(struct exports *exps, uint32_t id)
{
	struct pseudo_node *n = pseudo_find_in(exps->root, id);
	return n && pseudo_visible(n) ? n : NULL;
}

struct export *exports_find(struct exports *exps, uint32_t id)
{
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		struct export *ex = exports_at(exps, i);
		if (ex && ex->id == id)
			return ex;
	}
	return NULL;
}

/* Sets the hook of kind on ex, unless it has it or its back end has none. */
static void export_watch_one(struct exports *exps, struct export *ex, enum export_watch_kind kind)
{
	const struct exports_watching *w0 = &exps->watching[kind];
	bool has_hook = kind == EXPORT_WATCH_LEASE_BREAKS ? ex->ops->lease_notify != NULL
							: ex->ops->dir_notify != NULL;
	if (!w0->hook || !has_hook || ex->watch[kind])
		return;
	struct export_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		log_warn("nfs4: out of memory: export %s: %s", ex->pseudo, w0->lost);
		return;
	}
	w->owner = w0->owner;
	w->export_id = ex->id;
	ex->watch[kind] = w;
	w0->hook(ex, w);
}

void exports_watch(struct exports *exps, void *owner,
			enum export_watch_kind kind, export_watch_hook_fn *hook, const char *lost)
{
	exps->watching[kind] = (struct exports_watching){owner, hook, lost};
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		struct export *ex = exports_at(exps, i);
		if (ex)
			export_watch_one(exps, ex, kind);
	}
}

void exports_unwatch(struct exports *exps, enum export_watch_kind kind,
			  export_watch_hook_fn *hook)
{
	exps->watching[kind] = (struct exports_watching){0};
	/* Gone exports too: their back ends are still open. */
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		struct export *ex = exps->list[i];
		if (!ex->watch[kind])
			continue;
		hook(ex, NULL);
		free(ex->watch[kind]);
		ex->watch[kind] = NULL;
	}
}

static enum export_squash squash_of(enum config_squash s)
{
	return s == CONFIG_SQUASH_ALL ? EXPORT_SQUASH_ALL
	       : s == CONFIG_SQUASH_NONE ? EXPORT_SQUASH_NONE
					 : EXPORT_SQUASH_ROOT;
}

/* A configured export's client list, parsed, with each entry's own
 * options and host names' addresses; 0 or -EINVAL / -ENOMEM with a
 * message. */
static int export_options_check(const struct config_export *ce, struct export_client_list **out,
				char *err, size_t errlen)
{
	struct export_client_list *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned k = 0; k < ce->nclients; k++) {
		if (parse_cidr(ce->clients[k], &cl->v[k]) != 0) {
			snprintf(err, errlen,
				 "export %s: '%s' is not an address, a CIDR prefix, *, a host "
				 "name or pattern, cert:NAME or sha256:<64 hex digits>",
				 ce->pseudo, ce->clients[k]);
			free(cl);
			return -EINVAL;
		}
		snprintf(cl->text[k], sizeof(cl->text[k]), "%s", ce->clients[k]);
		/* A name that does not resolve matches no one, and says so,
		 * as knfsd's exportfs warns and goes on: a DNS outage must
		 * not stop the server. */
		int rc = cl->v[k].kind == EXPORT_MATCH_HOST ? host_resolve(ce->clients[k], &cl->hosts[k])
							    : 0;
		if (rc)
			log_warn("export %s: host %s: %s; it matches no client until a reload "
				 "finds it",
				 ce->pseudo, ce->clients[k], gai_strerror(rc));
		if (!(ce->client_own_opts & UINT32_C(1) << k))
			continue;
		/* Field by field into the calloc'd entry: its padding stays
		 * zero, which client_list_same's byte comparison needs. */
		const struct config_client_opts *o = &ce->client_opts[k];
		struct export_opts *eo = &cl->opts[k];
		cl->own |= UINT32_C(1) << k;
		eo->read_only = o->read_only;
		eo->insecure = o->insecure;
		eo->squash = squash_of(o->squash);
		eo->anonuid = o->anonuid;
		eo->anongid = o->anongid;
		eo->sec = o->sec;
		eo->xprtsec = o->xprtsec ? o->xprtsec : CONFIG_XPRTSEC_DEFAULT;
	}
	cl->n = ce->nclients;
	cl->from_exports_file = ce->exports_line != 0;
	cl->fsid_root = ce->fsid_root;
	*out = cl;
	return 0;
}

/* Both lists come from export_options_check (calloc'd: padding is zero),
 * so bytes compare. */
static bool client_list_same(const struct export_client_list *a, const struct export_client_list *b)
{
	return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof(a->v[0])) == 0 &&
	       memcmp(a->text, b->text, a->n * sizeof(a->text[0])) == 0 && a->own == b->own &&
	       memcmp(a->opts, b->opts, sizeof(a->opts)) == 0 &&
	       memcmp(a->hosts, b->hosts, sizeof(a->hosts)) == 0 &&
	       a->from_exports_file == b->from_exports_file && a->fsid_root == b->fsid_root;
}

/* Publishes checked options; takes cl.  The export keeps the client list it
 * replaces (a request may be reading it) until it closes, so a list equal
 * to the current one is dropped instead: reloads that leave the clients as
 * they were cost nothing that stays. */
static void export_options_apply(struct export *ex, const struct config_export *ce,
				 struct export_client_list *cl)
{
	ex->read_only = ce->read_only;
	ex->insecure = ce->insecure;
	ex->sec = ce->sec;
	ex->xprtsec = ce->xprtsec ? ce->xprtsec : CONFIG_XPRTSEC_DEFAULT;
	ex->async = ce->async;
	ex->no_nfs3 = ce->no_nfs3;
	ex->insecure_locks = ce->insecure_locks;
	ex->squash = squash_of(ce->squash);
	ex->anonuid = ce->anonuid;
	ex->anongid = ce->anongid;
	struct export_client_list *cur = atomic_load_explicit(&ex->clients, memory_order_relaxed);
	if (cur && client_list_same(cur, cl)) {
		free(cl);
		return;
	}
	cl->retired = cur;
	atomic_store_explicit(&ex->clients, cl, memory_order_release);
}

/* An export entry and everything it holds (its back end closed). */
static void export_free(struct export *ex)
{
	struct export_client_list *cl = atomic_load(&ex->clients);
	while (cl) {
		struct export_client_list *older = cl->retired;
		free(cl);
		cl = older;
	}
	if (ex->bex)
		ex->ops->export_close(ex->bex);
	free(ex);
}

/* Opens the export ce configures, with its root read, into *out (not yet
 * in the list or the tree, id unset).  check: only to see that it opens,
 * without the state directory, so that nothing the export keeps there
 * (the ceph back end's session identity, which an open takes over from
 * whoever had it) is touched.  0, or a negative errno with a message. */
static int export_open_one(struct exports *exps, const struct config_export *ce, bool check,
			   struct export **out, char *err, size_t errlen)
{
	struct export *ex = calloc(1, sizeof(*ex));
	if (!ex) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(ex->path, sizeof(ex->path), "%s", ce->path);
	snprintf(ex->ceph_conf, sizeof(ex->ceph_conf), "%s", ce->ceph_conf);
	snprintf(ex->ceph_id, sizeof(ex->ceph_id), "%s", ce->ceph_id);
	ex->read_cache_mb = ce->read_cache_mb;
	snprintf(ex->pseudo, sizeof(ex->pseudo), "%s", ce->pseudo);
	snprintf(ex->name, sizeof(ex->name), "%s", ce->name);
	struct export_client_list *cl;
	int rc = export_options_check(ce, &cl, err, errlen);
	if (rc) {
		free(ex);
		return rc;
	}
	export_options_apply(ex, ce, cl);
	ex->ops = backend_find(ce->backend);
	if (!ex->ops) {
		snprintf(err, errlen, "export %s: unknown backend '%s' (local, ceph or memory)",
			 ce->pseudo, ce->backend);
		export_free(ex);
		return -EINVAL;
	}
	const struct backend_options opts = {
		.ceph_conf = ce->ceph_conf[0] ? ce->ceph_conf : NULL,
		.ceph_id = ce->ceph_id[0] ? ce->ceph_id : NULL,
		.cluster_node = exps->cluster_node[0] ? exps->cluster_node : NULL,
		.succeeds_running = exps->succeeds_running,
		.ceph_read_cache_mb = ce->read_cache_mb,
	};
	rc = ex->ops->export_open(ex->path, check ? NULL : exps->state_dir, &opts, &ex->bex);
	if (rc) {
		snprintf(err, errlen, "export %s: cannot open %s with the %s backend: %s",
			 ex->pseudo, ex->path, ex->ops->name, strerror(-rc));
		ex->bex = NULL;
		export_free(ex);
		return rc;
	}
	rc = ex->ops->root(ex->bex, &ex->root);
	if (!rc)
		rc = ex->ops->getattr(ex->bex, &ex->root, &ex->root_attr);
	if (rc) {
		snprintf(err, errlen, "export %s: cannot read its root: %s", ex->pseudo,
			 strerror(-rc));
		export_free(ex);
		return rc;
	}
	struct backend_fsstat fs;
	ex->acls = ex->ops->get_acl && ex->ops->set_acl &&
		   ex->ops->statfs(ex->bex, &ex->root, &fs) == 0 && fs.acls;
	*out = ex;
	return 0;
}

/* What a freshly opened export is told and says once it serves. */
static void export_announce(struct export *ex, const struct config_export *ce)
{
	if (ce->no_attr_cache && strcmp(ce->backend, "local") == 0) {
		backend_local_set_attr_cache(ex->bex, false);
		log_info("export %s: no attribute cache (attr_cache = no): listings read "
			 "every entry's attributes from the file system",
			 ex->pseudo);
	}
	if (ce->memory_latency_us) {
		backend_memory_set_latency(ex->bex, ce->memory_latency_us);
		log_warn("export %s: the memory backend sleeps %u us in every name or "
			 "attribute call (memory_latency_us: for tests)",
			 ex->pseudo, ce->memory_latency_us);
	}
	if (ce->async && ex->ops->sync)
		log_warn("export %s: async = yes: replies to changes do not wait for them "
			 "to reach the disk, so a crash or power cut of this host can lose "
			 "files, removals and renames clients were told are done",
			 ex->pseudo);
	log_info("export %s: %s (%s, %s, %s, squash %s) via the %s backend", ex->pseudo,
		 ex->path, ex->read_only ? "ro" : "rw",
		 ce->nclients ? "listed clients" : "all clients",
		 ce->insecure ? "any source port" : "secure",
		 ex->squash == EXPORT_SQUASH_ROOT  ? "root"
		 : ex->squash == EXPORT_SQUASH_ALL ? "all"
						 : "none",
		 ex->ops->name);
}

/* Whether entry ex serves what ce configures (the same pseudo path, path
 * and back end, opened the same way): then only options change. */
static bool export_same(const struct export *ex, const struct config_export *ce)
{
	return strcmp(ce->pseudo, ex->pseudo) == 0 && strcmp(ce->path, ex->path) == 0 &&
	       backend_find(ce->backend) == ex->ops && strcmp(ce->ceph_conf, ex->ceph_conf) == 0 &&
	       strcmp(ce->ceph_id, ex->ceph_id) == 0 && ce->read_cache_mb == ex->read_cache_mb;
}

/* The pseudo paths of cfg fit in one tree: none inside another, and one
 * at "/" alone.  (Equal ones config_finish refuses.) */
static int pseudo_paths_check(const struct ferry_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const char *a = cfg->exports[i].pseudo;
		if (strcmp(a, "/") == 0 && cfg->nexports > 1) {
			snprintf(err, errlen, "an export at / cannot share the server with others");
			return -EINVAL;
		}
		for (unsigned j = 0; j < cfg->nexports; j++) {
			const char *b = cfg->exports[j].pseudo;
			size_t n = strlen(b);
			if (i != j && strncmp(a, b, n) == 0 && a[n] == '/') {
				snprintf(err, errlen,
					 "export %s lies inside export %s; nested exports are not "
					 "supported",
					 a, b);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* How a reload serves each export cfg configures. */
struct reload_step {
	const struct config_export *ce;
	struct export *keep;   /* served now: options change */
	struct export *revive; /* gone, the same export: served again */
	struct export *fresh;  /* opened by this reload */
	struct pseudo_node *node;
	struct export_client_list *cl; /* for keep and revive */
};

static void reload_steps_undo(struct reload_step *steps, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		free(steps[j].cl);
		if (steps[j].fresh)
			export_free(steps[j].fresh);
	}
}

/* Matches cfg's exports with the list's entries, parses the client lists
 * of the kept and revived ones and, with open, opens the new ones (else
 * opens and closes them: a check).  0, or a negative errno with a message;
 * on failure nothing is left to undo.  *out: the steps, which the caller
 * frees whatever the outcome (NULL when there was no memory for them). */
static int reload_plan(struct exports *exps, const struct ferry_config *cfg, bool open,
		       struct reload_step **out, char *err, size_t errlen)
{
	struct reload_step *steps = *out = calloc(CONFIG_MAX_EXPORTS, sizeof(*steps));
	if (!steps) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = pseudo_paths_check(cfg, err, errlen);
	if (rc)
		return rc;
	unsigned used = exports_slots_used(exps), fresh = 0;
	memset(steps, 0, cfg->nexports * sizeof(*steps));
	for (unsigned j = 0; j < cfg->nexports; j++) {
		struct reload_step *s = &steps[j];
		s->ce = &cfg->exports[j];
		if (!backend_find(s->ce->backend)) {
			snprintf(err, errlen, "export %s: unknown backend '%s' (local, ceph or memory)",
				 s->ce->name, s->ce->backend);
			return -EINVAL;
		}
		for (unsigned i = 0; i < used; i++) {
			struct export *ex = exps->list[i];
			if (!export_same(ex, s->ce))
				continue;
			if (atomic_load(&ex->gone))
				s->revive = ex;
			else
				s->keep = ex;
		}
		if (s->keep)
			s->revive = NULL;
		fresh += !s->keep && !s->revive;
	}
	if (used + fresh > EXPORTS_SLOTS) {
		snprintf(err, errlen,
			 "this server has opened %u exports since it started, at most %d: restart "
			 "it to add more",
			 used, EXPORTS_SLOTS);
		return -ENOSPC;
	}
	for (unsigned j = 0; j < cfg->nexports; j++) {
		struct reload_step *s = &steps[j];
		if (s->keep || s->revive)
			rc = export_options_check(s->ce, &s->cl, err, errlen);
		else if ((rc = export_open_one(exps, s->ce, !open, &s->fresh, err, errlen)) == 0 &&
			 !open) {
			export_free(s->fresh);
			s->fresh = NULL;
		}
		if (rc) {
			reload_steps_undo(steps, j + 1);
			return rc;
		}
	}
	return 0;
}

int exports_check(struct exports *exps, const struct ferry_config *cfg, char *err,
		       size_t errlen)
{
	struct reload_step *steps;
	int rc = reload_plan(exps, cfg, false, &steps, err, errlen);
	if (rc == 0)
		reload_steps_undo(steps, cfg->nexports);
	free(steps);
	return rc;
}

/* The new exports' ids (export_roots.c) and their nodes in the tree, made
 * hidden; an id another export will have is refused.  Nothing visible
 * changes. */
static int reload_place(struct exports *exps, struct reload_step *steps, unsigned n, char *err,
			size_t errlen)
{
	struct export *fresh[CONFIG_MAX_EXPORTS];
	unsigned nfresh = 0;
	for (unsigned j = 0; j < n; j++)
		if (steps[j].fresh)
			fresh[nfresh++] = steps[j].fresh;
	int rc = nfresh ? export_roots_assign(fresh, nfresh, exps->state_dir) : 0;
	if (rc) {
		snprintf(err, errlen, "cannot record the new exports' roots in %s: %s",
			 exps->state_dir, strerror(-rc));
		return rc;
	}
	for (unsigned j = 0; j < n; j++) {
		struct export *ex = steps[j].fresh;
		if (!ex)
			continue;
		for (unsigned k = 0; k < n; k++) {
			const struct export *other =
				steps[k].keep ? steps[k].keep : steps[k].revive ? steps[k].revive
										: steps[k].fresh;
			if (k != j && other->id == ex->id) {
				snprintf(err, errlen, "exports %s and %s hash to the same id; rename one",
					 other->pseudo, ex->pseudo);
				return -EINVAL;
			}
		}
		steps[j].node = strcmp(ex->pseudo, "/") == 0 ? exps->root
							      : pseudo_make(exps, ex->pseudo);
		if (!steps[j].node) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

int exports_reload(struct exports *exps, const struct ferry_config *cfg, char *err,
			size_t errlen)
{
	struct reload_step *steps;
	int rc = reload_plan(exps, cfg, true, &steps, err, errlen);
	if (rc == 0 && (rc = reload_place(exps, steps, cfg->nexports, err, errlen)) != 0)
		reload_steps_undo(steps, cfg->nexports);
	if (rc) {
		free(steps);
		return rc;
	}
	/* From here nothing fails.  What is no longer configured goes first,
	 * since a new export may take its place in the tree. */
	unsigned used = exports_slots_used(exps);
	for (unsigned i = 0; i < used; i++) {
		struct export *ex = exps->list[i];
		bool kept = atomic_load(&ex->gone);
		for (unsigned j = 0; !kept && j < cfg->nexports; j++)
			kept = steps[j].keep == ex;
		if (kept)
			continue;
		atomic_store_explicit(&ex->gone, true, memory_order_release);
		pseudo_detach(ex);
		log_info("export %s (%s) removed: its file handles are stale from now on",
			 ex->pseudo, ex->path);
	}
	for (unsigned j = 0; j < cfg->nexports; j++) {
		struct reload_step *s = &steps[j];
		const struct config_export *ce = s->ce;
		struct export *ex = s->keep ? s->keep : s->revive;
		if (ex)
			export_options_apply(ex, ce, s->cl);
		if (s->keep) {
			log_info("export %s reloaded: %s, %s, %s, %u client entries, squash %s",
				 ex->pseudo, ce->read_only ? "ro" : "rw",
				 ce->async ? "async" : "sync", ce->insecure ? "insecure" : "secure",
				 ce->nclients,
				 ce->squash == CONFIG_SQUASH_ROOT  ? "root"
				 : ce->squash == CONFIG_SQUASH_ALL ? "all"
								   : "none");
			continue;
		}
		if (s->revive) {
			pseudo_attach(ex, ex->mount_point);
			atomic_store_explicit(&ex->gone, false, memory_order_release);
			log_info("export %s (%s) served again", ex->pseudo, ex->path);
			continue;
		}
		ex = s->fresh;
		export_announce(ex, ce);
		unsigned n = exports_slots_used(exps);
		exps->list[n] = ex;
		atomic_store_explicit(&exps->count, n + 1, memory_order_release);
		pseudo_attach(ex, s->node);
		for (unsigned k = 0; k < EXPORT_WATCH_KINDS; k++)
			export_watch_one(exps, ex, k);
	}
	free(steps);
	return 0;
}

/* Clustered heads sign handles with one key, so that a client moved to
 * another head keeps its handles: it lives in RADOS, not in the state
 * directory. */
static int load_cluster_fh_key(const struct ferry_config *cfg, struct siphash_key *key)
{
	struct state_options so;
	state_options_from_config(&so, cfg);
	uint8_t raw[16];
	int rc = state_rados_shared_secret(&so.cluster, "fh-key", raw, sizeof(raw));
	if (rc == 0) {
		memcpy(&key->k0, raw, 8);
		memcpy(&key->k1, raw + 8, 8);
	}
	return rc;
}

int exports_open(struct exports *exps, const struct ferry_config *cfg)
{
	memset(exps, 0, sizeof(*exps));
	int rc = cfg->cluster_node[0] ? load_cluster_fh_key(cfg, &exps->fh_key)
				      : load_fh_key(cfg->state_dir, &exps->fh_key);
	if (rc)
		return rc;
	snprintf(exps->state_dir, sizeof(exps->state_dir), "%s", cfg->state_dir);
	snprintf(exps->cluster_node, sizeof(exps->cluster_node), "%s", cfg->cluster_node);
	exps->list = calloc(EXPORTS_SLOTS, sizeof(*exps->list));
	exps->root = node_new(NULL, "", 0, "/");
	if (!exps->list || !exps->root)
		return -ENOMEM;
	char err[512];
	/* The first exports alone: one a reload adds later has no session of
	 * the ferryd before this one. */
	exps->succeeds_running = cfg->succeeds_running;
	rc = exports_reload(exps, cfg, err, sizeof(err));
	exps->succeeds_running = false;
	if (rc)
		log_error("%s", err);
	return rc;
}

void exports_close(struct exports *exps)
{
	for (unsigned i = 0; exps->list && i < exports_slots_used(exps); i++)
		export_free(exps->list[i]);
	free(exps->list);
	pseudo_free(exps->root);
	memset(exps, 0, sizeof(*exps));
}

enum nfsstat4 export_deleg_break_name(struct state_server *st, struct export *ex,
				      const struct backend_cred *cred,
				      const struct backend_handle *dir, const char *name,
				      uint64_t clientid)
{
	if (!state_deleg_any(st))
		return NFS4_OK;
	struct state_file_key key = {.export_id = ex->id};
	struct backend_attr attr;
	if (ex->ops->lookup(ex->bex, cred, dir, name, &key.bh, &attr) != 0 ||
	    attr.type != BACKEND_REG)
		return NFS4_OK;
	return state_deleg_break(st, &key, clientid, NULL, true);
}
