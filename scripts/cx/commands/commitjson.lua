--- `cx commitjson`: see cx.commands.structured.
return require("cx.commands.structured").command("commitjson")
