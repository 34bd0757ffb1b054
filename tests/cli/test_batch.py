#!/usr/bin/env python3
"""eval --batch: worker processes, input order, reused plugin results, and failures.

A batch runs in --jobs worker processes (one per CPU by default) that the parent feeds
chunks of lines and reads back in input order.  These cases hold the output of several
workers to the output of one, kill a worker mid-batch, and check that a plugin result
reused across lines keeps each line's own details.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from pathlib import Path
import sys
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import NOW, case, main
import harness

SARIF = {
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "runs": [{
        "tool": {"driver": {"name": "scanner", "rules": [
            {"id": "R1", "properties": {"security-severity": "8.1"}}]}},
        "results": [{"ruleId": "R1", "level": "error", "message": {"text": "a high finding"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.c"},
                                                         "region": {"startLine": 3}}}]}],
    }],
}

POLICY = """
policy { name = "batch-test", version = "1.0.0" }

requirement "scan" {
  title = "No high findings",
  level = "waivable",
  check = "security.scan",
  with  = { reports = evidence "scan", format = "sarif", fail_on = "high" },
}

requirement "named" {
  title = "The service has a name",
  check = function(ctx)
    if ctx.release.name == "deny-me" then return fail("told to deny") end
    -- Some work, so a batch takes long enough to be interrupted.
    local n = 0
    for i = 1, (ctx.release.spin or 0) do n = n + i end
    return pass("named " .. ctx.release.name, { spun = n })
  end,
}
"""

WAIVER = {"requirement": "scan", "reason": "fixed in the next release", "approver": "bob",
          "ticket": "SEC-1", "expires": "2030-01-01T00:00:00Z"}


def context(i, name=None, waived=False, spin=0):
    release = {"name": name or "svc-%d" % i, "version": "1.%d.0" % i, "previous_version": "1.0.0",
               "type": "minor", "spin": spin, "author": "dana"}  # a waiver needs an author to tell bob from
    doc = {"release": release, "stage": "pre-release", "evidence": {"scan": "scan.sarif"}}
    if waived:
        doc["waivers"] = [WAIVER]
    return json.dumps(doc)


def setup(t, lines):
    t.write("policy.lua", POLICY)
    t.write_json("scan.sarif", SARIF)
    t.write("batch.jsonl", "\n".join(lines) + "\n")


def run_batch(t, *extra, **kw):
    return t.run("eval", "--policy", "policy.lua", "--now", NOW, "--batch", "batch.jsonl", *extra, **kw)


def lines_of(res):
    return [json.loads(l) for l in res.stdout.decode().splitlines()]


def without_durations(data):
    return re.sub(rb'"duration_ms":[0-9.eE+-]+', b'"duration_ms":0', data)


def mixed_batch(n):
    """N lines: mostly allow-with-waiver or deny, some denied by the Lua check, some not JSON."""
    out = []
    for i in range(1, n + 1):
        if i % 17 == 0:
            out.append("{not json")
        elif i % 13 == 0:
            out.append(context(i, name="deny-me", waived=True))
        else:
            out.append(context(i, waived=i % 2 == 0))
    return out


@case("--jobs 1, 2 and 4 write the same lines in input order, with the same exit code")
def _(t):
    setup(t, mixed_batch(300))   # several chunks per worker
    outs = {}
    for jobs in ("1", "2", "4"):
        res = run_batch(t, "--jobs", jobs)
        t.expect_exit(res, 2)   # the worst line: the ones that are not JSON
        outs[jobs] = res
    t.eq(without_durations(outs["2"].stdout), without_durations(outs["1"].stdout), "-j 2 against -j 1")
    t.eq(without_durations(outs["4"].stdout), without_durations(outs["1"].stdout), "-j 4 against -j 1")
    docs = lines_of(outs["2"])
    t.eq(len(docs), 300, "one line per context")
    for i, doc in enumerate(docs, 1):
        if i % 17 == 0:
            t.eq((doc["decision"], doc["error"]["line"]), ("error", i), "line %d: its error, naming it" % i)
        else:
            name = "deny-me" if i % 13 == 0 else "svc-%d" % i
            t.eq(doc["release"]["name"], name, "line %d in its place" % i)
    # Errors on stderr name their lines whichever worker met them.
    for i in range(17, 301, 17):
        t.contains(outs["2"].stderr.decode(), "batch.jsonl:%d:" % i, "stderr names line %d" % i)


# A check that tries to leave state for the next line: through a module table, a table in
# a global, and a variable (upvalue), each attempt inside pcall so that an error there
# alone would not stop it.  The "first" line tries; every line passes only if nothing was
# left: each line's decision must be the one `eval --context` gives it alone.
STATEFUL_POLICY = """
policy { name = "stateful" }
local M = require "lib.state"
SEEN = { lines = 0 }
local seen_first = false

requirement "module" { title = "Module table", check = function(ctx)
  if ctx.release.name == "first" then pcall(function() M.first = true end) end
  if M.first then return fail("an earlier check left M.first") end
  return pass("clean")
end }

