"""The plugin loader and isolated plugin checks, through fixture plugins.

meson runs: python3 test_plugins.py RELGATE FIXTURE_DIR
Each case copies the fixture plugins it needs into its own plugin folder and points
relgate at it with --plugin-path.
"""

import hashlib
import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import NOW_EPOCH, case  # noqa: E402

FIXTURES = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
SANITIZED = os.environ.get("RG_SANITIZED") == "1"

CONTEXT = {
    "release": {"name": "svc", "version": "1.2.0", "previous_version": "1.1.0", "type": "minor",
                "commit": "0123456789abcdef0123456789abcdef01234567"},
    "evidence": {"notes": "notes.md"},
}


def setup(t, *fixtures, policy=None, context=CONTEXT):
    """Plugin folder 'plugins' with FIXTURES copied in, a context and a policy."""
    plugins = Path(t.tmp, "plugins")
    plugins.mkdir(mode=0o755)
    os.chmod(plugins, 0o755)
    for name in fixtures:
        dest = plugins / (name + ".so")
        shutil.copy(FIXTURES / (name + ".so"), dest)
        os.chmod(dest, 0o755)
    t.write_json("context.json", context)
    t.write("notes.md", "# notes\n")
    if policy is not None:
        t.write("policy.lua", policy)
    return plugins


def behave(t, modes, extra="", **kw):
    """A policy with one fixture.behave requirement per mode, in order.  EXTRA: text added
    to each requirement, or a function of the mode giving it."""
    lines = []
    for i, mode in enumerate(modes):
        more = extra(mode) if callable(extra) else extra
        lines.append('requirement "r%d-%s" { title = "%s", check = "fixture.behave", '
                     'with = { mode = "%s" }%s }' % (i, mode, mode, mode, more))
    setup(t, "fixture-behave", policy="\n".join(lines) + "\n", **kw)


def run_eval(t, *extra, **kw):
    return t.eval("policy.lua", "context.json", "--plugin-path", "plugins", *extra, **kw)


def statuses(doc):
    return [(r["id"], r["status"], r["message"]) for r in doc["requirements"]]


# ---- Listing -------------------------------------------------------------------

@case("plugins lists the fixture with its checks and parameters (text)")
def _(t):
    setup(t, "fixture-behave")
    res = t.run("plugins", "--plugin-path", "plugins")
    t.expect_exit(res, 0)
    for needle in ("fixture 1.0.0", "fixture.behave: Behaves as told", "mode", "string",
                   '(default "ok")', "max_age", "duration", "plugins/fixture-behave.so"):
        t.contains(res.out, needle, "relgate plugins output")


@case("plugins --format json describes every parameter")
def _(t):
    setup(t, "fixture-behave")
    res = t.run("plugins", "--plugin-path", "plugins", "--format", "json")
    t.expect_exit(res, 0)
    doc = json.loads(res.out)
    fixture = [p for p in doc["plugins"] if p["name"] == "fixture"]
    t.eq(len(fixture), 1, "fixture plugins listed")
    p = fixture[0]
    t.eq((p["version"], p["license"], p["abi"]), ("1.0.0", "MIT", "1.4"), "plugin fields")
    params = {x["name"]: x for x in p["checks"][0]["parameters"]}
    t.eq(params["mode"], {"name": "mode", "type": "string", "required": False, "default": "ok",
                          "description": "how to misbehave", "allowed": None}, "mode parameter")
    t.eq(params["strict"]["default"], True, "boolean default")
    t.eq(params["count"]["default"], None, "no default")
    t.eq(doc["searched"][0], "plugins", "first searched folder")


@case("plugins lists the values an enumerated parameter allows (JSON and text)")
def _(t):
    res = t.run("plugins", "--format", "json")   # the stock plugins, beside the binary
    t.expect_exit(res, 0)
    doc = json.loads(res.out)
    scan = [c for p in doc["plugins"] for c in p["checks"] if c["name"] == "security.scan"]
    t.eq(len(scan), 1, "security.scan listed")
    params = {x["name"]: x for x in scan[0]["parameters"]}
    t.eq(params["fail_on"]["allowed"], ["critical", "high", "medium", "low", "any", "none"], "fail_on's values")
    t.eq(params["max_age"]["allowed"], None, "a parameter with no list")
    res = t.run("plugins")
    t.expect_exit(res, 0)
    line = [l for l in res.out.splitlines() if l.strip().startswith("unrecognised ")]
    t.eq(len(line), 1, "the unrecognised parameter's line")
    t.check(line[0].endswith("; one of: error, fail"), "the text listing ends with the values", actual=line[0])


