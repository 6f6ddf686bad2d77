/*
 * Fuzz target: the video packet parsers and builders (src/video/vpkt.c,
 * vpkt_rtcp.c). The first byte picks the path, the rest is the input:
 *   0: an RTP packet: its header parsed, rewritten and parsed again the
 *      same; then its payload, for each codec, as below;
 *   1, 2, 3: a bare VP8, H.264, VP9 payload: a keyframe start is a frame
 *      start; a picture id read is written (another value) and read back
 *      in its own width, and writing it changes no other answer;
 *   4: a compound RTCP packet walked: rejected means nothing was
 *      reported, walked twice the same items; each item is made again
 *      with its builder and walks back to the same values (rates within
 *      their encodings' precision);
 *   5: the builders fed from the input's bytes, with a capacity from it
 *      too: each packet fits what it says, and walks back to what was
 *      put in.
 * A check that fails traps. Every input is copied to a buffer of its
 * exact size, so a read past the end is caught (ASan in the fuzz build
 * and in CAUCUS_SAN).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "video/vpkt.h"

#define MAXREC 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

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

static bool walk(const uint8_t *buf, size_t len, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	return vpkt_rtcp_walk(buf, len, rec_h, r);
}

static bool fb_equal(const struct vpkt_fb *a, const struct vpkt_fb *b)
{
	return a->kind == b->kind && a->sender_ssrc == b->sender_ssrc &&
		a->media_ssrc == b->media_ssrc && a->pid == b->pid &&
		a->blp == b->blp && a->fir_seq == b->fir_seq &&
		a->bps == b->bps && a->overhead == b->overhead &&
		a->fraction_lost == b->fraction_lost &&
		a->cum_lost == b->cum_lost && a->ext_seq == b->ext_seq &&
		a->jitter == b->jitter && a->lsr == b->lsr &&
		a->dlsr == b->dlsr && a->ntp == b->ntp &&
		a->rtp_ts == b->rtp_ts;
}

/* The payload at pl (len octets, writable) as codec c */
static void payload(enum video_codec c, uint8_t *pl, size_t len)
{
	bool key = vpkt_key_start(c, pl, len);
	bool start = vpkt_frame_start(c, pl, len);
	uint16_t id, back;
	unsigned bits, bits2;

	if (key)
		CHECK(start);
	if (!vpkt_picid_get(c, pl, len, &id, &bits)) {
		CHECK(!vpkt_picid_set(c, pl, len, 0));
		return;
	}
	CHECK(c != VIDEO_H264 && (bits == 7 || bits == 15));
	CHECK(id < (1u << bits));
	CHECK(vpkt_picid_set(c, pl, len, (uint16_t)~id));
	CHECK(vpkt_picid_get(c, pl, len, &back, &bits2));
	CHECK(bits2 == bits && back == ((uint16_t)~id & ((1u << bits) - 1)));
	CHECK(vpkt_key_start(c, pl, len) == key);
	CHECK(vpkt_frame_start(c, pl, len) == start);
}

static void rtp(uint8_t *buf, size_t len)
{
	struct vpkt_rtp h, h2;
	uint8_t pt;
	uint16_t seq;

	if (!vpkt_rtp_parse(buf, len, &h))
		return;
	CHECK(h.hlen >= 12 && h.hlen + h.plen <= len);
	pt = (uint8_t)(h.pt ^ 0x20);
	seq = (uint16_t)(h.seq + 1);
	vpkt_rtp_rewrite(buf, pt, seq, ~h.ts, ~h.ssrc);
	if (vpkt_rtp_parse(buf, len, &h2)) {
		CHECK(h2.hlen == h.hlen && h2.plen == h.plen);
		CHECK(h2.marker == h.marker && h2.pt == pt);
		CHECK(h2.seq == seq && h2.ts == ~h.ts && h2.ssrc == ~h.ssrc);
	}
	else {
		/* only a payload type an RTCP packet would have */
		CHECK(pt >= 72 && pt <= 76);
	}
	for (int c = 0; c < VIDEO_NCODECS; c++)
		payload((enum video_codec)c, buf + h.hlen, h.plen);
}

