/*
 * The policy store: the source of truth for what conferences exist and their
 * settings. SQLite in WAL mode now; the interface is small so that the
 * PostgreSQL store of the scale-out work can sit behind it.
 * Signalling thread only (the connection is not shared).
 */
#ifndef CAUCUS_STORE_H
#define CAUCUS_STORE_H

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
const char *store_errmsg(const struct store *st);

#endif
