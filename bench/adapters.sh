#!/bin/sh
# 1,000 attempts at concurrency 16 through the ADAPTERS (cx.adapters.start/finish on one event loop:
# request building, the loop job, envelope parsing, result normalization), side by side with the
# plain tools doing the same work:
#   http-curl (formats openai and text) against build/tests/fixture_server on 127.0.0.1
#     vs `curl --parallel --parallel-max 16` POSTing the same body with the same headers;
#   codex-cli against a trivial fake codex (bench/fake_codex.c) vs `xargs -P 16` running the same
#     fake with the same stdin.
# Every side is verified: each adapter result must be ok with the expected text (and the fake must
# have read the whole prompt), curl must report 1,000 HTTP 200s, xargs 2,000 output lines.
# Median wall time of 3 runs per side, alternating. Knobs: BENCH_ADAPTER_ATTEMPTS (1000),
# BENCH_ADAPTER_RUNS (3).
set -eu
. "$(dirname "$0")/lib/common.sh"
. "$root/bench/lib/result.sh"
N=${BENCH_ADAPTER_ATTEMPTS:-1000}
K=${BENCH_ADAPTER_RUNS:-3}
C=16
REPLY="bench reply"
FAKE_REPLY="fake codex reply" # what bench/fake_codex.c says

make -s -C "$root" fixtures
cc -O2 -o "$bench_build/fake_codex" "$root/bench/fake_codex.c"
fake="$bench_build/fake_codex"
prompt="$bench_build/adapters.prompt"
printf 'List the files of this repository and say which one holds the event loop.\n%s\n' \
    "Answer in one short sentence; no commands, no code, no preamble." > "$prompt"

