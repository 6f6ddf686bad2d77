/*
 * Single-producer single-consumer ring of fixed-size items: the only way
 * the signalling thread and a mixer thread talk (ARCHITECTURE.md). Lock
 * free; one thread pushes, one other thread pops. Capacity is a power of 2.
 */
#ifndef CAUCUS_SPSC_H
#define CAUCUS_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct spsc {
	_Atomic size_t head;     /* next slot to write (producer) */
	char pad1[64 - sizeof(size_t)];
	_Atomic size_t tail;     /* next slot to read (consumer) */
	char pad2[64 - sizeof(size_t)];
	size_t mask;
	size_t item_size;
	unsigned char *items;
};

int  spsc_init(struct spsc *q, size_t capacity_pow2, size_t item_size);
void spsc_free(struct spsc *q);
/* false when full */
bool spsc_push(struct spsc *q, const void *item);
/* false when empty */
bool spsc_pop(struct spsc *q, void *item);

#endif