/* A rate through an encoding of mbits of mantissa */
static void rate_check(uint64_t sent, uint64_t got, unsigned mbits)
{
	CHECK(got <= sent && sent - got <= sent >> (mbits - 1));
}

/* fb made again by its builder, walked back */
static void remake(const struct vpkt_fb *fb)
{
	struct vpkt_rr_block rb = {
		.ssrc = fb->media_ssrc, .fraction_lost = fb->fraction_lost,
		.cum_lost = fb->cum_lost, .ext_seq = fb->ext_seq,
		.jitter = fb->jitter, .lsr = fb->lsr, .dlsr = fb->dlsr,
	};
	uint8_t buf[64];
	struct rec r;
	size_t n = 0;

	switch (fb->kind) {
	case VPKT_SR:
		n = vpkt_sr(buf, sizeof(buf), fb->sender_ssrc, fb->ntp,
			    fb->rtp_ts, 1, 2, NULL);
		break;
	case VPKT_RR:
		n = vpkt_rr(buf, sizeof(buf), fb->sender_ssrc, &rb);
		break;
	case VPKT_PLI:
		n = vpkt_pli(buf, sizeof(buf), fb->sender_ssrc,
			     fb->media_ssrc);
		break;
	case VPKT_FIR:
		n = vpkt_fir(buf, sizeof(buf), fb->sender_ssrc,
			     fb->media_ssrc, fb->fir_seq);
		break;
	case VPKT_NACK:
		n = vpkt_nack(buf, sizeof(buf), fb->sender_ssrc,
			      fb->media_ssrc, fb->pid, fb->blp);
		break;
	case VPKT_TMMBR:
	case VPKT_TMMBN:
		n = (fb->kind == VPKT_TMMBR ? vpkt_tmmbr : vpkt_tmmbn)
			(buf, sizeof(buf), fb->sender_ssrc, fb->media_ssrc,
			 fb->bps, fb->overhead);
		break;
	case VPKT_REMB:
		n = vpkt_remb(buf, sizeof(buf), fb->sender_ssrc, fb->bps,
			      &fb->media_ssrc, 1);
		break;
	}
	CHECK(n > 0 && n % 4 == 0);
	CHECK(walk(buf, n, &r) && r.n == 1);
	CHECK(r.fb[0].kind == fb->kind &&
	      r.fb[0].sender_ssrc == fb->sender_ssrc &&
	      r.fb[0].media_ssrc == fb->media_ssrc);
	if (fb->kind == VPKT_TMMBR || fb->kind == VPKT_TMMBN) {
		rate_check(fb->bps, r.fb[0].bps, 17);
		CHECK(r.fb[0].overhead == fb->overhead);
	}
	else if (fb->kind == VPKT_REMB) {
		rate_check(fb->bps, r.fb[0].bps, 18);
	}
	else {
		CHECK(fb_equal(&r.fb[0], fb));
	}
}

static void rtcp(const uint8_t *buf, size_t len)
{
	struct rec r, again;
	bool ok = walk(buf, len, &r);

	CHECK(ok == vpkt_rtcp_walk(buf, len, NULL, NULL));
	if (!ok) {
		CHECK(r.n == 0);
		return;
	}
	CHECK(walk(buf, len, &again) && again.n == r.n);
	for (unsigned i = 0; i < r.n && i < MAXREC; i++) {
		CHECK(fb_equal(&r.fb[i], &again.fb[i]));
		if (r.fb[i].kind == VPKT_RR)
			CHECK(r.fb[i].cum_lost <= 0xffffff);
		if (r.fb[i].kind == VPKT_TMMBR || r.fb[i].kind == VPKT_TMMBN)
			CHECK(r.fb[i].overhead <= 0x1ff);
		remake(&r.fb[i]);
	}
}

/* Reads the input as the builders' arguments */
struct src {
	const uint8_t *p;
	size_t len;
};

