/*
 * Video packets (src/video/vpkt.c, vpkt_rtcp.c): the RTP header; where
 * VP8, H.264 and VP9 keyframes and frames start and their picture ids,
 * on packets laid out by hand from RFC 7741, RFC 6184 and the VP9
 * payload draft; RTCP: every builder against bytes written by hand from
 * RFC 3550, 4585, 5104 and the REMB draft and through the walker, rates
 * within their encodings' precision, a compound walked in order, and
 * broken packets (each length cut, each bit flipped, each rule broken)
 * reported never and rejected where they must be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "video/vpkt.h"

#define MAXREC 64

struct rec {
	struct vpkt_fb fb[MAXREC];
	unsigned n;
};

static void rec_h(const struct vpkt_fb *fb, void *arg)
{
	struct rec *r = arg;

	if (r->n < MAXREC)
		r->fb[r->n] = *fb;
	r->n++;
}

/* Walks buf; the items in r (emptied first) */
static bool walk(const uint8_t *buf, size_t len, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	return vpkt_rtcp_walk(buf, len, rec_h, r);
}

/* ---- RTP ---- */

static void test_rtp_header(void **state)
{
	uint8_t buf[40];
	struct vpkt_rtp h;

	(void)state;
	vpkt_rtp_header(buf, true, 96, 65535, 0xdeadbeef, 0x01020304);
	memset(buf + 12, 0xab, 20);
	assert_true(vpkt_rtp_parse(buf, 32, &h));
	assert_true(h.marker);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 0xdeadbeef);
	assert_int_equal(h.ssrc, 0x01020304);
	assert_int_equal(h.hlen, 12);
	assert_int_equal(h.plen, 20);

	/* the marker stays, the rest is new */
	vpkt_rtp_rewrite(buf, 0xff, 7, 8, 9);
	assert_true(vpkt_rtp_parse(buf, 32, &h));
	assert_true(h.marker);
	assert_int_equal(h.pt, 127);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.ts, 8);
	assert_int_equal(h.ssrc, 9);
	assert_int_equal(buf[12], 0xab);
	vpkt_rtp_header(buf, false, 100, 1, 2, 3);
	vpkt_rtp_rewrite(buf, 101, 1, 2, 3);
	assert_true(vpkt_rtp_parse(buf, 12, &h));
	assert_false(h.marker);
	assert_int_equal(h.pt, 101);
	assert_int_equal(h.plen, 0);
}

/* V=2 P X CC=2, two CSRCs, a 2-word extension, 6 octets of payload and 2
 * of padding */
static const uint8_t rtp_full[] = {
	0xb2, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe,
	0, 0, 0, 1, 0, 0, 0, 2,
	0xbe, 0xde, 0x00, 0x02, 0x10, 0xff, 0, 0, 0x22, 0x01, 0x02, 0,
	1, 2, 3, 4, 5, 6, 0, 2,
};

static void test_rtp_csrc_ext_padding(void **state)
{
	struct vpkt_rtp h;
	uint8_t buf[sizeof(rtp_full)];

	(void)state;
	assert_true(vpkt_rtp_parse(rtp_full, sizeof(rtp_full), &h));
	assert_int_equal(h.hlen, 32);
	assert_int_equal(h.plen, 6);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.ssrc, 0xcafebabe);

	memcpy(buf, rtp_full, sizeof(buf));
	buf[sizeof(buf) - 1] = 0;            /* a padding count of 0 */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	buf[sizeof(buf) - 1] = 9;            /* into the header */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	buf[sizeof(buf) - 1] = 8;            /* the whole payload */
	assert_true(vpkt_rtp_parse(buf, sizeof(buf), &h));
	assert_int_equal(h.plen, 0);

	memcpy(buf, rtp_full, sizeof(buf));
	buf[23] = 5;                         /* extension past the end */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	memcpy(buf, rtp_full, sizeof(buf));
	buf[0] = 0xbf;                       /* 15 CSRCs */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	buf[0] = 0x72;                       /* version 1 */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	memcpy(buf, rtp_full, sizeof(buf));
	buf[1] = 0xc8;                       /* an SR on a muxed port */
	assert_false(vpkt_rtp_parse(buf, sizeof(buf), &h));
	assert_false(vpkt_rtp_parse(NULL, 12, &h));
}

static void test_rtp_truncations(void **state)
{
	uint8_t plain[32];
	struct vpkt_rtp h;

	(void)state;
	/* with padding, every cut moves the count: whatever it reads, the
	 * payload stays inside what is there */
	for (size_t n = 0; n < sizeof(rtp_full); n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, rtp_full, n);
		if (vpkt_rtp_parse(copy, n, &h))
			assert_true(h.hlen + h.plen <= n);
		if (n < 32)
			assert_false(vpkt_rtp_parse(copy, n, &h));
		free(copy);
	}
	vpkt_rtp_header(plain, false, 96, 1, 2, 3);
	memset(plain + 12, 0x55, 20);
	for (size_t n = 0; n <= sizeof(plain); n++) {
		bool ok = vpkt_rtp_parse(plain, n, &h);

		assert_int_equal(ok, n >= 12);
		if (ok)
			assert_int_equal(h.plen, n - 12);
	}
}

/* ---- payloads ---- */

/* A VP8 key frame's first packet, no extensions: S=1 PID=0, then the
 * frame tag (P=0, show_frame), the start code, 640x480 */
static const uint8_t vp8_key_plain[] = {
	0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01,
};
/* with X: I (M=1, 15-bit id 0x1234), L (TL0PICIDX 5), T (TID 1) */
static const uint8_t vp8_key_ext[] = {
	0x90, 0xe0, 0x92, 0x34, 0x05, 0x40,
	0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01,
};
/* an inter frame's first packet, 7-bit id 0x11 */
static const uint8_t vp8_inter[] = {0x90, 0x80, 0x11, 0x31, 0x22, 0x00};
/* a later partition (PID 1) and a continuation (S=0) */
static const uint8_t vp8_part1[] = {0x91, 0x80, 0x11, 0x00, 0x01};
static const uint8_t vp8_cont[] = {0x80, 0x80, 0x11, 0x00, 0x01};

