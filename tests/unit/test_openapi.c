/* The OpenAPI description served at /v1/openapi.json describes exactly
 * the routes the server has: every route is in it, with its method, and
 * nothing else is; it is valid JSON with the parts OpenAPI requires. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <cmocka.h>
#include <re.h>
#include "api/api_int.h"

static struct odict *doc;

static int setup(void **state)
{
	(void)state;
	return json_decode_odict(&doc, 64, api_openapi_json,
				 strlen(api_openapi_json), 32);
}

static int teardown(void **state)
{
	(void)state;
	doc = mem_deref(doc);
	return 0;
}

static void lower(char *dst, const char *src, size_t sz)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < sz; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void test_shape(void **state)
{
	(void)state;
	assert_non_null(doc);
	assert_string_equal(odict_string(doc, "openapi"), "3.0.3");
	assert_non_null(odict_lookup(doc, "info"));
	assert_non_null(odict_lookup(doc, "paths"));
}

/* every route is described, with a summary and responses */
static void test_routes_described(void **state)
{
	const struct odict_entry *paths = odict_lookup(doc, "paths");

	size_t n;
	const struct api_route *rt = api_routes(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *m = rt[i].method, *p = rt[i].path;
		const struct odict_entry *pe, *op;
		char met[12];

		lower(met, m, sizeof(met));
		pe = odict_lookup(paths->u.odict, p);
		if (!pe)
			fail_msg("route %s %s is not in openapi.json", m, p);
		op = odict_lookup(pe->u.odict, met);
		if (!op)
			fail_msg("route %s %s: no '%s' in openapi.json", m, p,
				 met);
		assert_non_null(odict_lookup(op->u.odict, "summary"));
		assert_non_null(odict_lookup(op->u.odict, "responses"));
	}
}

/* and nothing is described that is not a route */
static void test_nothing_else(void **state)
{
	const struct odict_entry *paths = odict_lookup(doc, "paths");
	static const char *const methods[] = {
		"get", "put", "post", "delete", "patch", "head", "options",
		"trace",
	};

	size_t n;
	const struct api_route *rt = api_routes(&n);

	(void)state;
	for (struct le *le = paths->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *pe = le->data;

		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]);
		     k++) {
			bool found = false;

			if (!odict_lookup(pe->u.odict, methods[k]))
				continue;
			for (size_t i = 0; i < n; i++) {
				char met[12];

				lower(met, rt[i].method, sizeof(met));
				if (!strcmp(rt[i].path, pe->key) &&
				    !strcmp(met, methods[k]))
					found = true;
			}
			if (!found)
				fail_msg("openapi.json describes %s %s, which "
					 "the server does not have",
					 methods[k], pe->key);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_routes_described),
		cmocka_unit_test(test_nothing_else),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
