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

/* ---- States and memory accounts ----
 *
 * Every state has a wippy_memory record (the allocator's user data). The allocator charges each block to an
 * *account*: account 0 is the worker itself (code caches, module tables: no limit); each process opens one
 * with its limit. Blocks carry their owner's tag (slot | generation << WIPPY_ACCOUNT_SLOT_BITS), so a free
 * is taken off the right account whatever process runs at the time, and frees of blocks of closed accounts
 * (a process that ended; its garbage is collected later) are ignored. New blocks go to the *current*
 * account, which the runtime switches while it runs a process or copies a message into one.
 *
 * An account's bytes are what it has allocated and not yet freed (live objects and garbage not yet
 * collected) plus its queued bytes (the process's mailbox, reported by the runtime). Enforcement:
 *  - bytes past `check` flag the account; at the next safe point (the count hook, or the scheduler between
 *    resumes) wippy_memory_check collects garbage (a young collection, then a full one if that was not
 *    enough) and dooms the account if it is still over its limit;
 *  - while only Lua and C code runs (no Swift frame on the C stack), a growth past 1.5 times the limit is
 *    refused: Lua then collects in an emergency and asks again, and a second refusal dooms the account
 *    (Lua raises its memory error in the C code that asked);
 *  - with a Swift frame on the stack nothing is ever refused (a Lua error there would longjmp across Swift).
 * A doomed account's process ends: at once if it is running (wippy_doom, below), else the runtime takes the
 * owner from wippy_memory_take_doomed and ends it. */

#define WIPPY_ACCOUNT_SLOT_BITS 22
#define WIPPY_ACCOUNT_SLOTS ((uint32_t)1 << WIPPY_ACCOUNT_SLOT_BITS)
#define WIPPY_ACCOUNT_PENDING 1u /* flagged for a check */
#define WIPPY_ACCOUNT_DOOMED 2u  /* over its limit after a collection: its process must end */
#define WIPPY_ACCOUNT_LISTED 4u  /* in the doomed list, not yet taken by the runtime */
#define WIPPY_ACCOUNT_OPEN 8u
#define WIPPY_ACCOUNT_SYSTEM 16u  /* doomed because the system refused memory, not for its limit */
#define WIPPY_ACCOUNT_STARVED 32u /* the system refused it memory at least once */

typedef struct wippy_account {
    int64_t bytes;  /* allocated, not yet freed, plus queued (may dip below 0 by a few blocks: see the .c) */
    int64_t check;  /* growth past this takes the slow path (INT64_MAX: never); free slots chain through it */
    int64_t limit;  /* 0: none */
    int64_t queued; /* mailbox bytes reported by the runtime (part of bytes) */
    void *owner;    /* the runtime's object for the process */
    uint32_t tag;   /* slot | generation << WIPPY_ACCOUNT_SLOT_BITS; blocks carry it */
    uint32_t flags;
} wippy_account;

#define WIPPY_MEMORY_LIST 32

typedef struct wippy_memory {
    wippy_account *current; /* charged for new blocks */
    wippy_account *running; /* the process being run (NULL: none): a doom of its account dooms it */
    uint32_t current_tag;
    int attention;          /* a check is due, a doomed account waits to be taken, a doom is pending, or the
                               system refused memory */
    size_t bytes;           /* all blocks of the state */
    size_t peak;
    void *heap;
    wippy_account *accounts;
    uint32_t count;         /* slots in use so far (slot 0 is the worker) */
    uint32_t capacity;
    int64_t free_slot;      /* first free slot, reused first (0: none) */
    uint32_t free_tail;     /* last free slot (0: none) */
    uint32_t pending[WIPPY_MEMORY_LIST];
    uint32_t pending_count; /* past WIPPY_MEMORY_LIST: scan every account */
    uint32_t doomed[WIPPY_MEMORY_LIST];
    uint32_t doomed_count;
    uint32_t refused_tag;   /* the last growth refused, to recognise Lua's retry after its collection */
    size_t refused_size;
    void *reserve;          /* released when the system refuses memory while Swift code is on the stack */
    int starved;            /* the system refused memory since the last recovery (see wippy_memory_recover) */
    int hook_count;         /* the state's normal count hook (0: none) */
    int timed;              /* preempted by the slice ticker, without a normal hook (see below) */
    uint64_t checks;        /* checks that ran */
    uint64_t collections;   /* collections they made */
    uint64_t kills;         /* accounts doomed */
    struct wippy_determinism *determinism; /* the workflow run being run (NULL: none); see wippy_determinism.c */
} wippy_memory;

