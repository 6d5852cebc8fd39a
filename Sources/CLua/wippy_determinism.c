/*
 * CLua: `pairs`, `next` and `tostring` of workflow runs (see include/wippy_lua.h).
 *
 * A workflow is replayed in another Lua state, whose string-hash seed and object addresses differ from the
 * first run's, so Lua's own traversal order and `tostring` addresses would differ. Here every key has a
 * place in one total order that depends only on the key:
 *   1. positive integers, ascending (the array part 1..n comes first);
 *   2. other numbers, numerically (integers and floats compared exactly);
 *   3. strings, bytewise;
 *   4. booleans, false before true;
 *   5. tables, then functions, full userdata, threads and light userdata, each by the run's id of the object.
 * An object's id is a per-run counter given the first time the run looks at the object (tostring, or as a
 * key met by pairs or next); `tostring` prints it in place of the address.
 *
 * `pairs` sorts a snapshot of the keys once (the array part needs no sorting) and its iterator walks it,
 * skipping keys whose value has become nil: changing or clearing fields during the traversal works as with
 * Lua's `next`; keys added during it are not visited (Lua leaves that undefined). `next` is stateless: the
 * least key after the given one, found by one pass over the table (the array part in constant time).
 */
#include "wippy_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    RANK_POSITIVE, /* positive integers */
    RANK_NUMBER,
    RANK_STRING,
    RANK_BOOLEAN,
    RANK_TABLE,
    RANK_FUNCTION,
    RANK_USERDATA,
    RANK_THREAD,
    RANK_LIGHT,
};

/* A key's place in the order. */
typedef struct wippy_key {
    union {
        lua_Integer i; /* integers, booleans (0, 1), object ids */
        lua_Number n;  /* floats */
        const char *s; /* strings (the key is anchored while this is used) */
    } v;
    size_t len; /* strings: the length; numbers: 1 when v.i holds an integer */
    int rank;
    int slot; /* pairs: index of the key in the snapshot's key table */
} wippy_key;

/* A pairs snapshot: `array` leading integer keys 1..array, then `count` sorted keys. */
typedef struct wippy_snapshot {
    lua_Integer array;
    lua_Integer count;
    lua_Integer position; /* steps taken, 0..array + count */
    wippy_key keys[];
} wippy_snapshot;

/* ---------------------------------------------------------------- run records and ids */

void wippy_determinism_init(wippy_determinism *d) {
    d->ids = LUA_NOREF;
    d->last_id = 0;
}

void wippy_determinism_release(lua_State *L, wippy_determinism *d) {
    if (d->ids != LUA_NOREF && d->ids != LUA_REFNIL) luaL_unref(L, LUA_REGISTRYINDEX, d->ids);
    d->ids = LUA_NOREF;
}

static wippy_determinism *wippy_current_run(lua_State *L) {
    wippy_determinism *d = wippy_memory_of(L)->determinism;
    if (d == NULL) luaL_error(L, "deterministic functions called outside a workflow run");
    return d;
}

/* The run's id of the object at `idx`, given now when it has none. */
static lua_Integer wippy_object_id(lua_State *L, wippy_determinism *d, int idx) {
    idx = lua_absindex(L, idx);
    if (d->ids == LUA_NOREF || d->ids == LUA_REFNIL) {
        lua_createtable(L, 0, 0);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        d->ids = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->ids);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        lua_Integer id = lua_tointeger(L, -1);
        lua_pop(L, 2);
        return id;
    }
    lua_pop(L, 1);
    lua_Integer id = ++d->last_id;
    lua_pushvalue(L, idx);
    lua_pushinteger(L, id);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return id;
}

/* ---------------------------------------------------------------- the order */

/* Fills `k` with the place of the value at `idx` (never nil). */
static void wippy_key_of(lua_State *L, wippy_determinism *d, int idx, wippy_key *k) {
    k->len = 0;
    k->slot = 0;
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            k->v.i = lua_tointeger(L, idx);
            k->len = 1;
        } else {
            lua_Number n = lua_tonumber(L, idx);
            /* a float with an integer value is the same key as that integer */
            if (n >= -0x1p63 && n < 0x1p63 && n == __builtin_floor(n)) {
                k->v.i = (lua_Integer)n;
                k->len = 1;
            } else {
                k->v.n = n;
            }
        }
        k->rank = (k->len && k->v.i > 0) ? RANK_POSITIVE : RANK_NUMBER;
        return;
    case LUA_TSTRING:
        k->v.s = lua_tolstring(L, idx, &k->len);
        k->rank = RANK_STRING;
        return;
    case LUA_TBOOLEAN:
        k->v.i = lua_toboolean(L, idx);
        k->rank = RANK_BOOLEAN;
        return;
    case LUA_TTABLE: k->rank = RANK_TABLE; break;
    case LUA_TFUNCTION: k->rank = RANK_FUNCTION; break;
    case LUA_TUSERDATA: k->rank = RANK_USERDATA; break;
    case LUA_TTHREAD: k->rank = RANK_THREAD; break;
    default: k->rank = RANK_LIGHT; break;
    }
    k->v.i = wippy_object_id(L, d, idx);
}

