#!/usr/bin/env python3
"""Bad input: every way `relgate eval` can be handed something it must refuse.

Each case expects exit 2, one JSON error decision on stdout (valid against the schema,
with the error kind the case names), a 'relgate: error:' line on stderr naming the file
at fault (and line and column where there is one), and that the gate fails closed
around --output: the file holds this run's error decision, whether it was there before
(an earlier answer never survives an error) or not.

Fixtures live in tests/data (bad-context/, bad-policy/) and tests/hostile (escape/, limits/); a line marked
`-- @error` in a fixture is the line the error must name.
"""

import json
import os
import shutil
import subprocess
import sys

from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from harness import HOSTILE, DATA, NOW, Failure, add_case, case, main

SENTINEL = b'{"decision": "allow", "note": "an earlier decision that an error must not leave in place"}\n'


def marked_line(path, marker="@error"):
    """The 1-based number of the line of PATH carrying MARKER."""
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if marker.encode() in line:
                return n
    raise Failure("fixture %s has no %s marker" % (path, marker))


def setup_basic(t, policy="policies/allow.lua", context="contexts/minimal.json"):
    """policy.lua and context.json in the temp dir."""
    t.copy_data(policy, "policy.lua")
    t.copy_data(context, "context.json")


def run_error(t, args, kind, file=None, line=None, column=None, mentions=(), stdin=None,
              cwd=None, timeout=60, check_output=True, same_message=True, file_on_stderr=True,
              after=None):
    """Run ARGS expecting an error decision (harness T.expect_error), then twice more with
    --output: into an empty directory (nothing may appear there) and over an existing
    out.json (it must keep its bytes and its inode).  AFTER(t, res, doc) runs after each
    run, for a case's own checks (side effects)."""
    res = t.run(*args, stdin=stdin, cwd=cwd, timeout=timeout)
    doc = t.expect_error(res, kind, file=file, line=line, column=column, mentions=mentions,
                         same_message=same_message, file_on_stderr=file_on_stderr)
    if after:
        after(t, res, doc)
    if not check_output or not args or args[0] != "eval":
        return doc

    fresh = t.tmp / "output-fresh"
    fresh.mkdir()
    out = fresh / "out.json"
    res = t.run(args[0], "--output", str(out), *args[1:], stdin=stdin, cwd=cwd, timeout=timeout)
    t.expect_exit(res, 2)
    again = t.decision(res)
    t.eq(again["decision"], "error", "decision with --output (stdout still carries the error)")
    t.eq(again["error"]["kind"], doc["error"]["kind"], "error.kind with --output")
    t.eq(sorted(os.listdir(fresh)), ["out.json"], "files in the --output directory after an error")
    t.eq(out.read_bytes(), res.stdout, "the --output file holds the error decision stdout carries")
    if after:
        after(t, res, again)

    existing = t.tmp / "output-existing"
    existing.mkdir()
    out = existing / "out.json"
    out.write_bytes(SENTINEL)
    before = out.stat()
    res = t.run(args[0], "--output", str(out), *args[1:], stdin=stdin, cwd=cwd, timeout=timeout)
    t.expect_exit(res, 2)
    t.eq(t.decision(res)["decision"], "error", "decision with --output over an existing file")
    t.eq(sorted(os.listdir(existing)), ["out.json"], "files in the --output directory after an error")
    t.eq(out.read_bytes(), res.stdout, "the existing --output file now holds this run's error, not the earlier answer")
    t.check(out.stat().st_ino != before.st_ino, "the file was replaced in one step (a new inode)")
    if after:
        after(t, res, t.decision(res))
    return doc


def eval_args(policy, context, *extra):
    return ["eval", "--policy", policy, "--context", context, "--now", NOW, *extra]


# ---- The context document ----------------------------------------------------------

# (fixture in tests/data/bad-context, kind, line, column, substrings of the message)
CONTEXT_CASES = [
    ("malformed.json", "context", 5, 5, ["syntax"]),
    ("trailing-garbage.json", "context", 4, 1, ["syntax"]),
    ("empty.json", "context", 1, 1, ["empty"]),
    ("whitespace-only.json", "context", 3, 1, []),
    ("array.json", "context", "null", "null", ["object"]),
    ("duplicate-key.json", "context", None, None, ["duplicate", '"stage"']),
    ("duplicate-nested-key.json", "context", None, None, ["duplicate", '"version"']),
    ("invalid-utf8.json", "context", 3, 19, ["UTF-8"]),
    ("overlong-utf8.json", "context", 7, 16, ["UTF-8"]),
    ("surrogate-utf8.json", "context", 7, 15, ["UTF-8"]),
    ("nul-byte.json", "context", 7, 15, ["NUL"]),
    ("nul-escape.json", "context", None, None, []),
    ("too-deep.json", "context", 3, 74, ["64"]),
    ("name-number.json", "context", None, None, ["release.name"]),
    ("name-empty.json", "context", None, None, ["release.name"]),
    ("version-v.json", "context", None, None, ["release.version", "v1.2.3"]),
    ("version-leading-zero.json", "context", None, None, ["release.version", "1.02.3"]),
    ("version-number.json", "context", None, None, ["release.version"]),
    ("previous-version-bad.json", "context", None, None, ["release.previous_version", "1.3"]),
    ("type-hotfix.json", "context", None, None, ["release.type", "hotfix"]),
    ("type-missing.json", "context", None, None, ["release.type"]),
    ("stage-production.json", "context", None, None, ["stage", "production"]),
    ("release-missing.json", "context", None, None, ['"release"']),
    ("release-string.json", "context", None, None, ['"release"']),
    ("evidence-absolute.json", "evidence", None, None, ["evidence.release_notes", "/etc/passwd"]),
    ("evidence-escape.json", "evidence", None, None, ["evidence.release_notes", "docs/../../escape.md"]),
    ("evidence-not-string.json", "context", None, None, ["evidence.release_notes"]),
    ("evidence-not-object.json", "context", None, None, ['"evidence"']),
]


def context_case(fixture, kind, line, column, mentions):
    def fn(t):
        t.copy_data("policies/allow.lua", "policy.lua")
        t.copy_data("bad-context/" + fixture)
        run_error(t, eval_args("policy.lua", fixture), kind, file=fixture, line=line,
                  column=column, mentions=mentions)
    where = " at %s:%s" % (line, column) if isinstance(line, int) else ""
    add_case("context %s: %s error%s" % (fixture, kind, where), fn)


for _c in CONTEXT_CASES:
    context_case(*_c)


