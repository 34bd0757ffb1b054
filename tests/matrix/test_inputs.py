#!/usr/bin/env python3
"""Bad input files for --policy, --waivers and --batch, and evidence at the edges.

For each input: a directory, an empty file, an unreadable file (skipped as root), a FIFO
(must not hang), invalid UTF-8, NUL bytes, deep nesting and duplicated keys, where the
input can hold them.  The --context cases, and a file over its size limit, live in
tests/cli/test_bad_input.py and test_limits.py; this file adds only what was missing.

A whole-run error must give exit 2, exactly one 'relgate: error:' line naming the
culprit, stdout exactly one JSON error decision, and leave an existing decision log as
it was and an existing --output file holding the error (mxhelp.guarded). In a batch, a
bad line is that line's error decision and the batch goes on (relgate(1))."""

import json
import os
import sys

import mxhelp
from harness import case
from mxhelp import CONTEXT, compact_line, eval_args, expect_one_error, guarded, setup, skip_if_root_reads

REQ = 'requirement "a" { title = "A", check = function(ctx) return pass("ok", {}) end }\n'
LINE = compact_line(CONTEXT)


# ---- --policy ----------------------------------------------------------------------------

@case("policy: an empty file (0 bytes) is a policy error naming it: nothing to check")
def _(t):
    setup(t)
    t.write("empty.lua", b"")
    guarded(t, eval_args(policy="empty.lua"), "policy", "empty.lua", file="empty.lua", mentions=["no requirements"])


@case("policy: a directory whose *.lua entry is a directory: io error naming that entry")
def _(t):
    setup(t)
    t.write("pol/a.lua", REQ)
    (t.tmp / "pol" / "b.lua").mkdir()
    guarded(t, eval_args(policy="pol"), "io", "pol/b.lua", file="pol/b.lua", mentions=["directory"])


@case("policy: a directory whose *.lua entry is a FIFO: io error naming it, no hang")
def _(t):
    setup(t)
    t.write("pol/a.lua", REQ)
    os.mkfifo(t.tmp / "pol" / "b.lua")
    guarded(t, eval_args(policy="pol"), "io", "pol/b.lua", file="pol/b.lua", mentions=["FIFO"], timeout=10)


@case("policy: a module it requires is a FIFO: policy error naming the module, no hang")
def _(t):
    setup(t)
    t.write("pol/policy.lua", 'local x = require "lib.x"\n' + REQ)
    (t.tmp / "pol" / "lib").mkdir()
    os.mkfifo(t.tmp / "pol" / "lib" / "x.lua")
    guarded(t, eval_args(policy="pol/policy.lua"), "policy", "lib/x.lua", mentions=["FIFO"], timeout=10)


@case("policy: an unreadable file (chmod 000): io error naming it")
def _(t):
    setup(t, policy=REQ)
    p = t.tmp / "policy.lua"
    p.chmod(0)
    skip_if_root_reads(t, p)
    guarded(t, eval_args(), "io", "policy.lua", file="policy.lua", mentions=["Permission denied"])


@case("policy: an unreadable directory (chmod 000): an error naming it")
def _(t):
    setup(t)
    t.write("pol/a.lua", REQ)
    (t.tmp / "pol").chmod(0)
    skip_if_root_reads(t, t.tmp / "pol")
    guarded(t, eval_args(policy="pol"), ("io", "policy"), "pol", mentions=["Permission denied"])


@case("policy: exactly 1 MiB evaluates, one byte more is refused naming the file and the limit")
def _(t):
    setup(t)
    body = REQ.encode()
    pad = (1 << 20) - len(body)
    t.write("edge.lua", body + b"-" * 2 + b"x" * (pad - 3) + b"\n")
    t.write("over.lua", body + b"-" * 2 + b"x" * (pad - 2) + b"\n")
    t.eq((t.tmp / "edge.lua").stat().st_size, 1 << 20, "size of edge.lua")
    t.expect_decision(t.run(*eval_args(policy="edge.lua")), "allow")
    guarded(t, eval_args(policy="over.lua"), ("io", "policy"), "over.lua", file="over.lua",
            mentions=["limit of %d bytes" % (1 << 20)])


@case("policy: a NUL byte outside a string: policy error at its line")
def _(t):
    setup(t)
    t.write("nul.lua", REQ.encode() + b"local x = 1\x00\n")
    guarded(t, eval_args(policy="nul.lua"), "policy", "nul.lua:2", file="nul.lua", line=2)


