#!/bin/sh
# `cx task run-all` end to end, side by side in one run (DECISIONS §5, issue 7):
#  1. scheduler overhead: 2,000 mock tasks at 16 workers with random latencies (100-300 ms, from a
#     seed), against the mock's own latency summed over those tasks and divided by 16 (the ideal:
#     16 workers never idle, nothing else costing time); target under 5% over;
#  2. process tasks: 500 tasks on the codex-cli adapter over a trivial fake codex
#     (bench/fake_codex.c), against `xargs -P 16` running that fake with the same prompt; target
#     within 1.3x;
#  3. memory: the RSS of a run-all holding 10,000 queued tasks (one running, the rest waiting), and
#     the peak of a whole run of them (on the mock's virtual clock), beside the same for one task.
# Every run is checked: all tasks complete, one attempt row each. Wall times: median and best of
# BENCH_RUNALL_RUNS (3) runs per side, alternating. Knobs: BENCH_RUNALL_TASKS (2000),
# BENCH_RUNALL_PROCS (500), BENCH_RUNALL_QUEUED (10000), BENCH_RUNALL_LATENCY_MS (100-300).
set -eu
. "$(dirname "$0")/lib/common.sh"
. "$root/bench/lib/result.sh"
N=${BENCH_RUNALL_TASKS:-2000}
P=${BENCH_RUNALL_PROCS:-500}
Q=${BENCH_RUNALL_QUEUED:-10000}
K=${BENCH_RUNALL_RUNS:-3}
LAT=${BENCH_RUNALL_LATENCY_MS:-100-300}
W=16
cx="$root/bin/cx"
cc=${CC:-cc}
[ -x /usr/bin/time ] || sh "$root/tools/deps.sh"
$cc -O2 -o "$bench_build/fake_codex" "$root/bench/fake_codex.c"
fake="$bench_build/fake_codex"

drv() {
    LUA_PATH="$root/scripts/?.lua;$root/scripts/?/init.lua;;" LUA_CPATH="$root/build/lib/?.so;;" \
        lua5.4 "$root/bench/run_all_driver.lua" "$@"
}

repo="$bench_build/runall-repo"
rm -rf "$repo"
mkdir -p "$repo/.git" "$repo/.codex"
unset CX_TASK_ID CX_LLM_BACKEND CX_MODE CX_MOCK_FAIL CX_MOCK_VIRTUAL_CLOCK CX_TIMEOUT_LLM_SECS
export CX_NO_PROGRESS=1 HOME="$repo" CX_MOCK_SEED=7

# run_all TASKS N [env...]: one timed run-all over a fresh copy of TASKS, checked; prints ns.
run_all() {
    tasks=$1 n=$2
    shift 2
    cp "$tasks" "$repo/.codex/tasks.json"
    rm -f "$repo/.codex/cxlogs/runs.jsonl"
    t0=$(now_ns)
    (cd "$repo" && env "$@" "$cx" task run-all --mode mixed --max-workers $W >/dev/null)
    t1=$(now_ns)
    drv check "$repo" "$n"
    echo $((t1 - t0))
}

# side LABEL CMD...: K runs; sets $med and $best (ns)
side() {
    label=$1
    shift
    ts=""
    i=0
    while [ $i -lt "$K" ]; do
        ts="$ts $("$@")" || { echo "bench/run_all.sh: $label: a run failed" >&2; exit 1; }
        i=$((i + 1))
    done
    # shellcheck disable=SC2086 # one argument per run
    med=$(median $ts)
    best=$(printf '%s\n' $ts | sort -n | head -n 1)
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }

# 1. the mock: overhead over the ideal
drv tasks "$repo/tasks.mock" "$N" "Bench objective"
ideal_ms=$(CX_MOCK_LATENCY_MS=$LAT drv ideal "$N" $W)
mock_run() { run_all "$repo/tasks.mock" "$N" CX_PROVIDER_ADAPTER=mock CX_MOCK_LATENCY_MS="$LAT"; }
side "mock" mock_run
echo "run-all: $N mock tasks at $W workers, latency $LAT ms (seeded); median and best of $K (ms); target < +5%"
printf '%-34s %9s %9s   %s\n' "" median best "over the ideal (median, best)"
printf '%-34s %9s %9s\n' "ideal: the mock's latency / $W" "$ideal_ms" "$ideal_ms"
printf '%-34s %9s %9s   %s, %s\n' "cx task run-all --mode mixed" "$(ms "$med")" "$(ms "$best")" \
    "$(pct "$(ms "$med")" "$ideal_ms")" "$(pct "$(ms "$best")" "$ideal_ms")"
mock_med=$med

# 2. process tasks: the codex-cli adapter over the fake, against xargs -P
prompt="$bench_build/runall.prompt"
printf 'Task Objective:\nBench process objective\n\nRespond with concise execution notes and next actions.' \
    >"$prompt"
drv tasks "$repo/tasks.proc" "$P" "Bench process objective"
proc_run() { run_all "$repo/tasks.proc" "$P" CX_PROVIDER_ADAPTER=codex CX_CODEX_BIN="$fake"; }
xargs_run() {
    t0=$(now_ns)
    got=$(seq "$P" | xargs -P $W -I{} "$fake" exec --json - --stdin-file "$prompt" | wc -l)
    t1=$(now_ns)
    [ "$got" -eq $((P * 2)) ] || { echo "xargs: $got lines, not $((P * 2))" >&2; return 1; }
    echo $((t1 - t0))
}
proc_run >/dev/null && xargs_run >/dev/null # warm-up
ts_cx="" ts_x=""
i=0
while [ $i -lt "$K" ]; do
    ts_cx="$ts_cx $(proc_run)" || { echo "bench/run_all.sh: a process run failed" >&2; exit 1; }
    ts_x="$ts_x $(xargs_run)" || { echo "bench/run_all.sh: an xargs run failed" >&2; exit 1; }
    i=$((i + 1))
