#!/usr/bin/env python3
"""One evaluation, many outputs (docs/ci.md, "One evaluation, many outputs"): --format
FMT[=PATH] repeatable, relgate render for a saved decision, --color and the colour
variables, GitHub annotation paths, the text rendering of an error, and last-good over
the examples' pass -> later deny.

meson runs: python3 test_outputs.py RELGATE
"""

import json
import os
import shutil
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cihelp
from cihelp import REPO, style_env
from harness import Failure, case

NOW = "2025-06-10T14:00:00Z"
DENY = REPO / "examples/major/pre-release/no-migration-steps/context.json"
ALLOW = REPO / "examples/major/pre-release/pass/context.json"
POLICY = REPO / "policies/octoacme.lua"


def evaluate(t, context, *extra, **kw):
    return t.run("eval", "--policy", POLICY, "--context", context, "--now", NOW, *extra, **kw)


# ---- --format FMT[=PATH] ----------------------------------------------------------------

@case("outputs: --format FMT=PATH writes each rendering of one decision; stdout stays json")
def _(t):
    res = evaluate(t, DENY, "--format", "json=d.json", "--format", "markdown=summary.md",
                   "--format", "junit=gate.xml", "--format", "github=annotations.txt", "--log", "log.jsonl")
    t.expect_exit(res, 1)
    doc = t.decision(res)   # standard output: json, the default
    t.eq(json.loads(Path(t.tmp, "d.json").read_text()), doc, "d.json and standard output")
    # One evaluation: the JUnit times are the JSON's durations, and the log has one record.
    root = ET.parse(Path(t.tmp, "gate.xml")).getroot()
    times = [tc.get("time") for tc in root.iter("testcase")]
    t.eq(times, ["%.3f" % (r["duration_ms"] / 1000) for r in doc["requirements"]], "JUnit times (the JSON's durations)")
    t.eq(len(Path(t.tmp, "log.jsonl").read_text().splitlines()), 1, "records in the decision log")
    cihelp.xmllint_validate(t, Path(t.tmp, "gate.xml"))
    md = Path(t.tmp, "summary.md").read_text()
    t.contains(md.split("\n", 1)[0], "**deny**", "the summary's heading")
    t.contains(md, "<details><summary>Looked at</summary>", "the summary folds details away")
    t.contains(Path(t.tmp, "annotations.txt").read_text(), "::error file=", "the annotations file")


@case("outputs: a text or junit stdout beside files; the formats agree with relgate render of the saved json")
def _(t):
    res = evaluate(t, DENY, "--format", "text", "--format", "json=d.json", "--format", "junit=gate.xml",
                   "--format", "markdown=summary.md", env=style_env(LANG="C.UTF-8"))
    t.expect_exit(res, 1)
    t.check(res.out.startswith("DENY"), "stdout is not the text rendering", actual=res.out[:200])
    for fmt, path in (("junit", "gate.xml"), ("markdown", "summary.md")):
        again = t.run("render", "--format", fmt, "d.json")
        t.expect_exit(again, 1)
        t.eq(again.out, Path(t.tmp, path).read_text(), "relgate render --format %s of the saved decision" % fmt)
    again = t.run("render", "--format", "text", "d.json", env=style_env(LANG="C.UTF-8"))
    t.eq(again.out, res.out, "relgate render --format text")
    again = t.run("render", "d.json")
    t.eq(again.out, Path(t.tmp, "d.json").read_text(), "relgate render (json) gives the file back")


@case("outputs: an error goes into every FMT=PATH report too (the job still publishes one), exit 2")
def _(t):
    res = t.run("eval", "--policy", POLICY, "--context", "missing.json", "--format", "junit=gate.xml",
                "--format", "markdown=summary.md", "--format", "json=d.json")
    t.expect_exit(res, 2)
    t.expect_error(res, "io")
    cihelp.xmllint_validate(t, Path(t.tmp, "gate.xml"))
    root = ET.parse(Path(t.tmp, "gate.xml")).getroot()
    t.eq(root.get("errors"), "1", "errors in the JUnit report")
    t.contains(Path(t.tmp, "summary.md").read_text(), "**error**", "the summary")
    t.eq(json.loads(Path(t.tmp, "d.json").read_text())["decision"], "error", "d.json")
    again = t.run("render", "--format", "text", "d.json")
    t.expect_exit(again, 2)
    t.contains(again.out, "missing.json", "relgate render of an error decision")


@case("outputs: a policy stopped by the watchdog (--timeout, inside a library call) replaces every report "
      "left by an earlier run with the error, after its log record; --output too")
