/* The mix rate follows the room (issue 22), end to end on loopback UDP
 * against a real mixer thread whose ceiling (mixer_rate) is 16 kHz:
 *   - a PCMU talker T (a steady 440 Hz) and a PCMU listener L: the room
 *     mixes at 8 kHz; a G.722 caller G joins: 16 kHz; G leaves: 8 kHz
 *     again (each rate as L's stats events report it);
 *   - L hears every 20 ms packet throughout (sequence numbers and
 *     timestamps continuous, one SSRC), and no click at either switch:
 *     the largest sample-to-sample step of what L decodes is no larger
 *     than a small margin over the steady tone's, and every frame's
 *     level stays within 1 dB of the steady one (a gap, a fade or a
 *     jump of the tone's phase would break one or the other);
 *     (with keypad tones listened for in the audio, which holds G.711
 *     two frames back, and without);
 *   - with a ceiling of 8 kHz the G.722 caller leaves the room at
 *     8 kHz; a conference's fixed rate (room_hz) wins over the callers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "rtp_peer.h"

#define FRAME PEER_FRAME
#define MAXF 1200                /* frames L may hear in a test */
#define FREQ 440.0
#define AMP 10000.0
#define SETTLE 50                /* frames before the tone is steady */

struct leg {
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	uint32_t id;
	struct mixer_media m;
};

/* What L heard, every packet in order */
static struct {
	unsigned n;
	uint32_t ssrc;
	uint16_t seq[MAXF];
	uint32_t ts[MAXF];
	bool one_ssrc;
	int16_t pcm[MAXF][FRAME];
} heard;

static struct leg t_leg, l_leg, g_leg;
static uint32_t l_hz;            /* L's room's rate, by its last stats */
static struct timespec next;
static unsigned kpkt;
static struct media_coder *g722;
static struct tmr tick_tmr;
static bool stalled;             /* the test's sends were late */
static int telev_pt;             /* -1: G.711 callers' keypad tones are
				  * listened for in the audio (inband.c,
				  * which holds two frames back) */

static void stats_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (ev->type == MIXER_EV_STATS && ev->stream_id == l_leg.id)
		l_hz = ev->stats.mix_hz;
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static void leg_add(struct mixer *mx, uint32_t room, struct leg *l,
		    enum media_codec codec, uint32_t room_hz)
{
	l->peer = peer_udp(&l->peer_addr);
	peer_mixer_media(&l->m, &l->peer_addr, codec);
	l->m.telev_pt = telev_pt;
	l->m.room_hz = room_hz;
	peer_stream_add(mx, room, &l->m, &l->mix_addr, &l->id);
}

static void leg_gone(struct mixer *mx, struct leg *l)
{
	assert_int_equal(mixer_stream_remove(mx, l->id), 0);
	close(l->peer);
	l->peer = -1;
}

static void drain_l(void)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l_leg.peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != FRAME ||
		    heard.n == MAXF)
			continue;
		if (!heard.n)
			heard.ssrc = h.ssrc;
		heard.one_ssrc &= h.ssrc == heard.ssrc;
		heard.seq[heard.n] = h.seq;
		heard.ts[heard.n] = h.ts;
		media_decode(MEDIA_PCMU, heard.pcm[heard.n], h.payload, FRAME);
		heard.n++;
	}
}

/* G's frame k: 20 ms of G.722 silence (RTP clock 8 kHz) */
static void send_g722(unsigned k)
{
	int16_t pcm[320] = {0};
	uint8_t pkt[12 + MEDIA_MAX_PAYLOAD];
	uint32_t ts = k * 160;
	size_t len = media_coder_encode(g722, MEDIA_G722, pkt + 12,
					MEDIA_MAX_PAYLOAD, pcm, 320);

	peer_rtp_header(pkt, 9, (uint16_t)k, ts, 7);
	(void)sendto(g_leg.peer, pkt, 12 + len, 0,
		     (struct sockaddr *)&g_leg.mix_addr,
		     sizeof(g_leg.mix_addr));
}

