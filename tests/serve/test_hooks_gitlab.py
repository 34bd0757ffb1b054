"""relgate serve's GitLab deployment approval (docs/integrations.md): a deployment event
whose status is "blocked" (a deployment waiting for approval in a protected
environment), with the right X-Gitlab-Token, is answered 202 at once, decided with the
live jobs of the commit's latest pipeline, and approved or rejected through POST
/projects/:id/deployments/:deployment_id/approval with the approver's token.  A wrong or
missing token is 401 with nothing evaluated; other statuses are acknowledged and left.

meson runs: python3 test_hooks_gitlab.py RELGATE
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hooks_harness import (GL_API_TOKEN, GITLAB_SECRET, Api, Reply, Serve, corpus_file, gitlab_config,  # noqa: E402
                           gitlab_deployment_payload, secrets, serve_gitlab_deployment, serve_gitlab_jobs)
from harness import case, main  # noqa: E402

EVIDENCE_TOKEN = "glpat-EVIDENCEreader0123SECRET"


def start(t, api, status="success", first_rule=None, **says):
    secrets(t)
    payload = gitlab_deployment_payload()
    sha = payload["commit_url"].rsplit("/", 1)[1]
    serve_gitlab_jobs(api, payload["project"]["path_with_namespace"], sha, status)
    serve_gitlab_deployment(api, payload, **says)
    config = gitlab_config(api.base)
    if first_rule:
        config["gitlab"]["rules"].insert(0, first_rule)
    srv = Serve(t, config, env={"CI_API_V4_URL": api.base + "/api/v4",
                                                 "GITLAB_TOKEN": EVIDENCE_TOKEN, "GITHUB_API_URL": ""})
    return payload, srv


def approval_path(payload):
    return "/api/v4/projects/%d/deployments/%d/approval" % (payload["project"]["id"], payload["deployment_id"])


@case("a blocked deployment whose pipeline passed is approved through the deployment approval API")
def _(t):
    with Api() as api:
        payload, srv = start(t, api)
        with srv:
            t.eq(srv.gitlab(payload)[0], 202, "the webhook's answer")
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "approvals")
            t.eq(posts[0]["path"], approval_path(payload), "the approval URL")
            t.eq(posts[0]["headers"].get("private-token"), GL_API_TOKEN, "the approver's token")
            t.check("authorization" not in posts[0]["headers"], "one credential")
            body = json.loads(posts[0]["body"])
            t.eq(body["status"], "approved", "status (the comment: %s)" % body["comment"])
            t.contains(body["comment"], "relgate: **allow**", "the comment")
            t.check(len(body["comment"]) <= 1024, "the comment is at most 1024 characters")
            fetched = [(p, h) for p, h in api.requests if "/jobs" in p]
            t.check(fetched, "the pipeline's jobs were fetched live: %r" % api.requests)
            t.eq(fetched[0][1].get("private-token"), EVIDENCE_TOKEN, "the evidence credential")
            log = srv.log_text()
            t.check(GL_API_TOKEN not in log and GITLAB_SECRET not in log, "no token in the log")


@case("a blocked deployment whose pipeline failed is rejected")
def _(t):
    with Api() as api:
        payload, srv = start(t, api, status="failed")
        with srv:
            t.eq(srv.gitlab(payload)[0], 202, "the webhook's answer")
            posts = api.wait_posts(1)
            t.eq(len(posts), 1, "approvals")
            body = json.loads(posts[0]["body"])
            t.eq(body["status"], "rejected", "status")
            t.contains(body["comment"], "`ci-passing`", "the comment names the requirement")


@case("a wrong or missing X-Gitlab-Token is 401: nothing evaluated, nothing posted")
def _(t):
    with Api() as api:
        payload, srv = start(t, api)
        with srv:
            for token in (None, "", GITLAB_SECRET + "x", GITLAB_SECRET[:-1], GITLAB_SECRET.upper()):
                t.eq(srv.gitlab(payload, token=token)[0], 401, "the answer to token %r" % token)
            time.sleep(1.0)
            t.eq(api.posted(), [], "approvals")
            t.eq(api.requests, [], "API requests")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("an event GitLab's API does not confirm (another project's path beside this ID, another commit, environment "
      "or status, no such deployment): nothing decided, nothing posted (hostile round 26, F01)")
def _(t):
    # Every project's maintainers hold the one webhook token: an event naming a project
    # with a lax rule beside payments' ID was decided by the lax rule and its approval
    # posted to payments' deployment.
    sandbox = {"project": "sandbox/tool", "environment": "*", "request": {"stage": "deploy", "context": {
        "release": {"name": "${project}", "version": "1.4.0", "type": "minor"}}}}
    for says, what in (({"path": "payments/api"}, "another project's path"),
                       ({"sha": "0" * 40}, "another commit"),
                       ({"environment": "staging"}, "another environment"),
                       ({"state": "success"}, "a deployment no longer blocked"),
                       # ${ref}, ${version} and ${user} are GitLab's word too (round 27, F02)
                       ({"ref": "v3.0.0"}, "another ref"),
                       ({"user": "someone-else"}, "another user"),
                       (None, "no such deployment")):
        with Api() as api:
            payload, srv = start(t, api, first_rule=sandbox if "path" in (says or {}) else None, **(says or {}))
            if "path" in (says or {}):
                payload["project"]["path_with_namespace"] = "sandbox/tool"
            if says is None:
                api.routes.pop("/api/v4/projects/%d/deployments/%d" % (payload["project"]["id"],
                                                                      payload["deployment_id"]))
            with srv:
                t.eq(srv.gitlab(payload)[0], 202, "%s: the webhook's answer" % what)
                end = time.monotonic() + 10
                while time.monotonic() < end and "not as the webhook says" not in srv.log_text():
                    time.sleep(0.05)
                t.contains(srv.log_text(), "the deployment is not as the webhook says", what)
                time.sleep(0.3)
                t.eq(api.posted(), [], "%s: approvals" % what)
                t.eq(srv.decisions_stored(), 0, "%s: decisions" % what)


@case("a GitLab answer giving a key twice confirms nothing: neither value is taken")
def _(t):
    # cJSON takes the first of a key given twice, most readers the last: an answer whose
    # status is "blocked" and then "success" was read as blocked, and decided.
    with Api() as api:
        payload, srv = start(t, api)
        route = "/api/v4/projects/%d/deployments/%d" % (payload["project"]["id"], payload["deployment_id"])
        answer = api.routes[route][0].body.decode()
        t.check(answer.endswith("}"), "the deployment answer is an object")
        api.route(route, Reply((answer[:-1] + ', "status": "success"}').encode()))
        with srv:
            t.eq(srv.gitlab(payload)[0], 202, "the webhook's answer")
            end = time.monotonic() + 10
            while time.monotonic() < end and "not as the webhook says" not in srv.log_text():
                time.sleep(0.05)
            t.contains(srv.log_text(), "the deployment is not as the webhook says", "the log")
            time.sleep(0.3)
            t.eq(api.posted(), [], "approvals")
            t.eq(srv.decisions_stored(), 0, "decisions")


@case("deployments that are not blocked are acknowledged and left alone")
def _(t):
    with Api() as api:
        payload, srv = start(t, api)
        with srv:
            for status in ("running", "success", "failed", "canceled"):
                code, _, body = srv.gitlab(dict(payload, status=status))
                t.eq(code, 202, "the answer for %s" % status)
                t.contains(json.loads(body)["ignored"], status, "why")
            time.sleep(0.5)
            t.eq(api.posted(), [], "approvals")
            t.eq(srv.decisions_stored(), 0, "decisions stored")


@case("another event with the right token (a recorded pipeline webhook) is 400, nothing posted")
def _(t):
    src = corpus_file("gitlab/go-gitlab-webhook-pipeline.json")
    with Api() as api:
        payload, srv = start(t, api)
        with srv:
            other = json.loads(src.read_text()) if src else {"object_kind": "pipeline"}
            t.eq(srv.gitlab(other)[0], 400, "a pipeline event")
            no_sha = dict(payload, commit_url="https://gitlab.example.com/p/-/commit/8c4e2d19")
            t.eq(srv.gitlab(no_sha)[0], 400, "a commit URL without a full SHA")
            # without its path the project check had nothing to confirm, and a path rule
            # was passed over for a catch-all (round 27, F01)
            no_path = dict(payload, project={"id": payload["project"]["id"]})
            t.eq(srv.gitlab(no_path)[0], 400, "a project without path_with_namespace")
            time.sleep(0.5)
            t.eq(api.posted(), [], "approvals")


if __name__ == "__main__":
    main()
