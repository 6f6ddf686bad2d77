/* Counting what a test binary allocates: malloc, calloc and realloc are
 * wrapped (link with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc) and
 * each call counted, so a test can prove a thread allocates nothing in
 * steady state. */
#ifndef CAUCUS_TEST_ALLOC_COUNT_H
#define CAUCUS_TEST_ALLOC_COUNT_H

#include <stdatomic.h>

extern atomic_ulong allocs;

#endif
