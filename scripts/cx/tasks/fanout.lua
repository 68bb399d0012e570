--- `task fanout` (reference scheduler.md §2.7): a parent task and role-tagged children, one per
--- chunk of the source text (a diff, the log, a file), at least 3 and at most 6. Pure: the caller
--- collects the text and saves the records.
local json = require "cx.json"
local record = require "cx.tasks.record"

local fanout = {}

fanout.ROLE_CYCLE = { "architect", "implementer", "reviewer", "tester", "doc" }
fanout.MIN_CHILDREN = 3
fanout.MAX_CHUNKS = 6
fanout.SOURCES = { "worktree", "staged-diff", "log", "file:PATH" }

--- The number of line-aligned chunks of at most budget bytes (a line counts its length + 1; a
--- line longer than the budget is a chunk of its own), as the reference's chunker splits them.
function fanout.count_chunks(text, budget)
  if not text:find("%S") then return 0 end
  local s = text
  if s:sub(-1) ~= "\n" then s = s .. "\n" end
  local chunks, size = 0, 0
  for line in s:gmatch("(.-)\n") do
    local n = #line:gsub("\r$", "") + 1
    if size > 0 and size + n > budget then
      chunks = chunks + 1
      size = 0
    end
    size = size + n
  end
  if size > 0 then chunks = chunks + 1 end
  return chunks
end

local function role_at(i)
  return fanout.ROLE_CYCLE[(i % #fanout.ROLE_CYCLE) + 1]
end

local OBJECTIVES = {
  architect = "Define implementation plan for: %s",
  implementer = "Implement chunk %d for: %s",
  reviewer = "Review chunk %d changes for correctness/safety: %s",
  tester = "Create/execute tests for chunk %d: %s",
  doc = "Document chunk %d outcomes: %s",
}

local function child_objective(role, n, objective)
  if role == "architect" then return string.format(OBJECTIVES.architect, objective) end
  return string.format(OBJECTIVES[role], n, objective)
end

--- The records to append for objective over text: the parent, then its children (padding
--- children included: the reference printed but did not save them, docs/compat.md). Ids follow the
--- largest existing one in tasks. Returns parent, children.
function fanout.build(tasks, objective, text, budget, now)
  now = now or record.now()
  local chunks = fanout.count_chunks(text, budget)
  local has_chunks = chunks > 0
  local n = math.max(1, math.min(chunks, fanout.MAX_CHUNKS))
  local next_n = record.id_number(record.next_id(tasks))
  local function take_id()
    local id = record.format_id(next_n)
    next_n = next_n + 1
    return id
  end
  local parent = record.new(take_id(), {
    role = "architect", objective = objective, context_ref = "fanout_parent",
    resource_keys = json.array({ "repo:write" }),
  }, now)
  local children = {}
  local function child(role, obj, context_ref, keys)
    children[#children + 1] = record.new(take_id(), {
      role = role, objective = obj, context_ref = context_ref, parent_id = parent.id,
      depends_on = json.array({ parent.id }), run_mode = "parallel", resource_keys = json.array(keys),
    }, now)
  end
  for i = 0, n - 1 do
    local role = role_at(i + 1)
    local ref = has_chunks and string.format("diff_chunk_%d/%d", i + 1, n) or ("objective:" .. objective)
    child(role, child_objective(role, i + 1, objective), ref,
      { role == "implementer" and "repo:write" or "repo:read" })
  end
  while #children < fanout.MIN_CHILDREN do
    local role = role_at(#children + 1)
    child(role, role .. " workstream for: " .. objective, "objective", { "repo:read" })
  end
  return parent, children
end

return fanout
