/*
 * Inside the PostgreSQL backend: the state store_pg.c (queries) and
 * store_pg_listen.c (LISTEN/NOTIFY on a connection of its own) share.
 * Signalling thread only.
 */
#ifndef CAUCUS_STORE_PG_H
#define CAUCUS_STORE_PG_H

#include <libpq-fe.h>
#include <re.h>
#include "store/store.h"

struct store;

struct pg {
	struct store *st;        /* ours; for errmsg and the handler */
	char *conninfo;          /* the URI, for the listener's connects */
	PGconn *conn;            /* the queries */
	bool in_tx;              /* in a migration: a lost connection
				  * lost the transaction, no retry */
	/* store_pg_listen.c */
	PGconn *lconn;           /* LISTEN caucus; NULL: not connected */
	int lfd;                 /* watched with fd_listen, or -1 */
	struct tmr tmr;          /* the next reconnect */
	uint32_t backoff_ms;
};

/* store_pg_schema.c: this backend's extra[] of store_ops */
extern const char *const store_pg_extra[CAUCUS_STORE_SCHEMA + 1];

/* A blocking connect; app names the connection in pg_stat_activity
 * (unless the URI names it). Check PQstatus. NULL: out of memory. */
PGconn *pg_connect(const char *conninfo, const char *app);
int  pg_listen_start(struct pg *pg);
void pg_listen_stop(struct pg *pg);

#endif
