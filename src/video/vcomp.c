/*
 * The composer of a conference's continuous-presence picture (vcomp.h).
 * Made on the signalling thread, fed by one forwarding thread, and run
 * on a thread of its own, which owns the decoders, the tiles' pictures,
 * the canvas and the encoders (vcomp_tile.c: the layouts, the senders'
 * decoding and scaling, the canvas).
 *
 * What crosses threads, and how:
 *  - packets in: an SPSC ring of copies (the forwarding thread's buffers
 *    are reused at once); each carries the tiles' generation it was sent
 *    under, so a sender put in a tile is never dropped for a tile change
 *    the composer has not seen yet;
 *  - the tiles: a small mutex around the list and an atomic generation,
 *    so the composer takes the lock only when they changed;
 *  - the codecs wanted and keyframe requests from receivers: atomics;
 *  - payloads out and keyframe requests towards senders: SPSC rings and
 *    an eventfd, written once per frame and per request.
 * The thread waits for its next frame on a condition variable with an
 * absolute CLOCK_MONOTONIC deadline (like clock_nanosleep with
 * TIMER_ABSTIME), so that the last vcomp_put wakes it at once instead of
 * waiting out a frame on a forwarding thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "video/vcomp_int.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The CPU time of the calling thread */
static uint64_t cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void wake_fd(struct vcomp *vc)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, so readable already */
	if (write(vc->efd, &one, sizeof(one)) < 0)
		return;
}

/* --- the forwarding thread's side --- */

/* Tiles of each layout, in enum video_layout's order */
static const unsigned layout_tiles[] = {1, 4, 9, 6};

void vcomp_tiles(struct vcomp *vc, const uint32_t *ids, unsigned n)
{
	/* senders past the last tile are in none: not even queued */
	if (n > layout_tiles[vc->cfg.layout])
		n = layout_tiles[vc->cfg.layout];
	if (n == vc->fwd_ntiles &&
	    (!n || !memcmp(ids, vc->fwd_tiles, n * sizeof(*ids))))
		return;
	memcpy(vc->fwd_tiles, ids, n * sizeof(*ids));
	vc->fwd_ntiles = n;
	vc->fwd_gen++;
	pthread_mutex_lock(&vc->lock);
	memcpy(vc->tiles, ids, n * sizeof(*ids));
	vc->ntiles = n;
	vc->tiles_gen = vc->fwd_gen;
	pthread_mutex_unlock(&vc->lock);
	atomic_store_explicit(&vc->gen, vc->fwd_gen, memory_order_release);
}

bool vcomp_input(struct vcomp *vc, uint32_t id, enum video_codec c,
		 const uint8_t *pkt, size_t len)
{
	struct vcomp_in *in = &vc->fwd_item;
	bool tiled = false;

	/* a sender in no tile is not decoded: not even queued */
	for (unsigned i = 0; i < vc->fwd_ntiles && !tiled; i++)
		tiled = vc->fwd_tiles[i] == id;
	if (!tiled || !id)
		return true;
	if (!len || len > VCOMP_PKT_MAX || c >= VIDEO_NCODECS) {
		atomic_fetch_add_explicit(&vc->st.input_dropped, 1,
					  memory_order_relaxed);
		return false;
	}
	in->id = id;
	in->gen = vc->fwd_gen;
	in->codec = c;
	in->len = (uint16_t)len;
	memcpy(in->pkt, pkt, len);
	if (spsc_push(&vc->in, in))
		return true;
	atomic_fetch_add_explicit(&vc->st.input_dropped, 1,
				  memory_order_relaxed);
	return false;
}

void vcomp_want(struct vcomp *vc, unsigned codecs)
{
	atomic_store_explicit(&vc->want, codecs & ((1u << VIDEO_NCODECS) - 1),
			      memory_order_relaxed);
}

void vcomp_keyframe(struct vcomp *vc, enum video_codec c)
{
	if (c < VIDEO_NCODECS)
		atomic_fetch_or_explicit(&vc->keyreq, 1u << c,
					 memory_order_relaxed);
}

bool vcomp_output(struct vcomp *vc, struct vcomp_pkt *p)
{
	return spsc_pop(&vc->out, p);
}

bool vcomp_need_key(struct vcomp *vc, uint32_t *id)
{
	return spsc_pop(&vc->keys, id);
}

int vcomp_fd(const struct vcomp *vc)
{
	return vc->efd;
}

