/* The media policy in the mixer (struct mixer_media's group, class row,
 * relations, whisper and listen targets) end to end on loopback UDP:
 * five PCMU legs in one room mixed at 8 kHz, A to D sending tones of
 * 400, 700, 1000 and 1300 Hz at the same level, E silent. Each phase
 * changes the settings by mixer_stream_update and checks by Goertzel what
 * each leg hears, against the level heard before any relation (within
 * 1 dB where a gain is asked for):
 *   - relations: E hears B at -6 dB and not C; the others as before;
 *   - class rows: E does not hear the class D is in;
 *   - a sidebar (group 1, main at -12 dB): C and D hear each other at
 *     full level and A and B 12 dB down; A, B and E do not hear C or D;
 *     with no background, C hears A not at all;
 *   - everyone in one of two sidebars: the main mix, empty, is silence
 *     in the background, not its last frame again and again;
 *   - back in the main conference, everyone hears them again;
 *   - a whisper: A speaks to E alone (B does not hear it), and with
 *     listen_to A hears B alone (not C);
 *   - the mixer thread allocates nothing in steady state with all of
 *     it in place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
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

#define NL 5
#define FRAME PEER_FRAME
#define WINDOW 20                    /* frames measured */

struct leg {
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	double freq;
	uint32_t id;
	uint8_t last[WINDOW][FRAME];
	unsigned got;
	struct mixer_media m;
};

static struct leg legs[NL];
static const double freqs[NL] = {400, 700, 1000, 1300, 0};
static unsigned kpkt;
static struct timespec next;

static void leg_add(struct mixer *mx, struct leg *l, double freq)
{
	struct sockaddr_in rtcp;
	int rtp_fd = peer_udp(&l->mix_addr), rtcp_fd = peer_udp(&rtcp);

	l->peer = peer_udp(&l->peer_addr);
	l->freq = freq;
	memset(&l->m, 0, sizeof(l->m));
	memcpy(&l->m.rtp_dst, &l->peer_addr, sizeof(l->peer_addr));
	l->m.rtp_dst_len = sizeof(l->peer_addr);
	l->m.codec = MEDIA_PCMU;
	l->m.telev_pt = -1;
	l->m.send = l->m.recv = true;
	l->m.room_speakers = 4;
	l->m.room_hz = 8000;
	l->m.cls = 2;                        /* participants */
	assert_int_equal(mixer_stream_add(mx, 9, rtp_fd, rtcp_fd, &l->m,
					  &l->id), 0);
}

static void drain(struct leg *l)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != FRAME)
			continue;
		memmove(l->last[0], l->last[1], sizeof(l->last) - FRAME);
		memcpy(l->last[WINDOW - 1], h.payload, FRAME);
		l->got++;
	}
}

