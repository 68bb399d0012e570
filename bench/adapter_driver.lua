-- Bench driver for bench/adapters.sh: runs N attempts through the adapter contract
-- (cx.adapters.start / finish: request building, the loop job, envelope parsing, result
-- normalization), CONCURRENCY in flight on ONE event loop, and fails unless every result is ok and
-- carries the expected text. The adapter comes from the environment, as for cx itself
-- (CX_PROVIDER_ADAPTER, CX_HTTP_PROVIDER_URL, CX_HTTP_PROVIDER_FORMAT, CX_CODEX_BIN, ...).
--
--   lua5.4 bench/adapter_driver.lua run N CONCURRENCY PROMPT_FILE EXPECT_TEXT
--       prints "ok N/N" on stdout; exit 1 if any attempt failed or said something else
--   lua5.4 bench/adapter_driver.lua request PROMPT_FILE BODY_FILE
--       writes the HTTP body the adapter would POST to BODY_FILE and prints its headers, one a line
--       (so `curl --parallel` can send exactly the same request)
-- Run with LUA_PATH/LUA_CPATH pointing at scripts/ and build/lib/ (see adapter_driver in adapters.sh).
local adapters = require "cx.adapters"
local core = require "cx.core"

local MODE = "agent" -- the mode `cx cxo` and tasks use: the full event stream is parsed

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function fail(msg)
  io.stderr:write("adapter_driver: ", msg, "\n")
  os.exit(1)
end

local function describe()
  local d = adapters.describe(os.getenv, {})
  if d.name ~= "http-curl" and d.name ~= "codex-cli" then fail("unexpected adapter " .. tostring(d.name)) end
  return d
end

-- A stand-in loop that records the job an adapter would add instead of running it.
local function capture_http(d, prompt)
  local spec
  local fake = { http = function(_, s) spec = s; return 1 end }
  local a, failure = adapters.start(fake, d, { prompt = prompt, mode = MODE, timeout_secs = 60 })
  if not a then fail(tostring(failure.reason)) end
  if not spec then fail("the adapter added no HTTP job") end
  return spec
end

local function request(prompt_file, body_file)
  local d = describe()
  if d.name ~= "http-curl" then fail("request: not an HTTP adapter") end
  local spec = capture_http(d, read_file(prompt_file))
  if spec.bearer then fail("request: unset CX_HTTP_PROVIDER_TOKEN for the bench") end
  local f = assert(io.open(body_file, "wb"))
  f:write(spec.body)
  f:close()
  for _, h in ipairs(spec.headers) do io.write(h, "\n") end
  return 0
end

local function run(n, concurrency, prompt_file, expect)
  local d = describe()
  local req = { prompt = read_file(prompt_file), mode = MODE, timeout_secs = 60 }
  local loop = core.loop.new()
  local inflight, count = {}, 0
  local started, finished, ok = 0, 0, 0
  local function check(r)
    if not r.ok then
      io.stderr:write("attempt failed: ", tostring(r.class), " ", tostring(r.reason), "\n")
    elseif r.text ~= expect then
      io.stderr:write("attempt said ", string.format("%q", tostring(r.text)), ", not ", expect, "\n")
    elseif d.name == "codex-cli" and (r.usage or {}).input_tokens ~= #req.prompt then
      -- The fake counts the stdin bytes it read: the whole prompt must have reached it.
      io.stderr:write("the fake read ", tostring((r.usage or {}).input_tokens), " bytes of ", #req.prompt, "\n")
    else
      ok = ok + 1
    end
  end
  while finished < n do
    while started < n and count < concurrency do
      local a, failure = adapters.start(loop, d, req)
      started = started + 1
      if a then
        inflight[a.job], count = a, count + 1
      else
        finished = finished + 1
        check(failure)
      end
    end
    for _, c in ipairs(loop:wait()) do
      local a = inflight[c.id]
      inflight[c.id], count, finished = nil, count - 1, finished + 1
      check(adapters.finish(a, c))
    end
  end
  loop:close()
  io.write(string.format("ok %d/%d\n", ok, n))
  return ok == n and 0 or 1
end

local cmd = arg[1]
if cmd == "run" and #arg == 5 then
  os.exit(run(assert(math.tointeger(tonumber(arg[2]))), assert(math.tointeger(tonumber(arg[3]))), arg[4], arg[5]))
elseif cmd == "request" and #arg == 3 then
  os.exit(request(arg[2], arg[3]))
end
io.stderr:write("usage: adapter_driver.lua run N CONCURRENCY PROMPT_FILE EXPECT_TEXT\n",
  "       adapter_driver.lua request PROMPT_FILE BODY_FILE\n")
os.exit(2)
