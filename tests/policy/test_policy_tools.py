#!/usr/bin/env python3
"""Policy authoring tools, end to end: `relgate test` (text, TAP and JUnit output, exit
codes, --coverage), `relgate lint` (exact file:line messages), waivers (every status),
and a team policy extending the baseline through `relgate eval`.

meson runs: python3 test_policy_tools.py RELGATE
It reuses tests/support/harness.py: every case runs in a fresh temporary directory.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import NOW, REPO, case  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
POLICIES = REPO / "policies"
EXAMPLES = REPO / "examples"


def line_of(text, needle, nth=1):
    """1-based line of the NTH line of TEXT containing NEEDLE."""
    seen = 0
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError("%r not found" % needle)


def copy_from(t, src, dest):
    """Copy SRC (a Path) to tmp/DEST."""
    return t.write(dest, Path(src).read_bytes())


# ---- relgate test ----------------------------------------------------------------------

# A small policy for the runner's own tests: alpha applies to minor and major releases
# (pre-release), beta to patch and minor ones at deploy.
TINY_POLICY = """\
policy { name = "tiny", version = "1.0.0" }

requirement "alpha" {
  title = "Alpha", hint = "Turn alpha on.",
  types = { "minor", "major" },
  check = function(ctx)
    if ctx.release.alpha == false then return fail("alpha is off", { alpha = false }) end
    return pass("alpha is on")
  end,
}

requirement "beta" {
  title = "Beta", hint = "Deploy beta.",
  types = { "patch", "minor" }, stages = { "deploy" },
  check = function(ctx) return pass("beta is fine") end,
}
"""

MINOR = '{ release = { name = "svc", version = "1.2.0", previous_version = "1.1.0", type = "minor" } }'
MINOR_OFF = '{ release = { name = "svc", version = "1.2.0", type = "minor", alpha = false } }'

PASSING_TESTS = """\
test "alpha passes" {
  policy = "tiny.lua", now = "2025-06-10T14:00:00Z",
  context = %s,
  expect = { decision = "allow", requirements = { alpha = "pass", beta = "absent" },
             messages = { alpha = "alpha is on" } },
}

test "alpha fails" {
  policy = "tiny.lua",
  context = %s,
  expect = { decision = "deny", requirements = { alpha = "fail" } },
}
""" % (MINOR, MINOR_OFF)

FAILING_TESTS = """\
test "right" {
  policy = "tiny.lua",
  context = %s,
  expect = { decision = "allow" },
}

test "wrong" {
  policy = "tiny.lua",
  context = %s,
  expect = { decision = "allow", requirements = { alpha = "pass", beta = "pass" },
             messages = { alpha = "is on" } },
}
""" % (MINOR, MINOR_OFF)

# One test that cannot run for each reason relgate test knows.
BROKEN_TESTS = {
    "missing policy": ('policy = "no-such-policy.lua", context = %s' % MINOR,
                       "could not run: cannot open policy no-such-policy.lua: No such file or directory"),
    "bad context": ('policy = "tiny.lua", context = { release = { name = "svc", version = "v1.2.0", type = "minor" } }',
                    "could not run: broken_test.lua:%d: release.version \"v1.2.0\" is not a SemVer 2.0.0 version"),
    "context file missing": ('policy = "tiny.lua", context = "no-such-context.json"',
                             "could not run: cannot open context no-such-context.json"),
    "bad now": ('policy = "tiny.lua", now = "yesterday", context = %s' % MINOR,
                "could not run: now 'yesterday' is not an RFC 3339 time"),
    "bad stage": ('policy = "tiny.lua", stage = "production", context = %s' % MINOR,
                  "could not run: stage 'production' is not pre-release, deploy or post-deploy"),
    "bad type": ('policy = "tiny.lua", type = "hotfix", context = %s' % MINOR,
                 "could not run: type 'hotfix' is not patch, minor or major"),
    "no context": ('policy = "tiny.lua"', "could not run: the test gives no context (a table, or a file name)"),
}


def tiny(t, tests, name="tiny_test.lua"):
    t.write("tiny.lua", TINY_POLICY)
    t.write(name, tests)
    return name


@case("relgate test: text, one line per test, exit 0 when all pass")
def _(t):
    f = tiny(t, PASSING_TESTS)
    res = t.run("test", f)
    t.expect_exit(res, 0)
    t.eq(res.out.splitlines(), [
        "ok    alpha passes (tiny_test.lua:%d)" % line_of(PASSING_TESTS, 'test "alpha passes"'),
        "ok    alpha fails (tiny_test.lua:%d)" % line_of(PASSING_TESTS, 'test "alpha fails"'),
        "",
        "2 passed, 0 failed",
    ], "stdout")
    t.eq(res.err, "", "stderr")


@case("relgate test: test names and problems cannot speak to a CI runner (text and TAP)")
def _(t):
    hostile = "x\\n::error::forged ##[warning]legacy ##vso[task.complete]done \\x1b[31mred"
    f = tiny(t, """\
test "%s" {
  policy = "tiny.lua",
  context = %s,
  expect = { decision = "allow", messages = { alpha = "%s" } },
}
""" % (hostile, MINOR_OFF, hostile))
    for fmt in ("text", "tap"):
        res = t.run("test", f, "--format", fmt)
        t.expect_exit(res, 1)
        for stream, text in (("stdout", res.out), ("stderr", res.err)):
            for line in text.splitlines():
                t.check(not line.lstrip().startswith("::"), "%s %s line starts a workflow command: %r" % (fmt, stream, line))
                t.check("##[" not in line and "##vso[" not in line.lower(), "%s %s line holds a marker: %r" % (fmt, stream, line))
                t.check("\x1b" not in line, "%s %s line holds an escape byte: %r" % (fmt, stream, line))
        t.contains(res.out, "forged", "the name is still shown (%s)" % fmt)


@case("relgate test --format tap: a test name holding a TODO or SKIP directive is escaped, never a directive")
def _(t):
    # A TAP reader takes "not ok 1 - x # TODO y" as a failure excused (hostile round 32, F02).
    f = tiny(t, 'test "deny # TODO later" { policy = "tiny.lua", context = %s, expect = { decision = "deny" } }\n'
                'test "back\\\\slash # SKIP" { policy = "tiny.lua", context = %s, expect = { decision = "deny" } }\n'
             % (MINOR, MINOR))
    res = t.run("test", f, "--format", "tap")
    t.expect_exit(res, 1)
    lines = [line for line in res.out.splitlines() if line.startswith("not ok")]
    t.eq(lines, ["not ok 1 - deny \\# TODO later", "not ok 2 - back\\\\slash \\# SKIP"], "the TAP lines")


@case("relgate test: a path that cannot be listed is an error beside the tests that ran, never a silent skip")
def _(t):
    f = tiny(t, PASSING_TESTS)
    res = t.run("test", f, "missing-folder")
    t.expect_exit(res, 2)
    t.contains(res.err, "cannot open missing-folder", "stderr")
    t.eq(res.out.splitlines()[-1], "2 passed, 0 failed (some could not run)", "the summary counts what ran")
    res = t.run("test", "missing-folder")
    t.expect_exit(res, 2)
    t.eq(res.out.splitlines()[-1], "0 passed, 0 failed (some could not run)", "nothing ran: no wrapped count")


@case("relgate test: a failure says file:line, expected and actual, and exits 1")
def _(t):
    f = tiny(t, FAILING_TESTS)
    res = t.run("test", f)
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [
        "ok    right (tiny_test.lua:%d)" % line_of(FAILING_TESTS, 'test "right"'),
        "FAIL  wrong (tiny_test.lua:%d)" % line_of(FAILING_TESTS, 'test "wrong"'),
        "      decision: expected allow, got deny",
        "        alpha (mandatory): fail: alpha is off",
        "      requirement alpha: expected pass, got fail (alpha is off)",
        "      requirement beta: expected pass, but it is not in the decision (does not apply?)",
        "      requirement alpha: message should contain \"is on\", got \"alpha is off\"",
        "",
        "1 passed, 1 failed",
    ], "stdout")


@case("relgate test: TAP version 13, numbered results, a YAML block at each failure, the plan")
def _(t):
    f = tiny(t, FAILING_TESTS)
    res = t.run("test", f, "--format", "tap")
    t.expect_exit(res, 1)
    lines = res.out.splitlines()
    t.eq(lines[0], "TAP version 13", "first line")
    t.eq(lines[-1], "1..2", "plan")
    t.eq(lines[1], "ok 1 - right", "first result")
    t.eq(lines[2], "not ok 2 - wrong", "second result")
    t.eq(lines[3:6], ["  ---", '  at: "tiny_test.lua:%d"' % line_of(FAILING_TESTS, 'test "wrong"'), "  problems:"],
         "YAML block head")
    t.eq(lines[6], '    - "decision: expected allow, got deny"', "first problem")
    t.eq(lines[-2], "  ...", "YAML block end")
    res = t.run("test", tiny(t, PASSING_TESTS), "--format", "tap")
    t.expect_exit(res, 0)
    t.eq(res.out.splitlines(), ["TAP version 13", "ok 1 - alpha passes", "ok 2 - alpha fails", "1..2"], "stdout")


@case("relgate test: JUnit XML is well-formed and counts tests, failures and errors")
def _(t):
    tiny(t, FAILING_TESTS)
    t.write("broken_test.lua", 'test "no such policy" { policy = "nope.lua", context = %s, expect = { decision = "allow" } }\n' % MINOR)
    res = t.run("test", "tiny_test.lua", "broken_test.lua", "--format", "junit")
    t.expect_exit(res, 2)
    t.check(res.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'), "no XML declaration", actual=res.out[:80])
    root = ET.fromstring(res.stdout)
    t.eq(root.tag, "testsuites", "root element")
    t.eq((root.get("tests"), root.get("failures"), root.get("errors")), ("3", "1", "1"), "testsuites counts")
    suites = root.findall("testsuite")
    t.eq(len(suites), 1, "testsuite elements")
    t.eq((suites[0].get("tests"), suites[0].get("failures"), suites[0].get("errors")), ("3", "1", "1"),
         "testsuite counts")
    cases = suites[0].findall("testcase")
    t.eq([c.get("name") for c in cases], ["right", "wrong", "no such policy"], "testcase names")
    t.eq([c.get("classname") for c in cases], ["tiny_test.lua", "tiny_test.lua", "broken_test.lua"], "classnames")
    t.check(all(float(c.get("time")) >= 0 for c in cases), "a testcase without a time")
    t.eq(list(cases[0]), [], "a passing testcase has no children")
    failure = cases[1].find("failure")
    t.check(failure is not None, "the failing test has no <failure>")
    t.eq(failure.get("message"), "decision: expected allow, got deny", "failure message")
    t.contains(failure.text, "tiny_test.lua:%d" % line_of(FAILING_TESTS, 'test "wrong"'), "failure text")
    t.contains(failure.text, "requirement alpha: expected pass, got fail (alpha is off)", "failure text")
    error = cases[2].find("error")
    t.check(error is not None, "the test that cannot run has no <error>")
    t.contains(error.get("message"), "could not run: cannot open policy nope.lua", "error message")


@case("relgate test: a test's context and policy follow the evidence path rules; a context's bytes are never shown")
def _(t):
    t.write("secret.txt", "SECRET-TOKEN=abc123\n")
    t.write("suite/tiny.lua", TINY_POLICY)
    t.write("suite/inside/ctx.json", json.dumps({"release": {"name": "svc", "version": "1.2.0", "type": "minor"}}))
    t.write("suite/notjson.txt", "SECRET-TOKEN=abc123\n")
    os.symlink("../secret.txt", t.tmp / "suite" / "link.json")
    os.symlink("inside/ctx.json", t.tmp / "suite" / "ok-link.json")
    secret = str(t.tmp / "secret.txt")
    cases = {
        "dotdot": ('policy = "tiny.lua", context = "../secret.txt"', "context '../secret.txt' leaves the test file's directory"),
        "deep dotdot": ('policy = "tiny.lua", context = "inside/../../secret.txt"',
                        "context 'inside/../../secret.txt' leaves the test file's directory"),
        "absolute": ('policy = "tiny.lua", context = "%s"' % secret, "is an absolute path"),
        "link out": ('policy = "tiny.lua", context = "link.json"', "context 'link.json' is a symbolic link leading outside"),
        "policy out": ('policy = "../suite/../tiny.lua", context = %s' % MINOR, "policy '../suite/../tiny.lua' leaves"),
        "policy absolute": ('policy = "/etc/passwd", context = %s' % MINOR, "policy '/etc/passwd' is an absolute path"),
        "not a context": ('policy = "tiny.lua", context = "notjson.txt"',
                          "context suite/notjson.txt is not a usable release context (context error at line 1, column 1"),
    }
    text = "".join('test "%s" { %s, expect = { decision = "allow" } }\n' % (name, body)
                   for name, (body, _) in cases.items())
    text += 'test "inside" { policy = "tiny.lua", context = "inside/ctx.json", expect = { decision = "allow" } }\n'
    text += 'test "link inside" { policy = "tiny.lua", context = "ok-link.json", expect = { decision = "allow" } }\n'
    t.write("suite/paths_test.lua", text)
    res = t.run("test", "suite/paths_test.lua")
    t.expect_exit(res, 2)
    out = res.stdout.decode() + res.stderr.decode()
    t.check("SECRET" not in out, "a named file's bytes were printed", actual=out)
    for name, (_, why) in cases.items():
        t.contains(out, why, "test %s" % name)
    t.contains(out, "2 passed", "the tests whose files are inside pass")


@case("relgate test: exit 2 for each kind of test that cannot run, naming why")
def _(t):
    t.write("tiny.lua", TINY_POLICY)
    for name, (fields, why) in BROKEN_TESTS.items():
        text = 'test "%s" {\n  %s,\n  expect = { decision = "allow" },\n}\n' % (name, fields)
        t.write("broken_test.lua", text)
        res = t.run("test", "broken_test.lua")
        t.expect_exit(res, 2)
        lines = res.out.splitlines()
        t.eq(lines[0], "ERROR %s (broken_test.lua:1)" % name, "first line for %s" % name)
        want = why % 1 if "%d" in why else why
        t.check(lines[1].strip().startswith(want), "the reason for %r" % name, expected=want, actual=lines[1].strip())
        t.eq(lines[-1], "0 passed, 1 failed (some could not run)", "summary for %s" % name)


@case("relgate test: a test file with a syntax error cannot load: exit 2, file and line")
def _(t):
    t.write("tiny.lua", TINY_POLICY)
    t.write("syntax_test.lua", 'test "one" {\n  policy = "tiny.lua",\n  context = %s\n  expect = {},\n}\n' % MINOR)
    for fmt, want in (("text", "ERROR syntax_test.lua: could not load: syntax_test.lua:4: '}' expected (to close '{' at line 1) near 'expect'"),
                      ("tap", "not ok 1 - syntax_test.lua")):
        res = t.run("test", "syntax_test.lua", "--format", fmt)
        t.expect_exit(res, 2)
        t.contains(res.out, want, "%s output" % fmt)


@case("relgate test: a test declared without its body, a file declaring none, or test(name, {...}), never pass silently")
def _(t):
    # test(name, {...}) dropped its table, and a file that declared nothing said nothing:
    # beside a passing file the run said "1 passed" and exited 0 (hostile round 31, F03).
    t.write("tiny.lua", TINY_POLICY)
    t.write("good_test.lua", 'test "allowed" { policy = "tiny.lua", context = %s, expect = { decision = "allow" } }\n' % MINOR)
    t.write("call_test.lua", 'test("denied, as one call", { policy = "tiny.lua", context = %s, '
            'expect = { decision = "deny" } })\n' % MINOR)
    res = t.run("test", ".")
    t.expect_exit(res, 1)   # the call form's body is taken, and it runs (and fails)
    t.contains(res.out, "FAIL  denied, as one call (./call_test.lua:1)", "the call form runs")
    os.remove(str(Path(t.tmp) / "call_test.lua"))
    for name, text, why in (
            ("early_test.lua", 'do return end\ntest "x" { policy = "tiny.lua", context = %s, '
             'expect = { decision = "allow" } }\n' % MINOR, "could not load: declares no test"),
            ("loop_test.lua", 'for _, ty in ipairs({}) do\n  test(ty) { policy = "tiny.lua" }\nend\n',
             "could not load: declares no test"),
            ("nobody_test.lua", 'test "no body"\ntest "x" { policy = "tiny.lua", context = %s, '
             'expect = { decision = "allow" } }\n' % MINOR,
             "could not load: ./nobody_test.lua:1: test 'no body' declares nothing"),
            ("number_test.lua", 'test("five", 5)\n', "test 'five': its body is a table"),
            # a body that raised, caught by a pcall: declared, never recorded (round 32, F03)
            ("pcall_test.lua", 'pcall(function() test "raised" { policy = "tiny.lua", context = %s, '
             'unreadable = function() end, expect = { decision = "allow" } } end)\n'
             'test "x" { policy = "tiny.lua", context = %s, expect = { decision = "allow" } }\n' % (MINOR, MINOR),
             "could not load: ./pcall_test.lua:1: test 'raised' declares nothing")):
        t.write(name, text)
        res = t.run("test", ".")
        t.expect_exit(res, 2)
        t.contains(res.out, "ERROR ./%s: %s" % (name, why) if why.startswith("could") else why, name)
        t.contains(res.out, "ok    allowed (./good_test.lua:1)", "%s: the good file still runs" % name)
        os.remove(str(Path(t.tmp) / name))


@case("relgate test: a failure and an error together exit 2; a failure alone exits 1")
def _(t):
    tiny(t, FAILING_TESTS)
    t.write("broken_test.lua", 'test "bad now" { policy = "tiny.lua", now = "later", context = %s, expect = { decision = "allow" } }\n' % MINOR)
    t.expect_exit(t.run("test", "tiny_test.lua"), 1)
    res = t.run("test", ".")
    t.expect_exit(res, 2)
    t.contains(res.out, "1 passed, 2 failed (some could not run)", "summary")


@case("relgate test: expecting an error passes on a context the engine refuses or a check that raises")
def _(t):
    t.write("tiny.lua", TINY_POLICY)
    t.write("raises.lua", 'requirement "r" { title = "R", hint = "h", check = function(ctx) return ctx.release.nothing.here end }\n')
    t.write("errors_test.lua", """\
