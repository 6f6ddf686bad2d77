/*
 * Codecs and sample helpers. Pure functions, safe on any thread; the mixer
 * calls them on its own thread. G.711 now; G.722 and Opus come with the
 * media-engine work.
 */
#ifndef CAUCUS_MEDIA_H
#define CAUCUS_MEDIA_H

#include <stddef.h>
#include <stdint.h>

enum media_codec { MEDIA_PCMU = 0, MEDIA_PCMA = 8 };

uint8_t g711_ulaw_encode(int16_t s);
int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_alaw_encode(int16_t s);
int16_t g711_alaw_decode(uint8_t a);

/* Whole-buffer forms; n samples <-> n bytes. */
void media_encode(enum media_codec c, uint8_t *dst, const int16_t *src,
		  size_t n);
void media_decode(enum media_codec c, int16_t *dst, const uint8_t *src,
		  size_t n);

#endif
