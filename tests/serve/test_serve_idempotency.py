#!/usr/bin/env python3
"""relgate serve's Idempotency-Key names one request (docs/service.md, "Idempotency"),
over a real server and each store (a file, SQLite, and PostgreSQL when a server can be
started here, as tests/store does): the same key with the same body replays the stored
decision; the same key with another body is refused (422) with no decision, nothing
evaluated, and the stored decision unchanged, also after a restart; a key stored by a
relgate that kept no digest of its request is replayed to no request.
usage: test_serve_idempotency.py path/to/relgate [FILTER]"""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from servehelp import EXAMPLES, Server, decision_of, request_from_example  # noqa: E402
from storehelp import stores  # noqa: E402
import harness  # noqa: E402
from harness import case, main  # noqa: E402

# The hostile tester's pair: an allow, then another release whose evidence is denied.
ALLOWED = request_from_example(EXAMPLES / "minor" / "pre-release" / "pass")
DENIED = request_from_example(EXAMPLES / "minor" / "pre-release" / "ci-failed")
KEY = "payments-api-pre-release"
JSON = {"Content-Type": "application/json"}


def compact(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def post(srv, body, key=KEY):
    """POST /v1/decisions with BODY (bytes, sent as they are) under KEY."""
    headers = dict(JSON, **({"Idempotency-Key": key} if key else {}))
    status, data, hdrs = srv.request("POST", "/v1/decisions", body, headers)
    return status, srv.json(data, status), hdrs


def records(t, url):
    """The store's records (relgate history export), parsed."""
    res = t.run("history", "export", "--log", url)
    t.expect_exit(res, 0)
    return [json.loads(line) for line in res.out.splitlines()]


def conflicts(srv):
    status, data, _ = srv.get("/metrics")
    m = re.search(rb"^relgate_idempotency_conflicts_total (\d+)$", data, re.M)
    return int(m.group(1)) if m else 0


def refused(t, srv, answer, what):
    """ANSWER (status, doc, headers) is the 422 of a key already used: an error decision
    saying so, no verdict, no id, nothing replayed or stored."""
    status, doc, hdrs = answer
    t.eq(status, 422, "%s: the status" % what)
    t.eq(doc.get("decision"), "error", "%s: the decision" % what)
    t.eq((doc.get("error") or {}).get("kind"), "usage", "%s: the error's kind" % what)
    t.contains((doc.get("error") or {}).get("message", ""), "Idempotency-Key", "%s: the message" % what)
    t.check("id" not in doc and "release" not in doc and "requirements" not in doc,
            "%s: the refusal carries a decision" % what, actual=json.dumps(doc)[:1000])
    t.check("idempotent-replayed" not in hdrs and "location" not in hdrs,
            "%s: replayed or stored" % what, actual=hdrs)


@case("Idempotency-Key: the same body replays its decision; another body under the key is a 422, "
      "never the stored allow, never evaluated; the stored decision stays, across a restart (file, SQLite, PostgreSQL)")
def _(t):
    good, bad = compact(ALLOWED), compact(DENIED)
    for kind, url in stores(t).items():
        with Server(t, "--store", url) as srv:
            status, first, hdrs = post(srv, good)
            t.eq(status, 200, "%s: the first answer's status" % kind)
            decision_of(t, first, "allow")
            t.eq(hdrs.get("location"), "/v1/decisions/" + first["id"], "%s: Location" % kind)
            # The same request again: its decision, not evaluated again.
            status, again, hdrs = post(srv, good)
            t.eq((status, again), (200, first), "%s: the retry with the same body" % kind)
            t.eq(hdrs.get("idempotent-replayed"), "true", "%s: Idempotent-Replayed" % kind)
            stored = records(t, url)
            t.eq(len(stored), 1, "%s: records after the retry" % kind)
            t.eq(stored[0]["idempotency_key"], KEY, "%s: the key stored" % kind)
            # Another release, whose evidence is denied, under the same key.
            refused(t, srv, post(srv, bad), "%s: another body under the key" % kind)
            # The same document laid out otherwise is another body: bytes are compared.
            refused(t, srv, post(srv, json.dumps(ALLOWED, indent=1).encode()),
                    "%s: the first document serialised otherwise" % kind)
            t.eq(conflicts(srv), 2, "%s: relgate_idempotency_conflicts_total" % kind)
            t.eq(records(t, url), stored, "%s: the store after the refusals (nothing evaluated or kept)" % kind)
            t.check(re.fullmatch(r"sha256:[0-9a-f]{64}", stored[0].get("request_digest", "")),
                    "%s: no request digest stored with the key" % kind, actual=stored[0].get("request_digest"))
            # The key still names its first request, whose decision is as it was.
            status, again, hdrs = post(srv, good)
            t.eq((status, again, hdrs.get("idempotent-replayed")), (200, first, "true"),
                 "%s: the first request after the refusals" % kind)
            status, data, _ = srv.get("/v1/decisions/" + first["id"])
            t.eq((status, srv.json(data)), (200, first), "%s: GET /v1/decisions/ID" % kind)
            t.check("request_digest" not in data.decode(), "%s: GET shows the store's digest" % kind)
            # Without the key the other body is what it is: denied.
            status, other, _ = post(srv, bad, key=None)
            t.eq(status, 200, "%s: the other body without a key" % kind)
            decision_of(t, other, "deny")
            # A new key takes the other body.
            status, fresh, _ = post(srv, bad, key=KEY + ".2")
            t.eq((status, fresh["decision"]), (200, "deny"), "%s: the other body under a new key" % kind)
        with Server(t, "--store", url) as srv:
            status, again, hdrs = post(srv, good)
            t.eq((status, again, hdrs.get("idempotent-replayed")), (200, first, "true"),
                 "%s: the retry after a restart" % kind)
            refused(t, srv, post(srv, bad), "%s: another body after a restart" % kind)
            status, again, _ = post(srv, bad, key=KEY + ".2")
            t.eq((status, again), (200, fresh), "%s: the second key's retry after a restart" % kind)
        t.expect_exit(t.run("history", "verify", "--log", url), 0)


@case("Idempotency-Key stored by an earlier relgate (no request digest): replayed to no request, "
      "neither another body nor the same; refused with 422, nothing evaluated (file, SQLite, PostgreSQL)")
def _(t):
    good, bad = compact(ALLOWED), compact(DENIED)
    # One decision under the key as this relgate stores it, then the same record without
    # its digest and chain, imported into fresh stores: what an earlier relgate left.
    made = str(Path(t.tmp, "made.jsonl"))
    with Server(t, "--store", made) as srv:
        status, first, _ = post(srv, good)
        t.eq(status, 200, "the decision made")
    record = records(t, made)[0]
    old = {k: v for k, v in record.items() if k not in ("chain", "request_digest")}
    t.eq(list(old)[:3], ["id", "idempotency_key", "decision"], "the old record's first members")
    legacy = Path(t.tmp, "legacy.jsonl")
    legacy.write_bytes(compact(old) + b"\n")
    for kind, url in stores(t).items():
        res = t.run("history", "import", "--log", url, str(legacy))
        t.expect_exit(res, 0)
        before = records(t, url)
        t.check("request_digest" not in before[0], "%s: the imported record has a digest" % kind)
        with Server(t, "--store", url) as srv:
            refused(t, srv, post(srv, bad), "%s: another body under an old key" % kind)
            refused(t, srv, post(srv, good), "%s: the old request's body under its old key" % kind)
            status, data, _ = srv.get("/v1/decisions/" + first["id"])
            t.eq((status, srv.json(data)), (200, first), "%s: the old decision read by its id" % kind)
            status, fresh, _ = post(srv, bad, key="another-key")
            t.eq((status, fresh["decision"]), (200, "deny"), "%s: the other body under a new key" % kind)
        t.eq(records(t, url)[:1], before, "%s: the old record after the refusals" % kind)
        t.eq(len(records(t, url)), 2, "%s: records (the old one and the new key's)" % kind)
        t.expect_exit(t.run("history", "verify", "--log", url), 0)


if __name__ == "__main__":
    sys.exit(main())
