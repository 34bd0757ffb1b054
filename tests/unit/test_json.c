/* Unit tests for core/json.c: strict parsing with positions, rg_json_string and
 * the two-space pretty printer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_member.h"
#include "strbuf.h"
#include "rgtest.h"

/* TEXT with control and non-ASCII bytes escaped, for failure messages (static buffer). */
static const char *esc(const char *text, size_t len)
{
    static char buf[512];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof buf; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            buf[n++] = '\\';
            buf[n++] = 'n';
        } else if (c < 0x20 || c >= 0x7f) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* Parse TEXT (strlen bytes) as "doc.json" with depth 64 and kind context. */
static cJSON *parse(const char *text, rg_error *err)
{
    return rg_json_parse(text, strlen(text), "doc.json", 64, RG_ERROR_CONTEXT, err);
}

/* TEXT is refused at LINE:COLUMN with a message containing WHAT. */
static void refused_at(const char *text, size_t len, int line, int column, const char *what)
{
    rg_error err = {0};
    cJSON *root = rg_json_parse(text, len, "doc.json", 64, RG_ERROR_CONTEXT, &err);
    if (root) {
        cJSON_Delete(root);
        fail_msg("accepted: %s", esc(text, len));
    }
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(err.file, "doc.json");
    if (err.line != line || err.column != column)
        fail_msg("%s: reported at %d:%d, expected %d:%d (%s)", esc(text, len), err.line, err.column,
                 line, column, err.message);
    assert_contains(err.message, what);
    rg_error_clear(&err);
}

static void refused(const char *text, int line, int column, const char *what)
{
    refused_at(text, strlen(text), line, column, what);
}

/* ---- rg_json_parse: valid documents ----------------------------------------- */

static void test_parse_object_members(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"name\": \"payments\", \"n\": 42, \"f\": 1.5, \"ok\": true,\n"
                        " \"no\": false, \"nothing\": null, \"list\": [1, \"two\", [3]]}", &err);
    const cJSON *list;
    (void)state;
    assert_non_null(root);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    assert_true(cJSON_IsObject(root));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "name")->valuestring, "payments");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "n")->valueint, 42);
    assert_true(cJSON_GetObjectItemCaseSensitive(root, "f")->valuedouble == 1.5);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "no")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "nothing")));
    list = cJSON_GetObjectItemCaseSensitive(root, "list");
    assert_int_equal(cJSON_GetArraySize(list), 3);
    assert_string_equal(cJSON_GetArrayItem(list, 1)->valuestring, "two");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(list, 2), 0)->valueint, 3);
    cJSON_Delete(root);
}

static void test_parse_scalars_at_top_level(void **state)
{
    static const char *const docs[] = {"42", "-0.5e2", "\"text\"", "true", "false", "null", "[]", "{}"};
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        rg_error err = {0};
        cJSON *root = parse(docs[i], &err);
        if (!root)
            fail_msg("%s refused: %s", docs[i], err.message);
        cJSON_Delete(root);
    }
}

static void test_parse_surrounding_whitespace(void **state)
{
    rg_error err = {0};
    cJSON *root = parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n\n  \t", &err);
    (void)state;
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "a")), 2);
    cJSON_Delete(root);
}

static void test_parse_unicode(void **state)
{
    rg_error err = {0};
    /* Raw UTF-8, a \u escape, and a surrogate pair all decode to UTF-8. */
    cJSON *root = parse("[\"caf\xc3\xa9\", \"caf\\u00e9\", \"\\ud83d\\ude00\", \"\xf0\x9f\x98\x80\"]", &err);
    (void)state;
    assert_non_null(root);
    assert_string_equal(cJSON_GetArrayItem(root, 0)->valuestring, "caf\xc3\xa9");
    assert_string_equal(cJSON_GetArrayItem(root, 1)->valuestring, "caf\xc3\xa9");
    assert_string_equal(cJSON_GetArrayItem(root, 2)->valuestring, "\xf0\x9f\x98\x80");
    assert_string_equal(cJSON_GetArrayItem(root, 3)->valuestring, "\xf0\x9f\x98\x80");
    cJSON_Delete(root);
}

static void test_parse_uses_len_not_nul(void **state)
{
    /* Only LEN bytes count: "[1]" of "[1]xyz". */
    char text[] = "[1]xyz";
    rg_error err = {0};
    cJSON *root;
    (void)state;
    text[3] = '\0';
    root = rg_json_parse(text, 3, "doc.json", 64, RG_ERROR_CONTEXT, &err);
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(root), 1);
    cJSON_Delete(root);
}

/* ---- rg_json_parse: syntax errors ------------------------------------------------ */

static void test_syntax_missing_colon_multiline(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\n  \"a\": 1,\n  \"b\" 2\n}", &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(err.file, "doc.json");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 7);
    assert_string_equal(err.message, "doc.json:3:7: JSON syntax error: expected ':' after the key, near '2'");
    rg_error_clear(&err);
}

static void test_syntax_missing_comma(void **state)
{
    (void)state;
    refused("[1 2]", 1, 4, "JSON syntax error: expected ',' or ']', near '2]'");
}

