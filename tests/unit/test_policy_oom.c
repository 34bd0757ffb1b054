/* Out of memory while a policy loads: every strdup and malloc the engine makes (it is
 * linked with --wrap=strdup,--wrap=malloc) fails in turn, one per load, until a load
 * makes no call that fails.  Each load that met a failure must be refused with an
 * error; none may load a policy with a part missing (a requirement without its id,
 * title or file, a lost override).  Copies policy.c makes of the declarations fail as
 * internal errors naming the place.  The same walk over an evaluation: each one that
 * met a failure is refused with an error, or decides as the whole one did. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "decision.h"
#include "policy.h"
#include "rgtest.h"

#define NOW 1750000000

typedef rgt_fixture fixture;
RGT_FIXTURE(setup, teardown, "rg-policy-oom", NULL)

/* Calls left before the one that fails; -1: none fails. */
static long countdown = -1;
static int tripped;

char *__real_strdup(const char *s);
void *__real_malloc(size_t n);
char *__wrap_strdup(const char *s);
void *__wrap_malloc(size_t n);

static int fail_now(void)
{
    if (countdown < 0 || countdown-- > 0)
        return 0;
    tripped = 1;
    return 1;
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

static const char POLICY[] =
    "policy { name = \"oom\", version = \"1.0.0\", description = \"every copy\" }\n"
    "requirement \"a\" { title = \"A\", hint = \"do A\", description = \"the A rule\",\n"
    "                  waiver_role = \"lead\", check = function() return true end }\n"
    "requirement \"b\" { title = \"B\", check = function() return true end }\n"
    "override \"a\" { title = \"A2\", hint = \"do A2\", reason = \"renamed\" }\n"
    "disable \"b\" { reason = \"not yet\" }\n";

/* The policy as POLICY declares it, every part present. */
static void assert_complete(const rg_policy *pol)
{
    assert_string_equal(pol->name, "oom");
    assert_string_equal(pol->version, "1.0.0");
    assert_string_equal(pol->description, "every copy");
    assert_int_equal(pol->count, 2);
    assert_string_equal(pol->reqs[0].id, "a");
    assert_string_equal(pol->reqs[0].title, "A2");
    assert_string_equal(pol->reqs[0].hint, "do A2");
    assert_string_equal(pol->reqs[0].description, "the A rule");
    assert_string_equal(pol->reqs[0].waiver_role, "lead");
    assert_non_null(pol->reqs[0].file);
    assert_non_null(strstr(pol->reqs[0].source, "policy.lua:2"));
    assert_int_equal(cJSON_GetArraySize(pol->reqs[0].changes), 2);
    assert_string_equal(pol->reqs[1].id, "b");
    assert_non_null(pol->reqs[1].disabled);
    assert_non_null(strstr(pol->reqs[1].disabled, "not yet"));
}

static void test_every_allocation_fails_closed(void **state)
{
    fixture *f = *state;
    const char *path;
    long n;
    int refused = 0, copies = 0;

    rgt_put_file(f, "policy.lua", POLICY);
    path = rgt_at(f, "policy.lua");
    for (n = 0; n < 100000; n++) {
        rg_policy *pol;
        rg_error_clear(&f->err);
        tripped = 0;
        countdown = n;
        pol = rg_policy_load(path, NULL, NOW, &f->err);
        countdown = -1;
        if (!tripped) {
            /* No call failed: the whole policy, and the walk is over. */
            assert_non_null(pol);
            assert_complete(pol);
            rg_policy_free(pol);
            break;
        }
        if (pol) {
            /* A failure the engine can do without (a cache, a message): still whole. */
            assert_complete(pol);
            rg_policy_free(pol);
            continue;
        }
        refused++;
        assert_int_not_equal(f->err.kind, RG_ERROR_NONE);
        assert_true(f->err.message[0] != '\0');
        if (strstr(f->err.message, "out of memory copying")) {
            copies++;
            assert_int_equal(f->err.kind, RG_ERROR_INTERNAL);
        }
    }
    assert_true(n < 100000);
    print_message("# %ld allocations walked, %d loads refused, %d in policy.c's copies\n", n, refused, copies);
    /* policy{} (3 fields), two requirements (id, title, hint, description, waiver_role,
     * file, source), the override (title, hint) and the disable all copy. */
    assert_true(copies >= 10);
}

/* Every kind of result, at post-deploy so that the deny has its playbook too. */
#define POST "stages = { \"post-deploy\" }, "
static const char EVAL_POLICY[] =
    "policy { name = \"oom\", version = \"1.0.0\" }\n"
    "requirement \"passes\" { title = \"P\", hint = \"h\", " POST "check = function() return pass('fine') end }\n"
    "requirement \"fails\" { title = \"F\", " POST "check = function() return fail('broken', { n = 1 }) end }\n"
    "requirement \"advice\" { title = \"A\", level = \"advisory\", " POST "check = function() return fail('meh') end }\n"
    "requirement \"not-now\" { title = \"N\", " POST "when = function() return false end,\n"
    "                        check = function() return pass('x') end }\n"
    "requirement \"gone\" { title = \"G\", " POST "check = function() return pass('x') end }\n"
    "disable \"gone\" { reason = \"retired\" }\n";

static const char EVAL_CONTEXT[] =
    "{\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\"},"
    " \"stage\": \"post-deploy\"}";

/* The verdict and every result's status, as one line to compare. */
static void outcome(const rg_decision *d, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s:", rg_verdict_name(d->verdict));
    for (size_t i = 0; i < d->count && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, " %s=%s", d->results[i].id, rg_status_name(d->results[i].status));
}

static void test_every_allocation_in_an_evaluation_fails_closed(void **state)
{
    fixture *f = *state;
    char whole[512], got[512];
    long n;
    int refused = 0;

    rgt_put_file(f, "policy.lua", EVAL_POLICY);
    rgt_put_file(f, "ctx.json", EVAL_CONTEXT);
    f->pol = rg_policy_load(rgt_at(f, "policy.lua"), NULL, NOW, &f->err);
    if (!f->pol)
        fail_msg("policy refused: %s", f->err.message);
    f->ctx = rg_context_load(rgt_at(f, "ctx.json"), NULL, &f->err);
    if (!f->ctx)
        fail_msg("context refused: %s", f->err.message);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    assert_non_null(f->d);
    outcome(f->d, whole, sizeof whole);
    assert_string_equal(whole, "deny: passes=pass fails=fail advice=warn not-now=skip gone=skip");
    for (n = 0; n < 100000; n++) {
        rg_decision *d;
        char *json;
        rg_error_clear(&f->err);
        tripped = 0;
        countdown = n;
        d = rg_evaluate(f->pol, f->ctx, &f->err);
        countdown = -1;
        if (!tripped) {
            assert_non_null(d);
            rg_decision_free(d);
            break;
        }
        if (!d) {
            refused++;
            assert_int_not_equal(f->err.kind, RG_ERROR_NONE);
            assert_true(f->err.message[0] != '\0');
            continue;
        }
        /* A decision made despite a failed allocation (a message it could not copy)
         * decides as the whole one and still renders. */
        outcome(d, got, sizeof got);
        assert_string_equal(got, whole);
        for (size_t i = 0; i < d->count; i++) {
            if (!d->results[i].message || !d->results[i].details)
                fail_msg("n=%ld: result %s without its message or details", n, d->results[i].id);
        }
        json = rg_decision_render(d, RG_FORMAT_JSON, 0);
        assert_non_null(json);
        free(json);
        rg_decision_free(d);
    }
    assert_true(n < 100000);
    print_message("# %ld allocations walked in an evaluation, %d refused\n", n, refused);
    assert_true(refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_allocation_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_allocation_in_an_evaluation_fails_closed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
