"""Hostile input to `relgate serve` (issue #16 item 4): malformed JSON, the wrong content
type, huge bodies, wrong tokens, path tricks in evidence. Each is a clear 4xx with an
error decision (never a verdict), every response matches docs/openapi.json, and the
server is unharmed: the next request on a fresh connection is answered with the decision
it would have been given anyway.

meson runs: python3 test_hostile_input.py path/to/relgate
"""

import hashlib
import json
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import NOW, REPO, case, main  # noqa: E402
from openapi_serve import Server, context_with_inline_evidence, status_of  # noqa: E402

EXAMPLE = REPO / "examples" / "minor" / "pre-release" / "pass" / "context.json"
JSON = {"Content-Type": "application/json"}


def good_request():
    body = context_with_inline_evidence(EXAMPLE)
    body["now"] = NOW
    return body


def unharmed(t, srv, headers=None):
    """The server still answers a good request with the example's allow, and /health."""
    t.check(srv.alive(), "the server ended", actual=srv.stderr()[-2000:])
    res = srv.post_decision(good_request(), headers=headers)
    t.eq(res.status, 200, "status of a good request afterwards")
    t.eq(res.json()["decision"], "allow", "decision of a good request afterwards")
    t.eq(srv.fetch("/health").status, 200, "/health afterwards")


def refused(t, res, statuses, kinds=None):
    """RES is an error decision with one of STATUSES (the contract check already ran)."""
    t.check(res.status in statuses, "status %d is not one of %s" % (res.status, statuses), actual=repr(res))
    doc = res.json()
    t.eq(doc["decision"], "error", "decision")
    if kinds:
        t.check(doc["error"]["kind"] in kinds, "error.kind is not one of %s" % (kinds,), actual=doc["error"])
    return doc


@case("malformed JSON bodies are a 400 error decision each, and the server goes on")
def _(t):
    bodies = [b"{", b"{\"context\": }", b"\xff\xfe{}", b"{\"context\": {\"release\": 1}", b"[" * 100000,
              b"{\"context\": {}, \"context\": {}}", b"", b"null", b"[]", b"\"context\"", b"{\"context\": []}",
              # an escaped NUL, which relgate eval refuses in a context ("escaped NUL in a string")
              b"{\"context\": {\"release\": {\"name\": \"a\\u0000b\", \"version\": \"1.0.0\", \"type\": \"minor\"}}}"]
    with Server(t) as srv:
        for body in bodies:
            res = srv.post_decision(body, headers=JSON)
            refused(t, res, (400,))
        unharmed(t, srv)


@case("a request the engine refuses (bad stage, type, now, evidence shape, release) is a 400 error decision")
def _(t):
    base = good_request()
    bad = []
    for key, value in [("stage", "production"), ("type", "huge"), ("now", "yesterday"), ("now", 12),
                       ("evidence", {"release_notes": {"file": "/etc/passwd"}}),
                       ("evidence", {"release_notes": {"base64": "***not base64***"}}),
                       ("evidence", {"release_notes": "RELEASE_NOTES.md"}), ("evidence", []),
                       ("context", {"release": {"name": "x", "version": "not-semver", "type": "minor"}})]:
        body = dict(base)
        body[key] = value
        bad.append(body)
    with Server(t) as srv:
        for body in bad:
            res = srv.post_decision(body)
            t.check(res.status == 400, "a bad request was not refused with 400",
                    expected=400, actual="%d for %s" % (res.status, json.dumps(body)[:300]))
            refused(t, res, (400,))
        unharmed(t, srv)


@case("a body that is not application/json is refused with 415 (or 400), never evaluated")
def _(t):
    body = json.dumps(good_request()).encode()
    with Server(t) as srv:
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x", None):
            headers = {"Content-Type": ctype} if ctype else {}
            res = srv.post_decision(body, headers=headers)
            refused(t, res, (400, 415))
        unharmed(t, srv)


