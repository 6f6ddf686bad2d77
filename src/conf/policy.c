/* Conference policy documents and the admission decision (policy.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "conf/policy.h"
#include "util/json.h"

static const char *const actions[] = {"allow", "deny", "moderate",
				      "authenticate"};
static const char *const matches[] = {"aor", "domain", "pattern"};
static const char *const srtps[] = {"optional", "required", "off"};
static const char *const roles[] = {"administrator", "moderator",
				    "participant", "listener"};
static const char *const mixings[] = {"focus", "distributed"};
/* a user entry's (enum policy_user_mixing; "" is the default, never
 * named in a document) */
static const char *const user_mixings[] = {"", "focus", "self"};

void policy_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_action = POLICY_ALLOW;
	p->allow_unauthenticated = true;
	p->reveal_anonymous = true;
	policy_acl_default(p);
	policy_apps_default(&p->apps);
	policy_mcast_default(&p->mcast);
}

static int word(const char *const *set, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(set[i], s))
			return (int)i;
	return -1;
}

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static int bad(char *detail, size_t dsz, const char *fmt, const char *f)
{
	snprintf(detail, dsz, fmt, f);
	return EINVAL;
}

static int get_int(const struct odict_entry *e, int64_t min, int64_t max,
		   int64_t *v, const char *name, char *detail, size_t dsz)
{
	if (e->type != ODICT_INT || e->u.integer < min ||
	    e->u.integer > max) {
		snprintf(detail, dsz, "field '%s' must be a whole number from "
			 "%lld to %lld", name, (long long)min, (long long)max);
		return EINVAL;
	}
	*v = e->u.integer;
	return 0;
}

static int get_str(const struct odict_entry *e, char *buf, size_t sz,
		   const char *name, char *detail, size_t dsz)
{
	if (e->type != ODICT_STRING || !e->u.str[0] ||
	    strlen(e->u.str) >= sz) {
		snprintf(detail, dsz, "field '%s' must be a string of 1 to %zu "
			 "characters", name, sz - 1);
		return EINVAL;
	}
	strcpy(buf, e->u.str);
	return 0;
}

static int parse_rule(struct policy_rule *r, const struct odict_entry *e,
		      size_t i, char *detail, size_t dsz)
{
	char name[48];
	int m = -1, a = -1, err = 0;

	snprintf(name, sizeof(name), "rules[%zu]", i);
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object", name);
	memset(r, 0, sizeof(*r));
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;

		if (!strcmp(f->key, "action")) {
			a = f->type == ODICT_STRING ?
				word(actions, NWORDS(actions), f->u.str) : -1;
			if (a < 0)
				err = bad(detail, dsz, "field '%s.action' must "
					  "be allow, deny, moderate or "
					  "authenticate", name);
		}
		else if (word(matches, NWORDS(matches), f->key) >= 0) {
			char fn[64];

			if (m >= 0)
				return bad(detail, dsz, "field '%s' names more "
					   "than one of aor, domain, pattern",
					   name);
			m = word(matches, NWORDS(matches), f->key);
			snprintf(fn, sizeof(fn), "%s.%s", name, f->key);
			err = get_str(f, r->value, sizeof(r->value), fn,
				      detail, dsz);
		}
		else {
			snprintf(detail, dsz, "field '%s.%s' is unknown", name,
				 f->key);
			err = EINVAL;
		}
	}
	if (!err && m < 0)
		err = bad(detail, dsz, "field '%s' needs one of aor, domain, "
			  "pattern", name);
	if (!err && a < 0)
		err = bad(detail, dsz, "field '%s' needs an action", name);
	r->match = (enum policy_match)m;
	r->action = (enum policy_action)a;
	return err;
}

static int parse_user(struct policy_user *u, const struct odict_entry *e,
		      size_t i, char *detail, size_t dsz)
{
	char name[48], fn[72];
	int err = 0;

	snprintf(name, sizeof(name), "users[%zu]", i);
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object", name);
	memset(u, 0, sizeof(*u));
	strcpy(u->role, "participant");
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;
		bool *flag = !strcmp(f->key, "anonymous") ? &u->anonymous :
			!strcmp(f->key, "hidden") ? &u->hidden :
			!strcmp(f->key, "muted") ? &u->muted :
			!strcmp(f->key, "invite") ? &u->invite : NULL;

		snprintf(fn, sizeof(fn), "%s.%s", name, f->key);
		if (!strcmp(f->key, "aor")) {
			err = get_str(f, u->aor, sizeof(u->aor), fn, detail,
				      dsz);
			if (!err && strncasecmp(u->aor, "sip:", 4) &&
			    strncasecmp(u->aor, "sips:", 5))
				err = bad(detail, dsz, "field '%s' must be a "
					  "sip: or sips: URI", fn);
		}
		else if (!strcmp(f->key, "role")) {
			if (f->type != ODICT_STRING ||
			    word(roles, NWORDS(roles), f->u.str) < 0)
				err = bad(detail, dsz, "field '%s' must be "
					  "administrator, moderator, "
					  "participant or listener", fn);
			else
				strcpy(u->role, f->u.str);
		}
		else if (flag) {
			if (f->type != ODICT_BOOL)
				err = bad(detail, dsz, "field '%s' must be a "
					  "boolean", fn);
			else
				*flag = f->u.boolean;
		}
		else if (!strcmp(f->key, "mixing")) {
			int m = f->type == ODICT_STRING ?
				word(user_mixings, NWORDS(user_mixings),
				     f->u.str) : -1;

			if (m <= 0)
				err = bad(detail, dsz, "field '%s' must be "
					  "focus or self", fn);
			else
				u->mixing = (uint8_t)m;
		}
		else {
			err = bad(detail, dsz, "field '%s' is unknown", fn);
		}
	}
	if (!err && !u->aor[0])
		err = bad(detail, dsz, "field '%s' needs an aor", name);
	return err;
}

