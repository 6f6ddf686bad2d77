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

void conf_doc_etag(char *buf, size_t sz, re_printf_h *print,
		   const void *doc)
{
	char *json = NULL;
	uint64_t h = 14695981039346656037ull;      /* FNV-1a of the document */

	if (!re_sdprintf(&json, "%H", print, doc))
		for (const char *p = json; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
	mem_deref(json);
	re_snprintf(buf, sz, "\"%016llx\"", (unsigned long long)h);
}

static int print_policy(struct re_printf *pf, void *p)
{
	return policy_print(pf, p);
}

void conf_policy_etag(const struct conf *c, char *buf, size_t sz)
{
	conf_doc_etag(buf, sz, print_policy, c->policy);
}

static void end_reached(void *arg)
{
	struct conf *c = arg;

	log_info("conf", "msg=\"end of the conference's lifespan\" conf=%s",
		 c->id);
	(void)conf_destroy(c);
}

static void idle_reached(void *arg)
{
	struct conf *c = arg;

	if (!conf_empty(c) || !conf_may_end(c))
		return;
	log_info("conf", "msg=\"idle too long, destroying\" conf=%s "
		 "idle_timeout_s=%u", c->id, c->policy->idle_timeout_s);
	(void)conf_destroy(c);
}

bool conf_empty(const struct conf *c)
{
	for (const struct le *le = c->parts.head; le; le = le->next) {
		const struct participant *p = le->data;

		if (p->link != PART_LINK_UP)
			return false;
	}
	return conf_remote_count(c) == 0;
}

bool conf_may_end(const struct conf *c)
{
	return !c->cs->end_gate || c->cs->end_gate(c, c->cs->end_gate_arg);
}

void confs_set_end_gate(struct confs *cs, conf_end_gate_h *h, void *arg)
{
	cs->end_gate = h;
	cs->end_gate_arg = arg;
}

static void empty_check(void *arg)
{
	struct conf *c = arg;

	if ((c->adhoc || c->policy->destroy_on_last_leave) &&
	    !c->destroyed && conf_empty(c) && conf_may_end(c)) {
		log_info("conf", "msg=\"conference empty on every node, "
			 "destroying\" conf=%s", c->id);
		(void)conf_destroy(c);
		return;
	}
	conf_idle_check(c);
}

void conf_empty_check(struct conf *c)
{
	if (!c->destroyed)
		tmr_start(&c->empty_tmr, 0, empty_check, c);
}

void conf_idle_check(struct conf *c)
{
	if (c->destroyed || !c->policy->idle_timeout_s || !conf_empty(c) ||
	    !conf_may_end(c)) {
		tmr_cancel(&c->idle_tmr);
		return;
	}
	if (!tmr_isrunning(&c->idle_tmr))
		tmr_start(&c->idle_tmr, c->policy->idle_timeout_s * 1000ull,
			  idle_reached, c);
}

static bool entry_mutes(const struct policy_user *u)
{
	return u && (u->muted || !strcmp(u->role, "listener"));
}

/* One participant against the new policy (and the old one, to act on
 * what changed only) */
static void enforce_part(struct conf *c, struct participant *p,
			 const struct policy *old)
{
	const struct policy_user *u = policy_user_find(c->policy, p->uri);
	const struct policy_user *ou = old ? policy_user_find(old, p->uri) :
		NULL;

	/* no longer allowed: ejected (someone dialled out to while the
	 * policy did not list them either is left alone) */
	if (old && policy_member(old, p->uri) &&
	    !policy_member(c->policy, p->uri)) {
		log_info("conf", "msg=\"no longer allowed by the policy, "
			 "ejecting\" conf=%s pid=%s uri=%s", c->id, p->pid,
			 p->uri);
		part_remove_by(p, "policy");
		return;
	}
	/* without an entry a role given otherwise (the factory's
	 * administrator) stays */
	if (u)
		part_set_role(p, u->role);
	part_set_privacy(p, u && u->anonymous, u && u->hidden);
	part_mixing_apply(p);            /* who mixes for it */
	/* muted by the entry (its flag, or the listener role): when that
	 * changes, so does the participant's mute (not for those waiting);
	 * a listener made a participant is heard again */
	if (old && !p->privacy.pending && entry_mutes(u) != entry_mutes(ou)) {
		struct part_settings s = p->set;

		s.muted = entry_mutes(u);
		(void)part_settings_set(p, &s);
	}
}

/* The records of the entries that must be present and newly say so,
 * made before the policy changes: the one step that can fail, so that
 * conf_set_policy() then fails with nothing changed */
static int invitees_make(struct conf *c, const struct policy *np,
			 const struct policy *old, struct list *made)
{
	/* a change another node made (conf_sync.c): that node calls its
	 * invitees, not every node that has the conference */
	if (c->cs->syncing)
		return 0;
	for (size_t i = 0; i < np->nusers; i++) {
		const struct policy_user *u = &np->users[i];
		const struct policy_user *ou = policy_user_find(old, u->aor);
		struct participant *p;
		int err;

		if (!u->invite || (ou && ou->invite))
			continue;
		err = part_make(c, &(struct part_new){.uri = u->aor,
				.dial_out = true}, &p);
		if (err) {
			list_flush(made);
			return err;
		}
		list_append(made, &p->le, p);
	}
	return 0;
}

/* ... then entered, those not there or on their way by now: the focus
 * calls them */
static void invitees_enter(struct conf *c, struct list *made)
{
	struct le *le;

	while ((le = list_head(made))) {
		struct participant *np = le->data;
		struct participant *p = conf_find_uri(c, np->uri, false);

		list_unlink(le);
		/* enforcing may have ended the conference (its last one
		 * ejected, destroy_on_last_leave) */
		if (c->destroyed ||
		    (p && p->status != PART_FAILED && !p->removing)) {
			mem_deref(np);
			continue;
		}
		log_info("conf", "msg=\"policy invites\" conf=%s uri=%s",
			 c->id, np->uri);
		part_enter(np, &(struct part_new){.uri = np->uri,
			   .dial_out = true});
	}
}

void conf_policy_enforce(struct conf *c, const struct policy *old)
{
	int64_t now = (int64_t)time(NULL);
	struct le *le = c->parts.head;

	tmr_cancel(&c->end_tmr);
	if (c->policy->end && !c->destroyed) {
		uint64_t ms = c->policy->end > now ?
			(uint64_t)(c->policy->end - now) * 1000 : 0;

		tmr_start(&c->end_tmr, ms, end_reached, c);
	}
	while (le) {
		struct participant *p = le->data;

		le = le->next;
		/* a cascade link is the cluster's, not a caller the
		 * policy admitted: a closed policy must not end it */
		if (p->status != PART_FAILED && !p->removing &&
		    p->link == PART_LINK_NONE)
			enforce_part(c, p, old);
	}
	conf_idle_check(c);
}

int conf_set_policy(struct conf *c, const struct policy *np)
{
	struct policy *old = c->policy, *p;
	struct list invited = LIST_INIT;
	int err;

	if (c->destroyed)
		return ENOENT;
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p)
		return ENOMEM;
	*p = *np;
	err = invitees_make(c, p, old, &invited);
	if (err) {
		mem_deref(p);
		return err;
	}
	c->policy = p;
	if (conf_settings_save(c)) {         /* stored first */
		c->policy = old;
		list_flush(&invited);
		mem_deref(p);
		return EIO;
	}
	log_info("conf", "msg=\"policy changed\" conf=%s rules=%zu users=%zu "
		 "locked=%d max=%u", c->id, p->nrules, p->nusers, p->locked,
		 p->max_participants);
	mem_ref(c);             /* enforcing may end the conference */
	conf_policy_enforce(c, old);
	invitees_enter(c, &invited);
	mem_deref(old);
	conf_changed(c);
	conf_reconcile(c);
	mem_deref(c);
	return 0;
}

unsigned conf_present_count(const struct conf *c)
{
	return c->npresent;            /* kept by part_counts */
}

unsigned conf_whisper_recount(const struct conf *c)
{
	unsigned n = 0;

	for (struct le *le = c->parts.head; le; le = le->next)
		if (((const struct participant *)le->data)->whisper[0])
			n++;
	return n;
}

unsigned conf_present_recount(const struct conf *c)
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

void part_entry_apply(struct participant *p)
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
}

static void pending_expired(void *arg)
{
	struct participant *p = arg;

	log_info("conf", "msg=\"pending join expired\" conf=%s pid=%s uri=%s",
		 p->conf->id, p->pid, p->uri);
	part_remove(p);             /* treated as rejected: BYE */
}

void part_pending_start(struct participant *p, uint32_t timeout_s)
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
	p->settings_dirty = true;        /* one change with the above */
	log_info("conf", "msg=\"pending join approved\" conf=%s pid=%s",
		 p->conf->id, p->pid);
	conf_part_changed(p);
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
