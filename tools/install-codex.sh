#!/bin/sh
# Installs the pinned real Codex CLI (npm @openai/codex) into build/codex, for the real-codex spec
# (tests/spec/codex_real_spec.lua). The version is the one docs/testing.md and the captures in
# tests/fixtures/codex/ were made with. Idempotent: does nothing when that version is already there.
# Without npm (or the registry) it only warns and the spec reports itself pending — except in CI
# (CI=true), where the real-codex test is part of the acceptance and a failed install fails the run.
set -u
fail() {
    echo "install-codex: $1" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    echo "install-codex: the real-codex spec will be pending" >&2
    exit 0
}
VERSION="${CX_CODEX_VERSION:-0.169.0}"
cd "$(dirname "$0")/.."
DEST="build/codex"
BIN="$DEST/node_modules/.bin/codex"
PKG="$DEST/node_modules/@openai/codex/package.json"

if [ -x "$BIN" ] && [ -f "$PKG" ] && grep -q "\"version\": *\"$VERSION\"" "$PKG"; then
    echo "install-codex: @openai/codex@$VERSION already in $DEST"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-codex: installing Debian's nodejs and npm" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1 || true
fi
if ! command -v npm >/dev/null 2>&1; then
    fail "npm not found"
fi
mkdir -p "$DEST"
echo "install-codex: npm install @openai/codex@$VERSION into $DEST"
if ! npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error "@openai/codex@$VERSION" >&2; then
    fail "npm install @openai/codex@$VERSION failed"
fi
"$BIN" --version
