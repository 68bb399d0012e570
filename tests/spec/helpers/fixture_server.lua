--- Test helper: start build/tests/fixture_server (tests/fixtures/fixture_server.c) on 127.0.0.1 with
--- an ephemeral port, and stop it. Options map to the server's flags (docs/testing.md):
---
---   local fs = require "helpers.fixture_server"
---   local srv = fs.start("openai", { echo = true, max_requests = 2 })
---   -- srv.port, srv.url ("http://127.0.0.1:PORT"), srv.record (the record file)
---   ...
---   local reqs = srv.requests()   -- decoded record lines; reqs[i].json = the decoded body, if JSON
---   srv.stop()                    -- SIGTERM, then wait for it; safe to call twice
---
--- opts: max_requests, max_seconds (default 30), fault, status, fail_first, delay_ms, echo (bool),
--- text, body (string: written to a file and passed as --body), body_file, content_type, header
--- ("Name: value", on every reply), location,
--- usage ({in, out}), port (default 0), raw (bool: --raw, the body file is the whole streamed body).
local json = require "cx.json"

local M = {}

local root = os.getenv("PWD")
M.bin = os.getenv("CX_FIXTURE_SERVER") or (root .. "/build/tests/fixture_server")

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function tmpname()
  local p = io.popen("mktemp /tmp/cxfixture.XXXXXX")
  local name = p:read("l")
  p:close()
  return name
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- True when the server binary has been built.
function M.available()
  return io.open(M.bin, "rb") ~= nil
end

local function argv_for(scenario, opts, record)
  local args = { M.bin, "--scenario", scenario, "--port", tostring(opts.port or 0),
                 "--max-seconds", tostring(opts.max_seconds or 30), "--record", record }
  local function add(flag, value)
    if value ~= nil then
      args[#args + 1] = flag
      args[#args + 1] = tostring(value)
    end
  end
  add("--max-requests", opts.max_requests)
  add("--fault", opts.fault)
  add("--status", opts.status)
  add("--fail-first", opts.fail_first)
  add("--delay-ms", opts.delay_ms)
  add("--text", opts.text)
  add("--content-type", opts.content_type)
  add("--header", opts.header)
  add("--location", opts.location)
  add("--body", opts.body_file)
  if opts.usage then add("--usage", opts.usage[1] .. "," .. opts.usage[2]) end
  if opts.echo then args[#args + 1] = "--echo" end
  if opts.raw then args[#args + 1] = "--raw" end
  return args
end

--- Starts the server; errors if it does not print its port.
function M.start(scenario, opts)
  opts = opts or {}
  local record = tmpname()
  local errfile = record .. ".stderr"
  local body_tmp
  if opts.body then
    body_tmp = record .. ".body"
    local f = assert(io.open(body_tmp, "wb"))
    f:write(opts.body)
    f:close()
    opts = setmetatable({ body_file = body_tmp }, { __index = opts })
  end
  local words = {}
  for i, a in ipairs(argv_for(scenario, opts, record)) do words[i] = q(a) end
  -- The shell prints its pid, then becomes the server (exec keeps the pid): stop() can signal it,
  -- and closing the pipe waits for it.
  local cmd = "echo $$; exec " .. table.concat(words, " ") .. " 2>" .. q(errfile)
  local pipe = assert(io.popen(cmd, "r"))
  local pid = tonumber(pipe:read("l"))
  local port = tonumber(pipe:read("l"))
  if not pid or not port then
    pipe:close()
    error("fixture_server did not start: " .. (slurp(errfile) or "?"))
  end

  local srv = { port = port, pid = pid, url = "http://127.0.0.1:" .. port, record = record }
  local status

  local function cleanup()
    os.remove(errfile)
    if body_tmp then os.remove(body_tmp) end
  end

  --- Waits for the server to exit by itself (bounded by max_seconds); returns how it ended
  --- like os.execute: ok, "exit"|"signal", code.
  function srv.wait()
    if not status then
      srv.stderr = slurp(errfile) or ""
      local ok, how, code = pipe:close()
      srv.stderr = slurp(errfile) or srv.stderr
      status = { ok, how, code }
      cleanup()
    end
    return status[1], status[2], status[3]
  end

  --- True while the process runs.
  function srv.alive()
    if status then return false end
    return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
  end

  function srv.stop()
    if not status then os.execute("kill -TERM " .. pid .. " 2>/dev/null") end
    local ok, how, code = srv.wait()
    return ok, how, code
  end

  --- The recorded requests, oldest first: {seq, method, path, headers, body, body_bytes, json}.
  function srv.requests()
    local out = {}
    local text = slurp(record) or ""
    for line in text:gmatch("[^\n]+") do
      local r = assert(json.decode(line))
      local doc = json.decode(r.body)
      if type(doc) == "table" then r.json = doc end
      out[#out + 1] = r
    end
    return out
  end

  --- Removes the record file (after stop()).
  function srv.remove()
    srv.stop()
    os.remove(record)
  end

  return srv
end

return M
