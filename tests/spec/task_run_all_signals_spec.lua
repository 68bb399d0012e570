-- SIGINT, SIGTERM and SIGHUP to `cx task run-all` while attempts run over the fake codex (each with a
-- grandchild that ignores SIGTERM): the run stops launching, every child process group is gone,
-- every interrupted attempt wrote its row (failure_class interrupted), every task is back to
-- pending with a note (nothing left in_progress), the summary row is written, the log validates,
-- and cx exits 128 + the signal. Each test waits for the events that say the attempts are running.
local bg = require "helpers.background"
local fake = require "helpers.fake_cli"
local h = require "helpers.cli"
local rr = require "helpers.run_rows"
local tr = require "helpers.tasks_repo"

local CODES = { INT = 130, TERM = 143, HUP = 129 }

teardown(tr.cleanup)

local function tasks(n)
  local out = {}
  for i = 1, n do
    out[i] = tr.task(string.format("task_%03d", i), { run_mode = "parallel", resource_keys = { "repo:read" } })
  end
  return out
end

describe("signals to cx task run-all", function()
  for name, code in pairs(CODES) do
    it("SIG" .. name .. ": children and grandchildren go, rows say interrupted, tasks back to pending, exit "
        .. code, function()
      local repo = tr.repo(tasks(3))
      local env = fake.env({ HOME = repo, CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "codex",
        FAKE_CODEX_SCENARIO = "hang", FAKE_CODEX_PIDFILE = repo .. "/codex.%t.pid",
        FAKE_CODEX_GRANDCHILD = repo .. "/grandchild.%t.pid", CX_NO_PROGRESS = "1", CX_TASK_ID = false })
      -- two workers: two attempts run, the third task waits
      local p = bg.start({ "task", "run-all", "--mode", "mixed", "--max-workers", "2" }, { cwd = repo, env = env })
      local pids = {}
      assert.truthy(bg.wait_for(function()
        pids = {}
        for _, id in ipairs({ "task_001", "task_002" }) do
          local c = bg.file_number(repo .. "/codex." .. id .. ".pid")
          local g = bg.file_number(repo .. "/grandchild." .. id .. ".pid")
          if not (c and g) then return false end
          pids[#pids + 1], pids[#pids + 2] = c, g
        end
        return true
      end), "the two attempts did not start")
      p.signal(name)
      local r = p.wait()
      assert.equal(code, r.code, r.stderr)
      for _, pid in ipairs(pids) do
        assert.truthy(bg.wait_for(function() return bg.gone(pid) end, 5000), "process " .. pid .. " is left")
      end
      local by = tr.tasks(repo)
      for _, id in ipairs({ "task_001", "task_002", "task_003" }) do
        assert.equal("pending", by[id].status, id)
        assert.is_nil(by[id].claim)
      end
      assert.truthy(by.task_001.notes[#by.task_001.notes].text:find("interrupted", 1, true))
      assert.truthy(by.task_003.notes[#by.task_003.notes].text:find("stopped by SIG" .. name, 1, true))
      local rows = tr.rows(repo)
      local run_id = tr.run_id(nil, repo)
      local atts = rr.attempts(rows, run_id)
      assert.equal(2, #atts)
      for _, a in ipairs(atts) do
        assert.equal("interrupted", a.class)
        assert.equal("interrupted by SIG" .. name, a.rows[1].schema_reason)
        assert.is_false(a.rows[1].timed_out)
      end
      local sum = rr.summary(rows, run_id)
      assert.equal(3, sum.run_all_not_run)
      assert.equal(0, sum.run_all_failed)
      assert.truthy(r.stdout:find("run-all not_run: 3", 1, true))
      tr.assert_log_valid(repo)
    end)
  end

  it("a signal during a backoff stops the run at once (nothing runs, the task goes back to pending)", function()
    local repo = tr.repo({ tr.task("task_001", { max_retries = 5 }) })
    local env = tr.env(repo, { CX_MOCK_FAIL = "server_error" })
    local p = bg.start({ "task", "run-all" }, { cwd = repo, env = env })
    -- the first attempt's row is written, then the task backs off (250 ms, 500 ms, ...)
    assert.truthy(bg.wait_for(function() return h.slurp(repo .. "/.codex/cxlogs/runs.jsonl") ~= "" end))
    p.signal("INT")
    local r = p.wait()
    assert.equal(130, r.code)
    assert.equal("pending", tr.tasks(repo).task_001.status)
    tr.assert_log_valid(repo)
  end)
end)