@case("policy: a NUL byte inside a requirement id is refused at its line, not cut off at the NUL")
def _(t):
    setup(t)
    t.write("nul-id.lua", b'requirement "ok\x00 Not An Id!" { title = "A", check = function(ctx) return pass("ok", {}) end }\n')
    guarded(t, eval_args(policy="nul-id.lua"), "policy", "nul-id.lua:1", file="nul-id.lua", line=1)


@case("policy: invalid UTF-8 in a comment and a title evaluates; the decision stays valid UTF-8")
def _(t):
    setup(t)
    t.write("latin1.lua", b'-- caf\xe9\nrequirement "a" { title = "A\xff", check = function(ctx) return pass("ok", {}) end }\n')
    doc = t.expect_decision(t.run(*eval_args(policy="latin1.lua")), "allow")
    t.check(doc["requirements"][0]["title"].startswith("A"), "title", actual=doc["requirements"][0]["title"])


@case("policy: table constructors nested 300 deep: policy error naming the file, no crash")
def _(t):
    setup(t)
    t.write("deep.lua", "local x = " + "{" * 300 + "}" * 300 + "\n" + REQ)
    guarded(t, eval_args(policy="deep.lua"), "policy", "deep.lua", file="deep.lua")
    t.write("fine.lua", "local x = " + "{" * 150 + "}" * 150 + "\n" + REQ)
    t.expect_decision(t.run(*eval_args(policy="fine.lua")), "allow")


@case("policy: policy {} declared twice (a duplicated declaration): policy error at the second's line")
def _(t):
    setup(t)
    t.write("twice.lua", 'policy { name = "a" }\npolicy { name = "b" }\n' + REQ)
    guarded(t, eval_args(policy="twice.lua"), "policy", "twice.lua:2", file="twice.lua", line=2,
            mentions=["declared twice"])


# ---- --waivers ---------------------------------------------------------------------------

def waivers_error(t, name, kind, culprit=None, **kw):
    return guarded(t, eval_args("--waivers", name), kind, culprit or name, file=name, **kw)


@case("waivers: a directory: io error naming it")
def _(t):
    setup(t)
    (t.tmp / "waivers.d").mkdir()
    waivers_error(t, "waivers.d", "io", mentions=["directory"])


@case("waivers: an empty file: context error at 1:1")
def _(t):
    setup(t)
    t.write("waivers.json", b"")
    waivers_error(t, "waivers.json", "context", "waivers.json:1:1", line=1, column=1, mentions=["empty"])


@case("waivers: a FIFO with no writer: io error naming it, no hang")
def _(t):
    setup(t)
    os.mkfifo(t.tmp / "waivers.json")
    waivers_error(t, "waivers.json", "io", mentions=["FIFO"], timeout=10)


@case("waivers: an unreadable file (chmod 000): io error naming it")
def _(t):
    setup(t)
    p = t.write("waivers.json", "[]\n")
    p.chmod(0)
    skip_if_root_reads(t, p)
    waivers_error(t, "waivers.json", "io", mentions=["Permission denied"])


@case("waivers: invalid UTF-8: context error at its line and column")
def _(t):
    setup(t)
    t.write("waivers.json", b'[\n  {"requirement": "caf\xe9", "reason": "r"}\n]\n')
    waivers_error(t, "waivers.json", "context", "waivers.json:2:23", line=2, column=23, mentions=["UTF-8"])


@case("waivers: a NUL byte: context error at its line and column")
def _(t):
    setup(t)
    t.write("waivers.json", b'[\n  {"requirement": "a\x00b", "reason": "r"}\n]\n')
    waivers_error(t, "waivers.json", "context", "waivers.json:2:21", line=2, column=21, mentions=["NUL"])


@case("waivers: an escaped NUL (\\u0000): context error naming the file")
def _(t):
    setup(t)
    t.write("waivers.json", '[\n  {"requirement": "a\\u0000b", "reason": "r"}\n]\n')
    waivers_error(t, "waivers.json", "context", "waivers.json:2", line=2)


@case("waivers: nested 65 deep (default --max-json-depth 64): context error at its line and column")
def _(t):
    setup(t)
    t.write("waivers.json", '{"waivers": [],\n "note": ' + "[" * 64 + "]" * 64 + "}\n")
    waivers_error(t, "waivers.json", "context", "waivers.json:2:73", line=2, column=73, mentions=["64"])


