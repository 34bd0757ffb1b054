/* Unit tests for core/json_writer.c and the run caches batch evaluation uses
 * (core/path_cache.c, shared trees in core/json.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "json_writer.h"
#include "path_cache.h"
#include "textpos.h"

/* S written as a JSON string literal. */
static char *literal(const char *s)
{
    rg_strbuf b = {0};
    rg_json_put_string(&b, s);
    return rg_strbuf_finish(&b);
}

static void expect_literal(const char *s, const char *want)
{
    char *got = literal(s);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_escapes_like_cjson(void **state)
{
    (void)state;
    expect_literal("", "\"\"");
    expect_literal("plain text", "\"plain text\"");
    expect_literal("a\"b\\c", "\"a\\\"b\\\\c\"");
    expect_literal("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
    expect_literal("\x01\x1f", "\"\\u0001\\u001f\"");
    expect_literal("/ stays", "\"/ stays\"");
    expect_literal("\x7f", "\"\x7f\"");
    /* Whatever cJSON makes of the same string, once parsed back, is the same string. */
    {
        const char *s = "mixed \"quotes\", tabs\t, \x02 and caf\xc3\xa9 \xf0\x9f\x9a\x80";
        char *mine = literal(s);
        cJSON *str = cJSON_CreateString(s);
        char *theirs = cJSON_PrintUnformatted(str);
        assert_string_equal(mine, theirs);
        free(mine);
        free(theirs);
        cJSON_Delete(str);
    }
}

/* A CI runner reads "##[cmd]" and "##vso[" anywhere in a line of a job's log, where a
 * decision printed to standard output lands: the marker's first '#' goes out escaped, so
 * the log holds no marker and a JSON reader the same string. */
static void test_ci_markers_escaped(void **state)
{
    (void)state;
    expect_literal("a##[error]b", "\"a\\u0023#[error]b\"");
    expect_literal("##VSO[task.setvariable]", "\"\\u0023#VSO[task.setvariable]\"");
    expect_literal("###[x]", "\"#\\u0023#[x]\"");
    expect_literal("# #[ and ## [ and #1", "\"# #[ and ## [ and #1\"");
    {
        const char *s = "x ##[warning]y ##vso[z";
        char *mine = literal(s);
        cJSON *back = cJSON_Parse(mine);
        assert_non_null(back);
        assert_string_equal(cJSON_GetStringValue(back), s);
        assert_null(strstr(mine, "##["));
        assert_null(strstr(mine, "##vso["));
        cJSON_Delete(back);
        free(mine);
    }
}

static void test_repairs_bad_utf8(void **state)
{
    (void)state;
    /* Well-formed sequences stay; each ill-formed one becomes U+FFFD, as rg_utf8_sanitize does. */
    expect_literal("caf\xc3\xa9", "\"caf\xc3\xa9\"");
    expect_literal("\xe2\x82\xac \xf0\x9f\x9a\x80", "\"\xe2\x82\xac \xf0\x9f\x9a\x80\"");
    expect_literal("a\xff" "b", "\"a\xef\xbf\xbd" "b\"");
    expect_literal("\xc0\xaf", "\"\xef\xbf\xbd\"");                 /* overlong */
    expect_literal("\xed\xa0\x80", "\"\xef\xbf\xbd\"");             /* a surrogate */
    expect_literal("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\"");         /* above U+10FFFF */
    expect_literal("cut \xe2\x82", "\"cut \xef\xbf\xbd\"");         /* cut short at the end */
    expect_literal("\x80\x80 x", "\"\xef\xbf\xbd x\"");             /* stray continuation bytes */
    {
        const char *bad[] = {"\xff\xfe", "a\xc3", "\xe0\x80\x80", "ok\xf5\x80", "\xed\xbf\xbfz"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char *got = literal(bad[i]), *want = rg_utf8_sanitize(bad[i], strlen(bad[i]));
            size_t n = strlen(got);
            assert_int_equal(rg_utf8_check(got, n, NULL), n);
            /* Same text as the sanitizer's, between the quotes. */
            assert_int_equal(n, strlen(want) + 2);
            assert_memory_equal(got + 1, want, strlen(want));
            free(got);
            free(want);
        }
    }
}

static char *written(double v)
{
    rg_strbuf b = {0};
    rg_jw w;
    rg_jw_init(&w, &b, 0);
    rg_jw_number(&w, v);
    return rg_strbuf_finish(&b);
}

static void test_numbers(void **state)
{
    struct { double v; const char *want; } cases[] = {
        {0, "0"}, {3, "3"}, {-42, "-42"}, {1.5, "1.5"}, {0.1, "0.1"},
        {1e15, "1e+15"}, {123456789012345.0, "123456789012345"}, {1.0 / 3.0, "0.33333333333333331"},
        {7.6, "7.6"}, {NAN, "null"}, {INFINITY, "null"}, {-INFINITY, "null"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = written(cases[i].v);
        cJSON *n = cJSON_CreateNumber(cases[i].v);
        char *theirs = cJSON_PrintUnformatted(n);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%.17g: %s, expected %s", cases[i].v, got, cases[i].want);
        /* The same text cJSON prints. */
        assert_string_equal(got, theirs);
        free(got);
        free(theirs);
        cJSON_Delete(n);
    }
    {
        /* Negative zero: "0" (cJSON says "-0"; the same number). */
        char *got = written(-0.0);
        assert_string_equal(got, "0");
        free(got);
    }
}

static void test_millis(void **state)
{
    struct { double ms; const char *want; } cases[] = {
        {0, "0"}, {0.033, "0.033"}, {12.5, "12.5"}, {1.0, "1"}, {0.0004, "0"}, {0.0006, "0.001"},
        {1234.5678, "1234.568"}, {2.1, "2.1"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rg_strbuf b = {0};
        rg_jw w;
        char *got;
        rg_jw_init(&w, &b, 0);
        rg_jw_millis(&w, cases[i].ms);
        got = rg_strbuf_finish(&b);
        assert_string_equal(got, cases[i].want);
        /* Read back, it is the duration rounded to the microsecond. */
        assert_true(fabs(strtod(got, NULL) - round(cases[i].ms * 1000) / 1000) < 1e-9);
        free(got);
    }
}

static void test_compact_and_pretty(void **state)
{
    const char *doc = "{\"a\":[1,2.5,\"x\",true,false,null,{},[]],\"b\":{\"c\":{\"d\":\"e\"}},\"f\":\"\"}";
    cJSON *tree = cJSON_Parse(doc);
    rg_strbuf b = {0};
    rg_jw w;
    char *compact, *pretty;
    (void)state;
    assert_non_null(tree);
    rg_jw_init(&w, &b, 0);
    rg_jw_item(&w, tree);
    compact = rg_strbuf_finish(&b);
    assert_string_equal(compact, doc);
    pretty = rg_json_print_pretty(tree);
    assert_string_equal(pretty,
                        "{\n  \"a\": [\n    1,\n    2.5,\n    \"x\",\n    true,\n    false,\n    null,\n"
                        "    {},\n    []\n  ],\n  \"b\": {\n    \"c\": {\n      \"d\": \"e\"\n    }\n  },\n"
                        "  \"f\": \"\"\n}\n");
    free(compact);
    free(pretty);
    cJSON_Delete(tree);
}

static void test_members_by_hand(void **state)
{
    rg_strbuf b = {0};
    rg_jw w;
    char *text;
    (void)state;
    rg_jw_init(&w, &b, 0);
    rg_jw_object(&w);
    rg_jw_key_string(&w, "s", "v");
    rg_jw_key_string(&w, "n", NULL);
    rg_jw_key_int(&w, "i", -7);
    rg_jw_key(&w, "raw");
    rg_jw_raw(&w, "{\"x\":1}", 7);
    rg_jw_key(&w, "list");
    rg_jw_array(&w);
    rg_jw_bool(&w, 1);
    rg_jw_null(&w);
    rg_jw_end(&w, 0);
    rg_jw_end(&w, 1);
    text = rg_strbuf_finish(&b);
    assert_string_equal(text, "{\"s\":\"v\",\"n\":null,\"i\":-7,\"raw\":{\"x\":1},\"list\":[true,null]}");
    free(text);
}

static void test_too_deep_fails_the_buffer(void **state)
{
    rg_strbuf b = {0};
    rg_jw w;
    (void)state;
    rg_jw_init(&w, &b, 0);
    for (int i = 0; i < RG_JW_MAX_DEPTH + 5; i++)
        rg_jw_array(&w);
    assert_true(b.failed);
    assert_null(rg_strbuf_finish(&b));
}

/* ---- Shared trees ---------------------------------------------------------------------- */

static void test_shared_tree(void **state)
{
    cJSON *tree = cJSON_Parse("{\"counts\":{\"high\":1},\"worst\":[\"R1\"]}");
    rg_shared_json *s = rg_shared_json_new(tree);
    cJSON *v1, *v2;
    size_t len;
    const char *text;
    (void)state;
    assert_non_null(s);
    v1 = rg_shared_json_view(s);
    v2 = rg_shared_json_view(rg_shared_json_ref(s));
    /* Views see the members; deleting one leaves the tree. */
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v1, "counts"), "high")->valueint, 1);
    cJSON_Delete(v1);
    rg_shared_json_unref(s);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(v2, "worst"));
    text = rg_shared_json_text(s, &len);
    assert_string_equal(text, "{\"counts\":{\"high\":1},\"worst\":[\"R1\"]}");
    assert_int_equal(len, strlen(text));
    assert_ptr_equal(rg_shared_json_text(s, &len), text);   /* written once */
    cJSON_Delete(v2);
    rg_shared_json_unref(s);   /* the last reference frees it (LeakSanitizer checks) */
    assert_null(rg_shared_json_new(NULL));
}

