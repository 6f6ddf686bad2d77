/*
 * A G.711 stream's playout (src/mixer/playout.c) one tick at a time, on a
 * stream of its own: a loud frame waits undecoded (s->deferred) with its
 * level read from its bytes; mstream_playout_decode gives exactly that
 * packet's samples, mstream_playout_drop takes it unheard, and either way
 * the next tick plays the next packet, with nothing skipped or late. A
 * stream that listens for keypad tones in the audio decodes every frame.
 * A packet received (mstream_rx_rtp) has its level measured as it
 * arrives, kept in its slot's header, and playout goes by that level
 * without reading the payload again.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "mixer/mixer_stream.h"
#include "rtp_peer.h"

#define F 160                  /* 20 ms at 8 kHz */
#define SSRC 0x01020304u
#define TICKS 200

static struct mstream *stream_new(int telev_pt)
{
	struct mstream *s = mstream_alloc();
	int err = 0;

	assert_non_null(s);
	s->m.codec = MEDIA_PCMU;
	s->m.tx_pt = 0;
	s->m.telev_pt = telev_pt;
	s->m.recv = true;
	/* (none for G.711 in an 8 kHz mix: nothing to keep) */
	s->coder = media_coder_new(MEDIA_PCMU, 8000, NULL, &err);
	assert_int_equal(err, 0);
	s->plc = media_plc_new();
	assert_non_null(s->plc);
	mstream_playout_init(s, 8000, 20);
	return s;
}

static void stream_free(struct mstream *s)
{
	media_coder_free(s->coder);
	media_plc_free(s->plc);
	free(s);
}

/* packet k: a 400 Hz tone at speech level whose first byte is not
 * repeated from one packet to the next (so that a frame is known by its
 * samples) */
static void packet(unsigned k, uint8_t *pay)
{
	int16_t pcm[F];

	for (unsigned i = 0; i < F; i++)
		pcm[i] = (int16_t)lrint(6000 * sin(2 * M_PI * 400 *
						   (double)(k * F + i) / 8000));
	pcm[0] = (int16_t)(100 * (int)(k % 64));
	media_encode(MEDIA_PCMU, pay, pcm, F);
}

/* A tick: packet k arrives, then a frame is played; even ticks decode
 * what was deferred, odd ones drop it. Every frame is deferred (or, not
 * expect_deferred, none is), and every decoded one is exactly the
 * packet played. */
static void run(struct mstream *s, bool expect_deferred)
{
	unsigned deferred = 0, played = 0;
	unsigned first = TICKS;

	for (unsigned k = 0; k < TICKS; k++) {
		uint8_t pay[F];
		int16_t out[F], want[F];
		bool got;

		packet(k, pay);
		assert_int_equal(jbuf_put(&s->jb, (uint16_t)k, k * F, F, 0,
					  JB_LEVEL_NONE, pay, F, k * F), JB_OK);
		got = mstream_playout(s, out);
		if (!got)
			continue;
		if (first == TICKS)
			first = k;
		/* the packet this tick plays: one a tick from the first */
		packet(played, pay);
		media_decode(MEDIA_PCMU, want, pay, F);
		played++;
		assert_false(s->quiet);
		assert_int_equal(s->deferred, expect_deferred);
		if (!s->deferred) {
			assert_memory_equal(out, want, sizeof(out));
			continue;
		}
		deferred++;
		/* its level from its bytes: a tone at -15 dBov or so */
		assert_in_range(s->quiet_level, 12, 18);
		if (k % 2) {
			mstream_playout_drop(s);
			assert_false(s->deferred);
			continue;
		}
		memset(out, 0, sizeof(out));
		mstream_playout_decode(s, out);
		assert_false(s->deferred);
		assert_memory_equal(out, want, sizeof(out));
	}
	print_message("first played at tick %u, %u played, %u deferred; "
		      "jitter buffer: %u late, %u skipped, %u concealed\n",
		      first, played, deferred, s->jb.stats.late,
		      s->jb.stats.skipped, s->jb.stats.concealed);
	assert_true(played > TICKS - 5);
	assert_int_equal(s->jb.stats.late, 0);
	assert_int_equal(s->jb.stats.skipped, 0);
	assert_int_equal(s->jb.stats.concealed, 0);
	assert_int_equal(deferred, expect_deferred ? played : 0);
}

static void test_deferred(void **state)
{
	struct mstream *s = stream_new(101);

	(void)state;
	run(s, true);
	stream_free(s);
}

static void test_keypad_decodes_all(void **state)
{
	struct mstream *s = stream_new(-1);

	(void)state;
	/* (no keypad listener is set up here: s->inband stands for it) */
	s->inband = (void *)1;
	run(s, false);
	s->inband = NULL;
	stream_free(s);
}

/* A packet through the receive path: its level is measured on arrival
 * and kept in the slot, the same as one measured from its bytes later;
 * a packet of another length than a frame, or of another codec, gets
 * none */
