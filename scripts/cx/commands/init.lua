--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows. Aliases map a compatibility name to its command.
return {
  list = {
    { name = "log-tail", module = "cx.commands.log_tail", summary = "print the last N rows of the run log" },
    { name = "version", module = "cx.commands.version", summary = "print the version and build facts" },
  },
  aliases = {},
}
