/* Unit tests for cli/hooks_comment.c: the deployment comment, within its limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks_comment.h"
#include "strbuf.h"

#define HEAD "{\"decision\": \"%s\", \"id\": \"d-42\", \"release\": {\"name\": \"payments-api\", \"version\": \"1.4.0\", " \
             "\"type\": \"minor\"}, \"stage\": \"deploy\", \"policy\": {\"name\": \"octoacme\", \"version\": \"1.1.0\"}, "

static char *comment_of(const char *json, int status, size_t max)
{
    char *c = hooks_comment(json, strlen(json), status, max);
    assert_non_null(c);
    assert_true(strlen(c) <= max);
    return c;
}

/* Every byte sequence is whole UTF-8: no character cut in two. */
static void assert_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        assert_true(n >= 0);
        p++;
        for (int i = 0; i < n; i++, p++)
            assert_int_equal(*p & 0xC0, 0x80);
    }
}

static void allow_says_so(void **state)
{
    char json[1024], *c;
    (void)state;
    snprintf(json, sizeof json, HEAD "\"summary\": {\"total\": 2, \"pass\": 2, \"fail\": 0, \"warn\": 0, \"waived\": 0, "
             "\"error\": 0, \"skip\": 0}, \"requirements\": [{\"id\": \"ci\", \"status\": \"pass\", \"level\": "
             "\"mandatory\", \"message\": \"green\"}, {\"id\": \"notes\", \"status\": \"pass\"}]}", "allow");
    c = comment_of(json, 200, HOOKS_COMMENT_MAX);
    assert_non_null(strstr(c, "relgate: **allow** — payments-api 1.4.0 at `deploy` (policy `octoacme` 1.1.0)"));
    assert_non_null(strstr(c, "Every requirement passed"));
    assert_non_null(strstr(c, "2 requirements: 2 pass, 0 fail"));
    assert_non_null(strstr(c, "decision `d-42`"));
    assert_null(strstr(c, "green"));   /* passes are counted, not listed */
    free(c);
}

/* A deny with many long messages: errors first, then failures; the summary and the id
 * always there; the rest counted; never a character cut. */
static void deny_truncated_sensibly(void **state)
{
    rg_strbuf b = {0};
    char *json, *c;
    (void)state;
    rg_strbuf_printf(&b, HEAD "\"summary\": {\"total\": 31, \"pass\": 1, \"fail\": 29, \"warn\": 0, \"waived\": 0, "
                     "\"error\": 1, \"skip\": 0}, \"requirements\": [", "deny");
    for (int i = 0; i < 29; i++) {
        rg_strbuf_printf(&b, "{\"id\": \"req-%02d\", \"level\": \"mandatory\", \"status\": \"fail\", \"message\": \"", i);
        for (int k = 0; k < 40; k++)
            rg_strbuf_puts(&b, "é€");   /* 2- and 3-byte characters to cut between */
        rg_strbuf_puts(&b, "\"},");
    }
    rg_strbuf_puts(&b, "{\"id\": \"ok\", \"status\": \"pass\"}, {\"id\": \"scan\", \"level\": \"mandatory\", "
                       "\"status\": \"error\", \"message\": \"plugin crashed\"}]}");
    json = rg_strbuf_finish(&b);
    for (size_t max = 128; max <= HOOKS_COMMENT_MAX; max += 37) {
        c = comment_of(json, 200, max);
        assert_utf8(c);
        assert_non_null(strstr(c, "**deny**"));
        assert_non_null(strstr(c, "decision `d-42`"));
        free(c);
    }
    c = comment_of(json, 200, HOOKS_COMMENT_MAX);
    assert_true(strlen(c) > 900);   /* the room is used */
    assert_non_null(strstr(c, "`scan` (mandatory): plugin crashed"));
    assert_true(strstr(c, "`scan`") < strstr(c, "`req-00`"));   /* the error first */
    assert_non_null(strstr(c, "more\n"));
    assert_non_null(strstr(c, "31 requirements: 1 pass, 29 fail"));
    free(c);
    free(json);
}

/* Text from the policy and the context is escaped: no mention, no HTML, no emphasis. */
static void untrusted_text_escaped(void **state)
{
    char json[1024], *c;
    (void)state;
    snprintf(json, sizeof json, HEAD "\"summary\": {\"total\": 1}, \"requirements\": [{\"id\": \"x\", \"status\": "
             "\"fail\", \"level\": \"mandatory\", \"message\": \"ask @octocat <img src=x> *now*\\nnext\"}]}", "deny");
    c = comment_of(json, 200, HOOKS_COMMENT_MAX);
    assert_null(strstr(c, "@octocat"));
    assert_null(strstr(c, "<img"));
    assert_non_null(strstr(c, "&lt;img"));
    assert_non_null(strstr(c, "\\*now\\*"));
    assert_null(strstr(c, "\nnext"));   /* the line break inside the message is a space */
    free(c);
}

static void error_and_refusal(void **state)
{
    const char *err = "{\"decision\": \"error\", \"error\": {\"kind\": \"policy\", \"message\": \"policy.lua:3: boom\"}}";
    char *c;
    (void)state;
    c = comment_of(err, 500, HOOKS_COMMENT_MAX);
    assert_non_null(strstr(c, "**error**"));
    assert_non_null(strstr(c, "HTTP 500"));
    assert_non_null(strstr(c, "policy.lua:3: boom"));
    free(c);
    c = comment_of("", 503, HOOKS_COMMENT_MAX);   /* not a decision at all */
    assert_non_null(strstr(c, "**error**"));
    assert_non_null(strstr(c, "HTTP 503"));
    free(c);
    /* A deny that arrived with another status than 200 is not trusted as a decision. */
    c = comment_of("{\"decision\": \"allow\", \"requirements\": []}", 400, HOOKS_COMMENT_MAX);
    assert_non_null(strstr(c, "**error**"));
    free(c);
    c = hooks_comment_refused("no rule names octo-org/payments", 200);
    assert_non_null(c);
    assert_true(strlen(c) <= 200);
    assert_non_null(strstr(c, "**rejected**"));
    assert_non_null(strstr(c, "octo-org/payments"));
    free(c);
}

static void utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(hooks_utf8_prefix("abc", 10), 3);
    assert_int_equal(hooks_utf8_prefix("aé", 2), 1);   /* 'é' is 2 bytes: not cut */
    assert_int_equal(hooks_utf8_prefix("aé", 3), 3);
    assert_int_equal(hooks_utf8_prefix("€", 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allow_says_so),
        cmocka_unit_test(deny_truncated_sensibly),
        cmocka_unit_test(untrusted_text_escaped),
        cmocka_unit_test(error_and_refusal),
        cmocka_unit_test(utf8_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
