/*
 * The composed picture and what it stands on: the RTP payload formats
 * (src/video/vpack.c), the codecs (vcodec.c) and the composer
 * (vcomp.c, vcomp_tile.c).
 *  - vpack: real frames of each codec packetized at a small MTU,
 *    depacketized (byte for byte, H.264 as Annex B)
 *    and decoded; the payload headers the RFCs ask for; a packet lost in
 *    the middle of a frame is reported once, the frames after it are
 *    dropped, and the next keyframe recovers.
 *  - vcodec: solid colours through each encoder and decoder come back
 *    within a few levels.
 *  - vcomp, end to end at frame level: senders of distinct colours (VP8
 *    and H.264 mixed) sent as RTP to a composer that encodes VP8 and
 *    H.264; its payloads depacketized and decoded, each tile's mean
 *    colour checked against its sender, in the order of vcomp_tiles
 *    (then reversed); 1+5 with the first large; 3x3; keyframe requests
 *    both ways; a sender in no tile never decoded.
 * Waits are on the composer's eventfd with deadlines, never sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "mixer/rtp.h"
#include "video/vcodec.h"
#include "video/vcomp.h"
#include "video/vpack.h"

#define W 320
#define H 180
#define SW 160          /* the senders' pictures */
#define SH 90
#define NC VIDEO_NCODECS

/* Y, U, V (BT.601): red, green, blue, white, yellow, cyan, magenta,
 * grey, dark teal; BLACK: an empty tile */
static const uint8_t colour[10][3] = {
	{81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {235, 128, 128},
	{210, 16, 146}, {170, 166, 16}, {106, 202, 222}, {126, 128, 128},
	{60, 160, 100}, {16, 128, 128},
};
#define BLACK 9

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool near(const double m[3], const uint8_t c[3], double tol)
{
	return fabs(m[0] - c[0]) <= tol && fabs(m[1] - c[1]) <= tol &&
	       fabs(m[2] - c[2]) <= tol;
}

/* ---- packets kept for the depacketizer ---- */

#define MAXP 256

struct plist {
	uint8_t pl[MAXP][1500];
	size_t len[MAXP];
	bool last[MAXP];
	unsigned n;
};

static int keep_h(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct plist *l = arg;

	assert_true(l->n < MAXP);
	memcpy(l->pl[l->n], pl, len);
	l->len[l->n] = len;
	l->last[l->n] = last;
	l->n++;
	return 0;
}

/* A picture that changes with t, and not by motion alone: a gradient
 * with noise (so every frame is several packets) */
static void pattern(struct vframe *f, unsigned t)
{
	vframe_fill(f, 0, (uint8_t)(100 + t), (uint8_t)(150 - t));
	for (unsigned y = 0; y < f->h; y++)
		for (unsigned x = 0; x < f->w; x++) {
			uint32_t n = (x * 73856093u) ^ (y * 19349663u) ^
				     ((t + 1) * 83492791u);

			n = (n ^ (n >> 13)) * 0x5bd1e995u;
			f->y[y * f->ys + x] =
				(uint8_t)(x + y + ((n >> 24) & 63));
		}
}

/* An Annex B stream with every start code made 3 bytes */
static size_t nal_norm(const uint8_t *f, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i + 3 < n && !f[i] && !f[i + 1] && !f[i + 2] &&
		    f[i + 3] == 1)
			continue;       /* the 4-byte form's first zero */
		out[o++] = f[i];
	}
	return o;
}

static void check_headers(enum video_codec c, const struct plist *l,
			  bool key, uint16_t picid)
{
	for (unsigned i = 0; i < l->n; i++) {
		const uint8_t *p = l->pl[i];

		assert_true(l->len[i] <= 300);
		assert_int_equal(l->last[i], i == l->n - 1);
		if (c == VIDEO_VP8) {
			/* X, S on the first only, PID 0; I; M, 15 bits */
			assert_int_equal(p[0], i ? 0x80 : 0x90);
			assert_int_equal(p[1], 0x80);
			assert_int_equal(((p[2] & 0x7f) << 8 | p[3]), picid);
			assert_true(p[2] & 0x80);
		} else if (c == VIDEO_VP9) {
			assert_true(p[0] & 0x80);                  /* I */
			assert_int_equal(!!(p[0] & 0x40), !key);   /* P */
			assert_int_equal(!!(p[0] & 0x08), i == 0); /* B */
			assert_int_equal(!!(p[0] & 0x04),
					 i == l->n - 1);           /* E */
			assert_int_equal(!!(p[0] & 0x02), key && !i); /* V */
			assert_int_equal(((p[1] & 0x7f) << 8 | p[2]), picid);
		} else {
			uint8_t t = p[0] & 0x1f;

			/* SPS and PPS go together, big slices in FU-A */
			if (key && i == 0)
				assert_int_equal(t, 24);
			assert_true(t == 24 || t == 28 || (t >= 1 && t <= 23));
		}
	}
}

