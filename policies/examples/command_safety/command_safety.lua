-- Example: a command_safety override. It replaces the shipped policy entirely (function policies do
-- not compose), so it keeps a minimal list of its own: infrastructure teardown and rm -rf.
-- Install: cp policies/examples/command_safety/command_safety.lua .codex/policies/command_safety.lua
-- Try:     cx policy check command_safety terraform destroy -auto-approve
local BLOCK = {
  { pattern = "^%s*terraform%s+destroy", reason = "terraform destroy tears down infrastructure" },
  { pattern = "^%s*kubectl%s+delete", reason = "kubectl delete removes cluster resources" },
  { pattern = "^%s*rm%s+%-%a*[rR]%a*f", reason = "rm -rf: recursive forced removal" },
  { pattern = "^%s*rm%s+%-%a*f%a*[rR]", reason = "rm -rf: recursive forced removal" },
}

return {
  check = function(cmd)
    for part in (cmd .. ";"):gmatch("([^;&|]*)[;&|]") do
      for _, b in ipairs(BLOCK) do
        if part:find(b.pattern) then return { blocked = true, reason = b.reason } end
      end
    end
    return { blocked = false }
  end,
}
