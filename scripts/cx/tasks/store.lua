--- The task store: `.codex/tasks.json` of the enclosing git repository, the one module that reads
--- or writes it (DECISIONS §6: a database-backed store can replace it behind the same methods).
---
---   local s = store.open()                 -- or nil, "cx task: not inside a git repository", "not_repo"
---   s:load()                 -> tasks (records in file order) | nil, message, class
---   s:update(fn)             -> fn(tasks, tx)'s first return value | nil, message, class
---   s:claim(ids, claim)      -> claimed ids, refused {{id, reason}} | nil, message, class
---   s:finish(list, opts)     -> finished ids, refused {{id, reason}} | nil, message, class
---   s:recover(opts)          -> {recovered = {{id, run_id, pid, note}}, kept = {{id, reason}}} | nil, ...
---   s:run_lock(run_id, opts) -> run lock {run_id, release} | nil, "another run-all is running ...", "busy"
---
--- Guarantees (docs/tasks.md): every write replaces the file atomically (a temporary file in
--- `.codex/`, fsync, rename) under an exclusive flock on `.codex/tasks.lock` held for the whole
--- read-modify-write, so concurrent writers never lose an update; a file that does not parse is
--- reported and never overwritten; reads are bounded (MAX_BYTES) and refuse symlinks and
--- non-regular files. The run-all lock is an flock on `.codex/tasks.run.lock` held for a run's
--- lifetime; its content names the holder (pid, run id). Lock order: run lock, then store lock.
local core = require "cx.core"
local json = require "cx.json"
local paths = require "cx.paths"
local record = require "cx.tasks.record"

local fs = core.fs
local filelock = core.filelock

local store = {}

--- The largest tasks.json cx reads (bytes): far beyond any real graph (10,000 tasks are ~6 MiB),
--- small enough that a runaway file cannot exhaust memory.
store.MAX_BYTES = 256 * 1024 * 1024

local Store = {}
Store.__index = Store

local RunLock = {}
RunLock.__index = RunLock

local NOT_REPO = "cx task: not inside a git repository"

--- The store of the repository at opts.root, else of the repository enclosing the current
--- directory. Returns the store, or nil, "cx task: not inside a git repository", "not_repo".
function store.open(opts)
  local root = opts and opts.root
  if not root then
    local p = paths.resolve()
    root = p and p.root
  end
  if not root then return nil, NOT_REPO, "not_repo" end
  local dir = paths.join(root, ".codex")
  return setmetatable({
    root = root,
    dir = dir,
    path = dir .. "/tasks.json",
    lock_path = dir .. "/tasks.lock",
    run_lock_path = dir .. "/tasks.run.lock",
  }, Store)
end

-- Reading -------------------------------------------------------------------------------------

-- The one place tasks.json is read: core.fs.read_file (docs/security.md) refuses a symlink (the
-- file or a directory under .codex/), anything but a regular file, and a file over max bytes, without
-- hanging on a FIFO. Returns the text, nil for a missing file, or nil, message, class.
local function read_bounded(path, max)
  local text, err, class = fs.read_file(path, { max_bytes = max })
  if text then return text end
  if class == "not_found" then return nil end
  if class == "too_large" then
    return nil, string.format("cannot read %s: larger than %d MiB, the task store's limit", path,
      max // (1024 * 1024)), class
  end
  return nil, err, class
end

local function decode(text, path)
  if text == nil or not text:find("%S") then return {} end
  local doc, err = json.decode(text)
  if doc == nil then return nil, "invalid JSON in " .. path .. ": " .. tostring(err), "invalid" end
  if type(doc) ~= "table" or not json.is_array(doc) then
    return nil, "invalid JSON in " .. path .. ": expected an array of task records", "invalid"
  end
  local tasks = {}
  for i = 1, #doc do
    local r, why = record.from_json(doc[i], i)
    if not r then return nil, "invalid JSON in " .. path .. ": " .. why, "invalid" end
    tasks[i] = r
  end
  return tasks
end

local function encode(tasks)
  local out = {}
  for i, r in ipairs(tasks) do out[i] = record.to_json(r) end
  return json.pretty(json.array(out)) .. "\n"
end
store.encode = encode

-- The same bytes as encode(tasks), built from each record's own text: pieces (record -> its text,
-- indented as an array element) are reused for the records not in `changed` and filled for the
-- others, so a batch that changed 50 of 10,000 records encodes 50. Returns the text.
local function encode_pieces(tasks, pieces, changed)
  if #tasks == 0 then return "[]\n" end
  local parts = {}
  for i, r in ipairs(tasks) do
    local text = not changed[r] and pieces[r]
    if not text then
      text = "  " .. json.pretty(record.to_json(r)):gsub("\n", "\n  ")
      pieces[r] = text
    end
    parts[i] = text
  end
  return "[\n" .. table.concat(parts, ",\n") .. "\n]\n"
