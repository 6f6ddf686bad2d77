/* The Replaces header (src/sip/replaces.c, RFC 3891): values phones
 * send, garbage refused, every cut of a good value read without going
 * past it; the header escaped in a Refer-To URI (RFC 3261 s. 19.1.1);
 * and which of the focus's dialogs a value names (our tag is the
 * to-tag, for calls in and dial-outs alike). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sip/replaces.h"

/* The value is copied to a buffer of exactly its size, so that a read
 * past it is caught by ASan (make test SAN=1) */
static int parse_n(struct replaces *r, const char *s, size_t n, char **bufp)
{
	char *buf = malloc(n ? n : 1);
	struct pl pl;

	assert_non_null(buf);
	memcpy(buf, s, n);
	pl.p = buf;
	pl.l = n;
	*bufp = buf;
	return replaces_parse(r, &pl);
}

static int parse(struct replaces *r, const char *s)
{
	char *buf = NULL;
	int err = parse_n(r, s, strlen(s), &buf);

	free(buf);
	return err;
}

static void expect(const char *s, const char *cid, const char *tt,
		   const char *ft, bool early)
{
	struct replaces r;
	char *buf = NULL;

	if (parse_n(&r, s, strlen(s), &buf))
		fail_msg("refused: %s", s);
	assert_int_equal(pl_strcmp(&r.call_id, cid), 0);
	assert_int_equal(pl_strcmp(&r.to_tag, tt), 0);
	assert_int_equal(pl_strcmp(&r.from_tag, ft), 0);
	assert_int_equal(r.early_only, early);
	free(buf);
}

static void test_good(void **state)
{
	(void)state;
	/* RFC 3891 s. 6.1's example */
	expect("425928@bobster.example.org;to-tag=7743;from-tag=6472",
	       "425928@bobster.example.org", "7743", "6472", false);
	expect("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;"
	       "early-only", "98732@sip.example.com", "ff87ff", "r33th4x0r",
	       true);
	/* blanks around ';' and '=', names in any case, no '@' */
	expect("  abc ; To-Tag = 1 ;FROM-TAG= 2  ", "abc", "1", "2", false);
	expect("a\t;\tto-tag=x;from-tag=y;EARLY-ONLY", "a", "x", "y", true);
	/* a word's characters, other params (token, quoted, host) skipped */
	expect("x(y)<z>:\"q\"/[]?{}@h-1.e;to-tag=a.b!%*_+`'~;from-tag=c;"
	       "foo;bar=baz;q=\"a;b \\\" c\";h=[::1]", "x(y)<z>:\"q\"/[]?{}@h-1.e",
	       "a.b!%*_+`'~", "c", false);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"", " ", ";to-tag=1;from-tag=2", "abc", "abc;to-tag=1",
		"abc;from-tag=2", "abc;to-tag=1;from-tag=2;to-tag=3",
		"abc;to-tag=1;from-tag=2;from-tag=2",
		"abc;to-tag=;from-tag=2", "abc;to-tag=1;from-tag",
		"abc;to-tag=1;from-tag=2;", "abc;;to-tag=1;from-tag=2",
		"abc;to-tag=1;from-tag=2;early-only;early-only",
		"abc;to-tag=1;from-tag=2;early-only=yes",
		"abc to-tag=1;from-tag=2", "a@;to-tag=1;from-tag=2",
		"@a;to-tag=1;from-tag=2", "a@b@c;to-tag=1;from-tag=2",
		"abc;to-tag=1 2;from-tag=3", "abc;to-tag=\"1\";from-tag=2",
		"abc;to-tag=1;from-tag=2;x=\"open",
		"abc;to-tag=1;from-tag=2;x=\"esc\\",
		"abc;to-tag=1;from-tag=2\r\nVia: x",
		"abc;to-tag=1;from-tag=2\r\n injected",
		"abc;to-tag=1\n;from-tag=2", "ab\x01c;to-tag=1;from-tag=2",
		"abc;to-tag=1;from-tag=2\x7f", "ab\xc3\xa9;to-tag=1;from-tag=2",
		"abc;to-tag=1;from-tag=2,def;to-tag=3;from-tag=4",
		"abc;=1;to-tag=1;from-tag=2",
	};
	struct replaces r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(&r, bad[i]) != EBADMSG)
			fail_msg("taken: %s", bad[i]);
	/* a NUL inside */
	{
		char *buf = NULL;

		assert_int_equal(parse_n(&r, "abc;to-tag=1\0;from-tag=2", 24,
					 &buf), EBADMSG);
		free(buf);
	}
	assert_int_equal(replaces_parse(&r, NULL), EBADMSG);
	assert_int_equal(replaces_parse(NULL, &(struct pl){"a", 1}), EBADMSG);
}

/* every prefix of a good value is read within its length */
static void test_cuts(void **state)
{
	static const char v[] = "425928@bobster.example.org ; to-tag=7743;"
		"from-tag=6472;x=\"a\\\"b\";early-only";
	struct replaces r;

	(void)state;
	for (size_t n = 0; n <= sizeof(v) - 1; n++) {
		char *buf = NULL;
		int err = parse_n(&r, v, n, &buf);

		assert_true(err == 0 || err == EBADMSG);
		if (!err)
			assert_true(r.to_tag.p >= buf &&
				    r.from_tag.p + r.from_tag.l <= buf + n);
		free(buf);
	}
	assert_int_equal(parse(&r, v), 0);
	assert_true(r.early_only);
}

