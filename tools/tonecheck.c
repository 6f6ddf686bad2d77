/*
 * tonecheck: says which tones are in a stretch of a WAV recording, by FFT.
 * Used by the audio tests to prove who hears whom.
 *
 *   tonecheck FILE.wav [--from S] [--to S] [--expect F,F..] [--absent F,F..]
 *             [--silent] [--quiet]
 *
 * Averages Hann-windowed 4096-point power spectra over [from, to] and
 * reports each frequency's level in dB relative to full scale. Passes
 * (exit 0) when every --expect tone is above -40 dBFS and every --absent
 * tone is at least 25 dB below the weakest expected one (or below -55 dBFS
 * when nothing is expected); --silent wants the whole stretch quiet.
 * Exit 1 on a failed check, 2 on bad input.
 */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFFT 4096
#define MAXF 16

struct wav {
	uint32_t rate;
	uint32_t n;
	int16_t *s;
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
}

static int wav_read(const char *path, struct wav *w)
{
	uint8_t hdr[12], ch[8], fmt[16];
	FILE *f = fopen(path, "rb");
	int have_fmt = 0;

	if (!f || fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) ||
	    memcmp(hdr + 8, "WAVE", 4))
		goto bad;
	while (fread(ch, 1, 8, f) == 8) {
		uint32_t len = le32(ch + 4);

		if (!memcmp(ch, "fmt ", 4) && len >= 16) {
			if (fread(fmt, 1, 16, f) != 16)
				goto bad;
			fseek(f, (long)(len - 16), SEEK_CUR);
			/* PCM, mono, 16 bit */
			if (fmt[0] != 1 || fmt[2] != 1 || fmt[14] != 16)
				goto bad;
			w->rate = le32(fmt + 4);
			have_fmt = 1;
		}
		else if (!memcmp(ch, "data", 4) && have_fmt) {
			/* a dump cut short leaves len at 0 or too big: read
			 * what is there */
			long pos = ftell(f);

			fseek(f, 0, SEEK_END);
			len = (uint32_t)(ftell(f) - pos);
			fseek(f, pos, SEEK_SET);
			w->n = len / 2;
			w->s = malloc(len + 2);
			if (!w->s || fread(w->s, 2, w->n, f) != w->n)
				goto bad;
			fclose(f);
			return 0;
		}
		else {
			fseek(f, (long)len, SEEK_CUR);
		}
	}
bad:
	if (f)
		fclose(f);
	return -1;
}

static void fft(double complex *x, unsigned n)
{
	for (unsigned i = 1, j = 0; i < n; i++) {
		unsigned bit = n >> 1;

		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double complex t = x[i];
			x[i] = x[j];
			x[j] = t;
		}
	}
	for (unsigned len = 2; len <= n; len <<= 1) {
		double complex wl = cexp(-2.0 * I * M_PI / len);

		for (unsigned i = 0; i < n; i += len) {
			double complex w = 1;

			for (unsigned k = 0; k < len / 2; k++) {
				double complex u = x[i + k];
				double complex v = x[i + k + len / 2] * w;

				x[i + k] = u + v;
				x[i + k + len / 2] = u - v;
				w *= wl;
			}
		}
	}
}

static unsigned parse_list(const char *s, double *v)
{
	unsigned n = 0;
	char *end;

	while (*s && n < MAXF) {
		v[n++] = strtod(s, &end);
		if (*end != ',')
			break;
		s = end + 1;
	}
	return n;
}

/* level in dBFS of a tone at freq: the peak bin near it, Hann corrected */
static double level_db(const double *psd, unsigned frames, double freq,
		       uint32_t rate)
{
	double bin = freq * NFFT / rate, peak = 0;

	for (int b = (int)bin - 2; b <= (int)bin + 2; b++)
		if (b > 0 && b < NFFT / 2 && psd[b] > peak)
			peak = psd[b];
	/* a full-scale sine gives |X| = 32768 * N/4 with a Hann window */
	return 10 * log10(peak / frames + 1e-20) -
		20 * log10(32768.0 * NFFT / 4);
}

int main(int argc, char *argv[])
{
	double from = 0, to = 1e9, expect[MAXF], absent[MAXF];
	unsigned ne = 0, na = 0, frames = 0;
	int silent = 0, quiet = 0, ok = 1;
	struct wav w = {0};
	static double complex buf[NFFT];
	static double psd[NFFT / 2];
	double rms = 0, weakest = 0;
	uint32_t a, b;

	if (argc < 2) {
		fprintf(stderr, "usage: tonecheck FILE.wav [--from S] [--to S]"
			" [--expect F,..] [--absent F,..] [--silent]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = atof(argv[++i]);
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = atof(argv[++i]);
		else if (!strcmp(argv[i], "--expect") && i + 1 < argc)
			ne = parse_list(argv[++i], expect);
		else if (!strcmp(argv[i], "--absent") && i + 1 < argc)
			na = parse_list(argv[++i], absent);
		else if (!strcmp(argv[i], "--silent"))
			silent = 1;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
		else {
			fprintf(stderr, "tonecheck: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	if (wav_read(argv[1], &w)) {
		fprintf(stderr, "tonecheck: %s: not a 16-bit mono PCM WAV\n",
			argv[1]);
		return 2;
	}
	a = (uint32_t)(from * w.rate);
	b = to * w.rate < w.n ? (uint32_t)(to * w.rate) : w.n;
	if (b <= a || b - a < NFFT) {
		fprintf(stderr, "tonecheck: %s: only %.2f s of audio, window "
			"%.2f-%.2f s is too short\n", argv[1],
			(double)w.n / w.rate, from, to);
		return 2;
	}
	for (uint32_t i = a; i < b; i++)
		rms += (double)w.s[i] * w.s[i];
	rms = sqrt(rms / (b - a));
	for (uint32_t off = a; off + NFFT <= b; off += NFFT / 2) {
		for (unsigned k = 0; k < NFFT; k++) {
			double win = 0.5 - 0.5 * cos(2 * M_PI * k / (NFFT - 1));

			buf[k] = w.s[off + k] * win;
		}
		fft(buf, NFFT);
		for (unsigned k = 0; k < NFFT / 2; k++)
			psd[k] += creal(buf[k] * conj(buf[k]));
		frames++;
	}
	if (!quiet)
		printf("%s [%.2f-%.2f s] rms %.1f dBFS\n", argv[1],
		       (double)a / w.rate, (double)b / w.rate,
		       20 * log10(rms / 32768 + 1e-9));
	weakest = 0;
	for (unsigned i = 0; i < ne; i++) {
		double l = level_db(psd, frames, expect[i], w.rate);

		if (!quiet)
			printf("  expect %6.0f Hz: %6.1f dBFS\n", expect[i], l);
		if (l < -40)
			ok = 0;
		if (i == 0 || l < weakest)
			weakest = l;
	}
	for (unsigned i = 0; i < na; i++) {
		double l = level_db(psd, frames, absent[i], w.rate);
		double limit = ne ? weakest - 25 : -55;

		if (!quiet)
			printf("  absent %6.0f Hz: %6.1f dBFS (limit %.1f)\n",
			       absent[i], l, limit);
		if (l > limit)
			ok = 0;
	}
	if (silent && 20 * log10(rms / 32768 + 1e-9) > -55)
		ok = 0;
	printf("%s\n", ok ? "PASS" : "FAIL");
	free(w.s);
	return ok ? 0 : 1;
}
