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
 * thread the process waits on (set by the runtime when its task blocks in a plain receive on its inbox,
 * cleared on any wake-up), its memory account and its own PID string. The runtime says which process runs
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

struct wippy_mailboxes {
    wippy_proc **slots;
    uint32_t capacity; /* a power of two */
    uint32_t live;     /* records */
    uint32_t used;     /* records and tombstones */
    wippy_proc *running;
    wippy_wake_fn wake;
    lua_Integer message_tag;
    int message_metatable; /* registry reference (the runtime owns it) */
    wippy_memory *memory;
};

/* The running process's record on this thread (a worker's state runs only on its thread), for the receive
   closure: reading it costs less than fetching the table from an upvalue, which matters because most
   receives find nothing queued and go on to the Swift native. */
static _Thread_local wippy_proc *wippy_running_here __attribute__((tls_model("initial-exec")));

/* PID texts differ most in their last characters (the counter); the length and the last 8 bytes spread them
   well and cost a few instructions. */
static uint32_t wippy_text_hash(const char *text, size_t len) {
    uint32_t h = 2166136261u ^ (uint32_t)len;
    size_t i = len > 8 ? len - 8 : 0;
    for (; i < len; i++) h = (h ^ (unsigned char)text[i]) * 16777619u;
    return h ^ (h >> 15);
}

wippy_mailboxes *wippy_mailboxes_new(lua_State *L, uint32_t message_tag, wippy_wake_fn wake) {
    wippy_mailboxes *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->capacity = 64;
    m->slots = calloc(m->capacity, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->wake = wake;
    m->message_tag = (lua_Integer)message_tag;
    m->message_metatable = LUA_NOREF;
    m->memory = wippy_memory_of(L);
    return m;
}

void wippy_mailboxes_set_metatable(wippy_mailboxes *m, int message_metatable) { m->message_metatable = message_metatable; }

void wippy_mailboxes_free(wippy_mailboxes *m) {
    if (m == NULL) return;
    for (uint32_t i = 0; i < m->capacity; i++) {
        wippy_proc *p = m->slots[i];
        if (p != WIPPY_SLOT_EMPTY && p != &wippy_tombstone) free(p);
    }
    free(m->slots);
    free(m);
}

static void wippy_mailboxes_place(wippy_proc **slots, uint32_t capacity, wippy_proc *p) {
    uint32_t mask = capacity - 1;
    uint32_t i = p->hash & mask;
    while (slots[i] != WIPPY_SLOT_EMPTY && slots[i] != &wippy_tombstone) i = (i + 1) & mask;
    slots[i] = p;
}

/* Rebuilds the table without tombstones, doubled when more than half full of records. */
static int wippy_mailboxes_rehash(wippy_mailboxes *m) {
    uint32_t capacity = m->live * 2 >= m->capacity ? m->capacity * 2 : m->capacity;
    wippy_proc **slots = calloc(capacity, sizeof *slots);
    if (slots == NULL) return 0;
    for (uint32_t i = 0; i < m->capacity; i++) {
        wippy_proc *p = m->slots[i];
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
    wippy_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        lua_pop(L, 1);
        return NULL;
    }
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    p->text = text;
    p->len = len;
    p->hash = wippy_text_hash(text, len);
    /* the reference keeps the text where it is for as long as the record lives */
    p->pid_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    p->account = account;
    p->owner = owner;
    p->queue_ref = LUA_NOREF;
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
    if (m->running == p) m->running = NULL;
    if (wippy_running_here == p) wippy_running_here = NULL;
    uint32_t mask = m->capacity - 1;
    for (uint32_t i = p->hash & mask;; i = (i + 1) & mask) {
        if (m->slots[i] == p) {
            m->slots[i] = &wippy_tombstone;
            m->live--;
            break;
        }
        if (m->slots[i] == WIPPY_SLOT_EMPTY) break; /* not in the table (cannot happen) */
    }
    free(p);
}

void wippy_mailboxes_set_running(wippy_mailboxes *m, wippy_proc *p) {
    m->running = p;
    wippy_running_here = p;
}

static wippy_proc *wippy_mailboxes_find(wippy_mailboxes *m, const char *text, size_t len) {
    uint32_t mask = m->capacity - 1;
    for (uint32_t i = wippy_text_hash(text, len) & mask;; i = (i + 1) & mask) {
        wippy_proc *p = m->slots[i];
        if (p == WIPPY_SLOT_EMPTY) return NULL;
        if (p != &wippy_tombstone && p->len == len && (p->text == text || memcmp(p->text, text, len) == 0)) return p;
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
   table there is copied: `array` and `fields` size the copy). Nothing here may fail (the receiver's account
   may go over its limit: its next safe point checks it), and the copy is the receiver's. */
static void wippy_push_message(lua_State *L, wippy_mailboxes *m, wippy_proc *from, wippy_proc *to, int count,
                               int array, int fields) {
    /* a C function has LUA_MINSTACK free slots: this needs at most 5 (table copy: 4 above the message) */
    uint32_t previous = wippy_account_charge(m->memory, to->account);
    unsigned char *block = lua_newuserdatauv(L, 16, 3);
    uint32_t tag = (uint32_t)m->message_tag;
    int32_t payloads = count;
    memcpy(block, &tag, sizeof tag);
    memcpy(block + 8, &payloads, sizeof payloads);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, from->pid_ref);
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
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->message_metatable);
    lua_setmetatable(L, -2);
    wippy_account_charge(m->memory, previous);
}

/* Hands the message on top of L to the thread waiting in `to` and wakes it: `msg, true` are its receive's
   results. */
static void wippy_hand_off(lua_State *L, wippy_mailboxes *m, wippy_proc *to) {
    lua_State *R = to->waiting;
    to->waiting = NULL;
    lua_checkstack(R, 4);
    lua_xmove(L, R, 1);
    lua_pushboolean(R, 1);
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
    wippy_mailboxes *m = lua_touserdata(L, lua_upvalueindex(1));
    wippy_proc *from = m->running;
    int top = lua_gettop(L);
    if (from == NULL || top < 2 || top > 3 || lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING)
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
    wippy_push_message(L, m, from, to, top - 2, array, fields);
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
    wippy_push_with_fallback(L, wippy_process_send, m, fallback);
}

/* `ch:receive()`: on the running process's own inbox with messages queued in C, the oldest of them and true,
   with no Swift frame; anything else is the Swift native's. */
static int wippy_channel_receive(lua_State *L) {
    wippy_proc *p = wippy_running_here;
    if (p == NULL || p->head == p->tail || p->inbox == NULL || lua_touserdata(L, 1) != p->inbox)
        return wippy_native_fallback(L);
    lua_settop(L, 1);
    wippy_mailboxes_take(p, L);
    lua_pushboolean(L, 1);
    return 2;
}

void wippy_push_channel_receive(lua_State *L, wippy_mailboxes *m, wippy_native fallback) {
    wippy_push_with_fallback(L, wippy_channel_receive, m, fallback);
}
