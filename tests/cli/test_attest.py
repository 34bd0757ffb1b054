#!/usr/bin/env python3
"""Signed decisions (eval --attest, relgate verify) against code relgate did not write:
keys made by `openssl genpkey`, envelopes checked by the openssl command line over the
PAE this test builds, by Python's `cryptography` (Debian python3-cryptography) and by
Sigstore's own verifier (npm @sigstore/verify); envelopes openssl signs checked by relgate
verify; every tampering refused.  Cases needing a tool that is absent skip.

usage: test_attest.py path/to/relgate [filter]"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness
from harness import REPO, NOW, case, main

PAYLOAD_TYPE = "application/vnd.in-toto+json"
ARTIFACT = {"name": "ledger-service-3.0.0.tar.gz", "digest": {"sha256": hashlib.sha256(b"the release").hexdigest()}}


def have(tool):
    return shutil.which(tool) is not None


def openssl(t, *args):
    res = subprocess.run(["openssl", *args], cwd=t.tmp, capture_output=True)
    if res.returncode != 0:
        t.fail("openssl %s failed: %s" % (" ".join(args), res.stderr.decode(errors="replace")))
    return res


def make_key(t, name, algorithm="EC"):
    """NAME.pem (private, mode 600) and NAME.pub, as openssl genpkey writes them."""
    if not have("openssl"):
        t.skip("the openssl command is not installed")
    args = ["genpkey", "-algorithm", algorithm, "-out", name + ".pem"]
    if algorithm == "EC":
        args += ["-pkeyopt", "ec_paramgen_curve:P-256"]
    openssl(t, *args)
    os.chmod(t.tmp / (name + ".pem"), 0o600)
    openssl(t, "pkey", "-in", name + ".pem", "-pubout", "-out", name + ".pub")


def release(t, example="major/pre-release/pass", artifacts=(ARTIFACT,), dest="rel"):
    """An example release copied into tmp/DEST with release.artifacts; its context path."""
    shutil.copytree(REPO / "examples" / example, t.tmp / dest)
    ctx = json.loads((t.tmp / dest / "context.json").read_text())
    if artifacts is not None:
        ctx["release"]["artifacts"] = list(artifacts)
    (t.tmp / dest / "context.json").write_text(json.dumps(ctx, indent=2))
    return dest + "/context.json"


def attest(t, key="k", context=None, *extra, out="att.intoto.jsonl"):
    return t.eval(str(REPO / "policies" / "octoacme.lua"), context or release(t), "--attest", out,
                  "--signing-key", key + ".pem", *extra)


def envelopes(t, path="att.intoto.jsonl"):
    return [json.loads(line) for line in (t.tmp / path).read_text().splitlines() if line.strip()]


def statement_of(env):
    return json.loads(base64.b64decode(env["payload"]))


def pae(payload_type, body):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def verify(t, path, *keys, extra=()):
    args = ["verify", "--attestation", path]
    for k in keys:
        args += ["--public-key", k + ".pub"]
    return t.run(*args, *extra)


def write_envelope(t, path, env):
    t.write(path, json.dumps(env) + "\n")


def openssl_verifies(t, env, key, algorithm):
    """Whether `openssl` accepts ENV's first signature over the PAE built here."""
    body = base64.b64decode(env["payload"])
    t.write("pae.bin", pae(env["payloadType"], body))
    t.write("sig.bin", base64.b64decode(env["signatures"][0]["sig"]))
    if algorithm == "EC":
        args = ["dgst", "-sha256", "-verify", key + ".pub", "-signature", "sig.bin", "pae.bin"]
    else:
        args = ["pkeyutl", "-verify", "-pubin", "-inkey", key + ".pub", "-rawin", "-in", "pae.bin", "-sigfile", "sig.bin"]
    return subprocess.run(["openssl", *args], cwd=t.tmp, capture_output=True).returncode == 0


def openssl_sign(t, key, data, algorithm="EC"):
    t.write("tosign.bin", data)
    if algorithm == "EC":
        openssl(t, "dgst", "-sha256", "-sign", key + ".pem", "-out", "out.sig", "tosign.bin")
    else:
        openssl(t, "pkeyutl", "-sign", "-inkey", key + ".pem", "-rawin", "-in", "tosign.bin", "-out", "out.sig")
    return base64.b64encode((t.tmp / "out.sig").read_bytes()).decode()


# ---- What relgate signs -------------------------------------------------------------


