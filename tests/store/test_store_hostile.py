#!/usr/bin/env python3
"""The decision log's SQL stores against a hostile or failing database (hostile round 12):
what another user of the database can do to the tables, a server that never answers, a
URL that holds a password, and server-side defaults relgate must not inherit.  Each case
fails on the code before its fix.

meson runs: python3 test_store_hostile.py RELGATE
"""

import base64
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import storehelp
from storehelp import SERVER, stores
import cihelp
from cihelp import copy_ci
import harness
from harness import case


def clock(n):
    return "2025-06-01T%02d:00:00Z" % n


def gate(t, url, context, stage="post-deploy", n=0, **kw):
    return t.eval("history/gate.lua", "history/%s.json" % context, "--stage", stage, "--log", url, now=clock(n), **kw)


def verify(t, url):
    return t.run("history", "verify", "--log", url)


def sql_runner(kind, url):
    """A function running one SQL statement on the store at URL, as another user of the
    database would."""
    if kind == "sqlite":
        def run(statement):
            db = sqlite3.connect(url[len("sqlite:"):])
            db.execute(statement)
            db.commit()
            db.close()
        return run
    database = url.split("/")[3].split("?")[0]
    return lambda statement: SERVER.psql(database, statement)


@case("store: a rule or trigger that swallows a record or the head's update: the gate refuses the store (exit 2), "
      "nothing committed, verify names it")
def _(t):
    copy_ci(t, "history")
    swallow = {
        "sqlite": ["CREATE TRIGGER swallow BEFORE INSERT ON relgate_decisions BEGIN SELECT RAISE(IGNORE); END",
                   "CREATE TRIGGER swallow BEFORE UPDATE ON relgate_head BEGIN SELECT RAISE(IGNORE); END"],
        "postgresql": ["CREATE RULE swallow AS ON INSERT TO relgate_decisions DO INSTEAD NOTHING",
                       "CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';"
                       " CREATE TRIGGER swallow BEFORE UPDATE ON relgate_head FOR EACH ROW EXECUTE FUNCTION nothing()"],
    }
    for kind in ("sqlite", "postgresql"):
        for n, statement in enumerate(swallow[kind]):
            urls = stores(t, (kind,))
            if kind not in urls:
                continue
            url = urls[kind]
            if kind == "sqlite":
                url = "sqlite:" + str(Path(t.tmp, "swallow-%d.db" % n))
            t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
            sql_runner(kind, url)(statement)
            # A writer opens only a store as relgate made it (the read-back before each commit,
            # for a hook added after it opened the store, is tests/serve's "a trigger added").
            res = gate(t, url, "svc-1.1.0", n=1)
            t.expect_error(res, "io", file=None, file_on_stderr=False,
                           mentions=("swallow", "relgate writes only to a store as it made it"))
            # The record chained before stays; verify names what was added to the store.
            res = verify(t, url)
            t.expect_exit(res, 1)
            t.contains(res.out, "%s swallow" % ("trigger" if "TRIGGER" in statement else "rule"),
                       "%s, %s: verify names it" % (kind, statement[:40]))
            t.eq(t.run("history", "export", "--log", url).out.count("\n"), 1, "%s: the record before" % kind)


@case("store: an index copy edited in the store (deny made allow): last-good and the rollback target refuse, "
      "verify names it")
def _(t):
    copy_ci(t, "history")
    for kind, url in stores(t, ("sqlite", "postgresql")).items():
        t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
        t.expect_decision(gate(t, url, "svc-1.1.0-unhealthy", n=1), "deny")
        sql_runner(kind, url)("UPDATE relgate_decisions SET decision = 'allow' WHERE seq = 2")
        res = t.run("history", "last-good", "--release", "svc", "--log", url)
        t.expect_exit(res, 2)
        t.contains(res.err, "record seq 2's decision in the store's index is not the record's own", "%s: last-good" % kind)
        # The gate's own lookup: its deny takes no target from the damaged log, nor the
        # context's previous_version, which the log may know better than (round 15, F08);
        # it says why.
        doc = t.expect_decision(gate(t, url, "svc-1.2.0", n=2), "deny")
        rollback = [a for a in doc["actions"] if a["type"] == "rollback"]
        t.check(rollback and rollback[0]["target"] is None and rollback[0]["source"].startswith("none:") and
                "damaged" in rollback[0]["source"], "%s: the rollback" % kind, actual=doc["actions"])
        res = verify(t, url)
        t.expect_exit(res, 1)
        t.contains(res.out, "its decision in the store's index is not the record's own", "%s: verify" % kind)


@case("store: a SQL store that answers what the query did not ask (a collation changed), or whose newest record "
      "is not its head's: last-good and the rollback refuse (round 15, F05, F06)")
def _(t):
    copy_ci(t, "history")
    url = "sqlite:" + str(Path(t.tmp, "log.db"))
    for n, (name, environment) in enumerate((("svc-1.0.0", "production"), ("svc-1.1.0", "PRODUCTION"))):
        ctx = json.loads(Path(t.tmp, "history", name + ".json").read_text())
        ctx["release"]["environment"] = environment
        t.write("%s-%s.json" % (name, environment), json.dumps(ctx))
        res = t.eval("history/gate.lua", "%s-%s.json" % (name, environment), "--stage", "post-deploy", "--log", url,
                     now=clock(n))
        t.expect_decision(res, "allow")
    res = t.run("history", "last-good", "--log", url, "--release", "svc", "--environment", "production")
    t.eq((res.rc, res.out), (0, "1.0.0\n"), "last-good in production, as written")
    # The column made case-insensitive: no record touched, the database now answers
    # PRODUCTION's pass for production.
    db = sqlite3.connect(url[len("sqlite:"):])
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'relgate_decisions'").fetchone()[0]
    db.executescript("PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '%s' WHERE name = "
                     "'relgate_decisions'; PRAGMA writable_schema = OFF;"
                     % sql.replace("environment TEXT", "environment TEXT COLLATE NOCASE").replace("'", "''"))
    db.close()
    res = t.run("history", "last-good", "--log", url, "--release", "svc", "--environment", "production")
    t.expect_exit(res, 2)
    t.contains(res.err, "was answered for a query it does not match", "last-good over the edited collation")
    # The newest record rewritten whole (digest and copies too), the head left as it was.
    url2 = "sqlite:" + str(Path(t.tmp, "log2.db"))
    t.expect_decision(gate(t, url2, "svc-1.0.0"), "allow")
    db = sqlite3.connect(url2[len("sqlite:"):])
    line = db.execute("SELECT line FROM relgate_decisions WHERE seq = 1").fetchone()[0]
    edited = line.replace('"1.0.0"', '"6.6.6"', 1)
    db.execute("UPDATE relgate_decisions SET line = ?, digest = ?, release_version = '6.6.6' WHERE seq = 1",
               (edited, hashlib.sha256(edited.encode()).hexdigest()))
    db.commit()
    db.close()
    res = t.run("history", "last-good", "--log", url2, "--release", "svc")
    t.expect_exit(res, 2)
    t.contains(res.err, "the last record (seq 1) is not the one the log's head names", "last-good over a rewritten tail")


