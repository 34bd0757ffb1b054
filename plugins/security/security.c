/* The security plugin.  security.scan reads security scan reports (SARIF 2.1.0, Trivy
 * JSON, Grype JSON, GitLab security reports) and fails when findings at or above a
 * severity exceed what the policy allows, when a report is older than allowed, was made
 * for another commit, or says its scan did not complete.  A report it cannot read or
 * understand is an error, never a pass. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relgate/plugin.h"
#include "report.h"
#include "rfc3339.h"

#define LIMIT_NONE (-1)
#define FAIL_ANY (SEC_SEV_COUNT + 1)
#define FAIL_OFF (SEC_SEV_COUNT + 2)

/* The values of the enumerated parameters: the engine refuses others when it loads or
 * lints a policy (run_scan still judges what it is given). */
static const char *const fail_on_values[] = {"critical", "high", "medium", "low", "any", "none", NULL};
static const char *const unknown_as_values[] = {"unknown", "none", "low", "medium", "high", "critical", NULL};
static const char *const unrecognised_values[] = {"error", "fail", NULL};

static const rg_param scan_params[] = {
    {"reports", RG_PARAM_EVIDENCE_LIST, 1, NULL,
     "evidence names of the scan reports: SARIF 2.1.0, Trivy JSON, Grype JSON or GitLab security reports", NULL},
    {"format", RG_PARAM_STRING, 0, "\"auto\"",
     "report format: auto (recognise each report), sarif, trivy, grype or gitlab", SEC_FORMAT_NAMES},
    {"fail_on", RG_PARAM_STRING, 0, "\"high\"",
     "fail on any finding at or above this severity: critical, high, medium, low, any (every finding) or none",
     fail_on_values},
    {"max_critical", RG_PARAM_INTEGER, 0, NULL, "critical findings allowed (instead of what fail_on says)", NULL},
    {"max_high", RG_PARAM_INTEGER, 0, NULL, "high findings allowed (instead of what fail_on says)", NULL},
    {"max_medium", RG_PARAM_INTEGER, 0, NULL, "medium findings allowed (instead of what fail_on says)", NULL},
    {"max_low", RG_PARAM_INTEGER, 0, NULL, "low findings allowed (instead of what fail_on says)", NULL},
    {"unknown_as", RG_PARAM_STRING, 0, "\"unknown\"",
     "count findings the report gives no severity as: unknown (limited only by fail_on = any), none, low, "
     "medium, high or critical", unknown_as_values},
    {"ignore", RG_PARAM_STRING_LIST, 0, "[]",
     "findings to ignore, each \"ID: YYYY-MM-DD: reason\" (an id or alias such as a CVE or rule id; applies "
     "through that day, UTC); expired or malformed entries do not apply", NULL},
    {"max_age", RG_PARAM_DURATION, 0, NULL,
     "how old a report may be, by its own time (SARIF invocation times, Trivy CreatedAt, Grype "
     "descriptor.timestamp, GitLab scan.end_time); a report without one fails", NULL},
    {"require_commit_match", RG_PARAM_BOOLEAN, 0, "false",
     "every report must name release.commit as the commit it scanned (SARIF versionControlProvenance "
     "revisionId, Trivy Metadata.Commit)", NULL},
    {"allow_incomplete", RG_PARAM_BOOLEAN, 0, "false",
     "accept reports that say their scan did not complete (SARIF executionSuccessful false, GitLab "
     "scan.status other than success)", NULL},
    {"unrecognised", RG_PARAM_STRING, 0, "\"error\"",
     "what a report that is malformed or of no known format makes the check: error (default) or "
     "fail (both deny; fail lets a waiver or an advisory level apply)", unrecognised_values},
};

/* One report named by the policy. */
typedef struct rep {
    const char *name;
    enum { REP_OK, REP_UNREADABLE, REP_INVALID } state;
    char why[512];
    sec_info info;
    sec_tally t;
} rep;

/* The verdict being built: a one-line summary of what failed, and its details. */
typedef struct verdict {
    const rg_host *h;
    rg_check_call *call;
    char text[900];
    int count;
    rg_json *list;
} verdict;

static void verdict_add(verdict *v, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);

static void verdict_add(verdict *v, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(v->text);
    v->count++;
    if (n + 8 >= sizeof v->text)
        return;
    if (n) {
        memcpy(v->text + n, "; ", 3);
        n += 2;
    }
    va_start(ap, fmt);
    vsnprintf(v->text + n, sizeof v->text - n, fmt, ap);
    va_end(ap);
}