void vcomp_stats(const struct vcomp *vc, struct vcomp_stats *st)
{
	const struct vcomp_atomics *a = &vc->st;

	st->frames = atomic_load_explicit(&a->frames, memory_order_relaxed);
	for (int c = 0; c < VIDEO_NCODECS; c++)
		st->encoded[c] = atomic_load_explicit(&a->encoded[c],
						      memory_order_relaxed);
	st->busy_us = atomic_load_explicit(&a->busy_us, memory_order_relaxed);
	st->decoded = atomic_load_explicit(&a->decoded, memory_order_relaxed);
	st->decode_errors = atomic_load_explicit(&a->decode_errors,
						 memory_order_relaxed);
	st->input_dropped = atomic_load_explicit(&a->input_dropped,
						 memory_order_relaxed);
}

/* --- the composer's side --- */

void vcomp_ask_key(struct vcomp *vc, struct vcomp_src *s, uint64_t now)
{
	if (s->key_asked_ns && now - s->key_asked_ns < VCOMP_KEY_GAP_NS)
		return;
	s->key_asked_ns = now ? now : 1;    /* 0 is "not waiting" */
	s->rx_since_ask = false;
	if (spsc_push(&vc->keys, &s->id))
		wake_fd(vc);
}

/* The tiles as the forwarding thread last set them, when they changed */
static void tiles_poll(struct vcomp *vc, uint64_t now)
{
	uint32_t ids[VCOMP_MAX_TILES];
	unsigned n, gen;

	gen = atomic_load_explicit(&vc->gen, memory_order_acquire);
	if (gen == vc->run.gen)
		return;
	pthread_mutex_lock(&vc->lock);
	n = vc->ntiles;
	memcpy(ids, vc->tiles, n * sizeof(*ids));
	gen = vc->tiles_gen;
	pthread_mutex_unlock(&vc->lock);
	vc->run.gen = gen;
	vcomp_tiles_apply(vc, ids, n, now);
}

/* Encoders made and freed to match what receivers take */
static void want_poll(struct vcomp *vc, uint64_t now)
{
	struct vcomp_run *r = &vc->run;
	unsigned want = atomic_load_explicit(&vc->want, memory_order_relaxed);

	if (want == r->want)
		return;
	r->want = want;
	for (int c = 0; c < VIDEO_NCODECS; c++) {
		bool on = want & (1u << c);

		if (!on && r->enc[c]) {
			venc_free(r->enc[c]);
			r->enc[c] = NULL;
		} else if (on && !r->enc[c]) {
			/* a failure stays off until the codecs change */
			if (venc_alloc(&r->enc[c], c, r->canvas.w, r->canvas.h,
				       vc->cfg.fps, vc->cfg.kbps))
				r->enc[c] = NULL;
			r->last_key_ns[c] = now;  /* its first is a keyframe */
			r->dirty = true;
		}
	}
}

static void input_drain(struct vcomp *vc, uint64_t now)
{
	struct vcomp_in *in = &vc->run.item;

	/* at most a ring's worth: the producer may keep adding */
	for (size_t k = 0; k <= vc->in.mask && spsc_pop(&vc->in, in); k++) {
		if (in->gen != vc->run.gen)
			tiles_poll(vc, now);
		vcomp_src_packet(vc, in, now);
	}
}

struct pack_ctx {
	struct vcomp *vc;
	struct vcomp_pkt *p;
	bool first, full;
};

static int on_payload(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct pack_ctx *pc = arg;
	struct vcomp_pkt *p = pc->p;

	p->marker = last;
	p->key_start = p->key_start && pc->first;
	p->len = len;
	memcpy(p->payload, pl, len);
	pc->first = false;
	if (!spsc_push(&pc->vc->out, p)) {
		pc->full = true;
		return ENOSPC;          /* the rest of the frame goes too */
	}
	return 0;
}

/* Whether the output ring has room for a frame of len bytes: a frame is
 * queued whole or not at all, since a part of one breaks the picture
 * for every receiver. The ring's indices are read as spsc.c does: ours
 * (the producer's) relaxed, the consumer's with acquire. */
static bool out_room(struct vcomp *vc, size_t len)
{
	size_t head = atomic_load_explicit(&vc->out.head,
					   memory_order_relaxed);
	size_t tail = atomic_load_explicit(&vc->out.tail,
					   memory_order_acquire);
	/* payload headers, and H.264's NALs each starting a payload */
	size_t need = len / (VCOMP_MTU - 16) + 8;

	return vc->out.mask + 1 - (head - tail) >= need;
}

