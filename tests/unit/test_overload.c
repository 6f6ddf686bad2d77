/*
 * Admission by load (util/admit.c): the ceiling's token bucket, the
 * automatic rate's feedback on delay (down when behind, once a hold,
 * back up and gone when it keeps up), shedding past shed_ms, the lag
 * p99; the API's share of the thread under load (admit_share): time, not
 * requests, and long work waiting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "util/admit.h"

static const struct admit_cfg auto_cfg = {
	.max_rate = 0, .high_ms = 50, .low_ms = 20, .shed_ms = 500,
	.min_rate = 5,
};

/* n calls evenly over ms milliseconds from *now: how many admitted */
static unsigned offer(struct admit *a, uint64_t *now, unsigned n,
		      unsigned ms, unsigned delay_ms)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t = *now + (uint64_t)i * ms / n;

		admit_delay(a, delay_ms, t);
		ok += admit_call(a, t);
	}
	*now += ms;
	return ok;
}

static void ceiling_holds(void **state)
{
	struct admit_cfg cfg = auto_cfg;
	struct admit a;
	uint64_t now = 1000;
	unsigned ok;

	(void)state;
	cfg.max_rate = 100;
	admit_init(&a, &cfg, now);
	assert_int_equal(admit_state(&a), ADMIT_LIMITING);
	/* 1,000 offered in a second: about 100 (+ the burst) go in */
	ok = offer(&a, &now, 1000, 1000, 0);
	assert_in_range(ok, 95, 115);
	assert_int_equal(a.refused, 1000 - ok);
	/* under the ceiling (after a pause that refills the bucket),
	 * nothing is refused */
	now += 100;
	ok = offer(&a, &now, 50, 1000, 0);
	assert_int_equal(ok, 50);
}

static void open_while_it_keeps_up(void **state)
{
	struct admit a;
	uint64_t now = 0;

	(void)state;
	admit_init(&a, &auto_cfg, now);
	assert_int_equal(offer(&a, &now, 5000, 1000, 5), 5000);
	assert_int_equal(admit_state(&a), ADMIT_OPEN);
	assert_true(admit_rate(&a) == 0);
}

static void auto_rate_follows_delay(void **state)
{
	struct admit a;
	uint64_t now = 0;
	unsigned ok;

	(void)state;
	admit_init(&a, &auto_cfg, now);
	/* 1,000/s admitted while the thread falls behind (100 ms): the
	 * rate comes down below what it was taking */
	(void)offer(&a, &now, 1000, 1000, 100);
	assert_int_equal(admit_state(&a), ADMIT_LIMITING);
	assert_true(admit_rate(&a) <= 700);
	ok = offer(&a, &now, 1000, 1000, 100);
	assert_true(ok < 600);
	assert_true(admit_rate(&a) < 500);       /* cut once more */
	assert_true(admit_rate(&a) >= auto_cfg.min_rate);
	/* it keeps up again: the rate climbs back while calls are
	 * refused, and goes once none are */
	{
		double before = admit_rate(&a);

		(void)offer(&a, &now, 1000, 1000, 5);
		assert_true(admit_rate(&a) > before);
	}
	for (int i = 0; i < 30 && admit_state(&a) != ADMIT_OPEN; i++)
		(void)offer(&a, &now, 10, 1000, 5);
	assert_int_equal(admit_state(&a), ADMIT_OPEN);
	/* a stall while few calls come in is not theirs: no cut */
	admit_init(&a, &auto_cfg, now);
	(void)offer(&a, &now, 2, 1000, 5);
	(void)offer(&a, &now, 2, 1000, 100);
	assert_int_equal(admit_state(&a), ADMIT_OPEN);
	/* between low and high it holds */
	(void)offer(&a, &now, 1000, 1000, 100);
	{
		double held = admit_rate(&a);

		(void)offer(&a, &now, 1000, 1000, 30);
		assert_true(admit_rate(&a) == held);
	}
}

/* Behind: cut at once to 70 % of what was being admitted, then not
 * again for ADMIT_HOLD_MS however long the delay lasts (the queue takes
 * that long to drain), then again */
static void cuts_once_a_hold(void **state)
{
	struct admit a;
	uint64_t now = 0;
	double r;

	(void)state;
	admit_init(&a, &auto_cfg, now);
	/* 1,000 a second admitted while it keeps up */
	assert_int_equal(offer(&a, &now, 400, 400, 5), 400);
	assert_int_equal(admit_state(&a), ADMIT_OPEN);
	admit_delay(&a, 80, now);
	r = admit_rate(&a);
	assert_true(r > 600 && r < 800);
	/* still behind for most of the hold: no second cut */
	(void)offer(&a, &now, 500, ADMIT_HOLD_MS - 100, 80);
	assert_true(admit_rate(&a) == r);
	/* past the hold, still behind: cut again */
	(void)offer(&a, &now, 100, 200, 80);
	assert_true(admit_rate(&a) < r * 0.8);
}

