/* Codec state (media/coder.c): G.722 and Opus round trips of a 400 Hz
 * tone at the mixer's 8 kHz keep the tone (Goertzel: strong at 400 Hz,
 * weak at 1 kHz), G.711 needs no state, frame sizes are what RTP carries
 * (160 bytes of G.722 per 20 ms), and 20 000 random payloads fed to each
 * decoder neither crash nor overrun (Opus refuses most of them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "media/media.h"

#define N 160

static double power(const int16_t *x, size_t n, double f)
{
	double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / 8000);

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] / 32768.0 + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return 10 * log10((s1 * s1 + s2 * s2 - c * s1 * s2) /
			  (n * n / 4.0) + 1e-20);
}

static void roundtrip(enum media_codec codec, size_t want_bytes)
{
	int err;
	struct media_coder *mc = media_coder_new(codec, &err);
	int16_t in[N], out[N * 3];
	uint8_t pl[MEDIA_MAX_PAYLOAD];
	double p400 = 0, p1000 = 0;

	assert_non_null(mc);
	assert_int_equal(err, 0);
	for (int k = 0; k < 50; k++) {
		size_t len;
		int n;

		for (int i = 0; i < N; i++)
			in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 400 *
							   (k * N + i) / 8000.0));
		len = media_coder_encode(mc, codec, pl, sizeof(pl), in, N);
		assert_true(len > 0);
		if (want_bytes)
			assert_int_equal(len, want_bytes);
		n = media_coder_decode(mc, codec, out, N * 3, pl, len);
		assert_int_equal(n, N);
		if (k >= 40) {
			p400 += power(out, N, 400) / 10;
			p1000 += power(out, N, 1000) / 10;
		}
	}
	print_message("%s: 400 Hz %.1f dB, 1000 Hz %.1f dB\n",
		      media_codec_name(codec), p400, p1000);
	assert_true(p400 > -20);
	assert_true(p1000 < p400 - 30);
	media_coder_free(mc);
}

static void test_g722(void **state)
{
	(void)state;
	roundtrip(MEDIA_G722, 160);
	assert_int_equal(media_clock_ratio(MEDIA_G722), 1);
}

static void test_opus(void **state)
{
	(void)state;
	roundtrip(MEDIA_OPUS, 0);
	assert_int_equal(media_clock_ratio(MEDIA_OPUS), 6);
}

/* A lost Opus frame comes back from the next packet's in-band FEC */
static void test_opus_fec(void **state)
{
	int err;
	struct media_coder *tx = media_coder_new(MEDIA_OPUS, &err);
	struct media_coder *rx = media_coder_new(MEDIA_OPUS, &err);
	uint8_t pl[40][MEDIA_MAX_PAYLOAD];
	size_t len[40];
	int16_t in[N], out[N];

	(void)state;
	assert_non_null(tx);
	assert_non_null(rx);
	for (int k = 0; k < 40; k++) {
		for (int i = 0; i < N; i++)
			in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 400 *
							   (k * N + i) / 8000.0));
		len[k] = media_coder_encode(tx, MEDIA_OPUS, pl[k],
					    sizeof(pl[k]), in, N);
		assert_true(len[k] > 0);
	}
	for (int k = 0; k < 30; k++)
		assert_int_equal(media_coder_decode(rx, MEDIA_OPUS, out, N,
						    pl[k], len[k]), N);
	/* frame 30 is lost; frame 31 brings it back */
	assert_int_equal(media_opus_samples(pl[31], len[31]), N);
	assert_int_equal(media_coder_decode_fec(rx, out, N, pl[31], len[31]),
			 N);
	print_message("recovered frame: 400 Hz %.1f dB\n",
		      power(out, N, 400));
	assert_true(power(out, N, 400) > -25);
	assert_int_equal(media_coder_decode(rx, MEDIA_OPUS, out, N, pl[31],
					    len[31]), N);
	assert_int_equal(media_coder_decode_fec(NULL, out, N, pl[31],
						len[31]), -1);
	media_coder_free(tx);
	media_coder_free(rx);
}

static void test_g711_stateless(void **state)
{
	int err = -1;
	int16_t in[N] = {0}, out[N];
	uint8_t pl[N];

	(void)state;
	assert_null(media_coder_new(MEDIA_PCMU, &err));
	assert_int_equal(err, 0);
	assert_int_equal(media_coder_encode(NULL, MEDIA_PCMA, pl, sizeof(pl),
					    in, N), N);
	assert_int_equal(media_coder_decode(NULL, MEDIA_PCMA, out, N, pl, N),
			 N);
	/* too small a buffer is refused, not overrun */
	assert_int_equal(media_coder_encode(NULL, MEDIA_PCMU, pl, 10, in, N),
			 0);
	assert_int_equal(media_coder_decode(NULL, MEDIA_PCMU, out, 10, pl, N),
			 -1);
	assert_string_equal(media_codec_name(MEDIA_OPUS), "opus");
	assert_string_equal(media_codec_name(MEDIA_G722), "G722");
}

static void test_garbage(void **state)
{
	const enum media_codec cs[] = {MEDIA_G722, MEDIA_OPUS};

	(void)state;
	srand(4575);
	for (size_t c = 0; c < 2; c++) {
		int err;
		struct media_coder *mc = media_coder_new(cs[c], &err);
		int16_t out[N * 3];
		uint8_t pl[MEDIA_MAX_PAYLOAD];
		unsigned refused = 0;

		for (int k = 0; k < 10000; k++) {
			size_t len = 1 + (size_t)(rand() % 200);
			int n;

			for (size_t i = 0; i < len; i++)
				pl[i] = (uint8_t)rand();
			n = media_coder_decode(mc, cs[c], out, N * 3, pl, len);
			assert_true(n <= N * 3);
			refused += n < 0;
		}
		print_message("%s: %u of 10000 random payloads refused\n",
			      media_codec_name(cs[c]), refused);
		media_coder_free(mc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g722),
		cmocka_unit_test(test_opus),
		cmocka_unit_test(test_opus_fec),
		cmocka_unit_test(test_g711_stateless),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
