/* Evidence paths: relative to the context, never outside the evidence root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "json.h"
#include "live_source.h"
#include "path_cache.h"

int rg_path_join_normalized(const char *dir, const char *rel, char *out, size_t size)
{
    size_t n;
    if (rel[0] == '/' || size < 2)
        return -1;
    n = strlen(dir);
    if (n >= size)
        return -1;
    memcpy(out, dir, n + 1);
    if (n == 1 && out[0] == '/')
        n = 0; /* root: components are appended as "/x" */
    while (*rel) {
        const char *end = strchr(rel, '/');
        size_t len = end ? (size_t)(end - rel) : strlen(rel);
        if (len == 0 || (len == 1 && rel[0] == '.')) {
            /* nothing */
        } else if (len == 2 && rel[0] == '.' && rel[1] == '.') {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;  /* drop the slash too */
            out[n] = '\0';
        } else {
            if (n + 1 + len >= size)
                return -1;
            out[n++] = '/';
            memcpy(out + n, rel, len);
            n += len;
            out[n] = '\0';
        }
        rel += len;
        if (*rel == '/') rel++;
    }
    if (n == 0) {
        out[0] = '/';
        out[1] = '\0';
    }
    return 0;
}

int rg_path_within(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path[0] == '/';
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static const cJSON *evidence_object(const rg_context *ctx)
{
    return cJSON_GetObjectItemCaseSensitive(ctx->root, "evidence");
}

int rg_evidence_validate(const rg_context *ctx, rg_error *err)
{
    const cJSON *ev = evidence_object(ctx), *item;
    char joined[PATH_MAX];
    int bad = 0;
    if (!ev || cJSON_IsNull(ev))
        return 0;
    if (!cJSON_IsObject(ev))
        return rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                              "%s: \"evidence\" must be an object mapping names to file paths",
                              ctx->display);
    cJSON_ArrayForEach(item, ev) {
        const char *rel = item->valuestring;
        if (rg_live_source_is(item)) {
            if (rg_live_source_validate(ctx, item->string, item, err) != 0)
                bad = -1;
        } else if (!cJSON_IsString(item) || rel[0] == '\0') {
            bad = rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                                 "%s: evidence.%s must be a non-empty path string", ctx->display,
                                 item->string);
        } else if (rel[0] == '/') {
            bad = rg_add_problem(err, RG_ERROR_EVIDENCE, ctx->display,
                                 "%s: evidence.%s: absolute path '%s' is not allowed; give a path "
                                 "relative to the context file", ctx->display, item->string, rel);
        } else if (rg_path_join_normalized(ctx->dir, rel, joined, sizeof joined) != 0) {
            bad = rg_add_problem(err, RG_ERROR_EVIDENCE, ctx->display,
                                 "%s: evidence.%s: path '%s' is too long", ctx->display,
                                 item->string, rel);
        } else if (!rg_path_within(joined, ctx->evidence_root)) {
            bad = rg_add_problem(err, RG_ERROR_EVIDENCE, ctx->display,
                                 "%s: evidence.%s: path '%s' leaves %s (use --evidence-root to "
                                 "allow a wider directory)", ctx->display, item->string, rel,
                                 ctx->evidence_root);
        }
    }
    return bad;
}

int rg_evidence_addressed_label(const rg_context *ctx, const char *path, char *label)
{
    const char *slash = strrchr(path, '/'), *dir;
    if (!ctx->content_addressed || !slash || slash - path < 65 || slash[-65] != '/')
        return 0;
    dir = slash - 64;
    for (int i = 0; i < 64; i++)
        if (!((dir[i] >= '0' && dir[i] <= '9') || (dir[i] >= 'a' && dir[i] <= 'f')))
            return 0;
    snprintf(label, RG_SHA256_LABEL_SIZE, "sha256:%.64s", dir);
    return 1;
}

/* Whether REAL is the context's directory joined with REL as written: no link was
 * followed on the way. */
static int reached_as_written(const rg_context *ctx, const char *rel, const char *real)
{
    size_t n = strlen(ctx->dir);
    return strncmp(real, ctx->dir, n) == 0 && real[n] == '/' && strcmp(real + n + 1, rel) == 0;
}

