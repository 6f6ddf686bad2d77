/*
 * tonegen: writes a 16-bit mono WAV file holding a sine tone, for test
 * callers (baresip's aufile source).
 *   tonegen OUT.wav FREQ_HZ SECONDS [RATE_HZ] [AMPLITUDE 0..1]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static void put16(FILE *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	fwrite(b, 1, 2, f);
}

int main(int argc, char *argv[])
{
	double freq, secs, amp = 0.3;
	uint32_t rate = 8000, n;
	FILE *f;

	if (argc < 4) {
		fprintf(stderr, "usage: tonegen OUT.wav FREQ_HZ SECONDS "
			"[RATE_HZ] [AMPLITUDE]\n");
		return 2;
	}
	freq = atof(argv[2]);
	secs = atof(argv[3]);
	if (argc > 4)
		rate = (uint32_t)atoi(argv[4]);
	if (argc > 5)
		amp = atof(argv[5]);
	if (freq <= 0 || secs <= 0 || rate < 8000 || amp <= 0 || amp > 1) {
		fprintf(stderr, "tonegen: bad arguments\n");
		return 2;
	}
	n = (uint32_t)(secs * rate);
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fwrite("RIFF", 1, 4, f);
	put32(f, 36 + n * 2);
	fwrite("WAVEfmt ", 1, 8, f);
	put32(f, 16);
	put16(f, 1);                 /* PCM */
	put16(f, 1);                 /* mono */
	put32(f, rate);
	put32(f, rate * 2);
	put16(f, 2);
	put16(f, 16);
	fwrite("data", 1, 4, f);
	put32(f, n * 2);
	for (uint32_t i = 0; i < n; i++) {
		double v = amp * 32767.0 * sin(2 * M_PI * freq * i / rate);

		put16(f, (uint16_t)(int16_t)lrint(v));
	}
	return fclose(f) ? 1 : 0;
}