test "refused context" {
  policy = "tiny.lua",
  context = { release = { name = "svc", version = "1.2", type = "minor" } },
  expect = { decision = "error" },
}
test "check raises" {
  policy = "raises.lua",
  context = %s,
  expect = { decision = "error" },
}
test "check raises, not expected" {
  policy = "raises.lua",
  context = %s,
  expect = { decision = "deny" },
}
""" % (MINOR, MINOR))
    res = t.run("test", "errors_test.lua")
    t.expect_exit(res, 2)
    lines = res.out.splitlines()
    t.eq(lines[0], "ok    refused context (errors_test.lua:1)", "first test")
    t.eq(lines[1], "ok    check raises (errors_test.lua:6)", "second test")
    t.eq(lines[2], "ERROR check raises, not expected (errors_test.lua:11)", "third test")
    t.contains(lines[3], "could not run: raises.lua:1: attempt to index a nil value (field 'nothing')", "third test's reason")


@case("relgate test: a plugin check takes its mocked result; no mock makes it an error")
def _(t):
    t.write("plug.lua", """\
requirement "ci" { title = "CI", hint = "h", check = "ci.status", with = { reports = evidence "ci" } }
requirement "scan" { title = "Scan", hint = "h", level = "advisory", check = "security.scan", with = { reports = evidence "scan" } }
""")
    t.write("plug_test.lua", """\
test "mocked" {
  context = %s,
  mocks = { ["ci.status"] = fail("build failed", { failed = { "build" } }), ["security.scan"] = fail("1 high") },
  expect = { decision = "deny", requirements = { ci = "fail", scan = "warn" }, messages = { ci = "build failed" } },
}
test "one mock missing" {
  context = %s,
  mocks = { ["ci.status"] = pass("green") },
  expect = { decision = "deny", requirements = { ci = "pass", scan = "error" },
             messages = { scan = "no mock for check security.scan in this test" } },
}
test "a mock that is not a result" {
  context = %s,
  mocks = { ["ci.status"] = "green", ["security.scan"] = pass("clean") },
  expect = { requirements = { ci = "error" }, messages = { ci = "the mock for check ci.status is not a result" } },
}
""" % (MINOR, MINOR, MINOR))
    res = t.run("test", "plug_test.lua")
    t.expect_exit(res, 0)
    t.contains(res.out, "3 passed, 0 failed", "summary")


# A baseline with a plugin check, and a team that overrides its parameter: what a test of
# the override must be able to tell apart.
SCAN_BASE = """\
requirement "scan" { title = "Scan", hint = "h", check = "security.scan", with = { reports = evidence "scan", fail_on = "high" } }
requirement "ci" { title = "CI", hint = "h", check = "ci.status", with = { reports = evidence "ci" } }
"""
SCAN_TEAM = """\
extends "base"
override "scan" { with = { fail_on = "critical" }, reason = "hotfixes" }
"""
SCAN_CTX = '{ release = { name = "svc", version = "1.2.0", type = "minor" }, evidence = { scan = "scan.sarif", ci = "ci.xml" } }'


@case("relgate test: a function mock sees the parameters, so a test tells an override from none")
def _(t):
    t.write("base.lua", SCAN_BASE)
    t.write("team.lua", SCAN_TEAM)
    tests = """\
local function scan(params, ctx)
  if params.fail_on == "critical" then return pass("only critical fails, for " .. ctx.release.name) end
  return fail("fails on " .. params.fail_on, { fail_on = params.fail_on })
end
test "the override holds" {
  policy = "%s", context = CTX,
  mocks = { ["security.scan"] = scan, ["ci.status"] = pass("green") },
  expect = { decision = "allow", messages = { scan = "only critical fails, for svc" },
             calls = { scan = { fail_on = "critical" } } },
}
"""
    t.write("team_test.lua", "CTX = %s\n" % SCAN_CTX + tests % "team.lua")
    res = t.run("test", "team_test.lua")
    t.expect_exit(res, 0)
    # the same test against the base fails, on the decision and on the call
    t.write("base_test.lua", "CTX = %s\n" % SCAN_CTX + tests % "base.lua")
    res = t.run("test", "base_test.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines()[1:5], [
        "      decision: expected allow, got deny",
        "        scan (mandatory): fail: fails on high",
        "      requirement scan: message should contain \"only critical fails, for svc\", got \"fails on high\"",
        "      calls scan: security.scan called with fail_on = \"high\", expected \"critical\"",
    ], "the failure report")


@case("relgate test: a function mock that raises or returns no result makes its check an error")
def _(t):
    t.write("base.lua", SCAN_BASE)
    t.write("m_test.lua", "CTX = %s\n" % SCAN_CTX + """\
test "raises" {
  policy = "base.lua", context = CTX,
  mocks = { ["security.scan"] = function(params) error("boom") end, ["ci.status"] = pass("green") },
  expect = { requirements = { scan = "error" }, messages = { scan = "the mock for check security.scan raised:" } },
}
test "returns nothing" {
  policy = "base.lua", context = CTX,
  mocks = { ["security.scan"] = function() end, ["ci.status"] = function() return pass("green") end },
  expect = { requirements = { scan = "error", ci = "pass" }, messages = { scan = "returned no result" } },
}
test "the parameters are read-only" {
  policy = "base.lua", context = CTX,
  mocks = { ["security.scan"] = function(params) params.fail_on = "none" return pass("x") end, ["ci.status"] = pass("green") },
  expect = { requirements = { scan = "error" } },
}
""")
    res = t.run("test", "m_test.lua")
    t.expect_exit(res, 0)
    t.contains(res.out, "3 passed, 0 failed", "summary")


@case("relgate test: real = { ... } runs those plugin checks on the evidence beside mocked ones")
def _(t):
    t.write("base.lua", SCAN_BASE)
    copy_from(t, POLICIES / "testdata" / "patch" / "trivy-high.sarif", "scan.sarif")
    t.write("r_test.lua", "CTX = %s\n" % SCAN_CTX + """\
test "real scan, mocked ci" {
  policy = "base.lua", context = CTX, now = "2025-06-10T14:00:00Z",
  real = { "security.scan" },
  mocks = { ["ci.status"] = pass("green") },
  expect = { decision = "deny", requirements = { scan = "fail", ci = "pass" }, messages = { scan = "1 high" },
             calls = { scan = { fail_on = "high" } }, details = { ci = { mocked = true } } },
}
test "both real and mocked" {
  policy = "base.lua", context = CTX, real = { "security.scan" },
  mocks = { ["security.scan"] = pass("x"), ["ci.status"] = pass("green") },
  expect = { decision = "allow" },
}
test "a real check no plugin provides" {
  policy = "base.lua", context = CTX, real = { "security.scna" },
  mocks = { ["security.scan"] = pass("x"), ["ci.status"] = pass("green") },
  expect = { decision = "allow" },
}
""")
    res = t.run("test", "r_test.lua", "--verbose")
    t.expect_exit(res, 2)
    lines = res.out.splitlines()
    t.eq(lines[0], "ok    real scan, mocked ci (r_test.lua:2)", "the real check ran")
    t.contains(res.out, "      |   call security.scan scan {\"fail_on\":\"high\"", "--verbose shows the call")
    t.contains(res.out, "      |   call ci.status ci {\"reports\":[\"ci\"]", "and the mocked one")
    t.check(lines[4].endswith("}") and lines[5].endswith("} (mocked)"), "the real call is not marked mocked",
            actual=lines[4:6])
    t.contains(res.out, "could not run: check security.scan is both mocked and real", "a check cannot be both")
    # A misspelt name ran nothing for real while the mocks passed the test (round 24).
    t.contains(res.out, "could not run: real names security.scna, which no plugin provides (did you mean "
               "'security.scan'?)", "a real check must exist")


@case("relgate test: expect.waivers and expect.details assert what became of a waiver and what a result carries")
def _(t):
    copy_from(t, DATA / "waivers.lua", "waivers.lua")
    ctx = json.dumps(waiver_context(["docs-updated"], [waiver("docs-updated")]))
    t.write("w_test.lua", """\
