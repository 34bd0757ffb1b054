#!/usr/bin/env python3
"""Every resource limit, configurable and enforced, at its edge and just past it.

  policy memory        --max-memory        a table of 1 KiB strings sized under/over 1M
  policy instructions  --max-instructions  the loop's cost bisected here, then cost vs cost-1
  policy wall time     --timeout           a busy loop timed here, then a limit above/below it
  per-check time       timeout / --check-timeout   fixture plugin sleeping 0.5 s vs 2 and 0.3
  per-check memory     --check-memory      fixture plugin: oom, and evidence reads under/over
  context size         --max-context-size  exactly N bytes vs N+1 (file, stdin, batch line, waivers)
  evidence size        --max-evidence-size evidence.read of exactly N bytes vs N+1
  JSON nesting         --max-json-depth    depth N vs N+1, the error at line and column
  requirements         --max-requirements  N declared vs N+1, the error at the file and line

A policy's limit stops the gate (exit 2, kind limit); a plugin check's limit costs that
check an error result (a deny); an input over a size limit is refused (kind io);
evidence over its limit is nil plus a reason, and the policy's own check decides.
"""

import json
import os
import shutil
import sys
from pathlib import Path

import mxhelp
from harness import add_case, case
from mxhelp import CONTEXT, SANITIZED, FIXTURE_BEHAVE, compact_line, eval_args, expect_one_error, guarded, setup

# ---- Policy memory ------------------------------------------------------------------

# N strings of exactly 1000 bytes held in a table.  With --max-memory 1M (1048576 bytes)
# 981 fit, measured on the release and the sanitizer build alike (the allocator counts
# what Lua asks for, not what malloc spends).  900 leaves 8 % headroom; 1100 strings
# alone are 1.1 MB: neither depends on the garbage collector's timing.
AT_EDGE, PAST_EDGE = 900, 1100


def strings_policy(n, where):
    fill = ('local t = {}\n'
            'for i = 1, %d do t[i] = string.rep("x", 992) .. string.format("%%08d", i) end\n' % n)
    if where == "load":
        return ('policy { name = "memory-at-load" }\n' + fill +
                'requirement "held" { title = "Held", check = function(ctx) return pass(tostring(#t), {}) end }\n')
    return ('policy { name = "memory-in-check" }\n'
            'requirement "held" { title = "Held", check = function(ctx)\n' + fill +
            '  return pass(tostring(#t), {})\nend }\n')


def memory_case(where):
    def fn(t):
        setup(t, policy=strings_policy(AT_EDGE, where))
        doc = t.expect_decision(t.run(*eval_args("--max-memory", "1M")), "allow")
        t.eq(doc["requirements"][0]["message"], str(AT_EDGE), "strings held under the limit")
        t.write("policy.lua", strings_policy(PAST_EDGE, where))
        guarded(t, eval_args("--max-memory", "1M"), "limit", "policy.lua", file="policy.lua",
                mentions=["memory limit of 1048576 bytes", "--max-memory"])
        # The same policy under a larger limit: the limit is what decided.
        doc = t.expect_decision(t.run(*eval_args("--max-memory", "2M")), "allow")
        t.eq(doc["requirements"][0]["message"], str(PAST_EDGE), "strings held under --max-memory 2M")
    add_case("--max-memory 1M, strings held %s: %d KB allow, %d KB stop the gate (limit); 2M allows both"
             % ("while the policy loads" if where == "load" else "in a check", AT_EDGE, PAST_EDGE), fn)


memory_case("load")
memory_case("check")


# ---- Policy instructions ---------------------------------------------------------------

def loop_policy(k, at_load=0):
    """A check looping K times (line 4), after a load-time loop of AT_LOAD iterations (line 2)."""
    return ('policy { name = "counting" }\n'
            'local m = 0; for i = 1, %d do m = m + i end\n'
            'requirement "loop" { title = "Loop", check = function(ctx)\n'
            '  local n = 0; for i = 1, %d do n = n + i end\n'
            '  return pass(tostring(n + m), {})\n'
            'end }\n' % (at_load, k))


def within(t, limit):
    """True when the policy evaluates under --max-instructions LIMIT, False when the
    instruction limit stops it; anything else fails the case."""
    res = t.run(*eval_args("--max-instructions", str(limit)))
    if res.rc == 0:
        t.decision(res)
        return True
    doc = t.expect_error(res, "limit", file="policy.lua", mentions=["instructions"])
    t.contains(doc["error"]["message"], str(limit), "error.message (the limit)")
    return False


