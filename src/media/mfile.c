/*
 * Prompt files (see media.h): WAV and Ogg Opus read into memory as
 * MEDIA_APP_HZ mono PCM for the conference applications. Called on the
 * applications' I/O thread, never on a mixer thread: it reads files and
 * allocates.
 *
 * The WAV parser takes bytes from anywhere (an upload, a file), so it
 * trusts no size in them: every chunk is checked against what is left of
 * the buffer before it is read, with sizes in 64 bits so that a size near
 * UINT32_MAX cannot wrap. It is lenient where real writers are sloppy
 * (chunk order, unknown chunks, a RIFF or data size that a streaming
 * writer left at 0 or 0xFFFFFFFF, the byte rate field, which nothing
 * here needs) and strict everywhere else: a header that does not add up
 * is EBADMSG, not a guess. tests/fuzz/fuzz_wav.c feeds it any bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <opusfile.h>
#include <speex/speex_resampler.h>
#include "media/media.h"

/* A file is not a prompt beyond this (64 MB: 10 minutes of 48 kHz
 * stereo PCM is 115 MB, but nobody uploads that as a prompt) */
#define FILE_MAX (64u << 20)
/* speexdsp's quality for files: done once per prompt, so better than
 * the mixer's real-time 3 */
#define RESAMPLE_QUALITY 6
/* Opus decodes at 48 kHz: 10 minutes of it, and one read's worth */
#define OPUS_HZ 48000
#define OPUS_MAX_SAMPLES (600u * OPUS_HZ)
#define OPUS_READ 5760

enum {
	WAV_PCM = 1,
	WAV_ALAW = 6,
	WAV_MULAW = 7,
	WAV_EXTENSIBLE = 0xfffe,
};

/* The format of the data, from the fmt chunk */
struct wav_fmt {
	unsigned tag;         /* WAV_PCM, WAV_ALAW or WAV_MULAW */
	unsigned channels;
	unsigned hz;
	unsigned bytes;       /* per sample of one channel: 1 or 2 */
};

/* The GUID of a WAVE_FORMAT_EXTENSIBLE subformat after its first two
 * bytes, which hold the plain format tag */
static const uint8_t ksdata_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
	0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int rate_supported(unsigned hz)
{
	static const unsigned rates[] = {8000, 16000, 22050, 24000, 32000,
					 44100, 48000};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (rates[i] == hz)
			return 1;
	}
	return 0;
}

/* The format tag and bits of an extensible fmt chunk (p, len bytes, at
 * least 16): its subformat's tag, and the container size, which is what
 * the data is laid out in */
static int fmt_extensible(const uint8_t *p, size_t len, unsigned *tag)
{
	if (len < 40 || le16(p + 16) < 22)
		return EBADMSG;
	if (le16(p + 18) > le16(p + 14) || !le16(p + 18))
		return EBADMSG;     /* more valid bits than the container */
	if (memcmp(p + 26, ksdata_tail, sizeof(ksdata_tail)))
		return ENOTSUP;     /* not a WAVE_FORMAT_* subformat */
	*tag = le16(p + 24);
	return 0;
}

/* The fmt chunk's body (p, len bytes) into f */
static int fmt_parse(const uint8_t *p, size_t len, struct wav_fmt *f)
{
	unsigned tag, bits, align;
	int err;

	if (len < 16)
		return EBADMSG;
	tag = le16(p);
	f->channels = le16(p + 2);
	f->hz = le32(p + 4);
	align = le16(p + 12);
	bits = le16(p + 14);
	if (!f->channels || !f->hz || !bits)
		return EBADMSG;
	if (tag == WAV_EXTENSIBLE) {
		err = fmt_extensible(p, len, &tag);
		if (err)
			return err;
	}
	/* A sample of bits is laid out in whole bytes; 12-bit PCM, say, in
	 * two (and is then refused below) */
	if (align != f->channels * ((bits + 7) / 8))
		return EBADMSG;
	if ((tag == WAV_ALAW || tag == WAV_MULAW) && bits != 8)
		return EBADMSG;
	if (tag != WAV_PCM && tag != WAV_ALAW && tag != WAV_MULAW)
		return ENOTSUP;
	if (bits != 8 && bits != 16)
		return ENOTSUP;     /* 24- and 32-bit PCM */
	if (f->channels > 2 || !rate_supported(f->hz))
		return ENOTSUP;
	f->tag = tag;
	f->bytes = bits / 8;
	return 0;
}

/* One sample of one channel at p */
static int sample_at(const struct wav_fmt *f, const uint8_t *p)
{
	switch (f->tag) {
	case WAV_ALAW:
		return g711_alaw_decode(*p);
	case WAV_MULAW:
		return g711_ulaw_decode(*p);
	default:
		if (f->bytes == 1)
			return (*p - 128) * 256;   /* 8-bit PCM is unsigned */
		return (int16_t)le16(p);
	}
}

