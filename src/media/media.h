/*
 * Codecs and sample helpers, all at the mixer's 8 kHz: G.711 (stateless,
 * pure functions), and G.722 (spandsp, in its 8 kHz linear mode) and Opus
 * (libopus, 8 kHz API rate) through coder objects that hold their state.
 * A coder is made when a stream is added and used by one mixer thread.
 */
#ifndef CAUCUS_MEDIA_H
#define CAUCUS_MEDIA_H

#include <stddef.h>
#include <stdint.h>

enum media_codec { MEDIA_PCMU = 0, MEDIA_PCMA = 8, MEDIA_G722 = 9,
		   MEDIA_OPUS = 111 };    /* Opus: our offer's payload type */

#define MEDIA_NCODECS 4
/* 0..3, for tables indexed by codec */
unsigned media_codec_index(enum media_codec c);
const char *media_codec_name(enum media_codec c);
/* The RTP clock of c (Opus: 48000, the others 8000 (G.722 as RFC 3551
 * says)) over the mixer's 8 kHz: 6 or 1 */
unsigned media_clock_ratio(enum media_codec c);
/* The largest encoded frame of 20 ms */
#define MEDIA_MAX_PAYLOAD 400
struct media_coder;
/* Opus: the lost frame of `samples` before this packet, from the in-band
 * FEC it carries (RFC 6716 s. 2.1.7); samples, or -1 */
int  media_coder_decode_fec(struct media_coder *mc, int16_t *pcm,
			    size_t samples, const uint8_t *src, size_t len);
/* How many 8 kHz samples an Opus packet holds (from its TOC; no decode) */
int  media_opus_samples(const uint8_t *payload, size_t len);

/* State for one direction pair of one stream (or a room's shared mix) */
struct media_coder;
/* NULL for G.711 (no state needed) or on failure (*errp set) */
struct media_coder *media_coder_new(enum media_codec c, int *errp);
void media_coder_free(struct media_coder *mc);
/* n samples at 8 kHz into dst (dsz bytes): bytes written, 0 on failure */
size_t media_coder_encode(struct media_coder *mc, enum media_codec c,
			  uint8_t *dst, size_t dsz, const int16_t *pcm,
			  size_t n);
/* A payload into at most max samples at 8 kHz: samples, or -1 */
int  media_coder_decode(struct media_coder *mc, enum media_codec c,
			int16_t *pcm, size_t max, const uint8_t *src,
			size_t len);

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