local CTX = json.decode(%r)
test "waived" {
  policy = "waivers.lua", context = CTX, now = "2025-06-10T14:00:00Z",
  expect = { decision = "allow", waivers = { ["docs-updated"] = "applied" },
             details = { ["docs-updated"] = { id = "docs-updated" } } },
}
test "wrong" {
  policy = "waivers.lua", context = CTX, now = "2025-06-10T14:00:00Z",
  expect = { waivers = { ["docs-updated"] = "expired", ["perf-budget"] = "applied" },
             details = { ["docs-updated"] = { id = "other" } } },
}
""" % json.dumps(waiver_context(["docs-updated"], [waiver("docs-updated")])))
    res = t.run("test", "w_test.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines()[1:5], [
        "FAIL  wrong (w_test.lua:7)",
        "      waiver for docs-updated: expected expired, got applied",
        "      waiver for perf-budget: expected applied, got no waiver",
        "      details docs-updated: id is \"docs-updated\", expected \"other\"",
    ], "the failure report")


@case("relgate test --run PATTERN runs only the matching tests; a pattern matching none is an error")
def _(t):
    f = tiny(t, PASSING_TESTS)
    res = t.run("test", f, "--run", "fails$")
    t.expect_exit(res, 0)
    t.eq(res.out.splitlines(), ["ok    alpha fails (tiny_test.lua:%d)" % line_of(PASSING_TESTS, 'test "alpha fails"'), "",
                                "1 passed, 0 failed"], "stdout")
    res = t.run("test", f, "--run", "nothing-like-this")
    t.expect_exit(res, 2)
    t.contains(res.err, "no test name matches --run 'nothing-like-this'", "stderr")
    res = t.run("test", f, "--run", "(")
    t.expect_exit(res, 2)


@case("relgate test --verbose shows each test's decision, a line per requirement")
def _(t):
    f = tiny(t, PASSING_TESTS)
    res = t.run("test", f, "--verbose", "--run", "alpha fails")
    t.expect_exit(res, 0)
    t.eq(res.out.splitlines()[1:3], ["      | decision deny (minor, pre-release)", "      |   alpha: fail: alpha is off"],
         "the trace")


@case("relgate test --fail-under: exit 1 when fewer requirement x type x stage cells were exercised")
def _(t):
    f = tiny(t, PASSING_TESTS)   # 1 of 4 cells
    res = t.run("test", f, "--fail-under", "25")
    t.expect_exit(res, 0)
    res = t.run("test", f, "--fail-under", "30")
    t.expect_exit(res, 1)
    t.contains(res.err, "coverage 25.0% is under --fail-under 30%", "stderr")
    t.contains(res.out, "coverage: tiny.lua: 1 of 4", "--fail-under reports the coverage")
    res = t.run("test", f, "--fail-under", "101")
    t.expect_exit(res, 2)


@case("relgate test: no test files, an unknown format or option: exit 2")
def _(t):
    t.write("tiny.lua", TINY_POLICY)
    res = t.run("test", ".")
    t.expect_exit(res, 2)
    t.contains(res.err, "relgate: error: no test files (*_test.lua) found", "stderr")
    res = t.run("test", ".", "--format", "xml")
    t.expect_exit(res, 2)
    t.contains(res.err, "--format 'xml' is not text, tap or junit", "stderr")
    res = t.run("test", "--covrage")
    t.expect_exit(res, 2)
    res = t.run("test", "no-such-dir")
    t.expect_exit(res, 2)
    t.contains(res.err, "cannot open no-such-dir", "stderr")


@case("relgate test --coverage lists each requirement and release type no test exercised")
def _(t):
    f = tiny(t, PASSING_TESTS)
    res = t.run("test", f, "--coverage")
    t.expect_exit(res, 0)  # coverage reports; it does not fail the run
    tail = res.out.split("2 passed, 0 failed\n", 1)[1]
    t.eq(tail.splitlines(), [
        "coverage: tiny.lua: not exercised by any test:",
        "  alpha (major/pre-release)",
        "  beta (patch/deploy, minor/deploy)",
        "coverage: tiny.lua: 1 of 4 requirement x type x stage cells exercised (25.0%)",
    ], "coverage report")
    # With TAP or JUnit on stdout, the report goes to stderr.
    res = t.run("test", f, "--coverage", "--format", "tap")
    t.expect_exit(res, 0)
    t.contains(res.err, "  beta (patch/deploy, minor/deploy)", "stderr")
    t.check("coverage" not in res.out, "coverage report on stdout with --format tap", actual=res.out)
    # Exercise the rest: the report says so.
    t.write("more_test.lua", """\
test "major" { policy = "tiny.lua", context = { release = { name = "s", version = "2.0.0", type = "major" } }, expect = { decision = "allow" } }
test "patch deploy" { policy = "tiny.lua", stage = "deploy", context = { release = { name = "s", version = "1.0.1", type = "patch" } }, expect = { requirements = { beta = "pass" } } }
test "minor deploy" { policy = "tiny.lua", stage = "deploy", type = "minor", context = { release = { name = "s", version = "1.0.1", type = "patch" } }, expect = { requirements = { beta = "pass" } } }
""")
    res = t.run("test", f, "more_test.lua", "--coverage")
    t.expect_exit(res, 0)
    t.contains(res.out, "coverage: tiny.lua: every requirement exercised for every release type and stage it applies to",
               "stdout")
    t.contains(res.out, "coverage: tiny.lua: 4 of 4 requirement x type x stage cells exercised (100.0%)", "stdout")


@case("the bundled policies' tests pass and exercise every requirement for every release type")
def _(t):
    res = t.run("test", POLICIES, "--coverage")
    t.expect_exit(res, 0)
    t.check(re.search(r"^\d+ passed, 0 failed$", res.out, re.M), "no 'N passed, 0 failed' line", actual=res.out[-500:])
    t.check("not exercised" not in res.out, "some requirement is not exercised", actual=res.out[-3000:])
    for name in ("octoacme.lua", "team-payments.lua"):
        t.check(re.search(r"^coverage: .*%s: every requirement exercised for every release type and stage it applies to$"
                          % re.escape(name), res.out, re.M), "no full coverage line for %s" % name,
                actual=res.out[-1000:])
    # The default folder is ./policies.
    res = t.run("test", cwd=REPO)
    t.expect_exit(res, 0)


@case("relgate test: a misspelt requirement id, or expectations that check nothing, fail the test")
def _(t):
    tiny(t, 'test "typo" { policy = "tiny.lua", context = %s, expect = { requirements = { alfa = "absent" } } }\n'
            'test "empty" { policy = "tiny.lua", context = %s, expect = { requirements = {}, messages = {} } }\n'
            'test "gone" { policy = "tiny.lua", context = %s, expect = { requirements = { gamma = "undeclared" } } }\n'
            'test "there" { policy = "tiny.lua", context = %s, expect = { requirements = { alpha = "undeclared" } } }\n'
         % (MINOR, MINOR, MINOR, MINOR))
    res = t.run("test", "tiny_test.lua")
    t.expect_exit(res, 1)
    t.contains(res.out, "requirement alfa: the policy declares no such requirement", "the typo")
    t.contains(res.out, "checks nothing", "the empty expectations")
    t.contains(res.out, "ok    gone", "undeclared of an id the policy does not have holds")
    t.contains(res.out, "requirement alpha: expected undeclared, but the policy declares it", "and fails when it has it")


@case("relgate test: a typo in expect must not make a test pass")
def _(t):
    tiny(t, 'test "typo" { policy = "tiny.lua", context = %s, expect = { decison = "deny" } }\n' % MINOR)
    res = t.run("test", "tiny_test.lua")
    t.check(res.rc in (1, 2), "exit code (0: the unknown key 'decison' was ignored)", expected="1 or 2",
            actual=res.rc)
    t.contains(res.out, "decison", "the report names the unknown key")


# ---- relgate lint -------------------------------------------------------------------------

def broken_lint_lines():
    text = (DATA / "broken.lua").read_text()

    def at(rid, nth=1):
        return "broken.lua:%d:" % line_of(text, 'requirement "%s"' % rid, nth)

    lines = [
        "%s requirement 'bad-type': types: unknown value 'hotfix' (expected \"patch\", \"minor\", \"major\")" % at("bad-type"),
        "%s requirement 'bad-stage': stages: unknown value 'production' (expected \"pre-release\", \"deploy\", \"post-deploy\")" % at("bad-stage"),
        "%s requirement 'bad-level': level must be \"mandatory\", \"waivable\" or \"advisory\"" % at("bad-level"),
        "%s requirement 'unknown-check': unknown check 'ci.nonexistent': no loaded plugin provides it (see relgate plugins)" % at("unknown-check"),
        "%s requirement 'unknown-param': check ci.status has no parameter 'colour' (it takes: reports format required success "
        "pending_fails allow_failures match_commit max_age only_required allow_empty max_pages timezone)" % at("unknown-param"),
        "%s requirement 'wrong-param-type': max_medium must be an integer" % at("wrong-param-type"),
        # Values the plugin declares (ABI 1.3 allowed values): what eval refuses, lint refuses.
        "%s requirement 'disallowed-value': format is \"trivvy\", not one of the values it allows: auto, sarif, "
        "trivy, grype, gitlab" % at("disallowed-value"),
        "%s requirement 'disallowed-item' for a major: fail_on is \"severe\", not one of the values it allows: "
        "critical, high, medium, low, any, none" % at("disallowed-item"),
        "%s requirement 'missing-param': check backup.present needs the parameter 'backup' (evidence): evidence name of "
        "the backup: a manifest, restic or borg --json output, a backup file or a directory" % at("missing-param"),
        "%s requirement 'by-type-param' for a minor: fail_on must be a string" % at("by-type-param"),
        "%s requirement 'no-title': title is missing" % at("no-title"),
        "%s requirement 'no-check': check is missing" % at("no-check"),
        "%s requirement 'with-inline': with applies to plugin checks only; an inline check reads what it needs itself" % at("with-inline"),
        "%s requirement 'unknown-field': unknown field 'stage' (did you mean 'stages'?) (expected title, hint, description, types, stages, level, "
        "check, with, timeout, when, waiver_role)" % at("unknown-field"),
        "%s duplicate requirement id 'no-hint' (first declared at %s)" % (at("no-hint", 2), at("no-hint")[:-1]),
        "%s requirement id 'Bad_Id' is not allowed: use lower-case letters, digits, '-', '_' and '.'" % at("Bad_Id"),
        "%s requirement 'no-types': types must be a non-empty list like { \"patch\", \"minor\", \"major\" }" % at("no-types"),
        "%s requirement 'bad-timeout': timeout must be a number of seconds, more than 0 and at most 86400" % at("bad-timeout"),
        "%s requirement 'when-not-function': when must be a function (ctx) returning true when the requirement applies" % at("when-not-function"),
        # After loading: what the declarations say as a whole.
        "%s requirement 'no-hint' has no hint: say how to make it pass" % at("no-hint"),
        "%s requirement 'bad-type' applies to no release type" % at("bad-type"),
        "%s requirement 'bad-stage' applies to no release stage" % at("bad-stage"),
        "%s requirement 'no-types' applies to no release type" % at("no-types"),
    ]
    return lines


@case("relgate lint: a broken policy gives one exact file:line: problem per problem, exit 1")
def _(t):
    copy_from(t, DATA / "broken.lua", "broken.lua")
    res = t.run("lint", "--policy", "broken.lua")
    t.expect_exit(res, 1)
    want = broken_lint_lines()
    t.eq(res.out.splitlines(), want, "lint output")
    t.eq(res.err, "relgate: %d problems in broken.lua\n" % len(want), "stderr")


@case("relgate lint: the bundled policies lint clean, exit 0")
def _(t):
    for name in ("octoacme.lua", "team-payments.lua"):
        res = t.run("lint", "--policy", POLICIES / name)
        t.expect_exit(res, 0)
        t.eq(res.out, "", "stdout for %s" % name)
        t.eq(res.err, "relgate: %s: no problems found\n" % (POLICIES / name), "stderr for %s" % name)


@case("relgate lint: a syntax error, an undefined global, an empty policy, a missing file")
def _(t):
    t.write("syntax.lua", 'requirement "a" {\n  title = "A",\n  hint = "h"\n  check = function(ctx) return pass("ok") end,\n}\n')
    res = t.run("lint", "--policy", "syntax.lua")
    t.expect_exit(res, 1)
    t.eq(res.out, "syntax.lua:4: '}' expected (to close '{' at line 1) near 'check'\n", "stdout")
    t.write("typo.lua", '\nrequirment "a" {\n  title = "A",\n}\n')
    res = t.run("lint", "--policy", "typo.lua")
    t.expect_exit(res, 1)
    t.eq(res.out, "typo.lua:2: undefined global 'requirment'\n", "stdout")
    t.write("empty.lua", "-- nothing here\n")
    res = t.run("lint", "--policy", "empty.lua")
    t.expect_exit(res, 1)
    t.contains(res.out, "empty.lua declares no requirements", "stdout")
    res = t.run("lint", "--policy", "missing.lua")
    t.expect_exit(res, 2)
    t.contains(res.err, "relgate: error: cannot open policy missing.lua", "stderr")
    res = t.run("lint")
    t.expect_exit(res, 2)


@case("relgate lint: override, disable and extends problems name the extending file's lines")
def _(t):
    t.write("base.lua", """\
policy { name = "base", version = "1.0.0" }
requirement "docs" { title = "Docs", hint = "h", check = function(ctx) return pass("ok") end }
requirement "scan" { title = "Scan", hint = "h", check = "security.scan", with = { reports = evidence "scan" } }
""")
    team = """\
policy { name = "team", version = "1.0.0" }
extends "base"
override "nope" { level = "advisory", reason = "x" }
override "docs" { level = "optional", reason = "x" }
override "docs" { with = { a = 1 }, reason = "x" }
override "scan" { with = { fail_on = by_type { patch = 5 } }, reason = "x" }
override "docs" { colour = "red" }
disable "docs" {}
disable "ghost" { reason = "gone" }
extends "base"
"""
    t.write("team.lua", team)
    res = t.run("lint", "--policy", "team.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [
        "team.lua:3: override: no requirement 'nope' to override",
        "team.lua:4: override 'docs': level must be \"mandatory\", \"waivable\" or \"advisory\"",
        "team.lua:5: override 'docs': with changes a plugin check's parameters (a table)",
        "team.lua:6: override 'scan' for a patch: fail_on must be a string",
        "team.lua:7: override 'docs': cannot change 'colour' (level, title, hint, types, stages, timeout, with, check, when, reason)",
        "team.lua:8: disable 'docs' needs a reason: disable \"docs\" { reason = \"...\" }",
        "team.lua:9: disable: no requirement 'ghost' to disable",
        "team.lua:10: policy 'base' is extended twice",
    ], "lint output")


@case("relgate lint: undefined globals and misspelt library functions inside checks, as eval would meet them")
def _(t):
    text = """\
policy { name = "p" }
local LIMIT = 3
local function helper(name)
  return evidence.raed(name)
