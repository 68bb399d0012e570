--- `cx parity [--ref PATH]` (`cxparity`): compare cx with a reference implementation command by
--- command (see cx.parity) and print a Markdown table; exit 0 only when every row passes.
local core = require "cx.core"
local args = require "cx.args"
local capture = require "cx.capture"
local introspect = require "cx.introspect"
local parity = require "cx.parity"
local paths = require "cx.paths"
local registry = require "cx.registry"

local M = { summary = "run the LLM commands through cx and a reference implementation, compare" }

function M.parser()
  local p = args.parser("parity", "Run cx's LLM commands (cxo, cx, cxj, cxol, cxcopy, cxnext, cxdiffsum, "
    .. "cxdiffsum_staged, cxfix_run, cxcommitmsg, cxcommitjson) through this cx and through a reference "
    .. "implementation, in a temporary git repository on the mock adapter, and compare exit status, JSON "
    .. "keys, the run-log row and the context budget.",
    "The reference is --ref PATH, else $CX_PARITY_REF, else `cxrs` on PATH; it must accept "
      .. "`<ref> cx-compat <command> ...` and `<ref> supports <command>`. Exit codes: 0 every row passes, "
      .. "1 a row fails or no reference, 2 usage error.")
  p:option("--ref", "The reference implementation's program."):argname("<path>")
  return p
end

local function find_on_path(name)
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local st = core.fs.stat(dir .. "/" .. name)
    if st and st.type == "file" then return dir .. "/" .. name end
  end
  return nil
end

local function cell(b)
  return b and "true" or "false"
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local ref = opts.ref or os.getenv("CX_PARITY_REF") or find_on_path("cxrs")
  if not ref or ref == "" then
    io.stderr:write("cx parity: no reference implementation found (give --ref PATH, set CX_PARITY_REF, or put ",
      "cxrs on PATH)\n")
    return 1
  end
  local self = introspect.self_argv()
  if not self then
    io.stderr:write("cx parity: cannot tell how to start this cx again\n")
    return 1
  end
  local p = paths.resolve()
  local dir, err, partial = parity.setup(p and p.schemas_dir)
  if not dir then
    io.stderr:write("cx parity: ", err, "\n")
    if partial then parity.remove_tree(partial) end
    return 1
  end
  local rows
  rows, err = parity.compare(self, { ref }, dir, function(name)
    if not registry.find(name) then return false end
    local r = capture.run({ ref, "supports", name }, { label = "cxparity supports" })
    return r ~= nil and r.exit_code == 0
  end)
  local ok, rerr = parity.remove_tree(dir)
  if not ok then io.stderr:write("cx parity: WARN failed to cleanup temp repo ", dir, ": ", rerr, "\n") end
  if not rows then
    io.stderr:write("cx parity: ", err, "\n")
    return 1
  end
  local L = { "cmd | cx | reference | json | logs | budget | result", "--- | --- | --- | --- | --- | --- | ---" }
  local all = true
  for _, r in ipairs(rows) do
    L[#L + 1] = string.format("%s | %s | %s | %s | %s | %s | %s", r.cmd, cell(r.cx), cell(r.ref), cell(r.json),
      cell(r.logs), cell(r.budget), r.pass and "PASS" or "FAIL")
    if not r.pass then
      all = false
      io.stderr:write(string.format("cx parity: FAIL %s cx_ok=%s ref_ok=%s json_ok=%s logs_ok=%s budget_ok=%s\n",
        r.cmd, cell(r.cx), cell(r.ref), cell(r.json), cell(r.logs), cell(r.budget)))
    end
  end
  io.stdout:write(table.concat(L, "\n"), "\n")
  return all and 0 or 1
end

return M
