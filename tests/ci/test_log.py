#!/usr/bin/env python3
"""The decision log (docs/ci.md, "The decision log"): relgate eval --log PATH.

meson runs: python3 test_log.py RELGATE

Every eval appends exactly one line — the decision as compact JSON, equal to the JSON
decision on stdout, with the policy's and context's digests and a SHA-256 of every
evidence file read — also for error decisions.  A log that cannot be written (a missing
directory, a directory in its place, a read-only file, a full disk) makes the answer an
error (exit 2, a message naming the log, an error decision on stdout) and leaves an
existing log byte for byte as it was.  The concurrent-writers test is test_log_concurrent.py.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import cihelp
from cihelp import copy_ci, fill, mount_tmpfs, sha256_file, umount
from harness import Failure, case

LOG = "gate-log.jsonl"


def setup(t):
    copy_ci(t, "log", "gate")
    return Path(t.tmp, LOG)


def gate(t, *extra, policy="gate/policy.lua", context="gate/context.json", **kw):
    return t.eval(policy, context, "--log", LOG, *extra, **kw)


def log_lines(t, path):
    """The log's lines (without their newlines); the log must end with one."""
    data = Path(path).read_bytes() if Path(path).exists() else b""
    if data:
        t.check(data.endswith(b"\n"), "the log does not end with a newline (a partial line?)",
                actual=data[-200:])
    return data.split(b"\n")[:-1] if data else []


def unchained(t, line):
    """LINE's decision without its "chain" member, which must be its last, {seq, prev}."""
    doc = json.loads(line)
    chain = doc.pop("chain", None)
    t.check(isinstance(chain, dict) and sorted(chain) == ["prev", "seq"] and isinstance(chain["seq"], int)
            and re.fullmatch("[0-9a-f]{64}", chain["prev"]), "the log line's chain is {seq, prev}", actual=chain)
    t.check(line.endswith(b'}}') and list(json.loads(line))[-1] == "chain", "chain is the line's last member",
            actual=line[-120:])
    return doc


def compact(t, line):
    """LINE is one compact JSON object (no whitespace outside strings): a decision and
    its chain."""
    outside = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', line)
    t.check(not re.search(rb"\s", outside), "the log line is not compact JSON", actual=line[:300])
    return t.decision((json.dumps(unchained(t, line)) + "\n").encode())


def without_durations(doc):
    doc = json.loads(json.dumps(doc))
    for r in doc.get("requirements", []):
        r.pop("duration_ms", None)
    return doc


def expect_log_failure(t, res, log, fmt="json"):
    """Exit 2, a stderr message naming LOG, an error decision (kind io, file LOG)."""
    t.expect_exit(res, 2)
    lines = res.error_lines()
    t.check(any(log in l for l in lines), "no 'relgate: error:' line names the log %s" % log,
            expected=log, actual=res.err)
    if fmt == "json":
        return t.expect_error(res, "io", file=log, file_on_stderr=False)
    return None


