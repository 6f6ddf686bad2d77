/*
 * The SQLite backend of store.h (store_sqlite_ops): one node's file, the
 * embedded default. Writes are single statements, so each is atomic on
 * its own; WAL keeps readers (a second connection, another process
 * reading the file) from blocking the writer. The cluster tables exist
 * here too, so that a single node runs the same code paths; with one
 * writer there is nothing to announce, so store_listen starts nothing.
 * st->be is the sqlite3 connection. Signalling thread only.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#include "store/store_int.h"
#include "util/log.h"

static sqlite3 *db(const struct store *st)
{
	return st->be;
}

static int fail(struct store *st, const char *what)
{
	return store_fail(st, EIO, "%s: %s", what, sqlite3_errmsg(db(st)));
}

/* Prepares sql and binds its arguments, one letter each in types: 't' a
 * string (const char *), 'i' an int64_t. */
static int stmt(struct store *st, sqlite3_stmt **sp, const char *sql,
		const char *types, ...)
{
	int rc = SQLITE_OK;
	va_list ap;

	if (sqlite3_prepare_v2(db(st), sql, -1, sp, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	va_start(ap, types);
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 'i')
			rc = sqlite3_bind_int64(*sp, i + 1,
						va_arg(ap, int64_t));
		else
			rc = sqlite3_bind_text(*sp, i + 1,
					       va_arg(ap, const char *), -1,
					       SQLITE_STATIC);
	}
	va_end(ap);
	if (rc == SQLITE_OK)
		return 0;
	rc = fail(st, "bind");
	sqlite3_finalize(*sp);
	*sp = NULL;
	return rc;
}

/* Runs a statement without rows and finalizes it. A unique key taken is
 * EEXIST; with need_row, changing no row is ENOENT. */
static int run(struct store *st, sqlite3_stmt *s, const char *what,
	       bool need_row)
{
	int rc = sqlite3_step(s), err = 0;

	if (rc == SQLITE_CONSTRAINT &&
	    (sqlite3_extended_errcode(db(st)) == SQLITE_CONSTRAINT_UNIQUE ||
	     sqlite3_extended_errcode(db(st)) ==
	     SQLITE_CONSTRAINT_PRIMARYKEY)) {
		store_note(st, "%s: %s", what, sqlite3_errmsg(db(st)));
		err = EEXIST;
	}
	else if (rc != SQLITE_DONE) {
		err = fail(st, what);
	}
	else if (need_row && sqlite3_changes(db(st)) == 0) {
		err = ENOENT;
	}
	sqlite3_finalize(s);
	return err;
}

/* A text column that cannot be NULL by the schema: NULL is SQLite out of
 * memory, which the caller reports rather than passing NULL on. */
static const char *text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/* The end of a loop over rows: a callback's error stands; a step that
 * ended other than in SQLITE_DONE is EIO */
static int done(struct store *st, sqlite3_stmt *s, int rc, int err,
		const char *what)
{
	if (!err && rc != SQLITE_DONE)
		err = fail(st, what);
	sqlite3_finalize(s);
	return err;
}

/* Creates the parent folders of path, like mkdir -p on its dirname. */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return errno;
		*p = '/';
	}
	return 0;
}

static int sq_open(struct store *st, const char *path)
{
	sqlite3 *conn = NULL;
	int err;

	err = make_parents(path);
	if (err)
		return store_fail(st, err, "cannot create the folders of %s: "
				  "%m", path, err);
	/* the handle is kept even when the open failed: it carries the
	 * message and must be closed */
	err = sqlite3_open(path, &conn);
	st->be = conn;
	if (err != SQLITE_OK)
		return fail(st, "open");
	sqlite3_busy_timeout(conn, 2000);
	if (sqlite3_exec(conn, "PRAGMA journal_mode=WAL;"
			 "PRAGMA synchronous=NORMAL;", NULL, NULL,
			 NULL) != SQLITE_OK)
		return fail(st, "journal mode");
	return 0;
}

static void sq_close(struct store *st)
{
	if (st->be)
		sqlite3_close(st->be);
	st->be = NULL;
}