static void test_vp8(void **state)
{
	uint8_t buf[sizeof(vp8_key_ext)];
	uint16_t id;
	unsigned bits;

	(void)state;
	assert_true(vpkt_key_start(VIDEO_VP8, vp8_key_plain,
				   sizeof(vp8_key_plain)));
	assert_true(vpkt_frame_start(VIDEO_VP8, vp8_key_plain,
				     sizeof(vp8_key_plain)));
	assert_false(vpkt_picid_get(VIDEO_VP8, vp8_key_plain,
				    sizeof(vp8_key_plain), &id, &bits));
	assert_true(vpkt_key_start(VIDEO_VP8, vp8_key_ext,
				   sizeof(vp8_key_ext)));
	assert_true(vpkt_picid_get(VIDEO_VP8, vp8_key_ext,
				   sizeof(vp8_key_ext), &id, &bits));
	assert_int_equal(id, 0x1234);
	assert_int_equal(bits, 15);

	assert_false(vpkt_key_start(VIDEO_VP8, vp8_inter, sizeof(vp8_inter)));
	assert_true(vpkt_frame_start(VIDEO_VP8, vp8_inter, sizeof(vp8_inter)));
	assert_true(vpkt_picid_get(VIDEO_VP8, vp8_inter, sizeof(vp8_inter),
				   &id, &bits));
	assert_int_equal(id, 0x11);
	assert_int_equal(bits, 7);
	assert_false(vpkt_frame_start(VIDEO_VP8, vp8_part1,
				      sizeof(vp8_part1)));
	assert_false(vpkt_key_start(VIDEO_VP8, vp8_part1, sizeof(vp8_part1)));
	assert_false(vpkt_frame_start(VIDEO_VP8, vp8_cont, sizeof(vp8_cont)));
	assert_false(vpkt_key_start(VIDEO_VP8, vp8_cont, sizeof(vp8_cont)));

	/* the id is written in its own width, M and the rest untouched */
	memcpy(buf, vp8_key_ext, sizeof(buf));
	assert_true(vpkt_picid_set(VIDEO_VP8, buf, sizeof(buf), 0xffff));
	assert_true(vpkt_picid_get(VIDEO_VP8, buf, sizeof(buf), &id, &bits));
	assert_int_equal(id, 0x7fff);
	assert_int_equal(buf[2], 0xff);
	assert_memory_equal(buf + 4, vp8_key_ext + 4, sizeof(buf) - 4);
	memcpy(buf, vp8_inter, sizeof(vp8_inter));
	assert_true(vpkt_picid_set(VIDEO_VP8, buf, sizeof(vp8_inter), 0x1ff));
	assert_int_equal(buf[2], 0x7f);
	memcpy(buf, vp8_key_plain, sizeof(vp8_key_plain));
	assert_false(vpkt_picid_set(VIDEO_VP8, buf, sizeof(vp8_key_plain),
				    1));
	assert_memory_equal(buf, vp8_key_plain, sizeof(vp8_key_plain));
	/* the other codecs' rules do not apply */
	assert_false(vpkt_picid_get(VIDEO_H264, vp8_key_ext,
				    sizeof(vp8_key_ext), &id, &bits));
	assert_false(vpkt_key_start(VIDEO_NCODECS, vp8_key_ext,
				    sizeof(vp8_key_ext)));
}

/* An H.264 STAP-A: SPS (baseline 3.0) and PPS */
static const uint8_t h264_stapa_sps[] = {
	0x78, 0x00, 0x06, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00,
	0x00, 0x04, 0x68, 0xce, 0x3c, 0x80,
};
/* FU-A: the first fragment of an IDR slice (NRI 3), a middle one, the
 * last one; the first fragment of a non-IDR slice */
static const uint8_t h264_fua_idr[] = {0x7c, 0x85, 0x88, 0x84, 0x21};
static const uint8_t h264_fua_mid[] = {0x7c, 0x05, 0x11, 0x22};
static const uint8_t h264_fua_end[] = {0x7c, 0x45, 0x11, 0x22};
static const uint8_t h264_fua_p[] = {0x5c, 0x81, 0x9a, 0x02};

