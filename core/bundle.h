/* Policy bundles: a directory or a .tar holding a manifest, bundle.json, that names the
 * bundle and pins every file by its SHA-256:
 *   { "name": "octo", "version": "3.1.0", "policy": "octo.lua",
 *     "files": { "octo.lua": "sha256:...", "lib/f.lua": "sha256:..." } }
 * A bundle's digest is the SHA-256 of its bundle.json, the same for the directory and
 * the tar made from it.  Opening a bundle reads every file it lists into memory and
 * checks each against its pin, so what loads is exactly what was checked. */
#ifndef RG_BUNDLE_H
#define RG_BUNDLE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "digest.h"
#include "relgate/relgate.h"

#define RG_BUNDLE_MANIFEST "bundle.json"
#define RG_BUNDLE_LOCK "relgate.lock"
#define RG_BUNDLE_MAX_FILES 1024

typedef struct rg_bundle_file {
    char *path;          /* as the manifest lists it */
    char *data;          /* its bytes, NUL-terminated, checked against the pin */
    size_t len;
} rg_bundle_file;

typedef struct rg_bundle {
    cJSON *manifest;
    const char *name, *version, *entry;   /* the manifest's name, version, policy */
    char digest[RG_SHA256_LABEL_SIZE];    /* of bundle.json */
    rg_bundle_file *files;                /* every file the manifest lists, sorted by path */
    size_t count;
} rg_bundle;

/* Is PATH a bundle: a directory holding bundle.json, or a file named *.tar?  1 or 0. */
int rg_bundle_at(const char *path);

/* Open the bundle at PATH (a directory or a .tar; DISPLAY: how messages name it), each
 * file at most MAX_FILE bytes (the policy file limit), a tar at most 64 times that.
 * With PIN ("sha256:..."; NULL: any), a bundle.json with another digest is refused
 * before its files are read, the message naming the bundle NAME and saying what pinned
 * it (PINNED_BY, e.g. " (in relgate.lock)", or "").  Everything is refused that is not
 * as the manifest says: a file missing, changed or (in a tar) not listed, a manifest
 * field unknown or malformed, and a tar member rg_tar_read refuses.  Returns the
 * bundle, or NULL with ERR (kind policy, or io when it cannot be read). */
rg_bundle *rg_bundle_open(const char *path, const char *display, size_t max_file, const char *name, const char *pin,
                          const char *pinned_by, rg_error *err);

/* The file at PATH in B, or NULL. */
const rg_bundle_file *rg_bundle_find(const rg_bundle *b, const char *path);

void rg_bundle_free(rg_bundle *b);

/* Why MANIFEST is not a bundle manifest, or NULL when it is one. */
const char *rg_bundle_bad_manifest(const cJSON *manifest);

/* A bundle's JSON file (its manifest, a lock file) read strictly, as a context is: a key
 * given twice, trailing data, a NUL or invalid UTF-8 are errors naming DIR/NAME (DIR
 * NULL: NAME alone).  NULL with ERR (kind policy). */
cJSON *rg_bundle_parse(const char *text, size_t len, const char *dir, const char *name, rg_error *err);

/* Lint: the files below the bundle directory ROOT that rg_bundle_build would pin but B's
 * manifest does not list (added since the bundle was built), each appended to PROBLEMS
 * as "DISPLAY/PATH is not in DISPLAY/bundle.json: ...".  Returns how many, or -1 when the
 * directory cannot be listed (nothing appended). */
int rg_bundle_unlisted(const rg_bundle *b, const char *root, const char *display, cJSON *problems);

/* The lock file DIR/relgate.lock, when there is one: { "bundles": { "NAME": "sha256:..." } }
 * (NAME as extends names the bundle).  Returns 1 with *LOCK (the "bundles" object inside
 * a document the caller frees with cJSON_Delete(*DOC)), 0 when there is no lock file,
 * -1 with ERR when it cannot be read or is malformed. */
int rg_bundle_read_lock(const char *dir, const char *display, cJSON **doc, const cJSON **lock, rg_error *err);

#endif
