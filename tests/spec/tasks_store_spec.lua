-- The task store (cx.tasks.store, cx.tasks.record): compatibility with the reference's tasks.json,
-- validation, bounded reads, atomic locked writes under concurrency, claims, the run lock and
-- recovery after a run died (kill -9 of a process holding the lock).
local h = require "helpers.cli"
local json = require "cx.json"
local record = require "cx.tasks.record"
local store = require "cx.tasks.store"

local FIXTURE = h.root .. "/tests/fixtures/tasks/reference_tasks.json"
local LUA_ENV = "LUA_PATH=" .. h.quote(h.root .. "/scripts/?.lua;" .. h.root .. "/scripts/?/init.lua;;")
  .. " LUA_CPATH=" .. h.quote(h.root .. "/build/lib/?.so;;")

local dirs = {}

local function repo(tasks_text)
  local d = h.tmprepo()
  dirs[#dirs + 1] = d
  if tasks_text then
    os.execute("mkdir -p " .. h.quote(d .. "/.codex"))
    h.write(d .. "/.codex/tasks.json", tasks_text)
  end
  return d, store.open({ root = d })
end

local function add(s, objective, fields)
  return assert(s:update(function(tasks)
    local f = fields or {}
    f.objective = objective
    local r = record.new(record.next_id(tasks), f)
    tasks[#tasks + 1] = r
    return r.id
  end))
end

local function by_id(s)
  return (record.index(assert(s:load())))
end

-- A Lua program run in another process with cx's modules (the chunk gets the repo root as ...).
local function lua_cmd(code, root)
  return LUA_ENV .. " exec lua5.4 -e " .. h.quote("local root = " .. string.format("%q", root) .. "\n" .. code)
end

teardown(function()
  for _, d in ipairs(dirs) do h.rm(d) end
end)

describe("tasks.json compatibility", function()
  it("writes back a file the reference wrote byte for byte", function()
    local text = h.slurp(FIXTURE)
    local d, s = repo(text)
    local tasks = assert(s:load())
    assert.equal(3, #tasks)
    assert.equal("llama3.1:8b", tasks[2].model)
    assert.is_nil(tasks[1].parent_id)
    assert.same({ "task_001", "task_003" }, { tasks[2].depends_on[1], tasks[2].depends_on[2] })
    assert.equal(90, tasks[2].timeout_secs)
    assert.truthy(s:update(function() return true end))
    assert.equal(text, h.slurp(d .. "/.codex/tasks.json"))
  end)

  it("fills the reference's defaults for absent optional keys and keeps unknown keys", function()
    local _, s = repo(json.encode({ {
      id = "task_007", role = "tester", objective = "x", context_ref = "", status = "pending",
      created_at = "t", updated_at = "t", future_key = { a = 1 },
    } }))
    local t = assert(s:load())[1]
    assert.equal("auto", t.backend)
    assert.equal("balanced", t.profile)
    assert.equal("none", t.converge)
    assert.equal(1, t.replicas)
    assert.equal("sequential", t.run_mode)
    assert.equal(0, #t.depends_on)
    assert.is_nil(t.max_retries)
    assert.truthy(s:update(function() return true end))
    local written = assert(json.decode(h.slurp(s.path)))[1]
    assert.equal(json.null, written.model)
    assert.equal(1, written.future_key.a)
    assert.equal("auto", written.backend)
  end)

  for _, case in ipairs({
    { "a missing required key", { id = "task_001", objective = "x", context_ref = "", status = "pending",
      created_at = "t", updated_at = "t" }, "task record 2 (task_001): missing required key 'role'" },
    { "a wrong type", { id = "task_001", role = "doc", objective = "x", context_ref = "", status = "pending",
      created_at = "t", updated_at = "t", replicas = "3" }, "task record 2 (task_001): key 'replicas' must be" },
    { "a record that is not an object", 5, "task record 2 is not an object" },
  }) do
    it("rejects " .. case[1] .. ", naming the file, the record and the key", function()
      local good = { id = "task_000", role = "doc", objective = "x", context_ref = "", status = "pending",
        created_at = "t", updated_at = "t" }
      local _, s = repo(json.encode(json.array({ good, case[2] })))
      local v, err, class = s:load()
      assert.is_nil(v)
      assert.equal("invalid", class)
      assert.truthy(err:find("invalid JSON in " .. s.path .. ": ", 1, true), err)
      assert.truthy(err:find(case[3], 1, true), err)
    end)
  end

  it("reads a missing or whitespace-only file as an empty list", function()
    local _, s = repo()
    assert.same({}, assert(s:load()))
    local _, s2 = repo(" \n\t\n")
    assert.same({}, assert(s2:load()))
  end)

  it("refuses a top level that is not an array", function()
    local _, s = repo('{"id": "task_001"}')
    local v, err = s:load()
    assert.is_nil(v)
    assert.truthy(err:find("expected an array of task records", 1, true))
  end)

  it("is not found outside a git repository", function()
    local dir = h.tmpdir()
    dirs[#dirs + 1] = dir
    local v = require("helpers.sub").lua([[
      local s, err, class = require("cx.tasks.store").open()
      return { s = s ~= nil, err = err, class = class }
    ]], { HOME = dir }, dir)
    assert.same({ s = false, err = "cx task: not inside a git repository", class = "not_repo" }, v)
  end)
end)

describe("a corrupt or unsafe tasks.json", function()
  it("is reported and never overwritten", function()
    local corrupt = '[{"id": "task_001",'
    local d, s = repo(corrupt)
    local v, err, class = s:load()
    assert.is_nil(v)
    assert.equal("invalid", class)
    assert.truthy(err:match("^invalid JSON in .*tasks%.json: "), err)
    local r, uerr = s:update(function(tasks)
      tasks[#tasks + 1] = record.new("task_009", { objective = "x" })
      return true
    end)
    assert.is_nil(r)
    assert.equal(err, uerr)
    assert.is_nil(select(1, s:claim({ "task_001" }, { run_id = "r" })))
    assert.is_nil(select(1, s:finish({ { id = "task_001", status = "complete" } })))
    assert.equal(corrupt, h.slurp(d .. "/.codex/tasks.json"))
  end)

  it("is not followed through a symlink, nor read when not a regular file", function()
    local d, s = repo()
    os.execute("mkdir -p " .. h.quote(d .. "/.codex"))
    os.execute("cp " .. h.quote(FIXTURE) .. " " .. h.quote(d .. "/real.json"))
    assert(os.execute("ln -s ../real.json " .. h.quote(d .. "/.codex/tasks.json")))
    local v, err = s:load()
    assert.is_nil(v)
    assert.truthy(err:find("symbolic link", 1, true), err)
    assert.truthy(err:find(s.path, 1, true), err)
    local d2, s2 = repo()
    assert(os.execute("mkdir -p " .. h.quote(d2 .. "/.codex/tasks.json")))
    v, err = s2:load()
    assert.is_nil(v)
    assert.truthy(err:find("not a regular file", 1, true), err)
  end)

  it("is refused above the size limit, before it is read", function()
    local d, s = repo("[]")
    -- a sparse file: its size is over the limit without writing 256 MiB
    assert(os.execute("truncate -s " .. (store.MAX_BYTES + 1) .. " " .. h.quote(d .. "/.codex/tasks.json")))
    local v, err, class = s:load()
    assert.is_nil(v)
    assert.equal("too_large", class)
    assert.truthy(err:find("larger than 256 MiB", 1, true), err)
  end)
end)

describe("store updates", function()
  it("write atomically: a complete file with a trailing newline, no temporary left", function()
    local d, s = repo()
    add(s, "one")
    add(s, "two")
    local text = h.slurp(s.path)
    assert.equal("\n", text:sub(-1))
    assert.equal(2, #assert(json.decode(text)))
    local p = io.popen("ls -a " .. h.quote(d .. "/.codex"))
    local names = p:read("a")
    p:close()
    assert.is_nil(names:find("tmp", 1, true), names)
  end)

  it("read the file fresh under the lock (a write made by another store is kept)", function()
    local _, s = repo()
    local s2 = store.open({ root = s.root })
    add(s, "one")
    add(s2, "two")
    local ids = {}
    for _, t in ipairs(assert(s:load())) do ids[#ids + 1] = t.id end
    assert.same({ "task_001", "task_002" }, ids)
  end)

  it("write nothing when fn returns an error or tx.write is false", function()
    local _, s = repo()
    add(s, "one")
    local before = h.slurp(s.path)
    local r, err, class = s:update(function(tasks)
      tasks[1].status = "failed"
      return nil, "changed my mind", "nope"
    end)
    assert.is_nil(r)
    assert.equal("changed my mind", err)
    assert.equal("nope", class)
    assert.truthy(s:update(function(tasks, tx)
      tasks[1].status = "failed"
      tx.write = false
      return true
    end))
    assert.equal(before, h.slurp(s.path))
  end)

  it("release the lock when fn raises", function()
    local _, s = repo()
    assert.has_error(function() s:update(function() error("boom") end) end)
    add(s, "after the error") -- would wait forever if the lock were still held
    local lock = assert(require("cx.core").filelock.acquire(s.lock_path, { wait = false }))
    lock:release()
  end)

  it("never lose an update: 8 processes x 25 adds give 200 distinct ids", function()
    local d = repo()
    local code = [[
      local store = require "cx.tasks.store"
      local record = require "cx.tasks.record"
      local s = assert(store.open({ root = root }))
      for i = 1, 25 do
        assert(s:update(function(tasks)
          tasks[#tasks + 1] = record.new(record.next_id(tasks), { objective = WORKER .. ":" .. i })
          return true
        end))
      end
    ]]
    local script = {}
    for w = 1, 8 do
      script[#script + 1] = lua_cmd("local WORKER = 'w" .. w .. "'\n" .. code, d) .. " &"
    end
    script[#script + 1] = "wait"
    assert(os.execute(table.concat(script, "\n")))
    local tasks = assert(store.open({ root = d }):load())
    assert.equal(200, #tasks)
    local ids, objectives = {}, {}
    for _, t in ipairs(tasks) do
      assert.is_nil(ids[t.id], "duplicate id " .. t.id)
      ids[t.id] = true
      objectives[t.objective] = true
    end
    for n = 1, 200 do assert.truthy(ids[record.format_id(n)], record.format_id(n)) end
    for w = 1, 8 do
      for i = 1, 25 do assert.truthy(objectives["w" .. w .. ":" .. i], "lost w" .. w .. ":" .. i) end
    end
  end)
end)

describe("claims and final statuses", function()
  it("claim a batch in one write and skip unknown ids", function()
    local _, s = repo()
    add(s, "a")
    add(s, "b")
    local claimed, refused = s:claim({ "task_001", "task_404", "task_002" }, { run_id = "run-1" })
    assert.same({ "task_001", "task_002" }, claimed)
    assert.same({ { id = "task_404", reason = "task not found" } }, refused)
    local t = by_id(s).task_001
    assert.equal("in_progress", t.status)
    assert.equal("run-1", t.claim.run_id)
    assert.equal(require("cx.core").fs.pid(), t.claim.pid)
    assert.is_nil(t.claim.run_lock) -- not made under the run lock
  end)

  it("finish a batch: statuses, last_attempt, blocked_by, notes; claims dropped", function()
    local _, s = repo()
    for _, o in ipairs({ "a", "b", "c" }) do add(s, o) end
    assert(s:claim({ "task_001", "task_002", "task_003" }, { run_id = "run-1" }))
    local done, refused = s:finish({
      { id = "task_001", status = "complete", last_attempt = { class = json.null, execution_id = "e1", attempt = 1 } },
      { id = "task_002", status = "failed", last_attempt = { class = "timeout", reason = "timed out after 1s",
        execution_id = "e2", quarantine_id = "q2", attempt = 2, max_attempts = 2 } },
      { id = "task_003", status = "pending", blocked_by = { id = "task_002", status = "failed", run_id = "run-1" },
        note = "skipped: dependency task_002 failed" },
      { id = "task_004", status = "complete" },
      { id = "task_001", status = "weird" },
    }, { run_id = "run-1" })
    assert.same({ "task_001", "task_002", "task_003" }, done)
    assert.equal(2, #refused)
    local t = by_id(s)
    assert.equal("complete", t.task_001.status)
    assert.is_nil(t.task_001.claim)
    assert.equal("timeout", t.task_002.last_attempt.class)
    assert.equal("q2", t.task_002.last_attempt.quarantine_id)
    assert.equal("pending", t.task_003.status)
    assert.equal("task_002", t.task_003.blocked_by.id)
    assert.equal("skipped: dependency task_002 failed", t.task_003.notes[1].text)
    assert.truthy(t.task_003.notes[1].time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
  end)

  it("refuse to finish a task that is no longer claimed by the run", function()
    local _, s = repo()
    add(s, "a")
    assert(s:claim({ "task_001" }, { run_id = "run-1" }))
    assert(s:update(function(tasks)
      record.set_status(tasks[1], "complete") -- by hand, meanwhile
      return true
    end))
    local done, refused = s:finish({ { id = "task_001", status = "failed" } }, { run_id = "run-1" })
    assert.same({}, done)
    assert.equal("no longer claimed by run run-1", refused[1].reason)
    assert.equal("complete", by_id(s).task_001.status)
  end)

  it("keep a task held by a live claim from another run; take one whose process is gone", function()
    local _, s = repo()
    add(s, "live")
    add(s, "dead")
    local me = require("cx.core").fs.pid()
    local p = io.popen("sh -c 'echo $$'")
    local dead_pid = math.tointeger(tonumber(p:read("l")))
    p:close()
    assert(s:claim({ "task_001" }, { run_id = "solo-live", pid = me }))
    assert(s:claim({ "task_002" }, { run_id = "solo-dead", pid = dead_pid }))
    local claimed, refused = s:claim({ "task_001", "task_002" }, { run_id = "run-2" })
    assert.same({ "task_002" }, claimed)
    assert.equal("held by run solo-live (pid " .. me .. ")", refused[1].reason)
  end)
end)

describe("the run lock", function()
  it("refuses a second run-all, naming the holder's pid and run id", function()
    local _, s = repo()
    local lock = assert(s:run_lock("run-A"))
    local other = store.open({ root = s.root })
    local v, err, class = other:run_lock("run-B")
    assert.is_nil(v)
    assert.equal("busy", class)
    assert.equal(string.format("another run-all is running in this repository (pid %d, run run-A)",
      require("cx.core").fs.pid()), err)
    assert.same("run-A", other:run_holder().run_id)
    lock:release()
    assert.is_nil(other:run_holder())
    assert(other:run_lock("run-B")):release()
  end)

  it("names a running recover, and does not hang on a holder whose note is stale", function()
    local _, s = repo()
    local fl = require("cx.core").filelock
    require("cx.core").fs.mkdir_p(s.dir)
    local h1 = assert(fl.acquire(s.run_lock_path, { wait = false }))
    h1:note(json.encode({ pid = require("cx.core").fs.pid(), run_id = "task-recover" }))
    local v, err, class = s:run_lock("run-A")
    assert.is_nil(v)
    assert.equal("busy", class)
    assert.equal(string.format("a task recover is running in this repository (pid %d); try again when it ends",
      require("cx.core").fs.pid()), err)
    -- a note naming no live process (a prober holds the lock): retried a bounded number of times
    h1:note(json.encode({ pid = 2147483000, run_id = "old" }))
    v, err, class = s:run_lock("run-A")
    assert.is_nil(v)
    assert.equal("busy", class)
    assert.equal("another run-all is running in this repository (pid 2147483000, run old)", err)
    h1:release()
    assert(s:run_lock("run-A")):release()
  end)

  it("marks claims made under it, and recover keeps the holder's own claims", function()
    local _, s = repo()
    add(s, "a")
    local lock <close> = assert(s:run_lock("run-A"))
    assert.is_true(lock:held())
    assert(s:claim({ "task_001" }, { run_id = "run-A" }))
    assert.is_true(by_id(s).task_001.claim.run_lock)
    local r = assert(s:recover())
    assert.same({}, r.recovered)
    assert.equal("claimed by this run", r.kept[1].reason)
  end)

  it("dies with its holder: after kill -9, recover puts the run's tasks back to pending", function()
    local d, s = repo()
    for _, o in ipairs({ "a", "b", "c" }) do add(s, o) end
    local fifo = d .. "/hold.fifo"
    assert(os.execute("mkfifo " .. h.quote(fifo)))
    -- The child takes the run lock, claims two tasks, prints its pid and blocks opening the FIFO.
    local child = io.popen(lua_cmd([[
      local store = require "cx.tasks.store"
      local s = assert(store.open({ root = root }))
      local lock = assert(s:run_lock("run-dead"))
      assert(s:claim({ "task_001", "task_002" }, { run_id = "run-dead" }))
      io.stdout:write(require("cx.core").fs.pid(), "\n")
      io.stdout:flush()
      io.open(]] .. string.format("%q", fifo) .. [[, "r")
      lock:release()
    ]], d), "r")
    local pid = math.tointeger(tonumber(child:read("l")))
    assert.truthy(pid)
    -- while it lives: no second run, no recovery, its claims hold
    local v, err, class = store.open({ root = d }):run_lock("run-2")
    assert.is_nil(v)
    assert.equal("busy", class)
    assert.truthy(err:find("(pid " .. pid .. ", run run-dead)", 1, true), err)
    v, err, class = s:recover()
    assert.is_nil(v)
    assert.equal("busy", class)
    assert.truthy(err:find("run run-dead", 1, true))
    local claimed, refused = s:claim({ "task_001" }, { run_id = "run-2" })
    assert.same({}, claimed)
    assert.equal("held by run run-dead (pid " .. pid .. ")", refused[1].reason)
    assert(os.execute("kill -9 " .. pid))
    child:close()
    local r = assert(s:recover())
    assert.equal(2, #r.recovered)
    local expected = "recovered: run run-dead (pid " .. pid .. ") ended without finishing it"
    assert.equal(expected, r.recovered[1].note)
    local t = by_id(s)
    for _, id in ipairs({ "task_001", "task_002" }) do
      assert.equal("pending", t[id].status)
      assert.is_nil(t[id].claim)
      assert.equal(expected, t[id].notes[1].text)
    end
    assert.equal("pending", t.task_003.status)
    assert.is_nil(t.task_003.notes)
    -- the lock is free again
    assert(s:run_lock("run-3")):release()
  end)

  it("recover keeps hand claims unless all, and judges lock-less claims by their process", function()
    local _, s = repo()
    for _, o in ipairs({ "a", "b", "c", "d" }) do add(s, o) end
    local me = require("cx.core").fs.pid()
    assert(s:update(function(tasks)
      record.set_status(tasks[1], "in_progress") -- by hand: no claim
      return true
    end))
    assert(s:claim({ "task_002" }, { run_id = "solo", pid = me }))
    -- the same pid but another process start: the pid was reused, the claimer is gone
    assert(s:claim({ "task_003" }, { run_id = "reused", pid = me, pid_start = -1 }))
    local r = assert(s:recover())
    local kept = {}
    for _, k in ipairs(r.kept) do kept[k.id] = k.reason end
    assert.truthy(kept.task_001:find("claimed by hand", 1, true))
    assert.truthy(kept.task_002:find("still running", 1, true))
    assert.equal(1, #r.recovered)
    assert.equal("task_003", r.recovered[1].id)
    r = assert(s:recover({ all = true }))
    assert.equal("task_001", r.recovered[1].id)
    assert.equal("in_progress", by_id(s).task_002.status)
  end)
end)

describe("records", function()
  it("sort ids numerically (task_999 before task_1000)", function()
    local ids = record.sort_ids({ "task_1000", "task_999", "task_010", "task_002", "abc", "task_01" })
    assert.same({ "abc", "task_01", "task_002", "task_010", "task_999", "task_1000" }, ids)
    assert.is_false(record.id_less("task_5", "task_5"))
    assert.is_true(record.id_less("task_05", "task_5")) -- equal numbers: byte order decides
  end)

  it("number new ids after the largest task_<n>, ignoring other ids", function()
    assert.equal("task_001", record.next_id({}))
    assert.equal("task_1000", record.next_id({ { id = "task_999" }, { id = "custom_5000" }, { id = "task_x" } }))
    assert.equal("task_043", record.next_id({ { id = "task_42" } }))
  end)
end)
