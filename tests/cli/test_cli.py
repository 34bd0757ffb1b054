#!/usr/bin/env python3
"""The command line: help and version, options, stdin, overrides, --fail-on-warn,
--output, --evidence-root, print(), the clock, the post-deploy playbook, and what the
decision JSON must carry for any policy.  Policies and contexts from tests/data."""

import calendar
import hashlib
import json
import os
import re
import stat
import sys
import time

from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import NOW, NOW_EPOCH, POLICY, REPO, case, main, umask

CONTEXT = {
    "release": {"name": "demo-service", "version": "1.4.0", "previous_version": "1.3.2", "type": "minor"},
    "stage": "pre-release",
}

EVAL_OPTIONS = [
    "--policy", "--context", "--stage", "--type", "--format", "--output", "--now", "--fail-on-warn",
    "--evidence-root", "--max-memory", "--max-instructions", "--timeout", "--help",
    "--log", "--no-color", "--plugin-path", "--jobs", "--check-timeout", "--check-memory",
]


def setup(t, policy="allow.lua", context=None, name="context.json"):
    t.copy_data("policies/" + policy, "policy.lua")
    t.write_json(name, context if context is not None else CONTEXT)


def strip_durations(data):
    return re.sub(rb'("duration_ms"\s*:\s*)-?[0-9][0-9.eE+-]*', rb"\g<1>0", data)


# ---- Help and version -------------------------------------------------------------------------

@case("--help: exit 0, usage on stdout, names the eval command")
def _(t):
    for flag in ("--help", "-h", "help"):
        res = t.run(flag)
        t.expect_exit(res, 0)
        t.contains(res.out, "usage", "relgate %s" % flag)
        t.contains(res.out, "eval", "relgate %s" % flag)
        t.contains(res.out, "--version", "relgate %s" % flag)
        t.eq(res.stderr, b"", "stderr of relgate %s" % flag)


@case("eval --help: exit 0 and mentions every option")
def _(t):
    for args in (["eval", "--help"], ["eval", "-h"], ["help", "eval"]):
        res = t.run(*args)
        t.expect_exit(res, 0)
        t.eq(res.stderr, b"", "stderr")
        for option in EVAL_OPTIONS:
            t.check(re.search(r"(^|[\s,\[])%s\b" % re.escape(option), res.out, re.M),
                    "relgate %s does not mention %s" % (" ".join(args), option), actual=res.out)
        for word in ("json", "text", "pre-release", "deploy", "post-deploy", "patch", "minor", "major"):
            t.contains(res.out, word, "relgate %s" % " ".join(args))


@case("eval --help wins over missing options and does not evaluate")
def _(t):
    res = t.run("eval", "--context", "missing.json", "--help")
    t.expect_exit(res, 0)
    t.contains(res.out, "--policy", "help text")
    t.check(not res.out.lstrip().startswith("{"), "printed a decision instead of help")


@case("every command that loads plugins refuses a 33rd --plugin-path instead of dropping it")
def _(t):
    dirs = []
    for _i in range(33):
        dirs += ["--plugin-path", str(t.tmp)]
    for command in ("eval", "check", "plugins", "lint", "test", "serve"):
        res = t.run(command, *dirs)
        t.expect_exit(res, 2)
        t.contains(res.err, "at most 32 --plugin-path options", "relgate %s with 33 directories" % command)
    res = t.run("plugins", *dirs[:64])
    t.expect_exit(res, 0)


@case("--version: 'relgate X.Y.Z', the same version the decision reports")
def _(t):
    versions = set()
    for flag in ("--version", "-V"):
        res = t.run(flag)
        t.expect_exit(res, 0)
        t.check(re.fullmatch(r"relgate \d+\.\d+\.\d+\n", res.out), "unexpected --version output",
                expected="relgate X.Y.Z", actual=res.out)
        versions.add(res.out.split()[1])
    t.eq(len(versions), 1, "number of distinct versions")
    setup(t)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["engine"]["version"], versions.pop(), "engine.version in the decision")


# ---- A decision, field by field -----------------------------------------------------------------