static void test_h264(void **state)
{
	static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x00};
	static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1e};
	static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
	static const uint8_t slice[] = {0x41, 0x9a, 0x02};
	static const uint8_t forbidden[] = {0xe5, 0x88};
	static const uint8_t stapa_pps_sei[] = {
		0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x06, 0x05};
	uint8_t buf[sizeof(h264_stapa_sps) + 1];
	uint16_t id;

	(void)state;
	assert_true(vpkt_key_start(VIDEO_H264, idr, sizeof(idr)));
	assert_true(vpkt_key_start(VIDEO_H264, sps, sizeof(sps)));
	assert_false(vpkt_key_start(VIDEO_H264, pps, sizeof(pps)));
	assert_false(vpkt_key_start(VIDEO_H264, slice, sizeof(slice)));
	assert_true(vpkt_frame_start(VIDEO_H264, slice, sizeof(slice)));
	assert_false(vpkt_key_start(VIDEO_H264, forbidden, sizeof(forbidden)));
	assert_false(vpkt_key_start(VIDEO_H264, idr, 1));

	assert_true(vpkt_key_start(VIDEO_H264, h264_stapa_sps,
				   sizeof(h264_stapa_sps)));
	assert_true(vpkt_frame_start(VIDEO_H264, h264_stapa_sps,
				     sizeof(h264_stapa_sps)));
	assert_false(vpkt_key_start(VIDEO_H264, stapa_pps_sei,
				    sizeof(stapa_pps_sei)));
	assert_true(vpkt_frame_start(VIDEO_H264, stapa_pps_sei,
				     sizeof(stapa_pps_sei)));
	/* sizes that do not fill it exactly */
	memcpy(buf, h264_stapa_sps, sizeof(h264_stapa_sps));
	buf[sizeof(h264_stapa_sps)] = 0;
	assert_false(vpkt_key_start(VIDEO_H264, buf, sizeof(buf)));
	buf[2] = 0x20;
	assert_false(vpkt_key_start(VIDEO_H264, buf, sizeof(buf) - 1));
	buf[2] = 0;
	assert_false(vpkt_key_start(VIDEO_H264, buf, sizeof(buf) - 1));

	assert_true(vpkt_key_start(VIDEO_H264, h264_fua_idr,
				   sizeof(h264_fua_idr)));
	assert_true(vpkt_frame_start(VIDEO_H264, h264_fua_idr,
				     sizeof(h264_fua_idr)));
	assert_false(vpkt_key_start(VIDEO_H264, h264_fua_mid,
				    sizeof(h264_fua_mid)));
	assert_false(vpkt_frame_start(VIDEO_H264, h264_fua_mid,
				      sizeof(h264_fua_mid)));
	assert_false(vpkt_key_start(VIDEO_H264, h264_fua_end,
				    sizeof(h264_fua_end)));
	assert_false(vpkt_key_start(VIDEO_H264, h264_fua_p,
				    sizeof(h264_fua_p)));
	assert_true(vpkt_frame_start(VIDEO_H264, h264_fua_p,
				     sizeof(h264_fua_p)));
	assert_false(vpkt_key_start(VIDEO_H264, h264_fua_idr, 2));

	/* STAP-B, MTAP16, MTAP24, FU-B and the reserved types: not taken */
	for (uint8_t t = 25; t <= 31; t++) {
		uint8_t p[] = {(uint8_t)(0x60 | t), 0x85, 0x00, 0x04, 0x65};

		if (t == 28)
			continue;
		assert_false(vpkt_key_start(VIDEO_H264, p, sizeof(p)));
		assert_false(vpkt_frame_start(VIDEO_H264, p, sizeof(p)));
	}
	assert_false(vpkt_picid_get(VIDEO_H264, idr, sizeof(idr), &id, NULL));
	assert_false(vpkt_picid_set(VIDEO_H264, buf, sizeof(buf), 1));
}

/* VP9: a key frame without picture id or layers (B=1, P=0, E=1) */
static const uint8_t vp9_key_plain[] = {0x0c, 0x82, 0x49, 0x83, 0x42};
/* I (15-bit id 0x0123), L (TID 0 SID 0, TL0PICIDX 7), B: key frame */
static const uint8_t vp9_key_layers[] = {
	0xa8, 0x81, 0x23, 0x00, 0x07, 0x82, 0x49, 0x83};
/* the same picture's spatial layer 1 (D: depends on layer 0) */
static const uint8_t vp9_key_sid1[] = {
	0xa8, 0x81, 0x23, 0x03, 0x07, 0x82, 0x49, 0x83};
/* flexible mode inter frame: I (7-bit id 5), P, F, B, two P_DIFFs */
static const uint8_t vp9_flex_inter[] = {0xd8, 0x05, 0x03, 0x04, 0x86};
/* a key frame with the scalability structure: I (7-bit id 1), B, V;
 * one layer, Y (640x360), G: one picture group entry (TID 0, R=1,
 * P_DIFF 1) */
static const uint8_t vp9_key_ss[] = {
	0x8a, 0x01, 0x18, 0x02, 0x80, 0x01, 0x68, 0x01, 0x04, 0x01, 0x82,
};

static void test_vp9(void **state)
{
	uint8_t buf[16];
	uint16_t id;
	unsigned bits;

	(void)state;
	assert_true(vpkt_key_start(VIDEO_VP9, vp9_key_plain,
				   sizeof(vp9_key_plain)));
	assert_false(vpkt_picid_get(VIDEO_VP9, vp9_key_plain,
				    sizeof(vp9_key_plain), &id, &bits));
	assert_true(vpkt_key_start(VIDEO_VP9, vp9_key_layers,
				   sizeof(vp9_key_layers)));
	assert_true(vpkt_picid_get(VIDEO_VP9, vp9_key_layers,
				   sizeof(vp9_key_layers), &id, &bits));
	assert_int_equal(id, 0x0123);
	assert_int_equal(bits, 15);
	assert_false(vpkt_key_start(VIDEO_VP9, vp9_key_sid1,
				    sizeof(vp9_key_sid1)));
	assert_true(vpkt_frame_start(VIDEO_VP9, vp9_key_sid1,
				     sizeof(vp9_key_sid1)));
	assert_false(vpkt_key_start(VIDEO_VP9, vp9_flex_inter,
				    sizeof(vp9_flex_inter)));
	assert_true(vpkt_frame_start(VIDEO_VP9, vp9_flex_inter,
				     sizeof(vp9_flex_inter)));
	assert_true(vpkt_picid_get(VIDEO_VP9, vp9_flex_inter,
				   sizeof(vp9_flex_inter), &id, &bits));
	assert_int_equal(id, 5);
	assert_int_equal(bits, 7);
	assert_true(vpkt_key_start(VIDEO_VP9, vp9_key_ss, sizeof(vp9_key_ss)));
	assert_true(vpkt_picid_get(VIDEO_VP9, vp9_key_ss, sizeof(vp9_key_ss),
				   &id, NULL));
	assert_int_equal(id, 1);

	/* four P_DIFFs: one too many */
	memcpy(buf, vp9_flex_inter, sizeof(vp9_flex_inter));
	buf[3] = 0x05;
	buf[4] = 0x07;
	buf[5] = 0x08;
	buf[6] = 0x86;
	assert_false(vpkt_frame_start(VIDEO_VP9, buf, 7));
	assert_false(vpkt_picid_get(VIDEO_VP9, buf, 7, &id, NULL));
	/* not the start of a frame (B=0) */
	memcpy(buf, vp9_key_layers, sizeof(vp9_key_layers));
	buf[0] &= (uint8_t)~0x08;
	assert_false(vpkt_key_start(VIDEO_VP9, buf, sizeof(vp9_key_layers)));
	assert_false(vpkt_frame_start(VIDEO_VP9, buf, sizeof(vp9_key_layers)));

	memcpy(buf, vp9_key_layers, sizeof(vp9_key_layers));
	assert_true(vpkt_picid_set(VIDEO_VP9, buf, sizeof(vp9_key_layers),
				   0x4321));
	assert_int_equal(buf[1], 0xc3);
	assert_int_equal(buf[2], 0x21);
	assert_memory_equal(buf + 3, vp9_key_layers + 3,
			    sizeof(vp9_key_layers) - 3);
	memcpy(buf, vp9_key_ss, sizeof(vp9_key_ss));
	assert_true(vpkt_picid_set(VIDEO_VP9, buf, sizeof(vp9_key_ss), 0x80));
	assert_true(vpkt_picid_get(VIDEO_VP9, buf, sizeof(vp9_key_ss), &id,
				   &bits));
	assert_int_equal(id, 0);
	assert_int_equal(bits, 7);
}

