#!/usr/bin/env python3
"""The decision log's stores measured (docs/performance.md, "The decision log's stores"):

  make bench-store          (= python3 bench/store.py build/relgate)
  RECORDS=1000000 ONE=2000 WRITERS=32 PER=200 python3 bench/store.py build/relgate

For a JSON-lines file, SQLite and PostgreSQL (a server started here, as the tests do):
- records/s of one writer: a --batch of ONE decisions with --log (each record committed
  before its line is printed), against the same batch without --log;
- records/s of WRITERS concurrent writers, PER decisions each;
- last-good latency with RECORDS records in the store (filled by history import, one
  transaction), median of 15 `relgate history last-good` runs, process start included.
Prints one markdown table.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "store"))
import storehelp  # noqa: E402  (the tests' PostgreSQL server)

RELGATE = str(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "relgate").resolve())
RECORDS = int(os.environ.get("RECORDS", "1000000"))
ONE = int(os.environ.get("ONE", "2000"))
WRITERS = int(os.environ.get("WRITERS", "32"))
PER = int(os.environ.get("PER", "200"))
NOW = "2025-06-10T14:00:00Z"
POLICY = REPO / "tests" / "ci" / "data" / "history" / "gate.lua"
CONTEXT = REPO / "tests" / "ci" / "data" / "history" / "svc-1.0.0.json"


def batch(tmp, n):
    ctx = json.loads(CONTEXT.read_text())
    path = Path(tmp, "batch-%d.jsonl" % n)
    with open(path, "w") as f:
        for i in range(n):
            ctx["release"]["version"] = "1.0.%d" % i
            f.write(json.dumps(ctx) + "\n")
    return path


def gate(path, url=None):
    args = [RELGATE, "eval", "--policy", str(POLICY), "--batch", str(path), "--stage", "pre-release", "--now", NOW]
    if url:
        args += ["--log", url]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed(procs):
    start = time.perf_counter()
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit("a writer failed: %s" % err.decode(errors="replace")[-500:])
    return time.perf_counter() - start


def filled(tmp, n):
    """A JSON-lines log of N small post-deploy records over 1000 releases."""
    path = Path(tmp, "fill-%d.jsonl" % n)
    if not path.exists():
        with open(path, "w") as f:
            for i in range(n):
                f.write(json.dumps({"decision": "allow" if i % 7 else "deny", "stage": "post-deploy",
                                    "release": {"name": "svc-%d" % (i % 1000), "version": "1.%d.0" % (i // 1000)},
                                    "evaluated_at": "2025-%02d-%02dT%02d:%02d:00Z" % (1 + i // 86400 % 12, 1 + i // 3600 % 28,
                                                                                     i // 60 % 24, i % 60)}) + "\n")
    return path


def last_good_ms(url):
    runs = []
    for _ in range(15):
        start = time.perf_counter()
        r = subprocess.run([RELGATE, "history", "last-good", "--log", url, "--release", "svc-777"],
                           capture_output=True)
        runs.append((time.perf_counter() - start) * 1000)
        if r.returncode != 0:
            raise SystemExit("last-good failed: %s" % r.stderr.decode(errors="replace"))
    return statistics.median(runs)


def main():
    tmp = tempfile.mkdtemp(prefix="rgstore-bench.")
    server = storehelp.PostgreSQL()
    urls = {"file": lambda name: str(Path(tmp, name + ".jsonl")),
            "sqlite": lambda name: "sqlite:" + str(Path(tmp, name + ".db"))}
    if server.start():
        urls["postgresql"] = lambda name: server.url(server.database())
    else:
        print("postgresql left out: %s" % server.error, file=sys.stderr)
    one, many = batch(tmp, ONE), batch(tmp, PER)
    base = timed([gate(one)])
    rows = []
    for kind, url_of in urls.items():
        t1 = timed([gate(one, url_of("one"))])
        url = url_of("many")
        timed([gate(batch(tmp, 1), url)])  # the schema, before the writers race
        tn = timed([gate(many, url) for _ in range(WRITERS)])
        big = url_of("big")
        start = time.perf_counter()
        r = subprocess.run([RELGATE, "history", "import", "--log", big, str(filled(tmp, RECORDS))], capture_output=True)
        fill = time.perf_counter() - start
        if r.returncode != 0:
            raise SystemExit("import failed: %s" % r.stderr.decode(errors="replace"))
        rows.append((kind, ONE / t1, (t1 - base) / ONE * 1000, WRITERS * PER / tn, RECORDS / fill, last_good_ms(big)))
    print("| store | 1 writer: records/s | ms per record (beyond the decision) | %d writers: records/s | "
          "import: records/s | last-good at %d records, ms |" % (WRITERS, RECORDS))
    print("|---|---:|---:|---:|---:|---:|")
    for kind, r1, per, rn, imp, lg in rows:
        print("| %s | %.0f | %.2f | %.0f | %.0f | %.1f |" % (kind, r1, per, rn, imp, lg))
    print("\nbatch of %d without --log: %.2f s (%.0f decisions/s)" % (ONE, base, ONE / base))
    server.stop()


if __name__ == "__main__":
    main()
