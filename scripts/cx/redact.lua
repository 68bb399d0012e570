--- Secret redaction: the one pass that everything cx writes goes through (run-log rows, quarantine
--- files, schema_failures rows, messages on stdout/stderr, reports, and the prompt sent to a
--- provider). Every configured secret value is replaced wherever it appears — inside longer
--- strings too, and in its JSON-escaped and URL-encoded forms — by `[REDACTED:<NAME>]`.
---
--- Configured secrets (values of the process environment; docs/security.md):
---   * CX_HTTP_PROVIDER_TOKEN and the well-known provider keys of redact.KNOWN_NAMES;
---   * every variable whose name matches redact.NAME_PATTERNS (`*_TOKEN`, `*_API_KEY`, `*_SECRET`,
---     `*PASSWORD*` ...), except names that say they hold a location (`*_DIR`, `*_FILE`, `*_PATH`);
---   * the names listed in CX_SECRET_ENV=NAME1,NAME2.
--- Values shorter than redact.MIN_LENGTH (8) characters are ignored: redacting `1` or `true`
--- everywhere would destroy the data and protect nothing.
---
--- The list is read once per process (cx never changes its own environment); redact.configure
--- replaces the source for tests and embedders.
local core = require "cx.core"

local redact = {}

redact.MIN_LENGTH = 8

