"""Every hostile policy (tests/hostile/escape, tests/hostile/limits) ends the gate with exit
2 and starts no process: relgate runs under strace, and the trace may hold no execve,
fork, vfork or clone beyond relgate's own start.  Skipped cleanly without strace.

meson runs: python3 test_no_processes.py RELGATE
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import HOSTILE, add_case  # noqa: E402

STRACE = shutil.which("strace")
SPAWN = re.compile(r"\b(execve|execveat|fork|vfork|clone|clone3)\(")


def run_traced(t, fixture_dir, name):
    t.copy_data("%s/%s" % (fixture_dir, name), "pol/" + name)
    t.copy_data("contexts/minimal.json", "context.json")
    t.write("victim.txt", "must survive\n")
    trace = Path(t.tmp, "trace.txt")
    res = t.run("-f", "-qq", "-e", "trace=execve,execveat,fork,vfork,clone,clone3", "-o", str(trace),
                str(harness.RELGATE), "eval", "--policy", "pol/" + name, "--context", "context.json",
                "--now", harness.NOW, "--timeout", "2", "--max-instructions", "50000000",
                "--max-memory", "32M", timeout=60, program=STRACE,
                # LeakSanitizer cannot stop the world under ptrace; leaks are the other
                # suites' to find.
                env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"})
    calls = [l for l in trace.read_text().splitlines() if SPAWN.search(l)]
    # The first line is relgate's own execve by strace.
    started = [l for l in calls if not (l.split(None, 1)[-1].startswith("execve(") and str(harness.RELGATE) in l)]
    # relgate's plugin loader (docs/plugins.md, Loading), when the plugin cache is cold: the
    # plugin host started as "load" by relgate's own process, before the policy runs
    # (posix_spawn: a clone3 strace may show unfinished, then resumed with the pid).
    main_pid = calls[0].split(None, 1)[0] if calls else None
    loaders = {l.split(None, 1)[0] for l in started
               if "execve(" in l and "relgate-plugin-host" in l and '"load"' in l}
    for pid in loaders:
        if any(l.split(None, 1)[0] == pid and "relgate-plugin-host" not in l for l in started):
            continue   # the loader started something else too: reported
        clones = [l for l in started if l.split(None, 1)[0] == main_pid and "clone" in l]
        # relgate's first clone (unfinished, or already with the pid) and its resumed line
        spawn = [l for l in clones[:1] if "<unfinished" in l or l.rstrip().endswith("= " + pid)]
        spawn += [l for l in clones[1:] if "resumed>" in l and l.rstrip().endswith("= " + pid)][:1]
        for l in [l for l in started if l.split(None, 1)[0] == pid] + spawn:
            started.remove(l)
    return res, started


def case_for(fixture_dir, name):
    def fn(t):
        if not STRACE:
            t.skip("strace is not installed")
        res, started = run_traced(t, fixture_dir, name)
        t.expect_exit(res, 2)
        t.check(not started, "the policy started a process", actual=started[:5])
        t.check(not Path(t.tmp, "MARKER").exists(), "the policy created MARKER")
        t.check(Path(t.tmp, "victim.txt").exists(), "the policy removed victim.txt")
    add_case("%s/%s: exit 2, no process started" % (fixture_dir, name), fn)


for d in ("escape", "limits"):
    for f in sorted((HOSTILE / d).glob("*.lua")):
        # outside.lua is a module the escapes reach for; counting-loop.lua is the limit
        # tests' loop that must fit its budget, not a hostile policy.
        if f.name not in ("outside.lua", "counting-loop.lua"):
            case_for(d, f.name)

if __name__ == "__main__":
    sys.exit(harness.main())
