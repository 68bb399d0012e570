/* Lua binding: `require("cx.core").logcheck`, the run-log contract checker (native/logcheck.h)
 * and the whole-file validator (native/logvalidate.h).
 *
 *   logcheck.contract{ fields = {{key=, type="str"|"u64"|"u32"|"bool"|"object"|"any",
 *                                 nullable=, non_blank=, format="timestamp"|"ident"|nil,
 *                                 enum={...}|nil}, ...},
 *                      strict = {keys}, legacy_pairs = {{a, b}, ...}, modern = {a, b}, id = key,
 *                      rules = {{kind="equal"|"le"|"map", a=, b=, map={{from, to}, ...}}, ...} }
 *     -> contract                        (errors raise: the spec is code, not data from users)
 *   contract:check(text) -> kind, message
 *     kind: "object" | "not_object" | "invalid_json" | "read_error" | "blank" | "torn"
 *     (torn: a strict prefix of an object, a glued row or zero fill; message for the bad kinds).
 *     object / not_object exactly when cx.json.decode reads the line (numbers beyond 64-bit
 *     integers or doubles make it invalid_json), so tolerant readers can count rows with it.
 *   contract:decode(text [, shape]) -> the row as cx.json.decode gives it, or nil when check would
 *     not say object / not_object (faster for readers of many rows: one scan, top-level members
 *     decoded natively); with shape true also the row's shape (cx_logcheck_line_shape: one byte
 *     per contract field) as a string, or false for a non-object or a row with a member outside
 *     the contract
 *   contract:validate(path, {legacy_ok=, threads=, block_size=, split_seed=, keep_per_class=,
 *                            dup_window=}) -> validator | nil, message, class
 *     class: "not_found" | "io" | "nomem"
 *   validator:next() -> line, class, severity, field|nil, message   (in line order)
 *                     | nil (the end) | nil, message (a read error)
 *   validator:summary() -> { lines=, entries_scanned=, ..., by_class = {class = n} }
 *   validator:close()   (also __close / __gc)
 *   logcheck.classes() -> the finding class names in summary order
 *   logcheck.escape(text) -> text with control bytes (and bytes that are not UTF-8) escaped */
#include "logcheck.h"
#include "logvalidate.h"
#include "lua_bindings.h"
#include "runlog.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define CONTRACT_MT "cx.logcheck.contract"
#define VALIDATOR_MT "cx.logcheck.validator"

typedef struct contract_box {
    cx_logcheck *c;
    cx_logcheck_line *line; /* for :check */
} contract_box;

typedef struct validator_box {
    cx_logvalidate *v;
} validator_box;

/* ---------------------------------------------------------------------------------------------- */
/* Reading the spec. Strings are anchored in a scratch table at stack index `keep` while the spec is
 * built, since cx_logcheck_new copies them. */

static const char *str_at(lua_State *L, int t, lua_Integer i, int keep, const char *what)
{
    lua_rawgeti(L, t, i);
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "logcheck.contract: %s %d is not a string", what, (int)i);
    const char *s = lua_tostring(L, -1);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    return s;
}

static const char *field_str(lua_State *L, int t, const char *name, int keep, int required)
{
    lua_getfield(L, t, name);
    if (lua_isnil(L, -1) && !required) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "logcheck.contract: '%s' must be a string", name);
    const char *s = lua_tostring(L, -1);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    return s;
}

/* The list at t[name] as a C array of strings, allocated in a userdata anchored in keep: its items
 * (width 1), or each item's two strings flattened (width 2: {{a, b}, ...} -> a, b, ...). *n gets
 * the number of items. */
