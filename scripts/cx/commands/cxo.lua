--- `cx cxo <command...>`: see cx.commands.llm_run.
return require("cx.commands.llm_run").command("cxo")
