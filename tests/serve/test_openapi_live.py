"""Every path of docs/openapi.json asked once of a live `relgate serve`, its answer held
against the file (openapi_serve checks every response): a decision posted, read back by id,
its attestation (signed with a key made here, and 404 when the server does not sign),
last-good after a post-deploy allow, /health, /ready, /metrics (the Prometheus text
format and the metrics the issue asks for), and an Idempotency-Key retry.

meson runs: python3 test_openapi_live.py path/to/relgate
"""

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import openapi_check  # noqa: E402
from harness import REPO, case, main  # noqa: E402
from openapi_serve import Server, context_with_inline_evidence  # noqa: E402

PRE = REPO / "examples" / "minor" / "pre-release" / "pass" / "context.json"
POST = REPO / "examples" / "minor" / "post-deploy" / "pass" / "context.json"
NOW = "2025-06-10T14:00:00Z"


def request(path):
    body = context_with_inline_evidence(path)
    body["now"] = json.loads((path.parent / "expect.json").read_text()).get("now", NOW)
    return body


@case("a decision is answered, read back by its id as answered, and a stranger id is a 404")
def _(t):
    with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
        res = srv.post_decision(request(PRE))
        t.eq(res.status, 200, "status")
        doc = res.json()
        t.eq(doc["decision"], "allow", "decision")
        back = srv.fetch("/v1/decisions/" + doc["id"])
        t.eq(back.status, 200, "status of GET /v1/decisions/{id}")
        t.eq(back.json(), doc, "the decision read back")
        t.eq(srv.fetch("/v1/decisions/" + "f" * 32).status, 404, "status of an id never given")
        t.eq(srv.fetch("/v1/decisions/" + doc["id"] + "/attestation").status, 404,
             "status of the attestation of a decision the server did not sign")


@case("an Idempotency-Key retry answers the stored decision with its id; a malformed key is a 400")
def _(t):
    with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
        key = {"Idempotency-Key": "deploy-42.attempt:1"}
        first = srv.post_decision(request(PRE), headers=key)
        again = srv.post_decision(request(PRE), headers=key)
        t.eq((first.status, again.status), (200, 200), "statuses")
        t.eq(again.json()["id"], first.json()["id"], "the retry's id")
        other = srv.post_decision(request(PRE))
        t.check(other.json()["id"] != first.json()["id"], "a request without the key got the same id")
        bad = srv.post_decision(request(PRE), headers={"Idempotency-Key": "not a key/../"})
        t.eq(bad.status, 400, "status of a malformed Idempotency-Key")


@case("last-good: 404 before, the post-deploy allow after")
def _(t):
    with Server(t, "--store", "sqlite:" + str(t.tmp / "d.db")) as srv:
        name = json.loads(POST.read_text())["release"]["name"]
        t.eq(srv.fetch("/v1/releases/%s/last-good" % name).status, 404, "status before any decision")
        res = srv.post_decision(request(POST))
        t.eq(res.status, 200, "status of the post-deploy decision")
        doc = res.json()
        t.eq(doc["decision"], "allow", "the post-deploy decision")
        good = srv.fetch("/v1/releases/%s/last-good" % name)
        t.eq(good.status, 200, "status of last-good")
        t.eq(good.json()["release"]["version"], doc["release"]["version"], "last-good's version")
        t.eq(srv.fetch("/v1/releases/nobody-at-all/last-good").status, 404, "status for an unknown release")
        # In one environment: the context names none, so no decision is production's.
        t.eq(srv.fetch("/v1/releases/%s/last-good?environment=production" % name).status, 404,
             "status of last-good in production")
        for query in ("environment=", "environment", "environment&environment=production",
                      "environment=staging&environment=production", "environment=production%00x"):
            t.eq(srv.fetch("/v1/releases/%s/last-good?%s" % (name, query)).status, 400,
                 "?%s (round 15, F02-F04)" % query)
        prod = request(POST)
        prod["context"]["release"]["environment"] = "production"
        t.eq(srv.post_decision(prod).status, 200, "the production decision")
        good = srv.fetch("/v1/releases/%s/last-good?environment=production" % name)
        t.eq((good.status, good.json()["release"]["environment"]), (200, "production"), "last-good in production")


@case("with --signing-key the attestation is a DSSE envelope whose statement names the decision")
def _(t):
    if not shutil.which("openssl"):
        t.skip("openssl is not installed")
    key = t.tmp / "gate.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True, capture_output=True)
    key.chmod(0o600)
    ctx = request(PRE)
    ctx["context"]["release"]["artifacts"] = [{"name": "app.tar.gz", "digest": {
        "sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"}}]
    srv = Server(t, "--store", "sqlite:" + str(t.tmp / "d.db"), "--signing-key", key, start=False)
    try:
        srv.start()
    except Exception as e:
        if "without signing" in srv.stderr() or "signing" in str(e):
            t.skip("this relgate was built without signing")
        raise
    with srv:
        res = srv.post_decision(ctx)
        t.eq(res.status, 200, "status")
        doc = res.json()
        env = srv.fetch("/v1/decisions/%s/attestation" % doc["id"])
        t.eq(env.status, 200, "status of the attestation")
        statement = json.loads(base64.b64decode(env.json()["payload"]))
        t.eq(statement["subject"][0]["digest"]["sha256"], ctx["context"]["release"]["artifacts"][0]["digest"]["sha256"],
             "the statement's subject")


@case("/health, /ready and /metrics answer by the contract; /metrics counts the decision made")
def _(t):
    with Server(t) as srv:
        t.eq(srv.fetch("/health").json(), {"status": "ok"}, "/health")
        ready = srv.fetch("/ready").json()
        t.eq(ready["ready"], True, "/ready's ready")
        res = srv.post_decision(request(PRE))
        t.eq(res.status, 200, "status")
        metrics = srv.fetch("/metrics").body.decode()
        t.check('relgate_decisions_total{decision="allow",stage="pre-release"} 1' in metrics,
                "/metrics does not count the allow", actual=metrics[:1500])
        t.contains(metrics, ready["policy"]["digest"], "/metrics")


@case("the /metrics check refuses what is not the Prometheus text format or lacks what the issue asks")
def _(t):
    good = ('# TYPE relgate_decisions_total counter\nrelgate_decisions_total{decision="allow",stage="deploy"} 3\n'
            'relgate_decision_duration_seconds_bucket{le="+Inf"} 3\nrelgate_store_errors_total 0\n'
            'relgate_policy_info{digest="sha256:%s"} 1\n' % ("ab" * 32))
    t.eq(openapi_check.metrics_problems(good), [], "problems of a good exposition")
    t.check(openapi_check.metrics_problems(good.replace(" 0\n", " zero\n")), "a value 'zero' passed")
    t.check(openapi_check.metrics_problems(good.replace("relgate_store_errors_total 0\n", "")), "no store errors passed")
    t.check(openapi_check.metrics_problems(good + "# TYPE relgate_decisions_total counter\n"), "a TYPE twice passed")
    t.check(openapi_check.metrics_problems(good.replace('digest="sha256:', 'digest="md5:')), "a policy without digest passed")


if __name__ == "__main__":
    sys.exit(main())
