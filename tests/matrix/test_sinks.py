#!/usr/bin/env python3
"""--output and --log into places that cannot be written.

For each sink (--output, --log), each place (a missing directory, a read-only directory
by its mode (skipped as root), a read-only mount (root only), a path that is a directory,
a FIFO, a full disk: a 64 KiB tmpfs (root only)) and each mode (one --context, a
--batch of one line):

  - exit 2 and exactly one 'relgate: error:' line, naming the sink's path;
  - stdout: exactly one JSON error decision of kind io naming the path (with --format
    text, nothing at all);
  - what was at the path stays byte for byte as it was, and nothing appears beside it —
    but for an earlier --output file that could not be replaced: it is removed where it
    can be (a full disk), else emptied, else left (a read-only mount), so that it never
    stands for this run's answer;
  - the other sink, given too: an existing --output file holds this run's error when the
    log fails (no answer without its audit record, and no earlier answer left in its
    place); when --output fails the log gains exactly one line, the error decision
    printed (tests/ci/test_log.py: errors are logged too).

meson runs this file alone (is_parallel: false): it mounts small tmpfs file systems.
"""

import json
import os
import sys
from pathlib import Path

import mxhelp
from harness import add_case, case
from mxhelp import (SENTINEL_LOG, SENTINEL_OUTPUT, compact_line, eval_args, expect_one_error, fill,
                    mount_tmpfs, remount_ro, setup, umount)

NAMES = {"output": "out.json", "log": "log.jsonl"}
SENTINELS = {"output": SENTINEL_OUTPUT, "log": SENTINEL_LOG}


def snapshot(directory):
    """{name: bytes or 'dir' or 'fifo'} of DIRECTORY's entries.  A decision log's head
    (LOG.head, its last record's seq and digest) is left out: it follows the log, which
    the error decision is appended to."""
    out = {}
    for name in sorted(n for n in os.listdir(directory) if not n.endswith(".jsonl.head")):
        p = Path(directory, name)
        if p.is_fifo():
            out[name] = "fifo"
        elif p.is_dir():
            out[name] = ("dir", sorted(n for n in os.listdir(p) if not n.endswith(".jsonl.head")))
        else:
            out[name] = p.read_bytes()
    return out


class Place:
    """Where the failing sink points: PATH (relative to t.tmp); WATCH, a directory whose
    entries must not change (None when it does not exist); CLEANUP, what undoes a mount."""

    def __init__(self, path, watch=None, cleanup=None, must_not_exist=None):
        self.path = path
        self.watch = watch
        self.cleanup = cleanup or (lambda: None)
        self.must_not_exist = must_not_exist


def make_place(t, sink, where):
    name = NAMES[sink]
    if where == "missing directory":
        return Place("no-such-dir/" + name, must_not_exist=t.tmp / "no-such-dir")
    if where == "read-only directory (mode)":
        d = t.tmp / "ro"
        d.mkdir()
        if sink == "output":
            (d / name).write_bytes(SENTINELS[sink])   # an existing decision to replace
        d.chmod(0o555)
        if os.access(d, os.W_OK):
            t.skip("this user writes into read-only directories (root or CAP_DAC_OVERRIDE)")
        # An existing log in a read-only directory is still appendable: the log is new.
        return Place("ro/" + name, watch=d)
    if where == "read-only mount":
        mnt = mount_tmpfs(t, "ro-mount", "1m")
        (mnt / name).write_bytes(SENTINELS[sink])
        remount_ro(t, mnt)
        return Place("ro-mount/" + name, watch=mnt, cleanup=lambda: umount(mnt))
    if where == "a directory":
        d = t.tmp / name
        d.mkdir()
        (d / "inside.txt").write_bytes(b"must stay\n")
        return Place(name, watch=t.tmp)
    if where == "a FIFO":
        os.mkfifo(t.tmp / name)
        return Place(name, watch=t.tmp)
    if where == "full disk":
        mnt = mount_tmpfs(t, "small-disk", "64k")
        # A whole page: an append cannot slip into the free end of the file's last page.
        (mnt / name).write_bytes(page_line())
        fill(mnt / "filler")
        return Place("small-disk/" + name, watch=mnt, cleanup=lambda: umount(mnt))
    raise AssertionError(where)


def page_line(size=4096):
    """One JSON line of exactly SIZE bytes."""
    head, tail = b'{"decision":"allow","note":"', b'"}\n'
    return head + b"x" * (size - len(head) - len(tail)) + tail


PLACES = ["missing directory", "read-only directory (mode)", "read-only mount", "a directory", "a FIFO",
          "full disk"]


