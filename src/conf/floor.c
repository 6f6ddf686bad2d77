/*
 * Floors (floor.h): the audio floor's policy, its requests in order, and
 * the decisions that move them: a chair's, the automatic policy's, a
 * grant's time limit, the beneficiary letting go or leaving. After every
 * change floor_settle() grants what the automatic policy grants, numbers
 * the queue, tells the participants who hold the floor that they are
 * heard (their mixing), tells the floor handler of each request whose
 * status or place changed, and forgets the ended ones. Signalling
 * thread only.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf/conf_int.h"
#include "util/log.h"

struct floor_request {
	struct le le;
	struct conf *conf;          /* no reference: it lives in c's list */
	uint16_t id;
	unsigned floorid;
	enum floor_status status, told_status;
	unsigned qpos, told_qpos;
	struct participant *p;      /* no reference: its requests end
				     * when it leaves */
	struct participant *by;
	uint8_t priority;
	char info[FLOOR_INFO_MAX];
	char status_info[FLOOR_INFO_MAX];
	int64_t since_ms, granted_ms;
	struct tmr limit_tmr;
};

static const char *const status_names[] = {
	[FLOOR_PENDING] = "pending", [FLOOR_ACCEPTED] = "accepted",
	[FLOOR_GRANTED] = "granted", [FLOOR_DENIED] = "denied",
	[FLOOR_CANCELLED] = "cancelled", [FLOOR_RELEASED] = "released",
	[FLOOR_REVOKED] = "revoked",
};

const char *floor_status_name(enum floor_status st)
{
	return st >= FLOOR_PENDING && st <= FLOOR_REVOKED ?
		status_names[st] : "?";
}

bool floor_status_final(enum floor_status st)
{
	return st == FLOOR_DENIED || st == FLOOR_CANCELLED ||
		st == FLOOR_RELEASED || st == FLOOR_REVOKED;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void req_destructor(void *arg)
{
	struct floor_request *r = arg;

	tmr_cancel(&r->limit_tmr);
	list_unlink(&r->le);
}

const struct floor_policy *conf_floor_policy(const struct conf *c,
					     unsigned floorid)
{
	return floorid == FLOOR_AUDIO ? &c->floor : NULL;
}

static bool waiting(const struct floor_request *r)
{
	return r->status == FLOOR_PENDING || r->status == FLOOR_ACCEPTED;
}

/* The floor's order: holders by grant time, then the queue by priority
 * (highest first) and age */
static bool before(const struct floor_request *a,
		   const struct floor_request *b)
{
	bool ga = a->status == FLOOR_GRANTED, gb = b->status == FLOOR_GRANTED;

	if (ga != gb)
		return ga;
	if (ga)
		return a->granted_ms < b->granted_ms ||
			(a->granted_ms == b->granted_ms && a->id < b->id);
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->since_ms < b->since_ms ||
		(a->since_ms == b->since_ms && a->id < b->id);
}

static void sort(struct conf *c)
{
	struct floor_request *v[FLOOR_QUEUE_MAX + FLOOR_MAX_HOLDERS + 8];
	size_t n = 0;
	struct le *le;

	/* insertion into an array (the queue and the holders are short),
	 * then back into the list in order (libre's elements know their
	 * list: they are moved, never the list copied) */
	while ((le = list_head(&c->floor_reqs)) && n < ARRAY_SIZE(v)) {
		struct floor_request *r = le->data;
		size_t i = n++;

		list_unlink(le);
		while (i > 0 && before(r, v[i - 1])) {
			v[i] = v[i - 1];
			i--;
		}
		v[i] = r;
	}
	for (size_t i = n; i > 0; i--)
		list_prepend(&c->floor_reqs, &v[i - 1]->le, v[i - 1]);
}

unsigned conf_floor_holders(const struct conf *c, unsigned floorid)
{
	unsigned n = 0;

	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		const struct floor_request *r = le->data;

		n += r->floorid == floorid && r->status == FLOOR_GRANTED;
	}
	return n;
}

static void limit_over(void *arg);

static void grant(struct floor_request *r)
{
	const struct floor_policy *fp = &r->conf->floor;

	r->status = FLOOR_GRANTED;
	r->granted_ms = now_ms();
	if (fp->limit_s)
		tmr_start(&r->limit_tmr, (uint64_t)fp->limit_s * 1000,
			  limit_over, r);
}