/* An encoder, a depacketizer and a decoder of one codec */
struct chain {
	struct venc *e;
	struct vdepack *dp;
	struct vdec *d;
	struct vframe in, out;
	const uint8_t *data;     /* the last frame encoded */
	size_t len;
	bool key;
};

static void chain_make(struct chain *ch, enum video_codec c, unsigned w,
		       unsigned h, unsigned kbps)
{
	memset(ch, 0, sizeof(*ch));
	assert_int_equal(venc_alloc(&ch->e, c, w, h, 15, kbps), 0);
	assert_int_equal(vdepack_alloc(&ch->dp, c, 1 << 17), 0);
	assert_int_equal(vdec_alloc(&ch->d, c), 0);
	assert_int_equal(vframe_alloc(&ch->in, w, h), 0);
}

static void chain_free(struct chain *ch)
{
	vframe_free(&ch->in);
	vdec_free(ch->d);
	vdepack_free(ch->dp);
	venc_free(ch->e);
}

/*
 * Each codec's frames, packetized at 300 bytes, come back whole; frame 4
 * loses a packet in the middle: -1 and need_key once, nothing until the
 * keyframe asked for (7), which decodes
 */
static void test_vpack_roundtrip_loss(void **state)
{
	static struct plist l;
	static uint8_t n1[1 << 17], n2[1 << 17];

	for (int c = 0; c < NC; c++) {
		struct chain ch;
		uint16_t seq = 65530;        /* wraps */
		unsigned needs = 0, losses = 0, got = 0;

		chain_make(&ch, c, SW, SH, 1000);
		for (unsigned t = 0; t < 10; t++) {
			const uint8_t *f;
			size_t flen;
			bool fkey, need;
			int r = 0;

			pattern(&ch.in, t);
			assert_int_equal(venc_frame(ch.e, &ch.in, t == 7,
						    &ch.data, &ch.len, &ch.key),
					 1);
			l.n = 0;
			assert_int_equal(vpack_frame(c, ch.data, ch.len, ch.key,
						     (uint16_t)(32760 + t), 300,
						     keep_h, &l), 0);
			assert_int_equal(ch.key, t == 0 || t == 7);
			assert_true(l.n >= 3);
			check_headers(c, &l, ch.key, (32760 + t) & 0x7fff);
			for (unsigned i = 0; i < l.n; i++) {
				if (t == 4 && i == l.n / 2) {
					seq++;                 /* lost */
					continue;
				}
				r = vdepack_push(ch.dp, seq++, 1000 + t * 6000,
						 l.last[i], l.pl[i], l.len[i],
						 &f, &flen, &fkey, &need);
				needs += need;
				losses += r < 0;
				assert_true(r <= 0 || i == l.n - 1);
			}
			if (t >= 4 && t < 7) {
				assert_true(r <= 0);
				continue;
			}
			assert_int_equal(r, 1);
			got++;
			assert_int_equal(fkey, ch.key);
			if (c == VIDEO_H264) {    /* start codes may differ */
				size_t k = nal_norm(f, flen, n1);

				assert_int_equal(k, nal_norm(ch.data, ch.len,
							     n2));
				assert_memory_equal(n1, n2, k);
			} else {
				assert_int_equal(flen, ch.len);
				assert_memory_equal(f, ch.data, ch.len);
			}
			assert_int_equal(vdec_frame(ch.d, f, flen, &ch.out), 1);
			assert_true(ch.out.w == SW && ch.out.h == SH);
		}
		assert_int_equal(needs, 1);
		assert_int_equal(losses, 1);
		assert_int_equal(got, 7);
		chain_free(&ch);
	}
}

/* Solid colours through each codec come back within a few levels; one
 * keyframe, then only what the rate asks; the rate changed on the way */