static uint64_t take(struct src *s, unsigned octets)
{
	uint64_t v = 0;

	while (octets--) {
		v = v << 8 | (s->len ? *s->p : 0);
		if (s->len) {
			s->p++;
			s->len--;
		}
	}
	return v;
}

/* The packet that a builder made into cap (n octets) walks as want */
static void built(const uint8_t *buf, size_t n, size_t cap, size_t need,
		  const struct vpkt_fb *want)
{
	struct rec r;

	CHECK(n == (cap >= need ? need : 0));
	if (!n)
		return;
	CHECK(walk(buf, n, &r));
	if (!want) {
		CHECK(r.n == 0);
		return;
	}
	CHECK(r.n >= 1 && r.fb[0].kind == want->kind &&
	      r.fb[0].sender_ssrc == want->sender_ssrc &&
	      r.fb[0].media_ssrc == want->media_ssrc);
}

static void builders(const uint8_t *data, size_t size)
{
	struct src s = {data, size};
	uint32_t ssrc = (uint32_t)take(&s, 4), media = (uint32_t)take(&s, 4);
	uint64_t bps = take(&s, 8);
	size_t cap = (size_t)take(&s, 1), nm = (size_t)take(&s, 1) % 8;
	uint16_t pid = (uint16_t)take(&s, 2), blp = (uint16_t)take(&s, 2);
	uint32_t list[8];
	char cname[256];
	uint8_t *buf = malloc(cap ? cap : 1);
	struct vpkt_fb w = {.sender_ssrc = ssrc, .media_ssrc = media};
	struct rec r;
	size_t n, cn = (size_t)take(&s, 1);

	for (size_t i = 0; i < nm; i++)
		list[i] = (uint32_t)take(&s, 4);
	for (size_t i = 0; i < cn; i++)
		cname[i] = (char)(take(&s, 1) | 1);     /* no NUL inside */
	cname[cn] = 0;
	if (!buf)
		return;
	w.kind = VPKT_PLI;
	built(buf, vpkt_pli(buf, cap, ssrc, media), cap, 12, &w);
	w.kind = VPKT_NACK;
	n = vpkt_nack(buf, cap, ssrc, media, pid, blp);
	built(buf, n, cap, 16, &w);
	if (n && (!walk(buf, n, &r) || r.fb[0].pid != pid ||
		  r.fb[0].blp != blp))
		__builtin_trap();
	w.kind = VPKT_FIR;
	built(buf, vpkt_fir(buf, cap, ssrc, media, (uint8_t)pid), cap, 20,
	      &w);
	w.kind = VPKT_TMMBR;
	n = vpkt_tmmbr(buf, cap, ssrc, media, bps, blp);
	built(buf, n, cap, 20, &w);
	if (n && walk(buf, n, &r))
		rate_check(bps, r.fb[0].bps, 17);
	w.kind = VPKT_TMMBN;
	built(buf, vpkt_tmmbn(buf, cap, ssrc, media, bps, blp), cap, 20, &w);
	w.kind = VPKT_REMB;
	w.media_ssrc = nm ? list[0] : 0;
	n = vpkt_remb(buf, cap, ssrc, bps, list, (unsigned)nm);
	built(buf, n, cap, 20 + 4 * nm, &w);
	if (n && walk(buf, n, &r))
		rate_check(bps, r.fb[0].bps, 18);
	built(buf, vpkt_sdes(buf, cap, ssrc, cname), cap,
	      (10 + cn + 4) & ~(size_t)3, NULL);
	w.kind = VPKT_SR;
	w.media_ssrc = 0;
	built(buf, vpkt_sr(buf, cap, ssrc, bps, media, 1, 2, NULL), cap, 28,
	      &w);
	built(buf, vpkt_rr(buf, cap, ssrc, NULL), cap, 8, NULL);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	switch (data[0] % 6) {
	case 0:
		rtp(copy, len);
		break;
	case 1:
	case 2:
	case 3:
		payload((enum video_codec)(data[0] % 6 - 1), copy, len);
		break;
	case 4:
		rtcp(copy, len);
		break;
	default:
		builders(copy, len);
		break;
	}
	free(copy);
	return 0;
}
