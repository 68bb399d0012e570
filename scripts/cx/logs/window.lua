--- The last n rows of a run log, streamed: the reference's tolerant window (the last n non-blank
--- lines that parse as JSON, objects or not; other lines are skipped) handed to a function one row
--- at a time, in file order, without ever holding the window. "Parses" is the native checker's
--- verdict (what both the reference's parser and cx.json read). The window's first line is found by
--- walking back through the file a batch of lines at a time, checking each line with the native
--- checker (no decoding); the rows are then read forward from there and decoded one by one
--- (natively: the checker's scan, then the top-level members straight into a table).
--- Memory: one batch of lines and one decoded row, whatever n and the size of the file.
local core = require "cx.core"
local validate = require "cx.logs.validate"

local window = {}

window.BATCH = 512 -- lines per step of the backward walk

-- Where the window starts: true, the offset of its first row (nil when there is none) and how many
-- rows it has; or false, message, class.
local function find_start(path, n)
  local check = validate.contract()
  local need, start, before = n, nil, nil
  while need > 0 do
    local lines, meta, class = core.runlog.tail(path, window.BATCH, before)
    if not lines then return false, meta, class end
    for i = #lines, 1, -1 do
      local kind = check:check(lines[i])
      if kind == "object" or kind == "not_object" then
        need = need - 1
        start = meta.offsets[i]
        if need == 0 then break end
      end
    end
    if #lines < window.BATCH then break end -- the start of the file
    before = meta.offsets[1]
  end
  return true, start, n - need
end

--- Find the window of the last n rows of the log at path: {log_file, exists, start (byte offset of
--- its first row, nil when it has none), count (rows in it)}, or nil, message.
function window.locate(path, n)
  local loc = { log_file = path, exists = false, count = 0 }
  if not core.fs.exists(path) then return loc end
  local ok, start, count = find_start(path, n)
  if not ok then
    if count == "not_found" then return loc end -- removed meanwhile
    return nil, start
  end
  loc.exists, loc.start, loc.count = true, start, count
  return loc
end

--- Calls fn(row, offset, lineno, shape) for each row of a located window, oldest first: offset is
--- the row's byte offset in the file, lineno its line counted from the window's first row (1 there;
--- blank and unparsable lines count); shape (with opts.shape) the row's shape as contract:decode
--- gives it (a string, or false). Returns the number of rows read (loc.count unless the file
--- changed meanwhile), or nil, message.
function window.each(loc, fn, opts)
  if not loc.start then return 0 end
  local step, box, init, closing = core.runlog.lines(loc.log_file, loc.start)
  if not step then return nil, box end
  local check = validate.contract()
  local want_shape = opts and opts.shape or false
  local rows = 0
  local ok, err = pcall(function()
    for lineno, text, _, offset in step, box, init, closing do
      if rows == loc.count then break end
      -- the same verdict as the backward walk's check (so the counts agree), and the row as
      -- cx.json decodes it, in one native pass
      local row, shape = check:decode(text, want_shape)
      if row ~= nil then
        rows = rows + 1
        fn(row, offset, lineno, shape)
      end
    end
  end)
  if not ok then return nil, tostring(err) end
  return rows
end

return window
