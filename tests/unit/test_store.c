/*
 * The store (store.h) against both backends: every case runs on a SQLite
 * file in a temporary folder and, when CAUCUS_TEST_PG holds a URI
 * (tests/unit/with_pg.sh starts a throwaway server for ctest's
 * unit.test_store_pg), on PostgreSQL too, each case in an empty schema.
 * The cases only PostgreSQL has (notifications, Kamailio's routing
 * functions, concurrent migration, a lost connection) are in
 * test_store_pg.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <re.h>
#include "store/store.h"
#include "util/log.h"
#include "test_store.h"

/* a fixed clock for the cluster tables: times are the caller's */
#define T0 1700000000000LL

struct store_env env_sqlite = {.pg = false};
struct store_env env_pg = {.pg = true};
PGconn *tpg;                 /* the test's own connection */

void tpg_sql(const char *sql)
{
	PGresult *res = PQexec(tpg, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(tpg));
	PQclear(res);
}

static int setup_sqlite(void **state)
{
	struct store_env *e = &env_sqlite;

	snprintf(e->dir, sizeof(e->dir), "/tmp/caucus-store-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	/* a folder that does not exist yet: store_open creates it */
	snprintf(e->loc, sizeof(e->loc), "%.63s/sub/dir/c.db", e->dir);
	*state = e;
	return 0;
}

static int teardown_sqlite(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env_sqlite.dir);
	return system(cmd);
}

/* Every case starts from an empty database: the schema, with the
 * functions and triggers in it, is dropped and made again */
int setup_pg(void **state)
{
	tpg_sql("DROP SCHEMA IF EXISTS public CASCADE;"
		"CREATE SCHEMA public");
	*state = &env_pg;
	return 0;
}

