/* The ci plugin: ci.status passes when every check, job and test of its CI status
 * reports succeeded (and every required one is there). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_parse.h"
#include "fetch_source.h"
#include "relgate/plugin.h"
#include "rfc3339.h"

#define LIST_MAX 100      /* entries per details list */
#define NAMES_MAX 3       /* names per group in the message */

typedef struct group {    /* the failing, pending or warning items */
    rg_json *list;
    long count;
    char names[400];      /* the first NAMES_MAX, for the message */
} group;

typedef struct judge {
    const rg_host *h;
    rg_check_call *call;
    const char **success, **required, **evidence;
    size_t n_success, n_required, n_reports;
    int pending_fails, allow_failures, only_required, allow_empty;
    group failing, pending, warnings;
    long passed, checks, suites;
    char problems[600];   /* report-level reasons to fail, "; "-separated */
    rg_json *problem_list;
    ci_family family;     /* the format parameter */
    int local_offset;     /* the timezone parameter, in seconds */
    char zone[RG_OFFSET_BUFSIZE];
    int zone_assumed;     /* some report's times had no zone */
    const char *commit;   /* release.commit when match_commit, else NULL */
    ci_report *reps;      /* one per report */
    rg_json **entries;    /* each report's line in details */
    int64_t newest;       /* the newest completion judged, when has_newest */
    int has_newest;
} judge;

