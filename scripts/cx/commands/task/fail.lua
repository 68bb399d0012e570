--- `cx task fail <id>`: see cx.commands.task.mark.
return require("cx.commands.task.mark").command("fail")
