#!/usr/bin/env python3
"""Write a libFuzzer dictionary for one fuzz target from the repository's own sources:
the short string literals of the files that read its input (member names, keywords,
formats), quoted as JSON keys where the input is JSON, plus a few fixed tokens.

    dict.py ROOT TARGET OUT
"""
import re
import sys

SOURCES = {
    "json": ["core/json.c"],
    "time": ["common/rfc3339.c"],
    "context": ["core/context.c", "core/waivers.c", "core/evidence.c", "core/policylib.c"],
    "policy": ["core/policy.c", "core/policylib.c", "core/sandbox.c", "plugins/ci/ci.c",
               "plugins/security/security.c", "plugins/backup/backup.c"],
    "sarif": ["plugins/security/sarif.c", "plugins/security/report.c"],
    "trivy": ["plugins/security/trivy.c", "plugins/security/report.c"],
    "grype": ["plugins/security/grype.c", "plugins/security/report.c"],
    "gitlab_sast": ["plugins/security/gitlab.c", "plugins/security/report.c"],
    "ci_github": ["plugins/ci/ci_github.c", "plugins/ci/ci_detect.c", "plugins/ci/ci_state.c"],
    "ci_gitlab": ["plugins/ci/ci_gitlab.c", "plugins/ci/ci_detect.c", "plugins/ci/ci_state.c"],
    "junit": ["plugins/ci/ci_junit.c", "plugins/ci/ci_detect.c"],
    "backup_manifest": ["plugins/backup/manifest.c", "plugins/backup/detect.c", "plugins/backup/bkjson.c"],
    "restic": ["plugins/backup/restic.c", "plugins/backup/detect.c", "plugins/backup/bkjson.c"],
    "borg": ["plugins/backup/borg.c", "plugins/backup/detect.c", "plugins/backup/bkjson.c"],
    "ci_check": ["plugins/ci/ci_github.c", "plugins/ci/ci_gitlab.c", "plugins/ci/ci_junit.c",
                 "plugins/ci/ci_detect.c", "plugins/ci/ci_state.c"],
    "security_check": ["plugins/security/sarif.c", "plugins/security/trivy.c", "plugins/security/grype.c",
                       "plugins/security/gitlab.c", "plugins/security/report.c"],
    "backup_check": ["plugins/backup/manifest.c", "plugins/backup/restic.c", "plugins/backup/borg.c",
                     "plugins/backup/detect.c"],
}
XML = {"junit"}
LUA = {"policy"}
FIXED_JSON = ['{', '}', '[', ']', ':', ',', 'true', 'false', 'null', '"', '\\u0000', '\\ud800',
              '1e999', '-0', '2025-06-10T14:00:00Z', '2025-06-10T14:00:00+02:00', '2025-06-10 14:00:00',
              '"8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"']
FIXED_XML = ['<?xml version="1.0"?>', '<!DOCTYPE x [<!ENTITY a "aaaa">]>', '&a;', '<![CDATA[', ']]>',
             '<testsuites>', '<testsuite', '<testcase', '<failure', '<error', '<skipped', '/>', '</',
             'tests="', 'failures="', 'errors="', 'skipped="', 'time="', 'timestamp="', '&#0;', '&#x10FFFF;']
FIXED_LUA = ['requirement', 'policy', 'extends', 'override', 'disable', 'function', 'end', 'return',
             'local', 'pass(', 'fail(', 'warn(', 'skip(', 'check', 'title', 'hint', 'types', 'stages',
             'level', 'with', 'when', 'require', 'pcall', 'setmetatable', 'string.rep', 'evidence',
             'ctx.release', 'by_type', 'mandatory', 'waivable', 'advisory', 'pre-release', 'deploy',
             'post-deploy', 'patch', 'minor', 'major', '"ci.status"', '"security.scan"', '"backup.present"',
             'while true do end', '{', '}', '..', '::', 'goto']

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.){1,40})"')


def escape(token):
    out = []
    for ch in token.encode("utf-8"):
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append("\\x%02X" % ch)
    return '"' + "".join(out) + '"'


def main():
    root, target, out = sys.argv[1:4]
    words = set()
    for rel in SOURCES.get(target, []):
        try:
            text = open(f"{root}/{rel}", encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        for m in LITERAL.finditer(text):
            lit = m.group(1)
            if "%" in lit or "\\" in lit or " " in lit:
                continue
            if re.fullmatch(r"[A-Za-z0-9_.:/+\-@$]{2,40}", lit):
                words.add(lit)
    tokens = set()
    for w in words:
        if target in XML:
            tokens.update({w, "<" + w, w + '="'})
        elif target in LUA:
            tokens.update({w, '"' + w + '"'})
        else:
            tokens.update({'"' + w + '"', '"' + w + '":'})
    tokens.update(FIXED_XML if target in XML else FIXED_LUA if target in LUA else FIXED_JSON)
    if target in ("ci_check",):
        tokens.update(FIXED_XML)
    with open(out, "w", encoding="ascii") as f:
        for t in sorted(tokens):
            f.write(escape(t) + "\n")


if __name__ == "__main__":
    main()