static const char **str_items(lua_State *L, int t, const char *name, int width, size_t *n, int keep)
{
    lua_getfield(L, t, name);
    int lt = lua_gettop(L);
    *n = 0;
    if (lua_isnil(L, lt)) {
        lua_pop(L, 1);
        return NULL;
    }
    luaL_checktype(L, lt, LUA_TTABLE);
    *n = (size_t)lua_rawlen(L, lt);
    const char **out = lua_newuserdatauv(L, ((size_t)width * *n + 1) * sizeof *out, 0);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    for (size_t i = 0; i < *n; i++) {
        if (width == 1) {
            out[i] = str_at(L, lt, (lua_Integer)i + 1, keep, name);
            continue;
        }
        lua_rawgeti(L, lt, (lua_Integer)i + 1);
        int p = lua_gettop(L);
        luaL_checktype(L, p, LUA_TTABLE);
        out[2 * i] = str_at(L, p, 1, keep, name);
        out[2 * i + 1] = str_at(L, p, 2, keep, name);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return out;
}

static cx_logcheck_type parse_type(lua_State *L, const char *t)
{
    static const char *const names[] = {"str", "u64", "u32", "bool", "object", "any", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(t, names[i]) == 0)
            return (cx_logcheck_type)i;
    luaL_error(L, "logcheck.contract: unknown type '%s'", t);
    return CX_LOGCHECK_T_ANY;
}

static void read_fields(lua_State *L, int spec, cx_logcheck_spec *s, int keep)
{
    lua_getfield(L, spec, "fields");
    int ft = lua_gettop(L);
    luaL_checktype(L, ft, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, ft);
    if (n > CX_LOGCHECK_MAX_FIELDS)
        luaL_error(L, "logcheck.contract: at most %d fields", CX_LOGCHECK_MAX_FIELDS);
    cx_logcheck_field *fields = lua_newuserdatauv(L, (n + 1) * sizeof *fields, 0);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    memset(fields, 0, (n + 1) * sizeof *fields);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, ft, (lua_Integer)i + 1);
        int e = lua_gettop(L);
        luaL_checktype(L, e, LUA_TTABLE);
        cx_logcheck_field *f = &fields[i];
        f->key = field_str(L, e, "key", keep, 1);
        f->type = parse_type(L, field_str(L, e, "type", keep, 1));
        lua_getfield(L, e, "nullable");
        f->nullable = lua_toboolean(L, -1);
        lua_getfield(L, e, "non_blank");
        f->non_blank = lua_toboolean(L, -1);
        lua_pop(L, 2);
        const char *fmt = field_str(L, e, "format", keep, 0);
        f->format = !fmt                            ? CX_LOGCHECK_FMT_NONE
                    : strcmp(fmt, "timestamp") == 0 ? CX_LOGCHECK_FMT_TIMESTAMP
                    : strcmp(fmt, "ident") == 0
                        ? CX_LOGCHECK_FMT_IDENT
                        : (luaL_error(L, "logcheck.contract: unknown format '%s'", fmt),
                           CX_LOGCHECK_FMT_NONE);
        f->enums = str_items(L, e, "enum", 1, &f->nenums, keep);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    s->fields = fields;
    s->nfields = n;
}

static void read_rules(lua_State *L, int spec, cx_logcheck_spec *s, int keep)
{
    lua_getfield(L, spec, "rules");
    int rt = lua_gettop(L);
    size_t n = lua_isnil(L, rt) ? 0 : (size_t)lua_rawlen(L, rt);
    cx_logcheck_rule *rules = lua_newuserdatauv(L, (n + 1) * sizeof *rules, 0);
    lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, rt, (lua_Integer)i + 1);
        int e = lua_gettop(L);
        luaL_checktype(L, e, LUA_TTABLE);
        cx_logcheck_rule *r = &rules[i];
        memset(r, 0, sizeof *r);
        const char *kind = field_str(L, e, "kind", keep, 1);
        r->kind = strcmp(kind, "equal") == 0 ? CX_LOGCHECK_RULE_EQUAL
                  : strcmp(kind, "le") == 0  ? CX_LOGCHECK_RULE_LE
                  : strcmp(kind, "map") == 0
                      ? CX_LOGCHECK_RULE_MAP
                      : (luaL_error(L, "logcheck.contract: unknown rule '%s'", kind),
                         CX_LOGCHECK_RULE_EQUAL);
        r->a = field_str(L, e, "a", keep, 1);
        r->b = field_str(L, e, "b", keep, 1);
        r->map = str_items(L, e, "map", 2, &r->nmap, keep);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    s->rules = rules;
    s->nrules = n;
}

static int l_contract(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: keeps every string and array alive until cx_logcheck_new copied them */
    cx_logcheck_spec s;
    memset(&s, 0, sizeof s);
    read_fields(L, 1, &s, 2);
    s.strict = str_items(L, 1, "strict", 1, &s.nstrict, 2);
    s.legacy_pairs = str_items(L, 1, "legacy_pairs", 2, &s.npairs, 2);
    size_t nmodern;
    const char **modern = str_items(L, 1, "modern", 1, &nmodern, 2);
    if (nmodern != 2)
        return luaL_error(L, "logcheck.contract: 'modern' must list two keys");
    s.modern[0] = modern[0];
    s.modern[1] = modern[1];
    s.id_key = field_str(L, 1, "id", 2, 1);
    read_rules(L, 1, &s, 2);
    contract_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->c = NULL;
    b->line = NULL;
    luaL_setmetatable(L, CONTRACT_MT);
    char err[256];
    b->c = cx_logcheck_new(&s, err, sizeof err);
    if (!b->c)
        return luaL_error(L, "%s", err);
    b->line = cx_logcheck_line_new(b->c);
    if (!b->line)
        return luaL_error(L, "logcheck: out of memory");
    return 1;
}

