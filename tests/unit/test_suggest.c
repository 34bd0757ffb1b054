/* Unit tests for common/suggest.c: "did you mean" suggestions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "suggest.h"

static const char *const FIELDS[] = {"title", "hint", "description", "types", "stages", "level", "check", "with",
                                     "timeout", "when", "waiver_role", NULL};

static const char *among(const char *word)
{
    static char buf[128];
    return rg_suggest_among(word, FIELDS, buf, sizeof buf);
}

static void test_close_names_suggested(void **state)
{
    (void)state;
    assert_string_equal(among("titel"), " (did you mean 'title'?)");   /* a swap */
    assert_string_equal(among("stage"), " (did you mean 'stages'?)");  /* a deletion */
    assert_string_equal(among("levle"), " (did you mean 'level'?)");
    assert_string_equal(among("wiver_role"), " (did you mean 'waiver_role'?)");
}

static void test_far_names_not_suggested(void **state)
{
    (void)state;
    assert_string_equal(among("severity"), "");
    assert_string_equal(among("x"), "");       /* one letter is no word to correct */
    assert_string_equal(among(""), "");
    assert_string_equal(among("title"), "");   /* the name itself is not a suggestion */
}

static void test_closest_wins(void **state)
{
    static const char *const ids[] = {"docs-updated", "docs-update", NULL};
    char buf[64];
    (void)state;
    assert_string_equal(rg_suggest_among("docs-updatd", ids, buf, sizeof buf), " (did you mean 'docs-updated'?)");
    assert_string_equal(rg_suggest_among("docs-updat", ids, buf, sizeof buf), " (did you mean 'docs-update'?)");
}

/* Field names: case and '-' against '_' are not counted. */
static void test_name_distance(void **state)
{
    char long_name[80];
    (void)state;
    assert_int_equal(rg_name_distance("Data-Migrations", "data_migrations"), 0);
    assert_int_equal(rg_name_distance("STAGE", "stage"), 0);
    assert_int_equal(rg_name_distance("stgae", "stage"), 1);
    assert_int_equal(rg_name_distance("sgate", "stage"), 2);
    assert_int_equal(rg_name_distance("stages", "stage"), 1);
    assert_true(rg_name_distance("severity", "stage") > 2);
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_true(rg_name_distance(long_name, "stage") == SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_names_suggested),
        cmocka_unit_test(test_far_names_not_suggested),
        cmocka_unit_test(test_closest_wins),
        cmocka_unit_test(test_name_distance),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
