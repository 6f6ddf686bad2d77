/* Mix math, see mix.h. Mixer thread; no state. */
#include <math.h>
#include "mixer/mix.h"

int32_t mix_gain_q16(double gain_db)
{
	if (gain_db <= -96.0)
		return 0;
	if (gain_db > 24.0)
		gain_db = 24.0;
	return (int32_t)lrint(pow(10.0, gain_db / 20.0) * MIX_UNITY_Q16);
}

int16_t mix_sat16(int64_t v)
{
	if (v > INT16_MAX)
		return INT16_MAX;
	if (v < INT16_MIN)
		return INT16_MIN;
	return (int16_t)v;
}

void mix_scale(int32_t *dst, const int16_t *src, int32_t gain_q16, size_t n)
{
	if (gain_q16 == MIX_UNITY_Q16) {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
		return;
	}
	/* +24 dB on a full-scale sample is 2^15 * 2^20, so the product needs
	 * 64 bits; the result fits 32 bits again (at most ~2^19). */
	for (size_t i = 0; i < n; i++)
		dst[i] = (int32_t)(((int64_t)src[i] * gain_q16) >> 16);
}

void mix_add(int32_t *sum, const int32_t *add, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum[i] += add[i];
}

void mix_render(int16_t *out, const int32_t *sum, const int32_t *own,
		int32_t gain_q16, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = sum[i] - (own ? own[i] : 0);

		if (gain_q16 != MIX_UNITY_Q16)
			v = (v * gain_q16) >> 16;
		out[i] = mix_sat16(v);
	}
}
