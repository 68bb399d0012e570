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
    "assert(math.type(fs.pid()) == 'integer' and fs.pid() > 0)\n"
    /* read_file: bounded, regular files only, no symlink under .codex/ */
    "assert(fs.write_atomic(root .. '/d/r', 'hello') == true)\n"
    "eq(fs.read_file(root .. '/d/r'), 'hello', 'read')\n"
    "eq(fs.read_file(root .. '/d/r', {max_bytes = 5}), 'hello', 'read at limit')\n"
    "v, msg, class = fs.read_file(root .. '/d/r', {max_bytes = 4})\n"
    "eq(v, nil, 'too large'); eq(class, 'too_large', 'tl class'); assert(msg:find('4-byte'), msg)\n"
    "eq(fs.read_file(root .. '/d/r', {max_bytes = 2, tail = true}), 'lo', 'tail')\n"
    "v, msg, class = fs.read_file(root .. '/d')\n"
    "eq(class, 'not_regular', 'dir class'); assert(msg:find('a directory'), msg)\n"
    "v, msg, class = fs.read_file('/dev/zero', {follow = true, any_type = true, max_bytes = 10})\n"
    "eq(class, 'too_large', 'zero')\n"
    "v, msg, class = fs.read_file(root .. '/d/none')\n"
    "eq(class, 'not_found', 'rf missing')\n"
    "assert(fs.mkdir_p(root .. '/x'))\n"
    "assert(os.execute('ln -s ' .. root .. '/x ' .. root .. '/.codex'))\n"
    "v, msg, class = fs.write_atomic(root .. '/.codex/state.json', '{}')\n"
    "eq(class, 'symlink', 'symlinked .codex'); assert(not fs.exists(root .. '/x/state.json'))\n"
    "v, msg, class = fs.read_file(root .. '/.codex/state.json', {follow = true})\n"
    "eq(class, 'symlink', 'read through .codex symlink')\n"
    /* write options and copy */
    "assert(fs.write_atomic(root .. '/n/one', '1', {mkdirs = true, no_replace = true}))\n"
    "v, msg, class = fs.write_atomic(root .. '/n/one', '2', {no_replace = true})\n"
    "eq(class, 'exists', 'no_replace'); eq(fs.read_file(root .. '/n/one'), '1', 'kept')\n"
    "assert(fs.copy_file(root .. '/d/r', root .. '/n/copy', {no_replace = true}))\n"
    "eq(fs.read_file(root .. '/n/copy'), 'hello', 'copied')\n"
    "v, msg, class = fs.copy_file(root .. '/d/r', root .. '/n/copy', {no_replace = true})\n"
    "eq(class, 'exists', 'copy no_replace')\n";

int main(void)
{
    char root[] = "/tmp/cx_test_lua_fs.XXXXXX";
    lua_check_run_in_tmpdir(script, root);
    return CHECK_DONE();
}
