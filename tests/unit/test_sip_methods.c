/* The focus's table of SIP methods (src/sip/methods.c) is the one list:
 * docs/sip.md has exactly its rows, the Allow header is made from it, a
 * method's counter index comes from it, and Require's option tags are
 * checked against it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "sip/sip_int.h"

#define NTABLE (FOCUS_NMETHODS - 1)

static char *docs;            /* docs/sip.md */

static int setup(void **state)
{
	const char *src = getenv("CAUCUS_SOURCE_DIR");
	char path[512];
	FILE *f;
	long n;

	(void)state;
	if (!src)
		return -1;
	snprintf(path, sizeof(path), "%s/docs/sip.md", src);
	f = fopen(path, "r");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	docs = calloc(1, (size_t)n + 1);
	if (!docs || fread(docs, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(docs);
	return 0;
}

/* every method of the table has its row, word for word */
static void test_docs_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTABLE; i++) {
		const struct focus_method *m = &focus_methods[i];
		char row[512];

		snprintf(row, sizeof(row), "\n| `%s` | %s | %s |\n", m->name,
			 m->allow ? "yes" : "no", m->doc);
		if (!strstr(docs, row))
			fail_msg("docs/sip.md lacks the row%s", row);
	}
}

/* and has no row of a method the table does not have */
static void test_docs_nothing_else(void **state)
{
	unsigned rows = 0;

	(void)state;
	for (const char *p = docs; (p = strstr(p, "\n| `")); p++)
		rows++;
	assert_int_equal(rows, NTABLE);
}

static void test_index_and_names(void **state)
{
	(void)state;
	for (int i = 0; i < NTABLE; i++) {
		const char *n = focus_methods[i].name;

		assert_int_equal(focus_method_index(n, strlen(n)), i);
		assert_string_equal(focus_method_name(i), n);
	}
	assert_int_equal(focus_method_index("FROBNICATE", 10),
			 FOCUS_NMETHODS - 1);
	assert_int_equal(focus_method_index("INVITEX", 7), FOCUS_NMETHODS - 1);
	assert_int_equal(focus_method_index("INV", 3), FOCUS_NMETHODS - 1);
	assert_string_equal(focus_method_name(FOCUS_NMETHODS - 1), "other");
}

static void test_allow_header(void **state)
{
	struct focus f;

	(void)state;
	memset(&f, 0, sizeof(f));
	focus_methods_init(&f);
	assert_string_equal(f.allow, "INVITE, ACK, BYE, CANCEL, OPTIONS, "
			    "SUBSCRIBE, REFER, MESSAGE, INFO");
	assert_string_equal(f.supported, "join, timer, replaces");
	assert_non_null(strstr(f.answer_hdrs, "Allow: INVITE, ACK,"));
	assert_non_null(strstr(f.answer_hdrs,
			       "Supported: join, timer, replaces\r\n"));
	/* a method is allowed exactly when the focus takes it */
	for (size_t i = 0; i < NTABLE; i++)
		assert_int_equal(strstr(f.allow, focus_methods[i].name) !=
				 NULL, focus_methods[i].allow);
}

static void test_require(void **state)
{
	static const char *const tags[][2] = {
		{"join", NULL}, {"timer", NULL}, {"TIMER", NULL},
		{"100rel", "100rel"}, {"replaces", NULL},
		{"Replaces", NULL}, {"norefersub", "norefersub"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct mbuf *mb = mbuf_alloc(256);
		struct sip_msg *msg = NULL;
		const struct sip_hdr *h;

		assert_non_null(mb);
		assert_int_equal(mbuf_printf(mb, "OPTIONS sip:a@b SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n"
				 "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
				 "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n"
				 "Require: %s\r\nContent-Length: 0\r\n\r\n",
				 tags[i][0]), 0);
		mb->pos = 0;
		assert_int_equal(sip_msg_decode(&msg, mb), 0);
		h = focus_unsupported(msg);
		if (tags[i][1]) {
			assert_non_null(h);
			assert_int_equal(pl_strcmp(&h->val, tags[i][1]), 0);
		}
		else {
			assert_null(h);
		}
		mem_deref(msg);
		mem_deref(mb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_rows),
		cmocka_unit_test(test_docs_nothing_else),
		cmocka_unit_test(test_index_and_names),
		cmocka_unit_test(test_allow_header),
		cmocka_unit_test(test_require),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
