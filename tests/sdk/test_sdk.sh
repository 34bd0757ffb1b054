#!/bin/sh
# The SDK end to end: install relgate into a temporary prefix, build the example
# plugin outside the tree with only `pkg-config relgate-plugin`, and run a gate that
# uses it through --plugin-path.  TAP output.
# usage: test_sdk.sh BUILD_DIR SOURCE_DIR
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
echo "1..5"

if meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/log" 2>&1; then
    ok "meson install into a temporary prefix"
else
    not_ok "meson install into a temporary prefix"
fi

pc=$(find "$tmp/root" -name relgate-plugin.pc | head -n 1)
prefix=$(dirname "$(dirname "$(dirname "$pc")")")    # .../lib/<triplet>/pkgconfig -> prefix
[ -d "$prefix/include" ] || prefix=$(dirname "$prefix")
export PKG_CONFIG_PATH="$(dirname "$pc")"
cflags=$(pkg-config --define-variable=prefix="$prefix" --cflags relgate-plugin 2>"$tmp/log")
plugindir=$(pkg-config --define-variable=prefix="$prefix" --variable=plugindir relgate-plugin 2>>"$tmp/log")
inc=$(echo $cflags | sed 's/^-I//')
if [ -n "$pc" ] && [ -f "$inc/relgate/plugin.h" ] && [ -n "$plugindir" ]; then
    ok "pkg-config relgate-plugin gives the headers and plugindir"
else
    echo "cflags=$cflags plugindir=$plugindir pc=$pc" >>"$tmp/log"
    not_ok "pkg-config relgate-plugin gives the headers and plugindir"
fi

mkdir -p "$tmp/plugins"
# shellcheck disable=SC2086
if cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror $cflags \
      "$src/examples/plugin-sdk/hello.c" -o "$tmp/plugins/relgate-hello.so" >"$tmp/log" 2>&1; then
    ok "the example plugin builds outside the tree"
else
    not_ok "the example plugin builds outside the tree"
fi
chmod 755 "$tmp/plugins" "$tmp/plugins/relgate-hello.so" 2>/dev/null

relgate="$prefix/bin/relgate"
mkdir -p "$tmp/release"
cat >"$tmp/release/context.json" <<'JSON'
{"release": {"name": "svc", "version": "1.0.1", "type": "patch"}, "evidence": {"report": "report.txt"}}
JSON
printf 'all good\n' >"$tmp/release/report.txt"
cat >"$tmp/release/policy.lua" <<'LUA'
requirement "report-present" {
  title = "The report is there",
  check = "hello.size",
  with = { report = evidence "report", min_bytes = 4 },
}
LUA
"$relgate" plugins --plugin-path "$tmp/plugins" >"$tmp/log" 2>&1
if grep -q "hello.size: An evidence file exists" "$tmp/log"; then
    ok "the installed relgate lists the plugin"
else
    not_ok "the installed relgate lists the plugin"
fi

"$relgate" eval --policy "$tmp/release/policy.lua" --context "$tmp/release/context.json" \
    --plugin-path "$tmp/plugins" >"$tmp/out.json" 2>"$tmp/log"
rc=$?
if [ $rc -eq 0 ] && grep -q '"check": "hello.size"' "$tmp/out.json" &&
   grep -q '"message": "report holds 9 bytes"' "$tmp/out.json"; then
    ok "a gate runs the plugin built from the SDK"
else
    cat "$tmp/out.json" >>"$tmp/log"
    echo "exit code $rc" >>"$tmp/log"
    not_ok "a gate runs the plugin built from the SDK"
fi
exit $failed