static void test_syntax_bad_literal(void **state)
{
    (void)state;
    refused("{\"a\": tru}", 1, 7, "near 'tru}'");
    refused("nul", 1, 1, "near 'nul'");
}

static void test_syntax_bad_escape(void **state)
{
    (void)state;
    refused("{\"a\":\"\\q\"}", 1, 7, "JSON syntax error");
}

static void test_syntax_trailing_comma_in_array(void **state)
{
    (void)state;
    refused("[1,2,]", 1, 6, "near ']'");
}

/* The error is the '}' after the comma: line 3, column 1.  Not "unexpected end". */
static void test_syntax_trailing_comma_in_object(void **state)
{
    (void)state;
    refused("{\n  \"a\": 1,\n}\n", 3, 1, "JSON syntax error: expected a string key, near '}'");
}

/* A key that is not a double-quoted string is wrong at its first character. */
static void test_syntax_single_quoted_key(void **state)
{
    (void)state;
    refused("{'a': 1}", 1, 2, "near ''a': 1}'");
}

static void test_syntax_kind_is_the_callers(void **state)
{
    rg_error err = {0};
    cJSON *root = rg_json_parse("[", 1, "p.json", 64, RG_ERROR_POLICY, &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.kind, RG_ERROR_POLICY);
    assert_string_equal(err.file, "p.json");
    rg_error_clear(&err);
}

static void test_syntax_message_excerpt_is_printable(void **state)
{
    rg_error err = {0};
    /* A non-ASCII letter and DEL are shown as '?'. */
    cJSON *root = parse("[1, \xc3\xa9\x7f]", &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.column, 5);
    assert_contains(err.message, "near '???]'");
    rg_error_clear(&err);
}

/* JSON whitespace is space, tab, line feed and carriage return (RFC 8259 section 2);
 * other control characters between tokens are not JSON. */
static void test_control_character_between_tokens_refused(void **state)
{
    (void)state;
    refused("[1,\x01 2]", 1, 4, "JSON syntax error");
    refused("{\x0b\"a\": 1}", 1, 2, "JSON syntax error");
}

/* Control characters inside strings must be escaped (RFC 8259 section 7). */
static void test_raw_control_character_in_string_refused(void **state)
{
    (void)state;
    refused("[\"line\nbreak\"]", 1, 7, "JSON syntax error");
    refused("[\"tab\there\"]", 1, 6, "JSON syntax error");
}

static void test_unexpected_end(void **state)
{
    (void)state;
    refused("[1, 2", 1, 6, "unexpected end of JSON text");
    refused("{\"a\":\n", 2, 1, "unexpected end of JSON text");
}

static void test_empty_document(void **state)
{
    rg_error err = {0};
    cJSON *root = rg_json_parse("", 0, "doc.json", 64, RG_ERROR_CONTEXT, &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.message, "doc.json:1:1: empty document, expected a JSON value");
    rg_error_clear(&err);
}

static void test_whitespace_only_document(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("  \n  ", &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 3);
    rg_error_clear(&err);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    refused("{} x", 1, 4, "near 'x'");
    refused("{\"a\":1}{", 1, 8, "near '{'");
    refused("{}\n\n  x", 3, 3, "near 'x'");
    refused("1 2", 1, 3, "near '2'");
}

/* ---- rg_json_parse: encoding ------------------------------------------------------- */

static void test_invalid_utf8_position(void **state)
{
    rg_error err = {0};
    /* The bad lead byte \xc3 (followed by '(') is byte 8 of line 2. */
    const char *text = "{\"a\": \"ok\",\n \"b\": \"\xc3(\"}";
    cJSON *root = parse(text, &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 8);
    assert_string_equal(err.message, "doc.json:2:8: invalid UTF-8 in JSON text");
    rg_error_clear(&err);
}

static void test_invalid_utf8_column_counts_bytes(void **state)
{
    (void)state;
    /* "\xc3\xa9" is two bytes, so the stray \xff is byte 4. */
    refused("\"\xc3\xa9\xff\"", 1, 4, "invalid UTF-8");
}

static void test_invalid_utf8_forms(void **state)
{
    (void)state;
    refused("[\"\xc0\xaf\"]", 1, 3, "invalid UTF-8");         /* overlong '/' */
    refused("[\"\xed\xa0\x80\"]", 1, 3, "invalid UTF-8");     /* surrogate */
    refused("[\"\xf4\x90\x80\x80\"]", 1, 3, "invalid UTF-8"); /* above U+10FFFF */
    refused("[\"\x80\"]", 1, 3, "invalid UTF-8");             /* stray continuation */
    refused("[\"\xe2\x82", 1, 3, "invalid UTF-8");            /* truncated at the end */
}

static void test_nul_byte(void **state)
{
    static const char text[] = "{\"a\":\n \"x\0y\"}";
    (void)state;
    refused_at(text, sizeof text - 1, 2, 4, "NUL byte");
}

/* An escaped NUL cannot be held in a C string: cJSON would cut "pay\u0000ments" to
 * "pay", so another reader of the file would see a different name.  Refuse it. */