end

--- The records in file order (a missing or whitespace-only file is an empty list), or nil,
--- message, class ("invalid" for a file that does not parse or holds a bad record).
--- opts.shared: the records also serve this store's next update while the file is unchanged (no
--- second decode), which then changes them in place: for a caller that reads them but leaves
--- their statuses to the store (the run-all driver).
function Store:load(opts)
  local text, err, class = read_bounded(self.path, store.MAX_BYTES)
  if err then return nil, err, class end
  local tasks
  tasks, err, class = decode(text, self.path)
  if tasks and opts and opts.shared then self.cache = { text = text, tasks = tasks } end
  return tasks, err, class
end

-- Writing -------------------------------------------------------------------------------------

--- Read-modify-write under the store lock: a fresh read, fn(tasks, tx) mutates the records (it
--- may append or remove some) and returns result[, err, class]. The file is rewritten atomically
--- unless fn returned nil and an error (nothing written; the error is returned) or set
--- tx.write = false. An error raised by fn releases the lock and propagates.
function Store:update(fn)
  local ok, err, class = fs.mkdir_p(self.dir)
  if not ok then return nil, err, class end
  local lock <close>, lerr, lclass = filelock.acquire(self.lock_path)
  if not lock then return nil, lerr, lclass end
  local text
  text, err, class = read_bounded(self.path, store.MAX_BYTES)
  if err then return nil, err, class end
  -- The records this store wrote last, when the file still holds exactly those bytes: a run's
  -- batches skip the decode, which dominates an update, and re-encode only the records they
  -- changed (docs/tasks.md). Taken, not shared: fn mutates them, so they are kept again only once
  -- written.
  local cached = self.cache
  self.cache = nil
  local tasks, pieces
  if cached and text == cached.text then
    tasks, pieces = cached.tasks, cached.pieces
  else
    tasks, err, class = decode(text, self.path)
    if not tasks then return nil, err, class end
  end
  -- fn may set tx.changed = {[record] = true}: the only records it changed (else: any)
  local tx = { write = true }
  local result, ferr, fclass = fn(tasks, tx)
  if result == nil and ferr ~= nil then return nil, ferr, fclass end
  if tx.write then
    if not (pieces and tx.changed) then pieces = {} end
    local out = encode_pieces(tasks, pieces, tx.changed or {})
    ok, err, class = fs.write_atomic(self.path, out)
    if not ok then return nil, err, class end
    self.cache = { text = out, tasks = tasks, pieces = pieces }
  end
  return result
end

-- Runs and claims -----------------------------------------------------------------------------

-- The start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot), or nil
-- without /proc. With the pid it names a process uniquely, even after the pid was reused.
local function process_start(pid)
  local f = io.open("/proc/" .. tostring(pid) .. "/stat", "rb")
  if not f then return nil end
  local line = f:read(4096) or ""
  f:close()
  local after = line:match("^.*%)%s+(.*)$") -- the command name may hold spaces and parentheses
  if not after then return nil end
  local i = 2 -- `after` starts at field 3
  for field in after:gmatch("%S+") do
    i = i + 1
    if i == 22 then return math.tointeger(tonumber(field)) end
  end
  return nil
end
store.process_start = process_start

local function pid_alive(pid, start)
  if math.type(pid) ~= "integer" or not filelock.pid_alive(pid) then return false end
  if math.type(start) == "integer" then
    local now = process_start(pid)
    if now and now ~= start then return false end
  end
  return true
end

-- The run lock's note: {pid, pid_start, run_id, started_at} as its holder wrote it ({} when
-- unreadable). It may be stale: only the lock itself says whether someone holds it.
local function read_run_note(self)
  local note = filelock.read_note(self.run_lock_path)
  local doc = note and json.decode(note)
  if type(doc) ~= "table" then return {} end
  local function int(v) return math.type(v) == "integer" and v or nil end
  local function str(v) return type(v) == "string" and v or nil end
  return { pid = int(doc.pid), pid_start = int(doc.pid_start), run_id = str(doc.run_id),
    started_at = str(doc.started_at) }
end

--- Who holds the run-all lock: {pid, pid_start, run_id, started_at} (fields nil when its note is
--- unreadable), or nil when no run holds it.
function Store:run_holder()
  local probe = filelock.acquire(self.run_lock_path, { shared = true, wait = false })
  if probe then
    probe:release()
    return nil
  end
  if not fs.exists(self.run_lock_path) then return nil end
  return read_run_note(self)
