-- Start-up stays light: commands that never speak HTTP do not load libcurl (nor the TLS libraries
-- it pulls in), nothing loads libcrypto, and the first HTTP job loads libcurl and works, in the
-- host binary and in the plain cx.core module (docs/performance.md).
local h = require "helpers.cli"
local sub = require "helpers.sub"
local fixture = require "helpers.fixture_server"

-- The shared objects the dynamic loader opened for a run (LD_DEBUG=files), from its stderr.
local function loaded_files(stderr)
  local files = {}
  for name in stderr:gmatch("file=(%S+)%s+%[%d+%];%s+needed by") do files[#files + 1] = name end
  for name in stderr:gmatch("file=(%S+)%s+%[%d+%];%s+dynamically loaded by") do files[#files + 1] = name end
  return table.concat(files, " ")
end

local HEAVY = { "libcurl", "libssl", "libcrypto", "libgnutls", "libldap", "libssh2", "libkrb5" }

describe("start-up", function()
  local repo
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    h.write(repo .. "/.codex/cxlogs/runs.jsonl", '{"execution_id":"e1","tool":"cxo","duration_ms":5}\n')
  end)
  after_each(function() h.rm(repo) end)

  it("loads neither libcurl nor libcrypto for commands that do not speak HTTP", function()
    for _, argv in ipairs({ { "--version" }, { "version" }, { "diag", "--json", "--window", "50" },
      { "log-tail", "5" }, { "logs", "validate" }, { "schema", "list" } }) do
      local r = h.run(argv, { cwd = repo, env = { LD_DEBUG = "files" } })
      assert.equal(0, r.code, table.concat(argv, " ") .. ": " .. r.stderr)
      local files = loaded_files(r.stderr)
      assert.truthy(files:find("liblua5.4", 1, true), "LD_DEBUG saw no libraries: " .. r.stderr:sub(1, 300))
      for _, lib in ipairs(HEAVY) do
        assert.falsy(files:find(lib, 1, true), table.concat(argv, " ") .. " loaded " .. lib)
      end
    end
  end)

  it("loads libcurl with the first HTTP request of the host, which then works", function()
    if not fixture.available() then pending("build/tests/fixture_server not built") return end
    local srv = fixture.start("openai", { text = "lazy hello", max_requests = 1 })
    local r = h.run({ "cxo", "echo", "hi" }, { cwd = repo, env = {
      LD_DEBUG = "files", CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_FORMAT = "openai",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions", CX_HTTP_PROVIDER_TOKEN = false,
      http_proxy = false, HTTP_PROXY = false, all_proxy = false, ALL_PROXY = false } })
    srv.stop()
    srv.remove()
    assert.equal(0, r.code, r.stderr)
    assert.equal("lazy hello\n", r.stdout)
    assert.matches("file=libcurl%.so%.4 %[%d+%];%s+dynamically loaded by", r.stderr)
  end)

  it("maps libcurl into a Lua program only once cx.core runs an HTTP job", function()
    if not fixture.available() then pending("build/tests/fixture_server not built") return end
    local srv = fixture.start("text", { text = "via core", max_requests = 1 })
    local out, r = sub.lua([[
      local function mapped()
        local f = assert(io.open("/proc/self/maps"))
        local maps = f:read("a")
        f:close()
        return maps:find("/libcurl.so", 1, true) ~= nil, maps:find("/libcrypto.so", 1, true) ~= nil
      end
      local core = require "cx.core"
      local loop = core.loop.new()
      loop:spawn({ argv = { "true" } })
      local before = #loop:wait(5000)
      local curl_before, crypto_before = mapped()
      local id, err = loop:http({ url = "]] .. srv.url .. [[/infer", method = "POST", body = "x" })
      assert(id, err)
      local c = loop:wait(10000)[1]
      local curl_after = mapped()
      loop:close()
      return { jobs_before = before, curl_before = curl_before, crypto_before = crypto_before,
               curl_after = curl_after, status = c.status, body = c.body }
    ]], { http_proxy = false, HTTP_PROXY = false, all_proxy = false, ALL_PROXY = false })
    srv.stop()
    srv.remove()
    assert.is_table(out, r and r.stderr)
    assert.same({ jobs_before = 1, curl_before = false, crypto_before = false, curl_after = true,
                  status = 200, body = '{"text":"via core"}' }, out)
  end)
end)
