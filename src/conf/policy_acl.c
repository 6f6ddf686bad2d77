/*
 * The policy's access lists (spec s. 5.3): who may change which part of
 * the policy directly, who may only request a change that then waits for
 * a moderator of that part, and what users may set for themselves before
 * they join (role, anonymity). Pure functions; policy.c parses the rest
 * of the document and calls in here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "conf/policy.h"

static const char *const part_names[] = {"lifespan", "membership",
					 "privacy", "media", "control"};
static const char *const role_names[] = {"administrator", "moderator",
					 "participant", "listener"};

const char *policy_part_name(enum policy_part part)
{
	return part <= POLICY_PART_CONTROL ? part_names[part] : "?";
}

int policy_role_bit(const char *role)
{
	for (size_t i = 0; role && i < 4; i++)
		if (!strcmp(role, role_names[i]))
			return 1 << i;
	return 0;
}

void policy_acl_default(struct policy *p)
{
	const uint8_t admin = POLICY_ROLE_ADMINISTRATOR,
		boss = POLICY_ROLE_ADMINISTRATOR | POLICY_ROLE_MODERATOR;

	for (size_t i = 0; i < POLICY_NPARTS; i++) {
		p->acl[i].direct = i == POLICY_PART_LIFESPAN ? admin : boss;
		p->acl[i].moderated = 0;
		p->acl[i].moderators = boss;
	}
	p->change_ttl_s = 300;
	p->self_roles = POLICY_ROLE_PARTICIPANT | POLICY_ROLE_LISTENER;
	p->self_anonymous = true;
	p->self_hidden = false;
}

static int bad(char *detail, size_t dsz, const char *fmt, const char *f)
{
	snprintf(detail, dsz, fmt, f);
	return EINVAL;
}

static int parse_roles(uint8_t *bits, const struct odict_entry *e,
		       const char *name, char *detail, size_t dsz)
{
	uint8_t b = 0;

	if (e->type != ODICT_ARRAY)
		return bad(detail, dsz, "field '%s' must be an array of "
			   "roles", name);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *r = le->data;
		int bit = r->type == ODICT_STRING ?
			policy_role_bit(r->u.str) : 0;

		if (!bit)
			return bad(detail, dsz, "field '%s' may hold "
				   "administrator, moderator, participant, "
				   "listener", name);
		b |= (uint8_t)bit;
	}
	*bits = b;
	return 0;
}

static int parse_part(struct policy_part_acl *a, const struct odict_entry *e,
		      char *detail, size_t dsz)
{
	char fn[64];
	int err = 0;

	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field 'changes.%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;
		uint8_t *bits = !strcmp(f->key, "direct") ? &a->direct :
			!strcmp(f->key, "moderated") ? &a->moderated :
			!strcmp(f->key, "moderators") ? &a->moderators : NULL;

		snprintf(fn, sizeof(fn), "changes.%s.%s", e->key, f->key);
		if (!bits)
			return bad(detail, dsz, "field '%s' is unknown", fn);
		err = parse_roles(bits, f, fn, detail, dsz);
	}
	/* administrators own the conference: they always change directly
	 * and always moderate */
	a->direct |= POLICY_ROLE_ADMINISTRATOR;
	a->moderators |= POLICY_ROLE_ADMINISTRATOR;
	return err;
}

int policy_acl_parse(struct policy *p, const struct odict_entry *e,
		     char *detail, size_t dsz)
{
	int err = 0;

	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;
		size_t i;

		if (!strcmp(f->key, "ttl_s")) {
			if (f->type != ODICT_INT || f->u.integer < 1 ||
			    f->u.integer > 604800)
				return bad(detail, dsz, "field '%s' must be a "
					   "whole number from 1 to 604800",
					   "changes.ttl_s");
			p->change_ttl_s = (uint32_t)f->u.integer;
			continue;
		}
		for (i = 0; i < POLICY_NPARTS; i++)
			if (!strcmp(f->key, part_names[i]))
				break;
		if (i == POLICY_NPARTS) {
			snprintf(detail, dsz, "field 'changes.%s' is unknown "
				 "(lifespan, membership, privacy, media, "
				 "ttl_s)", f->key);
			return EINVAL;
		}
		err = parse_part(&p->acl[i], f, detail, dsz);
	}
	return err;
}

