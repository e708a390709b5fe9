/* The back-end watches behind directory delegations, carried by an
 * in-place upgrade (upgrade/upgrade.h) so that the delegations go over as
 * they are, notifications waiting included.
 *
 * A directory delegation promises its holder every change to the listing
 * (notified, or the delegation recalled), and on the server host those
 * are seen through the back end's watch (backend_ops.dir_watch).  A watch
 * the new ferryd made afresh would miss what happens between the old
 * one's last look and its own first: so the watch itself goes over.  The
 * old ferryd, frozen, has each export's back end stop reading and report
 * what it had seen (backend_ops.dir_watch_hand: noted for the holders
 * before the state image is taken), and sends a duplicate of the
 * descriptor that reports the rest beside the image (the DIR_WATCHES
 * section names it by index, with the directories it watches).  The new
 * ferryd, once the old one says go and before it serves, reads from it
 * (dir_watch_adopt): what changed meanwhile is waiting there.
 *
 * A ceph export's watch is no descriptor: its back end asks each watched
 * directory's change attribute in turn.  What it had accounted for goes in
 * the section beside each directory (the watch's fd index
 * NFS4_DIR_WATCH_NO_FD says so), and the new ferryd's back end watches
 * from there, so a change made since the old one's last look is seen.
 *
 * A watch that cannot be taken over (its export is gone from the
 * configuration, the back end refuses it) leaves its directories' changes
 * unseen: their delegations are recalled.  A back end with no way to hand
 * its watch over has its directory delegations recalled before the
 * upgrade (nfs4_deleg_carryable). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"
#include "xdr/xdr.h"

void nfs4_dir_watches_free(struct nfs4_dir_watches *w)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].fd >= 0)
			close(w->v[i].fd);
		free(w->v[i].dirs);
		free(w->v[i].marks);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

int nfs4_dir_watches_hand(struct nfs4_server *srv, struct nfs4_dir_watches *out)
{
	memset(out, 0, sizeof(*out));
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < exports_slots_used(&srv->exports); i++) {
		struct export *ex = exports_at(&srv->exports, i);
		if (!ex || !ex->ops->dir_watch_hand)
			continue;
		struct nfs4_dir_watch_carried c = {.export_id = ex->id, .fd = -1};
		rc = ex->ops->dir_watch_hand(ex->bex, &c.fd, &c.dirs, &c.marks, &c.ndirs);
		if (rc || (c.fd < 0 && (!c.marks || c.ndirs == 0))) {
			free(c.dirs);
			free(c.marks);
			continue;
		}
		struct nfs4_dir_watch_carried *v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			if (c.fd >= 0)
				close(c.fd);
			free(c.dirs);
			free(c.marks);
			rc = -ENOMEM;
			break;
		}
		out->v = v;
		out->v[out->n++] = c;
	}
	if (rc) {
		nfs4_dir_watches_free(out);
		nfs4_dir_watches_resume(srv);
	}
	return rc;
}

void nfs4_dir_watches_resume(struct nfs4_server *srv)
{
	for (unsigned i = 0; i < exports_slots_used(&srv->exports); i++) {
		struct export *ex = exports_at(&srv->exports, i);
		if (ex && ex->ops->dir_watch_resume)
			ex->ops->dir_watch_resume(ex->bex);
	}
}

struct buf *nfs4_dir_watches_encode(const struct nfs4_dir_watches *w, size_t first_fd)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 1u << 30))
		return NULL;
	bool ok = xdr_encode_u32(&e, (uint32_t)w->n);
	size_t next_fd = first_fd;
	for (size_t i = 0; ok && i < w->n; i++) {
		const struct nfs4_dir_watch_carried *c = &w->v[i];
		bool marked = c->marks != NULL;
		ok = xdr_encode_u32(&e, c->export_id) &&
		     xdr_encode_u32(&e, marked ? NFS4_DIR_WATCH_NO_FD : (uint32_t)next_fd++) &&
		     xdr_encode_u32(&e, (uint32_t)c->ndirs);
		for (size_t k = 0; ok && k < c->ndirs; k++)
			ok = xdr_encode_opaque(&e, c->dirs[k].data, c->dirs[k].len) &&
			     (!marked || xdr_encode_u64(&e, c->marks[k]));
	}
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		return NULL;
	}
	return xdr_enc_take(&e);
}

int nfs4_dir_watches_decode(const uint8_t *p, size_t len, size_t nfds,
			    struct nfs4_dir_watches *out)
{
	memset(out, 0, sizeof(*out));
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	uint32_t count;
	/* Each watch takes 12 bytes or more. */
	if (!xdr_decode_u32(&d, &count) || count > len / 12)
		return -EINVAL;
	out->v = count ? calloc(count, sizeof(*out->v)) : NULL;
	if (count && !out->v)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		struct nfs4_dir_watch_carried *c = &out->v[i];
		uint32_t fd, ndirs;
		out->n++;
		c->fd = -1;
		if (!xdr_decode_u32(&d, &c->export_id) || !xdr_decode_u32(&d, &fd) ||
		    !xdr_decode_u32(&d, &ndirs) || (fd >= nfds && fd != NFS4_DIR_WATCH_NO_FD) ||
		    ndirs > xdr_dec_remaining(&d) / 4) /* each handle takes 4 bytes or more */
			goto bad;
		/* A watch with no descriptor is its directories' marks: never
		 * handed without any. */
		bool marked = fd == NFS4_DIR_WATCH_NO_FD;
		if (marked && ndirs == 0)
			goto bad;
		c->fd_index = fd;
		c->dirs = ndirs ? calloc(ndirs, sizeof(*c->dirs)) : NULL;
		c->marks = marked && ndirs ? calloc(ndirs, sizeof(*c->marks)) : NULL;
		if (ndirs && (!c->dirs || (marked && !c->marks))) {
			nfs4_dir_watches_free(out);
			return -ENOMEM;
		}
		for (uint32_t k = 0; k < ndirs; k++) {
			const uint8_t *h;
			uint32_t hlen;
			if (!xdr_decode_opaque(&d, BACKEND_HANDLE_MAX, &h, &hlen) ||
			    (marked && !xdr_decode_u64(&d, &c->marks[k])))
				goto bad;
			c->dirs[k].len = (uint8_t)hlen;
			memcpy(c->dirs[k].data, h, hlen);
			c->ndirs++;
		}
	}
	if (xdr_dec_remaining(&d) == 0)
		return 0;
