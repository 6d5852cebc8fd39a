/*
 * CLua: the small-object heap behind each Lua state's allocator.
 *
 * Lua tells its allocator the size of every block it frees, so a block needs no size header. Blocks up to
 * WIPPY_HEAP_MAX_SMALL bytes come from slabs: 64 KiB pieces of memory, each holding blocks of one size class,
 * carved from larger mapped segments. Objects of one size sit together, so a burst of short-lived garbage
 * (messages, strings) does not leave holes between long-lived objects (idle processes), and allocation is a
 * free-list pop with no lock: a heap belongs to one Lua state, which one thread uses at a time.
 *
 * Each block carries the 32-bit tag of the account (process) that owns it. A slab keeps the tags of its
 * blocks in an array between its header and its first block: 4 bytes per block, where a header in front of
 * each block would cost 8 (Lua needs 8-byte alignment) and would push many objects into the next size class.
 * A block's index is found with a multiplication by a per-slab reciprocal, not a division.
 *
 * Empty slabs are kept for reuse; past a small number, their pages (all but the header page) are handed back
 * to the system with madvise. Larger blocks go to malloc, behind a 16-byte header holding the tag.
 */
#include "wippy_heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_SIZE ((size_t)64 * 1024)
#define SEGMENT_SLABS 32 /* 2 MiB per segment */
#define HOT_EMPTY_SLABS 8
#define PAGE ((size_t)4096)

/* 8-byte steps up to 128, then 16-byte steps up to 1024. */
#define CLASS_COUNT (16 + (WIPPY_HEAP_MAX_SMALL - 128) / 16)

typedef struct slab {
    struct slab *next;
    struct slab *prev;
    void *freelist;   /* freed blocks, linked through their first word */
    char *bump;       /* first never-used block */
    char *end;        /* end of the block area */
    char *blocks;     /* first block; the tag array runs from the end of this header to here */
    uint32_t magic;   /* ceil(2^32 / size): a block's index is its offset from `blocks` times this, >> 32 */
    uint32_t live;    /* blocks in use */
    uint32_t size;    /* block size */
    uint16_t cls;
    uint16_t partial; /* in its class's partial list */
} slab;

#define SLAB_HEADER ((sizeof(slab) + 15) & ~(size_t)15)

typedef struct segment {
    struct segment *next;
    char *base;      /* mapping start (for munmap) */
    size_t length;   /* mapping length */
} segment;

struct wippy_heap {
    slab *partial[CLASS_COUNT]; /* slabs with at least one free block */
    slab *hot;                  /* empty slabs, pages still resident */
    slab *cold;                 /* empty slabs whose pages were returned */
    int hot_count;
    char *carve;                /* next uncarved slab of the newest segment */
    char *carve_end;
    segment *segments;
    size_t mapped;              /* bytes of all segments */
};

static inline int class_of(size_t n) {
    if (n <= 128) return (int)((n + 7) >> 3) - 1;
    return 15 + (int)((n - 128 + 15) >> 4);
}

static inline size_t class_size(int cls) {
    if (cls < 16) return (size_t)(cls + 1) << 3;
    return 128 + ((size_t)(cls - 15) << 4);
}

static inline slab *slab_of(void *p) { return (slab *)((uintptr_t)p & ~(uintptr_t)(SLAB_SIZE - 1)); }

wippy_heap *wippy_heap_create(void) {
    wippy_heap *heap = calloc(1, sizeof(wippy_heap));
    return heap;
}

void wippy_heap_destroy(wippy_heap *heap) {
    if (heap == NULL) return;
    segment *seg = heap->segments;
    while (seg != NULL) {
        segment *next = seg->next;
        munmap(seg->base, seg->length);
        free(seg);
        seg = next;
    }
    free(heap);
}

size_t wippy_heap_mapped(const wippy_heap *heap) { return heap != NULL ? heap->mapped : 0; }

/* Maps a new segment aligned to SLAB_SIZE; false when the system refuses. */
static int add_segment(wippy_heap *heap) {
    size_t want = SEGMENT_SLABS * SLAB_SIZE;
    size_t length = want + SLAB_SIZE;
    char *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return 0;
    segment *seg = malloc(sizeof(segment));
    if (seg == NULL) {
        munmap(base, length);
        return 0;
    }
    char *aligned = (char *)(((uintptr_t)base + SLAB_SIZE - 1) & ~(uintptr_t)(SLAB_SIZE - 1));
    seg->base = base;
    seg->length = length;
    seg->next = heap->segments;
    heap->segments = seg;
    heap->carve = aligned;
    heap->carve_end = aligned + want;
    heap->mapped += length;
    return 1;
}

static slab *take_empty_slab(wippy_heap *heap) {
    slab *s = heap->hot;
    if (s != NULL) {
        heap->hot = s->next;
        heap->hot_count--;
        return s;
    }
    s = heap->cold;
    if (s != NULL) {
        heap->cold = s->next;
        return s;
    }
    if (heap->carve == heap->carve_end && !add_segment(heap)) return NULL;
    s = (slab *)heap->carve;
    heap->carve += SLAB_SIZE;
    return s;
}

static inline void partial_push(wippy_heap *heap, slab *s) {
    slab *head = heap->partial[s->cls];
    s->prev = NULL;
    s->next = head;
    if (head != NULL) head->prev = s;
    heap->partial[s->cls] = s;
    s->partial = 1;
}