static int parse_list(struct policy *p, const struct odict_entry *e,
		      bool rules, char *detail, size_t dsz)
{
	size_t n = 0, max = rules ? POLICY_MAX_RULES : POLICY_MAX_USERS;
	int err = 0;

	if (e->type != ODICT_ARRAY)
		return bad(detail, dsz, "field '%s' must be an array",
			   e->key);
	if (odict_count(e->u.odict, false) > max) {
		snprintf(detail, dsz, "field '%s' has more than %zu entries",
			 e->key, max);
		return EINVAL;
	}
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		err = rules ? parse_rule(&p->rules[n], le->data, n, detail,
					 dsz) :
			parse_user(&p->users[n], le->data, n, detail, dsz);
		n++;
	}
	for (size_t i = 0; !err && !rules && i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(p->users[i].aor, p->users[j].aor))
				return bad(detail, dsz, "field 'users' lists "
					   "%s twice", p->users[i].aor);
	if (rules)
		p->nrules = n;
	else
		p->nusers = n;
	return err;
}

int policy_parse(struct policy *out, const struct policy *base,
		 const char *json, size_t len, char *detail, size_t dsz)
{
	static struct policy p;     /* large: not on the stack; signalling
				     * thread only */
	struct odict *od = NULL;
	int64_t v = 0;
	int err = 0;
	size_t i = 0;

	while (i < len && isspace((unsigned char)json[i]))
		i++;
	err = i == len || json[i] != '{' ? EBADMSG :
		json_decode_odict(&od, 32, json, len, 8);
	if (err == ENOMEM) {
		/* not the document's fault: it must not be called invalid
		 * (EINVAL says it is) */
		snprintf(detail, dsz, "out of memory");
		return err;
	}
	if (err || !od)
		return bad(detail, dsz, "%s", "the policy must be a JSON "
			   "object");
	if (base)
		p = *base;
	else
		policy_default(&p);
	for (struct le *le = od->lst.head; le && !err; le = le->next) {
		const struct odict_entry *e = le->data;

		if (!strcmp(e->key, "start") || !strcmp(e->key, "end")) {
			err = get_int(e, 0, 32503680000LL, &v, e->key, detail,
				      dsz);
			if (!err)
				*(!strcmp(e->key, "start") ? &p.start :
				  &p.end) = v;
		}
		else if (!strcmp(e->key, "max_participants")) {
			err = get_int(e, 0, 100000, &v, e->key, detail, dsz);
			p.max_participants = (uint32_t)v;
		}
		else if (!strcmp(e->key, "idle_timeout_s")) {
			err = get_int(e, 0, 31536000, &v, e->key, detail, dsz);
			p.idle_timeout_s = (uint32_t)v;
		}
		else if (!strcmp(e->key, "locked") ||
			 !strcmp(e->key, "destroy_on_last_leave") ||
			 !strcmp(e->key, "allow_unauthenticated") ||
			 !strcmp(e->key, "reveal_anonymous")) {
			if (e->type != ODICT_BOOL)
				err = bad(detail, dsz, "field '%s' must be a "
					  "boolean", e->key);
			else
				*(!strcmp(e->key, "locked") ? &p.locked :
				  !strcmp(e->key, "allow_unauthenticated") ?
				  &p.allow_unauthenticated :
				  !strcmp(e->key, "reveal_anonymous") ?
				  &p.reveal_anonymous :
				  &p.destroy_on_last_leave) = e->u.boolean;
		}
		else if (!strcmp(e->key, "changes")) {
			err = policy_acl_parse(&p, e, detail, dsz);
		}
		else if (!strcmp(e->key, "self_service")) {
			err = policy_self_parse(&p, e, detail, dsz);
		}
		else if (policy_apps_key(e->key)) {
			err = policy_apps_parse(&p, e, detail, dsz);
		}
		else if (policy_mcast_key(e->key)) {
			err = policy_mcast_parse(&p, e, detail, dsz);
		}
		else if (!strcmp(e->key, "default_action")) {
			int a = e->type == ODICT_STRING ?
				word(actions, NWORDS(actions), e->u.str) : -1;

			if (a < 0)
				err = bad(detail, dsz, "field '%s' must be "
					  "allow, deny, moderate or "
					  "authenticate", e->key);
			else
				p.default_action = (enum policy_action)a;
		}
		else if (!strcmp(e->key, "srtp")) {
			int a = e->type == ODICT_STRING ?
				word(srtps, NWORDS(srtps), e->u.str) : -1;

			if (a < 0)
				err = bad(detail, dsz, "field '%s' must be "
					  "optional, required or off", e->key);
			else
				p.srtp = (enum policy_srtp)a;
		}
		else if (!strcmp(e->key, "mixing")) {
			int a = e->type == ODICT_STRING ?
				word(mixings, NWORDS(mixings), e->u.str) : -1;

			if (a < 0)
				err = bad(detail, dsz, "field '%s' must be "
					  "focus or distributed", e->key);
			else
				p.mixing = (enum policy_mixing)a;
		}
		else if (!strcmp(e->key, "rules") ||
			 !strcmp(e->key, "users")) {
			err = parse_list(&p, e, !strcmp(e->key, "rules"),
					 detail, dsz);
		}
		else {
			err = bad(detail, dsz, "field '%s' is unknown",
				  e->key);
		}
	}
	if (!err && p.start && p.end && p.end <= p.start)
		err = bad(detail, dsz, "%s", "field 'end' must be after "
			  "'start'");
	mem_deref(od);
	if (!err)
		*out = p;
	return err;
}

