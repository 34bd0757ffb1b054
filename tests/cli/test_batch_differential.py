#!/usr/bin/env python3
"""Differential test of eval --batch: every line is decided exactly as a single
`eval --context` of the same context decides it (every field but timings).

Batches are random (seeded) mixes of the examples under examples/ and of mutations of
them that a reused plugin result must not survive:

  - the same evidence bytes at another path and with other modification times;
  - backups given as directories (fresh, 40 days old, empty) and as plain files with the
    same bytes but other modification times;
  - scan reports over a small --max-check-evidence-size, HIGH findings against clean;
  - evidence missing (at different paths) or not declared;
  - failing and passing lines interleaved, lines repeated;

each run with -j 1, 2 and 4.  A failure prints its seed: RG_DIFF_SEED=<seed> replays it.

Environment (the long mode, `make fuzz`, sets RG_DIFF_ROUNDS):
  RG_DIFF_ROUNDS  seeds tried (default 2)       RG_DIFF_LINES  lines a batch (default 36)
  RG_DIFF_SEED    the first seed (default: random)
"""

import json
import os
import random
import re
import shutil
import time

from pathlib import Path
import sys
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import NOW, NOW_EPOCH, POLICY, REPO, Failure, case, main

EXAMPLES = REPO / "examples"
DAY = 86400
SMALL_CAP = "12K"     # below the examples' SARIF reports, above their CI reports


def example_dirs():
    return sorted(p.parent for p in EXAMPLES.glob("*/*/*/context.json"))


class Pool:
    """Contexts (one JSON line each) whose evidence lies under t.tmp."""

    def __init__(self, t, rng):
        self.t = t
        self.rng = rng
        self.lines = []       # (label, line)
        self.n = 0

    def fresh_dir(self, what):
        self.n += 1
        rel = "ev/%s-%d" % (what, self.n)
        (self.t.tmp / rel).mkdir(parents=True)
        return rel

    def add(self, label, doc):
        self.lines.append((label, json.dumps(doc, sort_keys=True)))

    def example(self, src, mtime=None):
        """The example in SRC with its evidence copied to a directory of its own (the
        same bytes, modification time MTIME when given); its context."""
        rel = self.fresh_dir(src.name)
        doc = json.loads((src / "context.json").read_text())
        ev = doc.get("evidence") or {}
        for name, path in list(ev.items()):
            if not (src / path).is_file():
                continue
            dest = self.t.tmp / rel / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / path, dest)
            if mtime is not None:
                os.utime(dest, (mtime, mtime))
            ev[name] = "%s/%s" % (rel, path)
        return doc


def backup_context(pool, backup_rel):
    """The minor release with data migrations (backup required), its backup at BACKUP_REL."""
    doc = pool.example(EXAMPLES / "minor/deploy/data-migration-backed-up")
    doc["evidence"]["backup"] = backup_rel
    return doc


def add_backup_dirs(pool):
    for kind in ("fresh", "old", "empty"):
        rel = pool.fresh_dir("backup-dir-" + kind)
        if kind != "empty":
            f = pool.t.tmp / rel / "payments.dump"
            f.write_bytes(b"PGDMP" + b"\0" * 4096)
            when = NOW_EPOCH - 3600 if kind == "fresh" else NOW_EPOCH - 40 * DAY
            os.utime(f, (when, when))
        pool.add("backup dir " + kind, backup_context(pool, rel))


def add_backup_files(pool):
    """The same bytes (a gzip archive) as fresh and as 40-day-old backup files."""
    data = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 16
    for kind, when in (("fresh", NOW_EPOCH - 3600), ("old", NOW_EPOCH - 40 * DAY)):
        rel = pool.fresh_dir("backup-file-" + kind) + "/backup.tar.gz"
        (pool.t.tmp / rel).write_bytes(data)
        os.utime(pool.t.tmp / rel, (when, when))
        pool.add("backup file " + kind, backup_context(pool, rel))


def add_big_scans(pool):
    """Reports larger than SMALL_CAP: one with a HIGH finding, one clean, padded apart."""
    for src in ("major/pre-release/high-vulnerability", "major/pre-release/pass"):
        doc = pool.example(EXAMPLES / src)
        path = pool.t.tmp / doc["evidence"]["security_scan"]
        text = path.read_bytes().rstrip()
        path.write_bytes(text + b" " * (16384 + pool.rng.randrange(4096)) + b"\n")
        pool.add("big scan " + src, doc)


def add_absent_evidence(pool):
    """Scan reports and CI reports that are missing (at two paths) or not declared at all."""
    for k in (1, 2):
        doc = pool.example(EXAMPLES / "minor/pre-release/pass")
        doc["evidence"]["security_scan"] = "ev/nowhere-%d/scan.sarif" % k
        pool.add("missing scan %d" % k, doc)
    doc = pool.example(EXAMPLES / "minor/pre-release/pass")
    del doc["evidence"]["ci"]
    pool.add("undeclared ci", doc)


def build_pool(t, rng):
    pool = Pool(t, rng)
    for src in example_dirs():
        label = "/".join(src.parts[-3:])
        pool.add(label, pool.example(src))
        # The same bytes again, at another path, modified at another time.
        if rng.random() < 0.5:
            pool.add(label + " (other mtime)", pool.example(src, mtime=NOW_EPOCH - rng.randrange(1, 60) * DAY))
    add_backup_dirs(pool)
    add_backup_files(pool)
    add_big_scans(pool)
    add_absent_evidence(pool)
    return pool