@case("attest: an allowed release is signed as a PASSED SLSA verification summary in an in-toto statement")
def _(t):
    make_key(t, "k")
    res = attest(t)
    doc = t.expect_decision(res, "allow")
    envs = envelopes(t)
    t.eq(len(envs), 1, "envelopes written")
    env = envs[0]
    t.eq(env["payloadType"], PAYLOAD_TYPE, "payloadType")
    t.eq(len(env["signatures"]), 1, "signatures")
    st = statement_of(env)
    t.eq(st["_type"], "https://in-toto.io/Statement/v1", "_type")
    t.eq(st["predicateType"], "https://slsa.dev/verification_summary/v1", "predicateType")
    t.eq(st["subject"], [ARTIFACT], "subject")
    p = st["predicate"]
    t.eq(p["verificationResult"], "PASSED", "verificationResult")
    t.eq(p["timeVerified"], NOW, "timeVerified (the evaluation clock)")
    t.eq(p["verifier"]["id"], "https://relgate.dev/verifier/v1", "default verifier.id")
    t.check("relgate" in p["verifier"]["version"], "verifier.version names relgate")
    t.eq(p["resourceUri"], "pkg:generic/ledger-service@3.0.0", "resourceUri")
    t.eq("sha256:" + p["policy"]["digest"]["sha256"], doc["policy"]["digest"], "policy digest")
    t.eq(p["verifiedLevels"], ["RELGATE_MAJOR_PRE_RELEASE"], "verifiedLevels")
    t.check(not any(lv.startswith("SLSA_") for lv in p["verifiedLevels"]), "no custom level starts with SLSA_")
    # Every evidence file the decision read, by its content.
    inputs = {i["uri"]: i["digest"]["sha256"] for i in p["inputAttestations"]}
    t.eq(sorted(inputs), sorted(e["path"] for e in doc["evidence"]), "inputAttestations")
    for uri, digest in inputs.items():
        t.eq(digest, hashlib.sha256((t.tmp / "rel" / uri).read_bytes()).hexdigest(), "digest of " + uri)
    mine = p["https://relgate.dev/decision/v1"]
    t.eq(mine["decision"], "allow", "decision")
    t.eq(mine["summary"], doc["summary"], "summary")
    t.eq([(r["id"], r["status"]) for r in mine["requirements"]],
         [(r["id"], r["status"]) for r in doc["requirements"]], "per-requirement statuses")


@case("attest: a denied release is FAILED with no verified level, and relgate verify exits 1")
def _(t):
    make_key(t, "k")
    ctx = release(t, "major/pre-release/no-migration-steps")
    t.expect_decision(attest(t, "k", ctx), "deny")
    p = statement_of(envelopes(t)[0])["predicate"]
    t.eq(p["verificationResult"], "FAILED", "verificationResult")
    t.eq(p["verifiedLevels"], [], "verifiedLevels")
    res = verify(t, "att.intoto.jsonl", "k")
    t.expect_exit(res, 1)
    t.eq(json.loads(res.out)["predicate"]["verificationResult"], "FAILED", "the statement printed")


@case("attest: ECDSA P-256 envelopes verify with openssl over the PAE, Python cryptography and relgate verify")
def _(t):
    make_key(t, "k")
    t.expect_exit(attest(t), 0)
    env = envelopes(t)[0]
    t.check(openssl_verifies(t, env, "k", "EC"), "openssl dgst -sha256 -verify refused relgate's signature")
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        t.note("# python3-cryptography is not installed: that verifier is skipped")
    else:
        key = serialization.load_pem_public_key((t.tmp / "k.pub").read_bytes())
        key.verify(base64.b64decode(env["signatures"][0]["sig"]),
                   pae(env["payloadType"], base64.b64decode(env["payload"])), ec.ECDSA(hashes.SHA256()))
    res = verify(t, "att.intoto.jsonl", "k")
    t.expect_exit(res, 0)
    t.eq(json.loads(res.out), statement_of(env), "the verified statement printed")


@case("attest: Ed25519 envelopes verify with openssl pkeyutl over the PAE and relgate verify")
def _(t):
    make_key(t, "k", "ed25519")
    t.expect_exit(attest(t), 0)
    env = envelopes(t)[0]
    t.eq(len(base64.b64decode(env["signatures"][0]["sig"])), 64, "an Ed25519 signature's length")
    t.check(openssl_verifies(t, env, "k", "ed25519"), "openssl pkeyutl -verify refused relgate's signature")
    t.expect_exit(verify(t, "att.intoto.jsonl", "k"), 0)


@case("attest: each decision is appended as one line of an .intoto.jsonl bundle, and --log keeps it beside the decision")
def _(t):
    make_key(t, "k")
    ctx = release(t)
    t.expect_exit(attest(t, "k", ctx, "--log", "gate.jsonl"), 0)
    t.expect_exit(attest(t, "k", ctx, "--log", "gate.jsonl", "--verifier-id", "https://ci.example/gate"), 0)
    envs = envelopes(t)
    t.eq(len(envs), 2, "lines in the bundle")
    t.eq(statement_of(envs[1])["predicate"]["verifier"]["id"], "https://ci.example/gate", "--verifier-id")
    records = [json.loads(line) for line in (t.tmp / "gate.jsonl").read_text().splitlines()]
    t.eq([r.get("attestation") for r in records], envs, "the log's records carry their envelopes")
    t.expect_exit(t.run("history", "verify", "--log", "gate.jsonl"), 0)
    # Both lines verify; the last one meeting the expectation answers.
    t.expect_exit(verify(t, "att.intoto.jsonl", "k", extra=["--verifier-id", "https://ci.example/gate"]), 0)
    t.expect_exit(verify(t, "att.intoto.jsonl", "k", extra=["--verifier-id", "https://relgate.dev/verifier/v1"]), 0)
    res = verify(t, "att.intoto.jsonl", "k", extra=["--verifier-id", "https://elsewhere.example"])
    t.expect_exit(res, 2)
    t.contains(res.err, "https://elsewhere.example", "stderr")