@case("plugins --help and a bad option")
def _(t):
    res = t.run("plugins", "--help")
    t.expect_exit(res, 0)
    t.contains(res.out, "--plugin-path DIR", "help")
    res = t.run("plugins", "--bogus")
    t.expect_exit(res, 2)
    t.contains(res.err, "unknown option '--bogus'", "stderr")


# ---- The loader refuses ------------------------------------------------------------

REFUSALS = {
    "broken-major": "is built for plugin ABI 2.0; this relgate speaks 1.4",
    "broken-minor": "is built for plugin ABI 1.11, newer than this relgate's 1.4",
    "broken-short": "has a short descriptor",
    "broken-license": "lacks the required descriptor field 'license'",
    "broken-duplicate": "declares check broken.one twice",
    "broken-default": "the default of count (\"many\") is not a valid integer",
    "broken-nosymbol": "has no relgate_plugin_entry symbol",
    "broken-null": "returned no descriptor",
    "broken-foreign": "check fixture.behave is not named broken.<name>",
    "broken-unprefixed": "check brokenish.three is not named broken.<name>",
    "broken-allowed_default": "the default of colour (\"blue\") is not a valid string among its allowed values",
    "broken-allowed_type": "parameter count (integer) declares allowed values: only string and string list parameters can",
    "broken-allowed_empty": "parameter colour allows no value at all",
    "broken-allowed_twice": "parameter colour allows value 3 twice",
    "broken-param_size": "its param_size is %d, which does not fit ABI 1.4's rg_param" % 32,
}

for fixture, message in REFUSALS.items():
    def refusal(t, fixture=fixture, message=message):
        setup(t, fixture, policy='requirement "a" { title = "a", check = function() return pass("ok") end }\n')
        res = t.run("plugins", "--plugin-path", "plugins")
        t.expect_exit(res, 2)
        t.contains(res.err, message, "stderr")
        t.contains(res.err, "plugins/%s.so" % fixture, "stderr names the file")
        # eval refuses to run with it too, even for a policy that does not use it.
        res = run_eval(t)
        doc = t.expect_error(res, "plugin", mentions=[message])
        t.eq(doc["error"]["file"], "plugins/%s.so" % fixture, "error.file")
    case("loader refuses %s: %s" % (fixture, message))(refusal)


@case("a plugin cannot provide another plugin's check: refused, the first plugin loaded or not")
def _(t):
    setup(t, "fixture-behave", "broken-foreign")
    res = t.run("plugins", "--plugin-path", "plugins")
    t.expect_exit(res, 2)
    t.contains(res.err, "plugins/broken-foreign.so: check fixture.behave is not named broken.<name>", "stderr")


@case("loader refuses a group-writable plugin file")
def _(t):
    plugins = setup(t, "fixture-behave")
    os.chmod(plugins / "fixture-behave.so", 0o775)
    res = t.run("plugins", "--plugin-path", "plugins")
    t.expect_exit(res, 2)
    t.contains(res.err, "writable by its group (chmod go-w)", "stderr")


@case("loader refuses a world-writable plugin folder")
def _(t):
    plugins = setup(t, "fixture-behave")
    os.chmod(plugins, 0o777)
    res = t.run("plugins", "--plugin-path", "plugins")
    t.expect_exit(res, 2)
    t.contains(res.err, "refusing plugin folder", "stderr")
    t.contains(res.err, "writable by anyone", "stderr")


@case("loader refuses a plugin owned by another user")
def _(t):
    if os.geteuid() != 0:
        t.skip("needs root to give the file away")
    plugins = setup(t, "fixture-behave")
    os.chown(plugins / "fixture-behave.so", 65534, 65534)
    res = t.run("plugins", "--plugin-path", "plugins")
    t.expect_exit(res, 2)
    t.contains(res.err, "owned by uid 65534, neither root nor the caller", "stderr")


@case("a missing --plugin-path folder is a usage error")
def _(t):
    setup(t, policy='requirement "a" { title = "a", check = function() return pass("ok") end }\n')
    res = t.eval("policy.lua", "context.json", "--plugin-path", "nowhere")
    t.expect_error(res, "usage", mentions=["--plugin-path nowhere"])


