/* backup.present: a recent, complete, non-empty backup exists (see README.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bk.h"
#include "relgate/plugin.h"
#include "rfc3339.h"

#define MAX_SKIPPED 50    /* skipped snapshots listed in the details */
#define MAX_PATHS 20      /* paths of the chosen snapshot listed in the details */
#define TEXT 256

typedef struct cfg {
    const char *evidence;
    bk_format format;
    int64_t max_age;
    int64_t min_size;
    int verify;
    const char *file;        /* evidence name of the backup file (manifest + verify), or NULL */
    const char *sha256;      /* expected digest (file format + verify), or NULL */
    int restore;
    size_t path_count;
    const char *host;
    bk_parse_opts opts;
    int64_t now;
} cfg;

/* Why a snapshot did not decide, worst first in the message's tally. */
typedef enum reason {
    R_NONE, R_FAILED, R_RUNNING, R_INCOMPLETE, R_NOTIME, R_HOST, R_PATHS, R_OLDER, R_COUNT
} reason;

static const char *const REASON_TALLY[R_COUNT] = {
    "", "failed", "running", "incomplete", "without a time", "on another host",
    "without the required paths", "older",
};

typedef struct verdict {
    reason why;
    char text[TEXT];
} verdict;

/* ---- Parameters ------------------------------------------------------------------ */

/* A number parameter read through param_number, so that a value out of range is
 * refused here instead of overflowing a cast; fractions are dropped (durations may
 * come as fractional seconds). */
static int param_whole(const rg_host *host, rg_check_call *call, const char *name, int64_t dflt,
                       int64_t *out)
{
    double v;
    if (!host->param_is_set(call, name)) {
        *out = dflt;
        return 0;
    }
    v = host->param_number(call, name);
    if (!isfinite(v) || v < 0 || v > 9007199254740992.0)
        return -1;
    *out = (int64_t)floor(v);
    return 0;
}

static rg_check_status read_params(const rg_host *host, rg_check_call *call, cfg *c)
{
    const char *s;
    memset(c, 0, sizeof *c);
    c->now = host->now(call);
    if (c->now < -((int64_t)1 << 40) || c->now > ((int64_t)1 << 40))
        return host->error(call, "the evaluation clock is out of range");
    c->evidence = host->param_string(call, "backup");
    if (!c->evidence)
        return host->error(call, "parameter 'backup' (an evidence name) is required");
    s = host->param_string(call, "format");
    if (bk_format_parse(s ? s : "auto", &c->format) != 0)
        return host->error(call, "parameter 'format' must be auto, manifest, restic, borg, file or directory");
    s = host->param_string(call, "max_age"); /* the engine gives seconds; a string is read here */
    if ((s ? bk_duration_parse(s, &c->max_age) : param_whole(host, call, "max_age", 86400, &c->max_age)) != 0 ||
        c->max_age <= 0)
        return host->error(call, "parameter 'max_age' must be a positive duration (\"24h\", 86400)");
    if (param_whole(host, call, "min_size", 1, &c->min_size) != 0 || c->min_size < 1)
        return host->error(call, "parameter 'min_size' must be a whole number of bytes, 1 or more "
                           "(an empty backup never passes)");
    c->verify = host->param_boolean(call, "verify_sha256");
    c->restore = host->param_boolean(call, "require_restore_verified");
    c->file = host->param_string(call, "file");
    c->sha256 = host->param_string(call, "sha256");
    if (c->sha256 && !bk_is_sha256_hex(c->sha256))
        return host->error(call, "parameter 'sha256' must be 64 hex digits");
    c->path_count = host->param_count(call, "paths");
    for (size_t i = 0; i < c->path_count; i++)
        if (!host->param_item(call, "paths", i) || !host->param_item(call, "paths", i)[0])
            return host->error(call, "parameter 'paths' must list non-empty strings");
    c->host = host->param_string(call, "host");
    s = host->param_string(call, "timezone");
    if (rg_time_offset_parse(s ? s : "UTC", &c->opts.naive_offset) != 0)
        return host->error(call, "parameter 'timezone' must be UTC or an offset like +02:00");
    return 0;
}

/* ---- Choosing a snapshot ------------------------------------------------------------ */

/* Length of P without trailing slashes (but "/" stays "/"). */
static size_t trimmed(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    return n;
}