/* The schema version is the file's user_version (0 in a new file) */
static int sq_version(struct store *st, int *versionp)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "PRAGMA user_version", "");

	if (err)
		return err;
	if (sqlite3_step(s) == SQLITE_ROW)
		*versionp = sqlite3_column_int(s, 0);
	else
		err = fail(st, "read user_version");
	sqlite3_finalize(s);
	return err;
}

static int sq_mig_exec(struct store *st, const char *sql)
{
	if (sqlite3_exec(db(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "migration");
	return 0;
}

static int sq_mig_end(struct store *st, int version, bool commit)
{
	char sql[40];

	if (!commit) {
		if (!sqlite3_get_autocommit(db(st)))
			(void)sqlite3_exec(db(st), "ROLLBACK", NULL, NULL,
					   NULL);
		return 0;
	}
	/* a PRAGMA takes no parameters; version is our own number */
	re_snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;COMMIT",
		    version);
	return sq_mig_exec(st, sql);
}

/* IMMEDIATE takes the write lock at once: a second process opening the
 * same file waits here (busy timeout) and then sees the new version */
static int sq_mig_begin(struct store *st, int *versionp)
{
	int err = sq_mig_exec(st, "BEGIN IMMEDIATE");

	err = err ? err : sq_version(st, versionp);
	if (err)
		(void)sq_mig_end(st, 0, false);
	return err;
}

static const char *const sq_extra[CAUCUS_STORE_SCHEMA + 1];

static int sq_conf_insert(struct store *st, const struct store_conf *sc)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "INSERT INTO conferences(id,display_text,"
		       "created_at,settings) VALUES(?,?,?,?)", "ttit",
		       sc->id, sc->display_text ? sc->display_text : "",
		       sc->created_at, sc->settings ? sc->settings : "{}");

	return err ? err : run(st, s, "conf insert", false);
}

static int sq_conf_delete(struct store *st, const char *id)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "DELETE FROM conferences WHERE id=?", "t",
		       id);

	return err ? err : run(st, s, "conf delete", true);
}

static int sq_conf_set_settings(struct store *st, const char *id,
				const char *settings)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "UPDATE conferences SET settings=? WHERE id=?",
		       "tt", settings, id);

	return err ? err : run(st, s, "conf settings", true);
}

/* Calls h for every row of a SELECT id, display_text, created_at,
 * settings; ENOENT when there was none and need_row */
static int conf_rows(struct store *st, sqlite3_stmt *s, store_conf_h *h,
		     void *arg, bool need_row)
{
	bool any = false;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_conf sc = {
			.id = text(s, 0),
			.display_text = text(s, 1),
			.created_at = sqlite3_column_int64(s, 2),
			.settings = text(s, 3),
		};

		any = true;
		if (!sc.id || !sc.display_text || !sc.settings)
			return done(st, s, SQLITE_NOMEM, 0, "conf select");
		err = h(&sc, arg);
	}
	if (!err && rc == SQLITE_DONE && need_row && !any)
		err = ENOENT;
	return done(st, s, rc, err, "conf select");
}

static int sq_conf_foreach(struct store *st, store_conf_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "SELECT id,display_text,created_at,settings "
		       "FROM conferences ORDER BY created_at,id", "");

	return err ? err : conf_rows(st, s, h, arg, false);
}

static int sq_conf_get(struct store *st, const char *id, store_conf_h *h,
		       void *arg)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "SELECT id,display_text,created_at,settings "
		       "FROM conferences WHERE id=?", "t", id);

	return err ? err : conf_rows(st, s, h, arg, true);
}

static int sq_user_insert(struct store *st, const struct store_user *u)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "INSERT INTO users(name,aor,realm,ha1_md5,"
		       "ha1_sha256,token_sha256,admin,created_at) "
		       "VALUES(?,?,?,?,?,?,?,?)", "ttttttii", u->name,
		       u->aor, u->realm, u->ha1_md5, u->ha1_sha256,
		       u->token_sha256, (int64_t)u->admin, u->created_at);

	/* EEXIST: the name, the AoR or the token digest is taken */
	return err ? err : run(st, s, "user insert", false);
}

static int sq_user_delete(struct store *st, const char *name)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "DELETE FROM users WHERE name=?", "t", name);

	return err ? err : run(st, s, "user delete", true);
}

