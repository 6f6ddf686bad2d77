/* Applications in the mixer (mixer.h): streams without sockets that play
 * into the mix from a ring and hear the mix into one. One room, PCMU
 * legs on loopback as in test_mixer:
 *   A sends a 400 Hz tone, B listens, C is deaf;
 *   P plays a 1000 Hz tone to everyone, Q a 1600 Hz tone to C alone (a
 *   private prompt), R records the room (a sink).
 * Then: A and B hear P; B does not hear Q; C hears Q and nothing of the
 * room (deaf), R hears A and P but not Q; A, though talking, does not
 * lose its place among the K = 1 speakers to P (an application is
 * mixed beside the K speakers); nothing is allocated by the mixer thread in steady state; a
 * sink whose ring is not drained counts what it loses; the references
 * let go in either order leave nothing behind (the sanitizer build
 * checks leaks). Levels by Goertzel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "media/media.h"
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "alloc_count.h"
#include "rtp_peer.h"

#define TICKS 150                /* 3 s */

struct leg {
	int mix_rtp, mix_rtcp, peer;
	struct sockaddr_in mix_addr, peer_addr;
	uint32_t id;
	uint8_t last[25][PEER_FRAME];
	unsigned got;
};

static void leg_add(struct mixer *mx, uint32_t room, struct leg *l,
		    bool deaf)
{
	struct sockaddr_in rtcp;
	struct mixer_media m = {0};

	l->mix_rtp = peer_udp(&l->mix_addr);
	l->mix_rtcp = peer_udp(&rtcp);
	l->peer = peer_udp(&l->peer_addr);
	memcpy(&m.rtp_dst, &l->peer_addr, sizeof(l->peer_addr));
	m.rtp_dst_len = sizeof(l->peer_addr);
	m.codec = MEDIA_PCMU;
	m.telev_pt = -1;
	m.send = m.recv = true;
	m.deaf = deaf;
	m.room_speakers = 1;
	assert_int_equal(mixer_stream_add(mx, room, l->mix_rtp, l->mix_rtcp,
					  &m, &l->id), 0);
}

static void drain(struct leg *l)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != PEER_FRAME)
			continue;
		memmove(l->last[0], l->last[1], sizeof(l->last) - PEER_FRAME);
		memcpy(l->last[24], h.payload, PEER_FRAME);
		l->got++;
	}
}

static double leg_db(const struct leg *l, double f)
{
	return peer_pcmu_power_db(l->last + 5, 20, f);
}

/* A 20 ms frame k of a tone at 16 kHz */
static void tone_frame(int16_t *pcm, unsigned k, double f, double amp)
{
	for (unsigned i = 0; i < MIXER_APP_FRAME; i++) {
		double t = (k * MIXER_APP_FRAME + i) / 16000.0;

		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * f * t));
	}
}

/* Goertzel power of f (dBFS) over n samples at 16 kHz */
static double pcm_db(const int16_t *pcm, size_t n, double f)
{
	double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / 16000), p;

	for (size_t i = 0; i < n; i++) {
		double s0 = pcm[i] / 32768.0 + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 10 * log10(p / (n * n / 4.0) + 1e-20);
}