@case("context with six problems: each on its own stderr line and in error.problems")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    t.copy_data("bad-context/many-problems.json")
    doc = run_error(t, eval_args("policy.lua", "many-problems.json"), "context",
                    file="many-problems.json", mentions="release.name")
    problems = doc["error"].get("problems")
    t.check(isinstance(problems, list), "error.problems is missing", actual=doc["error"])
    t.eq(problems[0], doc["error"]["message"], "error.problems[0] (the message)")
    wanted = ["release.name", "v1.2.3", "hotfix", "production", "/etc/passwd", "../ROLLBACK.md"]
    t.eq(len(problems), len(wanted), "number of problems")
    res = t.last
    lines = res.error_lines()
    t.eq(len(lines), len(wanted), "number of 'relgate: error:' lines on stderr")
    for w in wanted:
        t.check(any(w in p for p in problems), "no problem mentions %s" % w, actual=problems)
        t.check(any(w in l and "many-problems.json" in l for l in lines),
                "no stderr line names many-problems.json and %s" % w, actual=lines)
    for p in problems:
        t.check(any(p in l for l in lines), "problem not on stderr", expected=p, actual=lines)


@case("a misspelt stage, release.environment or release.commit holding such a value is a context error, not "
      "the milder default (round 24); a field of another shape is the policy's")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    release = {"name": "svc", "version": "1.0.0", "type": "minor"}
    for field, where, value, name in (("stgae", None, "deploy", "stage"), ("Stage", None, "post-deploy", "stage"),
                                      ("STAGE", None, "deploy", "stage"), ("sgate", None, "deploy", "stage"),
                                      # the value judged as loosely as the name (round 27, F05)
                                      ("Stage", None, "Deploy", "stage"), ("stage ", None, "deploy ", "stage"),
                                      ("enviroment", "release", "production", "environment"),
                                      ("ENVIRONMENT", "release", "production", "environment"),
                                      ("comit", "release", "3b1f6c2a9d4e", "commit")):
        ctx = {"release": dict(release)}
        (ctx[where] if where else ctx)[field] = value
        # The field itself given as null is read as absent: its misspelling counts as
        # much (round 25, F01).
        if field == "sgate":
            ctx["stage"] = None
        t.write_json("typo.json", ctx)
        shown = (where + "." if where else "") + field
        t.expect_error(t.run(*eval_args("policy.lua", "typo.json")), "context", file="typo.json",
                       mentions=["%s is not a field relgate reads (did you mean '%s'?)" % (shown, name)])
    # Fields of another shape, or beside the field itself, are the policy's to read.
    for ctx in ({"release": dict(release), "stages": ["build", "test"]},
                {"release": dict(release, commits=["3b1f6c2a9d4e"], environments={"a": 1})},
                {"release": dict(release), "stage": "pre-release", "stgae": "deploy"}):
        t.write_json("fine.json", ctx)
        res = t.run(*eval_args("policy.lua", "fine.json"))
        t.expect_exit(res, 0)
    res = t.run("lint", "--context", "typo.json")
    t.expect_exit(res, 1)
    t.contains(res.out + res.err, "did you mean 'commit'?", "lint --context names it")


@case("context larger than 16 MiB: io error")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    with open(t.tmp / "huge.json", "wb") as f:
        f.write(b'{"release": {"name": "demo-service", "version": "1.4.0", "type": "minor"}, "pad": "')
        f.write(b"x" * (17 << 20))
        f.write(b'"}\n')
    run_error(t, eval_args("policy.lua", "huge.json"), "io", file="huge.json", mentions="limit")


@case("policy file larger than 1 MiB: refused")
def _(t):
    t.copy_data("contexts/minimal.json", "context.json")
    with open(t.tmp / "huge.lua", "wb") as f:
        f.write(b'requirement "one" { title = "One", check = function(ctx) return pass("ok", {}) end }\n')
        f.write((b"-- " + b"x" * 76 + b"\n") * 20000)
    run_error(t, eval_args("huge.lua", "context.json"), ("io", "policy"), file="huge.lua", mentions="limit")


@case("context on stdin (--context -): syntax error names <stdin> with line and column")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    data = (DATA / "bad-context" / "malformed.json").read_bytes()
    run_error(t, eval_args("policy.lua", "-"), "context", file="<stdin>", line=5, column=5, stdin=data)


@case("context on stdin (--context -): empty input")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    run_error(t, eval_args("policy.lua", "-"), "context", file="<stdin>", line=1, column=1,
              stdin=b"", mentions="empty")


@case("standard input closed (<&-): '-' is a usage error, never a file relgate opened read in its place; "
      "nothing logged, no import of nothing")
def _(t):
    """Descriptor 0 left closed was taken by the first file relgate opened: a batch read a
    plugin's .so as its contexts and logged an error record a line of it; an import read
    its own temporary file and said "imported 0 records", exit 0 (hostile round 37b, F01)."""
    t.copy_data("policies/allow.lua", "policy.lua")
    t.copy_data("contexts/minimal.json", "context.json")
    runs = ((["eval", "--policy", "policy.lua", "--batch", "-", "--log", "log.jsonl"], "which is closed"),
            (["eval", "--policy", "policy.lua", "--context", "-", "--log", "log.jsonl"], "which is closed"),
            (["eval", "--policy", "policy.lua", "--context", "context.json", "--waivers", "-"], "which is closed"),
            (["history", "import", "--log", "imported.jsonl", "-"], "standard input is closed"))
    for args, mention in runs:
        res = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", str(RELGATE_PATH()), *args], cwd=t.tmp,
                             capture_output=True, text=True, timeout=30)
        t.check(res.returncode == 2, "exit 2 for %s, not %d" % (args, res.returncode), actual=res.stderr)
        t.contains(res.stderr, mention, "stderr for %s" % args)
    t.check(not Path(t.tmp, "log.jsonl").exists() or not Path(t.tmp, "log.jsonl").read_text(), "nothing logged")
    t.check(not Path(t.tmp, "imported.jsonl").exists() or not Path(t.tmp, "imported.jsonl").read_text(),
            "nothing imported")
    # stdout and stderr closed: the decision is still decided, and its exit code tells it.
    res = subprocess.run(["sh", "-c", 'exec "$@" >&- 2>&-', "sh", str(RELGATE_PATH()), "eval", "--policy",
                          "policy.lua", "--context", "context.json", "--output", "out.json"], cwd=t.tmp, timeout=30)
    t.check(res.returncode == 0, "exit 0 with stdout and stderr closed, not %d" % res.returncode)
    t.eq(json.loads(Path(t.tmp, "out.json").read_text())["decision"], "allow", "the decision in --output")
    # The answer for a closed standard output is not delivered: exit 2, as before.
    res = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", str(RELGATE_PATH()), "eval", "--policy",
                          "policy.lua", "--context", "context.json"], cwd=t.tmp, capture_output=True, text=True,
                         timeout=30)
    t.check(res.returncode == 2, "exit 2 with stdout closed, not %d" % res.returncode)
    t.contains(res.stderr, "cannot write the decision to standard output: it is closed", "stderr")
    # Every command's answer (hostile round 37c, F03: history last-good exited 0, its
    # rollback target written nowhere).
    t.write("h.jsonl", json.dumps({"decision": "allow", "stage": "post-deploy", "evaluated_at": "2025-06-01T00:00:00Z",
                                   "release": {"name": "app", "version": "1.0.0"}}) + "\n")
    for redirect, why in ((">&-", "it is closed"), (">/dev/full", "No space left on device")):
        if redirect == ">/dev/full" and not os.path.exists("/dev/full"):
            continue
        res = subprocess.run(["sh", "-c", 'exec "$@" ' + redirect, "sh", str(RELGATE_PATH()), "history", "last-good",
                              "--release", "app", "--log", "h.jsonl"], cwd=t.tmp, capture_output=True, text=True,
                             timeout=30)
        t.check(res.returncode == 2, "history last-good %s: exit 2, not %d" % (redirect, res.returncode))
        t.contains(res.stderr, "cannot write to standard output: " + why, "stderr")


