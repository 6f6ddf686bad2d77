/* G.711: known code points, round-trip error within the segment's step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "media/media.h"

static void test_known_values(void **state)
{
	(void)state;
	assert_int_equal(g711_ulaw_encode(0), 0xff);
	assert_int_equal(g711_alaw_encode(0), 0xd5);
	assert_int_equal(g711_ulaw_decode(0xff), 0);
	assert_int_equal(g711_ulaw_encode(32767), 0x80);
	assert_int_equal(g711_ulaw_encode(-32768), 0x00);
	assert_int_equal(g711_alaw_decode(0xd5), 8);
	assert_int_equal(g711_alaw_decode(0x55), -8);
}

static void roundtrip(uint8_t (*enc)(int16_t), int16_t (*dec)(uint8_t))
{
	for (int s = -32768; s <= 32767; s += 7) {
		int back = dec(enc((int16_t)s));
		int err = abs(back - s);
		/* the quantisation step is at most 1/16 of the magnitude
		 * (plus the first segment's fixed step) */
		int bound = abs(s) / 16 + 16;

		if (abs(s) > 32200)
			bound += 600;    /* the clip point of mu-law */
		assert_true(err <= bound);
	}
}

static void test_roundtrip_ulaw(void **state)
{
	(void)state;
	roundtrip(g711_ulaw_encode, g711_ulaw_decode);
}

static void test_roundtrip_alaw(void **state)
{
	(void)state;
	roundtrip(g711_alaw_encode, g711_alaw_decode);
}

static void test_decode_table_matches(void **state)
{
	uint8_t all[256];
	int16_t u[256], a[256];

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	media_decode(MEDIA_PCMU, u, all, 256);
	media_decode(MEDIA_PCMA, a, all, 256);
	for (int i = 0; i < 256; i++) {
		assert_int_equal(u[i], g711_ulaw_decode((uint8_t)i));
		assert_int_equal(a[i], g711_alaw_decode((uint8_t)i));
		/* every code point re-encodes to itself (no 0x7f/0xff
		 * aliasing of mu-law's two zeros aside) */
		if (i != 0x7f)
			assert_int_equal(g711_ulaw_encode(u[i]), i);
		assert_int_equal(g711_alaw_encode(a[i]), i);
	}
}

/* A frame's energy read from its bytes equals (within 1/16 per sample)
 * the energy of its decoded samples, for every byte value and law */
static void test_energy(void **state)
{
	const enum media_codec laws[] = {MEDIA_PCMU, MEDIA_PCMA};
	uint8_t b[256];
	int16_t pcm[256];

	(void)state;
	for (int i = 0; i < 256; i++)
		b[i] = (uint8_t)i;
	for (int l = 0; l < 2; l++) {
		double want = 0, got;

		media_decode(laws[l], pcm, b, 256);
		for (int i = 0; i < 256; i++)
			want += (double)pcm[i] * pcm[i];
		got = (double)media_g711_energy(laws[l], b, 256);
		assert_true(got <= want && got >= want - 256 * 16);
		/* a single byte of silence has next to none */
		b[0] = l ? 0xd5 : 0xff;
		assert_true(media_g711_energy(laws[l], b, 1) < 256);
		b[0] = 0;
	}
	assert_int_equal(media_g711_energy(MEDIA_PCMU, b, 0), 0);
}

static void test_monotonic(void **state)
{
	int prev = -40000;

	(void)state;
	for (int s = -32768; s <= 32767; s += 3) {
		int v = g711_alaw_decode(g711_alaw_encode((int16_t)s));

		assert_true(v >= prev);
		prev = v;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_roundtrip_ulaw),
		cmocka_unit_test(test_roundtrip_alaw),
		cmocka_unit_test(test_decode_table_matches),
		cmocka_unit_test(test_energy),
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