@case("store: an index or catalogue edited so that the filtered queries answer otherwise than the records while the "
      "whole log reads as written: verify names it (round 18, F05)")
def _(t):
    copy_ci(t, "history")
    urls = stores(t, ("sqlite", "postgresql"))
    if "postgresql" in urls:
        # The gate as a role of its own that owns the store, not the superuser, whom
        # row-level security never binds.
        database = urls["postgresql"].split("/")[3].split("?")[0]
        role = "gate_" + database
        SERVER.psql("postgres", "CREATE ROLE %s LOGIN; ALTER DATABASE %s OWNER TO %s" % (role, database, role))
        urls["postgresql"] = urls["postgresql"].replace("relgate@", role + "@")
    for kind, url in urls.items():
        for n, name in enumerate(("svc-1.0.0", "svc-1.1.0")):
            t.expect_decision(gate(t, url, name, n=n), "allow")
        res = verify(t, url)
        t.eq((res.rc, res.out), (0, "whole: 2 records chained\n"), "%s: verify as written" % kind)
    path = urls["sqlite"][len("sqlite:"):]
    pristine = Path(path).read_bytes()

    def sqlite_edit(script, reopen=None):
        Path(path).write_bytes(pristine)
        db = sqlite3.connect(path)
        db.executescript(script)
        db.close()
        if reopen:
            db = sqlite3.connect(path)
            db.executescript(reopen)
            db.close()
        return verify(t, urls["sqlite"])

    def schema_text(sql):
        return ("PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '%s' WHERE name = "
                "'relgate_decisions_release'; PRAGMA writable_schema = OFF;" % sql.replace("'", "''"))

    db = sqlite3.connect(path)
    index = db.execute("SELECT sql FROM sqlite_master WHERE name = 'relgate_decisions_release'").fetchone()[0]
    db.close()
    # The release index rebuilt without the newest allow, its statement then put back as it
    # was: the schema reads as relgate's, the query skips seq 2.
    res = sqlite_edit(schema_text(index + " WHERE seq <> 2"), "REINDEX relgate_decisions_release;" + schema_text(index))
    t.eq(t.run("history", "last-good", "--log", urls["sqlite"], "--release", "svc").out, "1.0.0\n",
         "sqlite: the query skips the newest allow")
    t.expect_exit(res, 1)
    t.contains(res.out, "row 2 missing from index relgate_decisions_release", "sqlite: verify finds the index")
    for what, script in (("trigger watch", "CREATE TRIGGER watch AFTER INSERT ON relgate_decisions BEGIN SELECT 1; END"),
                         ("index mine", "CREATE INDEX mine ON relgate_decisions (stage)"),
                         ("table relgate_decisions", "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = "
                          "replace(sql, 'stage TEXT', 'stage TEXT COLLATE NOCASE') WHERE name = 'relgate_decisions'"),
                         ("index relgate_decisions_release", schema_text(index + " WHERE seq <> 2")),
                         ("table relgate_meta", "DROP INDEX relgate_decisions_time; PRAGMA writable_schema = ON;"
                          " UPDATE sqlite_master SET sql = replace(sql, 'value TEXT', 'value BLOB')"
                          " WHERE name = 'relgate_meta'")):
        res = sqlite_edit(script)
        t.expect_exit(res, 1)
        t.contains(res.out, "the store's schema holds %s that relgate did not make" % what, "sqlite: " + what)
    res = sqlite_edit("DROP INDEX relgate_decisions_time")
    t.expect_exit(res, 1)
    t.contains(res.out, "the store's schema lacks a table or index relgate made", "sqlite: an index dropped")
    # ANALYZE's statistics change plans, not answers: the store stays whole.
    res = sqlite_edit("ANALYZE")
    t.eq((res.rc, res.out), (0, "whole: 2 records chained\n"), "sqlite: after ANALYZE")
    # VACUUM and a copy made with SQLite's backup API (what the shell's .backup does), as
    # docs/ci.md advises for replicating the file, are relgate's store still.
    res = sqlite_edit("VACUUM")
    t.eq((res.rc, res.out), (0, "whole: 2 records chained\n"), "sqlite: after VACUUM")
    Path(path).write_bytes(pristine)
    copy = Path(t.tmp, "copy.db")
    src, dst = sqlite3.connect(path), sqlite3.connect(str(copy))
    src.backup(dst)
    src.close()
    dst.close()
    t.eq(verify(t, "sqlite:" + str(copy)).out, "whole: 2 records chained\n", "sqlite: a .backup copy")
    t.expect_decision(gate(t, "sqlite:" + str(copy), "svc-1.1.0", n=3), "allow")
    # A writer does not append to a schema of someone else's: a trigger, or the tables a
    # replication tool adds to the file (litestream's, as docs/ci.md says).
    sqlite_edit("CREATE TRIGGER watch AFTER INSERT ON relgate_decisions BEGIN SELECT 1; END")
    t.expect_error(gate(t, urls["sqlite"], "svc-1.0.0", n=3), "io", file=None, file_on_stderr=False,
                   mentions=("trigger watch", "relgate writes only to a store as it made it"))
    sqlite_edit("CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)")
    t.expect_error(gate(t, urls["sqlite"], "svc-1.0.0", n=3), "io", file=None, file_on_stderr=False,
                   mentions=("table _litestream_seq", "relgate writes only to a store as it made it"))
    # The same store rebuilt in UTF-16: SQLite hands C a converted copy of each text, which
    # drops an odd trailing byte that its comparisons keep (round 19, F01). Not read at all.
    Path(path).write_bytes(pristine)
    utf16 = Path(t.tmp, "utf16.db")
    src = sqlite3.connect(path)
    db = sqlite3.connect(str(utf16))
    db.execute("PRAGMA encoding = 'UTF-16le'")
    for sql, in src.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall():
        db.execute(sql)
    for table in ("relgate_meta", "relgate_decisions", "relgate_head"):
        for row in src.execute("SELECT * FROM %s" % table):
            db.execute("INSERT INTO %s VALUES (%s)" % (table, ", ".join("?" * len(row))), row)
    db.commit()
    db.close()
    src.close()
    for args in (("verify",), ("last-good", "--release", "svc")):
        res = t.run("history", *args, "--log", "sqlite:" + str(utf16))
        t.expect_exit(res, 2)
        t.contains(res.err, "keeps its text as UTF-16le, not as the UTF-8 relgate creates it with", "sqlite: UTF-16")
    if "postgresql" not in urls:
        return
    url = urls["postgresql"]
    run = lambda statement: SERVER.psql(database, "SET ROLE %s; %s" % (role, statement))
    # Row-level security, forced on the owner, hiding the newest allow from the queries that
    # filter by release; the walk of the whole log (no such filter) still reads it.
    run("ALTER TABLE relgate_decisions ENABLE ROW LEVEL SECURITY; ALTER TABLE relgate_decisions FORCE ROW LEVEL "
        "SECURITY; CREATE POLICY hide ON relgate_decisions USING (seq <> 2 OR current_query() NOT LIKE "
        "'%release_name =%')")
    t.eq(t.run("history", "last-good", "--log", url, "--release", "svc").out, "1.0.0\n",
         "postgresql: the query skips the newest allow")
    res = verify(t, url)
    t.expect_exit(res, 1)
    t.contains(res.out, "the store's catalogue is not as relgate made it: row-level security is on for relgate_decisions",
               "postgresql: verify finds the row-level security")
    run("ALTER TABLE relgate_decisions NO FORCE ROW LEVEL SECURITY; ALTER TABLE relgate_decisions DISABLE ROW "
        "LEVEL SECURITY")
    res = verify(t, url)
    t.expect_exit(res, 1)
    t.contains(res.out, "policy hide is on relgate_decisions", "postgresql: the policy left")
    run("DROP POLICY hide ON relgate_decisions")
    # A search path that puts a schema before pg_catalog: no session reads the store at all.
    run("ALTER DATABASE %s SET search_path = public, pg_catalog" % database)
    for res in (verify(t, url), gate(t, url, "svc-1.0.0", n=3)):
        t.expect_exit(res, 2)
        t.contains(res.err, "the search path puts schema public before pg_catalog", "postgresql: the search path")
    run("ALTER DATABASE %s RESET search_path" % database)
    # Tables of relgate's names in a second schema on the search path, a full copy for
    # another role to read while the gates write the first (round 20, F02): refused.
    run("CREATE SCHEMA copy; CREATE TABLE copy.relgate_decisions AS TABLE relgate_decisions;"
        " ALTER DATABASE %s SET search_path = \"$user\", copy, public" % database)
    res = verify(t, url)
    t.expect_exit(res, 2)
    t.contains(res.err, "tables of relgate's names are in schemas copy and public, both on the search path",
               "postgresql: two schemas")
    run("ALTER DATABASE %s RESET search_path; DROP SCHEMA copy CASCADE" % database)
    # The owner's view named relgate_meta in a schema first on the path, calling their code
    # (round 20, F01): the store is found by the catalogue, and two schemas are refused.
    run("CREATE SCHEMA shade; CREATE FUNCTION shade.hook() RETURNS text LANGUAGE sql AS $$SELECT '1'$$;"
        " CREATE VIEW shade.relgate_meta AS SELECT 'schema_version'::text AS key, shade.hook() AS value;"
        " ALTER DATABASE %s SET search_path = shade, public" % database)
    res = verify(t, url)
    t.expect_exit(res, 2)
    t.contains(res.err, "tables of relgate's names are in schemas public and shade", "postgresql: a shade schema")
    run("ALTER DATABASE %s RESET search_path; DROP SCHEMA shade CASCADE" % database)
    for what, statement, undo in (
            ("column relgate_decisions.stage is missing, added, or not of relgate's type",
             "ALTER TABLE relgate_decisions ALTER COLUMN stage TYPE varchar",
             "ALTER TABLE relgate_decisions ALTER COLUMN stage TYPE text"),
            ("relation relgate_head is missing, not an ordinary table",
             "ALTER TABLE relgate_head RENAME TO head_kept; CREATE VIEW relgate_head AS SELECT * FROM head_kept",
             "DROP VIEW relgate_head; ALTER TABLE head_kept RENAME TO relgate_head"),
            # Round 19: what runs the database's own code in relgate's statements, or loses
            # what they wrote.
            ("relation relgate_decisions is missing, not an ordinary table, or not kept in the write-ahead log",
             "ALTER TABLE relgate_decisions SET UNLOGGED", "ALTER TABLE relgate_decisions SET LOGGED"),
            ("constraint fine is on relgate_decisions",
             "ALTER TABLE relgate_decisions ADD CONSTRAINT fine CHECK (seq > 0) NOT VALID",
             "ALTER TABLE relgate_decisions DROP CONSTRAINT fine"),
            ("a default is on column relgate_decisions.stage",
             "ALTER TABLE relgate_decisions ALTER COLUMN stage SET DEFAULT 'deploy'",
             "ALTER TABLE relgate_decisions ALTER COLUMN stage DROP DEFAULT"),
            ("column relgate_decisions.note is missing, added",
             "ALTER TABLE relgate_decisions ADD COLUMN note text", "ALTER TABLE relgate_decisions DROP COLUMN note"),
            ("computes expressions or has a predicate",
             "CREATE INDEX mine ON relgate_decisions (lower(stage))", "DROP INDEX mine"),
            ("trigger watch is on relgate_head",
             "CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
             " CREATE TRIGGER watch BEFORE UPDATE ON relgate_head FOR EACH ROW EXECUTE FUNCTION nothing()",
             "DROP TRIGGER watch ON relgate_head")):
        run(statement)
        res = verify(t, url)
        t.expect_exit(res, 1)
        t.contains(res.out, what, "postgresql: " + what)
        t.expect_error(gate(t, url, "svc-1.0.0", n=3), "io", file=None, file_on_stderr=False,
                       mentions=(what, "relgate writes only to a store as it made it"))
        run(undo)
    # A plain index of someone else's changes plans, not answers.
    run("CREATE INDEX mine ON relgate_decisions (stage)")
    res = verify(t, url)
    t.eq((res.rc, res.out), (0, "whole: 2 records chained\n"), "postgresql: verify once undone")