@case("allow: every field of the decision for a one-requirement policy")
def _(t):
    setup(t)
    res = t.eval("policy.lua", "context.json")
    doc = t.expect_decision(res, "allow")
    t.eq(doc["release"], {"name": "demo-service", "version": "1.4.0", "type": "minor"}, "release")
    t.eq(doc["stage"], "pre-release", "stage")
    t.eq(doc["policy"]["name"], "test-allow", "policy.name")
    t.eq(doc["policy"]["version"], "0.0.1", "policy.version")
    t.eq(doc["context"]["file"], "context.json", "context.file")
    t.eq(doc["context"]["digest"], "sha256:" + hashlib.sha256((t.tmp / "context.json").read_bytes()).hexdigest(),
         "context.digest")
    t.eq(doc["summary"], {"total": 1, "pass": 1, "fail": 0, "warn": 0, "waived": 0, "error": 0, "skip": 0},
         "summary")
    r = doc["requirements"][0]
    t.eq(r["id"], "always-passes", "id")
    t.eq(r["title"], "Always passes", "title")
    t.eq(r["level"], "mandatory", "level")
    t.eq(r["status"], "pass", "status")
    t.eq(r["message"], "nothing to check", "message")
    t.eq(r["check"], "lua", "check")
    t.eq(r["details"], {"release": "demo-service"}, "details")
    t.eq(r["source"], "policy.lua:4", "source (file:line of the declaration)")
    t.eq(doc["actions"], [], "actions")
    t.eq(doc["evaluated_at"], NOW, "evaluated_at")
    t.eq(res.stderr, b"", "stderr of a clean allow")


@case("policy without policy{}: name is the file's base name, version null")
def _(t):
    t.write("gate.lua", 'requirement "one" { title = "One", check = function(ctx) return pass("ok", {}) end }\n')
    t.write_json("context.json", CONTEXT)
    doc = t.expect_decision(t.eval("gate.lua", "context.json"), "allow")
    t.eq(doc["policy"]["name"], "gate", "policy.name")
    t.eq(doc["policy"]["version"], None, "policy.version")


@case("policy digest: same files same digest; one byte changed, another digest")
def _(t):
    setup(t)
    first = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")["policy"]["digest"]
    again = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")["policy"]["digest"]
    t.eq(again, first, "policy.digest on a second run")
    with open(t.tmp / "policy.lua", "a") as f:
        f.write("-- one more comment\n")
    changed = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")["policy"]["digest"]
    t.check(changed != first, "policy.digest did not change with the policy's text", actual=changed)