static void test_escaped_nul_refused(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"name\": \"pay\\u0000ments\"}", &err);
    (void)state;
    if (root) {
        const char *name = rg_json_string(root, "name");
        char copy[64];
        snprintf(copy, sizeof copy, "%s", name ? name : "(null)");
        cJSON_Delete(root);
        fail_msg("\\u0000 accepted; the name reads \"%s\"", copy);
    }
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    rg_error_clear(&err);
}

/* ---- rg_json_parse: depth ------------------------------------------------------------ */

static char *nested(int levels, const char *open, const char *close)
{
    size_t n = strlen(open) * (size_t)levels + strlen(close) * (size_t)levels + 1;
    char *s = malloc(n);
    s[0] = '\0';
    for (int i = 0; i < levels; i++) strcat(s, open);
    for (int i = 0; i < levels; i++) strcat(s, close);
    return s;
}

static void test_depth_at_limit(void **state)
{
    rg_error err = {0};
    char *text = nested(5, "[", "]");
    cJSON *root = rg_json_parse(text, strlen(text), "doc.json", 5, RG_ERROR_CONTEXT, &err);
    (void)state;
    assert_non_null(root);
    cJSON_Delete(root);
    root = rg_json_parse("{\"a\":{\"b\":[{\"c\":[]}]}}", 22, "doc.json", 5, RG_ERROR_CONTEXT, &err);
    assert_non_null(root);
    cJSON_Delete(root);
    free(text);
}

static void test_depth_past_limit(void **state)
{
    rg_error err = {0};
    char *text = nested(6, "[", "]");
    cJSON *root = rg_json_parse(text, strlen(text), "doc.json", 5, RG_ERROR_CONTEXT, &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 6); /* the sixth bracket */
    assert_string_equal(err.message, "doc.json:1:6: JSON nested deeper than 5 levels");
    rg_error_clear(&err);
    free(text);
}

static void test_depth_mixed_objects_past_limit(void **state)
{
    (void)state;
    rg_error err = {0};
    const char *text = "{\"a\":\n [{\"b\":\n  [[]]}]}";
    cJSON *root = rg_json_parse(text, strlen(text), "doc.json", 4, RG_ERROR_CONTEXT, &err);
    assert_null(root);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 4);
    assert_contains(err.message, "deeper than 4 levels");
    rg_error_clear(&err);
}

static void test_depth_default_64(void **state)
{
    rg_error err = {0};
    char *ok = nested(64, "[", "]"), *deep = nested(65, "{\"k\":", "}");
    cJSON *root;
    (void)state;
    root = rg_json_parse(ok, strlen(ok), "doc.json", 64, RG_ERROR_CONTEXT, &err);
    assert_non_null(root);
    cJSON_Delete(root);
    /* 64 objects fit; the 65th opening brace sits at 1 + 64 * 5. */
    deep[strlen(deep) - 65] = '\0'; /* drop the closers: the check is before syntax */
    root = rg_json_parse(deep, strlen(deep), "doc.json", 64, RG_ERROR_CONTEXT, &err);
    assert_null(root);
    assert_int_equal(err.column, 64 * 5 + 1);
    assert_contains(err.message, "deeper than 64 levels");
    rg_error_clear(&err);
    free(ok);
    free(deep);
}

static void test_depth_ignores_brackets_in_strings(void **state)
{
    rg_error err = {0};
    const char *text = "[\"[[[[{{{{\", \"\\\"[[[[[\", {\"[[[[\": \"]]]]\"}]";
    cJSON *root = rg_json_parse(text, strlen(text), "doc.json", 2, RG_ERROR_CONTEXT, &err);
    (void)state;
    if (!root)
        fail_msg("refused: %s", err.message);
    assert_int_equal(cJSON_GetArraySize(root), 3);
    cJSON_Delete(root);
}

/* ---- rg_json_parse: duplicate keys ------------------------------------------------- */

static void test_duplicate_key_top_level(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"stage\": \"deploy\", \"x\": 1, \"stage\": \"pre-release\"}", &err);
    (void)state;
    assert_null(root);
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(err.file, "doc.json");
    assert_string_equal(err.message, "doc.json: duplicate key \"stage\" in a JSON object");
    rg_error_clear(&err);
}

static void test_duplicate_key_nested(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"release\": {\"name\": \"a\", \"version\": \"1.0.0\", \"name\": \"b\"}}", &err);
    (void)state;
    assert_null(root);
    assert_string_equal(err.message, "doc.json: duplicate key \"name\" in a JSON object \"release\"");
    rg_error_clear(&err);
}

