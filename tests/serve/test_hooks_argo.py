"""relgate serve's Argo Rollouts web metric (docs/integrations.md): POST /v1/argo with a
POST /v1/decisions body, and GET/POST /v1/argo/RULE filling an argo rule's ${args.NAME},
answer {"ok": bool, "decision": {...}} — ok true only for allow or warn, with the
decision's own status; an unknown rule is 404, a missing arg 400.

meson runs: python3 test_hooks_argo.py RELGATE
"""

import json
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hooks_harness import Api, Serve, serve_check_runs  # noqa: E402
from harness import case, main  # noqa: E402

SHA = "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
FAILED_SHA = "1ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
REPO = "octo-org/payments"


def request_for(sha):
    return {"stage": "deploy", "context": {
        "release": {"name": "payments", "version": "1.4.0", "type": "minor"},
        "evidence": {"ci": {"github": "check-runs", "repo": REPO, "ref": sha}}}}


CONFIG = {"argo": {"rules": [{"name": "payments-canary", "request": {
    "stage": "deploy", "context": {
        "release": {"name": "payments", "version": "${args.version}", "type": "minor"},
        "evidence": {"ci": {"github": "check-runs", "repo": REPO, "ref": "${args.sha}"}}}}}]}}


def start(t, api):
    serve_check_runs(api, REPO, SHA, "success")
    serve_check_runs(api, REPO, FAILED_SHA, "failure")
    return Serve(t, CONFIG, env={"GITHUB_API_URL": api.base})


def answer(t, res, status, ok):
    code, _, body = res
    t.eq(code, status, "the status")
    doc = json.loads(body)
    t.eq(doc.get("ok"), ok, "ok")
    return doc


@case("POST /v1/argo: ok true for an allow, false for a deny, with the decision and its id")
def _(t):
    with Api() as api, start(t, api) as srv:
        doc = answer(t, srv.request("POST", "/v1/argo", json.dumps(request_for(SHA)),
                                    {"Content-Type": "application/json"}), 200, True)
        t.eq(doc["decision"]["decision"], "allow", "the decision")
        t.check(doc["decision"].get("id"), "the decision has its id")
        doc = answer(t, srv.request("POST", "/v1/argo", json.dumps(request_for(FAILED_SHA)),
                                    {"Content-Type": "application/json"}), 200, False)
        t.eq(doc["decision"]["decision"], "deny", "the decision")
        t.eq(srv.decisions_stored(), 2, "decisions stored")


@case("POST /v1/argo with a request the gate refuses: ok false with the error decision")
def _(t):
    with Api() as api, start(t, api) as srv:
        bad = request_for(SHA)
        bad["context"]["release"]["version"] = "latest"
        code, _, body = srv.request("POST", "/v1/argo", json.dumps(bad), {"Content-Type": "application/json"})
        t.check(code >= 400, "a 4xx or 5xx: %d" % code)
        doc = json.loads(body)
        t.eq(doc.get("ok"), False, "ok")
        t.eq(doc["decision"]["decision"], "error", "the decision")


@case("GET and POST /v1/argo/RULE fill the rule's args; unknown rules and missing args are refused")
def _(t):
    with Api() as api, start(t, api) as srv:
        query = urllib.parse.urlencode({"version": "1.4.0", "sha": SHA})
        answer(t, srv.request("GET", "/v1/argo/payments-canary?" + query), 200, True)
        answer(t, srv.request("POST", "/v1/argo/payments-canary", json.dumps({"version": "1.4.0", "sha": FAILED_SHA}),
                              {"Content-Type": "application/json"}), 200, False)
        code, _, body = srv.request("GET", "/v1/argo/payments-canary?version=1.4.0")
        t.eq(code, 400, "a missing arg")
        t.contains(body.decode(), "${args.sha}", "the answer names it")
        t.eq(srv.request("GET", "/v1/argo/no-such-rule")[0], 404, "an unknown rule")
        t.eq(srv.request("POST", "/v1/argo/payments-canary", "[1]", {"Content-Type": "application/json"})[0], 400,
             "a body that is not an object of args")
        t.eq(srv.decisions_stored(), 2, "decisions stored (the refused ones not evaluated)")


if __name__ == "__main__":
    main()
