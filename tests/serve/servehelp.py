"""Helpers for the relgate serve tests: start a real server on 127.0.0.1 (port 0, the
port read back from --port-file), speak HTTP/1.1 to it, and stop it -- every process in
its own process group, killed at the end whatever happened (no leftovers on failure).

    with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
        status, doc, headers = srv.decide(request_from_example(EXAMPLES / "minor/pre-release/pass"))
"""

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
import openapi_check  # noqa: E402
from harness import Failure  # noqa: E402

REPO = harness.REPO
EXAMPLES = REPO / "examples"
POLICY = REPO / "policies" / "octoacme.lua"
NOW = harness.NOW


def under_tsan():
    """Whether relgate-serve is a ThreadSanitizer build: TSan delivers a signal only once
    the thread is back in instrumented code, so a watchdog cannot end a policy stuck in
    (uninstrumented) Lua there."""
    serve = Path(str(harness.RELGATE) + "-serve")
    try:
        return b"ThreadSanitizer" in serve.read_bytes()
    except OSError:
        return False


def example_dirs():
    """Every bundled example (a context.json and its expect.json), sorted."""
    return sorted(p.parent for p in EXAMPLES.glob("*/*/*/expect.json"))


def request_from_example(d, inline=True, prefix=None, now=NOW):
    """A POST /v1/decisions body for example directory D: its context with every
    evidence file sent inline (base64, byte for byte), or with INLINE false its evidence
    paths kept, each prefixed with PREFIX (where D lies beneath the --evidence-root)."""
    ctx = json.loads((Path(d) / "context.json").read_text())
    body = {"context": ctx}
    if now:
        body["now"] = now
    ev = ctx.get("evidence") or {}
    if inline:
        files = {k: v for k, v in ev.items() if isinstance(v, str)}
        for k in files:
            del ev[k]
        body["evidence"] = {k: {"base64": base64.b64encode((Path(d) / v).read_bytes()).decode()}
                            for k, v in files.items()}
    elif prefix:
        for k, v in ev.items():
            if isinstance(v, str):
                ev[k] = prefix.rstrip("/") + "/" + v
    return body


def inline_possible(d):
    """Whether every evidence path of example D names a regular file (a directory cannot
    go inline)."""
    ctx = json.loads((Path(d) / "context.json").read_text())
    return all((Path(d) / v).is_file() for v in (ctx.get("evidence") or {}).values() if isinstance(v, str))


class Server:
    """A relgate serve process for case T.  ARGS are more options; POLICY and WORKERS
    as given.  CLIENT_NOW: run with --allow-client-now, as the suite's requests name their
    time (the examples' evidence is dated).  Start it with `with`, or start()/stop()."""

    def __init__(self, t, *args, policy=POLICY, workers=2, env=None, start_timeout=30, client_now=True):
        self.t = t
        self.args = [str(a) for a in args] + (["--allow-client-now"] if client_now else [])
        self.policy = str(policy)
        self.workers = workers
        self.env = env
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.n = getattr(t, "_servers", 0) + 1
        t._servers = self.n
        self.port_file = Path(t.tmp) / ("serve-%d.port" % self.n)
        self.stderr_path = Path(t.tmp) / ("serve-%d.stderr" % self.n)

    # -- life

    def argv(self):
        argv = [str(harness.RELGATE), "serve", "--policy", self.policy, "--listen", "127.0.0.1:0",
                "--port-file", str(self.port_file)]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        return argv + self.args

    def start(self):
        if self.port_file.exists():
            self.port_file.unlink()
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv(), cwd=str(self.t.tmp), env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._err, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.port_file.exists() and self.port_file.read_text().strip():
                self.port = int(self.port_file.read_text())
                return self
            if self.proc.poll() is not None:
                raise Failure("relgate serve exited with %d before listening" % self.proc.returncode,
                              actual=self.stderr())
            time.sleep(0.05)
        self.kill()
        raise Failure("relgate serve did not listen within %d s" % self.start_timeout, actual=self.stderr())

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        """Wait for the server to exit; its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("relgate serve did not exit within %d s" % timeout, actual=self.stderr())

    def stop(self, timeout=60):
        """SIGTERM, then wait: the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self):
        """SIGKILL to the whole process group (the server and its workers)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self.kill()
            self._err.close()
            self.t.notes.append("server stderr:\n" + self.stderr())
        # The server's and its workers' stderr: a sanitizer's report fails the case.
        log = self.stderr_path.read_bytes() if self.stderr_path.exists() else b""
        for sig in harness.SANITIZER_REPORTS + (b"WARNING: ThreadSanitizer",):
            if sig in log and not exc[0]:
                raise Failure("a sanitizer reported a problem in the server (%s)" % sig.decode())
        return False

    # -- HTTP

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None, timeout=60):
        """One request: (status, body bytes, headers as a dict with lower-case names)."""
        own = conn is None
        conn = conn or self.connection(timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            openapi_check.check(method, path, resp.status, resp.getheaders(), data)   # docs/openapi.json
            return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}
        finally:
            if own:
                conn.close()

    def decide(self, body, headers=None, conn=None, timeout=60):
        """POST /v1/decisions: (status, the JSON answer, headers)."""
        status, data, hdrs = self.request("POST", "/v1/decisions", body, headers, conn, timeout)
        return status, self.json(data, status), hdrs

    def json(self, data, status=None):
        try:
            return harness.parse_single_json(data)
        except Exception as e:  # noqa: BLE001
            raise Failure("the answer (%s) is not one JSON object: %s" % (status, e), actual=data[:2000])

    def get(self, path, headers=None):
        return self.request("GET", path, None, headers)


def cpu_ticks(pid):
    try:
        return int(Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[11])
    except (OSError, IndexError, ValueError):
        return 0


def wait_busy(t, srv, timeout=60):
    """Wait until a worker is evaluating (its CPU time grows by 0.2 s): the slow request is
    in flight, however loaded the box."""
    start = {pid: cpu_ticks(pid) for pid in worker_pids(srv)}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(cpu_ticks(pid) - ticks >= 20 for pid, ticks in start.items()):
            return
        time.sleep(0.05)
    raise Failure("no worker started evaluating within %d s" % timeout)


def worker_pids(srv):
    """The server's evaluation workers (its children)."""
    pids = []
    for task in Path("/proc/%d/task" % srv.proc.pid).iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def decision_of(t, doc, verdict=None):
    """DOC, a decision answered by the server: schema-valid (its "id" aside), consistent,
    with VERDICT when given.  Returns it."""
    plain = {k: v for k, v in doc.items() if k != "id"}
    problems = harness.schema_errors(plain)
    if plain.get("decision") != "error":
        problems += harness.semantic_problems(plain)
    if problems:
        raise Failure("the decision is not valid: %s" % "; ".join(problems[:5]), actual=json.dumps(doc)[:2000])
    if verdict is not None:
        t.eq(doc["decision"], verdict, "the decision")
    return doc
