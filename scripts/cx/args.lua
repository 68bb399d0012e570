--- Argument parsing for commands, over lua-argparse: usage errors print one line naming the bad
--- argument on stderr and give exit code 2; --help prints the command's help on stdout.
local argparse = require "argparse"

local args = {}

--- A parser for `cx <name>`.
function args.parser(name, description, epilog)
  local p = argparse("cx " .. name, description, epilog)
  p:help_max_width(100)
  return p
end

--- Parse argv with parser. Returns the options table, or nil and the exit code (2) after printing
--- `cx <name>: <message>` to stderr.
function args.parse(parser, argv)
  local ok, opts = parser:pparse(argv)
  if ok then return opts end
  io.stderr:write(parser._name, ": ", opts, "\n", "Run '", parser._name, " --help' for usage.\n")
  return nil, 2
end

--- Whether argv asks for help: `--help` or `-h` first, or (anywhere = true) anywhere. Commands that
--- take another command's arguments look at the first only.
function args.asks_help(argv, anywhere)
  for i = 1, anywhere and #argv or math.min(1, #argv) do
    if argv[i] == "--help" or argv[i] == "-h" then return true end
  end
  return false
end

--- A positive integer from a flag or positional value, or nil.
function args.positive_int(text)
  if type(text) ~= "string" or not text:match("^%d+$") then return nil end
  local n = math.tointeger(tonumber(text))
  if not n or n < 1 then return nil end
  return n
end

return args
