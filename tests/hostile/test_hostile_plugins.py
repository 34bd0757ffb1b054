"""Hostile plugins (tests/hostile/plugins/hostile.c, one build per kind) against the real
binary.  For each: `relgate plugins` and `relgate eval` with a mandatory requirement on
the hostile check end with exit 2 (refused while loading) or a deny whose requirement is
an error — never exit 0 or allow —, a message naming the plugin, in bounded time, with
nothing left running (no process of relgate's session, no process a plugin started and
recorded), and stdout only the decision.

meson runs: python3 test_hostile_plugins.py RELGATE HOSTILE_PLUGIN_DIR
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import NOW, Failure, add_case, case  # noqa: E402

BUILT = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
POLICY = 'requirement "hostile" { title = "hostile", check = "hostile.check", level = "mandatory" }\n'
BOUND = 12.0     # seconds any one run may take (load limit 2 s, check limit 1 s, slack)


def setup(t, kind, extra=()):
    plugins = Path(t.tmp, "plugins")
    plugins.mkdir(mode=0o755)
    os.chmod(plugins, 0o755)
    for src, name in [("hostile-%s.so" % kind, "hostile-%s.so" % kind)] + list(extra):
        shutil.copy(BUILT / src, plugins / name)
        os.chmod(plugins / name, 0o755)
    t.copy_data("contexts/minimal.json", "context.json")
    t.write("policy.lua", POLICY)


def session_processes(sid):
    """Processes (not zombies) of session SID: what relgate left running."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def marked_pids(t):
    mark = Path(t.tmp, "hostile-mark.txt")
    if not mark.exists():
        return []
    return [(line.split()[0], int(line.split()[1][4:]), int(line.split()[2][5:]))
            for line in mark.read_text().splitlines() if line.strip()]


