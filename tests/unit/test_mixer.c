/* The mixer thread end to end on loopback UDP: four streams in one room
 * with K = 2 (mixer_max_speakers). A, B and C send tones of 400, 700 and
 * 1000 Hz at falling levels, D sends silence. Then:
 *   - A hears B only, B hears A only (N-1 among the speakers);
 *   - C (talking, but not among the two loudest) and D hear A and B and
 *     not C: only the K loudest are mixed;
 *   - C and D get byte-identical payloads (one shared encoding);
 *   - with the room's own K of 1 (room_speakers, per conference), D
 *     hears A only; with 2 again and C the loudest, D hears A and C;
 *   - all of that three ways at once, each in a mixer of its own (the
 *     calls' sockets read and sent a system call a packet; the thread's
 *     io_uring; telephone-event negotiated, so a G.711 frame is decoded
 *     only when heard), driven by one clock: three seconds, not nine;
 *   - once running, the mixer thread allocates nothing: malloc, calloc
 *     and realloc are wrapped (-Wl,--wrap) and counted over a second of
 *     steady state, and must not move (in the default 16 kHz mix, with
 *     the G.711 legs resampled, and in a 48 kHz mix);
 *   - Opus loss rebuilt from FEC; the mix rate carries 6 kHz or not;
 *   - RFC 6465: a leg that asks gets the CSRCs of whom it hears, with
 *     their levels.
 * Levels by Goertzel on the decoded G.711. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <liburing.h>
#include <re.h>
#include "media/media.h"
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "alloc_count.h"
#include "rtp_peer.h"

#define NS 4
#define FRAME 160
#define PKTS 150                 /* 3 s of media */

struct leg {
	int mix_rtp, mix_rtcp;       /* handed to the mixer */
	int peer;                    /* the test's end */
	struct sockaddr_in mix_addr, peer_addr;
	double freq, amp;
	uint32_t id;
	uint8_t last[40][FRAME];     /* the last payloads received */
	uint8_t lastop[40][MEDIA_MAX_PAYLOAD];   /* the same, any size */
	uint16_t oplen[40];
	unsigned got;
	unsigned npkts;              /* packets of any size */
	int16_t telev;               /* its telephone-event payload type
				      * (0: none, so the mixer listens for
				      * keypad tones in the audio and decodes
				      * every frame; with one, a G.711 frame
				      * is decoded only when it is heard:
				      * playout.c) */
	uint8_t csrc_id;             /* asks for RFC 6465 levels */
	bool dtx;                    /* asks for DTX (usedtx=1), and hears
				      * at half gain (its own encoding) */
	unsigned ncsrc;              /* the last packet's CSRCs, levels */
	uint32_t csrc[15];
	uint8_t csrc_level[15];
};

static struct leg legs[NS];

/* What the mixer sends leg l: codec, unity gains, both ways */
static struct mixer_media leg_media(const struct leg *l,
				    enum media_codec codec, uint8_t pt,
				    uint8_t room_speakers)
{
	struct mixer_media m = {0};

	memcpy(&m.rtp_dst, &l->peer_addr, sizeof(l->peer_addr));
	m.rtp_dst_len = sizeof(l->peer_addr);
	m.codec = codec;
	m.tx_pt = pt;
	m.telev_pt = l->telev ? l->telev : -1;
	m.send = m.recv = true;
	m.gain_in_db = m.gain_out_db = 0;
	m.room_speakers = room_speakers;
	m.csrc_level_id = l->csrc_id;
	if (l->dtx) {
		m.opus.usedtx = 1;
		m.gain_out_db = -6;   /* its own frame, not the shared one */
	}
	return m;
}

/* Sockets for l, and its stream in room */
static void leg_add(struct mixer *mx, uint32_t room, struct leg *l,
		    enum media_codec codec, uint8_t pt)
{
	struct sockaddr_in rtcp;
	struct mixer_media m;

	l->mix_rtp = peer_udp(&l->mix_addr);
	l->mix_rtcp = peer_udp(&rtcp);
	l->peer = peer_udp(&l->peer_addr);
	m = leg_media(l, codec, pt, 0);
	assert_int_equal(mixer_stream_add(mx, room, l->mix_rtp, l->mix_rtcp,
					  &m, &l->id), 0);
}

