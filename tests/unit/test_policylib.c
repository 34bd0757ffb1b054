/* Unit tests for core/policylib.c: the library every policy sees (find, filter,
 * semver, time, markdown, approvals, evidence), run from real policies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "decision.h"
#include "policy.h"
#include "rgtest.h"

#ifndef RG_TEST_DATA
#define RG_TEST_DATA "tests/data"
#endif
#define UNIT_DATA RG_TEST_DATA "/../unit/data"

#define NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture fixture;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file
#define child_defaults rgt_child_defaults

static const char context_json[] =
    "{\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\", \"author\": \"dlee\"},\n"
    " \"approvals\": [\n"
    "   {\"user\": \"mkhan\", \"role\": \"release-manager\", \"state\": \"approved\", \"at\": \"2025-06-10T08:12:40Z\"},\n"
    "   {\"user\": \"dlee\", \"role\": \"release-manager\", \"state\": \"approved\"},\n"
    "   {\"user\": \"bo\", \"role\": \"qa\", \"state\": \"pending\"},\n"
    "   {\"user\": \"\", \"role\": \"qa\", \"state\": \"approved\"},\n"
    "   {\"role\": \"qa\", \"state\": \"approved\"},\n"
    "   \"garbage\",\n"
    "   {\"user\": \"cy\", \"role\": \"qa\", \"state\": \"approved\"},\n"
    "   {\"user\": \"ed\", \"role\": \"release-manager\", \"state\": \"APPROVED\"},\n"
    "   {\"user\": \"fay\", \"role\": \"security\", \"state\": \"approved\"}\n"
    " ],\n"
    " \"evidence\": {\"notes\": \"RELEASE_NOTES.md\", \"eleven\": \"eleven.txt\", \"missing\": \"gone.md\",\n"
    "   \"dir\": \"reports\", \"binary\": \"binary.dat\", \"secret\": \"secret-link.txt\",\n"
    "   \"dangling\": \"dangling.md\"}}\n";

static int setup(void **state)
{
    fixture *f;
    char target[PATH_MAX + 32];
    if (rgt_setup(state, "rg-lib", "rg-lib-outside") != 0)
        return -1;
    f = *state;
    put_file(f, "ctx.json", context_json);
    rgt_copy(f->path, "RELEASE_NOTES.md", UNIT_DATA "/RELEASE_NOTES.md");
    put_file(f, "eleven.txt", "0123456789A");
    put_file(f, "reports/scan.json", "{}");
    rgt_write(f->path, "binary.dat", "ok\xff\xfe\x00z", 6);
    snprintf(target, sizeof target, "%s/secret.txt", f->outside);
    rgt_write(NULL, target, "top secret", 10);
    if (symlink(target, at(f, "secret-link.txt")) != 0 || symlink("nowhere.md", at(f, "dangling.md")) != 0) {
        rgt_teardown(state);
        return -1;
    }
    return 0;
}

/* Evaluate policy TEXT against ctx.json; NULL with f->err filled on error. */
static rg_decision *evaluate(fixture *f, const char *text)
{
    rg_error_clear(&f->err);
    rg_policy_free(f->pol);
    f->pol = rgt_load_policy(f->path, "policy.lua", text, &f->limits, NOW, &f->err);
    if (!f->pol)
        return NULL;
    if (!f->ctx && !(f->ctx = rg_context_load(at(f, "ctx.json"), NULL, &f->err)))
        fail_msg("context refused: %s", f->err.message);
    rg_decision_free(f->d);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    return f->d;
}

/* Run BODY (Lua statements ending in "return { ... }") as a check and return the
 * table it returned, as compact JSON (static buffer). */
static const char *run(fixture *f, const char *body)
{
    static char buf[8192];
    char text[8192], *printed;
    fmt(text, sizeof text, "requirement \"lib\" { title = \"L\", check = function(ctx)\n"
                           "  local out = (function()\n%s\n  end)()\n"
                           "  return pass('ok', out)\nend }\n", body);
    if (!evaluate(f, text))
        fail_msg("evaluation failed: %s", f->err.message);
    printed = cJSON_PrintUnformatted(f->d->results[0].details);
    fmt(buf, sizeof buf, "%s", printed);
    free(printed);
    return buf;
}

/* BODY raises an error of KIND whose message contains WHAT. */
static void run_fails(fixture *f, const char *body, rg_error_kind kind, const char *what)
{
    char text[8192];
    fmt(text, sizeof text, "requirement \"lib\" { title = \"L\", check = function(ctx)\n%s\nend }\n", body);
    if (evaluate(f, text))
        fail_msg("evaluation succeeded, expected: %s", what);
    if (f->err.kind != kind)
        fail_msg("kind %s, expected %s: %s", rg_error_kind_name(f->err.kind), rg_error_kind_name(kind),
                 f->err.message);
    assert_contains(f->err.message, what);
}

