/*
 * The policy store: the source of truth for what conferences exist, their
 * settings and the users; in a cluster also which node owns which
 * conference (leases), which nodes are alive, and each node's share of a
 * cascaded conference's roster.
 *
 * One interface (the functions below, dispatched through a table of
 * operations, struct store_ops in store_int.h) with two backends, chosen
 * by the location given to store_open():
 *   - SQLite (a file path; the embedded default), one node only;
 *   - PostgreSQL (a "postgresql://" or "postgres://" URI, libpq), shared
 *     by the nodes of a cluster, which learn of each other's changes by
 *     LISTEN/NOTIFY (store_listen).
 * Both carry the same schema, built by the same numbered migrations
 * (store_schema_version() tells which the store is at).
 *
 * Signalling thread only (a connection is not shared). The PostgreSQL
 * calls block the thread for a round trip to the database; they are made
 * for policy changes, joins that need a lease and once-a-second
 * housekeeping, never per packet.
 */
#ifndef CAUCUS_STORE_H
#define CAUCUS_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct store;

struct store_conf {
	const char *id;
	const char *display_text;
	int64_t created_at;      /* unix seconds */
	const char *settings;    /* a JSON object ("{}": none) */
};

typedef int (store_conf_h)(const struct store_conf *sc, void *arg);

/* location: a file path (SQLite; its folders are made) or a
 * postgresql:// URI. Brings the schema up to date (the migrations not
 * yet applied, in order, each in a transaction). */
int  store_open(struct store **stp, const char *location);
/* "sqlite" or "postgresql" */
const char *store_backend(const struct store *st);
/* the last migration applied (CAUCUS_STORE_SCHEMA after store_open) */
int  store_schema_version(struct store *st);
#define CAUCUS_STORE_SCHEMA 3
/* EEXIST when the id is taken. */
int  store_conf_insert(struct store *st, const struct store_conf *sc);
/* ENOENT when there is no such conference. */
int  store_conf_delete(struct store *st, const char *id);
int  store_conf_foreach(struct store *st, store_conf_h *h, void *arg);
/* One conference: h is called once (0), or ENOENT */
int  store_conf_get(struct store *st, const char *id, store_conf_h *h,
		    void *arg);
/* Replaces the settings JSON of a conference; ENOENT when there is none */
int  store_conf_set_settings(struct store *st, const char *id,
			     const char *settings);
/* A user: SIP digest credentials and an API token, as digests only */
struct store_user {
	const char *name;         /* the digest username */
	const char *aor;          /* sip:user@domain, their identity */
	const char *realm;        /* the realm the HA1s were made in */
	const char *ha1_md5;      /* hex */
	const char *ha1_sha256;   /* hex */
	const char *token_sha256; /* hex SHA-256 of the API token */
	bool admin;               /* may do everything, as the admin token */
	int64_t created_at;
};

typedef int (store_user_h)(const struct store_user *u, void *arg);

/* EEXIST when the name or the AoR is taken */
int  store_user_insert(struct store *st, const struct store_user *u);
/* ENOENT when there is no such user */
int  store_user_delete(struct store *st, const char *name);
int  store_user_foreach(struct store *st, store_user_h *h, void *arg);
const char *store_errmsg(const struct store *st);

/*
 * Change notifications. Every change of a conference row (insert, settings,
 * delete), of the users table, of a node's roster share and of a lease is
 * announced to every connection that listens, the writer's own included:
 * on PostgreSQL by triggers (so that a change made with psql is seen too)
 * on the channel "caucus", delivered on the signalling thread through the
 * listening connection's socket; on SQLite (one node) never (the handler
 * is kept and not called). A listener that lost its connection
 * reconnects and is told STORE_CHG_RESYNC: anything may have changed.
 */
enum store_chg {
	STORE_CHG_CONF,           /* key: the conference id */
	STORE_CHG_USER,           /* key: the user name */
	STORE_CHG_ROSTER,         /* key: the conference id; node: whose */
	STORE_CHG_LEASE,          /* key: the conference id */
	STORE_CHG_RESYNC,         /* key, node: "" */
};
typedef void (store_chg_h)(enum store_chg what, const char *key,
			   const char *node, void *arg);
/* Starts listening (PostgreSQL: a second connection). 0 also on SQLite */
int  store_listen(struct store *st, store_chg_h *h, void *arg);

/*
 * Cluster membership. Each node has a row (its name, the SIP address
 * Kamailio sends its requests to, the base URL of its HTTP API, how many
 * participants it takes before joins are sent elsewhere, how many it has)
 * that it renews every second; a node whose row expired is dead. Times are
 * unix milliseconds of the writer's clock (the nodes' clocks are kept by
 * NTP). SQLite keeps the same tables for its one node.
 */
struct store_node {
	const char *node;         /* [A-Za-z0-9_-], at most 32 */
	const char *sip_addr;     /* host:port (UDP and TCP) */
	const char *api_url;      /* http://host:port */
	uint32_t capacity;        /* participants before spreading */
	uint32_t participants;    /* now */
	int64_t expires_at;       /* unix ms */
};
typedef int (store_node_h)(const struct store_node *n, void *arg);
/* Inserts or replaces the node's row */
int  store_node_beat(struct store *st, const struct store_node *n);
int  store_node_delete(struct store *st, const char *node);
/* Every node whose row has not expired at now_ms, by name */
int  store_node_foreach(struct store *st, int64_t now_ms, store_node_h *h,
			void *arg);

/*
 * Conference ownership: a lease row (conference, node, expiry). Taking
 * succeeds when there is no row, the row has expired at now_ms, or node
 * holds it already (then it is renewed): atomically, so that of two nodes
 * racing one wins. *ownerp (a buffer of STORE_NODE_MAX + 1) gets the holder
 * after the attempt: node itself when taken, else the other node.
 * Returns 0 (taken or renewed), EBUSY (another node holds a live lease;
 * *ownerp names it) or EIO.
 */
#define STORE_NODE_MAX 32
int  store_lease_take(struct store *st, const char *conf_id,
		      const char *node, int64_t now_ms, int64_t ttl_ms,
		      char *ownerp);
/* The live holder (0, *ownerp set) or ENOENT (none, or expired) */
int  store_lease_get(struct store *st, const char *conf_id, int64_t now_ms,
		     char *ownerp);
/* Gives it up if node holds it (ENOENT otherwise) */
int  store_lease_release(struct store *st, const char *conf_id,
			 const char *node);

/*
 * A cascaded conference's roster: each node's share (its own participants,
 * a JSON document the cluster module writes and reads) in a row of its
 * own, so that every node can merge everyone's. Setting it announces
 * STORE_CHG_ROSTER; doc NULL deletes the node's row.
 */
int  store_roster_set(struct store *st, const char *conf_id,
		      const char *node, const char *doc);
typedef int (store_roster_h)(const char *node, const char *doc, void *arg);
/* Every node's share of the conference, by node */
int  store_roster_foreach(struct store *st, const char *conf_id,
			  store_roster_h *h, void *arg);
/* Deletes every row of a node (its shares of all conferences) */
int  store_roster_clear(struct store *st, const char *node);

/*
 * The cluster's shared secret: made (32 random bytes, hex) by the first
 * node that asks and kept in the store, so that every node of a cluster
 * has the same one; cascade links are signed with it. buf: at least 65.
 */
int  store_secret(struct store *st, char *buf, size_t sz);

#endif
