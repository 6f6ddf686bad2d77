/*
 * The PostgreSQL backend of store.h (store_pg_ops): the store a cluster's
 * nodes share, through libpq. st->be is a struct pg (store_pg.h); the
 * listening connection is store_pg_listen.c's, the triggers and routing
 * functions of the schema store_pg_schema.c's. Signalling thread only:
 * every call blocks for its round trip (store.h says when they are made).
 *
 * Values only ever travel as parameters (PQexecParams), never in the SQL
 * text; PQexec runs only fixed scripts of this file and store.c. A
 * command that fails because the connection is gone is run once more
 * after PQreset (a restarted server, a dropped idle connection): every
 * statement here is a single one, so running it again is safe, except
 * inside a migration's transaction, which died with the connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <re.h>
#include "store/store_int.h"
#include "store/store_pg.h"
#include "util/log.h"

/* pg_advisory_xact_lock's key for migrations: "caucus" in ASCII, any
 * number other programs sharing the database are unlikely to take */
#define MIGRATION_LOCK "109270232429939"

static struct pg *pg_of(struct store *st)
{
	return st->be;
}

static const char *num(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

static bool ok(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/*
 * Runs sql with n text parameters (vals NULL: a fixed script, PQexec).
 * 0 and the result in *resp (the caller PQclears it) or cleared; EEXIST
 * for a unique key taken (SQLSTATE 23505); else EIO with errmsg.
 */
static int pg_run(struct store *st, PGresult **resp, const char *what,
		  const char *sql, int n, const char *const *vals)
{
	struct pg *pg = pg_of(st);
	PGresult *res;
	const char *state;
	int err;

	for (int tries = 0; ; tries++) {
		res = vals ? PQexecParams(pg->conn, sql, n, NULL, vals, NULL,
					  NULL, 0) : PQexec(pg->conn, sql);
		if (ok(res) || PQstatus(pg->conn) != CONNECTION_BAD ||
		    pg->in_tx || tries)
			break;
		PQclear(res);
		log_warn("store", "msg=\"connection to postgresql lost, "
			 "reconnecting\" op=\"%s\"", what);
		PQreset(pg->conn);
		if (PQstatus(pg->conn) != CONNECTION_OK)
			return store_fail(st, EIO, "%s: reconnecting: %s",
					  what, PQerrorMessage(pg->conn));
	}
	if (ok(res)) {
		if (resp)
			*resp = res;
		else
			PQclear(res);
		return 0;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && !strcmp(state, "23505")) {
		store_note(st, "%s: %s", what, PQresultErrorMessage(res));
		err = EEXIST;
	}
	else {
		err = store_fail(st, EIO, "%s: %s", what, res ?
				 PQresultErrorMessage(res) :
				 PQerrorMessage(pg->conn));
	}
	PQclear(res);
	return err;
}

/* pg_run with its parameters listed: PG_DO(st, &res, "what", sql, a, b) */
#define PG_DO(st, resp, what, sql, ...)					\
	pg_run(st, resp, what, sql,					\
	       (int)ARRAY_SIZE(((const char *[]){__VA_ARGS__})),	\
	       (const char *[]){__VA_ARGS__})

/* Without a result, ENOENT when no row changed */
static int pg_change(struct store *st, const char *what, const char *sql,
		     int n, const char *const *vals)
{
	PGresult *res = NULL;
	int err = pg_run(st, &res, what, sql, n, vals);

	if (err)
		return err;
	err = strcmp(PQcmdTuples(res), "0") ? 0 : ENOENT;
	PQclear(res);
	return err;
}

#define PG_CHANGE(st, what, sql, ...)					\
	pg_change(st, what, sql,					\
		  (int)ARRAY_SIZE(((const char *[]){__VA_ARGS__})),	\
		  (const char *[]){__VA_ARGS__})

static int64_t i64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void pg_destructor(void *arg)
{
	struct pg *pg = arg;

	pg_listen_stop(pg);
	if (pg->conn)
		PQfinish(pg->conn);
	mem_deref(pg->conninfo);
}

static int pg_open(struct store *st, const char *uri)
{
	struct pg *pg = mem_zalloc(sizeof(*pg), pg_destructor);
	int err;

	if (!pg)
		return ENOMEM;
	st->be = pg;
	pg->st = st;
	pg->lfd = -1;
	tmr_init(&pg->tmr);
	err = str_dup(&pg->conninfo, uri);
	if (err)
		return err;
	pg->conn = pg_connect(uri, "caucus");
	if (!pg->conn)
		return ENOMEM;
	if (PQstatus(pg->conn) != CONNECTION_OK)
		return store_fail(st, EIO, "connect: %s",
				  PQerrorMessage(pg->conn));
	return 0;
}

static void pg_close(struct store *st)
{
	st->be = mem_deref(st->be);
}

/* The version is the one row of schema_version, made by the first
 * migration's transaction; no table yet is version 0 */
static int pg_version(struct store *st, int *versionp)
{
	PGresult *res = NULL;
	int err;

	err = pg_run(st, &res, "schema version", "SELECT CASE WHEN "
		     "to_regclass('schema_version') IS NULL THEN 0 ELSE 1 "
		     "END", 0, NULL);
	if (!err && atoi(PQgetvalue(res, 0, 0))) {
		PQclear(res);
		err = pg_run(st, &res, "schema version", "SELECT "
			     "coalesce(max(version),0) FROM schema_version",
			     0, NULL);
	}
	/* res: the version, or the 0 of no table */
	if (!err) {
		*versionp = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return err;
}

static int pg_mig_exec(struct store *st, const char *sql)
{
	return pg_run(st, NULL, "migration", sql, 0, NULL);
}

static int pg_mig_end(struct store *st, int version, bool commit)
{
	char v[24];
	int err = 0;

	if (commit) {
		err = pg_mig_exec(st, "DELETE FROM schema_version");
		err = err ? err : PG_DO(st, NULL, "migration version",
					"INSERT INTO schema_version(version) "
					"VALUES($1)", num(v, version));
		err = err ? err : pg_mig_exec(st, "COMMIT");
	}
	if (!commit || err) {
		/* nothing to roll back when the connection is gone */
		if (PQtransactionStatus(pg_of(st)->conn) != PQTRANS_IDLE)
			(void)pg_mig_exec(st, "ROLLBACK");
	}
	pg_of(st)->in_tx = false;
	return err;
}

/*
 * Two nodes starting at once against an empty database: the advisory
 * lock, held to the end of this transaction, makes the second wait until
 * the first committed the step, and it then reads the new version. The
 * lock comes first, before even the version table is made, as two
 * concurrent CREATE TABLE IF NOT EXISTS can both try to create it.
 */
static int pg_mig_begin(struct store *st, int *versionp)
{
	PGresult *res = NULL;
	int err;

	pg_of(st)->in_tx = true;
	err = pg_run(st, &res, "migration lock", "BEGIN;"
		     "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ");"
		     "CREATE TABLE IF NOT EXISTS schema_version ("
		     " version INTEGER NOT NULL);"
		     "SELECT coalesce(max(version),0) FROM schema_version",
		     0, NULL);
	if (err) {
		(void)pg_mig_end(st, 0, false);
		return err;
	}
	*versionp = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int pg_conf_insert(struct store *st, const struct store_conf *sc)
{
	char t[24];

	return PG_DO(st, NULL, "conf insert", "INSERT INTO conferences(id,"
		     "display_text,created_at,settings) VALUES($1,$2,$3,$4)",
		     sc->id, sc->display_text ? sc->display_text : "",
		     num(t, sc->created_at),
		     sc->settings ? sc->settings : "{}");
}

static int pg_conf_delete(struct store *st, const char *id)
{
	return PG_CHANGE(st, "conf delete",
			 "DELETE FROM conferences WHERE id=$1", id);
}

static int pg_conf_set_settings(struct store *st, const char *id,
				const char *settings)
{
	return PG_CHANGE(st, "conf settings", "UPDATE conferences SET "
			 "settings=$2 WHERE id=$1", id, settings);
}

/* h for every row of res (id, display_text, created_at, settings) */
static int conf_rows(PGresult *res, store_conf_h *h, void *arg)
{
	int err = 0;

	for (int i = 0; i < PQntuples(res) && !err; i++) {
		struct store_conf sc = {
			.id = PQgetvalue(res, i, 0),
			.display_text = PQgetvalue(res, i, 1),
			.created_at = i64(res, i, 2),
			.settings = PQgetvalue(res, i, 3),
		};

		err = h(&sc, arg);
	}
	PQclear(res);
	return err;
}

static int pg_conf_foreach(struct store *st, store_conf_h *h, void *arg)
{
	PGresult *res = NULL;
	int err;

	err = pg_run(st, &res, "conf select", "SELECT id,display_text,"
		     "created_at,settings FROM conferences "
		     "ORDER BY created_at,id", 0, NULL);
	return err ? err : conf_rows(res, h, arg);
}

static int pg_conf_get(struct store *st, const char *id, store_conf_h *h,
		       void *arg)
{
	PGresult *res = NULL;
	int err;

	err = PG_DO(st, &res, "conf get", "SELECT id,display_text,"
		    "created_at,settings FROM conferences WHERE id=$1", id);
	if (err)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ENOENT;
	}
	return conf_rows(res, h, arg);
}

static int pg_user_insert(struct store *st, const struct store_user *u)
{
	char t[24];

	/* EEXIST: the name, the AoR or the token digest is taken */
	return PG_DO(st, NULL, "user insert", "INSERT INTO users(name,aor,"
		     "realm,ha1_md5,ha1_sha256,token_sha256,admin,created_at)"
		     " VALUES($1,$2,$3,$4,$5,$6,$7,$8)", u->name, u->aor,
		     u->realm, u->ha1_md5, u->ha1_sha256, u->token_sha256,
		     u->admin ? "1" : "0", num(t, u->created_at));
}

static int pg_user_delete(struct store *st, const char *name)
{
	return PG_CHANGE(st, "user delete",
			 "DELETE FROM users WHERE name=$1", name);
}

static int pg_user_foreach(struct store *st, store_user_h *h, void *arg)
{
	PGresult *res = NULL;
	int err;

	err = pg_run(st, &res, "user select", "SELECT name,aor,realm,"
		     "ha1_md5,ha1_sha256,token_sha256,admin,created_at "
		     "FROM users ORDER BY name", 0, NULL);
	for (int i = 0; !err && i < PQntuples(res); i++) {
		struct store_user u = {
			.name = PQgetvalue(res, i, 0),
			.aor = PQgetvalue(res, i, 1),
			.realm = PQgetvalue(res, i, 2),
			.ha1_md5 = PQgetvalue(res, i, 3),
			.ha1_sha256 = PQgetvalue(res, i, 4),
			.token_sha256 = PQgetvalue(res, i, 5),
			.admin = i64(res, i, 6) != 0,
			.created_at = i64(res, i, 7),
		};

		err = h(&u, arg);
	}
	PQclear(res);
	return err;
}

static int pg_listen(struct store *st)
{
	return pg_listen_start(pg_of(st));
}

/* the columns are INTEGER (32 bits) in both dialects */
static int64_t clamp(uint32_t v)
{
	return v > INT32_MAX ? INT32_MAX : v;
}

static int pg_node_beat(struct store *st, const struct store_node *n)
{
	char c[24], p[24], e[24];

	return PG_DO(st, NULL, "node beat", "INSERT INTO nodes(node,sip_addr,"
		     "api_url,capacity,participants,expires_at) "
		     "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(node) DO UPDATE "
		     "SET sip_addr=excluded.sip_addr,api_url=excluded.api_url,"
		     "capacity=excluded.capacity,"
		     "participants=excluded.participants,"
		     "expires_at=excluded.expires_at", n->node, n->sip_addr,
		     n->api_url, num(c, clamp(n->capacity)),
		     num(p, clamp(n->participants)), num(e, n->expires_at));
}

static int pg_node_delete(struct store *st, const char *node)
{
	return PG_CHANGE(st, "node delete",
			 "DELETE FROM nodes WHERE node=$1", node);
}

static int pg_node_foreach(struct store *st, int64_t now_ms,
			   store_node_h *h, void *arg)
{
	PGresult *res = NULL;
	char t[24];
	int err;

	err = PG_DO(st, &res, "node select", "SELECT node,sip_addr,api_url,"
		    "capacity,participants,expires_at FROM nodes "
		    "WHERE expires_at>$1 ORDER BY node", num(t, now_ms));
	for (int i = 0; !err && i < PQntuples(res); i++) {
		struct store_node n = {
			.node = PQgetvalue(res, i, 0),
			.sip_addr = PQgetvalue(res, i, 1),
			.api_url = PQgetvalue(res, i, 2),
			.capacity = (uint32_t)i64(res, i, 3),
			.participants = (uint32_t)i64(res, i, 4),
			.expires_at = i64(res, i, 5),
		};

		err = h(&n, arg);
	}
	PQclear(res);
	return err;
}

/* The first column of the first row into ownerp (0), or ENOENT */
static int owner_of(PGresult *res, char *ownerp)
{
	int err = ENOENT;

	if (PQntuples(res) > 0) {
		str_ncpy(ownerp, PQgetvalue(res, 0, 0), STORE_NODE_MAX + 1);
		err = 0;
	}
	PQclear(res);
	return err;
}

/*
 * One statement, so that of two nodes racing one wins: the upsert's WHERE
 * lets it replace only an expired lease or the node's own, and a
 * concurrent insert of the same conference waits for the other's commit
 * and then checks the WHERE against the row that won. Nothing returned:
 * another node's live lease, read back for ownerp; gone by then (released
 * in between), try again.
 */
static int pg_lease_take(struct store *st, const char *conf_id,
			 const char *node, int64_t now_ms, int64_t ttl_ms,
			 char *ownerp)
{
	PGresult *res = NULL;
	char e[24], n[24];
	int err;

	for (int tries = 0; tries < 3; tries++) {
		err = PG_DO(st, &res, "lease take", "INSERT INTO leases("
			    "conf_id,node,expires_at) VALUES($1,$2,$3) "
			    "ON CONFLICT(conf_id) DO UPDATE SET "
			    "node=excluded.node,"
			    "expires_at=excluded.expires_at "
			    "WHERE leases.expires_at<=$4 OR "
			    "leases.node=excluded.node RETURNING node",
			    conf_id, node, num(e, now_ms + ttl_ms),
			    num(n, now_ms));
		err = err ? err : owner_of(res, ownerp);
		if (err != ENOENT)
			return err;
		err = PG_DO(st, &res, "lease holder", "SELECT node FROM leases "
			    "WHERE conf_id=$1", conf_id);
		err = err ? err : owner_of(res, ownerp);
		if (err != ENOENT)
			return err ? err : EBUSY;
	}
	return store_fail(st, EIO, "lease take: %s changes hands too fast",
			  conf_id);
}

static int pg_lease_get(struct store *st, const char *conf_id,
			int64_t now_ms, char *ownerp)
{
	PGresult *res = NULL;
	char t[24];
	int err;

	err = PG_DO(st, &res, "lease get", "SELECT node FROM leases "
		    "WHERE conf_id=$1 AND expires_at>$2", conf_id,
		    num(t, now_ms));
	return err ? err : owner_of(res, ownerp);
}

static int pg_lease_release(struct store *st, const char *conf_id,
			    const char *node)
{
	return PG_CHANGE(st, "lease release", "DELETE FROM leases "
			 "WHERE conf_id=$1 AND node=$2", conf_id, node);
}

static int pg_roster_set(struct store *st, const char *conf_id,
			 const char *node, const char *doc, int64_t now_ms)
{
	char t[24];

	if (!doc)
		return PG_DO(st, NULL, "roster delete", "DELETE FROM rosters "
			     "WHERE conf_id=$1 AND node=$2", conf_id, node);
	return PG_DO(st, NULL, "roster set", "INSERT INTO rosters(conf_id,"
		     "node,doc,updated_at) VALUES($1,$2,$3,$4) "
		     "ON CONFLICT(conf_id,node) DO UPDATE SET "
		     "doc=excluded.doc,updated_at=excluded.updated_at",
		     conf_id, node, doc, num(t, now_ms));
}

static int pg_roster_foreach(struct store *st, const char *conf_id,
			     store_roster_h *h, void *arg)
{
	PGresult *res = NULL;
	int err;

	err = PG_DO(st, &res, "roster select", "SELECT node,doc FROM rosters "
		    "WHERE conf_id=$1 ORDER BY node", conf_id);
	for (int i = 0; !err && i < PQntuples(res); i++)
		err = h(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), arg);
	PQclear(res);
	return err;
}

static int pg_roster_clear(struct store *st, const char *node)
{
	return PG_DO(st, NULL, "roster clear",
		     "DELETE FROM rosters WHERE node=$1", node);
}

static int pg_secret(struct store *st, const char *fresh, char *buf,
		     size_t sz)
{
	PGresult *res = NULL;
	int err;

	err = PG_DO(st, NULL, "secret", "INSERT INTO meta(key,value) "
		    "VALUES('cluster_secret',$1) ON CONFLICT DO NOTHING",
		    fresh);
	err = err ? err : pg_run(st, &res, "secret read", "SELECT value "
				 "FROM meta WHERE key='cluster_secret'", 0,
				 NULL);
	if (err)
		return err;
	if (PQntuples(res) == 1 && strlen(PQgetvalue(res, 0, 0)) < sz)
		str_ncpy(buf, PQgetvalue(res, 0, 0), sz);
	else
		err = store_fail(st, EIO, "secret read: no usable secret");
	PQclear(res);
	return err;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.version = pg_version,
	.mig_begin = pg_mig_begin,
	.mig_exec = pg_mig_exec,
	.mig_end = pg_mig_end,
	.extra = store_pg_extra,
	.conf_insert = pg_conf_insert,
	.conf_delete = pg_conf_delete,
	.conf_foreach = pg_conf_foreach,
	.conf_get = pg_conf_get,
	.conf_set_settings = pg_conf_set_settings,
	.user_insert = pg_user_insert,
	.user_delete = pg_user_delete,
	.user_foreach = pg_user_foreach,
	.listen = pg_listen,
	.node_beat = pg_node_beat,
	.node_delete = pg_node_delete,
	.node_foreach = pg_node_foreach,
	.lease_take = pg_lease_take,
	.lease_get = pg_lease_get,
	.lease_release = pg_lease_release,
	.roster_set = pg_roster_set,
	.roster_foreach = pg_roster_foreach,
	.roster_clear = pg_roster_clear,
	.secret = pg_secret,
};
