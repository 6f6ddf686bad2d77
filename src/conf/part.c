/*
 * Participants (see part.h): their lifecycle in a conference's roster
 * (added, leaving, gone or failed and lingering) and the setters that are
 * the only way their visible state changes. Each setter compares, and
 * bumps the conference's version (conf_changed) only for a real change.
 * Called by the sip and api modules and by the rest of conf; signalling
 * thread only.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf/conf_int.h"
#include "util/log.h"

/* how long a failed participant stays in the roster for the API to show */
#define FAILED_LINGER_MS (300 * 1000)

static void part_destructor(void *arg)
{
	struct participant *p = arg;

	tmr_cancel(&p->linger);
	tmr_cancel(&p->pend_tmr);
	list_unlink(&p->le);
	part_counts(p);
	mem_deref(p->uri);
	mem_deref(p->display);
	mem_deref(p->fail_reason);
	mem_deref(p->referred_by);
	mem_deref(p->removed_by);
	mem_deref(p->conf);
}

/* a copy of s, or NULL for NULL or "" */
static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	return s && s[0] ? str_dup(dst, s) : 0;
}

int part_make(struct conf *c, const struct part_new *n,
	      struct participant **pp)
{
	struct participant *p;
	int err;

	if (!n->uri)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), part_destructor);
	if (!p)
		return ENOMEM;
	p->conf = mem_ref(c);
	tmr_init(&p->linger);
	tmr_init(&p->pend_tmr);
	err = str_dup(&p->uri, n->uri);
	err = err ? err : str_dup(&p->display, n->display ? n->display : "");
	err = err ? err : dup_opt(&p->referred_by, n->referred_by);
	if (err) {
		mem_deref(p);
		return err;
	}
	p->dial_out = n->dial_out;
	p->status = n->dial_out ? PART_DIALING_OUT : PART_DIALING_IN;
	if (n->contact)
		re_snprintf(p->dialog.contact, sizeof(p->dialog.contact), "%s",
			    n->contact);
	*pp = p;
	return 0;
}

void part_enter(struct participant *p, const struct part_new *n)
{
	struct conf *c = p->conf;

	re_snprintf(p->pid, sizeof(p->pid), "%u", ++c->next_pid);
	p->joined_at = (int64_t)time(NULL);
	p->status_since = p->joined_at;
	part_entry_apply(p);             /* the policy as it is now */
	/* a caller keys the conference's PIN, and says its name, first
	 * (the applications' lobby); those we call do not */
	if (!p->dial_out && (c->policy->apps.pin[0] ||
			     c->policy->apps.moderator_pin[0] ||
			     c->policy->apps.name || c->lobby_only)) {
		p->privacy.lobby = true;
		p->settings_dirty = true;
	}
	if (n->role)
		re_snprintf(p->role, sizeof(p->role), "%s", n->role);
	if (n->sidebar && n->sidebar->conf == c)
		p->sidebar = n->sidebar;
	if (n->pending)
		part_pending_start(p, n->pending_timeout_s);
	list_append(&c->parts, &p->le, p);
	part_counts(p);
	conf_idle_check(c);
	conf_part_changed(p);            /* the join is one change */
}

int part_add(struct conf *c, const struct part_new *n,
	     struct participant **pp)
{
	struct participant *p;
	int err;

	if (c->destroyed)
		return ENOENT;
	err = part_make(c, n, &p);
	if (err)
		return err;
	part_enter(p, n);
	if (pp)
		*pp = p;
	return 0;
}

void part_remove(struct participant *p)
{
	p->removing = true;
	part_counts(p);
	conf_reconcile(p->conf);
}

void part_remove_by(struct participant *p, const char *by)
{
	mem_deref(p->removed_by);
	p->removed_by = NULL;
	if (by)
		(void)str_dup(&p->removed_by, by);
	part_remove(p);
}

static void linger_expired(void *arg)
{
	struct participant *p = arg;

	/* out of the roster before the observers look (a reference held
	 * elsewhere must not keep it listed) */
	list_unlink(&p->le);
	part_counts(p);
	conf_part_changed(p);
	mem_deref(p);
}

static void mark_failed(struct participant *p, uint16_t scode,
			const char *reason)
{
	struct conf *c = p->conf;

	/* keep it listed so the API can say why it failed */
	p->status = PART_FAILED;
	part_counts(p);
	p->status_since = (int64_t)time(NULL);
	p->fail_code = scode;
	mem_deref(p->fail_reason);
	p->fail_reason = NULL;
	if (reason)
		(void)str_dup(&p->fail_reason, reason);
	log_info("conf", "msg=\"call failed\" conf=%s pid=%s uri=%s code=%u "
		 "reason=\"%s\"", c->id, p->pid, p->uri, scode,
		 reason ? reason : "");
	tmr_start(&p->linger, FAILED_LINGER_MS, linger_expired, p);
	conf_part_changed(p);  /* observers see it failed */
}

