/* Unit tests for core/decision.c (and the error records of core/error.c): verdicts,
 * exit codes, summaries and the JSON forms of a decision and of an error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "error.h"
#include "rg_config.h"
#include "rgtest.h"

#define NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* ---- Building decisions by hand ------------------------------------------------- */

static rg_decision *new_decision(size_t cap)
{
    rg_decision *d = calloc(1, sizeof *d);
    d->release_name = strdup("payments");
    d->release_version = strdup("2.4.0");
    d->context_file = strdup("release.json");
    d->type = RG_TYPE_MINOR;
    d->stage = RG_STAGE_DEPLOY;
    d->policy_name = strdup("octoacme");
    d->policy_version = strdup("1.0.0");
    snprintf(d->policy_digest, sizeof d->policy_digest, "sha256:%064d", 0);
    snprintf(d->context_digest, sizeof d->context_digest, "sha256:%064d", 1);
    d->actions = cJSON_CreateArray();
    d->results = calloc(cap ? cap : 1, sizeof *d->results);
    d->evaluated_at = NOW;
    return d;
}

static rg_result *add_result(rg_decision *d, const char *id, rg_level level, rg_status status)
{
    rg_result *r = &d->results[d->count++];
    r->id = id;        /* fixed strings: a decision keeps them in its text block */
    r->title = "Title";
    r->check = "lua";
    r->source = "policy.lua:1";
    r->message = strdup("message");
    r->details = cJSON_CreateObject();
    r->level = level;
    r->status = status;
    return r;
}

static rg_verdict conclude(const rg_status *statuses, const rg_level *levels, size_t n)
{
    rg_decision *d = new_decision(n);
    rg_verdict v;
    for (size_t i = 0; i < n; i++)
        add_result(d, "r", levels[i], statuses[i]);
    rg_decision_conclude(d);
    v = d->verdict;
    rg_decision_free(d);
    return v;
}

static cJSON *parse_json(const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        fail_msg("not JSON: %s", text);
    return root;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        fail_msg("no member \"%s\"", key);
    return item;
}

/* ---- Names and exit codes ----------------------------------------------------------- */

static void test_exit_code_table(void **state)
{
    (void)state;
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_ALLOW, 0), 0);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_ALLOW, 1), 0);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_WARN, 0), 0);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_WARN, 1), 1);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_DENY, 0), 1);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_DENY, 1), 1);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_ERROR, 0), 2);
    assert_int_equal(rg_verdict_exit_code(RG_VERDICT_ERROR, 1), 2);
}

static void test_exit_code_fails_closed(void **state)
{
    (void)state;
    /* Anything that is not a known verdict is an error, never 0. */
    assert_int_equal(rg_verdict_exit_code((rg_verdict)42, 0), 2);
    assert_int_equal(rg_verdict_exit_code((rg_verdict)7, 1), 2);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(rg_verdict_name(RG_VERDICT_ALLOW), "allow");
    assert_string_equal(rg_verdict_name(RG_VERDICT_WARN), "warn");
    assert_string_equal(rg_verdict_name(RG_VERDICT_DENY), "deny");
    assert_string_equal(rg_verdict_name(RG_VERDICT_ERROR), "error");
    assert_string_equal(rg_verdict_name((rg_verdict)9), "error");
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(rg_status_name(RG_STATUS_PASS), "pass");
    assert_string_equal(rg_status_name(RG_STATUS_FAIL), "fail");
    assert_string_equal(rg_status_name(RG_STATUS_WARN), "warn");
    assert_string_equal(rg_status_name(RG_STATUS_WAIVED), "waived");
    assert_string_equal(rg_status_name(RG_STATUS_ERROR), "error");
    assert_string_equal(rg_status_name(RG_STATUS_SKIP), "skip");
    assert_string_equal(rg_status_name(RG_STATUS_COUNT), "error");
}