static void test_vcodec_colours(void **state)
{
	for (int c = 0; c < NC; c++) {
		struct chain ch;
		double m[3];

		chain_make(&ch, c, W, H, 300);
		for (int t = 0; t < 12; t++) {
			const uint8_t *k = colour[t / 3];

			vframe_fill(&ch.in, k[0], k[1], k[2]);
			assert_int_equal(venc_frame(ch.e, &ch.in, false,
						    &ch.data, &ch.len, &ch.key),
					 1);
			assert_int_equal(ch.key, t == 0);
			assert_int_equal(vdec_frame(ch.d, ch.data, ch.len,
						    &ch.out), 1);
			vframe_mean(&ch.out, 0, 0, W, H, m);
			assert_true(t % 3 < 2 || near(m, k, 3));
			if (t == 6)
				assert_int_equal(venc_bitrate(ch.e, 200), 0);
		}
		chain_free(&ch);
	}
}

/* ---- the composer ---- */

/* A sender: a solid colour, encoded and sent as RTP */
struct sender {
	uint32_t id;
	enum video_codec c;
	struct venc *e;
	struct vframe pic;
	uint16_t seq, picid;
	uint32_t ts;
	unsigned key_asks;
	int kcol;          /* the colour of the keyframes it is asked for */
	struct vcomp *vc;
	int drop;          /* this frame's packet not sent (-1: none) */
};

static int send_h(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct sender *s = arg;
	uint8_t pkt[1600];
	size_t hl = rtp_write_hdr(pkt, last, 96, s->seq++, s->ts, s->id);

	memcpy(pkt + hl, pl, len);
	if (s->drop-- != 0)
		assert_true(vcomp_input(s->vc, s->id, s->c, pkt, hl + len));
	return 0;
}

/* One frame of s's colour k; drop: the index of a packet not sent */
static void sender_send(struct vcomp *vc, struct sender *s, int k, bool key,
			int drop)
{
	const uint8_t *data;
	size_t len;
	bool is_key;

	vframe_fill(&s->pic, colour[k][0], colour[k][1], colour[k][2]);
	if (drop >= 0)      /* some texture, so the frame is several */
		pattern(&s->pic, s->ts);
	assert_int_equal(venc_frame(s->e, &s->pic, key, &data, &len, &is_key),
			 1);
	s->vc = vc;
	s->drop = drop;
	assert_int_equal(vpack_frame(s->c, data, len, is_key, s->picid++,
				     drop >= 0 ? 100 : 1200, send_h, s), 0);
	s->ts += 6000;
}

/* What each tile should show */
struct expect {
	unsigned n;
	unsigned x[9], y[9], w[9], h[9];
	int k[9];          /* a colour index */
};

/* A composer, its senders, and what a receiver of each codec sees */
struct rig {
	struct vcomp *vc;
	struct sender s[9];
	unsigned ns;
	uint32_t ids[9];
	struct vdepack *dp[NC];
	struct vdec *dec[NC];
	uint16_t seq[NC];
	bool mid[NC], ks[NC];  /* inside a frame; its first's key_start */
	unsigned keys[NC];
	bool ok[NC];       /* its last picture was as expected */
	struct expect ex;
};

/* n senders (VP8 and H.264 in turn), the first `tiled` shown in order */
static struct rig *rig_make(enum video_layout l, unsigned want, unsigned n,
			    unsigned tiled)
{
	struct vcomp_cfg cfg = {l, W, H, 15, 500};
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	assert_int_equal(vcomp_new(&r->vc, &cfg), 0);
	vcomp_want(r->vc, want);
	for (int c = 0; c < NC; c++) {
		assert_int_equal(vdepack_alloc(&r->dp[c], c, 1 << 20), 0);
		assert_int_equal(vdec_alloc(&r->dec[c], c), 0);
	}
	r->ns = n;
	for (unsigned i = 0; i < n; i++) {
		struct sender *s = &r->s[i];

		s->id = r->ids[i] = 100 + i;
		s->c = i % 2 ? VIDEO_H264 : VIDEO_VP8;
		assert_int_equal(venc_alloc(&s->e, s->c, SW, SH, 15, 300), 0);
		assert_int_equal(vframe_alloc(&s->pic, SW, SH), 0);
		s->kcol = (int)i;
	}
	vcomp_tiles(r->vc, r->ids, tiled);
	return r;
}

static void rig_free(struct rig *r)
{
	vcomp_put(r->vc);
	for (int c = 0; c < NC; c++) {
		vdepack_free(r->dp[c]);
		vdec_free(r->dec[c]);
	}
	for (unsigned i = 0; i < r->ns; i++) {
		venc_free(r->s[i].e);
		vframe_free(&r->s[i].pic);
	}
	free(r);
}