static int sq_user_foreach(struct store *st, store_user_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE, err;

	err = stmt(st, &s, "SELECT name,aor,realm,ha1_md5,ha1_sha256,"
		   "token_sha256,admin,created_at FROM users ORDER BY name",
		   "");
	if (err)
		return err;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_user u = {
			.name = text(s, 0), .aor = text(s, 1),
			.realm = text(s, 2), .ha1_md5 = text(s, 3),
			.ha1_sha256 = text(s, 4), .token_sha256 = text(s, 5),
			.admin = sqlite3_column_int(s, 6) != 0,
			.created_at = sqlite3_column_int64(s, 7),
		};

		if (!u.name || !u.aor || !u.realm || !u.ha1_md5 ||
		    !u.ha1_sha256 || !u.token_sha256)
			return done(st, s, SQLITE_NOMEM, 0, "user select");
		err = h(&u, arg);
	}
	return done(st, s, rc, err, "user select");
}

static int sq_node_beat(struct store *st, const struct store_node *n)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "INSERT INTO nodes(node,sip_addr,api_url,"
		       "capacity,participants,expires_at) VALUES(?,?,?,?,?,?) "
		       "ON CONFLICT(node) DO UPDATE SET "
		       "sip_addr=excluded.sip_addr,api_url=excluded.api_url,"
		       "capacity=excluded.capacity,"
		       "participants=excluded.participants,"
		       "expires_at=excluded.expires_at", "tttiii", n->node,
		       n->sip_addr, n->api_url, (int64_t)n->capacity,
		       (int64_t)n->participants, n->expires_at);

	return err ? err : run(st, s, "node beat", false);
}

static int sq_node_delete(struct store *st, const char *node)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "DELETE FROM nodes WHERE node=?", "t", node);

	return err ? err : run(st, s, "node delete", true);
}

static int sq_node_foreach(struct store *st, int64_t now_ms,
			   store_node_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE, err;

	err = stmt(st, &s, "SELECT node,sip_addr,api_url,capacity,"
		   "participants,expires_at FROM nodes WHERE expires_at>? "
		   "ORDER BY node", "i", now_ms);
	if (err)
		return err;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_node n = {
			.node = text(s, 0), .sip_addr = text(s, 1),
			.api_url = text(s, 2),
			.capacity = (uint32_t)sqlite3_column_int64(s, 3),
			.participants = (uint32_t)sqlite3_column_int64(s, 4),
			.expires_at = sqlite3_column_int64(s, 5),
		};

		if (!n.node || !n.sip_addr || !n.api_url)
			return done(st, s, SQLITE_NOMEM, 0, "node select");
		err = h(&n, arg);
	}
	return done(st, s, rc, err, "node select");
}

/* One row's first column into ownerp: 0, ENOENT (no row) or EIO */
static int owner_row(struct store *st, sqlite3_stmt *s, char *ownerp,
		     const char *what)
{
	int rc = sqlite3_step(s), err = 0;

	if (rc == SQLITE_ROW && text(s, 0))
		str_ncpy(ownerp, text(s, 0), STORE_NODE_MAX + 1);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = fail(st, what);
	/* to the end: a RETURNING statement completes its write there */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return err;
}

/* The same single statement as PostgreSQL's (store_pg.c): the WHERE of
 * the upsert is what makes taking atomic with the expiry check. Nothing
 * returned: a live lease of another node, read back for ownerp; gone by
 * then (released in between), try again. */
static int sq_lease_take(struct store *st, const char *conf_id,
			 const char *node, int64_t now_ms, int64_t ttl_ms,
			 char *ownerp)
{
	sqlite3_stmt *s = NULL;
	int err = 0;

	for (int tries = 0; tries < 3; tries++) {
		err = stmt(st, &s, "INSERT INTO leases(conf_id,node,"
			   "expires_at) VALUES(?1,?2,?3) ON CONFLICT(conf_id) "
			   "DO UPDATE SET node=excluded.node,"
			   "expires_at=excluded.expires_at "
			   "WHERE leases.expires_at<=?4 OR "
			   "leases.node=excluded.node RETURNING node", "ttii",
			   conf_id, node, now_ms + ttl_ms, now_ms);
		err = err ? err : owner_row(st, s, ownerp, "lease take");
		if (err != ENOENT)
			return err;
		err = stmt(st, &s, "SELECT node FROM leases WHERE conf_id=?",
			   "t", conf_id);
		err = err ? err : owner_row(st, s, ownerp, "lease holder");
		if (err != ENOENT)
			return err ? err : EBUSY;
	}
	return store_fail(st, EIO, "lease take: %s changes hands too fast",
			  conf_id);
}