/** A new state with its memory record and small-object heap; panics abort with a message. NULL if the
    system has no memory for it. Close it with wippy_close. */
lua_State *wippy_newstate(void);

/** Closes a state made by wippy_newstate and frees its heap and memory record. */
void wippy_close(lua_State *L);

/** The memory record of the state of `L`. */
wippy_memory *wippy_memory_of(lua_State *L);

/** Address space the state's small-object heap has mapped (0 without one). */
size_t wippy_heap_mapped_bytes(const wippy_memory *m);

/** Opens an account with `limit` bytes (0: none) for `owner`; returns its tag, or 0 (the worker's account)
    when the state has no slot left. */
uint32_t wippy_account_open(wippy_memory *m, int64_t limit, void *owner);

/** Closes an account: later frees of its blocks are ignored. */
void wippy_account_close(wippy_memory *m, uint32_t tag);

/** The open account with `tag`, or NULL. */
static inline wippy_account *wippy_account_get(wippy_memory *m, uint32_t tag) {
    uint32_t slot = tag & (WIPPY_ACCOUNT_SLOTS - 1);
    if (slot >= m->count) return NULL;
    wippy_account *a = &m->accounts[slot];
    return a->tag == tag ? a : NULL;
}

/** Charges new blocks to the account `tag` (0: the worker); returns the tag charged before. `tag` must come
    from wippy_account_open (open or closed since: blocks charged to a closed account are simply never taken
    off anything), so this needs no lookup: it runs several times per message. */
static inline uint32_t wippy_account_charge(wippy_memory *m, uint32_t tag) {
    uint32_t previous = m->current_tag;
    m->current = &m->accounts[tag & (WIPPY_ACCOUNT_SLOTS - 1)];
    m->current_tag = tag;
    return previous;
}

/** The process with account `tag` runs (0: none does): new blocks are charged to it, and a doom of its account
    dooms it (wippy_doom). */
static inline void wippy_account_run(wippy_memory *m, uint32_t tag) {
    wippy_account_charge(m, tag);
    m->running = tag != 0 ? m->current : NULL;
}

/** Changes the limit of account `tag` (0: none); an account already past it is flagged for a check. */
void wippy_account_set_limit(wippy_memory *m, uint32_t tag, int64_t limit);

/** Flags an account for a check at the next safe point (see wippy_account_set_queued). */
void wippy_account_flag(wippy_memory *m, wippy_account *a);

/** Sets the queued (mailbox) bytes of account `tag` (from wippy_account_open; a closed one is ignored); a growth
    past its check flags it (never refused). Runs for every message that waits in a mailbox. */
static inline void wippy_account_set_queued(wippy_memory *m, uint32_t tag, int64_t queued) {
    wippy_account *a = &m->accounts[tag & (WIPPY_ACCOUNT_SLOTS - 1)];
    if (a->tag != tag) return;
    int64_t delta = queued - a->queued;
    a->queued = queued;
    a->bytes += delta;
    if (delta > 0 && a->bytes > a->check) wippy_account_flag(m, a);
}

/** Runs the checks flagged since the last one (collecting garbage as needed) and dooms the accounts still
    over their limit. Call only at a safe point (never inside the allocator). Returns 1 when the running
    process's account is doomed. */
int wippy_memory_check(lua_State *L);