static bool picture_ok(const struct vframe *f, const struct expect *ex)
{
	assert_true(f->w == W && f->h == H);
	for (unsigned i = 0; i < ex->n; i++) {
		double m[3];

		vframe_mean(f, ex->x[i] + 6, ex->y[i] + 6, ex->w[i] - 12,
			    ex->h[i] - 12, m);
		if (!near(m, colour[ex->k[i]], 10))
			return false;
	}
	return true;
}

static void rig_pkt(struct rig *r, const struct vcomp_pkt *p)
{
	const uint8_t *f;
	size_t flen;
	bool key, need;
	struct vframe out;
	int c = p->codec;

	assert_true(p->len <= VCOMP_MTU);
	if (!r->mid[c])
		r->ks[c] = p->key_start;
	else
		assert_false(p->key_start);
	r->mid[c] = !p->marker;
	if (vdepack_push(r->dp[c], r->seq[c]++, p->ts, p->marker, p->payload,
			 p->len, &f, &flen, &key, &need) != 1)
		return;
	assert_int_equal(key, r->ks[c]);
	r->keys[c] += key;
	assert_int_equal(vdec_frame(r->dec[c], f, flen, &out), 1);
	r->ok[c] = picture_ok(&out, &r->ex);
}

/* Until a picture of every codec in mask shows r->ex (and keys[] of
 * them were keyframes), answering the composer's keyframe requests;
 * false at the deadline */
static bool run_until(struct rig *r, unsigned mask, const unsigned *keys,
		      unsigned ms)
{
	uint64_t end = ms_now() + ms;
	static struct vcomp_pkt p;

	memset(r->ok, 0, sizeof(r->ok));
	while (ms_now() < end) {
		struct pollfd pfd = {vcomp_fd(r->vc), POLLIN, 0};
		uint64_t cnt;
		uint32_t id;
		bool done = true;

		if (poll(&pfd, 1, 100) > 0)
			assert_int_equal(read(pfd.fd, &cnt, sizeof(cnt)), 8);
		while (vcomp_need_key(r->vc, &id))
			for (unsigned i = 0; i < r->ns; i++)
				if (r->s[i].id == id) {
					r->s[i].key_asks++;
					sender_send(r->vc, &r->s[i],
						    r->s[i].kcol, true, -1);
				}
		while (vcomp_output(r->vc, &p))
			rig_pkt(r, &p);
		for (int c = 0; c < NC; c++)
			if (mask & (1u << c))
				done = done && r->ok[c] &&
				       (!keys || r->keys[c] >= keys[c]);
		if (done)
			return true;
	}
	return false;
}

static void expect_grid(struct expect *ex, unsigned g, const int *k)
{
	ex->n = g * g;
	for (unsigned i = 0; i < ex->n; i++) {
		ex->x[i] = (i % g) * W / g;
		ex->y[i] = (i / g) * H / g;
		ex->w[i] = W / g;
		ex->h[i] = H / g;
		ex->k[i] = k[i];
	}
}

#define VP8 (1u << VIDEO_VP8)
#define VP8_H264 (VP8 | 1u << VIDEO_H264)

/* 2x2 of four senders, VP8 and H.264 out; then the order reversed; then
 * keyframes asked for by receivers */
static void test_vcomp_2x2(void **state)
{
	struct rig *r = rig_make(VIDEO_LAYOUT_2X2, VP8_H264, 4, 4);
	struct vcomp_stats st;
	unsigned keys[NC];

	expect_grid(&r->ex, 2, (const int[]){0, 1, 2, 3});
	assert_true(run_until(r, VP8_H264, NULL, 5000));
	for (int i = 0; i < 4; i++)      /* each asked for when tiled */
		assert_int_equal(r->s[i].key_asks, 1);

	for (int i = 0; i < 4; i++)
		r->ids[i] = r->s[3 - i].id;
	vcomp_tiles(r->vc, r->ids, 4);
	expect_grid(&r->ex, 2, (const int[]){3, 2, 1, 0});
	assert_true(run_until(r, VP8_H264, NULL, 3000));

	/* a receiver's request: a keyframe of that codec soon */
	for (int c = 0; c < NC; c++)
		keys[c] = r->keys[c] + 1;
	vcomp_keyframe(r->vc, VIDEO_VP8);
	vcomp_keyframe(r->vc, VIDEO_H264);
	assert_true(run_until(r, VP8_H264, keys, 1500));

	vcomp_stats(r->vc, &st);
	assert_true(st.frames >= 3);
	assert_true(st.encoded[VIDEO_VP8] >= 3);
	assert_true(st.encoded[VIDEO_H264] >= 3);
	assert_int_equal(st.encoded[VIDEO_VP9], 0);
	assert_int_equal(st.decoded, 4);
	assert_int_equal(st.decode_errors, 0);
	assert_int_equal(st.input_dropped, 0);
	assert_true(st.busy_us > 0);
	rig_free(r);
}

