"""Shared helpers for the hardening matrix (tests/matrix/test_*.py).

They reuse tests/support/harness.py (cases, TAP, running the binary, the decision's JSON
Schema) and add what the matrix checks over and over: an error that is exactly one
'relgate: error:' line naming the culprit plus exactly one JSON error decision on
stdout, that an existing decision log survives an error, and that an existing --output
file (an earlier answer) does not: it holds the error instead.

meson passes the relgate executable as the first argument and, in the environment,
RG_SANITIZED=1 for the ASan/UBSan build and RG_FIXTURE_BEHAVE (the fixture plugin
tests/plugins builds).  RELGATE_TEST_FILTER=REGEX runs only the matching cases.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))

import harness  # noqa: E402
from harness import fill, umount  # noqa: E402,F401
from harness import NOW, Failure  # noqa: E402,F401

SANITIZED = os.environ.get("RG_SANITIZED") == "1"
FIXTURE_BEHAVE = os.environ.get("RG_FIXTURE_BEHAVE") or None

CONTEXT = {
    "release": {"name": "demo-service", "version": "1.4.0", "previous_version": "1.3.2", "type": "minor"},
    "stage": "pre-release",
}

ALLOW_POLICY = ('policy { name = "matrix-allow" }\n'
                'requirement "always-passes" { title = "Always passes", '
                'check = function(ctx) return pass("ok", {}) end }\n')

# What an earlier, good run left in place: an error must not touch the log; the output
# file must not keep it (it is no answer to this run).
SENTINEL_OUTPUT = b'{"decision": "allow", "note": "an earlier decision that an error must replace"}\n'
SENTINEL_LOG = b'{"decision":"allow","note":"an earlier audit record that must survive"}\n'


def setup(t, policy=ALLOW_POLICY, context=None):
    """policy.lua and context.json in the case's directory."""
    t.write("policy.lua", policy)
    t.write_json("context.json", context if context is not None else CONTEXT)


def compact_line(value):
    """VALUE as one compact JSON line (what a batch line holds)."""
    return json.dumps(value, separators=(",", ":"))


def eval_args(*extra, policy="policy.lua", context="context.json"):
    args = ["eval", "--policy", policy]
    if context is not None:
        args += ["--context", context]
    return args + ["--now", NOW] + list(extra)


def expect_one_error(t, res, kind, culprit, mentions=(), file=None, line=None, column=None,
                     json_stdout=True):
    """Exit 2; exactly one 'relgate: error:' line on stderr, naming CULPRIT (a string, or
    a tuple of acceptable spellings); with JSON, stdout exactly one error decision of
    KIND (T.expect_error: schema, file/line/column, MENTIONS); otherwise (text) stdout
    the text error alone, naming CULPRIT, no partial decision."""
    t.expect_exit(res, 2)
    lines = res.error_lines()
    if len(lines) != 1:
        raise Failure("stderr holds %d 'relgate: error:' lines" % len(lines),
                      expected="exactly one, naming %r" % (culprit,), actual=lines or res.err[-2000:])
    names = culprit if isinstance(culprit, tuple) else (culprit,)
    t.check(any(n in lines[0] for n in names), "the 'relgate: error:' line does not name the culprit",
            expected=culprit, actual=lines[0])
    if not json_stdout:
        t.check(res.out.startswith("ERROR  the gate could not be evaluated (%s error)" % kind),
                "stdout is not the text error alone (no partial output)", actual=res.out[:500])
        t.check(any(n in res.out for n in names), "the text error does not name the culprit", actual=res.out[:500])
        return None
    return t.expect_error(res, kind, file=file, line=line, column=column, mentions=mentions,
                          file_on_stderr=file is not None)


