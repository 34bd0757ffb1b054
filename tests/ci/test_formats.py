#!/usr/bin/env python3
"""--format text, markdown, junit and github (docs/ci.md, "Output formats").

meson runs: python3 test_formats.py RELGATE   (env RG_FIXTURE_BEHAVE: the fixture plugin)

For every examples/**/expect.json, evaluated with its own clock, each format must exit
as expect.json says and carry the same decision as the JSON rendering:
  text      the verdict and every requirement id; no ANSI escapes off a terminal, nor
            on one with NO_COLOR or --no-color (colours on one otherwise); ASCII marks
            in the C locale, UTF-8 marks in C.UTF-8;
  markdown  one table: header, separator, one row per requirement with as many cells,
            ids, levels, statuses and messages matching;
  junit     well-formed XML, counts matching the summary, <failure>/<error>/<skipped>/
            <system-out> as the statuses say, properties matching (and, in a case of
            its own, valid against data/junit.xsd with xmllint);
  github    only ::error/::warning/::notice commands that decode (as the runner does)
            back to each requirement's message and hint.
Policies under data/formats put what each format has to escape into messages, and
errors are rendered in every format (and --output is then left alone).
"""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cihelp
from cihelp import ANSI, REPO, copy_ci, eval_example, examples, run_pty, style_env
from harness import Failure, add_case, case

NOW = "2025-06-10T14:00:00Z"

ASCII_MARKS = {"pass": "[pass]", "fail": "[FAIL]", "warn": "[warn]", "waived": "[waived]",
               "error": "[ERROR]", "skip": "[skip]"}
UTF8_MARKS = {"pass": "✔", "fail": "✘", "warn": "▲", "waived": "◌", "error": "‼", "skip": "–"}


# ---- What each format must say, given the JSON decision ---------------------------

def requirement_line(t, text, req):
    """The text line that starts requirement REQ: '  MARK  ID  message'.  Returns MARK."""
    m = re.search(r"^  (?P<mark>\S.*?)  " + re.escape(req["id"]) + r"(?:  |$)", text, re.M)
    t.check(m, "no line in the text output starts requirement %s" % req["id"], actual=text[-3000:])
    return m.group("mark")


def check_text(t, doc, text, utf8=None, where="text output"):
    """The verdict first, every id on a line with a mark naming its status."""
    first = text.split("\n", 1)[0]
    t.check(first.startswith(doc["decision"].upper()), "%s does not start with the verdict" % where,
            expected=doc["decision"].upper(), actual=first)
    for req in doc["requirements"]:
        mark = requirement_line(t, text, req)
        t.check(req["status"].lower() in mark.lower(), "the mark of %s does not name its status" % req["id"],
                expected=req["status"], actual=mark)
        if utf8 is True:
            t.check(UTF8_MARKS[req["status"]] in mark, "%s: no UTF-8 mark for %s in a UTF-8 locale" % (where, req["id"]),
                    expected=UTF8_MARKS[req["status"]], actual=mark)
        elif utf8 is False:
            t.check(mark.strip() == ASCII_MARKS[req["status"]],
                    "%s: the mark of %s is not plain ASCII in the C locale" % (where, req["id"]),
                    expected=ASCII_MARKS[req["status"]], actual=mark)
    summary = "%d requirement" % doc["summary"]["total"]
    t.contains(text, summary, where)


