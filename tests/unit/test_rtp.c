/* RTP/RTCP wire helpers: parsing (valid and garbage), receive statistics,
 * SR writing and parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mixer/rtp.h"

static void test_roundtrip(void **state)
{
	uint8_t buf[64];
	struct rtp_hdr h;
	size_t n;

	(void)state;
	n = rtp_write_hdr(buf, true, 8, 65535, 0xdeadbeef, 0x01020304);
	memset(buf + n, 0xd5, 20);
	assert_true(rtp_parse(&h, buf, n + 20));
	assert_true(h.marker);
	assert_int_equal(h.pt, 8);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 0xdeadbeef);
	assert_int_equal(h.ssrc, 0x01020304);
	assert_int_equal(h.plen, 20);
}

static void test_csrc_ext_padding(void **state)
{
	uint8_t buf[64] = {0};
	struct rtp_hdr h;

	(void)state;
	rtp_write_hdr(buf, false, 0, 1, 2, 3);
	buf[0] = 0x80 | 0x10 | 0x20 | 1;       /* X, P, CC=1 */
	/* CSRC at 12, extension header at 16: 1 word */
	buf[18] = 0;
	buf[19] = 1;
	/* payload at 24: 10 bytes, the last 2 of them padding */
	buf[33] = 2;
	assert_true(rtp_parse(&h, buf, 34));
	assert_int_equal(h.payload - buf, 24);
	assert_int_equal(h.plen, 8);
}

/* RFC 6465: a mixer's CSRC list with the sources' levels, written and read
 * back: the payload where the parser finds it, the CSRCs in order, one
 * one-byte extension element of n levels, zero padding */
static void test_csrc_levels(void **state)
{
	const uint32_t csrc[RTP_MAX_CSRC + 2] = {
		0x11111111, 0x22222222, 0x33333333, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16, 17};
	const uint8_t lv[RTP_MAX_CSRC + 2] = {
		10, 0x80 | 30, 127, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
		14};
	uint8_t buf[RTP_HDR_MAX + 20];
	struct rtp_hdr h;
	uint8_t level;
	bool voice;
	size_t n;

	(void)state;
	for (unsigned k = 1; k <= RTP_MAX_CSRC + 2; k++) {
		unsigned m = k > RTP_MAX_CSRC ? RTP_MAX_CSRC : k;

		n = rtp_write_hdr_csrc(buf, false, 111, 7, 960, 0xabcdef01,
				       csrc, lv, k, 9);
		assert_true(n <= RTP_HDR_MAX);
		assert_int_equal(n % 4, 0);
		memset(buf + n, 0x5a, 20);
		assert_true(rtp_parse(&h, buf, n + 20));
		assert_int_equal(h.payload - buf, n);
		assert_int_equal(h.plen, 20);
		assert_int_equal(buf[0] & 0x0f, m);
		assert_int_equal(buf[0] & 0x10, 0x10);
		for (unsigned i = 0; i < m; i++)
			assert_int_equal((uint32_t)buf[12 + 4 * i] << 24 |
					 buf[13 + 4 * i] << 16 |
					 buf[14 + 4 * i] << 8 | buf[15 + 4 * i],
					 csrc[i]);
		/* the element: id 9, length m, levels without the top bit */
		assert_int_equal(buf[12 + 4 * m + 4], 9 << 4 | (m - 1));
		for (unsigned i = 0; i < m; i++)
			assert_int_equal(buf[12 + 4 * m + 5 + i], lv[i] & 0x7f);
		for (size_t i = 12 + 4 * m + 5 + m; i < n; i++)
			assert_int_equal(buf[i], 0);
		assert_true(rtp_audio_level(buf, n + 20, 9, &level, &voice));
		assert_int_equal(level, 10);
	}
	/* no sources: a plain header; no id: CSRCs only */
	assert_int_equal(rtp_write_hdr_csrc(buf, false, 0, 1, 2, 3, csrc, lv,
					    0, 9), RTP_HDR_LEN);
	n = rtp_write_hdr_csrc(buf, false, 0, 1, 2, 3, csrc, lv, 2, 0);
	assert_int_equal(n, RTP_HDR_LEN + 8);
	assert_int_equal(buf[0], 0x82);
}

