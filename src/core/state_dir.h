/* The state directory and the files ferryd keeps in it.
 *
 * It holds the file-handle key (fh.key: whoever has it can forge file
 * handles for any file of any export), the control token and the clients'
 * records, so it must be the server's alone: not writable by group or
 * others, not inside an export (clients would read or replace the key). */
#ifndef FERRY_CORE_STATE_DIR_H
#define FERRY_CORE_STATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"

/* Checks cfg->state_dir against the rules above and creates it (mode 0700)
 * when missing; the exports' directories must exist already.  On failure
 * writes a message naming the path and the fix to err and returns a
 * negative errno. */
int state_dir_prepare(const struct ferry_config *cfg, char *err, size_t errlen);

/* Replaces path with a file of mode holding data[0..len), all or nothing
 * (readers see the old file or the new one): written to path + ".tmp",
 * synced and renamed over path, and path's directory synced (a power cut
 * keeps the new file).  The temporary file is always a new one
 * (O_EXCL | O_NOFOLLOW, after removing what a crash left there), so a
 * symlink planted at its name is never written through, and it has its
 * mode from the start.  Returns 0 or a negative errno. */
int state_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* Flushes directory dir's entries (fsync): what a file's creation,
 * rename or removal in it needs to outlive a power cut.  0 or a negative
 * errno. */
int state_dir_sync(const char *dir);

#endif