def check_markdown(t, doc, text):
    t.check(text.startswith("### "), "markdown does not start with a heading", actual=text[:200])
    t.contains(text.split("\n", 1)[0], "**%s**" % doc["decision"], "the markdown heading")
    tables = cihelp.md_tables(text)
    for tb in tables:  # every table (the requirements, and any other such as waivers) holds together
        t.eq(len(tb["separator"]), len(tb["header"]), "cells in the separator row of table %s" % tb["header"])
        for row, raw in zip(tb["rows"], tb["raw_rows"]):
            t.check(len(row) == len(tb["header"]), "a row of table %s has %d cells" % (tb["header"], len(row)),
                    expected=len(tb["header"]), actual=raw)
    reqs = [tb for tb in tables if {"requirement", "level"} <= {h.lower() for h in tb["header"]}]
    t.eq(len(reqs), 1, "markdown tables of requirements (Requirement and Level columns)")
    table = reqs[0]
    header = table["header"]
    t.check(len(header) >= 4, "the table header has too few cells", actual=header)
    t.eq(len(table["separator"]), len(header), "cells in the separator row")
    names = [h.lower() for h in header]
    for col in ("requirement", "level", "status", "message"):
        t.check(col in names, "the table has no %s column" % col, actual=header)
    c_req, c_level, c_status, c_msg = (names.index(c) for c in ("requirement", "level", "status", "message"))
    t.eq(len(table["rows"]), len(doc["requirements"]), "table rows (one per requirement)")
    for req, row, raw in zip(doc["requirements"], table["rows"], table["raw_rows"]):
        if len(row) != len(header):
            raise Failure("the row of %s has %d cells, the header %d" % (req["id"], len(row), len(header)),
                          expected=len(header), actual=raw)
        m = re.match(r"`([^`]*)`", row[c_req])
        t.check(m, "the requirement cell does not start with the id in backticks", actual=row[c_req])
        t.eq(m.group(1), req["id"], "id in the table (a code span)")
        t.eq(row[c_level], req["level"], "level of %s in the table" % req["id"])
        t.eq(row[c_status], req["status"], "status of %s in the table" % req["id"])
        t.eq(cihelp.md_shown(row[c_msg]), cihelp.neutralised(req["message"]).strip(),
             "message of %s in the table (as rendered)" % req["id"])
    for req in doc["requirements"]:
        if req["status"] not in ("pass", "skip"):
            t.contains(text, "**`%s`**" % req["id"], "markdown 'What needs doing'")
    if doc["actions"]:
        t.contains(text, "#### Actions", "markdown")
        for a in doc["actions"]:
            if a["type"] == "rollback" and a["target"]:
                t.contains(text, "roll back to %s" % a["target"], "markdown actions")
    else:
        t.check("#### Actions" not in text, "markdown lists actions the decision does not have")


def check_junit(t, doc, data):
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise Failure("the JUnit output is not well-formed XML: %s" % e)
    s = doc["summary"]
    counts = {"tests": s["total"], "failures": s["fail"], "errors": s["error"],
              "skipped": s["skip"] + s["waived"]}
    t.eq(root.tag, "testsuites", "root element")
    suites = root.findall("testsuite")
    t.eq(len(suites), 1, "number of <testsuite>")
    suite = suites[0]
    for el, what in ((root, "<testsuites>"), (suite, "<testsuite>")):
        for attr, n in counts.items():
            if attr == "skipped" and el is root:
                continue  # junit-10.xsd allows skipped= only on <testsuite>
            t.eq(el.get(attr), str(n), "%s %s=" % (what, attr))
    t.eq(root.get("skipped"), None, "<testsuites skipped=> (Jenkins' junit-10.xsd refuses it)")
    cihelp.check_ant_attributes(t, data if isinstance(data, bytes) else data.encode())
    t.eq(suite.get("timestamp"), doc["evaluated_at"].rstrip("Z"), "<testsuite timestamp=>")
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    want = {"decision": doc["decision"], "release": doc["release"]["name"], "version": doc["release"]["version"],
            "type": doc["release"]["type"], "stage": doc["stage"], "policy_digest": doc["policy"]["digest"]}
    for k, v in want.items():
        t.eq(props.get(k), cihelp.xml_expected_attr(v), "property %s" % k)
    cases = suite.findall("testcase")
    t.eq(len(cases), len(doc["requirements"]), "number of <testcase>")
    for req, tc in zip(doc["requirements"], cases):
        rid = req["id"]
        t.check(tc.get("name", "").startswith(rid + ":"), "testcase name does not start with the id",
                expected=rid, actual=tc.get("name"))
        t.check(float(tc.get("time")) >= 0, "negative time")
        children = [c.tag for c in tc]
        status = req["status"]
        if status == "pass":
            t.eq(children, [], "children of passing testcase %s" % rid)
            continue
        if status in ("fail", "error"):
            tag = "failure" if status == "fail" else "error"
            t.eq(children, [tag], "children of testcase %s (%s)" % (rid, status))
            el = tc.find(tag)
            t.eq(el.get("message"), cihelp.xml_expected_attr(req["message"]), "%s message= of %s" % (tag, rid))
            t.eq(el.get("type"), req["level"], "%s type= of %s" % (tag, rid))
            body = el.text or ""
            t.check(body.startswith(cihelp.xml_expected_text(req["message"])),
                    "the <%s> text of %s does not start with the message" % (tag, rid),
                    expected=cihelp.xml_expected_text(req["message"]), actual=body[:500])
            if req.get("hint"):
                t.contains(body, cihelp.xml_expected_text(req["hint"]), "<%s> text of %s (the hint)" % (tag, rid))
        elif status in ("skip", "waived"):
            t.eq(children, ["skipped"], "children of testcase %s (%s)" % (rid, status))
            t.contains(tc.find("skipped").get("message"), cihelp.xml_expected_attr(req["message"]),
                       "<skipped message=> of %s" % rid)
        elif status == "warn":
            t.eq(children, ["system-out"], "children of testcase %s (warn passes)" % rid)
            t.contains(tc.find("system-out").text or "", cihelp.xml_expected_text(req["message"]),
                       "<system-out> of %s" % rid)
    return root


