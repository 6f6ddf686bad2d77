/* Codec state (media/coder.c): round trips of a tone through every codec
 * at every mix rate keep it (Goertzel), wideband tones pass the wideband
 * codecs and not G.711, Opus's FEC and PLC, the peer's fmtp, G.711 needs
 * no state at 8 kHz, frame sizes are what RTP carries (160 bytes of G.722
 * per 20 ms), and 20 000 random payloads fed to each decoder (at 48 kHz,
 * through the resamplers) neither crash nor overrun. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "media/media.h"

#define N 160
#define NMAX MEDIA_FRAME_MAX

/* Goertzel power of f in x (n samples at hz), dB relative to a full-scale
 * sine's */
static double power_at(const int16_t *x, size_t n, double f, double hz)
{
	double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / hz);

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] / 32768.0 + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return 10 * log10((s1 * s1 + s2 * s2 - c * s1 * s2) /
			  (n * n / 4.0) + 1e-20);
}

static double power(const int16_t *x, size_t n, double f)
{
	return power_at(x, n, f, 8000);
}

/* A tone at the mix rate through encode, decode (native rate) and back to
 * the mix rate: its level at f and at a frequency it does not have */
static void through(enum media_codec codec, unsigned hz, double f,
		    size_t want_bytes, double *pf, double *pother)
{
	int err;
	struct media_coder *mc = media_coder_new(codec, hz, NULL, &err);
	unsigned n = hz / 50, nn = media_native_rate(codec, hz) / 50;
	int16_t in[NMAX], nat[NMAX * 3], out[NMAX];
	uint8_t pl[MEDIA_MAX_PAYLOAD];

	*pf = *pother = 0;
	if ((codec != MEDIA_PCMU && codec != MEDIA_PCMA) || hz != 8000)
		assert_non_null(mc);
	assert_int_equal(err, 0);
	for (int k = 0; k < 50; k++) {
		size_t len;
		int got;

		for (unsigned i = 0; i < n; i++)
			in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * f *
							   (k * n + i) / hz));
		len = media_coder_encode(mc, codec, pl, sizeof(pl), in, n);
		assert_true(len > 0);
		if (want_bytes)
			assert_int_equal(len, want_bytes);
		got = media_coder_decode(mc, codec, nat, NMAX * 3, pl, len);
		assert_int_equal(got, nn);
		assert_int_equal(media_coder_to_mix(mc, nat, nn, out, NMAX),
				 n);
		if (k >= 40) {
			*pf += power_at(out, n, f, hz) / 10;
			*pother += power_at(out, n, f + 1000, hz) / 10;
		}
	}
	media_coder_free(mc);
}

static void roundtrip(enum media_codec codec, size_t want_bytes)
{
	double p400, pother;

	through(codec, 8000, 400, want_bytes, &p400, &pother);
	print_message("%s: 400 Hz %.1f dB, 1400 Hz %.1f dB\n",
		      media_codec_name(codec), p400, pother);
	assert_true(p400 > -20);
	assert_true(pother < p400 - 30);
}

static void test_g722(void **state)
{
	(void)state;
	roundtrip(MEDIA_G722, 160);
	assert_int_equal(media_rtp_clock(MEDIA_G722), 8000);
	assert_int_equal(media_native_rate(MEDIA_G722, 8000), 16000);
	assert_int_equal(media_native_rate(MEDIA_G722, 48000), 16000);
}

static void test_opus(void **state)
{
	(void)state;
	roundtrip(MEDIA_OPUS, 0);
	assert_int_equal(media_rtp_clock(MEDIA_OPUS), 48000);
	assert_int_equal(media_native_rate(MEDIA_OPUS, 16000), 16000);
}

/* Every codec at every mix rate keeps a 400 Hz tone; a 6 kHz tone, which
 * only a wideband mix can hold, survives G.722 and Opus in a 16 or 48 kHz
 * mix and is gone through G.711 (resampled to 8 kHz and back); a 10 kHz
 * tone survives Opus in a 48 kHz mix */
