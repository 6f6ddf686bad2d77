/* API body validation fed with good bodies and a table of garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_json.h"
#include "util/json.h"

static const struct api_field fields[] = {
	{"id", API_STRING, false, 0, 8},
	{"muted", API_BOOL, false, 0, 0},
	{"gain", API_NUMBER, false, -96, 24},
	{"uri", API_STRING, true, 0, 64},
};

static int parse(const char *body, size_t len, char *detail)
{
	struct odict *od = NULL;
	int err = api_json_parse(&od, body, len, fields, 4, detail, 160);

	if (!err)
		assert_non_null(od);
	mem_deref(od);
	return err;
}

static void test_good(void **state)
{
	struct odict *od = NULL;
	char detail[160];
	const char *b = "{\"uri\":\"sip:a@b\",\"muted\":true,\"gain\":-6.5,"
		"\"id\":\"x\"}";
	bool muted = false;
	double g = 0;

	(void)state;
	assert_int_equal(api_json_parse(&od, b, strlen(b), fields, 4, detail,
					sizeof(detail)), 0);
	assert_string_equal(odict_string(od, "uri"), "sip:a@b");
	assert_true(odict_get_boolean(od, &muted, "muted"));
	assert_true(muted);
	assert_true(api_json_number(od, "gain", &g));
	assert_true(g < -6.4 && g > -6.6);
	mem_deref(od);
	/* integers are numbers too */
	{
		const char *b1 = "{\"uri\":\"u\",\"gain\":3}";
		const char *b2 = " \n{\"uri\":\"u\"}\n ";

		assert_int_equal(parse(b1, strlen(b1), detail), 0);
		assert_int_equal(parse(b2, strlen(b2), detail), 0);
	}
}

struct bad_case {
	const char *body;
	int err;
	const char *detail_has;
};

static void test_garbage_table(void **state)
{
	static const struct bad_case cases[] = {
		{"", EINVAL, "'uri' is required"},
		{"{", EBADMSG, "not valid JSON"},
		{"}", EBADMSG, "JSON object"},
		{"[]", EBADMSG, "JSON object"},
		{"[{\"uri\":\"x\"}]", EBADMSG, "JSON object"},
		{"null", EBADMSG, "JSON object"},
		{"123", EBADMSG, "JSON object"},
		{"\"str\"", EBADMSG, "JSON object"},
		{"{\"uri\":}", EBADMSG, "not valid JSON"},
		{"{\"uri\":\"a\",}", EBADMSG, NULL},
		{"{\"uri\" \"a\"}", EBADMSG, "not valid JSON"},
		{"{'uri':'a'}", EBADMSG, "not valid JSON"},
		{"{\"uri\":\"a\"", EBADMSG, "not valid JSON"},
		{"{\"uri\":5}", EINVAL, "'uri' must be a string"},
		{"{\"uri\":\"a\",\"muted\":\"yes\"}", EINVAL,
		 "'muted' must be a boolean"},
		{"{\"uri\":\"a\",\"muted\":1}", EINVAL, "boolean"},
		{"{\"uri\":\"a\",\"gain\":\"3\"}", EINVAL, "a number"},
		{"{\"uri\":\"a\",\"gain\":25}", EINVAL, "between"},
		{"{\"uri\":\"a\",\"gain\":-1e9}", EINVAL, "between"},
		{"{\"uri\":\"a\",\"gain\":null}", EINVAL, "a number"},
		{"{\"uri\":\"a\",\"id\":\"123456789\"}", EINVAL, "longer"},
		{"{\"uri\":\"a\",\"bogus\":1}", EINVAL, "unknown field 'bogus'"},
		{"{\"uri\":{\"a\":1}}", EINVAL, "must be a string"},
		{"{\"uri\":[1,2]}", EINVAL, "must be a string"},
		{"{\"muted\":true}", EINVAL, "'uri' is required"},
		{"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":"
		 "{\"i\":{}}}}}}}}}}", EBADMSG, NULL},
		{"\xff\xfe{\"uri\":\"a\"}", EBADMSG, NULL},
	};
	char detail[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		int err;

		detail[0] = '\0';
		err = parse(c->body, strlen(c->body), detail);
		if (err != c->err)
			fail_msg("case %zu '%s': err %d, want %d (%s)", i,
				 c->body, err, c->err, detail);
		if (c->detail_has && !strstr(detail, c->detail_has))
			fail_msg("case %zu: detail '%s' lacks '%s'", i,
				 detail, c->detail_has);
	}
}

static void test_nul_and_random(void **state)
{
	char detail[160], buf[256];

	(void)state;
	assert_int_equal(parse("{\"uri\":\"a\0b\"}", 12, detail), EBADMSG);
	srand(11);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));

		buf[0] = '{';
		for (size_t k = 1; k < len; k++)
			buf[k] = "{}[]\":,0123456789.-eE truefalsn\\u"[
				rand() % 34];
		(void)parse(buf, len, detail);   /* must not crash */
	}
}

static void test_encoder(void **state)
{
	struct odict *od = NULL, *arr = NULL, *back = NULL;
	char buf[512];

	(void)state;
	assert_int_equal(odict_alloc(&od, 8), 0);
	assert_int_equal(odict_alloc(&arr, 8), 0);
	odict_entry_add(od, "uri", ODICT_STRING, "http://h/v1/x");
	odict_entry_add(od, "q", ODICT_STRING, "a\"b\\c\n\x01\xc3\xa9");
	odict_entry_add(od, "n", ODICT_INT, (int64_t)-42);
	odict_entry_add(od, "d", ODICT_DOUBLE, -6.5);
	odict_entry_add(od, "z", ODICT_DOUBLE, 0.0);
	odict_entry_add(od, "t", ODICT_BOOL, true);
	odict_entry_add(arr, "0", ODICT_INT, (int64_t)1);
	odict_entry_add(arr, "1", ODICT_STRING, "two");
	odict_entry_add(od, "a", ODICT_ARRAY, arr);
	re_snprintf(buf, sizeof(buf), "%H", json_print, od);
	assert_string_equal(buf, "{\"uri\":\"http://h/v1/x\","
			    "\"q\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\","
			    "\"n\":-42,\"d\":-6.5,\"z\":0,\"t\":true,"
			    "\"a\":[1,\"two\"]}");
	/* what we print, we (and libre) can read back */
	assert_int_equal(json_decode_odict(&back, 8, buf, strlen(buf), 4), 0);
	assert_string_equal(odict_string(back, "uri"), "http://h/v1/x");
	mem_deref(back);
	mem_deref(arr);
	mem_deref(od);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_garbage_table),
		cmocka_unit_test(test_nul_and_random),
		cmocka_unit_test(test_encoder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
