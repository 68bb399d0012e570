--- `cx completion bash|zsh|fish`: print a shell completion script generated from the command table.
local args = require "cx.args"
local completion = require "cx.completion"
local registry = require "cx.registry"

local M = { summary = "print a shell completion script (bash, zsh or fish)" }

local HELP = [[
Usage: cx completion <bash|zsh|fish>

Print a completion script for the shell: command names and the earlier cx* names, subcommands and
flags, generated from the same command table as `cx --help`.
  bash:  source <(cx completion bash)        (or save it in ~/.local/share/bash-completion/completions/cx)
  zsh:   cx completion zsh > "${fpath[1]}/_cx"  (or source <(cx completion zsh) after compinit)
  fish:  cx completion fish > ~/.config/fish/completions/cx.fish
Exit codes: 0 ok, 2 usage error.
]]

function M.run(argv)
  local shell = argv[1]
  if args.asks_help(argv) then
    io.stdout:write(HELP)
    return 0
  end
  if shell == nil then
    io.stderr:write("cx completion: missing <shell> (Usage: cx completion <bash|zsh|fish>)\n")
    return 2
  end
  local gen = completion.SHELLS[shell]
  if not gen or argv[2] ~= nil then
    local bad = gen and argv[2] or shell
    local hint = registry.hint(bad, { "bash", "zsh", "fish" })
    io.stderr:write("cx completion: unknown shell '", bad, "'", hint ~= "" and hint or " (use bash, zsh or fish)", "\n")
    return 2
  end
  io.stdout:write(gen(completion.spec()))
  return 0
end

return M
