#!/usr/bin/env python3
"""The examples: every examples/**/expect.json is a regression test of the default
policy (policies/octoacme.lua) on the context.json beside it.

For each example:
  - json: exit code, decision, the exact set of requirement ids with their statuses,
    release/stage/clock echoed back, actions exactly on a post-deploy deny (incident,
    rollback to release.previous_version, triage), and the schema;
  - text: --format text exits the same and names the verdict;
  - reproducible: two runs give the same bytes, duration_ms aside.
"""

import hashlib
import json
import re
import sys

from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import POLICY, REPO, Failure, add_case, main

EXAMPLES = REPO / "examples"
EXPECT_KEYS = {"why", "now", "decision", "exit", "requirements"}
STATUSES = {"pass", "fail", "warn", "waived", "error", "skip"}
DURATION = re.compile(rb'("duration_ms"\s*:\s*)-?[0-9][0-9.eE+-]*')


def load_expect(t, path):
    try:
        expect = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise Failure("%s is not JSON: %s" % (path, e))
    t.check(isinstance(expect, dict), "%s is not an object" % path)
    missing = EXPECT_KEYS - set(expect)
    t.check(not missing, "%s lacks %s" % (path.relative_to(REPO), sorted(missing)))
    t.check(expect["decision"] in ("allow", "warn", "deny"), "expect.json: bad decision", actual=expect["decision"])
    t.check(expect["exit"] in (0, 1), "expect.json: bad exit", actual=expect["exit"])
    t.check(isinstance(expect["requirements"], dict) and expect["requirements"],
            "expect.json: requirements must be a non-empty object")
    bad = {k: v for k, v in expect["requirements"].items() if v not in STATUSES}
    t.check(not bad, "expect.json: unknown statuses", actual=bad)
    return expect


def run_example(t, case_dir, *extra):
    expect = load_expect(t, case_dir / "expect.json")
    context = case_dir / "context.json"
    res = t.run("eval", "--policy", POLICY.relative_to(REPO), "--context", context.relative_to(REPO),
                "--now", expect["now"], *extra, cwd=REPO)
    return expect, context, res


def check_json(t, case_dir):
    expect, context, res = run_example(t, case_dir)
    t.expect_exit(res, expect["exit"])
    doc = t.decision(res)
    t.eq(doc["decision"], expect["decision"], "decision")

    got = {r["id"]: r["status"] for r in doc["requirements"]}
    t.eq(sorted(got), sorted(expect["requirements"]), "the set of requirement ids")
    for rid, status in expect["requirements"].items():
        t.eq(got[rid], status, "status of requirement %s" % rid)

    ctx = json.loads(context.read_text(encoding="utf-8"))
    release = ctx["release"]
    t.eq(doc["release"], {"name": release["name"], "version": release["version"], "type": release["type"]},
         "release")
    t.eq(doc["stage"], ctx.get("stage", "pre-release"), "stage")
    t.eq(doc["policy"]["name"], "octoacme", "policy.name")
    t.eq(doc["context"]["file"], str(context.relative_to(REPO)), "context.file")
    t.eq(doc["context"]["digest"], "sha256:" + hashlib.sha256(context.read_bytes()).hexdigest(),
         "context.digest (SHA-256 of the context file)")
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expect["now"]):
        t.eq(doc["evaluated_at"], expect["now"], "evaluated_at (the --now given)")
    declared = ctx.get("evidence") or {}
    for note in doc.get("evidence", []):
        t.check(note["name"] in declared, "the decision lists evidence the context does not declare",
                expected=sorted(declared), actual=note)
        t.eq(note["path"], declared[note["name"]], "path of evidence %s" % note["name"])
        data = (case_dir / note["path"]).read_bytes()
        t.eq(note["sha256"], "sha256:" + hashlib.sha256(data).hexdigest(),
             "sha256 of evidence %s (the file's bytes)" % note["name"])
    parts = case_dir.relative_to(EXAMPLES).parts
    if len(parts) == 3:  # examples/<type>/<stage>/<case>
        t.eq(doc["release"]["type"], parts[0], "release type (the example's folder)")
        t.eq(doc["stage"], parts[1], "stage (the example's folder)")

    playbook = doc["stage"] == "post-deploy" and doc["decision"] == "deny"
    if not playbook:
        t.eq(doc["actions"], [], "actions (only a post-deploy deny has any)")
        return
    t.check(doc["actions"], "a post-deploy deny without actions")
    rollbacks = [a for a in doc["actions"] if a["type"] == "rollback"]
    t.eq(len(rollbacks), 1, "number of rollback actions")
    t.eq(rollbacks[0]["target"], release.get("previous_version"),
         "rollback target (release.previous_version)")
    t.eq([a["type"] for a in doc["actions"]], ["incident", "rollback", "triage"], "action types, in order")
    failing = sorted(r["id"] for r in doc["requirements"] if r["status"] in ("fail", "error"))
    t.eq(sorted(doc["actions"][0]["requirements"]), failing, "incident.requirements (the failing ones)")


def check_text(t, case_dir):
    expect, _context, res = run_example(t, case_dir, "--format", "text")
    t.expect_exit(res, expect["exit"])
    first = res.out.splitlines()[0] if res.out else ""
    t.check(re.search(r"\b%s\b" % expect["decision"], first, re.I),
            "the first line of the text decision does not give the verdict",
            expected=expect["decision"] + ": ...", actual=first)
    t.check(not res.out.lstrip().startswith("{"), "--format text printed JSON")
    for rid in expect["requirements"]:
        t.contains(res.out, rid, "the text decision")


def check_reproducible(t, case_dir):
    _expect, _context, first = run_example(t, case_dir)
    _expect, _context, second = run_example(t, case_dir)
    t.check(first.rc == second.rc, "exit codes differ between runs", expected=first.rc, actual=second.rc)
    t.check(first.stdout, "no output")
    a = DURATION.sub(rb"\g<1>0", first.stdout)
    b = DURATION.sub(rb"\g<1>0", second.stdout)
    if a != b:
        la, lb = a.decode().splitlines(), b.decode().splitlines()
        diff = [(i + 1, x, y) for i, (x, y) in enumerate(zip(la, lb)) if x != y][:5]
        raise Failure("two runs differ beyond duration_ms", expected=la[diff[0][0] - 1] if diff else len(la),
                      actual=[str(d) for d in diff] or len(lb))


def register():
    found = sorted(EXAMPLES.rglob("expect.json"))
    if not found:
        add_case("examples exist", lambda t: t.fail("no examples/**/expect.json found"))
        return
    for path in found:
        case_dir = path.parent
        name = str(case_dir.relative_to(REPO))
        add_case("%s: json" % name, lambda t, d=case_dir: check_json(t, d))
        add_case("%s: text" % name, lambda t, d=case_dir: check_text(t, d))
        add_case("%s: reproducible" % name, lambda t, d=case_dir: check_reproducible(t, d))


register()

if __name__ == "__main__":
    sys.exit(main())
