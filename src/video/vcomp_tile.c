/*
 * The composer's tiles (vcomp_int.h): where each tile is in a layout, the
 * senders shown in them (depacketized, decoded, scaled to their tile's
 * size as each picture comes, so a picture is kept as a copy and never
 * as a pointer into a decoder), and the canvas made from them. The
 * composer's thread only.
 *
 * A sender's decoder and its picture live as long as it is in some tile:
 * moving to another tile keeps them (the picture rescaled when the size
 * differs); a sender newly shown is asked for a keyframe at once, since
 * its decoder starts from nothing.
 */
#include <string.h>
#include <libswscale/swscale.h>
#include "video/vpkt.h"
#include "video/vcomp_int.h"

static unsigned even(unsigned v)
{
	return v & ~1u;
}

/* k x k tiles; the last row and column take what rounding leaves */
static void grid(unsigned k, unsigned w, unsigned h, struct vcomp_rect *r)
{
	for (unsigned i = 0; i < k * k; i++) {
		unsigned c = i % k, row = i / k;
		unsigned x0 = even(c * w / k);
		unsigned x1 = c == k - 1 ? w : even((c + 1) * w / k);
		unsigned y0 = even(row * h / k);
		unsigned y1 = row == k - 1 ? h : even((row + 1) * h / k);

		r[i] = (struct vcomp_rect){x0, y0, x1 - x0, y1 - y0};
	}
}

void vcomp_layout(enum video_layout l, unsigned w, unsigned h,
		  struct vcomp_rect *r, unsigned *n)
{
	unsigned bw = even(w * 2 / 3), bh = even(h * 2 / 3), hh = even(bh / 2);

	switch (l) {
	case VIDEO_LAYOUT_2X2:
		grid(2, w, h, r);
		*n = 4;
		return;
	case VIDEO_LAYOUT_3X3:
		grid(3, w, h, r);
		*n = 9;
		return;
	case VIDEO_LAYOUT_1P5:
		/* the first large at the top left, two down its right, three
		 * along the bottom */
		r[0] = (struct vcomp_rect){0, 0, bw, bh};
		r[1] = (struct vcomp_rect){bw, 0, w - bw, hh};
		r[2] = (struct vcomp_rect){bw, hh, w - bw, bh - hh};
		for (unsigned i = 0; i < 3; i++) {
			unsigned x0 = even(i * w / 3);
			unsigned x1 = i == 2 ? w : even((i + 1) * w / 3);

			r[3 + i] = (struct vcomp_rect){x0, bh, x1 - x0,
						       h - bh};
		}
		*n = 6;
		return;
	default:
		r[0] = (struct vcomp_rect){0, 0, w, h};
		*n = 1;
		return;
	}
}

void vcomp_src_clear(struct vcomp_src *s)
{
	vdepack_free(s->dp);
	vdec_free(s->dec);
	vframe_free(&s->pic);
	sws_freeContext(s->sws);
	memset(s, 0, sizeof(*s));
}

/* A picture into the sender's own, at its tile's size */
static bool scale(struct vcomp_src *s, const struct vframe *in)
{
	const uint8_t *sp[3] = {in->y, in->u, in->v};
	const int ss[3] = {in->ys, in->us, in->vs};
	uint8_t *dp[3] = {s->pic.y, s->pic.u, s->pic.v};
	const int ds[3] = {s->pic.ys, s->pic.us, s->pic.vs};

	/* the same sizes as last time: the same context, no allocation */
	s->sws = sws_getCachedContext(s->sws, (int)in->w, (int)in->h,
				      AV_PIX_FMT_YUV420P, (int)s->pic.w,
				      (int)s->pic.h, AV_PIX_FMT_YUV420P,
				      SWS_BILINEAR, NULL, NULL, NULL);
	if (!s->sws)
		return false;
	sws_scale(s->sws, sp, ss, 0, (int)in->h, dp, ds);
	return true;
}

/* The sender's picture to a new tile's size; false: out of memory */
static bool src_fit(struct vcomp_src *s, const struct vcomp_rect *r)
{
	struct vframe old = s->pic;

	if (old.w == r->w && old.h == r->h)
		return true;
	if (vframe_alloc(&s->pic, r->w, r->h)) {
		s->pic = old;
		return false;
	}
	if (s->have_pic)
		s->have_pic = scale(s, &old);
	vframe_free(&old);
	return true;
}

static bool src_start(struct vcomp *vc, struct vcomp_src *s, uint32_t id,
		      const struct vcomp_rect *r, uint64_t now)
{
	if (vframe_alloc(&s->pic, r->w, r->h))
		return false;
	s->used = true;
	s->id = id;
	s->codec = VIDEO_NCODECS;     /* its decoder comes with a packet */
	vcomp_ask_key(vc, s, now);
	return true;
}

