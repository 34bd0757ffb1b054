/* The parsers on their own: the JSON scanner, format detection, each reader, ignore
 * entries, timestamps, and hostile input (truncated, mutated, deeply nested). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sec_test.h"

/* ---- Helpers ------------------------------------------------------------------------ */

typedef struct got {
    int rc;
    sec_tally t;
    sec_info info;
    char why[512];
} got;

/* Read TEXT as FORMAT with IGNORES; the result in *G. */
static got *read_as(const char *text, sec_format format, sec_ignore *ignores, size_t n)
{
    static got g;
    sec_scan s;
    memset(&g, 0, sizeof g);
    sec_scan_init(&s, ignores, n);
    sec_scan_begin(&s, 0, &g.t);
    g.rc = sec_report_read(text, strlen(text), format, &s, &g.info, g.why, sizeof g.why);
    sec_scan_free(&s);
    return &g;
}

static got *ok(const char *text)
{
    got *g = read_as(text, SEC_FMT_AUTO, NULL, 0);
    if (g->rc != 0)
        fail_msg("rejected: %s\n%s", g->why, text);
    return g;
}

static void bad(const char *text, sec_format format, const char *why)
{
    got *g = read_as(text, format, NULL, 0);
    if (g->rc == 0)
        fail_msg("accepted: %s", text);
    assert_contains(g->why, why);
}

static void counts(const got *g, long crit, long high, long med, long low, long unk, long none)
{
    const long want[SEC_SEV_COUNT] = {[SEC_SEV_CRITICAL] = crit, [SEC_SEV_HIGH] = high, [SEC_SEV_MEDIUM] = med,
                                  [SEC_SEV_LOW] = low, [SEC_SEV_UNKNOWN] = unk, [SEC_SEV_NONE] = none};
    for (int i = 0; i < SEC_SEV_COUNT; i++)
        if (g->t.sev[i] != want[i])
            fail_msg("%s: %ld, expected %ld", sec_sev_name((sec_sev)i), g->t.sev[i], want[i]);
}

/* A SARIF log of one run: DRIVER (more driver members, starting with ", "), RUN (more
 * run members) and RESULTS (the array's elements). */
static const char *sarif(const char *driver, const char *run, const char *results)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"%s}},"
             " %s%s\"results\": [%s]}]}", driver, run, run[0] ? ", " : "", results);
    return buf;
}

/* ---- The scanner ------------------------------------------------------------------------ */

static void test_jscan_values(void **state)
{
    static const char *const good[] = {
        "{}", "[]", "0", "-0", "12.5e-3", "1E+9", "\"a\\u00e9\\ud83d\\ude00\\\"\"", "true", "false", "null",
        " {\"a\" : [1, {\"b\": null}, \"x\"] } ", "\xEF\xBB\xBF{\"bom\": 1}",
    };
    static const char *const wrong[] = {
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a: 1}", "01", "1.", ".5", "+1", "-", "1e", "tru", "nul",
        "\"\\x\"", "\"\\u12g4\"", "\"tab\there\"", "\"open", "[1 2]", "{} {}", "[1]]", "{\"a\":1]", "'a'", "NaN",
    };
    char why[256];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        jdoc d;
        jval v;
        js_init(&d, good[i], strlen(good[i]), why, sizeof why);
        if (js_root(&d, &v) != 0)
            fail_msg("refused %s: %s", good[i], why);
    }
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        jdoc d;
        jval v;
        js_init(&d, wrong[i], strlen(wrong[i]), why, sizeof why);
        if (js_root(&d, &v) == 0)
            fail_msg("accepted %s", wrong[i]);
        assert_contains(why, "line 1, column");
    }
}

static void test_jscan_walk_and_keys(void **state)
{
    const char *text = "{\"a\": 1,\n \"r\\u0075ns\": [true, {\"x\": \"\\u00e9\\n\"}],\n \"\": null, \"b\\u0000c\": 2}";
    char why[256], key[JS_KEY_MAX], buf[32];
    jdoc d;
    jval root, v, e;
    jiter it, arr;
    (void)state;
    js_init(&d, text, strlen(text), why, sizeof why);
    assert_int_equal(js_root(&d, &root), 0);
    assert_int_equal(root.type, '{');
    js_open(&d, &root, &it);
    assert_int_equal(js_next(&it, key, &v), 1);
    assert_string_equal(key, "a");
    assert_int_equal(v.type, '0');
    assert_int_equal(js_next(&it, key, &v), 1);
    assert_string_equal(key, "runs"); /* escapes in names are decoded */
    js_open(&d, &v, &arr);
    assert_int_equal(js_next(&arr, NULL, &e), 1);
    assert_int_equal(e.type, 't');
    assert_int_equal(js_next(&arr, NULL, &e), 1);
    assert_int_equal(e.type, '{');
    assert_int_equal(js_next(&arr, NULL, &e), 0);
    assert_int_equal(js_next(&it, key, &v), 1);
    assert_string_equal(key, "");
    assert_int_equal(v.type, 'n');
    assert_int_equal(js_next(&it, key, &v), 1);
    assert_int_equal(strlen(key), 5); /* a NUL escape does not cut the name short */
    assert_int_equal(js_next(&it, key, &v), 0);
    /* Strings decode, cut to the buffer. */
    js_init(&d, "\"h\\u00e9llo w\\/orld\"", 20, why, sizeof why);
    assert_int_equal(js_root(&d, &v), 0);
    assert_int_equal(js_string(&d, &v, buf, sizeof buf), 0);
    assert_string_equal(buf, "h\xc3\xa9llo w/orld");
    assert_int_equal(js_string(&d, &v, buf, 4), 0);
    assert_string_equal(buf, "h\xc3\xa9");
    /* Error positions count lines. */
    js_init(&d, "{\n  \"a\": [1,\n  2,,\n]}", 21, why, sizeof why);
    assert_int_equal(js_root(&d, &v), -1);
    assert_contains(why, "at line 3, column 5");
}

static void test_jscan_depth(void **state)
{
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    char why[256];
    jdoc d;
    jval v;
    (void)state;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    js_init(&d, deep, 2 * n, why, sizeof why);
    assert_int_equal(js_root(&d, &v), -1);
    assert_contains(why, "nested deeper than 512 levels");
    /* Within the scanner's limit but a report reader still refuses it cleanly. */
    free(deep);
    deep = malloc(1200 + 100);
    strcpy(deep, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"x\"}}, \"results\": [{\"p\": ");
    n = strlen(deep);
    memset(deep + n, '[', 500);
    memset(deep + n + 500, ']', 500);
    strcpy(deep + n + 1000, "}]}]}");
    ok(deep);
    free(deep);
}

/* ---- Detection ------------------------------------------------------------------------------ */

