"""A small TAP harness for relgate's command-line tests (Python 3 stdlib + jsonschema).

A test file registers cases and hands over to main():

    from harness import case, main

    @case("malformed JSON names the line and column")
    def _(t):
        t.copy_data("bad-context/malformed.json")
        res = t.eval("policy.lua", "malformed.json")
        t.expect_error(res, "context", file="malformed.json", line=3, column=14)

    if __name__ == "__main__":
        main()

and meson runs it as `python3 test_x.py path/to/relgate` (protocol 'tap').  Every case
runs in a fresh temporary directory (t.tmp, also the binary's working directory unless
a case says otherwise), removed afterwards.  A case fails by raising Failure (the
t.expect_* helpers do), skips with t.skip(reason), and anything else it raises is a
failure too.  The output is TAP version 13; a failure carries a YAML block with the
last command, its exit code, excerpts of stdout and stderr, and expected vs actual.

Every JSON decision the binary prints goes through t.decision(), which insists on
exactly one JSON object (no duplicate keys, valid UTF-8, newline-terminated), validates
it against schema/decision.schema.json, and for allow/warn/deny checks that the
summary, the verdict and the actions agree with the requirement results.
"""

import concurrent.futures
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import jsonschema

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA = REPO / "tests" / "data"
HOSTILE = REPO / "tests" / "hostile"
SCHEMA_PATH = REPO / "schema" / "decision.schema.json"
POLICY = REPO / "policies" / "octoacme.lua"

# The clock every case evaluates at unless it says otherwise.
NOW = "2025-06-10T14:00:00Z"
NOW_EPOCH = 1749564000

# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print: a run that
# shows one fails, whatever its exit code (a build may let UBSan recover).
SANITIZER_REPORTS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b": runtime error: ")

# Set by main().
RELGATE = None
_UMASK = None


