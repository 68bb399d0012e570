--- The shared body of the structured commands `next`, `diffsum`, `diffsum-staged`, `commitjson`,
--- `commitmsg`: the task input templates (hashed into rows, so byte-exact with the reference), the
--- capture each one needs, and how each renders its schema-valid result.
local core = require "cx.core"
local json = require "cx.json"
local sinks = require "cx.sink"
local capture = require "cx.capture"
local printable = require "cx.printable"
local schema_exec = require "cx.schema_exec"
local state = require "cx.state"

local M = {}

local function pref(name, default)
  local v = state.get("preferences." .. name)
  if v == nil or v == json.null then return default end
  return v
end

local function bullets(list)
  if type(list) ~= "table" or #list == 0 then return "- n/a" end
  local out = {}
  for _, s in ipairs(list) do out[#out + 1] = "- " .. tostring(s) end
  return table.concat(out, "\n")
end

local function git_diff(staged)
  local argv = { "git", "diff", "--no-color" }
  if staged then table.insert(argv, 3, "--staged") end
  local cap, err, class = capture.capture(argv)
  if not cap then return nil, err, class end
  if cap.exit_code ~= 0 then return nil, string.format("git diff failed with status %d", cap.exit_code) end
  return cap
end

local specs = {}

specs.next = {
  tool = "cxrs_next", schema = "next", needs_command = true,
  usage = "cx next <command> [args...]",
  about = "Run <command>, send its output and exit status to the LLM, print the NEXT commands to run "
    .. "(schema-checked: one per line).",
  input = function(argv)
    local cap, err, class = capture.capture(argv)
    if not cap then return nil, err, class end
    return string.format("Based on the terminal command output below, propose the NEXT shell commands to run.\n"
      .. "Return 1-6 commands in execution order.\n\nExecuted command:\n%s\nExit status: %d\n\nTERMINAL OUTPUT:\n%s",
      table.concat(argv, " "), cap.exit_code, cap.text), cap.fields
  end,
  render = function(v)
    local out = {}
    for _, c in ipairs(v.commands or {}) do
      if type(c) == "string" and c:match("%S") then out[#out + 1] = c end
    end
    return table.concat(out, "\n") .. (#out > 0 and "\n" or "")
  end,
}

local function diffsum(staged)
  return {
    tool = staged and "cxrs_diffsum_staged" or "cxrs_diffsum", schema = "diffsum",
    usage = staged and "cx diffsum-staged" or "cx diffsum",
    about = "Summarize the " .. (staged and "staged" or "unstaged")
      .. " git diff as a PR-ready summary (schema-checked).",
    input = function()
      local cap, err, class = git_diff(staged)
      if not cap then return nil, err, class end
      if not cap.text:match("%S") then
        return nil, staged and "no staged changes." or "no unstaged changes.", "empty"
      end
      return string.format("Write a PR-ready summary of this diff.\nKeep bullets concise and actionable.\n"
        .. "Preferred PR summary format: %s\n\n%s:\n%s", pref("pr_summary_format", "standard"),
        staged and "STAGED DIFF" or "DIFF", cap.text), cap.fields
    end,
    render = function(v)
      return string.format("Title: %s\n\nSummary:\n%s\n\nRisk/edge cases:\n%s\n\nSuggested tests:\n%s\n",
        tostring(v.title), bullets(v.summary), bullets(v.risk_edge_cases), bullets(v.suggested_tests))
    end,
  }
end
specs.diffsum = diffsum(false)
specs["diffsum-staged"] = diffsum(true)

local function commit_input()
  local cap, err, class = git_diff(true)
  if not cap then return nil, err, class end
  if not cap.text:match("%S") then return nil, "no staged changes. run: git add -p", "empty" end
  local conventional = pref("conventional_commits", true)
  local hint = conventional and "Use concise conventional-commit style subject."
    or "Use concise imperative subject (non-conventional format)."
  return string.format("Generate a commit object from this STAGED diff.\n%s\n\nSTAGED DIFF:\n%s", hint, cap.text),
    cap.fields
end

specs.commitjson = {
  tool = "cxrs_commitjson", schema = "commitjson", usage = "cx commitjson",
  about = "Generate a commit object (subject, body, breaking, scope, tests) from the staged diff (schema-checked).",
  input = commit_input,
  render = function(v)
    if v.scope == nil then v.scope = json.null end
    return json.pretty(v) .. "\n"
  end,
}

specs.commitmsg = {
  tool = "cxrs_commitjson", schema = "commitjson", usage = "cx commitmsg",
  about = "Generate a commit message from the staged diff (the commitjson object rendered as text).",
  input = commit_input,
  render = function(v)
    local out = { tostring(v.subject), "" }
    for _, b in ipairs(v.body or {}) do out[#out + 1] = "- " .. tostring(b) end
    if type(v.tests) == "table" and #v.tests > 0 then
      out[#out + 1] = ""
      out[#out + 1] = "Tests:"
      for _, t in ipairs(v.tests) do out[#out + 1] = "- " .. tostring(t) end
    end
    return table.concat(out, "\n") .. "\n"
  end,
}

--- Run structured command `name` with argv, writing to sink (cx.sink). Returns the exit code: 0
--- (an answer, or nothing to summarize), 1 (failed: adapter, schema after its retry, capture), 2
--- (usage).
function M.execute(name, argv, sink)
  local spec = specs[name]
  if spec.needs_command then
    if argv[1] == "--" then table.remove(argv, 1) end
    if #argv == 0 then
      sink.err("cx " .. name .. ": missing <command> to capture (run 'cx " .. name .. " --help')\n")
      return 2
    end
  elseif #argv > 0 then
    sink.err("cx " .. name .. ": unexpected argument '" .. printable.line(argv[1]) .. "'\n")
    return 2
  end
  local started = core.loop.monotonic_ms()
  local _, serr = state.load() -- a broken state.json stops the run before anything is captured
  if serr then
    sink.err("cx " .. name .. ": " .. serr .. "\n")
    return 1
  end
  local input, fields_or_err, class = spec.input(argv)
  if not input then
    if class == "empty" then -- nothing to summarize is an answer, not a failure
      sink.out(fields_or_err .. "\n")
      return 0
    end
    if class == "interrupted" then -- stopped during its capture: still a run, with its row
      schema_exec.record_stopped({ tool = spec.tool, schema_name = spec.schema, class = class,
        reason = fields_or_err, started_ms = started })
    end
    sink.err("cx " .. name .. ": " .. fields_or_err .. "\n")
    return 1
  end
  local out = schema_exec.run({ tool = spec.tool, schema_name = spec.schema, task_input = input,
    capture_fields = fields_or_err, started_ms = started })
  if out.ok then
    sink.out(spec.render(out.value))
    return 0
  end
  if out.kind == "schema" then
    sink.err(string.format("cx %s: schema validation failed; quarantine_id=%s; raw=%s\n",
      name, out.quarantine_id, out.raw))
  else
    sink.err("cx " .. name .. ": " .. out.message .. "\n")
  end
  return 1
end

--- Is name a structured command (next, diffsum, diffsum-staged, commitjson, commitmsg)?
function M.handles(name)
  return specs[name] ~= nil
end

--- The command module for one structured command name.
function M.command(name)
  local spec = specs[name]
  local help = string.format("Usage: %s\n\n%s\nOn a schema failure the reply is retried once with the reason, "
    .. "then quarantined (cx quarantine list, cx replay <id>) and the command exits 1.\n", spec.usage, spec.about)
  return {
    summary = spec.about:match("^[^.(]*"):lower():gsub("%s+$", ""),
    raw_output = true, -- stdout is the answer (cx.output: escaped only on a terminal)
    run = function(argv)
      if argv[1] == "--help" or argv[1] == "-h" then
        io.stdout:write(help)
        return 0
      end
      return M.execute(name, argv, sinks.stdio())
    end,
  }
end

return M