static void test_error_kind_names(void **state)
{
    (void)state;
    assert_string_equal(rg_error_kind_name(RG_ERROR_NONE), "none");
    assert_string_equal(rg_error_kind_name(RG_ERROR_USAGE), "usage");
    assert_string_equal(rg_error_kind_name(RG_ERROR_IO), "io");
    assert_string_equal(rg_error_kind_name(RG_ERROR_CONTEXT), "context");
    assert_string_equal(rg_error_kind_name(RG_ERROR_POLICY), "policy");
    assert_string_equal(rg_error_kind_name(RG_ERROR_LIMIT), "limit");
    assert_string_equal(rg_error_kind_name(RG_ERROR_EVIDENCE), "evidence");
    assert_string_equal(rg_error_kind_name(RG_ERROR_INTERNAL), "internal");
}

static void test_version(void **state)
{
    int major, minor, patch;
    char end;
    (void)state;
    assert_string_equal(rg_version(), RG_VERSION);
    assert_int_equal(sscanf(rg_version(), "%d.%d.%d%c", &major, &minor, &patch, &end), 3);
}

/* ---- rg_decision_conclude -------------------------------------------------------------- */

static void test_conclude_table(void **state)
{
    static const struct {
        rg_status status[3];
        rg_level level[3];
        size_t n;
        rg_verdict want;
    } cases[] = {
        {{0}, {0}, 0, RG_VERDICT_ALLOW},
        {{RG_STATUS_PASS}, {RG_LEVEL_MANDATORY}, 1, RG_VERDICT_ALLOW},
        {{RG_STATUS_SKIP, RG_STATUS_PASS}, {RG_LEVEL_MANDATORY, RG_LEVEL_ADVISORY}, 2, RG_VERDICT_ALLOW},
        {{RG_STATUS_WAIVED}, {RG_LEVEL_WAIVABLE}, 1, RG_VERDICT_ALLOW},
        {{RG_STATUS_FAIL}, {RG_LEVEL_MANDATORY}, 1, RG_VERDICT_DENY},
        {{RG_STATUS_FAIL}, {RG_LEVEL_WAIVABLE}, 1, RG_VERDICT_DENY},
        {{RG_STATUS_FAIL}, {RG_LEVEL_ADVISORY}, 1, RG_VERDICT_WARN},
        {{RG_STATUS_WARN}, {RG_LEVEL_MANDATORY}, 1, RG_VERDICT_WARN},
        {{RG_STATUS_ERROR}, {RG_LEVEL_ADVISORY}, 1, RG_VERDICT_DENY},
        {{RG_STATUS_WARN, RG_STATUS_FAIL, RG_STATUS_PASS},
         {RG_LEVEL_MANDATORY, RG_LEVEL_MANDATORY, RG_LEVEL_MANDATORY}, 3, RG_VERDICT_DENY},
        {{RG_STATUS_FAIL, RG_STATUS_WARN, RG_STATUS_PASS},
         {RG_LEVEL_ADVISORY, RG_LEVEL_MANDATORY, RG_LEVEL_MANDATORY}, 3, RG_VERDICT_WARN},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rg_verdict v = conclude(cases[i].status, cases[i].level, cases[i].n);
        if (v != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, rg_verdict_name(v), rg_verdict_name(cases[i].want));
    }
}

static void test_conclude_summary(void **state)
{
    rg_decision *d = new_decision(6);
    (void)state;
    add_result(d, "a", RG_LEVEL_MANDATORY, RG_STATUS_PASS);
    add_result(d, "b", RG_LEVEL_MANDATORY, RG_STATUS_PASS);
    add_result(d, "c", RG_LEVEL_ADVISORY, RG_STATUS_WARN);
    add_result(d, "d", RG_LEVEL_MANDATORY, RG_STATUS_SKIP);
    add_result(d, "e", RG_LEVEL_WAIVABLE, RG_STATUS_WAIVED);
    add_result(d, "f", RG_LEVEL_MANDATORY, RG_STATUS_ERROR);
    d->summary[RG_STATUS_FAIL] = 99; /* stale: concluding starts over */
    rg_decision_conclude(d);
    assert_int_equal(d->summary[RG_STATUS_PASS], 2);
    assert_int_equal(d->summary[RG_STATUS_FAIL], 0);
    assert_int_equal(d->summary[RG_STATUS_WARN], 1);
    assert_int_equal(d->summary[RG_STATUS_SKIP], 1);
    assert_int_equal(d->summary[RG_STATUS_WAIVED], 1);
    assert_int_equal(d->summary[RG_STATUS_ERROR], 1);
    assert_int_equal(d->verdict, RG_VERDICT_DENY);
    assert_int_equal(rg_decision_verdict(d), RG_VERDICT_DENY);
    rg_decision_free(d);
}