@case("context file missing: io error")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    run_error(t, eval_args("policy.lua", "missing.json"), "io", file="missing.json",
              mentions="No such file")


@case("context is a directory: io error")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    (t.tmp / "context.d").mkdir()
    run_error(t, eval_args("policy.lua", "context.d"), "io", file="context.d", mentions="directory")


@case("context is a device (/dev/null): io error")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    run_error(t, eval_args("policy.lua", "/dev/null"), "io", file="/dev/null")


@case("context unreadable (chmod 000): io error")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    p = t.copy_data("contexts/minimal.json", "context.json")
    p.chmod(0)
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        pass
    else:
        t.skip("this user can read a file with mode 000 (root or CAP_DAC_OVERRIDE)")
    run_error(t, eval_args("policy.lua", "context.json"), "io", file="context.json",
              mentions="Permission denied")


@case("context is a FIFO with no writer: io error, no hang")
def _(t):
    t.copy_data("policies/allow.lua", "policy.lua")
    os.mkfifo(t.tmp / "context.fifo")
    run_error(t, eval_args("policy.lua", "context.fifo"), "io", file="context.fifo", timeout=10)


@case("evidence link leading outside the context directory, read by a check: evidence error")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    read_line = marked_line(DATA / "policies" / "evidence.lua", "evidence.read(")
    (t.tmp / "outside").mkdir()
    t.write("outside/secret.md", "SECRET-OUTSIDE-CONTENT\n")
    t.write_json("release/context.json", {
        "release": {"name": "demo-service", "version": "1.4.0", "type": "minor"},
        "evidence": {"notes": "link.md"},
    })
    os.symlink("../outside/secret.md", t.tmp / "release" / "link.md")

    def no_leak(t, res, doc):
        t.check(b"SECRET-OUTSIDE-CONTENT" not in res.stdout + res.stderr,
                "the content of the file outside leaked into the output")

    run_error(t, eval_args("policy.lua", "release/context.json"), "evidence", file="policy.lua",
              line=read_line, mentions=["notes", "link.md"], after=no_leak)


@case("evidence link leading outside, read inside pcall: pcall cannot swallow it")
def _(t):
    t.copy_data("policies/evidence-pcall.lua", "policy.lua")
    t.write("outside/secret.md", "SECRET-OUTSIDE-CONTENT\n")
    t.write_json("release/context.json", {
        "release": {"name": "demo-service", "version": "1.4.0", "type": "minor"},
        "evidence": {"notes": "link.md"},
    })
    os.symlink("../outside/secret.md", t.tmp / "release" / "link.md")
    run_error(t, eval_args("policy.lua", "release/context.json"), "evidence", mentions=["notes", "link.md"])


@case("evidence link to a directory link leading outside: evidence error")
def _(t):
    t.copy_data("policies/evidence.lua", "policy.lua")
    t.write("outside/notes.md", "SECRET-OUTSIDE-CONTENT\n")
    t.write_json("release/context.json", {
        "release": {"name": "demo-service", "version": "1.4.0", "type": "minor"},
        "evidence": {"notes": "docs/notes.md"},
    })
    os.symlink("../outside", t.tmp / "release" / "docs")
    run_error(t, eval_args("policy.lua", "release/context.json"), "evidence", mentions=["notes"])


# ---- The policy -------------------------------------------------------------------------

# (fixture in tests/data/bad-policy, kind, substrings; the line is the fixture's @error line)
POLICY_CASES = [
    ("syntax-error.lua", "policy", []),
    ("runtime-error.lua", "policy", ["nil"]),
    ("advisory-error.lua", "policy", ["advisory check broke"]),
    ("load-error.lua", "policy", ["nil"]),
    ("non-result.lua", "policy", ["returns-a-string"]),
    ("returns-nothing.lua", "policy", ["returns-nothing"]),
    ("status-changed.lua", "policy", ["tampers"]),
    ("fake-result.lua", "policy", ["forges"]),
    ("details-function.lua", "policy", ["bad-details"]),
    ("details-nan.lua", "policy", ["nan-details"]),
    ("unknown-field.lua", "policy", ["typo", "stage"]),
    ("duplicate-id.lua", "policy", ["same-id"]),
    ("unknown-check.lua", "policy", ["no.such.check"]),
    ("bad-level.lua", "policy", ["level"]),
    ("bad-stage.lua", "policy", ["production"]),
    ("bad-id.lua", "policy", ["Not An Id!"]),
    ("missing-title.lua", "policy", ["title"]),
    ("error-table.lua", "policy", ["table"]),
    ("too-many-requirements.lua", "policy", ["1000"]),
    ("declare-in-check.lua", "policy", []),
]


def policy_case(fixture, kind, mentions):
    def fn(t):
        t.copy_data("bad-policy/" + fixture)
        t.copy_data("contexts/minimal.json", "context.json")
        line = marked_line(DATA / "bad-policy" / fixture)
        run_error(t, eval_args(fixture, "context.json"), kind, file=fixture, line=line, mentions=mentions)
    add_case("policy %s: %s error at its marked line" % (fixture, kind), fn)


for _c in POLICY_CASES:
    policy_case(*_c)


@case("policy declaring no requirements: policy error")
def _(t):
    t.copy_data("bad-policy/no-requirements.lua")
    t.copy_data("contexts/minimal.json", "context.json")
    run_error(t, eval_args("no-requirements.lua", "context.json"), "policy", file="no-requirements.lua",
              mentions="no requirements")


@case("policy file missing: io error")
def _(t):
    t.copy_data("contexts/minimal.json", "context.json")
    run_error(t, eval_args("missing.lua", "context.json"), "io", file="missing.lua", mentions="No such file")