/* Sign of i - f, exactly. */
static int wippy_compare_integer_float(lua_Integer i, lua_Number f) {
    if (f >= 0x1p63) return -1;
    if (f < -0x1p63) return 1;
    lua_Number whole = __builtin_floor(f);
    lua_Integer w = (lua_Integer)whole;
    if (i != w) return i < w ? -1 : 1;
    return f > whole ? -1 : 0;
}

static int wippy_compare_keys(const wippy_key *a, const wippy_key *b) {
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    switch (a->rank) {
    case RANK_POSITIVE:
    case RANK_NUMBER:
        if (a->len && b->len) return (a->v.i > b->v.i) - (a->v.i < b->v.i);
        if (!a->len && !b->len) return (a->v.n > b->v.n) - (a->v.n < b->v.n);
        if (a->len) return wippy_compare_integer_float(a->v.i, b->v.n);
        return -wippy_compare_integer_float(b->v.i, a->v.n);
    case RANK_STRING: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n > 0 ? memcmp(a->v.s, b->v.s, n) : 0;
        if (c != 0) return c < 0 ? -1 : 1;
        return (a->len > b->len) - (a->len < b->len);
    }
    default:
        return (a->v.i > b->v.i) - (a->v.i < b->v.i);
    }
}

static int wippy_sort_keys(const void *a, const void *b) { return wippy_compare_keys(a, b); }

/* ---------------------------------------------------------------- read-only tables */

/* If the table at `idx` is read-only (a frozen table or a library proxy: in the set at upvalue 1), pushes the
   table holding its contents and returns 1; else pushes nothing and returns 0. */
static int wippy_push_contents(lua_State *L, int idx) {
    lua_pushvalue(L, idx);
    int read_only = lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL;
    lua_pop(L, 1);
    if (!read_only || !lua_getmetatable(L, idx)) return 0;
    lua_pushliteral(L, "__index");
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    return 0;
}

/* ---------------------------------------------------------------- pairs */

static inline int wippy_in_array(lua_State *L, int idx, lua_Integer n) {
    if (!lua_isinteger(L, idx)) return 0;
    lua_Integer k = lua_tointeger(L, idx);
    return k >= 1 && k <= n;
}

/* Upvalues: the table, the key table, the snapshot. */
static int wippy_pairs_step(lua_State *L) {
    wippy_snapshot *s = (wippy_snapshot *)lua_touserdata(L, lua_upvalueindex(3));
    if (lua_isnoneornil(L, 2)) s->position = 0; /* a traversal starts (again) */
    while (s->position < s->array + s->count) {
        lua_Integer p = ++s->position;
        if (p <= s->array) {
            lua_pushinteger(L, p);
            if (lua_rawgeti(L, lua_upvalueindex(1), p) != LUA_TNIL) return 2;
        } else {
            lua_rawgeti(L, lua_upvalueindex(2), s->keys[p - s->array - 1].slot);
            lua_pushvalue(L, -1);
            if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 2;
        }
        lua_pop(L, 2); /* cleared during the traversal */
    }
    lua_pushnil(L);
    return 1;
}