/** The owner of a doomed account not yet taken (and unlists it), or NULL. */
void *wippy_memory_take_doomed(wippy_memory *m);

/** After the system refused memory (or always, with `force`): collects everything (what failed processes
    left is garbage now) and takes back the emergency reserve. Call at a safe point with any thread of the
    state. */
void wippy_memory_recover(lua_State *L, int force);

/** Room for a copy of `size` bytes that Swift code is about to make outside the Lua allocator (a message
    payload): Swift aborts the whole program when the system refuses one of its allocations, so a large copy
    asks first. A block of that size is taken and given back at once (the copy that follows, on the same
    thread, gets it again from the same arena); when the system refuses it, the state's emergency reserve is
    given back (taken again at its next safe point) and the block asked once more. Returns 0 when the system
    refused even then: the caller must fail instead of copying. */
int wippy_memory_room(lua_State *L, size_t size);

/* ---- Doom: "end this process with this error at the next safe point" ----
 * (The same API as the one the preemption of C calls uses.) A doomed process must not run on: the scheduler
 * ends it after the resume that is running. To get back to the scheduler, the running thread's hook is armed
 * to fire at its next instruction (count 1, whatever hook is installed otherwise, so this does not rely on
 * a permanent hook): where the thread can yield it yields (as a preemption), where it cannot (inside a C call
 * boundary such as a sort comparator or gsub callback, a metamethod, an xpcall message handler) it raises a
 * memory error, again at every instruction of every thread the error reaches (a pcall cannot keep it), until
 * it reaches a point that can yield or the error leaves the thread. A memory error, because Lua runs no
 * message handler for it: an error raised from a hook would run the handler with hooks off, and a handler
 * that loops would never be stopped. (A pcall in a non-yieldable place therefore sees "not enough memory";
 * the process still ends with the doom's message.) A thread whose resume ended in that error is dead and
 * is not reused. The doom is kept per worker thread (one state per worker thread). */

#define WIPPY_DOOM_MESSAGE_MAX 256
/** Dooms the process running on this worker thread with `message` (the first doom wins; copied). `L` is the
    running thread if the caller knows it; NULL means the thread running now (wippy_resume). */
void wippy_doom(lua_State *L, const char *message);
/** The doom message of this worker thread's running process, or NULL. */
const char *wippy_doom_message(void);
/** Forgets the doom (the scheduler, once the doomed process is finished). */
void wippy_clear_doom(void);

/** Gives `L` the state's normal count hook again (after a doom or a check armed it). */
void wippy_reset_hook(lua_State *L);
/** The thread running Lua code on this OS thread (set while wippy_resume and coroutine resumes run), or NULL. */
lua_State *wippy_running_thread(void);

/** lua_resume that records `L` as the thread running on this worker while it runs (see wippy_doom), and lets
    allocations made while only Lua and C code runs fail (see the memory accounts above). */
int wippy_resume(lua_State *L, lua_State *from, int nargs, int *nres);

/** True when the scheduler has work to do after a resume: a check, a doomed account, or a doom. */
static inline int wippy_memory_needs_attention(const wippy_memory *m) { return m->attention; }

/* ---- Natives ---- */

/** Pushes a C closure that calls `fn` through the trampoline; `nup` upvalues are taken from the stack. */
void wippy_push_native(lua_State *L, wippy_native fn, int nup);

/** Index of the native's own upvalue n (1-based); the trampoline uses the first real upvalue. */
static inline int wippy_upvalueindex(int n) { return lua_upvalueindex(n + 1); }

/** The light-userdata value a system yield carries. */
void *wippy_system_marker(void);

/** True when a thread that yielded `nres` values made a system yield. */
int wippy_is_system_yield(lua_State *co, int nres);

/** What wippy_resume_task returns for a system yield (its marker already popped, `*nres` 0). */
#define WIPPY_SYSTEM_YIELD 100
/** wippy_resume of a task's thread (from no other thread) that also tells a system yield apart: one call
    from the scheduler per resume instead of three (resume, the marker test, the pop). */
