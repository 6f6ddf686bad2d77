/* regex_guard.c: libre's start-line searches done in one pass give what
 * libre's engine gives (result and captures) on crafted lines and on
 * 200 000 random buffers of few distinct bytes (spaces, tabs, CR, LF,
 * letters: the ones the patterns care about); other patterns still reach
 * libre's engine with their arguments; and a 60 KB buffer without a good
 * line is answered (libre's own engine takes seconds there; no timing is
 * asserted: benchmarks measure speed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "main/regex_guard.h"

static void same(const char *s, bool http)
{
	int r = regex_guard_test(s, strlen(s), http);

	if (r)
		fail_msg("%s: %d for \"%s\"", http ? "http" : "sip", r, s);
}

static void test_crafted(void **state)
{
	static const char *lines[] = {
		"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\n",
		"INVITE sip:a@b SIP/2.0\r\r\n",
		"INVITE sip:a@b SIP/2.0",
		"INVITE sip:a@b SIP/2.0\r",
		"INVITE sip:a@b SIP/2.0\rx\n",
		"INVITE  sip:a@b SIP/2.0\r\n",
		"INVITE sip:a@b  SIP/2.0\r\n",
		"INVITE\tsip:a@b SIP/2.0\r\n",
		"INVITE sip:a@b \r\n",
		"INVITE sip:a@b\r\n",
		" INVITE sip:a@b SIP/2.0\r\n",
		"\r\nINVITE sip:a@b SIP/2.0\r\n",
		"SIP/2.0 200 OK\r\n",
		"SIP/2.0 200 \r\n",
		"a b \n",
		"a b\n c d e\n",
		"x\r\ny z w\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\n",
		"\r\r\rGET / HTTP/1.1\n",
		"GET\r\r / HTTP/1.1\r\n",
		"\r\r\r",
		"\n\n\n",
		"x",
		"x\r",
		"\rx\ry\rz\n",
		"\xff\xfe \x80\x81 \x7f\r\n",
		"A B C\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		same(lines[i], false);
		same(lines[i], true);
	}
}

/* buffers of up to 40 bytes from an alphabet the patterns care about */
static void test_random(void **state)
{
	static const char abc[] = " \t\r\nabSIP/2.0";
	char buf[48];

	(void)state;
	srand(4575);
	for (int n = 0; n < 200000; n++) {
		size_t len = 1 + (size_t)rand() % 40;

		for (size_t i = 0; i < len; i++)
			buf[i] = abc[(size_t)rand() % (sizeof(abc) - 1)];
		for (int h = 0; h < 2; h++) {
			int r = regex_guard_test(buf, len, h);

			if (r)
				fail_msg("%s: %d for %.*s (%zu bytes)",
					 h ? "http" : "sip", r, (int)len, buf,
					 len);
		}
	}
}

/* other patterns: libre's engine, every capture where it should be */
static void test_others(void **state)
{
	struct pl a, b, c, d, e, f, g, h, i2;
	const char *s = "1 2 3 4 5 6 7 8 9";

	(void)state;
	assert_int_equal(re_regex("foo 42 bar", 10, "[0-9]+", &a), 0);
	assert_int_equal(pl_u32(&a), 42);
	assert_int_equal(re_regex("no digits", 9, "[0-9]+", &a), ENOENT);
	assert_int_equal(re_regex(s, strlen(s), "[0-9]+ [0-9]+ [0-9]+ "
				  "[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ "
				  "[0-9]+", &a, &b, &c, &d, &e, &f, &g, &h,
				  &i2), 0);
	assert_int_equal(pl_u32(&a) + pl_u32(&e) + pl_u32(&i2), 15);
	/* an escaped bracket is a character, not a class */
	assert_int_equal(re_regex("x[1]", 4, "\\[[0-9]1\\]", &a), 0);
	assert_int_equal(pl_u32(&a), 1);
	/* a class whose members include an escaped ']' */
	assert_int_equal(re_regex("a]]b", 4, "[\\]]+", &a), 0);
	assert_int_equal(a.l, 2);
	/* NULL arguments skip a capture, as in libre */
	assert_int_equal(re_regex("k=v", 3, "[^=]+=[^]*", NULL, &b), 0);
	assert_int_equal(pl_strcmp(&b, "v"), 0);
}

/* libre's own decoders reach this search (through their PLT), not only
 * calls from our code */
static void test_libre_calls_it(void **state)
{
	static const char req[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/"
		"UDP 1.2.3.4;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
		"To: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
	struct mbuf *mb = mbuf_alloc(sizeof(req));
	struct sip_msg *msg = NULL;
	unsigned long before = regex_guard_hits();

	(void)state;
	assert_non_null(mb);
	(void)mbuf_write_str(mb, req);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	assert_int_equal(pl_strcmp(&msg->met, "OPTIONS"), 0);
	assert_true(regex_guard_hits() > before);
	mem_deref(msg);
	mem_deref(mb);
}

static void test_huge(void **state)
{
	size_t n = 60000;
	char *buf = malloc(n);
	struct pl x, y, z, e;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'x', n);
	/* what sip_msg_decode and http_msg_decode ask */
	assert_int_equal(re_regex(buf, n, "[^ \t\r\n]+ [^ \t\r\n]+ "
				  "[^\r\n]*[\r]*[\n]1", &x, &y, &z, NULL, &e),
			 ENOENT);
	assert_int_equal(re_regex(buf, n, "[\r\n]*[^\r\n]+[\r]*[\n]1", &x,
				  &y, NULL, &e), ENOENT);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_libre_calls_it),
		cmocka_unit_test(test_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