static void test_garbage(void **state)
{
	uint8_t buf[64];
	struct rtp_hdr h;

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_false(rtp_parse(&h, buf, 12));      /* version 0 */
	assert_false(rtp_parse(&h, buf, 0));
	rtp_write_hdr(buf, false, 0, 1, 2, 3);
	assert_false(rtp_parse(&h, buf, 11));      /* short */
	buf[0] = 0x8f;                             /* CC=15, no room */
	assert_false(rtp_parse(&h, buf, 20));
	buf[0] = 0x90;                             /* X without room */
	assert_false(rtp_parse(&h, buf, 14));
	buf[0] = 0x90;                             /* X with huge length */
	buf[14] = 0xff;
	buf[15] = 0xff;
	assert_false(rtp_parse(&h, buf, 40));
	buf[0] = 0xa0;                             /* P: pad 0 is invalid */
	buf[19] = 0;
	assert_false(rtp_parse(&h, buf, 20));
	buf[19] = 200;                             /* P: pad > payload */
	assert_false(rtp_parse(&h, buf, 20));
	rtp_write_hdr(buf, false, 72, 1, 2, 3);    /* RTCP SR on RTP port */
	buf[1] = 200;
	assert_false(rtp_parse(&h, buf, 28));
	/* random bytes never crash */
	srand(7);
	for (int i = 0; i < 100000; i++) {
		size_t len = (size_t)(rand() % 64);

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		if (rtp_parse(&h, buf, len))
			assert_true(h.payload + h.plen <= buf + len);
	}
}

/* RFC 6464 levels in RFC 8285 header extensions: one-byte and two-byte
 * forms, padding, other ids before it, and garbage that must not read
 * past the packet */
static void test_audio_level(void **state)
{
	/* one-byte: id 2 (len 1) 0xAA 0xBB, padding, id 1 (len 0) = 0x85 */
	const uint8_t one[] = {0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			       0xBE, 0xDE, 0, 2,
			       0x21, 0xAA, 0xBB, 0, 0x10, 0x85, 0, 0,
			       0xff, 0xff};
	/* two-byte: id 7 len 1 = 0x1e (30 dBov, no voice) */
	const uint8_t two[] = {0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			       0x10, 0x00, 0, 1, 7, 1, 0x1e, 0, 0xff};
	const uint8_t none[] = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	uint8_t buf[64], level = 0;
	bool voice = false;

	(void)state;
	assert_true(rtp_audio_level(one, sizeof(one), 1, &level, &voice));
	assert_int_equal(level, 5);
	assert_true(voice);
	assert_false(rtp_audio_level(one, sizeof(one), 3, &level, &voice));
	assert_true(rtp_audio_level(two, sizeof(two), 7, &level, &voice));
	assert_int_equal(level, 30);
	assert_false(voice);
	assert_false(rtp_audio_level(none, sizeof(none), 1, &level, &voice));
	assert_false(rtp_audio_level(one, sizeof(one), 0, &level, &voice));
	/* the extension says it is longer than the packet */
	memcpy(buf, one, sizeof(one));
	buf[15] = 40;
	assert_false(rtp_audio_level(buf, sizeof(one), 1, &level, &voice));
	/* an element longer than the extension */
	memcpy(buf, one, sizeof(one));
	buf[16] = 0x2f;
	assert_false(rtp_audio_level(buf, sizeof(one), 1, &level, &voice));
	/* random bytes behind a valid header: never beyond the buffer */
	for (int k = 0; k < 100000; k++) {
		size_t n = 12 + (size_t)(rand() % 40);

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		buf[0] = (uint8_t)(0x90 | (buf[0] & 0x0f));
		(void)rtp_audio_level(buf, n, 1 + (uint8_t)(k % 14), &level,
				      &voice);
	}
}

static void test_rxstat_loss_jitter(void **state)
{
	struct rtp_rxstat st = {0};
	struct rtp_hdr h = {.ssrc = 42};

	(void)state;
	/* 100 packets, every 10th lost, perfect timing: no jitter */
	for (uint16_t s = 0; s < 100; s++) {
		if (s % 10 == 5)
			continue;
		h.seq = (uint16_t)(65500 + s);        /* wraps */
		h.ts = s * 160u;
		rtp_rxstat_update(&st, &h, 1000 + s * 160u);
	}
	assert_int_equal(rtp_rxstat_expected(&st), 100);
	assert_int_equal(rtp_rxstat_lost(&st), 10);
	assert_int_equal(rtp_rxstat_jitter(&st), 0);

	/* alternate +/-80 samples of arrival noise: jitter converges
	 * towards 160 (|D| is 160 every packet) */
	memset(&st, 0, sizeof(st));
	for (uint16_t s = 0; s < 500; s++) {
		h.seq = s;
		h.ts = s * 160u;
		rtp_rxstat_update(&st, &h, s * 160u + ((s & 1) ? 80 : 0));
	}
	assert_in_range(rtp_rxstat_jitter(&st), 70, 82);
}