# ---- Policies naming plugin checks --------------------------------------------------

LOAD_ERRORS = [
    ("unknown check", 'requirement "a" {\n  title = "a",\n  check = "fixture.nope",\n}\n',
     "unknown check 'fixture.nope': no loaded plugin provides it"),
    ("unknown parameter", 'requirement "a" { title = "a", check = "fixture.behave", with = { mood = "x" } }\n',
     "check fixture.behave has no parameter 'mood' (it takes: mode file seconds names max_age strict count colour)"),
    ("a value the plugin does not allow", 'requirement "a" { title = "a", check = "fixture.behave", with = { colour = "purple" } }\n',
     "requirement 'a': colour is \"purple\", not one of the values it allows: red, green, blue"),
    ("a list item the plugin does not allow", 'requirement "a" { title = "a", check = "fixture.behave", with = { names = { "red", "pink" } } }\n',
     "requirement 'a': names is \"pink\", not one of the values it allows: red, green, blue"),
    ("a disallowed value with a terminal escape, shown escaped", 'requirement "a" { title = "a", check = "fixture.behave", with = { colour = "r\\27]0;x\\7" } }\n',
     'colour is \"r\\x1b]0;x\\x07\", not one of'),
    ("ill-typed parameter", 'requirement "a" { title = "a", check = "fixture.behave", with = { count = "many" } }\n',
     "count must be an integer"),
    ("fractional integer", 'requirement "a" { title = "a", check = "fixture.behave", with = { count = 1.5 } }\n',
     "count must be an integer"),
    ("bad duration", 'requirement "a" { title = "a", check = "fixture.behave", with = { max_age = "2 weeks" } }\n',
     "max_age must be a duration"),
    ("list of numbers", 'requirement "a" { title = "a", check = "fixture.behave", with = { names = { 1, 2 } } }\n',
     "names must be a list of strings"),
    ("with on an inline check", 'requirement "a" { title = "a", with = { x = 1 }, check = function() return pass("x") end }\n',
     "with applies to plugin checks only"),
    ("bad timeout", 'requirement "a" { title = "a", check = "fixture.behave", timeout = -1 }\n',
     "timeout must be a number of seconds"),
]

for label, policy, message in LOAD_ERRORS:
    def load_error(t, policy=policy, message=message):
        setup(t, "fixture-behave", policy=policy)
        res = run_eval(t)
        t.expect_error(res, "policy", file="policy.lua", line=1, mentions=[message])
    case("policy load fails on %s, naming file and line" % label)(load_error)


@case("allowed values: lint refuses what eval refuses, with the same message; an override is held to them too")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", hint = "h", check = "fixture.behave", with = { colour = "purple" } }\n'))
    message = "policy.lua:1: requirement 'a': colour is \"purple\", not one of the values it allows: red, green, blue"
    res = t.run("lint", "--policy", "policy.lua", "--plugin-path", "plugins")
    t.expect_exit(res, 1)
    t.eq(res.out.splitlines(), [message], "lint output")
    doc = t.expect_error(run_eval(t), "policy", file="policy.lua", line=1)
    t.eq(doc["error"]["message"], message, "eval's error")
    t.write("policy.lua", 'requirement "a" { title = "a", hint = "h", check = "fixture.behave", with = { colour = "green" } }\n')
    t.write("team.lua", 'extends "policy"\noverride "a" { with = { colour = "mauve" }, reason = "r" }\n')
    res = t.run("lint", "--policy", "team.lua", "--plugin-path", "plugins")
    t.expect_exit(res, 1)
    t.contains(res.out, "colour is \"mauve\", not one of the values it allows: red, green, blue", "lint of the override")
    t.write("team.lua", 'extends "policy"\noverride "a" { with = { colour = "blue" }, reason = "r" }\n')
    res = t.run("lint", "--policy", "team.lua", "--plugin-path", "plugins")
    t.expect_exit(res, 0)


