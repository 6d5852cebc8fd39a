/*
 * CLua: Wippy's changes to Lua's string and table libraries.
 *
 * - The pattern functions (wippy_pattern.c) replace Lua's, which cannot be preempted.
 * - The other string functions accept string-like userdata (error objects) as their string argument.
 * - string.rep of an empty string with an empty separator returns at once (Lua's loops n times for nothing).
 * - table.insert/remove with a position shift elements in a loop that can be preempted (a __len can claim any
 *   length; Lua's loops would then hold the worker for ever).
 */
#include "wippy_internal.h"

#include <stdatomic.h>
#include <string.h>

/* ---------------------------------------------------------------- string-like userdata */

static char wippy_string_like_key;

void wippy_set_string_like_metatable(lua_State *L) { lua_rawsetp(L, LUA_REGISTRYINDEX, &wippy_string_like_key); }

int wippy_string_like(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &wippy_string_like_key);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!same) return 0;
    if (lua_getiuservalue(L, idx, 1) != LUA_TSTRING) {
        lua_pop(L, 1);
        return 0;
    }
    lua_replace(L, idx);
    return 1;
}

/* String functions taking their string as argument 1: Lua's own, after turning a string-like userdata there
   into its text. Lua's function runs in this C frame, so its errors name the same function. Lua's functions
   are the same in every state (one library), kept here once. */
enum { WIPPY_BYTE, WIPPY_FORMAT, WIPPY_LEN, WIPPY_LOWER, WIPPY_REVERSE, WIPPY_SUB, WIPPY_UPPER, WIPPY_REP, WIPPY_STRING_COUNT };
static const char *const wippy_string_names[WIPPY_STRING_COUNT] = {"byte", "format", "len", "lower", "reverse", "sub", "upper", "rep"};
static _Atomic(lua_CFunction) wippy_lua_string[WIPPY_STRING_COUNT];

static inline lua_CFunction wippy_lua_function(int which) {
    return atomic_load_explicit(&wippy_lua_string[which], memory_order_relaxed);
}

#define WIPPY_STRING_LIKE_FIRST(which, name)                                                                   \
    static int name(lua_State *L) {                                                                            \
        if (lua_type(L, 1) == LUA_TUSERDATA) wippy_string_like(L, 1);                                          \
        return wippy_lua_function(which)(L);                                                                   \
    }
WIPPY_STRING_LIKE_FIRST(WIPPY_BYTE, wippy_string_byte)
WIPPY_STRING_LIKE_FIRST(WIPPY_FORMAT, wippy_string_format)
WIPPY_STRING_LIKE_FIRST(WIPPY_LEN, wippy_string_len)
WIPPY_STRING_LIKE_FIRST(WIPPY_LOWER, wippy_string_lower)
WIPPY_STRING_LIKE_FIRST(WIPPY_REVERSE, wippy_string_reverse)
WIPPY_STRING_LIKE_FIRST(WIPPY_SUB, wippy_string_sub)
WIPPY_STRING_LIKE_FIRST(WIPPY_UPPER, wippy_string_upper)

/* Results up to this size are built by Lua's own string.rep; larger ones in chunks between ticks. */
#define WIPPY_REP_AT_ONCE ((size_t)1 << 20)
#define WIPPY_REP_CHUNK ((size_t)1 << 16) /* bytes copied per tick */

/* Stack: s, n, sep, the result buffer (userdata); `at` bytes are written. The result is periodic (s then
   sep), and `at` stays a multiple of the period until the last chunk: each chunk copies from the start. */
static int wippy_rep_k(lua_State *L, int status, lua_KContext at) {
    (void)status;
    size_t length, separator, written = (size_t)at;
    luaL_checklstring(L, 1, &length);
    luaL_optlstring(L, 3, "", &separator);
    size_t period = length + separator, total = (size_t)lua_rawlen(L, 4);
    char *buffer = (char *)lua_touserdata(L, 4);
    size_t chunk = period >= WIPPY_REP_CHUNK ? period : (WIPPY_REP_CHUNK / period) * period;
    while (written < total) {
        size_t n = written < chunk ? written : chunk;
        if (n > total - written) n = total - written;
        memcpy(buffer + written, buffer, n);
        written += n;
        if (written < total && wippy_native_tick(L, 1)) return wippy_native_yield(L, (lua_KContext)written, wippy_rep_k);
    }
    lua_pushlstring(L, buffer, total);
    return 1;
}