GH_LEVEL = {"fail": "error", "error": "error", "warn": "warning", "waived": "notice"}
GH_VERDICT = {"allow": "notice", "warn": "warning", "deny": "error"}


def check_github(t, doc, text):
    t.check(text.endswith("\n"), "github output does not end with a newline")
    lines = text[:-1].split("\n")
    for line in lines:
        t.check(re.match(r"::(error|warning|notice) ", line),
                "a line that is not ::error, ::warning or ::notice", actual=line[:300])
    parsed = [cihelp.gh_parse(line) for line in lines]
    needing = [r for r in doc["requirements"] if r["status"] not in ("pass", "skip")]
    t.eq(len(parsed), len(needing) + 1, "workflow commands (one per requirement needing action, and the verdict)")
    for req, (cmd, props, data) in zip(needing, parsed):
        rid = req["id"]
        t.eq(cmd, GH_LEVEL[req["status"]], "command for %s (%s)" % (rid, req["status"]))
        file, _, line = req["source"].rpartition(":")
        t.eq(props.get("file"), file, "file= of %s (from its source %s)" % (rid, req["source"]))
        t.eq(props.get("line"), line, "line= of %s" % rid)
        t.contains(props.get("title", ""), rid, "title= of %s" % rid)
        t.contains(props.get("title", ""), req["status"], "title= of %s" % rid)
        want = cihelp.neutralised(req["message"] + ("\nHow to pass: " + req["hint"] if req.get("hint") else ""), "keep")
        t.eq(data, want, "decoded message of %s (message, then the hint)" % rid)
    cmd, props, data = parsed[-1]
    t.eq(cmd, GH_VERDICT[doc["decision"]], "command of the verdict line")
    t.check(data.startswith("%s: %s %s" % (doc["decision"], cihelp.neutralised(doc["release"]["name"], "keep"),
                                            cihelp.neutralised(doc["release"]["version"], "keep"))),
            "the verdict line does not start with verdict, release and version", actual=data)


# ---- Every example in every format ---------------------------------------------------

def json_doc(t, example):
    expect, res = eval_example(t, example)
    t.expect_exit(res, expect["exit"])
    doc = t.decision(res)
    t.eq(doc["decision"], expect["decision"], "decision (JSON)")
    return expect, doc


def text_case(example):
    def run(t):
        expect, doc = json_doc(t, example)
        # Off a terminal, whatever the locale: no colours.
        for env, utf8, what in ((style_env(LANG="C"), False, "LANG=C"),
                                (style_env(LC_ALL="C", LANG="C.UTF-8"), False, "LC_ALL=C"),
                                (style_env(LANG="C.UTF-8"), True, "LANG=C.UTF-8"),
                                (style_env(LC_ALL="C.UTF-8", LANG="C"), True, "LC_ALL=C.UTF-8")):
            _, res = eval_example(t, example, "--format", "text", env=env)
            t.expect_exit(res, expect["exit"])
            t.check(b"\x1b" not in res.stdout, "an ANSI escape in text output to a pipe (%s)" % what)
            check_text(t, doc, res.out, utf8=utf8, where="text output (%s, a pipe)" % what)
        # On a terminal: colours, unless NO_COLOR or --no-color (or TERM=dumb).
        args = ["eval", "--policy", cihelp.harness.POLICY.relative_to(REPO), "--context",
                example / "context.json", "--now", expect["now"], "--format", "text"]
        res = run_pty(t, *args, env=style_env(LANG="C.UTF-8"), cwd=REPO)
        t.expect_exit(res, expect["exit"])
        t.check(ANSI.search(res.stdout), "no colours in text output on a terminal")
        check_text(t, doc, ANSI.sub(b"", res.stdout).decode("utf-8", "replace"), utf8=True,
                   where="text output (a terminal, colours removed)")
        for extra, env, what in (([], style_env(LANG="C.UTF-8", NO_COLOR="1"), "NO_COLOR=1"),
                                 (["--no-color"], style_env(LANG="C.UTF-8"), "--no-color"),
                                 ([], style_env(LANG="C.UTF-8", TERM="dumb"), "TERM=dumb")):
            res = run_pty(t, *args, *extra, env=env, cwd=REPO)
            t.expect_exit(res, expect["exit"])
            t.check(b"\x1b" not in res.stdout, "an ANSI escape on a terminal with %s" % what,
                    actual=res.stdout[:300])
            check_text(t, doc, res.out, utf8=True, where="text output (a terminal, %s)" % what)
    return run


