/*
 * Recordings written to files (see media.h): Ogg Opus through
 * libopusenc, or WAV (16-bit PCM, mono). Called on the applications' I/O
 * thread with the mix a recorder hears, 20 ms at a time; never on a
 * mixer thread, as it writes files.
 *
 * Both formats write through our own descriptor: libopusenc's own file
 * output goes through stdio, which would lose the errno of a failed
 * write (a full disk must say ENOSPC) and the result of the last flush.
 *
 * WAV samples are gathered for about a second and written at once, and
 * the header's sizes are rewritten after each such write: a recording
 * cut short by a crash is a valid file up to its last second, and a
 * recorder costs two system calls a second, not one per frame. The
 * header is first written by the first media_rec_write, so opening
 * does no I/O beyond creating the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <opusenc.h>
#include "media/media.h"

#define WAV_HEADER 44
/* The Ogg file's bit rate: speech, wideband */
#define OPUS_BITRATE 32000
/* libopusenc takes an int count of samples */
#define OPUS_CHUNK (1 << 20)

struct media_rec {
	enum media_rec_format fmt;
	unsigned hz;
	int fd;
	int err;             /* the first failure, returned from then on */
	int io_err;          /* errno of a write in libopusenc's callback */
	uint64_t samples;
	OggOpusEnc *enc;
	uint8_t *buf;        /* WAV: samples not written yet, little-endian */
	size_t buf_len, buf_size;
	uint64_t data_bytes; /* WAV: bytes of samples in the file */
};

static const struct {
	enum media_rec_format fmt;
	const char *name;
} formats[] = {
	{MEDIA_REC_OGG_OPUS, "ogg"},
	{MEDIA_REC_WAV, "wav"},
};

const char *media_rec_format_name(enum media_rec_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].fmt == f)
			return formats[i].name;
	}
	return "?";
}

int media_rec_format_parse(const char *s, enum media_rec_format *f)
{
	if (!s || !f)
		return EINVAL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(formats[i].name, s)) {
			*f = formats[i].fmt;
			return 0;
		}
	}
	return EINVAL;
}

/* All of p (len bytes) at off, or an errno value */
static int write_at(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (!w)
			return EIO;
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

/* All of p at the end of what was written, for libopusenc */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (!w)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* The header for data_bytes of samples, at the start of the file */
static int wav_header(struct media_rec *r)
{
	uint8_t h[WAV_HEADER];

	memcpy(h, "RIFF", 4);
	put32(h + 4, (uint32_t)(36 + r->data_bytes));
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, 1);             /* PCM */
	put16(h + 22, 1);             /* mono */
	put32(h + 24, r->hz);
	put32(h + 28, r->hz * 2);     /* bytes a second */
	put16(h + 32, 2);             /* bytes a frame */
	put16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put32(h + 40, (uint32_t)r->data_bytes);
	return write_at(r->fd, h, sizeof(h), 0);
}

/* The gathered samples to the file, then the header that counts them */
static int wav_flush(struct media_rec *r)
{
	int err;

	err = write_at(r->fd, r->buf, r->buf_len,
		       (off_t)(WAV_HEADER + r->data_bytes));
	if (err)
		return err;
	r->data_bytes += r->buf_len;
	r->buf_len = 0;
	return wav_header(r);
}

static int wav_write(struct media_rec *r, const int16_t *pcm, size_t n)
{
	int err;

	/* The RIFF sizes are 32 bits: about 37 hours at 16 kHz */
	if (r->data_bytes + r->buf_len + 2 * (uint64_t)n >
	    UINT32_MAX - WAV_HEADER)
		return EFBIG;
	/* The first write puts a header in, so the file is a WAV file
	 * from then on even if nothing more comes */
	if (!r->samples) {
		err = wav_header(r);
		if (err)
			return err;
	}
	for (size_t i = 0; i < n; i++) {
		put16(r->buf + r->buf_len, (uint16_t)pcm[i]);
		r->buf_len += 2;
		if (r->buf_len < r->buf_size)
			continue;
		err = wav_flush(r);
		if (err)
			return err;
	}
	return 0;
}

static int ope_write_h(void *arg, const unsigned char *p, opus_int32 len)
{
	struct media_rec *r = arg;
	int err = write_all(r->fd, p, (size_t)len);

	if (err)
		r->io_err = err;
	return err != 0;
}

/* libopusenc closes the file when it ends the stream */
static int ope_close_h(void *arg)
{
	struct media_rec *r = arg;
	int e = close(r->fd);

	r->fd = -1;
	if (e)
		r->io_err = errno;
	return e != 0;
}

