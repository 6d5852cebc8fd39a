/*
 * CLua: preemption (the count hook and the tick budget natives share), doom, and the per-OS-thread state the
 * bridge's C files share. See include/wippy_lua.h for the rules.
 */
#include "wippy_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- per-OS-thread state */

_Thread_local lua_State *wippy_running WIPPY_TLS = NULL;
_Thread_local int wippy_may_fail WIPPY_TLS = 0;
_Thread_local int wippy_signal WIPPY_TLS = 0;
_Thread_local int wippy_preempted WIPPY_TLS = 0;
_Thread_local char wippy_doom_text[WIPPY_DOOM_MESSAGE_MAX] WIPPY_TLS;

_Thread_local int32_t wippy_budget WIPPY_TLS = 0;
_Thread_local int32_t wippy_stuck WIPPY_TLS = WIPPY_STUCK_TICKS;

/* Timed preemption (see wippy_internal.h): the overrun count the signal handler keeps, the last one the hook
   or a native saw where it could not yield, and how many such signals there were in this slice. */
_Thread_local volatile int wippy_overrun WIPPY_TLS = 0;
_Thread_local int wippy_overrun_seen WIPPY_TLS = 0;
_Thread_local int64_t wippy_stuck_since WIPPY_TLS = 0;
_Thread_local lua_State *wippy_calling WIPPY_TLS = NULL;

lua_State *wippy_running_thread(void) { return wippy_running; }

int wippy_resume(lua_State *L, lua_State *from, int nargs, int *nres) { return wippy_resume_inline(L, from, nargs, nres); }

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

static int64_t wippy_thread_cpu_nanos(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Timed preemption, where the thread cannot yield: looks at each ticker signal once; once the signals have
   found the thread unable to yield for WIPPY_STUCK_NANOS of its own CPU time (not wall time: a loaded
   machine must not doom a process that merely waited for a core), dooms the process. Returns 1 when it did. */
static int wippy_overrun_stuck(lua_State *L) {
    int overrun = wippy_overrun;
    if (overrun == wippy_overrun_seen) return 0;
    wippy_overrun_seen = overrun;
    int64_t now = wippy_thread_cpu_nanos();
    if (wippy_stuck_since == 0) {
        wippy_stuck_since = now > 0 ? now : 1;
        return 0;
    }
    if (now - wippy_stuck_since < WIPPY_STUCK_NANOS) return 0;
    wippy_doom(L, WIPPY_STUCK_MESSAGE);
    return 1;
}

/* The hook of a state with timed preemption: it is only ever armed (count 1), by the ticker's signal, a
   memory check or a doom. It puts the thread back to running without a hook, then yields it if the slice
   overran. */
static void wippy_timed_hook(lua_State *L) {
    if (wippy_signal & (WIPPY_SIGNAL_CHECK | WIPPY_SIGNAL_DOOM)) {
        wippy_hook_signal(L);
        if (wippy_is_doomed(L)) return; /* it yielded (or raised) */
    } else {
        wippy_signal &= ~WIPPY_SIGNAL_ARMED;
        lua_sethook(L, NULL, 0, 0);
    }
    /* (a signal that arms the hook again from here on finds the overrun counted: it fires once more and
       returns at once, or yields again in the next slice of an overrun that is still current) */
    if (wippy_overrun == 0) return; /* armed for a check, or by a signal of a slice that ended */
    if (lua_isyieldable(L)) {
        wippy_preempted = 1;
        lua_yield(L, 0);
        return;
    }
    /* cannot yield here: the next signal arms the hook again, up to a bound */
    if (wippy_overrun_stuck(L)) wippy_hook_signal(L);
}

static void wippy_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (wippy_memory_of(L)->timed) {
        wippy_timed_hook(L);
        return;
    }
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

void wippy_install_timed_preemption(lua_State *L) {
    wippy_memory *m = wippy_memory_of(L);
    m->hook_count = 0;
    m->timed = 1;
    lua_sethook(L, NULL, 0, 0);
    wippy_ticker_register();
}

void wippy_set_budget(int32_t ticks) { wippy_slice_start(ticks, 0); }

int wippy_pcall_timed(lua_State *L, int nargs, int nresults) {
    wippy_slice *slice = wippy_slice_self;
    int overrun = wippy_overrun, seen = wippy_overrun_seen;
    int64_t stuck = wippy_stuck_since;
    wippy_slice_publish(slice, (wippy_slice_word(slice) + 2) | 1);
    wippy_overrun = 0;
    wippy_overrun_seen = 0;
    wippy_stuck_since = 0;
    wippy_calling = L;
    int status = lua_pcall(L, nargs, nresults, 0);
    wippy_calling = NULL;
    wippy_slice_publish(slice, wippy_slice_word(slice) & ~(uint64_t)1);
    /* the slice this call interrupted (if one was running) goes on with its own counts */
    wippy_overrun = overrun;
    wippy_overrun_seen = seen;
    wippy_stuck_since = stuck;
    return status;
}

void wippy_overrun_signalled(void) {
    wippy_overrun = wippy_overrun + 1;
    lua_State *L = wippy_running != NULL ? wippy_running : wippy_calling;
    /* lua_sethook may be called asynchronously (lua.c does it from a signal handler): it sets the thread's
       hook fields and the trap of its Lua frames, which the VM reads at calls, returns and backward jumps */
    /* Once per slice: lua_sethook walks every frame of the thread to set its trap, which in a deep recursion
       (hundreds of thousands of frames) takes longer than a tick period; re-arming at every signal would then
       keep the thread in this handler for ever. A hook already armed stays armed until it fires. */
    if (L == NULL || !wippy_memory_of(L)->timed) return;
    if (lua_gethook(L) == wippy_hook && lua_gethookcount(L) == 1 && (lua_gethookmask(L) & LUA_MASKCOUNT)) return;
    lua_sethook(L, wippy_hook, LUA_MASKCOUNT, 1);
}

int wippy_take_preempted(void) {
    int was = wippy_preempted;
    wippy_preempted = 0;
    return was;
}

int wippy_native_tick(lua_State *L, int ticks) {
    wippy_memory *m = wippy_memory_of(L);
    if (m->timed) {
        if (wippy_is_doomed(L)) {
            if (lua_isyieldable(L)) return 1;
            return wippy_raise_doom(L);
        }
        if (wippy_overrun == 0) return 0;
        if (lua_isyieldable(L)) return 1;
        if (wippy_overrun_stuck(L)) return wippy_raise_doom(L);
        return 0;
    }
    if (m->hook_count <= 0) return 0; /* a state without preemption */
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
