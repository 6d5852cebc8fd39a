/*
 * CLua: preemption (the count hook and the tick budget natives share), doom, and the per-OS-thread state the
 * bridge's C files share. See include/wippy_lua.h for the rules.
 */
#include "wippy_internal.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- per-OS-thread state */

_Thread_local lua_State *wippy_running WIPPY_TLS = NULL;
_Thread_local int wippy_may_fail WIPPY_TLS = 0;
_Thread_local int wippy_signal WIPPY_TLS = 0;
_Thread_local int wippy_preempted WIPPY_TLS = 0;
_Thread_local char wippy_doom_text[WIPPY_DOOM_MESSAGE_MAX] WIPPY_TLS;

static _Thread_local int32_t wippy_budget WIPPY_TLS = 0;
/* Ticks a thread may keep running once its slice is used up while it cannot yield. Past that its process is
   doomed: a process stuck there would otherwise hold its worker, and every process on it, for ever. About
   100M VM instructions. */
#define WIPPY_STUCK_TICKS 100000
static _Thread_local int32_t wippy_stuck WIPPY_TLS = WIPPY_STUCK_TICKS;

lua_State *wippy_running_thread(void) { return wippy_running; }

int wippy_resume(lua_State *L, lua_State *from, int nargs, int *nres) {
    lua_State *running = wippy_running;
    int may_fail = wippy_may_fail;
    wippy_running = L;
    wippy_may_fail = 1;
    if (wippy_is_doomed(L)) wippy_arm(L);
    int status = lua_resume(L, from, nargs, nres);
    wippy_running = running;
    wippy_may_fail = may_fail;
    return status;
}

/* ---------------------------------------------------------------- doom */

/* A single request this large always reaches the allocator's slow path, which refuses it for a doomed
   process (while only Lua and C code runs): Lua then raises a memory error without running a handler. */
#define WIPPY_UNGRANTABLE (((size_t)1 << 30) + 1)

int wippy_raise_doom(lua_State *L) {
    if (wippy_may_fail) lua_newuserdatauv(L, WIPPY_UNGRANTABLE, 0);
    lua_pushstring(L, wippy_doom_text);
    return lua_error(L);
}

static void wippy_hook(lua_State *L, lua_Debug *ar);

/* The hook found work in wippy_signal: a memory check, a doom, or a thread to give back its normal hook. */
static void wippy_hook_signal(lua_State *L) {
    if (wippy_signal & WIPPY_SIGNAL_CHECK) wippy_memory_check(L);
    if (wippy_is_doomed(L)) {
        wippy_arm(L); /* again at the next instruction, whatever happens to this one */
        if (lua_isyieldable(L)) {
            wippy_preempted = 1;
            lua_yield(L, 0);
            return;
        }
        /* Cannot yield here: raise a memory error (see wippy_lua.h), by asking for a block the allocator
           refuses to a doomed process while only Lua runs (which is always the case where a hook runs). */
        wippy_raise_doom(L);
        return;
    }
    wippy_signal &= ~(WIPPY_SIGNAL_DOOM | WIPPY_SIGNAL_ARMED);
    wippy_reset_hook(L);
}

static void wippy_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (wippy_signal != 0) {
        wippy_hook_signal(L);
        return;
    }
    if (--wippy_budget > 0) return;
    if (lua_gethookcount(L) == 1 && wippy_memory_of(L)->hook_count != 1) {
        /* armed for a signal that was handled elsewhere (a check run by the scheduler): back to normal */
        wippy_reset_hook(L);
    }
    if (lua_isyieldable(L)) {
        wippy_preempted = 1;
        lua_yield(L, 0);
        return;
    }
    /* cannot yield here: try again at the next tick, up to a bound */
    if (--wippy_stuck > 0) return;
    wippy_doom(L, WIPPY_STUCK_MESSAGE);
    wippy_hook_signal(L);
}

void wippy_reset_hook(lua_State *L) {
    int count = wippy_memory_of(L)->hook_count;
    if (count > 0) {
        if (lua_gethookcount(L) != count || lua_gethook(L) != wippy_hook) lua_sethook(L, wippy_hook, LUA_MASKCOUNT, count);
    } else if (lua_gethook(L) != NULL) {
        lua_sethook(L, NULL, 0, 0);
    }
}

void wippy_arm(lua_State *L) {
    if (L == NULL) return;
    wippy_signal |= WIPPY_SIGNAL_ARMED;
    lua_sethook(L, wippy_hook, LUA_MASKCOUNT, 1);
}

void wippy_doom(lua_State *L, const char *message) {
    if (wippy_doom_text[0] == '\0') {
        if (message == NULL || message[0] == '\0') message = "process stopped";
        snprintf(wippy_doom_text, sizeof wippy_doom_text, "%s", message);
    }
    wippy_signal |= WIPPY_SIGNAL_DOOM;
    if (L == NULL) L = wippy_running;
    if (L == NULL) return;
    wippy_memory_of(L)->attention = 1;
    wippy_arm(L);
    if (wippy_running != NULL && wippy_running != L) wippy_arm(wippy_running);
}

const char *wippy_doom_message(void) { return wippy_doom_text[0] != '\0' ? wippy_doom_text : NULL; }

void wippy_clear_doom(void) {
    wippy_doom_text[0] = '\0';
    wippy_signal &= ~WIPPY_SIGNAL_DOOM;
}

const char *wippy_stuck_message(void) { return WIPPY_STUCK_MESSAGE; }

/* ---------------------------------------------------------------- budget */

void wippy_install_preemption(lua_State *L, int instructions_per_tick) {
    wippy_memory_of(L)->hook_count = instructions_per_tick;
    lua_sethook(L, wippy_hook, LUA_MASKCOUNT, instructions_per_tick);
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

int wippy_native_tick(lua_State *L, int ticks) {
    if (wippy_memory_of(L)->hook_count <= 0) return 0; /* a state without preemption */
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
