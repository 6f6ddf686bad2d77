/* The SQLite store: insert, unique ids, list, delete, persistence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <re.h>
#include "store/store.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/caucus-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* a folder that does not exist yet: store_open creates it */
	snprintf(path, sizeof(path), "%s/sub/dir/c.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

struct seen {
	char ids[8][80];
	unsigned n;
};

static int collect(const struct store_conf *sc, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->ids[s->n++], 80, "%s|%s", sc->id, sc->display_text);
	return 0;
}

static void test_crud_and_persistence(void **state)
{
	struct store *st = NULL;
	struct store_conf a = {.id = "a", .display_text = "Room A",
			       .created_at = 1};
	struct store_conf b = {.id = "b", .display_text = NULL,
			       .created_at = 2};
	struct seen seen = {0};

	(void)state;
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_conf_insert(st, &a), 0);
	assert_int_equal(store_conf_insert(st, &b), 0);
	assert_int_equal(store_conf_insert(st, &a), EEXIST);
	assert_int_equal(store_conf_delete(st, "nope"), ENOENT);
	st = mem_deref(st);

	assert_int_equal(store_open(&st, path), 0);      /* reopen */
	assert_int_equal(store_conf_foreach(st, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.ids[0], "a|Room A");
	assert_string_equal(seen.ids[1], "b|");
	assert_int_equal(store_conf_delete(st, "a"), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_conf_foreach(st, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	st = mem_deref(st);
}

static void test_hostile_strings(void **state)
{
	struct store *st = NULL;
	struct store_conf c = {.id = "x'); DROP TABLE conferences;--",
			       .display_text = "\"quoted\" 'and' \xc3\xa9",
			       .created_at = 3};
	struct seen seen = {0};

	(void)state;
	assert_int_equal(store_open(&st, path), 0);
	assert_int_equal(store_conf_insert(st, &c), 0);
	assert_int_equal(store_conf_foreach(st, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(store_conf_delete(st, c.id), 0);
	mem_deref(st);
}

static void test_unwritable_path(void **state)
{
	struct store *st = NULL;

	(void)state;
	if (geteuid() == 0)
		assert_int_not_equal(store_open(&st, "/proc/caucus/x.db"), 0);
	else
		assert_int_not_equal(store_open(&st, "/caucus-x/y.db"), 0);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud_and_persistence,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup,
						teardown),
		cmocka_unit_test(test_unwritable_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
