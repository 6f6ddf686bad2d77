/* SPSC ring, see spsc.h. Producer and consumer may be different threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/spsc.h"

int spsc_init(struct spsc *q, size_t capacity_pow2, size_t item_size)
{
	if (!capacity_pow2 || (capacity_pow2 & (capacity_pow2 - 1)))
		return EINVAL;
	memset(q, 0, sizeof(*q));
	q->items = calloc(capacity_pow2, item_size);
	if (!q->items)
		return ENOMEM;
	q->mask = capacity_pow2 - 1;
	q->item_size = item_size;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return 0;
}

void spsc_free(struct spsc *q)
{
	free(q->items);
	q->items = NULL;
}

bool spsc_push(struct spsc *q, const void *item)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail > q->mask)
		return false;
	memcpy(q->items + (head & q->mask) * q->item_size, item,
	       q->item_size);
	/* release: the item's bytes are visible before the new head */
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}

bool spsc_pop(struct spsc *q, void *item)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	if (tail == head)
		return false;
	memcpy(item, q->items + (tail & q->mask) * q->item_size,
	       q->item_size);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return true;
}
