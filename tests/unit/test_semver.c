/* Unit tests for core/semver.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "semver.h"

static rg_semver ok(const char *text)
{
    rg_semver v;
    const char *why = NULL;
    memset(&v, 0, sizeof v);
    if (rg_semver_parse(text, &v, &why) != 0)
        fail_msg("\"%s\" rejected: %s", text, why ? why : "(no reason)");
    return v;
}

/* TEXT is rejected, with a reason containing REASON (when not NULL). */
static void bad(const char *text, const char *reason)
{
    rg_semver v;
    const char *why = NULL;
    if (rg_semver_parse(text, &v, &why) != -1)
        fail_msg("\"%s\" accepted", text ? text : "(null)");
    assert_non_null(why);
    if (reason && !strstr(why, reason))
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", text ? text : "(null)", why, reason);
}

static void check_part(const char *p, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    if (n)
        assert_memory_equal(p, want, n);
}

static int cmp(const char *a, const char *b)
{
    rg_semver va = ok(a), vb = ok(b);
    return rg_semver_compare(&va, &vb);
}

static rg_bump bump(const char *from, const char *to)
{
    rg_semver f = ok(from), t = ok(to);
    return rg_semver_bump(&f, &t);
}

static void test_parse_core(void **state)
{
    (void)state;
    rg_semver v = ok("1.22.333");
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 22);
    assert_int_equal(v.patch, 333);
    assert_int_equal(v.prerelease_len, 0);
    assert_int_equal(v.build_len, 0);
}

static void test_parse_zeros(void **state)
{
    (void)state;
    rg_semver v = ok("0.0.0");
    assert_int_equal(v.major, 0);
    assert_int_equal(v.minor, 0);
    assert_int_equal(v.patch, 0);
    v = ok("10.20.30");
    assert_int_equal(v.major, 10);
    assert_int_equal(v.minor, 20);
    assert_int_equal(v.patch, 30);
}

static void test_parse_prerelease_points_into_text(void **state)
{
    (void)state;
    const char *text = "1.0.0-alpha.1";
    rg_semver v = ok(text);
    assert_ptr_equal(v.prerelease, text + 6);
    check_part(v.prerelease, v.prerelease_len, "alpha.1");
    assert_int_equal(v.build_len, 0);
}

static void test_parse_build(void **state)
{
    (void)state;
    const char *text = "1.0.0+20130313144700";
    rg_semver v = ok(text);
    assert_int_equal(v.prerelease_len, 0);
    assert_ptr_equal(v.build, text + 6);
    check_part(v.build, v.build_len, "20130313144700");
}

static void test_parse_prerelease_and_build(void **state)
{
    (void)state;
    rg_semver v = ok("1.0.0-beta+exp.sha.5114f85");
    check_part(v.prerelease, v.prerelease_len, "beta");
    check_part(v.build, v.build_len, "exp.sha.5114f85");
    v = ok("1.2.3----RC-SNAPSHOT.12.9.1--.12+788");
    check_part(v.prerelease, v.prerelease_len, "---RC-SNAPSHOT.12.9.1--.12");
    check_part(v.build, v.build_len, "788");
}

/* Valid examples from the semver.org regex test list. */
static void test_parse_official_valid(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta",
        "1.1.2+meta-valid", "1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta",
        "1.0.0-alpha.beta.1", "1.0.0-alpha.1", "1.0.0-alpha0.valid",
        "1.0.0-alpha.0valid", "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
        "1.0.0-rc.1+build.1", "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT",
        "1.2.3-SNAPSHOT-123", "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.2.3----R-S.12.9.1--.12+meta",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
        "1.0.0-0A.is.legal",
    };
    size_t i;
    for (i = 0; i < sizeof valid / sizeof *valid; i++)
        ok(valid[i]);
}