@case("results without details: details is {}")
def _(t):
    setup(t, "no-details.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "warn")
    for rid, status in (("pass-without-details", "pass"), ("warn-without-details", "warn"),
                        ("skip-without-details", "skip")):
        r = t.result(doc, rid)
        t.eq(r["status"], status, "status of %s" % rid)
        t.eq(r["details"], {}, "details of %s" % rid)
    t.eq(doc["summary"]["skip"], 1, "summary.skip")


@case("text in messages and details: escaped in JSON, UTF-8 kept")
def _(t):
    setup(t, "text.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    r = doc["requirements"][0]
    t.eq(r["title"], "Text \"quoted\" and ünïcödé ✓", "title")
    t.eq(r["message"], "line one\nline \"two\"\ttab \\ backslash \x01 control — ünïcödé ✓", "message")
    t.eq(r["details"], {"key with \"quotes\"": "value\nwith newline", "list": [1, 2.5, True, "x"],
                        "empty_list": [], "nested": {"deeper": {"deepest": "é"}}}, "details")


@case("details keys come out sorted, so decisions reproduce")
def _(t):
    t.write("policy.lua", 'requirement "keys" { title = "Keys", check = function(ctx)\n'
            '  local d = {}\n'
            '  for _, k in ipairs({ "zulu", "alpha", "mike", "bravo", "yankee", "charlie" }) do d[k] = #k end\n'
            '  return pass("keys", d)\nend }\n')
    t.write_json("context.json", CONTEXT)
    res = t.eval("policy.lua", "context.json")
    t.expect_decision(res, "allow")
    keys = re.findall(r'"(zulu|alpha|mike|bravo|yankee|charlie)"', res.out)
    t.eq(keys, sorted(keys), "order of the details keys in the output")


@case("bytes that are not UTF-8 in a check's message and details: the decision is still UTF-8 JSON")
def _(t):
    setup(t, "bad-utf8-text.lua")
    res = t.eval("policy.lua", "context.json")
    t.expect_exit(res, 0)
    doc = t.decision(res)   # valid UTF-8, one JSON object
    t.eq(doc["decision"], "allow", "decision")
    r = doc["requirements"][0]
    t.eq(r["message"], "bad byte \ufffd here", "the message's bad byte became U+FFFD")
    t.eq(r["details"], {"key\ufffd": "value \ufffd"}, "the details' key and value too")


@case("bytes that are not UTF-8 in a policy error: the error decision is still UTF-8 JSON")
def _(t):
    setup(t, "bad-utf8-error.lua")
    res = t.eval("policy.lua", "context.json")
    t.expect_exit(res, 2)
    doc = t.decision(res)
    t.eq(doc["error"]["kind"], "policy", "error.kind")


@case("a context path that is not UTF-8: the decision is still UTF-8 JSON")
def _(t):
    setup(t, "allow.lua")
    name = os.fsdecode(b"ctx-\xff.json")
    os.rename(t.tmp / "context.json", t.tmp / name)
    res = t.eval("policy.lua", name)
    t.expect_exit(res, 0)
    t.decision(res)
    res = t.eval("policy.lua", os.fsdecode(b"missing-\xff.json"))
    t.expect_exit(res, 2)
    t.decision(res)


@case("JSON null reads as nil in a policy, and the context is read-only")
def _(t):
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["release"]["ticket"] = None
    setup(t, "null-field.lua", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["requirements"][0]["status"], "pass", "status (message: %s)" % doc["requirements"][0]["message"])


@case("context nested exactly 64 levels deep is accepted")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    t.copy_data("contexts/deep-64.json", "context.json")
    t.expect_decision(t.eval("policy.lua", "context.json"), "allow")


# ---- Verdicts and exit codes ---------------------------------------------------------------------

@case("deny: a failing mandatory requirement exits 1 with its hint")
def _(t):
    setup(t, "deny.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "deny")
    r = t.result(doc, "mandatory-fails")
    t.eq(r["status"], "fail", "status")
    t.eq(r["hint"], "Make it pass.", "hint")
    t.eq(r["details"], {"stage": "pre-release"}, "details")
    t.check("hint" not in t.result(doc, "always-passes"), "a passing requirement carries a hint")


@case("warn: an advisory failure is a warn and exits 0")
def _(t):
    setup(t, "warn.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "warn", 0)
    r = t.result(doc, "advisory-fails")
    t.eq(r["level"], "advisory", "level")
    t.eq(r["status"], "warn", "status of a failed advisory requirement")
    t.eq(doc["summary"]["warn"], 1, "summary.warn")
    t.eq(doc["summary"]["fail"], 0, "summary.fail")


@case("--fail-on-warn: a warn exits 1, the decision stays warn")
def _(t):
    setup(t, "warn.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--fail-on-warn"), "warn", 1)
    t.eq(doc["summary"]["warn"], 1, "summary.warn")
    res = t.eval("policy.lua", "context.json", "--fail-on-warn", "--format", "text")
    t.expect_exit(res, 1)


@case("--fail-on-warn: allow still exits 0, deny still 1")
def _(t):
    setup(t, "allow.lua")
    t.expect_decision(t.eval("policy.lua", "context.json", "--fail-on-warn"), "allow", 0)
    t.copy_data("policies/deny.lua", "deny.lua")
    t.expect_decision(t.eval("deny.lua", "context.json", "--fail-on-warn"), "deny", 1)


@case("--format text: verdict first, one line per requirement, exit code as for JSON")
def _(t):
    setup(t, "deny.lua")
    res = t.eval("policy.lua", "context.json", "--format", "text")
    t.expect_exit(res, 1)
    lines = res.out.splitlines()
    t.check(lines and re.search(r"\bdeny\b", lines[0], re.I), "first line does not give the verdict",
            actual=lines[:1])
    t.contains(res.out, "mandatory-fails", "text output")
    t.contains(res.out, "always-passes", "text output")
    t.contains(res.out, "Make it pass.", "text output (the hint)")
    t.check(not res.out.lstrip().startswith("{"), "--format text printed JSON")
    res = t.eval("policy.lua", "context.json", "--format=json")
    t.expect_decision(res, "deny")


@case("stdout that cannot be written (/dev/full): exit 2, never a verdict")
def _(t):
    if not os.path.exists("/dev/full"):
        t.skip("no /dev/full")
    setup(t, "allow.lua")
    for fmt in ("json", "text"):
        res = t.eval("policy.lua", "context.json", "--format", fmt, stdout_to="/dev/full")
        t.expect_exit(res, 2)
        t.check(res.error_lines(), "no 'relgate: error:' line on stderr", actual=res.err)
    # The reports and the log say so too: they said allow while CI saw exit 2 (hostile
    # round 37b, F03); the log keeps the decision, the error after it.
    res = t.eval("policy.lua", "context.json", "--format", "json=report.json", "--log", "log.jsonl",
                 stdout_to="/dev/full")
    t.expect_exit(res, 2)
    t.eq(json.loads((t.tmp / "report.json").read_text())["decision"], "error", "the report")
    records = [json.loads(line) for line in (t.tmp / "log.jsonl").read_text().splitlines()]
    t.eq([r["decision"] for r in records], ["allow", "error"], "the log's records")
    t.contains(records[1]["error"]["message"], "cannot write the decision to standard output", "the error logged")


# ---- Context from standard input -----------------------------------------------------------------

@case("--context -: reads stdin; evidence resolves against the working directory")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("work/notes.md", "NOTES FROM THE WORKING DIRECTORY\n")
    t.write("notes.md", "NOTES FROM THE WRONG DIRECTORY\n")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "notes.md"}
    res = t.eval("../policy.lua", "-", stdin=json.dumps(ctx), cwd=t.tmp / "work")
    doc = t.expect_decision(res, "allow")
    t.eq(doc["context"]["file"], "<stdin>", "context.file")
    t.eq(doc["context"]["digest"], "sha256:" + hashlib.sha256(json.dumps(ctx).encode()).hexdigest(),
         "context.digest (of the bytes read from stdin)")
    t.eq(doc["requirements"][0]["message"], "NOTES FROM THE WORKING DIRECTORY", "the evidence read")
    t.eq(doc["evidence"], [{"name": "notes", "path": "notes.md", "sha256": "sha256:" + hashlib.sha256(
        b"NOTES FROM THE WORKING DIRECTORY\n").hexdigest()}], "evidence listed in the decision")


@case("--context -: an evidence path climbing out of the working directory is refused")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("notes.md", "OUTSIDE\n")
    (t.tmp / "work").mkdir()
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "../notes.md"}
    res = t.eval("../policy.lua", "-", stdin=json.dumps(ctx), cwd=t.tmp / "work")
    t.expect_error(res, "evidence", file="<stdin>", mentions="../notes.md")


# ---- Stage and type ------------------------------------------------------------------------------

def selected(doc):
    return sorted(r["id"] for r in doc["requirements"])


@case("stage: from the context, else pre-release")
def _(t):
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["stage"] = "deploy"
    setup(t, "select.lua", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["stage"], "deploy", "stage")
    t.eq(selected(doc), ["at-deploy", "for-minor"], "requirements selected")
    del ctx["stage"]
    t.write_json("context.json", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["stage"], "pre-release", "stage when the context has none")
    t.eq(selected(doc), ["at-pre-release", "for-minor"], "requirements selected")


@case("--stage overrides the context's stage; checks see it in ctx.stage")
def _(t):
    setup(t, "select.lua")
    for stage in ("deploy", "post-deploy", "pre-release"):
        doc = t.expect_decision(t.eval("policy.lua", "context.json", "--stage", stage), "allow")
        t.eq(doc["stage"], stage, "stage")
        t.eq(selected(doc), sorted(["at-" + stage, "for-minor"]), "requirements selected at %s" % stage)
        for r in doc["requirements"]:
            t.eq(r["details"]["stage"], stage, "ctx.stage seen by %s" % r["id"])


@case("a stage or type the policy declares no requirement for is an error, never an allow with nothing checked")
def _(t):
    """The context's own "stage" chooses the stage when --stage does not: a policy of
    pre-release requirements asked about deploy allowed with nothing checked
    (differential round 10, F4).  A requirement its `when` skips still covers its stage."""
    t.write("policy.lua", 'requirement "notes" { title = "Notes", stages = { "pre-release" }, types = { "minor" },\n'
                          '  check = function(ctx) return fail("no notes") end }\n'
                          'requirement "later" { title = "Later", stages = { "deploy" }, types = { "minor" },\n'
                          '  when = function(ctx) return false, "not this one" end,\n'
                          '  check = function(ctx) return fail("never") end }\n')
    ctx = {"release": {"name": "svc", "version": "1.2.0", "type": "minor"}, "stage": "post-deploy"}
    t.write_json("context.json", ctx)
    t.expect_error(t.eval("policy.lua", "context.json"), "policy", file="policy.lua",
                   mentions=("declares no requirement for minor releases at stage post-deploy", "never allows"))
    t.expect_error(t.eval("policy.lua", "context.json", "--stage", "post-deploy"), "policy",
                   mentions=("at stage post-deploy",))
    t.expect_error(t.eval("policy.lua", "context.json", "--stage", "pre-release", "--type", "major"), "policy",
                   mentions=("for major releases at stage pre-release",))
    t.expect_decision(t.eval("policy.lua", "context.json", "--stage", "pre-release"), "deny")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--stage", "deploy"), "allow")
    t.eq([(r["id"], r["status"]) for r in doc["requirements"]], [("later", "skip")], "covered, and skipped by when")


@case("--type overrides release.type; checks see it in ctx.release.type")
def _(t):
    setup(t, "select.lua")
    for rtype in ("patch", "major", "minor"):
        doc = t.expect_decision(t.eval("policy.lua", "context.json", "--type", rtype), "allow")
        t.eq(doc["release"]["type"], rtype, "release.type")
        t.eq(selected(doc), sorted(["at-pre-release", "for-" + rtype]), "requirements selected for %s" % rtype)
        for r in doc["requirements"]:
            t.eq(r["details"]["type"], rtype, "ctx.release.type seen by %s" % r["id"])


@case("--type replaces an invalid release.type; --stage an invalid stage")
def _(t):
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["release"]["type"] = "hotfix"
    ctx["stage"] = "production"
    setup(t, "select.lua", ctx)
    res = t.eval("policy.lua", "context.json")
    t.expect_error(res, "context", file="context.json")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--type", "patch", "--stage", "deploy"), "allow")
    t.eq((doc["release"]["type"], doc["stage"]), ("patch", "deploy"), "type and stage")


@case("--stage=VALUE and --type=VALUE forms")
def _(t):
    setup(t, "select.lua")
    doc = t.expect_decision(t.run("eval", "--policy=policy.lua", "--context=context.json", "--now=" + NOW,
                                  "--stage=deploy", "--type=major"), "allow")
    t.eq((doc["release"]["type"], doc["stage"]), ("major", "deploy"), "type and stage")


# ---- --output ------------------------------------------------------------------------------

@case("--output: writes exactly what stdout would have carried, prints nothing, leaves no temp file")
def _(t):
    setup(t, "deny.lua")
    plain = t.eval("policy.lua", "context.json")
    t.expect_decision(plain, "deny")
    (t.tmp / "out").mkdir()
    res = t.eval("policy.lua", "context.json", "--output", "out/decision.json")
    t.expect_exit(res, 1)
    t.eq(res.stdout, b"", "stdout with --output")
    t.eq(t.listing("out"), ["decision.json"], "files in the output directory")
    written = (t.tmp / "out" / "decision.json").read_bytes()
    t.eq(strip_durations(written).decode(), strip_durations(plain.stdout).decode(), "the file's content")
    mode = stat.S_IMODE((t.tmp / "out" / "decision.json").stat().st_mode)
    t.eq(oct(mode), oct(0o666 & ~umask()), "the file's mode (as a plain create would make it)")


@case("--output: replaces an existing file (a new inode: atomic rename), no temp file left")
def _(t):
    setup(t, "allow.lua")
    target = t.write("decision.json", "old content\n")
    old_ino = target.stat().st_ino
    hold = open(target, "rb")  # a reader holding the old file still sees the old bytes
    try:
        res = t.eval("policy.lua", "context.json", "--output", "decision.json")
        t.expect_exit(res, 0)
        t.eq(hold.read(), b"old content\n", "what a reader of the old file sees")
    finally:
        hold.close()
    doc = t.decision(target.read_bytes())
    t.eq(doc["decision"], "allow", "decision in the file")
    t.check(target.stat().st_ino != old_ino, "the file was rewritten in place, not replaced by a rename")
    t.eq(t.listing(), ["context.json", "decision.json", "policy.lua"], "files in the directory")


@case("--output with --format text writes the text decision")
def _(t):
    setup(t, "warn.lua")
    res = t.eval("policy.lua", "context.json", "--format", "text", "--output", "decision.txt")
    t.expect_exit(res, 0)
    t.eq(res.stdout, b"", "stdout")
    text = (t.tmp / "decision.txt").read_text()
    first = text.splitlines()[0] if text else ""
    t.check(re.search(r"\bwarn\b", first, re.I), "the text decision does not start with the verdict",
            actual=first)


@case("--output into a directory that does not exist: io error, exit 2")
def _(t):
    setup(t, "allow.lua")
    res = t.eval("policy.lua", "context.json", "--output", "no-such-dir/decision.json")
    t.expect_error(res, "io", mentions="no-such-dir/decision.json")
    t.check(not (t.tmp / "no-such-dir").exists(), "the output directory was created")


@case("--output naming a directory: io error, exit 2, the directory untouched")
def _(t):
    setup(t, "allow.lua")
    (t.tmp / "decision.json").mkdir()
    res = t.eval("policy.lua", "context.json", "--output", "decision.json")
    t.expect_error(res, "io", mentions="decision.json")
    t.eq(t.listing("decision.json"), [], "content of the directory")
    t.eq(t.listing(), ["context.json", "decision.json", "policy.lua"], "files in the working directory")


# ---- --evidence-root --------------------------------------------------------------------------

def evidence_layout(t):
    """release/context.json with evidence notes = ../shared/notes.md."""
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("shared/notes.md", "SHARED NOTES\n")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "../shared/notes.md"}
    t.write_json("release/context.json", ctx)