#define expect(f, body, want) assert_string_equal(run(f, body), want)

/* ---- find and filter --------------------------------------------------------------- */

static void test_find(void **state)
{
    fixture *f = *state;
    expect(f, "local list = { 3, 8, 5, 10 }\n"
              "return { first = find(list, function(x) return x > 4 end),\n"
              "  none = find(list, function(x) return x > 100 end) == nil,\n"
              "  nil_list = find(nil, function() return true end) == nil,\n"
              "  empty = find({}, function() return true end) == nil }",
           "{\"empty\":true,\"first\":8,\"nil_list\":true,\"none\":true}");
}

static void test_find_over_context(void **state)
{
    fixture *f = *state;
    expect(f, "local a = find(ctx.approvals, function(a) return type(a) == 'table' and a.role == 'qa' end)\n"
              "return { user = a.user, state = a.state }",
           "{\"state\":\"pending\",\"user\":\"bo\"}");
}

static void test_filter(void **state)
{
    fixture *f = *state;
    expect(f, "return { odd = filter({ 1, 2, 3, 4, 5 }, function(x) return x % 2 == 1 end),\n"
              "  none = filter({ 1, 2 }, function() return false end),\n"
              "  nil_list = filter(nil, function() return true end),\n"
              "  roles = #filter(ctx.approvals, function(a) return type(a) == 'table' and a.role == 'release-manager' end) }",
           "{\"nil_list\":[],\"none\":[],\"odd\":[1,3,5],\"roles\":3}");
}

static void test_find_filter_argument_errors(void **state)
{
    fixture *f = *state;
    run_fails(f, "return pass('x', { v = find({ 1 }, 'not a function') })", RG_ERROR_POLICY,
              "bad argument #2 to 'find'");
    run_fails(f, "return pass('x', { v = filter(42, function() end) })", RG_ERROR_POLICY,
              "bad argument #1 to 'filter'");
}

/* Lua functions ignore extra arguments; filter must too. */
static void test_filter_ignores_extra_table_argument(void **state)
{
    fixture *f = *state;
    expect(f, "local extra = {}\n"
              "return { kept = filter({ 1, 2, 3 }, function(x) return x > 1 end, extra), extra = #extra }",
           "{\"extra\":0,\"kept\":[2,3]}");
}

/* An extra non-table argument must not make filter write through it as if it were
 * a table (memory corruption inside the sandbox).  Run in a child: a crash fails
 * this test without taking the others down. */
