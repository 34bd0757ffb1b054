/* Policy bundles (bundle.h): opened whole, every file checked against its pin. */
#include "bundle.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "beneath.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "tar.h"

#define TAR_FILES_FACTOR 64

int rg_bundle_at(const char *path)
{
    struct stat st;
    char manifest[PATH_MAX];
    size_t n = strlen(path);
    if (stat(path, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode))
        return (size_t)snprintf(manifest, sizeof manifest, "%s/%s", path, RG_BUNDLE_MANIFEST) < sizeof manifest &&
               stat(manifest, &st) == 0;
    return n > 4 && strcmp(path + n - 4, ".tar") == 0;
}

static int is_digest(const char *d)
{
    return d && strncmp(d, "sha256:", 7) == 0 && strlen(d) == 7 + RG_SHA256_HEX_LEN &&
           strspn(d + 7, "0123456789abcdef") == RG_SHA256_HEX_LEN;
}

static int nonempty_string(const cJSON *m, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, key));
    return s && *s && strlen(s) <= 200;
}

cJSON *rg_bundle_parse(const char *text, size_t len, const char *dir, const char *name, rg_error *err)
{
    char shown[PATH_MAX + 64], *copy = malloc(len + 1);   /* rg_json_parse wants TEXT[LEN] a NUL */
    cJSON *doc;
    if (!copy) {
        rg_fail(err, RG_ERROR_INTERNAL, name, 0, 0, "out of memory");
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (dir && strcmp(dir, ".") != 0)
        snprintf(shown, sizeof shown, "%s/%s", dir, name);
    else
        snprintf(shown, sizeof shown, "%s", name);
    doc = rg_json_parse(copy, len, shown, 16, RG_ERROR_POLICY, err);
    free(copy);
    return doc;
}

const char *rg_bundle_bad_manifest(const cJSON *m)
{
    static const char SHAPE[] =
        "a bundle manifest is { \"name\", \"version\", \"policy\": \"entry.lua\", \"files\": { \"path\": \"sha256:...\" } }";
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files"), *f;
    const char *entry = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "policy"));
    int count = 0;
    if (!cJSON_IsObject(m) || !nonempty_string(m, "name") || !nonempty_string(m, "version") || !entry ||
        !cJSON_IsObject(files))
        return SHAPE;
    cJSON_ArrayForEach(f, m) {
        /* an unknown field is a mistake (or a promise relgate does not keep): refused */
        if (strcmp(f->string, "name") != 0 && strcmp(f->string, "version") != 0 && strcmp(f->string, "policy") != 0 &&
            strcmp(f->string, "files") != 0 && !(strcmp(f->string, "description") == 0 && cJSON_IsString(f)))
            return "a bundle manifest has only the fields name, version, policy, files and description";
    }
    cJSON_ArrayForEach(f, files) {
        if (++count > RG_BUNDLE_MAX_FILES)
            return "a bundle holds at most 1024 files";
        for (const cJSON *g = files->child; g != f; g = g->next)
            if (strcasecmp(g->string, f->string) == 0)   /* one file where case is not told apart */
                return "a bundle's file paths differ in more than their case";
        if (!rg_bundle_path_ok(f->string) || strcmp(f->string, RG_BUNDLE_MANIFEST) == 0)
            return "a bundle's file paths are relative, without \".\" or \"..\" parts or a part ending in '.', of "
                   "letters, digits, '.', '_', '-' and '+' (and not bundle.json itself)";
        if (!is_digest(cJSON_GetStringValue(f)))
            return "every file of a bundle manifest has a digest \"sha256:\" and 64 lower-case hex digits";
    }
    if (!cJSON_GetObjectItemCaseSensitive(files, entry))
        return "the bundle's policy is not among its files";
    return NULL;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const rg_bundle_file *)a)->path, ((const rg_bundle_file *)b)->path);
}

const rg_bundle_file *rg_bundle_find(const rg_bundle *b, const char *path)
{
    rg_bundle_file key = {.path = (char *)path};
    return b->count ? bsearch(&key, b->files, b->count, sizeof *b->files, by_path) : NULL;
}

void rg_bundle_free(rg_bundle *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++) {
        free(b->files[i].path);
        free(b->files[i].data);
    }
    free(b->files);
    cJSON_Delete(b->manifest);
    free(b);
}

/* B's manifest from the LEN bytes TEXT: its digest taken, its shape checked, and a slot
 * for each file it lists (path set, data still NULL).  0, or -1 with ERR. */
typedef struct pinning {
    const char *name, *pin, *by;
} pinning;