@case("--evidence-root: a ../ evidence path is refused without it, read with it")
def _(t):
    evidence_layout(t)
    res = t.eval("policy.lua", "release/context.json")
    t.expect_error(res, "evidence", file="release/context.json", mentions=["notes", "../shared/notes.md"])
    doc = t.expect_decision(t.eval("policy.lua", "release/context.json", "--evidence-root", "."), "allow")
    t.eq(doc["requirements"][0]["message"], "SHARED NOTES", "the evidence read")


@case("--evidence-root narrower than the context directory refuses evidence outside it")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("release/notes.md", "NOTES\n")
    (t.tmp / "release" / "evidence").mkdir()
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "notes.md"}
    t.write_json("release/context.json", ctx)
    t.expect_decision(t.eval("policy.lua", "release/context.json"), "allow")
    res = t.eval("policy.lua", "release/context.json", "--evidence-root", "release/evidence")
    t.expect_error(res, "evidence", mentions="notes")


@case("evidence: a missing file is the policy's to judge (fail), not an error")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "missing.md"}
    t.write_json("context.json", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "deny")
    t.contains(doc["requirements"][0]["message"], "missing.md", "the failure message")


@case("evidence: a FIFO is not read (no hang): the policy sees a failure")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    os.mkfifo(t.tmp / "notes.md")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "notes.md"}
    t.write_json("context.json", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json", timeout=15), "deny")
    t.contains(doc["requirements"][0]["message"], "notes", "the failure message")


@case("evidence: a link that stays inside the context directory is followed")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("release/docs/real-notes.md", "LINKED NOTES\n")
    os.symlink("docs/real-notes.md", t.tmp / "release" / "notes.md")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "notes.md"}
    t.write_json("release/context.json", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "release/context.json"), "allow")
    t.eq(doc["requirements"][0]["message"], "LINKED NOTES", "the evidence read")