static void test_filter_extra_argument_cannot_corrupt_memory(void **state)
{
    fixture *f = *state;
    pid_t pid;
    int status = 0;
    put_file(f, "crash.lua", "requirement \"c\" { title = \"C\", check = function(ctx)\n"
                             "  local kept = filter({ 1, 2, 3 }, function(x) return true end, 12345)\n"
                             "  return pass('ok', { n = #kept })\nend }\n");
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_defaults();
        rg_error err = {0};
        rg_policy *pol = rg_policy_load(at(f, "crash.lua"), NULL, NOW, &err);
        rg_context *ctx = pol ? rg_context_load(at(f, "ctx.json"), NULL, &err) : NULL;
        rg_decision *d = ctx ? rg_evaluate(pol, ctx, &err) : NULL;
        int ok = d && d->count == 1 && cJSON_GetObjectItemCaseSensitive(d->results[0].details, "n") &&
                 cJSON_GetObjectItemCaseSensitive(d->results[0].details, "n")->valueint == 3;
        _exit(ok ? 0 : 3);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("filter with an extra number argument killed the engine with signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- semver ---------------------------------------------------------------------------- */

static void test_semver_parse(void **state)
{
    fixture *f = *state;
    expect(f, "local v = semver.parse('1.22.333-rc.1+build.5')\n"
              "local w = semver.parse('2.0.0')\n"
              "return { v = v, plain_pre = w.prerelease == nil, plain_build = w.build == nil }",
           "{\"plain_build\":true,\"plain_pre\":true,\"v\":{\"build\":\"build.5\",\"major\":1,\"minor\":22,"
           "\"patch\":333,\"prerelease\":\"rc.1\"}}");
}

static void test_semver_parse_invalid(void **state)
{
    fixture *f = *state;
    expect(f, "local v, why = semver.parse('v1.2.3')\nreturn { v = v == nil, why = why:match('^[^:]*') }",
           "{\"v\":true,\"why\":\"'v1.2.3' is not a SemVer version\"}");
}

static void test_semver_valid(void **state)
{
    fixture *f = *state;
    expect(f, "return { v = { semver.valid('1.0.0'), semver.valid('1.0.0-alpha+001'), semver.valid('1.0'),\n"
              "  semver.valid('01.0.0'), semver.valid(100), semver.valid(nil), semver.valid('') } }",
           "{\"v\":[true,true,false,false,false,false,false]}");
}

static void test_semver_compare(void **state)
{
    fixture *f = *state;
    expect(f, "return { lt = semver.compare('1.2.3', '1.10.0'), eq = semver.compare('1.0.0+a', '1.0.0+b'),\n"
              "  gt = semver.compare('2.0.0', '2.0.0-rc.1'), pre = semver.compare('1.0.0-alpha', '1.0.0-alpha.1'),\n"
              "  num = semver.compare('1.0.0-rc.2', '1.0.0-rc.10') }",
           "{\"eq\":0,\"gt\":1,\"lt\":-1,\"num\":-1,\"pre\":-1}");
}

static void test_semver_compare_invalid_raises(void **state)
{
    fixture *f = *state;
    run_fails(f, "return pass('x', { c = semver.compare('1.0.0', 'latest') })", RG_ERROR_POLICY,
              "'latest' is not a SemVer version");
}

static void test_semver_bump(void **state)
{
    fixture *f = *state;
    expect(f, "return { major = semver.bump('1.2.3', '2.0.0'), minor = semver.bump('1.2.3', '1.3.0'),\n"
              "  patch = semver.bump('1.2.3', '1.2.4'), pre = semver.bump('1.2.3-rc.1', '1.2.3'),\n"
              "  none = semver.bump('1.2.3', '1.2.3+build'), down = semver.bump('1.2.3', '1.2.2'),\n"
              "  jump = semver.bump('1.2.3', '2.0.5') }",
           "{\"down\":\"downgrade\",\"jump\":\"major\",\"major\":\"major\",\"minor\":\"minor\",\"none\":\"none\","
           "\"patch\":\"patch\",\"pre\":\"prerelease\"}");
}

static void test_semver_bump_invalid(void **state)
{
    fixture *f = *state;
    expect(f, "local b, why = semver.bump('1.2.3', '1.2')\nreturn { b = b == nil, why = why:match('^[^:]*') }",
           "{\"b\":true,\"why\":\"'1.2' is not a SemVer version\"}");
}

/* ---- time ---------------------------------------------------------------------------- */

static void test_time_now(void **state)
{
    fixture *f = *state;
    expect(f, "return { now = time.now(), same = time.now() == ctx.now }", "{\"now\":1750000000,\"same\":true}");
}

static void test_time_parse(void **state)
{
    fixture *f = *state;
    expect(f, "return { z = time.parse('2025-06-10T13:00:00Z'), off = time.parse('2025-06-10T15:00:00+02:00'),\n"
              "  frac = time.parse('2025-06-10T13:00:00.999Z'), epoch = time.parse('1970-01-01T00:00:00Z') }",
           "{\"epoch\":0,\"frac\":1749560400,\"off\":1749560400,\"z\":1749560400}");
}

static void test_time_parse_invalid(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why_a = time.parse('2025-06-10 13:00:00Z')\n"
              "local b, why_b = time.parse(1749560400)\n"
              "return { a = a == nil, why_a = why_a:match(\"^'[^']*' is not an RFC 3339 time\") ~= nil,\n"
              "  b = b == nil, why_b = why_b }",
           "{\"a\":true,\"b\":true,\"why_a\":true,\"why_b\":\"expected an RFC 3339 time string, got number\"}");
}

static void test_time_format(void **state)
{
    fixture *f = *state;
    expect(f, "return { epoch = time.format(0), now = time.format(time.now()),\n"
              "  round = time.format(time.parse('2024-02-29T23:59:59Z')) }",
           "{\"epoch\":\"1970-01-01T00:00:00Z\",\"now\":\"2025-06-15T15:06:40Z\",\"round\":\"2024-02-29T23:59:59Z\"}");
}

static void test_time_localtime(void **state)
{
    fixture *f = *state;
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
        skip();   /* tzdata is not installed */
    /* summer (CEST, +2), winter (CET, +1), and across the spring-forward night */
    expect(f, "local s = time.localtime(time.parse('2025-06-10T14:00:00Z'), 'Europe/Berlin')\n"
              "local w = time.localtime(time.parse('2025-01-10T14:00:00Z'), 'Europe/Berlin')\n"
              "local b = time.localtime(time.parse('2025-03-30T00:59:59Z'), 'Europe/Berlin')\n"
              "local a = time.localtime(time.parse('2025-03-30T01:00:00Z'), 'Europe/Berlin')\n"
              "return { s = string.format('%d-%02d-%02d %02d:%02d %s %d %s %d', s.year, s.month, s.day, s.hour, s.min,"
              " s.zone, s.offset, s.weekday, s.wday),\n"
              "  w = string.format('%02d:%02d %s %s', w.hour, w.min, w.zone, tostring(w.isdst)),\n"
              "  b = string.format('%02d:%02d:%02d', b.hour, b.min, b.sec), a = string.format('%02d:%02d', a.hour, a.min) }",
           "{\"a\":\"03:00\",\"b\":\"01:59:59\",\"s\":\"2025-06-10 16:00 CEST 7200 tue 2\",\"w\":\"15:00 CET false\"}");
}

static void test_time_localtime_refuses_unknown_zones(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why_a = time.localtime(0, 'Mars/Olympus')\n"
              "local b, why_b = time.localtime(0, '../../etc/passwd')\n"
              "local c, why_c = time.localtime(0, '/etc/localtime')\n"
              /* files of the database's folder that are not zones (the C library would take
               * them for UTC), and the machine's own zone (hostile round 16, F03) */
              "local d = time.localtime(0, 'zone.tab')\n"
              "local e = time.localtime(0, 'localtime')\n"
              "local g = time.in_window(0, 'tzdata.zi', { days = { 'thu' }, from = '00:00', to = '23:59' })\n"
              "return { a = a == nil and why_a:find('zone database') ~= nil, b = b == nil and why_b:find('not a time zone name') ~= nil,"
              " c = c == nil, d = d == nil, e = e == nil, g = g == nil }",
           "{\"a\":true,\"b\":true,\"c\":true,\"d\":true,\"e\":true,\"g\":true}");
}