@case("a body over --max-body-size is a 413, announced or chunked, without reading it all")
def _(t):
    with Server(t, "--max-body-size", "64K") as srv:
        res = srv.post_decision(b"{\"context\": \"" + b"x" * 70000 + b"\"}", headers=JSON)
        refused(t, res, (413,))
        # Announced as 1 GB and never sent: the answer cannot wait for the body.
        start = time.monotonic()
        raw = srv.raw(b"POST /v1/decisions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000000000\r\n\r\n{", read_timeout=8)
        t.eq(status_of(raw), 413, "status of a request announcing 1 GB")
        t.check(time.monotonic() - start < 6, "the 413 took %.1f s" % (time.monotonic() - start))
        # Chunked, no length: 1 MB in 16 KB chunks.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            s.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
            try:
                for _ in range(64):
                    s.sendall(chunk)
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass   # the server may close once it has answered
            from openapi_serve import read_all
            raw = read_all(s, 8)
        finally:
            s.close()
        t.eq(status_of(raw), 413, "status of a 1 MB chunked body")
        unharmed(t, srv)


@case("headers over --max-header-size are refused (431 or 4xx), and the server goes on")
def _(t):
    with Server(t, "--max-header-size", "8K") as srv:
        raw = srv.raw(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n", read_timeout=8)
        st = status_of(raw)
        t.check(st is None or 400 <= st < 500, "a 64 KB header was not refused", actual=raw[:300])
        raw = srv.raw(b"GET /health HTTP/1.1\r\nHost: t\r\n" + b"X-Many: a\r\n" * 5000 + b"\r\n", read_timeout=8)
        st = status_of(raw)
        t.check(st is None or 400 <= st < 500, "5000 headers were not refused", actual=raw[:300])
        unharmed(t, srv)


@case("garbage on the socket (not HTTP, a bad request line, HTTP/2 preface) is refused; the server goes on")
def _(t):
    with Server(t) as srv:
        for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),
                     b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"POST /v1/decisions HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                     b"POST /v1/decisions HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}{}{}{",
                     b"GET /../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", b"\r\n" * 1000):
            raw = srv.raw(data, read_timeout=5)
            st = status_of(raw)
            t.check(st is None or st >= 400, "garbage %r was answered %s" % (data[:40], st), actual=raw[:300])
        unharmed(t, srv)


@case("unknown paths are 404 and wrong methods 405, as error decisions")
def _(t):
    with Server(t) as srv:
        refused(t, srv.fetch("/v1/nothing"), (404,))
        refused(t, srv.fetch("/v1/decisions/" + "0" * 32), (404,))
        refused(t, srv.fetch("/v1/decisions/..%2f..%2fetc%2fpasswd"), (404, 400))
        refused(t, srv.call("DELETE", "/v1/decisions"), (405,))
        refused(t, srv.call("PUT", "/health"), (405,))
        refused(t, srv.fetch("/v1/decisions"), (405,))
        unharmed(t, srv)


def token_file(t, *tokens):
    return t.write("tokens", "".join(hashlib.sha256(tok.encode()).hexdigest() + "\n" for tok in tokens))


@case("with --token-file: no token, a wrong one or another scheme is a 401 with WWW-Authenticate; /health needs none")
def _(t):
    tf = token_file(t, "s3cret-token-one", "other-token-two")
    with Server(t, "--token-file", tf) as srv:
        body = good_request()
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cret-token-on"},
                        {"Authorization": "Bearer s3cret-token-one1"}, {"Authorization": "Basic czNjcmV0LXRva2VuLW9uZQ=="},
                        {"Authorization": "s3cret-token-one"}, {"Authorization": "Bearer " + hashlib.sha256(b"s3cret-token-one").hexdigest()},
                        {"Authorization": "Bearer"}, {"Authorization": "Bearer \x00s3cret-token-one"}):
            res = srv.post_decision(body, headers=headers)
            refused(t, res, (401,))
            t.check((res.header("WWW-Authenticate") or "").startswith("Bearer"), "no WWW-Authenticate: Bearer",
                    actual=res.headers)
        refused(t, srv.fetch("/metrics"), (401,))
        refused(t, srv.fetch("/v1/decisions/" + "0" * 32), (401,))
        t.eq(srv.fetch("/health").status, 200, "/health without a token")
        t.eq(srv.fetch("/ready").status, 200, "/ready without a token")
        unharmed(t, srv, headers={"Authorization": "Bearer s3cret-token-one"})
        unharmed(t, srv, headers={"Authorization": "Bearer other-token-two"})