rg_evidence_status rg_evidence_resolve(const rg_context *ctx, const char *name, char *path,
                                       size_t size, char *why, size_t why_size)
{
    const cJSON *ev = evidence_object(ctx);
    const char *rel = rg_json_string(ev, name);
    char real[PATH_MAX], target[PATH_MAX];
    int errnum;

    if (!rel && rg_live_source_is(cJSON_GetObjectItemCaseSensitive(ev, name))) {
        char what[64];
        rg_live_source_describe(cJSON_GetObjectItemCaseSensitive(ev, name), what, sizeof what);
        snprintf(why, why_size, "evidence '%s' is a live source (%s), not a file: only a check that "
                 "fetches it (ci.status) can read it", name, what);
        return RG_EVIDENCE_UNUSABLE;
    }
    if (!rel) {
        snprintf(why, why_size, "evidence '%s' is not declared in the context", name);
        return RG_EVIDENCE_UNDECLARED;
    }
    switch (rg_resolve_beneath(ctx->evidence_root, ctx->dir, rel, ctx->paths, real, sizeof real, target,
                               sizeof target, &errnum)) {
    case RG_BENEATH_OK:
        break;
    case RG_BENEATH_LEAVES:
        snprintf(why, why_size, "evidence '%s': path '%s' leaves %s", name, rel, ctx->evidence_root);
        return RG_EVIDENCE_ESCAPES;
    case RG_BENEATH_MISSING:
        /* A dangling link may still point outside: say so rather than "missing". */
        if (target[0])
            snprintf(why, why_size, "evidence '%s': %s is a link to missing %s", name, rel, target);
        else
            snprintf(why, why_size, "evidence '%s': %s does not exist", name, rel);
        return RG_EVIDENCE_MISSING;
    case RG_BENEATH_UNUSABLE:
        snprintf(why, why_size, "evidence '%s': %s: %s", name, rel, strerror(errnum));
        return RG_EVIDENCE_UNUSABLE;
    case RG_BENEATH_OUTSIDE:
        snprintf(why, why_size, "evidence '%s': %s resolves to %s, outside %s", name, rel, real,
                 ctx->evidence_root);
        return RG_EVIDENCE_ESCAPES;
    }
    /* Content-addressed evidence's writer makes no link: a path reached through one (or
     * one the run's path cache still remembers reaching through a link since removed)
     * would name other bytes than its directory does.  Looked at afresh, and refused
     * unless it is now the file as written. */
    if (ctx->content_addressed && !reached_as_written(ctx, rel, real) &&
        (!ctx->paths ||
         rg_resolve_beneath(ctx->evidence_root, ctx->dir, rel, NULL, real, sizeof real, target, sizeof target,
                            &errnum) != RG_BENEATH_OK ||
         !reached_as_written(ctx, rel, real))) {
        snprintf(why, why_size, "evidence '%s': %s is reached through a link, where none is made", name, rel);
        return RG_EVIDENCE_UNUSABLE;
    }
    if (strlen(real) >= size) {
        snprintf(why, why_size, "evidence '%s': path too long", name);
        return RG_EVIDENCE_UNUSABLE;
    }
    memcpy(path, real, strlen(real) + 1);
    return RG_EVIDENCE_OK;
}

/* When CTX shares a path cache: forget NAME's path there, resolve it afresh into PATH
 * and *ST, and return 1.  0: there is nothing to look at afresh. */
static int resolve_again(const rg_context *ctx, const char *name, char *path, size_t size, char *why,
                         size_t why_size, rg_evidence_status *st)
{
    const char *rel = rg_json_string(evidence_object(ctx), name);
    char joined[PATH_MAX];
    if (!ctx->paths || !rel || rg_path_join_normalized(ctx->dir, rel, joined, sizeof joined) != 0)
        return 0;
    rg_path_cache_forget(ctx->paths, joined);
    *st = rg_evidence_resolve(ctx, name, path, size, why, why_size);
    return 1;
}

