/* A conference's policy in the live state: reading and replacing it
 * (stored first), its ETag, the end-of-life timer, and the per-user
 * entries (role, anonymity, hiding) applied to who is in the conference.
 * Admission of joins is policy_admit() at each entry point. Signalling
 * thread only. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "conf/conf_int.h"
#include "util/log.h"

const struct policy *conf_policy(const struct conf *c)
{
	return c->policy;
}

void conf_policy_etag(const struct conf *c, char *buf, size_t sz)
{
	char *json = NULL;
	uint64_t h = 14695981039346656037ull;      /* FNV-1a of the document */

	if (!re_sdprintf(&json, "%H", policy_print, c->policy))
		for (const char *p = json; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
	mem_deref(json);
	re_snprintf(buf, sz, "\"%016llx\"", (unsigned long long)h);
}

static void end_reached(void *arg)
{
	struct conf *c = arg;

	log_info("conf", "msg=\"end of the conference's lifespan\" conf=%s",
		 c->id);
	(void)conf_destroy(c);
}

void conf_policy_enforce(struct conf *c)
{
	int64_t now = (int64_t)time(NULL);

	tmr_cancel(&c->end_tmr);
	if (c->policy->end && !c->destroyed) {
		uint64_t ms = c->policy->end > now ?
			(uint64_t)(c->policy->end - now) * 1000 : 0;

		tmr_start(&c->end_tmr, ms, end_reached, c);
	}
	/* roles and privacy follow the entries; muting is on entry only */
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;
		const struct policy_user *u = policy_user_find(c->policy, p->uri);

		/* without an entry a role given otherwise (the factory's
		 * administrator) stays */
		if (u && strcmp(p->role, u->role)) {
			re_snprintf(p->role, sizeof(p->role), "%s", u->role);
			p->settings_dirty = true;    /* listeners: not mixed */
		}
		p->privacy.anonymous = u && u->anonymous;
		p->privacy.hidden = u && u->hidden;
	}
}

int conf_set_policy(struct conf *c, const struct policy *np)
{
	struct policy *old = c->policy, *p;

	if (c->destroyed)
		return ENOENT;
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p)
		return ENOMEM;
	*p = *np;
	c->policy = p;
	if (conf_settings_save(c)) {         /* stored first */
		c->policy = old;
		mem_deref(p);
		return EIO;
	}
	mem_deref(old);
	log_info("conf", "msg=\"policy changed\" conf=%s rules=%zu users=%zu "
		 "locked=%d max=%u", c->id, p->nrules, p->nusers, p->locked,
		 p->max_participants);
	conf_policy_enforce(c);
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

unsigned conf_present_count(const struct conf *c)
{
	unsigned n = 0;

	for (struct le *le = c->parts.head; le; le = le->next) {
		const struct participant *p = le->data;

		if (p->status != PART_FAILED && !p->removing)
			n++;
	}
	return n;
}

void conf_admit(struct conf *c, const char *aor, bool authed,
		struct policy_admission *a)
{
	policy_admit(c->policy, aor, authed, (int64_t)time(NULL),
		     conf_present_count(c), a);
}

void part_apply_entry(struct participant *p)
{
	const struct policy_user *u = policy_user_find(p->conf->policy, p->uri);

	if (!u)
		return;
	re_snprintf(p->role, sizeof(p->role), "%s", u->role);
	p->privacy.anonymous = u->anonymous;
	p->privacy.hidden = u->hidden;
	if (u->muted || !strcmp(u->role, "listener")) {
		p->set.muted = true;          /* listeners are never mixed */
		p->settings_dirty = true;
	}
	conf_changed(p->conf);
}

static void pending_expired(void *arg)
{
	struct participant *p = arg;

	log_info("conf", "msg=\"pending join expired\" conf=%s pid=%s uri=%s",
		 p->conf->id, p->pid, p->uri);
	part_remove(p);             /* treated as rejected: BYE */
}

void part_set_pending(struct participant *p, uint32_t timeout_s)
{
	p->privacy.pending = true;
	/* waiting: neither heard nor hearing the conference */
	p->set.muted = true;
	p->set.deaf = true;
	p->settings_dirty = true;
	if (timeout_s)
		tmr_start(&p->pend_tmr, timeout_s * 1000ull, pending_expired,
			  p);
	log_info("conf", "msg=\"join waits for a moderator\" conf=%s pid=%s "
		 "uri=%s", p->conf->id, p->pid, p->uri);
	conf_changed(p->conf);
}

int part_approve(struct participant *p)
{
	const struct policy_user *u = policy_user_find(p->conf->policy, p->uri);

	if (!p->privacy.pending)
		return EALREADY;
	tmr_cancel(&p->pend_tmr);
	p->privacy.pending = false;
	p->set.muted = u && (u->muted || !strcmp(u->role, "listener"));
	p->set.deaf = false;
	p->settings_dirty = true;
	log_info("conf", "msg=\"pending join approved\" conf=%s pid=%s",
		 p->conf->id, p->pid);
	conf_changed(p->conf);
	conf_reconcile(p->conf);
	return 0;
}

int part_reject(struct participant *p)
{
	if (!p->privacy.pending)
		return EALREADY;
	tmr_cancel(&p->pend_tmr);
	log_info("conf", "msg=\"pending join rejected\" conf=%s pid=%s",
		 p->conf->id, p->pid);
	part_remove(p);
	return 0;
}
