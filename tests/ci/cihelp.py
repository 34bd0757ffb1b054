"""Shared helpers for the CI-integration tests (tests/ci/test_*.py).

They reuse tests/support/harness.py (cases, TAP, running the binary, the decision's JSON
Schema) and add what docs/ci.md's features need: test data under tests/ci/data, runs
with standard output or standard error on a pseudo-terminal, and parsers for the
markdown table, the JUnit XML and GitHub workflow commands that relgate prints.
"""

import hashlib
import html
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))

import harness  # noqa: E402
from harness import fill, umount  # noqa: E402,F401  (the tests import them from here)
from harness import REPO, Failure  # noqa: E402

CI_DATA = HERE / "data"
EXAMPLES = REPO / "examples"
JUNIT_XSD = CI_DATA / "junit.xsd"
# Jenkins xunit's own schema (MIT; its source is noted in the file): what Jenkins accepts.
JENKINS_XSD = CI_DATA / "junit-10.xsd"

# meson passes RG_SANITIZED=1 for the ASan/UBSan build (slower: heavy cases scale down).
SANITIZED = os.environ.get("RG_SANITIZED") == "1"

# The fixture plugin tests/plugins builds (fixture-behave.so), when meson passes it.
FIXTURE_BEHAVE = os.environ.get("RG_FIXTURE_BEHAVE") or None

# Everything that decides how --format text looks, blanked: relgate treats an empty
# LC_ALL/LC_CTYPE/NO_COLOR as unset.  Cases then set what they test.
_STYLE_VARS = ("LC_ALL", "LC_CTYPE", "LANG", "NO_COLOR", "TERM")


def style_env(**overrides):
    env = {k: "" for k in _STYLE_VARS}
    env["TERM"] = "xterm"
    env.update(overrides)
    return env


def sha256_file(path):
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---- Test data -------------------------------------------------------------------

def copy_ci(t, rel, dest=None):
    """Copy tests/ci/data/REL (file or directory) into the case's directory."""
    src = CI_DATA / rel
    if not src.exists():
        raise Failure("test data %s is missing" % src)
    dst = Path(t.tmp) / (dest if dest is not None else src.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copyfile(src, dst)
    return dst


def install_fixture(t, folder="plugins"):
    """The behave fixture plugin copied into T's folder FOLDER (mode 0755, as the
    loader insists); skips the case when meson did not pass the fixture."""
    if not FIXTURE_BEHAVE or not Path(FIXTURE_BEHAVE).is_file():
        t.skip("fixture-behave.so not given (RG_FIXTURE_BEHAVE)")
    plugins = Path(t.tmp, folder)
    plugins.mkdir(mode=0o755, exist_ok=True)
    os.chmod(plugins, 0o755)
    dest = plugins / "fixture-behave.so"
    shutil.copy(FIXTURE_BEHAVE, dest)
    os.chmod(dest, 0o755)
    return plugins


def examples():
    """Every example directory (relative to the repository) holding an expect.json."""
    return sorted(p.parent.relative_to(REPO) for p in EXAMPLES.glob("**/expect.json"))


def load_expect(example):
    return json.loads((REPO / example / "expect.json").read_text(encoding="utf-8"))


def eval_example(t, example, *extra, **kw):
    """relgate eval of EXAMPLE (default policy, its context, its clock), run from the
    repository root.  Returns (expect, result)."""
    expect = load_expect(example)
    res = t.run("eval", "--policy", harness.POLICY.relative_to(REPO), "--context",
                example / "context.json", "--now", expect["now"], *extra, cwd=REPO, **kw)
    return expect, res


# ---- A pseudo-terminal ----------------------------------------------------------------

def run_pty(t, *args, on="stdout", env=None, cwd=None, timeout=60):
    """Run the binary with ON ('stdout' or 'stderr') on a pseudo-terminal in raw mode
    (no newline translation) and the other stream on a pipe.  Returns a harness Result
    whose stdout/stderr hold what each stream carried."""
    argv = [str(harness.RELGATE)] + [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    cwd = str(cwd if cwd is not None else t.tmp)
    master, slave = pty.openpty()
    try:
        tty.setraw(slave)
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=slave if on == "stdout" else subprocess.PIPE,
                                stderr=slave if on == "stderr" else subprocess.PIPE,
                                start_new_session=True)
    finally:
        os.close(slave)
    other = proc.stderr if on == "stdout" else proc.stdout
    other_fd = other.fileno()
    bufs = {master: bytearray(), other_fd: bytearray()}
    open_fds = set(bufs)
    timed_out = False
    deadline = start + timeout
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(left, 1.0))
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: every slave descriptor is closed
                data = b""
            if data:
                bufs[fd] += data
            else:
                open_fds.discard(fd)
    proc.wait()
    os.close(master)
    other.close()
    elapsed = time.monotonic() - start
    tty_bytes, pipe_bytes = bytes(bufs[master]), bytes(bufs[other_fd])
    out, err = (tty_bytes, pipe_bytes) if on == "stdout" else (pipe_bytes, tty_bytes)
    res = harness.Result(argv, cwd, proc.returncode, out, err, elapsed, timed_out, None)
    t.last = res
    if timed_out:
        raise Failure("relgate did not finish within %g s (killed)" % timeout)
    for sig in harness.SANITIZER_REPORTS:
        if sig in err or sig in out:
            raise Failure("a sanitizer reported a problem (%s)" % sig.decode())
    return res


ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


