--- Test helper: load a page in a real headless browser (Debian's chromium) and read back the DOM
--- it built and every console message it logged. Chromium runs offline (no network features, a
--- fresh profile each time) and is bounded by `timeout`.
local h = require "helpers.cli"

local M = {}

M.CANDIDATES = { "/usr/bin/chromium", "/usr/bin/chromium-browser" }

M.FLAGS = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-extensions", "--mute-audio" }

--- The chromium executable, or nil when none is installed.
function M.find()
  local env = os.getenv("CX_TEST_CHROMIUM")
  if env and env ~= "" then return env end
  for _, p in ipairs(M.CANDIDATES) do
    local f = io.open(p, "rb")
    if f then
      f:close()
      return p
    end
  end
  return nil
end

local function run(chromium, extra, url)
  local profile = h.tmpdir()
  local tmp = os.tmpname()
  local words = { "timeout", "180", h.quote(chromium) }
  for _, f in ipairs(M.FLAGS) do words[#words + 1] = f end
  words[#words + 1] = h.quote("--user-data-dir=" .. profile)
  for _, f in ipairs(extra) do words[#words + 1] = h.quote(f) end
  words[#words + 1] = h.quote(url)
  words[#words + 1] = ">" .. h.quote(tmp .. ".out") .. " 2>" .. h.quote(tmp .. ".err") .. " </dev/null"
  local _, _, code = os.execute(table.concat(words, " "))
  local r = { code = code, stdout = h.slurp(tmp .. ".out"), stderr = h.slurp(tmp .. ".err") }
  os.remove(tmp .. ".out")
  os.remove(tmp .. ".err")
  os.remove(tmp)
  h.rm(profile)
  return r
end

--- Load a file: returns {code, dom (the serialized DOM after load), console = {lines}, stderr}.
--- Every console message of the page (errors, warnings, CSP violations, uncaught exceptions)
--- is logged by chromium as an `INFO:CONSOLE` line on stderr with --enable-logging=stderr.
function M.load(chromium, path)
  local r = run(chromium, { "--enable-logging=stderr", "--v=0", "--dump-dom" }, "file://" .. path)
  local console = {}
  for line in r.stderr:gmatch("[^\n]+") do
    if line:find(":CONSOLE", 1, true) then console[#console + 1] = line end
  end
  return { code = r.code, dom = r.stdout, console = console, stderr = r.stderr }
end

--- Take a PNG screenshot of a file at width x height.
function M.screenshot(chromium, path, png, width, height)
  return run(chromium, { "--hide-scrollbars", "--screenshot=" .. png,
    string.format("--window-size=%d,%d", width, height) }, "file://" .. path)
end

return M