/* frames of data in format f to mono at f's rate */
static void to_mono(const struct wav_fmt *f, const uint8_t *data,
		    size_t frames, int16_t *out)
{
	size_t step = f->bytes * f->channels;

	for (size_t i = 0; i < frames; i++, data += step) {
		int s = sample_at(f, data);

		if (f->channels == 2)
			s = (s + sample_at(f, data + f->bytes)) / 2;
		out[i] = (int16_t)s;
	}
}

/* A buffer for n samples that is not NULL when n is 0, so that a caller
 * can take a NULL *pcm for failure */
static int16_t *pcm_alloc(size_t n)
{
	return malloc((n ? n : 1) * sizeof(int16_t));
}

/* How many samples n at hz become at MEDIA_APP_HZ */
static size_t app_samples(uint64_t n, unsigned hz)
{
	return (size_t)((n * MEDIA_APP_HZ + hz / 2) / hz);
}

int media_resample_to_app(const int16_t *in, size_t n, unsigned hz,
			  int16_t **out, size_t *outn)
{
	SpeexResamplerState *st;
	spx_uint32_t ilen, olen;
	size_t want, done = 0, lat;
	int16_t zeros[64] = {0};
	int16_t *o;
	int err = 0;

	if ((!in && n) || !out || !outn || hz < 8000 || hz > 48000 ||
	    n > UINT32_MAX)
		return EINVAL;
	want = app_samples(n, hz);
	if (want > MEDIA_APP_MAX_SAMPLES)
		return EFBIG;
	o = pcm_alloc(want);
	if (!o)
		return ENOMEM;
	if (hz == MEDIA_APP_HZ || !n) {
		if (n)
			memcpy(o, in, n * sizeof(*in));
		goto out;
	}
	st = speex_resampler_init(1, hz, MEDIA_APP_HZ, RESAMPLE_QUALITY, &err);
	if (!st) {
		free(o);
		return ENOMEM;
	}
	/* Skipping the filter's leading zeros and flushing its delay with
	 * zeros at the end puts the output in step with the input, the
	 * same length in time */
	speex_resampler_skip_zeros(st);
	ilen = (spx_uint32_t)n;
	olen = (spx_uint32_t)want;
	speex_resampler_process_int(st, 0, in, &ilen, o, &olen);
	done = olen;
	lat = speex_resampler_get_input_latency(st) + 1;
	while (done < want && lat) {
		ilen = lat < 64 ? (spx_uint32_t)lat : 64;
		olen = (spx_uint32_t)(want - done);
		speex_resampler_process_int(st, 0, zeros, &ilen, o + done,
					    &olen);
		done += olen;
		lat -= ilen;
	}
	speex_resampler_destroy(st);
	for (; done < want; done++)
		o[done] = done ? o[done - 1] : 0;
out:
	*out = o;
	*outn = want;
	return 0;
}

/* The data (len bytes) in format f to MEDIA_APP_HZ mono */
static int data_decode(const struct wav_fmt *f, const uint8_t *data,
		       size_t len, int16_t **pcm, size_t *n)
{
	size_t frames = len / (f->bytes * f->channels);
	int16_t *mono;
	int err;

	/* Refused before anything is allocated for it */
	if (app_samples(frames, f->hz) > MEDIA_APP_MAX_SAMPLES)
		return EFBIG;
	mono = pcm_alloc(frames);
	if (!mono)
		return ENOMEM;
	to_mono(f, data, frames, mono);
	if (f->hz == MEDIA_APP_HZ) {
		*pcm = mono;
		*n = frames;
		return 0;
	}
	err = media_resample_to_app(mono, frames, f->hz, pcm, n);
	free(mono);
	return err;
}

int media_wav_parse(const uint8_t *buf, size_t len, int16_t **pcm,
		    size_t *n)
{
	struct wav_fmt f = {0};
	uint64_t end, pos = 12;
	int have_fmt = 0, err;

	if (!buf || !pcm || !n)
		return EINVAL;
	if (len < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4))
		return EBADMSG;
	/* The chunks end where the RIFF size says, or at the end of the
	 * buffer when it says more or nothing (a streaming writer) */
	end = (uint64_t)le32(buf + 4) + 8;
	if (end == 8 || end > len)
		end = len;
	else if (end < 12)
		return EBADMSG;
	while (end - pos >= 8) {
		const uint8_t *c = buf + pos;
		uint64_t size = le32(c + 4), left = end - pos - 8;

		if (!memcmp(c, "data", 4)) {
			if (!have_fmt)
				return EBADMSG;
			/* Cut to what is there: a size left at 0xFFFFFFFF
			 * by a streaming writer, or a truncated file */
			return data_decode(&f, c + 8, size < left ?
					   (size_t)size : (size_t)left,
					   pcm, n);
		}
		if (size > left)
			return EBADMSG;
		if (!memcmp(c, "fmt ", 4)) {
			if (have_fmt)
				return EBADMSG;
			err = fmt_parse(c + 8, (size_t)size, &f);
			if (err)
				return err;
			have_fmt = 1;
		}
		/* Odd chunks are padded to an even size */
		pos += 8 + size + (size & 1);
		if (pos > end)
			return EBADMSG;
	}
	return EBADMSG;
}

