--- Bench driver for bench/redact.sh: the cost of the redaction pass (cx.redact) on run-log rows,
--- beside the JSON encoding every appended row costs anyway. Usage: lua5.4 redact_driver.lua ROWS.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
package.cpath = "build/lib/?.so;" .. package.cpath
local contract = require "cx.log_contract"
local json = require "cx.json"
local redact = require "cx.redact"

local rows = math.tointeger(tonumber(arg[1] or "")) or 20000

-- A realistic row: every contract key, a 180-character preview, a reason, paths.
local function make_row(i)
  local row = {}
  for _, k in ipairs(contract.ROW_KEYS) do
    local t = contract.TYPES[k]
    if t:find("^str") then row[k] = k .. "-value-" .. i
    elseif t:find("^u") then row[k] = i
    elseif t:find("^bool") then row[k] = i % 2 == 0
    else row[k] = json.null end
  end
  row.prompt_preview = string.rep("output line of a captured command ", 6):sub(1, 180)
  row.schema_reason = "schema_validation_failed: \"commands\" is a required property | [] has less than 1 item"
  row.cwd = "/home/user/src/project/subdir"
  return row
end

local sample = {}
for i = 1, 64 do sample[i] = make_row(i) end

local function time(label, secrets, mode)
  redact.configure(secrets)
  local t0 = os.clock()
  local bytes = 0
  for i = 1, rows do
    local row = sample[(i - 1) % #sample + 1]
    if mode == "encode" then
      bytes = bytes + #redact.encode(row, json.encode)
    else
      if mode == "value" then row = redact.value(row) end
      bytes = bytes + #json.encode(row)
    end
  end
  local secs = os.clock() - t0
  print(string.format("%-44s %8.2f us/row  %8.0f rows/s", label, secs / rows * 1e6, rows / secs))
  return secs
end

local env3 = { CX_HTTP_PROVIDER_TOKEN = "tok-0123456789abcdef", OPENAI_API_KEY = "sk-proj-abcdefghijklmnop",
  GITHUB_TOKEN = "ghp_0123456789abcdefghij" }
local env10 = {}
for k, v in pairs(env3) do env10[k] = v end
for i = 1, 7 do env10["SVC" .. i .. "_TOKEN"] = "service-secret-value-" .. i end

print(string.format("%d rows of %d keys (one pass each, CPU time)", rows, #contract.ROW_KEYS))
local base = time("json.encode only (the cost of any append)", {}, nil)
time("redact.encode (what runlog.append does), 0 secrets", {}, "encode")
local r3 = time("redact.encode, 3 secrets, none in the row", env3, "encode")
local r10 = time("redact.encode, 10 secrets, none in the row", env10, "encode")
print(string.format("redaction adds %.1f us/row with 3 secrets, %.1f us/row with 10 (no hit)",
  (r3 - base) / rows * 1e6, (r10 - base) / rows * 1e6))
for _, r in ipairs(sample) do r.prompt_preview = r.prompt_preview .. " tok-0123456789abcdef" end
local hit = time("redact.encode, 3 secrets, one in every row", env3, "encode")
time("redact.value + encode, 3 secrets (quarantine path)", env3, "value")
print(string.format("a row holding a secret costs %.1f us more", (hit - base) / rows * 1e6))
