#!/usr/bin/env python3
"""The manual and bash completion, installed (docs/ci.md, "Shell completion and the manual").

meson runs: python3 test_install.py RELGATE   (env RG_BUILD_ROOT: the build directory
under test; RG_MESON: the meson command)

`meson install --destdir TMP --no-rebuild` from that build directory must put relgate(1),
the bash, zsh and fish completions and the documentation (share/doc/relgate, where
--help points) in place; `man relgate` (MANPATH into TMP) documents every command and
every option of each command's --help, and its EXAMPLES run; the completions complete
commands, options, stages, formats and files.
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
            _installed["zsh"] = found("**/zsh/vendor-completions/_relgate")
            _installed["fish"] = found("**/fish/vendor_completions.d/relgate.fish")
            _installed["docs"] = found("**/share/doc/relgate/ci.md")
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


# ---- Every command in the manual; its examples run; the docs installed ---------------

MAN_SECTIONS = {"eval": "EVAL OPTIONS", "render": "RENDER OPTIONS", "test": "TEST OPTIONS",
                "lint": "LINT OPTIONS", "plugins": "PLUGINS OPTIONS", "history": "HISTORY OPTIONS",
                "verify": "VERIFY OPTIONS", "check": "CHECK OPTIONS", "init": "INIT OPTIONS",
                "bundle": "BUNDLE OPTIONS",
                "serve": "SERVE OPTIONS"}


@case("install: relgate(1) has a section for each command's options, holding every option its --help lists")
def _(t):
    text = man_text(t, installed(t))
    missing = {}
    for cmd in commands(t):
        title = MAN_SECTIONS.get(cmd)
        t.check(title, "no manual section is expected for command %s: add it to MAN_SECTIONS" % cmd)
        sec = re.search(r"(?ms)^%s\s*$(.*?)^[A-Z][A-Z ]+$" % re.escape(title), text)
        t.check(sec, "no %s section in relgate(1)" % title, actual=text[:2000])
        gaps = [o for o in help_options(t, cmd)
                if not re.search(r"(?m)^\s+(?:-[a-z], )?" + re.escape(o) + r"\b", sec.group(1))]
        if gaps:
            missing[cmd] = gaps
    t.check(not missing, "options of COMMAND --help not in relgate(1)'s COMMAND OPTIONS", actual=missing)


def man_examples():
    """The command lines of relgate(1)'s EXAMPLES, continuation lines joined."""
    src = (REPO / "docs/relgate.1").read_text()
    block = src.split(".SH EXAMPLES", 1)[1].split(".nf\n", 1)[1].split("\n.fi", 1)[0]
    block = block.replace("\\-", "-").replace("\\e", "\\")
    return [c.strip() for c in re.sub(r"\\\n\s*", " ", block).split("\n") if c.strip()]


@case("install: every example of relgate(1) runs from the source tree (exit 0 or 1, no error)")
def _(t):
    examples = man_examples()
    t.check(len(examples) >= 5, "too few examples parsed from relgate(1)", actual=examples)
    for d in ("policies", "examples"):
        shutil.copytree(REPO / d, Path(t.tmp, d), symlinks=True)
    bindir = Path(t.tmp, "bin")
    bindir.mkdir()
    (bindir / "relgate").symlink_to(cihelp.harness.RELGATE)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")))
    for cmd in examples:
        t.check(cmd.startswith("relgate "), "an example that is not a relgate command", actual=cmd)
        proc = subprocess.run(["bash", "-c", cmd], cwd=t.tmp, env=env, capture_output=True, timeout=120)
        err = proc.stderr.decode("utf-8", "replace")
        t.check(proc.returncode in (0, 1) and "relgate: error" not in err, "a relgate(1) example fails",
                actual={"example": cmd, "exit": proc.returncode, "stderr": err[-1500:]})
        # An example deciding a context of examples/*/*/pass/ allows, as its folder says
        # (round 24: without --now, the examples' 2025 evidence was too old for today).
        if cmd.startswith("relgate eval") and "--context examples/" in cmd and "/pass/context.json" in cmd:
            t.eq(proc.returncode, 0, "a relgate(1) example on a passing context allows: %s" % cmd)


