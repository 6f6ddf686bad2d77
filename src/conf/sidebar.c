/*
 * Sidebars and breakouts (conf.h, spec s. 5.6): conferences within the
 * conference, each with a URI of its own (an alias of the main one:
 * sip:<conf>+<sidebar>@domain) and its own display text and background
 * policy. Membership is a participant's state (part_set_sidebar); a
 * sidebar's members hear it, and the main conference in the background,
 * through their existing dialogs. Sidebars the API makes are stored with
 * the conference's settings; breakout rooms are not (they end with the
 * calls in them). Signalling thread only.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf/conf_int.h"
#include "util/json.h"
#include "util/log.h"

static void sidebar_destructor(void *arg)
{
	struct sidebar *sb = arg;

	list_unlink(&sb->le);
	mem_deref(sb->uri);
	mem_deref(sb->display_text);
}

static bool id_ok(const char *id)
{
	return id && strlen(id) <= SIDEBAR_ID_MAX && conf_id_valid(id);
}

static bool gain_ok(double db)
{
	return isfinite(db) && db >= MEDIAPOL_GAIN_MIN_DB &&
		db <= MEDIAPOL_GAIN_MAX_DB;
}

/* Gains are kept as the media policy keeps them: whole millidecibels,
 * which print and read back exactly */
static double mdb_round(double db)
{
	return (double)mediapol_mdb(db) / 1000.0;
}

static unsigned free_index(const struct conf *c)
{
	for (unsigned i = 1; i <= CONF_MAX_SIDEBARS; i++) {
		bool used = false;

		for (struct le *le = c->sidebars.head; le; le = le->next)
			used |= ((struct sidebar *)le->data)->index == i;
		if (!used)
			return i;
	}
	return 0;
}

/* A sidebar in c's list, not stored, no version */
static int sidebar_make(struct conf *c, const struct sidebar_cfg *cfg,
			bool breakout, struct sidebar **sbp)
{
	struct sidebar *sb;
	char gen[SIDEBAR_ID_MAX + 1];
	const char *id = cfg->id;
	int err;

	if ((id && !id_ok(id)) || (cfg->bg && !gain_ok(cfg->bg_db)))
		return EINVAL;
	if (id && conf_sidebar_find(c, id))
		return EEXIST;
	if (list_count(&c->sidebars) >= CONF_MAX_SIDEBARS)
		return ENOSPC;
	if (!id) {
		do {
			re_snprintf(gen, sizeof(gen), "s%u",
				    ++c->next_sidebar);
		} while (conf_sidebar_find(c, gen));
		id = gen;
	}
	sb = mem_zalloc(sizeof(*sb), sidebar_destructor);
	if (!sb)
		return ENOMEM;
	sb->conf = c;
	re_snprintf(sb->id, sizeof(sb->id), "%s", id);
	sb->bg = cfg->bg;
	sb->bg_db = cfg->bg ? mdb_round(cfg->bg_db) : 0.0;
	sb->by_val = cfg->by_val;
	sb->breakout = breakout;
	sb->index = free_index(c);
	err = re_sdprintf(&sb->uri, "sip:%s+%s@%s", c->id, id, c->cs->domain);
	err |= str_dup(&sb->display_text, cfg->display_text ?
		       cfg->display_text : "");
	if (err) {
		mem_deref(sb);
		return ENOMEM;
	}
	list_append(&c->sidebars, &sb->le, sb);
	*sbp = sb;
	return 0;
}

int conf_sidebar_add(struct conf *c, const struct sidebar_cfg *cfg,
		     struct sidebar **sbp)
{
	struct sidebar *sb;
	int err;

	if (c->destroyed)
		return ENOENT;
	err = sidebar_make(c, cfg, false, &sb);
	if (err)
		return err;
	if (conf_settings_save(c)) {         /* stored first */
		mem_deref(sb);
		return EIO;
	}
	log_info("conf", "msg=\"sidebar created\" conf=%s sidebar=%s",
		 c->id, sb->id);
	conf_changed(c);
	if (sbp)
		*sbp = sb;
	return 0;
}