/* ---- rg_decision_to_json -------------------------------------------------------------- */

static void test_decision_json_fields(void **state)
{
    rg_decision *d = new_decision(2);
    rg_result *r;
    char *text;
    cJSON *root;
    const cJSON *o, *req;
    (void)state;
    r = add_result(d, "ci-passing", RG_LEVEL_MANDATORY, RG_STATUS_PASS);
    cJSON_AddNumberToObject(r->details, "runs", 3);
    r->duration_ms = 1.25;
    r = add_result(d, "notes", RG_LEVEL_ADVISORY, RG_STATUS_WARN);
    r->hint = "Write the notes.";
    rg_decision_conclude(d);
    text = rg_decision_to_json(d);
    assert_non_null(text);
    assert_true(text[strlen(text) - 1] == '\n');
    assert_memory_equal(text, "{\n  \"decision\": \"warn\",\n", 24); /* two-space indentation */
    root = parse_json(text);
    assert_string_equal(get(root, "decision")->valuestring, "warn");
    o = get(root, "release");
    assert_string_equal(get(o, "name")->valuestring, "payments");
    assert_string_equal(get(o, "version")->valuestring, "2.4.0");
    assert_string_equal(get(o, "type")->valuestring, "minor");
    assert_string_equal(get(root, "stage")->valuestring, "deploy");
    o = get(root, "policy");
    assert_string_equal(get(o, "name")->valuestring, "octoacme");
    assert_string_equal(get(o, "version")->valuestring, "1.0.0");
    assert_string_equal(get(o, "digest")->valuestring, d->policy_digest);
    o = get(root, "summary");
    assert_int_equal(get(o, "total")->valueint, 2);
    assert_int_equal(get(o, "pass")->valueint, 1);
    assert_int_equal(get(o, "fail")->valueint, 0);
    assert_int_equal(get(o, "warn")->valueint, 1);
    assert_int_equal(get(o, "waived")->valueint, 0);
    assert_int_equal(get(o, "error")->valueint, 0);
    assert_int_equal(get(o, "skip")->valueint, 0);
    assert_int_equal(cJSON_GetArraySize(get(root, "requirements")), 2);
    req = cJSON_GetArrayItem(get(root, "requirements"), 0);
    assert_string_equal(get(req, "id")->valuestring, "ci-passing");
    assert_string_equal(get(req, "title")->valuestring, "Title");
    assert_string_equal(get(req, "level")->valuestring, "mandatory");
    assert_string_equal(get(req, "status")->valuestring, "pass");
    assert_string_equal(get(req, "message")->valuestring, "message");
    assert_string_equal(get(req, "check")->valuestring, "lua");
    assert_int_equal(get(get(req, "details"), "runs")->valueint, 3);
    assert_true(get(req, "duration_ms")->valuedouble == 1.25);
    assert_null(cJSON_GetObjectItemCaseSensitive(req, "hint")); /* only where something needs doing */
    req = cJSON_GetArrayItem(get(root, "requirements"), 1);
    assert_string_equal(get(req, "hint")->valuestring, "Write the notes.");
    assert_string_equal(get(req, "level")->valuestring, "advisory");
    assert_true(cJSON_IsArray(get(root, "actions")));
    assert_string_equal(get(root, "evaluated_at")->valuestring, "2025-06-15T15:06:40Z");
    assert_string_equal(get(get(root, "engine"), "version")->valuestring, RG_VERSION);
    cJSON_Delete(root);
    free(text);
    rg_decision_free(d);
}

