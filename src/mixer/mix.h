/*
 * Mix math: N-1 summing in 32 bits, gains in Q16, and a soft limiter
 * into 16 bits (no harsh clipping when many talk loudly at once).
 * Pure functions on the mixer thread; unit-tested directly.
 */
#ifndef CAUCUS_MIX_H
#define CAUCUS_MIX_H

#include <stddef.h>
#include <stdint.h>

#define MIX_UNITY_Q16 65536

/* Q16 linear gain for a dB value, clamped to [-96, +24] dB; -96 is 0. */
int32_t mix_gain_q16(double gain_db);
/* dst[i] = src[i] * gain (32-bit, no saturation yet) */
void mix_scale(int32_t *dst, const int16_t *src, int32_t gain_q16, size_t n);
/* sum[i] += add[i] */
void mix_add(int32_t *sum, const int32_t *add, size_t n);
/* sum[i] += add[i] * gain (gain may be negative: a relation that takes
 * some of a voice out of a mix) */
void mix_add_scaled(int32_t *sum, const int32_t *add, int32_t gain_q16,
		    size_t n);
#define MIX_KNEE 24576   /* -2.5 dBFS: the limiter starts bending here */

/* out[i] = limit((sum[i] - own[i]) * gain); own may be NULL */
void mix_render(int16_t *out, const int32_t *sum, const int32_t *own,
		int32_t gain_q16, size_t n);
int16_t mix_sat16(int64_t v);
/* The soft limiter: v itself up to MIX_KNEE, then bent toward full scale
 * without reaching it; monotonic, continuous, slope 1 at the knee */
int16_t mix_limit(int64_t v);

#endif
