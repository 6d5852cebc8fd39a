/*
 * CLua: the allocator of every state, memory accounts and their enforcement (see include/wippy_lua.h).
 *
 * Why accounts live in the allocator: all processes of a worker share one lua_State, so Lua's own totals
 * cannot tell which process holds what. Each block is tagged with its owner when it is made; a free is
 * taken off the owner's account whoever runs at the time (the collector frees one process's garbage while
 * another runs). The cost on the hot path is an add and a compare per allocation and a lookup per free.
 *
 * What an account does not see exactly:
 *  - garbage counts until the collector frees it, so a check collects before it judges;
 *  - a block keeps its first owner when another process resizes it (a shared cache table growing while
 *    some process runs), and a growing block whose owner has ended is charged to the current account: a
 *    worker's shared structures stay with whoever first made them (the worker for the registry and the
 *    string table, which exist before any process);
 *  - interned strings are shared: the process that made a string first pays for it;
 *  - tags keep 10 bits of generation: a block that outlives 1024 owners of its slot could be taken off the
 *    wrong account, lowering it (never raising it: that could only delay a doom, never cause one).
 */
#include "wippy_heap.h"
#include "wippy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A single request this large from an account without a limit is a runaway program, not memory pressure:
   refused while only Lua and C code runs (Swift code never asks for sizes like this). */
#define WIPPY_MAX_ALLOCATION ((size_t)1 << 30)
/* Held per state and given back when the system refuses memory while Swift code is on the stack, so the
   allocation can still succeed and the process be ended at its next safe point instead of aborting. Mapped
   directly (never touched: it costs address space, not memory), so that unmapping it surely gives the
   address space back (malloc might keep a freed block in its arena). */
#define WIPPY_RESERVE ((size_t)4 << 20)