@case("store: a record slipped in past the head (chained, with plain SHA-256): verify names it, last-good refuses it")
def _(t):
    copy_ci(t, "history")
    for kind, url in stores(t, ("sqlite", "postgresql")).items():
        t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
        line, digest = export_last(t, url)
        forged = json.loads(line)
        forged["release"]["version"] = "6.6.6"
        forged["chain"] = {"seq": 2, "prev": digest}
        text = json.dumps(forged, separators=(",", ":"))
        sql_runner(kind, url)(
            "INSERT INTO relgate_decisions (seq, release_name, release_version, environment, stage, decision,"
            " evaluated_at, digest, prev, line) VALUES (2, 'svc', '6.6.6', NULL, 'post-deploy', 'allow', '%s', '%s', '%s', '%s')"
            % (forged["evaluated_at"], hashlib.sha256(text.encode()).hexdigest(), digest, text.replace("'", "''")))
        res = verify(t, url)
        t.expect_exit(res, 1)
        t.contains(res.out, "records were inserted past it", "%s: verify" % kind)
        res = t.run("history", "last-good", "--release", "svc", "--log", url)
        t.expect_exit(res, 2)
        t.contains(res.err, "past the log's head", "%s: last-good" % kind)


def export_last(t, url):
    res = t.run("history", "export", "--log", url)
    t.expect_exit(res, 0)
    line = res.out.splitlines()[-1]
    return line, hashlib.sha256(line.encode()).hexdigest()


