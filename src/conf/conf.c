/*
 * Conferences, rosters and the reconciler (see conf.h). Signalling thread.
 *
 * Ownership: the registry holds one reference to each live conference;
 * each participant holds one to its conference, so a destroyed conference
 * lives on, unlisted, until its last call has ended.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf/conf_int.h"
#include "store/store.h"
#include "util/log.h"

static void confs_destructor(void *arg)
{
	struct confs *cs = arg;
	struct le *le;

	/* participants hold a reference to their conference and the
	 * conference's list holds them: drop the participants first, or
	 * neither is ever freed */
	while ((le = list_head(&cs->confl))) {
		struct conf *c = le->data;

		list_unlink(le);
		list_flush(&c->parts);
		mem_deref(c);
	}
	mem_deref(cs->domain);
	mem_deref(cs->http_base);
	mem_deref(cs->node);
}

int confs_alloc(struct confs **csp, const struct confs_cfg *cfg,
		struct store *store)
{
	struct confs *cs = mem_zalloc(sizeof(*cs), confs_destructor);
	int err;

	if (!cs)
		return ENOMEM;
	cs->store = store;
	err = str_dup(&cs->domain, cfg->domain);
	err |= str_dup(&cs->http_base, cfg->http_base);
	/* clustered (conf_remote.h): its name */
	if (cfg->node && cfg->node[0])
		err |= str_dup(&cs->node, cfg->node);
	if (err) {
		mem_deref(cs);
		return ENOMEM;
	}
	*csp = cs;
	return 0;
}

void confs_set_ops(struct confs *cs, const struct conf_ops *ops, void *arg)
{
	cs->ops = ops;
	cs->ops_arg = arg;
}

int confs_add_change_handler(struct confs *cs, conf_change_h *h, void *arg)
{
	for (size_t i = 0; i < CONF_MAX_OBSERVERS; i++) {
		if (!cs->obs[i].h) {
			cs->obs[i].h = h;
			cs->obs[i].arg = arg;
			return 0;
		}
	}
	return ENOSPC;
}

void confs_set_dtmf_handler(struct confs *cs, conf_dtmf_h *h, void *arg)
{
	cs->dtmf_h = h;
	cs->dtmf_arg = arg;
}

void confs_set_level_handler(struct confs *cs, conf_level_h *h, void *arg)
{
	cs->level_h = h;
	cs->level_arg = arg;
}

void confs_remove_change_handler(struct confs *cs, conf_change_h *h,
				 void *arg)
{
	for (size_t i = 0; i < CONF_MAX_OBSERVERS; i++)
		if (cs->obs[i].h == h && cs->obs[i].arg == arg)
			cs->obs[i].h = NULL;
}

static void observers(struct conf *c, bool destroyed)
{
	for (size_t i = 0; i < CONF_MAX_OBSERVERS; i++)
		if (c->cs->obs[i].h)
			c->cs->obs[i].h(c, destroyed, c->cs->obs[i].arg);
}

static void conf_destructor(void *arg)
{
	struct conf *c = arg;

	tmr_cancel(&c->end_tmr);
	tmr_cancel(&c->idle_tmr);
	tmr_cancel(&c->empty_tmr);
	tmr_cancel(&c->breakout_tmr);
	list_unlink(&c->le);
	list_flush(&c->parts);
	list_flush(&c->msgs);
	list_flush(&c->remotes);      /* other nodes' shares (conf_remote.c) */
	sidebars_flush(c);
	conf_floor_flush(c);
	conf_video_flush(c);
	mem_deref(c->mediapol);
	mem_deref(c->policy);
	mem_deref(c->id);
	mem_deref(c->uri);
	mem_deref(c->policy_uri);
	mem_deref(c->display_text);
	mem_deref(c->recording);
	mem_deref(c->created_by);
}

bool conf_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	/* the id is the user part of a SIP URI and a URL path segment:
	 * keep to characters that need no escaping in either */
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

static int conf_new(struct confs *cs, const char *id, const char *dt,
		    int64_t created, struct conf **cp)
{
	struct conf *c = mem_zalloc(sizeof(*c), conf_destructor);
	int err;

	if (!c)
		return ENOMEM;
	c->cs = cs;
	c->created_at = created;
	c->room = ++cs->next_room;
	c->version = 1;
	tmr_init(&c->end_tmr);
	tmr_init(&c->idle_tmr);
	c->policy = mem_zalloc(sizeof(*c->policy), NULL);
	if (!c->policy) {
		mem_deref(c);
		return ENOMEM;
	}
	policy_default(c->policy);
	tmr_init(&c->breakout_tmr);
	tmr_init(&c->empty_tmr);
	c->mediapol = mem_zalloc(sizeof(*c->mediapol), NULL);
	if (!c->mediapol) {
		mem_deref(c);
		return ENOMEM;
	}
	mediapol_default(c->mediapol);
	c->floor.mode = FLOOR_MODE_CHAIR;
	c->floor.max_holders = 1;
	re_snprintf(c->audio, sizeof(c->audio), "sendrecv");
	conf_video_init(c);
	err = str_dup(&c->id, id);
	err |= str_dup(&c->display_text, dt ? dt : "");
	err |= re_sdprintf(&c->uri, "sip:%s@%s", id, cs->domain);
	err |= re_sdprintf(&c->policy_uri, "%s/v1/conferences/%s",
			   cs->http_base, id);
	if (err) {
		mem_deref(c);
		return ENOMEM;
	}
	list_append(&cs->confl, &c->le, c);
	*cp = c;
	return 0;
}