/*
 * After a change: the automatic policy grants what it may, the queue is
 * numbered, the holders are heard and the others not, the handler hears
 * of each request that changed, ended ones go. One new version for all.
 */
static void floor_settle(struct conf *c)
{
	const struct floor_policy *fp = &c->floor;
	struct confs *cs = c->cs;
	unsigned holders, pos = 0;
	bool changed = false;
	struct le *le;

	sort(c);
	holders = conf_floor_holders(c, FLOOR_AUDIO);
	for (le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (fp->mode == FLOOR_MODE_AUTO && waiting(r) &&
		    holders < fp->max_holders) {
			grant(r);
			holders++;
		}
	}
	sort(c);
	for (le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		r->qpos = waiting(r) ? ++pos : 0;
	}
	/* who is heard: the holders of the audio floor */
	for (le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;
		const struct floor_request *r = conf_floor_request_of(c,
			FLOOR_AUDIO, p);
		bool holds = fp->enabled && r && r->status == FLOOR_GRANTED;

		if (fp->enabled && p->floor != holds) {
			p->floor = holds;
			p->settings_dirty = true;
			c->vid_dirty = true;     /* holders are shown */
			changed = true;
		}
		if (holds && p->hand) {     /* the raised hand is answered */
			p->hand = false;
			p->hand_since = 0;
			changed = true;
		}
	}
	le = c->floor_reqs.head;
	while (le) {
		struct floor_request *r = le->data;

		le = le->next;
		if (r->status != r->told_status || r->qpos != r->told_qpos) {
			log_info("conf", "msg=\"floor request\" conf=%s id=%u "
				 "pid=%s status=%s qpos=%u", c->id, r->id,
				 r->p ? r->p->pid : "-",
				 floor_status_name(r->status), r->qpos);
			r->told_status = r->status;
			r->told_qpos = r->qpos;
			changed = true;
			if (cs->floor_h)
				cs->floor_h(r, cs->floor_arg);
		}
		if (floor_status_final(r->status))
			mem_deref(r);
	}
	if (changed) {
		conf_changed(c);
		conf_reconcile(c);
	}
}

static void limit_over(void *arg)
{
	struct floor_request *r = arg;

	re_snprintf(r->status_info, sizeof(r->status_info), "time limit");
	r->status = FLOOR_REVOKED;
	floor_settle(r->conf);
}

int conf_set_floor_policy(struct conf *c, unsigned floorid,
			  const struct floor_policy *fp)
{
	struct floor_policy old;

	if (floorid != FLOOR_AUDIO)
		return ENOENT;
	if (fp->max_holders < 1 || fp->max_holders > FLOOR_MAX_HOLDERS ||
	    (fp->mode != FLOOR_MODE_CHAIR && fp->mode != FLOOR_MODE_AUTO) ||
	    fp->limit_s > 86400)
		return EINVAL;
	if (!memcmp(&c->floor, fp, sizeof(*fp)))
		return 0;
	old = c->floor;
	c->floor = *fp;
	if (conf_settings_save(c)) {         /* stored first */
		c->floor = old;
		return EIO;
	}
	log_info("conf", "msg=\"floor policy\" conf=%s enabled=%d mode=%s "
		 "holders=%u limit_s=%u", c->id, fp->enabled,
		 fp->mode == FLOOR_MODE_AUTO ? "auto" : "chair",
		 fp->max_holders, fp->limit_s);
	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (!fp->enabled)
			r->status = r->status == FLOOR_GRANTED ?
				FLOOR_RELEASED : FLOOR_CANCELLED;
	}
	if (fp->enabled != old.enabled) {
		/* everyone's mixing: heard by the floor, or as usual */
		for (struct le *le = c->parts.head; le; le = le->next) {
			struct participant *p = le->data;

			p->floor = false;
			p->settings_dirty = true;
		}
	}
	/* fewer holders allowed: the latest grants go */
	while (conf_floor_holders(c, FLOOR_AUDIO) > fp->max_holders) {
		struct floor_request *last = NULL;

		for (struct le *le = c->floor_reqs.head; le; le = le->next) {
			struct floor_request *r = le->data;

			if (r->status == FLOOR_GRANTED)
				last = r;
		}
		re_snprintf(last->status_info, sizeof(last->status_info),
			    "fewer holders allowed");
		last->status = FLOOR_REVOKED;
	}
	conf_changed(c);
	floor_settle(c);
	conf_reconcile(c);
	return 0;
}