def format_case(example, fmt, check):
    def run(t):
        expect, doc = json_doc(t, example)
        _, res = eval_example(t, example, "--format", fmt)
        t.expect_exit(res, expect["exit"])
        t.eq(res.err.count("relgate: error"), 0, "error lines on stderr")
        check(t, doc, res.out if fmt != "junit" else res.stdout)
    return run


for ex in examples():
    add_case("text: %s" % ex, text_case(ex))
    add_case("markdown: %s" % ex, format_case(ex, "markdown", check_markdown))
    add_case("junit: %s" % ex, format_case(ex, "junit", check_junit))
    add_case("github: %s" % ex, format_case(ex, "github", check_github))


@case("junit: every example's JUnit report validates against data/junit.xsd (xmllint)")
def _(t):
    n = 0
    for ex in examples():
        expect, res = eval_example(t, ex, "--format", "junit")
        t.expect_exit(res, expect["exit"])
        path = t.write("%d.xml" % n, res.stdout)
        t.note("%s -> %s" % (ex, path.name))
        cihelp.xmllint_validate(t, path)
        n += 1
    t.check(n > 0, "no examples found")


@case("junit: relgate test --format junit goes through the same writer and validates against both schemas")
def _(t):
    res = t.run("test", str(REPO / "policies"), "--format", "junit", cwd=REPO)
    t.expect_exit(res, 0)
    path = t.write("policy-tests.xml", res.stdout)
    root = ET.fromstring(res.stdout)
    t.check(int(root.get("tests")) > 0, "no test cases in the JUnit report", actual=root.attrib)
    cihelp.xmllint_validate(t, path)


@case("text: --output on a terminal writes no colours into the file")
def _(t):
    ex = examples()[0]
    expect = cihelp.load_expect(ex)
    out = Path(t.tmp, "decision.txt")
    res = run_pty(t, "eval", "--policy", cihelp.harness.POLICY.relative_to(REPO), "--context",
                  ex / "context.json", "--now", expect["now"], "--format", "text", "--output", out,
                  env=style_env(LANG="C.UTF-8"), cwd=REPO)
    t.expect_exit(res, expect["exit"])
    t.eq(res.stdout, b"", "stdout with --output")
    t.check(b"\x1b" not in out.read_bytes(), "an ANSI escape in the --output file")


# ---- What each format has to escape --------------------------------------------------

def nasty(t, fmt, *extra, policy="nasty.lua", context="context.json"):
    copy_ci(t, "formats")
    res = t.eval("formats/" + policy, "formats/" + context, "--format", fmt, *extra)
    return res


def nasty_doc(t, policy="nasty.lua", context="context.json", *extra):
    res = t.eval("formats/" + policy, "formats/" + context, *extra)
    t.expect_exit(res, 1)
    return t.decision(res)


@case("markdown: pipes, HTML, line breaks and backticks in messages keep the table's structure")
def _(t):
    res = nasty(t, "markdown")
    t.expect_exit(res, 1)
    doc = nasty_doc(t)
    check_markdown(t, doc, res.out)
    t.check("<script" not in res.out and "<b>" not in res.out and "<i>" not in res.out,
            "raw HTML from a message or title reached the markdown", actual=res.out)
    # No message line break leaks out of its cell: every line of the table is a row.
    table = cihelp.md_tables(res.out)[0]
    for raw in table["raw_rows"]:
        t.check(raw.endswith("|"), "a table row does not end with a pipe (a line break in a cell?)", actual=raw)


@case("markdown: a backslash before a pipe in a message does not split the cell")
def _(t):
    copy_ci(t, "formats")
    t.write("formats/backslash.lua",
            'requirement "grep" { title = "Grep", stages = { "post-deploy" }, check = function(ctx)\n'
            '  return fail([[grep "error\\|fatal" matched in C:\\logs\\]] .. " | done") end }\n')
    res = t.eval("formats/backslash.lua", "formats/context.json", "--format", "markdown")
    t.expect_exit(res, 1)
    doc = nasty_doc(t, "backslash.lua")
    t.eq(doc["requirements"][0]["message"], 'grep "error\\|fatal" matched in C:\\logs\\ | done', "the message")
    check_markdown(t, doc, res.out)


