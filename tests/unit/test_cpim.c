/* message/cpim decoding: well-formed messages with CRLF or LF, and
 * garbage of every kind refused without reading past the buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip/cpim.h"

static int dec(struct cpim *c, const char *s)
{
	return cpim_decode(c, s, strlen(s));
}

static void test_valid(void **state)
{
	struct cpim c;

	(void)state;
	assert_int_equal(dec(&c, "From: Alice <im:alice@example.com>\r\n"
			     "To: <im:room@example.com>\r\n"
			     "DateTime: 2026-11-26T10:00:00Z\r\n\r\n"
			     "Content-Type: text/plain; charset=utf-8\r\n"
			     "\r\nHello, room\r\n"), 0);
	assert_int_equal(pl_strcmp(&c.from, "Alice <im:alice@example.com>"),
			 0);
	assert_int_equal(pl_strcmp(&c.ctype, "text/plain; charset=utf-8"), 0);
	assert_int_equal(pl_strcmp(&c.body, "Hello, room\r\n"), 0);
	/* bare LF line ends, no From, an empty body */
	assert_int_equal(dec(&c, "To: <im:r@x>\n\nContent-Type: text/plain\n"
			     "\n"), 0);
	assert_false(pl_isset(&c.from));
	assert_int_equal(c.body.l, 0);
	/* header names are case-insensitive */
	assert_int_equal(dec(&c, "from: b <im:b@x>\r\n\r\ncontent-type: "
			     "text/html\r\n\r\n<b>x</b>"), 0);
	assert_int_equal(pl_strcmp(&c.ctype, "text/html"), 0);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\r\n",
		"hello",
		"Hello, room",
		"From: a\r\n",                        /* no blank line */
		"From: a\r\n\r\n",                    /* no MIME part */
		"From: a\r\n\r\nContent-Type: text/plain",  /* no blank */
		"From: a\r\n\r\nX-Other: 1\r\n\r\nbody",    /* no ctype */
		"\r\nContent-Type: text/plain\r\n\r\nbody",  /* no headers */
		"From a\r\n\r\nContent-Type: text/plain\r\n\r\nx", /* no : */
		": a\r\n\r\nContent-Type: text/plain\r\n\r\nx",
		"Fr om: a\r\n\r\nContent-Type: text/plain\r\n\r\nx",
		"From: a\r\n\r\nContent Type: text/plain\r\n\r\nx",
	};
	struct cpim c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(&c, bad[i]), EBADMSG);
	assert_int_equal(cpim_decode(&c, "From: a\r\n\r\nContent-Type: t/p"
				     "\r\n\r\nx\0y", 38), EBADMSG);
	assert_int_equal(cpim_decode(NULL, "x", 1), EINVAL);
	assert_int_equal(cpim_decode(&c, NULL, 0), EINVAL);
}

/* Random buffers and random cuts of a good one: never a crash, never a
 * body outside the buffer. ASan watches the reads (make test SAN=1). */
static void test_random(void **state)
{
	static const char good[] = "From: A <im:a@x>\r\nTo: <im:r@x>\r\n\r\n"
		"Content-Type: text/plain\r\n\r\nhi there";
	static const char alpha[] = "From:To\r\n :;<>ContentType-text/plain";
	struct cpim c;

	(void)state;
	srand(4575);
	for (int n = 0; n < 100000; n++) {
		size_t len = (size_t)(rand() % 96);
		char *buf = malloc(len ? len : 1);

		assert_non_null(buf);
		if (n % 2) {
			for (size_t i = 0; i < len; i++)
				buf[i] = alpha[rand() % (sizeof(alpha) - 1)];
		}
		else {
			len = len < sizeof(good) - 1 ? len : sizeof(good) - 1;
			memcpy(buf, good, len);
		}
		if (!cpim_decode(&c, buf, len)) {
			assert_true(c.body.p >= buf);
			assert_true(c.body.p + c.body.l == buf + len);
			assert_true(pl_isset(&c.ctype));
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
