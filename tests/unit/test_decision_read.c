/* Unit tests for core/decision_read.c: a decision read back from its JSON (relgate
 * render) is the decision that was written, a verdict that its requirements do not give
 * is refused, an error decision gives the error it records, and what is not a decision
 * is refused with a message. */
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

static const char DENY[] =
    "{\"decision\":\"deny\",\"release\":{\"name\":\"payments\",\"version\":\"2.4.0\",\"type\":\"minor\"},"
    "\"stage\":\"deploy\",\"policy\":{\"name\":\"octoacme\",\"version\":\"1.0.0\","
    "\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"extends\":[]},"
    "\"context\":{\"file\":\"release.json\","
    "\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"},"
    "\"evidence\":[],\"summary\":{\"total\":2,\"pass\":1,\"fail\":1,\"warn\":0,\"waived\":0,\"error\":0,\"skip\":0},"
    "\"requirements\":["
    "{\"id\":\"ok\",\"title\":\"Fine\",\"level\":\"mandatory\",\"status\":\"pass\",\"message\":\"good\","
    "\"check\":\"lua\",\"details\":{},\"duration_ms\":0.5,\"source\":\"p.lua:3\"},"
    "{\"id\":\"bad\",\"title\":\"Broken\",\"level\":\"mandatory\",\"status\":\"fail\",\"message\":\"no\","
    "\"hint\":\"fix it\",\"check\":\"ci.status\",\"plugin\":{\"name\":\"ci\",\"version\":\"1.0.0\"},"
    "\"details\":{\"file\":\"x\"},\"duration_ms\":12.25,\"source\":\"p.lua:9\",\"defined_at\":\"team.lua:4\"}],"
    "\"waivers\":[],\"actions\":[],\"evaluated_at\":\"2025-06-10T14:00:00Z\","
    "\"engine\":{\"name\":\"relgate\",\"version\":\"0.1.0\"}}";

static rg_decision *parse(const char *text, rg_error *err)
{
    return rg_decision_parse(text, strlen(text), "d.json", NULL, err);
}

static void test_round_trip(void **state)
{
    rg_error err = {0};
    rg_decision *d = parse(DENY, &err);
    char *again;
    (void)state;
    assert_non_null(d);
    assert_int_equal(rg_decision_verdict(d), RG_VERDICT_DENY);
    assert_int_equal(d->count, 2);
    assert_string_equal(d->results[1].defined_at, "team.lua:4");
    assert_string_equal(d->results[1].plugin, "ci");
    assert_null(d->results[0].defined_at);
    again = rg_decision_render(d, RG_FORMAT_LINE, 0);
    assert_non_null(again);
    assert_string_equal(again, DENY);   /* written back byte for byte */
    free(again);
    rg_decision_free(d);
}

static void test_forged_verdict_refused(void **state)
{
    rg_error err = {0};
    char *forged = strdup(DENY);
    (void)state;
    memcpy(forged + strlen("{\"decision\":\""), "warn", 4);  /* "deny" -> "warn" */
    assert_null(parse(forged, &err));
    assert_non_null(strstr(err.message, "its requirements give deny"));
    free(forged);
}

static void test_error_decision_gives_its_error(void **state)
{
    rg_error err = {0};
    int64_t when = 0;
    static const char text[] = "{\"decision\":\"error\",\"error\":{\"kind\":\"context\",\"message\":\"bad context\","
                               "\"file\":\"c.json\",\"line\":3,\"column\":null,\"problems\":[\"bad context\",\"and more\"]},"
                               "\"evaluated_at\":\"2025-06-10T14:00:00Z\",\"engine\":{\"name\":\"relgate\",\"version\":\"0.1.0\"}}";
    (void)state;
    assert_null(rg_decision_parse(text, strlen(text), "e.json", &when, &err));
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(err.message, "bad context");
    assert_string_equal(err.file, "c.json");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.problem_count, 2);
    assert_string_equal(err.problems[1], "and more");
    assert_int_equal(when, 1749564000);
}

static void test_not_a_decision(void **state)
{
    static const char *const bad[] = {
        "", "[]", "{}", "{\"decision\":\"maybe\"}", "{\"decision\":\"allow\",\"requirements\":[]}",
        "{\"decision\":\"allow\",\"release\":{\"name\":\"a\",\"version\":\"1.0.0\",\"type\":\"minor\"},"
        "\"stage\":\"deploy\",\"policy\":{\"name\":\"p\",\"digest\":\"sha256:00\"},"
        "\"requirements\":[{\"id\":\"x\"}]}",
        "{\"decision\":\"allow\",\"decision\":\"deny\"}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rg_error err = {0};
        assert_null(parse(bad[i], &err));
        assert_true(err.message[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_forged_verdict_refused),
        cmocka_unit_test(test_error_decision_gives_its_error),
        cmocka_unit_test(test_not_a_decision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
