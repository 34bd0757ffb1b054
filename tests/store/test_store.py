#!/usr/bin/env python3
"""The decision log's stores (docs/ci.md, "Choosing a store"): --log PATH | sqlite:PATH |
postgresql://..., chained records, history verify/export/import, and what happens when a
store fails.

meson runs: python3 test_store.py RELGATE

Every case runs on every back end: a JSON-lines file, SQLite, and a PostgreSQL server
the test starts (storehelp.py; left out, with a note, where it cannot start).
"""

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import storehelp
from storehelp import SERVER, stores
import cihelp
from cihelp import copy_ci, fill, mount_tmpfs, umount
import harness
from harness import Failure, case

# (context, stage, expected decision); the clock advances an hour per run.
SEQUENCE = [
    ("svc-1.0.0", "pre-release", "allow"),
    ("svc-1.0.0", "post-deploy", "allow"),
    ("web-3.0.0", "post-deploy", "allow"),
    ("svc-1.1.0", "post-deploy", "allow"),
    ("web-3.1.0", "post-deploy", "warn"),
    ("svc-1.2.0", "post-deploy", "deny"),
    ("broken", "deploy", "error"),
    ("svc-1.1.0-unhealthy", "post-deploy", "deny"),
    ("svc-1.3.0", "pre-release", "allow"),
    ("web-3.2.0", "post-deploy", "deny"),
]


