/*
 * The policy store: the source of truth for what conferences exist and their
 * settings. SQLite in WAL mode now; the interface is small so that the
 * PostgreSQL store of the scale-out work can sit behind it.
 * Signalling thread only (the connection is not shared).
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

int  store_open(struct store **stp, const char *path);
/* EEXIST when the id is taken. */
int  store_conf_insert(struct store *st, const struct store_conf *sc);
/* ENOENT when there is no such conference. */
int  store_conf_delete(struct store *st, const char *id);
int  store_conf_foreach(struct store *st, store_conf_h *h, void *arg);
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

#endif
