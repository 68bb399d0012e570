#!/bin/sh
# `make fuzz`: builds libFuzzer targets with ASan + UBSan (clang), runs each for FUZZ_SECONDS
# (default 60) and prints the number of runs and the findings. Exits 1 on a finding.
# FUZZ_TARGET is one or more of (default: all four, one after the other):
#   envelope  native/envelope.c (seeded from tests/fixtures/envelopes/cases.json and the codex captures)
#   logcheck  native/logcheck.c (differential against jansson) and the whole-file validator,
#             seeded from the broken-log corpus tests/fixtures/logs/
#   runlog    the run-log readers of native/runlog.c: forward reader vs the file, tail vs forward
#   schema    the schema compiler and validator (scripts/cx/schema/*.lua) in an embedded Lua host,
#             seeded from the builtin schemas
#   FUZZ_SECONDS=600 make fuzz    FUZZ_JOBS=4 make fuzz (parallel)    FUZZ_TARGET=logcheck make fuzz
# The corpus grows in build/fuzz/<target>/corpus across runs; crashes land in .../findings.
set -u
cd "$(dirname "$0")/.." || exit 1
TARGETS=${FUZZ_TARGET:-envelope logcheck runlog schema}
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
CC=${FUZZ_CC:-clang}
ROOT=$(pwd)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
status_all=0

for TARGET in $TARGETS; do
OUT=${FUZZ_DIR:-build/fuzz}/$TARGET
[ -f "native/fuzz_$TARGET.c" ] || { echo "fuzz: no native/fuzz_$TARGET.c" >&2; exit 2; }
mkdir -p "$OUT/corpus" "$OUT/seeds" "$OUT/findings"

# The sources of a target: the Lua host links the whole native library and Lua.
pkgs=jansson
case "$TARGET" in
    schema)
        srcs="native/fuzz_schema.c $(ls native/*.c | grep -v -e '/main\.c$' -e '/fuzz_')"
        pkgs="lua5.4 libcurl jansson libcrypto" ;;
    runlog) srcs="native/fuzz_runlog.c native/runlog.c native/fs.c" ;;
    logcheck) # also drives the whole-file validator (threads, pread)
        srcs="native/fuzz_logcheck.c native/logcheck.c native/buf.c native/json_write.c
              native/logvalidate.c native/runlog.c native/fs.c -Itests/native -pthread" ;;
    *) srcs="native/fuzz_$TARGET.c native/$TARGET.c native/buf.c native/json_write.c" ;;
esac
# shellcheck disable=SC2086
$CC $flags -std=c11 -D_GNU_SOURCE -DCX_VERSION='"fuzz"' -Inative $(pkg-config --cflags $pkgs) \
    -o "$OUT/fuzz_$TARGET" $srcs $(pkg-config --libs $pkgs) -lm ||
    { echo "fuzz: build failed (needs clang and libclang-rt-14-dev)" >&2; exit 1; }

# Envelope seeds: the first byte selects the format (index + 6 * chunking pattern), see
# native/fuzz_envelope.c; the rest is a corpus body.
fmt_index() {
    case "$1" in text) echo 0 ;; json) echo 1 ;; jsonl) echo 2 ;; codex) echo 3 ;; openai) echo 4 ;;
        ollama) echo 5 ;; *) echo 0 ;; esac
}
cases=tests/fixtures/envelopes/cases.json
if [ "$TARGET" = envelope ] && [ -f "$cases" ]; then
    jq -r '.[] | "\(.format) \(.file)"' "$cases" | while read -r fmt file; do
        i=$(fmt_index "$fmt")
        for pat in 0 5; do
            b=$((i + 6 * pat))
            { printf "\\$(printf '%03o' "$b")"; cat "tests/fixtures/envelopes/$file"; } \
                >"$OUT/seeds/$(basename "$file").$pat"
        done
    done
    for f in tests/fixtures/codex/*.jsonl; do
        [ -f "$f" ] || continue
        { printf '\003'; cat "$f"; } >"$OUT/seeds/codex.$(basename "$f")"
        { printf '\002'; cat "$f"; } >"$OUT/seeds/jsonl.$(basename "$f")"
    done
fi
if [ "$TARGET" = runlog ]; then
    printf '\001{"a":1}\n{"b":2}\r\n\n  \n{"torn' >"$OUT/seeds/mixed"
    printf '\077line\nline\n' >"$OUT/seeds/plain"
    head -c 2000 tests/fixtures/codex/ok.stdout.jsonl 2>/dev/null | { printf '\005'; cat; } >"$OUT/seeds/codex"
fi
if [ "$TARGET" = schema ]; then
    # the builtin schemas, each with a document it accepts and one it does not
    CX_FUZZ_SEEDS="$OUT/seeds" lua5.4 -e '
        package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
        package.cpath = "build/lib/?.so;" .. package.cpath
        local b = require "cx.schema.builtin"
        for _, name in ipairs(b.names()) do
          for i, doc in ipairs({ "{}", "{\"commands\":[\"ls\"]}", "[1,\"x\",null]" }) do
            local f = assert(io.open(os.getenv("CX_FUZZ_SEEDS") .. "/" .. name .. i, "wb"))
            f:write(b.texts[name], "\0", doc)
            f:close()
          end
        end' 2>/dev/null || echo "fuzz: schema seeds need build/lib/cx/core.so (make all)" >&2
    printf '{"$ref":"#"}\000{}' >"$OUT/seeds/selfref"
    printf '{"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}\000{"next":{"next":{}}}' >"$OUT/seeds/recursive"
    printf '{"type":"string","pattern":"^[a-z]+(-[0-9]{2,4})?$"}\000"ab-123"' >"$OUT/seeds/regex"
    export CX_FUZZ_SCRIPTS="$ROOT/scripts"
fi
# Log seeds: the broken-log corpus, each file whole (lines and the file as a log).
if [ "$TARGET" = logcheck ]; then
    for f in tests/fixtures/logs/*.jsonl; do
        [ -f "$f" ] && cp "$f" "$OUT/seeds/"
    done
fi
n=$(find "$OUT/seeds" -type f | wc -l)
echo "fuzz: fuzz_$TARGET, $n seeds, ${SECONDS_BUDGET}s, $JOBS job(s), corpus $OUT/corpus"

log="$OUT/fuzz.log"
touch "$OUT/.run-start"
extra=""
[ "$JOBS" -gt 1 ] && extra="-jobs=$JOBS -workers=$JOBS"
# Run inside $OUT: with -jobs libFuzzer writes fuzz-N.log files into the working directory, and
# the main log repeats each job's log (final stats included), so runs are counted from it alone.
# shellcheck disable=SC2086
(cd "$OUT" && rm -f fuzz-*.log && "./fuzz_$TARGET" corpus seeds \
    -max_total_time="$SECONDS_BUDGET" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=findings/ $extra >fuzz.log 2>&1)
status=$?
runs=$(grep -a -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
findings=$(find "$OUT/findings" -type f -newer "$OUT/.run-start" | wc -l)
echo "fuzz: $runs runs, $findings new finding(s) in $OUT/findings (log: $log)"
if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
    grep -a -h -A12 -E "^==[0-9]+==ERROR|fuzz_$TARGET:|runtime error" "$log" | head -60 >&2
    status_all=1
fi
done
exit $status_all
