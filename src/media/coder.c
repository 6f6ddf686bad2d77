/*
 * Codec state (see media.h). G.711 needs none and goes through the
 * table-driven functions of g711.c; in a 16 or 48 kHz mix it still gets a
 * coder, for its resamplers. G.722 (spandsp) runs at its 16 kHz (in an
 * 8 kHz mix it is resampled like the others: spandsp's own 8 kHz mode
 * keeps only the lower sub-band, which lets a 5 kHz tone alias to 3 kHz).
 * Opus (libopus) is opened at the mix rate itself
 * (8, 16 and 48 kHz are all Opus API rates), so it never needs resampling:
 * it decodes any Opus stream to the mix rate and encodes the mix as a
 * normal Opus stream (VoIP application, in-band FEC on unless the peer's
 * fmtp says otherwise).
 * Between a native rate and the mix rate sit two speexdsp resamplers, one
 * per direction. A coder is allocated once per stream (or room) when it is
 * added or its room changes rate (media_coder_rerate, which keeps the
 * codec's state and can prime the new resamplers), never in a tick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <opus/opus.h>
#include <spandsp.h>
#include <speex/speex_resampler.h>
#include "media/media.h"

/* speexdsp's quality 3: its VoIP setting; integer ratios only here */
#define RESAMPLE_QUALITY 3

struct media_coder {
	enum media_codec codec;
	unsigned mix_hz, native_hz;
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	OpusEncoder *opuse;
	OpusDecoder *opusd;
	SpeexResamplerState *up;     /* native -> mix (receive) */
	SpeexResamplerState *down;   /* mix -> native (send) */
};

int media_rate_valid(unsigned hz)
{
	static const unsigned rates[] = MEDIA_RATES;

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] == hz)
			return 1;
	return 0;
}

unsigned media_native_rate(enum media_codec c, unsigned mix_hz)
{
	switch (c) {
	case MEDIA_G722: return 16000;
	case MEDIA_L16:  return 16000;
	case MEDIA_OPUS: return mix_hz;
	default:         return 8000;
	}
}

unsigned media_codec_rate(enum media_codec c)
{
	switch (c) {
	case MEDIA_G722: return 16000;
	case MEDIA_L16:  return 16000;
	case MEDIA_OPUS: return 48000;
	default:         return 8000;
	}
}

unsigned media_rtp_clock(enum media_codec c)
{
	return c == MEDIA_OPUS ? 48000 : c == MEDIA_L16 ? 16000 : 8000;
}

unsigned media_codec_index(enum media_codec c)
{
	switch (c) {
	case MEDIA_PCMA: return 1;
	case MEDIA_G722: return 2;
	case MEDIA_OPUS: return 3;
	case MEDIA_L16:  return 4;
	default:         return 0;
	}
}

const char *media_codec_name(enum media_codec c)
{
	static const char *const names[MEDIA_NCODECS] = {
		"PCMU", "PCMA", "G722", "opus", "L16"};

	return names[media_codec_index(c)];
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
	if (mc->up)
		speex_resampler_destroy(mc->up);
	if (mc->down)
		speex_resampler_destroy(mc->down);
	free(mc);
}

static int opus_open(struct media_coder *mc,
		     const struct media_opus_fmtp *fmtp)
{
	int oerr = OPUS_OK;
	opus_int32 bitrate = mc->mix_hz >= 48000 ? 32000 :
		mc->mix_hz >= 16000 ? 24000 : 16000;

	mc->opuse = opus_encoder_create((opus_int32)mc->mix_hz, 1,
					OPUS_APPLICATION_VOIP, &oerr);
	if (oerr == OPUS_OK)
		mc->opusd = opus_decoder_create((opus_int32)mc->mix_hz, 1,
						&oerr);
	if (oerr != OPUS_OK)
		return oerr;
	if (fmtp && fmtp->maxaveragebitrate >= 6000 &&
	    fmtp->maxaveragebitrate < (unsigned)bitrate)
		bitrate = (opus_int32)fmtp->maxaveragebitrate;
	opus_encoder_ctl(mc->opuse, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(mc->opuse, OPUS_SET_COMPLEXITY(5));
	opus_encoder_ctl(mc->opuse, OPUS_SET_INBAND_FEC(
				 !fmtp || fmtp->useinbandfec != -1));
	opus_encoder_ctl(mc->opuse, OPUS_SET_PACKET_LOSS_PERC(5));
	if (fmtp && fmtp->usedtx == 1)
		opus_encoder_ctl(mc->opuse, OPUS_SET_DTX(1));
	if (fmtp && fmtp->maxplaybackrate) {
		unsigned r = fmtp->maxplaybackrate;
		opus_int32 bw = r <= 8000 ? OPUS_BANDWIDTH_NARROWBAND :
			r <= 12000 ? OPUS_BANDWIDTH_MEDIUMBAND :
			r <= 16000 ? OPUS_BANDWIDTH_WIDEBAND :
			r <= 24000 ? OPUS_BANDWIDTH_SUPERWIDEBAND :
			OPUS_BANDWIDTH_FULLBAND;

		opus_encoder_ctl(mc->opuse, OPUS_SET_MAX_BANDWIDTH(bw));
	}
	return OPUS_OK;
}

struct media_coder *media_coder_new(enum media_codec c, unsigned mix_hz,
				    const struct media_opus_fmtp *fmtp,
				    int *errp)
{
	struct media_coder *mc;
	int err = 0;

	*errp = 0;
	if (!media_rate_valid(mix_hz)) {
		*errp = EINVAL;
		return NULL;
	}
	if ((c == MEDIA_PCMU || c == MEDIA_PCMA) && mix_hz == 8000)
		return NULL;
	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		*errp = ENOMEM;
		return NULL;
	}
	mc->codec = c;
	mc->mix_hz = mix_hz;
	mc->native_hz = media_native_rate(c, mix_hz);
	if (c == MEDIA_G722) {
		mc->g722e = g722_encode_init(NULL, 64000, 0);
		mc->g722d = g722_decode_init(NULL, 64000, 0);
		if (!mc->g722e || !mc->g722d)
			err = ENOMEM;
	}
	else if (c == MEDIA_OPUS && opus_open(mc, fmtp) != OPUS_OK)
		err = ENOMEM;
	if (!err && mc->native_hz != mix_hz) {
		int e1 = 0, e2 = 0;

		mc->up = speex_resampler_init(1, mc->native_hz, mix_hz,
					      RESAMPLE_QUALITY, &e1);
		mc->down = speex_resampler_init(1, mix_hz, mc->native_hz,
						RESAMPLE_QUALITY, &e2);
		if (!mc->up || !mc->down || e1 || e2)
			err = ENOMEM;
	}
	if (err) {
		media_coder_free(mc);
		*errp = err;
		return NULL;
	}
	return mc;
}

