/* Unit tests for core/markdown.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "markdown.h"

#define MAXSEC 16

typedef struct found {
    int n;
    rg_md_section s[MAXSEC];
} found;

static int collect(const rg_md_section *sec, void *data)
{
    found *f = data;
    if (f->n < MAXSEC)
        f->s[f->n] = *sec;
    f->n++;
    return 0;
}

static found scan(const char *text)
{
    found f;
    memset(&f, 0, sizeof f);
    assert_int_equal(rg_md_each_section(text, strlen(text), collect, &f), 0);
    return f;
}

static void check_str(const char *p, size_t n, const char *want)
{
    if (n != strlen(want) || (n && memcmp(p, want, n) != 0))
        fail_msg("got \"%.*s\", expected \"%s\"", (int)n, p ? p : "", want);
}

#define check_title(sec, want) check_str((sec).title, (sec).title_len, (want))
#define check_body(sec, want) check_str((sec).body, (sec).body_len, (want))

static void test_levels_one_to_six(void **state)
{
    (void)state;
    found f = scan("# A\n## B\n### C\n#### D\n##### E\n###### F\n");
    const char *titles[] = {"A", "B", "C", "D", "E", "F"};
    int i;
    assert_int_equal(f.n, 6);
    for (i = 0; i < 6; i++) {
        assert_int_equal(f.s[i].level, i + 1);
        assert_int_equal(f.s[i].line, i + 1);
        check_title(f.s[i], titles[i]);
    }
}

static void test_seven_hashes_not_heading(void **state)
{
    (void)state;
    found f = scan("####### Seven\n");
    assert_int_equal(f.n, 0);
}

static void test_hashtag_not_heading(void **state)
{
    (void)state;
    found f = scan("#hashtag\n#5 bolt\n# Real\n");
    assert_int_equal(f.n, 1);
    assert_int_equal(f.s[0].line, 3);
    check_title(f.s[0], "Real");
}

static void test_escaped_hash_not_heading(void **state)
{
    (void)state;
    found f = scan("\\# not a heading\n");
    assert_int_equal(f.n, 0);
}

static void test_empty_headings(void **state)
{
    (void)state;
    found f = scan("#\n# \n### ###\n## #\n");
    assert_int_equal(f.n, 4);
    assert_int_equal(f.s[0].level, 1);
    check_title(f.s[0], "");
    check_title(f.s[1], "");
    assert_int_equal(f.s[2].level, 3);
    check_title(f.s[2], "");
    check_title(f.s[3], "");
}

static void test_closing_sequence_removed(void **state)
{
    (void)state;
    found f = scan("## Title ##\n# Title #####   \n# Title #\t\n### Title ####### \n");
    int i;
    assert_int_equal(f.n, 4);
    for (i = 0; i < 4; i++)
        check_title(f.s[i], "Title");
}

static void test_closing_hash_kept_without_space(void **state)
{
    (void)state;
    found f = scan("# C#\n# foo#bar #\n# foo \\#\n# #foo\n");
    assert_int_equal(f.n, 4);
    check_title(f.s[0], "C#");
    check_title(f.s[1], "foo#bar");
    check_title(f.s[2], "foo \\#");
    check_title(f.s[3], "#foo");
}

static void test_title_trimmed(void **state)
{
    (void)state;
    found f = scan("#    spaced   out   \n#\tTab\t\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "spaced   out");
    check_title(f.s[1], "Tab");
}

static void test_indentation(void **state)
{
    (void)state;
    found f = scan(" # one\n   # three\n    # four\n\t# tab\n  \t# mixed\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "one");
    check_title(f.s[1], "three");
    assert_int_equal(f.s[1].line, 2);
}

static void test_title_points_into_text(void **state)
{
    (void)state;
    const char *text = "intro\n## Changes\n";
    found f = scan(text);
    assert_int_equal(f.n, 1);
    assert_ptr_equal(f.s[0].title, text + 9);
}

static void test_body_ranges(void **state)
{
    (void)state;
    const char *text = "# A\nline1\nline2\n## B\nb body\n";
    found f = scan(text);
    assert_int_equal(f.n, 2);
    assert_ptr_equal(f.s[0].body, text + 4);
    check_body(f.s[0], "line1\nline2\n");
    assert_ptr_equal(f.s[1].body, text + 21);
    check_body(f.s[1], "b body\n");
}

static void test_body_stops_at_deeper_heading(void **state)
{
    (void)state;
    found f = scan("## A\ntext\n### Sub\nmore\n## B\n");
    assert_int_equal(f.n, 3);
    check_body(f.s[0], "text\n");
    check_body(f.s[1], "more\n");
    check_body(f.s[2], "");
}

static void test_body_at_end_of_text(void **state)
{
    (void)state;
    found f = scan("# A\nlast");
    assert_int_equal(f.n, 1);
    check_body(f.s[0], "last");
    f = scan("# A");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "A");
    check_body(f.s[0], "");
    f = scan("# A\n");
    check_body(f.s[0], "");
}

static void test_adjacent_headings_have_empty_body(void **state)
{
    (void)state;
    found f = scan("# A\n# B\n");
    assert_int_equal(f.n, 2);
    check_body(f.s[0], "");
    check_body(f.s[1], "");
}

static void test_text_before_first_heading_ignored(void **state)
{
    (void)state;
    found f = scan("preamble\n\n# A\nx\n");
    assert_int_equal(f.n, 1);
    assert_int_equal(f.s[0].line, 3);
    check_body(f.s[0], "x\n");
}

static void test_line_numbers(void **state)
{
    (void)state;
    found f = scan("# One\n\n## Two\ntext\n\n\n### Three\n");
    assert_int_equal(f.n, 3);
    assert_int_equal(f.s[0].line, 1);
    assert_int_equal(f.s[1].line, 3);
    assert_int_equal(f.s[2].line, 7);
}

static void test_backtick_fence_hides_headings(void **state)
{
    (void)state;
    found f = scan("# A\n```\n# not\n```\n# B\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "A");
    check_body(f.s[0], "```\n# not\n```\n");
    check_title(f.s[1], "B");
    assert_int_equal(f.s[1].line, 5);
}

static void test_tilde_fence_hides_headings(void **state)
{
    (void)state;
    found f = scan("~~~\n# no\n~~~\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_fence_closed_by_same_or_longer(void **state)
{
    (void)state;
    found f = scan("````\n```\n# no\n````\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("```\n# no\n`````\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_fence_not_closed_by_other_char(void **state)
{
    (void)state;
    found f = scan("```\n~~~\n# no\n```\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("~~~\n```\n# no\n~~~\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_unclosed_fence_runs_to_end(void **state)
{
    (void)state;
    found f = scan("# A\n```\n# no\n");
    assert_int_equal(f.n, 1);
    check_body(f.s[0], "```\n# no\n");
}

static void test_fence_info_string(void **state)
{
    (void)state;
    found f = scan("```c\n# include <stdio.h>\n```\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    /* A closing fence takes no info string. */
    f = scan("```\n# no\n``` x\n# still no\n```\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_inline_backticks_not_fence(void **state)
{
    (void)state;
    found f = scan("```code``` inline\n# yes\n``\n# also\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "yes");
    check_title(f.s[1], "also");
}

static void test_indented_fences(void **state)
{
    (void)state;
    found f = scan("   ```\n# no\n   ```\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("    ```\n# yes\n"); /* indented code, not a fence */
    assert_int_equal(f.n, 1);
}

static void test_setext_read(void **state)
{
    (void)state;
    found f = scan("Title\n=====\n\nOther\n-----\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "Title");
    check_title(f.s[1], "Other");
    assert_int_equal(f.s[1].level, 2);
}

static void test_crlf(void **state)
{
    (void)state;
    found f = scan("# Title\r\nbody\r\n## Next ##\r\n```\r\n# no\r\n```\r\n#\r\n");
    assert_int_equal(f.n, 3);
    check_title(f.s[0], "Title");
    check_body(f.s[0], "body\r\n");
    check_title(f.s[1], "Next");
    check_body(f.s[1], "```\r\n# no\r\n```\r\n");
    assert_int_equal(f.s[2].line, 7);
    check_title(f.s[2], "");
    assert_null(memchr(f.s[0].title, '\r', f.s[0].title_len));
}

static void test_length_respected(void **state)
{
    (void)state;
    const char *text = "# A\nbody\n# B\n";
    found f;
    memset(&f, 0, sizeof f);
    assert_int_equal(rg_md_each_section(text, 9, collect, &f), 0);
    assert_int_equal(f.n, 1);
    check_body(f.s[0], "body\n");
}

static int stop_at_second(const rg_md_section *sec, void *data)
{
    int *calls = data;
    (void)sec;
    return ++*calls == 2 ? 7 : 0;
}

static void test_early_stop(void **state)
{
    (void)state;
    const char *text = "# A\n# B\n# C\n";
    int calls = 0;
    assert_int_equal(rg_md_each_section(text, strlen(text), stop_at_second, &calls), 7);
    assert_int_equal(calls, 2);
}

static void test_stop_on_last_section(void **state)
{
    (void)state;
    const char *text = "x\n# A\n# B";
    int calls = 0;
    assert_int_equal(rg_md_each_section(text, strlen(text), stop_at_second, &calls), 7);
    assert_int_equal(calls, 2);
}

static void test_empty_text(void **state)
{
    (void)state;
    int calls = 0;
    assert_int_equal(rg_md_each_section("", 0, stop_at_second, &calls), 0);
    assert_int_equal(rg_md_each_section(NULL, 0, stop_at_second, &calls), 0);
    assert_int_equal(rg_md_each_section("plain text\n", 11, stop_at_second, &calls), 0);
    assert_int_equal(calls, 0);
}

static int blank(const char *s) { return rg_md_is_blank(s, strlen(s)); }

static void test_is_blank_whitespace(void **state)
{
    (void)state;
    assert_true(blank(""));
    assert_true(blank("  \n\t\r\n"));
    assert_false(blank("x"));
    assert_false(blank("\n\n  text\n"));
}

static void test_is_blank_comments(void **state)
{
    (void)state;
    assert_true(blank("<!-- fill in -->"));
    assert_true(blank("\n<!-- a -->\n\n<!--\nmulti\nline\n-->\n  "));
    assert_true(blank("<!---->"));
    assert_true(blank("<!-- a --><!-- b -->"));
    assert_true(blank("<!-- <!-- nested start -->"));
}

/* Link reference definitions render nothing: "[//]: # (...)" is Markdown's comment;
 * named references to invisible characters are blank (hostile round 41a, F09). */
static void test_is_blank_link_definitions_and_named_references(void **state)
{
    (void)state;
    assert_true(blank("[//]: # (TODO: write the smoke tests)"));
    assert_true(blank("[//]: # \"a comment\"\n[comment]: <> (another)\r\n  [x]: https://e.example 'T'\n\n"));
    assert_true(blank("   [a\\]b]: /url"));
    assert_false(blank("[x]: y\n\nreal text"));
    assert_false(blank("text\n[//]: #"));            /* text remains */
    assert_false(blank("[x]:"));                      /* no destination */
    assert_false(blank("[]: /url"));                  /* no label */
    assert_false(blank("[x]: /url not-a-title"));
    assert_false(blank("[x]: /url \"open title"));
    assert_false(blank("    [x]: /url"));             /* indented code */
    assert_false(blank("x [y]: /url"));
    /* over lines (round 41b, F05); a label of white space is none (F06) */
    assert_true(blank("[//]: # \"TODO: list the smoke tests\nbefore the release\""));
    assert_true(blank("[smoke-tests]:\n/todo\n\"write the smoke tests\"\n"));
    assert_true(blank("[a]: /u\n't'\n[b]: /v"));
    assert_false(blank("[a]: /u\n't\n\nx'"));          /* a blank line ends the title: text */
    assert_false(blank("[ ]: done"));
    assert_true(blank("&InvisibleTimes;&it;&af;&ic;&ApplyFunction;&InvisibleComma;&ZeroWidthSpace;&NoBreak;"));
    assert_true(blank("&NegativeThinSpace;&ThickSpace;&zwj;&zwnj;"));
    assert_false(blank("&Invisible;"));
    assert_false(blank("&amp;"));
    /* tags are markup: "<p></p>" shows nothing, "<p>x</p>" shows x */
    assert_true(blank("<p></p>\n<a name=\"smoke\"></a><br/>\n<div class=\"x\">\n</div>"));
    assert_false(blank("<p>x</p>"));
    assert_false(blank("<p"));
    assert_false(blank("a < b"));
}

static void test_is_blank_rejects_text_and_broken_comments(void **state)
{
    (void)state;
    assert_false(blank("<!-- a --> x"));
    assert_false(blank("x <!-- a -->"));
    assert_false(blank("<!-- unterminated"));
    assert_false(blank("<!-- a -->\n<!-- b"));
    assert_false(blank("<!- no ->"));
    assert_false(blank("<!--"));
    assert_false(blank("-->"));
}

static void test_is_blank_unicode_space_and_invisible(void **state)
{
    (void)state;
    /* F06: what renders as nothing is blank, by the rule identity.c trims names with */
    assert_true(blank("\xc2\xa0\n"));                  /* NBSP U+00A0 */
    assert_true(blank("\xe3\x80\x80"));                /* ideographic space U+3000 */
    assert_true(blank("\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x8a\xe2\x80\xa8\xe2\x80\xa9"
                      "\xe2\x80\xaf\xe2\x81\x9f\xc2\x85")); /* 1680 2000 200A 2028 2029 202F 205F 0085 */
    assert_true(blank("\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0")); /* ZWSP ZWNJ ZWJ WJ */
    assert_true(blank("\xef\xbb\xbf\n"));             /* BOM */
    assert_true(blank("\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9"
                      "\xd8\x9c")); /* LRM RLM LRE RLO LRI PDI ALM */
    assert_true(blank("\xc2\xa0<!-- fill in -->\xe3\x80\x80\n"));
    assert_true(blank("\xc2\xad\xe3\x85\xa4")); /* soft hyphen, Hangul filler */
    /* a visible character among them is text */
    assert_false(blank("\xc2\xa0x\xc2\xa0"));
    assert_false(blank("\xe2\x80\x8b\xc3\xa9"));     /* ZWSP, e-acute */
    assert_false(blank("\xe3\x80\x82"));               /* ideographic full stop */
    assert_false(blank("\xe2\x80\x94"));               /* em dash */
    /* a byte that is not UTF-8 is not known to be blank */
    assert_false(blank("\xa0"));
    assert_false(blank("\xc2"));
    assert_false(blank("\xe2\x80"));
}

static void test_is_blank_space_entities(void **state)
{
    (void)state;
    assert_true(blank("&nbsp;"));
    assert_true(blank("&#160;"));
    assert_true(blank("&#xA0;"));
    assert_true(blank("&#Xa0;&#x00a0;&#0160;"));
    assert_true(blank("&nbsp;&nbsp;\n&#8203;&#x3000;&ensp;&emsp;&thinsp;&zwnj;&zwj;&ZeroWidthSpace;\n"));
    assert_true(blank("&#32;&#x9;&Tab;&NewLine;"));
    /* visible, or not a character reference at all */
    assert_false(blank("&nbsp"));                    /* no ';': the text "&nbsp" */
    assert_false(blank("&NBSP;"));                   /* names are case-sensitive */
    assert_false(blank("&amp;"));
    assert_false(blank("&#65;"));
    assert_false(blank("&#0;"));                     /* U+FFFD */
    assert_false(blank("&#xD800;"));                 /* U+FFFD */
    assert_false(blank("&#x110000;"));               /* U+FFFD */
    assert_false(blank("&#00000160;"));              /* 8 digits: not a reference */
    assert_false(blank("&#x;"));
    assert_false(blank("&"));
    assert_false(blank("&nbsp;x"));
}

static void test_is_blank_hidden_html(void **state)
{
    (void)state;
    /* CommonMark 0.31 and browsers: "<!-->" and "<!--->" are whole, empty comments */
    assert_true(blank("<!-->"));
    assert_true(blank("<!--->\n"));
    /* what renders nothing: processing instructions, declarations, CDATA, script, style */
    assert_true(blank("<?php echo 1; ?>\n"));
    assert_true(blank("<!DOCTYPE html>\n<![CDATA[\n## Steps\n1. x\n]]>\n"));
    assert_true(blank("<script>\nalert(1)\n</script>\n<STYLE type=x>\np{}\n</style>\n"));
    assert_true(blank("<script\nsrc=x></script>"));
    /* <pre> and <textarea> show their text; other tags are not hidden */
    assert_false(blank("<pre>\n1. run it\n</pre>\n"));
    assert_false(blank("<textarea>x</textarea>"));
    assert_false(blank("<p>x</p>"));
    assert_false(blank("<scripts>x</scripts>"));
    assert_false(blank("<script>\nunterminated\n"));
    assert_false(blank("<? unterminated"));
    assert_false(blank("<![CDATA[ x ]]> y"));
}

static void test_is_blank_length_respected(void **state)
{
    (void)state;
    assert_true(rg_md_is_blank("  xx", 2));
    assert_false(rg_md_is_blank("<!-- a -->", 9));
    assert_true(rg_md_is_blank("<!-- a -->text", 10));
}

static int match(const char *title, const char *wanted)
{
    return rg_md_title_matches(title, strlen(title), wanted);
}

static void test_title_matches_exact_and_case(void **state)
{
    (void)state;
    assert_true(match("Summary", "Summary"));
    assert_true(match("Summary", "summary"));
    assert_true(match("SUMMARY", "sUmMaRy"));
    assert_false(match("Summary", "Summar"));
    assert_false(match("Summar", "Summary"));
    /* Case folding is ASCII only: U+00DC and U+00FC differ, equal bytes match. */
    assert_false(match("S\xc3\x9cmmary", "s\xc3\xbcmmary"));
    assert_true(match("S\xc3\xbcmmary", "s\xc3\xbcmmary"));
}

static void test_title_matches_whitespace(void **state)
{
    (void)state;
    assert_true(match("Migration   steps", "migration steps"));
    assert_true(match("Migration\tsteps", "migration steps"));
    assert_true(match("  Migration steps  ", "migration steps"));
    assert_true(match("Migration steps", " migration  steps "));
    assert_false(match("Migrationsteps", "migration steps"));
    assert_false(match("Migration steps", "migrationsteps"));
}

static void test_title_matches_parenthetical(void **state)
{
    (void)state;
    assert_true(match("Migration steps (if any)", "migration steps"));
    assert_true(match("Migration steps", "Migration steps (if any)"));
    assert_true(match("Migration steps(optional)", "migration steps"));
    assert_true(match("Risks (see (a) and (b))", "risks"));
    assert_false(match("Steps (a) here", "steps here"));
    assert_false(match("Steps (a) here", "steps"));
    assert_false(match("Migration (if any) steps", "migration steps"));
    /* Only one trailing parenthetical is dropped, from either side. */
    assert_true(match("Notes (a) (b)", "notes (a) (c)"));
    assert_false(match("Notes (a) (b)", "notes (b)"));
    assert_false(match("Notes (a) (b)", "notes"));
}

static void test_title_matches_trailing_colon(void **state)
{
    (void)state;
    assert_true(match("Summary:", "summary"));
    assert_true(match("Summary :", "summary"));
    assert_true(match("Summary", "Summary:"));
    assert_true(match("Risk (optional):", "risk"));
    assert_true(match("Risk: (optional)", "risk"));
    assert_false(match("Sum:mary", "summary"));
}

static void test_title_matches_whole_parenthetical_kept(void **state)
{
    (void)state;
    assert_true(match("(none)", "(none)"));
    assert_false(match("(none)", ""));
    assert_false(match("(unbalanced", "unbalanced"));
    assert_true(match("unbalanced)", "unbalanced)"));
}

static void test_title_matches_length_respected(void **state)
{
    (void)state;
    const char *text = "Summary\nrest of the document";
    assert_true(rg_md_title_matches(text, 7, "summary"));
    assert_false(rg_md_title_matches(text, 6, "summary"));
    assert_true(rg_md_title_matches(NULL, 0, ""));
    assert_true(rg_md_title_matches("", 0, "  "));
    assert_false(rg_md_title_matches("x", 1, NULL));
}

/* ---- Escaping untrusted text ------------------------------------------------------- */

static void check_escape(const char *in, const char *want)
{
    rg_strbuf b = {0};
    char *got;
    rg_md_escape(&b, in);
    got = rg_strbuf_finish(&b);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("rg_md_escape(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
    free(got);
}

static void check_code(const char *in, int in_table, const char *want)
{
    rg_strbuf b = {0};
    char *got;
    rg_md_code(&b, in, in_table);
    got = rg_strbuf_finish(&b);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("rg_md_code(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
    free(got);
}

static void test_escape_links_images_emphasis_html(void **state)
{
    (void)state;
    check_escape("[click](https://evil.example)", "\\[click\\]\\(https:&#8203;//evil.example\\)");
    check_escape("![x](y.png)", "\\!\\[x\\]\\(y.png\\)");
    check_escape("*a* _b_ ~~c~~ `d`", "\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\`d\\`");
    check_escape("<img src=x onerror=alert(1)> & co", "&lt;img src=x onerror=alert\\(1\\)&gt; &amp; co");
    check_escape("<https://evil.example>", "&lt;https:&#8203;//evil.example&gt;");
    check_escape("$x^2$ \\", "\\$x\\^2\\$ \\\\");
}

static void test_escape_mentions_emoji_bare_links(void **state)
{
    (void)state;
    check_escape("ping @octo-org/security and @bob", "ping @&#8203;octo-org/security and @&#8203;bob");
    check_escape(":white_check_mark: passed", ":&#8203;white\\_check\\_mark: passed");
    check_escape("see www.evil.example or WWW.x.y", "see www&#8203;.evil.example or WWW&#8203;.x.y");
    check_escape("mail a@b.example", "mail a@&#8203;b.example");
    /* Times, versions and issue numbers stay as they are. */
    check_escape("at 14:00, v2.4.0, #4402", "at 14:00, v2.4.0, \\#4402");
}

static void test_escape_table_cells_and_lines(void **state)
{
    (void)state;
    check_escape("a | b\nc\r\nd\re", "a \\| b c d e");
    check_escape("\x1b[31mred\x1b[0m \xc2\x9b" "2J \xe2\x80\xae", "\\\\x1b\\[31mred\\\\x1b\\[0m \\\\u009b2J \\\\u202e");
    check_escape("::error::x ##[error]y ##vso[task.setvariable]z",
                 "::&#8203;error::&#8203;x \\# \\#\\[error\\]y \\# \\#vso\\[task.setvariable\\]z");
}

static void test_code_span_fence(void **state)
{
    (void)state;
    check_code("ci-passing", 0, "`ci-passing`");
    check_code("a`b", 0, "``a`b``");
    check_code("`x``", 0, "``` `x`` ```");
    check_code("a|b", 1, "`a\\|b`");
    check_code("a|b", 0, "`a|b`");
    check_code("x\ny ##[error]", 0, "`x y # #[error]`");
}

#define check_tree(sec, want) check_str((sec).body, (sec).tree_len, (want))

static void test_tree_holds_subsections(void **state)
{
    (void)state;
    /* Keep a Changelog: a version's entry is its subsections */
    found f = scan("# Changelog\n## [1.2.0]\n### Added\n- x\n### Fixed\n- y\n## [1.1.0]\n- z\n");
    assert_int_equal(f.n, 5);
    check_body(f.s[1], "");
    check_tree(f.s[1], "### Added\n- x\n### Fixed\n- y\n");
    check_tree(f.s[2], "- x\n");
    check_tree(f.s[3], "- y\n");
    check_tree(f.s[4], "- z\n");
    check_tree(f.s[0], "## [1.2.0]\n### Added\n- x\n### Fixed\n- y\n## [1.1.0]\n- z\n");
}

static void test_tree_stops_at_same_or_higher_level(void **state)
{
    (void)state;
    found f = scan("## A\na\n#### deep\nd\n### mid\nm\n# top\nt\n");
    assert_int_equal(f.n, 4);
    check_tree(f.s[0], "a\n#### deep\nd\n### mid\nm\n");
    check_tree(f.s[1], "d\n");          /* a ### is higher than #### */
    check_tree(f.s[2], "m\n");
    check_tree(f.s[3], "t\n");
}

static void test_setext_headings(void **state)
{
    (void)state;
    found f = scan("Title\n=====\nintro\n\nMigration steps\n---\n1. run it\n");
    assert_int_equal(f.n, 2);
    assert_int_equal(f.s[0].level, 1);
    assert_int_equal(f.s[0].line, 1);
    check_title(f.s[0], "Title");
    check_body(f.s[0], "intro\n\n");
    check_tree(f.s[0], "intro\n\nMigration steps\n---\n1. run it\n");
    assert_int_equal(f.s[1].level, 2);
    assert_int_equal(f.s[1].line, 5);
    check_title(f.s[1], "Migration steps");
    check_body(f.s[1], "1. run it\n");
}

static void test_setext_needs_paragraph_text(void **state)
{
    (void)state;
    /* a thematic break after a blank line, a list item or a heading; a fence's content */
    assert_int_equal(scan("\n---\n").n, 0);
    assert_int_equal(scan("- item\n---\n").n, 0);
    assert_int_equal(scan("1. item\n---\n").n, 0);
    assert_int_equal(scan("> quote\n===\n").n, 0);
    assert_int_equal(scan("| a |\n---\n").n, 0);
    assert_int_equal(scan("```\ntext\n---\n```\n").n, 0);
    assert_int_equal(scan("# H\n---\n").n, 1);
    assert_int_equal(scan("text\n--- x\n").n, 0);
}

/* ---- HTML blocks (F05) ----------------------------------------------------------------- */

static void test_html_comment_hides_headings(void **state)
{
    (void)state;
    found f = scan("# A\n<!--\n## Migration steps\n\n1. TODO\n-->\n# B\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "A");
    check_body(f.s[0], "<!--\n## Migration steps\n\n1. TODO\n-->\n");
    check_title(f.s[1], "B");
    assert_int_equal(f.s[1].line, 7);
    /* the end marker anywhere on a line ends the block, text after it included */
    f = scan("<!-- a\n# no\nb --> x\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    /* one line: the block ends where it starts; "<!-->" is a whole comment */
    f = scan("<!-- note -->\n# yes\n<!-->\n# also\n");
    assert_int_equal(f.n, 2);
    /* a setext heading inside is none either */
    f = scan("<!--\nTitle\n=====\n-->\n");
    assert_int_equal(f.n, 0);
    /* indented up to 3 spaces; 4 is indented code, not a comment */
    f = scan("   <!--\n# no\n-->\n    <!--\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_html_unclosed_runs_to_end(void **state)
{
    (void)state;
    found f = scan("# A\n<!--\n# no\n\n# still no\n");
    assert_int_equal(f.n, 1);
    check_body(f.s[0], "<!--\n# no\n\n# still no\n");
}

static void test_html_raw_blocks_hide_headings(void **state)
{
    (void)state;
    /* kind 1: <pre>, <script>, <style>, <textarea>, to any of their end tags, blank lines and all */
    found f = scan("<pre>\n# no\n\n# no\n</pre>\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("<SCRIPT type=\"x\">\n# no\n</Script>\n<style\n# no\n</textarea>\n<textarea>\n# no\n</pre>\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("<script>x</script>\n# yes\n");
    assert_int_equal(f.n, 1);
    /* "<prefix>" opens no such block; "</pre>" alone on its line is kind 7, as cmark
     * and GitHub read it (the spec leaves the four names out of kind 7) */
    f = scan("<prefix>\n\n# yes\n</pre>\n# no\n\n# also\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[1], "also");
    /* kinds 3, 4, 5: processing instruction, declaration, CDATA */
    f = scan("<?php\n# no\n?>\n<!DOCTYPE\n# no\n>\n<![CDATA[\n# no\n\n# no\n]]>\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    assert_int_equal(f.s[0].line, 12);
}

static void test_html_blocks_end_at_blank_line(void **state)
{
    (void)state;
    /* kind 6 (a block tag), even in a paragraph, and kind 7 (any complete tag) run to a
     * blank line: a heading line inside is raw HTML */
    found f = scan("<div>\n# no\n</div>\n\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("<details><summary>x</summary>\n## no\n\n## yes\n</details>\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("text\n</DIV>\n# no\n\n# yes\n");
    assert_int_equal(f.n, 1);
    f = scan("<span class=\"a\" hidden>\n# no\n\n</x-y>\n# no\n\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    /* kind 7 cannot interrupt a paragraph, and needs the whole tag alone on its line */
    f = scan("text\n<span>\n# yes\n");
    assert_int_equal(f.n, 1);
    f = scan("<span>text</span>\n# yes\n<a href=\"x>\n# also\n");
    assert_int_equal(f.n, 2);
}

static void test_html_blocks_in_containers(void **state)
{
    (void)state;
    /* opened inside a list item or a quote, a comment or fence runs to its own end... */
    found f = scan("- <!--\n  ## no\n\n  ## no\n  -->\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("> ```\n> # no\n> ```\n# yes\n");
    assert_int_equal(f.n, 1);
    /* ...or to the end of its container: a line not indented into the list item, a line
     * (blank too) without '>' */
    f = scan("- ```\n<span>x</span>\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
    f = scan("> <!--\n# yes\n-->\n");
    assert_int_equal(f.n, 1);
    f = scan("> ```\n\n# yes\n");
    assert_int_equal(f.n, 1);
    f = scan("  indented\n> ```\n</div>\n- item\n---\n````\n   ### no\n");
    assert_int_equal(f.n, 0); /* the quote ends at </div>, which opens an HTML block */
    /* a comment on a list item's continuation line is in the item, and ends with it:
     * "## h" is not indented into the item, so it is a heading (as cmark reads it) */
    f = scan("1. item\n   <!--\n   ## no\n## h\n-->\n# yes\n");
    assert_int_equal(f.n, 2);
    check_title(f.s[0], "h");
    f = scan("- item\n    <!--\n  ## no\n<textarea>\n");
    assert_int_equal(f.n, 0);
    /* a lazy line of an item's paragraph is no kind-7 HTML block */
    f = scan("* item\n</textarea>\n# A\n<!--\n\n   ### no\n-->\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "A");
    /* a top-level fence is not closed by a fence behind a list marker */
    f = scan("```\n- ```\n# no\n```\n# yes\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "yes");
}

static void test_html_in_code_is_code(void **state)
{
    (void)state;
    found f = scan("```\n<!--\n```\n# yes\n");
    assert_int_equal(f.n, 1);
    f = scan("    <!--\n# yes\n");
    assert_int_equal(f.n, 1);
    /* and a fence inside a comment opens nothing */
    f = scan("<!--\n```\n-->\n# yes\n");
    assert_int_equal(f.n, 1);
}

static void test_setext_lazy_continuation(void **state)
{
    (void)state;
    /* "A" continues the list item's (or quote's) paragraph: the line under it is a
     * thematic break, not an underline */
    assert_int_equal(scan("- item\nA\n---\n").n, 0);
    assert_int_equal(scan("> quote\nA\n---\n").n, 0);
    assert_int_equal(scan("1. item\nA\nB\n===\n").n, 0);
    /* after a blank line it is a paragraph of its own */
    found f = scan("- item\n\nA\n---\n");
    assert_int_equal(f.n, 1);
    check_title(f.s[0], "A");
    /* a thematic break is no paragraph text */
    assert_int_equal(scan("***\n---\n").n, 0);
    assert_int_equal(scan("- a\n---\n---\n").n, 0);
}

static void test_setext_multiline_title(void **state)
{
    (void)state;
    found f = scan("# A\nFoo\nbar\n---\nbody\n");
    assert_int_equal(f.n, 2);
    check_body(f.s[0], "");
    check_title(f.s[1], "Foo\nbar");
    assert_int_equal(f.s[1].line, 2);
    check_body(f.s[1], "body\n");
    /* a paragraph holding a line that cannot be a heading's text is none */
    assert_int_equal(scan("Foo\n| x |\n---\n").n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_one_to_six),
        cmocka_unit_test(test_seven_hashes_not_heading),
        cmocka_unit_test(test_hashtag_not_heading),
        cmocka_unit_test(test_escaped_hash_not_heading),
        cmocka_unit_test(test_empty_headings),
        cmocka_unit_test(test_closing_sequence_removed),
        cmocka_unit_test(test_closing_hash_kept_without_space),
        cmocka_unit_test(test_title_trimmed),
        cmocka_unit_test(test_indentation),
        cmocka_unit_test(test_title_points_into_text),
        cmocka_unit_test(test_body_ranges),
        cmocka_unit_test(test_tree_holds_subsections),
        cmocka_unit_test(test_tree_stops_at_same_or_higher_level),
        cmocka_unit_test(test_setext_headings),
        cmocka_unit_test(test_setext_needs_paragraph_text),
        cmocka_unit_test(test_body_stops_at_deeper_heading),
        cmocka_unit_test(test_body_at_end_of_text),
        cmocka_unit_test(test_adjacent_headings_have_empty_body),
        cmocka_unit_test(test_text_before_first_heading_ignored),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_backtick_fence_hides_headings),
        cmocka_unit_test(test_tilde_fence_hides_headings),
        cmocka_unit_test(test_fence_closed_by_same_or_longer),
        cmocka_unit_test(test_fence_not_closed_by_other_char),
        cmocka_unit_test(test_unclosed_fence_runs_to_end),
        cmocka_unit_test(test_fence_info_string),
        cmocka_unit_test(test_inline_backticks_not_fence),
        cmocka_unit_test(test_indented_fences),
        cmocka_unit_test(test_setext_read),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_length_respected),
        cmocka_unit_test(test_early_stop),
        cmocka_unit_test(test_stop_on_last_section),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_is_blank_whitespace),
        cmocka_unit_test(test_is_blank_comments),
        cmocka_unit_test(test_is_blank_link_definitions_and_named_references),
        cmocka_unit_test(test_is_blank_rejects_text_and_broken_comments),
        cmocka_unit_test(test_is_blank_unicode_space_and_invisible),
        cmocka_unit_test(test_is_blank_space_entities),
        cmocka_unit_test(test_is_blank_hidden_html),
        cmocka_unit_test(test_is_blank_length_respected),
        cmocka_unit_test(test_html_comment_hides_headings),
        cmocka_unit_test(test_html_unclosed_runs_to_end),
        cmocka_unit_test(test_html_raw_blocks_hide_headings),
        cmocka_unit_test(test_html_blocks_end_at_blank_line),
        cmocka_unit_test(test_html_blocks_in_containers),
        cmocka_unit_test(test_html_in_code_is_code),
        cmocka_unit_test(test_setext_lazy_continuation),
        cmocka_unit_test(test_setext_multiline_title),
        cmocka_unit_test(test_title_matches_exact_and_case),
        cmocka_unit_test(test_title_matches_whitespace),
        cmocka_unit_test(test_title_matches_parenthetical),
        cmocka_unit_test(test_title_matches_trailing_colon),
        cmocka_unit_test(test_title_matches_whole_parenthetical_kept),
        cmocka_unit_test(test_title_matches_length_respected),
        cmocka_unit_test(test_escape_links_images_emphasis_html),
        cmocka_unit_test(test_escape_mentions_emoji_bare_links),
        cmocka_unit_test(test_escape_table_cells_and_lines),
        cmocka_unit_test(test_code_span_fence),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
