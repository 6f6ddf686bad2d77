/*
 * Inside the store: the table of operations a backend fills in, and the
 * base object every backend shares. store.c owns the base, the choice of
 * backend, the migrations and the checks common to both; the backends
 * (store_sqlite.c, store_pg.c) only talk to their database.
 *
 * Contract for every operation: 0 or an errno value; on failure other
 * than the documented ones (EEXIST, ENOENT, EBUSY) st->errmsg says why
 * (store_fail). Arguments arrive checked by store.c: strings are not
 * NULL, node names are valid (store_node_valid), ownerp has
 * STORE_NODE_MAX + 1 bytes. Signalling thread only, like store.h.
 */
#ifndef CAUCUS_STORE_INT_H
#define CAUCUS_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include "store/store.h"

struct store_ops {
	const char *name;                 /* store_backend() */
	int  (*open)(struct store *st, const char *location);
	/* frees st->be; also after a failed or partial open */
	void (*close)(struct store *st);

	/*
	 * Migrations, driven by store.c (migrate): mig_begin opens a
	 * transaction, takes the lock that keeps two processes from
	 * migrating at once and reads the version under it; mig_exec runs
	 * a script of fixed statements (no values); mig_end sets the
	 * version and commits, or rolls back when commit is false.
	 * extra[v]: this backend's own statements of step v, run after
	 * the shared ones in the same transaction (NULL: none).
	 */
	int  (*version)(struct store *st, int *versionp);
	int  (*mig_begin)(struct store *st, int *versionp);
	int  (*mig_exec)(struct store *st, const char *sql);
	int  (*mig_end)(struct store *st, int version, bool commit);
	const char *const *extra;         /* CAUCUS_STORE_SCHEMA + 1 */

	int  (*conf_insert)(struct store *st, const struct store_conf *sc);
	int  (*conf_delete)(struct store *st, const char *id);
	int  (*conf_foreach)(struct store *st, store_conf_h *h, void *arg);
	int  (*conf_get)(struct store *st, const char *id, store_conf_h *h,
			 void *arg);
	int  (*conf_set_settings)(struct store *st, const char *id,
				  const char *settings);
	int  (*user_insert)(struct store *st, const struct store_user *u);
	int  (*user_delete)(struct store *st, const char *name);
	int  (*user_foreach)(struct store *st, store_user_h *h, void *arg);

	/* NULL: nothing to start (SQLite); st->chgh is set before */
	int  (*listen)(struct store *st);

	int  (*node_beat)(struct store *st, const struct store_node *n);
	int  (*node_delete)(struct store *st, const char *node);
	int  (*node_foreach)(struct store *st, int64_t now_ms,
			     store_node_h *h, void *arg);
	int  (*lease_take)(struct store *st, const char *conf_id,
			   const char *node, int64_t now_ms, int64_t ttl_ms,
			   char *ownerp);
	int  (*lease_get)(struct store *st, const char *conf_id,
			  int64_t now_ms, char *ownerp);
	int  (*lease_release)(struct store *st, const char *conf_id,
			      const char *node);
	/* doc NULL: delete the row. now_ms: updated_at (store.h passes
	 * no time here, so store.c reads the clock) */
	int  (*roster_set)(struct store *st, const char *conf_id,
			   const char *node, const char *doc, int64_t now_ms);
	int  (*roster_foreach)(struct store *st, const char *conf_id,
			       store_roster_h *h, void *arg);
	int  (*roster_clear)(struct store *st, const char *node);
	/* Keeps fresh (64 hex) as the secret unless there is one already,
	 * then copies the stored one to buf (sz >= 65, checked) */
	int  (*secret)(struct store *st, const char *fresh, char *buf,
		       size_t sz);
};

struct store {
	const struct store_ops *ops;
	void *be;                         /* the backend's own state */
	char errmsg[256];
	store_chg_h *chgh;                /* store_listen; NULL: none */
	void *arg;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Sets st->errmsg (a libre format), logs it as an error, returns err */
int  store_fail(struct store *st, int err, const char *fmt, ...);
/* Sets st->errmsg without logging: an expected outcome (EEXIST) */
void store_note(struct store *st, const char *fmt, ...);
/* Hands a change to the handler of store_listen, if any */
void store_chg_deliver(struct store *st, enum store_chg what,
		       const char *key, const char *node);
/* [A-Za-z0-9_-], 1 to STORE_NODE_MAX */
bool store_node_valid(const char *node);

#endif