static int l_contract_gc(lua_State *L)
{
    contract_box *b = luaL_checkudata(L, 1, CONTRACT_MT);
    cx_logcheck_line_free(b->line);
    cx_logcheck_free(b->c);
    b->line = NULL;
    b->c = NULL;
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */

static int l_check(lua_State *L)
{
    contract_box *b = luaL_checkudata(L, 1, CONTRACT_MT);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    cx_logcheck_kind k = cx_logcheck_scan(b->line, text, len);
    static const char *const kinds[] = {"object", "not_object", "invalid_json", "read_error",
                                        "blank",  "torn",       "torn",         "torn"};
    if ((k == CX_LOGCHECK_OBJECT || k == CX_LOGCHECK_NOT_OBJECT) &&
        cx_logcheck_line_unreadable(b->line)) {
        lua_pushstring(L, "invalid_json");
        lua_pushstring(L, "number out of range (an integer beyond 64 bits or beyond a double)");
        return 2;
    }
    lua_pushstring(L, kinds[k]);
    if (k == CX_LOGCHECK_OBJECT || k == CX_LOGCHECK_NOT_OBJECT || k == CX_LOGCHECK_BLANK)
        return 1;
    char msg[1024];
    cx_logcheck_error_message(
        cx_logcheck_line_error(b->line), k == CX_LOGCHECK_PREFIX ? CX_LOGCHECK_INVALID_JSON : k,
        text, cx_logcheck_prefix_bytes(text, len, CX_LOGCHECK_PREVIEW_CHARS), msg, sizeof msg);
    lua_pushstring(L, msg);
    return 2;
}

/* ---------------------------------------------------------------------------------------------- */
/* contract:decode(text): a row as cx.json.decode gives it, for readers that decode every row of a
 * big window. The line was validated by the scan, so the walk below trusts its syntax: top-level
 * members are decoded here, nested objects and arrays (rare in rows) through cx.json. */

static size_t skip_blank(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The end of the string whose opening quote is at i (after its closing quote): the first quote not
 * escaped by an odd run of backslashes. */
static size_t string_end(const char *s, size_t len, size_t i, int *esc)
{
    size_t start = i + 1, j = start;
    for (;;) {
        const char *q = memchr(s + j, '"', len - j);
        if (!q)
            return len;
        size_t k = (size_t)(q - s), run = 0;
        while (k - run > start && s[k - run - 1] == '\\')
            run++;
        if (run % 2 == 0) {
            *esc = memchr(s + start, '\\', k - start) != NULL;
            return k + 1;
        }
        j = k + 1;
    }
}

/* The end of the value starting at i. */
static size_t value_end(const char *s, size_t len, size_t i)
{
    int esc;
    if (s[i] == '"')
        return string_end(s, len, i, &esc);
    if (s[i] != '{' && s[i] != '[') {
        while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
               s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            i++;
        return i;
    }
    int depth = 0;
    for (; i < len; i++) {
        if (s[i] == '"')
            i = string_end(s, len, i, &esc) - 1;
        else if (s[i] == '{' || s[i] == '[')
            depth++;
        else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
            return i + 1;
    }
    return len;
}

/* Pushes the string s[a, b) (between the quotes), unescaped. */
static void push_string(lua_State *L, const char *s, size_t a, size_t b, int esc)
{
    if (!esc) {
        lua_pushlstring(L, s + a, b - a);
        return;
    }
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    for (size_t i = a; i < b; i++) {
        if (s[i] != '\\') {
            luaL_addchar(&buf, s[i]);
            continue;
        }
        char e = s[++i];
        static const char in[] = "\"\\/bfnrt", out[] = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(in, e) : NULL;
        if (hit) {
            luaL_addchar(&buf, out[hit - in]);
            continue;
        }
        char u[4];
        size_t used;
        size_t n = cx_logcheck_unicode_escape(s + i, u, &used);
        i += used - 1;
        luaL_addlstring(&buf, u, n);
    }
    luaL_pushresult(&buf);
}

static void push_scalar(lua_State *L, const char *s, size_t a, size_t b)
{
    if (s[a] == '"') {
        int esc;
        string_end(s, b, a, &esc);
        push_string(L, s, a + 1, b - 1, esc);
    } else if (s[a] == 't') {
        lua_pushboolean(L, 1);
    } else if (s[a] == 'f') {
        lua_pushboolean(L, 0);
    } else if (s[a] == 'n') {
        lua_pushlightuserdata(L, NULL); /* json.null */
    } else {
        char num[64];
        size_t n = b - a;
        if (n < sizeof num) {
            memcpy(num, s + a, n);
            num[n] = '\0';
            if (lua_stringtonumber(L, num) != 0)
                return;
        }
        cx_lua_json_push_decoded(L, s + a, n); /* long mantissas: as cx.json reads them */
    }
}

/* The shape of the object just scanned (cx_logcheck_line_shape) as a string, or false when a
 * member is outside the contract. */
static void push_shape(lua_State *L, contract_box *b)
{
    size_t n = cx_logcheck_nfields(b->c);
    luaL_Buffer buf;
    char *out = luaL_buffinitsize(L, &buf, n ? n : 1);
    if (cx_logcheck_line_shape(b->line, out) != 0) {
        luaL_pushresultsize(&buf, 0);
        lua_pop(L, 1);
        lua_pushboolean(L, 0);
        return;
    }
    luaL_pushresultsize(&buf, n);
}

static int l_decode(lua_State *L)
{
    contract_box *b = luaL_checkudata(L, 1, CONTRACT_MT);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    int want_shape = lua_toboolean(L, 3);
    cx_logcheck_kind k = cx_logcheck_scan(b->line, s, len);
    if ((k != CX_LOGCHECK_OBJECT && k != CX_LOGCHECK_NOT_OBJECT) ||
        cx_logcheck_line_unreadable(b->line)) {
        lua_pushnil(L);
        return 1;
    }
    if (k == CX_LOGCHECK_NOT_OBJECT) {
        cx_lua_json_push_decoded(L, s, len);
        if (!want_shape)
            return 1;
        lua_pushboolean(L, 0);
        return 2;
    }
    /* sized for a row of every contract key: no rehash while it fills */
    lua_createtable(L, 0, (int)cx_logcheck_nfields(b->c) + 8);
    size_t i = skip_blank(s, len, 0) + 1; /* after '{' */

    for (;;) {
        i = skip_blank(s, len, i);
        if (i >= len || s[i] == '}')
            break;
        int esc;
        size_t kend = string_end(s, len, i, &esc);
        push_string(L, s, i + 1, kend - 1, esc);
        /* keys as cx.json sets them: a C string, cut at a NUL */
        size_t klen;
        const char *key = lua_tolstring(L, -1, &klen);
        if (strlen(key) != klen) {
            lua_pushstring(L, key);
            lua_remove(L, -2);
        }
        i = skip_blank(s, len, kend) + 1; /* after ':' */
        i = skip_blank(s, len, i);
        size_t vend = value_end(s, len, i);
        if (s[i] == '{' || s[i] == '[')
            cx_lua_json_push_decoded(L, s + i, vend - i);
        else
            push_scalar(L, s, i, vend);
        lua_rawset(L, -3);
        i = skip_blank(s, len, vend);
        if (i < len && s[i] == ',')
            i++;
    }
    if (!want_shape)
        return 1;
    push_shape(L, b);
    return 2;
}

static size_t opt_size(lua_State *L, int t, const char *name)
{
    lua_getfield(L, t, name);
    lua_Integer v = lua_isnil(L, -1) ? 0 : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (v < 0)
        luaL_error(L, "logcheck: '%s' must not be negative", name);
    return (size_t)v;
}

static int l_validate(lua_State *L)
{
    contract_box *b = luaL_checkudata(L, 1, CONTRACT_MT);
    const char *path = luaL_checkstring(L, 2);
    cx_logvalidate_opts o;
    memset(&o, 0, sizeof o);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_getfield(L, 3, "legacy_ok");
        o.legacy_ok = lua_toboolean(L, -1);
        lua_pop(L, 1);
        o.threads = (unsigned)opt_size(L, 3, "threads");
        o.block_size = opt_size(L, 3, "block_size");
        o.split_seed = (uint64_t)opt_size(L, 3, "split_seed");
        o.keep_per_class = opt_size(L, 3, "keep_per_class");
        o.dup_window = opt_size(L, 3, "dup_window");
    }
    validator_box *vb = lua_newuserdatauv(L, sizeof *vb, 1);
    vb->v = NULL;
    luaL_setmetatable(L, VALIDATOR_MT);
    lua_pushvalue(L, 1); /* the contract must outlive the validator */
    lua_setiuservalue(L, -2, 1);
    char err[512];
    int rc = cx_logvalidate_open(b->c, path, &o, &vb->v, err, sizeof err);
    if (rc != CX_RUNLOG_OK) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        lua_pushstring(L, rc == CX_RUNLOG_ENOENT  ? "not_found"
                          : rc == CX_RUNLOG_NOMEM ? "nomem"
                                                  : "io");
        return 3;
    }
    return 1;
}