static void test_detection(void **state)
{
    (void)state;
    bad("", SEC_FMT_AUTO, "unrecognised report format: the file is empty");
    bad(" \n\t ", SEC_FMT_AUTO, "the file is empty");
    bad("<?xml version=\"1.0\"?><a/>", SEC_FMT_AUTO, "XML or HTML, not JSON");
    bad("hello", SEC_FMT_AUTO, "unrecognised report format: not a JSON object");
    bad("42", SEC_FMT_AUTO, "not a JSON object");
    bad("\"text\"", SEC_FMT_AUTO, "not a JSON object");
    bad("null", SEC_FMT_AUTO, "the document is JSON null");
    bad("[]", SEC_FMT_AUTO, "a JSON array whose first element has no \"Target\"");
    bad("[{\"check_name\": \"x\", \"severity\": \"minor\"}]", SEC_FMT_AUTO, "has no \"Target\"");
    bad("{}", SEC_FMT_AUTO, "a JSON object with no members");
    bad("{\"results\": [], \"errors\": []}", SEC_FMT_AUTO, "the members results, errors");
    bad("{\"bomFormat\": \"CycloneDX\", \"version\": 1, \"vulnerabilities\": []}", SEC_FMT_AUTO, "a CycloneDX BOM");
    bad("{\"version\": 1, \"vulnerabilities\": []}", SEC_FMT_AUTO, "unrecognised report format");
    bad("{\"version\": \"1..2\", \"vulnerabilities\": []}", SEC_FMT_AUTO, "unrecognised report format");
    bad("{\"auditReportVersion\": 2, \"vulnerabilities\": {}}", SEC_FMT_AUTO, "unrecognised report format");
    bad("{\"matches\": []}", SEC_FMT_AUTO, "no match with a \"vulnerability\" and no Grype \"descriptor\"");
    bad("{\"matches\": [{\"rule\": \"x\"}]}", SEC_FMT_AUTO, "set format = \"grype\"");
    bad("{\"matches\": \"x\"}", SEC_FMT_AUTO, "the members matches");
    bad("{\"a\": 1} x", SEC_FMT_AUTO, "malformed JSON: more data after the JSON document");
    bad("{\"a\": 1}\n{\"b\": 2}\n", SEC_FMT_AUTO, "more data after the JSON document at line 2");
    bad("{\"runs\": [], \"runs\": []}", SEC_FMT_AUTO, "the member \"runs\" appears twice");
    bad("{\"a\": \"\x01\"}", SEC_FMT_AUTO, "control character");
    {
        const char nul[] = "{\"version\": \"2.1.0\"\0, \"runs\": []}";
        got g;
        sec_scan s;
        memset(&g, 0, sizeof g);
        sec_scan_init(&s, NULL, 0);
        sec_scan_begin(&s, 0, &g.t);
        assert_int_equal(sec_report_read(nul, sizeof nul - 1, SEC_FMT_AUTO, &s, &g.info, g.why, sizeof g.why), -1);
        assert_contains(g.why, "malformed JSON");
        sec_scan_free(&s);
    }
    /* What each format looks like. */
    assert_int_equal(ok("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"a\"}}, \"results\": []}]}")->info.format, SEC_FMT_SARIF);
    assert_int_equal(ok("{\"SchemaVersion\": 2}")->info.format, SEC_FMT_TRIVY);
    assert_int_equal(ok("[{\"Target\": \"x\", \"Vulnerabilities\": null}]")->info.format, SEC_FMT_TRIVY);
    assert_int_equal(ok("{\"ClusterName\": \"c\", \"Resources\": []}")->info.format, SEC_FMT_TRIVY);
    assert_int_equal(ok("{\"matches\": [], \"descriptor\": {\"name\": \"grype\"}}")->info.format, SEC_FMT_GRYPE);
    /* detected by what the reader needs: matches alone, when a match has a vulnerability */
    {
        got *g = ok("{\"matches\": [{\"vulnerability\": {\"id\": \"CVE-2024-1\", \"severity\": \"High\"},"
                    " \"artifact\": {\"name\": \"zlib\", \"version\": \"1.2\"}}]}");
        assert_int_equal(g->info.format, SEC_FMT_GRYPE);
        counts(g, 0, 1, 0, 0, 0, 0);
    }
    assert_int_equal(read_as("{\"matches\": []}", SEC_FMT_GRYPE, NULL, 0)->rc, 0);
    assert_int_equal(ok("{\"version\": \"15.0.7\", \"vulnerabilities\": []}")->info.format, SEC_FMT_GITLAB);
    /* Forced formats are held to their shape. */
    bad("{\"matches\": []}", SEC_FMT_GITLAB, "not a GitLab security report");
    bad("{\"version\": \"15.0.7\", \"vulnerabilities\": []}", SEC_FMT_GRYPE, "not a Grype report");
    bad("{\"version\": \"15.0.7\", \"vulnerabilities\": []}", SEC_FMT_TRIVY, "no SchemaVersion");
    bad("[{\"Target\": \"x\"}]", SEC_FMT_SARIF, "not a sarif report: the document is a JSON array");
    assert_int_equal(read_as("null", SEC_FMT_TRIVY, NULL, 0)->rc, 0);
    assert_int_equal(read_as("[]", SEC_FMT_TRIVY, NULL, 0)->rc, 0);
    assert_int_equal(read_as("{\"matches\": null, \"source\": {}}", SEC_FMT_GRYPE, NULL, 0)->rc, 0);
}

/* ---- SARIF ----------------------------------------------------------------------------------- */

static void test_sarif_versions_and_shape(void **state)
{
    (void)state;
    bad("{\"version\": \"1.0.0\", \"runs\": []}", SEC_FMT_AUTO, "SARIF version 1.0.0 is not supported: only 2.1.0 is");
    bad("{\"version\": \"2.2\", \"runs\": []}", SEC_FMT_AUTO, "SARIF version 2.2 is not supported");
    bad("{\"runs\": []}", SEC_FMT_AUTO, "SARIF log without a \"version\"");
    bad("{\"version\": 2.1, \"runs\": []}", SEC_FMT_AUTO, "\"version\" is not a string");
    bad("{\"version\": \"2.1.0\", \"runs\": {}}", SEC_FMT_AUTO, "without a \"runs\" array");
    bad("{\"version\": \"2.1.0\", \"runs\": []}", SEC_FMT_AUTO, "the SARIF log has no runs");
    bad("{\"version\": \"2.1.0\", \"runs\": [42]}", SEC_FMT_AUTO, "run 1 is not an object");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"results\": []}]}", SEC_FMT_AUTO, "run 1 has no tool.driver");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Z\"}}}]}", SEC_FMT_AUTO,
        "run 1 (Z) has no results");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {}}, \"results\": null}]}", SEC_FMT_AUTO,
        "run 1 ((unnamed tool)) has no results");
    /* No results member, but every invocation succeeded with no error notification: a
     * clean run as staticcheck writes it (real round 37, F04).  Not so with one that
     * failed, an error notification, or null results. */
    {
        got *g = ok("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Staticcheck\"}},"
                    " \"invocations\": [{\"executionSuccessful\": true, \"arguments\": [\"./...\"]}]}]}");
        assert_int_equal(g->info.entries, 0);
    }
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Z\"}}, \"invocations\": "
        "[{\"executionSuccessful\": true}, {\"executionSuccessful\": false}]}]}", SEC_FMT_AUTO, "run 1 (Z) has no results");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Z\"}}, \"invocations\": "
        "[{\"executionSuccessful\": true, \"toolExecutionNotifications\": [{\"level\": \"error\", \"message\": "
        "{\"text\": \"x\"}}]}]}]}", SEC_FMT_AUTO, "run 1 (Z) has no results");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Z\"}}, \"invocations\": "
        "[{\"executionSuccessful\": true}], \"results\": null}]}", SEC_FMT_AUTO, "run 1 (Z) has no results");
    bad(sarif("", "", "1"), SEC_FMT_AUTO, "run 1, result 1 is not an object");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Z\"}}, \"results\": 42}]}",
        SEC_FMT_AUTO, "results is not an array");
    bad("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {}}, \"tool\": {}, \"results\": []}]}",
        SEC_FMT_AUTO, "the member \"tool\" appears twice");
    bad(sarif("", "", "{\"level\": \"error\", \"level\": \"none\"}"), SEC_FMT_AUTO, "the member \"level\" appears twice");
    /* Below the result's own members too, at any depth of what is read (round 21, F01): a
     * score, a rule's level or executionSuccessful given twice was read as absent. */
    bad(sarif(", \"rules\": [{\"id\": \"S\", \"properties\": {\"security-severity\": \"9.1\", \"security-severity\": \"9.1\"}}]",
              "", "{\"ruleId\": \"S\"}"), SEC_FMT_AUTO, "the member \"security-severity\" appears twice");
    bad(sarif(", \"rules\": [{\"id\": \"S\", \"defaultConfiguration\": {\"level\": \"error\", \"level\": \"error\"}}]",
              "", "{\"ruleId\": \"S\"}"), SEC_FMT_AUTO, "the member \"level\" appears twice");
    bad(sarif(", \"rules\": [], \"rules\": []", "", "{\"ruleId\": \"S\"}"), SEC_FMT_AUTO,
        "the member \"rules\" appears twice");
    bad(sarif("", "", "{\"level\": \"error\", \"properties\": {\"security-severity\": \"9\", \"security-severity\": \"1\"}}"),
        SEC_FMT_AUTO, "the member \"security-severity\" appears twice");
    bad(sarif("", "", "{\"level\": 3}"), SEC_FMT_AUTO, "result 1: kind, level, baselineState or suppressions of the wrong type");
    bad(sarif("", "", "{\"suppressions\": {}}"), SEC_FMT_AUTO, "of the wrong type");
    bad(sarif("", "", "{\"kind\": 1}"), SEC_FMT_AUTO, "of the wrong type");
    /* Two runs: both counted; their tools named. */
    {
        got *g = ok("{\"version\": \"2.1.0\", \"runs\": ["
                    "{\"tool\": {\"driver\": {\"name\": \"A\", \"version\": \"1\"}}, \"results\": [{\"level\": \"error\"}]},"
                    "{\"tool\": {\"driver\": {\"name\": \"B\"}}, \"results\": [{\"level\": \"note\"}, {}]}]}");
        counts(g, 0, 1, 1, 1, 0, 0);
        assert_int_equal(g->info.units, 2);
        assert_int_equal(g->info.entries, 3);
        assert_string_equal(g->info.tool, "A 1, B");
    }
}

