/* `borg list --json` and `borg info --json` (borg 2: `rlist`, `info`): {"archives": [...],
 * "repository": {...}, "encryption": {...}}.  borg 1.x writes times without a zone, in the
 * local time of the process that ran `borg list` (not UTC: borgbackup/borg#4832, #2368);
 * borg 2 adds the offset.  Zone-less times are read with opts->naive_offset (the check's
 * "timezone" parameter).  `list` gives start times only; `info` adds "end", "stats",
 * "hostname" and "command_line": borg 1 a list of words, `borg create ... REPO::ARCHIVE
 * PATH...`; borg 2 one string (Python's shlex.join of them), `borg [-r REPO] create ...
 * NAME PATH...`. */
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

/* An option that makes the words after the archive something else than paths: any of
 * these, or a shortening of one (argparse takes --content-from-comm for
 * --content-from-command; hostile round 29, F01). */
static int option_reads_paths(const char *a)
{
    static const char *const opts[] = {"--paths-from-stdin", "--paths-from-command",
                                       "--content-from-command", "--patterns-from", "--pattern"};
    size_t n = strcspn(a, "=");
    if (n < 4 || strncmp(a, "--", 2) != 0)
        return 0;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (n <= strlen(opts[i]) && strncmp(a, opts[i], n) == 0)
            return 1;
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

/* Options of borg (global and `create`'s) that take the next word as their value, unless
 * written --option=value. */
static int takes_value(const char *a)
{
    static const char *const opts[] = {
        "-r", "--repo", "--other-repo", "-e", "--exclude", "--exclude-from", "--exclude-if-present",
        "--pattern", "--patterns-from", "--comment", "--timestamp", "-c", "--checkpoint-interval",
        "--checkpoint-volume", "--chunker-params", "-C", "--compression", "--filter", "--files-cache",
        "--stdin-name", "--stdin-user", "--stdin-group", "--stdin-mode", "--paths-delimiter",
        "--lock-wait", "--remote-path", "--rsh", "--upload-ratelimit", "--upload-buffer",
        "--remote-ratelimit", "--remote-buffer", "--umask", "--debug-topic", "--debug-profile",
    };
    if (strchr(a, '='))
        return 0;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strcmp(a, opts[i]) == 0)
            return 1;
    return 0;
}

/* Options of `borg create` that take no value and may leave things out. */
static int excluding_flag(const char *a)
{
    static const char *const opts[] = {
        "-x", "--one-file-system", "--exclude-caches", "--keep-exclude-tags", "--exclude-nodump",
        "--read-special", "-n", "--dry-run",
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strcmp(a, opts[i]) == 0)
            return 1;
    return 0;
}

/* The paths of `borg create` from its command line ARGV (ARGC words, the program first),
 * only when they can be told apart for sure: options after the archive, options that
 * read paths or patterns from elsewhere, or (borg 2, whose archive name has no "::" to
 * know it by) an option whose value could be taken for the name leave them unknown. */
static int read_args(const char *const *argv, size_t argc, int borg2, bk_snapshot *s)
{
    size_t spec = 0, k = 0;
    int create = 0;
    for (size_t i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (option_reads_paths(a)) {
            s->paths_why = "its command line takes paths or patterns from elsewhere";
            return 0;
        }
        if (a[0] == '-' && a[1]) {
            if (create && !option_keeps_content(a))
                s->excludes = 1;
            if (spec) {
                s->paths_why = "its command line has options after the archive name";
                return 0;
            }
            /* borg 1 as borg 2: an option this reader does not know (a shortening, say)
             * may change what the words after the archive are (round 29, F01) */
            if (create && !option_keeps_content(a) && !takes_value(a) && !excluding_flag(a)) {
                s->paths_why = "its command line has an option this reader does not know";
                return 0;
            }
            if (takes_value(a))
                i++;
            continue;
        }
        if (!create)
            create = strcmp(a, "create") == 0;   /* words before it: the program, its options */
        else if (!spec && (borg2 || strstr(a, "::")))
            spec = i;
        else if (!spec)
            break;
    }
    if (!spec) {
        s->paths_why = borg2 ? "its command line is not `borg create NAME PATH...`"
                             : "its command line is not `borg create REPO::ARCHIVE PATH...`";
        return 0;
    }
    s->paths = calloc(argc, sizeof *s->paths);
    if (!s->paths)
        return -1;
    for (size_t i = spec + 1; i < argc; i++)
        s->paths[k++] = argv[i];
    s->path_count = k;
    s->has_paths = 1;
    /* `borg recreate --exclude ...` takes paths out of an archive after the fact -- a
     * listed one as well as one under it -- and leaves its create command line as it
     * was (borg 1.2 and borg 2 show no trace of it): the paths say what borg was given,
     * never what the archive holds (real round 37, F07; round 37d, F03). */
    s->paths_unproven = "borg's command line says what `borg create` was given, and `borg recreate` can take "
                        "paths out of an archive without a trace: prove paths with a manifest";
    return 0;
}

