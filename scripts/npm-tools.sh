#!/bin/sh
# Install the npm tools the tests run or whose real output they read (jest and jest-junit,
# the CI template linters, Sigstore's verifier: scripts/npm-tools/package.json, pinned by
# its package-lock.json) outside the repository, in
#   $RELGATE_NPM_TOOLS  (default ${XDG_CACHE_HOME:-$HOME/.cache}/relgate/npm-tools).
# Best effort: without npm or without the registry this says why and exits 0, and the
# tests that need these tools skip.  Reinstalls only when the lock file changed.
# --print-dir: print the directory and exit (the tests look there).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${RELGATE_NPM_TOOLS:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/relgate/npm-tools}

if [ "${1:-}" = "--print-dir" ]; then
    echo "$dir"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm-tools: npm is not installed; the tests that need these tools will skip" >&2
    exit 0
fi

lock="$here/npm-tools/package-lock.json"
stamp="$dir/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
    exit 0
fi

mkdir -p "$dir"
cp "$here/npm-tools/package.json" "$lock" "$dir/"
echo "npm-tools: installing the pinned npm test tools into $dir" >&2
if (cd "$dir" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1); then
    cp "$lock" "$stamp"
else
    echo "npm-tools: npm ci failed (no registry?); the tests that need these tools will skip" >&2
fi
exit 0