static void gone(struct participant *p, uint16_t scode, const char *reason,
		 bool failed)
{
	struct conf *c = p->conf;

	p->ep = NULL;
	if (failed) {
		conf_video_part_gone(p);   /* off the screens at once */
		mark_failed(p, scode, reason);
		return;
	}
	log_info("conf", "msg=\"left\" conf=%s pid=%s uri=%s", c->id, p->pid,
		 p->uri);
	list_unlink(&p->le);           /* observers see it gone */
	part_counts(p);
	conf_part_changed(p);
	conf_mix_part_gone(p);         /* whispers to it end */
	conf_floor_part_gone(p);       /* its floor requests too */
	conf_video_part_gone(p);       /* and its place on screens */
	/* p may hold the last reference to a destroyed conference */
	mem_ref(c);
	mem_deref(p);
	if ((c->adhoc || c->policy->destroy_on_last_leave) &&
	    !c->destroyed && conf_empty(c) && conf_may_end(c)) {
		log_info("conf", "msg=\"conference empty, destroying\" "
			 "conf=%s adhoc=%d", c->id, c->adhoc);
		(void)conf_destroy(c);
	}
	conf_idle_check(c);            /* nothing for a destroyed one */
	mem_deref(c);
}

void part_gone(struct participant *p, uint16_t scode, const char *reason)
{
	gone(p, scode, reason, p->dial_out && p->status != PART_CONNECTED &&
	     p->status != PART_ON_HOLD && p->status != PART_DISCONNECTING &&
	     !p->removing && !p->conf->destroyed);
}

void part_failed(struct participant *p, uint16_t scode, const char *reason)
{
	gone(p, scode, reason, !p->removing && !p->conf->destroyed);
}

void part_counts(struct participant *p)
{
	struct conf *c = p->conf;
	bool listed = p->le.list == &c->parts;
	bool present = listed && p->status != PART_FAILED && !p->removing;
	bool whisper = listed && p->whisper[0];

	if (present != p->in_present) {
		p->in_present = present;
		if (present)
			c->npresent++;
		else
			c->npresent--;
	}
	if (whisper != p->in_whisper) {
		p->in_whisper = whisper;
		if (whisper)
			c->nwhisper++;
		else
			c->nwhisper--;
	}
}

void part_set_status(struct participant *p, enum part_status st)
{
	if (p->status == st)
		return;
	if (st == PART_CONNECTED && p->status != PART_ON_HOLD)
		log_info("conf", "msg=\"joined\" conf=%s pid=%s uri=%s",
			 p->conf->id, p->pid, p->uri);
	p->status = st;
	part_counts(p);
	p->status_since = (int64_t)time(NULL);
	conf_part_changed(p);
}

bool part_settings_set(struct participant *p, const struct part_settings *s)
{
	if (p->set.muted == s->muted && p->set.deaf == s->deaf &&
	    p->set.gain_in_db == s->gain_in_db &&
	    p->set.gain_out_db == s->gain_out_db)
		return false;
	p->set = *s;
	p->settings_dirty = true;        /* the reconciler tells the mixer */
	conf_part_changed(p);
	return true;
}

void part_update_settings(struct participant *p,
			  const struct part_settings *s)
{
	if (part_settings_set(p, s))
		conf_reconcile(p->conf);
}

void part_set_media(struct participant *p, const struct part_media *m)
{
	const struct part_media *o = &p->media;

	if (!strcmp(o->codec, m->codec) && !strcmp(o->remote, m->remote) &&
	    o->local_port == m->local_port &&
	    !strcmp(o->direction, m->direction) && o->tx_ssrc == m->tx_ssrc &&
	    !strcmp(o->encryption, m->encryption))
		return;
	p->media = *m;
	conf_part_changed(p);
}

void part_set_dialog(struct participant *p, const struct part_dialog *d)
{
	const struct part_dialog *o = &p->dialog;

	if (!strcmp(o->call_id, d->call_id) &&
	    !strcmp(o->from_tag, d->from_tag) &&
	    !strcmp(o->to_tag, d->to_tag) && !strcmp(o->contact, d->contact))
		return;
	p->dialog = *d;
	conf_part_changed(p);
}

void part_set_privacy(struct participant *p, bool anonymous, bool hidden)
{
	if (p->privacy.anonymous == anonymous && p->privacy.hidden == hidden)
		return;
	p->privacy.anonymous = anonymous;
	p->privacy.hidden = hidden;
	conf_part_changed(p);
}

void part_set_role(struct participant *p, const char *role)
{
	if (!role)
		role = "";
	if (!strcmp(p->role, role))
		return;
	re_snprintf(p->role, sizeof(p->role), "%s", role);
	p->settings_dirty = true;        /* listeners are not mixed */
	conf_part_changed(p);
	/* relations that name it may now decide otherwise */
	conf_mix_named(p);
}

void part_mixing_apply(struct participant *p)
{
	enum part_mixing m = p->mixes_self &&
		policy_self_mixing(p->conf->policy, p->uri) ?
		PART_MIXING_SELF : PART_MIXING_FOCUS;

	if (p->mixing == m)
		return;
	p->mixing = m;
	log_info("conf", "msg=\"mixing\" conf=%s pid=%s mode=%s",
		 p->conf->id, p->pid, part_mixing_name(m));
	p->settings_dirty = true;        /* the mixer: streams or a mix */
	conf_part_changed(p);
}

