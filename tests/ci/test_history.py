#!/usr/bin/env python3
"""relgate history and rollback targets from the decision log (docs/ci.md).

meson runs: python3 test_history.py RELGATE

A log is built by real gate runs of data/history/gate.lua over small contexts — svc
1.0.0 and 1.1.0 pass post-deploy, 1.2.0 is denied, then 1.1.0 is denied later (rolled
back); web and api interleave; pre-release and deploy runs, an error decision and a
corrupt line are mixed in — and then:
  history            lists it oldest first (text, json; --release, --stage), warning on
                     stderr about the corrupt line;
  history last-good  names the newest version whose post-deploy passed and was not
                     denied later (exit 1 and a message when none, 2 when unreadable);
  eval --log         at a post-deploy deny takes the rollback target from the log with
                     a source naming it, else from release.previous_version, saying so.
"""

import json
import os
from pathlib import Path

import cihelp
from cihelp import copy_ci
from harness import Failure, case

LOG = "gate-log.jsonl"
CORRUPT = object()

# (context, stage, expected decision); the clock advances an hour per run.
SEQUENCE = [
    ("svc-1.0.0", "pre-release", "allow"),
    ("svc-1.0.0", "deploy", "allow"),
    ("svc-1.0.0", "post-deploy", "allow"),
    ("web-3.0.0", "post-deploy", "allow"),
    ("svc-1.1.0", "pre-release", "allow"),
    ("svc-1.1.0", "post-deploy", "allow"),
    CORRUPT,
    ("web-3.1.0", "post-deploy", "warn"),
    ("svc-1.2.0", "post-deploy", "deny"),            # rolls back to 1.1.0 (from the log)
    ("broken", "deploy", "error"),                   # an error decision, logged too
    ("svc-1.1.0-unhealthy", "post-deploy", "deny"),  # 1.1.0 rolled back: to 1.0.0 (not itself)
    ("svc-1.3.0", "pre-release", "allow"),           # passes pre-release and deploy only
    ("svc-1.3.0", "deploy", "allow"),
    ("web-3.2.0", "post-deploy", "deny"),            # to 3.1.0: a warn passed post-deploy
    ("api-0.9.0", "post-deploy", "deny"),            # never passed: release.previous_version
]