/* "3d 4h", "1d", "5h 2m", "40s" (into BUF). */
static const char *span(double secs, char *buf, size_t size)
{
    long long s = secs > 9e15 ? 9000000000000000LL : secs < 0 ? 0 : (long long)secs;
    long long big = s >= 86400 ? s / 86400 : s >= 3600 ? s / 3600 : s >= 60 ? s / 60 : s;
    long long small = s >= 86400 ? s % 86400 / 3600 : s >= 3600 ? s % 3600 / 60 : s >= 60 ? s % 60 : 0;
    const char *u = s >= 86400 ? "dh" : s >= 3600 ? "hm" : s >= 60 ? "ms" : "s";
    if (small)
        snprintf(buf, size, "%lld%c %lld%c", big, u[0], small, u[1]);
    else
        snprintf(buf, size, "%lld%c", big, u[0]);
    return buf;
}

static void add_counts(const rg_host *h, rg_check_call *call, rg_json *parent, const sec_tally *t)
{
    rg_json *c = h->add_object(call, parent, "counts");
    for (int s = SEC_SEV_CRITICAL; s >= SEC_SEV_NONE; s--)
        h->add_number(call, c, sec_sev_name((sec_sev)s), (double)t->sev[s]);
    h->add_number(call, parent, "findings", (double)sec_tally_findings(t));
    h->add_number(call, parent, "suppressed", (double)t->suppressed);
    h->add_number(call, parent, "ignored", (double)t->ignored);
    h->add_number(call, parent, "not_findings", (double)t->passed);
    h->add_number(call, parent, "fixed", (double)t->absent);
}

/* "2 critical, 1 high" for severities from TOP down with a count (into BUF). */
static const char *count_text(const sec_tally *t, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = SEC_SEV_CRITICAL; s >= SEC_SEV_NONE && n + 2 < size; s--)
        if (t->sev[s]) {
            snprintf(buf + n, size - n, "%s%ld %s", n ? ", " : "", t->sev[s], sec_sev_name((sec_sev)s));
            n = strlen(buf);
        }
    return buf;
}

/* Does the report commit C name the release commit R (equal, or one an abbreviation
 * of at least 7 hex digits of the other)? */