void part_set_mixing(struct participant *p, bool mixes_self)
{
	p->mixes_self = mixes_self;
	part_mixing_apply(p);
}

void part_set_multicast(struct participant *p, bool on)
{
	if (p->mcast == on)
		return;
	p->mcast = on;
	log_info("conf", "msg=\"multicast\" conf=%s pid=%s on=%d",
		 p->conf->id, p->pid, on);
	conf_part_changed(p);
}

bool part_multicast(const struct participant *p)
{
	return p->mcast;
}

enum part_mixing part_mixing(const struct participant *p)
{
	return p->mixing;
}

const char *part_mixing_name(enum part_mixing m)
{
	return m == PART_MIXING_SELF ? "self" : "focus";
}

void part_set_talking(struct participant *p, bool talking)
{
	if (p->talking == talking)
		return;
	p->talking = talking;
	if (log_enabled(LOG_DEBUG))
		log_dbg("conf", "msg=\"talking\" conf=%s pid=%s talking=%d",
			p->conf->id, p->pid, talking);
	conf_part_changed(p);
	conf_video_talking(p);          /* who is shown */
}

void part_set_stats(struct participant *p, const struct part_stats *st)
{
	p->stats = *st;
}

void part_level(struct participant *p, uint8_t level_dbov)
{
	struct confs *cs = p->conf->cs;

	if (cs->level_h)
		cs->level_h(p, level_dbov > 127 ? 127 : level_dbov,
			    cs->level_arg);
}

void part_set_lobby(struct participant *p, bool lobby)
{
	if (p->privacy.lobby == lobby)
		return;
	p->privacy.lobby = lobby;
	p->settings_dirty = true;        /* the mixer: heard, hearing */
	conf_part_changed(p);
	conf_reconcile(p->conf);
}

void part_set_hand(struct participant *p, bool raised)
{
	if (p->hand == raised)
		return;
	p->hand = raised;
	if (raised) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		p->hand_since = (int64_t)ts.tv_sec * 1000 +
			ts.tv_nsec / 1000000;
	}
	conf_part_changed(p);
	/* with floor control, a raised hand is a request for the floor */
	conf_floor_hand(p, raised);
}

bool part_hand(const struct participant *p) { return p->hand; }

void part_set_stream(struct participant *p, uint32_t id)
{
	if (p->stream == id)
		return;
	p->stream = id;
	/* others' relations and whispers name streams */
	conf_mix_named(p);
}

uint32_t part_stream(const struct participant *p) { return p->stream; }

void part_dtmf(struct participant *p, char digit)
{
	struct confs *cs = p->conf->cs;

	if (!strchr("0123456789*#ABCD", digit) || !digit || !cs->dtmf_h)
		return;
	cs->dtmf_h(p, digit, cs->dtmf_arg);
}

int part_move(struct participant *p, struct conf *to)
{
	struct confs *cs = p->conf->cs;

	if (to == p->conf || to->destroyed || !p->ep || !cs->ops ||
	    !cs->ops->move)
		return EINVAL;
	return cs->ops->move(p, to, cs->ops_arg);
}

void part_set_ep(struct participant *p, void *ep) { p->ep = ep; }
void *part_ep(const struct participant *p) { return p->ep; }

const char *part_id(const struct participant *p) { return p->pid; }
const char *part_uri(const struct participant *p) { return p->uri; }
const char *part_display(const struct participant *p) { return p->display; }
struct conf *part_conf(const struct participant *p) { return p->conf; }
enum part_status part_status(const struct participant *p) { return p->status; }
bool part_dial_out(const struct participant *p) { return p->dial_out; }
uint16_t part_fail_code(const struct participant *p) { return p->fail_code; }
bool part_talking(const struct participant *p) { return p->talking; }
int64_t part_joined_at(const struct participant *p) { return p->joined_at; }

const char *part_fail_reason(const struct participant *p)
{
	return p->fail_reason;
}

const struct part_settings *part_settings(const struct participant *p)
{
	return &p->set;
}

const struct part_media *part_media(const struct participant *p)
{
	return &p->media;
}

const struct part_dialog *part_dialog(const struct participant *p)
{
	return &p->dialog;
}

const struct part_privacy *part_privacy(const struct participant *p)
{
	return &p->privacy;
}

const struct part_stats *part_stats(const struct participant *p)
{
	return &p->stats;
}

int64_t part_status_since(const struct participant *p)
{
	return p->status_since;
}

const char *part_role(const struct participant *p)
{
	return p->role[0] ? p->role : "participant";
}

const char *part_referred_by(const struct participant *p)
{
	return p->referred_by;
}

const char *part_removed_by(const struct participant *p)
{
	return p->removed_by;
}

bool part_in_conf(const struct participant *p)
{
	return p->le.list != NULL;
}

const char *part_status_name(enum part_status st)
{
	static const char *names[] = {
		"dialing-in", "dialing-out", "alerting", "connected",
		"on-hold", "disconnecting", "failed",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ?
		names[st] : "unknown";
}
