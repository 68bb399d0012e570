#!/bin/sh
# make demo: a scripted session on the embedded default adapter (the mock), in a scratch repository.
# Each step prints the command it runs; steps that are meant to fail say so.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cx="$root/bin/cx"
work=$(mktemp -d /tmp/cx-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q .
git config user.email demo@example.invalid
git config user.name demo
printf 'hello\n' > README
git add README && git commit -qm "initial"
export CX_PROVIDER_ADAPTER=mock CX_MOCK_LATENCY_MS=5-40 CX_MOCK_SEED=7

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
expect_fail() { printf '\n\033[1m$ %s\033[0m   (expected to fail)\n' "$*"; if "$@"; then echo "demo: expected a failure" >&2; exit 1; fi; }

echo "demo repository: $work"
step "$cx" --version
step "$cx" llm show
step "$cx" doctor
step "$cx" cxo git status
step "$cx" next git status
printf 'world\n' >> README
CX_MOCK_FAIL=malformed expect_fail "$cx" next git log --oneline
step "$cx" quarantine list
CX_MOCK_FAIL=timeout expect_fail "$cx" cxo git status
CX_MOCK_FAIL=rate_limited expect_fail "$cx" cxo git status
step "$cx" logs validate --strict
step "$cx" logs stats 50 --severity
json_step() { printf '\n\033[1m$ cx %s | jq -c %s\033[0m\n' "$1" "$2"; "$cx" $1 | jq -c "$2"; }
json_step "diag --json --window 50" '{contract_version, severity, severity_reasons}'
json_step "scheduler --json --window 50" 'keys'
json_step "optimize 200 --json" '{contract_version, runs, anomalies}'
step "$cx" diffsum
git add README
step "$cx" commitmsg
printf '\ndemo: done (%s rows in .codex/cxlogs/runs.jsonl)\n' "$(wc -l < .codex/cxlogs/runs.jsonl)"
