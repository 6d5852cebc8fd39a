/*
 * CLua (private): the small-object heap used by each Lua state's allocator. See wippy_heap.c.
 *
 * The fast paths (a block from a partial slab, a block back to its slab) are inline here so that the
 * allocator, which runs for every Lua object, makes no call for them.
 */
#ifndef WIPPY_HEAP_H
#define WIPPY_HEAP_H

#include <stddef.h>
#include <stdint.h>

/** Blocks up to this size come from slabs; larger ones from malloc. */
#define WIPPY_HEAP_MAX_SMALL 1024

#define WIPPY_SLAB_SIZE ((size_t)64 * 1024)
/* In front of each malloc block: its tag (16 bytes keep malloc's alignment). */
#define WIPPY_LARGE_HEADER ((size_t)16)
/* 8-byte steps up to 128, then 16-byte steps up to 1024. */
#define WIPPY_CLASS_COUNT (16 + (WIPPY_HEAP_MAX_SMALL - 128) / 16)

typedef struct wippy_slab {
    struct wippy_slab *next;
    struct wippy_slab *prev;
    void *freelist;   /* freed blocks, linked through their first word */
    char *bump;       /* first never-used block */
    char *end;        /* end of the block area */
    char *blocks;     /* first block; the tag array runs from the end of this header to here */
    uint32_t magic;   /* ceil(2^32 / size): a block's index is its offset from `blocks` times this, >> 32 */
    uint32_t live;    /* blocks in use */
    uint32_t size;    /* block size */
    uint16_t cls;
    uint16_t partial; /* in its class's partial list */
} wippy_slab;

#define WIPPY_SLAB_HEADER ((sizeof(wippy_slab) + 15) & ~(size_t)15)

typedef struct wippy_segment wippy_segment;

typedef struct wippy_heap {
    wippy_slab *partial[WIPPY_CLASS_COUNT]; /* slabs with at least one free block */
    wippy_slab *hot;                        /* empty slabs, pages still resident */
    wippy_slab *cold;                       /* empty slabs whose pages were returned */
    int hot_count;
    char *carve;                            /* next uncarved slab of the newest segment */
    char *carve_end;
    wippy_segment *segments;
    size_t mapped;                          /* bytes of all segments */
} wippy_heap;

/** A new, empty heap (NULL if out of memory). Confined to one thread at a time. */
wippy_heap *wippy_heap_create(void);

/** Returns all memory of the heap to the system; every block from it becomes invalid. */
void wippy_heap_destroy(wippy_heap *heap);

/** Bytes of address space the heap has mapped for slabs (not counting blocks from malloc). */
size_t wippy_heap_mapped(const wippy_heap *heap);

/*
 * Every block carries a 32-bit tag: the account (process) that owns it, so that a free, which may happen
 * while any other process runs, is taken off the right account. Slab blocks keep their tags in an array at
 * the start of their slab; malloc blocks in a 16-byte header. A NULL heap sends every block to malloc (for
 * memory checkers such as valgrind).
 *
 * Sizes are Lua's: the allocator is always told the size of the block it frees or resizes.
 */

/* ---- slow paths (wippy_heap.c) ---- */

/** A new slab of class `cls`, already in its partial list; NULL when the system refuses memory. */
wippy_slab *wippy_heap_new_slab(wippy_heap *heap, int cls);
/** Takes an empty slab out of use (kept for reuse, or its pages given back). */
void wippy_heap_release_slab(wippy_heap *heap, wippy_slab *s);
void *wippy_heap_large_alloc(size_t n, uint32_t tag);
uint32_t wippy_heap_large_free(void *p);

/** Resizes block `p` from `osize` to `nsize` (> 0) bytes, now owned by `tag`: the same or a new block (the
    contents kept up to the smaller size), or NULL, leaving `p` as it was, when memory cannot be had. */
void *wippy_heap_resize(wippy_heap *heap, void *p, size_t osize, size_t nsize, uint32_t tag);

/* ---- fast paths ---- */