def sink_case(sink, where, mode):
    other = "log" if sink == "output" else "output"

    def fn(t):
        setup(t)
        t.write("batch.jsonl", compact_line(mxhelp.CONTEXT) + "\n")
        side = t.tmp / "side"
        side.mkdir()
        place = make_place(t, sink, where)
        try:
            formats = ["json", "text"] if mode == "context" else ["json"]
            for fmt in formats:
                if sink == "output" and where == "full disk" and not (t.tmp / place.path).exists():
                    (t.tmp / place.path).write_bytes(page_line())   # the run before removed it: full again
                side_file = side / NAMES[other]
                side_file.write_bytes(SENTINELS[other])
                # A log started afresh goes without the head an earlier run wrote (a gate
                # never appends to a log that lost records its head counts).
                Path(str(side_file) + ".head").unlink(missing_ok=True)
                before = snapshot(t.tmp / place.watch) if place.watch else None
                args = eval_args("--" + sink, place.path, "--" + other, str(side_file), "--format", fmt,
                                 context="context.json" if mode == "context" else None)
                if mode == "batch":
                    args += ["--batch", "batch.jsonl"]
                res = t.run(*args, timeout=10)
                doc = expect_one_error(t, res, "io", place.path, file=place.path if fmt == "json" else None,
                                       json_stdout=fmt == "json")
                if place.watch:
                    expected = dict(before)
                    if sink == "output" and where == "full disk":
                        expected.pop(NAMES[sink])        # removed: it held an earlier answer
                    elif sink == "output" and where == "read-only directory (mode)":
                        expected[NAMES[sink]] = b""      # not removable: emptied
                    t.eq(snapshot(t.tmp / place.watch), expected,
                         "the entries of %s (nothing written or left behind; no earlier answer kept)" % place.watch)
                if place.must_not_exist:
                    t.check(not place.must_not_exist.exists(), "%s was created" % place.must_not_exist)
                got = side_file.read_bytes()
                if other == "output":
                    t.eq(got, res.stdout, "the existing --output file when the log cannot be written: "
                                          "this run's error, as stdout carries it")
                    t.eq(sorted(os.listdir(side)), ["out.json"], "files beside the --output file")
                else:
                    t.check(got.startswith(SENTINEL_LOG), "the log's earlier bytes changed", actual=got[:300])
                    added = got[len(SENTINEL_LOG):].split(b"\n")
                    t.eq(len(added), 2, "lines the failed --output appended to the log (one, the error)")
                    logged = json.loads(added[0])
                    t.check(isinstance(logged.pop("chain", None), dict), "the logged line has no chain",
                            actual=added[0][-200:])
                    t.eq(logged["decision"], "error", "the logged decision")
                    if doc is not None:
                        t.eq(logged, doc, "the logged line vs the error decision on stdout")
        finally:
            place.cleanup()
    add_case("--%s into %s (%s): exit 2, one error naming it, no partial output, no earlier answer kept"
             % (sink, where, "--batch" if mode == "batch" else "--context"), fn)


for _sink in ("output", "log"):
    for _where in PLACES:
        for _mode in ("context", "batch"):
            sink_case(_sink, _where, _mode)


# The batch cases above stop at their first broken promise; these two hold the
# audit-trail promises on their own: the log and the answer agree.

@case("--batch whose --output cannot be written: the log records no verdict the gate did not give")
def _(t):
    setup(t)
    t.write("batch.jsonl", compact_line(mxhelp.CONTEXT) + "\n")
    t.write("log.jsonl", SENTINEL_LOG)
    res = t.run(*eval_args("--batch", "batch.jsonl", "--output", "no-such-dir/out.jsonl", "--log", "log.jsonl",
                           context=None))
    t.expect_exit(res, 2)
    added = (t.tmp / "log.jsonl").read_bytes()[len(SENTINEL_LOG):].splitlines()
    t.eq([json.loads(l)["decision"] for l in added if json.loads(l)["decision"] != "error"], [],
         "verdicts logged for a batch whose answer was an error (its output could not be written)")


@case("--batch whose --log cannot be written: an existing --output file holds the error line alone")
def _(t):
    setup(t)
    t.write("batch.jsonl", compact_line(mxhelp.CONTEXT) + "\n")
    t.write("out.jsonl", SENTINEL_OUTPUT)
    res = t.run(*eval_args("--batch", "batch.jsonl", "--output", "out.jsonl", "--log", "no-such-dir/log.jsonl",
                           context=None))
    t.expect_exit(res, 2)
    got = (t.tmp / "out.jsonl").read_bytes()
    t.eq(got, res.stdout, "the --output file after the log failed: the error line stdout carries")
    t.eq([json.loads(l)["decision"] for l in got.splitlines()], ["error"], "no decision answered, the error alone")


if __name__ == "__main__":
    sys.exit(mxhelp.main())
