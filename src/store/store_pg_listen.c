/*
 * The PostgreSQL backend's change listener (store_listen): a connection of
 * its own that runs LISTEN caucus, its socket watched on libre's main loop
 * so that notifications arrive on the signalling thread like any other
 * event. The triggers that send them, and their payloads, are in
 * store_pg_schema.c (migration 3).
 *
 * A listener that lost its connection cannot know what it missed: it
 * reconnects on a timer (250 ms, doubling to 5 s) and, once it listens
 * again, tells the handler STORE_CHG_RESYNC. The connect blocks the
 * thread (connect_timeout 5 s, pg_connect), as the queries of the main
 * connection do while the database is away; the backoff keeps that rare.
 * pg_connect, the connections' common settings, is here too.
 */
#include <errno.h>
#include <string.h>
#include <libpq-fe.h>
#include <re.h>
#include "store/store_int.h"
#include "store/store_pg.h"
#include "util/log.h"

enum {
	BACKOFF_MIN_MS = 250,
	BACKOFF_MAX_MS = 5000,
	PAYLOAD_MAX = 8000,        /* pg_notify's limit */
};

/* CREATE TABLE IF NOT EXISTS and the like say NOTICE: not our errors,
 * and libpq would print them on stderr */
static void notice_h(void *arg, const char *message)
{
	char shown[121];

	(void)arg;
	str_ncpy(shown, message, sizeof(shown));
	log_dbg("store", "msg=\"postgresql notice\" notice=\"%s\"", shown);
}

PGconn *pg_connect(const char *conninfo, const char *app)
{
	/* the keywords before dbname are defaults: the URI, expanded in
	 * dbname's place, overrides them. The calls block the signalling
	 * thread, so a server that stops answering (a partition, not a
	 * refusal) must cost seconds, not TCP's quarter of an hour: 5 s to
	 * connect, unacknowledged data given up after 5 s, a silent peer
	 * found by keepalives within 9 s, a statement cut at 5 s */
	static const char *const keys[] = {
		"fallback_application_name", "connect_timeout",
		"tcp_user_timeout", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "options", "dbname", NULL,
	};
	const char *const vals[] = {app, "5", "5000", "5", "2", "2",
				    "-c statement_timeout=5000", conninfo,
				    NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);

	if (conn)
		PQsetNoticeProcessor(conn, notice_h, NULL);
	return conn;
}

static const struct {
	const char *word;
	enum store_chg what;
	bool node;                 /* "<key> <node>" */
} kinds[] = {
	{"conf",   STORE_CHG_CONF,   false},
	{"user",   STORE_CHG_USER,   false},
	{"roster", STORE_CHG_ROSTER, true},
	{"lease",  STORE_CHG_LEASE,  false},
};

static void readable_h(int flags, void *arg);
static void reconnect_h(void *arg);

/* Splits a payload (a copy: it is cut in place) and delivers it; false
 * when it is not one of ours */
static bool parse_deliver(struct store *st, char *p)
{
	char *key, *node = NULL;

	if (!strcmp(p, "resync")) {
		store_chg_deliver(st, STORE_CHG_RESYNC, "", "");
		return true;
	}
	key = strchr(p, ' ');
	if (!key || !key[1])
		return false;
	*key++ = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(p, kinds[i].word))
			continue;
		if (kinds[i].node) {
			node = strrchr(key, ' ');
			if (!node || node == key)
				return false;
			*node++ = '\0';
			if (!store_node_valid(node))
				return false;
		}
		store_chg_deliver(st, kinds[i].what, key, node ? node : "");
		return true;
	}
	return false;
}

static void deliver(struct store *st, const PGnotify *n)
{
	char p[PAYLOAD_MAX], shown[81];

	if (strcmp(n->relname, "caucus"))
		return;
	str_ncpy(p, n->extra, sizeof(p));
	if (parse_deliver(st, p))
		return;
	/* libre's %.Ns pads rather than cuts */
	str_ncpy(shown, n->extra, sizeof(shown));
	log_warn("store", "msg=\"change notice not understood, ignored\" "
		 "payload=\"%s\"", shown);
}

/* Connects, LISTENs and watches the socket; errmsg says why not */
static int listen_connect(struct pg *pg)
{
	PGconn *conn = pg_connect(pg->conninfo, "caucus-listen");
	PGresult *res;
	int err;

	if (!conn)
		return ENOMEM;
	if (PQstatus(conn) != CONNECTION_OK) {
		store_note(pg->st, "listen: connect: %s",
			   PQerrorMessage(conn));
		PQfinish(conn);
		return EIO;
	}
	res = PQexec(conn, "LISTEN caucus");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_note(pg->st, "listen: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return EIO;
	}
	PQclear(res);
	err = fd_listen(PQsocket(conn), FD_READ, readable_h, pg);
	if (err) {
		store_note(pg->st, "listen: fd_listen: %m", err);
		PQfinish(conn);
		return err;
	}
	pg->lconn = conn;
	pg->lfd = PQsocket(conn);
	return 0;
}

/* Stops watching before the socket closes: the loop must not poll a
 * descriptor number the next open() may reuse */
void pg_listen_stop(struct pg *pg)
{
	tmr_cancel(&pg->tmr);
	if (pg->lfd >= 0)
		fd_close(pg->lfd);
	pg->lfd = -1;
	if (pg->lconn)
		PQfinish(pg->lconn);
	pg->lconn = NULL;
}

static void broken(struct pg *pg)
{
	store_note(pg->st, "listen: connection lost: %s",
		   PQerrorMessage(pg->lconn));
	log_warn("store", "msg=\"%s\" retry_ms=%u", pg->st->errmsg,
		 (unsigned)BACKOFF_MIN_MS);
	pg_listen_stop(pg);
	pg->backoff_ms = BACKOFF_MIN_MS;
	tmr_start(&pg->tmr, pg->backoff_ms, reconnect_h, pg);
}

static void reconnect_h(void *arg)
{
	struct pg *pg = arg;

	if (listen_connect(pg)) {
		pg->backoff_ms = MIN(pg->backoff_ms * 2, BACKOFF_MAX_MS);
		log_warn("store", "msg=\"%s\" retry_ms=%u", pg->st->errmsg,
			 pg->backoff_ms);
		tmr_start(&pg->tmr, pg->backoff_ms, reconnect_h, pg);
		return;
	}
	log_info("store", "msg=\"listening for changes again\"");
	store_chg_deliver(pg->st, STORE_CHG_RESYNC, "", "");
}

static void readable_h(int flags, void *arg)
{
	struct pg *pg = arg;
	struct store *st = pg->st;
	PGnotify *n;

	(void)flags;
	if (!PQconsumeInput(pg->lconn)) {
		broken(pg);
		return;
	}
	/* the handler may drop the last reference to the store: keep it
	 * (and pg) until the loop is done */
	mem_ref(st);
	while (pg->lconn && (n = PQnotifies(pg->lconn))) {
		deliver(st, n);
		PQfreemem(n);
	}
	if (pg->lconn && PQstatus(pg->lconn) == CONNECTION_BAD)
		broken(pg);
	mem_deref(st);
}

int pg_listen_start(struct pg *pg)
{
	int err;

	if (pg->lconn || tmr_isrunning(&pg->tmr))
		return 0;                 /* listening, or about to again */
	err = listen_connect(pg);
	if (err)
		log_err("store", "msg=\"%s\"", pg->st->errmsg);
	return err;
}