@case("waivers: a duplicated key: context error naming the key")
def _(t):
    setup(t)
    t.write("waivers.json", '{"waivers": [],\n "waivers": []}\n')
    waivers_error(t, "waivers.json", "context", mentions=["duplicate", '"waivers"'])


@case("waivers: --waivers - with --context - (both on standard input): an error that names the waivers")
def _(t):
    setup(t)
    res = t.run(*eval_args("--waivers", "-", context="-"), stdin=LINE + "\n")
    doc = expect_one_error(t, res, ("usage", "context", "io"), "-")
    t.contains(doc["error"]["message"], "waivers", "error.message (which input failed)")


@case("waivers: --waivers - with a two-line --batch file: the waivers apply to both lines")
def _(t):
    setup(t, policy='requirement "a" { title = "A", level = "waivable", check = function(ctx) '
                    'return fail("no", {}) end }\n')
    authored = dict(CONTEXT, release=dict(CONTEXT["release"], author="dana"))  # bob must be someone else
    t.write("batch.jsonl", compact_line(authored) + "\n" + compact_line(authored) + "\n")
    waivers = [{"requirement": "a", "reason": "known", "approver": "bob", "ticket": "REL-1",
                "expires": "2025-07-01T00:00:00Z"}]
    res = t.run(*eval_args("--waivers", "-", "--batch", "batch.jsonl", context=None),
                stdin=json.dumps(waivers) + "\n")
    lines = res.stdout.split(b"\n")
    t.eq(len(lines), 3, "stdout lines (two decisions and the end)")
    got = [t.decision(l + b"\n") for l in lines[:2]]
    t.eq([(d["decision"], d.get("error", {}).get("message")) for d in got], [("allow", None)] * 2,
         "both lines' decisions (the waiver applies to every line)")
    t.eq(res.error_lines(), [], "stderr errors")


@case("waivers: a malformed --waivers file with a two-line --batch: one error naming the waivers file")
def _(t):
    setup(t)
    t.write("batch.jsonl", LINE + "\n" + LINE + "\n")
    t.write("waivers.json", "[\n  {\n")
    res = t.run(*eval_args("--waivers", "waivers.json", "--batch", "batch.jsonl", context=None))
    expect_one_error(t, res, "context", "waivers.json", file="waivers.json")


# ---- --batch -----------------------------------------------------------------------------

def batch_args(name, *extra):
    return eval_args("--batch", name, *extra, context=None)


@case("batch: a directory: io error naming it, not an empty success")
def _(t):
    setup(t)
    (t.tmp / "batch.d").mkdir()
    guarded(t, batch_args("batch.d"), "io", "batch.d", file="batch.d", mentions=["directory"])


@case("batch: a FIFO with no writer: io error naming it, no hang")
def _(t):
    setup(t)
    os.mkfifo(t.tmp / "batch.jsonl")
    guarded(t, batch_args("batch.jsonl"), "io", "batch.jsonl", file="batch.jsonl", timeout=10)


@case("batch: an empty file, or blank lines only: an error naming it (no context evaluated is no answer)")
def _(t):
    setup(t)
    for content in (b"", b"\n\n\r\n"):
        t.write("batch.jsonl", content)
        res = t.run(*batch_args("batch.jsonl"))
        expect_one_error(t, res, ("context", "io", "usage"), "batch.jsonl", file="batch.jsonl")


@case("batch: an unreadable file (chmod 000): io error naming it")
def _(t):
    setup(t)
    p = t.write("batch.jsonl", LINE + "\n")
    p.chmod(0)
    skip_if_root_reads(t, p)
    guarded(t, batch_args("batch.jsonl"), "io", "batch.jsonl", file="batch.jsonl", mentions=["Permission denied"])