/* Sets the version the database claims, as a newer caucusd would */
static void set_version(const struct store_env *e, int v)
{
	char sql[80];
	sqlite3 *db;

	if (e->pg) {
		snprintf(sql, sizeof(sql), "UPDATE schema_version "
			 "SET version=%d", v);
		tpg_sql(sql);
		return;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
	assert_int_equal(sqlite3_open(e->loc, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

struct seen {
	char rows[8][160];
	unsigned n;
};

static void put(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	if (s->n >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(s->rows[s->n++], sizeof(s->rows[0]), fmt, ap);
	va_end(ap);
}

static int conf_row_h(const struct store_conf *sc, void *arg)
{
	put(arg, "%s|%s|%lld|%s", sc->id, sc->display_text,
	    (long long)sc->created_at, sc->settings);
	return 0;
}

static int user_h(const struct store_user *u, void *arg)
{
	put(arg, "%s|%s|%s|%s|%s|%s|%d|%lld", u->name, u->aor, u->realm,
	    u->ha1_md5, u->ha1_sha256, u->token_sha256, u->admin,
	    (long long)u->created_at);
	return 0;
}

static int node_h(const struct store_node *n, void *arg)
{
	put(arg, "%s|%s|%s|%u|%u|%lld", n->node, n->sip_addr, n->api_url,
	    n->capacity, n->participants, (long long)n->expires_at);
	return 0;
}

static int roster_h(const char *node, const char *doc, void *arg)
{
	put(arg, "%s|%s", node, doc);
	return 0;
}

static void test_confs(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	struct store_conf a = {.id = "a", .display_text = "Room A",
			       .created_at = 1};
	struct store_conf b = {.id = "b", .display_text = NULL,
			       .created_at = 2};
	struct seen seen = {0};

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_conf_insert(st, &a), 0);
	assert_int_equal(store_conf_insert(st, &b), 0);
	assert_int_equal(store_conf_insert(st, &a), EEXIST);
	assert_int_equal(store_conf_delete(st, "nope"), ENOENT);
	st = mem_deref(st);

	assert_int_equal(store_open(&st, e->loc), 0);      /* reopen */
	assert_int_equal(store_conf_foreach(st, conf_row_h, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.rows[0], "a|Room A|1|{}");
	assert_string_equal(seen.rows[1], "b||2|{}");

	assert_int_equal(store_conf_set_settings(st, "a", "{\"x\":1}"), 0);
	assert_int_equal(store_conf_set_settings(st, "nope", "{}"), ENOENT);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_conf_get(st, "a", conf_row_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.rows[0], "a|Room A|1|{\"x\":1}");
	assert_int_equal(store_conf_get(st, "nope", conf_row_h, &seen), ENOENT);
	assert_int_equal(seen.n, 1);

	assert_int_equal(store_conf_delete(st, "a"), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_conf_foreach(st, conf_row_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	mem_deref(st);
}

static void test_hostile_strings(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	struct store_conf c = {.id = "x'); DROP TABLE conferences;--",
			       .display_text = "\"quoted\" 'and' \xc3\xa9 $1 ?",
			       .created_at = 3};
	struct seen seen = {0};

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_conf_insert(st, &c), 0);
	assert_int_equal(store_conf_foreach(st, conf_row_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.rows[0], "x'); DROP TABLE conferences;--|"
			    "\"quoted\" 'and' \xc3\xa9 $1 ?|3|{}");
	assert_int_equal(store_conf_delete(st, c.id), 0);
	mem_deref(st);
}

static void test_users(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	struct store_user u = {
		.name = "ann", .aor = "sip:ann@example.org",
		.realm = "example.org", .ha1_md5 = "m1", .ha1_sha256 = "s1",
		.token_sha256 = "t1", .admin = true, .created_at = 42,
	};
	struct store_user v = u;
	struct seen seen = {0};

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_user_insert(st, &u), EEXIST);
	v.name = "bob";                            /* the AoR is taken */
	assert_int_equal(store_user_insert(st, &v), EEXIST);
	v.aor = "sip:bob@example.org";             /* the token too */
	assert_int_equal(store_user_insert(st, &v), EEXIST);
	v.token_sha256 = "t2";
	v.admin = false;
	assert_int_equal(store_user_insert(st, &v), 0);
	assert_int_equal(store_user_foreach(st, user_h, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.rows[0], "ann|sip:ann@example.org|"
			    "example.org|m1|s1|t1|1|42");
	assert_string_equal(seen.rows[1], "bob|sip:bob@example.org|"
			    "example.org|m1|s1|t2|0|42");
	assert_int_equal(store_user_delete(st, "ann"), 0);
	assert_int_equal(store_user_delete(st, "ann"), ENOENT);
	mem_deref(st);
}

static void test_schema_version(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_schema_version(st), CAUCUS_STORE_SCHEMA);
	assert_int_equal(CAUCUS_STORE_SCHEMA, 3);
	assert_string_equal(store_backend(st), e->pg ? "postgresql" :
			    "sqlite");
	st = mem_deref(st);
	assert_int_equal(store_open(&st, e->loc), 0);  /* nothing to do */
	assert_int_equal(store_schema_version(st), CAUCUS_STORE_SCHEMA);
	mem_deref(st);
}

/* A database a newer caucusd migrated further: refused, not guessed at */
static void test_newer_refused(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;

	assert_int_equal(store_open(&st, e->loc), 0);
	st = mem_deref(st);
	set_version(e, CAUCUS_STORE_SCHEMA + 1);
	assert_int_equal(store_open(&st, e->loc), ENOTSUP);
	assert_null(st);
	set_version(e, CAUCUS_STORE_SCHEMA);
	assert_int_equal(store_open(&st, e->loc), 0);
	mem_deref(st);
}

static void test_nodes(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	struct store_node a = {"a", "10.0.0.1:5060", "http://10.0.0.1:8080",
			       10, 1, T0 + 3000};
	struct store_node b = {"b", "10.0.0.2:5060", "http://10.0.0.2:8080",
			       10, 0, T0 - 1};
	struct store_node c = {"c-1_x", "10.0.0.3:5060", "http://h3", 5, 0,
			       T0 + 5000};
	struct store_node bad = c;
	struct seen seen = {0};

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_node_beat(st, &a), 0);
	assert_int_equal(store_node_beat(st, &b), 0);
	assert_int_equal(store_node_beat(st, &c), 0);
	bad.node = "no spaces";
	assert_int_equal(store_node_beat(st, &bad), EINVAL);
	bad.node = "a-name-of-thirty-three-characters";
	assert_int_equal(store_node_beat(st, &bad), EINVAL);

	/* b expired before T0: dead, not listed */
	assert_int_equal(store_node_foreach(st, T0, node_h, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.rows[0], "a|10.0.0.1:5060|"
			    "http://10.0.0.1:8080|10|1|1700000003000");
	assert_string_equal(seen.rows[1], "c-1_x|10.0.0.3:5060|http://h3|"
			    "5|0|1700000005000");

	/* a beat replaces the row */
	a.participants = 4;
	a.expires_at = T0 + 6000;
	assert_int_equal(store_node_beat(st, &a), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_node_foreach(st, T0 + 5000, node_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.rows[0], "a|10.0.0.1:5060|"
			    "http://10.0.0.1:8080|10|4|1700000006000");

	assert_int_equal(store_node_delete(st, "a"), 0);
	assert_int_equal(store_node_delete(st, "a"), ENOENT);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_node_foreach(st, T0, node_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	mem_deref(st);
}

static void test_leases(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	char owner[STORE_NODE_MAX + 1];

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_lease_get(st, "c1", T0, owner), ENOENT);
	assert_int_equal(store_lease_take(st, "c1", "A", T0, 1000, owner), 0);
	assert_string_equal(owner, "A");
	/* another node, while A's is live */
	strcpy(owner, "?");
	assert_int_equal(store_lease_take(st, "c1", "B", T0 + 500, 1000,
					  owner), EBUSY);
	assert_string_equal(owner, "A");
	/* renewed by its holder: live until T0 + 1800 now */
	assert_int_equal(store_lease_take(st, "c1", "A", T0 + 800, 1000,
					  owner), 0);
	assert_string_equal(owner, "A");
	assert_int_equal(store_lease_take(st, "c1", "B", T0 + 1500, 1000,
					  owner), EBUSY);
	assert_string_equal(owner, "A");
	assert_int_equal(store_lease_get(st, "c1", T0 + 1799, owner), 0);
	assert_string_equal(owner, "A");
	assert_int_equal(store_lease_get(st, "c1", T0 + 1800, owner), ENOENT);

	/* expired: B takes it over */
	assert_int_equal(store_lease_take(st, "c1", "B", T0 + 1800, 1000,
					  owner), 0);
	assert_string_equal(owner, "B");
	assert_int_equal(store_lease_get(st, "c1", T0 + 1900, owner), 0);
	assert_string_equal(owner, "B");
	assert_int_equal(store_lease_take(st, "c1", "A", T0 + 1900, 1000,
					  owner), EBUSY);
	assert_string_equal(owner, "B");

	/* only the holder gives it up */
	assert_int_equal(store_lease_release(st, "c1", "A"), ENOENT);
	assert_int_equal(store_lease_release(st, "c1", "B"), 0);
	assert_int_equal(store_lease_release(st, "c1", "B"), ENOENT);
	assert_int_equal(store_lease_get(st, "c1", T0 + 1900, owner), ENOENT);
	assert_int_equal(store_lease_take(st, "c1", "A", T0 + 1900, 1000,
					  owner), 0);
	assert_string_equal(owner, "A");
	assert_int_equal(store_lease_take(st, "c1", "not valid", T0, 1000,
					  owner), EINVAL);
	mem_deref(st);
}

enum { RACES = 100 };

struct racer {
	struct store *st;
	const char *node;
	pthread_barrier_t *go;
	int err[RACES];
	char owner[RACES][STORE_NODE_MAX + 1];
};

static void *race_run(void *arg)
{
	struct racer *r = arg;
	unsigned seed = (unsigned)(uintptr_t)r;
	char id[16];

	for (int i = 0; i < RACES; i++) {
		snprintf(id, sizeof(id), "race-%d", i);
		/* both at the same lease at the same moment, give or take
		 * a round trip, so that either may be first */
		pthread_barrier_wait(r->go);
		usleep(rand_r(&seed) % 300);
		r->err[i] = store_lease_take(r->st, id, r->node, T0, 60000,
					     r->owner[i]);
	}
	return NULL;
}

/* Two nodes, each its own connection (store), take the same leases at
 * the same moment: for each, exactly one wins and both name the winner */
static void test_lease_race(void **state)
{
	const struct store_env *e = *state;
	struct racer r[2] = {{.node = "n1"}, {.node = "n2"}};
	pthread_barrier_t go;
	pthread_t t[2];
	char owner[STORE_NODE_MAX + 1], id[16];
	unsigned wins[2] = {0, 0};

	pthread_barrier_init(&go, NULL, 2);
	for (int k = 0; k < 2; k++) {
		r[k].go = &go;
		assert_int_equal(store_open(&r[k].st, e->loc), 0);
	}
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, race_run, &r[k]),
				 0);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (int i = 0; i < RACES; i++) {
		int w = r[0].err[i] == 0 ? 0 : 1;

		assert_int_equal(r[w].err[i], 0);
		assert_int_equal(r[!w].err[i], EBUSY);
		assert_string_equal(r[0].owner[i], r[w].node);
		assert_string_equal(r[1].owner[i], r[w].node);
		snprintf(id, sizeof(id), "race-%d", i);
		assert_int_equal(store_lease_get(r[0].st, id, T0, owner), 0);
		assert_string_equal(owner, r[w].node);
		wins[w]++;
	}
	print_message("lease race on %s: n1 won %u, n2 %u\n",
		      e->pg ? "postgresql" : "sqlite", wins[0], wins[1]);
	pthread_barrier_destroy(&go);
	for (int k = 0; k < 2; k++)
		mem_deref(r[k].st);
}

static void test_rosters(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	struct seen seen = {0};

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_roster_set(st, "c1", "B", "{\"b\":1}"), 0);
	assert_int_equal(store_roster_set(st, "c1", "A", "{\"a\":1}"), 0);
	assert_int_equal(store_roster_set(st, "c2", "A", "{\"a\":2}"), 0);
	assert_int_equal(store_roster_foreach(st, "c1", roster_h, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.rows[0], "A|{\"a\":1}");
	assert_string_equal(seen.rows[1], "B|{\"b\":1}");

	/* replaced; B's deleted (and deleting nothing is no error) */
	assert_int_equal(store_roster_set(st, "c1", "A", "{\"a\":3}"), 0);
	assert_int_equal(store_roster_set(st, "c1", "B", NULL), 0);
	assert_int_equal(store_roster_set(st, "c1", "B", NULL), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_roster_foreach(st, "c1", roster_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.rows[0], "A|{\"a\":3}");

	/* A's shares of every conference */
	assert_int_equal(store_roster_set(st, "c1", "B", "{}"), 0);
	assert_int_equal(store_roster_clear(st, "A"), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_roster_foreach(st, "c1", roster_h, &seen), 0);
	assert_int_equal(store_roster_foreach(st, "c2", roster_h, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.rows[0], "B|{}");
	mem_deref(st);
}

/* The first to ask makes it; every store of the database reads the same */
static void test_secret(void **state)
{
	const struct store_env *e = *state;
	struct store *s1 = NULL, *s2 = NULL;
	char a[65], b[65], small[64];

	assert_int_equal(store_open(&s1, e->loc), 0);
	assert_int_equal(store_open(&s2, e->loc), 0);
	assert_int_equal(store_secret(s1, a, sizeof(a)), 0);
	assert_int_equal(store_secret(s2, b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_int_equal(store_secret(s1, b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_int_equal(store_secret(s1, small, sizeof(small)), EINVAL);
	mem_deref(s1);
	mem_deref(s2);
}

/* The files caucusd made before migrations were numbered: version 1
 * (conferences) and 2 (and users), INTEGER times, IF NOT EXISTS. They
 * open, keep their rows and get only the steps after their version. */
static void test_migrate_old_sqlite(void **state)
{
	static const char *const old[] = {
		"CREATE TABLE IF NOT EXISTS conferences ("
		" id TEXT PRIMARY KEY,"
		" display_text TEXT NOT NULL DEFAULT '',"
		" created_at INTEGER NOT NULL,"
		" settings TEXT NOT NULL DEFAULT '{}');"
		"INSERT INTO conferences VALUES('old','Old',5,'{\"a\":1}');"
		"PRAGMA user_version = 1;",
		"CREATE TABLE IF NOT EXISTS users ("
		" name TEXT PRIMARY KEY, aor TEXT NOT NULL UNIQUE,"
		" realm TEXT NOT NULL, ha1_md5 TEXT NOT NULL,"
		" ha1_sha256 TEXT NOT NULL,"
		" token_sha256 TEXT NOT NULL UNIQUE,"
		" admin INTEGER NOT NULL DEFAULT 0,"
		" created_at INTEGER NOT NULL);"
		"INSERT INTO users VALUES('u','sip:u@h','h','m','s','t',0,7);"
		"PRAGMA user_version = 2;",
	};
	const struct store_env *e = *state;
	struct store_node n = {"n", "h:5060", "http://h", 1, 0, T0 + 1};
	char path[160], owner[STORE_NODE_MAX + 1];
	struct store *st = NULL;
	struct seen seen = {0};
	sqlite3 *db;

	for (int v = 1; v <= 2; v++) {
		snprintf(path, sizeof(path), "%.63s/v%d.db", e->dir, v);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		for (int k = 0; k < v; k++)
			assert_int_equal(sqlite3_exec(db, old[k], NULL, NULL,
						      NULL), SQLITE_OK);
		sqlite3_close(db);

		assert_int_equal(store_open(&st, path), 0);
		assert_int_equal(store_schema_version(st), 3);
		memset(&seen, 0, sizeof(seen));
		assert_int_equal(store_conf_get(st, "old", conf_row_h, &seen),
				 0);
		assert_string_equal(seen.rows[0], "old|Old|5|{\"a\":1}");
		memset(&seen, 0, sizeof(seen));
		assert_int_equal(store_user_foreach(st, user_h, &seen), 0);
		assert_int_equal(seen.n, v == 2 ? 1 : 0);
		assert_int_equal(store_node_beat(st, &n), 0);
		assert_int_equal(store_lease_take(st, "old", "n", T0, 10,
						  owner), 0);
		st = mem_deref(st);
	}
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

#define BOTH(f, setup, teardown) \
	cmocka_unit_test_setup_teardown(f, setup, teardown)
#define CASES(setup, teardown)						\
	BOTH(test_confs, setup, teardown),				\
	BOTH(test_hostile_strings, setup, teardown),			\
	BOTH(test_users, setup, teardown),				\
	BOTH(test_schema_version, setup, teardown),			\
	BOTH(test_newer_refused, setup, teardown),			\
	BOTH(test_nodes, setup, teardown),				\
	BOTH(test_leases, setup, teardown),				\
	BOTH(test_lease_race, setup, teardown),				\
	BOTH(test_rosters, setup, teardown),				\
	BOTH(test_secret, setup, teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		CASES(setup_sqlite, teardown_sqlite),
		BOTH(test_migrate_old_sqlite, setup_sqlite, teardown_sqlite),
		cmocka_unit_test(test_unwritable_path),
	};
	const struct CMUnitTest pg_tests[] = {
		CASES(setup_pg, NULL),
		STORE_PG_CASES,
	};
	const char *uri = getenv("CAUCUS_TEST_PG");
	int failed;

	libre_init();
	log_set_level(LOG_WARN);
	failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL,
					     NULL);
	if (uri && *uri) {
		snprintf(env_pg.loc, sizeof(env_pg.loc), "%s", uri);
		tpg = PQconnectdb(uri);
		if (PQstatus(tpg) != CONNECTION_OK) {
			fprintf(stderr, "CAUCUS_TEST_PG=%s: %s", uri,
				PQerrorMessage(tpg));
			return 1;
		}
		PQsetNoticeProcessor(tpg, tpg_notice, NULL);
		failed += cmocka_run_group_tests_name("postgresql", pg_tests,
						      NULL, NULL);
		PQfinish(tpg);
	}
	libre_close();
	return failed;
}
