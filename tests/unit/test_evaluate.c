/* Unit tests for core/evaluate.c: which requirements run, what their results become,
 * the verdict, the post-deploy playbook, and check errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "decision.h"
#include "policy.h"
#include "rgtest.h"
#include "textpos.h"

#define NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture fixture;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file

RGT_FIXTURE(setup, teardown, "rg-evaluate", NULL)

/* A context of TYPE at STAGE; PREVIOUS is release.previous_version or NULL. */
static void write_context(fixture *f, const char *type, const char *stage, const char *previous)
{
    char text[1024], prev[64] = "";
    if (previous)
        fmt(prev, sizeof prev, "\"previous_version\": \"%s\", ", previous);
    fmt(text, sizeof text,
        "{\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", %s\"type\": \"%s\", \"author\": \"dlee\"},\n"
        " \"stage\": \"%s\",\n"
        " \"approvals\": [{\"user\": \"mkhan\", \"role\": \"release-manager\", \"state\": \"approved\"}],\n"
        " \"deployment\": {\"window\": null, \"pipeline\": \"automated\"}}\n",
        prev, type, stage);
    put_file(f, "ctx.json", text);
}

static rg_context *load_context(fixture *f, const rg_context_options *opt)
{
    rg_context_free(f->ctx);
    f->ctx = rg_context_load(at(f, "ctx.json"), opt, &f->err);
    if (!f->ctx)
        fail_msg("context refused: %s", f->err.message);
    return f->ctx;
}

static rg_policy *load_policy(fixture *f, const char *text)
{
    rg_policy_free(f->pol);
    f->pol = rgt_load_policy(f->path, "policy.lua", text, NULL, NOW, &f->err);
    if (!f->pol)
        fail_msg("policy refused: %s", f->err.message);
    return f->pol;
}

/* Evaluate policy TEXT against the context already written; NULL with f->err. */
static rg_decision *evaluate_with(fixture *f, const char *text, const rg_context_options *opt)
{
    rg_error_clear(&f->err);
    load_policy(f, text);
    load_context(f, opt);
    rg_decision_free(f->d);
    rg_error_clear(&f->err);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    return f->d;
}

static rg_decision *evaluate_ok(fixture *f, const char *text)
{
    if (!evaluate_with(f, text, NULL))
        fail_msg("evaluation failed: %s", f->err.message);
    return f->d;
}

/* The ids of the decision's results, comma-separated (static buffer). */
static const char *ids(const rg_decision *d)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->count; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", d->results[i].id);
    return buf;
}

/* The statuses of the decision's results, comma-separated (static buffer). */
static const char *statuses(const rg_decision *d)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->count; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", rg_status_name(d->results[i].status));
    return buf;
}

static char *compact(const cJSON *item)
{
    return cJSON_PrintUnformatted(item);
}

#define CHECK_RETURNS(r) "check = function(ctx) return " r " end"

/* ---- Selection by type and stage ---------------------------------------------------- */

static const char selection_policy[] =
    "requirement \"all-types\" { title = \"T\", " CHECK_RETURNS("pass('x')") " }\n"
    "requirement \"major-only\" { title = \"T\", types = { \"major\" }, " CHECK_RETURNS("pass('x')") " }\n"
    "requirement \"minor-patch\" { title = \"T\", types = { \"minor\", \"patch\" }, " CHECK_RETURNS("pass('x')") " }\n"
    "requirement \"deploy-only\" { title = \"T\", stages = { \"deploy\" }, " CHECK_RETURNS("pass('x')") " }\n"
    "requirement \"pre-and-deploy\" { title = \"T\", stages = { \"pre-release\", \"deploy\" }, "
    CHECK_RETURNS("pass('x')") " }\n"
    "requirement \"post-major\" { title = \"T\", types = { \"major\" }, stages = { \"post-deploy\" }, "
    CHECK_RETURNS("pass('x')") " }\n";

static void test_select_by_type(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, selection_policy);
    assert_string_equal(ids(f->d), "all-types,minor-patch,pre-and-deploy");
    write_context(f, "major", "pre-release", NULL);
    evaluate_ok(f, selection_policy);
    assert_string_equal(ids(f->d), "all-types,major-only,pre-and-deploy");
}