def clock(n):
    return "2025-06-%02dT%02d:00:00Z" % (1 + n // 24, n % 24)


def run_sequence(t, url):
    docs = []
    for n, (ctx, stage, verdict) in enumerate(SEQUENCE):
        res = t.eval("history/gate.lua", "history/%s.json" % ctx, "--stage", stage, "--log", url, now=clock(n))
        docs.append(t.expect_error(res, "context") if verdict == "error" else t.expect_decision(res, verdict))
    return docs


def history(t, url, *args, code=0):
    res = t.run("history", *args, "--log", url)
    t.expect_exit(res, code)
    return res


def answers(t, url):
    """What the playbook asks a log, as relgate answers it."""
    out = {}
    out["all"] = json.loads(history(t, url, "--format", "json").out)
    out["svc"] = json.loads(history(t, url, "--release", "svc", "--format", "json").out)
    out["denied post-deploy"] = json.loads(history(t, url, "--decision", "deny", "--stage", "post-deploy",
                                                   "--format", "json").out)
    out["allow|warn in a range"] = json.loads(history(t, url, "--decision", "allow", "--decision", "warn",
                                                      "--since", "2025-06-01T02:00:00+00:00",
                                                      "--until", "2025-06-01T04:00:00Z", "--format", "json").out)
    for release in ("svc", "web"):
        out["last-good " + release] = history(t, url, "last-good", "--release", release).out
    out["last-good api"] = history(t, url, "last-good", "--release", "api", code=1).out
    out["verify"] = history(t, url, "verify").out
    return out


def verify(t, url):
    return t.run("history", "verify", "--log", url)


@case("store: the same gate runs give the same answers on a file, SQLite and PostgreSQL")
def _(t):
    copy_ci(t, "history")
    got = {}
    for kind, url in stores(t).items():
        docs = run_sequence(t, url)
        got[kind] = answers(t, url)
        # The post-deploy deny of svc 1.2.0 rolled back to the log's last good svc.
        rollback = [a for a in docs[5]["actions"] if a["type"] == "rollback"]
        t.eq(rollback[0]["target"], "1.1.0", "%s: the rollback target of svc 1.2.0" % kind)
    t.eq(got["file"]["verify"], "whole: %d records chained\n" % len(SEQUENCE), "history verify")
    t.eq(got["file"]["last-good svc"], "1.1.0\n", "last-good svc")
    t.eq(got["file"]["last-good web"], "3.1.0\n", "last-good web (a warn passes)")
    t.eq([e["decision"] for e in got["file"]["allow|warn in a range"]], ["allow", "allow", "warn"],
         "allow or warn between 02:00 and 04:00")
    t.eq(len(got["file"]["denied post-deploy"]), 3, "post-deploy denies")
    for kind in got:
        t.eq(got[kind], got["file"], "%s answers vs the file's" % kind)


@case("store: import and export carry the same chained records through every back end")
def _(t):
    copy_ci(t, "history")
    urls = stores(t)
    # An old, unchained log (as relgate wrote before chains): verify names its first record.
    run_sequence(t, urls["file"])
    old = Path(t.tmp, "old.jsonl")
    lines = [json.loads(l) for l in Path(urls["file"]).read_text().splitlines()]
    old.write_text("".join(json.dumps({k: v for k, v in d.items() if k != "chain"}) + "\n" for d in lines))
    res = verify(t, str(old))
    t.expect_exit(res, 1)
    t.contains(res.out, "record 1 has no chain", "verify of an unchained log")
    exports = {}
    for kind, url in stores(t).items():
        if kind == "file":
            url = str(Path(t.tmp, "imported.jsonl"))
        res = t.run("history", "import", "--log", url, str(old))
        t.expect_exit(res, 0)
        t.contains(res.err, "imported %d records" % len(SEQUENCE), "import into %s" % kind)
        t.eq(verify(t, url).out, "whole: %d records chained\n" % len(SEQUENCE), "verify after import (%s)" % kind)
        exports[kind] = history(t, url, "export").out
    for kind in exports:
        t.eq(exports[kind], exports["file"], "export of %s vs the file's (byte for byte)" % kind)
    # From standard input (a pipe), as from a file.
    piped = "sqlite:" + str(Path(t.tmp, "piped.db"))
    res = t.run("history", "import", "--log", piped, "-", stdin=old.read_bytes())
    t.expect_exit(res, 0)
    t.eq(history(t, piped, "export").out, exports["file"], "export after importing standard input")
    t.eq([{k: v for k, v in json.loads(l).items() if k != "chain"} for l in exports["file"].splitlines()],
         [json.loads(l) for l in old.read_text().splitlines()], "the records exported vs the old log")


def tamper_file(path, how):
    lines = Path(path).read_text().splitlines(keepends=True)
    if how == "edit":
        lines[3] = lines[3].replace('"allow"', '"deny"', 1)
    elif how == "remove":
        del lines[3]
    elif how == "reorder":
        lines[3], lines[4] = lines[4], lines[3]
    elif how == "insert":
        lines.insert(3, lines[2])
    elif how == "truncate":
        lines = lines[:-2]
    Path(path).write_text("".join(lines))


def tamper_sql(execute, how):
    if how == "edit":
        execute("UPDATE relgate_decisions SET line = replace(line, '\"allow\"', '\"deny\"') WHERE seq = 4")
    elif how == "remove":
        execute("DELETE FROM relgate_decisions WHERE seq = 4")
    elif how == "reorder":
        execute("UPDATE relgate_decisions SET seq = -1 WHERE seq = 4")
        execute("UPDATE relgate_decisions SET seq = 4 WHERE seq = 5")
        execute("UPDATE relgate_decisions SET seq = 5 WHERE seq = -1")
    elif how == "insert":
        execute("UPDATE relgate_decisions SET seq = seq + 1000 WHERE seq >= 4")
        execute("UPDATE relgate_decisions SET seq = seq - 999 WHERE seq >= 1000")
        execute("INSERT INTO relgate_decisions (seq, digest, prev, line) SELECT 4, digest, prev, line"
                " FROM relgate_decisions WHERE seq = 3")
    elif how == "truncate":
        execute("DELETE FROM relgate_decisions WHERE seq > 8")


EXPECT = {"edit": "record 4", "remove": "record 4", "reorder": "record 4", "insert": "record 4",
          "truncate": "removed from its end"}


@case("store: history verify finds an edited, removed, reordered or inserted record, and a cut tail")
def _(t):
    copy_ci(t, "history")
    for how in ("edit", "remove", "reorder", "insert", "truncate"):
        for kind, url in stores(t).items():
            if kind == "file":
                url = str(Path(t.tmp, "log-%s.jsonl" % how))
            elif kind == "sqlite":
                url = "sqlite:" + str(Path(t.tmp, "log-%s.db" % how))
            run_sequence(t, url)
            if kind == "file":
                tamper_file(url, how)
            elif kind == "sqlite":
                db = sqlite3.connect(url[len("sqlite:"):])
                tamper_sql(db.execute, how)
                db.commit()
                db.close()
            else:
                database = url.split("/")[3].split("?")[0]
                tamper_sql(lambda sql: SERVER.psql(database, sql), how)
            res = verify(t, url)
            if res.rc != 1:
                raise Failure("%s: history verify of a log with a record %s exits %d" % (kind, how, res.rc),
                              expected="exit 1 naming the first broken record", actual={"out": res.out, "err": res.err})
            t.contains(res.out, EXPECT[how], "%s, %s: what verify names" % (kind, how))
            # The next gate never launders it: its record is refused (the file's head counts
            # records the file lost) or chained after the damage, which verify still names
            # (hostile round 10, F02: a cut JSONL tail verified whole after one more append).
            res = t.eval("history/gate.lua", "history/svc-1.3.0.json", "--stage", "pre-release", "--log", url,
                         now=clock(len(SEQUENCE)))
            if kind == "file" and how == "truncate":
                t.expect_error(res, "io", mentions=("its head records record 10", "nothing is appended after a cut"))
            res = verify(t, url)
            t.eq(res.rc, 1, "%s, %s: history verify after the next gate's run" % (kind, how))
            # Nor does an import: a chained log verify calls tampered is refused (F07).
            if kind == "file":
                res = t.run("history", "import", "--log", "sqlite:" + str(Path(t.tmp, "import-%s.db" % how)), url)
                t.expect_exit(res, 2)
                t.contains(res.err, "is not whole", "import of a log with a record %s" % how)


@case("store: a store that cannot be reached is an error before anything is evaluated; no password shown")
def _(t):
    copy_ci(t, "history")
    urls = ["postgresql://relgate:s3cret-pw@127.0.0.1:1/gate?connect_timeout=5",
            "postgres://relgate@/gate?host=%s&password=s3cret-pw" % Path(t.tmp, "no-such-dir"),
            "sqlite:" + str(Path(t.tmp, "missing-dir", "log.db"))]
    for url in urls:
        res = t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release", "--log", url)
        doc = t.expect_error(res, "io", file=None, file_on_stderr=False)
        t.check("s3cret" not in res.out + res.err, "the password shows in the output", actual=res.out + res.err)
        t.contains(res.err, "decision log", "stderr names the log")
        t.check(doc["decision"] == "error", "an error decision", actual=doc)
        res = t.run("history", "--log", url)
        t.expect_exit(res, 2)
        t.check("s3cret" not in res.out + res.err, "the password shows in history's output", actual=res.err)
    # The environment names the store as well (CI sets it once, as a secret).
    res = t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release",
                 env=dict(os.environ, RELGATE_LOG=urls[0]))
    t.expect_error(res, "io", file=None, file_on_stderr=False)


