/* The env binding seen from Lua: every variable of the process environment, by name. */
#include "lua_check.h"

#include <stdlib.h>

static const char *chunk =
    "local env = require('cx.core').env\n"
    "local v = env.vars()\n"
    "assert(v.CX_TEST_ENV_A == 'alpha=1', tostring(v.CX_TEST_ENV_A))\n"
    "assert(v.CX_TEST_ENV_EMPTY == '', 'empty value')\n"
    "assert(v.CX_TEST_ENV_UNSET == nil, 'unset')\n"
    "assert(v.PATH == os.getenv('PATH'), 'PATH')\n"
    "for k, x in pairs(v) do assert(type(k) == 'string' and type(x) == 'string') end\n";

int main(void)
{
    setenv("CX_TEST_ENV_A", "alpha=1", 1);
    setenv("CX_TEST_ENV_EMPTY", "", 1);
    unsetenv("CX_TEST_ENV_UNSET");
    lua_State *L = lua_check_state();
    lua_check_run(L, "env", chunk);
    lua_close(L);
    return CHECK_DONE();
}
