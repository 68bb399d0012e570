/* The fs binding as Lua sees it: return shapes and the nil, message, class error convention. */
#include "lua_check.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

static const char *script =
    "local fs = require('cx.core').fs\n"
    "local root = ...\n"
    "local function eq(a, b, what) if a ~= b then error(what .. ': got ' .. tostring(a) ..\n"
    "  ', want ' .. tostring(b), 2) end end\n"
    "assert(fs.mkdir_p(root .. '/d/e') == true)\n"
    "assert(fs.is_dir(root .. '/d/e'))\n"
    "assert(fs.write_atomic(root .. '/d/z', 'zz') == true)\n"
    "assert(fs.write_atomic(root .. '/d/a', 'a') == true)\n"
    "local names = fs.list_dir(root .. '/d')\n"
    "eq(#names, 3, 'count'); eq(names[1], 'a', 'n1'); eq(names[2], 'e', 'n2'); eq(names[3], 'z', "
    "'n3')\n"
    "local st = fs.stat(root .. '/d/z')\n"
    "eq(st.type, 'file', 'type'); eq(st.size, 2, 'size'); assert(math.type(st.mtime) == "
    "'integer')\n"
    "eq(fs.stat(root .. '/d').type, 'dir', 'dir type')\n"
    "local v, msg, class = fs.stat(root .. '/none')\n"
    "eq(v, nil, 'missing'); eq(class, 'not_found', 'class'); assert(msg:find('/none', 1, true), "
    "msg)\n"
    "v, msg, class = fs.list_dir(root .. '/none')\n"
    "eq(v, nil, 'ls missing'); eq(class, 'not_found', 'ls class'); assert(msg:find('none'), msg)\n"
    "v, msg, class = fs.write_atomic(root .. '/none/f', 'x')\n"
    "eq(v, nil, 'w missing'); eq(class, 'not_found', 'w class'); assert(msg:find('none/f'), msg)\n"
    "v, msg, class = fs.random_hex(0)\n"
    "eq(v, nil, 'rand 0'); eq(class, 'invalid', 'rand class')\n"
    "local r = fs.random_hex(4); assert(r:match('^%x%x%x%x%x%x%x%x$'), r)\n"
    "assert(fs.exists(root .. '/d/a')); assert(not fs.exists(root .. '/d/q'))\n"
    "assert(not fs.is_dir(root .. '/d/a'))\n"
    "assert(fs.getcwd():sub(1, 1) == '/')\n"
    "eq(fs.realpath(root .. '/d/e/..'), fs.realpath(root .. '/d'), 'realpath')\n"
    "v, msg, class = fs.realpath(root .. '/none')\n"
    "eq(v, nil, 'rp'); eq(class, 'not_found', 'rp class')\n"
    "assert(math.type(fs.pid()) == 'integer' and fs.pid() > 0)\n";

int main(void)
{
    char root[] = "/tmp/cx_test_lua_fs.XXXXXX";
    lua_check_run_in_tmpdir(script, root);
    return CHECK_DONE();
}