@case("policy directory without *.lua policy files: policy error")
def _(t):
    t.copy_data("bad-policy/empty-dir", "empty-dir")
    t.copy_data("contexts/minimal.json", "context.json")
    run_error(t, eval_args("empty-dir", "context.json"), "policy", file="empty-dir")


@case("policy directory with a *.lua member that is a symbolic link leading out: policy error, nothing of it loaded")
def _(t):
    t.copy_data("contexts/minimal.json", "context.json")
    t.write("pol/a.lua", 'requirement "a" { title = "A", check = function() return pass("a") end }\n')
    t.write("pol/inner/c.lua", 'requirement "c" { title = "C", check = function() return pass("c") end }\n')
    t.write("elsewhere/evil.lua", 'print("OUTSIDE-MEMBER-LOADED")\n'
                                  'requirement "evil" { title = "E", check = function() return pass("e") end }\n')
    os.symlink("../elsewhere/evil.lua", t.tmp / "pol" / "b.lua")
    os.symlink("inner/c.lua", t.tmp / "pol" / "c.lua")   # a link that stays inside is fine
    for cmd, code, stream in ((eval_args("pol", "context.json"), 2, "stderr"),
                              (["lint", "--policy", "pol"], 1, "stdout")):   # lint: a problem
        res = t.run(*cmd)
        t.expect_exit(res, code)
        t.contains(getattr(res, stream).decode(), "pol/b.lua leads outside the policy directory",
                   "%s (%s)" % (stream, cmd[0]))
        t.check(b"OUTSIDE-MEMBER-LOADED" not in res.stderr + res.stdout, "the member outside was run")
    run_error(t, eval_args("pol", "context.json"), "policy", file="pol/b.lua", mentions="leads outside")
    os.remove(t.tmp / "pol" / "b.lua")
    doc = t.expect_decision(t.eval("pol", "context.json"), "allow")
    t.eq([r["id"] for r in doc["requirements"]], ["a", "c"], "the members inside, a link among them")


@case("policy is precompiled bytecode (starts with ESC Lua): policy error at line 1")
def _(t):
    t.copy_data("bad-policy/bytecode.lua")
    t.copy_data("contexts/minimal.json", "context.json")
    run_error(t, eval_args("bytecode.lua", "context.json"), "policy", file="bytecode.lua", line=1,
              mentions="bytecode")


@case("policy is a FIFO with no writer: io error, no hang")
def _(t):
    t.copy_data("contexts/minimal.json", "context.json")
    os.mkfifo(t.tmp / "policy.lua")
    run_error(t, eval_args("policy.lua", "context.json"), "io", file="policy.lua", timeout=10)


@case("policy module raising while it loads: error names the module file and line")
def _(t):
    t.copy_data("bad-policy/module-error", "module-error")
    t.copy_data("contexts/minimal.json", "context.json")
    line = marked_line(DATA / "bad-policy" / "module-error" / "lib" / "broken.lua")
    run_error(t, eval_args("module-error/policy.lua", "context.json"), "policy",
              file="module-error/lib/broken.lua", line=line)


@case("policy modules requiring each other: policy error, no endless recursion")
def _(t):
    t.copy_data("bad-policy/module-loop", "module-loop")
    t.copy_data("contexts/minimal.json", "context.json")
    run_error(t, eval_args("module-loop/policy.lua", "context.json"), "policy", mentions="loop", timeout=20)


# ---- The sandbox -------------------------------------------------------------------------

def no_side_effects(t, res, doc):
    """Nothing a policy tried may have happened."""
    t.check(not (t.tmp / "MARKER").exists(), "the policy created MARKER: it escaped the sandbox")
    t.check(not (t.tmp / "pol" / "MARKER").exists(), "the policy created pol/MARKER: it escaped the sandbox")
    t.check((t.tmp / "victim.txt").exists(), "the policy removed victim.txt: it escaped the sandbox")
    t.check(b"OUTSIDE-MODULE-LOADED" not in res.stderr + res.stdout,
            "a module outside the policy directory was loaded")
    t.check(doc["decision"] == "error", "the gate did not fail closed")


def lua_bytecode():
    """Real Lua 5.4 bytecode when a lua5.4 interpreter is at hand, else its header."""
    lua = shutil.which("lua5.4") or shutil.which("lua")
    if lua:
        try:
            out = subprocess.run([lua, "-e", "io.write(string.dump(function() return {value='x'} end))"],
                                 capture_output=True, timeout=10)
            if out.returncode == 0 and out.stdout.startswith(b"\x1bLua"):
                return out.stdout
        except (OSError, subprocess.SubprocessError):
            pass
    return b"\x1bLuaT\x00\x19\x93\r\n\x1a\n\x04\x08\x08xV\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00(w@"


def escape_setup(t, fixture):
    """pol/FIXTURE plus what the escapes reach for: victim.txt and outside.lua in the
    temp dir (outside the policy directory), and the links and modules some cases use."""
    t.copy_data("escape/" + fixture, "pol/" + fixture)
    t.copy_data("contexts/minimal.json", "context.json")
    t.write("victim.txt", "must survive\n")
    t.copy_data("escape/outside.lua", "outside.lua")
    t.copy_data("escape/outside.lua", "elsewhere/outside.lua")
    t.write("pol/lib/helper.lua", "return { value = 'helper' }\n")
    os.symlink("../../outside.lua", t.tmp / "pol" / "lib" / "outside.lua")
    os.symlink("../elsewhere", t.tmp / "pol" / "linked")
    t.write("pol/lib/compiled.lua", lua_bytecode())


def hostile_expectation(path):
    """A hostile script's expected outcome, written beside it in the script: a line
    `-- expect: KIND[ or KIND] error[; mentions: A | B][; line: not asserted][; args: ...]`
    (args: what the run adds to its limits).  The line marked `-- @error` is the one the
    message must name, unless the script says otherwise.  Returns (kinds, mentions,
    with_line, args); kinds is () when the script says nothing."""
    kinds, mentions, with_line, args = (), [], True, []
    for text in path.read_text().splitlines():
        if not text.startswith("-- expect:"):
            continue
        parts = [p.strip() for p in text[len("-- expect:"):].split(";")]
        if not parts[0].endswith(" error"):
            raise ValueError("%s: the expectation %r names no error kind" % (path.name, parts[0]))
        kinds = tuple(k.strip() for k in parts[0][:-len(" error")].split(" or "))
        for p in parts[1:]:
            if p.startswith("mentions:"):
                mentions = [m.strip() for m in p[len("mentions:"):].split("|")]
            elif p.startswith("args:"):
                args = p[len("args:"):].split()
            elif p == "line: not asserted":
                with_line = False
            else:
                raise ValueError("%s: unknown expectation %r" % (path.name, p))
    return kinds, mentions, with_line, args



