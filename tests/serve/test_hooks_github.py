"""relgate serve's GitHub deployment protection rule (docs/integrations.md): a signed
deployment_protection_rule webhook is answered 202 at once, decided through the
server's one function to decide with the live check runs of the deployment's SHA, and
the verdict POSTed to the deployment_callback_url ("approved" only for allow or warn)
with the configured token and a markdown comment of at most 1024 characters.  A wrong or
missing signature is 401 with nothing evaluated; a callback URL outside the API base is
refused; a callback server that fails is retried a bounded number of times and the
server stays up; the token never appears in the log.

The API is a recording server on loopback (tests/live/api_server.py with POST).  The
payload is built from octokit/webhooks' recorded deployment event when the shared corpus
is there (RG_CORPUS_DIR), else from tests/data/hooks/.

meson runs: python3 test_hooks_github.py RELGATE
"""

import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hooks_harness import (Api, Serve, Reply, TOKEN, EVIDENCE_TOKEN, closed_port, github_config,  # noqa: E402
                           github_signature, protection_rule_payload, schema_problems, secrets, serve_check_runs)
from harness import case, main  # noqa: E402


def setup(t, api, conclusion="success", **config_kw):
    secrets(t)
    payload = protection_rule_payload(api.base)
    problems = schema_problems(payload)
    t.check(not problems, "the payload is one GitHub could send: %s" % problems)
    serve_check_runs(api, payload["repository"]["full_name"], payload["deployment"]["sha"], conclusion)
    return payload, github_config(api.base, **config_kw)


def callback_path(payload):
    return payload["deployment_callback_url"].split("127.0.0.1", 1)[1].split("/", 1)[1]


def review_of(post):
    return json.loads(post["body"])


@case("a deployment whose CI passed is approved at its callback URL, with the token and a comment")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            status, _, body = srv.github(payload)
            t.eq(status, 202, "the webhook's answer")
            t.check(json.loads(body).get("accepted"), "accepted: %r" % body)
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "callbacks")
            post = posts[0]
            t.eq(post["path"], "/" + callback_path(payload), "the callback path")
            t.eq(post["headers"].get("authorization"), "Bearer " + TOKEN, "the credential")
            t.eq(post["headers"].get("accept"), "application/vnd.github+json", "Accept")
            review = review_of(post)
            t.eq(review["state"], "approved", "state (the comment: %s)" % review["comment"])
            t.eq(review["environment_name"], payload["environment"], "environment_name")
            t.contains(review["comment"], "relgate: **allow**", "the comment")
            t.check(len(review["comment"]) <= 1024, "the comment is at most 1024 characters")
            # The evidence was fetched live, for the deployment's SHA, with the evidence token.
            gets = [(p, h) for p, h in api.requests if "/check-runs" in p]
            t.check(gets and payload["deployment"]["sha"] in gets[0][0], "check runs of the SHA fetched: %r" % gets)
            t.eq(gets[0][1].get("authorization"), "Bearer " + EVIDENCE_TOKEN, "the evidence credential")
            t.eq(srv.decisions_stored(), 1, "decisions stored")
            log = srv.log_text()
            t.check(TOKEN not in log and EVIDENCE_TOKEN not in log, "no token in the log")


@case("a redelivered webhook (the same X-GitHub-Delivery) gets the stored decision, not a second one")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")[0], 202, "the first delivery")
            api.wait_posts(1)
            t.eq(srv.github(payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")[0], 202, "the redelivery")
            posts = api.wait_posts(2)
            t.eq(len(posts), 2, "callbacks (one per delivery)")
            first, second = review_of(posts[0]), review_of(posts[1])
            t.eq(second["comment"], first["comment"], "the same decision (and id) in both comments")
            t.eq(srv.decisions_stored(), 1, "decisions stored")
            t.eq(srv.github(payload, delivery="another-delivery")[0], 202, "another delivery")
            api.wait_posts(3)
            t.eq(srv.decisions_stored(), 2, "decisions stored after another delivery")


@case("a denied release is rejected, the comment naming the failed requirement")
def _(t):
    with Api() as api:
        payload, config = setup(t, api, conclusion="failure")
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "callbacks")
            review = review_of(posts[0])
            t.eq(review["state"], "rejected", "state")
            t.contains(review["comment"], "relgate: **deny**", "the comment")
            t.contains(review["comment"], "`ci-passing`", "the comment")


@case("a request the gate cannot evaluate is rejected: an error decision fails closed")
def _(t):
    with Api() as api:
        payload, config = setup(t, api, request={"stage": "deploy", "context": {
            "release": {"name": "${repository}", "version": "not-a-version-${sha}", "type": "minor"}}})
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "callbacks")
            review = review_of(posts[0])
            t.eq(review["state"], "rejected", "state")
            t.contains(review["comment"], "**error**", "the comment")
            t.contains(review["comment"], "SemVer", "the comment says why")