@case("github: %, CR, LF in data and ':' ',' in properties are escaped and decode back")
def _(t):
    copy_ci(t, "formats")
    odd = Path(t.tmp, "odd,dir:x 100%")
    odd.mkdir()
    Path(t.tmp, "formats", "nasty.lua").rename(odd / "nasty.lua")
    res = t.eval(odd.name + "/nasty.lua", "formats/context.json", "--format", "github")
    t.expect_exit(res, 1)
    doc = t.decision(t.eval(odd.name + "/nasty.lua", "formats/context.json"))
    check_github(t, doc, res.out)
    first = res.out.split("\n")[0]
    t.contains(first, "file=odd%2Cdir%3Ax 100%25/nasty.lua,", "the escaped file property")
    # Every requirement with a message the runner would otherwise misread was annotated.
    t.check(any(r["status"] == "warn" for r in doc["requirements"]), "the policy has a warning")


@case("junit: XML specials and control characters in messages, titles and names are escaped")
def _(t):
    cihelp.install_fixture(t)
    copy_ci(t, "formats")
    args = ("--plugin-path", "plugins")
    res = t.eval("formats/xml.lua", "formats/xml-context.json", "--format", "junit", *args)
    t.expect_exit(res, 1)
    doc = t.decision(t.eval("formats/xml.lua", "formats/xml-context.json", *args))
    t.check(b"\x01" not in res.stdout and b"\x02" not in res.stdout and b"\x1f" not in res.stdout,
            "a control character XML cannot hold is in the JUnit output")
    root = check_junit(t, doc, res.stdout)
    suite = root.find("testsuite")
    t.contains(suite.get("name"), 'svc <&>"\' x', "the testsuite name (release name)")
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    t.eq(props.get("policy"), 'xml <&>"\'', "the policy property")
    names = [tc.get("name") for tc in suite.findall("testcase")]
    t.contains(names[0], 'Specials <&>"\' here', "the first testcase name (title)")
    path = t.write("specials.xml", res.stdout)
    if cihelp.shutil.which("xmllint"):
        cihelp.xmllint_validate(t, path)


@case("junit: failed is <failure>, errored <error>, skipped and waived <skipped>; counts tell them apart")
def _(t):
    cihelp.install_fixture(t)
    copy_ci(t, "formats")
    args = ("--plugin-path", "plugins")
    ctx = "formats/xml-context.json"
    doc = t.decision(t.eval("formats/xml.lua", ctx, *args))
    got = {r["id"]: r["status"] for r in doc["requirements"]}
    t.eq(got, {"specials": "fail", "broken": "error", "skipped": "skip", "advisory": "warn", "fine": "pass",
               "waived-one": "waived"}, "statuses")
    res = t.eval("formats/xml.lua", ctx, "--format", "junit", *args)
    t.expect_exit(res, 1)
    root = check_junit(t, doc, res.stdout)
    t.eq((root.get("failures"), root.get("errors"), root.find("testsuite").get("skipped"), root.get("tests")), ("1", "1", "2", "6"),
         "failures, errors, skipped (skip and waived), tests")
    cases = {tc.get("name").split(":")[0]: tc for tc in root.iter("testcase")}
    t.eq([c.tag for c in cases["specials"]], ["failure"], "the failed requirement's testcase")
    t.eq([c.tag for c in cases["broken"]], ["error"], "the errored requirement's testcase")
    t.eq([c.tag for c in cases["waived-one"]], ["skipped"], "the waived requirement's testcase")
    res = t.eval("formats/xml.lua", ctx, "--format", "github", *args)
    check_github(t, doc, res.out)
    res = t.eval("formats/xml.lua", ctx, "--format", "markdown", *args)
    check_markdown(t, doc, res.out)
    res = t.eval("formats/xml.lua", ctx, "--format", "text", *args, env=style_env(LANG="C"))
    check_text(t, doc, res.out, utf8=False)