def batch_bad_line(t, bad, kind, line, column, mentions=()):
    """Lines: good, BAD, good.  Three decisions in order, the middle one the error."""
    t.write("batch.jsonl", LINE.encode() + b"\n" + bad + b"\n" + LINE.encode() + b"\n")
    res = t.run(*batch_args("batch.jsonl"))
    t.expect_exit(res, 2)
    lines = res.stdout.split(b"\n")
    t.eq(len(lines), 4, "stdout lines (three decisions and the end)")
    docs = [t.decision(l + b"\n") for l in lines[:3]]
    t.eq([d["decision"] for d in docs], ["allow", "error", "allow"], "the decisions, in order")
    err = docs[1]["error"]
    t.eq((err["kind"], err["file"], err["line"]), (kind, "batch.jsonl", line), "the bad line's error")
    if column is not None:
        t.eq(err["column"], column, "error.column")
    for m in mentions:
        t.contains(err["message"], m, "error.message")
    errs = res.error_lines()
    t.eq(len(errs), 1, "'relgate: error:' lines")
    where = "batch.jsonl:%d" % line + (":%d" % column if column is not None else "")
    t.contains(errs[0], where, "the error line")
    # With --output: the same three lines in the file, nothing on stdout.
    res = t.run(*batch_args("batch.jsonl", "--output", "out.jsonl"))
    t.expect_exit(res, 2)
    t.eq(res.stdout, b"", "stdout with --output")
    t.eq([json.loads(l)["decision"] for l in (t.tmp / "out.jsonl").read_bytes().splitlines()],
         ["allow", "error", "allow"], "the decisions in the --output file")


@case("batch: a line with invalid UTF-8: that line's error at its line and column, the others evaluate")
def _(t):
    setup(t)
    bad = LINE.replace("demo-service", "demo-servic\udcff").encode("utf-8", "surrogateescape")
    batch_bad_line(t, bad, "context", 2, LINE.index("demo-service") + len("demo-servic") + 1, ["UTF-8"])


@case("batch: a line with a NUL byte: that line's error at its line and column, the others evaluate")
def _(t):
    setup(t)
    bad = LINE.replace("demo-service", "demo\x00service").encode()
    batch_bad_line(t, bad, "context", 2, LINE.index("demo-service") + len("demo") + 1, ["NUL"])


@case("batch: a line with a duplicated key: that line's error naming the key, the others evaluate")
def _(t):
    setup(t)
    bad = ('{"stage": "deploy", ' + LINE[1:]).encode()
    batch_bad_line(t, bad, "context", 2, None, ["duplicate", '"stage"'])


@case("batch: a line nested 65 deep (default --max-json-depth 64): that line's error at its column")
def _(t):
    setup(t)
    head = LINE[:-1] + ',"deep":'
    bad = (head + "[" * 64 + "]" * 64 + "}").encode()
    batch_bad_line(t, bad, "context", 2, len(head) + 64, ["64"])


# ---- Evidence ------------------------------------------------------------------------------

def evidence_setup(t, policy):
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "link.md"}
    t.write_json("release/context.json", ctx)
    t.write("policy.lua", policy)


@case("evidence: evidence.exists() on a link leading outside the context directory stops the gate")
def _(t):
    evidence_setup(t, 'requirement "e" { title = "E", check = function(ctx)\n'
                      '  return pass(tostring(evidence.exists("notes")), {})\n'
                      'end }\n')
    t.write("outside/secret.md", "SECRET-OUTSIDE-CONTENT\n")
    os.symlink("../outside/secret.md", t.tmp / "release" / "link.md")
    doc = guarded(t, eval_args(context="release/context.json"), "evidence", "policy.lua:2", file="policy.lua",
                  line=2, mentions=["notes", "link.md", "outside"])
    t.check("SECRET" not in json.dumps(doc), "the outside file's content leaked")


@case("evidence: a symlink loop or a directory is nil + reason; the policy's check decides")
def _(t):
    evidence_setup(t, 'requirement "e" { title = "E", check = function(ctx)\n'
                      '  local text, why = evidence.read("notes")\n'
                      '  if not text then return fail(why, {}) end\n'
                      '  return pass("read", {})\n'
                      'end }\n')
    os.symlink("loop2.md", t.tmp / "release" / "link.md")
    os.symlink("link.md", t.tmp / "release" / "loop2.md")
    doc = t.expect_decision(t.run(*eval_args(context="release/context.json")), "deny")
    t.contains(doc["requirements"][0]["message"], "link.md", "the reason (symlink loop)")
    os.remove(t.tmp / "release" / "link.md")
    (t.tmp / "release" / "link.md").mkdir()
    doc = t.expect_decision(t.run(*eval_args(context="release/context.json")), "deny")
    t.contains(doc["requirements"][0]["message"], "directory", "the reason (a directory)")


if __name__ == "__main__":
    sys.exit(mxhelp.main())
