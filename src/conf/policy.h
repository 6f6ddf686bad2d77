/*
 * A conference's policy (spec s. 4.2, 5.3): its lifespan, limits and the
 * admission rules, and the per-user entries. Pure data and functions: the
 * document is parsed strictly (a bad field is named, nothing is partly
 * applied), printed back as JSON, and consulted by policy_admit() for
 * every join. The reconciler and the SIP side act on the answer.
 */
#ifndef CAUCUS_POLICY_H
#define CAUCUS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

#define POLICY_MAX_RULES 64
#define POLICY_MAX_USERS 256

enum policy_match { POLICY_MATCH_AOR, POLICY_MATCH_DOMAIN,
		    POLICY_MATCH_PATTERN };
enum policy_action { POLICY_ALLOW, POLICY_DENY, POLICY_MODERATE };

struct policy_rule {
	enum policy_match match;
	char value[128];          /* AoR, domain, or pattern with * and ? */
	enum policy_action action;
};

struct policy_user {
	char aor[128];
	char role[16];            /* administrator, moderator, participant,
				   * listener */
	bool anonymous, hidden, muted;   /* muted: on entry */
};

struct policy {
	int64_t start, end;       /* unix seconds; 0: none */
	bool destroy_on_last_leave;
	uint32_t max_participants;    /* 0: no limit */
	bool locked;              /* nobody new joins */
	enum policy_action default_action;
	struct policy_rule rules[POLICY_MAX_RULES];
	size_t nrules;
	struct policy_user users[POLICY_MAX_USERS];
	size_t nusers;
};

/* The open conference: everyone may join, no limits */
void policy_default(struct policy *p);
/* A policy document (JSON object) into *p. EINVAL with the field and
 * why in detail; *p is untouched then. With base, fields the document
 * does not name keep base's values (PATCH); without, they get defaults
 * (PUT). */
int  policy_parse(struct policy *p, const struct policy *base,
		  const char *json, size_t len, char *detail, size_t dsz);
/* The policy as a JSON document (re_printf %H) */
int  policy_print(struct re_printf *pf, const struct policy *p);

/* What a join gets */
struct policy_admission {
	bool allowed;
	bool pending;             /* allowed, but waits for a moderator */
	uint16_t scode;           /* when refused: 403 or 486 */
	const char *reason;       /* when refused: why, for the reason phrase */
	const struct policy_user *user;   /* the per-user entry, or NULL */
	const char *role;
};
/* May aor join now, with `present` people in the conference? The first
 * rule that matches decides; when none does, a per-user entry admits its
 * user, else default_action decides. Moderators and administrators (by
 * entry) pass the lock and the limit; the lifespan and deny rules hold
 * for everyone. */
void policy_admit(const struct policy *p, const char *aor, int64_t now,
		  unsigned present, struct policy_admission *a);
/* The per-user entry of aor (AoRs compare case-insensitively), or NULL */
const struct policy_user *policy_user_find(const struct policy *p,
					   const char *aor);
/* Glob match with * and ?, case-insensitive (exposed for the tests) */
bool policy_glob(const char *pattern, const char *s);

#endif
