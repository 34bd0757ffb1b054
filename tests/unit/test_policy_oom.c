/* Out of memory while a policy loads: every strdup and malloc the engine makes (it is
 * linked with --wrap=strdup,--wrap=malloc) fails in turn, one per load, until a load
 * makes no call that fails.  Each load that met a failure must be refused with an
 * error; none may load a policy with a part missing (a requirement without its id,
 * title or file, a lost override).  Copies policy.c makes of the declarations fail as
 * internal errors naming the place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_allocation_fails_closed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