@case("junit: noncharacters U+FFFE and U+FFFF in a message keep the XML well-formed")
def _(t):
    copy_ci(t, "formats")
    doc = nasty_doc(t, "nonchar.lua")
    t.contains(doc["requirements"][0]["message"], "\ufffe", "the JSON message")
    res = t.eval("formats/nonchar.lua", "formats/context.json", "--format", "junit")
    t.expect_exit(res, 1)
    try:
        ET.fromstring(res.stdout)
    except ET.ParseError as e:
        raise Failure("the JUnit output is not well-formed XML: %s" % e,
                      expected="U+FFFE/U+FFFF dropped or replaced (XML 1.0 Char excludes them)",
                      actual=[l for l in res.out.splitlines() if "noncharacters" in l][:2])


@case("junit: a long multi-byte release name keeps the XML well-formed (no UTF-8 cut in half)")
def _(t):
    copy_ci(t, "formats")
    ctx = json.loads(Path(t.tmp, "formats/context.json").read_text())
    ctx["release"]["name"] = "é" * 300      # 600 bytes: longer than a fixed-size name buffer
    t.write_json("formats/long.json", ctx)
    res = t.eval("formats/nasty.lua", "formats/long.json", "--format", "junit")
    t.expect_exit(res, 1)
    try:
        root = ET.fromstring(res.stdout)
    except ET.ParseError as e:
        raise Failure("the JUnit output is not well-formed XML: %s" % e,
                      actual=[l[:120] + "..." + l[-60:] for l in res.out.splitlines() if "<testsuite " in l])
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    t.eq(props.get("release"), "é" * 300, "the release property")


@case("text: terminal control characters in messages are not printed raw (no ESC with --no-color)")
def _(t):
    copy_ci(t, "formats")
    doc = nasty_doc(t, "control.lua")
    t.contains(doc["requirements"][0]["message"], "\x1b[31m", "the JSON message")
    for extra, env in ((["--no-color"], style_env(LANG="C.UTF-8")), ([], style_env(LANG="C", NO_COLOR="1"))):
        res = t.eval("formats/control.lua", "formats/context.json", "--format", "text", *extra, env=env)
        t.expect_exit(res, 1)
        check_text(t, doc, res.out.replace("\r", "").replace("\x1b", ""))
        bad = sorted({"%#04x" % b for b in res.stdout if b < 0x20 and b not in (0x0a, 0x09) or b == 0x7f})
        t.check(not bad, "control characters from the policy reach the text output raw (%s)" % " ".join(extra + [k + "=" + v for k, v in env.items() if k == "NO_COLOR" and v]),
                expected="no ESC, CR, BEL or DEL: a message cannot colour, clear or overwrite a job log",
                actual={"bytes": bad, "line": [l for l in res.out.split("\n") if "RED" in l][:1]})


# ---- Untrusted text in every channel (docs/ci.md, "Untrusted text") ------------------

# The string hostile.lua puts in messages, hints, titles and details; the context puts it
# in release.name, an evidence name, and the waiver's reason, approver and ticket.
HOSTILE = ("x\n::error::forged\r::add-mask::s3cr3t\r\n  ::stop-commands::tok\n##[error]legacy "
           "##vso[task.setvariable variable=a]b \x1b[31m\u009b2J\u202e <img src=x onerror=alert(1)> "
           "[l](https://evil.example) ![i](x.png) @octo-org/sec :x: **b** _i_ `c` | ]]> \x01 #\u200b#[warning]zw")


def hostile_context(t, evidence_path="notes.md", name="hostile.json"):
    copy_ci(t, "formats")
    ctx = {"release": {"name": HOSTILE, "version": "1.2.0", "previous_version": "1.1.0", "type": "minor",
                       "author": "alice"},
           "stage": "post-deploy", "evidence": {HOSTILE: evidence_path},
           "waivers": [{"requirement": "waivable", "reason": HOSTILE, "approver": "bob " + HOSTILE,
                        "ticket": HOSTILE, "expires": "2025-07-01T00:00:00Z"}, {"requirement": HOSTILE}]}
    t.write_json("formats/" + name, ctx)
    return "formats/" + name


def no_ci_commands(t, text, where):
    bad = cihelp.ci_command_lines(text)
    t.check(not bad, "%s has lines a CI runner reads as commands" % where,
            expected="none: '::' at a line start, '##[' or '##vso[' anywhere", actual=bad[:5])


def no_control_bytes(t, data, where):
    bad = cihelp.control_bytes(data)
    t.check(not bad, "%s carries terminal control characters raw" % where, actual=bad)


