"""What the deployment hooks' tests share (tests/serve/test_hooks_*.py): a relgate serve
started with --hooks on 127.0.0.1 (its own process group, always stopped), a recording
HTTP server standing in for the GitHub and GitLab APIs (it serves the live evidence
pages and records every callback POSTed to it), signatures, and the webhook payloads —
from the shared corpus when it is there (octokit/webhooks' recorded deployment payload),
else the hand-written one in tests/data/hooks/.
"""

import hashlib
import hmac
import json
import os
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
sys.path.insert(0, str(HERE.parent / "live"))
from api_server import ApiServer, Reply, _Handler  # noqa: E402
from servehelp import Server  # noqa: E402

CORPUS = Path(os.environ["RG_CORPUS_DIR"]) if os.environ.get("RG_CORPUS_DIR") else None
DATA = HERE.parent / "data" / "hooks"
SECRET = "whsec-It's a Secret to Everybody"
GITLAB_SECRET = "glwt-webhook-token-0123"
TOKEN = "ghs_INSTALLATIONtoken0123456789SECRET"     # must never appear in a log
GL_API_TOKEN = "glpat-APPROVERtoken9876543210SECRET"
EVIDENCE_TOKEN = "ghp_EVIDENCEtoken0123456789SECRET"

# The policy the hooks' servers run: CI must pass (ci.status over the live check runs of
# the deployment's SHA) and the release must not be marked frozen in the context.
POLICY = """
requirement "ci-passing" {
  title = "CI is passing", level = "mandatory", check = "ci.status",
  stages = { "deploy" },
  with = { reports = evidence "ci", required = { "build" } },
}
requirement "not-frozen" {
  title = "No release freeze", level = "mandatory", stages = { "deploy" },
  check = function(ctx)
    if ctx.freeze then return fail("a release freeze is on: " .. ctx.freeze) end
    return pass("no freeze")
  end,
}
"""


def check_run(name, conclusion, sha, repo, rid=1):
    """A check run shaped as GitHub's REST API returns it (what ci.status reads)."""
    return {"id": rid, "head_sha": sha, "node_id": "CR_%d" % rid, "external_id": "",
            "url": "https://api.github.com/repos/%s/check-runs/%d" % (repo, rid),
            "status": "completed", "conclusion": conclusion,
            "started_at": "2025-06-10T12:00:00Z", "completed_at": "2025-06-10T12:05:00Z",
            "name": name, "check_suite": {"id": 5}, "app": {"slug": "github-actions"}}


class _RecordingHandler(_Handler):
    """api_server's GET handler, and POST: recorded with its body, answered from the
    route "POST <path>" (replies in turn), else 201 with an empty object."""

    def do_POST(self):
        srv = self.server.owner
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        key = "POST " + self.path
        with srv.lock:
            srv.posts.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body})
            replies = srv.routes.get(key)
            if replies is None:
                reply = Reply({}, status=201)
            else:
                i = srv.served.get(key, 0)
                srv.served[key] = i + 1
                reply = replies[min(i, len(replies) - 1)]
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True


