#!/bin/sh
# `make bench`: runs every bench/*.sh except this one, in name order (BENCH_ONLY="diag report"
# runs only those). Each prints its own table and `bench-result` lines (bench/lib/result.sh);
# at the end the figures of DECISIONS §5 are printed as one table, each next to its comparison,
# measured side by side in this run. The run fails if any bench fails; a missed target is
# reported in the table, not a failure (figures on a shared machine; docs/performance.md).
set -u
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/../build/bench"
results="$here/../build/bench/results.tsv"
: >"$results"
rc=0
for b in "$here"/*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] && continue
    if [ -n "${BENCH_ONLY:-}" ]; then
        case " $BENCH_ONLY " in *" $name "*) ;; *) continue ;; esac
    fi
    echo "== bench $name =="
    status="$here/../build/bench/$name.status"
    { sh "$b"; echo $? >"$status"; } | tee "$here/../build/bench/$name.out" | grep -v '^bench-result	'
    grep '^bench-result	' "$here/../build/bench/$name.out" >>"$results" || true
    [ "$(cat "$status")" = 0 ] || { echo "bench: $name.sh failed" >&2; rc=1; }
done
echo
echo "== DECISIONS §5: every figure next to its comparison, measured side by side in this run =="
sh "$here/lib/table.sh" "$results"
exit $rc
