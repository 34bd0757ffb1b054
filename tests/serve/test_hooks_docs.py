"""Every example of docs/integrations.md, run: the configuration (GitHub, GitLab and Argo
rules) loaded by a real relgate serve and driven by each tool's webhook; the Argo Rollouts
AnalysisTemplate's request made as Argo makes it and its successCondition read; the Argo
CD PreSync script run with curl and jq; the Spinnaker webhook stage's request posted and
its status read at statusJsonPath.

meson runs: python3 test_hooks_docs.py RELGATE
"""

import http.client
import json
import shlex
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hooks_harness import (GITLAB_SECRET, SECRET, Api, Serve, gitlab_deployment_payload,  # noqa: E402
                           protection_rule_payload, serve_check_runs, serve_gitlab_deployment, serve_gitlab_jobs)
import harness  # noqa: E402
from harness import REPO as SOURCE, case, main  # noqa: E402

DOC = SOURCE / "docs" / "integrations.md"
SHA = "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"


def blocks(lang):
    return re.findall(r"```%s\n(.*?)```" % lang, DOC.read_text(), re.S)


def doc_config():
    return json.loads(blocks("json")[0])


def write_secrets(t, config):
    t.write(config["github"]["webhook_secret_file"], SECRET + "\n", mode=0o600)
    t.write(config["github"]["token_file"], "ghs_doc_token\n", mode=0o600)
    t.write(config["gitlab"]["webhook_token_file"], GITLAB_SECRET + "\n", mode=0o600)
    t.write(config["gitlab"]["token_file"], "glpat_doc_token\n", mode=0o600)


def start(t, api, config=None):
    config = config or doc_config()
    write_secrets(t, config)
    return Serve(t, config, env={"GITHUB_API_URL": api.base, "CI_API_V4_URL": api.base + "/api/v4",
                                 "GITLAB_TOKEN": "glpat-evidence"})


@case("the documented command starts a server with the documented configuration")
def _(t):
    command = shlex.split(blocks("sh")[0].replace("\\\n", " "))
    t.eq(command[:2], ["relgate", "serve"], "the command")
    t.check("--hooks" in command, "it names the hooks' configuration")
    config = doc_config()
    write_secrets(t, config)
    t.write_json(command[command.index("--hooks") + 1], config)
    args = [str(SOURCE / a) if a.startswith("policies/") else a for a in command[2:]]
    args[args.index("--listen") + 1] = "127.0.0.1:0"
    proc = subprocess.Popen([str(harness.RELGATE), "serve", *args, "--port-file", "port"], cwd=str(t.tmp),
                            stdout=subprocess.DEVNULL, stderr=open(t.tmp / "serve.log", "wb"),
                            start_new_session=True)
    try:
        port = None
        for _ in range(200):
            text = (t.tmp / "port").read_text().strip() if (t.tmp / "port").exists() else ""
            if text.isdigit():
                port = int(text)
                break
            t.check(proc.poll() is None, "the server runs: %s" % (t.tmp / "serve.log").read_text())
            time.sleep(0.05)
        t.check(port, "the server wrote its port")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/v1/hooks/github", b"{}", {"X-GitHub-Event": "ping"})
        t.eq(c.getresponse().status, 401, "an unsigned ping")
        c.close()
        t.check((t.tmp / "decisions.db").exists(), "the SQLite store is there")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


