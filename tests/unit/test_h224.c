/*
 * Far-end camera control frames (src/video/h224.c): H.281 messages in
 * H.224 frames as RFC 4573 carries them. Frames written out by hand from
 * H.224 fig. 2 and H.281 (as OPAL sends them) against the builder and the
 * parser; every message through both; cuts and single bit flips of valid
 * frames; what is not well formed (EBADMSG) and what is not FECC or not
 * known (ENOTSUP); the names the API uses, both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "video/h224.h"

/* Q.922 address (DLCI 6), UI, destination 0, source 0, FECC, one
 * segment */
#define HDR 0x00, 0x61, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0

static void assert_fecc_equal(const struct h224_fecc *a,
			      const struct h224_fecc *b)
{
	assert_int_equal(a->action, b->action);
	assert_int_equal(a->pan, b->pan);
	assert_int_equal(a->tilt, b->tilt);
	assert_int_equal(a->zoom, b->zoom);
	assert_int_equal(a->focus, b->focus);
	assert_int_equal(a->timeout, b->timeout);
	assert_int_equal(a->preset, b->preset);
	assert_int_equal(a->source, b->source);
	assert_int_equal(a->dst, b->dst);
	assert_int_equal(a->src, b->src);
}

/* f built is exactly the frame want, and parses back as f */
static void built_as(const struct h224_fecc *f, const uint8_t *want,
		     size_t len)
{
	uint8_t buf[32];
	struct h224_fecc back;
	size_t n = h224_build(buf, sizeof(buf), f);

	assert_int_equal(n, len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(h224_parse(buf, n, &back), 0);
	assert_fecc_equal(&back, f);
	for (size_t cap = 0; cap < len; cap++)
		assert_int_equal(h224_build(buf, cap, f), 0);
}

static void test_build_bytes(void **state)
{
	static const uint8_t start_left[] = {HDR, 0x01, 0x80, 0x00};
	static const uint8_t start_right_in[] = {HDR, 0x01, 0xcc, 0x05};
	static const uint8_t cont_up_in[] = {HDR, 0x02, 0x3c};
	static const uint8_t stop_down_fout[] = {HDR, 0x03, 0x22};
	static const uint8_t select2[] = {HDR, 0x04, 0x20};
	static const uint8_t switched1[] = {HDR, 0x05, 0x10};
	static const uint8_t store5[] = {HDR, 0x07, 0x50};
	static const uint8_t preset15[] = {HDR, 0x08, 0xf0};
	static const uint8_t addressed[] = {
		0x00, 0x61, 0x03, 0x12, 0x34, 0x56, 0x78, 0x01, 0xc0,
		0x01, 0x03, 0x0f};
	struct h224_fecc f = {.action = H224_START, .pan = -1};

	(void)state;
	built_as(&f, start_left, sizeof(start_left));
	f = (struct h224_fecc){.action = H224_START, .pan = 1, .zoom = 1,
			       .timeout = 5};
	built_as(&f, start_right_in, sizeof(start_right_in));
	f = (struct h224_fecc){.action = H224_CONTINUE, .tilt = 1, .zoom = 1};
	built_as(&f, cont_up_in, sizeof(cont_up_in));
	f = (struct h224_fecc){.action = H224_STOP, .tilt = -1, .focus = -1};
	built_as(&f, stop_down_fout, sizeof(stop_down_fout));
	f = (struct h224_fecc){.action = H224_SELECT_SOURCE, .source = 2};
	built_as(&f, select2, sizeof(select2));
	f = (struct h224_fecc){.action = H224_SOURCE_SWITCHED, .source = 1};
	built_as(&f, switched1, sizeof(switched1));
	f = (struct h224_fecc){.action = H224_STORE_PRESET, .preset = 5};
	built_as(&f, store5, sizeof(store5));
	f = (struct h224_fecc){.action = H224_ACTIVATE_PRESET, .preset = 15};
	built_as(&f, preset15, sizeof(preset15));
	f = (struct h224_fecc){.action = H224_START, .focus = 1,
			       .timeout = 15, .dst = 0x1234, .src = 0x5678};
	built_as(&f, addressed, sizeof(addressed));
}

/* As other implementations send them: high priority (DLCI 7), the
 * client id's reserved bit, reserved bits in the messages, octets
 * after the message */
static void test_parse_hand(void **state)
{
	static const uint8_t up_out[] = {
		0x00, 0x71, 0x03, 0x00, 0x00, 0x00, 0x00, 0x81, 0xc0,
		0x01, 0x38, 0xf4};
	static const uint8_t select3[] = {HDR, 0x04, 0x3e};
	static const uint8_t preset7[] = {HDR, 0x08, 0x7f, 0xaa, 0xbb};
	static const uint8_t seg_bits[] = {
		0x00, 0x61, 0x03, 0x00, 0x05, 0x00, 0x09, 0x01, 0xf3,
		0x03, 0x00};
	struct h224_fecc f;

	(void)state;
	assert_int_equal(h224_parse(up_out, sizeof(up_out), &f), 0);
	assert_int_equal(f.action, H224_START);
	assert_int_equal(f.pan, 0);
	assert_int_equal(f.tilt, 1);
	assert_int_equal(f.zoom, -1);
	assert_int_equal(f.focus, 0);
	assert_int_equal(f.timeout, 4);
	assert_int_equal(h224_parse(select3, sizeof(select3), &f), 0);
	assert_int_equal(f.action, H224_SELECT_SOURCE);
	assert_int_equal(f.source, 3);
	assert_int_equal(h224_parse(preset7, sizeof(preset7), &f), 0);
	assert_int_equal(f.action, H224_ACTIVATE_PRESET);
	assert_int_equal(f.preset, 7);
	/* C1, C0 and a segment number: one segment all the same; a stop
	 * of nothing is well formed */
	assert_int_equal(h224_parse(seg_bits, sizeof(seg_bits), &f), 0);
	assert_int_equal(f.action, H224_STOP);
	assert_int_equal(f.dst, 5);
	assert_int_equal(f.src, 9);
}

/* Every message with a spread of values, both ways */
static void test_roundtrip(void **state)
{
	static const enum h224_action acts[] = {
		H224_START, H224_CONTINUE, H224_STOP, H224_SELECT_SOURCE,
		H224_SOURCE_SWITCHED, H224_STORE_PRESET,
		H224_ACTIVATE_PRESET,
	};
	uint8_t buf[16];

	(void)state;
	for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
		for (unsigned v = 0; v < 81 * 16; v++) {
			struct h224_fecc f = {.action = acts[a]}, back;
			size_t n;

			f.pan = (int8_t)(v % 3) - 1;
			f.tilt = (int8_t)(v / 3 % 3) - 1;
			f.zoom = (int8_t)(v / 9 % 3) - 1;
			f.focus = (int8_t)(v / 27 % 3) - 1;
			f.timeout = f.preset = f.source = (uint8_t)(v / 81);
			f.dst = (uint16_t)(v * 977);
			f.src = (uint16_t)(v * 31);
			n = h224_build(buf, sizeof(buf), &f);
			assert_int_equal(n, acts[a] == H224_START ? 12 : 11);
			assert_int_equal(h224_parse(buf, n, &back), 0);
			/* what a message does not carry comes back 0 */
			if (acts[a] != H224_START)
				f.timeout = 0;
			if (acts[a] > H224_STOP)
				f.pan = f.tilt = f.zoom = f.focus = 0;
			if (acts[a] != H224_SELECT_SOURCE &&
			    acts[a] != H224_SOURCE_SWITCHED)
				f.source = 0;
			if (acts[a] != H224_STORE_PRESET &&
			    acts[a] != H224_ACTIVATE_PRESET)
				f.preset = 0;
			assert_fecc_equal(&back, &f);
		}
	}
}

