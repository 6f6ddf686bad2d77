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

/* Music on hold: a soft melody (an arpeggio, 300 ms a note, about
 * -16 dBFS) at 8 kHz, a pure function of the sample position, so every
 * waiting caller on a mixer thread hears the same music and nothing is
 * allocated. Frequencies are in MEDIA_MOH_NOTES_HZ (for the tests). */
#define MEDIA_MOH_NOTES_HZ {392, 523, 659, 784, 659, 523}
void media_moh_frame(uint64_t pos, int16_t *out, size_t n);

#endif
