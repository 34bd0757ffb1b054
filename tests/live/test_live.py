"""Live evidence (issue 15) against real HTTP(S) servers on loopback that the tests start
(api_server.py): relgate's ci plugin fetches GitHub and GitLab API pages with libcurl in
its check child, records each page in the decision (URL, time, digest), and
--save-evidence writes a context whose replay gives the same decision offline.  Every
failure — HTTP errors, rate limits that outlast the check, slow, truncated or non-JSON
answers, redirect loops, too many pages — is an error result: deny, never allow.  The
token given in the environment never appears in any output.

meson runs: python3 test_live.py RELGATE   (RG_CORPUS_DIR: the shared corpus, optional)
"""

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import case  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_server import ApiServer, Reply  # noqa: E402

CORPUS = Path(os.environ.get("RG_CORPUS_DIR", "")) if os.environ.get("RG_CORPUS_DIR") else None
SHA = "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
REPO = "octo-org/payments"
TOKEN = "ghp_TOPSECRETtoken0123456789abcdefXYZ"
GL_TOKEN = "glcbt-JOBSECRET-9876543210"
CHECK_RUNS = "/repos/%s/commits/%s/check-runs?per_page=100" % (REPO, SHA)

POLICY = """
requirement "ci-passing" {
  title = "CI is passing", level = "mandatory", check = "ci.status",
  with = { reports = evidence "ci", required = { "build" }, max_pages = 4 },
}
requirement "notes" {
  title = "Release notes", level = "mandatory",
  check = function(ctx)
    local text = evidence.read("notes")
    if text and text:find("Summary") then return pass("notes have a summary") end
    return fail("no summary")
  end,
}
"""


def run_status(name, conclusion="success", sha=SHA, status="completed", rid=1):
    """A check run shaped as GitHub's REST API returns it (the fields ci.status reads and more)."""
    return {"id": rid, "head_sha": sha, "node_id": "CR_%d" % rid, "external_id": "",
            "url": "https://api.github.com/repos/%s/check-runs/%d" % (REPO, rid),
            "status": status, "conclusion": conclusion if status == "completed" else None,
            "started_at": "2025-06-10T12:00:00Z",
            "completed_at": "2025-06-10T12:05:00Z" if status == "completed" else None,
            "name": name, "check_suite": {"id": 5}, "app": {"slug": "github-actions"}}


def pages_of(runs, per_page, total=None):
    total = len(runs) if total is None else total
    return [{"total_count": total, "check_runs": runs[i:i + per_page]} for i in range(0, len(runs), per_page)]


def serve_pages(srv, first_path, pages, link=True):
    """Serve PAGES at FIRST_PATH and its &page=N successors, linked by Link: rel="next"."""
    for i, body in enumerate(pages):
        path = first_path if i == 0 else "%s&page=%d" % (first_path, i + 1)
        headers = {}
        if link and i + 1 < len(pages):
            headers["Link"] = '<{BASE}%s&page=%d>; rel="next", <{BASE}%s&page=%d>; rel="last"' % (
                first_path, i + 2, first_path, len(pages))
        srv.route(path, Reply(body if isinstance(body, bytes) else json.dumps(body).encode(), headers=headers))


def env_for(srv, **extra):
    env = {"GITHUB_API_URL": srv.base if srv else "", "GITHUB_TOKEN": TOKEN, "GH_TOKEN": "",
           "CI_API_V4_URL": (srv.base + "/api/v4") if srv else "", "GITLAB_TOKEN": "", "CI_JOB_TOKEN": "",
           "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "", "HTTPS_PROXY": "", "https_proxy": "",
           "http_proxy": "", "ALL_PROXY": "", "all_proxy": "", "NO_PROXY": "", "no_proxy": "",
           "RELGATE_PLUGIN_CACHE": ""}
    env.update(extra)
    return env


def setup(t, source, policy=POLICY, commit=SHA):
    t.write("policy.lua", policy)
    t.write("NOTES.md", "# 1.4.0\n\n## Summary\n\nPartial refunds.\n")
    t.write_json("context.json", {
        "release": {"name": "payments-api", "version": "1.4.0", "type": "minor", "commit": commit},
        "evidence": {"ci": source, "notes": "NOTES.md"},
    })


def github(kind="check-runs"):
    return {"github": kind, "repo": REPO, "ref": SHA}


def no_secret(t, res, *secrets):
    for s in secrets or (TOKEN, GL_TOKEN):
        for stream, data in (("stdout", res.stdout), ("stderr", res.stderr)):
            t.check(s.encode() not in data, "the token appears on %s" % stream)


def live_eval(t, srv, *extra, env=None, **kw):
    res = t.eval("policy.lua", "context.json", *extra, env=env or env_for(srv), **kw)
    no_secret(t, res)
    return res


def ci_result(t, doc):
    return t.result(doc, "ci-passing")


def expect_ci_error(t, res, *mentions):
    doc = t.expect_decision(res, "deny", 1)
    r = ci_result(t, doc)
    t.eq(r["status"], "error", "ci-passing status")
    for m in mentions:
        t.contains(r["message"], m, "ci-passing message")
    return r


# ---- Pagination and recording -------------------------------------------------------


@case("github check runs over three pages (Link rel=next): all read, each page in the evidence with its URL")
def _(t):
    runs = [run_status(n, rid=i) for i, n in enumerate(["build", "lint", "test", "docs", "e2e"], 1)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 2))
        setup(t, github())
        res = live_eval(t, srv)
        doc = t.expect_decision(res, "allow", 0)
        t.eq(len(srv.requests), 3, "requests")
        for path, headers in srv.requests:
            t.eq(headers.get("authorization"), "Bearer " + TOKEN, "Authorization of " + path)
            t.contains(headers.get("user-agent", ""), "relgate", "User-Agent")
    r = ci_result(t, doc)
    t.eq(r["details"]["reports"][0]["pages"], 3, "pages")
    t.eq(r["details"]["totals"]["checks"], 5, "checks judged: every page's")
    notes = [e for e in doc["evidence"] if e["name"] == "ci"]
    t.eq(len(notes), 3, "one evidence note per page")
    t.eq(notes[0]["url"], srv.base + CHECK_RUNS, "first page URL")
    t.eq(notes[2]["url"], srv.base + CHECK_RUNS + "&page=3", "last page URL")
    for n in notes:
        t.check("path" not in n and n["fetched_at"].endswith("Z"), "a fetched note has url and fetched_at, no path")
        t.check(TOKEN not in n["url"], "no token in a URL")


@case("a failure on the last page denies: every page is judged")
def _(t):
    runs = [run_status("build", rid=1), run_status("lint", rid=2), run_status("deploy-check", "failure", rid=3)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 1))
        setup(t, github())
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
    r = ci_result(t, doc)
    t.eq(r["status"], "fail", "status")
    t.contains(r["message"], "deploy-check", "message")


@case("too many pages (max_pages) is an error, not the first pages judged")
def _(t):
    runs = [run_status("c%d" % i, rid=i) for i in range(1, 7)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 1))
        setup(t, github())
        r = expect_ci_error(t, live_eval(t, srv), "more than 4 pages")
        t.eq(len(srv.requests), 4, "requests stop at max_pages")
    t.contains(r["message"], srv.base, "the URL is named")


@case("a next link to another origin is refused (the token would go there)")
def _(t):
    runs = [run_status("build", rid=1)]
    with ApiServer() as srv, ApiServer() as other:
        srv.route(CHECK_RUNS, Reply(pages_of(runs, 1, total=2)[0],
                                    headers={"Link": '<%s/steal?page=2>; rel="next"' % other.base}))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "the next page's link is off the API's origin")
        t.eq(other.requests, [], "nothing sent to the other origin")


@case("a next page is relgate's own URL, the page number one more: the server's link text (a token in it, cut or "
      "encoded) is neither followed nor recorded; a link skipping, going back or without a number is an error")