end

local function busy_message(holder)
  if holder.run_id == "task-recover" then
    return string.format("a task recover is running in this repository (pid %s); try again when it ends",
      holder.pid or "?")
  end
  return string.format("another run-all is running in this repository (pid %s, run %s)",
    holder.pid or "?", holder.run_id or "?")
end

-- How often a busy run lock is tried again when its note names no live process: the holder is
-- then a prober (run_holder holds a shared lock for microseconds) or a run that has not written
-- its note yet, both a matter of microseconds.
local BUSY_RETRIES = 200

-- The run lock itself, not remembered by the store (recover uses it briefly).
local function acquire_run_lock(self, run_id, wait)
  local ok, err, class = fs.mkdir_p(self.dir)
  if not ok then return nil, err, class end
  local h, holder
  for _ = 1, BUSY_RETRIES do
    h, err, class = filelock.acquire(self.run_lock_path, { wait = wait and true or false })
    if h or class ~= "busy" then break end
    holder = read_run_note(self)
    if pid_alive(holder.pid, holder.pid_start) then break end
  end
  if not h then
    if class == "busy" then return nil, busy_message(holder or read_run_note(self)), "busy" end
    return nil, err, class
  end
  local pid = fs.pid()
  local note = json.encode({ pid = pid, pid_start = process_start(pid), run_id = run_id, started_at = record.now() })
  ok, err, class = h:note(note .. "\n")
  if not ok then
    h:release()
    return nil, err, class
  end
  return setmetatable({ run_id = run_id, handle = h }, RunLock)
end

--- The exclusive run-all lock for run_id, held until lock:release() or the process ends (also
--- by kill -9). A second run-all is refused at once: nil, "another run-all is running in this
--- repository (pid N, run R)", "busy"; opts.wait = true waits for the lock instead.
function Store:run_lock(run_id, opts)
  assert(type(run_id) == "string" and run_id ~= "", "run_lock: run_id must be a non-empty string")
  local lock, err, class = acquire_run_lock(self, run_id, opts and opts.wait)
  if not lock then return nil, err, class end
  lock.store = self
  self.run = lock
  return lock
end

function RunLock:release()
  self.handle:release()
  if self.store and self.store.run == self then self.store.run = nil end
end

function RunLock:held()
  return self.handle:held()
end

RunLock.__close = RunLock.release

-- Is the run that made a claim alive? holder_run_id: the run known to hold the run lock now.
local function claim_alive(claim, holder_run_id)
  if type(claim) ~= "table" then return false end
  if holder_run_id and claim.run_id == holder_run_id then return true end
  -- A claim made under the run lock lives exactly as long as its run holds that lock.
  if claim.run_lock == true then return false end
  return pid_alive(claim.pid, claim.pid_start)
end

local function describe_claim(c)
  return string.format("run %s (pid %s)", tostring(c.run_id), tostring(c.pid))
end

-- The run id holding the run lock now, from this store or from the lock's note.
local function current_holder(self)
  if self.run and self.run:held() then return self.run.run_id end
  local h = self:run_holder()
  return h and h.run_id
end