@case("log: each eval appends one compact line equal to the JSON decision, with every digest")
def _(t):
    log = setup(t)
    ctx = Path(t.tmp, "gate/context.json")
    notes, report = Path(t.tmp, "gate/notes.md"), Path(t.tmp, "gate/reports/report.txt")
    runs = [(["--stage", "pre-release"], "allow", None),
            (["--stage", "deploy"], "warn", "# ledger 4.2.0\n\nStatus: ready (warn: slow start)\n"),
            (["--stage", "post-deploy"], "deny", "# ledger 4.2.0\n\nStatus: blocked\n")]
    for n, (extra, verdict, notes_text) in enumerate(runs, 1):
        if notes_text:
            notes.write_text(notes_text)
        res = gate(t, *extra)
        doc = t.expect_decision(res, verdict)
        lines = log_lines(t, log)
        t.eq(len(lines), n, "lines in the log after %d evals" % n)
        entry = compact(t, lines[-1])
        t.eq(entry, doc, "the log line (parsed) vs the decision on stdout (%s)" % verdict)
        t.eq(entry["context"]["digest"], sha256_file(ctx), "context.digest (SHA-256 of the context file)")
        t.check(re.fullmatch(r"sha256:[0-9a-f]{64}", entry["policy"]["digest"]), "policy.digest",
                actual=entry["policy"]["digest"])
        evidence = {e["name"]: e for e in entry["evidence"]}
        t.eq(sorted(evidence), ["notes", "report"], "evidence listed in the log line")
        t.eq(evidence["notes"]["sha256"], sha256_file(notes), "evidence notes: SHA-256 of notes.md as read")
        t.eq(evidence["report"]["sha256"], sha256_file(report), "evidence report: SHA-256 of the report")
        t.eq(evidence["report"]["path"], "reports/report.txt", "evidence report path")
    # The earlier lines were not touched by the later appends.
    t.eq([json.loads(l)["decision"] for l in log_lines(t, log)], ["allow", "warn", "deny"], "the logged decisions")


@case("log: a decision reproduced with --now before the log's last record is not logged (usage error); at or after "
      "it, and without a log, it is")
def _(t):
    # Hostile round 37a, F07: a reproduction of an old post-deploy allow made with the log
    # set became the newest record, and the next deny rolled back to it.
    log = setup(t)
    t.expect_exit(gate(t, now="2025-06-10T14:00:00Z"), 0)
    t.expect_exit(gate(t, now="2025-06-10T14:00:00Z"), 0)   # the same time: logged
    before = log.read_bytes()
    for env in (None, {"RELGATE_LOG": LOG}):
        args = ("gate/policy.lua", "gate/context.json")
        res = (t.eval(*args, now="2025-06-01T00:00:00Z", env=env) if env else
               gate(t, now="2025-06-01T00:00:00Z"))
        t.expect_error(res, "usage", mentions=["--now is before the last record of the decision log",
                                               "2025-06-10T14:00:00Z"])
        t.eq(log.read_bytes(), before, "the log, after a refused reproduction")
    t.expect_exit(t.eval("gate/policy.lua", "gate/context.json", now="2025-06-01T00:00:00Z"), 0)   # no log
    t.expect_exit(gate(t, now="2025-06-11T00:00:00Z"), 0)
    t.eq(len(log_lines(t, log)), 3, "records")


@case("log: a post-deploy deny's line carries the same actions as stdout")
def _(t):
    log = setup(t)
    Path(t.tmp, "gate/notes.md").write_text("not yet\n")
    res = gate(t, "--stage", "post-deploy")
    doc = t.expect_decision(res, "deny")
    entry = compact(t, log_lines(t, log)[-1])
    t.eq(entry["actions"], doc["actions"], "actions in the log line")
    t.check(any(a["type"] == "rollback" for a in entry["actions"]), "no rollback action logged")


@case("log: every --format logs the JSON decision, one line per eval")
def _(t):
    log = setup(t)
    ref = t.decision(t.eval("gate/policy.lua", "gate/context.json"))
    for n, fmt in enumerate(("json", "text", "markdown", "junit", "github"), 1):
        res = gate(t, "--format", fmt)
        t.expect_exit(res, 0)
        lines = log_lines(t, log)
        t.eq(len(lines), n, "lines after --format %s" % fmt)
        entry = compact(t, lines[-1])
        t.eq(without_durations(entry), without_durations(ref), "the line logged with --format %s" % fmt)
    res = gate(t, "--format", "json", "--output", "decision.json")
    t.expect_exit(res, 0)
    lines = log_lines(t, log)
    t.eq(len(lines), 6, "lines after --output")
    t.eq(unchained(t, lines[-1]), json.loads(Path(t.tmp, "decision.json").read_bytes()), "log line vs --output file")