@case("no rule for the repository and environment: rejected, saying so, nothing evaluated")
def _(t):
    with Api() as api:
        payload, config = setup(t, api, repository="someone/else")
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "callbacks")
            review = review_of(posts[0])
            t.eq(review["state"], "rejected", "state")
            t.contains(review["comment"], "no rule", "the comment")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("a wrong or missing X-Hub-Signature-256 is 401: nothing evaluated, nothing posted")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        body = json.dumps(payload).encode()
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            wrong = [
                None,                                                  # missing
                github_signature(body, "another secret"),              # another secret
                github_signature(body + b" "),                         # another body
                "sha1=" + github_signature(body)[7:47],                # another algorithm
                github_signature(body)[:-1],                           # cut short
                github_signature(body).upper(),                        # "SHA256=" is not the prefix
            ]
            for sig in wrong:
                status, _, answer = srv.github(body, signature=sig if sig else False)
                t.eq(status, 401, "the answer to signature %r" % sig)
                t.eq(json.loads(answer)["decision"], "error", "an error decision")
            # Also for a ping: nothing is answered but 401 before the signature holds.
            t.eq(srv.github(b"{}", event="ping", signature=github_signature(b"{} "))[0], 401, "a badly signed ping")
            time.sleep(1.0)
            t.eq(api.posted(), [], "callbacks")
            t.eq([p for p, _ in api.requests], [], "API requests (no evidence fetched)")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("a ping is answered; other events and actions are acknowledged and ignored")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            ping = {"zen": "Keep it logically awesome.", "hook_id": 1}
            status, _, body = srv.github(ping, event="ping")
            t.eq(status, 200, "ping")
            t.eq(json.loads(body), {"pong": "relgate"}, "the pong")
            t.eq(srv.github(payload, event="deployment")[0], 202, "a deployment event")
            other = dict(payload, action="completed")
            status, _, body = srv.github(other)
            t.eq(status, 202, "another action")
            t.contains(json.loads(body)["ignored"], "completed", "why")
            time.sleep(0.5)
            t.eq(api.posted(), [], "callbacks")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("a signed payload that is not a protection rule event, or lacks a full SHA, is 400")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            short = json.loads(json.dumps(payload))
            short["deployment"]["sha"] = short["deployment"]["sha"][:7]
            for bad in (b"not json", b"[]", json.dumps({"action": "requested"}).encode(), json.dumps(short).encode()):
                status, _, _ = srv.github(bad)
                t.eq(status, 400, "the answer to %r" % bad[:40])
            t.eq(api.posted(), [], "callbacks")


@case("a callback URL outside the API base is refused (422): the token goes nowhere")
def _(t):
    with Api() as api, Api() as elsewhere:
        payload, config = setup(t, api)
        payload["deployment_callback_url"] = elsewhere.base + "/repos/x/y/actions/runs/1/deployment_protection_rule"
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload)[0], 422, "the webhook's answer")
            for sneaky in (api.base + "/../steal", api.base + "@evil.example/x", api.base + "/x?next=//evil.example",
                           api.base + "/repos/someone/else/actions/runs/1/deployment_protection_rule"):
                payload["deployment_callback_url"] = sneaky
                t.eq(srv.github(payload)[0], 422, "the answer for %s" % sneaky)
            time.sleep(0.5)
            t.eq(elsewhere.posted(), [], "POSTs elsewhere")
            t.eq(api.posted(), [], "POSTs to the API")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("a callback answered 503 is tried exactly 'attempts' times, logged; the server stays up")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        echo = "unavailable; got Authorization: Bearer " + TOKEN[:12]   # a gateway echoing the request, cut
        api.route("POST /" + callback_path(payload), Reply({"message": echo}, status=503))
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            started = time.monotonic()
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            t.check(time.monotonic() - started < 5, "answered at once")
            posts = api.wait_posts(3)
            time.sleep(1.5)   # a fourth attempt would have come by now (backoff 0.2, 0.4)
            t.eq(len(api.posted()), 3, "attempts")
            log = srv.log_text()
            t.contains(log, "HTTP 503: Service Unavailable (attempt 3 of 3)", "the log")
            t.check("unavailable;" not in log and TOKEN[:12] not in log, "the server's text is not logged")
            t.contains(log, "was not delivered", "the log")
            t.check(srv.healthy(), "the server answers /health")
            t.eq(review_of(posts[0])["state"], "approved", "what it tried to post")