@case("a token file the server cannot read, or one anyone may write, stops the start (fail closed)")
def _(t):
    tf = token_file(t, "s3cret-token-one")
    for path, mode in ((t.tmp / "missing-tokens", None), (tf, 0o666)):
        if mode is not None:
            os.chmod(path, mode)
        try:
            srv = Server(t, "--token-file", path, start=False)
            srv.start()
        except Exception as e:  # Failure: ended at start, as it should
            t.contains(str(e), "before listening", "why the server did not start")
            continue
        srv.kill()
        t.fail("relgate serve started with --token-file %s (mode %s)" % (path, oct(mode) if mode else "absent"))


def evidence_tree(t):
    """ROOT/ with the example's evidence, a file outside it, and links that leave it."""
    root = t.tmp / "root"
    (root / "rel").mkdir(parents=True)
    for f in EXAMPLE.parent.iterdir():
        (root / "rel" / f.name).write_bytes(f.read_bytes())
    t.write("outside/secret.md", "## Summary\nsecret\n")
    os.symlink(t.tmp / "outside" / "secret.md", root / "rel" / "link.md")
    os.symlink(t.tmp / "outside", root / "rel" / "linkdir")
    return root


def path_request(notes):
    ctx = json.loads(EXAMPLE.read_text())
    ctx["evidence"]["release_notes"] = notes
    return {"context": ctx, "now": NOW}


def rooted(req):
    """Point the request's other evidence paths at ROOT/rel/ (the example's copy)."""
    for name, rel in list(req["context"]["evidence"].items()):
        if name != "release_notes" and isinstance(rel, str):
            req["context"]["evidence"][name] = "rel/" + rel
    return req


@case("evidence paths: '../', absolute, and symlinks out of --evidence-root are each a 400; paths inside work")
def _(t):
    root = evidence_tree(t)
    escapes = ["../../outside/secret.md", "/etc/passwd", str(t.tmp / "outside" / "secret.md"), "rel/link.md",
               "rel/linkdir/secret.md", "rel/../../outside/secret.md", "rel/./../../outside/secret.md", "rel/../..",
               # a NUL ends the path in C: the CLI refuses an escaped NUL in JSON, so must the server
               "rel/RELEASE_NOTES.md\u0000../../outside/secret.md"]
    # Not escapes, only odd names (a directory called %2e%2e or ~): refused or a file that
    # is not there (a deny), never the outside file.
    oddities = ["rel/%2e%2e/%2e%2e/outside/secret.md", "~/secret.md",
                "", ".", "rel/"]
    with Server(t, "--evidence-root", root) as srv:
        for trick in escapes:
            res = srv.post_decision(rooted(path_request(trick)))
            t.check(res.status == 400, "evidence path %r was not refused with 400" % trick, expected=400, actual=repr(res))
            refused(t, res, (400,))
        for odd in oddities:
            res = srv.post_decision(rooted(path_request(odd)))
            doc = res.json()
            t.check(res.status == 400 or doc["decision"] == "deny", "evidence path %r gave %r" % (odd, res))
            t.check("secret" not in json.dumps(doc).replace("secret.md", ""), "the answer shows the outside file",
                    actual=doc)
        # Inside the root it is read.
        res = srv.post_decision(rooted(path_request("rel/RELEASE_NOTES.md")))
        t.eq(res.status, 200, "status with evidence paths inside the root")
        t.eq(res.json()["decision"], "allow", "decision with evidence paths inside the root")
        unharmed(t, srv)


@case("without --evidence-root a path in evidence is refused: the server's files are not evidence")
def _(t):
    # The example's files in the server's working directory: still not read.
    for f in EXAMPLE.parent.iterdir():
        t.write(f.name, f.read_bytes())
    with Server(t) as srv:
        for p in ("RELEASE_NOTES.md", "/etc/passwd", "../../../etc/passwd"):
            res = srv.post_decision(path_request(p))
            t.check(res.status == 400, "evidence path %r was not refused without --evidence-root" % p,
                    expected=400, actual=repr(res))
            refused(t, res, (400,))
        unharmed(t, srv)


if __name__ == "__main__":
    sys.exit(main())
