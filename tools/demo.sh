#!/bin/sh
# make demo: the main job end to end on the embedded mock, in a scratch repository (build/demo/repo,
# made afresh each time): a task graph of 40 tasks in dependency waves over two backends with caps
# and resource locks, run on 6 workers with progress on the terminal; a few attempts time out or
# hit a rate limit and recover on retry, one structured answer does not fit its schema and is
# quarantined; then what failed, `cx diag` with its findings and actions, and the HTML report.
# Deterministic: the mock's latencies and failures are drawn from a fixed seed per task and call,
# so the outcome of every task is the same on every run (tests/spec/demo_spec.lua checks it).
# CX_DEMO_DIR puts the scratch repository elsewhere.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cx="$root/bin/cx"
work=${CX_DEMO_DIR:-$root/build/demo}
repo="$work/repo"
rm -rf "$repo"
mkdir -p "$repo"
cd "$repo"
git init -q .
git config user.email demo@example.invalid
git config user.name demo
printf '# demo\n' >README.md
git add README.md && git commit -qm "initial"
printf 'the release candidate\n' >CHANGES && git add CHANGES # staged: what the commitjson task describes

# Only the mock, whatever the caller's environment says.
for v in $(env | sed -n 's/^\(CX_[A-Z0-9_]*\)=.*/\1/p'); do
    case $v in CX_NO_PROGRESS) ;; *) unset "$v" ;; esac
done
export CX_PROVIDER_ADAPTER=mock CX_MOCK_SEED=7
export CX_MOCK_LATENCY_MS=150-1300                # each call answers in 150-1300 ms (drawn per task and call)
export CX_MOCK_PLAIN_RESPONSE='{"commands":["make test"]}' # fits `next`, not `commitjson`: quarantined
export CX_MOCK_FAIL=rate_limited CX_MOCK_FAIL_EVERY=1000 CX_MOCK_FAIL_TASKS=task_012,task_021 # first call only
export HOME="$work" # no preferences from the user's ~/.codex

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi; }
say() { printf '  %s\n' "$*"; }
run() { printf '$ cx %s\n' "$*"; "$cx" "$@"; }
# shown KEEP ARGS...: run cx ARGS, printing only the output lines the sed script KEEP selects
shown() {
    keep=$1
    shift
    printf '$ cx %s\n' "$*"
    "$cx" "$@" | sed -n "$keep"
}

bold "1/5  A scratch repository and a task graph"
say "$repo: 40 tasks in dependency waves: plan -> 8 modules -> 16 tests -> 8 reviews -> docs -> release."
say "Two backends: codex (cap 4) and ollama (cap 1); resource locks (db:schema, docs, repo:read/write)"
say "keep conflicting tasks apart. Tasks marked --timeout-secs 1 time out when the mock is slower."
add() { "$cx" task add "$@" >/dev/null; }
par="--mode parallel --max-retries 2"
add "Plan the release: list the modules to change and the order" --role architect --backend codex $par --resource plan
i=1
for m in parser lexer cache store http cli config logging; do
    i=$((i + 1))
    be=codex
    [ $((i % 2)) = 1 ] && be=ollama
    lock="--resource src:$m"
    case $m in cache | store) lock="$lock --resource db:schema" ;; esac
    add "Implement the $m changes from the plan" --backend $be --depends-on task_001 $par --timeout-secs 1 $lock
done
i=1
for m in parser lexer cache store http cli config logging; do
    i=$((i + 1))
    dep=$(printf 'task_%03d' $i)
    add "Write unit tests for $m" --role tester --backend ollama --depends-on "$dep" $par --timeout-secs 1 \
        --resource "tests:$m-unit"
    add "Write an integration test for $m" --role tester --backend codex --depends-on "$dep" $par \
        --resource "tests:$m-int"
done
for k in 0 1 2 3 4 5 6 7; do
    add "Review module $((k + 1)): code and tests" --role reviewer --backend codex \
        --depends-on "$(printf 'task_%03d,task_%03d' $((10 + 2 * k)) $((11 + 2 * k)))" $par --resource repo:read
done
add "Update the changelog" --role doc --backend ollama --depends-on task_026,task_027,task_028,task_029 $par \
    --resource docs
add "Update the user guide" --role doc --backend ollama --depends-on task_030,task_031,task_032,task_033 $par \
    --resource docs
add "next git status" --role tester --backend codex --depends-on task_034,task_035 $par --resource repo:read
add "commitjson" --role doc --backend codex --depends-on task_034,task_035 $par --resource repo:read
add "Write the release notes" --role doc --backend ollama --depends-on task_034,task_035 $par --resource notes
add "Final review of the release" --role reviewer --backend codex --depends-on task_036,task_038 $par \
    --resource repo:read
add "Tag the release candidate" --backend ollama --depends-on task_039 $par --resource repo:write
shown '/^selected:/p; /^waves:/p' task run-plan

bold "2/5  Run the graph on the mock: 6 workers, codex at most 4 at once, ollama 1"
say "Two tasks hit a rate limit on their first call, a few calls time out: each is retried with backoff."
rc=0
run task run-all --mode mixed --max-workers 6 --backend-pool codex,ollama --backend-cap codex=4 \
    --backend-cap ollama=1 || rc=$?
say "(exit $rc: a task failed)"

bold "3/5  What failed, and why"
say "The commitjson answer did not fit its schema twice: the task failed and the answer is quarantined."
run task list --status failed
shown '/^entries:/p; /^- /p' quarantine list
failed=$("$cx" task list --status failed --json 2>/dev/null | jq -r '.[0].id // empty' 2>/dev/null || true)
if [ -n "$failed" ]; then
    say "The task's own account: its last attempt, the quarantined answer, and what to run next."
    shown '/^last_attempt:/,$p' task show "$failed" --text
fi

bold "4/5  cx diag: findings, their evidence, and actions"
say "The rule policy (policies/scheduler.lua) judges the run: ollama's cap of 1 made its tasks queue."
shown '/^routing_trace:/q; /^severity:/,$p' diag --actions

bold "5/5  The HTML report"
say "One self-contained page: the timeline (a lane per worker, a bar per attempt), queue wait and"
say "duration per backend, failure classes, retries, the quarantined answer, the findings."
page=$("$cx" report)
printf '$ cx report\n%s\n' "$page"
printf '\ndemo: done. Open the report: %s\n' "$page"