/* 1 when S holds WANT: lists it, or lists a parent of it and excluded nothing. */
static int holds(const bk_snapshot *s, const char *want, int *under_excludes)
{
    size_t wn = trimmed(want);
    for (size_t i = 0; i < s->path_count; i++) {
        const char *p = s->paths[i];
        size_t pn = trimmed(p);
        if (pn == wn && strncmp(p, want, wn) == 0)
            return 1;
        /* A parent is an absolute path: "" (borg create REPO::A "", the working directory)
         * held every path (hostile round 28, F02). */
        if ((pn == 1 && p[0] == '/' && want[0] == '/' && wn > 1) ||
            (pn > 0 && p[0] == '/' && pn < wn && strncmp(p, want, pn) == 0 && want[pn] == '/')) {
            if (!s->excludes)
                return 1;
            *under_excludes = 1;
        }
    }
    return 0;
}

static void judge(const rg_host *host, rg_check_call *call, const cfg *c, const bk_snapshot *s,
                  verdict *v)
{
    char a[TEXT], b[TEXT];
    v->why = R_NONE;
    v->text[0] = '\0';
    if (s->status != BK_COMPLETED) {
        v->why = s->status == BK_FAILED ? R_FAILED : s->status == BK_RUNNING ? R_RUNNING : R_INCOMPLETE;
        snprintf(v->text, sizeof v->text, "%s", s->status == BK_INCOMPLETE && s->note ? s->note
                                                 : bk_status_name(s->status));
        return;
    }
    if (!s->has_time) {
        v->why = R_NOTIME;
        snprintf(v->text, sizeof v->text, "no time recorded");
        return;
    }
    if (c->host && (!s->hostname || strcmp(s->hostname, c->host) != 0)) {
        v->why = R_HOST;
        if (s->hostname)
            snprintf(v->text, sizeof v->text, "taken on host '%s', not '%s'",
                     bk_clean(a, sizeof a, s->hostname), bk_clean(b, sizeof b, c->host));
        else
            snprintf(v->text, sizeof v->text, "records no host name");
        return;
    }
    for (size_t i = 0; i < c->path_count; i++) {
        const char *want = host->param_item(call, "paths", i);
        int excl = 0;
        if (!s->has_paths || s->paths_unproven) {
            v->why = R_PATHS;
            snprintf(v->text, sizeof v->text, "paths unknown: %s",
                     s->paths_unproven ? s->paths_unproven : s->paths_why ? s->paths_why : "not recorded");
            return;
        }
        if (!holds(s, want, &excl)) {
            v->why = R_PATHS;
            snprintf(v->text, sizeof v->text, excl ? "holds %s only under a parent, which may exclude it"
                                                    : "does not hold %s",
                     bk_clean(a, sizeof a, want));
            return;
        }
    }
}

/* ---- Details ------------------------------------------------------------------------ */

static double hours(int64_t seconds)
{
    return round((double)seconds / 36.0) / 100.0;
}

static void add_text(const rg_host *host, rg_check_call *call, rg_json *o, const char *key,
                     const char *value)
{
    char buf[TEXT];
    if (value)
        host->add_string(call, o, key, bk_clean(buf, sizeof buf, value));
}

static void add_snapshot(const rg_host *host, rg_check_call *call, rg_json *o, const cfg *c,
                         const bk_snapshot *s)
{
    char t[40];
    add_text(host, call, o, "id", s->id);
    add_text(host, call, o, "short_id", s->short_id);
    host->add_string(call, o, "status", bk_status_name(s->status));
    if (s->has_time) {
        bk_time_format(s->time, t, sizeof t);
        host->add_string(call, o, "time", t);
        host->add_string(call, o, "time_field", s->time_kind);
        add_text(host, call, o, "time_text", s->time_text);
        host->add_boolean(call, o, "time_is_completion", s->time_is_end);
        if (s->zone_assumed) {   /* say which zone its zone-less time was read in */
            char zone[RG_OFFSET_BUFSIZE];
            rg_time_offset_format(c->opts.naive_offset, zone, sizeof zone);
            host->add_string(call, o, "zone_assumed", zone);
        }
        host->add_number(call, o, "age_hours", hours(c->now - s->time));
    }
    if (s->has_size) {
        host->add_number(call, o, "size_bytes", (double)s->size);
        host->add_string(call, o, "size_field", s->size_kind);
    } else {
        host->add_string(call, o, "size_bytes", NULL);
    }
    if (s->restore_verified >= 0)
        host->add_boolean(call, o, "restore_verified", s->restore_verified);
    add_text(host, call, o, "sha256", s->sha256);
    add_text(host, call, o, "file", s->file);
    add_text(host, call, o, "hostname", s->hostname);
    if (s->has_paths) {
        rg_json *arr = host->add_array(call, o, "paths");
        for (size_t i = 0; i < s->path_count && i < MAX_PATHS; i++)
            add_text(host, call, arr, NULL, s->paths[i]);
        if (s->path_count > MAX_PATHS)
            host->add_number(call, o, "paths_total", (double)s->path_count);
    }
    add_text(host, call, o, "note", s->note);
}