static int same_commit(const char *c, const char *r)
{
    size_t a = strlen(c), b = strlen(r), n = a < b ? a : b;
    if (a == b)
        return strcasecmp(c, r) == 0;
    if (n < 7 || strncasecmp(c, r, n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", c[i]))
            return 0;
    return 1;
}

static void report_details(const rg_host *h, rg_check_call *call, rg_json *arr, const rep *r, int64_t now)
{
    rg_json *o = h->add_object(call, arr, NULL);
    const sec_info *in = &r->info;
    h->add_string(call, o, "evidence", r->name);
    if (r->state != REP_OK) {
        h->add_string(call, o, "format", r->state == REP_INVALID && in->format != SEC_FMT_AUTO ? sec_format_name(in->format) : NULL);
        h->add_string(call, o, "error", r->why);
        return;
    }
    h->add_string(call, o, "format", sec_format_name(in->format));
    h->add_string(call, o, "variant", in->variant);
    h->add_string(call, o, "tool", in->tool);
    if (in->has_time) {
        h->add_string(call, o, "timestamp", in->time_text);
        if (in->time_zoneless)
            h->add_string(call, o, "zone_assumed", "UTC");
        h->add_number(call, o, "age_seconds", (double)(now - in->time));
    } else {
        h->add_string(call, o, "timestamp", NULL);
    }
    if (in->commit_count) {
        rg_json *c = h->add_array(call, o, "commits");
        for (size_t i = 0; i < in->commit_count; i++)
            h->add_string(call, c, NULL, in->commits[i]);
    }
    if (in->incomplete[0])
        h->add_string(call, o, "incomplete", in->incomplete);
    h->add_number(call, o, in->format == SEC_FMT_SARIF ? "runs" : in->format == SEC_FMT_TRIVY ? "targets" : "entries",
                  (double)(in->format == SEC_FMT_SARIF || in->format == SEC_FMT_TRIVY ? in->units : in->entries));
    if (in->format == SEC_FMT_SARIF || in->format == SEC_FMT_TRIVY)
        h->add_number(call, o, "entries", (double)in->entries);
    add_counts(h, call, o, &r->t);
}

static void worst_details(const rg_host *h, rg_check_call *call, const sec_scan *sc, const rep *reps)
{
    rg_json *arr = h->add_array(call, h->details(call), "worst");
    for (size_t i = 0; i < sc->worst_count; i++) {
        const sec_kept *k = &sc->worst[i];
        rg_json *o = h->add_object(call, arr, NULL);
        char loc[400];
        h->add_string(call, o, "evidence", reps[k->report].name);
        h->add_string(call, o, "id", k->id ? k->id : "");
        h->add_string(call, o, "severity", sec_sev_name(k->severity));
        if (k->score >= 0)
            h->add_number(call, o, "score", k->score);
        h->add_string(call, o, "kind", k->kind);
        if (k->package)
            h->add_string(call, o, "package", k->package);
        if (k->version)
            h->add_string(call, o, "version", k->version);
        if (k->file) {
            if (k->line >= 1 && k->line < 1e12)
                snprintf(loc, sizeof loc, "%s:%.0f", k->file, k->line);
            else
                snprintf(loc, sizeof loc, "%s", k->file);
            h->add_string(call, o, "location", loc);
        }
        if (k->target)
            h->add_string(call, o, "target", k->target);
        if (k->title)
            h->add_string(call, o, "title", k->title);
    }
}

/* details.failed_findings: the ids of every finding over the limits, which a waiver's
 * "findings" must all cover (docs/policies.md#waivers); given only when those findings
 * are the whole failure (conclude).  Only when the kept worst
 * findings are all of them (as many as the counts say) and each has an id: a partial
 * list would let a waiver cover findings it never named, so none is given then. */
static void failed_findings(const rg_host *h, rg_check_call *call, const sec_scan *sc, const sec_tally *total,
                            unsigned over_limits)
{
    long want = 0, have = 0;
    rg_json *arr;
    for (int s = SEC_SEV_NONE; s <= SEC_SEV_CRITICAL; s++)
        if (over_limits & (1u << s))
            want += total->sev[s];
    for (size_t i = 0; i < sc->worst_count; i++)
        if (over_limits & (1u << sc->worst[i].severity)) {
            if (!sc->worst[i].id || !sc->worst[i].id[0])
                return;
            have++;
        }
    if (want == 0 || have != want)
        return;
    arr = h->add_array(call, h->details(call), "failed_findings");
    for (size_t i = 0; i < sc->worst_count; i++)
        if (over_limits & (1u << sc->worst[i].severity))
            h->add_string(call, arr, NULL, sc->worst[i].id);
}

static void ignore_details(const rg_host *h, rg_check_call *call, const sec_ignore *rules, size_t n)
{
    static const char *const STATES[] = {"active", "expired", "malformed"};
    rg_json *arr = h->add_array(call, h->details(call), "ignores");
    for (size_t i = 0; i < n; i++) {
        const sec_ignore *r = &rules[i];
        rg_json *o = h->add_object(call, arr, NULL);
        h->add_string(call, o, "entry", r->entry);
        h->add_string(call, o, "status", STATES[r->state]);
        if (r->state != SEC_IGNORE_MALFORMED) {
            h->add_string(call, o, "id", r->id);
            h->add_string(call, o, "until", r->until);
            h->add_string(call, o, "reason", r->reason);
            h->add_number(call, o, "matched", (double)r->matched);
        }
        if (r->problem[0])
            h->add_string(call, o, "problem", r->problem);
    }
}

static int parse_sev_param(const char *v, int *out, int allow_any)
{
    sec_sev s;
    if (allow_any && strcasecmp(v, "any") == 0) {
        *out = FAIL_ANY;
        return 0;
    }
    if (allow_any && strcasecmp(v, "none") == 0) {
        *out = FAIL_OFF;
        return 0;
    }
    if (sec_sev_parse(v, &s) != 0 || (allow_any && (s == SEC_SEV_UNKNOWN || s == SEC_SEV_NONE)))
        return -1;
    *out = (int)s;
    return 0;
}

/* ---- Reading the reports ------------------------------------------------------------ */

/* A report read through a host stream (ABI 1.2). */
typedef struct srcctx {
    const rg_host *h;
    rg_check_call *call;
    rg_stream *stream;
    const char *name;
} srcctx;

static int64_t stream_read(void *ctx, char *buf, size_t cap, const char **why)
{
    srcctx *c = ctx;
    return c->h->read_stream(c->call, c->stream, buf, cap, why);
}

/* The whole text, for the formats read as a whole (read_evidence: under the cap). */
static int whole_read(void *ctx, const char **text, size_t *len, char *why, size_t why_size)
{
    srcctx *c = ctx;
    const char *w = NULL;
    if (c->h->read_evidence(c->call, c->name, text, len, &w) == 0)
        return 0;
    snprintf(why, why_size, "%s", w ? w : "cannot read it");
    return -1;
}

/* What the reports of one check came to, kept in a shared child for the next check
 * over the same files (same identities), format and ignore entries: the reports are
 * then read once per decision however many checks judge them. */
typedef struct memo {
    char *key;
    rep *reps;
    size_t nrep;
    sec_kept worst[SEC_WORST_MAX];
    size_t worst_count;
    long seq;
    int oom;
    long *matched;
    size_t nign;
} memo;

#define MEMO_MAX 4
static memo memos[MEMO_MAX];
static size_t memo_next;

static char *kstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void kept_copy(sec_kept *to, const sec_kept *from)
{
    *to = *from;
    to->id = kstrdup(from->id);
    to->kind = kstrdup(from->kind);
    to->package = kstrdup(from->package);
    to->version = kstrdup(from->version);
    to->file = kstrdup(from->file);
    to->target = kstrdup(from->target);
    to->title = kstrdup(from->title);
}

static void memo_clear(memo *m)
{
    sec_scan tmp;
    memset(&tmp, 0, sizeof tmp);
    memcpy(tmp.worst, m->worst, sizeof tmp.worst);
    tmp.worst_count = m->worst_count;
    sec_scan_free(&tmp);
    free(m->key);
    free(m->reps);
    free(m->matched);
    memset(m, 0, sizeof *m);
}

/* The memo key: the format, the now, each report's name and file identity, and the
 * ignore entries (heap), or NULL when the host gives no identity (not a shared child). */
static char *memo_key(const rg_host *h, rg_check_call *call, rg_stream **streams, const rep *reps, size_t nrep,
                      sec_format forced, int64_t now)
{
    size_t nign = h->param_count(call, "ignore"), len = 64;
    const char *ids[64];
    char *key, *p;
    if (nrep > 64)
        return NULL;
    for (size_t i = 0; i < nrep; i++) {
        if (!streams[i] || !(ids[i] = h->stream_identity(call, streams[i])))
            return NULL;
        len += strlen(reps[i].name) + strlen(ids[i]) + 2;
    }
    for (size_t i = 0; i < nign; i++)
        len += strlen(h->param_item(call, "ignore", i) ? h->param_item(call, "ignore", i) : "") + 1;
    if (!(key = malloc(len)))
        return NULL;
    p = key + sprintf(key, "%d\x1f%lld\x1f", (int)forced, (long long)now);
    for (size_t i = 0; i < nrep; i++)
        p += sprintf(p, "%s\x1e%s\x1f", reps[i].name, ids[i]);
    for (size_t i = 0; i < nign; i++)
        p += sprintf(p, "%s\x1d", h->param_item(call, "ignore", i) ? h->param_item(call, "ignore", i) : "");
    return key;
}

static int memo_get(const char *key, rep *reps, size_t nrep, sec_scan *sc, sec_ignore *ign, size_t nign)
{
    for (size_t k = 0; key && k < MEMO_MAX; k++) {
        memo *m = &memos[k];
        if (!m->key || strcmp(m->key, key) != 0 || m->nrep != nrep || m->nign != nign)
            continue;
        for (size_t i = 0; i < nrep; i++) {
            const char *name = reps[i].name;
            reps[i] = m->reps[i];
            reps[i].name = name;
        }
        for (size_t i = 0; i < m->worst_count; i++)
            kept_copy(&sc->worst[i], &m->worst[i]);
        sc->worst_count = m->worst_count;
        sc->seq = m->seq;
        sc->oom = m->oom;
        for (size_t i = 0; i < nign; i++)
            ign[i].matched = m->matched[i];
        return 1;
    }
    return 0;
}

static void memo_put(char *key, const rep *reps, size_t nrep, const sec_scan *sc, const sec_ignore *ign, size_t nign)
{
    memo *m = &memos[memo_next];
    memo_clear(m);
    m->reps = malloc(nrep * sizeof *m->reps);
    m->matched = calloc(nign ? nign : 1, sizeof *m->matched);
    if (!m->reps || !m->matched) {
        free(m->reps);
        free(m->matched);
        free(key);
        memset(m, 0, sizeof *m);
        return;
    }
    m->key = key;
    memcpy(m->reps, reps, nrep * sizeof *m->reps);
    m->nrep = nrep;
    for (size_t i = 0; i < sc->worst_count; i++)
        kept_copy(&m->worst[i], &sc->worst[i]);
    m->worst_count = sc->worst_count;
    m->seq = sc->seq;
    m->oom = sc->oom;
    for (size_t i = 0; i < nign; i++)
        m->matched[i] = ign[i].matched;
    m->nign = nign;
    memo_next = (memo_next + 1) % MEMO_MAX;
}

/* Read every report into REPS and SC.  Through streams when the host has them (ABI
 * 1.2): SARIF is then read in bounded memory whatever its size, and, in a shared child,
 * what an earlier check found in the same files is reused.  Returns 0, or -1 when out
 * of memory. */
static int read_reports(const rg_host *h, rg_check_call *call, rep *reps, size_t nrep, sec_format forced,
                        sec_scan *sc, sec_ignore *ign, size_t nign, int64_t now)
{
    rg_stream **streams;
    char *key;
    int streaming = h->abi_minor >= 2 && h->size >= offsetof(rg_host, stream_identity) + sizeof(void *);

    for (size_t i = 0; i < nrep; i++)
        reps[i].name = h->param_item(call, "reports", i);
    if (!streaming) {
        /* A host older than 1.2: whole reads, under the engine's cap. */
        for (size_t i = 0; i < nrep; i++) {
            rep *r = &reps[i];
            const char *text, *why;
            size_t len;
            if (h->read_evidence(call, r->name, &text, &len, &why) != 0) {
                r->state = REP_UNREADABLE;
                snprintf(r->why, sizeof r->why, "%s", why ? why : "cannot read it");
                continue;
            }
            sec_scan_begin(sc, i, &r->t);
            if (sec_report_read(text, len, forced, sc, &r->info, r->why, sizeof r->why) != 0) {
                r->state = REP_INVALID;
                sec_scan_drop(sc, i);
            }
            h->release_evidence(call, text);
        }
        return 0;
    }
    if (!(streams = calloc(nrep, sizeof *streams)))
        return -1;
    for (size_t i = 0; i < nrep; i++) {
        const char *why = NULL;
        if (!(streams[i] = h->open_evidence(call, reps[i].name, NULL, &why))) {
            reps[i].state = REP_UNREADABLE;
            snprintf(reps[i].why, sizeof reps[i].why, "%s", why ? why : "cannot read it");
        }
    }
    key = memo_key(h, call, streams, reps, nrep, forced, now);
    if (memo_get(key, reps, nrep, sc, ign, nign)) {
        free(key);
        key = NULL;
    } else {
        for (size_t i = 0; i < nrep; i++) {
            rep *r = &reps[i];
            srcctx c = {h, call, streams[i], r->name};
            sec_source src = {stream_read, &c};
            int rc;
            if (!streams[i])
                continue;
            sec_scan_begin(sc, i, &r->t);
            rc = sec_report_stream(&src, whole_read, &c, forced, sc, &r->info, r->why, sizeof r->why);
            if (rc != 0) {
                r->state = rc == -2 ? REP_UNREADABLE : REP_INVALID;
                if (rc == -2)
                    memset(&r->t, 0, sizeof r->t);
                sec_scan_drop(sc, i);
            }
            h->close_stream(call, streams[i]);
            streams[i] = NULL;
        }
        if (key)
            memo_put(key, reps, nrep, sc, ign, nign);
    }
    for (size_t i = 0; i < nrep; i++)
        if (streams[i])
            h->close_stream(call, streams[i]);
    free(streams);
    return 0;
}

/* The parameters of one call, judged once. */
typedef struct scan_opts {
    sec_format forced;
    int fail_on, unknown_as;
    long limit[SEC_SEV_COUNT];      /* findings allowed per severity, or LIMIT_NONE */
    size_t nrep, nign;
    int check_age, want_commit, allow_incomplete, as_fail;
    double max_age;
    const char *release_commit;
} scan_opts;

/* Judge the parameters into O: 0, or -1 with *ST the error result.  The engine checked
 * their types (and the enumerated values at load); the values are ours to judge still. */
static int read_opts(const rg_host *h, rg_check_call *call, scan_opts *o, rg_check_status *st)
{
    static const char *const MAX_NAMES[SEC_SEV_COUNT] = {
        [SEC_SEV_LOW] = "max_low", [SEC_SEV_MEDIUM] = "max_medium", [SEC_SEV_HIGH] = "max_high", [SEC_SEV_CRITICAL] = "max_critical",
    };
    const char *unrecognised = h->param_string(call, "unrecognised");
    const char *s;

    memset(o, 0, sizeof *o);
    o->nrep = h->param_count(call, "reports");
    o->nign = h->param_count(call, "ignore");
    o->check_age = h->param_is_set(call, "max_age");
    o->want_commit = h->param_boolean(call, "require_commit_match");
    o->allow_incomplete = h->param_boolean(call, "allow_incomplete");
    o->as_fail = unrecognised && strcmp(unrecognised, "fail") == 0;
    o->max_age = h->param_number(call, "max_age");
    o->release_commit = h->context_string(call, "release.commit");

    s = h->param_string(call, "format");
    if (!s || sec_format_parse(s, &o->forced) != 0)
        return *st = h->error(call, "format must be auto, sarif, trivy, grype or gitlab, not \"%s\"", s ? s : ""), -1;
    s = h->param_string(call, "fail_on");
    if (!s || parse_sev_param(s, &o->fail_on, 1) != 0)
        return *st = h->error(call, "fail_on must be critical, high, medium, low, any or none, not \"%s\"", s ? s : ""), -1;
    if (!unrecognised || (strcmp(unrecognised, "error") != 0 && strcmp(unrecognised, "fail") != 0))
        return *st = h->error(call, "unrecognised must be error or fail, not \"%s\"", unrecognised ? unrecognised : ""), -1;
    s = h->param_string(call, "unknown_as");
    if (!s || parse_sev_param(s, &o->unknown_as, 0) != 0)
        return *st = h->error(call, "unknown_as must be unknown, none, low, medium, high or critical, not \"%s\"",
                              s ? s : ""), -1;
    for (int i = SEC_SEV_NONE; i < SEC_SEV_COUNT; i++) {
        o->limit[i] = LIMIT_NONE;
        if (o->fail_on == FAIL_ANY || (o->fail_on < SEC_SEV_COUNT && i >= o->fail_on && i >= SEC_SEV_LOW))
            o->limit[i] = 0;
        if (MAX_NAMES[i] && h->param_is_set(call, MAX_NAMES[i])) {
            int64_t m = h->param_integer(call, MAX_NAMES[i]);
            if (m < 0)
                return *st = h->error(call, "%s must not be negative", MAX_NAMES[i]), -1;
            o->limit[i] = m > 1000000000 ? 1000000000 : (long)m;
        }
    }
    if (o->unknown_as != SEC_SEV_UNKNOWN)
        o->limit[SEC_SEV_UNKNOWN] = LIMIT_NONE; /* counted under the severity it stands for */
    if (o->check_age && !(o->max_age >= 0))
        return *st = h->error(call, "max_age must not be negative"), -1;
    if (o->nrep == 0)
        return *st = h->error(call, "reports names no evidence"), -1;
    for (size_t i = 0; i < o->nrep; i++) {
        if (!h->param_item(call, "reports", i))
            return *st = h->error(call, "reports must be a list of evidence names"), -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->param_item(call, "reports", i), h->param_item(call, "reports", j)) == 0)
                return *st = h->error(call, "reports names evidence \"%s\" twice", h->param_item(call, "reports", i)), -1;
    }
    return 0;
}

