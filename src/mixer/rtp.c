/* RTP/RTCP wire helpers, see rtp.h. Mixer thread; no state of its own. */
#include <string.h>
#include "mixer/rtp.h"
#include "util/be.h"

bool rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
	size_t off = RTP_HDR_LEN;
	unsigned cc;

	if (len < RTP_HDR_LEN || (buf[0] >> 6) != 2)
		return false;
	cc = buf[0] & 0x0f;
	off += 4u * cc;
	if (buf[0] & 0x10) {                 /* header extension */
		if (len < off + 4)
			return false;
		off += 4 + 4u * be16_get(buf + off + 2);
	}
	if (len < off)
		return false;
	if (buf[0] & 0x20) {                 /* padding */
		uint8_t pad = buf[len - 1];

		if (!pad || pad > len - off)
			return false;
		len -= pad;
	}
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	/* 72..76 are RTCP packet types seen on a muxed port (RFC 5761) */
	if (h->pt >= 72 && h->pt <= 76)
		return false;
	h->seq = be16_get(buf + 2);
	h->ts = be32_get(buf + 4);
	h->ssrc = be32_get(buf + 8);
	h->payload = buf + off;
	h->plen = len - off;
	return true;
}

bool rtp_audio_level(const uint8_t *buf, size_t len, uint8_t id,
		     uint8_t *level, bool *voice)
{
	size_t off, end;
	uint16_t profile;
	bool two;

	if (!id || len < RTP_HDR_LEN || !(buf[0] & 0x10))
		return false;
	off = RTP_HDR_LEN + 4u * (buf[0] & 0x0f);
	if (len < off + 4)
		return false;
	profile = be16_get(buf + off);
	end = off + 4 + 4u * be16_get(buf + off + 2);
	if (end > len)
		return false;
	two = (profile & 0xfff0) == 0x1000;
	if (profile != 0xBEDE && !two)
		return false;
	off += 4;
	while (off < end) {
		uint8_t eid, elen;

		if (!buf[off]) {                    /* padding */
			off++;
			continue;
		}
		if (two) {
			if (off + 2 > end)
				return false;
			eid = buf[off];
			elen = buf[off + 1];
			off += 2;
		}
		else {
			eid = buf[off] >> 4;
			elen = (uint8_t)((buf[off] & 0x0f) + 1);
			off++;
			if (eid == 15)                /* reserved: stop */
				return false;
		}
		if (off + elen > end)
			return false;
		if (eid == id && elen >= 1) {
			*level = buf[off] & 0x7f;
			*voice = buf[off] & 0x80;
			return true;
		}
		off += elen;
	}
	return false;
}

size_t rtp_write_hdr(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq,
		     uint32_t ts, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	be16_put(buf + 2, seq);
	be32_put(buf + 4, ts);
	be32_put(buf + 8, ssrc);
	return RTP_HDR_LEN;
}

size_t rtp_write_hdr_csrc(uint8_t *buf, bool marker, uint8_t pt,
			  uint16_t seq, uint32_t ts, uint32_t ssrc,
			  const uint32_t *csrc, const uint8_t *levels,
			  unsigned n, uint8_t ext_id)
{
	size_t off = rtp_write_hdr(buf, marker, pt, seq, ts, ssrc);
	size_t words;

	if (n > RTP_MAX_CSRC)
		n = RTP_MAX_CSRC;
	buf[0] |= (uint8_t)n;
	for (unsigned i = 0; i < n; i++, off += 4)
		be32_put(buf + off, csrc[i]);
	if (!n || !ext_id || ext_id > 14)
		return off;
	/* RFC 8285 one-byte form: one element, length n, then padding */
	buf[0] |= 0x10;
	words = (1 + n + 3) / 4;
	be16_put(buf + off, 0xBEDE);
	be16_put(buf + off + 2, (uint16_t)words);
	off += 4;
	memset(buf + off, 0, words * 4);
	buf[off] = (uint8_t)(ext_id << 4 | (n - 1));
	for (unsigned i = 0; i < n; i++)
		buf[off + 1 + i] = levels[i] & 0x7f;
	return off + words * 4;
}