/* The one lookup every reader uses (common/json_member.h): a key given twice is neither value. */
static void test_member_refuses_duplicates(void **state)
{
    cJSON *o = cJSON_Parse("{\"a\": 1, \"b\": 2, \"a\": 3, \"list\": [{\"x\": 1}, {\"y\": 1, \"y\": 2}]}");
    const cJSON *parent = NULL, *dup;
    int twice = 0;
    (void)state;
    assert_non_null(o);
    assert_null(rg_json_member(o, "a", &twice));
    assert_int_equal(twice, 1);
    twice = 0;
    assert_int_equal(rg_json_member(o, "b", &twice)->valueint, 2);
    assert_int_equal(twice, 0);
    assert_null(rg_json_member(o, "c", &twice));
    assert_null(rg_json_member(o, "B", &twice));   /* exact case */
    assert_int_equal(twice, 0);
    assert_null(rg_json_member(o, "a", NULL));
    assert_null(rg_json_member(cJSON_GetObjectItemCaseSensitive(o, "list"), "x", NULL));   /* not an object */
    dup = rg_json_duplicate(o, &parent);
    assert_non_null(dup);
    assert_string_equal(dup->string, "a");
    assert_ptr_equal(parent, o);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "a");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "a");
    dup = rg_json_duplicate(o, &parent);
    assert_non_null(dup);
    assert_string_equal(dup->string, "y");   /* inside an array element */
    cJSON_Delete(o);
    /* large objects take the sorted path */
    o = cJSON_Parse("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,\"k5\":2}");
    assert_string_equal(rg_json_duplicate(o, NULL)->string, "k5");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":[{}]}");
    assert_null(rg_json_duplicate(o, NULL));
    cJSON_Delete(o);
}

/* Dotted paths walk the same lookup: a key given twice on the way stops it, a prefix of a
 * key is not the key, and a number or a missing step is no object to walk into. */
static void test_json_at_walks_dotted_paths(void **state)
{
    cJSON *o = cJSON_Parse("{\"release\": {\"commit\": \"abc\", \"commitment\": 1, \"n\": 2},"
                           " \"twice\": {\"a\": 1}, \"twice\": {\"a\": 2}, \"x\": 3}");
    (void)state;
    assert_non_null(o);
    assert_string_equal(rg_json_at(o, "release.commit")->valuestring, "abc");
    assert_int_equal(rg_json_at(o, "release.commitment")->valueint, 1);
    assert_null(rg_json_at(o, "release.commi"));
    assert_null(rg_json_at(o, "release.commit.more"));
    assert_null(rg_json_at(o, "twice.a"));
    assert_null(rg_json_at(o, "x.y"));
    assert_null(rg_json_at(o, "missing.commit"));
    assert_null(rg_json_at(o, "release..commit"));
    assert_ptr_equal(rg_json_at(o, ""), o);
    assert_null(rg_json_at(NULL, "release"));
    cJSON_Delete(o);
}

static void test_duplicate_key_in_array_element(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"approvals\": [{\"user\": \"a\"}, {\"user\": \"b\", \"role\": \"x\", \"user\": \"c\"}]}",
                        &err);
    (void)state;
    assert_null(root);
    assert_contains(err.message, "duplicate key \"user\"");
    rg_error_clear(&err);
}

static void test_duplicate_key_spelled_with_escape(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"type\": \"patch\", \"\\u0074ype\": \"major\"}", &err);
    (void)state;
    assert_null(root);
    assert_contains(err.message, "duplicate key \"type\"");
    rg_error_clear(&err);
}

static void test_same_key_in_sibling_objects_allowed(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("[{\"n\": 1}, {\"n\": 2}, {\"a\": {\"n\": 3}, \"b\": {\"n\": 4}, \"N\": 5, \"n\": 6}]", &err);
    (void)state;
    if (!root)
        fail_msg("refused: %s", err.message);
    cJSON_Delete(root);
}

/* rg_json_check finds a key given twice without a tree (its scanner keeps each object's
 * keys): it must say exactly what rg_json_parse says of every document, the same verdict
 * and the same message, keys compared as cJSON reads them (escapes decoded). */
