/*
 * Video RTP packets without state (vpkt.h): the RTP header, and what a
 * payload's format says about where frames and keyframes start and which
 * picture it belongs to. RTCP is in vpkt_rtcp.c. Pure functions: any
 * thread. The forwarding threads call them for every packet, so nothing
 * here allocates or logs; every parser takes hostile input and reads
 * nothing at or past len (tests/fuzz/fuzz_vpkt.c).
 *
 * The payload descriptors as read here (bit 7 is an octet's first bit):
 *
 * VP8, RFC 7741 s. 4.2:  |X|R|N|S|R| PID |        S: start of a partition,
 *   X: |I|L|T|K| RSV |                             PID: its index
 *   I: |M| PictureID (7) | [PictureID (8) when M]  the picture id, 7 or 15
 *   L: | TL0PICIDX |                                bits
 *   T or K: |TID|Y| KEYIDX |
 * then, when S=1 and PID=0, the VP8 payload header (s. 4.3), whose first
 * octet is |Size0|H| VER |P|: P=0 is a key frame.
 *
 * VP9, draft-ietf-payload-vp9 (RFC 9628) s. 4.2: |I|P|L|F|B|E|V|Z|
 *   I: picture id as VP8's          P: inter-picture predicted
 *   L: |TID|U| SID |D| and, in non-flexible mode (F=0), | TL0PICIDX |
 *   F and P: up to 3 octets |P_DIFF|N| (N: another follows)
 *   V: the scalability structure: |N_S|Y|G|-|-|-|, with Y (N_S+1) times
 *      WIDTH (16) HEIGHT (16), with G an octet N_G and N_G times
 *      |TID|U| R |-|-| followed by R octets of P_DIFF
 *   B: start of a frame             SID: its spatial layer
 * A keyframe starts where B=1 and P=0 in the lowest spatial layer (no L:
 * there is only one).
 *
 * H.264, RFC 6184 s. 5.2, 5.7, 5.8: the NAL unit header |F|NRI| Type |;
 * types 1-23 a single NAL unit, 24 STAP-A (NAL units each behind a 16-bit
 * size), 28 FU-A (FU indicator, then |S|E|R| Type | and a fragment).
 * STAP-B, MTAP and FU-B (interleaved mode) are not taken: no SDP we
 * answer allows them.
 *
 * Every descriptor must fit in the payload with at least one octet of
 * codec data behind it; anything else is "no" (false) from every
 * function here.
 */
#include <string.h>
#include "video/vpkt.h"
#include "util/be.h"

bool vpkt_rtp_parse(const uint8_t *buf, size_t len, struct vpkt_rtp *h)
{
	size_t off;

	if (!buf || !h || len < 12 || (buf[0] >> 6) != 2)
		return false;
	off = 12 + 4u * (buf[0] & 0x0f);     /* CSRCs */
	if (len < off)
		return false;
	if (buf[0] & 0x10) {                 /* header extension */
		if (len - off < 4)
			return false;
		off += 4 + 4u * be16_get(buf + off + 2);
		if (len < off)
			return false;
	}
	h->plen = len - off;
	if (buf[0] & 0x20) {                 /* padding: its count last */
		uint8_t pad = buf[len - 1];

		if (!pad || pad > h->plen)
			return false;
		h->plen -= pad;
	}
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	/* 72..76 are RTCP packet types on a muxed port (RFC 5761 s. 4):
	 * what the audio parser (mixer/rtp.c) refuses too */
	if (h->pt >= 72 && h->pt <= 76)
		return false;
	h->seq = be16_get(buf + 2);
	h->ts = be32_get(buf + 4);
	h->ssrc = be32_get(buf + 8);
	h->hlen = off;
	return true;
}

void vpkt_rtp_rewrite(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc)
{
	buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f));
	be16_put(buf + 2, seq);
	be32_put(buf + 4, ts);
	be32_put(buf + 8, ssrc);
}

void vpkt_rtp_header(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq,
		     uint32_t ts, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	be16_put(buf + 2, seq);
	be32_put(buf + 4, ts);
	be32_put(buf + 8, ssrc);
}

/* What a VP8 or VP9 payload descriptor says */
struct desc {
	size_t len;           /* its octets: the codec's data starts here */
	bool start;           /* VP8: S=1, PID=0; VP9: B */
	bool inter;           /* VP9: P */
	uint8_t sid;          /* VP9: spatial layer (0 without L) */
	size_t picid_at;      /* 0: no picture id */
	unsigned bits;        /* 7 or 15 */
};

/* The picture id at pl[off]: M=1 makes it 15 bits in two octets */
static bool picid_read(const uint8_t *pl, size_t len, size_t *off,
		       struct desc *d)
{
	if (*off >= len)
		return false;
	d->picid_at = *off;
	d->bits = pl[*off] & 0x80 ? 15 : 7;
	*off += d->bits == 15 ? 2 : 1;
	return true;
}

static bool vp8_desc(const uint8_t *pl, size_t len, struct desc *d)
{
	size_t off = 1;

	memset(d, 0, sizeof(*d));
	if (!pl || len < 2)
		return false;
	d->start = (pl[0] & 0x10) && !(pl[0] & 0x07);
	if (pl[0] & 0x80) {
		uint8_t x = pl[1];

		off = 2;
		if ((x & 0x80) && !picid_read(pl, len, &off, d))
			return false;
		if (x & 0x40)                /* L: TL0PICIDX */
			off++;
		if (x & 0x30)                /* T or K: TID, Y, KEYIDX */
			off++;
	}
	d->len = off;
	return off < len;
}