static void *reserve_take(void) {
    void *p = mmap(NULL, WIPPY_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void reserve_give(void *p) {
    if (p != NULL) munmap(p, WIPPY_RESERVE);
}
#define GENERATION_MASK ((1u << (32 - WIPPY_ACCOUNT_SLOT_BITS)) - 1)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------- lists of flagged accounts */

/* A short list of slots; past WIPPY_MEMORY_LIST entries the count stays at WIPPY_MEMORY_LIST + 1 and takers
   scan every account for the flag instead. Entries whose account lost the flag (closed, taken) are skipped. */
static void list_push(uint32_t *list, uint32_t *count, uint32_t slot) {
    if (*count < WIPPY_MEMORY_LIST) list[*count] = slot;
    if (*count <= WIPPY_MEMORY_LIST) (*count)++;
}

static wippy_account *list_pop(wippy_memory *m, uint32_t *list, uint32_t *count, uint32_t flag) {
    while (*count > 0) {
        uint32_t slot = 0;
        if (*count <= WIPPY_MEMORY_LIST) {
            slot = list[--*count];
        } else {
            for (uint32_t i = 1; i < m->count; i++) {
                if (m->accounts[i].flags & flag) {
                    slot = i;
                    break;
                }
            }
            if (slot == 0) *count = 0;
        }
        wippy_account *a = &m->accounts[slot];
        if (slot != 0 && (a->flags & flag)) {
            a->flags &= ~flag;
            return a;
        }
    }
    return NULL;
}

static inline uint32_t slot_of(const wippy_account *a) { return a->tag & (WIPPY_ACCOUNT_SLOTS - 1); }

/* ---------------------------------------------------------------- flags, dooms */

/* The account passed its check: collect and judge at the next safe point. */
static void flag(wippy_memory *m, wippy_account *a) {
    if (a->flags & (WIPPY_ACCOUNT_PENDING | WIPPY_ACCOUNT_DOOMED)) return;
    a->flags |= WIPPY_ACCOUNT_PENDING;
    list_push(m->pending, &m->pending_count, slot_of(a));
    m->attention = 1;
    wippy_signal |= WIPPY_SIGNAL_CHECK;
    if (wippy_running != NULL) wippy_arm(wippy_running);
}

static void doom(wippy_memory *m, wippy_account *a, int system) {
    if (a->flags & WIPPY_ACCOUNT_DOOMED) return;
    a->flags |= WIPPY_ACCOUNT_DOOMED | WIPPY_ACCOUNT_LISTED | (system ? WIPPY_ACCOUNT_SYSTEM : 0);
    a->check = -1; /* every growth takes the slow path, which refuses it while only Lua runs */
    m->kills++;
    list_push(m->doomed, &m->doomed_count, slot_of(a));
    m->attention = 1;
    if (a == m->running && wippy_running != NULL)
        wippy_doom(wippy_running, system ? "out of memory" : "memory limit exceeded");
}

static inline int64_t hard_limit(const wippy_account *a) { return a->limit + a->limit / 2; }

/* Slow path of a growth by `growth` bytes of account `a` (past its check, or a huge request). Returns 1 to
   refuse it. A closed account (still charged by a process being discarded) has no limit and a small check
   (its free-list link): it comes here and is let through. */
static int over(wippy_memory *m, wippy_account *a, size_t growth) {
    /* the running process is doomed: while it unwinds to a yieldable point, Lua gets nothing more */
    if (wippy_may_fail && wippy_is_doomed(NULL)) return 1;
    if (a->limit == 0) return growth > WIPPY_MAX_ALLOCATION && wippy_may_fail;
    /* a doomed process gets nothing more while it unwinds to the scheduler */
    if (a->flags & WIPPY_ACCOUNT_DOOMED) return wippy_may_fail;
    int64_t after = a->bytes + (int64_t)growth;
    if (after > hard_limit(a) && wippy_may_fail) {
        /* Refused: Lua collects in an emergency and asks again. Refused again (or a request that could never
           fit), the process is over its limit with live data. */
        if ((int64_t)growth > hard_limit(a) || (m->refused_tag == a->tag && m->refused_size == growth)) {
            m->refused_tag = 0;
            doom(m, a, 0);
        } else {
            m->refused_tag = a->tag;
            m->refused_size = growth;
            flag(m, a);
        }
        return 1;
    }
    if (after > a->check) flag(m, a);
    return 0;
}

/* The system refused `nsize` bytes. Returns the block, or NULL when the failure may be reported to Lua. */
static void *after_failure(wippy_memory *m, wippy_account *a, void *ptr, size_t osize, size_t nsize, uint32_t tag) {
    int shrink = ptr != NULL && nsize <= osize; /* Lua assumes shrinking never fails */
    m->starved = 1;
    m->attention = 1;
    a->flags |= WIPPY_ACCOUNT_STARVED;
    if (wippy_may_fail && !shrink) return NULL;
    if (m->reserve != NULL) {
        reserve_give(m->reserve);
        m->reserve = NULL;
        void *block = ptr == NULL ? wippy_heap_alloc(m->heap, nsize, tag)
                                  : wippy_heap_resize(m->heap, ptr, osize, nsize, tag);
        if (block != NULL) {
            if (a != &m->accounts[0]) doom(m, a, 1);
            return block;
        }
    }
    fprintf(stderr, "wippy: out of memory (Lua allocation of %zu bytes)\n", nsize);
    abort();
}

/* ---------------------------------------------------------------- the allocator */

static __attribute__((noinline)) void *wippy_alloc_general(wippy_memory *m, void *ptr, size_t osize, size_t nsize);

/* Every Lua allocation comes here. The common cases, a small block from the first partial slab (its free list
   or its never-used blocks) that leaves the slab partial, for an account under its check, and a small block back to a slab that stays
   partial and not empty, are handled without a call, so that they need no stack frame (the general code
   saves six registers for its calls). Everything else is wippy_alloc_general's, which makes the same
   decisions these do. */
static void *wippy_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    wippy_memory *m = (wippy_memory *)ud;
    wippy_heap *heap = (wippy_heap *)m->heap;
    if (nsize == 0) {
        if (likely(ptr != NULL && heap != NULL && osize <= WIPPY_HEAP_MAX_SMALL)) {
            wippy_slab *s = wippy_slab_of(ptr);
            if (likely(s->partial && s->live > 1)) {
                uint32_t tag = *wippy_tag_slot(s, ptr);
                *(void **)ptr = s->freelist;
                s->freelist = ptr;
                s->live--;
                m->bytes -= osize;
                wippy_account *a = wippy_account_get(m, tag);
                if (a != NULL) a->bytes -= (int64_t)osize;
                return NULL;
            }
        }
    } else if (ptr == NULL && likely(heap != NULL && nsize <= WIPPY_HEAP_MAX_SMALL)) {
        wippy_account *a = m->current;
        wippy_slab *s = heap->partial[wippy_class_of(nsize)];
        if (likely(a->bytes + (int64_t)nsize <= a->check && s != NULL)) {
            void *block = s->freelist;
            if (block != NULL) {
                void *rest = *(void **)block;
                if (unlikely(rest == NULL)) return wippy_alloc_general(m, ptr, osize, nsize);
                s->freelist = rest;
            } else {
                /* a slab being filled for the first time (between collections, new blocks come from here) */
                block = s->bump;
                if (unlikely(s->bump + 2 * (size_t)s->size > s->end)) return wippy_alloc_general(m, ptr, osize, nsize);
                s->bump += s->size;
            }
            s->live++;
            *wippy_tag_slot(s, block) = m->current_tag;
            a->bytes += (int64_t)nsize;
            m->bytes += nsize;
            if (m->bytes > m->peak) m->peak = m->bytes;
            return block;
        }
    }
    return wippy_alloc_general(m, ptr, osize, nsize);
}

static void *wippy_alloc_general(wippy_memory *m, void *ptr, size_t osize, size_t nsize) {
    if (nsize == 0) {
        if (ptr != NULL) {
            uint32_t tag = wippy_heap_free(m->heap, ptr, osize);
            m->bytes -= osize;
            wippy_account *a = wippy_account_get(m, tag);
            if (a != NULL) a->bytes -= (int64_t)osize;
        }
        return NULL;
    }
    if (ptr == NULL) {
        /* osize is Lua's object-type hint here, not a size */
        wippy_account *a = m->current;
        if (unlikely(a->bytes + (int64_t)nsize > a->check || nsize > WIPPY_MAX_ALLOCATION) && over(m, a, nsize))
            return NULL;
        void *block = wippy_heap_alloc(m->heap, nsize, m->current_tag);
        if (unlikely(block == NULL) && (block = after_failure(m, a, NULL, 0, nsize, m->current_tag)) == NULL)
            return NULL;
        a->bytes += (int64_t)nsize;
        m->bytes += nsize;
        if (m->bytes > m->peak) m->peak = m->bytes;
        return block;
    }
    /* A resize keeps the block's owner. A block whose owner has ended is charged whole to the current account
       when it grows (a pooled thread's stack in its new process) and to the worker when it shrinks (the
       collector shrinking it while anyone runs). */
    uint32_t tag = wippy_heap_tag(m->heap, ptr, osize);
    wippy_account *a = wippy_account_get(m, tag);
    int64_t charged = (int64_t)osize;
    if (a == NULL) {
        charged = 0;
        if (nsize > osize) {
            a = m->current;
            tag = m->current_tag;
        } else {
            a = &m->accounts[0];
            tag = 0;
        }
    }
    if (nsize > osize) {
        size_t growth = nsize - (size_t)charged;
        if (unlikely(a->bytes + (int64_t)growth > a->check || growth > WIPPY_MAX_ALLOCATION) && over(m, a, growth))
            return NULL;
    }
    void *block = wippy_heap_resize(m->heap, ptr, osize, nsize, tag);
    if (unlikely(block == NULL) && (block = after_failure(m, a, ptr, osize, nsize, tag)) == NULL) return NULL;
    a->bytes += (int64_t)nsize - charged;
    m->bytes += nsize;
    m->bytes -= osize;
    if (m->bytes > m->peak) m->peak = m->bytes;
    return block;
}

/* ---------------------------------------------------------------- states */

static int wippy_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "wippy: unprotected Lua error: %s\n", msg ? msg : "(error object is not a string)");
    abort();
    return 0;
}

