/* JUnit XML in its dialects (Surefire, Ant, pytest, jest, mocha, PHPUnit, nextest, Catch2,
 * CUnit, Swift, ...), read with expat: no DTD entities, no external anything, bounded depth. */
#ifdef CI_EXPAT_AMPLIFICATION
#define XML_DTD 1   /* declares the billion-laughs limits, which a DTD-enabled libexpat has */
#endif
#include <ctype.h>
#include <expat.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ci_parse.h"

enum { TODO_NODE = 1, TODO_CATCH2 = 2 };

#define TEXT_MAX 512   /* of a failure element's text, when it has no message attribute */

typedef struct open_suite {
    size_t item;           /* index in the report */
    int depth;             /* element depth of the <testsuite> */
    int64_t found;         /* failure and error elements seen below it (rerun ones included) */
    double claimed;        /* failures + errors its header says, or -1 */
    double errors;         /* errors its header says (Qt 5 counts messages there) */
    int doctest;           /* written by doctest (its doctest_version attribute) */
    int64_t case_done;     /* the latest completion of a test case in it (nextest) */
    int has_case_done;
} open_suite;

typedef struct junit {
    XML_Parser p;
    ci_report *r;
    char *why;
    size_t why_size;
    int stopped, unrecognised;
    int depth;
    open_suite open[CI_DEPTH_MAX];
    int open_count;
    /* the root <testsuites>, which is not an item */
    int root_suites;
    double root_claimed;
    int64_t root_found;
    int64_t node_failed;   /* node's summary comments: "fail N" + "cancelled N" */
    int64_t todo_failures; /* failure elements of node's todo tests, which its "fail" does not count */
    char *root_name;
    int64_t root_done;     /* <testsuites timestamp time>: when the whole run ended (nextest) */
    int has_root_done;
    size_t loose;          /* item of test cases directly under <testsuites>, or (size_t)-1 */
    open_suite loose_times;   /* only its case_done: when those cases ended */
    /* the open test case */
    int case_depth;        /* 0: none */
    char *c_class, *c_name, *c_msg;
    const char *c_kind;    /* of its first failure or error element */
    int c_fail, c_err, c_skip, c_flaky, c_status_fail, c_status_skip;
    int c_warn;            /* a <warning> element (PHPUnit's): fails the case */
    int c_status_notrun;   /* status="notrun": ctest's not-run tests, skips and failures alike */
    int c_not_run;         /* ... and its <skipped> gives no skip reason: a failure */
    int c_todo;            /* a failure expected: 1 node's todo test, 2 Catch2's [!mayfail] */
    int c_skip_text;       /* depth of a <skipped> whose text is being read (Common Test's), or 0 */
    int c_todo_text;       /* depth of a TodoTestSucceeded <error> whose text is being read, or 0 */
    /* a failure or error element right inside a <testsuite> */
    int s_depth;           /* 0: none */
    const char *s_kind;
    char *s_msg;
    int capture;           /* depth of the failure element whose text is being kept, or 0 */
    char text[TEXT_MAX];
    size_t text_len;
} junit;

static void stop(junit *j, int unrecognised, const char *fmt, ...) CI_PRINTF(3, 4);