end
requirement "a" {
  title = "A", hint = "h",
  check = function(ctx)
    if ctx.release.flag then
      return fial("flag set")
    end
    return pass(string.format("%d", LIMIT))
  end,
  when = function(ctx) return semver.vaild(ctx.release.version) end,
}
requirement "b" { title = "B", hint = "h", check = function(ctx) return helper("x") or pass(undefined_thing) end }
"""
    t.write("p.lua", text)
    res = t.run("lint", "--policy", "p.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [
        "p.lua:%d: 'evidence' has no field 'raed' (did you mean 'read'?)" % line_of(text, "evidence.raed"),
        "p.lua:%d: undefined global 'fial' (did you mean 'fail'?)" % line_of(text, "fial("),
        "p.lua:%d: 'semver' has no field 'vaild' (did you mean 'valid'?)" % line_of(text, "semver.vaild"),
        "p.lua:%d: undefined global 'undefined_thing'" % line_of(text, "undefined_thing"),
    ], "lint output")
    # what lint says is what evaluation meets: the check errors on the same global
    t.write_json("ctx.json", {"release": {"name": "s", "version": "1.0.0", "type": "patch", "flag": True}})
    t.write("q.lua", text.replace("evidence.raed", "evidence.read").replace("semver.vaild", "semver.valid")
            .replace("undefined_thing", '"ok"'))
    res = t.run("lint", "--policy", "q.lua")
    t.eq(res.out, "q.lua:%d: undefined global 'fial' (did you mean 'fail'?)\n" % line_of(text, "fial("), "lint of q.lua")
    res = t.eval("q.lua", "ctx.json")
    t.expect_exit(res, 2)
    t.eq(json.loads(res.out)["error"]["message"], "q.lua:%d: undefined global 'fial'" % line_of(text, "fial("),
         "the error eval meets in the check lint flagged")


@case("relgate lint: globals the policy defines, and those of modules, are not undefined")
def _(t):
    t.write("lib/util.lua", "local M = {}\nfunction M.ok(s) return pass(s) end\nreturn M\n")
    t.write("p.lua", """\
SHARED = { threshold = 2 }
function describe(x) return tostring(x) end
local util = require "lib.util"
requirement "a" {
  title = "A", hint = "h",
  check = function(ctx) return util.ok(describe(SHARED.threshold) .. math.floor(1.5) .. table.concat({}, ",")) end,
}
""")
    res = t.run("lint", "--policy", "p.lua")
    t.eq(res.out, "", "stdout")
    t.expect_exit(res, 0)
    t.write("lib/util.lua", "local M = {}\nfunction M.ok(s) return pas(s) end\nreturn M\n")
    res = t.run("lint", "--policy", "p.lua")
    t.expect_exit(res, 1)
    t.eq(res.out, "lib/util.lua:2: undefined global 'pas' (did you mean 'pass'?)\n", "a module's own file and line")


@case("relgate lint --format json: the same problems as objects with file, line and message")
def _(t):
    copy_from(t, DATA / "broken.lua", "broken.lua")
    res = t.run("lint", "--policy", "broken.lua", "--format", "json")
    t.expect_exit(res, 1)
    doc = json.loads(res.out)
    want = broken_lint_lines()
    t.eq(doc["policy"], "broken.lua", "policy")
    t.eq(doc["count"], len(want), "count")
    t.eq(["%s:%d: %s" % (p["file"], p["line"], p["message"]) for p in doc["problems"]], want, "problems")
    t.write("empty.lua", "-- nothing\n")
    res = t.run("lint", "--policy", "empty.lua", "--format", "json")
    t.expect_exit(res, 1)
    doc = json.loads(res.out)
    t.eq(doc["problems"][0]["file"], None, "a problem without a place has file null")
    t.contains(doc["problems"][0]["message"], "declares no requirements", "its message")
    res = t.run("lint", "--policy", str(POLICIES / "octoacme.lua"), "--format", "json")
    t.expect_exit(res, 0)
    t.eq(json.loads(res.out), {"policy": str(POLICIES / "octoacme.lua"), "count": 0, "problems": []}, "a clean policy")
    res = t.run("lint", "--policy", "empty.lua", "--format", "yaml")
    t.expect_exit(res, 2)


@case("relgate lint and eval: *.d.lua annotation files in a policy folder are not loaded")
def _(t):
    t.write("team/policy.lua", 'requirement "a" { title = "A", hint = "h", check = function(ctx) return pass("ok") end }\n')
    copy_from(t, POLICIES / "relgate.d.lua", "team/relgate.d.lua")
    res = t.run("lint", "--policy", "team")
    t.eq(res.out, "", "stdout")
    t.expect_exit(res, 0)
    t.write_json("ctx.json", {"release": {"name": "s", "version": "1.0.0", "type": "patch"}})
    doc = t.expect_decision(t.eval("team", "ctx.json"), "allow")
    t.eq([r["id"] for r in doc["requirements"]], ["a"], "requirements")


@case("relgate lint: a misspelt requirement id or field gets a 'did you mean'")
def _(t):
    t.write("base.lua", 'requirement "docs-updated" { title = "D", hint = "h", check = function(ctx) return pass("ok") end }\n')
    t.write("team.lua", """\
