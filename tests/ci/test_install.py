#!/usr/bin/env python3
"""The manual and bash completion, installed (docs/ci.md, "Shell completion and the manual").

meson runs: python3 test_install.py RELGATE   (env RG_BUILD_ROOT: the build directory
under test; RG_MESON: the meson command)

`meson install --destdir TMP --no-rebuild` from that build directory must put relgate(1)
and the bash completion in place; `man relgate` (MANPATH into TMP) shows NAME and every
option of `relgate eval --help`; the completion completes options, stages and formats.
"""

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import cihelp
from cihelp import REPO
from harness import Failure, case

BUILD_ROOT = os.environ.get("RG_BUILD_ROOT")
MESON = os.environ.get("RG_MESON") or shutil.which("meson")

_lock = threading.Lock()
_installed = {}


def installed(t):
    """Install once (the first case to ask); returns {'root', 'man', 'completion', 'log'}."""
    if not BUILD_ROOT or not Path(BUILD_ROOT, "meson-private").is_dir():
        t.skip("no meson build directory given (RG_BUILD_ROOT)")
    if not MESON:
        t.skip("meson is not on PATH")
    with _lock:
        if "root" not in _installed:
            root = tempfile.mkdtemp(prefix="relgate-install-")
            atexit.register(shutil.rmtree, root, True)
            proc = subprocess.run([MESON, "install", "-C", BUILD_ROOT, "--destdir", root, "--no-rebuild"],
                                  capture_output=True, timeout=300)
            _installed.update(root=Path(root), rc=proc.returncode,
                              log=(proc.stdout + proc.stderr).decode("utf-8", "replace"))
            found = lambda pattern: sorted(Path(root).glob(pattern))  # noqa: E731
            _installed["man"] = found("**/man1/relgate.1")
            _installed["completion"] = found("**/bash-completion/completions/relgate")
            _installed["binary"] = found("**/bin/relgate")
    info = dict(_installed)
    if info["rc"] != 0:
        raise Failure("meson install --destdir failed (exit %d)" % info["rc"], actual=info["log"][-3000:])
    return info


def one(t, paths, what):
    t.check(len(paths) == 1, "%s: expected one installed file" % what, actual=[str(p) for p in paths])
    return paths[0]


def eval_options(t):
    res = t.run("eval", "--help")
    t.expect_exit(res, 0)
    opts = re.findall(r"(?m)^\s+(?:-[a-z], )?(--[a-z][a-z-]*)", res.out)
    t.check(len(opts) >= 15, "too few options parsed from relgate eval --help", actual=res.out)
    shorts = re.findall(r"(?m)^\s+(-[a-z]), --", res.out)
    return opts, shorts


def help_options(t, command):
    res = t.run(command, "--help")
    t.expect_exit(res, 0)
    return sorted(set(re.findall(r"(?m)^\s+(?:-[a-z], )?(--[a-z][a-z-]*)", res.out)))


# ---- meson install ------------------------------------------------------------------

@case("install: meson install --destdir puts relgate(1) and the bash completion in place")
def _(t):
    info = installed(t)
    man = one(t, info["man"], "man1/relgate.1")
    comp = one(t, info["completion"], "share/bash-completion/completions/relgate")
    t.check("share/man/man1" in str(man), "the man page is not under share/man/man1", actual=str(man))
    t.check("share/bash-completion/completions" in str(comp), "the completion's directory", actual=str(comp))
    t.eq(man.read_bytes(), (REPO / "docs/relgate.1").read_bytes(), "the installed man page (docs/relgate.1)")
    t.eq(comp.read_bytes(), (REPO / "completions/relgate.bash").read_bytes(),
         "the installed completion (completions/relgate.bash)")
    t.check(os.access(one(t, info["binary"], "bin/relgate"), os.X_OK), "the installed binary is not executable")


def man_text(t, info):
    if not shutil.which("man"):
        t.skip("man is not installed (Debian: man-db)")
    man = one(t, info["man"], "man1/relgate.1")
    env = dict(os.environ, MANPATH=str(man.parent.parent), MANWIDTH="200", LC_ALL="C", LANG="C",
               MAN_DISABLE_SECCOMP="1", GROFF_NO_SGR="1", MANPAGER="cat", PAGER="cat")
    proc = subprocess.run(["man", "-P", "cat", "relgate"], env=env, capture_output=True, timeout=60)
    text = proc.stdout.decode("utf-8", "replace")
    text = re.sub(r".\x08", "", text)               # overstrike bold and underline
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    if proc.returncode != 0 or "NAME" not in text:
        raise Failure("man -P cat relgate failed (MANPATH=%s)" % env["MANPATH"],
                      actual={"exit": proc.returncode, "stderr": proc.stderr.decode("utf-8", "replace")[-2000:],
                              "stdout": text[:1000]})
    return text