static void stop(junit *j, int unrecognised, const char *fmt, ...)
{
    va_list ap;
    if (j->stopped)
        return;
    va_start(ap, fmt);
    vsnprintf(j->why, j->why_size, fmt, ap);
    va_end(ap);
    j->stopped = 1;
    j->unrecognised = unrecognised;
    XML_StopParser(j->p, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (; atts && atts[0]; atts += 2)
        if (strcmp(atts[0], name) == 0)
            return atts[1];
    return NULL;
}

/* A header count: a finite, non-negative number, else 0. */
static double number(const char *s)
{
    char *end;
    double v;
    if (!s)
        return 0;
    v = strtod(s, &end);
    return end != s && isfinite(v) && v > 0 ? v : 0;
}

/* Failures + errors a header claims, or -1 when it says nothing. */
static double claimed(const XML_Char **atts)
{
    if (!attr(atts, "failures") && !attr(atts, "errors"))
        return -1;
    return number(attr(atts, "failures")) + number(attr(atts, "errors"));
}

static int oom(junit *j)
{
    stop(j, 0, "%s", "out of memory");
    return -1;
}

/* When an element with a start "timestamp" and a duration "time" ended: writers put them
 * on <testsuite> (most), on <testsuites> and each <testcase> (nextest), and write them as
 * RFC 3339 with or without a zone, or as an RFC 1123 date (mocha's xunit).  Returns 1 and
 * sets *DONE, or 0 when the element carries no readable timestamp. */
static int ended_at(junit *j, const XML_Char **atts, int64_t *done)
{
    const char *ts = attr(atts, "timestamp");
    int64_t t;
    double secs;
    if (!ts || ci_time_parse(j->r, ts, &t) != 0)
        return 0;
    secs = number(attr(atts, "time"));   /* it ends this long after it starts */
    *done = t + (secs < 1e7 ? (int64_t)secs : 0);
    return 1;
}

static void set_done(ci_item *it, int64_t done)
{
    it->done = it->order = done;
    it->has_done = it->has_order = 1;
}

static void open_testsuite(junit *j, const XML_Char **atts)
{
    ci_item *it = ci_item_add(j->r, "test_suite");
    int64_t done;
    open_suite *o;
    if (!it || ci_item_name(it, attr(atts, "name"))) {
        oom(j);
        return;
    }
    it->tests = it->unique = 1;
    if (ended_at(j, atts, &done))
        set_done(it, done);
    o = &j->open[j->open_count++];   /* depth bounds open_count */
    o->item = j->r->count - 1;
    o->depth = j->depth;
    o->found = 0;
    o->claimed = claimed(atts);
    o->errors = number(attr(atts, "errors"));
    o->doctest = attr(atts, "doctest_version") != NULL;
    o->has_case_done = 0;
}

/* A <property> of the innermost open suite.  Qt 5's QTest writes every message of a
 * passing run (a qWarning, a QSKIP, a QEXPECT_FAIL's note) into its suite's errors="N";
 * Qt 6 does not.  In a Qt 5 suite that count explains nothing (real-tool round 35, F03):
 * only failures= and the elements are read. */
static void suite_property(junit *j, const XML_Char **atts)
{
    open_suite *o = &j->open[j->open_count - 1];
    const char *name = attr(atts, "name"), *value = attr(atts, "value");
    if (name && value && strcmp(name, "QTestVersion") == 0 && strncmp(value, "5.", 2) == 0 && o->claimed >= 0 &&
        o->errors > 0) {
        o->claimed -= o->errors;
        o->errors = 0;
    }
}

/* doctest writes a WARN assertion that did not hold (WARN, WARN_EQ, WARN_FALSE, ...) as
 * a <failure type="WARN..."> and counts it in failures=, but never fails a run on one:
 * "Status: SUCCESS!", exit 0 (real-tool round 35, F04).  In a doctest suite such an
 * element is a warning: it explains the header's count, and fails nothing. */
static int doctest_warning(const junit *j, const XML_Char **atts)
{
    const char *type = attr(atts, "type");
    return j->open_count && j->open[j->open_count - 1].doctest && type && strncmp(type, "WARN", 4) == 0;
}

/* A suite that says nothing of when it ran ends with its latest test case, else with the
 * run around it. */
/* TAP::Formatter::JUnit writes TAP's TODO test that passed as <error type=
 * "TodoTestSucceeded"> around its TAP line, "ok 2 - ... # TODO ...": prove counts it "TODO
 * passed" and its run passes (real round 41, F04).  It explains the error its header
 * counts; it fails nothing.  The type alone proves nothing: xmlrunner and Surefire write
 * an exception's class name there (hostile round 41b, F03), so the text must be that line. */
static int todo_passed(const XML_Char **atts)
{
    const char *type = attr(atts, "type");
    return type && strcmp(type, "TodoTestSucceeded") == 0;
}

static int tap_todo_line(const char *text)
{
    const char *todo;
    size_t n;
    text += strspn(text, " \t\r\n");
    n = strcspn(text, "\r\n");
    if (strncmp(text, "ok ", 3) != 0 || text[n + strspn(text + n, " \t\r\n")] != '\0')
        return 0;   /* one line, TAP's "ok ..." */
    todo = strstr(text, "# TODO");
    return todo && (size_t)(todo - text) < n;
}

static void suite_done(junit *j, const open_suite *o)
{
    ci_item *it = &j->r->items[o->item];
    if (it->has_done)
        return;
    if (o->has_case_done)
        set_done(it, o->case_done);
    else if (j->has_root_done)
        set_done(it, j->root_done);
}

/* A failure or error element counts toward every enclosing header. */
static void found(junit *j)
{
    for (int i = 0; i < j->open_count; i++)
        j->open[i].found++;
    j->root_found++;
}

/* A heap copy of S, cut at TEXT_MAX (the caller frees it), or NULL. */
static char *copy(const char *s)
{
    return ci_strdup_cut(s, TEXT_MAX, 0);
}

/* Whether status S is one of SET, whatever its case: "FAILED" is "failed". */
static int status_is(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcasecmp(s, *set) == 0)
            return 1;
    return 0;
}