static void test_select_by_stage(void **state)
{
    fixture *f = *state;
    write_context(f, "patch", "deploy", NULL);
    evaluate_ok(f, selection_policy);
    assert_string_equal(ids(f->d), "deploy-only,pre-and-deploy");
    assert_int_equal(f->d->stage, RG_STAGE_DEPLOY);
    write_context(f, "major", "post-deploy", NULL);
    evaluate_ok(f, selection_policy);
    assert_string_equal(ids(f->d), "post-major");
    assert_int_equal(f->d->summary[RG_STATUS_PASS], 1);
}

static void test_select_with_overrides(void **state)
{
    fixture *f = *state;
    rg_context_options opt = {0};
    write_context(f, "minor", "pre-release", NULL);
    opt.stage = RG_STAGE_POST_DEPLOY;
    opt.type = RG_TYPE_MAJOR;
    assert_non_null(evaluate_with(f, selection_policy, &opt));
    assert_string_equal(ids(f->d), "post-major");
    assert_int_equal(f->d->type, RG_TYPE_MAJOR);
    assert_int_equal(f->d->stage, RG_STAGE_POST_DEPLOY);
}

/* A stage the policy declares nothing for runs no check, and is no allow with nothing
 * checked: an error naming the stage (differential round 10, F4). */
static void test_nothing_selected_runs_no_check(void **state)
{
    fixture *f = *state;
    write_context(f, "patch", "post-deploy", NULL);
    assert_null(evaluate_with(f, "requirement \"pre\" { title = \"P\", check = function() error('must not run') end }\n",
                              NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_non_null(strstr(f->err.message, "declares no requirement for patch releases at stage post-deploy"));
}

static void test_context_as_checks_see_it(void **state)
{
    fixture *f = *state;
    rg_context_options opt = {0};
    char *text;
    write_context(f, "minor", "pre-release", NULL);
    opt.stage = RG_STAGE_DEPLOY;
    opt.type = RG_TYPE_PATCH;
    assert_non_null(evaluate_with(f,
        "requirement \"ctx\" { title = \"C\", stages = { \"deploy\" }, check = function(ctx)\n"
        "  return pass('ok', { stage = ctx.stage, type = ctx.release.type, now = ctx.now,\n"
        "    window = ctx.deployment.window == nil, prev = ctx.release.previous_version == nil,\n"
        "    approver = ctx.approvals[1].user })\n"
        "end }\n", &opt));
    text = compact(f->d->results[0].details);
    assert_string_equal(text, "{\"approver\":\"mkhan\",\"now\":1750000000,\"prev\":true,\"stage\":\"deploy\","
                              "\"type\":\"patch\",\"window\":true}");
    free(text);
}

/* ---- Results -------------------------------------------------------------------------- */

static void test_result_fields(void **state)
{
    fixture *f = *state;
    const rg_result *r;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "\nrequirement \"notes\" { title = \"Release notes drafted\", hint = \"Write them.\",\n"
                   "  level = \"waivable\", check = function(ctx) return fail('no notes', { file = 'NOTES.md' }) end }\n");
    assert_int_equal(f->d->count, 1);
    r = &f->d->results[0];
    assert_string_equal(r->id, "notes");
    assert_string_equal(r->title, "Release notes drafted");
    assert_string_equal(r->hint, "Write them.");
    assert_string_equal(r->check, "lua");
    assert_int_equal(r->level, RG_LEVEL_WAIVABLE);
    assert_int_equal(r->status, RG_STATUS_FAIL);
    assert_string_equal(r->message, "no notes");
    {
        char want[PATH_MAX + 16];
        fmt(want, sizeof want, "%s:2", at(f, "policy.lua"));
        assert_string_equal(r->source, want);
    }
    assert_true(r->duration_ms >= 0.0 && r->duration_ms < 10000.0);
    assert_string_equal(f->d->release_name, "payments");
    assert_string_equal(f->d->release_version, "2.4.0");
    assert_string_equal(f->d->policy_name, "policy");
    assert_null(f->d->policy_version);
    assert_string_equal(f->d->policy_digest, f->pol->digest);
    assert_int_equal(f->d->evaluated_at, NOW);
    assert_string_equal(f->d->context_file, at(f, "ctx.json"));
}

static void test_every_constructor(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "requirement \"p\" { title = \"P\", " CHECK_RETURNS("pass('p')") " }\n"
                   "requirement \"f\" { title = \"F\", " CHECK_RETURNS("fail('f')") " }\n"
                   "requirement \"w\" { title = \"W\", " CHECK_RETURNS("warn('w')") " }\n"
                   "requirement \"s\" { title = \"S\", " CHECK_RETURNS("skip('s')") " }\n");
    assert_string_equal(statuses(f->d), "pass,fail,warn,skip");
    assert_string_equal(f->d->results[3].message, "s");
}