int wippy_resume_task(lua_State *L, int nargs, int *nres);

/* ---- Preemption (per worker thread) ----
 * Two ways, chosen per state:
 *  - timed (wippy_install_timed_preemption, the workers' states): no hook is installed while Lua runs, so
 *    it runs at full speed (with any count hook Lua traces every instruction). A ticker thread looks at
 *    every worker thread each WIPPY_TICK_NANOS; one still running the slice it was running at the previous
 *    look is signalled. The signal handler, on the worker thread, lets the slice go on until it has also
 *    used a period of the thread's CPU time since the first such signal (so a slice lasts 2 to 3 periods,
 *    and a worker that only waited for a core is not preempted for it); then it arms the count hook of the
 *    running thread (count 1), and the hook yields it as a preemption. Natives that take ticks stop at the next tick once the slice has overrun.
 *  - counted (wippy_install_preemption): a count hook takes one tick from the thread's budget every
 *    `instructions_per_tick` VM instructions, and yields once the budget is used up. Deterministic; tests
 *    of the preemption machinery and embedders without the ticker use it.
 * Either way a preempted thread yields with no values and sets the "preempted" flag. Where the running
 * thread cannot yield (Lua code called from C without a continuation: an xpcall message handler, a
 * metamethod called by a C function), it runs on for a bound (WIPPY_STUCK_TICKS more ticks, or
 * WIPPY_STUCK_NANOS of CPU time); then its process is doomed (see above). Long-running C
 * natives take ticks with wippy_native_tick. */

/** Installs the instruction-count hook on `L` (threads created from it inherit it) and makes it the state's
    normal hook (see wippy_reset_hook); natives of a state with it take ticks from the budget. */
void wippy_install_preemption(lua_State *L, int instructions_per_tick);
/** Makes `L`'s state preempted by the ticker (no normal hook) and puts the calling OS thread, the one that
    will run it, on the ticker's list (it leaves the list when the thread ends). */
void wippy_install_timed_preemption(lua_State *L);
/** Starts a slice on this OS thread: counted preemption gives the next resumes `ticks` hook ticks; timed
    preemption starts a new slice for the ticker. Resets the stuck counts either way. */
void wippy_set_budget(int32_t ticks);
/** The ticker's period. A slice that keeps running is preempted after two to three periods of wall time (the
    second look, then a period of the thread's own CPU time): 1-1.5 ms with 500 µs. With 1 ms, a process
    spawning in a loop held its worker for 2-3 ms at a time, and the sleepers due meanwhile on that worker
    waited that long (`timers` workload: median wall 113 -> 109 ms and mean process time 74.9 -> 72.1 ms over
    10 alternating runs; fib(30) alone unchanged, 125 ms either way). At 250 µs the signals cost more than
    that saves (115 ms). */
#define WIPPY_TICK_NANOS 500000L
/** CPU time a thread that cannot yield may run on past its slice before its process is doomed. */
#define WIPPY_STUCK_NANOS 500000000LL
/** Returns and clears the flag set when a thread yields because it was preempted. */
int wippy_take_preempted(void);
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

/** The message a process is doomed with after running too long where it could not yield. */
#define WIPPY_STUCK_MESSAGE \
    "process ran too long where it cannot be preempted (inside an xpcall message handler, a metamethod or " \
    "another function called from C) and was stopped"

/** WIPPY_STUCK_MESSAGE, for Swift. */
const char *wippy_stuck_message(void);

/* ---- Library extensions (wippy_libs.c, wippy_pattern.c) ---- */

/** Replaces, in the global string and table libraries of L: the pattern functions (find, match,
    gmatch, gsub: Wippy's preemptible matcher), the other string functions by ones that also accept
    string-like userdata, string.rep and table.insert/remove (preemptible shifts). */
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

/* ---- Message objects (wippy_message.c) ---- */

