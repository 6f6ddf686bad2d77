/* The SPSC ring: order, full/empty, wrap, and two real threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>
#include "util/spsc.h"

static void test_basic(void **state)
{
	struct spsc q;
	int v;

	(void)state;
	assert_int_not_equal(spsc_init(&q, 3, sizeof(int)), 0);
	assert_int_equal(spsc_init(&q, 4, sizeof(int)), 0);
	assert_false(spsc_pop(&q, &v));
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 4; i++)
			assert_true(spsc_push(&q, &i));
		v = 9;
		assert_false(spsc_push(&q, &v));          /* full */
		for (int i = 0; i < 4; i++) {
			assert_true(spsc_pop(&q, &v));
			assert_int_equal(v, i);
		}
		assert_false(spsc_pop(&q, &v));
	}
	spsc_free(&q);
}

#define COUNT 2000000

static void *producer(void *arg)
{
	struct spsc *q = arg;

	for (uint64_t i = 0; i < COUNT; i++)
		while (!spsc_push(q, &i))
			;
	return NULL;
}

static void test_threads(void **state)
{
	struct spsc q;
	pthread_t t;
	uint64_t expect = 0, v;

	(void)state;
	assert_int_equal(spsc_init(&q, 256, sizeof(uint64_t)), 0);
	pthread_create(&t, NULL, producer, &q);
	while (expect < COUNT) {
		if (!spsc_pop(&q, &v))
			continue;
		if (v != expect)
			fail_msg("got %lu, want %lu", (unsigned long)v,
				 (unsigned long)expect);
		expect++;
	}
	pthread_join(t, NULL);
	spsc_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
