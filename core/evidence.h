/* Evidence files named by a release context, under the path rules. */
#ifndef RG_EVIDENCE_H
#define RG_EVIDENCE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/stat.h>

#include "relgate/relgate.h"

/* Lexically normalise REL against DIR (both without trailing '/', DIR absolute) into
 * OUT: "." and empty components dropped, ".." climbs.  Returns 0, or -1 when REL is
 * absolute or the result would not fit. */
int rg_path_join_normalized(const char *dir, const char *rel, char *out, size_t size);

/* True when PATH is ROOT or lies below it (plain prefix test on normalised paths). */
int rg_path_within(const char *path, const char *root);

/* Check every entry of the context's "evidence" object: a non-empty relative path
 * that stays inside the evidence root.  Adds one problem to ERR per bad entry.
 * Returns 0 when all are good. */
int rg_evidence_validate(const rg_context *ctx, rg_error *err);

typedef enum rg_evidence_status {
    RG_EVIDENCE_OK,
    RG_EVIDENCE_UNDECLARED, /* no such name in the context's evidence */
    RG_EVIDENCE_MISSING,    /* declared, but no file there */
    RG_EVIDENCE_UNUSABLE,   /* not a regular file, unreadable, too large */
    RG_EVIDENCE_ESCAPES     /* resolves outside the evidence root: a path-rule violation */
} rg_evidence_status;

/* When CTX is content-addressed (rg_context_options.content_addressed) and PATH (as
 * rg_evidence_resolve gives it) lies in a directory named by 64 lower-case hex digits:
 * the digest they name, "sha256:HEX", into LABEL (RG_SHA256_LABEL_SIZE bytes), and 1 --
 * the bytes the caller wrote there, which a cached result or text must have been read
 * from to be reused, with no look at the file.  Otherwise 0. */
int rg_evidence_addressed_label(const rg_context *ctx, const char *path, char *label);

/* Resolve evidence NAME to an absolute path in PATH (SIZE bytes).  Follows symbolic
 * links and refuses targets outside the evidence root.  WHY receives a message for any
 * status but OK. */
rg_evidence_status rg_evidence_resolve(const rg_context *ctx, const char *name, char *path,
                                       size_t size, char *why, size_t why_size);

/* Evidence NAME's file at PATH (SIZE bytes, as rg_evidence_resolve gave it, *ST its
 * status: OK) opened beneath the root following no link, a regular file: the descriptor
 * and *FST, or RG_OPEN_FAILED (errno: rg_open_failure says why) or RG_OPEN_NOT_FILE.
 * When the open fails and CTX shares a path cache (a batch, a server), a link may have
 * appeared on a path it remembers as having none: NAME is resolved afresh into PATH and
 * *ST -- ESCAPES is the path-rule violation a context alone would meet, another status
 * says why in WHY -- and, when OK, opened again. */
int rg_evidence_open(const rg_context *ctx, const char *name, char *path, size_t size, struct stat *fst,
                     rg_evidence_status *st, char *why, size_t why_size);

/* Read evidence NAME (at most MAX bytes) into a NUL-terminated heap buffer the caller
 * frees.  Returns the status; on anything but OK, *DATA is NULL and WHY says why. */
rg_evidence_status rg_evidence_read(const rg_context *ctx, const char *name, size_t max,
                                    char **data, size_t *len, char *why, size_t why_size);

/* Record in LOG (a JSON array) that evidence NAME of CTX was read with content DATA:
 * {"name", "path" (as the context gives it), "sha256"}, once per name and digest, so a
 * decision can say exactly what it was based on. */
void rg_evidence_note(cJSON *log, const rg_context *ctx, const char *name, const char *data,
                      size_t len);

/* The same with the digest already known (LABEL, "sha256:..."). */
void rg_evidence_note_digest(cJSON *log, const rg_context *ctx, const char *name, const char *label);

/* Record in LOG that live evidence NAME was fetched: one page, from URL (no credential
 * in it) at FETCHED_AT (RFC 3339), naming the NEXT page (or NULL), its body's digest
 * LABEL: {"name", "url", ("next",) "fetched_at", "sha256"}, once per name, URL and
 * digest, in the order fetched. */
void rg_evidence_note_fetch(cJSON *log, const char *name, const char *url, const char *next,
                            const char *fetched_at, const char *label);

/* Append the entries of FROM missing in TO (both arrays of notes). */
void rg_evidence_merge(cJSON *to, const cJSON *from);

/* ITEM, a note detached from another list, into TO as rg_evidence_merge would put a copy
 * of it: taken when TO does not have it yet, freed otherwise.  Allocates nothing. */
void rg_evidence_move(cJSON *to, cJSON *item);

#endif