/* Invalid examples from the semver.org regex test list. */
static void test_parse_official_invalid(void **state)
{
    (void)state;
    static const char *const invalid[] = {
        "1", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid",
        "-invalid", "-invalid+invalid", "-invalid.01", "alpha", "alpha.beta",
        "alpha.beta.1", "alpha.1", "alpha+beta", "alpha_beta", "alpha.", "alpha..",
        "beta", "1.0.0-alpha_beta", "-alpha.", "1.0.0-alpha..", "1.0.0-alpha..1",
        "1.0.0-alpha...1", "1.0.0-alpha....1", "1.0.0-alpha.....1", "1.0.0-alpha......1",
        "1.0.0-alpha.......1", "01.1.1", "1.01.1", "1.1.01", "1.2.3.DEV",
        "1.2-SNAPSHOT", "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788", "1.2-RC-SNAPSHOT",
        "-1.0.3-gamma+b7718", "+justmeta", "9.8.7+meta+meta", "9.8.7-whatever+meta+meta",
        "99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1--------------------------------..12",
    };
    size_t i;
    for (i = 0; i < sizeof invalid / sizeof *invalid; i++)
        bad(invalid[i], NULL);
}

static void test_build_allows_leading_zeros(void **state)
{
    (void)state;
    rg_semver v = ok("1.0.0+001.0002");
    check_part(v.build, v.build_len, "001.0002");
    v = ok("1.0.0-alpha+01");
    check_part(v.build, v.build_len, "01");
}

static void test_prerelease_alphanumeric_may_start_with_zero(void **state)
{
    (void)state;
    rg_semver v = ok("1.0.0-0abc.00a.0");
    check_part(v.prerelease, v.prerelease_len, "0abc.00a.0");
}

static void test_largest_number(void **state)
{
    (void)state;
    rg_semver v = ok("9223372036854775807.9223372036854775807.9223372036854775807");
    assert_int_equal(v.major, INT64_MAX);
    assert_int_equal(v.minor, INT64_MAX);
    assert_int_equal(v.patch, INT64_MAX);
}

static void test_reject_too_large(void **state)
{
    (void)state;
    bad("9223372036854775808.0.0", "number too large");
    bad("0.9223372036854775808.0", "number too large");
    bad("0.0.9223372036854775808", "number too large");
    bad("18446744073709551616.0.0", "number too large");
    bad("99999999999999999999999.0.0", "number too large");
}

static void test_reject_leading_v(void **state)
{
    (void)state;
    const char *why = NULL;
    rg_semver v;
    assert_int_equal(rg_semver_parse("v1.2.3", &v, &why), -1);
    assert_string_equal(why, "leading 'v' is not SemVer");
    bad("V1.2.3", "leading 'v' is not SemVer");
    bad("v1.2.3-rc.1", "leading 'v'");
}

static void test_reject_whitespace(void **state)
{
    (void)state;
    bad(" 1.2.3", "whitespace");
    bad("1.2.3 ", "whitespace");
    bad("1.2.3\n", "whitespace");
    bad("1. 2.3", "whitespace");
    bad("1.2.3-rc 1", "whitespace");
    bad("\t1.2.3", "whitespace");
}

static void test_reject_empty(void **state)
{
    (void)state;
    bad("", "empty");
    bad(NULL, "empty");
}

static void test_reject_leading_zero(void **state)
{
    (void)state;
    bad("01.2.3", "leading zero in major version");
    bad("1.02.3", "leading zero in minor version");
    bad("1.2.03", "leading zero in patch version");
    bad("00.0.0", "leading zero in major version");
}

static void test_reject_prerelease_leading_zero(void **state)
{
    (void)state;
    bad("1.0.0-01", "leading zero");
    bad("1.0.0-alpha.01", "leading zero");
    bad("1.0.0-00", "leading zero");
}

static void test_reject_missing_parts(void **state)
{
    (void)state;
    bad("1", "missing minor version");
    bad("1.2", "missing patch version");
    bad("1.2.", "missing patch version");
    bad("1..3", "missing minor version");
    bad(".1.2", "missing major version");
    bad("x.1.2", "major version is not a number");
    bad("1.x.2", "minor version is not a number");
    bad("1.2.x", "patch version is not a number");
}

static void test_reject_empty_identifiers(void **state)
{
    (void)state;
    bad("1.0.0-", "empty pre-release identifier");
    bad("1.0.0-a..b", "empty pre-release identifier");
    bad("1.0.0-a.", "empty pre-release identifier");
    bad("1.0.0-.a", "empty pre-release identifier");
    bad("1.0.0-+b", "empty pre-release identifier");
    bad("1.0.0+", "empty build identifier");
    bad("1.0.0+a..b", "empty build identifier");
    bad("1.0.0+a.", "empty build identifier");
    bad("1.0.0-a+", "empty build identifier");
}

