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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum media_codec { MEDIA_PCMU = 0, MEDIA_PCMA = 8, MEDIA_G722 = 9,
		   MEDIA_OPUS = 111,      /* Opus: our offer's payload type */
		   /* 16-bit linear PCM at 16 kHz, host order: what an
		    * application (prompt player, recorder) joins a mix
		    * with; never in SDP (not an RTP payload type) */
		   MEDIA_L16 = 256 };

#define MEDIA_NCODECS 5
/* Mix rates a conference may have, and the largest 20 ms frame */
#define MEDIA_RATES {8000, 16000, 48000}
#define MEDIA_FRAME_MAX 960
int  media_rate_valid(unsigned hz);
/* The rate c carries (what a room of its callers needs to mix at) */
unsigned media_codec_rate(enum media_codec c);
/* The rate c's decoder gives and its encoder takes in a mix at mix_hz */
unsigned media_native_rate(enum media_codec c, unsigned mix_hz);
/* c's RTP clock: 48000 for Opus, 16000 for L16, 8000 for the others
 * (G.722 as RFC 3551 says, though it samples at 16 kHz) */
unsigned media_rtp_clock(enum media_codec c);
/* 0..MEDIA_NCODECS - 1, for tables indexed by codec */
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
/* n samples at the mix rate to the native rate (out holds max): samples
 * written; a copy when the rates are the same (an application's sink:
 * the mix it hears, at MEDIA_L16's rate) */
size_t media_coder_from_mix(struct media_coder *mc, const int16_t *in,
			    size_t n, int16_t *out, size_t max);
/* The coder *mcp made again for another mix rate (a room that changes
 * rate), what it can keep kept: G.722's codec state goes on (Opus runs
 * at the mix rate and starts again); its resamplers are new. 0, or an
 * errno (*mcp unchanged) */
int  media_coder_rerate(struct media_coder **mcp, enum media_codec c,
			unsigned mix_hz, const struct media_opus_fmtp *fmtp);
/* The delay of mc's receive (rx) or send resampler, in samples at
 * MEDIA_DELAY_HZ (every mix rate divides it); 0 without one */
#define MEDIA_DELAY_HZ 48000
unsigned media_coder_delay(const struct media_coder *mc, bool rx);
/* Priming new resamplers (a room that changes rate): n native samples
 * through the receive resampler, all it makes (at most max) into out
 * (a copy without one); n samples at the mix rate through the send
 * resampler, what it makes thrown away */
size_t media_coder_rx_feed(struct media_coder *mc, const int16_t *in,
			   size_t n, int16_t *out, size_t max);
void media_coder_tx_prime(struct media_coder *mc, const int16_t *in,
			  size_t n);
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

/*
 * Audio files and speech for the conference applications (prompts and
 * recordings). These run on the applications' I/O thread, never on a
 * mixer thread: they read and write files and allocate. Audio handed in
 * and out is 16 kHz mono signed 16-bit PCM, the rate applications use.
 * Each returns 0 or an errno value; a buffer returned in *pcm is
 * malloc'd (never NULL on success, even for no samples) and the caller
 * frees it.
 */
#define MEDIA_APP_HZ 16000
/* The longest audio read or rendered: 10 minutes (EFBIG beyond) */
#define MEDIA_APP_MAX_SAMPLES (600u * MEDIA_APP_HZ)

/* A RIFF/WAVE file held in memory (media/mfile.c): PCM of 16 or 8 bits
 * (also as WAVE_FORMAT_EXTENSIBLE), G.711 A-law (6) and mu-law (7); mono
 * or stereo (averaged); at 8, 16, 22.05, 24, 32, 44.1 or 48 kHz,
 * resampled to MEDIA_APP_HZ. A data chunk longer than the buffer is cut
 * to what is there (a streaming writer's 0xFFFFFFFF), as is a partial
 * last frame. EBADMSG: malformed; ENOTSUP: well formed but another
 * format, channel count or rate; EFBIG: longer than 10 minutes. */
int media_wav_parse(const uint8_t *buf, size_t len, int16_t **pcm,
		    size_t *n);
/* An Ogg Opus file (libopusfile), channels averaged, resampled from
 * 48 kHz to MEDIA_APP_HZ. Errors as media_wav_parse's, and the file
 * system's (ENOENT, EACCES, ...). */
int media_ogg_opus_load(const char *path, int16_t **pcm, size_t *n);
/* A WAV or Ogg Opus file, told apart by its first bytes (not its name);
 * at most 64 MB (EFBIG); EBADMSG for anything else. */
int media_audio_file_load(const char *path, int16_t **pcm, size_t *n);
/* n samples at hz (8000 to 48000) to MEDIA_APP_HZ (speexdsp), into a
 * new buffer of about n * MEDIA_APP_HZ / hz samples */
int media_resample_to_app(const int16_t *in, size_t n, unsigned hz,
			  int16_t **out, size_t *outn);

/* Text to speech (media/tts.c, espeak-ng): text (UTF-8, at most 1000
 * bytes: E2BIG; empty: EINVAL) spoken in lang ("en", "en-us", "de",
 * "fr"; NULL or "" is "en", and one espeak-ng does not know falls back to
 * "en"), silence at either end cut to 100 ms, the peak at -6 dBFS. Text
 * with nothing to say (spaces, punctuation) gives 0 samples. ENOENT:
 * espeak-ng's data is not installed.
 * espeak-ng keeps global state and is not thread-safe: only one thread,
 * the applications' I/O thread, may ever call this. */
#define MEDIA_TTS_MAX_TEXT 1000
int media_tts_render(const char *text, const char *lang, int16_t **pcm,
		     size_t *n);

/* A recording being written (media/recfile.c): Ogg Opus (libopusenc,
 * 32 kb/s, mono) or WAV (16-bit PCM mono, written about once a second
 * with its header's sizes, so a file cut short by a crash still plays
 * up to then; opening only creates the file, the first write puts the
 * header in).
 * Input at hz: 8000, 16000 or 48000. title (may be NULL) goes in the Ogg
 * file's TITLE comment. After a write fails, the writer stays failed and
 * every later write and the close return the same error (ENOSPC, EIO,
 * ...). Close finishes the file, frees r and reports the samples
 * written (samples may be NULL). */
struct media_rec;
enum media_rec_format { MEDIA_REC_OGG_OPUS, MEDIA_REC_WAV };
int media_rec_open(struct media_rec **rp, const char *path,
		   enum media_rec_format fmt, unsigned hz, const char *title);
int media_rec_write(struct media_rec *r, const int16_t *pcm, size_t n);
int media_rec_close(struct media_rec *r, uint64_t *samples);
/* "ogg" or "wav"; parse takes those (EINVAL for anything else) */
const char *media_rec_format_name(enum media_rec_format f);
int media_rec_format_parse(const char *s, enum media_rec_format *f);

#endif