/* Members get their new background */
static void members_dirty(struct sidebar *sb)
{
	for (struct le *le = sb->conf->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		if (p->sidebar == sb)
			p->settings_dirty = true;
	}
}

int conf_sidebar_update(struct sidebar *sb, const struct sidebar_cfg *cfg)
{
	struct conf *c = sb->conf;
	struct sidebar old = *sb;
	char *dt = NULL;

	if (cfg->bg && !gain_ok(cfg->bg_db))
		return EINVAL;
	if (str_dup(&dt, cfg->display_text ? cfg->display_text : ""))
		return ENOMEM;
	if (sb->bg == cfg->bg &&
	    (!cfg->bg || sb->bg_db == mdb_round(cfg->bg_db)) &&
	    sb->by_val == cfg->by_val && !strcmp(dt, sb->display_text)) {
		mem_deref(dt);
		return 0;
	}
	sb->bg = cfg->bg;
	sb->bg_db = cfg->bg ? mdb_round(cfg->bg_db) : 0.0;
	sb->by_val = cfg->by_val;
	old.display_text = sb->display_text;
	sb->display_text = dt;
	if (!sb->breakout && conf_settings_save(c)) {
		sb->bg = old.bg;
		sb->bg_db = old.bg_db;
		sb->by_val = old.by_val;
		sb->display_text = old.display_text;
		mem_deref(dt);
		return EIO;
	}
	mem_deref(old.display_text);
	members_dirty(sb);
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

/* Its members back in the main conference, and it gone; no store */
static void sidebar_end(struct sidebar *sb)
{
	struct conf *c = sb->conf;

	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		if (p->sidebar != sb)
			continue;
		p->sidebar = NULL;
		p->settings_dirty = true;
	}
	log_info("conf", "msg=\"sidebar ended\" conf=%s sidebar=%s", c->id,
		 sb->id);
	mem_deref(sb);
}

static bool any_breakout(const struct conf *c)
{
	for (struct le *le = c->sidebars.head; le; le = le->next)
		if (((struct sidebar *)le->data)->breakout)
			return true;
	return false;
}

int conf_sidebar_remove(struct sidebar *sb)
{
	struct conf *c = sb->conf;
	bool stored = !sb->breakout;

	sidebar_end(sb);
	if (stored && conf_settings_save(c))
		log_warn("conf", "msg=\"sidebar removal not stored\" conf=%s",
			 c->id);
	if (c->breakout && !any_breakout(c)) {
		c->breakout = false;
		tmr_cancel(&c->breakout_tmr);
	}
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

void sidebars_flush(struct conf *c)
{
	struct le *le;

	while ((le = list_head(&c->sidebars)))
		mem_deref(le->data);
}

static bool sid_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct sidebar *)le->data)->id, arg);
}

struct sidebar *conf_sidebar_find(const struct conf *c, const char *id)
{
	if (!id)
		return NULL;
	return list_ledata(list_apply(&c->sidebars, true, sid_cmp,
				      (void *)id));
}

struct sidebar *conf_apply_sidebars(const struct conf *c,
				    sidebar_apply_h *h, void *arg)
{
	struct le *le = c->sidebars.head;

	while (le) {
		struct sidebar *sb = le->data;

		le = le->next;
		if (h(sb, arg))
			return sb;
	}
	return NULL;
}

unsigned conf_sidebar_count(const struct conf *c)
{
	return list_count(&c->sidebars);
}

const char *sidebar_id(const struct sidebar *sb) { return sb->id; }
const char *sidebar_uri(const struct sidebar *sb) { return sb->uri; }
struct conf *sidebar_conf(const struct sidebar *sb) { return sb->conf; }
bool sidebar_by_val(const struct sidebar *sb) { return sb->by_val; }
unsigned sidebar_index(const struct sidebar *sb) { return sb->index; }
int64_t sidebar_ends_at(const struct sidebar *sb) { return sb->ends_at; }
bool sidebar_breakout(const struct sidebar *sb) { return sb->breakout; }

