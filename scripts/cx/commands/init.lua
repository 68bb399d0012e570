--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows. Aliases map a compatibility name to its command.
return {
  list = {
    { name = "diag", module = "cx.commands.diag", summary = "diagnose configuration and the last N runs" },
    {
      name = "optimize",
      module = "cx.commands.optimize",
      summary = "scoreboard and recommendations of the last N runs",
    },
    { name = "scheduler", module = "cx.commands.scheduler", summary = "scheduler health of the last N runs" },
    { name = "version", module = "cx.commands.version", summary = "print the version and build facts" },
  },
  aliases = { cxdiag = "diag", cxscheduler = "scheduler", cxoptimize = "optimize" },
}