def _(t):
    # Hostile round 35, F01: the Link (and GitLab's x-next-page) was followed and recorded
    # as sent, so a cut or base64 token in it reached the decision, the log and a save.
    import base64
    runs = [run_status("build", rid=1), run_status("test", rid=2)]
    ours = CHECK_RUNS + "&page=2"
    for echo in ("t=" + TOKEN[:24], "auth=" + base64.b64encode(TOKEN.encode()).decode()):
        with ApiServer() as srv:
            first, second = pages_of(runs, 1)
            # GitHub names pages by repository id, the query in its own order.
            srv.route(CHECK_RUNS, Reply(first, headers={
                "Link": '<{BASE}/repositories/99/commits/%s/check-runs?%s&page=2&per_page=100>; rel="next"'
                        % (SHA, echo)}))
            srv.route(ours, Reply(second))
            setup(t, github())
            res = live_eval(t, srv, "--log", "gate.jsonl", "--save-evidence", "saved")
            doc = t.expect_decision(res, "allow", 0)
            t.eq(srv.paths(), [CHECK_RUNS, ours], "page 2 asked by relgate's own URL")
            pages = [e for e in doc["evidence"] if e.get("name") == "ci"]
            t.eq([(e["url"], e.get("next")) for e in pages],
                 [(srv.base + CHECK_RUNS, srv.base + ours), (srv.base + ours, None)], "the pages recorded")
            stored = Path(t.tmp, "gate.jsonl").read_text() + Path(t.tmp, "saved", "context.json").read_text()
            no_trace_of(t, res, TOKEN, echo)
            t.check(echo not in stored and TOKEN[:10] not in stored, "the link's text in the log or the save")
    for link, why in (("?per_page=100&page=3", "the next page named is page 3, not page 2"),
                      ("?per_page=100&page=1", "the next page named is page 1, not page 2"),
                      ("?per_page=100&after=Y3Vyc29y", "not named by a page number"),
                      ("?per_page=100&page=2x", "not named by a page number")):
        with ApiServer() as srv:
            srv.route(CHECK_RUNS, Reply(pages_of(runs, 1)[0], headers={
                "Link": '<{BASE}/repos/%s/commits/%s/check-runs%s>; rel="next"' % (REPO, SHA, link)}))
            setup(t, github())
            r = expect_ci_error(t, live_eval(t, srv), why)
            t.check(link not in r["message"], "the link not shown")
            t.eq(srv.paths(), [CHECK_RUNS], "nothing more asked")
    project = "/api/v4/projects/4211"
    for value, why in (("2&t=" + GL_TOKEN[:14], "not named by a page number"), ("3", "page 3, not page 2")):
        with ApiServer() as srv:
            srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA,
                      Reply([{"id": 77, "sha": SHA, "status": "success", "ref": "main"}]))
            jobs = project + "/pipelines/77/jobs?per_page=100"
            srv.route(jobs, Reply([gl_job(1, "build", "success")], headers={"x-next-page": value}))
            gl_bridges(srv, project, 77)
            setup(t, {"gitlab": "pipeline-jobs", "project": 4211, "ref": SHA})
            res = live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN=""))
            expect_ci_error(t, res, why)
            no_trace_of(t, res, GL_TOKEN, GL_TOKEN[:14])


# ---- Replay --------------------------------------------------------------------------


def normalise(doc):
    """A decision without what a replay cannot share: timings, and the context file it read."""
    doc = copy.deepcopy(doc)
    for r in doc["requirements"]:
        r.pop("duration_ms", None)
    doc.pop("context", None)
    return doc


@case("--save-evidence: the replay (no server, no token) gives the same decision, offline")
def _(t):
    runs = [run_status("build", rid=1), run_status("test", "failure", rid=2), run_status("docs", rid=3)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 2))
        setup(t, github())
        live = t.decision(live_eval(t, srv, "--save-evidence", "saved", "--log", "gate-log.jsonl"))
    t.eq(live["decision"], "deny", "live decision")
    log = Path(t.tmp, "gate-log.jsonl").read_text()
    t.check(TOKEN not in log and srv.base + CHECK_RUNS in log, "the decision log has the URL, not the token")
    saved = json.loads(Path(t.tmp, "saved", "context.json").read_text())
    rec = saved["evidence"]["ci"]["recorded"]
    t.eq(len(rec), 2, "two pages recorded")
    for page in rec:
        data = Path(t.tmp, "saved", page["file"]).read_bytes()
        t.eq("sha256:" + hashlib.sha256(data).hexdigest(), page["sha256"], "saved page digest")
    t.eq(saved["evidence"]["notes"], "NOTES.md", "file evidence keeps its path")
    t.check(Path(t.tmp, "saved", "NOTES.md").is_file(), "file evidence copied")
    t.check(TOKEN not in Path(t.tmp, "saved", "context.json").read_text(), "no token in the saved context")
    # The server is gone and so is every credential and API base.
    res = t.eval("policy.lua", "saved/context.json", env=env_for(None, GITHUB_TOKEN=""))
    replay = t.decision(res)
    t.eq(res.rc, 1, "replay exit code")
    t.eq(normalise(replay), normalise(live), "the replayed decision")


@case("a replayed page that was altered is an error, not another decision")
def _(t):
    runs = [run_status("build", rid=1)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 1))
        setup(t, github())
        t.expect_decision(live_eval(t, srv, "--save-evidence", "saved"), "allow", 0)
    saved = json.loads(Path(t.tmp, "saved", "context.json").read_text())
    page = Path(t.tmp, "saved", saved["evidence"]["ci"]["recorded"][0]["file"])
    page.write_text(page.read_text().replace('"success"', '"failure"'))
    res = t.eval("policy.lua", "saved/context.json", env=env_for(None))
    expect_ci_error(t, res, "not what was fetched")


@case("--save-evidence refuses --batch and the context's own directory")
def _(t):
    setup(t, github())
    res = t.run("eval", "--policy", "policy.lua", "--context", "context.json", "--save-evidence", ".")
    t.expect_exit(res, 2)
    t.contains(res.err, "own directory", "stderr")
    t.write("batch.jsonl", "{}\n")
    res = t.run("eval", "--policy", "policy.lua", "--batch", "batch.jsonl", "--save-evidence", "x")
    t.expect_exit(res, 2)


@case("--save-evidence refuses a folder whose context.json is the context read by another name (a link, a hard "
      "link, standard input redirected from it) or an evidence file: nothing removed")
def _(t):
    # Hostile round 35, F03: refused by the directory's name only, the context itself was
    # removed at the start and replaced by the saved copy (its recorded pages replayed by
    # every later gate), or only removed when the run then failed.
    setup(t, github())
    os.mkdir(Path(t.tmp, "rel"))
    os.rename(Path(t.tmp, "context.json"), Path(t.tmp, "rel", "context.json"))
    shutil.copy(Path(t.tmp, "NOTES.md"), Path(t.tmp, "rel", "NOTES.md"))
    original = Path(t.tmp, "rel", "context.json").read_bytes()
    os.symlink("rel/context.json", Path(t.tmp, "link.json"))
    os.link(Path(t.tmp, "rel", "context.json"), Path(t.tmp, "hard.json"))
    for given in ("link.json", "hard.json"):
        res = t.run("eval", "--policy", "policy.lua", "--context", given, "--save-evidence", "rel", env=env_for(None))
        t.expect_exit(res, 2)
        t.contains(res.err, "is the context this run reads", "stderr, " + given)
    with open(Path(t.tmp, "rel", "context.json"), "rb") as stdin:
        res = subprocess.run([str(harness.RELGATE), "eval", "--policy", "policy.lua", "--context", "-",
                              "--save-evidence", "rel"], cwd=t.tmp, stdin=stdin, capture_output=True, timeout=60,
                             env=dict(os.environ, **env_for(None)))
    t.eq(res.returncode, 2, "standard input redirected from rel/context.json: exit")
    t.contains(res.stderr.decode(), "is the context this run reads", "stderr, standard input")
    t.eq(Path(t.tmp, "rel", "context.json").read_bytes(), original, "the context, after every refusal")
    # An evidence file the saved context would replace.
    t.write_json("context.json", {"release": {"name": "payments-api", "version": "1.4.0", "type": "minor",
                                              "commit": SHA}, "evidence": {"notes": "rel/context.json"}})
    res = t.run("eval", "--policy", "policy.lua", "--context", "context.json", "--save-evidence", "rel",
                env=env_for(None))
    t.expect_exit(res, 2)
    t.contains(res.err, "is an evidence file this run reads", "stderr, evidence")
    t.eq(Path(t.tmp, "rel", "context.json").read_bytes(), original, "the evidence file")
    # Round 36, F02: an evidence file's copy (at its relative path under DIR) over another
    # evidence file: notes.md's copy would replace docs/notes.md.
    t.write("docs/notes.md", "the real notes\n")
    t.write("notes.md", "a draft\n")
    t.write_json("context.json", {"release": {"name": "payments-api", "version": "1.4.0", "type": "minor",
                                              "commit": SHA}, "evidence": {"notes": "docs/notes.md", "draft": "notes.md"}})
    res = t.run("eval", "--policy", "policy.lua", "--context", "context.json", "--save-evidence", "docs",
                env=env_for(None))
    t.expect_exit(res, 2)
    t.contains(res.err, "docs/notes.md is an evidence file this run reads", "stderr, a copy over evidence")
    t.eq(Path(t.tmp, "docs", "notes.md").read_text(), "the real notes\n", "the other evidence file")