static bool listed(const uint32_t *ids, unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * The new tiles built beside the old ones and swapped in: senders that
 * stay keep their decoders, the others are let go. Id 0 and a sender
 * listed twice leave a tile black.
 */
void vcomp_tiles_apply(struct vcomp *vc, const uint32_t *ids, unsigned n,
		       uint64_t now)
{
	struct vcomp_run *r = &vc->run;
	struct vcomp_src old[VCOMP_MAX_TILES];

	memcpy(old, r->src, sizeof(old));
	memset(r->src, 0, sizeof(r->src));
	if (n > r->nrect)
		n = r->nrect;
	for (unsigned i = 0; i < n; i++) {
		struct vcomp_src *s = &r->src[i], *o = NULL;

		if (!ids[i] || listed(ids, i, ids[i]))
			continue;
		for (unsigned j = 0; j < VCOMP_MAX_TILES && !o; j++)
			if (old[j].used && old[j].id == ids[i])
				o = &old[j];
		if (!o) {
			src_start(vc, s, ids[i], &r->rect[i], now);
			continue;
		}
		*s = *o;                     /* s owns it now */
		o->used = false;
		if (!src_fit(s, &r->rect[i]))
			vcomp_src_clear(s);
	}
	for (unsigned j = 0; j < VCOMP_MAX_TILES; j++)
		if (old[j].used)
			vcomp_src_clear(&old[j]);
	r->dirty = true;
}

static struct vcomp_src *src_find(struct vcomp_run *r, uint32_t id)
{
	for (unsigned i = 0; i < r->nrect; i++)
		if (r->src[i].used && r->src[i].id == id)
			return &r->src[i];
	return NULL;
}

/* A decoder for the codec the sender now sends in */
static int src_codec(struct vcomp *vc, struct vcomp_src *s,
		     enum video_codec c, uint64_t now)
{
	int err;

	vdepack_free(s->dp);
	vdec_free(s->dec);
	s->dp = NULL;
	s->dec = NULL;
	s->codec = c;
	s->broken = false;
	err = vdepack_alloc(&s->dp, c, VCOMP_FRAME_MAX);
	if (!err)
		err = vdec_alloc(&s->dec, c);
	if (err) {
		vdepack_free(s->dp);
		s->dp = NULL;
		s->codec = VIDEO_NCODECS;
		return err;
	}
	if (!s->key_asked_ns)       /* a new decoder starts at a keyframe */
		vcomp_ask_key(vc, s, now);
	return 0;
}

void vcomp_src_packet(struct vcomp *vc, const struct vcomp_in *in,
		      uint64_t now)
{
	struct vcomp_src *s = src_find(&vc->run, in->id);
	const uint8_t *f;
	struct vpkt_rtp h;
	struct vframe pic;
	size_t flen;
	bool key, need;
	int ret;

	if (!s || !vpkt_rtp_parse(in->pkt, in->len, &h))
		return;
	/* a codec that fails to open is tried again at its next packet */
	if (s->codec != in->codec && src_codec(vc, s, in->codec, now))
		return;
	s->rx_since_ask = true;
	ret = vdepack_push(s->dp, h.seq, h.ts, h.marker, in->pkt + h.hlen,
			   h.plen, &f, &flen, &key, &need);
	if (need)
		vcomp_ask_key(vc, s, now);
	if (ret != 1)
		return;
	ret = vdec_frame(s->dec, f, flen, &pic);
	if (ret < 0) {
		atomic_fetch_add_explicit(&vc->st.decode_errors, 1,
					  memory_order_relaxed);
		s->broken = true;
		vcomp_ask_key(vc, s, now);
		return;
	}
	atomic_fetch_add_explicit(&vc->st.decoded, 1, memory_order_relaxed);
	if (key) {
		s->broken = false;
		s->key_asked_ns = 0;
	}
	if (ret == 1 && !s->broken && scale(s, &pic)) {
		s->have_pic = true;
		vc->run.dirty = true;
	}
}

/* Asked again when a sender keeps sending but its keyframe never came
 * (the request or the keyframe was lost) */
void vcomp_src_retry(struct vcomp *vc, uint64_t now)
{
	for (unsigned i = 0; i < vc->run.nrect; i++) {
		struct vcomp_src *s = &vc->run.src[i];

		if (s->used && s->key_asked_ns && s->rx_since_ask &&
		    now - s->key_asked_ns >= VCOMP_KEY_RETRY_NS)
			vcomp_ask_key(vc, s, now);
	}
}

static void rect_fill(uint8_t *p, int stride, unsigned x, unsigned y,
		      unsigned w, unsigned h, uint8_t val)
{
	for (unsigned r = 0; r < h; r++)
		memset(p + (size_t)(y + r) * stride + x, val, w);
}

static void rect_copy(uint8_t *d, int ds, unsigned x, unsigned y,
		      const uint8_t *s, int ss, unsigned w, unsigned h)
{
	for (unsigned r = 0; r < h; r++)
		memcpy(d + (size_t)(y + r) * ds + x, s + (size_t)r * ss, w);
}

/* Each tile's latest picture into the canvas; black where none */
void vcomp_canvas_compose(struct vcomp *vc)
{
	struct vframe *cv = &vc->run.canvas;

	for (unsigned i = 0; i < vc->run.nrect; i++) {
		const struct vcomp_rect *r = &vc->run.rect[i];
		const struct vcomp_src *s = &vc->run.src[i];
		unsigned cx = r->x / 2, cy = r->y / 2, cw = r->w / 2,
			 ch = r->h / 2;

		if (!s->used || !s->have_pic) {
			rect_fill(cv->y, cv->ys, r->x, r->y, r->w, r->h, 16);
			rect_fill(cv->u, cv->us, cx, cy, cw, ch, 128);
			rect_fill(cv->v, cv->vs, cx, cy, cw, ch, 128);
			continue;
		}
		rect_copy(cv->y, cv->ys, r->x, r->y, s->pic.y, s->pic.ys,
			  r->w, r->h);
		rect_copy(cv->u, cv->us, cx, cy, s->pic.u, s->pic.us, cw, ch);
		rect_copy(cv->v, cv->vs, cx, cy, s->pic.v, s->pic.vs, cw, ch);
	}
}