/* n in 8-byte units, rounded up (k), gives the class: k - 1 up to 128 bytes; past that, two units a class,
   15 + ceil((k - 16) / 2) = (k + 15) / 2 (a select, where two divisions and a branch cost more). */
static inline int wippy_class_of(size_t n) {
    size_t k = (n + 7) >> 3;
    return (int)(k <= 16 ? k - 1 : (k + 15) >> 1);
}

static inline wippy_slab *wippy_slab_of(const void *p) {
    return (wippy_slab *)((uintptr_t)p & ~(uintptr_t)(WIPPY_SLAB_SIZE - 1));
}

/* The tag slot of block `p` in its slab. Exact for every offset in a slab: offsets are below 2^16, sizes at
   most 2^10, so the rounding error of the reciprocal (below 2^-16) never reaches the next integer. */
static inline uint32_t *wippy_tag_slot(wippy_slab *s, const void *p) {
    uint64_t offset = (uint64_t)((const char *)p - s->blocks);
    return (uint32_t *)((char *)s + WIPPY_SLAB_HEADER) + ((offset * s->magic) >> 32);
}

static inline int wippy_heap_is_small(const wippy_heap *heap, size_t size) {
    return heap != NULL && size <= WIPPY_HEAP_MAX_SMALL;
}

static inline void wippy_partial_push(wippy_heap *heap, wippy_slab *s) {
    wippy_slab *head = heap->partial[s->cls];
    s->prev = NULL;
    s->next = head;
    if (head != NULL) head->prev = s;
    heap->partial[s->cls] = s;
    s->partial = 1;
}

static inline void wippy_partial_remove(wippy_heap *heap, wippy_slab *s) {
    if (s->prev != NULL) s->prev->next = s->next;
    else heap->partial[s->cls] = s->next;
    if (s->next != NULL) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->partial = 0;
}

static inline void *wippy_small_alloc(wippy_heap *heap, size_t n, uint32_t tag) {
    int cls = wippy_class_of(n);
    wippy_slab *s = heap->partial[cls];
    if (s == NULL && (s = wippy_heap_new_slab(heap, cls)) == NULL) return NULL;
    void *block = s->freelist;
    if (block != NULL) {
        s->freelist = *(void **)block;
    } else {
        block = s->bump;
        s->bump += s->size;
    }
    s->live++;
    *wippy_tag_slot(s, block) = tag;
    if (s->freelist == NULL && s->bump + s->size > s->end) wippy_partial_remove(heap, s);
    return block;
}

static inline void wippy_small_free(wippy_heap *heap, void *block) {
    wippy_slab *s = wippy_slab_of(block);
    *(void **)block = s->freelist;
    s->freelist = block;
    s->live--;
    if (s->live == 0) {
        if (s->partial) wippy_partial_remove(heap, s);
        wippy_heap_release_slab(heap, s);
        return;
    }
    if (!s->partial) wippy_partial_push(heap, s);
}

/** A new block of `n` (> 0) bytes owned by `tag`; NULL when memory cannot be had. */
static inline void *wippy_heap_alloc(wippy_heap *heap, size_t n, uint32_t tag) {
    if (wippy_heap_is_small(heap, n)) return wippy_small_alloc(heap, n, tag);
    return wippy_heap_large_alloc(n, tag);
}

/** The tag of block `p` of `size` bytes. */
static inline uint32_t wippy_heap_tag(const wippy_heap *heap, const void *p, size_t size) {
    if (wippy_heap_is_small(heap, size)) return *wippy_tag_slot(wippy_slab_of(p), p);
    return *(const uint32_t *)((const char *)p - WIPPY_LARGE_HEADER);
}

/** Frees block `p` of `size` bytes; returns its tag. */
static inline uint32_t wippy_heap_free(wippy_heap *heap, void *p, size_t size) {
    if (wippy_heap_is_small(heap, size)) {
        uint32_t tag = *wippy_tag_slot(wippy_slab_of(p), p);
        wippy_small_free(heap, p);
        return tag;
    }
    return wippy_heap_large_free(p);
}

#endif