@case("--save-evidence into a folder holding an earlier recording: its context.json goes at the start, "
      "so a run that fails to save leaves none; a link planted in the folder is not followed")
def _(t):
    runs = [run_status("build", rid=1)]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(runs, 1))
        setup(t, github())
        t.expect_decision(live_eval(t, srv, "--save-evidence", "saved"), "allow", 0)
        t.check(Path(t.tmp, "saved", "context.json").is_file(), "the first recording")
        # The next run cannot be saved (an evidence path that is a directory): exit 2, and
        # the earlier recording's context.json is not left to pass for this run's.
        ctx = json.loads(Path(t.tmp, "context.json").read_text())
        ctx["evidence"]["notes"] = "notes-dir"
        Path(t.tmp, "notes-dir").mkdir()
        t.write_json("context.json", ctx)
        res = live_eval(t, srv, "--save-evidence", "saved")
        t.expect_exit(res, 2)
        t.check(not Path(t.tmp, "saved", "context.json").exists(), "the earlier context.json is still there")
        # A link planted where pages go is refused, not followed out of the folder.
        setup(t, github())
        outside = Path(t.tmp, "outside")
        outside.mkdir()
        shutil.rmtree(Path(t.tmp, "saved", "fetched"))
        Path(t.tmp, "saved", "fetched").symlink_to(outside)
        res = live_eval(t, srv, "--save-evidence", "saved")
        t.check(res.rc != 0, "a save through a planted link passed")
        t.eq(list(outside.iterdir()), [], "files written through the link")
    if os.geteuid() != 0:
        ro = Path(t.tmp, "read-only")
        ro.mkdir(mode=0o555)
        with ApiServer() as srv:
            serve_pages(srv, CHECK_RUNS, pages_of(runs, 1))
            res = live_eval(t, srv, "--save-evidence", "read-only")
            t.expect_exit(res, 2)
            t.contains(res.err, "cannot write there", "stderr")
            t.eq(srv.requests, [], "fetched although the recording could not be written")


@case("relgate lint --context: the live source shapes eval refuses, each at its line, nothing fetched")
def _(t):
    with ApiServer() as srv:
        t.write("context.json", json.dumps({
            "release": {"name": "payments-api", "version": "1.4.0", "type": "minor"},
            "evidence": {
                "notes": "NOTES.md",
                "checks": {"github": "check-run", "repo": REPO, "ref": SHA},
                "runs": {"github": "workflow-runs", "repo": "octo-org", "ref": SHA[:7]},
                "jobs": {"gitlab": "pipeline-jobs", "project": "grp/p"},
                "good": {"gitlab": "pipelines", "project": 4211, "ref": SHA},
            }}, indent=2) + "\n")
        res = t.run("lint", "--context", "context.json", env=env_for(srv))
        t.expect_exit(res, 1)
        t.eq(srv.requests, [], "requests: lint fetches nothing")
    lines = res.out.splitlines()
    text = Path(t.tmp, "context.json").read_text().splitlines()
    line_of = lambda key: 1 + next(i for i, l in enumerate(text) if '"%s":' % key in l)
    want = [("checks", "is not one of check-runs, statuses, workflow-runs"), ("runs", "repo must be"),
            ("runs", "ref must be the commit's full SHA"), ("jobs", "exactly one of ref")]
    for key, message in want:
        t.check(any(l.startswith("context.json:%d: evidence.%s: " % (line_of(key), key)) and message in l
                    for l in lines), "no lint line for %s (%s)" % (key, message), actual=lines)
    t.eq(len(lines), len(want), "problems")
    t.check(not any("good" in l for l in lines), "a good source is reported")
    res = t.run("lint", "--context", "context.json", "--format", "json")
    doc = json.loads(res.out)
    t.eq((doc["policy"], doc["count"]), (None, len(want)), "the JSON report")
    t.eq(doc["problems"][0]["file"], "context.json", "the JSON report's file")
    t.write_json("context.json", {"release": {"name": "payments-api", "version": "1.4.0", "type": "minor"},
                                  "evidence": {"ci": github()}})
    t.write("policy.lua", POLICY.replace('check = "ci.status",', 'hint = "Fix CI.", check = "ci.status",')
            .replace('level = "mandatory",\n  check = function', 'level = "mandatory", hint = "Write one.",\n  check = function'))
    res = t.run("lint", "--policy", "policy.lua", "--context", "context.json")
    t.expect_exit(res, 0)
    t.contains(res.err, "no problems found", "stderr")
    t.eq(res.out, "", "stdout")
    res = t.run("lint", "--context", "no-such.json")
    t.expect_exit(res, 2)


@case("a recording cut short by a failed fetch replays as an error, never as the pages that arrived")
def _(t):
    # GitLab lists carry no total: only the recorded "next" tells a replay the list went on.
    jobs = "/api/v4/projects/3/pipelines/6/jobs?per_page=100"
    with ApiServer() as srv:
        srv.route(jobs, Reply([gl_job(1, "build", "success")], headers={"x-next-page": "2"}))
        srv.route(jobs + "&page=2", Reply({"message": "502 Bad Gateway"}, status=502))
        setup(t, {"gitlab": "pipeline-jobs", "project": 3, "pipeline": 6})
        live = t.expect_decision(live_eval(t, srv, "--save-evidence", "saved"), "deny", 1)
    t.eq(ci_result(t, live)["status"], "error", "live status")
    saved = json.loads(Path(t.tmp, "saved", "context.json").read_text())
    t.eq(saved["evidence"]["ci"]["recorded"][0]["next"], srv.base + jobs + "&page=2", "the recorded next page")
    replay = t.expect_decision(t.eval("policy.lua", "saved/context.json", env=env_for(None)), "deny", 1)
    t.eq(ci_result(t, replay)["status"], "error", "replayed status")
    t.contains(ci_result(t, replay)["message"], "no more pages", "replayed message")


# ---- Failures: each an error result, deny ---------------------------------------------


@case("429 with Retry-After: 1 is waited out within the check's timeout, then the page is read")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, [Reply({"message": "API rate limit exceeded"}, status=429, headers={"Retry-After": "1"}),
                               Reply(pages_of([run_status("build")], 1)[0])])
        setup(t, github())
        start = time.monotonic()
        res = live_eval(t, srv)
        t.expect_decision(res, "allow", 0)
        t.check(time.monotonic() - start >= 1.0, "it waited the second asked")
        t.eq(len(srv.requests), 2, "requests")
    t.contains(res.err, "rate limited", "the wait is logged")


@case("403 with x-ratelimit-remaining 0 resetting after the check's timeout: an error at once, no wait")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply({"message": "API rate limit exceeded for installation"}, status=403,
                                    headers={"x-ratelimit-remaining": "0",
                                             "x-ratelimit-reset": str(int(time.time()) + 3600)}))
        setup(t, github())
        start = time.monotonic()
        r = expect_ci_error(t, live_eval(t, srv, "--check-timeout", "10"), "rate limited (HTTP 403)")
        t.check(time.monotonic() - start < 8, "it did not wait for a reset it cannot reach")
    t.contains(r["message"], srv.base + CHECK_RUNS, "the URL")


@case("a 502 then a 503 are asked again after a backoff; the page that follows is read and recorded alone")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, [Reply({"message": "Bad Gateway"}, status=502),
                               Reply({"message": "Service Unavailable"}, status=503),
                               Reply(pages_of([run_status("build")], 1)[0])])
        setup(t, github())
        start = time.monotonic()
        res = live_eval(t, srv)
        doc = t.expect_decision(res, "allow", 0)
        t.check(time.monotonic() - start >= 3.0, "it waited 1 s, then 2 s, between the attempts")
        t.eq(len(srv.requests), 3, "requests")
    t.contains(res.err, "HTTP 502, asking again in 1.0 s (retry 1 of 3)", "the first retry is logged")
    t.contains(res.err, "HTTP 503, asking again in 2.0 s (retry 2 of 3)", "the second retry is logged")
    t.eq(len([e for e in doc["evidence"] if e["name"] == "ci"]), 1, "only the good answer is evidence")


@case("HTTP 500 that persists: asked 4 times (Retry-After honoured), then an error naming the URL and the status")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply({"message": "Server Error"}, status=500, headers={"Retry-After": "0"}))
        setup(t, github())
        r = expect_ci_error(t, live_eval(t, srv), "HTTP 500: Internal Server Error (asked 4 times)", srv.base + CHECK_RUNS)
        t.eq(len(srv.requests), 4, "requests: the first and 3 retries")
    t.check("no time left" not in r["message"], "the retries all happened")