static void sheds_when_far_behind(void **state)
{
	struct admit_cfg cfg = auto_cfg;
	struct admit a;
	uint64_t now = 0;

	(void)state;
	cfg.max_rate = 1000;
	admit_init(&a, &cfg, now);
	assert_int_equal(offer(&a, &now, 100, 1000, 600), 0);
	assert_int_equal(admit_state(&a), ADMIT_SHEDDING);
	/* still over high: still shedding (hysteresis) */
	assert_int_equal(offer(&a, &now, 10, 100, 80), 0);
	/* under high: calls go in again, at a rate */
	assert_true(offer(&a, &now, 10, 1000, 10) > 0);
	assert_int_not_equal(admit_state(&a), ADMIT_SHEDDING);
}

static void lag_p99(void **state)
{
	struct admit a;

	(void)state;
	admit_init(&a, &auto_cfg, 0);
	assert_int_equal(admit_lag_p99(&a), 0);
	for (unsigned i = 0; i < 1000; i++)
		admit_lag_sample(&a, i < 985 ? 1 : 40);
	assert_int_equal(admit_lag_p99(&a), 40);
	for (unsigned i = 0; i < 2 * ADMIT_LAG_SAMPLES; i++)
		admit_lag_sample(&a, 2);
	assert_int_equal(admit_lag_p99(&a), 2);
	admit_lag_sample(&a, 5000);
	for (unsigned i = 0; i < 20; i++)
		admit_lag_sample(&a, 5000);
	assert_int_equal(admit_lag_p99(&a), 1001);   /* "over a second" */
	assert_string_equal(admit_state_name(ADMIT_SHEDDING), "shedding");
}

/* The API's share (admit_share): requests of 500 us offered every ms
 * for 2 s against a tenth of the thread get about a tenth of the time */
static void share_bounds_time(void **state)
{
	struct admit_share sh;
	double cost = 0;
	uint64_t now = 1000000, spent = 0;
	unsigned ok = 0;

	(void)state;
	admit_share_init(&sh, 0.1, 20000, 200000, now);
	for (unsigned i = 0; i < 2000; i++, now += 1000) {
		if (!admit_share_take(&sh, cost, now))
			continue;
		ok++;
		spent += 500;
		admit_share_pay(&sh, 500);
		admit_cost_learn(&cost, 500);
	}
	/* 2 s at 10 %, plus the burst: 220 ms, 440 requests */
	assert_in_range(spent, 200000, 230000);
	assert_in_range(ok, 400, 460);
	assert_true(cost > 499 && cost < 501);
}

/* work that lately took longer than the burst waits; a debt is bounded */
static void share_long_work_waits(void **state)
{
	struct admit_share sh;
	double slow = 0, fast = 0;
	uint64_t now = 1000000;

	(void)state;
	admit_share_init(&sh, 0.1, 20000, 200000, now);
	/* the first of a kind goes (its cost is not known yet) */
	assert_true(admit_share_take(&sh, slow, now));
	admit_share_pay(&sh, 100000);
	admit_cost_learn(&slow, 100000);
	assert_true(slow > 99999);
	/* then never again while the share lasts, however long it waits;
	 * cheap work still goes once the debt is paid */
	for (unsigned i = 0; i < 100; i++) {
		now += 100000;
		assert_false(admit_share_take(&sh, slow, now));
	}
	assert_true(admit_share_take(&sh, fast, now));
	/* 10 s taken at once is a debt of at most 200 ms: paid in 2 s of
	 * the clock (2.1 s to be sure), not 100 */
	admit_share_pay(&sh, 10000000);
	assert_false(admit_share_take(&sh, fast, now + 1900000));
	assert_true(admit_share_take(&sh, fast, now + 2100000));
	/* the mean follows: four quick ones bring 100 ms down to 41 */
	for (unsigned i = 0; i < 4; i++)
		admit_cost_learn(&slow, 0);
	assert_in_range((unsigned)slow, 40900, 41000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ceiling_holds),
		cmocka_unit_test(open_while_it_keeps_up),
		cmocka_unit_test(auto_rate_follows_delay),
		cmocka_unit_test(cuts_once_a_hold),
		cmocka_unit_test(sheds_when_far_behind),
		cmocka_unit_test(lag_p99),
		cmocka_unit_test(share_bounds_time),
		cmocka_unit_test(share_long_work_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
