--- `cx log-on|log-off` and `cx alert-on|alert-off|alert-show`: the earlier implementation's shell
--- toggles. A command cannot change the environment of the shell that started it, so the toggles
--- only print their notice (the reference's exact lines); `alert-show` prints the thresholds
--- `cx alert` actually uses (the alert policy, overridden by CXALERT_MAX_MS / CXALERT_MAX_EFF_IN).
local args = require "cx.args"
local judge = require "cx.analytics.judge"
local alert = require "cx.commands.alert"

local M = { summary = "the earlier shell toggles (notices only)" }

local HELP = {
  ["log-on"] = "Usage: cx log-on\n\nPrint `cx logging: ON (process-local)`. cx logs every run; there is nothing "
    .. "to turn on.\n",
  ["log-off"] = "Usage: cx log-off\n\nPrint `cx logging: OFF (process-local)`. cx logs every run whatever this says: "
    .. "a command cannot change its shell's environment.\n",
  ["alert-on"] = "Usage: cx alert-on\n\nPrint `cx alerts: ON (process-local)`. `cx alert` always reports.\n",
  ["alert-off"] = "Usage: cx alert-off\n\nPrint `cx alerts: OFF (process-local)`. `cx alert` always reports.\n",
  ["alert-show"] = "Usage: cx alert-show\n\nPrint the thresholds `cx alert` uses: the alert policy's "
    .. "(policies/alert.lua, .codex/policies/alert.lua), overridden by CXALERT_MAX_MS and CXALERT_MAX_EFF_IN.\n",
}

local NOTICE = {
  ["log-on"] = "cx logging: ON (process-local)",
  ["log-off"] = "cx logging: OFF (process-local)",
  ["alert-on"] = "cx alerts: ON (process-local)",
  ["alert-off"] = "cx alerts: OFF (process-local)",
}

local function alert_show()
  local r, err = judge.evaluate("alert", { window = 0, runs = {} }, { thresholds = alert.env_thresholds() })
  if not r then
    io.stderr:write("cx alert-show: ", err, "\n")
    return 1
  end
  io.stdout:write("cx alerts:\n", "enabled=", os.getenv("CXALERT_ENABLED") or "1", "\n",
    "max_ms=", tostring(r.thresholds.max_ms), "\n", "max_eff_in=", tostring(r.thresholds.max_eff_in), "\n",
    "max_out=", os.getenv("CXALERT_MAX_OUT") or "500", "\n")
  return 0
end

--- name: the registry name the CLI resolved.
function M.run(argv, name)
  if args.asks_help(argv) then
    io.stdout:write(HELP[name] or HELP["log-on"])
    return 0
  end
  if argv[1] ~= nil then
    io.stderr:write("cx ", name, ": unexpected argument '", argv[1], "' (Usage: cx ", name, ")\n")
    return 2
  end
  if name == "alert-show" then return alert_show() end
  io.stdout:write(NOTICE[name] or NOTICE["log-on"], "\n")
  return 0
end

return M
