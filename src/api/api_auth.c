/*
 * Who calls the API, and what they may do (spec s. 5.3: the policy's own
 * access lists). A caller is
 *   - the administrator: the admin token from the config, or a user
 *     marked admin, or anyone on a server without an admin token (which
 *     only listens on loopback), unless they present a user token;
 *   - a user, by their own token: then each conference's policy gives
 *     them a role (their entry, else participant if the policy would
 *     admit them, else none), and the route's permission is checked
 *     against it. Policy and media changes are further checked part by
 *     part in their handlers (policy_may_change).
 * Every refusal is 401 (who are you) or 403 (not you) with a JSON reason.
 * Signalling thread.
 */
#include <string.h>
#include <strings.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "users/users.h"

#define ROLE_BOSS (POLICY_ROLE_ADMINISTRATOR | POLICY_ROLE_MODERATOR)
#define ROLE_ALL (ROLE_BOSS | POLICY_ROLE_PARTICIPANT | POLICY_ROLE_LISTENER)

/* The token as a keyed digest: compared in constant time, whatever its
 * length, and the token itself is not kept */
int api_token_digest(const struct api *a, const char *p, size_t n,
		     uint8_t md[32])
{
	return hmac_digest(a->tok_mac, md, 32, (const uint8_t *)p, n);
}

static bool admin_token(const struct api *a, const struct pl *tok)
{
	uint8_t md[32], diff = 0;

	if (!a->auth || api_token_digest(a, tok->p, tok->l, md))
		return false;
	for (size_t i = 0; i < sizeof(md); i++)
		diff |= md[i] ^ a->tok_digest[i];
	return diff == 0;
}

static void unauthorized(struct api_req *r, const char *error,
			 const char *detail, bool invalid)
{
	api_error_hdr(r, 401, "Unauthorized", error, detail, invalid ?
		      "WWW-Authenticate: Bearer realm=\"caucus\", "
		      "error=\"invalid_token\"\r\n" :
		      "WWW-Authenticate: Bearer realm=\"caucus\"\r\n");
}

int api_authenticate(struct api_req *r)
{
	const struct http_hdr *h = http_msg_hdr(r->msg,
						HTTP_HDR_AUTHORIZATION);
	struct pl tok = PL_INIT, prm;

	if (h && h->val.l > 7 && !strncasecmp(h->val.p, "Bearer ", 7)) {
		tok.p = h->val.p + 7;
		tok.l = h->val.l - 7;
	}
	else if (!pl_strcmp(&r->msg->path, "/v1/events") &&
		 (prm = r->msg->prm, prm.l) &&
		 !re_regex(prm.p, prm.l, "token=[^&]+", &tok)) {
		/* browsers cannot set headers on a websocket */
	}
	if (!pl_isset(&tok)) {
		if (!r->api->auth) {
			r->admin = true;       /* loopback, no token set */
			return 0;
		}
		unauthorized(r, "unauthorized",
			     "send Authorization: Bearer <token>", false);
		return EACCES;
	}
	if (admin_token(r->api, &tok)) {
		r->admin = true;
		return 0;
	}
	r->user = r->api->users ?
		users_find_token(r->api->users, tok.p, tok.l) : NULL;
	if (!r->user) {
		unauthorized(r, "invalid token",
			     "the token is not valid for this server", true);
		return EACCES;
	}
	r->admin = r->user->admin;
	return 0;
}

unsigned api_role_for(bool admin, const char *aor, struct conf *c)
{
	const struct policy *p = conf_policy(c);

	if (admin)
		return ROLE_ALL;
	if (!aor || !aor[0] || !policy_member(p, aor))
		return 0;
	return (unsigned)policy_role_bit(policy_role_of(p, aor));
}

unsigned api_role_in(const struct api_req *r, struct conf *c)
{
	return api_role_for(r->admin, api_self_aor(r), c);
}

bool api_sees_all(const struct api_req *r, struct conf *c)
{
	return (api_role_in(r, c) & ROLE_BOSS) != 0;
}

const char *api_self_aor(const struct api_req *r)
{
	return r->user ? r->user->aor : NULL;
}

static void forbidden(struct api_req *r, const char *detail)
{
	api_error(r, 403, "Forbidden", "forbidden", detail);
}

int api_permit(struct api_req *r, enum api_perm perm)
{
	struct conf *c;
	unsigned role;

	switch (perm) {
	case API_PERM_PUBLIC:
	case API_PERM_ANY:
		return 0;
	case API_PERM_ADMIN:
		if (r->admin)
			return 0;
		forbidden(r, "only administrators of the server may do this");
		return EACCES;
	default:
		break;
	}
	c = confs_lookup(r->api->confs, r->param[0]);
	if (!c)
		return 0;           /* the handler answers 404 */
	role = api_role_in(r, c);
	if (!role) {
		forbidden(r, "you are not a member of this conference");
		return EACCES;
	}
	if (perm == API_PERM_CONF)
		return 0;
	if (perm == API_PERM_CONF_ADMIN) {
		if (role & POLICY_ROLE_ADMINISTRATOR)
			return 0;
		forbidden(r, "only the conference's administrators may do "
			  "this");
		return EACCES;
	}
	if (role & ROLE_BOSS)
		return 0;
	if (perm == API_PERM_CONF_MOD_OR_SELF && r->user) {
		struct participant *p = conf_find_part(c, r->param[1]);

		if (p && !strcasecmp(part_uri(p), r->user->aor))
			return 0;
	}
	forbidden(r, perm == API_PERM_CONF_MOD_OR_SELF ?
		  "only moderators may do this to others" :
		  "only the conference's moderators may do this");
	return EACCES;
}
