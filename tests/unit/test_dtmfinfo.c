/* Keypad digits in SIP INFO bodies (src/sip/dtmfinfo.c): both content
 * types and the variants phones send, malformed bodies refused, every
 * cut of a good body read without going past it, and the per-call
 * limit of 20 digits a second. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip/dtmfinfo.h"

#define RELAY "application/dtmf-relay"
#define DTMF "application/dtmf"

/* The body is copied to a buffer of exactly its size, so that a read
 * past it is caught by ASan (make test SAN=1) */
static int parse(const char *ctype, const char *body, size_t len,
		 char *digit)
{
	uint8_t *buf = malloc(len ? len : 1);
	int err;

	assert_non_null(buf);
	memcpy(buf, body, len);
	err = dtmfinfo_parse(ctype, buf, len, digit);
	free(buf);
	return err;
}

static char digit_of(const char *ctype, const char *body)
{
	char d = 0;

	assert_int_equal(parse(ctype, body, strlen(body), &d), 0);
	return d;
}

static void test_relay(void **state)
{
	static const char keys[] = "0123456789*#ABCD";
	char body[32];

	(void)state;
	for (size_t i = 0; i < sizeof(keys) - 1; i++) {
		snprintf(body, sizeof(body), "Signal=%c\r\nDuration=160\r\n",
			 keys[i]);
		assert_int_equal(digit_of(RELAY, body), keys[i]);
	}
	/* the variants phones send */
	assert_int_equal(digit_of(RELAY, "Signal= 5\r\nDuration= 250\r\n"),
			 '5');
	assert_int_equal(digit_of(RELAY, "Signal=5\nDuration=160\n"), '5');
	assert_int_equal(digit_of(RELAY, "signal=7"), '7');
	assert_int_equal(digit_of(RELAY, "SIGNAL = 8 \r\n"), '8');
	assert_int_equal(digit_of(RELAY, "\tSignal\t=\t9\t\r\n"), '9');
	assert_int_equal(digit_of(RELAY, "Duration=160\r\nSignal=1\r\n"),
			 '1');
	assert_int_equal(digit_of(RELAY, "Signal=a\r\n"), 'A');
	assert_int_equal(digit_of(RELAY, "Signal=d\r\n"), 'D');
	assert_int_equal(digit_of(RELAY, "Signal=10\r\nDuration=100\r\n"),
			 '*');
	assert_int_equal(digit_of(RELAY, "Signal=11\r\n"), '#');
	/* other lines, even ones that are not Key=value, are ignored */
	assert_int_equal(digit_of(RELAY, "hello\r\n\r\nSignaling=3\r\n"
				  "X-Signal=4\r\nSignal=2\r\nVolume=10\r\n"),
			 '2');
	/* parameters of the content type; its case */
	assert_int_equal(digit_of("Application/DTMF-Relay; x=y", "Signal=3"),
			 '3');
	assert_int_equal(digit_of(" application/dtmf-relay ", "Signal=3"),
			 '3');
}

static void test_dtmf(void **state)
{
	(void)state;
	assert_int_equal(digit_of(DTMF, "5"), '5');
	assert_int_equal(digit_of(DTMF, " 5\r\n"), '5');
	assert_int_equal(digit_of(DTMF, "\r\n\t#\n"), '#');
	assert_int_equal(digit_of(DTMF, "*"), '*');
	assert_int_equal(digit_of(DTMF, "b"), 'B');
	assert_int_equal(digit_of(DTMF, "11"), '#');
	assert_int_equal(digit_of("APPLICATION/DTMF;charset=x", "0"), '0');
}

static void test_malformed(void **state)
{
	static const char *const relay[] = {
		"",
		"\r\n",
		"Duration=160\r\n",                   /* no Signal */
		"Signal 5\r\n",                       /* no '=' */
		"Signal=\r\n",
		"Signal= \r\n",
		"Signal=55\r\n",
		"Signal=12\r\n",
		"Signal=1 0\r\n",
		"Signal=E\r\n",
		"Signal=+\r\n",
		"Signal=5\r\nSignal=5\r\n",           /* two Signal lines */
		"Signal=5\r\nsignal=6\r\n",
		"Signal=5\r6\r\n",
		"Sig nal=5\r\n",
		"Signal==5\r\n",
	};
	static const char *const dtmf[] = {
		"", " \r\n", "55", "5 5", "Signal=5", "e", "12", "x",
	};
	char d = 'x';

	(void)state;
	for (size_t i = 0; i < sizeof(relay) / sizeof(relay[0]); i++)
		assert_int_equal(parse(RELAY, relay[i], strlen(relay[i]), &d),
				 EBADMSG);
	for (size_t i = 0; i < sizeof(dtmf) / sizeof(dtmf[0]); i++)
		assert_int_equal(parse(DTMF, dtmf[i], strlen(dtmf[i]), &d),
				 EBADMSG);
	/* a NUL byte, in the Signal line or elsewhere */
	assert_int_equal(parse(RELAY, "Signal=5\0", 9, &d), EBADMSG);
	assert_int_equal(parse(RELAY, "X=\0\r\nSignal=5", 13, &d), EBADMSG);
	assert_int_equal(parse(DTMF, "5\0", 2, &d), EBADMSG);
	/* nothing was written by a refusal */
	assert_int_equal(d, 'x');
}