static validator_box *check_validator(lua_State *L)
{
    validator_box *vb = luaL_checkudata(L, 1, VALIDATOR_MT);
    if (!vb->v)
        luaL_error(L, "logcheck: the validator is closed");
    return vb;
}

static int l_next(lua_State *L)
{
    validator_box *vb = check_validator(L);
    cx_logvalidate_finding f;
    char err[512];
    int rc = cx_logvalidate_next(vb->v, &f, err, sizeof err);
    if (rc == 0) {
        lua_pushnil(L);
        return 1;
    }
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)f.line);
    lua_pushstring(L, cx_logcheck_class_name(f.klass));
    lua_pushstring(L, cx_logvalidate_severity_name(f.severity));
    if (f.field)
        lua_pushstring(L, f.field);
    else
        lua_pushnil(L);
    lua_pushstring(L, f.message);
    return 5;
}

static void set_count(lua_State *L, const char *name, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, name);
}

static int l_summary(lua_State *L)
{
    validator_box *vb = check_validator(L);
    const cx_logvalidate_counts *s = cx_logvalidate_summary(vb->v);
    lua_createtable(L, 0, 10);
    set_count(L, "lines", s->lines);
    set_count(L, "entries_scanned", s->entries_scanned);
    set_count(L, "legacy_entries", s->legacy_entries);
    set_count(L, "corrupted_entries", s->corrupted_entries);
    set_count(L, "issue_count", s->issue_count);
    set_count(L, "invalid_json_entries", s->invalid_json_entries);
    set_count(L, "torn_entries", s->torn_entries);
    set_count(L, "warning_count", s->warning_count);
    set_count(L, "bytes", s->bytes);
    lua_createtable(L, 0, CX_LOGCLASS_NCLASSES);
    for (int k = 0; k < CX_LOGCLASS_NCLASSES; k++)
        set_count(L, cx_logcheck_class_name((cx_logcheck_class)k), s->by_class[k]);
    lua_setfield(L, -2, "by_class");
    return 1;
}

