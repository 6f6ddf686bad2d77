/*
 * The composer's CPU per composed frame (src/video/vcomp.c): senders of
 * moving pictures (bars and a box that move, a gradient, a little sensor
 * noise), VP8 and H.264 in turn, encoded beforehand and fed as RTP at
 * their frame rate to a composer of 640x360 at 15 fps, which decodes,
 * scales, composes and encodes VP8, H.264 or both. Measured: the
 * composer thread's CPU time (CLOCK_THREAD_CPUTIME_ID, vcomp_stats) per
 * composed frame, after a second of warm-up, and each codec's share:
 * the CPU time of its encoding and packetizing, which the composer
 * keeps in its private counters (vcomp_int.h: not in vcomp_stats).
 *
 * Usage: caucus-vcompbench [seconds per run, default 10]
 * Prints markdown tables (docs/benchmarks.md takes them as they are).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mixer/rtp.h"
#include "video/vcodec.h"
#include "video/vcomp_int.h"
#include "video/vpack.h"

#define FPS 15
#define MAXSRC 9
#define MAXPKT 64               /* packets of one source frame */

struct sframe {                 /* one source frame, as RTP packets */
	unsigned n;
	uint16_t len[MAXPKT];
	uint8_t *pkt[MAXPKT];
};

struct source {
	uint32_t id;
	enum video_codec c;
	unsigned nframes;
	struct sframe *f;
	uint16_t seq;
	uint64_t bytes;
};