@case("attest: a partial last line (a gate killed mid-append, a full disk) is cut before the next envelope is appended")
def _(t):
    """The next envelope was written onto the half one's line, and verify then refused the
    whole bundle, the good envelopes in it too (hostile round 10, F05)."""
    make_key(t, "k")
    ctx = release(t)
    t.expect_exit(attest(t, "k", ctx), 0)
    good = (t.tmp / "att.intoto.jsonl").read_text()
    (t.tmp / "att.intoto.jsonl").write_text(good + good[:200])   # a half envelope, no newline
    t.expect_exit(attest(t, "k", ctx), 0)
    lines = (t.tmp / "att.intoto.jsonl").read_text().splitlines()
    t.eq(len(lines), 2, "the half line is gone, the new envelope on a line of its own")
    t.eq(lines[0] + "\n", good, "the earlier envelope is kept")
    t.expect_exit(verify(t, "att.intoto.jsonl", "k"), 0)
    # A whole envelope that lost only its newline is kept, its newline put back (hostile
    # round 37a, F01: cut away, a PASSED envelope verify had accepted was lost).
    (t.tmp / "att.intoto.jsonl").write_text(good + good.rstrip("\n"))
    t.expect_exit(verify(t, "att.intoto.jsonl", "k"), 0)
    t.expect_exit(attest(t, "k", ctx), 0)
    lines = (t.tmp / "att.intoto.jsonl").read_text().splitlines(keepends=True)
    t.eq(lines[:2], [good, good], "the two envelopes kept, each on its line")
    t.eq(len(lines), 3, "and the new one after them")
    t.expect_exit(verify(t, "att.intoto.jsonl", "k"), 0)
    # One envelope pretty-printed over several lines is not appended to: the bundle would
    # be read line by line, and no line of it would verify.
    pretty = json.dumps(json.loads(good), indent=2)
    for text in (pretty, pretty + "\n"):
        (t.tmp / "pretty.json").write_text(text)
        t.expect_exit(verify(t, "pretty.json", "k"), 0)
        res = attest(t, "k", ctx, "--log", "refused.jsonl", out="pretty.json")
        t.expect_exit(res, 2)
        t.contains(res.err, "is one envelope written over several lines", "stderr")
        t.eq((t.tmp / "pretty.json").read_text(), text, "the pretty envelope, untouched")
        # Refused before anything is decided: no allow in the log for a run that exited 2
        # (hostile round 37c, F01).
        t.check(not (t.tmp / "refused.jsonl").exists() or not (t.tmp / "refused.jsonl").read_text(),
                "nothing logged", actual=(t.tmp / "refused.jsonl").exists() and (t.tmp / "refused.jsonl").read_text())


@case("attest: --batch signs one envelope per decision, in input order, none for an error line")
def _(t):
    make_key(t, "k")
    ctx = json.loads((t.tmp / release(t)).read_text())
    lines = []
    for i, version in enumerate(["3.0.0", "3.0.1", "3.0.2"]):
        c = json.loads(json.dumps(ctx))
        c["release"]["version"] = version
        c["release"]["artifacts"] = [{"name": "a-%d" % i, "digest": {"sha256": "%064x" % i}}]
        if i == 1:
            del c["release"]["artifacts"]
        lines.append(json.dumps(c))
    t.write("rel/batch.jsonl", "\n".join(lines) + "\n")
    res = t.run("eval", "--policy", REPO / "policies" / "octoacme.lua", "--batch", "rel/batch.jsonl", "--now", NOW,
                "--attest", "att.intoto.jsonl", "--signing-key", "k.pem")
    t.expect_exit(res, 2)   # the line without artifacts is an error
    out = [json.loads(line) for line in res.out.splitlines()]
    t.eq([d["decision"] for d in out][1], "error", "line 2")
    t.contains(out[1]["error"]["message"], "release.artifacts", "line 2's error")
    envs = envelopes(t)
    t.eq([statement_of(e)["subject"][0]["name"] for e in envs], ["a-0", "a-2"], "subjects, in order")
    t.expect_exit(verify(t, "att.intoto.jsonl", "k", extra=["--subject-digest", "sha256:%064x" % 0]), 0)


# ---- What relgate verify accepts and refuses ---------------------------------------


