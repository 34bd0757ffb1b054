#!/usr/bin/env python3
"""The command line is a face on the public API: every file in cli/ includes only
system headers, relgate/*.h and common/ headers (or cli/'s own), and cli/meson.build has
no include path into core/.  TAP output.  usage: test_boundary.py SOURCE_DIR"""
import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1])
cli = src / "cli"
common = {p.name for p in (src / "common").glob("*.h")}
own = {p.name for p in cli.glob("*.h")}
include = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

cases = []


def case(name, problems):
    cases.append((name, problems))


files = sorted(cli.glob("*.[ch]"))
problems = []
for f in files:
    for kind, header in include.findall(f.read_text()):
        if kind == "<":
            if header.startswith("relgate/") or "/" not in header or header.startswith(("sys/", "cjson/", "nettle/")):
                continue   # system headers, system libraries' (relgate serve hashes tokens with Nettle), relgate/*.h
            problems.append("%s: <%s>" % (f.name, header))
        elif not (header.startswith("relgate/") or header in common or header in own):
            problems.append('%s: "%s" is a private header' % (f.name, header))
case("cli/*.c and cli/*.h include system, relgate/*.h, common/ and cli/ headers only (%d files)" % len(files),
     problems if files else ["no files in cli/"])

build = (cli / "meson.build").read_text()
root = (src / "meson.build").read_text()
exe = root[root.index("executable('relgate'"):]
exe = exe[:exe.index("\n\n")]
bad = [line.strip() for line in (build + "\n" + exe).splitlines()
       if "core" in line and "include" in line or "relgate_core_dep" in line]
case("the relgate executable and cli/meson.build have no include path into core/", bad)

# The check itself must be able to fail: a private include is caught.
probe = [h for k, h in include.findall('#include "policy.h"\n#include <relgate/relgate.h>\n')
         if k == '"' and not (h.startswith("relgate/") or h in common or h in own)]
case("the include check catches a private header", [] if probe == ["policy.h"] else ["missed: %r" % probe])

print("TAP version 13")
print("1..%d" % len(cases))
failed = 0
for i, (name, found) in enumerate(cases, 1):
    print("%s %d - %s" % ("not ok" if found else "ok", i, name))
    for p in found:
        print("#   " + p)
    failed |= bool(found)
sys.exit(failed)
