#!/bin/sh
# 1,000 HTTP requests at concurrency 16 against a local server: cx's event loop (libcurl multi,
# driven from Lua) next to `curl --parallel --parallel-max 16` doing the same requests.
set -eu
. "$(dirname "$0")/lib/common.sh"
N=${BENCH_HTTP_REQUESTS:-1000}
C=16
cc -O2 -o "$bench_build/http_server" "$root/bench/http_server.c"
out="$bench_build/http_server.port"
rm -f "$out" # a stale port from an earlier run must not be read before the server writes its own
"$bench_build/http_server" 120 > "$out" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT INT TERM
tries=0
until grep -q '^[0-9][0-9]*$' "$out" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -lt 200 ] || { echo "bench/http.sh: the server did not start" >&2; exit 1; }
    sleep 0.05
done
url="http://127.0.0.1:$(cat "$out")/"

cfg="$bench_build/curl_parallel.cfg"
: > "$cfg"
i=0
while [ $i -lt "$N" ]; do printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >> "$cfg"; i=$((i + 1)); done

loop_driver http "$url" 20 $C # warm-up
# Best of three runs each, alternating, so a scheduling hiccup does not decide the ratio.
ours=$(best_of 3 loop_driver http "$url" "$N" $C)
theirs=$(best_of 3 curl -sS --no-progress-meter --fail --parallel --parallel-max $C -K "$cfg")
echo "http: $N requests at $C: cx loop $(ms $ours) ms, curl --parallel $(ms $theirs) ms," \
     "ratio $(ratio $ours $theirs) (target <= 1.30)"
