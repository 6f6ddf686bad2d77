/* Talking detection (see talk.h). */
#include <math.h>
#include "mixer/talk.h"

uint8_t talk_level(const int16_t *frame, size_t n)
{
	/* in integers, no conversion per sample (a square is at most 2^30:
	 * the sum of a frame fits 64 bits many times over, exactly as the
	 * doubles did): done for every talker every tick, heard or not */
	uint64_t e = 0;

	for (size_t i = 0; i < n; i++)
		e += (uint32_t)((int32_t)frame[i] * frame[i]);
	return talk_level_energy((double)e, n);
}

uint8_t talk_level_g711(enum media_codec c, const uint8_t *payload,
			size_t n)
{
	return talk_level_energy((double)media_g711_energy(c, payload, n), n);
}

/* The level L (-dBov, rounded: L - 0.5 <= -dB < L + 0.5) holds the mean
 * squares x with bound[L] < x <= bound[L - 1], bound[k] being
 * 10^(-(k + 0.5) / 10): a search of the table rather than a logarithm a
 * talker a tick. Made before main (the mixer threads only read it). */
static double bound[128];

__attribute__((constructor)) static void bound_init(void)
{
	for (int k = 0; k < 127; k++)
		bound[k] = pow(10.0, -(k + 0.5) / 10.0);
	bound[127] = 0;                 /* (every x is above it) */
}

uint8_t talk_level_energy(double e, size_t n)
{
	double x;
	unsigned lv = 0;

	if (!n || e <= 0)
		return 127;
	/* dBov: relative to a full-scale square wave (RMS 32767) */
	x = e / ((double)n * (32767.0 * 32767.0));
	/* the bounds x is at or under: the level (0 to 127), without
	 * branches (which way a step goes is a coin toss: a branch there
	 * is mispredicted half the time, for every talker every tick) */
	for (unsigned step = 64; step; step >>= 1)
		lv += step & -(unsigned)(x <= bound[lv + step - 1]);
	return (uint8_t)lv;
}

bool talk_frame(struct talk *t, const int16_t *frame, size_t n)
{
	return talk_level_frame(t, frame ? talk_level(frame, n) : 127);
}

bool talk_level_frame(struct talk *t, uint8_t level)
{
	/* frames that point away from the current state count up; one
	 * that agrees with it starts the count again */
	bool away;

	t->level = level > 127 ? 127 : level;
	away = t->talking ? t->level > TALK_OFF_DBOV :
		t->level < TALK_ON_DBOV;
	if (!away) {
		t->run = 0;
		return false;
	}
	if (++t->run < (t->talking ? TALK_OFF_FRAMES : TALK_ON_FRAMES))
		return false;
	t->talking = !t->talking;
	t->run = 0;
	return true;
}