struct pack_arg {
	struct source *s;
	struct sframe *f;
	uint32_t ts;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "vcompbench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Moving content: bars that slide, a box that bounces, a gradient that
 * drifts, and noise of a few levels like a camera's */
static void draw(struct vframe *f, unsigned idx, unsigned t)
{
	unsigned bx = (t * 5 + idx * 40) % (f->w - f->w / 5);
	unsigned by = (t * 3 + idx * 20) % (f->h - f->h / 4);
	uint32_t rnd = 0x9e3779b9u * (idx + 1) + t * 2654435761u;

	for (unsigned y = 0; y < f->h; y++)
		for (unsigned x = 0; x < f->w; x++) {
			unsigned v = ((x + t * (2 + idx)) / 16) % 2 ? 160 : 60;
			bool box = x >= bx && x < bx + f->w / 5 && y >= by &&
				   y < by + f->h / 4;

			rnd = rnd * 1664525u + 1013904223u;
			v = box ? 220 : (v + (x + y + t) / 8) % 200 + 16;
			f->y[y * f->ys + x] = (uint8_t)(v + (rnd >> 29));
		}
	for (unsigned y = 0; y < f->h / 2; y++)
		for (unsigned x = 0; x < f->w / 2; x++) {
			f->u[y * f->us + x] = (uint8_t)(90 + idx * 15 + x / 8);
			f->v[y * f->vs + x] = (uint8_t)(170 - idx * 10 + y / 8);
		}
}

static int pack_h(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct pack_arg *a = arg;
	struct sframe *f = a->f;
	uint8_t *p;

	if (f->n == MAXPKT)
		return ENOSPC;
	p = malloc(RTP_HDR_LEN + len);
	if (!p)
		return ENOMEM;
	rtp_write_hdr(p, last, 96, a->s->seq++, a->ts, a->s->id);
	memcpy(p + RTP_HDR_LEN, pl, len);
	f->pkt[f->n] = p;
	f->len[f->n++] = (uint16_t)(RTP_HDR_LEN + len);
	return 0;
}

/* n frames of source idx, encoded and packetized (the first a keyframe,
 * no other) */
static void source_make(struct source *s, unsigned idx, unsigned w,
			unsigned h, unsigned kbps, unsigned n)
{
	struct venc *e;
	struct vframe pic;
	int err;

	memset(s, 0, sizeof(*s));
	s->id = 1000 + idx;
	s->c = idx % 2 ? VIDEO_H264 : VIDEO_VP8;
	s->nframes = n;
	s->f = calloc(n, sizeof(*s->f));
	err = s->f ? venc_alloc(&e, s->c, w, h, FPS, kbps) : ENOMEM;
	if (!err)
		err = vframe_alloc(&pic, w, h);
	if (err)
		fail("source", err);
	for (unsigned t = 0; t < n; t++) {
		struct pack_arg a = {s, &s->f[t], t * (90000 / FPS)};
		const uint8_t *data;
		size_t len;
		bool key;

		draw(&pic, idx, t);
		if (venc_frame(e, &pic, false, &data, &len, &key) != 1)
			fail("source encode", EIO);
		s->bytes += len;
		err = vpack_frame(s->c, data, len, key, (uint16_t)t, 1200,
				  pack_h, &a);
		if (err)
			fail("source packetize", err);
	}
	vframe_free(&pic);
	venc_free(e);
}

static void source_free(struct source *s)
{
	for (unsigned t = 0; t < s->nframes; t++)
		for (unsigned i = 0; i < s->f[t].n; i++)
			free(s->f[t].pkt[i]);
	free(s->f);
}

struct result {
	double ms_per_frame, core_pct, kbps[VIDEO_NCODECS];
	double enc_ms[VIDEO_NCODECS];      /* per frame */
	uint64_t frames, key_asks, dropped;
};

/* The composer over the sources for secs (after one of warm-up) */
static void run(enum video_layout l, unsigned want, struct source *src,
		unsigned nsrc, unsigned secs, struct result *r)
{
	struct vcomp_cfg cfg = {l, 640, 360, FPS, 600};
	struct vcomp_stats a, b;
	struct vcomp_pkt p;
	struct vcomp *vc;
	uint32_t ids[MAXSRC], id;
	uint64_t period = 1000000000u / FPS, next, bytes[3] = {0};
	uint64_t enc0[VIDEO_NCODECS] = {0};
	unsigned total = (secs + 1) * FPS;
	int err;

	memset(r, 0, sizeof(*r));
	err = vcomp_new(&vc, &cfg);
	if (err)
		fail("vcomp_new", err);
	for (unsigned i = 0; i < nsrc; i++)
		ids[i] = src[i].id;
	vcomp_want(vc, want);
	vcomp_tiles(vc, ids, nsrc);
	next = now_ns();
	/* the senders spread over the frame interval, as independent
	 * cameras are: sender i's frames come i/nsrc of a period late */
	for (unsigned t = 0; t < total * nsrc; t++) {
		unsigned i = t % nsrc;
		struct sframe *f = &src[i].f[(t / nsrc) % src[i].nframes];

		if (t == FPS * nsrc) {        /* a second of warm-up */
			vcomp_stats(vc, &a);
			for (int c = 0; c < VIDEO_NCODECS; c++)
				enc0[c] = atomic_load(&vc->st.enc_us[c]);
		}
		for (unsigned k = 0; k < f->n; k++)
			if (!vcomp_input(vc, src[i].id, src[i].c, f->pkt[k],
					 f->len[k]))
				r->dropped++;
		next += period / nsrc;
		/* the payloads until the next sender's frame is due */
		for (uint64_t now = now_ns(); now < next; now = now_ns()) {
			struct pollfd pfd = {vcomp_fd(vc), POLLIN, 0};
			uint64_t cnt;

			if (poll(&pfd, 1, (int)((next - now) / 1000000) + 1) >
			    0 && read(pfd.fd, &cnt, sizeof(cnt)) < 0)
				fail("eventfd", errno);
			while (vcomp_output(vc, &p))
				if (t >= FPS * nsrc)
					bytes[p.codec] += p.len;
			while (vcomp_need_key(vc, &id))
				r->key_asks++;
		}
	}
	vcomp_stats(vc, &b);
	r->frames = b.frames - a.frames;
	if (r->frames)
		r->ms_per_frame = (double)(b.busy_us - a.busy_us) / 1000.0 /
				  (double)r->frames;
	r->core_pct = (double)(b.busy_us - a.busy_us) / 1e4 / secs;
	for (int c = 0; c < VIDEO_NCODECS; c++) {
		r->kbps[c] = (double)bytes[c] * 8 / 1000 / secs;
		if (r->frames)
			r->enc_ms[c] = (double)(atomic_load(&vc->st.enc_us[c]) -
						enc0[c]) / 1000.0 /
				       (double)r->frames;
	}
	if (b.decode_errors)
		fprintf(stderr, "vcompbench: %llu decode errors\n",
			(unsigned long long)b.decode_errors);
	vcomp_put(vc);
}

static const char *layout_name(enum video_layout l)
{
	return l == VIDEO_LAYOUT_3X3 ? "3x3" : l == VIDEO_LAYOUT_2X2 ? "2x2"
	       : l == VIDEO_LAYOUT_1P5 ? "1+5" : "1";
}

int main(int argc, char **argv)
{
	static const struct {
		enum video_layout l;
		unsigned n, w, h, kbps;
	} sets[] = {
		{VIDEO_LAYOUT_2X2, 4, 320, 180, 300},
		{VIDEO_LAYOUT_2X2, 4, 640, 360, 600},
		{VIDEO_LAYOUT_3X3, 9, 320, 180, 300},
	};
	static const unsigned outs[] = {1u << VIDEO_VP8, 1u << VIDEO_H264,
					1u << VIDEO_VP8 | 1u << VIDEO_H264};
	static const char *const out_name[] = {"VP8", "H.264", "VP8 + H.264"};
	unsigned secs = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
	struct result res[3][3];
	struct source src[MAXSRC];

	if (!secs)
		secs = 10;
	printf("composer 640x360 at %u fps, 600 kb/s per output; senders "
	       "VP8 and H.264 in turn at %u fps; %u s per run\n\n", FPS, FPS,
	       secs);
	printf("| layout | outputs | sources | ms CPU per frame | "
	       "%% of one core | frames | out kb/s | input dropped |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (unsigned s = 0; s < 3; s++) {
		unsigned nf = (secs + 1) * FPS;

		for (unsigned i = 0; i < sets[s].n; i++)
			source_make(&src[i], i, sets[s].w, sets[s].h,
				    sets[s].kbps, nf);
		for (unsigned o = 0; o < 3; o++) {
			struct result *r = &res[s][o];

			run(sets[s].l, outs[o], src, sets[s].n, secs, r);
			printf("| %s | %s | %u x %ux%u | %.2f | %.1f | %llu | "
			       "%.0f | %llu |\n", layout_name(sets[s].l),
			       out_name[o], sets[s].n, sets[s].w, sets[s].h,
			       r->ms_per_frame, r->core_pct,
			       (unsigned long long)r->frames,
			       r->kbps[VIDEO_VP8] + r->kbps[VIDEO_H264],
			       (unsigned long long)r->dropped);
			fflush(stdout);
		}
		for (unsigned i = 0; i < sets[s].n; i++)
			source_free(&src[i]);
	}
	printf("\nper-codec share (its encoding and packetizing) with both "
	       "outputs:\n\n");
	printf("| layout | sources | ms CPU per frame | VP8 encode ms/frame | "
	       "H.264 encode ms/frame | the rest (decode, scale, compose) "
	       "ms/frame |\n");
	printf("|---|---|---|---|---|---|\n");
	for (unsigned s = 0; s < 3; s++) {
		const struct result *r = &res[s][2];
		double all = r->ms_per_frame, vp8 = r->enc_ms[VIDEO_VP8];
		double h264 = r->enc_ms[VIDEO_H264];

		printf("| %s | %u x %ux%u | %.2f | %.2f (%.0f%%) | "
		       "%.2f (%.0f%%) | %.2f |\n", layout_name(sets[s].l),
		       sets[s].n, sets[s].w, sets[s].h, all, vp8,
		       100 * vp8 / all, h264, 100 * h264 / all,
		       all - vp8 - h264);
	}
	return 0;
}
