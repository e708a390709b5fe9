/* Every callback operation a server may queue, one row each: X(name) for
 * the struct cb_op cb_op_<name> that src/callback/ops/<name>.c defines.
 * Adding an operation is its file and its row here.  The order is that of
 * the metrics' kinds (after "probe"). */
#ifndef FERRY_CALLBACK_OPS_LIST_H
#define FERRY_CALLBACK_OPS_LIST_H

#define CB_OPS_LIST(X)            \
	X(recall)                 \
	X(getattr)                \
	X(notify_lock)            \
	X(notify)                 \
	X(recallable_obj_avail)   \
	X(offload)                \
	X(recall_any)

#endif
