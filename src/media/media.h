/*
 * Codecs and sample helpers. A conference mixes at one rate (8, 16 or
 * 48 kHz); each codec decodes to and encodes from its native rate there:
 * G.711 at 8 kHz (stateless, pure functions), G.722 (spandsp) at 16 kHz,
 * Opus (libopus) at the mix rate itself. A coder object holds the codec
 * state and the speexdsp resamplers between native and mix rate where
 * they differ. A coder is
 * made when a stream is added (or its room changes rate) and used by one
 * mixer thread.
 */
#ifndef CAUCUS_MEDIA_H
#define CAUCUS_MEDIA_H

#include <stddef.h>
#include <stdint.h>

enum media_codec { MEDIA_PCMU = 0, MEDIA_PCMA = 8, MEDIA_G722 = 9,
		   MEDIA_OPUS = 111 };    /* Opus: our offer's payload type */

#define MEDIA_NCODECS 4
/* Mix rates a conference may have, and the largest 20 ms frame */
#define MEDIA_RATES {8000, 16000, 48000}
#define MEDIA_FRAME_MAX 960
int  media_rate_valid(unsigned hz);
/* The rate c's decoder gives and its encoder takes in a mix at mix_hz */
unsigned media_native_rate(enum media_codec c, unsigned mix_hz);
/* c's RTP clock: 48000 for Opus, 8000 for the others (G.722 as RFC 3551
 * says, though it samples at 16 kHz) */
unsigned media_rtp_clock(enum media_codec c);
/* 0..3, for tables indexed by codec */
unsigned media_codec_index(enum media_codec c);
const char *media_codec_name(enum media_codec c);
/* The largest encoded frame of 20 ms */
#define MEDIA_MAX_PAYLOAD 400
struct media_coder;
/* Opus: the lost frame of `samples` (native rate) before this packet,
 * from the in-band FEC it carries (RFC 6716 s. 2.1.7); samples, or -1 */
int  media_coder_decode_fec(struct media_coder *mc, int16_t *pcm,
			    size_t samples, const uint8_t *src, size_t len);
/* Opus: `samples` of the decoder's own concealment (packet loss
 * concealment; a multiple of 2.5 ms); samples, or -1 (no Opus decoder) */
int  media_coder_conceal(struct media_coder *mc, int16_t *pcm,
			 size_t samples);
/* How many samples at 48 kHz (its RTP clock) an Opus packet holds (from
 * its TOC; no decode), or -1 */
int  media_opus_samples(const uint8_t *payload, size_t len);

/* Opus settings from the peer's fmtp (RFC 7587 s. 6.1), how the peer
 * wants to receive; 0: not given */
struct media_opus_fmtp {
	uint32_t maxplaybackrate;     /* Hz */
	uint32_t maxaveragebitrate;   /* b/s */
	int8_t useinbandfec;          /* 1 yes, -1 no */
	int8_t usedtx;                /* 1 yes, -1 no */
};
/* Parses an fmtp parameter string ("useinbandfec=1; maxplaybackrate=
 * 16000"); unknown or malformed parameters are ignored */
void media_opus_fmtp_parse(struct media_opus_fmtp *f, const char *params);

/* State for one direction pair of one stream (or a room's shared mix) in
 * a mix at mix_hz. NULL for G.711 in an 8 kHz mix (no state needed) or on
 * failure (*errp set). fmtp: Opus only, may be NULL. */
struct media_coder *media_coder_new(enum media_codec c, unsigned mix_hz,
				    const struct media_opus_fmtp *fmtp,
				    int *errp);
void media_coder_free(struct media_coder *mc);
/* n samples at the mix rate (one 20 ms frame) into dst (dsz bytes):
 * bytes written, 0 on failure */
size_t media_coder_encode(struct media_coder *mc, enum media_codec c,
			  uint8_t *dst, size_t dsz, const int16_t *pcm,
			  size_t n);
/* A payload into at most max samples at the native rate: samples, or -1.
 * c is the payload's codec (a G.711 stream may switch law) */
int  media_coder_decode(struct media_coder *mc, enum media_codec c,
			int16_t *pcm, size_t max, const uint8_t *src,
			size_t len);
/* n native samples to the mix rate (out holds max): samples written;
 * a copy when the rates are the same */
size_t media_coder_to_mix(struct media_coder *mc, const int16_t *in,
			  size_t n, int16_t *out, size_t max);
/* Forget the receive resampler's history (its input had a gap) */
void media_coder_rx_reset(struct media_coder *mc);

/* G.711 packet loss concealment at 8 kHz (media/plc.c): every frame that
 * arrived goes through media_plc_rx, a missing one is made by
 * media_plc_fill (samples, or -1 without a concealer) */
struct media_plc;
struct media_plc *media_plc_new(void);
void media_plc_free(struct media_plc *p);
void media_plc_rx(struct media_plc *p, int16_t *pcm, size_t n);
int  media_plc_fill(struct media_plc *p, int16_t *pcm, size_t n);

uint8_t g711_ulaw_encode(int16_t s);
int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_alaw_encode(int16_t s);
int16_t g711_alaw_decode(uint8_t a);

/* The sum of the squares of n G.711 samples, read from their bytes
 * without decoding (within 1/16 per sample) */
uint64_t media_g711_energy(enum media_codec c, const uint8_t *src,
			   size_t n);
/* Forget what the concealer heard (a stretch not decoded: a loss right
 * after it is concealed with silence) */
void media_plc_reset(struct media_plc *p);

/* Whole-buffer forms; n samples <-> n bytes. */
void media_encode(enum media_codec c, uint8_t *dst, const int16_t *src,
		  size_t n);
void media_decode(enum media_codec c, int16_t *dst, const uint8_t *src,
		  size_t n);

/* Music on hold: a soft melody (an arpeggio, 300 ms a note, about
 * -16 dBFS), a pure function of the sample position at rate hz, so every
 * waiting caller on a mixer thread hears the same music and nothing is
 * allocated. Frequencies are in MEDIA_MOH_NOTES_HZ (for the tests). */
#define MEDIA_MOH_NOTES_HZ {392, 523, 659, 784, 659, 523}
void media_moh_frame(uint64_t pos, unsigned hz, int16_t *out, size_t n);

#endif