static void test_rejects(void **state)
{
	static const uint8_t start[] = {HDR, 0x01, 0x80, 0x00};
	uint8_t buf[sizeof(start)];
	struct h224_fecc f;

	(void)state;
	/* cut anywhere: not well formed */
	for (size_t n = 0; n < sizeof(start); n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, start, n);
		assert_int_equal(h224_parse(copy, n, &f), EBADMSG);
		free(copy);
	}
	assert_int_equal(h224_parse(start, 11, &f), EBADMSG);
	/* each message without its octets */
	for (unsigned t = 1; t <= 8; t++) {
		const uint8_t msg[] = {HDR, (uint8_t)t};

		if (t != 6)
			assert_int_equal(h224_parse(msg, sizeof(msg), &f),
					 EBADMSG);
	}
	/* another address (the EA bit last, not 0x86), not UI */
	memcpy(buf, start, sizeof(buf));
	buf[1] = 0x86;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), EBADMSG);
	buf[1] = 0x60;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), EBADMSG);
	buf[1] = 0x61;
	buf[0] = 0x02;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), EBADMSG);
	buf[0] = 0x00;
	buf[2] = 0x13;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), EBADMSG);
	buf[2] = 0x03;
	/* an illegal direction (01) in each field */
	for (unsigned shift = 0; shift < 8; shift += 2) {
		buf[10] = (uint8_t)(1u << shift);
		assert_int_equal(h224_parse(buf, sizeof(buf), &f), EBADMSG);
	}
	buf[10] = 0x80;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), 0);

	/* CME, another standard client, extended, non-standard */
	for (unsigned id = 0; id < 0x80; id++) {
		buf[7] = (uint8_t)id;
		assert_int_equal(h224_parse(buf, sizeof(buf), &f),
				 id == 1 ? 0 : ENOTSUP);
	}
	buf[7] = 0x01;
	/* a segment of a longer frame */
	buf[8] = 0x80;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), ENOTSUP);
	buf[8] = 0x40;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), ENOTSUP);
	buf[8] = 0x00;
	assert_int_equal(h224_parse(buf, sizeof(buf), &f), ENOTSUP);
	buf[8] = 0xc0;
	/* H.281 messages that are not defined */
	for (unsigned t = 0; t < 256; t++) {
		int want = ENOTSUP;

		buf[9] = (uint8_t)t;
		if ((t >= 1 && t <= 5) || t == 7 || t == 8)
			want = 0;
		assert_int_equal(h224_parse(buf, sizeof(buf), &f), want);
	}
	assert_int_equal(h224_parse(NULL, 12, &f), EINVAL);
	assert_int_equal(h224_parse(start, sizeof(start), NULL), EINVAL);
}

