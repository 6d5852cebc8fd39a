/*
 * CLua: the same-worker hand-off of `process.send`, in C.
 *
 * Most messages between processes of one worker reach a receiver that is already blocked in a plain
 * `inbox:receive()` (request/reply, rings, pipelines). For those, everything the message needs is in this
 * one Lua state: the topic string (shared, strings are immutable), the sender's PID string and a plain
 * payload: nil, a boolean, a number, a string, or a small flat table of those (copied here). Building the message object straight on the waiting thread here, with no Swift frame, no
 * retain/release and no lookup through the runtime's process tables, is the difference between a few
 * hundred instructions and a few thousand.
 *
 * The runtime keeps, per worker, a table from PID text to a small record per process (wippy_proc): the
 * thread the process waits on (set when its task blocks in a plain receive on its inbox, by the runtime
 * or by the receive that blocks in C; cleared on any wake-up), its memory account and its own PID string. The runtime says which process runs
 * (`running`), so the sender needs no lookup. Anything this path does not handle (another worker, a name,
 * several payloads, a nested or special table, a receiver that is not waiting, a workflow) goes to the Swift
 * native, unchanged.
 *
 * Order: a waiting receiver has nothing queued for its inbox (it would have taken it), so handing a message
 * straight to it keeps each sender's order.
 *
 * A receiver that is not waiting gets the message in its record's queue, while the runtime keeps that queue
 * open: only when no message waits in the runtime's own mailbox (every queued one is then older than any
 * of those, and a receive takes the queue first) and nothing else could want the message (a `listen`
 * topic, a bus subscription, a select or a second waiter on the inbox, which this path could not wake).
 */
#include "wippy_internal.h"

#include <stdlib.h>
#include <string.h>

/* An empty slot, and one whose record was removed (probing goes on past it). */
#define WIPPY_SLOT_EMPTY NULL
static wippy_proc wippy_tombstone;

/* A slot keeps its record's hash beside it: a probe past another record compares the hashes in the slot
   array (four slots per cache line) instead of reading that record, which in a ring of a thousand processes
   is cold: a miss per probe. */
typedef struct wippy_slot {
    wippy_proc *proc;
    uint32_t hash;
} wippy_slot;
/* `running_owner` when it is the running record's `owner`: the switch sets this rather than read `owner`,
   which sits on the record's second cache line (cold in a ring); it is resolved when the record is removed
   while it runs, the only way `running` becomes NULL while the owner is still asked for. */
#define WIPPY_OWNER_OF_RUNNING ((void *)&wippy_tombstone)

struct wippy_mailboxes {
    wippy_slot *slots;
    uint32_t capacity; /* a power of two */
    uint32_t live;     /* records */
    uint32_t used;     /* records and tombstones */
    wippy_proc *running;
    /* the running process's object (what `label` takes when it has no record), or WIPPY_OWNER_OF_RUNNING:
       that of `running` (see wippy_mailboxes_resume) */
    void *running_owner;
    wippy_wake_fn wake;
    wippy_park_fn park;
    wippy_label_fn label;
    wippy_defer_fn defer;
    wippy_begin_fn begin;
    wippy_flush_fn flush;
    wippy_clear_fn clear;
    void *clear_context;
    wippy_adopt_fn adopt;
    /* The switch (wippy_mailboxes_resume): set while it runs; the process a hand-off woke that runs next;
       whether the last receive that blocked in C left its process with nothing else to run. */
    int switching;
    int park_switch;
    wippy_proc *next;
    void *next_waiter; /* its task (the runtime's object, unretained) */
    int next_ghost;          /* `next` is to run as a ghost (nothing told to the runtime yet) */
    lua_State *next_thread;  /* then: its thread, holding `msg, true` */
    uint64_t ghost_switches; /* switches to a ghost so far (for tests and measurements) */
    lua_Integer message_tag;
    int message_metatable; /* registry reference (the runtime owns it) */
    wippy_memory *memory;
};

/* The running process's record on this thread (a worker's state runs only on its thread), for the receive
   closure: reading it costs less than fetching the table from an upvalue, which matters because most
   receives find nothing queued and go on to the Swift native. */