static void test_sarif_severity(void **state)
{
    const char *rules = ", \"rules\": ["
        "{\"id\": \"S0\", \"properties\": {\"security-severity\": \"9.0\"}},"
        "{\"id\": \"S1\", \"properties\": {\"security-severity\": 6.95}},"
        "{\"id\": \"S2\", \"properties\": {\"security-severity\": \"HIGH\"}},"
        "{\"id\": \"S3\", \"properties\": {\"security-severity\": \"11\"}, \"defaultConfiguration\": {\"level\": \"note\"}},"
        "{\"id\": \"S4\", \"properties\": {\"security-severity\": \"0.05\"}},"
        "{\"id\": \"L0\", \"defaultConfiguration\": {\"level\": \"error\"}},"
        "{\"id\": \"L1\"},"
        "{\"id\": \"CA5350\", \"defaultConfiguration\": {\"level\": \"note\"}}]";
    got *g;
    (void)state;
    g = ok(sarif(rules, "", "{\"ruleId\": \"S0\"}"));                      counts(g, 1, 0, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S1\", \"level\": \"error\"}")); counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleIndex\": 2}"));                        counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S3\"}"));                      counts(g, 0, 0, 0, 1, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S4\"}"));                      counts(g, 0, 0, 0, 0, 0, 1);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\"}"));                      counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L1\"}"));                      counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"nowhere\"}"));                 counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"CA5350/md5\"}"));              counts(g, 0, 0, 0, 1, 0, 0);
    {
        /* Rule ids of any length find their rule, whole or by leading components (a
         * 300-byte id used to lose its rule's score, and a critical counted as medium). */
        char long_rules[1024], result[1024], id[301];
        memset(id, 'x', 300);
        id[300] = '\0';
        snprintf(long_rules, sizeof long_rules, ", \"rules\": [{\"id\": \"%s\", \"properties\": "
                 "{\"security-severity\": \"9.8\"}}]", id);
        snprintf(result, sizeof result, "{\"ruleId\": \"%s\"}", id);
        g = ok(sarif(long_rules, "", result));                              counts(g, 1, 0, 0, 0, 0, 0);
        snprintf(result, sizeof result, "{\"ruleId\": \"%s/sub/part\"}", id);
        g = ok(sarif(long_rules, "", result));                              counts(g, 1, 0, 0, 0, 0, 0);
    }
    /* An index whose rule has another id is not followed: the id names the finding, as it is
     * shown and ignored (round 21, F02; a Trivy release's ruleIndex points at other CVEs). */
    g = ok(sarif(rules, "", "{\"ruleId\": \"L1\", \"ruleIndex\": 0}"));    counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S0\", \"ruleIndex\": 6}"));    counts(g, 1, 0, 0, 0, 0, 0);
    /* the index's rule is a hierarchical parent of the id: the id's own rule, found by name,
     * judges (round 23, F07) */
    g = ok(sarif(", \"rules\": [{\"id\": \"A\", \"properties\": {\"security-severity\": \"2.0\"}},"
                 " {\"id\": \"A/b\", \"properties\": {\"security-severity\": \"9.8\"}}]", "",
                 "{\"ruleId\": \"A/b\", \"ruleIndex\": 0}"));
    counts(g, 1, 0, 0, 0, 0, 0);
    /* no rule of that id at all: not the index's rule of another id either (round 23, F05) */
    g = ok(sarif(rules, "", "{\"ruleId\": \"NONE\", \"ruleIndex\": 0}"));  counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"NONE\", \"ruleIndex\": 4, \"level\": \"error\"}"));
    counts(g, 0, 1, 0, 0, 0, 0);
    bad(sarif(rules, "", "{\"ruleId\": \"L1\", \"rule\": {\"id\": \"S0\"}}"), SEC_FMT_AUTO,
        "names its rule in ways that disagree");
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"ruleIndex\": 99}"));   counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"ruleIndex\": -1}"));   counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"ruleIndex\": 1e300}")); counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"level\": \"warning\"}")); counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"level\": \"none\"}"));  counts(g, 0, 0, 0, 0, 0, 1);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"level\": \"fatal\"}")); counts(g, 0, 0, 1, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L1\", \"properties\": {\"security-severity\": \"7.0\"}}"));
    counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S0\", \"properties\": {\"security-severity\": \"3.9\"}}"));
    counts(g, 0, 0, 0, 1, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"properties\": {\"security-severity\": \"n/a\"}}"));
    counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"properties\": {\"security-severity\": \"NaN\"}}"));
    counts(g, 0, 1, 0, 0, 0, 0);
    /* Kinds: open and review have level none unless scored; pass & co. are not findings. */
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"kind\": \"open\"}"));   counts(g, 0, 0, 0, 0, 0, 1);
    g = ok(sarif(rules, "", "{\"ruleId\": \"S0\", \"kind\": \"review\"}")); counts(g, 1, 0, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"kind\": \"fail\"}"));   counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"ruleId\": \"L0\", \"kind\": \"odd\"}"));    counts(g, 0, 1, 0, 0, 0, 0);
    g = ok(sarif(rules, "", "{\"kind\": \"pass\"}, {\"kind\": \"notApplicable\"}, {\"kind\": \"informational\"}"));
    counts(g, 0, 0, 0, 0, 0, 0);
    assert_int_equal(g->t.passed, 3);
}

static void test_sarif_rules_elsewhere(void **state)
{
    const char *ext = "\"extensions\": [{\"name\": \"pack-a\", \"guid\": \"AAAA\", \"rules\": ["
                      "{\"id\": \"X\", \"properties\": {\"security-severity\": \"9.9\"}}]},"
                      "{\"name\": \"pack-b\", \"rules\": [{\"id\": \"Y\", \"defaultConfiguration\": {\"level\": \"note\"}}]}]";
    char doc[4096];
    got *g;
    (void)state;
#define EXT_DOC(results) \
    snprintf(doc, sizeof doc, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"D\", \"rules\": " \
             "[{\"id\": \"X\", \"defaultConfiguration\": {\"level\": \"warning\"}}]}, %s}, \"results\": [%s]}]}", ext, results)
    EXT_DOC("{\"rule\": {\"id\": \"X\", \"toolComponent\": {\"index\": 0}}}");
    counts(ok(doc), 1, 0, 0, 0, 0, 0);
    EXT_DOC("{\"ruleId\": \"X\", \"rule\": {\"index\": 0, \"toolComponent\": {\"guid\": \"aaaa\"}}}");
    counts(ok(doc), 1, 0, 0, 0, 0, 0);
    EXT_DOC("{\"ruleId\": \"X\"}"); /* the driver's X */
    counts(ok(doc), 0, 0, 1, 0, 0, 0);
    EXT_DOC("{\"ruleId\": \"Y\"}"); /* not in the driver: found in an extension */
    counts(ok(doc), 0, 0, 0, 1, 0, 0);
    EXT_DOC("{\"rule\": {\"id\": \"Y\", \"toolComponent\": {\"name\": \"pack-b\"}}}");
    counts(ok(doc), 0, 0, 0, 1, 0, 0);
    EXT_DOC("{\"rule\": {\"id\": \"X\", \"toolComponent\": {\"index\": 7}}}"); /* no such component */
    bad(doc, SEC_FMT_AUTO, "a tool component the run does not have");
    /* a reference whose parts name two components, or no object (round 23, F08) */
    EXT_DOC("{\"rule\": {\"id\": \"Y\", \"toolComponent\": {\"index\": 0, \"name\": \"pack-b\"}}}");
    bad(doc, SEC_FMT_AUTO, "a tool component the run does not have");
    EXT_DOC("{\"rule\": {\"id\": \"X\", \"toolComponent\": \"pack-a\"}}");
    bad(doc, SEC_FMT_AUTO, "a tool component the run does not have");
    /* ruleIndex and rule.index naming two rules, whatever the id (round 23, F06) */
    EXT_DOC("{\"ruleId\": \"X\", \"ruleIndex\": 0, \"rule\": {\"index\": 1}}");
    bad(doc, SEC_FMT_AUTO, "names its rule in ways that disagree");
    EXT_DOC("{\"rule\": {\"id\": \"X\", \"toolComponent\": {\"name\": \"D\"}}}");
    counts(ok(doc), 0, 0, 1, 0, 0, 0);
#undef EXT_DOC
    /* Invocation overrides: by the result's invocation, or the only one. */
    g = ok("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"D\", \"rules\": ["
           "{\"id\": \"R\", \"defaultConfiguration\": {\"level\": \"error\"}}]}},"
           "\"invocations\": [{\"executionSuccessful\": true},"
           "{\"executionSuccessful\": true, \"ruleConfigurationOverrides\": [{\"descriptor\": {\"index\": 0},"
           " \"configuration\": {\"level\": \"note\"}}]}],"
           "\"results\": [{\"ruleId\": \"R\", \"ruleIndex\": 0}, {\"ruleId\": \"R\", \"ruleIndex\": 0,"
           " \"provenance\": {\"invocationIndex\": 1}}]}]}");
    counts(g, 0, 1, 0, 1, 0, 0);
    g = ok("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"D\", \"rules\": ["
           "{\"id\": \"R\", \"defaultConfiguration\": {\"level\": \"error\"}}]}},"
           "\"invocations\": [{\"ruleConfigurationOverrides\": [{\"descriptor\": {\"id\": \"R\"},"
           " \"configuration\": {\"level\": \"warning\"}}]}],"
           "\"results\": [{\"ruleId\": \"R/sub\"}]}]}");
    counts(g, 0, 0, 1, 0, 0, 0);
}