redact.KNOWN_NAMES = {
  "CX_HTTP_PROVIDER_TOKEN", "OPENAI_API_KEY", "CODEX_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY",
  "GEMINI_API_KEY", "GOOGLE_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY", "COHERE_API_KEY", "DEEPSEEK_API_KEY",
  "OPENROUTER_API_KEY", "TOGETHER_API_KEY", "XAI_API_KEY", "OLLAMA_API_KEY", "HF_TOKEN",
  "HUGGING_FACE_HUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}

-- Lua patterns matched against the upper-cased variable name.
redact.NAME_PATTERNS = {
  "_TOKEN$", "^TOKEN$", "_API_KEY$", "_APIKEY$", "^API_KEY$", "_SECRET$", "_SECRET_KEY$", "_ACCESS_KEY$",
  "_PRIVATE_KEY$", "_CREDENTIALS?$", "PASSWORD", "PASSWD",
}
redact.NAME_EXCLUDED = { "_DIR$", "_FILE$", "_PATH$" }

--- The secrets cx itself consumes: removed from the environment of every child it spawns (the
--- captured command, codex, ollama), which never need them. Provider keys such as OPENAI_API_KEY
--- stay: codex and ollama authenticate with them, and a captured command may legitimately use them.
redact.OWN_NAMES = { "CX_HTTP_PROVIDER_TOKEN" }

local source -- nil: the process environment (core.env.vars()); else a table NAME -> value
local cached -- { { name =, forms = { text, ... } }, ... }, longest value first

local function matches_any(name, patterns)
  for _, p in ipairs(patterns) do
    if name:find(p) then return true end
  end
  return false
end

--- Is an environment variable name one whose value cx treats as a secret?
function redact.is_secret_name(name, listed)
  local upper = name:upper()
  if listed and listed[name] then return true end
  for _, k in ipairs(redact.KNOWN_NAMES) do
    if k == upper then return true end
  end
  return matches_any(upper, redact.NAME_PATTERNS) and not matches_any(upper, redact.NAME_EXCLUDED)
end

local function json_form(v)
  return (core.json.encode(v, false)):sub(2, -2)
end

local function url_form(v, upper)
  local fmt = upper and "%%%02X" or "%%%02x"
  return (v:gsub("[^%w%-%._~]", function(c) return string.format(fmt, c:byte()) end))
end

-- The distinct forms a value takes in text cx handles: raw, JSON-escaped (with and without "\/"),
-- percent-encoded (either hex case).
local function forms_of(v)
  local out, seen = {}, {}
  local function add(f)
    if not seen[f] then
      seen[f] = true
      out[#out + 1] = f
    end
  end
  add(v)
  local j = json_form(v)
  add(j)
  add((j:gsub("/", "\\/")))
  add(url_form(v, true))
  add(url_form(v, false))
  return out
end

local function load()
  local vars = source or core.env.vars()
  local listed = {}
  for name in (vars.CX_SECRET_ENV or ""):gmatch("[^,%s]+") do listed[name] = true end
  local by_value = {}
  for name, value in pairs(vars) do
    if redact.is_secret_name(name, listed) then
      for _, v in ipairs({ value, value:match("^%s*(.-)%s*$") }) do
        if #v >= redact.MIN_LENGTH and (not by_value[v] or name < by_value[v]) then by_value[v] = name end
      end
    end
  end
  local list = {}
  for value, name in pairs(by_value) do list[#list + 1] = { name = name, value = value } end
  -- Longest first: a secret that contains another is replaced whole.
  table.sort(list, function(a, b)
    if #a.value ~= #b.value then return #a.value > #b.value end
    return a.value < b.value
  end)
  for _, s in ipairs(list) do
    s.forms = forms_of(s.value)
    -- how each form shows in the JSON text of a value that holds it (redact.encode's quick check)
    local seen = {}
    s.encoded = {}
    for _, f in ipairs(s.forms) do
      local e = json_form(f)
      if not seen[e] then s.encoded[#s.encoded + 1] = e end
      seen[e] = true
    end
    s.marker = "[REDACTED:" .. s.name .. "]"
    s.value = nil -- keep only what matching needs
  end
  return list
end

local function secrets()
  if not cached then cached = load() end
  return cached
end

--- Use vars (a table NAME -> value) instead of the process environment; nil goes back to it.
function redact.configure(vars)
  source = vars
  cached = nil
end

--- The names of the configured secrets (for messages and tests; never the values).
function redact.names()
  local out, seen = {}, {}
  for _, s in ipairs(secrets()) do
    if not seen[s.name] then out[#out + 1] = s.name end
    seen[s.name] = true
  end
  table.sort(out)
  return out
end

--- True when at least one secret is configured (callers may skip work otherwise).
function redact.active()
  return #secrets() > 0
end

-- Replace every occurrence of the plain text needle.
local function replace_plain(s, needle, repl, i)
  local parts, start, n = {}, 1, 0
  while i do
    parts[#parts + 1] = s:sub(start, i - 1)
    parts[#parts + 1] = repl
    n = n + 1
    start = i + #needle
    i = s:find(needle, start, true)
  end
  parts[#parts + 1] = s:sub(start)
  return table.concat(parts), n
end

--- s with every secret replaced; also returns the number of replacements. Non-strings pass through.
function redact.string(s)
  if type(s) ~= "string" then return s, 0 end
  local list = secrets()
  local total = 0
  for k = 1, #list do
    local sec = list[k]
    local forms = sec.forms
    for f = 1, #forms do
      local i = s:find(forms[f], 1, true)
      if i then
        local n
        s, n = replace_plain(s, forms[f], sec.marker, i)
        total = total + n
      end
    end
  end
  return s, total
end

local function copy(v, depth)
  if type(v) == "string" then return (redact.string(v)) end
  if type(v) ~= "table" or depth > 200 then return v end
  local out = {}
  for k, x in pairs(v) do
    out[type(k) == "string" and (redact.string(k)) or k] = copy(x, depth + 1)
  end
  return setmetatable(out, getmetatable(v)) -- JSON arrays keep their marker metatable
end

--- A copy of a value with every string (keys included, at any depth) redacted. Without configured
--- secrets the value itself is returned.
function redact.value(v)
  if #secrets() == 0 then return v end
  return copy(v, 0)
end

--- encode(value) (a JSON encoder: cx.json.encode, or any whose escaping is cx's) with every string
--- of value redacted. The cheap path for rows: the encoded text is searched once for the forms the
--- secrets take in JSON, and the value is copied and redacted only when one is there.
function redact.encode(value, encode)
  local text = encode(value)
  local list = secrets()
  for k = 1, #list do
    local enc = list[k].encoded
    for f = 1, #enc do
      if text:find(enc[f], 1, true) then return encode(copy(value, 0)) end
    end
  end
  return text
end

--- The environment variables to remove from every child's environment (env_unset of a spawn).
function redact.child_env_unset()
  return table.move(redact.OWN_NAMES, 1, #redact.OWN_NAMES, 1, {})
end

return redact