static _Thread_local wippy_proc *wippy_running_here __attribute__((tls_model("initial-exec")));
/* The table whose switch runs on this thread (wippy_mailboxes_resume), for wippy_mailboxes_settle_ghosts. */
static _Thread_local wippy_mailboxes *wippy_switch_here __attribute__((tls_model("initial-exec")));

/* PID texts differ most in their last characters (the counter); the length and the last 8 bytes spread them
   well and cost a few instructions. */
static uint32_t wippy_text_hash(const char *text, size_t len) {
    uint64_t last = 0;
    if (len >= 8) {
        /* one load and a multiply, where a byte loop took about 50 instructions per send */
        memcpy(&last, text + len - 8, sizeof last);
    } else {
        memcpy(&last, text, len);
    }
    /* the counter's digits sit in the high bytes of `last`: fold them down before the multiply, whose high
       half depends on every bit below it */
    last ^= (last >> 29) ^ (uint64_t)len;
    return (uint32_t)((last * 0x9e3779b97f4a7c15u) >> 32);
}

wippy_mailboxes *wippy_mailboxes_new(lua_State *L, uint32_t message_tag, wippy_wake_fn wake, wippy_park_fn park,
                                     wippy_label_fn label) {
    wippy_mailboxes *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->capacity = 64;
    m->slots = calloc(m->capacity, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->wake = wake;
    m->park = park;
    m->label = label;
    m->message_tag = (lua_Integer)message_tag;
    m->message_metatable = LUA_NOREF;
    m->memory = wippy_memory_of(L);
    return m;
}

void wippy_mailboxes_set_metatable(wippy_mailboxes *m, int message_metatable) { m->message_metatable = message_metatable; }

void wippy_mailboxes_set_switch(wippy_mailboxes *m, wippy_defer_fn defer, wippy_begin_fn begin, wippy_flush_fn flush) {
    m->defer = defer;
    m->begin = begin;
    m->flush = flush;
}

void wippy_mailboxes_set_ghosts(wippy_mailboxes *m, wippy_clear_fn clear, void *context, wippy_adopt_fn adopt) {
    m->clear = clear;
    m->clear_context = context;
    m->adopt = adopt;
}

uint64_t wippy_mailboxes_ghost_switches(const wippy_mailboxes *m) { return m->ghost_switches; }

void wippy_mailboxes_free(wippy_mailboxes *m) {
    if (m == NULL) return;
    for (uint32_t i = 0; i < m->capacity; i++) {
        wippy_proc *p = m->slots[i].proc;
        if (p != WIPPY_SLOT_EMPTY && p != &wippy_tombstone) free(p);
    }
    free(m->slots);
    free(m);
}

static void wippy_mailboxes_place(wippy_slot *slots, uint32_t capacity, wippy_proc *p) {
    uint32_t mask = capacity - 1;
    uint32_t i = p->hash & mask;
    while (slots[i].proc != WIPPY_SLOT_EMPTY && slots[i].proc != &wippy_tombstone) i = (i + 1) & mask;
    slots[i].proc = p;
    slots[i].hash = p->hash;
}

/* Rebuilds the table without tombstones, doubled when more than half full of records. */
static int wippy_mailboxes_rehash(wippy_mailboxes *m) {
    uint32_t capacity = m->live * 2 >= m->capacity ? m->capacity * 2 : m->capacity;
    wippy_slot *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL) return 0;
    for (uint32_t i = 0; i < m->capacity; i++) {
        wippy_proc *p = m->slots[i].proc;
        if (p != WIPPY_SLOT_EMPTY && p != &wippy_tombstone) wippy_mailboxes_place(slots, capacity, p);
    }
    free(m->slots);
    m->slots = slots;
    m->capacity = capacity;
    m->used = m->live;
    return 1;
}