@case("HTTP 500 with too little of the check's time left to back off: an error at once, saying so")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply({"message": "Server Error"}, status=500))
        setup(t, github())
        start = time.monotonic()
        expect_ci_error(t, live_eval(t, srv, "--check-timeout", "2"), "HTTP 500: Internal Server Error (asked 2 times, "
                        "no time left to ask again before the check's timeout)", srv.base + CHECK_RUNS)
        t.check(time.monotonic() - start < 4, "it ended within the check's timeout")
        t.eq(len(srv.requests), 2, "requests: the 1 s backoff fitted, the 2 s one did not")


@case("HTTP 501 and a 403 without rate-limit headers are not asked again: an error at once")
def _(t):
    for status, words in ((501, "Not Implemented"), (403, "Forbidden: the credential is not allowed this")):
        with ApiServer() as srv:
            srv.route(CHECK_RUNS, Reply({"message": "Resource not accessible by integration"}, status=status))
            setup(t, github())
            start = time.monotonic()
            r = expect_ci_error(t, live_eval(t, srv), "HTTP %d: %s" % (status, words), srv.base + CHECK_RUNS)
            t.check("Resource not" not in r["message"], "the server's text is not shown: " + r["message"])
            t.eq(len(srv.requests), 1, "requests for HTTP %d" % status)
            t.check(time.monotonic() - start < 5, "no wait for HTTP %d" % status)


@case("401 Bad credentials is an error in relgate's words, not the server's")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply({"message": "Bad credentials"}, status=401))
        setup(t, github())
        r = expect_ci_error(t, live_eval(t, srv), "HTTP 401: Unauthorized: the credential is missing, wrong or expired")
        t.check("Bad credentials" not in r["message"], "the server's text is not shown: " + r["message"])


@case("a slow answer past the check's timeout is an error within the timeout")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(pages_of([run_status("build")], 1)[0], delay=6))
        setup(t, github())
        start = time.monotonic()
        res = live_eval(t, srv, "--check-timeout", "2")
        t.check(time.monotonic() - start < 5.5, "it ended near the check's timeout")
        doc = t.expect_decision(res, "deny", 1)
        t.eq(ci_result(t, doc)["status"], "error", "status")


@case("a truncated answer (Content-Length not met) is an error, not a shorter list")
def _(t):
    body = json.dumps(pages_of([run_status("build"), run_status("test", rid=2)], 2)[0]).encode()
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(body, truncate=len(body) // 2))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "cut short")


@case("a wrong content type (an HTML error page) is an error")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b"<html>maintenance</html>", content_type="text/html"))
        setup(t, github())
        r = expect_ci_error(t, live_eval(t, srv), "of another type, not JSON")
        t.check("text/html" not in r["message"], "the server's Content-Type is not shown: " + r["message"])


@case("a malformed JSON page is an error")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b'{"total_count": 1, "check_runs": [{"name": "build"'))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "not well-formed JSON")


@case("a redirect loop ends after 5 redirects with an error")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b"", status=302, headers={"Location": "{BASE}/loop"}))
        srv.route("/loop", Reply(b"", status=302, headers={"Location": "{BASE}%s" % CHECK_RUNS}))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "more than 5 redirects")
        t.check(len(srv.requests) <= 6, "bounded requests")


@case("a redirect to another origin is refused before anything is sent there (the token would go with it)")
def _(t):
    with ApiServer() as srv, ApiServer() as other:
        srv.route(CHECK_RUNS, Reply(b"", status=307, headers={"Location": other.base + CHECK_RUNS}))
        other.route(CHECK_RUNS, Reply(pages_of([run_status("build")], 1)[0]))
        setup(t, github())
        r = expect_ci_error(t, live_eval(t, srv), srv.base + CHECK_RUNS, "a redirect leads off the API's origin")
        t.check(other.base not in r["message"], "the redirect's target is not shown: " + r["message"])
        t.eq(other.requests, [], "nothing sent to the other origin")


@case("an answer without a content type is an error, as a wrong one is")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(pages_of([run_status("build")], 1)[0], content_type=None))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "of no declared type, not JSON")


@case("a body that trickles in past the check's timeout (headers on time) is an error, not a shorter page")
def _(t):
    body = json.dumps(pages_of([run_status("build")], 1)[0]).encode()
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(body, trickle=1.0))
        setup(t, github())
        start = time.monotonic()
        r = expect_ci_error(t, live_eval(t, srv, "--check-timeout", "2"))
        t.check(time.monotonic() - start < 6, "it ended near the check's timeout")
    # The fetch gives up before the check's deadline and names the URL; on a slow machine
    # (the sanitizers) the engine may stop the check first: an error either way.
    t.check((srv.base + CHECK_RUNS in r["message"] and "no complete response" in r["message"]) or
            "timed out" in r["message"], "a timeout", actual=r["message"])


@case("gitlab: 429 with RateLimit-Reset (GitLab's header names) is waited out, then the page is read; "
      "a reset already past is asked again at once")
def _(t):
    jobs = "/api/v4/projects/3/pipelines/6/jobs?per_page=100"
    with ApiServer() as srv:
        srv.route(jobs, [Reply({"message": "Retry later"}, status=429,
                               headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) + 1)}),
                         Reply({"message": "Retry later"}, status=429,
                               headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) - 5)}),
                         Reply([gl_job(1, "build", "success")])])
        gl_bridges(srv, "/api/v4/projects/3", 6)
        setup(t, {"gitlab": "pipeline-jobs", "project": 3, "pipeline": 6})
        res = live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN=""))
        t.expect_decision(res, "allow", 0)
        t.eq(len(srv.requests), 4, "requests (three for the jobs, one for the bridges)")
    t.contains(res.err, "rate limited (HTTP 429)", "the wait is logged")


@case("no conditional request is sent; a 304 Not Modified (a caching proxy) is an error, never a cached allow")
def _(t):
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b"", status=304, content_type=None, headers={"ETag": 'W/"abc"'}))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "HTTP 304", srv.base + CHECK_RUNS)
        for path, headers in srv.requests:
            t.check("if-none-match" not in headers and "if-modified-since" not in headers,
                    "a conditional request was sent", actual=headers)


@case("a same-origin redirect (a renamed repository) is followed; the page is recorded under the URL asked")
def _(t):
    moved = "/repositories/42/commits/%s/check-runs?per_page=100" % SHA
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b"", status=301, headers={"Location": "{BASE}" + moved}))
        srv.route(moved, Reply(pages_of([run_status("build")], 1)[0]))
        setup(t, github())
        doc = t.expect_decision(live_eval(t, srv), "allow", 0)
    t.eq([e["url"] for e in doc["evidence"] if e["name"] == "ci"], [srv.base + CHECK_RUNS], "recorded URL")


@case("plain http to another machine is refused before anything is sent")
def _(t):
    setup(t, github())
    res = live_eval(t, None, env=env_for(None, GITHUB_API_URL="http://api.example.invalid"))
    expect_ci_error(t, res, "plain http")


@case("nothing listening: a connection error result")
def _(t):
    srv = ApiServer()
    base = srv.base
    srv.stop()
    setup(t, github())
    expect_ci_error(t, live_eval(t, None, env=env_for(None, GITHUB_API_URL=base)), base)


# ---- GitLab ------------------------------------------------------------------------------


def gl_job(jid, name, status, stage="test", sha=SHA):
    return {"id": jid, "name": name, "stage": stage, "status": status, "ref": "main", "allow_failure": False,
            "created_at": "2025-06-10T12:00:00.000Z", "started_at": "2025-06-10T12:00:05.000Z",
            "finished_at": "2025-06-10T12:04:00.000Z", "pipeline": {"id": 77, "sha": sha, "status": status},
            "commit": {"id": sha}}


def gl_bridges(srv, project, pipeline, bridges=()):
    """The trigger jobs (bridges) of PIPELINE in PROJECT (its API path): none by default."""
    srv.route("%s/pipelines/%d/bridges?per_page=100" % (project, pipeline), Reply(list(bridges)))