# ---- Markdown (GitHub Flavored Markdown tables) ------------------------------------

_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def md_split_row(line):
    """Split a GFM table row into cells as cmark-gfm does: a backslash followed by ASCII
    punctuation is one escaped character; an unescaped | separates cells; the leading and
    trailing pipes are optional.  Cells keep their escapes and are stripped."""
    cells, cur, i = [], [], 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] in _PUNCT:
            cur.append(line[i:i + 2])
            i += 2
            continue
        if c == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur))
    if line.lstrip().startswith("|"):
        cells = cells[1:]
    if cells and cells[-1].strip() == "":
        cells = cells[:-1]
    return [c.strip() for c in cells]


_MD_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|(&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")


def md_unescape(text):
    """What a markdown renderer shows for TEXT: backslash escapes and entities resolved."""
    return _MD_TOKEN.sub(lambda m: m.group(1) if m.group(1) is not None else html.unescape(m.group(2)), text)


def md_tables(text):
    """Every table in TEXT: a list of (header_cells, rows), rows as lists of raw cells;
    also the index of each table's header line."""
    lines = text.split("\n")
    tables = []
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", lines[i + 1].strip()):
            header = md_split_row(lines[i])
            sep = md_split_row(lines[i + 1])
            rows = []
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append(md_split_row(lines[j]))
                j += 1
            tables.append({"line": i, "header": header, "separator": sep, "rows": rows,
                           "raw_rows": lines[i + 2:j]})
            i = j
        else:
            i += 1
    return tables


def control_to_space(s):
    return re.sub(r"[\x00-\x1f\x7f]", " ", s)


# ---- Untrusted text: a model of core/untrusted.c (docs/ci.md, "Untrusted text") ------

_SHOWN_AS_ESCAPE = (set(range(0x80, 0xA0)) | {0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0xFFFE, 0xFFFF}
                    | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)))
_IG = "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]*"
_MARKER = re.compile("#(?=" + _IG + "#" + _IG + "(?:\\[|[vV]" + _IG + "[sS]" + _IG + "[oO]" + _IG + "\\[))")