wippy_proc *wippy_mailboxes_add(wippy_mailboxes *m, lua_State *L, uint32_t account, void *owner) {
    if ((m->used + 1) * 4 > m->capacity * 3 && !wippy_mailboxes_rehash(m)) {
        lua_pop(L, 1);
        return NULL;
    }
    /* on a cache line of its own: a hop reads only the record's first line (see wippy_proc) */
    _Static_assert(sizeof(wippy_proc) <= 128, "a record fits two cache lines");
    wippy_proc *p = aligned_alloc(64, 128);
    if (p == NULL) {
        lua_pop(L, 1);
        return NULL;
    }
    memset(p, 0, sizeof *p);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    p->text = text;
    p->len = (uint32_t)len;
    p->hash = wippy_text_hash(text, len);
    /* the reference keeps the text where it is for as long as the record lives */
    p->pid_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    p->account = account;
    p->owner = owner;
    p->queue_ref = LUA_NOREF;
    p->mailboxes = m;
    /* a live record with the same text cannot exist: PIDs are unique while their processes live */
    wippy_mailboxes_place(m->slots, m->capacity, p);
    m->live++;
    m->used++;
    return p;
}

void wippy_mailboxes_remove(wippy_mailboxes *m, lua_State *L, wippy_proc *p) {
    if (p == NULL) return;
    luaL_unref(L, LUA_REGISTRYINDEX, p->pid_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, p->queue_ref); /* queued messages nobody will receive go with it */
    if (m->running == p) {
        m->running = NULL;
        if (m->running_owner == WIPPY_OWNER_OF_RUNNING) m->running_owner = p->owner;
    }
    if (m->next == p) {
        m->next = NULL; /* ended before its turn: nothing to run */
        m->next_ghost = 0;
    }
    if (wippy_running_here == p) wippy_running_here = NULL;
    uint32_t mask = m->capacity - 1;
    for (uint32_t i = p->hash & mask;; i = (i + 1) & mask) {
        if (m->slots[i].proc == p) {
            m->slots[i].proc = &wippy_tombstone;
            m->live--;
            break;
        }
        if (m->slots[i].proc == WIPPY_SLOT_EMPTY) break; /* not in the table (cannot happen) */
    }
    free(p);
}

void wippy_mailboxes_set_running(wippy_mailboxes *m, wippy_proc *p, void *owner) {
    m->running = p;
    m->running_owner = owner; /* read only when there is no record */
    wippy_running_here = p;
}

/* Lua keeps one copy of each string up to this length (5.4's LUAI_MAXSHORTLEN, not in its public headers):
   two such strings of a state are equal exactly when they are the same object. Were the value ever smaller,
   a send would only miss its record and take the Swift native. */
#define WIPPY_SHORT_STRING_MAX 40

static wippy_proc *wippy_mailboxes_find(wippy_mailboxes *m, const char *text, size_t len) {
    uint32_t mask = m->capacity - 1;
    uint32_t hash = wippy_text_hash(text, len);
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        wippy_proc *p = m->slots[i].proc;
        if (p == WIPPY_SLOT_EMPTY) return NULL;
        /* a tombstone's hash is its record's: the record test rules it out */
        if (m->slots[i].hash != hash || p == &wippy_tombstone || p->len != (uint32_t)len) continue;
        if (p->text == text || (len > WIPPY_SHORT_STRING_MAX && memcmp(p->text, text, len) == 0)) return p;
    }
}

static int wippy_is_plain(int type) {
    return type == LUA_TBOOLEAN || type == LUA_TNUMBER || type == LUA_TSTRING;
}

/* Tables this path copies: no metatable (read-only tables and other special ones have one), not empty (an
   empty table may carry the JSON object mark, which the Swift copier keeps), at most this many entries, and
   every key and value a boolean, number or string. Anything else is the Swift copier's (shared and cyclic
   tables, nesting, error objects, and the errors for what cannot be sent). */
#define WIPPY_FLAT_TABLE_MAX 32

static int wippy_is_flat_table(lua_State *L, int idx, int *array, int *fields) {
    if (lua_getmetatable(L, idx)) {
        lua_pop(L, 1);
        return 0;
    }
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int plain = wippy_is_plain(lua_type(L, -2)) && wippy_is_plain(lua_type(L, -1));
        lua_pop(L, 1);
        if (!plain || ++count > WIPPY_FLAT_TABLE_MAX) {
            lua_pop(L, 1);
            return 0;
        }
    }
    if (count == 0) return 0;
    lua_Unsigned length = lua_rawlen(L, idx);
    *array = length < (lua_Unsigned)count ? (int)length : count;
    *fields = count - *array;
    return 1;
}

