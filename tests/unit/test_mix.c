/* Mix math: N-1, gains, saturation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mixer/mix.h"

#define N 8

static void test_gain_q16(void **state)
{
	(void)state;
	assert_int_equal(mix_gain_q16(0), 65536);
	assert_int_equal(mix_gain_q16(-96), 0);
	assert_int_equal(mix_gain_q16(-200), 0);
	/* +6.0206 dB doubles */
	assert_in_range(mix_gain_q16(6.0206), 131060, 131080);
	assert_in_range(mix_gain_q16(-6.0206), 32760, 32776);
	/* clamped at +24 dB (x15.85) */
	assert_int_equal(mix_gain_q16(40), mix_gain_q16(24));
}

static void test_n_minus_one(void **state)
{
	int16_t a[N], b[N], c[N], out[N];
	int32_t ca[N], cb[N], cc[N], sum[N] = {0};

	(void)state;
	for (int i = 0; i < N; i++) {
		a[i] = 100;
		b[i] = 20;
		c[i] = 3;
	}
	mix_scale(ca, a, MIX_UNITY_Q16, N);
	mix_scale(cb, b, MIX_UNITY_Q16, N);
	mix_scale(cc, c, MIX_UNITY_Q16, N);
	mix_add(sum, ca, N);
	mix_add(sum, cb, N);
	mix_add(sum, cc, N);

	mix_render(out, sum, ca, MIX_UNITY_Q16, N);
	assert_int_equal(out[0], 23);            /* a hears b + c */
	mix_render(out, sum, cb, MIX_UNITY_Q16, N);
	assert_int_equal(out[3], 103);           /* b hears a + c */
	mix_render(out, sum, cc, MIX_UNITY_Q16, N);
	assert_int_equal(out[7], 120);           /* c hears a + b */
	/* a listener who sends nothing hears everyone */
	mix_render(out, sum, NULL, MIX_UNITY_Q16, N);
	assert_int_equal(out[5], 123);
}

static void test_gains(void **state)
{
	int16_t in[N], out[N];
	int32_t c[N], sum[N] = {0};

	(void)state;
	for (int i = 0; i < N; i++)
		in[i] = 1000;
	mix_scale(c, in, mix_gain_q16(6.0206), N);   /* input gain x2 */
	assert_in_range(c[0], 1998, 2000);
	mix_add(sum, c, N);
	mix_render(out, sum, NULL, mix_gain_q16(-6.0206), N);  /* out /2 */
	assert_in_range(out[0], 998, 1000);
	mix_render(out, sum, NULL, 0, N);            /* -96 dB: silent */
	assert_int_equal(out[0], 0);
	mix_scale(c, in, 0, N);
	assert_int_equal(c[0], 0);
}

static void test_saturation(void **state)
{
	int16_t a[N], b[N], out[N];
	int32_t ca[N], cb[N], sum[N] = {0};

	(void)state;
	for (int i = 0; i < N; i++) {
		a[i] = 20000;
		b[i] = 20000;
	}
	mix_scale(ca, a, MIX_UNITY_Q16, N);
	mix_scale(cb, b, MIX_UNITY_Q16, N);
	mix_add(sum, ca, N);
	mix_add(sum, cb, N);
	mix_render(out, sum, NULL, MIX_UNITY_Q16, N);
	/* not -25536 (wraparound), not clipped flat: bent below full scale */
	assert_in_range(out[0], 29000, 32766);
	for (int i = 0; i < N; i++)
		a[i] = b[i] = -30000;
	memset(sum, 0, sizeof(sum));
	mix_scale(ca, a, MIX_UNITY_Q16, N);
	mix_scale(cb, b, MIX_UNITY_Q16, N);
	mix_add(sum, ca, N);
	mix_add(sum, cb, N);
	mix_render(out, sum, NULL, MIX_UNITY_Q16, N);
	assert_in_range(out[0] + 32768, 0, 32768 - 30000);
	assert_true(out[0] < -30000);
	/* +24 dB on full scale does not overflow the 32-bit path */
	a[0] = 32767;
	mix_scale(ca, a, mix_gain_q16(24), 1);
	assert_true(ca[0] > 32767 * 15);
	assert_int_equal(mix_sat16(ca[0]), 32767);
}

static void test_many_talkers(void **state)
{
	/* 1000 participants at full scale stay within int32 and saturate */
	int16_t in[N];
	int32_t c[N], sum[N] = {0};
	int16_t out[N];

	(void)state;
	for (int i = 0; i < N; i++)
		in[i] = 32767;
	mix_scale(c, in, mix_gain_q16(24), N);
	for (int k = 0; k < 1000; k++)
		mix_add(sum, c, N);
	assert_true(sum[0] > 0);
	mix_render(out, sum, c, MIX_UNITY_Q16, N);
	assert_in_range(out[0], 32000, 32767);
}

/* The limiter: the identity below the knee; above it monotonic, within
 * 16 bits, and smooth (no step between neighbouring inputs) */
static void test_limiter(void **state)
{
	int16_t prev = mix_limit(-3000000);

	(void)state;
	assert_int_equal(mix_limit(0), 0);
	assert_int_equal(mix_limit(MIX_KNEE), MIX_KNEE);
	assert_int_equal(mix_limit(-MIX_KNEE), -MIX_KNEE);
	assert_int_equal(mix_limit(12345), 12345);
	assert_int_equal(mix_limit(MIX_KNEE + 1), MIX_KNEE + 1);
	assert_true(mix_limit(INT32_MAX) < 32767 + 1);
	assert_true(mix_limit(INT32_MIN) >= -32768);
	for (int64_t v = -3000000; v <= 3000000; v += 7) {
		int16_t y = mix_limit(v);

		if (y < prev || y - prev > 7)
			fail_msg("limit(%lld) = %d after %d", (long long)v, y,
				 prev);
		prev = y;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gain_q16),
		cmocka_unit_test(test_n_minus_one),
		cmocka_unit_test(test_gains),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_limiter),
		cmocka_unit_test(test_many_talkers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
