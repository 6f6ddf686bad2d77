/* Audio files and speech for the applications (media/mfile.c, tts.c,
 * recfile.c): WAV in every supported format keeps its length and 1 kHz
 * tone (Goertzel); truncated and malformed files are refused or cut to
 * what is there, never read past; recordings read back with their length
 * and tone (and pass opusinfo), survive a crash up to their last second
 * and fail for good on a full disk; speech has a sensible length, level
 * and spectrum in any language asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>
#include "media/media.h"

#define HZ MEDIA_APP_HZ

/* Goertzel power of f in x (n samples at 16 kHz), linear, 1 for a
 * full-scale sine */
static double power_lin(const int16_t *x, size_t n, double f)
{
	double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / HZ);

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] / 32768.0 + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n / 4.0);
}

/* The tone at f is there, well above a frequency it does not have */
static void assert_tone(const int16_t *x, size_t n, double f, double other)
{
	double p = 10 * log10(power_lin(x, n, f) + 1e-20);
	double o = 10 * log10(power_lin(x, n, other) + 1e-20);

	print_message("  %.0f Hz %.1f dB, %.0f Hz %.1f dB\n", f, p, other, o);
	assert_true(p > -20);
	assert_true(o < p - 30);
}

enum { PCM = 1, ALAW = 6, MULAW = 7, FLOAT = 3, EXT = 0xfffe };

/* A WAV file to build */
struct spec {
	unsigned tag, sub;      /* sub: the extensible subformat */
	unsigned channels, hz, bits;
	double secs;
};

struct wbuf {
	uint8_t b[1 << 21];
	size_t n;
};