def batch_file(t, n, name="batch.jsonl"):
    ctx = json.loads(Path(t.tmp, "history", "svc-1.0.0.json").read_text())
    lines = []
    for i in range(n):
        ctx["release"]["version"] = "1.0.%d" % i
        lines.append(json.dumps(ctx))
    t.write(name, "\n".join(lines) + "\n")
    return name


@case("store: 32 writers x 200 decisions (batch) into one store: every record once, the chain whole")
def _(t):
    copy_ci(t, "history")
    writers, per = (8, 50) if storehelp.SANITIZED else (32, 200)
    batch = batch_file(t, per)
    for kind, url in stores(t, ("sqlite", "postgresql")).items():
        procs = [subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "history/gate.lua", "--batch", batch, "--stage",
                                   "pre-release", "--now", clock(0), "--log", url], cwd=t.tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(writers)]
        errors = [p.communicate(timeout=600)[1] for p in procs]
        codes = [p.returncode for p in procs]
        failed = [e for e, c in zip(errors, codes) if c != 0]
        t.eq(codes, [0] * writers, "%s: writers' exit codes (a failed one's stderr: %s)"
             % (kind, (failed or errors)[0][-300:]))
        res = verify(t, url)
        t.eq(res.out, "whole: %d records chained\n" % (writers * per), "%s: history verify" % kind)
        exported = [json.loads(l) for l in history(t, url, "export").out.splitlines()]
        t.eq([e["chain"]["seq"] for e in exported], list(range(1, writers * per + 1)), "%s: the seqs" % kind)
        versions = sorted(e["release"]["version"] for e in exported)
        t.eq(versions, sorted("1.0.%d" % i for i in range(per) for _ in range(writers)),
             "%s: each writer's records, once each" % kind)


@case("store: a writer killed mid-batch leaves whole records only; what it printed is stored")
def _(t):
    copy_ci(t, "history")
    batch = batch_file(t, 3000)
    for kind, url in stores(t).items():
        res = t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release", "--log", url)
        t.expect_decision(res, "allow")
        for delay in (0.3, 0.6):
            out = Path(t.tmp, "out.jsonl")
            with open(out, "wb") as f:
                p = subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "history/gate.lua", "--batch", batch, "--stage",
                                      "pre-release", "--now", clock(0), "--log", url], cwd=t.tmp, stdout=f,
                                     stderr=subprocess.DEVNULL)
                time.sleep(delay)
                p.send_signal(signal.SIGKILL)
                p.wait()
            printed = [l for l in out.read_bytes().split(b"\n") if l.endswith(b"}")]
            res = verify(t, url)
            t.expect_exit(res, 0)
            stored = int(res.out.split()[1])
            # Stored before printed: never an answer without its record (at most one
            # record committed whose line was not yet written).
            t.check(len(printed) <= stored, "%s: more decisions printed (%d) than stored (%d)" % (kind, len(printed), stored))
        # The next writer continues the chain.
        res = t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release", "--log", url)
        t.expect_decision(res, "allow")
        t.expect_exit(verify(t, url), 0)


