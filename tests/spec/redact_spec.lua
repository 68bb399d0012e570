-- cx.redact (the one redaction pass) and cx.printable (terminal-safe text), as units.
local json = require "cx.json"
local printable = require "cx.printable"
local redact = require "cx.redact"

describe("cx.redact", function()
  after_each(function() redact.configure(nil) end)

  it("collects configured secrets: known keys, name patterns, CX_SECRET_ENV; not locations, short values", function()
    redact.configure({
      CX_HTTP_PROVIDER_TOKEN = "tok-0123456789", OPENAI_API_KEY = "sk-abcdefghij", MY_SERVICE_TOKEN = "svc-secret-1",
      DB_PASSWORD = "hunter2hunter2", AWS_SECRET_ACCESS_KEY = "aws/secret+key==", PLAIN = "not-a-secret-value",
      LISTED = "listed-value-1", CX_SECRET_ENV = "LISTED, OTHER", SHORT_TOKEN = "1234567",
      PASSWORD_STORE_DIR = "/home/u/.password-store", GH_TOKEN = "  ghp_padded_value  ",
    })
    assert.same({ "AWS_SECRET_ACCESS_KEY", "CX_HTTP_PROVIDER_TOKEN", "DB_PASSWORD", "GH_TOKEN", "LISTED",
      "MY_SERVICE_TOKEN", "OPENAI_API_KEY" }, redact.names())
    assert.is_true(redact.active())
    assert.equal("[[REDACTED:GH_TOKEN]] [REDACTED:GH_TOKEN]",
      (redact.string("[  ghp_padded_value  ] ghp_padded_value")))
    assert.equal("not-a-secret-value 1234567 /home/u/.password-store",
      (redact.string("not-a-secret-value 1234567 /home/u/.password-store")))
  end)

  it("replaces a secret wherever it appears: inside words, JSON-escaped, URL-encoded", function()
    redact.configure({ API_TOKEN = 'ab/c"d+e f\\g', OTHER_TOKEN = "zzzzzzzz" })
    local s, n = redact.string('pre' .. 'ab/c"d+e f\\g' .. 'post')
    assert.equal("pre[REDACTED:API_TOKEN]post", s)
    assert.equal(1, n)
    -- the JSON text of a value holding the secret (cx's encoder, and one that escapes '/')
    local encoded = json.encode({ v = 'ab/c"d+e f\\g' })
    assert.equal('{"v":"[REDACTED:API_TOKEN]"}', (redact.string(encoded)))
    assert.equal('{"v":"[REDACTED:API_TOKEN]"}', (redact.string('{"v":"ab\\/c\\"d+e f\\\\g"}')))
    -- percent-encoded, in either hex case
    assert.equal("?key=[REDACTED:API_TOKEN]&x=1", (redact.string("?key=ab%2Fc%22d%2Be%20f%5Cg&x=1")))
    assert.equal("?key=[REDACTED:API_TOKEN]", (redact.string("?key=ab%2fc%22d%2be%20f%5cg")))
    s, n = redact.string("zzzzzzzzzzzzzzzz")
    assert.equal("[REDACTED:OTHER_TOKEN][REDACTED:OTHER_TOKEN]", s)
    assert.equal(2, n)
  end)

  it("replaces the longer of two overlapping secrets whole", function()
    redact.configure({ A_TOKEN = "secret-value", B_TOKEN = "secret-value-extended" })
    assert.equal("[REDACTED:B_TOKEN] [REDACTED:A_TOKEN]", (redact.string("secret-value-extended secret-value")))
  end)

  it("copies tables with every string redacted, keys and arrays included, and leaves the original", function()
    redact.configure({ X_API_KEY = "key-1234567890" })
    local row = { prompt_preview = "echo key-1234567890", n = 3, ok = true, null = json.null,
      attempts = json.array({ { prompt = "a key-1234567890 b" } }), ["key-1234567890"] = 1 }
    local out = redact.value(row)
    assert.equal("echo [REDACTED:X_API_KEY]", out.prompt_preview)
    assert.equal("a [REDACTED:X_API_KEY] b", out.attempts[1].prompt)
    assert.is_true(json.is_array(out.attempts))
    assert.equal(1, out["[REDACTED:X_API_KEY]"])
    assert.equal(3, out.n)
    assert.equal(json.null, out.null)
    assert.equal("echo key-1234567890", row.prompt_preview)
    assert.is_nil(json.encode(out):find("key-1234567890", 1, true))
  end)

  it("encodes a row with every secret redacted, checking the encoded text first", function()
    redact.configure({ API_TOKEN = 'q"uote/slash\\back' })
    local raw = 'q"uote/slash\\back'
    local row = { a = "x " .. raw, b = json.encode({ inner = raw }), c = "clean", n = 1 }
    local line = redact.encode(row, json.encode)
    assert.is_nil(line:find("uote/slash", 1, true), line)
    assert.same(json.decode(json.encode(redact.value(row))), json.decode(line))
    local clean = { c = "clean", n = 1 }
    assert.equal(json.encode(clean), redact.encode(clean, json.encode))
  end)

  it("does nothing, and copies nothing, without secrets", function()
    redact.configure({ PATH = "/usr/bin", HOME = "/home/u" })
    assert.is_false(redact.active())
    local t = { a = "x" }
    assert.equal(t, redact.value(t))
    assert.equal("abc", (redact.string("abc")))
  end)

  it("names cx's own secrets for the environment of children", function()
    assert.same({ "CX_HTTP_PROVIDER_TOKEN" }, redact.child_env_unset())
  end)

  it("reads the process environment by default", function()
    redact.configure(nil)
    assert.is_table(redact.names())
  end)
end)

describe("cx.printable", function()
  it("keeps text, newlines, tabs and UTF-8 as they are", function()
    for _, s in ipairs({ "", "plain", "two\nlines\tand tab", "é ü 日本 😀" }) do
      assert.equal(s, printable.escape(s))
      assert.is_true(printable.is_safe(s))
    end
  end)

  it("escapes control characters, C1 controls, bidi overrides and bytes that are not UTF-8", function()
    assert.equal("a\\u001b[2Jb\\u0000c\\u0007d\\u000de\\u007f", printable.escape("a\27[2Jb\0c\7d\re\127"))
    assert.equal("x\\u009by\\u0085", printable.escape("x\194\155y\194\133"))
    assert.equal("\\u202eevil\\u2066", printable.escape("\226\128\174evil\226\129\166"))
    assert.equal("bad \\xff\\xc3 end é", printable.escape("bad \255\195 end é"))
    assert.is_false(printable.is_safe("\27"))
  end)

  it("keeps a JSON document valid and meaning the same", function()
    local doc = json.encode({ s = "a\127b\194\155c", t = "\27[31m" })
    local escaped = printable.escape(doc)
    assert.is_nil(escaped:find("[%z\1-\8\11-\31\127]"))
    assert.same(json.decode(doc), json.decode(escaped))
  end)
end)
