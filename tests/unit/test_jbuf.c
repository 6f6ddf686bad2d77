/* Jitter buffer: order, duplicates, holes (with the packet after them for
 * FEC), late packets, packet sizes other than 20 ms, timestamp wrap,
 * timeline jumps, idle, overflow and garbage, and the adaptive parts:
 * the target following jitter and late packets, the delay following a
 * sender's clock drift both ways, a burst cut at once. The tests play the
 * buffer out the way the mixer does: each tick takes a frame's worth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mixer/jbuf.h"

#define F 160                  /* 20 ms at 8 kHz */

static struct jbuf jb;
static uint32_t carry;         /* units decoded beyond the last frame */
static uint32_t now;           /* arrival clock, 8 kHz units */
static char trace[256];

/* a packet of n units whose payload's first byte is its number */
static enum jb_put_result put(uint16_t seq, unsigned n, uint32_t ts)
{
	uint8_t data[4] = {(uint8_t)seq, 0xaa, 0xbb, 0xcc};

	return jbuf_put(&jb, seq, ts, n, 0, JB_LEVEL_NONE, data, sizeof(data),
			now);
}

/* One tick as the mixer's playout does it: what was handed out, e.g.
 * "p1" (packet 1), "p1+80" (packet 1 from unit 80), "h160>4" (a hole
 * of 160 ending at packet 4), "d160" (empty buffer), or "idle" */
static const char *tick(void)
{
	size_t o = 0;

	trace[0] = 0;
	now += F;
	if (!jbuf_tick(&jb)) {
		carry = 0;
		return "idle";
	}
	while (carry < F) {
		struct jb_out out;

		if (jbuf_next(&jb, F - carry, &out) == JB_PACKET) {
			o += (size_t)snprintf(trace + o, sizeof(trace) - o,
					      out.skip ? "%sp%u+%u" : "%sp%u",
					      o ? " " : "", out.pkt->data[0],
					      out.skip);
			carry += out.pkt->dur - out.skip;
			continue;
		}
		if (out.dry)
			o += (size_t)snprintf(trace + o, sizeof(trace) - o,
					      "%sd%u", o ? " " : "", out.hole);
		else if (out.after)
			o += (size_t)snprintf(trace + o, sizeof(trace) - o,
					      "%sh%u>%u", o ? " " : "",
					      out.hole, out.after->data[0]);
		else
			o += (size_t)snprintf(trace + o, sizeof(trace) - o,
					      "%sh%u", o ? " " : "", out.hole);
		carry += out.hole;
	}
	carry -= F;
	return trace;
}

static int setup(void **state)
{
	(void)state;
	jbuf_init(&jb, 8000, 40);
	carry = 0;
	now = 1000000;
	return 0;
}

