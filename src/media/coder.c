/*
 * Codec state (see media.h). G.711 needs none and goes through the
 * table-driven functions of g711.c. G.722 (spandsp) runs in its 8 kHz
 * linear mode: it stays bit-compatible with wideband G.722 terminals while
 * the mix is narrowband. Opus (libopus) is opened at an API rate of
 * 8 kHz: it decodes any Opus stream to 8 kHz and encodes our 8 kHz mix as
 * a normal Opus stream (VoIP application, in-band FEC on).
 * A coder is allocated once per stream (or room) when it is added, never
 * in a tick.
 */
#include <errno.h>
#include <stdlib.h>
#include <opus/opus.h>
#include <spandsp.h>
#include "media/media.h"

struct media_coder {
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	OpusEncoder *opuse;
	OpusDecoder *opusd;
};

unsigned media_codec_index(enum media_codec c)
{
	switch (c) {
	case MEDIA_PCMA: return 1;
	case MEDIA_G722: return 2;
	case MEDIA_OPUS: return 3;
	default:         return 0;
	}
}

const char *media_codec_name(enum media_codec c)
{
	static const char *const names[MEDIA_NCODECS] = {
		"PCMU", "PCMA", "G722", "opus"};

	return names[media_codec_index(c)];
}

unsigned media_clock_ratio(enum media_codec c)
{
	return c == MEDIA_OPUS ? 6 : 1;
}

void media_coder_free(struct media_coder *mc)
{
	if (!mc)
		return;
	if (mc->g722e)
		g722_encode_free(mc->g722e);
	if (mc->g722d)
		g722_decode_free(mc->g722d);
	if (mc->opuse)
		opus_encoder_destroy(mc->opuse);
	if (mc->opusd)
		opus_decoder_destroy(mc->opusd);
	free(mc);
}

struct media_coder *media_coder_new(enum media_codec c, int *errp)
{
	struct media_coder *mc;
	int oerr = OPUS_OK;

	*errp = 0;
	if (c != MEDIA_G722 && c != MEDIA_OPUS)
		return NULL;
	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		*errp = ENOMEM;
		return NULL;
	}
	if (c == MEDIA_G722) {
		mc->g722e = g722_encode_init(NULL, 64000,
					     G722_SAMPLE_RATE_8000);
		mc->g722d = g722_decode_init(NULL, 64000,
					     G722_SAMPLE_RATE_8000);
		if (!mc->g722e || !mc->g722d)
			oerr = OPUS_ALLOC_FAIL;
	}
	else {
		mc->opuse = opus_encoder_create(8000, 1,
						OPUS_APPLICATION_VOIP, &oerr);
		if (oerr == OPUS_OK)
			mc->opusd = opus_decoder_create(8000, 1, &oerr);
		if (oerr == OPUS_OK) {
			opus_encoder_ctl(mc->opuse, OPUS_SET_BITRATE(24000));
			opus_encoder_ctl(mc->opuse, OPUS_SET_COMPLEXITY(5));
			opus_encoder_ctl(mc->opuse, OPUS_SET_INBAND_FEC(1));
			opus_encoder_ctl(mc->opuse,
					 OPUS_SET_PACKET_LOSS_PERC(5));
		}
	}
	if (oerr != OPUS_OK) {
		media_coder_free(mc);
		*errp = ENOMEM;
		return NULL;
	}
	return mc;
}

size_t media_coder_encode(struct media_coder *mc, enum media_codec c,
			  uint8_t *dst, size_t dsz, const int16_t *pcm,
			  size_t n)
{
	int r;

	switch (c) {
	case MEDIA_G722:
		if (!mc || n > dsz)
			return 0;
		r = g722_encode(mc->g722e, dst, pcm, (int)n);
		return r > 0 ? (size_t)r : 0;
	case MEDIA_OPUS:
		if (!mc)
			return 0;
		r = opus_encode(mc->opuse, pcm, (int)n, dst, (opus_int32)dsz);
		return r > 0 ? (size_t)r : 0;
	default:
		if (n > dsz)
			return 0;
		media_encode(c, dst, pcm, n);
		return n;
	}
}

int media_coder_decode(struct media_coder *mc, enum media_codec c,
		       int16_t *pcm, size_t max, const uint8_t *src,
		       size_t len)
{
	switch (c) {
	case MEDIA_G722:
		if (!mc || len > max)
			return -1;
		return g722_decode(mc->g722d, pcm, src, (int)len);
	case MEDIA_OPUS:
		if (!mc)
			return -1;
		return opus_decode(mc->opusd, src, (opus_int32)len, pcm,
				   (int)max, 0);
	default:
		if (len > max)
			return -1;
		media_decode(c, pcm, src, len);
		return (int)len;
	}
}

int media_opus_samples(const uint8_t *payload, size_t len)
{
	int n = opus_packet_get_nb_samples(payload, (opus_int32)len, 8000);

	return n > 0 ? n : -1;
}

int media_coder_decode_fec(struct media_coder *mc, int16_t *pcm,
			   size_t samples, const uint8_t *src, size_t len)
{
	if (!mc || !mc->opusd)
		return -1;
	/* the frame before src, from its in-band FEC (or libopus's own
	 * concealment when it carries none) */
	return opus_decode(mc->opusd, src, (opus_int32)len, pcm,
			   (int)samples, 1);
}
