--- The quota catalog (`<base>/quota_catalog.json`, reference commands.md §7.3): what providers
--- publish about their quotas, per backend and tier, with source URLs. Nothing here reaches the
--- network: `refresh` writes the catalog shipped with cx (as the reference did), or imports a local
--- file (`--from`). The auto-refresh preferences live in state.json.
local core = require "cx.core"
local json = require "cx.json"
local state = require "cx.state"
local usage = require "cx.quota.usage"

local catalog = {}

catalog.MAX_BYTES = 4 * 1048576
catalog.DEFAULT_INTERVAL_HOURS = 168
catalog.NOTES = "Catalog of provider-published quota/rate-limit statements. Values may be dynamic; verify "
  .. "against source URLs."

local SOURCES = {
  { kind = "pricing", provider = "openai", url = "https://openai.com/chatgpt/pricing" },
  { kind = "product", provider = "openai", url = "https://openai.com/codex" },
  { kind = "pricing", provider = "anthropic", url = "https://www.anthropic.com/pricing" },
  { kind = "product", provider = "google", url = "https://gemini.google.com" },
  { kind = "pricing", provider = "perplexity", url = "https://www.perplexity.ai/pro" },
  { kind = "product", provider = "ollama", url = "https://ollama.com" },
}

-- backend, tier, provider, limit_type, service_kind, source_url, notes
local ENTRIES = {
  { "codex", "free", "openai", "dynamic", "remote_metered", "https://openai.com/chatgpt/pricing" },
  { "codex", "plus", "openai", "dynamic", "remote_metered", "https://openai.com/chatgpt/pricing" },
  { "codex", "pro", "openai", "dynamic", "remote_metered", "https://openai.com/chatgpt/pricing" },
  { "codex", "business", "openai", "dynamic", "remote_metered", "https://openai.com/chatgpt/pricing" },
  { "anthropic", "free", "anthropic", "dynamic", "remote_metered", "https://www.anthropic.com/pricing" },
  { "anthropic", "pro", "anthropic", "dynamic", "remote_metered", "https://www.anthropic.com/pricing" },
  { "gemini", "free", "google", "dynamic", "remote_metered", "https://gemini.google.com" },
  { "gemini", "advanced", "google", "dynamic", "remote_metered", "https://gemini.google.com" },
  { "perplexity", "free", "perplexity", "rate_limited", "remote_metered", "https://www.perplexity.ai/pro" },
  { "ollama", "local", "ollama", "unmetered", "local_unmetered", "https://ollama.com" },
}

--- Now as RFC 3339 (UTC, `+00:00`).
function catalog.now_text(now)
  return os.date("!%Y-%m-%dT%H:%M:%S+00:00", now)
end

--- The catalog cx ships, stamped with now.
function catalog.builtin(now)
  local stamp = catalog.now_text(now)
  local entries = json.array({})
  for _, e in ipairs(ENTRIES) do
    entries[#entries + 1] = {
      backend = e[1], tier = e[2], provider = e[3], limit_type = e[4], service_kind = e[5], source_url = e[6],
      quota_total_tokens = json.null, window_days = json.null, retrieved_at = stamp,
      notes = e[4] == "unmetered" and "Local models are not metered." or
        "Provider-published limits; they vary with plan and load. Set a total to track remaining tokens.",
    }
  end
  local sources = json.array({})
  for i, s in ipairs(SOURCES) do sources[i] = { kind = s.kind, provider = s.provider, url = s.url } end
  return { version = 1, updated_at = stamp, notes = catalog.NOTES, sources = sources, entries = entries }
end

--- What `show` prints when there is no catalog file.
function catalog.placeholder()
  return { entries = json.array({}), notes = "Catalog missing. Run: cx quota catalog refresh",
    sources = json.array({}), updated_at = json.null, version = 1 }
end

-- The one place a catalog file is read: core.fs.read_file (docs/security.md) — bounded, regular
-- files only, no symlink under .codex/, never a hang on a FIFO.
local function read_file(path)
  return core.fs.read_file(path, { max_bytes = catalog.MAX_BYTES, follow = true }) -- `--from FILE` may be a symlink
end

--- Check that a decoded document is a catalog: an object with an `entries` array of objects that
--- name a backend and a tier. Returns true or nil, why.
function catalog.check(doc)
  if type(doc) ~= "table" or json.is_array(doc) then return nil, "not a JSON object" end
  if type(doc.entries) ~= "table" or (next(doc.entries) ~= nil and not json.is_array(doc.entries)) then
    return nil, "`entries` is not an array"
  end
  for i, e in ipairs(doc.entries) do
    if type(e) ~= "table" or type(e.backend) ~= "string" or type(e.tier) ~= "string" then
      return nil, string.format("entry %d needs string `backend` and `tier`", i)
    end
  end
  return true
end

--- Load a catalog file. Returns the document, or nil, message, class ("not_found" when missing,
--- "invalid" when it is not a catalog, or core.fs's class when it cannot be read: "symlink",
--- "not_regular", "too_large", ...).
function catalog.load(path)
  local text, err, class = read_file(path)
  if not text then return nil, err, class end
  local doc, derr = json.decode(text)
  if doc == nil then return nil, "invalid JSON in " .. path .. ": " .. tostring(derr), "invalid" end
  local ok, why = catalog.check(doc)
  if not ok then return nil, "not a quota catalog: " .. path .. ": " .. why, "invalid" end
  return doc
end

--- Write a catalog atomically (pretty, trailing newline).
function catalog.save(path, doc)
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local ok, err = core.fs.mkdir_p(dir)
    if not ok then return nil, err end
  end
  return core.fs.write_atomic(path, json.pretty(doc) .. "\n")
end

--- Age of a catalog in whole hours (negative counts as 0), or nil when its updated_at does not parse.
function catalog.age_hours(doc, now)
  local t = usage.parse_time(type(doc) == "table" and doc.updated_at or nil)
  if not t then return nil end
  return math.max(0, ((now or os.time()) - t) // 3600)
end

--- The auto-refresh preferences: { enabled, interval_hours (clamped to 1..8760) }.
function catalog.auto_config()
  local enabled = state.get("preferences.quota_catalog.auto.enabled") == true
  local hours = state.get("preferences.quota_catalog.auto.interval_hours")
  if math.type(hours) ~= "integer" then hours = catalog.DEFAULT_INTERVAL_HOURS end
  return { enabled = enabled, interval_hours = math.min(math.max(hours, 1), 8760) }
end

--- The catalog as commands and the probe see it: the file, refreshed first when auto-refresh is on
--- and it is missing, unreadable or older than the interval. Returns doc (nil when there is none)
--- and a warning message when an auto-refresh could not be written.
function catalog.current(path, now)
  local doc = catalog.load(path)
  local auto = catalog.auto_config()
  if not auto.enabled then return doc end
  local age = doc and catalog.age_hours(doc, now)
  if age and age < auto.interval_hours then return doc end
  local fresh = catalog.builtin(now)
  local ok, err = catalog.save(path, fresh)
  if not ok then return doc, "quota catalog auto-refresh: " .. tostring(err) end
  return fresh
end

return catalog
