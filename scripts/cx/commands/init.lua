--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows (in this order). Aliases map a compatibility name to its command.
local function cmd(name, module, summary)
  return { name = name, module = "cx.commands." .. module, summary = summary }
end

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
    cmd("policy", "policy", "show a policy, or check a command against command_safety"),
    cmd("llm", "llm", "show or set the LLM backend and model"),
    cmd("doctor", "doctor", "check each adapter and ping the selected one"),
    cmd("logs", "logs", "validate, measure (stats) or migrate the run log"),
    -- the reference's `telemetry` is `logs stats`; cx.commands.logs dispatches on the name
    cmd("telemetry", "logs", "run-log telemetry (same as `logs stats`)"),
    cmd("log-tail", "log_tail", "print the last N rows of the run log"),
    cmd("diag", "diag", "diagnose configuration and the last N runs"),
    cmd("scheduler", "scheduler", "scheduler health of the last N runs"),
    cmd("optimize", "optimize", "scoreboard and recommendations of the last N runs"),
    cmd("task", "task", "the task graph: add, list, show, plan, run and recover tasks"),
    cmd("broker", "broker", "backend routing policy, availability and per-backend benchmark"),
    cmd("version", "version", "print the version and build facts"),
  },
  aliases = {
    cxdiag = "diag", cxscheduler = "scheduler", cxoptimize = "optimize",
    cxnext = "next", cxdiffsum = "diffsum", cxdiffsum_staged = "diffsum-staged", cxcommitjson = "commitjson",
    cxcommitmsg = "commitmsg", cxquarantine = "quarantine", cxfix_run = "fix-run", cxlogs = "logs",
    cxtelemetry = "telemetry", cxtask = "task", cxbroker = "broker",
  },
}