static bool encode(struct vcomp *vc, enum video_codec c, uint32_t ts,
		   uint64_t now)
{
	struct vcomp_run *r = &vc->run;
	struct vcomp_pkt *p = &r->pkt;
	struct pack_ctx pc = {vc, p, true, false};
	uint64_t t0 = cpu_us();
	bool force, key;
	const uint8_t *data;
	size_t len;

	/* receivers' requests, at most one keyframe per VCOMP_KEY_MIN_NS;
	 * after a frame they never got, at once */
	force = ((r->key_pending & (1u << c)) &&
		 now - r->last_key_ns[c] >= VCOMP_KEY_MIN_NS) ||
		(r->key_now & (1u << c));
	if (venc_frame(r->enc[c], &r->canvas, force, &data, &len, &key) != 1)
		return false;
	atomic_fetch_add_explicit(&vc->st.encoded[c], 1, memory_order_relaxed);
	if (key) {
		r->last_key_ns[c] = now;
		r->key_pending &= ~(1u << c);
		r->key_now &= ~(1u << c);
	}
	p->codec = c;
	p->ts = ts;
	p->key_start = key;
	/* a frame left out still takes its picture id, for receivers that
	 * look for gaps there */
	if (out_room(vc, len))
		vpack_frame(c, data, len, key, r->picid[c] & 0x7fff,
			    VCOMP_MTU, on_payload, &pc);
	else
		pc.full = true;
	r->picid[c]++;
	/* receivers missed (part of) a frame the next ones refer to */
	if (pc.full)
		r->key_now |= 1u << c;
	atomic_fetch_add_explicit(&vc->st.enc_us[c], cpu_us() - t0,
				  memory_order_relaxed);
	return !pc.first;
}

/* One tick: what came in, then a picture when there is something new */
static void tick(struct vcomp *vc, uint64_t now)
{
	struct vcomp_run *r = &vc->run;
	unsigned req, due = 0;
	bool sent = false;

	tiles_poll(vc, now);
	want_poll(vc, now);
	input_drain(vc, now);
	vcomp_src_retry(vc, now);
	req = atomic_exchange_explicit(&vc->keyreq, 0, memory_order_relaxed);
	r->key_pending |= req;
	r->key_pending &= r->want;
	for (int c = 0; c < VIDEO_NCODECS; c++)
		if ((r->key_pending & (1u << c)) &&
		    now - r->last_key_ns[c] >= VCOMP_KEY_MIN_NS)
			due |= 1u << c;
	due |= r->key_now & r->want;
	if (!r->want || !(r->dirty || due ||
			  now - r->last_compose_ns >= VCOMP_IDLE_NS))
		return;
	vcomp_canvas_compose(vc);
	r->dirty = false;
	r->last_compose_ns = now;
	atomic_fetch_add_explicit(&vc->st.frames, 1, memory_order_relaxed);
	for (int c = 0; c < VIDEO_NCODECS; c++)
		if (r->enc[c] && encode(vc, c, (uint32_t)(now / 1000 * 9 / 100),
					now))
			sent = true;
	if (sent)
		wake_fd(vc);
}

static void busy_update(struct vcomp *vc)
{
	atomic_store_explicit(&vc->st.busy_us, cpu_us(), memory_order_relaxed);
}

static void run_free(struct vcomp_run *r)
{
	for (int i = 0; i < VCOMP_MAX_TILES; i++)
		vcomp_src_clear(&r->src[i]);
	for (int c = 0; c < VIDEO_NCODECS; c++) {
		venc_free(r->enc[c]);
		r->enc[c] = NULL;
	}
}

static void vcomp_free(struct vcomp *vc);

static void *composer(void *arg)
{
	struct vcomp *vc = arg;
	uint64_t period = 1000000000u / vc->cfg.fps, next = now_ns();
	struct timespec dl;
	bool self;

	for (;;) {
		uint64_t now = now_ns();

		tick(vc, now);
		busy_update(vc);
		next += period;
		if (next + period < now)        /* fell behind: skip ahead */
			next = now + period;
		dl.tv_sec = (time_t)(next / 1000000000u);
		dl.tv_nsec = (long)(next % 1000000000u);
		pthread_mutex_lock(&vc->lock);
		while (!vc->stop &&
		       pthread_cond_timedwait(&vc->cond, &vc->lock, &dl) !=
		       ETIMEDOUT)
			;
		self = vc->self_free;
		if (vc->stop) {
			pthread_mutex_unlock(&vc->lock);
			break;
		}
		pthread_mutex_unlock(&vc->lock);
	}
	/* the thread's own things go with it */
	run_free(&vc->run);
	if (self)
		vcomp_free(vc);
	return NULL;
}