/* Every cut of a payload: no answer that needs what was cut (a descriptor
 * and one octet of data are always needed), and a picture id set only
 * where one was read */
static void cut_payload(enum video_codec c, const uint8_t *pl, size_t len,
			size_t need)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		uint16_t id = 0;
		bool got;

		memcpy(copy, pl, n);
		if (n < need) {
			assert_false(vpkt_key_start(c, copy, n));
			assert_false(vpkt_frame_start(c, copy, n));
		}
		got = vpkt_picid_get(c, copy, n, &id, NULL);
		assert_int_equal(vpkt_picid_set(c, copy, n, id), got);
		free(copy);
	}
}

static void test_payload_truncations(void **state)
{
	(void)state;
	cut_payload(VIDEO_VP8, vp8_key_plain, sizeof(vp8_key_plain), 2);
	cut_payload(VIDEO_VP8, vp8_key_ext, sizeof(vp8_key_ext), 7);
	cut_payload(VIDEO_VP8, vp8_inter, sizeof(vp8_inter), 4);
	/* the SPS alone (9 octets) is a STAP-A too */
	cut_payload(VIDEO_H264, h264_stapa_sps, sizeof(h264_stapa_sps), 9);
	cut_payload(VIDEO_H264, h264_fua_idr, sizeof(h264_fua_idr), 3);
	cut_payload(VIDEO_VP9, vp9_key_plain, sizeof(vp9_key_plain), 2);
	cut_payload(VIDEO_VP9, vp9_key_layers, sizeof(vp9_key_layers), 6);
	cut_payload(VIDEO_VP9, vp9_flex_inter, sizeof(vp9_flex_inter), 5);
	cut_payload(VIDEO_VP9, vp9_key_ss, sizeof(vp9_key_ss),
		    sizeof(vp9_key_ss));
}

/* Every single bit flipped: nothing read past the end (the sanitizers and
 * exact-size copies say so), a key start is a frame start, an id written
 * reads back */
static void flip_payload(enum video_codec c, const uint8_t *pl, size_t len)
{
	uint8_t *copy = malloc(len);

	for (size_t bit = 0; bit < len * 8; bit++) {
		uint16_t id;
		unsigned bits;

		memcpy(copy, pl, len);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (vpkt_key_start(c, copy, len))
			assert_true(vpkt_frame_start(c, copy, len));
		if (vpkt_picid_get(c, copy, len, &id, &bits)) {
			uint16_t back;

			assert_true(vpkt_picid_set(c, copy, len, 0x2aaa));
			assert_true(vpkt_picid_get(c, copy, len, &back, NULL));
			assert_int_equal(back, 0x2aaa & ((1u << bits) - 1));
		}
	}
	free(copy);
}

static void test_payload_bitflips(void **state)
{
	(void)state;
	flip_payload(VIDEO_VP8, vp8_key_plain, sizeof(vp8_key_plain));
	flip_payload(VIDEO_VP8, vp8_key_ext, sizeof(vp8_key_ext));
	flip_payload(VIDEO_H264, h264_stapa_sps, sizeof(h264_stapa_sps));
	flip_payload(VIDEO_H264, h264_fua_idr, sizeof(h264_fua_idr));
	flip_payload(VIDEO_VP9, vp9_key_layers, sizeof(vp9_key_layers));
	flip_payload(VIDEO_VP9, vp9_flex_inter, sizeof(vp9_flex_inter));
	flip_payload(VIDEO_VP9, vp9_key_ss, sizeof(vp9_key_ss));
}

/* ---- RTCP ---- */

static const struct vpkt_rr_block rb1 = {
	.ssrc = 0x11111111, .fraction_lost = 0x40, .cum_lost = 0x000102,
	.ext_seq = 0x00015000, .jitter = 77, .lsr = 0xaabbccdd,
	.dlsr = 0x00010000,
};

static void assert_block(const struct vpkt_fb *fb, uint32_t sender,
			 const struct vpkt_rr_block *rb)
{
	assert_int_equal(fb->kind, VPKT_RR);
	assert_int_equal(fb->sender_ssrc, sender);
	assert_int_equal(fb->media_ssrc, rb->ssrc);
	assert_int_equal(fb->fraction_lost, rb->fraction_lost);
	assert_int_equal(fb->cum_lost, rb->cum_lost & 0xffffff);
	assert_int_equal(fb->ext_seq, rb->ext_seq);
	assert_int_equal(fb->jitter, rb->jitter);
	assert_int_equal(fb->lsr, rb->lsr);
	assert_int_equal(fb->dlsr, rb->dlsr);
}

/* Every capacity short of len makes nothing */
#define ASSERT_NO_ROOM(len, call) do {                                   \
	for (size_t cap_ = 0; cap_ < (len); cap_++) {                    \
		size_t cap = cap_;                                       \
		assert_int_equal((call), 0);                             \
	}                                                                \
} while (0)