def threshold(t, k, at_load=0):
    """The smallest --max-instructions under which the policy evaluates, by bisection."""
    t.write("policy.lua", loop_policy(k, at_load))
    lo, hi = 1, 1 << 24
    t.check(within(t, hi), "the loop does not evaluate under --max-instructions %d" % hi)
    t.check(not within(t, lo), "the loop evaluates under --max-instructions 1")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if within(t, mid):
            hi = mid
        else:
            lo = mid
    return hi


@case("--max-instructions: a loop's cost, bisected, is its edge: cost allows, cost-1 stops it (limit)")
def _(t):
    setup(t)
    k = 20000
    cost = threshold(t, k)
    t.note("a check looping %d times costs %d instructions by --max-instructions" % (k, cost))
    t.check(k <= cost <= 40 * k, "implausible cost %d for a loop of %d iterations" % (cost, k))
    t.eq(within(t, cost), True, "evaluates at --max-instructions COST (%d)" % cost)
    guarded(t, eval_args("--max-instructions", str(cost - 1)), "limit", "policy.lua", file="policy.lua",
            mentions=["limit of %d instructions" % (cost - 1), "--max-instructions"])
    t.eq(within(t, 2 * cost), True, "evaluates at twice its cost")
    res = t.run(*eval_args("--max-instructions", str(cost // 2)))
    expect_one_error(t, res, "limit", "policy.lua:4", file="policy.lua", line=4,
                     mentions=["limit of %d instructions" % (cost // 2)])


@case("--max-instructions: the cost grows with the loop (twice the iterations, about twice the cost)")
def _(t):
    setup(t)
    one, two = threshold(t, 20000), threshold(t, 40000)
    t.note("cost of 20000 iterations: %d; of 40000: %d" % (one, two))
    t.check(two > one, "twice the iterations did not cost more")
    t.check(abs(two - 2 * one) <= 0.05 * two + 2000, "the cost is not linear in the iterations",
            expected="about %d" % (2 * one), actual=two)


@case("--max-instructions: loading and the evaluation have a budget each (a loop in both costs as much as one)")
def _(t):
    setup(t)
    alone = threshold(t, 20000)
    both = threshold(t, 20000, at_load=20000)
    t.note("check loop alone: %d; with the same loop while loading: %d" % (alone, both))
    t.check(alone <= both <= alone + 2000, "the load's instructions were charged to the evaluation",
            expected="about %d" % alone, actual=both)
    # A loading loop over the limit is stopped at its own line.
    t.write("policy.lua", loop_policy(10, at_load=200000))
    res = t.run(*eval_args("--max-instructions", str(alone)))
    expect_one_error(t, res, "limit", "policy.lua:2", file="policy.lua", line=2, mentions=["instructions"])


# ---- Policy wall time -----------------------------------------------------------------------

BUSY = ('policy { name = "busy" }\n'
        'requirement "busy" { title = "Busy", check = function(ctx)\n'
        '  local n = 0; for i = 1, %d do n = n + i %% 7 end\n'
        '  return pass(tostring(n), {})\n'
        'end }\n')


@case("--timeout: a busy loop allows under a limit above its time, stops the gate (limit) under one below it")
def _(t):
    setup(t, policy=BUSY % 20000000)
    plenty = ["--max-instructions", "1000000000000"]
    res = t.run(*eval_args("--timeout", "120", *plenty), timeout=150)
    t.expect_decision(res, "allow")
    spent = res.elapsed
    t.note("the busy loop's eval took %.2f s" % spent)
    t.check(spent >= 0.15, "the busy loop is too quick (%.2f s) to time" % spent)
    under = max(4 * spent, spent + 3)
    res = t.run(*eval_args("--timeout", "%.3f" % under, *plenty), timeout=under + 60)
    t.expect_decision(res, "allow")
    over = spent / 5
    res = t.run(*eval_args("--timeout", "%.3f" % over, *plenty), timeout=60)
    expect_one_error(t, res, "limit", "policy.lua:3", file="policy.lua", line=3,
                     mentions=["time limit of %g s" % float("%.3f" % over), "--timeout"])
    t.check(res.elapsed < over + 3, "the gate took %.2f s to stop at a %.3f s limit" % (res.elapsed, over))


# ---- Per-check time and memory (fixture plugin) ------------------------------------------------

def plugin_setup(t, policy, context=None):
    if not FIXTURE_BEHAVE or not Path(FIXTURE_BEHAVE).is_file():
        t.skip("the fixture plugin (RG_FIXTURE_BEHAVE) is not built")
    plugins = Path(t.tmp, "plugins")
    plugins.mkdir(mode=0o755)
    os.chmod(plugins, 0o755)
    shutil.copy(FIXTURE_BEHAVE, plugins / "fixture-behave.so")
    os.chmod(plugins / "fixture-behave.so", 0o755)
    setup(t, policy=policy, context=context)


def nap_policy(seconds, timeout=None):
    return ('requirement "nap" { title = "Nap", check = "fixture.behave", '
            'with = { mode = "sleep", seconds = %s }%s }\n'
            % (seconds, "" if timeout is None else ", timeout = %s" % timeout))


def plugin_eval(t, *extra, **kw):
    return t.run(*eval_args("--plugin-path", "plugins", *extra), **kw)


def expect_timed_out(t, res, limit):
    doc = t.expect_decision(res, "deny")
    r = doc["requirements"][0]
    t.eq((r["status"], r["message"]), ("error", "check fixture.behave timed out after %g s" % limit),
         "the sleeping check's result")
    t.check(res.elapsed < 0.5 + 5, "the timed-out check took %.2f s" % res.elapsed)


def expect_napped(t, res):
    doc = t.expect_decision(res, "allow")
    t.eq(doc["requirements"][0]["status"], "pass", "the sleeping check's status")


@case("requirement timeout: a check sleeping 0.5 s passes under timeout = 2, is an error under 0.3")
def _(t):
    plugin_setup(t, nap_policy(0.5, timeout=2))
    expect_napped(t, plugin_eval(t))
    t.write("policy.lua", nap_policy(0.5, timeout=0.3))
    expect_timed_out(t, plugin_eval(t), 0.3)


@case("--check-timeout: a check sleeping 0.5 s passes under 2, is an error under 0.3")
def _(t):
    plugin_setup(t, nap_policy(0.5))
    expect_napped(t, plugin_eval(t, "--check-timeout", "2"))
    expect_timed_out(t, plugin_eval(t, "--check-timeout", "0.3"), 0.3)
    expect_timed_out(t, plugin_eval(t, "--check-timeout", "300ms"), 0.3)


@case("a requirement's timeout overrides --check-timeout, both ways")
def _(t):
    plugin_setup(t, nap_policy(0.5, timeout=2))
    expect_napped(t, plugin_eval(t, "--check-timeout", "0.3"))
    t.write("policy.lua", nap_policy(0.5, timeout=0.3))
    expect_timed_out(t, plugin_eval(t, "--check-timeout", "2"), 0.3)


@case("--check-memory 16M (the least it takes): a quiet check passes, one exhausting memory is an error result")
def _(t):
    if SANITIZED:
        t.skip("no address-space limit under AddressSanitizer")
    plugin_setup(t, 'requirement "quiet" { title = "Quiet", check = "fixture.behave" }\n'
                    'requirement "oom" { title = "Oom", check = "fixture.behave", with = { mode = "oom" } }\n'
                    'requirement "after" { title = "After", check = "fixture.behave" }\n')
    res = plugin_eval(t, "--check-memory", "16M", "-j", "1", timeout=120)
    doc = t.expect_decision(res, "deny")
    got = [(r["id"], r["status"]) for r in doc["requirements"]]
    t.eq(got, [("quiet", "pass"), ("oom", "error"), ("after", "pass")], "results under --check-memory 16M")
    t.check(doc["requirements"][1]["message"].startswith("check fixture.behave "),
            "the error does not name the check", actual=doc["requirements"][1]["message"])


@case("--check-memory 64M: a check reading 8 MiB of evidence passes, 40 MiB runs out (a failed read); 256M reads both")
def _(t):
    if SANITIZED:
        t.skip("no address-space limit under AddressSanitizer")
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"small": "small.bin", "big": "big.bin"}
    plugin_setup(t, 'requirement "small" { title = "Small", check = "fixture.behave", '
                    'with = { mode = "read", file = evidence "small" } }\n'
                    'requirement "big" { title = "Big", check = "fixture.behave", '
                    'with = { mode = "read", file = evidence "big" } }\n', context=ctx)
    for name, size in (("small.bin", 8 << 20), ("big.bin", 40 << 20)):
        with open(t.tmp / name, "wb") as f:
            f.truncate(size)  # sparse: reads as zeros, takes no disk
    doc = t.expect_decision(plugin_eval(t, "--check-memory", "64M", timeout=120), "deny")
    small, big = doc["requirements"]
    t.eq((small["status"], small["details"].get("bytes")), ("pass", 8 << 20), "the 8 MiB read under 64M")
    t.eq(big["status"], "fail", "the 40 MiB read under 64M")
    t.contains(big["message"], "out of memory", "the 40 MiB read's message")
    doc = t.expect_decision(plugin_eval(t, "--check-memory", "256M", timeout=120), "allow")
    t.eq(doc["requirements"][1]["details"].get("bytes"), 40 << 20, "the 40 MiB read under 256M")


# ---- Context size -----------------------------------------------------------------------

SIZES = [("1K", 1024), ("64K", 65536), ("65537", 65537), ("100000", 100000)]


def sized(value, n, wrap=None):
    """VALUE as compact JSON padded with spaces to exactly N bytes (newline excluded when
    WRAP is 'line', included otherwise)."""
    text = compact_line(value)
    if wrap == "line":
        return text + " " * (n - len(text))
    return text + " " * (n - len(text) - 1) + "\n"


def size_case(spec, n, channel):
    limit_text = "larger than the limit of %d bytes" % n

    def fn(t):
        setup(t)
        opt = ["--max-context-size", spec]
        if channel == "file":
            t.write("edge.json", sized(CONTEXT, n))
            t.write("over.json", sized(CONTEXT, n + 1))
            t.eq((t.tmp / "edge.json").stat().st_size, n, "size of edge.json")
            t.expect_decision(t.run(*eval_args(*opt, context="edge.json")), "allow")
            guarded(t, eval_args(*opt, context="over.json"), "io", "over.json", file="over.json",
                    mentions=[limit_text])
        elif channel == "stdin":
            edge, over = sized(CONTEXT, n).encode(), sized(CONTEXT, n + 1).encode()
            t.expect_decision(t.run(*eval_args(*opt, context="-"), stdin=edge), "allow")
            guarded(t, eval_args(*opt, context="-"), "io", "<stdin>", file="<stdin>", stdin=over,
                    mentions=[limit_text])
        elif channel == "batch":
            t.write("batch.jsonl", sized(CONTEXT, n, "line") + "\n" + sized(CONTEXT, n + 1, "line") + "\n")
            res = t.run(*eval_args(*opt, "--batch", "batch.jsonl", context=None))
            t.expect_exit(res, 2)
            lines = res.stdout.split(b"\n")
            t.eq(len(lines), 3, "stdout lines (two decisions and the end)")
            t.eq(t.decision(lines[0] + b"\n")["decision"], "allow", "the line of exactly %d bytes" % n)
            doc = t.decision(lines[1] + b"\n")
            t.eq((doc["decision"], doc["error"]["kind"], doc["error"]["line"]), ("error", "io", 2),
                 "the line of %d bytes" % (n + 1))
            t.contains(doc["error"]["message"], limit_text, "error.message")
            errs = res.error_lines()
            t.eq(len(errs), 1, "'relgate: error:' lines")
            t.contains(errs[0], "batch.jsonl:2", "the error line")
        elif channel == "waivers":
            t.write("edge-waivers.json", sized({"waivers": []}, n))
            t.write("over-waivers.json", sized({"waivers": []}, n + 1))
            t.expect_decision(t.run(*eval_args(*opt, "--waivers", "edge-waivers.json")), "allow")
            guarded(t, eval_args(*opt, "--waivers", "over-waivers.json"), "io", "over-waivers.json",
                    file="over-waivers.json", mentions=[limit_text])
    add_case("--max-context-size %s, %s: exactly %d bytes evaluate, %d are refused naming it and the limit"
             % (spec, channel, n, n + 1), fn)


for _spec, _n in SIZES:
    for _channel in ("file", "stdin", "batch", "waivers"):
        size_case(_spec, _n, _channel)


# ---- Evidence size ---------------------------------------------------------------------------

def evidence_policy(on_missing, max_arg=None):
    arg = "" if max_arg is None else ", %d" % max_arg
    return ('policy { name = "evidence-size" }\n'
            'requirement "notes" { title = "Notes", check = function(ctx)\n'
            '  local text, why = evidence.read("notes"%s)\n'
            '  if not text then return %s(why, {}) end\n'
            '  return pass("read", { bytes = #text })\n'
            'end }\n' % (arg, on_missing))


def evidence_setup(t, size, policy):
    ctx = json.loads(json.dumps(CONTEXT))
    ctx["evidence"] = {"notes": "notes.md"}
    setup(t, policy=policy, context=ctx)
    t.write("notes.md", "n" * size)


def evidence_case(spec, n):
    def fn(t):
        opt = ["--max-evidence-size", spec]
        evidence_setup(t, n, evidence_policy("fail"))
        doc = t.expect_decision(t.run(*eval_args(*opt)), "allow")
        t.eq(doc["requirements"][0]["details"], {"bytes": n}, "details of the read at the limit")
        t.eq([e["name"] for e in doc["evidence"]], ["notes"], "evidence listed as read")
        # One byte over: nil and a reason; this policy fails on it...
        t.write("notes.md", "n" * (n + 1))
        doc = t.expect_decision(t.run(*eval_args(*opt)), "deny")
        r = doc["requirements"][0]
        t.eq(r["status"], "fail", "status when the read is refused")
        t.contains(r["message"], "larger than the limit of %d bytes" % n, "the reason the policy got")
        t.contains(r["message"], "notes", "the reason the policy got")
        t.eq(doc["evidence"], [], "evidence listed (nothing was read)")
        # ...and this one only warns: the policy decides, not the engine.
        t.write("policy.lua", evidence_policy("warn"))
        doc = t.expect_decision(t.run(*eval_args(*opt)), "warn")
        t.contains(doc["requirements"][0]["message"], "larger than the limit of %d bytes" % n, "the reason")
    add_case("--max-evidence-size %s: evidence.read of %d bytes reads, %d is nil + reason: the policy fails or warns"
             % (spec, n, n + 1), fn)


for _spec, _n in (("1K", 1024), ("64K", 65536), ("1000", 1000)):
    evidence_case(_spec, _n)


@case("evidence.read(name, max_bytes): its own edge below --max-evidence-size; above it, capped at the option")
def _(t):
    evidence_setup(t, 500, evidence_policy("fail", max_arg=500))
    doc = t.expect_decision(t.run(*eval_args("--max-evidence-size", "1000")), "allow")
    t.eq(doc["requirements"][0]["details"], {"bytes": 500}, "read at max_bytes")
    t.write("notes.md", "n" * 501)
    doc = t.expect_decision(t.run(*eval_args("--max-evidence-size", "1000")), "deny")
    t.contains(doc["requirements"][0]["message"], "larger than the limit of 500 bytes", "reason")
    t.write("policy.lua", evidence_policy("fail", max_arg=5000))
    t.write("notes.md", "n" * 1000)
    t.expect_decision(t.run(*eval_args("--max-evidence-size", "1000")), "allow")
    t.write("notes.md", "n" * 1001)
    doc = t.expect_decision(t.run(*eval_args("--max-evidence-size", "1000")), "deny")
    t.contains(doc["requirements"][0]["message"], "larger than the limit of 1000 bytes", "reason (capped)")


# ---- JSON nesting depth ---------------------------------------------------------------------

PREFIX = '  "deep": '


def nested_context(depth):
    """A context nested DEPTH levels deep (the root object is level 1), the deep part on
    line 3 of the file."""
    head = compact_line(CONTEXT)[1:-1]
    k = depth - 1
    return "{\n  %s,\n%s%s%s\n}\n" % (head, PREFIX, "[" * k, "]" * k)


def depth_case(n):
    def fn(t):
        setup(t)
        t.write("over.json", nested_context(n + 1))
        # The (N+1)th level opens at the Nth '[' of line 3.
        column = len(PREFIX) + n
        guarded(t, eval_args("--max-json-depth", str(n), context="over.json"), "context", "over.json:3:%d" % column,
                file="over.json", line=3, column=column, mentions=["deeper than %d levels" % n])
        t.write("edge.json", nested_context(n))
        t.expect_decision(t.run(*eval_args("--max-json-depth", str(n), context="edge.json")), "allow")
    add_case("--max-json-depth %d: a context %d deep is refused at line 3 and its column; %d deep evaluates"
             % (n, n + 1, n), fn)


# The range ends at 1000: cJSON itself refuses deeper documents.
for _n in (2, 5, 64, 999):
    depth_case(_n)


@case("--max-json-depth 3 for the --waivers file: 3 deep accepted, 4 refused at line 2 and its column")
def _(t):
    setup(t)
    t.write("edge.json", '{"waivers": [],\n "note": [[]]}\n')
    t.write("over.json", '{"waivers": [],\n "note": [[[]]]}\n')
    t.expect_decision(t.run(*eval_args("--max-json-depth", "3", "--waivers", "edge.json")), "allow")
    guarded(t, eval_args("--max-json-depth", "3", "--waivers", "over.json"), "context", "over.json:2:12",
            file="over.json", line=2, column=12, mentions=["deeper than 3 levels"])


@case("--max-json-depth 4 for --batch lines: 4 deep evaluates, 5 is that line's error at its line and column")
def _(t):
    setup(t)
    head = compact_line(CONTEXT)[:-1]
    edge = head + ',"deep":[[[]]]}'
    over = head + ',"deep":[[[[]]]]}'
    t.write("batch.jsonl", edge + "\n" + over + "\n")
    res = t.run(*eval_args("--max-json-depth", "4", "--batch", "batch.jsonl", context=None))
    t.expect_exit(res, 2)
    lines = res.stdout.split(b"\n")
    t.eq(len(lines), 3, "stdout lines")
    t.eq(t.decision(lines[0] + b"\n")["decision"], "allow", "the line 4 deep")
    doc = t.decision(lines[1] + b"\n")
    column = len(head) + len(',"deep":[[[[')
    t.eq((doc["error"]["kind"], doc["error"]["line"], doc["error"]["column"]), ("context", 2, column),
         "the line 5 deep: kind, line, column")
    errs = res.error_lines()
    t.eq(len(errs), 1, "'relgate: error:' lines")
    t.contains(errs[0], "batch.jsonl:2:%d" % column, "the error line")


# ---- Number of requirements -------------------------------------------------------------------

def requirements_text(first, count, name="many"):
    lines = ['policy { name = "%s" }' % name] if first == 1 else []
    for i in range(first, first + count):
        lines.append('requirement "r%d" { title = "R%d", check = function(ctx) return pass("ok", {}) end }' % (i, i))
    return "\n".join(lines) + "\n"


def requirements_case(n):
    def fn(t):
        setup(t)
        extra = [] if n is None else ["--max-requirements", str(n)]
        limit = 1000 if n is None else n
        t.write("policy.lua", requirements_text(1, limit + 1))
        # Line 1 is policy {}; requirement i is on line i + 1.
        guarded(t, eval_args(*extra), "policy", "policy.lua:%d" % (limit + 2), file="policy.lua", line=limit + 2,
                mentions=["more than %d requirements" % limit])
        t.write("policy.lua", requirements_text(1, limit))
        doc = t.expect_decision(t.run(*eval_args(*extra)), "allow")
        t.eq(doc["summary"]["total"], limit, "requirements evaluated")
    add_case("--max-requirements %s: %d declared evaluate, %d refused naming the policy file and line"
             % (n if n is not None else "(default 1000)", n or 1000, (n or 1000) + 1), fn)


for _n in (1, 7, None):
    requirements_case(_n)


@case("--max-requirements 5 counts a policy directory's files together: 3 + 3 refused at the second file's line")
def _(t):
    setup(t)
    t.write("pol/a.lua", requirements_text(1, 3, "split"))
    t.write("pol/b.lua", requirements_text(4, 3))
    guarded(t, eval_args("--max-requirements", "5", policy="pol"), "policy", "pol/b.lua:3", file="pol/b.lua",
            line=3, mentions=["more than 5 requirements"])
    doc = t.expect_decision(t.run(*eval_args("--max-requirements", "6", policy="pol")), "allow")
    t.eq(doc["summary"]["total"], 6, "requirements evaluated under --max-requirements 6")


if __name__ == "__main__":
    sys.exit(mxhelp.main())