/* The details every result carries: each report, the counts, the limits applied. */
static void add_summary_details(const rg_host *h, rg_check_call *call, const scan_opts *o, const rep *reps,
                                const sec_tally *total, int64_t now)
{
    rg_json *details = h->details(call), *arr, *lim;
    arr = h->add_array(call, details, "reports");
    for (size_t i = 0; i < o->nrep; i++)
        report_details(h, call, arr, &reps[i], now);
    add_counts(h, call, details, total);
    lim = h->add_object(call, details, "limits");
    for (int i = SEC_SEV_CRITICAL; i >= SEC_SEV_NONE; i--) {
        if (o->limit[i] == LIMIT_NONE)
            h->add_string(call, lim, sec_sev_name((sec_sev)i), NULL);
        else
            h->add_number(call, lim, sec_sev_name((sec_sev)i), (double)o->limit[i]);
    }
    h->add_string(call, details, "fail_on", h->param_string(call, "fail_on"));
    h->add_string(call, details, "unknown_as", h->param_string(call, "unknown_as"));
}

/* Severities whose count (unknown ones counted as unknown_as says) breaks its limit: a
 * failure each, and one summary line.  Returns a bit per severity over its limit, as
 * the findings themselves are rated: with unknown_as, the unknown ones' bit too when the
 * severity they count as is over, so that what lists the failed findings
 * (failed_findings, worst_text) lists them (hostile round 33, F01: a waiver naming the
 * one HIGH finding covered "2 high", the other an UNKNOWN counted as high). */