# ---- print() and the clock -----------------------------------------------------------------------

@case("print() in a policy goes to stderr, never stdout")
def _(t):
    setup(t, "print.lua")
    res = t.eval("policy.lua", "context.json")
    t.expect_decision(res, "allow")
    t.check(b"PRINTED" not in res.stdout, "print() output reached stdout")
    t.contains(res.err, "PRINTED-WHILE-LOADING", "stderr")
    t.contains(res.err, "PRINTED-FROM-CHECK\t42", "stderr")
    res = t.eval("policy.lua", "context.json", "--format", "text")
    t.check(b"PRINTED" not in res.stdout, "print() output reached stdout with --format text")


@case("print() prefixes its line with the policy file and line")
def _(t):
    setup(t, "print.lua")
    res = t.eval("policy.lua", "context.json")
    t.expect_decision(res, "allow")
    lines = res.err.splitlines()
    loading = [l for l in lines if "PRINTED-WHILE-LOADING" in l]
    check = [l for l in lines if "PRINTED-FROM-CHECK" in l]
    t.check(loading and "policy.lua:4" in loading[0], "the print while loading does not name policy.lua:4",
            expected="policy.lua:4", actual=loading)
    t.check(check and "policy.lua:9" in check[0], "the print in the check does not name policy.lua:9",
            expected="policy.lua:9", actual=check)