static void test_level_on_arrival(void **state)
{
	struct mstream *s = stream_new(101);
	struct sockaddr_storage from = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)(void *)&from;
	uint8_t pkt[12 + 2 * F];
	const struct jb_slot *p;
	bool sig = false;
	uint8_t want;

	(void)state;
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	msource_signal(&s->src, &from, sizeof(*in), NULL, 0);
	peer_rtp_header(pkt, 0, 1, 0, SSRC);        /* PCMU */
	packet(3, pkt + 12);
	mstream_rx_rtp(NULL, s, pkt, 12 + F, &from, sizeof(*in), 0, &sig);
	assert_int_equal(s->jb.count, 1);
	p = &s->jb.slot[s->jb.order[0]];
	want = talk_level_energy((double)media_g711_energy(MEDIA_PCMU,
							   pkt + 12, F), F);
	assert_int_equal(p->level, want);
	assert_in_range(p->level, 12, 18);
	/* 40 ms in one packet: not one frame, no level */
	peer_rtp_header(pkt, 0, 2, F, SSRC);
	packet(4, pkt + 12);
	packet(5, pkt + 12 + F);
	mstream_rx_rtp(NULL, s, pkt, 12 + 2 * F, &from, sizeof(*in), 0, &sig);
	assert_int_equal(s->jb.count, 2);
	assert_int_equal(s->jb.slot[s->jb.order[1]].level, JB_LEVEL_NONE);
	/* a G.722 stream's packet has none either */
	stream_free(s);
	s = stream_new(101);
	s->m.codec = MEDIA_G722;
	s->m.tx_pt = 9;
	media_plc_free(s->plc);
	s->plc = NULL;
	mstream_playout_init(s, 16000, 20);
	msource_signal(&s->src, &from, sizeof(*in), NULL, 0);
	peer_rtp_header(pkt, 9, 1, F, SSRC);        /* G.722 */
	mstream_rx_rtp(NULL, s, pkt, 12 + F, &from, sizeof(*in), 0, &sig);
	assert_int_equal(s->jb.count, 1);
	assert_int_equal(s->jb.slot[s->jb.order[0]].level, JB_LEVEL_NONE);
	s->plc = media_plc_new();
	stream_free(s);
}

/* Playout goes by the level in the slot's header: a loud frame whose
 * slot says silence is dropped as quiet (its bytes are not read), and a
 * quiet frame whose slot says speech level waits to be decoded */
static void test_level_from_slot(void **state)
{
	struct mstream *s = stream_new(101);
	uint8_t loud[F], hush[F];
	int16_t out[F];
	unsigned k, quiet = 0, deferred = 0;

	(void)state;
	packet(1, loud);
	memset(hush, 0xff, sizeof(hush));    /* PCMU's zero */
	for (k = 0; k < 40; k++) {
		bool even = !(k % 2);

		assert_int_equal(jbuf_put(&s->jb, (uint16_t)k, k * F, F, 0,
					  even ? 127 : 15, even ? loud : hush,
					  F, k * F), JB_OK);
		if (!mstream_playout(s, out))
			continue;
		/* the frame played is k's or an earlier one: its level
		 * tells which kind it was */
		if (s->quiet) {
			assert_int_equal(s->quiet_level, 127);
			quiet++;
		}
		else {
			assert_true(s->deferred);
			assert_int_equal(s->quiet_level, 15);
			deferred++;
			mstream_playout_drop(s);
		}
	}
	print_message("%u dropped as quiet, %u deferred as loud\n", quiet,
		      deferred);
	assert_true(quiet > 10);
	assert_true(deferred > 10);
	stream_free(s);
}

/* The concealer is reset by a frame dropped unheard, every time: after
 * a drop, three frames heard, another drop and one frame heard, a lost
 * frame is concealed as silence (one frame is too little to know a
 * pitch from); heard in place of the second drop, it repeats the tone */
static bool hole_after(bool second_drop)
{
	struct mstream *s = stream_new(101);
	uint8_t pay[F];
	int16_t out[F];
	bool silent = true;

	s->talk.talking = true;     /* (what it lost is concealed) */
	for (unsigned k = 0; k < 6; k++) {
		packet(k, pay);
		assert_int_equal(jbuf_put(&s->jb, (uint16_t)k, k * F, F, 0,
					  15, pay, F, k * F), JB_OK);
		assert_true(mstream_playout(s, out));
		assert_true(s->deferred);
		if (k == 0 || (k == 4 && second_drop))
			mstream_playout_drop(s);
		else
			mstream_playout_decode(s, out);
	}
	/* packet 6 is lost */
	assert_true(mstream_playout(s, out));
	assert_false(s->deferred);
	for (unsigned i = 0; i < F; i++)
		silent = silent && !out[i];
	stream_free(s);
	return silent;
}

static void test_drop_resets_concealer(void **state)
{
	(void)state;
	assert_true(hole_after(true));
	assert_false(hole_after(false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_keypad_decodes_all),
		cmocka_unit_test(test_level_on_arrival),
		cmocka_unit_test(test_level_from_slot),
		cmocka_unit_test(test_drop_resets_concealer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
