/*
 * SQLite implementation of store.h. Writes are single statements, so each is
 * atomic on its own; WAL keeps readers (a future second connection for the
 * API) from blocking the writer. Signalling thread only.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#include "store/store.h"
#include "util/log.h"

struct store {
	sqlite3 *db;
	char errmsg[256];
};

static const char *schema =
	"CREATE TABLE IF NOT EXISTS conferences ("
	" id TEXT PRIMARY KEY,"
	" display_text TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" settings TEXT NOT NULL DEFAULT '{}');"
	/* secrets only as digests: HA1 per algorithm (RFC 3261 s. 22.4,
	 * RFC 8760) for the realm they were made in, and the SHA-256 of the
	 * API token */
	"CREATE TABLE IF NOT EXISTS users ("
	" name TEXT PRIMARY KEY,"
	" aor TEXT NOT NULL UNIQUE,"
	" realm TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL,"
	" ha1_sha256 TEXT NOT NULL,"
	" token_sha256 TEXT NOT NULL UNIQUE,"
	" admin INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"PRAGMA user_version = 2;";

static void store_destructor(void *arg)
{
	struct store *st = arg;

	if (st->db)
		sqlite3_close(st->db);
}

static int set_err(struct store *st, const char *what)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
		 sqlite3_errmsg(st->db));
	log_err("store", "msg=\"%s\"", st->errmsg);
	return EIO;
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

int store_open(struct store **stp, const char *path)
{
	struct store *st;
	int err;

	st = mem_zalloc(sizeof(*st), store_destructor);
	if (!st)
		return ENOMEM;
	err = make_parents(path);
	if (err) {
		log_err("store", "msg=\"cannot create folder\" path=%s err=%s",
			path, strerror(err));
		goto out;
	}
	if (sqlite3_open(path, &st->db) != SQLITE_OK) {
		err = set_err(st, "open");
		goto out;
	}
	sqlite3_busy_timeout(st->db, 2000);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
			 "PRAGMA synchronous=NORMAL;", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		err = set_err(st, "schema");
		goto out;
	}
out:
	if (err)
		mem_deref(st);
	else
		*stp = st;
	return err;
}

int store_conf_insert(struct store *st, const struct store_conf *sc)
{
	sqlite3_stmt *s = NULL;
	int rc, err = 0;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO conferences(id,"
			       "display_text,created_at) VALUES(?,?,?)", -1,
			       &s, NULL) != SQLITE_OK)
		return set_err(st, "prepare insert");
	sqlite3_bind_text(s, 1, sc->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sc->display_text ? sc->display_text : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, sc->created_at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT)
		err = EEXIST;
	else if (rc != SQLITE_DONE)
		err = set_err(st, "insert");
	sqlite3_finalize(s);
	return err;
}

int store_conf_delete(struct store *st, const char *id)
{
	sqlite3_stmt *s = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM conferences WHERE id=?",
			       -1, &s, NULL) != SQLITE_OK)
		return set_err(st, "prepare delete");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		err = set_err(st, "delete");
	else if (sqlite3_changes(st->db) == 0)
		err = ENOENT;
	sqlite3_finalize(s);
	return err;
}

int store_conf_set_settings(struct store *st, const char *id,
			    const char *settings)
{
	sqlite3_stmt *s = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(st->db, "UPDATE conferences SET settings=? "
			       "WHERE id=?", -1, &s, NULL) != SQLITE_OK)
		return set_err(st, "prepare update");
	sqlite3_bind_text(s, 1, settings, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		err = set_err(st, "update");
	else if (sqlite3_changes(st->db) == 0)
		err = ENOENT;
	sqlite3_finalize(s);
	return err;
}

int store_conf_foreach(struct store *st, store_conf_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc, err = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT id, display_text, created_at, "
			       "settings FROM conferences ORDER BY created_at, id", -1,
			       &s, NULL) != SQLITE_OK)
		return set_err(st, "prepare select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_conf sc = {
			.id = (const char *)sqlite3_column_text(s, 0),
			.display_text =
				(const char *)sqlite3_column_text(s, 1),
			.created_at = sqlite3_column_int64(s, 2),
			.settings = (const char *)sqlite3_column_text(s, 3),
		};
		err = h(&sc, arg);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = set_err(st, "select");
	sqlite3_finalize(s);
	return err;
}

int store_user_insert(struct store *st, const struct store_user *u)
{
	sqlite3_stmt *s = NULL;
	int rc, err = 0;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO users(name,aor,realm,"
			       "ha1_md5,ha1_sha256,token_sha256,admin,"
			       "created_at) VALUES(?,?,?,?,?,?,?,?)", -1, &s,
			       NULL) != SQLITE_OK)
		return set_err(st, "prepare user insert");
	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, u->aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, u->realm, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, u->ha1_md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, u->ha1_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, u->token_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, u->admin);
	sqlite3_bind_int64(s, 8, u->created_at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT)
		err = EEXIST;              /* the name or the AoR is taken */
	else if (rc != SQLITE_DONE)
		err = set_err(st, "user insert");
	sqlite3_finalize(s);
	return err;
}

int store_user_delete(struct store *st, const char *name)
{
	sqlite3_stmt *s = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM users WHERE name=?",
			       -1, &s, NULL) != SQLITE_OK)
		return set_err(st, "prepare user delete");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		err = set_err(st, "user delete");
	else if (sqlite3_changes(st->db) == 0)
		err = ENOENT;
	sqlite3_finalize(s);
	return err;
}

int store_user_foreach(struct store *st, store_user_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc, err = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT name, aor, realm, ha1_md5, "
			       "ha1_sha256, token_sha256, admin, created_at "
			       "FROM users ORDER BY name", -1, &s,
			       NULL) != SQLITE_OK)
		return set_err(st, "prepare user select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_user u = {
			.name = (const char *)sqlite3_column_text(s, 0),
			.aor = (const char *)sqlite3_column_text(s, 1),
			.realm = (const char *)sqlite3_column_text(s, 2),
			.ha1_md5 = (const char *)sqlite3_column_text(s, 3),
			.ha1_sha256 = (const char *)sqlite3_column_text(s, 4),
			.token_sha256 =
				(const char *)sqlite3_column_text(s, 5),
			.admin = sqlite3_column_int(s, 6) != 0,
			.created_at = sqlite3_column_int64(s, 7),
		};
		err = h(&u, arg);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = set_err(st, "user select");
	sqlite3_finalize(s);
	return err;
}

const char *store_errmsg(const struct store *st)
{
	return st->errmsg;
}
