/*
 * CLua: the C side of the Lua bridge.
 *
 * Lua 5.4 (Debian's liblua5.4) reports errors and yields with longjmp. A longjmp must never cross a Swift
 * frame, so Swift native functions never raise or yield themselves: they return a status, and the C
 * trampoline below raises or yields on their behalf after the Swift frame is gone. Everything here that
 * can raise runs in C only.
 */
#ifndef WIPPY_LUA_H
#define WIPPY_LUA_H

#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Status codes a Swift native returns instead of a result count ---- */

/** The error value is on top of the stack; the trampoline raises it with lua_error. */
#define WIPPY_NATIVE_ERROR (-1)
/** System yield: the trampoline yields the system marker to the scheduler. */
#define WIPPY_NATIVE_YIELD (-2)

/** A native implemented in Swift: returns a result count or one of the statuses above. */
typedef int (*wippy_native)(lua_State *L);

/* ---- State creation with an accounting allocator that never fails (aborts on OOM) ---- */

typedef struct wippy_alloc_stats {
    size_t bytes; /* bytes currently allocated by this state */
    size_t peak;  /* highest value of bytes */
    void *heap;   /* the state's small-object heap (set by wippy_newstate; NULL means plain malloc) */
} wippy_alloc_stats;

/** A new state using `stats` for accounting and a small-object heap of its own; panics abort with a
    message. Close it with wippy_close. */
lua_State *wippy_newstate(wippy_alloc_stats *stats);

/** Address space the state's small-object heap has mapped (0 without one). */
size_t wippy_heap_mapped_bytes(const wippy_alloc_stats *stats);

/** Closes a state made by wippy_newstate and frees its heap. */
void wippy_close(lua_State *L, wippy_alloc_stats *stats);

/* ---- Natives ---- */

/** Pushes a C closure that calls `fn` through the trampoline; `nup` upvalues are taken from the stack. */
void wippy_push_native(lua_State *L, wippy_native fn, int nup);

/** Index of the native's own upvalue n (1-based); the trampoline uses the first real upvalue. */
static inline int wippy_upvalueindex(int n) { return lua_upvalueindex(n + 1); }

/** The light-userdata value a system yield carries. */
void *wippy_system_marker(void);

/** True when a thread that yielded `nres` values made a system yield. */
int wippy_is_system_yield(lua_State *co, int nres);

/* ---- Preemption (per worker thread) ----
 * Lua code is preempted by a count hook: every `instructions_per_tick` VM instructions it takes one tick from
 * the thread's budget, and yields (with no values, setting the "preempted" flag) once the budget is used up.
 * Where the running thread cannot yield (Lua code called from C without a continuation: an xpcall message
 * handler, a metamethod called by a C function), it may run WIPPY_STUCK_TICKS more ticks; then its process
 * is doomed (see below). Long-running C natives take ticks the same way with wippy_native_tick. */

/** Installs the instruction-count hook on `L` (threads created from it inherit it) and marks the state as
    preemptive (natives then take ticks from the budget). */
void wippy_install_preemption(lua_State *L, int instructions_per_tick);
/** Sets how many hook ticks the next resume may run before it is preempted (and resets the stuck count). */
void wippy_set_budget(int32_t ticks);
/** Returns and clears the flag set when a thread yields because it was preempted. */
int wippy_take_preempted(void);
/** lua_resume that records `co` as the thread running on this worker while it runs (see wippy_doom). */
int wippy_resume(lua_State *co, lua_State *from, int nargs, int *nres);

/** Work a native counts as one tick (about as long as a tick of VM instructions). */
#define WIPPY_NATIVE_TICK_STEPS 1024

/** Called by a C native every WIPPY_NATIVE_TICK_STEPS steps of its own work (`ticks` = steps / that). Returns
    1 when the native should stop now and yield with wippy_native_yield (its slice is used up, or its process
    is doomed), 0 to go on. Where the native cannot yield it keeps going until it has been stuck too long,
    then dooms the process and raises; a doomed process raises here. Always 0 in a state without preemption.
    Call only from C code that may raise. */
int wippy_native_tick(lua_State *L, int ticks);
/** Yields a preempted native (no values); Lua calls `k` when the scheduler resumes the thread. Use as
    `return wippy_native_yield(L, ctx, k);` */
int wippy_native_yield(lua_State *L, lua_KContext ctx, lua_KFunction k);

/* ---- Doom: "end this process with this error at the next safe point" ----
 * A doomed process must not run on: the scheduler checks wippy_doom_message after every resume and finishes
 * the process with that message. To get back to the scheduler, the running thread's hook is armed to fire at
 * the next instruction: where the thread can yield it yields (as a preemption), where it cannot it raises
 * the message, again at every instruction (a pcall cannot keep it), until it reaches a point that can yield
 * or the error leaves the thread. An xpcall message handler (wippy_xpcall) is not run for a doomed process.
 * Threads of a doomed process must not be reused (a hook that raised leaves the thread's hooks off). */

#define WIPPY_DOOM_MESSAGE_MAX 256
/** Dooms the process running on this worker thread with `message` (the first doom wins; copied). `L` is the
    running thread if the caller knows it; NULL means the thread last resumed with wippy_resume. */
