/*
 * Who is talking: a level per 20 ms frame (RFC 6464's -dBov, 0 loudest,
 * 127 silence) and a detector with hysteresis in level and in time, so a
 * talker's short pauses do not flap the indicator and a click does not
 * raise it. Pure; the mixer thread runs one per stream.
 */
#ifndef CAUCUS_TALK_H
#define CAUCUS_TALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/media.h"

#define TALK_ON_DBOV 42      /* louder than -42 dBov ... */
#define TALK_ON_FRAMES 3     /* ... for 60 ms: talking */
#define TALK_OFF_DBOV 48     /* quieter than -48 dBov (or no audio) ... */
#define TALK_OFF_FRAMES 20   /* ... for 400 ms: stopped */

struct talk {
	bool talking;
	uint8_t level;       /* of the last frame, -dBov */
	uint16_t run;        /* frames in a row pointing the other way */
};

/* -dBov of a frame of n samples, 0..127 (RFC 6464 s. 3) */
uint8_t talk_level(const int16_t *frame, size_t n);
/* The same from the frame's energy (the sum of its squared samples) */
uint8_t talk_level_energy(double energy, size_t n);
/* The same of a G.711 payload (c: either law) of n bytes, from its
 * bytes without decoding them */
uint8_t talk_level_g711(enum media_codec c, const uint8_t *payload,
			size_t n);
/* One frame (NULL: none arrived). True when talking changed. */
bool talk_frame(struct talk *t, const int16_t *frame, size_t n);
/* The same with the frame's level already known (RFC 6464: the sender
 * measured it; 127 for none) */
bool talk_level_frame(struct talk *t, uint8_t level);

#endif
