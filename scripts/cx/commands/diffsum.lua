--- `cx diffsum`: see cx.commands.structured.
return require("cx.commands.structured").command("diffsum")
