/*
 * The users (see users.h): a list in the order of their names, read from
 * the store at start and changed store-first. A few hundred users are the
 * expected scale, so lookups walk the list. Signalling thread.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <re.h>
#include "store/store.h"
#include "users/users.h"
#include "util/log.h"

struct users {
	struct store *st;
	char realm[128];
	char domain[128];
	struct list list;          /* struct uent */
};

struct uent {
	struct le le;
	struct user u;
};

static void users_destructor(void *arg)
{
	struct users *us = arg;

	list_flush(&us->list);
	mem_deref(us->st);
}

static void uent_destructor(void *arg)
{
	struct uent *e = arg;

	memset(&e->u, 0, sizeof(e->u));
}

static int copy(char *dst, size_t sz, const char *src)
{
	if (!src || strlen(src) >= sz)
		return EINVAL;
	strcpy(dst, src);
	return 0;
}

static int load_h(const struct store_user *su, void *arg)
{
	struct users *us = arg;
	struct uent *e = mem_zalloc(sizeof(*e), uent_destructor);
	int err;

	if (!e)
		return ENOMEM;
	err = copy(e->u.name, sizeof(e->u.name), su->name);
	err |= copy(e->u.aor, sizeof(e->u.aor), su->aor);
	err |= copy(e->u.ha1_md5, sizeof(e->u.ha1_md5), su->ha1_md5);
	err |= copy(e->u.ha1_sha256, sizeof(e->u.ha1_sha256),
		    su->ha1_sha256);
	err |= copy(e->u.token_sha256, sizeof(e->u.token_sha256),
		    su->token_sha256);
	if (err) {
		log_warn("users", "msg=\"stored user skipped (bad row)\" "
			 "name=%s", su->name ? su->name : "?");
		mem_deref(e);
		return 0;
	}
	e->u.admin = su->admin;
	e->u.created_at = su->created_at;
	e->u.realm_ok = su->realm && !strcmp(su->realm, us->realm);
	if (!e->u.realm_ok)
		log_warn("users", "msg=\"user's password was set in another "
			 "realm; SIP authentication will fail until it is "
			 "set again\" name=%s realm=%s", e->u.name, su->realm);
	list_append(&us->list, &e->le, e);
	return 0;
}

int users_alloc(struct users **usp, struct store *st, const char *realm,
		const char *domain)
{
	struct users *us = mem_zalloc(sizeof(*us), users_destructor);
	int err;

	if (!us)
		return ENOMEM;
	us->st = mem_ref(st);
	err = copy(us->realm, sizeof(us->realm), realm);
	err |= copy(us->domain, sizeof(us->domain), domain);
	err = err ? err : store_user_foreach(st, load_h, us);
	if (err)
		mem_deref(us);
	else
		*usp = us;
	return err;
}

const char *users_realm(const struct users *us)
{
	return us->realm;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static bool aor_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (strncasecmp(s, "sip:", 4) || !at || at == s + 4 || !at[1] ||
	    strlen(s) >= sizeof(((struct user *)0)->aor))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || strchr("<>\";,", *s))
			return false;
	return true;
}

static int bad(char *detail, size_t dsz, const char *why)
{
	re_snprintf(detail, dsz, "%s", why);
	return EINVAL;
}

static int make_user(struct users *us, const struct user_new *un,
		     struct user *u, char token[HASHHEX_MAX])
{
	uint8_t rnd[32];
	int err;

	rand_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		re_snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	memset(rnd, 0, sizeof(rnd));
	err = hashhex(HASHHEX_SHA256, u->token_sha256, token, 64);
	/* RFC 3261 s. 22.4 / RFC 8760 s. 2.5: HA1 = H(user:realm:pass) */
	err |= hashhex_printf(HASHHEX_MD5, u->ha1_md5, "%s:%s:%s", u->name,
			      us->realm, un->password);
	err |= hashhex_printf(HASHHEX_SHA256, u->ha1_sha256, "%s:%s:%s",
			      u->name, us->realm, un->password);
	return err ? EPROTO : 0;
}

int users_add(struct users *us, const struct user_new *un, char *detail,
	      size_t dsz, char token[HASHHEX_MAX], const struct user **up)
{
	struct uent *e;
	struct store_user su;
	size_t plen = un->password ? strlen(un->password) : 0;
	int err;

	if (!un->name || !name_ok(un->name))
		return bad(detail, dsz, "name: 1 to 64 of A-Z a-z 0-9 . _ -");
	if (plen < 8 || plen > 128)
		return bad(detail, dsz, "password: 8 to 128 characters");
	if (un->aor && !aor_ok(un->aor))
		return bad(detail, dsz, "aor: a SIP URI sip:user@domain");
	e = mem_zalloc(sizeof(*e), uent_destructor);
	if (!e)
		return ENOMEM;
	strcpy(e->u.name, un->name);
	if (un->aor)
		strcpy(e->u.aor, un->aor);
	else
		re_snprintf(e->u.aor, sizeof(e->u.aor), "sip:%s@%s",
			    un->name, us->domain);
	e->u.admin = un->admin;
	e->u.realm_ok = true;
	e->u.created_at = (int64_t)time(NULL);
	if (users_find_aor(us, e->u.aor) || users_find_name(us, un->name)) {
		err = EEXIST;
		goto out;
	}
	err = make_user(us, un, &e->u, token);
	if (err)
		goto out;
	su = (struct store_user){
		.name = e->u.name, .aor = e->u.aor, .realm = us->realm,
		.ha1_md5 = e->u.ha1_md5, .ha1_sha256 = e->u.ha1_sha256,
		.token_sha256 = e->u.token_sha256, .admin = e->u.admin,
		.created_at = e->u.created_at,
	};
	err = store_user_insert(us->st, &su);
	if (err)
		goto out;
	list_append(&us->list, &e->le, e);
	log_info("users", "msg=\"user created\" name=%s aor=%s admin=%d",
		 e->u.name, e->u.aor, e->u.admin);
	*up = &e->u;
	return 0;
out:
	mem_deref(e);
	return err;
}

