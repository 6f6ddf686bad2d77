/*
 * RTCP for the video forwarder (vpkt.h): a compound packet walked for
 * what a forwarder acts on, and the packets it sends. Pure functions:
 * any thread (the forwarding threads, per packet: no allocation, no
 * logging); the walker takes hostile input (tests/fuzz/fuzz_vpkt.c).
 *
 * The walk is done twice over the same code: first without a handler,
 * only checking, then reporting. A compound packet that is wrong anywhere
 * is dropped whole and nothing of it is reported, so a handler never acts
 * on half of a packet that a broken or hostile sender made. What is
 * checked:
 *   - every packet: version 2, its length within what is left, the
 *     packets' lengths adding up to the whole; padding (P) only on the
 *     last one (RFC 3550 s. 6.4.1), its count at least 1 and within the
 *     packet; a packet type in 192..223 (RFC 5761 s. 4: the RTCP range);
 *   - SR (200), RR (201): room for the sender info and the RC report
 *     blocks (profile extensions behind them are allowed, RFC 3550 s.
 *     6.4.1);
 *   - SDES (202): SC chunks, each an SSRC and items ended by a null octet
 *     and padded to 32 bits, filling the packet;
 *   - BYE (203): SC SSRCs, then maybe a reason that fits;
 *   - APP (204): SSRC and name;
 *   - RTPFB (205) and PSFB (206), RFC 4585 s. 6.1: sender and media
 *     SSRC, then the FCI: generic NACK (fmt 1) one or more 4-octet
 *     entries; TMMBR (fmt 3) one or more 8-octet entries, TMMBN (fmt 4)
 *     none or more (RFC 5104 s. 4.2); PLI (fmt 1) none (RFC 4585 s.
 *     6.3.1); FIR (fmt 4) one or more 8-octet entries (RFC 5104 s. 4.3.1);
 *     application layer feedback (fmt 15) that starts "REMB" its SSRC
 *     count, rate and exactly that many SSRCs (draft-alvestrand-rmcat-
 *     remb s. 2.2); other formats, other application feedback and other
 *     packet types (XR, ...) are passed over.
 *
 * Rates: TMMBR/TMMBN carry mantissa << exponent with a 17-bit mantissa
 * and a 6-bit exponent, then a 9-bit measured overhead (RFC 5104 s.
 * 4.2.1.1); REMB an 18-bit mantissa and a 6-bit exponent. The builders
 * round down (a bound sent is never above the one asked for: the
 * error is below 1/65536 of the rate); a rate that would not fit 64 bits
 * when read is reported as UINT64_MAX.
 *
 * What is reported: an SR, then each of its report blocks (VPKT_RR,
 * sender_ssrc the reporter, media_ssrc the source reported on); each
 * block of an RR; a PLI; each entry of a NACK, FIR, TMMBR or TMMBN (an
 * empty TMMBN, an empty bounding set, reports nothing); a REMB once,
 * media_ssrc its first SSRC (0 when it lists none). cum_lost is the
 * report block's 24-bit field as sent (it is signed: 0xffffff is -1,
 * more packets than expected).
 */
#include <string.h>
#include "video/vpkt.h"
#include "util/be.h"

enum {
	RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203,
	RTCP_APP = 204, RTCP_RTPFB = 205, RTCP_PSFB = 206,
};

enum { RR_BLOCK = 24, SR_LEN = 28, RR_LEN = 8, FB_LEN = 12 };

/* h NULL: only checking */
struct walk {
	vpkt_fb_h *h;
	void *arg;
};

static void emit(const struct walk *w, const struct vpkt_fb *fb)
{
	if (w->h)
		w->h(fb, w->arg);
}

/* mantissa << exp, UINT64_MAX when that does not fit */
static uint64_t rate(uint32_t mant, unsigned exp)
{
	if (mant && exp && mant > (UINT64_MAX >> exp))
		return UINT64_MAX;
	return (uint64_t)mant << exp;
}

/* The smallest exponent that leaves a mantissa of mbits */
static unsigned rate_exp(uint64_t bps, unsigned mbits)
{
	unsigned exp = 0;

	while ((bps >> exp) >= (UINT64_C(1) << mbits))
		exp++;
	return exp;
}

/* One packet: p its first octet, len without its padding, n its count
 * (RC, SC or FMT) */
typedef bool (pkt_h)(const struct walk *w, const uint8_t *p, size_t len,
		     unsigned n);