static void case_ended(open_suite *o, int64_t done)
{
    if (!o->has_case_done || done > o->case_done) {
        o->case_done = done;
        o->has_case_done = 1;
    }
}

static void not_run(junit *j, const char *reason);

static void open_testcase(junit *j, const XML_Char **atts)
{
    /* The words tools write for a test that passed or was not run (googletest's status
     * "run" and result "completed"/"suppressed", ctest's "run"/"notrun"/"disabled", xUnit's
     * "Pass"/"Skip", NUnit's "Passed"/"Skipped"/"Ignored", ...).  Any other status --
     * "failed" in any case, "timeout", "crashed", "aborted", "inconclusive", a word of an
     * in-house converter -- does not say the test passed, and fails the case, as an
     * unknown CI conclusion does (round 21, F03).  Qt's "xfail" is a QEXPECT_FAIL that
     * failed as expected, which QTest counts as passed (its "xpass" fails the case). */
    static const char *const pass[] = {"passed", "pass", "success", "succeeded", "successful", "ok", "run",
                                       "completed", "executed", "xfail", NULL};
    static const char *const skip[] = {"skipped", "skip", "disabled", "notrun", "ignored", "suppressed", "pending",
                                       NULL};
    /* Both attributes are read (googletest writes status "run" with result "completed",
     * "skipped" or "suppressed"): a word of either that is neither a pass nor a skip fails
     * the case, whatever the other says (round 23, F09). */
    const char *said[2] = {attr(atts, "status"), attr(atts, "result")};
    int64_t done;
    int never_started = 0, any_fail = 0, any_skip = 0;
    j->case_depth = j->depth;
    j->c_class = copy(attr(atts, "classname") ? attr(atts, "classname") : attr(atts, "class"));
    j->c_name = copy(attr(atts, "name"));
    j->c_msg = NULL;
    j->c_kind = NULL;
    j->c_fail = j->c_err = j->c_skip = j->c_flaky = j->c_warn = 0;
    for (int k = 0; k < 2; k++) {
        if (!said[k] || !*said[k])
            continue;   /* an empty attribute says nothing */
        if (status_is(said[k], skip))
            any_skip = 1;
        else if (!status_is(said[k], pass))
            any_fail = 1;
    }
    /* googletest writes the tests of a suite whose SetUpTestSuite failed as status "run",
     * result "skipped" and no start -- the epoch as their timestamp, in the writer's local
     * time (1969-12-31T19:00:00 in New York) -- with nothing else to say the suite failed;
     * a test it skipped (GTEST_SKIP) started, and says when. */
    if (attr(atts, "status") && strcmp(attr(atts, "status"), "run") == 0 && attr(atts, "result") &&
        strcmp(attr(atts, "result"), "skipped") == 0 && attr(atts, "timestamp") &&
        (strncmp(attr(atts, "timestamp"), "1969-12-31T", 11) == 0 ||
         strncmp(attr(atts, "timestamp"), "1970-01-01T", 11) == 0))
        never_started = 1;
    j->c_status_fail = any_fail;
    j->c_status_skip = !any_fail && any_skip;
    j->c_status_notrun = said[0] && strcasecmp(said[0], "notrun") == 0;
    j->c_not_run = j->c_todo = 0;
    if (never_started)
        not_run(j, "googletest skipped it without starting it: its suite's SetUpTestSuite failed");
    /* A case without a name is no test's result: pytest writes <testcase time="0.000"/> for
     * the test it was running when interrupted (SIGINT, a cancelled job; pytest.exit()),
     * and the rest of its session never ran (real round 41, F07). */
    if (!attr(atts, "name"))
        not_run(j, "a test case without a name: its runner gave it no result (pytest writes one for the test "
                   "it was running when interrupted)");
    if ((attr(atts, "classname") && !j->c_class) || (attr(atts, "name") && !j->c_name))
        oom(j);
    if (ended_at(j, atts, &done)) {
        for (int i = 0; i < j->open_count; i++)
            case_ended(&j->open[i], done);
        if (!j->open_count)
            case_ended(&j->loose_times, done);
    }
}

