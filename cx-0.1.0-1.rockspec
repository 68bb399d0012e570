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
        "native/core.c",
        "native/digest.c",
        "native/envelope.c",
        "native/json_write.c",
        "native/lua_digest.c",
        "native/lua_envelope.c",
        "native/lua_json.c",
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
    ["cx.commands.version"] = "scripts/cx/commands/version.lua",
    ["cx.json"] = "scripts/cx/json.lua",
  },
  install = {
    bin = { cx = "tools/cx-launcher.lua" },
  },
}
