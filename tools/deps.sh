#!/bin/sh
# Checks the Debian packages cx builds and tests with. As root it installs what is missing;
# otherwise it prints the exact install line and fails. `--browser` adds Debian's chromium, which
# the headless-browser test of `cx report` and `make report-png` use (.ci/run passes it).
set -u
BROWSER_PKGS=""
[ "${1:-}" = "--browser" ] && BROWSER_PKGS="chromium"
PKGS="$BROWSER_PKGS build-essential pkg-config liblua5.4-dev lua5.4 libcurl4-openssl-dev libjansson-dev libmd-dev
lua-busted lua-argparse lua-check luarocks clang clang-format libclang-rt-14-dev jq curl git valgrind time
zsh fish"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
        echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
    exit 0
fi
echo "deps: missing Debian packages. Install them with:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
