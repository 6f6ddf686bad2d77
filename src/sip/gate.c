/*
 * The gate: who is asking, proven where it matters. Every request that
 * starts something (INVITE, SUBSCRIBE, REFER and MESSAGE outside a call)
 * passes here first. A caller must authenticate by digest when
 *   - its From names a stored user (nobody may speak as a user without
 *     the user's password), or
 *   - the conference's policy says so for it (an `authenticate` rule, or
 *     no unauthenticated callers at all).
 * Otherwise it goes on unauthenticated, as conference-unaware phones do.
 * Requests inside a call were authenticated with the call. Signalling
 * thread only.
 */
#include <string.h>
#include <strings.h>
#include "conf/policy.h"
#include "sip/digest.h"
#include "sip/sip_int.h"
#include "users/users.h"
#include "util/log.h"
#include "util/srclimit.h"

int focus_gate(struct focus *f, struct conf *c, const struct sip_msg *msg,
	       struct gate_id *id)
{
	const struct user *u = NULL;
	const char *why = "";
	char *aor = NULL, hdrs[640], reason[160];
	enum digest_result r;
	struct sa srcbuf;
	bool need;

	memset(id, 0, sizeof(*id));
	if (focus_aor_print(&aor, &msg->from.uri) ||
	    strlen(aor) >= sizeof(id->aor)) {
		mem_deref(aor);
		focus_reply(f, msg, 400, "Bad Request (unusable From URI)",
			    NULL);
		return EBADMSG;
	}
	strcpy(id->aor, aor);
	mem_deref(aor);
	need = (f->users && users_find_aor(f->users, id->aor)) ||
		(c && policy_needs_auth(conf_policy(c), id->aor));
	if (!need)
		return 0;
	if (!f->users || !f->digest) {
		focus_reply(f, msg, 403, "Forbidden (authentication required "
			    "but no users are configured)", NULL);
		return EACCES;
	}
	r = digest_check(f->digest, f->users, msg, &u, &why);
	if (r == DIGEST_OK && strcasecmp(u->aor, id->aor)) {
		r = DIGEST_WRONG;
		why = "credentials are not those of the From user";
	}
	switch (r) {
	case DIGEST_OK:
		id->authed = true;
		id->user = u;
		f->stats.auth_ok++;
		return 0;
	case DIGEST_NONE:
	case DIGEST_STALE:
		if (digest_challenge(f->digest, r == DIGEST_STALE, hdrs,
				     sizeof(hdrs))) {
			focus_reply(f, msg, 500, "Server Internal Error",
				    NULL);
			return ENOMEM;
		}
		f->stats.auth_challenged++;
		focus_reply(f, msg, 401, "Unauthorized", hdrs);
		return EACCES;
	case DIGEST_BAD:
		re_snprintf(reason, sizeof(reason), "Bad Request (%s)", why);
		focus_reply(f, msg, 400, reason, NULL);
		/* credentials that do not even parse or fit: a failed
		 * attempt all the same (a 403 counts in focus_reply) */
		srclimit_offence(f->limit, srclimit_sip_src(f->limit, msg,
							    &srcbuf), why);
		break;
	default:
		re_snprintf(reason, sizeof(reason), "Forbidden (%s)", why);
		focus_reply(f, msg, 403, reason, NULL);
		break;
	}
	f->stats.auth_failed++;
	log_info("sip", "msg=\"authentication failed\" method=%r from=%s "
		 "reason=\"%s\"", &msg->met, id->aor, why);
	return EACCES;
}

int focus_gate_subscribe(struct focus *f, struct conf *c,
			 const struct sip_msg *msg, bool *moderator)
{
	struct gate_id id;
	int err = focus_gate(f, c, msg, &id);
	int bit;

	if (err)
		return err;
	/* the moderator view shows pending joins and real identities:
	 * only for a proven moderator or administrator */
	bit = policy_role_bit(policy_role_of(conf_policy(c), id.aor));
	*moderator = id.authed && (bit & (POLICY_ROLE_ADMINISTRATOR |
					  POLICY_ROLE_MODERATOR));
	return 0;
}
