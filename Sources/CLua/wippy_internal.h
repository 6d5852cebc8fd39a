/*
 * CLua (private): per-OS-thread state shared by the C files of the bridge: the trampolines (wippy_lua.c), the
 * hook, doom and tick budget (wippy_preempt.c), the allocator (wippy_memory.c) and the library extensions.
 * initial-exec TLS: plain fs-relative loads, no call (the hook and the trampoline read these on every tick
 * and every native call).
 */
#ifndef WIPPY_INTERNAL_H
#define WIPPY_INTERNAL_H

#include "wippy_lua.h"

#include <pthread.h>
#include <stdatomic.h>

#define WIPPY_TLS __attribute__((tls_model("initial-exec")))

/** The thread running Lua code on this OS thread (set by wippy_resume and the coroutine resumes), or NULL. */
extern _Thread_local lua_State *wippy_running WIPPY_TLS;

/** 1 while only Lua and C code is on the C stack above the innermost error handler: an allocation may then
    fail (Lua raises its memory error, which unwinds C frames only). Set by wippy_resume and the protected
    calls, cleared by the trampoline while a Swift native runs. */
extern _Thread_local int wippy_may_fail WIPPY_TLS;
/* Set by a receive that blocks in C (wippy_mailbox.c) as it yields with no values, taken by the
   wippy_resume_task that resumed it: the yield is a system yield without the marker to push, test and pop. */
extern _Thread_local int wippy_parked WIPPY_TLS;
/* Nonzero while the switch of wippy_mailboxes_resume on this thread runs a ghost or holds one to run next
   (wippy_mailbox.c): the trampoline then settles them (wippy_mailboxes_settle_ghosts) before a Swift native
   runs. */
extern _Thread_local int wippy_ghosts WIPPY_TLS;

/* Runs a Swift native as the trampoline does: allocations may not fail while it runs, then its status is
   raised or yielded here, after its frame has returned. */
int wippy_run_native(lua_State *L, wippy_native fn);

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

/* ---- Timed preemption (wippy_ticker.c) ----
 * A state with timed preemption has no count hook while it runs: Lua runs at full speed. Each worker OS
 * thread publishes a word, (slice serial << 1) | running, that the ticker thread reads every
 * WIPPY_TICK_NANOS: a thread found running in the same slice at two looks in a row is sent
 * WIPPY_TICK_SIGNAL. The handler (on the worker thread itself, as Lua's own lua.c does from its SIGINT
 * handler), once the slice has also used a period of the thread's CPU time since its first signal, counts
 * the overrun in wippy_overrun and arms the count hook of the thread running there; the hook then yields it
 * as a preemption. Nothing outside the worker thread ever touches a
 * lua_State. */

/** What the ticker reads for one worker OS thread. */
typedef struct wippy_slice {
    _Atomic uint64_t word;    /* (slice serial << 1) | 1 while Lua runs: written by the worker only */
    _Atomic uint64_t request; /* the word the ticker found overrun, written before it signals */
    uint64_t seen;            /* the ticker's: the word at its last look */
    pthread_t thread;
    struct wippy_slice *next; /* the ticker's list (under its lock) */
} wippy_slice;

/** This OS thread's record once a state with timed preemption was made on it, else NULL. */
extern _Thread_local wippy_slice *wippy_slice_self WIPPY_TLS;
/** Overruns the ticker signalled in the current slice (0: none); written by the signal handler only. */
extern _Thread_local volatile int wippy_overrun WIPPY_TLS;
/** The thread a top-level wippy_pcall runs (the handler arms it when no resume is running), or NULL. */
extern _Thread_local lua_State *wippy_calling WIPPY_TLS;
/** Non-zero while the ticker sleeps (no worker ran Lua for a while): a slice that starts wakes it. */
extern _Atomic int wippy_ticker_asleep;

/** Puts this OS thread on the ticker's list (once) and starts the ticker (once). */
void wippy_ticker_register(void);
/** Wakes the sleeping ticker. */
void wippy_ticker_wake(void);
/** lua_pcall of Lua called from outside any resume on a ticker thread (Swift calling Lua): the call runs as a
    slice of its own for the ticker, so a loop there is bounded like a stuck one (it cannot yield). */
int wippy_pcall_timed(lua_State *L, int nargs, int nresults);
/** The handler's work, on the worker thread: counts the overrun and arms the running thread's hook. */
void wippy_overrun_signalled(void);

static inline uint64_t wippy_slice_word(const wippy_slice *s) {
    return atomic_load_explicit(&s->word, memory_order_relaxed);
}
static inline void wippy_slice_publish(wippy_slice *s, uint64_t word) {
    atomic_store_explicit(&s->word, word, memory_order_relaxed);
}