/* Pushes the iterator over a sorted snapshot of the keys of the table at `t`. */
static void wippy_push_snapshot(lua_State *L, int t) {
    wippy_determinism *d = wippy_current_run(L);
    lua_Integer n = 0;
    while (lua_rawgeti(L, t, n + 1) != LUA_TNIL) {
        lua_pop(L, 1);
        n++;
    }
    lua_pop(L, 1);
    lua_Integer m = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (!wippy_in_array(L, -1, n)) m++;
    }
    if (m >= INT_MAX) luaL_error(L, "table too large to traverse");
    lua_createtable(L, (int)m, 0);
    int keys = lua_gettop(L);
    wippy_snapshot *s = (wippy_snapshot *)lua_newuserdatauv(L, sizeof(wippy_snapshot) + (size_t)m * sizeof(wippy_key), 0);
    s->array = n;
    s->count = 0;
    s->position = 0;
    lua_pushvalue(L, t);
    lua_pushvalue(L, keys);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, wippy_pairs_step, 3);
    lua_replace(L, keys);
    lua_pop(L, 1);
    /* the closure (at `keys`) keeps the key table and the snapshot alive from here on */
    lua_getupvalue(L, keys, 2);
    int table = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (wippy_in_array(L, -1, n)) continue;
        if (s->count == m) { /* cannot happen: nothing changes the table meanwhile */
            lua_pop(L, 1);
            break;
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, table, ++s->count);
        wippy_key *k = &s->keys[s->count - 1];
        wippy_key_of(L, d, -1, k);
        k->slot = (int)s->count;
    }
    lua_pop(L, 1);
    qsort(s->keys, (size_t)s->count, sizeof(wippy_key), wippy_sort_keys);
}

static int wippy_pairs_metamethod(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    return 3;
}

/* Upvalue 1: the set of read-only tables. */
static int wippy_deterministic_pairs(lua_State *L) {
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    if (lua_type(L, 1) == LUA_TTABLE && wippy_push_contents(L, 1)) {
        wippy_push_snapshot(L, 2);
    } else if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_callk(L, 1, 3, 0, wippy_pairs_metamethod);
        return 3;
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        wippy_push_snapshot(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* ---------------------------------------------------------------- next */

/* Upvalue 1: the set of read-only tables. */
static int wippy_deterministic_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (wippy_push_contents(L, 1)) lua_replace(L, 1);
    /* within the array part the next key is the next integer */
    if (lua_isnil(L, 2)) {
        if (lua_rawgeti(L, 1, 1) != LUA_TNIL) {
            lua_pushinteger(L, 1);
            lua_insert(L, -2);
            return 2;
        }
        lua_pop(L, 1);
    } else if (lua_isinteger(L, 2)) {
        lua_Integer k = lua_tointeger(L, 2);
        if (k >= 1 && k < LUA_MAXINTEGER) {
            if (lua_rawgeti(L, 1, k + 1) != LUA_TNIL) {
                lua_pushinteger(L, k + 1);
                lua_insert(L, -2);
                return 2;
            }
            lua_pop(L, 1);
        }
    }
    wippy_determinism *d = wippy_current_run(L);
    wippy_key bound, best, key;
    int bounded = !lua_isnil(L, 2), found = 0;
    if (bounded) wippy_key_of(L, d, 2, &bound);
    lua_pushnil(L); /* 3: the least key after the bound so far */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        wippy_key_of(L, d, -1, &key);
        if (bounded && wippy_compare_keys(&key, &bound) <= 0) continue;
        if (found && wippy_compare_keys(&key, &best) >= 0) continue;
        best = key;
        found = 1;
        lua_pushvalue(L, -1);
        lua_replace(L, 3);
    }
    if (!found) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}

/* ---------------------------------------------------------------- tostring */

static int wippy_deterministic_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    if (luaL_callmeta(L, 1, "__tostring")) {
        if (!lua_isstring(L, -1)) return luaL_error(L, "'__tostring' must return a string");
        return 1;
    }
    switch (lua_type(L, 1)) {
    case LUA_TTABLE:
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA: {
        lua_Integer id = wippy_object_id(L, wippy_current_run(L), 1);
        const char *kind = luaL_typename(L, 1);
        if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) kind = lua_tostring(L, -1);
        char number[32];
        snprintf(number, sizeof number, "0x%08llx", (unsigned long long)id);
        lua_pushfstring(L, "%s: %s", kind, number);
        return 1;
    }
    default:
        luaL_tolstring(L, 1, NULL);
        return 1;
    }
}

/* ---------------------------------------------------------------- pushing them */

void wippy_push_deterministic_pairs(lua_State *L, int read_only_set) {
    lua_pushvalue(L, read_only_set);
    lua_pushcclosure(L, wippy_deterministic_pairs, 1);
}

void wippy_push_deterministic_next(lua_State *L, int read_only_set) {
    lua_pushvalue(L, read_only_set);
    lua_pushcclosure(L, wippy_deterministic_next, 1);
}

void wippy_push_deterministic_tostring(lua_State *L) { lua_pushcfunction(L, wippy_deterministic_tostring); }
