#!/bin/sh
# `make fuzz`: builds a libFuzzer target with ASan + UBSan (clang), runs it for FUZZ_SECONDS
# (default 60) and prints the number of runs and the findings. Exits 1 on a finding.
# FUZZ_TARGET picks native/fuzz_<target>.c (default envelope: seeded from the envelope corpus
# tests/fixtures/envelopes/cases.json and the codex captures; logcheck: seeded from the broken-log
# corpus tests/fixtures/logs/).
#   FUZZ_SECONDS=600 make fuzz    FUZZ_JOBS=4 make fuzz (parallel)    FUZZ_TARGET=logcheck make fuzz
# The corpus grows in build/fuzz/<target>/corpus across runs; crashes land in .../findings.
set -u
cd "$(dirname "$0")/.." || exit 1
TARGET=${FUZZ_TARGET:-envelope}
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
OUT=${FUZZ_DIR:-build/fuzz/$TARGET}
CC=${FUZZ_CC:-clang}
[ -f "native/fuzz_$TARGET.c" ] && [ -f "native/$TARGET.c" ] ||
    { echo "fuzz: no native/fuzz_$TARGET.c or native/$TARGET.c" >&2; exit 2; }
mkdir -p "$OUT/corpus" "$OUT/seeds" "$OUT/findings"

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# The log checker's target also drives the whole-file validator (threads, pread).
extra=""
[ "$TARGET" = logcheck ] && extra="native/logvalidate.c native/runlog.c -Itests/native -pthread"
# shellcheck disable=SC2086
$CC $flags -std=c11 -D_GNU_SOURCE -Inative $(pkg-config --cflags jansson) -o "$OUT/fuzz_$TARGET" \
    "native/fuzz_$TARGET.c" "native/$TARGET.c" native/buf.c native/json_write.c $extra \
    $(pkg-config --libs jansson) -lm ||
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
    exit 1
fi
exit 0
