#!/usr/bin/env python3
"""Concurrent gates share one decision log (docs/ci.md: "concurrent gates never
interleave or lose a line").

meson runs: python3 test_log_concurrent.py RELGATE   (env RG_SANITIZED=1: scaled down)

32 writer processes each run 200 evals of the fastest allow/warn example into one log
(8 x 50 under the sanitizer build), while `relgate history` reads it: the log then holds
exactly writers x evals lines, each a whole JSON decision equal to the example's, and
no reader ever sees a partial line.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import cihelp
from cihelp import REPO, SANITIZED, examples, load_expect
from harness import Failure, add_case

WRITERS, EVALS = (8, 50) if SANITIZED else (32, 200)

WRITER = r'''
i=0; failed=0
while [ "$i" -lt "$EVALS" ]; do
    "$RELGATE" eval --policy "$POLICY" --context "$CONTEXT" --now "$NOW" --log "$LOG" >/dev/null 2>>"$ERRORS" \
        || failed=$((failed + 1))
    i=$((i + 1))
done
echo "$failed"
'''


def fastest_example(t):
    """The quickest allow/warn example (a post-deploy deny would read the log on every eval)."""
    best = None
    for ex in examples():
        expect = load_expect(ex)
        if expect["decision"] not in ("allow", "warn") or expect["exit"] != 0:
            continue
        start = time.monotonic()
        for _ in range(3):
            _, res = cihelp.eval_example(t, ex)
            t.expect_exit(res, 0)
        took = time.monotonic() - start
        if best is None or took < best[0]:
            best = (took, ex, expect)
    if best is None:
        t.skip("no example allows")
    return best[1], best[2]


def concurrent(t):
    example, expect = fastest_example(t)
    _, res = cihelp.eval_example(t, example)
    reference = t.decision(res)
    log = Path(t.tmp, "shared.jsonl")
    env = dict(os.environ, RELGATE=str(cihelp.harness.RELGATE), POLICY=str(cihelp.harness.POLICY.relative_to(REPO)),
               CONTEXT=str(example / "context.json"), NOW=expect["now"], LOG=str(log),
               EVALS=str(EVALS), ERRORS=str(Path(t.tmp, "errors.txt")))
    t.note("example %s, %d writers x %d evals" % (example, WRITERS, EVALS))
    start = time.monotonic()
    writers = [subprocess.Popen(["sh", "-c", WRITER], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT) for _ in range(WRITERS)]
    # Readers while the writers write: never a partial line (they share the lock).
    reads = 0
    try:
        while any(w.poll() is None for w in writers) and reads < 40:
            res = t.run("history", "--log", log, "--format", "json", timeout=120)
            if res.rc == 2 and "No such file" in res.err:   # no writer has created it yet
                time.sleep(0.05)
                continue
            t.expect_exit(res, 0)
            t.check("not a decision" not in res.err, "a reader saw a partial or broken line mid-write",
                    actual=res.err)
            json.loads(res.out)
            reads += 1
            time.sleep(0.2)
        failures = []
        for w in writers:
            out, _ = w.communicate(timeout=600)
            failures.append(out.decode().strip())
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()
    took = time.monotonic() - start
    t.note("took %.1f s, %d concurrent history reads" % (took, reads))
    errors = Path(t.tmp, "errors.txt")
    if any(f != "0" for f in failures):
        raise Failure("evals failed under concurrency", expected=["0"] * WRITERS, actual={
            "failed per writer": failures,
            "stderr": errors.read_text(errors="replace")[-2000:] if errors.exists() else ""})
    data = log.read_bytes()
    t.check(data.endswith(b"\n"), "the log does not end with a newline")
    lines = data.split(b"\n")[:-1]
    total = WRITERS * EVALS
    t.eq(len(lines), total, "lines in the shared log")
    want = json.dumps({k: v for k, v in reference.items() if k != "requirements"}, sort_keys=True)
    want_reqs = [{k: v for k, v in r.items() if k != "duration_ms"} for r in reference["requirements"]]
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError as e:
            raise Failure("line %d of the shared log is not JSON (interleaved?): %s" % (n, e), actual=line[:400])
        chain = entry.pop("chain", None)
        t.check(isinstance(chain, dict) and chain.get("seq") == n, "line %d's chain does not give it seq %d" % (n, n),
                actual=chain)
        got_reqs = [{k: v for k, v in r.items() if k != "duration_ms"} for r in entry.get("requirements", [])]
        if json.dumps({k: v for k, v in entry.items() if k != "requirements"}, sort_keys=True) != want or got_reqs != want_reqs:
            t.last = None
            diff = sorted(k for k in set(entry) | set(reference)
                          if k != "requirements" and entry.get(k) != reference.get(k))
            raise Failure("line %d of the shared log is not the example's decision" % n,
                          expected={k: reference.get(k) for k in diff} or want_reqs,
                          actual={k: entry.get(k) for k in diff} or got_reqs)
    # Every writer chained after the one before it: the chain is whole.
    res = t.run("history", "verify", "--log", str(log))
    t.expect_exit(res, 0)
    t.eq(res.out, "whole: %d records chained\n" % total, "history verify of the shared log")
    if SANITIZED:
        t.note("sanitizer build: scaled down to %d x %d" % (WRITERS, EVALS))


name = "log: %d concurrent gates x %d decisions give exactly %d whole JSON lines" % (WRITERS, EVALS, WRITERS * EVALS)
if SANITIZED:
    name += " (sanitizer build: scaled down from 32 x 200)"
add_case(name, concurrent)



def lock_held(t):
    """Another process holds the JSONL log's lock and never lets it go: the gate waits
    RG_LOG_LOCK_WAIT_SECONDS (60 s), then answers an error naming the lock; the log is
    left as it was."""
    import fcntl
    cihelp.copy_ci(t, "log", "gate")
    log = Path(t.tmp, "held.jsonl")
    log.write_bytes(b"")
    with open(log, "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        start = time.monotonic()
        res = t.eval("gate/policy.lua", "gate/context.json", "--log", "held.jsonl", timeout=150)
        waited = time.monotonic() - start
    t.expect_error(res, "io", file="held.jsonl", mentions=("held its lock for 60 s",))
    t.check(58 <= waited < 120, "the gate waited about 60 s, then gave up: %.1f s" % waited)
    t.eq(log.read_bytes(), b"", "the log is left as it was")


add_case("log: a lock another process holds for good: an error after 60 s, never a wait without end", lock_held)


def read_lock_held(t):
    """A reader of the JSONL log (history; a post-deploy gate looking up its rollback
    target) waits for a writer's lock as long as a writer does, then answers an error:
    it waited without end (hostile round 10, F06)."""
    import fcntl
    cihelp.copy_ci(t, "log", "gate")
    log = Path(t.tmp, "held.jsonl")
    res = t.eval("gate/policy.lua", "gate/context.json", "--log", "held.jsonl")
    t.check(res.rc in (0, 1), "a first record")
    with open(log, "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        start = time.monotonic()
        res = t.run("history", "--log", "held.jsonl", timeout=150)
        waited = time.monotonic() - start
    t.expect_exit(res, 2)
    t.contains(res.err, "held its lock for 60 s", "stderr")
    t.check(58 <= waited < 120, "history waited about 60 s, then gave up: %.1f s" % waited)


add_case("log: a reader waits for a lock another process holds for good at most 60 s, then an error", read_lock_held)


def signal_while_waiting(t):
    """SIGTERM while the gate waits for the log's lock with --output: the decision is
    already written to a temporary file beside --output, to be put in place once it is
    logged.  The run ends unanswered: neither the earlier run's allow at --output nor the
    temporary file holding this run's unlogged decision may stay (hostile round 9, F10)."""
    import fcntl
    import harness
    import signal
    cihelp.copy_ci(t, "log", "gate")
    log, out = Path(t.tmp, "held.jsonl"), Path(t.tmp, "gate.out")
    log.write_bytes(b"")
    out.write_text('{"decision": "allow", "earlier": true}\n')
    with open(log, "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        # No --now: with it, the gate would read the log (is it older than the log's last
        # record?) and wait for the lock before deciding, not after.
        gate = subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "gate/policy.lua", "--context",
                                 "gate/context.json", "--log", "held.jsonl", "--output", "gate.out"],
                                cwd=t.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        waiting = lambda: [p.name for p in Path(t.tmp).iterdir() if p.name.startswith(".gate.out.")]
        deadline = time.monotonic() + 30
        while not waiting() and gate.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        t.check(waiting() != [], "the decision waits in a temporary file beside --output")
        gate.send_signal(signal.SIGTERM)
        try:
            gate.wait(timeout=30)
        finally:
            if gate.poll() is None:
                gate.kill()
        gate.stderr.close()
    t.eq(gate.returncode, -signal.SIGTERM, "the gate ended by the signal")
    t.eq(waiting(), [], "no temporary file with an unlogged decision is left")
    t.check(not out.exists(), "the earlier run's allow is taken back from --output")
    t.eq(log.read_bytes(), b"", "nothing logged")


add_case("log: SIGTERM while waiting for the log's lock leaves neither the earlier answer nor the unlogged one", signal_while_waiting)

if __name__ == "__main__":
    cihelp.main()