const char *sidebar_display_text(const struct sidebar *sb)
{
	return sb->display_text;
}

bool sidebar_bg(const struct sidebar *sb, double *db)
{
	if (db)
		*db = sb->bg_db;
	return sb->bg;
}

unsigned sidebar_member_count(const struct sidebar *sb)
{
	unsigned n = 0;

	for (struct le *le = sb->conf->parts.head; le; le = le->next)
		n += ((struct participant *)le->data)->sidebar == sb;
	return n;
}

struct conf *confs_lookup_user(const struct confs *cs, const char *user,
			       struct sidebar **sbp)
{
	char id[65];
	const char *plus;
	struct conf *c;

	*sbp = NULL;
	if (!user)
		return NULL;
	plus = strchr(user, '+');
	if (!plus)
		return confs_lookup(cs, user);
	if ((size_t)(plus - user) >= sizeof(id))
		return NULL;
	memcpy(id, user, (size_t)(plus - user));
	id[plus - user] = '\0';
	c = confs_lookup(cs, id);
	if (!c)
		return NULL;
	*sbp = conf_sidebar_find(c, plus + 1);
	return *sbp ? c : NULL;
}

/* Breakouts */

static void breakout_over(void *arg)
{
	struct conf *c = arg;

	log_info("conf", "msg=\"breakout time is up\" conf=%s", c->id);
	(void)conf_breakout_end(c);
}

void confs_set_breakout_handler(struct confs *cs, conf_breakout_h *h,
				void *arg)
{
	cs->breakout_h = h;
	cs->breakout_arg = arg;
}

bool conf_breakout_active(const struct conf *c)
{
	return c->breakout;
}

/* Who a round robin sends: in the call, admitted, in the main
 * conference, not chairing it */
static bool breakout_eligible(const struct participant *p)
{
	return (p->status == PART_CONNECTED || p->status == PART_ON_HOLD) &&
		!p->removing && !p->privacy.pending && !p->privacy.lobby &&
		!p->sidebar && strcmp(p->role, "moderator") &&
		strcmp(p->role, "administrator");
}

static bool in_call(const struct participant *p)
{
	return (p->status == PART_CONNECTED || p->status == PART_ON_HOLD) &&
		!p->removing;
}

int conf_breakout_start(struct conf *c, unsigned n,
			const char *const *const *lists, uint32_t duration_s)
{
	struct sidebar *rooms[CONF_MAX_SIDEBARS];
	struct sidebar_cfg cfg = {
		.bg = c->mediapol->sidebar_bg,
		.bg_db = c->mediapol->sidebar_bg_db,
		.by_val = true,
	};
	int64_t ends = duration_s ? (int64_t)time(NULL) + duration_s : 0;
	unsigned made = 0, next = 0, moved = 0;
	int err = 0;

	if (c->destroyed)
		return ENOENT;
	if (c->breakout)
		return EBUSY;
	if (!n || n + list_count(&c->sidebars) > CONF_MAX_SIDEBARS)
		return EINVAL;
	/* the lists name people who are there, once each */
	for (unsigned i = 0; lists && i < n; i++) {
		for (size_t j = 0; lists[i] && lists[i][j]; j++) {
			const struct participant *p =
				conf_find_part(c, lists[i][j]);

			if (!p || !in_call(p))
				return EINVAL;
			for (unsigned k = 0; k <= i; k++)
				for (size_t m = 0; lists[k] &&
					     lists[k][m] &&
					     (k < i || m < j); m++)
					if (!strcmp(lists[k][m], lists[i][j]))
						return EINVAL;
		}
	}
	for (made = 0; made < n; made++) {
		char dt[32];

		re_snprintf(dt, sizeof(dt), "Breakout %u", made + 1);
		cfg.display_text = dt;
		err = sidebar_make(c, &cfg, true, &rooms[made]);
		if (err)
			break;
		rooms[made]->ends_at = ends;
	}
	if (err) {
		while (made)
			mem_deref(rooms[--made]);
		return err;
	}
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;
		struct sidebar *to = NULL;

		if (lists) {
			for (unsigned i = 0; i < n && !to; i++)
				for (size_t j = 0; lists[i] && lists[i][j];
				     j++)
					if (!strcmp(lists[i][j], p->pid))
						to = rooms[i];
		}
		else if (breakout_eligible(p)) {
			to = rooms[next++ % n];
		}
		if (!to)
			continue;
		p->sidebar = to;
		p->settings_dirty = true;
		moved++;
	}
	c->breakout = true;
	if (duration_s)
		tmr_start(&c->breakout_tmr, (uint64_t)duration_s * 1000,
			  breakout_over, c);
	log_info("conf", "msg=\"breakouts started\" conf=%s rooms=%u "
		 "moved=%u duration_s=%u", c->id, n, moved, duration_s);
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