/** Pushes the C function behind `msg:topic()` (which = 1) or `msg:from()` (which = 2) for message userdata
    carrying `tag` (the runtime's tag of message objects). */
void wippy_push_message_accessor(lua_State *L, int which, uint32_t tag);
/** Pushes the function the translator's `__wippy_topic(msg, what)` (which = 1) or `__wippy_from(msg, what)`
    (which = 2) calls: the accessor, but a value that is not a message raises "attempt to index a <type> value
    (<what>)" at the caller's line, as the method call did. */
void wippy_push_message_function(lua_State *L, int which, uint32_t tag);
/** The block of the full userdata at `idx` when its first four bytes are `tag` (the runtime's tagged userdata:
    an 8-byte header, then the payload), else NULL. One call for what the runtime checks on every channel and
    message operation. */
void *wippy_tagged_block(lua_State *L, int idx, uint32_t tag);

/* ---- Same-worker message hand-off (wippy_mailbox.c) ----
 *
 * Per worker, a table from PID text to a record per process, so that `process.send` to a process of the same
 * worker that waits in a plain `inbox:receive()` runs in C: the message object is built on the waiting thread
 * and the runtime is called once, to wake the task. Everything else goes to the Swift native. */

/** What the C side knows of a process. `waiting` is the thread of its task blocked in a plain receive on its
    inbox (only set while nothing is queued for the inbox and every message goes to the inbox: no `listen`
    topics, no bus events, not a workflow), NULL otherwise; the runtime sets it and clears it on every
    wake-up. `text` (the PID text, `len` bytes) belongs to the string `pid_ref` anchors. */
typedef struct wippy_proc {
    /* The first 64 bytes (records are 64-aligned) hold everything a hop reads: the sender finds the receiver
       and hands it the message, the receiver runs, sends and blocks again. In a ring of a thousand processes
       each record is cold when its turn comes, so every other cache line read here is a miss per message. */
    const char *text;
    lua_State *waiting;
    struct wippy_mailboxes *mailboxes; /* the table the record is in (its worker's): the C functions reach it
                                          from the running record instead of a closure upvalue */
    /* The block of the process's inbox channel userdata, or NULL: `receive` on it takes a queued message in
       C (the runtime clears it while that channel could give something else first: a blocked sender). */
    const void *inbox;
    /* The runtime's inbox channel object of that userdata (unretained; set with `inbox`): what a receive
       that blocks in C waits on. */
    void *inbox_channel;
    uint32_t len;
    uint32_t account; /* memory account the copy is charged to */
    int pid_ref;      /* registry reference of a string with the process's PID text (the record's own) */
    /* Messages sent in C to this process while it was not waiting: a FIFO kept as slots [head, tail) of a
       table (registry reference queue_ref, LUA_NOREF until first used). Every one of them is older than
       any message in the runtime's own mailbox: C queues only while `queue_open`, which the runtime clears
       whenever a message reaches that mailbox or a waiter on the inbox could miss a queued message. */
    uint32_t head, tail;
    uint8_t queue_open;
    /* Set when the task waiting in `waiting` parked with nothing else pending in its process (the runtime's
       answer to `park`; cleared when a failure or an upgrade is set for the process): the switch may run it
       as a ghost (see wippy_mailboxes_resume). */
    uint8_t solo;
    /* Running as a ghost: the runtime still sees the task parked in its receive (see wippy_mailboxes_resume). */
    uint8_t ghost;
    /* Set while `waiting` is a thread that blocked in a receive in C (wippy_channel_receive): its C frame was
       given LUA_MINSTACK free slots and pushed nothing, so the hand-off's two results need no stack check.
       Cleared by every other writer of `waiting` (the runtime's `arm` and setter). */
    uint8_t roomy;
    /* Second line: what only the runtime's calls and the queue use. */
    int queue_ref;
    uint32_t hash;
    void *waiter;     /* the runtime's task object of `waiting` (unretained) */
    void *channel;    /* the runtime's inbox channel object it waits on (unretained) */
    void *owner;      /* the runtime's process object (unretained) */
} wippy_proc;