def batch_lines(pool, rng, count):
    """COUNT lines: every mutation at least once, the rest at random, some repeated."""
    must = [l for l in pool.lines if l[0].startswith(("backup", "big scan", "missing", "undeclared"))]
    chosen = must + [rng.choice(pool.lines) for _ in range(max(0, count - len(must)))]
    rng.shuffle(chosen)
    for _ in range(count // 6):   # duplicates, next to and far from their twin
        i = rng.randrange(len(chosen))
        chosen.insert(rng.randrange(len(chosen) + 1), chosen[i])
    return chosen


def comparable(doc):
    """DOC without what legitimately differs: timings, and the context's file name (a
    batch line is named after the batch)."""
    doc = json.loads(json.dumps(doc))
    for r in doc.get("requirements", []):
        r.pop("duration_ms", None)
    if isinstance(doc.get("context"), dict):
        doc["context"].pop("file", None)
    if doc.get("decision") == "error":   # where an error was met differs: file and line
        return {"decision": "error", "kind": doc["error"]["kind"]}
    return doc


def first_difference(a, b, where="$"):
    if type(a) is not type(b):
        return where, a, b
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s" % (where, k), a.get(k, "<absent>"), b.get(k, "<absent>")
            d = first_difference(a[k], b[k], "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return where + " (length)", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else (where, a, b)


def single(t, line, cap, memo):
    """The decision (and exit code) of LINE evaluated alone, from a file of the same bytes."""
    key = (line, cap)
    if key not in memo:
        name = "single-%d.json" % len(memo)
        t.write(name, line)
        res = t.run("eval", "--policy", str(POLICY), "--context", name, "--now", NOW, *cap)
        memo[key] = (res.rc, json.loads(res.stdout))
    return memo[key]


def one_round(t, seed, lines_each):
    rng = random.Random(seed)
    shutil.rmtree(t.tmp / "ev", ignore_errors=True)
    pool = build_pool(t, rng)
    memo = {}
    for small in (False, True):
        cap = ("--max-check-evidence-size", SMALL_CAP) if small else ()
        chosen = batch_lines(pool, rng, lines_each)
        t.write("batch.jsonl", "".join(line + "\n" for _, line in chosen))
        for jobs in ("1", "2", "4"):
            res = t.run("eval", "--policy", str(POLICY), "--batch", "batch.jsonl", "--now", NOW,
                        "--jobs", jobs, *cap)
            out = res.stdout.decode().splitlines()
            where = "seed %d, -j %s%s" % (seed, jobs, ", cap " + SMALL_CAP if small else "")
            if len(out) != len(chosen):
                raise Failure("%s: %d output lines for %d contexts" % (where, len(out), len(chosen)))
            worst = 0
            for i, ((label, line), got) in enumerate(zip(chosen, out), 1):
                rc, alone = single(t, line, cap, memo)
                worst = max(worst, rc)
                diff = first_difference(comparable(json.loads(got)), comparable(alone))
                if diff:
                    raise Failure("%s: line %d (%s) differs from its eval --context at %s "
                                  "(replay: RG_DIFF_SEED=%d)" % (where, i, label, diff[0], seed),
                                  expected=diff[2], actual=diff[1])
            if jobs == "1":
                # A reused result took no time: the batch must have reused some, or the
                # comparison proved nothing about reuse.
                reused = sum(1 for got in out for r in json.loads(got).get("requirements", [])
                             if r["check"] != "lua" and r["duration_ms"] == 0)
                if reused == 0:
                    raise Failure("%s: no plugin result was reused in the whole batch" % where)
            if res.rc != worst:
                raise Failure("%s: batch exit code %d, the worst single one %d (replay: RG_DIFF_SEED=%d)"
                              % (where, res.rc, worst, seed), expected=worst, actual=res.rc)


@case("every line of a random batch is decided as eval --context decides it alone (-j 1, 2, 4)")
def _(t):
    rounds = int(os.environ.get("RG_DIFF_ROUNDS", "2"))
    lines_each = int(os.environ.get("RG_DIFF_LINES", "36"))
    first = int(os.environ.get("RG_DIFF_SEED", str(random.SystemRandom().randrange(1 << 30))))
    started = time.time()
    for k in range(rounds):
        t.note("seed %d" % (first + k))
        one_round(t, first + k, lines_each)
    t.note("%d round(s) in %.1f s" % (rounds, time.time() - started))


@case("the mutations make a difference: fresh and stale backups, HIGH and clean reports decide apart")
def _(t):
    # A differential test whose mutations all decide alike could not catch a reused result.
    pool = build_pool(t, random.Random(1))
    by_label = dict(pool.lines)
    memo = {}
    def decision(label, cap=()):
        return single(t, by_label[label], cap, memo)[1]["decision"]
    t.eq(decision("backup dir fresh"), "allow", "a fresh backup directory")
    t.eq(decision("backup dir old"), "deny", "a 40-day-old backup directory")
    t.eq(decision("backup dir empty"), "deny", "an empty backup directory")
    t.eq(decision("backup file fresh"), "allow", "a fresh backup file")
    t.eq(decision("backup file old"), "deny", "the same bytes, 40 days old")
    cap = ("--max-check-evidence-size", SMALL_CAP)
    t.eq(decision("big scan major/pre-release/high-vulnerability", cap), "deny", "an oversized HIGH report")
    t.eq(decision("big scan major/pre-release/pass", cap), "allow", "an oversized clean report")


if __name__ == "__main__":
    main()
