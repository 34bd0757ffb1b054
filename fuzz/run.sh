#!/bin/sh
# `make fuzz`: build the libFuzzer targets in a separate build directory (clang,
# -fsanitize=fuzzer,address,undefined, -Dfuzzing=true), seed each corpus from the
# repository's own files (seeds.txt) and the saved regressions, run every target for
# a bounded time, and print what each ran and found.
#
# Environment:
#   FUZZ_BUILD     build directory                    (build-fuzz)
#   FUZZ_SECONDS   seconds per target                 (60)
#   FUZZ_TARGETS   targets to run, space-separated    (all of them)
#   FUZZ_JOBS      targets run at once                (1)
#   FUZZ_TIMEOUT   seconds one input may take         (10)
#   FUZZ_FLAGS     more libFuzzer flags               ("")
#   RG_DIFF_ROUNDS seeds of the batch differential test (20; 0 skips it)
#   RELGATE        the binary it runs                 (build/relgate)
# Exits 1 when any target found a crash, leak, timeout or out-of-memory; its input is
# in $FUZZ_BUILD/artifacts/TARGET/ (copy it to fuzz/regressions/TARGET/ to keep it).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
TIMEOUT=${FUZZ_TIMEOUT:-10}
ALL="json time context policy sarif trivy grype gitlab_sast ci_github ci_gitlab junit backup_manifest restic borg ci_check security_check backup_check tar plugin_records decision_log dsse"
TARGETS=${FUZZ_TARGETS:-$ALL}

# ---- Packages: the project's own, then clang and libFuzzer (as ensure-deps does). ----
scripts/ensure-deps.sh
FUZZ_PACKAGES="clang libclang-rt-14-dev"
missing=""
for p in $FUZZ_PACKAGES; do
    case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "make fuzz needs these Debian packages:$missing" >&2
        echo "install them with:" >&2
        echo "  sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! apt-get install -y -q $missing >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        apt-get install -y -q $missing >/dev/null
    fi
fi

# ---- Build. ----
# -Werror as in every build: clang 14 warns about nothing gcc lets through.  A build
# directory set up before with -Dwerror=false is switched over.
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" -Dfuzzing=true -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
else
    meson configure "$BUILD" -Dwerror=true >/dev/null
fi
build_targets=""
for t in $TARGETS; do
    build_targets="$build_targets fuzz_$t"
    [ "$t" = policy ] && build_targets="$build_targets relgate-ci relgate-security relgate-backup"
done
# shellcheck disable=SC2086
meson compile -C "$BUILD" $build_targets

# ---- Corpora and dictionaries. ----
mkdir -p "$BUILD/corpus" "$BUILD/dict" "$BUILD/logs" "$BUILD/artifacts"
for t in $TARGETS; do
    corpus="$BUILD/corpus/$t"
    mkdir -p "$corpus" "$BUILD/artifacts/$t"
    patterns=$(awk -v t="$t" '$1 == t { $1 = ""; print }' fuzz/seeds.txt)
    for pat in $patterns; do
        for f in $pat; do
            [ -f "$f" ] || continue
            cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"
        done
    done
    if [ -d "fuzz/regressions/$t" ]; then
        for f in "fuzz/regressions/$t"/*; do
            [ -f "$f" ] && cp "$f" "$corpus/regression-$(basename "$f")"
        done
    fi
    python3 fuzz/dict.py "$ROOT" "$t" "$BUILD/dict/$t.dict"
done

# ---- Run. ----
run_one() {
    t=$1
    extra=""
    [ "$t" = policy ] && extra="-close_fd_mask=1"     # policies may print()
    before=$(ls "$BUILD/artifacts/$t" | wc -l)
    echo "fuzzing $t for ${SECONDS_EACH}s ..." >&2
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$BUILD/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t/" -dict="$BUILD/dict/$t.dict" \
        $extra ${FUZZ_FLAGS:-} "$BUILD/corpus/$t" >"$BUILD/logs/$t.log" 2>&1 || true
    echo "$before" >"$BUILD/logs/$t.before"
}
if [ "$JOBS" -gt 1 ]; then
    # JOBS at a time: each run takes the same time, so waiting for the oldest will do.
    pids=""
    for t in $TARGETS; do
        run_one "$t" &
        pids="$pids $!"
        # shellcheck disable=SC2086
        set -- $pids
        if [ $# -ge "$JOBS" ]; then
            wait "$1"
            shift
            pids="$*"
        fi
    done
    wait
else
    for t in $TARGETS; do run_one "$t"; done
fi

# ---- Report. ----
found=0
printf '\n%-16s %12s %10s %8s %7s  %s\n' target executions exec/s corpus cover found
for t in $TARGETS; do
    log="$BUILD/logs/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cover=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
    corpus=$(ls "$BUILD/corpus/$t" | wc -l)
    what="nothing"
    news=$(ls -t "$BUILD/artifacts/$t" | head -n $(( $(ls "$BUILD/artifacts/$t" | wc -l) - $(cat "$BUILD/logs/$t.before") )) | tr '\n' ' ')
    if [ -n "$news" ]; then
        found=1
        kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+[a-z -]*|runtime error: .*|invariant broken: .*' "$log" || echo "see log")
        what="$kind -> $BUILD/artifacts/$t/$news"
    elif ! grep -q '^stat::number_of_executed_units' "$log"; then
        found=1
        what="did not run: see $log"
    fi
    printf '%-16s %12s %10s %8s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "${cover:-?}" "$what"
done
echo
echo "logs: $BUILD/logs/TARGET.log; reproduce: $BUILD/fuzz/fuzz_TARGET FILE; keep a finding: copy it to fuzz/regressions/TARGET/"

# ---- The batch differential test, long: random batches (seeded) against single evaluations. ----
ROUNDS=${RG_DIFF_ROUNDS:-20}
if [ "$ROUNDS" -gt 0 ]; then
    echo "batch differential: $ROUNDS seeds of ${RG_DIFF_LINES:-120} lines ..." >&2
    if RG_DIFF_ROUNDS=$ROUNDS RG_DIFF_LINES=${RG_DIFF_LINES:-120} python3 tests/cli/test_batch_differential.py \
            "${RELGATE:-build/relgate}" 'random batch' >"$BUILD/logs/batch-differential.log" 2>&1; then
        echo "batch differential: $ROUNDS seeds, every line as eval --context decides it"
    else
        found=1
        echo "batch differential: FAILED (the seed to replay, RG_DIFF_SEED, is in $BUILD/logs/batch-differential.log)"
    fi
fi
exit $found
