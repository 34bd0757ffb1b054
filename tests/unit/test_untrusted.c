/* Unit tests for core/untrusted.c: what reaches a CI runner, a terminal or an XML report. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "untrusted.h"

static void check_append(const char *in, size_t len, rg_breaks breaks, const char *want)
{
    rg_strbuf b = {0};
    char *got;
    rg_untrusted_append(&b, in, len, breaks);
    got = rg_strbuf_finish(&b);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("neutralised \"%s\" is \"%s\", expected \"%s\"", in, got, want);
    free(got);
}

#define CHECK(in, breaks, want) check_append(in, sizeof in - 1, breaks, want)

static void test_plain_text_unchanged(void **state)
{
    (void)state;
    CHECK("payments-api 2.4.0: 3 of 4 passed (50% done) #4402 :: a:b", RG_BREAKS_SPACE,
          "payments-api 2.4.0: 3 of 4 passed (50% done) #4402 :: a:b");
    CHECK("Élodie ✅ 日本 👨‍👩‍👧", RG_BREAKS_SPACE, "Élodie ✅ 日本 👨‍👩‍👧");
}

static void test_line_breaks(void **state)
{
    (void)state;
    CHECK("a\nb\r\nc\rd\te", RG_BREAKS_SPACE, "a b c d e");
    CHECK("a\nb\r\nc\rd\te", RG_BREAKS_KEEP, "a\nb\nc\nd\te");
    CHECK("a\nb\r\nc", RG_BREAKS_RAW, "a\nb\r\nc");
}

static void test_controls_become_visible(void **state)
{
    (void)state;
    CHECK("\x1b[31mred\x1b]0;title\x07 bs\x08 del\x7f nul\0.", RG_BREAKS_SPACE,
          "\\x1b[31mred\\x1b]0;title\\x07 bs\\x08 del\\x7f nul\\x00.");
    /* C1 controls (CSI U+009B, NEL U+0085), bidi overrides, separators, non-characters. */
    CHECK("\xc2\x9b" "2J \xc2\x85 \xe2\x80\xae" "evil \xe2\x81\xa6 \xe2\x80\xa8 \xef\xbf\xbe \xd8\x9c", RG_BREAKS_SPACE,
          "\\u009b2J \\u0085 \\u202eevil \\u2066 \\u2028 \\ufffe \\u061c");
    /* Bytes that are not UTF-8: stray continuation, overlong, surrogate, cut short. */
    CHECK("a\x80 \xc0\xaf \xed\xa0\x80 \xe2\x82", RG_BREAKS_SPACE, "a\\x80 \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82");
}

static void test_ci_markers_broken(void **state)
{
    (void)state;
    CHECK("x ##[error]boom", RG_BREAKS_SPACE, "x # #[error]boom");
    CHECK("##vso[task.setvariable variable=x]1 ##VSO[ ##Vso[", RG_BREAKS_SPACE,
          "# #vso[task.setvariable variable=x]1 # #VSO[ # #Vso[");
    CHECK("###[x] #[ok] ## [ok]", RG_BREAKS_SPACE, "## #[x] #[ok] ## [ok]");
    /* Invisible characters between do not hide the marker (.NET's IndexOf skips them). */
    CHECK("#\xe2\x80\x8b#[error]x #\xc2\xad#v\xe2\x80\x8cso[y", RG_BREAKS_SPACE,
          "# \xe2\x80\x8b#[error]x # \xc2\xad#v\xe2\x80\x8cso[y");
    assert_true(rg_untrusted_marker_at("##[", 3));
    assert_false(rg_untrusted_marker_at("##", 2));
    assert_false(rg_untrusted_marker_at("#[", 2));
    assert_false(rg_untrusted_marker_at("##vs[", 5));
}

/* A line a runner would act on: '::' after leading white space, '##[' or '##vso[' anywhere. */
static int is_command_line(const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (n - i >= 2 && line[i] == ':' && line[i + 1] == ':')
        return 1;
    for (size_t k = 0; k + 3 <= n; k++)
        if (memcmp(line + k, "##[", 3) == 0 || (k + 6 <= n && strncasecmp(line + k, "##vso[", 6) == 0))
            return 1;
    return 0;
}

static void test_lines_behind_prefix(void **state)
{
    static const char hostile[] = "first\n::error::forged\r::add-mask::secret\r\n  ::stop-commands::tok\n"
                                  "\xc2\xa0::warning::nbsp\n\nlast ##[error]x";
    char *out = NULL, *line;
    size_t size = 0;
    int lines = 0;
    FILE *f = open_memstream(&out, &size);
    (void)state;
    assert_non_null(f);
    rg_write_untrusted_lines(f, "relgate: check x: ", hostile, sizeof hostile - 1);
    fclose(f);
    assert_string_equal(out, "relgate: check x: first\n"
                             "relgate: check x: ::error::forged\n"
                             "relgate: check x: ::add-mask::secret\n"
                             "relgate: check x:   ::stop-commands::tok\n"
                             "relgate: check x: \xc2\xa0::warning::nbsp\n"
                             "relgate: check x: \n"
                             "relgate: check x: last # #[error]x\n");
    for (line = out; *line; lines++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_false(is_command_line(line, (size_t)(nl - line)));
        assert_null(memchr(line, '\r', (size_t)(nl - line)));
        line = nl + 1;
    }
    assert_int_equal(lines, 7);
    free(out);
}

static void check_xml(const char *in, int attribute, const char *want)
{
    rg_strbuf b = {0};
    char *got;
    rg_untrusted_xml(&b, in, attribute);
    got = rg_strbuf_finish(&b);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("XML of \"%s\" is \"%s\", expected \"%s\"", in, got, want);
    free(got);
}

static void test_xml(void **state)
{
    (void)state;
    check_xml("<a b=\"c\" d='e'>&]]>", 0, "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;]]&gt;");
    /* Forbidden in XML 1.0: dropped. LF and CR as references, every line stays ours. */
    check_xml("soh\x01 esc\x1b del\x7f nonchar\xef\xbf\xbf bad\xff surrogate\xed\xa0\x80.", 0,
              "soh esc del nonchar bad surrogate.");
    check_xml("a\nb\r\nc\td", 0, "a&#10;b&#13;&#10;c\td");
    check_xml("a\tb", 1, "a&#9;b");
    /* Allowed by XML but not by a terminal or a runner. */
    check_xml("\xc2\x9b ##[error]x", 0, "\\u009b # #[error]x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_line_breaks),
        cmocka_unit_test(test_controls_become_visible),
        cmocka_unit_test(test_ci_markers_broken),
        cmocka_unit_test(test_lines_behind_prefix),
        cmocka_unit_test(test_xml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
