--- Test helper: a CODEX_HOME directory whose config.toml points the real Codex CLI at a fixture
--- server (codex-cli.md section 3), with everything that would reach the network turned off.
---
---   local codex_home = require "helpers.codex_home"
---   local home = codex_home.make(srv.url .. "/v1", { request_max_retries = 0 })
---   -- home.dir, home.config (path of config.toml), home.env (for helpers.cli run: CODEX_HOME,
---   -- the API key variable, RUST_BACKTRACE=0), home.remove()
---
--- opts: model (default "gpt-5.5", a catalog model: no metadata warning item), env_key (default
--- "FAKE_API_KEY"), api_key (default "fixture-key"), request_max_retries, stream_max_retries,
--- stream_idle_timeout_ms, parent (directory to create the home in; default /tmp).
local M = {}

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function toml_string(s)
  return '"' .. tostring(s):gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

-- Features of codex 0.169.0 that reach out on their own (the plugin marketplace runs
-- `git ls-remote https://github.com/openai/plugins.git`) or run the user's shell profile.
M.disabled_features = {
  "plugins", "remote_plugin", "plugin_sharing", "apps", "shell_snapshot",
  "api_key_model_discovery", "daemon_auto_start", "in_app_updates",
}

--- The config.toml text for a provider at base_url (which should end in /v1: codex POSTs to
--- base_url .. "/responses").
function M.config_text(base_url, opts)
  opts = opts or {}
  local lines = {
    "model = " .. toml_string(opts.model or "gpt-5.5"),
    'model_provider = "fixture"',
    "check_for_update_on_startup = false",
    "",
    "[analytics]",
    "enabled = false",
    "",
    "[features]",
  }
  for _, f in ipairs(M.disabled_features) do lines[#lines + 1] = f .. " = false" end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "[model_providers.fixture]"
  lines[#lines + 1] = 'name = "cx fixture server"'
  lines[#lines + 1] = "base_url = " .. toml_string(base_url)
  lines[#lines + 1] = "env_key = " .. toml_string(opts.env_key or "FAKE_API_KEY")
  lines[#lines + 1] = 'wire_api = "responses"'
  for _, k in ipairs({ "request_max_retries", "stream_max_retries", "stream_idle_timeout_ms" }) do
    if opts[k] ~= nil then lines[#lines + 1] = k .. " = " .. math.tointeger(opts[k]) end
  end
  return table.concat(lines, "\n") .. "\n"
end

function M.make(base_url, opts)
  opts = opts or {}
  local parent = opts.parent or "/tmp"
  local p = io.popen("mktemp -d " .. q(parent .. "/cxcodexhome.XXXXXX"))
  local dir = p:read("l")
  p:close()
  assert(dir and dir ~= "", "mktemp -d failed in " .. parent)
  local config = dir .. "/config.toml"
  local f = assert(io.open(config, "wb"))
  f:write(M.config_text(base_url, opts))
  f:close()
  -- RUST_BACKTRACE=0 rather than unset: helpers.cli's env builder mis-orders "-u" after K=V pairs.
  local env = { CODEX_HOME = dir, RUST_BACKTRACE = "0" }
  env[opts.env_key or "FAKE_API_KEY"] = opts.api_key or "fixture-key"
  return {
    dir = dir,
    config = config,
    env = env,
    remove = function() os.execute("rm -rf " .. q(dir)) end,
  }
end

return M