size_t rtp_write_hdr_level(uint8_t *buf, bool marker, uint8_t pt,
			   uint16_t seq, uint32_t ts, uint32_t ssrc,
			   uint8_t ext_id, uint8_t level, bool voice)
{
	size_t off = rtp_write_hdr(buf, marker, pt, seq, ts, ssrc);

	if (!ext_id || ext_id > 14)
		return off;
	/* RFC 8285 one-byte form: one element of one byte, padded */
	buf[0] |= 0x10;
	be16_put(buf + off, 0xBEDE);
	be16_put(buf + off + 2, 1);
	buf[off + 4] = (uint8_t)(ext_id << 4);
	buf[off + 5] = (uint8_t)((voice ? 0x80 : 0) | (level & 0x7f));
	buf[off + 6] = buf[off + 7] = 0;
	return off + 8;
}

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

static void rxstat_reset(struct rtp_rxstat *st, const struct rtp_hdr *h)
{
	uint32_t lsr = st->lsr;
	uint64_t lsr_at = st->lsr_arrival_us;

	memset(st, 0, sizeof(*st));
	st->init = true;
	st->ssrc = h->ssrc;
	st->max_seq = h->seq;
	st->base_seq = h->seq;
	st->lsr = lsr;
	st->lsr_arrival_us = lsr_at;
}

/* The sequence side of a packet (RFC 3550 A.1); false for a first
 * packet (the timing starts from it) */
static bool rxstat_seq(struct rtp_rxstat *st, const struct rtp_hdr *h,
		       uint32_t arrival_ts)
{
	uint16_t udelta;

	if (!st->init || st->ssrc != h->ssrc) {
		rxstat_reset(st, h);
		st->transit = arrival_ts - h->ts;
		st->received = 1;
		return false;
	}
	udelta = (uint16_t)(h->seq - st->max_seq);
	if (udelta < MAX_DROPOUT) {
		if (h->seq < st->max_seq)
			st->cycles += RTP_SEQ_MOD;
		st->max_seq = h->seq;
	}
	else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: the sender restarted its sequence */
		rxstat_reset(st, h);
	}
	st->received++;
	return true;
}

void rtp_rxstat_update(struct rtp_rxstat *st, const struct rtp_hdr *h,
		       uint32_t arrival_ts)
{
	uint32_t transit;
	int32_t d;

	if (!rxstat_seq(st, h, arrival_ts))
		return;
	transit = arrival_ts - h->ts;
	d = (int32_t)(transit - st->transit);
	st->transit = transit;
	if (d < 0)
		d = -d;
	/* J += (|D| - J) / 16, kept scaled by 16 (RFC 3550 A.8) */
	st->jitter_q4 += (uint32_t)d - ((st->jitter_q4 + 8) >> 4);
}

void rtp_rxstat_count(struct rtp_rxstat *st, const struct rtp_hdr *h,
		      uint32_t arrival_ts)
{
	(void)rxstat_seq(st, h, arrival_ts);
}

uint32_t rtp_rxstat_expected(const struct rtp_rxstat *st)
{
	if (!st->init)
		return 0;
	return st->cycles + st->max_seq - st->base_seq + 1;
}

int32_t rtp_rxstat_lost(const struct rtp_rxstat *st)
{
	return (int32_t)(rtp_rxstat_expected(st) - st->received);
}

uint32_t rtp_rxstat_jitter(const struct rtp_rxstat *st)
{
	return st->jitter_q4 >> 4;
}

/* NTP time of a wall clock in microseconds since 1970 */
static void ntp_time(uint64_t us, uint32_t *sec, uint32_t *frac)
{
	*sec = (uint32_t)(us / 1000000 + 2208988800u);
	*frac = (uint32_t)(((us % 1000000) << 32) / 1000000);
}

size_t rtcp_write_sr(uint8_t *buf, size_t size, const struct rtcp_sender *s,
		     struct rtp_rxstat *rx, const char *cname)
{
	size_t clen = strlen(cname), sdes_len, len;
	unsigned rc = rx && rx->init ? 1 : 0;
	uint32_t sec, frac;

	if (clen > 255)
		clen = 255;
	size_t head = s->sent ? 28 : 8;    /* sender info only in an SR */

	sdes_len = (4 + 4 + 2 + clen + 1 + 3) & ~(size_t)3;
	len = head + rc * 24;
	if (size < len + sdes_len)
		return 0;