/* RFC 3550 s. 6.4.1 and 6.4.2, written out */
static void test_rtcp_sr_rr(void **state)
{
	static const uint8_t sr_hand[] = {
		0x81, 0xc8, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04,
		0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x10,
		0x00, 0x00, 0x20, 0x00,
		0x11, 0x11, 0x11, 0x11, 0x40, 0x00, 0x01, 0x02,
		0x00, 0x01, 0x50, 0x00, 0x00, 0x00, 0x00, 0x4d,
		0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x01, 0x00, 0x00,
	};
	struct vpkt_rr_block neg = rb1;
	uint8_t buf[64];
	struct rec r;
	size_t n;

	(void)state;
	n = vpkt_sr(buf, sizeof(buf), 0x01020304, 0xe123456789abcdefull,
		    0x1000, 0x10, 0x2000, &rb1);
	assert_int_equal(n, sizeof(sr_hand));
	assert_memory_equal(buf, sr_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.fb[0].kind, VPKT_SR);
	assert_int_equal(r.fb[0].sender_ssrc, 0x01020304);
	assert_true(r.fb[0].ntp == 0xe123456789abcdefull);
	assert_int_equal(r.fb[0].rtp_ts, 0x1000);
	assert_block(&r.fb[1], 0x01020304, &rb1);
	ASSERT_NO_ROOM(n, vpkt_sr(buf, cap, 1, 2, 3, 4, 5, &rb1));

	n = vpkt_sr(buf, sizeof(buf), 7, 8, 9, 10, 11, NULL);
	assert_int_equal(n, 28);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[3], 6);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_true(r.fb[0].ntp == 8);

	/* a negative cumulative loss travels as its 24 bits */
	neg.cum_lost = 0xffffffff;
	n = vpkt_rr(buf, sizeof(buf), 0x55, &neg);
	assert_int_equal(n, 32);
	assert_int_equal(buf[0], 0x81);
	assert_int_equal(buf[1], 201);
	assert_int_equal(buf[3], 7);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_block(&r.fb[0], 0x55, &neg);
	assert_int_equal(r.fb[0].cum_lost, 0xffffff);
	ASSERT_NO_ROOM(n, vpkt_rr(buf, cap, 1, &rb1));

	n = vpkt_rr(buf, sizeof(buf), 0x55, NULL);
	assert_int_equal(n, 8);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 0);
	assert_int_equal(vpkt_rr(NULL, 100, 1, NULL), 0);
}

static void test_rtcp_sdes(void **state)
{
	static const uint8_t hand[] = {
		0x81, 0xca, 0x00, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
		0x01, 0x06, 'c', 'a', 'u', 'c', 'u', 's', 0, 0, 0, 0,
	};
	char cname[300];
	uint8_t buf[300];
	struct rec r;
	size_t n;

	(void)state;
	n = vpkt_sdes(buf, sizeof(buf), 0x0a0b0c0d, "caucus");
	assert_int_equal(n, sizeof(hand));
	assert_memory_equal(buf, hand, n);
	ASSERT_NO_ROOM(n, vpkt_sdes(buf, cap, 1, "caucus"));

	/* every length pads to 32 bits with at least one null octet */
	memset(cname, 'x', sizeof(cname));
	for (size_t len = 0; len <= 255; len++) {
		cname[len] = 0;
		n = vpkt_sdes(buf, sizeof(buf), 1, cname);
		assert_int_equal(n % 4, 0);
		assert_true(n >= 10 + len + 1 && n <= 10 + len + 4);
		assert_int_equal(buf[10 + len], 0);
		assert_true(walk(buf, n, &r));
		assert_int_equal(r.n, 0);
		cname[len] = 'x';
	}
	cname[256] = 0;
	assert_int_equal(vpkt_sdes(buf, sizeof(buf), 1, cname), 0);
	assert_int_equal(vpkt_sdes(buf, sizeof(buf), 1, NULL), 0);
}

/* RFC 4585 s. 6.2.1, 6.3.1; RFC 5104 s. 4.2.1, 4.2.2, 4.3.1; REMB */
static const uint8_t pli_hand[] = {
	0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2,
};
static const uint8_t fir_hand[] = {
	0x84, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0,
	0, 0, 0, 2, 0x2a, 0, 0, 0,
};
static const uint8_t nack_hand[] = {
	0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0x80, 0x01,
};
/* 64 kbps: exponent 0, mantissa 64000; overhead 40 */
static const uint8_t tmmbr_hand[] = {
	0x83, 0xcd, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0,
	0, 0, 0, 2, 0x01, 0xf4, 0x00, 0x28,
};
/* 1.5 Mbps: exponent 3, mantissa 187500 (0x2dc6c) */
static const uint8_t remb_hand[] = {
	0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
	'R', 'E', 'M', 'B', 0x01, 0x0e, 0xdc, 0x6c, 0, 0, 0, 2,
};