struct floor_request *conf_floor_request_of(const struct conf *c,
					    unsigned floorid,
					    const struct participant *p)
{
	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (r->floorid == floorid && r->p == p &&
		    !floor_status_final(r->status))
			return r;
	}
	return NULL;
}

struct floor_request *conf_floor_request_find(const struct conf *c,
					      uint16_t id)
{
	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (r->id == id && !floor_status_final(r->status))
			return r;
	}
	return NULL;
}

int conf_floor_request(struct conf *c, unsigned floorid,
		       struct participant *p, struct participant *by,
		       uint8_t priority, const char *info,
		       struct floor_request **rp)
{
	struct floor_request *r;
	unsigned n = 0;

	if (floorid != FLOOR_AUDIO)
		return ENOENT;
	if (!c->floor.enabled)
		return EPERM;
	r = conf_floor_request_of(c, floorid, p);
	if (r) {
		if (rp)
			*rp = r;
		return EALREADY;
	}
	for (struct le *le = c->floor_reqs.head; le; le = le->next)
		n += waiting(le->data);
	if (n >= FLOOR_QUEUE_MAX)
		return ENOSPC;
	r = mem_zalloc(sizeof(*r), req_destructor);
	if (!r)
		return ENOMEM;
	r->conf = c;
	do {                              /* ids not in use, never 0 */
		r->id = ++c->next_floor_req;
	} while (!r->id || conf_floor_request_find(c, r->id));
	r->floorid = floorid;
	r->status = FLOOR_PENDING;
	r->p = p;
	r->by = by == p ? NULL : by;
	r->priority = priority > 4 ? 4 : priority;
	r->since_ms = now_ms();
	tmr_init(&r->limit_tmr);
	if (info)
		re_snprintf(r->info, sizeof(r->info), "%s", info);
	list_append(&c->floor_reqs, &r->le, r);
	if (rp)
		*rp = r;
	floor_settle(c);
	return 0;
}

void floor_request_release(struct floor_request *r)
{
	if (floor_status_final(r->status))
		return;
	r->status = r->status == FLOOR_GRANTED ? FLOOR_RELEASED :
		FLOOR_CANCELLED;
	floor_settle(r->conf);
}

int floor_request_decide(struct floor_request *r, enum floor_status st,
			 const char *why)
{
	struct conf *c = r->conf;

	switch (st) {
	case FLOOR_ACCEPTED:
	case FLOOR_DENIED:
		if (!waiting(r))
			return EINVAL;
		break;
	case FLOOR_GRANTED:
		if (!waiting(r))
			return EINVAL;
		if (conf_floor_holders(c, r->floorid) >= c->floor.max_holders)
			return ENOSPC;
		break;
	case FLOOR_REVOKED:
		if (r->status != FLOOR_GRANTED)
			return EINVAL;
		break;
	default:
		return EINVAL;
	}
	if (why)
		re_snprintf(r->status_info, sizeof(r->status_info), "%s",
			    why);
	if (st == FLOOR_GRANTED)
		grant(r);
	else
		r->status = st;
	if (st == FLOOR_REVOKED)
		tmr_cancel(&r->limit_tmr);
	floor_settle(c);
	return 0;
}

struct floor_request *conf_apply_floor_requests(const struct conf *c,
						unsigned floorid,
						floor_request_h *h, void *arg)
{
	struct le *le = c->floor_reqs.head;

	while (le) {
		struct floor_request *r = le->data;

		le = le->next;
		if (r->floorid == floorid && !floor_status_final(r->status) &&
		    h(r, arg))
			return r;
	}
	return NULL;
}