/* Pushes on L a copy of the flat table at idx (checked by wippy_is_flat_table). */
static void wippy_copy_flat_table(lua_State *L, int idx, int array, int fields) {
    lua_createtable(L, array, fields);
    int copy = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, copy);
    }
}

/* Pushes on L (the sender's thread) the message for `to`: topic at 2, a payload at 3 when count is 1 (a flat
   table there is copied: `array` and `fields` size the copy). The sender is its record `from`, or, with
   `from` NULL, the text of its PID up to the counter on top of L and the counter `uniq` (the message is then
   labelled as `wippy_message.c` describes, and that string is removed). Nothing here may fail (the
   receiver's account may go over its limit: its next safe point checks it), and the copy is the
   receiver's. Runs only inside the send closure (it reads the closure's metatable upvalue). */
static void wippy_push_message(lua_State *L, wippy_mailboxes *m, wippy_proc *from, uint64_t uniq, wippy_proc *to,
                               int count, int array, int fields) {
    /* a C function has LUA_MINSTACK free slots: this needs at most 6 (the label, table copy: 4 above the
       message) */
    uint32_t previous = wippy_account_charge(m->memory, to->account);
    /* no third user value when there is no payload (`msg:payload()` reads it as nil): a smaller object for
       the allocator and the collector */
    unsigned char *block = lua_newuserdatauv(L, from != NULL ? 16 : 24, count > 0 ? 3 : 2);
    uint32_t tag = (uint32_t)m->message_tag;
    int32_t payloads = count;
    memcpy(block, &tag, sizeof tag);
    memcpy(block + 8, &payloads, sizeof payloads);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    if (from != NULL) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, from->pid_ref);
    } else {
        int32_t unformatted = 1;
        memcpy(block + 12, &unformatted, sizeof unformatted);
        memcpy(block + 16, &uniq, sizeof uniq);
        lua_rotate(L, -2, 1); /* the label above the message */
    }
    lua_setiuservalue(L, -2, 2);
    if (count > 0) {
        if (lua_type(L, 3) == LUA_TTABLE) {
            /* a copy: the receiver never sees the sender's later changes */
            wippy_copy_flat_table(L, 3, array, fields);
        } else {
            lua_pushvalue(L, 3);
        }
        lua_setiuservalue(L, -2, 3);
    }
    /* the send closure's third upvalue (wippy_push_process_send): cheaper than the registry */
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_setmetatable(L, -2);
    wippy_account_charge(m->memory, previous);
}

/* Hands the message on top of L to the thread waiting in `to` and wakes it: `msg, true` are its receive's
   results. */
static inline __attribute__((always_inline)) void wippy_hand_off(lua_State *L, wippy_mailboxes *m, wippy_proc *to) {
    lua_State *R = to->waiting;
    to->waiting = NULL;
    /* a thread that blocked in C has the room (see `roomy`); one the runtime parked may have used its frame */
    if (!to->roomy) lua_checkstack(R, 4);
    to->roomy = 0;
    lua_xmove(L, R, 1);
    lua_pushboolean(R, 1);
    /* during a switching resume the first process woken may be run next, straight from there (defer wakes
       it either way) */
    if (m->switching && m->next == NULL) {
        /* A ghost: nothing else pends in its process and nothing else waits on the worker, so the runtime is
           not even told (its objects are not touched: in a ring each is cold). See wippy_mailboxes_resume. */
        if (to->solo && m->clear != NULL && m->clear(m->clear_context)) {
            m->next = to;
            m->next_ghost = 1;
            m->next_thread = R;
            wippy_ghosts = 1;
            return;
        }
        if (m->defer(to->owner, to->waiter, to->channel)) {
            m->next = to;
            m->next_waiter = to->waiter;
        }
        return;
    }
    m->wake(to->owner, to->waiter, to->channel);
}

/* Queues the message on top of L (popped) for `to`, which is not waiting. The queue's table is the
   receiver's memory too. */