@case("clock: os.time(), time.now() and ctx.now equal --now; os.date() is UTC")
def _(t):
    setup(t, "clock.lua")
    for now in (NOW, "2031-01-02T03:04:05Z", "2024-02-29T23:59:59+02:00"):
        res = t.eval("policy.lua", "context.json", now=now, env={"TZ": "Pacific/Kiritimati"})
        doc = t.expect_decision(res, "allow")
        d = doc["requirements"][0]["details"]
        base = now[:19]
        offset = 0
        if now.endswith("+02:00"):
            offset = 2 * 3600
        epoch = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) - offset
        utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        t.eq(d["os_time"], epoch, "os.time() at --now %s" % now)
        t.eq(d["time_now"], epoch, "time.now() at --now %s" % now)
        t.eq(d["ctx_now"], epoch, "ctx.now at --now %s" % now)
        t.eq(d["os_date"], utc, "os.date() at --now %s (UTC, whatever TZ says)" % now)
        t.eq(d["os_date_u"], utc, "os.date('!...') at --now %s" % now)
        t.eq(d["formatted"], utc, "time.format(os.time()) at --now %s" % now)
        t.eq(doc["evaluated_at"], utc, "evaluated_at at --now %s" % now)
    t.eq(NOW_EPOCH, calendar.timegm(time.strptime(NOW, "%Y-%m-%dT%H:%M:%SZ")), "NOW_EPOCH")


