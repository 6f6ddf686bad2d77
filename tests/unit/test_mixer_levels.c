/* The mixer's levels for the console's meters (mixer_room_levels): two
 * PCMU legs in room 1, A sending a 400 Hz tone at about -10 dBov, B
 * silence, and C (silence) in room 2, whose levels are wanted before it
 * has any stream. Then:
 *   - with room 1's levels not wanted, its stats reports come once a
 *     second and carry no level (MIXER_LEVEL_NONE); C's carry levels;
 *   - wanted, they come five times a second with the loudest frame of
 *     the interval: A's loud, B's silent; the mixer thread allocates
 *     nothing meanwhile (malloc, calloc, realloc counted);
 *   - not wanted again, no level;
 *   - mixer_room_thread names the thread of a placed room only, and the
 *     thread's load (load_ppm) is a share of its ticks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "media/media.h"
#include "mixer/mixer.h"
#include "alloc_count.h"
#include "rtp_peer.h"

#define NL 3
#define PHASE_TICKS 75           /* 1.5 s */

struct leg {
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	double amp;
	uint32_t id;
	/* in the phase now: reports without and with a level, the
	 * loudest level (-dBov) and the quietest */
	unsigned none, lv;
	uint8_t min, max;
};

static struct leg legs[NL];
static struct tmr stop_tmr;

static void ev_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (ev->type != MIXER_EV_STATS)
		return;
	for (int i = 0; i < NL; i++) {
		struct leg *l = &legs[i];

		if (ev->stream_id != l->id)
			continue;
		if (ev->stats.level == MIXER_LEVEL_NONE) {
			l->none++;
			continue;
		}
		l->lv++;
		if (ev->stats.level < l->min)
			l->min = ev->stats.level;
		if (ev->stats.level > l->max)
			l->max = ev->stats.level;
	}
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* The events waiting delivered (the eventfd's handler runs at once) */
static void deliver(void)
{
	tmr_start(&stop_tmr, 50, stop_h, NULL);
	(void)re_main(NULL);
}

static void phase_start(void)
{
	for (int i = 0; i < NL; i++) {
		legs[i].none = legs[i].lv = legs[i].max = 0;
		legs[i].min = 255;
	}
}

/* n ticks of media from every leg (what they hear is dropped); *allocs_d:
 * what was allocated after the first 10 */
static void run(unsigned *k, unsigned n, unsigned long *allocs_d)
{
	struct timespec next;
	unsigned long before = 0;
	uint8_t pkt[12 + PEER_FRAME], buf[1500];

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned t = 0; t < n; t++, (*k)++) {
		if (t == 10)
			before = allocs;
		for (int i = 0; i < NL; i++) {
			size_t len = peer_pcmu_packet(pkt, *k, 400,
						      legs[i].amp, 0x100 + i);

			(void)sendto(legs[i].peer, pkt, len, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
			while (recv(legs[i].peer, buf, sizeof(buf),
				    MSG_DONTWAIT) > 0)
				;
		}
		peer_tick_sleep(&next);
	}
	if (allocs_d)
		*allocs_d = allocs - before;
}

static void test_levels(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20};
	struct mixer *mx = NULL;
	struct mixer_thread_stats st;
	unsigned k = 0;
	unsigned long grown = 1;

	(void)state;
	tmr_init(&stop_tmr);
	assert_int_equal(mixer_alloc(&mx, &cfg, ev_h, NULL), 0);
	/* wanted before the room is placed: kept for it */
	assert_int_equal(mixer_room_levels(mx, 2, true), 0);
	for (int i = 0; i < NL; i++) {
		struct leg *l = &legs[i];
		struct sockaddr_in rtcp;
		struct mixer_media m = {0};
		int rtp_fd = peer_udp(&l->mix_addr);
		int rtcp_fd = peer_udp(&rtcp);

		l->peer = peer_udp(&l->peer_addr);
		l->amp = i == 0 ? 10000 : 0;
		memcpy(&m.rtp_dst, &l->peer_addr, sizeof(l->peer_addr));
		m.rtp_dst_len = sizeof(l->peer_addr);
		m.codec = MEDIA_PCMU;
		m.telev_pt = -1;
		m.send = m.recv = true;
		assert_int_equal(mixer_stream_add(mx, i < 2 ? 1 : 2, rtp_fd,
						  rtcp_fd, &m, &l->id), 0);
	}
	assert_int_equal(mixer_room_thread(mx, 1), 0);
	assert_int_equal(mixer_room_thread(mx, 99), -1);

	phase_start();
	run(&k, PHASE_TICKS, NULL);
	deliver();
	print_message("off: A %u reports (%u with a level), B %u (%u); "
		      "room 2's C %u levels\n", legs[0].none + legs[0].lv,
		      legs[0].lv, legs[1].none + legs[1].lv, legs[1].lv,
		      legs[2].lv);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(legs[i].lv, 0);
		assert_in_range(legs[i].none, 1, 2);
	}
	assert_true(legs[2].lv >= 5);

	assert_int_equal(mixer_room_levels(mx, 1, true), 0);
	phase_start();
	run(&k, PHASE_TICKS, &grown);
	deliver();
	print_message("on: A %u levels, loudest -%u dBov; B %u, loudest "
		      "-%u; allocated %lu\n", legs[0].lv, legs[0].min,
		      legs[1].lv, legs[1].min, grown);
	assert_int_equal(grown, 0);
	for (int i = 0; i < 2; i++)
		assert_true(legs[i].lv >= 5);
	/* A: a tone at 10000 of 32768 is about -13 dBov (RMS) */
	assert_in_range(legs[0].min, 8, 20);
	assert_true(legs[1].min >= 60);

	assert_int_equal(mixer_room_levels(mx, 1, false), 0);
	phase_start();
	run(&k, PHASE_TICKS, NULL);
	deliver();
	print_message("off again: A %u levels, %u without\n", legs[0].lv,
		      legs[0].none);
	/* (one report may have gone before the command was applied) */
	for (int i = 0; i < 2; i++) {
		assert_true(legs[i].lv <= 1);
		assert_true(legs[i].none >= 1);
	}
	mixer_thread_stats(mx, 0, &st);
	print_message("thread load %u ppm\n", st.load_ppm);
	assert_true(st.load_ppm > 0 && st.load_ppm < 1000000);

	for (int i = 0; i < NL; i++)
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < NL; i++)
		close(legs[i].peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