static void wippy_enqueue(lua_State *L, wippy_mailboxes *m, wippy_proc *to) {
    if (to->queue_ref == LUA_NOREF) {
        uint32_t previous = wippy_account_charge(m->memory, to->account);
        lua_createtable(L, 8, 0);
        to->queue_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        wippy_account_charge(m->memory, previous);
        to->head = to->tail = 1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, to->queue_ref);
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)to->tail++);
    lua_pop(L, 1);
}

int wippy_mailboxes_take(wippy_proc *p, lua_State *L) {
    if (p->head == p->tail) return 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->queue_ref);
    lua_rawgeti(L, -1, (lua_Integer)p->head);
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)p->head++);
    lua_remove(L, -2);
    /* emptied: the next messages reuse the table's first slots */
    if (p->head == p->tail) p->head = p->tail = 1;
    return 1;
}

/* The Swift native behind a closure (upvalue 2), run as the trampoline runs it. */
static int wippy_native_fallback(lua_State *L) {
    return wippy_run_native(L, (wippy_native)lua_touserdata(L, lua_upvalueindex(2)));
}

static int wippy_process_send(lua_State *L) {
    /* The table from the running record when there is one (most sends): only a state's own records are ever
       running on its thread, but a record left running by another state of this OS thread is told apart by
       the memory record (one load through lua_getallocf, against an upvalue read). */
    wippy_proc *from = wippy_running_here;
    wippy_mailboxes *m;
    void *memory = NULL;
    if (from != NULL && (lua_getallocf(L, &memory), memory == (void *)from->mailboxes->memory)) {
        m = from->mailboxes;
    } else {
        m = lua_touserdata(L, lua_upvalueindex(1));
        from = m->running;
    }
    int top = lua_gettop(L);
    if ((from == NULL && m->running_owner == NULL) || top < 2 || top > 3 || lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING)
        return wippy_native_fallback(L);
    size_t topic_len;
    const char *topic = lua_tolstring(L, 2, &topic_len);
    if (topic_len > 0 && topic[0] == '@') return wippy_native_fallback(L); /* refused there */
    size_t len;
    const char *text = lua_tolstring(L, 1, &len);
    wippy_proc *to = wippy_mailboxes_find(m, text, len);
    if (to == NULL || (to->waiting == NULL && !to->queue_open)) return wippy_native_fallback(L);
    int array = 0, fields = 0;
    if (top == 3) {
        /* scalars and strings are immutable, so sharing them is copying them; small flat tables are copied
           here */
        int type = lua_type(L, 3);
        if (type == LUA_TTABLE) {
            if (!wippy_is_flat_table(L, 3, &array, &fields)) return wippy_native_fallback(L);
        } else if (type != LUA_TNIL && !wippy_is_plain(type)) {
            return wippy_native_fallback(L);
        }
    }
    int may_fail = wippy_may_fail;
    wippy_may_fail = 0;
    uint64_t uniq = 0;
    /* a sender without a record (a process that has not conversed here: a one-shot child reporting to its
       parent) is labelled by its counter; its text is made only if the receiver asks */
    if (from == NULL && (uniq = m->label(m->running_owner, L)) == 0) {
        wippy_may_fail = may_fail;
        return wippy_native_fallback(L);
    }
    wippy_push_message(L, m, from, uniq, to, top - 2, array, fields);
    if (to->waiting != NULL) {
        wippy_hand_off(L, m, to);
    } else {
        wippy_enqueue(L, m, to);
    }
    wippy_may_fail = may_fail;
    lua_pushboolean(L, 1);
    return 1;
}

/* A C function with the worker's mailboxes and the Swift native it falls back on as its two upvalues. */
static void wippy_push_with_fallback(lua_State *L, lua_CFunction f, wippy_mailboxes *m, wippy_native fallback) {
    lua_pushlightuserdata(L, m);
    lua_pushlightuserdata(L, (void *)fallback);
    lua_pushcclosure(L, f, 2);
}

void wippy_push_process_send(lua_State *L, wippy_mailboxes *m, wippy_native fallback) {
    /* upvalue 3: the message metatable (set before any process module is made: wippy_mailboxes_set_metatable) */
    lua_pushlightuserdata(L, m);
    lua_pushlightuserdata(L, (void *)fallback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->message_metatable);
    lua_pushcclosure(L, wippy_process_send, 3);
}