/* Every bit of each message flipped: no read past the end (an exact
 * copy), and what parses builds into a frame that parses the same */
static void test_bitflips(void **state)
{
	static const uint8_t frames[][12] = {
		{HDR, 0x01, 0xcc, 0x05}, {HDR, 0x02, 0x3c}, {HDR, 0x03, 0x22},
		{HDR, 0x04, 0x20}, {HDR, 0x05, 0x10}, {HDR, 0x07, 0x50},
		{HDR, 0x08, 0xf0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		size_t len = frames[i][9] == 1 ? 12 : 11;
		uint8_t *copy = malloc(len);

		for (size_t bit = 0; bit < len * 8; bit++) {
			struct h224_fecc f, back;
			uint8_t out[16];
			size_t n;

			memcpy(copy, frames[i], len);
			copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (h224_parse(copy, len, &f))
				continue;
			n = h224_build(out, sizeof(out), &f);
			assert_true(n > 0);
			assert_int_equal(h224_parse(out, n, &back), 0);
			assert_fecc_equal(&back, &f);
		}
		free(copy);
	}
}

static void test_build_invalid(void **state)
{
	uint8_t buf[16];
	struct h224_fecc f = {.action = H224_START, .pan = 2};

	(void)state;
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	f = (struct h224_fecc){.action = H224_STOP, .focus = -2};
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	f = (struct h224_fecc){.action = H224_START, .timeout = 16};
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	f = (struct h224_fecc){.action = H224_ACTIVATE_PRESET, .preset = 16};
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	f = (struct h224_fecc){.action = H224_SELECT_SOURCE, .source = 16};
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	for (int a = -1; a < 12; a++) {
		f = (struct h224_fecc){.action = (enum h224_action)a};
		if ((a >= 1 && a <= 5) || a == 7 || a == 8)
			continue;
		assert_int_equal(h224_build(buf, sizeof(buf), &f), 0);
	}
	/* fields a message does not carry do not matter */
	f = (struct h224_fecc){.action = H224_CONTINUE, .timeout = 200,
			       .preset = 99, .source = 99};
	assert_int_equal(h224_build(buf, sizeof(buf), &f), 11);
	assert_int_equal(h224_build(NULL, 16, &f), 0);
	assert_int_equal(h224_build(buf, sizeof(buf), NULL), 0);
}

/* The name h224_print gives f */
static const char *printed(const struct h224_fecc *f)
{
	static char s[64];

	assert_true(re_snprintf(s, sizeof(s), "%H", h224_print, f) >= 0);
	return s;
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int8_t pan, tilt, zoom, focus;
	} motions[] = {
		{"pan_left", -1, 0, 0, 0},  {"pan_right", 1, 0, 0, 0},
		{"tilt_down", 0, -1, 0, 0}, {"tilt_up", 0, 1, 0, 0},
		{"zoom_out", 0, 0, -1, 0},  {"zoom_in", 0, 0, 1, 0},
		{"focus_out", 0, 0, 0, -1}, {"focus_in", 0, 0, 0, 1},
	};
	struct h224_fecc f, g = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(motions) / sizeof(motions[0]); i++) {
		memset(&f, 0x5a, sizeof(f));
		f.dst = 3;
		f.src = 4;
		assert_int_equal(h224_action_parse(&f, motions[i].name, 0), 0);
		assert_int_equal(f.action, H224_START);
		assert_int_equal(f.pan, motions[i].pan);
		assert_int_equal(f.tilt, motions[i].tilt);
		assert_int_equal(f.zoom, motions[i].zoom);
		assert_int_equal(f.focus, motions[i].focus);
		assert_int_equal(f.timeout, 0);
		assert_int_equal(f.preset, 0);
		assert_int_equal(f.dst, 3);       /* the addresses stay */
		assert_int_equal(f.src, 4);
		assert_string_equal(printed(&f), motions[i].name);
	}

	/* several at once; the number is the timeout */
	f = (struct h224_fecc){0};
	assert_int_equal(h224_action_parse(&f, "pan_left+tilt_up", 4), 0);
	assert_int_equal(f.pan, -1);
	assert_int_equal(f.tilt, 1);
	assert_int_equal(f.timeout, 4);
	assert_string_equal(printed(&f), "pan_left+tilt_up 4");
	assert_int_equal(h224_action_parse(&g, "tilt_up+pan_left", 4), 0);
	assert_string_equal(printed(&g), "pan_left+tilt_up 4");

	/* stop stops what f was doing */
	assert_int_equal(h224_action_parse(&f, "stop", 99), 0);
	assert_int_equal(f.action, H224_STOP);
	assert_int_equal(f.pan, -1);
	assert_int_equal(f.tilt, 1);
	assert_int_equal(f.timeout, 0);
	assert_string_equal(printed(&f), "stop");
	f = (struct h224_fecc){0};
	assert_int_equal(h224_action_parse(&f, "STOP", 0), 0);
	assert_string_equal(printed(&f), "stop");

	assert_int_equal(h224_action_parse(&f, "preset", 3), 0);
	assert_int_equal(f.action, H224_ACTIVATE_PRESET);
	assert_int_equal(f.preset, 3);
	assert_string_equal(printed(&f), "preset 3");
	assert_int_equal(h224_action_parse(&f, "store_preset", 15), 0);
	assert_int_equal(f.action, H224_STORE_PRESET);
	assert_string_equal(printed(&f), "store_preset 15");
	assert_int_equal(h224_action_parse(&f, "source", 2), 0);
	assert_int_equal(f.action, H224_SELECT_SOURCE);
	assert_int_equal(f.source, 2);
	assert_int_equal(f.preset, 0);
	assert_string_equal(printed(&f), "source 2");
	f = (struct h224_fecc){.action = H224_SOURCE_SWITCHED, .source = 4};
	assert_string_equal(printed(&f), "source_switched 4");
	f = (struct h224_fecc){.action = H224_CONTINUE, .zoom = 1};
	assert_string_equal(printed(&f), "continue");
	f = (struct h224_fecc){.action = H224_START};
	assert_string_equal(printed(&f), "start");
	f = (struct h224_fecc){.action = (enum h224_action)6};
	assert_string_equal(printed(&f), "?");

	/* what is not a name leaves f as it was */
	f = (struct h224_fecc){.action = H224_ACTIVATE_PRESET, .preset = 9};
	g = f;
	assert_int_equal(h224_action_parse(&f, "preset", 16), EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_left", 16), EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_up", 0), EINVAL);
	assert_int_equal(h224_action_parse(&f, "", 0), EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_left+", 0), EINVAL);
	assert_int_equal(h224_action_parse(&f, "+pan_left", 0), EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_left+pan_right", 0),
			 EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_left+pan_left", 0),
			 EINVAL);
	assert_int_equal(h224_action_parse(&f, "pan_lefty", 0), EINVAL);
	assert_int_equal(h224_action_parse(&f, NULL, 0), EINVAL);
	assert_int_equal(h224_action_parse(NULL, "stop", 0), EINVAL);
	assert_fecc_equal(&f, &g);
}

/* A name through the parser, the builder and the frame parser */
static void test_name_to_frame(void **state)
{
	uint8_t buf[16];
	struct h224_fecc f = {0}, back;
	size_t n;

	(void)state;
	assert_int_equal(h224_action_parse(&f, "zoom_in+focus_out", 0), 0);
	n = h224_build(buf, sizeof(buf), &f);
	assert_int_equal(n, 12);
	assert_int_equal(buf[10], 0x0e);
	assert_int_equal(h224_parse(buf, n, &back), 0);
	assert_fecc_equal(&back, &f);
	assert_int_equal(h224_action_parse(&back, "stop", 0), 0);
	n = h224_build(buf, sizeof(buf), &back);
	assert_int_equal(n, 11);
	assert_int_equal(buf[9], 0x03);
	assert_int_equal(buf[10], 0x0e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_bytes),
		cmocka_unit_test(test_parse_hand),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_build_invalid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_to_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
