--- The command registry: name, the module that implements it, and the one-line summary `cx --help`
--- shows. Aliases map a compatibility name to its command.
return {
  list = {
    { name = "version", module = "cx.commands.version", summary = "print the version and build facts" },
  },
  aliases = {},
}
