--- `cx cx <command...>`: see cx.commands.llm_run.
return require("cx.commands.llm_run").command("cx")