static void put(struct wbuf *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* v as bytes bytes, little-endian, at p or at the end of w */
static void le(uint8_t *p, uint32_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void putle(struct wbuf *w, uint32_t v, size_t bytes)
{
	uint8_t b[4];

	le(b, v, bytes);
	put(w, b, bytes);
}

/* The fmt chunk of s */
static void put_fmt(struct wbuf *w, const struct spec *s)
{
	static const uint8_t tail[14] = {0, 0, 0, 0, 0x10, 0, 0x80, 0, 0,
					 0xaa, 0, 0x38, 0x9b, 0x71};
	unsigned align = s->channels * ((s->bits + 7) / 8);

	put(w, "fmt ", 4);
	putle(w, s->tag == EXT ? 40 : 16, 4);
	putle(w, s->tag, 2);
	putle(w, s->channels, 2);
	putle(w, s->hz, 4);
	putle(w, s->hz * align, 4);
	putle(w, align, 2);
	putle(w, s->bits, 2);
	if (s->tag != EXT)
		return;
	putle(w, 22, 2);
	putle(w, s->bits, 2);      /* valid bits */
	putle(w, s->channels == 2 ? 3 : 4, 4);
	putle(w, s->sub, 2);
	put(w, tail, sizeof(tail));
}

/* One sample of a 1 kHz tone at half scale, in s's format */
static void put_sample(struct wbuf *w, const struct spec *s, size_t i)
{
	int16_t v = (int16_t)lrint(16384 * sin(2 * M_PI * 1000.0 * i / s->hz));
	unsigned tag = s->tag == EXT ? s->sub : s->tag;

	if (tag == PCM && s->bits == 16)
		putle(w, (uint16_t)v, 2);
	else
		putle(w, tag == ALAW ? g711_alaw_encode(v) : tag == MULAW ?
		      g711_ulaw_encode(v) : (uint8_t)((v >> 8) + 128), 1);
}

/* A file of s: an odd-sized chunk we do not know before the fmt chunk
 * and one after it (padded), then the data; *data_at is where the
 * samples start */
static void wav_build(struct wbuf *w, const struct spec *s, size_t *data_at)
{
	size_t frames = (size_t)lrint(s->secs * s->hz), size_at;

	w->n = 0;
	put(w, "RIFF\0\0\0\0WAVEJUNK\3\0\0\0abc\0", 24);
	put_fmt(w, s);
	put(w, "LIST\5\0\0\0hello\0data\0\0\0\0", 22);
	size_at = w->n - 4;
	if (data_at)
		*data_at = w->n;
	for (size_t i = 0; i < frames; i++) {
		for (unsigned c = 0; c < s->channels; c++)
			put_sample(w, s, i);
	}
	le(w->b + size_at, (uint32_t)(w->n - size_at - 4), 4);
	le(w->b + 4, (uint32_t)(w->n - 8), 4);
}

static struct wbuf wb;

static void test_wav_formats(void **state)
{
	static const struct spec specs[] = {
		{PCM, 0, 1, 8000, 16, 0.5},   {PCM, 0, 1, 16000, 16, 0.5},
		{PCM, 0, 1, 44100, 16, 0.5},  {PCM, 0, 1, 48000, 16, 0.5},
		{PCM, 0, 2, 48000, 16, 0.5},  {PCM, 0, 2, 22050, 16, 0.5},
		{PCM, 0, 1, 24000, 16, 0.5},  {PCM, 0, 1, 32000, 8, 0.5},
		{PCM, 0, 1, 16000, 8, 0.5},   {ALAW, 0, 1, 8000, 8, 0.5},
		{MULAW, 0, 1, 8000, 8, 0.5},  {MULAW, 0, 2, 16000, 8, 0.5},
		{EXT, PCM, 2, 44100, 16, 0.5}, {EXT, MULAW, 1, 8000, 8, 0.5},
		{PCM, 0, 1, 44100, 16, 3.0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		double want = s->secs * HZ;
		int16_t *pcm = NULL;
		size_t n = 0;

		wav_build(&wb, s, NULL);
		print_message("tag %u/%u, %u ch, %u Hz, %u bits\n", s->tag,
			      s->sub, s->channels, s->hz, s->bits);
		assert_int_equal(media_wav_parse(wb.b, wb.n, &pcm, &n), 0);
		assert_non_null(pcm);
		assert_true(fabs(n - want) <= want / 100);
		assert_tone(pcm, n, 1000, 3000);
		free(pcm);
	}
}

/* Every truncation: short of the first sample it is EBADMSG (the header
 * is not all there); from there on it is the samples that are there, as
 * a file a streaming writer left is */
static void test_wav_truncated(void **state)
{
	const struct spec specs[] = {{PCM, 0, 1, 16000, 16, 0.01},
				     {PCM, 0, 2, 8000, 8, 0.01},
				     {EXT, PCM, 2, 48000, 16, 0.005}};

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		const struct spec *s = &specs[k];
		size_t data_at, frame = s->channels * s->bits / 8;

		wav_build(&wb, s, &data_at);
		for (size_t len = 0; len < wb.n; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			int16_t *pcm = NULL;
			size_t n = 0, frames;
			int err;

			/* a copy of exactly len, so ASan sees a read past */
			memcpy(copy, wb.b, len);
			err = media_wav_parse(copy, len, &pcm, &n);
			free(copy);
			if (len < data_at) {
				assert_int_equal(err, EBADMSG);
				assert_null(pcm);
				continue;
			}
			assert_int_equal(err, 0);
			frames = (len - data_at) / frame;
			assert_int_equal(n, (frames * HZ + s->hz / 2) /
					 s->hz);
			free(pcm);
		}
	}
}

/* Parses wb and expects err (a success must have n samples) */
static void expect(int err, size_t want_n, const char *what)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	int got = media_wav_parse(wb.b, wb.n, &pcm, &n);

	print_message("%s: %d\n", what, got);
	assert_int_equal(got, err);
	assert_true(err ? !pcm : n == want_n);
	free(pcm);
}

/* Headers that do not add up (EBADMSG) and ones that are well formed
 * but not a format we take (ENOTSUP) */
static void test_wav_malformed(void **state)
{
	static const struct {
		struct spec s;
		int err;
	} specs[] = {
		/* no channels, 0 Hz, 0 bits, 16-bit A-law */
		{{PCM, 0, 0, 16000, 16, 0.1}, EBADMSG},
		{{PCM, 0, 1, 0, 16, 0.1}, EBADMSG},
		{{PCM, 0, 1, 16000, 0, 0.1}, EBADMSG},
		{{ALAW, 0, 1, 8000, 16, 0.1}, EBADMSG},
		{{PCM, 0, 1, 16000, 24, 0.1}, ENOTSUP},
		{{PCM, 0, 1, 16000, 32, 0.1}, ENOTSUP},
		{{PCM, 0, 1, 16000, 12, 0.1}, ENOTSUP},
		{{FLOAT, 0, 1, 16000, 32, 0.1}, ENOTSUP},
		{{EXT, FLOAT, 1, 16000, 32, 0.1}, ENOTSUP},
		{{PCM, 0, 3, 16000, 16, 0.1}, ENOTSUP},
		{{PCM, 0, 1, 11025, 16, 0.1}, ENOTSUP},
	};
	/* Changes to a valid 16 kHz mono file: where, how many bytes */
	static const struct {
		size_t at, width;
		uint32_t v;
		int err;
		const char *what;
	} muts[] = {
		{0, 4, 0x58464952, EBADMSG, "RIFX"},
		{8, 4, 0x20495641, EBADMSG, "AVI "},
		{4, 4, 6, EBADMSG, "RIFF size 6"},
		{28, 4, 14, EBADMSG, "fmt of 14 bytes"},
		{44, 2, 4, EBADMSG, "block align 4"},
		{40, 4, 0, 0, "byte rate 0 (not needed)"},
		{4, 4, UINT32_MAX, 0, "RIFF size 0xffffffff"},
		{4, 4, 0, 0, "RIFF size 0"},
		{66, 4, UINT32_MAX, 0, "data size 0xffffffff"},
		{66, 4, UINT32_MAX - 1, 0, "data size 0xfffffffe"},
		/* sizes near UINT32_MAX: a chunk we do not know, fmt */
		{16, 4, UINT32_MAX, EBADMSG, "JUNK size 0xffffffff"},
		{16, 4, UINT32_MAX - 7, EBADMSG, "JUNK size 0xfffffff8"},
		{28, 4, UINT32_MAX, EBADMSG, "fmt size 0xffffffff"},
		{28, 4, UINT32_MAX - 1, EBADMSG, "fmt size 0xfffffffe"},
	};
	const struct spec mono = {PCM, 0, 1, 16000, 16, 0.1};
	struct spec s = {MULAW, 0, 1, 8000, 8, 0};
	size_t len = 8000 * 601 + 100, data_at, n;
	int16_t *pcm = NULL;
	uint8_t *big;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		wav_build(&wb, &specs[i].s, NULL);
		expect(specs[i].err, 0, "spec");
	}
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		wav_build(&wb, &mono, NULL);
		le(wb.b + muts[i].at, muts[i].v, muts[i].width);
		expect(muts[i].err, 1600, muts[i].what);
	}
	/* fmt after data, no data, two fmt chunks */
	wb.n = 0;
	put(&wb, "RIFF\0\0\0\0WAVEdata\4\0\0\0abcd", 24);
	put_fmt(&wb, &mono);
	expect(EBADMSG, 0, "fmt after data");
	wb.n = 12;
	put_fmt(&wb, &mono);
	expect(EBADMSG, 0, "no data");
	put_fmt(&wb, &mono);
	put(&wb, "data\0\0\0\0", 8);
	expect(EBADMSG, 0, "two fmt");
	/* an empty data chunk is no samples */
	wb.n -= 24 + 8;
	put(&wb, "data\0\0\0\0", 8);
	expect(0, 0, "empty");
	/* more than 10 minutes is refused before it is decoded, 9 are not;
	 * the sizes are a streaming writer's */
	big = calloc(1, len);
	assert_non_null(big);
	wav_build(&wb, &s, &data_at);
	memcpy(big, wb.b, data_at);
	memset(big + 4, 0xff, 4);
	memset(big + data_at - 4, 0xff, 4);
	assert_int_equal(media_wav_parse(big, len, &pcm, &n), EFBIG);
	assert_null(pcm);
	assert_int_equal(media_wav_parse(big, data_at + 8000 * 540, &pcm, &n),
			 0);
	assert_true(n == 540 * HZ && pcm);
	free(pcm);
	free(big);
}

