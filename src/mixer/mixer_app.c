/*
 * Applications' rings (mixer.h): a prompt player's frames into the mix,
 * the mix a recorder hears out of it. Each ring has one producer and one
 * consumer; the object goes when the last of its two holders (the
 * application, the mixer's stream) lets go. Any thread, under those
 * rules.
 */
#include <stdlib.h>
#include "mixer/mixer_int.h"

struct mixer_app *mixer_app_new(bool source, bool sink, unsigned frames)
{
	struct mixer_app *a;
	size_t item = MIXER_APP_FRAME * sizeof(int16_t);

	if (!frames || (frames & (frames - 1)))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	atomic_init(&a->refs, 1);
	a->source = source;
	a->sink = sink;
	if ((source && spsc_init(&a->in, frames, item)) ||
	    (sink && spsc_init(&a->out, frames, item))) {
		spsc_free(&a->in);
		spsc_free(&a->out);
		free(a);
		return NULL;
	}
	return a;
}

struct mixer_app *mixer_app_get(struct mixer_app *a)
{
	atomic_fetch_add(&a->refs, 1);
	return a;
}

void mixer_app_put(struct mixer_app *a)
{
	if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	spsc_free(&a->in);
	spsc_free(&a->out);
	free(a);
}

bool mixer_app_play(struct mixer_app *a, const int16_t *frame)
{
	return a->source && spsc_push(&a->in, frame);
}

bool mixer_app_take(struct mixer_app *a, int16_t *frame)
{
	return a->sink && spsc_pop(&a->out, frame);
}

unsigned mixer_app_queued(const struct mixer_app *a)
{
	if (!a->source)
		return 0;
	return (unsigned)(atomic_load(&a->in.head) -
			  atomic_load(&a->in.tail));
}

uint32_t mixer_app_lost(const struct mixer_app *a)
{
	return atomic_load(&a->lost);
}