@case("parameters: defaults and normalised values reach the check")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { names = "red", colour = "blue", max_age = "2h" } }\n'))
    res = run_eval(t)
    doc = t.expect_decision(res, "allow", 0)
    r = t.result(doc, "a")
    t.eq(r["check"], "fixture.behave", "check name in the decision")
    digest = "sha256:" + hashlib.sha256(Path(t.tmp, "plugins", "fixture-behave.so").read_bytes()).hexdigest()
    t.eq(r["plugin"], {"name": "fixture", "version": "1.0.0", "digest": digest},
         "the plugin that answered, its version and its file's digest")
    # The same from the plugin cache (no loader child: the digest was kept with the description).
    env = {"RELGATE_PLUGIN_CACHE": str(Path(t.tmp, "plugins.cache"))}
    for what in ("loaded", "from the cache"):
        doc = t.expect_decision(run_eval(t, env=env), "allow", 0)
        t.eq(t.result(doc, "a")["plugin"], r["plugin"], "plugin fields, %s" % what)
    t.eq(r["details"]["mode"], "ok", "default mode")
    t.eq(r["details"]["now"], NOW_EPOCH, "the evaluation clock (--now)")
    t.eq(r["details"]["commit"], CONTEXT["release"]["commit"], "context_string")


@case("the plugin cache: one file per set of plugin folders, another set's file left alone")
def _(t):
    if "RELGATE_PLUGIN_CACHE" in os.environ:
        t.skip("RELGATE_PLUGIN_CACHE is set: the default place is not used")
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "ok" } }\n'))
    other = Path(t.tmp, "other")
    other.mkdir(mode=0o755)
    shutil.copy(Path(t.tmp, "plugins", "fixture-behave.so"), other / "fixture-behave.so")
    os.chmod(other / "fixture-behave.so", 0o755)
    env = {"XDG_CACHE_HOME": str(Path(t.tmp, "xdg"))}
    folder = Path(t.tmp, "xdg", "relgate")
    for what in ("loaded", "from the cache"):
        t.expect_decision(run_eval(t, env=env), "allow", 0)
        files = sorted(p.name for p in folder.glob("plugins-*.cache"))
        t.eq(len(files), 1, "one cache file for the folder 'plugins' (%s): %s" % (what, files))
    mine = files[0]
    first = Path(folder, mine).read_bytes()
    t.check(b"fixture-behave.so" in first, "the entry names the plugin file")
    doc = t.expect_decision(t.eval("policy.lua", "context.json", "--plugin-path", "other", env=env), "allow", 0)
    t.eq(t.result(doc, "a")["status"], "pass", "the other folder's plugin answers")
    files = sorted(p.name for p in folder.glob("plugins-*.cache"))
    t.eq(len(files), 2, "a second file for the folder 'other': %s" % files)
    t.check(Path(folder, mine).read_bytes() == first, "the first folder's file is left as it was")
    t.check(str(other).encode() not in first, "no entry of the other folder in the first file")


@case("the plugin cache: other sets' files beyond the 32 written last are removed when one is written")
def _(t):
    if "RELGATE_PLUGIN_CACHE" in os.environ:
        t.skip("RELGATE_PLUGIN_CACHE is set: the default place is not used")
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "ok" } }\n'))
    env = {"XDG_CACHE_HOME": str(Path(t.tmp, "xdg"))}
    folder = Path(t.tmp, "xdg", "relgate")
    folder.mkdir(parents=True, mode=0o700)
    # 40 files of other (gone) sets of folders, one a day back, the newest first; beside
    # them files relgate did not name so: left alone whatever their age.
    old = time.time() - 86400
    others = ["plugins-%016x.cache" % (0xabc000 + i) for i in range(40)]
    for i, name in enumerate(others):
        Path(folder, name).write_bytes(b"RGP2 not a real cache")
        os.utime(Path(folder, name), (old - i * 86400, old - i * 86400))
    strangers = ["notes.txt", "plugins-short.cache", "plugins-%016X.cache" % 0xdef, "plugins-%016x.cache.tmp" % 1]
    for name in strangers:
        Path(folder, name).write_text("not relgate's\n")
        os.utime(Path(folder, name), (0, 0))
    t.expect_decision(run_eval(t, env=env), "allow", 0)
    left = sorted(p.name for p in folder.iterdir())
    mine = [n for n in left if n.startswith("plugins-") and n not in others and n not in strangers]
    t.eq(len(mine), 1, "this set's cache file written: %s" % mine)
    t.eq([n for n in others if n in left], others[:31], "the 31 other sets' files written last kept, the 9 oldest removed")
    t.check(all(n in left for n in strangers), "files not named as relgate names its caches left alone")
    # A start that finds its plugins in the cache writes nothing, so removes nothing.
    Path(folder, others[0]).touch()
    Path(folder, "plugins-%016x.cache" % 0xfff).write_bytes(b"RGP2 another")
    os.utime(Path(folder, "plugins-%016x.cache" % 0xfff), (0, 0))
    t.expect_decision(run_eval(t, env=env), "allow", 0)
    t.check(Path(folder, "plugins-%016x.cache" % 0xfff).exists(), "nothing removed by a start the cache served")