static void test_sarif_suppressions_and_baseline(void **state)
{
    got *g;
    (void)state;
    g = ok(sarif("", "",
        "{\"level\": \"error\", \"suppressions\": []},"
        "{\"level\": \"error\", \"suppressions\": null},"
        "{\"level\": \"error\", \"suppressions\": [{\"kind\": \"inSource\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"kind\": \"external\", \"status\": \"accepted\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"kind\": \"external\", \"status\": \"underReview\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"kind\": \"external\", \"status\": \"rejected\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"status\": \"accepted\"}, {\"status\": \"rejected\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"status\": \"approved\"}]},"
        "{\"level\": \"error\", \"suppressions\": [{\"status\": 1}]},"
        "{\"level\": \"error\", \"suppressions\": [\"yes\"]},"
        "{\"level\": \"error\", \"baselineState\": \"absent\"},"
        "{\"level\": \"error\", \"baselineState\": \"new\"},"
        "{\"level\": \"error\", \"baselineState\": \"unchanged\"},"
        "{\"level\": \"error\", \"baselineState\": \"updated\"}"));
    /* Suppressed: inSource without a status, accepted. */
    assert_int_equal(g->t.suppressed, 2);
    assert_int_equal(g->t.absent, 1);
    counts(g, 0, 11, 0, 0, 0, 0);
    assert_int_equal(g->info.entries, 14);
    bad(sarif("", "", "{\"level\": \"error\", \"suppressions\": [{\"status\": \"accepted\", \"status\": \"rejected\"}]}"),
        SEC_FMT_AUTO, "the member \"status\" appears twice");
}

static void test_sarif_run_facts(void **state)
{
    got *g;
    (void)state;
    g = ok(sarif("", "\"invocations\": [{\"executionSuccessful\": true, \"startTimeUtc\": \"2025-06-01T10:00:00Z\","
                 " \"endTimeUtc\": \"2025-06-01T10:05:00.250Z\"}, {\"startTimeUtc\": \"2025-05-30T00:00:00+02:00\"},"
                 " {\"endTimeUtc\": \"yesterday\"}],"
                 "\"versionControlProvenance\": [{\"revisionId\": \"abc1234\"}, {\"revisionId\": \"abc1234\"},"
                 " {\"revisionId\": \"def5678\"}]", ""));
    assert_true(g->info.has_time);
    assert_string_equal(g->info.time_text, "2025-05-30T00:00:00+02:00"); /* the oldest */
    assert_int_equal(g->info.time, INT64_C(1748556000));
    assert_int_equal(g->info.commit_count, 2);
    assert_string_equal(g->info.commits[1], "def5678");
    assert_string_equal(g->info.incomplete, "");
    g = ok(sarif("", "\"invocations\": [{\"executionSuccessful\": false}]", ""));
    assert_string_equal(g->info.incomplete, "run 1 (T): executionSuccessful is false");
    g = ok(sarif("", "", ""));
    assert_false(g->info.has_time);
}

static void test_sarif_ignores(void **state)
{
    sec_ignore r[3];
    got *g;
    (void)state;
    sec_ignore_parse("RULE-1: 2030-01-01: accepted risk", SEC_NOW, &r[0]);
    sec_ignore_parse("rule-2: 2020-01-01: too old", SEC_NOW, &r[1]);
    sec_ignore_parse("nonsense", SEC_NOW, &r[2]);
    g = read_as(sarif(", \"rules\": [{\"id\": \"RULE-1\"}, {\"id\": \"RULE-2\"}]", "",
                      "{\"ruleId\": \"RULE-1\"}, {\"ruleId\": \"RULE-1\"}, {\"ruleId\": \"RULE-2\"}"), SEC_FMT_AUTO, r, 3);
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->t.ignored, 2);
    counts(g, 0, 0, 1, 0, 0, 0);
    assert_int_equal(r[0].matched, 2);
    assert_int_equal(r[1].matched, 1);
    assert_int_equal(r[2].matched, 0);
}

/* An ignore entry names a finding by its own id, or by its one other name (a GHSA and its
 * CVE); never one of several a bundling advisory or a class carries (round 28a, F02). */
static void test_ignore_aliases(void **state)
{
    sec_ignore r[1];
    got *g;
    (void)state;
    sec_ignore_parse("CVE-2024-37370: 2030-01-01: not reachable", SEC_NOW, &r[0]);
    g = read_as("{\"matches\": [{\"vulnerability\": {\"id\": \"ALAS-2024-2595\", \"severity\": \"Critical\"},"
                " \"relatedVulnerabilities\": [{\"id\": \"CVE-2024-37370\"}, {\"id\": \"CVE-2024-37371\"}],"
                " \"artifact\": {\"name\": \"krb5-libs\"}}], \"descriptor\": {\"name\": \"grype\"}}", SEC_FMT_AUTO, r, 1);
    assert_int_equal(g->rc, 0);
    counts(g, 1, 0, 0, 0, 0, 0);
    assert_int_equal(g->t.ignored, 0);
    /* one related id: the same vulnerability, ignored by either name */
    sec_ignore_parse("CVE-2024-37370: 2030-01-01: not reachable", SEC_NOW, &r[0]);
    g = read_as("{\"matches\": [{\"vulnerability\": {\"id\": \"GHSA-xxxx-yyyy-zzzz\", \"severity\": \"High\"},"
                " \"relatedVulnerabilities\": [{\"id\": \"CVE-2024-37370\"}],"
                " \"artifact\": {\"name\": \"lib\"}}], \"descriptor\": {\"name\": \"grype\"}}", SEC_FMT_AUTO, r, 1);
    assert_int_equal(g->t.ignored, 1);
    /* GitLab: a CWE beside the CVE silences nothing */
    sec_ignore_parse("CWE-79: 2030-01-01: a class, not a finding", SEC_NOW, &r[0]);
    g = read_as("{\"version\": \"15.0.0\", \"vulnerabilities\": [{\"id\": \"u1\", \"severity\": \"High\","
                " \"identifiers\": [{\"type\": \"cve\", \"value\": \"CVE-2024-1\"}, {\"type\": \"cwe\", \"value\": \"CWE-79\"}],"
                " \"location\": {}}], \"scan\": {\"status\": \"success\"}}", SEC_FMT_AUTO, r, 1);
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->t.ignored, 0);
}

/* ---- Trivy ------------------------------------------------------------------------------------ */