static int wippy_string_rep(lua_State *L) {
    lua_CFunction original = wippy_lua_function(WIPPY_REP);
    if (lua_type(L, 1) == LUA_TUSERDATA) wippy_string_like(L, 1);
    size_t length, separator;
    const char *text = luaL_checklstring(L, 1, &length);
    lua_Integer count = luaL_checkinteger(L, 2);
    const char *between = luaL_optlstring(L, 3, "", &separator);
    if (count > 0 && length == 0 && separator == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    size_t period = length + separator;
    /* small results, and sizes Lua refuses or cannot allocate (with its own errors), go to Lua's rep */
    if (count <= 0 || period < length || period > ((size_t)-1 >> 2) / (size_t)count ||
        (size_t)count * period <= WIPPY_REP_AT_ONCE)
        return original(L);
    size_t total = (size_t)count * period - separator;
    lua_settop(L, 3);
    char *buffer = (char *)lua_newuserdatauv(L, total, 0);
    memcpy(buffer, text, length);
    if (period > length && total > length) memcpy(buffer + length, between, separator);
    return wippy_rep_k(L, LUA_OK, (lua_KContext)(total < period ? total : period));
}

/* Replaces table[name] (Lua's C function, kept in `original`) with `wrapper`. */
static void wippy_replace_field(lua_State *L, int table, const char *name, lua_CFunction wrapper,
                                _Atomic(lua_CFunction) *original) {
    lua_getfield(L, table, name);
    lua_CFunction function = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (function == NULL || function == wrapper) return;
    atomic_store_explicit(original, function, memory_order_relaxed);
    lua_pushcfunction(L, wrapper);
    lua_setfield(L, table, name);
}

void wippy_open_string_extensions(lua_State *L, int table) {
    static const lua_CFunction wrappers[WIPPY_STRING_COUNT] = {
        wippy_string_byte, wippy_string_format, wippy_string_len, wippy_string_lower,
        wippy_string_reverse, wippy_string_sub, wippy_string_upper, wippy_string_rep,
    };
    table = lua_absindex(L, table);
    for (int i = 0; i < WIPPY_STRING_COUNT; i++)
        wippy_replace_field(L, table, wippy_string_names[i], wrappers[i], &wippy_lua_string[i]);
    wippy_set_pattern_functions(L, table);
}

/* ---------------------------------------------------------------- table */

/* Argument 1 of insert/remove: a table, or a value whose metatable reads, writes and measures it. */
static void wippy_check_list(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE) return;
    if (lua_getmetatable(L, 1)) {
        int ok = lua_getfield(L, -1, "__index") != LUA_TNIL;
        ok = ok && lua_getfield(L, -2, "__newindex") != LUA_TNIL;
        ok = ok && lua_getfield(L, -3, "__len") != LUA_TNIL;
        lua_settop(L, lua_gettop(L) - (ok ? 4 : 0));
        if (ok) return;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
}

/* Steps of shifting between two looks at the budget. */
#define WIPPY_SHIFT_STEPS 256

/* insert(t, pos, v): stack t, pos, v; shifts t[i-1] to t[i] for i from `i` down to pos + 1, then t[pos] = v. */
static int wippy_insert_k(lua_State *L, int status, lua_KContext at) {
    (void)status;
    lua_Integer i = (lua_Integer)at, pos = lua_tointeger(L, 2);
    int steps = 0;
    for (; i > pos; i--) {
        if (++steps == WIPPY_SHIFT_STEPS) {
            steps = 0;
            if (wippy_native_tick(L, 1)) return wippy_native_yield(L, (lua_KContext)i, wippy_insert_k);
        }
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
    }
    lua_seti(L, 1, pos);
    return 0;
}

static _Atomic(lua_CFunction) wippy_lua_insert, wippy_lua_remove;

static int wippy_table_insert(lua_State *L) {
    if (lua_gettop(L) != 3) return atomic_load_explicit(&wippy_lua_insert, memory_order_relaxed)(L);
    wippy_check_list(L);
    lua_Integer end = luaL_len(L, 1) + 1;
    lua_Integer pos = luaL_checkinteger(L, 2);
    luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)end, 2, "position out of bounds");
    return wippy_insert_k(L, LUA_OK, (lua_KContext)end);
}

/* remove(t, pos): stack t, pos, removed value, size; shifts t[pos+1] to t[pos] up to size. */
static int wippy_remove_k(lua_State *L, int status, lua_KContext at) {
    (void)status;
    lua_Integer pos = (lua_Integer)at, size = lua_tointeger(L, 4);
    int steps = 0;
    for (; pos < size; pos++) {
        if (++steps == WIPPY_SHIFT_STEPS) {
            steps = 0;
            if (wippy_native_tick(L, 1)) return wippy_native_yield(L, (lua_KContext)pos, wippy_remove_k);
        }
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    lua_settop(L, 3);
    return 1;
}

static int wippy_table_remove(lua_State *L) {
    if (lua_gettop(L) < 2) return atomic_load_explicit(&wippy_lua_remove, memory_order_relaxed)(L);
    wippy_check_list(L);
    lua_Integer size = luaL_len(L, 1);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    /* Lua 5.4.4 names argument 1 in this message; kept for the same text */
    if (pos != size) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    lua_settop(L, 2);
    lua_geti(L, 1, pos);
    lua_pushinteger(L, size);
    return wippy_remove_k(L, LUA_OK, (lua_KContext)pos);
}

/* `a < b` as the VM compares (table.sort's default order), for the Lua sort used on large arrays. */
static int wippy_less_than(lua_State *L) {
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

void wippy_open_table_extensions(lua_State *L, int table) {
    table = lua_absindex(L, table);
    wippy_replace_field(L, table, "insert", wippy_table_insert, &wippy_lua_insert);
    wippy_replace_field(L, table, "remove", wippy_table_remove, &wippy_lua_remove);
}

void wippy_push_less_than(lua_State *L) { lua_pushcfunction(L, wippy_less_than); }

/* ---------------------------------------------------------------- all of them */

void wippy_open_library_extensions(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    if (lua_getfield(L, -1, LUA_STRLIBNAME) == LUA_TTABLE) wippy_open_string_extensions(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, LUA_TABLIBNAME) == LUA_TTABLE) wippy_open_table_extensions(L, -1);
    lua_pop(L, 1);
    lua_pop(L, 1);
}