int conf_load_stored(const struct store_conf *sc, void *arg)
{
	struct conf *c = NULL;
	int err = conf_new(arg, sc->id, sc->display_text, sc->created_at, &c);

	err = err ? err : conf_settings_apply(c, sc->settings);
	if (err) {
		/* not with the defaults (an open policy where a closed one is
		 * stored): not at all, and the start fails saying so */
		mem_deref(c);
		return err;
	}
	conf_policy_enforce(c, NULL);
	return 0;
}

int confs_load(struct confs *cs)
{
	return store_conf_foreach(cs->store, conf_load_stored, cs);
}

static bool id_cmp(struct le *le, void *arg)
{
	const struct conf *c = le->data;

	return !strcmp(c->id, arg);
}

struct conf *confs_lookup(const struct confs *cs, const char *id)
{
	if (!id)
		return NULL;
	return list_ledata(list_apply(&cs->confl, true, id_cmp, (void *)id));
}

struct conf *confs_apply(const struct confs *cs, conf_apply_h *h, void *arg)
{
	for (struct le *le = cs->confl.head; le; le = le->next)
		if (h(le->data, arg))
			return le->data;
	return NULL;
}

unsigned confs_count(const struct confs *cs)
{
	return list_count(&cs->confl);
}

unsigned confs_participant_count(const struct confs *cs)
{
	unsigned n = 0;

	for (struct le *le = cs->confl.head; le; le = le->next)
		n += conf_participant_count(le->data);
	return n;
}

static void observers(struct conf *c, bool destroyed);

static void random_id(char *buf, size_t n)
{
	/* no vowels-only confusion: lower case letters and digits */
	static const char set[] = "abcdefghijkmnpqrstuvwxyz23456789";

	for (size_t i = 0; i + 1 < n; i++)
		buf[i] = set[rand_u32() % (sizeof(set) - 1)];
	buf[n - 1] = '\0';
}

int conf_create(struct confs *cs, const char *id, const char *display_text,
		struct conf **cp)
{
	char rid[11];
	struct store_conf sc = {0};
	int err, tries = 0;

	if (id && !conf_id_valid(id))
		return EINVAL;
	do {
		if (!id || tries) {
			random_id(rid, sizeof(rid));
			sc.id = rid;
		}
		else {
			sc.id = id;
		}
		sc.display_text = display_text;
		sc.created_at = (int64_t)time(NULL);
		/* the store first: nothing is live that is not stored */
		err = store_conf_insert(cs->store, &sc);
	} while (err == EEXIST && !id && ++tries < 5);
	if (err)
		return err;
	err = conf_new(cs, sc.id, display_text, sc.created_at, cp);
	if (err) {
		(void)store_conf_delete(cs->store, sc.id);
		return err;
	}
	log_info("conf", "msg=\"created\" conf=%s", sc.id);
	observers(*cp, false);
	return 0;
}

int conf_create_adhoc(struct confs *cs, const char *display_text,
		      struct conf **cp)
{
	char rid[11];
	int err, tries = 0;

	do {
		random_id(rid, sizeof(rid));
	} while (confs_lookup(cs, rid) && ++tries < 5);
	if (confs_lookup(cs, rid))
		return EEXIST;
	err = conf_new(cs, rid, display_text, (int64_t)time(NULL), cp);
	if (err)
		return err;
	(*cp)->adhoc = true;
	log_info("conf", "msg=\"created\" conf=%s adhoc=1", rid);
	observers(*cp, false);
	return 0;
}

bool conf_adhoc(const struct conf *c)
{
	return c->adhoc;
}

int conf_destroy(struct conf *c)
{
	int err = store_conf_delete(c->cs->store, c->id);

	if (err && err != ENOENT)
		return err;
	log_info("conf", "msg=\"destroyed\" conf=%s participants=%u", c->id,
		 conf_participant_count(c));
	c->destroyed = true;
	tmr_cancel(&c->end_tmr);
	tmr_cancel(&c->idle_tmr);
	tmr_cancel(&c->empty_tmr);
	tmr_cancel(&c->breakout_tmr);
	conf_video_flush(c);
	list_unlink(&c->le);
	observers(c, true);
	/* the registry's reference moves to this function for the reconcile,
	 * then goes; participants still holding one keep c alive */
	conf_reconcile(c);
	mem_deref(c);
	return 0;
}