static char dir[64];

/* n samples of a 440 Hz tone at 0.3 of full scale from sample at, at hz */
static void tone(int16_t *x, size_t n, size_t at, unsigned hz)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 440.0 *
						  (at + i) / hz));
}

/* The samples in the file at path (its 440 Hz tone checked), or -errno */
static long load_n(const char *path)
{
	int16_t *pcm;
	size_t n;
	int err = media_audio_file_load(path, &pcm, &n);

	if (err)
		return -err;
	if (n >= HZ)
		assert_tone(pcm, HZ, 440, 1000);
	free(pcm);
	return (long)n;
}

/* secs of the tone in 20 ms frames to r */
static void rec_tone(struct media_rec *r, unsigned hz, double secs)
{
	int16_t x[MEDIA_FRAME_MAX];
	size_t frame = hz / 50;

	for (size_t k = 0; k < (size_t)lrint(secs * 50); k++) {
		tone(x, frame, k * frame, hz);
		assert_int_equal(media_rec_write(r, x, frame), 0);
	}
}

/* 2 s at 16 kHz to either format (and at 8 and 48 kHz, 1 s), read back */
static void test_rec_roundtrip(void **state)
{
	static const struct {
		enum media_rec_format fmt;
		unsigned hz;
		double secs;
	} cases[] = {{MEDIA_REC_OGG_OPUS, HZ, 2}, {MEDIA_REC_WAV, HZ, 2},
		     {MEDIA_REC_OGG_OPUS, 8000, 1}, {MEDIA_REC_WAV, 48000, 1}};
	char path[128], cmd[768];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum media_rec_format fmt = cases[i].fmt;
		long want = (long)(cases[i].secs * HZ), n;
		struct media_rec *r;
		uint64_t samples;
		int16_t *pcm;
		size_t n2;

		snprintf(path, sizeof(path), "%s/rec%zu.%s", dir, i,
			 media_rec_format_name(fmt));
		assert_int_equal(media_rec_open(&r, path, fmt, cases[i].hz,
						"Test title"), 0);
		rec_tone(r, cases[i].hz, cases[i].secs);
		assert_int_equal(media_rec_close(r, &samples), 0);
		assert_int_equal(samples, cases[i].secs * cases[i].hz);
		n = load_n(path);
		print_message("%s at %u Hz: %ld samples\n", path,
			      cases[i].hz, n);
		assert_true(labs(n - want) <= HZ / 10);
		if (fmt == MEDIA_REC_WAV) {
			assert_int_equal(n, want);
			unlink(path);
			continue;
		}
		assert_int_equal(media_ogg_opus_load(path, &pcm, &n2), 0);
		free(pcm);
		/* opusinfo (opus-tools, in scripts/deps.sh) takes the file
		 * and shows our comments */
		snprintf(cmd, sizeof(cmd), "! command -v opusinfo >/dev/null ||"
			 " { opusinfo %s >%s.txt && grep -q 'TITLE=Test title'"
			 " %s.txt && grep -q ENCODER=caucus %s.txt; }", path,
			 path, path, path);
		assert_int_equal(system(cmd), 0);
		unlink(path);
		strcat(path, ".txt");
		unlink(path);
	}
}