static void vcomp_free(struct vcomp *vc)
{
	run_free(&vc->run);
	vframe_free(&vc->run.canvas);
	spsc_free(&vc->in);
	spsc_free(&vc->out);
	spsc_free(&vc->keys);
	if (vc->efd >= 0)
		close(vc->efd);
	if (vc->sync_init) {
		pthread_cond_destroy(&vc->cond);
		pthread_mutex_destroy(&vc->lock);
	}
	free(vc);
}

static int sync_init(struct vcomp *vc)
{
	pthread_condattr_t ca;
	int err;

	err = pthread_condattr_init(&ca);
	if (err)
		return err;
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&vc->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return err;
	err = pthread_mutex_init(&vc->lock, NULL);
	if (err) {
		pthread_cond_destroy(&vc->cond);
		return err;
	}
	vc->sync_init = true;
	return 0;
}

static int cfg_fix(struct vcomp_cfg *c, const struct vcomp_cfg *in)
{
	*c = *in;
	c->width = c->width ? c->width & ~1u : 640;
	c->height = c->height ? c->height & ~1u : 360;
	c->fps = c->fps ? c->fps : 15;
	c->kbps = c->kbps ? c->kbps : 600;
	if (c->layout > VIDEO_LAYOUT_1P5 || c->width < 64 || c->height < 64 ||
	    c->width > 4096 || c->height > 4096 || c->fps > 60)
		return EINVAL;
	return 0;
}

int vcomp_new(struct vcomp **vcp, const struct vcomp_cfg *cfg)
{
	struct vcomp *vc;
	int err;

	if (!vcp || !cfg)
		return EINVAL;
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return ENOMEM;
	vc->efd = -1;
	err = cfg_fix(&vc->cfg, cfg);
	if (err)
		goto out;
	atomic_init(&vc->refs, 1);
	err = sync_init(vc);
	if (!err)
		err = spsc_init(&vc->in, VCOMP_IN_CAP, sizeof(struct vcomp_in));
	if (!err)
		err = spsc_init(&vc->out, VCOMP_OUT_CAP,
				sizeof(struct vcomp_pkt));
	if (!err)
		err = spsc_init(&vc->keys, VCOMP_KEYS_CAP, sizeof(uint32_t));
	if (!err)
		err = vframe_alloc(&vc->run.canvas, vc->cfg.width,
				   vc->cfg.height);
	if (err)
		goto out;
	vframe_fill(&vc->run.canvas, 16, 128, 128);
	vcomp_layout(vc->cfg.layout, vc->cfg.width, vc->cfg.height,
		     vc->run.rect, &vc->run.nrect);
	vc->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vc->efd < 0) {
		err = errno;
		goto out;
	}
	err = pthread_create(&vc->thread, NULL, composer, vc);
	if (!err)          /* for top -H and perf: which thread is which */
		(void)pthread_setname_np(vc->thread, "caucus-compose");
 out:
	if (err) {
		vcomp_free(vc);
		return err;
	}
	*vcp = vc;
	return 0;
}

void vcomp_get(struct vcomp *vc)
{
	atomic_fetch_add_explicit(&vc->refs, 1, memory_order_relaxed);
}

static void put(struct vcomp *vc, bool wait)
{
	bool self;

	if (!vc || atomic_fetch_sub_explicit(&vc->refs, 1,
					     memory_order_acq_rel) != 1)
		return;
	/* The last put: the composer's thread is stopped and joined; or,
	 * from a forwarding thread (which must not wait for an encode to
	 * end), or from the composer's own thread (which cannot join
	 * itself), detached: it frees everything as it ends. */
	self = !wait || pthread_equal(pthread_self(), vc->thread);
	/* detached before it is told to stop: once told, it may free vc
	 * (and vc->thread) at any moment */
	if (self)
		pthread_detach(vc->thread);
	pthread_mutex_lock(&vc->lock);
	vc->stop = true;
	vc->self_free = self;
	pthread_cond_signal(&vc->cond);
	pthread_mutex_unlock(&vc->lock);
	if (self)
		return;
	pthread_join(vc->thread, NULL);
	vcomp_free(vc);
}

void vcomp_put(struct vcomp *vc)
{
	put(vc, true);
}

void vcomp_put_nowait(struct vcomp *vc)
{
	put(vc, false);
}