def umask():
    """The process umask (read once: os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o22)
        os.umask(_UMASK)
    return _UMASK


# ---- Outcomes --------------------------------------------------------------------


class Failure(Exception):
    """A failed expectation.  EXPECTED/ACTUAL, when given, appear in the diagnostics."""

    _unset = object()

    def __init__(self, message, expected=_unset, actual=_unset):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.actual = actual


class Skip(Exception):
    pass


# ---- Running the binary ----------------------------------------------------------


class Result:
    """One run of the binary."""

    def __init__(self, argv, cwd, rc, stdout, stderr, elapsed, timed_out, stdin):
        self.argv = argv
        self.cwd = cwd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.stdin = stdin

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    def command(self):
        words = [shlex.quote(a) for a in self.argv]
        text = " ".join(words)
        if self.stdin is not None:
            text += " < (%d bytes on stdin)" % len(self.stdin)
        return text

    def error_lines(self):
        """stderr lines that start with 'relgate: error:'."""
        return [l for l in self.err.splitlines() if l.startswith("relgate: error:")]


def _reject_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r in the JSON output" % k)
        seen[k] = v
    return seen


def parse_single_json(data):
    """Parse DATA (bytes) as exactly one JSON value; raise Failure otherwise."""
    try:
        text = data.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        raise Failure("stdout is not valid UTF-8 (%s)" % e,
                      expected="one JSON object in UTF-8", actual=repr(data[max(0, e.start - 40):e.end + 40]))
    if not text.strip():
        raise Failure("stdout is empty", expected="one JSON object", actual="")
    decoder = json.JSONDecoder(object_pairs_hook=_reject_duplicates)
    try:
        value, end = decoder.raw_decode(text, len(text) - len(text.lstrip()))
    except ValueError as e:
        raise Failure("stdout is not JSON: %s" % e, expected="one JSON object")
    rest = text[end:]
    if rest.strip():
        raise Failure("stdout holds more than one JSON value",
                      expected="nothing after the first JSON value", actual=rest[:200])
    if not text.endswith("\n"):
        raise Failure("stdout does not end with a newline")
    if not isinstance(value, dict):
        raise Failure("stdout is JSON but not an object", expected="object", actual=type(value).__name__)
    return value


_validators = threading.local()


def validator():
    """The decision schema's validator, one per thread: the RefResolver of Debian 12's
    jsonschema (4.10) keeps the scope of the $ref it is resolving on itself, so two
    threads validating with one resolver read each other's scope (a client thread of a
    serve test once failed on "Unresolvable JSON pointer: '$defs/digest'")."""
    if getattr(_validators, "one", None) is None:
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validators.one = cls(schema)
    return _validators.one


def schema_errors(doc):
    errs = sorted(validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    out = []
    for e in errs:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append("%s: %s" % (where, e.message))
        for sub in (e.context or [])[:6]:
            sw = "/".join(str(p) for p in sub.absolute_path) or "(root)"
            out.append("    %s: %s" % (sw, sub.message))
    return out


def verdict_of(requirements):
    """The verdict docs/policies.md gives for these results."""
    deny = warn = False
    for r in requirements:
        if r["status"] == "error" or (r["status"] == "fail" and r["level"] != "advisory"):
            deny = True
        elif r["status"] in ("warn", "fail"):
            warn = True
    return "deny" if deny else "warn" if warn else "allow"


def semantic_problems(doc):
    """What the schema cannot say about an allow/warn/deny decision."""
    problems = []
    reqs = doc["requirements"]
    summary = doc["summary"]
    if summary["total"] != len(reqs):
        problems.append("summary.total is %d but there are %d requirements" % (summary["total"], len(reqs)))
    for status in ("pass", "fail", "warn", "waived", "error", "skip"):
        n = sum(1 for r in reqs if r["status"] == status)
        if summary[status] != n:
            problems.append("summary.%s is %d but %d requirements have that status" % (status, summary[status], n))
    ids = [r["id"] for r in reqs]
    if len(set(ids)) != len(ids):
        problems.append("requirement ids repeat: %s" % ids)
    for r in reqs:
        if r["level"] == "advisory" and r["status"] == "fail":
            problems.append("advisory requirement %s has status fail (an advisory failure is a warn)" % r["id"])
    expected = verdict_of(reqs)
    if doc["decision"] != expected:
        problems.append("decision is %s but the requirement results make it %s" % (doc["decision"], expected))
    playbook = doc["stage"] == "post-deploy" and doc["decision"] == "deny"
    if playbook and not doc["actions"]:
        problems.append("a post-deploy deny carries no actions")
    if not playbook and doc["actions"]:
        problems.append("actions outside a post-deploy deny: %s" % doc["actions"])
    return problems


# ---- The per-case API ---------------------------------------------------------------


class T:
    """What a case gets: a temporary directory, the binary, and expectations."""

    def __init__(self, name, tmp):
        self.name = name
        self.tmp = Path(tmp)
        self.last = None          # the last Result, shown when the case fails
        self.notes = []           # extra diagnostics

    # -- files

    def write(self, rel, content, mode=None):
        """Write CONTENT (str or bytes) to tmp/REL, creating directories; returns the Path."""
        p = self.tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        p.write_bytes(content)
        if mode is not None:
            p.chmod(mode)
        return p

    def write_json(self, rel, value):
        return self.write(rel, json.dumps(value, indent=2) + "\n")

    def copy_data(self, rel, dest=None):
        """Copy tests/data/REL (a file or a directory) into tmp (as DEST, default its base name).
        The hostile policies (escape/, limits/) live in tests/hostile/."""
        src = (HOSTILE if rel.split("/")[0] in ("escape", "limits") else DATA) / rel
        if not src.exists():
            raise Failure("test data %s is missing" % src)
        dst = self.tmp / (dest if dest is not None else src.name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copyfile(src, dst)
        return dst

    def listing(self, rel="."):
        """Names in tmp/REL, sorted (hidden ones included)."""
        return sorted(os.listdir(self.tmp / rel))

    # -- running

    def run(self, *args, stdin=None, cwd=None, timeout=60, env=None, stdout_to=None, program=None, stdin_from=None):
        """Run the binary with ARGS in CWD (default: tmp).  Returns a Result; a run that
        outlives TIMEOUT seconds is killed and reported as timed out.  STDOUT_TO names a
        file to send stdout to instead of capturing it (such as /dev/full); STDIN_FROM a
        file (under CWD) standard input is redirected from, as a shell's `< FILE`."""
        argv = [str(program or RELGATE)] + [str(a) for a in args]
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        cwd = str(cwd if cwd is not None else self.tmp)
        start = time.monotonic()
        sink = open(stdout_to, "wb") if stdout_to else None
        source = open(os.path.join(cwd, stdin_from), "rb") if stdin_from else None
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=full_env,
                                    stdin=source or (subprocess.PIPE if stdin is not None else subprocess.DEVNULL),
                                    stdout=sink if sink else subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
        finally:
            for f in (sink, source):
                if f:
                    f.close()
        timed_out = False
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
        out = out or b""
        elapsed = time.monotonic() - start
        res = Result(argv, cwd, proc.returncode, out, err, elapsed, timed_out, stdin)
        self.last = res
        if timed_out:
            raise Failure("relgate did not finish within %g s (killed)" % timeout)
        for sig in SANITIZER_REPORTS:
            if sig in err:
                raise Failure("a sanitizer reported a problem (%s)" % sig.decode())
        return res

    def eval(self, policy, context, *extra, now=NOW, **kw):
        """relgate eval --policy POLICY --context CONTEXT [--now NOW] EXTRA..."""
        args = ["eval", "--policy", policy, "--context", context]
        if now is not None:
            args += ["--now", now]
        return self.run(*args, *extra, **kw)

    # -- expectations

    def fail(self, message, **kw):
        raise Failure(message, **kw)

    def skip(self, reason):
        raise Skip(reason)

    def note(self, text):
        self.notes.append(str(text))

    def check(self, cond, message, **kw):
        if not cond:
            raise Failure(message, **kw)

    def eq(self, actual, expected, what):
        if actual != expected:
            raise Failure("%s differs" % what, expected=expected, actual=actual)

    def contains(self, haystack, needle, what):
        if needle not in haystack:
            raise Failure("%s does not contain %r" % (what, needle), expected=needle,
                          actual=haystack if len(haystack) < 2000 else haystack[:2000] + "...")

    def expect_exit(self, res, code):
        """Exactly CODE: a sanitizer's exit code (LeakSanitizer: 23) or a signal fails too."""
        if res.rc != code:
            what = "was killed by signal %d" % -res.rc if res.rc < 0 else "ended with exit code %d" % res.rc
            raise Failure("relgate %s" % what, expected="exit code %d" % code, actual=res.rc)

    def decision(self, res):
        """stdout (or RES itself, when bytes) as one schema-valid JSON decision (see the
        module docstring)."""
        doc = parse_single_json(res if isinstance(res, bytes) else res.stdout)
        errs = schema_errors(doc)
        if errs:
            raise Failure("the decision does not match schema/decision.schema.json",
                          expected="a valid decision", actual=errs[:12])
        if doc.get("decision") != "error":
            problems = semantic_problems(doc)
            if problems:
                raise Failure("the decision contradicts itself", actual=problems)
        return doc

    def expect_decision(self, res, verdict, code=None):
        """A verdict decision: exit code, schema, and DECISION == VERDICT."""
        self.expect_exit(res, code if code is not None else {"allow": 0, "warn": 0, "deny": 1}[verdict])
        doc = self.decision(res)
        self.eq(doc["decision"], verdict, "decision")
        return doc

    def result(self, doc, req_id):
        for r in doc["requirements"]:
            if r["id"] == req_id:
                return r
        raise Failure("requirement %s is not in the decision" % req_id,
                      expected=req_id, actual=[r["id"] for r in doc["requirements"]])

    def expect_error(self, res, kind, file=None, line=None, column=None, mentions=(), code=2,
                     same_message=True, file_on_stderr=True):
        """An error decision: exit 2, one JSON object with "decision": "error" and
        error.kind KIND on stdout, valid against the schema; a 'relgate: error:' line on
        stderr naming FILE (and FILE:LINE); error.file/line/column as given (a value of
        None is not checked; use the string "null" to insist on null).  MENTIONS are
        substrings the error message must contain.  KIND may be a tuple of acceptable
        kinds.  SAME_MESSAGE: the first stderr error line carries error.message.
        FILE_ON_STDERR=False checks FILE in error.file only (a case of its own then
        holds stderr to it)."""
        self.expect_exit(res, code)
        doc = self.decision(res)
        self.eq(doc["decision"], "error", "decision")
        err = doc["error"]
        if isinstance(kind, tuple):
            self.check(err["kind"] in kind, "error.kind is not one of %s" % (kind,), expected=kind,
                       actual=err["kind"])
        else:
            self.eq(err["kind"], kind, "error.kind")
        lines = res.error_lines()
        self.check(lines, "stderr has no line starting 'relgate: error:'", actual=res.err[-2000:])
        if file is not None:
            self.eq(err["file"], file, "error.file")
            self.check(not file_on_stderr or any(file in l for l in lines),
                       "no 'relgate: error:' line on stderr names %s" % file, expected=file, actual=lines)
        if line == "null":
            self.eq(err["line"], None, "error.line")
        elif line is not None:
            self.eq(err["line"], line, "error.line")
            if file is not None:
                where = "%s:%d" % (file, line)
                self.check(any(where in l for l in lines),
                           "no 'relgate: error:' line on stderr says %s" % where, expected=where, actual=lines)
        if column == "null":
            self.eq(err["column"], None, "error.column")
        elif column is not None:
            self.eq(err["column"], column, "error.column")
            if file is not None and line not in (None, "null"):
                where = "%s:%d:%d" % (file, line, column)
                self.check(any(where in l for l in lines),
                           "no 'relgate: error:' line on stderr says %s" % where, expected=where, actual=lines)
        for m in ([mentions] if isinstance(mentions, str) else mentions):
            self.contains(err["message"], m, "error.message")
        self.check(not same_message or err["message"] in lines[0], "the first 'relgate: error:' line is not error.message",
                   expected=err["message"], actual=lines[0])
        return doc