	buf[0] = (uint8_t)(0x80 | rc);
	buf[1] = s->sent ? 200 : 201;                   /* SR or RR */
	be16_put(buf + 2, (uint16_t)(len / 4 - 1));
	be32_put(buf + 4, s->ssrc);
	if (s->sent) {
		ntp_time(s->now_us, &sec, &frac);
		be32_put(buf + 8, sec);
		be32_put(buf + 12, frac);
		be32_put(buf + 16, s->rtp_ts);
		be32_put(buf + 20, s->packets);
		be32_put(buf + 24, s->octets);
	}
	if (rc) {
		uint8_t *b = buf + head;
		uint32_t expected = rtp_rxstat_expected(rx);
		uint32_t exp_int = expected - rx->expected_prior;
		uint32_t rec_int = rx->received - rx->received_prior;
		int32_t lost_int = (int32_t)(exp_int - rec_int);
		int32_t lost = rtp_rxstat_lost(rx);
		uint8_t fraction = 0;
		uint32_t dlsr = 0;

		rx->expected_prior = expected;
		rx->received_prior = rx->received;
		if (exp_int && lost_int > 0)
			fraction = (uint8_t)(((uint32_t)lost_int << 8) /
					     exp_int);
		if (lost > 0x7fffff)
			lost = 0x7fffff;
		if (lost < -0x800000)
			lost = -0x800000;
		if (rx->lsr_arrival_us)
			dlsr = (uint32_t)((s->now_us - rx->lsr_arrival_us) *
					  65536 / 1000000);
		be32_put(b, rx->ssrc);
		be32_put(b + 4, (uint32_t)fraction << 24 |
		      ((uint32_t)lost & 0xffffff));
		be32_put(b + 8, rx->cycles + rx->max_seq);
		be32_put(b + 12, rtp_rxstat_jitter(rx) *
		      (s->clock_ratio ? s->clock_ratio : 1));
		be32_put(b + 16, rx->lsr);
		be32_put(b + 20, rx->lsr ? dlsr : 0);
	}

	uint8_t *d = buf + len;
	memset(d, 0, sdes_len);
	d[0] = 0x81;
	d[1] = 202;                                     /* SDES */
	be16_put(d + 2, (uint16_t)(sdes_len / 4 - 1));
	be32_put(d + 4, s->ssrc);
	d[8] = 1;                                       /* CNAME */
	d[9] = (uint8_t)clen;
	memcpy(d + 10, cname, clen);
	return len + sdes_len;
}

size_t rtcp_write_xr_voip(uint8_t *buf, size_t size, uint32_t ssrc,
			  const struct rtcp_voip *v)
{
	uint8_t *b = buf + 8;

	if (size < RTCP_XR_VOIP_LEN)
		return 0;
	memset(buf, 0, RTCP_XR_VOIP_LEN);
	buf[0] = 0x80;
	buf[1] = 207;                                   /* XR */
	be16_put(buf + 2, RTCP_XR_VOIP_LEN / 4 - 1);
	be32_put(buf + 4, ssrc);
	b[0] = 7;                                       /* VoIP Metrics */
	be16_put(b + 2, 8);
	be32_put(b + 4, v->source);
	b[8] = v->loss_rate;
	b[9] = v->discard_rate;
	/* burst/gap density and duration, round trip: not measured (0) */
	be16_put(b + 22, v->end_delay_ms);
	b[24] = 127;                     /* signal level: unavailable */
	b[25] = 127;                     /* noise level */
	b[26] = 127;                     /* RERL */
	b[27] = 16;                      /* Gmin, as RFC 3611 recommends */
	b[28] = b[29] = b[30] = b[31] = 127;   /* R, ext. R, MOS-LQ, -CQ */
	b[32] = v->rx_config;
	be16_put(b + 34, v->jb_nominal_ms);
	be16_put(b + 36, v->jb_max_ms);
	be16_put(b + 38, v->jb_abs_max_ms);
	return RTCP_XR_VOIP_LEN;
}

void rtcp_parse(struct rtp_rxstat *rx, const uint8_t *buf, size_t len,
		uint64_t now_us)
{
	while (len >= 8 && (buf[0] >> 6) == 2) {
		size_t plen = 4 + 4u * be16_get(buf + 2);

		if (plen > len)
			return;
		if (buf[1] == 200 && plen >= 28) {
			/* middle 32 bits of the 64-bit NTP timestamp */
			rx->lsr = be32_get(buf + 8) << 16 | be32_get(buf + 12) >> 16;
			rx->lsr_arrival_us = now_us;
		}
		buf += plen;
		len -= plen;
	}
}
