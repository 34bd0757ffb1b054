#!/usr/bin/env python3
"""librelgate exports exactly what include/relgate/relgate.h declares: every symbol
`nm -D --defined-only` lists is a RELGATE_API function of the header, and every such
function is exported.  TAP output.  usage: test_exports.py LIBRELGATE.so RELGATE_H"""
import re
import subprocess
import sys

lib, header = sys.argv[1], sys.argv[2]
text = re.sub(r"/\*.*?\*/", "", open(header).read(), flags=re.S)
text = re.sub(r"^\s*#.*$", "", text, flags=re.M)   # the RELGATE_API definition itself
declared = set(re.findall(r"\bRELGATE_API\b[^;(]*?\b([A-Za-z_]\w*)\s*\(", text))
nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True)
exported = set()
for line in nm.stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "TDBRVWiu":
        exported.add(parts[2])

cases = [
    ("nm -D --defined-only reads %s" % lib, [] if nm.returncode == 0 and exported else [nm.stderr.strip() or "nothing"]),
    ("relgate.h declares RELGATE_API functions (%d)" % len(declared), [] if len(declared) > 40 else ["too few"]),
    ("every exported symbol is declared in relgate.h", sorted(exported - declared)),
    ("every function relgate.h declares is exported", sorted(declared - exported)),
]
print("TAP version 13")
print("1..%d" % len(cases))
failed = 0
for i, (name, problems) in enumerate(cases, 1):
    print("%s %d - %s" % ("not ok" if problems else "ok", i, name))
    for p in problems:
        print("#   " + p)
    failed |= bool(problems)
sys.exit(failed)