@case("gitlab pipeline-jobs by commit: the latest pipeline's jobs over pages (x-next-page), JOB-TOKEN")
def _(t):
    project = "/api/v4/projects/group%2Fpayments"
    with ApiServer() as srv:
        srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA,
                  Reply([{"id": 76, "sha": SHA, "status": "failed", "ref": "main"},
                         {"id": 77, "sha": SHA, "status": "success", "ref": "main"}]))
        jobs = project + "/pipelines/77/jobs?per_page=100"
        srv.route(jobs, Reply([gl_job(1, "build", "success")], headers={"x-next-page": "2", "x-page": "1"}))
        srv.route(jobs + "&page=2", Reply([gl_job(2, "test", "success")], headers={"x-next-page": ""}))
        gl_bridges(srv, project, 77)
        setup(t, {"gitlab": "pipeline-jobs", "project": "group/payments", "ref": SHA})
        res = live_eval(t, srv, "--save-evidence", "saved", env=env_for(srv, CI_JOB_TOKEN=GL_TOKEN, GITHUB_TOKEN=""))
        doc = t.expect_decision(res, "allow", 0)
        t.eq(len(srv.requests), 4, "requests")
        for path, headers in srv.requests:
            t.eq(headers.get("job-token"), GL_TOKEN, "JOB-TOKEN of " + path)
            t.check("private-token" not in headers and "authorization" not in headers, "one credential")
    t.eq(ci_result(t, doc)["details"]["reports"][0]["pages"], 4, "pages")
    replay = t.decision(t.eval("policy.lua", "saved/context.json", env=env_for(None)))
    t.eq(normalise(replay), normalise(doc), "the replayed decision")


@case("gitlab pipeline-jobs: a trigger job (bridge) whose downstream pipeline failed denies, live and replayed")
def _(t):
    """GitLab lists bridges apart from the jobs (GET .../bridges): judged by the jobs alone,
    a parent whose child pipeline failed passed (hostile round 10, F04)."""
    project = "/api/v4/projects/3"
    bridge = dict(gl_job(9, "deploy-child", "success", stage="deploy"),
                  downstream_pipeline={"id": 91, "sha": SHA, "status": "failed", "ref": "main"})
    with ApiServer() as srv:
        srv.route(project + "/pipelines/6/jobs?per_page=100", Reply([gl_job(1, "build", "success")]))
        gl_bridges(srv, project, 6, [bridge])
        setup(t, {"gitlab": "pipeline-jobs", "project": 3, "pipeline": 6})
        doc = t.expect_decision(live_eval(t, srv, "--save-evidence", "saved",
                                          env=env_for(srv, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN="")), "deny", 1)
    r = ci_result(t, doc)
    t.eq(r["status"], "fail", "status")
    t.contains(r["message"], "deploy-child", "the bridge named")
    replay = t.decision(t.eval("policy.lua", "saved/context.json", env=env_for(None)))
    t.eq(normalise(replay), normalise(doc), "the replayed decision")


@case("gitlab: a real recorded jobs response (narkoz, two failed jobs) served over two pages denies")
def _(t):
    if not CORPUS or not (CORPUS / "gitlab" / "narkoz-pipeline-jobs-failed.json").is_file():
        t.skip("the shared corpus is not here")
    jobs = json.loads((CORPUS / "gitlab" / "narkoz-pipeline-jobs-failed.json").read_bytes())
    sha = jobs[0]["commit"]["id"]
    path = "/api/v4/projects/3/pipelines/6/jobs?per_page=100"
    with ApiServer() as srv:
        srv.route(path, Reply(json.dumps(jobs[:1]).encode(), headers={"Link": '<{BASE}%s&page=2>; rel="next"' % path}))
        srv.route(path + "&page=2", Reply(json.dumps(jobs[1:]).encode()))
        gl_bridges(srv, "/api/v4/projects/3", 6)
        setup(t, {"gitlab": "pipeline-jobs", "project": 3, "pipeline": 6})
        ctx = json.loads(Path(t.tmp, "context.json").read_text())
        ctx["release"]["commit"] = sha
        t.write_json("context.json", ctx)
        res = live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN=""))
        doc = t.expect_decision(res, "deny", 1)
        t.eq(srv.requests[0][1].get("private-token"), GL_TOKEN, "PRIVATE-TOKEN")
    r = ci_result(t, doc)
    t.eq(r["status"], "fail", "status")
    t.eq(len(r["details"]["failing"]), 2, "both failed jobs")


@case("github: the real recorded first page of 8 check runs (hub4j) with its Link header, then the rest")
def _(t):
    if not CORPUS or not (CORPUS / "github" / "hub4j-check-runs-for-ref-page1-of-8.json").is_file():
        t.skip("the shared corpus is not here")
    raw = (CORPUS / "github" / "hub4j-check-runs-for-ref-page1-of-8.json").read_bytes()
    first = json.loads(raw)
    sha = first["check_runs"][0]["head_sha"]
    path = "/repos/%s/commits/%s/check-runs?per_page=100" % (REPO, sha)
    # The other six runs: the first page's, renamed, so the list is whole as total_count says.
    rest = []
    for i in range(6):
        r = copy.deepcopy(first["check_runs"][i % 2])
        r["id"] += 1000 + i
        r["name"] = "%s-%d" % (r["name"], i)
        rest.append(r)
    with ApiServer() as srv:
        srv.route(path, Reply(raw, headers={"Link": '<{BASE}%s&page=2>; rel="next"' % path}))
        srv.route(path + "&page=2", Reply({"total_count": 8, "check_runs": rest}))
        setup(t, {"github": "check-runs", "repo": REPO, "ref": sha},
              policy=POLICY.replace('required = { "build" }, ', ""))
        ctx = json.loads(Path(t.tmp, "context.json").read_text())
        ctx["release"]["commit"] = sha
        t.write_json("context.json", ctx)
        doc = t.decision(live_eval(t, srv))
    r = ci_result(t, doc)
    t.check(r["status"] in ("pass", "fail", "warn"), "judged, not an error: %s" % r["message"])
    t.eq(r["details"]["reports"][0]["pages"], 2, "pages")
    notes = [e for e in doc["evidence"] if e["name"] == "ci"]
    t.eq(notes[0]["sha256"], "sha256:" + hashlib.sha256(raw).hexdigest(), "the recorded page's digest is the bytes served")


# ---- The gate's own run ------------------------------------------------------------------


def own_job(name, status="in_progress", conclusion=None, run=4242, rid=90):
    r = run_status(name, conclusion or "success", status=status, rid=rid)
    if status == "completed":
        r["conclusion"] = conclusion
    r["details_url"] = "https://github.com/%s/actions/runs/%d/job/%d" % (REPO, run, rid)
    r["html_url"] = r["details_url"]
    return r


@case("own_run (GITHUB_RUN_ID): the gate's own jobs still running are not judged; its finished ones, and other runs', are; the replay agrees")
def _(t):
    ci = [run_status("build", rid=1), run_status("lint", rid=2)]
    ci[0]["details_url"] = "https://github.com/%s/actions/runs/1111/job/1" % REPO
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of(ci + [own_job("pre-release"), own_job("queued-step", "queued", rid=91)], 10))
        setup(t, dict(github(), own_run=4242))
        doc = t.expect_decision(live_eval(t, srv, "--save-evidence", "saved"), "allow", 0)
        r = ci_result(t, doc)
        t.eq(r["details"]["reports"][0].get("ignored_own_run"), 2, "ignored_own_run")
        t.eq(r["details"]["totals"]["checks"], 2, "checks judged")
        replay = t.decision(t.eval("policy.lua", "saved/context.json", env=env_for(None)))
        t.eq(normalise(replay), normalise(doc), "the replayed decision (own_run is in the saved context)")
        # Without own_run (or another run's) they are pending: the gate denies.
        setup(t, github())
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
        t.contains(ci_result(t, doc)["message"], "pending: pre-release", "without own_run")
        setup(t, dict(github(), own_run=4243))
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
    with ApiServer() as srv:
        # A job of the gate's own run that finished and failed is judged like any other.
        serve_pages(srv, CHECK_RUNS, pages_of(ci + [own_job("release-build", "completed", "failure")], 10))
        setup(t, dict(github(), own_run=4242))
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
        t.contains(ci_result(t, doc)["message"], "release-build", "a finished own job that failed")
    with ApiServer() as srv:
        # Nothing but the gate's own running jobs: nothing was judged, which fails.
        serve_pages(srv, CHECK_RUNS, pages_of([own_job("pre-release")], 10))
        setup(t, dict(github(), own_run=4242), policy=POLICY.replace('required = { "build" }, ', ""))
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
        t.contains(ci_result(t, doc)["message"], "no checks but the gate's own run's", "message")