@case("log: error decisions are logged too (malformed context, failing policy), equal to stdout")
def _(t):
    log = setup(t)
    res = gate(t, context="gate/malformed.json")
    doc = t.expect_error(res, "context", file="gate/malformed.json")
    lines = log_lines(t, log)
    t.eq(len(lines), 1, "lines after a context error")
    t.eq(compact(t, lines[0]), doc, "the logged error decision")
    res = gate(t, policy="gate/policy-error.lua")
    doc = t.expect_error(res, "policy", file="gate/policy-error.lua")
    lines = log_lines(t, log)
    t.eq(len(lines), 2, "lines after a policy error")
    t.eq(compact(t, lines[1]), doc, "the logged error decision")
    res = gate(t, "--format", "junit", context="gate/missing.json")
    t.expect_exit(res, 2)
    lines = log_lines(t, log)
    t.eq(len(lines), 3, "lines after a missing context (--format junit)")
    entry = compact(t, lines[2])
    t.eq((entry["decision"], entry["error"]["kind"], entry["error"]["file"]), ("error", "io", "gate/missing.json"),
         "the logged error")


@case("log: an eval whose --output cannot be written still appends exactly one line")
def _(t):
    log = setup(t)
    res = gate(t, "--output", "no-such-dir/decision.json")
    doc = t.expect_error(res, "io", file="no-such-dir/decision.json")
    lines = log_lines(t, log)
    if len(lines) != 1:
        raise Failure("one eval appended %d lines to the decision log" % len(lines),
                      expected="exactly one line: the answer the gate gave (the error decision)",
                      actual=[json.loads(l)["decision"] for l in lines])
    t.eq(compact(t, lines[0]), doc, "the logged line (the error decision the gate answered)")


@case("log: a policy stopped by the watchdog (time limit inside a library call) is logged")
def _(t):
    log = setup(t)
    res = gate(t, "--timeout", "1", policy="gate/watchdog.lua", timeout=60)
    doc = t.expect_error(res, "limit")
    t.contains(doc["error"]["message"], "time limit", "error.message")
    lines = log_lines(t, log)
    if len(lines) != 1:
        raise Failure("the watchdog's error decision is not in the decision log",
                      expected="one line: the error decision printed on stdout", actual=len(lines))
    t.eq(compact(t, lines[0]), doc, "the logged error decision")


@case("log: a head that cannot be read or written fails the append; the log holds no record of it")
def _(t):
    log = setup(t)
    t.expect_decision(gate(t), "allow", 0)
    before = log.read_bytes()
    head = Path(str(log) + ".head")
    head.unlink()
    head.mkdir()                       # the head can be neither read nor written where a directory is
    res = gate(t)
    t.expect_exit(res, 2)
    # Refused before anything is written: the head is read first (it must be reached:
    # an append never follows a cut), and a directory is no head.
    t.contains(res.err, "gate-log.jsonl.head is a directory", "stderr names the head")
    t.eq(log.read_bytes(), before, "the log holds no record of the decision the gate did not give")


@case("log: a missing directory gives exit 2 naming the log and an error decision; no decision written")
def _(t):
    setup(t)
    log = "no-such-dir/gate.jsonl"
    res = t.eval("gate/policy.lua", "gate/context.json", "--log", log, "--output", "decision.json")
    expect_log_failure(t, res, log)
    t.check(not Path(t.tmp, "no-such-dir").exists(), "the log's directory was created")
    t.eq(json.loads(Path(t.tmp, "decision.json").read_bytes())["decision"], "error",
         "--output holds the error, never a decision without its audit record")
    res = t.eval("gate/policy.lua", "gate/context.json", "--log", log, "--format", "junit")
    expect_log_failure(t, res, log, fmt="junit")
    t.contains(res.out, "<error ", "the JUnit error report")
    t.contains(res.out, log, "the JUnit error report")


@case("log: a directory in place of the log gives exit 2; the directory is left alone")
def _(t):
    setup(t)
    Path(t.tmp, LOG).mkdir()
    res = gate(t)
    expect_log_failure(t, res, LOG)
    t.eq(os.listdir(Path(t.tmp, LOG)), [], "the directory's contents")


