std = "lua54"
max_line_length = 120
files["tests/spec"] = { std = "+busted" }
exclude_files = { "build", "luarocks-tree" }
-- Policy code and the rule engine's driver run in the policy sandbox, which adds these globals.
files["policies"] = { read_globals = { "array", "null" } }
files["scripts/cx/policy_rules_driver.lua"] = { read_globals = { "array", "null" } }