typedef struct wippy_mailboxes wippy_mailboxes;
/** Wakes task `waiter` of process `owner`, waiting on `channel` (its results, `msg, true`, are on its thread). */
typedef void (*wippy_wake_fn)(void *owner, void *waiter, void *channel);
/** Records that task `waiter` of process `owner` now waits in a plain receive on its inbox `channel` (a
    receive that blocks in C): the runtime does its bookkeeping of a blocked receive and arms the hand-off.
    Returns 1 when the process has nothing else to run now (no other ready task, nothing pending that its run
    loop must handle): wippy_mailboxes_resume may then switch straight to another process. Runs no Lua. */
typedef int (*wippy_park_fn)(void *owner, void *waiter, void *channel);
/** The switch (see wippy_mailboxes_resume), all run by the runtime and running no Lua:
    - defer: like wake, but task `waiter` may be left out of every queue (ready, its process unscheduled), to
      be run next by the switch: returns 1 when it was, 0 when it was woken as by wake;
    - begin: that task of `owner` runs now: returns the number of values to resume it with and its thread in
      `*thread`; or -1 when it cannot run now (the runtime then queues it and schedules the process);
    - flush: a deferred task that is not switched to after all: the runtime queues it and schedules the
      process. */
typedef int (*wippy_defer_fn)(void *owner, void *waiter, void *channel);
typedef int (*wippy_begin_fn)(void *owner, void *waiter, lua_State **thread);
typedef void (*wippy_flush_fn)(void *owner, void *waiter);
/** The ghost switch (see wippy_mailboxes_resume), run by the runtime and running no Lua:
    - clear: whether nothing else waits on the worker (`context`: what wippy_mailboxes_set_ghosts was given),
      so that a hand-off may run its receiver next;
    - adopt: the ghost task `waiter` of `owner`, still parked on `channel` as the runtime sees it, is the
      running one from now on (the runtime makes it so: out of the channel's waiters, running). */
typedef int (*wippy_clear_fn)(void *context);
typedef void (*wippy_adopt_fn)(void *owner, void *waiter, void *channel);
/** For a message sent in C by process `owner`, which has no record: pushes on L the text of its PID up to the
    counter (`{node@host|`) and returns the counter; 0 (nothing pushed) when its PID is not of that form.
    Pushes only (the caller has made allocations unable to fail); runs no Lua. */
typedef uint64_t (*wippy_label_fn)(void *owner, lua_State *L);

/** The table of a worker's state. */
wippy_mailboxes *wippy_mailboxes_new(lua_State *L, uint32_t message_tag, wippy_wake_fn wake, wippy_park_fn park,
                                     wippy_label_fn label);
/** Sets the metatable of message objects: a registry reference the runtime keeps. */
void wippy_mailboxes_set_metatable(wippy_mailboxes *m, int message_metatable);
void wippy_mailboxes_free(wippy_mailboxes *m);
/** Adds a record for a live process, keyed by its PID text: the string on top of L, popped (the record keeps a
    reference to it). NULL when out of memory. */
wippy_proc *wippy_mailboxes_add(wippy_mailboxes *m, lua_State *L, uint32_t account, void *owner);
/** Removes and frees a record (L: any thread of the state, for the string reference). */
void wippy_mailboxes_remove(wippy_mailboxes *m, lua_State *L, wippy_proc *p);
/** The process whose code runs now: its record `p` (NULL: it has none) and its runtime object `owner` (what
    `label` takes for the sends of a process without a record); both NULL: none, or one that must use the
    Swift path (a workflow). */
void wippy_mailboxes_set_running(wippy_mailboxes *m, wippy_proc *p, void *owner);
/** Sets the switch's functions (see wippy_mailboxes_resume). Without them no switch happens. */
void wippy_mailboxes_set_switch(wippy_mailboxes *m, wippy_defer_fn defer, wippy_begin_fn begin, wippy_flush_fn flush);
/** Sets the ghost switch's functions (see wippy_mailboxes_resume); without them every switch goes through
    defer and begin. */
