--- http-stub: the reference's placeholder adapter; it fails fast, without any I/O.
local R = require "cx.adapters.result"

local M = {}

M.message = "http-stub adapter selected; HTTP provider transport is not implemented yet"

function M.start()
  return nil, R.fail("stub_unimplemented", M.message)
end

return M