static void test_decision_json_field_order(void **state)
{
    rg_decision *d = new_decision(1);
    char *text;
    const char *order[] = {"\"decision\"", "\"release\"", "\"stage\"", "\"policy\"", "\"summary\"",
                           "\"requirements\"", "\"actions\"", "\"evaluated_at\"", "\"engine\""};
    const char *prev = NULL;
    (void)state;
    add_result(d, "a", RG_LEVEL_MANDATORY, RG_STATUS_PASS);
    rg_decision_conclude(d);
    text = rg_decision_to_json(d);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(text, order[i]);
        if (!p || (prev && p < prev))
            fail_msg("%s missing or out of order", order[i]);
        prev = p;
    }
    free(text);
    rg_decision_free(d);
}

static void test_decision_json_null_policy_version(void **state)
{
    rg_decision *d = new_decision(1);
    char *text;
    cJSON *root;
    (void)state;
    free(d->policy_version);
    d->policy_version = NULL;
    add_result(d, "a", RG_LEVEL_MANDATORY, RG_STATUS_FAIL)->hint = "h";
    rg_decision_conclude(d);
    text = rg_decision_to_json(d);
    root = parse_json(text);
    assert_true(cJSON_IsNull(get(get(root, "policy"), "version")));
    assert_string_equal(get(root, "decision")->valuestring, "deny");
    assert_string_equal(get(cJSON_GetArrayItem(get(root, "requirements"), 0), "hint")->valuestring, "h");
    cJSON_Delete(root);
    free(text);
    rg_decision_free(d);
}

static void test_decision_json_empty(void **state)
{
    rg_decision *d = new_decision(0);
    char *text;
    cJSON *root;
    (void)state;
    rg_decision_conclude(d);
    text = rg_decision_to_json(d);
    root = parse_json(text);
    assert_string_equal(get(root, "decision")->valuestring, "allow");
    assert_int_equal(get(get(root, "summary"), "total")->valueint, 0);
    assert_int_equal(cJSON_GetArraySize(get(root, "requirements")), 0);
    assert_contains(text, "\"requirements\": [],\n");
    cJSON_Delete(root);
    free(text);
    rg_decision_free(d);
}

static void test_decision_json_actions_copied(void **state)
{
    rg_decision *d = new_decision(1);
    cJSON *action = cJSON_CreateObject(), *root;
    char *text;
    (void)state;
    add_result(d, "a", RG_LEVEL_MANDATORY, RG_STATUS_FAIL);
    cJSON_AddStringToObject(action, "type", "rollback");
    cJSON_AddStringToObject(action, "target", "2.3.8");
    cJSON_AddItemToArray(d->actions, action);
    rg_decision_conclude(d);
    text = rg_decision_to_json(d);
    root = parse_json(text);
    assert_string_equal(get(cJSON_GetArrayItem(get(root, "actions"), 0), "target")->valuestring, "2.3.8");
    cJSON_Delete(root);
    free(text);
    rg_decision_free(d);
}

/* ---- rg_error_to_json ------------------------------------------------------------------- */

static void test_error_json_fields(void **state)
{
    rg_error err = {0};
    char *text;
    cJSON *root;
    const cJSON *e;
    (void)state;
    rg_fail(&err, RG_ERROR_POLICY, "policy.lua", 12, 5, "policy.lua:12: boom");
    text = rg_error_to_json(&err, NOW);
    assert_non_null(text);
    assert_true(text[strlen(text) - 1] == '\n');
    root = parse_json(text);
    assert_string_equal(get(root, "decision")->valuestring, "error");
    e = get(root, "error");
    assert_string_equal(get(e, "kind")->valuestring, "policy");
    assert_string_equal(get(e, "message")->valuestring, "policy.lua:12: boom");
    assert_string_equal(get(e, "file")->valuestring, "policy.lua");
    assert_int_equal(get(e, "line")->valueint, 12);
    assert_int_equal(get(e, "column")->valueint, 5);
    assert_null(cJSON_GetObjectItemCaseSensitive(e, "problems"));
    assert_string_equal(get(root, "evaluated_at")->valuestring, "2025-06-15T15:06:40Z");
    assert_string_equal(get(get(root, "engine"), "version")->valuestring, RG_VERSION);
    cJSON_Delete(root);
    free(text);
    rg_error_clear(&err);
}