static int sq_lease_get(struct store *st, const char *conf_id,
			int64_t now_ms, char *ownerp)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "SELECT node FROM leases WHERE conf_id=? "
		       "AND expires_at>?", "ti", conf_id, now_ms);

	return err ? err : owner_row(st, s, ownerp, "lease get");
}

static int sq_lease_release(struct store *st, const char *conf_id,
			    const char *node)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "DELETE FROM leases WHERE conf_id=? AND "
		       "node=?", "tt", conf_id, node);

	return err ? err : run(st, s, "lease release", true);
}

static int sq_roster_set(struct store *st, const char *conf_id,
			 const char *node, const char *doc, int64_t now_ms)
{
	sqlite3_stmt *s = NULL;
	int err;

	if (!doc)
		err = stmt(st, &s, "DELETE FROM rosters WHERE conf_id=? AND "
			   "node=?", "tt", conf_id, node);
	else
		err = stmt(st, &s, "INSERT INTO rosters(conf_id,node,doc,"
			   "updated_at) VALUES(?,?,?,?) ON CONFLICT(conf_id,"
			   "node) DO UPDATE SET doc=excluded.doc,"
			   "updated_at=excluded.updated_at", "ttti", conf_id,
			   node, doc, now_ms);
	return err ? err : run(st, s, "roster set", false);
}

static int sq_roster_foreach(struct store *st, const char *conf_id,
			     store_roster_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE, err;

	err = stmt(st, &s, "SELECT node,doc FROM rosters WHERE conf_id=? "
		   "ORDER BY node", "t", conf_id);
	if (err)
		return err;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!text(s, 0) || !text(s, 1))
			return done(st, s, SQLITE_NOMEM, 0, "roster select");
		err = h(text(s, 0), text(s, 1), arg);
	}
	return done(st, s, rc, err, "roster select");
}

static int sq_roster_clear(struct store *st, const char *node)
{
	sqlite3_stmt *s = NULL;
	int err = stmt(st, &s, "DELETE FROM rosters WHERE node=?", "t", node);

	return err ? err : run(st, s, "roster clear", false);
}

static int sq_secret(struct store *st, const char *fresh, char *buf,
		     size_t sz)
{
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE, err;

	err = stmt(st, &s, "INSERT INTO meta(key,value) VALUES("
		   "'cluster_secret',?) ON CONFLICT DO NOTHING", "t", fresh);
	err = err ? err : run(st, s, "secret", false);
	err = err ? err : stmt(st, &s, "SELECT value FROM meta WHERE "
			       "key='cluster_secret'", "");
	if (err)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && text(s, 0) && strlen(text(s, 0)) < sz)
		str_ncpy(buf, text(s, 0), sz);
	else
		err = fail(st, "secret read");
	sqlite3_finalize(s);
	return err;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.version = sq_version,
	.mig_begin = sq_mig_begin,
	.mig_exec = sq_mig_exec,
	.mig_end = sq_mig_end,
	.extra = sq_extra,
	.conf_insert = sq_conf_insert,
	.conf_delete = sq_conf_delete,
	.conf_foreach = sq_conf_foreach,
	.conf_get = sq_conf_get,
	.conf_set_settings = sq_conf_set_settings,
	.user_insert = sq_user_insert,
	.user_delete = sq_user_delete,
	.user_foreach = sq_user_foreach,
	.listen = NULL,
	.node_beat = sq_node_beat,
	.node_delete = sq_node_delete,
	.node_foreach = sq_node_foreach,
	.lease_take = sq_lease_take,
	.lease_get = sq_lease_get,
	.lease_release = sq_lease_release,
	.roster_set = sq_roster_set,
	.roster_foreach = sq_roster_foreach,
	.roster_clear = sq_roster_clear,
	.secret = sq_secret,
};
