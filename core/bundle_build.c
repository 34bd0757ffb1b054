/* Writing bundles (rg_bundle_build, relgate.h) and checking them (rg_bundle_check): so
 * that nobody writes a manifest by hand, and the same files always give the same bytes
 * and so the same digest. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "json_writer.h"
#include "strbuf.h"
#include "tar.h"

#define MAX_DEPTH 16

int rg_bundle_check(const char *path, const rg_limits *limits, char *digest, char *name, char *version,
                    size_t text_size, rg_error *err)
{
    rg_limits defaults = rg_limits_default();
    rg_bundle *b = rg_bundle_open(path, path, (limits ? limits : &defaults)->max_policy_bytes, NULL, NULL, NULL, err);
    if (!b)
        return -1;
    rg_strlcpy(digest, b->digest, RG_SHA256_LABEL_SIZE);
    if (name)
        rg_strlcpy(name, b->name, text_size);
    if (version)
        rg_strlcpy(version, b->version, text_size);
    rg_bundle_free(b);
    return 0;
}

typedef struct listing {
    char **paths;
    size_t count, cap;
} listing;

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file below ROOT/REL (REL "" for ROOT itself) into L, relative to ROOT. */
static int list_files(const char *root, const char *rel, int depth, listing *l, rg_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX], child[PATH_MAX];
    DIR *d;
    struct dirent *e;
    int rc = 0;
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    if (depth > MAX_DEPTH)
        return rg_fail(err, RG_ERROR_POLICY, dir, 0, 0, "%s is nested too deep for a bundle", dir);
    if (!(d = opendir(dir)))
        return rg_fail(err, RG_ERROR_IO, dir, 0, 0, "cannot read directory %s: %s", dir, strerror(errno));
    while (rc == 0 && (e = readdir(d)) != NULL) {
        struct stat st;
        /* hidden names (.git, editor files) are not the bundle's; nor is its manifest */
        if (e->d_name[0] == '.' || (!*rel && strcmp(e->d_name, RG_BUNDLE_MANIFEST) == 0))
            continue;
        if ((size_t)snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= RG_TAR_NAME_MAX ||
            !rg_bundle_path_ok(child)) {
            rc = rg_fail(err, RG_ERROR_POLICY, dir, 0, 0, "%s/%s: a bundle's file names are letters, digits, '.', "
                         "'_', '-' and '+', at most 255 bytes with their folders", dir, e->d_name);
            break;
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s", root, child) >= sizeof path) {
            rc = rg_fail(err, RG_ERROR_IO, root, 0, 0, "%s/%s: the path is too long", root, child);
        } else if (lstat(path, &st) != 0) {
            rc = rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read %s: %s", path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = list_files(root, child, depth + 1, l, err);
        } else if (!S_ISREG(st.st_mode)) {
            rc = rg_fail(err, RG_ERROR_POLICY, path, 0, 0, "%s is %s: a bundle holds only regular files", path,
                         S_ISLNK(st.st_mode) ? "a symbolic link" : rg_file_kind(st.st_mode));
        } else if (l->count == RG_BUNDLE_MAX_FILES) {
            rc = rg_fail(err, RG_ERROR_POLICY, root, 0, 0, "%s holds more than %d files: too many for a bundle", root,
                         RG_BUNDLE_MAX_FILES);
        } else {
            if (l->count == l->cap) {
                char **grown = realloc(l->paths, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof *grown);
                if (!grown) {
                    rc = rg_fail(err, RG_ERROR_INTERNAL, root, 0, 0, "out of memory");
                    break;
                }
                l->paths = grown;
            }
            if (!(l->paths[l->count] = strdup(child)))
                rc = rg_fail(err, RG_ERROR_INTERNAL, root, 0, 0, "out of memory");
            else
                l->count++;
        }
    }
    closedir(d);
    return rc;
}

int rg_bundle_unlisted(const rg_bundle *b, const char *root, const char *display, cJSON *problems)
{
    listing files = {0};
    rg_error err;
    int found = 0;
    rg_error_init(&err);
    if (list_files(root, "", 0, &files, &err) != 0) {
        rg_error_clear(&err);
        listing_free(&files);
        return -1;
    }
    qsort(files.paths, files.count, sizeof *files.paths, compare_paths);
    for (size_t i = 0; i < files.count; i++) {
        char text[2 * PATH_MAX];
        if (rg_bundle_find(b, files.paths[i]))
            continue;
        snprintf(text, sizeof text, "%s/%s is not in %s/%s: it does not load; relgate bundle build %s pins it "
                 "(a new digest to pin)", display, files.paths[i], display, RG_BUNDLE_MANIFEST, display);
        cJSON_AddItemToArray(problems, cJSON_CreateString(text));
        found++;
    }
    listing_free(&files);
    return found;
}

/* The manifest DIR has now (NULL when it has none or it does not parse: it is being
 * rebuilt). */
static cJSON *old_manifest(const char *dir)
{
    char path[PATH_MAX], *text = NULL;
    size_t len = 0;
    rg_error err;
    cJSON *m;
    rg_error_init(&err);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, RG_BUNDLE_MANIFEST) >= sizeof path ||
        rg_read_file(path, "bundle manifest", 1u << 20, &text, &len, &err) != 0) {
        rg_error_clear(&err);
        return NULL;
    }
    m = rg_bundle_parse(text, len, dir, RG_BUNDLE_MANIFEST, &err);
    rg_error_clear(&err);
    free(text);
    return m;
}

static const char *field(const cJSON *m, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, key));
}