int conf_breakout_end(struct conf *c)
{
	struct le *le;

	if (!c->breakout)
		return EALREADY;
	tmr_cancel(&c->breakout_tmr);
	le = c->sidebars.head;
	while (le) {
		struct sidebar *sb = le->data;

		le = le->next;
		if (sb->breakout)
			sidebar_end(sb);
	}
	c->breakout = false;
	log_info("conf", "msg=\"breakouts ended\" conf=%s", c->id);
	conf_changed(c);
	conf_reconcile(c);
	if (c->cs->breakout_h && !c->destroyed)
		c->cs->breakout_h(c, c->cs->breakout_arg);
	return 0;
}

/* Stored with the conference's settings: the sidebars the API made */
int sidebar_settings_print(struct re_printf *pf, const struct conf *c)
{
	int err = re_hprintf(pf, "[");
	bool first = true;

	for (struct le *le = c->sidebars.head; le && !err; le = le->next) {
		const struct sidebar *sb = le->data;

		if (sb->breakout)
			continue;
		err = re_hprintf(pf, "%s{\"id\":\"%s\",\"display_text\":"
				 "%H,\"by_val\":%s,\"background_db\":",
				 first ? "" : ",", sb->id, json_print_string,
				 sb->display_text,
				 sb->by_val ? "true" : "false");
		if (!err)
			err = sb->bg ? mediapol_print_db(pf, &sb->bg_db) :
				re_hprintf(pf, "null");
		err = err ? err : re_hprintf(pf, "}");
		first = false;
	}
	return err ? err : re_hprintf(pf, "]");
}

int sidebar_settings_apply(struct conf *c, const struct odict_entry *e)
{
	struct le *le;

	if (e->type != ODICT_ARRAY)
		return 0;
	for (le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *o = le->data;
		const struct odict_entry *bg;
		struct sidebar_cfg cfg = {0};
		struct sidebar *sb;
		int err;

		if (o->type != ODICT_OBJECT)
			continue;
		cfg.id = odict_string(o->u.odict, "id");
		cfg.display_text = odict_string(o->u.odict, "display_text");
		(void)odict_get_boolean(o->u.odict, &cfg.by_val, "by_val");
		bg = odict_lookup(o->u.odict, "background_db");
		if (bg && (bg->type == ODICT_INT || bg->type == ODICT_DOUBLE)) {
			cfg.bg = true;
			cfg.bg_db = bg->type == ODICT_INT ?
				(double)bg->u.integer : bg->u.dbl;
		}
		err = cfg.id ? sidebar_make(c, &cfg, false, &sb) : EINVAL;
		if (err == ENOMEM)
			return err;
		if (err)
			log_warn("conf", "msg=\"stored sidebar ignored\" "
				 "conf=%s err=%m", c->id, err);
	}
	return 0;
}