void wippy_doom(lua_State *L, const char *message);
/** The doom message of this worker thread's running process, or NULL. */
const char *wippy_doom_message(void);
/** Forgets the doom (the scheduler, once the doomed process is finished). */
void wippy_clear_doom(void);

/** The message a process is doomed with after running too long where it could not yield. */
#define WIPPY_STUCK_MESSAGE \
    "process ran too long where it cannot be preempted (inside an xpcall message handler, a metamethod or " \
    "another function called from C) and was stopped"

/** WIPPY_STUCK_MESSAGE, for Swift. */
const char *wippy_stuck_message(void);

/** xpcall(f, msgh, ...) as Lua's, except that the message handler is not run for a doomed process. */
int wippy_xpcall(lua_State *L);

/* ---- Library extensions (wippy_libs.c, wippy_pattern.c) ---- */

/** Replaces, in the global string, table and base libraries of L: the pattern functions (find, match,
    gmatch, gsub: Wippy's preemptible matcher), the other string functions by ones that also accept
    string-like userdata, string.rep, table.insert/remove (preemptible shifts) and xpcall (wippy_xpcall). */
void wippy_open_library_extensions(lua_State *L);
/** Stores string.find/match/gmatch/gsub of Wippy's matcher in the table at `table`. */
void wippy_set_pattern_functions(lua_State *L, int table);
/** Caps the work of one pattern function call (about `steps` matcher steps; 0: the default, about 10^9) on
    this thread; past it the call fails with "pattern too complex". For tests. */
void wippy_set_pattern_step_limit(uint64_t steps);
/** Registers the metatable on top of the stack (popped) as the one of string-like userdata: userdata whose
    first user value is its text (error objects). String functions take such a value as its text. */
void wippy_set_string_like_metatable(lua_State *L);
/** If the value at absolute index `idx` is string-like userdata, replaces it with its text and returns 1. */
int wippy_string_like(lua_State *L, int idx);
/** Pushes a C function returning `a < b` (table.sort's default order). */
void wippy_push_less_than(lua_State *L);

/* ---- Coroutine library replacements that pass system yields through user coroutines ---- */

int wippy_co_resume(lua_State *L);
int wippy_co_wrap(lua_State *L);
/** coroutine.create whose thread inherits the creator's extra space. */
int wippy_co_create(lua_State *L);
/** coroutine.status that reports a coroutine parked on a system yield as "normal". */
int wippy_co_status(lua_State *L);

/* ---- Protected helpers (they catch errors and return a status) ---- */

/** Pushes luaL_tolstring of the value at idx (honours __tostring); on error pushes the message. */
int wippy_protected_tostring(lua_State *L, int idx);
/** lua_pcall with a traceback-free message handler. */
int wippy_pcall(lua_State *L, int nargs, int nresults);

/* ---- Library opening, GC and error-message helpers (raise-free for Swift callers) ---- */

/** Opens base, table, string, math, coroutine and os into the globals of L. */
void wippy_open_standard_libraries(lua_State *L);
/** lua_gc (variadic in C) for the common commands. */
int wippy_gc(lua_State *L, int what, int arg);
/** Pushes "bad argument #arg to 'name' (extramsg)" as luaL_argerror would, without raising. */
void wippy_push_argerror(lua_State *L, int arg, const char *extramsg);
/** Pushes "chunk:line: " for the function at call level `level` (luaL_where), without raising. */
void wippy_push_where(lua_State *L, int level);
/** Pushes an array of `{level, source, line, name, type}` for up to `max` frames from call level `level`. */
void wippy_push_stack_frames(lua_State *L, int level, int max);
/** Pushes the environment (`_ENV`) Lua code on the stack sees: the innermost active local or upvalue named
    _ENV of the nearest frame, from call level `level` outward, that has one. Returns that frame's level, or 0,
    pushing nothing, when no frame has one. */
int wippy_push_caller_env(lua_State *L, int level);
/** Loads a chunk from memory; pushes the function or the error message. Never raises. */
int wippy_load(lua_State *L, const char *buffer, size_t size, const char *name, const char *mode);

/* ---- Lua macros as functions Swift can call ---- */

static inline void wippy_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wippy_newtable(lua_State *L) { lua_newtable(L); }
static inline int wippy_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
static inline void *wippy_getextraspace(lua_State *L) { return lua_getextraspace(L); }

/* ---- Task threads ----
 * A thread's extra space holds a pointer for the runtime (the task it acts for). Bit 0 set marks a scheduler
 * task thread itself: coroutine.resume/wrap refuse those, and copies of the extra space into other threads
 * (new threads, resumed coroutines) drop the mark. */
#define WIPPY_TASK_TAG ((uintptr_t)1)
static inline lua_Integer wippy_registry_index(void) { return LUA_REGISTRYINDEX; }
static inline int wippy_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline void wippy_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void wippy_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void wippy_replace(lua_State *L, int idx) { lua_replace(L, idx); }
static inline const char *wippy_tolstring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
static inline lua_Integer wippy_tointegerx(lua_State *L, int idx, int *isnum) { return lua_tointegerx(L, idx, isnum); }
static inline lua_Number wippy_tonumberx(lua_State *L, int idx, int *isnum) { return lua_tonumberx(L, idx, isnum); }

#endif