/* n ticks of everyone sending, everyone's receipts read */
static void run(unsigned n)
{
	for (unsigned t = 0; t < n; t++, kpkt++) {
		for (int i = 0; i < NL; i++) {
			uint8_t pkt[12 + FRAME];
			size_t len = peer_pcmu_packet(pkt, kpkt, legs[i].freq,
						      legs[i].freq ? 6000 : 0,
						      0x2000 + (uint32_t)i);

			(void)sendto(legs[i].peer, pkt, len, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
			drain(&legs[i]);
		}
		peer_tick_sleep(&next);
	}
	for (int i = 0; i < NL; i++)
		drain(&legs[i]);
}

static void run_one(void)
{
	run(1);
}

/* l's settings to the mixer, and media on (the peers keep sending) until
 * its thread has applied them: what is measured after comes from the
 * new settings, however late a loaded machine runs the thread */
static void update(struct mixer *mx, struct leg *l)
{
	uint64_t t0 = peer_mixer_ticks(mx);

	assert_int_equal(mixer_stream_update(mx, l->id, &l->m), 0);
	peer_mixer_wait(mx, t0, run_one);
}

/* What leg i hears of leg j's tone (dBFS) */
static double hears(int i, int j)
{
	return peer_pcmu_power_db((const uint8_t (*)[FRAME])legs[i].last,
				  WINDOW, freqs[j]);
}

#define SILENT -45.0

static void near(double got, double want, const char *what)
{
	print_message("%-44s %6.1f dB (want %6.1f)\n", what, got, want);
	assert_true(fabs(got - want) <= 1.0);
}

static void silent(double got, const char *what)
{
	print_message("%-44s %6.1f dB (want silence)\n", what, got);
	assert_true(got < SILENT);
}

static void test_policy(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 4, .mix_hz = 8000};
	struct mixer *mx = NULL;
	double full;               /* one tone as everyone hears it */
	unsigned long before;

	(void)state;
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	for (int i = 0; i < NL; i++)
		leg_add(mx, &legs[i], freqs[i]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(60);
	full = hears(4, 1);
	print_message("E hears B at %.1f dBFS with no relation\n", full);
	assert_true(full > -30);
	near(hears(4, 2), full, "E hears C (no relation)");
	silent(hears(0, 0), "A does not hear itself");

	/* relations: E hears B at -6 dB and not C */
	legs[4].m.rel[0].stream = legs[1].id;
	legs[4].m.rel[0].gain_db = -6;
	legs[4].m.rel[1].stream = legs[2].id;
	legs[4].m.rel[1].gain_db = MIXER_GAIN_OFF_DB;
	legs[4].m.nrel = 2;
	update(mx, &legs[4]);
	run(30);
	near(hears(4, 1), full - 6, "E hears B at -6 dB");
	silent(hears(4, 2), "E does not hear C");
	near(hears(4, 0), full, "E hears A as before");
	near(hears(3, 2), full, "D hears C as before");

	/* a class row: D is a moderator (class 1), E hears no moderator */
	legs[3].m.cls = 1;
	update(mx, &legs[3]);
	legs[4].m.nrel = 0;
	legs[4].m.by_class = true;
	legs[4].m.cls_gain_db[1] = MIXER_GAIN_OFF_DB;
	update(mx, &legs[4]);
	run(30);
	silent(hears(4, 3), "E does not hear the moderator D");
	near(hears(4, 2), full, "E hears C again");
	legs[4].m.by_class = false;
	update(mx, &legs[4]);

	/* a sidebar: C and D in group 1, the main mix at -12 dB */
	for (int i = 2; i <= 3; i++) {
		legs[i].m.group = 1;
		legs[i].m.bg = true;
		legs[i].m.bg_gain_db = -12;
		update(mx, &legs[i]);
	}
	run(30);
	before = allocs;
	run(40);
	assert_int_equal(allocs - before, 0);      /* steady state */
	near(hears(2, 3), full, "C hears D at full level");
	near(hears(3, 2), full, "D hears C at full level");
	near(hears(2, 0), full - 12, "C hears A in the background");
	near(hears(3, 1), full - 12, "D hears B in the background");
	silent(hears(2, 2), "C does not hear itself");
	silent(hears(0, 2), "A does not hear C");
	silent(hears(4, 3), "E does not hear D");
	near(hears(4, 0), full, "E hears A");
	/* no background */
	for (int i = 2; i <= 3; i++) {
		legs[i].m.bg = false;
		update(mx, &legs[i]);
	}
	run(30);
	silent(hears(2, 0), "C does not hear A without a background");
	near(hears(2, 3), full, "C still hears D");

	/* everyone in a sidebar: the main mix is empty, and its silence
	 * (not its last frame) is what the background carries */
	for (int i = 0; i < NL; i++) {
		legs[i].m.group = i == 2 || i == 3 ? 1 : 2;
		legs[i].m.bg = true;
		legs[i].m.bg_gain_db = -12;
		update(mx, &legs[i]);
	}
	run(30);
	silent(hears(2, 0), "C does not hear A (main mix empty)");
	silent(hears(0, 2), "A does not hear C (another sidebar)");
	near(hears(0, 1), full, "A hears B in their sidebar");
	near(hears(2, 3), full, "C hears D in theirs");
	for (int i = 0; i < NL; i++) {
		legs[i].m.bg = false;
		if (i != 2 && i != 3)
			legs[i].m.group = 0;
		update(mx, &legs[i]);
	}

	/* back in the main conference */
	for (int i = 2; i <= 3; i++) {
		legs[i].m.group = 0;
		update(mx, &legs[i]);
	}
	run(30);
	near(hears(0, 2), full, "A hears C again");
	near(hears(2, 0), full, "C hears A at full level again");

	/* a whisper: A to E alone */
	legs[0].m.whisper_to = legs[4].id;
	update(mx, &legs[0]);
	run(30);
	near(hears(4, 0), full, "E hears A's whisper");
	silent(hears(1, 0), "B does not hear A's whisper");
	near(hears(0, 1), full, "A hears the room (B)");
	/* and A listening to B alone */
	legs[0].m.listen_to = legs[1].id;
	update(mx, &legs[0]);
	run(30);
	near(hears(0, 1), full, "A hears B alone");
	silent(hears(0, 2), "A does not hear C");
	legs[0].m.whisper_to = legs[0].m.listen_to = 0;
	update(mx, &legs[0]);
	run(30);
	near(hears(1, 0), full, "B hears A again");

	for (int i = 0; i < NL; i++)
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < NL; i++)
		close(legs[i].peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
