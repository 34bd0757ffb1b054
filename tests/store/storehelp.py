"""The decision-log stores under test: a JSON-lines file, SQLite, and a real PostgreSQL
server this process starts (initdb into a temporary directory, as a non-root user, a
Unix socket only, stopped at exit).  No mock: the SQL back ends are the modules relgate
ships, talking to the real libraries and server."""

import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ci"))

SANITIZED = os.environ.get("RG_SANITIZED") == "1"
NOBODY = 65534


def pg_bin():
    """The directory of Debian's PostgreSQL server programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgreSQL:
    """One server for the test process; a fresh database per case (database())."""

    def __init__(self):
        self.dir = None
        self.proc_env = None
        self.count = 0
        self.error = None
        self.lock = threading.Lock()  # the harness runs cases in threads

    def _as_owner(self):
        # initdb and postgres refuse to run as root: drop to nobody with setpriv.
        if os.geteuid() == 0:
            return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
        return []

    def start(self):
        with self.lock:
            return self._start()

    def _start(self):
        if self.dir or self.error:
            return self.error is None
        bindir = pg_bin()
        if not bindir:
            self.error = "PostgreSQL is not installed (Debian package postgresql)"
            return False
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            self.error = "running as root without setpriv to drop to a non-root user"
            return False
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="rgpg."))
        if os.geteuid() == 0:
            os.chown(self.dir, NOBODY, NOBODY)
        data = self.dir / "data"
        run = lambda *a: subprocess.run(self._as_owner() + list(a), capture_output=True, timeout=120)
        r = run(str(bindir / "initdb"), "-D", str(data), "-U", "relgate", "-A", "trust", "--no-sync", "-E", "UTF8")
        if r.returncode != 0:
            self.error = "initdb failed: %s" % r.stderr.decode(errors="replace")[-500:]
            return False
        atexit.register(self.stop)
        return self.up()

    def up(self):
        r = subprocess.run(self._as_owner() + [str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-t", "60",
                            "-l", str(self.dir / "server.log"), "-o",
                            "-c listen_addresses= -c unix_socket_directories=%s -c max_connections=100" % self.dir,
                            "start"], capture_output=True, timeout=90)
        if r.returncode != 0:
            self.error = "the server did not start: %s" % (self.dir / "server.log").read_text(errors="replace")[-800:]
            return False
        return True

    def down(self, mode="fast"):
        subprocess.run(self._as_owner() + [str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode,
                        "-w", "stop"], capture_output=True, timeout=90)

    def stop(self):
        if self.dir and self.dir.exists():
            self.down("immediate")
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database):
        return "postgresql://relgate@/%s?host=%s" % (database, self.dir)

    def psql(self, database, sql):
        r = subprocess.run([shutil.which("psql") or str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", self.url(database), "-c", sql],
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.decode(errors="replace"))
        return r.stdout.decode()

    def database(self):
        """A new empty database's URL."""
        with self.lock:
            self.count += 1
            name = "case%d" % self.count
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return name


SERVER = PostgreSQL()


def stores(t, kinds=("file", "sqlite", "postgresql")):
    """{kind: URL} of a fresh store of each kind for case T (PostgreSQL only when a
    server could be started here; the case notes it when it could not)."""
    out = {}
    for kind in kinds:
        if kind == "file":
            out[kind] = str(Path(t.tmp, "log.jsonl"))
        elif kind == "sqlite":
            out[kind] = "sqlite:" + str(Path(t.tmp, "log.db"))
        elif SERVER.start():
            out[kind] = SERVER.url(SERVER.database())
        else:
            t.note("postgresql left out: %s" % SERVER.error)
    return out