@case("clock: without --now the decision is evaluated at the current time")
def _(t):
    setup(t, "clock.lua")
    before = int(time.time())
    res = t.eval("policy.lua", "context.json", now=None)
    after = int(time.time()) + 1
    doc = t.expect_decision(res, "allow")
    got = doc["requirements"][0]["details"]["os_time"]
    t.check(before <= got <= after, "os.time() is not the current time", expected=[before, after], actual=got)


# ---- The post-deploy playbook --------------------------------------------------------------------

@case("post-deploy deny: incident, rollback to previous_version, triage, in that order")
def _(t):
    setup(t, "deny.lua")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--stage", "post-deploy"), "deny")
    actions = doc["actions"]
    t.eq([a["type"] for a in actions], ["incident", "rollback", "triage"], "action types, in order")
    incident, rollback, triage = actions
    t.eq(incident["requirements"], ["mandatory-fails"], "incident.requirements (failed, not warned)")
    t.contains(incident["notify"], "on-call", "incident.notify")
    t.contains(incident["summary"], "demo-service", "incident.summary")
    t.contains(incident["summary"], "1.4.0", "incident.summary")
    t.eq(rollback["target"], "1.3.2", "rollback.target")
    t.check(triage["summary"], "triage has no summary")
    t.eq(t.result(doc, "advisory-warns")["status"], "warn", "the advisory post-deploy requirement")


@case("post-deploy deny without previous_version: rollback target null, said why")
def _(t):
    ctx = json.loads(json.dumps(CONTEXT))
    del ctx["release"]["previous_version"]
    setup(t, "deny.lua", ctx)
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--stage", "post-deploy"), "deny")
    rollback = [a for a in doc["actions"] if a["type"] == "rollback"]
    t.eq(len(rollback), 1, "number of rollback actions")
    t.eq(rollback[0]["target"], None, "rollback.target")
    t.contains(rollback[0]["source"], "previous_version", "rollback.source")


@case("no playbook outside post-deploy, nor on a post-deploy warn")
def _(t):
    setup(t, "deny.lua")
    for stage in ("pre-release", "deploy"):
        doc = t.expect_decision(t.eval("policy.lua", "context.json", "--stage", stage), "deny")
        t.eq(doc["actions"], [], "actions of a deny at %s" % stage)
    t.write("warn.lua", 'requirement "announce" { title = "A", level = "advisory", stages = { "post-deploy" },\n'
            '  check = function(ctx) return fail("not announced", {}) end }\n')
    doc = t.expect_decision(t.eval("warn.lua", "context.json", "--stage", "post-deploy"), "warn")
    t.eq(doc["actions"], [], "actions of a post-deploy warn")