def escape_case(fixture, kinds, mentions, with_line, _args):
    def fn(t):
        t.check(kinds, "%s says nothing of what it expects (a `-- expect:` line)" % fixture)
        escape_setup(t, fixture)
        line = marked_line(HOSTILE / "escape" / fixture) if with_line else None
        run_error(t, eval_args("pol/" + fixture, "context.json"), kinds,
                  file="pol/" + fixture if with_line else None, line=line, mentions=mentions,
                  after=no_side_effects)
    add_case("sandbox %s: refused with a policy error, no side effect" % fixture, fn)


# Every script in tests/hostile/escape (but outside.lua, which the escapes reach for) is
# a case; one that does not say what it expects is a failure, not a skip.
for _p in sorted((HOSTILE / "escape").glob("*.lua")):
    if _p.name != "outside.lua":
        escape_case(_p.name, *hostile_expectation(_p))


# ---- Limits ---------------------------------------------------------------------------------

def limits_setup(t, fixture):
    t.copy_data("limits/" + fixture)
    t.copy_data("contexts/minimal.json", "context.json")


def took_at_most(seconds):
    def after(t, res, doc):
        t.check(res.elapsed < seconds, "the gate took %.1f s to stop (limit: %g s)" % (res.elapsed, seconds))
    return after


def limits_file_case(fixture, kinds, mentions, _with_line, args):
    """What the script in tests/hostile/limits says it ends with, under --timeout 1 and
    --max-memory 32M (and its own args): exit 2, an error of that kind, naming it."""
    def fn(t):
        t.check(kinds, "%s says nothing of what it expects (a `-- expect:` line)" % fixture)
        limits_setup(t, fixture)
        res = t.eval(fixture, "context.json", "--timeout", "1", "--max-memory", "32M", *args, timeout=60)
        t.expect_exit(res, 2)
        doc = t.decision(res)
        t.eq(doc["decision"], "error", "decision")
        said = doc["error"]["message"]
        if "time limit of 1 s (--timeout)" in said and "time limit" not in mentions:
            t.eq(doc["error"]["kind"], "limit", "error.kind of a time limit")
            return   # a loaded or sanitized machine may reach --timeout 1 before what it expects
        t.check(doc["error"]["kind"] in kinds, "error.kind %r, the script expects %s" % (doc["error"]["kind"], kinds))
        for m in mentions:
            t.contains(said, m, "error.message")
    add_case("limit: %s ends as the script expects" % fixture, fn)


for _p in sorted((HOSTILE / "limits").glob("*.lua")):
    limits_file_case(_p.name, *hostile_expectation(_p))


@case("limit: infinite loop with --timeout 1 stops with a limit error")
def _(t):
    limits_setup(t, "infinite-loop.lua")
    run_error(t, eval_args("infinite-loop.lua", "context.json", "--timeout", "1"), "limit",
              file="infinite-loop.lua", line=3, timeout=30, after=took_at_most(15))


@case("limit: --timeout 1 alone stops an infinite loop in a check (time limit)")
def _(t):
    limits_setup(t, "infinite-loop-check.lua")
    run_error(t, eval_args("infinite-loop-check.lua", "context.json", "--timeout", "1",
                           "--max-instructions", "100000000000"), "limit",
              file="infinite-loop-check.lua", mentions="time limit", timeout=30, after=took_at_most(8))


@case("limit: pcall cannot swallow a limit (infinite loop in pcall in a loop)")
def _(t):
    limits_setup(t, "pcall-loop.lua")
    run_error(t, eval_args("pcall-loop.lua", "context.json", "--timeout", "1"), "limit",
              file="pcall-loop.lua", timeout=30, after=took_at_most(15))


@case("limit: xpcall cannot swallow a limit either")
def _(t):
    limits_setup(t, "xpcall-loop.lua")
    run_error(t, eval_args("xpcall-loop.lua", "context.json", "--timeout", "1"), "limit",
              file="xpcall-loop.lua", timeout=30, after=took_at_most(15))


@case("limit: --max-instructions 100000 stops a loop the default limit allows")
def _(t):
    limits_setup(t, "counting-loop.lua")
    res = t.eval("counting-loop.lua", "context.json")
    doc = t.expect_decision(res, "allow")
    t.eq(doc["requirements"][0]["message"], str(sum(range(1000001))), "the loop's result without the limit")
    run_error(t, eval_args("counting-loop.lua", "context.json", "--max-instructions", "100000"), "limit",
              file="counting-loop.lua", line=4, mentions=["instructions", "100000"])


@case("limit: memory bomb stops at the default memory limit")
def _(t):
    limits_setup(t, "memory-bomb.lua")
    run_error(t, eval_args("memory-bomb.lua", "context.json"), "limit", file="memory-bomb.lua",
              mentions="memory", timeout=60, file_on_stderr=False)


@case("limit: memory bomb stops at --max-memory 4M")
def _(t):
    limits_setup(t, "memory-bomb.lua")
    run_error(t, eval_args("memory-bomb.lua", "context.json", "--max-memory", "4M"), "limit",
              file="memory-bomb.lua", mentions=["memory", str(4 << 20)], file_on_stderr=False)


@case("limit: a memory error caught by pcall still stops the gate")
def _(t):
    limits_setup(t, "memory-bomb-pcall.lua")
    run_error(t, eval_args("memory-bomb-pcall.lua", "context.json"), "limit", file="memory-bomb-pcall.lua",
              mentions="memory")


@case("limit: string.rep of 10 GB is a limit or a clear error")
def _(t):
    limits_setup(t, "string-rep-huge.lua")
    doc = run_error(t, eval_args("string-rep-huge.lua", "context.json"), ("limit", "policy"),
                    file="string-rep-huge.lua")
    msg = doc["error"]["message"]
    t.check(doc["error"]["kind"] == "limit" or "too large" in msg or "memory" in msg,
            "a policy error that does not say the string is too large", actual=msg)


@case("limit: unbounded recursion stops the gate")
def _(t):
    limits_setup(t, "deep-recursion.lua")
    doc = run_error(t, eval_args("deep-recursion.lua", "context.json"), ("limit", "policy"),
                    file="deep-recursion.lua", timeout=60, file_on_stderr=False)
    msg = doc["error"]["message"]
    t.check(doc["error"]["kind"] == "limit" or "stack overflow" in msg,
            "a policy error that does not say the stack overflowed", actual=msg)


@case("limit: recursion through C (an __index metamethod, string.gsub): a policy error, no crash")
def _(t):
    for fixture in ("metamethod-recursion.lua", "gsub-recursion.lua"):
        limits_setup(t, fixture)
        run_error(t, eval_args(fixture, "context.json"), ("policy", "limit"), file=fixture,
                  check_output=False)


