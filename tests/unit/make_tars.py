#!/usr/bin/env python3
"""Tar archives for test_tar.c, made by real tools: Python's tarfile, and GNU tar when it
is installed (its archives are then simply not there, and the tests that need them are
not run).  Some hostile archives are a good archive patched where a tool would not go
(a size past the end, base-256, a bad checksum), the header checksum made right again
so that only the patched field is wrong.

usage: make_tars.py DIR
"""

import io
import os
import shutil
import subprocess
import sys
import tarfile

OUT = sys.argv[1]
MANIFEST = b'{"name": "octo", "version": "1.0.0", "policy": "octo.lua", "files": {}}\n'
POLICY = b'requirement "r" { title = "T", hint = "h", check = function(ctx) return pass("ok") end }\n'


def member(tar, name, data=b"", kind=tarfile.REGTYPE, **fields):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 0
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def archive(name, members, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for m in members:
            member(tar, *m[:2], **(m[2] if len(m) > 2 else {}))
    data = buf.getvalue()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return data


def rechecksum(block):
    block = bytearray(block)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def patched(name, data, offset, value, fix_sum=True):
    data = bytearray(data)
    data[offset:offset + len(value)] = value
    if fix_sum:
        data[0:512] = rechecksum(data[0:512])
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes(data))


GOOD = [("bundle.json", MANIFEST), ("lib/", b"", {"type": tarfile.DIRTYPE}), ("lib/f.lua", POLICY)]

good = archive("good.tar", GOOD)
archive("dotslash.tar", [("./", b"", {"type": tarfile.DIRTYPE}), ("./bundle.json", MANIFEST)])
archive("dotdot.tar", [("bundle.json", MANIFEST), ("lib/../../evil.lua", POLICY)])
archive("parent.tar", [("../evil.lua", POLICY)])
archive("absolute.tar", [("/etc/evil.lua", POLICY)])
archive("symlink.tar", [("lib", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc"})])
archive("hardlink.tar", [("a.lua", POLICY), ("b.lua", b"", {"type": tarfile.LNKTYPE, "linkname": "a.lua"})])
archive("chardev.tar", [("null", b"", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3})])
archive("blockdev.tar", [("sda", b"", {"type": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0})])
archive("fifo.tar", [("pipe", b"", {"type": tarfile.FIFOTYPE})])
archive("duplicate.tar", [("octo.lua", POLICY), ("octo.lua", b"return 'second'\n")])
archive("pax.tar", [("bundle.json", MANIFEST, {"pax_headers": {"comment": "x"}})], fmt=tarfile.PAX_FORMAT)
archive("gnu-longname.tar", [("d/" + "x" * 120 + ".lua", POLICY)], fmt=tarfile.GNU_FORMAT)
archive("badchar.tar", [("lib/f\tx.lua", POLICY)])
archive("many.tar", [("f%d.lua" % i, b"") for i in range(40)])
# a size field past the end of the archive, and one far over any limit
patched("huge.tar", good, 124, b"77777777777\0")
patched("past-end.tar", good, 124, b"00000100000\0")
# base-256 (GNU's high bit) is not plain octal
patched("base256.tar", good, 124, b"\x80" + b"\0" * 10 + b"\x10")
# a name changed after the checksum was taken
patched("badsum.tar", good, 0, b"evil.json", fix_sum=False)
# v7: no ustar magic
patched("v7.tar", good, 257, b"\0" * 8)
with open(os.path.join(OUT, "truncated.tar"), "wb") as f:
    f.write(good[:512 + 100])
with open(os.path.join(OUT, "noend.tar"), "wb") as f:
    f.write(good[:512 * 5])
with open(os.path.join(OUT, "trailing.tar"), "wb") as f:
    f.write(good + b"garbage")
with open(os.path.join(OUT, "empty.tar"), "wb") as f:
    f.write(b"")

# GNU tar, from a real directory
tar = shutil.which("tar")
if tar and b"GNU tar" in subprocess.run([tar, "--version"], capture_output=True).stdout:
    src = os.path.join(OUT, "src")
    os.makedirs(os.path.join(src, "lib"))
    with open(os.path.join(src, "bundle.json"), "wb") as f:
        f.write(MANIFEST)
    with open(os.path.join(src, "lib", "f.lua"), "wb") as f:
        f.write(POLICY)
    run = lambda *args: subprocess.run([tar, "--owner=0", "--group=0", "--numeric-owner", *args], check=True)
    run("--format=ustar", "-cf", os.path.join(OUT, "gnu-ustar.tar"), "-C", src, ".")
    run("-cf", os.path.join(OUT, "gnu-default.tar"), "-C", src, "bundle.json", "lib")
    os.symlink("/etc/passwd", os.path.join(src, "lib", "passwd.lua"))
    run("--format=ustar", "-cf", os.path.join(OUT, "gnu-symlink.tar"), "-C", src, ".")
    os.remove(os.path.join(src, "lib", "passwd.lua"))
    os.link(os.path.join(src, "lib", "f.lua"), os.path.join(src, "lib", "g.lua"))
    run("--format=ustar", "-cf", os.path.join(OUT, "gnu-hardlink.tar"), "-C", src, ".")