static void test_apps(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 1};
	struct mixer *mx = NULL;
	struct leg l[3];
	struct mixer_app *p, *q, *r;
	struct mixer_media am = {.gain_in_db = 0, .room_speakers = 1};
	uint32_t pid, qid, rid;
	int16_t frame[MIXER_APP_FRAME], heard[20 * MIXER_APP_FRAME];
	unsigned nheard = 0;
	unsigned long before = 0;
	struct timespec next;

	(void)state;
	memset(l, 0, sizeof(l));
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	for (int i = 0; i < 3; i++)
		leg_add(mx, 3, &l[i], i == 2);
	p = mixer_app_new(true, false, 16);
	q = mixer_app_new(true, false, 16);
	r = mixer_app_new(false, true, 64);
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_null(mixer_app_new(true, false, 12));   /* not a power of 2 */
	assert_int_equal(mixer_app_add(mx, 3, p, 0, &am, &pid), 0);
	assert_int_equal(mixer_app_add(mx, 3, q, l[2].id, &am, &qid), 0);
	assert_int_equal(mixer_app_add(mx, 3, r, 0, &am, &rid), 0);
	/* an application plays or hears only as it was made */
	assert_false(mixer_app_play(r, frame));
	assert_false(mixer_app_take(p, frame));

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned k = 0; k < TICKS; k++) {
		uint8_t pkt[12 + PEER_FRAME];
		size_t n = peer_pcmu_packet(pkt, k, 400, 12000, 0x2000);

		(void)sendto(l[0].peer, pkt, n, 0,
			     (struct sockaddr *)&l[0].mix_addr,
			     sizeof(l[0].mix_addr));
		/* the players stay a few frames ahead, as the I/O thread
		 * keeps them */
		while (mixer_app_queued(p) < 4) {
			static unsigned kp, kq;

			tone_frame(frame, kp++, 1000, 8000);
			assert_true(mixer_app_play(p, frame));
			tone_frame(frame, kq++, 1600, 8000);
			assert_true(mixer_app_play(q, frame));
		}
		while (mixer_app_take(r, frame)) {
			if (nheard == 20)
				memmove(heard, heard + MIXER_APP_FRAME,
					sizeof(heard) - sizeof(frame));
			else
				nheard++;
			memcpy(heard + (nheard - 1) * MIXER_APP_FRAME, frame,
			       sizeof(frame));
		}
		for (int i = 0; i < 3; i++)
			drain(&l[i]);
		if (k == TICKS - 50)
			before = allocs;
		peer_tick_sleep(&next);
	}
	assert_int_equal(allocs - before, 0);
	for (int i = 0; i < 3; i++)
		print_message("leg %c: got %u; 400 %.1f, 1000 %.1f, 1600 %.1f "
			      "dBFS\n", 'A' + i, l[i].got, leg_db(&l[i], 400),
			      leg_db(&l[i], 1000), leg_db(&l[i], 1600));
	print_message("recorder: %u frames; 400 %.1f, 1000 %.1f, 1600 %.1f "
		      "dBFS\n", nheard, pcm_db(heard, sizeof(heard) / 2, 400),
		      pcm_db(heard, sizeof(heard) / 2, 1000),
		      pcm_db(heard, sizeof(heard) / 2, 1600));
	for (int i = 0; i < 3; i++)
		assert_true(l[i].got > TICKS - 20);
	/* A hears P (and not its own tone, nor C's prompt) */
	assert_true(leg_db(&l[0], 1000) > -30);
	assert_true(leg_db(&l[0], 400) < -45);
	assert_true(leg_db(&l[0], 1600) < -45);
	/* B hears A and P (K = 1: P does not push A out), not Q */
	assert_true(leg_db(&l[1], 400) > -30);
	assert_true(leg_db(&l[1], 1000) > -30);
	assert_true(leg_db(&l[1], 1600) < -45);
	/* C is deaf to the room but hears what is said to it alone */
	assert_true(leg_db(&l[2], 1600) > -30);
	assert_true(leg_db(&l[2], 400) < -45);
	assert_true(leg_db(&l[2], 1000) < -45);
	/* the recorder hears the room, not the private prompt */
	assert_int_equal(nheard, 20);
	assert_true(pcm_db(heard, sizeof(heard) / 2, 400) > -30);
	assert_true(pcm_db(heard, sizeof(heard) / 2, 1000) > -30);
	assert_true(pcm_db(heard, sizeof(heard) / 2, 1600) < -45);
	assert_int_equal(mixer_app_lost(r), 0);
	/* a sink nobody drains loses frames, counted */
	for (unsigned k = 0; k < 100; k++)
		peer_tick_sleep(&next);
	assert_true(mixer_app_lost(r) > 0);
	/* P let go before its stream is removed, R after */
	mixer_app_put(p);
	mixer_app_put(q);
	assert_int_equal(mixer_stream_remove(mx, pid), 0);
	assert_int_equal(mixer_stream_remove(mx, qid), 0);
	assert_int_equal(mixer_stream_remove(mx, rid), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(mixer_stream_remove(mx, l[i].id), 0);
	mem_deref(mx);
	mixer_app_put(r);
	for (int i = 0; i < 3; i++)
		close(l[i].peer);
}

/* A sink that hears one stream alone (a track of its own, a name said
 * in the lobby): A talks (400 Hz) and is muted, B talks (700 Hz), P
 * plays (1000 Hz): T, tapping A, hears A alone although nobody else
 * does; U, the room's mix, hears B and P but not A. A removed first:
 * T hears silence and nothing breaks. */
