/*
 * The store's front: store_open() picks the backend by the location, brings
 * the schema up to date, and every function of store.h checks its
 * arguments once here and dispatches through the backend's ops
 * (store_int.h). Signalling thread only.
 *
 * The schema is one numbered list of migrations for both backends, in
 * SQL both accept (TEXT, INTEGER, BIGINT), so that a cluster's
 * PostgreSQL and a single node's SQLite file can never drift apart; what
 * only one dialect has (PostgreSQL's triggers and routing functions) is
 * the backend's extra[] for the same step. A step is never edited once
 * released: a change is a new step.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "store/store_int.h"
#include "util/log.h"

struct step {
	int version;
	const char *sql;
};

/* Versions 1 and 2 are what SQLite files made before the PostgreSQL
 * backend carry (user_version 1 or 2, made with CREATE TABLE IF NOT
 * EXISTS and INTEGER times, which SQLite treats as BIGINT): such a file
 * gets the steps after its version only. */
static const struct step steps[] = {
	{1, "CREATE TABLE conferences ("
	    " id TEXT PRIMARY KEY,"
	    " display_text TEXT NOT NULL DEFAULT '',"
	    " created_at BIGINT NOT NULL,"
	    " settings TEXT NOT NULL DEFAULT '{}')"},
	/* secrets only as digests: HA1 per algorithm (RFC 3261 s. 22.4,
	 * RFC 8760) for the realm they were made in, and the SHA-256 of
	 * the API token */
	{2, "CREATE TABLE users ("
	    " name TEXT PRIMARY KEY,"
	    " aor TEXT NOT NULL UNIQUE,"
	    " realm TEXT NOT NULL,"
	    " ha1_md5 TEXT NOT NULL,"
	    " ha1_sha256 TEXT NOT NULL,"
	    " token_sha256 TEXT NOT NULL UNIQUE,"
	    " admin INTEGER NOT NULL DEFAULT 0,"
	    " created_at BIGINT NOT NULL)"},
	/* the cluster: times in unix ms of the writer's clock */
	{3, "CREATE TABLE nodes ("
	    " node TEXT PRIMARY KEY,"
	    " sip_addr TEXT NOT NULL,"
	    " api_url TEXT NOT NULL,"
	    " capacity INTEGER NOT NULL,"
	    " participants INTEGER NOT NULL DEFAULT 0,"
	    " expires_at BIGINT NOT NULL);"
	    "CREATE TABLE leases ("
	    " conf_id TEXT PRIMARY KEY,"
	    " node TEXT NOT NULL,"
	    " expires_at BIGINT NOT NULL);"
	    "CREATE TABLE rosters ("
	    " conf_id TEXT NOT NULL,"
	    " node TEXT NOT NULL,"
	    " doc TEXT NOT NULL,"
	    " updated_at BIGINT NOT NULL,"
	    " PRIMARY KEY (conf_id, node));"
	    "CREATE TABLE meta ("
	    " key TEXT PRIMARY KEY,"
	    " value TEXT NOT NULL)"},
};

/* the list and the header must agree, or store_open would report a
 * version it does not have */
_Static_assert(ARRAY_SIZE(steps) == CAUCUS_STORE_SCHEMA,
	       "one migration step per schema version");

static void store_destructor(void *arg)
{
	struct store *st = arg;

	if (st->ops)
		st->ops->close(st);
}

static void vset(struct store *st, const char *fmt, va_list ap)
{
	char *p;

	re_vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	/* database messages quote names and end in newlines: keep the
	 * message one logfmt value */
	for (p = st->errmsg; *p; p++) {
		if (*p == '"')
			*p = '\'';
		else if ((unsigned char)*p < ' ')
			*p = ' ';
	}
	while (p > st->errmsg && p[-1] == ' ')
		*--p = '\0';
}

int store_fail(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(st, fmt, ap);
	va_end(ap);
	log_err("store", "msg=\"%s\" backend=%s", st->errmsg, st->ops->name);
	return err;
}

void store_note(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(st, fmt, ap);
	va_end(ap);
}

void store_chg_deliver(struct store *st, enum store_chg what,
		       const char *key, const char *node)
{
	if (st->chgh)
		st->chgh(what, key, node, st->arg);
}

