--- `cx commitmsg`: see cx.commands.structured.
return require("cx.commands.structured").command("commitmsg")