/* A WAV recording never closed (a crash) is valid up to its last
 * second. A full disk: the write that meets it says ENOSPC, and so does
 * every later one and the close. */
static void test_rec_cut_short(void **state)
{
	const enum media_rec_format fmts[] = {MEDIA_REC_WAV,
					      MEDIA_REC_OGG_OPUS};
	struct media_rec *r;
	char path[128];
	int16_t x[320];

	(void)state;
	snprintf(path, sizeof(path), "%s/crash.wav", dir);
	assert_int_equal(media_rec_open(&r, path, MEDIA_REC_WAV, HZ, NULL),
			 0);
	rec_tone(r, HZ, 0.5);
	/* the header is there from the first write */
	assert_int_equal(load_n(path), 0);
	rec_tone(r, HZ, 1.0);
	assert_int_equal(load_n(path), HZ);
	assert_int_equal(media_rec_close(r, NULL), 0);
	assert_int_equal(load_n(path), HZ * 3 / 2);
	unlink(path);
	tone(x, 320, 0, HZ);
	for (size_t i = 0; i < 2; i++) {
		int err = 0, k;

		assert_int_equal(media_rec_open(&r, "/dev/full", fmts[i], HZ,
						"full"), 0);
		for (k = 0; k < 250 && !err; k++)
			err = media_rec_write(r, x, 320);
		print_message("%s: %d after %d writes\n",
			      media_rec_format_name(fmts[i]), err, k);
		/* WAV writes its header at the first write */
		if (fmts[i] == MEDIA_REC_WAV)
			assert_int_equal(k, 1);
		if (err) {
			assert_int_equal(err, ENOSPC);
			assert_int_equal(media_rec_write(r, x, 320), ENOSPC);
		}
		assert_int_equal(media_rec_close(r, NULL), ENOSPC);
	}
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Files told apart by content; what the file system says is passed on;
 * the recorder's arguments */
static void test_file_errors(void **state)
{
	struct media_rec *r = NULL;
	enum media_rec_format f;
	int16_t *pcm = NULL;
	char path[128];
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such.wav", dir);
	assert_int_equal(media_rec_open(&r, path, MEDIA_REC_WAV, HZ, NULL),
			 ENOENT);
	assert_int_equal(media_rec_open(&r, path, MEDIA_REC_OGG_OPUS, HZ,
					NULL), ENOENT);
	assert_int_equal(media_rec_open(&r, path, MEDIA_REC_WAV, 44100,
					NULL), EINVAL);
	assert_int_equal(media_rec_open(&r, path, (enum media_rec_format)7,
					HZ, NULL), EINVAL);
	assert_null(r);
	assert_true(!media_rec_format_parse("ogg", &f) &&
		    f == MEDIA_REC_OGG_OPUS);
	assert_true(!media_rec_format_parse("wav", &f) && f == MEDIA_REC_WAV);
	assert_int_equal(media_rec_format_parse("mp3", &f), EINVAL);
	assert_int_equal(media_rec_format_parse(NULL, &f), EINVAL);
	assert_string_equal(media_rec_format_name(MEDIA_REC_WAV), "wav");
	assert_int_equal(load_n(path), -ENOENT);
	assert_int_equal(media_ogg_opus_load(path, &pcm, &n), ENOENT);
	assert_int_equal(load_n(dir), -EISDIR);
	snprintf(path, sizeof(path), "%s/f.ogg", dir);
	write_file(path, "hello world\n", 12);
	assert_int_equal(load_n(path), -EBADMSG);
	write_file(path, "OggS\0\2garbage garbage garbage", 29);
	assert_int_equal(load_n(path), -EBADMSG);
	write_file(path, "", 0);
	assert_int_equal(load_n(path), -EBADMSG);
	/* a WAV file named .ogg is read as WAV; it is no Ogg file */
	wav_build(&wb, &(struct spec){PCM, 0, 1, 8000, 16, 0.1}, NULL);
	write_file(path, wb.b, wb.n);
	assert_int_equal(load_n(path), 1600);
	assert_int_equal(media_ogg_opus_load(path, &pcm, &n), EBADMSG);
	assert_null(pcm);
	unlink(path);
}

/* Speech: a sensible length, the edges trimmed, the peak at -6 dBFS,
 * the energy in the voice band */
static void check_speech(const int16_t *x, size_t n)
{
	double low = 0, high = 0;
	size_t first = 0, last = n, peak = 0;

	assert_true(n >= 0.8 * HZ && n <= 4.0 * HZ);
	for (size_t i = 0; i < n; i++)
		peak = (size_t)abs(x[i]) > peak ? (size_t)abs(x[i]) : peak;
	while (first < n && abs(x[first]) < 64)
		first++;
	while (last > first && abs(x[last - 1]) < 64)
		last--;
	/* 500, 1000 and 2000 Hz against 6000, 6750 and 7500 Hz */
	for (size_t at = 0; at + 320 <= n; at += 320) {
		for (int k = 0; k < 3; k++) {
			low += power_lin(x + at, 320, 500 << k);
			high += power_lin(x + at, 320, 6000 + 750 * k);
		}
	}
	print_message("  %.2f s, peak %zu, lead %zu, tail %zu, "
		      "voice band %.1f dB over 6-7.5 kHz\n", (double)n / HZ,
		      peak, first, n - last, 10 * log10(low / high));
	assert_true(peak >= 16000 && peak <= 16400);
	assert_true(first <= HZ / 10 && n - last <= HZ / 10);
	assert_true(low > 10 * high);
}

static void test_tts(void **state)
{
	const char *langs[] = {"en", "en-US", "xx", NULL, "", "de", "fr-FR",
			       "../../etc/passwd", "en_gb"};
	char text[2001];
	int16_t *pcm = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		assert_int_equal(media_tts_render("Welcome to the conference",
						  langs[i], &pcm, &n), 0);
		print_message("%s\n", langs[i] ? langs[i] : "(null)");
		check_speech(pcm, n);
		free(pcm);
		pcm = NULL;
	}
	assert_int_equal(media_tts_render("", "en", &pcm, &n), EINVAL);
	assert_int_equal(media_tts_render(NULL, "en", &pcm, &n), EINVAL);
	memset(text, 'a', 2000);
	text[2000] = '\0';
	assert_int_equal(media_tts_render(text, "en", &pcm, &n), E2BIG);
	assert_null(pcm);
	/* the longest text there may be, and punctuation alone */
	for (size_t i = 0; i < MEDIA_TTS_MAX_TEXT; i++)
		text[i] = "one two. "[i % 9];
	text[MEDIA_TTS_MAX_TEXT] = '\0';
	assert_int_equal(media_tts_render(text, "en", &pcm, &n), 0);
	assert_true(n > 20 * HZ);
	free(pcm);
	assert_int_equal(media_tts_render(" ... ", "en", &pcm, &n), 0);
	free(pcm);
}

static int dir_make(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_mfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int dir_remove(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wav_formats),
		cmocka_unit_test(test_wav_truncated),
		cmocka_unit_test(test_wav_malformed),
		cmocka_unit_test(test_rec_roundtrip),
		cmocka_unit_test(test_rec_cut_short),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_tts),
	};

	return cmocka_run_group_tests(tests, dir_make, dir_remove);
}