@case("limit: a 1 MB error message is truncated")
def _(t):
    limits_setup(t, "giant-error.lua")
    line = marked_line(HOSTILE / "limits" / "giant-error.lua")

    def small(t, res, doc):
        t.check(len(doc["error"]["message"]) <= 4096, "error.message is %d bytes long" % len(doc["error"]["message"]))
        t.check(len(res.stdout) <= 16384, "stdout is %d bytes long" % len(res.stdout))
        t.check(len(res.stderr) <= 65536, "stderr is %d bytes long" % len(res.stderr))

    run_error(t, eval_args("giant-error.lua", "context.json"), "policy", file="giant-error.lua", line=line,
              after=small)


@case("limit: an error object whose __tostring raises")
def _(t):
    limits_setup(t, "tostring-error.lua")
    line = marked_line(HOSTILE / "limits" / "tostring-error.lua")
    run_error(t, eval_args("tostring-error.lua", "context.json"), "policy", file="tostring-error.lua",
              line=line)


@case("limit: a runaway pattern match inside one C call stops soon after --timeout")
def _(t):
    limits_setup(t, "pattern-runaway.lua")
    run_error(t, eval_args("pattern-runaway.lua", "context.json", "--timeout", "1"), "limit",
              file="pattern-runaway.lua", mentions="time limit", timeout=30, same_message=False,
              file_on_stderr=False, after=took_at_most(10))


@case("limit: --max-memory too small for the sandbox itself (8K to 20K): an error decision, no crash")
def _(t):
    limits_setup(t, "counting-loop.lua")
    for size in ("8K", "16K", "20K"):
        run_error(t, eval_args("counting-loop.lua", "context.json", "--max-memory", size),
                  ("limit", "usage", "internal"), check_output=False)


@case("limit: --max-instructions 1 stops even a tiny policy")
def _(t):
    limits_setup(t, "counting-loop.lua")
    t.write("tiny.lua", 'local n = 0\nfor i = 1, 100 do n = n + i end\n'
            'requirement "tiny" { title = "Tiny", check = function(ctx) return pass(tostring(n), {}) end }\n')
    t.expect_decision(t.eval("tiny.lua", "context.json"), "allow")
    run_error(t, eval_args("tiny.lua", "context.json", "--max-instructions", "1"), "limit",
              file="tiny.lua", mentions="instructions")


# The cases above hold error.file; these hold stderr, which a person reads, to naming
# the policy too.
LIMIT_STDERR_CASES = [
    ("memory limit", "memory-bomb.lua", []),
    ("unbounded recursion", "deep-recursion.lua", []),
    ("runaway pattern match (watchdog)", "pattern-runaway.lua", ["--timeout", "1"]),
]


def limit_stderr_case(what, fixture, extra):
    def fn(t):
        limits_setup(t, fixture)
        res = t.eval(fixture, "context.json", *extra, timeout=30)
        t.expect_exit(res, 2)
        lines = res.error_lines()
        t.check(any(fixture in l for l in lines),
                "no 'relgate: error:' line on stderr names the policy %s" % fixture,
                expected=fixture, actual=lines)
    add_case("limit: stopped by the %s, stderr names the policy file" % what, fn)


for _c in LIMIT_STDERR_CASES:
    limit_stderr_case(*_c)


@case("limit: a runaway pattern match with --format text: exit 2, the error as text on stdout")
def _(t):
    limits_setup(t, "pattern-runaway.lua")
    res = t.eval("pattern-runaway.lua", "context.json", "--timeout", "1", "--format", "text", timeout=30)
    t.expect_exit(res, 2)
    t.check(res.out.startswith("ERROR  the gate could not be evaluated"), "stdout is not the text error", actual=res.out)
    t.contains(res.out, "time limit", "the text error on stdout")
    t.check(res.error_lines(), "no 'relgate: error:' line on stderr")
    t.check(res.elapsed < 10, "took %.1f s" % res.elapsed)


# ---- Every limit in every command ----------------------------------------------------
# Each hostile policy below runs under eval, eval --batch with -j 1 and -j 2, test and (for
# those whose limit is hit while the policy loads; lint runs no check) lint.  Every run
# must end with exit 2 within a bounded time, its error saying which limit, and within a
# bounded memory (the peak resident size of the process, where a sanitizer build does
# not blur it).

LIMIT_OPTIONS = ["--timeout", "1", "--max-memory", "32M"]

# (fixture in tests/hostile/limits, hit while loading, substrings of the message).  A
# sanitizer build is slow enough for the time limit to come first: there the time limit
# is an answer too.
MEMORY = ["memory limit", "--max-memory"]
EVERY_COMMAND_CASES = [
    ("pattern-runaway.lua", True, ["time limit"]),
    ("infinite-loop.lua", True, ["policy exceeded its"]),
    ("memory-bomb.lua", True, MEMORY),
    ("json-decode-bomb.lua", True, MEMORY),
    ("json-decode-bomb-check.lua", False, MEMORY),
    ("infinite-loop-check.lua", False, ["limit of"]),   # time or instructions: whichever comes first
    ("details-dag.lua", False, ["cannot be written as JSON", "--max-memory"]),
    ("details-cycle.lua", False, ["cannot be written as JSON", "cycle"]),
    ("details-bad-keys.lua", False, ["cannot be written as JSON", "two keys that read the same"]),
]

# Peak resident memory a run may reach: the policy's 32M, the engine and the C library
# around it.  json.decode of json-decode-bomb.lua's text took 320 MB of C heap before it
# was counted against --max-memory.
MAX_RSS_KB = 150 * 1024
BATCH_LINES = 3


def sanitized_build():
    with open(RELGATE_PATH(), "rb") as f:
        return b"__asan_init" in f.read()


def RELGATE_PATH():
    import harness
    return harness.RELGATE


def run_measured(t, args, timeout=30):
    """Run the binary like t.run, returning (Result, peak resident size in KB)."""
    import threading
    import time
    from harness import Result
    argv = [str(RELGATE_PATH())] + [str(a) for a in args]
    out_path, err_path = t.tmp / ".stdout", t.tmp / ".stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=str(t.tmp), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), os.killpg(proc.pid, 9)))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    res = Result(argv, str(t.tmp), proc.returncode, out_path.read_bytes(), err_path.read_bytes(),
                 time.monotonic() - start, bool(killed), None)
    t.last = res
    if killed:
        raise Failure("relgate did not finish within %g s (killed)" % timeout)
    for sig in (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b": runtime error: "):
        t.check(sig not in res.stderr, "a sanitizer reported a problem (%s)" % sig.decode())
    return res, usage.ru_maxrss


def batch_documents(text):
    """A batch's output: one JSON object per line, or one error document when nothing ran."""
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(l) for l in text.splitlines() if l.strip()]


