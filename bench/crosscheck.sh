#!/usr/bin/env bash
# Does relgate (bench/peers.lua through bench/relgate-gate.sh) decide like the peers?  TAP output.
#
#   bench/crosscheck.sh        (make crosscheck; tests/bench runs it as the 'bench' suite's test)
#
# Reference: the jq peer (../shared/peers/jq/gate.sh, Debian's jq). Compared, as the peers' own
# bench/crosscheck.sh does: the decision and the (id, status) of every requirement, on the three sample
# contexts, the 17 edge cases (inputs/edge-cases.jsonl) and the 10,000 generated contexts; and the SARIF
# severity counts (--sarif-counts) of the sample reports and the 48 MB one. Detail texts are not compared.
#
# A line agrees when decision and statuses are equal, or when relgate answers "error" where the peers
# deny with the single result release.type (unknown or missing type, a release or a line that is not
# an object): issue #7 counts relgate's context error as agreeing there.
# Every other disagreement must be one of the documented kinds below; each kind is reported as a TODO
# test (it is a real difference, kept visible) and anything unexplained fails.
#
# Environment: PEERS (default ../shared/peers beside the repository), RELGATE (default build/relgate),
# NOW (2025-06-10T09:00:00Z), DATA (where generated data is kept: default a fresh temporary directory,
# removed at the end; node generates it with the peers' gen/*.js). Skips (TAP SKIP, exit 0) without
# the peers or jq; the 10k contexts and the 48 MB SARIF are skipped without node.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
PEERS=${PEERS:-$repo/../shared/peers}
NOW=${NOW:-2025-06-10T09:00:00Z}
export RELGATE=${RELGATE:-$repo/build/relgate}
gate=$here/relgate-gate.sh
n=0 unexplained=0

if [ ! -f "$PEERS/jq/gate.sh" ]; then
  echo "1..0 # SKIP the peers are not here ($PEERS/jq/gate.sh): nothing to compare with"; exit 0
fi
PEERS=$(cd "$PEERS" && pwd)
if ! command -v jq >/dev/null; then
  echo "1..0 # SKIP jq is not installed (Debian package jq): the jq peer is the reference"; exit 0
fi
if [ ! -x "$RELGATE" ]; then
  echo "Bail out! no relgate binary at $RELGATE (build it first)"; exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/relgate-crosscheck.XXXXXX")
if [ -n "${DATA:-}" ]; then mkdir -p "$DATA"; else DATA=$work/data; mkdir -p "$DATA"; fi
trap 'rm -rf "$work"' EXIT

ok()   { n=$((n + 1)); echo "ok $n - $*"; }
nok()  { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { sed 's/^/# /'; }

# decisions -> one line each: "decision|id:status,..." (relgate: "error|message" for an error)
norm_peer='"\(.decision)|\([.results[] | "\(.id):\(.status)"] | join(","))"'
norm_relgate='if .decision == "error" then "error|\(.error.message // "" | gsub("\\|"; "/"))"
              else "\(.decision)|\([.requirements[] | "\(.id):\(.status)"] | join(","))" end'

# compare LABEL PEER_FILE RELGATE_FILE: classify every line, print TAP
compare() {
  local label=$1 peer=$2 mine=$3 report=$work/$1.report
  if [ "$(wc -l < "$peer")" -ne "$(wc -l < "$mine")" ]; then
    nok "$label: the jq peer gave $(wc -l < "$peer") decisions, relgate $(wc -l < "$mine")"
    unexplained=$((unexplained + 1)); return
  fi
  paste -d '\t' "$peer" "$mine" | awk -F '\t' -v label="$label" -v out="$report" '
    function kind(p, m,   pd, md, pr, mr, i, np, nm, pa, ma, a, b, secerr) {
      if (p == m) return "agree"
      split(p, pa, "|"); split(m, ma, "|"); pd = pa[1]; md = ma[1]
      if (md == "error" && p == "deny|release.type:fail") return "agree-error"
      if (md == "error") {
        # the relgate contract makes these inputs errors (issue 7: such an error counts as
        # agreeing with the deny of the peers): a version that is not SemVer, ill-typed evidence.
        if (pd == "deny" && ma[2] ~ /is not a SemVer 2\.0\.0 version|must be a non-empty path string|"evidence" must be an object/)
          return "agree-contract"
        return "other"
      }
      # same requirements; differences only where relgate says error on a security.* requirement
      np = split(pa[2], pr, ","); nm = split(ma[2], mr, ",")
      if (np != nm || pd != md) return "other"
      secerr = 0
      for (i = 1; i <= np; i++) {
        if (pr[i] == mr[i]) continue
        split(pr[i], a, ":"); split(mr[i], b, ":")
        if (a[1] == b[1] && a[1] ~ /^security\./ && a[2] == "fail" && b[2] == "error") secerr = 1
        else return "other"
      }
      return secerr ? "sarif-error" : "other"
    }
    { k = kind($1, $2); count[k]++; if (k != "agree" && k != "agree-error" && k != "agree-contract") lines[k] = lines[k] (lines[k] == "" ? "" : ",") NR
      if (k == "other" && shown++ < 20) print label ":" NR ": jq peer " $1 "  relgate " $2 > out }
    END { for (k in count) printf "%s %d %s\n", k, count[k], lines[k] }' > "$work/$label.counts"
  local total agree agree_err
  total=$(wc -l < "$peer")
  agree=$(awk '$1 == "agree" {print $2}' "$work/$label.counts"); agree=${agree:-0}
  agree_err=$(awk '$1 == "agree-error" || $1 == "agree-contract" {n += $2} END {print n + 0}' "$work/$label.counts")
  echo "$label $total $((agree + agree_err))" >> "$work/summary"
  while read -r k c where; do
    case $k in
      agree|agree-error|agree-contract) ;;
      # bench/peers.lua sets unrecognised = "fail": an 'error' where the peers fail is a
      # regression now, not a known difference.
      sarif-error) nok "$label: $c line(s) where security.* requirements are 'error' in relgate and 'fail' in the peers"
              unexplained=$((unexplained + c)); echo "lines: $where" | diag ;;
      *) nok "$label: $c line(s) disagree, unexplained"; unexplained=$((unexplained + c))
         echo "lines: $where" | diag; [ -f "$report" ] && diag < "$report" ;;
    esac
  done < "$work/$label.counts"
  if [ "$agree_err" -gt 0 ]; then
    ok "$label: $((agree + agree_err)) of $total agree ($agree_err of them relgate's contract error = the peers' deny: unknown type, not an object, version not SemVer, ill-typed evidence)"
  else
    ok "$label: $agree of $total agree"
  fi
}

