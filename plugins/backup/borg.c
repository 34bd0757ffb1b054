/* `borg list --json` and `borg info --json`: {"archives": [...], "repository": {...},
 * "encryption": {...}}.  borg 1.x writes times without a zone, in the local time of
 * the process that ran `borg list` (not UTC: borgbackup/borg#4832, #2368); borg 2
 * adds the offset.  Zone-less times are read with opts->naive_offset (the check's
 * "timezone" parameter).  `list` gives start times only; `info` adds "end", "stats",
 * "hostname" and "command_line". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "rfc3339.h"

static int bad(char *why, size_t n, size_t i, const char *what)
{
    snprintf(why, n, "archives[%zu]: %s", i, what);
    return -1;
}

/* borg names the parts of an interrupted backup NAME.checkpoint or NAME.checkpoint.N. */
static int is_checkpoint(const char *name)
{
    const char *p = strstr(name, ".checkpoint");
    while (p) {
        const char *q = p + strlen(".checkpoint");
        if (*q == '\0')
            return 1;
        if (*q == '.' && q[1]) {
            for (q++; *q >= '0' && *q <= '9'; q++)
                ;
            if (*q == '\0')
                return 1;
        }
        p = strstr(p + 1, ".checkpoint");
    }
    return 0;
}

static int option_reads_paths(const char *a)
{
    static const char *const opts[] = {"--paths-from-stdin", "--paths-from-command",
                                       "--content-from-command", "--patterns-from", "--pattern"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        size_t n = strlen(opts[i]);
        if (strncmp(a, opts[i], n) == 0 && (a[n] == '\0' || a[n] == '='))
            return 1;
    }
    return 0;
}

/* Options of `borg create` that change how, not what, it archives.  Any other
 * (--exclude, --one-file-system, --exclude-caches, ...) may leave things out. */
static int option_keeps_content(const char *a)
{
    static const char *const opts[] = {
        "--timestamp", "--comment", "--compression", "-C", "--stats", "-s", "--list", "--progress",
        "-p", "--verbose", "-v", "--info", "--debug", "--debug-topic", "--critical", "--error",
        "--warning", "--show-rc", "--show-version", "--log-json", "--json", "--iec",
        "--checkpoint-interval", "-c", "--chunker-params", "--lock-wait", "--bypass-lock",
        "--remote-path", "--rsh", "--remote-ratelimit", "--upload-ratelimit", "--remote-buffer",
        "--upload-buffer", "--umask", "--filter", "--files-cache", "--noatime", "--noctime",
        "--nobirthtime", "--noflags", "--nobsdflags", "--noacls", "--noxattrs", "--numeric-ids",
        "--numeric-owner", "--sparse",
    };
    size_t n = strcspn(a, "=");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strlen(opts[i]) == n && strncmp(a, opts[i], n) == 0)
            return 1;
    return 0;
}

/* The paths of `borg create [OPTIONS] REPO::ARCHIVE PATH...` from its command line,
 * only when they can be told apart for sure: options after the archive, or options
 * that read paths or patterns from elsewhere, leave them unknown. */
static int read_command_line(const cJSON *cl, bk_snapshot *s)
{
    const cJSON *c, *create = NULL, *spec = NULL;
    size_t n = 0, k = 0;
    for (c = cl->child; c; c = c->next, n++)
        if (!cJSON_IsString(c))
            return -1;
    for (c = cl->child; c; c = c->next) {
        const char *a = c->valuestring;
        if (option_reads_paths(a)) {
            s->paths_why = "its command line takes paths or patterns from elsewhere";
            return 0;
        }
        if (!create && strcmp(a, "create") == 0)
            create = c;
        else if (create && !spec && a[0] != '-' && strstr(a, "::"))
            spec = c;
        else if (create && a[0] == '-' && !option_keeps_content(a))
            s->excludes = 1;
        if (spec && c != spec && a[0] == '-') {
            s->paths_why = "its command line has options after the archive name";
            return 0;
        }
    }
    if (!spec) {
        s->paths_why = "its command line is not `borg create REPO::ARCHIVE PATH...`";
        return 0;
    }
    s->paths = calloc(n, sizeof *s->paths);
    if (!s->paths)
        return -1;
    for (c = spec->next; c; c = c->next)
        s->paths[k++] = c->valuestring;
    s->path_count = k;
    s->has_paths = 1;
    return 0;
}