@case("own_run (CI_PIPELINE_ID): pipeline-jobs by ref takes the commit's latest pipeline but the gate's own")
def _(t):
    project = "/api/v4/projects/3"
    with ApiServer() as srv:
        srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA,
                  Reply([{"id": 77, "iid": 5, "sha": SHA, "ref": "main", "status": "success"},
                         {"id": 78, "iid": 6, "sha": SHA, "ref": "main", "status": "running"}]))
        srv.route(project + "/pipelines/77/jobs?per_page=100", Reply([gl_job(1, "build", "success")]))
        gl_bridges(srv, project, 77)
        setup(t, {"gitlab": "pipeline-jobs", "project": 3, "ref": SHA, "own_run": 78})
        env = env_for(srv, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN="")
        t.expect_decision(live_eval(t, srv, env=env), "allow", 0)
        t.eq(srv.paths()[-2:], [project + "/pipelines/77/jobs?per_page=100", project + "/pipelines/77/bridges?per_page=100"],
             "the jobs and bridges of pipeline 77, not 78")
        # The commit's pipelines, the gate's own still running among them: it is not judged.
        policy = POLICY.replace('required = { "build" }, ', "")
        setup(t, {"gitlab": "pipelines", "project": 3, "ref": SHA, "own_run": 78}, policy=policy)
        doc = t.expect_decision(live_eval(t, srv, env=env), "allow", 0)
        t.eq(ci_result(t, doc)["details"]["reports"][0].get("ignored_own_run"), 1, "ignored_own_run")
        setup(t, {"gitlab": "pipelines", "project": 3, "ref": SHA}, policy=policy)
        t.expect_decision(live_eval(t, srv, env=env), "deny", 1)


def recorded_reply(exchange):
    """An octokit/fixtures recorded exchange served as it was recorded: status, body, headers
    (those of the message framing are the server's own)."""
    headers = {k: str(v) for k, v in exchange["headers"].items()
               if k.lower() not in ("content-length", "connection", "content-type", "transfer-encoding")}
    return Reply(exchange["response"], status=exchange["status"], headers=headers,
                 content_type=exchange["headers"].get("content-type"))


@case("github: real recorded exchanges with their headers (octokit/fixtures): the combined status, failure, "
      "denies; a recorded 422 is an error naming its status and message")
def _(t):
    rec = CORPUS / "github" / "octokit-fixtures-create-status-recording.json" if CORPUS else None
    err = CORPUS / "github" / "octokit-fixtures-errors-recording.json" if CORPUS else None
    if not rec or not rec.is_file() or not err.is_file():
        t.skip("the shared corpus is not here")
    exchanges = json.loads(rec.read_text())
    combined = next(e for e in exchanges if e["method"] == "get" and e["path"].endswith("/status"))
    repo = "/".join(combined["path"].split("/")[2:4])
    sha = combined["path"].split("/")[-2]
    policy = POLICY.replace('required = { "build" }, ', "")
    with ApiServer() as srv:
        srv.route(combined["path"] + "?per_page=100", recorded_reply(combined))
        setup(t, {"github": "statuses", "repo": repo, "ref": sha}, policy=policy, commit=sha)
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
    r = ci_result(t, doc)
    t.eq((r["status"], r["details"]["reports"][0]["format"]), ("fail", "github-combined-status"), "judged")
    notes = [e for e in doc["evidence"] if e["name"] == "ci"]
    t.eq(notes[0]["sha256"], "sha256:" + hashlib.sha256(json.dumps(combined["response"]).encode()).hexdigest(),
         "the page recorded is the bytes served")
    failed = json.loads(err.read_text())[0]
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, recorded_reply(failed))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "HTTP 422: Unprocessable", srv.base + CHECK_RUNS)
        t.eq(len(srv.requests), 1, "a 422 is not asked again")


# ---- TLS -----------------------------------------------------------------------------------


@case("https with a self-signed CA: verified against CURL_CA_BUNDLE; without it, a certificate error")
def _(t):
    if not shutil.which("openssl"):
        t.skip("openssl is not installed")
    cert, key = Path(t.tmp, "cert.pem"), Path(t.tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    with ApiServer(cert=str(cert), key=str(key)) as srv:
        serve_pages(srv, CHECK_RUNS, pages_of([run_status("build")], 1))
        setup(t, github())
        t.expect_decision(live_eval(t, srv, env=env_for(srv, CURL_CA_BUNDLE=str(cert))), "allow", 0)
        t.eq(srv.requests[0][1].get("authorization"), "Bearer " + TOKEN, "the token went over TLS")
        n = len(srv.requests)
        res = live_eval(t, srv, env=env_for(srv, CURL_CA_BUNDLE="", SSL_CERT_FILE=""))
        expect_ci_error(t, res, srv.base)
        t.eq(len(srv.requests), n, "nothing was asked of an unverified server")


# ---- The context ----------------------------------------------------------------------------


@case("a live source of the wrong shape stops the gate at load, naming the field")
def _(t):
    bad = [
        ({"github": "check-run", "repo": REPO, "ref": SHA}, "is not one of check-runs, statuses, workflow-runs"),
        ({"github": "check-runs", "repo": "octo-org", "ref": SHA}, "repo must be"),
        ({"github": "check-runs", "repo": REPO, "ref": "main"}, "full SHA"),
        ({"github": "check-runs", "repo": "../x/y", "ref": SHA}, "repo must be"),
        ({"github": "check-runs", "repo": REPO, "ref": SHA, "token": "x"}, "unknown field \"token\""),
        ({"gitlab": "pipeline-jobs", "project": "grp/p"}, "exactly one of ref"),
        ({"gitlab": "jobs", "project": 3, "pipeline": 6}, "is not one of"),
        ({"github": "statuses", "gitlab": "pipelines"}, "exactly one of \"github\" or \"gitlab\""),
        ({"github": "check-runs", "repo": REPO, "ref": SHA, "own_run": "123"}, "own_run must be"),
        ({"github": "check-runs", "repo": REPO, "ref": SHA,
          "recorded": [{"url": "http://x/y", "fetched_at": "t", "sha256": "sha256:" + "0" * 64, "file": "../out"}]},
         "inside"),
    ]
    for source, message in bad:
        setup(t, source)
        res = t.eval("policy.lua", "context.json", env=env_for(None))
        t.expect_exit(res, 2)
        t.contains(res.err, message, "stderr for %s" % json.dumps(source))


@case("a check that reads files is told a live source is not one")
def _(t):
    setup(t, github(), policy="""
requirement "raw" { title = "raw", check = function(ctx)
  local text, why = evidence.read("ci")
  if text then return pass("read") end
  return fail(why)
end }
""")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", env=env_for(None)), "deny", 1)
    t.contains(t.result(doc, "raw")["message"], "is a live source (github check-runs), not a file", "message")


@case("docs/context.md: each live source of the example fetches its endpoint and is judged")
def _(t):
    text = (harness.REPO / "docs" / "context.md").read_text()
    section = text[text.index("## Live evidence sources"):]
    block = section[section.index("```json") + 7:]
    example = json.loads(block[:block.index("```")])["evidence"]
    sha = "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"
    gh = "/repos/octo-org/payments"
    answers = {
        "checks": (gh + "/commits/%s/check-runs?per_page=100" % sha,
                   {"total_count": 1, "check_runs": [run_status("build", sha=sha)]}),
        "statuses": (gh + "/commits/%s/status?per_page=100" % sha,
                     {"state": "success", "sha": sha, "total_count": 1,
                      "statuses": [{"state": "success", "context": "build", "id": 1,
                                    "created_at": "2025-06-10T12:00:00Z", "updated_at": "2025-06-10T12:05:00Z"}]}),
        "runs": (gh + "/actions/runs?head_sha=%s&per_page=100" % sha,
                 {"total_count": 1, "workflow_runs": [{"id": 9, "name": "build", "run_number": 3, "path": ".github/workflows/ci.yml",
                                                       "status": "completed", "conclusion": "success", "head_sha": sha,
                                                       "updated_at": "2025-06-10T12:05:00Z"}]}),
        "pipeline": ("/api/v4/projects/payments%%2Fapi/pipelines?sha=%s&per_page=100" % sha,
                     [{"id": 981133, "iid": 12, "sha": sha, "ref": "main", "status": "success",
                       "updated_at": "2025-06-10T12:05:00Z"}]),
        "jobs": ("/api/v4/projects/4211/pipelines/981133/jobs?per_page=100", [gl_job(1, "build", "success", sha=sha)]),
    }
    t.eq(sorted(example), sorted(answers), "the example's entries")
    for name, source in example.items():
        path, body = answers[name]
        with ApiServer() as srv:
            srv.route(path, Reply(body))
            paths = [path]
            if name == "jobs":   # and the pipeline's trigger jobs (bridges), none here
                paths.append(path.replace("/jobs?", "/bridges?"))
                srv.route(paths[1], Reply([]))
            setup(t, source, policy=POLICY.replace('required = { "build" }, ', ""), commit=sha)
            res = live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN))
            doc = t.decision(res)
            t.eq(srv.paths(), paths, "what %s fetched" % name)
        t.eq((doc["decision"], ci_result(t, doc)["status"]), ("allow", "pass"),
             "%s: %s" % (name, ci_result(t, doc)["message"]))


def doc_yaml_blocks():
    text = (harness.REPO / "docs" / "ci.md").read_text()
    section = text[text.index("## Live evidence"):text.index("## The decision log")]
    return [b.split("```")[0] for b in section.split("```yaml\n")[1:]]


