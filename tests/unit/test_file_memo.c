/* Unit tests for cli/file_memo.c: a name is fresh only within its age of when it was
 * last noted, only that very name is, and the memo keeps within its limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "file_memo.h"

static void test_fresh_within_its_age(void **state)
{
    rg_file_memo *m = rg_file_memo_new(8);
    (void)state;
    assert_non_null(m);
    assert_false(rg_file_memo_fresh(m, "ab/ci_status", 1000, 60));   /* never noted */
    rg_file_memo_note(m, "ab/ci_status", 1000);
    assert_true(rg_file_memo_fresh(m, "ab/ci_status", 1000, 60));
    assert_true(rg_file_memo_fresh(m, "ab/ci_status", 1060, 60));
    assert_false(rg_file_memo_fresh(m, "ab/ci_status", 1061, 60));   /* looked for again */
    assert_false(rg_file_memo_fresh(m, "ab/ci_status", 999, 60));    /* the clock went back */
    rg_file_memo_note(m, "ab/ci_status", 1061);                      /* found again */
    assert_true(rg_file_memo_fresh(m, "ab/ci_status", 1100, 60));
    rg_file_memo_free(m);
}

static void test_only_that_name(void **state)
{
    rg_file_memo *m = rg_file_memo_new(8);
    (void)state;
    rg_file_memo_note(m, "ab/ci_status", 1000);
    assert_false(rg_file_memo_fresh(m, "ab/ci_statu", 1000, 60));
    assert_false(rg_file_memo_fresh(m, "ab/ci_status2", 1000, 60));
    assert_false(rg_file_memo_fresh(m, "cd/ci_status", 1000, 60));
    assert_false(rg_file_memo_fresh(m, "", 1000, 60));
    rg_file_memo_clear(m);   /* the files were removed */
    assert_false(rg_file_memo_fresh(m, "ab/ci_status", 1000, 60));
    rg_file_memo_free(m);
}

static void test_limit_forgets_all(void **state)
{
    rg_file_memo *m = rg_file_memo_new(100);
    char name[32];
    (void)state;
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "%d/f", i);
        rg_file_memo_note(m, name, 1000);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "%d/f", i);
        assert_true(rg_file_memo_fresh(m, name, 1000, 60));
    }
    rg_file_memo_note(m, "0/f", 1001);   /* noted again: not a new name */
    assert_true(rg_file_memo_fresh(m, "99/f", 1000, 60));
    rg_file_memo_note(m, "100/f", 1000);   /* one past the limit: the rest forgotten */
    assert_true(rg_file_memo_fresh(m, "100/f", 1000, 60));
    assert_false(rg_file_memo_fresh(m, "0/f", 1001, 60));
    assert_false(rg_file_memo_fresh(m, "99/f", 1000, 60));
    rg_file_memo_free(m);
}

static void test_no_memo(void **state)
{
    (void)state;
    rg_file_memo_note(NULL, "ab/ci_status", 1000);
    assert_false(rg_file_memo_fresh(NULL, "ab/ci_status", 1000, 60));
    rg_file_memo_clear(NULL);
    rg_file_memo_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_within_its_age),
        cmocka_unit_test(test_only_that_name),
        cmocka_unit_test(test_limit_forgets_all),
        cmocka_unit_test(test_no_memo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