/* The first failure or error of a case (or of a suite, outside any case). */
static void first_problem(junit *j, const char *kind, const XML_Char **atts)
{
    const char *msg = attr(atts, "message");
    if (j->c_kind)
        return;
    j->c_kind = kind;
    if (msg && *msg) {
        if (!(j->c_msg = copy(msg)))
            oom(j);
    } else {
        j->capture = j->depth;   /* take the element's text instead */
        j->text_len = 0;
    }
}

/* ctest writes every test it did not run as status="notrun" with <skipped message="REASON"/>,
 * the tests it skipped and those it counted as failed alike ("Unable to find executable",
 * "Required Files Missing", "Fixture dependency failed", "Missing Configuration", ...).
 * Is REASON one of its skips?  Anything else is a failure: fail closed on reasons unknown. */
static int ctest_skip(const char *reason)
{
    static const char code[] = "SKIP_RETURN_CODE=";
    const char *n;
    if (!reason)
        return 0;
    if (strcmp(reason, "SKIP_REGULAR_EXPRESSION_MATCHED") == 0 || strcmp(reason, "Disabled") == 0)
        return 1;
    if (strncmp(reason, code, sizeof code - 1) != 0)
        return 0;
    n = reason + sizeof code - 1;   /* SKIP_RETURN_CODE=77 */
    return *n && n[strspn(n, "0123456789")] == '\0';
}

/* A <skipped> element of type TYPE that records a test cancelled, not one skipped on
 * purpose: EUnit (its surefire report) has no skip of its own and writes every cancelled
 * test so, a test that timed out as type "timeout", one whose linked process died as
 * "unknown", and fails the run ("One or more tests were cancelled"): real-tool round 35,
 * F06.  The same words from any writer mean the same. */
static int cancelled_type(const char *type)
{
    static const char *const words[] = {"timeout", "unknown", "cancelled", "canceled", "aborted", NULL};
    for (size_t i = 0; type && words[i]; i++)
        if (strcmp(type, words[i]) == 0)
            return 1;
    return 0;
}

/* Common Test's surefire hook writes a test skipped because a configuration function it
 * needed failed (init_per_testcase, init_per_suite, a require) as <skipped> like a
 * deliberate one; its text, an Erlang term, says which: {tc_auto_skip, ...}, and ct_run
 * fails the run on it, where {tc_user_skip, ...} does not (real-tool round 35, F07). */
static int auto_skipped(const char *text)
{
    text += strspn(text, " \t\r\n");
    return strncmp(text, "{tc_auto_skip", 13) == 0;
}

/* A ctest test that did not run for REASON, which is no skip: the case fails, saying why. */
static void not_run(junit *j, const char *reason)
{
    char msg[TEXT_MAX + 16];   /* longer than copy() keeps: it cuts on a UTF-8 boundary */
    if (j->c_not_run)
        return;
    j->c_not_run = 1;
    if (j->c_kind)
        return;   /* a failure element said why first */
    j->c_kind = "failure";
    snprintf(msg, sizeof msg, "not run: %s", reason && *reason ? reason : "(no reason given)");
    if (!(j->c_msg = copy(msg)))
        oom(j);
}

static const char *innermost_name(junit *j)
{
    if (j->open_count)
        return j->r->items[j->open[j->open_count - 1].item].name;
    return j->root_name ? j->root_name : "(testsuites)";
}