/* The end of a test: the first n legs' streams removed (each must be
 * there), the mixer freed, the test's sockets closed */
static void legs_end_of(struct mixer *mx, struct leg *ls, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(mixer_stream_remove(mx, ls[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < n; i++)
		close(ls[i].peer);
}

static void legs_end(struct mixer *mx, int n)
{
	legs_end_of(mx, legs, n);
}

static void drain(struct leg *l)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n))
			continue;
		l->npkts++;
		l->ncsrc = buf[0] & 0x0f;
		for (unsigned i = 0; i < l->ncsrc; i++) {
			const uint8_t *c = buf + 12 + 4 * i;

			l->csrc[i] = (uint32_t)c[0] << 24 | c[1] << 16 |
				c[2] << 8 | c[3];
			/* the levels: one one-byte element after the list */
			l->csrc_level[i] = buf[12 + 4 * l->ncsrc + 5 + i];
		}
		if (h.plen && h.plen <= MEDIA_MAX_PAYLOAD) {
			memmove(l->lastop[0], l->lastop[1],
				sizeof(l->lastop) - sizeof(l->lastop[0]));
			memmove(l->oplen, l->oplen + 1,
				sizeof(l->oplen) - sizeof(l->oplen[0]));
			memcpy(l->lastop[39], h.payload, h.plen);
			l->oplen[39] = (uint16_t)h.plen;
		}
		if (h.plen != FRAME)
			continue;
		memmove(l->last[0], l->last[1], sizeof(l->last) - FRAME);
		memcpy(l->last[39], h.payload, FRAME);
		l->got++;
	}
}

/* Frame k of leg i of ls (SSRC 0x1000 + i) */
static void send_frame_of(struct leg *ls, int i, unsigned k)
{
	struct leg *l = &ls[i];
	uint8_t pkt[12 + FRAME];
	size_t n = peer_pcmu_packet(pkt, k, l->freq, l->amp,
				    0x1000 + (uint32_t)i);

	(void)sendto(l->peer, pkt, n, 0, (struct sockaddr *)&l->mix_addr,
		     sizeof(l->mix_addr));
}

static void send_frame(struct leg *l, unsigned k)
{
	send_frame_of(legs, (int)(l - legs), k);
}

/* One way of running the mixer (mixer_case): its legs and its mixer */
struct io_case {
	const char *name;
	bool uring;                  /* the thread's io_uring */
	int16_t telev;               /* telephone-event negotiated */
	struct mixer *mx;
	struct leg legs[NS];
};

#define NCASES 3

/* Frames from to to (exclusive) from every leg of every case, a tick
 * apart */
static void run_frames(struct io_case *cs, unsigned from, unsigned to,
		       struct timespec *next)
{
	for (unsigned k = from; k < to; k++) {
		for (int c = 0; c < NCASES; c++) {
			for (int i = 0; i < NS; i++) {
				send_frame_of(cs[c].legs, i, k);
				drain(&cs[c].legs[i]);
			}
		}
		peer_tick_sleep(next);
	}
}

/* The conference's own K (room_speakers) for every leg of every case,
 * applied before it returns: what is heard after comes from the new K,
 * however late a loaded machine runs the mixer threads (every update is
 * queued before the first wait, so the legs miss no more frames than
 * with one mixer) */
static void set_speakers(struct io_case *cs, uint8_t k)
{
	uint64_t t0[NCASES];

	for (int c = 0; c < NCASES; c++) {
		t0[c] = peer_mixer_ticks(cs[c].mx);
		for (int i = 0; i < NS; i++) {
			struct leg *l = &cs[c].legs[i];
			struct mixer_media m = leg_media(l, MEDIA_PCMU, 0, k);

			assert_int_equal(mixer_stream_update(cs[c].mx, l->id,
							     &m), 0);
		}
	}
	for (int c = 0; c < NCASES; c++)
		peer_mixer_wait(cs[c].mx, t0[c], NULL);
}