@case("the documented configuration drives a GitHub protection rule and a GitLab approval")
def _(t):
    with Api() as api:
        gh = protection_rule_payload(api.base)
        gh["repository"]["full_name"] = "octo-org/payments"
        gh["environment"] = "production"
        gh["deployment"]["ref"] = "refs/tags/v1.4.0"
        gh["deployment_callback_url"] = api.base + "/repos/octo-org/payments/actions/runs/7/deployment_protection_rule"
        serve_check_runs(api, "octo-org/payments", gh["deployment"]["sha"], "success")
        gl = gitlab_deployment_payload()
        gl["environment"] = "production"
        gl["ref"] = "v1.4.0"
        gl_sha = gl["commit_url"].rsplit("/", 1)[1]
        serve_gitlab_jobs(api, gl["project"]["path_with_namespace"], gl_sha, "failed")
        serve_gitlab_deployment(api, gl)
        with start(t, api) as srv:
            t.eq(srv.github(gh)[0], 202, "the GitHub webhook")
            t.eq(srv.gitlab(gl)[0], 202, "the GitLab webhook")
            posts = {p["path"]: json.loads(p["body"]) for p in api.wait_posts(2)}
            review = posts.get("/repos/octo-org/payments/actions/runs/7/deployment_protection_rule")
            t.check(review, "the GitHub review: %r" % posts)
            t.eq(review["state"], "approved", "GitHub")
            t.contains(review["comment"], "payments 1.4.0", "the release in the comment (${version})")
            approval = posts.get("/api/v4/projects/%d/deployments/%d/approval" % (gl["project"]["id"],
                                                                                  gl["deployment_id"]))
            t.check(approval, "the GitLab approval: %r" % posts)
            t.eq(approval["status"], "rejected", "GitLab (its pipeline failed)")


@case("the documented AnalysisTemplate, requested as Argo does: successCondition result.ok")
def _(t):
    template = yaml.safe_load(blocks("yaml")[0])
    metric = template["spec"]["metrics"][0]
    web = metric["provider"]["web"]
    t.eq(metric["successCondition"], "result.ok", "the condition the doc gives")
    t.check("jsonPath" not in web, "no jsonPath: the whole answer is the result")
    with Api() as api:
        serve_check_runs(api, "octo-org/payments", SHA, "success")
        bad = "2" + SHA[1:]
        serve_check_runs(api, "octo-org/payments", bad, "failure")
        with start(t, api) as srv:
            for sha, want in ((SHA, True), (bad, False)):
                args = {"version": "1.4.0", "sha": sha, "relgate-token": "unused"}

                def fill(s):
                    return re.sub(r"\{\{\s*args\.([\w-]+)\s*\}\}", lambda m: args[m.group(1)], s)
                path = "/" + web["url"].split("://", 1)[1].split("/", 1)[1]
                headers = {h["key"]: fill(h["value"]) for h in web["headers"]}
                body = json.dumps({k: fill(v) for k, v in web["jsonBody"].items()})
                code, _, answer = srv.request(web["method"], path, body, headers)
                t.eq(code, 200, "the status for %s" % sha)
                result = json.loads(answer)
                t.eq(result["ok"], want, "result.ok for CI %s" % ("passing" if want else "failing"))


@case("the documented Argo CD PreSync script passes an allow and stops a deny")
def _(t):
    if not shutil.which("curl") or not shutil.which("jq"):
        t.skip("curl and jq are needed")
    script = blocks("sh")[1]
    with Api() as api:
        serve_check_runs(api, "octo-org/payments", SHA, "success")
        bad = "3" + SHA[1:]
        serve_check_runs(api, "octo-org/payments", bad, "failure")
        with start(t, api) as srv:
            for rev, rc in ((SHA, 0), (bad, 1)):
                env = dict(os.environ, RELGATE_URL="http://127.0.0.1:%d" % srv.port, RELGATE_TOKEN="unused",
                           ARGOCD_APP_REVISION=rev)
                res = subprocess.run(["sh", "-c", script], env=env, capture_output=True, timeout=60)
                t.eq(res.returncode, rc, "the script's exit for %s (%s)" % (rev[:7], res.stderr[-300:]))


@case("the documented Spinnaker webhook stage: its payload posted, its status read at statusJsonPath")
def _(t):
    stage = json.loads(blocks("json")[1])
    t.eq(stage["statusJsonPath"], "$.decision", "the status path")
    with Api() as api:
        serve_check_runs(api, "octo-org/payments", SHA, "success")
        with start(t, api) as srv:
            payload = json.loads(json.dumps(stage["payload"]).replace("${trigger.hash}", SHA))
            code, _, body = srv.request(stage["method"], "/" + stage["url"].split("://", 1)[1].split("/", 1)[1],
                                        json.dumps(payload), {"Content-Type": "application/json"})
            t.eq(code, 200, "the status")
            status = json.loads(body)["decision"]
            t.check(status in stage["successStatuses"].split(","), "%s is a success status" % status)
            t.check(code not in stage["failFastStatusCodes"], "not a fail-fast status")


if __name__ == "__main__":
    main()
