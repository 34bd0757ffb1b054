#!/bin/sh
# relgate.h's thread-safety promise under ThreadSanitizer: build the engine, the plugins
# and tests/threads with clang -fsanitize=thread in its own build directory and run the
# threads test there (a race report fails it).  Skips, successfully, without clang.
# usage: scripts/test-tsan.sh [BUILD_DIR]   (default build-tsan)
set -eu
dir=${1:-build-tsan}
if ! command -v clang >/dev/null 2>&1; then
    echo "test-tsan: skipped: clang is not installed"
    exit 0
fi
# -Werror as in every build (clang 14 warns about nothing gcc lets through); a build
# directory set up before with -Dwerror=false is switched over.
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false >/dev/null
else
    meson configure "$dir" -Dwerror=true >/dev/null
fi
# relgate serve is threaded too (a thread per connection): its server, built here, runs
# its API, fault and hostile-fault suites (the request-deadline watcher) and the hooks'
# GitHub and GitLab suites (their callback threads) under ThreadSanitizer as well (when
# libmicrohttpd is there).
serve=
if grep -q "relgate-serve" "$dir/build.ninja"; then
    serve="relgate:executable relgate-serve:executable relgate-store-sqlite relgate-signer-gnutls"
fi
# relgate-plugin-host: where every plugin check runs (core/plugin_host_main.c)
meson compile -C "$dir" tests/threads/threads relgate-plugin-host relgate-ci relgate-security relgate-backup $serve >"$dir/threads-compile.log" 2>&1 || { tail -n 30 "$dir/threads-compile.log"; exit 1; }
# halt_on_error: the first race ends the run with exit 66, which fails the test.
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
    meson test -C "$dir" --no-rebuild --print-errorlogs threads-lua ${serve:+serve_api serve_faults serve_hostile_faults hooks-github hooks-gitlab}
