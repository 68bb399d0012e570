--- What the `cx task` subcommands share: help and usage errors in the reference's wording,
--- opening the store with its messages, status flags, and table cells safe to print.
local store = require "cx.tasks.store"
local record = require "cx.tasks.record"

local common = {}

--- True when argv asks for help: `--help` anywhere, or `-h` first.
function common.wants_help(argv)
  if argv[1] == "-h" then return true end
  for _, a in ipairs(argv) do
    if a == "--help" then return true end
  end
  return false
end

--- Help text: the usage line, a description, and option lines {flag, text}.
function common.help(usage, description, options, footer)
  local lines = { "Usage: " .. usage, "", description }
  if options and #options > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Options:"
    local width = 0
    for _, o in ipairs(options) do width = math.max(width, #o[1]) end
    for _, o in ipairs(options) do
      lines[#lines + 1] = "  " .. o[1] .. string.rep(" ", width + 2 - #o[1]) .. o[2]
    end
  end
  if footer then
    lines[#lines + 1] = ""
    lines[#lines + 1] = footer
  end
  return table.concat(lines, "\n") .. "\n"
end

--- Prints help when asked; returns 0 then, else nil.
function common.maybe_help(argv, text)
  if common.wants_help(argv) then
    io.stdout:write(type(text) == "function" and text() or text)
    return 0
  end
  return nil
end

--- `cx task <sub>: <message>` on stderr, then the usage line when given; exit code 2.
function common.usage_error(sub, message, usage)
  io.stderr:write("cx task ", sub, ": ", message, "\n")
  if usage then io.stderr:write("Usage: ", usage, "\n") end
  return 2
end

--- Only the usage line (the reference's answer to a missing argument); exit code 2.
function common.usage(usage)
  io.stderr:write("Usage: ", usage, "\n")
  return 2
end

--- `cx task <sub>: <message>` on stderr (or `cx task: ...` when sub is nil); exit code 1.
function common.fail(sub, message)
  io.stderr:write("cx task", sub and (" " .. sub) or "", ": ", tostring(message), "\n")
  return 1
end

--- The store, or nil and the exit code (1) after printing `cx task: not inside a git repository`.
function common.open_store()
  local s, err = store.open()
  if not s then
    io.stderr:write(err, "\n")
    return nil, 1
  end
  return s
end

--- The store's records, or nil and the exit code (1) after printing the error.
function common.load(sub)
  local s, code = common.open_store()
  if not s then return nil, code end
  local tasks, err = s:load()
  if not tasks then return nil, common.fail(sub, err) end
  return tasks, s
end

--- The value of a `--status` flag, or nil and an error kind: "missing" or "invalid".
function common.status_value(v)
  if v == nil then return nil, "missing" end
  if not record.is_status[v] then return nil, "invalid" end
  return v
end

--- Parses the `[--status S] [--json]` flags of list and run-plan. Returns {status, json}, or nil
--- and exit code 2 after printing the reference's message (a missing value prints the usage).
function common.status_json_flags(sub, argv, usage, status)
  local o = { status = status, json = false }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--status" then
      local v, why = common.status_value(argv[i + 1])
      if why == "missing" then return nil, common.usage(usage) end
      if why then return nil, common.usage_error(sub, "invalid status '" .. argv[i + 1] .. "'") end
      o.status = v
      i = i + 1
    elseif a == "--json" then
      o.json = true
    else
      return nil, common.usage_error(sub, "unknown flag '" .. a .. "'")
    end
    i = i + 1
  end
  return o
end

--- Text for a table cell or a line: control characters (newlines, escapes) become spaces.
function common.cell(v)
  if v == nil then return "-" end
  return (tostring(v):gsub("[%c\127]", " "))
end

--- Lines of a `a | b | c` table with its `---|---` rule.
function common.table(header, rows)
  local rule = {}
  for i = 1, #header do rule[i] = "---" end
  local lines = { table.concat(header, " | "), table.concat(rule, "|") }
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 1, #header do cells[i] = common.cell(r[i]) end
    lines[#lines + 1] = table.concat(cells, " | ")
  end
  return lines
end

return common