@case("verify: the expectations (subject, policy digest, verifier, resource) are checked")
def _(t):
    make_key(t, "k")
    doc = t.decision(attest(t, "k", None, "--resource-uri", "oci://registry.example/ledger@sha256:" + "1" * 64))
    good = "sha256:" + ARTIFACT["digest"]["sha256"]
    t.expect_exit(verify(t, "att.intoto.jsonl", "k", extra=["--subject-digest", good, "--policy-digest",
                                                             doc["policy"]["digest"], "--resource-uri",
                                                             "oci://registry.example/ledger@sha256:" + "1" * 64]), 0)
    t.expect_exit(verify(t, "att.intoto.jsonl", "k", extra=["--subject-digest", good.upper().replace("SHA256", "sha256")]), 0)
    for extra, needle in [(["--subject-digest", "sha256:" + "0" * 64], "no subject"),
                          (["--policy-digest", "sha256:" + "0" * 64], "policy"),
                          (["--resource-uri", "pkg:generic/other@1.0.0"], "resource")]:
        res = verify(t, "att.intoto.jsonl", "k", extra=extra)
        t.expect_exit(res, 2)
        t.contains(res.err, needle, "stderr")
        t.eq(res.out, "", "stdout of a refused attestation")


@case("verify: --stage and --max-age hold an envelope to the stage it decided and its age: a PASSED pre-release decision is no leave to deploy")
def _(t):
    """Without --stage, the pre-release gate's PASSED envelope verified at the deploy step
    although the deploy gate denied the artifact (hostile round 10, F01)."""
    make_key(t, "k")
    t.expect_exit(attest(t, "k", release(t), out="pre.intoto.jsonl"), 0)
    t.expect_exit(attest(t, "k", release(t, "major/deploy/stale-backup", dest="dep"), out="deploy.intoto.jsonl"), 1)
    digest = ["--subject-digest", "sha256:" + ARTIFACT["digest"]["sha256"]]
    res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--stage", "pre-release"])
    t.expect_exit(res, 0)
    t.contains(res.err, "valid: PASSED (a pre-release decision about ledger-service 3.0.0)", "what it was about, on stderr")
    res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--stage", "deploy"])
    t.expect_exit(res, 2)
    t.contains(res.err, 'a decision about the stage "pre-release", not "deploy"', "stderr")
    t.write("both.intoto.jsonl", (t.tmp / "deploy.intoto.jsonl").read_text() + (t.tmp / "pre.intoto.jsonl").read_text())
    # The newest that meets the expectations answers; these two were decided in the same
    # second, so the FAILED one (round 37a, F03: the order in the file is not the order
    # the gates decided in).
    t.expect_exit(verify(t, "both.intoto.jsonl", "k", extra=digest), 1)
    t.expect_exit(verify(t, "both.intoto.jsonl", "k", extra=digest + ["--stage", "deploy"]), 1)
    # --max-age: how long ago it may have been decided, counted from --now (else now).
    at = statement_of(envelopes(t, "pre.intoto.jsonl")[0])["predicate"]["timeVerified"]
    t.eq(at, NOW, "timeVerified is the decision's clock")
    fresh = digest + ["--max-age", "1h", "--now", "2025-06-10T14:30:00Z"]
    t.expect_exit(verify(t, "pre.intoto.jsonl", "k", extra=fresh), 0)
    res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "1h", "--now", "2025-06-10T15:00:01Z"])
    t.expect_exit(res, 2)
    t.contains(res.err, "more than 3600 s before now", "stderr")
    res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "1h", "--now", "2025-06-10T13:00:00Z"])
    t.expect_exit(res, 2)
    t.contains(res.err, "after now", "stderr")
    t.expect_exit(verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "30d"]), 2)   # 2025 is long ago
    for bad in ("-1h", "1w", "0", "5x"):
        res = verify(t, "pre.intoto.jsonl", "k", extra=["--max-age", bad])
        t.expect_exit(res, 2)
        t.contains(res.err, "is not a duration", "--max-age %r" % bad)
    # Below a second: once cut to 0 s, the library's "no limit", so an envelope of 2025
    # verified PASSED today (hostile round 24, F01).
    for bad in ("0.5s", "0.9", "500e-3", "1e-9d", "0x0.1p0"):
        res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", bad])
        t.expect_exit(res, 2)
        t.contains(res.err, "is less than a second", "--max-age %r" % bad)
    t.expect_exit(verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "1.5s", "--now",
                                                                       "2025-06-10T14:00:01Z"]), 0)
    t.expect_exit(verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "1.5s", "--now",
                                                                       "2025-06-10T14:00:02Z"]), 2)
    # The epoch as --now was the library's "the current time": a decision made after it
    # verified (round 24, F02). Refused, as every time before it.
    for bad in ("1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        res = verify(t, "pre.intoto.jsonl", "k", extra=digest + ["--max-age", "1h", "--now", bad])
        t.expect_exit(res, 2)
        t.contains(res.err, "is not after 1970-01-01T00:00:00Z", "--now %r" % bad)
    res = verify(t, "both.intoto.jsonl", "k", extra=digest + ["--stage", "deplyo"])
    t.expect_exit(res, 2)
    t.contains(res.err, "--stage 'deplyo' is not pre-release, deploy or post-deploy", "stderr")


@case("verify: --environment holds an envelope to the environment it decided; the newest decision answers, "
      "whatever its place in the file")
def _(t):
    """A staging deploy's PASSED answered production's deploy step (hostile round 37a, F02);
    a batch's PASSED appended after a newer FAILED answered (F03)."""
    make_key(t, "k")
    digest = ["--subject-digest", "sha256:" + ARTIFACT["digest"]["sha256"]]
    contexts = {}
    for env, example in (("staging", "major/deploy/pass"), ("production", "major/deploy/stale-backup"),
                         (None, "major/deploy/pass")):
        name = env or "unnamed"
        path = release(t, example, dest=name)
        ctx = json.loads((t.tmp / path).read_text())
        if env:
            ctx["release"]["environment"] = env
        (t.tmp / path).write_text(json.dumps(ctx))
        contexts[name] = path
    t.expect_exit(attest(t, "k", contexts["staging"], out="staging.jsonl"), 0)
    t.expect_exit(attest(t, "k", contexts["production"], out="production.jsonl"), 1)
    t.expect_exit(attest(t, "k", contexts["unnamed"], out="unnamed.jsonl"), 0)
    # Staging's PASSED decided after production's FAILED, appended after it.
    later = t.eval(str(REPO / "policies" / "octoacme.lua"), contexts["staging"], "--attest", "later.jsonl",
                   "--signing-key", "k.pem", now="2025-06-10T14:05:00Z")
    t.expect_exit(later, 0)
    t.write("bundle.jsonl", "".join((t.tmp / f).read_text() for f in ("production.jsonl", "later.jsonl")))
    deploy = digest + ["--stage", "deploy"]
    t.expect_exit(verify(t, "bundle.jsonl", "k", extra=deploy + ["--environment", "production"]), 1)
    res = verify(t, "bundle.jsonl", "k", extra=deploy + ["--environment", "staging"])
    t.expect_exit(res, 0)
    t.contains(res.err, "PASSED (a deploy decision about ledger-service 3.0.0 in staging)", "stderr")
    t.expect_exit(verify(t, "bundle.jsonl", "k", extra=deploy), 0)   # the newest of all: staging's, 14:05
    res = verify(t, "staging.jsonl", "k", extra=deploy + ["--environment", "production"])
    t.expect_exit(res, 2)
    t.contains(res.err, 'a decision about the environment "staging", not "production"', "stderr")
    res = verify(t, "unnamed.jsonl", "k", extra=deploy + ["--environment", "production"])
    t.expect_exit(res, 2)
    t.contains(res.err, 'a decision about the environment "(none)", not "production"', "stderr")
    t.expect_exit(verify(t, "bundle.jsonl", "k", extra=deploy + ["--environment", ""]), 2)
    # Appended out of order: the PASSED decided at 14:00 after the FAILED decided at 14:05.
    denied = t.eval(str(REPO / "policies" / "octoacme.lua"), contexts["production"], "--attest", "denied.jsonl",
                    "--signing-key", "k.pem", now="2025-06-10T14:05:00Z")
    t.expect_exit(denied, 1)
    t.write("late.jsonl", "".join((t.tmp / f).read_text() for f in ("denied.jsonl", "staging.jsonl")))
    t.expect_exit(verify(t, "late.jsonl", "k", extra=deploy), 1)
    t.write("inorder.jsonl", "".join((t.tmp / f).read_text() for f in ("staging.jsonl", "later.jsonl")))
    t.expect_exit(verify(t, "inorder.jsonl", "k", extra=deploy), 0)


@case("verify: an envelope dated ahead of the verifier's clock never answers, --max-age or not; eval refuses "
      "to log or attest a decision dated ahead of the machine's clock")
def _(t):
    """A PASSED signed with --now in the future outranked every real FAILED after it (hostile
    round 41a, F04): the age rule held it back only under --max-age."""
    make_key(t, "k")
    digest = ["--subject-digest", "sha256:" + ARTIFACT["digest"]["sha256"], "--stage", "pre-release"]
    passing, failing = release(t, dest="pass"), release(t, "major/pre-release/high-vulnerability", dest="fail")
    t.expect_exit(attest(t, "k", passing, out="passed.jsonl"), 0)              # at NOW, 14:00
    failed = t.eval(str(REPO / "policies" / "octoacme.lua"), failing, "--attest", "failed.jsonl",
                    "--signing-key", "k.pem", now="2025-06-10T13:00:00Z")
    t.expect_exit(failed, 1)
    t.write("bundle.jsonl", (t.tmp / "failed.jsonl").read_text() + (t.tmp / "passed.jsonl").read_text())
    for extra in ([], ["--max-age", "7d"]):
        res = verify(t, "bundle.jsonl", "k", extra=digest + ["--now", "2025-06-10T13:30:00Z"] + extra)
        t.expect_exit(res, 1)   # the PASSED is half an hour ahead: the FAILED answers
        res = verify(t, "passed.jsonl", "k", extra=digest + ["--now", "2025-06-10T13:30:00Z"] + extra)
        t.expect_exit(res, 2)
        t.contains(res.err, "after now: a clock ahead, or not a decision made yet", "stderr")
    # within five minutes of the clock it counts
    t.expect_exit(verify(t, "bundle.jsonl", "k", extra=digest + ["--now", "2025-06-10T13:56:00Z"]), 0)
    ahead = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
    for extra in (["--attest", "ahead.jsonl", "--signing-key", "k.pem"], ["--log", "ahead-log.jsonl"]):
        res = t.eval(str(REPO / "policies" / "octoacme.lua"), passing, *extra, now=ahead)
        t.expect_exit(res, 2)
        t.contains(res.err, "more than 5 minutes ahead of this machine's clock", "stderr")
        t.check(not (t.tmp / extra[1]).exists(), "%s was written" % extra[1])
    res = t.eval(str(REPO / "policies" / "octoacme.lua"), passing, now=ahead)   # not recorded: decided
    t.check(res.rc in (0, 1) and t.decision(res)["evaluated_at"] == ahead, "a decision not recorded is decided "
            "at the --now given", actual=res.rc)


@case("verify: a changed payload, payload type or signature, or another key, is refused (exit 2)")
def _(t):
    make_key(t, "k")
    make_key(t, "other")
    t.expect_exit(attest(t), 0)
    env = envelopes(t)[0]
    body = base64.b64decode(env["payload"])
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    tampered = {
        "payload": dict(env, payload=base64.b64encode(body.replace(b'"PASSED"', b'"FAILED"')).decode()),
        "payload byte": dict(env, payload=base64.b64encode(body[:-2] + b" }").decode()),
        "payload type": dict(env, payloadType="application/vnd.in-toto.other+json"),
        "signature": dict(env, signatures=[{"sig": base64.b64encode(bytes(sig[:-1]) + bytes([sig[-1] ^ 1])).decode()}]),
        "no signature": dict(env, signatures=[]),
    }
    for what, bad in tampered.items():
        write_envelope(t, "bad.json", bad)
        res = verify(t, "bad.json", "k")
        t.expect_exit(res, 2)
        t.check(res.out == "", "a refused attestation printed its statement (%s)" % what)
    res = verify(t, "att.intoto.jsonl", "other")
    t.expect_exit(res, 2)
    t.contains(res.err, "no signature verifies", "stderr")
    # The same bytes in the URL-safe alphabet, unpadded: still valid (DSSE verifiers must).
    url = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    write_envelope(t, "url.json", dict(env, payload=url(body), signatures=[{"sig": url(bytes(sig))}]))
    t.expect_exit(verify(t, "url.json", "k"), 0)
    # A bundle with one forged line is refused whole.
    (t.tmp / "mixed.jsonl").write_text(json.dumps(env) + "\n" + json.dumps(tampered["payload"]) + "\n")
    res = verify(t, "mixed.jsonl", "k")
    t.expect_exit(res, 2)
    t.contains(res.err, "mixed.jsonl:2", "stderr")


@case("verify: envelopes openssl signs over a PAE built here verify, with thresholds of distinct keys")
def _(t):
    make_key(t, "a")
    make_key(t, "b", "ed25519")
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [ARTIFACT],
                 "predicateType": "https://slsa.dev/verification_summary/v1",
                 "predicate": {"verifier": {"id": "https://ci.example/gate"}, "timeVerified": NOW,
                               "resourceUri": "pkg:generic/x@1.0.0", "policy": {"uri": "p", "digest": {"sha256": "ab" * 32}},
                               "verificationResult": "PASSED", "verifiedLevels": ["CUSTOM_GATE"]}}
    body = json.dumps(statement).encode()
    data = pae(PAYLOAD_TYPE, body)
    sig_a, sig_b = openssl_sign(t, "a", data), openssl_sign(t, "b", data, "ed25519")
    payload = base64.b64encode(body).decode()
    write_envelope(t, "one.json", {"payload": payload, "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": sig_a}]})
    t.expect_exit(verify(t, "one.json", "a", extra=["--verifier-id", "https://ci.example/gate"]), 0)
    write_envelope(t, "two.json", {"payload": payload, "payloadType": PAYLOAD_TYPE,
                                   "signatures": [{"keyid": "x", "sig": sig_a}, {"sig": sig_b}]})
    t.expect_exit(verify(t, "two.json", "a", "b", extra=["--threshold", "2"]), 0)
    t.expect_exit(verify(t, "one.json", "a", "b", extra=["--threshold", "2"]), 2)
    write_envelope(t, "twice.json", {"payload": payload, "payloadType": PAYLOAD_TYPE,
                                     "signatures": [{"sig": sig_a}, {"sig": sig_a}]})
    t.expect_exit(verify(t, "twice.json", "a", "b", extra=["--threshold", "2"]), 2)
    # One key given twice is one key: a threshold of two cannot be met with it.
    res = t.run("verify", "--attestation", "two.json", "--public-key", "a.pub", "--public-key", "a.pub", "--threshold", "2")
    t.expect_exit(res, 2)
    t.contains(res.err, "distinct", "stderr")
    # A signature over the PAE with the character count of a non-ASCII type, not its bytes.
    other = json.dumps(dict(statement, subject=[{"name": "ä", "digest": {"sha256": "cd" * 32}}]), ensure_ascii=False).encode()
    wrong = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(other.decode()), other)
    write_envelope(t, "chars.json", {"payload": base64.b64encode(other).decode(), "payloadType": PAYLOAD_TYPE,
                                     "signatures": [{"sig": openssl_sign(t, "a", wrong)}]})
    t.expect_exit(verify(t, "chars.json", "a"), 2)
    write_envelope(t, "bytes.json", {"payload": base64.b64encode(other).decode(), "payloadType": PAYLOAD_TYPE,
                                     "signatures": [{"sig": openssl_sign(t, "a", pae(PAYLOAD_TYPE, other))}]})
    t.expect_exit(verify(t, "bytes.json", "a"), 0)
    # Another statement or predicate type, validly signed: refused.
    for field, value in [("_type", "https://in-toto.io/Statement/v0.1"), ("predicateType", "https://slsa.dev/provenance/v1")]:
        b = json.dumps(dict(statement, **{field: value})).encode()
        write_envelope(t, "type.json", {"payload": base64.b64encode(b).decode(), "payloadType": PAYLOAD_TYPE,
                                        "signatures": [{"sig": openssl_sign(t, "a", pae(PAYLOAD_TYPE, b))}]})
        t.expect_exit(verify(t, "type.json", "a"), 2)