/* Power (dB, relative to full scale) at f over the last 20 frames heard */
static double power_db(const struct leg *l, double f)
{
	return peer_pcmu_power_db(l->last + 20, 20, f);
}

/* Does the kernel give us an io_uring (a container's seccomp may not)? */
static bool uring_here(void)
{
	struct io_uring r;

	if (io_uring_queue_init(4, &r, 0) < 0)
		return false;
	io_uring_queue_exit(&r);
	return true;
}

/* c's mixer and its four legs in room 7 */
static void case_start(struct io_case *c)
{
	const double freq[NS] = {400, 700, 1000, 0};
	const double amp[NS] = {16000, 10000, 5000, 0};
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 2, .uring = c->uring};

	assert_int_equal(mixer_alloc(&c->mx, &cfg, NULL, NULL), 0);
	print_message("%s: rtp_io: %s\n", c->name, mixer_rtp_io(c->mx));
	if (!c->uring)
		assert_string_equal(mixer_rtp_io(c->mx), "syscalls");
	else if (uring_here())
		assert_string_equal(mixer_rtp_io(c->mx), "io_uring");
	else
		print_message("no io_uring here: the syscalls path again\n");
	for (int i = 0; i < NS; i++) {
		struct leg *l = &c->legs[i];

		l->freq = freq[i];
		l->amp = amp[i];
		l->telev = c->telev;
		/* A and D want to know who they hear (RFC 6465) */
		l->csrc_id = i == 0 || i == 3 ? 5 : 0;
		leg_add(c->mx, 7, l, MEDIA_PCMU, 0);
	}
}

/* What the legs of c heard with K = 2: N-1 among the speakers, the K
 * loudest mixed, RFC 6465, one shared encoding */
static void case_check_k2(struct io_case *c)
{
	struct leg *ls = c->legs;

	for (int i = 0; i < NS; i++)
		print_message("%s: leg %d: got %u; 400 %.1f, 700 %.1f, "
			      "1000 %.1f dBFS\n", c->name, i, ls[i].got,
			      power_db(&ls[i], 400), power_db(&ls[i], 700),
			      power_db(&ls[i], 1000));
	for (int i = 0; i < NS; i++)
		assert_true(ls[i].got > PKTS - 20);
	/* A hears B, not itself, not C */
	assert_true(power_db(&ls[0], 700) > -25);
	assert_true(power_db(&ls[0], 400) < -45);
	assert_true(power_db(&ls[0], 1000) < -45);
	/* B hears A only */
	assert_true(power_db(&ls[1], 400) > -25);
	assert_true(power_db(&ls[1], 700) < -45);
	/* C and D hear A and B, not C */
	for (int i = 2; i < NS; i++) {
		assert_true(power_db(&ls[i], 400) > -25);
		assert_true(power_db(&ls[i], 700) > -25);
		assert_true(power_db(&ls[i], 1000) < -45);
	}
	/* RFC 6465: D hears A and B, loudest first, A hears B; each with
	 * its level (-dBov: A's tone is about 9 dB below full scale, B's
	 * about 13); the others asked for nothing */
	print_message("%s: D's CSRCs: %u: %08x (-%u dBov), %08x (-%u dBov)\n",
		      c->name, ls[3].ncsrc, ls[3].csrc[0], ls[3].csrc_level[0],
		      ls[3].csrc[1], ls[3].csrc_level[1]);
	assert_int_equal(ls[3].ncsrc, 2);
	assert_int_equal(ls[3].csrc[0], 0x1000);
	assert_int_equal(ls[3].csrc[1], 0x1001);
	assert_in_range(ls[3].csrc_level[0], 6, 12);
	assert_in_range(ls[3].csrc_level[1], 10, 16);
	assert_int_equal(ls[0].ncsrc, 1);
	assert_int_equal(ls[0].csrc[0], 0x1001);
	assert_int_equal(ls[2].ncsrc, 0);
	/* one encoding for both: the same bytes, frame by frame */
	assert_memory_equal(ls[2].last, ls[3].last, sizeof(ls[2].last));
	assert_memory_not_equal(ls[0].last, ls[3].last, sizeof(ls[0].last));
}