/* The file at path (a regular file, at most FILE_MAX bytes) into a new
 * buffer */
static int file_read(const char *path, uint8_t **bufp, size_t *lenp)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st)) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		goto out;
	}
	if (st.st_size > (off_t)FILE_MAX) {
		err = EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	/* What fstat said, or less when the file shrank meanwhile */
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
out:
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* opusfile's errors as errno values */
static int op_errno(int e)
{
	switch (e) {
	case OP_EFAULT:
		return ENOMEM;
	case OP_EREAD:
		return EIO;
	case OP_EVERSION:
	case OP_EIMPL:
		return ENOTSUP;
	default:
		return EBADMSG;
	}
}

/* Decoded 48 kHz mono is collected in a buffer that grows by half */
struct grow {
	int16_t *pcm;
	size_t n, size;
};

static int grow_room(struct grow *g, size_t more)
{
	size_t size;
	int16_t *p;

	if (g->n + more > OPUS_MAX_SAMPLES)
		return EFBIG;
	if (g->n + more <= g->size)
		return 0;
	size = g->size + g->size / 2 + more;
	if (size > OPUS_MAX_SAMPLES)
		size = OPUS_MAX_SAMPLES;
	p = realloc(g->pcm, size * sizeof(*p));
	if (!p)
		return ENOMEM;
	g->pcm = p;
	g->size = size;
	return 0;
}

/* Everything of an open stream, channels averaged, into g */
static int opus_decode_all(OggOpusFile *of, struct grow *g)
{
	ogg_int64_t total = op_pcm_total(of, -1);
	int16_t *buf;
	int err;

	/* A length known up front is checked before anything is decoded */
	if (total > (ogg_int64_t)OPUS_MAX_SAMPLES)
		return EFBIG;
	err = grow_room(g, total > 0 ? (size_t)total : OPUS_READ);
	if (err)
		return err;
	/* 120 ms (the longest packet) of up to 8 channels; opusfile copies
	 * a packet of more through its own buffer */
	buf = malloc(OPUS_READ * 8 * sizeof(*buf));
	if (!buf)
		return ENOMEM;
	for (;;) {
		int li, got = op_read(of, buf, OPUS_READ * 8, &li), ch;

		if (got == OP_HOLE)
			continue;   /* a gap in the pages: play on */
		if (got <= 0) {
			err = got ? op_errno(got) : 0;
			break;
		}
		ch = op_channel_count(of, li);
		err = grow_room(g, (size_t)got);
		if (err)
			break;
		for (int i = 0; i < got; i++) {
			int32_t s = 0;

			for (int c = 0; c < ch; c++)
				s += buf[i * ch + c];
			g->pcm[g->n++] = (int16_t)(s / ch);
		}
	}
	free(buf);
	return err;
}

/* An Ogg Opus file held in memory */
static int ogg_opus_parse(const uint8_t *buf, size_t len, int16_t **pcm,
			  size_t *n)
{
	struct grow g = {0};
	OggOpusFile *of;
	int e = 0, err;

	of = op_open_memory(buf, len, &e);
	if (!of)
		return op_errno(e);
	err = opus_decode_all(of, &g);
	op_free(of);
	if (!err)
		err = media_resample_to_app(g.pcm, g.n, OPUS_HZ, pcm, n);
	free(g.pcm);
	return err;
}

int media_ogg_opus_load(const char *path, int16_t **pcm, size_t *n)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (!path || !pcm || !n)
		return EINVAL;
	err = file_read(path, &buf, &len);
	if (err)
		return err;
	err = ogg_opus_parse(buf, len, pcm, n);
	free(buf);
	return err;
}

int media_audio_file_load(const char *path, int16_t **pcm, size_t *n)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (!path || !pcm || !n)
		return EINVAL;
	err = file_read(path, &buf, &len);
	if (err)
		return err;
	if (len >= 4 && !memcmp(buf, "RIFF", 4))
		err = media_wav_parse(buf, len, pcm, n);
	else if (len >= 4 && !memcmp(buf, "OggS", 4))
		err = ogg_opus_parse(buf, len, pcm, n);
	else
		err = EBADMSG;
	free(buf);
	return err;
}