static void test_time_in_window(void **state)
{
    fixture *f = *state;
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
        skip();
    /* Tuesday 2025-06-10 14:00Z is 16:00 in Berlin; 2025-01-14 is a Tuesday in winter */
    expect(f, "local W = { days = { 'mon', 'tue', 'wed', 'thu' }, from = '09:00', to = '16:00' }\n"
              "local function at(s) return time.in_window(time.parse(s), 'Europe/Berlin', W) end\n"
              "local bad, why = time.in_window(0, 'Europe/Berlin', { from = '17:00', to = '09:00' })\n"
              "local baddays, why2 = time.in_window(0, 'Europe/Berlin', { days = { 'monday' }, from = '09:00', to = '17:00' })\n"
              "return { summer_end = at('2025-06-10T14:00:00Z'), summer_in = at('2025-06-10T13:59:00Z'),\n"
              "  winter_in = at('2025-01-14T14:59:00Z'), winter_end = at('2025-01-14T15:00:00Z'),\n"
              "  friday = at('2025-06-13T10:00:00Z'), bad = bad == nil and why ~= nil, baddays = baddays == nil and why2 ~= nil }",
           "{\"bad\":true,\"baddays\":true,\"friday\":false,\"summer_end\":false,\"summer_in\":true,"
           "\"winter_end\":false,\"winter_in\":true}");
}

static void test_time_format_out_of_range(void **state)
{
    fixture *f = *state;
    run_fails(f, "return pass('x', { t = time.format(400000000000) })", RG_ERROR_POLICY,
              "time 400000000000 is outside years 0000-9999");
}

/* ---- markdown ------------------------------------------------------------------------------ */

static void test_markdown_sections(void **state)
{
    fixture *f = *state;
    expect(f, "local text = evidence.read('notes')\n"
              "local titles, levels, lines = {}, {}, {}\n"
              "for i, s in ipairs(markdown.sections(text)) do titles[i] = s.title levels[i] = s.level lines[i] = s.line end\n"
              "return { titles = titles, levels = levels, lines = lines }",
           "{\"levels\":[1,2,2,2,2,2],\"lines\":[1,3,7,11,15,19],\"titles\":[\"payments-api 2.4.0\",\"Date\","
           "\"Summary\",\"Notable changes\",\"Migration steps (if any)\",\"Known issues\"]}");
}

/* ---- json.type and JSON arrays ------------------------------------------------------ */

static void test_json_type(void **state)
{
    fixture *f = *state;
    expect(f, "local d = json.decode('{\"o\":{},\"a\":[],\"s\":\"x\",\"n\":1.5,\"b\":false,\"z\":null,'\n"
              "  .. '\"arr\":[1,null,3,null],\"nested\":[{\"k\":[]}]}')\n"
              "return { o = json.type(d.o), a = json.type(d.a), s = json.type(d.s), n = json.type(d.n),\n"
              "  b = json.type(d.b), z = json.type(d.z), root = json.type(d), arr_len = #d.arr,\n"
              "  third = d.arr[3], inner = json.type(d.nested[1].k), mine = json.type({}),\n"
              "  release = json.type(ctx.release), approvals = json.type(ctx.approvals),\n"
              "  approvals_len = #ctx.approvals, scalar = json.type(json.decode('7')) }",
           "{\"a\":\"array\",\"approvals\":\"array\",\"approvals_len\":9,\"arr_len\":4,\"b\":\"boolean\","
           "\"inner\":\"array\",\"mine\":\"table\",\"n\":\"number\",\"o\":\"object\",\"release\":\"object\","
           "\"root\":\"object\",\"s\":\"string\",\"scalar\":\"number\",\"third\":3,\"z\":\"null\"}");
}

