#!/bin/sh
# `make bench`: runs every bench/*.sh (each prints its own comparison) and fails if one fails.
set -u
cd "$(dirname "$0")/.."
status=0
for b in bench/*.sh; do
    [ "$b" = bench/run.sh ] && continue
    echo "== $b"
    sh "$b" || { echo "bench: $b failed" >&2; status=1; }
done
exit $status