static void test_rtcp_feedback(void **state)
{
	const uint32_t media = 2;
	uint8_t buf[64];
	struct rec r;
	size_t n;

	(void)state;
	n = vpkt_pli(buf, sizeof(buf), 1, 2);
	assert_int_equal(n, sizeof(pli_hand));
	assert_memory_equal(buf, pli_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_PLI);
	assert_int_equal(r.fb[0].sender_ssrc, 1);
	assert_int_equal(r.fb[0].media_ssrc, 2);
	ASSERT_NO_ROOM(n, vpkt_pli(buf, cap, 1, 2));

	n = vpkt_fir(buf, sizeof(buf), 1, 2, 42);
	assert_int_equal(n, sizeof(fir_hand));
	assert_memory_equal(buf, fir_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_FIR);
	assert_int_equal(r.fb[0].media_ssrc, 2);
	assert_int_equal(r.fb[0].fir_seq, 42);
	ASSERT_NO_ROOM(n, vpkt_fir(buf, cap, 1, 2, 42));

	n = vpkt_nack(buf, sizeof(buf), 1, 2, 0x1234, 0x8001);
	assert_int_equal(n, sizeof(nack_hand));
	assert_memory_equal(buf, nack_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_NACK);
	assert_int_equal(r.fb[0].media_ssrc, 2);
	assert_int_equal(r.fb[0].pid, 0x1234);
	assert_int_equal(r.fb[0].blp, 0x8001);
	ASSERT_NO_ROOM(n, vpkt_nack(buf, cap, 1, 2, 3, 4));

	n = vpkt_tmmbr(buf, sizeof(buf), 1, 2, 64000, 40);
	assert_int_equal(n, sizeof(tmmbr_hand));
	assert_memory_equal(buf, tmmbr_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_TMMBR);
	assert_int_equal(r.fb[0].media_ssrc, 2);
	assert_true(r.fb[0].bps == 64000);
	assert_int_equal(r.fb[0].overhead, 40);
	ASSERT_NO_ROOM(n, vpkt_tmmbr(buf, cap, 1, 2, 3, 4));

	n = vpkt_tmmbn(buf, sizeof(buf), 1, 2, 64000, 40);
	assert_int_equal(n, sizeof(tmmbr_hand));
	assert_int_equal(buf[0], 0x84);
	assert_memory_equal(buf + 1, tmmbr_hand + 1, n - 1);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_TMMBN);
	assert_true(r.fb[0].bps == 64000);
	ASSERT_NO_ROOM(n, vpkt_tmmbn(buf, cap, 1, 2, 3, 4));

	n = vpkt_remb(buf, sizeof(buf), 1, 1500000, &media, 1);
	assert_int_equal(n, sizeof(remb_hand));
	assert_memory_equal(buf, remb_hand, n);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_REMB);
	assert_int_equal(r.fb[0].sender_ssrc, 1);
	assert_int_equal(r.fb[0].media_ssrc, 2);
	assert_true(r.fb[0].bps == 1500000);
	ASSERT_NO_ROOM(n, vpkt_remb(buf, cap, 1, 2, &media, 1));
}

static void test_rtcp_remb_ssrcs(void **state)
{
	const uint32_t media[3] = {7, 8, 9};
	uint8_t buf[64];
	struct rec r;
	size_t n;

	(void)state;
	n = vpkt_remb(buf, sizeof(buf), 1, 300000, media, 3);
	assert_int_equal(n, 32);
	assert_int_equal(buf[16], 3);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].media_ssrc, 7);
	assert_true(r.fb[0].bps == 300000);
	n = vpkt_remb(buf, sizeof(buf), 1, 300000, NULL, 0);
	assert_int_equal(n, 20);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].media_ssrc, 0);
	assert_int_equal(vpkt_remb(buf, sizeof(buf), 1, 1, NULL, 1), 0);
	assert_int_equal(vpkt_remb(buf, sizeof(buf), 1, 1, media, 256), 0);
}

/* A rate through TMMBR (17-bit mantissa) and REMB (18): never more than
 * asked, and less by under one step of the mantissa */
static void rate_trip(uint64_t bps)
{
	const uint32_t media = 2;
	uint8_t buf[32];
	struct rec r;
	size_t n;

	n = vpkt_tmmbr(buf, sizeof(buf), 1, 2, bps, 0);
	assert_true(walk(buf, n, &r));
	assert_true(r.fb[0].bps <= bps);
	assert_true(bps - r.fb[0].bps <= bps >> 16);
	if (bps < (1u << 17))
		assert_true(r.fb[0].bps == bps);
	n = vpkt_remb(buf, sizeof(buf), 1, bps, &media, 1);
	assert_true(walk(buf, n, &r));
	assert_true(r.fb[0].bps <= bps);
	assert_true(bps - r.fb[0].bps <= bps >> 17);
	if (bps < (1u << 18))
		assert_true(r.fb[0].bps == bps);
}

static void test_rtcp_rates(void **state)
{
	static const uint64_t rates[] = {
		0, 1, 64000, 131071, 131072, 131073, 262143, 262145, 1500000,
		2500000, 1ull << 40, (1ull << 40) + 12345, 1ull << 63,
		UINT64_MAX,
	};
	uint8_t buf[32];
	struct rec r;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		rate_trip(rates[i]);
	for (uint64_t v = 3; v < UINT64_MAX / 3; v = v * 3 + 1)
		rate_trip(v);

	/* exact where the encodings can be: 1.5 Mbps is 93750 << 4 and
	 * 187500 << 3, 2^40 is 1 << 40 */
	n = vpkt_tmmbr(buf, sizeof(buf), 1, 2, 1500000, 0);
	assert_true(walk(buf, n, &r));
	assert_true(r.fb[0].bps == 1500000);
	n = vpkt_tmmbr(buf, sizeof(buf), 1, 2, 1ull << 40, 0);
	assert_true(walk(buf, n, &r));
	assert_true(r.fb[0].bps == 1ull << 40);

	/* the overhead is 9 bits: more is sent as 511 */
	n = vpkt_tmmbr(buf, sizeof(buf), 1, 2, 64000, 600);
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.fb[0].overhead, 511);
	assert_true(r.fb[0].bps == 64000);

	/* read: exponent 63 would not fit 64 bits: the most there is */
	memcpy(buf, remb_hand, sizeof(remb_hand));
	buf[17] = 0xff;
	buf[18] = 0xff;
	buf[19] = 0xff;
	assert_true(walk(buf, sizeof(remb_hand), &r));
	assert_true(r.fb[0].bps == UINT64_MAX);
	buf[17] = 46 << 2 | 3;               /* (2^18 - 1) << 46 fits */
	assert_true(walk(buf, sizeof(remb_hand), &r));
	assert_true(r.fb[0].bps == 0x3ffffull << 46);
	memcpy(buf, tmmbr_hand, sizeof(tmmbr_hand));
	buf[16] = 0xff;
	assert_true(walk(buf, sizeof(tmmbr_hand), &r));
	assert_true(r.fb[0].bps == UINT64_MAX);
}

