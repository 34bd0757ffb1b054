/* `restic snapshots --json`: an array of snapshots, or with --group-by an array of
 * {group_key, snapshots}.  restic writes a snapshot only when a backup finished, so
 * every one listed is complete; "time" is when it started, and restic >= 0.17 adds a
 * "summary" with backup_end and total_bytes_processed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "rfc3339.h"

static int bad(char *why, size_t n, const char *where, const char *what)
{
    snprintf(why, n, "%s: %s", where, what);
    return -1;
}

static int read_snapshot(const cJSON *o, const char *where, bk_list *out, char *why, size_t n)
{
    const cJSON *time, *tree, *paths, *id, *shortid, *host, *sum, *excl, *end = NULL, *bytes = NULL, *p;
    bk_snapshot *s;
    int dup = 0, k = 0;
    int64_t t;

    if (!cJSON_IsObject(o))
        return bad(why, n, where, "not an object");
    time = rg_json_member(o, "time", &dup);
    tree = rg_json_member(o, "tree", &dup);
    paths = rg_json_member(o, "paths", &dup);
    id = rg_json_member(o, "id", &dup);
    shortid = rg_json_member(o, "short_id", &dup);
    host = rg_json_member(o, "hostname", &dup);
    sum = rg_json_member(o, "summary", &dup);
    excl = rg_json_member(o, "excludes", &dup);
    if (sum && !cJSON_IsNull(sum)) {
        if (!cJSON_IsObject(sum))
            return bad(why, n, where, "\"summary\" is not an object");
        end = rg_json_member(sum, "backup_end", &dup);
        bytes = rg_json_member(sum, "total_bytes_processed", &dup);
    }
    if (dup)
        return bad(why, n, where, "a key occurs twice");
    if (!cJSON_IsString(id) || !id->valuestring[0])
        return bad(why, n, where, "\"id\" must be a non-empty string");
    if (!cJSON_IsString(tree))
        return bad(why, n, where, "\"tree\" must be a string");
    if (shortid && !cJSON_IsString(shortid))
        return bad(why, n, where, "\"short_id\" must be a string");
    if (host && !cJSON_IsNull(host) && !cJSON_IsString(host))
        return bad(why, n, where, "\"hostname\" must be a string");
    if (!(s = bk_list_add(out)))
        return bad(why, n, where, "out of memory");
    s->id = id->valuestring;
    s->short_id = cJSON_IsString(shortid) && shortid->valuestring[0] ? shortid->valuestring : NULL;
    s->status = BK_COMPLETED;
    s->hostname = cJSON_GetStringValue(host);
    if (bk_time_parse(cJSON_GetStringValue(time), &s->time) != 0)
        return bad(why, n, where, "\"time\" is not an RFC 3339 time");
    s->has_time = 1;
    s->time_kind = "time";
    s->time_text = time->valuestring;
    if (end && !cJSON_IsNull(end)) {
        if (bk_time_parse(cJSON_GetStringValue(end), &t) != 0)
            return bad(why, n, where, "\"summary.backup_end\" is not an RFC 3339 time");
        if (t >= s->time) { /* Go's zero time (year 1) would make it look ancient */
            s->time = t;
            s->time_is_end = 1;
            s->time_kind = "summary.backup_end";
            s->time_text = end->valuestring;
        }
    }
    if (bytes && !cJSON_IsNull(bytes)) {
        if (bk_json_size(bytes, &s->size) != 0)
            return bad(why, n, where, "\"summary.total_bytes_processed\" is not a byte count");
        s->has_size = 1;
        s->size_kind = "summary.total_bytes_processed";
    }
    if (cJSON_IsArray(paths)) {
        s->paths = calloc((size_t)cJSON_GetArraySize(paths) + 1, sizeof *s->paths);
        if (!s->paths)
            return bad(why, n, where, "out of memory");
        cJSON_ArrayForEach(p, paths) {
            if (!cJSON_IsString(p))
                return bad(why, n, where, "\"paths\" must be a list of strings");
            s->paths[k++] = p->valuestring;
        }
        s->path_count = (size_t)k;
        s->has_paths = 1;
    } else if (paths && !cJSON_IsNull(paths)) {
        return bad(why, n, where, "\"paths\" must be a list of strings");
    } else {
        s->paths_why = "restic lists no paths for it";
    }
    if (excl && !cJSON_IsNull(excl) && !cJSON_IsArray(excl))
        return bad(why, n, where, "\"excludes\" must be a list");
    /* restic records only --exclude patterns: --exclude-file, --iexclude,
     * --exclude-if-present, --exclude-caches, --exclude-larger-than and -x leave no trace,
     * so a path under a listed one may be left out unseen (hostile round 28, F01): only a
     * path a snapshot lists itself is held. */
    s->excludes = 1;
    if (!sum || cJSON_IsNull(sum))
        s->note = "no summary (restic before 0.17): time is when the backup started, size unknown";
    return 0;
}

int bk_restic_read(const cJSON *root, bk_list *out, char *why, size_t n)
{
    const cJSON *item, *snaps, *o;
    char where[64];
    size_t i = 0, j;
    int dup = 0;

    if (!cJSON_IsArray(root)) {
        snprintf(why, n, "restic snapshots --json writes a list");
        return -1;
    }
    out->variant = "restic snapshots --json";
    cJSON_ArrayForEach(item, root) {
        if (cJSON_IsObject(item) && rg_json_member(item, "group_key", &dup)) {
            out->variant = "restic snapshots --json --group-by";
            snaps = rg_json_member(item, "snapshots", &dup);
            if (dup || !cJSON_IsArray(snaps)) {
                snprintf(why, n, "[%zu]: a group needs one \"snapshots\" list", i);
                return -1;
            }
            j = 0;
            cJSON_ArrayForEach(o, snaps) {
                snprintf(where, sizeof where, "[%zu].snapshots[%zu]", i, j++);
                if (read_snapshot(o, where, out, why, n) != 0)
                    return -1;
            }
        } else {
            snprintf(where, sizeof where, "[%zu]", i);
            if (read_snapshot(item, where, out, why, n) != 0)
                return -1;
        }
        i++;
    }
    return 0;
}