# ---- 1. the three samples
: > "$work/summary"
for t in patch minor major; do
  "$PEERS/jq/gate.sh" --now "$NOW" "$PEERS/inputs/$t/context.json" | jq -r "$norm_peer" > "$work/peer.$t"
  "$gate" --now "$NOW" "$PEERS/inputs/$t/context.json" 2>"$work/err.$t" | jq -r "$norm_relgate" > "$work/relgate.$t"
  compare "sample-$t" "$work/peer.$t" "$work/relgate.$t"
done

# ---- 2. the edge cases
"$PEERS/jq/gate.sh" --now "$NOW" --batch "$PEERS/inputs/edge-cases.jsonl" | jq -r "$norm_peer" > "$work/peer.edge"
"$gate" --now "$NOW" --batch "$PEERS/inputs/edge-cases.jsonl" 2>"$work/err.edge" | jq -r "$norm_relgate" > "$work/relgate.edge"
compare edge-cases "$work/peer.edge" "$work/relgate.edge"

# ---- 3. the 10,000 generated contexts (node generates them; deterministic)
contexts=$DATA/contexts-10k.jsonl
if [ ! -s "$contexts" ] && command -v node >/dev/null; then
  node "$PEERS/gen/gen-contexts.js" --count 10000 --out "$contexts.tmp" 2>/dev/null && mv "$contexts.tmp" "$contexts"
fi
if [ -s "$contexts" ]; then
  "$PEERS/jq/gate.sh" --now "$NOW" --batch "$contexts" | jq -r "$norm_peer" > "$work/peer.10k"
  "$gate" --now "$NOW" --batch "$contexts" 2>"$work/err.10k" | jq -r "$norm_relgate" > "$work/relgate.10k"
  compare contexts-10k "$work/peer.10k" "$work/relgate.10k"
elif ! command -v node >/dev/null; then
  skip "contexts-10k: node is not installed: cannot generate the 10,000 contexts (peers' gen/gen-contexts.js)"
else
  skip "contexts-10k: node gen/gen-contexts.js failed: no contexts to compare"
fi

# ---- 4. SARIF severity counts
for t in patch minor major; do
  s=$PEERS/inputs/$t/security-scan.sarif
  a=$("$PEERS/jq/gate.sh" --sarif-counts "$s" | jq -c '{critical, high, medium, low, none}')
  b=$("$gate" --sarif-counts "$s" 2>&1 | jq -c '{critical, high, medium, low, none}' 2>/dev/null)
  if [ "$a" = "$b" ]; then ok "sarif-counts $t: $b"; else nok "sarif-counts $t: jq peer $a, relgate $b"; unexplained=$((unexplained + 1)); fi
done
large=$DATA/large.sarif
if [ ! -s "$large" ] && command -v node >/dev/null; then
  node "$PEERS/gen/gen-sarif.js" --results 50000 --out "$large.tmp" 2>/dev/null && mv "$large.tmp" "$large"
fi
if [ -s "$large" ]; then
  a=$("$PEERS/jq/gate.sh" --sarif-counts "$large" | jq -c '{critical, high, medium, low, none}')
  # What is compared is the counts, not the time: a sanitizer build on a busy box may need
  # more than the default 30 s a check gets for 48 MB.
  b=$(RELGATE_ARGS="--check-timeout 900 --timeout 900" "$gate" --sarif-counts "$large" 2>"$DATA/large.err" |
      jq -c '{critical, high, medium, low, none}' 2>/dev/null)
  if [ "$a" = "$b" ]; then ok "sarif-counts 48 MB: $b"
  else nok "sarif-counts 48 MB: jq peer $a, relgate $b"; diag < "$DATA/large.err"; unexplained=$((unexplained + 1)); fi
elif ! command -v node >/dev/null; then
  skip "sarif-counts 48 MB: node is not installed: cannot generate the report (peers' gen/gen-sarif.js)"
else
  skip "sarif-counts 48 MB: node gen/gen-sarif.js failed"
fi

# ---- summary
read -r total agree < <(awk '{t += $2; a += $3} END {print t + 0, a + 0}' "$work/summary")
if [ "$unexplained" -eq 0 ]; then
  ok "decisions: $agree of $total agree; every other one is a documented difference (TODO above)"
else
  nok "decisions: $agree of $total agree; $unexplained unexplained"
fi
echo "1..$n"