static void test_advisory_fail_becomes_warn(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "requirement \"a\" { title = \"A\", level = \"advisory\", " CHECK_RETURNS("fail('meh')") " }\n"
                   "requirement \"b\" { title = \"B\", level = \"advisory\", " CHECK_RETURNS("pass('ok')") " }\n");
    assert_string_equal(statuses(f->d), "warn,pass");
    assert_string_equal(f->d->results[0].message, "meh");
    assert_int_equal(f->d->verdict, RG_VERDICT_WARN);
    assert_int_equal(f->d->summary[RG_STATUS_WARN], 1);
    assert_int_equal(f->d->summary[RG_STATUS_FAIL], 0);
}

static void test_details_converted(void **state)
{
    fixture *f = *state;
    char *text;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "requirement \"d\" { title = \"D\", check = function(ctx)\n"
                   "  return pass('ok', { count = 3, ratio = 0.5, names = { 'a', 'b' }, ok = true,\n"
                   "    nested = { z = 1, a = { 'x' } }, empty = {}, approvals = ctx.approvals })\n"
                   "end }\n");
    text = compact(f->d->results[0].details);
    assert_string_equal(text, "{\"approvals\":[{\"role\":\"release-manager\",\"state\":\"approved\",\"user\":\"mkhan\"}],"
                              "\"count\":3,\"empty\":[],\"names\":[\"a\",\"b\"],\"nested\":{\"a\":[\"x\"],\"z\":1},"
                              "\"ok\":true,\"ratio\":0.5}");
    free(text);
}

static void test_details_absent_or_empty_is_object(void **state)
{
    fixture *f = *state;
    char *a, *b;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("pass('no details')") " }\n"
                   "requirement \"b\" { title = \"B\", " CHECK_RETURNS("pass('empty', {})") " }\n");
    a = compact(f->d->results[0].details);
    b = compact(f->d->results[1].details);
    assert_string_equal(a, "{}");
    assert_string_equal(b, "{}");
    free(a);
    free(b);
}

static void test_details_must_be_named_fields(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 200];
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "\nrequirement \"d\" { title = \"D\", " CHECK_RETURNS("pass('ok', { 1, 2, 3 })") " }\n",
                              NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    fmt(want, sizeof want, "%s:2: details of requirement 'd' cannot be written as JSON: details must be a table "
        "with named fields", at(f, "policy.lua"));
    assert_string_equal(f->err.message, want);
    assert_string_equal(f->err.file, at(f, "policy.lua"));
    assert_int_equal(f->err.line, 2);
}

static void test_details_with_function_refused(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"d\" { title = \"D\", " CHECK_RETURNS("pass('ok', { f = print })") " }\n",
                              NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_contains(f->err.message, "details of requirement 'd' cannot be written as JSON: a function value");
}

static void test_details_with_nan_refused(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"d\" { title = \"D\", " CHECK_RETURNS("pass('ok', { r = 0/0 })") " }\n",
                              NULL));
    assert_contains(f->err.message, "NaN or infinite");
}

/* A result whose details were replaced by a non-table must still say why it is
 * refused (the reason was read from an unset buffer). */
static void test_details_replaced_by_number_says_why(void **state)
{
    fixture *f = *state;
    const char *reason;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"d\" { title = \"D\", check = function(ctx)\n"
                                 "  local r = pass('ok') r.details = 5 return r end }\n", NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    reason = strstr(f->err.message, "cannot be written as JSON: ");
    assert_non_null(reason);
    reason += strlen("cannot be written as JSON: ");
    if (strlen(reason) < 5)
        fail_msg("no reason given: \"%s\"", f->err.message);
    assert_contains(reason, "table");
}

/* ---- Verdicts --------------------------------------------------------------------------- */

static rg_verdict verdict_of(fixture *f, const char *policy)
{
    write_context(f, "minor", "pre-release", NULL);
    return evaluate_ok(f, policy)->verdict;
}

static void test_verdict_all_pass_allows(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("pass('a')") " }\n"
                                   "requirement \"b\" { title = \"B\", " CHECK_RETURNS("pass('b')") " }\n"),
                     RG_VERDICT_ALLOW);
    assert_int_equal(f->d->summary[RG_STATUS_PASS], 2);
    assert_int_equal(f->d->count, 2);
}