--- Claims tasks for a run: each id that exists and is not held by another live run becomes
--- in_progress with record.claim = {run_id, pid, pid_start, started_at, run_lock}. claim needs
--- run_id; pid defaults to this process. One write for the whole batch. Returns the claimed ids
--- (in the order given) and the refused ones {{id, reason}}.
function Store:claim(ids, claim)
  assert(type(claim) == "table" and type(claim.run_id) == "string", "claim: claim.run_id is required")
  local now = record.now()
  local pid = claim.pid or fs.pid()
  local c = {
    run_id = claim.run_id,
    pid = pid,
    pid_start = claim.pid_start or process_start(pid),
    started_at = claim.started_at or now,
    run_lock = (self.run and self.run:held() and self.run.run_id == claim.run_id) or nil,
  }
  local r, err, class = self:update(function(tasks, tx)
    local by_id = record.index(tasks)
    local holder = current_holder(self)
    local claimed, refused, changed = {}, {}, {}
    tx.changed = changed
    for _, id in ipairs(ids) do
      local t = by_id[id]
      if not t then
        refused[#refused + 1] = { id = id, reason = "task not found" }
      elseif t.status == "in_progress" and t.claim and t.claim.run_id ~= c.run_id
        and claim_alive(t.claim, holder) then
        refused[#refused + 1] = { id = id, reason = "held by " .. describe_claim(t.claim) }
      else
        t.status = "in_progress"
        t.updated_at = now
        t.claim = { run_id = c.run_id, pid = c.pid, pid_start = c.pid_start, started_at = c.started_at,
          run_lock = c.run_lock }
        changed[t] = true
        claimed[#claimed + 1] = id
      end
    end
    tx.write = #claimed > 0
    return { claimed = claimed, refused = refused }
  end)
  if not r then return nil, err, class end
  return r.claimed, r.refused
end

local FINISH_STATUS = { complete = true, failed = true, pending = true }

--- Final statuses for a batch, in one write: list = {{id, status = "complete"|"failed"|"pending",
--- last_attempt = {...}|nil, blocked_by = {...}|nil, note = text|nil}}. The claim is dropped;
--- blocked_by is set as given (nil clears it); last_attempt replaces the previous one when given;
--- a note is appended. opts.run_id: only tasks still claimed by that run are finished (a task
--- reset by recover or taken by hand meanwhile is refused). Returns the finished ids and the
--- refused ones {{id, reason}}.
function Store:finish(list, opts)
  local run_id = opts and opts.run_id
  local now = record.now()
  local r, err, class = self:update(function(tasks, tx)
    local by_id = record.index(tasks)
    local done, refused, changed = {}, {}, {}
    tx.changed = changed
    for _, e in ipairs(list) do
      local t = by_id[e.id]
      if not t then
        refused[#refused + 1] = { id = e.id, reason = "task not found" }
      elseif not FINISH_STATUS[e.status] then
        refused[#refused + 1] = { id = e.id, reason = "invalid final status '" .. tostring(e.status) .. "'" }
      elseif run_id and not (t.claim and t.claim.run_id == run_id) then
        refused[#refused + 1] = { id = e.id, reason = "no longer claimed by run " .. run_id }
      else
        t.status = e.status
        t.updated_at = now
        t.claim = nil
        t.blocked_by = e.blocked_by
        if e.last_attempt == json.null then
          t.last_attempt = nil
        elseif e.last_attempt ~= nil then
          t.last_attempt = e.last_attempt
        end
        if e.note then record.add_note(t, e.note, now) end
        changed[t] = true
        done[#done + 1] = e.id
      end
    end
    tx.write = #done > 0
    return { done = done, refused = refused }
  end)
  if not r then return nil, err, class end
  return r.done, r.refused
end

--- Resets in_progress tasks whose claiming run is not alive back to pending, each with a note
--- (`recovered: run R (pid N) ended without finishing it`). Refused while another run holds the
--- run lock (nil, "another run-all is running ...", "busy"), unless this store holds it (a run-all
--- recovering at its start). Tasks in_progress without a run claim (set by `task claim`, or by
--- the reference) are kept unless opts.all. Returns {recovered = {{id, run_id, pid, note}},
--- kept = {{id, reason}}}.
function Store:recover(opts)
  opts = opts or {}
  local own = self.run and self.run:held() and self.run.run_id or nil
  local temp
  if not own then
    -- Held while recovering, so no run-all starts (and claims) in between.
    local err, class
    temp, err, class = acquire_run_lock(self, "task-recover")
    if not temp then return nil, err, class end
  end
  local now = record.now()
  local r, err, class = self:update(function(tasks, tx)
    local recovered, kept = {}, {}
    for _, t in ipairs(tasks) do
      if t.status == "in_progress" then
        local c = t.claim
        local note
        if type(c) ~= "table" then
          if opts.all then
            note = "recovered: claimed without a run (task claim); reset by task recover --all"
          else
            kept[#kept + 1] = { id = t.id, reason = "claimed by hand, not by a run (task recover --all resets it)" }
          end
        elseif own and c.run_id == own then
          kept[#kept + 1] = { id = t.id, reason = "claimed by this run" }
        elseif claim_alive(c, nil) then -- we hold the run lock: no other run-all is alive
          kept[#kept + 1] = { id = t.id, reason = describe_claim(c) .. " is still running" }
        else
          note = string.format("recovered: %s ended without finishing it", describe_claim(c))
        end
        if note then
          recovered[#recovered + 1] = { id = t.id, run_id = c and c.run_id, pid = c and c.pid, note = note }
          t.status = "pending"
          t.updated_at = now
          t.claim = nil
          record.add_note(t, note, now)
        end
      end
    end
    tx.write = #recovered > 0
    return { recovered = recovered, kept = kept }
  end)
  if temp then temp:release() end
  if not r then return nil, err, class end
  return r
end

return store
