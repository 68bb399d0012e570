--- Native reduction of captured command output (reference logs.md §7 step 2): keep the lines that
--- matter for the command that produced them, then normalize blank runs and very long lines.
local M = {}

local function lines_of(text)
  local out = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do out[#out + 1] = (line:gsub("\r$", "")) end
  if out[#out] == "" then out[#out] = nil end
  return out
end

local function keep(lines, pred, max)
  local out = {}
  for _, l in ipairs(lines) do
    if pred(l) then
      out[#out + 1] = l
      if max and #out >= max then break end
    end
  end
  return out
end

local function starts(l, ...)
  for _, p in ipairs({ ... }) do
    if l:sub(1, #p) == p then return true end
  end
  return false
end

local function git_status(lines)
  local out = keep(lines, function(l)
    return starts(l, "On branch", "HEAD detached", "Your branch", "Changes ", "Untracked files", "nothing to commit",
      "no changes added", "Unmerged paths", "You have unmerged", "All conflicts fixed")
      or l:match("^%s+modified:") or l:match("^%s+new file:") or l:match("^%s+deleted:")
      or l:match("^%s+renamed:") or l:match("^%s+both modified:") or l:match("^%s+typechange:")
      or (l:match("^\t%S") ~= nil)
  end)
  if #out == 0 then out = keep(lines, function() return true end, 120) end
  return out
end

local function git_diff(lines)
  local changes = 0
  return keep(lines, function(l)
    if starts(l, "diff --git", "index ", "--- ", "+++ ", "@@", "Binary files", "rename from", "rename to") then
      return true
    end
    if (l:sub(1, 1) == "+" or l:sub(1, 1) == "-") and changes < 300 then
      changes = changes + 1
      return true
    end
    return false
  end)
end

local function git_log(lines)
  return keep(lines, function(l)
    return starts(l, "commit ", "Author:", "Date:", "Merge:", "*", "-") or l:match("^%s+%S") ~= nil
  end, 250)
end

local function nonblank(max)
  return function(lines) return keep(lines, function(l) return l:match("%S") ~= nil end, max) end
end

local function test_output(lines)
  return keep(lines, function(l)
    local s = l:lower()
    return s:find("fail", 1, true) or s:find("error", 1, true) or s:find("panic", 1, true)
      or s:find("warning", 1, true) or s:find("passed", 1, true) or s:find("test result", 1, true)
      or s:find("running ", 1, true)
  end, 400)
end

local function reducer_for(argv, profile)
  local a0 = (argv[1] or ""):match("[^/]*$")
  local a1 = argv[2]
  if profile == "deep" or a0 == "test" or a1 == "test" then return test_output end
  if a0 == "git" and a1 == "status" then return git_status end
  if (a0 == "git" and a1 == "diff") or a0 == "diff" then return git_diff end
  if (a0 == "git" and a1 == "log") or a0 == "log" then return git_log end
  if a0 == "grep" or a0 == "rg" then return nonblank(400) end
  if a0 == "tree" or a0 == "ls" then return nonblank(300) end
  return nil
end

--- Reduce text captured from argv. enabled=false skips the command-specific step (CX_NATIVE_REDUCE=0);
--- the normalization (blank runs collapsed, lines over 600 chars cut, every line ends in \n) always runs.
function M.reduce(text, argv, enabled, profile)
  local lines = lines_of(text or "")
  if enabled then
    local r = reducer_for(argv or {}, profile)
    if r then lines = r(lines) end
  end
  local out, prev_blank = {}, false
  for _, l in ipairs(lines) do
    local blank = not l:match("%S")
    if not (blank and prev_blank) then
      if utf8.len(l) and utf8.len(l) > 600 then
        l = l:sub(1, utf8.offset(l, 601) - 1) .. "..."
      elseif #l > 600 and not utf8.len(l) then
        l = l:sub(1, 600) .. "..."
      end
      out[#out + 1] = l .. "\n"
    end
    prev_blank = blank
  end
  return table.concat(out)
end

M.lines_of = lines_of
return M
