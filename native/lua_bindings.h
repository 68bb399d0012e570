/* The Lua binding layer: each lua_<name>.c pushes one table; native/core.c assembles them into the
 * `cx.core` module. Only these files include the Lua headers. */
#ifndef CX_LUA_BINDINGS_H
#define CX_LUA_BINDINGS_H

#include <lua.h>

int cx_lua_open_json(lua_State *L);
int cx_lua_open_digest(lua_State *L);
int cx_lua_open_fs(lua_State *L);
int cx_lua_open_filelock(lua_State *L);
int cx_lua_open_logcheck(lua_State *L);
int cx_lua_open_runlog(lua_State *L);
int cx_lua_open_loop(lua_State *L);
int cx_lua_open_envelope(lua_State *L);
int cx_lua_open_env(lua_State *L);
int cx_lua_open_sandbox(lua_State *L);
int cx_lua_open_git(lua_State *L);
int cx_lua_open_signals(lua_State *L);
int cx_lua_open_sched(lua_State *L);
int cx_lua_open_atomicfile(lua_State *L);

/* Decodes JSON text as json.decode does and pushes the value (1), or pushes nil (0) when it is not
 * JSON. For bindings that decode part of a document themselves. */
int cx_lua_json_push_decoded(lua_State *L, const char *s, size_t len);
/* Pushes one envelope result as the table core.envelope.parse returns (lua_envelope.c); the loop
 * binding uses it for HTTP completions parsed as they streamed. */
struct cx_envelope_result;
void cx_lua_push_envelope_result(lua_State *L, const struct cx_envelope_result *r);
int luaopen_cx_core(lua_State *L);

#endif