requirement "global" { title = "Global table", check = function(ctx)
  if ctx.release.name == "first" then pcall(function() SEEN.lines = SEEN.lines + 1 end) end
  if SEEN.lines > 0 then return fail("an earlier check counted a line") end
  return pass("clean")
end }

requirement "upvalue" { title = "Upvalue", check = function(ctx)
  if seen_first then return fail("an earlier check set seen_first") end
  if ctx.release.name == "first" then pcall(function() seen_first = true end) end
  return pass("clean")
end }
"""


@case("a check cannot leave state for a later line: each line is decided as it is alone (-j 1 and 2)")
def _(t):
    t.write("policy.lua", STATEFUL_POLICY)
    t.write("lib/state.lua", "return { first = false }\n")
    names = ["first", "second", "third", "first", "fourth"]
    lines = [json.dumps({"release": {"name": n, "version": "1.0.0", "type": "minor"}}) for n in names]
    t.write("batch.jsonl", "\n".join(lines) + "\n")
    singles = []
    for i, line in enumerate(lines):
        t.write("one-%d.json" % i, line)
        res = t.eval("policy.lua", "one-%d.json" % i, "--format", "json")
        singles.append(res)
    # Alone: the "first" line is an error (it changed a variable), the others pass.
    for i, n in enumerate(names):
        doc = json.loads(singles[i].stdout)
        if n == "first":
            t.eq(doc["decision"], "error", "line %d alone" % (i + 1))
            t.contains(doc["error"]["message"], "a check changed 'seen_first'", "line %d alone" % (i + 1))
        else:
            t.eq(doc["decision"], "allow", "line %d alone" % (i + 1))
    for jobs in ("1", "2"):
        res = run_batch(t, "--jobs", jobs)
        docs = lines_of(res)
        t.eq(len(docs), len(lines), "-j %s: one decision per line" % jobs)
        for i, doc in enumerate(docs):
            alone = json.loads(singles[i].stdout)
            t.eq(doc["decision"], alone["decision"], "-j %s, line %d: decision as alone" % (jobs, i + 1))
            if doc["decision"] != "error":
                t.eq([(r["id"], r["status"], r["message"]) for r in doc["requirements"]],
                     [(r["id"], r["status"], r["message"]) for r in alone["requirements"]],
                     "-j %s, line %d: results as alone" % (jobs, i + 1))


NOTES_POLICY = """
policy { name = "notes", version = "1.0.0" }
requirement "notes" {
  title = "The release notes say APPROVED",
  check = function(ctx)
    local text, why = evidence.read("notes")
    if not text then return fail(why) end
    if text:find("APPROVED", 1, true) then return pass("approved") end
    return fail("not approved")
  end,
}
"""


def rewrite_keeping_size_and_time(path, text):
    """Write TEXT into PATH in place (same inode) and set its times back: what `cp -p`,
    `tar x` of a reproducible archive or `rsync -t` do.  Only the change time moves."""
    before = os.stat(path)
    with open(path, "r+b") as f:
        f.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)


def line_then_line(t, line, between, *extra, log_name="log.jsonl"):
    """Feed LINE to `relgate eval --batch -` (with EXTRA), wait until its decision is in
    the decision log (written as each line is decided; standard output only at the end),
    run BETWEEN(), then feed LINE again.  The two decisions and the exit code."""
    log = Path(t.tmp, log_name)
    proc = subprocess.Popen([harness.RELGATE, "eval", "--policy", "policy.lua", "--log", log, *extra,
                             "--batch", "-"], cwd=t.tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(line.encode())
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not (log.exists() and log.read_bytes().count(b"\n") >= 1) and time.monotonic() < deadline:
            time.sleep(0.02)
        between()
        out, _ = proc.communicate(line.encode(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    first, second = [json.loads(l) for l in out.decode().splitlines()]
    return first, second, proc.returncode


BLOCKER_POLICY = """\
policy { name = "notes", version = "1.0.0" }
requirement "no-blocker" { title = "No BLOCKER in the notes", check = function(ctx)
  local text, why = evidence.read("notes")
  if not text then return skip("no notes: " .. tostring(why)) end
  if text:find("BLOCKER", 1, true) then return fail("a BLOCKER is listed") end
  return pass("no BLOCKER") end }
