/*
 * Who hears whom (conf/mediapol.h, part.h's struct part_mix): the media
 * policy of a conference, the participants' state it acts on (sidebar,
 * floor, whisper), and what each participant's mixer stream is told.
 * Relations are resolved here against the roster, so that the mixer sees
 * only numbers: a class row per listener for relations by role, a short
 * list of streams for relations naming one person, and whisper and
 * listen targets. Signalling thread only.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf/conf_int.h"
#include "util/log.h"

static const char *const class_roles[PART_MIX_CLASSES] = {
	"administrator", "moderator", "participant", "listener",
};

unsigned part_mix_class(const char *role)
{
	for (unsigned i = 0; role && i < PART_MIX_CLASSES; i++)
		if (!strcmp(role, class_roles[i]))
			return i;
	return 2;                        /* "" is a participant */
}

static void mix_refresh(struct conf *c);

const struct mediapol *conf_mediapol(const struct conf *c)
{
	return c->mediapol;
}

static int print_mediapol(struct re_printf *pf, void *mp)
{
	return mediapol_print(pf, mp);
}

void conf_mediapol_etag(const struct conf *c, char *buf, size_t sz)
{
	conf_doc_etag(buf, sz, print_mediapol, c->mediapol);
}

int conf_set_mediapol(struct conf *c, const struct mediapol *mp)
{
	struct mediapol *old;

	if (mediapol_equal(c->mediapol, mp))
		return 0;
	old = mem_alloc(sizeof(*old), NULL);
	if (!old)
		return ENOMEM;
	*old = *c->mediapol;
	*c->mediapol = *mp;
	/* stored first: nothing is live that is not stored */
	if (conf_settings_save(c)) {
		*c->mediapol = *old;
		mem_deref(old);
		return EIO;
	}
	mem_deref(old);
	log_info("conf", "msg=\"media policy changed\" conf=%s relations=%zu "
		 "lecture=%d", c->id, mp->nrel, mp->lecture);
	conf_changed(c);
	mix_refresh(c);
	return 0;
}

static bool has_specific(const struct mediapol *mp)
{
	for (size_t i = 0; i < mp->nrel; i++)
		if (mp->rel[i].speaker.kind != MEDIAPOL_ROLE)
			return true;
	return false;
}

/* Does anyone's mixing name another participant (relations naming one
 * speaker, whispers)? */
static bool names_others(const struct conf *c)
{
	return c->nwhisper || has_specific(c->mediapol);
}

/* Every participant's mixing carried to the mixer again */
static void mix_refresh(struct conf *c)
{
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		p->settings_dirty = true;
	}
	conf_reconcile(c);
}

void conf_mix_part_gone(struct participant *p)
{
	struct conf *c = p->conf;
	bool others = false;

	/* (relations naming its stream need nothing: the mixer forgets a
	 * stream that is gone; nobody whispering, nobody to look for) */
	if (!c->nwhisper)
		return;
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *q = le->data;

		if (q == p || strcmp(q->whisper, p->pid))
			continue;
		q->whisper[0] = '\0';            /* nobody to whisper to */
		part_counts(q);
		q->settings_dirty = true;
		others = true;
	}
	if (others)
		conf_reconcile(c);
}

static void person_of(const struct participant *p,
		      struct mediapol_person *pp)
{
	pp->role = p->role[0] ? p->role : "participant";
	pp->uri = p->uri;
	pp->pid = p->pid;
}

/* Does a relation naming one speaker have p as its listener? */
static bool listens_specially(const struct mediapol *mp,
			      const struct mediapol_person *p)
{
	for (size_t i = 0; i < mp->nrel; i++)
		if (mp->rel[i].speaker.kind != MEDIAPOL_ROLE &&
		    mediapol_names(&mp->rel[i].listener, p))
			return true;
	return false;
}

void conf_mix_named(struct participant *q)
{
	struct conf *c = q->conf;
	const struct mediapol *mp = c->mediapol;
	struct mediapol_person them;
	bool any = false;

	if (!names_others(c))
		return;
	person_of(q, &them);
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *l = le->data;
		struct mediapol_person me;
		bool named = !strcmp(l->whisper, q->pid);

		person_of(l, &me);
		for (size_t i = 0; i < mp->nrel && !named && l != q; i++) {
			const struct mediapol_rel *r = &mp->rel[i];

			named = r->speaker.kind != MEDIAPOL_ROLE &&
				mediapol_names(&r->speaker, &them) &&
				mediapol_names(&r->listener, &me);
		}
		if (named) {
			l->settings_dirty = true;
			any = true;
		}
	}
	if (any)
		conf_reconcile(c);
}

/* A relation's gain: 0 dB without one, MEDIAPOL_GAIN_MIN_DB for "does
 * not hear" */
static double rel_gain(const struct mediapol_rel *r)
{
	if (!r)
		return 0.0;
	return r->hears ? r->gain_db : MEDIAPOL_GAIN_MIN_DB;
}