/* The mixer's N-1, K and RFC 6465 with the calls' own sockets, read and
 * sent a system call a packet or (uring) in batches through the
 * thread's io_uring, and with telephone-event (the talkers beyond the K
 * are never decoded, the K are, and the one pushed out stops being
 * heard): the same audio every way, and no allocation in steady state.
 * The three run at once, each in a mixer of its own fed by the same
 * loop: what one mixer allocates in the steady second counts as much as
 * before (the count is the process's) */
static struct io_case cases[NCASES] = {
	{.name = "syscalls"},
	{.name = "io_uring", .uring = true},
	{.name = "telephone-event", .telev = 101},
};

static void test_mixer(void **state)
{
	struct timespec next;
	unsigned long before = 0;

	(void)state;
	for (int c = 0; c < NCASES; c++)
		case_start(&cases[c]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	run_frames(cases, 0, PKTS - 50, &next);
	before = allocs;                 /* a second of steady state */
	run_frames(cases, PKTS - 50, PKTS, &next);
	assert_int_equal(allocs - before, 0);
	for (int c = 0; c < NCASES; c++)
		for (int i = 0; i < NS; i++)
			drain(&cases[c].legs[i]);
	for (int c = 0; c < NCASES; c++)
		case_check_k2(&cases[c]);
	/* the conference's own K: 1 */
	set_speakers(cases, 1);
	run_frames(cases, PKTS, PKTS + 60, &next);
	for (int c = 0; c < NCASES; c++) {
		struct leg *ls = cases[c].legs;

		print_message("%s: K=1: D hears 400 %.1f, 700 %.1f dBFS\n",
			      cases[c].name, power_db(&ls[3], 400),
			      power_db(&ls[3], 700));
		assert_true(power_db(&ls[3], 400) > -25);
		assert_true(power_db(&ls[3], 700) < -45);
		assert_true(power_db(&ls[0], 700) < -45);   /* A: nobody */
	}
	/* K = 2, C the loudest: gathered after B, it pushes B out */
	for (int c = 0; c < NCASES; c++)
		cases[c].legs[2].amp = 20000;
	set_speakers(cases, 2);
	run_frames(cases, PKTS + 60, PKTS + 120, &next);
	for (int c = 0; c < NCASES; c++) {
		struct leg *ls = cases[c].legs;

		for (int i = 1; i < NS; i += 2) {          /* B and D */
			assert_true(power_db(&ls[i], 400) > -25);
			assert_true(power_db(&ls[i], 1000) > -25);
			assert_true(power_db(&ls[i], 700) < -45);
		}
	}
	for (int c = 0; c < NCASES; c++) {
		legs_end_of(cases[c].mx, cases[c].legs, NS);
		cases[c].mx = NULL;
	}
}

/* (run even when the test fails: the mixers it left are stopped, so the
 * tests after it run alone) */
static int cases_end(void **state)
{
	(void)state;
	for (int c = 0; c < NCASES; c++) {
		if (!cases[c].mx)
			continue;
		cases[c].mx = mem_deref(cases[c].mx);
		for (int i = 0; i < NS; i++)
			close(cases[c].legs[i].peer);
	}
	return 0;
}

static struct mixer_stream_stats a_stats;
static uint64_t a_sent;          /* packets sent to A's stream */
static struct tmr stop_tmr;

/* A's stats, every second: the loop ends with the first report in which
 * everything sent has arrived and been played out (nothing left in the
 * jitter buffer), so what became of the lost frames is final */
static void stats_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (ev->type != MIXER_EV_STATS || ev->stream_id != legs[0].id)
		return;
	a_stats = ev->stats;
	if (a_sent && a_stats.rx_packets >= a_sent && !a_stats.jb_depth_us)
		re_cancel();
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Frame k of an Opus stream (encoded at enc's rate hz, RTP clock 48 kHz)
 * carrying 400 Hz and, when f2 is set, f2 too, to the mixer (l NULL:
 * encoded, then lost) */
static void send_opus(struct media_coder *enc, struct leg *l, unsigned k,
		      unsigned hz, double f2)
{
	uint8_t pkt[12 + MEDIA_MAX_PAYLOAD];
	int16_t pcm[960];
	unsigned n = hz / 50;
	uint32_t ts = k * 960;
	size_t len;

	for (unsigned i = 0; i < n; i++) {
		double t = (double)(k * n + i) / hz;

		pcm[i] = (int16_t)lrint(8000 * sin(2 * M_PI * 400 * t) +
					(f2 ? 8000 * sin(2 * M_PI * f2 * t) :
					 0));
	}
	len = media_coder_encode(enc, MEDIA_OPUS, pkt + 12, MEDIA_MAX_PAYLOAD,
				 pcm, n);
	peer_rtp_header(pkt, 111, (uint16_t)k, ts, 9);
	if (l)
		(void)sendto(l->peer, pkt, 12 + len, 0,
			     (struct sockaddr *)&l->mix_addr,
			     sizeof(l->mix_addr));
}

/* Opus in, G.711 out, with every 10th Opus packet lost: the mixer
 * rebuilds each lost frame from the next packet's in-band FEC (the stats
 * event counts them) and the listener hears the tone */
static void test_opus_fec_path(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 40,
				.max_speakers = 4};
	struct mixer *mx = NULL;
	struct leg *a = &legs[0], *b = &legs[1];
	struct media_coder *enc;
	struct timespec next;
	int err;

	(void)state;
	memset(legs, 0, sizeof(legs));
	enc = media_coder_new(MEDIA_OPUS, 8000, NULL, &err);
	assert_non_null(enc);
	assert_int_equal(mixer_alloc(&mx, &cfg, stats_h, NULL), 0);
	leg_add(mx, 9, a, MEDIA_OPUS, 111);
	leg_add(mx, 9, b, MEDIA_PCMU, 0);
	a_sent = 0;
	memset(&a_stats, 0, sizeof(a_stats));
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned k = 0; k < 150; k++) {
		/* every 10th packet lost (encoded all the same: the next
		 * carries its FEC) */
		if (k % 10 != 5) {
			send_opus(enc, a, k, 8000, 0);
			a_sent++;
		} else {
			send_opus(enc, NULL, k, 8000, 0);
		}
		drain(a);
		drain(b);
		peer_tick_sleep(&next);
	}
	drain(b);
	/* the stats events (every second) say what became of the 15 lost
	 * frames: rebuilt from FEC; and B kept hearing the tone. The loop
	 * runs until a report covers everything sent (stats_h); 10 s is
	 * only the bound of a failure */
	tmr_init(&stop_tmr);
	tmr_start(&stop_tmr, 10000, stop_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&stop_tmr);
	print_message("A: received %llu of %llu, lost %u, FEC recovered %u, "
		      "concealed %u\n", (unsigned long long)a_stats.rx_packets,
		      (unsigned long long)a_sent, a_stats.rx_lost,
		      a_stats.fec_recovered, a_stats.concealed);
	assert_true(a_stats.rx_packets >= a_sent);
	assert_int_equal(a_stats.jb_depth_us, 0);
	assert_true(a_stats.rx_lost >= 10);
	/* (with recovery off this is 0, and every lost frame is left to
	 * the jitter buffer's concealment; the concealed count itself also
	 * grows when a loaded machine delays the test's own sends, so it is
	 * not what is checked) */
	assert_true(a_stats.fec_recovered >= a_stats.rx_lost - 1);
	assert_true(power_db(b, 400) > -25);
	legs_end(mx, 2);
	media_coder_free(enc);
}

