#!/bin/sh
# The scheduler's mechanics alone (bench/sched_bench.c over native/scheduler.c), in simulated
# time: ns per launch (the next()/finish() calls of a whole run, divided by the launches; the
# best of 3 runs) for 100,000 tasks at 16 workers in three workloads, and the peak RSS growth for
# 10,000 queued tasks. Knobs: CX_BENCH_SCHED_TASKS (default 100000).
set -eu
. "$(dirname "$0")/lib/common.sh"
n=${CX_BENCH_SCHED_TASKS:-100000}
cc=${CC:-cc}
$cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/native" -o "$bench_build/sched_bench" \
    "$root/bench/sched_bench.c" "$root/native/scheduler.c" "$root/native/depgraph.c"
b="$bench_build/sched_bench"
printf "%-8s %8s %9s %12s %9s %9s %7s\n" workload tasks launches "ns/launch" "seal ms" complete failed
for w in flat mixed writers; do
    for i in 1 2 3; do "$b" run "$w" "$n" 16; done |
        sort -k4,4n | head -n 1 |
        awk '{ printf "%-8s %8d %9d %12d %9.1f %9d %7d\n", $1, $2, $3, $4, $5, $6, $7 }'
done
"$b" mem 10000 | awk '{ printf "10,000 queued tasks: peak RSS +%d KiB (process peak %d KiB; %d ready, %d waiting)\n", $2, $3, $4, $5 }'