static void blocks(const struct walk *w, uint32_t sender, const uint8_t *b,
		   unsigned n)
{
	for (unsigned i = 0; i < n; i++, b += RR_BLOCK) {
		struct vpkt_fb fb = {.kind = VPKT_RR, .sender_ssrc = sender};

		fb.media_ssrc = be32_get(b);
		fb.fraction_lost = b[4];
		fb.cum_lost = be32_get(b + 4) & 0xffffff;
		fb.ext_seq = be32_get(b + 8);
		fb.jitter = be32_get(b + 12);
		fb.lsr = be32_get(b + 16);
		fb.dlsr = be32_get(b + 20);
		emit(w, &fb);
	}
}

static bool sr(const struct walk *w, const uint8_t *p, size_t len,
	       unsigned n)
{
	struct vpkt_fb fb = {.kind = VPKT_SR};

	if (len < SR_LEN + (size_t)RR_BLOCK * n)
		return false;
	fb.sender_ssrc = be32_get(p + 4);
	fb.ntp = (uint64_t)be32_get(p + 8) << 32 | be32_get(p + 12);
	fb.rtp_ts = be32_get(p + 16);
	emit(w, &fb);
	blocks(w, fb.sender_ssrc, p + SR_LEN, n);
	return true;
}

static bool rr(const struct walk *w, const uint8_t *p, size_t len,
	       unsigned n)
{
	if (len < RR_LEN + (size_t)RR_BLOCK * n)
		return false;
	blocks(w, be32_get(p + 4), p + RR_LEN, n);
	return true;
}

/* n chunks: SSRC, items (type, length, text) up to a null type, null
 * octets to the next 32-bit boundary */
static bool sdes(const struct walk *w, const uint8_t *p, size_t len,
		 unsigned n)
{
	size_t off = 4;

	(void)w;
	for (unsigned i = 0; i < n; i++) {
		off += 4;
		for (;;) {
			if (off >= len)
				return false;
			if (!p[off])
				break;
			if (len - off < 2)
				return false;
			off += 2u + p[off + 1];
		}
		off = (off + 4) & ~(size_t)3;
		if (off > len)
			return false;
	}
	return off == len;
}

static bool bye(const struct walk *w, const uint8_t *p, size_t len,
		unsigned n)
{
	size_t off = 4 + 4 * (size_t)n;

	(void)w;
	if (off > len)
		return false;
	return off == len || (size_t)1 + p[off] <= len - off;
}

static bool app(const struct walk *w, const uint8_t *p, size_t len,
		unsigned n)
{
	(void)w; (void)p; (void)n;
	return len >= 12;
}

/* A TMMBR/TMMBN entry: SSRC, then exp (6) mantissa (17) overhead (9) */
static void tmmb_entry(const uint8_t *e, struct vpkt_fb *fb)
{
	uint32_t v = be32_get(e + 4);

	fb->media_ssrc = be32_get(e);
	fb->bps = rate((v >> 9) & 0x1ffff, v >> 26);
	fb->overhead = v & 0x1ff;
}

static bool rtpfb(const struct walk *w, const uint8_t *p, size_t len,
		  unsigned fmt)
{
	struct vpkt_fb fb = {.sender_ssrc = be32_get(p + 4)};
	const uint8_t *fci = p + FB_LEN;
	size_t n = len - FB_LEN;

	fb.media_ssrc = be32_get(p + 8);
	switch (fmt) {
	case 1:
		if (!n || n % 4)
			return false;
		fb.kind = VPKT_NACK;
		for (; n; n -= 4, fci += 4) {
			fb.pid = be16_get(fci);
			fb.blp = be16_get(fci + 2);
			emit(w, &fb);
		}
		return true;
	case 3:
	case 4:
		if (n % 8 || (fmt == 3 && !n))
			return false;
		fb.kind = fmt == 3 ? VPKT_TMMBR : VPKT_TMMBN;
		for (; n; n -= 8, fci += 8) {
			tmmb_entry(fci, &fb);
			emit(w, &fb);
		}
		return true;
	default:
		return true;
	}
}

/* REMB: "REMB", the SSRC count, exp (6) mantissa (18), the SSRCs */
static bool remb(const struct walk *w, struct vpkt_fb *fb,
		 const uint8_t *fci, size_t n)
{
	unsigned nssrc;

	if (n < 8)
		return false;
	nssrc = fci[4];
	if (n != 8 + 4 * (size_t)nssrc)
		return false;
	fb->kind = VPKT_REMB;
	fb->bps = rate((uint32_t)(fci[5] & 3) << 16 | be16_get(fci + 6),
		       fci[5] >> 2);
	fb->media_ssrc = nssrc ? be32_get(fci + 8) : 0;
	emit(w, fb);
	return true;
}

