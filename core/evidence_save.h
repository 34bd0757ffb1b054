/* --save-evidence: files written beneath the save directory. */
#ifndef RG_EVIDENCE_SAVE_H
#define RG_EVIDENCE_SAVE_H

#include <stddef.h>

/* The file a fetched body with digest LABEL ("sha256:HEX") is saved as, relative to the
 * save directory: "fetched/HEX.json" (content-addressed, so two checks fetching the same
 * page write one file, and a name can never be chosen by what was fetched). */
void rg_saved_fetch_name(const char *label, char *buf, size_t size);

/* Write DATA (LEN bytes) to REL (relative, normalised, no "..") beneath directory DIR,
 * creating the folders on the way and following no symbolic link; atomically (a
 * temporary file renamed).  Returns 0, or -1 with WHY. */
int rg_save_file(const char *dir, const char *rel, const char *data, size_t len, char *why, size_t why_size);

#endif
