#!/bin/sh
# relgate behind the peers' command line (../shared/peers/README.md, "One command line for every gate"),
# so that the peers' scripts and bench/bench.sh measure it the same way as the peers:
#
#   relgate-gate.sh [--now ISO] [--policy FILE.lua] CONTEXT.json        one decision; exit 0 allow, 1 deny, 2 error
#   relgate-gate.sh [--now ISO] [--policy FILE.lua] --batch FILE.jsonl  one compact decision per line, in order
#   relgate-gate.sh [--policy FILE.lua] --sarif-counts FILE.sarif      {"critical":…,"high":…,"medium":…,"low":…,"none":…}
#
# e.g.  EXTRA_GATES="relgate=$PWD/bench/relgate-gate.sh" ../shared/peers/bench/bench.sh
#
# The policy is bench/peers.lua (the peers' 14 requirements, parameters copied from their policy.json);
# --policy takes another relgate policy (.lua), not the peers' policy.json. Decisions are relgate's own
# JSON (`requirements[]` with id and status); RELGATE_GATE_FORMAT=peers rewrites them, with jq, into the
# peers' shape ({release, version, type, decision, results: [{id, status, detail}]}, a relgate error as
# deny with the single result release.type) for the peers' bench/crosscheck.sh. That costs a jq process:
# leave it unset when measuring.
#
# --sarif-counts runs bench/sarif-counts.lua: one requirement, the security.scan plugin on the report
# with no limit; the counts are read from its details (relgate's own counts: critical, high, medium,
# low, none, and unknown, which SARIF never produces).
#
# Evidence paths: the peers resolve them against the context's (or the JSONL file's) directory with no
# root, and accept absolute paths (their 10k contexts use them). relgate refuses absolute evidence paths
# and paths that leave --evidence-root. So this runs relgate with --evidence-root / and, where a context
# names evidence by an absolute path, rewrites "/x" into "../../x" (as many ../ as the directory is
# deep) with sed, feeding the result on stdin from that directory: same files, relative paths.
#
# POSIX sh on purpose (dash starts in well under a millisecond, bash takes ~2 ms here): the single
# decision path forks nothing before it execs relgate, as it is timed as a cold start.
#
# Environment: RELGATE (default: build/relgate of this repository), RELGATE_ARGS (extra eval options,
# split on blanks, e.g. "-j 1"), RELGATE_GATE_FORMAT (see above).
set -u
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
case $here in /*) ;; *) here=$PWD/$here ;; esac
relgate=${RELGATE:-$here/../build/relgate}
policy=$here/peers.lua
now=
mode=single
usage() { sed -n '5,7s/^# *//p' "$here/relgate-gate.sh" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --now) [ $# -ge 2 ] || usage; now=$2; shift 2 ;;
    --policy) [ $# -ge 2 ] || usage; policy=$2; shift 2 ;;
    --batch) mode='batch'; shift ;;
    --sarif-counts) mode='counts'; shift ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
input=$1
case $policy in
  *.lua) ;;
  *) echo "relgate-gate.sh: --policy must be a relgate policy (.lua); the peers' policy.json is copied into bench/peers.lua" >&2; exit 2 ;;
esac
case $policy in /*) ;; *) policy=$PWD/$policy ;; esac
case $input in */*) dir=${input%/*} base=${input##*/} ;; *) dir=. base=$input ;; esac
[ -n "$dir" ] || dir=/
[ -r "$input" ] || { echo "relgate-gate.sh: cannot read $input" >&2; exit 2; }
cd -P "$dir" || exit 2
# ../ once per component of the (physical) directory: "/x" from here is "$up"x
up='' d=$PWD
while [ "$d" != / ] && [ -n "$d" ]; do up=$up../; d=${d%/*}; done
abs2rel="s#(\"(ci_status|security_scan|release_notes|backup_manifest)\"[[:space:]]*:[[:space:]]*\")/#\\1$up#g"
if [ -n "$now" ]; then set -- --now "$now"; else set --; fi
# shellcheck disable=SC2086
set -- "$@" ${RELGATE_ARGS:-}

peers_format() {   # relgate's decisions (JSON lines or one document) -> the peers' shape
  jq -c 'if .decision == "error"
      then {release: null, version: null, type: null, decision: "deny",
            results: [{id: "release.type", status: "fail", detail: "relgate error: \(.error.message // "?")"}]}
      else {release: .release.name, version: .release.version, type: .release.type, decision,
            results: [.requirements[] | {id, status, detail: .message}]} end'
}

# run relgate with "$@"; with RELGATE_GATE_FORMAT=peers through peers_format, keeping relgate's status
run() {
  if [ "${RELGATE_GATE_FORMAT:-}" = peers ]; then
    status=$(mktemp) || exit 2
    { "$relgate" eval "$@"; echo $? > "$status"; } | peers_format
    rc=$(cat "$status"); rm -f "$status"
    exit "${rc:-2}"
  fi
  exec "$relgate" eval "$@"
}

case $mode in
  counts)
    # One relgate decision whose only requirement runs security.scan on the report; its counts.
    out=$(printf '{"release":{"name":"sarif-counts","version":"0.0.0","type":"patch"},"evidence":{"scan":"%s"}}\n' \
            "$base" | "$relgate" eval --policy "$here/sarif-counts.lua" --context - --evidence-root . \
                        --now 2025-06-10T09:00:00Z "$@")
    rc=$?
    # fail_on none: anything but pass means the report was not counted (unreadable, too large, not SARIF)
    case $out in
      *'"status": "pass"'*) ;;
      *) printf '%s\n' "$out" | grep -m1 '"message"' >&2; exit 2 ;;
    esac
    # the first "counts" object of the decision: the (only) report's
    counts=$(printf '%s\n' "$out" | awk '
      /"counts": \{/ { on = 1; next }
      on && /\}/ { exit }
      on { gsub(/[ ",]/, ""); split($0, kv, ":"); v[kv[1]] = kv[2] }
      END { if ("critical" in v) printf "{\"critical\":%s,\"high\":%s,\"medium\":%s,\"low\":%s,\"none\":%s}\n", v["critical"], v["high"], v["medium"], v["low"], v["none"] }')
    if [ -z "$counts" ] || [ "$rc" -eq 2 ]; then printf '%s\n' "$out" >&2; exit 2; fi
    printf '%s\n' "$counts"
    exit 0 ;;
  batch)
    # the pipeline's status is relgate's (the last command); sed cannot fail on a readable file
    if [ "${RELGATE_GATE_FORMAT:-}" = peers ]; then
      sed -E "$abs2rel" "$base" | run --policy "$policy" --batch - --evidence-root / "$@"
    else
      sed -E "$abs2rel" "$base" | "$relgate" eval --policy "$policy" --batch - --evidence-root / "$@"
    fi ;;
  single)
    # absolute evidence paths? (read with the builtin: no process on this path)
    abs=
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        *'"ci_status"'*:*'"/'*|*'"security_scan"'*:*'"/'*|*'"release_notes"'*:*'"/'*|*'"backup_manifest"'*:*'"/'*)
          abs=1; break ;;
      esac
    done < "$base"
    if [ -n "$abs" ]; then
      if [ "${RELGATE_GATE_FORMAT:-}" = peers ]; then
        sed -E "$abs2rel" "$base" | run --policy "$policy" --context - --evidence-root / "$@"
      else
        sed -E "$abs2rel" "$base" | "$relgate" eval --policy "$policy" --context - --evidence-root / "$@"
      fi
    else
      run --policy "$policy" --context "$base" --evidence-root / "$@"
    fi ;;
esac
