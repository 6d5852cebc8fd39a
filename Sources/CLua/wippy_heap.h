/*
 * CLua (private): the small-object heap used by each Lua state's allocator. See wippy_heap.c.
 */
#ifndef WIPPY_HEAP_H
#define WIPPY_HEAP_H

#include <stddef.h>

/** Blocks up to this size come from slabs; larger ones from malloc. */
#define WIPPY_HEAP_MAX_SMALL 1024

typedef struct wippy_heap wippy_heap;

/** A new, empty heap (NULL if out of memory). Confined to one thread at a time. */
wippy_heap *wippy_heap_create(void);

/** Returns all memory of the heap to the system; every block from it becomes invalid. */
void wippy_heap_destroy(wippy_heap *heap);

/** Bytes of address space the heap has mapped for slabs (not counting blocks from malloc). */
size_t wippy_heap_mapped(const wippy_heap *heap);

/** Lua allocator semantics: `ptr == NULL` allocates (osize is then a type hint), `nsize == 0` frees a block
    of exactly `osize` bytes, otherwise resizes; NULL when memory cannot be had. */
void *wippy_heap_realloc(wippy_heap *heap, void *ptr, size_t osize, size_t nsize);

#endif