def hostile_eval(t, fmt):
    ctx = hostile_context(t)
    res = t.eval("formats/hostile.lua", ctx, "--format", fmt)
    t.expect_exit(res, 1)
    doc = t.decision(t.eval("formats/hostile.lua", ctx))
    t.eq(doc["release"]["name"], HOSTILE, "release.name in the JSON decision (as it was)")
    t.eq([w["status"] for w in doc["waivers"]], ["applied", "malformed"], "waiver reports")
    return doc, res


@case("untrusted text: --format text shows hostile context and policy text on our lines, without commands or control bytes")
def _(t):
    doc, res = hostile_eval(t, "text")
    no_ci_commands(t, res.out, "the text output")
    no_control_bytes(t, res.stdout, "the text output")
    check_text(t, doc, res.out)
    t.contains(res.out, cihelp.neutralised(HOSTILE), "the release name, neutralised")


@case("untrusted text: --format github has only our commands; hostile text is escaped data that starts none")
def _(t):
    doc, res = hostile_eval(t, "github")
    check_github(t, doc, res.out)  # every line one of ours, decoding to the neutralised message
    t.check("##[" not in res.out and "##vso[" not in res.out.lower(), "a CI marker inside a command line",
            actual=[l for l in res.out.split("\n") if "##" in l][:3])
    no_control_bytes(t, res.stdout, "the github output")
    _, _, verdict = cihelp.gh_parse(res.out.rstrip("\n").split("\n")[-1])
    t.contains(verdict, cihelp.neutralised(HOSTILE, "keep"), "the verdict notice names the release, neutralised")


@case("untrusted text: --format markdown renders hostile text literally (no links, images, emphasis, HTML, mentions)")
def _(t):
    doc, res = hostile_eval(t, "markdown")
    check_markdown(t, doc, res.out)
    no_ci_commands(t, res.out, "the markdown output")
    no_control_bytes(t, res.stdout, "the markdown output")
    body = res.out
    for live in ("<img", "](", "![", "**b**", "_i_", "`c`", "@octo-org", "https://", ":x:"):
        t.check(live not in body, "live markdown from untrusted text: %r" % live,
                actual=[l[:200] for l in body.split("\n") if live in l][:2])
    title = body.split("\n", 1)[0]
    t.eq(cihelp.md_shown(title.split(" — ", 1)[1].rsplit(" 1.2.0 ", 1)[0]), cihelp.neutralised(HOSTILE).strip(),
         "the release name in the heading, as rendered")
    waivers = [tb for tb in cihelp.md_tables(body) if "Source" in tb["header"]]
    t.eq(len(waivers), 1, "the waivers table")
    t.eq(len(waivers[0]["rows"]), 2, "rows of the waivers table (a malformed requirement name stays in its cell)")


@case("untrusted text: --format junit is well-formed XML with hostile text, no commands, no control bytes")
def _(t):
    doc, res = hostile_eval(t, "junit")
    root = check_junit(t, doc, res.stdout)
    no_ci_commands(t, res.out, "the JUnit output")
    no_control_bytes(t, res.stdout, "the JUnit output")
    t.eq({p.get("name"): p.get("value") for p in root.iter("property")}["release"],
         cihelp.xml_expected_attr(HOSTILE), "the release property")
    t.write("hostile.xml", res.stdout)
    cihelp.xmllint_validate(t, Path(t.tmp, "hostile.xml"))


@case("untrusted text: errors on stderr quoting the context or the policy are lines of ours, never commands")
def _(t):
    ctx = hostile_context(t, evidence_path="../../../outside", name="escape.json")
    t.write("formats/raises.lua", "local H = %s\nerror(H, 0)\n" % json.dumps(HOSTILE).replace("\\u", "\\u"))
    for policy, context, what in (("formats/hostile.lua", ctx, "an evidence name in a context error"),
                                  ("formats/raises.lua", "formats/context.json", "a policy's error message")):
        for fmt in ("text", "github", "json"):
            res = t.eval(policy, context, "--format", fmt)
            t.expect_exit(res, 2)
            no_ci_commands(t, res.err, "stderr (%s, --format %s)" % (what, fmt))
            no_control_bytes(t, res.stderr, "stderr (%s, --format %s)" % (what, fmt))
            lines = res.err.rstrip("\n").split("\n")
            t.check(all(l.startswith("relgate: ") for l in lines), "a stderr line that is not ours (%s)" % what,
                    actual=[l for l in lines if not l.startswith("relgate: ")][:3])
            t.check(len(lines) > 3, "the hostile message spans several stderr lines (%s)" % what, actual=lines)
            if fmt == "github":
                check_github_error = [cihelp.gh_parse(l) for l in res.out.rstrip("\n").split("\n")]
                t.eq(len(check_github_error), 1, "workflow commands for the error (%s)" % what)