def neutralised(s, breaks="space"):
    """What relgate writes for the untrusted str S: line breaks (LF, CRLF, CR) as one space
    (BREAKS "space", tabs too) or as LF ("keep"); other C0 controls and DEL as \\xHH; C1,
    bidirectional controls, U+2028/2029, U+FFFE/FFFF as \\uHHHH; "##[" and "##vso[" as
    "# #[" and "# #vso[" (invisible characters between them too)."""
    s = _MARKER.sub("# ", s.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for ch in s:
        o = ord(ch)
        if ch in "\n\t":
            out.append(" " if breaks == "space" else ch)
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif o in _SHOWN_AS_ESCAPE:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def md_shown(text):
    """What a reader sees of markdown cell TEXT: escapes resolved, the zero-width spaces
    relgate inserts (&#8203;, against mentions, emoji and bare links) gone."""
    return md_unescape(text.replace("&#8203;", ""))


def ci_command_lines(text):
    """Lines of TEXT that a CI runner would read as a command: GitHub's '::cmd' at the
    start after white space (.NET trims Unicode white space), its legacy '##[cmd' and
    Azure's '##vso[' anywhere; lines split at LF, CR and CRLF as the runner splits."""
    bad = []
    for line in re.split(r"\r\n|\r|\n", text):
        if re.match(r"^\s*::", line) or "##[" in line or "##vso[" in line.lower():
            bad.append(line)
    return bad


def control_bytes(data):
    """Terminal control bytes in DATA (bytes): C0 but tab and LF, DEL, C1 as UTF-8
    (C2 80..C2 9F), bidirectional overrides (E2 80 AA..AE, E2 81 A6..A9)."""
    found = sorted({"%#04x" % b for b in data if (b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F})
    text = data.decode("utf-8", "replace")
    found += sorted({"U+%04X" % ord(c) for c in text if ord(c) in _SHOWN_AS_ESCAPE and ord(c) not in (0xFFFE, 0xFFFF)})
    return found


# ---- GitHub workflow commands ----------------------------------------------------------

_GH_LINE = re.compile(r"^::(?P<cmd>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$", re.S)


def gh_unescape_data(s):
    # As the runner does (ActionCommand.UnescapeData): CR, LF, then the percent sign.
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def gh_unescape_property(s):
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def gh_parse(line):
    """One workflow command line -> (command, {property: value}, data), decoded; or raise
    Failure when LINE is not one, or carries what the runner would misread (a raw CR,
    a % that is not an escape, a ':' or ',' inside a property value)."""
    m = _GH_LINE.match(line)
    if not m:
        raise Failure("not a workflow command: %r" % line[:300])
    if "\r" in line:
        raise Failure("a raw CR in a workflow command (the runner splits lines there)", actual=line[:300])
    data = m.group("data")
    if re.search(r"%(?!25|0D|0A)", data):
        raise Failure("a %% in the data that is not %%25, %%0D or %%0A", actual=data[:300])
    props = {}
    if m.group("props"):
        for part in m.group("props").split(","):
            if "=" not in part:
                raise Failure("a property without '=' (an unescaped ',' in a value?)", actual=m.group("props"))
            key, value = part.split("=", 1)
            if re.search(r"%(?!25|0D|0A|3A|2C)", value):
                raise Failure("a %% in property %s that is not an escape" % key, actual=value)
            if key in props:
                raise Failure("property %s given twice" % key, actual=m.group("props"))
            props[key] = gh_unescape_property(value)
    return m.group("cmd"), props, gh_unescape_data(data)


# ---- JUnit XML -----------------------------------------------------------------------

def xml_expected_attr(s):
    """An attribute value as an XML parser returns it: the C0 controls XML 1.0 cannot
    hold (all but tab, LF, CR), DEL, U+FFFE and U+FFFF dropped, as relgate drops them;
    C1 and bidirectional controls as visible escapes, CI markers broken (neutralised())."""
    kept = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", "", s)
    parts = re.split(r"([\r\n\t])", kept)
    return "".join(p if p in ("\r", "\n", "\t") else neutralised(p) for p in parts)


def xml_expected_text(s):
    """Element text as an XML parser returns it: those controls dropped; a CR survives,
    as relgate writes it as a character reference (&#13;)."""
    return xml_expected_attr(s)


def xmllint_validate(t, path, schema=None):
    """Validate PATH against SCHEMA (default: both data/junit.xsd and Jenkins xunit's
    junit-10.xsd) with xmllint, and hold it to the attributes Ant's schema requires;
    skip the case when xmllint is absent."""
    check_ant_attributes(t, Path(path).read_bytes())
    xmllint = shutil.which("xmllint")
    if not xmllint:
        t.skip("xmllint is not installed (Debian: libxml2-utils)")
    for xsd in [schema] if schema else [JUNIT_XSD, JENKINS_XSD]:
        proc = subprocess.run([xmllint, "--noout", "--schema", str(xsd), str(path)],
                              capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise Failure("%s does not validate against %s" % (Path(path).name, xsd.name),
                          actual=proc.stderr.decode("utf-8", "replace")[-3000:])


# What the Ant JUnit schema (XMLJUnitResultFormatter's format) requires that junit-10.xsd
# leaves optional, encoded here rather than copied.
ANT_SUITE_ATTRIBUTES = ("name", "tests", "failures", "errors", "time", "timestamp", "hostname", "id", "package")
ANT_CASE_ATTRIBUTES = ("name", "classname", "time")


def check_ant_attributes(t, data):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(data)
    t.check(root.get("skipped") is None and root.get("timestamp") is None,
            "<testsuites> carries skipped= or timestamp=, which junit-10.xsd refuses", actual=root.attrib)
    for suite in root.iter("testsuite"):
        missing = [a for a in ANT_SUITE_ATTRIBUTES if suite.get(a) is None]
        t.check(not missing, "<testsuite> lacks attributes Ant's schema requires", actual=missing)
        t.check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp")),
                "<testsuite timestamp=> is not an ISO 8601 time without a zone", actual=suite.get("timestamp"))
        kids = [c.tag for c in suite]
        for tag in ("properties", "system-out", "system-err"):
            t.check(tag in kids, "<testsuite> has no <%s> (Ant's schema requires it)" % tag, actual=kids)
        for tc in suite.iter("testcase"):
            missing = [a for a in ANT_CASE_ATTRIBUTES if tc.get(a) is None]
            t.check(not missing, "<testcase> lacks attributes Ant's schema requires", actual=missing)
            t.check(re.fullmatch(r"\d+\.\d{3}", tc.get("time")), "<testcase time=> is not seconds with 3 decimals",
                    actual=tc.get("time"))


# ---- A small disk to fill (root only: a tmpfs) ----

def mount_tmpfs(t, size="64k"):
    if os.geteuid() != 0:
        t.skip("mounting a tmpfs needs root")
    mnt = Path(t.tmp, "small-disk")
    mnt.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", str(mnt)],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        t.skip("cannot mount a tmpfs: %s" % e)
    if proc.returncode != 0:
        t.skip("cannot mount a tmpfs: %s" % proc.stderr.decode("utf-8", "replace").strip())
    return mnt






def main():
    """harness.main with only the binary from the command line (filter: RELGATE_TEST_FILTER)."""
    sys.exit(harness.main(sys.argv[:2]))
