#!/usr/bin/env python3
"""Every `relgate eval` option with a missing value, an empty value and invalid values.

The table below holds a row for every option `relgate eval --help` lists; a case parses
the help text and fails when an option has no row (or a row names an option the help no
longer lists), so a new option cannot arrive without its bad-input cases.

Each bad value must give exit 2, exactly one 'relgate: error:' line naming the culprit,
stdout exactly one JSON error decision, and leave an existing decision log as it was and
an existing --output file holding the error (mxhelp.guarded). Where an option has a
range, its edge value is accepted too (the allow decision), so the refusal just past it
is the edge.

tests/cli/test_bad_input.py already holds some usage errors (--stage bogus, --format
xml, --max-memory 0 or 12X, --timeout -1, 0 or nan, ...): the values here differ.
"""

import re
import sys

import mxhelp
from harness import add_case, case
from mxhelp import NOW, eval_args, guarded, setup

# A missing or empty value is always a usage error naming the option.  INVALID rows:
# (value, kind, what the error line must name: None for the option itself, else a string).
# ACCEPTED: values at the edge of the option's range, which must still evaluate.
# BASE: 'batch' evaluates a batch file instead of --context.
OPTIONS = {
    "--policy": dict(invalid=[("policy.lua/", "io", "policy.lua/")]),
    "--context": dict(invalid=[("context.json/", "io", "context.json/")]),
    "--batch": dict(base="batch", invalid=[("no-such.jsonl", "io", "no-such.jsonl")]),
    "--stage": dict(invalid=[("PRE-RELEASE", "usage", None), ("deploy ", "usage", None)]),
    "--type": dict(invalid=[("Major", "usage", None), ("patch,minor", "usage", None)]),
    "--format": dict(invalid=[("JSON", "usage", None), ("json,text", "usage", None), ("junit=", "usage", None),
                              ("yaml=out.txt", "usage", None)],
                     accepted=["markdown=summary.md", "junit=report.xml"]),
    "--color": dict(invalid=[("yes", "usage", None), ("ALWAYS", "usage", None)], accepted=["always", "never", "auto"]),
    "--details": dict(invalid=[("All", "usage", None), ("some", "usage", None)], accepted=["failed", "none"]),
    "--output": dict(invalid=[("out/", "io", "out/")]),
    "--now": dict(invalid=[("2025-06-10", "usage", None), ("2025-06-10T14:00:00", "usage", None),
                           ("1749564000", "usage", None)],
                  accepted=["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"]),
    "--log": dict(invalid=[("logdir/", "io", "logdir/")], guard_log=False),
    "--waivers": dict(invalid=[("no-such.json", "io", "no-such.json")]),
    "--evidence-root": dict(invalid=[("policy.lua/", "usage", "policy.lua/")]),
    "--save-evidence": dict(invalid=[("policy.lua/", "usage", "policy.lua/"), ("no-such/dir", "usage", "no-such/dir"),
                                     (".", "usage", None)]),
    "--plugin-path": dict(invalid=[("policy.lua", "usage", "policy.lua")]),
    "--policy-path": dict(invalid=[("policy.lua", "usage", "policy.lua"), ("a:b", "usage", "a:b")]),
    "--jobs": dict(invalid=[("257", "usage", None), ("-1", "usage", None), ("4.5", "usage", None)],
                   accepted=["1", "256"]),
    "-j": dict(invalid=[("0", "usage", ("-j", "--jobs")), ("x", "usage", ("-j", "--jobs"))],
               accepted=["256"], culprit=("-j", "--jobs")),
    "--check-timeout": dict(invalid=[("86401", "usage", None), ("1h", "usage", None), ("inf", "usage", None)],
                            accepted=["86400", "10ms"]),
    "--check-memory": dict(invalid=[("16777215", "usage", None), ("1.5G", "usage", None),
                                    ("16MX", "usage", None)],
                           accepted=["16M", "16777216"]),
    "--max-memory": dict(invalid=[("1048575", "usage", None), ("1023K", "usage", None),
                                  ("99999999999999999999G", "usage", None)],
                         accepted=["1M", "1048576", "1024KiB"]),
    "--max-context-size": dict(invalid=[("1.5M", "usage", None), ("1T", "usage", None), ("0", "usage", None)],
                               accepted=["1G"]),
    "--max-evidence-size": dict(invalid=[("0", "usage", None), ("1MBx", "usage", None), ("-1K", "usage", None)],
                                accepted=["1MiB", "1"]),
    "--max-check-evidence-size": dict(invalid=[("0", "usage", None), ("1MBx", "usage", None), ("-1K", "usage", None)],
                                accepted=["1MiB", "1"]),
    "--max-json-depth": dict(invalid=[("1001", "usage", None), ("0", "usage", None), ("64.0", "usage", None)],
                             accepted=["1000", "2"]),
    "--max-requirements": dict(invalid=[("1000001", "usage", None), ("0", "usage", None), ("1e3", "usage", None)],
                               accepted=["1000000", "1"]),
    "--max-instructions": dict(invalid=[("18446744073709551616", "usage", None), ("1e6", "usage", None),
                                        ("0x10", "usage", None)],
                               accepted=["18446744073709551615"]),
    "--timeout": dict(invalid=[("86400.5", "usage", None), ("1e400", "usage", None), ("10m", "usage", None)],
                      accepted=["86400", "500ms"]),
    # Signing (tests/cli/test_attest.py holds the keys, files and artifacts): alone, each
    # of these is a usage error naming it, since they go together.
    "--attest": dict(invalid=[("att.intoto.jsonl", "usage", None)]),
    "--signing-key": dict(invalid=[("gate.pem", "usage", None)]),
    "--verifier-id": dict(invalid=[("https://ci.example/gate", "usage", None)]),
    "--resource-uri": dict(invalid=[("pkg:generic/x@1.0.0", "usage", None)]),
}

