/*
 * CLua (private): state shared by the C files of the bridge. Everything here is per worker thread.
 */
#ifndef WIPPY_INTERNAL_H
#define WIPPY_INTERNAL_H

#include "wippy_lua.h"

/* Set when the running thread yielded because its slice is used up (by the hook or by a native). */
extern _Thread_local int wippy_preempted __attribute__((tls_model("initial-exec")));

/* The doom message of the process running on this thread; empty when it is not doomed. */
extern _Thread_local char wippy_doom_text[WIPPY_DOOM_MESSAGE_MAX] __attribute__((tls_model("initial-exec")));

/* Whether the process running `L` is doomed, and the message. (Kept per worker thread today; they take the
   thread so that they can move into the state, e.g. next to a memory record, without touching callers.) */
static inline int wippy_is_doomed(lua_State *L) {
    (void)L;
    return wippy_doom_text[0] != '\0';
}
static inline const char *wippy_doom_text_of(lua_State *L) {
    (void)L;
    return wippy_doom_text;
}

/* Makes the next Lua instruction of `L` run the hook (which then yields or raises the doom). */
void wippy_arm(lua_State *L);

/* Raises the doom message as a plain error (no position). Only from C code that may raise. */
int wippy_raise_doom(lua_State *L);

#endif