static unsigned limit_failures(verdict *v, const scan_opts *o, const sec_tally *total)
{
    const rg_host *h = v->h;
    long eff[SEC_SEV_COUNT];
    char over[300] = "";
    size_t n = 0;
    unsigned over_limits = 0;
    memcpy(eff, total->sev, sizeof eff);
    if (o->unknown_as != SEC_SEV_UNKNOWN) {
        eff[o->unknown_as] += eff[SEC_SEV_UNKNOWN];
        eff[SEC_SEV_UNKNOWN] = 0;
    }
    for (int i = SEC_SEV_CRITICAL; i >= SEC_SEV_NONE; i--) {
        rg_json *f;
        if (o->limit[i] == LIMIT_NONE || eff[i] <= o->limit[i])
            continue;
        over_limits |= 1u << i;
        if (n + 2 < sizeof over) {
            snprintf(over + n, sizeof over - n, "%s%ld %s (allowed %ld)", n ? ", " : "", eff[i],
                     sec_sev_name((sec_sev)i), o->limit[i]);
            n = strlen(over);
        }
        f = h->add_object(v->call, v->list, NULL);
        h->add_string(v->call, f, "check", "limit");
        h->add_string(v->call, f, "severity", sec_sev_name((sec_sev)i));
        h->add_number(v->call, f, "count", (double)eff[i]);
        h->add_number(v->call, f, "allowed", (double)o->limit[i]);
    }
    if (n)
        verdict_add(v, "findings over the limits: %s", over);
    if (o->unknown_as != SEC_SEV_UNKNOWN && (over_limits & (1u << o->unknown_as)))
        over_limits |= 1u << SEC_SEV_UNKNOWN;
    return over_limits;
}

