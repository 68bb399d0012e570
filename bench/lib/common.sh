# Shared helpers for the bench scripts (sourced by bench/*.sh; $0 is the sourcing script).
root=$(cd "$(dirname "$0")/.." && pwd)
bench_build="$root/build/bench"
mkdir -p "$bench_build"

now_ns() { date +%s%N; }

# ratio OURS_NS THEIRS_NS -> "1.07"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
ms() { awk -v a="$1" 'BEGIN { printf "%.0f", a / 1e6 }'; }

# best_of K CMD... -> the shortest wall time of K runs of CMD, in ns; fails if a run fails.
best_of() {
    k=$1; shift
    best=0
    while [ "$k" -gt 0 ]; do
        t0=$(now_ns); "$@" || return 1; t1=$(now_ns)
        d=$((t1 - t0))
        if [ "$best" -eq 0 ] || [ "$d" -lt "$best" ]; then best=$d; fi
        k=$((k - 1))
    done
    echo "$best"
}

# The Lua driver through the cx.core module built by `make`.
loop_driver() {
    LUA_CPATH="$root/build/lib/?.so;;" lua5.4 "$root/bench/loop_driver.lua" "$@"
}
