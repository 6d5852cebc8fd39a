/*
 * CLua: preemption (the count hook and the tick budget natives share), doom, and xpcall.
 * See include/wippy_lua.h for the rules.
 */
#include "wippy_internal.h"

#include <string.h>

/* initial-exec: plain fs-relative access, not a call to __tls_get_addr (the hook reads these every tick). */
static _Thread_local int32_t wippy_budget __attribute__((tls_model("initial-exec"))) = 0;
_Thread_local int wippy_preempted __attribute__((tls_model("initial-exec"))) = 0;
/* Ticks a thread may keep running once its slice is used up while it cannot yield. Past that its process is
   doomed: a process stuck there would otherwise hold its worker, and every process on it, for ever. About
   100M VM instructions. */
#define WIPPY_STUCK_TICKS 100000
static _Thread_local int32_t wippy_stuck __attribute__((tls_model("initial-exec"))) = WIPPY_STUCK_TICKS;
_Thread_local char wippy_doom_text[WIPPY_DOOM_MESSAGE_MAX] __attribute__((tls_model("initial-exec")));
/* The thread resumed last through wippy_resume (what a doom without a thread arms). */
static _Thread_local lua_State *wippy_running __attribute__((tls_model("initial-exec"))) = NULL;

/* Registry key whose presence marks a state as preemptive. */
static char wippy_preemptive_key;

/* ---------------------------------------------------------------- doom */

int wippy_raise_doom(lua_State *L) {
    lua_pushstring(L, wippy_doom_text_of(L));
    return lua_error(L);
}

/* In the hook: leave for the scheduler where the thread can yield, raise where it cannot. */
static void wippy_hook_doomed(lua_State *L) {
    if (lua_isyieldable(L)) {
        wippy_preempted = 1;
        lua_yield(L, 0);
        return;
    }
    lua_pushstring(L, wippy_doom_text_of(L));
    lua_error(L);
}

static void wippy_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (wippy_is_doomed(L)) {
        wippy_hook_doomed(L);
        return;
    }
    if (--wippy_budget > 0) return;
    if (lua_isyieldable(L)) {
        wippy_preempted = 1;
        lua_yield(L, 0);
        return;
    }
    /* cannot yield here: try again at the next tick, up to a bound */
    if (--wippy_stuck > 0) return;
    wippy_doom(L, WIPPY_STUCK_MESSAGE);
    wippy_hook_doomed(L);
}

void wippy_arm(lua_State *L) {
    if (L != NULL) lua_sethook(L, wippy_hook, LUA_MASKCOUNT, 1);
}

void wippy_doom(lua_State *L, const char *message) {
    if (wippy_doom_text[0] == '\0') {
        size_t length = strlen(message);
        if (length == 0) message = "process stopped", length = strlen(message);
        if (length >= WIPPY_DOOM_MESSAGE_MAX) length = WIPPY_DOOM_MESSAGE_MAX - 1;
        memcpy(wippy_doom_text, message, length);
        wippy_doom_text[length] = '\0';
    }
    wippy_arm(L);
    if (wippy_running != L) wippy_arm(wippy_running);
}

const char *wippy_doom_message(void) { return wippy_doom_text[0] != '\0' ? wippy_doom_text : NULL; }

void wippy_clear_doom(void) { wippy_doom_text[0] = '\0'; }

const char *wippy_stuck_message(void) { return WIPPY_STUCK_MESSAGE; }

/* ---------------------------------------------------------------- budget */

void wippy_install_preemption(lua_State *L, int instructions_per_tick) {
    lua_sethook(L, wippy_hook, LUA_MASKCOUNT, instructions_per_tick);
    lua_pushboolean(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &wippy_preemptive_key);
}

void wippy_set_budget(int32_t ticks) {
    wippy_budget = ticks;
    wippy_stuck = WIPPY_STUCK_TICKS;
}

int wippy_take_preempted(void) {
    int was = wippy_preempted;
    wippy_preempted = 0;
    return was;
}

int wippy_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
    lua_State *outer = wippy_running;
    wippy_running = co;
    if (wippy_is_doomed(co)) wippy_arm(co);
    int status = lua_resume(co, from, nargs, nres);
    wippy_running = outer;
    return status;
}

static int wippy_is_preemptive(lua_State *L) {
    int marked = lua_rawgetp(L, LUA_REGISTRYINDEX, &wippy_preemptive_key) != LUA_TNIL;
    lua_pop(L, 1);
    return marked;
}

int wippy_native_tick(lua_State *L, int ticks) {
    if (!wippy_is_preemptive(L)) return 0;
    if (wippy_is_doomed(L)) {
        if (lua_isyieldable(L)) return 1;
        return wippy_raise_doom(L);
    }
    wippy_budget -= ticks;
    if (wippy_budget > 0) return 0;
    if (lua_isyieldable(L)) return 1;
    wippy_stuck -= ticks;
    if (wippy_stuck > 0) return 0;
    wippy_doom(L, WIPPY_STUCK_MESSAGE);
    return wippy_raise_doom(L);
}

int wippy_native_yield(lua_State *L, lua_KContext ctx, lua_KFunction k) {
    wippy_preempted = 1;
    return lua_yieldk(L, 0, ctx, k);
}

/* ---------------------------------------------------------------- xpcall */

/*
 * The message handler Lua calls is this C function, with the user's handler as its upvalue. Lua runs a
 * message handler where nothing can yield, and an error raised by the hook there leaves hooks off while the
 * handler runs again: for a doomed process the user's handler is therefore never called, and the error (the
 * doom message) passes through unchanged.
 */
static int wippy_message_handler(lua_State *L) {
    if (wippy_is_doomed(L)) {
        lua_settop(L, 1);
        return 1;
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

/* After the protected call: `base` values (the two functions and `true`) sit below the results. */
static int wippy_xpcall_done(lua_State *L, int status, lua_KContext base) {
    if (status == LUA_OK || status == LUA_YIELD) return lua_gettop(L) - (int)base;
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

int wippy_xpcall(lua_State *L) {
    int nargs = lua_gettop(L) - 2;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, wippy_message_handler, 1);
    lua_replace(L, 2);
    /* stack: f, handler, args...  ->  f, handler, true, f, args... */
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, nargs, LUA_MULTRET, 2, 2, wippy_xpcall_done);
    return wippy_xpcall_done(L, status, 2);
}
