/*
 * RTP payload formats of video (vpack.h): VP8 (RFC 7741), H.264
 * packetization-mode 1 (RFC 6184) and VP9 (RFC 9628, non-flexible, one
 * spatial layer). Owns nothing shared: one vdepack per received stream,
 * used by one thread at a time (the composer's, the test peer's);
 * vpack_frame is a pure function.
 *
 * Depacketizing keeps the frame being assembled in one buffer allocated
 * at vdepack_alloc, so a stream costs no allocation per packet. A frame
 * is the packets of one RTP timestamp up to the marker. A gap in the
 * sequence numbers, a payload that does not parse, a frame that does not
 * begin with its first packet or one that outgrows the buffer is a loss:
 * the decoder's references are gone, so everything up to the next
 * keyframe is dropped, and the caller is told once to ask for one.
 * A stream starts in that state too (a decoder cannot start on a delta
 * frame), but without the request: whoever starts showing a sender asks
 * it for a keyframe anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "video/vpack.h"

/* The largest payload built; larger MTUs are cut to this */
#define VPACK_MAXPKT 1500

struct vdepack {
	enum video_codec codec;
	uint8_t *buf;
	size_t max, len;
	uint32_t ts;
	uint16_t seq;
	bool have_seq;
	bool busy;       /* a frame is being assembled */
	bool bad;        /* part of it is missing or did not parse */
	bool key;        /* it is a keyframe */
	bool kstart;     /* its first packet begins a keyframe */
	bool fu;         /* H.264: inside a fragmented NAL */
	uint8_t fu_type;
	bool wait_key;   /* dropping until a keyframe */
};

int vdepack_alloc(struct vdepack **dp, enum video_codec c, size_t max)
{
	struct vdepack *d;

	if (!dp || c >= VIDEO_NCODECS || !max)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->buf = malloc(max);
	if (!d->buf) {
		free(d);
		return ENOMEM;
	}
	d->codec = c;
	d->max = max;
	d->wait_key = true;
	*dp = d;
	return 0;
}

void vdepack_free(struct vdepack *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}

