/* Lua binding: digests. */
#include "digest.h"
#include "lua_bindings.h"

#include <lauxlib.h>

/* digest.sha256_hex(text) -> 64 lowercase hex characters */
static int l_sha256_hex(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char hex[CX_SHA256_HEX_LEN + 1];
    if (cx_digest_sha256_hex(s, len, hex) != 0)
        return luaL_error(L, "sha256 failed");
    lua_pushstring(L, hex);
    return 1;
}

int cx_lua_open_digest(lua_State *L)
{
    static const luaL_Reg fns[] = {{"sha256_hex", l_sha256_hex}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