def _(t):
    cihelp.copy_ci(t, "log", "gate")
    reports = {"gate.xml": "junit", "summary.md": "markdown", "annotations.txt": "github", "d.json": "json",
               "out.txt": "text"}
    for with_log in (True, False):
        # An earlier, passing run's reports: a CI step must never publish them for this run.
        for path in list(reports) + ["decision.json"]:
            t.write(path, "STALE allow from an earlier run\n")
        args = ["--timeout", "1", "--output", "decision.json"] + (["--log", "gate.jsonl"] if with_log else [])
        for path, fmt in reports.items():
            args += ["--format", "%s=%s" % (fmt, path)]
        res = t.eval("gate/watchdog.lua", "gate/context.json", *args, timeout=60)
        t.expect_exit(res, 2)
        t.contains(res.err, "time limit", "stderr")
        for path in reports:
            t.check("STALE" not in Path(t.tmp, path).read_text(), "%s still holds the earlier run's report" % path)
        cihelp.xmllint_validate(t, Path(t.tmp, "gate.xml"))
        root = ET.parse(Path(t.tmp, "gate.xml")).getroot()
        t.eq(root.get("errors"), "1", "errors in the JUnit report")
        t.contains(root.find(".//error").get("message"), "time limit", "the JUnit error")
        t.contains(Path(t.tmp, "summary.md").read_text(), "**error**", "the summary")
        t.contains(Path(t.tmp, "annotations.txt").read_text(), "::error", "the annotations")
        t.contains(Path(t.tmp, "out.txt").read_text(), "ERROR  the gate could not be evaluated", "the text report")
        doc = json.loads(Path(t.tmp, "d.json").read_text())
        t.eq((doc["decision"], doc["error"]["kind"]), ("error", "limit"), "d.json")
        t.eq(Path(t.tmp, "decision.json").read_bytes(), res.stdout,
             "--output holds the error stdout carries, not the earlier run's decision")
        if with_log:
            lines = Path(t.tmp, "gate.jsonl").read_text().splitlines()
            t.eq(len(lines), 1, "records in the decision log")
            t.eq(json.loads(lines[0])["error"], doc["error"], "the logged error and the report's")
            Path(t.tmp, "gate.jsonl").unlink()
    leftovers = [p.name for p in Path(t.tmp).iterdir() if p.name.startswith(".")]
    t.eq(leftovers, [], "temporary files left beside the reports")


@case("outputs: usage errors: two stdout formats, one path twice, an unknown format, FMT=, --batch with a file")
def _(t):
    for args, needle in ((("--format", "text", "--format", "markdown"), "only one --format goes to standard output"),
                         (("--format", "junit=a", "--format", "markdown=a"), "two outputs into a"),
                         (("--format", "yaml=a"), "is not json, text, markdown, junit or github"),
                         (("--format", "junit="), "needs a path"),
                         (("--color", "sometimes"), "is not auto, always or never")):
        res = evaluate(t, DENY, *args)
        t.expect_exit(res, 2)
        t.contains(res.err, needle, "stderr for %s" % (args,))
    t.write("batch.jsonl", "{}\n")
    res = t.run("eval", "--policy", POLICY, "--batch", "batch.jsonl", "--format", "junit=x.xml")
    t.expect_exit(res, 2)
    t.contains(res.err, "--batch writes JSON lines", "stderr")


# ---- relgate render ----------------------------------------------------------------------

@case("render: exit code is the decision's; --fail-on-warn; standard input")
def _(t):
    for ctx, code in ((ALLOW, 0), (DENY, 1)):
        evaluate(t, ctx, "--output", "d.json")
        t.expect_exit(t.run("render", "--format", "markdown", "d.json"), code)
        t.expect_exit(t.run("render", "--format", "github", "-", stdin=Path(t.tmp, "d.json").read_text()), code)
    warn = REPO / "examples/minor/deploy/manual-pipeline/context.json"
    evaluate(t, warn, "--output", "w.json")
    t.expect_exit(t.run("render", "--format", "text", "w.json"), 0)
    t.expect_exit(t.run("render", "--format", "text", "--fail-on-warn", "w.json"), 1)


@case("render: a decision edited to allow over a failed mandatory requirement is refused (exit 2), never rendered as allow")
def _(t):
    evaluate(t, DENY, "--output", "d.json")
    doc = json.loads(Path(t.tmp, "d.json").read_text())
    doc["decision"] = "allow"
    t.write_json("forged.json", doc)
    for fmt in ("markdown", "junit", "json", "text"):
        res = t.run("render", "--format", fmt, "forged.json")
        t.expect_exit(res, 2)
        t.contains(res.err, "its requirements give deny", "stderr (%s)" % fmt)
        t.check("allow" not in res.out.lower().split("\n", 1)[0], "the forged verdict shown (%s)" % fmt,
                actual=res.out[:200])
    for bad in ("not json", "{}", '{"decision": "allow", "requirements": []}', "[1]"):
        t.write("bad.json", bad)
        res = t.run("render", "--format", "junit", "bad.json")
        t.expect_exit(res, 2)
        t.check(res.error_lines(), "no error line for %r" % bad, actual=res.err)
    t.expect_exit(t.run("render", "--format", "junit"), 2)
    t.expect_exit(t.run("render", "a.json", "b.json"), 2)