static void test_trivy(void **state)
{
    got *g;
    (void)state;
    g = ok("{\"SchemaVersion\": 2, \"CreatedAt\": \"2025-06-01T00:00:00+00:00\", \"ArtifactName\": \"img\","
           " \"Metadata\": {\"Commit\": \"0123456789abcdef\"}, \"Results\": ["
           "{\"Target\": \"t1\", \"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"critical\"},"
           " {\"VulnerabilityID\": \"CVE-2\", \"Severity\": \"MEDIUM\", \"Status\": \"not_affected\"},"
           " {\"VulnerabilityID\": \"CVE-3\"}, {\"VulnerabilityID\": \"CVE-4\", \"Severity\": \"SEVERE\"},"
           " {\"VulnerabilityID\": \"CVE-5\", \"Severity\": null}],"
           " \"ExperimentalModifiedFindings\": [{}, {}]},"
           "{\"Target\": \"t2\", \"Misconfigurations\": [{\"ID\": \"M1\", \"Severity\": \"HIGH\", \"Status\": \"FAIL\"},"
           " {\"ID\": \"M2\", \"Severity\": \"HIGH\", \"Status\": \"PASS\"}, {\"ID\": \"M3\", \"Severity\": \"LOW\","
           " \"Status\": \"EXCEPTION\"}, {\"ID\": \"M4\", \"Severity\": \"LOW\"}]},"
           "{\"Target\": \"t3\", \"Secrets\": [{\"RuleID\": \"S\", \"Severity\": \"HIGH\"}],"
           " \"Licenses\": [{\"Name\": \"GPL-3.0\", \"Severity\": \"LOW\", \"PkgName\": \"p\"}]},"
           "{\"Target\": \"t4\", \"Vulnerabilities\": null, \"Misconfigurations\": null}]}");
    counts(g, 1, 2, 0, 2, 3, 0);
    assert_int_equal(g->t.suppressed, 4);
    assert_int_equal(g->t.passed, 1);
    assert_int_equal(g->info.units, 4);
    assert_string_equal(g->info.variant, "schema 2");
    assert_int_equal(g->info.time, INT64_C(1748736000));
    assert_string_equal(g->info.commits[0], "0123456789abcdef");
    bad("{\"SchemaVersion\": 1, \"Results\": []}", SEC_FMT_AUTO, "Trivy SchemaVersion 1 is not supported: only 2 is");
    bad("{\"SchemaVersion\": \"2\", \"Results\": []}", SEC_FMT_AUTO, "Trivy SchemaVersion \"2\" is not supported");
    bad("{\"SchemaVersion\": 2.0, \"Results\": []}", SEC_FMT_AUTO, "SchemaVersion 2.0 is not supported");
    bad("{\"ArtifactName\": \"x\", \"Results\": []}", SEC_FMT_AUTO, "no SchemaVersion");
    bad("{\"SchemaVersion\": 2, \"Results\": {}}", SEC_FMT_AUTO, "Results is not an array");
    bad("{\"SchemaVersion\": 2, \"Results\": [1]}", SEC_FMT_AUTO, "result 1 is not an object");
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": {}}]}", SEC_FMT_AUTO, "malformed Severity, Status or list");
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": [{\"Severity\": 5}]}]}", SEC_FMT_AUTO,
        "result 1: vulnerability 1 has a malformed Severity");
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": [7]}]}", SEC_FMT_AUTO, "vulnerability 1");
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Misconfigurations\": [{\"Status\": true}]}]}", SEC_FMT_AUTO,
        "misconfiguration 1");
    /* a key given twice is refused wherever it is (common/json_member.h), with its place */
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": [{\"Severity\": \"LOW\", \"Severity\": \"HIGH\"}]}]}",
        SEC_FMT_AUTO, "the member \"Severity\" appears twice at line 1");
    bad("{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"a\", \"Vulnerabilities\": [{\"Severity\": \"LOW\","
        " \"PkgName\": \"x\", \"PkgName\": \"y\"}]}]}", SEC_FMT_AUTO, "the member \"PkgName\" appears twice");
    /* The legacy list, and Kubernetes reports of both shapes. */
    g = ok("[{\"Target\": \"a\", \"Vulnerabilities\": [{\"Severity\": \"HIGH\"}]}, {\"Target\": \"b\", \"Vulnerabilities\": null}]");
    counts(g, 0, 1, 0, 0, 0, 0);
    assert_string_equal(g->info.variant, "legacy list");
    g = ok("{\"ClusterName\": \"prod\", \"Resources\": [{\"Namespace\": \"ns\", \"Kind\": \"Deployment\", \"Name\": \"api\","
           " \"Results\": [{\"Target\": \"img\", \"Vulnerabilities\": [{\"Severity\": \"CRITICAL\"}]},"
           " {\"Misconfigurations\": [{\"Severity\": \"LOW\", \"Status\": \"FAIL\"}]}]}, {\"Kind\": \"Pod\"}]}");
    counts(g, 1, 0, 0, 1, 0, 0);
    assert_string_equal(g->info.variant, "kubernetes");
    assert_string_equal(g->info.tool, "Trivy (cluster prod)");
    assert_int_equal(g->info.units, 2);
    g = ok("{\"ClusterName\": \"c\", \"Vulnerabilities\": [{\"Results\": [{\"Vulnerabilities\": [{\"Severity\": \"HIGH\"}]}]}],"
           " \"Misconfigurations\": [{\"Results\": [{\"Misconfigurations\": [{\"Severity\": \"HIGH\", \"Status\": \"PASS\"}]}]}]}");
    counts(g, 0, 1, 0, 0, 0, 0);
    assert_int_equal(g->t.passed, 1);
    bad("{\"ClusterName\": \"c\"}", SEC_FMT_AUTO, "without Resources, Findings, Vulnerabilities or Misconfigurations");
    /* a resource whose scan failed (Trivy's Error) is not scanned, not clean (round 28a, F01) */
    g = ok("{\"ClusterName\": \"c\", \"Resources\": [{\"Namespace\": \"ns\", \"Kind\": \"Deployment\", \"Name\": \"api\","
           " \"Error\": \"scan error: UNAUTHORIZED\"}]}");
    counts(g, 0, 0, 0, 0, 0, 0);
    assert_string_equal(g->info.incomplete, "resource ns/Deployment/api: scan error: UNAUTHORIZED");
    /* trivy k8s --format json's default summary report: the resources as Findings (F03) */
    g = ok("{\"ClusterName\": \"c\", \"Findings\": [{\"Namespace\": \"ns\", \"Kind\": \"Pod\", \"Name\": \"p\","
           " \"Results\": [{\"Target\": \"img\", \"Vulnerabilities\": [{\"Severity\": \"HIGH\"}]}]}]}");
    counts(g, 0, 1, 0, 0, 0, 0);
    bad("{\"ClusterName\": \"c\", \"Resources\": [{\"Results\": 3}]}", SEC_FMT_AUTO, "resource 1: Results is not an array");
    bad("{\"ClusterName\": \"c\", \"Resources\": [{\"Results\": [3]}]}", SEC_FMT_AUTO, "result 1 is not an object");
}

/* ---- Grype and GitLab ---------------------------------------------------------------------------- */

static void test_grype(void **state)
{
    got *g;
    sec_ignore r;
    (void)state;
    g = ok("{\"matches\": [{\"vulnerability\": {\"id\": \"A\", \"severity\": \"High\"}},"
           " {\"vulnerability\": {\"id\": \"B\", \"severity\": \"negligible\"}},"
           " {\"vulnerability\": {\"id\": \"C\", \"severity\": \"Unknown\"}},"
           " {\"vulnerability\": {\"id\": \"D\", \"severity\": \"\"}},"
           " {\"vulnerability\": {\"id\": \"E\", \"severity\": null}},"
           " {\"vulnerability\": {\"id\": \"F\", \"severity\": \"None\"}}],"
           " \"ignoredMatches\": [{}, {}, {}], \"descriptor\": {\"name\": \"grype\", \"version\": \"0.90.0\","
           " \"timestamp\": \"\"}, \"source\": {\"target\": \"dir:.\"}}");
    counts(g, 0, 1, 0, 0, 4, 1);
    assert_int_equal(g->t.suppressed, 3);
    assert_false(g->info.has_time);
    assert_string_equal(g->info.tool, "grype 0.90.0");
    bad("{\"matches\": [{\"artifact\": {}}], \"source\": {}}", SEC_FMT_AUTO, "match 1: no vulnerability object");
    bad("{\"matches\": [{\"vulnerability\": {\"severity\": 3}}], \"source\": {}}", SEC_FMT_AUTO, "malformed severity");
    bad("{\"matches\": {}, \"source\": {}}", SEC_FMT_AUTO, "matches is not an array");
    bad("{\"matches\": [\"x\"], \"source\": {}}", SEC_FMT_AUTO, "match 1 is not an object");
    bad("{\"matches\": [], \"ignoredMatches\": 4, \"source\": {}}", SEC_FMT_AUTO, "ignoredMatches is not an array");
    /* An ignore entry may name a related vulnerability. */
    sec_ignore_parse("CVE-2021-1: 2030-01-01: alias", SEC_NOW, &r);
    g = read_as("{\"matches\": [{\"vulnerability\": {\"id\": \"GHSA-1\", \"severity\": \"Critical\"},"
                " \"relatedVulnerabilities\": [{\"id\": \"CVE-2021-1\"}]}], \"source\": {}}", SEC_FMT_AUTO, &r, 1);
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->t.ignored, 1);
    counts(g, 0, 0, 0, 0, 0, 0);
}

static void test_gitlab(void **state)
{
    got *g;
    (void)state;
    g = ok("{\"version\": \"15.0.7\", \"vulnerabilities\": [{\"severity\": \"Critical\"}, {\"severity\": \"Info\"},"
           " {\"severity\": \"Unknown\"}, {}, {\"severity\": \"medium\", \"identifiers\": [{\"type\": \"cve\","
           " \"value\": \"CVE-1\"}]}], \"scan\": {\"status\": \"success\", \"end_time\": \"2025-06-01T10:00:00\","
           " \"scanner\": {\"name\": \"Gemnasium\"}, \"type\": \"dependency_scanning\"}}");
    counts(g, 1, 0, 1, 0, 2, 1);
    assert_int_equal(g->info.time, INT64_C(1748772000)); /* no zone: UTC */
    assert_string_equal(g->info.tool, "Gemnasium (dependency_scanning)");
    assert_string_equal(g->info.incomplete, "");
    g = ok("{\"version\": \"2.3\", \"vulnerabilities\": [], \"scan\": {\"status\": \"failure\"}}");
    assert_string_equal(g->info.incomplete, "scan.status is \"failure\"");
    bad("{\"version\": \"15.0.7\", \"vulnerabilities\": [1]}", SEC_FMT_AUTO, "vulnerability 1 is not an object");
    bad("{\"version\": \"15.0.7\", \"vulnerabilities\": [{\"severity\": []}]}", SEC_FMT_AUTO, "malformed severity");
    bad("{\"version\": 15, \"vulnerabilities\": []}", SEC_FMT_GITLAB, "no \"version\" string");
}

/* ---- Ignore entries and timestamps --------------------------------------------------------------- */

