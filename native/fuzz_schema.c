/* libFuzzer target for the schema compiler and validator (scripts/cx/schema/validator.lua and
 * regex.lua, over the native JSON binding), built by tools/fuzz.sh (FUZZ_TARGET=schema). Like
 * native/main.c this is a Lua host, not a binding: it embeds Lua 5.4 with `cx.core` preloaded and
 * runs a trusted driver chunk. Input: a schema text, a NUL byte, an instance text (without a NUL
 * the instance is `{}`). The driver decodes both; a schema that decodes must compile to a schema or
 * to nil plus a one-line message, and a compiled schema must validate the instance to true or to
 * false plus errors with string messages. Any Lua error escaping the validator is a finding, and so
 * is a run past libFuzzer's -timeout (the validator's step budgets must hold). */
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *driver =
    "local json = require 'cx.json'\n"
    "local validator = require 'cx.schema.validator'\n"
    "return function(schema_text, instance_text)\n"
    "  local schema = json.decode(schema_text)\n"
    "  if schema == nil then return end\n"
    "  local c, msg, problems = validator.compile(schema)\n"
    "  if not c then\n"
    "    assert(type(msg) == 'string' and not msg:find('\\n'), 'compile message: ' .. "
    "tostring(msg))\n"
    "    assert(type(problems) == 'table' and #problems > 0, 'compile problems')\n"
    "    return\n"
    "  end\n"
    "  local value = json.decode(instance_text)\n"
    "  if value == nil then return end\n"
    "  local ok, errors = validator.validate(c, value)\n"
    "  if ok then assert(errors == nil, 'errors on success') return end\n"
    "  assert(ok == false and type(errors) == 'table' and #errors > 0, 'validate result')\n"
    "  for _, e in ipairs(errors) do\n"
    "    assert(type(e.message) == 'string' and type(e.path) == 'string', 'error shape')\n"
    "  end\n"
    "  assert(validator.reason(errors):find('^schema_validation_failed'), 'reason')\n"
    "end\n";

static lua_State *L;

/* The Lua scripts: CX_FUZZ_SCRIPTS, else scripts/ under the current directory (tools/fuzz.sh
 * runs from the checkout root, then chdirs; it exports CX_FUZZ_SCRIPTS). */
static lua_State *host(void)
{
    lua_State *s = luaL_newstate();
    luaL_openlibs(s);
    luaL_getsubtable(s, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(s, luaopen_cx_core);
    lua_setfield(s, -2, "cx.core");
    lua_pop(s, 1);
    const char *dir = getenv("CX_FUZZ_SCRIPTS");
    lua_getglobal(s, "package");
    lua_pushfstring(s, "%s/?.lua;%s/?/init.lua", dir ? dir : "scripts", dir ? dir : "scripts");
    lua_setfield(s, -2, "path");
    lua_pop(s, 1);
    if (luaL_loadstring(s, driver) != LUA_OK || lua_pcall(s, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_schema: cannot load the driver: %s\n", lua_tostring(s, -1));
        abort();
    }
    lua_setfield(s, LUA_REGISTRYINDEX, "cx_fuzz_driver");
    return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (!L)
        L = host();
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t schema_len = nul ? (size_t)(nul - text) : size;
    lua_getfield(L, LUA_REGISTRYINDEX, "cx_fuzz_driver");
    lua_pushlstring(L, text, schema_len);
    if (nul)
        lua_pushlstring(L, nul + 1, size - schema_len - 1);
    else
        lua_pushliteral(L, "{}");
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_schema: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