static void test_mix_rates(void **state)
{
	const enum media_codec cs[] = {MEDIA_PCMU, MEDIA_PCMA, MEDIA_G722,
				       MEDIA_OPUS};
	const unsigned rates[] = {8000, 16000, 48000};

	(void)state;
	for (size_t c = 0; c < 4; c++) {
		for (size_t r = 0; r < 3; r++) {
			double p, o;

			through(cs[c], rates[r], 400, 0, &p, &o);
			print_message("%s at %u: 400 Hz %.1f dB, other "
				      "%.1f dB\n", media_codec_name(cs[c]),
				      rates[r], p, o);
			assert_true(p > -20);
			assert_true(o < p - 25);
			if (rates[r] == 8000)
				continue;
			through(cs[c], rates[r], 6000, 0, &p, &o);
			print_message("%s at %u: 6 kHz %.1f dB\n",
				      media_codec_name(cs[c]), rates[r], p);
			if (cs[c] == MEDIA_G722 || cs[c] == MEDIA_OPUS)
				assert_true(p > -25);
			else
				assert_true(p < -50);
		}
	}
	{
		double p, o;

		through(MEDIA_OPUS, 48000, 10000, 0, &p, &o);
		print_message("opus at 48000: 10 kHz %.1f dB\n", p);
		assert_true(p > -25);
	}
}

/* Opus's own concealment continues a tone; without a decoder there is
 * none */
static void test_opus_plc(void **state)
{
	int err;
	struct media_coder *mc = media_coder_new(MEDIA_OPUS, 16000, NULL,
						 &err);
	int16_t in[320], out[320];
	uint8_t pl[MEDIA_MAX_PAYLOAD];

	(void)state;
	for (int k = 0; k < 20; k++) {
		size_t len;

		for (int i = 0; i < 320; i++)
			in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 400 *
							   (k * 320 + i) /
							   16000.0));
		len = media_coder_encode(mc, MEDIA_OPUS, pl, sizeof(pl), in,
					 320);
		assert_int_equal(media_coder_decode(mc, MEDIA_OPUS, out, 320,
						    pl, len), 320);
	}
	assert_int_equal(media_coder_conceal(mc, out, 320), 320);
	print_message("concealed frame: 400 Hz %.1f dB\n",
		      power_at(out, 320, 400, 16000));
	assert_true(power_at(out, 320, 400, 16000) > -30);
	assert_int_equal(media_coder_conceal(NULL, out, 320), -1);
	media_coder_free(mc);
}

/* G.711's concealer: a voiced sound (a 160 Hz buzz, rich in harmonics)
 * lost for a frame is continued in its own pitch, close to what really
 * followed; the level falls to silence within 60 ms of loss; audio that
 * comes back is blended in without a click; with too little history it
 * gives silence */
static double voice(unsigned t)
{
	double ph = 2 * M_PI * 160 * t / 8000.0;

	return 6000 * (sin(ph) + 0.5 * sin(2 * ph + 0.3) +
		       0.25 * sin(3 * ph + 1.1));
}

