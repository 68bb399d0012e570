#!/bin/sh
# Bench: the last 50 rows of a 1 GiB run log, side by side in one run: `tail -n 50` against
# `cx log-tail 50 --json`, the native tail reader alone (bench/tail_driver.c), and `cx version`
# (the host's start-up floor). Median wall time over several runs and peak RSS (/usr/bin/time %M).
# The log is generated once and cached under build/bench/.
# Knobs: CX_BENCH_LOG_BYTES (default 1 GiB), CX_BENCH_RUNS (default 15).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/bench"
repo="$out/repo"
log="$repo/.codex/cxlogs/runs.jsonl"
bytes=${CX_BENCH_LOG_BYTES:-1073741824}
runs=${CX_BENCH_RUNS:-15}
cc=${CC:-cc}

[ -x /usr/bin/time ] || sh "$root/tools/deps.sh"
. "$root/bench/lib/runlog_fixture.sh"
runlog_fixture "$repo" "$bytes"
$cc -O2 -D_GNU_SOURCE -I"$root/native" -o "$out/tail_driver" "$root/bench/tail_driver.c" \
    "$root/native/runlog.c" "$root/native/fs.c"

cd "$repo"
cx="$root/bin/cx"

# The three readers must agree before their times mean anything.
tail -n 50 "$log" >"$out/tail.out"
"$out/tail_driver" "$log" 50 >"$out/driver.out"
cmp -s "$out/tail.out" "$out/driver.out" || { echo "tail.sh: tail_driver differs from tail" >&2; exit 1; }
"$cx" log-tail 50 --json >"$out/cx.out"
jq -c '.[]' "$out/cx.out" | cmp -s - "$out/tail.out" || {
    echo "tail.sh: cx log-tail --json differs from tail" >&2; exit 1; }

# All four are timed in one interleaved loop; the RSS column is /usr/bin/time's %M of one more run.
"$out/timeit" "$runs" tail -n 50 "$log" -- "$cx" log-tail 50 --json -- \
    "$out/tail_driver" "$log" 50 -- "$cx" version >"$out/times"
rss() {
    /usr/bin/time -f %M -o "$out/rss" "$@" >/dev/null
    cat "$out/rss"
}
{
    echo "tail -n 50|$(rss tail -n 50 "$log")"
    echo "cx log-tail 50 --json|$(rss "$cx" log-tail 50 --json)"
    echo "tail_driver (native reader)|$(rss "$out/tail_driver" "$log" 50)"
    echo "cx version (start-up floor)|$(rss "$cx" version)"
} | paste -d'|' - "$out/times" >"$out/tail.results"

size_mb=$(( $(stat -c %s "$log") / 1048576 ))
echo "log: $log ($size_mb MiB), last 50 rows, median of $runs interleaved runs after a warm-up"
awk -F'|' '
    { split($3, t, " "); l[NR] = $1; rss[NR] = $2; med[NR] = t[1]; mn[NR] = t[2]; mx[NR] = t[3] }
    END {
      printf "%-30s %10s %10s %10s %14s %10s\n", "command", "median ms", "min ms", "max ms",
             "peak RSS KiB", "x tail"
      for (i = 1; i <= NR; i++)
        printf "%-30s %10.2f %10.2f %10.2f %14d %10.2f\n", l[i], med[i], mn[i], mx[i], rss[i],
               med[i] / med[1]
    }' "$out/tail.results"