@case("render: a deny edited into one its verdict agrees with (a mandatory fail made waived, or no requirement "
      "left) is refused, never rendered as allow")
def _(t):
    # The verdict the requirements give was checked, but not that relgate could have
    # written them: both of these gave allow, exit 0 (hostile round 32, F06).
    evaluate(t, DENY, "--output", "d.json")
    doc = json.loads(Path(t.tmp, "d.json").read_text())
    failed = [r for r in doc["requirements"] if r["status"] == "fail"]
    t.check(failed and failed[0]["level"] == "mandatory", "the deny has a mandatory fail", actual=failed)
    waived = json.loads(json.dumps(doc))
    for r in waived["requirements"]:
        if r["status"] == "fail":
            r["status"] = "waived"
    waived["decision"] = "allow"
    emptied = dict(doc, decision="allow", requirements=[])
    for name, forged, why in (("waived.json", waived, "is waived, but only a waivable requirement can be"),
                              ("emptied.json", emptied, "holds no requirement")):
        t.write_json(name, forged)
        res = t.run("render", "--format", "markdown", name)
        t.expect_exit(res, 2)
        t.contains(res.err, why, name)


# ---- GitHub annotations -------------------------------------------------------------------

def annotations(text):
    return [cihelp.gh_parse(l) for l in text.rstrip("\n").split("\n") if l.startswith("::")]


@case("github: annotation paths are relative to GITHUB_WORKSPACE, from any directory")
def _(t):
    ws = Path(t.tmp, "ws")
    (ws / "sub").mkdir(parents=True)
    (ws / "gate").mkdir()
    (ws / "gate" / "octoacme.lua").write_bytes(POLICY.read_bytes())
    shutil.copytree(REPO / "policies" / "lib", ws / "gate" / "lib")
    res = t.run("eval", "--policy", "../gate/octoacme.lua", "--context", DENY, "--now", NOW, "--format", "github",
                cwd=ws / "sub", env={"GITHUB_WORKSPACE": str(ws)})
    t.expect_exit(res, 1)
    files = {p.get("file") for _, p, _ in annotations(res.out) if p.get("file")}
    t.eq(files, {"gate/octoacme.lua"}, "annotation files")
    # render from the same directory, later: the same paths
    t.run("eval", "--policy", "../gate/octoacme.lua", "--context", DENY, "--now", NOW, "--output", "../d.json",
          cwd=ws / "sub")
    res = t.run("render", "--format", "github", "../d.json", cwd=ws / "sub", env={"GITHUB_WORKSPACE": str(ws)})
    t.eq({p.get("file") for _, p, _ in annotations(res.out) if p.get("file")}, {"gate/octoacme.lua"},
         "annotation files from relgate render")
    # A file outside the workspace keeps its name.
    res = t.run("render", "--format", "github", "../d.json", cwd=ws / "sub", env={"GITHUB_WORKSPACE": str(ws / "sub")})
    t.eq({p.get("file") for _, p, _ in annotations(res.out) if p.get("file")}, {"../gate/octoacme.lua"},
         "a policy outside the workspace")


@case("github: an overridden requirement is annotated at the override's line, not the base's")
def _(t):
    team = REPO / "policies/team-payments.lua"
    line = next(n for n, l in enumerate(team.read_text().split("\n"), 1) if l.startswith('override "automated-pipeline"'))
    ctx = REPO / "examples/minor/deploy/manual-pipeline/context.json"
    res = t.run("eval", "--policy", team, "--context", ctx, "--now", NOW, "--format", "json=d.json", "--format", "github",
                env={"GITHUB_WORKSPACE": str(REPO)})
    t.expect_exit(res, 1)
    doc = json.loads(Path(t.tmp, "d.json").read_text())
    req = next(r for r in doc["requirements"] if r["id"] == "automated-pipeline")
    t.eq(req["defined_at"], "%s:%d" % (team, line), "defined_at of the overridden requirement")
    t.check(req["source"].startswith(str(REPO / "policies/octoacme.lua")), "source stays the declaration", actual=req["source"])
    ann = [p for _, p, _ in annotations(res.out) if "automated-pipeline" in p.get("title", "")]
    t.eq(len(ann), 1, "annotations of automated-pipeline")
    t.eq((ann[0].get("file"), ann[0].get("line")), ("policies/team-payments.lua", str(line)), "where it points")


# ---- Colour -------------------------------------------------------------------------------