@case("post-deploy deny with the default policy: text format lists the playbook")
def _(t):
    case_dir = REPO / "examples" / "minor" / "post-deploy" / "wrong-production-version"
    if not case_dir.is_dir():
        t.skip("examples/minor/post-deploy/wrong-production-version is not there")
    res = t.run("eval", "--policy", POLICY, "--context", case_dir / "context.json", "--now", NOW,
                "--format", "text")
    t.expect_exit(res, 1)
    t.contains(res.out, "actions", "text decision")
    t.contains(res.out, "incident", "text decision")
    t.contains(res.out, "triage", "text decision")
    t.check(re.search(r"roll ?back\b.*\b2\.3\.8\b", res.out, re.I),
            "the text decision does not say to roll back to 2.3.8", actual=res.out[-600:])


# ---- Policies as directories and modules ----------------------------------------------------------

@case("a policy directory loads its *.lua files in name order and skips *_test.lua")
def _(t):
    t.write("gate/b-second.lua", 'requirement "second" { title = "Second", check = function(ctx) return pass("2", {}) end }\n')
    t.write("gate/a-first.lua", 'policy { name = "dir-policy", version = "2.0.0" }\n'
            'requirement "first" { title = "First", check = function(ctx) return pass("1", {}) end }\n')
    t.write("gate/c_test.lua", 'requirement "from-a-test" { title = "T", check = function(ctx) return fail("no", {}) end }\n')
    t.write("gate/.hidden.lua", 'error("a hidden file was loaded")\n')
    t.write_json("context.json", CONTEXT)
    doc = t.expect_decision(t.eval("gate", "context.json"), "allow")
    t.eq([r["id"] for r in doc["requirements"]], ["first", "second"], "requirements, in load order")
    t.eq(doc["policy"]["name"], "dir-policy", "policy.name")
    t.eq(doc["requirements"][1]["source"], "gate/b-second.lua:1", "source of the second requirement")


@case("require loads a module from the policy's directory, once")
def _(t):
    t.write("pol/policy.lua", 'local a = require "lib.counter"\nlocal b = require "lib.counter"\n'
            'requirement "once" { title = "Once", check = function(ctx)\n'
            '  return pass(tostring(a == b) .. " " .. a.loads, {}) end }\n')
    t.write("pol/lib/counter.lua", 'local loads = 0\nloads = loads + 1\nreturn { loads = loads }\n')
    t.write_json("context.json", CONTEXT)
    doc = t.expect_decision(t.eval("pol/policy.lua", "context.json"), "allow")
    t.eq(doc["requirements"][0]["message"], "true 1", "module identity and load count")


@case("globals defined while loading are visible to checks")
def _(t):
    t.write("policy.lua", 'THRESHOLD = 3\n'
            'requirement "uses-global" { title = "G", check = function(ctx) return pass("t=" .. THRESHOLD, {}) end }\n')
    t.write_json("context.json", CONTEXT)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["requirements"][0]["message"], "t=3", "message")


@case("pcall still catches ordinary errors inside a check")
def _(t):
    t.write("policy.lua", 'requirement "recovers" { title = "R", check = function(ctx)\n'
            '  local ok, err = pcall(error, "ordinary")\n'
            '  return pass(tostring(ok) .. " " .. tostring(err), {}) end }\n')
    t.write_json("context.json", CONTEXT)
    doc = t.expect_decision(t.eval("policy.lua", "context.json"), "allow")
    t.eq(doc["requirements"][0]["message"], "false ordinary", "message")


@case("--details failed keeps details only where action is needed; none drops them all")
def _(t):
    t.write("policy.lua", 'requirement "ok" { title = "ok", check = function() return pass("fine", { seen = 1 }) end }\n'
                          'requirement "bad" { title = "bad", check = function() return fail("broken", { seen = 2 }) end }\n')
    t.write_json("context.json", {"release": {"name": "svc", "version": "1.0.0", "type": "minor"}})
    for mode, ok_details, bad_details in (("all", {"seen": 1}, {"seen": 2}), ("failed", {}, {"seen": 2}),
                                          ("none", {}, {})):
        res = t.eval("policy.lua", "context.json", "--details", mode)
        doc = t.expect_decision(res, "deny", 1)
        t.eq(t.result(doc, "ok")["details"], ok_details, "details of a pass with --details " + mode)
        t.eq(t.result(doc, "bad")["details"], bad_details, "details of a fail with --details " + mode)


if __name__ == "__main__":
    sys.exit(main())