def limit_command_args(t, command, fixture):
    """The command line running FIXTURE (copied into tmp with a context) under COMMAND."""
    if command == "eval":
        return eval_args(fixture, "context.json", *LIMIT_OPTIONS)
    if command.startswith("batch"):
        line = open(t.tmp / "context.json", "rb").read().replace(b"\n", b" ").strip()
        t.write("batch.jsonl", b"\n".join([line] * BATCH_LINES) + b"\n")
        return ["eval", "--policy", fixture, "--batch", "batch.jsonl", "--now", NOW, "-j", command[-1],
                *LIMIT_OPTIONS]
    if command == "test":
        t.write("limit_test.lua", 'test "the limit holds" {\n  policy = "%s", now = "%s",\n'
                '  context = { release = { name = "app", version = "1.0.0", type = "patch" } },\n'
                '  expect = { decision = "allow" },\n}\n' % (fixture, NOW))
        return ["test", "limit_test.lua", *LIMIT_OPTIONS]
    return ["lint", "--policy", fixture, *LIMIT_OPTIONS]


def every_command_case(fixture, at_load, mentions, command):
    def fn(t):
        limits_setup(t, fixture)
        res, rss = run_measured(t, limit_command_args(t, command, fixture))
        t.expect_exit(res, 2)   # lint too: a limit is lint failing to finish, not a finding
        t.check(res.elapsed < 10, "took %.1f s to stop (--timeout 1)" % res.elapsed)
        if not sanitized_build():
            t.check(rss < MAX_RSS_KB, "peak resident size %d KB (at most %d KB)" % (rss, MAX_RSS_KB))
        said = res.err + res.out
        if command == "eval" or command.startswith("batch"):
            docs = [t.decision(res)] if command == "eval" else batch_documents(res.out)
            t.check(docs, "no JSON on stdout")
            for doc in docs:
                t.eq(doc["decision"], "error", "decision")
            said += " ".join(d["error"]["message"] for d in docs)
        if "time limit of 1 s (--timeout)" in said:
            return   # a loaded or sanitized machine may reach --timeout 1 before the limit named
        for m in mentions:
            t.contains(said, m, "what the run said")
    add_case("limit in every command: %s under %s" % (fixture, command), fn)


for _c in EVERY_COMMAND_CASES:
    for _command in ("eval", "batch -j 1", "batch -j 2", "test") + (("lint",) if _c[1] else ()):
        every_command_case(*_c, _command)


@case("limit: print() floods at most 64 KiB per evaluation, as lines no CI reads as commands")
def _(t):
    limits_setup(t, "print-flood.lua")
    for command in ("eval", "batch -j 1", "batch -j 2", "test"):
        res, _ = run_measured(t, limit_command_args(t, command, "print-flood.lua"))
        t.check(res.rc == 2, "%s: exit %d (the check ends with an error)" % (command, res.rc))
        evaluations = BATCH_LINES if command.startswith("batch") else 1
        t.check(len(res.stderr) < evaluations * 80 * 1024, "%s: %d bytes on stderr" % (command, len(res.stderr)))
        lines = res.err.splitlines()
        t.check(not any(l.startswith("::") for l in lines), "%s: a line starts with '::'" % command)
        t.check(any(l.startswith("policy: print-flood.lua:7: ") for l in lines), "%s: no printed line" % command)
        t.eq(sum("the rest is dropped" in l for l in lines), evaluations, "%s: lines saying output was dropped"
             % command)


@case("limit: every builtin with extreme arguments (2^63, 1e308, NaN, 2^31...): no crash, no undefined behaviour")
def _(t):
    limits_setup(t, "extreme-arguments.lua")
    line = marked_line(HOSTILE / "limits" / "extreme-arguments.lua")
    # Its own error at the end says that every probe ran (64 builtins x 28 values).
    run_error(t, eval_args("extreme-arguments.lua", "context.json"), "policy", file="extreme-arguments.lua",
              line=line, mentions="probed 1792", check_output=False)


@case("limit: os.time with a year past 9999 or an int's range is a policy error naming the field")
def _(t):
    limits_setup(t, "counting-loop.lua")
    for year in ("2147483648", "-2147483648", "10000", "1e308", "0/0"):
        t.write("time.lua", 'local t = os.time { year = %s, month = 1, day = 1 } -- @error\n'
                'requirement "r" { title = "R", check = function(ctx) return pass("x", {}) end }\n' % year)
        run_error(t, eval_args("time.lua", "context.json"), "policy", file="time.lua", line=1,
                  mentions=["os.time", "year"], check_output=False)


@case("limit: --timeout and --max-memory out of range are usage errors in test and lint too")
def _(t):
    limits_setup(t, "counting-loop.lua")
    for command in (["test", "nothing_test.lua"], ["lint", "--policy", "counting-loop.lua"]):
        for option, value in (("--timeout", "1e308"), ("--timeout", "-1"), ("--timeout", "nan"),
                              ("--max-memory", "0"), ("--max-instructions", "0")):
            res = t.run(*command, option, value)
            t.expect_exit(res, 2)
            t.contains(res.err, option, "stderr")
    res = t.run("lint", "--policy", "counting-loop.lua", "--timeout", "5", "--max-memory", "16M",
                "--max-instructions", "100000000")
    t.check(res.rc in (0, 1), "lint with limits in range ended with exit %d" % res.rc)

# ---- Usage -----------------------------------------------------------------------------