/* `ch:receive()` on the running process's own inbox, in C: the oldest message queued in C and true; or,
   when nothing is queued and the runtime keeps the queue open (so its own mailbox holds nothing either, no
   `listen` topic, bus subscription, select or other waiter could want a message, and no sender is blocked
   on the inbox: see `queue_open` and `inbox`), the task blocks right here. The hand-off is armed on this thread
   here, and the runtime records the blocked receive through `park` (what its own receive would have done:
   the wait token, the task parked as the channel's waiter) and the thread yields to the scheduler: the next message reaches it
   through the hand-off (or the runtime's own delivery), with no Swift native on the way in or out.
   Anything else is the Swift native's. */
static int wippy_channel_receive(lua_State *L) {
    wippy_proc *p = wippy_running_here;
    if (p == NULL || p->inbox == NULL || lua_touserdata(L, 1) != p->inbox) return wippy_native_fallback(L);
    if (p->head != p->tail) {
        lua_settop(L, 1);
        wippy_mailboxes_take(p, L);
        lua_pushboolean(L, 1);
        return 2;
    }
    /* Blocks only a task's own thread (a receive inside a user coroutine takes the native, which passes the
       yield out through it), only where it may yield, and only as the inbox's sole waiter. */
    uintptr_t task;
    memcpy(&task, lua_getextraspace(L), sizeof task);
    if (!p->queue_open || p->waiting != NULL || p->inbox_channel == NULL || (task & WIPPY_TASK_TAG) == 0 ||
        !lua_isyieldable(L))
        return wippy_native_fallback(L);
    wippy_mailboxes *m = p->mailboxes;
    /* The hand-off is armed here: the open queue already rules out what would keep the runtime from arming
       it (a `listen` topic, a bus subscription, a workflow, another waiter on the inbox); `park` disarms it in
       the case it finds otherwise. */
    p->waiting = L;
    if (p->ghost) {
        /* The runtime still sees this task parked here, on this channel (it never saw it run): it is again. Its
           process had nothing else pending when the switch picked it, and none of its Swift code ran since. */
        p->ghost = 0;
        m->park_switch = 1;
        wippy_ghosts = m->next_ghost;
    } else {
        void *waiter = (void *)(task & ~WIPPY_TASK_TAG);
        p->waiter = waiter;
        p->channel = p->inbox_channel;
        m->park_switch = m->park(p->owner, waiter, p->inbox_channel);
        p->solo = (uint8_t)m->park_switch;
    }
    /* nothing was pushed on this frame: the hand-off may skip its stack check (unless `park` disarmed it) */
    if (p->waiting == L) p->roomy = 1;
    /* A system yield with no values, told apart by wippy_parked (no marker to push here and to test and pop
       in wippy_resume_task). The channel argument stays: a C function's stack is dropped when it is resumed
       (its results are the values it is resumed with), so clearing it first would only cost a call. */
    wippy_parked = 1;
    return lua_yield(L, 0);
}

void wippy_push_channel_receive(lua_State *L, wippy_mailboxes *m, wippy_native fallback) {
    wippy_push_with_fallback(L, wippy_channel_receive, m, fallback);
}

/*
 * Ghosts. A hop of the switch that went through the runtime cost three calls into Swift (defer, begin, park),
 * each touching the receiver's process, task, cell and channel objects. In a ring of a thousand processes
 * those are cold on every hop, and those misses cost more than everything else the hop does. So when the
 * receiver of a hand-off is `solo` (its task parked with nothing else pending in its process) and nothing
 * else waits on the worker (`clear`), the runtime is not told at all: the task runs as a ghost while the
 * runtime still sees it parked in its receive. When the ghost blocks in a receive in C again, the runtime's
 * picture is right again, with no call. Everything else first makes the runtime's picture true
 * (wippy_mailboxes_settle_ghosts): a Swift native (the trampoline checks wippy_ghosts), the end of the switch
 * with the ghost still running (it ended, failed, was preempted or yielded: `adopt`), or a ghost picked to
 * run next that does not run after all (`wake`, or `defer` when a native of the sender runs first).
 */
