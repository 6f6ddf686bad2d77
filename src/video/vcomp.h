/*
 * The composer of a conference in composed video (vcomp.c): continuous
 * presence. Each sender shown in a tile is depacketized (vpack.h) and
 * decoded (vcodec.h); at the conference's frame rate the latest picture
 * of each is scaled into its tile with libswscale (the layout: 1, 2x2,
 * 3x3, 1+5 with the first tile large), and the canvas is encoded once
 * per codec that receivers take and cut into RTP payloads. It runs on a
 * thread of its own, never on a forwarding thread or the audio tick.
 *
 * Between the forwarding thread and it: SPSC rings (packets in, payloads
 * out, keyframe requests both ways) and an eventfd that is readable when
 * payloads wait. The object is shared by counted references, so either
 * side may let go first; the composer's thread stops with the last one.
 */
#ifndef CAUCUS_VCOMP_H
#define CAUCUS_VCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "video/video.h"

struct vcomp;

struct vcomp_cfg {
	enum video_layout layout;
	unsigned width, height, fps, kbps;    /* 0: 640, 360, 15, 600 */
};

/* Signalling thread: a composer and its thread (one reference, the
 * caller's) */
int  vcomp_new(struct vcomp **vcp, const struct vcomp_cfg *cfg);
void vcomp_get(struct vcomp *vc);
/* Any thread: lets go of a reference; the last one stops the composer
 * and waits for its thread to end (a frame being encoded), or with
 * _nowait (a forwarding thread) leaves it to end and free itself */
void vcomp_put(struct vcomp *vc);
void vcomp_put_nowait(struct vcomp *vc);
/* Readable when payloads wait (vcomp_output); the forwarding thread
 * watches it */
int  vcomp_fd(const struct vcomp *vc);

/* The forwarding thread's side (one thread at a time): */
/* The tiles, in the layout's order (the first is the large one of
 * 1+5); senders in no tile are not decoded */
void vcomp_tiles(struct vcomp *vc, const uint32_t *ids, unsigned n);
/* One RTP packet (whole, decrypted) of sender id, in codec c. False:
 * the ring is full (the packet is lost to the composer, counted) */
bool vcomp_input(struct vcomp *vc, uint32_t id, enum video_codec c,
		 const uint8_t *pkt, size_t len);
/* The codecs receivers take (bit 1 << codec): encoders made and freed
 * to match */
void vcomp_want(struct vcomp *vc, unsigned codecs);
/* A receiver of codec c wants a keyframe */
void vcomp_keyframe(struct vcomp *vc, enum video_codec c);
/* The composed picture's payloads, in order */
#define VCOMP_MTU 1200
struct vcomp_pkt {
	enum video_codec codec;
	bool marker;            /* the frame's last */
	bool key_start;         /* a keyframe's first */
	uint32_t ts;            /* 90 kHz */
	size_t len;
	uint8_t payload[VCOMP_MTU];
};
bool vcomp_output(struct vcomp *vc, struct vcomp_pkt *p);
/* A sender whose keyframe the composer needs (its decoder lost track,
 * or it was just put in a tile); false: none */
bool vcomp_need_key(struct vcomp *vc, uint32_t *id);

struct vcomp_stats {
	uint64_t frames;          /* canvases composed */
	uint64_t encoded[VIDEO_NCODECS];
	uint64_t busy_us;         /* CPU time of the composer's thread */
	uint64_t decoded, decode_errors, input_dropped;
};
void vcomp_stats(const struct vcomp *vc, struct vcomp_stats *st);

#endif
