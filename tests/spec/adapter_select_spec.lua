local select = require "cx.adapters.select"
local identity = require "cx.adapters.identity"
local status = require "cx.adapters.status"
local catalog = require "cx.adapters.catalog"
local json = require "cx.json"

local function env(t)
  return function(k) return t[k] end
end

local function describe_with(t, prefs)
  local d = select.resolve(env(t), prefs)
  d.id = identity.id(d)
  return d
end

describe("adapter selection", function()
  it("defaults to codex-cli", function()
    local d = describe_with({})
    assert.equal("codex-cli", d.name)
    assert.equal("process", d.transport)
    assert.equal("codex", d.backend)
    assert.equal("default", d.source)
  end)

  it("follows the backend from env, then state", function()
    assert.equal("ollama-cli", describe_with({ CX_LLM_BACKEND = " OLLAMA " }).name)
    assert.equal("ollama-cli", describe_with({}, { llm_backend = "ollama" }).name)
    assert.equal("codex-cli", describe_with({ CX_LLM_BACKEND = "codex" }, { llm_backend = "ollama" }).name)
    assert.equal("codex-cli", describe_with({ CX_LLM_BACKEND = "gemini" }).name)
  end)

  it("takes CX_PROVIDER_ADAPTER with case, whitespace and aliases", function()
    for _, v in ipairs({ "mock", " MOCK ", "Mock" }) do
      assert.equal("mock", describe_with({ CX_PROVIDER_ADAPTER = v }).name)
    end
    for _, v in ipairs({ "http", "http-curl", " HTTP-Curl " }) do
      assert.equal("http-curl", describe_with({ CX_PROVIDER_ADAPTER = v }).name)
    end
    assert.equal("http-stub", describe_with({ CX_PROVIDER_ADAPTER = "http-stub" }).name)
  end)

  it("ignores an unknown override but says so", function()
    local d = describe_with({ CX_PROVIDER_ADAPTER = "gpt-magic" })
    assert.equal("codex-cli", d.name)
    assert.equal(1, #d.warnings)
    assert.matches("gpt%-magic", d.warnings[1])
  end)

  it("normalizes HTTP formats and parser modes", function()
    local d = describe_with({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://x/infer" })
    assert.equal("text", d.http.format)
    assert.equal("envelope", d.http.parser_mode)
    assert.same({ "json", "json_payload" }, { select.http_format(" JSON ") })
    assert.same({ "jsonl", "jsonl_passthrough" }, { select.http_format("jsonl") })
    assert.same({ "openai", "openai_sse" }, { select.http_format("openai", true) })
    assert.same({ "ollama", "ollama_native" }, { select.http_format("ollama", false) })
    local w = describe_with({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_FORMAT = "xml" })
    assert.equal("text", w.http.format)
    assert.matches("xml", w.warnings[1])
  end)
end)

describe("adapter identity", function()
  it("is equal for equivalent inputs", function()
    local a = describe_with({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "HTTP://Example.COM:80/v1/",
      CX_HTTP_PROVIDER_FORMAT = "OpenAI", CX_HTTP_PROVIDER_MODEL = " GPT-X " })
    local b = describe_with({ CX_PROVIDER_ADAPTER = " http-curl ", CX_HTTP_PROVIDER_URL = "http://example.com/v1",
      CX_HTTP_PROVIDER_FORMAT = "openai", CX_MODEL = "gpt-x" })
    assert.equal(a.id, b.id)
    assert.matches("^http%-curl%-%x+$", a.id)
    assert.equal(describe_with({ CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "llama3" }).id,
      describe_with({}, { llm_backend = "Ollama", ollama_model = "llama3" }).id)
  end)

  it("changes when the configuration really changes", function()
    local base = { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://h/a" }
    local other_url = { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://h/b" }
    local other_fmt = { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://h/a",
      CX_HTTP_PROVIDER_FORMAT = "json" }
    assert.not_equal(describe_with(base).id, describe_with(other_url).id)
    assert.not_equal(describe_with(base).id, describe_with(other_fmt).id)
    assert.not_equal(describe_with({ CX_PROVIDER_ADAPTER = "mock" }).id, describe_with({}).id)
  end)

  it("keeps credentials out of the URL it hashes", function()
    assert.equal("https://api.example.com/v1?deployment=x",
      identity.sanitize_url("https://user:pw@API.example.com:443/v1/?api_key=s3cret&deployment=x#frag"))
    local with = describe_with({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://u:p@h/a?token=1" })
    local without = describe_with({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = "http://h/a" })
    assert.equal(without.id, with.id)
    assert.is_nil(json.encode(identity.canonical(with)):find("u:p", 1, true))
  end)
end)

describe("adapter status taxonomy", function()
  it("normalizes raw and legacy values", function()
    assert.equal("stable", status.normalize(nil))
    assert.equal("stable", status.normalize(json.null))
    assert.equal("stable", status.normalize("Stable"))
    assert.equal("stable", status.normalize("whatever"))
    assert.equal("experimental", status.normalize(" EXPERIMENTAL "))
    assert.equal("stub_unimplemented", status.normalize("stub_unimplemented"))
    assert.equal("stub_unimplemented", status.normalize("stub"))
  end)

  it("logs stable as null, as the reference does", function()
    assert.equal(json.null, status.logged("stable"))
    assert.equal("experimental", status.logged("experimental"))
  end)

  it("has one catalog with transport, status and capabilities", function()
    assert.same({ jsonl_native = true, schema_strict = true, streaming = true, transport = "process" },
      catalog.capabilities("codex-cli"))
    assert.equal("experimental", catalog.get("http-curl").status)
    assert.equal("stub_unimplemented", catalog.get("http-stub").status)
    assert.equal("mock", catalog.get("mock").transport)
  end)
end)
