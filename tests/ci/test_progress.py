#!/usr/bin/env python3
"""Progress while slow plugin checks run (docs/ci.md, "Progress").

meson runs: python3 test_progress.py RELGATE   (env RG_FIXTURE_BEHAVE: the fixture plugin)

With a plugin check that sleeps 1.5 s (fixture-behave, mode "sleep"), standard error
shows an updating line "checks 0 of 1 done" when it is a terminal (a pty here), and
clears it before the answer; when standard error is not a terminal (a CI log) a long
check shows plain lines, the first after 2 s and then at most one every 5 s, with no
carriage return or escape; a quick gate prints nothing anywhere.
"""

import re

import cihelp
from cihelp import copy_ci, install_fixture, run_pty, style_env
from harness import case

PROGRESS = re.compile(rb"checks \d+ of \d+ done")


def setup(t):
    install_fixture(t)
    copy_ci(t, "progress")


def args(policy, *extra):
    return ("eval", "--policy", "progress/" + policy, "--context", "progress/context.json",
            "--plugin-path", "plugins", "--now", "2025-06-10T14:00:00Z") + extra


def progress_free(t, res, where):
    t.check(not PROGRESS.search(res.stderr), "a progress line on %s" % where, actual=res.stderr[:500])
    t.check(b"\r" not in res.stderr and b"\x1b" not in res.stderr,
            "carriage returns or escape sequences on %s" % where, actual=res.stderr[:500])


@case("progress: a slow plugin check shows 'checks 0 of 1 done' on a terminal's stderr, then clears it")
def _(t):
    setup(t)
    res = run_pty(t, *args("slow.lua"), on="stderr", env=style_env(LANG="C.UTF-8"), timeout=120)
    t.expect_exit(res, 0)
    doc = t.decision(res)          # stdout (a pipe) carries the decision and nothing else
    t.eq([r["status"] for r in doc["requirements"]], ["pass"], "statuses")
    t.check(res.elapsed >= 1.4, "the check did not sleep", actual=res.elapsed)
    t.contains(res.stderr.decode("utf-8", "replace"), "checks 0 of 1 done", "stderr on a terminal")
    last = [m.end() for m in PROGRESS.finditer(res.stderr)][-1]
    t.check(re.search(rb"\r\x1b\[K", res.stderr[last:]), "the progress line is not cleared before the answer",
            actual=res.stderr[-200:])
    t.check(re.search(rb"slow-check|fixture\.behave", res.stderr), "the progress line does not name the slow check",
            actual=res.stderr[:300])


@case("progress: off a terminal, a check under 2 s prints nothing (no carriage returns, no escapes)")
def _(t):
    setup(t)
    res = t.eval("progress/slow.lua", "progress/context.json", "--plugin-path", "plugins", timeout=120)
    t.expect_decision(res, "allow")
    t.check(res.elapsed >= 1.4, "the check did not sleep", actual=res.elapsed)
    progress_free(t, res, "stderr (a pipe)")
    # stdout on a terminal, stderr still a pipe: still nothing.
    res = run_pty(t, *args("slow.lua", "--format", "text"), on="stdout", env=style_env(LANG="C.UTF-8"), timeout=120)
    t.expect_exit(res, 0)
    progress_free(t, res, "stderr (a pipe, stdout a terminal)")


@case("progress: off a terminal (a CI log), a long check shows plain lines: first after 2 s, then every 5 s at most")
def _(t):
    setup(t)
    t.write("progress/long.lua", '''requirement "long-check" {
  title = "A long plugin check",
  check = "fixture.behave",
  with  = { mode = "sleep", seconds = 8.5 },
}
''')
    res = t.eval("progress/long.lua", "progress/context.json", "--plugin-path", "plugins", timeout=120)
    t.expect_decision(res, "allow")
    lines = [l for l in res.err.split("\n") if PROGRESS.search(l.encode())]
    t.check(b"\r" not in res.stderr and b"\x1b" not in res.stderr, "carriage returns or escapes in a log",
            actual=res.stderr[:500])
    t.check(1 <= len(lines) <= 2, "plain progress lines for an 8.5 s check (at 2 s and 7 s)", actual=res.err)
    for l in lines:
        t.check(re.fullmatch(r"relgate: checks 0 of 1 done, waiting for long-check \(\d+ s\)", l),
                "a progress line in a log", actual=l)


@case("progress: a quick gate prints nothing, even on a terminal")
def _(t):
    setup(t)
    res = run_pty(t, *args("quick.lua"), on="stderr", env=style_env(LANG="C.UTF-8"), timeout=120)
    t.expect_exit(res, 0)
    t.decision(res)
    if res.elapsed >= 0.9:
        # A loaded machine (or a sanitizer build) made the quick gate slow: a progress line
        # after its 1 s delay is then right, so there is nothing to hold it to.
        t.skip("the quick gate took %.1f s on this machine" % res.elapsed)
    progress_free(t, res, "stderr (a terminal, quick gate)")
    t.eq(res.stderr, b"", "stderr")


if __name__ == "__main__":
    cihelp.main()
