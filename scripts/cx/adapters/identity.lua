--- adapter_id: a stable digest of an adapter's normalized configuration, so that equivalent inputs
--- (case, whitespace, aliases, env or state) give the same id and any real change gives another.
local core = require "cx.core"
local json = require "cx.json"

local M = {}

-- Query parameters that carry credentials are dropped before hashing (and before logging).
local secret_params = {
  key = true, api_key = true, apikey = true, token = true, access_token = true, auth = true,
  sig = true, signature = true, password = true, secret = true, ["api-key"] = true,
}

--- The URL without userinfo, credential query parameters, fragment, default port or trailing slash;
--- scheme and host lowercased. Returns nil for nil.
function M.sanitize_url(url)
  if type(url) ~= "string" then return nil end
  local scheme, rest = url:match("^%s*([%a][%w+.-]*)://(.-)%s*$")
  if not scheme then return (url:gsub("[?#].*$", "")) end
  scheme = scheme:lower()
  rest = rest:gsub("#.*$", "")
  local authority, path = rest:match("^([^/?]*)(.*)$")
  authority = authority:gsub("^.*@", ""):lower()
  if (scheme == "http" and authority:match(":80$")) or (scheme == "https" and authority:match(":443$")) then
    authority = authority:gsub(":%d+$", "")
  end
  local p, query = path:match("^([^?]*)%??(.*)$")
  p = p:gsub("/+$", "")
  local kept = {}
  for pair in query:gmatch("[^&]+") do
    local k = pair:match("^([^=]*)")
    if not secret_params[k:lower()] then kept[#kept + 1] = pair end
  end
  local out = scheme .. "://" .. authority .. p
  if #kept > 0 then out = out .. "?" .. table.concat(kept, "&") end
  return out
end

--- The canonical configuration that the id hashes (also what `cx llm show --json` prints).
function M.canonical(d)
  local c = {
    adapter = d.name,
    transport = d.transport,
    model = d.model and d.model:lower() or "",
    url = "",
    format = "",
    stream = false,
  }
  if d.http then
    c.url = M.sanitize_url(d.http.url) or ""
    c.format = d.http.format
    c.stream = d.http.stream and true or false
  end
  return c
end

--- `<adapter>-<12 hex>`: readable, and stable across processes and machines.
function M.id(d)
  local digest = core.digest.sha256_hex(json.encode(M.canonical(d)))
  return d.name .. "-" .. digest:sub(1, 12)
end

return M
