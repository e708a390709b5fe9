/* Fixtures and helpers of the back-end conformance suite; included once,
 * by test_backend.c (tests are one program per test_*.c file). */
#ifndef FERRY_TESTS_BACKEND_FIXTURE_H
#define FERRY_TESTS_BACKEND_FIXTURE_H

struct fx {
	const struct backend_ops *ops;
	struct backend_export *ex;
	struct backend_handle root;
	bool local;
	bool ceph;
	char base[256];   /* local: holds export/ and outside/ */
	char export[300]; /* local: the exported directory */
	unsigned seq;
};

static const struct backend_cred ROOT = { 0 };
static const struct backend_cred USER = { .uid = 1234, .gid = 1234 };
static const struct backend_cred OTHER = { .uid = 4321, .gid = 4321 };

/* ---- fixtures ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_local(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	char outside[320];

	fx->ops = &backend_local_ops;
	fx->local = true;
	snprintf(fx->base, sizeof(fx->base), "%s/ferry-backend-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->base))
		return -1;
	snprintf(fx->export, sizeof(fx->export), "%s/export", fx->base);
	snprintf(outside, sizeof(outside), "%s/outside", fx->base);
	if (chmod(fx->base, 0755) != 0 || mkdir(fx->export, 0755) != 0 ||
	    mkdir(outside, 0755) != 0)
		return -1;
	if (fx->ops->export_open(fx->export, fx->base, NULL, &fx->ex) != 0)
		return -1;
	fx->ops->root(fx->ex, &fx->root);
	*state = fx;
	return 0;
}

static int setup_memory(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->ops = &backend_memory_ops;
	if (fx->ops->export_open("test", NULL, NULL, &fx->ex) != 0)
		return -1;
	fx->ops->root(fx->ex, &fx->root);
	*state = fx;
	return 0;
}

/* A directory of its own in the CephFS file system the environment names
 * (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID: scripts/test.sh starts a
 * throwaway cluster and sets them), made through an export of the file
 * system's root, then exported itself. */
static int setup_ceph(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const struct backend_options opts = { .ceph_conf = getenv("FERRY_TEST_CEPH_CONF"),
					      .ceph_id = getenv("FERRY_TEST_CEPH_ID") };
	struct backend_export *top;
	struct backend_handle root, made;
	struct backend_attr a;
	struct backend_setattr sa = { .mask = BACKEND_SET_MODE, .mode = 0755 };
	char name[64];

	fx->ops = &backend_ceph_ops;
	fx->ceph = true;
	snprintf(name, sizeof(name), "ferry-backend-%ld-%ld", (long)getpid(), (long)time(NULL));
	snprintf(fx->export, sizeof(fx->export), "/%s", name);
	if (fx->ops->export_open("/", NULL, &opts, &top) != 0)
		return -1;
	int rc = fx->ops->root(top, &root);
	if (rc == 0)
		rc = fx->ops->mknod(top, &ROOT, &root, name, BACKEND_DIR, 0, 0, &sa, &made, &a);
	fx->ops->export_close(top);
	if (rc != 0 || fx->ops->export_open(fx->export, NULL, &opts, &fx->ex) != 0)
		return -1;
	fx->ops->root(fx->ex, &fx->root);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	backend_local_restore_identity();
	fx->ops->export_close(fx->ex);
	if (fx->local)
		nftw(fx->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static struct backend_setattr mode_sa(uint32_t mode)
{
	return (struct backend_setattr){ .mask = BACKEND_SET_MODE, .mode = mode };
}

static void mk_dir(struct fx *fx, const struct backend_cred *c, const struct backend_handle *dir,
		   const char *name, uint32_t mode, struct backend_handle *out)
{
	struct backend_setattr sa = mode_sa(mode);
	struct backend_attr a;

	assert_int_equal(fx->ops->mknod(fx->ex, c, dir, name, BACKEND_DIR, 0, 0, &sa, out, &a), 0);
	assert_int_equal(a.type, BACKEND_DIR);
	assert_int_equal(a.mode, mode);
}

/* A fresh directory for one test, 0777 and owned by root. */
static void test_dir(struct fx *fx, struct backend_handle *out)
{
	char name[32];

	snprintf(name, sizeof(name), "t%u", fx->seq++);
	mk_dir(fx, &ROOT, &fx->root, name, 0777, out);
}

static void mk_file(struct fx *fx, const struct backend_cred *c, const struct backend_handle *dir,
		    const char *name, uint32_t mode, struct backend_handle *out)
{
	struct backend_setattr sa = mode_sa(mode);
	struct backend_attr a;
	bool created;

	assert_int_equal(fx->ops->create_file(fx->ex, c, dir, name, BACKEND_CREATE_GUARDED, NULL,
					      &sa, out, &a, &created),
			 0);
	assert_true(created);
	assert_int_equal(a.type, BACKEND_REG);
	assert_int_equal(a.mode, mode);
}

static void put(struct fx *fx, const struct backend_cred *c, const struct backend_handle *h,
		uint64_t off, const char *data)
{
	size_t n;
	enum backend_stable st;

	assert_int_equal(fx->ops->write(fx->ex, c, h, off, data, strlen(data), BACKEND_UNSTABLE,
					&n, &st),
			 0);
	assert_int_equal(n, strlen(data));
}

static struct backend_attr attr_of(struct fx *fx, const struct backend_handle *h)
{
	struct backend_attr a;

	assert_int_equal(fx->ops->getattr(fx->ex, h, &a), 0);
	return a;
}

static bool same_handle(const struct backend_handle *a, const struct backend_handle *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static int lookup(struct fx *fx, const struct backend_cred *c, const struct backend_handle *dir,
		  const char *name, struct backend_handle *out)
{
	struct backend_attr a;

	return fx->ops->lookup(fx->ex, c, dir, name, out, &a);
}

/* ---- readdir collection ---- */

struct listing {
	char **names;
	uint64_t *cookies;
	size_t n, cap;
	size_t batch_left;
	size_t without_attrs;
};

static bool collect(void *ctx, const struct backend_dirent *e)
{
	struct listing *l = ctx;

	if (l->batch_left == 0)
		return false;
	l->batch_left--;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->names = realloc(l->names, l->cap * sizeof(*l->names));
		l->cookies = realloc(l->cookies, l->cap * sizeof(*l->cookies));
	}
	assert_int_equal(strlen(e->name), e->namelen);
	l->names[l->n] = strndup(e->name, e->namelen);
	l->cookies[l->n] = e->cookie;
	l->n++;
	if (!e->handle || !e->attr)
		l->without_attrs++;
	return true;
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->cookies);
	memset(l, 0, sizeof(*l));
}

/* Lists dir from cookie to the end, batch entries per call. */
static int list_from(struct fx *fx, const struct backend_cred *c, const struct backend_handle *dir,
		     uint64_t cookie, size_t batch, struct listing *l)
{
	for (;;) {
		size_t before = l->n;
		bool eof;
		int r;

		l->batch_left = batch;
		r = fx->ops->readdir(fx->ex, c, dir, cookie, NULL, collect, l, &eof);
		if (r != 0)
			return r;
		if (l->n > before)
			cookie = l->cookies[l->n - 1];
		if (eof)
			return 0;
		assert_true(l->n > before); /* progress */
	}
}

#endif