static void start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    junit *j = ud;
    int is_failure, is_error;
    if (j->stopped)
        return;
    if (++j->depth > CI_DEPTH_MAX) {
        stop(j, 0, "elements nest deeper than %d levels", CI_DEPTH_MAX);
        return;
    }
    is_failure = strcmp(name, "failure") == 0;
    is_error = strcmp(name, "error") == 0;
    if (j->depth == 1) {
        if (strcmp(name, "testsuites") == 0) {
            j->root_suites = 1;
            j->root_claimed = claimed(atts);
            j->has_root_done = ended_at(j, atts, &j->root_done);
            if (attr(atts, "name") && *attr(atts, "name") && !(j->root_name = copy(attr(atts, "name"))))
                oom(j);
        } else if (strcmp(name, "testsuite") == 0) {
            open_testsuite(j, atts);
        } else {
            stop(j, 1, "XML whose root element <%.64s> is not <testsuites> or <testsuite>", name);
        }
        return;
    }
    if (j->case_depth) {
        if (j->depth != j->case_depth + 1)
            return;   /* inside system-out, properties, ... */
        if (is_error && todo_passed(atts) && !j->capture) {
            found(j);   /* it explains its header's error; a pass only when its text is TAP's */
            j->c_todo_text = j->capture = j->depth;
            j->text_len = 0;
            j->text[0] = '\0';
        } else if (is_failure && doctest_warning(j, atts)) {
            found(j);
        } else if (is_failure || is_error) {
            j->c_fail += is_failure;
            j->c_err += is_error;
            found(j);
            first_problem(j, is_failure ? "failure" : "error", atts);
        } else if (strcmp(name, "skipped") == 0) {
            j->c_skip = 1;
            if (j->c_status_notrun && !ctest_skip(attr(atts, "message")))
                not_run(j, attr(atts, "message"));
            /* node's failing todo test, and Catch2's [!mayfail] test that failed (its run
             * counts it as "failed as expected" and exits 0): a failure that does not fail
             * the run, written with a <skipped> marker beside it. */
            if (attr(atts, "type") && strcmp(attr(atts, "type"), "todo") == 0)
                j->c_todo = TODO_NODE;
            else if (attr(atts, "message") && strcmp(attr(atts, "message"), "TEST_CASE tagged with !mayfail") == 0)
                j->c_todo = TODO_CATCH2;
            if (cancelled_type(attr(atts, "type"))) {
                char why[96];
                snprintf(why, sizeof why, "cancelled (a <skipped> of type \"%s\"), not skipped on purpose",
                         attr(atts, "type"));
                not_run(j, why);
            } else if (!j->capture) {
                j->c_skip_text = j->capture = j->depth;   /* its text: an automatic skip? */
                j->text_len = 0;
                j->text[0] = '\0';
            }
        } else if (strncmp(name, "flaky", 5) == 0 || strncmp(name, "rerun", 5) == 0) {
            j->c_flaky++;   /* Surefire re-runs: they explain header counts */
            found(j);
        } else if (strcmp(name, "warning") == 0 && attr(atts, "line") && !attr(atts, "type")) {
            /* CxxTest's TS_WARN, <warning line="N">: a note its run never fails on ("OK!",
             * exit 0; real round 37, F05), nor counts in failures= (so it explains none of
             * a header's count, round 37d, F07).  PHPUnit's warnings carry no line=. */
        } else if (strcmp(name, "warning") == 0) {
            /* PHPUnit's: a test that raised a warning, or "No tests found in class X" as a
             * made-up case named Warning.  PHPUnit fails the run on it under failOnWarning,
             * which the file does not show: fail closed (round 24c, F01).  Its header counts
             * it apart (warnings="1"), so it explains no failure count.  (PHP's run-tests'
             * flaky test that passed on its retry: read at the case's end, retried_pass.) */
            j->c_warn = 1;
            first_problem(j, "warning", atts);
        }
        return;
    }
    if (strcmp(name, "testsuite") == 0) {
        open_testsuite(j, atts);
    } else if (strcmp(name, "property") == 0 && j->open_count && j->depth == j->open[j->open_count - 1].depth + 2) {
        suite_property(j, atts);
    } else if (strcmp(name, "testcase") == 0) {
        open_testcase(j, atts);
    } else if ((is_failure || is_error) && j->open_count && j->depth == j->open[j->open_count - 1].depth + 1) {
        /* a suite that failed outside its cases (setup, a crash): it and those around it fail */
        ci_item *it = &j->r->items[j->open[j->open_count - 1].item];
        const char *msg = attr(atts, "message");
        found(j);
        for (int i = 0; i < j->open_count; i++)
            j->r->items[j->open[i].item].broken = 1;
        if (!it->note && ci_item_note(it, is_failure ? "a failure outside any test case" : "an error outside any test case"))
            oom(j);
        free(j->s_msg);
        j->s_msg = NULL;
        j->s_depth = j->depth;
        j->s_kind = is_failure ? "failure" : "error";
        if (msg && *msg) {
            if (!(j->s_msg = copy(msg)))
                oom(j);
        } else {
            j->capture = j->depth;
            j->text_len = 0;
        }
    }
}

