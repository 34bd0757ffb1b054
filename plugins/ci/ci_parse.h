/* ci plugin: CI status reports (GitHub, GitLab, JUnit XML) parsed into one flat model
 * of items (checks, jobs, pipelines, test suites) that ci.c judges. */
#ifndef CI_PARSE_H
#define CI_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CI_CASES_MAX 50       /* failing test cases kept per report */
#define CI_NAME_MAX 256       /* names are shown cut to this; an item keeps its whole name */
#define CI_MESSAGE_MAX 200    /* first line of a failure message, cut */
#define CI_DEPTH_MAX 64       /* nesting of XML elements, and of a JSON walk */

#if defined(__GNUC__)
#define CI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CI_PRINTF(f, a)
#endif

typedef enum ci_family { CI_ANY = 0, CI_GITHUB, CI_GITLAB, CI_JUNIT } ci_family;

/* One check run, status, workflow run, job, pipeline, bridge or test suite.  Strings
 * are heap copies owned by the report. */
typedef struct ci_item {
    char *name;               /* whole: two names alike in their first CI_NAME_MAX bytes are two */
    const char *kind;         /* static: "check_run", "status", "job", "test_suite", ... */
    char *state;              /* lower-case conclusion if it has one, else its status */
    char *sha;                /* the commit it ran for, or NULL */
    char *note;               /* why it failed when the report says (failure_reason, ...) */
    char *origin;             /* what made it, when the report says: a check run's app */
    double id;
    int has_id;
    double attempt;           /* a workflow run's run_attempt: a re-run keeps the id */
    int has_attempt;
    int64_t order;            /* latest-wins key: completion, else start time */
    int has_order;
    int64_t done;             /* completion time, for max_age */
    int has_done;
    int allow_failure;        /* GitLab allow_failure: a failure is a warning */
    int unique;               /* never merged with a namesake (test suites, check suites) */
    int tests;                /* a test suite: judged by the counts below, not STATE */
    int64_t total, failures, errors, skipped, flaky;
    int broken;               /* a test suite with an error outside any test case */
    int ignored;              /* for another commit than the release's */
    char run_system;          /* 'h' GitHub Actions, 'l' GitLab, 0: RUN unknown */
    double run;               /* the workflow run or pipeline it belongs to */
    int own_run;              /* still running in the very run the gate runs in */
} ci_item;

/* A failing test case. */
typedef struct ci_case {
    char *suite, *name, *message;   /* heap; MESSAGE may be NULL */
    const char *kind;               /* "failure", "error" or "warning" (PHPUnit's) */
} ci_case;

typedef struct ci_report {
    const char *format;       /* static: "github-check-runs", "junit", ... */
    ci_item *items;
    size_t count, cap;
    ci_case cases[CI_CASES_MAX];
    size_t case_count;        /* kept in CASES */
    int64_t failing_cases;    /* all failing test cases, kept or not */
    int64_t declared;         /* what a paginated list says it holds, or -1 */
    int tests;                /* test results: the counts below are meaningful */
    int64_t t_total, t_failures, t_errors, t_skipped, t_flaky;
    int local_offset;         /* zone-less times are local at this offset (seconds east of UTC) */
    int zone_assumed;         /* some time was read at LOCAL_OFFSET: the details say so */
    const char *missing;      /* static: what a recognised report lacks that its format
                                 carries ("head_sha"), or NULL */
    double own_run;           /* a live source's own_run: the run the gate runs in, or 0 */
    char own_system;          /* ... in 'h' GitHub Actions or 'l' GitLab */
} ci_report;

/* ---- ci_report.c: the model ------------------------------------------------------- */

void ci_report_init(ci_report *r);
void ci_report_free(ci_report *r);

/* A new zeroed item of KIND at the end of R, or NULL when out of memory.  The pointer
 * is valid until the next ci_item_add. */
ci_item *ci_item_add(ci_report *r, const char *kind);

/* Setters copy their strings; each returns 0, or -1 when out of memory. */
int ci_item_name(ci_item *it, const char *name);       /* NULL or "": "(unnamed check run)" */
int ci_item_state(ci_item *it, const char *conclusion, const char *status);
int ci_item_sha(ci_item *it, const char *sha);
int ci_item_note(ci_item *it, const char *note);
int ci_item_origin(ci_item *it, const char *origin);
/* Times as text (NULL or unparsable ones are ignored): DONE is the completion time,
 * START the start (or creation) time.  IT is an item of R. */
void ci_item_times(ci_report *r, ci_item *it, const char *done, const char *start);

/* Parse a report's timestamp (common/rfc3339.h, RG_TIME_REPORT: RFC 3339 and its near
 * misses, RFC 1123 / 2822 dates); a zone-less one is local at R's offset and marks R's
 * zone_assumed.  Returns 0 and sets *OUT (seconds since the epoch), or -1. */