lua_State *wippy_newstate(void) {
    wippy_memory *m = calloc(1, sizeof(wippy_memory));
    if (m == NULL) return NULL;
    m->capacity = 64;
    m->accounts = calloc(m->capacity, sizeof(wippy_account));
    if (m->accounts == NULL) {
        free(m);
        return NULL;
    }
    m->count = 1;
    m->accounts[0].check = INT64_MAX;
    m->accounts[0].flags = WIPPY_ACCOUNT_OPEN;
    m->current = &m->accounts[0];
    /* WIPPY_LUA_MALLOC=1 sends every Lua allocation to malloc (for memory checkers such as valgrind). */
    const char *plain = getenv("WIPPY_LUA_MALLOC");
    m->heap = (plain != NULL && plain[0] == '1') ? NULL : wippy_heap_create();
    m->reserve = reserve_take();
    lua_State *L = lua_newstate(wippy_alloc, m);
    if (L == NULL) {
        wippy_heap_destroy((wippy_heap *)m->heap);
        reserve_give(m->reserve);
        free(m->accounts);
        free(m);
        return NULL;
    }
    lua_atpanic(L, wippy_panic);
    return L;
}

wippy_memory *wippy_memory_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (wippy_memory *)ud;
}

void wippy_close(lua_State *L) {
    wippy_memory *m = wippy_memory_of(L);
    lua_close(L);
    wippy_heap_destroy((wippy_heap *)m->heap);
    reserve_give(m->reserve);
    free(m->accounts);
    free(m);
}