/* RR + SDES + PLI + NACK + REMB, the way a receiver sends them */
static size_t compound(uint8_t *buf, size_t cap, size_t *ends, unsigned *n)
{
	const uint32_t media = 0x2000;
	size_t len = 0;

	*n = 0;
	len += vpkt_rr(buf + len, cap - len, 0x1000, &rb1);
	ends[(*n)++] = len;
	len += vpkt_sdes(buf + len, cap - len, 0x1000, "bob@example.org");
	ends[(*n)++] = len;
	len += vpkt_pli(buf + len, cap - len, 0x1000, 0x2000);
	ends[(*n)++] = len;
	len += vpkt_nack(buf + len, cap - len, 0x1000, 0x2000, 500, 0x0005);
	ends[(*n)++] = len;
	len += vpkt_remb(buf + len, cap - len, 0x1000, 640000, &media, 1);
	ends[(*n)++] = len;
	return len;
}

static void test_rtcp_compound(void **state)
{
	uint8_t buf[256];
	size_t ends[8];
	unsigned nends;
	struct rec r;
	size_t len = compound(buf, sizeof(buf), ends, &nends);

	(void)state;
	assert_int_equal(len, 32 + 28 + 12 + 16 + 24);
	assert_true(walk(buf, len, &r));
	assert_int_equal(r.n, 4);
	assert_block(&r.fb[0], 0x1000, &rb1);
	assert_int_equal(r.fb[1].kind, VPKT_PLI);
	assert_int_equal(r.fb[1].media_ssrc, 0x2000);
	assert_int_equal(r.fb[2].kind, VPKT_NACK);
	assert_int_equal(r.fb[2].pid, 500);
	assert_int_equal(r.fb[2].blp, 5);
	assert_int_equal(r.fb[3].kind, VPKT_REMB);
	assert_true(r.fb[3].bps == 640000);
	assert_int_equal(r.fb[3].media_ssrc, 0x2000);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(r.fb[i].sender_ssrc, 0x1000);
	/* checking only */
	assert_true(vpkt_rtcp_walk(buf, len, NULL, NULL));
}

/* FCI lists: every entry in order; an empty TMMBN; what is passed over */
static void test_rtcp_fci_lists(void **state)
{
	static const uint8_t nack2[] = {
		0x81, 0xcd, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2,
		0x00, 0x10, 0x00, 0x00, 0x00, 0x30, 0xff, 0xff,
	};
	static const uint8_t fir2[] = {
		0x84, 0xce, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 5, 0x01, 0, 0, 0, 0, 0, 0, 6, 0x02, 0, 0, 0,
	};
	static const uint8_t tmmbn_empty[] = {
		0x84, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	/* transport-cc (RTPFB 15), an application feedback that is not
	 * REMB, an XR (207) */
	static const uint8_t others[] = {
		0x8f, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4,
		0x8f, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 'X', 'Y', 0, 0,
		0x80, 0xcf, 0x00, 0x01, 0, 0, 0, 1,
	};
	struct rec r;

	(void)state;
	assert_true(walk(nack2, sizeof(nack2), &r));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.fb[0].pid, 0x10);
	assert_int_equal(r.fb[1].pid, 0x30);
	assert_int_equal(r.fb[1].blp, 0xffff);
	assert_true(walk(fir2, sizeof(fir2), &r));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.fb[0].media_ssrc, 5);
	assert_int_equal(r.fb[0].fir_seq, 1);
	assert_int_equal(r.fb[1].media_ssrc, 6);
	assert_int_equal(r.fb[1].fir_seq, 2);
	assert_true(walk(tmmbn_empty, sizeof(tmmbn_empty), &r));
	assert_int_equal(r.n, 0);
	assert_true(walk(others, sizeof(others), &r));
	assert_int_equal(r.n, 0);
}

/* Padding: only the last packet, a count within it */
static void test_rtcp_padding(void **state)
{
	uint8_t buf[64];
	struct rec r;
	size_t n = vpkt_rr(buf, sizeof(buf), 9, NULL);

	(void)state;
	n += vpkt_pli(buf + n, sizeof(buf) - n, 1, 2);
	/* the PLI padded by 4: length 3, P, count 4 */
	buf[8] |= 0x20;
	buf[11] = 3;
	memset(buf + 20, 0, 4);
	buf[23] = 4;
	assert_true(walk(buf, 24, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.fb[0].kind, VPKT_PLI);
	buf[23] = 0;
	assert_false(walk(buf, 24, &r));
	buf[23] = 13;                        /* into its header */
	assert_false(walk(buf, 24, &r));
	buf[23] = 8;                         /* into its SSRCs: too short */
	assert_false(walk(buf, 24, &r));
	assert_int_equal(r.n, 0);
	buf[23] = 4;
	buf[0] |= 0x20;                      /* the first one padded */
	assert_false(walk(buf, 24, &r));
	assert_int_equal(r.n, 0);

	/* an RR with 4 octets of profile extension, the last 4: valid as
	 * padding of the last packet, not of the first */
	memset(buf, 0, sizeof(buf));
	vpkt_rr(buf, sizeof(buf), 9, NULL);
	buf[3] = 2;
	buf[11] = 4;
	assert_true(walk(buf, 12, &r));
	buf[0] |= 0x20;
	assert_true(walk(buf, 12, &r));
	n = 12 + vpkt_pli(buf + 12, sizeof(buf) - 12, 1, 2);
	assert_false(walk(buf, n, &r));
	assert_int_equal(r.n, 0);
	buf[0] &= (uint8_t)~0x20;
	assert_true(walk(buf, n, &r));
	assert_int_equal(r.n, 1);
}

/* A valid PLI, then one broken packet: false, and not even the PLI is
 * reported */
static void reject(const uint8_t *bad, size_t len)
{
	uint8_t *buf = malloc(12 + len);     /* a read past it is caught */
	struct rec r;
	size_t n = vpkt_pli(buf, 12, 1, 2);

	assert_int_equal(n, 12);
	memcpy(buf + n, bad, len);
	assert_false(walk(buf, n + len, &r));
	assert_int_equal(r.n, 0);
	assert_false(vpkt_rtcp_walk(buf, n + len, NULL, NULL));
	free(buf);
}

#define REJECT(...) do {                                                 \
	static const uint8_t b_[] = {__VA_ARGS__};                       \
	reject(b_, sizeof(b_));                                          \
} while (0)