/* ---- Path cache ---------------------------------------------------------------------- */

static void test_path_cache(void **state)
{
    char dir[] = "/tmp/rg-path-cache-XXXXXX", link[PATH_MAX], real[PATH_MAX], buf[PATH_MAX];
    rg_path_cache *c = rg_path_cache_new();
    const char *a, *b;
    int errnum = -1;
    (void)state;
    assert_non_null(c);
    assert_non_null(mkdtemp(dir));
    assert_non_null(realpath(dir, real));
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(symlink(dir, link), 0);
    /* A path with no link on it is remembered for the run: the cache's own string. */
    a = rg_path_cache_realpath(c, real, buf, &errnum);
    assert_non_null(a);
    assert_int_equal(errnum, 0);
    assert_string_equal(a, real);
    assert_ptr_not_equal(a, buf);
    b = rg_path_cache_realpath(c, real, buf, &errnum);
    assert_ptr_equal(a, b);
    /* ... until forgotten (a link appeared on it): then resolved each time, into BUF. */
    rg_path_cache_forget(c, real);
    b = rg_path_cache_realpath(c, real, buf, &errnum);
    assert_ptr_equal(b, buf);
    assert_string_equal(b, real);
    assert_ptr_equal(rg_path_cache_realpath(c, real, buf, &errnum), buf);
    /* One reached through a link is resolved each time: where the link leads now. */
    a = rg_path_cache_realpath(c, link, buf, &errnum);
    assert_ptr_equal(a, buf);
    assert_string_equal(a, real);
    assert_int_equal(unlink(link), 0);
    assert_null(rg_path_cache_realpath(c, link, buf, &errnum));
    assert_int_equal(errnum, ENOENT);
    /* Failures are remembered with their errno. */
    snprintf(link, sizeof link, "%s/missing", dir);
    assert_null(rg_path_cache_realpath(c, link, buf, &errnum));
    assert_int_equal(errnum, ENOENT);
    assert_null(rg_path_cache_realpath(c, link, buf, &errnum));
    assert_int_equal(errnum, ENOENT);
    /* Without a cache: plain realpath into BUF. */
    assert_ptr_equal(rg_path_cache_realpath(NULL, dir, buf, &errnum), buf);
    assert_string_equal(buf, real);
    /* More paths than it keeps: answers stay right past the table's size. */
    for (int i = 0; i < 2000; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/./%d/..", dir, i);
        a = rg_path_cache_realpath(c, p, buf, &errnum);
        assert_null(a);   /* the numbered folder does not exist */
        assert_int_equal(errnum, ENOENT);
    }
    assert_int_equal(rmdir(dir), 0);
    rg_path_cache_free(c);
    rg_path_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_like_cjson),
        cmocka_unit_test(test_repairs_bad_utf8),
        cmocka_unit_test(test_ci_markers_escaped),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_millis),
        cmocka_unit_test(test_compact_and_pretty),
        cmocka_unit_test(test_members_by_hand),
        cmocka_unit_test(test_too_deep_fails_the_buffer),
        cmocka_unit_test(test_shared_tree),
        cmocka_unit_test(test_path_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