# ---- Isolation ------------------------------------------------------------------------

@case("a crashing, hanging, exiting or silent check costs one error result each")
def _(t):
    modes = ["ok", "crash", "hang", "exit", "no-result", "spin", "fail"]
    # 1 s for the checks that never end; the others end at once, but a loaded box running
    # the sanitizer build once took over 1 s to start one (it then timed out, not exited).
    behave(t, modes, extra=lambda mode: ", timeout = 1" if mode in ("hang", "spin") else ", timeout = 30")
    start = time.monotonic()
    res = run_eval(t, "-j", "4")
    elapsed = time.monotonic() - start
    doc = t.expect_decision(res, "deny", 1)
    got = statuses(doc)
    t.eq([g[0] for g in got], ["r%d-%s" % (i, m) for i, m in enumerate(modes)], "results in policy order")
    want = {
        "ok": ("pass", "behaved (ok)"),
        "crash": ("error", "check fixture.behave killed by SIGSEGV"),
        "hang": ("error", "check fixture.behave timed out after 1 s"),
        "exit": ("error", "check fixture.behave exited unexpectedly with status 3"),
        "no-result": ("error", "the check returned without a result"),
        "spin": ("error", "check fixture.behave timed out after 1 s"),
        "fail": ("fail", "failed on purpose"),
    }
    for (rid, status, message), mode in zip(got, modes):
        t.eq((status, message), want[mode], "result of mode %s" % mode)
    t.eq(doc["summary"]["error"], 5, "summary.error")
    # The two 1 s timeouts ran side by side, not one after the other: one at a time (-j 1)
    # they take a second more.
    start = time.monotonic()
    run_eval(t, "-j", "1")
    one_at_a_time = time.monotonic() - start
    t.check(elapsed < one_at_a_time - 0.5, "-j 4 took %.1f s, -j 1 %.1f s: the timeouts did not overlap"
            % (elapsed, one_at_a_time))


@case("a check that exhausts its memory limit is an error, not the engine's death")
def _(t):
    if SANITIZED:
        t.skip("no address-space limit under AddressSanitizer")
    behave(t, ["oom", "ok"])
    res = run_eval(t, "--check-memory", "64M")
    doc = t.expect_decision(res, "deny", 1)
    oom = doc["requirements"][0]
    t.eq(oom["status"], "error", "oom status")
    t.check(oom["message"].startswith("check fixture.behave "), "oom message names the check",
            actual=oom["message"])
    t.eq(doc["requirements"][1]["status"], "pass", "the next check still ran")


@case("an advisory plugin check that errors still denies; one that fails warns")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", level = "advisory", check = "fixture.behave", with = { mode = "fail" } }\n'))
    res = run_eval(t)
    doc = t.expect_decision(res, "warn", 0)
    t.eq(doc["requirements"][0]["status"], "warn", "advisory failure")
    t.write("policy.lua", 'requirement "a" { title = "a", level = "advisory", check = "fixture.behave", with = { mode = "crash" } }\n')
    res = run_eval(t)
    t.expect_decision(res, "deny", 1)


@case("a check's stdout never reaches the decision, and it gets no stdin")
def _(t):
    behave(t, ["stdout", "stdin"])
    res = t.run("eval", "--policy", "policy.lua", "--context", "context.json", "--plugin-path",
                "plugins", "--now", harness.NOW, stdin="secret input\n")
    doc = t.expect_decision(res, "allow", 0)
    t.contains(res.err, '{"decision": "allow"}', "the check's stdout, on stderr")
    t.eq(doc["requirements"][1]["details"]["stdin_read"], 0, "bytes the check read from stdin")


@case("a check's stdout is shown on stderr prefixed with its name, one line per line")
def _(t):
    behave(t, ["stdout"])
    res = run_eval(t)
    t.expect_decision(res, "allow", 0)
    t.contains(res.err, 'relgate: check fixture.behave: {"decision": "allow"}', "the check's line, prefixed")