void confs_hangup_all(struct confs *cs)
{
	struct le *le = cs->confl.head;

	while (le) {
		struct conf *c = le->data;

		le = le->next;
		for (struct le *pl = c->parts.head; pl; pl = pl->next) {
			struct participant *p = pl->data;

			p->removing = true;
			part_counts(p);
		}
		conf_reconcile(c);
	}
}

const char *conf_id(const struct conf *c) { return c->id; }
const char *conf_uri(const struct conf *c) { return c->uri; }
const char *conf_policy_uri(const struct conf *c) { return c->policy_uri; }
const char *conf_display_text(const struct conf *c) { return c->display_text; }
int64_t conf_created_at(const struct conf *c) { return c->created_at; }
const char *conf_created_by(const struct conf *c)
{
	return c->created_by;
}

int conf_set_created_by(struct conf *c, const char *by)
{
	char *s = NULL;

	if ((!by && !c->created_by) ||
	    (by && c->created_by && !strcmp(by, c->created_by)))
		return 0;
	if (by && str_dup(&s, by))
		return ENOMEM;
	mem_deref(c->created_by);
	c->created_by = s;
	(void)conf_settings_save(c);    /* kept with the settings */
	conf_changed(c);
	return 0;
}
uint32_t conf_room(const struct conf *c) { return c->room; }
uint32_t conf_version(const struct conf *c) { return c->version; }

bool conf_destroyed(const struct conf *c)
{
	return c->destroyed;
}

unsigned conf_participant_count(const struct conf *c)
{
	return list_count(&c->parts);
}

struct participant *conf_apply_parts(const struct conf *c, part_apply_h *h,
				     void *arg)
{
	struct le *le = c->parts.head;

	while (le) {
		struct participant *p = le->data;

		le = le->next;
		if (h(p, arg))
			return p;
	}
	return NULL;
}

static bool pid_cmp(struct le *le, void *arg)
{
	const struct participant *p = le->data;

	return !strcmp(p->pid, arg);
}

struct participant *conf_find_part(const struct conf *c, const char *pid)
{
	return list_ledata(list_apply(&c->parts, true, pid_cmp, (void *)pid));
}

static void changed_by(struct conf *c, struct participant *p)
{
	struct participant *outer = c->changed;

	c->version++;
	c->changed = p;                  /* a nested change says its own */
	observers(c, false);
	c->changed = outer;
}

void conf_changed(struct conf *c)
{
	changed_by(c, NULL);
}

void conf_part_changed(struct participant *p)
{
	changed_by(p->conf, p);
}

struct participant *conf_changed_part(const struct conf *c)
{
	return c->changed;
}

/* One pass: compare what should be with what is, act on the difference.
 * An action may call back into this module (part_gone from a hangup that
 * completes at once), which asks for another pass instead of recursing. */
static void reconcile_pass(struct conf *c)
{
	const struct conf_ops *ops = c->cs->ops;
	void *arg = c->cs->ops_arg;
	struct le *le = c->parts.head;

	while (le) {
		struct participant *p = le->data;
		bool leave = c->destroyed || p->removing;

		le = le->next;
		if (leave && !p->ep) {
			/* nothing live: a failed or never-dialled entry */
			part_gone(p, 0, NULL);
			continue;
		}
		if (leave && !p->hangup_sent) {
			p->hangup_sent = true;
			part_set_status(p, PART_DISCONNECTING);
			if (ops)
				ops->hangup(p, arg);
			continue;
		}
		if (leave)
			continue;
		if (p->dial_out && !p->dial_started) {
			int err;

			p->dial_started = true;
			err = ops ? ops->dial(p, arg) : ENOSYS;
			if (err) {
				log_warn("conf", "msg=\"dial-out failed\" "
					 "conf=%s uri=%s err=%s", c->id,
					 p->uri, strerror(err));
				part_gone(p, 0, strerror(err));
			}
			continue;
		}
		if (p->reoffer && p->ep) {
			p->reoffer = false;
			if (ops && ops->reoffer)
				ops->reoffer(p, arg);
		}
		if (p->settings_dirty && p->ep) {
			p->settings_dirty = false;
			if (ops)
				ops->media(p, arg);
		}
	}
	if (c->vid_dirty && !c->destroyed) {
		c->vid_dirty = false;
		if (ops && ops->video)
			ops->video(c, arg);
	}
}

void conf_reconcile(struct conf *c)
{
	if (c->reconciling) {
		c->again = true;
		return;
	}
	mem_ref(c);
	c->reconciling = true;
	do {
		c->again = false;
		reconcile_pass(c);
	} while (c->again);
	c->reconciling = false;
	mem_deref(c);
}

struct participant *conf_find_uri(const struct conf *c, const char *uri,
				  bool live)
{
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		if (strcmp(p->uri, uri))
			continue;
		if (live && (!p->ep || (p->status != PART_CONNECTED &&
					p->status != PART_ON_HOLD)))
			continue;
		return p;
	}
	return NULL;
}
