#!/usr/bin/env python3
"""relgate serve measured against the CLI batch (docs/performance.md, "The service"):

  make bench-serve          (= python3 bench/serve.py build/relgate)
  N=2000 CLIENTS="1 16" MAX_SECONDS=20 python3 bench/serve.py build/relgate

On the peers' 10,000 generated contexts (DATA/contexts-10k.jsonl, DATA=/tmp/peers-data as
for make bench; made with the peers' generator and node when absent) and bench/peers.lua:
- the CLI batch: `relgate eval --batch` over the N contexts with their evidence as files
  (paths made relative, --evidence-root /, as bench.sh's direct row), output to /dev/null:
  wall time, decisions/s;
- the service: `relgate serve` on 127.0.0.1 (port 0, no store: the batch keeps none
  either), then for 1, 16 and 64 clients, each with one keep-alive HTTP/1.1
  connection, POST /v1/decisions of the same N contexts with their evidence inline (read
  once, before timing), all driven by one thread over non-blocking sockets, in C
  (bench/serve_client.c, build/bench/serve-client; SERVE_CLIENT): decisions/s, p50
  and p99 latency of a request (first byte sent to answer read), and the CPU the client
  itself used (its own process: if it nears one core the client, not the server, is the
  limit);
- the CPU (user + system) relgate spent per decision: the batch process and its children;
  the server, its workers and the children they reaped (so the two compare on a loaded box,
  where wall times do not);
- the peak RSS (VmHWM) of the server's process and the largest and sum over its workers;
- whether each context got the same verdict from the service as from the batch (a 400 is
  the error decision the batch prints for the same bad context; other statuses are errors).
Each client count stops after N requests or MAX_SECONDS, whichever comes first; the
server is killed at the end whatever happens.  ROUNDS times (default 3) the batch and
then each client count run in turn, against one server: a box whose speed moves from one
minute to the next (the 2-core VMs here: 9,300 to 14,200 batch decisions/s in an
afternoon) compares the two within a round, and the ratios are the rounds' medians. Prints one markdown table and the ratios
issue #16 sets as targets (service >= 1/2 the batch's decisions/s; p99 <= 20 ms at 16
clients), each marked met or NOT MET. A benchmark: it asserts nothing, unless
BENCH_CHECK=1 (the 'bench' test suite's smoke run, a few contexts): then it exits 1 when a
request got no answer, an error status, or a verdict other than the batch's, and 77 (skip)
when the peers' contexts cannot be had.
"""

import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
from openapi_serve import inline_request, session_processes  # noqa: E402