"""


@case("a link that appears, or is pointed elsewhere, between lines is followed as a context alone would: out of the "
      "evidence root it stops the gate (differential round 16, F03, D1)")
def _(t):
    t.write("policy.lua", BLOCKER_POLICY)
    t.write("ev/good.md", "# notes\nall good\n")
    t.write("ev/bad.md", "# notes\nBLOCKER: data loss\n")
    t.write("outside/notes.md", "# notes\nBLOCKER: data loss\n")
    line = json.dumps({"release": {"name": "a", "version": "1.0.0", "type": "minor"},
                       "evidence": {"notes": "ev/notes.md"}}) + "\n"
    notes = Path(t.tmp, "ev", "notes.md")

    def relink(target):
        def swap():
            Path(t.tmp, "ev", "link.tmp").symlink_to(target)
            os.replace(Path(t.tmp, "ev", "link.tmp"), notes)
        return swap
    run = ("--now", NOW, "--evidence-root", Path(t.tmp, "ev"))   # absolute: remembered for the run
    # a file replaced by a link out of the root: the later line is an evidence error
    shutil.copy(Path(t.tmp, "ev", "good.md"), notes)
    first, second, rc = line_then_line(t, line, relink(Path(t.tmp, "outside", "notes.md")), *run, log_name="l1.jsonl")
    t.eq((first["decision"], second["decision"], rc), ("allow", "error", 2), "a link out of the root appeared")
    t.eq(second["error"]["kind"], "evidence", "the later line's error kind")
    # ... and by a link into the root: the later line reads where it leads
    notes.unlink()
    shutil.copy(Path(t.tmp, "ev", "good.md"), notes)
    first, second, rc = line_then_line(t, line, relink("bad.md"), *run, log_name="l2.jsonl")
    t.eq((first["decision"], second["decision"]), ("allow", "deny"), "a link into the root appeared")
    # a link pointed at another file between lines: followed where it now leads
    notes.unlink()
    notes.symlink_to("good.md")
    first, second, rc = line_then_line(t, line, relink("bad.md"), *run, log_name="l3.jsonl")
    t.eq((first["decision"], second["decision"]), ("allow", "deny"), "a link retargeted")
    # evidence.exists and evidence.path look afresh too (hostile round 17, F04)
    t.write("policy.lua", 'policy { name = "present", version = "1.0.0" }\n'
            'requirement "notes" { title = "N", check = function(ctx)\n'
            '  if evidence.exists("notes") then return pass("at " .. evidence.path("notes")) end\n'
            '  return skip("no notes") end }\n')
    notes.unlink()
    shutil.copy(Path(t.tmp, "ev", "good.md"), notes)
    first, second, rc = line_then_line(t, line, relink(Path(t.tmp, "outside", "notes.md")), *run, log_name="l4.jsonl")
    t.eq((first["decision"], second["decision"], rc), ("allow", "error", 2), "evidence.exists: a link out appeared")
    # the evidence root itself swapped for a link out of it (hostile round 18, F03)
    notes.unlink()
    shutil.copy(Path(t.tmp, "ev", "good.md"), notes)

    def swap_root():
        os.rename(Path(t.tmp, "ev"), Path(t.tmp, "ev.real"))
        Path(t.tmp, "ev").symlink_to(Path(t.tmp, "outside"))
    first, second, rc = line_then_line(t, line, swap_root, *run, log_name="l5.jsonl")
    t.eq((first["decision"], second["decision"], rc), ("allow", "error", 2), "the evidence root swapped for a link")
    Path(t.tmp, "ev").unlink()
    os.rename(Path(t.tmp, "ev.real"), Path(t.tmp, "ev"))
    t.write("policy.lua", BLOCKER_POLICY)
    notes.unlink()
    notes.symlink_to("bad.md")
    t.write("c.json", line)
    res = t.run("eval", "--policy", "policy.lua", "--context", "c.json", *run)
    t.eq(json.loads(res.out)["decision"], "deny", "the same context alone")


@case("evidence rewritten in place between lines, same size and times set back: the later line reads it anew")
def _(t):
    t.write("policy.lua", NOTES_POLICY)
    line = json.dumps({"release": {"name": "svc", "version": "1.0.0", "type": "patch"},
                       "evidence": {"notes": "notes.txt"}}) + "\n"
    notes = Path(t.tmp, "notes.txt")
    for settled in (False, True):
        notes.write_bytes(b"status: APPROVED\n")
        if settled:
            time.sleep(3.5)   # older than the settle time: kept on its identity alone
        first, second, rc = line_then_line(
            t, line, lambda: rewrite_keeping_size_and_time(notes, b"status: REJECTED\n"), "--now", NOW,
            log_name="log-%d.jsonl" % settled)
        what = "settled file" if settled else "file just written"
        t.eq(first["decision"], "allow", "%s: line 1 (notes APPROVED)" % what)
        t.eq(second["decision"], "deny", "%s: line 2 (notes rewritten: REJECTED)" % what)
        t.eq(second["requirements"][0]["message"], "not approved", "%s: line 2 read the new text" % what)
        t.eq(rc, 1, "%s: exit code (a line denied)" % what)


@case("without --now each line is decided at its own time: a waiver that expired since the batch began no longer applies")
def _(t):
    t.write("policy.lua", 'policy { name = "clock", version = "1.0.0" }\n'
            'requirement "docs" { title = "docs", level = "waivable", check = function(ctx) return fail("no docs") end }\n')
    expires = int(time.time()) + 3
    waiver = {"requirement": "docs", "reason": "later", "approver": "bob", "ticket": "T-1",
              "expires": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))}
    line = json.dumps({"release": {"name": "svc", "version": "1.0.0", "type": "patch", "author": "alice"},
                       "waivers": [waiver]}) + "\n"
    def until_expired():
        while time.time() < expires + 1.2:   # the waiver has expired before line 2 is sent
            time.sleep(0.1)
    first, second, rc = line_then_line(t, line, until_expired)
    t.eq((first["decision"], first["waivers"][0]["status"]), ("allow", "applied"), "line 1: before the expiry")
    t.eq((second["decision"], second["waivers"][0]["status"]), ("deny", "expired"), "line 2: after the expiry")
    t.check(second["evaluated_at"] > first["evaluated_at"], "each line's evaluated_at is its own: %s, %s"
            % (first["evaluated_at"], second["evaluated_at"]))
    t.eq(rc, 1, "exit code (a line denied)")


HIDDEN_STATE_POLICY = """
policy { name = "hidden-state", version = "1.0.0" }
requirement "r" {
  title = "r",
  check = function(ctx)
    if ctx.release.name == "leaver" then
      -- Seed the generator, note its first draw, and seed it again: a later line drawing
      -- that number would have learnt it from this one.  Burn CPU for os.clock to show.
      math.randomseed(42)
      local first = math.random(1, 2147483647)
      math.randomseed(42)
      local t = os.clock()
      while os.clock() - t < 0.3 do end
      return pass("leaver", { first = first })
    end
    return pass("finder", { draw = math.random(1, 2147483647), clock = os.clock() })
  end,
}
"""


@case("math.random and os.clock carry nothing from one line to the next (-j 1)")
def _(t):
    t.write("policy.lua", HIDDEN_STATE_POLICY)
    lines = [json.dumps({"release": {"name": n, "version": "1.0.0", "type": "patch"}}) for n in ("leaver", "finder")]
    t.write("batch.jsonl", "\n".join(lines) + "\n")
    res = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--jobs", "1", "--details", "all",
                "--batch", "batch.jsonl")
    leaver, finder = lines_of(res)
    first = leaver["requirements"][0]["details"]["first"]
    got = finder["requirements"][0]["details"]
    t.check(got["draw"] != first, "the next line's draw is not the seed the earlier line chose (%s)" % first)
    t.check(got["clock"] < 0.25, "os.clock counts the line's own CPU time, not the 0.3 s before: %s" % got["clock"])


@case("without --now, a memo() result that read the clock is not carried into a later line's time")
def _(t):
    t.write("policy.lua", 'policy { name = "memo-clock", version = "1.0.0" }\n'
            'local clock_then = memo(function(k) return time.now() end)\n'
            'requirement "r" { title = "r", check = function(ctx)\n'
            '  return pass("ok", { memo = clock_then("k"), now = time.now() }) end }\n')
    line = json.dumps({"release": {"name": "svc", "version": "1.0.0", "type": "patch"}}) + "\n"
    docs = line_then_line(t, line, lambda: time.sleep(1.2), "--details", "all")[:2]   # a second apart
    details = [d["requirements"][0]["details"] for d in docs]
    t.check(details[1]["now"] > details[0]["now"], "the lines were decided at different times: %s" % details)
    for i, d in enumerate(details):
        t.eq(d["memo"], d["now"], "line %d: the memoized clock is its own" % (i + 1))


@case("a memo() result found for an earlier line is charged to a later line's instruction budget as when it ran "
      "(differential round 16, F01)")
def _(t):
    t.write("policy.lua", 'policy { name = "memo-budget", version = "1.0.0" }\n'
            'local heavy = memo(function(name) local n = 0; for i = 1, 30000 do n = n + i % 7 end; return n end)\n'
            'requirement "work" { title = "w", check = function(ctx)\n'
            '  local a = heavy(ctx.release.name)\n'
            '  local n = 0; for i = 1, 30000 do n = n + i % 7 end\n'
            '  if a == n then return pass("ok") end; return fail("no") end }\n')
    line = json.dumps({"release": {"name": "svc", "version": "1.0.0", "type": "patch"}})
    t.write("c.json", line)
    t.write("batch.jsonl", line + "\n" + line + "\n")
    for limit, verdict in (("150000", "error"), ("1000000", "allow")):
        alone = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--context", "c.json", "--max-instructions", limit)
        t.eq(json.loads(alone.out)["decision"], verdict, "alone, under %s instructions" % limit)
        for jobs in ("1", "2"):
            res = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--jobs", jobs, "--max-instructions", limit,
                        "--batch", "batch.jsonl")
            t.eq([d["decision"] for d in lines_of(res)], [verdict, verdict], "both lines, -j %s, %s instructions"
                 % (jobs, limit))
    # A small memoized computation found many times is charged alike, whatever the phase of
    # the count where an earlier line computed it (hostile round 18, F04: 1,000 or 0 a call).
    t.write("phase.lua", 'policy { name = "memo-phase", version = "1.0.0" }\n'
            'local f = memo(function(k) local s = 0; for i = 1, 440 do s = s + i end; return s end)\n'
            'requirement "work" { title = "w", check = function(ctx)\n'
            '  local x = 0; for i = 1, ctx.pad do x = x + 1 end\n'
            '  local s = 0; for i = 1, ctx.calls do s = s + f(1) end; return pass("done") end }\n')
    warm = {"release": {"name": "svc", "version": "0.9.0", "type": "patch"}, "pad": 0, "calls": 1}
    test = {"release": {"name": "svc", "version": "1.0.0", "type": "patch"}, "pad": 100, "calls": 20000}
    t.write("test.json", json.dumps(test))
    t.write("phase.jsonl", json.dumps(warm) + "\n" + json.dumps(test) + "\n")
    alone = t.run("eval", "--policy", "phase.lua", "--now", NOW, "--context", "test.json", "--max-instructions", "5000000")
    alone = json.loads(alone.out)["decision"]
    for jobs in ("1", "2"):
        res = t.run("eval", "--policy", "phase.lua", "--now", NOW, "--jobs", jobs, "--max-instructions", "5000000",
                    "--batch", "phase.jsonl")
        t.eq([d["decision"] for d in lines_of(res)], ["allow", alone], "after a line that computed it, -j " + jobs)
    # A loop that calls a memo often is counted all the same (hostile round 17, F03: the
    # count restarted at every memoized call, and the loop ran until the watchdog).
    t.write("spin.lua", 'policy { name = "memo-spin", version = "1.0.0" }\n'
            'local tiny = memo(function(x) return x end)\n'
            'requirement "spin" { title = "s", check = function(ctx)\n'
            '  while ctx.release.name ~= "" do for i = 1, 100 do end; tiny(1) end; return pass("done") end }\n')
    res = t.run("eval", "--policy", "spin.lua", "--now", NOW, "--context", "c.json", "--max-instructions", "1000000",
                "--timeout", "30")
    t.expect_exit(res, 2)
    t.contains(json.loads(res.out)["error"]["message"], "limit of 1000000 instructions", "the spin's error")


@case("a reused plugin result keeps each line's details: a waiver on one line does not show on the next")
def _(t):
    setup(t, [context(1, waived=True), context(2), context(3, waived=True), context(4)])
    for jobs in ("1", "2"):
        res = run_batch(t, "--jobs", jobs)
        t.expect_exit(res, 1)
        docs = lines_of(res)
        scans = [next(r for r in d["requirements"] if r["id"] == "scan") for d in docs]
        t.eq([s["status"] for s in scans], ["waived", "fail", "waived", "fail"], "-j %s: statuses" % jobs)
        t.eq(["waiver" in s["details"] for s in scans], [True, False, True, False],
             "-j %s: only the waived lines' details carry the waiver" % jobs)
        t.eq(scans[1]["details"]["counts"]["high"], 1, "the reused details are whole")
        t.eq([d["decision"] for d in docs], ["allow", "deny", "allow", "deny"], "-j %s: decisions" % jobs)


@case("an error before any line (a store that cannot be opened, a bad option): one JSON line on stdout, exit 2")
def _(t):
    setup(t, [context(1)])
    for extra, kind in ((["--log", "no-such-dir/log.jsonl"], "io"), (["--stage", "bogus"], "usage"),
                        (["--log", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"], "io")):
        res = run_batch(t, *extra)
        t.expect_exit(res, 2)
        lines = res.stdout.decode().splitlines()
        t.eq(len(lines), 1, "%s: lines on stdout" % extra[0])
        doc = json.loads(lines[0])   # every line a batch writes is a JSON document
        t.eq((doc["decision"], doc["error"]["kind"]), ("error", kind), "%s: the error line" % extra[0])


@case("--output with workers: the file holds every line in order, written once at the end")
def _(t):
    setup(t, mixed_batch(150))
    res = run_batch(t, "--jobs", "2", "--output", "out.jsonl")
    t.expect_exit(res, 2)
    t.eq(res.stdout, b"", "nothing on stdout")
    one = run_batch(t, "--jobs", "1")
    t.eq(without_durations((t.tmp / "out.jsonl").read_bytes()), without_durations(one.stdout),
         "the file against a one-process run")


BIG_DETAILS_POLICY = """
requirement "big" {
  title = "details of about 20 KB (a scanner's findings, say)",
  level = "advisory",
  check = function(ctx) return pass("ok", { blob = string.rep("a", 20000) }) end,
}
"""


@case("a line longer than a worker's pipe, sent while that worker writes more output than its pipe holds: "
      "no hang, every line in order (hostile round 24, F02)")
def _(t):
    """The parent wrote a worker's second chunk at once when it was read: a 1.5 MB line
    made it longer than the pipe, while the worker, its first chunk's 2.5 MB of decisions
    filling the pipe back, waited for the parent to read them.  Both waited for ever."""
    t.write("policy.lua", BIG_DETAILS_POLICY)
    small = json.dumps({"release": {"name": "s", "version": "1.0.0", "type": "minor"}})
    big = json.dumps({"release": {"name": "b", "version": "1.0.0", "type": "minor"}, "pad": "x" * 1500000})
    lines = [small] * 128 + [big] + [small] * 10 + [big, big] + [small] * 70 + [big]
    t.write("batch.jsonl", "\n".join(lines) + "\n")
    one = run_batch(t, "--jobs", "1")
    t.expect_exit(one, 0)
    for jobs in ("2", "3"):
        res = run_batch(t, "--jobs", jobs, timeout=60)
        t.expect_exit(res, 0)
        t.eq(len(lines_of(res)), len(lines), "-j %s: one line per context" % jobs)
        t.eq(without_durations(res.stdout), without_durations(one.stdout), "-j %s against -j 1" % jobs)


@case("a worker killed mid-batch: its lines become error decisions naming them, the others stand, exit 2")
def _(t):
    # Each line spins a little, so the batch is still running when a worker is killed.
    setup(t, [context(i, spin=300000) for i in range(1, 401)])
    env = dict(os.environ)
    proc = subprocess.Popen([harness.RELGATE, "eval", "--policy", "policy.lua", "--now", NOW, "--batch",
                             "batch.jsonl", "--jobs", "2"], cwd=t.tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    victim = None
    deadline = time.time() + 20
    while victim is None and time.time() < deadline and proc.poll() is None:
        try:
            with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        if len(kids) >= 2:
            time.sleep(0.3)   # let some lines through first
            for kid in kids:
                try:
                    os.kill(kid, signal.SIGKILL)
                    victim = kid
                    break
                except ProcessLookupError:
                    continue  # it ended meanwhile: the next one
        else:
            time.sleep(0.01)
    out, err = proc.communicate(timeout=120)
    # 400 lines that spin take seconds: ending before a worker could be killed is a
    # failure (nothing was tested), not a skip.
    t.check(victim is not None, "the batch ended before a worker could be killed")
    t.eq(proc.returncode, 2, "exit code")
    docs = [json.loads(l) for l in out.decode().splitlines()]
    t.eq(len(docs), 400, "one line per context, none lost or cut")
    lost = [i for i, d in enumerate(docs, 1) if d["decision"] == "error"]
    t.check(lost, "some lines were lost with the worker")
    for i in lost:
        e = docs[i - 1]["error"]
        t.eq(e["line"], i, "a lost line's error names it")
        t.contains(e["message"], "not evaluated: its batch worker was killed by signal 9", "why line %d" % i)
    for i, d in enumerate(docs, 1):
        if i not in lost:
            t.eq((d["decision"], d["release"]["name"]), ("deny", "svc-%d" % i), "line %d stands" % i)
    t.contains(err.decode(), "killed by signal 9", "stderr says what happened")


@case("--log keeps a batch in one process: the log follows the input order")
def _(t):
    setup(t, mixed_batch(100))
    res = run_batch(t, "--jobs", "2", "--log", "decisions.jsonl")
    t.expect_exit(res, 2)
    logged = (t.tmp / "decisions.jsonl").read_bytes().splitlines()
    printed = res.stdout.splitlines()
    t.eq(len(logged), len(printed), "records in the log vs lines on stdout")
    for n, (record, line) in enumerate(zip(logged, printed), 1):
        # Each record is the printed line, byte for byte, with its chain (seq n) appended.
        t.check(record.startswith(line[:-1] + b',"chain":{"seq":%d,"prev":"' % n),
                "record %d is not stdout's line %d with its chain" % (n, n), actual=record[-200:])


@case("a batch reading a different evidence file on every line stays within the policy's memory limit")
def _(t):
    # Every line's file is read and kept for reuse; the kept files must not add up
    # across the batch (400 x 8 KB against a 1 MiB policy heap).
    t.write("policy.lua", """