# Options without a value: '--flag=VALUE' is an unknown option, named as given.
FLAGS = ["--no-color", "--fail-on-warn", "--help", "-h"]

HELP_OPTION = re.compile(r"^  (?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?:[ =]([A-Z][A-Z0-9]*(?:\.[a-z]+)?(?:\[=[A-Z]+\])?))?(?:\s|$)")


def help_options(text):
    """{option: metavar or None} for every option line of the help text."""
    found = {}
    for line in text.splitlines():
        m = HELP_OPTION.match(line)
        if m:
            short, long_, meta = m.groups()
            found[long_] = meta
            if short:
                found[short] = meta
    return found


@case("the table covers every option `relgate eval --help` lists, and no other")
def _(t):
    res = t.run("eval", "--help")
    t.expect_exit(res, 0)
    listed = help_options(res.out)
    t.check(len(listed) >= 20, "parsed only %d options from eval --help" % len(listed), actual=sorted(listed))
    with_value = {o for o, meta in listed.items() if meta}
    without = {o for o, meta in listed.items() if not meta}
    t.eq(sorted(with_value - set(OPTIONS)), [], "options taking a value that have no row in OPTIONS")
    t.eq(sorted(without - set(FLAGS)), [], "options without a value that are not in FLAGS")
    t.eq(sorted(set(OPTIONS) - with_value), [], "rows in OPTIONS for options eval --help does not list with a value")
    t.eq(sorted(set(FLAGS) - without), [], "FLAGS that eval --help does not list as flags")


def base_args(option, spec, *tail):
    """The eval command around OPTION: without OPTION's own default, TAIL last."""
    if spec.get("base") == "batch":
        return eval_args(*tail, context=None)
    if option == "--policy":
        return ["eval", "--context", "context.json", "--now", NOW] + list(tail)
    if option == "--context":
        return ["eval", "--policy", "policy.lua", "--now", NOW] + list(tail)
    if option == "--now":
        return ["eval", "--policy", "policy.lua", "--context", "context.json"] + list(tail)
    return eval_args(*tail)


def prepare(t):
    setup(t)
    t.write("batch.jsonl", mxhelp.compact_line(mxhelp.CONTEXT) + "\n")


def missing_case(option, spec):
    culprit = spec.get("culprit", option)

    def fn(t):
        prepare(t)
        guarded(t, base_args(option, spec, option), "usage", culprit, log=spec.get("guard_log", True))
    add_case("option %s without its value (last word): usage error naming it" % option, fn)


def empty_case(option, spec):
    culprit = spec.get("culprit", option)

    def fn(t):
        prepare(t)
        guarded(t, base_args(option, spec, option + "="), "usage", culprit, log=spec.get("guard_log", True))
    add_case("option %s= (empty value): usage error naming it" % option, fn)


def invalid_case(option, spec, value, kind, culprit):
    def fn(t):
        prepare(t)
        doc = guarded(t, base_args(option, spec, option, value), kind, culprit or spec.get("culprit", option),
                      log=spec.get("guard_log", True))
        if kind == "usage":
            t.contains(doc["error"]["message"], value.strip() or value, "error.message (the refused value)")
            t.eq(doc["error"]["line"], None, "error.line of a usage error")
    add_case("option %s %r: %s error naming %s" % (option, value, kind, culprit or "the option"), fn)


def accepted_case(option, spec, values):
    def fn(t):
        prepare(t)
        for value in values:
            res = t.run(*base_args(option, spec, option, value))
            t.expect_decision(res, "allow")
            t.eq(res.error_lines(), [], "stderr errors for %s %s" % (option, value))
    add_case("option %s at the edge of its range (%s): accepted" % (option, ", ".join(values)), fn)


def flag_case(flag):
    def fn(t):
        prepare(t)
        doc = guarded(t, eval_args(flag + "=yes"), "usage", flag + "=yes")
        t.contains(doc["error"]["message"], "unknown option", "error.message")
    add_case("flag %s=yes (a value for an option that takes none): usage error naming it" % flag, fn)


for _opt, _spec in OPTIONS.items():
    missing_case(_opt, _spec)
    if _opt.startswith("--"):
        empty_case(_opt, _spec)
    for _value, _kind, _culprit in _spec["invalid"]:
        invalid_case(_opt, _spec, _value, _kind, _culprit)
    if _spec.get("accepted"):
        accepted_case(_opt, _spec, _spec["accepted"])

for _flag in FLAGS:
    flag_case(_flag)


@case("option values that look like options are taken as values: --stage --fail-on-warn is refused, naming --stage")
def _(t):
    prepare(t)
    guarded(t, eval_args("--stage", "--fail-on-warn"), "usage", "--stage", mentions=["--fail-on-warn"])


if __name__ == "__main__":
    sys.exit(mxhelp.main())