def run_doc_script(t, script, env):
    """Run a docs/ci.md step as the CI runner would: sh -e, relgate on PATH."""
    bindir = Path(t.tmp, "bin")
    bindir.mkdir(exist_ok=True)
    if not (bindir / "relgate").exists():
        (bindir / "relgate").symlink_to(Path(harness.RELGATE).resolve())
    full = dict(os.environ)
    full.update(env)
    full.update({"PATH": "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")), "CONTEXT": "release.json",
                 "POLICY": "policy.lua", "now": harness.NOW})
    # The steps decide at the runner's clock; here at the test data's (the doc's steps had
    # an undefined "$now" of their own: --now '' on a real runner).
    script = script.replace("relgate eval ", 'relgate eval --now "$now" ')
    res = subprocess.run(["sh", "-ec", script], cwd=t.tmp, env=full, capture_output=True, timeout=120)
    for s in (TOKEN, GL_TOKEN):
        t.check(s.encode() not in res.stdout + res.stderr, "the token appears in the step's output")
    if res.returncode != 0:
        t.fail("the docs/ci.md step failed (%d): %s" % (res.returncode, res.stderr.decode(errors="replace")[-2000:]))
    return res


@case("docs/ci.md: the GitHub Actions and GitLab CI live-evidence steps run, fetch once and replay")
def _(t):
    try:
        import yaml
    except ImportError:
        t.skip("python3-yaml is not installed")
    if not shutil.which("jq"):
        t.skip("jq is not installed")
    github_doc, gitlab_doc = [yaml.safe_load(b) for b in doc_yaml_blocks()]
    t.eq(github_doc["permissions"], {"contents": "read", "checks": "read", "statuses": "read", "actions": "read"},
         "the GitHub token's permissions")
    # GitHub Actions
    setup(t, "NOTES.md")
    Path(t.tmp, "context.json").rename(Path(t.tmp, "release.json"))
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages_of([run_status("build")], 1))
        step = github_doc["jobs"]["pre-release"]["steps"][0]
        run_doc_script(t, step["run"], dict(step["env"], GITHUB_TOKEN=TOKEN, GITHUB_API_URL=srv.base,
                                            GITHUB_REPOSITORY=REPO, GITHUB_SHA=SHA, GITHUB_RUN_ID="4242",
                                            GITHUB_STEP_SUMMARY=str(Path(t.tmp, "summary.md"))))
        t.eq(srv.paths(), [CHECK_RUNS], "one evaluation, one fetch")
    live = json.loads(Path(t.tmp, "decision.json").read_text())
    t.eq(live["decision"], "allow", "decision.json")
    t.contains(Path(t.tmp, "summary.md").read_text(), "ci-passing", "the step summary")
    t.contains(Path(t.tmp, "gate-junit.xml").read_text(), "<testcase", "the JUnit report")
    t.eq(json.loads(Path(t.tmp, "gate-evidence", "context.json").read_text())["evidence"]["ci"]["own_run"], 4242,
         "own_run in the saved context")
    replay = t.decision(t.eval("policy.lua", "gate-evidence/context.json", env=env_for(None)))
    t.eq(normalise(replay), normalise(live), "the replay of gate-evidence/")
    # GitLab CI
    for p in ("decision.json", "gate-evidence", "gate-junit.xml"):
        shutil.rmtree(Path(t.tmp, p)) if Path(t.tmp, p).is_dir() else Path(t.tmp, p).unlink()
    project = "/api/v4/projects/4211"
    with ApiServer() as srv:
        srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA, Reply([{"id": 77, "sha": SHA, "status": "success"}]))
        srv.route(project + "/pipelines/77/jobs?per_page=100", Reply([gl_job(1, "build", "success")]))
        gl_bridges(srv, project, 77)
        run_doc_script(t, "\n".join(gitlab_doc["pre-release"]["script"]),
                       {"GITLAB_TOKEN": GL_TOKEN, "CI_API_V4_URL": srv.base + "/api/v4", "CI_PROJECT_ID": "4211",
                        "CI_PIPELINE_ID": "78", "CI_COMMIT_SHA": SHA, "GITHUB_TOKEN": ""})
        t.eq(len(srv.requests), 3, "the pipelines, the jobs and the bridges, once")
        t.eq(srv.requests[0][1].get("private-token"), GL_TOKEN, "PRIVATE-TOKEN")
    t.eq(json.loads(Path(t.tmp, "decision.json").read_text())["decision"], "allow", "decision.json")
    t.contains(Path(t.tmp, "gate-junit.xml").read_text(), "<testcase", "the JUnit report")
    t.eq(sorted(gitlab_doc["pre-release"]["artifacts"]["paths"]), ["decision.json", "gate-evidence/"], "artifacts")


# ---- Hostile round 31a: pages that move, re-runs of one thing, strict pages, Link, echoes --

PLAIN = POLICY.replace('required = { "build" }, ', "")
WORKFLOW_RUNS = "/repos/%s/actions/runs?head_sha=%s&per_page=100" % (REPO, SHA)


def in_run(run, rid, name, conclusion="success", app="github-actions", done="2025-06-10T12:05:00Z"):
    """A check run of APP in Actions workflow run RUN (its details_url says which)."""
    r = run_status(name, conclusion, rid=rid)
    r.update({"details_url": "https://github.com/%s/actions/runs/%d/job/%d" % (REPO, run, 900 + rid),
              "app": {"id": 15368 if app == "github-actions" else 99, "slug": app}, "completed_at": done})
    return r


def wf_run(rid, conclusion, event, updated, attempt=1):
    return {"id": rid, "name": "CI", "path": ".github/workflows/ci.yml", "run_number": rid, "run_attempt": attempt,
            "event": event, "head_sha": SHA, "status": "completed", "conclusion": conclusion,
            "created_at": "2025-06-10T12:00:00Z", "run_started_at": "2025-06-10T12:00:00Z", "updated_at": updated}


@case("F01: pages that disagree on total_count (the list grew while it was paged) are an error, never the pages read")
def _(t):
    for pages, said in (([{"total_count": 2, "check_runs": [run_status("build", rid=1)]},
                          {"total_count": 3, "check_runs": [run_status("lint", rid=2)]}], "total_count 3, page 1 declared 2"),
                        ([{"total_count": 2, "check_runs": [run_status("build", rid=1)]},
                          {"check_runs": [run_status("lint", rid=2)]}], "total_count none, page 1 declared 2"),
                        ([{"total_count": 1, "check_runs": [run_status("build", rid=1)]},
                          {"total_count": 1, "check_runs": [run_status("lint", rid=2)]}], "2 results on 2 pages")):
        with ApiServer() as srv:
            serve_pages(srv, CHECK_RUNS, pages)
            setup(t, github())
            expect_ci_error(t, live_eval(t, srv), said)


@case("F02: a page repeating a check run of an earlier page (another left out) is an error, live and as a file")
def _(t):
    pages = [{"total_count": 3, "check_runs": [run_status("build", rid=1), run_status("lint", rid=2)]},
             {"total_count": 3, "check_runs": [run_status("lint", rid=2)]}]
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, pages)
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "check_run id 2 twice")
    t.write_json("ci.json", {"total_count": 3, "check_runs": pages[0]["check_runs"] + pages[1]["check_runs"]})
    setup(t, "ci.json")
    expect_ci_error(t, live_eval(t, None), "check_run id 2 twice")


@case("F03: only re-runs of one thing merge: another app's, another workflow run's or another pipeline's result "
      "of the same name hides no failure; a genuine re-run still supersedes")
