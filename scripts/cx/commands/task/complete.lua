--- `cx task complete <id>`: see cx.commands.task.mark.
return require("cx.commands.task.mark").command("complete")
