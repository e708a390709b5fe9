/* knfsd's exports(5) file, read into the same export entries the INI
 * file's [export NAME] sections make (core/config.h).
 *
 * A line is a path and host patterns, each with its options:
 *
 *   /srv/data   10.0.0.0/8(rw,no_root_squash) *.example.com(ro) -sec=krb5
 *
 * Each line is one export (a path on several lines is one export with
 * every line's hosts); each host pattern is one client entry with options
 * of its own (struct config_client_opts), tried most specific first as
 * knfsd does: single hosts, then wildcards, then networks, then "*".
 * Options that Ferry sets per export rather than per client (sync/async,
 * secure_locks) must agree between the hosts of a path; mp makes the
 * export's being served depend on its path being a mount point, which
 * exports_file_load checks (exports_text_parse reads text only).
 *
 * Pseudo paths, as knfsd's NFSv4 root: with an fsid=0 (fsid=root) line,
 * its path is the pseudo root "/" and every other export appears below it
 * at its path relative to that one; without one, each export appears at
 * its own path.  man 5 ferry-exports lists every option and what Ferry
 * does with it. */
#ifndef FERRY_CORE_EXPORTS_FILE_H
#define FERRY_CORE_EXPORTS_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Adds the exports of text (len bytes, an exports(5) file's contents)
 * to cfg.  origin names the text in messages, which read
 * "ORIGIN:LINE:COLUMN: what is wrong".  False with such a message in
 * errbuf; cfg's exports are then partly added (callers throw cfg away). */
bool exports_text_parse(struct ferry_config *cfg, const char *text, size_t len,
			const char *origin, char *errbuf, size_t errlen);

/* exports_text_parse of the file at path, then its exports that say mp
 * and whose path is no mount point left out (logged). */
bool exports_file_load(struct ferry_config *cfg, const char *path, char *errbuf,
		       size_t errlen);

#endif
