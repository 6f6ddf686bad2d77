/*
 * Shared by test_store.c (the cases both backends run) and
 * test_store_pg.c (PostgreSQL's own).
 */
#ifndef CAUCUS_TEST_STORE_H
#define CAUCUS_TEST_STORE_H

#include <stdbool.h>
#include <libpq-fe.h>

struct store_env {
	bool pg;
	char dir[64];            /* SQLite: the case's folder */
	char loc[256];           /* store_open's location */
};

extern struct store_env env_sqlite, env_pg;
extern PGconn *tpg;          /* the test's own connection (PostgreSQL) */

/* Runs SQL on tpg; a failure fails the case */
void tpg_sql(const char *sql);
void tpg_notice(void *arg, const char *message);
int  setup_pg(void **state);

void test_pg_listen(void **state);
void test_pg_route(void **state);
void test_pg_migrate_race(void **state);
void test_pg_reconnect(void **state);

#define STORE_PG_CASES							\
	cmocka_unit_test_setup_teardown(test_pg_listen, setup_pg, NULL), \
	cmocka_unit_test_setup_teardown(test_pg_route, setup_pg, NULL),	\
	cmocka_unit_test_setup_teardown(test_pg_migrate_race, setup_pg,	\
					NULL),				\
	cmocka_unit_test_setup_teardown(test_pg_reconnect, setup_pg, NULL)

#endif