int policy_self_parse(struct policy *p, const struct odict_entry *e,
		      char *detail, size_t dsz)
{
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *f = le->data;
		bool *flag = !strcmp(f->key, "anonymous") ? &p->self_anonymous :
			!strcmp(f->key, "hidden") ? &p->self_hidden : NULL;
		int err;

		if (!strcmp(f->key, "roles")) {
			err = parse_roles(&p->self_roles, f,
					  "self_service.roles", detail, dsz);
			if (err)
				return err;
			if (p->self_roles & (POLICY_ROLE_ADMINISTRATOR |
					     POLICY_ROLE_MODERATOR))
				return bad(detail, dsz, "field '%s' may only "
					   "hold participant and listener "
					   "(higher roles are given, not "
					   "taken)", "self_service.roles");
		}
		else if (flag && f->type == ODICT_BOOL) {
			*flag = f->u.boolean;
		}
		else if (flag) {
			snprintf(detail, dsz, "field 'self_service.%s' must be "
				 "a boolean", f->key);
			return EINVAL;
		}
		else {
			snprintf(detail, dsz, "field 'self_service.%s' is "
				 "unknown", f->key);
			return EINVAL;
		}
	}
	return 0;
}

static int print_roles(struct re_printf *pf, uint8_t bits)
{
	int err = re_hprintf(pf, "[");
	bool first = true;

	for (size_t i = 0; i < 4 && !err; i++) {
		if (!(bits & (1 << i)))
			continue;
		err = re_hprintf(pf, "%s\"%s\"", first ? "" : ",",
				 role_names[i]);
		first = false;
	}
	return err ? err : re_hprintf(pf, "]");
}

int policy_acl_print(struct re_printf *pf, const struct policy *p)
{
	int err = re_hprintf(pf, "\"changes\":{\"ttl_s\":%u", p->change_ttl_s);

	for (size_t i = 0; i < POLICY_NPARTS && !err; i++) {
		err = re_hprintf(pf, ",\"%s\":{\"direct\":", part_names[i]);
		err |= print_roles(pf, p->acl[i].direct);
		err |= re_hprintf(pf, ",\"moderated\":");
		err |= print_roles(pf, p->acl[i].moderated);
		err |= re_hprintf(pf, ",\"moderators\":");
		err |= print_roles(pf, p->acl[i].moderators);
		err |= re_hprintf(pf, "}");
	}
	err |= re_hprintf(pf, "},\"self_service\":{\"roles\":");
	err |= print_roles(pf, p->self_roles);
	err |= re_hprintf(pf, ",\"anonymous\":%s,\"hidden\":%s}",
			  p->self_anonymous ? "true" : "false",
			  p->self_hidden ? "true" : "false");
	return err;
}

static bool user_eq(const struct policy_user *a, const struct policy_user *b,
		    bool privacy)
{
	if (privacy)
		return a->anonymous == b->anonymous && a->hidden == b->hidden;
	return !strcmp(a->role, b->role) && a->muted == b->muted &&
		a->invite == b->invite;
}

/* Per-user entries: adding or removing one is membership (and privacy,
 * when it is anonymous or hidden); changing one is the part of what
 * changed */