static void text(void *ud, const XML_Char *s, int len)
{
    junit *j = ud;
    size_t room = sizeof j->text - 1 - j->text_len, n = len > 0 ? (size_t)len : 0;
    if (!j->capture || j->stopped)
        return;
    if (n > room)
        n = room;
    memcpy(j->text + j->text_len, s, n);
    j->text_len += n;
    j->text[j->text_len] = '\0';
}

static void add_counts(ci_item *it, int failure, int error, int skipped, int flaky)
{
    it->total++;
    it->failures += failure;
    it->errors += error;
    it->skipped += skipped;
    it->flaky += flaky;
}

/* Count the closed case into every open suite and the report. */
/* PHP's run-tests.php writes a --FLAKY-- test that failed and then passed on its retry as
 * <warning> (warn: Test passed on retry attempt)</warning>, counts it "warned" and exits 0:
 * a passed, flaky case, as Surefire's re-runs that passed are (real round 37, F05).  Its
 * other warnings (an XFAIL test that passed) stay failures. */
static int retried_pass(const junit *j)
{
    static const char said[] = "(warn: Test passed on retry attempt)";
    const char *text = j->c_msg;
    if (!j->c_warn || !j->c_kind || strcmp(j->c_kind, "warning") != 0 || j->c_fail || j->c_err || !text)
        return 0;
    text += strspn(text, " \t\r\n");
    return strncmp(text, said, sizeof said - 1) == 0 &&
           text[sizeof said - 1 + strspn(text + sizeof said - 1, " \t\r\n")] == '\0';
}

static void close_testcase(junit *j)
{
    ci_report *r = j->r;
    if (retried_pass(j)) {
        j->c_warn = 0;
        j->c_flaky++;
    }
    /* node's junit reporter writes a failing todo test with <skipped type="todo"/> and its
     * <failure>; node counts it as todo, not failed.  That marker alone excuses a failure
     * element (still counted toward the header, which counts it too), never an error. */
    int failure = (j->c_fail > 0 && !j->c_todo) || j->c_not_run || (!j->c_err && j->c_status_fail) ||
                  (!j->c_err && j->c_warn);
    /* An expected failure explains none of the failures a count claims beside it (round
     * 23, F02, F03): node's summary does not count its todo tests' failures (its suite
     * headers do), Catch2's header does not count its [!mayfail] tests'. */
    if (j->c_fail > 0 && j->c_todo == TODO_NODE)
        j->todo_failures += j->c_fail;
    else if (j->c_fail > 0 && j->c_todo == TODO_CATCH2) {
        for (int i = 0; i < j->open_count; i++)
            j->open[i].found -= j->c_fail;
        j->root_found -= j->c_fail;
    }
    int error = !failure && j->c_err > 0;
    int skipped = !failure && !error && (j->c_skip || j->c_status_skip);
    int flaky = !failure && !error && j->c_flaky > 0;
    if (!j->open_count) {   /* a case right under <testsuites>: give it a suite */
        if (j->loose == (size_t)-1) {
            ci_item *it = ci_item_add(r, "test_suite");
            if (!it || ci_item_name(it, j->root_name ? j->root_name : "(testsuites)")) {
                oom(j);
                return;
            }
            it->tests = it->unique = 1;
            j->loose = r->count - 1;
        }
        add_counts(&r->items[j->loose], failure, error, skipped, flaky);
    }
    for (int i = 0; i < j->open_count; i++)
        add_counts(&r->items[j->open[i].item], failure, error, skipped, flaky);
    r->t_total++;
    r->t_failures += failure;
    r->t_errors += error;
    r->t_skipped += skipped;
    r->t_flaky += flaky;
    if ((failure || error) &&
        ci_case_add(r, innermost_name(j), j->c_class, j->c_name,
                    !failure ? "error" : j->c_kind && strcmp(j->c_kind, "warning") == 0 ? "warning" : "failure",
                    j->c_msg ? j->c_msg : j->c_status_fail && !j->c_kind ? "its status says neither passed nor skipped, and no failure element says why" : NULL) != 0)
        oom(j);
}

static void clear_case(junit *j)
{
    free(j->c_class);
    free(j->c_name);
    free(j->c_msg);
    j->c_class = j->c_name = j->c_msg = NULL;
    j->c_kind = NULL;
    j->case_depth = j->c_skip_text = j->c_todo_text = 0;
}

