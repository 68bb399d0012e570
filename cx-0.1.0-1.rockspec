rockspec_format = "3.0"
package = "cx"
version = "0.1.0-1"
source = { url = "git+https://github.com/cx-runtime/cx.git", tag = "v0.1.0" }
description = {
  summary = "Run LLM work inside a git repository, observably and safely",
  detailed = [[
cx drives LLM backends (the Codex CLI, Ollama, HTTP models, a mock) over a repository: strict envelope
parsing, schema-checked structured commands with quarantine, a concurrent task scheduler, an append-only
JSONL run log, and diagnostics with editable Lua policies that gate CI.]],
  license = "MIT",
  homepage = "https://github.com/cx-runtime/cx",
}
dependencies = { "lua >= 5.4, < 5.5", "argparse >= 0.7" }
external_dependencies = {
  CURL = { library = "curl" },
  JANSSON = { library = "jansson" },
  OPENSSL = { library = "crypto" },
}
build = {
  type = "builtin",
  modules = {
    ["cx.core"] = {
      sources = {
        -- native sources (keep in step with native/*.c; tests/spec/rockspec_spec.lua checks)
        "native/buf.c",
        "native/clock.c",
        "native/core.c",
        "native/digest.c",
        "native/fs.c",
        "native/http.c",
        "native/json_write.c",
        "native/logcheck.c",
        "native/loop.c",
        "native/lua_digest.c",
        "native/lua_fs.c",
        "native/lua_json.c",
        "native/lua_logcheck.c",
        "native/lua_runlog.c",
        "native/runlog.c",
        "native/lua_loop.c",
        "native/proc.c",
      },
      defines = { 'CX_VERSION="0.1.0"', "_GNU_SOURCE" },
      incdirs = { "native", "$(CURL_INCDIR)", "$(JANSSON_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(JANSSON_LIBDIR)", "$(OPENSSL_LIBDIR)" },
      libraries = { "curl", "jansson", "crypto" },
    },
    -- Lua modules (keep in step with scripts/cx/**.lua)
    ["cx"] = "scripts/cx/init.lua",
    ["cx.args"] = "scripts/cx/args.lua",
    ["cx.cli"] = "scripts/cx/cli.lua",
    ["cx.commands"] = "scripts/cx/commands/init.lua",
    ["cx.commands.diag"] = "scripts/cx/commands/diag.lua",
    ["cx.commands.log_tail"] = "scripts/cx/commands/log_tail.lua",
    ["cx.commands.logs"] = "scripts/cx/commands/logs.lua",
    ["cx.commands.optimize"] = "scripts/cx/commands/optimize.lua",
    ["cx.commands.policy"] = "scripts/cx/commands/policy.lua",
    ["cx.commands.quarantine"] = "scripts/cx/commands/quarantine.lua",
    ["cx.commands.scheduler"] = "scripts/cx/commands/scheduler.lua",
    ["cx.commands.schema"] = "scripts/cx/commands/schema.lua",
    ["cx.commands.version"] = "scripts/cx/commands/version.lua",
    ["cx.config"] = "scripts/cx/config.lua",
    ["cx.diag.actions"] = "scripts/cx/diag/actions.lua",
    ["cx.diag.command"] = "scripts/cx/diag/command.lua",
    ["cx.diag.context"] = "scripts/cx/diag/context.lua",
    ["cx.diag.fields"] = "scripts/cx/diag/fields.lua",
    ["cx.diag.metrics"] = "scripts/cx/diag/metrics.lua",
    ["cx.diag.optimize"] = "scripts/cx/diag/optimize.lua",
    ["cx.diag.render"] = "scripts/cx/diag/render.lua",
    ["cx.diag.report"] = "scripts/cx/diag/report.lua",
    ["cx.diag.rules"] = "scripts/cx/diag/rules.lua",
    ["cx.diag.stats"] = "scripts/cx/diag/stats.lua",
    ["cx.json"] = "scripts/cx/json.lua",
    ["cx.localfs"] = "scripts/cx/localfs.lua",
    ["cx.log_contract"] = "scripts/cx/log_contract.lua",
    ["cx.logs.migrate"] = "scripts/cx/logs/migrate.lua",
    ["cx.logs.stats"] = "scripts/cx/logs/stats.lua",
    ["cx.logs.validate"] = "scripts/cx/logs/validate.lua",
    ["cx.paths"] = "scripts/cx/paths.lua",
    ["cx.policy"] = "scripts/cx/policy.lua",
    -- the shipped policies (a checkout finds them in policies/; cx.policy falls back to these modules)
    ["cx.policies.command_safety"] = "policies/command_safety.lua",
    ["cx.quarantine"] = "scripts/cx/quarantine.lua",
    ["cx.runlog"] = "scripts/cx/runlog.lua",
    ["cx.schema.builtin"] = "scripts/cx/schema/builtin.lua",
    ["cx.schema.envelope_prompt"] = "scripts/cx/schema/envelope_prompt.lua",
    ["cx.schema.regex"] = "scripts/cx/schema/regex.lua",
    ["cx.schema.registry"] = "scripts/cx/schema/registry.lua",
    ["cx.schema.validator"] = "scripts/cx/schema/validator.lua",
    ["cx.state"] = "scripts/cx/state.lua",
    ["cx.structured"] = "scripts/cx/structured.lua",
  },
  install = {
    bin = { cx = "tools/cx-launcher.lua" },
  },
}
