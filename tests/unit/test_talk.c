/* Talking detection: levels of known signals (a full-scale square wave is
 * 0 dBov, a sine 3 dB below, silence 127), and the detector's hysteresis
 * in time (60 ms to start, 400 ms of quiet to stop; short pauses and
 * single clicks do nothing) and in level (between the two thresholds the
 * state holds). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "mixer/talk.h"

#define N 160

static int16_t loud[N], quiet[N], middle[N], silent[N], square[N];

static void fill(int16_t *f, double dbov)
{
	/* a sine at dbov relative to a full-scale square wave */
	double a = 32767.0 * sqrt(2.0) * pow(10.0, dbov / 20.0);

	for (int i = 0; i < N; i++)
		f[i] = (int16_t)lrint(a * sin(2 * M_PI * 400.0 * i / 8000.0));
}

static int setup(void **state)
{
	(void)state;
	fill(loud, -20);
	fill(quiet, -60);
	fill(middle, -45);
	for (int i = 0; i < N; i++)
		square[i] = i % 20 < 10 ? 32767 : -32767;
	memset(silent, 0, sizeof(silent));
	return 0;
}

static void test_levels(void **state)
{
	int16_t sine[N];

	(void)state;
	assert_int_equal(talk_level(silent, N), 127);
	assert_int_equal(talk_level(square, N), 0);
	fill(sine, -3.0103);           /* a full-scale sine */
	assert_in_range(talk_level(sine, N), 3, 3);
	assert_in_range(talk_level(loud, N), 19, 21);
	assert_in_range(talk_level(quiet, N), 59, 61);
	assert_int_equal(talk_level(NULL, 0), 127);
}

static int feed(struct talk *t, const int16_t *f, int frames)
{
	int changes = 0;

	for (int i = 0; i < frames; i++)
		changes += talk_frame(t, f, N);
	return changes;
}

/* The level from a table (talk.c) is the definition's: -dBov rounded,
 * 0 at or above full scale, 127 at or below -127 dB, over the whole
 * range of energies a frame can have (sums of 160 squares) */
static void test_level_table(void **state)
{
	(void)state;
	for (double db = 3.0; db >= -140.0; db -= 0.0137) {
		double x = pow(10.0, db / 10.0);
		double e = x * N * 32767.0 * 32767.0;
		double d = 10.0 * log10(e / N / (32767.0 * 32767.0));
		long want = d >= 0 ? 0 : d <= -127 ? 127 : lround(-d);

		/* (a hair from a half: either rounding is right) */
		if (fabs(fabs(d) - floor(fabs(d)) - 0.5) < 1e-9)
			continue;
		assert_int_equal(talk_level_energy(e, N), want);
	}
	assert_int_equal(talk_level_energy(1.0, N), 112);   /* -112.3 dB */
	assert_int_equal(talk_level_energy(1e-3, N), 127);  /* -142 dB */
	assert_int_equal(talk_level_energy(0.0, N), 127);
	assert_int_equal(talk_level_energy(-5.0, N), 127);
	assert_int_equal(talk_level_energy(1e12, 0), 127);
	assert_int_equal(talk_level_energy(4.0 * N * 32767.0 * 32767.0, N),
			 0);
}

static void test_hysteresis(void **state)
{
	struct talk t = {0};

	(void)state;
	assert_int_equal(feed(&t, quiet, 100), 0);
	assert_int_equal(feed(&t, loud, 2), 0);       /* 40 ms: a click */
	assert_int_equal(feed(&t, quiet, 1), 0);
	assert_int_equal(feed(&t, loud, 2), 0);       /* counts again */
	assert_false(t.talking);
	assert_int_equal(feed(&t, loud, 1), 1);       /* 60 ms: talking */
	assert_true(t.talking);
	assert_int_equal(feed(&t, quiet, 19), 0);     /* a 380 ms pause */
	assert_int_equal(feed(&t, loud, 1), 0);
	assert_int_equal(feed(&t, middle, 200), 0);   /* between: holds */
	assert_true(t.talking);
	assert_int_equal(feed(&t, NULL, 19), 0);      /* no packets */
	assert_int_equal(feed(&t, silent, 1), 1);     /* 400 ms: stopped */
	assert_false(t.talking);
	assert_int_equal(feed(&t, middle, 200), 0);   /* between: holds */
	assert_false(t.talking);
	assert_int_equal(t.level, 45);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_level_table),
		cmocka_unit_test(test_hysteresis),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