def _(t):
    cases = [
        ("another app", github(), CHECK_RUNS,
         {"total_count": 2, "check_runs": [in_run(7, 1, "build", "failure"),
                                           in_run(7, 2, "build", app="some-other-app", done="2025-06-10T12:06:00Z")]},
         "fail"),
        ("another workflow run", github(), CHECK_RUNS,
         {"total_count": 2, "check_runs": [in_run(7, 1, "build", "failure"),
                                           in_run(8, 2, "build", done="2025-06-10T12:06:00Z")]}, "fail"),
        ("a re-run: same app, same workflow run", github(), CHECK_RUNS,
         {"total_count": 2, "check_runs": [in_run(7, 1, "build", "failure"),
                                           in_run(7, 2, "build", done="2025-06-10T12:06:00Z")]}, "pass"),
        ("two workflow runs (ids)", github("workflow-runs"), WORKFLOW_RUNS,
         {"total_count": 2, "workflow_runs": [wf_run(100, "failure", "push", "2025-06-10T12:10:00Z"),
                                              wf_run(101, "success", "workflow_dispatch", "2025-06-10T12:20:00Z")]},
         "fail"),
    ]
    for what, source, path, page, status in cases:
        with ApiServer() as srv:
            srv.route(path, Reply(page))
            setup(t, source, policy=PLAIN)
            doc = t.decision(live_eval(t, srv))
        r = ci_result(t, doc)
        t.eq(r["status"], status, what)
        if status == "fail":
            t.contains(r["message"], "failure", what)
        else:
            t.eq(r["details"]["reports"][0].get("superseded_reruns"), 1, what + ": superseded")
    project = "/api/v4/projects/4211"
    with ApiServer() as srv:
        srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA, Reply([
            {"id": 1001, "iid": 101, "sha": SHA, "ref": "main", "status": "success", "source": "schedule",
             "before_sha": "0" * 40, "created_at": "2025-06-10T13:00:00Z", "updated_at": "2025-06-10T13:00:00Z"},
            {"id": 1000, "iid": 100, "sha": SHA, "ref": "main", "status": "failed", "source": "push",
             "before_sha": "0" * 40, "created_at": "2025-06-10T12:00:00Z", "updated_at": "2025-06-10T12:00:00Z"}]))
        setup(t, {"gitlab": "pipelines", "project": 4211, "ref": SHA}, policy=PLAIN)
        doc = t.expect_decision(live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN)), "deny", 1)
    t.contains(ci_result(t, doc)["message"], "pipeline main (failed)", "two pipelines of a ref")


@case("F04: two long check names alike in their first 256 bytes are two checks; the failing one is judged, "
      "its name shown cut")
def _(t):
    prefix = "integration (" + ", ".join("param%02d=value-%02d" % (i, i) for i in range(14))
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply({"total_count": 2, "check_runs": [
            in_run(7, 1, prefix + ", os=linux)", "failure"),
            in_run(7, 2, prefix + ", os=macos)", done="2025-06-10T12:06:00Z")]}))
        setup(t, github(), policy=PLAIN)
        doc = t.expect_decision(live_eval(t, srv), "deny", 1)
    r = ci_result(t, doc)
    t.eq(r["details"]["totals"]["checks"], 2, "checks")
    t.check(r["details"]["failing"][0]["name"].endswith("..."), "the shown name says it is cut")


@case("F05: a later page with a key twice, or a page of two JSON documents, is refused as a file is")
def _(t):
    p2 = ('{"total_count": 2, "check_runs": [%s], "check_runs": [%s]}' % (
        json.dumps(run_status("test", rid=2)), json.dumps(run_status("test", "failure", rid=2)))).encode()
    with ApiServer() as srv:
        serve_pages(srv, CHECK_RUNS, [{"total_count": 2, "check_runs": [run_status("build", rid=1)]}, p2])
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "(page 2)", "\"check_runs\" appears twice")
    ok = json.dumps({"total_count": 1, "check_runs": [run_status("build", rid=1)]})
    bad = json.dumps({"total_count": 1, "check_runs": [run_status("build", "failure", rid=1)]})
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply((ok + "\n" + bad + "\n").encode()))
        setup(t, github())
        expect_ci_error(t, live_eval(t, srv), "more data after the document")


@case("F06: Link rel=next unquoted before a comma (RFC 8288 token form) is followed; a Link that is not a link "
      "list is an error, not a last page")
def _(t):
    project = "/api/v4/projects/4211"
    jobs = project + "/pipelines/77/jobs?per_page=100"
    for link in ("<{BASE}%s&page=2>; rel=next, <{BASE}%s&page=2>; rel=last" % (jobs, jobs),
                 '<{BASE}%s&page=1>; rel="first"; title="a, rel=next", <{BASE}%s&page=2>; rel="prefetch NEXT"'
                 % (jobs, jobs)):
        with ApiServer() as srv:
            srv.route(jobs, Reply([gl_job(1, "build", "success")], headers={"Link": link}))
            srv.route(jobs + "&page=2", Reply([gl_job(2, "test", "failed")]))
            gl_bridges(srv, project, 77)
            setup(t, {"gitlab": "pipeline-jobs", "project": 4211, "pipeline": 77}, policy=PLAIN)
            doc = t.expect_decision(live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN)), "deny", 1)
            t.check(jobs + "&page=2" in srv.paths(), "page 2 asked for: " + link)
        t.contains(ci_result(t, doc)["message"], "test (failed)", "page 2's failed job")
    with ApiServer() as srv:
        srv.route(jobs, Reply([gl_job(1, "build", "success")], headers={"Link": "{BASE}%s&page=2; rel=next" % jobs}))
        gl_bridges(srv, project, 77)
        setup(t, {"gitlab": "pipeline-jobs", "project": 4211, "pipeline": 77}, policy=PLAIN)
        expect_ci_error(t, live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN)), "RFC 8288")


def no_trace_of(t, res, secret, echo):
    """Neither the server's echo nor any 10 characters of the secret reach stdout or stderr."""
    out = res.out + res.err
    t.check(echo not in out, "the server's text is not shown: " + echo)
    pieces = [secret[i:i + 10] for i in range(len(secret) - 9)]
    t.eq([p for p in pieces if p in out], [], "pieces of the credential in the output")


@case("F07: a server echoing the credential (whole, cut, encoded; message or redirect) never puts it in the decision")
def _(t):
    import base64
    import urllib.parse
    echoes = ["Bad credentials (got Bearer %s)" % TOKEN,              # whole
              "Bad credentials (got %s...)" % TOKEN[:20],             # cut
              "token=" + urllib.parse.quote(TOKEN, safe=""),         # URL-encoded
              "auth " + base64.b64encode(TOKEN.encode()).decode(),   # base64
              "denied; Authorization: Bearer ghp_partial"]           # a header, no token
    for echo in echoes:
        with ApiServer() as srv:
            srv.route(CHECK_RUNS, Reply({"message": echo}, status=401))
            setup(t, github())
            res = live_eval(t, srv)
            expect_ci_error(t, res, "HTTP 401: Unauthorized")
            no_trace_of(t, res, TOKEN, echo)
    project = "/api/v4/projects/4211"
    echo = "invalid_token: PRIVATE-TOKEN " + GL_TOKEN[:14]
    with ApiServer() as srv:
        srv.route(project + "/pipelines?sha=%s&per_page=100" % SHA, Reply({"error": echo}, status=401))
        setup(t, {"gitlab": "pipelines", "project": 4211, "ref": SHA})
        res = live_eval(t, srv, env=env_for(srv, GITLAB_TOKEN=GL_TOKEN))
        expect_ci_error(t, res, "HTTP 401: Unauthorized")
        no_trace_of(t, res, GL_TOKEN, echo)
    with ApiServer() as srv:
        srv.route(CHECK_RUNS, Reply(b"", status=302, headers={"Location": "{BASE}/moved?access_token=" + TOKEN}))
        setup(t, github())
        res = live_eval(t, srv)
        expect_ci_error(t, res, "quotes the credential")
        no_trace_of(t, res, TOKEN, TOKEN)
        t.eq(srv.paths(), [CHECK_RUNS], "the redirect is not followed")
    # Round 34, F03: a redirect's target (cut, encoded, off the origin) and a header
    # echoing the token, each shown in the error before.
    for echo, reply in (
            ("cut redirect", Reply(b"", status=302, headers={"Location": "{BASE}/gone?t=" + TOKEN[:20]})),
            ("base64 redirect", Reply(b"", status=302, headers={
                "Location": "{BASE}/gone?t=" + base64.b64encode(TOKEN.encode()).decode()})),
            ("redirect off the origin", Reply(b"", status=302, headers={
                "Location": "http://elsewhere.invalid/" + TOKEN[:20]})),
            ("content type", Reply(b"{}", status=200, content_type="text/plain; echo=" + TOKEN[:20]))):
        with ApiServer() as srv:
            srv.route(CHECK_RUNS, reply)
            srv.route("/gone", Reply(b"<html>", status=404))
            setup(t, github())
            res = live_eval(t, srv)
            t.expect_decision(res, "deny", 1)
            no_trace_of(t, res, TOKEN, echo)


@case("F08: only a 200 is a page: 206 Partial Content, 203 and 201 are errors")
def _(t):
    body = json.dumps({"total_count": 1, "check_runs": [run_status("build", rid=1)]}).encode()
    for status in (206, 203, 201):
        with ApiServer() as srv:
            srv.route(CHECK_RUNS, Reply(body, status=status, headers={"Content-Range": "bytes 0-%d/5000" % (len(body) - 1)}))
            setup(t, github())
            expect_ci_error(t, live_eval(t, srv), "HTTP %d" % status, "only 200")


if __name__ == "__main__":
    harness.main()