int rg_evidence_open(const rg_context *ctx, const char *name, char *path, size_t size, struct stat *fst,
                     rg_evidence_status *st, char *why, size_t why_size)
{
    int fd = rg_open_regular_beneath(ctx->evidence_root, path, O_RDONLY, fst);
    /* A link that appeared on a path the run remembers with none: resolved afresh, as
     * the context alone would be. */
    if (fd < 0 && resolve_again(ctx, name, path, size, why, why_size, st))
        fd = *st == RG_EVIDENCE_OK ? rg_open_regular_beneath(ctx->evidence_root, path, O_RDONLY, fst)
                                   : RG_OPEN_FAILED;
    return fd;
}

rg_evidence_status rg_evidence_read(const rg_context *ctx, const char *name, size_t max,
                                    char **data, size_t *len, char *why, size_t why_size)
{
    char path[PATH_MAX];
    struct stat fst;
    rg_error err;
    rg_evidence_status st = rg_evidence_resolve(ctx, name, path, sizeof path, why, why_size);
    int fd;
    rg_error_init(&err);
    *data = NULL;
    *len = 0;
    if (st != RG_EVIDENCE_OK)
        return st;
    fd = rg_evidence_open(ctx, name, path, sizeof path, &fst, &st, why, why_size);
    if (st != RG_EVIDENCE_OK)
        return st;
    if (rg_read_opened(fd, &fst, path, "evidence", max, data, len, fd == RG_OPEN_FAILED ? rg_open_failure(errno) : NULL,
                       &err) != 0) {
        snprintf(why, why_size, "evidence '%s': %s", name, err.message);
        rg_error_clear(&err);
        return RG_EVIDENCE_UNUSABLE;
    }
    return RG_EVIDENCE_OK;
}

/* Whether LOG has a note of NAME with DIGEST (and URL: a live page; NULL: a file). */
static int noted(const cJSON *log, const char *name, const char *digest, const char *url)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, log) {
        const char *n = rg_json_string(e, "name"), *d = rg_json_string(e, "sha256");
        const char *u = rg_json_string(e, "url");
        if (n && d && strcmp(n, name) == 0 && strcmp(d, digest) == 0 && !u == !url && (!u || strcmp(u, url) == 0))
            return 1;
    }
    return 0;
}

void rg_evidence_note(cJSON *log, const rg_context *ctx, const char *name, const char *data,
                      size_t len)
{
    unsigned char digest[RG_SHA256_LEN];
    char label[RG_SHA256_LABEL_SIZE];
    if (!log || !name)
        return;
    rg_sha256_of(data, len, digest);
    rg_sha256_label(digest, label, sizeof label);
    rg_evidence_note_digest(log, ctx, name, label);
}

void rg_evidence_note_digest(cJSON *log, const rg_context *ctx, const char *name, const char *label)
{
    cJSON *e;
    if (!log || !name || !label)
        return;
    if (noted(log, name, label, NULL))
        return;
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "path", rg_json_string(evidence_object(ctx), name) ? rg_json_string(evidence_object(ctx), name) : "");
    cJSON_AddStringToObject(e, "sha256", label);
    cJSON_AddItemToArray(log, e);
}

void rg_evidence_move(cJSON *to, cJSON *item)
{
    const char *n = rg_json_string(item, "name"), *d = rg_json_string(item, "sha256");
    if (n && d && !noted(to, n, d, rg_json_string(item, "url")))
        cJSON_AddItemToArray(to, item);
    else
        cJSON_Delete(item);
}

void rg_evidence_merge(cJSON *to, const cJSON *from)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, from) {
        const char *n = rg_json_string(e, "name"), *d = rg_json_string(e, "sha256");
        if (n && d && !noted(to, n, d, rg_json_string(e, "url")))
            cJSON_AddItemToArray(to, cJSON_Duplicate(e, 1));
    }
}

void rg_evidence_note_fetch(cJSON *log, const char *name, const char *url, const char *next,
                            const char *fetched_at, const char *label)
{
    cJSON *e;
    if (!log || !name || !url || !fetched_at || !label || noted(log, name, label, url))
        return;
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "url", url);
    if (next)
        cJSON_AddStringToObject(e, "next", next);
    cJSON_AddStringToObject(e, "fetched_at", fetched_at);
    cJSON_AddStringToObject(e, "sha256", label);
    cJSON_AddItemToArray(log, e);
}