@case("install: the docs --help names are installed in share/doc/relgate, with the CI templates")
def _(t):
    info = installed(t)
    ci = one(t, info["docs"], "share/doc/relgate/ci.md")
    docdir = ci.parent
    res = t.run("--help")
    m = re.search(r"(/\S*/share/doc/relgate)/", res.out)
    t.check(m, "relgate --help does not name share/doc/relgate", actual=res.out)
    t.check(str(docdir).endswith(m.group(1)), "relgate --help names another directory than the one installed",
            expected=m.group(1), actual=str(docdir))
    for name in re.findall(r"([a-z]+\.md)", res.out.split("docs:", 1)[1]):
        t.check((docdir / name).is_file(), "%s, named by relgate --help, is not installed" % name)
    for name in ("examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"):
        t.eq((docdir / name).read_bytes(), (REPO / name).read_bytes(), "installed %s" % name)
    for cmd in ("eval", "render"):
        t.contains(t.run(cmd, "--help").out, m.group(1) + "/ci.md", "relgate %s --help" % cmd)


# ---- Completions: bash fixes, zsh and fish ---------------------------------------------

@case("completion (bash): paths complete as filenames (a directory descends), '-' only when asked for")
def _(t):
    Path(t.tmp, "policies").mkdir()
    t.write("policies/gate.lua", "")
    t.write("release.json", "{}")
    t.eq(complete(t, ["relgate", "eval", "--policy", "pol"]), ["policies"], "COMPREPLY after --policy pol")
    t.eq(complete(t, ["relgate", "eval", "--policy", "policies/"]), ["policies/gate.lua"], "COMPREPLY inside policies/")
    comp = (REPO / "completions/relgate.bash").read_text()
    t.contains(comp, "compopt -o filenames", "the completion (bash adds '/' and no space after a directory)")
    got = complete(t, ["relgate", "eval", "--context", ""])
    t.check("-" not in got and "release.json" in got, "COMPREPLY after --context (no stray '-')", actual=got)
    t.eq(complete(t, ["relgate", "eval", "--context", "-"]), ["-"], "COMPREPLY after --context -")
    t.eq(complete(t, ["relgate", "eval", "--format", "junit=rel"]), ["junit=release.json"], "--format FMT=PATH")
    t.eq(sorted(complete(t, ["relgate", "eval", "--color", ""])), ["always", "auto", "never"], "--color")
    t.eq(complete(t, ["relgate", "render", "rel"]), ["release.json"], "render's decision file")


@case("completion (zsh, fish): installed, parse, and offer every command and option of each --help")
def _(t):
    info = installed(t)
    zsh_file = one(t, info["zsh"], "share/zsh/vendor-completions/_relgate")
    fish_file = one(t, info["fish"], "share/fish/vendor_completions.d/relgate.fish")
    t.eq(zsh_file.read_bytes(), (REPO / "completions/relgate.zsh").read_bytes(), "the installed zsh completion")
    t.eq(fish_file.read_bytes(), (REPO / "completions/relgate.fish").read_bytes(), "the installed fish completion")
    zsh, fish = shutil.which("zsh"), shutil.which("fish")
    if not zsh and not fish:
        t.skip("neither zsh nor fish is installed (Debian: zsh, fish)")
    cmds = commands(t)
    if zsh:
        proc = subprocess.run([zsh, "-n", str(zsh_file)], capture_output=True, timeout=30)
        t.eq(proc.returncode, 0, "zsh -n _relgate (%s)" % proc.stderr.decode()[-500:])
        text = zsh_file.read_text()
        missing = {c: [o for o in help_options(t, c) if not re.search(re.escape(o) + r"[\[},]", text)]
                   for c in cmds}
        t.check(not any(missing.values()), "options missing from the zsh completion",
                actual={c: m for c, m in missing.items() if m})
        for c in cmds:
            t.contains(text, "'%s:" % c, "the zsh command list")
    if fish:
        proc = subprocess.run([fish, "--no-execute", str(fish_file)], capture_output=True, timeout=30)
        t.eq(proc.returncode, 0, "fish --no-execute relgate.fish (%s)" % proc.stderr.decode()[-500:])

        def fish_complete(line):
            p = subprocess.run([fish, "--no-config", "-c", "source %s; complete -C '%s'" % (fish_file, line)],
                               capture_output=True, timeout=30, cwd=t.tmp)
            return [l.split("\t")[0] for l in p.stdout.decode().splitlines()]
        offered = fish_complete("relgate ")
        t.check(all(c in offered for c in cmds), "fish: the commands", actual=offered)
        missing = {}
        for c in cmds:
            got = set(fish_complete("relgate %s --" % c))
            gaps = [o for o in help_options(t, c) if o not in got]
            if gaps:
                missing[c] = gaps
        t.check(not missing, "options fish does not offer", actual=missing)
        t.eq(sorted(fish_complete("relgate eval --stage ")), ["deploy", "post-deploy", "pre-release"], "fish --stage")


if __name__ == "__main__":
    cihelp.main()