static void test_verdict_skips_allow(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("skip('n/a')") " }\n"),
                     RG_VERDICT_ALLOW);
    assert_int_equal(f->d->summary[RG_STATUS_SKIP], 1);
}

static void test_verdict_mandatory_fail_denies(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("pass('a')") " }\n"
                                   "requirement \"b\" { title = \"B\", " CHECK_RETURNS("fail('b')") " }\n"
                                   "requirement \"c\" { title = \"C\", " CHECK_RETURNS("warn('c')") " }\n"),
                     RG_VERDICT_DENY);
    assert_int_equal(f->d->summary[RG_STATUS_PASS], 1);
    assert_int_equal(f->d->summary[RG_STATUS_FAIL], 1);
    assert_int_equal(f->d->summary[RG_STATUS_WARN], 1);
}

static void test_verdict_waivable_fail_denies(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", level = \"waivable\", " CHECK_RETURNS("fail('a')") " }\n"),
                     RG_VERDICT_DENY);
}

static void test_verdict_warn_warns(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("pass('a')") " }\n"
                                   "requirement \"b\" { title = \"B\", " CHECK_RETURNS("warn('b')") " }\n"),
                     RG_VERDICT_WARN);
}

static void test_verdict_advisory_fail_warns(void **state)
{
    fixture *f = *state;
    assert_int_equal(verdict_of(f, "requirement \"a\" { title = \"A\", level = \"advisory\", " CHECK_RETURNS("fail('a')") " }\n"
                                   "requirement \"b\" { title = \"B\", " CHECK_RETURNS("pass('b')") " }\n"),
                     RG_VERDICT_WARN);
}

/* ---- Post-deploy playbook ---------------------------------------------------------------- */

static const char post_deploy_policy[] =
    "requirement \"verified\" { title = \"V\", stages = { \"post-deploy\" }, " CHECK_RETURNS("fail('error rate up')") " }\n"
    "requirement \"announced\" { title = \"A\", stages = { \"post-deploy\" }, " CHECK_RETURNS("pass('ok')") " }\n"
    "requirement \"dashboards\" { title = \"D\", stages = { \"post-deploy\" }, level = \"advisory\", "
    CHECK_RETURNS("fail('stale')") " }\n"
    "requirement \"smoke\" { title = \"S\", stages = { \"post-deploy\" }, level = \"waivable\", "
    CHECK_RETURNS("fail('smoke failed')") " }\n";

static void test_post_deploy_deny_adds_playbook(void **state)
{
    fixture *f = *state;
    char *text;
    write_context(f, "minor", "post-deploy", "2.3.8");
    evaluate_ok(f, post_deploy_policy);
    assert_int_equal(f->d->verdict, RG_VERDICT_DENY);
    text = compact(f->d->actions);
    assert_string_equal(text,
        "[{\"type\":\"incident\",\"summary\":\"post-deploy gate denied payments 2.4.0\",\"notify\":[\"on-call\"],"
        "\"requirements\":[\"verified\",\"smoke\"]},"
        "{\"type\":\"rollback\",\"target\":\"2.3.8\",\"source\":\"context: release.previous_version\"},"
        "{\"type\":\"triage\",\"summary\":\"triage the root cause and capture action items\"}]");
    free(text);
}

static void test_post_deploy_rollback_target_null_without_previous(void **state)
{
    fixture *f = *state;
    const cJSON *rollback;
    write_context(f, "minor", "post-deploy", NULL);
    evaluate_ok(f, post_deploy_policy);
    assert_int_equal(cJSON_GetArraySize(f->d->actions), 3);
    rollback = cJSON_GetArrayItem(f->d->actions, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(rollback, "type")->valuestring, "rollback");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rollback, "target")));
    assert_contains(cJSON_GetObjectItemCaseSensitive(rollback, "source")->valuestring,
                    "none: the context has no release.previous_version");
}

static void test_post_deploy_allow_or_warn_has_no_actions(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "post-deploy", "2.3.8");
    evaluate_ok(f, "requirement \"a\" { title = \"A\", stages = { \"post-deploy\" }, " CHECK_RETURNS("pass('ok')") " }\n");
    assert_int_equal(f->d->verdict, RG_VERDICT_ALLOW);
    assert_int_equal(cJSON_GetArraySize(f->d->actions), 0);
    evaluate_ok(f, "requirement \"a\" { title = \"A\", stages = { \"post-deploy\" }, " CHECK_RETURNS("warn('hm')") " }\n");
    assert_int_equal(f->d->verdict, RG_VERDICT_WARN);
    assert_int_equal(cJSON_GetArraySize(f->d->actions), 0);
}