/* borg 1: the command line as a list of words. */
static int read_command_list(const cJSON *cl, bk_snapshot *s)
{
    const cJSON *c;
    const char **argv;
    size_t n = 0;
    int rc;
    cJSON_ArrayForEach(c, cl) {
        if (!cJSON_IsString(c))
            return -1;
        n++;
    }
    if (!(argv = calloc(n + 1, sizeof *argv)))
        return -1;
    n = 0;
    cJSON_ArrayForEach(c, cl)
        argv[n++] = c->valuestring;
    rc = read_args(argv, n, 0, s);
    free(argv);
    return rc;
}

/* borg 2: the command line as Python's shlex.join wrote it, split back into words the
 * way a POSIX shell reads them (blanks between words, '...' literal, "..." with \ escapes
 * of \ " $ `, \ outside quotes).  The words go to s->words, which the paths point into.
 * Returns 0 (an open quote leaves the paths unknown), or -1 when out of memory. */
static int read_command_string(const char *line, bk_snapshot *s)
{
    size_t len = strlen(line), n = 0;
    const char **argv = calloc(len / 2 + 2, sizeof *argv);
    char *out = s->words = malloc(len + 1);
    const char *p = line;
    int rc;
    if (!argv || !out) {
        free(argv);
        return -1;
    }
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        argv[n++] = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end)
                    goto open_quote;
                memcpy(out, p + 1, (size_t)(end - p - 1));
                out += end - p - 1;
                p = end + 1;
            } else if (*p == '"') {
                for (p++; *p != '"'; p++) {
                    if (!*p)
                        goto open_quote;
                    if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
                        p++;
                    *out++ = *p;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                *out++ = p[1];
                p += 2;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
    }
    rc = read_args(argv, n, 1, s);
    free(argv);
    return rc;
open_quote:
    free(argv);
    s->paths_why = "its command line has an unterminated quote";
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
    name = rg_json_member(o, "name", &dup);
    id = rg_json_member(o, "id", &dup);
    start = rg_json_member(o, "start", &dup);
    time = rg_json_member(o, "time", &dup);
    end = rg_json_member(o, "end", &dup);
    host = rg_json_member(o, "hostname", &dup);
    stats = rg_json_member(o, "stats", &dup);
    cl = rg_json_member(o, "command_line", &dup);
    if (cJSON_IsObject(stats))
        size = rg_json_member(stats, "original_size", &dup);
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
    if (cl && !cJSON_IsArray(cl) && !cJSON_IsString(cl))
        return bad(why, n, i, "\"command_line\" must be a list (borg 1) or a string (borg 2)");
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
    if (rg_timestamp_parse(cJSON_GetStringValue(tf), RG_TIME_REPORT | RG_TIME_LOCAL, opts->naive_offset, &t,
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
    if (cJSON_IsString(cl)) {
        if (read_command_string(cl->valuestring, s) != 0)
            return bad(why, n, i, "out of memory");
    } else if (cl) {
        if (read_command_list(cl, s) != 0)
            return bad(why, n, i, "\"command_line\" must be a list of strings");
    } else {
        s->paths_why = "borg list records no paths (borg info --json has the command line)";
    }
    return 0;
}

int bk_borg_read(const cJSON *root, const bk_parse_opts *opts, bk_list *out, char *why, size_t n)
{
    const cJSON *archives, *archive, *repo, *loc = NULL, *a;
    int dup = 0, info = 0;
    size_t i = 0;
    archives = rg_json_member(root, "archives", &dup);
    archive = rg_json_member(root, "archive", &dup);
    repo = rg_json_member(root, "repository", &dup);
    if (cJSON_IsObject(repo))
        loc = rg_json_member(repo, "location", &dup);
    if (dup) {
        snprintf(why, n, "a key occurs twice");
        return -1;
    }
    if (!archives && cJSON_IsObject(archive)) {
        /* borg create --json: the archive it made, read as an info archive is (its name,
         * start, end, stats and command line). */
        bk_snapshot *made;
        const cJSON *nfiles;
        out->location = cJSON_GetStringValue(loc);
        if (read_archive(archive, 0, opts, out, why, n) != 0)
            return -1;
        /* Its stats.original_size counts the archive's metadata too (borg 1.2: 491 bytes
         * where borg info says 8), so that an empty backup would pass min_size: no size
         * is taken from it. */
        made = &out->items[out->count - 1];
        made->has_size = 0;
        nfiles = rg_json_member(rg_json_member(archive, "stats", NULL), "nfiles", NULL);
        if (cJSON_IsNumber(nfiles) && nfiles->valuedouble == 0) {
            /* No file at all (a path that was not there, an empty directory): an empty
             * backup, whatever the metadata weighs (round 23, F04). */
            made->has_size = 1;
            made->size = 0;
            made->size_kind = "stats.nfiles (no file)";
        } else if (!made->note) {
            made->note = "borg create --json counts metadata in its size: borg info --json gives the archive's";
        }
        out->variant = "borg create --json";
        return 0;
    }
    if (!cJSON_IsArray(archives) || archive) {
        snprintf(why, n, archive ? "both \"archives\" and \"archive\": neither borg list nor borg create writes that"
                                 : "\"archives\" must be a list");
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
