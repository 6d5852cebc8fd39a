/*
 * CLua (private): the small-object heap used by each Lua state's allocator. See wippy_heap.c.
 */
#ifndef WIPPY_HEAP_H
#define WIPPY_HEAP_H

#include <stddef.h>
#include <stdint.h>

/** Blocks up to this size come from slabs; larger ones from malloc. */
#define WIPPY_HEAP_MAX_SMALL 1024

typedef struct wippy_heap wippy_heap;

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

/** A new block of `n` (> 0) bytes owned by `tag`; NULL when memory cannot be had. */
void *wippy_heap_alloc(wippy_heap *heap, size_t n, uint32_t tag);

/** Frees block `p` of `size` bytes; returns its tag. */
uint32_t wippy_heap_free(wippy_heap *heap, void *p, size_t size);

/** The tag of block `p` of `size` bytes. */
uint32_t wippy_heap_tag(const wippy_heap *heap, const void *p, size_t size);

/** Resizes block `p` from `osize` to `nsize` (> 0) bytes, now owned by `tag`: the same or a new block (the
    contents kept up to the smaller size), or NULL, leaving `p` as it was, when memory cannot be had. */
void *wippy_heap_resize(wippy_heap *heap, void *p, size_t osize, size_t nsize, uint32_t tag);

#endif