static void test_error_json_unknown_place_is_null(void **state)
{
    rg_error err = {0};
    char *text;
    cJSON *root;
    const cJSON *e;
    (void)state;
    rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    text = rg_error_to_json(&err, NOW);
    root = parse_json(text);
    e = get(root, "error");
    assert_string_equal(get(e, "kind")->valuestring, "internal");
    assert_true(cJSON_IsNull(get(e, "file")));
    assert_true(cJSON_IsNull(get(e, "line")));
    assert_true(cJSON_IsNull(get(e, "column")));
    cJSON_Delete(root);
    free(text);
}

static void test_error_json_problems(void **state)
{
    rg_error err = {0};
    char *text;
    cJSON *root;
    const cJSON *list;
    (void)state;
    rg_add_problem(&err, RG_ERROR_CONTEXT, "ctx.json", "ctx.json: release.name is missing");
    rg_add_problem(&err, RG_ERROR_EVIDENCE, "ctx.json", "ctx.json: evidence.a: absolute path");
    assert_int_equal(err.kind, RG_ERROR_CONTEXT); /* the first problem's kind */
    assert_string_equal(err.message, "ctx.json: release.name is missing");
    text = rg_error_to_json(&err, NOW);
    root = parse_json(text);
    list = get(get(root, "error"), "problems");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(cJSON_GetArrayItem(list, 1)->valuestring, "ctx.json: evidence.a: absolute path");
    assert_string_equal(get(get(root, "error"), "kind")->valuestring, "context");
    cJSON_Delete(root);
    free(text);
}

static void test_error_json_escapes_message(void **state)
{
    rg_error err = {0};
    char *text;
    cJSON *root;
    (void)state;
    rg_fail(&err, RG_ERROR_POLICY, "p.lua", 1, 0, "quote \" backslash \\ newline \n tab \t end");
    text = rg_error_to_json(&err, NOW);
    root = parse_json(text);
    assert_string_equal(get(get(root, "error"), "message")->valuestring,
                        "quote \" backslash \\ newline \n tab \t end");
    cJSON_Delete(root);
    free(text);
}

static void test_error_clear_and_traceback(void **state)
{
    rg_error err = {0};
    (void)state;
    rg_fail(&err, RG_ERROR_LIMIT, "p.lua", 3, 0, "limit");
    rg_error_set_traceback(&err, strdup("stack traceback:\n\tp.lua:3"));
    rg_error_set_traceback(&err, strdup("replaced"));
    assert_string_equal(err.traceback, "replaced");
    rg_fail(&err, RG_ERROR_IO, NULL, 0, 0, "again"); /* frees the traceback */
    assert_null(err.traceback);
    assert_string_equal(err.file, "");
    rg_error_clear(&err);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    assert_string_equal(err.message, "");
    rg_error_clear(NULL);
}

static void test_problems_capped(void **state)
{
    rg_error err = {0};
    (void)state;
    for (int i = 0; i < RG_ERROR_PROBLEMS_MAX + 5; i++)
        rg_add_problem(&err, RG_ERROR_CONTEXT, "c", "problem %d", i);
    assert_int_equal(err.problem_count, RG_ERROR_PROBLEMS_MAX);
    assert_string_equal(err.problems[RG_ERROR_PROBLEMS_MAX - 1], "problem 15");
    assert_string_equal(err.message, "problem 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_table),
        cmocka_unit_test(test_exit_code_fails_closed),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_error_kind_names),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_conclude_table),
        cmocka_unit_test(test_conclude_summary),
        cmocka_unit_test(test_decision_json_fields),
        cmocka_unit_test(test_decision_json_field_order),
        cmocka_unit_test(test_decision_json_null_policy_version),
        cmocka_unit_test(test_decision_json_empty),
        cmocka_unit_test(test_decision_json_actions_copied),
        cmocka_unit_test(test_error_json_fields),
        cmocka_unit_test(test_error_json_unknown_place_is_null),
        cmocka_unit_test(test_error_json_problems),
        cmocka_unit_test(test_error_json_escapes_message),
        cmocka_unit_test(test_error_clear_and_traceback),
        cmocka_unit_test(test_problems_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
