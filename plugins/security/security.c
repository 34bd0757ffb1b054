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
#define FAIL_ANY (SEV_COUNT + 1)
#define FAIL_OFF (SEV_COUNT + 2)

/* The values of the enumerated parameters: the engine refuses others when it loads or
 * lints a policy (run_scan still judges what it is given). */
static const char *const fail_on_values[] = {"critical", "high", "medium", "low", "any", "none", NULL};
static const char *const unknown_as_values[] = {"unknown", "none", "low", "medium", "high", "critical", NULL};
static const char *const unrecognised_values[] = {"error", "fail", NULL};

static const rg_param scan_params[] = {
    {"reports", RG_PARAM_EVIDENCE_LIST, 1, NULL,
     "evidence names of the scan reports: SARIF 2.1.0, Trivy JSON, Grype JSON or GitLab security reports", NULL},
    {"format", RG_PARAM_STRING, 0, "\"auto\"",
     "report format: auto (recognise each report), sarif, trivy, grype or gitlab", RFORMAT_NAMES},
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
    rinfo info;
    tally t;
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

static void add_counts(const rg_host *h, rg_check_call *call, rg_json *parent, const tally *t)
{
    rg_json *c = h->add_object(call, parent, "counts");
    for (int s = SEV_CRITICAL; s >= SEV_NONE; s--)
        h->add_number(call, c, sev_name((sev)s), (double)t->sev[s]);
    h->add_number(call, parent, "findings", (double)tally_findings(t));
    h->add_number(call, parent, "suppressed", (double)t->suppressed);
    h->add_number(call, parent, "ignored", (double)t->ignored);
    h->add_number(call, parent, "not_findings", (double)t->passed);
    h->add_number(call, parent, "fixed", (double)t->absent);
}

/* "2 critical, 1 high" for severities from TOP down with a count (into BUF). */
static const char *count_text(const tally *t, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = SEV_CRITICAL; s >= SEV_NONE && n + 2 < size; s--)
        if (t->sev[s]) {
            snprintf(buf + n, size - n, "%s%ld %s", n ? ", " : "", t->sev[s], sev_name((sev)s));
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
    const rinfo *in = &r->info;
    h->add_string(call, o, "evidence", r->name);
    if (r->state != REP_OK) {
        h->add_string(call, o, "format", r->state == REP_INVALID && in->format != FMT_AUTO ? rformat_name(in->format) : NULL);
        h->add_string(call, o, "error", r->why);
        return;
    }
    h->add_string(call, o, "format", rformat_name(in->format));
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
    h->add_number(call, o, in->format == FMT_SARIF ? "runs" : in->format == FMT_TRIVY ? "targets" : "entries",
                  (double)(in->format == FMT_SARIF || in->format == FMT_TRIVY ? in->units : in->entries));
    if (in->format == FMT_SARIF || in->format == FMT_TRIVY)
        h->add_number(call, o, "entries", (double)in->entries);
    add_counts(h, call, o, &r->t);
}

static void worst_details(const rg_host *h, rg_check_call *call, const scan *sc, const rep *reps)
{
    rg_json *arr = h->add_array(call, h->details(call), "worst");
    for (size_t i = 0; i < sc->worst_count; i++) {
        const kept *k = &sc->worst[i];
        rg_json *o = h->add_object(call, arr, NULL);
        char loc[400];
        h->add_string(call, o, "evidence", reps[k->report].name);
        h->add_string(call, o, "id", k->id ? k->id : "");
        h->add_string(call, o, "severity", sev_name(k->severity));
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
 * "findings" must all cover (docs/policies.md#waivers).  Only when the kept worst
 * findings are all of them (as many as the counts say) and each has an id: a partial
 * list would let a waiver cover findings it never named, so none is given then. */
static void failed_findings(const rg_host *h, rg_check_call *call, const scan *sc, const tally *total,
                            unsigned over_limits)
{
    long want = 0, have = 0;
    rg_json *arr;
    for (int s = SEV_NONE; s <= SEV_CRITICAL; s++)
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

static void ignore_details(const rg_host *h, rg_check_call *call, const ignore_rule *rules, size_t n)
{
    static const char *const STATES[] = {"active", "expired", "malformed"};
    rg_json *arr = h->add_array(call, h->details(call), "ignores");
    for (size_t i = 0; i < n; i++) {
        const ignore_rule *r = &rules[i];
        rg_json *o = h->add_object(call, arr, NULL);
        h->add_string(call, o, "entry", r->entry);
        h->add_string(call, o, "status", STATES[r->state]);
        if (r->state != IGNORE_MALFORMED) {
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
    sev s;
    if (allow_any && strcasecmp(v, "any") == 0) {
        *out = FAIL_ANY;
        return 0;
    }
    if (allow_any && strcasecmp(v, "none") == 0) {
        *out = FAIL_OFF;
        return 0;
    }
    if (sev_parse(v, &s) != 0 || (allow_any && (s == SEV_UNKNOWN || s == SEV_NONE)))
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
    kept worst[WORST_MAX];
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

static void kept_copy(kept *to, const kept *from)
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
    scan tmp;
    memset(&tmp, 0, sizeof tmp);
    memcpy(tmp.worst, m->worst, sizeof tmp.worst);
    tmp.worst_count = m->worst_count;
    scan_free(&tmp);
    free(m->key);
    free(m->reps);
    free(m->matched);
    memset(m, 0, sizeof *m);
}

/* The memo key: the format, the now, each report's name and file identity, and the
 * ignore entries (heap), or NULL when the host gives no identity (not a shared child). */
static char *memo_key(const rg_host *h, rg_check_call *call, rg_stream **streams, const rep *reps, size_t nrep,
                      rformat forced, int64_t now)
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

static int memo_get(const char *key, rep *reps, size_t nrep, scan *sc, ignore_rule *ign, size_t nign)
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

static void memo_put(char *key, const rep *reps, size_t nrep, const scan *sc, const ignore_rule *ign, size_t nign)
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
static int read_reports(const rg_host *h, rg_check_call *call, rep *reps, size_t nrep, rformat forced,
                        scan *sc, ignore_rule *ign, size_t nign, int64_t now)
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
            scan_begin(sc, i, &r->t);
            if (report_read(text, len, forced, sc, &r->info, r->why, sizeof r->why) != 0) {
                r->state = REP_INVALID;
                scan_drop(sc, i);
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
            rsrc src = {stream_read, &c};
            int rc;
            if (!streams[i])
                continue;
            scan_begin(sc, i, &r->t);
            rc = report_stream(&src, whole_read, &c, forced, sc, &r->info, r->why, sizeof r->why);
            if (rc != 0) {
                r->state = rc == -2 ? REP_UNREADABLE : REP_INVALID;
                if (rc == -2)
                    memset(&r->t, 0, sizeof r->t);
                scan_drop(sc, i);
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

static rg_check_status run_scan(const rg_host *h, rg_check_call *call)
{
    static const char *const MAX_NAMES[SEV_COUNT] = {
        [SEV_LOW] = "max_low", [SEV_MEDIUM] = "max_medium", [SEV_HIGH] = "max_high", [SEV_CRITICAL] = "max_critical",
    };
    rg_json *details = h->details(call), *arr, *lim;
    rformat forced;
    int fail_on, unknown_as;
    long limit[SEV_COUNT];
    size_t nrep = h->param_count(call, "reports"), nign = h->param_count(call, "ignore");
    int64_t now = h->now(call);
    int check_age = h->param_is_set(call, "max_age"), want_commit = h->param_boolean(call, "require_commit_match");
    int allow_incomplete = h->param_boolean(call, "allow_incomplete");
    const char *unrecognised = h->param_string(call, "unrecognised");
    int as_fail = unrecognised && strcmp(unrecognised, "fail") == 0;
    double max_age = h->param_number(call, "max_age");
    const char *release_commit = h->context_string(call, "release.commit");
    const char *s;
    rep *reps = NULL;
    ignore_rule *ign = NULL;
    scan sc;
    tally total;
    verdict v;
    unsigned over_limits = 0;  /* bit per severity whose count broke its limit */
    size_t unreadable = 0, invalid = 0, first_bad = 0, ok = 0;
    char buf[256], buf2[64];
    rg_check_status st;

    /* Parameters: the engine checked their types; the values are ours to judge. */
    s = h->param_string(call, "format");
    if (!s || rformat_parse(s, &forced) != 0)
        return h->error(call, "format must be auto, sarif, trivy, grype or gitlab, not \"%s\"", s ? s : "");
    s = h->param_string(call, "fail_on");
    if (!s || parse_sev_param(s, &fail_on, 1) != 0)
        return h->error(call, "fail_on must be critical, high, medium, low, any or none, not \"%s\"", s ? s : "");
    if (!unrecognised || (strcmp(unrecognised, "error") != 0 && strcmp(unrecognised, "fail") != 0))
        return h->error(call, "unrecognised must be error or fail, not \"%s\"", unrecognised ? unrecognised : "");
    s = h->param_string(call, "unknown_as");
    if (!s || parse_sev_param(s, &unknown_as, 0) != 0)
        return h->error(call, "unknown_as must be unknown, none, low, medium, high or critical, not \"%s\"", s ? s : "");
    for (int i = SEV_NONE; i < SEV_COUNT; i++) {
        limit[i] = LIMIT_NONE;
        if (fail_on == FAIL_ANY || (fail_on < SEV_COUNT && i >= fail_on && i >= SEV_LOW))
            limit[i] = 0;
        if (MAX_NAMES[i] && h->param_is_set(call, MAX_NAMES[i])) {
            int64_t m = h->param_integer(call, MAX_NAMES[i]);
            if (m < 0)
                return h->error(call, "%s must not be negative", MAX_NAMES[i]);
            limit[i] = m > 1000000000 ? 1000000000 : (long)m;
        }
    }
    if (unknown_as != SEV_UNKNOWN)
        limit[SEV_UNKNOWN] = LIMIT_NONE; /* counted under the severity it stands for */
    if (check_age && !(max_age >= 0))
        return h->error(call, "max_age must not be negative");
    if (nrep == 0)
        return h->error(call, "reports names no evidence");
    for (size_t i = 0; i < nrep; i++) {
        if (!h->param_item(call, "reports", i))
            return h->error(call, "reports must be a list of evidence names");
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->param_item(call, "reports", i), h->param_item(call, "reports", j)) == 0)
                return h->error(call, "reports names evidence \"%s\" twice", h->param_item(call, "reports", i));
    }

    reps = calloc(nrep, sizeof *reps);
    ign = calloc(nign ? nign : 1, sizeof *ign);
    if (!reps || !ign) {
        free(reps);
        free(ign);
        return h->error(call, "out of memory");
    }
    for (size_t i = 0; i < nign; i++)
        ignore_parse(h->param_item(call, "ignore", i), now, &ign[i]);

    /* Read every report, so that the details show all of them. */
    scan_init(&sc, ign, nign);
    memset(&total, 0, sizeof total);
    if (read_reports(h, call, reps, nrep, forced, &sc, ign, nign, now) != 0) {
        scan_free(&sc);
        free(reps);
        free(ign);
        return h->error(call, "out of memory");
    }
    for (size_t i = 0; i < nrep; i++) {
        rep *r = &reps[i];
        if (r->state == REP_UNREADABLE) {
            if (!unreadable++ && !invalid)
                first_bad = i;
        } else if (r->state == REP_INVALID) {
            if (!invalid++)
                first_bad = i;
        } else {
            tally_merge(&total, &r->t);
            ok++;
        }
    }

    arr = h->add_array(call, details, "reports");
    for (size_t i = 0; i < nrep; i++)
        report_details(h, call, arr, &reps[i], now);
    add_counts(h, call, details, &total);
    lim = h->add_object(call, details, "limits");
    for (int i = SEV_CRITICAL; i >= SEV_NONE; i--) {
        if (limit[i] == LIMIT_NONE)
            h->add_string(call, lim, sev_name((sev)i), NULL);
        else
            h->add_number(call, lim, sev_name((sev)i), (double)limit[i]);
    }
    h->add_string(call, details, "fail_on", h->param_string(call, "fail_on"));
    h->add_string(call, details, "unknown_as", h->param_string(call, "unknown_as"));

    /* What fails, in order of weight: limits, then age, commit and completeness. */
    memset(&v, 0, sizeof v);
    v.h = h;
    v.call = call;
    v.list = h->add_array(call, details, "failures");
    {
        long eff[SEV_COUNT];
        char over[300] = "";
        size_t n = 0;
        memcpy(eff, total.sev, sizeof eff);
        if (unknown_as != SEV_UNKNOWN) {
            eff[unknown_as] += eff[SEV_UNKNOWN];
            eff[SEV_UNKNOWN] = 0;
        }
        for (int i = SEV_CRITICAL; i >= SEV_NONE; i--) {
            rg_json *o;
            if (limit[i] == LIMIT_NONE || eff[i] <= limit[i])
                continue;
            over_limits |= 1u << i;
            if (n + 2 < sizeof over) {
                snprintf(over + n, sizeof over - n, "%s%ld %s (allowed %ld)", n ? ", " : "", eff[i],
                         sev_name((sev)i), limit[i]);
                n = strlen(over);
            }
            o = h->add_object(call, v.list, NULL);
            h->add_string(call, o, "check", "limit");
            h->add_string(call, o, "severity", sev_name((sev)i));
            h->add_number(call, o, "count", (double)eff[i]);
            h->add_number(call, o, "allowed", (double)limit[i]);
        }
        if (n)
            verdict_add(&v, "findings over the limits: %s", over);
    }
    for (size_t i = 0; i < nrep; i++) {
        rep *r = &reps[i];
        rg_json *o;
        if (r->state != REP_OK)
            continue;
        if (check_age) {
            if (!r->info.has_time) {
                verdict_add(&v, "%s has no timestamp to judge max_age by", r->name);
                o = h->add_object(call, v.list, NULL);
                h->add_string(call, o, "check", "max_age");
                h->add_string(call, o, "evidence", r->name);
                h->add_string(call, o, "problem", "the report has no timestamp");
            } else if (rg_time_in_future(r->info.time, now) || (double)(now - r->info.time) > max_age) {
                int future = rg_time_in_future(r->info.time, now);
                if (future)
                    verdict_add(&v, "%s is dated in the future (%s)", r->name, r->info.time_text);
                else
                    verdict_add(&v, "%s is %s old (max_age %s)", r->name, span((double)(now - r->info.time), buf2, sizeof buf2),
                                span(max_age, buf, sizeof buf));
                o = h->add_object(call, v.list, NULL);
                h->add_string(call, o, "check", "max_age");
                h->add_string(call, o, "evidence", r->name);
                h->add_string(call, o, "timestamp", r->info.time_text);
                h->add_number(call, o, "age_seconds", (double)(now - r->info.time));
                h->add_number(call, o, "max_age_seconds", max_age);
                if (future)
                    h->add_string(call, o, "problem", "the report is dated in the future");
            }
        }
        if (want_commit) {
            const char *problem = NULL;
            if (!release_commit || !*release_commit)
                problem = "the context has no release.commit to compare with";
            else if (!r->info.commit_count)
                problem = "the report names no commit";
            else if (r->info.commit_overflow)
                problem = "the report names more commits than can be compared";
            for (size_t k = 0; !problem && k < r->info.commit_count; k++)
                if (!same_commit(r->info.commits[k], release_commit))
                    problem = "the report was made for another commit";
            if (problem) {
                verdict_add(&v, "%s: %s", r->name, problem);
                o = h->add_object(call, v.list, NULL);
                h->add_string(call, o, "check", "commit");
                h->add_string(call, o, "evidence", r->name);
                h->add_string(call, o, "problem", problem);
                h->add_string(call, o, "release_commit", release_commit);
                if (r->info.commit_count)
                    h->add_string(call, o, "report_commit", r->info.commits[0]);
            }
        }
        if (r->info.incomplete[0] && !allow_incomplete) {
            verdict_add(&v, "%s: the scan did not complete (%s)", r->name, r->info.incomplete);
            o = h->add_object(call, v.list, NULL);
            h->add_string(call, o, "check", "complete");
            h->add_string(call, o, "evidence", r->name);
            h->add_string(call, o, "problem", r->info.incomplete);
        }
    }
    worst_details(h, call, &sc, reps);
    if (nign)
        ignore_details(h, call, ign, nign);
    if (sc.oom)
        h->log(call, "out of memory while keeping the worst findings: the list is incomplete");

    {
        size_t expired = 0, malformed = 0;
        char tail[160] = "";
        for (size_t i = 0; i < nign; i++) {
            expired += ign[i].state == IGNORE_EXPIRED;
            malformed += ign[i].state == IGNORE_MALFORMED;
        }
        if (expired || malformed)
            snprintf(tail, sizeof tail, " (ignore entries not applied: %zu expired, %zu malformed)", expired, malformed);
        if (invalid && as_fail) {
            const rep *r = &reps[first_bad];
            st = h->fail(call, "%s: %s%s", r->name, r->why,
                         invalid + unreadable > 1 ? " (and other reports could not be read)" : "");
        } else if (invalid) {
            const rep *r = &reps[first_bad];
            st = h->error(call, "%s: %s%s", r->name, r->why,
                          invalid + unreadable > 1 ? " (and other reports could not be read)" : "");
        } else if (unreadable) {
            const rep *r = &reps[first_bad];
            st = h->fail(call, "cannot read report %s: %s%s", r->name, r->why,
                         unreadable > 1 ? " (and others)" : "");
        } else if (v.count) {
            /* Name the worst finding: the one line a release manager reads first. */
            char worst[256] = "";
            const kept *k = NULL;
            for (size_t i = 0; i < sc.worst_count && !k; i++)
                if (over_limits & (1u << sc.worst[i].severity))
                    k = &sc.worst[i];
            if (k) {
                const char *where = k->package ? k->package : k->file ? k->file : NULL;
                snprintf(worst, sizeof worst, "; worst: %s (%s%s%s%s%s)", k->id ? k->id : "?",
                         sev_name(k->severity), where ? ", " : "", where ? where : "",
                         k->package && k->version ? "@" : "", k->package && k->version ? k->version : "");
            }
            failed_findings(h, call, &sc, &total, over_limits);
            st = h->fail(call, "%s%s%s", v.text, worst, tail);
        } else {
            long n = tally_findings(&total);
            st = h->pass(call, "%zu report%s, %ld finding%s, none over the limits (fail_on %s)%s%s; "
                         "%ld ignored, %ld suppressed%s", ok, ok == 1 ? "" : "s", n, n == 1 ? "" : "s",
                         h->param_string(call, "fail_on"), n ? ": " : "", n ? count_text(&total, buf, sizeof buf) : "",
                         total.ignored, total.suppressed, tail);
        }
    }
    scan_free(&sc);
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
