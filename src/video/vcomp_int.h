/*
 * Private to the composer (vcomp.c: the object, the rings, the thread's
 * loop and the encoding; vcomp_tile.c: layouts, the senders' decoding
 * and scaling, the canvas). Nothing else includes it.
 *
 * Who touches what: struct vcomp_run belongs to the composer's thread;
 * the fwd_ fields to the forwarding thread (the rings' one producer);
 * the tiles under `lock` and the atomics to both.
 */
#ifndef CAUCUS_VCOMP_INT_H
#define CAUCUS_VCOMP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "util/spsc.h"
#include "video/vcodec.h"
#include "video/vcomp.h"
#include "video/vpack.h"

struct SwsContext;

#define VCOMP_MAX_TILES 9            /* 3x3 */
#define VCOMP_PKT_MAX 1500           /* the largest RTP packet taken */
#define VCOMP_FRAME_MAX (512u << 10) /* the largest frame assembled */
/* Rings (powers of 2). Input is drained once a frame (67 ms at 15 fps):
 * nine senders at 1 Mb/s fill 64 slots in that time, so 512 leave room
 * for all their keyframes arriving together. Output holds a keyframe of
 * every codec. */
#define VCOMP_IN_CAP 512
#define VCOMP_OUT_CAP 512
#define VCOMP_KEYS_CAP 64
#define VCOMP_MS 1000000ull
#define VCOMP_KEY_MIN_NS (500 * VCOMP_MS)   /* keyframes we send */
#define VCOMP_KEY_GAP_NS (500 * VCOMP_MS)   /* asks to one sender */
#define VCOMP_KEY_RETRY_NS (1000 * VCOMP_MS) /* asked again while it
					      * sends but no keyframe came */
#define VCOMP_IDLE_NS (1000 * VCOMP_MS)     /* a picture at least this
					     * often, changed or not */

/* A packet on its way in (a copy) */
struct vcomp_in {
	uint32_t id;
	unsigned gen;            /* the tiles' generation it was sent under */
	enum video_codec codec;
	uint16_t len;
	uint8_t pkt[VCOMP_PKT_MAX];
};

struct vcomp_rect {
	unsigned x, y, w, h;     /* even, so chroma lines up */
};

/* The sender shown in a tile */
struct vcomp_src {
	bool used;
	uint32_t id;
	enum video_codec codec;
	struct vdepack *dp;
	struct vdec *dec;
	struct vframe pic;       /* its latest picture, at the tile's size */
	bool have_pic;
	bool broken;             /* a decoding error: hidden until a key */
	uint64_t key_asked_ns;   /* 0: not waiting for a keyframe */
	bool rx_since_ask;       /* packets came since we asked */
	struct SwsContext *sws;
};

struct vcomp_run {
	unsigned gen;            /* the tiles' generation applied */
	struct vcomp_src src[VCOMP_MAX_TILES];   /* by tile */
	struct vcomp_rect rect[VCOMP_MAX_TILES];
	unsigned nrect;
	struct vframe canvas;
	struct venc *enc[VIDEO_NCODECS];
	unsigned want;           /* the codecs the encoders match */
	uint16_t picid[VIDEO_NCODECS];
	uint64_t last_key_ns[VIDEO_NCODECS];
	unsigned key_pending;    /* codecs owing receivers a keyframe */
	unsigned key_now;        /* codecs whose receivers missed a frame */
	bool dirty;              /* a tile changed since the last picture */
	uint64_t last_compose_ns;
	struct vcomp_in item;    /* the packet being handled */
	struct vcomp_pkt pkt;    /* the payload being queued */
};

struct vcomp_atomics {
	_Atomic uint64_t frames, encoded[VIDEO_NCODECS], busy_us;
	_Atomic uint64_t decoded, decode_errors, input_dropped;
	/* not in vcomp_stats (yet): the CPU time of each codec's encoding
	 * and packetizing, for bench/vcompbench.c */
	_Atomic uint64_t enc_us[VIDEO_NCODECS];
};

struct vcomp {
	atomic_uint refs;
	struct vcomp_cfg cfg;
	int efd;
	pthread_t thread;
	struct spsc in, out, keys;
	pthread_mutex_t lock;    /* the tiles, stop, self_free */
	pthread_cond_t cond;     /* wakes the thread to stop */
	bool sync_init;
	bool stop, self_free;
	uint32_t tiles[VCOMP_MAX_TILES];
	unsigned ntiles, tiles_gen;
	atomic_uint gen;         /* tiles_gen, for a lock-free look */
	atomic_uint want;
	atomic_uint keyreq;
	struct vcomp_atomics st;
	/* the forwarding thread's */
	uint32_t fwd_tiles[VCOMP_MAX_TILES];
	unsigned fwd_ntiles, fwd_gen;
	struct vcomp_in fwd_item;
	/* the composer thread's */
	struct vcomp_run run;
};

/* vcomp_tile.c */
void vcomp_layout(enum video_layout l, unsigned w, unsigned h,
		  struct vcomp_rect *r, unsigned *n);
void vcomp_tiles_apply(struct vcomp *vc, const uint32_t *ids, unsigned n,
		       uint64_t now);
void vcomp_src_packet(struct vcomp *vc, const struct vcomp_in *in,
		      uint64_t now);
void vcomp_src_retry(struct vcomp *vc, uint64_t now);
void vcomp_src_clear(struct vcomp_src *s);
void vcomp_canvas_compose(struct vcomp *vc);
/* vcomp.c */
void vcomp_ask_key(struct vcomp *vc, struct vcomp_src *s, uint64_t now);

#endif