void conf_floor_part_gone(struct participant *p)
{
	struct conf *c = p->conf;
	bool any = false;

	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (r->by == p)
			r->by = NULL;
		if (r->p != p || floor_status_final(r->status))
			continue;
		r->status = r->status == FLOOR_GRANTED ? FLOOR_RELEASED :
			FLOOR_CANCELLED;
		re_snprintf(r->status_info, sizeof(r->status_info),
			    "left the conference");
		any = true;
	}
	if (any)
		floor_settle(c);
	/* (a request that ended is gone: none points at p any more) */
	for (struct le *le = c->floor_reqs.head; le; le = le->next) {
		struct floor_request *r = le->data;

		if (r->p == p)
			r->p = NULL;
	}
}

void conf_floor_hand(struct participant *p, bool raised)
{
	struct conf *c = p->conf;
	struct floor_request *r;

	if (!c->floor.enabled)
		return;
	r = conf_floor_request_of(c, FLOOR_AUDIO, p);
	if (raised && !r)
		(void)conf_floor_request(c, FLOOR_AUDIO, p, NULL, 2, NULL,
					 NULL);
	else if (!raised && r && waiting(r))
		floor_request_release(r);
}

void conf_floor_flush(struct conf *c)
{
	struct le *le;

	while ((le = list_head(&c->floor_reqs)))
		mem_deref(le->data);
}

void confs_set_floor_handler(struct confs *cs, floor_change_h *h, void *arg)
{
	cs->floor_h = h;
	cs->floor_arg = arg;
}

static bool room_cmp(struct conf *c, void *arg)
{
	return c->room == *(uint32_t *)arg;
}

struct conf *confs_lookup_room(const struct confs *cs, uint32_t room)
{
	return confs_apply(cs, room_cmp, &room);
}

uint16_t floor_request_id(const struct floor_request *r) { return r->id; }
unsigned floor_request_floor(const struct floor_request *r)
{
	return r->floorid;
}
enum floor_status floor_request_status(const struct floor_request *r)
{
	return r->status;
}
struct participant *floor_request_beneficiary(const struct floor_request *r)
{
	return r->p;
}
struct participant *floor_request_by(const struct floor_request *r)
{
	return r->by;
}
uint8_t floor_request_priority(const struct floor_request *r)
{
	return r->priority;
}
unsigned floor_request_queue_pos(const struct floor_request *r)
{
	return r->qpos;
}
const char *floor_request_info(const struct floor_request *r)
{
	return r->info;
}
const char *floor_request_status_info(const struct floor_request *r)
{
	return r->status_info;
}
int64_t floor_request_since(const struct floor_request *r)
{
	return r->since_ms;
}

/* Stored with the conference's settings */
int floor_settings_print(struct re_printf *pf, const struct conf *c)
{
	const struct floor_policy *fp = &c->floor;

	return re_hprintf(pf, "{\"%u\":{\"enabled\":%s,\"mode\":\"%s\","
			  "\"max_holders\":%u,\"limit_s\":%u}}", FLOOR_AUDIO,
			  fp->enabled ? "true" : "false",
			  fp->mode == FLOOR_MODE_AUTO ? "auto" : "chair",
			  fp->max_holders, fp->limit_s);
}

int floor_settings_apply(struct conf *c, const struct odict_entry *e)
{
	const struct odict_entry *f, *v;
	struct floor_policy fp = c->floor;
	const char *mode;

	f = e->type == ODICT_OBJECT ? odict_lookup(e->u.odict, "1") : NULL;
	if (!f || f->type != ODICT_OBJECT)
		return 0;
	(void)odict_get_boolean(f->u.odict, &fp.enabled, "enabled");
	mode = odict_string(f->u.odict, "mode");
	if (mode)
		fp.mode = !strcmp(mode, "auto") ? FLOOR_MODE_AUTO :
			FLOOR_MODE_CHAIR;
	v = odict_lookup(f->u.odict, "max_holders");
	if (v && v->type == ODICT_INT && v->u.integer >= 1 &&
	    v->u.integer <= FLOOR_MAX_HOLDERS)
		fp.max_holders = (unsigned)v->u.integer;
	v = odict_lookup(f->u.odict, "limit_s");
	if (v && v->type == ODICT_INT && v->u.integer >= 0 &&
	    v->u.integer <= 86400)
		fp.limit_s = (uint32_t)v->u.integer;
	c->floor = fp;
	return 0;
}