static void test_reject_bad_characters(void **state)
{
    (void)state;
    bad("1.0.0-alpha_beta", "invalid character in pre-release");
    bad("1.0.0-\xc3\xa9", "invalid character in pre-release");
    bad("1.0.0+build!", "invalid character in build metadata");
    bad("1.0.0+a+b", "invalid character in build metadata");
    bad("1.2.3.4", "invalid character after patch version");
    bad("1.2.3a", "invalid character after patch version");
    bad("1.2-3.4", "expected '.' after minor version");
    bad("1,2.3", "expected '.' after major version");
}

static void test_reject_leaves_output_and_allows_null_why(void **state)
{
    (void)state;
    rg_semver v;
    memset(&v, 0, sizeof v);
    v.major = 42;
    assert_int_equal(rg_semver_parse("1.2", &v, NULL), -1);
    assert_int_equal(v.major, 42);
    assert_int_equal(rg_semver_parse("1.2.3", &v, NULL), 0);
    assert_int_equal(v.major, 1);
}

static void test_compare_core_fields(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0", "2.0.0") < 0);
    assert_true(cmp("2.0.0", "2.1.0") < 0);
    assert_true(cmp("2.1.0", "2.1.1") < 0);
    assert_true(cmp("2.1.1", "2.1.0") > 0);
    assert_true(cmp("1.10.0", "1.9.0") > 0); /* numerically, not as text */
    assert_true(cmp("1.2.10", "1.2.9") > 0);
    assert_int_equal(cmp("1.2.3", "1.2.3"), 0);
}

static void test_compare_spec_chain(void **state)
{
    (void)state;
    /* The example in SemVer 2.0.0 section 11.4. */
    static const char *const chain[] = {
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
    };
    size_t n = sizeof chain / sizeof *chain, i, j;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            int c = cmp(chain[i], chain[j]);
            if ((i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0))
                fail_msg("compare(%s, %s) = %d", chain[i], chain[j], c);
        }
    }
}

static void test_compare_release_above_prerelease(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0", "1.0.0-rc.1") > 0);
    assert_true(cmp("1.0.0-alpha", "1.0.0") < 0);
    assert_true(cmp("1.0.1-alpha", "1.0.0") > 0); /* core fields first */
}

static void test_compare_numeric_identifiers_numerically(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0-alpha.2", "1.0.0-alpha.10") < 0);
    assert_true(cmp("1.0.0-2", "1.0.0-10") < 0);
    assert_true(cmp("1.0.0-10", "1.0.0-10") == 0);
    /* Beyond 64 bits still compares as numbers. */
    assert_true(cmp("1.0.0-99999999999999999999999", "1.0.0-99999999999999999999998") > 0);
    assert_true(cmp("1.0.0-9", "1.0.0-18446744073709551616") < 0);
}

static void test_compare_numeric_below_alphanumeric(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0-999", "1.0.0-a") < 0);
    assert_true(cmp("1.0.0-999", "1.0.0-0a") < 0);
    assert_true(cmp("1.0.0-alpha", "1.0.0-1") > 0);
    assert_true(cmp("1.0.0-1", "1.0.0--") < 0);
}

static void test_compare_alphanumeric_in_ascii_order(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0-Beta", "1.0.0-alpha") < 0); /* 'B' < 'a' in ASCII */
    assert_true(cmp("1.0.0-alpha", "1.0.0-alphb") < 0);
    assert_true(cmp("1.0.0-alpha", "1.0.0-alpha-1") < 0); /* prefix is lower */
    assert_true(cmp("1.0.0-rc-2", "1.0.0-rc2") < 0);      /* '-' < '2' */
}

static void test_compare_shorter_list_lower(void **state)
{
    (void)state;
    assert_true(cmp("1.0.0-alpha", "1.0.0-alpha.0") < 0);
    assert_true(cmp("1.0.0-a.b.c", "1.0.0-a.b") > 0);
    assert_true(cmp("1.0.0-1.2", "1.0.0-1.2.0") < 0);
}

static void test_compare_ignores_build(void **state)
{
    (void)state;
    assert_int_equal(cmp("1.0.0+a", "1.0.0+b"), 0);
    assert_int_equal(cmp("1.0.0-rc.1+x", "1.0.0-rc.1"), 0);
    assert_true(cmp("1.0.0+zzz", "1.0.1+aaa") < 0);
}