/* Power (dB) at f in what an Opus listener got, decoded at 48 kHz */
static double opus_power_db(const struct leg *l, double f)
{
	int err;
	struct media_coder *dec = media_coder_new(MEDIA_OPUS, 48000, NULL,
						  &err);
	double total = 0;

	for (int k = 0; k < 40; k++) {
		int16_t pcm[960];
		double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / 48000);

		if (media_coder_decode(dec, MEDIA_OPUS, pcm, 960, l->lastop[k],
				       l->oplen[k]) != 960 || k < 20)
			continue;
		for (int i = 0; i < 960; i++) {
			double s0 = pcm[i] / 32768.0 + c * s1 - s2;

			s2 = s1;
			s1 = s0;
		}
		total += (s1 * s1 + s2 * s2 - c * s1 * s2) / (960 * 960 / 4.0);
	}
	media_coder_free(dec);
	return 10 * log10(total / 20 + 1e-20);
}

/* The mix rate: in a 48 kHz room an Opus speaker's 6 kHz reaches an Opus
 * listener, and a G.711 listener hears its 400 Hz (the G.711 leg is
 * resampled both ways); the same room switched to 8 kHz (room_hz, the
 * conference's mix_rate) cuts the 6 kHz. No allocation in the 48 kHz
 * steady state either. */