static bool psfb(const struct walk *w, const uint8_t *p, size_t len,
		 unsigned fmt)
{
	struct vpkt_fb fb = {.sender_ssrc = be32_get(p + 4)};
	const uint8_t *fci = p + FB_LEN;
	size_t n = len - FB_LEN;

	fb.media_ssrc = be32_get(p + 8);
	switch (fmt) {
	case 1:
		if (n)
			return false;
		fb.kind = VPKT_PLI;
		emit(w, &fb);
		return true;
	case 4:
		if (!n || n % 8)
			return false;
		fb.kind = VPKT_FIR;
		for (; n; n -= 8, fci += 8) {
			fb.media_ssrc = be32_get(fci);
			fb.fir_seq = fci[4];
			emit(w, &fb);
		}
		return true;
	case 15:
		if (n >= 4 && !memcmp(fci, "REMB", 4))
			return remb(w, &fb, fci, n);
		return true;
	default:
		return true;
	}
}

static bool fb(const struct walk *w, const uint8_t *p, size_t len,
	       unsigned fmt)
{
	if (len < FB_LEN)
		return false;
	return p[1] == RTCP_RTPFB ? rtpfb(w, p, len, fmt) :
		psfb(w, p, len, fmt);
}

static const struct {
	uint8_t pt;
	pkt_h *h;
} pkts[] = {
	{RTCP_SR, sr}, {RTCP_RR, rr}, {RTCP_SDES, sdes}, {RTCP_BYE, bye},
	{RTCP_APP, app}, {RTCP_RTPFB, fb}, {RTCP_PSFB, fb},
};

static bool packet(const struct walk *w, const uint8_t *p, size_t len)
{
	if (p[1] < 192 || p[1] > 223)
		return false;
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		if (pkts[i].pt == p[1])
			return pkts[i].h(w, p, len, p[0] & 0x1f);
	}
	return true;                         /* XR and others: passed over */
}

static bool walk(const struct walk *w, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (!buf || !len)
		return false;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen, body;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return false;
		plen = 4 + 4 * (size_t)be16_get(p + 2);
		if (plen > len - off)
			return false;
		body = plen;
		if (p[0] & 0x20) {
			if (off + plen != len || !p[plen - 1] ||
			    p[plen - 1] > plen - 4)
				return false;
			body -= p[plen - 1];
		}
		if (!packet(w, p, body))
			return false;
		off += plen;
	}
	return true;
}

bool vpkt_rtcp_walk(const uint8_t *buf, size_t len, vpkt_fb_h *h, void *arg)
{
	struct walk check = {0}, report = {h, arg};

	if (!walk(&check, buf, len))
		return false;
	if (h)
		(void)walk(&report, buf, len);
	return true;
}

/* The common header of a packet of len octets (a multiple of 4) */
static void hdr(uint8_t *buf, unsigned n, uint8_t pt, size_t len)
{
	buf[0] = (uint8_t)(0x80 | (n & 0x1f));
	buf[1] = pt;
	be16_put(buf + 2, (uint16_t)(len / 4 - 1));
}

static void block_put(uint8_t *b, const struct vpkt_rr_block *rb)
{
	be32_put(b, rb->ssrc);
	be32_put(b + 4, (uint32_t)rb->fraction_lost << 24 |
	      (rb->cum_lost & 0xffffff));
	be32_put(b + 8, rb->ext_seq);
	be32_put(b + 12, rb->jitter);
	be32_put(b + 16, rb->lsr);
	be32_put(b + 20, rb->dlsr);
}

size_t vpkt_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp,
	       uint32_t rtp_ts, uint32_t packets, uint32_t octets,
	       const struct vpkt_rr_block *rb)
{
	size_t len = SR_LEN + (rb ? RR_BLOCK : 0);

	if (!buf || cap < len)
		return 0;
	hdr(buf, rb ? 1 : 0, RTCP_SR, len);
	be32_put(buf + 4, ssrc);
	be32_put(buf + 8, (uint32_t)(ntp >> 32));
	be32_put(buf + 12, (uint32_t)ntp);
	be32_put(buf + 16, rtp_ts);
	be32_put(buf + 20, packets);
	be32_put(buf + 24, octets);
	if (rb)
		block_put(buf + SR_LEN, rb);
	return len;
}