/* json.key_distance is the engine's misspelling rule (rg_name_distance), not a copy:
 * case and '-' for '_' free, a swap one edit, nothing for what is not a name. */
static void test_json_key_distance(void **state)
{
    fixture *f = *state;
    expect(f, "return { same = json.key_distance('Data-Migrations', 'data_migrations'),\n"
              "  swap = json.key_distance('stgae', 'stage'), two = json.key_distance('sgate', 'stage'),\n"
              "  far = json.key_distance('severity', 'stage'), long = json.key_distance(string.rep('a', 65), 'a'),\n"
              "  at_limit = json.key_distance(string.rep('a', 64), string.rep('a', 63)),\n"
              "  number = json.key_distance(5, 'stage'), nul = json.key_distance('sta\\0ge', 'stage') == nil }",
           "{\"at_limit\":1,\"far\":7,\"nul\":true,\"same\":0,\"swap\":1,\"two\":2}");
}

/* JSON read from the context or json.decode goes back into details as it was: {} stays
 * an object (not the empty list an empty table would be), and nulls in arrays stay. */
static void test_json_round_trip_in_details(void **state)
{
    fixture *f = *state;
    expect(f, "local d = json.decode('{\"e\":{},\"l\":[],\"n\":[1,null,3,null],\"o\":{\"k\":[{}]}}')\n"
              "return { doc = d, release = ctx.release }",
           "{\"doc\":{\"e\":{},\"l\":[],\"n\":[1,null,3,null],\"o\":{\"k\":[{}]}},"
           "\"release\":{\"author\":\"dlee\",\"name\":\"payments\",\"type\":\"minor\",\"version\":\"2.4.0\"}}");
}

static void test_markdown_section(void **state)
{
    fixture *f = *state;
    expect(f, "local text = evidence.read('notes')\n"
              "local s = markdown.section(text, 'summary')\n"
              "local m = markdown.section(text, 'Migration steps')\n"
              "return { body = s.body, level = s.level, migration_blank = markdown.is_blank(m.body),\n"
              "  missing = markdown.section(text, 'Rollback') == nil,\n"
              "  known_blank = markdown.is_blank(markdown.section(text, 'known issues').body) }",
           "{\"body\":\"\\nPartial refunds for card payments.\\n\\n\",\"known_blank\":true,\"level\":2,"
           "\"migration_blank\":true,\"missing\":true}");
}

static void test_markdown_is_blank(void **state)
{
    fixture *f = *state;
    expect(f, "return { v = { markdown.is_blank(''), markdown.is_blank('  \\n\\t'), markdown.is_blank('<!-- todo -->\\n'),\n"
              "  markdown.is_blank(nil), markdown.is_blank('text'), markdown.is_blank('<!-- a --> b') } }",
           "{\"v\":[true,true,true,true,false,false]}");
}

/* F05, F06 through the builtins policies call: a heading inside an HTML comment is no
 * section, and white space that renders as nothing is blank. */
static void test_markdown_what_renders(void **state)
{
    fixture *f = *state;
    expect(f, "local text = '# Notes\\n<!--\\n## Migration steps\\n1. TODO\\n-->\\n## Known issues\\n\\u{3000}\\n'\n"
              "local titles = {}\n"
              "for i, s in ipairs(markdown.sections(text)) do titles[i] = s.title end\n"
              "return { titles = titles, migration = markdown.section(text, 'Migration steps') == nil,\n"
              "  known_blank = markdown.is_blank(markdown.section(text, 'Known issues').body),\n"
              "  v = { markdown.is_blank('\\u{a0}\\n'), markdown.is_blank('\\u{feff}\\u{200b}'),\n"
              "        markdown.is_blank('&nbsp;&#160;&#xA0;'), markdown.is_blank('\\u{a0}x') } }",
           "{\"known_blank\":true,\"migration\":true,\"titles\":[\"Notes\",\"Known issues\"],"
           "\"v\":[true,true,true,false]}");
}

/* markdown.visible drops what is_blank passes over, and only that: the version in a
 * comment or a script is gone, an unterminated comment and a <pre>'s text stay. */
