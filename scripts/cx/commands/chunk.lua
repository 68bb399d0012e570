--- `cx chunk` (`cxchunk`): split stdin into chunks of whole lines that fit the context budget
--- (CX_CONTEXT_BUDGET_CHARS, default 12000), each under a `----- cx chunk <i>/<N> -----` separator.
local args = require "cx.args"
local chunk = require "cx.chunk"
local config = require "cx.config"

local M = { summary = "split stdin into chunks that fit the context budget" ,
  raw_output = true } -- stdout is stdin's lines (cx.output: escaped only on a terminal)

function M.parser()
  local p = args.parser("chunk", "Split stdin into chunks of whole lines that fit the character budget, each "
    .. "after a `----- cx chunk <i>/<N> -----` line. Lines are never split; empty input is one empty chunk.",
    "Exit codes: 0 ok, 1 stdin is not UTF-8 text, 2 usage error.")
  p:option("--chars", "The budget in characters (default: CX_CONTEXT_BUDGET_CHARS, else 12000)."):argname("<n>")
    :convert(args.converter("--chars", { min = 0 }))
  return p
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local text = io.stdin:read("a") or ""
  if not utf8.len(text) then
    io.stderr:write("cx chunk: failed to read stdin: stream did not contain valid UTF-8\n")
    return 1
  end
  local budget = opts.chars or config.uint("CX_CONTEXT_BUDGET_CHARS") or 12000
  local chunks = chunk.split(text, budget)
  for i, c in ipairs(chunks) do
    io.stdout:write(string.format("----- cx chunk %d/%d -----\n", i, #chunks), c)
    if c:sub(-1) ~= "\n" then io.stdout:write("\n") end
  end
  return 0
end

return M