static int read_archive(const cJSON *o, size_t i, const bk_parse_opts *opts, bk_list *out,
                        char *why, size_t n)
{
    const cJSON *name, *id, *start, *time, *end, *host, *stats, *size = NULL, *cl, *tf;
    const char *twhy;
    rg_time t;
    bk_snapshot *s;
    int dup = 0;

    if (!cJSON_IsObject(o))
        return bad(why, n, i, "not an object");
    name = bk_get(o, "name", &dup);
    id = bk_get(o, "id", &dup);
    start = bk_get(o, "start", &dup);
    time = bk_get(o, "time", &dup);
    end = bk_get(o, "end", &dup);
    host = bk_get(o, "hostname", &dup);
    stats = bk_get(o, "stats", &dup);
    cl = bk_get(o, "command_line", &dup);
    if (cJSON_IsObject(stats))
        size = bk_get(stats, "original_size", &dup);
    if (dup)
        return bad(why, n, i, "a key occurs twice");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return bad(why, n, i, "\"name\" must be a non-empty string");
    if (!cJSON_IsString(id))
        return bad(why, n, i, "\"id\" must be a string");
    if (host && !cJSON_IsString(host))
        return bad(why, n, i, "\"hostname\" must be a string");
    if (stats && !cJSON_IsObject(stats))
        return bad(why, n, i, "\"stats\" must be an object");
    if (cl && !cJSON_IsArray(cl))
        return bad(why, n, i, "\"command_line\" must be a list");
    if (!(s = bk_list_add(out)))
        return bad(why, n, i, "out of memory");
    s->id = name->valuestring;
    s->hostname = cJSON_GetStringValue(host);
    s->status = BK_COMPLETED;
    if (is_checkpoint(s->id)) {
        s->status = BK_INCOMPLETE;
        s->note = "checkpoint archive: an interrupted backup";
    }
    tf = end ? end : time ? time : start;
    if (!tf)
        return bad(why, n, i, "no \"end\", \"time\" or \"start\"");
    if (rg_time_parse(cJSON_GetStringValue(tf), RG_TIME_REPORT | RG_TIME_LOCAL, opts->naive_offset, &t,
                      &twhy) != 0) {
        snprintf(why, n, "archives[%zu]: \"%s\" is not a time: %s", i, tf->string, twhy);
        return -1;
    }
    s->time = t.seconds;
    s->zone_assumed = !t.zoned;
    s->has_time = 1;
    s->time_is_end = tf == end;
    s->time_kind = tf->string;
    s->time_text = tf->valuestring;
    if (size) {
        if (bk_json_size(size, &s->size) != 0)
            return bad(why, n, i, "\"stats.original_size\" is not a byte count");
        s->has_size = 1;
        s->size_kind = "stats.original_size";
    }
    if (cl) {
        if (read_command_line(cl, s) != 0)
            return bad(why, n, i, "\"command_line\" must be a list of strings");
    } else {
        s->paths_why = "borg list records no paths (borg info --json has the command line)";
    }
    return 0;
}

int bk_borg_read(const cJSON *root, const bk_parse_opts *opts, bk_list *out, char *why, size_t n)
{
    const cJSON *archives, *repo, *loc = NULL, *a;
    int dup = 0, info = 0;
    size_t i = 0;
    archives = bk_get(root, "archives", &dup);
    repo = bk_get(root, "repository", &dup);
    if (cJSON_IsObject(repo))
        loc = bk_get(repo, "location", &dup);
    if (dup) {
        snprintf(why, n, "a key occurs twice");
        return -1;
    }
    if (!cJSON_IsArray(archives)) {
        snprintf(why, n, "\"archives\" must be a list");
        return -1;
    }
    out->location = cJSON_GetStringValue(loc);
    cJSON_ArrayForEach(a, archives) {
        if (read_archive(a, i++, opts, out, why, n) != 0)
            return -1;
        if (cJSON_IsObject(a) && cJSON_GetObjectItemCaseSensitive(a, "end"))
            info = 1;
    }
    out->variant = info ? "borg info --json" : "borg list --json";
    return 0;
}
