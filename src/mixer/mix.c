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

void mix_add_scaled(int32_t *sum, const int32_t *add, int32_t gain_q16,
		    size_t n)
{
	/* add is at most ~2^20 (a +24 dB contribution), the gain a few
	 * times unity either way: 64 bits for the product */
	for (size_t i = 0; i < n; i++)
		sum[i] += (int32_t)(((int64_t)add[i] * gain_q16) >> 16);
}

int16_t mix_limit(int64_t v)
{
	/* below the knee the signal passes as it is; above it the excess
	 * x is bent into the remaining headroom r as r*x/(x+r): slope 1 at
	 * the knee (no corner to hear), never reaching full scale, so many
	 * loud talkers at once are squeezed rather than clipped */
	int64_t a = v < 0 ? -v : v, r = v < 0 ? 32768 - MIX_KNEE :
		32767 - MIX_KNEE, x;

	if (a <= MIX_KNEE)
		return (int16_t)v;
	x = a - MIX_KNEE;
	a = MIX_KNEE + (r * x + (x + r) / 2) / (x + r);     /* rounded */
	return (int16_t)(v < 0 ? -a : a);
}

void mix_render(int16_t *out, const int32_t *sum, const int32_t *own,
		int32_t gain_q16, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = sum[i] - (own ? own[i] : 0);

		if (gain_q16 != MIX_UNITY_Q16)
			v = (v * gain_q16) >> 16;
		out[i] = mix_limit(v);
	}
}
