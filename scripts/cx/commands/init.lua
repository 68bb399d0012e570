--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows. Aliases map a compatibility name to its command.
return {
  list = {
    { name = "cx", module = "cx.commands.cx", summary = "run a command; its output is the prompt; print the plain reply" },
    { name = "cxj", module = "cx.commands.cxj", summary = "run a command; its output is the prompt; print the JSONL events" },
    { name = "cxo", module = "cx.commands.cxo", summary = "run a command; its output is the prompt; print the agent's reply" },
    { name = "cxol", module = "cx.commands.cxol", summary = "same as cx (plain reply)" },
    { name = "commitjson", module = "cx.commands.commitjson", summary = "commit object from the staged diff (schema-checked)" },
    { name = "commitmsg", module = "cx.commands.commitmsg", summary = "commit message from the staged diff (schema-checked)" },
    { name = "diag", module = "cx.commands.diag", summary = "diagnose configuration and the last N runs" },
    { name = "diffsum", module = "cx.commands.diffsum", summary = "PR summary of the unstaged diff (schema-checked)" },
    {
      name = "diffsum-staged",
      module = "cx.commands.diffsum_staged",
      summary = "PR summary of the staged diff (schema-checked)",
    },
    { name = "doctor", module = "cx.commands.doctor", summary = "check each adapter and ping the selected one" },
    { name = "llm", module = "cx.commands.llm", summary = "show or set the LLM backend and model" },
    { name = "log-tail", module = "cx.commands.log_tail", summary = "print the last N rows of the run log" },
    { name = "schema", module = "cx.commands.schema", summary = "list the JSON schemas, or validate a document" },
    { name = "quarantine", module = "cx.commands.quarantine",
      summary = "list or show quarantined structured-command failures" },
    { name = "policy", module = "cx.commands.policy",
      summary = "show a policy, or check a command against command_safety" },
    { name = "logs", module = "cx.commands.logs", summary = "validate, measure (stats) or migrate the run log" },
    {
      name = "optimize",
      module = "cx.commands.optimize",
      summary = "scoreboard and recommendations of the last N runs",
    },
    { name = "scheduler", module = "cx.commands.scheduler", summary = "scheduler health of the last N runs" },
    -- the reference's `telemetry` is `logs stats`; cx.commands.logs dispatches on the name
    { name = "telemetry", module = "cx.commands.logs", summary = "run-log telemetry (same as `logs stats`)" },
    { name = "version", module = "cx.commands.version", summary = "print the version and build facts" },
  },
  aliases = { cxdiag = "diag", cxscheduler = "scheduler", cxoptimize = "optimize" },
}