static void test_check_agrees_with_parse(void **state)
{
    static const char *docs[] = {
        "{\"stage\": \"deploy\", \"x\": 1, \"stage\": \"pre-release\"}",
        "{\"release\": {\"name\": \"a\", \"version\": \"1.0.0\", \"name\": \"b\"}}",
        "{\"approvals\": [{\"user\": \"a\"}, {\"user\": \"b\", \"role\": \"x\", \"user\": \"c\"}]}",
        "{\"type\": \"patch\", \"\\u0074ype\": \"major\"}",
        "{\"caf\\u00e9\": 1, \"caf\xc3\xa9\": 2}",
        "{\"\\ud83d\\ude00\": 1, \"\xf0\x9f\x98\x80\": 2}",
        "{\"a\\nb\": 1, \"a\\u000ab\": 2}",
        "{\"a\\/b\": 1, \"a/b\": 2}",
        "{\"\\\"\": 1, \"\\u0022\": 2}",
        "{\"ab\": 1, \"a\": 2, \"abc\": 3, \"\\u0061\\u0062\\u0063d\": 4}",
        "[{\"n\": 1}, {\"n\": 2}, {\"a\": {\"n\": 3}, \"b\": {\"n\": 4}, \"N\": 5, \"n\": 6}]",
        "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,\"k5\":2}",
        "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":[{}]}",
        "{\"o\": {\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k\\u0039\":1,\"k9\":2}}",
        "{\"a\": {\"b\": {\"c\": 1}}, \"b\": {\"a\": {\"c\": 2, \"d\": [1, {\"c\": 3, \"c\\u0000\": 4}]}}}",
        "{\"a\": 1, \"b\": }", "{\"a\": \"x\\u0000y\"}", "", "  ", "[1, 2,]", "{\"a\": 1} x",
        "\xff", "{\"\xc3\": 1}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "{\"a\": 1, \"b\": {\"c\": [true, false, null, -1.5e3, \"s\"]}, \"\": 0}",
    };
    rg_limits limits = rg_limits_default();
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        rg_error a = {0}, b = {0};
        cJSON *root = rg_json_parse(docs[i], strlen(docs[i]), "doc.json", limits.max_json_depth, RG_ERROR_USAGE, &a);
        int rc = rg_json_check(docs[i], strlen(docs[i]), "doc.json", &limits, &b);
        if ((root != NULL) != (rc == 0) || strcmp(a.message, b.message) != 0)
            fail_msg("document %zu: rg_json_parse %s '%s', rg_json_check %s '%s'", i, root ? "took it" : "refused it",
                     a.message, rc == 0 ? "took it" : "refused it", b.message);
        if (rc != 0)
            assert_int_equal(b.kind, RG_ERROR_USAGE);
        cJSON_Delete(root);
        rg_error_clear(&a);
        rg_error_clear(&b);
    }
}

/* A string's plain characters are passed eight at a time: a quote, a backslash or a
 * control character at every offset within and across those words is found where it
 * stands (the string ends there, an escape starts, or the document is refused at that
 * very column); bytes above 0x7F are plain. */
static void test_string_stops_at_every_offset(void **state)
{
    static const char stops[] = {'"', '\\', 0x01, 0x1f, '\n', 0x7f, (char)0xc3};
    rg_limits limits = rg_limits_default();
    (void)state;
    for (size_t len = 0; len <= 40; len++)
        for (size_t at = 0; at < len; at++)
            for (size_t k = 0; k < sizeof stops; k++) {
                char doc[48];
                rg_error err = {0};
                int rc;
                memset(doc, 'a', sizeof doc);
                doc[0] = '"';
                doc[1 + len] = '"';
                doc[1 + at] = stops[k];
                if (stops[k] == (char)0xc3 && at + 1 < len)
                    doc[2 + at] = (char)0xa9;   /* a whole character, plain */
                rc = rg_json_check(doc, len + 2, "doc.json", &limits, &err);
                if (stops[k] == '"') {
                    /* The string ends early: the rest is text after the value. */
                    if (rc == 0 || err.column != (int)at + 3)
                        fail_msg("quote at %zu of %zu: %s at column %d", at, len, rc ? "refused" : "taken", err.column);
                } else if (stops[k] == '\\') {
                    /* "\\a" is an invalid escape there; "\\"" escapes the closing quote, and
                     * the string runs off the end. */
                    int column = at + 1 == len ? (int)len + 3 : (int)at + 2;
                    if (rc == 0 || err.column != column)
                        fail_msg("backslash at %zu of %zu: %s at column %d", at, len, rc ? "refused" : "taken",
                                 err.column);
                } else if ((unsigned char)stops[k] < 0x20) {
                    if (rc == 0 || err.column != (int)at + 2 || !strstr(err.message, "control character"))
                        fail_msg("control 0x%02x at %zu of %zu: %s at column %d", stops[k], at, len,
                                 rc ? "refused" : "taken", err.column);
                } else if (rc != 0 && !(stops[k] == (char)0xc3 && at + 1 == len)) {
                    fail_msg("plain byte 0x%02x at %zu of %zu refused: %s", (unsigned char)stops[k], at, len, err.message);
                }
                rg_error_clear(&err);
            }
}

/* ---- rg_json_check_known: values checked before ----------------------------------- */

/* What a face remembers: the values a check took, copied (tests: a few). */
typedef struct learned {
    char *values[32];
    size_t lens[32];
    size_t count, found;
} learned;

static size_t learned_find(void *ctx, const char *at, size_t left)
{
    learned *l = ctx;
    for (size_t i = 0; i < l->count; i++)
        if (l->lens[i] <= left && memcmp(l->values[i], at, l->lens[i]) == 0) {
            l->found++;
            return l->lens[i];
        }
    return 0;
}

static void learned_checked(void *ctx, const char *at, size_t len)
{
    learned *l = ctx;
    for (size_t i = 0; i < l->count; i++)
        if (l->lens[i] == len && memcmp(l->values[i], at, len) == 0)
            return;
    if (l->count < 32) {
        l->values[l->count] = malloc(len);
        memcpy(l->values[l->count], at, len);
        l->lens[l->count++] = len;
    }
}

static void learned_free(learned *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->values[i]);
}

