/*
 * Users over HTTP: the server's administrators create them (a SIP digest
 * password and an API token, which is shown in the reply once and then
 * only kept as a digest), list and delete them; anyone asks who their
 * token names (/v1/me). And self service: a user sets their own role
 * (among those the policy lets users take) and anonymity (if the policy
 * allows it) in a conference before joining, which the policy records as
 * their entry (spec s. 5.7, conditional joins). Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "users/users.h"

static int user_json(struct odict **odp, const struct user *u)
{
	struct odict *od = NULL;
	int err = odict_alloc(&od, 8);

	err = err ? err : odict_entry_add(od, "name", ODICT_STRING, u->name);
	err |= odict_entry_add(od, "aor", ODICT_STRING, u->aor);
	err |= odict_entry_add(od, "admin", ODICT_BOOL, u->admin);
	err |= odict_entry_add(od, "created_at", ODICT_INT, u->created_at);
	if (!u->realm_ok)
		err |= odict_entry_add(od, "password_realm_stale", ODICT_BOOL,
				       true);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

static bool no_users(struct api_req *r)
{
	if (r->api->users)
		return false;
	api_error(r, 503, "Service Unavailable", "no user store", NULL);
	return true;
}

struct list_ctx {
	struct odict *arr;
	unsigned n;
	int err;
};

static bool list_h(const struct user *u, void *arg)
{
	struct list_ctx *ctx = arg;
	struct odict *uo = NULL;
	char key[12];

	re_snprintf(key, sizeof(key), "%u", ctx->n++);
	ctx->err = user_json(&uo, u);
	ctx->err = ctx->err ? ctx->err :
		odict_entry_add(ctx->arr, key, ODICT_OBJECT, uo);
	mem_deref(uo);
	return ctx->err != 0;
}

void api_user_list(struct api_req *r)
{
	struct list_ctx ctx = {0};
	struct odict *out = NULL;
	int err;

	if (no_users(r))
		return;
	err = odict_alloc(&out, 4);
	err = err ? err : odict_alloc(&ctx.arr, 16);
	if (!err)
		users_apply(r->api->users, list_h, &ctx);
	err = err ? err : ctx.err;
	err = err ? err : odict_entry_add(out, "users", ODICT_ARRAY, ctx.arr);
	mem_deref(ctx.arr);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

static const struct api_field user_fields[] = {
	{"name", API_STRING, true, 0, 64},
	{"password", API_STRING, true, 0, 128},
	{"aor", API_STRING, false, 0, 159},
	{"admin", API_BOOL, false, 0, 0},
};

void api_user_create(struct api_req *r)
{
	struct odict *in = NULL, *out = NULL;
	const struct odict_entry *adm;
	const struct user *u = NULL;
	struct user_new un;
	char detail[120], tok[HASHHEX_MAX], hdr[96];
	int err;

	if (no_users(r) || api_body(r, user_fields, 4, &in))
		return;
	adm = odict_lookup(in, "admin");
	un = (struct user_new){
		.name = odict_string(in, "name"),
		.password = odict_string(in, "password"),
		.aor = odict_string(in, "aor"),
		.admin = adm && adm->u.boolean,
	};
	err = users_add(r->api->users, &un, detail, sizeof(detail), tok, &u);
	if (err == EINVAL) {
		api_error(r, 400, "Bad Request", "invalid request", detail);
		goto out;
	}
	if (err == EEXIST) {
		api_error(r, 409, "Conflict", "user exists",
			  "the name or the AoR is taken");
		goto out;
	}
	if (err) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "user", "the store failed; nothing was changed");
		goto out;
	}
	err = user_json(&out, u);
	/* the only time the token is shown */
	err = err ? err : odict_entry_add(out, "token", ODICT_STRING, tok);
	memset(tok, 0, sizeof(tok));
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/users/%s\r\n", u->name);
	api_reply_obj(r, 201, "Created", out, err, hdr);
out:
	mem_deref(in);
}

