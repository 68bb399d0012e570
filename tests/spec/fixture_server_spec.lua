-- The test fixture server (tests/fixtures/fixture_server.c), checked with a real HTTP client (curl,
-- as a test client only). Every server here binds 127.0.0.1 and ends by itself.
local h = require "helpers.cli"
local fs = require "helpers.fixture_server"
local json = require "cx.json"

local function curl(args)
  local argv = { "-sS" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return h.run(argv, { bin = "curl" })
end

-- The body goes through a file: argv elements are limited to 128 KiB.
local function post_json(url, doc, extra)
  local file = os.tmpname()
  h.write(file, json.encode(doc))
  local args = { "-H", "Content-Type: application/json", "--data-binary", "@" .. file }
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  args[#args + 1] = url
  local r = curl(args)
  os.remove(file)
  return r
end

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

--- SSE body -> list of {event=, data=} (data decoded when it is JSON, else the raw string).
local function sse(body)
  local out = {}
  for block in (body .. "\n\n"):gmatch("(.-)\n\n") do
    if block ~= "" then
      local ev = {}
      for line in block:gmatch("[^\n]+") do
        local k, v = line:match("^(%w+): (.*)$")
        if k == "event" then ev.event = v elseif k == "data" then ev.raw = v end
      end
      ev.data = ev.raw and json.decode(ev.raw) or nil
      out[#out + 1] = ev
    end
  end
  return out
end

local function ndjson(body)
  local out = {}
  for line in body:gmatch("[^\n]+") do out[#out + 1] = assert(json.decode(line)) end
  return out
end

local function headers_of(r)
  -- curl -i output: status line and headers, blank line, body.
  local head, body = r.stdout:match("^(.-)\r\n\r\n(.*)$")
  return head or "", body or ""
end

describe("fixture_server", function()
  local srv
  local function start(scenario, opts)
    srv = fs.start(scenario, opts)
    return srv
  end
  after_each(function()
    if srv then srv.remove() end
    srv = nil
  end)

  it("is built", function()
    assert.is_true(fs.available(), "missing " .. fs.bin .. " (make fixtures)")
  end)

  describe("openai scenario", function()
    it("answers a chat completion as JSON with usage", function()
      start("openai")
      local r = post_json(srv.url .. "/v1/chat/completions",
        { model = "m1", messages = { { role = "user", content = "hello" } } })
      assert.equal(0, r.code, r.stderr)
      local doc = assert(json.decode(r.stdout))
      assert.equal("chat.completion", doc.object)
      assert.equal("m1", doc.model)
      assert.equal("assistant", doc.choices[1].message.role)
      assert.equal("Hi! (fake model reply)", doc.choices[1].message.content)
      assert.equal("stop", doc.choices[1].finish_reason)
      assert.equal(4, doc.usage.completion_tokens)
      assert.equal(doc.usage.prompt_tokens + 4, doc.usage.total_tokens)
    end)

    it("streams SSE deltas, a usage chunk before [DONE] when asked", function()
      start("openai", { text = "one two three" })
      local r = post_json(srv.url .. "/v1/chat/completions", {
        model = "m", stream = true, stream_options = { include_usage = true },
        messages = { { role = "user", content = "x" } },
      }, { "-N", "-i" })
      assert.equal(0, r.code, r.stderr)
      local head, body = headers_of(r)
      assert.matches("Content%-Type: text/event%-stream", head)
      assert.matches("Transfer%-Encoding: chunked", head)
      local events = sse(body)
      assert.equal("[DONE]", events[#events].raw)
      local usage = events[#events - 1].data
      assert.same({}, usage.choices)
      assert.equal(3, usage.usage.completion_tokens)
      local text, finish = "", nil
      for i = 1, #events - 2 do
        local c = events[i].data.choices[1]
        assert.equal("chat.completion.chunk", events[i].data.object)
        text = text .. (c.delta.content or "")
        finish = finish or (c.finish_reason ~= json.null and c.finish_reason or nil)
      end
      assert.equal("one two three", text)
      assert.equal("stop", finish)
      assert.equal("assistant", events[1].data.choices[1].delta.role)
    end)

    it("sends no usage chunk unless stream_options.include_usage", function()
      start("openai")
      local r = post_json(srv.url .. "/v1/chat/completions",
        { model = "m", stream = true, messages = { { role = "user", content = "x" } } })
      local events = sse(r.stdout)
      assert.equal("[DONE]", events[#events].raw)
      for i = 1, #events - 1 do assert.equal(1, #events[i].data.choices) end
    end)

    it("echoes the last user message with --echo", function()
      start("openai", { echo = true })
      local r = post_json(srv.url .. "/v1/chat/completions", { model = "m", messages = {
        { role = "system", content = "be brief" }, { role = "user", content = "first" },
        { role = "assistant", content = "ok" },
        { role = "user", content = { { type = "text", text = "second " }, { type = "text", text = "part" } } },
      } })
      assert.equal("echo: second part", json.decode(r.stdout).choices[1].message.content)
    end)

    it("answers unknown paths with a 404 in the OpenAI error shape", function()
      start("openai")
      local r = curl({ "-i", srv.url .. "/v1/nothing" })
      local head, body = headers_of(r)
      assert.matches("^HTTP/1.1 404 Not Found", head)
      assert.is_string(json.decode(body).error.message)
    end)
  end)

  describe("ollama scenario", function()
    it("streams /api/generate as NDJSON when stream is absent, ending with done and counts", function()
      start("ollama", { usage = { 7, 3 } })
      local r = post_json(srv.url .. "/api/generate", { model = "llama3", prompt = "hi" }, { "-i" })
      assert.equal(0, r.code, r.stderr)
      local head, body = headers_of(r)
      assert.matches("Content%-Type: application/x%-ndjson", head)
      local lines = ndjson(body)
      local text = ""
      for i = 1, #lines - 1 do
        assert.is_false(lines[i].done)
        assert.is_nil(lines[i].eval_count)
        text = text .. lines[i].response
      end
      local last = lines[#lines]
      assert.equal("Hi! (fake model reply)", text)
      assert.is_true(last.done)
      assert.equal("", last.response)
      assert.equal("stop", last.done_reason)
      assert.equal(7, last.prompt_eval_count)
      assert.equal(3, last.eval_count)
      assert.equal("llama3", last.model)
    end)

    it("answers stream:false with one JSON object", function()
      start("ollama", { echo = true })
      local r = post_json(srv.url .. "/api/generate", { model = "m", prompt = "ping", stream = false })
      local doc = assert(json.decode(r.stdout))
      assert.equal("echo: ping", doc.response)
      assert.is_true(doc.done)
      assert.is_number(doc.eval_count)
    end)

    it("streams /api/chat message deltas", function()
      start("ollama", { echo = true })
      local r = post_json(srv.url .. "/api/chat",
        { model = "m", messages = { { role = "user", content = "chat me" } } })
      local lines = ndjson(r.stdout)
      local text = ""
      for _, l in ipairs(lines) do text = text .. l.message.content end
      assert.equal("echo: chat me", text)
      assert.is_true(lines[#lines].done)
      assert.equal("assistant", lines[1].message.role)
    end)

    it("answers the endpoints the CLI touches: HEAD /, /api/version, /api/tags", function()
      start("ollama")
      assert.equal(0, curl({ "-f", "-I", srv.url .. "/" }).code)
      assert.is_string(json.decode(curl({ srv.url .. "/api/version" }).stdout).version)
      local tags = json.decode(curl({ srv.url .. "/api/tags" }).stdout)
      assert.is_string(tags.models[1].name)
    end)

    it("fails with Ollama's {\"error\"} body", function()
      start("ollama", { status = 404, max_requests = 1 })
      local r = post_json(srv.url .. "/api/generate", { model = "nomodel", prompt = "x" }, { "-i" })
      local head, body = headers_of(r)
      assert.matches("^HTTP/1.1 404", head)
      assert.same({ error = "model 'nomodel' not found" }, json.decode(body))
    end)
  end)

  describe("responses scenario", function()
    it("streams the full Responses API event sequence with usage", function()
      start("responses", { usage = { 10, 5 } })
      local r = post_json(srv.url .. "/v1/responses", { model = "gpt-5.5", stream = true,
        input = { { type = "message", role = "user", content = { { type = "input_text", text = "hi" } } } } })
      assert.equal(0, r.code, r.stderr)
      local events = sse(r.stdout)
      local names = {}
      for i, e in ipairs(events) do
        names[#names + 1] = e.event
        assert.equal(e.event, e.data.type)
        assert.equal(i - 1, e.data.sequence_number)
      end
      assert.same({ "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed" }, names)
      local done = events[#events].data.response
      assert.equal("completed", done.status)
      assert.equal("Hi! (fake model reply)", done.output[1].content[1].text)
      assert.same({ input_tokens = 10, input_tokens_details = { cached_tokens = 0 }, output_tokens = 5,
        output_tokens_details = { reasoning_tokens = 0 }, total_tokens = 15 }, done.usage)
      assert.equal("response.output_item.done", events[#events - 1].event)
      assert.equal("Hi! (fake model reply)", events[#events - 1].data.item.content[1].text)
    end)

    it("echoes the last user input item, as codex sends it", function()
      start("responses", { echo = true })
      local r = post_json(srv.url .. "/v1/responses", { model = "m", stream = true, input = {
        { type = "message", role = "developer", content = { { type = "input_text", text = "rules" } } },
        { type = "message", role = "user", content = { { type = "input_text", text = "<env/>" } } },
        { type = "message", role = "user", content = { { type = "input_text", text = "the prompt" } } },
      } })
      local events = sse(r.stdout)
      assert.equal("echo: the prompt", events[#events].data.response.output[1].content[1].text)
    end)

    it("answers stream:false with a Response object", function()
      start("responses", { text = "plain" })
      local doc = json.decode(post_json(srv.url .. "/v1/responses", { model = "m", input = "x" }).stdout)
      assert.equal("response", doc.object)
      assert.equal("plain", doc.output[1].content[1].text)
    end)

    it("ends the stream with response.failed under --fault error", function()
      start("responses", { fault = "error" })
      local r = post_json(srv.url .. "/v1/responses", { model = "m", stream = true, input = "x" })
      local events = sse(r.stdout)
      assert.equal("response.failed", events[#events].event)
      assert.equal("failed", events[#events].data.response.status)
      assert.is_string(events[#events].data.response.error.message)
    end)
  end)

  describe("text and jsonl scenarios", function()
    it("text: answers {\"text\": ...} by default, the --body verbatim otherwise", function()
      start("text")
      assert.same({ text = "Hi! (fake model reply)" }, json.decode(curl({ "-d", "x", srv.url .. "/infer" }).stdout))
      srv.remove()
      start("text", { body = "not json at all\n" })
      local r = curl({ "-i", "-d", "x", srv.url .. "/infer" })
      local head, body = headers_of(r)
      assert.matches("Content%-Type: text/plain", head)
      assert.equal("not json at all\n", body)
    end)

    it("text: --echo returns the request body, --content-type overrides the type", function()
      start("text", { echo = true, content_type = "application/x-custom" })
      local r = curl({ "-i", "-H", "Content-Type: text/plain", "--data-binary", "captured output",
        srv.url .. "/infer" })
      local head, body = headers_of(r)
      assert.matches("Content%-Type: application/x%-custom", head)
      assert.same({ text = "echo: captured output" }, json.decode(body))
    end)

    it("jsonl: --body is sent verbatim, one chunk per line", function()
      local body = '{"type":"item.completed","item":{"type":"agent_message","text":"x"}}\nnot json\n'
      start("jsonl", { body = body })
      assert.equal(body, curl({ "-d", "x", srv.url .. "/" }).stdout)
    end)

    it("jsonl: codex-style lines with an item.completed and a turn.completed", function()
      start("jsonl", { text = "answer" })
      local lines = ndjson(curl({ "-d", "x", srv.url .. "/" }).stdout)
      assert.equal("item.completed", lines[1].type)
      assert.equal("answer", lines[1].item.text)
      assert.equal("turn.completed", lines[2].type)
      assert.equal(1, lines[2].usage.output_tokens)
    end)
  end)

  describe("status and failures", function()
    it("status: replies --status with --body", function()
      start("status", { status = 503, body = "overloaded" })
      local r = curl({ "-i", srv.url .. "/anything" })
      local head, body = headers_of(r)
      assert.matches("^HTTP/1.1 503 Service Unavailable", head)
      assert.equal("overloaded", body)
    end)

    it("a protocol scenario with --status fails in that protocol's error shape", function()
      start("responses", { status = 429 })
      local r = post_json(srv.url .. "/v1/responses", { model = "m", stream = true, input = "x" }, { "-i" })
      local head, body = headers_of(r)
      assert.matches("^HTTP/1.1 429 Too Many Requests", head)
      assert.equal("rate_limit_exceeded", json.decode(body).error.code)
    end)

    it("--fail-first N fails the first N requests, then answers", function()
      start("openai", { fail_first = 2 })
      local codes = {}
      for i = 1, 3 do
        local r = post_json(srv.url .. "/v1/chat/completions",
          { model = "m", messages = { { role = "user", content = "x" } } }, { "-o", "/dev/null", "-w", "%{http_code}" })
        codes[i] = r.stdout
      end
      assert.same({ "500", "500", "200" }, codes)
    end)

    it("hang: accepts the request and never answers", function()
      start("hang")
      local r = post_json(srv.url .. "/v1/responses", { model = "m", stream = true, input = "x" },
        { "--max-time", "1" })
      assert.equal(28, r.code) -- curl: operation timed out
      assert.equal("", r.stdout)
      assert.equal(1, #srv.requests())
    end)

    it("drop: closes the connection in the middle of the body", function()
      start("drop")
      local r = post_json(srv.url .. "/v1/responses", { model = "m", stream = true, input = "x" })
      assert.equal(18, r.code, r.stderr) -- curl: partial file
      local events = sse(r.stdout)
      assert.is_true(#events >= 1)
      assert.equal("response.created", events[1].event)
      for _, e in ipairs(events) do assert.not_equal("response.completed", e.event) end
    end)

    it("stall: sends half the body, then nothing", function()
      start("ollama", { fault = "stall" })
      local r = post_json(srv.url .. "/api/generate", { model = "m", prompt = "x" }, { "--max-time", "1" })
      assert.equal(28, r.code)
      local lines = ndjson(r.stdout)
      assert.is_true(#lines >= 1)
      for _, l in ipairs(lines) do assert.is_false(l.done) end
    end)

    it("slow: waits --delay-ms between stream events", function()
      start("slow", { delay_ms = 150 })
      local r = post_json(srv.url .. "/api/generate", { model = "m", prompt = "x" },
        { "-o", "/dev/null", "-w", "%{time_total}" })
      -- 5 events (4 deltas + done) => 4 gaps of 150 ms.
      assert.is_true(tonumber(r.stdout) >= 0.6, "took " .. r.stdout)
    end)

    it("error fault: OpenAI streams carry a data: {\"error\"} event and no [DONE]", function()
      start("openai", { fault = "error" })
      local events = sse(post_json(srv.url .. "/v1/chat/completions",
        { model = "m", stream = true, messages = { { role = "user", content = "x" } } }).stdout)
      assert.is_string(events[#events].data.error.message)
      for _, e in ipairs(events) do assert.not_equal("[DONE]", e.raw) end
    end)

    it("error fault: Ollama streams end with an {\"error\"} line", function()
      start("ollama", { fault = "error" })
      local lines = ndjson(post_json(srv.url .. "/api/generate", { model = "m", prompt = "x" }).stdout)
      assert.is_string(lines[#lines].error)
    end)
  end)

  -- Bodies with NUL bytes and invalid UTF-8 must arrive byte for byte: curl writes what it got to a
  -- file and cmp compares it with the expected bytes.
  describe("byte-exact bodies (NUL bytes, invalid UTF-8)", function()
    local TEXT = "before\0after \xff\xfe not utf-8\n\0\nend"
    local LINES = 'line one\n\0\n{"a":"\0"}\n\xc3(\n'
    local SSE = 'data: {"x":"a\0b"}\n\n: comment \xff\n\ndata: \0\r\n\r\ndata: [DONE]\n\n'
    local SSE_EVENTS = { 'data: {"x":"a\0b"}\n\n', ': comment \xff\n\n', 'data: \0\r\n\r\n', "data: [DONE]\n\n" }
    local NDJSON = '{"response":"a\0"}\n\xff\xfe\n{"done":true}\n'
    local files = {}
    after_each(function()
      for _, f in ipairs(files) do os.remove(f) end
      files = {}
    end)

    local function tmp()
      files[#files + 1] = os.tmpname()
      return files[#files]
    end

    --- curl's exit code and the file holding the bytes it received.
    local function fetch(path, extra)
      local out = tmp()
      local args = { "-s", "--output", out }
      for _, a in ipairs(extra or {}) do args[#args + 1] = a end
      args[#args + 1] = srv.url .. path
      local r = h.run(args, { bin = "curl" })
      return r.code, out
    end

    local function assert_bytes(expected, file)
      local want = tmp()
      h.write(want, expected)
      local same = os.execute("cmp -s " .. h.quote(want) .. " " .. h.quote(file))
      assert.is_true(same == true, "received bytes differ from the expected " .. #expected .. " bytes")
    end

    local function decode_file(file)
      return assert(json.decode(h.slurp(file)))
    end

    it("text: the --body file as a fixed body", function()
      start("text", { body = TEXT })
      local code, out = fetch("/infer", { "-d", "x" })
      assert.equal(0, code)
      assert_bytes(TEXT, out)
    end)

    it("auto: the --body file on a text path", function()
      start("auto", { body = TEXT })
      local code, out = fetch("/anything")
      assert.equal(0, code)
      assert_bytes(TEXT, out)
    end)

    it("jsonl: the --body file streamed one line per chunk", function()
      start("jsonl", { body = LINES })
      local code, out = fetch("/", { "-d", "x" })
      assert.equal(0, code)
      assert_bytes(LINES, out)
    end)

    it("status: the --body file as the error body", function()
      start("status", { status = 503, body = TEXT })
      local code, out = fetch("/anything", { "-d", "x" })
      assert.equal(0, code)
      assert_bytes(TEXT, out)
    end)

    it("openai --raw: the --body file streamed as SSE events", function()
      start("openai", { body = SSE, raw = true })
      local code, out = fetch("/v1/chat/completions", { "-d", "{}" })
      assert.equal(0, code)
      assert_bytes(SSE, out)
    end)

    it("responses --raw: the --body file streamed as SSE events", function()
      start("responses", { body = SSE, raw = true })
      local code, out = fetch("/v1/responses", { "-d", "{}" })
      assert.equal(0, code)
      assert_bytes(SSE, out)
    end)

    it("ollama --raw: the --body file streamed as NDJSON lines", function()
      start("ollama", { body = NDJSON, raw = true })
      local code, out = fetch("/api/chat", { "-d", "{}" })
      assert.equal(0, code)
      assert_bytes(NDJSON, out)
    end)

    it("openai, ollama, responses: a --body reply text keeps its NUL bytes inside the JSON", function()
      local body = "a\0b c\xff"
      local want = "a\0b c\u{FFFD}" -- the reply text is lossy UTF-8; a NUL is \u0000 in JSON
      start("openai", { body = body })
      local _, out = fetch("/v1/chat/completions", { "-d", '{"messages":[]}' })
      assert.equal(want, decode_file(out).choices[1].message.content)
      local _, sse_out = fetch("/v1/chat/completions", { "-d", '{"stream":true}' })
      local joined = {}
      for _, e in ipairs(sse(h.slurp(sse_out))) do
        if type(e.data) == "table" and e.data.choices[1] then joined[#joined + 1] = e.data.choices[1].delta.content end
      end
      assert.equal(want, table.concat(joined))
      srv.remove()
      start("ollama", { body = body })
      local _, nd = fetch("/api/generate", { "-d", '{"prompt":"x"}' })
      local parts = {}
      for _, l in ipairs(ndjson(h.slurp(nd))) do parts[#parts + 1] = l.response end
      assert.equal(want, table.concat(parts))
      srv.remove()
      start("responses", { body = body })
      local _, resp = fetch("/v1/responses", { "-d", '{"stream":true}' })
      local done
      for _, e in ipairs(sse(h.slurp(resp))) do
        if e.event == "response.output_text.done" then done = e.data.text end
      end
      assert.equal(want, done)
    end)

    it("drop: a fixed body is cut after exactly half its bytes", function()
      start("drop", { body = TEXT })
      local code, out = fetch("/anything")
      assert.equal(18, code) -- curl: partial file
      assert_bytes(TEXT:sub(1, #TEXT // 2), out)
    end)

    it("drop: a raw SSE stream is cut after half its events", function()
      start("openai", { body = SSE, raw = true, fault = "drop" })
      local code, out = fetch("/v1/chat/completions", { "-d", "{}" })
      assert.equal(18, code)
      assert_bytes(SSE_EVENTS[1] .. SSE_EVENTS[2], out)
    end)

    it("stall: a fixed body stops after exactly half its bytes", function()
      start("stall", { body = TEXT })
      local code, out = fetch("/anything", { "--max-time", "1" })
      assert.equal(28, code)
      assert_bytes(TEXT:sub(1, #TEXT // 2), out)
    end)

    it("stall: a jsonl stream stops after half its lines", function()
      start("jsonl", { body = LINES, fault = "stall" })
      local code, out = fetch("/", { "-d", "x", "--max-time", "1" })
      assert.equal(28, code)
      assert_bytes('line one\n\0\n', out)
    end)

    it("slow: a raw stream arrives whole, event by event", function()
      start("slow", { body = SSE, raw = true, delay_ms = 50 })
      local code, out = fetch("/v1/chat/completions", { "-d", "{}" })
      assert.equal(0, code)
      assert_bytes(SSE, out)
    end)

    it("records a request body with NUL bytes by its length", function()
      start("text")
      local body = tmp()
      h.write(body, "a\0b\xff")
      fetch("/infer", { "--data-binary", "@" .. body })
      local req = srv.requests()[1]
      assert.equal(4, req.body_bytes)
      assert.equal("a\0b\u{FFFD}", req.body)
    end)

    it("--raw needs --body", function()
      local r = h.run({ "--scenario", "openai", "--raw" }, { bin = fs.bin })
      assert.equal(2, r.code)
      assert.matches("%-%-raw needs %-%-body", r.stderr)
    end)
  end)

  describe("HTTP handling", function()
    it("records method, path, headers and body as JSON lines", function()
      start("text", { max_requests = 2 })
      curl({ "-H", "Authorization: Bearer token-123", "-H", "Content-Type: text/plain",
        "--data-binary", "line one\nline two", srv.url .. "/infer?x=1" })
      curl({ srv.url .. "/get" })
      local reqs = srv.requests()
      assert.equal(2, #reqs)
      assert.equal(1, reqs[1].seq)
      assert.equal("POST", reqs[1].method)
      assert.equal("/infer?x=1", reqs[1].path)
      assert.equal("Bearer token-123", reqs[1].headers.authorization)
      assert.equal("text/plain", reqs[1].headers["content-type"])
      assert.equal("line one\nline two", reqs[1].body)
      assert.equal(17, reqs[1].body_bytes)
      assert.equal("GET", reqs[2].method)
      assert.equal("", reqs[2].body)
    end)

    it("decodes chunked request bodies and answers Expect: 100-continue", function()
      start("openai", { echo = true })
      local doc = { model = "m", messages = { { role = "user", content = string.rep("z", 200000) } } }
      local r = post_json(srv.url .. "/v1/chat/completions", doc,
        { "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue", "-w", "\n%{time_total}" })
      local body, t = r.stdout:match("^(.*)\n([%d.]+)$")
      assert.equal("echo: " .. string.rep("z", 200000), json.decode(body).choices[1].message.content)
      assert.is_true(tonumber(t) < 0.9, "curl waited for 100 Continue: " .. t)
      local rec = srv.requests()[1]
      assert.equal("chunked", rec.headers["transfer-encoding"])
      assert.equal(#json.encode(doc), rec.body_bytes)
      assert.same(doc, rec.json)
    end)

    it("keeps connections alive between requests", function()
      start("text")
      local r = h.run({ "-sS", "-v", srv.url .. "/a", srv.url .. "/b" }, { bin = "curl" })
      assert.equal(0, r.code)
      assert.matches("Re%-using existing connection", r.stderr)
      assert.equal(2, #srv.requests())
    end)

    it("serves several connections at once", function()
      start("slow", { delay_ms = 250 }) -- each streamed reply takes >= 1 s
      local t0 = now()
      local url = srv.url .. "/api/generate"
      local cmd = {}
      for i = 1, 3 do
        cmd[i] = "curl -sS -o /dev/null -d '{\"model\":\"m\",\"prompt\":\"p\"}' " .. url .. " &"
      end
      os.execute(table.concat(cmd, " ") .. " wait")
      local took = now() - t0
      assert.equal(3, #srv.requests())
      assert.is_true(took >= 1.0 and took < 2.5, "3 parallel 1 s replies took " .. took .. " s")
    end)

    it("closes HTTP/1.0 connections after the reply", function()
      start("text")
      local r = curl({ "--http1.0", "-i", srv.url .. "/" })
      local head, body = headers_of(r)
      assert.matches("Connection: close", head)
      assert.same({ text = "Hi! (fake model reply)" }, json.decode(body))
    end)

    it("answers a malformed request with 400", function()
      start("text")
      local r = curl({ "-i", "-H", "Content-Length: abc", srv.url .. "/" })
      assert.matches("^HTTP/1.1 400", r.stdout)
    end)
  end)

  describe("lifetime", function()
    it("prints the port first and binds 127.0.0.1 only", function()
      start("text")
      assert.is_true(srv.port > 0)
      local p = io.popen("cat /proc/net/tcp")
      local tcp = p:read("a")
      p:close()
      local hex = string.format(":%04X ", srv.port)
      local listen = tcp:match("%s%x+:%s*(%x+" .. hex .. ")%x+:%x+ 0A")
      assert.equal("0100007F" .. hex, listen)
    end)

    it("exits by itself after --max-requests", function()
      start("openai", { max_requests = 2, max_seconds = 30 })
      local t0 = now()
      for _ = 1, 2 do curl({ srv.url .. "/v1/models" }) end
      local ok, how, code = srv.wait()
      assert.is_true(now() - t0 < 5)
      assert.same({ true, "exit", 0 }, { ok, how, code })
      assert.matches("served 2 requests", srv.stderr)
      assert.equal(7, curl({ srv.url .. "/v1/models" }).code) -- connection refused
    end)

    it("exits by itself after --max-seconds, even with a hung request", function()
      start("hang", { max_seconds = 1 })
      local t0 = now()
      h.run({ "-sS", "--max-time", "10", srv.url .. "/" }, { bin = "curl" })
      local ok, how = srv.wait()
      local took = now() - t0
      assert.is_true(ok)
      assert.equal("exit", how)
      assert.is_true(took >= 0.9 and took < 4, "took " .. took)
      assert.matches("max%-seconds 1 reached", srv.stderr)
    end)

    it("stop() ends it at once", function()
      start("text", { max_seconds = 30 })
      assert.is_true(srv.alive())
      local _, how, code = srv.stop()
      assert.equal("signal", how)
      assert.equal(15, code)
      assert.is_false(srv.alive())
    end)

    it("rejects an unknown scenario with exit 2", function()
      local r = h.run({ "--scenario", "nope" }, { bin = fs.bin })
      assert.equal(2, r.code)
      assert.matches("unknown %-%-scenario: nope", r.stderr)
    end)
  end)
end)