static void test_deny_at_other_stages_has_no_actions(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "deploy", "2.3.8");
    evaluate_ok(f, "requirement \"a\" { title = \"A\", stages = { \"deploy\" }, " CHECK_RETURNS("fail('no')") " }\n");
    assert_int_equal(f->d->verdict, RG_VERDICT_DENY);
    assert_true(cJSON_IsArray(f->d->actions));
    assert_int_equal(cJSON_GetArraySize(f->d->actions), 0);
}

/* ---- Check errors ------------------------------------------------------------------------- */

static void test_check_error_names_file_and_line(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                                 "  local x = 1\n"
                                 "  error('cannot decide')\n"
                                 "end }\n", NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_string_equal(f->err.file, at(f, "policy.lua"));
    assert_int_equal(f->err.line, 3);
    fmt(want, sizeof want, "%s:3: cannot decide", at(f, "policy.lua"));
    assert_string_equal(f->err.message, want);
    assert_non_null(f->err.traceback);
}

static void test_check_runtime_error(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                                 "  return pass(ctx.release.incident.id)\n"
                                 "end }\n", NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_int_equal(f->err.line, 2);
    assert_contains(f->err.message, "attempt to index a nil value (field 'incident')");
}

static void test_check_error_in_helper_names_helper_line(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "local function helper()\n  error('deep')\nend\n"
                                 "requirement \"a\" { title = \"A\", check = function(ctx) helper() return pass('x') end }\n",
                                 NULL));
    assert_int_equal(f->err.line, 2);
    assert_string_equal(f->err.file, at(f, "policy.lua"));
}

static void test_check_returning_non_result(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *ret, *type;
    } cases[] = {{"'ok'", "string"}, {"nil", "nil"}, {"true", "boolean"},
                 {"{ status = 'pass', message = 'forged' }", "table"}};
    write_context(f, "minor", "pre-release", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char policy[512], want[PATH_MAX + 200];
        fmt(policy, sizeof policy, "\n\nrequirement \"a\" { title = \"A\", check = function(ctx) return %s end }\n",
            cases[i].ret);
        assert_null(evaluate_with(f, policy, NULL));
        assert_int_equal(f->err.kind, RG_ERROR_POLICY);
        fmt(want, sizeof want, "%s:3: check of requirement 'a' returned %s; it must return pass(...), fail(...), "
            "warn(...) or skip(...)", at(f, "policy.lua"), cases[i].type);
        assert_string_equal(f->err.message, want);
        assert_string_equal(f->err.file, at(f, "policy.lua"));
        assert_int_equal(f->err.line, 3);
    }
}

/* A `when` says true or false.  nil with a reason is the library's "cannot tell"
 * (fields.boolean of "yes"): taken as false it skipped the requirement exactly when the
 * release could not be judged (hostile round 31, F04). */
static void test_when_returning_non_boolean(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *ret, *said;
    } cases[] = {{"nil, 'release.data_migrations is \"yes\", expected true or false'",
                  "nil, not true or false (release.data_migrations is \"yes\", expected true or false)"},
                 {"nil", "nil, not true or false"}, {"0", "number, not true or false"},
                 {"'no'", "string, not true or false"}};
    write_context(f, "minor", "pre-release", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char policy[512], want[PATH_MAX + 300];
        fmt(policy, sizeof policy, "\n\nrequirement \"a\" { title = \"A\", when = function(ctx) return %s end, "
            CHECK_RETURNS("fail('x')") " }\n", cases[i].ret);
        assert_null(evaluate_with(f, policy, NULL));
        assert_int_equal(f->err.kind, RG_ERROR_POLICY);
        fmt(want, sizeof want, "%s:3: requirement 'a': when returned %s", at(f, "policy.lua"), cases[i].said);
        assert_string_equal(f->err.message, want);
    }
    /* false, with or without a reason, still skips; true applies */
    assert_string_equal(statuses(evaluate_ok(f, "requirement \"a\" { title = \"A\", when = function(ctx) "
                                                "return false end, " CHECK_RETURNS("fail('x')") " }\n"
                                                "requirement \"b\" { title = \"B\", when = function(ctx) "
                                                "return true end, " CHECK_RETURNS("fail('x')") " }\n")),
                        "skip,fail");
}