static void test_bump_major(void **state)
{
    (void)state;
    assert_int_equal(bump("1.2.3", "2.0.0"), RG_BUMP_MAJOR);
    assert_int_equal(bump("1.2.3", "2.0.5"), RG_BUMP_MAJOR);
    assert_int_equal(bump("1.2.3", "2.5.0"), RG_BUMP_MAJOR);
    assert_int_equal(bump("0.9.9", "1.0.0-rc.1"), RG_BUMP_MAJOR);
}

static void test_bump_minor(void **state)
{
    (void)state;
    assert_int_equal(bump("1.2.3", "1.3.0"), RG_BUMP_MINOR);
    assert_int_equal(bump("1.2.3", "1.3.7"), RG_BUMP_MINOR);
    assert_int_equal(bump("1.2.3-rc.1", "1.3.0-alpha"), RG_BUMP_MINOR);
}

static void test_bump_patch(void **state)
{
    (void)state;
    assert_int_equal(bump("1.2.3", "1.2.4"), RG_BUMP_PATCH);
    assert_int_equal(bump("1.2.3", "1.2.4-rc.1"), RG_BUMP_PATCH);
    assert_int_equal(bump("1.2.3", "1.2.10"), RG_BUMP_PATCH);
}

static void test_bump_prerelease(void **state)
{
    (void)state;
    assert_int_equal(bump("1.2.3-rc.1", "1.2.3-rc.2"), RG_BUMP_PRERELEASE);
    assert_int_equal(bump("1.2.3-rc.1", "1.2.3"), RG_BUMP_PRERELEASE);
    assert_int_equal(bump("1.2.3-alpha", "1.2.3-beta"), RG_BUMP_PRERELEASE);
}

static void test_bump_none(void **state)
{
    (void)state;
    assert_int_equal(bump("1.2.3", "1.2.3"), RG_BUMP_NONE);
    assert_int_equal(bump("1.2.3+a", "1.2.3+b"), RG_BUMP_NONE);
    assert_int_equal(bump("1.2.3-rc.1", "1.2.3-rc.1+build"), RG_BUMP_NONE);
}

static void test_bump_downgrade(void **state)
{
    (void)state;
    assert_int_equal(bump("2.0.0", "1.9.9"), RG_BUMP_DOWNGRADE);
    assert_int_equal(bump("1.3.0", "1.2.9"), RG_BUMP_DOWNGRADE);
    assert_int_equal(bump("1.2.3", "1.2.2"), RG_BUMP_DOWNGRADE);
    assert_int_equal(bump("1.2.3", "1.2.3-rc.1"), RG_BUMP_DOWNGRADE);
    assert_int_equal(bump("1.2.3-beta", "1.2.3-alpha"), RG_BUMP_DOWNGRADE);
}

static void test_bump_names(void **state)
{
    (void)state;
    assert_string_equal(rg_bump_name(RG_BUMP_NONE), "none");
    assert_string_equal(rg_bump_name(RG_BUMP_PATCH), "patch");
    assert_string_equal(rg_bump_name(RG_BUMP_MINOR), "minor");
    assert_string_equal(rg_bump_name(RG_BUMP_MAJOR), "major");
    assert_string_equal(rg_bump_name(RG_BUMP_PRERELEASE), "prerelease");
    assert_string_equal(rg_bump_name(RG_BUMP_DOWNGRADE), "downgrade");
    assert_string_equal(rg_bump_name((rg_bump)99), "unknown");
}

static int sat(const char *version, const char *range)
{
    rg_semver v = ok(version);
    const char *why = NULL;
    int r = rg_semver_satisfies(&v, range, &why);
    if (r < 0)
        fail_msg("range \"%s\" refused: %s", range, why ? why : "(no reason)");
    return r;
}

static void test_satisfies_comparators(void **state)
{
    (void)state;
    assert_int_equal(sat("2.4.1", "2.4.1"), 1);
    assert_int_equal(sat("2.4.2", "2.4.1"), 0);
    assert_int_equal(sat("2.4.1", "=2.4.1"), 1);
    assert_int_equal(sat("2.4.1", ">=2.4.0 <2.5.0"), 1);
    assert_int_equal(sat("2.5.0", ">=2.4.0 <2.5.0"), 0);
    assert_int_equal(sat("2.3.9", ">= 2.4.0  < 2.5.0"), 0);
    assert_int_equal(sat("2.4.0", ">2.4.0"), 0);
    assert_int_equal(sat("2.4.0", "<=2.4.0"), 1);
    /* precedence: a pre-release is below its release */
    assert_int_equal(sat("2.5.0-rc.1", "<2.5.0"), 1);
}