@case("SIGTERM while a callback is being retried: the retries stop, the server exits 0 at once")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        config["callbacks"] = {"attempts": 10, "backoff": 5, "timeout": 5}
        echo = "unavailable; got Authorization: Bearer " + TOKEN[:12]   # a gateway echoing the request, cut
        api.route("POST /" + callback_path(payload), Reply({"message": echo}, status=503))
        srv = Serve(t, config, env={"GITHUB_API_URL": api.base})
        try:
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            t.eq(len(api.wait_posts(1)), 1, "the first attempt")
            started = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(30)
            t.eq(rc, 0, "the exit status after SIGTERM")
            t.check(time.monotonic() - started < 15, "stopped without waiting out 10 attempts")
            t.contains(srv.log_text(), "no more attempts: the server is stopping", "the log")
            t.eq(len(api.posted()), 1, "attempts")
        finally:
            srv.stop()


@case("a callback that answers 422 is not retried; its text is not logged, only the status")
def _(t):
    with Api() as api:
        payload, config = setup(t, api)
        api.route("POST /" + callback_path(payload), Reply({"message": "No pending deployment"}, status=422))
        with Serve(t, config, env={"GITHUB_API_URL": api.base}) as srv:
            t.eq(srv.github(payload)[0], 202, "the webhook's answer")
            api.wait_posts(1)
            time.sleep(1.0)
            t.eq(len(api.posted()), 1, "attempts")
            log = srv.log_text()
            t.contains(log, "HTTP 422: Unprocessable", "the log says the status in relgate's words")
            t.check("No pending deployment" not in log, "the server's text is not logged (it could quote the token)")


@case("a callback server that is down: bounded attempts, logged, the server unharmed")
def _(t):
    secrets(t)
    down = "http://127.0.0.1:%d" % closed_port()
    payload = protection_rule_payload(down)
    with Serve(t, github_config(down), env={"GITHUB_API_URL": down}) as srv:
        t.eq(srv.github(payload)[0], 202, "the webhook's answer")
        end = time.monotonic() + 30
        while time.monotonic() < end and "was not delivered" not in srv.log_text():
            time.sleep(0.1)
        log = srv.log_text()
        t.contains(log, "(attempt 3 of 3)", "the log")
        t.check("attempt 4" not in log, "no fourth attempt")
        t.contains(log, "rejected", "the decision it could not deliver (the evidence was unreachable too)")
        t.check(srv.healthy(), "the server answers /health")
        t.eq(srv.github(payload, delivery="d-2")[0], 202, "and takes the next webhook")


@case("libcurl is opened by a server with --hooks only, never linked: relgate and relgate-serve do not need it")
def _(t):
    import subprocess
    import harness
    for exe in (harness.RELGATE, harness.RELGATE.parent / "relgate-serve"):
        out = subprocess.run(["readelf", "-d", str(exe)], capture_output=True, text=True).stdout
        t.check("NEEDED" in out and "libcurl" not in out, "%s links no libcurl" % exe.name)

    def curl_maps(pid):
        maps = Path("/proc/%d/maps" % pid).read_text()
        return sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps.splitlines() if "libcurl" in line})
    secrets(t)
    with Api() as api:
        with Serve(t, {"argo": {"rules": [{"name": "x", "request": {}}]}}) as plain:
            t.eq(curl_maps(plain.proc.pid), [], "libcurl in a server without webhooks")
        with Serve(t, github_config(api.base), env={"GITHUB_API_URL": api.base}) as hooked:
            mapped = curl_maps(hooked.proc.pid)
            t.check(mapped and all("gnutls" in m for m in mapped), "the GnuTLS build mapped: %r" % mapped)


if __name__ == "__main__":
    main()
