/*
 * G.711 packet loss concealment (media.h), 8 kHz, in the manner of ITU-T
 * G.711 Appendix I but without its look-ahead delay: the last 48.75 ms
 * received are kept; at the start of a loss the pitch period (5 to 15 ms)
 * is found by the least mean difference between the last 20 ms and the
 * same span one period earlier, and that period is repeated, its tail
 * blended into the samples before it so that the loop has no seam. The
 * first 10 ms play at full level, then the level falls linearly to
 * silence at 60 ms. When audio comes back, its first 4 ms are blended
 * with the continued concealment.
 * (spandsp has a concealer of this kind too, but it copies overlapping
 * memory with memcpy, which AddressSanitizer rightly stops.)
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "media/media.h"

#define HIST 390            /* 48.75 ms */
#define PITCH_MIN 40        /* 200 Hz */
#define PITCH_MAX 120       /* 66.7 Hz */
#define CORR 160            /* the span compared: 20 ms */
#define FULL 80             /* 10 ms at full level ... */
#define FADE 400            /* ... then to silence over 50 ms */
#define MERGE 32            /* 4 ms blended when audio returns */

struct media_plc {
	int16_t ring[HIST];     /* what was heard, a ring (no copying of
				 * the whole history for each frame) */
	unsigned w;             /* where the next sample goes */
	unsigned filled;        /* samples of the ring that are real */
	int16_t hist[HIST];     /* the ring in order, newest last: made
				 * when a loss starts */
	float period[PITCH_MAX];
	unsigned pitch, pos;    /* the period's length, where we are in it */
	unsigned missing;       /* samples made in this loss */
};

struct media_plc *media_plc_new(void)
{
	return calloc(1, sizeof(struct media_plc));
}

void media_plc_free(struct media_plc *p)
{
	free(p);
}

static void remember(struct media_plc *p, const int16_t *pcm, size_t n)
{
	if (n > HIST) {
		pcm += n - HIST;
		n = HIST;
	}
	p->filled = p->filled + n > HIST ? HIST : p->filled + (unsigned)n;
	while (n) {
		size_t k = HIST - p->w < n ? HIST - p->w : n;

		memcpy(p->ring + p->w, pcm, k * sizeof(pcm[0]));
		p->w = (unsigned)((p->w + k) % HIST);
		pcm += k;
		n -= k;
	}
}

/* The ring in time order into hist */
static void unroll(struct media_plc *p)
{
	memcpy(p->hist, p->ring + p->w, (HIST - p->w) * sizeof(p->ring[0]));
	memcpy(p->hist + HIST - p->w, p->ring, p->w * sizeof(p->ring[0]));
}

/* The level of the k-th sample of a loss */
static float gain_at(unsigned k)
{
	if (k < FULL)
		return 1.0f;
	if (k >= FULL + FADE)
		return 0.0f;
	return 1.0f - (float)(k - FULL) / FADE;
}

static float next_sample(struct media_plc *p)
{
	float v = p->period[p->pos] * gain_at(p->missing);

	p->pos = (p->pos + 1) % p->pitch;
	p->missing++;
	return v;
}

static unsigned find_pitch(const int16_t *h)
{
	const int16_t *end = h + HIST;
	unsigned best = PITCH_MIN;
	uint64_t best_d = UINT64_MAX;

	for (unsigned lag = PITCH_MIN; lag <= PITCH_MAX; lag++) {
		uint64_t d = 0;

		for (unsigned i = 1; i <= CORR && d < best_d; i++) {
			int32_t x = end[-(int)i] - end[-(int)(i + lag)];

			d += (uint64_t)(x < 0 ? -x : x);
		}
		if (d < best_d) {
			best_d = d;
			best = lag;
		}
	}
	return best;
}

/* The last period, its last quarter blended toward the quarter before
 * the period, so that repeating it is continuous */
static void take_period(struct media_plc *p)
{
	const int16_t *end = p->hist + HIST;
	unsigned ola = p->pitch / 4;

	for (unsigned i = 0; i < p->pitch; i++)
		p->period[i] = end[(int)i - (int)p->pitch];
	for (unsigned i = 0; i < ola; i++) {
		float w = ((float)i + 0.5f) / (float)ola;
		unsigned k = p->pitch - ola + i;

		p->period[k] = (1 - w) * p->period[k] +
			w * end[(int)k - 2 * (int)p->pitch];
	}
	p->pos = 0;
}

static int16_t clip(float v)
{
	return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}

void media_plc_reset(struct media_plc *p)
{
	if (p) {
		p->filled = 0;
		p->missing = 0;
	}
}

void media_plc_rx(struct media_plc *p, int16_t *pcm, size_t n)
{
	if (!p)
		return;
	if (p->missing && p->missing < FULL + FADE) {
		/* back from a loss: fade the concealment out, the audio in */
		for (size_t i = 0; i < n && i < MERGE; i++) {
			float w = ((float)i + 0.5f) / MERGE;

			pcm[i] = clip(w * pcm[i] + (1 - w) * next_sample(p));
		}
	}
	p->missing = 0;
	remember(p, pcm, n);
}

int media_plc_fill(struct media_plc *p, int16_t *pcm, size_t n)
{
	if (!p)
		return -1;
	if (p->filled < CORR + PITCH_MAX) {
		/* too little heard to know a pitch: silence */
		memset(pcm, 0, n * sizeof(pcm[0]));
		return (int)n;
	}
	if (!p->missing) {
		unroll(p);
		p->pitch = find_pitch(p->hist);
		take_period(p);
	}
	for (size_t i = 0; i < n; i++)
		pcm[i] = clip(next_sample(p));
	return (int)n;
}