/* VP9's scalability structure at *off (V=1) */
static bool vp9_ss(const uint8_t *pl, size_t len, size_t *off)
{
	unsigned ns, ng;
	uint8_t b;

	if (*off >= len)
		return false;
	b = pl[(*off)++];
	ns = (b >> 5) + 1u;
	if (b & 0x10)                        /* Y: each layer's size */
		*off += 4u * ns;
	if (!(b & 0x08))                     /* G: picture group */
		return *off <= len;
	if (*off >= len)
		return false;
	ng = pl[(*off)++];
	for (unsigned i = 0; i < ng; i++) {
		if (*off >= len)
			return false;
		*off += 1u + ((pl[*off] >> 2) & 3u);
	}
	return *off <= len;
}

static bool vp9_desc(const uint8_t *pl, size_t len, struct desc *d)
{
	size_t off = 1;
	uint8_t h;

	memset(d, 0, sizeof(*d));
	if (!pl || len < 2)
		return false;
	h = pl[0];
	d->inter = h & 0x40;
	d->start = h & 0x08;
	if ((h & 0x80) && !picid_read(pl, len, &off, d))
		return false;
	if (h & 0x20) {                      /* L: layer indices */
		if (off >= len)
			return false;
		d->sid = (pl[off] >> 1) & 7;
		off += h & 0x10 ? 1 : 2;     /* TL0PICIDX unless flexible */
	}
	if ((h & 0x10) && (h & 0x40)) {      /* F and P: reference diffs */
		unsigned n = 0;
		bool more = true;

		while (more) {
			if (off >= len || ++n > 3)
				return false;
			more = pl[off++] & 0x01;
		}
	}
	if ((h & 0x02) && !vp9_ss(pl, len, &off))
		return false;
	d->len = off;
	return off < len;
}

static bool desc(enum video_codec c, const uint8_t *pl, size_t len,
		 struct desc *d)
{
	switch (c) {
	case VIDEO_VP8: return vp8_desc(pl, len, d);
	case VIDEO_VP9: return vp9_desc(pl, len, d);
	default:        return false;
	}
}

static bool h264_key_type(uint8_t nal)
{
	uint8_t type = nal & 0x1f;

	return type == 5 || type == 7;       /* IDR slice, SPS */
}

/* A STAP-A's NAL units (after its header) fill it exactly; *key: one of
 * them is an SPS or an IDR slice */
static bool h264_stapa(const uint8_t *p, size_t len, bool *key)
{
	size_t off = 0;

	*key = false;
	if (!len)
		return false;
	while (off < len) {
		size_t sz;

		if (len - off < 2)
			return false;
		sz = be16_get(p + off);
		off += 2;
		if (!sz || sz > len - off || (p[off] & 0x80))
			return false;
		if (h264_key_type(p[off]))
			*key = true;
		off += sz;
	}
	return true;
}

/* 1: a NAL unit (or aggregate, or first fragment) starts here and is key
 * or not (*key); 0: a continuing fragment; -1: not one we take */
static int h264_start(const uint8_t *pl, size_t len, bool *key)
{
	uint8_t type;

	*key = false;
	if (!pl || len < 2 || (pl[0] & 0x80))
		return -1;
	type = pl[0] & 0x1f;
	if (type >= 1 && type <= 23) {
		*key = h264_key_type(pl[0]);
		return 1;
	}
	if (type == 24)
		return h264_stapa(pl + 1, len - 1, key) ? 1 : -1;
	if (type == 28) {
		if (len < 3)
			return -1;
		if (!(pl[1] & 0x80))
			return 0;
		*key = h264_key_type(pl[1]);
		return 1;
	}
	return -1;
}

static bool vp8_key(const uint8_t *pl, size_t len)
{
	struct desc d;

	return vp8_desc(pl, len, &d) && d.start && !(pl[d.len] & 0x01);
}

static bool vp9_key(const uint8_t *pl, size_t len)
{
	struct desc d;

	return vp9_desc(pl, len, &d) && d.start && !d.inter && d.sid == 0;
}

bool vpkt_key_start(enum video_codec c, const uint8_t *pl, size_t len)
{
	bool key;

	switch (c) {
	case VIDEO_VP8:  return vp8_key(pl, len);
	case VIDEO_VP9:  return vp9_key(pl, len);
	case VIDEO_H264: return h264_start(pl, len, &key) == 1 && key;
	default:         return false;
	}
}

bool vpkt_frame_start(enum video_codec c, const uint8_t *pl, size_t len)
{
	struct desc d;
	bool key;

	if (c == VIDEO_H264)
		return h264_start(pl, len, &key) == 1;
	return desc(c, pl, len, &d) && d.start;
}

bool vpkt_picid_get(enum video_codec c, const uint8_t *pl, size_t len,
		    uint16_t *picid, unsigned *bits)
{
	struct desc d;

	if (!desc(c, pl, len, &d) || !d.picid_at)
		return false;
	if (d.bits == 15) {
		if (picid)
			*picid = be16_get(pl + d.picid_at) & 0x7fff;
	}
	else if (picid) {
		*picid = pl[d.picid_at] & 0x7f;
	}
	if (bits)
		*bits = d.bits;
	return true;
}

bool vpkt_picid_set(enum video_codec c, uint8_t *pl, size_t len,
		    uint16_t picid)
{
	struct desc d;

	if (!desc(c, pl, len, &d) || !d.picid_at)
		return false;
	/* the M bit stays: the descriptor keeps its length */
	if (d.bits == 15)
		be16_put(pl + d.picid_at, (uint16_t)(0x8000 | (picid & 0x7fff)));
	else
		pl[d.picid_at] = picid & 0x7f;
	return true;
}
