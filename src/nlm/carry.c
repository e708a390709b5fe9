/* The NLM state an in-place upgrade hands to the new ferryd (nlm.h,
 * nlm_state_save / nlm_state_restore): every lock, share and blocked LOCK
 * of every host, as the calls that made them, so that the new ferryd
 * makes them again through the same state calls and its hosts need not
 * reclaim.  NSM's list of monitored hosts stays in the state directory,
 * and statd keeps monitoring them for the new ferryd (same my_id).
 *
 * Layout (XDR): a count, then per item its kind (NLM_CARRY_IN_BACKEND set
 * for a lock a back end holds too), the host's name and
 * address and NSM state, the owner's svid and oh, the file (export id,
 * back-end handle), exclusive, offset and length, share access and mode,
 * and a blocked LOCK's GRANTED arguments. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "nlm/nlm_internal.h"
#include "state/opens/state_nlm.h"
#include "xdr/xdr.h"

struct save_ctx {
	struct xdr_enc *e;
	uint32_t count;
	bool backend_blocked;
};

/* Beside the kind: a lock a back end holds too (a ceph export's), which
 * the new ferryd takes in its own storage session before it serves
 * (export/backend_locks.c).  A ferryd that knows no such flag refuses the
 * section, and with it the upgrade. */
enum { NLM_CARRY_IN_BACKEND = 0x100 };

bool nlm_carry_encode_item(struct xdr_enc *e, const struct state_nlm_item *it)
{
	const struct state_nlm_lock *l = &it->lock;
	uint32_t kind = it->kind | (it->backend ? NLM_CARRY_IN_BACKEND : 0);
	return xdr_encode_u32(e, kind) &&
	       xdr_encode_opaque(e, l->owner.host, l->owner.host_len) &&
	       xdr_encode_opaque(e, l->owner.addr, (uint32_t)strlen(l->owner.addr)) &&
	       xdr_encode_u32(e, (uint32_t)it->nsm_state) &&
	       xdr_encode_u32(e, (uint32_t)l->owner.svid) &&
	       xdr_encode_opaque(e, l->owner.oh, l->owner.oh_len) &&
	       xdr_encode_u32(e, l->file->export_id) &&
	       xdr_encode_opaque(e, l->file->bh.data, l->file->bh.len) &&
	       xdr_encode_bool(e, l->exclusive) && xdr_encode_u64(e, l->offset) &&
	       xdr_encode_u64(e, l->len) && xdr_encode_u32(e, it->access) &&
	       xdr_encode_u32(e, it->deny) && xdr_encode_opaque(e, it->blob, it->blob_len);
}

static bool save_item(void *arg, const struct state_nlm_item *it)
{
	struct save_ctx *c = arg;
	/* A back end's blocked LOCK is the client's to poll again: not
	 * expected here, and not carried. */
	if (it->backend && it->kind != STATE_NLM_ITEM_LOCK) {
		c->backend_blocked = true;
		return false;
	}
	c->count++;
	return nlm_carry_encode_item(c->e, it);
}

int nlm_state_save(struct nlm_service *n, struct buf **out, char *err, size_t errlen)
{
	*out = NULL;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 4096, 1u << 30)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct save_ctx c = {.e = &e};
	/* The count, written once known. */
	bool ok = xdr_encode_u32(&e, 0) && state_nlm_visit(n->st, save_item, &c);
	if (c.backend_blocked) {
		xdr_enc_release(&e);
		snprintf(err, errlen, "a blocked NLM LOCK waits in a back end (a ceph export)");
		return -EOPNOTSUPP;
	}
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		snprintf(err, errlen, "out of memory writing the NLM locks");
		return -ENOMEM;
	}
	xdr_put_be32(e.buf->data, c.count);
	*out = xdr_enc_take(&e);
	return 0;
}

