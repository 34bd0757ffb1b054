"""`relgate serve` under slow clients, too many of them, hostile plugins and policies, a full
queue, SIGKILL and SIGTERM (issue #16 item 4). Every response is held against
docs/openapi.json; after each fault the server answers a good request as before.

meson runs: python3 test_hostile_faults.py path/to/relgate [HOSTILE_PLUGIN_DIR]
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import NOW, REPO, case, main  # noqa: E402
from openapi_serve import Server, context_with_inline_evidence, read_all, session_processes  # noqa: E402

HOSTILE_BUILT = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
EXAMPLE = REPO / "examples" / "minor" / "pre-release" / "pass" / "context.json"


def good_request(version=None):
    body = context_with_inline_evidence(EXAMPLE)
    body["now"] = NOW
    if version:
        body["context"]["release"]["version"] = version
    return body


def answered(t, srv):
    t.check(srv.alive(), "the server ended", actual=srv.stderr()[-2000:])
    res = srv.post_decision(good_request())
    t.eq(res.status, 200, "status of a good request")
    t.eq(res.json()["decision"], "allow", "decision of a good request")


def in_thread(fn, *args):
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # reported by the joiner
            box["error"] = e
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, box


# ---- slow and many clients

@case("slowloris headers: the connection is closed within --request-timeout, and others are served meanwhile")
def _(t):
    with Server(t, "--request-timeout", "2") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
        start = time.monotonic()
        closed_after = None
        try:
            s.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: t\r\n")
            served = 0
            for i in range(40):   # a header byte every 0.25 s, for up to 10 s
                try:
                    s.sendall(b"X-Slow-%d: a\r\n" % i)
                except OSError:
                    closed_after = time.monotonic() - start
                    break
                if i % 4 == 0:
                    answered(t, srv)
                    served += 1
                time.sleep(0.25)
            if closed_after is None:
                s.settimeout(3)
                try:
                    closed_after = time.monotonic() - start if s.recv(4096) is not None else None
                except socket.timeout:
                    pass
        finally:
            s.close()
        t.check(closed_after is not None and closed_after < 6,
                "a client sending a header byte every 0.25 s was not cut off within 6 s (--request-timeout 2)",
                actual=closed_after)
        t.check(served >= 1, "no good request was answered meanwhile")
        answered(t, srv)


@case("a slow body: the connection is closed within --request-timeout, and others are served meanwhile")
def _(t):
    with Server(t, "--request-timeout", "2") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
        start = time.monotonic()
        closed_after = None
        try:
            s.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n{")
            for i in range(40):
                try:
                    s.sendall(b" ")
                except OSError:
                    closed_after = time.monotonic() - start
                    break
                if i == 2:
                    answered(t, srv)
                time.sleep(0.25)
            if closed_after is None:
                s.settimeout(3)
                try:
                    s.recv(4096)
                    closed_after = time.monotonic() - start
                except socket.timeout:
                    pass
        finally:
            s.close()
        t.check(closed_after is not None and closed_after < 6,
                "a body arriving a byte every 0.25 s was not cut off within 6 s (--request-timeout 2)", actual=closed_after)
        answered(t, srv)


@case("too many connections: beyond --max-connections they are refused, the server stays bounded, then serves again")
def _(t):
    with Server(t, "--max-connections", "8", "--request-timeout", "2") as srv:
        socks = []
        try:
            for _ in range(60):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=2))
                except OSError:
                    break
            time.sleep(0.3)
            fds = len(os.listdir("/proc/%d/fd" % srv.proc.pid))
            t.check(fds < 60, "the server holds %d descriptors with 60 idle connections and --max-connections 8" % fds)
            t.check(srv.alive(), "the server ended under 60 connections")
        finally:
            for s in socks:
                s.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                answered(t, srv)
                break
            except (OSError, harness.Failure):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@case("a full queue is a 503 with Retry-After, never a decision it did not make; the rest are answered")
def _(t):
    t.write("slow.lua", SLOW_POLICY)
    with Server(t, "--workers", "1", "--queue", "1", "--queue-wait", "0.2", "--retry-after", "3",
                policy=t.tmp / "slow.lua") as srv:
        results = [None] * 6
        threads = []

        def one(i):
            results[i] = srv.post_decision(slow_request("1.0.%d" % i))
        for i in range(6):
            th = threading.Thread(target=one, args=(i,), daemon=True)
            th.start()
            threads.append(th)
        for th in threads:
            th.join(60)
        statuses = sorted(r.status for r in results if r is not None)
        t.check(len(statuses) == 6, "not every request was answered", actual=statuses)
        t.check(503 in statuses, "six slow requests on one worker and a queue of one gave no 503", actual=statuses)
        t.check(200 in statuses, "none of six requests was answered", actual=statuses)
        t.check(set(statuses) <= {200, 503}, "statuses other than 200 and 503", actual=statuses)
        for r in results:
            if r.status == 503:
                t.eq(r.header("Retry-After"), "3", "Retry-After")
                t.eq(r.json()["decision"], "error", "decision of a 503")
            else:
                t.eq(r.json()["decision"], "allow", "decision of a 200")


# ---- hostile plugins and policies

SLOW_POLICY = """
policy { name = "slow", version = "1.0.0" }
requirement "slow" {
  title = "Takes a while",
  check = function(ctx)
    local n = 0
    for i = 1, tonumber(ctx.spin or 0) do n = n + i end
    return pass("spun " .. tostring(n))
  end,
}
"""


def slow_request(version, spin=30000000):
    return {"context": {"release": {"name": "slow", "version": version, "type": "minor"}, "spin": spin}, "now": NOW}


RUNAWAY_POLICY = """
policy { name = "runaway", version = "1.0.0" }
requirement "runaway" {
  title = "Never ends for a major release",
  types = { "major" },
  check = function(ctx) while true do end end,
}
requirement "fine" { title = "Fine", check = function(ctx) return pass("fine") end }
"""


def small_request(rtype, version="1.0.0"):
    return {"context": {"release": {"name": "svc", "version": version, "type": rtype}}, "now": NOW}


@case("a runaway policy costs its request an error (never allow) and the next request is answered")
def _(t):
    t.write("runaway.lua", RUNAWAY_POLICY)
    with Server(t, policy=t.tmp / "runaway.lua") as srv:
        start = time.monotonic()
        res = srv.post_decision(small_request("major"), timeout=60)
        t.check(res.status != 200 or res.json()["decision"] == "deny", "a runaway check was answered %r" % res)
        if res.status != 200:
            t.eq(res.json()["decision"], "error", "decision")
        t.note("runaway answered %d after %.1f s" % (res.status, time.monotonic() - start))
        res = srv.post_decision(small_request("minor", "1.0.1"))
        t.eq(res.status, 200, "status of the next request")
        t.eq(res.json()["decision"], "allow", "decision of the next request")


HOSTILE_POLICY = """
policy { name = "hostile", version = "1.0.0" }
requirement "hostile" { title = "hostile", types = { "major" }, check = "hostile.check", level = "mandatory" }
requirement "fine" { title = "Fine", check = function(ctx) return pass("fine") end }
"""


def hostile_plugins(t, kind):
    if HOSTILE_BUILT is None or not (HOSTILE_BUILT / ("hostile-%s.so" % kind)).exists():
        t.skip("the hostile plugins are not built (meson passes their directory)")
    plugins = t.tmp / "plugins"
    plugins.mkdir(mode=0o755, exist_ok=True)
    os.chmod(plugins, 0o755)
    shutil.copy(HOSTILE_BUILT / ("hostile-%s.so" % kind), plugins / ("hostile-%s.so" % kind))
    os.chmod(plugins / ("hostile-%s.so" % kind), 0o755)
    t.write("hostile.lua", HOSTILE_POLICY)
    return plugins


for _kind, _what in (("check_exit0", "a plugin check that exits mid-check"),
                     ("ignore_term", "a plugin check that spins and ignores SIGTERM"),
                     ("forge", "a plugin check that forges allow records everywhere"),
                     ("garbage", "a plugin check that writes garbage to every descriptor")):
    def _make(kind):
        def fn(t):
            plugins = hostile_plugins(t, kind)
            with Server(t, "--plugin-path", plugins, "--check-timeout", "2", policy=t.tmp / "hostile.lua") as srv:
                res = srv.post_decision(small_request("major"), timeout=60)
                doc = res.json()
                t.check(doc["decision"] in ("deny", "error"), "%s: the decision is %s" % (kind, doc["decision"]), actual=doc)
                if res.status == 200:
                    t.eq(doc["decision"], "deny", "decision of a 200")
                    t.eq([r["status"] for r in doc["requirements"] if r["id"] == "hostile"], ["error"],
                         "the hostile requirement's status")
                res = srv.post_decision(small_request("minor", "1.0.1"))
                t.eq(res.status, 200, "status of the next request")
                t.eq(res.json()["decision"], "allow", "decision of the next request")
                t.eq(srv.fetch("/health").status, 200, "/health")
        return fn
    harness.add_case("%s costs one request an error or deny, never the server" % _what, _make(_kind))


# ---- SIGKILL and SIGTERM

def hammer(srv, stop, answered_ids, problems, prefix):
    """Post decisions until STOP is set, recording the id and decision of every 200."""
    client = srv.client(timeout=10, check=False)
    i = 0
    while not stop.is_set():
        i += 1
        try:
            res = client.request("POST", "/v1/decisions", body=good_request("9.%d.%d" % (prefix, i)))
        except (OSError, Exception):  # the server was killed under us
            client.close()
            if stop.is_set():
                break
            time.sleep(0.05)
            continue
        if res.status == 200:
            doc = json.loads(res.body)
            answered_ids.append((doc["id"], doc["decision"], doc["release"]["version"]))
        elif res.status not in (503,):
            problems.append(repr(res))


for _store in ("sqlite", "file"):
    def _make_kill(store):
        def fn(t):
            url = "sqlite:" + str(t.tmp / "store.db") if store == "sqlite" else str(t.tmp / "store.jsonl")
            ids, problems = [], []
            srv = Server(t, "--store", url)
            try:
                stop = threading.Event()
                threads = [threading.Thread(target=hammer, args=(srv, stop, ids, problems, k), daemon=True)
                           for k in range(4)]
                for th in threads:
                    th.start()
                deadline = time.monotonic() + 20
                while len(ids) < 20 and time.monotonic() < deadline:
                    time.sleep(0.05)
                os.killpg(srv.proc.pid, signal.SIGKILL)
                stop.set()
                for th in threads:
                    th.join(15)
            finally:
                srv.kill()
            t.check(len(ids) >= 20, "fewer than 20 decisions were answered before the kill", actual=len(ids))
            t.check(not problems, "statuses other than 200 and 503 under load", actual=problems[:5])
            res = t.run("history", "verify", "--log", url)
            t.eq(res.rc, 0, "relgate history verify after SIGKILL (0: the chain is whole)")
            with Server(t, "--store", url) as again:
                missing = []
                for id_, decision, version in ids:
                    r = again.fetch("/v1/decisions/" + id_)
                    if r.status != 200:
                        missing.append((id_, r.status))
                        continue
                    doc = r.json()
                    if (doc["decision"], doc["release"]["version"]) != (decision, version):
                        missing.append((id_, doc["decision"], doc["release"]["version"]))
                t.check(not missing, "%d of %d answered decisions are not in the store as answered" % (len(missing), len(ids)),
                        actual=missing[:10])
                answered(t, again)
            t.eq(t.run("history", "verify", "--log", url).rc, 0, "relgate history verify after the restart")
        return fn
    harness.add_case("SIGKILL under load (%s store), restart: every answered decision is stored and the chain verifies" % _store,
                     _make_kill(_store))


RELOAD_POLICY = """
policy { name = "reload", version = "%s" }
requirement "fine" { title = "Fine", check = function(ctx) return pass("fine") end }
"""


@case("SIGHUP under load: every request is answered, each decision names the old or the new policy, then only the new")
def _(t):
    policy = t.write("reload.lua", RELOAD_POLICY % "1.0.0")
    with Server(t, "--workers", "2", policy=policy) as srv:
        first = srv.post_decision(small_request("minor")).json()["policy"]
        stop = threading.Event()
        seen, problems = [], []

        def client(k):
            c = srv.client(timeout=30)
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    res = c.request("POST", "/v1/decisions", body=small_request("minor", "1.%d.%d" % (k, i)))
                except Exception as e:  # noqa: BLE001 -- a dropped request is what this looks for
                    problems.append(repr(e))
                    continue
                if res.status != 200:
                    problems.append(repr(res))
                else:
                    seen.append((res.json()["policy"]["version"], res.json()["policy"]["digest"]))
        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for th in threads:
            th.start()
        versions = ["1.0.0"]
        for n in range(1, 4):
            time.sleep(0.5)
            versions.append("1.0.%d" % n)
            t.write("reload.lua", RELOAD_POLICY % versions[-1])
            srv.send_signal(signal.SIGHUP)
        # The clients go on until a reloaded policy answers them (a new generation of
        # workers takes its time on a slow box), for 30 s at most.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and all(v == "1.0.0" for v, _ in list(seen)):
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for th in threads:
            th.join(30)
        t.check(not problems, "requests failed during the reloads", actual=problems[:5])
        t.check(len(seen) > 10, "too few decisions under load", actual=len(seen))
        digests = {}
        for version, digest in seen:
            t.check(version in versions, "a decision names a policy version never served: %s" % version)
            t.check(digests.setdefault(version, digest) == digest, "version %s with two digests" % version)
        t.eq(digests.get("1.0.0"), first["digest"], "the first policy's digest")
        t.check(len(digests) >= 2, "no reload was seen under load", actual=sorted(digests))
        t.note("versions answered under load: %s" % sorted(digests))
        deadline = time.monotonic() + 20
        while True:
            last = srv.post_decision(small_request("minor", "9.9.9")).json()["policy"]
            if last["version"] == versions[-1] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        t.eq(last["version"], versions[-1], "the policy of a decision after the last reload")


@case("SIGTERM drains: the requests in flight are answered, then the server ends with 0 and its workers with it")
def _(t):
    t.write("slow.lua", SLOW_POLICY)
    srv = Server(t, "--workers", "2", "--store", "sqlite:" + str(t.tmp / "d.db"), policy=t.tmp / "slow.lua")
    try:
        runs = [in_thread(srv.post_decision, slow_request("2.0.%d" % i, 60000000)) for i in range(3)]
        time.sleep(1.0)   # every request sent and read; each spins for seconds (two at once, one queued)
        srv.send_signal(signal.SIGTERM)
        for th, _box in runs:
            th.join(60)
        results = [box.get("value") or box.get("error") for _th, box in runs]
        for r in results:
            t.check(not isinstance(r, BaseException), "a request in flight was not answered: %r" % r)
            t.eq(r.status, 200, "status of a request in flight at SIGTERM")
            t.eq(r.json()["decision"], "allow", "decision")
        try:
            srv.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            t.fail("relgate serve did not end within 20 s of SIGTERM with nothing in flight")
        t.eq(srv.proc.returncode, 0, "exit status after SIGTERM")
        t.eq(session_processes(srv.proc.pid), [], "processes of the server's session left running")
    finally:
        srv.kill()
    t.eq(t.run("history", "verify", "--log", "sqlite:" + str(t.tmp / "d.db")).rc, 0, "history verify after the drain")


@case("after SIGTERM new connections are refused or answered 503, never evaluated")
def _(t):
    t.write("slow.lua", SLOW_POLICY)
    srv = Server(t, "--workers", "1", policy=t.tmp / "slow.lua")
    try:
        th, box = in_thread(srv.post_decision, slow_request("3.0.0", 60000000))
        time.sleep(1.0)
        srv.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        try:
            res = srv.post_decision(slow_request("3.0.1", 1), timeout=10)
            t.eq(res.status, 503, "status of a request after SIGTERM")
        except OSError:
            pass   # refused: as good
        th.join(60)
        t.check("value" in box, "the request in flight was not answered: %r" % box.get("error"))
        t.eq(box["value"].status, 200, "the request in flight")
        srv.proc.wait(timeout=20)
    finally:
        srv.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[:2] + sys.argv[3:]))
