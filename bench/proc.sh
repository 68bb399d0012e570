#!/bin/sh
# 1,000 short processes (`printf x`) 16 at a time: cx's event loop (driven from Lua) next to
# `xargs -P 16` running the same command.
set -eu
. "$(dirname "$0")/lib/common.sh"
N=${BENCH_PROC_RUNS:-1000}
C=16
loop_driver proc 20 $C printf x # warm-up
xargs_run() { seq "$N" | xargs -P $C -I{} printf x > /dev/null; }
ours=$(best_of 3 loop_driver proc "$N" $C printf x)
theirs=$(best_of 3 xargs_run)
echo "proc: $N runs at $C: cx loop $(ms $ours) ms, xargs -P $(ms $theirs) ms," \
     "ratio $(ratio $ours $theirs) (target <= 1.30)"
