#!/bin/sh
# make report-png: docs/report.png, the picture of `cx report` in the README, taken by headless
# chromium from the real page of `make demo` (run first when build/demo has no report yet).
# Usage: tools/report-png.sh [REPORT.html [OUT.png]]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
page=${1:-}
png=${2:-$root/docs/report.png}
if [ -z "$page" ]; then
    page=$(ls -t "$root"/build/demo/repo/.codex/reports/*.html 2>/dev/null | head -n 1 || true)
    if [ -z "$page" ]; then
        sh "$root/tools/demo.sh" >/dev/null
        page=$(ls -t "$root"/build/demo/repo/.codex/reports/*.html | head -n 1)
    fi
fi
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "report-png: chromium is not installed (sh tools/deps.sh --browser)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --window-size=1180,1000 --screenshot="$png" "file://$page" 2>/dev/null
[ -s "$png" ] || { echo "report-png: chromium wrote no screenshot" >&2; exit 1; }
echo "$png"
