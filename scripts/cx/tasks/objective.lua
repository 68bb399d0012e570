--- How a task's objective runs (reference scheduler.md §2.8, "Objective dispatch"), in process: an
--- objective that names a cx command (`cxo git status`, `next cargo test`, `diffsum`, `fix-run make`,
--- their `cx*` aliases) runs that command's own domain code — capture through cx.jobs, the adapter,
--- the structured pipeline with its schema retry and quarantine — and anything else is a free-text
--- prompt sent as the reference words it (tool `cxtask_run`). The objective writes into a sink
--- (cx.output) and returns its exit code; its rows are the command's own.
local execute = require "cx.execute"
local fix_run = require "cx.commands.fix_run"
local llm_run = require "cx.commands.llm_run"
local structured = require "cx.commands.structured"

local objective = {}

--- The objective split into words the way a POSIX shell would (quotes and backslashes respected,
--- nothing expanded); quoting that does not close falls back to splitting on whitespace.
function objective.words(text)
  local words, cur, have = {}, {}, false
  local i, n = 1, #text
  local quote
  while i <= n do
    local c = text:sub(i, i)
    if quote == "'" then
      if c == "'" then quote = nil else cur[#cur + 1] = c end
    elseif quote == '"' then
      if c == '"' then
        quote = nil
      elseif c == "\\" and i < n and text:sub(i + 1, i + 1):find('[\\"$`]') then
        i = i + 1
        cur[#cur + 1] = text:sub(i, i)
      else
        cur[#cur + 1] = c
      end
    elseif c == "'" or c == '"' then
      quote, have = c, true
    elseif c == "\\" and i < n then
      i = i + 1
      cur[#cur + 1], have = text:sub(i, i), true
    elseif c:find("%s") then
      if have then words[#words + 1] = table.concat(cur) end
      cur, have = {}, false
    else
      cur[#cur + 1], have = c, true
    end
    i = i + 1
  end
  if quote then
    words = {}
    for w in text:gmatch("%S+") do words[#words + 1] = w end
    return words
  end
  if have then words[#words + 1] = table.concat(cur) end
  return words
end

-- cx-command objectives: the first word (or its cx* alias) -> how it runs.
local ALIASES = {
  cxnext = "next", cxdiffsum = "diffsum", cxdiffsum_staged = "diffsum-staged", cxcommitjson = "commitjson",
  cxcommitmsg = "commitmsg", cxfix_run = "fix-run",
}
-- Commands that read no arguments run without them, whatever the objective adds (as the reference).
local NO_ARGS = { diffsum = true, ["diffsum-staged"] = true, commitjson = true, commitmsg = true }

--- The cx command an objective names (canonical name) and its arguments, or nil for free text.
function objective.command(text)
  local words = objective.words(text)
  local name = words[1] and (ALIASES[words[1]] or words[1])
  if not name then return nil end
  if not (llm_run.handles(name) or structured.handles(name) or name == "fix-run") then return nil end
  local args = {}
  if not NO_ARGS[name] then
    for i = 2, #words do args[#args + 1] = words[i] end
  end
  return name, args
end

--- The prompt of a free-text objective, worded as the reference words it.
function objective.prompt(task)
  local ref = task.context_ref
  if type(ref) == "string" and ref:find("%S") then
    return "Task Objective:\n" .. task.objective .. "\n\nContext Ref:\n" .. ref
      .. "\n\nRespond with concise execution notes and next actions."
  end
  return "Task Objective:\n" .. task.objective .. "\n\nRespond with concise execution notes and next actions."
end

--- Run the task's objective once, writing to sink. Returns the exit code (0 ok; the command's
--- own code otherwise: 1 a failed run, 2 a usage error such as `next` without a command).
function objective.run(task, sink)
  local name, args = objective.command(task.objective)
  if name == nil then
    local out = execute.run_prompt({ tool = "cxtask_run", mode = "agent", prompt = objective.prompt(task) })
    if not out.result.ok then
      sink.err("cx task run: objective failed for " .. task.id .. ": " .. out.result.reason .. "\n")
      return 1
    end
    sink.out(out.result.text .. "\n")
    return 0
  end
  if llm_run.handles(name) then return llm_run.execute(name, args, sink) end
  if name == "fix-run" then return fix_run.execute(args, sink) end
  return structured.execute(name, args, sink)
end

return objective
