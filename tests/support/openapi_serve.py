"""A `relgate serve` started for one test case, and an HTTP client whose every response is
held against docs/openapi.json (openapi_check.py).

    from openapi_serve import Server

    @case("a decision is answered and stored")
    def _(t):
        with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
            res = srv.post_decision({"context": ctx, "now": NOW})
            t.eq(res.status, 200, "status")
            doc = res.json()

The server listens on 127.0.0.1 port 0 and writes the port it bound to --port-file; it
runs in a session of its own (its workers too), with stdout and stderr in files under
the case's directory (shown when a case fails, through t.note).  Leaving the `with`
block ends it: SIGTERM, then SIGKILL of the whole session after STOP_WAIT seconds, so
nothing outlives a failing case.  Every response any request sees is checked against
the OpenAPI file unless the request says check=False (a test of a garbled request that
the server may refuse below HTTP).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import harness
import openapi_check
from harness import Failure

START_WAIT = 20.0     # seconds for the port file and a first /health answer
STOP_WAIT = 15.0      # seconds SIGTERM may take before the session is killed


class Response:
    def __init__(self, method, path, status, headers, body, elapsed):
        self.method, self.path, self.status, self.headers, self.body = method, path, status, headers, body
        self.elapsed = elapsed

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise Failure("%s %s answered %d with a body that is not JSON: %s" % (self.method, self.path, self.status, e),
                          actual=self.body[:500].decode("utf-8", "replace"))

    def __repr__(self):
        return "%s %s -> %d %s" % (self.method, self.path, self.status, self.body[:300].decode("utf-8", "replace"))


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port, timeout=30.0, check=True):
        self.port, self.timeout, self.check = port, timeout, check
        self.conn = None

    def _connect(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def request(self, method, path, body=None, headers=None, check=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn = self._connect()
        start = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        res = Response(method, path, r.status, r.getheaders(), data, time.monotonic() - start)
        if r.will_close:
            self.close()
        if self.check if check is None else check:
            openapi_check.check(method, path, res.status, res.headers, res.body)
        return res

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Server:
    """relgate serve --policy POLICY --listen 127.0.0.1:0 --port-file F ARGS... (see the module)."""

    count = 0

    def __init__(self, t, *args, policy=None, env=None, cwd=None, start=True):
        self.t = t
        self.policy = str(policy or harness.POLICY)
        self.args = [str(a) for a in args]
        self.env = env
        self.cwd = str(cwd or t.tmp)
        Server.count += 1
        self.tag = "serve-%d" % Server.count
        self.proc = None
        self.port = None
        if start:
            self.start()

    # -- life

    def argv(self):
        self.port_file = Path(self.t.tmp, self.tag + ".port")
        return [str(harness.RELGATE), "serve", "--policy", self.policy, "--listen", "127.0.0.1:0",
                "--port-file", str(self.port_file)] + self.args

    def start(self):
        argv = self.argv()
        if self.port_file.exists():
            self.port_file.unlink()
        full_env = dict(os.environ)
        full_env.update(self.env or {})
        self.out_path = Path(self.t.tmp, self.tag + ".stdout")
        self.err_path = Path(self.t.tmp, self.tag + ".stderr")
        with open(self.out_path, "ab") as out, open(self.err_path, "ab") as err:
            self.proc = subprocess.Popen(argv, cwd=self.cwd, env=full_env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, start_new_session=True)
        self.t.note("started: " + " ".join(argv))
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("relgate serve ended at start with %s" % self.proc.returncode, actual=self.stderr()[-2000:])
            try:
                text = self.port_file.read_text().strip()
            except OSError:
                text = ""
            if text.isdigit():
                self.port = int(text)
                break
            time.sleep(0.02)
        else:
            self.kill()
            raise Failure("relgate serve wrote no port to --port-file within %g s" % START_WAIT,
                          actual=self.stderr()[-2000:])
        while time.monotonic() < deadline:
            try:
                if self.get("/health", check=False).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise Failure("relgate serve did not answer /health within %g s" % START_WAIT, actual=self.stderr()[-2000:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, wait=STOP_WAIT):
        """Send SIG and wait for the end; returns the exit status (the session is killed
        after WAIT seconds, and that is a failure)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.kill()
                raise Failure("relgate serve did not end within %g s of signal %d" % (wait, sig),
                              actual=self.stderr()[-2000:])
        self._reap_session()
        return self.proc.returncode

    def kill(self):
        """SIGKILL to the server's whole session (workers included)."""
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
        self._reap_session()

    def _reap_session(self):
        """Kill whatever is left of the server's session (its workers, when it died first)."""
        for _ in range(50):
            left = session_processes(self.proc.pid)
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        try:
            if kind is not None:
                self.t.note("server stderr (end): " + self.stderr()[-3000:])
            self.stop()
        finally:
            self.kill()
        return False

    def stderr(self):
        try:
            return self.err_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    # -- requests (each on a connection of its own; client() for keep-alive)

    def client(self, timeout=30.0, check=True):
        return Client(self.port, timeout=timeout, check=check)

    def request(self, method, path, body=None, headers=None, check=True, timeout=30.0):
        c = self.client(timeout=timeout, check=check)
        try:
            return c.request(method, path, body=body, headers=headers)
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_decision(self, body, headers=None, **kw):
        return self.request("POST", "/v1/decisions", body=body, headers=headers, **kw)

    def raw(self, data, read_timeout=10.0):
        """Send DATA (bytes) on a fresh socket; returns what came back until the server
        closed or READ_TIMEOUT passed (b"" when nothing)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        try:
            s.sendall(data)
            return read_all(s, read_timeout)
        finally:
            s.close()


def read_all(sock, timeout):
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def status_of(raw):
    """The status code of a raw HTTP response (bytes), or None."""
    line = raw.split(b"\r\n", 1)[0]
    parts = line.split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") and parts[1].isdigit():
        return int(parts[1])
    return None


def session_processes(sid):
    """Processes (not zombies) of session SID."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def context_with_inline_evidence(context_path):
    """A decision request for the context file CONTEXT_PATH with each evidence file it
    names inlined (inline_request)."""
    context_path = Path(context_path)
    return inline_request(json.loads(context_path.read_text()), context_path.parent)


def inline_request(ctx, base, cache=None):
    """A decision request for the context CTX (a dict, changed) whose evidence paths, read
    relative to BASE (or absolute), go into the request's "evidence" by value: {"json": ...}
    for a .json/.sarif file that parses, else {"text": ...} (or {"base64": ...} when not
    UTF-8). The context keeps only the evidence it names otherwise (live sources); a file
    that cannot be read is left out, as evidence that is not there. CACHE (a dict) keeps
    what was read by path."""
    evidence = {}
    named = ctx.get("evidence")
    if isinstance(named, dict):
        for name, rel in list(named.items()):
            if not isinstance(rel, str):
                continue
            del named[name]
            path = Path(rel) if rel.startswith("/") else Path(base) / rel
            key = str(path)
            if cache is not None and key in cache:
                value = cache[key]
            else:
                try:
                    value = inline(path)
                except OSError:
                    value = None
                if cache is not None:
                    cache[key] = value
            if value is not None:
                evidence[name] = value
    return {"context": ctx, "evidence": evidence}


def inline(path):
    data = Path(path).read_bytes()
    if path.suffix in (".json", ".sarif"):
        try:
            return {"json": json.loads(data)}
        except ValueError:
            pass
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        import base64
        return {"base64": base64.b64encode(data).decode()}
