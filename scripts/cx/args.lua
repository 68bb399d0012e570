--- Argument parsing for commands, over lua-argparse: usage errors print one line naming the bad
--- argument on stderr and give exit code 2; --help prints the command's help on stdout. Numbers
--- (windows, counts, N) are checked by one helper, args.count, whatever command takes them.
local argparse = require "argparse"
local printable = require "cx.printable"

local args = {}

--- A parser for `cx <name>`.
function args.parser(name, description, epilog)
  local p = argparse("cx " .. name, description, epilog)
  p:help_max_width(100)
  return p
end

local function is_negative_number(a)
  return a:match("^%-%d+$") ~= nil or a:match("^%-%d*%.%d+$") ~= nil
end

-- Options of parser that take a value, by alias, and its subcommands by name.
local function shape(parser)
  local takes, commands = {}, {}
  for _, o in ipairs(parser._options or {}) do
    if (o._maxargs or 0) > 0 then
      for _, a in ipairs(o._aliases) do takes[a] = true end
    end
  end
  for _, c in ipairs(parser._commands or {}) do
    for _, a in ipairs(c._aliases) do commands[a] = c end
  end
  return takes, commands
end

local function first_positional(parser)
  for _, a in ipairs(parser._arguments or {}) do
    if not a._hidden then return a._name end
  end
  return nil
end

-- argparse reads "-1" as an unknown option. A negative number after an option that takes a value
-- is glued to it ("--window=-1"), so the option's check names the option; anywhere else it is
-- reported here, naming the positional it would be. Returns the new argv, or nil, a message and
-- the name of the (sub)command it belongs to.
local function negative_numbers(parser, argv)
  local out, current = {}, parser
  local takes, commands = shape(parser)
  for i, a in ipairs(argv) do
    if a == "--" then
      table.move(argv, i, #argv, #out + 1, out)
      return out
    end
    local prev = out[#out]
    if is_negative_number(a) then
      if prev and takes[prev] and prev:sub(1, 2) == "--" then
        out[#out] = prev .. "=" .. a
      elseif prev and takes[prev] then
        out[#out] = prev .. a
      else
        local name = first_positional(current)
        local where = current == parser and parser._name or (parser._name .. " " .. current._name)
        if name then return nil, string.format("%s must not be negative, got '%s'", name, a), where end
        return nil, string.format("unexpected argument '%s'", a), where
      end
    else
      out[#out + 1] = a
      if commands[a] and not (prev and takes[prev]) then
        current = commands[a]
        takes, commands = shape(current)
      end
    end
  end
  return out
end

--- Parse argv with parser. Returns the options table, or nil and the exit code (2) after printing
--- `cx <name>: <message>` to stderr.
function args.parse(parser, argv)
  local fixed, why, where = negative_numbers(parser, argv)
  local ok, opts
  if fixed then
    ok, opts = parser:pparse(fixed)
  else
    ok, opts = false, why
  end
  if ok then return opts end
  io.stderr:write(where or parser._name, ": ", printable.line(opts), "\n", "Run '", parser._name,
    " --help' for usage.\n")
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

--- A count from a flag or positional value: decimal digits with an optional leading '+' and
--- leading zeros (the reference's unsigned parser), from opts.min (default 1) to opts.max (default
--- math.maxinteger). Returns the integer, or nil and a message naming `what` and the value:
--- "<what> must be an integer, got 'x'", "<what> must be >= 1, got '0'", "<what> must be <= N, got ...".
function args.count(text, what, opts)
  opts = opts or {}
  local min, max = opts.min or 1, opts.max or math.maxinteger
  if type(text) ~= "string" then return nil, what .. " must be an integer" end
  local digits = text:match("^%+?(%d+)$")
  if not digits then
    if is_negative_number(text) then return nil, string.format("%s must be >= %d, got '%s'", what, min, text) end
    return nil, string.format("%s must be an integer, got '%s'", what, text)
  end
  digits = digits:gsub("^0+(%d)", "%1")
  local n = #digits <= 19 and math.tointeger(tonumber(digits)) or nil
  if not n or n > max then return nil, string.format("%s must be <= %d, got '%s'", what, max, text) end
  if n < min then return nil, string.format("%s must be >= %d, got '%s'", what, min, text) end
  return n
end

--- An argparse `convert` function checking values with args.count.
function args.converter(what, opts)
  return function(text) return args.count(text, what, opts) end
end

--- A positive integer from a flag or positional value, or nil (args.count with the defaults).
function args.positive_int(text)
  return (args.count(text, "value"))
end

return args