servers=""
cleanup() {
    for p in $servers; do kill "$p" 2>/dev/null || true; done
    for p in $servers; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server SCENARIO -> sets $port; the fixture server ends by itself after 120 s anyway.
start_server() {
    out="$bench_build/adapters.$1.port"
    rm -f "$out" # a stale port from an earlier run must not be read before the server writes its own
    "$root/build/tests/fixture_server" --scenario "$1" --text "$REPLY" --max-seconds 120 > "$out" &
    servers="$servers $!"
    tries=0
    until head -n 1 "$out" 2>/dev/null | grep -q '^[0-9][0-9]*$'; do
        tries=$((tries + 1))
        [ $tries -lt 200 ] || { echo "bench/adapters.sh: the fixture server ($1) did not start" >&2; exit 1; }
        sleep 0.05
    done
    port=$(head -n 1 "$out")
}

adapter_driver() {
    LUA_PATH="$root/scripts/?.lua;$root/scripts/?/init.lua;;" LUA_CPATH="$root/build/lib/?.so;;" \
        lua5.4 "$root/bench/adapter_driver.lua" "$@"
}

# http_ours N / codex_ours N: the adapter configured in the environment, N attempts, all of them ok.
# Each side leaves its verified count of its last run in $tally.cx / $tally.base for the table.
tally="$bench_build/adapters.tally"
http_ours() { adapter_driver run "$1" $C "$prompt" "$REPLY" > "$tally.cx"; }
codex_ours() { adapter_driver run "$1" $C "$prompt" "$FAKE_REPLY" > "$tally.cx"; }

# curl_cfg N: a curl config sending the adapter's exact request (headers, body) N times.
curl_cfg() {
    sed 's/"/\\"/g; s/.*/header = "&"/' "$headers"
    printf 'data-binary = "@%s"\n' "$body"
    i=0
    while [ $i -lt "$1" ]; do
        printf 'url = "%s"\noutput = "/dev/null"\n' "$CX_HTTP_PROVIDER_URL"
        i=$((i + 1))
    done
}

# curl_run N: those POSTs through curl --parallel; every one must be answered 200.
curl_run() {
    got=$(curl -sS --no-progress-meter --parallel --parallel-max $C -K "$cfg.$1" -w '%{response_code}\n' |
          grep -c '^200$') || true
    echo "ok $got/$1" > "$tally.base"
    [ "$got" -eq "$1" ] || { echo "curl: $got of $1 requests answered 200" >&2; return 1; }
}

# xargs_run N: the fake N times, 16 at a time, each reading the prompt as its stdin.
xargs_run() {
    got=$(seq "$1" | xargs -P $C -I{} "$fake" exec --json - --stdin-file "$prompt" | wc -l)
    echo "ok $((got / 2))/$1" > "$tally.base"
    [ "$got" -eq $(($1 * 2)) ] || { echo "xargs: $got lines, not $(($1 * 2))" >&2; return 1; }
}

# compare LABEL BASELINE_LABEL OURS_FN THEIRS_FN: a warm-up of 20, then K alternating runs of N
# per side; prints one row of the table.
compare() { # ... EXPECT_TEXT FIGURE: the reply each attempt must carry, the name in the table
    { $3 20 && $4 20; } || { echo "bench/adapters.sh: $1: warm-up failed" >&2; return 1; }
    os="" ts="" i=0
    while [ $i -lt "$K" ]; do
        os="$os $(time_ns "$3" "$N")" || { echo "bench/adapters.sh: $1: a cx run failed" >&2; return 1; }
        ts="$ts $(time_ns "$4" "$N")" || { echo "bench/adapters.sh: $1: a $2 run failed" >&2; return 1; }
        i=$((i + 1))
    done
    # shellcheck disable=SC2086 # one argument per run
    mo=$(median $os) mt=$(median $ts)
    row "$1" "$(ms "$mo")" "$2" "$(ms "$mt")" "$(ratio "$mo" "$mt")" \
        "cx $(cat "$tally.cx"), baseline $(cat "$tally.base")"
    # the figure for the table of make bench, with the peak RSS of one more cx run
    rss=$(peak_rss_kib env LUA_PATH="$root/scripts/?.lua;$root/scripts/?/init.lua;;" \
        LUA_CPATH="$root/build/lib/?.so;;" lua5.4 "$root/bench/adapter_driver.lua" run "$N" $C "$prompt" "$5") ||
        rss=-
    bench_result "$6" "$1 adapter, $N at $C" "$(awk -v v="$mo" 'BEGIN { printf "%.1f", v / 1e6 }')" "$2" \
        "$(awk -v v="$mt" 'BEGIN { printf "%.1f", v / 1e6 }')" 1.30 "$rss" -
}

row() { printf '%-18s %8s   %-16s %8s   %5s   %s\n' "$@"; }

echo "adapters: $N attempts at $C on one loop, median of $K runs per side (ms); target ratio <= 1.30"
row "cx adapter" "cx" "baseline" "baseline" "ratio" "verified (last run)"

unset CX_HTTP_PROVIDER_TOKEN CX_HTTP_PROVIDER_MODEL CX_MODEL CX_HTTP_PROVIDER_STREAM
export CX_TIMEOUT_LLM_SECS=60
export CX_PROVIDER_ADAPTER=http-curl
for format in openai text; do
    start_server "$format"
    path=/
    [ "$format" = openai ] && path=/v1/chat/completions
    export CX_HTTP_PROVIDER_FORMAT="$format" CX_HTTP_PROVIDER_URL="http://127.0.0.1:$port$path"
    headers="$bench_build/adapters.$format.headers" body="$bench_build/adapters.$format.body"
    cfg="$bench_build/adapters.$format.curl"
    adapter_driver request "$prompt" "$body" > "$headers"
    curl_cfg 20 > "$cfg.20"
    curl_cfg "$N" > "$cfg.$N"
    compare "http-curl $format" "curl --parallel" http_ours curl_run "$REPLY" \
        "HTTP: $N requests at $C ($format)"
done

export CX_PROVIDER_ADAPTER=codex-cli CX_CODEX_BIN="$fake"
compare "codex-cli (fake)" "xargs -P" codex_ours xargs_run "$FAKE_REPLY" \
    "process adapter: $N runs at $C"
