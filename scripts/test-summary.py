#!/usr/bin/python3
"""Print one closing line over the meson test logs of the given build directories:
'check: N passed, N failed, N skipped'.  A TAP test counts each of its test points;
any other test counts once."""
import json
import pathlib
import re
import sys

POINT = re.compile(r"^(not )?ok\b")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b", re.IGNORECASE)

passed = failed = skipped = 0
for build in sys.argv[1:]:
    log = pathlib.Path(build, "meson-logs", "testlog.json")
    if not log.exists():
        failed += 1
        print(f"check: no test log in {build}", file=sys.stderr)
        continue
    for line in log.read_text().splitlines():
        test = json.loads(line)
        points = [(POINT.match(l), DIRECTIVE.search(l)) for l in (test.get("stdout") or "").splitlines()]
        points = [(m, d) for m, d in points if m]
        result = test.get("result")
        if points and result not in ("TIMEOUT", "ERROR"):
            for m, d in points:
                if d:
                    skipped += 1
                elif m.group(1):
                    failed += 1
                else:
                    passed += 1
            if result == "FAIL" and not any(m.group(1) and not d for m, d in points):
                failed += 1  # the runner failed beyond its test points
        elif result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"check: {passed} passed, {failed} failed, {skipped} skipped")
