--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows. Aliases map a compatibility name to its command.
return {
  list = {
    { name = "diag", module = "cx.commands.diag", summary = "diagnose configuration and the last N runs" },
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
  aliases = { cxdiag = "diag", cxscheduler = "scheduler", cxoptimize = "optimize", cxlogs = "logs",
    cxtelemetry = "telemetry" },
}