# ---- Registration and the TAP runner ------------------------------------------------

_cases = []


def case(name, skip=None):
    """Decorator: register FN(t) as a case.  SKIP, when a string, skips it with that reason."""
    def register(fn):
        add_case(name, fn, skip=skip)
        return fn
    return register


def add_case(name, fn, skip=None):
    if any(c[0] == name for c in _cases):
        raise RuntimeError("two cases named %r" % name)
    _cases.append((name, fn, skip))


def _force_remove(path):
    """Remove PATH whatever a case left there (chmod 000 files and directories too)."""
    def onerror(func, p, exc):
        try:
            parent = os.path.dirname(p)
            os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            full = os.path.join(root, d)
            if not os.path.islink(full):
                try:
                    os.chmod(full, stat.S_IRWXU)
                except OSError:
                    pass
    shutil.rmtree(path, onerror=onerror)


def _run_case(name, fn, skip):
    """Run one case; returns (status, detail) with status 'ok', 'skip' or 'fail'."""
    if skip:
        return "skip", skip, None
    tmp = tempfile.mkdtemp(prefix="relgate-cli-")
    t = T(name, tmp)
    try:
        fn(t)
        return "ok", None, t
    except Skip as s:
        return "skip", str(s), t
    except Failure as f:
        return "fail", f, t
    except Exception as e:  # a bug in the case, or an unexpected condition: still a failure
        f = Failure("%s: %s" % (type(e).__name__, e))
        f.trace = traceback.format_exc()
        return "fail", f, t
    finally:
        _force_remove(tmp)