static inline void partial_remove(wippy_heap *heap, slab *s) {
    if (s->prev != NULL) s->prev->next = s->next;
    else heap->partial[s->cls] = s->next;
    if (s->next != NULL) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->partial = 0;
}

/* Lays out slab `s` for blocks of class `cls`: header, one tag per block, the blocks (8-byte aligned). */
static void format_slab(slab *s, int cls) {
    size_t size = class_size(cls);
    size_t count = (SLAB_SIZE - SLAB_HEADER) / (size + sizeof(uint32_t));
    while (SLAB_HEADER + ((count * sizeof(uint32_t) + 7) & ~(size_t)7) + count * size > SLAB_SIZE) count--;
    s->freelist = NULL;
    s->size = (uint32_t)size;
    s->magic = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
    s->cls = (uint16_t)cls;
    s->live = 0;
    s->blocks = (char *)s + SLAB_HEADER + ((count * sizeof(uint32_t) + 7) & ~(size_t)7);
    s->bump = s->blocks;
    s->end = s->blocks + count * size;
}

static slab *new_slab(wippy_heap *heap, int cls) {
    slab *s = take_empty_slab(heap);
    if (s == NULL) return NULL;
    format_slab(s, cls);
    partial_push(heap, s);
    return s;
}

/* The tag slot of block `p` in its slab. Exact for every offset in a slab: offsets are below 2^16, sizes at
   most 2^10, so the rounding error of the reciprocal (below 2^-16) never reaches the next integer. */
static inline uint32_t *tag_slot(slab *s, const void *p) {
    uint64_t offset = (uint64_t)((const char *)p - s->blocks);
    return (uint32_t *)((char *)s + SLAB_HEADER) + ((offset * s->magic) >> 32);
}

static inline int slab_full(slab *s) { return s->freelist == NULL && s->bump + s->size > s->end; }

static void *small_alloc(wippy_heap *heap, size_t n, uint32_t tag) {
    int cls = class_of(n);
    slab *s = heap->partial[cls];
    if (s == NULL && (s = new_slab(heap, cls)) == NULL) return NULL;
    void *block = s->freelist;
    if (block != NULL) {
        s->freelist = *(void **)block;
    } else {
        block = s->bump;
        s->bump += s->size;
    }
    s->live++;
    *tag_slot(s, block) = tag;
    if (slab_full(s)) partial_remove(heap, s);
    return block;
}

static void release_slab(wippy_heap *heap, slab *s) {
    if (heap->hot_count < HOT_EMPTY_SLABS) {
        s->next = heap->hot;
        heap->hot = s;
        heap->hot_count++;
        return;
    }
    /* Keep the header page (it holds the link); give the rest back. */
    madvise((char *)s + PAGE, SLAB_SIZE - PAGE, MADV_DONTNEED);
    s->next = heap->cold;
    heap->cold = s;
}

static void small_free(wippy_heap *heap, void *block) {
    slab *s = slab_of(block);
    *(void **)block = s->freelist;
    s->freelist = block;
    s->live--;
    if (s->live == 0) {
        if (s->partial) partial_remove(heap, s);
        release_slab(heap, s);
        return;
    }
    if (!s->partial) partial_push(heap, s);
}

/* ---- blocks from malloc, behind a header holding the tag ---- */

#define LARGE_HEADER ((size_t)16)

static void *large_alloc(size_t n, uint32_t tag) {
    char *raw = malloc(n + LARGE_HEADER);
    if (raw == NULL) return NULL;
    *(uint32_t *)raw = tag;
    return raw + LARGE_HEADER;
}

static inline char *large_raw(const void *p) { return (char *)p - LARGE_HEADER; }

static inline int is_small(const wippy_heap *heap, size_t size) {
    return heap != NULL && size <= WIPPY_HEAP_MAX_SMALL;
}

void *wippy_heap_alloc(wippy_heap *heap, size_t n, uint32_t tag) {
    /* (n > 0: Lua never asks for empty blocks) */
    if (is_small(heap, n)) return small_alloc(heap, n, tag);
    return large_alloc(n, tag);
}

uint32_t wippy_heap_tag(const wippy_heap *heap, const void *p, size_t size) {
    if (is_small(heap, size)) return *tag_slot(slab_of((void *)p), p);
    return *(const uint32_t *)large_raw(p);
}

uint32_t wippy_heap_free(wippy_heap *heap, void *p, size_t size) {
    if (is_small(heap, size)) {
        slab *s = slab_of(p);
        uint32_t tag = *tag_slot(s, p);
        small_free(heap, p);
        return tag;
    }
    char *raw = large_raw(p);
    uint32_t tag = *(uint32_t *)raw;
    free(raw);
    return tag;
}

void *wippy_heap_resize(wippy_heap *heap, void *p, size_t osize, size_t nsize, uint32_t tag) {
    int old_small = is_small(heap, osize);
    int new_small = is_small(heap, nsize);
    if (!old_small && !new_small) {
        char *raw = realloc(large_raw(p), nsize + LARGE_HEADER);
        if (raw == NULL) return NULL;
        *(uint32_t *)raw = tag;
        return raw + LARGE_HEADER;
    }
    if (old_small && new_small && class_of(osize) == class_of(nsize)) {
        *tag_slot(slab_of(p), p) = tag;
        return p;
    }
    void *block = new_small ? small_alloc(heap, nsize, tag) : large_alloc(nsize, tag);
    if (block == NULL) return NULL;
    memcpy(block, p, osize < nsize ? osize : nsize);
    if (old_small) small_free(heap, p);
    else free(large_raw(p));
    return block;
}
