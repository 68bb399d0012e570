--- `cx task add <objective words...> [flags]` (reference scheduler.md §2.1): appends a pending task
--- and prints its id. The id is chosen under the store lock, so concurrent adds never collide.
local common = require "cx.commands.task.common"
local config = require "cx.config"
local json = require "cx.json"
local record = require "cx.tasks.record"

local M = {}

M.USAGE = "cx task add <objective> [--role <role>] [--parent <id>] [--context <ref>] "
  .. "[--backend <auto|codex|ollama>] [--model <name>] [--profile <fast|balanced|quality|schema_strict>] "
  .. "[--converge <none|first_valid|majority|judge|score>] [--replicas <n>] [--max-concurrency <n>] "
  .. "[--mode <sequential|parallel>] [--depends-on <id1,id2>] [--resource <key>] [--resource-keys <k1,k2>] "
  .. "[--max-retries <n>] [--timeout-secs <n>]"

local U32 = 4294967295

local function trim(s)
  return (s:match("^%s*(.-)%s*$"))
end

local function csv(text, into)
  for part in (text .. ","):gmatch("([^,]*),") do
    part = trim(part)
    if part ~= "" then into[#into + 1] = part end
  end
end

local function sorted_unique(list)
  table.sort(list)
  local out = {}
  for _, v in ipairs(list) do
    if out[#out] ~= v then out[#out + 1] = v end
  end
  return json.array(out)
end

local function choice(set, flag)
  return function(v, r, key)
    local norm = trim(v):lower()
    if not set[norm] then return nil, "invalid --" .. flag .. " '" .. v .. "'" end
    r[key] = norm
  end
end

local function count(flag, min, max)
  return function(v, r, key)
    local n = config.parse_uint(v, max)
    if n == nil then return nil, "--" .. flag .. " must be an integer" end
    if n < min then return nil, "--" .. flag .. " must be >= " .. min end
    r[key] = n
  end
end

-- flag -> {record key, setter(value, fields, key) -> nil | nil, message}
local FLAGS = {
  ["--role"] = { "role", function(v, r) r.role = v:lower() end },
  ["--parent"] = { "parent_id", function(v, r) r.parent_id = v end },
  ["--context"] = { "context_ref", function(v, r) r.context_ref = v end },
  ["--backend"] = { "backend", choice(record.is_backend, "backend") },
  ["--model"] = { "model", function(v, r)
    local m = trim(v)
    r.model = m ~= "" and m or nil
  end },
  ["--profile"] = { "profile", choice(record.is_profile, "profile") },
  ["--converge"] = { "converge", choice(record.is_converge, "converge") },
  ["--replicas"] = { "replicas", count("replicas", 1, U32) },
  ["--max-concurrency"] = { "max_concurrency", count("max-concurrency", 1, U32) },
  ["--mode"] = { "run_mode", function(v, r)
    if not record.is_mode[v] then return nil, "invalid --mode '" .. v .. "'" end
    r.run_mode = v
  end },
  ["--depends-on"] = { "depends_on", function(v, r) csv(v, r.depends_on) end },
  ["--resource"] = { "resource_keys", function(v, r)
    local k = trim(v)
    if k ~= "" then r.resource_keys[#r.resource_keys + 1] = k end
  end },
  ["--resource-keys"] = { "resource_keys", function(v, r) csv(v, r.resource_keys) end },
  ["--max-retries"] = { "max_retries", count("max-retries", 0, U32) },
  ["--timeout-secs"] = { "timeout_secs", count("timeout-secs", 0, nil) },
}

local function help()
  return common.help(M.USAGE, "Create a pending task and print its id (task_NNN). The objective is every "
    .. "word up to the first --flag; list flags add up, the others: the last one wins.", {
      { "--role <role>", "architect, implementer (default), reviewer, tester or doc" },
      { "--parent <id>", "parent task (an implicit dependency when --depends-on is not given)" },
      { "--context <ref>", "context reference added to the prompt" },
      { "--backend <b>", "auto (default), codex or ollama" },
      { "--model <name>", "model for the task (passed as CX_OLLAMA_MODEL)" },
      { "--profile <p>", "fast, balanced (default), quality or schema_strict" },
      { "--converge <c>", "none (default), first_valid, majority, judge or score" },
      { "--replicas <n>", "replicas for convergence (>= 1)" },
      { "--max-concurrency <n>", "stored for compatibility" },
      { "--mode <m>", "sequential (default) or parallel (planner waves)" },
      { "--depends-on <ids>", "comma-separated task ids this task waits for" },
      { "--resource <key>", "a resource lock key (repo:read, repo:write, db, ...); repeatable" },
      { "--resource-keys <keys>", "comma-separated resource keys" },
      { "--max-retries <n>", "retries of transient failures (0 = none)" },
      { "--timeout-secs <n>", "timeout of one attempt" },
    }, "Exit codes: 0 added, 1 store error, 2 usage error.")
end

--- Parses argv into the new record's fields; nil and the exit code on a usage error.
function M.parse(argv)
  if #argv == 0 then return nil, common.usage(M.USAGE) end
  local words, i = {}, 1
  while argv[i] ~= nil and argv[i]:sub(1, 2) ~= "--" do
    words[#words + 1] = argv[i]
    i = i + 1
  end
  local fields = {
    objective = trim(table.concat(words, " ")), role = "implementer", context_ref = "",
    depends_on = {}, resource_keys = {},
  }
  if fields.objective == "" then return nil, common.usage_error("add", "objective cannot be empty") end
  while i <= #argv do
    local flag = argv[i]
    local spec = FLAGS[flag]
    if not spec then return nil, common.usage_error("add", "unknown flag '" .. flag .. "'") end
    local value = argv[i + 1]
    if value == nil then return nil, common.usage_error("add", flag .. " requires a value") end
    local ok, err = spec[2](value, fields, spec[1])
    if ok == nil and err then return nil, common.usage_error("add", err) end
    i = i + 2
  end
  if not record.is_role[fields.role] then
    return nil, common.usage_error("add", "invalid role '" .. fields.role .. "'")
  end
  fields.depends_on = sorted_unique(fields.depends_on)
  fields.resource_keys = sorted_unique(fields.resource_keys)
  return fields
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local fields, code = M.parse(argv)
  if not fields then return code end
  local s
  s, code = common.open_store()
  if not s then return code end
  local id, err = s:update(function(tasks)
    local r = record.new(record.next_id(tasks), fields)
    tasks[#tasks + 1] = r
    return r.id
  end)
  if not id then return common.fail("add", err) end
  io.stdout:write(id, "\n")
  return 0
end

return M
