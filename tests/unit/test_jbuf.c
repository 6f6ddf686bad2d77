/* Jitter buffer: order, duplicates, loss concealment, late packets,
 * packet sizes other than 20 ms, timeline jumps, idle, overflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mixer/jbuf.h"

static struct jbuf jb;

/* a packet whose samples all carry its sequence number */
static enum jb_put_result put(uint16_t seq, unsigned n, uint32_t ts)
{
	int16_t pcm[JB_MAX_PKT];

	for (unsigned i = 0; i < n; i++)
		pcm[i] = (int16_t)(1000 + seq);
	return jbuf_put(&jb, seq, ts, pcm, n);
}

static int16_t get_first(bool *playing)
{
	int16_t out[JB_FRAME];

	*playing = jbuf_get(&jb, out);
	return out[0];
}

static int setup(void **state)
{
	(void)state;
	jbuf_init(&jb, 40);
	return 0;
}

static void test_in_order(void **state)
{
	bool playing;

	(void)state;
	put(1, 160, 160);
	assert_int_equal(get_first(&playing), 0);     /* buffering */
	assert_false(playing);
	put(2, 160, 320);
	assert_int_equal(get_first(&playing), 1001);
	assert_true(playing);
	put(3, 160, 480);
	assert_int_equal(get_first(&playing), 1002);
	assert_int_equal(get_first(&playing), 1003);
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_reorder(void **state)
{
	bool playing;

	(void)state;
	put(1, 160, 160);
	put(3, 160, 480);
	put(2, 160, 320);                 /* arrives after 3 */
	put(4, 160, 640);
	assert_int_equal(get_first(&playing), 1001);
	assert_int_equal(get_first(&playing), 1002);
	assert_int_equal(get_first(&playing), 1003);
	assert_int_equal(get_first(&playing), 1004);
	assert_int_equal(jb.stats.concealed, 0);
	assert_int_equal(jb.stats.late, 0);
}

static void test_duplicates(void **state)
{
	bool playing;

	(void)state;
	assert_int_equal(put(1, 160, 160), JB_OK);
	assert_int_equal(put(1, 160, 160), JB_DUP);
	assert_int_equal(put(2, 160, 320), JB_OK);
	assert_int_equal(put(2, 160, 320), JB_DUP);
	assert_int_equal(jb.stats.dup, 2);
	assert_int_equal(get_first(&playing), 1001);
	assert_int_equal(get_first(&playing), 1002);
	/* a duplicate of something already played is late, not replayed */
	assert_int_equal(put(1, 160, 160), JB_LATE);
}

static void test_loss_concealed(void **state)
{
	int16_t out[JB_FRAME];
	bool playing;

	(void)state;
	put(1, 160, 160);
	put(2, 160, 320);
	put(4, 160, 640);                 /* 3 is lost */
	assert_int_equal(get_first(&playing), 1001);
	assert_int_equal(get_first(&playing), 1002);
	assert_true(jbuf_get(&jb, out));   /* concealed: faded copy of 2 */
	assert_int_equal(out[0], 1002 >> 1);
	assert_int_equal(out[159], 1002 >> 1);
	assert_int_equal(jb.stats.concealed, 1);
	assert_int_equal(get_first(&playing), 1004);
}

static void test_late_packet(void **state)
{
	bool playing;

	(void)state;
	put(1, 160, 160);
	put(2, 160, 320);
	put(4, 160, 640);
	get_first(&playing);
	get_first(&playing);
	get_first(&playing);              /* 3's slot concealed */
	assert_int_equal(put(3, 160, 480), JB_LATE);
	assert_int_equal(jb.stats.late, 1);
	assert_int_equal(get_first(&playing), 1004);
}

static void test_10ms_and_30ms_packets(void **state)
{
	int16_t out[JB_FRAME];

	(void)state;
	/* 10 ms packets: two make a frame */
	for (uint16_t s = 0; s < 8; s++)
		put(s, 80, 1000 + s * 80u);
	assert_true(jbuf_get(&jb, out));
	assert_int_equal(out[0], 1000);
	assert_int_equal(out[79], 1000);
	assert_int_equal(out[80], 1001);
	assert_int_equal(out[159], 1001);

	/* 30 ms packets: frames straddle packets */
	jbuf_init(&jb, 40);
	for (uint16_t s = 0; s < 4; s++)
		put(s, 240, 5000 + s * 240u);
	assert_true(jbuf_get(&jb, out));
	assert_int_equal(out[0], 1000);
	assert_true(jbuf_get(&jb, out));
	assert_int_equal(out[0], 1000);    /* samples 160..239 of pkt 0 */
	assert_int_equal(out[79], 1000);
	assert_int_equal(out[80], 1001);
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_timestamp_wrap(void **state)
{
	bool playing;

	(void)state;
	put(65534, 160, 0xffffff00u);
	put(65535, 160, 0xffffff00u + 160);
	put(0, 160, 0xffffff00u + 320);    /* both seq and ts wrap */
	assert_int_equal(get_first(&playing), 1000 + 65534 - 65536);
	assert_int_equal(get_first(&playing), (int16_t)(1000 + 65535));
	assert_int_equal(get_first(&playing), 1000);
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_sender_restart(void **state)
{
	bool playing;

	(void)state;
	put(1, 160, 160);
	put(2, 160, 320);
	get_first(&playing);
	get_first(&playing);
	/* a new timeline far back (a restarted sender) is taken, not
	 * dropped as late */
	assert_int_equal(put(500, 160, 100000000u), JB_OK);
	jbuf_init(&jb, 40);
	put(1, 160, 5000000);
	put(2, 160, 5000160);
	get_first(&playing);
	assert_int_equal(put(9, 160, 1000), JB_OK);
	assert_int_equal(jb.stats.resyncs, 1);
}

static void test_goes_idle(void **state)
{
	bool playing = true;
	int frames = 0;

	(void)state;
	put(1, 160, 160);
	put(2, 160, 320);
	get_first(&playing);
	get_first(&playing);
	while (playing && frames < 50) {
		get_first(&playing);
		frames++;
	}
	assert_false(playing);
	assert_true(frames <= 6);
	assert_int_equal(jb.stats.underruns, 1);
	/* and it comes back, re-buffering first */
	put(100, 160, 20000);
	assert_int_equal(get_first(&playing), 0);
	put(101, 160, 20160);
	assert_int_equal(get_first(&playing), 1100);
}

static void test_overflow_and_garbage(void **state)
{
	int16_t pcm[JB_MAX_PKT] = {0};

	(void)state;
	for (uint16_t s = 0; s < JB_SLOTS + 10; s++)
		put(s, 160, s * 160u);
	assert_true(jb.stats.overflow >= 10);
	assert_int_equal(jb.count, JB_SLOTS);
	assert_int_equal(jbuf_put(&jb, 1, 1, pcm, 0), JB_BAD);
	assert_int_equal(jbuf_put(&jb, 1, 1, pcm, JB_MAX_PKT + 1), JB_BAD);
}

static void test_excess_delay_trimmed(void **state)
{
	bool playing;

	(void)state;
	/* a burst of 20 frames after a stall: playout skips ahead */
	for (uint16_t s = 0; s < 20; s++)
		put(s, 160, s * 160u);
	get_first(&playing);
	assert_true(jbuf_depth(&jb) <= jb.target + 3 * JB_FRAME);
	assert_true(jb.stats.skipped > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_reorder, setup),
		cmocka_unit_test_setup(test_duplicates, setup),
		cmocka_unit_test_setup(test_loss_concealed, setup),
		cmocka_unit_test_setup(test_late_packet, setup),
		cmocka_unit_test_setup(test_10ms_and_30ms_packets, setup),
		cmocka_unit_test_setup(test_timestamp_wrap, setup),
		cmocka_unit_test_setup(test_sender_restart, setup),
		cmocka_unit_test_setup(test_goes_idle, setup),
		cmocka_unit_test_setup(test_overflow_and_garbage, setup),
		cmocka_unit_test_setup(test_excess_delay_trimmed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
