/* Distributed mixing in the mixer (mixer.h's self_mix, mixer_self.c) end
 * to end on loopback UDP: six PCMU legs in one room with K = 2. A, B and
 * C send tones of 400, 700 and 1000 Hz at falling levels; D, E and F are
 * silent. A, D and F mix for themselves, B, C and E get a mix. Each
 * receiving end sorts what it gets by SSRC, and Goertzel says which tone
 * each SSRC carries:
 *   - D gets exactly two SSRCs, one carrying A's tone alone and one B's
 *     alone (C, talking but not among the two loudest, is not sent),
 *     each with sequence numbers that never skip;
 *   - A gets one: B's (never its own), with B's RFC 6464 level in each
 *     packet (it asked, self_level_id);
 *   - F gets the same SSRCs as D, byte for byte (one encoding per
 *     source and codec, whoever asks);
 *   - E (a mix, in the same room) gets one SSRC carrying A and B, not C;
 *   - the mixer thread allocates nothing in steady state (malloc,
 *     calloc, realloc wrapped and counted, as in test_mixer);
 *   - B and C fall silent: D then gets A's SSRC alone (nothing for a
 *     place nobody fills), with the same SSRC as before;
 *   - D switched to a mix by an update: one SSRC again, A's tone in it. */
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

#define NL 6
#define FRAME PEER_FRAME
#define WINDOW 20
#define MAX_SSRC 6
#define LEVEL_ID 3

/* one SSRC as a leg hears it */
struct src {
	uint32_t ssrc;
	unsigned n, since;          /* packets; since the last reset */
	uint16_t seq;
	unsigned skips;             /* sequence numbers skipped */
	uint8_t last[WINDOW][FRAME];
	bool level_seen;
	uint8_t level;
};

struct leg {
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	double freq, amp;
	uint32_t id;
	bool self;
	struct src src[MAX_SSRC];
	unsigned nsrc;
	struct mixer_media m;
};

static struct leg legs[NL];
static struct timespec next;
static unsigned kpkt;

static void leg_add(struct mixer *mx, struct leg *l)
{
	l->peer = peer_udp(&l->peer_addr);
	peer_mixer_media(&l->m, &l->peer_addr, MEDIA_PCMU);
	l->m.self_mix = l->self;
	l->m.self_level_id = l == &legs[0] ? LEVEL_ID : 0;
	peer_stream_add(mx, 1, &l->m, &l->mix_addr, &l->id);
}

static struct src *src_of(struct leg *l, uint32_t ssrc)
{
	for (unsigned i = 0; i < l->nsrc; i++)
		if (l->src[i].ssrc == ssrc)
			return &l->src[i];
	assert_true(l->nsrc < MAX_SSRC);
	memset(&l->src[l->nsrc], 0, sizeof(l->src[0]));
	l->src[l->nsrc].ssrc = ssrc;
	return &l->src[l->nsrc++];
}

static void drain(struct leg *l)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;
		struct src *s;
		bool voice;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != FRAME)
			continue;
		s = src_of(l, h.ssrc);
		if (s->n && h.seq != (uint16_t)(s->seq + 1))
			s->skips++;
		s->seq = h.seq;
		s->n++;
		s->since++;
		s->level_seen = rtp_audio_level(buf, (size_t)n, LEVEL_ID,
						&s->level, &voice);
		memmove(s->last[0], s->last[1], sizeof(s->last) - FRAME);
		memcpy(s->last[WINDOW - 1], h.payload, FRAME);
	}
}

static void run(unsigned frames)
{
	for (unsigned k = 0; k < frames; k++, kpkt++) {
		for (int i = 0; i < NL; i++) {
			uint8_t pkt[12 + FRAME];
			size_t n = peer_pcmu_packet(pkt, kpkt, legs[i].freq,
						    legs[i].amp,
						    0x1000 + (uint32_t)i);

			(void)sendto(legs[i].peer, pkt, n, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
			drain(&legs[i]);
		}
		peer_tick_sleep(&next);
	}
	for (int i = 0; i < NL; i++)
		drain(&legs[i]);
}

static void reset_counts(void)
{
	for (int i = 0; i < NL; i++)
		for (unsigned j = 0; j < legs[i].nsrc; j++) {
			legs[i].src[j].since = 0;
			legs[i].src[j].skips = 0;
		}
}

static double pw(const struct src *s, double f)
{
	return peer_pcmu_power_db(s->last, WINDOW, f);
}

/* The SSRC of l that carries tone f alone (of the three), or NULL */
static const struct src *carrying(const struct leg *l, double f)
{
	static const double tones[] = {400, 700, 1000};

	for (unsigned i = 0; i < l->nsrc; i++) {
		const struct src *s = &l->src[i];
		bool alone = s->since > 0 && pw(s, f) > -25;

		for (unsigned t = 0; t < 3 && alone; t++)
			if (tones[t] != f && pw(s, tones[t]) > -45)
				alone = false;
		if (alone)
			return s;
	}
	return NULL;
}

/* SSRCs that got packets since the last reset */
static unsigned live(const struct leg *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->nsrc; i++)
		n += l->src[i].since > 0;
	return n;
}

