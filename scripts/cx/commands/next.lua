--- `cx next`: see cx.commands.structured.
return require("cx.commands.structured").command("next")
