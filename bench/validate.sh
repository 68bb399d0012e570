#!/bin/sh
# Bench: `cx logs validate` over a whole run log (streamed, native line checker) against `jq`
# parsing every line, side by side in one run; also `cx logs stats 200 --json` (tail only).
# Throughput is MiB/s of log; the goal is constant memory (< 32 MiB peak RSS) whatever the size.
# Shares the generated log of tail.sh. Knobs: CX_BENCH_VALIDATE_BYTES (default 256 MiB),
# CX_BENCH_RUNS (default 3).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/bench"
repo="$out/validate-repo"
log="$repo/.codex/cxlogs/runs.jsonl"
bytes=${CX_BENCH_VALIDATE_BYTES:-268435456}
runs=${CX_BENCH_RUNS:-3}
cc=${CC:-cc}

. "$root/bench/lib/runlog_fixture.sh"
runlog_fixture "$repo" "$bytes"

cd "$repo"
cx="$root/bin/cx"
"$cx" logs validate >/dev/null || true # the generated rows may lack strict keys: time it anyway
"$out/timeit" "$runs" "$cx" logs validate -- jq -c . "$log" -- "$cx" logs stats 200 --json \
    >"$out/validate.times"
size=$(stat -c %s "$log")
echo "log: $log ($((size / 1048576)) MiB), median of $runs interleaved runs after a warm-up"
printf '%s\n' "cx logs validate" "jq -c . (parse every line)" "cx logs stats 200 --json" |
    paste -d' ' - "$out/validate.times" 2>/dev/null |
    awk -v size="$size" '{
        n = NF; med = $(n - 3); rss = $n; name = ""
        for (i = 1; i <= n - 4; i++) name = name (i > 1 ? " " : "") $i
        if (NR < 3) tput = sprintf("%10.1f MiB/s", size / 1048576 / (med / 1000))
        else tput = sprintf("%16s", "(tail only)")
        printf "%-30s %10.1f ms %s %10d KiB peak RSS\n", name, med, tput, rss
    }'