/* Append to BUF (SIZE bytes) what FMT says, cutting at the end. */
static void cat(char *buf, size_t size, const char *fmt, ...) RG_PLUGIN_PRINTF(3, 4);
static void cat(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static void problem(judge *j, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);
static void problem(judge *j, const char *fmt, ...)
{
    char line[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cat(j->problems, sizeof j->problems, "%s%s", j->problems[0] ? "; " : "", line);
    if (!j->problem_list)
        j->problem_list = j->h->add_array(j->call, j->h->details(j->call), "problems");
    j->h->add_string(j->call, j->problem_list, NULL, line);
}

/* "3d4h", "5h12m", "7m30s", "45s". */
static void duration(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(buf, size, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, size, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, size, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, size, "%llds", (long long)s);
}

static void rfc3339(int64_t s, char *buf, size_t size)
{
    if (rg_rfc3339_format(s, buf, size) != 0)
        snprintf(buf, size, "%lld", (long long)s);
}

static int listed(const char *name, const char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

/* An item's name as shown: cut at CI_NAME_MAX bytes (on a UTF-8 boundary), "..." saying
 * so.  The item keeps its whole name: that is what tells two checks apart. */
static const char *shown(const ci_item *it, char *buf, size_t size)
{
    size_t n = strlen(it->name);
    if (n <= CI_NAME_MAX || size < CI_NAME_MAX + 4)
        return it->name;
    n = CI_NAME_MAX;
    while (n > 0 && ((unsigned char)it->name[n] & 0xC0) == 0x80)
        n--;
    snprintf(buf, size, "%.*s...", (int)n, it->name);
    return buf;
}

/* How an item reads in a message: "lint (failure)", "unit (2 failed, 1 error)". */
static void label(const ci_item *it, char *buf, size_t size)
{
    char name[CI_NAME_MAX + 4];
    if (it->tests && (it->failures || it->errors))
        snprintf(buf, size, "%s (%lld failed, %lld error%s)", shown(it, name, sizeof name), (long long)it->failures,
                 (long long)it->errors, it->errors == 1 ? "" : "s");
    else if (it->broken)
        snprintf(buf, size, "%s (%s)", shown(it, name, sizeof name), it->note ? it->note : "a suite inside it failed");
    else
        snprintf(buf, size, "%s (%s)", shown(it, name, sizeof name), it->state ? it->state : "no status");
}

static void add_item(judge *j, group *g, const ci_item *it, const char *evidence, int required)
{
    const rg_host *h = j->h;
    char text[CI_NAME_MAX + CI_MESSAGE_MAX + 8], name[CI_NAME_MAX + 4];
    if (++g->count <= LIST_MAX) {
        rg_json *o = h->add_object(j->call, g->list, NULL);
        h->add_string(j->call, o, "name", shown(it, name, sizeof name));
        h->add_string(j->call, o, "report", evidence);
        h->add_string(j->call, o, "kind", it->kind);
        if (it->tests) {
            h->add_number(j->call, o, "tests", (double)it->total);
            h->add_number(j->call, o, "failures", (double)it->failures);
            h->add_number(j->call, o, "errors", (double)it->errors);
            h->add_number(j->call, o, "skipped", (double)it->skipped);
        } else {
            h->add_string(j->call, o, "state", it->state ? it->state : "none");
        }
        if (it->sha)
            h->add_string(j->call, o, "sha", it->sha);
        if (it->has_id)
            h->add_number(j->call, o, "id", it->id);
        if (it->note)
            h->add_string(j->call, o, "note", it->note);
        if (it->allow_failure)
            h->add_boolean(j->call, o, "allow_failure", 1);
        if (required)
            h->add_boolean(j->call, o, "required", 1);
    }
    if (g->count <= NAMES_MAX) {
        label(it, text, sizeof text);
        cat(g->names, sizeof g->names, "%s%s", g->count > 1 ? ", " : "", text);
    } else if (g->count == NAMES_MAX + 1) {
        cat(g->names, sizeof g->names, ", ...");
    }
}

static void judge_item(judge *j, const ci_item *it, const char *evidence)
{
    int required = listed(it->name, j->required, j->n_required);
    ci_outcome out;
    if (it->tests)
        out = it->failures + it->errors > 0 || it->broken ? CI_FAILED : CI_PASSED;
    else
        out = it->broken ? CI_FAILED : ci_classify(it->state, j->success, j->n_success);
    if (it->tests)
        j->suites++;
    else
        j->checks++;
    if (out == CI_PASSED)
        j->passed++;
    else if ((j->allow_failures && it->allow_failure) || (j->only_required && !required))
        add_item(j, &j->warnings, it, evidence, required);
    else if (out == CI_FAILED)
        add_item(j, &j->failing, it, evidence, required);
    else if (j->pending_fails)
        add_item(j, &j->pending, it, evidence, required);
    else
        add_item(j, &j->warnings, it, evidence, required);
}

/* ---- Parameters ------------------------------------------------------------------------- */

/* The items of list parameter NAME (strings owned by the host), or NULL with *N 0 when
 * there are none, or when memory ran out (then *OOM is set: an empty `required` list
 * must not be how a check passes).  The caller frees the array. */
static const char **items(const rg_host *h, rg_check_call *call, const char *name, size_t *n, int *oom)
{
    const char **out;
    *n = h->param_count(call, name);
    if (*n == 0)
        return NULL;
    if (!(out = calloc(*n, sizeof *out))) {
        *n = 0;
        *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        out[i] = h->param_item(call, name, i);
    return out;
}

static int family_of(const char *s, ci_family *f)
{
    static const struct { const char *name; ci_family family; } names[] = {
        {"auto", CI_ANY}, {"github", CI_GITHUB}, {"gitlab", CI_GITLAB}, {"junit", CI_JUNIT}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s && strcmp(s, names[i].name) == 0) {
            *f = names[i].family;
            return 0;
        }
    return -1;
}

/* ---- The check -------------------------------------------------------------------------- */

static void details_tests(judge *j, ci_report *reps)
{
    const rg_host *h = j->h;
    rg_json *d = h->details(j->call), *t, *cases = NULL;
    int64_t total = 0, failures = 0, errors = 0, skipped = 0, flaky = 0, failing = 0;
    long kept = 0;
    int any = 0;
    for (size_t i = 0; i < j->n_reports; i++) {
        if (!reps[i].tests)
            continue;
        any = 1;
        total += reps[i].t_total;
        failures += reps[i].t_failures;
        errors += reps[i].t_errors;
        skipped += reps[i].t_skipped;
        flaky += reps[i].t_flaky;
        failing += reps[i].failing_cases;
    }
    if (!any)
        return;
    t = h->add_object(j->call, d, "tests");
    h->add_number(j->call, t, "total", (double)total);
    h->add_number(j->call, t, "passed", (double)(total - failures - errors - skipped));
    h->add_number(j->call, t, "failures", (double)failures);
    h->add_number(j->call, t, "errors", (double)errors);
    h->add_number(j->call, t, "skipped", (double)skipped);
    h->add_number(j->call, t, "flaky", (double)flaky);
    if (failing == 0)
        return;
    cases = h->add_array(j->call, d, "failing_tests");
    for (size_t i = 0; i < j->n_reports; i++)
        for (size_t k = 0; k < reps[i].case_count && kept < CI_CASES_MAX; k++, kept++) {
            const ci_case *c = &reps[i].cases[k];
            rg_json *o = h->add_object(j->call, cases, NULL);
            h->add_string(j->call, o, "report", j->evidence[i]);
            h->add_string(j->call, o, "suite", c->suite);
            h->add_string(j->call, o, "name", c->name);
            h->add_string(j->call, o, "kind", c->kind);
            if (c->message)
                h->add_string(j->call, o, "message", c->message);
        }
    h->add_number(j->call, d, "failing_tests_total", (double)failing);
}

/* One report's line in details, and its report-level problems. */
static void judge_report(judge *j, ci_report *r, const char *evidence, size_t parsed, long ignored, long own,
                         long superseded, const char *commit, const char *other_sha, rg_json *entry)
{
    const rg_host *h = j->h;
    h->add_string(j->call, entry, "format", r->format);
    h->add_number(j->call, entry, "results", (double)parsed);
    if (ignored)
        h->add_number(j->call, entry, "ignored_other_commit", (double)ignored);
    if (own)
        h->add_number(j->call, entry, "ignored_own_run", (double)own);
    if (superseded)
        h->add_number(j->call, entry, "superseded_reruns", (double)superseded);
    if (r->declared > (int64_t)parsed) {
        h->add_number(j->call, entry, "declared_total", (double)r->declared);
        problem(j, "%s holds %zu of %lld results (one page of a paginated list): fetch every page", evidence,
                parsed, (long long)r->declared);
    }
    if (r->tests) {
        rg_json *t = h->add_object(j->call, entry, "tests");
        h->add_number(j->call, t, "total", (double)r->t_total);
        h->add_number(j->call, t, "failures", (double)r->t_failures);
        h->add_number(j->call, t, "errors", (double)r->t_errors);
        h->add_number(j->call, t, "skipped", (double)r->t_skipped);
    }
    if (r->missing) {
        /* recognised, read, but without what ties it to a commit: judged when no commit is
         * asked for, refused when one is (it could be another commit's result) */
        h->add_string(j->call, entry, "missing", r->missing);
        if (commit)
            problem(j, "%s is a %s without %s: it cannot be matched to commit %.12s", evidence, r->format,
                    r->missing, commit);
    }
    /* nothing ran: no checks, no test cases, or only skipped ones (googletest writes a failed
     * SetUpTestSuite as every test skipped): a gate has nothing to pass on */
    if (!j->allow_empty && (r->tests ? r->t_total <= r->t_skipped : parsed == 0)) {
        if (r->tests && r->t_total)
            problem(j, "%s: no test case ran (all %lld skipped)", evidence, (long long)r->t_total);
        else
            problem(j, "%s has no %s", evidence, r->tests ? "test cases" : "checks");
    } else if (parsed > 0 && ignored == (long)parsed) {
        problem(j, "none of the %zu results in %s is for commit %.12s (they are for %.12s...)", parsed,
                evidence, commit, other_sha ? other_sha : "?");
    } else if (!j->allow_empty && own && ignored + own == (long)parsed) {
        problem(j, "%s has no checks but the gate's own run's, still running (%ld)", evidence, own);
    }
}

static int present(const judge *j, const ci_report *reps, const char *name)
{
    for (size_t r = 0; r < j->n_reports; r++)
        for (size_t k = 0; k < reps[r].count; k++)
            if (!reps[r].items[k].ignored && !reps[r].items[k].own_run && strcmp(reps[r].items[k].name, name) == 0)
                return 1;
    return 0;
}

static rg_check_status finish(judge *j, ci_report *reps)
{
    const rg_host *h = j->h;
    rg_json *d = h->details(j->call), *t, *missing = NULL;
    char msg[900] = "", summary[300] = "", absent[300] = "";
    int64_t total = 0, bad = 0, skipped = 0;
    long n_missing = 0;

    for (size_t i = 0; i < j->n_required; i++) {
        if (listed(j->required[i], j->required, i) || present(j, reps, j->required[i]))
            continue;
        if (!missing)
            missing = h->add_array(j->call, d, "missing");
        h->add_string(j->call, missing, NULL, j->required[i]);
        if (n_missing < 5)
            cat(absent, sizeof absent, "%s%s", n_missing ? ", " : "", j->required[i]);
        else if (n_missing == 5)
            cat(absent, sizeof absent, ", ...");
        n_missing++;
    }
    t = h->add_object(j->call, d, "totals");
    h->add_number(j->call, t, "checks", (double)(j->checks + j->suites));
    h->add_number(j->call, t, "passed", (double)j->passed);
    h->add_number(j->call, t, "failing", (double)j->failing.count);
    h->add_number(j->call, t, "pending", (double)j->pending.count);
    h->add_number(j->call, t, "warnings", (double)j->warnings.count);
    h->add_number(j->call, t, "missing", (double)n_missing);
    details_tests(j, reps);

    /* the summary: what was looked at */
    for (size_t i = 0; i < j->n_reports; i++)
        if (reps[i].tests) {
            total += reps[i].t_total;
            bad += reps[i].t_failures + reps[i].t_errors;
            skipped += reps[i].t_skipped;
        }
    if (j->checks)
        cat(summary, sizeof summary, "%ld check%s", j->checks, j->checks == 1 ? "" : "s");
    if (j->suites || total)
        cat(summary, sizeof summary, "%s%lld test%s (%lld failed, %lld skipped)", j->checks ? ", " : "",
            (long long)total, total == 1 ? "" : "s", (long long)bad, (long long)skipped);
    if (!summary[0])
        cat(summary, sizeof summary, "no checks");
    if (j->n_reports == 1)
        cat(summary, sizeof summary, " in %s (%s)", j->evidence[0], reps[0].format);
    else
        cat(summary, sizeof summary, " in %zu reports", j->n_reports);

    if (j->failing.count)
        cat(msg, sizeof msg, "%ld failing: %s", j->failing.count, j->failing.names);
    if (n_missing)
        cat(msg, sizeof msg, "%smissing required: %s", msg[0] ? "; " : "", absent);
    if (j->pending.count)
        cat(msg, sizeof msg, "%s%ld pending: %s", msg[0] ? "; " : "", j->pending.count, j->pending.names);
    if (j->problems[0])
        cat(msg, sizeof msg, "%s%s", msg[0] ? "; " : "", j->problems);
    if (msg[0])
        return h->fail(j->call, "%s (%s)", msg, summary);
    if (j->warnings.count)
        return h->warn(j->call, "%ld warning%s: %s (%s)", j->warnings.count, j->warnings.count == 1 ? "" : "s",
                       j->warnings.names, summary);
    return h->pass(j->call, "all passed: %s", summary);
}

/* The parameters into J.  0, or -1 with the error result in *ST. */
static int read_params(judge *j, rg_check_status *st)
{
    const rg_host *h = j->h;
    rg_check_call *call = j->call;
    const char *format = h->param_string(call, "format"), *tz = h->param_string(call, "timezone");
    int oom = 0;

    j->pending_fails = h->param_boolean(call, "pending_fails");
    j->allow_failures = h->param_boolean(call, "allow_failures");
    j->only_required = h->param_boolean(call, "only_required");
    j->allow_empty = h->param_boolean(call, "allow_empty");
    j->evidence = items(h, call, "reports", &j->n_reports, &oom);
    j->required = items(h, call, "required", &j->n_required, &oom);
    j->success = items(h, call, "success", &j->n_success, &oom);
    if (oom) {
        *st = h->error(call, "out of memory reading the parameters");
        return -1;
    }
    if (family_of(format, &j->family) != 0) {
        *st = h->error(call, "format must be auto, github, gitlab or junit (not '%s')", format ? format : "?");
        return -1;
    }
    if (!j->n_reports) {
        *st = h->error(call, "reports names no evidence");
        return -1;
    }
    if (h->param_integer(call, "max_pages") < 1 || h->param_integer(call, "max_pages") > 1000) {
        *st = h->error(call, "max_pages must be from 1 to 1000");
        return -1;
    }
    if (!j->n_success) {
        *st = h->error(call, "success must list at least one conclusion (default: \"success\")");
        return -1;
    }
    for (size_t i = 0; i < j->n_success; i++)
        if (!j->success[i] || ci_state_failing(j->success[i])) {
            *st = h->error(call, "success lists '%s', a failing conclusion", j->success[i] ? j->success[i] : "?");
            return -1;
        }
    if (rg_time_offset_parse(tz ? tz : "UTC", &j->local_offset) != 0) {
        *st = h->error(call, "parameter 'timezone' must be UTC or an offset like +02:00");
        return -1;
    }
    rg_time_offset_format(j->local_offset, j->zone, sizeof j->zone);
    if (j->only_required && !j->n_required) {
        *st = h->error(call, "only_required needs the required list");
        return -1;
    }
    if (h->param_boolean(call, "match_commit")) {
        j->commit = h->context_string(call, "release.commit");
        if (j->commit && !*j->commit)
            j->commit = NULL;
    }
    return 0;
}

/* Report I — a file, or a live source (ABI 1.4) fetched or replayed from its recording —
 * parsed into J->reps[I].  0, or -1 with WHY. */
static int read_report(judge *j, size_t i, char *why, size_t why_size)
{
    const rg_host *h = j->h;
    const char *name = j->evidence[i], *text, *reason;
    const char *source = h->abi_minor >= 4 ? h->evidence_source(j->call, name) : NULL;
    char reason_buf[1280], *fetched = NULL, own_system = 0;
    double own_run = 0;
    size_t len;
    int parsed;

    if (!source) {
        if (h->read_evidence(j->call, name, &text, &len, &reason) != 0) {
            snprintf(why, why_size, "cannot read the report: %s", reason);
            return -1;
        }
        return ci_parse(text, len, j->family, j->local_offset, &j->reps[i], why, why_size);
    }
    if (ci_live_read(h, j->call, name, source, (size_t)h->param_integer(j->call, "max_pages"), j->entries[i],
                     &fetched, &len, &own_run, &own_system, reason_buf, sizeof reason_buf) != 0) {
        snprintf(why, why_size, "cannot fetch the report: %s", reason_buf);
        return -1;
    }
    parsed = ci_parse(fetched, len, j->family, j->local_offset, &j->reps[i], why, why_size);
    j->reps[i].own_run = own_run;
    j->reps[i].own_system = own_system;
    free(fetched);
    return parsed;
}

/* Every report read, each with its line in details.  0, or -1 with the error result in
 * *ST naming the first report that could not be read (every one's problem in details). */
static int read_reports(judge *j, rg_check_status *st)
{
    const rg_host *h = j->h;
    rg_json *jreports;
    const char *first_evidence = NULL;
    char why[1536], first_why[1536] = "";
    int errors = 0;

    if (!(j->reps = calloc(j->n_reports, sizeof *j->reps)) || !(j->entries = calloc(j->n_reports, sizeof *j->entries))) {
        *st = h->error(j->call, "out of memory");
        return -1;
    }
    jreports = h->add_array(j->call, h->details(j->call), "reports");
    for (size_t i = 0; i < j->n_reports; i++) {
        j->entries[i] = h->add_object(j->call, jreports, NULL);
        ci_report_init(&j->reps[i]);
        h->add_string(j->call, j->entries[i], "evidence", j->evidence[i]);
        if (read_report(j, i, why, sizeof why) == 0) {
            if (j->reps[i].zone_assumed) {   /* say which zone its zone-less times were read in */
                h->add_string(j->call, j->entries[i], "zone_assumed", j->zone);
                j->zone_assumed = 1;
            }
            continue;
        }
        h->add_string(j->call, j->entries[i], "error", why);
        if (!errors++) {
            snprintf(first_why, sizeof first_why, "%s", why);
            first_evidence = j->evidence[i];
        }
    }
    if (!errors)
        return 0;
    *st = h->error(j->call, "evidence '%s': %s%s", first_evidence ? first_evidence : "?", first_why,
                   errors > 1 ? " (and more: see details)" : "");
    return -1;
}

/* Each report's items judged, for this commit, re-runs merged; the newest completion
 * kept for max_age.  0, or -1 with the error result in *ST. */
static int judge_reports(judge *j, rg_check_status *st)
{
    const rg_host *h = j->h;
    rg_json *d = h->details(j->call);

    if (j->commit)
        h->add_string(j->call, d, "commit", j->commit);
    j->failing.list = h->add_array(j->call, d, "failing");
    j->pending.list = h->add_array(j->call, d, "pending");
    j->warnings.list = h->add_array(j->call, d, "warnings");
    for (size_t i = 0; i < j->n_reports; i++) {
        ci_report *r = &j->reps[i];
        size_t parsed = r->count;
        long ignored = j->commit ? ci_report_only_commit(r, j->commit) : 0, superseded;
        long own = ci_report_not_own_run(r);
        const char *other = NULL;
        for (size_t k = 0; k < r->count && !other; k++)
            if (r->items[k].ignored)
                other = r->items[k].sha;
        if ((superseded = ci_report_latest(r)) < 0) {
            *st = h->error(j->call, "out of memory");
            return -1;
        }
        judge_report(j, r, j->evidence[i], parsed, ignored, own, superseded, j->commit, other, j->entries[i]);
        for (size_t k = 0; k < r->count; k++) {
            const ci_item *it = &r->items[k];
            if (it->ignored || it->own_run)
                continue;
            judge_item(j, it, j->evidence[i]);
            if (it->has_done && (!j->has_newest || it->done > j->newest)) {
                j->newest = it->done;
                j->has_newest = 1;
            }
        }
    }
    return 0;
}

/* max_age, when set, against the newest completion: a problem when it is too old, in
 * the future, or unknown. */
static void judge_freshness(judge *j)
{
    const rg_host *h = j->h;
    double max;
    int64_t age;
    char when[32], a[32], m[32];
    rg_json *f;

    if (!h->param_is_set(j->call, "max_age"))
        return;
    max = h->param_number(j->call, "max_age");
    f = h->add_object(j->call, h->details(j->call), "freshness");
    h->add_number(j->call, f, "max_age_seconds", max);
    if (!j->has_newest) {
        problem(j, "max_age is set but the reports carry no completion time");
        return;
    }
    age = h->now(j->call) - j->newest;
    rfc3339(j->newest, when, sizeof when);
    h->add_string(j->call, f, "newest", when);
    h->add_number(j->call, f, "age_seconds", (double)age);
    if (j->zone_assumed)
        h->add_string(j->call, f, "zone_assumed", j->zone);
    if (rg_time_in_future(j->newest, h->now(j->call))) {
        duration(-age, a, sizeof a);
        problem(j, "the newest result (%s) is dated %s in the future (clock or time zone wrong?)", when, a);
    } else if ((double)age > max) {
        duration(age, a, sizeof a);
        duration(max < 9e15 ? (int64_t)max : (int64_t)9e15, m, sizeof m);
        problem(j, "the newest result (%s) is %s old, more than max_age %s", when, a, m);
    }
}

/* The check: its parameters, every report read, judged, and the verdict. */
static rg_check_status run(const rg_host *h, rg_check_call *call)
{
    judge j;
    rg_check_status st;

    memset(&j, 0, sizeof j);
    j.h = h;
    j.call = call;
    if (read_params(&j, &st) == 0 && read_reports(&j, &st) == 0 && judge_reports(&j, &st) == 0) {
        judge_freshness(&j);
        st = finish(&j, j.reps);
    }
    for (size_t i = 0; j.reps && i < j.n_reports; i++)
        ci_report_free(&j.reps[i]);
    free(j.reps);
    free(j.entries);
    free(j.evidence);
    free(j.required);
    free(j.success);
    return st;
}

/* ---- The descriptor ---------------------------------------------------------------------- */

/* The values of the enumerated parameters: the engine refuses others when it loads or
 * lints a policy (family_of still judges what it is given). */
static const char *const format_values[] = {"auto", "github", "gitlab", "junit", NULL};

static const rg_param status_params[] = {
    {"reports", RG_PARAM_EVIDENCE_LIST, 1, NULL,
     "evidence names of the CI status reports: GitHub or GitLab API responses, or JUnit XML", NULL},
    {"format", RG_PARAM_STRING, 0, "\"auto\"", "report format: auto (detect), github, gitlab or junit", format_values},
    {"required", RG_PARAM_STRING_LIST, 0, "[]",
     "check, job or test-suite names that must be present and successful", NULL},
    {"success", RG_PARAM_STRING_LIST, 0, "[\"success\"]",
     "conclusions that count as success; add \"neutral\" or \"skipped\" to accept those", NULL},
    {"pending_fails", RG_PARAM_BOOLEAN, 0, "true",
     "queued or running checks fail the check (false: they only warn)", NULL},
    {"allow_failures", RG_PARAM_BOOLEAN, 0, "true",
     "honour GitLab allow_failure: such jobs that fail are warnings", NULL},
    {"match_commit", RG_PARAM_BOOLEAN, 0, "true",
     "ignore results for another commit than release.commit, when both are known", NULL},
    {"max_age", RG_PARAM_DURATION, 0, NULL,
     "fail when the newest completion in the reports is older than this (\"24h\")", NULL},
    {"only_required", RG_PARAM_BOOLEAN, 0, "false",
     "judge only the required checks: other failures are warnings", NULL},
    {"allow_empty", RG_PARAM_BOOLEAN, 0, "false",
     "a report without checks or test cases, or with only skipped ones, passes (by default it fails)", NULL},
    {"max_pages", RG_PARAM_INTEGER, 0, "50",
     "pages a live evidence source may fetch (100 items each); more is an error, not a cut", NULL},
    {"timezone", RG_PARAM_STRING, 0, "\"UTC\"",
     "zone of times written without one (ctest, pytest: the runner's local time): UTC or +HH:MM", NULL},
};

/* Live evidence (docs/context.md): the API bases and credentials as each CI sets them, a
 * CA bundle, and an HTTPS proxy.  A plugin's children see these alone: never another
 * secret of the job's.  http_proxy is left out: plain http is used only on loopback. */
static const char *const live_env[] = {
    "GITHUB_API_URL", "GITHUB_TOKEN", "GH_TOKEN", "CI_API_V4_URL", "GITLAB_TOKEN", "CI_JOB_TOKEN",
    "CURL_CA_BUNDLE", "SSL_CERT_FILE", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", NULL,
};

static const rg_check checks[] = {
    {"ci.status", "Every required CI check, job and test of the status reports succeeded",
     status_params, sizeof status_params / sizeof status_params[0], run},
};

static const rg_plugin plugin = {
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
    "ci", "1.0.0", "CI status: GitHub checks, statuses and workflows, GitLab pipelines and jobs, JUnit XML",
    "MIT", checks, sizeof checks / sizeof checks[0], 0,
    live_env, /* env: only what live evidence needs (zone-less times: the timezone parameter) */
    sizeof(rg_check), sizeof(rg_param),
};

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void)
{
    return &plugin;
}