# ---- Errors in every format ------------------------------------------------------------

def error_reference(t, context="formats/malformed.json"):
    copy_ci(t, "formats")
    res = t.eval("formats/nasty.lua", context)
    doc = t.expect_error(res, ("context", "io"))
    return doc["error"]


def check_error_output(t, fmt, err, res):
    t.expect_exit(res, 2)
    t.check(res.error_lines(), "no 'relgate: error:' line on stderr", actual=res.err)
    t.contains(res.error_lines()[0], err["message"], "the stderr error line")
    if fmt == "junit":
        try:
            root = ET.fromstring(res.stdout)
        except ET.ParseError as e:
            raise Failure("the JUnit error report is not well-formed XML: %s" % e)
        t.eq((root.get("tests"), root.get("failures"), root.get("errors")), ("1", "0", "1"),
             "<testsuites> tests, failures, errors")
        cases = list(root.iter("testcase"))
        t.eq(len(cases), 1, "testcases in the error report")
        t.eq([c.tag for c in cases[0]], ["error"], "children of the error testcase")
        el = cases[0].find("error")
        t.eq(el.get("message"), err["message"], "<error message=>")
        t.eq(el.get("type"), err["kind"], "<error type=>")
        t.check((el.text or "").startswith(err["message"]), "the <error> text is not the message")
        return root
    if fmt == "markdown":
        t.contains(res.out.split("\n", 1)[0], "**error**", "the markdown heading")
        tables = cihelp.md_tables(res.out)
        t.eq(len(tables), 1, "markdown tables")
        table = tables[0]
        names = [h.lower() for h in table["header"]]
        t.eq(len(table["separator"]), len(names), "separator cells")
        t.check(table["rows"], "the error table has no row")
        row = table["rows"][0]
        t.eq(len(row), len(names), "cells in the error row")
        t.eq(row[names.index("kind")], err["kind"], "kind cell")
        t.eq(cihelp.md_unescape(row[names.index("message")]), err["message"], "message cell")
        if err["file"]:
            t.contains(row[names.index("where")], err["file"], "where cell")
        return table
    if fmt == "github":
        lines = res.out.rstrip("\n").split("\n")
        t.eq(len(lines), 1, "workflow commands for an error")
        cmd, props, data = cihelp.gh_parse(lines[0])
        t.eq(cmd, "error", "command")
        t.eq(data, err["message"], "decoded message")
        if err["file"]:
            t.eq(props.get("file"), err["file"], "file=")
        if err["line"]:
            t.eq(props.get("line"), str(err["line"]), "line=")
        return props
    if fmt == "text":
        t.check(not res.out.lstrip().startswith("{"), "--format text printed JSON on an error")
        t.check(b"\x1b" not in res.stdout, "colours in text output to a pipe")
        return None


for fmt in ("junit", "markdown", "github", "text"):
    for what, ctx in (("a malformed context", "formats/malformed.json"), ("a missing context", "formats/missing.json")):
        def error_case(t, fmt=fmt, ctx=ctx):
            err = error_reference(t, ctx)
            res = t.eval("formats/nasty.lua", ctx, "--format", fmt)
            check_error_output(t, fmt, err, res)
            # With --output: the same rendering on stdout, and in the file.
            res2 = t.eval("formats/nasty.lua", ctx, "--format", fmt, "--output", "out.report")
            check_error_output(t, fmt, err, res2)
            t.eq(Path(t.tmp, "out.report").read_bytes(), res2.stdout, "--output holds the error's rendering")
            t.eq(t.listing(), ["formats", "out.report"], "files left in the working directory")
            # An existing --output file (an earlier answer) is replaced by the error's.
            t.write("old.report", b"previous report\n")
            res3 = t.eval("formats/nasty.lua", ctx, "--format", fmt, "--output", "old.report")
            check_error_output(t, fmt, err, res3)
            t.eq(Path(t.tmp, "old.report").read_bytes(), res3.stdout, "the existing --output file: the error now")
            if fmt == "junit":
                cihelp.xmllint_validate(t, t.write("error.xml", res.stdout))
        add_case("errors: %s with --format %s exits 2 and renders the error, into --output too" % (what, fmt),
                 error_case)


if __name__ == "__main__":
    cihelp.main()