static void test_rtcp_rejects(void **state)
{
	uint8_t buf[16];
	struct rec r;

	(void)state;
	/* version 1; a length past the end; octets left over */
	REJECT(0x41, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2);
	REJECT(0x81, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2);
	REJECT(0x81, 0xce);
	/* not an RTCP packet type (RFC 5761: 192..223) */
	REJECT(0x80, 191, 0x00, 0x01, 0, 0, 0, 1);
	REJECT(0x80, 224, 0x00, 0x01, 0, 0, 0, 1);
	/* SR, RR without room for their blocks */
	REJECT(0x81, 0xc8, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	REJECT(0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 1);
	REJECT(0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1);
	/* SDES: no end of its items; two chunks said, one there; an item
	 * past the end */
	REJECT(0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b');
	REJECT(0x82, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 'a', 0);
	REJECT(0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 'a', 0);
	/* SDES: an item type as its last octet, without a length */
	REJECT(0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 'a', 0x05);
	/* SDES: a word left after its chunk; none said, one there */
	REJECT(0x81, 0xca, 0x00, 0x03, 0, 0, 0, 1, 0x01, 0x01, 'a', 0,
	       0, 0, 0, 0);
	REJECT(0x80, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 'a', 0);
	/* BYE: two SSRCs said, one there; a reason longer than its room */
	REJECT(0x82, 0xcb, 0x00, 0x01, 0, 0, 0, 1);
	REJECT(0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 0x04, 'b', 'y', 'e');
	/* APP without its name */
	REJECT(0x80, 0xcc, 0x00, 0x01, 0, 0, 0, 1);
	/* feedback without its media SSRC */
	REJECT(0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1);
	REJECT(0x81, 0xce, 0x00, 0x01, 0, 0, 0, 1);
	/* PLI with an FCI; NACK, FIR, TMMBR without; TMMBR and TMMBN
	 * with half an entry */
	REJECT(0x81, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0);
	REJECT(0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2);
	REJECT(0x84, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2);
	REJECT(0x83, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2);
	REJECT(0x83, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2);
	REJECT(0x84, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2);
	/* FIR with an entry and a half */
	REJECT(0x84, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
	       0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 3);
	/* REMB: two SSRCs said, one there; one said, two there; cut */
	REJECT(0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
	       'R', 'E', 'M', 'B', 0x02, 0x0e, 0xdc, 0x6c, 0, 0, 0, 2);
	REJECT(0x8f, 0xce, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0,
	       'R', 'E', 'M', 'B', 0x01, 0x0e, 0xdc, 0x6c, 0, 0, 0, 2,
	       0, 0, 0, 3);
	REJECT(0x8f, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0,
	       'R', 'E', 'M', 'B');

	assert_false(walk(buf, 0, &r));
	assert_false(walk(NULL, 8, &r));
	vpkt_pli(buf, sizeof(buf), 1, 2);
	for (size_t n = 1; n < 12; n++)
		assert_false(walk(buf, n, &r));
}

/* Every cut of the compound: whole packets walk, anything else is
 * rejected without a word */
static void test_rtcp_truncations(void **state)
{
	uint8_t buf[256];
	size_t ends[8];
	unsigned nends;
	size_t len = compound(buf, sizeof(buf), ends, &nends);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		bool boundary = false;
		struct rec r;

		memcpy(copy, buf, n);
		for (unsigned i = 0; i < nends; i++)
			boundary |= ends[i] == n;
		assert_int_equal(walk(copy, n, &r), boundary);
		if (!boundary)
			assert_int_equal(r.n, 0);
		free(copy);
	}
}

/* Every bit of the compound flipped: rejected means nothing reported, a
 * version bit is always rejected, and the answer is the same twice */
static void test_rtcp_bitflips(void **state)
{
	uint8_t buf[256], copy[256];
	size_t ends[8];
	unsigned nends;
	size_t len = compound(buf, sizeof(buf), ends, &nends);

	(void)state;
	for (size_t bit = 0; bit < len * 8; bit++) {
		size_t at = bit / 8;
		bool version = at == 0, ok;
		struct rec r, again;

		for (unsigned i = 0; i + 1 < nends; i++)
			version |= at == ends[i];
		version &= (bit % 8) >= 6;
		memcpy(copy, buf, len);
		copy[at] ^= (uint8_t)(1u << (bit % 8));
		ok = walk(copy, len, &r);
		if (!ok)
			assert_int_equal(r.n, 0);
		if (version)
			assert_false(ok);
		assert_int_equal(walk(copy, len, &again), ok);
		assert_int_equal(again.n, r.n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_header),
		cmocka_unit_test(test_rtp_csrc_ext_padding),
		cmocka_unit_test(test_rtp_truncations),
		cmocka_unit_test(test_vp8),
		cmocka_unit_test(test_h264),
		cmocka_unit_test(test_vp9),
		cmocka_unit_test(test_payload_truncations),
		cmocka_unit_test(test_payload_bitflips),
		cmocka_unit_test(test_rtcp_sr_rr),
		cmocka_unit_test(test_rtcp_sdes),
		cmocka_unit_test(test_rtcp_feedback),
		cmocka_unit_test(test_rtcp_remb_ssrcs),
		cmocka_unit_test(test_rtcp_rates),
		cmocka_unit_test(test_rtcp_compound),
		cmocka_unit_test(test_rtcp_fci_lists),
		cmocka_unit_test(test_rtcp_padding),
		cmocka_unit_test(test_rtcp_rejects),
		cmocka_unit_test(test_rtcp_truncations),
		cmocka_unit_test(test_rtcp_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
