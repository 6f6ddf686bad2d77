/*
 * G.711 mu-law and A-law (ITU-T G.711), segment arithmetic written out;
 * decoding (and the energy of a frame) goes through 256-entry tables built
 * on first use. Any thread: the first use is on the signalling thread
 * (mixer_alloc decodes a sample) before any mixer thread exists, and the
 * tables are read-only after that.
 */
#include <stdbool.h>
#include "media/media.h"

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

uint8_t g711_ulaw_encode(int16_t s16)
{
	int s = s16, sign = 0, exp = 7, mant;

	if (s < 0) {
		sign = 0x80;
		s = -s;
	}
	if (s > ULAW_CLIP)
		s = ULAW_CLIP;
	s += ULAW_BIAS;
	/* exponent = index of the highest set bit above bit 7 */
	while (exp > 0 && !(s & (0x4000 >> (7 - exp))))
		exp--;
	mant = (s >> (exp + 3)) & 0x0f;
	return (uint8_t)~(sign | (exp << 4) | mant);
}

int16_t g711_ulaw_decode(uint8_t u8)
{
	int u = (uint8_t)~u8;
	int t = ((u & 0x0f) << 3) + ULAW_BIAS;

	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}

uint8_t g711_alaw_encode(int16_t s16)
{
	int s = s16;
	int ix = s < 0 ? (~s) >> 4 : s >> 4;   /* 12-bit magnitude */

	if (ix > 15) {
		int exp = 1;

		while (ix > 16 + 15) {
			ix >>= 1;
			exp++;
		}
		ix -= 16;
		ix += exp << 4;
	}
	if (s >= 0)
		ix |= 0x80;
	return (uint8_t)(ix ^ 0x55);
}

int16_t g711_alaw_decode(uint8_t a)
{
	int ix = a ^ 0x55;
	int exp = (ix & 0x70) >> 4;
	int mant = ix & 0x0f;

	if (exp > 0)
		mant += 16;
	mant = (mant << 4) + 8;
	if (exp > 1)
		mant <<= exp - 1;
	return (int16_t)(ix > 127 ? mant : -mant);
}

static int16_t ulaw_tab[256], alaw_tab[256];
static uint32_t ulaw_sq[256], alaw_sq[256];     /* the squares, >> 4 */
static bool tabs_ready;

static void tabs_init(void)
{
	for (int i = 0; i < 256; i++) {
		ulaw_tab[i] = g711_ulaw_decode((uint8_t)i);
		alaw_tab[i] = g711_alaw_decode((uint8_t)i);
		ulaw_sq[i] = (uint32_t)(ulaw_tab[i] * ulaw_tab[i]) >> 4;
		alaw_sq[i] = (uint32_t)(alaw_tab[i] * alaw_tab[i]) >> 4;
	}
	tabs_ready = true;
}

uint64_t media_g711_energy(enum media_codec c, const uint8_t *src,
			   size_t n)
{
	const uint32_t *sq;
	uint64_t e = 0;

	if (!tabs_ready)
		tabs_init();
	sq = c == MEDIA_PCMA ? alaw_sq : ulaw_sq;
	/* four sums, so that the loads of one do not wait for the adds of
	 * the others (done for every talker every tick) */
	{
		uint64_t e1 = 0, e2 = 0, e3 = 0;
		size_t i = 0;

		for (; i + 4 <= n; i += 4) {
			e += sq[src[i]];
			e1 += sq[src[i + 1]];
			e2 += sq[src[i + 2]];
			e3 += sq[src[i + 3]];
		}
		for (; i < n; i++)
			e += sq[src[i]];
		e += e1 + e2 + e3;
	}
	return e << 4;
}

void media_encode(enum media_codec c, uint8_t *dst, const int16_t *src,
		  size_t n)
{
	if (c == MEDIA_PCMA) {
		for (size_t i = 0; i < n; i++)
			dst[i] = g711_alaw_encode(src[i]);
	}
	else {
		for (size_t i = 0; i < n; i++)
			dst[i] = g711_ulaw_encode(src[i]);
	}
}

void media_decode(enum media_codec c, int16_t *dst, const uint8_t *src,
		  size_t n)
{
	const int16_t *tab;

	if (!tabs_ready)
		tabs_init();
	tab = c == MEDIA_PCMA ? alaw_tab : ulaw_tab;
	for (size_t i = 0; i < n; i++)
		dst[i] = tab[src[i]];
}