@case("color: --color always|never|auto with NO_COLOR, FORCE_COLOR and CLICOLOR_FORCE (to a pipe)")
def _(t):
    cases = [((), {}, False), (("--color", "always"), {}, True), (("--color=never",), {"FORCE_COLOR": "1"}, False),
             ((), {"FORCE_COLOR": "1"}, True), ((), {"CLICOLOR_FORCE": "1"}, True), ((), {"FORCE_COLOR": "0"}, False),
             ((), {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False), (("--color", "always"), {"NO_COLOR": "1"}, True),
             (("--no-color",), {"FORCE_COLOR": "1"}, False)]
    for args, env, colour in cases:
        for cmd in ("eval", "render"):
            if cmd == "eval":
                res = evaluate(t, DENY, "--format", "text", *args, env=style_env(**env))
            else:
                evaluate(t, DENY, "--output", "d.json")
                res = t.run("render", "--format", "text", "d.json", *args, env=style_env(**env))
            t.eq(b"\x1b[" in res.stdout, colour, "colours with %s %s (%s)" % (" ".join(args), env, cmd))


# ---- text errors, last-good -----------------------------------------------------------

@case("text: an error decision prints the error on standard output too")
def _(t):
    res = t.run("eval", "--policy", POLICY, "--context", "missing.json", "--format", "text")
    t.expect_exit(res, 2)
    t.check(res.out.startswith("ERROR  the gate could not be evaluated"), "stdout", actual=res.out)
    t.contains(res.out, "missing.json", "the text error names the context")


@case("history last-good --release: ledger-service 3.0.0 passed post-deploy, then was denied: still 3.0.0")
def _(t):
    base = REPO / "examples/major/post-deploy"
    for ex, code in (("pass", 0), ("verification-failed", 1)):
        res = evaluate(t, base / ex / "context.json", "--stage", "post-deploy", "--log", "log.jsonl")
        t.expect_exit(res, code)
    res = t.run("history", "last-good", "--log", "log.jsonl", "--release", "ledger-service")
    t.expect_exit(res, 0)
    t.eq(res.out, "3.0.0\n", "last-good after a pass and a later deny")
    doc = t.decision(evaluate(t, base / "verification-failed/context.json", "--stage", "post-deploy",
                              "--log", "log.jsonl"))
    rollback = [a for a in doc["actions"] if a["type"] == "rollback"]
    # The failing release itself is no rollback target: the one before it is.
    t.eq([a["target"] for a in rollback], ["2.9.4"], "the rollback target of a later deny of 3.0.0")


@case("docs: every sh example of docs/ci.md's \"Output formats\" runs from the source tree (exit 0 or 1, no error)")
def _(t):
    text = (REPO / "docs/ci.md").read_text()
    section = text.split("## Output formats", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    t.check(len(blocks) >= 2, "sh examples parsed from docs/ci.md", actual=len(blocks))
    for d in ("policies", "examples"):
        shutil.copytree(REPO / d, Path(t.tmp, d), symlinks=True)
    bindir = Path(t.tmp, "bin")
    bindir.mkdir()
    (bindir / "relgate").symlink_to(cihelp.harness.RELGATE)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")))
    for block in blocks:
        for cmd in [c.strip() for c in re.sub(r"\\\n\s*", " ", block).split("\n") if c.strip()]:
            if not cmd.startswith("relgate "):
                continue
            proc = cihelp.subprocess.run(["bash", "-c", cmd], cwd=t.tmp, env=env, capture_output=True, timeout=120)
            err = proc.stderr.decode("utf-8", "replace")
            t.check(proc.returncode in (0, 1) and "relgate: error" not in err, "a docs/ci.md example fails",
                    actual={"example": cmd, "exit": proc.returncode, "stderr": err[-1500:]})


@case("outputs: a report that cannot be written takes back the earlier run's (emptied where it cannot be removed)")
def _(t):
    import harness
    box = Path(t.tmp, "ro")
    box.mkdir()
    report = box / "summary.md"
    t.expect_exit(evaluate(t, ALLOW, "--format", "markdown=ro/summary.md"), 0)
    t.contains(report.read_text(), "allow", "the earlier run's report")
    args = ("eval", "--policy", POLICY, "--context", DENY, "--now", NOW, "--format", "markdown=ro/summary.md")
    program = None
    if os.geteuid() == 0:
        # Root writes anywhere: this run is nobody's, who owns the report but not its folder.
        setpriv = shutil.which("setpriv")
        if not setpriv:
            t.skip("running as root without setpriv (util-linux) to drop to nobody")
        os.chmod(t.tmp, 0o755)
        os.chown(report, 65534, 65534)
        program, args = setpriv, ("--reuid=65534", "--regid=65534", "--clear-groups", "--", harness.RELGATE) + args
    box.chmod(0o555)
    try:
        res = t.run(*args, program=program)
    finally:
        box.chmod(0o755)
    t.expect_exit(res, 2)
    t.contains(res.err, "ro/summary.md", "the report that could not be written is named")
    t.eq(report.read_bytes(), b"", "the earlier run's report (an allow) is emptied, not left in place")


@case("outputs: an output naming the decision log, the policy or another output is a usage error; nothing written")
def _(t):
    t.write("gate.jsonl", "")
    t.expect_exit(evaluate(t, ALLOW, "--log", "gate.jsonl"), 0)
    log = Path(t.tmp, "gate.jsonl").read_bytes()
    for extra in (("--output", "gate.jsonl"), ("--format", "markdown=gate.jsonl"), ("--output", str(POLICY)),
                  ("--output", "same.json", "--format", "json=same.json"),
                  # One file not made yet, named two ways: one output would replace the other.
                  ("--output", "same.json", "--format", "markdown=./same.json")):
        res = evaluate(t, ALLOW, "--log", "gate.jsonl", *extra)
        t.expect_error(res, "usage", mentions=["would be written over"])
        t.eq(Path(t.tmp, "gate.jsonl").read_bytes(), log, "the decision log after %s" % (extra,))
    t.check(not Path(t.tmp, "same.json").exists(), "no output written")


@case("outputs: a usage error anywhere on the command line reaches every output named on it but one that is a file "
      "the run reads or writes")
def _(t):
    # Hostile round 37b, F02: an error in an option before --output left the earlier run's
    # allow at its path; one after an --output naming the policy or the log wrote the
    # error over it.
    for bad in (("--check-timeout", ""), ("--stage", "deplyo"), ("--bogus",), ("--format", "nope=x.md")):
        t.expect_exit(evaluate(t, ALLOW, "--output", "d.json", "--format", "junit=j.xml"), 0)
        res = evaluate(t, ALLOW, *bad, "--output", "d.json", "--format", "junit=j.xml")
        t.expect_error(res, "usage")
        t.eq(json.loads(Path(t.tmp, "d.json").read_text())["decision"], "error", "--output after %s" % (bad,))
        t.contains(Path(t.tmp, "j.xml").read_text(), "<error", "the JUnit report after %s" % (bad,))
    t.write("policy.lua", 'requirement "a" { title = "a", check = function() return pass("ok") end }\n')
    t.write("gate.jsonl", "")
    t.expect_exit(t.run("eval", "--policy", "policy.lua", "--context", str(ALLOW), "--now", NOW, "--log", "gate.jsonl"), 0)
    kept = {p: Path(t.tmp, p).read_bytes() for p in ("policy.lua", "gate.jsonl")}
    for out in ("policy.lua", "gate.jsonl"):
        for how in (("--output", out), ("--format", "markdown=" + out)):
            res = t.run("eval", "--policy", "policy.lua", "--context", str(ALLOW), "--log", "gate.jsonl", *how,
                        "--bogus")
            t.expect_error(res, "usage", mentions=["unknown option '--bogus'"])
            res = t.run("eval", "--policy", "policy.lua", "--log", "gate.jsonl", *how)   # --context missing
            t.expect_error(res, "usage", mentions=["--context is required"])
    t.eq({p: Path(t.tmp, p).read_bytes() for p in kept}, kept, "the policy and the log")
    # Only the output that is such a file is left alone; the others take the error (round
    # 37d, F06: one kept an earlier run's allow in every other).
    t.expect_exit(t.run("eval", "--policy", "policy.lua", "--context", str(ALLOW), "--now", NOW, "--output", "d.json"), 0)
    for how in (("--output", "d.json", "--format", "markdown=policy.lua"),
                ("--format", "markdown=policy.lua", "--output", "d.json")):
        res = t.run("eval", "--policy", "policy.lua", "--context", str(ALLOW), "--now", NOW, *how, "--bogus")
        t.expect_error(res, "usage")
        t.eq(json.loads(Path(t.tmp, "d.json").read_text())["decision"], "error", "--output beside %s" % (how,))
    t.eq(Path(t.tmp, "policy.lua").read_bytes(), kept["policy.lua"], "the policy")


@case("outputs: over a file the decision reads that no option names -- a directory policy's member or a new *.lua "
      "in it, a module, an extended base, an evidence file (made or not yet) -- a usage error; nothing written")
def _(t):
    # Hostile round 35, F02: compared with the options' paths only, a deny's markdown report
    # written over its release notes made the next gate allow.
    t.write("pol/a.lua", 'local m = require "lib.m"\n'
            'requirement "notes" { title = "notes", check = function(ctx)\n'
            '  local text = evidence.read("notes")\n'
            '  if text and m.ok(text, ctx.release.version) then return pass("mentioned") end\n'
            '  return fail("not mentioned") end }\n')
    t.write("pol/lib/m.lua", "return { ok = function(t, v) return t:find(v, 1, true) ~= nil end }\n")
    t.write("base.lua", 'requirement "a" { title = "a", check = function() return pass("ok") end }\n')
    t.write("top.lua", 'extends "base"\nrequirement "b" { title = "b", check = function() return pass("ok") end }\n')
    t.write("ev/notes.md", "release notes\n")
    t.write_json("c.json", {"release": {"name": "app", "version": "1.0.0", "type": "patch"},
                            "evidence": {"notes": "ev/notes.md", "later": "ev/later.md"}})
    before = {p: Path(t.tmp, p).read_bytes() for p in ("pol/a.lua", "pol/lib/m.lua", "base.lua", "ev/notes.md")}
    res = t.run("eval", "--policy", "pol", "--context", "c.json")
    t.expect_exit(res, 1)   # the control: the notes do not mention 1.0.0
    for policy, out in (("pol", "pol/a.lua"), ("pol", "pol/new.lua"), ("pol", "pol/lib/m.lua"), ("top.lua", "base.lua"),
                        ("pol", "ev/notes.md"), ("pol", "./ev/../ev/notes.md"), ("pol", "ev/later.md")):
        for how in (("--output", out), ("--format", "markdown=" + out)):
            res = t.run("eval", "--policy", policy, "--context", "c.json", *how)
            t.expect_error(res, "usage", mentions=["would be written over"])
    t.eq({p: Path(t.tmp, p).read_bytes() for p in before}, before, "every file read, after every refusal")
    t.check(not Path(t.tmp, "pol/new.lua").exists() and not Path(t.tmp, "ev/later.md").exists(), "nothing made")
    # --batch --output: over the policy's module refused; over a line's evidence, that line's error.
    t.write("b.jsonl", json.dumps({"release": {"name": "app", "version": "1.0.0", "type": "patch"},
                                   "evidence": {"notes": "ev/notes.md"}}) + "\n")
    res = t.run("eval", "--policy", "pol", "--batch", "b.jsonl", "--output", "pol/lib/m.lua")
    t.expect_exit(res, 2)
    t.contains(res.err, "would be written over", "batch over a module")
    for jobs in ("1", "2"):   # in this process, and in workers (the parent stops the batch)
        res = t.run("eval", "--policy", "pol", "--batch", "b.jsonl", "--jobs", jobs, "--output", "ev/notes.md")
        t.expect_exit(res, 2)
        t.contains(res.err, "names as evidence a file the batch writes", "batch over evidence, --jobs " + jobs)
    t.eq({p: Path(t.tmp, p).read_bytes() for p in before}, before, "every file read, after the batches")
    # Hostile round 36, F01, F05: the decision log and --attest are written too (appended):
    # a record or an envelope appended to the release notes made the next gate allow.
    for log in ("ev/notes.md", "./ev/notes.md", "c.json", "pol/a.lua"):
        res = t.run("eval", "--policy", "pol", "--context", "c.json", "--log", log)
        t.expect_error(res, "usage", mentions=["would be written over"])
        res = t.run("eval", "--policy", "pol", "--context", "c.json", env={"RELGATE_LOG": log})
        t.expect_error(res, "usage", mentions=["would be written over"])
    hows = [("--log", "ev/notes.md"), ("--log", "pol/lib/m.lua")]
    if shutil.which("openssl"):
        cihelp.subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-out", "k.pem"], cwd=t.tmp, check=True, capture_output=True)
        hows.append(("--attest", "ev/notes.md", "--signing-key", "k.pem"))
    for jobs in ("1", "2"):
        for how in hows:
            res = t.run("eval", "--policy", "pol", "--batch", "b.jsonl", "--jobs", jobs, *how)
            t.expect_exit(res, 2)
            t.contains(res.err, "would be written over", "batch %s, --jobs %s" % (how, jobs))
    t.eq({p: Path(t.tmp, p).read_bytes() for p in before}, before, "every file read, after the logs")
    # Nor the files a log's store writes beside it: the JSON-lines log's head, SQLite's
    # journal (a context naming ev/n.head, and --log ev/n, lost its evidence to the head).
    # eval opens the store only once they are known apart: SQLite takes a journal it
    # finds for its own, and removes it.
    for name, log in (("ev/n.head", "ev/n"), ("ev/db-journal", "sqlite:ev/db"), ("ev/d2-wal", "sqlite:./ev/d2")):
        t.write(name, "release notes for 1.0.0\n")
        t.write_json("side.json", {"release": {"name": "app", "version": "1.0.0", "type": "patch"},
                                   "evidence": {"notes": name}})
        t.write("side.jsonl", Path(t.tmp, "side.json").read_text().replace("\n", " ") + "\n")
        t.expect_exit(t.run("eval", "--policy", "pol", "--context", "side.json"), 0)   # the control
        res = t.run("eval", "--policy", "pol", "--context", "side.json", "--log", log)
        t.expect_error(res, "usage", mentions=["%s' would be written over" % name.split("/")[-1]])
        t.eq(Path(t.tmp, name).read_text(), "release notes for 1.0.0\n", name)
        t.check(not Path(t.tmp, log.split(":")[-1]).exists(), "the log not made (%s)" % log)
        # A batch opens its store before its first line (docs/ci.md): the line is refused.
        for jobs in ("1", "2"):
            res = t.run("eval", "--policy", "pol", "--batch", "side.jsonl", "--jobs", jobs, "--log", log)
            t.expect_exit(res, 2)
            t.contains(res.err, "names as evidence a file the batch writes", "batch, --log %s, --jobs %s" % (log, jobs))


@case("outputs: never over a plugin the run loads, the file standard input reads, nor a file --save-evidence's "
      "copies would replace (the policy, the log, an output)")
def _(t):
    """Hostile round 41a: an output, the log or --attest over a loaded plugin's code (F01);
    --context - < ctx.json --output ctx.json (F07); --save-evidence copying evidence over the
    policy, the log, or DIR/context.json being the log (F03)."""
    t.write("pol/p.lua", 'requirement "a" { title = "a", check = function() return pass("ok") end }\n')
    plugins = Path(t.tmp, "plug")
    plugins.mkdir()
    shutil.copy(cihelp.harness.RELGATE.parent / "plugins" / "ci" / "relgate-ci.so", plugins / "relgate-ci.so")
    code = (plugins / "relgate-ci.so").read_bytes()
    t.write_json("c.json", {"release": {"name": "app", "version": "1.0.0", "type": "patch"}})
    for how in (("--output", "plug/relgate-ci.so"), ("--format", "json=plug/relgate-ci.so"),
                ("--log", "plug/relgate-ci.so")):
        res = t.run("eval", "--policy", "pol/p.lua", "--context", "c.json", "--plugin-path", "plug", *how)
        t.expect_error(res, "usage", mentions=["would be written over"])
        t.write("b.jsonl", json.dumps({"release": {"name": "app", "version": "1.0.0", "type": "patch"}}) + "\n")
    res = t.run("eval", "--policy", "pol/p.lua", "--batch", "b.jsonl", "--plugin-path", "plug", "--log",
                "plug/relgate-ci.so")
    t.expect_exit(res, 2)
    t.contains(res.err, "would be written over", "batch --log over a plugin")
    t.eq((plugins / "relgate-ci.so").read_bytes(), code, "the plugin's code")
    context = Path(t.tmp, "c.json").read_bytes()
    for how in (("--output", "c.json"), ("--format", "json=c.json"), ("--log", "c.json")):
        res = t.run("eval", "--policy", "pol/p.lua", "--context", "-", *how, stdin_from="c.json")
        t.expect_exit(res, 2)
        t.eq(Path(t.tmp, "c.json").read_bytes(), context, "the context read from standard input (%s)" % (how,))
    res = t.run("eval", "--policy", "pol/p.lua", "--context", "-", "--output", "out.json", stdin=context)
    t.expect_exit(res, 0)   # the control: a pipe, and another file
    # --save-evidence: evidence named like the policy, the log, an output
    t.write("ctx/p.lua", 'requirement "a" { title = "a", check = function() return pass("anything") end }\n')
    t.write("ctx/log.jsonl", "evidence\n")
    t.write_json("ctx/c.json", {"release": {"name": "app", "version": "1.0.0", "type": "patch"},
                                "evidence": {"notes": "p.lua", "log": "log.jsonl"}})
    policy = Path(t.tmp, "pol/p.lua").read_bytes()
    for save, extra in (("pol", ()), ("out", ("--log", "out/log.jsonl")), ("out2", ("--output", "out2/p.lua")),
                        ("sv", ("--log", "sv/context.json"))):
        Path(t.tmp, save).mkdir(exist_ok=True)
        if extra and extra[0] == "--log":
            t.expect_exit(t.run("eval", "--policy", "pol/p.lua", "--context", "c.json", *extra), 0)
        kept = {p: p.read_bytes() for p in Path(t.tmp, save).iterdir()}
        res = t.run("eval", "--policy", "pol/p.lua", "--context", "ctx/c.json", "--save-evidence", save, *extra)
        t.expect_error(res, "usage", mentions=["would be written over"])
        t.eq({p: p.read_bytes() for p in Path(t.tmp, save).iterdir()}, kept, "%s after --save-evidence" % save)
    t.eq(Path(t.tmp, "pol/p.lua").read_bytes(), policy, "the policy")
    res = t.run("eval", "--policy", "pol/p.lua", "--context", "ctx/c.json", "--save-evidence", "saved")
    t.expect_exit(res, 0)   # the control: a directory of its own
    t.eq(Path(t.tmp, "saved/p.lua").read_bytes(), Path(t.tmp, "ctx/p.lua").read_bytes(), "the evidence saved")


@case("outputs: relgate render never writes over the decision it renders; a report never over relgate.lock nor a "
      "directory bundle's files")
def _(t):
    # Hostile round 36, F03, F04.
    t.expect_exit(evaluate(t, ALLOW, "--output", "decision.json"), 0)
    decision = Path(t.tmp, "decision.json").read_bytes()
    for out in ("decision.json", "./decision.json"):
        res = t.run("render", "--format", "markdown=" + out, "decision.json")
        t.expect_exit(res, 2)
        t.contains(res.err, "would be written over", "render over its decision")
    t.eq(Path(t.tmp, "decision.json").read_bytes(), decision, "the decision")
    t.write("team/octo/base.lua", 'requirement "base" { title = "base", check = function() return pass("ok") end }\n')
    t.expect_exit(t.run("bundle", "build", "team/octo", "--name", "octo", "--version", "1.0", "--entry", "base.lua"), 0)
    t.expect_exit(t.run("bundle", "lock", "--lock", "team/relgate.lock", "team/octo"), 0)
    t.write("team/gate.lua", 'extends "octo"\nrequirement "x" { title = "x", check = function() return fail("no") end }\n')
    t.write_json("plain.json", {"release": {"name": "app", "version": "1.0.0", "type": "patch"}})
    kept = {p: Path(t.tmp, p).read_bytes() for p in ("team/relgate.lock", "team/octo/bundle.json", "team/octo/base.lua")}
    t.expect_exit(t.run("eval", "--policy", "team/gate.lua", "--context", "plain.json"), 1)
    for out in kept:
        res = t.run("eval", "--policy", "team/gate.lua", "--context", "plain.json", "--format", "markdown=" + out)
        t.expect_error(res, "usage", mentions=["would be written over"])
    t.eq({p: Path(t.tmp, p).read_bytes() for p in kept}, kept, "the lock and the bundle")




@case("outputs: over a store's files by any name -- a SQLite log as sqlite:PATH, its journal and WAL, a JSON-lines "
      "log's head, a log RELGATE_LOG names -- a usage error; the store stays whole; import into itself refused")
def _(t):
    # Hostile rounds 33 (F04) and 33b (F04): the log compared as a path, so sqlite:d.db
    # never matched d.db (the decision written over the database, exit 0), the head not
    # at all, and RELGATE_LOG read after the check.
    t.expect_exit(evaluate(t, ALLOW, "--log", "sqlite:d.db"), 0)
    t.expect_exit(evaluate(t, ALLOW, "--log", "gate.jsonl"), 0)
    stores = {name: Path(t.tmp, name).read_bytes() for name in ("d.db", "gate.jsonl", "gate.jsonl.head")}
    cases = [(("--log", "sqlite:d.db"), out) for out in ("d.db", "./d.db", "d.db-wal", "d.db-shm", "d.db-journal",
                                                         "../%s/d.db" % t.tmp.name)]
    cases += [(("--log", "sqlite:d.db", "--format", "junit=d.db"), None),
              (("--log", "gate.jsonl"), "gate.jsonl.head"), (("--log", "./gate.jsonl"), "gate.jsonl.head")]
    for args, out in cases:
        res = evaluate(t, ALLOW, *args, *(("--output", out) if out else ()))
        t.expect_error(res, "usage", mentions=["would be written over"])
    res = evaluate(t, ALLOW, "--output", "gate.jsonl.head", env={"RELGATE_LOG": "gate.jsonl"})
    t.expect_error(res, "usage", mentions=["would be written over"])
    res = evaluate(t, ALLOW, "--output", "d.db", env={"RELGATE_LOG": "sqlite:d.db"})
    t.expect_error(res, "usage", mentions=["would be written over"])
    res = t.run("history", "import", "--log", "sqlite:d.db", "sqlite:./d.db")
    t.expect_exit(res, 2)
    t.contains(res.err, "into itself", "history import's refusal")
    for name, data in stores.items():
        t.eq(Path(t.tmp, name).read_bytes(), data, name + " after every refusal")
    for url in ("sqlite:d.db", "gate.jsonl"):
        t.expect_exit(t.run("history", "verify", "--log", url), 0)
    t.expect_exit(evaluate(t, ALLOW, "--log", "sqlite:d.db", "--output", "d.db.json"), 0)   # a name of its own


if __name__ == "__main__":
    cihelp.main()