/* 1+5 (VP8 out): the first sender large at the top left; 3x3 (H.264
 * out) of nine, then with one tile left empty (id 0) */
static void test_vcomp_1p5_3x3(void **state)
{
	struct rig *r = rig_make(VIDEO_LAYOUT_1P5, VP8, 6, 0);
	struct expect ex = {6, {0, 2 * W / 3, 2 * W / 3, 0, W / 3, 2 * W / 3},
			    {0, 0, H / 3, 2 * H / 3, 2 * H / 3, 2 * H / 3},
			    {2 * W / 3, W / 3, W / 3, W / 3, W / 3, W / 3},
			    {2 * H / 3, H / 3, H / 3, H / 3, H / 3, H / 3},
			    {5, 0, 1, 2, 3, 4}};

	for (int i = 0; i < 6; i++)
		r->ids[i] = r->s[(i + 5) % 6].id;   /* the last sender first */
	vcomp_tiles(r->vc, r->ids, 6);
	r->ex = ex;
	assert_true(run_until(r, VP8, NULL, 5000));
	rig_free(r);

	r = rig_make(VIDEO_LAYOUT_3X3, 1u << VIDEO_H264, 9, 9);
	expect_grid(&r->ex, 3, (const int[]){0, 1, 2, 3, 4, 5, 6, 7, 8});
	assert_true(run_until(r, 1u << VIDEO_H264, NULL, 5000));
	r->ids[4] = 0;
	vcomp_tiles(r->vc, r->ids, 9);
	expect_grid(&r->ex, 3, (const int[]){0, 1, 2, 3, BLACK, 5, 6, 7, 8});
	assert_true(run_until(r, 1u << VIDEO_H264, NULL, 3000));
	rig_free(r);
}

/* A sender in no tile is not decoded; a sender that loses a packet is
 * asked for a keyframe; references from two holders */
static void test_vcomp_untiled_and_loss(void **state)
{
	struct rig *r = rig_make(VIDEO_LAYOUT_2X2, VP8, 3, 2); /* 3rd: none */
	struct sender *s = r->s;
	struct vcomp_stats st;
	unsigned asks;

	expect_grid(&r->ex, 2, (const int[]){0, 1, BLACK, BLACK});
	assert_true(run_until(r, VP8, NULL, 5000));

	/* the third sender's frames, then a new colour from the first: when
	 * that shows, everything before it was handled */
	for (int i = 0; i < 3; i++)
		sender_send(r->vc, &s[2], 2, i == 0, -1);
	sender_send(r->vc, &s[0], 4, false, -1);
	expect_grid(&r->ex, 2, (const int[]){4, 1, BLACK, BLACK});
	assert_true(run_until(r, VP8, NULL, 3000));
	vcomp_stats(r->vc, &st);
	assert_int_equal(s[2].key_asks, 0);
	assert_int_equal(st.decoded, s[0].key_asks + s[1].key_asks + 1);
	assert_int_equal(st.input_dropped, 0);

	/* a packet of the second sender's next frame lost: it is asked
	 * for a keyframe (answered by run_until) and shows again */
	asks = s[1].key_asks;
	s[1].kcol = 6;
	sender_send(r->vc, &s[1], 1, false, 2);
	sender_send(r->vc, &s[1], 5, false, -1);
	expect_grid(&r->ex, 2, (const int[]){4, 6, BLACK, BLACK});
	assert_true(run_until(r, VP8, NULL, 3000));
	assert_int_equal(s[1].key_asks, asks + 1);
	vcomp_stats(r->vc, &st);
	assert_int_equal(st.decode_errors, 0);

	vcomp_get(r->vc);        /* two holders: the second put ends it */
	vcomp_put(r->vc);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vpack_roundtrip_loss),
		cmocka_unit_test(test_vcodec_colours),
		cmocka_unit_test(test_vcomp_2x2),
		cmocka_unit_test(test_vcomp_1p5_3x3),
		cmocka_unit_test(test_vcomp_untiled_and_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
