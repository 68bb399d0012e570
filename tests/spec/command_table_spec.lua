-- The command table drives dispatch, help, typo suggestions and completion: every command is listed
-- and has --help, top-level typos get a suggestion, the completion scripts are valid for their
-- shells and complete from the same table, and no text cx prints names a command that does not exist.
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local registry = require "cx.registry"

teardown(lr.cleanup)

-- Commands another package adds in parallel whose names cx's texts may already use (e.g. in actions):
-- name = "why". Empty once they have merged (task and broker have).
local PENDING = {}

local HELP_TEXTS = {} -- `cx help <command>` outputs, kept by the --help test for the mention scan

local function have(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local out = p:read("a")
  p:close()
  return out ~= ""
end

describe("cx help", function()
  it("lists every registered command with its summary", function()
    for _, args in ipairs({ { "help" }, { "--help" }, {} }) do
      local r = h.cx(args)
      assert.equal(0, r.code)
      for _, c in ipairs(registry.commands()) do
        local line = "\n  " .. c.name:gsub("%p", "%%%0") .. " +" .. c.summary:gsub("%p", "%%%0") .. "\n"
        assert.truthy(r.stdout:find(line), c.name)
      end
    end
  end)

  it("gives every command (and every alias) a --help that exits 0", function()
    local dir = lr.repo(nil)
    for _, c in ipairs(registry.commands()) do
      -- `cx supports --help` answers whether --help is supported (true); its help is `cx help supports`
      local forms = c.name == "supports" and { { "help", c.name } } or { { c.name, "--help" }, { "help", c.name } }
      for _, args in ipairs(forms) do
        local r = lr.cx(dir, args)
        assert.equal(0, r.code, table.concat(args, " ") .. ": " .. r.stderr)
        if args[1] == "help" then HELP_TEXTS[c.name] = r.stdout end
        assert.truthy(r.stdout:find("cx " .. c.name, 1, true), table.concat(args, " ") .. " does not name the command")
      end
    end
    for _, a in ipairs(registry.aliases()) do
      assert.equal(0, lr.cx(dir, { "help", a.alias }).code, a.alias)
    end
  end)
end)

describe("the README", function()
  it("has every command in its command table", function()
    local readme = h.slurp(h.root .. "/README.md")
    local section = readme:match("\n## Commands\n(.-)\n## ")
    assert.truthy(section)
    for _, c in ipairs(registry.commands()) do
      assert.truthy(section:find("%f[%w%-]" .. c.name:gsub("%p", "%%%0") .. "%f[^%w%-]"), c.name)
    end
  end)
end)

describe("top-level typos", function()
  for _, case in ipairs({ { "daig", "diag" }, { "metrcs", "metrics" }, { "cxmetrcs", "cxmetrics" },
    { "qouta", "quota" }, { "prmptlint", "promptlint" } }) do
    it(case[1] .. " suggests " .. case[2], function()
      local r = h.cx({ case[1] })
      assert.equal(2, r.code)
      assert.equal("", r.stdout)
      assert.equal("cx: unknown command '" .. case[1] .. "' (did you mean '" .. case[2] .. "'?)\n", r.stderr)
      assert.equal(r.stderr, h.cx({ "help", case[1] }).stderr)
    end)
  end

  it("names no suggestion for a word close to nothing", function()
    assert.equal("cx: unknown command 'frobnicate' (run 'cx --help' for the list)\n", h.cx({ "frobnicate" }).stderr)
    assert.is_nil(registry.suggest_command("zz"))
  end)
end)

describe("cx completion", function()
  local scripts = {}
  setup(function()
    local dir = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = dir
    for _, shell in ipairs({ "bash", "zsh", "fish" }) do
      local r = h.cx({ "completion", shell })
      assert.equal(0, r.code, r.stderr)
      scripts[shell] = dir .. "/cx." .. shell
      h.write(scripts[shell], r.stdout)
    end
  end)

  it("names every command and alias in every script", function()
    for shell, path in pairs(scripts) do
      local text = h.slurp(path)
      for _, name in ipairs(registry.names()) do
        assert.truthy(text:find(name, 1, true), shell .. " misses " .. name)
      end
    end
  end)

  it("writes a bash script bash accepts, which completes commands, subcommands and flags", function()
    assert.is_true(h.run({ "-n", scripts.bash }, { bin = "bash" }).code == 0)
    local function complete(words)
      local code = "source " .. h.quote(scripts.bash) .. "; COMP_WORDS=(" .. words .. "); "
        .. "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _cx; printf '%s\\n' \"${COMPREPLY[@]}\""
      local r = h.run({ "-c", code }, { bin = "bash" })
      assert.equal(0, r.code, r.stderr)
      return r.stdout
    end
    assert.equal("diag\n", complete("cx dia"))
    assert.equal("quota\n", complete("cx quo"))
    assert.equal("cxmetrics\n", complete("cx cxmetr"))
    assert.equal("guard\n", complete("cx quota gu"))
    assert.equal("--json\n", complete("cx diag --js"))
    assert.equal("--window\n", complete("cx scheduler --win"))
    assert.equal("--log\n", complete("cx metrics --lo"))
    assert.equal("validate\n", complete("cx ci va"))
    assert.equal("bash\n", complete("cx completion ba"))
    assert.equal("promptlint\n", complete("cx help promptl"))
  end)

  it("writes a zsh script zsh accepts and registers", function()
    if not have("zsh") then
      pending("zsh is not installed (tools/deps.sh installs it)")
      return
    end
    assert.equal(0, h.run({ "-n", scripts.zsh }, { bin = "zsh" }).code)
    local r = h.run({ "-f", "-c", "autoload -U compinit; compinit -u -D; source " .. h.quote(scripts.zsh)
      .. "; print -r -- ${_comps[cx]}" }, { bin = "zsh" })
    assert.equal("_cx\n", r.stdout, r.stderr)
  end)

  it("writes a fish script fish accepts, which completes commands and flags", function()
    if not have("fish") then
      pending("fish is not installed (tools/deps.sh installs it)")
      return
    end
    assert.equal(0, h.run({ "--no-execute", scripts.fish }, { bin = "fish" }).code)
    local r = h.run({ "--no-config", "-c", "source " .. h.quote(scripts.fish) .. "; complete -C 'cx dia'; "
      .. "complete -C 'cx quota gu'; complete -C 'cx diag --js'" }, { bin = "fish" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("diag\tdiagnose configuration and the last N runs\nguard\n--json\n",
      r.stdout)
  end)

  it("rejects an unknown shell with exit 2", function()
    local r = h.cx({ "completion", "bsh" })
    assert.equal(2, r.code)
    assert.equal("cx completion: unknown shell 'bsh' (did you mean 'bash'?)\n", r.stderr)
    assert.equal(2, h.cx({ "completion" }).code)
  end)
end)

-- The string literals of a Lua source (comments skipped): "...", '...', [[...]], [==[...]==].
local function string_literals(src)
  local out, i, n = {}, 1, #src
  while i <= n do
    local c = src:sub(i, i)
    if src:sub(i, i + 1) == "--" then
      local eq = src:match("^%[(=*)%[", i + 2)
      if eq then
        local _, stop = src:find("]" .. eq .. "]", i + 4 + #eq, true)
        i = (stop or n) + 1
      else
        i = (src:find("\n", i, true) or n) + 1
      end
    elseif c == '"' or c == "'" then
      local j, buf = i + 1, {}
      local escapes = { n = "\n", t = "\t" }
      while j <= n and src:sub(j, j) ~= c do
        local ch = src:sub(j, j)
        if ch == "\\" then
          j = j + 1
          ch = escapes[src:sub(j, j)] or src:sub(j, j)
        end
        buf[#buf + 1] = ch
        j = j + 1
      end
      out[#out + 1] = table.concat(buf)
      i = j + 1
    elseif c == "[" and src:match("^%[=*%[", i) then
      local eq = src:match("^%[(=*)%[", i)
      local start = i + 2 + #eq
      local _, stop = src:find("]" .. eq .. "]", start, true)
      out[#out + 1] = src:sub(start, (stop or n) - #eq - 2)
      i = (stop or n) + 1
    else
      i = i + 1
    end
  end
  return out
end

-- The commands a text tells the user about: `cx <word>` at the start of the text, after a quote, a
-- backtick or a parenthesis, or after "Usage: " — the forms cx uses for commands to run, actions and
-- usage lines (prose such as "cx keeps ..." is none of these). "cx <word>:" is a message prefix.
local function mentions(text)
  local out, from = {}, 1
  while true do
    local s, e, word = text:find("cx ([a-z][%w_%-]*)", from)
    if not s then return out end
    local before = text:sub(1, s - 1)
    local lead = s == 1 or before:match("[\"'`(]$") or before:match("[Uu]sage: $")
    if lead and text:sub(e + 1, e + 1) ~= ":" and not text:sub(s - 1, s - 1):match("[%w_%-%./]") then
      out[#out + 1] = word
    end
    from = e + 1
  end
end

describe("the commands cx names", function()
  local function check(texts, where, bad)
    for _, text in ipairs(texts) do
      for _, word in ipairs(mentions(text)) do
        if word ~= "help" and not registry.find(word) and not PENDING[word] then
          bad[#bad + 1] = where .. ": cx " .. word
        end
      end
    end
  end

  it("finds the scanner's strings (self-test)", function()
    local lits = string_literals('local a = "cx diag" -- cx nope\nlocal b = [[cx quota\n]] --[[ cx nope2 ]] '
      .. "x = 'cx y'")
    assert.same({ "cx diag", "cx quota\n", "cx y" }, lits)
    local bad = {}
    check(lits, "t", bad)
    assert.same({ "t: cx y" }, bad)
    assert.same({ "a", "b", "c", "d", "e" }, mentions("cx a, run 'cx b', `cx c` (cx d) Usage: cx e; cx keeps; cx f: x"))
  end)

  it("are all registered: in every message, action and help text of the sources", function()
    local p = io.popen("cd " .. h.quote(h.root) .. " && find scripts policies -name '*.lua' | sort")
    local bad = {}
    for path in p:lines() do check(string_literals(h.slurp(h.root .. "/" .. path)), path, bad) end
    p:close()
    assert.same({}, bad)
  end)

  it("are all registered: in what cx help prints for every command", function()
    local bad = {}
    check({ h.cx({ "--help" }).stdout }, "cx --help", bad)
    for name, text in pairs(HELP_TEXTS) do check({ text }, "cx help " .. name, bad) end
    assert.truthy(next(HELP_TEXTS), "the --help test ran first and kept the texts")
    assert.same({}, bad)
  end)
end)