/* A libopusenc error as an errno value: a failed write's own */
static int ope_errno(const struct media_rec *r, int e)
{
	switch (e) {
	case OPE_OK:
		return 0;
	case OPE_ALLOC_FAIL:
		return ENOMEM;
	case OPE_BAD_ARG:
		return EINVAL;
	case OPE_WRITE_FAIL:
	case OPE_CLOSE_FAIL:
		return r->io_err ? r->io_err : EIO;
	default:
		return EIO;
	}
}

static int opus_open(struct media_rec *r, const char *title)
{
	static const OpusEncCallbacks cbs = {ope_write_h, ope_close_h};
	OggOpusComments *c = ope_comments_create();
	int e = OPE_ALLOC_FAIL;
	uint32_t serial;

	if (!c)
		return ENOMEM;
	if (!ope_comments_add(c, "ENCODER", "caucus") &&
	    (!title || !*title || !ope_comments_add(c, "TITLE", title)))
		r->enc = ope_encoder_create_callbacks(&cbs, r, c, (int)r->hz,
						      1, 0, &e);
	/* The encoder keeps its own copy. */
	ope_comments_destroy(c);
	if (!r->enc)
		return ope_errno(r, e);
	/* libopusenc takes rand() for the stream's serial number, the same
	 * in every file when nobody seeds it; files joined or chained need
	 * them to differ */
	if (getrandom(&serial, sizeof(serial), GRND_NONBLOCK) !=
	    sizeof(serial))
		serial = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	e = ope_encoder_ctl(r->enc, OPE_SET_SERIALNO((opus_int32)serial));
	if (!e)
		e = ope_encoder_ctl(r->enc, OPUS_SET_BITRATE(OPUS_BITRATE));
	if (!e)
		e = ope_encoder_ctl(r->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	/* the mixer's own encoders' complexity (bench/record.sh, N = 400,
	 * two talking: recording cost 2.0 us per participant-frame at the
	 * default 10, 0.85 at 5) */
	if (!e)
		e = ope_encoder_ctl(r->enc, OPUS_SET_COMPLEXITY(5));
	return ope_errno(r, e);
}

static int opus_write(struct media_rec *r, const int16_t *pcm, size_t n)
{
	while (n) {
		int k = n > OPUS_CHUNK ? OPUS_CHUNK : (int)n;
		int e = ope_encoder_write(r->enc, pcm, k);

		if (e)
			return ope_errno(r, e);
		pcm += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Frees r and what it holds; the file is left as it is */
static void rec_free(struct media_rec *r)
{
	if (r->enc)
		ope_encoder_destroy(r->enc);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

int media_rec_open(struct media_rec **rp, const char *path,
		   enum media_rec_format fmt, unsigned hz, const char *title)
{
	struct media_rec *r;
	int err = 0;

	if (!rp || !path || (hz != 8000 && hz != 16000 && hz != 48000) ||
	    (fmt != MEDIA_REC_OGG_OPUS && fmt != MEDIA_REC_WAV))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->fmt = fmt;
	r->hz = hz;
	/* Permissions as fopen gives them: the umask and the folder say
	 * who may read a recording */
	r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (r->fd < 0) {
		err = errno;
		goto out;
	}
	if (fmt == MEDIA_REC_WAV) {
		r->buf_size = 2 * (size_t)hz;   /* a second */
		r->buf = malloc(r->buf_size);
		if (!r->buf)
			err = ENOMEM;
	} else {
		err = opus_open(r, title);
	}
out:
	if (err) {
		rec_free(r);
		return err;
	}
	*rp = r;
	return 0;
}

int media_rec_write(struct media_rec *r, const int16_t *pcm, size_t n)
{
	if (!r)
		return EINVAL;
	if (r->err || !n)
		return r->err;
	if (!pcm)
		return EINVAL;
	if (r->fmt == MEDIA_REC_WAV)
		r->err = wav_write(r, pcm, n);
	else
		r->err = opus_write(r, pcm, n);
	if (!r->err)
		r->samples += n;
	return r->err;
}

int media_rec_close(struct media_rec *r, uint64_t *samples)
{
	int err;

	if (!r)
		return EINVAL;
	err = r->err;
	if (samples)
		*samples = r->samples;
	/* a WAV file holds what reached it, which after a failed write is
	 * less than was handed in (what its buffer held is lost) */
	if (samples && r->fmt == MEDIA_REC_WAV && err)
		*samples = r->data_bytes / 2;
	if (!err && r->fmt == MEDIA_REC_WAV) {
		err = r->buf_len || !r->data_bytes ? wav_flush(r) : 0;
		if (!err && close(r->fd))
			err = errno;
		r->fd = -1;
	} else if (!err) {
		/* Ends the stream, which closes the file (ope_close_h) */
		err = ope_errno(r, ope_encoder_drain(r->enc));
	}
	rec_free(r);
	return err;
}
