#!/usr/bin/env python3
"""Policy bundles end to end, over the real binary: `relgate bundle build|digest|lock`,
`extends "NAME@sha256:..."` and relgate.lock, `--policy` on a bundle, `.tar` bundles
(written by relgate, read back by Python's tarfile and GNU tar; hostile ones made with
tarfile refused), the decision naming every bundle, exit codes, and the examples of
docs/policies.md ("Bundles") run as written.

meson runs: python3 test_bundles.py RELGATE
"""

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import harness  # noqa: E402
from harness import REPO, case  # noqa: E402

DOCS = REPO / "docs" / "policies.md"
OCTO = 'policy { name = "octo", version = "3.1.0" }\nlocal f = require "lib.f"\n' \
       'requirement "owner" { title = "O", hint = "h", check = function(ctx) return f.check(ctx) end }\n'
LIB = 'return { check = function(ctx) return pass("bundled lib") end }\n'
TEAM = 'requirement "t" { title = "T", hint = "h", check = function(ctx) return pass("team") end }\n'
CTX = {"release": {"name": "svc", "version": "1.0.0", "type": "patch"}}


def org(t, where="org/octo", octo=OCTO):
    t.write(where + "/octo.lua", octo)
    t.write(where + "/lib/f.lua", LIB)
    t.write_json("release.json", CTX)
    (t.tmp / "team").mkdir(exist_ok=True)


def build(t, *args, code=0):
    res = t.run("bundle", "build", *args)
    t.expect_exit(res, code)
    return res


def pin_of(res):
    """NAME@sha256:HEX, the line relgate bundle prints."""
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)@(sha256:[0-9a-f]{64})\n", res.out)
    if not m:
        raise harness.Failure("relgate bundle did not print NAME@sha256:...", actual=res.out)
    return m.group(1), m.group(2)


def error_message(t, res):
    t.expect_exit(res, 2)
    doc = t.decision(res)
    t.eq(doc["decision"], "error", "decision")
    return doc["error"]["message"]


def doc_block(after, lang):
    """The first ```LANG block of docs/policies.md after the text AFTER."""
    text = DOCS.read_text()
    return text.split(after, 1)[1].split("```%s\n" % lang, 1)[1].split("```", 1)[0]


@case("docs: the Bundles example of docs/policies.md runs as written: its manifest, digest, lock file and decision")
def _(t):
    org(t)
    t.write("team/team.lua", 'extends "octo"\n' + TEAM)
    pin = None
    for line in doc_block("### Bundles: a baseline pinned by digest", "sh").splitlines():
        argv = line.split("#", 1)[0].split()
        t.eq(argv[0], "relgate", "a doc command")
        res = t.run(*argv[1:])
        if argv[1] == "bundle" and argv[2] == "build":
            t.expect_exit(res, 0)
            pin = pin_of(res)
        elif argv[1] == "eval":
            doc = t.expect_decision(res, "allow")
        else:
            t.expect_exit(res, 0)
    # the tar's manifest is the one the docs show, byte for byte; so are the digest and lock
    with tarfile.open(t.tmp / "team/octo.tar") as tar:
        manifest = tar.extractfile("bundle.json").read()
    t.eq(manifest.decode(), doc_block("pins\nevery file by its SHA-256:", "json"), "the manifest the docs show")
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    t.eq(pin, ("octo", digest), "what bundle build printed")
    t.contains(doc_block("A team pins the bundle in one of two ways", "lua"), 'extends "octo@%s"' % digest,
               "the pinned extends of the docs")
    t.eq((t.tmp / "team/relgate.lock").read_text(), doc_block("with the policy naming the bundle alone", "json"),
         "the lock file the docs show")
    t.eq(doc["policy"]["extends"], [{"name": "octo", "version": "3.1.0", "file": "team/octo.tar/octo.lua",
                                     "bundle": {"name": "octo", "version": "3.1.0", "digest": digest}}],
         "policy.extends names the bundle")
    t.eq([r["message"] for r in doc["requirements"]], ["bundled lib", "team"], "the bundle's module ran")