size_t vpkt_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
	       const struct vpkt_rr_block *rb)
{
	size_t len = RR_LEN + (rb ? RR_BLOCK : 0);

	if (!buf || cap < len)
		return 0;
	hdr(buf, rb ? 1 : 0, RTCP_RR, len);
	be32_put(buf + 4, ssrc);
	if (rb)
		block_put(buf + RR_LEN, rb);
	return len;
}

/* One chunk: the SSRC, CNAME (item 1), then one to four null octets to
 * the next 32-bit boundary (the first of them ends the item list) */
size_t vpkt_sdes(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
	size_t n = cname ? strlen(cname) : 0;
	size_t len = (4 + 4 + 2 + n + 4) & ~(size_t)3;

	if (!buf || !cname || n > 255 || cap < len)
		return 0;
	memset(buf, 0, len);
	hdr(buf, 1, RTCP_SDES, len);
	be32_put(buf + 4, ssrc);
	buf[8] = 1;
	buf[9] = (uint8_t)n;
	memcpy(buf + 10, cname, n);
	return len;
}

/* A feedback packet's header and SSRCs; 0 when fci octets more do not
 * fit */
static size_t fb_put(uint8_t *buf, size_t cap, uint8_t pt, unsigned fmt,
		     uint32_t ssrc, uint32_t media, size_t fci)
{
	size_t len = FB_LEN + fci;

	if (!buf || cap < len)
		return 0;
	hdr(buf, fmt, pt, len);
	be32_put(buf + 4, ssrc);
	be32_put(buf + 8, media);
	return len;
}

size_t vpkt_pli(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media)
{
	return fb_put(buf, cap, RTCP_PSFB, 1, ssrc, media, 0);
}

/* RFC 5104 s. 4.3.1.2: the header's media SSRC is 0, the FCI names it */
size_t vpkt_fir(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		uint8_t seq)
{
	size_t len = fb_put(buf, cap, RTCP_PSFB, 4, ssrc, 0, 8);

	if (!len)
		return 0;
	be32_put(buf + 12, media);
	be32_put(buf + 16, (uint32_t)seq << 24);
	return len;
}

size_t vpkt_nack(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		 uint16_t pid, uint16_t blp)
{
	size_t len = fb_put(buf, cap, RTCP_RTPFB, 1, ssrc, media, 4);

	if (!len)
		return 0;
	be16_put(buf + 12, pid);
	be16_put(buf + 14, blp);
	return len;
}

/* RFC 5104 s. 4.2.1.2, 4.2.2.2: the header's media SSRC is 0, the FCI
 * names it; an overhead past 9 bits is sent as the most there is */
static size_t tmmb(uint8_t *buf, size_t cap, unsigned fmt, uint32_t ssrc,
		   uint32_t media, uint64_t bps, uint16_t overhead)
{
	size_t len = fb_put(buf, cap, RTCP_RTPFB, fmt, ssrc, 0, 8);
	unsigned exp = rate_exp(bps, 17);

	if (!len)
		return 0;
	if (overhead > 0x1ff)
		overhead = 0x1ff;
	be32_put(buf + 12, media);
	be32_put(buf + 16, (uint32_t)exp << 26 |
	      (uint32_t)(bps >> exp) << 9 | overhead);
	return len;
}

size_t vpkt_tmmbr(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		  uint64_t bps, uint16_t overhead)
{
	return tmmb(buf, cap, 3, ssrc, media, bps, overhead);
}

size_t vpkt_tmmbn(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		  uint64_t bps, uint16_t overhead)
{
	return tmmb(buf, cap, 4, ssrc, media, bps, overhead);
}

/* The header's media SSRC is 0 (draft-alvestrand-rmcat-remb s. 2.2) */
size_t vpkt_remb(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t bps,
		 const uint32_t *media, unsigned n)
{
	unsigned exp = rate_exp(bps, 18);
	uint32_t mant = (uint32_t)(bps >> exp);
	size_t len;

	if (n > 255 || (n && !media))
		return 0;
	len = fb_put(buf, cap, RTCP_PSFB, 15, ssrc, 0, 8 + 4 * (size_t)n);
	if (!len)
		return 0;
	memcpy(buf + 12, "REMB", 4);
	buf[16] = (uint8_t)n;
	buf[17] = (uint8_t)(exp << 2 | mant >> 16);
	be16_put(buf + 18, (uint16_t)mant);
	for (unsigned i = 0; i < n; i++)
		be32_put(buf + 20 + 4 * i, media[i]);
	return len;
}