size_t wippy_heap_mapped_bytes(const wippy_memory *m) { return wippy_heap_mapped((const wippy_heap *)m->heap); }

void wippy_memory_recover(lua_State *L, int force) {
    wippy_memory *m = wippy_memory_of(L);
    if (!m->starved && !force) return;
    m->starved = 0;
    lua_gc(L, LUA_GCCOLLECT);
    m->collections++;
    if (m->reserve == NULL) m->reserve = reserve_take();
}

int wippy_memory_room(lua_State *L, size_t size) {
    void *probe = malloc(size);
    if (probe == NULL) {
        wippy_memory *m = wippy_memory_of(L);
        if (m->reserve == NULL) return 0;
        reserve_give(m->reserve);
        m->reserve = NULL;
        /* the next safe point collects and takes the reserve back (wippy_memory_recover) */
        m->starved = 1;
        m->attention = 1;
        probe = malloc(size);
        if (probe == NULL) return 0;
    }
    free(probe);
    return 1;
}

/* ---------------------------------------------------------------- accounts */

uint32_t wippy_account_open(wippy_memory *m, int64_t limit, void *owner) {
    uint32_t slot;
    if (m->free_slot != 0) {
        /* FIFO through the free slots: a slot is reused only after all other free ones, so its generation
           advances slowly */
        slot = (uint32_t)m->free_slot;
        m->free_slot = m->accounts[slot].check;
        if (m->free_slot == 0) m->free_tail = 0;
    } else {
        if (m->count == WIPPY_ACCOUNT_SLOTS) return 0;
        if (m->count == m->capacity) {
            size_t current = (size_t)(m->current - m->accounts);
            size_t running = m->running != NULL ? (size_t)(m->running - m->accounts) : 0;
            uint32_t capacity = m->capacity * 2;
            wippy_account *grown = realloc(m->accounts, capacity * sizeof(wippy_account));
            if (grown == NULL) return 0;
            m->accounts = grown;
            m->capacity = capacity;
            m->current = &grown[current];
            if (m->running != NULL) m->running = &grown[running];
        }
        slot = m->count++;
        m->accounts[slot].tag = slot;
    }
    wippy_account *a = &m->accounts[slot];
    a->bytes = 0;
    a->queued = 0;
    a->limit = limit > 0 ? limit : 0;
    a->check = limit > 0 ? limit : INT64_MAX;
    a->owner = owner;
    a->flags = WIPPY_ACCOUNT_OPEN;
    return a->tag;
}