static void test_markdown_visible(void **state)
{
    fixture *f = *state;
    expect(f, "return { hidden = markdown.visible('a <!-- 2.4.0 --> b<!-->c<script>2.4.0</script>d'),\n"
              "  shown = markdown.visible('<pre>2.4.0</pre> <!-- 2.4.0'), empty = markdown.visible('') }",
           "{\"empty\":\"\",\"hidden\":\"a  bcd\",\"shown\":\"2.4.0 <!-- 2.4.0\"}");
    /* tags are markup: their attributes are not shown, their text is (round 41a, F09) */
    expect(f, "return { v = markdown.visible('<a title=\"2.3.8\" href=\"#\">see</a><br/><p>3.0.0</p> a<b')}",
           "{\"v\":\"see3.0.0 a<b\"}");
    /* a link reference definition, Markdown's comment, where one may start (round 41a, F09),
     * over lines (41b, F05); in a paragraph, or a fenced code block, it is text (41b, F06) */
    expect(f, "return { v = markdown.visible('Roll back.\\n\\n[//]: # (rollback target 2.3.8)\\n[a]:\\n/b\\n"
              "\\\"t\\n2\\\"\\nDone [x]: y'),\n"
              "  p = markdown.visible('Roll back to:\\n[v 2.3.8]: https://e.example/2.3.8\\n'),\n"
              "  c = markdown.visible('```\\n[v 2.3.8]: /x\\n```\\n') }",
           "{\"c\":\"```\\n[v 2.3.8]: /x\\n```\\n\",\"p\":\"Roll back to:\\n[v 2.3.8]: https://e.example/2.3.8\\n\","
           "\"v\":\"Roll back.\\n\\nDone [x]: y\"}");
}

/* ---- approvals ---------------------------------------------------------------------------- */

static void test_approvals_list(void **state)
{
    fixture *f = *state;
    /* Counted: approved, a non-empty user, not the author (dlee), exact state. */
    expect(f, "local users = {}\n"
              "for i, a in ipairs(approvals.list(ctx)) do users[i] = a.user end\n"
              "return { users = users }",
           "{\"users\":[\"mkhan\",\"cy\",\"fay\"]}");
}

static void test_approvals_by_role(void **state)
{
    fixture *f = *state;
    expect(f, "local rm, qa, none = approvals.by_role(ctx, 'release-manager'), approvals.by_role(ctx, 'qa'),\n"
              "  approvals.by_role(ctx, 'cto')\n"
              "return { rm = #rm, rm_user = rm[1].user, qa = qa[1].user, none = #none }",
           "{\"none\":0,\"qa\":\"cy\",\"rm\":1,\"rm_user\":\"mkhan\"}");
}

static void test_approvals_find(void **state)
{
    fixture *f = *state;
    expect(f, "local a = approvals.find(ctx, 'release-manager')\n"
              "return { user = a.user, at = a.at, none = approvals.find(ctx, 'cto') == nil }",
           "{\"at\":\"2025-06-10T08:12:40Z\",\"none\":true,\"user\":\"mkhan\"}");
}

static void test_approvals_self_approval_excluded(void **state)
{
    fixture *f = *state;
    /* dlee approved as release-manager, but dlee is release.author. */
    expect(f, "local found = false\n"
              "for _, a in ipairs(approvals.by_role(ctx, 'release-manager')) do if a.user == 'dlee' then found = true end end\n"
              "return { self = found }",
           "{\"self\":false}");
}

static void test_approvals_pending_excluded(void **state)
{
    fixture *f = *state;
    expect(f, "local found = false\n"
              "for _, a in ipairs(approvals.list(ctx)) do if a.user == 'bo' or a.user == 'ed' then found = true end end\n"
              "return { pending = found }",
           "{\"pending\":false}");
}

static void test_approvals_on_plain_tables(void **state)
{
    fixture *f = *state;
    expect(f, "local c = { release = {}, approvals = { { user = 'x', role = 'r', state = 'approved' } } }\n"
              "local none = { release = { author = 'x' } }\n"
              "return { n = #approvals.list(c), author = #approvals.list({ release = { author = 'x' }, approvals = c.approvals }),\n"
              "  missing = #approvals.list(none), no_release = #approvals.list({ approvals = c.approvals }),\n"
              "  find_none = approvals.find(none, 'r') == nil }",
           "{\"author\":0,\"find_none\":true,\"missing\":0,\"n\":0,\"no_release\":0}");
}

/* Approver != author compares identities: the author's approval in another spelling
 * does not count; without a usable author (missing, not a string, blank) none does. */
static void test_approvals_author_in_another_spelling(void **state)
{
    fixture *f = *state;
    expect(f, "local function n(author, user)\n"
              "  return #approvals.list({ release = { author = author },\n"
              "    approvals = { { user = user, role = 'r', state = 'approved' } } })\n"
              "end\n"
              "return { v = { n('bob', 'Bob'), n('bob', 'bob '), n('bob', '@bob'), n(' BOB\\u{3000}', 'bob'),\n"
              "  n('bob', 'b\\u{200B}ob'), n('bob', '\\u{FF42}\\u{FF4F}\\u{FF42}'), n('jose', 'Jos\\u{E9}'),\n"
              "  n('jos\\u{E9}', 'jose\\u{301}'), n(7, 'bob'), n('', 'bob'), n(' \\u{A0}', 'bob'), n({}, 'bob'),\n"
              "  n('bob', 'alice'), n('bob', 'bobby') } }",
           "{\"v\":[0,0,0,0,0,0,0,0,0,0,0,0,1,1]}");
}