/* max_age: a report without a time, dated in the future, or too old fails. */
static void age_failure(verdict *v, const scan_opts *o, const rep *r, int64_t now)
{
    const rg_host *h = v->h;
    char buf[64], buf2[64];
    rg_json *f;
    int future;
    if (!r->info.has_time) {
        verdict_add(v, "%s has no timestamp to judge max_age by", r->name);
        f = h->add_object(v->call, v->list, NULL);
        h->add_string(v->call, f, "check", "max_age");
        h->add_string(v->call, f, "evidence", r->name);
        h->add_string(v->call, f, "problem", "the report has no timestamp");
        return;
    }
    future = rg_time_in_future(r->info.time, now);
    if (!future && !((double)(now - r->info.time) > o->max_age))
        return;
    if (future)
        verdict_add(v, "%s is dated in the future (%s)", r->name, r->info.time_text);
    else
        verdict_add(v, "%s is %s old (max_age %s)", r->name, span((double)(now - r->info.time), buf2, sizeof buf2),
                    span(o->max_age, buf, sizeof buf));
    f = h->add_object(v->call, v->list, NULL);
    h->add_string(v->call, f, "check", "max_age");
    h->add_string(v->call, f, "evidence", r->name);
    h->add_string(v->call, f, "timestamp", r->info.time_text);
    h->add_number(v->call, f, "age_seconds", (double)(now - r->info.time));
    h->add_number(v->call, f, "max_age_seconds", o->max_age);
    if (future)
        h->add_string(v->call, f, "problem", "the report is dated in the future");
}