@case("install: man relgate shows NAME and every option of relgate eval --help")
def _(t):
    text = man_text(t, installed(t))
    m = re.search(r"(?m)^NAME\s*\n\s+relgate\s+-\s+\S", text)
    t.check(m, "no NAME section naming relgate", actual=text[:600])
    sec = re.search(r"(?ms)^EVAL OPTIONS\s*$(.*?)^[A-Z][A-Z ]+$", text)
    t.check(sec, "no EVAL OPTIONS section", actual=text[:3000])
    section = sec.group(1)
    opts, shorts = eval_options(t)
    missing = [o for o in opts if o != "--help" and not re.search(r"(?m)^\s+(?:-[a-z], )?" + re.escape(o) + r"\b", section)]
    t.check(not missing, "eval options not documented under EVAL OPTIONS in relgate(1)", actual=missing)
    t.check("--help" in text, "--help is not in relgate(1)")
    for s in shorts:
        if s != "-h":
            t.check(re.search(r"(?m)^\s+" + re.escape(s) + r", --", section), "short option %s not in relgate(1)" % s)
    for needle in ("SYNOPSIS", "EXIT STATUS", "history last-good", "NO_COLOR"):
        t.contains(text, needle, "relgate(1)")


# ---- bash completion -----------------------------------------------------------------

def complete(t, words, cword=None):
    """COMPREPLY of _relgate for WORDS (the last one being completed, unless CWORD)."""
    info = installed(t)
    comp = one(t, info["completion"], "share/bash-completion/completions/relgate")
    bash = shutil.which("bash")
    if not bash:
        t.skip("bash is not installed")
    cword = len(words) - 1 if cword is None else cword
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=%d; _relgate; '
              'printf "%%s\\n" "${COMPREPLY[@]}"' % cword)
    proc = subprocess.run([bash, "--norc", "--noprofile", "-c", script, "bash", str(comp)] + list(words),
                          capture_output=True, timeout=30, cwd=t.tmp)
    if proc.returncode != 0 or proc.stderr:
        raise Failure("the completion failed for %s" % words,
                      actual={"exit": proc.returncode, "stderr": proc.stderr.decode("utf-8", "replace")})
    return [w for w in proc.stdout.decode().split("\n") if w]


@case("completion: 'relgate eval --st' completes --stage")
def _(t):
    t.eq(complete(t, ["relgate", "eval", "--st"]), ["--stage"], "COMPREPLY")


@case("completion: after --stage, the three stages")
def _(t):
    t.eq(sorted(complete(t, ["relgate", "eval", "--stage", ""])), ["deploy", "post-deploy", "pre-release"],
         "COMPREPLY after eval --stage")
    t.eq(complete(t, ["relgate", "eval", "--stage", "po"]), ["post-deploy"], "COMPREPLY after eval --stage po")
    t.eq(sorted(complete(t, ["relgate", "history", "--log", "x", "--stage", ""])),
         ["deploy", "post-deploy", "pre-release"], "COMPREPLY after history --stage")


@case("completion: after --format, the five formats for eval (text and json elsewhere)")
def _(t):
    t.eq(sorted(complete(t, ["relgate", "eval", "--format", ""])), ["github", "json", "junit", "markdown", "text"],
         "COMPREPLY after eval --format")
    t.eq(complete(t, ["relgate", "eval", "--policy", "p.lua", "--format", "ju"]), ["junit"],
         "COMPREPLY after eval --format ju")
    for cmd in ("history", "plugins"):
        t.eq(sorted(complete(t, ["relgate", cmd, "--format", ""])), ["json", "text"], "COMPREPLY after %s --format" % cmd)


def commands(t):
    res = t.run("--help")
    t.expect_exit(res, 0)
    block = res.out.split("commands:", 1)[-1].split("\n\n", 1)[0]
    names = re.findall(r"(?m)^  ([a-z][a-z-]*)\s", block)
    t.check("eval" in names and "history" in names, "commands parsed from relgate --help", actual=res.out)
    return names


@case("completion: the first word offers every command of relgate --help")
def _(t):
    offered = complete(t, ["relgate", ""])
    missing = [c for c in commands(t) if c not in offered]
    t.check(not missing, "commands the completion does not offer", actual={"missing": missing, "offered": offered})
    t.check("last-good" in complete(t, ["relgate", "history", ""]), "history does not complete last-good")


@case("completion: every option each command's --help lists is offered")
def _(t):
    missing = {}
    for cmd in commands(t):
        offered = set(complete(t, ["relgate", cmd, "--"]))
        gaps = [o for o in help_options(t, cmd) if o not in offered]
        if gaps:
            missing[cmd] = gaps
    t.check(not missing, "options of relgate COMMAND --help the completion does not offer", actual=missing)


@case("install: relgate(1) names every command of relgate --help")
def _(t):
    text = man_text(t, installed(t))
    sec = re.search(r"(?ms)^COMMANDS\s*$(.*?)^[A-Z][A-Z ]+$", text)
    t.check(sec, "no COMMANDS section in relgate(1)", actual=text[:3000])
    missing = [c for c in commands(t) if not re.search(r"(?m)^\s+" + re.escape(c) + r"\b", sec.group(1))]
    t.check(not missing, "commands not in relgate(1)'s COMMANDS section", actual=missing)


@case("completion: --policy offers .lua files and directories, --context .json files")
def _(t):
    t.write("gate.lua", "")
    t.write("notes.md", "")
    t.write("release.json", "{}")
    Path(t.tmp, "policies").mkdir()
    t.eq(sorted(complete(t, ["relgate", "eval", "--policy", ""])), ["gate.lua", "policies"], "COMPREPLY after --policy")
    got = complete(t, ["relgate", "eval", "--context", ""])
    t.check("release.json" in got and "notes.md" not in got and "gate.lua" not in got,
            "COMPREPLY after --context", actual=got)


if __name__ == "__main__":
    cihelp.main()