def _yaml_str(s):
    return json.dumps(s, ensure_ascii=False)


def _yaml_value(key, value, indent="  "):
    """KEY: VALUE as YAML lines; strings as JSON-quoted scalars, one per line for text."""
    lines = []
    if isinstance(value, str) and "\n" not in value:
        lines.append("%s%s: %s" % (indent, key, _yaml_str(value)))
    elif isinstance(value, str):
        lines.append("%s%s:" % (indent, key))
        for l in value.splitlines():
            lines.append("%s  - %s" % (indent, _yaml_str(l)))
    elif isinstance(value, (list, tuple)):
        lines.append("%s%s:" % (indent, key))
        if not value:
            lines[-1] += " []"
        for v in value:
            lines.append("%s  - %s" % (indent, _yaml_str(v) if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)))
    else:
        lines.append("%s%s: %s" % (indent, key, json.dumps(value, sort_keys=True, default=str)))
    return lines


def _excerpt(data, limit=3000):
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        half = limit // 2
        text = text[:half] + "\n[... %d characters left out ...]\n" % (len(text) - limit) + text[-half:]
    return text


def _diagnostics(failure, t):
    lines = ["  ---"]
    lines += _yaml_value("message", failure.message)
    if failure.expected is not Failure._unset:
        lines += _yaml_value("expected", failure.expected)
    if failure.actual is not Failure._unset:
        lines += _yaml_value("actual", failure.actual)
    res = t.last if t else None
    if res is not None:
        lines += _yaml_value("command", res.command())
        lines += _yaml_value("cwd", res.cwd)
        lines += _yaml_value("exit_code", res.rc)
        lines += _yaml_value("seconds", round(res.elapsed, 3))
        lines += _yaml_value("stdout", _excerpt(res.stdout) or "(empty)")
        lines += _yaml_value("stderr", _excerpt(res.stderr) or "(empty)")
    if t and t.notes:
        lines += _yaml_value("notes", t.notes)
    if getattr(failure, "trace", None):
        lines += _yaml_value("traceback", failure.trace)
    lines.append("  ...")
    return lines


