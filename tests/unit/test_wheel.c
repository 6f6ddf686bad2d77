/*
 * The timer wheel that takes the place of libre's sorted timer list
 * (src/util/tmrwheel.c): libre's calls reach it, timers fire in the
 * order of their due time, cancel and re-arm from handlers, delay 0,
 * timers further than a rotation away, the clock going back, the next
 * timeout the loop waits for, and a real re_main. The clock is this
 * file's: tmr_jiffies() here takes the place of libre's too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <re.h>
#include "util/tmrwheel.h"

/* libre's: the timer list of the calling thread's loop */
extern struct list *tmrl_get(void);

static uint64_t fake_now = 1000000;
static bool real_clock;

uint64_t tmr_jiffies(void)
{
	struct timespec ts;

	if (!real_clock)
		return fake_now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define MAXLOG 64
static int fired[MAXLOG];
static size_t nfired;

static void log_h(void *arg)
{
	if (nfired < MAXLOG)
		fired[nfired++] = (int)(intptr_t)arg;
}

static void poll_at(uint64_t now)
{
	fake_now = now;
	tmr_poll(tmrl_get());
}

static void test_interposed(void **state)
{
	struct tmr t;

	(void)state;
	assert_true(tmrwheel_active());
	tmr_init(&t);
	tmr_start(&t, 100, log_h, NULL);
	assert_int_equal(tmrwheel_count(), 1);
	assert_true(tmr_isrunning(&t));
	assert_int_equal(tmr_get_expire(&t), 100);
	/* libre's own list stays empty: its timers come here too */
	assert_null(tmrl_get()->head);
	tmr_cancel(&t);
	assert_false(tmr_isrunning(&t));
	assert_int_equal(tmrwheel_count(), 0);
	assert_int_equal(tmr_next_timeout(tmrl_get()), 0);
}

static void test_order(void **state)
{
	struct tmr t[6];
	const uint64_t delay[6] = { 500, 32000, 10, 500, 0, 70000 };

	(void)state;
	nfired = 0;
	for (int i = 0; i < 6; i++) {
		tmr_init(&t[i]);
		tmr_start(&t[i], delay[i], log_h, (void *)(intptr_t)i);
	}
	assert_int_equal(tmrwheel_count(), 6);
	assert_int_equal(tmr_next_timeout(tmrl_get()), 1);
	poll_at(fake_now);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 4);
	assert_int_equal(tmr_next_timeout(tmrl_get()), 10);
	poll_at(fake_now + 499);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[1], 2);
	poll_at(fake_now + 1);
	assert_int_equal(nfired, 4);
	assert_int_equal(fired[2], 0);     /* same time: in start order */
	assert_int_equal(fired[3], 3);
	poll_at(fake_now + 31500);
	assert_int_equal(nfired, 5);
	assert_int_equal(fired[4], 1);
	/* 70 s: more than a rotation, passed over once */
	poll_at(fake_now + 37999);
	assert_int_equal(nfired, 5);
	assert_true(tmr_isrunning(&t[5]));
	poll_at(fake_now + 1);
	assert_int_equal(nfired, 6);
	assert_int_equal(fired[5], 5);
	assert_int_equal(tmrwheel_count(), 0);
}

static struct tmr chain_a, chain_b, chain_c;

static void chain_h(void *arg)
{
	int id = (int)(intptr_t)arg;

	log_h(arg);
	if (id == 1) {
		tmr_cancel(&chain_b);               /* due in this same poll */
		tmr_start(&chain_c, 0, log_h, (void *)(intptr_t)3);
		tmr_start(&chain_a, 5, chain_h, (void *)(intptr_t)4);
	}
}

static void test_handlers(void **state)
{
	(void)state;
	nfired = 0;
	tmr_init(&chain_a);
	tmr_init(&chain_b);
	tmr_init(&chain_c);
	tmr_start(&chain_a, 20, chain_h, (void *)(intptr_t)1);
	tmr_start(&chain_b, 20, log_h, (void *)(intptr_t)2);
	poll_at(fake_now + 30);
	/* a cancelled, b never fired, c (delay 0) in the same poll */
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[1], 3);
	assert_false(tmr_isrunning(&chain_b));
	assert_true(tmr_isrunning(&chain_a));
	assert_int_equal(tmr_next_timeout(tmrl_get()), 5);
	poll_at(fake_now + 5);
	assert_int_equal(nfired, 3);
	assert_int_equal(fired[2], 4);
	assert_int_equal(tmrwheel_count(), 0);
}

static void test_clock(void **state)
{
	struct tmr t, u;

	(void)state;
	nfired = 0;
	tmr_init(&t);
	tmr_init(&u);
	tmr_start(&t, 1000, log_h, (void *)(intptr_t)1);
	poll_at(fake_now - 60000);              /* the clock went back */
	assert_int_equal(nfired, 0);
	tmr_start(&u, 500, log_h, (void *)(intptr_t)2);
	poll_at(fake_now + 499);
	assert_int_equal(nfired, 0);
	poll_at(fake_now + 1);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 2);
	/* a stall of three rotations: t is found all the same */
	poll_at(fake_now + 3 * TMRWHEEL_SLOTS);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[1], 1);
	assert_int_equal(tmrwheel_count(), 0);
}

/* the case of issue 22: many long timers, short ones started and fired
 * among them, each in its turn */
#define LONG_N 100000
static struct tmr longt[LONG_N];

static void test_many(void **state)
{
	struct tmr s[100];

	(void)state;
	nfired = 0;
	for (int i = 0; i < LONG_N; i++) {
		tmr_init(&longt[i]);
		tmr_start(&longt[i], 32000 + (uint64_t)(i % 1000), log_h,
			  NULL);
	}
	for (int i = 0; i < 100; i++) {
		tmr_init(&s[i]);
		tmr_start(&s[i], 500, log_h, (void *)(intptr_t)i);
		poll_at(fake_now + 1);
	}
	poll_at(fake_now + 500);
	assert_int_equal(nfired, MAXLOG);
	for (int i = 0; i < MAXLOG; i++)
		assert_int_equal(fired[i], i);
	assert_int_equal(tmrwheel_count(), LONG_N);
	poll_at(fake_now + 33000);
	assert_int_equal(tmrwheel_count(), 0);
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static void test_re_main(void **state)
{
	struct tmr a, b;

	(void)state;
	real_clock = true;
	nfired = 0;
	tmr_init(&a);
	tmr_init(&b);
	tmr_start(&a, 20, log_h, (void *)(intptr_t)7);
	tmr_start(&b, 40, stop_h, NULL);
	assert_int_equal(re_main(NULL), 0);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 7);
	assert_int_equal(tmrwheel_count(), 0);
	real_clock = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interposed),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_handlers),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_re_main),
	};
	int err;

	if (libre_init())
		return 1;
	err = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return err;
}