static void test_tap(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20};
	struct mixer *mx = NULL;
	struct leg l[2];
	struct mixer_app *p = mixer_app_new(true, false, 16);
	struct mixer_app *tap = mixer_app_new(false, true, 64);
	struct mixer_app *u = mixer_app_new(false, true, 64);
	struct mixer_media am = {0};
	uint32_t pid, tid, uid;
	int16_t frame[MIXER_APP_FRAME];
	static int16_t th[20 * MIXER_APP_FRAME], uh[20 * MIXER_APP_FRAME];
	unsigned nt = 0, nu = 0, kp = 0;
	struct timespec next;
	struct mixer_media m = {0};

	(void)state;
	memset(l, 0, sizeof(l));
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	for (int i = 0; i < 2; i++)
		leg_add(mx, 4, &l[i], false);
	/* A muted */
	memcpy(&m.rtp_dst, &l[0].peer_addr, sizeof(l[0].peer_addr));
	m.rtp_dst_len = sizeof(l[0].peer_addr);
	m.codec = MEDIA_PCMU;
	m.telev_pt = -1;
	m.send = m.recv = m.muted = true;
	m.room_speakers = 1;
	assert_int_equal(mixer_stream_update(mx, l[0].id, &m), 0);
	assert_int_equal(mixer_app_add(mx, 4, p, 0, &am, &pid), 0);
	assert_int_equal(mixer_app_add(mx, 4, tap, l[0].id, &am, &tid), 0);
	assert_int_equal(mixer_app_add(mx, 4, u, 0, &am, &uid), 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned k = 0; k < TICKS; k++) {
		for (int i = 0; i < 2; i++) {
			uint8_t pkt[12 + PEER_FRAME];
			size_t n = peer_pcmu_packet(pkt, k, i ? 700 : 400,
						    12000, 0x3000 + i);

			(void)sendto(l[i].peer, pkt, n, 0,
				     (struct sockaddr *)&l[i].mix_addr,
				     sizeof(l[i].mix_addr));
			drain(&l[i]);
		}
		while (mixer_app_queued(p) < 4) {
			tone_frame(frame, kp++, 1000, 8000);
			assert_true(mixer_app_play(p, frame));
		}
		while (mixer_app_take(tap, frame)) {
			if (nt == 20)
				memmove(th, th + MIXER_APP_FRAME,
					sizeof(th) - sizeof(frame));
			else
				nt++;
			memcpy(th + (nt - 1) * MIXER_APP_FRAME, frame,
			       sizeof(frame));
		}
		while (mixer_app_take(u, frame)) {
			if (nu == 20)
				memmove(uh, uh + MIXER_APP_FRAME,
					sizeof(uh) - sizeof(frame));
			else
				nu++;
			memcpy(uh + (nu - 1) * MIXER_APP_FRAME, frame,
			       sizeof(frame));
		}
		peer_tick_sleep(&next);
	}
	print_message("tap of A: 400 %.1f, 700 %.1f, 1000 %.1f dBFS; mix: "
		      "400 %.1f, 700 %.1f, 1000 %.1f dBFS\n",
		      pcm_db(th, sizeof(th) / 2, 400),
		      pcm_db(th, sizeof(th) / 2, 700),
		      pcm_db(th, sizeof(th) / 2, 1000),
		      pcm_db(uh, sizeof(uh) / 2, 400),
		      pcm_db(uh, sizeof(uh) / 2, 700),
		      pcm_db(uh, sizeof(uh) / 2, 1000));
	assert_int_equal(nt, 20);
	assert_true(pcm_db(th, sizeof(th) / 2, 400) > -30);
	assert_true(pcm_db(th, sizeof(th) / 2, 700) < -45);
	assert_true(pcm_db(th, sizeof(th) / 2, 1000) < -45);
	assert_true(pcm_db(uh, sizeof(uh) / 2, 400) < -45);
	assert_true(pcm_db(uh, sizeof(uh) / 2, 700) > -30);
	assert_true(pcm_db(uh, sizeof(uh) / 2, 1000) > -30);
	/* the tapped stream goes first: the tap hears silence */
	assert_int_equal(mixer_stream_remove(mx, l[0].id), 0);
	for (unsigned k = 0; k < 10; k++)
		peer_tick_sleep(&next);
	while (mixer_app_take(tap, frame))
		;
	for (unsigned k = 0; k < 5; k++)
		peer_tick_sleep(&next);
	assert_true(mixer_app_take(tap, frame));
	assert_true(pcm_db(frame, MIXER_APP_FRAME, 400) < -60);
	mixer_app_put(p);
	mixer_app_put(tap);
	mixer_app_put(u);
	assert_int_equal(mixer_stream_remove(mx, pid), 0);
	assert_int_equal(mixer_stream_remove(mx, tid), 0);
	assert_int_equal(mixer_stream_remove(mx, uid), 0);
	assert_int_equal(mixer_stream_remove(mx, l[1].id), 0);
	mem_deref(mx);
	for (int i = 0; i < 2; i++)
		close(l[i].peer);
}

/* An application added and the mixer freed before any tick applied the
 * command: the command's reference is let go too */
static void test_app_unapplied(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20};
	struct mixer *mx = NULL;
	struct mixer_app *a = mixer_app_new(true, true, 4);
	struct mixer_media am = {0};
	uint32_t id;

	(void)state;
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	assert_int_equal(mixer_app_add(mx, 5, a, 0, &am, &id), 0);
	mixer_app_put(a);
	mem_deref(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apps),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_app_unapplied),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
