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

#define SEGMENT_SLABS 32 /* 2 MiB per segment */
#define HOT_EMPTY_SLABS 8
#define PAGE ((size_t)4096)

struct wippy_segment {
    struct wippy_segment *next;
    char *base;      /* mapping start (for munmap) */
    size_t length;   /* mapping length */
};

static inline size_t class_size(int cls) {
    if (cls < 16) return (size_t)(cls + 1) << 3;
    return 128 + ((size_t)(cls - 15) << 4);
}

wippy_heap *wippy_heap_create(void) {
    wippy_heap *heap = calloc(1, sizeof(wippy_heap));
    return heap;
}

void wippy_heap_destroy(wippy_heap *heap) {
    if (heap == NULL) return;
    wippy_segment *seg = heap->segments;
    while (seg != NULL) {
        wippy_segment *next = seg->next;
        munmap(seg->base, seg->length);
        free(seg);
        seg = next;
    }
    free(heap);
}

size_t wippy_heap_mapped(const wippy_heap *heap) { return heap != NULL ? heap->mapped : 0; }

/* Maps a new segment aligned to WIPPY_SLAB_SIZE; false when the system refuses. */
static int add_segment(wippy_heap *heap) {
    size_t want = SEGMENT_SLABS * WIPPY_SLAB_SIZE;
    size_t length = want + WIPPY_SLAB_SIZE;
    char *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return 0;
    wippy_segment *seg = malloc(sizeof(wippy_segment));
    if (seg == NULL) {
        munmap(base, length);
        return 0;
    }
    char *aligned = (char *)(((uintptr_t)base + WIPPY_SLAB_SIZE - 1) & ~(uintptr_t)(WIPPY_SLAB_SIZE - 1));
    seg->base = base;
    seg->length = length;
    seg->next = heap->segments;
    heap->segments = seg;
    heap->carve = aligned;
    heap->carve_end = aligned + want;
    heap->mapped += length;
    return 1;
}

static wippy_slab *take_empty_slab(wippy_heap *heap) {
    wippy_slab *s = heap->hot;
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
    s = (wippy_slab *)heap->carve;
    heap->carve += WIPPY_SLAB_SIZE;
    return s;
}

/* Lays out slab `s` for blocks of class `cls`: header, one tag per block, the blocks (8-byte aligned). */
static void format_slab(wippy_slab *s, int cls) {
    size_t size = class_size(cls);
    size_t count = (WIPPY_SLAB_SIZE - WIPPY_SLAB_HEADER) / (size + sizeof(uint32_t));
    while (WIPPY_SLAB_HEADER + ((count * sizeof(uint32_t) + 7) & ~(size_t)7) + count * size > WIPPY_SLAB_SIZE) count--;
    s->freelist = NULL;
    s->size = (uint32_t)size;
    s->magic = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
    s->cls = (uint16_t)cls;
    s->live = 0;
    s->blocks = (char *)s + WIPPY_SLAB_HEADER + ((count * sizeof(uint32_t) + 7) & ~(size_t)7);
    s->bump = s->blocks;
    s->end = s->blocks + count * size;
}

wippy_slab *wippy_heap_new_slab(wippy_heap *heap, int cls) {
    wippy_slab *s = take_empty_slab(heap);
    if (s == NULL) return NULL;
    format_slab(s, cls);
    wippy_partial_push(heap, s);
    return s;
}

void wippy_heap_release_slab(wippy_heap *heap, wippy_slab *s) {
    if (heap->hot_count < HOT_EMPTY_SLABS) {
        s->next = heap->hot;
        heap->hot = s;
        heap->hot_count++;
        return;
    }
    /* Keep the header page (it holds the link); give the rest back. */
    madvise((char *)s + PAGE, WIPPY_SLAB_SIZE - PAGE, MADV_DONTNEED);
    s->next = heap->cold;
    heap->cold = s;
}

/* ---- blocks from malloc, behind a header holding the tag ---- */

void *wippy_heap_large_alloc(size_t n, uint32_t tag) {
    char *raw = malloc(n + WIPPY_LARGE_HEADER);
    if (raw == NULL) return NULL;
    *(uint32_t *)raw = tag;
    return raw + WIPPY_LARGE_HEADER;
}

uint32_t wippy_heap_large_free(void *p) {
    char *raw = (char *)p - WIPPY_LARGE_HEADER;
    uint32_t tag = *(uint32_t *)raw;
    free(raw);
    return tag;
}

void *wippy_heap_resize(wippy_heap *heap, void *p, size_t osize, size_t nsize, uint32_t tag) {
    int old_small = wippy_heap_is_small(heap, osize);
    int new_small = wippy_heap_is_small(heap, nsize);
    if (!old_small && !new_small) {
        char *raw = realloc((char *)p - WIPPY_LARGE_HEADER, nsize + WIPPY_LARGE_HEADER);
        if (raw == NULL) return NULL;
        *(uint32_t *)raw = tag;
        return raw + WIPPY_LARGE_HEADER;
    }
    if (old_small && new_small && wippy_class_of(osize) == wippy_class_of(nsize)) {
        *wippy_tag_slot(wippy_slab_of(p), p) = tag;
        return p;
    }
    void *block = new_small ? wippy_small_alloc(heap, nsize, tag) : wippy_heap_large_alloc(nsize, tag);
    if (block == NULL) return NULL;
    memcpy(block, p, osize < nsize ? osize : nsize);
    if (old_small) wippy_small_free(heap, p);
    else free((char *)p - WIPPY_LARGE_HEADER);
    return block;
}