done
# shellcheck disable=SC2086 # one argument per run
mc=$(median $ts_cx) mx=$(median $ts_x)
# shellcheck disable=SC2086
bc=$(printf '%s\n' $ts_cx | sort -n | head -n 1) bx=$(printf '%s\n' $ts_x | sort -n | head -n 1)
echo "run-all: $P process tasks (codex-cli over bench/fake_codex) at $W; target ratio <= 1.30"
printf '%-34s %9s %9s\n' "" median best
printf '%-34s %9s %9s\n' "cx task run-all --mode mixed" "$(ms "$mc")" "$(ms "$bc")"
printf '%-34s %9s %9s\n' "xargs -P $W (the same fake, prompt)" "$(ms "$mx")" "$(ms "$bx")"
printf '%-34s %9s %9s\n' "ratio" "$(ratio "$mc" "$mx")" "$(ratio "$bc" "$bx")"

# 3. memory. Queued: the first attempt hangs (the test suite's fake codex, scenario hang) and the
# other tasks wait behind it on one worker; VmRSS / VmHWM of cx are read then, and a SIGINT ends
# the run. Whole run: the same tasks on the mock's virtual clock, peak RSS from /usr/bin/time.
drv tasks "$repo/tasks.big" "$Q" "Bench queued objective"
drv tasks "$repo/tasks.one" 1 "Bench queued objective"
queued_rss() {
    cp "$1" "$repo/.codex/tasks.json"
    rm -f "$repo/.codex/cxlogs/runs.jsonl" "$bench_build/runall.hang.pid"
    (cd "$repo" && exec env CX_PROVIDER_ADAPTER=codex CX_CODEX_BIN="$root/tests/fixtures/bin/codex" \
        FAKE_CODEX_SCENARIO=hang FAKE_CODEX_PIDFILE="$bench_build/runall.hang.pid" \
        "$cx" task run-all --mode mixed --max-workers 1 >/dev/null 2>&1) &
    pid=$!
    tries=0
    until [ -s "$bench_build/runall.hang.pid" ]; do
        tries=$((tries + 1))
        [ $tries -lt 3000 ] || { echo "bench/run_all.sh: the first attempt did not start" >&2; kill $pid; return 1; }
        sleep 0.02
    done
    awk '/^VmRSS|^VmHWM/ { printf "%s ", $2 }' "/proc/$pid/status"
    kill -TERM $pid # (a background job of a non-interactive shell ignores SIGINT)
    wait $pid || true
}
full_rss() {
    cp "$1" "$repo/.codex/tasks.json"
    rm -f "$repo/.codex/cxlogs/runs.jsonl"
    (cd "$repo" && CX_PROVIDER_ADAPTER=mock CX_MOCK_VIRTUAL_CLOCK=1 CX_MOCK_LATENCY_MS=$LAT \
        /usr/bin/time -f %M -o "$bench_build/runall.rss" "$cx" task run-all --mode mixed --max-workers $W \
        >/dev/null)
    drv check "$repo" "$2"
    cat "$bench_build/runall.rss"
}
q_big=$(queued_rss "$repo/tasks.big")
q_one=$(queued_rss "$repo/tasks.one")
f_big=$(full_rss "$repo/tasks.big" "$Q")
f_one=$(full_rss "$repo/tasks.one" 1)
echo "run-all memory (KiB): $Q tasks against one task"
printf '%-44s %9s %9s %12s\n' "" "$Q tasks" "1 task" "per task"
# shellcheck disable=SC2086 # "hwm rss" pairs, in /proc/PID/status order
set -- $q_big $q_one
awk -v b="$2" -v o="$4" -v q="$Q" 'BEGIN { printf "%-44s %9d %9d %9.0f B\n", "queued (one running): RSS", b, o, (b - o) * 1024 / q }'
awk -v b="$1" -v o="$3" -v q="$Q" 'BEGIN { printf "%-44s %9d %9d %9.0f B\n", "queued (one running): peak so far", b, o, (b - o) * 1024 / q }'
awk -v b="$f_big" -v o="$f_one" -v q="$Q" 'BEGIN { printf "%-44s %9d %9d %9.0f B\n", "whole run (virtual clock): peak", b, o, (b - o) * 1024 / q }'

# the figures for the table of make bench (bench/run.sh): medians; the scheduler's RSS is the peak of
# the same 2,000 tasks run once more on the virtual clock
bench_result "scheduler overhead: $N mock tasks at $W workers" "cx task run-all --mode mixed" \
    "$(awk -v v="$mock_med" 'BEGIN { printf "%.1f", v / 1e6 }')" "the mock's latency / $W (ideal)" "$ideal_ms" 1.05 \
    "$(full_rss "$repo/tasks.mock" "$N")" -
bench_result "process tasks: $P at $W workers" "cx task run-all (codex-cli, fake codex)" \
    "$(awk -v v="$mc" 'BEGIN { printf "%.1f", v / 1e6 }')" "xargs -P $W (same fake, same prompt)" \
    "$(awk -v v="$mx" 'BEGIN { printf "%.1f", v / 1e6 }')" 1.30 - -