static unsigned users_diff(const struct policy *a, const struct policy *b)
{
	unsigned parts = 0;

	for (int pass = 0; pass < 2; pass++) {
		const struct policy *x = pass ? b : a, *y = pass ? a : b;

		for (size_t i = 0; i < x->nusers; i++) {
			const struct policy_user *u = &x->users[i];
			const struct policy_user *v =
				policy_user_find(y, u->aor);

			if (!v) {
				parts |= 1u << POLICY_PART_MEMBERSHIP;
				if (u->anonymous || u->hidden)
					parts |= 1u << POLICY_PART_PRIVACY;
				if (u->mixing)
					parts |= 1u << POLICY_PART_MEDIA;
				continue;
			}
			/* who mixes for the endpoint: its media */
			if (u->mixing != v->mixing)
				parts |= 1u << POLICY_PART_MEDIA;
			if (!user_eq(u, v, false))
				parts |= 1u << POLICY_PART_MEMBERSHIP;
			if (!user_eq(u, v, true))
				parts |= 1u << POLICY_PART_PRIVACY;
		}
	}
	return parts;
}

unsigned policy_diff(const struct policy *a, const struct policy *b)
{
	unsigned parts = users_diff(a, b);

	if (a->start != b->start || a->end != b->end ||
	    a->destroy_on_last_leave != b->destroy_on_last_leave ||
	    a->idle_timeout_s != b->idle_timeout_s)
		parts |= 1u << POLICY_PART_LIFESPAN;
	if (a->max_participants != b->max_participants ||
	    a->locked != b->locked ||
	    a->default_action != b->default_action ||
	    a->allow_unauthenticated != b->allow_unauthenticated ||
	    a->self_roles != b->self_roles ||
	    a->nrules != b->nrules ||
	    memcmp(a->rules, b->rules, a->nrules * sizeof(a->rules[0])))
		parts |= 1u << POLICY_PART_MEMBERSHIP;
	if (a->self_anonymous != b->self_anonymous ||
	    a->self_hidden != b->self_hidden ||
	    a->reveal_anonymous != b->reveal_anonymous)
		parts |= 1u << POLICY_PART_PRIVACY;
	/* the PINs say who gets in (and as what); prompts, recording and
	 * the keypad are the conference's media */
	if (strcmp(a->apps.pin, b->apps.pin) ||
	    strcmp(a->apps.moderator_pin, b->apps.moderator_pin))
		parts |= 1u << POLICY_PART_MEMBERSHIP;
	if (a->srtp != b->srtp || a->mixing != b->mixing ||
	    strcmp(a->mcast.group, b->mcast.group) ||
	    a->mcast.ttl != b->mcast.ttl ||
	    strcmp(a->mcast.codec, b->mcast.codec) ||
	    memcmp(&a->apps, &b->apps, sizeof(a->apps)))
		parts |= 1u << POLICY_PART_MEDIA;
	if (memcmp(a->acl, b->acl, sizeof(a->acl)) ||
	    a->change_ttl_s != b->change_ttl_s)
		parts |= 1u << POLICY_PART_CONTROL;
	return parts;
}

enum policy_verdict policy_may_change(const struct policy *p, unsigned role,
				      unsigned parts, const char **why)
{
	enum policy_verdict v = POLICY_CHANGE_DIRECT;

	for (unsigned i = 0; i <= POLICY_PART_CONTROL; i++) {
		if (!(parts & (1u << i)))
			continue;
		if (i == POLICY_PART_CONTROL) {
			if (role & POLICY_ROLE_ADMINISTRATOR)
				continue;
		}
		else if (role & p->acl[i].direct) {
			continue;
		}
		else if (role & p->acl[i].moderated) {
			v = POLICY_CHANGE_MODERATED;
			continue;
		}
		if (why)
			*why = part_names[i];
		return POLICY_CHANGE_FORBIDDEN;
	}
	return v;
}

bool policy_may_moderate(const struct policy *p, unsigned role,
			 unsigned parts)
{
	for (unsigned i = 0; i < POLICY_NPARTS; i++)
		if ((parts & (1u << i)) && !(role & p->acl[i].moderators))
			return false;
	if ((parts & (1u << POLICY_PART_CONTROL)) &&
	    !(role & POLICY_ROLE_ADMINISTRATOR))
		return false;
	return true;
}