static void test_approvals_identity_and_same_person(void **state)
{
    fixture *f = *state;
    expect(f, "return { id = approvals.identity('  @Mkhan\\u{2003}'), spaced = approvals.identity('Ann  \\tLee'),\n"
              "  folded = approvals.identity('\\u{C9}lodie STRA\\u{DF}E'), blank = approvals.identity(' \\u{200B} ') == nil,\n"
              "  at = approvals.identity('@') == nil, number = approvals.identity(7) == nil,\n"
              "  invalid = approvals.identity('b\\xffob') == nil,\n"
              "  same = approvals.same_person('MKhan', 'mkhan '), other = approvals.same_person('mkhan', 'rjones'),\n"
              "  unknown = approvals.same_person(nil, 'mkhan') == nil, blank_same = approvals.same_person('', '') == nil }",
           "{\"at\":true,\"blank\":true,\"blank_same\":true,\"folded\":\"elodie strasse\",\"id\":\"mkhan\","
           "\"invalid\":true,\"number\":true,\"other\":false,\"same\":true,\"spaced\":\"ann lee\",\"unknown\":true}");
}

static void test_approvals_argument_errors(void **state)
{
    fixture *f = *state;
    run_fails(f, "return pass('x', { v = approvals.list('ctx') })", RG_ERROR_POLICY,
              "bad argument #1 to 'list'");
    run_fails(f, "return pass('x', { v = approvals.find(ctx) })", RG_ERROR_POLICY, "bad argument #2 to 'find'");
}

/* ---- evidence ------------------------------------------------------------------------------ */

static void test_evidence_read(void **state)
{
    fixture *f = *state;
    expect(f, "local text = evidence.read('eleven')\nreturn { text = text, len = #text }",
           "{\"len\":11,\"text\":\"0123456789A\"}");
}

static void test_evidence_read_undeclared_and_missing(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why_a = evidence.read('rollback')\nlocal b, why_b = evidence.read('missing')\n"
              "return { a = a == nil, why_a = why_a, b = b == nil, why_b = why_b }",
           "{\"a\":true,\"b\":true,\"why_a\":\"evidence 'rollback' is not declared in the context\","
           "\"why_b\":\"evidence 'missing': gone.md does not exist\"}");
}

static void test_evidence_read_size_cap(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why = evidence.read('eleven', 10)\nlocal b = evidence.read('eleven', 11)\n"
              "return { a = a == nil, why = why:match('is larger than the limit of 10 bytes') ~= nil, b = b }",
           "{\"a\":true,\"b\":\"0123456789A\",\"why\":true}");
}

static void test_evidence_read_default_cap_from_limits(void **state)
{
    fixture *f = *state;
    f->limits.max_evidence_bytes = 10;
    /* The limit is also the most a policy may ask for. */
    expect(f, "local a, why = evidence.read('eleven')\nlocal b, why_b = evidence.read('eleven', 1000)\n"
              "return { a = a == nil, b = b == nil, why = why:match('limit of 10 bytes') ~= nil,\n"
              "  why_b = why_b:match('limit of 10 bytes') ~= nil }",
           "{\"a\":true,\"b\":true,\"why\":true,\"why_b\":true}");
}

static void test_evidence_read_directory(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why = evidence.read('dir')\nreturn { a = a == nil, why = why:match('is a directory') ~= nil }",
           "{\"a\":true,\"why\":true}");
}

/* The library promises text: a file that is not UTF-8 reads as nil, reason. */
static void test_evidence_read_not_utf8(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why = evidence.read('binary')\nreturn { refused = a == nil, reason = why ~= nil }",
           "{\"reason\":true,\"refused\":true}");
}

static void test_evidence_read_escape_stops_gate(void **state)
{
    fixture *f = *state;
    run_fails(f, "local ok, e = pcall(evidence.read, 'secret')\nreturn pass('survived')", RG_ERROR_EVIDENCE,
              "evidence 'secret': secret-link.txt resolves to");
    assert_contains(f->err.message, "outside");
    assert_string_equal(f->err.file, at(f, "policy.lua"));
    assert_int_equal(f->err.line, 2);
}

static void test_evidence_escape_not_swallowed_by_xpcall(void **state)
{
    fixture *f = *state;
    run_fails(f, "local ok = xpcall(function() return evidence.read('secret') end, function() return 'fine' end)\n"
                 "return pass('survived')", RG_ERROR_EVIDENCE, "outside");
}

