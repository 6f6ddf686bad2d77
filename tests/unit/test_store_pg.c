/*
 * What only the PostgreSQL store has (part of test_store, run when
 * CAUCUS_TEST_PG is set): change notifications delivered on libre's loop,
 * Kamailio's routing functions, two nodes migrating one database at
 * once, and a command surviving a lost connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <cmocka.h>
#include <re.h>
#include "store/store.h"
#include "test_store.h"

#define T0 1700000000000LL

void tpg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The first value of a query on tpg ("NULL" for NULL), into buf */
static void tpg_val(const char *sql, const char *param, char *buf,
		    size_t sz)
{
	const char *vals[] = {param};
	PGresult *res = PQexecParams(tpg, sql, param ? 1 : 0, NULL,
				     param ? vals : NULL, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
		fail_msg("%s: %s", sql, PQerrorMessage(tpg));
	snprintf(buf, sz, "%s", PQgetisnull(res, 0, 0) ? "NULL" :
		 PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* The changes a listening store was told, in order */
struct chg {
	enum store_chg what;
	char key[64];
	char node[40];
};

static struct {
	struct chg chg[64];
	unsigned n;
	unsigned next;               /* the first not yet looked at */
} lis;

static void chg_h(enum store_chg what, const char *key, const char *node,
		  void *arg)
{
	(void)arg;
	if (lis.n < ARRAY_SIZE(lis.chg)) {
		lis.chg[lis.n].what = what;
		snprintf(lis.chg[lis.n].key, sizeof(lis.chg[0].key), "%s", key);
		snprintf(lis.chg[lis.n].node, sizeof(lis.chg[0].node), "%s",
			 node);
		lis.n++;
	}
	re_cancel();                 /* wait_chg looks at it */
}

static void timeout_h(void *arg)
{
	*(bool *)arg = true;
	re_cancel();
}

/* Runs libre's loop until the change arrives (its index) or 5 s have
 * passed (-1); the changes before it are passed over */
static int wait_chg(enum store_chg what, const char *key)
{
	struct tmr t;
	bool late = false;

	tmr_init(&t);
	tmr_start(&t, 5000, timeout_h, &late);
	while (!late) {
		while (lis.next < lis.n) {
			const struct chg *c = &lis.chg[lis.next++];

			if (c->what == what && !strcmp(c->key, key)) {
				tmr_cancel(&t);
				return (int)lis.next - 1;
			}
		}
		re_main(NULL);
	}
	tmr_cancel(&t);
	return -1;
}

/* Changes made by another connection (a second store, psql) reach the
 * listening store; a lease renewal does not; nor does what does not
 * parse; a lost listening connection comes back and says RESYNC */
void test_pg_listen(void **state)
{
	const struct store_env *e = *state;
	struct store *a = NULL, *b = NULL;
	struct store_user u = {
		.name = "u1", .aor = "sip:u1@h", .realm = "h",
		.ha1_md5 = "m", .ha1_sha256 = "s", .token_sha256 = "t",
	};
	char owner[STORE_NODE_MAX + 1];
	int i, mark;

	memset(&lis, 0, sizeof(lis));
	assert_int_equal(store_open(&a, e->loc), 0);
	assert_int_equal(store_listen(a, chg_h, NULL), 0);
	assert_int_equal(store_open(&b, e->loc), 0);

	assert_int_equal(store_conf_insert(b, &(struct store_conf){
				.id = "c1", .created_at = 1}), 0);
	assert_true(wait_chg(STORE_CHG_CONF, "c1") >= 0);
	assert_int_equal(store_conf_set_settings(b, "c1", "{}"), 0);
	assert_true(wait_chg(STORE_CHG_CONF, "c1") >= 0);
	assert_int_equal(store_user_insert(b, &u), 0);
	assert_true(wait_chg(STORE_CHG_USER, "u1") >= 0);
	assert_int_equal(store_roster_set(b, "c1", "nb", "{}"), 0);
	i = wait_chg(STORE_CHG_ROSTER, "c1");
	assert_true(i >= 0);
	assert_string_equal(lis.chg[i].node, "nb");
	assert_int_equal(store_roster_set(b, "c1", "nb", NULL), 0);
	i = wait_chg(STORE_CHG_ROSTER, "c1");
	assert_true(i >= 0);
	assert_string_equal(lis.chg[i].node, "nb");
	assert_int_equal(store_lease_take(b, "c1", "nb", T0, 1000, owner), 0);
	assert_true(wait_chg(STORE_CHG_LEASE, "c1") >= 0);

	/* a renewal, then a marker: nothing about the lease before it */
	mark = (int)lis.n;
	assert_int_equal(store_lease_take(b, "c1", "nb", T0 + 500, 1000,
					  owner), 0);
	assert_int_equal(store_conf_insert(b, &(struct store_conf){
				.id = "marker1", .created_at = 1}), 0);
	i = wait_chg(STORE_CHG_CONF, "marker1");
	assert_int_equal(i, mark);
	/* taken over after expiry, released: both announced */
	assert_int_equal(store_lease_take(b, "c1", "nc", T0 + 9000, 1000,
					  owner), 0);
	assert_true(wait_chg(STORE_CHG_LEASE, "c1") >= 0);
	assert_int_equal(store_lease_release(b, "c1", "nc"), 0);
	assert_true(wait_chg(STORE_CHG_LEASE, "c1") >= 0);

	/* the listener's own store's writes, and psql's */
	assert_int_equal(store_conf_delete(a, "marker1"), 0);
	assert_true(wait_chg(STORE_CHG_CONF, "marker1") >= 0);
	tpg_sql("INSERT INTO conferences(id,created_at) VALUES('psql',1)");
	assert_true(wait_chg(STORE_CHG_CONF, "psql") >= 0);

	/* payloads that are not ours are ignored; a key too long for
	 * pg_notify becomes a RESYNC rather than a failed write */
	mark = (int)lis.n;
	tpg_sql("SELECT pg_notify('caucus', 'bogus x');"
		"SELECT pg_notify('caucus', 'roster lonely');"
		"SELECT pg_notify('caucus', 'conf');"
		"SELECT pg_notify('other', 'conf x')");
	tpg_sql("DELETE FROM conferences WHERE id='psql'");
	assert_int_equal(wait_chg(STORE_CHG_CONF, "psql"), mark);
	tpg_sql("INSERT INTO conferences(id,created_at) "
		"VALUES(repeat('x', 8000),1)");
	assert_true(wait_chg(STORE_CHG_RESYNC, "") >= 0);

	/* the listening connection killed: back, RESYNC, listening */
	tpg_sql("SELECT pg_terminate_backend(pid, 5000) FROM "
		"pg_stat_activity WHERE application_name='caucus-listen'");
	assert_true(wait_chg(STORE_CHG_RESYNC, "") >= 0);
	assert_int_equal(store_conf_insert(b, &(struct store_conf){
				.id = "after", .created_at = 1}), 0);
	assert_true(wait_chg(STORE_CHG_CONF, "after") >= 0);
	mem_deref(b);
	mem_deref(a);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void route_is(const char *conf, const char *owner, const char *to)
{
	char buf[128];

	tpg_val("SELECT caucus_owner($1)", conf, buf, sizeof(buf));
	assert_string_equal(buf, owner);
	tpg_val("SELECT caucus_route($1)", conf, buf, sizeof(buf));
	assert_string_equal(buf, to);
}

/* caucus_owner and caucus_route, as Kamailio calls them, on the
 * database's clock */
void test_pg_route(void **state)
{
	const struct store_env *e = *state;
	int64_t now = now_ms();
	struct store_node n1 = {"n1", "10.0.0.1:5060", "http://n1", 2, 0,
				now + 60000};
	struct store_node n2 = {"n2", "10.0.0.2:5060", "http://n2", 10, 5,
				now + 60000};
	struct store_node n3 = {"n3", "10.0.0.3:5060", "http://n3", 100, 0,
				now - 1000};
	struct store_node n0 = {"n0", "10.0.0.4:5060", "http://n0", 7, 2,
				now + 60000};
	struct store *st = NULL;
	char owner[STORE_NODE_MAX + 1];

	assert_int_equal(store_open(&st, e->loc), 0);
	route_is("c", "NULL", "NULL");             /* no node alive */
	assert_int_equal(store_node_beat(st, &n1), 0);
	assert_int_equal(store_node_beat(st, &n2), 0);
	assert_int_equal(store_node_beat(st, &n3), 0);
	/* no owner: the most room among the live (n3 is dead) */
	route_is("c", "NULL", "sip:10.0.0.2:5060");
	/* the owner while it has room */
	assert_int_equal(store_lease_take(st, "c", "n1", now, 60000, owner),
			 0);
	route_is("c", "sip:10.0.0.1:5060", "sip:10.0.0.1:5060");
	/* full: elsewhere; equal room goes by name */
	n1.participants = 2;
	assert_int_equal(store_node_beat(st, &n1), 0);
	route_is("c", "sip:10.0.0.1:5060", "sip:10.0.0.2:5060");
	assert_int_equal(store_node_beat(st, &n0), 0);
	route_is("c", "sip:10.0.0.1:5060", "sip:10.0.0.4:5060");
	/* an expired lease, a live lease of a dead node: no owner */
	assert_int_equal(store_lease_release(st, "c", "n1"), 0);
	assert_int_equal(store_lease_take(st, "c", "n1", now - 120000,
					  60000, owner), 0);
	route_is("c", "NULL", "sip:10.0.0.4:5060");
	assert_int_equal(store_lease_take(st, "c", "n3", now, 60000, owner),
			 0);
	route_is("c", "NULL", "sip:10.0.0.4:5060");
	route_is("other", "NULL", "sip:10.0.0.4:5060");
	mem_deref(st);
}

struct opener {
	const char *loc;
	pthread_barrier_t *go;
	struct store *st;
	int err;
};

static void *open_run(void *arg)
{
	struct opener *o = arg;

	pthread_barrier_wait(o->go);
	o->err = store_open(&o->st, o->loc);
	return NULL;
}

/* Two nodes starting at once against an empty database: both open, the
 * schema is made once (without the migration lock one of them fails on
 * a table the other made) */
void test_pg_migrate_race(void **state)
{
	const struct store_env *e = *state;
	pthread_barrier_t go;
	char buf[32];

	pthread_barrier_init(&go, NULL, 2);
	for (int round = 0; round < 5; round++) {
		struct opener o[2] = {{.loc = e->loc, .go = &go},
				      {.loc = e->loc, .go = &go}};
		pthread_t t[2];

		if (round)
			setup_pg(state);
		for (int k = 0; k < 2; k++)
			assert_int_equal(pthread_create(&t[k], NULL, open_run,
							&o[k]), 0);
		for (int k = 0; k < 2; k++)
			pthread_join(t[k], NULL);
		for (int k = 0; k < 2; k++) {
			assert_int_equal(o[k].err, 0);
			assert_int_equal(store_schema_version(o[k].st), 3);
			mem_deref(o[k].st);
		}
		tpg_val("SELECT count(*) || ' ' || max(version) FROM "
			"schema_version", NULL, buf, sizeof(buf));
		assert_string_equal(buf, "1 3");
	}
	pthread_barrier_destroy(&go);
}

/* A command on a connection the server closed is run again after
 * reconnecting */
void test_pg_reconnect(void **state)
{
	const struct store_env *e = *state;
	struct store *st = NULL;
	char owner[STORE_NODE_MAX + 1];

	assert_int_equal(store_open(&st, e->loc), 0);
	assert_int_equal(store_conf_insert(st, &(struct store_conf){
				.id = "before", .created_at = 1}), 0);
	tpg_sql("SELECT pg_terminate_backend(pid, 5000) FROM "
		"pg_stat_activity WHERE application_name='caucus'");
	assert_int_equal(store_conf_insert(st, &(struct store_conf){
				.id = "after", .created_at = 2}), 0);
	assert_int_equal(store_lease_take(st, "after", "n", T0, 10, owner),
			 0);
	mem_deref(st);
}
