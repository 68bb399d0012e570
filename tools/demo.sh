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
step "$cx" diffsum
CX_MOCK_FAIL=malformed expect_fail "$cx" next git log --oneline
step "$cx" quarantine list
CX_MOCK_FAIL=timeout expect_fail "$cx" cxo git status
CX_MOCK_FAIL=rate_limited expect_fail "$cx" cxo git status
step "$cx" logs validate --strict
step "$cx" logs stats 50
step "$cx" diag --window 50
step sh -c "\"$cx\" diag --json --window 50 | jq -c '{contract_version, severity}'"
step sh -c "\"$cx\" scheduler --json --window 50 | jq -c 'keys'"
step sh -c "\"$cx\" optimize 200 --json | jq -c 'keys'"
printf '\ndemo: done (%s rows in .codex/cxlogs/runs.jsonl)\n' "$(wc -l < .codex/cxlogs/runs.jsonl)"
