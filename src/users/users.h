/*
 * Users: the people who authenticate, by SIP digest (calls, subscriptions,
 * REFER, MESSAGE) and by API token. Kept in the store, as digests only
 * (HA1 per algorithm and the SHA-256 of the token), and mirrored here for
 * lookups. Created and deleted through the API; a token is shown once, at
 * creation. Signalling thread only.
 */
#ifndef CAUCUS_USERS_H
#define CAUCUS_USERS_H

#include <stdbool.h>
#include <stdint.h>
#include "util/hashhex.h"

struct users;
struct store;

/* Read-only to callers */
struct user {
	char name[65];
	char aor[160];
	char ha1_md5[HASHHEX_MAX];
	char ha1_sha256[HASHHEX_MAX];
	char token_sha256[HASHHEX_MAX];
	bool admin;
	bool realm_ok;     /* the HA1s were made in the configured realm */
	int64_t created_at;
};

struct user_new {
	const char *name;        /* [A-Za-z0-9._-], up to 64 */
	const char *password;    /* 8 to 128 characters */
	const char *aor;         /* NULL: sip:name@domain */
	bool admin;
};

typedef bool (users_apply_h)(const struct user *u, void *arg);

int  users_alloc(struct users **usp, struct store *st, const char *realm,
		 const char *domain);
const char *users_realm(const struct users *us);
/* EINVAL with why in detail, EEXIST when the name or AoR is taken, EIO
 * when the store failed. token gets the new API token (64 hex). */
int  users_add(struct users *us, const struct user_new *un, char *detail,
	       size_t dsz, char token[HASHHEX_MAX], const struct user **up);
/* ENOENT when there is no such user */
int  users_delete(struct users *us, const char *name);
const struct user *users_find_name(const struct users *us, const char *name);
/* AoRs compare case-insensitively */
const struct user *users_find_aor(const struct users *us, const char *aor);
/* The user whose API token this is, or NULL */
const struct user *users_find_token(const struct users *us,
				    const char *tok, size_t len);
/* Reads the store again (another node of a cluster changed the users),
 * changing the live list in place. 0, ENOMEM, EIO */
int  users_reload(struct users *us);
unsigned users_count(const struct users *us);
void users_apply(const struct users *us, users_apply_h *h, void *arg);

#endif