static void test_evidence_path_and_exists_escape_stop_gate(void **state)
{
    fixture *f = *state;
    run_fails(f, "local p = evidence.path('secret')\nreturn pass('survived')", RG_ERROR_EVIDENCE, "outside");
    run_fails(f, "local e = evidence.exists('secret')\nreturn pass('survived')", RG_ERROR_EVIDENCE, "outside");
}

static void test_evidence_dangling_link(void **state)
{
    fixture *f = *state;
    expect(f, "local a, why = evidence.read('dangling')\nreturn { a = a == nil, why = why, exists = evidence.exists('dangling') }",
           "{\"a\":true,\"exists\":false,\"why\":\"evidence 'dangling': dangling.md is a link to missing nowhere.md\"}");
}

static void test_evidence_path(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    fmt(want, sizeof want, "{\"missing\":true,\"path\":\"%s\",\"why\":\"evidence 'missing': gone.md does not exist\"}",
        at(f, "eleven.txt"));
    expect(f, "local m, why = evidence.path('missing')\nreturn { path = evidence.path('eleven'), missing = m == nil, why = why }",
           want);
}

static void test_evidence_exists(void **state)
{
    fixture *f = *state;
    expect(f, "return { file = evidence.exists('eleven'), missing = evidence.exists('missing'),\n"
              "  undeclared = evidence.exists('nope') }",
           "{\"file\":true,\"missing\":false,\"undeclared\":false}");
}

/* "true when evidence name is declared and is a regular file" */
static void test_evidence_exists_false_for_directory(void **state)
{
    fixture *f = *state;
    expect(f, "return { dir = evidence.exists('dir') }", "{\"dir\":false}");
}

static void test_evidence_only_inside_checks(void **state)
{
    fixture *f = *state;
    assert_null(evaluate(f, "\nlocal t = evidence.read('notes')\n"
                            "requirement \"a\" { title = \"A\", check = function() return pass('x') end }\n"));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_int_equal(f->err.line, 2);
    assert_contains(f->err.message, "evidence can only be read inside a check, not while the policy loads");
}

static void test_evidence_call_names(void **state)
{
    fixture *f = *state;
    expect(f, "return { name = evidence 'ci.report_v2-x' }", "{\"name\":\"ci.report_v2-x\"}");
    run_fails(f, "local n = evidence '../x'\nreturn pass('x')", RG_ERROR_POLICY,
              "evidence name '../x' may hold only letters, digits, '_', '-' and '.'");
    run_fails(f, "local n = evidence ''\nreturn pass('x')", RG_ERROR_POLICY, "evidence name is empty");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, rgt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_find),
        T(test_find_over_context),
        T(test_filter),
        T(test_find_filter_argument_errors),
        T(test_filter_ignores_extra_table_argument),
        T(test_filter_extra_argument_cannot_corrupt_memory),
        T(test_semver_parse),
        T(test_semver_parse_invalid),
        T(test_semver_valid),
        T(test_semver_compare),
        T(test_semver_compare_invalid_raises),
        T(test_semver_bump),
        T(test_semver_bump_invalid),
        T(test_time_now),
        T(test_time_parse),
        T(test_time_parse_invalid),
        T(test_time_format),
        T(test_time_format_out_of_range),
        T(test_time_localtime),
        T(test_time_localtime_refuses_unknown_zones),
        T(test_time_in_window),
        T(test_markdown_sections),
        T(test_markdown_section),
        T(test_markdown_what_renders),
        T(test_markdown_visible),
        T(test_json_type),
        T(test_json_key_distance),
        T(test_json_round_trip_in_details),
        T(test_markdown_is_blank),
        T(test_approvals_list),
        T(test_approvals_by_role),
        T(test_approvals_find),
        T(test_approvals_self_approval_excluded),
        T(test_approvals_pending_excluded),
        T(test_approvals_on_plain_tables),
        T(test_approvals_author_in_another_spelling),
        T(test_approvals_identity_and_same_person),
        T(test_approvals_argument_errors),
        T(test_evidence_read),
        T(test_evidence_read_undeclared_and_missing),
        T(test_evidence_read_size_cap),
        T(test_evidence_read_default_cap_from_limits),
        T(test_evidence_read_directory),
        T(test_evidence_read_not_utf8),
        T(test_evidence_read_escape_stops_gate),
        T(test_evidence_escape_not_swallowed_by_xpcall),
        T(test_evidence_path_and_exists_escape_stop_gate),
        T(test_evidence_dangling_link),
        T(test_evidence_path),
        T(test_evidence_exists),
        T(test_evidence_exists_false_for_directory),
        T(test_evidence_only_inside_checks),
        T(test_evidence_call_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