#define KNOWN_BODY                                                                                                  \
    "{\"context\": {\"release\": {\"name\": \"a\", \"version\": \"1.0.0\"}}, \"evidence\": {\"scan\": {\"json\": "  \
    "{\"runs\": [{\"results\": [{\"level\": \"error\", \"message\": {\"text\": \"x\\\"y \\u00e9\"}}]}], "            \
    "\"version\": \"2.1.0\"}}, \"ci\": {\"json\": [{\"name\": \"build\", \"conclusion\": \"success\"}, "              \
    "{\"name\": \"test\", \"n\": -1.5e3, \"ok\": [true, false, null]}]}}}"

/* A value at the known place that was checked before is not read again, and the answer
 * is the plain check's: the same body is taken; the values are looked up only there (at
 * depth 3, under "json"), not under another key or at another depth. */
static void test_known_values_taken_as_checked(void **state)
{
    rg_limits limits = rg_limits_default();
    learned l = {0};
    rg_json_known known = {3, "json", learned_find, learned_checked, &l};
    rg_error err = {0};
    const char *elsewhere = "{\"evidence\": {\"json\": {\"runs\": [], \"version\": \"2.1.0\"}}, \"x\": {\"y\": "
                            "{\"js\": [1]}}}";
    (void)state;
    assert_int_equal(rg_json_check_known(KNOWN_BODY, strlen(KNOWN_BODY), "body", &limits, &known, &err), 0);
    assert_int_equal(l.count, 2);   /* both "json" values, checked and told */
    assert_int_equal(l.found, 0);
    assert_int_equal(rg_json_check_known(KNOWN_BODY, strlen(KNOWN_BODY), "body", &limits, &known, &err), 0);
    assert_int_equal(l.found, 2);   /* the second time, taken as they were */
    assert_int_equal(l.count, 2);
    l.found = 0;
    assert_int_equal(rg_json_check_known(elsewhere, strlen(elsewhere), "body", &limits, &known, &err), 0);
    assert_int_equal(l.found, 0);   /* depth 2 under "json", depth 3 under "js": not looked up */
    assert_int_equal(l.count, 2);
    /* A value refused is not remembered: the same body is refused again, as first. */
    for (int i = 0; i < 2; i++) {
        const char *bad = "{\"evidence\": {\"scan\": {\"json\": {\"runs\": [{\"a\": 1, \"a\": 2}]}}}}";
        assert_int_equal(rg_json_check_known(bad, strlen(bad), "body", &limits, &known, &err), -1);
        assert_contains(err.message, "duplicate key");
        rg_error_clear(&err);
    }
    assert_int_equal(l.count, 2);
    learned_free(&l);
}

/* The same key twice in an entry, one of them a known value, is still refused. */
static void test_known_value_duplicate_key_refused(void **state)
{
    rg_limits limits = rg_limits_default();
    learned l = {0};
    rg_json_known known = {3, "json", learned_find, learned_checked, &l};
    rg_error err = {0};
    const char *twice = "{\"evidence\": {\"ci\": {\"json\": [{\"name\": \"build\", \"conclusion\": \"success\"}], "
                        "\"json\": [{\"name\": \"build\", \"conclusion\": \"success\"}]}}}";
    (void)state;
    assert_int_equal(rg_json_check_known(twice, strlen(twice), "body", &limits, &known, &err), -1);
    assert_int_equal(l.found, 1);   /* the second value was known: its key still counted */
    assert_contains(err.message, "json");
    assert_contains(err.message, "duplicate key");
    rg_error_clear(&err);
    learned_free(&l);
}

/* Differential: 20,000 bodies made from KNOWN_BODY by one to three random edits (a byte
 * replaced, inserted or removed, from the bytes that matter to JSON) get the same answer,
 * to the message, from rg_json_check and from rg_json_check_known remembering what it
 * took along the way. */
static void test_known_differential(void **state)
{
    static const char bytes[] = "{}[]\",:\\ 0a-.eE\x01\x1f\xff\xc3\xa9tn";
    rg_limits limits = rg_limits_default();
    learned l = {0};
    rg_json_known known = {3, "json", learned_find, learned_checked, &l};
    const char *base = KNOWN_BODY;
    size_t base_len = strlen(base), hits = 0, taken = 0;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char doc[sizeof KNOWN_BODY + 8];
    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t len = base_len;
        rg_error a = {0}, b = {0};
        int ra, rb;
        memcpy(doc, base, base_len + 1);
        for (int e = 0, edits = 1 + (int)(seed % 3); e < edits; e++) {
            size_t at;
            char c;
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            at = (size_t)(seed >> 33) % (len + 1);
            c = bytes[(seed >> 20) % (sizeof bytes - 1)];
            switch ((seed >> 12) % 3) {
            case 0: if (at < len) doc[at] = c; break;
            case 1: memmove(doc + at + 1, doc + at, len - at + 1); doc[at] = c; len++; break;
            default: if (at < len) { memmove(doc + at, doc + at + 1, len - at); len--; } break;
            }
        }
        doc[len] = '\0';
        ra = rg_json_check(doc, len, "body", &limits, &a);
        l.found = 0;
        rb = rg_json_check_known(doc, len, "body", &limits, &known, &b);
        hits += l.found > 0;
        taken += ra == 0;
        if (ra != rb || (ra != 0 && (strcmp(a.message, b.message) != 0 || a.line != b.line || a.column != b.column)))
            fail_msg("round %d: %s: plain %d '%s', known %d '%s'", round, esc(doc, len), ra, a.message, rb, b.message);
        rg_error_clear(&a);
        rg_error_clear(&b);
    }
    /* The run exercised both: bodies taken, and known values found in edited bodies. */
    print_message("# %zu of 20000 taken, %zu with a known value found\n", taken, hits);
    assert_true(taken > 100);
    assert_true(hits > 1000);
    learned_free(&l);
}