void conf_part_mix(const struct participant *p, struct part_mix *m)
{
	const struct conf *c = p->conf;
	const struct mediapol *mp = c->mediapol;
	struct mediapol_person me;

	memset(m, 0, sizeof(*m));
	person_of(p, &me);
	m->cls = part_mix_class(me.role);
	if (mp->lecture && !p->floor && !mediapol_lecturer(mp, &me))
		m->silenced = true;
	/* floor control: the holders only (floor.c) */
	if (c->floor.enabled && !p->floor)
		m->silenced = true;
	if (p->sidebar) {
		m->group = p->sidebar->index;
		m->bg = p->sidebar->bg;
		m->bg_db = p->sidebar->bg_db;
	}
	/* relations by role: how p hears each class */
	for (unsigned i = 0; i < PART_MIX_CLASSES; i++) {
		struct mediapol_person role = {.role = class_roles[i]};

		m->cls_db[i] = rel_gain(mediapol_relation(mp, &me, &role));
		if (m->cls_db[i] != 0.0)
			m->by_class = true;
	}
	/* relations naming one speaker: where they decide otherwise than
	 * its class does (a pass over the roster, for the listeners such
	 * a relation names only) */
	if (listens_specially(mp, &me)) {
		for (struct le *le = c->parts.head; le; le = le->next) {
			const struct participant *q = le->data;
			struct mediapol_person them;
			double g;

			if (q == p || !q->stream)
				continue;
			person_of(q, &them);
			g = rel_gain(mediapol_relation(mp, &me, &them));
			if (g == m->cls_db[part_mix_class(them.role)])
				continue;
			if (m->nrel == PART_MIX_REL_MAX) {
				log_warn("conf", "msg=\"too many relations "
					 "for one listener, the rest "
					 "ignored\" conf=%s pid=%s", c->id,
					 p->pid);
				break;
			}
			m->rel[m->nrel].stream = q->stream;
			m->rel[m->nrel].gain_db = g;
			m->nrel++;
		}
	}
	if (p->whisper[0]) {
		const struct participant *to = conf_find_part(c, p->whisper);

		if (to && to->stream) {
			m->whisper_to = to->stream;
			if (p->listen == PART_LISTEN_TARGET)
				m->listen_to = to->stream;
			else if (p->listen == PART_LISTEN_NONE)
				m->listen_none = true;
		}
	}
}

/* The setters of part.h's media policy state */
static void mix_changed(struct participant *p)
{
	p->settings_dirty = true;
	conf_part_changed(p);
	conf_reconcile(p->conf);
}

int part_set_sidebar(struct participant *p, struct sidebar *sb)
{
	if (sb && sb->conf != p->conf)
		return EINVAL;
	if (p->sidebar == sb)
		return 0;
	log_info("conf", "msg=\"moved\" conf=%s pid=%s sidebar=%s",
		 p->conf->id, p->pid, sb ? sb->id : "-");
	p->sidebar = sb;
	mix_changed(p);
	return 0;
}

struct sidebar *part_sidebar(const struct participant *p)
{
	return p->sidebar;
}

void part_set_floor(struct participant *p, bool floor)
{
	struct floor_request *r;

	if (p->conf->floor.enabled) {
		/* a chair's grant or revocation (floor.c settles p's
		 * mixing and the hand) */
		r = conf_floor_request_of(p->conf, FLOOR_AUDIO, p);
		if (floor && !r)
			(void)conf_floor_request(p->conf, FLOOR_AUDIO, p,
						 NULL, 2, NULL, &r);
		if (floor && r && floor_request_status(r) != FLOOR_GRANTED)
			(void)floor_request_decide(r, FLOOR_GRANTED, NULL);
		else if (!floor && r && floor_request_status(r) ==
			 FLOOR_GRANTED)
			(void)floor_request_decide(r, FLOOR_REVOKED, NULL);
		if (floor && part_hand(p))
			part_set_hand(p, false);
		return;
	}
	if (p->floor == floor)
		return;
	p->floor = floor;
	p->conf->vid_dirty = true;       /* holders of the floor are shown */
	if (floor) {                     /* the hand it raised is answered */
		p->hand = false;
		p->hand_since = 0;
	}
	log_info("conf", "msg=\"floor %s\" conf=%s pid=%s",
		 floor ? "given" : "taken back", p->conf->id, p->pid);
	mix_changed(p);
}

bool part_floor(const struct participant *p)
{
	return p->floor;
}

int part_set_whisper(struct participant *p, struct participant *to,
		     enum part_listen listen)
{
	if (to && (to == p || to->conf != p->conf))
		return EINVAL;
	if (!to && !p->whisper[0])
		return 0;
	if (to && !strcmp(p->whisper, to->pid) && p->listen == listen)
		return 0;
	if (to) {
		re_snprintf(p->whisper, sizeof(p->whisper), "%s", to->pid);
		p->listen = (uint8_t)listen;
	}
	else {
		p->whisper[0] = '\0';
		p->listen = PART_LISTEN_ROOM;
	}
	part_counts(p);
	log_info("conf", "msg=\"whisper\" conf=%s pid=%s to=%s", p->conf->id,
		 p->pid, to ? to->pid : "-");
	mix_changed(p);
	return 0;
}

struct participant *part_whisper(const struct participant *p,
				 enum part_listen *listen)
{
	struct participant *to;

	if (!p->whisper[0])
		return NULL;
	to = conf_find_part(p->conf, p->whisper);
	if (to && listen)
		*listen = (enum part_listen)p->listen;
	return to;
}

int64_t part_hand_since(const struct participant *p)
{
	return p->hand ? p->hand_since : 0;
}
