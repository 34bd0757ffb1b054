#!/bin/sh
# Embedding end to end: install relgate into a temporary prefix, build examples/embed/gate.c
# outside the tree with only `pkg-config relgate` (the installed relgate.pc and
# librelgate.so.0), and run it on example releases: its verdict and exit code must be
# those their expect.json gives.  TAP output.
# usage: test_embed.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; sed 's/^/# /' "$tmp/log" 2>/dev/null; }

echo "TAP version 13"
echo "1..6"

if meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/log" 2>&1; then
    ok "meson install into a temporary prefix"
else
    not_ok "meson install into a temporary prefix"
fi

pc=$(find "$tmp/root" -name relgate.pc | head -n 1)
libdir=$(dirname "$(dirname "$pc")")
prefix=$(dirname "$libdir")
[ -d "$prefix/include" ] || prefix=$(dirname "$prefix")
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs relgate 2>"$tmp/log")
if [ -n "$pc" ] && [ -f "$libdir/librelgate.so.0" ] && echo "$flags" | grep -q -- '-lrelgate'; then
    ok "pkg-config relgate gives the flags of the installed librelgate.so.0"
else
    echo "flags=$flags pc=$pc libdir=$libdir" >>"$tmp/log"
    not_ok "pkg-config relgate gives the flags of the installed librelgate.so.0"
fi

# A sanitizer build's librelgate needs its runtime first: the program is built with it.
san=""
readelf -d "$libdir/librelgate.so.0" 2>/dev/null | grep -q 'NEEDED.*libasan' && san="-fsanitize=address,undefined"
readelf -d "$libdir/librelgate.so.0" 2>/dev/null | grep -q 'NEEDED.*libtsan' && san="-fsanitize=thread"
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Wextra -Werror $san "$src/examples/embed/gate.c" $flags -o "$tmp/gate" >"$tmp/log" 2>&1; then
    ok "examples/embed/gate.c builds outside the tree"
else
    not_ok "examples/embed/gate.c builds outside the tree"
fi

if readelf -d "$tmp/gate" 2>/dev/null | grep -q 'NEEDED.*librelgate.so.0'; then
    ok "the program links librelgate by its soname"
else
    readelf -d "$tmp/gate" >"$tmp/log" 2>&1
    not_ok "the program links librelgate by its soname"
fi

export LD_LIBRARY_PATH="$libdir"
export RELGATE_PLUGIN_PATH="$libdir/relgate/plugins"
for case in pass ci-failed; do
    dir="$src/examples/minor/pre-release/$case"
    now=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["now"])' "$dir/expect.json")
    want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decision"])' "$dir/expect.json")
    want_rc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exit"])' "$dir/expect.json")
    "$tmp/gate" "$src/policies/octoacme.lua" "$dir/context.json" "$now" >"$tmp/out" 2>"$tmp/log"
    rc=$?
    if [ "$rc" = "$want_rc" ] && head -n 1 "$tmp/out" | grep -qx "verdict: $want"; then
        ok "the embedded gate decides $case as expect.json says ($want, exit $want_rc)"
    else
        { echo "exit $rc, want $want_rc"; cat "$tmp/out"; } >>"$tmp/log"
        not_ok "the embedded gate decides $case as expect.json says ($want, exit $want_rc)"
    fi
done
exit $failed