def alive(pid):
    try:
        stat = Path("/proc", str(pid), "stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Run:
    def __init__(self, rc, out, err, elapsed, pid, left):
        self.rc, self.out, self.err, self.elapsed, self.pid, self.left = rc, out, err, elapsed, pid, left


def run(t, *args, env=None, shell=None, as_user=()):
    """relgate ARGS in a session of its own (or SHELL, a command line run by sh -c);
    fails when it outlives BOUND (a held pipe counts: we read to the end) or leaves a
    process in its session."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    argv = ["/bin/sh", "-c", shell] if shell else [str(harness.RELGATE)] + [str(a) for a in args]
    argv = list(as_user) + argv
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=t.tmp, env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        raise Failure("relgate (or a process holding its output) ran past %g s" % BOUND,
                      actual=" ".join(argv))
    elapsed = time.monotonic() - start
    time.sleep(0.05)
    left = session_processes(proc.pid)
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    r = Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), elapsed,
            proc.pid, left)
    for sig in harness.SANITIZER_REPORTS:
        if sig.decode() in r.err:
            raise Failure("a sanitizer reported a problem", actual=r.err[-2000:])
    t.check(not left, "relgate left processes running in its session", actual=left)
    return r


def unprivileged(t):
    """When the tests run as root (who may open any process's /proc files), the argv
    prefix that runs relgate as nobody, with the case's folder open to it; else ()."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise Failure("running as root without setpriv (util-linux) to drop to nobody")
    os.chmod(t.tmp, 0o755)
    return (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--")


def nothing_lingers(t):
    for what, pid, _ in marked_pids(t):
        if alive(pid):
            os.kill(pid, 9)
            t.fail("a process the plugin started (%s, pid %d) outlived relgate" % (what, pid))


def eval_args(*extra, check_timeout="1"):
    return ("eval", "--policy", "policy.lua", "--context", "context.json", "--now", NOW,
            "--plugin-path", "plugins", "--check-timeout", check_timeout) + extra


def expect_refused(t, kind, name, r, command):
    t.check(r.rc == 2, "%s: exit 2 for a plugin refused while loading" % command,
            actual={"rc": r.rc, "stderr": r.err[-600:]})
    t.contains(r.err, name, "%s names the plugin on stderr" % command)


def expect_check_error(t, r, status="error", mentions=""):
    t.check(r.rc == 1, "exit 1 (deny)", actual={"rc": r.rc, "stderr": r.err[-600:], "stdout": r.out[-600:]})
    doc = harness.parse_single_json(r.out.encode())   # stdout is the decision, nothing else
    t.eq(doc["decision"], "deny", "decision")
    req = doc["requirements"][0]
    t.eq(req["status"], status, "the hostile requirement's status (message: %s)" % req["message"])
    t.eq(req["check"], "hostile.check", "the requirement names the check")
    t.contains(req["message"], mentions, "the requirement's message")
    return req


# ---- Refused while loading --------------------------------------------------------------

LOAD_TIME = {
    "ctor_exit0": "exited with status 0 while loading",
    "ctor_exit1": "exited with status 1 while loading",
    "ctor_abort": "crashed while loading",
    "ctor_loop": "did not finish loading within 2 s",
    "entry_hang": "did not finish loading within 2 s",
    "entry_null": "returned no descriptor",
    "entry_bogus": "the descriptor pointer is misaligned",
    "huge_count": "more than 256 checks",
    "huge_string": "longer than 4096 bytes",
    "garbage_desc": "crashed while loading",
    "bad_text": "is not printable UTF-8 text",
    "duplicate": "declares check hostile.check twice",
    "wrong_abi": "is built for plugin ABI 2.0",
    "huge_allowed": "a parameter allows more than 64 values",
    "allowed_ctrl": "allowed value 2 of parameter colour is not printable UTF-8 text",
    "long_allowed": "an allowed value is longer than 4096 bytes",
    "check_size": "its check_size is %d, which does not fit ABI 1.4's rg_check" % 32,
    "huge_size": "its check_size is 1073741824, which does not fit ABI 1.4's rg_check",
}


def load_case(kind, message):
    def fn(t):
        name = "plugins/hostile-%s.so" % kind
        # An honest plugin first in the search order: its record is in, then this one's
        # loading misbehaves in the same loader child.
        setup(t, kind, extra=[("hostile-honest.so", "a-honest.so")])
        listed = run(t, "plugins", "--plugin-path", "plugins")
        expect_refused(t, kind, name, listed, "relgate plugins")
        t.contains(listed.err, message, "relgate plugins says why")
        t.eq(listed.out, "", "relgate plugins stdout")
        r = run(t, *eval_args())
        expect_refused(t, kind, name, r, "relgate eval")
        doc = harness.parse_single_json(r.out.encode())
        t.eq(doc["decision"], "error", "decision")
        t.contains(doc["error"]["message"], name, "the error names the plugin")
        t.contains(doc["error"]["message"], message, "the error says why")
        t.check(r.elapsed < 6, "refused in bounded time", actual=r.elapsed)
        nothing_lingers(t)
    add_case("refused at load: %s (%s)" % (kind, message), fn)


for _kind, _message in LOAD_TIME.items():
    load_case(_kind, _message)


@case("a constructor runs in the loader child, never in relgate (wrong ABI, marks where it ran)")
def _(t):
    setup(t, "wrong_abi")
    r = run(t, *eval_args())
    t.eq(r.rc, 2, "exit code")
    marks = [m for m in marked_pids(t) if m[0] == "constructor"]
    t.check(marks, "the constructor ran (in some process)", actual=marked_pids(t))
    for _, pid, ppid in marks:
        t.check(pid != r.pid, "the constructor ran in relgate's own process", actual=pid)
        t.eq(ppid, r.pid, "the constructor's process is a child of relgate")


@case("a constructor that forks a lingering child: never allow, nothing left behind")
def _(t):
    setup(t, "ctor_fork")
    listed = run(t, "plugins", "--plugin-path", "plugins")
    r = run(t, *eval_args())
    t.check(r.rc in (1, 2), "deny or error, never allow", actual={"plugins": listed.rc, "eval": r.rc})
    if r.rc == 2:
        t.contains(r.err, "plugins/hostile-ctor_fork.so", "the refusal names the plugin")
    else:
        expect_check_error(t, r, status=json.loads(r.out)["requirements"][0]["status"])
    nothing_lingers(t)


@case("a descriptor that differs in the check's child (declared variable set): the check does not run")
def _(t):
    setup(t, "shifty")
    listed = run(t, "plugins", "--plugin-path", "plugins", env={"HOSTILE_SHIFT": "1"})
    t.eq(listed.rc, 0, "the loader (no such variable) sees a valid plugin")
    r = run(t, *eval_args(), env={"HOSTILE_SHIFT": "1"})
    expect_check_error(t, r, mentions="is no longer the file relgate validated")


@case("an honest hostile-fixture build loads and its check runs (the harness itself works)")
def _(t):
    setup(t, "honest")
    r = run(t, *eval_args())
    expect_check_error(t, r, status="fail", mentions="loaded, ran and failed")


# ---- Misbehaving checks ----------------------------------------------------------------

CHECK_TIME = {
    "forge": "bad result record",
    "garbage": "bad result record",
    "check_exit0": "ended without a result",
    "partial_exit0": "left a result record cut short",
    "ignore_term": "timed out after 1 s",
    "status": "returned without a result",
    "status_lie": "returned another status than it reported",
}


def check_case(kind, message):
    def fn(t):
        setup(t, kind)
        listed = run(t, "plugins", "--plugin-path", "plugins")
        t.eq(listed.rc, 0, "relgate plugins lists it")
        r = run(t, *eval_args())
        req = expect_check_error(t, r)
        t.contains(req["message"], message, "the error says what happened")
        t.check(r.elapsed < 6, "bounded time", actual=r.elapsed)
    add_case("check-time: %s ends in an error result (%s)" % (kind, message), fn)


for _kind, _message in CHECK_TIME.items():
    check_case(_kind, _message)


@case("a check cannot reach the engine through /proc (its stdout, its memory), nor a plugin host's memory: "
      "neither is dumpable")
def _(t):
    setup(t, "proc_parent")
    for cmd in (eval_args(), eval_args("--batch", "batch.jsonl", "--jobs", "2")):
        if "--batch" in cmd:
            line = json.dumps(json.loads(Path(t.tmp, "context.json").read_text()))
            t.write("batch.jsonl", line + "\n")
            cmd = tuple(a for a in cmd if a not in ("--context", "context.json"))
        r = run(t, *cmd, as_user=unprivileged(t))
        t.eq(r.rc, 1, "exit 1 (the check fails)")
        t.check("forged" not in r.out, "nothing reached relgate's stdout", actual=r.out[-600:])
        doc = json.loads(r.out.splitlines()[0]) if "--batch" in cmd else harness.parse_single_json(r.out.encode())
        t.eq(doc["requirements"][0]["status"], "fail", "the check ran")
        t.contains(doc["requirements"][0]["message"], "reached 0 of", "the check reached nothing")


@case("a check cannot reach relgate's other processes through /proc: a batch's parent with a warm plugin cache, "
      "nor another plugin's host as it starts")
def _(t):
    # Hostile round 33: F03, the batch's parent (warm cache) and relgate serve's main
    # process never made themselves undumpable; F02, a plugin host is dumpable from its
    # exec until it hardens itself, and a descriptor opened then stays good.
    setup(t, "proc_parent")
    line = json.dumps(json.loads(Path(t.tmp, "context.json").read_text()))
    t.write("batch.jsonl", line + "\n")
    cache = {"RELGATE_PLUGIN_CACHE": str(Path(t.tmp, "cache", "plugins.cache"))}
    os.makedirs(Path(t.tmp, "cache"), mode=0o777)
    os.chmod(Path(t.tmp, "cache"), 0o777)
    batch = tuple(a for a in eval_args("--batch", "batch.jsonl", "--jobs", "2") if a not in ("--context", "context.json"))
    for attempt in ("cold", "warm"):
        r = run(t, *batch, env=cache, as_user=unprivileged(t))
        t.eq(r.rc, 1, "exit 1 (the check fails), %s cache" % attempt)
        doc = json.loads(r.out.splitlines()[0])
        t.contains(doc["requirements"][0]["message"], "reached 0 of", "the check reached nothing, %s cache" % attempt)
    # Another plugin's host starting while a check watches every process of its user.
    shutil.rmtree(Path(t.tmp, "plugins"))
    setup(t, "proc_watch")
    shutil.copy(harness.RELGATE.parent / "plugins" / "ci" / "relgate-ci.so", Path(t.tmp, "plugins", "relgate-ci.so"))
    for name in ("context.json", "ci-check-runs.json"):
        shutil.copy(harness.REPO / "examples" / "minor" / "pre-release" / "ci-failed" / name, Path(t.tmp, name))
    t.write("policy.lua", """\
requirement "watch" { title = "watch", check = "hostile.check", level = "advisory" }
requirement "nap" { title = "nap", check = "hostile.nap", level = "advisory" }
requirement "ci-passing" { title = "CI", check = "ci.status", level = "mandatory", with = { reports = evidence "ci" } }
""")
    r = run(t, *eval_args("--jobs", "2", check_timeout="10"), as_user=unprivileged(t))
    doc = harness.parse_single_json(r.out.encode())
    t.eq((r.rc, doc["decision"]), (1, "deny"), "the failing CI denies")
    t.eq(t.result(doc, "ci-passing")["status"], "fail", "the ci check, untouched")
    t.contains(t.result(doc, "watch")["message"], "opened the memory of 0 other", "the watcher reached nothing")


@case("a check cannot lower relgate's limits (prlimit: open files, file size) nor starve it (its priority, "
      "scheduling class, CPUs, disk class)")
def _(t):
    # Hostile round 34, F01: the kernel asks only for the same user; relgate serve spun
    # answering nothing, eval died of SIGXFSZ.  The scheduling calls are the same class.
    for kind, attempt in (("prlimit_engine", "the engine's limits: refused"),
                          ("sched_engine", "the engine's scheduling: refused")):
        if Path(t.tmp, "plugins").exists():
            shutil.rmtree(Path(t.tmp, "plugins"))
        setup(t, kind)
        r = run(t, *eval_args(), as_user=unprivileged(t))
        t.eq(r.rc, 1, "%s: exit 1 (the check fails), the decision written" % kind)
        doc = harness.parse_single_json(r.out.encode())
        t.eq(doc["decision"], "deny", "%s: the decision" % kind)
        t.contains(doc["requirements"][0]["message"], attempt, "%s: the check's attempt" % kind)


@case("a check cannot take relgate's terminal (its foreground, with TOSTOP) and so have the kernel stop relgate")
def _(t):
    # Hostile round 34, F02: plugin hosts stayed in relgate's session; a check made its own
    # process group the terminal's foreground, and relgate's next write stopped it (SIGTTOU).
    import pty
    setup(t, "tty_take")
    argv = [str(harness.RELGATE)] + [str(a) for a in eval_args()]
    pid, master = pty.fork()
    if pid == 0:   # a session of its own with the pty as its controlling terminal, in front
        os.chdir(t.tmp)
        os.execv(argv[0], argv)
    out, deadline, status = b"", time.monotonic() + BOUND, None
    while time.monotonic() < deadline:
        got, st = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if got == pid:
            status = st
            break
        try:
            import select
            if select.select([master], [], [], 0.1)[0]:
                out += os.read(master, 65536)
        except OSError:
            pass
    if status is None or os.WIFSTOPPED(status):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(master)
    t.check(status is not None and not os.WIFSTOPPED(status), "relgate was stopped (or hung)",
            actual=out[-600:])
    t.eq(os.WEXITSTATUS(status), 1, "exit 1 (the check fails)")
    t.contains(out.decode(errors="replace"), "no controlling terminal to take", "the check found no terminal")


@case("the plugin cache: an unchanged plugin is not loaded at start; a changed one, or a damaged or foreign cache, is")
def _(t):
    setup(t, "ctor_mark")
    cache = Path(t.tmp, "cache", "plugins.cache")
    env = {"RELGATE_PLUGIN_CACHE": str(cache)}
    plugin = Path(t.tmp, "plugins", "hostile-ctor_mark.so")

    def loads(what):
        """Run `relgate plugins`; how many times the plugin's constructor ran."""
        before = len(marked_pids(t))
        r = run(t, "plugins", "--plugin-path", "plugins", env=env)
        t.eq(r.rc, 0, "%s: relgate plugins" % what)
        t.contains(r.out, "hostile.check", "%s: the check is listed" % what)
        return len(marked_pids(t)) - before

    t.eq(loads("first start"), 1, "first start: loaded once, by the loader child")
    t.eq(oct(cache.stat().st_mode & 0o777), oct(0o600), "the cache is the user's alone")
    t.eq(loads("unchanged"), 0, "unchanged plugin: no plugin code runs to list it")
    r = run(t, *eval_args(), env=env)
    req = expect_check_error(t, r, status="fail", mentions="loaded, ran and failed")
    t.eq([m[2] for m in marked_pids(t)][-1], r.pid, "the check's own child loaded it (a child of relgate)")
    os.utime(plugin, None)
    t.eq(loads("touched"), 1, "a plugin file that changed is loaded again")
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cache.write_bytes(bytes(data))
    t.eq(loads("damaged cache"), 1, "a damaged cache is not taken")
    t.eq(loads("rewritten"), 0, "and is rewritten")
    os.chmod(cache, 0o666)
    t.eq(loads("cache anyone may write"), 1, "a cache others may write is not taken")


def batch_case(kind, status="error"):
    def fn(t):
        setup(t, kind)
        line = json.dumps(json.loads(Path(t.tmp, "context.json").read_text()))
        t.write("batch.jsonl", "\n".join([line] * 4) + "\n")
        r = run(t, "eval", "--policy", "policy.lua", "--now", NOW, "--plugin-path", "plugins",
                "--check-timeout", "1", "--batch", "batch.jsonl", "--jobs", "2")
        t.eq(r.rc, 1, "batch exit code (every line denied)")
        lines = r.out.splitlines()
        t.eq(len(lines), 4, "one decision per line")
        for l in lines:
            doc = json.loads(l)
            t.eq(doc["decision"], "deny", "a line's decision")
            t.eq(doc["requirements"][0]["status"], status, "a line's hostile requirement")
        nothing_lingers(t)
    add_case("--batch --jobs 2: %s cannot forge a worker's record, stall the batch or leave a process" % kind, fn)


for _kind in ("forge", "garbage"):
    batch_case(_kind)
batch_case("setsid", status="fail")   # killed by the worker, a subreaper of its own


# ---- The plugin's zygote (the process that loads it once and starts each check child) ---

def batch_lines(t, count):
    """COUNT lines of the minimal context, each another version: none reuses another's result."""
    doc = json.loads(Path(t.tmp, "context.json").read_text())
    lines = []
    for i in range(count):
        doc["release"]["version"] = "1.%d.0" % (4 + i)
        lines.append(json.dumps(doc))
    t.write("batch.jsonl", "\n".join(lines) + "\n")


def batch_args(jobs):
    return ("eval", "--policy", "policy.lua", "--now", NOW, "--plugin-path", "plugins", "--check-timeout", "1",
            "--batch", "batch.jsonl", "--jobs", str(jobs))


# Every check of a plugin starts from the plugin's zygote: the plugin host program with the
# plugin loaded, started (never forked) by the engine on the plugin's first check.

def zygote_gone(t, message, what):
    """MESSAGE says the plugin's zygote is gone: seen ended before the next job was sent,
    or found gone as it was sent (which comes first is the scheduler's)."""
    t.check(re.search(r"zygote (ended|did not take a job)", message), what, actual=message)


@case("a constructor that exits 0 in the zygote only (the loader found it valid): every check an error")
def _(t):
    setup(t, "zygote_exit0")
    env = {"HOSTILE_SHIFT": "1"}
    listed = run(t, "plugins", "--plugin-path", "plugins", env=env)
    t.eq(listed.rc, 0, "the loader (no such variable) sees a valid plugin")
    r = run(t, *eval_args(), env=env)
    expect_check_error(t, r, mentions="zygote ended while loading the plugin (exit status 0)")
    batch_lines(t, 3)
    for jobs in (1, 2):
        r = run(t, *batch_args(jobs), env=env)
        t.eq(r.rc, 1, "--jobs %d: batch exit code (every line denied)" % jobs)
        docs = [json.loads(line) for line in r.out.splitlines()]
        t.eq(len(docs), 3, "--jobs %d: one decision per line" % jobs)
        for doc in docs:
            t.eq(doc["decision"], "deny", "--jobs %d: a line's decision" % jobs)
            t.eq(doc["requirements"][0]["status"], "error", "--jobs %d: a line's hostile requirement" % jobs)
        for i, doc in enumerate(docs):
            t.contains(doc["requirements"][0]["message"], "zygote ended while loading the plugin (exit status 0)",
                       "--jobs %d: line %d's check, from the zygote" % (jobs, i + 1))
    nothing_lingers(t)


def three_checks(t):
    t.write("policy.lua", "".join(
        'requirement "hostile-%d" { title = "hostile", check = "hostile.check", level = "mandatory" }\n' % i
        for i in (1, 2, 3)))


@case("a zygote that names another running check's process as its new child: that check an error, the other's kept")
def _(t):
    setup(t, "zygote_lie")
    three_checks(t)
    r = run(t, *eval_args("--jobs", "3"), env={"HOSTILE_SHIFT": "1"})
    t.check(r.rc == 1, "exit 1 (deny)", actual={"rc": r.rc, "stderr": r.err[-600:], "stdout": r.out[-600:]})
    doc = harness.parse_single_json(r.out.encode())
    t.eq(doc["decision"], "deny", "decision")
    reqs = {req["id"]: req for req in doc["requirements"]}
    # 1: the zygote's first child, named truly; 2: the zygote names 1's child, still
    # running; 3: the zygote is failed for good by then.
    t.eq(reqs["hostile-1"]["status"], "pass", "the zygote's first child keeps its answer")
    t.eq(reqs["hostile-2"]["status"], "error", "the check whose child the zygote lied about")
    t.contains(reqs["hostile-2"]["message"], "named a process that is not its check child", "its message")
    t.eq(reqs["hostile-3"]["status"], "error", "a check after the lie: the zygote is failed for good")
    t.contains(reqs["hostile-3"]["message"], "named a process that is not its check child", "its message")


@case("a zygote that names another process than itself for the last job it was to run itself: refused")
def _(t):
    # A single decision's last job of a plugin is run by the zygote itself (LAST): its
    # answer must be its own pid.  The relay names the first job's child instead (one at a
    # time: waited for already, so no other running check's pid rule catches it).
    setup(t, "zygote_lie")
    t.write("policy.lua", "".join(
        'requirement "hostile-%d" { title = "hostile", check = "hostile.check", level = "mandatory" }\n' % i
        for i in (1, 2)))
    r = run(t, *eval_args("--jobs", "1"), env={"HOSTILE_SHIFT": "1"})
    t.check(r.rc == 1, "exit 1 (deny)", actual={"rc": r.rc, "stderr": r.err[-600:], "stdout": r.out[-600:]})
    reqs = {req["id"]: req for req in harness.parse_single_json(r.out.encode())["requirements"]}
    t.eq(reqs["hostile-1"]["status"], "pass", "the zygote's first child keeps its answer")
    t.eq(reqs["hostile-2"]["status"], "error", "the last job, whose process the zygote lied about")
    t.contains(reqs["hostile-2"]["message"], "named a process that is not its check child", "its message")
    nothing_lingers(t)


def single_and_batch(t, env, rc):
    """The three_checks policy's requirements, as (how, requirement): single decisions at
    --jobs 1 and 3, then a batch of two lines; each run must exit RC."""
    results = []
    for jobs in (1, 3):
        r = run(t, *eval_args("--jobs", str(jobs)), env=env)
        t.check(r.rc == rc, "--jobs %d: exit %d" % (jobs, rc), actual={"rc": r.rc, "stderr": r.err[-600:]})
        results += [("--jobs %d" % jobs, req) for req in harness.parse_single_json(r.out.encode())["requirements"]]
    batch_lines(t, 2)
    r = run(t, *batch_args(1), env=env)
    t.eq(r.rc, rc, "batch exit code")
    for line in r.out.splitlines():
        results += [("a batch", req) for req in json.loads(line)["requirements"]]
    return results


@case("a single decision runs its plugin's last check job in the zygote itself, a batch every job in a child")
def _(t):
    setup(t, "zygote_self")
    three_checks(t)
    env = {"HOSTILE_SHIFT": "1"}
    for how, req in single_and_batch(t, env, 0):
        last = how != "a batch" and req["id"] == "hostile-3"
        t.eq(req["message"], "ran in its zygote" if last else "ran in a child of its zygote", how + ": " + req["id"])
    r = run(t, "check", "hostile.check", "--plugin-path", "plugins", "--context", "context.json", "--now", NOW,
            env=env)
    t.contains(r.out, "ran in its zygote", "relgate check: its one job")


@case("a zygote slow to load its plugin (1.5 s of the 2 s it has): the checks' time starts when they do")
def _(t):
    # --check-timeout 1: a check of 0.3 s, each, whose zygote took 1.5 s to be ready.
    # Counting the zygote's start in the first check's time would make it an error.
    setup(t, "zygote_slow")
    three_checks(t)
    for how, req in single_and_batch(t, {"HOSTILE_SHIFT": "1"}, 1):
        t.eq((req["status"], req["message"]), ("fail", "loaded, ran and failed"),
             "%s: %s's own answer" % (how, req["id"]))
    nothing_lingers(t)


@case("a check that kills its zygote mid-batch: the checks after it are errors, never allowed")
def _(t):
    setup(t, "kill_zygote")
    env = {"HOSTILE_SHIFT": "1"}
    batch_lines(t, 5)
    r = run(t, *batch_args(1), env=env)
    docs = [json.loads(line) for line in r.out.splitlines()]
    t.eq(len(docs), 5, "one decision per line")
    # Line 1: the zygote's first child kills it, before or after the zygote said which
    # child it started: its own answer, or an error.
    if docs[0]["decision"] == "allow":
        t.contains(docs[0]["requirements"][0]["message"], "passed 1.4.0", "line 1's own check answered")
    else:
        zygote_gone(t, docs[0]["requirements"][0]["message"], "line 1: the zygote is gone")
    for doc in docs[1:]:
        t.eq(doc["decision"], "deny", "a line after the zygote was killed")
        t.eq(doc["requirements"][0]["status"], "error", "its hostile requirement")
        zygote_gone(t, doc["requirements"][0]["message"], "the error says the zygote is gone")
    r = run(t, *batch_args(2), env=env)
    docs = [json.loads(line) for line in r.out.splitlines()]
    t.eq(len(docs), 5, "--jobs 2: one decision per line")
    allowed = [d for d in docs if d["decision"] == "allow"]
    t.check(len(allowed) <= 2, "--jobs 2: at most the first check of each worker passes", actual=len(allowed))
    for doc in docs:
        if doc["decision"] != "allow":
            zygote_gone(t, doc["requirements"][0]["message"], "--jobs 2: a denied line's error")


@case("a constructor that leaves an escaped (setsid) process in the zygote: gone when relgate or its batch worker ends")
def _(t):
    setup(t, "zygote_fork")
    env = {"HOSTILE_SHIFT": "1"}
    r = run(t, *eval_args(), env=env)
    expect_check_error(t, r, status="fail", mentions="loaded, ran and failed")
    batch_lines(t, 3)
    for jobs in (1, 2):
        r = run(t, *batch_args(jobs), env=env)
        t.eq(r.rc, 1, "--jobs %d: batch exit code (every line denied)" % jobs)
        t.eq(len(r.out.splitlines()), 3, "--jobs %d: one decision per line" % jobs)
    t.check(len([m for m in marked_pids(t) if m[0] == "lingerer"]) >= 3, "the zygotes' lingerers started",
            actual=marked_pids(t))
    nothing_lingers(t)


# ---- An ending signal (a cancelled CI job) while plugin checks run ---------------------

def signalled(t, sig, args, env, lingerers):
    """relgate ARGS (in a session of its own) sent SIG once a slow_setsid check runs (it
    marked itself) and LINGERERS escaped (setsid) processes exist — the zygote's
    constructor's and the check's own: it must die of SIG (no decision written, none
    allow), and within a short bounded wait nothing of the run may be left: no process
    of its session, no marked process."""
    full_env = dict(os.environ)
    full_env.update(env)
    argv = [str(harness.RELGATE)] + [str(a) for a in args]
    # SIG as the signal's default: a suite started under nohup hands relgate SIGHUP ignored,
    # which it keeps (as every program does), and then it rightly does not die of it.
    proc = subprocess.Popen(argv, cwd=t.tmp, env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and proc.poll() is None:
            marks = [m[0] for m in marked_pids(t)]
            if marks.count("check") >= 1 and marks.count("lingerer") >= lingerers:
                break
            time.sleep(0.05)
        t.check(proc.poll() is None, "relgate still running when the check and its escapees are",
                actual=proc.returncode)
        t.check(len([m for m in marked_pids(t) if m[0] == "lingerer"]) >= lingerers,
                "the escaped processes started", actual=marked_pids(t))
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=BOUND)
    finally:
        if proc.poll() is None or proc.returncode != -sig:
            # (A failure: the run, and what it left, are not left behind by the test.)
            for pid in session_processes(proc.pid) + [pid for _, pid, _ in marked_pids(t) if alive(pid)]:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            proc.communicate()
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    t.eq(proc.returncode, -sig, "relgate died of the signal (exit status 128 + %d), stderr: %s" % (sig, err[-400:]))
    t.check('"allow"' not in out.replace(" ", ""), "no decision allow written", actual=out[-600:])
    # What it started is gone by the time it has ended; a short grace for the kernel.
    until = time.monotonic() + 2
    while time.monotonic() < until:
        left = session_processes(proc.pid) + [pid for _, pid, _ in marked_pids(t) if alive(pid)]
        if not left:
            break
        time.sleep(0.05)
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    t.check(not left, "processes of the run left running after it died of the signal",
            actual=[(pid, Path("/proc", str(pid), "cmdline").read_bytes()[:80] if Path("/proc", str(pid)).exists()
                     else b"") for pid in left])


def signal_case(sig, how):
    def fn(t):
        setup(t, "slow_setsid")
        env = {"HOSTILE_SHIFT": "1"}   # the zygote's constructor leaves an escaped process too
        if how == "eval":
            args = ("eval", "--policy", "policy.lua", "--context", "context.json", "--now", NOW,
                    "--plugin-path", "plugins", "--check-timeout", "60")
        else:
            batch_lines(t, 2)
            args = ("eval", "--policy", "policy.lua", "--now", NOW, "--plugin-path", "plugins",
                    "--check-timeout", "60", "--batch", "batch.jsonl", "--jobs", how[-1])
        signalled(t, sig, args, env, lingerers=2)
    add_case("an ending signal (%s) to relgate %s while a check and its escaped processes run: it dies of it, "
             "nothing left running" % (signal.Signals(sig).name, how), fn)


for _sig, _how in [(signal.SIGTERM, "eval"), (signal.SIGHUP, "eval"), (signal.SIGINT, "eval"),
                   (signal.SIGPIPE, "eval"), (signal.SIGUSR1, "eval"), (signal.SIGUSR2, "eval --batch --jobs 2"),
                   (signal.SIGTERM, "eval --batch --jobs 1"), (signal.SIGHUP, "eval --batch --jobs 1"),
                   (signal.SIGTERM, "eval --batch --jobs 2"), (signal.SIGHUP, "eval --batch --jobs 2")]:
    signal_case(_sig, _how)


@case("an ending signal to relgate eval --output ... --format PATH: no earlier answer stays at those paths")
def _(t):
    setup(t, "slow_setsid")
    for path in ("decision.json", "summary.md"):
        t.write(path, '{"decision": "allow", "note": "an earlier run\'s answer"}\n')
    args = ("eval", "--policy", "policy.lua", "--context", "context.json", "--now", NOW, "--plugin-path", "plugins",
            "--check-timeout", "60", "--output", "decision.json", "--format", "markdown=summary.md")
    signalled(t, signal.SIGTERM, args, {"HOSTILE_SHIFT": "1"}, lingerers=2)
    for path in ("decision.json", "summary.md"):
        t.check(not Path(t.tmp, path).exists(), "%s (an earlier answer) was taken back" % path)


@case("a check that asks for a live source is never reused for a later line of a batch: 'none named' is no input "
      "a file record describes (round 24, F01)")
def _(t):
    setup(t, "live_blind")
    none = {"release": {"name": "a", "version": "1.0.0", "type": "minor"}}
    live = {"release": {"name": "b", "version": "1.0.0", "type": "minor"},
            "evidence": {"ci": {"github": "check-runs", "repo": "o/r", "ref": "0" * 40}}}
    t.write("batch.jsonl", json.dumps(none) + "\n" + json.dumps(live) + "\n")
    for jobs in ("1", "2"):
        r = run(t, "eval", "--policy", "policy.lua", "--now", NOW, "--plugin-path", "plugins", "--batch",
                "batch.jsonl", "--jobs", jobs)
        t.eq((r.rc, [json.loads(line)["decision"] for line in r.out.splitlines()]), (1, ["allow", "deny"]),
             "-j %s: the second line decided as alone" % jobs)


# ---- Plugin checks run while the engine runs the inline ones ---------------------------

BUSY_POLICY = POLICY + """requirement "busy" {
  title = "an inline check busy past the check time limit", level = "advisory",
  check = function(ctx)
    local t = os.clock()
    while os.clock() - t < 1.2 do end
    return pass("busy for 1.2 s of CPU")
  end,
}
"""


@case("a plugin check's time limit runs while the engine is busy (1.2 s) with an inline check: on time is on time, a hang still ends")
def _(t):
    busy_args = ("--max-instructions", "4000000000", "--timeout", "20")
    setup(t, "honest")
    t.write("policy.lua", BUSY_POLICY)
    r = run(t, *eval_args(*busy_args))
    req = expect_check_error(t, r, status="fail", mentions="loaded, ran and failed")
    t.eq(json.loads(r.out)["requirements"][1]["status"], "pass", "the busy inline check ran")
    t.check(r.elapsed >= 1.2, "the inline check was busy past the check's 1 s", actual=r.elapsed)
    shutil.rmtree(Path(t.tmp, "plugins"))
    setup(t, "ignore_term")
    t.write("policy.lua", BUSY_POLICY)
    r = run(t, *eval_args(*busy_args))
    expect_check_error(t, r, mentions="timed out after 1 s")   # within run()'s bound, busy CPU and all


@case("a grandchild that ignores SIGTERM and holds stdout/stderr: `relgate eval 2>&1 | cat` ends, the grandchild is gone")
def _(t):
    setup(t, "grandchild")
    cmd = " ".join("'%s'" % a for a in [harness.RELGATE] + list(eval_args())) + " 2>&1 | cat"
    r = run(t, shell=cmd)
    t.check(r.elapsed < 5, "the pipeline ended soon after the decision", actual=r.elapsed)
    t.contains(r.out, '"decision": "deny"', "the decision went through the pipe")
    t.check(marked_pids(t), "the grandchild started", actual=marked_pids(t))
    nothing_lingers(t)


@case("a grandchild that escapes with setsid(): killed when its check ends")
def _(t):
    setup(t, "setsid")
    r = run(t, *eval_args())
    expect_check_error(t, r, status="fail", mentions="escaped grandchild")
    t.check(marked_pids(t), "the grandchild started", actual=marked_pids(t))
    nothing_lingers(t)


@case("a check that floods stderr: bounded output, said so")
def _(t):
    setup(t, "flood")
    r = run(t, *eval_args())
    expect_check_error(t, r, status="fail", mentions="flooded stderr")
    t.check(len(r.err) < 200 * 1024, "relgate's stderr is bounded", actual=len(r.err))
    t.contains(r.err, "more bytes of output not shown", "stderr says output was cut")
    t.contains(r.err, "relgate: check hostile.check: AAAA", "the output is the check's, prefixed")


@case("a check sees no variable it did not declare (GITHUB_TOKEN), only PATH")
def _(t):
    setup(t, "env")
    r = run(t, *eval_args(), env={"GITHUB_TOKEN": "ghp_secret_token_value"})
    req = expect_check_error(t, r, status="fail", mentions="no token in sight")
    t.eq(req["details"], {"variables": 1, "path": "/usr/bin:/bin"}, "what the check saw")
    t.check("ghp_secret" not in r.out + r.err, "the token appears nowhere")


@case("a check reads relgate's secrets from its own memory (environment block, heap): none is there")
def _(t):
    # Plugin code runs in the plugin host, a fresh program: never in a fork of relgate,
    # whose memory holds the environment it started with (the token here), a signing
    # key, a store's credentials.  The plugin scans /proc/self/environ and every region
    # of /proc/self/mem for the token; a fork of the engine had it in its environment block.
    setup(t, "env_memory")
    # Its own time limit: reading every region takes a while under a sanitizer.
    r = run(t, *eval_args(check_timeout="10"), env={"GITHUB_TOKEN": "ghp_secret_token_value"})
    expect_check_error(t, r, status="fail", mentions="no secret of relgate's in its memory")
    t.check("ghp_secret" not in r.out + r.err, "the token appears nowhere")


if __name__ == "__main__":
    sys.exit(harness.main(sys.argv[:2] + sys.argv[3:]))
