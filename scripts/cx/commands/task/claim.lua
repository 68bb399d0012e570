--- `cx task claim <id>`: see cx.commands.task.mark.
return require("cx.commands.task.mark").command("claim")