void wippy_mailboxes_set_ghosts(wippy_mailboxes *m, wippy_clear_fn clear, void *context, wippy_adopt_fn adopt);
/** Ends every ghost state of the running switch before a Swift native runs (wippy_run_native calls it when
    wippy_ghosts is set): the runtime must then see what it would have seen without ghosts. */
void wippy_mailboxes_settle_ghosts(void);
/** Switches to a ghost so far (for tests and measurements). */
uint64_t wippy_mailboxes_ghost_switches(const wippy_mailboxes *m);
/** wippy_resume_task of `L` (a task's thread of the running process) that may go on with other processes of
    the worker before returning: when the thread it resumed blocked in a plain receive in C (and its process
    has nothing else to run) while a C hand-off it made woke a process the runtime agreed to run next (defer),
    that process's task is resumed right here (begin), with no return to the scheduler in between: the hop
    of request/reply and rings. At most `hops` switches. `*ran` is the thread whose resume the status is of
    (another process's after a switch); `ticks` is the slice budget each switched-to process starts with. */
int wippy_mailboxes_resume(wippy_mailboxes *m, lua_State *L, int nargs, int *nres, lua_State **ran, int32_t ticks,
                           int hops);
/** Pushes the oldest message queued in C for p on L and returns 1; 0 (nothing pushed) when none. */
int wippy_mailboxes_take(wippy_proc *p, lua_State *L);
/** Queues the message object on top of L (popped; any thread of p's state) behind what C queued for p, charged
    to p's account. Only while p's queue is open (`queue_open`): the runtime's delivery of a message to a
    process that does not wait. */
void wippy_mailboxes_append(wippy_proc *p, lua_State *L);
/** Pushes `process.send`: the C hand-off, else `fallback` (as a trampoline would run it). The message
    metatable (wippy_mailboxes_set_metatable) must be set before: the closure keeps it. */
void wippy_push_process_send(lua_State *L, wippy_mailboxes *m, wippy_native fallback);
/** Pushes the channels' `receive`: a message queued in C for the running process's inbox, else `fallback`. */
void wippy_push_channel_receive(lua_State *L, wippy_mailboxes *m, wippy_native fallback);

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
/** Generational mode with both multipliers (0 keeps a multiplier as it is); returns the previous mode. */
int wippy_gc_generational(lua_State *L, int minormul, int majormul);
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

/* ---- Deterministic functions of workflow runs (wippy_determinism.c) ----
 * A workflow run's `pairs`, `next` and `tostring` must give the same results on a replay in another state,
 * whose string-hash seed (and object addresses) differ. The run's record below is made active while the run's
 * process runs (wippy_determinism_enter); these functions read it from the state's memory record. */

typedef struct wippy_determinism {
    int ids;             /* registry reference of the run's table object -> id (weak keys); LUA_NOREF until used */
    lua_Integer last_id; /* ids handed out so far (the next one is last_id + 1) */
} wippy_determinism;

/** A record with no ids yet. */
void wippy_determinism_init(wippy_determinism *d);
/** Releases the id table of `d` (any thread of the state); `d` can be used again afterwards. */
void wippy_determinism_release(lua_State *L, wippy_determinism *d);
/** Makes `d` the run whose ids the deterministic functions use (NULL: none). */
static inline void wippy_determinism_enter(wippy_memory *m, wippy_determinism *d) { m->determinism = d; }
/** Pushes `pairs`, `next` and `tostring` of workflow runs. `pairs` and `next` take the table of read-only tables
    (frozen tables, library proxies: their contents are iterated) from the value at `read_only_set`. */
void wippy_push_deterministic_pairs(lua_State *L, int read_only_set);
void wippy_push_deterministic_next(lua_State *L, int read_only_set);
void wippy_push_deterministic_tostring(lua_State *L);

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