/* Until 20 ms after the last tick, the mixer's events handled meanwhile */
static void tick_wait(void)
{
	struct timespec now;
	int64_t ms;

	next.tv_nsec += 20000000;
	if (next.tv_nsec >= 1000000000) {
		next.tv_nsec -= 1000000000;
		next.tv_sec++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (next.tv_sec - now.tv_sec) * 1000 +
		(next.tv_nsec - now.tv_nsec) / 1000000;
	stalled |= ms < -60;
	tmr_start(&tick_tmr, ms > 0 ? (uint64_t)ms : 0, stop_h, NULL);
	(void)re_main(NULL);
}

/* At least min frames of the talker's tone (and G's silence while it is
 * in), then on until L's stats say the room mixes at hz (a bound of 5 s
 * more, for a failure) */
static void run_until(unsigned min, uint32_t hz)
{
	for (unsigned k = 0; k < min || (l_hz != hz && k < min + 250);
	     k++, kpkt++) {
		uint8_t pkt[12 + FRAME];
		size_t n = peer_pcmu_packet(pkt, kpkt, FREQ, AMP, 0x7a1);

		(void)sendto(t_leg.peer, pkt, n, 0,
			     (struct sockaddr *)&t_leg.mix_addr,
			     sizeof(t_leg.mix_addr));
		if (g_leg.peer >= 0)
			send_g722(kpkt);
		drain_l();
		tick_wait();
	}
	drain_l();
	print_message("after %u frames: L's room mixes at %u Hz\n", kpkt,
		      l_hz);
	assert_int_equal(l_hz, hz);
}

static double frame_rms(const int16_t *x)
{
	double e = 0;

	for (unsigned i = 0; i < FRAME; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / FRAME);
}

/* The largest step between consecutive samples from frame a to b */
static int max_step(unsigned a, unsigned b, unsigned *at)
{
	const int16_t *x = heard.pcm[0];
	int best = 0;

	for (unsigned i = a * FRAME + 1; i < b * FRAME; i++) {
		int d = abs(x[i] - x[i - 1]);

		if (d > best) {
			best = d;
			if (at)
				*at = i / FRAME;
		}
	}
	return best;
}

/* Around a switch (L had heard `at` frames when the command went):
 * the largest step and the level's range against the steady tone's
 * (only there: elsewhere a loaded machine's late send may be concealed,
 * which this test is not about) */
static void check_switch(unsigned at, int ref_step, double ref)
{
	unsigned a = at - 5, b = at + 20 < heard.n ? at + 20 : heard.n,
		worst = 0;
	int step = max_step(a, b, &worst);
	double lo = 0, hi = 0;

	for (unsigned i = a; i < b; i++) {
		double db = 20 * log10(frame_rms(heard.pcm[i]) / ref);

		lo = db < lo ? db : lo;
		hi = db > hi ? db : hi;
	}
	print_message("frames %u to %u: largest step %d (frame %u), level "
		      "%+.2f to %+.2f dB\n", a, b, step, worst, lo, hi);
	assert_true(step <= ref_step + ref_step / 8);
	assert_true(lo > -1 && hi < 1);
}

static void check_continuous(const unsigned *sw, unsigned nsw)
{
	int ref_step = max_step(SETTLE, SETTLE + 40, NULL);
	double ref = frame_rms(heard.pcm[SETTLE]);

	if (getenv("DUMP")) {      /* what L heard, for a closer look */
		char name[256];
		FILE *f;

		snprintf(name, sizeof(name), "%s.%d", getenv("DUMP"),
			 telev_pt);
		f = fopen(name, "wb");
		assert_non_null(f);
		fwrite(heard.pcm, sizeof(heard.pcm[0]), heard.n, f);
		fclose(f);
	}
	assert_true(heard.one_ssrc);
	for (unsigned i = 1; i < heard.n; i++) {
		assert_int_equal(heard.seq[i], (uint16_t)(heard.seq[0] + i));
		assert_int_equal(heard.ts[i], heard.ts[0] + i * FRAME);
	}
	print_message("L heard %u frames, one SSRC, no sequence gap; the "
		      "steady tone's largest step %d\n", heard.n, ref_step);
	for (unsigned i = 0; i < nsw; i++)
		check_switch(sw[i], ref_step, ref);
}

static void start(struct mixer **mx, unsigned ceiling)
{
	/* (a deep jitter buffer: a loaded machine's late sends must not
	 * leave it dry at a switch, which this test is not about) */
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 100,
				.max_speakers = 4, .mix_hz = ceiling};
	int err;

	memset(&heard, 0, sizeof(heard));
	heard.one_ssrc = true;
	stalled = false;
	l_hz = 0;
	kpkt = 0;
	g_leg.peer = -1;
	g722 = media_coder_new(MEDIA_G722, 16000, NULL, &err);
	assert_non_null(g722);
	tmr_init(&tick_tmr);
	assert_int_equal(mixer_alloc(mx, &cfg, stats_h, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
}

static void stop(struct mixer *mx)
{
	tmr_cancel(&tick_tmr);
	leg_gone(mx, &t_leg);
	leg_gone(mx, &l_leg);
	mem_deref(mx);
	media_coder_free(g722);
}

/* Did the mixer thread keep time (no tick started more than 20 ms
 * late: a starved thread skips ticks, and the jitter buffers cut what
 * piled up), and the test's sends too? */
static bool kept_time(struct mixer *mx)
{
	struct mixer_thread_stats st;

	mixer_thread_stats(mx, 0, &st);
	print_message("ticks started over 20 ms late: %llu; sends late: "
		      "%s\n", (unsigned long long)
		      st.late_hist[MIXER_TICK_BUCKETS - 1],
		      stalled ? "yes" : "no");
	return !stalled && !st.late_hist[MIXER_TICK_BUCKETS - 1];
}

/* (a run on a machine too busy to keep time says nothing about clicks:
 * it is run again, and skipped after five) */
static void follow(int pt)
{
	unsigned sw[2];

	telev_pt = pt;
	for (int tries = 0; tries < 5; tries++) {
		struct mixer *mx = NULL;

		start(&mx, 16000);
		leg_add(mx, 3, &t_leg, MEDIA_PCMU, 0);
		leg_add(mx, 3, &l_leg, MEDIA_PCMU, 0);
		run_until(100, 8000);
		sw[0] = heard.n;
		leg_add(mx, 3, &g_leg, MEDIA_G722, 0);
		run_until(100, 16000);
		sw[1] = heard.n;
		leg_gone(mx, &g_leg);
		run_until(100, 8000);
		if (kept_time(mx)) {
			check_continuous(sw, 2);
			stop(mx);
			return;
		}
		stop(mx);
	}
	skip();
}

static void test_follow(void **state)
{
	(void)state;
	follow(-1);
}

/* the same with RFC 4733 keypad events (no in-band listener) */
static void test_follow_telev(void **state)
{
	(void)state;
	follow(101);
}

/* The ceiling holds a G.722 caller's room at 8 kHz; a conference that
 * fixes 48 kHz gets it, G.711 callers or not */
static void test_ceiling_policy(void **state)
{
	struct mixer *mx = NULL;

	(void)state;
	telev_pt = -1;
	start(&mx, 8000);
	leg_add(mx, 4, &t_leg, MEDIA_PCMU, 0);
	leg_add(mx, 4, &l_leg, MEDIA_PCMU, 0);
	leg_add(mx, 4, &g_leg, MEDIA_G722, 0);
	run_until(60, 8000);
	leg_gone(mx, &g_leg);
	stop(mx);
	start(&mx, 16000);
	leg_add(mx, 5, &t_leg, MEDIA_PCMU, 48000);
	leg_add(mx, 5, &l_leg, MEDIA_PCMU, 48000);
	run_until(60, 48000);
	stop(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_follow_telev),
		cmocka_unit_test(test_ceiling_policy),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
