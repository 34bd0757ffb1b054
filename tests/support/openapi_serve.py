"""The ops tests' side of tests/serve/servehelp.py (core's, the one way the tests start
`relgate serve`): answers as Response objects, every one held against docs/openapi.json
(servehelp's request does that for every test), a keep-alive client, raw sockets, and
requests with their evidence inline (also for bench/serve.py).

    from openapi_serve import Server

    @case("a decision is answered and stored")
    def _(t):
        with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
            res = srv.post_decision({"context": ctx, "now": NOW})
            t.eq(res.status, 200, "status")
            doc = res.json()

The server listens on 127.0.0.1 port 0 (--port-file), in a process group of its own
with its workers; leaving the `with` block ends it (SIGTERM, then SIGKILL to the group).
"""

import http.client
import json
import os
import socket
import sys
import time
from pathlib import Path

import openapi_check
from harness import REPO, Failure

sys.path.insert(0, str(REPO / "tests" / "serve"))
import servehelp  # noqa: E402


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


def _body(body, headers):
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    return body, headers


class Client:
    """One keep-alive HTTP/1.1 connection to the server (reopened after an error)."""

    def __init__(self, port, timeout=30.0, check=True):
        self.port, self.timeout, self.check = port, timeout, check
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        body, headers = _body(body, headers)
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        start = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        res = Response(method, path, r.status, r.getheaders(), data, time.monotonic() - start)
        if r.will_close:
            self.close()
        if self.check:
            openapi_check.check(method, path, res.status, res.headers, res.body)
        return res

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Server(servehelp.Server):
    """servehelp.Server started at once (START=False: by start() or `with`), its answers
    as Response objects: call(), fetch() (GET), post_decision()."""

    def __init__(self, t, *args, policy=None, env=None, start=True):
        # --workers among ARGS wins over servehelp's default of 2
        workers = None if "--workers" in [str(a) for a in args] else 2
        super().__init__(t, *args, policy=policy or servehelp.POLICY, workers=workers, env=env)
        if start:
            self.start()

    def __enter__(self):
        return self if self.proc is not None else self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def call(self, method, path, body=None, headers=None, timeout=30.0):
        body, headers = _body(body, headers)
        start = time.monotonic()
        status, data, hdrs = self.request(method, path, body, headers, timeout=timeout)   # checked there
        return Response(method, path, status, list(hdrs.items()), data, time.monotonic() - start)

    def fetch(self, path, **kw):
        return self.call("GET", path, **kw)

    def post_decision(self, body, headers=None, **kw):
        return self.call("POST", "/v1/decisions", body, headers, **kw)

    def client(self, timeout=30.0, check=True):
        return Client(self.port, timeout=timeout, check=check)

    def raw(self, data, read_timeout=10.0):
        """Send DATA (bytes) on a fresh socket; what came back until the server closed or
        READ_TIMEOUT passed (b"" when nothing)."""
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
