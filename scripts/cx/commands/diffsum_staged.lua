--- `cx diffsum-staged`: see cx.commands.structured.
return require("cx.commands.structured").command("diffsum-staged")
