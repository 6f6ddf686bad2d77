/*
 * Video decoders and encoders (vcodec.c): VP8 and VP9 with libvpx, H.264
 * with libavcodec (decoding by its own decoder, encoding by libx264
 * through it, baseline-compatible constrained profile, no B frames),
 * pictures in I420. Used by the composer (vcomp.c) and the test peer
 * (tools/vidpeer). One object per thread at a time.
 */
#ifndef CAUCUS_VCODEC_H
#define CAUCUS_VCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "video/video.h"

/* An I420 picture (views; the owner of the planes says how long they
 * live) */
struct vframe {
	unsigned w, h;
	uint8_t *y, *u, *v;
	int ys, us, vs;       /* strides */
};

struct vdec;
int  vdec_alloc(struct vdec **dp, enum video_codec c);
void vdec_free(struct vdec *d);
/* One encoded frame. 1: *out holds a picture (valid until the next
 * call); 0: none yet; <0: the frame could not be decoded (ask for a
 * keyframe) */
int  vdec_frame(struct vdec *d, const uint8_t *data, size_t len,
		struct vframe *out);

struct venc;
int  venc_alloc(struct venc **ep, enum video_codec c, unsigned w, unsigned h,
		unsigned fps, unsigned kbps);
void venc_free(struct venc *e);
/* Encodes one picture (of the encoder's size); key: force a keyframe.
 * 1: *data, *len (valid until the next call) hold the frame (H.264:
 * Annex B), *is_key says what it is; 0: the encoder held it back */
int  venc_frame(struct venc *e, const struct vframe *in, bool key,
		const uint8_t **data, size_t *len, bool *is_key);
/* The encoder's target, changed on the fly */
int  venc_bitrate(struct venc *e, unsigned kbps);

/* A picture of w x h with its own planes (vframe_free frees them) */
int  vframe_alloc(struct vframe *f, unsigned w, unsigned h);
void vframe_free(struct vframe *f);
/* Fills f with one colour (Y, U, V) */
void vframe_fill(struct vframe *f, uint8_t y, uint8_t u, uint8_t v);
/* The mean Y, U, V of a rectangle of f */
void vframe_mean(const struct vframe *f, unsigned x, unsigned y, unsigned w,
		 unsigned h, double yuv[3]);

#endif