int policy_print(struct re_printf *pf, const struct policy *p)
{
	int err = re_hprintf(pf, "{\"start\":%lld,\"end\":%lld,"
			     "\"destroy_on_last_leave\":%s,"
			     "\"idle_timeout_s\":%u,"
			     "\"max_participants\":%u,\"locked\":%s,"
			     "\"allow_unauthenticated\":%s,"
			     "\"reveal_anonymous\":%s,\"srtp\":\"%s\","
			     "\"mixing\":\"%s\","
			     "\"default_action\":\"%s\",\"rules\":[",
			     (long long)p->start, (long long)p->end,
			     p->destroy_on_last_leave ? "true" : "false",
			     p->idle_timeout_s,
			     p->max_participants, p->locked ? "true" : "false",
			     p->allow_unauthenticated ? "true" : "false",
			     p->reveal_anonymous ? "true" : "false",
			     srtps[p->srtp], mixings[p->mixing],
			     actions[p->default_action]);

	for (size_t i = 0; i < p->nrules && !err; i++)
		err = re_hprintf(pf, "%s{\"%s\":%H,\"action\":\"%s\"}",
				 i ? "," : "", matches[p->rules[i].match],
				 json_print_string, p->rules[i].value,
				 actions[p->rules[i].action]);
	err = err ? err : re_hprintf(pf, "],\"users\":[");
	for (size_t i = 0; i < p->nusers && !err; i++) {
		const struct policy_user *u = &p->users[i];

		/* (mixing only when the entry names it: as the conference
		 * says otherwise) */
		err = re_hprintf(pf, "%s{\"aor\":%H,\"role\":\"%s\","
				 "\"anonymous\":%s,\"hidden\":%s,"
				 "\"muted\":%s,\"invite\":%s%s%s%s}",
				 i ? "," : "",
				 json_print_string, u->aor, u->role,
				 u->anonymous ? "true" : "false",
				 u->hidden ? "true" : "false",
				 u->muted ? "true" : "false",
				 u->invite ? "true" : "false",
				 u->mixing ? ",\"mixing\":\"" : "",
				 user_mixings[u->mixing % 3],
				 u->mixing ? "\"" : "");
	}
	err = err ? err : re_hprintf(pf, "],%H,%H,%H}", policy_acl_print, p,
				     policy_apps_print, p, policy_mcast_print,
				     p);
	return err;
}

bool policy_glob(const char *pat, const char *s)
{
	/* iterative, with one backtrack point for the last '*' */
	const char *star = NULL, *ss = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			ss = s;
		}
		else if (*pat == '?' ||
			 tolower((unsigned char)*pat) ==
			 tolower((unsigned char)*s)) {
			pat++;
			s++;
		}
		else if (star) {
			pat = star + 1;
			s = ++ss;
		}
		else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