bool nlm_carry_decode_item(struct xdr_dec *d, struct state_nlm_item *it,
			   struct state_file_key *key, char addr[NLM_CARRY_ADDR_MAX + 1])
{
	uint32_t kind, nsm, svid, addr_len, hlen;
	const uint8_t *a, *h;
	memset(it, 0, sizeof(*it));
	memset(key, 0, sizeof(*key));
	if (!xdr_decode_u32(d, &kind) ||
	    !xdr_decode_opaque(d, NLM4_MAXSTRLEN, &it->lock.owner.host, &it->lock.owner.host_len) ||
	    !xdr_decode_opaque(d, NLM_CARRY_ADDR_MAX, &a, &addr_len) || !xdr_decode_u32(d, &nsm) ||
	    !xdr_decode_u32(d, &svid) ||
	    !xdr_decode_opaque(d, NLM4_MAXNETOBJ, &it->lock.owner.oh, &it->lock.owner.oh_len) ||
	    !xdr_decode_u32(d, &key->export_id) ||
	    !xdr_decode_opaque(d, BACKEND_HANDLE_MAX, &h, &hlen) ||
	    !xdr_decode_bool(d, &it->lock.exclusive) || !xdr_decode_u64(d, &it->lock.offset) ||
	    !xdr_decode_u64(d, &it->lock.len) || !xdr_decode_u32(d, &it->access) ||
	    !xdr_decode_u32(d, &it->deny) ||
	    !xdr_decode_opaque(d, STATE_NLM_BLOB_MAX, &it->blob, &it->blob_len))
		return false;
	it->backend = (kind & NLM_CARRY_IN_BACKEND) != 0;
	kind &= ~(uint32_t)NLM_CARRY_IN_BACKEND;
	if (kind < STATE_NLM_ITEM_LOCK || kind > STATE_NLM_ITEM_BLOCK || memchr(a, 0, addr_len) ||
	    (it->backend && kind != STATE_NLM_ITEM_LOCK))
		return false;
	it->kind = kind;
	memcpy(addr, a, addr_len);
	addr[addr_len] = '\0';
	it->lock.owner.addr = addr;
	it->lock.owner.svid = (int32_t)svid;
	it->nsm_state = (int32_t)nsm;
	key->bh.len = (uint8_t)hlen;
	memcpy(key->bh.data, h, hlen);
	it->lock.file = key;
	return true;
}

/* Makes it again; the status its call gave. */
static uint32_t restore_item(struct nlm_service *n, const struct state_nlm_item *it)
{
	struct state_nlm_effect eff;
	uint32_t st;
	switch (it->kind) {
	case STATE_NLM_ITEM_SHARE:
		st = state_nlm_share(n->st, &it->lock.owner, it->lock.file, it->access, it->deny,
				     true, &eff);
		break;
	case STATE_NLM_ITEM_BLOCK:
		st = state_nlm_lock(n->st, &it->lock, true, true, it->nsm_state, it->blob,
				    it->blob_len, &eff);
		if (st == NLM4_BLOCKED)
			st = NLM4_GRANTED;
		break;
	default:
		if (it->backend) {
			/* Marked for the back end, taken there before this
			 * ferryd serves (export/backend_locks.c). */
			struct state_nlm_backend be;
			st = state_nlm_lock_backend(n->st, &it->lock, true, it->nsm_state, &eff,
						    &be);
		} else {
			st = state_nlm_lock(n->st, &it->lock, false, true, it->nsm_state, NULL,
					    0, &eff);
		}
	}
	/* statd keeps the old ferryd's monitors (same my_id); asking again
	 * puts the host on this one's list. */
	if (eff.host_new)
		nlm_nsm_host(n, (const uint8_t *)it->lock.owner.addr,
			     (uint32_t)strlen(it->lock.owner.addr), true);
	return st;
}

int nlm_state_restore(struct nlm_service *n, const uint8_t *p, size_t len, char *err,
		      size_t errlen)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	uint32_t count;
	if (!xdr_decode_u32(&d, &count)) {
		snprintf(err, errlen, "the NLM section is cut short");
		return -EINVAL;
	}
	unsigned locks = 0, shares = 0, blocked = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct state_nlm_item it;
		struct state_file_key key;
		char addr[NLM_CARRY_ADDR_MAX + 1];
		if (!nlm_carry_decode_item(&d, &it, &key, addr)) {
			snprintf(err, errlen, "NLM item %u of %u does not decode", i, count);
			return -EINVAL;
		}
		uint32_t st = restore_item(n, &it);
		if (st != NLM4_GRANTED) {
			snprintf(err, errlen, "NLM item %u of %u (host %.*s) not made again: status %u",
				 i, count, (int)it.lock.owner.host_len, it.lock.owner.host, st);
			return -EINVAL;
		}
		locks += it.kind == STATE_NLM_ITEM_LOCK;
		shares += it.kind == STATE_NLM_ITEM_SHARE;
		blocked += it.kind == STATE_NLM_ITEM_BLOCK;
	}
	if (xdr_dec_remaining(&d) != 0) {
		snprintf(err, errlen, "%zu bytes after the NLM items", xdr_dec_remaining(&d));
		return -EINVAL;
	}
	log_info("nlm: carried over %u lock(s), %u share(s) and %u blocked LOCK(s)", locks, shares,
		 blocked);
	return 0;
}