/* An object of many keys is sorted, not compared pair by pair: 200,000 keys, one given
 * twice far apart, found; and none twice, taken (quickly: n log n). */
static void test_check_many_keys(void **state)
{
    rg_limits limits = rg_limits_default();
    rg_strbuf b = {0};
    rg_error err = {0};
    char *doc;
    (void)state;
    rg_strbuf_puts(&b, "{");
    for (int i = 0; i < 200000; i++)
        rg_strbuf_printf(&b, "%s\"key%d\":%d", i ? "," : "", i, i);
    rg_strbuf_puts(&b, "}");
    doc = rg_strbuf_finish(&b);
    assert_non_null(doc);
    assert_int_equal(rg_json_check(doc, strlen(doc), "big.json", &limits, &err), 0);
    memcpy(strstr(doc, "\"key199999\""), "\"key000007\"", 11);   /* same length: "key7" is not it */
    assert_int_equal(rg_json_check(doc, strlen(doc), "big.json", &limits, &err), 0);
    memcpy(strstr(doc, "\"key000007\""), "\"key7\":1,\"\"", 11);   /* "key7":1,"":199999 */
    assert_int_equal(rg_json_check(doc, strlen(doc), "big.json", &limits, &err), -1);
    assert_string_equal(err.message, "big.json: duplicate key \"key7\" in a JSON object");
    rg_error_clear(&err);
    free(doc);
}

/* ---- rg_json_string ------------------------------------------------------------------ */

static void test_json_string(void **state)
{
    rg_error err = {0};
    cJSON *root = parse("{\"s\": \"v\", \"n\": 1, \"z\": null, \"e\": \"\", \"o\": {}, \"Case\": \"c\"}", &err);
    (void)state;
    assert_non_null(root);
    assert_string_equal(rg_json_string(root, "s"), "v");
    assert_string_equal(rg_json_string(root, "e"), "");
    assert_null(rg_json_string(root, "n"));
    assert_null(rg_json_string(root, "z"));
    assert_null(rg_json_string(root, "o"));
    assert_null(rg_json_string(root, "missing"));
    assert_null(rg_json_string(root, "case")); /* keys are case-sensitive */
    assert_string_equal(rg_json_string(root, "Case"), "c");
    assert_null(rg_json_string(NULL, "s"));
    assert_null(rg_json_string(cJSON_GetObjectItemCaseSensitive(root, "n"), "s"));
    cJSON_Delete(root);
}

/* ---- rg_json_print_pretty ------------------------------------------------------------ */

static void expect_pretty(const char *json, const char *want)
{
    rg_error err = {0};
    cJSON *root = parse(json, &err);
    char *text;
    if (!root)
        fail_msg("refused: %s", err.message);
    text = rg_json_print_pretty(root);
    assert_non_null(text);
    if (strcmp(text, want) != 0)
        fail_msg("printed:\n%s\nexpected:\n%s", text, want);
    free(text);
    cJSON_Delete(root);
}

static void test_pretty_small_tree(void **state)
{
    (void)state;
    expect_pretty("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":-2.5}}",
                  "{\n"
                  "  \"a\": 1,\n"
                  "  \"b\": [\n"
                  "    true,\n"
                  "    null,\n"
                  "    \"x\"\n"
                  "  ],\n"
                  "  \"c\": {\n"
                  "    \"d\": -2.5\n"
                  "  }\n"
                  "}\n");
}

static void test_pretty_keeps_member_order(void **state)
{
    (void)state;
    expect_pretty("{\"z\":1,\"a\":2}", "{\n  \"z\": 1,\n  \"a\": 2\n}\n");
}

static void test_pretty_empty_containers(void **state)
{
    (void)state;
    expect_pretty("{}", "{}\n");
    expect_pretty("[]", "[]\n");
    expect_pretty("{\"o\":{},\"a\":[],\"n\":[{}]}",
                  "{\n  \"o\": {},\n  \"a\": [],\n  \"n\": [\n    {}\n  ]\n}\n");
}

static void test_pretty_scalars(void **state)
{
    (void)state;
    expect_pretty("\"x\"", "\"x\"\n");
    expect_pretty("null", "null\n");
    expect_pretty("false", "false\n");
    expect_pretty("[0,-7,3.25,100000]", "[\n  0,\n  -7,\n  3.25,\n  100000\n]\n");
}