static int uri_hdr(char *buf, size_t sz, const char *hdrs)
{
	struct pl pl;

	pl_set_str(&pl, hdrs);
	return replaces_uri_header(buf, sz, &pl);
}

static void test_uri_header(void **state)
{
	char buf[REPLACES_VALUE_MAX];

	(void)state;
	assert_int_equal(uri_hdr(buf, sizeof(buf), "Replaces=abc%40h%3B"
				 "to-tag%3D1%3Bfrom-tag%3D2"), 0);
	assert_string_equal(buf, "abc@h;to-tag=1;from-tag=2");
	/* with the '?' libre's struct uri keeps */
	assert_int_equal(uri_hdr(buf, sizeof(buf), "?Replaces=abc%40h%3B"
				 "to-tag%3D1%3Bfrom-tag%3D2"), 0);
	assert_string_equal(buf, "abc@h;to-tag=1;from-tag=2");
	/* among others (ignored), name in any case, escaped name */
	assert_int_equal(uri_hdr(buf, sizeof(buf), "Accept-Contact=x&"
				 "replaces=a%3bto-tag%3d1%3bfrom-tag%3d2&"
				 "Require=replaces"), 0);
	assert_string_equal(buf, "a;to-tag=1;from-tag=2");
	assert_int_equal(uri_hdr(buf, sizeof(buf),
				 "%52eplaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2"), 0);
	assert_string_equal(buf, "a;to-tag=1;from-tag=2");
	/* none: "" */
	assert_int_equal(uri_hdr(buf, sizeof(buf), "Subject=hi&X=%20"), 0);
	assert_string_equal(buf, "");
	assert_int_equal(replaces_uri_header(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
	{
		struct pl none = PL_INIT;

		assert_int_equal(replaces_uri_header(buf, sizeof(buf),
						     &none), 0);
	}
	/* garbage */
	static const char *const bad[] = {
		"Replaces", "Replaces=", "=x", "Replaces=a%3Bto-tag%3D1",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&",
		"&Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&&X=1",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2%0D%0AVia:%20x",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2%00",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2%",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2%4",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D%zz",
		"Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&"
		"Replaces=b%3Bto-tag%3D1%3Bfrom-tag%3D2",
		"X=%G1&Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2",
		"Re%00places=x", "?",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (uri_hdr(buf, sizeof(buf), bad[i]) != EBADMSG)
			fail_msg("taken: %s", bad[i]);
	/* too long for the buffer */
	assert_int_equal(uri_hdr(buf, 8, "Replaces=a%3Bto-tag%3D1%3B"
				 "from-tag%3D2"), ENOSPC);
	assert_int_equal(replaces_uri_header(NULL, 8, NULL), EINVAL);
}

/* r points into s: a literal that outlives it */
static int parse_lit(struct replaces *r, const char *s)
{
	struct pl pl;

	pl_set_str(&pl, s);
	return replaces_parse(r, &pl);
}

static void test_match(void **state)
{
	struct part_dialog in = {.call_id = "c1@h", .from_tag = "caller",
				 .to_tag = "focus"};
	struct part_dialog out = {.call_id = "c2@h", .from_tag = "focus2",
				  .to_tag = "callee"};
	struct part_dialog early = {.call_id = "", .from_tag = "x",
				    .to_tag = ""};
	struct replaces r;

	(void)state;
	/* a call in: our tag is To's */
	assert_int_equal(parse_lit(&r, "c1@h;to-tag=focus;from-tag=caller"), 0);
	assert_true(replaces_match(&r, &in, false));
	assert_false(replaces_match(&r, &in, true));
	/* the tags the other way round name nothing */
	assert_int_equal(parse_lit(&r, "c1@h;to-tag=caller;from-tag=focus"), 0);
	assert_false(replaces_match(&r, &in, false));
	/* a dial-out: our tag is From's */
	assert_int_equal(parse_lit(&r, "c2@h;to-tag=focus2;from-tag=callee"), 0);
	assert_true(replaces_match(&r, &out, true));
	assert_false(replaces_match(&r, &out, false));
	/* case counts; another Call-ID; a prefix is not the value */
	assert_int_equal(parse_lit(&r, "C1@h;to-tag=focus;from-tag=caller"), 0);
	assert_false(replaces_match(&r, &in, false));
	assert_int_equal(parse_lit(&r, "c1@h;to-tag=focu;from-tag=caller"), 0);
	assert_false(replaces_match(&r, &in, false));
	assert_int_equal(parse_lit(&r, "c1;to-tag=focus;from-tag=caller"), 0);
	assert_false(replaces_match(&r, &in, false));
	/* a dialog not recorded (not confirmed) matches nothing */
	assert_int_equal(parse_lit(&r, "x;to-tag=x;from-tag=x"), 0);
	assert_false(replaces_match(&r, &early, false));
	assert_false(replaces_match(&r, &early, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_uri_header),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
