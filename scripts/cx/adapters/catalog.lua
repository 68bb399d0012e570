--- The adapters cx knows: for each name, its transport, maturity status and capabilities.
--- One table, so `cx llm show`, `cx doctor`, the run log and the scheduler all read the same facts.
local catalog = {
  ["codex-cli"] = {
    transport = "process", status = "stable",
    capabilities = { jsonl_native = true, schema_strict = true, streaming = true },
  },
  ["ollama-cli"] = {
    transport = "process", status = "stable",
    capabilities = { jsonl_native = false, schema_strict = true, streaming = false },
  },
  ["http-curl"] = {
    transport = "http", status = "experimental",
    capabilities = { jsonl_native = false, schema_strict = true, streaming = true },
  },
  ["http-stub"] = {
    transport = "http", status = "stub_unimplemented",
    capabilities = { jsonl_native = false, schema_strict = true, streaming = false },
  },
  mock = {
    transport = "mock", status = "stable",
    capabilities = { jsonl_native = false, schema_strict = true, streaming = false },
  },
}

local M = {}

--- The adapter names in a stable order.
M.names = { "codex-cli", "ollama-cli", "http-curl", "http-stub", "mock" }

--- Facts for one adapter name (nil for an unknown name).
function M.get(name)
  return catalog[name]
end

--- Capabilities as a plain table that also names the transport (the reference's shape plus streaming).
function M.capabilities(name)
  local c = catalog[name]
  if not c then return nil end
  return {
    jsonl_native = c.capabilities.jsonl_native,
    schema_strict = c.capabilities.schema_strict,
    streaming = c.capabilities.streaming,
    transport = c.transport,
  }
end

return M