static void test_check_with_tampered_status(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                                 "  local r = fail('no') r.status = 'approved' return r end }\n", NULL));
    assert_contains(f->err.message, "check of requirement 'a' returned a result whose status is not pass, fail, warn or skip");
    /* Changing it to another valid status is the check's own business. */
    evaluate_ok(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                   "  local r = fail('no') r.status = 'skip' return r end }\n");
    assert_string_equal(statuses(f->d), "skip");
}

static void test_result_constructor_arguments_checked(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("pass()") " }\n", NULL));
    assert_contains(f->err.message, "bad argument #1 to 'pass'");
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("fail('x', 'details')") " }\n", NULL));
    assert_contains(f->err.message, "bad argument #2 to 'fail'");
}

static void test_error_stops_later_checks(void **state)
{
    fixture *f = *state;
    write_context(f, "minor", "pre-release", NULL);
    assert_null(evaluate_with(f, "requirement \"a\" { title = \"A\", check = function() error('first') end }\n"
                                 "requirement \"b\" { title = \"B\", check = function() error('second') end }\n",
                              NULL));
    assert_contains(f->err.message, "first");
}

static void test_evaluate_twice(void **state)
{
    fixture *f = *state;
    rg_decision *again;
    char *a, *b;
    write_context(f, "minor", "pre-release", NULL);
    evaluate_ok(f, "requirement \"a\" { title = \"A\", " CHECK_RETURNS("warn('w', { n = 1 })") " }\n");
    again = rg_evaluate(f->pol, f->ctx, &f->err);
    assert_non_null(again);
    assert_int_equal(again->verdict, f->d->verdict);
    a = compact(f->d->results[0].details);
    b = compact(again->results[0].details);
    assert_string_equal(a, b);
    free(a);
    free(b);
    rg_decision_free(again);
}

/* The decision is JSON, and JSON text is UTF-8 (RFC 8259 section 8.1): bytes a check
 * put in its message or details that are not UTF-8 must not reach the output as they
 * are.  Refusing the result (a policy error) is as good as replacing them. */
static void test_decision_json_is_valid_utf8(void **state)
{
    fixture *f = *state;
    char *text;
    const char *why = NULL;
    size_t bad;
    write_context(f, "minor", "pre-release", NULL);
    if (!evaluate_with(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                          "  return pass('bad \\255 byte', { note = 'x\\254y' }) end }\n", NULL))
        return; /* refused: fine */
    text = rg_decision_to_json(f->d);
    assert_non_null(text);
    bad = rg_utf8_check(text, strlen(text), &why);
    if (bad < strlen(text)) {
        char near[32];
        snprintf(near, sizeof near, "%.20s", text + (bad > 10 ? bad - 10 : 0));
        for (char *p = near; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
        free(text);
        fail_msg("decision JSON is not UTF-8 at byte %zu (%s) near \"%s\"", bad, why, near);
    }
    free(text);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_select_by_type),
        T(test_select_by_stage),
        T(test_select_with_overrides),
        T(test_nothing_selected_runs_no_check),
        T(test_context_as_checks_see_it),
        T(test_result_fields),
        T(test_every_constructor),
        T(test_advisory_fail_becomes_warn),
        T(test_details_converted),
        T(test_details_absent_or_empty_is_object),
        T(test_details_must_be_named_fields),
        T(test_details_with_function_refused),
        T(test_details_with_nan_refused),
        T(test_details_replaced_by_number_says_why),
        T(test_verdict_all_pass_allows),
        T(test_verdict_skips_allow),
        T(test_verdict_mandatory_fail_denies),
        T(test_verdict_waivable_fail_denies),
        T(test_verdict_warn_warns),
        T(test_verdict_advisory_fail_warns),
        T(test_post_deploy_deny_adds_playbook),
        T(test_post_deploy_rollback_target_null_without_previous),
        T(test_post_deploy_allow_or_warn_has_no_actions),
        T(test_deny_at_other_stages_has_no_actions),
        T(test_check_error_names_file_and_line),
        T(test_check_runtime_error),
        T(test_check_error_in_helper_names_helper_line),
        T(test_check_returning_non_result),
        T(test_when_returning_non_boolean),
        T(test_check_with_tampered_status),
        T(test_result_constructor_arguments_checked),
        T(test_error_stops_later_checks),
        T(test_evaluate_twice),
        T(test_decision_json_is_valid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