/* require_commit_match: every commit the report names must be the release's. */
static void commit_failure(verdict *v, const scan_opts *o, const rep *r)
{
    const rg_host *h = v->h;
    const char *problem = NULL;
    rg_json *f;
    if (!o->release_commit || !*o->release_commit)
        problem = "the context has no release.commit to compare with";
    else if (!r->info.commit_count)
        problem = "the report names no commit";
    else if (r->info.commit_overflow)
        problem = "the report names more commits than can be compared";
    for (size_t k = 0; !problem && k < r->info.commit_count; k++)
        if (!same_commit(r->info.commits[k], o->release_commit))
            problem = "the report was made for another commit";
    if (!problem)
        return;
    verdict_add(v, "%s: %s", r->name, problem);
    f = h->add_object(v->call, v->list, NULL);
    h->add_string(v->call, f, "check", "commit");
    h->add_string(v->call, f, "evidence", r->name);
    h->add_string(v->call, f, "problem", problem);
    h->add_string(v->call, f, "release_commit", o->release_commit);
    if (r->info.commit_count)
        h->add_string(v->call, f, "report_commit", r->info.commits[0]);
}

/* A report that says its scan did not complete fails unless allow_incomplete. */
static void completeness_failure(verdict *v, const scan_opts *o, const rep *r)
{
    rg_json *f;
    if (!r->info.incomplete[0] || o->allow_incomplete)
        return;
    verdict_add(v, "%s: the scan did not complete (%s)", r->name, r->info.incomplete);
    f = v->h->add_object(v->call, v->list, NULL);
    v->h->add_string(v->call, f, "check", "complete");
    v->h->add_string(v->call, f, "evidence", r->name);
    v->h->add_string(v->call, f, "problem", r->info.incomplete);
}

/* How the reports read: the first one that could not be, and how many of each kind. */
typedef struct read_outcome {
    size_t unreadable, invalid, first_bad, ok;
} read_outcome;

static read_outcome tally_reports(const rep *reps, size_t nrep, sec_tally *total)
{
    read_outcome out = {0, 0, 0, 0};
    memset(total, 0, sizeof *total);
    for (size_t i = 0; i < nrep; i++) {
        const rep *r = &reps[i];
        if (r->state == REP_UNREADABLE) {
            if (!out.unreadable++ && !out.invalid)
                out.first_bad = i;
        } else if (r->state == REP_INVALID) {
            if (!out.invalid++)
                out.first_bad = i;
        } else {
            sec_tally_merge(total, &r->t);
            out.ok++;
        }
    }
    return out;
}

/* "; worst: CVE-1 (critical, pkg@1.0)": the worst kept finding of a severity over its
 * limit, the one line a release manager reads first (into BUF; "" when none). */
static void worst_text(const sec_scan *sc, unsigned over_limits, char *buf, size_t size)
{
    const sec_kept *k = NULL;
    const char *where;
    buf[0] = '\0';
    for (size_t i = 0; i < sc->worst_count && !k; i++)
        if (over_limits & (1u << sc->worst[i].severity))
            k = &sc->worst[i];
    if (!k)
        return;
    where = k->package ? k->package : k->file ? k->file : NULL;
    snprintf(buf, size, "; worst: %s (%s%s%s%s%s)", k->id ? k->id : "?", sec_sev_name(k->severity),
             where ? ", " : "", where ? where : "", k->package && k->version ? "@" : "",
             k->package && k->version ? k->version : "");
}

/* The result, in order of weight: a report that cannot be understood is an error (or a
 * failure with unrecognised = fail), one that cannot be read a failure, then whatever
 * the verdict holds; a pass only when nothing failed. */