void wippy_mailboxes_settle_ghosts(void) {
    wippy_ghosts = 0;
    wippy_mailboxes *m = wippy_switch_here;
    if (m == NULL) return;
    wippy_proc *p = m->running;
    if (p != NULL && p->ghost) {
        p->ghost = 0;
        m->adopt(p->owner, p->waiter, p->channel);
    }
    if (m->next_ghost) {
        /* what the hand-off would have done without ghosts */
        m->next_ghost = 0;
        wippy_proc *next = m->next;
        if (m->defer(next->owner, next->waiter, next->channel)) {
            m->next_waiter = next->waiter;
        } else {
            m->next = NULL;
        }
    }
}

int wippy_mailboxes_resume(wippy_mailboxes *m, lua_State *L, int nargs, int *nres, lua_State **ran, int32_t ticks,
                           int hops) {
    if (m->defer == NULL) hops = 0;
    m->switching = hops > 0;
    wippy_mailboxes *outer = wippy_switch_here;
    wippy_switch_here = m;
    /* An outermost switch tells the ticker once that Lua runs, for all its hops (each starts a new serial):
       the few instructions between hops count as the slices' own. */
    wippy_slice *slice = wippy_running == NULL ? wippy_slice_self : NULL;
    if (slice != NULL) wippy_slice_publish(slice, wippy_slice_word(slice) | 1);
    int status;
    for (;;) {
        m->park_switch = 0;
        status = wippy_resume_task_slice(L, nargs, nres, NULL);
        wippy_proc *next = m->next;
        if (next == NULL) break;
        m->next = NULL;
        int ghost = m->next_ghost;
        m->next_ghost = 0;
        /* Switch only from a thread that blocked in a receive in C with nothing else to run in its process
           (its yield then needs nothing more from the run loop: the park did the bookkeeping), and only
           while the memory accounts need no look (that is the run loop's, for the process that ran). */
        if (status != WIPPY_SYSTEM_YIELD || !m->park_switch || --hops <= 0 || wippy_memory_needs_attention(m->memory) ||
            wippy_is_doomed(L)) {
            if (ghost) {
                m->wake(next->owner, next->waiter, next->channel);
            } else {
                m->flush(next->owner, m->next_waiter);
            }
            break;
        }
        if (ghost) {
            next->ghost = 1;
            wippy_ghosts = 1;
            m->ghost_switches++;
            L = m->next_thread;
            nargs = 2;
        } else {
            lua_State *thread = NULL;
            int count = m->begin(next->owner, m->next_waiter, &thread);
            if (count < 0) break;
            L = thread;
            nargs = count;
        }
        /* what the run loop does when a process starts to run: its record, its memory account, a new slice */
        m->running = next;
        m->running_owner = WIPPY_OWNER_OF_RUNNING; /* next->owner, read only if needed (wippy_mailboxes_remove) */
        wippy_running_here = next;
        wippy_account_run(m->memory, next->account);
        wippy_slice_start(ticks, slice != NULL);
    }
    if (slice != NULL) wippy_slice_publish(slice, wippy_slice_word(slice) & ~(uint64_t)1);
    /* a ghost still running (it ended, failed, was preempted, yielded) is the runtime's running task from here */
    if (wippy_ghosts) wippy_mailboxes_settle_ghosts();
    wippy_switch_here = outer;
    m->switching = 0;
    *ran = L;
    return status;
}

/* A message that reached the runtime's delivery (from another worker, or from Swift code of this one) while
   its receiver did not wait: the runtime built the message object on a thread of this state and queues it
   here, behind what senders queued in C, so that the queue stays open and the next receives (and the sends
   of this worker's processes after it) stay in C. The runtime calls this only while `queue_open` (its
   mailbox then holds nothing for the inbox, so the message is still the newest of its sender). Outside any
   resume: allocations may not fail here (see wippy_may_fail). */
void wippy_mailboxes_append(wippy_proc *p, lua_State *L) { wippy_enqueue(L, p->mailboxes, p); }