/* Resample n samples through st into exactly want samples (the filter's
 * delay, a few samples, is carried in its state; a short output, which
 * integer ratios do not give, is padded with its last sample) */
static size_t resample(SpeexResamplerState *st, const int16_t *in,
		       size_t n, int16_t *out, size_t want)
{
	spx_uint32_t ilen = (spx_uint32_t)n, olen = (spx_uint32_t)want;

	speex_resampler_process_int(st, 0, in, &ilen, out, &olen);
	for (size_t i = olen; i < want; i++)
		out[i] = olen ? out[olen - 1] : 0;
	return want;
}

static size_t encode_native(struct media_coder *mc, enum media_codec c,
			    uint8_t *dst, size_t dsz, const int16_t *pcm,
			    size_t n)
{
	int r;

	switch (c) {
	case MEDIA_G722:
		if (!mc || !mc->g722e || n > dsz)
			return 0;
		r = g722_encode(mc->g722e, dst, pcm, (int)n);
		return r > 0 ? (size_t)r : 0;
	case MEDIA_OPUS:
		if (!mc || !mc->opuse)
			return 0;
		r = opus_encode(mc->opuse, pcm, (int)n, dst, (opus_int32)dsz);
		return r > 0 ? (size_t)r : 0;
	case MEDIA_L16:
		if (n * sizeof(*pcm) > dsz)
			return 0;
		memcpy(dst, pcm, n * sizeof(*pcm));
		return n * sizeof(*pcm);
	default:
		if (n > dsz)
			return 0;
		media_encode(c, dst, pcm, n);
		return n;
	}
}

size_t media_coder_encode(struct media_coder *mc, enum media_codec c,
			  uint8_t *dst, size_t dsz, const int16_t *pcm,
			  size_t n)
{
	int16_t native[MEDIA_FRAME_MAX];
	size_t nn;

	if (!mc) {
		/* no coder: only G.711 in an 8 kHz mix, 20 ms */
		return n == 160 ? encode_native(NULL, c, dst, dsz, pcm, n) :
			0;
	}
	if (!mc->down)
		return encode_native(mc, c, dst, dsz, pcm, n);
	nn = n * mc->native_hz / mc->mix_hz;
	if (nn > MEDIA_FRAME_MAX)
		return 0;
	resample(mc->down, pcm, n, native, nn);
	return encode_native(mc, c, dst, dsz, native, nn);
}

int media_coder_decode(struct media_coder *mc, enum media_codec c,
		       int16_t *pcm, size_t max, const uint8_t *src,
		       size_t len)
{
	switch (c) {
	case MEDIA_G722:
		if (!mc || !mc->g722d || len * 2 > max)
			return -1;
		return g722_decode(mc->g722d, pcm, src, (int)len);
	case MEDIA_OPUS:
		if (!mc || !mc->opusd)
			return -1;
		return opus_decode(mc->opusd, src, (opus_int32)len, pcm,
				   (int)max, 0);
	case MEDIA_L16:
		if (len / 2 > max)
			return -1;
		memcpy(pcm, src, len / 2 * sizeof(*pcm));
		return (int)(len / 2);
	default:
		if (len > max)
			return -1;
		media_decode(c, pcm, src, len);
		return (int)len;
	}
}