static void test_size(void **state)
{
	char *big = malloc(DTMFINFO_BODY_MAX + 1);
	char d = 0;

	(void)state;
	assert_non_null(big);
	/* a good body padded with ignored lines up to the limit... */
	memset(big, '\n', DTMFINFO_BODY_MAX + 1);
	memcpy(big, "Signal=5", 8);
	assert_int_equal(parse(RELAY, big, DTMFINFO_BODY_MAX, &d), 0);
	assert_int_equal(d, '5');
	/* ...and a byte over it */
	assert_int_equal(parse(RELAY, big, DTMFINFO_BODY_MAX + 1, &d),
			 EBADMSG);
	memset(big, ' ', DTMFINFO_BODY_MAX + 1);
	big[0] = '7';
	assert_int_equal(parse(DTMF, big, DTMFINFO_BODY_MAX + 1, &d),
			 EBADMSG);
	free(big);
}

static void test_other_types(void **state)
{
	static const char *const types[] = {
		"application/media_control+xml", "application/sdp",
		"text/plain", "application/dtmf-relayx", "application/dtmfx",
		"application/dtmf-", "application", "", "/",
		"application/dtmf relay",
	};
	char d = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(parse(types[i], "Signal=5", 8, &d), ENOTSUP);
	/* the content type decides before the body is looked at */
	assert_int_equal(parse("application/media_control+xml",
			       "<?xml version=\"1.0\"?>\0", 22, &d), ENOTSUP);
	assert_int_equal(dtmfinfo_parse(NULL, (const uint8_t *)"5", 1, &d),
			 EINVAL);
	assert_int_equal(dtmfinfo_parse(DTMF, NULL, 1, &d), EINVAL);
	assert_int_equal(dtmfinfo_parse(DTMF, (const uint8_t *)"5", 1, NULL),
			 EINVAL);
	assert_int_equal(dtmfinfo_parse(DTMF, NULL, 0, &d), EBADMSG);
}

/* Every cut of good bodies: each is a digit or EBADMSG, never a crash
 * or a read past the cut (ASan) */
static void test_truncations(void **state)
{
	static const struct {
		const char *ctype, *body;
	} good[] = {
		{RELAY, "Signal=5\r\nDuration=160\r\n"},
		{RELAY, "Duration=160\nSignal= 11\n"},
		{RELAY, "Signal=10"},
		{DTMF, " # \r\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = strlen(good[i].body);

		for (size_t len = 0; len <= n; len++) {
			char d = 0;
			int err = parse(good[i].ctype, good[i].body, len, &d);

			assert_true(err == 0 || err == EBADMSG);
			if (!err)
				assert_non_null(strchr("0123456789*#ABCD",
						       d));
		}
	}
	/* "Signal=10" cut after the 1 is a good "1", not a "*" */
	{
		char d = 0;

		assert_int_equal(parse(RELAY, "Signal=10", 8, &d), 0);
		assert_int_equal(d, '1');
	}
}

static void test_rate(void **state)
{
	struct dtmfinfo_rate r;
	uint64_t t = 1000000;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* 20 at once are taken, the 21st within the second is not */
	for (int i = 0; i < DTMFINFO_RATE; i++)
		assert_true(dtmfinfo_rate_take(&r, t));
	assert_false(dtmfinfo_rate_take(&r, t));
	assert_false(dtmfinfo_rate_take(&r, t + DTMFINFO_WINDOW_MS - 1));
	/* a second later the window is empty again */
	for (int i = 0; i < DTMFINFO_RATE; i++)
		assert_true(dtmfinfo_rate_take(&r, t + DTMFINFO_WINDOW_MS));
	assert_false(dtmfinfo_rate_take(&r, t + DTMFINFO_WINDOW_MS));

	/* spread out: one every 50 ms (20 a second) is never refused, one
	 * every 40 ms is, once the first second is full */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 200; i++)
		assert_true(dtmfinfo_rate_take(&r, t + 50ull * i));
	memset(&r, 0, sizeof(r));
	{
		int taken = 0;

		for (int i = 0; i < 100; i++)
			taken += dtmfinfo_rate_take(&r, t + 40ull * i);
		/* 4 s: 20 in every second of it, never more */
		assert_true(taken <= 4 * DTMFINFO_RATE);
		assert_true(taken >= 3 * DTMFINFO_RATE);
	}
	/* a refused digit does not count against the next second */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < DTMFINFO_RATE; i++)
		assert_true(dtmfinfo_rate_take(&r, t));
	for (int i = 0; i < 1000; i++)
		assert_false(dtmfinfo_rate_take(&r, t + 500));
	assert_true(dtmfinfo_rate_take(&r, t + DTMFINFO_WINDOW_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_dtmf),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
