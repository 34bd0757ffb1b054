#!/bin/sh
# The build options end to end (TAP): -Dtests=false, and the plugin libraries disabled.
# usage: test_options.sh MESON SOURCE_DIR
set -u
meson=$1
src=$2
echo "TAP version 13"
if [ "${RG_SANITIZED:-0}" = 1 ]; then
    echo "1..0 # SKIP the same build as the plain run's: once is enough"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; sed 's/^/# /' "$tmp/log" 2>/dev/null | tail -n 40; }
check() { what=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$what"; else not_ok "$what"; fi; }
# The test names meson registered in build directory $1, one a line.
test_names() { "$meson" introspect --tests "$1" | tr ',' '\n' | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p'; }
echo "1..20"

# The Makefile, run here as on a fresh machine (not inside the make that may run us).
run_make() { nice env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$src" "$@"; }

# 1. -Dtests=false: relgate, its plugins and the SDK, nothing of the tests.  Configured
#    by the Makefile as `make build` and `make demo` do on a machine without cmocka (they
#    install only the build's packages; HAVE_CMOCKA=false stands for that).
b=$tmp/notests
check "make build without cmocka configures -Dtests=false" run_make "$b/build.ninja" BUILD="$b" HAVE_CMOCKA=false
if "$meson" introspect --buildoptions "$b" | grep -Eq '"name": "tests", "value": false'; then
    ok "without cmocka the Makefile's build has tests=false"
else
    "$meson" introspect --buildoptions "$b" | tr '{' '\n' | grep '"name": "tests"' >"$tmp/log" 2>&1
    not_ok "without cmocka the Makefile's build has tests=false"
fi
log=$b/meson-logs/meson-log.txt
if [ -f "$log" ] && ! grep -Eqi 'dependency cmocka|program [^ ]*python' "$log"; then
    ok "-Dtests=false looks for neither cmocka nor Python"
else
    grep -Ei 'dependency cmocka|program [^ ]*python' "$log" >"$tmp/log" 2>&1
    not_ok "-Dtests=false looks for neither cmocka nor Python"
fi
names=$(test_names "$b")
if [ -z "$names" ]; then ok "-Dtests=false registers no test"; else echo "$names" >"$tmp/log"; not_ok "-Dtests=false registers no test"; fi
check "-Dtests=false compiles" nice "$meson" compile -C "$b"
if "$b/relgate" --version >"$tmp/log" 2>&1 && [ -f "$b/plugins/ci/relgate-ci.so" ] &&
   [ -f "$b/plugins/security/relgate-security.so" ] && [ -f "$b/plugins/backup/relgate-backup.so" ] &&
   ! find "$b" -name 'test_*' -type f -perm -u+x | grep -q .; then
    ok "relgate and the three plugins are built, no test executable"
else
    find "$b" -name 'test_*' -type f >>"$tmp/log" 2>&1
    not_ok "relgate and the three plugins are built, no test executable"
fi

# 2. The plugins' libraries and mimalloc disabled (configured only): no security or ci
#    plugin, none of their tests, the suites over the bundled policies skipped.
b=$tmp/noplugins
check "meson setup -Dyajl=disabled -Dexpat=disabled -Dmimalloc=disabled -Dgnutls=disabled" \
    "$meson" setup "$b" "$src" -Dyajl=disabled -Dexpat=disabled -Dmimalloc=disabled -Dgnutls=disabled
names=$(test_names "$b")
if ! echo "$names" | grep -Eq '^(security-|ci-(parsers|check|corpus)$|fuzz-(sarif|trivy|grype|gitlab_sast|ci_|junit|policy|security_check|ci_check))' &&
   echo "$names" | grep -qx 'backup-check' && echo "$names" | grep -qx 'fuzz-backup_check'; then
    ok "no test of the security or ci plugin is registered; the backup plugin's are"
else
    echo "$names" >"$tmp/log"
    not_ok "no test of the security or ci plugin is registered; the backup plugin's are"
fi
if echo "$names" | grep -qx 'cli-skipped' && echo "$names" | grep -qx 'bench-skipped' &&
   ! echo "$names" | grep -qx 'examples'; then
    ok "the suites that run the bundled policies are one skipped test each"
else
    echo "$names" >"$tmp/log"
    not_ok "the suites that run the bundled policies are one skipped test each"
fi
if "$meson" introspect --targets "$b" >"$tmp/targets" 2>"$tmp/log" && ! grep -q 'relgate-security\|relgate-ci' "$tmp/targets" &&
   grep -q 'relgate-backup' "$tmp/targets" && ! grep -q 'lmimalloc\|libmimalloc' "$b/build.ninja"; then
    ok "neither plugin is a target, the backup plugin is; mimalloc is not linked"
else
    not_ok "neither plugin is a target, the backup plugin is; mimalloc is not linked"
fi
if ! grep -q 'relgate-signer' "$tmp/targets" && ! echo "$names" | grep -qx 'dsse\|attest' &&
   ! grep -q 'libgnutls' "$b/build.ninja"; then
    ok "without GnuTLS: no signer module, no signing test, nothing links GnuTLS"
else
    not_ok "without GnuTLS: no signer module, no signing test, nothing links GnuTLS"
fi

# 3. -Dlive=disabled: the ci plugin builds without libcurl (a live source is then an error
#    result).  libcurl is never linked, whatever the option: not into the relgate command,
#    and not into the ci plugin either, which opens it at its first fetch.
b=$tmp/nolive
check "meson setup -Dlive=disabled" "$meson" setup "$b" "$src" -Dlive=disabled -Dtests=false
check "-Dlive=disabled compiles the ci plugin" nice "$meson" compile -C "$b" plugins/ci/relgate-ci
if [ -f "$b/plugins/ci/relgate-ci.so" ] && ! ldd "$b/plugins/ci/relgate-ci.so" | grep -q libcurl &&
   [ -f "$tmp/notests/relgate" ] && ! ldd "$tmp/notests/relgate" | grep -q libcurl &&
   [ -f "$tmp/notests/plugins/ci/relgate-ci.so" ] && ! ldd "$tmp/notests/plugins/ci/relgate-ci.so" | grep -q libcurl; then
    ok "libcurl is linked into neither the relgate command nor the ci plugin (with or without -Dlive)"
else
    { ldd "$b/plugins/ci/relgate-ci.so"; ldd "$tmp/notests/relgate"; ldd "$tmp/notests/plugins/ci/relgate-ci.so"; } >"$tmp/log" 2>&1
    not_ok "libcurl is linked into neither the relgate command nor the ci plugin (with or without -Dlive)"
fi

# 4. The CI templates install what the build needs from the one list (ensure-deps.sh
#    --print-build, and jq: the templates' own jobs read decisions with it) and build
#    without the tests.  tests/ci/test_templates.py runs their steps.
for t in github-actions.yml gitlab-ci.yml; do
    f=$src/examples/ci/$t
    if grep -q 'apt-get install -y -q $(sh "$RELGATE_SRC/scripts/ensure-deps.sh" --print-build) jq$' "$f" &&
       ! grep 'apt-get install' "$f" | grep -qv 'ensure-deps.sh" --print-build) jq$' &&
       grep -q 'meson setup .*-Dtests=false' "$f"; then
        ok "examples/ci/$t installs the build packages (ensure-deps.sh --print-build) and builds with -Dtests=false"
    else
        grep -n 'apt-get install\|meson setup' "$f" >"$tmp/log"
        not_ok "examples/ci/$t installs the build packages (ensure-deps.sh --print-build) and builds with -Dtests=false"
    fi
done

# 5. make and make demo ensure the build's packages only (--build); make check all of
#    them.  A dpkg-query that knows the build's packages alone, and not root (id -u 1000):
#    --build finds nothing missing, the full run names a test package to install.
mkdir -p "$tmp/fakebin"
cat >"$tmp/fakebin/dpkg-query" <<FAKE
#!/bin/sh
for p in \$(sh "$src/scripts/ensure-deps.sh" --print-build); do
    [ "\$p" = "\$3" ] && { echo "install ok installed"; exit 0; }
done
exit 1
FAKE
printf '#!/bin/sh\necho 1000\n' >"$tmp/fakebin/id"
chmod +x "$tmp/fakebin/dpkg-query" "$tmp/fakebin/id"
check "ensure-deps.sh --build: nothing missing when the build's packages are there" \
    env PATH="$tmp/fakebin:$PATH" sh "$src/scripts/ensure-deps.sh" --build
if env PATH="$tmp/fakebin:$PATH" sh "$src/scripts/ensure-deps.sh" >"$tmp/log" 2>&1; then
    not_ok "ensure-deps.sh without --build: the tests' packages are missing too"
elif grep -q 'apt-get install -y.* libcmocka-dev' "$tmp/log"; then
    ok "ensure-deps.sh without --build: the tests' packages are missing too"
else
    not_ok "ensure-deps.sh without --build: the tests' packages are missing too"
fi

# 6. make test and make check, after a make demo on a machine that lacked cmocka: they
#    install it (deps) and turn the tests on in the same build directory.
check "make tests-on turns the tests on in a build made without them" run_make tests-on BUILD="$tmp/notests"
if "$meson" introspect --buildoptions "$tmp/notests" | grep -Eq '"name": "tests", "value": true' &&
   test_names "$tmp/notests" | grep -qx policy && [ -x "$tmp/notests/tests/unit/test_policy" ]; then
    ok "after tests-on: tests=true, the unit tests registered and built"
else
    test_names "$tmp/notests" >"$tmp/log" 2>&1
    not_ok "after tests-on: tests=true, the unit tests registered and built"
fi
exit $failed