@case("store: PostgreSQL going away mid-batch: exit 2 naming the store, nothing printed that was not stored")
def _(t):
    # A server of its own: the other cases keep theirs running meanwhile.
    server = storehelp.PostgreSQL()
    if not server.start():
        t.skip("no PostgreSQL server here: %s" % server.error)
    copy_ci(t, "history")
    url = server.url(server.database())
    batch = batch_file(t, 4000)
    out = Path(t.tmp, "out.jsonl")
    with open(out, "wb") as f:
        p = subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "history/gate.lua", "--batch", batch, "--stage",
                              "pre-release", "--now", clock(0), "--log", url], cwd=t.tmp, stdout=f,
                             stderr=subprocess.PIPE)
        # Stopped once the batch has decided (and so stored) something: a fixed sleep came
        # before the first record on a slow box, and then there was no log to verify.
        deadline = time.monotonic() + 60
        while out.stat().st_size == 0 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        server.down("immediate")
        err = p.communicate(timeout=120)[1].decode(errors="replace")
    server.up()
    t.eq(p.returncode, 2, "exit code when the server went away")
    t.contains(err, "decision log", "stderr")
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    t.check(lines and lines[-1]["decision"] == "error", "the last line is an error", actual=lines[-1:])
    decided = [l for l in lines if l["decision"] != "error"]
    res = verify(t, url)
    t.expect_exit(res, 0)
    stored = int(res.out.split()[1])
    t.check(len(decided) <= stored, "decisions printed (%d) but not stored (%d)" % (len(decided), stored))


@case("store: a policy stopped by the watchdog is recorded, chained, in SQLite and PostgreSQL")
def _(t):
    copy_ci(t, "history")
    copy_ci(t, "log", "gate")   # gate/watchdog.lua: a backtracking pattern only the watchdog stops
    for kind, url in stores(t, ("sqlite", "postgresql")).items():
        res = t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release", "--log", url)
        t.expect_decision(res, "allow")
        res = t.eval("gate/watchdog.lua", "history/svc-1.0.0.json", "--log", url, "--timeout", "1", timeout=60)
        t.expect_error(res, "limit", file=None, file_on_stderr=False)
        exported = [json.loads(l) for l in history(t, url, "export").out.splitlines()]
        t.eq([e["decision"] for e in exported], ["allow", "error"], "%s: the records" % kind)
        t.contains(exported[1]["error"]["message"], "time limit", "%s: the watchdog's record" % kind)
        t.expect_exit(verify(t, url), 0)


@case("store: SQLite on a full disk: exit 2 naming the store, the database as it was")
def _(t):
    copy_ci(t, "history")
    mnt = mount_tmpfs(t, size="1m")
    try:
        url = "sqlite:" + str(mnt / "log.db")
        for n in range(2):
            t.expect_decision(t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release",
                                     "--log", url, now=clock(n)), "allow")
        before = history(t, url, "export").out
        fill(mnt / "filler")
        res = t.eval("history/gate.lua", "history/svc-1.1.0.json", "--stage", "pre-release", "--log", url, now=clock(5))
        t.expect_error(res, "io", file=None, file_on_stderr=False)
        t.contains(res.err, url, "stderr names the store")
        os.remove(mnt / "filler")
        t.eq(history(t, url, "export").out, before, "the records after the failed append")
        t.expect_exit(verify(t, url), 0)
        res = t.eval("history/gate.lua", "history/svc-1.1.0.json", "--stage", "pre-release", "--log", url, now=clock(6))
        t.expect_decision(res, "allow")
        t.eq(verify(t, url).out, "whole: 3 records chained\n", "verify once there is room")
    finally:
        umount(mnt)


@case("store: a store written by a newer relgate (schema version 2) is refused, not written")
def _(t):
    copy_ci(t, "history")
    for kind, url in stores(t, ("sqlite", "postgresql")).items():
        t.expect_decision(t.eval("history/gate.lua", "history/svc-1.0.0.json", "--stage", "pre-release",
                                 "--log", url), "allow")
        sql = "UPDATE relgate_meta SET value = '2' WHERE key = 'schema_version'"
        if kind == "sqlite":
            db = sqlite3.connect(url[len("sqlite:"):])
            db.execute(sql)
            db.commit()
            db.close()
        else:
            SERVER.psql(url.split("/")[3].split("?")[0], sql)
        for args in (["eval", "--policy", "history/gate.lua", "--context", "history/svc-1.1.0.json", "--log", url],
                     ["history", "--log", url]):
            res = t.run(*args)
            t.expect_exit(res, 2)
            t.contains(res.err, "newer", "%s: relgate %s" % (kind, args[0]))


if __name__ == "__main__":
    cihelp.main()
