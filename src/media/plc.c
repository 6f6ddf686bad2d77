/*
 * G.711 packet loss concealment (media.h): spandsp's concealer, which
 * keeps the last 35 ms of what was received, and for a missing stretch
 * repeats the last pitch period, overlap-added at the seams and fading
 * out over the first 50 ms of a loss. 8 kHz only.
 */
#include <stdlib.h>
#include <spandsp.h>
#include "media/media.h"

struct media_plc {
	plc_state_t st;
};

struct media_plc *media_plc_new(void)
{
	struct media_plc *p = malloc(sizeof(*p));

	if (p && !plc_init(&p->st)) {
		free(p);
		return NULL;
	}
	return p;
}

void media_plc_free(struct media_plc *p)
{
	free(p);
}

void media_plc_rx(struct media_plc *p, int16_t *pcm, size_t n)
{
	if (p)
		(void)plc_rx(&p->st, pcm, (int)n);
}

int media_plc_fill(struct media_plc *p, int16_t *pcm, size_t n)
{
	return p ? plc_fillin(&p->st, pcm, (int)n) : -1;
}