void api_user_delete(struct api_req *r)
{
	int err;

	if (no_users(r))
		return;
	err = users_delete(r->api->users, r->param[0]);
	if (err == ENOENT)
		api_error(r, 404, "Not Found", "no such user", r->param[0]);
	else if (err)
		api_error(r, 503, "Service Unavailable", "cannot delete the "
			  "user", "the store failed");
	else
		api_reply_json(r, 204, "No Content", NULL, NULL);
}

void api_me(struct api_req *r)
{
	struct odict *out = NULL;
	int err;

	if (r->user) {
		err = user_json(&out, r->user);
	}
	else {
		err = odict_alloc(&out, 4);
		err = err ? err : odict_entry_add(out, "name", ODICT_STRING,
						  "admin");
		err = err ? err : odict_entry_add(out, "admin", ODICT_BOOL,
						  true);
	}
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

static const struct api_field self_fields[] = {
	{"anonymous", API_BOOL, false, 0, 0},
	{"hidden", API_BOOL, false, 0, 0},
	{"role", API_STRING, false, 0, 16},
};

static bool flag(const struct odict *in, const char *k, bool dflt)
{
	const struct odict_entry *e = odict_lookup(in, k);

	return e ? e->u.boolean : dflt;
}

/* Why the policy does not let the user set this for themselves, or NULL */
static const char *self_refusal(const struct policy *p,
				const struct policy_user *now,
				const struct odict *in)
{
	const char *role = odict_string(in, "role");
	int bit = role ? policy_role_bit(role) : 0;
	bool boss = now && policy_role_bit(now->role) &
		(POLICY_ROLE_ADMINISTRATOR | POLICY_ROLE_MODERATOR);

	if (flag(in, "anonymous", false) && !p->self_anonymous)
		return "this conference does not let users join anonymously";
	if (flag(in, "hidden", false) && !p->self_hidden)
		return "this conference does not let users hide";
	if (role && !bit)
		return "role must be participant or listener";
	if (role && (!(bit & p->self_roles) || boss))
		return "the policy does not let you take this role";
	return NULL;
}

void api_self_put(struct api_req *r)
{
	static struct policy np;          /* large; signalling thread only */
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	const struct policy_user *now;
	struct policy_user *e;
	const char *why;
	int err;

	if (!c || api_body(r, self_fields, 3, &in))
		return;
	if (!r->user) {
		api_error(r, 400, "Bad Request", "no user",
			  "the admin token names no user; use a user's token");
		goto out;
	}
	np = *conf_policy(c);
	now = policy_user_find(&np, r->user->aor);
	why = self_refusal(&np, now, in);
	if (why) {
		api_error(r, 403, "Forbidden", "forbidden", why);
		goto out;
	}
	e = policy_user_get(&np, r->user->aor);
	if (!e) {
		api_error(r, 409, "Conflict", "policy full",
			  "the policy cannot hold an entry for you (it lists as "
			  "many users as it can, or your AoR is longer than "
			  "127 characters)");
		goto out;
	}
	if (odict_string(in, "role"))
		re_snprintf(e->role, sizeof(e->role), "%s",
			    odict_string(in, "role"));
	e->anonymous = flag(in, "anonymous", e->anonymous);
	e->hidden = flag(in, "hidden", e->hidden);
	err = conf_set_policy(c, &np);
	if (err) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "policy", "the store failed; nothing was changed");
		goto out;
	}
	err = odict_alloc(&out, 8);
	err = err ? err : odict_entry_add(out, "aor", ODICT_STRING, e->aor);
	err = err ? err : odict_entry_add(out, "role", ODICT_STRING, e->role);
	err = err ? err : odict_entry_add(out, "anonymous", ODICT_BOOL,
					  e->anonymous);
	err = err ? err : odict_entry_add(out, "hidden", ODICT_BOOL,
					  e->hidden);
	api_reply_obj(r, 200, "OK", out, err, NULL);
out:
	mem_deref(in);
}