/* the host of "sip:user@host[:port]" (or of "sip:host") */
static bool domain_is(const char *aor, const char *domain)
{
	const char *at = strchr(aor, '@'), *h = at ? at + 1 : strchr(aor, ':');
	size_t n;

	if (!h)
		return false;
	if (!at)
		h++;
	n = strcspn(h, ":;>");
	return n == strlen(domain) && !strncasecmp(h, domain, n);
}

static bool rule_matches(const struct policy_rule *r, const char *aor)
{
	switch (r->match) {
	case POLICY_MATCH_AOR:    return !strcasecmp(r->value, aor);
	case POLICY_MATCH_DOMAIN: return domain_is(aor, r->value);
	default:                  return policy_glob(r->value, aor);
	}
}

const struct policy_user *policy_user_find(const struct policy *p,
					   const char *aor)
{
	for (size_t i = 0; i < p->nusers; i++)
		if (!strcasecmp(p->users[i].aor, aor))
			return &p->users[i];
	return NULL;
}

static void refuse(struct policy_admission *a, uint16_t scode,
		   const char *why)
{
	a->allowed = false;
	a->scode = scode;
	a->reason = why;
}

/* The action of the first rule matching aor; *matched says if any did */
static enum policy_action rule_action(const struct policy *p, const char *aor,
				      bool *matched)
{
	for (size_t i = 0; i < p->nrules; i++) {
		if (rule_matches(&p->rules[i], aor)) {
			*matched = true;
			return p->rules[i].action;
		}
	}
	*matched = false;
	return p->default_action;
}

bool policy_needs_auth(const struct policy *p, const char *aor)
{
	bool matched;

	return !p->allow_unauthenticated ||
		rule_action(p, aor, &matched) == POLICY_AUTHENTICATE;
}

struct policy_user *policy_user_get(struct policy *p, const char *aor)
{
	struct policy_user *u = (struct policy_user *)policy_user_find(p, aor);

	if (u)
		return u;
	if (p->nusers >= POLICY_MAX_USERS || strlen(aor) >= sizeof(u->aor))
		return NULL;
	u = &p->users[p->nusers++];
	memset(u, 0, sizeof(*u));
	strcpy(u->aor, aor);
	strcpy(u->role, "participant");
	return u;
}

bool policy_member(const struct policy *p, const char *aor)
{
	bool matched;
	enum policy_action act = rule_action(p, aor, &matched);

	if (!matched && policy_user_find(p, aor))
		return true;
	return act != POLICY_DENY;
}

const char *policy_role_of(const struct policy *p, const char *aor)
{
	const struct policy_user *u = policy_user_find(p, aor);

	return u ? u->role : "participant";
}

bool policy_self_mixing(const struct policy *p, const char *aor)
{
	const struct policy_user *u = aor ? policy_user_find(p, aor) : NULL;

	if (u && u->mixing != POLICY_USER_MIXING_DEFAULT)
		return u->mixing == POLICY_USER_MIXING_SELF;
	return p->mixing == POLICY_MIXING_DISTRIBUTED;
}

bool policy_mixing_any(const struct policy *p)
{
	for (size_t i = 0; i < p->nusers; i++)
		if (p->users[i].mixing == POLICY_USER_MIXING_SELF)
			return true;
	return p->mixing == POLICY_MIXING_DISTRIBUTED;
}

void policy_admit(const struct policy *p, const char *aor, bool authed,
		  int64_t now, unsigned present, struct policy_admission *a)
{
	enum policy_action act;
	bool boss, matched = false;

	memset(a, 0, sizeof(*a));
	a->user = policy_user_find(p, aor);
	a->role = a->user ? a->user->role : "participant";
	boss = !strcmp(a->role, "administrator") ||
		!strcmp(a->role, "moderator");
	if (p->start && now < p->start) {
		refuse(a, 403, "the conference has not started");
		return;
	}
	if (p->end && now >= p->end) {
		refuse(a, 403, "the conference has ended");
		return;
	}
	if (!authed && policy_needs_auth(p, aor)) {
		refuse(a, 401, "authentication required");
		a->need_auth = true;
		return;
	}
	/* the first rule that matches decides; with none, a per-user entry
	 * admits its user (an invitation list), else the default does */
	act = rule_action(p, aor, &matched);
	if (!matched && a->user)
		act = POLICY_ALLOW;
	if (act == POLICY_AUTHENTICATE)
		act = POLICY_ALLOW;          /* authenticated (checked above) */
	if (act == POLICY_DENY) {
		refuse(a, 403, "not admitted by the conference policy");
		return;
	}
	if (p->locked && !boss) {
		refuse(a, 403, "the conference is locked");
		return;
	}
	if (p->max_participants && present >= p->max_participants && !boss) {
		refuse(a, 486, "the conference is full");
		return;
	}
	a->allowed = true;
	/* moderators never wait for one */
	a->pending = act == POLICY_MODERATE && !boss;
}