typedef struct order {
    size_t index;
    int64_t time;
    int has_time;
} order;

static int newest_first(const void *pa, const void *pb)
{
    const order *a = pa, *b = pb;
    if (a->has_time != b->has_time)
        return b->has_time - a->has_time;
    if (a->has_time && a->time != b->time)
        return a->time < b->time ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The skipped snapshots, newest first, at most MAX_SKIPPED of them. */
static void add_skipped(const rg_host *host, rg_check_call *call, rg_json *d, const bk_list *l,
                        const verdict *v, size_t chosen)
{
    order *ord = calloc(l->count ? l->count : 1, sizeof *ord);
    rg_json *arr = host->add_array(call, d, "skipped");
    size_t n = 0;
    char t[40];
    if (!ord)
        return;
    for (size_t i = 0; i < l->count; i++)
        if (i != chosen)
            ord[n++] = (order){i, l->items[i].time, l->items[i].has_time};
    qsort(ord, n, sizeof *ord, newest_first);
    for (size_t k = 0; k < n && k < MAX_SKIPPED; k++) {
        const bk_snapshot *s = &l->items[ord[k].index];
        rg_json *o = host->add_object(call, arr, NULL);
        add_text(host, call, o, "id", s->id);
        host->add_string(call, o, "status", bk_status_name(s->status));
        if (s->has_time) {
            bk_time_format(s->time, t, sizeof t);
            host->add_string(call, o, "time", t);
        }
        host->add_string(call, o, "reason", v[ord[k].index].text);
    }
    host->add_number(call, d, "skipped_count", (double)n);
    free(ord);
}

/* ---- Thresholds ------------------------------------------------------------------------ */

typedef struct failures {
    rg_json *arr;
    int count;
    char first[512];
} failures;

static void failed(const rg_host *host, rg_check_call *call, failures *f, const char *threshold,
                   const char *fmt, ...) RG_PLUGIN_PRINTF(5, 6);

static void failed(const rg_host *host, rg_check_call *call, failures *f, const char *threshold,
                   const char *fmt, ...)
{
    char text[512];
    va_list ap;
    rg_json *o = host->add_object(call, f->arr, NULL);
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    host->add_string(call, o, "threshold", threshold);
    host->add_string(call, o, "message", text);
    if (f->count++ == 0)
        snprintf(f->first, sizeof f->first, "%s", text);
}

/* Is the evidence FILE the file the manifest at MANIFEST names as REL?  Compared by
 * path, then by identity (the engine resolves links, the manifest does not). */
static int same_file(const char *manifest, const char *rel, const char *file)
{
    char joined[4096];
    const char *slash = strrchr(manifest, '/');
    struct stat a, b;
    int n;
    if (!slash)
        return 0;
    n = snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - manifest), manifest, rel);
    if (n < 0 || (size_t)n >= sizeof joined)
        return 0;
    if (strcmp(joined, file) == 0)
        return 1;
    return stat(joined, &a) == 0 && stat(file, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void verify_sha256(const rg_host *host, rg_check_call *call, const cfg *c, const char *backup_path,
                          const bk_list *l, const bk_snapshot *s, rg_json *d, failures *f)
{
    rg_json *o = host->add_object(call, d, "sha256");
    const char *path = backup_path, *expected, *why;
    char hex[65], err[512], a[TEXT];
    int64_t size = 0;

    if (l->format == BK_MANIFEST) {
        expected = s->sha256;
        host->add_string(call, o, "file_evidence", c->file);
        if (!expected) {
            failed(host, call, f, "verify_sha256", "snapshot '%s' records no sha256",
                   bk_clean(a, sizeof a, s->id));
            return;
        }
        path = host->evidence_path(call, c->file, &why);
        if (!path) {
            failed(host, call, f, "verify_sha256", "backup file: %s", why);
            return;
        }
        if (s->file && !same_file(backup_path, s->file, path)) {
            failed(host, call, f, "verify_sha256",
                   "evidence '%s' is not the file the snapshot names (%s)", c->file,
                   bk_clean(a, sizeof a, s->file));
            return;
        }
    } else {
        expected = c->sha256;
    }
    host->add_string(call, o, "expected", expected);
    if (bk_sha256_file(path, hex, &size, err, sizeof err) != 0) {
        failed(host, call, f, "verify_sha256", "cannot hash the backup file: %s", err);
        return;
    }
    host->add_string(call, o, "actual", hex);
    host->add_number(call, o, "file_size", (double)size);
    host->add_boolean(call, o, "match", strcasecmp(hex, expected) == 0);
    if (strcasecmp(hex, expected) != 0)
        failed(host, call, f, "verify_sha256", "SHA-256 of the backup file is %.12s..., expected %.12s...",
               hex, expected);
    else if (l->format == BK_MANIFEST && s->has_size && s->size != size)
        failed(host, call, f, "verify_sha256", "backup file has %lld bytes, the snapshot says %lld",
               (long long)size, (long long)s->size);
}

/* ---- The check ---------------------------------------------------------------------- */

/* Read the evidence at PATH into L (free with bk_list_free) as the format C asks for,
 * or the one detected.  Returns 0, or the status the check ends with (L then owns
 * nothing). */
static rg_check_status load(const rg_host *host, rg_check_call *call, const cfg *c,
                            const char *path, bk_list *l, bk_fsinfo *fs, int *detected)
{
    const char *text, *why;
    size_t len;
    char err[512];
    int unrecognised;
    bk_format want = c->format;
    bk_snapshot *s;

    if (bk_fs_probe(path, fs, err, sizeof err) != 0)
        return host->error(call, "evidence '%s': %s", c->evidence, err);
    *detected = want == BK_AUTO;
    if (want == BK_AUTO)
        want = fs->is_dir ? BK_DIRECTORY : fs->magic[0] ? BK_FILE : BK_AUTO;
    if (fs->is_dir != (want == BK_DIRECTORY))
        return host->error(call, "evidence '%s' is %s, not what format '%s' reads", c->evidence,
                           fs->is_dir ? "a directory" : "a file", bk_format_name(want));
    if (want == BK_FILE || want == BK_DIRECTORY) {
        memset(l, 0, sizeof *l);
        l->format = want;
        l->variant = want == BK_FILE ? (fs->magic[0] ? fs->magic : "unknown content") : "directory";
        if (!(s = bk_list_add(l)))
            return host->error(call, "out of memory");
        s->id = c->evidence;
        s->status = fs->unfinished[0] ? BK_INCOMPLETE : BK_COMPLETED;
        s->note = fs->unfinished[0] ? fs->unfinished : NULL;
        s->time = fs->mtime;
        s->has_time = fs->has_mtime;
        s->time_kind = want == BK_FILE ? "mtime" : "newest file mtime";
        s->size = fs->size;
        s->has_size = 1;
        s->size_kind = want == BK_FILE ? "file size" : "bytes in regular files";
        s->paths_why = "a plain file or directory records no paths";
        return 0;
    }
    if (host->read_evidence(call, c->evidence, &text, &len, &why) != 0)
        return host->error(call, "cannot read evidence '%s': %s%s", c->evidence, why,
                           *detected ? " (if the file is the backup itself, give format = \"file\")" : "");
    if (bk_parse(text, len, want, &c->opts, l, &unrecognised, err, sizeof err) != 0) {
        if (unrecognised)
            return host->error(call, "evidence '%s': unrecognised backup format: %s (if the file is "
                               "the backup itself, give format = \"file\")", c->evidence, err);
        return host->error(call, "evidence '%s' is not a valid %s: %s", c->evidence,
                           bk_format_name(want != BK_AUTO ? want : l->format), err);
    }
    return 0;
}

/* Parameters that make no sense for the format are a policy mistake, not a pass. */
static rg_check_status params_fit(const rg_host *host, rg_check_call *call, const cfg *c, bk_format f)
{
    if ((c->host || c->path_count) && (f == BK_FILE || f == BK_DIRECTORY))
        return host->error(call, "parameters 'host' and 'paths' need snapshots (manifest, restic, borg), "
                           "not a %s", bk_format_name(f));
    if (c->verify && f == BK_MANIFEST && !c->file)
        return host->error(call, "verify_sha256 on a manifest needs parameter 'file': the evidence name "
                           "of the backup file");
    if (c->verify && f == BK_FILE && !c->sha256)
        return host->error(call, "verify_sha256 on a plain file needs parameter 'sha256'");
    if (c->verify && f != BK_MANIFEST && f != BK_FILE)
        return host->error(call, "verify_sha256 applies to manifests and plain files, not %s",
                           bk_format_name(f));
    return 0;
}

static void add_format(const rg_host *host, rg_check_call *call, rg_json *d, const bk_list *l,
                       const bk_fsinfo *fs, int detected)
{
    rg_json *o;
    host->add_string(call, d, "format", bk_format_name(l->format));
    host->add_boolean(call, d, "format_detected", detected);
    host->add_string(call, d, "variant", l->variant);
    add_text(host, call, d, "repository", l->location);
    if (l->format != BK_DIRECTORY)
        return;
    o = host->add_object(call, d, "directory");
    host->add_number(call, o, "files", (double)fs->files);
    host->add_number(call, o, "nonempty_files", (double)fs->nonempty);
    host->add_number(call, o, "entries", (double)fs->entries);
    host->add_number(call, o, "links_not_followed", (double)fs->skipped_links);
    host->add_number(call, o, "unreadable", (double)fs->unreadable);
    host->add_boolean(call, o, "truncated", fs->truncated);
}

/* The thresholds C sets on a snapshot itself (its age is its time's), one predicate each:
 * the verdict (judge_chosen) and the tie-break between snapshots of one second (worse)
 * ask the same ones, so the two cannot drift apart when a threshold is added. */
static int too_small(const cfg *c, const bk_snapshot *s)
{
    return s->has_size && s->size < c->min_size;
}

static int restore_unverified(const cfg *c, const bk_snapshot *s)
{
    return c->restore && s->restore_verified != 1;
}

static int fails_itself(const cfg *c, const bk_snapshot *s)
{
    return too_small(c, s) || restore_unverified(c, s);
}

/* Whether A, of the same second as B, should decide rather than B: it fails a threshold
 * B meets, or else it is smaller, of no recorded size, or not restore-verified.  Times
 * are whole seconds: of two snapshots within one, which is newer is not known, and an
 * older one never rescues a newest one that fails (hostile round 28, F04: the one listed
 * last won; round 29, F02: a larger unverified one lost to a smaller verified one). */
static int worse(const cfg *c, const bk_snapshot *a, const bk_snapshot *b)
{
    if (fails_itself(c, a) != fails_itself(c, b))
        return fails_itself(c, a);
    if (a->has_size != b->has_size)
        return !a->has_size;
    if (a->has_size && a->size != b->size)
        return a->size < b->size;
    return a->restore_verified < b->restore_verified;
}

/* Judge every snapshot into V (L->count of them) and return the index of the newest
 * that qualifies, or (size_t)-1; COUNTS tallies the reasons. */
static size_t choose(const rg_host *host, rg_check_call *call, const cfg *c, const bk_list *l,
                     verdict *v, size_t counts[R_COUNT])
{
    size_t chosen = (size_t)-1;
    for (size_t i = 0; i < l->count; i++) {
        const bk_snapshot *s = &l->items[i], *best = chosen == (size_t)-1 ? NULL : &l->items[chosen];
        judge(host, call, c, s, &v[i]);
        /* within one second: the one that should decide, else the one listed later (a
         * listing's order is its tool's, oldest first) */
        if (v[i].why == R_NONE && (!best || s->time > best->time || (s->time == best->time && !worse(c, best, s))))
            chosen = i;
    }
    for (size_t i = 0; i < l->count; i++) {
        if (i != chosen && v[i].why == R_NONE) {
            v[i].why = R_OLDER;
            snprintf(v[i].text, sizeof v[i].text, "older than the chosen snapshot");
        }
        counts[v[i].why]++;
    }
    return chosen;
}

/* The result when no snapshot qualifies. */
static rg_check_status none_qualifies(const rg_host *host, rg_check_call *call, const cfg *c,
                                      const bk_list *l, const bk_fsinfo *fs, const size_t counts[R_COUNT])
{
    char tally[512];
    size_t used = 0;
    tally[0] = '\0';
    for (int r = R_FAILED; r < R_COUNT && used < sizeof tally; r++)
        if (counts[r])
            used += (size_t)snprintf(tally + used, sizeof tally - used, "%s%zu %s", used ? ", " : "",
                                     counts[r], REASON_TALLY[r]);
    host->add_string(call, host->details(call), "chosen", NULL);
    if (l->format == BK_DIRECTORY && fs->unfinished[0])
        return host->fail(call, "directory '%s' is incomplete: %s", c->evidence, fs->unfinished);
    if (l->format == BK_DIRECTORY)
        return host->fail(call, "directory '%s' holds no non-empty regular file (%ld files%s)",
                          c->evidence, fs->files, fs->truncated ? ", walk stopped at a limit" : "");
    if (l->count == 0)
        return host->fail(call, "no snapshot in evidence '%s' (%s)", c->evidence,
                          l->format == BK_MANIFEST ? "an empty manifest" : "an empty repository");
    return host->fail(call, "no completed snapshot qualifies among %zu in evidence '%s': %s", l->count,
                      c->evidence, tally);
}

/* The chosen snapshot S against every threshold. */
static rg_check_status judge_chosen(const rg_host *host, rg_check_call *call, const cfg *c,
                                    const char *path, const bk_list *l, const bk_snapshot *s)
{
    rg_json *d = host->details(call);
    failures f = {0};
    int64_t age = c->now - s->time;
    char a[2 * TEXT], id[96], t[40], dur[32], size_text[64] = "size not recorded";

    add_snapshot(host, call, host->add_object(call, d, "chosen"), c, s);
    f.arr = host->add_array(call, d, "failures");
    bk_clean(id, sizeof id, s->short_id ? s->short_id : s->id);
    bk_time_format(s->time, t, sizeof t);
    bk_duration_format(c->max_age, dur, sizeof dur);
    if (rg_time_in_future(s->time, c->now))
        failed(host, call, &f, "max_age", "is dated %s, %.1f h after the evaluation time (clock or time "
               "zone wrong?)", t, -(double)age / 3600.0);
    else if (age > c->max_age)
        failed(host, call, &f, "max_age", "is %.1f h old, older than max_age %s", (double)age / 3600.0, dur);
    if (s->has_size)
        snprintf(size_text, sizeof size_text, "%lld bytes", (long long)s->size);
    if (too_small(c, s))
        failed(host, call, &f, "min_size", "has %lld bytes, less than min_size %lld",
               (long long)s->size, (long long)c->min_size);
    if (restore_unverified(c, s) && s->restore_verified < 0)
        failed(host, call, &f, "require_restore_verified",
               "cannot show a verified restore: format %s records none", bk_format_name(l->format));
    else if (restore_unverified(c, s))
        failed(host, call, &f, "require_restore_verified", "has no verified restore");
    if (c->verify)
        verify_sha256(host, call, c, path, l, s, d, &f);

    if (l->format == BK_FILE || l->format == BK_DIRECTORY)
        snprintf(a, sizeof a, "backup %s '%s' (%s) modified %s", bk_format_name(l->format), id,
                 l->format == BK_FILE ? l->variant : "newest file", t);
    else
        snprintf(a, sizeof a, "%s snapshot '%s' %s %s", bk_format_name(l->format), id,
                 s->time_is_end ? "completed" : "started", t);
    if (f.count)
        return host->fail(call, "%s %s%s", a, f.first, f.count > 1 ? " (and more: see failures)" : "");
    return host->pass(call, "%s, %.1f h old (max_age %s), %s%s%s", a, (double)age / 3600.0, dur,
                      size_text, c->verify ? ", sha256 verified" : "", c->restore ? ", restore verified" : "");
}

static rg_check_status present(const rg_host *host, rg_check_call *call)
{
    cfg c;
    bk_list l;
    bk_fsinfo fs;
    verdict *v = NULL;
    rg_json *d = host->details(call);
    const char *resolved, *why;
    char path[4096], t[40], dur[32];
    size_t chosen, counts[R_COUNT] = {0};
    int detected = 0;
    rg_check_status st;

    if ((st = read_params(host, call, &c)) != 0)
        return st;
    host->add_string(call, d, "evidence", c.evidence);
    bk_time_format(c.now, t, sizeof t);
    host->add_string(call, d, "evaluated_at", t);
    bk_duration_format(c.max_age, dur, sizeof dur);
    host->add_string(call, d, "max_age", dur);
    host->add_number(call, d, "min_size", (double)c.min_size);

    /* copied: the host reuses its buffer on the next evidence_path call */
    resolved = host->evidence_path(call, c.evidence, &why);
    if (!resolved)
        return host->fail(call, "no backup: %s", why);
    if (strlen(resolved) >= sizeof path)
        return host->error(call, "evidence '%s': path too long", c.evidence);
    memcpy(path, resolved, strlen(resolved) + 1);
    memset(&l, 0, sizeof l);
    if ((st = load(host, call, &c, path, &l, &fs, &detected)) != 0)
        return st;
    add_format(host, call, d, &l, &fs, detected);
    if ((st = params_fit(host, call, &c, l.format)) != 0) {
        bk_list_free(&l);
        return st;
    }
    host->add_number(call, d, "snapshot_count", (double)l.count);
    if (l.count && !(v = calloc(l.count, sizeof *v))) {
        bk_list_free(&l);
        return host->error(call, "out of memory");
    }
    chosen = choose(host, call, &c, &l, v, counts);
    add_skipped(host, call, d, &l, v, chosen);
    if (chosen == (size_t)-1)
        st = none_qualifies(host, call, &c, &l, &fs, counts);
    else
        st = judge_chosen(host, call, &c, path, &l, &l.items[chosen]);
    free(v);
    bk_list_free(&l);
    return st;
}

static const rg_param PRESENT_PARAMS[] = {
    {"backup", RG_PARAM_EVIDENCE, 1, NULL,
     "evidence name of the backup: a manifest, restic or borg --json output, a backup file or a directory", NULL},
    {"format", RG_PARAM_STRING, 0, "\"auto\"",
     "auto, manifest, restic, borg, file or directory (auto: directory, archive magic, or JSON shape)",
     BK_FORMAT_NAMES} /* the engine refuses others at policy load and lint */,
    {"max_age", RG_PARAM_DURATION, 0, "\"24h\"",
     "the newest completed backup must be at most this old on the evaluation clock", NULL},
    {"min_size", RG_PARAM_INTEGER, 0, "1",
     "smallest size in bytes the backup may have, where the format records one", NULL},
    {"verify_sha256", RG_PARAM_BOOLEAN, 0, "false",
     "hash the backup file and compare: with the manifest's sha256 (needs 'file') or with 'sha256'", NULL},
    {"file", RG_PARAM_EVIDENCE, 0, NULL,
     "evidence name of the backup file the chosen manifest snapshot names, for verify_sha256", NULL},
    {"sha256", RG_PARAM_STRING, 0, NULL,
     "expected SHA-256 (64 hex digits) of a backup given as a plain file, for verify_sha256", NULL},
    {"require_restore_verified", RG_PARAM_BOOLEAN, 0, "false",
     "the chosen snapshot must record a verified restore (manifests record it)", NULL},
    {"paths", RG_PARAM_STRING_LIST, 0, NULL,
     "paths the snapshot must hold (listed, or under a listed parent when nothing was excluded)", NULL},
    {"host", RG_PARAM_STRING, 0, NULL, "only snapshots taken on this host count", NULL},
    {"timezone", RG_PARAM_STRING, 0, "\"UTC\"",
     "zone of times written without one (borg 1.x: the zone `borg list` ran in): UTC or +HH:MM", NULL},
};

static const rg_check CHECKS[] = {
    {"backup.present",
     "A backup or snapshot exists, completed, is not empty and is younger than max_age",
     PRESENT_PARAMS, sizeof PRESENT_PARAMS / sizeof PRESENT_PARAMS[0], present},
};

static const rg_plugin PLUGIN = {
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
    "backup", "1.0.0",
    "Backups and snapshots: relgate manifests, restic and borg listings, files and directories",
    "MIT", CHECKS, sizeof CHECKS / sizeof CHECKS[0], 0,
    NULL, /* env: reads no environment variable (times are UTC, from the host's clock) */
    sizeof(rg_check), sizeof(rg_param),
};

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void)
{
    return &PLUGIN;
}