void wippy_account_close(wippy_memory *m, uint32_t tag) {
    wippy_account *a = wippy_account_get(m, tag);
    if (a == NULL || tag == 0) return;
    if (m->current == a) {
        m->current = &m->accounts[0];
        m->current_tag = 0;
    }
    if (m->running == a) m->running = NULL;
    uint32_t slot = slot_of(a);
    uint32_t generation = ((a->tag >> WIPPY_ACCOUNT_SLOT_BITS) + 1) & GENERATION_MASK;
    a->tag = slot | (generation << WIPPY_ACCOUNT_SLOT_BITS);
    a->flags = 0;
    a->owner = NULL;
    a->bytes = 0;
    a->queued = 0;
    a->limit = 0;
    a->check = 0;
    if (m->free_tail != 0) m->accounts[m->free_tail].check = slot;
    else m->free_slot = slot;
    m->free_tail = slot;
}

void wippy_account_set_limit(wippy_memory *m, uint32_t tag, int64_t limit) {
    wippy_account *a = wippy_account_get(m, tag);
    if (a == NULL || tag == 0 || (a->flags & WIPPY_ACCOUNT_DOOMED)) return;
    a->limit = limit > 0 ? limit : 0;
    a->check = limit > 0 ? limit : INT64_MAX;
    if (a->limit != 0 && a->bytes > a->check) flag(m, a);
}

void wippy_account_flag(wippy_memory *m, wippy_account *a) {
    if (a->limit != 0 && (a->flags & WIPPY_ACCOUNT_OPEN)) flag(m, a);
}

void *wippy_memory_take_doomed(wippy_memory *m) {
    wippy_account *a = list_pop(m, m->doomed, &m->doomed_count, WIPPY_ACCOUNT_LISTED);
    if (m->doomed_count == 0 && m->pending_count == 0 && !m->starved && !wippy_is_doomed(NULL)) m->attention = 0;
    return a != NULL ? a->owner : NULL;
}

/* ---------------------------------------------------------------- checks */

/* After a collection: the next check comes once the account has grown by a quarter of its limit past what
   is live now, and not before it reaches the limit. A process living just under its limit while it makes
   garbage is collected at most once per limit/4 bytes it allocates, never at every allocation. */
static int64_t next_check(const wippy_account *a) {
    int64_t next = a->bytes + a->limit / 4;
    return next > a->limit ? next : a->limit;
}

int wippy_memory_check(lua_State *L) {
    wippy_memory *m = wippy_memory_of(L);
    wippy_signal &= ~WIPPY_SIGNAL_CHECK;
    int collected = 0;
    wippy_account *a;
    while ((a = list_pop(m, m->pending, &m->pending_count, WIPPY_ACCOUNT_PENDING)) != NULL) {
        uint32_t slot = slot_of(a);
        m->checks++;
        if ((a->flags & WIPPY_ACCOUNT_DOOMED) || a->limit == 0 || a->bytes <= a->check) continue;
        /* A young collection frees what was made and dropped since the last one (the usual garbage); a full
           one also what had grown old. The collector may run finalizers, which may open no account but may
           move the table: look the account up again after each. */
        if (collected < 1) {
            lua_gc(L, LUA_GCSTEP, 0);
            collected = 1;
            m->collections++;
            a = &m->accounts[slot];
        }
        if (a->bytes > a->limit && collected < 2) {
            lua_gc(L, LUA_GCCOLLECT);
            collected = 2;
            m->collections++;
            a = &m->accounts[slot];
        }
        if (a->bytes > a->limit) doom(m, a, 0);
        else a->check = next_check(a);
    }
    m->attention = m->doomed_count > 0 || m->starved || wippy_is_doomed(L);
    return m->running != NULL && (m->running->flags & WIPPY_ACCOUNT_DOOMED) != 0;
}