policy { name = "team", verison = "1.0.0" }
extends "base"
override "docs-update" { level = "advisory", reason = "x" }
override "docs-updated" { levle = "advisory", reason = "x" }
disable "doc-updated" { reason = "x" }
""")
    res = t.run("lint", "--policy", "team.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [
        "team.lua:1: policy{}: unknown field 'verison' (did you mean 'version'?) (expected name, version, description, max_waiver_days)",
        "team.lua:3: override: no requirement 'docs-update' to override (did you mean 'docs-updated'?)",
        "team.lua:4: override 'docs-updated': cannot change 'levle' (did you mean 'level'?) (level, title, hint, types, stages, timeout, with, check, when, reason)",
        "team.lua:5: disable: no requirement 'doc-updated' to disable (did you mean 'docs-updated'?)",
    ], "lint output")


@case("relgate lint: a list field given as a string is a problem, not a crash")
def _(t):
    t.write("types.lua", 'requirement "a" {\n  title = "A", hint = "h",\n  types = "patch",\n  check = function(ctx) return pass("ok") end,\n}\n')
    want = "types.lua:1: requirement 'a': types must be a list like { \"patch\", \"minor\", \"major\" }"
    allowed = {want, "types.lua:1: requirement 'a' applies to no release type"}
    for _ in range(3):  # reading a string as a table need not crash every time: run it thrice
        res = t.run("lint", "--policy", "types.lua")   # a sanitizer report fails the case
        lines = res.out.splitlines()
        t.expect_exit(res, 1)
        t.check(lines and lines[0] == want and set(lines) <= allowed, "the lint report",
                expected=sorted(allowed), actual=lines)


# ---- Waivers --------------------------------------------------------------------------------

AUTHOR = "alice"
FUTURE = "2025-07-01T00:00:00Z"


def waiver(requirement, approver="bob", ticket="REL-1", expires=FUTURE, reason="docs follow in the next sprint"):
    w = {"requirement": requirement, "reason": reason, "approver": approver, "ticket": ticket, "expires": expires}
    return {k: v for k, v in w.items() if v is not None}


NO_AUTHOR = object()


def waiver_context(failing=(), waivers=None, approvals=(), stage=None, author=AUTHOR):
    ctx = {
        "release": {"name": "svc", "version": "1.2.0", "previous_version": "1.1.0", "type": "minor",
                    "author": author, "failing": list(failing)},
        "approvals": list(approvals),
    }
    if author is NO_AUTHOR:
        del ctx["release"]["author"]
    if waivers is not None:
        ctx["waivers"] = waivers
    if stage:
        ctx["stage"] = stage
    return ctx


def run_waivers(t, failing=(), waivers=None, approvals=(), stage=None, extra=(), verdict=None, author=AUTHOR):
    copy_from(t, DATA / "waivers.lua", "waivers.lua")
    t.write_json("context.json", waiver_context(failing, waivers, approvals, stage, author))
    res = t.eval("waivers.lua", "context.json", *extra)
    if verdict:
        return t.expect_decision(res, verdict)
    return res


def one_report(t, doc):
    t.eq(len(doc["waivers"]), 1, "number of waiver reports")
    return doc["waivers"][0]


@case("waivers: a valid waiver turns a waivable failure into waived, and deny into allow")
def _(t):
    doc = run_waivers(t, failing=["docs-updated"], verdict="deny")
    t.eq(t.result(doc, "docs-updated")["status"], "fail", "status without a waiver")
    t.eq(doc["waivers"], [], "waivers without any")
    w = waiver("docs-updated")
    doc = run_waivers(t, failing=["docs-updated"], waivers=[w], verdict="allow")
    r = t.result(doc, "docs-updated")
    t.eq(r["status"], "waived", "status")
    t.eq(r["details"]["waiver"], w, "details.waiver")
    t.eq(r["details"]["id"], "docs-updated", "the check's own details are kept")
    t.eq(r["message"], "waived by bob (REL-1) until 2025-07-01T00:00:00Z; the check said: docs-updated failed", "message")
    t.eq((doc["summary"]["waived"], doc["summary"]["fail"]), (1, 0), "summary.waived, summary.fail")
    t.eq(one_report(t, doc), {"requirement": "docs-updated", "status": "applied",
                              "message": "waives requirement 'docs-updated' until 2025-07-01T00:00:00Z",
                              "source": "context.json: waivers[0]", "waiver": w}, "the waiver report")


@case("waivers: an expired waiver does not apply (expiry at the evaluation time included)")
def _(t):
    for expires in ("2025-06-01T00:00:00Z", NOW):
        doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", expires=expires)], verdict="deny")
        t.eq(t.result(doc, "docs-updated")["status"], "fail", "status")
        rep = one_report(t, doc)
        t.eq((rep["status"], rep["message"]), ("expired", "expired at %s" % expires), "report")
        t.eq(doc["summary"]["waived"], 0, "summary.waived")


@case("waivers: a waiver approved by the release's author is self-approved and does not apply")
def _(t):
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", approver=AUTHOR)], verdict="deny")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]),
         ("self-approved", "approved by alice, the release's own author: a waiver needs someone else"), "report")


@case("waivers: the author's own approval in another spelling is self-approved (case, spaces, '@', invisible characters)")
def _(t):
    for spelt in ("Alice", "alice ", " ALICE", "@alice", "alice\u00a0", "al\u200bice", "ａｌｉｃｅ", "Álice",
                  "a\u0301lice", "\u2003Alice\t"):
        doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", approver=spelt)], verdict="deny")
        rep = one_report(t, doc)
        t.eq(rep["status"], "self-approved", "the waiver approved by %r for author alice" % spelt)
        t.contains(rep["message"], "the release's own author", "the report for %r" % spelt)
        t.eq(t.result(doc, "docs-updated")["status"], "fail", "status with a waiver by %r" % spelt)
    # The author's spelling varies too; someone else still may approve.
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", approver="alice")],
                      author=" @Alice ", verdict="deny")
    t.eq(one_report(t, doc)["status"], "self-approved", "author ' @Alice ', approver alice")
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", approver="alicia")], verdict="allow")
    t.eq(one_report(t, doc)["status"], "applied", "approver alicia for author alice")


@case("waivers: without an author (missing, not a string, blank) no waiver applies: nobody can tell the approver is someone else")
def _(t):
    for author, what in ((NO_AUTHOR, "missing"), (None, "null"), (7, "a number"), ({"login": "alice"}, "an object"),
                         (["alice"], "a list"), ("", "empty"), ("  \u200b ", "blank")):
        res = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated")], author=author)
        if res.rc == 2:
            continue  # the context is refused outright: fails closed as well
        doc = t.expect_decision(res, "deny")
        rep = one_report(t, doc)
        t.eq(rep["status"], "self-approved", "the waiver's status when release.author is %s" % what)
        t.contains(rep["message"], "nobody can tell", "the report when release.author is %s" % what)
        t.eq(t.result(doc, "docs-updated")["status"], "fail", "status when release.author is %s" % what)


@case("waivers: release, version and stage narrow a waiver; out of scope it does not apply")
def _(t):
    cases = [
        ({"release": "svc"}, "applied", None),
        ({"release": "other-app"}, "out-of-scope", "the waiver is for release other-app, not svc"),
        ({"version": ">=1.2.0 <1.3.0"}, "applied", None),
        ({"version": "1.2.0"}, "applied", None),
        ({"version": ">=1.3.0 || 1.1.0"}, "out-of-scope", "the waiver is for versions >=1.3.0 || 1.1.0, not 1.2.0"),
        ({"stage": "pre-release"}, "applied", None),
        ({"stage": "deploy"}, "out-of-scope", "the waiver is for the deploy stage, not pre-release"),
        ({"release": "svc", "version": "<2.0.0", "stage": "pre-release"}, "applied", None),
    ]
    for scope, status, message in cases:
        w = dict(waiver("docs-updated"), **scope)
        doc = run_waivers(t, failing=["docs-updated"], waivers=[w], verdict="allow" if status == "applied" else "deny")
        rep = one_report(t, doc)
        t.eq(rep["status"], status, "the status of a waiver scoped %r" % scope)
        if message:
            t.eq(rep["message"], message, "the message of a waiver scoped %r" % scope)
            t.eq(t.result(doc, "docs-updated")["status"], "fail", "the requirement under a waiver scoped %r" % scope)


@case("waivers: environment narrows a waiver to where the release goes; a release naming none is out of its scope")
def _(t):
    copy_from(t, DATA / "waivers.lua", "waivers.lua")
    for environment, scope, status, message in (
            ("staging", "staging", "applied", None),
            ("production", "staging", "out-of-scope", "the waiver is for environment staging, not production"),
            ("Staging", "staging", "out-of-scope", "the waiver is for environment staging, not Staging"),
            (None, "staging", "out-of-scope",
             "the waiver is for environment staging, not a release that names none (release.environment)"),
            (None, None, "applied", None)):
        ctx = waiver_context(["docs-updated"], [dict(waiver("docs-updated"), **({"environment": scope} if scope else {}))],
                             (), None, AUTHOR)
        if environment:
            ctx["release"]["environment"] = environment
        t.write_json("context.json", ctx)
        doc = t.expect_decision(t.eval("waivers.lua", "context.json"), "allow" if status == "applied" else "deny")
        rep = one_report(t, doc)
        t.eq(rep["status"], status, "a waiver for %s, the release going to %s" % (scope, environment))
        if message:
            t.eq(rep["message"], message, "its message (%s, %s)" % (scope, environment))
    doc = run_waivers(t, failing=["docs-updated"], waivers=[dict(waiver("docs-updated"), environment="")], verdict="deny")
    t.contains(one_report(t, doc)["message"], "environment must be a non-empty string", "an empty environment: malformed")


@case("waivers: an unknown field is an error (exit 2), a bad scope is malformed")
def _(t):
    w = dict(waiver("docs-updated"), relase="svc")
    res = run_waivers(t, failing=["docs-updated"], waivers=[w])
    t.expect_exit(res, 2)
    t.contains(res.err, "unknown waiver field 'relase'", "stderr")
    t.write_json("extra.json", [dict(waiver("docs-updated"), finding=["CVE-1"])])
    res = run_waivers(t, failing=["docs-updated"], extra=("--waivers", "extra.json"))
    t.expect_exit(res, 2)
    t.contains(res.err, "extra.json[0]: unknown waiver field 'finding'", "stderr for a --waivers file")
    for bad, why in (({"version": "^1.2"}, "version '^1.2' is not a SemVer range"),
                     ({"stage": "production"}, "stage must be pre-release, deploy or post-deploy"),
                     ({"release": ""}, "release must be a non-empty string"),
                     ({"findings": []}, "findings must be a non-empty list"),
                     ({"findings": "CVE-1"}, "findings must be a non-empty list")):
        doc = run_waivers(t, failing=["docs-updated"], waivers=[dict(waiver("docs-updated"), **bad)], verdict="deny")
        rep = one_report(t, doc)
        t.eq(rep["status"], "malformed", "status of a waiver with %r" % bad)
        t.contains(rep["message"], why, "message of a waiver with %r" % bad)


FINDINGS_POLICY = """\
policy { name = "scan", max_waiver_days = 30 }
requirement "vulns" {
  title = "No vulnerabilities", hint = "Upgrade.", level = "waivable",
  check = function(ctx)
    local ids = ctx.release.findings
    if #ids == 0 then return pass("none") end
    if ctx.release.unlisted then return fail("findings", {}) end
    return fail(#ids .. " findings", { failed_findings = ids })
  end,
}
"""


@case("waivers: findings cover only the findings named; any other finding still fails")
def _(t):
    t.write("scan.lua", FINDINGS_POLICY)

    def run(findings, covered, unlisted=False, expires=FUTURE):
        w = dict(waiver("vulns", expires=expires), findings=covered)
        t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.2.0", "type": "minor", "author": AUTHOR,
                                              "findings": findings, "unlisted": unlisted}, "waivers": [w]})
        return t.eval("scan.lua", "ctx.json")

    doc = t.expect_decision(run(["CVE-1", "CVE-2"], ["CVE-1", "CVE-2", "CVE-3"]), "allow")
    t.eq(one_report(t, doc)["status"], "applied", "all findings covered")
    doc = t.expect_decision(run(["CVE-1", "CVE-9"], ["CVE-1"]), "deny")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]), ("out-of-scope", "the check also failed on CVE-9, which the waiver does not cover"),
         "a finding not covered")
    doc = t.expect_decision(run(["CVE-1"], ["CVE-1"], unlisted=True), "deny")
    rep = one_report(t, doc)
    t.eq(rep["status"], "out-of-scope", "a check that does not list its findings")
    t.contains(rep["message"], "does not list the findings it failed on", "its message")
    # max_waiver_days = 30: a waiver running longer from the evaluation time is refused
    doc = t.expect_decision(run(["CVE-1"], ["CVE-1"], expires="2025-08-01T00:00:00Z"), "deny")
    rep = one_report(t, doc)
    t.eq(rep["status"], "too-long", "a waiver longer than the policy allows")
    t.contains(rep["message"], "more than the 30 days the policy allows", "its message")


@case("docs: the scoped waiver of docs/policies.md applies to its release and findings, and to nothing wider")
def _(t):
    doc_text = (REPO / "docs" / "policies.md").read_text()
    block = doc_text.split("A waiver may narrow itself further", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    w = json.loads(block)
    t.write("audit.lua", FINDINGS_POLICY.replace('"vulns"', '"%s"' % w["requirement"]).replace("max_waiver_days = 30", "name = \"a\""))

    def run(name, version, findings):
        t.write_json("ctx.json", {"release": {"name": name, "version": version, "type": "patch", "author": AUTHOR,
                                              "findings": findings}, "waivers": [w]})
        return one_report(t, t.decision(t.eval("audit.lua", "ctx.json")))["status"]

    t.eq(run("payments-api", "2.4.1", ["CVE-2024-21538"]), "applied", "the release, version and finding it names")
    t.eq(run("payments-api", "2.4.1", ["CVE-2024-21538", "CVE-2025-0001"]), "out-of-scope", "another finding")
    t.eq(run("payments-api", "2.5.0", ["CVE-2024-21538"]), "out-of-scope", "another version")
    t.eq(run("ledger", "2.4.1", ["CVE-2024-21538"]), "out-of-scope", "another release")


@case("waivers: max_waiver_days of a baseline holds for a team extending it (only ever tightened)")
def _(t):
    t.write("base.lua", FINDINGS_POLICY)
    t.write("loose.lua", 'policy { name = "loose", max_waiver_days = 365 }\nextends "base"\n')
    t.write("tight.lua", 'policy { name = "tight", max_waiver_days = 7 }\nextends "base"\n')
    w = dict(waiver("vulns", expires="2025-07-01T00:00:00Z"), findings=["CVE-1"])  # 20 days after NOW
    t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.2.0", "type": "minor", "author": AUTHOR,
                                          "findings": ["CVE-1"]}, "waivers": [w]})
    t.eq(one_report(t, t.expect_decision(t.eval("loose.lua", "ctx.json"), "allow"))["status"], "applied",
         "20 days under a base allowing 30, a team asking 365")
    t.eq(one_report(t, t.expect_decision(t.eval("tight.lua", "ctx.json"), "deny"))["status"], "too-long",
         "20 days under a team allowing 7")
    t.write("bad.lua", 'policy { name = "bad", max_waiver_days = 0 }\nrequirement "a" { title = "A", hint = "h", check = function() return pass("x") end }\n')
    res = t.run("lint", "--policy", "bad.lua")
    t.expect_exit(res, 1)
    t.contains(res.out, "bad.lua:1: policy{}: max_waiver_days must be a number of days", "lint")


@case("octoacme: the self-approved example stays deny when the author approves in another spelling or release.author is gone")
def _(t):
    import shutil
    src = EXAMPLES / "minor" / "pre-release" / "self-approved"
    expect = json.loads((src / "expect.json").read_text())
    base = json.loads((src / "context.json").read_text())
    shutil.copytree(src, Path(t.tmp, "ex"))

    def approver(spelt):
        def mutate(ctx):
            for a in ctx["approvals"]:
                if a["role"] == "release-manager":
                    a["user"] = spelt
        return mutate

    def author(value):
        def mutate(ctx):
            if value is NO_AUTHOR:
                del ctx["release"]["author"]
            else:
                ctx["release"]["author"] = value
        return mutate

    variants = [("as it is", lambda ctx: None), ("approved as MKhan", approver("MKhan")),
                ("approved as 'mkhan '", approver("mkhan ")), ("approved as @mkhan", approver("@mkhan")),
                ("approved as MK\u200bhan", approver("MK\u200bhan")), ("release.author removed", author(NO_AUTHOR)),
                ("release.author 42", author(42)), ("release.author null", author(None)),
                ("release.author blank", author("  "))]
    for what, mutate in variants:
        ctx = json.loads(json.dumps(base))
        mutate(ctx)
        t.write_json("ex/context.json", ctx)
        res = t.eval(str(POLICIES / "octoacme.lua"), "ex/context.json", now=expect["now"])
        if res.rc == 2:
            continue  # refused as a context error: closed as well
        doc = t.expect_decision(res, "deny")
        t.eq(t.result(doc, "release-manager-sign-off")["status"], "fail", "release-manager-sign-off (%s)" % what)
    # Someone else's sign-off still passes: the rule is not "deny everything".
    ctx = json.loads(json.dumps(base))
    approver("rjones")(ctx)
    t.write_json("ex/context.json", ctx)
    doc = t.decision(t.eval(str(POLICIES / "octoacme.lua"), "ex/context.json", now=expect["now"]))
    t.eq(t.result(doc, "release-manager-sign-off")["status"], "pass", "release-manager-sign-off by rjones")


@case("waivers: mandatory and advisory requirements cannot be waived (misapplied), nor unknown ones")
def _(t):
    doc = run_waivers(t, failing=["tests-pass"], waivers=[waiver("tests-pass")], verdict="deny")
    t.eq(t.result(doc, "tests-pass")["status"], "fail", "status")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]),
         ("misapplied", "requirement 'tests-pass' is mandatory: only waivable requirements can be waived"), "report")
    doc = run_waivers(t, failing=["style"], waivers=[waiver("style")], verdict="warn")
    t.eq(t.result(doc, "style")["status"], "warn", "status")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]),
         ("misapplied", "requirement 'style' is advisory: only waivable requirements can be waived"), "report")
    doc = run_waivers(t, waivers=[waiver("no-such-requirement")], verdict="allow")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]), ("misapplied", "the policy has no requirement 'no-such-requirement'"), "report")


@case("waivers: malformed waivers are reported and do not apply")
def _(t):
    cases = [
        (waiver("docs-updated", ticket=None), "docs-updated", "ticket is missing or not a non-empty string"),
        (waiver("docs-updated", approver=""), "docs-updated", "approver is missing or not a non-empty string"),
        (waiver("docs-updated", expires="2025-07-01T00:00:00+02:00"), "docs-updated",
         "expires '2025-07-01T00:00:00+02:00' is not in UTC (end it with Z)"),
        (waiver("docs-updated", expires="next friday"), "docs-updated", "expires 'next friday' is not an RFC 3339 time: "),
        (dict(waiver("docs-updated"), reason=7), "docs-updated", "reason is missing or not a non-empty string"),
        ("docs-updated until July", None, "a waiver must be an object"),
    ]
    for w, req, why in cases:
        doc = run_waivers(t, failing=["docs-updated"], waivers=[w], verdict="deny")
        rep = one_report(t, doc)
        t.eq((rep["requirement"], rep["status"]), (req, "malformed"), "report for %r" % (w,))
        t.check(rep["message"].startswith(why), "message for %r" % (w,), expected=why, actual=rep["message"])
        t.eq(t.result(doc, "docs-updated")["status"], "fail", "status")
    # +00:00 is UTC too.
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", expires="2025-07-01T00:00:00+00:00")],
                      verdict="allow")
    t.eq(one_report(t, doc)["status"], "applied", "a +00:00 expiry")


@case("waivers: waiver_role requires an approval with that role from the waiver's approver")
def _(t):
    director = {"user": "dana", "role": "engineering-director", "state": "approved", "at": "2025-06-10T09:00:00Z"}
    doc = run_waivers(t, failing=["perf-budget"], waivers=[waiver("perf-budget", approver="bob")],
                      approvals=[director], verdict="deny")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]),
         ("unauthorized", "requirement 'perf-budget' needs a waiver approved by someone with the role "
                          "engineering-director, and bob has no approval with that role"), "report")
    doc = run_waivers(t, failing=["perf-budget"], waivers=[waiver("perf-budget", approver="dana")],
                      approvals=[director], verdict="allow")
    t.eq(one_report(t, doc)["status"], "applied", "waiver by the director")
    t.eq(t.result(doc, "perf-budget")["status"], "waived", "status")
    pending = dict(director, state="pending")
    doc = run_waivers(t, failing=["perf-budget"], waivers=[waiver("perf-budget", approver="dana")],
                      approvals=[pending], verdict="deny")
    t.eq(one_report(t, doc)["status"], "unauthorized", "a pending approval does not count")
    # Separation of duties comes first: the author cannot waive, whatever their role.
    own = dict(director, user=AUTHOR)
    doc = run_waivers(t, failing=["perf-budget"], waivers=[waiver("perf-budget", approver=AUTHOR)],
                      approvals=[own], verdict="deny")
    t.eq(one_report(t, doc)["status"], "self-approved", "the author holding the role")
    # Without waiver_role, anyone but the author may approve: no approval needed.
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated", approver="zoe")], verdict="allow")
    t.eq(one_report(t, doc)["status"], "applied", "docs-updated by someone without any approval")


@case("waivers: --waivers FILE adds waivers (a list, or {\"waivers\": [...]}) after the context's")
def _(t):
    w_ctx = waiver("style")
    w_file = waiver("docs-updated", ticket="REL-9")
    for shape in ([w_file], {"waivers": [w_file]}):
        t.write_json("extra-waivers.json", shape)
        doc = run_waivers(t, failing=["docs-updated"], waivers=[w_ctx], extra=("--waivers", "extra-waivers.json"),
                          verdict="allow")
        t.eq([(w["source"], w["status"]) for w in doc["waivers"]],
             [("context.json: waivers[0]", "misapplied"), ("extra-waivers.json[0]", "applied")], "reports")
        t.eq(t.result(doc, "docs-updated")["details"]["waiver"]["ticket"], "REL-9", "details.waiver")
    t.write("extra-waivers.json", '[{"requirement": "docs-updated",}]')
    res = run_waivers(t, failing=["docs-updated"], extra=("--waivers", "extra-waivers.json"))
    t.expect_error(res, "context", file="extra-waivers.json")
    t.write_json("extra-waivers.json", {"waiver": []})
    res = run_waivers(t, extra=("--waivers", "extra-waivers.json"))
    t.expect_error(res, "context", mentions="a waivers file holds a list of waivers")
    res = run_waivers(t, extra=("--waivers", "no-such-file.json"))
    t.expect_exit(res, 2)
    t.eq(t.decision(res)["decision"], "error", "decision")


@case("waivers: a waiver with nothing to waive is unused (passing, already waived, not applying, skip, error)")
def _(t):
    doc = run_waivers(t, waivers=[waiver("docs-updated")], verdict="allow")
    rep = one_report(t, doc)
    t.eq((rep["status"], rep["message"]),
         ("unused", "requirement 'docs-updated' did not fail (pass): nothing to waive"), "passing requirement")
    t.eq(t.result(doc, "docs-updated")["status"], "pass", "status")
    doc = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated"), waiver("docs-updated", ticket="REL-2")],
                      verdict="allow")
    t.eq([(w["status"], w["message"]) for w in doc["waivers"]],
         [("applied", "waives requirement 'docs-updated' until 2025-07-01T00:00:00Z"),
          ("unused", "requirement 'docs-updated' is already waived by an earlier waiver")], "two waivers")
    doc = run_waivers(t, failing=["canary"], waivers=[waiver("canary")], verdict="allow")
    t.eq(one_report(t, doc)["message"], "requirement 'canary' does not apply to this release and stage", "canary")
    doc = run_waivers(t, failing=["canary"], waivers=[waiver("canary")], stage="deploy", verdict="allow")
    t.eq(one_report(t, doc)["status"], "applied", "canary at deploy")
    doc = run_waivers(t, failing=["probe"], waivers=[waiver("probe")], verdict="allow")
    t.eq(one_report(t, doc)["message"], "requirement 'probe' did not fail (skip): nothing to waive", "skip")
    # An error (a plugin check that could not decide) is never waived.
    t.write("plugin.lua", 'requirement "ci" { title = "CI", hint = "h", level = "waivable", check = "ci.status", '
                          'with = { reports = evidence "ci" } }\n')
    ctx = waiver_context(waivers=[waiver("ci")])
    ctx["evidence"] = {"ci": "missing-ci-report.json"}
    t.write_json("plugin-context.json", ctx)
    doc = t.expect_decision(t.eval("plugin.lua", "plugin-context.json"), "deny")
    t.eq(t.result(doc, "ci")["status"], "error", "status")
    t.eq(one_report(t, doc)["message"],
         "requirement 'ci' did not fail (error): nothing to waive — an error is never waived", "error")


@case("waivers: a context whose waivers is not a list is a context error; text output lists the waivers")
def _(t):
    copy_from(t, DATA / "waivers.lua", "waivers.lua")
    t.write_json("context.json", waiver_context(waivers={"requirement": "docs-updated"}))
    t.expect_error(t.eval("waivers.lua", "context.json"), "context", mentions='"waivers" must be a list')
    res = run_waivers(t, failing=["docs-updated"], waivers=[waiver("docs-updated"), waiver("tests-pass")],
                      extra=("--format", "text", "--no-color"))
    t.expect_exit(res, 0)
    t.contains(res.out, "\nwaivers:\n"
               "  - applied: waives requirement 'docs-updated' until 2025-07-01T00:00:00Z (context.json: waivers[0])\n"
               "  - misapplied: requirement 'tests-pass' is mandatory: only waivable requirements can be waived "
               "(context.json: waivers[1])\n", "text output")


# ---- A team policy extending the baseline, through relgate eval -----------------------------

TEAM = POLICIES / "team-payments.lua"
BASE = POLICIES / "octoacme.lua"


def example(rel):
    return EXAMPLES / rel / "context.json"


@case("extends: team-payments reports its base, and changed requirements say who changed them and why")
def _(t):
    doc = t.expect_decision(t.eval(TEAM, example("minor/deploy/pass")), "deny")
    pol = doc["policy"]
    t.eq((pol["name"], pol["version"]), ("team-payments", "1.0.0"), "policy")
    t.eq(len(pol["extends"]), 1, "policy.extends")
    base = pol["extends"][0]
    t.eq((base["name"], base["version"]), ("octoacme", "1.1.0"), "policy.extends[0]")
    t.check(base["file"].endswith("octoacme.lua"), "policy.extends[0].file", actual=base["file"])
    r = t.result(doc, "automated-pipeline")
    t.eq((r["level"], r["status"]), ("mandatory", "pass"), "automated-pipeline")
    t.eq(len(r["details"]["changed_by"]), 1, "changed_by")
    t.check(r["details"]["changed_by"][0].endswith(
        "team-payments.lua:14: level mandatory (PCI DSS: production changes to payments go through the audited "
        "pipeline only)"), "changed_by names file, line, change and reason", actual=r["details"]["changed_by"])
    r = t.result(doc, "pci-change-ticket")
    t.eq((r["status"], r["message"]), ("fail", "release.ticket is 'REL-1190', not a PCI change ticket (PCI-1234)"),
         "pci-change-ticket")
    doc = t.expect_decision(t.eval(BASE, example("minor/deploy/pass")), "allow")
    t.eq(doc["policy"]["extends"], [], "the baseline extends nothing")
    t.eq(t.result(doc, "automated-pipeline")["level"], "advisory", "the baseline's level")
    t.check("changed_by" not in t.result(doc, "automated-pipeline")["details"], "changed_by in the baseline")


@case("extends: the overridden level turns the baseline's warning into a deny")
def _(t):
    ctx = example("minor/deploy/manual-pipeline")
    doc = t.expect_decision(t.eval(BASE, ctx), "warn")
    t.eq(t.result(doc, "automated-pipeline")["status"], "warn", "baseline")
    doc = t.expect_decision(t.eval(TEAM, ctx), "deny")
    t.eq(t.result(doc, "automated-pipeline")["status"], "fail", "team")


@case("extends: the overridden parameter applies to its release type only")
def _(t):
    ctx = example("patch/pre-release/pass")
    doc = t.expect_decision(t.eval(BASE, ctx), "allow")
    t.contains(t.result(doc, "security-scan")["message"], "(fail_on critical): 1 high, 1 medium", "baseline")
    doc = t.expect_decision(t.eval(TEAM, ctx), "deny")
    r = t.result(doc, "security-scan")
    t.eq(r["status"], "fail", "team patch")
    t.contains(r["message"], "1 high (allowed 0)", "team patch")
    t.check(r["details"]["changed_by"][0].endswith(
        "team-payments.lua:20: parameter fail_on (payments hotfixes are held to the minor-release bar)"),
        "changed_by", actual=r["details"]["changed_by"])
    # A minor release keeps the baseline's parameters: same outcome under both.
    ctx = example("minor/pre-release/pass")
    a = t.result(t.expect_decision(t.eval(BASE, ctx), "allow"), "security-scan")
    b = t.result(t.expect_decision(t.eval(TEAM, ctx), "allow"), "security-scan")
    t.eq(a["message"], b["message"], "minor: same message under both")


@case("extends: a disabled requirement is skip, with who disabled it and why")
def _(t):
    ctx = example("minor/post-deploy/not-announced-to-support")
    doc = t.expect_decision(t.eval(BASE, ctx), "warn")
    t.eq(t.result(doc, "release-announced")["status"], "warn", "baseline")
    doc = t.expect_decision(t.eval(TEAM, ctx), "allow")
    r = t.result(doc, "release-announced")
    t.eq(r["status"], "skip", "team")
    why = "team-payments.lua:26: announced by the status-page bot on deploy (see RUNBOOK.md#announce)"
    t.check(r["message"].startswith("disabled by ") and r["message"].endswith(why), "message", expected=why,
            actual=r["message"])
    t.check(r["details"]["disabled_by"].endswith(why), "details.disabled_by", actual=r["details"])
    t.eq(doc["summary"]["skip"], 1, "summary.skip")


@case("extends: an override to waivable makes a baseline requirement waivable; bad overrides stop the gate")
def _(t):
    t.write("base.lua", """\
policy { name = "base", version = "2.0.0" }
requirement "docs" { title = "Docs", hint = "h",
  check = function(ctx) if ctx.release.docs then return pass("docs ok") end return fail("docs missing") end }
""")
    t.write("team.lua", """\
policy { name = "team", version = "1.0.0" }
extends "base"
override "docs" { level = "waivable", reason = "docs may trail by a sprint" }
""")
    ctx = {"release": {"name": "svc", "version": "1.2.0", "type": "minor", "author": "alice"},
           "waivers": [waiver("docs")]}
    t.write_json("context.json", ctx)
    doc = t.expect_decision(t.eval("base.lua", "context.json"), "deny")
    t.eq(doc["waivers"][0]["status"], "misapplied", "baseline: mandatory")
    doc = t.expect_decision(t.eval("team.lua", "context.json"), "allow")
    r = t.result(doc, "docs")
    t.eq((r["level"], r["status"]), ("waivable", "waived"), "team")
    t.eq(r["details"]["changed_by"], ["team.lua:3: level waivable (docs may trail by a sprint)"], "changed_by")
    t.eq(doc["policy"]["extends"], [{"name": "base", "version": "2.0.0", "file": "base.lua"}], "policy.extends")
    t.write("team.lua", 'extends "base"\ndisable "docs" {}\n')
    t.expect_error(t.eval("team.lua", "context.json"), "policy", file="team.lua", line=2,
                   mentions="disable 'docs' needs a reason")
    t.write("team.lua", 'extends "base"\noverride "doc" { level = "advisory", reason = "typo" }\n')
    t.expect_error(t.eval("team.lua", "context.json"), "policy", file="team.lua", line=2,
                   mentions="override: no requirement 'doc' to override")


# ---- extends: the base is frozen once it has loaded ---------------------------------------------

def octoacme_dir(t):
    """policies/octoacme.lua and its lib/ in the temp dir, beside a team policy."""
    copy_from(t, BASE, "octoacme.lua")
    for mod in sorted((POLICIES / "lib").glob("*.lua")):
        copy_from(t, mod, "lib/" + mod.name)


TEAM_TRICKS = [
    # (what the team policy does after extends "octoacme", the line the error names, a substring)
    ("patch a function of a module table the base uses",
     'local fields = require "lib.fields"\nfields.expect = function() return true end\n',
     "cannot modify a table of a module or of the base policy (field 'expect')"),
    ("add a field to a module table of the base",
     'local versions = require "lib.versions"\nversions.extra = true\n',
     "cannot modify a table of a module or of the base policy (field 'extra')"),
    ("patch a module table through another name",
     'local deploy = require "lib.deploy"\nlocal t = deploy\nt["window"] = nil\n',
     "cannot modify a table of a module or of the base policy"),
]


def team_trick(name, body, mentions):
    def fn(t):
        octoacme_dir(t)
        team = 'policy { name = "team-trick" }\nextends "octoacme"\n' + body
        t.write("team.lua", team)
        line = len(team.rstrip("\n").splitlines())
        ctx = example("minor/deploy/manual-pipeline")
        t.expect_error(t.eval("team.lua", ctx), "policy", file="team.lua", line=line, mentions=mentions)
    harness.add_case("extends: a team policy cannot %s: load error at its line" % name, fn)


for _trick in TEAM_TRICKS:
    team_trick(*_trick)


BASE_WITH_STATE = """\
policy { name = "base", version = "1.0.0" }
LIMIT = 0
RULES = { strict = true }
local allowed = 0
function set_allowed(n) allowed = n end
requirement "gate" { title = "Gate", hint = "h",
  check = function(ctx)
    if RULES.strict and (ctx.release.findings or 1) > math.max(LIMIT, allowed) then
      return fail("too many findings")
    end
    return pass("ok")
  end }
"""


@case("extends: a team policy can neither redefine a base global, patch a base table nor set a base variable")
def _(t):
    t.write("base.lua", BASE_WITH_STATE)
    t.write_json("context.json", {"release": {"name": "svc", "version": "1.2.0", "type": "minor"}})
    t.expect_decision(t.eval("base.lua", "context.json"), "deny")
    t.write("team.lua", 'extends "base"\nLIMIT = 10\n')
    t.expect_error(t.eval("team.lua", "context.json"), "policy", file="team.lua", line=2,
                   mentions="cannot redefine global 'LIMIT' of the base policy 'base'")
    t.write("team.lua", 'extends "base"\nRULES.strict = false\n')
    t.expect_error(t.eval("team.lua", "context.json"), "policy", file="team.lua", line=2,
                   mentions="cannot modify a table of a module or of the base policy (field 'strict')")
    # A base function that assigns one of the base's variables: the change is found once the
    # team policy has loaded, and named at a function that uses the variable (the check).
    t.write("team.lua", 'extends "base"\nset_allowed(10)\n')
    t.expect_error(t.eval("team.lua", "context.json"), "policy", file="base.lua", line=7,
                   mentions="the extending policy changed 'allowed'")
    # What the team may do: its own globals, tables and requirements, and override.
    t.write("team.lua", 'extends "base"\nMINE = { n = 1 }\nMINE.n = 2\n'
                        'override "gate" { level = "advisory", reason = "pilot" }\n')
    doc = t.expect_decision(t.eval("team.lua", "context.json"), "warn")
    t.eq(t.result(doc, "gate")["details"]["changed_by"], ["team.lua:4: level advisory (pilot)"], "changed_by")



# ---- Baselines that travel: the policy path --------------------------------------------

ORG_BASE = """\
policy { name = "org", version = "2.0.0" }
local fields = require "lib.fields"
requirement "owner" {
  title = "Owner named", hint = "Name an owner.",
  check = function(ctx) return fields.owner(ctx) end,
}
"""
ORG_FIELDS = """\
local M = {}
function M.owner(ctx)
  if ctx.release.owner then return pass("owner " .. ctx.release.owner) end
  return fail("no owner (org's lib.fields)")
end
return M
"""
TEAM_FIELDS = """\
return { ticket = function(ctx) if ctx.release.ticket then return pass("ticket") end return fail("no ticket (team's lib.fields)") end }
"""
PP_TEAM = """\
policy { name = "team", version = "1.0.0" }
extends "org"
local fields = require "lib.fields"
requirement "ticket" { title = "Ticket", hint = "Link a ticket.", check = function(ctx) return fields.ticket(ctx) end }
"""


def org_and_team(t):
    t.write("org/org.lua", ORG_BASE)
    t.write("org/lib/fields.lua", ORG_FIELDS)
    t.write("team/team.lua", PP_TEAM)
    t.write("team/lib/fields.lua", TEAM_FIELDS)
    t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "patch"}})


@case("policy path: extends finds a base in --policy-path or RELGATE_POLICY_PATH; base and team modules do not collide")
def _(t):
    org_and_team(t)
    res = t.eval("team/team.lua", "ctx.json")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"],
               "base policy 'org' not found: no file team/org.lua (and no policy path: --policy-path, RELGATE_POLICY_PATH)",
               "without a policy path")
    for how in ("option", "env"):
        extra = ("--policy-path", "org") if how == "option" else ()
        env = dict(os.environ, RELGATE_POLICY_PATH=str(Path(t.tmp) / "org")) if how == "env" else None
        res = t.run("eval", "--policy", "team/team.lua", "--context", "ctx.json", "--now", NOW, *extra, env=env)
        doc = t.expect_decision(res, "deny")
        t.eq({r["id"]: r["message"] for r in doc["requirements"]},
             {"owner": "no owner (org's lib.fields)", "ticket": "no ticket (team's lib.fields)"},
             "each policy's lib.fields is its own (%s)" % how)
        t.eq([(b["name"], b["version"]) for b in doc["policy"]["extends"]], [("org", "2.0.0")], "policy.extends (%s)" % how)
    # lint and test take it too
    res = t.run("lint", "--policy", "team/team.lua", "--policy-path", "org")
    t.expect_exit(res, 0)
    t.write("team/team_test.lua", 'test "t" { context = { release = { name = "s", version = "1.0.0", type = "patch", owner = "o", ticket = "T-1" } }, expect = { decision = "allow" } }\n')
    res = t.run("test", "team", "--policy-path", "org")
    t.expect_exit(res, 0)
    res = t.run("eval", "--policy", "team/team.lua", "--context", "ctx.json", "--policy-path", "no-such-dir")
    t.expect_exit(res, 2)
    t.contains(res.err, "--policy-path 'no-such-dir' is not a directory", "stderr")


@case("policy path: the policy's own directory comes first, then the path in order; the digest does not depend on where")
def _(t):
    org_and_team(t)
    t.write("other/org.lua", ORG_BASE.replace('"2.0.0"', '"9.0.0"'))
    t.write("other/lib/fields.lua", ORG_FIELDS)
    doc = t.decision(t.eval("team/team.lua", "ctx.json", "--policy-path", "org", "--policy-path", "other"))
    t.eq(doc["policy"]["extends"][0]["version"], "2.0.0", "the first directory given wins")
    first = doc["policy"]["digest"]
    t.write("moved/org.lua", ORG_BASE)
    t.write("moved/lib/fields.lua", ORG_FIELDS)
    doc = t.decision(t.eval("team/team.lua", "ctx.json", "--policy-path", "moved"))
    t.eq(doc["policy"]["digest"], first, "the same files elsewhere on the path give the same digest")
    t.write("team/org.lua", ORG_BASE.replace('"2.0.0"', '"1.5.0"'))
    t.write("team/lib/fields.lua", TEAM_FIELDS[:-1] + "\n")
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)   # team/org.lua wins, and its require finds the team's lib.fields, which has no owner()
    t.eq(t.decision(res)["decision"], "error", "the team's own org.lua comes first")


@case("policy path: a base vendored in a subfolder requires from its own folder")
def _(t):
    t.write("team/org/org.lua", ORG_BASE)
    t.write("team/org/lib/fields.lua", ORG_FIELDS)
    t.write("team/lib/fields.lua", TEAM_FIELDS)
    t.write("team/team.lua", PP_TEAM.replace('extends "org"', 'extends "org.org"'))
    t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "patch", "owner": "me"}})
    doc = t.expect_decision(t.eval("team/team.lua", "ctx.json"), "deny")
    t.eq({r["id"]: r["message"] for r in doc["requirements"]},
         {"owner": "owner me", "ticket": "no ticket (team's lib.fields)"}, "messages")


@case("policy path: a module on it cannot lead outside its directory; the team cannot change the base's modules")
def _(t):
    org_and_team(t)
    t.write("outside/evil.lua", "return {}\n")
    os.symlink(str(Path(t.tmp) / "outside" / "evil.lua"), str(Path(t.tmp) / "org" / "lib" / "evil.lua"))
    t.write("org/org.lua", ORG_BASE + 'local evil = require "lib.evil"\n')
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "module 'lib.evil': org/lib/evil.lua leads outside its folder on the policy path",
               "a symbolic link out of a policy path directory")
    # without a lib.fields of its own, the team's require finds the base's: frozen once extends ran
    t.write("org/org.lua", ORG_BASE)
    os.remove(str(Path(t.tmp) / "team" / "lib" / "fields.lua"))
    t.write("team/team.lua", PP_TEAM.replace('local fields = require "lib.fields"',
                                         'local fields = require "lib.fields"\nfields.owner = function() return pass("patched") end'))
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "cannot modify a table of a module or of the base policy", "the base's module is frozen")
    # ... and before extends runs (hostile round 16, F01): the module of the base's folder is
    # sealed as it loads, whoever requires it first, so the base never runs the team's patch.
    t.write("team/team.lua", 'policy { name = "team", version = "1.0.0" }\n'
            'local fields = require "lib.fields"\n'
            'fields.owner = function() return pass("patched") end\n'
            'extends "org"\n')
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "cannot modify a table of a module or of the base policy (field 'owner')",
               "the base's module, required before extends")
    for bad in ("/etc/passwd", "../org/org", "org/../x"):
        t.write("team/bad.lua", 'extends "%s"\n' % bad)
        res = t.eval("team/bad.lua", "ctx.json", "--policy-path", "org")
        t.expect_exit(res, 2)
        t.contains(json.loads(res.out)["error"]["message"], "is not allowed", "extends %r" % bad)


@case("a team policy beside its base cannot patch a module they share, before extends or as the base an org wraps")
def _(t):
    # The team-payments.lua / octoacme.lua layout: one folder, one lib/, so the base's
    # require of lib.staged returned the module the team had patched first (hostile round
    # 31, F02), and an org wrapping the team got the team's patch (F02b).
    t.write("pol/lib/staged.lua", "local M = {}\nfunction M.ok(v) return v == true end\nreturn M\n")
    t.write("pol/base.lua", 'policy { name = "base", version = "1.0.0" }\nlocal staged = require "lib.staged"\n'
            'requirement "staged" { title = "Staged", hint = "deploy to staging first",\n'
            '  check = function(ctx) if staged.ok(ctx.release.staged) then return pass("staged") end '
            'return fail("not staged") end }\n')
    patch = 'local staged = require "lib.staged"\nstaged.ok = function() return true end\n'
    t.write_json("ctx.json", {"stage": "pre-release", "release": {"name": "svc", "version": "1.2.0",
                                                                  "type": "minor", "staged": False}})
    t.write("pol/team.lua", 'policy { name = "team", version = "1.0.0" }\nextends "base"\n')
    res = t.eval("pol/team.lua", "ctx.json")
    t.expect_exit(res, 1)   # the control: the base denies
    t.write("pol/team.lua", 'policy { name = "team", version = "1.0.0" }\n' + patch + 'extends "base"\n')
    res = t.eval("pol/team.lua", "ctx.json")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "team.lua:3: cannot modify a table of a module or of the "
               "base policy (field 'ok')", "the team's patch before extends")
    t.write("pol/team2.lua", 'policy { name = "team2", version = "1.0.0" }\n' + patch)
    t.write("pol/org.lua", 'policy { name = "org", version = "1.0.0" }\nextends "team2"\n'
            'local staged = require "lib.staged"\n'
            'requirement "org-staged" { title = "Staged", hint = "deploy to staging first",\n'
            '  check = function(ctx) if staged.ok(ctx.release.staged) then return pass("staged") end '
            'return fail("not staged") end }\n')
    res = t.eval("pol/org.lua", "ctx.json")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "team2.lua:3: cannot modify a table of a module",
               "the wrapped team's patch")
    # A module that keeps its settings in a global: the global is the module's too, sealed
    # and not to be assigned again once it has loaded (hostile round 32, F01).
    t.write("pol/lib/staged.lua", "STAGING = { required = true }\nlocal M = {}\n"
            "function M.ok(v) return not STAGING.required or v == true end\nreturn M\n")
    for patch, why in (("STAGING.required = false", "cannot modify a table of a module or of the base policy "
                                                   "(field 'required')"),
                       ("STAGING = { required = false }", "cannot redefine global 'STAGING' of module 'lib.staged'")):
        t.write("pol/team.lua", 'policy { name = "team", version = "1.0.0" }\nrequire "lib.staged"\n%s\n'
                'extends "base"\n' % patch)
        res = t.eval("pol/team.lua", "ctx.json")
        t.expect_exit(res, 2)
        t.contains(json.loads(res.out)["error"]["message"], "team.lua:3: " + why, patch)
    t.write("pol/team.lua", 'policy { name = "team", version = "1.0.0" }\nrequire "lib.staged"\nextends "base"\n')
    t.expect_exit(t.eval("pol/team.lua", "ctx.json"), 1)   # unpatched, the base still denies


@case("docs: the Berlin deploy window of docs/policies.md reads daylight-saving time from the zone database")
def _(t):
    if not Path("/usr/share/zoneinfo/Europe/Berlin").exists():
        t.skip("tzdata is not installed")
    text = (REPO / "docs" / "policies.md").read_text()
    block = text.split("### The clock", 1)[1].split("```lua\n", 1)[1].split("```", 1)[0]
    t.write("window.lua", block)
    t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "patch"}, "stage": "deploy"})
    for now, verdict, message in (("2025-06-10T13:59:00Z", "allow", "deploying at tue 15:59 CEST"),
                                  ("2025-06-10T14:00:00Z", "deny", "outside the window: tue 16:00 CEST"),
                                  ("2025-01-14T14:59:00Z", "allow", "deploying at tue 15:59 CET"),
                                  ("2025-06-13T10:00:00Z", "deny", "outside the window: fri 12:00 CEST")):
        doc = t.expect_decision(t.eval("window.lua", "ctx.json", now=now), verdict)
        t.eq(t.result(doc, "berlin-deploy-window")["message"], message, "the message at %s" % now)


# ---- relgate check ------------------------------------------------------------------------

@case("relgate check: one plugin check with parameters and evidence, its result as JSON and an exit code")
def _(t):
    copy_from(t, POLICIES / "testdata" / "patch" / "trivy-high.sarif", "scan.sarif")
    args = ("check", "security.scan", "--param", "reports=scan", "--evidence", "scan=scan.sarif", "--now", NOW)
    res = t.run(*args, "--param", "fail_on=critical")
    t.expect_exit(res, 0)
    doc = json.loads(res.out)
    t.eq((doc["check"], doc["status"], doc["plugin"]["name"]), ("security.scan", "pass", "security"), "the result")
    t.eq(doc["params"], {"reports": "scan", "fail_on": "critical"}, "the parameters given")
    t.eq([e["name"] for e in doc["evidence"]], ["scan"], "the evidence it read")
    t.eq(doc["details"]["fail_on"], "critical", "the check's own details")
    res = t.run(*args, "--param", "fail_on=high")
    t.expect_exit(res, 1)
    t.eq(json.loads(res.out)["status"], "fail", "fail_on high")
    t.contains(json.loads(res.out)["message"], "1 high", "its message")
    # JSON values: a list, a number
    res = t.run("check", "security.scan", "--param", 'reports=["scan"]', "--evidence", "scan=scan.sarif", "--now", NOW,
                "--param", "max_high=1")
    t.expect_exit(res, 0)
    # --context is read as eval reads it: a second document, a NUL cutting a path, a key
    # twice are refused (round 26, F01: check read them with cJSON and passed)
    for name, text in (("two.json", '{"release": {"name": "s", "version": "1.0.0", "type": "minor"}, '
                                    '"evidence": {"scan": "scan.sarif"}} {"x": 1}'),
                       ("nul.json", '{"release": {"name": "s", "version": "1.0.0", "type": "minor"}, '
                                    '"evidence": {"scan": "scan.sarif\\u0000/../x"}}')):
        t.write(name, text)
        res = t.run("check", "security.scan", "--context", name, "--param", "reports=scan", "--now", NOW)
        t.expect_exit(res, 2)
        t.contains(res.err, name, "check --context %s is refused, naming it" % name)
    # what a policy's with refuses, check refuses in the same words
    res = t.run(*args, "--param", "fail_on=hihg")
    t.expect_exit(res, 2)
    t.eq(res.err.splitlines()[0], "relgate: error: check security.scan: fail_on is \"hihg\", not one of the values it "
         "allows: critical, high, medium, low, any, none", "stderr")
    # at every stage, as eval runs it (a check policy of pre-release only exited 2 at the
    # others, saying nothing; differential round 10, F2)
    for stage in ("deploy", "post-deploy"):
        res = t.run(*args, "--param", "fail_on=high", "--stage", stage)
        t.expect_exit(res, 1)
        t.eq(json.loads(res.out)["status"], "fail", "fail_on high at %s" % stage)
    res = t.run("check", "no.such")
    t.expect_exit(res, 2)
    t.contains(res.err, "unknown check 'no.such'", "stderr")
    res = t.run("check")
    t.expect_exit(res, 2)
    res = t.run("check", "security.scan", "--param", "novalue")
    t.expect_exit(res, 2)
    t.contains(res.err, "--param 'novalue' is not KEY=VALUE", "stderr")
    # in a given context: its evidence paths and release
    copy_from(t, POLICIES / "testdata" / "patch" / "trivy-high.sarif", "rel/scan.sarif")
    t.write_json("rel/ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "major"},
                                  "evidence": {"scan": "scan.sarif"}})
    res = t.run("check", "security.scan", "--param", "reports=scan", "--context", "rel/ctx.json", "--now", NOW)
    t.expect_exit(res, 1)
    t.eq([e["path"] for e in json.loads(res.out)["evidence"]], ["scan.sarif"], "evidence beside the context")
    # the evidence rules of eval hold: a path leaving the context's directory is refused
    t.write_json("rel/ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "major"},
                                  "evidence": {"scan": "../scan.sarif"}})
    res = t.run("check", "security.scan", "--param", "reports=scan", "--context", "rel/ctx.json", "--now", NOW)
    t.expect_exit(res, 2)
    t.contains(res.err, "leaves", "stderr")


@case("relgate init: a team policy extending a baseline, with a test, a context and evidence that pass")
def _(t):
    res = t.run("init", "mine")
    t.expect_exit(res, 0)
    for f in ("mine/org-baseline.lua", "mine/team.lua", "mine/team_test.lua", "mine/release/context.json",
              "mine/release/RELEASE_NOTES.md"):
        t.check((Path(t.tmp) / f).is_file(), "init did not write %s" % f)
    res = t.run("lint", "--policy", "mine/team.lua")
    t.expect_exit(res, 0)
    t.eq(res.out, "", "lint finds nothing")
    res = t.run("test", "mine", "--coverage")
    t.expect_exit(res, 0)
    t.contains(res.out, "3 passed, 0 failed", "its tests pass")
    doc = t.expect_decision(t.eval("mine/team.lua", "mine/release/context.json"), "allow")
    t.eq({r["id"]: r["status"] for r in doc["requirements"]},
         {"release-notes": "pass", "version-bump": "pass", "ticket-linked": "pass"}, "the release passes")
    t.eq([b["name"] for b in doc["policy"]["extends"]], ["org-baseline"], "it extends the baseline")
    t.check(any("level mandatory" in c for c in t.result(doc, "release-notes")["details"]["changed_by"]),
            "the override shows in the decision")
    # never over a policy
    before = (Path(t.tmp) / "mine" / "team.lua").read_text()
    res = t.run("init", "mine")
    t.expect_exit(res, 2)
    t.contains(res.err, "init never overwrites one", "stderr")
    t.eq((Path(t.tmp) / "mine" / "team.lua").read_text(), before, "team.lua is untouched")
    res = t.run("init", "--force")
    t.expect_exit(res, 2)
    res = t.run("init", cwd=t.tmp)
    t.expect_exit(res, 0)
    t.check((Path(t.tmp) / "team-policy" / "team.lua").is_file(), "the default directory")


@case("schema/context.schema.json: every example context is valid; what eval refuses is not")
def _(t):
    try:
        import jsonschema
    except ImportError:
        t.skip("python3-jsonschema is not installed")
    schema = json.loads((REPO / "schema" / "context.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    contexts = sorted(EXAMPLES.glob("**/context.json"))
    t.check(len(contexts) > 20, "too few example contexts", actual=len(contexts))
    for f in contexts:
        errs = [e.message for e in v.iter_errors(json.loads(f.read_text()))]
        t.eq(errs, [], "schema errors of %s" % f.relative_to(REPO))
    good = {"release": {"name": "svc", "version": "1.2.0", "type": "minor"}}
    for bad, what in (({"release": {"name": "svc", "version": "v1.2.0", "type": "minor"}}, "a leading v"),
                      ({"release": {"name": "svc", "version": "1.2.0", "type": "hotfix"}}, "an unknown type"),
                      (dict(good, stage="production"), "an unknown stage"),
                      (dict(good, evidence={"notes": "/etc/passwd"}), "an absolute evidence path"),
                      (dict(good, waivers=[dict(waiver("docs-updated"), relase="svc")]), "a misspelt waiver field")):
        t.check(list(v.iter_errors(bad)), "the schema accepts %s" % what)
        t.write_json("bad.json", bad)
        copy_from(t, DATA / "waivers.lua", "waivers.lua")
        t.expect_exit(t.eval("waivers.lua", "bad.json"), 2)   # and eval refuses it too
    t.eq(list(v.iter_errors(good)), [], "a minimal context")


@case("extends: override may change a requirement's check and when, and the decision shows each change")
def _(t):
    t.write("base.lua", """\
requirement "notes" { title = "N", hint = "h", check = function(ctx) return fail("base check") end,
  when = function(ctx) return false end }
requirement "scan" { title = "S", hint = "h", check = "security.scan", with = { reports = evidence "scan", fail_on = "high" } }
""")
    t.write("team.lua", """\
extends "base"
override "notes" { check = function(ctx) return pass("team check") end, when = function(ctx) return true end, reason = "ours" }
override "scan" { check = "ci.status", with = { reports = evidence "ci" }, reason = "ci instead" }
""")
    t.write_json("ctx.json", {"release": {"name": "a", "version": "1.0.0", "type": "patch"}})
    doc = t.decision(t.eval("team.lua", "ctx.json"))
    notes, scan = t.result(doc, "notes"), t.result(doc, "scan")
    t.eq((notes["status"], notes["message"]), ("pass", "team check"), "the team's check and when run")
    t.eq(notes["details"]["changed_by"], ["team.lua:2: check (a function) (ours)", "team.lua:2: when (ours)"], "notes changed_by")
    t.eq(scan["check"], "ci.status", "the new plugin check")
    t.eq(scan["details"]["changed_by"], ["team.lua:3: check ci.status (ci instead)", "team.lua:3: parameter reports (ci instead)"],
         "scan changed_by")
    t.write("bad.lua", """\
extends "base"
override "scan" { check = "ci.status", with = { fail_on = "high" }, reason = "x" }
override "notes" { check = 42 }
override "notes" { when = "always" }
""")
    res = t.run("lint", "--policy", "bad.lua")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [
        "bad.lua:2: override 'scan' for a patch: check ci.status has no parameter 'fail_on' (it takes: reports format "
        "required success pending_fails allow_failures match_commit max_age only_required allow_empty max_pages timezone)",
        "bad.lua:3: override 'notes': check must be a function (ctx) or the name of a plugin check",
        "bad.lua:4: override 'notes': when must be a function (ctx) returning true when the requirement applies",
    ], "lint output")


@case("extends: an override that moves a requirement's types or stages away keeps it in the decision, skipped; "
      "a check cannot write its own changed_by (hostile round 16, F02, F04)")
def _(t):
    t.write("base.lua", """\
requirement "sign-off" { title = "S", hint = "h", types = { "minor", "major" }, check = function(ctx) return fail("no sign-off") end }
requirement "notes" { title = "N", hint = "h", check = function(ctx) return fail("no notes") end }
""")
    t.write("team.lua", """\
extends "base"
override "sign-off" { types = { "major" }, reason = "majors only" }
override "notes" { check = function(ctx) return pass("fine", { changed_by = {}, disabled_by = "nobody", waiver = { approver = "ceo" } }) end, reason = "ours" }
""")
    t.write_json("ctx.json", {"release": {"name": "a", "version": "1.1.0", "type": "minor"}})
    doc = t.decision(t.eval("base.lua", "ctx.json"))
    t.eq(t.result(doc, "sign-off")["status"], "fail", "the baseline alone")
    doc = t.decision(t.eval("team.lua", "ctx.json"))
    sign = t.result(doc, "sign-off")
    t.eq(sign["status"], "skip", "a minor release's sign-off: shown, skipped")
    t.contains(sign["message"], "override changed its types or stages", "its message")
    t.eq(sign["details"]["changed_by"], ["team.lua:2: types (majors only)"], "who moved it")
    t.eq(doc["summary"]["skip"], 1, "summary.skip")
    notes = t.result(doc, "notes")
    t.eq(notes["details"].get("changed_by"), ["team.lua:3: check (a function) (ours)"], "the engine's changed_by, not the check's")
    t.check("disabled_by" not in notes["details"] and "waiver" not in notes["details"],
            "no disabled_by or waiver a check made up", actual=notes["details"])
    # where the base never applied (a patch), nothing is shown, as before
    t.write_json("patch.json", {"release": {"name": "a", "version": "1.0.1", "type": "patch"}})
    doc = t.decision(t.eval("team.lua", "patch.json"))
    t.eq([r["id"] for r in doc["requirements"]], ["notes"], "a patch release")
    # the text rendering shows it too
    res = t.eval("team.lua", "ctx.json", "--format", "text")
    t.contains(res.out, "sign-off", "text shows the moved requirement")


def make_bundle(t, where, name="octo", version="3.1.0", files=None):
    """A bundle directory WHERE: its files and a bundle.json pinning them; its digest."""
    import hashlib
    files = files or {
        "octo.lua": 'policy { name = "octo", version = "%s" }\nlocal f = require "lib.f"\n'
                    'requirement "owner" { title = "O", hint = "h", check = function(ctx) return f.check(ctx) end }\n' % version,
        "lib/f.lua": 'return { check = function(ctx) return pass("bundled lib") end }\n',
    }
    for rel, text in files.items():
        t.write("%s/%s" % (where, rel), text)
    manifest = {"name": name, "version": version, "policy": "octo.lua",
                "files": {rel: "sha256:" + hashlib.sha256(text.encode()).hexdigest() for rel, text in files.items()}}
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    t.write("%s/bundle.json" % where, data)
    return "sha256:" + hashlib.sha256(data).hexdigest()


@case("bundles: extends \"name@sha256:...\" loads a pinned bundle, the decision names it, and any change is refused")
def _(t):
    digest = make_bundle(t, "org/octo")
    t.write("team/team.lua", 'extends "octo@%s"\nrequirement "t" { title = "T", hint = "h", check = function(ctx) return pass("team") end }\n' % digest)
    t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": "patch"}})
    doc = t.expect_decision(t.eval("team/team.lua", "ctx.json", "--policy-path", "org"), "allow")
    t.eq(doc["policy"]["extends"], [{"name": "octo", "version": "3.1.0", "file": "org/octo/octo.lua",
                                     "bundle": {"name": "octo", "version": "3.1.0", "digest": digest}}], "policy.extends")
    t.eq(t.result(doc, "owner")["message"], "bundled lib", "the bundle's own module")
    # a file changed after pinning: refused, naming it
    t.write("org/octo/lib/f.lua", 'return { check = function(ctx) return pass("tampered") end }\n')
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "org/octo/lib/f.lua does not match its bundle's manifest", "a changed file")
    # a manifest changed (a file re-pinned): the pin no longer holds
    new = make_bundle(t, "org/octo", files={"octo.lua": 'local f = require "lib.f"\nrequirement "owner" { title = "O", hint = "h", check = function(ctx) return f.check(ctx) end }\n',
                                            "lib/f.lua": 'return { check = function(ctx) return pass("tampered") end }\n'})
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "bundle 'octo' is pinned to %s, but org/octo/bundle.json has %s: refused"
               % (digest, new), "a changed manifest")
    # a file the manifest does not list does not load
    t.write("org/octo/lib/extra.lua", "return {}\n")
    t.write("org/octo/octo.lua", 'local e = require "lib.extra"\nrequirement "o" { title = "O", hint = "h", check = function(ctx) return pass("x") end }\n')
    pinned = make_bundle(t, "org/octo", files={"octo.lua": (Path(t.tmp) / "org/octo/octo.lua").read_text()})
    t.write("team/team.lua", 'extends "octo@%s"\n' % pinned)
    res = t.eval("team/team.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "org/octo/lib/extra.lua is not in the manifest of bundle org/octo",
               "an unlisted module")
    t.write("team/bad.lua", 'extends "octo@sha256:00"\n')
    res = t.eval("team/bad.lua", "ctx.json", "--policy-path", "org")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "is pinned to sha256:00", "a malformed pin never matches")


@case("waivers: a findings waiver on security.scan covers exactly the findings it names (failed_findings)")
def _(t):
    copy_from(t, POLICIES / "testdata" / "patch" / "trivy-high.sarif", "scan.sarif")   # 1 high, 1 medium
    t.write("scan.lua", """\
requirement "scan" { title = "Scan", hint = "h", level = "waivable", check = "security.scan",
  with = { reports = evidence "scan", fail_on = by_type { patch = "high", minor = "medium" } } }
""")
    w = dict(waiver("scan"), findings=["CVE-2024-21538"])

    def run(kind):
        t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": kind, "author": AUTHOR},
                                  "evidence": {"scan": "scan.sarif"}, "waivers": [w]})
        return t.decision(t.eval("scan.lua", "ctx.json"))

    doc = run("patch")      # fails on the high finding only
    t.eq(t.result(doc, "scan")["details"].get("failed_findings"), ["CVE-2024-21538"], "failed_findings (fail_on high)")
    t.eq((doc["decision"], one_report(t, doc)["status"]), ("allow", "applied"), "the waiver covers it")
    doc = run("minor")      # fails on the high and the medium one
    t.eq(t.result(doc, "scan")["details"].get("failed_findings"), ["CVE-2024-21538", "CVE-2024-55565"],
         "failed_findings (fail_on medium)")
    rep = one_report(t, doc)
    t.eq((doc["decision"], rep["status"]), ("deny", "out-of-scope"), "the other finding still fails")
    t.contains(rep["message"], "CVE-2024-55565", "the message names it")


@case("waivers: with unknown_as, failed_findings lists the unknown findings counted as over too; a waiver naming "
      "only the others does not apply")
def _(t):
    # Hostile round 33, F01: "2 high (allowed 0)" listed only the HIGH one, and a waiver
    # naming it allowed the release.
    t.write_json("scan.json", {
        "SchemaVersion": 2, "CreatedAt": "2025-06-09T08:00:00Z", "ArtifactName": "app:1.0.0",
        "ArtifactType": "container_image",
        "Results": [{"Target": "app (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2025-1111", "PkgName": "curl", "InstalledVersion": "1.0", "Severity": "HIGH"},
            {"VulnerabilityID": "CVE-2025-2222", "PkgName": "openssl", "InstalledVersion": "1.0",
             "Severity": "UNKNOWN"}]}]})
    t.write("scan.lua", """\
requirement "scan" { title = "Scan", hint = "h", level = "waivable", check = "security.scan",
  with = { reports = evidence "scan", fail_on = "high", unknown_as = by_type { patch = "high", minor = "unknown" } } }
""")

    def run(kind, findings):
        t.write_json("ctx.json", {"release": {"name": "svc", "version": "1.0.0", "type": kind, "author": AUTHOR},
                                  "evidence": {"scan": "scan.json"},
                                  "waivers": [dict(waiver("scan"), findings=findings)]})
        return t.decision(t.eval("scan.lua", "ctx.json"))

    doc = run("patch", ["CVE-2025-1111"])
    r = t.result(doc, "scan")
    t.contains(r["message"], "2 high (allowed 0)", "the unknown one counted as high")
    t.eq(r["details"].get("failed_findings"), ["CVE-2025-1111", "CVE-2025-2222"], "failed_findings")
    t.eq((doc["decision"], one_report(t, doc)["status"]), ("deny", "out-of-scope"), "the waiver names one of two")
    doc = run("patch", ["CVE-2025-1111", "CVE-2025-2222"])
    t.eq((doc["decision"], one_report(t, doc)["status"]), ("allow", "applied"), "a waiver naming both covers it")
    doc = run("minor", ["CVE-2025-1111"])   # unknown counted as unknown: only the HIGH one is over
    t.eq(t.result(doc, "scan")["details"].get("failed_findings"), ["CVE-2025-1111"], "failed_findings (unknown)")
    t.eq(doc["decision"], "allow", "the waiver covers the one finding over")

if __name__ == "__main__":
    sys.exit(harness.main())