@case("a check sees the variables its plugin declares (env, ABI 1.3) and PATH, nothing else")
def _(t):
    behave(t, ["env"])
    res = run_eval(t, env={"FIXTURE_VISIBLE": "declared", "FIXTURE_SECRET": "hidden", "PATH": os.environ["PATH"]})
    doc = t.expect_decision(res, "allow", 0)
    d = doc["requirements"][0]["details"]
    t.eq((d["visible"], d["secret"], d["path"]), ("declared", "(unset)", "/usr/bin:/bin"), "what the check saw")


@case("checks run concurrently with -j and one at a time with -j 1")
def _(t):
    setup(t, "fixture-behave", policy="".join(
        'requirement "s%d" { title = "s", check = "fixture.behave", with = { mode = "sleep", seconds = 0.6 } }\n' % i
        for i in range(4)))
    start = time.monotonic()
    res = run_eval(t, "-j", "4")
    parallel = time.monotonic() - start
    t.expect_decision(res, "allow", 0)
    start = time.monotonic()
    res = run_eval(t, "-j", "1")
    serial = time.monotonic() - start
    t.expect_decision(res, "allow", 0)
    t.check(serial >= 2.4, "-j 1 ran four 0.6 s checks in %.2f s" % serial)
    t.check(parallel < serial, "-j 4 (%.2f s) was not faster than -j 1 (%.2f s)" % (parallel, serial))


@case("a plugin reads evidence through the host")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "read", file = evidence "notes" } }\n'))
    res = run_eval(t)
    doc = t.expect_decision(res, "allow", 0)
    t.eq(doc["requirements"][0]["details"]["bytes"], 8, "bytes read")


@case("a plugin reading evidence that links outside the context folder stops the gate")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "read", file = evidence "notes" } }\n'))
    os.remove(Path(t.tmp, "notes.md"))
    os.symlink("/etc/passwd", Path(t.tmp, "notes.md"))
    res = run_eval(t, "--output", "out.json")
    t.expect_error(res, "evidence", mentions=["outside"])
    t.eq(Path(t.tmp, "out.json").read_bytes(), res.stdout, "out.json holds the error, as stdout does")


# ---- ABI 1.2: streams, shared children, older plugins ------------------------------------

@case("a plugin built for ABI 1.1 (no flags, a shorter descriptor) still loads and runs")
def _(t):
    setup(t, "fixture-old", policy=(
        'requirement "a" { title = "a", check = "fixture.old", with = { mode = "read", file = evidence "notes" } }\n'
        'requirement "b" { title = "b", check = "fixture.old" }\n'))
    res = t.run("plugins", "--plugin-path", "plugins", "--format", "json")
    t.eq(res.rc, 0, "relgate plugins exit code")
    t.eq(json.loads(res.stdout)["plugins"][0]["abi"], "1.1", "the plugin ABI as it declares it")
    doc = t.expect_decision(run_eval(t), "allow", 0)
    t.eq(doc["requirements"][0]["details"]["bytes"], 8, "bytes read")
    t.eq(doc["requirements"][1]["message"], "behaved (ok)", "second check")


def share_policy(modes, file='evidence "notes"', extra=""):
    return "".join('requirement "r%d-%s" { title = "%s", check = "fixture.share", '
                   'with = { mode = "%s"%s }%s }\n' % (i, m, m, m, ", file = " + file if file else "", extra)
                   for i, m in enumerate(modes))


@case("checks of a sharing plugin over the same evidence run in one child; a crash costs its own check only")
def _(t):
    modes = ["pid", "pid", "crash", "pid", "fail"]
    setup(t, "fixture-share", policy=share_policy(modes))
    doc = t.expect_decision(run_eval(t, "-j", "2"), "deny", 1)
    got = statuses(doc)
    t.eq([g[0] for g in got], ["r%d-%s" % (i, m) for i, m in enumerate(modes)], "results in policy order")
    t.eq([g[1] for g in got], ["pass", "pass", "error", "pass", "fail"], "statuses")
    t.eq(got[2][2], "check fixture.share killed by SIGSEGV", "the crash is the crashing check's")
    pids = [r["details"].get("pid") for r in doc["requirements"]]
    t.eq(pids[0], pids[1], "the first two ran in one child")
    t.check(pids[3] not in (pids[0], None), "the check after the crash ran again in a child of its own",
            actual=pids)