static void test_sr_write_parse(void **state)
{
	uint8_t buf[256];
	struct rtp_rxstat rx = {0}, peer = {0};
	struct rtp_hdr h = {.ssrc = 7};
	struct rtcp_sender s = {.sent = true, .ssrc = 99, .rtp_ts = 1234,
				.packets = 10,
				.octets = 1600, .now_us = 1700000000000000ull};
	size_t n;

	(void)state;
	for (uint16_t q = 0; q < 10; q++) {
		h.seq = q;
		h.ts = q * 160u;
		if (q != 3)
			rtp_rxstat_update(&rx, &h, q * 160u);
	}
	n = rtcp_write_sr(buf, sizeof(buf), &s, &rx, "caucus@test");
	assert_true(n > 28 + 24);
	assert_int_equal(n % 4, 0);
	assert_int_equal(buf[1], 200);
	assert_int_equal(buf[0] & 0x1f, 1);              /* one block */
	assert_int_equal(buf[28 + 4], (1u << 8) / 10);   /* fraction lost */
	assert_int_equal(buf[28 + 7], 1);                /* cumulative */
	rtcp_parse(&peer, buf, n, 5);
	assert_true(peer.lsr != 0);
	assert_int_equal(peer.lsr_arrival_us, 5);
	/* nothing sent (held): a receiver report, same report block */
	s.sent = false;
	n = rtcp_write_sr(buf, sizeof(buf), &s, &rx, "caucus@test");
	assert_int_equal(buf[1], 201);
	assert_int_equal(buf[0] & 0x1f, 1);
	assert_int_equal(buf[8 + 7], 1);                 /* cumulative */
	assert_int_equal(n % 4, 0);
	memset(&peer, 0, sizeof(peer));
	rtcp_parse(&peer, buf, n, 5);                    /* no SR: no LSR */
	assert_int_equal(peer.lsr, 0);
	s.sent = true;
	/* too small a buffer writes nothing */
	assert_int_equal(rtcp_write_sr(buf, 20, &s, &rx, "x"), 0);
	/* garbage RTCP is ignored */
	peer.lsr_arrival_us = 5;
	memset(buf, 0xff, sizeof(buf));
	rtcp_parse(&peer, buf, sizeof(buf), 9);
	assert_int_equal(peer.lsr_arrival_us, 5);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		(uint32_t)b[2] << 8 | b[3];
}

/* The report's jitter is in the stream's clock: an Opus stream (48 kHz)
 * counted in 8 kHz units is reported six times larger */
static void test_rr_jitter_clock(void **state)
{
	uint8_t buf[256];
	struct rtp_rxstat rx = {0};
	struct rtp_hdr h = {.ssrc = 7};
	struct rtcp_sender s = {.sent = false, .ssrc = 99};
	uint32_t j1;

	(void)state;
	for (uint16_t q = 0; q < 50; q++) {
		h.seq = q;
		h.ts = q * 160u;
		rtp_rxstat_update(&rx, &h, q * 160u + (q % 2) * 40);
	}
	assert_true(rtp_rxstat_jitter(&rx) > 0);
	(void)rtcp_write_sr(buf, sizeof(buf), &s, &rx, "x");
	j1 = get32(buf + 8 + 12);
	assert_int_equal(j1, rtp_rxstat_jitter(&rx));
	s.clock_ratio = 6;
	(void)rtcp_write_sr(buf, sizeof(buf), &s, &rx, "x");
	assert_int_equal(get32(buf + 8 + 12), 6 * j1);
}

/* RFC 3611 s. 4.7: the VoIP Metrics block where a receiver expects it */
static void test_xr_voip(void **state)
{
	uint8_t buf[64];
	const struct rtcp_voip v = {
		.source = 0x01020304, .loss_rate = 13, .discard_rate = 5,
		.end_delay_ms = 60, .rx_config = RTCP_XR_PLC_ENHANCED |
		RTCP_XR_JB_ADAPTIVE, .jb_nominal_ms = 40, .jb_max_ms = 140,
		.jb_abs_max_ms = 300};

	(void)state;
	assert_int_equal(rtcp_write_xr_voip(buf, 43, 9, &v), 0);
	assert_int_equal(rtcp_write_xr_voip(buf, sizeof(buf), 9, &v),
			 RTCP_XR_VOIP_LEN);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 207);
	assert_int_equal((buf[2] << 8 | buf[3]) * 4 + 4, RTCP_XR_VOIP_LEN);
	assert_int_equal(get32(buf + 4), 9);
	assert_int_equal(buf[8], 7);                     /* BT */
	assert_int_equal(buf[10] << 8 | buf[11], 8);     /* block length */
	assert_int_equal(get32(buf + 12), 0x01020304);
	assert_int_equal(buf[16], 13);
	assert_int_equal(buf[17], 5);
	assert_int_equal(buf[30] << 8 | buf[31], 60);   /* end system delay */
	assert_int_equal(buf[32], 127);                 /* signal: unknown */
	assert_int_equal(buf[35], 16);                  /* Gmin */
	assert_int_equal(buf[40], 0xF0);                /* PLC, JBA */
	assert_int_equal(buf[42] << 8 | buf[43], 40);   /* JB nominal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_csrc_ext_padding),
		cmocka_unit_test(test_csrc_levels),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_audio_level),
		cmocka_unit_test(test_rxstat_loss_jitter),
		cmocka_unit_test(test_sr_write_parse),
		cmocka_unit_test(test_rr_jitter_clock),
		cmocka_unit_test(test_xr_voip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
