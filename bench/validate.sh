#!/bin/sh
# Bench: `cx logs validate --strict` over a whole run log against a page-cached `wc -l` on the same
# file, side by side in one interleaved run, with throughput, the ratio to wc -l (the goal: within
# 10x) and peak RSS (the goal: under 32 MiB; pread into bounded buffers, so the page cache is not
# counted in our RSS, and nothing is mapped). Also `cx logs stats` over a window that covers the
# whole file (streamed: its RSS must stay under 32 MiB too) and with its default window.
# Shares the generated 1 GiB log of tail.sh. Knobs: CX_BENCH_LOG_BYTES (default 1 GiB),
# CX_BENCH_RUNS (default 5), CX_BENCH_STATS_RUNS (default 1: the full-window stats decodes every
# row and takes much longer).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/bench"
repo="$out/repo"
log="$repo/.codex/cxlogs/runs.jsonl"
bytes=${CX_BENCH_LOG_BYTES:-1073741824}
runs=${CX_BENCH_RUNS:-5}
stats_runs=${CX_BENCH_STATS_RUNS:-1}
cc=${CC:-cc}

. "$root/bench/lib/runlog_fixture.sh"
runlog_fixture "$repo" "$bytes"

cd "$repo"
cx="$root/bin/cx"
# The generated rows are the reference's 82-key rows: they must validate clean, or the time is of
# a different path (findings).
"$cx" logs validate --strict >"$out/validate.out" || {
    echo "validate.sh: the generated log does not validate clean:" >&2
    tail -5 "$out/validate.out" >&2
    exit 1
}
cat "$log" >/dev/null # page-cached for every command alike
rows=$(wc -l <"$log")
"$out/timeit" "$runs" wc -l "$log" -- "$cx" logs validate --strict -- "$cx" logs stats --json \
    >"$out/validate.times"
"$out/timeit" "$stats_runs" "$cx" logs stats "$rows" --json >"$out/stats.times"
size=$(stat -c %s "$log")
echo "log: $log ($((size / 1048576)) MiB, $rows rows), median of $runs interleaved runs after a warm-up" \
    "($stats_runs for the full-window stats), $(nproc) cores"
{
    printf '%s\n' "wc -l" "cx logs validate --strict" "cx logs stats (200 rows)" |
        paste -d'|' - "$out/validate.times"
    printf '%s|%s\n' "cx logs stats $rows (whole file)" "$(cat "$out/stats.times")"
} | awk -F'|' -v size="$size" '
    { split($2, t, " "); name[NR] = $1; med[NR] = t[1]; rss[NR] = t[4] }
    END {
      printf "%-38s %10s %12s %10s %14s\n", "command", "median ms", "MiB/s", "x wc -l", "peak RSS KiB"
      for (i = 1; i <= NR; i++) {
        tput = (i == 3) ? "(tail)" : sprintf("%.0f", size / 1048576 / (med[i] / 1000))
        printf "%-38s %10.1f %12s %10.2f %14d\n", name[i], med[i], tput, med[i] / med[1], rss[i]
      }
    }'
. "$root/bench/lib/result.sh"
set -- $(sed -n 1p "$out/validate.times")
wc_ms=$1
set -- $(sed -n 2p "$out/validate.times")
bench_result "logs validate over a $((size / 1048576)) MiB log" "cx logs validate --strict" "$1" "wc -l (page-cached)" \
    "$wc_ms" 10 "$4" 32768
set -- $(cat "$out/stats.times")
bench_result "logs stats over the whole log ($rows rows)" "cx logs stats $rows --json" "$1" - - - "$4" 32768
