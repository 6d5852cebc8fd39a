/*
 * Cost of the deterministic pairs/next of workflow runs against stock pairs, for 1000-key tables (strings,
 * array, mixed). Build and run from the project root:
 *   gcc -O2 -ISources/CLua/include -ISources/CLua -o /tmp/pairs_bench bench/determinism/pairs_bench.c \
 *       Sources/CLua/*.c -llua5.4 -lm -lpthread && /tmp/pairs_bench bench/determinism/pairs.lua
 */
#include "wippy_lua.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    lua_State *L = wippy_newstate();
    luaL_openlibs(L);
    wippy_determinism d;
    wippy_determinism_init(&d);
    wippy_determinism_enter(wippy_memory_of(L), &d);
    lua_newtable(L);
    int ro = lua_gettop(L);
    wippy_push_deterministic_pairs(L, ro);
    lua_setglobal(L, "dpairs");
    wippy_push_deterministic_next(L, ro);
    lua_setglobal(L, "dnext");
    wippy_push_deterministic_tostring(L);
    lua_setglobal(L, "dtostring");
    if (luaL_dofile(L, argv[1]) != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; }
    return 0;
}
