#!/bin/sh
# `make bench`: runs every bench/*.sh except this one, in name order. Each prints its own table;
# the run fails if any of them fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$here"/*.sh; do
    name=$(basename "$b")
    [ "$name" = run.sh ] && continue
    echo "== bench ${name%.sh} =="
    sh "$b" || { echo "bench: $name failed" >&2; rc=1; }
done
exit $rc