@case("store: PostgreSQL waiting for a synchronous standby that is down: exit 2 within RELGATE_STORE_TIMEOUT")
def _(t):
    server = storehelp.PostgreSQL()   # its own: the setting is the whole server's
    if not server.start():
        t.skip("no PostgreSQL server here: %s" % server.error)
    copy_ci(t, "history")
    url = server.url(server.database())
    t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
    server.psql("postgres", "ALTER SYSTEM SET synchronous_standby_names = 'standby_that_is_down'")
    server.psql("postgres", "SELECT pg_reload_conf()")
    time.sleep(0.5)
    start = time.monotonic()
    res = gate(t, url, "svc-1.1.0", n=1, env={"RELGATE_STORE_TIMEOUT": "3"}, timeout=60)
    took = time.monotonic() - start
    t.expect_error(res, "io", file=None, file_on_stderr=False, mentions=("cannot commit", "did not answer within 3 s"))
    t.check(took < 30, "the gate waited %.0f s" % took)
    server.stop()


class SilentProxy:
    """TCP on 127.0.0.1 to the server's Unix socket; once silent, it forwards nothing (no
    reset, no end): a network partition as the gate's socket sees it."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.silent = False
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.done = False
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while not self.done:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.socket_path)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    def pump(self, a, b):
        a.settimeout(0.2)
        while not self.done:
            try:
                data = a.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            if not self.silent:
                b.sendall(data)

    def close(self):
        self.done = True
        self.listener.close()


@case("store: a PostgreSQL connection gone silent after connecting: exit 2 within RELGATE_STORE_TIMEOUT")
def _(t):
    if not SERVER.start():
        t.skip("no PostgreSQL server here: %s" % SERVER.error)
    copy_ci(t, "history")
    proxy = SilentProxy(str(SERVER.dir / ".s.PGSQL.5432"))
    try:
        url = "postgresql://relgate@127.0.0.1:%d/%s" % (proxy.port, SERVER.database())
        t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
        # The gate connects first (the store before anything is evaluated), then reads its
        # context from standard input: the silence starts in between.
        proc = subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "history/gate.lua", "--context", "-",
                                 "--stage", "post-deploy", "--now", clock(1), "--log", url], cwd=t.tmp,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, RELGATE_STORE_TIMEOUT="3"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and SERVER.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE "
                                                          "application_name = 'relgate' AND state = 'idle'").strip() != "1":
            time.sleep(0.1)
        proxy.silent = True
        start = time.monotonic()
        out, err = proc.communicate(Path(t.tmp, "history", "svc-1.1.0.json").read_bytes(), timeout=60)
        took = time.monotonic() - start
        t.eq(proc.returncode, 2, "exit code")
        t.contains(err.decode(), "did not answer within 3 s", "stderr")
        t.eq(json.loads(out)["decision"], "error", "the decision printed")
        t.check(took < 30, "the gate waited %.0f s" % took)
    finally:
        proxy.close()


@case("store: a PostgreSQL server that never answers the connection (connect_timeout=0 or none): exit 2 "
      "within the bound")
def _(t):
    copy_ci(t, "history")
    # A listener that never accepts: the kernel completes the handshake, libpq sends its
    # startup packet and waits for an answer that never comes.
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        for query, env, bound in (("?connect_timeout=0", {"RELGATE_STORE_TIMEOUT": "2"}, "2 s"),
                                  ("?connect_timeout=2", {}, "2 s"),
                                  ("", {"RELGATE_STORE_TIMEOUT": "1"}, "1 s")):
            url = "postgresql://relgate:Hunter2pw@127.0.0.1:%d/gate%s" % (port, query)
            start = time.monotonic()
            res = gate(t, url, "svc-1.0.0", env=env, timeout=40)
            took = time.monotonic() - start
            t.expect_error(res, "io", file=None, file_on_stderr=False)
            t.contains(res.err, "did not answer within %s" % bound, "stderr, " + query)
            t.check("Hunter2pw" not in res.err + res.out, "the password is not shown")
            t.check(took < 15, "the gate waited %.0f s with %r" % (took, query))
    finally:
        listener.close()


@case("store: no password of a PostgreSQL URL is ever shown, however the URL spells it")
def _(t):
    copy_ci(t, "history")
    nowhere = Path(t.tmp, "no-such-dir")
    urls = ["postgresql://gate:Hunter2%%pw@/gate?host=%s" % nowhere,                          # libpq quotes the bad escape
            "postgresql://gate@/gate?host=%s&sslpassword=Hunter2key&password=Hunter2pw" % nowhere,  # a second password=
            "postgresql://gate@/gate?host=%s&pass%%77ord=Hunter2pw" % nowhere,                # libpq decodes the key
            "postgresql://gate:Hunter2@pw@/gate?host=%s" % nowhere,                           # '@' in the password
            "postgresql://gate:Hunter2/pw@db.invalid:5432/gate",   # '/': libpq reads "Hunter2" as the port (round 13)
            "postgresql://gate:Hunter2?pw@db.invalid/gate",
            "postgresql://gate:Hunter2#pw@db.invalid/gate"]
    for url in urls:
        res = gate(t, url, "svc-1.0.0")
        t.expect_error(res, ("io", "usage"), file=None, file_on_stderr=False)
        res2 = verify(t, url)
        t.expect_exit(res2, 2)
        shown = res.out + res.err + res2.out + res2.err
        t.check("Hunter2" not in shown, "a password shows for %s" % url, actual=shown[-1500:])


@case("store: PostgreSQL defaults of the database (REPEATABLE READ, another client encoding) change nothing stored")
def _(t):
    if not SERVER.start():
        t.skip("no PostgreSQL server here: %s" % SERVER.error)
    copy_ci(t, "history")
    # Writers queue on the head row whatever isolation the database defaults to.
    database = SERVER.database()
    SERVER.psql("postgres", "ALTER DATABASE %s SET default_transaction_isolation = 'repeatable read'" % database)
    url = SERVER.url(database)
    t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
    procs = [subprocess.Popen([str(harness.RELGATE), "eval", "--policy", "history/gate.lua", "--context",
                               "history/svc-1.0.0.json", "--stage", "pre-release", "--now", clock(1), "--log", url],
                              cwd=t.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(12)]
    errors = [p.communicate(timeout=120)[1].decode(errors="replace") for p in procs]
    t.eq([p.returncode for p in procs], [0] * 12, "12 writers at once (a failed one's stderr: %s)"
         % next((e for e in errors if e), "")[-300:])
    t.eq(verify(t, url).out, "whole: 13 records chained\n", "verify")
    # A release name beyond ASCII, written by a gate whose environment asks for LATIN1.
    url = SERVER.url(SERVER.database())
    ctx = json.loads(Path(t.tmp, "history", "svc-1.0.0.json").read_text())
    ctx["release"]["name"] = "caf\u00e9"
    t.write("cafe.json", json.dumps(ctx))
    res = t.eval("history/gate.lua", "cafe.json", "--stage", "post-deploy", "--log", url, now=clock(0),
                 env={"PGCLIENTENCODING": "LATIN1"})
    t.expect_decision(res, "allow")
    t.eq(verify(t, url).out, "whole: 1 record chained\n", "verify of the record written under LATIN1")
    res = t.run("history", "last-good", "--release", "caf\u00e9", "--log", url)
    t.eq((res.rc, res.out), (0, "1.0.0\n"), "last-good caf\u00e9")


@case("store: SQLite held by another connection's exclusive lock: exit 2 after the minute writers wait, not later")
def _(t):
    copy_ci(t, "history")
    url = "sqlite:" + str(Path(t.tmp, "log.db"))
    t.expect_decision(gate(t, url, "svc-1.0.0"), "allow")
    holder = sqlite3.connect(url[len("sqlite:"):], isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("SELECT count(*) FROM relgate_decisions").fetchall()
    try:
        start = time.monotonic()
        res = gate(t, url, "svc-1.1.0", n=1, timeout=150)
        took = time.monotonic() - start
    finally:
        holder.close()
    t.expect_error(res, "io", file=None, file_on_stderr=False, mentions=("locked",))
    t.check(took < 90, "the gate waited %.0f s for the lock (the bound is 60 s)" % took)


def make_key(t, name):
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    name + ".pem"], cwd=t.tmp, check=True, capture_output=True, timeout=60)
    os.chmod(Path(t.tmp, name + ".pem"), 0o600)
    subprocess.run(["openssl", "pkey", "-in", name + ".pem", "-pubout", "-out", name + ".pub"], cwd=t.tmp, check=True,
                   capture_output=True, timeout=60)


def signed_setup(t, *keys):
    """The history fixtures, a key pair for each of KEYS, and signed-NAME.json: the
    contexts with the release artifacts a signed decision needs."""
    import shutil
    if not shutil.which("openssl"):
        t.skip("the openssl command is not installed")
    copy_ci(t, "history")
    for key in keys:
        make_key(t, key)
    for name in ("svc-1.0.0", "svc-1.1.0-unhealthy", "svc-1.3.0"):
        ctx = json.loads(Path(t.tmp, "history", name + ".json").read_text())
        ctx["release"]["artifacts"] = [{"name": "app.tar.gz", "digest": {"sha256": "ab" * 32}}]
        t.write("signed-%s.json" % name, json.dumps(ctx))


def signed_log(t, steps, *keys):
    """signed_setup(KEYS), then the SQLite log pristine.db of STEPS, [(context, verdict)],
    each decided post-deploy (clock 0, 1, ...) by a gate signing with gate.pem: its path."""
    signed_setup(t, *keys)
    pristine = Path(t.tmp, "pristine.db")
    for n, (name, verdict) in enumerate(steps):
        res = t.eval("history/gate.lua", name + ".json", "--stage", "post-deploy", "--log", "sqlite:" + str(pristine),
                     "--attest", "gate.intoto.jsonl", "--signing-key", "gate.pem", now=clock(n))
        t.eq(json.loads(res.out)["decision"], verdict, name)
    return pristine


def split_record(line):
    """A record's line as the gate wrote it, before its chain (the text its signed
    position covers), and that position (None: none)."""
    at = line.rindex(',"chain":{"seq":')
    return line[:at] + "}", json.loads(line)["chain"].get("position")


def write_chain(db, records):
    """Store RECORDS, [(text without a chain, position or None)], as the whole SQLite log
    DB, chained anew with plain SHA-256, index copies and head included -- each keeping
    the signed position it is given: what anyone who can write the store can do."""
    db.execute("DELETE FROM relgate_decisions")
    prev = "0" * 64
    for seq, (body, position) in enumerate(records, 1):
        chain = '"seq":%d,"prev":"%s"' % (seq, prev)
        if position is not None:
            chain += ',"position":' + json.dumps(position, separators=(",", ":"))
        text = body[:-1] + ',"chain":{' + chain + '}}'
        entry = json.loads(text)
        release = entry.get("release") or {}
        digest = hashlib.sha256(text.encode()).hexdigest()
        db.execute("INSERT INTO relgate_decisions (seq, release_name, release_version, environment, stage, decision, "
                   "evaluated_at, digest, prev, line) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (seq, release.get("name"), release.get("version"), release.get("environment"), entry.get("stage"),
                    entry.get("decision"), entry.get("evaluated_at"), digest, prev, text))
        prev = digest
    db.execute("UPDATE relgate_head SET seq = ?, digest = ? WHERE id = 1", (len(records), prev))
    db.commit()


def log_records(db):
    return [split_record(line) for (line,) in db.execute("SELECT line FROM relgate_decisions ORDER BY seq")]


def rechain(db, edit):
    """Apply EDIT(seq, entry) to every record of the SQLite log DB (entry without its
    chain; an entry left alone keeps its text), then chain them all anew."""
    records = []
    for seq, (body, position) in enumerate(log_records(db), 1):
        entry = json.loads(body)
        edit(seq, entry)
        if entry != json.loads(body):
            body = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        records.append((body, position))
    write_chain(db, records)


@case("store: history verify --public-key holds every decision to its own signed attestation: an edit re-chained "
      "with plain SHA-256 is found")
def _(t):
    # the error decision is never signed (its position is)
    pristine = signed_log(t, (("signed-svc-1.0.0", "allow"), ("signed-svc-1.1.0-unhealthy", "deny"),
                              ("signed-svc-1.3.0", "allow"), ("history/broken", "error")), "gate", "other")
    url = "sqlite:" + str(pristine)
    signed = ("--public-key", "gate.pub")
    res = t.run("history", "verify", "--log", url, *signed)
    t.eq((res.rc, res.out), (0, "whole: 4 records chained, every decision signed\n"), "verify of the log as written")
    res = t.run("history", "verify", "--log", url, "--public-key", "other.pub")
    t.expect_exit(res, 1)
    t.contains(res.out, "record 1 (seq 1) its attestation does not verify with the keys given", "another key")

    def tampered(name, edit):
        copy = Path(t.tmp, name + ".db")
        copy.write_bytes(pristine.read_bytes())
        db = sqlite3.connect(str(copy))
        rechain(db, edit)
        db.close()
        plain = t.run("history", "verify", "--log", "sqlite:" + str(copy))
        t.eq((plain.rc, plain.out), (0, "whole: 4 records chained\n"), "%s: the chain alone calls it whole" % name)
        res = t.run("history", "verify", "--log", "sqlite:" + str(copy), *signed)
        t.expect_exit(res, 1)
        return res.out

    def deny_to_allow(seq, entry):
        if seq == 2:
            entry["decision"] = "allow"
            for r in entry["requirements"]:
                r["status"] = "pass"
    t.contains(tampered("edited", deny_to_allow), "record 2 (seq 2) its attestation signs another decision: the "
               "record's decision is not the one signed", "a deny made allow")

    def stripped(seq, entry):
        if seq == 2:
            entry["decision"] = "allow"
            del entry["attestation"]
    t.contains(tampered("stripped", stripped), "record 2 (seq 2) carries no attestation", "the attestation removed")
    first = {}

    def pasted(seq, entry):
        if seq == 1:
            first.update(entry["attestation"])
        if seq == 2:
            entry["decision"] = "allow"
            entry["attestation"] = first
    t.contains(tampered("pasted", pasted), "record 2 (seq 2) its attestation signs another decision", "another's pasted")

    # Read two ways (round 13, F02): a second "decision" that a reader keeping the last key reads.
    copy = Path(t.tmp, "twice.db")
    copy.write_bytes(pristine.read_bytes())
    db = sqlite3.connect(str(copy))
    records = log_records(db)
    records[1] = (records[1][0][:-1] + ',"decision":"allow"}', records[1][1])
    write_chain(db, records)
    db.close()
    res = t.run("history", "verify", "--log", "sqlite:" + str(copy), *signed)
    t.expect_exit(res, 1)
    t.contains(res.out, "record 2 holds a key twice", "a second decision member")
    res = t.run("history", "--log", "sqlite:" + str(copy))
    t.expect_exit(res, 2)

    # A signed decision rewritten as an "error" that still reads as one (round 13, F03).
    def as_error(seq, entry):
        if seq == 2:
            entry["decision"] = "error"
            del entry["attestation"]
    t.contains(tampered("as-error", as_error), "record 2 (seq 2) reads \"error\" but is shaped as a decision",
               "a deny rewritten as an unsigned error")
    res = t.run("history", "verify", "--log", url, "--threshold", "2", *signed)
    t.expect_exit(res, 2)   # a threshold of 2 needs 2 distinct keys



@case("store: history verify --public-key finds a signed record replayed, moved or removed, and positions stripped, "
      "even after the log was chained anew (round 13, F04)")
def _(t):
    pristine = signed_log(t, (("signed-svc-1.0.0", "allow"), ("history/broken", "error"),
                              ("signed-svc-1.1.0-unhealthy", "deny"), ("signed-svc-1.3.0", "allow")), "gate")
    url = "sqlite:" + str(pristine)
    signed = ("--public-key", "gate.pub")
    res = t.run("history", "verify", "--log", url, *signed)
    t.eq((res.rc, res.out), (0, "whole: 4 records chained, every decision signed\n"), "verify of the log as written")
    db = sqlite3.connect(str(pristine))
    pristine_records = log_records(db)
    db.close()
    t.eq([p is not None for _, p in pristine_records], [True, True, True, True],
         "every record's position is signed, the error decision's too")
    statement = json.loads(base64.b64decode(json.loads(pristine_records[0][0])["attestation"]["payload"]))
    t.eq(statement["predicate"]["https://relgate.dev/decision/v1"]["log_position"], "signed",
         "the attestation says the position is signed")

    def tampered(name, change):
        copy = Path(t.tmp, name + ".db")
        copy.write_bytes(pristine.read_bytes())
        db = sqlite3.connect(str(copy))
        write_chain(db, change(list(pristine_records)))
        db.close()
        plain = t.run("history", "verify", "--log", "sqlite:" + str(copy))
        t.eq(plain.rc, 0, "%s: the chain alone calls it whole" % name)
        res = t.run("history", "verify", "--log", "sqlite:" + str(copy), *signed)
        t.expect_exit(res, 1)
        return res.out

    # The first allow replayed after the deny and the later allow: last-good would go back to 1.0.0.
    out = tampered("replayed", lambda r: r + [r[0]])
    t.contains(out, "record 5 (seq 5) is not where, or not what, its signed position says", "a record replayed")
    # The deny removed from the middle: the next record's position names another predecessor.
    out = tampered("removed", lambda r: r[:2] + r[3:])
    t.contains(out, "record 3 (seq 3) is not where, or not what, its signed position says", "a record removed")
    # Two records swapped.
    out = tampered("swapped", lambda r: [r[0], r[1], r[3], r[2]])
    t.contains(out, "record 3 (seq 3) is not where", "two records swapped")
    # The deny replaced by a genuine-looking error decision (unsigned, as errors are), without a position.
    error_body = pristine_records[1][0]
    out = tampered("as-error", lambda r: [r[0], r[1], (error_body, None), r[3]])
    t.contains(out, "record 3 (seq 3) has no signed position", "a deny made an error")
    # Every position stripped (the log passed off as one written before positions were signed).
    out = tampered("stripped", lambda r: [(body, None) for body, _ in r])
    t.contains(out, "record 1 (seq 1) has lost its signed position", "positions stripped")
    # A position moved to another record at the same place.
    out = tampered("moved", lambda r: [r[0], r[1], (r[3][0], r[2][1]), (r[2][0], r[3][1])])
    t.contains(out, "record 3 (seq 3) is not where, or not what", "positions swapped between records")

    # Records the gate never wrote, appended after the signed ones: a made-up error
    # decision (unsigned, as errors are) has no position to show (round 14, F01).
    forged = json.loads(pristine_records[1][0])
    forged["id"] = "f" * 32
    out = tampered("forged-error", lambda r: r + [(json.dumps(forged, separators=(",", ":")), None)])
    t.contains(out, "record 5 (seq 5) has no signed position, though every record from seq 1 has one", "a forged error")
    # A decision the key signed outside any log (eval --attest without --log: a dry run)
    # put into the log, the log rebuilt without positions (round 14, F03).
    res = t.eval("history/gate.lua", "signed-svc-1.3.0.json", "--stage", "post-deploy", "--attest", "dry.intoto.jsonl",
                 "--signing-key", "gate.pem", now=clock(9))
    t.expect_decision(res, "allow")
    dry = res.out.strip()[:-1] + ',"attestation":' + Path(t.tmp, "dry.intoto.jsonl").read_text().strip() + "}"
    out = tampered("dry-run", lambda r: [(dry, None)])
    t.contains(out, "record 1 (seq 1) carries an attestation made for no decision log", "a dry run's decision")

    # The watchdog's error record (a policy stopped inside a library call) is signed too.
    copy_ci(t, "log", "gate")
    res = t.eval("gate/watchdog.lua", "signed-svc-1.0.0.json", "--timeout", "1", "--log", "watchdog-log.jsonl",
                 "--attest", "gate.intoto.jsonl", "--signing-key", "gate.pem", timeout=60)
    t.expect_error(res, "limit")
    res = t.run("history", "verify", "--log", "watchdog-log.jsonl", *signed)
    t.eq((res.rc, res.out), (0, "whole: 1 record chained, every decision signed\n"), "the watchdog's record")
    t.check("position" in json.loads(Path(t.tmp, "watchdog-log.jsonl").read_text())["chain"],
            "the watchdog's record has its position signed")

    # A batch signs each record's position too, in a JSON-lines log.
    t.write("batch.jsonl", "".join(Path(t.tmp, "signed-%s.json" % n).read_text().replace("\n", "") + "\n"
                                   for n in ("svc-1.0.0", "svc-1.1.0-unhealthy", "svc-1.3.0")))
    res = t.run("eval", "--policy", "history/gate.lua", "--batch", "batch.jsonl", "--stage", "post-deploy", "--log",
                "batch-log.jsonl", "--attest", "batch.intoto.jsonl", "--signing-key", "gate.pem", "--now", clock(5))
    t.expect_exit(res, 1)
    res = t.run("history", "verify", "--log", "batch-log.jsonl", *signed)
    t.eq((res.rc, res.out), (0, "whole: 3 records chained, every decision signed\n"), "verify of the batch's log")
    lines = Path(t.tmp, "batch-log.jsonl").read_text().splitlines()
    t.eq([("position" in json.loads(line)["chain"]) for line in lines], [True] * 3, "the batch's positions")

    # history import keeps the signed positions where it rebuilds the same chain (into an
    # empty log, another store), and refuses to put them anywhere else.
    imported = "sqlite:" + str(Path(t.tmp, "imported.db"))
    res = t.run("history", "import", "--log", imported, url)
    t.expect_exit(res, 0)
    res = t.run("history", "verify", "--log", imported, *signed)
    t.eq((res.rc, res.out), (0, "whole: 4 records chained, every decision signed\n"), "verify of the imported log")
    res = t.run("history", "import", "--log", imported, url)
    t.expect_exit(res, 2)
    t.contains(res.err, "a log with signed positions is imported only into an empty log", "an import after records")
    res = t.run("history", "verify", "--log", imported, *signed)
    t.eq((res.rc, res.out), (0, "whole: 4 records chained, every decision signed\n"), "nothing was imported")
    # A log begun by a gate without the key (an error record, before positions), then signed:
    # imported as it is, each record's own text, and it verifies there as in the source.
    res = t.eval("history/gate.lua", "history/broken.json", "--stage", "post-deploy", "--log", "mixed.jsonl",
                 now=clock(1))
    t.expect_exit(res, 2)
    res = t.eval("history/gate.lua", "signed-svc-1.0.0.json", "--stage", "post-deploy", "--log", "mixed.jsonl",
                 "--attest", "gate.intoto.jsonl", "--signing-key", "gate.pem", now=clock(2))
    t.expect_decision(res, "allow")
    mixed = "sqlite:" + str(Path(t.tmp, "mixed.db"))
    t.expect_exit(t.run("history", "import", "--log", mixed, "mixed.jsonl"), 0)
    for log in ("mixed.jsonl", mixed):
        res = t.run("history", "verify", "--log", log, *signed)
        t.eq((res.rc, res.out), (0, "whole: 2 records chained, every decision signed\n"), "verify of " + log)

@case("store: a rollback target is taken from a signed log only where its signatures show it: history last-good "
      "--public-key, a post-deploy deny's lookup with --signing-key")
def _(t):
    pristine = signed_log(t, (("signed-svc-1.0.0", "allow"), ("history/broken", "error"),
                              ("signed-svc-1.3.0", "allow")), "gate", "other")
    url = "sqlite:" + str(pristine)
    signing = ("--attest", "gate.intoto.jsonl", "--signing-key", "gate.pem")
    db = sqlite3.connect(str(pristine))
    records = log_records(db)
    db.close()
    signed = ("--public-key", "gate.pub")

    def last_good(log, *keys):
        return t.run("history", "last-good", "--release", "svc", "--log", log, *keys)

    def rollback_target(log):
        """A deny at post-deploy, its gate signing the log: the rollback action it gives."""
        copy = Path(t.tmp, "deny-%s" % Path(log).name)
        copy.write_bytes(Path(log).read_bytes())
        res = t.eval("history/gate.lua", "signed-svc-1.1.0-unhealthy.json", "--stage", "post-deploy", "--log",
                     "sqlite:" + str(copy), *signing, now=clock(7))
        t.expect_decision(res, "deny")
        return [a for a in json.loads(res.out)["actions"] if a["type"] == "rollback"][0]

    res = last_good(url, *signed)
    t.eq((res.rc, res.out), (0, "1.3.0\n"), "last-good of the log as written, with its key")
    t.eq(rollback_target(str(pristine))["target"], "1.3.0", "the deny's rollback target in the log as written")
    res = last_good(url, "--public-key", "other.pub")
    t.expect_exit(res, 2)
    t.contains(res.err, "cannot show that the rollback target it holds (seq 3) is signed where it stands", "another key")
    res = last_good(url, "--threshold", "2", *signed)
    t.expect_exit(res, 2)   # a threshold of 2 needs 2 distinct keys

    def tampered(name, change):
        """The log rebuilt by CHANGE (its records, each with its position), chained anew:
        the plain answer, and the one with the key (exit 2, its message)."""
        copy = Path(t.tmp, name + ".db")
        copy.write_bytes(pristine.read_bytes())
        db = sqlite3.connect(str(copy))
        change(db, list(records))
        db.close()
        log = "sqlite:" + str(copy)
        plain = last_good(log)
        res = last_good(log, *signed)
        t.expect_exit(res, 2)
        target = rollback_target(str(copy))
        t.eq(target["target"], None, "%s: the signing gate's deny has no rollback target" % name)
        t.contains(target["source"], "is signed where it stands", "%s: and says why" % name)
        return plain, res.err

    forged = json.loads(records[0][0])
    forged["id"] = "f" * 32
    forged["release"]["version"] = "1.2.0"
    forged["evaluated_at"] = clock(5)
    del forged["attestation"]
    # A made-up allow appended: without the key, the rollback would go to it.
    plain, err = tampered("forged", lambda db, r: write_chain(db, r + [(json.dumps(forged, separators=(",", ":")), None)]))
    t.eq(plain.out, "1.2.0\n", "forged: the plain answer is the made-up record")
    t.contains(err, "record 4 (seq 4) carries no attestation", "forged: found")
    # The newest allow's index copy edited so that the query skips it, as another value, as a
    # BLOB of the same bytes or as the text with a NUL after it (both read in C as the record's
    # own text, but the query's WHERE compares them unequal; round 17, F01): the store answers
    # 1.0.0. Found by verify too, key or not.
    for name, stage in (("hidden", "'deploy'"), ("blob", "CAST(stage AS BLOB)"), ("nul", "stage || char(0)")):
        def hide(db, r):
            db.execute("UPDATE relgate_decisions SET stage = %s WHERE seq = 3" % stage)
            db.commit()
        plain, err = tampered(name, hide)
        t.eq(plain.out, "1.0.0\n", "%s: the plain answer goes back to 1.0.0" % name)
        t.contains(err, "record 3 (seq 3): its stage in the store's index is not the record's own", name + ": found")
    for name in ("blob", "nul"):
        res = t.run("history", "verify", "--log", "sqlite:" + str(Path(t.tmp, name + ".db")))
        t.expect_exit(res, 1)
        t.contains(res.out, "its stage in the store's index is not the record's own", name + ": verify without a key")
    # The newest allow hidden from the query and the head set back before it, so that a walk
    # stopping at the head would not reach it (round 18).
    def hidden_behind_head(db, r):
        db.execute("UPDATE relgate_decisions SET stage = 'deploy' WHERE seq = 3")
        digest, = db.execute("SELECT digest FROM relgate_decisions WHERE seq = 2").fetchone()
        db.execute("UPDATE relgate_head SET seq = 2, digest = ? WHERE id = 1", (digest,))
        db.commit()
    copy = Path(t.tmp, "head-set-back.db")
    copy.write_bytes(pristine.read_bytes())
    db = sqlite3.connect(str(copy))
    hidden_behind_head(db, None)
    db.close()
    t.eq(last_good("sqlite:" + str(copy)).out, "1.0.0\n", "head set back: the plain answer goes back to 1.0.0")
    res = last_good("sqlite:" + str(copy), *signed)
    t.expect_exit(res, 2)
    t.contains(res.err, "record 3 (seq 3): its stage in the store's index is not the record's own", "head set back: found")
    # The first allow replayed at the end, positions kept.
    plain, err = tampered("replayed", lambda db, r: write_chain(db, r + [r[0]]))
    t.eq(plain.out, "1.0.0\n", "replayed: the plain answer goes back to 1.0.0")
    t.contains(err, "record 4 (seq 4) is not where, or not what, its signed position says", "replayed: found")
    # Positions stripped from every record: a log that shows no place.
    plain, err = tampered("stripped", lambda db, r: write_chain(db, [(body, None) for body, _ in r]))
    t.eq(plain.out, "1.3.0\n", "stripped: the plain answer")
    t.contains(err, "record 3 (seq 3) has no signed position", "stripped: found")
    # A record before the answer edited: its position pins what the chain reaches it with.
    def earlier(db, r):
        body = json.loads(r[1][0])
        body["message"] = "edited"
        write_chain(db, [r[0], (json.dumps(body, separators=(",", ":")), r[1][1]), r[2]])
    plain, err = tampered("earlier", earlier)
    t.contains(err, "record 3 (seq 3) is not where, or not what, its signed position says", "earlier: found")
    # A record before the answer edited where it stands, the chain left broken there: the
    # answer and every record after it are still what the signatures show, so the lookup
    # (which reads a SQL store from the answer on) gives it; history verify names the edit.
    copy = Path(t.tmp, "broken-before.db")
    copy.write_bytes(pristine.read_bytes())
    db = sqlite3.connect(str(copy))
    body = json.loads(db.execute("SELECT line FROM relgate_decisions WHERE seq = 2").fetchone()[0])
    body["message"] = "edited"
    edited = json.dumps(body, separators=(",", ":"))
    db.execute("UPDATE relgate_decisions SET line = ?, digest = ? WHERE seq = 2",
               (edited, hashlib.sha256(edited.encode()).hexdigest()))
    db.commit()
    db.close()
    res = last_good("sqlite:" + str(copy), *signed)
    t.eq((res.rc, res.out), (0, "1.3.0\n"), "broken before the answer: the answer stands")
    res = t.run("history", "verify", "--log", "sqlite:" + str(copy), *signed)
    t.expect_exit(res, 1)
    t.contains(res.out, "broken: record 2 (seq 2)", "and verify names it")
    # Every good record hidden -- edited out of the query, or removed and the rest chained
    # anew: the query finds none, and "none" is held to the signatures too (hostile round
    # 37a, F05: the deny fell back to the context's previous version).
    def hide_all(db, r):
        db.execute("UPDATE relgate_decisions SET stage = 'deploy' WHERE seq IN (1, 3)")
        db.commit()
    for name, change in (("all-hidden", hide_all), ("all-removed", lambda db, r: write_chain(db, [r[1]]))):
        copy = Path(t.tmp, name + ".db")
        copy.write_bytes(pristine.read_bytes())
        db = sqlite3.connect(str(copy))
        change(db, list(records))
        db.close()
        t.expect_exit(last_good("sqlite:" + str(copy)), 1)   # without the key: none, as the store says
        res = last_good("sqlite:" + str(copy), *signed)
        t.expect_exit(res, 2)
        t.contains(res.err, "holds no rollback target, and its signatures cannot show that none was removed", name)
        target = rollback_target(str(copy))
        t.eq(target["target"], None, "%s: the signing gate's deny has no rollback target" % name)
        t.contains(target["source"], "cannot show that none was removed", "%s: and says why" % name)
    # A log written without positions: no signed answer to give.
    res = t.eval("history/gate.lua", "signed-svc-1.0.0.json", "--stage", "post-deploy", "--log", "plain.jsonl",
                 now=clock(1))
    t.expect_decision(res, "allow")
    res = last_good("plain.jsonl", *signed)
    t.expect_exit(res, 2)
    t.contains(res.err, "carries no attestation", "a log written without the key")
    t.eq(last_good("plain.jsonl").out, "1.0.0\n", "and without --public-key, as before")


@case("store: a keyed last-good in PostgreSQL reads the store from its answer on, and still finds a newer record "
      "hidden from the query")
def _(t):
    urls = stores(t, ("postgresql",))
    if "postgresql" not in urls:
        t.skip("no PostgreSQL server here")
    signed_setup(t, "gate")
    url = urls["postgresql"]
    for n, (name, verdict) in enumerate((("signed-svc-1.0.0", "allow"), ("signed-svc-1.3.0", "allow"),
                                         ("signed-svc-1.1.0-unhealthy", "deny"))):
        res = t.eval("history/gate.lua", name + ".json", "--stage", "post-deploy", "--log", url, "--attest",
                     "gate.intoto.jsonl", "--signing-key", "gate.pem", now=clock(n))
        t.eq(json.loads(res.out)["decision"], verdict, name)
    res = t.run("history", "last-good", "--release", "svc", "--log", url, "--public-key", "gate.pub")
    t.eq((res.rc, res.out), (0, "1.3.0\n"), "the newest allow, its signatures checked from seq 2 on")
    sql_runner("postgresql", url)("UPDATE relgate_decisions SET stage = 'deploy' WHERE seq = 2")
    t.eq(t.run("history", "last-good", "--release", "svc", "--log", url).out, "1.0.0\n", "without the key")
    res = t.run("history", "last-good", "--release", "svc", "--log", url, "--public-key", "gate.pub")
    t.expect_exit(res, 2)
    t.contains(res.err, "record 2 (seq 2): its stage in the store's index is not the record's own", "with the key")


if __name__ == "__main__":
    cihelp.main()