static void test_g711_plc(void **state)
{
	struct media_plc *plc = media_plc_new();
	int16_t pcm[N];
	double err = 0, sig = 0, first, later = 0, jump = 0;
	unsigned t = 0;

	(void)state;
	assert_non_null(plc);
	/* not enough heard yet: silence */
	assert_int_equal(media_plc_fill(plc, pcm, N), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(pcm[i], 0);
	media_plc_free(plc);
	plc = media_plc_new();
	for (int k = 0; k < 10; k++, t += N) {
		for (int i = 0; i < N; i++)
			pcm[i] = (int16_t)lrint(voice(t + (unsigned)i));
		media_plc_rx(plc, pcm, N);
	}
	assert_int_equal(media_plc_fill(plc, pcm, N), N);
	/* its first 10 ms (full level) against what really followed */
	for (int i = 0; i < 80; i++) {
		double want = voice(t + (unsigned)i);

		err += (pcm[i] - want) * (pcm[i] - want);
		sig += want * want;
	}
	first = 10 * log10(sig / (err + 1e-9));
	t += N;
	/* a second frame lost, then audio again: the seam is smooth */
	media_plc_fill(plc, pcm, N);
	t += N;
	{
		int16_t last = pcm[N - 1];

		for (int i = 0; i < N; i++)
			pcm[i] = (int16_t)lrint(voice(t + (unsigned)i));
		media_plc_rx(plc, pcm, N);
		jump = fabs((double)pcm[0] - last);
	}
	t += N;
	/* lost for long: silence after 60 ms */
	for (int k = 0; k < 4; k++) {
		assert_int_equal(media_plc_fill(plc, pcm, N), N);
		later = power(pcm, N, 160);
	}
	print_message("G.711 PLC: first 10 ms %.1f dB SNR against the real "
		      "continuation, step back into audio %.0f, 4th lost "
		      "frame %.1f dB\n", first, jump, later);
	assert_true(first > 6);
	assert_true(jump < 3000);
	assert_true(later < -100);
	assert_int_equal(media_plc_fill(NULL, pcm, N), -1);
	media_plc_free(plc);
}

/* The peer's fmtp reaches the encoder: a maxaveragebitrate lower than
 * ours makes smaller frames */
static void test_opus_fmtp(void **state)
{
	struct media_opus_fmtp lo;
	int err;
	struct media_coder *a = media_coder_new(MEDIA_OPUS, 48000, NULL,
						&err);
	struct media_coder *b;
	int16_t in[960];
	uint8_t pl[MEDIA_MAX_PAYLOAD];
	size_t la = 0, lb = 0;

	(void)state;
	media_opus_fmtp_parse(&lo, "minptime=10; useinbandfec=0;"
			      "maxaveragebitrate=8000");
	assert_int_equal(lo.maxaveragebitrate, 8000);
	assert_int_equal(lo.useinbandfec, -1);
	assert_int_equal(lo.usedtx, 0);
	b = media_coder_new(MEDIA_OPUS, 48000, &lo, &err);
	for (int k = 0; k < 20; k++) {
		for (int i = 0; i < 960; i++)
			in[i] = (int16_t)lrint(8000 * sin(2 * M_PI * 440 *
							  (k * 960 + i) /
							  48000.0) +
					       (rand() % 2000) - 1000);
		la += media_coder_encode(a, MEDIA_OPUS, pl, sizeof(pl), in,
					 960);
		lb += media_coder_encode(b, MEDIA_OPUS, pl, sizeof(pl), in,
					 960);
	}
	print_message("20 frames: %zu bytes at our rate, %zu at 8 kb/s\n",
		      la, lb);
	assert_true(lb * 2 < la);
	assert_null(media_coder_new(MEDIA_OPUS, 44100, NULL, &err));
	assert_int_equal(err, EINVAL);
	/* garbage is ignored, parameter by parameter */
	media_opus_fmtp_parse(&lo, "maxplaybackrate=16000;usedtx=1;"
			      "useinbandfec=7;maxaveragebitrate=x;;=;"
			      "maxaveragebitrate");
	assert_int_equal(lo.maxplaybackrate, 16000);
	assert_int_equal(lo.usedtx, 1);
	assert_int_equal(lo.useinbandfec, 0);
	assert_int_equal(lo.maxaveragebitrate, 0);
	media_opus_fmtp_parse(&lo, NULL);
	assert_int_equal(lo.maxplaybackrate, 0);
	media_opus_fmtp_parse(&lo, "maxplaybackrate=99999999999999999999");
	assert_int_equal(err, EINVAL);
	media_coder_free(a);
	media_coder_free(b);
}

/* A lost Opus frame comes back from the next packet's in-band FEC */
static void test_opus_fec(void **state)
{
	int err;
	struct media_coder *tx = media_coder_new(MEDIA_OPUS, 8000, NULL, &err);
	struct media_coder *rx = media_coder_new(MEDIA_OPUS, 8000, NULL, &err);
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
	assert_int_equal(media_opus_samples(pl[31], len[31]), 960);
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
	assert_null(media_coder_new(MEDIA_PCMU, 8000, NULL, &err));
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
		struct media_coder *mc = media_coder_new(cs[c], 48000, NULL,
							 &err);
		int16_t out[NMAX * 3];
		uint8_t pl[MEDIA_MAX_PAYLOAD];
		unsigned refused = 0;

		for (int k = 0; k < 10000; k++) {
			size_t len = 1 + (size_t)(rand() % 200);
			int n;

			for (size_t i = 0; i < len; i++)
				pl[i] = (uint8_t)rand();
			n = media_coder_decode(mc, cs[c], out, NMAX * 3, pl,
					       len);
			assert_true(n <= NMAX * 3);
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
		cmocka_unit_test(test_mix_rates),
		cmocka_unit_test(test_opus_plc),
		cmocka_unit_test(test_g711_plc),
		cmocka_unit_test(test_opus_fmtp),
		cmocka_unit_test(test_g711_stateless),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
