# Shared by the run-log benches (tail.sh, validate.sh): a scratch repository with a generated run log
# of at least BYTES, cached under build/bench/, and the generator and timer binaries.
# Needs $root, $out and $cc set by the sourcing script.

# runlog_fixture REPO BYTES -> builds $out/gen_runlog and $out/timeit; makes REPO a git repository
# whose .codex/cxlogs/runs.jsonl holds at least BYTES (generated once, reused while large enough).
runlog_fixture() {
    fx_repo=$1 fx_bytes=$2
    fx_log="$fx_repo/.codex/cxlogs/runs.jsonl"
    mkdir -p "$fx_repo/.codex/cxlogs"
    [ -e "$fx_repo/.git" ] || git init -q "$fx_repo"
    $cc -O2 -o "$out/gen_runlog" "$root/bench/gen_runlog.c"
    $cc -O2 -o "$out/timeit" "$root/bench/timeit.c"
    fx_have=$(stat -c %s "$fx_log" 2>/dev/null || echo 0)
    if [ "$fx_have" -lt "$fx_bytes" ]; then
        echo "generating $fx_log ($fx_bytes bytes)..."
        "$out/gen_runlog" "$fx_log.tmp" "$fx_bytes"
        mv "$fx_log.tmp" "$fx_log"
    fi
}