static void test_pretty_escaping(void **state)
{
    cJSON *root = cJSON_CreateObject();
    char *text;
    (void)state;
    cJSON_AddStringToObject(root, "q\"k\\", "line1\nline2\t\"quoted\" back\\slash \x01 caf\xc3\xa9 /");
    text = rg_json_print_pretty(root);
    assert_non_null(text);
    assert_string_equal(text, "{\n  \"q\\\"k\\\\\": \"line1\\nline2\\t\\\"quoted\\\" back\\\\slash "
                              "\\u0001 caf\xc3\xa9 /\"\n}\n");
    free(text);
    cJSON_Delete(root);
}

static void test_pretty_deep_indentation(void **state)
{
    /* 20 nested arrays around 7: the 7 is indented by 40 spaces (more than one chunk
     * of the indentation buffer), the closers by 38, 36, ... 0. */
    char json[64], want[2048], *text;
    size_t n = 0;
    rg_error err = {0};
    cJSON *root;
    (void)state;
    for (int i = 0; i < 20; i++) json[n++] = '[';
    json[n++] = '7';
    for (int i = 0; i < 20; i++) json[n++] = ']';
    json[n] = '\0';
    n = 0;
    for (int i = 0; i < 20; i++)
        n += (size_t)sprintf(want + n, "%*s[\n", 2 * i, "");
    n += (size_t)sprintf(want + n, "%*s7\n", 40, "");
    for (int i = 19; i >= 0; i--)
        n += (size_t)sprintf(want + n, "%*s]\n", 2 * i, "");
    root = parse(json, &err);
    assert_non_null(root);
    text = rg_json_print_pretty(root);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    cJSON_Delete(root);
}

static void test_pretty_round_trip(void **state)
{
    rg_error err = {0};
    const char *json = "{\"release\":{\"name\":\"p\",\"tags\":[\"a\",\"b\"],\"n\":null},"
                       "\"deep\":[[[{\"x\":[1,2,{\"y\":\"\\u00e9\\n\"}]}]]],\"e\":{}}";
    cJSON *root = parse(json, &err), *again;
    char *text;
    (void)state;
    assert_non_null(root);
    text = rg_json_print_pretty(root);
    assert_non_null(text);
    again = parse(text, &err);
    assert_non_null(again);
    assert_true(cJSON_Compare(root, again, 1));
    free(text);
    cJSON_Delete(root);
    cJSON_Delete(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object_members),
        cmocka_unit_test(test_parse_scalars_at_top_level),
        cmocka_unit_test(test_parse_surrounding_whitespace),
        cmocka_unit_test(test_parse_unicode),
        cmocka_unit_test(test_parse_uses_len_not_nul),
        cmocka_unit_test(test_syntax_missing_colon_multiline),
        cmocka_unit_test(test_syntax_missing_comma),
        cmocka_unit_test(test_syntax_bad_literal),
        cmocka_unit_test(test_syntax_bad_escape),
        cmocka_unit_test(test_syntax_trailing_comma_in_array),
        cmocka_unit_test(test_syntax_trailing_comma_in_object),
        cmocka_unit_test(test_syntax_single_quoted_key),
        cmocka_unit_test(test_syntax_kind_is_the_callers),
        cmocka_unit_test(test_syntax_message_excerpt_is_printable),
        cmocka_unit_test(test_control_character_between_tokens_refused),
        cmocka_unit_test(test_raw_control_character_in_string_refused),
        cmocka_unit_test(test_unexpected_end),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_whitespace_only_document),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_invalid_utf8_position),
        cmocka_unit_test(test_invalid_utf8_column_counts_bytes),
        cmocka_unit_test(test_invalid_utf8_forms),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_escaped_nul_refused),
        cmocka_unit_test(test_depth_at_limit),
        cmocka_unit_test(test_depth_past_limit),
        cmocka_unit_test(test_depth_mixed_objects_past_limit),
        cmocka_unit_test(test_depth_default_64),
        cmocka_unit_test(test_depth_ignores_brackets_in_strings),
        cmocka_unit_test(test_duplicate_key_top_level),
        cmocka_unit_test(test_duplicate_key_nested),
        cmocka_unit_test(test_member_refuses_duplicates),
        cmocka_unit_test(test_json_at_walks_dotted_paths),
        cmocka_unit_test(test_duplicate_key_in_array_element),
        cmocka_unit_test(test_duplicate_key_spelled_with_escape),
        cmocka_unit_test(test_check_agrees_with_parse),
        cmocka_unit_test(test_string_stops_at_every_offset),
        cmocka_unit_test(test_known_values_taken_as_checked),
        cmocka_unit_test(test_known_value_duplicate_key_refused),
        cmocka_unit_test(test_known_differential),
        cmocka_unit_test(test_check_many_keys),
        cmocka_unit_test(test_same_key_in_sibling_objects_allowed),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_pretty_small_tree),
        cmocka_unit_test(test_pretty_keeps_member_order),
        cmocka_unit_test(test_pretty_empty_containers),
        cmocka_unit_test(test_pretty_scalars),
        cmocka_unit_test(test_pretty_escaping),
        cmocka_unit_test(test_pretty_deep_indentation),
        cmocka_unit_test(test_pretty_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