def _tap_name(name):
    # '#' starts a TAP directive; keep names on one line.
    return re.sub(r"\s+", " ", name.replace("#", "no.")).strip()



# ---- A small disk (a tmpfs the tests mount) ----

def umount(mnt):
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(path):
    """Fill the file system holding PATH: page-sized writes, then single bytes."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (b"\0" * 4096, b"\0"):
            while True:
                try:
                    if f.write(chunk) != len(chunk):
                        break
                except OSError:
                    break


def npm_tools_dir():
    """Where scripts/npm-tools.sh installs the pinned npm tools (its --print-dir)."""
    if os.environ.get("RELGATE_NPM_TOOLS"):
        return Path(os.environ["RELGATE_NPM_TOOLS"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "relgate" / "npm-tools"


def npm_modules(t, *packages):
    """node_modules holding PACKAGES (scripts/npm-tools/package.json pins them; make check
    installs them where npm is), or skip the case saying what is missing."""
    modules = npm_tools_dir() / "node_modules"
    missing = [p for p in packages if not (modules / p).is_dir()]
    if not shutil.which("node"):
        t.skip("node is not installed")
    if missing:
        t.skip("%s not installed (scripts/npm-tools.sh installs them where npm is)" % ", ".join(missing))
    return modules


def main(argv=None):
    """Run every registered case and print TAP; exit 1 when any failed."""
    global RELGATE
    argv = sys.argv if argv is None else argv
    if len(argv) > 1:
        RELGATE = Path(argv[1]).resolve()
    elif os.environ.get("RELGATE"):
        RELGATE = Path(os.environ["RELGATE"]).resolve()
    else:
        RELGATE = REPO / "build" / "relgate"
    only = argv[2] if len(argv) > 2 else os.environ.get("RELGATE_TEST_FILTER")
    umask()
    # Diagnostics quote what the binary printed, which need not be UTF-8.
    sys.stdout.reconfigure(errors="backslashreplace")
    sys.stderr.reconfigure(errors="backslashreplace")

    print("TAP version 13", flush=True)
    if not RELGATE.is_file() or not os.access(RELGATE, os.X_OK):
        print("1..0 # SKIP relgate binary not found at %s" % RELGATE)
        print("Bail out! relgate binary not found at %s" % RELGATE, flush=True)
        return 1
    try:
        validator()
    except Exception as e:
        print("Bail out! cannot load %s: %s" % (SCHEMA_PATH, e), flush=True)
        return 1

    selected = [c for c in _cases if not only or re.search(only, c[0])]
    print("1..%d" % len(selected), flush=True)
    jobs = int(os.environ.get("RELGATE_TEST_JOBS", "0")) or min(4, os.cpu_count() or 1)
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_case, n, f, s) for n, f, s in selected]
        for i, ((name, _fn, _skip), fut) in enumerate(zip(selected, futures), 1):
            status, detail, t = fut.result()
            tap = _tap_name(name)
            if status == "ok":
                print("ok %d - %s" % (i, tap))
            elif status == "skip":
                print("ok %d - %s # SKIP %s" % (i, tap, _tap_name(detail)))
            else:
                failed += 1
                block = "\n".join(_diagnostics(detail, t))
                print("not ok %d - %s" % (i, tap))
                print(block)
                # The same on stderr, which `meson test --print-errorlogs` shows.
                print("not ok %d - %s\n%s" % (i, tap, block), file=sys.stderr, flush=True)
            sys.stdout.flush()
    if failed:
        print("# %d of %d cases failed" % (failed, len(selected)), flush=True)
    return 1 if failed else 0