/* A header that claims more failures than the elements show hides some: fail closed. */
static int header_check(ci_item *it, double claim, int64_t seen)
{
    char note[CI_MESSAGE_MAX];
    if (claim < 0 || claim <= (double)seen)
        return 0;
    snprintf(note, sizeof note, "the header counts %.0f failures and errors, the file shows %lld", claim, (long long)seen);
    it->broken = 1;
    return ci_item_note(it, note);
}

static void end(void *ud, const XML_Char *name)
{
    junit *j = ud;
    if (j->stopped)
        return;
    if (j->c_todo_text && j->c_todo_text == j->depth) {
        j->capture = j->c_todo_text = 0;
        if (!tap_todo_line(j->text)) {   /* not TAP's: an error as any */
            j->c_err++;
            if (!j->c_kind) {
                j->c_kind = "error";
                if (!(j->c_msg = copy(j->text_len ? j->text : "TodoTestSucceeded")))
                    oom(j);
            }
        }
    } else if (j->c_skip_text && j->c_skip_text == j->depth) {
        j->capture = j->c_skip_text = 0;
        if (auto_skipped(j->text))
            not_run(j, "skipped automatically by Common Test (tc_auto_skip: a configuration function it needed "
                       "failed), which fails its run");
    } else if (j->capture == j->depth) {
        char **slot = j->s_depth == j->depth ? &j->s_msg : &j->c_msg;
        j->capture = 0;
        if (!*slot && j->text_len && !(*slot = copy(j->text)))
            oom(j);
    }
    if (j->s_depth == j->depth) {   /* a suite-level failure: listed as a case named "(suite)" */
        if (ci_case_add(j->r, innermost_name(j), NULL, "(suite)", j->s_kind, j->s_msg) != 0)
            oom(j);
        free(j->s_msg);
        j->s_msg = NULL;
        j->s_depth = 0;
    }
    if (j->case_depth && j->case_depth == j->depth) {
        close_testcase(j);
        clear_case(j);
    } else if (j->open_count && j->open[j->open_count - 1].depth == j->depth) {
        open_suite *o = &j->open[--j->open_count];
        suite_done(j, o);
        if (header_check(&j->r->items[o->item], o->claimed, o->found) != 0)
            oom(j);
    } else if (j->depth == 1 && j->root_suites && j->node_failed > j->root_found - j->todo_failures) {
        /* node --test-reporter=junit writes a failure outside any test (a parent test
         * failing after its subtests passed, a hook that threw) and its cancelled tests
         * only into its summary comments. */
        char note[CI_MESSAGE_MAX];
        ci_item *it = ci_item_add(j->r, "test_suite");
        snprintf(note, sizeof note, "node's summary counts %lld failed or cancelled tests, the file shows %lld "
                 "failures", (long long)j->node_failed, (long long)(j->root_found - j->todo_failures));
        if (!it || ci_item_name(it, j->root_name ? j->root_name : "(testsuites)") || ci_item_note(it, note) != 0)
            oom(j);
        else {
            it->broken = 1;
            it->tests = it->unique = 1;
        }
    } else if (j->depth == 1 && j->root_suites && j->root_claimed > (double)j->root_found) {
        ci_item *it = ci_item_add(j->r, "test_suite");
        if (!it || ci_item_name(it, j->root_name ? j->root_name : "(testsuites)") ||
            header_check(it, j->root_claimed, j->root_found) != 0)
            oom(j);
        else
            it->tests = it->unique = 1;
    }
    j->depth--;
}

/* node's summary comments right inside <testsuites> ("<!-- fail 1 -->", "<!-- cancelled 2 -->"). */
static void comment(void *ud, const XML_Char *data)
{
    junit *j = ud;
    long long n;
    char word[16];
    int used = 0;
    if (j->stopped || j->depth != 1 || !j->root_suites)
        return;
    /* Counts past a billion are no test run's: kept bounded, so that no sum overflows. */
    if (sscanf(data, " %15s %lld %n", word, &n, &used) == 2 && data[used] == '\0' && n > 0 &&
        (strcmp(word, "fail") == 0 || strcmp(word, "cancelled") == 0))
        j->node_failed = j->node_failed + (n < 1000000000 ? n : 1000000000);
}

/* Entity declarations are where entity expansion and external entities live: refuse them. */
static void entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
                        const XML_Char *base, const XML_Char *system_id, const XML_Char *public_id,
                        const XML_Char *notation)
{
    junit *j = ud;
    stop(j, 0, "the DOCTYPE declares entity '%.64s': entity declarations are refused (XXE, entity expansion)", name);
}

