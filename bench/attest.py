#!/usr/bin/env python3
"""What signing a decision costs (docs/performance.md, "Signing, as built"):

  make bench-attest          (= python3 bench/attest.py build/relgate)
  COLD=40 BATCH=10000 python3 bench/attest.py build/relgate

On the major pre-release example (its evidence copied to a temporary directory, one
artifact added), with keys openssl makes for the run (ECDSA P-256 and Ed25519):
- a cold decision, plain and with --attest: the median wall time and CPU (user + system)
  of COLD runs each, alternating, the output and the bundle written to files;
- a batch of BATCH lines, plain and with --attest (-j 1: a signed batch runs in one
  process, so the plain one does too): wall, CPU and peak memory;
- relgate verify of that batch's bundle.
Prints one markdown table, with each signed row's ratio to the plain one.  A benchmark:
it asserts nothing and runs only when asked.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RELGATE = str(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "relgate").resolve())
COLD = int(os.environ.get("COLD", "40"))
BATCH = int(os.environ.get("BATCH", "10000"))
NOW = "2025-06-10T14:00:00Z"
POLICY = str(REPO / "policies" / "octoacme.lua")
EXAMPLE = REPO / "examples" / "major" / "pre-release" / "pass"
ARTIFACT = {"name": "app.tar.gz", "digest": {"sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"}}


def keys(tmp):
    """{name: private key path} for an ECDSA P-256 and an Ed25519 key, owner-only."""
    out = {}
    for name, args in (("ECDSA P-256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                       ("Ed25519", ["-algorithm", "ed25519"])):
        path = Path(tmp, name.split()[0].lower() + ".pem")
        subprocess.run(["openssl", "genpkey", *args, "-out", str(path)], check=True, capture_output=True)
        path.chmod(0o600)
        out[name] = path
        subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-out", str(path) + ".pub"], check=True,
                       capture_output=True)
    return out


def run(args, cwd):
    """(wall seconds, CPU seconds, peak RSS KB) of one relgate run that must end 0 or 1."""
    start = time.monotonic()
    proc = subprocess.Popen([RELGATE, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)   # this run's own figures
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit("relgate %s: exit %d" % (" ".join(args), proc.returncode))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    if not shutil.which("openssl"):
        sys.exit("bench-attest needs the openssl command (keys are made for the run)")
    tmp = tempfile.mkdtemp(prefix="relgate-bench-attest-")
    try:
        work = Path(tmp, "release")
        shutil.copytree(EXAMPLE, work)
        ctx = json.loads((work / "context.json").read_text())
        ctx["release"]["artifacts"] = [ARTIFACT]
        (work / "context.json").write_text(json.dumps(ctx))
        with open(work / "batch.jsonl", "w") as f:
            for i in range(BATCH):
                ctx["release"]["version"] = "2.%d.0" % i
                f.write(json.dumps(ctx) + "\n")
        signers = keys(tmp)
        base = ["eval", "--policy", POLICY, "--now", NOW]

        def signing(name, bundle):
            return ["--attest", str(bundle), "--signing-key", str(signers[name])] if name else []

        rows = []
        # Cold decisions, alternating so that a busy box weighs on every kind alike.
        cold = {k: [] for k in [None, *signers]}
        for i in range(COLD):
            for name in cold:
                bundle = Path(tmp, "cold-%d.intoto.jsonl" % i)
                cold[name].append(run(base + ["--context", "context.json", "--output", str(Path(tmp, "out.json"))]
                                      + signing(name, bundle), work))
        for name, runs in cold.items():
            rows.append(("cold decision" + (", --attest " + name if name else ""),
                         statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), None))
        # A batch, one process either way.
        bundles = {}
        for name in [None, *signers]:
            bundle = Path(tmp, "batch-%s.intoto.jsonl" % (name or "plain").split()[0].lower())
            wall, cpu, peak = run(base + ["--batch", "batch.jsonl", "-j", "1"] + signing(name, bundle), work)
            rows.append(("%d-line batch" % BATCH + (", --attest " + name if name else ""), wall, cpu, peak))
            bundles[name] = bundle
        for name in signers:
            wall, cpu, _ = run(["verify", "--attestation", str(bundles[name]), "--public-key",
                                str(signers[name]) + ".pub", "--subject-digest",
                                "sha256:" + ARTIFACT["digest"]["sha256"]], work)
            rows.append(("verify the %d-line bundle, %s" % (BATCH, name), wall, cpu, None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    plain = {"cold": rows[0], "batch": rows[len(signers) + 1]}
    print("| what | wall | CPU | against plain (CPU) | peak memory |")
    print("|---|---|---|---|---|")
    for what, wall, cpu, peak in rows:
        ref = plain["cold"] if what.startswith("cold") else plain["batch"] if "batch" in what else None
        ratio = "%.2fx" % (cpu / ref[2]) if ref and "--attest" in what and ref[2] > 0 else ""
        unit = (lambda s: "%.1f ms" % (s * 1000)) if what.startswith("cold") else (lambda s: "%.2f s" % s)
        print("| %s | %s | %s | %s | %s |" % (what, unit(wall), unit(cpu), ratio,
                                              "%.1f MB" % (peak / 1024) if peak else ""))


if __name__ == "__main__":
    main()
