/*
 * CLua (private): per-OS-thread state shared by the C files of the bridge: the trampolines (wippy_lua.c), the
 * hook, doom and tick budget (wippy_preempt.c), the allocator (wippy_memory.c) and the library extensions.
 * initial-exec TLS: plain fs-relative loads, no call (the hook and the trampoline read these on every tick
 * and every native call).
 */
#ifndef WIPPY_INTERNAL_H
#define WIPPY_INTERNAL_H

#include "wippy_lua.h"

#define WIPPY_TLS __attribute__((tls_model("initial-exec")))

/** The thread running Lua code on this OS thread (set by wippy_resume and the coroutine resumes), or NULL. */
extern _Thread_local lua_State *wippy_running WIPPY_TLS;

/** 1 while only Lua and C code is on the C stack above the innermost error handler: an allocation may then
    fail (Lua raises its memory error, which unwinds C frames only). Set by wippy_resume and the protected
    calls, cleared by the trampoline while a Swift native runs. */
extern _Thread_local int wippy_may_fail WIPPY_TLS;

/** Work for the count hook: WIPPY_SIGNAL_* bits. */
extern _Thread_local int wippy_signal WIPPY_TLS;
#define WIPPY_SIGNAL_CHECK 1 /* an account was flagged: run wippy_memory_check */
#define WIPPY_SIGNAL_DOOM 2  /* the running process is doomed */
#define WIPPY_SIGNAL_ARMED 4 /* a thread's hook was set to count 1: give it back its normal hook */

/** Set when the running thread yielded because its slice is used up (by the hook or by a native). */
extern _Thread_local int wippy_preempted WIPPY_TLS;

/** The doom message of the process running on this thread; empty when it is not doomed. */
extern _Thread_local char wippy_doom_text[WIPPY_DOOM_MESSAGE_MAX] WIPPY_TLS;

/** Whether the process running `L` is doomed. (Per worker thread; takes the thread so that it can move into
    the state without touching callers.) */
static inline int wippy_is_doomed(lua_State *L) {
    (void)L;
    return wippy_doom_text[0] != '\0';
}

/** Sets the count hook of `L` to fire at its next instruction (nothing for NULL). */
void wippy_arm(lua_State *L);

/** Raises the doom where the caller cannot yield: a memory error where allocations may fail (Lua runs no
    message handler for it, see wippy_lua.h), else the doom message as a plain error. Only from C code that
    may raise. */
int wippy_raise_doom(lua_State *L);

#endif