def guarded(t, args, kind, culprit, mentions=(), file=None, line=None, column=None, stdin=None,
            timeout=60, output=True, log=True, cwd=None):
    """Run ARGS (an eval expected to fail with KIND naming CULPRIT) three times: as given;
    with --output over an existing file in a fresh directory (OUTPUT); with --log onto an
    existing log (LOG).  The options go right after 'eval', so a trailing option without
    its value stays the last word.  The output file is replaced by the error decision
    stdout carries (an earlier allow never stays in its place) and no other file
    appears beside it; the log keeps its bytes for a usage error, and
    otherwise gains exactly one line, the error decision on stdout (the audit trail
    records failures: tests/ci/test_log.py).  Returns the first error decision."""
    res = t.run(*args, stdin=stdin, timeout=timeout, cwd=cwd)
    doc = expect_one_error(t, res, kind, culprit, mentions=mentions, file=file, line=line, column=column)

    # An option the case gives itself is not given again (a second one is refused).
    own = lambda name: any(a == name or a.startswith(name + "=") for a in args[1:])   # noqa: E731
    if output and not own("--output"):
        box = t.tmp / "guard-output"
        box.mkdir()
        out = box / "out.json"
        out.write_bytes(SENTINEL_OUTPUT)
        ino = out.stat().st_ino
        res = t.run(args[0], "--output", str(out), *args[1:], stdin=stdin, timeout=timeout, cwd=cwd)
        again = expect_one_error(t, res, kind, culprit)
        t.eq(again["error"]["message"], doc["error"]["message"], "error.message with --output")
        t.eq(out.read_bytes(), res.stdout, "the existing --output file after the error: the error, as on stdout")
        t.check(out.stat().st_ino != ino, "the existing --output file was replaced in one step (a new inode)")
        t.eq(sorted(os.listdir(box)), ["out.json"], "files beside the --output file (no temporary left)")

    if log and not own("--log"):
        box = t.tmp / "guard-log"
        box.mkdir()
        path = box / "log.jsonl"
        path.write_bytes(SENTINEL_LOG)
        res = t.run(args[0], "--log", str(path), *args[1:], stdin=stdin, timeout=timeout, cwd=cwd)
        again = expect_one_error(t, res, kind, culprit)
        data = path.read_bytes()
        if kind == "usage":
            t.eq(data, SENTINEL_LOG, "bytes of the decision log after a usage error")
        else:
            t.check(data.startswith(SENTINEL_LOG), "the decision log's earlier bytes changed",
                    expected=SENTINEL_LOG, actual=data[:300])
            added = data[len(SENTINEL_LOG):]
            t.check(added.endswith(b"\n") and added.count(b"\n") == 1,
                    "the error did not append exactly one line to the log", actual=added[:500])
            logged = json.loads(added)
            t.check(isinstance(logged.pop("chain", None), dict), "the logged line has no chain", actual=added[-200:])
            t.eq(logged, again, "the logged line vs the error decision on stdout")
    return doc


def is_root():
    return os.geteuid() == 0


def skip_if_root_reads(t, path):
    """Skip when this user can read PATH despite its mode (root, CAP_DAC_OVERRIDE)."""
    try:
        if Path(path).is_dir():
            os.listdir(path)
        else:
            with open(path, "rb"):
                pass
    except PermissionError:
        return
    t.skip("this user reads files and directories whatever their mode (root or CAP_DAC_OVERRIDE)")


# ---- A small file system of our own -------------------------------------------------

def mount_tmpfs(t, name="small-disk", size="64k"):
    """Mount a tmpfs of SIZE at t.tmp/NAME (root only; skips the case otherwise)."""
    if not is_root():
        t.skip("mounting a tmpfs needs root")
    mnt = Path(t.tmp, name)
    mnt.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", str(mnt)],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        t.skip("cannot mount a tmpfs: %s" % e)
    if proc.returncode != 0:
        t.skip("cannot mount a tmpfs: %s" % proc.stderr.decode("utf-8", "replace").strip())
    return mnt


def remount_ro(t, mnt):
    proc = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True, timeout=30)
    if proc.returncode != 0:
        umount(mnt)
        t.skip("cannot remount the tmpfs read-only: %s" % proc.stderr.decode("utf-8", "replace").strip())






def main():
    return harness.main(sys.argv)