int rg_bundle_build(const char *dir, const char *name, const char *version, const char *entry, const char *tar,
                    const rg_limits *limits, char *digest, rg_error *err)
{
    rg_limits defaults = rg_limits_default();
    size_t max = (limits ? limits : &defaults)->max_policy_bytes;
    listing files = {0};
    char **data = NULL, real[PATH_MAX], own[PATH_MAX], entry_name[PATH_MAX], *manifest = NULL;
    size_t *lens = NULL, manifest_len = 0;
    unsigned char *archive = NULL, d[RG_SHA256_LEN];
    size_t archive_len = 0;
    cJSON *old = NULL, *check = NULL;
    const char *description, *why;
    rg_strbuf out = {0};
    rg_jw w;
    int rc = -1;

    if (!realpath(dir, real))
        return rg_fail(err, RG_ERROR_IO, dir, 0, 0, "cannot open bundle directory %s: %s", dir, strerror(errno));
    if (tar) {
        /* a tar written inside the directory would be in the next build's files */
        char tar_dir[PATH_MAX], tar_real[PATH_MAX];
        rg_path_dir(tar, tar_dir, sizeof tar_dir);
        if (realpath(tar_dir, tar_real) && rg_path_within(tar_real, real))
            return rg_fail(err, RG_ERROR_USAGE, tar, 0, 0, "%s is inside the bundle directory %s: write the tar "
                           "elsewhere", tar, dir);
    }
    old = old_manifest(real);
    rg_strlcpy(own, strrchr(real, '/') && strrchr(real, '/')[1] ? strrchr(real, '/') + 1 : real, sizeof own);
    if (!name)
        name = field(old, "name") ? field(old, "name") : own;
    if (!version && !(version = field(old, "version"))) {
        rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "%s has no %s to take the version from: give --version", dir,
                RG_BUNDLE_MANIFEST);
        goto out;
    }
    if (!entry) {
        if ((size_t)snprintf(entry_name, sizeof entry_name, "%s.lua", name) >= sizeof entry_name)
            entry_name[0] = '\0';
        entry = field(old, "policy") ? field(old, "policy") : entry_name;
    }
    description = field(old, "description");
    if (list_files(real, "", 0, &files, err) != 0)
        goto out;
    qsort(files.paths, files.count, sizeof *files.paths, compare_paths);
    if (!(data = calloc(files.count + 1, sizeof *data)) || !(lens = calloc(files.count + 1, sizeof *lens))) {
        rg_fail(err, RG_ERROR_INTERNAL, dir, 0, 0, "out of memory");
        goto out;
    }
    /* the manifest, its fields in one order, its files sorted: the same files, the same text */
    rg_jw_init(&w, &out, 1);
    rg_jw_object(&w);
    rg_jw_key_string(&w, "name", name);
    rg_jw_key_string(&w, "version", version);
    if (description)
        rg_jw_key_string(&w, "description", description);
    rg_jw_key_string(&w, "policy", entry);
    rg_jw_key(&w, "files");
    rg_jw_object(&w);
    for (size_t i = 0; i < files.count; i++) {
        char path[PATH_MAX], label[RG_SHA256_LABEL_SIZE];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", real, files.paths[i]) >= sizeof path) {
            rg_fail(err, RG_ERROR_IO, dir, 0, 0, "%s/%s: the path is too long", dir, files.paths[i]);
            goto out;
        }
        if (rg_read_file(path, "bundle file", max, &data[i], &lens[i], err) != 0)
            goto out;
        rg_sha256_of(data[i], lens[i], d);
        rg_sha256_label(d, label, sizeof label);
        rg_jw_key_string(&w, files.paths[i], label);
    }
    rg_jw_end(&w, 1);
    rg_jw_end(&w, 1);
    rg_strbuf_add(&out, "\n", 1);
    manifest_len = out.len;
    if (!(manifest = rg_strbuf_finish(&out))) {
        rg_fail(err, RG_ERROR_INTERNAL, dir, 0, 0, "out of memory");
        goto out;
    }
    /* what the reader would refuse is not written */
    check = rg_bundle_parse(manifest, manifest_len, dir, RG_BUNDLE_MANIFEST, err);
    if (!check)
        goto out;
    if ((why = rg_bundle_bad_manifest(check)) != NULL) {
        rg_fail(err, RG_ERROR_POLICY, dir, 0, 0, "%s: %s (its policy %s%s)", dir, why, entry,
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(check, "files"), entry)
                    ? "" : " is not among its files: give --entry");
        goto out;
    }
    rg_sha256_of(manifest, manifest_len, d);
    rg_sha256_label(d, digest, RG_SHA256_LABEL_SIZE);
    if (!tar) {
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", real, RG_BUNDLE_MANIFEST) >= sizeof path)
            rg_fail(err, RG_ERROR_IO, dir, 0, 0, "%s: the path is too long", dir);
        else
            rc = rg_write_file_atomic(path, manifest, manifest_len, err);
        goto out;
    }
    if (rg_tar_append(&archive, &archive_len, RG_BUNDLE_MANIFEST, manifest, manifest_len) != 0)
        goto oom;
    for (size_t i = 0; i < files.count; i++)
        if (rg_tar_append(&archive, &archive_len, files.paths[i], data[i], lens[i]) != 0)
            goto oom;
    if (rg_tar_finish(&archive, &archive_len) != 0)
        goto oom;
    rc = rg_write_file_atomic(tar, (const char *)archive, archive_len, err);
    goto out;
oom:
    rg_fail(err, RG_ERROR_INTERNAL, dir, 0, 0, "out of memory writing %s", tar);
out:
    for (size_t i = 0; data && i < files.count; i++)
        free(data[i]);
    free(data);
    free(lens);
    free(manifest);
    free(archive);
    free(out.data);
    listing_free(&files);
    cJSON_Delete(old);
    cJSON_Delete(check);
    return rc;
}
