--- Copying text to the clipboard through a clipboard program found on PATH (pbcopy, wl-copy, xclip,
--- xsel), run directly — never through a shell — with the text on its stdin.
local core = require "cx.core"
local capture = require "cx.capture"
local config = require "cx.config"

local clipboard = {}

clipboard.PROGRAMS = {
  { "pbcopy" },
  { "wl-copy" },
  { "xclip", "-selection", "clipboard" },
  { "xsel", "--clipboard", "--input" },
}

local function on_path(name, path)
  for dir in (path or ""):gmatch("[^:]+") do
    local st = core.fs.stat(dir .. "/" .. name)
    if st and st.type == "file" then return true end
  end
  return false
end

--- The clipboard programs present on PATH, in preference order (argv lists).
function clipboard.available(path)
  path = path or os.getenv("PATH")
  local out = {}
  for _, argv in ipairs(clipboard.PROGRAMS) do
    if on_path(argv[1], path) then out[#out + 1] = argv end
  end
  return out
end

--- The names clipboard.available looks for, for messages.
function clipboard.names()
  local out = {}
  for _, argv in ipairs(clipboard.PROGRAMS) do out[#out + 1] = argv[1] end
  return table.concat(out, ", ")
end

--- Copy text with the first program that succeeds. Each runs under the timeout of its name (pbcopy
--- is in the shell class). Returns the program's name, or nil and one message listing every failure.
function clipboard.copy(text, programs)
  programs = programs or clipboard.available()
  if #programs == 0 then return nil, "no clipboard program found on PATH (looked for " .. clipboard.names() .. ")" end
  local failures = {}
  for _, argv in ipairs(programs) do
    local bin = argv[1]
    local out, err = capture.run(argv, { stdin = text, label = bin, timeout_secs = config.timeout_for(bin) })
    if out and out.exit_code == 0 and not out.signal then return bin end
    if out then
      failures[#failures + 1] = string.format("%s exited with status %d", bin, out.exit_code)
    else
      failures[#failures + 1] = string.format("%s unavailable/failed: %s", bin, err)
    end
  end
  return nil, "all clipboard backends failed: " .. table.concat(failures, "; ")
end

return clipboard