bad:
	nfs4_dir_watches_free(out);
	return -EINVAL;
}

/* Recalls every delegation of the directories c watched: their changes
 * since the old ferryd's last look go unseen. */
static void recall_unwatched(struct nfs4_server *srv, const struct nfs4_dir_watch_carried *c)
{
	for (size_t k = 0; k < c->ndirs; k++) {
		struct state_file_key key = {.export_id = c->export_id, .bh = c->dirs[k]};
		state_dirdeleg_break(srv->state, &key, 0, 0);
	}
}

/* The directories c watched whose delegations went while the new ferryd
 * was getting ready (expired, say): their marks are of no use. */
static void unwatch_undelegated(struct nfs4_server *srv, const struct nfs4_dir_watch_carried *c)
{
	for (size_t k = 0; k < c->ndirs; k++) {
		struct state_file_key key = {.export_id = c->export_id, .bh = c->dirs[k]};
		bool held, child_attrs;
		state_dirdeleg_needs(srv->state, &key, &held, &child_attrs);
		if (!held)
			nfs4_dirdeleg_unwatch(srv, &key);
	}
}

/* What the server keeps per delegated directory (dir_children.c), made
 * again: the record that stops the watch with the last delegation, and
 * the index of entries for holders told of their attributes. */
static void dirs_claim(struct nfs4_server *srv)
{
	size_t n = state_dirdeleg_dirs(srv->state, NULL, 0);
	struct state_file_key *keys = n ? calloc(n, sizeof(*keys)) : NULL;
	if (n && !keys) {
		log_error("upgrade: out of memory taking over delegated directories");
		return;
	}
	n = state_dirdeleg_dirs(srv->state, keys, n);
	for (size_t i = 0; i < n; i++) {
		bool held, child_attrs, indexed;
		state_dirdeleg_needs(srv->state, &keys[i], &held, &child_attrs);
		if (nfs4_dirdeleg_claim(srv, &keys[i], child_attrs, &indexed) != 0) {
			state_dirdeleg_break(srv->state, &keys[i], 0, 0);
			continue;
		}
		nfs4_dirdeleg_settle(srv, &keys[i]);
	}
	free(keys);
}

void nfs4_dir_watches_adopt(struct nfs4_server *srv, struct nfs4_dir_watches *w,
			    int (*take_fd)(void *arg, size_t i), void *arg)
{
	unsigned adopted = 0, lost = 0;
	for (size_t i = 0; i < w->n; i++) {
		struct nfs4_dir_watch_carried *c = &w->v[i];
		bool marked = c->fd_index == NFS4_DIR_WATCH_NO_FD;
		int fd = marked ? -1 : take_fd(arg, c->fd_index);
		struct export *ex = exports_find(&srv->exports, c->export_id);
		int rc = -ENOENT;
		if ((fd >= 0 || marked) && ex && ex->ops->dir_watch_adopt)
			rc = ex->ops->dir_watch_adopt(ex->bex, fd, c->dirs, c->marks, c->ndirs);
		else if (fd >= 0)
			close(fd);
		if (rc == 0) {
			adopted++;
			unwatch_undelegated(srv, c);
			continue;
		}
		log_warn("upgrade: a directory watch cannot be taken over (%s): the delegations "
			 "of its %zu directories are recalled",
			 strerror(-rc), c->ndirs);
		recall_unwatched(srv, c);
		lost++;
	}
	dirs_claim(srv);
	if (w->n)
		log_info("upgrade: %u directory watch(es) taken over%s", adopted,
			 lost ? "; the delegations of the others recalled" : "");
	nfs4_dir_watches_free(w);
	/* Changes that waited in the ferryd before, and recalls. */
	nfs4_dirdeleg_kick(srv);
	state_outbox_kick(srv->state);
}
