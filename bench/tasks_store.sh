#!/bin/sh
# Bench: the cost of one task-store update (fresh read under the lock, decode and validate every
# record, encode, write, fsync, rename) on a tasks.json of 10,000 tasks, beside `jq .` parsing and
# printing the same file. run-all batches its claims and final statuses, so one update is paid per
# batch, not per task. Knobs: CX_BENCH_TASKS (default 10000), CX_BENCH_RUNS (default 5).
set -eu
. "$(dirname "$0")/lib/common.sh"
n=${CX_BENCH_TASKS:-10000}
runs=${CX_BENCH_RUNS:-5}
repo="$bench_build/tasks-store-repo"
rm -rf "$repo"
mkdir -p "$repo/.git"
LUA_PATH="$root/scripts/?.lua;$root/scripts/?/init.lua;;" LUA_CPATH="$root/build/lib/?.so;;" \
    lua5.4 "$root/bench/tasks_store_driver.lua" "$repo" "$n" "$runs" >"$bench_build/tasks_store.out"
jq_ns=$(best_of "$runs" sh -c "jq . '$repo/.codex/tasks.json' >/dev/null")
awk -v jq="$(ms "$jq_ns")" '
    $1 == "file" { printf "tasks.json: %d tasks, %.1f MiB\n", $2, $3 / 1048576; next }
    { printf "%-28s %8.1f ms (median of %d)\n", $1, $2, $3 }
    END { printf "%-28s %8s ms (best of runs)\n", "jq . (parse + print)", jq }' "$bench_build/tasks_store.out"
