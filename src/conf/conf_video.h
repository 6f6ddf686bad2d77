/*
 * A conference's video (conf_video.c; docs/video.md): its settings, who
 * is shown, and who may steer whose camera. The focus carries it to the
 * video forwarder (conf_ops' video) and answers video in SDP by
 * conf_video()->status. Signalling thread only.
 *
 * Who is shown follows the audio talker detector, steadily: a
 * participant who sends video becomes the speaker shown once it has been
 * talking for talk_ms without a pause the detector counts (a cough, a
 * "yes" are shorter), not before the speaker shown has been shown for
 * hold_ms, and not while the speaker shown still talks, having begun
 * first. Who is shown, in order (conf_video_order): the pinned
 * participant, the holders of the audio floor (floor control), the
 * speaker, the speakers before (most recent first), then everyone else
 * who sends video. The forwarder shows each receiver the first of these
 * that is not itself and whose codec it takes (so the speaker sees the
 * speaker before), or composes them in that order.
 */
#ifndef CAUCUS_CONF_VIDEO_H
#define CAUCUS_CONF_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct participant;

struct conf_video {
	char status[12];     /* as participants see it (RFC 4575): sendrecv
			      * (the default), recvonly, sendonly,
			      * inactive, or none (port 0) */
	char mode[10];       /* switched (the default) or composed */
	char layout[4];      /* composed: 1, 2x2 (the default), 3x3, 1+5 */
	uint16_t width, height;   /* composed picture: 640 x 360 */
	uint8_t fps;              /* 15 */
	uint16_t kbps;            /* 600 */
	uint32_t hold_ms;    /* a speaker shown stays at least (2000) */
	uint32_t talk_ms;    /* talking before shown (1000) */
	char camera[16];     /* who may steer another's camera: none,
			      * moderators (the default), participants */
};

const struct conf_video *conf_video(const struct conf *c);
/* 0, or EINVAL with the member and why in detail */
int  conf_video_check(const struct conf_video *v, char *detail, size_t sz);
/* Stores and applies (a new status re-INVITEs everyone): 0, EINVAL,
 * EIO when the store failed (nothing changed) */
int  conf_set_video(struct conf *c, const struct conf_video *v);
/* Pins p (NULL: none) first in the order, a new version */
void conf_video_pin(struct conf *c, const struct participant *p);
const struct participant *conf_video_pinned(const struct conf *c);
/* The speaker shown (NULL: nobody sends video) */
const struct participant *conf_video_shown(const struct conf *c);
/* Who is shown, most wanted first (at most max): see the top */
unsigned conf_video_order(const struct conf *c,
			  const struct participant **out, unsigned max);
/* May from steer to's camera (from NULL: a moderator by the API)? */
bool conf_camera_allowed(const struct conf *c, const struct participant *from,
			 const struct participant *to);
/* Steers to's camera (h224.h's action names; n: the preset or source
 * number): 0; EPERM where the camera policy says no; ENOENT when to has
 * no camera control stream; EINVAL for an unknown action */
int  conf_camera(struct conf *c, const struct participant *from,
		 struct participant *to, const char *action, unsigned n);

#endif
