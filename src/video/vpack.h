/*
 * RTP payload formats of video (vpack.c): a sender's packets assembled
 * into frames for a decoder, and an encoded frame cut into packets.
 * VP8 (RFC 7741), H.264 packetization-mode 1 (RFC 6184: single NAL, STAP-A
 * taken, FU-A both ways; frames are Annex B byte streams), VP9
 * (draft-ietf-payload-vp9, non-flexible mode, one spatial layer). Used by
 * the composer (vcomp.c) and the test peer (tools/vidpeer). Any thread;
 * one object per stream.
 */
#ifndef CAUCUS_VPACK_H
#define CAUCUS_VPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "video/video.h"

struct vdepack;

/* max: the largest frame assembled (bigger ones are dropped, counted as
 * a loss) */
int  vdepack_alloc(struct vdepack **dp, enum video_codec c, size_t max);
void vdepack_free(struct vdepack *d);
/*
 * One RTP packet's payload. Returns 1 when a frame is complete: *frame
 * and *flen (valid until the next call) and *key (a keyframe); 0 when
 * more is needed; -1 when the frame being assembled was lost (a gap in
 * seq, a bad payload): everything up to the next keyframe is dropped and
 * *need_key says a keyframe should be asked for (once per loss).
 */
int  vdepack_push(struct vdepack *d, uint16_t seq, uint32_t ts, bool marker,
		  const uint8_t *pl, size_t len, const uint8_t **frame,
		  size_t *flen, bool *key, bool *need_key);

/* Called for each packet of a frame, in order; last: the frame's last
 * (the RTP marker) */
typedef int (vpack_h)(const uint8_t *pl, size_t len, bool last, void *arg);
/* Cuts an encoded frame (H.264: Annex B) into payloads of at most mtu
 * bytes; picid: VP8/VP9's 15-bit picture id for this frame */
int  vpack_frame(enum video_codec c, const uint8_t *frame, size_t len,
		 bool key, uint16_t picid, size_t mtu, vpack_h *h, void *arg);

#endif