bool store_node_valid(const char *node)
{
	size_t n = node ? strlen(node) : 0;

	if (n == 0 || n > STORE_NODE_MAX)
		return false;
	/* no spaces: the change payload "roster <conf> <node>" is split at
	 * its last space */
	return strspn(node, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int newer(struct store *st, int have)
{
	return store_fail(st, ENOTSUP, "the database is at schema version "
			  "%d, this caucusd knows versions up to %d: "
			  "upgrade caucusd (it will not guess)", have,
			  CAUCUS_STORE_SCHEMA);
}

/* One step in its own transaction. The version is read again under the
 * backend's lock: another node may have applied the step since we
 * looked, and then there is nothing to do. */
static int apply(struct store *st, const struct step *s)
{
	const struct store_ops *ops = st->ops;
	int have = 0, err;

	err = ops->mig_begin(st, &have);
	if (err)
		return err;
	if (have > CAUCUS_STORE_SCHEMA)
		err = newer(st, have);
	if (err || have >= s->version) {
		(void)ops->mig_end(st, 0, false);
		return err;
	}
	err = ops->mig_exec(st, s->sql);
	if (!err && ops->extra[s->version])
		err = ops->mig_exec(st, ops->extra[s->version]);
	err = err ? err : ops->mig_end(st, s->version, true);
	if (err) {
		(void)ops->mig_end(st, 0, false);
		return err;
	}
	log_info("store", "msg=\"schema migrated\" version=%d backend=%s",
		 s->version, ops->name);
	return 0;
}

static int migrate(struct store *st)
{
	int have = 0, err;

	/* the usual case, an up-to-date store, without taking the lock */
	err = st->ops->version(st, &have);
	if (err)
		return err;
	if (have > CAUCUS_STORE_SCHEMA)
		return newer(st, have);
	for (size_t i = 0; i < ARRAY_SIZE(steps) && !err; i++) {
		if (steps[i].version > have)
			err = apply(st, &steps[i]);
	}
	return err;
}

static bool is_pg(const char *location)
{
	return !strncmp(location, "postgresql://", 13) ||
	       !strncmp(location, "postgres://", 11);
}

int store_open(struct store **stp, const char *location)
{
	struct store *st;
	int err;

	if (!stp || !location)
		return EINVAL;
	st = mem_zalloc(sizeof(*st), store_destructor);
	if (!st)
		return ENOMEM;
	st->ops = is_pg(location) ? &store_pg_ops : &store_sqlite_ops;
	err = st->ops->open(st, location);
	err = err ? err : migrate(st);
	if (err) {
		mem_deref(st);
		return err;
	}
	*stp = st;
	return 0;
}

const char *store_backend(const struct store *st)
{
	return st->ops->name;
}

int store_schema_version(struct store *st)
{
	int v = 0;

	return st->ops->version(st, &v) ? -1 : v;
}

const char *store_errmsg(const struct store *st)
{
	return st->errmsg;
}

int store_conf_insert(struct store *st, const struct store_conf *sc)
{
	if (!st || !sc || !sc->id)
		return EINVAL;
	return st->ops->conf_insert(st, sc);
}

int store_conf_delete(struct store *st, const char *id)
{
	if (!st || !id)
		return EINVAL;
	return st->ops->conf_delete(st, id);
}

int store_conf_foreach(struct store *st, store_conf_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->ops->conf_foreach(st, h, arg);
}

int store_conf_get(struct store *st, const char *id, store_conf_h *h,
		   void *arg)
{
	if (!st || !id || !h)
		return EINVAL;
	return st->ops->conf_get(st, id, h, arg);
}

int store_conf_set_settings(struct store *st, const char *id,
			    const char *settings)
{
	if (!st || !id || !settings)
		return EINVAL;
	return st->ops->conf_set_settings(st, id, settings);
}

int store_user_insert(struct store *st, const struct store_user *u)
{
	if (!st || !u || !u->name || !u->aor || !u->realm || !u->ha1_md5 ||
	    !u->ha1_sha256 || !u->token_sha256)
		return EINVAL;
	return st->ops->user_insert(st, u);
}

int store_user_delete(struct store *st, const char *name)
{
	if (!st || !name)
		return EINVAL;
	return st->ops->user_delete(st, name);
}

int store_user_foreach(struct store *st, store_user_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->ops->user_foreach(st, h, arg);
}

int store_listen(struct store *st, store_chg_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	st->chgh = h;
	st->arg = arg;
	return st->ops->listen ? st->ops->listen(st) : 0;
}

int store_node_beat(struct store *st, const struct store_node *n)
{
	if (!st || !n || !store_node_valid(n->node) || !n->sip_addr ||
	    !n->api_url)
		return EINVAL;
	return st->ops->node_beat(st, n);
}

int store_node_delete(struct store *st, const char *node)
{
	if (!st || !store_node_valid(node))
		return EINVAL;
	return st->ops->node_delete(st, node);
}

int store_node_foreach(struct store *st, int64_t now_ms, store_node_h *h,
		       void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->ops->node_foreach(st, now_ms, h, arg);
}

int store_lease_take(struct store *st, const char *conf_id,
		     const char *node, int64_t now_ms, int64_t ttl_ms,
		     char *ownerp)
{
	if (!st || !conf_id || !store_node_valid(node) || ttl_ms <= 0 ||
	    !ownerp)
		return EINVAL;
	return st->ops->lease_take(st, conf_id, node, now_ms, ttl_ms, ownerp);
}

int store_lease_get(struct store *st, const char *conf_id, int64_t now_ms,
		    char *ownerp)
{
	if (!st || !conf_id || !ownerp)
		return EINVAL;
	return st->ops->lease_get(st, conf_id, now_ms, ownerp);
}

int store_lease_release(struct store *st, const char *conf_id,
			const char *node)
{
	if (!st || !conf_id || !store_node_valid(node))
		return EINVAL;
	return st->ops->lease_release(st, conf_id, node);
}

/* updated_at of a roster row: store_roster_set has no time argument, so
 * it is this node's clock, like the times the callers pass elsewhere */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_roster_set(struct store *st, const char *conf_id,
		     const char *node, const char *doc)
{
	if (!st || !conf_id || !store_node_valid(node))
		return EINVAL;
	return st->ops->roster_set(st, conf_id, node, doc, now_ms());
}

int store_roster_foreach(struct store *st, const char *conf_id,
			 store_roster_h *h, void *arg)
{
	if (!st || !conf_id || !h)
		return EINVAL;
	return st->ops->roster_foreach(st, conf_id, h, arg);
}

int store_roster_clear(struct store *st, const char *node)
{
	if (!st || !store_node_valid(node))
		return EINVAL;
	return st->ops->roster_clear(st, node);
}

int store_secret(struct store *st, char *buf, size_t sz)
{
	uint8_t raw[32];
	char fresh[2 * sizeof(raw) + 1];

	if (!st || !buf || sz < sizeof(fresh))
		return EINVAL;
	/* made by every node that asks; the store keeps the first one
	 * written and the others read it back */
	rand_bytes(raw, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(fresh + 2 * i, 3, "%02x", raw[i]);
	return st->ops->secret(st, fresh, buf, sz);
}