@case("log: a file that is no decision log (text, a JSON document, another log's head) is never written to")
def _(t):
    """The store cut a text file's last line as a killed writer's partial record, and
    recorded decisions in another log's head, where that log's next append overwrote them
    (hostile round 41a, F02)."""
    log = setup(t)
    t.expect_exit(gate(t), 0)
    head = Path(t.tmp, LOG + ".head")
    t.check(head.exists(), "the log has a head")
    others = {"notes.txt": b"keep: first line\nkeep: last line, no final newline",
              "package.json": b'{\n  "name": "x"\n}\n',
              "one.json": b'{"name": "x"}\n'}
    for name, data in others.items():
        Path(t.tmp, name).write_bytes(data)
    for name in list(others) + [LOG + ".head"]:
        before = Path(t.tmp, name).read_bytes()
        res = t.eval("gate/policy.lua", "gate/context.json", "--log", name)
        expect_log_failure(t, res, name)
        t.contains(res.err, "it is not a decision log", "stderr")
        t.eq(Path(t.tmp, name).read_bytes(), before, name)
        t.check(not Path(t.tmp, name + ".head").exists(), "%s got a head of its own" % name)
    # the log itself, empty lines first, still takes records
    log.write_bytes(b"\n\n" + log.read_bytes())
    t.expect_exit(gate(t), 0)
    t.eq(len([l for l in log_lines(t, log) if l]), 2, "records in the log")


@case("log: a read-only log gives exit 2 and stays byte-identical")
def _(t):
    if os.geteuid() == 0:
        t.skip("root writes to read-only files")
    log = setup(t)
    t.expect_exit(gate(t), 0)
    before = log.read_bytes()
    log.chmod(0o444)
    res = gate(t)
    expect_log_failure(t, res, LOG)
    t.eq(log.read_bytes(), before, "the read-only log")


@case("log: a full disk gives exit 2 and no partial line (tmpfs)")
def _(t):
    setup(t)
    mnt = mount_tmpfs(t)
    try:
        log = mnt / LOG
        rel = os.path.relpath(log, t.tmp)
        for _ in range(2):
            t.expect_exit(t.eval("gate/policy.lua", "gate/context.json", "--log", rel), 0)
        t.eq(len(log_lines(t, log)), 2, "lines before the disk fills")
        fill(mnt / "filler")
        before = log.read_bytes()
        t.note("log of %d bytes; the new line is over 10000" % len(before))
        res = t.eval("gate/big.lua", "gate/context.json", "--log", rel)
        doc = expect_log_failure(t, res, rel)
        t.check(re.search(r"space|full", doc["error"]["message"], re.I), "the error does not say the disk is full",
                actual=doc["error"]["message"])
        after = log.read_bytes()
        if after != before:
            raise Failure("the log changed on a failed append", expected="%d bytes, as before" % len(before),
                          actual="%d bytes; tail %r" % (len(after), after[-120:]))
        # A log that did not exist yet: no half line either.
        res = t.eval("gate/big.lua", "gate/context.json", "--log", os.path.relpath(mnt / "new.jsonl", t.tmp))
        t.expect_exit(res, 2)
        new = mnt / "new.jsonl"
        t.check(not new.exists() or new.read_bytes() == b"", "a partial line in a new log on a full disk",
                actual=new.read_bytes()[:200] if new.exists() else None)
        # With room again, the same gate appends its one line.
        os.remove(mnt / "filler")
        res = t.eval("gate/big.lua", "gate/context.json", "--log", rel)
        doc = t.expect_decision(res, "allow")
        lines = log_lines(t, log)
        t.eq(len(lines), 3, "lines once there is room")
        t.eq(compact(t, lines[-1]), doc, "the appended line")
    finally:
        umount(mnt)


if __name__ == "__main__":
    cihelp.main()