static struct uent *find_ent(const struct users *us, const char *name)
{
	for (struct le *le = us->list.head; le; le = le->next) {
		struct uent *e = le->data;

		if (!strcmp(e->u.name, name))
			return e;
	}
	return NULL;
}

int users_delete(struct users *us, const char *name)
{
	struct uent *e = find_ent(us, name);
	int err;

	if (!e)
		return ENOENT;
	err = store_user_delete(us->st, name);
	if (err && err != ENOENT)
		return err;
	log_info("users", "msg=\"user deleted\" name=%s", name);
	list_unlink(&e->le);
	mem_deref(e);
	return 0;
}

const struct user *users_find_name(const struct users *us, const char *name)
{
	struct uent *e = find_ent(us, name);

	return e ? &e->u : NULL;
}

const struct user *users_find_aor(const struct users *us, const char *aor)
{
	for (struct le *le = us->list.head; le; le = le->next) {
		struct uent *e = le->data;

		if (!strcasecmp(e->u.aor, aor))
			return &e->u;
	}
	return NULL;
}

const struct user *users_find_token(const struct users *us,
				    const char *tok, size_t len)
{
	char h[HASHHEX_MAX];
	const struct user *found = NULL;

	if (!len || len > 256 || hashhex(HASHHEX_SHA256, h, tok, len))
		return NULL;
	/* every entry is compared, in constant time */
	for (struct le *le = us->list.head; le; le = le->next) {
		struct uent *e = le->data;

		if (hashhex_equal(e->u.token_sha256, h))
			found = &e->u;
	}
	return found;
}

/* users_reload: the stored rows, to be merged into the live list */
struct reload {
	struct users *us;
	struct list fresh;
	int err;
};

static int reload_h(const struct store_user *su, void *arg)
{
	struct reload *r = arg;
	struct users tmp = {.list = LIST_INIT};
	struct le *le;
	int err;

	re_snprintf(tmp.realm, sizeof(tmp.realm), "%s", r->us->realm);
	err = load_h(su, &tmp);
	if (err)
		return err;
	while ((le = list_head(&tmp.list))) {
		list_unlink(le);
		list_append(&r->fresh, le, le->data);
	}
	return 0;
}

static bool name_sort(struct le *le1, struct le *le2, void *arg)
{
	const struct uent *a = le1->data, *b = le2->data;

	(void)arg;
	return strcmp(a->u.name, b->u.name) <= 0;
}

static bool name_cmp(struct le *le, void *arg)
{
	const struct uent *e = le->data;

	return !strcmp(e->u.name, arg);
}

int users_reload(struct users *us)
{
	struct reload r = {.us = us, .fresh = LIST_INIT};
	struct le *le;
	unsigned added = 0, changed = 0, removed = 0;
	int err;

	err = store_user_foreach(us->st, reload_h, &r);
	if (err) {
		list_flush(&r.fresh);
		return err;
	}
	/* in place, so that a user found by a request on its way stays
	 * valid: changed rows are copied over, the gone ones unlinked */
	le = us->list.head;
	while (le) {
		struct uent *e = le->data;

		le = le->next;
		if (!list_apply(&r.fresh, true, name_cmp, e->u.name)) {
			list_unlink(&e->le);
			mem_deref(e);
			removed++;
		}
	}
	while ((le = list_head(&r.fresh))) {
		struct uent *ne = le->data;
		struct le *ole = list_apply(&us->list, true, name_cmp,
					    ne->u.name);

		list_unlink(&ne->le);
		if (ole) {
			struct uent *oe = ole->data;

			if (memcmp(&oe->u, &ne->u, sizeof(oe->u))) {
				oe->u = ne->u;
				changed++;
			}
			mem_deref(ne);
			continue;
		}
		list_append(&us->list, &ne->le, ne);
		added++;
	}
	list_sort(&us->list, name_sort, NULL);
	if (added || changed || removed)
		log_info("users", "msg=\"reloaded from the store\" added=%u "
			 "changed=%u removed=%u", added, changed, removed);
	return 0;
}

unsigned users_count(const struct users *us)
{
	return list_count(&us->list);
}

void users_apply(const struct users *us, users_apply_h *h, void *arg)
{
	for (struct le *le = us->list.head; le; le = le->next) {
		struct uent *e = le->data;

		if (h(&e->u, arg))
			return;
	}
}