def clock(n):
    return "2025-06-%02dT%02d:00:00Z" % (1 + n // 24, n % 24)


def build(t):
    """Run SEQUENCE into LOG.  Returns the runs: dicts with ctx, stage, decision, doc."""
    copy_ci(t, "history")
    runs = []
    for n, step in enumerate(SEQUENCE):
        if step is CORRUPT:
            with open(Path(t.tmp, LOG), "ab") as f:
                f.write(b'this is not a decision {"decision": "allow"\n')
            continue
        ctx, stage, verdict = step
        res = t.eval("history/gate.lua", "history/%s.json" % ctx, "--stage", stage, "--log", LOG, now=clock(n))
        if verdict == "error":
            doc = t.expect_error(res, "context")
        else:
            doc = t.expect_decision(res, verdict)
        runs.append({"ctx": ctx, "stage": stage, "decision": verdict, "doc": doc, "now": clock(n)})
    return runs


def unchained(doc):
    """A log record's decision: the record without its "chain" (test_store.py checks it)."""
    doc.pop("chain", None)
    return doc


def entries(t, log=LOG):
    """The log's decisions (the corrupt line left out), parsed, without their chains."""
    out = []
    for line in Path(t.tmp, log).read_bytes().split(b"\n"):
        try:
            out.append(unchained(json.loads(line)))
        except ValueError:
            pass
    return out


def listing(entry):
    """What history --format json shows for ENTRY."""
    keys = ("evaluated_at", "decision", "release", "stage", "policy", "error")
    return {k: entry[k] for k in keys if k in entry}


def run_of(runs, ctx, stage="post-deploy"):
    return [r for r in runs if r["ctx"] == ctx and r["stage"] == stage][-1]


def rollback(doc):
    acts = [a for a in doc["actions"] if a["type"] == "rollback"]
    if len(acts) != 1:
        raise Failure("a post-deploy deny without exactly one rollback action", actual=doc["actions"])
    return acts[0]


@case("history: the gate runs log one line each, the log holds them in order")
def _(t):
    runs = build(t)
    logged = entries(t)
    t.eq(len(logged), len(runs), "decisions in the log")
    for run, entry in zip(runs, logged):
        t.eq(entry, run["doc"], "the logged line of %s at %s" % (run["ctx"], run["stage"]))


@case("history: text lists every decision oldest first; a corrupt line is skipped with a warning")
def _(t):
    runs = build(t)
    res = t.run("history", "--log", LOG)
    t.expect_exit(res, 0)
    lines = res.out.splitlines()
    t.eq(len(lines), len(runs), "lines listed")
    for run, line in zip(runs, lines):
        doc = run["doc"]
        t.check(line.startswith(doc["evaluated_at"]), "a listed line does not start with its time",
                expected=doc["evaluated_at"], actual=line)
        t.eq(line.split()[1], doc["decision"], "the decision listed at %s" % doc["evaluated_at"])
        if doc["decision"] == "error":
            t.contains(line, doc["error"]["message"], "the listed error")
        else:
            rel = doc["release"]
            t.contains(line, "%s %s (%s) at %s" % (rel["name"], rel["version"], rel["type"], doc["stage"]),
                       "the listed line")
            t.contains(line, "history-gate 2.0.0", "the listed line (policy)")
    warnings = [l for l in res.err.splitlines() if "warning" in l]
    t.eq(len(warnings), 1, "warnings on stderr")
    t.contains(warnings[0], LOG, "the warning")
    t.contains(warnings[0], "1 line", "the warning")
    t.check("this is not a decision" not in res.out, "the corrupt line was listed")


@case("history and last-good over a FIFO in the log's place: an error naming it, no hang")
def _(t):
    os.mkfifo(t.tmp / "fifo.jsonl")
    for args in (("history", "--log", "fifo.jsonl"), ("history", "last-good", "--log", "fifo.jsonl",
                                                      "--release", "payments")):
        res = t.run(*args, timeout=10)
        t.check(not res.timed_out, "%s hung on a FIFO" % " ".join(args))
        t.eq(res.rc, 2, "%s: exit code" % " ".join(args))
        t.contains(res.stderr.decode(), "fifo.jsonl is not a regular file", "%s: stderr" % " ".join(args))


@case("history --format json lists each decision's time, verdict, release, stage and policy")
def _(t):
    build(t)
    res = t.run("history", "--log", LOG, "--format", "json")
    t.expect_exit(res, 0)
    t.eq(json.loads(res.out), [listing(e) for e in entries(t)], "history --format json")
    t.contains(res.err, "warning", "stderr (the corrupt line)")


@case("history --release and --stage filter the listing (text and json)")
def _(t):
    build(t)
    logged = entries(t)
    for args, keep in ((["--release", "svc"], lambda e: e.get("release", {}).get("name") == "svc"),
                       (["--stage", "post-deploy"], lambda e: e.get("stage") == "post-deploy"),
                       (["--release", "web", "--stage", "post-deploy"],
                        lambda e: e.get("release", {}).get("name") == "web" and e.get("stage") == "post-deploy"),
                       (["--stage", "deploy"], lambda e: e.get("stage") == "deploy"),
                       (["--release", "nosuch"], lambda e: False)):
        want = [listing(e) for e in logged if keep(e)]
        res = t.run("history", "--log", LOG, "--format", "json", *args)
        t.expect_exit(res, 0)
        t.eq(json.loads(res.out), want, "history --format json %s" % " ".join(args))
        res = t.run("history", "--log", LOG, *args)
        t.expect_exit(res, 0)
        lines = res.out.splitlines()
        t.eq([l.split()[0] for l in lines], [e["evaluated_at"] for e in want], "history %s (times listed)" % " ".join(args))


@case("history last-good: the newest version that passed post-deploy, whatever came after it")
def _(t):
    runs = build(t)
    # svc 1.1.0 passed post-deploy and was denied there later: still the last good one
    # (the playbook's rollback target is the last release that passed its gate).
    for release, version, ctx in (("svc", "1.1.0", "svc-1.1.0"), ("web", "3.1.0", "web-3.1.0")):
        res = t.run("history", "last-good", "--log", LOG, "--release", release)
        t.expect_exit(res, 0)
        t.eq(res.out, version + "\n", "history last-good --release %s" % release)
        res = t.run("history", "last-good", "--log", LOG, "--release", release, "--format", "json")
        t.expect_exit(res, 0)
        run = run_of(runs, ctx)
        t.eq(json.loads(res.out), {"release": release, "version": version, "evaluated_at": run["now"],
                                   "decision": run["decision"]}, "last-good --format json for %s" % release)


@case("history last-good: pass, then a later deny of the same version: still the last good one")
def _(t):
    copy_ci(t, "history")
    for n, (ctx, verdict) in enumerate((("svc-1.0.0", "allow"), ("svc-1.1.0", "allow"),
                                        ("svc-1.1.0-unhealthy", "deny"), ("svc-1.1.0", "allow"))):
        res = t.eval("history/gate.lua", "history/%s.json" % ctx, "--stage", "post-deploy", "--log", LOG, now=clock(n))
        t.expect_decision(res, verdict)
        if n == 2:
            res = t.run("history", "last-good", "--log", LOG, "--release", "svc")
            t.eq(res.out, "1.1.0\n", "last-good after 1.1.0 passed and was denied later")
    res = t.run("history", "last-good", "--log", LOG, "--release", "svc")
    t.expect_exit(res, 0)
    t.eq(res.out, "1.1.0\n", "last-good after 1.1.0 passed again")


@case("history last-good: exit 1 and a message when no version passed post-deploy")
def _(t):
    build(t)
    for release in ("api", "nosuch"):
        res = t.run("history", "last-good", "--log", LOG, "--release", release)
        t.expect_exit(res, 1)
        t.eq(res.out, "", "stdout")
        t.contains(res.err, release, "stderr")
        t.contains(res.err, LOG, "stderr")
        t.check("passed" in res.err or "no " in res.err, "stderr does not say none passed", actual=res.err)


@case("history and last-good: a missing log exits 2 naming it")
def _(t):
    for args in (["history", "--log", "missing.jsonl"],
                 ["history", "last-good", "--log", "missing.jsonl", "--release", "svc"]):
        res = t.run(*args)
        t.expect_exit(res, 2)
        t.check(any("missing.jsonl" in l for l in res.error_lines()), "no 'relgate: error:' line names the log",
                actual=res.err)
        t.eq(res.out, "", "stdout")


@case("history and last-good: a directory in place of the log exits 2 (unreadable)")
def _(t):
    Path(t.tmp, LOG).mkdir()
    for args in (["history", "--log", LOG], ["history", "last-good", "--log", LOG, "--release", "svc"]):
        res = t.run(*args)
        if res.rc != 2:
            raise Failure("relgate %s ended with exit code %d on a log that is a directory" % (" ".join(args[:2]), res.rc),
                          expected="exit 2 and an error naming the log (it cannot be read)",
                          actual={"exit": res.rc, "stdout": res.out, "stderr": res.err})
        t.check(any(LOG in l for l in res.error_lines()), "no 'relgate: error:' line names the log", actual=res.err)


@case("history and last-good: an unreadable (mode 000) log exits 2")
def _(t):
    if os.geteuid() == 0:
        t.skip("root reads mode 000 files")
    build(t)
    os.chmod(Path(t.tmp, LOG), 0)
    for args in (["history", "--log", LOG], ["history", "last-good", "--log", LOG, "--release", "svc"]):
        res = t.run(*args)
        t.expect_exit(res, 2)
        t.check(any(LOG in l for l in res.error_lines()), "no 'relgate: error:' line names the log", actual=res.err)


@case("history: usage errors exit 2")
def _(t):
    for args, needle in ((["history"], "--log"),
                         (["history", "--log", LOG, "--stage", "production"], "production"),
                         (["history", "last-good", "--log", LOG], "--release"),
                         (["history", "--log", LOG, "--format", "xml"], "xml")):
        res = t.run(*args)
        t.expect_exit(res, 2)
        t.contains(res.err, needle, "stderr of relgate %s" % " ".join(args))


@case("eval --log: a post-deploy deny rolls back to the log's last good version, source naming the log")
def _(t):
    runs = build(t)
    for ctx, target, good in (("svc-1.2.0", "1.1.0", "svc-1.1.0"), ("svc-1.1.0-unhealthy", "1.0.0", "svc-1.0.0"),
                              ("web-3.2.0", "3.1.0", "web-3.1.0")):
        act = rollback(run_of(runs, ctx)["doc"])
        t.eq(act["target"], target, "rollback target of %s" % ctx)
        t.contains(act["source"], "decision log", "rollback source of %s" % ctx)
        t.contains(act["source"], LOG, "rollback source of %s" % ctx)
        t.contains(act["source"], run_of(runs, good)["now"], "rollback source of %s (when %s passed)" % (ctx, good))
        t.check("previous_version" not in act["source"], "the source of a log target names previous_version",
                actual=act["source"])
    # The other renderings say the same (1.1.0 passed post-deploy; its later deny does
    # not change that).
    n = len(SEQUENCE)
    for fmt, needle in (("text", "roll back to 1.1.0"), ("markdown", "roll back to 1.1.0")):
        res = t.eval("history/gate.lua", "history/svc-1.2.0.json", "--stage", "post-deploy", "--log", LOG,
                     "--format", fmt, now=clock(n))
        t.expect_exit(res, 1)
        t.contains(res.out, needle, "--format %s" % fmt)
        t.contains(res.out, LOG, "--format %s (the source)" % fmt)


@case("eval --log: with no good version in the log, rollback uses release.previous_version and says so")
def _(t):
    runs = build(t)
    act = rollback(run_of(runs, "api-0.9.0")["doc"])
    t.eq(act["target"], "0.8.0", "rollback target of api 0.9.0")
    t.check(act["source"].startswith("context: release.previous_version"), "rollback source",
            expected="context: release.previous_version ...", actual=act["source"])
    t.contains(act["source"], LOG, "rollback source (the log consulted)")
    # A log that does not exist yet: the same, and the log then holds the decision.
    res = t.eval("history/gate.lua", "history/svc-1.2.0.json", "--stage", "post-deploy", "--log", "fresh.jsonl")
    doc = t.expect_decision(res, "deny")
    act = rollback(doc)
    t.eq(act["target"], "1.1.0", "rollback target with a fresh log")
    t.check(act["source"].startswith("context: release.previous_version"), "rollback source with a fresh log",
            actual=act["source"])
    t.eq(entries(t, "fresh.jsonl"), [doc], "the fresh log")
    # Without --log: the context, and nothing else.
    res = t.eval("history/gate.lua", "history/svc-1.2.0.json", "--stage", "post-deploy")
    act = rollback(t.expect_decision(res, "deny"))
    t.eq((act["target"], act["source"]), ("1.1.0", "context: release.previous_version"), "rollback without --log")


@case("eval --batch --log: one log line per batch line, and a post-deploy deny rolls back from the log")
def _(t):
    copy_ci(t, "history")
    lines = [json.dumps(json.loads(Path(t.tmp, "history", name + ".json").read_text()))
             for name in ("svc-1.0.0", "web-3.0.0", "svc-1.2.0")]
    t.write("batch.jsonl", "\n".join(lines) + "\n")
    res = t.run("eval", "--policy", "history/gate.lua", "--batch", "batch.jsonl", "--stage", "post-deploy",
                "--log", LOG, "--now", clock(0))
    t.expect_exit(res, 1)
    out = [json.loads(l) for l in res.out.splitlines()]
    t.eq([d["decision"] for d in out], ["allow", "allow", "deny"], "the batch's decisions")
    # svc 1.2.0 names 1.1.0 as previous_version, but the log has 1.0.0 as the last good svc.
    logged = entries(t)
    t.eq(logged, out, "the log (one line per batch line, equal to stdout)")
    act = rollback(out[2])
    if act["target"] != "1.0.0" or "decision log" not in act["source"] or LOG not in act["source"]:
        raise Failure("in --batch mode the post-deploy deny does not take its rollback target from --log",
                      expected={"target": "1.0.0", "source": "decision log %s: last post-deploy allow of svc, ..." % LOG},
                      actual=act)



@case("a post-deploy deny in one environment rolls back to a version that passed there, not in another; "
      "history last-good --environment")
def _(t):
    copy_ci(t, "history")

    def in_env(name, environment):
        ctx = json.loads(Path(t.tmp, "history", name + ".json").read_text())
        ctx["release"]["environment"] = environment
        t.write("%s-%s.json" % (name, environment), json.dumps(ctx))
        return "%s-%s.json" % (name, environment)

    # production: 1.0.0 passed; staging: 1.0.0 and 1.1.0 passed; then 1.2.0 fails in production.
    for n, (name, environment) in enumerate((("svc-1.0.0", "production"), ("svc-1.0.0", "staging"),
                                             ("svc-1.1.0", "staging"))):
        res = t.eval("history/gate.lua", in_env(name, environment), "--stage", "post-deploy", "--log", LOG,
                     now=clock(n))
        t.expect_decision(res, "allow")
    res = t.eval("history/gate.lua", in_env("svc-1.2.0", "production"), "--stage", "post-deploy", "--log", LOG,
                 now=clock(3))
    act = rollback(t.expect_decision(res, "deny"))
    t.eq(act["target"], "1.0.0", "production's rollback target (1.1.0 passed in staging only)")
    t.contains(act["source"], "last post-deploy allow of svc in production", "its source")
    res = t.run("history", "last-good", "--log", LOG, "--release", "svc", "--environment", "production")
    t.eq((res.rc, res.out), (0, "1.0.0\n"), "history last-good --environment production")
    res = t.run("history", "last-good", "--log", LOG, "--release", "svc", "--environment", "staging")
    t.eq((res.rc, res.out), (0, "1.1.0\n"), "history last-good --environment staging")
    res = t.run("history", "last-good", "--log", LOG, "--release", "svc", "--environment", "qa")
    t.expect_exit(res, 1)
    t.contains(res.err, "no passed post-deploy gate of svc in environment qa", "none in qa")
    res = t.run("history", "last-good", "--log", LOG, "--release", "svc")
    t.eq((res.rc, res.out), (0, "1.1.0\n"), "history last-good in any environment")
    # A filter an action does not apply is refused, not ignored (round 15, F07).
    for args in (("last-good", "--release", "svc", "--until", "2000-01-01T00:00:00Z"),
                 ("last-good", "--release", "svc", "--stage", "deploy"),
                 ("export", "--environment", "staging"), ("verify", "--release", "svc")):
        res = t.run("history", *args, "--log", LOG)
        t.expect_exit(res, 2)
        t.contains(res.err, "takes no", " ".join(args))

if __name__ == "__main__":
    cihelp.main()