static void test_in_order(void **state)
{
	(void)state;
	put(1, F, 160);
	assert_string_equal(tick(), "idle");    /* buffering: 20 < 40 ms */
	put(2, F, 320);
	assert_string_equal(tick(), "p1");
	put(3, F, 480);
	assert_string_equal(tick(), "p2");
	put(4, F, 640);
	assert_string_equal(tick(), "p3");
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_reorder(void **state)
{
	(void)state;
	put(2, F, 320);
	put(1, F, 160);
	assert_string_equal(tick(), "p1");
	put(4, F, 640);
	put(3, F, 480);
	assert_string_equal(tick(), "p2");
	assert_string_equal(tick(), "p3");
	assert_string_equal(tick(), "p4");
	assert_int_equal(jb.stats.concealed, 0);
	assert_int_equal(jb.stats.late, 0);
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_int_equal(put(1, F, 160), JB_OK);
	assert_int_equal(put(1, F, 160), JB_DUP);
	assert_int_equal(put(2, F, 320), JB_OK);
	assert_int_equal(put(2, F, 320), JB_DUP);
	assert_int_equal(jb.stats.dup, 2);
	assert_string_equal(tick(), "p1");
	assert_string_equal(tick(), "p2");
	/* a copy of one already played is late, not played again */
	assert_int_equal(put(1, F, 160), JB_LATE);
}

/* a packet far from what is buffered (here half the timestamp circle,
 * where modulo-2^32 order says each is before the other) starts a new
 * timeline instead of being sorted in (found by fuzz_jbuf) */
static void test_far_timestamp_resyncs(void **state)
{
	(void)state;
	assert_int_equal(put(16, F, 2560), JB_OK);
	assert_int_equal(put(17, F, 2720), JB_OK);
	assert_int_equal(put(0, F, 2560u + 0x80000000u), JB_OK);
	assert_int_equal(jb.count, 1);
	assert_int_equal(jb.stats.resyncs, 1);
	assert_int_equal(put(1, F, 2720u + 0x80000000u), JB_OK);
	assert_int_equal(jb.count, 2);
	assert_string_equal(tick(), "p0");
	assert_string_equal(tick(), "p1");
}

static void test_hole_names_the_next_packet(void **state)
{
	(void)state;
	put(1, F, 160);
	put(2, F, 320);
	put(4, F, 640);
	put(5, F, 800);
	assert_string_equal(tick(), "p1");
	assert_string_equal(tick(), "p2");
	/* 3 is missing: a hole that ends at 4, whose FEC can fill it */
	assert_string_equal(tick(), "h160>4");
	assert_string_equal(tick(), "p4");
	assert_int_equal(jb.stats.concealed, 1);
}

static void test_long_hole_in_pieces(void **state)
{
	(void)state;
	put(1, F, 160);
	put(2, F, 320);
	put(5, F, 800);
	assert_string_equal(tick(), "p1");
	assert_string_equal(tick(), "p2");
	/* two frames missing: the first is concealed on its own, the
	 * second ends at packet 5 */
	assert_string_equal(tick(), "h160");
	assert_string_equal(tick(), "h160>5");
	assert_string_equal(tick(), "p5");
}

static void test_late_packet_raises_target(void **state)
{
	unsigned before;

	(void)state;
	put(1, F, 160);
	put(2, F, 320);
	put(4, F, 640);
	assert_string_equal(tick(), "p1");
	assert_string_equal(tick(), "p2");
	assert_string_equal(tick(), "h160>4");
	before = jbuf_target(&jb);
	assert_int_equal(put(3, F, 480), JB_LATE);
	assert_int_equal(jb.stats.late, 1);
	tick();
	assert_true(jbuf_target(&jb) > before);
}

static void test_10ms_and_30ms_packets(void **state)
{
	(void)state;
	/* 10 ms packets: two per frame */
	for (uint16_t s = 0; s < 6; s++)
		put(s, 80, 80u * s);
	assert_string_equal(tick(), "p0 p1");
	assert_string_equal(tick(), "p2 p3");

	setup(NULL);
	/* 30 ms packets: a frame and a half each; the rest is carried */
	put(0, 240, 0);
	put(1, 240, 240);
	assert_string_equal(tick(), "p0");
	assert_string_equal(tick(), "p1");   /* 80 carried + 160 of p1 */
	assert_string_equal(tick(), "");     /* 160 of p1 carried */
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_timestamp_wrap(void **state)
{
	(void)state;
	put(65534, F, 0xFFFFFFFFu - 319);
	put(65535, F, 0xFFFFFFFFu - 159);
	put(0, F, 0);
	assert_string_equal(tick(), "p254");
	assert_string_equal(tick(), "p255");
	assert_string_equal(tick(), "p0");
	assert_int_equal(jb.stats.concealed, 0);
}

static void test_sender_restart(void **state)
{
	(void)state;
	put(1, F, 100000000u);
	put(2, F, 100000160u);
	tick();
	tick();
	/* far back: a restarted sender, a new timeline */
	assert_int_equal(put(9, F, 1000), JB_OK);
	assert_int_equal(jb.stats.resyncs, 1);
	put(10, F, 1160);
	assert_string_equal(tick(), "p9");
	/* far ahead (10 s): playout moves to the new timeline at once */
	put(11, F, 81000);
	put(12, F, 81160);
	assert_string_equal(tick(), "p11");
	assert_string_equal(tick(), "p12");
}

static void test_dry_waits_then_idles(void **state)
{
	(void)state;
	put(1, F, 160);
	put(2, F, 320);
	assert_string_equal(tick(), "p1");
	assert_string_equal(tick(), "p2");
	/* nothing: concealed without moving the timeline ... */
	assert_string_equal(tick(), "d160");
	/* ... so a packet that was only late still plays */
	assert_int_equal(put(3, F, 480), JB_OK);
	assert_string_equal(tick(), "p3");
	assert_int_equal(jb.stats.stretched, 1);
	/* five dry frames and the stream is idle */
	for (int i = 0; i < 5; i++)
		assert_string_equal(tick(), "d160");
	assert_string_equal(tick(), "idle");
	assert_int_equal(jb.stats.underruns, 1);
	/* and it comes back, re-buffering first */
	put(100, F, 20000);
	assert_string_equal(tick(), "idle");
	put(101, F, 20160);
	assert_string_equal(tick(), "p100");
}

static void test_overflow_and_garbage(void **state)
{
	uint8_t data[JB_PAYLOAD + 1] = {0};

	(void)state;
	for (uint16_t s = 0; s < JB_SLOTS + 10; s++)
		put(s, F, s * 160u);
	assert_true(jb.stats.overflow >= 10);
	assert_int_equal(jb.count, JB_SLOTS);
	assert_int_equal(jbuf_put(&jb, 1, 1, F, 0, JB_LEVEL_NONE, data, 0,
				  0), JB_BAD);
	assert_int_equal(jbuf_put(&jb, 1, 1, F, 0, JB_LEVEL_NONE, data,
				  JB_PAYLOAD + 1, 0),
			 JB_BAD);
	assert_int_equal(jbuf_put(&jb, 1, 1, 0, 0, JB_LEVEL_NONE, data, 4,
				  0), JB_BAD);
	/* longer than 120 ms */
	assert_int_equal(jbuf_put(&jb, 1, 1, 961, 0, JB_LEVEL_NONE, data,
				  4, 0), JB_BAD);
}

static void test_garbage_stream(void **state)
{
	(void)state;
	srandom(7);
	/* random sequence numbers, timestamps, sizes and arrivals: the
	 * buffer never holds more than its slots, never hands out a packet
	 * twice in a row of ticks, and every tick ends with a frame */
	for (int i = 0; i < 20000; i++) {
		uint8_t d[2] = {(uint8_t)i, 0};

		now += (uint32_t)(random() % 400);
		(void)jbuf_put(&jb, (uint16_t)random(),
			       (uint32_t)random() % 50000,
			       (uint32_t)(random() % 1100), 0,
			       JB_LEVEL_NONE, d,
			       (size_t)(random() % 3), now);
		if (i % 3 == 0)
			tick();
		assert_true(jb.count <= JB_SLOTS);
	}
}

static void test_burst_cut_at_once(void **state)
{
	(void)state;
	/* a burst of 20 frames after a stall: playout starts near the
	 * newest, with no more delay than the target */
	for (uint16_t s = 0; s < 20; s++)
		put(s, F, s * 160u);
	tick();
	assert_true(jbuf_depth(&jb) <= jbuf_target(&jb));
	/* and while playing, a burst is cut too */
	for (uint16_t s = 20; s < 40; s++)
		put(s, F, s * 160u);
	tick();
	assert_true(jbuf_depth(&jb) <= jbuf_target(&jb) + F);
	assert_true(jb.stats.skipped > 0);
}

/* A sender at 20 ms whose packets arrive with up to `spread` units of
 * random delay, played for `ticks` ticks; returns the late packets */
static unsigned jittery(unsigned ticks, unsigned spread, uint16_t *seq,
			uint32_t *ts)
{
	/* arrivals per tick, in order of the tick they land in */
	static uint32_t pend_ts[64];
	static uint16_t pend_seq[64];
	static unsigned pend_at[64];
	unsigned npend = 0, late0 = jb.stats.late;

	for (unsigned t = 0; t < ticks; t++) {
		unsigned delay = spread ? (unsigned)random() % spread : 0;

		pend_ts[npend] = *ts;
		pend_seq[npend] = *seq;
		pend_at[npend++] = t + delay / F;
		*ts += F;
		(*seq)++;
		for (unsigned i = 0; i < npend;) {
			if (pend_at[i] > t) {
				i++;
				continue;
			}
			(void)put(pend_seq[i], F, pend_ts[i]);
			pend_ts[i] = pend_ts[--npend];
			pend_seq[i] = pend_seq[npend];
			pend_at[i] = pend_at[npend];
		}
		tick();
	}
	return jb.stats.late - late0;
}

static void test_target_follows_jitter(void **state)
{
	uint16_t seq = 1;
	uint32_t ts = 160;
	unsigned calm, rough, late_rough, late_after;

	(void)state;
	srandom(11);
	jittery(200, 0, &seq, &ts);
	calm = jbuf_target(&jb);
	assert_int_equal(calm, 320);            /* the 40 ms minimum */
	/* up to 80 ms of random delay: the target grows ... */
	late_rough = jittery(500, 640, &seq, &ts);
	rough = jbuf_target(&jb);
	assert_true(rough > calm + F);
	/* ... so that after it settled, few packets come too late */
	late_after = jittery(1500, 640, &seq, &ts);
	assert_true(late_after * 100 <= 1500 * 2);
	(void)late_rough;
	/* calm again: back toward the minimum */
	jittery(1500, 0, &seq, &ts);
	assert_true(jbuf_target(&jb) < rough);
	assert_true(jbuf_depth(&jb) <= jbuf_target(&jb) + 2 * F);
}

static void test_follows_fast_sender(void **state)
{
	uint32_t ts = 160;
	uint16_t seq = 1;

	(void)state;
	/* the sender's clock runs 1 % fast: 101 frames every 100 ticks */
	for (unsigned t = 0; t < 3000; t++) {
		put(seq++, F, ts);
		ts += F;
		if (t % 100 == 99) {
			put(seq++, F, ts);
			ts += F;
		}
		tick();
		if (t > 200)
			assert_true(jbuf_depth(&jb) <= jbuf_target(&jb) +
				    3 * F);
	}
	/* the excess was taken a frame at a time, about 30 of them */
	assert_true(jb.stats.skipped >= 20 && jb.stats.skipped <= 40);
	assert_int_equal(jb.stats.underruns, 0);
}

static void test_follows_slow_sender(void **state)
{
	uint32_t ts = 160;
	uint16_t seq = 1;

	(void)state;
	/* 1 % slow: every 100th tick brings nothing */
	for (unsigned t = 0; t < 3000; t++) {
		if (t % 100 != 99) {
			put(seq++, F, ts);
			ts += F;
		}
		tick();
	}
	/* each missing frame waited for (no packet is late, none skipped,
	 * the stream never went idle) */
	assert_int_equal(jb.stats.late, 0);
	assert_int_equal(jb.stats.underruns, 0);
	assert_true(jb.stats.stretched >= 25 && jb.stats.stretched <= 35);
}

/* A minimum configured above the adaptive ceiling is kept */
static void test_high_minimum(void **state)
{
	(void)state;
	jbuf_init(&jb, 8000, 300);
	put(1, F, 160);
	tick();
	assert_int_equal(jbuf_target(&jb), 2400);
}

static void test_opus_clock(void **state)
{
	(void)state;
	jbuf_init(&jb, 48000, 40);
	assert_int_equal(jb.frame, 960);
	assert_int_equal(jbuf_target(&jb), 1920);
	assert_int_equal(jbuf_put(&jb, 1, 960, 960, 111, JB_LEVEL_NONE,
				  (const uint8_t *)"x", 1, 0), JB_OK);
	assert_int_equal(jbuf_put(&jb, 2, 1920, 960, 111, JB_LEVEL_NONE,
				  (const uint8_t *)"y", 1, 0), JB_OK);
	assert_true(jbuf_tick(&jb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_reorder, setup),
		cmocka_unit_test_setup(test_duplicates, setup),
		cmocka_unit_test_setup(test_hole_names_the_next_packet, setup),
		cmocka_unit_test_setup(test_long_hole_in_pieces, setup),
		cmocka_unit_test_setup(test_late_packet_raises_target, setup),
		cmocka_unit_test_setup(test_10ms_and_30ms_packets, setup),
		cmocka_unit_test_setup(test_timestamp_wrap, setup),
		cmocka_unit_test_setup(test_sender_restart, setup),
		cmocka_unit_test_setup(test_dry_waits_then_idles, setup),
		cmocka_unit_test_setup(test_overflow_and_garbage, setup),
		cmocka_unit_test_setup(test_garbage_stream, setup),
		cmocka_unit_test_setup(test_burst_cut_at_once, setup),
		cmocka_unit_test_setup(test_target_follows_jitter, setup),
		cmocka_unit_test_setup(test_follows_fast_sender, setup),
		cmocka_unit_test_setup(test_follows_slow_sender, setup),
		cmocka_unit_test_setup(test_high_minimum, setup),
		cmocka_unit_test_setup(test_opus_clock, setup),
		cmocka_unit_test_setup(test_far_timestamp_resyncs, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
