--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows (in this order). Aliases map a compatibility name to its command. This one table drives
--- dispatch, help, typo suggestions and shell completion (cx.registry reads it).
---
--- A command is one entry here plus its module. The optional 4th argument of cmd() carries what
--- completion cannot read from the module's argparse parser: { aliases = {...}, sub = {...},
--- flags = {...} } (compatibility names, and the subcommands and flags of hand-parsed commands).
local function cmd(name, module, summary, extra)
  extra = extra or {}
  return { name = name, module = "cx.commands." .. module, summary = summary,
    aliases = extra.aliases, sub = extra.sub, flags = extra.flags }
end

local LOG = { "--log" } -- every command that reads the run log takes --log PATH (PLAN §9)

return {
  list = {
    cmd("cx", "cx", "run a command; its output is the prompt; print the plain reply"),
    cmd("cxj", "cxj", "run a command; its output is the prompt; print the JSONL events"),
    cmd("cxo", "cxo", "run a command; its output is the prompt; print the agent's reply"),
    cmd("cxol", "cxol", "same as cx (plain reply)"),
    cmd("next", "next", "the next shell commands after a command (schema-checked)"),
    cmd("diffsum", "diffsum", "PR summary of the unstaged diff (schema-checked)"),
    cmd("diffsum-staged", "diffsum_staged", "PR summary of the staged diff (schema-checked)"),
    cmd("commitjson", "commitjson", "commit object from the staged diff (schema-checked)"),
    cmd("commitmsg", "commitmsg", "commit message from the staged diff (schema-checked)"),
    cmd("fix-run", "fix_run", "analyse a failing command; with CXFIX_RUN=1 run the safe fixes"),
    cmd("schema", "schema", "list the JSON schemas, or validate a document"),
    cmd("quarantine", "quarantine", "list or show quarantined structured-command failures"),
    cmd("replay", "replay", "re-run a quarantined structured request through the current adapter"),
    cmd("policy", "policy", "list, show, check, test and run the editable Lua policies"),
    cmd("llm", "llm", "show or set the LLM backend and model",
      { sub = { "show", "use", "unset", "set-backend", "set-model", "clear-model" }, flags = { "--json" } }),
    cmd("doctor", "doctor", "check each adapter and ping the selected one"),
    cmd("logs", "logs", "validate, measure (stats) or migrate the run log",
      { sub = { "validate", "stats", "migrate" },
        flags = { "--strict", "--legacy-ok", "--json", "--severity", "--out", "--in-place" } }),
    -- the reference's `telemetry` is `logs stats`; cx.commands.logs dispatches on the name
    cmd("telemetry", "logs", "run-log telemetry (same as `logs stats`)",
      { flags = { "--json", "--strict", "--severity" } }),
    cmd("log-tail", "log_tail", "print the last N rows of the run log"),
    cmd("diag", "diag", "diagnose configuration and the last N runs"),
    cmd("scheduler", "scheduler", "scheduler health of the last N runs"),
    cmd("optimize", "optimize", "scoreboard and recommendations of the last N runs"),
    cmd("report", "report", "write an HTML report of the last N runs (timeline, distributions, findings)",
      { flags = { "--window", "--log", "--out", "--json" } }),
    cmd("task", "task", "the task graph: add, list, show, plan, run and recover tasks"),
    cmd("broker", "broker", "backend routing policy, availability and per-backend benchmark"),
    cmd("version", "version", "print the version and build facts", { aliases = { "cxversion" } }),
    -- introspection
    cmd("where", "where", "where cx, its scripts, log and state are; how commands route",
      { aliases = { "cxwhere" } }),
    cmd("routes", "routes", "every command and compatibility name and what runs it",
      { aliases = { "cxroutes" }, flags = { "--json" } }),
    cmd("supports", "supports", "exit 0 (and print true) when cx has a command of that name"),
    cmd("core", "core", "the execution pipeline's configuration (adapter, capture, budgets)",
      { aliases = { "cxcore" } }),
    cmd("capture-status", "capture_status", "the capture provider's configuration"),
    cmd("cx-compat", "cx_compat", "run a command by its earlier cx* name (cxmetrics, cxstate, ...)"),
    cmd("completion", "completion", "print a shell completion script (bash, zsh or fish)",
      { sub = { "bash", "zsh", "fish" } }),
    -- configuration and state
    cmd("state", "state", "show, get or set values in .codex/state.json",
      { aliases = { "cxstate" }, sub = { "show", "get", "set" } }),
    cmd("ci", "ci", "CI gate: schemas, policies, run-log contract and budget (no network)",
      { sub = { "validate" }, flags = { "--strict", "--legacy-ok", "--json", "--log" } }),
    cmd("budget", "budget", "the context budget and the last run's clip fields",
      { aliases = { "cxbudget" }, flags = LOG }),
    cmd("log-on", "toggles", "print the logging notice (every run is logged)", { aliases = { "cxlog_on" } }),
    cmd("log-off", "toggles", "print the logging notice (every run is logged)", { aliases = { "cxlog_off" } }),
    cmd("alert-show", "toggles", "the thresholds cx alert uses", { aliases = { "cxalert_show" } }),
    cmd("alert-on", "toggles", "print the alerts notice", { aliases = { "cxalert_on" } }),
    cmd("alert-off", "toggles", "print the alerts notice", { aliases = { "cxalert_off" } }),
    -- run-log analytics
    cmd("metrics", "metrics", "token and duration averages of the last N runs (JSON)",
      { aliases = { "cxmetrics" }, flags = { "--json", "--log" } }),
    cmd("profile", "profile", "summary of the last N runs", { aliases = { "cxprofile" }, flags = LOG }),
    cmd("alert", "alert", "slow and token-heavy runs among the last N (alert policy)",
      { aliases = { "cxalert" }, flags = LOG }),
    cmd("trace", "trace", "the Nth most recent run", { aliases = { "cxtrace" }, flags = LOG }),
    cmd("worklog", "worklog", "Markdown worklog of the last N runs", { aliases = { "cxworklog" }, flags = LOG }),
    cmd("prompt-stats", "prompt_stats", "prompt filter savings over the last N runs",
      { aliases = { "cxprompt_stats" }, flags = { "--json", "--log" } }),
    cmd("promptlint", "promptlint", "heavy prompts, token drift, poor cache hits (promptlint policy)",
      { aliases = { "cxpromptlint" }, flags = LOG }),
    cmd("quota", "quota", "token burn, provider quota probe, catalog, totals and guard (no network)",
      { aliases = { "cxquota" }, sub = { "probe", "catalog", "set", "unset", "guard" },
        flags = { "--json", "--log", "--apply", "--strict", "--if-stale", "--max-age-hours", "--from",
          "--interval-hours", "--warn-pct", "--critical-pct", "--auto-action" } }),
    -- running things
    cmd("fix", "fix", "run a command; the LLM explains a failure and the next commands", { aliases = { "cxfix" } }),
    cmd("cxcopy", "cxcopy", "run a command; copy the LLM's reply to the clipboard"),
    cmd("health", "health", "smoke test: backend version, a ping, and a cxo run", { aliases = { "cxhealth" } }),
    cmd("bench", "bench", "run a command N times: durations, failures, correlated tokens",
      { aliases = { "cxbench" } }),
    cmd("parity", "parity", "run the LLM commands through cx and a reference implementation, compare",
      { aliases = { "cxparity" }, flags = { "--ref" } }),
    cmd("chunk", "chunk", "split stdin into chunks that fit the context budget", { aliases = { "cxchunk" } }),
    -- prompt generators
    cmd("prompt", "prompt", "a fixed prompt block for a mode and a request",
      { aliases = { "cxprompt" }, sub = { "implement", "fix", "test", "doc", "ops" } }),
    cmd("roles", "roles", "the agent roles, or one role's header",
      { aliases = { "cxroles" }, sub = { "architect", "implementer", "reviewer", "tester", "doc" } }),
    cmd("fanout", "fanout", "six role-tagged subtasks for an objective", { aliases = { "cxfanout" } }),
  },
  aliases = {
    cxdiag = "diag", cxscheduler = "scheduler", cxoptimize = "optimize",
    cxnext = "next", cxdiffsum = "diffsum", cxdiffsum_staged = "diffsum-staged", cxcommitjson = "commitjson",
    cxcommitmsg = "commitmsg", cxquarantine = "quarantine", cxfix_run = "fix-run", cxlogs = "logs",
    cxtelemetry = "telemetry",
    -- (an alias whose command is not registered is ignored by dispatch, help and completion)
    cxdoctor = "doctor", cxllm = "llm", cxpolicy = "policy", cxlog_tail = "log-tail", cxreplay = "replay",
    cxtask = "task", cxbroker = "broker",
  },
}
