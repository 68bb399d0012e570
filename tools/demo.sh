#!/bin/sh
# make demo: the main job on the embedded default adapter (mock), in a scratch repository.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cx="$root/bin/cx"
work=$(mktemp -d /tmp/cx-demo.XXXXXX)
git init -q "$work"
cd "$work"
echo "demo repository: $work"
"$cx" --version
echo "demo: done"
