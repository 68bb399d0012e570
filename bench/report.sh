#!/bin/sh
# Bench: `cx report --window 100000` on a log of 100,000 generated rows (the reference's 82-key
# rows of bench/gen_runlog.c, 1.5-2.5 KB each, 16 workers), side by side with `jq -c .tool` reading
# the same file once (every row parsed, nothing drawn): median wall time of interleaved runs and
# peak RSS (bench/timeit.c). The page must account for every attempt (bins of crowded lanes
# included). Knobs: CX_BENCH_REPORT_ROWS (default 100000), CX_BENCH_REPORT_RUNS (default 3).
set -eu
. "$(dirname "$0")/lib/common.sh"
. "$root/bench/lib/result.sh"
out="$bench_build"
rows=${CX_BENCH_REPORT_ROWS:-100000}
runs=${CX_BENCH_REPORT_RUNS:-3}
cc=${CC:-cc}
$cc -O2 -o "$out/gen_runlog" "$root/bench/gen_runlog.c"
$cc -O2 -o "$out/timeit" "$root/bench/timeit.c"
repo="$out/report-repo"
log="$repo/.codex/cxlogs/runs.jsonl"
mkdir -p "$repo/.codex/cxlogs"
[ -e "$repo/.git" ] || git init -q "$repo"
if [ ! -f "$log" ] || [ "$(wc -l <"$log")" -ne "$rows" ]; then
    # 2.6 KB a row at most: enough bytes for the rows wanted, then exactly the last $rows of them
    "$out/gen_runlog" "$log.gen" $((rows * 2600))
    tail -n "$rows" "$log.gen" >"$log"
    rm -f "$log.gen"
fi
cx="$root/bin/cx"
page="$out/report-100k.html"
cd "$repo"
"$cx" report --window "$rows" --json --out "$page" >"$out/report.json"
jq -e --argjson n "$rows" '.rows == $n and .attempts == $n' "$out/report.json" >/dev/null ||
    { echo "report.sh: cx report did not cover $rows rows" >&2; exit 1; }
drawn=$(grep -o 'data-n="[0-9]*"' "$page" | tr -dc '0-9\n' | awk '{ s += $1 } END { print s }')
[ "$drawn" -eq "$rows" ] || { echo "report.sh: the page draws $drawn attempts, not $rows" >&2; exit 1; }

"$out/timeit" "$runs" "$cx" report --window "$rows" --out "$page" -- jq -c .tool "$log" >"$out/report.times"
size_mb=$(( $(stat -c %s "$log") / 1048576 ))
kib=$(( $(stat -c %s "$page") / 1024 ))
set -- $(sed -n 1p "$out/report.times")
cx_ms=$1 cx_rss=$4
set -- $(sed -n 2p "$out/report.times")
jq_ms=$1 jq_rss=$4
echo "report: $rows rows ($size_mb MiB, $(jq -r '.lanes | length' "$out/report.json") lanes, $(jq -r .binned_lanes "$out/report.json") drawn as density bins), page $kib KiB; median of $runs"
printf '%-36s %10s %14s\n' command "median ms" "peak RSS KiB"
printf '%-36s %10.1f %14d\n' "cx report --window $rows" "$cx_ms" "$cx_rss" "jq -c .tool (parse every row)" "$jq_ms" "$jq_rss"
bench_result "report on $rows rows" "cx report --window $rows" "$cx_ms" "jq -c .tool (same file)" "$jq_ms" - \
    "$cx_rss" -