static void test_ignore_parse(void **state)
{
    sec_ignore r;
    (void)state;
    sec_ignore_parse("CVE-2024-1234: 2025-12-31: false positive, not reachable", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_ACTIVE);
    assert_string_equal(r.id, "CVE-2024-1234");
    assert_string_equal(r.until, "2025-12-31");
    assert_string_equal(r.reason, "false positive, not reachable");
    sec_ignore_parse("pkg:npm/x@1:2: 2025-12-31 : reason: with colons", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_ACTIVE);
    assert_string_equal(r.id, "pkg:npm/x@1:2");
    assert_string_equal(r.reason, "reason: with colons");
    sec_ignore_parse("X:2025-06-10:last day", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_ACTIVE);
    sec_ignore_parse("X:2025-06-10:last day", INT64_C(1749599999), &r);
    assert_int_equal(r.state, SEC_IGNORE_ACTIVE);
    sec_ignore_parse("X:2025-06-10:last day", INT64_C(1749600000), &r);
    assert_int_equal(r.state, SEC_IGNORE_EXPIRED);
    sec_ignore_parse("X: 2024-02-29: leap", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_EXPIRED);
    sec_ignore_parse("X: 2023-02-29: not leap", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    sec_ignore_parse(": 2030-01-01: no id", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    assert_contains(r.problem, "no id");
    sec_ignore_parse("A B: 2030-01-01: blank", SEC_NOW, &r);
    assert_contains(r.problem, "blank");
    sec_ignore_parse("X: 2030-01-01", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    sec_ignore_parse("X: 2030-1-01: short", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    sec_ignore_parse("", SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    sec_ignore_parse(NULL, SEC_NOW, &r);
    assert_int_equal(r.state, SEC_IGNORE_MALFORMED);
    {
        char longid[300];
        memset(longid, 'A', 200);
        strcpy(longid + 200, ": 2030-01-01: long");
        sec_ignore_parse(longid, SEC_NOW, &r);
        assert_contains(r.problem, "longer than");
    }
}

/* A report's time goes through the one timestamp grammar (common/rfc3339.c, tested in
 * tests/unit/test_rfc3339.c); what this plugin adds is the oldest time wins and a
 * zone-less one (GitLab's) is UTC and says so. */
static int64_t report_time(const char *text, int *zoneless)
{
    sec_info info;
    memset(&info, 0, sizeof info);
    sec_info_time(&info, text);
    if (!info.has_time)
        return INT64_MIN;
    *zoneless = info.time_zoneless;
    assert_string_equal(info.time_text, text);
    return info.time;
}

static void test_timestamps(void **state)
{
    int zl = -1;
    sec_info info;
    static const char *const wrong[] = {
        "", "2025-06-10T25:00:00Z", "2025-13-01T00:00:00Z", "2025-06-31T00:00:00Z",
        "2025-06-10T10:00:00.Z", "2025-06-10T10:00:00Zjunk", "yesterday", "10/06/2025",
    };
    (void)state;
    assert_int_equal(report_time("1970-01-01T00:00:00Z", &zl), 0);
    assert_int_equal(zl, 0);
    assert_int_equal(report_time("2025-06-10t14:00:00.999999999+02:00", &zl), SEC_NOW);
    assert_int_equal(report_time("2025-06-10 07:00:00-05:00", &zl), SEC_NOW);
    assert_int_equal(zl, 0);
    assert_int_equal(report_time("2025-06-10T12:00:00", &zl), SEC_NOW);   /* GitLab: UTC */
    assert_int_equal(zl, 1);
    assert_int_equal(report_time("Tue, 10 Jun 2025 12:00:00 GMT", &zl), SEC_NOW);
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        if (report_time(wrong[i], &zl) != INT64_MIN)
            fail_msg("accepted %s", wrong[i]);
    assert_int_equal(report_time(NULL, &zl), INT64_MIN);
    /* of several times, the oldest is the report's */
    memset(&info, 0, sizeof info);
    sec_info_time(&info, "2025-06-10T12:00:00Z");
    sec_info_time(&info, "2025-06-10T11:00:00Z");
    sec_info_time(&info, "2025-06-10T13:00:00Z");
    assert_int_equal(info.time, SEC_NOW - 3600);
    assert_string_equal(info.time_text, "2025-06-10T11:00:00Z");
}

/* ---- Hostile input ------------------------------------------------------------------------------- */

/* Every prefix of TEXT, and TEXT with bytes changed at many places: read without a crash,
 * and a rejection always says why. */
static void mangle(const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    static const char repl[] = "\"{}[],:0-e\\n \x01\xff";
    unsigned seed = 12345;
    for (size_t cut = 0; cut < n; cut += 1 + cut / 64) {
        got *g;
        memcpy(buf, text, cut);
        buf[cut] = '\0';
        g = read_as(buf, SEC_FMT_AUTO, NULL, 0);
        if (g->rc != 0)
            assert_true(g->why[0] != '\0');
    }
    for (int k = 0; k < 3000; k++) {
        got *g;
        memcpy(buf, text, n + 1);
        for (int j = 0; j < 3; j++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = repl[(seed >> 20) % (sizeof repl - 1)];
        }
        g = read_as(buf, (sec_format)(k % 5), NULL, 0);
        if (g->rc != 0)
            assert_true(g->why[0] != '\0');
    }
    free(buf);
}

static void test_hostile_mutations(void **state)
{
    static const char *const files[] = {"app.sarif", "trivy-mixed.json", "grype.json", "gitlab-sast.json"};
    (void)state;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *text = sec_slurp(sec_data(files[i]), &len);
        assert_non_null(text);
        mangle(text);
        free(text);
    }
}

static void test_hostile_values(void **state)
{
    got *g;
    (void)state;
    /* Wrong types everywhere a reader looks, huge numbers, long strings. */
    g = ok(sarif(", \"rules\": 5, \"version\": [], \"semanticVersion\": {}", "\"invocations\": 7, \"versionControlProvenance\": \"x\"",
                 "{\"ruleIndex\": \"0\", \"ruleId\": 5, \"rule\": [], \"properties\": [], \"locations\": {},"
                 " \"message\": 3, \"provenance\": {\"invocationIndex\": 1e400}},"
                 "{\"ruleIndex\": 1e400, \"properties\": {\"security-severity\": 1e400}, \"locations\": [{\"physicalLocation\":"
                 " {\"region\": {\"startLine\": -1e400}}}]},"
                 "{\"properties\": {\"security-severity\": \"-5\"}, \"suppressions\": [null, 1]}"));
    counts(g, 0, 0, 3, 0, 0, 0);
    g = ok("{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"D\", \"rules\": [1, null, {\"id\": 3},"
           " {\"id\": \"R\"}]}, \"extensions\": [7, {\"rules\": {}}]}, \"invocations\": [null, {\"ruleConfigurationOverrides\":"
           " [1, {\"descriptor\": 2}]}], \"results\": [{\"ruleIndex\": 0}, {\"ruleId\": \"R\", \"rule\": {\"toolComponent\":"
           " {\"index\": 0}}}, {\"rule\": {\"id\": \"R\", \"toolComponent\": {\"index\": 1}}}]}]}");
    counts(g, 0, 0, 3, 0, 0, 0);
    g = ok("{\"SchemaVersion\": 2, \"CreatedAt\": 5, \"Metadata\": {\"Commit\": 12}, \"Results\": [{\"Target\": 1,"
           " \"Vulnerabilities\": [{\"VulnerabilityID\": 1, \"PkgName\": [], \"CVSS\": {\"a\": {\"V3Score\": 1e999}},"
           " \"VendorIDs\": \"x\", \"Severity\": \"HIGH\"}], \"Secrets\": [{\"StartLine\": \"x\", \"Severity\": \"LOW\"}]}]}");
    counts(g, 0, 1, 0, 1, 0, 0);
    assert_false(g->info.has_time);
    assert_int_equal(g->info.commit_count, 0);
    g = ok("{\"matches\": [{\"vulnerability\": {\"id\": [], \"severity\": \"High\", \"cvss\": 5},"
           " \"relatedVulnerabilities\": 3, \"artifact\": []}], \"descriptor\": 5, \"source\": []}");
    counts(g, 0, 1, 0, 0, 0, 0);
    g = ok("{\"version\": \"1\", \"vulnerabilities\": [{\"severity\": \"Low\", \"identifiers\": {}, \"location\": 3}],"
           " \"scan\": []}");
    counts(g, 0, 0, 0, 1, 0, 0);
    /* A very long string is a string. */
    {
        size_t n = 1 << 20;
        char *big = malloc(n + 200);
        strcpy(big, "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"");
        memset(big + strlen(big), 'x', n);
        strcpy(big + strlen("{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"") + n,
               "\", \"Vulnerabilities\": [{\"Severity\": \"LOW\", \"Title\": \"t\"}]}]}");
        counts(ok(big), 0, 0, 0, 1, 0, 0);
        free(big);
    }
}

/* ---- The streaming SARIF reader ---------------------------------------------------------- */

/* TEXT read in chunks of every size from 1 to 9 bytes and of 4 KiB must give what the
 * default chunks give: counts, facts, worst list, or the same error (positions too). */
static void same_in_any_chunks(const char *text)
{
    got want, *g;
    size_t saved = sec_sarif_chunk_size;
    static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 4096};
    want = *read_as(text, SEC_FMT_AUTO, NULL, 0);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sec_sarif_chunk_size = sizes[i];
        g = read_as(text, SEC_FMT_AUTO, NULL, 0);
        sec_sarif_chunk_size = saved;
        if (g->rc != want.rc || strcmp(g->why, want.why) != 0 || memcmp(&g->t, &want.t, sizeof want.t) != 0 ||
            memcmp(&g->info, &want.info, sizeof want.info) != 0)
            fail_msg("chunks of %zu bytes: rc %d \"%s\", expected rc %d \"%s\"\n%s", sizes[i], g->rc, g->why, want.rc,
                     want.why, text);
    }
}

static void test_sarif_chunk_boundaries(void **state)
{
    char *app;
    size_t len;
    (void)state;
    app = sec_slurp(sec_data("app.sarif"), &len);
    assert_non_null(app);
    same_in_any_chunks(app);
    free(app);
    /* Escapes, a byte order mark, numbers and literals of every kind, split anywhere. */
    same_in_any_chunks("\xEF\xBB\xBF{\"version\": \"2.1\\u002e0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\\u00e9\\n\","
                       " \"rules\": [{\"id\": \"A\\/1\", \"properties\": {\"security-severity\": 7.25e0}}]}},"
                       " \"results\": [{\"ruleId\": \"A/1\", \"kind\": \"fail\", \"suppressions\": null, \"x\": [true, false, null, -0.5E+2]},"
                       " {\"ruleIndex\": 0, \"suppressions\": [{\"status\": \"accepted\"}]}]}]}");
    /* Errors name the same place whatever the chunks. */
    same_in_any_chunks("{\"version\": \"2.1.0\",\n \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n \"results\": [1]}]}");
    same_in_any_chunks("{\"version\": \"2.1.0\",\n \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n \"results\": [}]}");
    same_in_any_chunks("{\"version\": \"2.1.0\",\n \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n \"results\": []}]");
    same_in_any_chunks("{\"version\": \"2.1.0\", \"runs\": [], \"runs\": []}");
}

/* A run's members in any order: results before the tool and the invocations count as
 * they would after them, the worst list included. */
static void test_sarif_rules_after_results(void **state)
{
    static const char *const tool = "\"tool\": {\"driver\": {\"name\": \"D\", \"rules\": ["
        "{\"id\": \"R\", \"shortDescription\": {\"text\": \"rule R\"}, \"defaultConfiguration\": {\"level\": \"error\"}},"
        "{\"id\": \"S\", \"properties\": {\"security-severity\": \"9.1\"}}]}}";
    static const char *const inv = "\"invocations\": [{\"ruleConfigurationOverrides\": [{\"descriptor\": {\"index\": 0},"
        " \"configuration\": {\"level\": \"note\"}}], \"endTimeUtc\": \"2025-06-01T00:00:00Z\"}]";
    char results[16384], before[20000], after[20000];
    size_t n = 0;
    got a, *b;
    sec_ignore ign[1];
    (void)state;
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(results + n, sizeof results - n, "%s{\"ruleId\": \"%s\", \"message\": {\"text\": \"m%d\"}%s}",
                              i ? "," : "", i % 3 == 0 ? "S" : "R", i, i % 3 == 2 ? ", \"level\": \"warning\"" : "");
    snprintf(before, sizeof before, "{\"version\": \"2.1.0\", \"runs\": [{%s, %s, \"results\": [%s]}]}", tool, inv, results);
    snprintf(after, sizeof after, "{\"runs\": [{\"results\": [%s], %s, %s}], \"version\": \"2.1.0\"}", results, inv, tool);
    a = *read_as(before, SEC_FMT_AUTO, NULL, 0);
    assert_int_equal(a.rc, 0);
    counts(&a, 20, 0, 20, 20, 0, 0); /* S critical; R overridden to note; R with level warning */
    b = read_as(after, SEC_FMT_AUTO, NULL, 0);
    assert_int_equal(b->rc, 0);
    assert_memory_equal(&a.t, &b->t, sizeof a.t);
    assert_memory_equal(&a.info, &b->info, sizeof a.info);
    same_in_any_chunks(after);
    /* The worst list and ignore matches alike too. */
    {
        sec_scan s1, s2;
        sec_tally t1, t2;
        sec_info i1, i2;
        char why[256];
        memset(&t1, 0, sizeof t1);
        memset(&t2, 0, sizeof t2);
        sec_ignore_parse("S: 2099-01-01: later", SEC_NOW, &ign[0]);
        sec_scan_init(&s1, NULL, 0);
        sec_scan_begin(&s1, 0, &t1);
        assert_int_equal(sec_report_read(before, strlen(before), SEC_FMT_AUTO, &s1, &i1, why, sizeof why), 0);
        sec_scan_init(&s2, NULL, 0);
        sec_scan_begin(&s2, 0, &t2);
        assert_int_equal(sec_report_read(after, strlen(after), SEC_FMT_AUTO, &s2, &i2, why, sizeof why), 0);
        assert_int_equal(s1.worst_count, s2.worst_count);
        for (size_t i = 0; i < s1.worst_count; i++) {
            assert_string_equal(s1.worst[i].title, s2.worst[i].title);
            assert_int_equal(s1.worst[i].severity, s2.worst[i].severity);
        }
        sec_scan_free(&s1);
        sec_scan_free(&s2);
        b = read_as(after, SEC_FMT_AUTO, ign, 1);
        assert_int_equal(b->t.ignored, 20);
        assert_int_equal(ign[0].matched, 20);
    }
}

/* ---- Memory that does not grow with the log ----------------------------------------------- */

/* A SARIF log made as it is read: N results over K rules (ids R0..), the run's members
 * in ORDER: GEN_AFTER results, invocations, tool; GEN_TOOL_FIRST tool, results,
 * invocations; GEN_BEFORE tool, invocations, results.  Rule j: j % 4 == 0
 * security-severity 9.5 (critical), 1 no score and default level error (overridden to
 * warning by the invocation), 2 no score and default level note, 3 score 5.0 (medium).
 * Result i: rule i % K, level note when i % 5 == 0 (else none: the rule decides), its
 * own message and location.  TITLES distinct short descriptions over the rules. */
typedef struct gen {
    long n, k, titles;
    int order;
    int section;          /* index in the order of the run's members; -1 the head */
    int part;             /* 0 the member's start, 1 its elements, 2 its end */
    long i;
    char piece[1024];
    size_t len, off;
} gen;

enum { G_TOOL, G_INV, G_RESULTS };
enum { GEN_AFTER, GEN_TOOL_FIRST, GEN_BEFORE };

/* The next piece of the log into g->piece (g->len 0 at the end). */
static void gen_piece(gen *g)
{
    static const int ORDERS[3][3] = {[GEN_AFTER] = {G_RESULTS, G_INV, G_TOOL},
                                     [GEN_TOOL_FIRST] = {G_TOOL, G_RESULTS, G_INV},
                                     [GEN_BEFORE] = {G_TOOL, G_INV, G_RESULTS}};
    int n;
    g->len = g->off = 0;
    if (g->section < 0) {
        n = snprintf(g->piece, sizeof g->piece, "{\"version\": \"2.1.0\", \"runs\": [{\n");
        g->section = 0;
        g->part = 0;
        g->len = (size_t)n;
        return;
    }
    if (g->section == 3) {
        n = snprintf(g->piece, sizeof g->piece, "}]}\n");
        g->section = 4;
        g->len = (size_t)n;
        return;
    }
    if (g->section > 3)
        return;
    switch (ORDERS[g->order][g->section]) {
    case G_TOOL:
        if (g->part == 0) {
            n = snprintf(g->piece, sizeof g->piece, "\"tool\": {\"driver\": {\"name\": \"Gen\", \"rules\": [\n");
            g->part = 1;
            g->i = 0;
        } else if (g->part == 1 && g->i < g->k) {
            n = snprintf(g->piece, sizeof g->piece,
                         "%s{\"id\": \"R%ld\", \"name\": \"rule %ld\", \"shortDescription\": {\"text\": \"title %ld\"},"
                         " \"fullDescription\": {\"text\": \"a long description that is not kept, a long description"
                         " that is not kept\"}, \"help\": {\"text\": \"help that is not kept\"}%s%s}\n",
                         g->i ? "," : "", g->i, g->i, g->i % g->titles,
                         g->i % 4 == 0 ? ", \"properties\": {\"security-severity\": \"9.5\", \"tags\": [\"a\", \"b\"]}"
                         : g->i % 4 == 3 ? ", \"properties\": {\"security-severity\": 5.0}" : "",
                         g->i % 4 == 1 ? ", \"defaultConfiguration\": {\"level\": \"error\"}"
                         : g->i % 4 == 2 ? ", \"defaultConfiguration\": {\"level\": \"note\"}" : "");
            g->i++;
        } else {
            n = snprintf(g->piece, sizeof g->piece, "]}}%s\n", g->section < 2 ? "," : "");
            g->section++;
            g->part = 0;
        }
        break;
    case G_INV:
        n = snprintf(g->piece, sizeof g->piece,
                     "\"invocations\": [{\"executionSuccessful\": true, \"endTimeUtc\": \"2025-06-01T00:00:00Z\","
                     " \"ruleConfigurationOverrides\": [{\"descriptor\": {\"index\": 1}, \"configuration\":"
                     " {\"level\": \"warning\"}}]}]%s\n", g->section < 2 ? "," : "");
        g->section++;
        break;
    default:
        if (g->part == 0) {
            n = snprintf(g->piece, sizeof g->piece, "\"results\": [\n");
            g->part = 1;
            g->i = 0;
        } else if (g->part == 1 && g->i < g->n) {
            n = snprintf(g->piece, sizeof g->piece,
                         "%s{\"ruleId\": \"R%ld\", %s\"message\": {\"text\": \"finding %ld\"}, \"locations\":"
                         " [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": \"src/f%ld.c\"}, \"region\":"
                         " {\"startLine\": %ld}}}], \"partialFingerprints\": {\"h\": \"%08lx\"}}\n",
                         g->i ? "," : "", g->i % g->k, g->i % 5 == 0 ? "\"level\": \"note\", " : "", g->i, g->i % 97,
                         g->i + 1, (unsigned long)g->i * 2654435761UL);
            g->i++;
        } else {
            n = snprintf(g->piece, sizeof g->piece, "]%s\n", g->section < 2 ? "," : "");
            g->section++;
            g->part = 0;
        }
        break;
    }
    g->len = (size_t)n;
}

static int64_t gen_read(void *ctx, char *buf, size_t cap, const char **why)
{
    gen *g = ctx;
    size_t n = 0;
    (void)why;
    while (n < cap) {
        size_t take;
        if (g->off == g->len) {
            gen_piece(g);
            if (!g->len)
                break;
        }
        take = g->len - g->off < cap - n ? g->len - g->off : cap - n;
        memcpy(buf + n, g->piece + g->off, take);
        g->off += take;
        n += take;
    }
    return (int64_t)n;
}

typedef struct streamed {
    sec_tally t;
    sec_info info;
    sec_sarif_stats stats;
    sec_scan s;
} streamed;

/* Stream the generated log into *OUT (scan_free OUT->s). */
static void gen_stream(long n, long k, long titles, int order, streamed *out)
{
    gen g;
    sec_source src = {gen_read, &g};
    char why[512] = "";
    int not_sarif = 0;
    memset(&g, 0, sizeof g);
    g.section = -1;
    g.n = n;
    g.k = k;
    g.titles = titles;
    g.order = order;
    memset(out, 0, sizeof *out);
    sec_scan_init(&out->s, NULL, 0);
    sec_scan_begin(&out->s, 0, &out->t);
    if (sec_sarif_stream(&src, SEC_FMT_AUTO, &out->s, &out->info, why, sizeof why, &not_sarif) != 0)
        fail_msg("generated log of %ld results rejected: %s", n, why);
    out->stats = sec_sarif_last_stats;
    assert_int_equal(out->info.entries, n);
    assert_int_equal(sec_tally_findings(&out->t), n);
}

static void same_worst(const sec_scan *a, const sec_scan *b)
{
    assert_int_equal(a->worst_count, b->worst_count);
    for (size_t i = 0; i < a->worst_count; i++) {
        assert_string_equal(a->worst[i].id, b->worst[i].id);
        assert_string_equal(a->worst[i].title, b->worst[i].title);
        assert_string_equal(a->worst[i].file, b->worst[i].file);
        assert_true(a->worst[i].line == b->worst[i].line);
        assert_int_equal(a->worst[i].severity, b->worst[i].severity);
        assert_true(a->worst[i].score == b->worst[i].score);
    }
}

/* Results before the tool and the invocations are deferred: what is held for them is a
 * count per group (rule, level...) and at most the first WORST_MAX of a group for the
 * worst list, however many results there are; and what they add up to is what the same
 * log with its tool first gives, worst list included. */
static void test_sarif_memory_bounded(void **state)
{
    streamed small, large, first, before, small_first;
    (void)state;
    gen_stream(20000, 40, 10, GEN_AFTER, &small);
    gen_stream(200000, 40, 10, GEN_AFTER, &large);
    gen_stream(200000, 40, 10, GEN_TOOL_FIRST, &first);
    gen_stream(200000, 40, 10, GEN_BEFORE, &before);
    /* 40 rules (with a level or without, but a rule's results here are all alike): one
     * group a rule, whatever the size. */
    assert_int_equal(large.stats.peak_groups, 40);
    assert_int_equal(large.stats.peak_groups, small.stats.peak_groups);
    assert_true(large.stats.peak_samples <= large.stats.peak_groups * SEC_WORST_MAX);
    assert_int_equal(large.stats.peak_samples, small.stats.peak_samples);
    assert_int_equal(large.stats.rules, 40);
    /* The same judgement as with the tool and invocations first. */
    assert_int_equal(before.stats.peak_groups, 0);
    assert_memory_equal(&large.t, &before.t, sizeof large.t);
    assert_memory_equal(&large.info, &before.info, sizeof large.info);
    same_worst(&large.s, &before.s);
    assert_memory_equal(&first.t, &before.t, sizeof first.t);
    assert_memory_equal(&first.info, &before.info, sizeof first.info);
    same_worst(&first.s, &before.s);
    assert_int_equal(large.t.sev[SEC_SEV_CRITICAL], 200000 / 4);
    assert_int_equal(large.t.sev[SEC_SEV_MEDIUM], 200000 / 4 + 200000 / 40); /* score 5.0; R1 overridden */
    /* With the tool first only the results without a level of the 16 rules without a
     * score and a level of their own wait (an override of the invocations, which come
     * after them, may give a level), and once the worst list is full of criticals they
     * cannot beat (a level is at most high, these are critical), which it is after
     * the first 80 results, none of them is kept for it. */
    assert_int_equal(first.stats.peak_groups, 16);
    assert_true(first.stats.peak_samples < 80);
    gen_stream(20000, 40, 10, GEN_TOOL_FIRST, &small_first);
    assert_int_equal(first.stats.peak_samples, small_first.stats.peak_samples);
    sec_scan_free(&small_first.s);
    sec_scan_free(&before.s);
    sec_scan_free(&small.s);
    sec_scan_free(&large.s);
    sec_scan_free(&first.s);
}

/* The rule table: tens of bytes a rule (titles interned, descriptions and help not
 * kept), the same for ten times the rules. */
static void test_sarif_rule_table_compact(void **state)
{
    streamed a, b;
    (void)state;
    gen_stream(1000, 10000, 50, GEN_BEFORE, &a);
    gen_stream(1000, 100000, 50, GEN_BEFORE, &b);
    assert_int_equal(a.stats.rules, 10000);
    assert_int_equal(b.stats.rules, 100000);
    if (a.stats.rule_bytes > 64 * a.stats.rules || b.stats.rule_bytes > 64 * b.stats.rules)
        fail_msg("rule table: %zu bytes for %zu rules, %zu for %zu", a.stats.rule_bytes, a.stats.rules,
                 b.stats.rule_bytes, b.stats.rules);
    /* Results of rule i % K: the first 1000 rules, every fourth critical. */
    assert_int_equal(a.t.sev[SEC_SEV_CRITICAL], 250);
    assert_int_equal(b.t.sev[SEC_SEV_CRITICAL], 250);
    assert_string_equal(a.s.worst[0].title, "title 0");
    sec_scan_free(&a.s);
    sec_scan_free(&b.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sarif_chunk_boundaries),
        cmocka_unit_test(test_sarif_rules_after_results),
        cmocka_unit_test(test_sarif_memory_bounded),
        cmocka_unit_test(test_sarif_rule_table_compact),
        cmocka_unit_test(test_jscan_values),
        cmocka_unit_test(test_jscan_walk_and_keys),
        cmocka_unit_test(test_jscan_depth),
        cmocka_unit_test(test_detection),
        cmocka_unit_test(test_sarif_versions_and_shape),
        cmocka_unit_test(test_sarif_severity),
        cmocka_unit_test(test_sarif_rules_elsewhere),
        cmocka_unit_test(test_sarif_suppressions_and_baseline),
        cmocka_unit_test(test_sarif_run_facts),
        cmocka_unit_test(test_sarif_ignores),
        cmocka_unit_test(test_ignore_aliases),
        cmocka_unit_test(test_trivy),
        cmocka_unit_test(test_grype),
        cmocka_unit_test(test_gitlab),
        cmocka_unit_test(test_ignore_parse),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_hostile_mutations),
        cmocka_unit_test(test_hostile_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