/* The slice's counts (wippy_preempt.c), here for wippy_slice_start: the count hook's ticks left, the ticks a
   thread may go on past them while it cannot yield (past that its process is doomed: stuck there it would
   hold its worker, and every process on it, for ever; WIPPY_STUCK_TICKS is about 100M VM instructions), the
   last overrun the hook or a native saw where it could not yield, and the thread CPU time of the first such
   signal. */
#define WIPPY_STUCK_TICKS 100000
extern _Thread_local int32_t wippy_budget WIPPY_TLS;
extern _Thread_local int32_t wippy_stuck WIPPY_TLS;
extern _Thread_local int wippy_overrun_seen WIPPY_TLS;
extern _Thread_local int64_t wippy_stuck_since WIPPY_TLS;

/** Starts a new slice of `ticks` (wippy_set_budget; inline for the switch of wippy_mailbox.c, which starts one
    per hop). `running` 1 publishes the new serial with the running bit set: the switch keeps it set across
    its hops rather than clearing and setting it around each resume, and sets it here again in case Swift
    code it called between hops ran a timed call (which clears it as it ends). */
static inline void wippy_slice_start(int32_t ticks, uint64_t running) {
    wippy_budget = ticks;
    wippy_stuck = WIPPY_STUCK_TICKS;
    wippy_slice *slice = wippy_slice_self;
    if (slice != NULL) {
        /* a new serial first: a signal about the old slice that arrives from here on is ignored */
        wippy_slice_publish(slice, (wippy_slice_word(slice) + 2) | running);
        if (atomic_load_explicit(&wippy_ticker_asleep, memory_order_relaxed)) wippy_ticker_wake();
    }
    wippy_overrun = 0;
    wippy_overrun_seen = 0;
    wippy_stuck_since = 0;
}

/** Raises the doom where the caller cannot yield: a memory error where allocations may fail (Lua runs no
    message handler for it, see wippy_lua.h), else the doom message as a plain error. Only from C code that
    may raise. */
int wippy_raise_doom(lua_State *L);

/* ---- Resumes (wippy_resume and wippy_resume_task, inline here for the switch of wippy_mailbox.c, which
   resumes one thread per hop: two calls across files per hop cost more than their bodies) ---- */

/* `slice`: the thread's record when this resume is to tell the ticker that Lua runs (set its running bit, and
   clear it after), else NULL (an inner resume, or the switch, which keeps the bit set across its hops). */
static inline int wippy_resume_slice(lua_State *L, lua_State *from, int nargs, int *nres, wippy_slice *slice) {
    lua_State *running = wippy_running;
    int may_fail = wippy_may_fail;
    wippy_running = L;
    wippy_may_fail = 1;
    if (slice != NULL) wippy_slice_publish(slice, wippy_slice_word(slice) | 1);
    if (wippy_is_doomed(L)) wippy_arm(L);
    int status = lua_resume(L, from, nargs, nres);
    if (slice != NULL) wippy_slice_publish(slice, wippy_slice_word(slice) & ~(uint64_t)1);
    wippy_running = running;
    wippy_may_fail = may_fail;
    return status;
}

static inline int wippy_resume_inline(lua_State *L, lua_State *from, int nargs, int *nres) {
    /* the outermost resume tells the ticker Lua runs on this thread */
    return wippy_resume_slice(L, from, nargs, nres, wippy_running == NULL ? wippy_slice_self : NULL);
}

static inline int wippy_resume_task_slice(lua_State *L, int nargs, int *nres, wippy_slice *slice) {
    int status = wippy_resume_slice(L, NULL, nargs, nres, slice);
    if (status == LUA_YIELD) {
        /* a receive that blocked in C: it yielded nothing (only a task's own thread does that, and only this
           function resumes those) */
        if (wippy_parked) {
            wippy_parked = 0;
            return WIPPY_SYSTEM_YIELD;
        }
        /* lua_touserdata is NULL for anything but userdata, and no full userdata lives at the marker's address */
        if (*nres == 1 && lua_touserdata(L, -1) == wippy_system_marker()) {
            lua_settop(L, -2);
            *nres = 0;
            return WIPPY_SYSTEM_YIELD;
        }
    }
    return status;
}

static inline int wippy_resume_task_inline(lua_State *L, int nargs, int *nres) {
    return wippy_resume_task_slice(L, nargs, nres, wippy_running == NULL ? wippy_slice_self : NULL);
}

#endif