static void test_mix_rate(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 40,
				.max_speakers = 4, .mix_hz = 48000};
	struct mixer *mx = NULL;
	struct leg *a = &legs[0], *b = &legs[1], *c = &legs[2];
	struct media_coder *enc;
	struct timespec next;
	unsigned long before = 0;
	unsigned k = 0;
	int err;

	(void)state;
	memset(legs, 0, sizeof(legs));
	enc = media_coder_new(MEDIA_OPUS, 48000, NULL, &err);
	assert_non_null(enc);
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	leg_add(mx, 11, a, MEDIA_OPUS, 111);
	leg_add(mx, 11, b, MEDIA_OPUS, 111);
	leg_add(mx, 11, c, MEDIA_PCMU, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (; k < 120; k++) {
		send_opus(enc, a, k, 48000, 6000);
		for (int i = 0; i < 3; i++)
			drain(&legs[i]);
		if (k == 70)
			before = allocs;
		peer_tick_sleep(&next);
	}
	assert_int_equal(allocs - before, 0);
	print_message("48 kHz mix: B (Opus) 400 Hz %.1f, 6 kHz %.1f dBFS; "
		      "C (PCMU) 400 Hz %.1f dBFS\n", opus_power_db(b, 400),
		      opus_power_db(b, 6000), power_db(c, 400));
	assert_true(opus_power_db(b, 400) > -30);
	assert_true(opus_power_db(b, 6000) > -30);
	assert_true(power_db(c, 400) > -30);
	/* the conference asks for 8 kHz */
	for (int i = 0; i < 3; i++) {
		struct mixer_media m = leg_media(&legs[i], i < 2 ? MEDIA_OPUS :
						 MEDIA_PCMU, i < 2 ? 111 : 0,
						 0);

		m.room_hz = 8000;
		assert_int_equal(mixer_stream_update(mx, legs[i].id, &m), 0);
	}
	for (; k < 220; k++) {
		send_opus(enc, a, k, 48000, 6000);
		for (int i = 0; i < 3; i++)
			drain(&legs[i]);
		peer_tick_sleep(&next);
	}
	print_message("8 kHz mix: B (Opus) 400 Hz %.1f, 6 kHz %.1f dBFS\n",
		      opus_power_db(b, 400), opus_power_db(b, 6000));
	assert_true(opus_power_db(b, 400) > -30);
	assert_true(opus_power_db(b, 6000) < -50);
	legs_end(mx, 3);
	media_coder_free(enc);
}

/* Undecodable payloads (random bytes in valid RTP: Opus packets that
 * claim up to 120 ms, G.711 payload types the stream did not negotiate)
 * from one caller in a 48 kHz room: concealed in place, the mixer goes
 * on, and a listener still hears the other caller's tone. (Its 120
 * frames run in a mixer of its own beside the DTX listener's second 2 s
 * in test_dtx_garbage: the same ticks carry both.) */
static struct leg gl[3];          /* its A (garbage), B (400 Hz), C */
static struct mixer *gmx;

static void garbage_start(void)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 40,
				.max_speakers = 4, .mix_hz = 48000};

	memset(gl, 0, sizeof(gl));
	gl[1].freq = 400;
	gl[1].amp = 12000;
	assert_int_equal(mixer_alloc(&gmx, &cfg, NULL, NULL), 0);
	leg_add(gmx, 13, &gl[0], MEDIA_OPUS, 111);
	leg_add(gmx, 13, &gl[1], MEDIA_PCMU, 0);
	leg_add(gmx, 13, &gl[2], MEDIA_PCMU, 0);
	srand(6465);
}

