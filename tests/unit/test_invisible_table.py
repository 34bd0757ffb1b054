#!/usr/bin/env python3
"""common/invisible_table.h is what scripts/gen-invisible.py makes of the Unicode Character
Database on this machine (Debian's unicode-data), and core/markdown_blank_entities.h what it
makes of HTML's named references with it: the tables of what shows nothing are the
database's, not lists kept by hand (hostile round 41a, F08, F09).  TAP; skips without the
database, or when it is of another Unicode version than the one the table was made from.

usage: test_invisible_table.py REPO"""
import importlib.util
import re
import sys
from pathlib import Path

repo = Path(sys.argv[1])
ucd = Path("/usr/share/unicode")
print("TAP version 13")
if not (ucd / "DerivedCoreProperties.txt").exists():
    print("1..0 # SKIP no Unicode Character Database in %s (Debian: unicode-data)" % ucd)
    sys.exit(0)
spec = importlib.util.spec_from_file_location("gen", repo / "scripts" / "gen-invisible.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
committed = (repo / "common" / "invisible_table.h").read_text()
made = gen.header(ucd)
version = lambda text: re.search(r"Database (\S+):", text).group(1)
if version(made) != version(committed):
    print("1..0 # SKIP the table is of Unicode %s, this machine's database %s" % (version(committed), version(made)))
    sys.exit(0)
print("1..3")
ok = made == committed
print("%s 1 - common/invisible_table.h is gen-invisible.py's output for Unicode %s" % ("ok" if ok else "not ok",
                                                                                   version(made)))
if not ok:
    print("# regenerate: python3 scripts/gen-invisible.py > common/invisible_table.h")
listed = {int(m, 16) for m in re.findall(r"\{0x([0-9A-F]+),", committed)}
wanted = {0x00AD, 0x200B, 0x1D173, 0x1BCA0, 0xFFF9, 0x13430, 0xE0001}
print("%s 2 - the format controls hostile round 41a named start or lie in a range" %
      ("ok" if all(any(lo <= cp <= hi for lo, hi in gen.invisible(ucd)) for cp in wanted) else "not ok"))
entities = gen.entities_header(ucd) == (repo / "core" / "markdown_blank_entities.h").read_text()
print("%s 3 - core/markdown_blank_entities.h is gen-invisible.py --entities' output" % ("ok" if entities else "not ok"))
if not entities:
    print("# regenerate: python3 scripts/gen-invisible.py --entities > core/markdown_blank_entities.h")
sys.exit(0 if ok and entities else 1)