@case("a shared child that hangs: the hanging check times out, the others still answer")
def _(t):
    modes = ["pid", "hang", "pid"]
    setup(t, "fixture-share", policy=share_policy(modes, extra=", timeout = 1"))
    doc = t.expect_decision(run_eval(t), "deny", 1)
    got = statuses(doc)
    t.eq([g[1] for g in got], ["pass", "error", "pass"], "statuses")
    t.eq(got[1][2], "check fixture.share timed out after 1 s", "the timeout is the hanging check's")


@case("checks of a sharing plugin share a child only over the same evidence")
def _(t):
    ctx = dict(CONTEXT, evidence={"notes": "notes.md", "other": "notes.md"})
    setup(t, "fixture-share", context=ctx, policy=(
        share_policy(["pid", "pid"]) + share_policy(["pid"], file='evidence "other"').replace("r0-", "x0-")
        + share_policy(["pid", "pid"], file=None).replace("r0-", "y0-").replace("r1-", "y1-")))
    doc = t.expect_decision(run_eval(t), "allow", 0)
    pids = [r["details"]["pid"] for r in doc["requirements"]]
    t.eq(pids[0], pids[1], "same evidence: one child")
    t.check(len({pids[0], pids[2], pids[3], pids[4]}) == 4, "other evidence, or none: a child each", actual=pids)


@case("a stream reads evidence in chunks, past the whole-read cap, and its digest is recorded")
def _(t):
    import hashlib
    ctx = dict(CONTEXT, evidence={"notes": "notes.md", "big": "big.txt"})
    setup(t, "fixture-behave", context=ctx, policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "stream", file = evidence "big" } }\n'
        'requirement "b" { title = "b", check = "fixture.behave", with = { mode = "read", file = evidence "big" } }\n'
        'requirement "c" { title = "c", check = "fixture.behave", with = { mode = "stream", file = evidence "notes" } }\n'))
    big = "".join("line %d\n" % i for i in range(20000))
    t.write("big.txt", big)
    doc = t.expect_decision(run_eval(t, "--max-check-evidence-size", "1K"), "deny", 1)
    a, b, c = doc["requirements"]
    t.eq((a["status"], a["details"]["bytes"], a["details"]["size"], a["details"]["lines"]),
         ("pass", len(big), len(big), 20000), "the stream read every byte, in 7-byte chunks")
    t.eq(a["details"]["identity"], False, "no identity outside a shared child")
    t.eq(b["status"], "fail", "a whole read is still capped")
    t.eq(c["status"], "pass", "a stream the check left open")
    digests = {(e["name"], e["sha256"]) for e in doc["evidence"]}
    t.check(("big", "sha256:" + hashlib.sha256(big.encode()).hexdigest()) in digests,
            "the streamed file's digest is in the decision", actual=sorted(digests))
    t.check(("notes", "sha256:" + hashlib.sha256(b"# notes\n").hexdigest()) in digests,
            "a stream closed by the engine is recorded too", actual=sorted(digests))


@case("a stream under the same path rules: a link out of the evidence root stops the gate")
def _(t):
    setup(t, "fixture-behave", policy=(
        'requirement "a" { title = "a", check = "fixture.behave", with = { mode = "stream", file = evidence "notes" } }\n'))
    os.remove(Path(t.tmp, "notes.md"))
    os.symlink("/etc/passwd", Path(t.tmp, "notes.md"))
    res = run_eval(t, "--output", "out.json")
    t.expect_error(res, "evidence", mentions=["outside"])
    os.remove(Path(t.tmp, "notes.md"))
    os.mkfifo(Path(t.tmp, "notes.md"))
    doc = t.expect_decision(run_eval(t), "deny", 1)
    t.contains(doc["requirements"][0]["message"], "not a regular file", "a FIFO is refused without blocking")


@case("a bad --jobs, --check-timeout or --check-memory is a usage error")
def _(t):
    setup(t, policy='requirement "a" { title = "a", check = function() return pass("ok") end }\n')
    for args in (["-j", "0"], ["--jobs", "many"], ["--check-timeout", "0"], ["--check-memory", "1K"]):
        res = t.eval("policy.lua", "context.json", *args)
        t.expect_error(res, "usage", mentions=[args[0]])


if __name__ == "__main__":
    if FIXTURES is None or not FIXTURES.is_dir():
        print("TAP version 13\n1..0 # SKIP fixture directory not given")
        sys.exit(0)
    sys.exit(harness.main(sys.argv[:2]))