int ci_time_parse(ci_report *r, const char *s, int64_t *out);

/* Record a failing test case (kept while fewer than CI_CASES_MAX are).  Returns 0, or -1
 * when out of memory. */
int ci_case_add(ci_report *r, const char *suite, const char *classname, const char *name,
                const char *kind, const char *message);

/* Keep, of the re-runs of one thing (unique and ignored ones excepted), only the latest:
 * greatest attempt, then ORDER, then greatest id, then the last in the report.  Re-runs of
 * one thing share their kind, their whole name, their origin (a check run's app) and their
 * run (the workflow run or pipeline they belong to: a workflow run's or pipeline's own
 * id), so two workflow runs, two pipelines, or two apps' check runs of one name are two
 * things, each judged.  Returns how many were dropped, or -1 when out of memory. */
long ci_report_latest(ci_report *r);

/* Is an item listed twice in R (the same kind, id and attempt)?  A listing that repeats
 * one could have left another out (pages that shifted while they were read): returns 0,
 * or -1 with WHY. */
int ci_report_distinct(const ci_report *r, char *why, size_t why_size);

/* Do commits A and B match?  Case-insensitive; an abbreviation of 7 or more hex digits
 * matches the full hash it starts. */
int ci_sha_matches(const char *a, const char *b);

/* Mark ignored every item whose sha does not match COMMIT (items without a sha stay).
 * Returns how many were marked. */
long ci_report_only_commit(ci_report *r, const char *commit);

/* Mark the items of R that belong to the gate's own run (R->own_run, of R->own_system)
 * and have not finished: the gate's own jobs, running while it judges, are no result of
 * the CI it judges.  Finished ones are judged like any other.  Returns how many. */
long ci_report_not_own_run(ci_report *r);

/* A heap copy of S cut at MAX bytes (on a UTF-8 boundary), lower-cased when LOWER;
 * NULL when S is NULL or out of memory.  The caller frees it. */
char *ci_strdup_cut(const char *s, size_t max, int lower);

/* JSON helpers: member KEY of O as a string (NULL when absent or not a string), as a
 * finite number (returns 1 and sets *V), as an object / array (NULL otherwise). */
const char *ci_str(const cJSON *o, const char *key);
int ci_num(const cJSON *o, const char *key, double *v);
const cJSON *ci_obj(const cJSON *o, const char *key);
const cJSON *ci_arr(const cJSON *o, const char *key);

/* ---- ci_state.c: what a status or conclusion means ------------------------------------ */

typedef enum ci_outcome { CI_PASSED = 1, CI_FAILED, CI_PENDING } ci_outcome;

int ci_state_failing(const char *state);   /* failure, timed_out, failed, canceled, ... */
int ci_state_pending(const char *state);   /* queued, in_progress, running, pending, ... */

/* The outcome of STATE when the states in SUCCESS (N of them) count as success.  A
 * state that is neither success, failing nor pending (neutral, skipped, unknown words,
 * none at all) is CI_FAILED: it is not a success. */
ci_outcome ci_classify(const char *state, const char *const *success, size_t n);

/* ---- ci_detect.c: JSON read strictly, the one way files and live pages are read ---- */

/* TEXT (LEN bytes; a UTF-8 byte order mark and blanks around it allowed) as one JSON
 * document: nothing after it, no key twice in an object.  The document (cJSON_Delete it),
 * or NULL with WHY ("malformed JSON ..."). */
cJSON *ci_json_parse(const char *text, size_t len, char *why, size_t why_size);

/* ---- Parsers: each returns 1 when it read the document into R, 0 when the document is
 * not its format (R untouched), -1 when it is its format but unusable (WHY says why). */

int ci_parse_github(const cJSON *root, ci_report *r, char *why, size_t why_size);
int ci_parse_gitlab(const cJSON *root, ci_report *r, char *why, size_t why_size);
int ci_parse_junit(const char *text, size_t len, ci_report *r, char *why, size_t why_size);

/* ---- ci_detect.c -------------------------------------------------------------------------- */

/* Parse the report TEXT (LEN bytes) of family FAMILY (CI_ANY: detect it) into R (initialised
 * here; free it with ci_report_free even on failure); zone-less times in it are local at
 * LOCAL_OFFSET seconds east of UTC.  Returns 0, or -1 with WHY saying what
 * is wrong: "unrecognised report format: ...", "malformed JSON ...", "not well-formed XML ...". */
int ci_parse(const char *text, size_t len, ci_family family, int local_offset, ci_report *r,
             char *why, size_t why_size);

#endif
