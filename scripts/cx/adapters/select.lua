--- Which adapter a run uses, and its normalized configuration (a "descriptor"). Pure: it reads the
--- environment through a getter and the state preferences from a table, so it is testable as is.
local catalog = require "cx.adapters.catalog"
local config = require "cx.config"

local M = {}

local function trim(s)
  if type(s) ~= "string" then return nil end
  s = s:match("^%s*(.-)%s*$")
  if s == "" then return nil end
  return s
end

-- CX_PROVIDER_ADAPTER spellings. The reference accepted mock/http-stub/http/http-curl only; the
-- process adapter names are accepted too, so a pipeline can pin codex or ollama explicitly.
local adapter_aliases = {
  mock = "mock",
  ["http-stub"] = "http-stub", stub = "http-stub",
  http = "http-curl", ["http-curl"] = "http-curl", curl = "http-curl",
  codex = "codex-cli", ["codex-cli"] = "codex-cli",
  ollama = "ollama-cli", ["ollama-cli"] = "ollama-cli",
}

local formats = {
  text = { parser = "envelope" },
  json = { parser = "json_payload" },
  jsonl = { parser = "jsonl_passthrough" },
  openai = { parser = "openai_chat", stream_parser = "openai_sse" },
  ollama = { parser = "ollama_native", stream_parser = "ollama_ndjson" },
}

local truthy = { ["1"] = true, ["true"] = true, yes = true, on = true }

--- The HTTP format and parser mode for a raw CX_HTTP_PROVIDER_FORMAT value (text when unset or unknown).
function M.http_format(raw, stream)
  local f = trim(raw)
  f = f and f:lower() or "text"
  local known = formats[f]
  if not known then return "text", "envelope", f end
  if stream and known.stream_parser then return f, known.stream_parser end
  return f, known.parser
end

--- Resolve the descriptor. getenv(name) -> string|nil; prefs = state preferences table (may be nil).
--- Returns { name, transport, status, capabilities, backend, model, http = {...}|nil, source, warnings }.
function M.resolve(getenv, prefs)
  prefs = prefs or {}
  local warnings = {}
  local backend_raw, backend_source = trim(getenv("CX_LLM_BACKEND")), "env"
  if not backend_raw then
    backend_raw, backend_source = trim(prefs.llm_backend), "state"
    if not backend_raw then backend_source = "default" end
  end
  local backend = config.normalize_backend(backend_raw)

  local name, source
  local override = trim(getenv("CX_PROVIDER_ADAPTER"))
  if override then
    name = adapter_aliases[override:lower()]
    if name then
      source = "env:CX_PROVIDER_ADAPTER"
    else
      warnings[#warnings + 1] = string.format(
        "CX_PROVIDER_ADAPTER='%s' is not an adapter name (mock, http, http-stub, codex, ollama); ignored", override)
    end
  end
  if not name then
    name = backend == "ollama" and "ollama-cli" or "codex-cli"
    source = backend_source == "default" and "default" or (backend_source .. ":llm_backend")
  end

  local facts = catalog.get(name)
  local d = {
    name = name,
    transport = facts.transport,
    status = facts.status,
    capabilities = catalog.capabilities(name),
    backend = backend,
    source = source,
    warnings = warnings,
  }

  if name == "ollama-cli" then
    d.model = trim(getenv("CX_OLLAMA_MODEL")) or trim(prefs.ollama_model)
  elseif name == "http-curl" or name == "http-stub" then
    local stream = truthy[(trim(getenv("CX_HTTP_PROVIDER_STREAM")) or ""):lower()] or false
    local format, parser, unknown = M.http_format(getenv("CX_HTTP_PROVIDER_FORMAT"), stream)
    if unknown then
      warnings[#warnings + 1] = string.format(
        "CX_HTTP_PROVIDER_FORMAT='%s' is not a format (text, json, jsonl, openai, ollama); using text", unknown)
    end
    d.model = trim(getenv("CX_HTTP_PROVIDER_MODEL")) or trim(getenv("CX_MODEL"))
    d.http = {
      url = trim(getenv("CX_HTTP_PROVIDER_URL")),
      format = format,
      parser_mode = parser,
      stream = stream and (format == "openai" or format == "ollama"),
      has_token = trim(getenv("CX_HTTP_PROVIDER_TOKEN")) ~= nil,
    }
  else
    d.model = trim(getenv("CX_MODEL"))
  end
  return d
end

return M
