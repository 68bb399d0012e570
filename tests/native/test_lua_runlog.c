/* The runlog binding seen from Lua: a lua_State loads cx.core and runs small chunks that assert. */
#include "lua_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

/* open_fds() -> how many descriptors this process has open, to see a reader's file closed. */
static int l_open_fds(lua_State *L)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d) {
        while (readdir(d))
            n++;
        closedir(d);
    }
    lua_pushinteger(L, n);
    return 1;
}

/* held(path) -> whether someone holds the exclusive lock of the file: a non-blocking exclusive
 * flock through a second open fails (flock locks belong to open files, even within one process). */
static int l_held(lua_State *L)
{
    int fd = open(luaL_checkstring(L, 1), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return luaL_error(L, "cannot open %s", lua_tostring(L, 1));
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    lua_pushboolean(L, held);
    return 1;
}

static const char *basics =
    "local rl = require('cx.core').runlog\n"
    "local p = dir .. '/x/y/runs.jsonl'\n"
    "assert(rl.append(p, '{\"a\":1}') == true)\n"
    "assert(rl.append(p, '{\"b\":2}') == true)\n"
    "assert(rl.size(p) == 16)\n"
    "local lines, info = rl.tail(p, 5)\n"
    "assert(#lines == 2 and lines[1] == '{\"a\":1}' and lines[2] == '{\"b\":2}')\n"
    "assert(info.torn == false and info.bytes_read == 16)\n"
    "lines, info = rl.tail(p, 1)\n"
    "assert(#lines == 1 and lines[1] == '{\"b\":2}' and info.bytes_read == 16)\n"
    "lines = rl.tail(p, 0)\n"
    "assert(#lines == 0)\n"
    "lines, info = rl.tail(p, 5)\n"
    "assert(info.offsets[1] == 0 and info.offsets[2] == 8)\n"
    "lines, info = rl.tail(p, 5, 8)\n"
    "assert(#lines == 1 and lines[1] == '{\"a\":1}' and info.offsets[1] == 0)\n";

static const char *errors =
    "local rl = require('cx.core').runlog\n"
    "local p = dir .. '/errors.jsonl'\n"
    "local ok, msg, class = rl.append(p, 'a\\nb')\n"
    "assert(ok == nil and class == 'invalid_row' and msg:find(p, 1, true), msg)\n"
    "for _, f in ipairs({ rl.tail, rl.size, rl.lines }) do\n"
    "  ok, msg, class = f(dir .. '/missing.jsonl', 3)\n"
    "  assert(ok == nil and class == 'not_found' and msg:find('missing.jsonl', 1, true), msg)\n"
    "end\n"
    "ok, msg, class = rl.append(dir, '{}')\n"
    "assert(ok == nil and class == 'io' and msg:find(dir, 1, true), msg)\n"
    "ok, msg, class = rl.tail(dir, 1)\n"
    "assert(ok == nil and class == 'io' and msg:find('not a regular file'), msg)\n"
    "assert(not pcall(rl.tail, p, -1))\n"
    "assert(not pcall(rl.lines, p, -1))\n"
    "assert(not pcall(rl.append, p, {}))\n";

static const char *iterate =
    "local rl = require('cx.core').runlog\n"
    "local p = dir .. '/iter.jsonl'\n"
    "local f = assert(io.open(p, 'wb')); f:write('one\\n\\ntwo\\r\\nthr'); f:close()\n"
    "local got = {}\n"
    "for n, text, torn, off in rl.lines(p) do\n"
    "  got[#got + 1] = string.format('%d:%s:%s:%d', n, text, tostring(torn), off)\n"
    "end\n"
    "assert(table.concat(got, '|') == '1:one:false:0|2::false:4|3:two:false:5|4:thr:true:10',\n"
    "       table.concat(got, '|'))\n"
    "got = {}\n"
    "for n, text in rl.lines(p, 5) do got[#got + 1] = n .. '=' .. text end\n"
    "assert(table.concat(got, ',') == '1=two,2=thr', table.concat(got, ','))\n"
    "local lines, info = rl.tail(p, 2)\n"
    "assert(#lines == 2 and lines[1] == 'two' and lines[2] == 'thr' and info.torn == true)\n"
    /* the torn row is repaired by the next append */
    "assert(rl.append(p, '{}'))\n"
    "lines, info = rl.tail(p, 2)\n"
    "assert(lines[1] == 'thr' and lines[2] == '{}' and info.torn == false)\n";

static const char *closing =
    "local rl = require('cx.core').runlog\n"
    "local p = dir .. '/close.jsonl'\n"
    "for i = 1, 5 do assert(rl.append(p, '{\"i\":' .. i .. '}')) end\n"
    "collectgarbage()\n"
    "local base = open_fds()\n"
    /* break: the to-be-closed value closes the file at once */
    "for n in rl.lines(p) do\n"
    "  assert(open_fds() == base + 1)\n"
    "  if n == 2 then break end\n"
    "end\n"
    "assert(open_fds() == base, 'break left the file open')\n"
    /* an error inside the loop closes it too */
    "local ok = pcall(function() for _ in rl.lines(p) do error('boom') end end)\n"
    "assert(not ok and open_fds() == base, 'error left the file open')\n"
    /* a reader dropped half way is closed by the collector */
    "do local step, box = rl.lines(p); assert(step(box) == 1) end\n"
    "assert(open_fds() == base + 1)\n"
    "collectgarbage(); collectgarbage()\n"
    "assert(open_fds() == base, 'gc left the file open')\n"
    /* running to the end closes it before the loop is left */
    "local step, box = rl.lines(p)\n"
    "while step(box) do end\n"
    "assert(open_fds() == base)\n"
    "assert(step(box) == nil)\n";

static const char *locking =
    "local rl = require('cx.core').runlog\n"
    "local p = dir .. '/lock.jsonl'\n"
    /* a missing file is not created */
    "local lk, msg, class = rl.lock(dir .. '/nolock/runs.jsonl')\n"
    "assert(lk == nil and class == 'not_found' and msg:find('nolock/runs.jsonl', 1, true), msg)\n"
    "assert(io.open(dir .. '/nolock') == nil)\n"
    "lk, msg, class = rl.lock(dir)\n"
    "assert(lk == nil and class == 'io' and msg:find('not a regular file'), msg)\n"
    "assert(not pcall(rl.lock, {}))\n"
    /* held until unlock; the holder reads the file through the lock */
    "assert(rl.append(p, '{\"a\":1}') and rl.append(p, '{\"b\":2}'))\n"
    "lk = assert(rl.lock(p))\n"
    "assert(held(p) and lk:locked() == true)\n"
    "local got = {}\n"
    "for n, text, torn, off in lk:lines() do got[#got + 1] = n .. '=' .. text .. '@' .. off end\n"
    "assert(table.concat(got, ',') == '1={\"a\":1}@0,2={\"b\":2}@8', table.concat(got, ','))\n"
    "got = {}\n"
    "for _, text in lk:lines(8) do got[#got + 1] = text end\n"
    "assert(#got == 1 and got[1] == '{\"b\":2}')\n"
    "assert(held(p), 'closing a reader released the lock')\n"
    "assert(not pcall(lk.lines, lk, -1))\n"
    "assert(lk:unlock() == true and not held(p) and lk:locked() == false)\n"
    "assert(lk:unlock() == true)\n"
    "local ok, err = pcall(lk.lines, lk)\n"
    "assert(not ok and err:find('released'), err)\n"
    /* a to-be-closed handle is released when its scope ends, also by an error */
    "do local h <close> = assert(rl.lock(p)); assert(held(p)) end\n"
    "assert(not held(p), '__close left the lock held')\n"
    "ok = pcall(function() local h <close> = assert(rl.lock(p)); error('boom') end)\n"
    "assert(not ok and not held(p), 'an error left the lock held')\n"
    /* a dropped handle is released by the collector */
    "do local h = assert(rl.lock(p)); assert(held(p)) end\n"
    "collectgarbage(); collectgarbage()\n"
    "assert(not held(p), 'gc left the lock held')\n";

int main(void)
{
    char dir[] = "/tmp/cxluarunlog.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "cx.core", luaopen_cx_core, 0);
    lua_pop(L, 1);
    lua_pushstring(L, dir);
    lua_setglobal(L, "dir");
    lua_register(L, "open_fds", l_open_fds);
    lua_register(L, "held", l_held);

    lua_check_run(L, "basics", basics);
    lua_check_run(L, "errors", errors);
    lua_check_run(L, "iterate", iterate);
    lua_check_run(L, "closing", closing);
    lua_check_run(L, "locking", locking);

    lua_close(L);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
