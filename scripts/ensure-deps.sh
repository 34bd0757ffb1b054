#!/bin/sh
# Make sure the Debian 12 packages relgate builds and tests with are installed.
# As root: installs what is missing (a no-op when everything is there).
# Otherwise: prints the exact apt-get line to run and fails.
# --print-build: print what building alone needs (-Dtests=false) and exit; the CI
# templates (examples/ci/) install exactly that (tests/build/test_options.sh checks).
# --build: ensure only those (make, make demo); without it, the tests' too (make check).
set -eu

# Building relgate and its plugins.  Crypto is Nettle (nettle-dev) in the engine;
# libcurl4-gnutls-dev (GnuTLS, built on Nettle) is for the ci plugin only, which opens it
# for live evidence over HTTPS (never libcurl4-openssl-dev: one crypto family), and
# GnuTLS (libgnutls28-dev) for the signer module that only eval --attest and verify load
# (docs/performance.md, "One crypto family").
BUILD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev liblua5.4-dev libcjson-dev nettle-dev libyajl-dev libexpat1-dev libmimalloc-dev libsqlite3-dev libpq-dev libcurl4-gnutls-dev libgnutls28-dev libmicrohttpd-dev"
# The tests: cmocka, Python, and the real tools whose files they read (the archivers
# and compressors whose files the backup plugin's tests cut short; openssl and
# python3-cryptography check signed decisions; shellcheck, zsh and fish check the CI
# templates and the shell completions; the npm tools — Sigstore's verifier, the template
# linters of tests/ci/test_templates.py — install themselves when npm is there, and their
# tests skip otherwise).
TEST_PACKAGES="libcmocka-dev tzdata postgresql python3 python3-jsonschema python3-yaml restic borgbackup borgbackup2 xz-utils bzip2 zstd lz4 zip p7zip-full cpio unicode-data cmake mocha python3-pytest strace man-db libxml2-utils jq clang openssl python3-cryptography shellcheck zsh fish"

if [ "${1:-}" = "--print-build" ]; then
    echo "$BUILD_PACKAGES"
    exit 0
fi
PACKAGES="$BUILD_PACKAGES $TEST_PACKAGES"
[ "${1:-}" = "--build" ] && PACKAGES="$BUILD_PACKAGES"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "relgate needs these Debian packages:$missing" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when the install cannot find a package.
# shellcheck disable=SC2086
if ! apt-get install -y -q $missing >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q $missing >/dev/null
fi