static rg_check_status conclude(const rg_host *h, rg_check_call *call, const scan_opts *o, const rep *reps,
                                const read_outcome *ro, const verdict *v, const sec_scan *sc,
                                unsigned over_limits, const sec_tally *total, const sec_ignore *ign)
{
    size_t expired = 0, malformed = 0;
    char tail[160] = "", worst[256], buf[256];
    const rep *bad = &reps[ro->first_bad];
    long n;
    for (size_t i = 0; i < o->nign; i++) {
        expired += ign[i].state == SEC_IGNORE_EXPIRED;
        malformed += ign[i].state == SEC_IGNORE_MALFORMED;
    }
    if (expired || malformed)
        snprintf(tail, sizeof tail, " (ignore entries not applied: %zu expired, %zu malformed)", expired, malformed);
    if (ro->invalid && o->as_fail)
        return h->fail(call, "%s: %s%s", bad->name, bad->why,
                       ro->invalid + ro->unreadable > 1 ? " (and other reports could not be read)" : "");
    if (ro->invalid)
        return h->error(call, "%s: %s%s", bad->name, bad->why,
                        ro->invalid + ro->unreadable > 1 ? " (and other reports could not be read)" : "");
    if (ro->unreadable)
        return h->fail(call, "cannot read report %s: %s%s", bad->name, bad->why,
                       ro->unreadable > 1 ? " (and others)" : "");
    if (v->count) {
        worst_text(sc, over_limits, worst, sizeof worst);
        /* A waiver scoped to findings may only cover a failure that is findings alone:
         * with a stale, incomplete or other commit's report besides (limit_failures adds
         * one verdict line for all the limits), no list is given, so no such waiver
         * applies to the whole failure. */
        if (over_limits && v->count == 1)
            failed_findings(h, call, sc, total, over_limits);
        return h->fail(call, "%s%s%s", v->text, worst, tail);
    }
    n = sec_tally_findings(total);
    return h->pass(call, "%zu report%s, %ld finding%s, none over the limits (fail_on %s)%s%s; "
                   "%ld ignored, %ld suppressed%s", ro->ok, ro->ok == 1 ? "" : "s", n, n == 1 ? "" : "s",
                   h->param_string(call, "fail_on"), n ? ": " : "", n ? count_text(total, buf, sizeof buf) : "",
                   total->ignored, total->suppressed, tail);
}

/* security.scan: judge the parameters, read every report (so that the details show all
 * of them), then what fails, in order of weight: limits, then age, commit and
 * completeness of each report. */
static rg_check_status run_scan(const rg_host *h, rg_check_call *call)
{
    int64_t now = h->now(call);
    rep *reps;
    sec_ignore *ign;
    sec_scan sc;
    sec_tally total;
    scan_opts o;
    read_outcome ro;
    verdict v;
    unsigned over_limits;
    rg_check_status st;

    if (read_opts(h, call, &o, &st) != 0)
        return st;
    reps = calloc(o.nrep, sizeof *reps);
    ign = calloc(o.nign ? o.nign : 1, sizeof *ign);
    if (!reps || !ign) {
        free(reps);
        free(ign);
        return h->error(call, "out of memory");
    }
    for (size_t i = 0; i < o.nign; i++)
        sec_ignore_parse(h->param_item(call, "ignore", i), now, &ign[i]);

    sec_scan_init(&sc, ign, o.nign);
    if (read_reports(h, call, reps, o.nrep, o.forced, &sc, ign, o.nign, now) != 0) {
        sec_scan_free(&sc);
        free(reps);
        free(ign);
        return h->error(call, "out of memory");
    }
    ro = tally_reports(reps, o.nrep, &total);
    add_summary_details(h, call, &o, reps, &total, now);

    memset(&v, 0, sizeof v);
    v.h = h;
    v.call = call;
    v.list = h->add_array(call, h->details(call), "failures");
    over_limits = limit_failures(&v, &o, &total);
    for (size_t i = 0; i < o.nrep; i++) {
        if (reps[i].state != REP_OK)
            continue;
        if (o.check_age)
            age_failure(&v, &o, &reps[i], now);
        if (o.want_commit)
            commit_failure(&v, &o, &reps[i]);
        completeness_failure(&v, &o, &reps[i]);
    }
    worst_details(h, call, &sc, reps);
    if (o.nign)
        ignore_details(h, call, ign, o.nign);
    if (sc.oom)
        h->log(call, "out of memory while keeping the worst findings: the list is incomplete");

    st = conclude(h, call, &o, reps, &ro, &v, &sc, over_limits, &total, ign);
    sec_scan_free(&sc);
    free(reps);
    free(ign);
    return st;
}

static const rg_check checks[] = {
    {"security.scan",
     "Security scan reports (SARIF, Trivy, Grype, GitLab) hold no findings above the allowed severities",
     scan_params, sizeof scan_params / sizeof scan_params[0], run_scan},
};

static const rg_plugin plugin = {
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
    "security", "1.0.0", "Security scan reports: SARIF 2.1.0, Trivy, Grype and GitLab", "MIT",
    checks, sizeof checks / sizeof checks[0], RG_PLUGIN_FLAG_SHARE_CHILD,
    NULL, /* env: reads no environment variable (times are UTC, from the host's clock) */
    sizeof(rg_check), sizeof(rg_param),
};

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void);

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void)
{
    return &plugin;
}