@case("bundle build: a reproducible ustar tar that Python's tarfile and GNU tar read, with the directory's digest")
def _(t):
    org(t)
    a = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "a.tar"))
    b = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "b.tar"))
    t.eq((t.tmp / "a.tar").read_bytes(), (t.tmp / "b.tar").read_bytes(), "two builds of the same files")
    t.eq((a[1], b[0]), (b[1], "b"), "the digest, and the name printed is the tar's")
    t.check(not (t.tmp / "org/octo/bundle.json").exists(), "-o leaves the directory alone")
    with tarfile.open(t.tmp / "a.tar") as tar:
        members = tar.getmembers()
        t.eq([(m.name, m.type, m.mode, m.uid, m.gid, m.mtime) for m in members],
             [(n, tarfile.REGTYPE, 0o644, 0, 0, 0) for n in ("bundle.json", "lib/f.lua", "octo.lua")], "the members")
        t.eq(tar.extractfile("lib/f.lua").read().decode(), LIB, "a member's bytes")
    if shutil.which("tar"):
        listing = subprocess.run(["tar", "tf", str(t.tmp / "a.tar")], capture_output=True, text=True)
        t.eq((listing.returncode, listing.stdout), (0, "bundle.json\nlib/f.lua\nocto.lua\n"), "tar tf")
    # the directory bundle made from the same files has the same digest
    t.eq(pin_of(build(t, "org/octo", "--version", "3.1.0")), ("octo", a[1]), "bundle build DIR")


@case("bundle build: a version is required for a first build, then read from the manifest; bad input is refused")
def _(t):
    org(t)
    res = build(t, "org/octo", code=2)
    t.contains(res.err, "has no bundle.json to take the version from: give --version", "no version")
    first = pin_of(build(t, "org/octo", "--version", "3.1.0"))
    again = pin_of(build(t, "org/octo"))
    t.eq(again, first, "a rebuild of unchanged files")
    m = json.loads((t.tmp / "org/octo/bundle.json").read_text())
    t.eq((m["name"], m["version"], m["policy"], sorted(m["files"])), ("octo", "3.1.0", "octo.lua", ["lib/f.lua", "octo.lua"]),
         "the manifest")
    t.write("org/octo/lib/f.lua", LIB.replace("bundled", "changed"))
    t.check(pin_of(build(t, "org/octo"))[1] != first[1], "a changed file changes the digest")
    res = build(t, "org/octo", "-o", "org/octo/x.tar", code=2)
    t.contains(res.err, "is inside the bundle directory", "a tar written into the bundle")
    res = build(t, "org/octo", "--entry", "none.lua", code=2)
    t.contains(res.err, "the bundle's policy is not among its files", "a missing entry")
    (t.tmp / "org/octo/evil.lua").symlink_to("/etc/passwd")
    res = build(t, "org/octo", code=2)
    t.contains(res.err, "evil.lua is a symbolic link: a bundle holds only regular files", "a symbolic link")
    (t.tmp / "org/octo/evil.lua").unlink()
    t.write("org/octo/bad name.lua", "")
    res = build(t, "org/octo", code=2)
    t.contains(res.err, "a bundle's file names are letters, digits", "a name a bundle cannot hold")
    res = t.run("bundle", "frobnicate")
    t.expect_exit(res, 2)
    t.contains(res.err, "unknown bundle command 'frobnicate'", "an unknown subcommand")