static int take_manifest(rg_bundle *b, const char *text, size_t len, const char *display, const pinning *pin,
                         rg_error *err)
{
    unsigned char d[RG_SHA256_LEN];
    const char *why;
    const cJSON *f;
    rg_sha256_of(text, len, d);
    rg_sha256_label(d, b->digest, sizeof b->digest);
    if (pin->pin && strcmp(pin->pin, b->digest) != 0)
        return rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "bundle '%s' is pinned to %s%s, but %s/%s has %s: refused",
                       pin->name, pin->pin, pin->by, display, RG_BUNDLE_MANIFEST, b->digest);
    /* Read strictly: a "policy" given twice ran the first entry while other readers take
     * the last (hostile round 26, F02). */
    if (!(b->manifest = rg_bundle_parse(text, len, display, RG_BUNDLE_MANIFEST, err)))
        return -1;
    if ((why = rg_bundle_bad_manifest(b->manifest)) != NULL)
        return rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "%s/%s: %s", display, RG_BUNDLE_MANIFEST, why);
    b->name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b->manifest, "name"));
    b->version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b->manifest, "version"));
    b->entry = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b->manifest, "policy"));
    b->files = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b->manifest, "files")) + 1,
                      sizeof *b->files);
    if (!b->files)
        return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory");
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(b->manifest, "files")) {
        if (!(b->files[b->count].path = strdup(f->string)))
            return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory");
        b->count++;
    }
    qsort(b->files, b->count, sizeof *b->files, by_path);
    for (size_t i = 1; i < b->count; i++)
        if (strcmp(b->files[i - 1].path, b->files[i].path) == 0)
            return rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "%s/%s lists %s twice", display, RG_BUNDLE_MANIFEST,
                           b->files[i].path);
    return 0;
}

/* FILE's bytes DATA (LEN; taken) against its pin. */
static int take_file(rg_bundle *b, rg_bundle_file *file, char *data, size_t len, const char *display, rg_error *err)
{
    unsigned char d[RG_SHA256_LEN];
    char got[RG_SHA256_LABEL_SIZE];
    const char *pin = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->manifest, "files"), file->path));
    rg_sha256_of(data, len, d);
    rg_sha256_label(d, got, sizeof got);
    if (strcmp(got, pin) != 0) {
        free(data);
        return rg_fail(err, RG_ERROR_POLICY, display, 0, 0,
                       "%s/%s does not match its bundle's manifest: it has %s, the manifest pins %s "
                       "(a changed file: rebuild the bundle with relgate bundle build, and pin its new digest)",
                       display, file->path, got, pin);
    }
    file->data = data;
    file->len = len;
    return 0;
}

/* A file beneath the bundle directory ROOT, by the engine's one rule for paths beneath a
 * root (a symbolic link that leads out is refused). */
static int read_beneath(const char *root, const char *rel, const char *display, size_t max, char **data, size_t *len,
                        rg_error *err)
{
    char real[PATH_MAX];
    int errnum = 0;
    switch (rg_resolve_beneath(root, root, rel, NULL, real, sizeof real, NULL, 0, &errnum)) {
    case RG_BENEATH_OK:
        return rg_read_file_beneath(root, real, "bundle file", max, data, len, err);
    case RG_BENEATH_MISSING:
        return rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "%s/%s is missing: the bundle's manifest lists it", display,
                       rel);
    case RG_BENEATH_OUTSIDE:
        return rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "%s/%s leads outside the bundle (to %s)", display, rel,
                       real);
    default:
        return rg_fail(err, RG_ERROR_IO, display, 0, 0, "cannot read %s/%s: %s", display, rel,
                       strerror(errnum ? errnum : ENOENT));
    }
}

static int open_directory(rg_bundle *b, const char *path, const char *display, size_t max, const pinning *pin,
                          rg_error *err)
{
    char root[PATH_MAX], *text = NULL;
    size_t len = 0;
    int rc;
    if (!realpath(path, root))
        return rg_fail(err, RG_ERROR_IO, display, 0, 0, "cannot open bundle %s: %s", display, strerror(errno));
    if (read_beneath(root, RG_BUNDLE_MANIFEST, display, max, &text, &len, err) != 0)
        return -1;
    rc = take_manifest(b, text, len, display, pin, err);
    free(text);
    for (size_t i = 0; rc == 0 && i < b->count; i++)
        if ((rc = read_beneath(root, b->files[i].path, display, max, &text, &len, err)) == 0)
            rc = take_file(b, &b->files[i], text, len, display, err);
    return rc;
}

static char *copy_of(const unsigned char *data, size_t len)
{
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, data, len);
        c[len] = '\0';
    }
    return c;
}