static void test_satisfies_alternatives(void **state)
{
    (void)state;
    assert_int_equal(sat("3.0.0", ">=2.4.0 <2.5.0 || 3.0.0"), 1);
    assert_int_equal(sat("2.4.3", ">=2.4.0 <2.5.0 || 3.0.0"), 1);
    assert_int_equal(sat("2.6.0", ">=2.4.0 <2.5.0 || 3.0.0"), 0);
}

static void test_satisfies_refuses_what_is_not_a_range(void **state)
{
    rg_semver v = ok("1.0.0");
    const char *why = NULL;
    (void)state;
    /* refused as a whole, even where an alternative before it already matched */
    assert_int_equal(rg_semver_satisfies(&v, "1.0.0 || >=x", &why), -1);
    assert_non_null(why);
    assert_int_equal(rg_semver_satisfies(&v, "", &why), -1);
    assert_int_equal(rg_semver_satisfies(&v, "1.0.0 ||", &why), -1);
    assert_int_equal(rg_semver_satisfies(&v, "=>1.0.0", &why), -1);
    assert_int_equal(rg_semver_satisfies(&v, "^1.0.0", &why), -1);
    assert_int_equal(rg_semver_satisfies(&v, "1.0", &why), -1);
    /* a comparator too long to hold is refused, never cut: "=1.0.0-rc.aaa...a" (300 a)
     * was compared as its first 255 bytes (round 28, F05) */
    {
        char range[400], version[320];
        rg_semver w;
        const char *no = NULL;
        snprintf(range, sizeof range, "=1.0.0-rc.%0300d", 0);
        memset(range + 10, 'a', 300);
        snprintf(version, sizeof version, "1.0.0-rc.%.245s", range + 10);
        assert_int_equal(rg_semver_parse(version, &w, &no), 0);
        assert_int_equal(rg_semver_satisfies(&w, range, &why), -1);
        assert_string_equal(why, "a comparator longer than 254 bytes");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_core),
        cmocka_unit_test(test_parse_zeros),
        cmocka_unit_test(test_parse_prerelease_points_into_text),
        cmocka_unit_test(test_parse_build),
        cmocka_unit_test(test_parse_prerelease_and_build),
        cmocka_unit_test(test_parse_official_valid),
        cmocka_unit_test(test_parse_official_invalid),
        cmocka_unit_test(test_build_allows_leading_zeros),
        cmocka_unit_test(test_prerelease_alphanumeric_may_start_with_zero),
        cmocka_unit_test(test_largest_number),
        cmocka_unit_test(test_reject_too_large),
        cmocka_unit_test(test_reject_leading_v),
        cmocka_unit_test(test_reject_whitespace),
        cmocka_unit_test(test_reject_empty),
        cmocka_unit_test(test_reject_leading_zero),
        cmocka_unit_test(test_reject_prerelease_leading_zero),
        cmocka_unit_test(test_reject_missing_parts),
        cmocka_unit_test(test_reject_empty_identifiers),
        cmocka_unit_test(test_reject_bad_characters),
        cmocka_unit_test(test_reject_leaves_output_and_allows_null_why),
        cmocka_unit_test(test_compare_core_fields),
        cmocka_unit_test(test_compare_spec_chain),
        cmocka_unit_test(test_compare_release_above_prerelease),
        cmocka_unit_test(test_compare_numeric_identifiers_numerically),
        cmocka_unit_test(test_compare_numeric_below_alphanumeric),
        cmocka_unit_test(test_compare_alphanumeric_in_ascii_order),
        cmocka_unit_test(test_compare_shorter_list_lower),
        cmocka_unit_test(test_compare_ignores_build),
        cmocka_unit_test(test_bump_major),
        cmocka_unit_test(test_bump_minor),
        cmocka_unit_test(test_bump_patch),
        cmocka_unit_test(test_bump_prerelease),
        cmocka_unit_test(test_bump_none),
        cmocka_unit_test(test_bump_downgrade),
        cmocka_unit_test(test_bump_names),
        cmocka_unit_test(test_satisfies_comparators),
        cmocka_unit_test(test_satisfies_alternatives),
        cmocka_unit_test(test_satisfies_refuses_what_is_not_a_range),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