# (name, arguments after setup_basic, substrings of the message)
USAGE_CASES = [
    ("no command", [], []),
    ("unknown command", ["frobnicate"], ["frobnicate"]),
    ("unknown option", eval_args("policy.lua", "context.json", "--frobnicate"), ["--frobnicate"]),
    ("positional argument", eval_args("policy.lua", "context.json", "extra"), ["extra"]),
    ("--policy without a value", ["eval", "--context", "context.json", "--policy"], ["--policy"]),
    ("--policy with an empty value", ["eval", "--context", "context.json", "--policy", ""], ["--policy"]),
    ("--context without a value", ["eval", "--policy", "policy.lua", "--context"], ["--context"]),
    ("no --policy", ["eval", "--context", "context.json"], ["--policy"]),
    ("no --context", ["eval", "--policy", "policy.lua"], ["--context"]),
    ("--stage bogus", eval_args("policy.lua", "context.json", "--stage", "bogus"), ["--stage", "bogus"]),
    ("--stage production", eval_args("policy.lua", "context.json", "--stage", "production"), ["--stage"]),
    ("--type bogus", eval_args("policy.lua", "context.json", "--type", "bogus"), ["--type", "bogus"]),
    ("--type hotfix", eval_args("policy.lua", "context.json", "--type", "hotfix"), ["--type"]),
    ("--now yesterday", ["eval", "--policy", "policy.lua", "--context", "context.json", "--now", "yesterday"],
     ["--now", "yesterday"]),
    ("--now with a space", ["eval", "--policy", "policy.lua", "--context", "context.json",
                            "--now", "2025-06-10 14:00:00Z"], ["--now"]),
    ("--now on February 30", ["eval", "--policy", "policy.lua", "--context", "context.json",
                              "--now", "2025-02-30T00:00:00Z"], ["--now"]),
    ("--now after 9999-12-31T23:59:59Z in UTC", ["eval", "--policy", "policy.lua", "--context", "context.json",
                                                 "--now", "9999-12-31T23:59:59-01:00"], ["--now"]),
    ("--now before 0000-01-01T00:00:00Z in UTC", ["eval", "--policy", "policy.lua", "--context", "context.json",
                                                  "--now", "0000-01-01T00:00:00+01:00"], ["--now"]),
    ("--format xml", eval_args("policy.lua", "context.json", "--format", "xml"), ["--format", "xml"]),
    ("--format without a value", eval_args("policy.lua", "context.json", "--format"), ["--format"]),
    ("--max-memory 0", eval_args("policy.lua", "context.json", "--max-memory", "0"), ["--max-memory"]),
    ("--max-memory 12X", eval_args("policy.lua", "context.json", "--max-memory", "12X"), ["--max-memory"]),
    ("--max-instructions 0", eval_args("policy.lua", "context.json", "--max-instructions", "0"),
     ["--max-instructions"]),
    ("--max-instructions -5", eval_args("policy.lua", "context.json", "--max-instructions", "-5"),
     ["--max-instructions"]),
    ("--timeout -1", eval_args("policy.lua", "context.json", "--timeout", "-1"), ["--timeout"]),
    ("--timeout 0", eval_args("policy.lua", "context.json", "--timeout", "0"), ["--timeout"]),
    ("--timeout nan", eval_args("policy.lua", "context.json", "--timeout", "nan"), ["--timeout"]),
    ("--evidence-root that does not exist", eval_args("policy.lua", "context.json", "--evidence-root",
                                                      "no-such-dir"), ["--evidence-root"]),
    ("--evidence-root that is a file", eval_args("policy.lua", "context.json", "--evidence-root",
                                                 "policy.lua"), ["--evidence-root"]),
    # An option given twice: the last one won, silently (round 24): a second --policy
    # evaluated alone, a first --log never written.
    ("--policy given twice", ["eval", "--policy", "policy.lua", "--policy", "policy.lua", "--context",
                              "context.json"], ["--policy given twice"]),
    ("--context given twice", eval_args("policy.lua", "context.json", "--context", "context.json"),
     ["--context given twice"]),
    ("--stage given twice", eval_args("policy.lua", "context.json", "--stage", "deploy", "--stage=deploy"),
     ["--stage given twice"]),
    ("--log given twice", eval_args("policy.lua", "context.json", "--log", "a.log", "--log", "b.log"),
     ["--log given twice"]),
    ("--colour after --color", eval_args("policy.lua", "context.json", "--color", "never", "--colour", "never"),
     ["--color given twice"]),
]


def usage_case(name, args, mentions):
    def fn(t):
        setup_basic(t)
        doc = run_error(t, args, "usage", mentions=mentions)
        t.eq(doc["error"]["line"], None, "error.line of a usage error")
    add_case("usage: %s" % name, fn)


for _c in USAGE_CASES:
    usage_case(*_c)


@case("every command refuses an option given twice, and takes a repeatable one each time (round 24)")
def _(t):
    setup_basic(t)
    for args, name in ((["verify", "--attestation", "a", "--public-key", "k", "--stage", "deploy", "--stage",
                         "pre-release"], "--stage"),
                       (["verify", "--attestation", "a", "--public-key", "k", "--policy-digest", "sha256:" + "0" * 64,
                         "--policy-digest", "sha256:" + "1" * 64], "--policy-digest"),
                       (["history", "last-good", "--log", "a.log", "--log", "b.log", "--release", "x"], "--log"),
                       (["lint", "--policy", "policy.lua", "--policy", "policy.lua"], "--policy"),
                       (["check", "x.y", "--context", "context.json", "--context", "context.json"], "--context"),
                       (["render", "--format", "text", "--fail-on-warn", "--fail-on-warn", "d.json"], "--fail-on-warn"),
                       (["serve", "--policy", "policy.lua", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"],
                        "--listen")):
        res = t.run(*args)
        t.expect_exit(res, 2)
        t.contains(res.err, "%s given twice: give it once" % name, " ".join(args[:1]))
    res = t.run("check", "x.y", "--param", "a=1", "--param", "a=2")
    t.expect_exit(res, 2)
    t.contains(res.err, "--param 'a=2' names a parameter given before", "check --param twice")
    # --evidence adds to the context's evidence, never in the place of its own (round 25)
    t.write_json("with-evidence.json", {"release": {"name": "s", "version": "1.0.0", "type": "minor"},
                                        "evidence": {"scan": "a.sarif"}})
    res = t.run("check", "security.scan", "--context", "with-evidence.json", "--evidence", "scan=b.sarif",
                "--param", "reports=scan")
    t.expect_exit(res, 2)
    t.contains(res.err, "--evidence scan: with-evidence.json declares evidence scan already", "check --evidence")
    res = t.run("test", "--run", "a", "--run", "b", "policy.lua")
    t.expect_exit(res, 2)
    t.contains(res.err, "--run given twice: join the patterns with |", "test --run keeps its hint")
    # Repeatable options still add: two outputs, two plugin folders.
    os.mkdir(t.tmp / "p1")
    os.mkdir(t.tmp / "p2")
    res = t.run(*eval_args("policy.lua", "context.json", "--format", "json", "--format", "text=out.txt",
                           "--plugin-path", "p1", "--plugin-path", "p2"))
    t.check(res.rc in (0, 1), "repeatable options: exit %d" % res.rc, actual=res.err[-400:])
    t.check((t.tmp / "out.txt").read_text().strip(), "the second --format wrote its file")


@case("usage error with --format text: exit 2, the error on stderr and, as text, on stdout")
def _(t):
    setup_basic(t)
    res = t.run(*eval_args("policy.lua", "context.json", "--format", "text", "--stage", "bogus"))
    t.expect_exit(res, 2)
    t.check(res.out.startswith("ERROR  the gate could not be evaluated (usage error)"), "stdout", actual=res.out)
    t.contains(res.out, "--stage", "the text error on stdout")
    lines = res.error_lines()
    t.check(lines and "--stage" in lines[0], "stderr does not say what is wrong", actual=res.err)


if __name__ == "__main__":
    sys.exit(main())