RELGATE = str(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "relgate").resolve())
DATA = Path(os.environ.get("DATA", "/tmp/peers-data"))
PEERS = Path(os.environ.get("PEERS", REPO.parent / "shared" / "peers"))
N = int(os.environ.get("N", "10000"))
CLIENTS = [int(c) for c in os.environ.get("CLIENTS", "1 16 64").split()]
MAX_SECONDS = float(os.environ.get("MAX_SECONDS", "60"))
WARMUP = int(os.environ.get("WARMUP", "200"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
NOW = os.environ.get("NOW", "2025-06-10T09:00:00Z")   # the peers' clock (bench/gates.sh)
POLICY = REPO / "bench" / "peers.lua"
SERVE_ARGS = os.environ.get("SERVE_ARGS", "").split()
CHECK = os.environ.get("BENCH_CHECK") == "1"
# The load generator (bench/serve_client.c), built beside relgate.
CLIENT = os.environ.get("SERVE_CLIENT", str(Path(RELGATE).parent / "bench" / "serve-client"))


def contexts():
    path = DATA / "contexts-10k.jsonl"
    if not path.exists():
        gen = PEERS / "gen" / "gen-contexts.js"
        if CHECK and (not gen.exists() or not shutil.which("node")):
            print("bench-serve: no peers' contexts and no generator to make them: skipped")
            raise SystemExit(77)
        if not gen.exists():
            raise SystemExit("bench-serve: no %s and no peers' generator at %s (set DATA or PEERS)" % (path, gen))
        DATA.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".%d" % os.getpid())   # whole or not there: renamed in place
        subprocess.run(["node", str(gen), "--count", "10000", "--out", str(part)], check=True)
        part.rename(path)
    lines = path.read_text().splitlines()[:N]
    if len(lines) < N:
        raise SystemExit("bench-serve: %s has %d contexts, fewer than N=%d" % (path, len(lines), N))
    return lines


def batch(lines, tmp):
    """Wall seconds and verdicts of eval --batch over LINES (evidence paths made relative to TMP)."""
    up = "../" * len(Path(tmp).resolve().parts[1:])
    rel = re.compile(r'("(?:ci_status|security_scan|release_notes|backup_manifest)"\s*:\s*")/')
    path = Path(tmp, "batch.jsonl")
    path.write_text("".join(rel.sub(lambda m: m.group(1) + up, line) + "\n" for line in lines))
    out = Path(tmp, "batch.out")
    args = [RELGATE, "eval", "--policy", str(POLICY), "--batch", str(path), "--evidence-root", "/", "--now", NOW]
    with open(out, "wb") as sink:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        rc = subprocess.run(args, cwd=tmp, stdout=sink, stderr=subprocess.DEVNULL).returncode
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    verdicts = [json.loads(line).get("decision") for line in out.read_text().splitlines()]
    # exit 2 when any line is an error decision (the generated contexts include bad ones)
    if rc not in (0, 1, 2) or len(verdicts) != len(lines):
        raise SystemExit("bench-serve: the batch failed (exit %d, %d lines)" % (rc, len(verdicts)))
    return wall, cpu, verdicts


def bodies(lines):
    """The request of each context line, evidence inline; each evidence file is read and
    serialized once (the 48 KB of a SARIF log dumped 10,000 times would take longer than
    the benchmark)."""
    cache, text = {}, {}
    out = []
    for line in lines:
        req = inline_request(json.loads(line), "/", cache)
        evidence = req.pop("evidence")
        req["now"] = NOW
        members = []
        for name, value in evidence.items():
            if id(value) not in text:
                text[id(value)] = json.dumps(value, separators=(",", ":"))
            members.append(json.dumps(name) + ":" + text[id(value)])
        head = json.dumps(req, separators=(",", ":"))
        out.append((head[:-1] + ',"evidence":{' + ",".join(members) + "}}").encode())
    return out


class Server:
    def __init__(self, tmp):
        self.port_file = Path(tmp, "port")
        self.err = open(Path(tmp, "serve.stderr"), "wb")
        self.proc = subprocess.Popen([RELGATE, "serve", "--policy", str(POLICY), "--listen", "127.0.0.1:0",
                                      "--allow-client-now", "--port-file", str(self.port_file)] + SERVE_ARGS,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("bench-serve: relgate serve ended at start: %s"
                                 % Path(tmp, "serve.stderr").read_text(errors="replace")[-1500:])
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text.isdigit():
                self.port = int(text)
                return
            time.sleep(0.05)
        self.stop()
        raise SystemExit("bench-serve: relgate serve wrote no port within 30 s")

    def peak_rss_kib(self):
        """(server's VmHWM, largest worker's, sum of the workers') in KiB."""
        def hwm(pid):
            try:
                m = re.search(r"^VmHWM:\s+(\d+)", Path("/proc/%d/status" % pid).read_text(), re.M)
                return int(m.group(1)) if m else 0
            except OSError:
                return 0
        workers = [hwm(p) for p in session_processes(self.proc.pid) if p != self.proc.pid]
        return hwm(self.proc.pid), max(workers or [0]), sum(workers)

    def cpu_seconds(self):
        """CPU (user + system) of the server and its workers so far, with the children they
        reaped (the plugin checks' processes): from /proc/PID/stat."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in session_processes(self.proc.pid):
            try:
                stat = Path("/proc/%d/stat" % pid).read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += sum(int(f) for f in fields[11:15])   # utime stime cutime cstime
        return total / tick

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.err.close()


def requests_file(reqs, path):
    """REQS written to PATH as serve_client.c reads them (length, newline, body); PATH."""
    with open(path, "wb") as f:
        for body in reqs:
            f.write(b"%d\n" % len(body) + body)
    return path


def load(port, requests, clients, seconds, tmp):
    """Post the requests of the file REQUESTS (requests_file) from CLIENTS keep-alive connections until all are sent or SECONDS pass,
    through bench/serve_client.c (CLIENT): one thread over non-blocking sockets, in C. A
    Python client (one thread, selectors) used 10-13 % of a core per 1,000 decisions a
    second, which on two cores came off the server it measured (and, with a thread per
    client, timed the interpreter lock as the server's latency).  Each request is the same
    bytes an HTTP library sends (POST, Host, Content-Type, Content-Length, the body); its
    latency runs from its first byte sent to its answer's last byte read.  Returns (wall,
    latencies in s, {index: verdict}, errors, client CPU seconds)."""
    latencies, verdicts, errors = [], {}, []
    answers = Path(tmp, "answers")
    subprocess.run([CLIENT, str(port), str(clients), str(seconds), str(requests), str(answers)], check=True,
                   timeout=seconds + 120)
    wall = cpu = 0.0
    for line in answers.read_text().splitlines():
        f = line.split(" ", 3)
        if f[0] == "done":
            wall, cpu = float(f[1]), float(f[2])
        elif f[0] == "error":
            errors.append("%s: %s" % (f[1], f[2] if len(f) > 2 else ""))
        else:
            index, status = int(f[0]), int(f[1])
            latencies.append(float(f[2]) / 1e6)
            # 400 is an error decision, as the batch prints one for the same bad context
            if status in (200, 400):
                verdicts[index] = f[3]
            else:
                errors.append("%d: status %d" % (index, status))
    return wall, latencies, verdicts, errors, cpu



def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    lines = contexts()
    tmp = tempfile.mkdtemp(prefix="rgserve-bench.")
    try:
        run(lines, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(lines, tmp):
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    print("machine: %d cores (%s), load %s at start; %s" % (os.cpu_count(), cpu, load_start,
                                                             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    reqs = bodies(lines)
    print("%d contexts of %s, evidence inline: %.1f KB per request on average; policy bench/peers.lua"
          % (len(reqs), DATA / "contexts-10k.jsonl", sum(map(len, reqs)) / len(reqs) / 1000))
    rounds = []   # each: (batch wall, batch CPU, [rows])
    srv = Server(tmp)
    try:
        warmup = requests_file(reqs[:WARMUP], Path(tmp, "warmup"))
        requests = requests_file(reqs, Path(tmp, "requests"))
        load(srv.port, warmup, min(4, max(CLIENTS)), 30, tmp)   # workers warm, policy loaded
        for _ in range(ROUNDS):
            bwall, bcpu, bverdicts = batch(lines, tmp)
            rows = []
            for clients in CLIENTS:
                scpu = srv.cpu_seconds()
                wall, lat, verdicts, errors, ccpu = load(srv.port, requests, clients, MAX_SECONDS, tmp)
                scpu = srv.cpu_seconds() - scpu
                differ = sum(1 for i, v in verdicts.items() if v != bverdicts[i])
                rows.append((clients, len(verdicts), wall, lat, errors, ccpu, differ, scpu))
            rounds.append((bwall, bcpu, rows))
        rss = srv.peak_rss_kib()
    finally:
        srv.stop()
    print()
    print("| round | run | decisions | wall s | decisions/s | p50 ms | p99 ms | relgate CPU ms per decision | client CPU % of one core | errors | verdicts differing from the batch |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios, p99s = [], []
    for k, (bwall, bcpu, rows) in enumerate(rounds, 1):
        print("| %d | `eval --batch` (evidence files) | %d | %.2f | %.0f | | | %.2f | | | |"
              % (k, len(lines), bwall, len(lines) / bwall, 1000 * bcpu / len(lines)))
        best = 0
        for clients, n, wall, lat, errors, ccpu, differ, scpu in rows:
            rate = n / wall if wall > 0 else 0
            best = max(best, rate)
            if clients == 16:
                p99s.append(pct(lat, 99) * 1000)
            print("| %d | serve, %d client%s (evidence inline) | %d | %.2f | %.0f | %.2f | %.2f | %.2f | %.0f | %d | %d |"
                  % (k, clients, "" if clients == 1 else "s", n, wall, rate, pct(lat, 50) * 1000,
                     pct(lat, 99) * 1000, 1000 * scpu / n if n else 0, 100 * ccpu / wall if wall > 0 else 0,
                     len(errors), differ))
            for e in errors[:3]:
                print("| | error: %s | | | | | | | | | |" % e.replace("|", "/")[:200])
        ratios.append((len(lines) / bwall) / best if best else float("inf"))
    print()
    print("peak RSS (VmHWM): server %.1f MiB, largest worker %.1f MiB, workers together %.1f MiB"
          % (rss[0] / 1024, rss[1] / 1024, rss[2] / 1024))
    print("load %s at the end. Command: make bench-serve (bench/serve.py)%s"
          % (" ".join(Path("/proc/loadavg").read_text().split()[:3]), "; serve " + " ".join(SERVE_ARGS) if SERVE_ARGS else ""))
    print()
    r = statistics.median(ratios)
    print("ratios (issue #16), the median of %d round%s:" % (len(rounds), "" if len(rounds) == 1 else "s"))
    print("  %-62s %6.2fx (target <= 2x): %s   [rounds: %s]"
          % ("CLI batch decisions/s / the service's best", r, "met" if r <= 2 else "NOT MET",
             ", ".join("%.2fx" % x for x in ratios)))
    if p99s:
        p99 = statistics.median(p99s)
        print("  %-62s %6.1f ms (target <= 20 ms): %s   [rounds: %s]"
              % ("p99 latency at 16 clients", p99, "met" if p99 <= 20 else "NOT MET",
                 ", ".join("%.1f" % x for x in p99s)))
    else:
        print("  p99 latency at 16 clients: not measured in this run (CLIENTS)")
    if CHECK:
        bad = [(clients, n, len(errors), differ) for _bw, _bc, rows in rounds
               for clients, n, wall, lat, errors, ccpu, differ, scpu in rows
               if n != len(lines) or errors or differ]
        for clients, n, errs, differ in bad:
            print("BENCH_CHECK: %d clients: %d of %d verdicts, %d errors, %d differing from the batch"
                  % (clients, n, len(lines), errs, differ))
        if bad:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