@case("--policy on a bundle (a .tar or a directory): the policy is the bundle, the decision names it")
def _(t):
    org(t)
    name, digest = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "octo.tar"))
    build(t, "org/octo", "--version", "3.1.0")
    for policy, file in (("octo.tar", "octo.tar/octo.lua"), ("org/octo", "org/octo/octo.lua"),
                         ("org/octo/", "org/octo/octo.lua")):
        doc = t.expect_decision(t.eval(policy, "release.json"), "allow")
        t.eq((doc["policy"]["name"], doc["policy"]["version"]), ("octo", "3.1.0"), "the policy, from the manifest")
        t.eq(doc["policy"]["extends"], [{"name": "octo", "version": "3.1.0", "file": file,
                                         "bundle": {"name": "octo", "version": "3.1.0", "digest": digest}}],
             "policy.extends for --policy %s" % policy)
    res = t.eval("octo.tar", "release.json", "--format", "text")
    t.expect_exit(res, 0)
    t.eq(res.out.splitlines()[2], "bundle octo 3.1.0, %s" % digest, "the text format names the bundle")
    digests = {t.decision(t.eval(p, "release.json"))["policy"]["digest"] for p in ("octo.tar", "org/octo")}
    t.eq(len(digests), 1, "the policy digest of the same bundle, as a tar and as a directory")
    res = t.run("lint", "--policy", "octo.tar")
    t.expect_exit(res, 0)
    # pinned by a lock file beside it
    t.write_json("relgate.lock", {"bundles": {"octo": "sha256:" + "0" * 64}})
    msg = error_message(t, t.eval("octo.tar", "release.json"))
    t.contains(msg, "bundle 'octo' is pinned to sha256:%s (in relgate.lock), but octo.tar/bundle.json has %s: refused"
               % ("0" * 64, digest), "a lock mismatch")


@case("a changed byte refuses a bundle: in a tar member, in a directory file, in the manifest")
def _(t):
    org(t)
    _, digest = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "team/octo.tar"))
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")
    good = (t.tmp / "team/octo.tar").read_bytes()
    at = good.index(b"bundled lib")
    t.write("team/octo.tar", good[:at] + b"B" + good[at + 1:])
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "team/octo.tar/lib/f.lua does not match its bundle's manifest", "a changed member")
    at = good.index(b'"3.1.0"')
    t.write("team/octo.tar", good[:at] + b'"3.1.1"' + good[at + 7:])
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle 'octo' is pinned to %s, but team/octo.tar/bundle.json has sha256:" % digest, "a changed manifest")
    (t.tmp / "team/octo.tar").unlink()
    shutil.copytree(t.tmp / "org/octo", t.tmp / "team/octo")
    res = build(t, "team/octo", "--version", "3.1.0")
    t.eq(pin_of(res)[1], digest, "the directory's digest")
    t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")
    t.write("team/octo/octo.lua", OCTO + "-- one more line\n")
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "team/octo/octo.lua does not match its bundle's manifest", "a changed file")
    res = t.run("bundle", "digest", "team/octo")
    t.expect_exit(res, 2)
    t.contains(res.err, "does not match its bundle's manifest", "bundle digest checks the files")
    res = t.run("lint", "--policy", "team/team.lua")
    t.expect_exit(res, 1)
    t.contains(res.out, "does not match its bundle's manifest", "lint reports it")


