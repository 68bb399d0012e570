#!/bin/sh
# Bench: `cx diag --json --window 50` against `tail -n 50` on the same 1 GiB run log, side by side
# in one run (DECISIONS §5: within 5x of tail, under 32 MiB peak RSS), with `cx --version` (the
# host's start-up floor) and `lua5.4 -e ''` (a bare interpreter's) for scale. Median wall time of
# interleaved runs after a warm-up round (the log is page-cached by then); peak RSS from wait4.
# Shares the generated log of tail.sh. Knobs: CX_BENCH_LOG_BYTES (default 1 GiB), CX_BENCH_RUNS
# (default 31). Prints the ratio and a verdict; a missed target is reported, not a failure (the
# figure is a measurement on a shared machine, see docs/performance.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/bench"
repo="$out/repo"
log="$repo/.codex/cxlogs/runs.jsonl"
bytes=${CX_BENCH_LOG_BYTES:-1073741824}
runs=${CX_BENCH_RUNS:-31}
cc=${CC:-cc}

. "$root/bench/lib/runlog_fixture.sh"
runlog_fixture "$repo" "$bytes"
# A repository with a commit: diag's version field then reads HEAD through a ref, as in real use.
git -C "$repo" rev-parse -q --verify HEAD >/dev/null ||
    git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -q --allow-empty -m bench

cd "$repo"
cx="$root/bin/cx"
# The figures mean something only if diag read the 50 rows and saw the commit.
"$cx" diag --json --window 50 >"$out/diag.json"
jq -e --arg sha "$(git rev-parse --short HEAD)" \
    '.scheduler.window_runs == 50 and (.version | endswith("+" + $sha))' "$out/diag.json" \
    >/dev/null || { echo "diag.sh: cx diag did not analyse 50 rows of this repository" >&2; exit 1; }

"$out/timeit" "$runs" tail -n 50 "$log" -- "$cx" diag --json --window 50 -- "$cx" --version -- \
    lua5.4 -e '' >"$out/diag.times"

size_mb=$(( $(stat -c %s "$log") / 1048576 ))
echo "log: $log ($size_mb MiB), median of $runs interleaved runs after a warm-up"
printf '%s\n' "tail -n 50" "cx diag --json --window 50" "cx --version (start-up)" \
    "lua5.4 -e '' (interpreter)" | paste -d'|' - "$out/diag.times" |
    awk -F'|' '
    { split($2, t, " "); l[NR] = $1; med[NR] = t[1]; mn[NR] = t[2]; mx[NR] = t[3]; rss[NR] = t[4] }
    END {
      printf "%-30s %10s %10s %10s %14s %10s\n", "command", "median ms", "min ms", "max ms",
             "peak RSS KiB", "x tail"
      for (i = 1; i <= NR; i++)
        printf "%-30s %10.2f %10.2f %10.2f %14d %10.2f\n", l[i], med[i], mn[i], mx[i], rss[i],
               med[i] / med[1]
      ratio = med[2] / med[1]
      printf "diag vs tail: %.2fx (target <= 5x: %s), peak RSS %.1f MiB (target < 32 MiB: %s)\n",
             ratio, ratio <= 5 ? "met" : "MISSED", rss[2] / 1024, rss[2] < 32768 ? "met" : "MISSED"
      printf "left for policy evaluation within 5x: %.1f ms\n", 5 * med[1] - med[2]
    }'
. "$root/bench/lib/result.sh"
set -- $(sed -n 1p "$out/diag.times")
tail_ms=$1
set -- $(sed -n 2p "$out/diag.times")
bench_result "diag --window 50 on a $size_mb MiB log" "cx diag --json --window 50" "$1" "tail -n 50" "$tail_ms" 5 \
    "$4" 32768
