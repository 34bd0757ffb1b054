#!/usr/bin/env python3
"""Two (or more) builds of relgate side by side, run in turn so that the box's drift falls
on each alike: the peers' cold decision, or with --batch their 10,000 contexts at -j 2.
Prints, per build, the median wall time and the median CPU of every process it waited for
(user + system), as docs/performance.md quotes them.

  python3 bench/ab.py [--batch] RUNS RELGATE_A RELGATE_B...
  python3 bench/ab.py 80 ../before/build/relgate build/relgate

PEERS (default ../shared/peers) holds the inputs; --batch reads DATA (default
/tmp/peers-data)/contexts-10k.jsonl, made by the peers' setup.sh.  Every run must decide
(exit 0 or 1; a batch 2 too: 99 of those lines are context errors, as bench.sh notes):
anything else stops the comparison."""
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("PEERS", REPO.parent / "shared" / "peers")).resolve()
DATA = Path(os.environ.get("DATA", "/tmp/peers-data"))
NOW = "2025-06-10T09:00:00Z"
POLICY = REPO / "bench" / "peers.lua"
EVIDENCE_PATH = re.compile(r'("(?:ci_status|security_scan|release_notes|backup_manifest)"\s*:\s*")/')   # as bench.sh


def cold_args(relgate):
    return [relgate, "eval", "--policy", str(POLICY), "--evidence-root", str(PEERS / "inputs"), "--now", NOW,
            "--context", str(PEERS / "inputs" / "minor" / "context.json")]


def batch_args(relgate, contexts):
    return [relgate, "eval", "--policy", str(POLICY), "--evidence-root", "/", "--now", NOW, "-j", "2",
            "--batch", contexts]


def timed(args, decided=(0, 1)):
    """(wall ms, CPU ms) of one run, which must end with an exit status in DECIDED."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc not in decided:
        sys.exit("ab: %s exited %d" % (" ".join(args), rc))
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall * 1e3, cpu * 1e3


def main(argv):
    batch = argv[:1] == ["--batch"]
    argv = argv[1:] if batch else argv
    if len(argv) < 3 or not argv[0].isdigit():
        sys.exit(__doc__)
    runs, builds = int(argv[0]), [str(Path(b).resolve()) for b in argv[1:]]
    if not (PEERS / "inputs").is_dir():
        print("ab: the peers are not at %s (set PEERS=...): skipped" % PEERS)
        sys.exit(77)   # meson's "skipped"
    with tempfile.TemporaryDirectory() as tmp:
        if batch:
            # Absolute evidence paths, as the peers write them, under --evidence-root /: the
            # contexts rewritten to paths relative to their own (temporary) directory.
            up = "../" * (len(Path(tmp).resolve().parts) - 1)
            contexts = Path(tmp, "contexts-10k.jsonl")
            contexts.write_text(EVIDENCE_PATH.sub(lambda m: m.group(1) + up, (DATA / "contexts-10k.jsonl").read_text()))
            make = lambda b: batch_args(b, str(contexts))   # noqa: E731
        else:
            make = cold_args
        decided = (0, 1, 2) if batch else (0, 1)
        for b in builds:   # warm the page cache and each build's plugin cache
            timed(make(b), decided)
        walls = [[] for _ in builds]
        cpus = [[] for _ in builds]
        for _ in range(runs):
            for i, b in enumerate(builds):
                wall, cpu = timed(make(b), decided)
                walls[i].append(wall)
                cpus[i].append(cpu)
    unit, scale = ("s", 1e-3) if batch else ("ms", 1)
    for i, b in enumerate(builds):
        print("%s: wall median %.3g %s, CPU median %.3g %s (%d runs)" % (
            b, statistics.median(walls[i]) * scale, unit, statistics.median(cpus[i]) * scale, unit, runs))


if __name__ == "__main__":
    main(sys.argv[1:])