static int append(struct vdepack *d, const uint8_t *p, size_t n)
{
	if (n > d->max - d->len)
		return EOVERFLOW;
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

static int append_nal(struct vdepack *d, const uint8_t *nal, size_t n)
{
	static const uint8_t sc[4] = {0, 0, 0, 1};
	uint8_t type = nal[0] & 0x1f;
	int err;

	if (type == 5)
		d->key = true;
	err = append(d, sc, sizeof(sc));
	return err ? err : append(d, nal, n);
}

/* RFC 7741 4.2: the descriptor's length; *start: the first packet of
 * partition 0, where a frame begins */
static int vp8_desc(const uint8_t *p, size_t n, size_t *hl, bool *start)
{
	size_t i = 1;

	if (n < 1)
		return EBADMSG;
	if (p[0] & 0x80) {                       /* X */
		uint8_t x;

		if (n < 2)
			return EBADMSG;
		x = p[1];
		i = 2;
		if (x & 0x80) {                  /* I: picture id */
			if (n < 3)
				return EBADMSG;
			i += (p[2] & 0x80) ? 2 : 1;
		}
		if (x & 0x40)                    /* L: TL0PICIDX */
			i++;
		if (x & 0x30)                    /* T or K */
			i++;
	}
	if (i >= n)
		return EBADMSG;
	*hl = i;
	*start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
	return 0;
}

/* RFC 9628 4.2, both modes, so that any sender parses */
static int vp9_desc(const uint8_t *p, size_t n, size_t *hl, bool *start,
		    bool *inter)
{
	size_t i = 1;
	uint8_t b0;

	if (n < 1)
		return EBADMSG;
	b0 = p[0];
	if (b0 & 0x80) {                         /* I: picture id */
		if (n < 2)
			return EBADMSG;
		i += (p[1] & 0x80) ? 2 : 1;
	}
	if (b0 & 0x20)                           /* L: layer indices */
		i += (b0 & 0x10) ? 1 : 2;        /* F: no TL0PICIDX */
	if ((b0 & 0x10) && (b0 & 0x40)) {        /* F and P: P_DIFFs */
		for (int k = 0; k < 3; k++) {
			if (i >= n)
				return EBADMSG;
			if (!(p[i++] & 0x01))    /* N: another follows */
				break;
		}
	}
	if (b0 & 0x02) {                         /* V: the SS */
		unsigned ns, ng;
		uint8_t ss;

		if (i >= n)
			return EBADMSG;
		ss = p[i++];
		ns = (ss >> 5) + 1u;
		if (ss & 0x10)                   /* Y: sizes */
			i += 4u * ns;
		if (ss & 0x08) {                 /* G: the picture group */
			if (i >= n)
				return EBADMSG;
			ng = p[i++];
			for (unsigned k = 0; k < ng; k++) {
				if (i >= n)
					return EBADMSG;
				i += 1u + ((p[i] >> 2) & 0x03);
			}
		}
	}
	if (i >= n)
		return EBADMSG;
	*hl = i;
	*start = b0 & 0x08;                      /* B */
	*inter = b0 & 0x40;                      /* P */
	return 0;
}

/* RFC 6184 5.6-5.8: single NAL, STAP-A and FU-A to Annex B */
static int h264_take(struct vdepack *d, const uint8_t *p, size_t n,
		     bool *start)
{
	uint8_t type;
	int err = 0;

	if (n < 1)
		return EBADMSG;
	type = p[0] & 0x1f;
	*start = true;
	if (type >= 1 && type <= 23) {
		if (type == 7 || type == 5)
			d->kstart = true;
		return d->fu ? EBADMSG : append_nal(d, p, n);
	}
	if (type == 24) {                        /* STAP-A */
		size_t i = 1;

		if (d->fu || n < 4)
			return EBADMSG;
		while (i < n && !err) {
			size_t sz;

			if (n - i < 2)
				return EBADMSG;
			sz = (size_t)p[i] << 8 | p[i + 1];
			i += 2;
			if (!sz || sz > n - i)
				return EBADMSG;
			type = p[i] & 0x1f;
			if (type == 7 || type == 5)
				d->kstart = true;
			err = append_nal(d, p + i, sz);
			i += sz;
		}
		return err;
	}
	if (type == 28) {                        /* FU-A */
		uint8_t fh, nh;

		if (n < 3)
			return EBADMSG;
		fh = p[1];
		if (fh & 0x80) {                 /* S */
			if (d->fu)
				return EBADMSG;
			nh = (p[0] & 0xe0) | (fh & 0x1f);
			if ((fh & 0x1f) == 5)
				d->kstart = true;
			d->fu = !(fh & 0x40);
			d->fu_type = fh & 0x1f;
			err = append_nal(d, &nh, 1);
			return err ? err : append(d, p + 2, n - 2);
		}
		*start = false;
		if (!d->fu || (fh & 0x1f) != d->fu_type)
			return EBADMSG;
		if (fh & 0x40)                   /* E */
			d->fu = false;
		return append(d, p + 2, n - 2);
	}
	return EBADMSG;     /* STAP-B, MTAP, FU-B: not in mode 1 */
}

/* One payload into the frame. *start: it may begin a frame. */
static int take(struct vdepack *d, const uint8_t *p, size_t n, bool first,
		bool *start)
{
	size_t hl;
	bool inter;
	int err;

	switch (d->codec) {
	case VIDEO_VP8:
		err = vp8_desc(p, n, &hl, start);
		if (err)
			return err;
		if (first && *start && !(p[hl] & 0x01))  /* P=0: key */
			d->key = d->kstart = true;
		return append(d, p + hl, n - hl);
	case VIDEO_VP9:
		err = vp9_desc(p, n, &hl, start, &inter);
		if (err)
			return err;
		if (!first && *start)    /* a second frame of the same ts
					  * would be a spatial layer */
			return EBADMSG;
		if (first && *start && !inter)
			d->key = d->kstart = true;
		return append(d, p + hl, n - hl);
	case VIDEO_H264:
		return h264_take(d, p, n, start);
	default:
		return EINVAL;
	}
}

static void frame_begin(struct vdepack *d, uint32_t ts)
{
	d->busy = true;
	d->ts = ts;
	d->len = 0;
	d->bad = d->key = d->kstart = d->fu = false;
}

int vdepack_push(struct vdepack *d, uint16_t seq, uint32_t ts, bool marker,
		 const uint8_t *pl, size_t len, const uint8_t **frame,
		 size_t *flen, bool *key, bool *need_key)
{
	bool loss = false, first, start = false;

	*need_key = false;
	if (d->have_seq) {
		int16_t diff = (int16_t)(uint16_t)(seq - d->seq);

		if (diff <= 0)          /* duplicate or late: ignored */
			return 0;
		loss = diff > 1;
	}
	d->have_seq = true;
	d->seq = seq;
	first = !d->busy || ts != d->ts;
	if (d->busy && ts != d->ts)     /* the last one never ended */
		loss = true;
	if (first)
		frame_begin(d, ts);
	else if (loss)
		d->bad = true;
	if (!d->bad) {
		if (take(d, pl, len, first, &start)) {
			d->bad = loss = true;
		} else if (first && !start) {   /* its beginning is gone */
			d->bad = loss = true;
		}
	}
	if (loss) {
		/* lost before a keyframe that has begun: nothing to ask */
		if (first && d->kstart && !d->bad) {
			d->wait_key = true;
			loss = false;
		} else {
			*need_key = !d->wait_key;
			d->wait_key = true;
		}
	}
	if (marker && d->busy) {
		d->busy = false;
		if (!d->bad && !d->fu && (d->key || !d->wait_key)) {
			d->wait_key = false;
			*frame = d->buf;
			*flen = d->len;
			*key = d->key;
			return 1;
		}
	}
	return loss ? -1 : 0;
}

/*
 * Packetizing. Payloads are built in one of two buffers and handed on
 * one behind, so the last of a frame is known when it is handed on.
 */
struct emitter {
	vpack_h *h;
	void *arg;
	uint8_t b[2][VPACK_MAXPKT];
	size_t len[2];
	int cur;        /* the buffer being built */
	bool pending;   /* the other one waits to be handed on */
};

static uint8_t *emit_buf(struct emitter *e)
{
	return e->b[e->cur];
}

static int emit_done(struct emitter *e, size_t n)
{
	int err = 0;

	if (e->pending)
		err = e->h(e->b[!e->cur], e->len[!e->cur], false, e->arg);
	e->len[e->cur] = n;
	e->pending = true;
	e->cur = !e->cur;
	return err;
}

static int emit_end(struct emitter *e)
{
	if (!e->pending)
		return EINVAL;
	e->pending = false;
	return e->h(e->b[!e->cur], e->len[!e->cur], true, e->arg);
}

/* Even pieces: n payloads of at most room bytes for len bytes */
static size_t piece(size_t len, size_t room)
{
	size_t n = (len + room - 1) / room;

	return (len + n - 1) / n;
}

static int pack_vp8(struct emitter *e, const uint8_t *f, size_t len,
		    uint16_t picid, size_t mtu)
{
	size_t per = piece(len, mtu - 4), off = 0;
	int err = 0;

	while (off < len && !err) {
		uint8_t *p = emit_buf(e);
		size_t n = len - off < per ? len - off : per;

		p[0] = 0x80 | (off ? 0 : 0x10);          /* X, S, PID 0 */
		p[1] = 0x80;                             /* I */
		p[2] = 0x80 | ((picid >> 8) & 0x7f);     /* M: 15 bits */
		p[3] = picid & 0xff;
		memcpy(p + 4, f + off, n);
		err = emit_done(e, 4 + n);
		off += n;
	}
	return err;
}

/* The scalability structure on a keyframe's first packet: one spatial
 * layer (its size is in the bitstream) and a picture group of one
 * picture that refers to the one before, which receivers of the
 * non-flexible mode look for */
static const uint8_t vp9_ss[] = {
	0x08,         /* N_S 0 (one layer), Y 0, G 1 */
	1,            /* N_G */
	0x04,         /* TID 0, U 0, R 1 */
	1,            /* P_DIFF */
};

static int pack_vp9(struct emitter *e, const uint8_t *f, size_t len,
		    bool key, uint16_t picid, size_t mtu)
{
	size_t ssl = key ? sizeof(vp9_ss) : 0, off = 0;
	size_t per = piece(len + ssl, mtu - 3);
	int err = 0;

	if (mtu < 3 + ssl + 1)
		return EINVAL;
	/* one layer: no layer indices (L 0, as RFC 9628 allows; baresip
	 * 1.0 refuses L 1) */
	while (off < len && !err) {
		uint8_t *p = emit_buf(e);
		size_t hl = 3, n;

		p[0] = 0x80;                             /* I */
		if (!key)
			p[0] |= 0x40;                    /* P */
		p[1] = 0x80 | ((picid >> 8) & 0x7f);     /* M: 15 bits */
		p[2] = picid & 0xff;
		if (!off) {
			p[0] |= 0x08;                    /* B */
			if (ssl) {
				p[0] |= 0x02;            /* V */
				memcpy(p + hl, vp9_ss, ssl);
				hl += ssl;
			}
		}
		n = len - off;
		if (n > per)
			n = per;
		if (n > mtu - hl)
			n = mtu - hl;
		if (off + n == len)
			p[0] |= 0x04;                    /* E */
		memcpy(p + hl, f + off, n);
		err = emit_done(e, hl + n);
		off += n;
	}
	return err;
}

/* The next NAL of an Annex B stream at or after *off; false at the end */
static bool next_nal(const uint8_t *f, size_t len, size_t *off,
		     const uint8_t **nal, size_t *n)
{
	size_t i = *off, s, end;

	while (i + 3 <= len && !(f[i] == 0 && f[i + 1] == 0 && f[i + 2] == 1))
		i++;
	if (i + 3 > len)
		return false;
	s = i + 3;
	end = s;
	while (end + 3 <= len &&
	       !(f[end] == 0 && f[end + 1] == 0 && f[end + 2] == 1))
		end++;
	if (end + 3 > len)
		end = len;
	*off = end;
	while (end > s && f[end - 1] == 0)     /* the next start code's */
		end--;
	if (end == s)
		return next_nal(f, len, off, nal, n);
	*nal = f + s;
	*n = end - s;
	return true;
}

static int pack_fua(struct emitter *e, const uint8_t *nal, size_t n,
		    size_t mtu)
{
	size_t per = piece(n - 1, mtu - 2), off = 1;
	int err = 0;

	while (off < n && !err) {
		uint8_t *p = emit_buf(e);
		size_t k = n - off < per ? n - off : per;

		p[0] = (nal[0] & 0xe0) | 28;
		p[1] = nal[0] & 0x1f;
		if (off == 1)
			p[1] |= 0x80;                    /* S */
		if (off + k == n)
			p[1] |= 0x40;                    /* E */
		memcpy(p + 2, nal + off, k);
		err = emit_done(e, 2 + k);
		off += k;
	}
	return err;
}

static int pack_h264(struct emitter *e, const uint8_t *f, size_t len,
		     size_t mtu)
{
	size_t off = 0, n;
	const uint8_t *nal;
	int err = 0;
	bool more = next_nal(f, len, &off, &nal, &n);

	if (!more)
		return EBADMSG;
	while (more && !err) {
		size_t o2 = off, n2, plen;
		const uint8_t *nal2;
		uint8_t *p;

		if (n > mtu) {
			err = pack_fua(e, nal, n, mtu);
			more = next_nal(f, len, &off, &nal, &n);
			continue;
		}
		/* STAP-A when the next one fits beside it (SPS, PPS) */
		if (!next_nal(f, len, &o2, &nal2, &n2) ||
		    1 + 2 + n + 2 + n2 > mtu) {
			memcpy(emit_buf(e), nal, n);
			err = emit_done(e, n);
			more = next_nal(f, len, &off, &nal, &n);
			continue;
		}
		p = emit_buf(e);
		p[0] = 24;
		plen = 1;
		while (more && plen + 2 + n <= mtu) {
			p[0] |= nal[0] & 0x80;                   /* F */
			if ((nal[0] & 0x60) > (p[0] & 0x60))     /* NRI */
				p[0] = (p[0] & 0x9f) | (nal[0] & 0x60);
			p[plen++] = n >> 8;
			p[plen++] = n & 0xff;
			memcpy(p + plen, nal, n);
			plen += n;
			more = next_nal(f, len, &off, &nal, &n);
		}
		err = emit_done(e, plen);
	}
	return err;
}

int vpack_frame(enum video_codec c, const uint8_t *frame, size_t len,
		bool key, uint16_t picid, size_t mtu, vpack_h *h, void *arg)
{
	struct emitter em, *e = &em;    /* 3 kB of stack, no allocation */
	int err;

	if (!frame || !len || !h || mtu < 16)
		return EINVAL;
	if (mtu > VPACK_MAXPKT)
		mtu = VPACK_MAXPKT;
	e->h = h;
	e->arg = arg;
	e->cur = 0;
	e->pending = false;
	switch (c) {
	case VIDEO_VP8:
		err = pack_vp8(e, frame, len, picid, mtu);
		break;
	case VIDEO_VP9:
		err = pack_vp9(e, frame, len, key, picid, mtu);
		break;
	case VIDEO_H264:
		err = pack_h264(e, frame, len, mtu);
		break;
	default:
		err = EINVAL;
		break;
	}
	if (!err)
		err = emit_end(e);
	return err;
}
