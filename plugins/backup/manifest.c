/* relgate-backup-manifest/1: the snapshot list a backup job writes (see README.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "rfc3339.h"

#define MANIFEST_FORMAT "relgate-backup-manifest/1"

/* Member KEY of OBJ, with a duplicate reported as a malformed snapshot. */
#define GET(obj, key) rg_json_member((obj), (key), &dup)

static int bad(char *why, size_t n, size_t i, const char *id, const char *what)
{
    char cid[96];
    if (id)
        snprintf(why, n, "snapshots[%zu] (id '%s'): %s", i, bk_clean(cid, sizeof cid, id), what);
    else
        snprintf(why, n, "snapshots[%zu]: %s", i, what);
    return -1;
}

/* Absent or null. */
static int none(const cJSON *v)
{
    return !v || cJSON_IsNull(v);
}

/* A relative path that stays below the manifest's directory: no leading '/', no ".."
 * component, no NUL (cJSON strings cannot hold one). */
static int safe_relative(const char *p)
{
    const char *c = p;
    if (!*p || *p == '/')
        return 0;
    while (*c) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return 0;
        c += len;
        if (*c == '/')
            c++;
    }
    return 1;
}

static int read_paths(const cJSON *arr, bk_snapshot *s)
{
    int n = cJSON_GetArraySize(arr), k = 0;
    const cJSON *p;
    s->paths = calloc(n > 0 ? (size_t)n : 1, sizeof *s->paths);
    if (!s->paths)
        return -1;
    cJSON_ArrayForEach(p, arr) {
        if (!cJSON_IsString(p))
            return -1;
        s->paths[k++] = p->valuestring;
    }
    s->path_count = (size_t)k;
    s->has_paths = 1;
    return 0;
}

static int read_snapshot(const cJSON *o, size_t i, bk_list *out, char *why, size_t n)
{
    const cJSON *id, *status, *started, *completed, *size, *sha, *file, *rv, *host, *paths;
    const char *st;
    bk_snapshot *s;
    int dup = 0;
    int64_t t;

    if (!cJSON_IsObject(o))
        return bad(why, n, i, NULL, "not an object");
    id = GET(o, "id");
    status = GET(o, "status");
    started = GET(o, "started_at");
    completed = GET(o, "completed_at");
    size = GET(o, "size_bytes");
    sha = GET(o, "sha256");
    file = GET(o, "file");
    rv = GET(o, "restore_verified");
    host = GET(o, "hostname");
    paths = GET(o, "paths");
    if (dup)
        return bad(why, n, i, NULL, "a key occurs twice");
    if (!cJSON_IsString(id) || !id->valuestring[0])
        return bad(why, n, i, NULL, "\"id\" must be a non-empty string");
    if (!(s = bk_list_add(out)))
        return bad(why, n, i, NULL, "out of memory");
    s->id = id->valuestring;
    st = cJSON_IsString(status) ? status->valuestring : NULL;
    if (st && strcmp(st, "completed") == 0)
        s->status = BK_COMPLETED;
    else if (st && strcmp(st, "failed") == 0)
        s->status = BK_FAILED;
    else if (st && strcmp(st, "running") == 0)
        s->status = BK_RUNNING;
    else
        return bad(why, n, i, s->id, "\"status\" must be \"completed\", \"failed\" or \"running\"");

    if (!none(started) && bk_time_parse(cJSON_GetStringValue(started), &t) != 0)
        return bad(why, n, i, s->id, "\"started_at\" is not an RFC 3339 time");
    if (!none(completed)) {
        if (bk_time_parse(cJSON_GetStringValue(completed), &s->time) != 0)
            return bad(why, n, i, s->id, "\"completed_at\" is not an RFC 3339 time");
        if (!none(started) && s->time < t)
            return bad(why, n, i, s->id, "\"completed_at\" is before \"started_at\"");
        s->has_time = s->time_is_end = 1;
        s->time_kind = "completed_at";
        s->time_text = completed->valuestring;
    } else if (s->status == BK_COMPLETED) {
        return bad(why, n, i, s->id, "a completed snapshot needs \"completed_at\"");
    } else if (!none(started)) {
        s->time = t; /* for ordering the report only: never chosen */
        s->has_time = 1;
        s->time_kind = "started_at";
        s->time_text = started->valuestring;
    }
    if (!none(size)) {
        if (bk_json_size(size, &s->size) != 0)
            return bad(why, n, i, s->id, "\"size_bytes\" must be a whole number of bytes, 0 to 2^53");
        s->has_size = 1;
        s->size_kind = "size_bytes";
    } else if (s->status == BK_COMPLETED) {
        return bad(why, n, i, s->id, "a completed snapshot needs \"size_bytes\"");
    }
    if (!none(sha)) {
        if (!cJSON_IsString(sha) || !bk_is_sha256_hex(sha->valuestring))
            return bad(why, n, i, s->id, "\"sha256\" must be 64 hex digits or null");
        s->sha256 = sha->valuestring;
    }
    if (!none(file)) {
        if (!cJSON_IsString(file) || !safe_relative(file->valuestring))
            return bad(why, n, i, s->id,
                       "\"file\" must be a relative path without \"..\" (or null)");
        s->file = file->valuestring;
    }
    if (!none(rv)) {
        if (!cJSON_IsBool(rv))
            return bad(why, n, i, s->id, "\"restore_verified\" must be true, false or null");
        s->restore_verified = cJSON_IsTrue(rv);
    } else {
        s->restore_verified = 0; /* the manifest records it: absent means not verified */
    }
    if (!none(host)) {
        if (!cJSON_IsString(host))
            return bad(why, n, i, s->id, "\"hostname\" must be a string or null");
        s->hostname = host->valuestring;
    }
    if (!none(paths)) {
        if (!cJSON_IsArray(paths) || read_paths(paths, s) != 0)
            return bad(why, n, i, s->id, "\"paths\" must be a list of strings or null");
    } else {
        s->paths_why = "the manifest lists no paths for it";
    }
    return 0;
}

int bk_manifest_read(const cJSON *root, bk_list *out, char *why, size_t n)
{
    const cJSON *fmt, *snaps, *o;
    int dup = 0;
    size_t i = 0;
    if (!cJSON_IsObject(root)) {
        snprintf(why, n, "a backup manifest is a JSON object");
        return -1;
    }
    fmt = GET(root, "format");
    snaps = GET(root, "snapshots");
    if (dup) {
        snprintf(why, n, "a top-level key occurs twice");
        return -1;
    }
    if (fmt && !(cJSON_IsString(fmt) && strcmp(fmt->valuestring, MANIFEST_FORMAT) == 0)) {
        char c[64];
        snprintf(why, n, "\"format\" is '%s', this plugin reads " MANIFEST_FORMAT,
                 cJSON_IsString(fmt) ? bk_clean(c, sizeof c, fmt->valuestring) : "not a string");
        return -1;
    }
    if (!cJSON_IsArray(snaps)) {
        snprintf(why, n, "\"snapshots\" must be a list");
        return -1;
    }
    out->variant = fmt ? MANIFEST_FORMAT : MANIFEST_FORMAT " (no \"format\" field)";
    cJSON_ArrayForEach(o, snaps) {
        if (read_snapshot(o, i++, out, why, n) != 0)
            return -1;
    }
    return 0;
}
