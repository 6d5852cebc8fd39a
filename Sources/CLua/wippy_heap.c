/*
 * CLua: the small-object heap behind each Lua state's allocator.
 *
 * Lua tells its allocator the size of every block it frees, so a block needs no header. Blocks up to
 * WIPPY_HEAP_MAX_SMALL bytes come from slabs: 64 KiB pieces of memory, each holding blocks of one size class,
 * carved from larger mapped segments. Objects of one size sit together, so a burst of short-lived garbage
 * (messages, strings) does not leave holes between long-lived objects (idle processes), and allocation is a
 * free-list pop with no lock: a heap belongs to one Lua state, which one thread uses at a time.
 *
 * Empty slabs are kept for reuse; past a small number, their pages (all but the header page) are handed back
 * to the system with madvise. Larger blocks go to malloc.
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

static slab *new_slab(wippy_heap *heap, int cls) {
    slab *s = take_empty_slab(heap);
    if (s == NULL) return NULL;
    s->freelist = NULL;
    s->size = (uint32_t)class_size(cls);
    s->cls = (uint16_t)cls;
    s->live = 0;
    s->bump = (char *)s + SLAB_HEADER;
    s->end = (char *)s + SLAB_SIZE;
    partial_push(heap, s);
    return s;
}

static inline int slab_full(slab *s) { return s->freelist == NULL && s->bump + s->size > s->end; }

static void *small_alloc(wippy_heap *heap, size_t n) {
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

void *wippy_heap_realloc(wippy_heap *heap, void *ptr, size_t osize, size_t nsize) {
    if (ptr == NULL) {
        /* osize is Lua's object-type hint here, not a size. */
        if (nsize <= WIPPY_HEAP_MAX_SMALL) return small_alloc(heap, nsize);
        return malloc(nsize);
    }
    int old_small = osize <= WIPPY_HEAP_MAX_SMALL;
    if (nsize == 0) {
        if (old_small) small_free(heap, ptr);
        else free(ptr);
        return NULL;
    }
    int new_small = nsize <= WIPPY_HEAP_MAX_SMALL;
    if (!old_small && !new_small) return realloc(ptr, nsize);
    if (old_small && new_small && class_of(osize) == class_of(nsize)) return ptr;
    void *block = new_small ? small_alloc(heap, nsize) : malloc(nsize);
    if (block == NULL) return NULL;
    memcpy(block, ptr, osize < nsize ? osize : nsize);
    if (old_small) small_free(heap, ptr);
    else free(ptr);
    return block;
}