def hostile(t, name, members, fmt=tarfile.USTAR_FORMAT):
    """A tar bundle made by Python's tarfile: MEMBERS are (name, bytes or None, TarInfo fields)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for m in members:
            info = tarfile.TarInfo(m[0])
            for k, v in (m[2] if len(m) > 2 else {}).items():
                setattr(info, k, v)
            data = m[1]
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    t.write(name, buf.getvalue())
    return buf.getvalue()


@case("hostile .tar bundles are refused before anything runs: links, devices, path tricks, extra and twice-named members")
def _(t):
    t.write_json("release.json", CTX)
    manifest = json.dumps({"name": "evil", "version": "1", "policy": "evil.lua",
                           "files": {"evil.lua": "sha256:" + hashlib.sha256(TEAM.encode()).hexdigest()}}).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    cases = {
        "a symbolic link": ([("lib", None, {"type": tarfile.SYMTYPE, "linkname": "/etc"})], "member lib is a symbolic link"),
        "a hard link": ([("x.lua", None, {"type": tarfile.LNKTYPE, "linkname": "evil.lua"})], "member x.lua is a hard link"),
        "a device": ([("null", None, {"type": tarfile.CHRTYPE})], "member null is a character device"),
        "a parent path": ([("../evil.lua", TEAM.encode())], "member name ../evil.lua is not allowed"),
        "an absolute path": ([("/tmp/evil.lua", TEAM.encode())], "member name /tmp/evil.lua is not allowed"),
        "a member twice": ([("evil.lua", b"return 1\n")], "member evil.lua is in the archive twice"),
        # one file where an archive is unpacked for review on macOS or Windows (round 26, F04)
        "a member twice in another case": ([("EVIL.lua", b"return 1\n")],
                                           "is in the archive twice (in another case)"),
        # Windows drops a trailing '.': one file with evil.lua there (round 27, F03)
        "a name ending in '.'": ([("evil.lua.", b"return 1\n")], "member name evil.lua. is not allowed"),
        "an unlisted member": ([("extra.lua", b"")], "member extra.lua is not in its manifest"),
    }
    for what, (extra, needle) in cases.items():
        hostile(t, "team/evil.tar", [("bundle.json", manifest), ("evil.lua", TEAM.encode())] + extra)
        t.write("team/team.lua", 'extends "evil@%s"\n' % digest)
        msg = error_message(t, t.eval("team/team.lua", "release.json"))
        t.contains(msg, needle, what)
        t.contains(msg, "team/evil.tar", what + ": the bundle named")
    hostile(t, "team/evil.tar", [("bundle.json", manifest), ("evil.lua", TEAM.encode(), {"pax_headers": {"x": "y"}})],
            fmt=tarfile.PAX_FORMAT)
    t.contains(error_message(t, t.eval("team/team.lua", "release.json")), "is a pax extended header", "pax")
    # the good one loads
    hostile(t, "team/evil.tar", [("bundle.json", manifest), ("evil.lua", TEAM.encode())])
    t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")
    t.write("team/evil/bundle.json", manifest)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "both team/evil/ and team/evil.tar are there: keep one", "a directory and a tar of one name")


@case("a bundle directory's file that is a symbolic link out of it is refused, even with the pinned bytes")
def _(t):
    org(t, where="team/octo")
    _, digest = pin_of(build(t, "team/octo", "--version", "3.1.0"))
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    t.write("outside/f.lua", LIB)            # the very bytes the manifest pins
    (t.tmp / "team/octo/lib/f.lua").unlink()
    (t.tmp / "team/octo/lib/f.lua").symlink_to(t.tmp / "outside/f.lua")
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "team/octo/lib/f.lua leads outside the bundle", "a link out")
    (t.tmp / "team/octo/lib/f.lua").unlink()
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "team/octo/lib/f.lua is missing: the bundle's manifest lists it", "a missing file")


@case("relgate.lock: extends \"NAME\" takes the lock's pin; every bundle must be in it; disagreements are refused")
def _(t):
    org(t)
    _, digest = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "team/octo.tar"))
    t.write("team/team.lua", 'extends "octo"\n' + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle 'octo' (team/octo.tar) is not pinned: extends \"octo@sha256:...\"", "an unpinned bundle")
    res = t.run("bundle", "lock", "--lock", "team/relgate.lock", "team/octo.tar")
    t.expect_exit(res, 0)
    t.eq(res.out, "octo@%s\n" % digest, "bundle lock prints the pin")
    doc = t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")
    t.eq(doc["policy"]["extends"][0]["bundle"]["digest"], digest, "the decision names the locked bundle")
    # another entry is kept, names sorted; NAME=PATH names the entry
    res = t.run("bundle", "lock", "--lock", "team/relgate.lock", "base=team/octo.tar")
    t.expect_exit(res, 0)
    t.eq(list(json.loads((t.tmp / "team/relgate.lock").read_text())["bundles"]), ["base", "octo"], "the lock's names")
    # a dotted name, as the docs show it: org.octo=PATH
    shutil.copy(t.tmp / "team/octo.tar", t.tmp / "team/org-octo.tar")
    (t.tmp / "team/org").mkdir()
    shutil.move(str(t.tmp / "team/org-octo.tar"), str(t.tmp / "team/org/octo.tar"))
    t.write("team/dotted.lua", 'extends "org.octo"\n' + TEAM)
    t.expect_exit(t.run("bundle", "lock", "--lock", "team/relgate.lock", "org.octo=team/org/octo.tar"), 0)
    doc = t.expect_decision(t.eval("team/dotted.lua", "release.json"), "allow")
    t.eq(doc["policy"]["extends"][0]["file"], "team/org/octo.tar/octo.lua", "the dotted bundle's entry")
    t.run("bundle", "lock", "--lock", "team/relgate.lock", "base=team/octo.tar")
    t.eq(list(json.loads((t.tmp / "team/relgate.lock").read_text())["bundles"]), ["base", "octo", "org.octo"],
         "the lock's names, sorted")
    # a pin given twice: refused by the gate and by bundle lock (round 26, F03)
    lock = (t.tmp / "team/relgate.lock").read_text()
    t.write("team/relgate.lock", lock.replace('"octo":', '"octo": "sha256:%s", "octo":' % ("2" * 64), 1))
    t.contains(error_message(t, t.eval("team/team.lua", "release.json")), "team/relgate.lock",
               "a lock that pins a bundle twice")
    res = t.run("bundle", "lock", "--lock", "team/relgate.lock", "team/octo.tar")
    t.expect_exit(res, 2)
    t.contains(res.err, "team/relgate.lock", "bundle lock on a lock that pins a bundle twice")
    # a lock file that cannot be read is no lock to start afresh: its pins stay (round 27, F04)
    t.write("team/relgate.lock", lock[:-2] + " " * (1 << 20) + lock[-2:])
    res = t.run("bundle", "lock", "--lock", "team/relgate.lock", "team/octo.tar")
    t.expect_exit(res, 2)
    t.check(len((t.tmp / "team/relgate.lock").read_text()) > (1 << 20), "the unreadable lock file is left as it was")
    # nor is one the loader refuses rewritten into one it takes
    t.write("team/relgate.lock", lock[:-2] + ', "signed_by": "alice"' + lock[-2:])
    t.expect_exit(t.run("bundle", "lock", "--lock", "team/relgate.lock", "team/octo.tar"), 2)
    t.write("team/relgate.lock", lock)
    # the pin in extends and the lock disagree
    t.write("team/team.lua", 'extends "octo@sha256:%s"\n' % ("1" * 64) + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle 'octo' is pinned to sha256:%s by extends, but team/relgate.lock pins %s: refused"
               % ("1" * 64, digest), "extends against the lock")
    # a bundle the lock leaves out
    t.write_json("team/relgate.lock", {"bundles": {"other": digest}})
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle 'octo' is not pinned in team/relgate.lock", "a bundle not in the lock")
    # a lock whose pin differs from the bundle
    t.write_json("team/relgate.lock", {"bundles": {"octo": "sha256:" + "2" * 64}})
    t.write("team/team.lua", 'extends "octo"\n' + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle 'octo' is pinned to sha256:%s (in relgate.lock), but team/octo.tar/bundle.json has %s: refused"
               % ("2" * 64, digest), "the lock against the bundle")
    # malformed lock files
    for bad, needle in (({"bundles": {"octo": "sha256:00"}}, "is pinned to something that is not"),
                        ({"bundles": {}, "extra": 1}, "a lock file is { \"bundles\"")):
        t.write_json("team/relgate.lock", bad)
        t.contains(error_message(t, t.eval("team/team.lua", "release.json")), needle, "a malformed lock")


@case("a bundle holds everything it uses: it extends no other bundle and requires nothing outside itself")
def _(t):
    org(t, octo='extends "other@sha256:%s"\n' % ("3" * 64) + OCTO)
    _, digest = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "team/octo.tar"))
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "bundle team/octo.tar extends bundle 'other': a bundle holds everything it uses", "a nested bundle")
    t.write("team/lib/g.lua", "return {}\n")
    org(t, octo='local g = require "lib.g"\n' + OCTO)
    _, digest = pin_of(build(t, "org/octo", "--version", "3.1.0", "-o", "team/octo.tar"))
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    msg = error_message(t, t.eval("team/team.lua", "release.json"))
    t.contains(msg, "team/octo.tar/lib/g.lua is not in the manifest of bundle team/octo.tar", "a module from outside")


@case("lint knows bundles: a file added to a bundle directory but not pinned, from --policy and through extends")
def _(t):
    org(t, where="team/octo")
    _, digest = pin_of(build(t, "team/octo", "--version", "3.1.0"))
    t.write("team/team.lua", 'extends "octo@%s"\n' % digest + TEAM)
    for policy in ("team/octo", "team/team.lua"):
        res = t.run("lint", "--policy", policy)
        t.expect_exit(res, 0)
    t.write("team/octo/lib/new.lua", "return {}\n")
    for policy in ("team/octo", "team/team.lua"):
        res = t.run("lint", "--policy", policy, "--format", "json")
        t.expect_exit(res, 1)
        t.contains(res.out, "team/octo/lib/new.lua is not in team/octo/bundle.json: it does not load; "
                            "relgate bundle build team/octo pins it", "lint --policy %s" % policy)
    # evaluation is not affected: the unlisted file simply does not load
    t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")


@case("a manifest is strict: an unknown field, a path with '..', a malformed digest, a missing entry are refused")
def _(t):
    org(t, where="team/octo")
    files = {rel: "sha256:" + hashlib.sha256(text.encode()).hexdigest() for rel, text in (("octo.lua", OCTO), ("lib/f.lua", LIB))}
    good = {"name": "octo", "version": "3.1.0", "policy": "octo.lua", "files": files}
    cases = [
        (dict(good, signed_by="alice"), "a bundle manifest has only the fields name, version, policy, files and description"),
        (dict(good, files=dict(files, **{"../x.lua": files["octo.lua"]})), "a bundle's file paths are relative"),
        (dict(good, files=dict(files, **{"octo.lua": "sha256:ABC"})), "every file of a bundle manifest has a digest"),
        (dict(good, policy="none.lua"), "the bundle's policy is not among its files"),
        ({k: v for k, v in good.items() if k != "version"}, "a bundle manifest is {"),
    ]
    cases.append((dict(good, files=dict(files, **{"OCTO.lua": files["octo.lua"]})),
                  "a bundle's file paths differ in more than their case"))
    for manifest, needle in cases:
        data = (json.dumps(manifest) + "\n").encode()
        t.write("team/octo/bundle.json", data)
        t.write("team/team.lua", 'extends "octo@sha256:%s"\n' % hashlib.sha256(data).hexdigest() + TEAM)
        msg = error_message(t, t.eval("team/team.lua", "release.json"))
        t.contains(msg, "team/octo/bundle.json: " + needle, needle)
    # Read strictly, as a context is: "policy" given twice ran the first entry while other
    # readers take the last (round 26, F02); trailing data; a NUL.
    text = json.dumps(good)
    for bad, needle in ((text[:-1] + ', "policy": "lib/f.lua"}', "duplicate"), (text + " {}", "after"),
                        (text.replace('"3.1.0"', '"3.1.0\\u0000x"'), "NUL")):
        data = (bad + "\n").encode()
        t.write("team/octo/bundle.json", data)
        t.write("team/team.lua", 'extends "octo@sha256:%s"\n' % hashlib.sha256(data).hexdigest() + TEAM)
        msg = error_message(t, t.eval("team/team.lua", "release.json"))
        t.contains(msg, "team/octo/bundle.json", "a manifest read strictly: " + needle)
    data = (json.dumps(dict(good, description="the org baseline")) + "\n").encode()
    t.write("team/octo/bundle.json", data)
    t.write("team/team.lua", 'extends "octo@sha256:%s"\n' % hashlib.sha256(data).hexdigest() + TEAM)
    t.expect_decision(t.eval("team/team.lua", "release.json"), "allow")


@case("bundle digest: prints NAME@sha256:... for a directory and a tar; a usage error exits 2")
def _(t):
    org(t)
    _, digest = pin_of(build(t, "org/octo", "--version", "3.1.0"))
    build(t, "org/octo", "-o", "octo.tar")
    for path, name in (("org/octo", "octo"), ("org/octo/", "octo"), ("octo.tar", "octo")):
        res = t.run("bundle", "digest", path)
        t.expect_exit(res, 0)
        t.eq(pin_of(res), (name, digest), "bundle digest %s" % path)
    res = t.run("bundle", "digest")
    t.expect_exit(res, 2)
    res = t.run("bundle", "digest", "nothing.tar")
    t.expect_exit(res, 2)
    t.contains(res.err, "nothing.tar", "the missing bundle named")
    res = t.run("bundle", "--help")
    t.expect_exit(res, 0)
    t.contains(res.out, "relgate bundle build DIR", "the help")


if __name__ == "__main__":
    sys.exit(harness.main())