@case("attest: GnuTLS is mapped only by a run that signs or verifies, never by a plain decision")
def _(t):
    make_key(t, "k")
    ctx = release(t)
    env = {"LD_DEBUG": "files"}
    plain = t.eval(str(REPO / "policies" / "octoacme.lua"), ctx, env=env)
    t.expect_exit(plain, 0)
    t.check("libgnutls" not in plain.err, "a decision that does not sign loaded GnuTLS")
    t.check("libgnutls" not in subprocess.run(["ldd", str(Path(sys.argv[1]).resolve())], capture_output=True,
                                              text=True).stdout, "relgate links GnuTLS")
    signed = attest(t, "k", ctx)
    t.expect_exit(signed, 0)
    signed = t.run("verify", "--attestation", "att.intoto.jsonl", "--public-key", "k.pub", env=env)
    t.expect_exit(signed, 0)
    t.contains(signed.err, "libgnutls", "the loader's trace of relgate verify")


# ---- Refusals -----------------------------------------------------------------------


@case("attest: a signing key others may read, an unsupported key, no artifacts or an error decision: no attestation")
def _(t):
    make_key(t, "k")
    ctx = release(t)
    os.chmod(t.tmp / "k.pem", 0o640)
    res = attest(t, "k", ctx)
    t.expect_error(res, "usage", mentions=("k.pem", "chmod 600"), file_on_stderr=False)
    pem = (t.tmp / "k.pem").read_text()
    body = "".join(pem.splitlines()[1:-1])
    t.check(body[:40] not in res.err and body[:40] not in res.out, "key material was printed")
    os.chmod(t.tmp / "k.pem", 0o600)
    openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem")
    os.chmod(t.tmp / "p384.pem", 0o600)
    t.expect_error(attest(t, "p384", ctx), "usage", mentions=("P-256",), file_on_stderr=False)
    openssl(t, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem")
    os.chmod(t.tmp / "rsa.pem", 0o600)
    t.expect_error(attest(t, "rsa", ctx), "usage", mentions=("RSA",), file_on_stderr=False)
    t.expect_error(attest(t, "k", release(t, artifacts=None, dest="bare")), "context",
                   mentions=("release.artifacts",), file_on_stderr=False)
    t.write("broken/context.json", '{"release": {"name": "x"}}')
    t.expect_error(attest(t, "k", "broken/context.json"), "context", file_on_stderr=False)
    t.check(not (t.tmp / "att.intoto.jsonl").exists(), "an attestation was written")
    res = t.eval(str(REPO / "policies" / "octoacme.lua"), ctx, "--attest", "x.jsonl")
    t.expect_error(res, "usage", mentions=("--signing-key",), file_on_stderr=False)
    t.write("rel/bad-artifacts.json", json.dumps({"release": {"name": "x", "version": "1.0.0", "type": "patch",
                                                              "artifacts": [{"name": "a", "digest": {"sha256": "XYZ"}}]}}))
    res = t.eval(str(REPO / "policies" / "octoacme.lua"), "rel/bad-artifacts.json")
    t.expect_error(res, "context", mentions=("release.artifacts[0]",), file_on_stderr=False)


# ---- The documentation -------------------------------------------------------------


def doc_block(doc, heading, index=0):
    """The INDEX-th ```sh block under HEADING in docs/DOC."""
    text = (REPO / "docs" / doc).read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n")[1 + index].split("```", 1)[0]


@case("docs: the signed-decision example of docs/ci.md runs: the deploy happens for a PASSED decision about the artifact")
def _(t):
    if not have("openssl") or not have("sha256sum"):
        t.skip("openssl or sha256sum is not installed")
    t.write("app.tar.gz", b"the release archive")
    shutil.copytree(REPO / "examples" / "major" / "pre-release" / "pass", t.tmp, dirs_exist_ok=True)
    ctx = json.loads((t.tmp / "context.json").read_text())
    ctx["release"]["artifacts"] = [{"name": "app.tar.gz", "digest": {"sha256": hashlib.sha256(b"the release archive").hexdigest()}}]
    t.write_json("release.json", ctx)
    os.symlink(REPO / "policies", t.tmp / "policies")
    t.write("deploy.sh", "#!/bin/sh\necho \"deployed $1\" > deployed\n", mode=0o755)
    # The example's release passes at the examples' clock: the run fixes it there.
    script = "set -eu\n" + doc_block("ci.md", "## Signed decisions").replace("relgate eval ", "relgate eval --now %s " % NOW)
    env = dict(os.environ, PATH=str(Path(sys.argv[1]).resolve().parent) + os.pathsep + os.environ["PATH"])
    res = subprocess.run(["sh", "-c", script], cwd=t.tmp, env=env, capture_output=True)
    t.check(res.returncode == 0, "the example failed: %s" % res.stderr.decode(errors="replace"))
    t.eq((t.tmp / "deployed").read_text(), "deployed app.tar.gz\n", "what deploy.sh wrote")
    t.eq(json.loads((t.tmp / "statement.json").read_text())["predicate"]["verificationResult"], "PASSED", "the statement")
    # Another artifact: no deploy.
    (t.tmp / "deployed").unlink()
    t.write("app.tar.gz", b"something else")
    res = subprocess.run(["sh", "-c", script.split("# The deploy step")[1]], cwd=t.tmp, env=env, capture_output=True)
    t.check(res.returncode == 2 and not (t.tmp / "deployed").exists(), "a deploy happened for another artifact")
    # The key id slsa-verifier is given in the docs is the one relgate wrote.
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", "gate.pub", "-outform", "DER"], cwd=t.tmp,
                         capture_output=True).stdout
    t.eq(envelopes(t, "gate.intoto.jsonl")[0]["signatures"][0]["keyid"], hashlib.sha256(der).hexdigest(), "keyid")


@case("schema: every example context, and one with artifacts, meets schema/context.schema.json")
def _(t):
    import jsonschema
    schema = json.loads((REPO / "schema" / "context.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    contexts = sorted((REPO / "examples").glob("**/context.json"))
    t.check(len(contexts) > 10, "too few example contexts found")
    for path in contexts:
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
        t.check(not errors, "%s does not meet the schema" % path, actual=errors[:3])
    ctx = json.loads(contexts[0].read_text())
    ctx["release"]["artifacts"] = [ARTIFACT]
    t.check(validator.is_valid(ctx), "a context with artifacts is refused")
    ctx["release"]["artifacts"] = [{"name": "a", "digest": {"sha256": "ABC"}}]
    t.check(not validator.is_valid(ctx), "a bad artifact digest is accepted")


# ---- Sigstore's verifier ------------------------------------------------------------


def sigstore_modules(t):
    return harness.npm_modules(t, "@sigstore/verify", "@sigstore/bundle")


@case("attest: Sigstore's verifier (@sigstore/verify) accepts relgate's envelopes and refuses a tampered one")
def _(t):
    if not have("node"):
        t.skip("node is not installed")
    modules = sigstore_modules(t)
    script = REPO / "tests" / "attest" / "sigstore_verify.js"
    for name, algorithm in [("ec", "EC"), ("ed", "ed25519")]:
        make_key(t, name, algorithm)
        out = name + ".intoto.jsonl"
        t.expect_exit(attest(t, name, release(t, dest="rel-" + name), out=out), 0)
        env = envelopes(t, out)[0]
        write_envelope(t, name + ".json", env)
        res = subprocess.run(["node", str(script), str(modules), name + ".json", name + ".pub"], cwd=t.tmp,
                             capture_output=True)
        t.check(res.returncode == 0, "Sigstore refused relgate's %s envelope: %s" % (algorithm, res.stderr.decode()))
        body = base64.b64decode(env["payload"]).replace(b"PASSED", b"FAILED")
        write_envelope(t, "bad.json", dict(env, payload=base64.b64encode(body).decode()))
        res = subprocess.run(["node", str(script), str(modules), "bad.json", name + ".pub"], cwd=t.tmp, capture_output=True)
        t.check(res.returncode == 1, "Sigstore accepted a tampered envelope")


if __name__ == "__main__":
    main()