size_t media_coder_to_mix(struct media_coder *mc, const int16_t *in,
			  size_t n, int16_t *out, size_t max)
{
	size_t want;

	if (!mc || !mc->up) {
		if (n > max)
			n = max;
		memcpy(out, in, n * sizeof(*in));
		return n;
	}
	want = n * mc->mix_hz / mc->native_hz;
	if (want > max)
		want = max;
	return resample(mc->up, in, n, out, want);
}

size_t media_coder_from_mix(struct media_coder *mc, const int16_t *in,
			    size_t n, int16_t *out, size_t max)
{
	size_t want;

	if (!mc || !mc->down) {
		if (n > max)
			n = max;
		memcpy(out, in, n * sizeof(*in));
		return n;
	}
	want = n * mc->native_hz / mc->mix_hz;
	if (want > max)
		want = max;
	return resample(mc->down, in, n, out, want);
}

int media_coder_rerate(struct media_coder **mcp, enum media_codec c,
		       unsigned mix_hz, const struct media_opus_fmtp *fmtp)
{
	struct media_coder *old = *mcp, *mc;
	int err;

	if (old && old->mix_hz == mix_hz)
		return 0;
	mc = media_coder_new(c, mix_hz, fmtp, &err);
	if (err)
		return err;
	if (mc && old && old->codec == c && old->g722d && mc->g722d) {
		/* G.722 does not care what rate the room mixes at: its
		 * ADPCM state goes on, a new one would start wrong */
		g722_encode_free(mc->g722e);
		g722_decode_free(mc->g722d);
		mc->g722e = old->g722e;
		mc->g722d = old->g722d;
		old->g722e = NULL;
		old->g722d = NULL;
	}
	media_coder_free(old);
	*mcp = mc;
	return 0;
}

unsigned media_coder_delay(const struct media_coder *mc, bool rx)
{
	SpeexResamplerState *st = !mc ? NULL : rx ? mc->up : mc->down;
	int lat = st ? speex_resampler_get_input_latency(st) : 0;

	/* (in the resampler's input samples) */
	return lat <= 0 ? 0 : (unsigned)lat * MEDIA_DELAY_HZ /
		(rx ? mc->native_hz : mc->mix_hz);
}

size_t media_coder_rx_feed(struct media_coder *mc, const int16_t *in,
			   size_t n, int16_t *out, size_t max)
{
	spx_uint32_t ilen = (spx_uint32_t)n, olen = (spx_uint32_t)max;

	if (!mc || !mc->up) {
		n = n < max ? n : max;
		memcpy(out, in, n * sizeof(*in));
		return n;
	}
	speex_resampler_process_int(mc->up, 0, in, &ilen, out, &olen);
	return olen;
}

void media_coder_tx_prime(struct media_coder *mc, const int16_t *in,
			  size_t n)
{
	int16_t out[MEDIA_FRAME_MAX];

	while (mc && mc->down && n) {
		spx_uint32_t ilen = (spx_uint32_t)n, olen = MEDIA_FRAME_MAX;

		speex_resampler_process_int(mc->down, 0, in, &ilen, out,
					    &olen);
		if (!ilen)
			break;
		in += ilen;
		n -= ilen;
	}
}

void media_coder_rx_reset(struct media_coder *mc)
{
	if (mc && mc->up)
		speex_resampler_reset_mem(mc->up);
}

/* One "name=value" of an fmtp line: value as a number, or -1 */
static long fmtp_value(const char *params, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = params; p && *p;) {
		char *end;
		long v;

		while (*p == ' ' || *p == ';')
			p++;
		if (!strncasecmp(p, name, nl) && p[nl] == '=') {
			v = strtol(p + nl + 1, &end, 10);
			if (end != p + nl + 1 && v >= 0 && v <= 1000000 &&
			    (*end == 0 || *end == ';' || *end == ' '))
				return v;
			return -1;
		}
		p = strchr(p, ';');
	}
	return -1;
}

void media_opus_fmtp_parse(struct media_opus_fmtp *f, const char *params)
{
	long v;

	memset(f, 0, sizeof(*f));
	v = fmtp_value(params, "maxplaybackrate");
	if (v >= 8000 && v <= 48000)
		f->maxplaybackrate = (uint32_t)v;
	v = fmtp_value(params, "maxaveragebitrate");
	if (v >= 6000 && v <= 510000)
		f->maxaveragebitrate = (uint32_t)v;
	v = fmtp_value(params, "useinbandfec");
	if (v == 0 || v == 1)
		f->useinbandfec = v ? 1 : -1;
	v = fmtp_value(params, "usedtx");
	if (v == 0 || v == 1)
		f->usedtx = v ? 1 : -1;
}

int media_opus_samples(const uint8_t *payload, size_t len)
{
	int n = opus_packet_get_nb_samples(payload, (opus_int32)len, 48000);

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

int media_coder_conceal(struct media_coder *mc, int16_t *pcm,
			size_t samples)
{
	if (!mc || !mc->opusd)
		return -1;
	return opus_decode(mc->opusd, NULL, 0, pcm, (int)samples, 0);
}
