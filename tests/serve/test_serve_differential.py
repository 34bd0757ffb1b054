#!/usr/bin/env python3
"""The service against the command line: every bundled example context through
`relgate eval` and through POST /v1/decisions (its evidence inline, and as paths beneath
--evidence-root; each twice, so that reused check results are held to it too) gives the
same decision -- but for the id, the timings, and where the
context and its evidence were read from (the same bytes: the same digests).
usage: test_serve_differential.py path/to/relgate [FILTER]"""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servehelp import (EXAMPLES, NOW, POLICY, Server, decision_of, example_dirs, inline_possible,  # noqa: E402
                       request_from_example)
import harness  # noqa: E402
from harness import Failure, case, main  # noqa: E402


def comparable(doc):
    """DOC without what names the request rather than the decision: the id, the
    timings, the context's file and digest, evidence paths (their names and digests stay;
    a path in a message or a detail reads <NAME>)."""
    # Paths and names alike: the service names an inline file after its evidence.
    pairs = [(e["path"], e["name"]) for e in doc.get("evidence", []) if e.get("path")]
    pairs += [(e["name"], e["name"]) for e in doc.get("evidence", []) if e.get("name")]
    names = dict(pairs)
    # Each path as a word of its own (not "backup" in "backup.present"), in one pass.
    word = re.compile(r"(?<![\w./-])(%s)(?![\w/-]|\.\w)" % "|".join(
        re.escape(p) for p in sorted(names, key=len, reverse=True))) if names else None

    def unpath(v):
        if isinstance(v, str):
            return word.sub(lambda m: "<%s>" % names[m.group(1)], v) if word else v
        if isinstance(v, list):
            return [unpath(x) for x in v]
        if isinstance(v, dict):
            return {k: unpath(x) for k, x in v.items()}
        return v
    doc = json.loads(json.dumps(doc))
    doc["requirements"] = unpath(doc.get("requirements", []))
    doc["actions"] = unpath(doc.get("actions", []))
    doc.pop("id", None)
    doc.pop("context", None)
    for r in doc.get("requirements", []):
        r.pop("duration_ms", None)
    if "evidence" in doc:
        doc["evidence"] = sorted((e.get("name"), e.get("sha256")) for e in doc["evidence"])
    return doc


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return where or "(root)", a, b
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s/%s" % (where, k), a.get(k, "<absent>"), b.get(k, "<absent>")
            d = first_difference(a[k], b[k], "%s/%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return where + " (length)", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else (where, a, b)


def differential(t, inline):
    dirs = [d for d in example_dirs() if not inline or inline_possible(d)]
    t.check(len(dirs) >= 20, "too few examples", actual=len(dirs))
    args = [] if inline else ["--evidence-root", EXAMPLES]
    verdicts = set()
    with Server(t, *args) as srv:
        conn = srv.connection()   # one keep-alive connection for all of them
        try:
            clis = {}
            # Twice over: the second time a worker has the same evidence already and
            # reuses check results (as a batch does); the decisions must not change.
            for d in dirs + dirs:
                if d not in clis:
                    clis[d] = t.decision(t.eval(POLICY, d / "context.json", now=NOW))
                cli = clis[d]
                rel = str(d.relative_to(EXAMPLES))
                body = request_from_example(d, inline=inline, prefix=None if inline else rel)
                status, served, _ = srv.decide(body, conn=conn)
                t.eq(status, 200, "the status for %s" % rel)
                decision_of(t, served)
                diff = first_difference(comparable(cli), comparable(served))
                if diff:
                    raise Failure("%s: the service decided otherwise at %s" % (rel, diff[0]),
                                  expected=diff[1], actual=diff[2])
                verdicts.add(served["decision"])
        finally:
            conn.close()
    t.eq(sorted(verdicts), ["allow", "deny", "warn"], "the verdicts the examples cover")


@case("service vs CLI: every example with its evidence inline decides as relgate eval does")
def _(t):
    differential(t, inline=True)


@case("service vs CLI: every example with evidence paths beneath --evidence-root decides as relgate eval does")
def _(t):
    differential(t, inline=False)


NUMBERS_POLICY = """policy { name = "numbers", version = "1.0.0", description = "what the context's numbers read as" }
requirement "n" { title = "Numbers", check = function(ctx)
  local seen = {}
  for i, v in ipairs(ctx.numbers) do seen[i] = string.format("%s %s", math.type(v), string.format("%.17g", v)) end
  return fail(table.concat(seen, "; ")) end }
"""


@case("service vs CLI: numbers in the context are read from the bytes sent (1e400, 2^53 + 1, 1.0000000000000002, -0)")
def _(t):
    """The worker printed the context again with cJSON before the engine read it: 1e400
    became null (a count too large read as absent: a requirement skipped, allow),
    9007199254740993 became 9007199254740990 and 1.0000000000000002 became 1
    (differential round 10, F1).  Written out here byte for byte, not through json.dumps."""
    (t.tmp / "numbers.lua").write_text(NUMBERS_POLICY)
    numbers = "[1e400, -1e400, 9007199254740993, 1.0000000000000002, -0, 0.1, 1E2, 12345678901234567890, 5e-324]"
    context = '{"release": {"name": "n", "version": "1.0.0", "type": "minor"}, "numbers": %s}' % numbers
    (t.tmp / "numbers.json").write_text(context)
    cli = t.decision(t.eval("numbers.lua", "numbers.json", now=NOW))
    with Server(t, policy=t.tmp / "numbers.lua", workers=1) as srv:
        status, served, _ = srv.decide(('{"now": "%s", "context": %s}' % (NOW, context)).encode(),
                                       headers={"Content-Type": "application/json"})
    t.eq(status, 200, "the status")
    t.eq(served["requirements"][0]["message"], cli["requirements"][0]["message"],
         "what the policy saw in the numbers, served and from relgate eval")
    t.check("inf" in cli["requirements"][0]["message"], "1e400 reads as infinity",
            actual=cli["requirements"][0]["message"])


@case("service vs CLI: a live source (GitHub check runs from a local API server) --live-source allows passes through as in eval; others are refused unfetched")
def _(t):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))
    import test_live as live  # noqa: E402  (its fixtures: pages, policy, environment)
    from api_server import ApiServer  # noqa: E402
    runs = [live.run_status(n, rid=i) for i, n in enumerate(["build", "lint", "test"], 1)]
    with ApiServer() as api:
        live.serve_pages(api, live.CHECK_RUNS, live.pages_of(runs, 2))
        live.setup(t, live.github())
        env = live.env_for(api)
        cli = t.decision(t.run("eval", "--policy", "policy.lua", "--context", "context.json", "--now", NOW, env=env))
        ctx = json.loads((t.tmp / "context.json").read_text())
        del ctx["evidence"]["notes"]
        body = {"context": ctx, "now": NOW, "evidence": {"notes": {"text": (t.tmp / "NOTES.md").read_text()}}}
        # A client's live source is fetched with the server's credential: refused unless
        # --live-source allows it (hostile round 11, F02), and then never fetched.
        with Server(t, policy="policy.lua", env=env, workers=1) as srv:
            fetched = len(api.requests)
            status, refused, _ = srv.decide(body)
            t.eq(status, 400, "a client's live source without --live-source")
            t.contains(refused["error"]["message"], "the live source github:%s, which this server does not fetch"
                       % live.REPO, "the refusal")
            t.eq(len(api.requests), fetched, "nothing fetched for it")
        with Server(t, "--live-source", "github:octo-org/other", "--live-source", "gitlab:*",
                    policy="policy.lua", env=env, workers=1) as srv:
            t.eq(srv.decide(body)[0], 400, "a --live-source that does not match it")
        with Server(t, "--live-source", "github:octo-org/*", policy="policy.lua", env=env, workers=1) as srv:
            status, served, _ = srv.decide(body)
            # Asked again at the same time: fetched again, never a result kept from before.
            status2, again, _ = srv.decide(body)
        t.eq((status, served["decision"]), (200, "allow"), "the live decision")
        t.eq((status2, again["decision"]), (200, "allow"), "the live decision asked again")
        for doc in (cli, served):
            for e in doc["evidence"]:
                e.pop("fetched_at", None)
        diff = first_difference(comparable(cli), comparable(served))
        if diff:
            raise Failure("the service decided otherwise at %s" % diff[0], expected=diff[1], actual=diff[2])
        t.eq(len(api.requests), 6, "pages fetched: two by eval, two for each of the service's decisions")


if __name__ == "__main__":
    sys.exit(main())