static void show(const char *name, const struct leg *l)
{
	for (unsigned i = 0; i < l->nsrc; i++)
		print_message("%s: ssrc %08x: %u (%u new, %u skipped); 400 "
			      "%.1f, 700 %.1f, 1000 %.1f dBFS\n", name,
			      l->src[i].ssrc, l->src[i].n, l->src[i].since,
			      l->src[i].skips, pw(&l->src[i], 400),
			      pw(&l->src[i], 700), pw(&l->src[i], 1000));
}

static void test_self_mix(void **state)
{
	const double freq[NL] = {400, 700, 1000, 0, 0, 0};
	const double amp[NL] = {16000, 10000, 5000, 0, 0, 0};
	const bool self[NL] = {true, false, false, true, false, true};
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 2};
	struct mixer *mx = NULL;
	uint64_t t0;
	struct leg *a = &legs[0], *b = &legs[1], *d = &legs[3],
		*e = &legs[4], *f = &legs[5];
	const struct src *da, *db, *fa, *fb, *ab;
	unsigned long before;

	(void)state;
	memset(legs, 0, sizeof(legs));
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	for (int i = 0; i < NL; i++) {
		legs[i].freq = freq[i];
		legs[i].amp = amp[i];
		legs[i].self = self[i];
		leg_add(mx, &legs[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(100);
	reset_counts();
	before = allocs;
	run(50);                       /* a second of steady state */
	assert_int_equal(allocs - before, 0);
	show("A", a);
	show("D", d);
	show("E", e);
	show("F", f);
	/* D: A and B, each alone on an SSRC of its own, nothing of C */
	assert_int_equal(live(d), 2);
	da = carrying(d, 400);
	db = carrying(d, 700);
	assert_non_null(da);
	assert_non_null(db);
	assert_true(da->ssrc != db->ssrc);
	assert_in_range(da->since, 45, 51);
	assert_in_range(db->since, 45, 51);
	assert_int_equal(da->skips + db->skips, 0);
	/* F: the same streams, the same bytes */
	assert_int_equal(live(f), 2);
	fa = carrying(f, 400);
	fb = carrying(f, 700);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_int_equal(fa->ssrc, da->ssrc);
	assert_int_equal(fb->ssrc, db->ssrc);
	assert_memory_equal(fa->last, da->last, sizeof(da->last));
	assert_memory_equal(fb->last, db->last, sizeof(db->last));
	/* A: B alone (the same stream as D's), never itself, with B's
	 * level (its tone is about 13 dB below full scale) */
	assert_int_equal(live(a), 1);
	ab = carrying(a, 700);
	assert_non_null(ab);
	assert_int_equal(ab->ssrc, db->ssrc);
	assert_true(ab->level_seen);
	assert_in_range(ab->level, 10, 16);
	assert_false(da->level_seen);         /* D did not ask */
	/* E: a mix of A and B, one SSRC */
	assert_int_equal(live(e), 1);
	assert_true(pw(&e->src[0], 400) > -25);
	assert_true(pw(&e->src[0], 700) > -25);
	assert_true(pw(&e->src[0], 1000) < -45);
	/* B (a mix): A only, as always */
	assert_int_equal(live(b), 1);
	assert_true(pw(&b->src[0], 400) > -25);
	assert_true(pw(&b->src[0], 700) < -45);

	/* B and C stop: past the talk detector's hangover, D gets A's
	 * stream alone, on the SSRC it had */
	legs[1].amp = legs[2].amp = 0;
	run(60);
	reset_counts();
	run(25);
	show("D, A alone", d);
	assert_int_equal(live(d), 1);
	assert_non_null(carrying(d, 400));
	assert_int_equal(carrying(d, 400)->ssrc, da->ssrc);

	/* D gets a mix again */
	d->m.self_mix = false;
	t0 = peer_mixer_ticks(mx);
	assert_int_equal(mixer_stream_update(mx, d->id, &d->m), 0);
	peer_mixer_wait(mx, t0, NULL);
	run(20);
	reset_counts();
	run(25);
	show("D, a mix", d);
	assert_int_equal(live(d), 1);
	{
		const struct src *m = carrying(d, 400);

		assert_non_null(m);
		assert_true(m->ssrc != da->ssrc);
	}
	for (int i = 0; i < NL; i++)
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < NL; i++)
		close(legs[i].peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_mix),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