static int l_close(lua_State *L)
{
    validator_box *vb = luaL_checkudata(L, 1, VALIDATOR_MT);
    cx_logvalidate_close(vb->v);
    vb->v = NULL;
    return 0;
}

/* logcheck.escape(text) -> text with control bytes and bytes that are not UTF-8 escaped */
static int l_escape(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    size_t cap = 4 * len + 7; /* \xNN per byte at most, \u00NN per two */
    char *buf = malloc(cap);
    if (!buf)
        return luaL_error(L, "logcheck.escape: out of memory");
    size_t n = cx_logcheck_escape(buf, 0, cap, text, len);
    lua_pushlstring(L, buf, n);
    free(buf);
    return 1;
}

static int l_classes(lua_State *L)
{
    lua_createtable(L, CX_LOGCLASS_NCLASSES, 0);
    for (int k = 0; k < CX_LOGCLASS_NCLASSES; k++) {
        lua_pushstring(L, cx_logcheck_class_name((cx_logcheck_class)k));
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

int cx_lua_open_logcheck(lua_State *L)
{
    if (luaL_newmetatable(L, CONTRACT_MT)) {
        static const luaL_Reg methods[] = {
            {"check", l_check}, {"decode", l_decode}, {"validate", l_validate}, {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_contract_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, VALIDATOR_MT)) {
        static const luaL_Reg methods[] = {
            {"next", l_next}, {"summary", l_summary}, {"close", l_close}, {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"contract", l_contract}, {"classes", l_classes}, {"escape", l_escape}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