static int open_tar(rg_bundle *b, const char *path, const char *display, size_t max, const pinning *pin, rg_error *err)
{
    char *archive = NULL, why[512];
    size_t len = 0, count = 0;
    rg_tar_member *m = NULL;
    const rg_tar_member *manifest = NULL;
    int rc = -1;
    if (rg_read_file(path, "bundle", max * TAR_FILES_FACTOR, &archive, &len, err) != 0)
        return -1;
    if (rg_tar_read((const unsigned char *)archive, len, 4 * RG_BUNDLE_MAX_FILES, max, &m, &count, why, sizeof why) != 0) {
        rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "bundle %s refused: %s", display, why);
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (strcmp(m[i].name, RG_BUNDLE_MANIFEST) == 0)
            manifest = &m[i];
    if (!manifest) {
        rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "bundle %s has no %s at its top", display, RG_BUNDLE_MANIFEST);
        goto out;
    }
    if (take_manifest(b, (const char *)manifest->data, manifest->size, display, pin, err) != 0)
        goto out;
    for (size_t i = 0; i < count; i++) {
        rg_bundle_file *f;
        char *data;
        if (&m[i] == manifest)
            continue;
        /* a member the manifest does not pin is refused, not ignored: what a reviewer of
         * the archive sees is what the manifest pins */
        if (!(f = (rg_bundle_file *)rg_bundle_find(b, m[i].name))) {
            rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "bundle %s refused: member %s is not in its manifest", display,
                    m[i].name);
            goto out;
        }
        if (!(data = copy_of(m[i].data, m[i].size))) {
            rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory");
            goto out;
        }
        if (take_file(b, f, data, m[i].size, display, err) != 0)
            goto out;
    }
    for (size_t i = 0; i < b->count; i++)
        if (!b->files[i].data) {
            rg_fail(err, RG_ERROR_POLICY, display, 0, 0, "%s/%s is missing: the bundle's manifest lists it", display,
                    b->files[i].path);
            goto out;
        }
    rc = 0;
out:
    free(m);
    free(archive);
    return rc;
}

rg_bundle *rg_bundle_open(const char *path, const char *display, size_t max_file, const char *name, const char *pin,
                          const char *pinned_by, rg_error *err)
{
    pinning p = {name, pin, pinned_by ? pinned_by : ""};
    struct stat st;
    rg_bundle *b = calloc(1, sizeof *b);
    int rc;
    if (!b) {
        rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory");
        return NULL;
    }
    if (stat(path, &st) != 0)
        rc = rg_fail(err, RG_ERROR_IO, display, 0, 0, "cannot open bundle %s: %s", display, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = open_directory(b, path, display, max_file, &p, err);
    else
        rc = open_tar(b, path, display, max_file, &p, err);
    if (rc != 0) {
        rg_bundle_free(b);
        return NULL;
    }
    return b;
}

int rg_bundle_read_lock(const char *dir, const char *display, cJSON **doc, const cJSON **lock, rg_error *err)
{
    char path[PATH_MAX], shown[PATH_MAX], *text = NULL;
    const cJSON *bundles, *e;
    size_t len = 0;
    struct stat st;
    *doc = NULL;
    *lock = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, RG_BUNDLE_LOCK);
    if (strcmp(display, ".") == 0)
        rg_strlcpy(shown, RG_BUNDLE_LOCK, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s/%s", display, RG_BUNDLE_LOCK);
    if (lstat(path, &st) != 0 && errno == ENOENT)
        return 0;
    if (rg_read_file(path, "lock file", 1u << 20, &text, &len, err) != 0)
        return -1;
    *doc = rg_bundle_parse(text, len, NULL, shown, err);   /* a pin given twice: refused */
    free(text);
    if (!*doc)
        return -1;
    bundles = cJSON_GetObjectItemCaseSensitive(*doc, "bundles");
    if (!cJSON_IsObject(*doc) || cJSON_GetArraySize(*doc) != 1 || !cJSON_IsObject(bundles)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return rg_fail(err, RG_ERROR_POLICY, shown, 0, 0,
                       "%s: a lock file is { \"bundles\": { \"name\": \"sha256:...\" } } and nothing else", shown);
    }
    cJSON_ArrayForEach(e, bundles) {
        if (!is_digest(cJSON_GetStringValue(e))) {
            rg_fail(err, RG_ERROR_POLICY, shown, 0, 0, "%s: bundle '%s' is pinned to something that is not "
                                                       "\"sha256:\" and 64 lower-case hex digits", shown, e->string);
            cJSON_Delete(*doc);
            *doc = NULL;
            return -1;
        }
    }
    *lock = bundles;
    return 1;
}