class Api(ApiServer):
    """The stand-in GitHub/GitLab API on loopback: serves GET routes, records POSTs."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.posts = []
        self.httpd.RequestHandlerClass = _RecordingHandler

    def posted(self):
        with self.lock:
            return list(self.posts)

    def wait_posts(self, count, timeout=20.0):
        """The POSTs received once COUNT arrived (or TIMEOUT passed)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.posted()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.posted()


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def github_signature(body, secret=SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Serve(Server):
    """relgate serve --hooks CONFIG --store tmp/decisions.jsonl on 127.0.0.1:0, started at
    once: servehelp.Server (the one starter of the tests' servers) with the hooks' policy,
    configuration and environment, and the hooks' way of asking."""

    def __init__(self, t, config, env=None, extra=()):
        t.write("policy.lua", POLICY)
        t.write_json("hooks.json", config)
        full_env = {"GITHUB_TOKEN": EVIDENCE_TOKEN, "GH_TOKEN": "", "GITLAB_TOKEN": "", "CI_JOB_TOKEN": ""}
        full_env.update(env or {})
        # The requests Argo CD's and Spinnaker's steps send whole name octo-org's CI (as
        # docs/integrations.md's command allows); the hooks' rules need no --live-source.
        super().__init__(t, "--store", t.tmp / "decisions.jsonl", "--hooks", t.tmp / "hooks.json",
                         "--live-source", "github:octo-org/*", *extra,
                         policy=t.tmp / "policy.lua", workers=None, env=full_env, start_timeout=20)
        self.stopped = False
        self.start()

    def request(self, method, path, body=b"", headers=None, timeout=30):
        """(status, headers dict lower-case, body bytes): a new connection each time."""
        if isinstance(body, str):
            body = body.encode()
        status, data, hdrs = Server.request(self, method, path, body, headers, timeout=timeout)
        return status, hdrs, data

    def github(self, payload, event="deployment_protection_rule", signature=True, delivery="d-1"):
        body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
        if signature is True:
            headers["X-Hub-Signature-256"] = github_signature(body)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        return self.request("POST", "/v1/hooks/github", body, headers)

    def gitlab(self, payload, token=GITLAB_SECRET, uuid="u-1"):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Gitlab-Event": "Deployment Hook", "X-Gitlab-Event-UUID": uuid}
        if token is not None:
            headers["X-Gitlab-Token"] = token
        return self.request("POST", "/v1/hooks/gitlab", body, headers)

    def decisions_stored(self):
        p = self.t.tmp / "decisions.jsonl"
        return len(p.read_text().splitlines()) if p.exists() else 0

    def log_text(self):
        """Everything the server has said (its standard error), whole."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def healthy(self):
        status, _, _ = self.request("GET", "/health", timeout=5)
        return status == 200

    def stop(self):
        """SIGTERM, then SIGKILL to what is left; a sanitizer's report in the server's
        output fails the case (a leak shows only at exit).  Once, however often called."""
        if not self.stopped:
            self.stopped = True
            Server.__exit__(self, None, None, None)

    def __enter__(self):
        return self   # started already (Server's __enter__ would start a second one)

    def __exit__(self, *exc):
        if not self.stopped:
            self.stopped = True
            return Server.__exit__(self, *exc)
        return False


def secrets(t):
    """The secret and token files a configuration names (relative to it)."""
    # Readable by their owner only: relgate serve refuses a secret others may read.
    t.write("github-webhook.secret", SECRET + "\n", mode=0o600)
    t.write("github-app.token", TOKEN + "\n", mode=0o600)
    t.write("gitlab-webhook.token", GITLAB_SECRET + "\n", mode=0o600)
    t.write("gitlab-approver.token", GL_API_TOKEN + "\n", mode=0o600)


def github_config(api, request=None, repository="*", environment=None):
    rule = {"repository": repository,
            "request": request or {
                "stage": "deploy",
                "context": {
                    "release": {"name": "${repository}", "version": "1.4.0", "type": "minor"},
                    "evidence": {"ci": {"github": "check-runs", "repo": "${repository}", "ref": "${sha}"}}}}}
    if environment:
        rule["environment"] = environment
    return {"github": {"webhook_secret_file": "github-webhook.secret", "token_file": "github-app.token",
                       "api_url": api, "rules": [rule]},
            "callbacks": {"attempts": 3, "backoff": 0.2, "timeout": 5}}


def corpus_file(rel):
    if CORPUS and (CORPUS / rel).is_file():
        return CORPUS / rel
    return None


def protection_rule_payload(api_base, run_id=4242):
    """A deployment_protection_rule "requested" event: the deployment, repository, sender and
    installation of octokit/webhooks' recorded deployment event (the objects GitHub's
    protection-rule event carries too) when the corpus is there, else the hand-written
    tests/data/hooks/deployment-protection-rule.json; its callback URL beneath API_BASE."""
    src = corpus_file("github/webhook-deployment-created-with-installation.json")
    if src:
        rec = json.loads(src.read_text())
        payload = {"action": "requested", "environment": rec["deployment"]["environment"], "event": "push",
                   "deployment": rec["deployment"], "repository": rec["repository"], "sender": rec["sender"],
                   "installation": rec["installation"]}
    else:
        payload = json.loads((DATA / "deployment-protection-rule.json").read_text())
    payload["deployment_callback_url"] = "%s/repos/%s/actions/runs/%d/deployment_protection_rule" % (
        api_base, payload["repository"]["full_name"], run_id)
    return payload


def schema_problems(payload):
    """Where PAYLOAD breaks octokit/webhooks' schema of the event (its $refs taken as any
    object: the common/ schemas are not in the corpus); [] without the corpus."""
    src = corpus_file("github/schema-deployment-protection-rule-requested.schema.json")
    if not src:
        return []
    import jsonschema
    schema = json.loads(src.read_text())

    def loosen(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return {"type": "object"}
            return {k: loosen(v) for k, v in node.items()}
        if isinstance(node, list):
            return [loosen(v) for v in node]
        return node
    schema = loosen(schema)
    schema.pop("$id", None)
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(payload)]


def serve_check_runs(api, repo, sha, conclusion="success"):
    api.route("/repos/%s/commits/%s/check-runs?per_page=100" % (repo, sha),
              Reply({"total_count": 1, "check_runs": [check_run("build", conclusion, sha, repo)]}))


def gitlab_job(jid, name, status, sha):
    return {"id": jid, "name": name, "stage": "test", "status": status, "ref": "main", "allow_failure": False,
            "created_at": "2025-06-10T12:00:00.000Z", "started_at": "2025-06-10T12:00:05.000Z",
            "finished_at": "2025-06-10T12:04:00.000Z", "pipeline": {"id": 77, "sha": sha, "status": status},
            "commit": {"id": sha}}


def gitlab_deployment_payload(status="blocked"):
    """A GitLab deployment event: with the corpus, the deployment's id, SHA, ref,
    environment and user are gitlab4j's recorded REST deployment's (the corpus holds no
    deployment webhook; the event carries the same facts in its documented shape), else
    tests/data/hooks/gitlab-deployment-blocked.json."""
    payload = json.loads((DATA / "gitlab-deployment-blocked.json").read_text())
    src = corpus_file("gitlab/gitlab4j-deployment.json")
    if src:
        rec = json.loads(src.read_text())
        payload.update({"deployment_id": rec["id"], "environment": rec["environment"]["name"], "ref": rec["ref"],
                        "short_sha": rec["sha"][:8], "user": rec["user"],
                        "commit_url": "https://gitlab.example.com/payments/api/-/commit/" + rec["sha"]})
    payload["status"] = status
    return payload


def gitlab_config(api_base):
    return {"gitlab": {"webhook_token_file": "gitlab-webhook.token", "token_file": "gitlab-approver.token",
                       "api_url": api_base + "/api/v4",
                       "rules": [{"project": "payments/api", "environment": "*", "request": {
                           "stage": "deploy",
                           "context": {
                               "release": {"name": "${project}", "version": "1.4.0", "type": "minor"},
                               "evidence": {"ci": {"gitlab": "pipeline-jobs", "project": "${project}",
                                                   "ref": "${sha}"}}}}}]},
            "callbacks": {"attempts": 3, "backoff": 0.2, "timeout": 5}}


def serve_gitlab_deployment(api, payload, **says):
    """What GitLab's API says of PAYLOAD's deployment and project (relgate confirms them
    before deciding): the deployment as gitlab4j recorded one from the REST API when the
    corpus is there, else in its documented shape; SAYS overrides its sha, state (its
    status), environment, ref, user's username or the project's path."""
    sha = payload["commit_url"].rsplit("/", 1)[1]
    src = corpus_file("gitlab/gitlab4j-deployment.json")
    deployment = json.loads(src.read_text()) if src else {"iid": 2}
    deployment.update({"id": payload["deployment_id"], "sha": says.get("sha", sha),
                       "status": says.get("state", "blocked"), "ref": says.get("ref", payload["ref"]),
                       "user": dict(deployment.get("user") or payload["user"],
                                    username=says.get("user", payload["user"]["username"]))})
    deployment["environment"] = dict(deployment.get("environment") or {"id": 9},
                                     name=says.get("environment", payload["environment"]))
    pid = payload["project"]["id"]
    api.route("/api/v4/projects/%d/deployments/%d" % (pid, payload["deployment_id"]), Reply(deployment))
    api.route("/api/v4/projects/%d" % pid, Reply({"id": pid, "path_with_namespace": says.get(
        "path", payload["project"]["path_with_namespace"])}))


def serve_gitlab_jobs(api, project, sha, status="success"):
    """The latest pipeline of SHA in PROJECT (its path, sent URL-encoded) and its jobs."""
    import urllib.parse
    prefix = "/api/v4/projects/%s" % urllib.parse.quote(str(project), safe="")
    api.route(prefix + "/pipelines?sha=%s&per_page=100" % sha,
              Reply([{"id": 77, "sha": sha, "status": status, "ref": "main"}]))
    api.route(prefix + "/pipelines/77/jobs?per_page=100", Reply([gitlab_job(1, "build", status, sha)]))
    api.route(prefix + "/pipelines/77/bridges?per_page=100", Reply([]))   # no trigger jobs