/* frame k of A's garbage and B's tone, and what C got */
static void garbage_frame(unsigned k)
{
	struct leg *a = &gl[0];
	uint8_t pkt[12 + 600];
	size_t len = 12 + 1 + (size_t)(rand() % 600);
	uint32_t ts = k * 960;

	for (size_t i = 12; i < len; i++)
		pkt[i] = (uint8_t)rand();
	peer_rtp_header(pkt, (uint8_t)(k % 3 ? 111 : (k % 2 ? 0 : 8)),
			(uint16_t)k, ts, 3);
	(void)sendto(a->peer, pkt, len, 0, (struct sockaddr *)&a->mix_addr,
		     sizeof(a->mix_addr));
	send_frame_of(gl, 1, k);
	for (int i = 0; i < 3; i++)
		drain(&gl[i]);
}

static void garbage_check(void)
{
	struct leg *c = &gl[2];

	print_message("C hears 400 Hz at %.1f dBFS\n", power_db(c, 400));
	assert_true(c->got > 100);
	assert_true(power_db(c, 400) > -25);
	legs_end_of(gmx, gl, 3);
	gmx = NULL;
}

/* (run even when the test fails) */
static int garbage_end(void **state)
{
	(void)state;
	if (gmx) {
		gmx = mem_deref(gmx);
		for (int i = 0; i < 3; i++)
			close(gl[i].peer);
	}
	return 0;
}

/* DTX: an Opus listener that asked for it (usedtx=1) and hears a silent
 * room through its own encoding gets next to nothing (libopus's DTX
 * frames are not sent), while a PCMU listener gets every frame; and,
 * meanwhile, test_garbage_payloads's room */
static void test_dtx_garbage(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 40,
				.max_speakers = 4, .mix_hz = 16000};
	struct mixer *mx = NULL;
	struct leg *a = &legs[0], *b = &legs[1];
	struct timespec next;

	(void)state;
	memset(legs, 0, sizeof(legs));
	a->dtx = true;
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	leg_add(mx, 15, a, MEDIA_OPUS, 111);
	leg_add(mx, 15, b, MEDIA_PCMU, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned k = 0; k < 100; k++) {
		send_frame(b, k);                /* silence (amp 0) */
		for (int i = 0; i < 2; i++)
			drain(&legs[i]);
		peer_tick_sleep(&next);
	}
	drain(a);
	drain(b);
	print_message("in 2 s of silence: the DTX listener got %u packets, "
		      "the PCMU one %u\n", a->npkts, b->got);
	assert_true(b->got > 90);
	assert_true(a->npkts > 0 && a->npkts < 30);
	/* a re-INVITE that only turns DTX off (usedtx=0): its encoder is
	 * made again, and every frame goes out */
	{
		struct mixer_media m = leg_media(a, MEDIA_OPUS, 111, 0);
		uint64_t t0 = peer_mixer_ticks(mx);

		m.opus.usedtx = -1;
		assert_int_equal(mixer_stream_update(mx, a->id, &m), 0);
		peer_mixer_wait(mx, t0, NULL);     /* counted from then */
	}
	a->npkts = 0;
	garbage_start();
	for (unsigned k = 100; k < 220; k++) {
		if (k < 200) {
			send_frame(b, k);
			for (int i = 0; i < 2; i++)
				drain(&legs[i]);
		}
		if (k == 200) {                  /* its 2 s are over */
			drain(a);
			print_message("DTX turned off by an update: %u "
				      "packets in 2 s\n", a->npkts);
			assert_true(a->npkts > 90);
		}
		garbage_frame(k - 100);
		peer_tick_sleep(&next);
	}
	legs_end(mx, 2);
	garbage_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_mixer, cases_end),
		cmocka_unit_test(test_opus_fec_path),
		cmocka_unit_test(test_mix_rate),
		cmocka_unit_test_teardown(test_dtx_garbage, garbage_end),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
