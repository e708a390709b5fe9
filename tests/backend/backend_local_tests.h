/* Tests of the local back end alone: they need the host.  Included by
 * test_backend.c after its fixtures and helpers. */
#ifndef FERRY_TESTS_BACKEND_LOCAL_TESTS_H
#define FERRY_TESTS_BACKEND_LOCAL_TESTS_H

static void host_path(const struct fx *fx, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", fx->export, rel);
}

static void host_append(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* Handles and cookies outlive the server: close and reopen the export. */
static void test_local_restart(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, s, f, x, root;
	struct backend_attr before, after;
	struct listing all = { 0 }, rest = { 0 };
	char buf[16];
	size_t n;
	bool eof;

	mk_dir(fx, &ROOT, &fx->root, "restart", 0777, &d);
	mk_dir(fx, &ROOT, &d, "sub", 0755, &s);
	mk_file(fx, &USER, &d, "f", 0600, &f);
	put(fx, &USER, &f, 0, "persistent");
	for (int i = 0; i < 50; i++) {
		char name[16];

		snprintf(name, sizeof(name), "e%02d", i);
		mk_file(fx, &ROOT, &d, name, 0644, &x);
	}
	assert_int_equal(list_from(fx, &ROOT, &d, 0, 1000, &all), 0);
	assert_int_equal(all.n, 52);
	before = attr_of(fx, &f);

	fx->ops->export_close(fx->ex);
	fx->ex = NULL;
	assert_int_equal(fx->ops->export_open(fx->export, fx->base, NULL, &fx->ex), 0);
	fx->ops->root(fx->ex, &root);
	assert_true(same_handle(&root, &fx->root));

	after = attr_of(fx, &f);
	assert_int_equal(after.fileid, before.fileid);
	assert_int_equal(after.change, before.change);
	assert_int_equal(fx->ops->read(fx->ex, &USER, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "persistent", 10);
	assert_int_equal(fx->ops->lookup_parent(fx->ex, &ROOT, &s, &x, &after), 0);
	assert_true(same_handle(&x, &d));
	assert_int_equal(list_from(fx, &ROOT, &d, all.cookies[20], 5, &rest), 0);
	assert_int_equal(rest.n, all.n - 21);
	for (size_t i = 0; i < rest.n; i++)
		assert_string_equal(rest.names[i], all.names[21 + i]);
	listing_free(&rest);
	listing_free(&all);
}

/* What host processes do is seen at once: new files, writes (a new
 * change value), removals (stale handles). */
static void test_local_host_changes(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, h, x;
	struct backend_attr a0, a1, a2;
	char path[512], path2[512];

	mk_dir(fx, &ROOT, &fx->root, "host", 0777, &d);
	backend_local_restore_identity();
	host_path(fx, "host/h.txt", path, sizeof(path));
	host_append(path, "abc");
	assert_int_equal(lookup(fx, &ROOT, &d, "h.txt", &h), 0);
	a0 = attr_of(fx, &h);
	assert_int_equal(a0.size, 3);

	host_append(path, "def");
	a1 = attr_of(fx, &h);
	assert_int_equal(a1.size, 6);
	assert_int_not_equal(a1.change, a0.change);
	assert_int_equal(chmod(path, 0600), 0);
	a2 = attr_of(fx, &h);
	assert_int_equal(a2.mode, 0600);
	assert_int_not_equal(a2.change, a1.change);

	/* Renamed on the host: the handle follows the file. */
	host_path(fx, "host/moved.txt", path2, sizeof(path2));
	assert_int_equal(rename(path, path2), 0);
	assert_int_equal(attr_of(fx, &h).size, 6);
	assert_int_equal(lookup(fx, &ROOT, &d, "moved.txt", &x), 0);
	assert_true(same_handle(&x, &h));
	assert_int_equal(unlink(path2), 0);
	assert_int_equal(fx->ops->getattr(fx->ex, &h, &a0), -ESTALE);
	assert_int_equal(lookup(fx, &ROOT, &d, "moved.txt", &x), -ENOENT);

	/* A host symlink pointing out of the export is just a link. */
	host_path(fx, "host/out", path, sizeof(path));
	assert_int_equal(symlink(fx->base, path), 0);
	assert_int_equal(lookup(fx, &ROOT, &d, "out", &x), 0);
	assert_int_equal(attr_of(fx, &x).type, BACKEND_LNK);
	assert_int_equal(lookup(fx, &ROOT, &x, "outside", &x), -ENOTDIR);
}

/* A directory moved out of the export on the host keeps its handle, but
 * its parent must not be handed out. */
static void test_local_moved_out(void **state)
{
	struct fx *fx = *state;
	struct backend_handle a, b, x;
	struct backend_attr at;
	char in[512], out[512];

	mk_dir(fx, &ROOT, &fx->root, "mv", 0755, &a);
	mk_dir(fx, &ROOT, &a, "b", 0755, &b);
	assert_int_equal(fx->ops->lookup_parent(fx->ex, &ROOT, &b, &x, &at), 0);
	assert_true(same_handle(&x, &a));

	backend_local_restore_identity();
	host_path(fx, "mv", in, sizeof(in));
	snprintf(out, sizeof(out), "%s/outside/mv", fx->base);
	assert_int_equal(rename(in, out), 0);
	assert_int_equal(fx->ops->lookup_parent(fx->ex, &ROOT, &b, &x, &at), -ESTALE);
	assert_int_equal(fx->ops->lookup_parent(fx->ex, &ROOT, &a, &x, &at), -ESTALE);
	assert_int_equal(rename(out, in), 0);
	assert_int_equal(fx->ops->lookup_parent(fx->ex, &ROOT, &b, &x, &at), 0);
	assert_true(same_handle(&x, &a));
}

#endif
