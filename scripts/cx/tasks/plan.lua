--- The dependency planner of `task run-plan` and run-all (reference scheduler.md §3.2): waves of
--- tasks whose dependencies are met, sequential tasks alone, parallel tasks grouped while their
--- resource keys do not conflict; tasks that can never be ready are blocked with a reason.
--- Pure: the plan depends only on the records.
local record = require "cx.tasks.record"

local plan = {}

--- Effective dependencies: depends_on when non-empty, else {parent_id} when set, else {}.
function plan.deps(t)
  if t.depends_on and #t.depends_on > 0 then return t.depends_on end
  if t.parent_id ~= nil then return { t.parent_id } end
  return {}
end

--- "parallel" or "sequential" (any other run_mode counts as sequential).
function plan.mode(t)
  return t.run_mode == "parallel" and "parallel" or "sequential"
end

--- Effective resource keys: resource_keys when non-empty, else {"repo:write"} for a parallel
--- task, else {}.
function plan.resource_keys(t)
  if t.resource_keys and #t.resource_keys > 0 then return t.resource_keys end
  if plan.mode(t) == "parallel" then return { "repo:write" } end
  return {}
end

--- A lock key's domain and mode: `<domain>:read|write`, else the whole key with mode write.
function plan.lock_of(key)
  local domain, mode = key:match("^(.*):([^:]*)$")
  if domain and (mode == "read" or mode == "write") then return domain, mode end
  return key, "write"
end

--- Two keys conflict when they share a domain and at least one of them writes.
function plan.conflicts(a, b)
  local da, ma = plan.lock_of(a)
  local db, mb = plan.lock_of(b)
  return da == db and (ma == "write" or mb == "write")
end

local function any_conflict(keys, held)
  for _, k in ipairs(keys) do
    for _, h in ipairs(held) do
      if plan.conflicts(k, h) then return true end
    end
  end
  return false
end

-- Cycles among the blocked tasks (Tarjan's strongly connected components over the edges task ->
-- blocked dependency). Returns id -> the cycle through that id as a list of ids ending where it
-- starts, for every task on a cycle.
local function find_cycles(blocked_ids, by_id)
  local is_blocked = {}
  for _, id in ipairs(blocked_ids) do is_blocked[id] = true end
  local function edges(id)
    local out = {}
    for _, d in ipairs(plan.deps(by_id[id])) do
      if is_blocked[d] then out[#out + 1] = d end
    end
    return out
  end
  local index, low, on_stack, stack, counter = {}, {}, {}, {}, 0
  local comps = {}
  local function strong(v)
    counter = counter + 1
    index[v], low[v] = counter, counter
    stack[#stack + 1] = v
    on_stack[v] = true
    for _, w in ipairs(edges(v)) do
      if not index[w] then
        strong(w)
        low[v] = math.min(low[v], low[w])
      elseif on_stack[w] then
        low[v] = math.min(low[v], index[w])
      end
    end
    if low[v] == index[v] then
      local comp = {}
      repeat
        local w = table.remove(stack)
        on_stack[w] = nil
        comp[#comp + 1] = w
      until w == v
      comps[#comps + 1] = comp
    end
  end
  for _, id in ipairs(blocked_ids) do
    if not index[id] then strong(id) end
  end
  local cycles = {}
  for _, comp in ipairs(comps) do
    local members = {}
    for _, id in ipairs(comp) do members[id] = true end
    local self_loop = false
    if #comp == 1 then
      for _, d in ipairs(edges(comp[1])) do
        if d == comp[1] then self_loop = true end
      end
    end
    if #comp > 1 or self_loop then
      -- For each member: the shortest way back to itself inside the component (BFS).
      for _, start in ipairs(comp) do
        local prev, queue, found = { [start] = false }, { start }, nil
        local head = 1
        while head <= #queue and not found do
          local v = queue[head]
          head = head + 1
          local next_ids = edges(v)
          record.sort_ids(next_ids)
          for _, w in ipairs(next_ids) do
            if w == start then
              found = v
              break
            end
            if members[w] and prev[w] == nil then
              prev[w] = v
              queue[#queue + 1] = w
            end
          end
        end
        local path = { start }
        local v = found
        local back = {}
        while v and v ~= start do
          back[#back + 1] = v
          v = prev[v]
        end
        for i = #back, 1, -1 do path[#path + 1] = back[i] end
        path[#path + 1] = start
        cycles[start] = path
      end
    end
  end
  return cycles
end

--- The plan of the tasks whose status equals status_filter:
--- {status_filter, selected (count), waves = {{index, mode, task_ids}}, blocked = {{id, reason,
--- cycle = {ids...}|nil}}}. Blocked reasons keep the reference's wording (`unresolved
--- dependencies: a, b`); a task on a dependency cycle gets `; cycle: a -> b -> a` appended.
function plan.build(tasks, status_filter)
  local selected, complete = {}, {}
  local by_id = {}
  for _, t in ipairs(tasks) do
    if t.status == status_filter then
      selected[#selected + 1] = t
      if by_id[t.id] == nil then by_id[t.id] = t end
    end
    if t.status == "complete" then complete[t.id] = true end
  end
  local remaining = {}
  for _, t in ipairs(selected) do remaining[#remaining + 1] = t end
  local planned = {}
  local function met(dep)
    return planned[dep] or complete[dep]
  end
  local waves, blocked = {}, {}
  while #remaining > 0 do
    local ready, rest = {}, {}
    for _, t in ipairs(remaining) do
      local ok = true
      for _, d in ipairs(plan.deps(t)) do
        if not met(d) then
          ok = false
          break
        end
      end
      if ok then ready[#ready + 1] = t else rest[#rest + 1] = t end
    end
    if #ready == 0 then
      local ids = {}
      for _, t in ipairs(remaining) do
        local unmet = {}
        for _, d in ipairs(plan.deps(t)) do
          if not met(d) then unmet[#unmet + 1] = d end
        end
        local reason = #unmet > 0 and ("unresolved dependencies: " .. table.concat(unmet, ", "))
          or "unknown scheduler stall"
        blocked[#blocked + 1] = { id = t.id, reason = reason }
        ids[#ids + 1] = t.id
      end
      table.sort(blocked, function(a, b) return record.id_less(a.id, b.id) end)
      local cycles = find_cycles(ids, by_id)
      for _, b in ipairs(blocked) do
        local c = cycles[b.id]
        if c then
          b.cycle = c
          b.reason = b.reason .. "; cycle: " .. table.concat(c, " -> ")
        end
      end
      break
    end
    table.sort(ready, function(a, b) return record.id_less(a.id, b.id) end)
    local parallel = {}
    for _, t in ipairs(ready) do
      if plan.mode(t) == "parallel" then
        parallel[#parallel + 1] = t
      else
        waves[#waves + 1] = { index = #waves + 1, mode = "sequential", task_ids = { t.id } }
        planned[t.id] = true
      end
    end
    if #parallel > 0 then
      local held, picked = {}, {}
      for _, t in ipairs(parallel) do
        local keys = plan.resource_keys(t)
        if not any_conflict(keys, held) then
          picked[#picked + 1] = t.id
          for _, k in ipairs(keys) do held[#held + 1] = k end
        else
          rest[#rest + 1] = t -- left for a later round
        end
      end
      for _, id in ipairs(picked) do planned[id] = true end
      waves[#waves + 1] = { index = #waves + 1, mode = "parallel", task_ids = picked }
    end
    remaining = rest
  end
  return { status_filter = status_filter, selected = #selected, waves = waves, blocked = blocked }
end

return plan