/* A character reference to a C0 control XML 1.0 forbids ("&#27;", "&#x1B;"), at P (up to
 * END): its length, or 0.  bats writes a passing test's coloured output so (real round
 * 41, F06); expat refuses the whole file for it. */
static size_t control_reference(const char *p, const char *end)
{
    const char *q = p + 2;
    unsigned long v = 0;
    int hex;
    if (end - p < 4 || p[0] != '&' || p[1] != '#')
        return 0;
    hex = *q == 'x';
    q += hex;
    const char *digits = q;
    while (q < end && q - digits < 8 && (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q))) {
        v = v * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)*q) ? *q - '0' : (*q | 0x20) - 'a' + 10);
        q++;
    }
    if (q == digits || q >= end || *q != ';' || v >= 0x20 || v == 0x9 || v == 0xa || v == 0xd)
        return 0;
    return (size_t)(q + 1 - p);
}

static int control_references(const char *data, size_t len)
{
    for (const char *p = memchr(data, '&', len); p; p = memchr(p + 1, '&', (size_t)(data + len - p - 1)))
        if (control_reference(p, data + len))
            return 1;
    return 0;
}

/* DATA with each such reference written as U+FFFD's ("&#xFFFD;"): in text nothing judges
 * (output, a message), where a character that shows it was there keeps every verdict. */
static char *without_control_references(const char *data, size_t len, size_t *out_len)
{
    static const char replacement[] = "&#xFFFD;";
    char *out = malloc(len / 4 * 8 + len + 1), *w = out;   /* a reference is 4 bytes at the least */
    if (!out)
        return NULL;
    for (const char *p = data; p < data + len;) {
        size_t n = *p == '&' ? control_reference(p, data + len) : 0;
        if (n) {
            memcpy(w, replacement, sizeof replacement - 1);
            w += sizeof replacement - 1;
            p += n;
        } else {
            *w++ = *p++;
        }
    }
    *out_len = (size_t)(w - out);
    return out;
}

static int external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
                           const XML_Char *system_id, const XML_Char *public_id)
{
    return XML_STATUS_ERROR;
}

int ci_parse_junit(const char *data, size_t len, ci_report *r, char *why, size_t why_size)
{
    junit j;
    char *cleaned = NULL;
    int ok;
    if (len > INT_MAX) {
        snprintf(why, why_size, "the XML is too large");
        return -1;
    }
    memset(&j, 0, sizeof j);
    j.r = r;
    j.why = why;
    j.why_size = why_size;
    j.loose = (size_t)-1;
    if (!(j.p = XML_ParserCreate(NULL))) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    XML_SetUserData(j.p, &j);
    XML_SetElementHandler(j.p, start, end);
    XML_SetCharacterDataHandler(j.p, text);
    XML_SetCommentHandler(j.p, comment);
    XML_SetEntityDeclHandler(j.p, entity_decl);
    XML_SetExternalEntityRefHandler(j.p, external_entity);
    XML_SetParamEntityParsing(j.p, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef CI_EXPAT_AMPLIFICATION   /* belt and braces: entity declarations are refused anyway */
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(j.p, 20.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(j.p, 1024 * 1024);
#endif
    r->format = "junit";
    r->tests = 1;
    if (control_references(data, len) && !(cleaned = without_control_references(data, len, &len))) {
        XML_ParserFree(j.p);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    ok = len <= INT_MAX && XML_Parse(j.p, cleaned ? cleaned : data, (int)len, XML_TRUE) == XML_STATUS_OK;
    free(cleaned);
    if (!ok && !j.stopped)
        snprintf(why, why_size, "not well-formed XML: %s at line %lu, column %lu",
                 XML_ErrorString(XML_GetErrorCode(j.p)), (unsigned long)XML_GetCurrentLineNumber(j.p),
                 (unsigned long)XML_GetCurrentColumnNumber(j.p) + 1);
    XML_ParserFree(j.p);
    if (ok && !j.stopped && j.loose != (size_t)-1) {
        j.loose_times.item = j.loose;
        suite_done(&j, &j.loose_times);
    }
    clear_case(&j);
    free(j.s_msg);
    free(j.root_name);
    if (ok && !j.stopped)
        return 1;
    return j.unrecognised ? 0 : -1;
}