policy { name = "reads", version = "1.0.0" }
requirement "notes" {
  title = "The notes are there",
  check = function(ctx)
    local text = evidence.read("notes")
    if not text then return fail("no notes") end
    return pass(#text .. " bytes")
  end,
}
""")
    lines = []
    for i in range(1, 401):
        t.write("notes/%d.md" % i, ("line %d\n" % i) * 1000)
        lines.append(json.dumps({"release": {"name": "svc", "version": "1.0.%d" % i, "type": "patch"},
                                 "evidence": {"notes": "notes/%d.md" % i}}))
    t.write("batch.jsonl", "\n".join(lines) + "\n")
    res = run_batch(t, "--jobs", "1", "--max-memory", "1M")
    t.expect_exit(res, 0)
    docs = lines_of(res)
    t.eq([d["decision"] for d in docs], ["allow"] * 400, "every line allowed, none out of memory")


@case("standard output that cannot be written mid-batch: exit 2 and a message, never 0")
def _(t):
    if not os.path.exists("/dev/full"):
        t.skip("no /dev/full on this machine")
    setup(t, [context(i) for i in range(1, 3001)])   # more than one 64 KiB flush
    for jobs in ("1", "2"):
        res = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--batch", "batch.jsonl",
                    "--jobs", jobs, stdout_to="/dev/full")
        t.eq(res.rc, 2, "-j %s: exit code" % jobs)
        t.contains(res.stderr.decode(), "cannot write the decisions to standard output", "-j %s: stderr" % jobs)
    # With a log, the log says so after the decisions it holds (it held their allows
    # alone, hostile round 37c, F08).
    setup(t, [context(i) for i in range(1, 3)])
    res = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--batch", "batch.jsonl", "--log", "log.jsonl",
                stdout_to="/dev/full")
    t.eq(res.rc, 2, "with --log: exit code")
    last = json.loads((t.tmp / "log.jsonl").read_text().splitlines()[-1])
    t.eq(last["decision"], "error", "the log's last record")
    t.contains(last["error"]["message"], "cannot write the decisions to standard output", "its message")


WATCHDOG = """
policy { name = "slow", version = "1.0.0" }
requirement "slow-pattern" {
  title = "A pathological pattern",
  check = function(ctx)
    if ctx.release.name ~= "slow" then return pass("quick") end
    local s = string.rep("a", 40000)
    return pass(tostring(s:find(string.rep("a-", 8) .. "b")))
  end,
}
"""


@case("the watchdog in a batch (a policy stuck in a library call): errors stay one JSON line each, in order")
def _(t):
    lines = [context(1), context(2, name="slow"), context(3)]
    setup(t, lines)
    t.write("policy.lua", WATCHDOG)
    # One process: the watchdog ends the batch; the lines decided before it are written,
    # then its error, one line.
    res = run_batch(t, "--jobs", "1", "--timeout", "1", timeout=60)
    t.eq(res.rc, 2, "-j 1: exit code")
    docs = [json.loads(l) for l in res.stdout.decode().splitlines()]   # one JSON object a line
    t.eq([d["decision"] for d in docs], ["allow", "error"], "-j 1: line 1, then the error")
    t.contains(docs[1]["error"]["message"], "time limit", "-j 1: why")
    # Workers: the stuck worker ends; every line of its chunk becomes an error decision that
    # names its line and the time limit; nothing else reaches standard output.
    res = run_batch(t, "--jobs", "2", "--timeout", "1", timeout=60)
    t.eq(res.rc, 2, "-j 2: exit code")
    docs = [json.loads(l) for l in res.stdout.decode().splitlines()]
    t.eq([d["decision"] for d in docs], ["error"] * 3, "-j 2: the worker's three lines")
    t.eq([d["error"]["line"] for d in docs], [1, 2, 3], "-j 2: each names its line, in order")
    for d in docs:
        t.contains(d["error"]["message"], "time limit (--timeout)", "-j 2: why")


@case("a single decision never maps mimalloc (a batch opens it for its Lua states only)")
def _(t):
    setup(t, [context(1)])
    t.write_json("one.json", json.loads(context(1)))
    env = {"LD_DEBUG": "files"}
    single = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--context", "one.json", env=env)
    t.check(single.rc in (0, 1), "the single decision is one (exit %d)" % single.rc)
    t.check("file=libmimalloc" not in single.err, "the single decision's loader trace names no mimalloc")
    batch = run_batch(t, "--jobs", "1", env=env)
    t.eq(batch.rc, single.rc, "the batch's exit code is the single decision's")
    one, line = json.loads(single.stdout), lines_of(batch)[0]
    t.eq([(r["id"], r["status"], r["message"]) for r in line["requirements"]],
         [(r["id"], r["status"], r["message"]) for r in one["requirements"]], "the batch's results are the single decision's")


BUSY = """
policy { name = "busy", version = "1.0.0" }
requirement "busy" {
  title = "A few milliseconds of Lua",
  check = function(ctx)
    local n = 0
    for i = 1, 50000 do n = n + i end
    return pass("busy " .. n)
  end,
}
"""


@case("the watchdog's timer firing between lines and early inside one stops nothing (-j 1 and -j 2)")
def _(t):
    # The timer is armed lazily (cli/watchdog.c): with --timeout 0.5 it is set to expire
    # 1.5 s after the first evaluation and fires every ~1.5 s of a batch that takes
    # several, sometimes between lines, sometimes inside a line whose deadline is later.
    # Each time it must only look, arm again or stay idle: every line decided, exit 0.
    n = 5000
    setup(t, [context(i) for i in range(1, n + 1)])
    t.write("policy.lua", BUSY)
    for jobs in ("1", "2"):
        start = time.monotonic()
        res = run_batch(t, "--jobs", jobs, "--timeout", "0.5", timeout=300)
        elapsed = time.monotonic() - start
        t.eq(res.rc, 0, "-j %s: exit code (%.1f s): %s" % (jobs, elapsed, res.stderr.decode()[-300:]))
        docs = lines_of(res)
        t.eq(len(docs), n, "-j %s: every line decided" % jobs)
        t.eq({d["decision"] for d in docs}, {"allow"}, "-j %s: all allowed" % jobs)


FIXTURES = os.environ.get("RG_FIXTURES")   # set by tests/plugins/meson.build (batch-forge)

FORGE_POLICY = """
policy { name = "forge", version = "1.0.0" }
requirement "forge" {
  title = "A check that writes to every descriptor it inherited",
  check = "fixture.forge",
  with  = { mode = "%s" },
}
requirement "denied" {
  title = "Always fails",
  check = function(ctx) return fail("denied on purpose") end,
}
"""


def forge_setup(t, mode, count):
    plugins = t.tmp / "plugins"
    plugins.mkdir(mode=0o755)
    os.chmod(plugins, 0o755)
    dest = plugins / "fixture-forge.so"
    dest.write_bytes(open(os.path.join(FIXTURES, "fixture-forge.so"), "rb").read())
    os.chmod(dest, 0o755)
    t.write("policy.lua", FORGE_POLICY % mode)
    t.write("batch.jsonl", "".join(context(i) + "\n" for i in range(1, count + 1)))


@case("a check writing garbage, old records or lookalikes to every descriptor: never an allow, never a hang",
      skip=None if FIXTURES else "needs RG_FIXTURES (run by the plugins suite: batch-forge)")
def _(t):
    for mode in ("garbage", "old-record", "lookalike"):
        forge_setup(t, mode, 40)
        for jobs in ("2", "4"):
            res = t.run("eval", "--policy", "policy.lua", "--now", NOW, "--batch", "batch.jsonl",
                        "--plugin-path", "plugins", "--jobs", jobs, timeout=90)
            where = "%s, -j %s" % (mode, jobs)
            t.check(res.rc in (1, 2), "%s: exit code %d (a deny or an error, never 0)" % (where, res.rc))
            docs = lines_of(res)
            t.eq(len(docs), 40, "%s: one line per context" % where)
            for i, d in enumerate(docs, 1):
                t.check(d["decision"] in ("deny", "error"), "%s: line %d says %s" % (where, i, d["decision"]))
                t.check("forged" not in d, "%s: line %d is the forged record" % (where, i))
                if d["decision"] == "error":
                    t.eq(d["error"]["line"], i, "%s: an error line names its line" % where)
                else:
                    t.eq(d["release"]["name"], "svc-%d" % i, "%s: line %d in its place" % (where, i))
            if any(d["decision"] == "error" for d in docs):
                t.eq(res.rc, 2, "%s: error lines make the batch exit 2" % where)
        shutil.rmtree(t.tmp / "plugins")


@case("--jobs: 0 and 257 are refused, naming the option")
def _(t):
    setup(t, mixed_batch(3))
    for bad in ("0", "257", "two"):
        res = run_batch(t, "--jobs", bad)
        t.expect_error(res, "usage", mentions=["--jobs"])


ROLLBACK_POLICY = """
requirement "healthy" {
  title = "post-deploy verification", stages = { "post-deploy" }, level = "mandatory",
  check = function(ctx)
    if ctx.release.version == "1.4.0" then return fail("error rate up") end
    return pass("healthy")
  end,
}
"""


@case("--batch --log with --output: a post-deploy deny rolls back to the release an earlier line passed, as without "
      "--output (file and SQLite logs)")
def _(t):
    # Hostile round 33b, F03: with --output the records were held back to the end, so
    # 1.4.0 rolled back to 1.0.0, past the 1.3.0 the line before had passed.
    def ctx(version, previous):
        return json.dumps({"release": {"name": "app", "version": version, "previous_version": previous,
                                       "type": "minor"}, "stage": "post-deploy"})
    t.write("policy.lua", ROLLBACK_POLICY)
    t.write("seed.json", ctx("1.0.0", "0.9.0"))
    t.write("batch.jsonl", ctx("1.3.0", "1.0.0") + "\n" + ctx("1.4.0", "1.3.0") + "\n")
    for url in ("log.jsonl", "sqlite:log.db"):
        for output in ((), ("--output", "out.jsonl")):
            for name in ("log.jsonl", "log.jsonl.head", "log.db", "out.jsonl"):
                Path(t.tmp, name).unlink(missing_ok=True)
            t.expect_exit(t.run("eval", "--policy", "policy.lua", "--context", "seed.json", "--log", url,
                                "--now", "2025-06-01T00:00:00Z"), 0)
            res = t.run("eval", "--policy", "policy.lua", "--batch", "batch.jsonl", "--log", url,
                        "--now", "2025-06-02T00:00:00Z", *output)
            t.expect_exit(res, 1)
            text = Path(t.tmp, "out.jsonl").read_text() if output else res.stdout.decode()
            last = json.loads(text.splitlines()[1])
            targets = [a.get("target") for a in last.get("actions", []) if a.get("type") == "rollback"]
            t.eq(targets, ["1.3.0"], "1.4.0's rollback target, %s %s" % (url, " ".join(output)))
            res = t.run("history", "last-good", "--log", url, "--release", "app")
            t.eq(res.stdout.decode().strip(), "1.3.0", "history last-good afterwards")


if __name__ == "__main__":
    main()
