#!/bin/sh
# Bench: the redaction pass every run-log row, quarantine file and message goes through (cx.redact),
# per row, beside the JSON encoding of the row. Knob: CX_BENCH_REDACT_ROWS (default 20000).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lua5.4 bench/redact_driver.lua "${CX_BENCH_REDACT_ROWS:-20000}"
