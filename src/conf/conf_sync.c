/*
 * The store changed under us: another node of the cluster (or someone with
 * psql) made, changed or deleted a conference. The cluster module hears of
 * it (store_listen) and calls confs_sync(); this file makes the live state
 * follow, through the same setters an API request uses, so that the
 * reconciler, the mixer and the notifications follow too. While it applies
 * (cs->syncing) nothing is written back to the store (it is what the store
 * says already) and no invitation is dialled (the node that made the change
 * dials its invitees). Signalling thread only.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf_int.h"
#include "conf/conf_video.h"
#include "conf/mediapol.h"
#include "conf/policy.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"

static int sync_policy(struct conf *c, const struct odict_entry *pe)
{
	struct policy *p;
	char *json = NULL, detail[160] = "";
	int err;

	if (!pe || pe->type != ODICT_OBJECT)
		return 0;
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p)
		return ENOMEM;
	policy_default(p);
	err = re_sdprintf(&json, "%H", json_print, pe->u.odict);
	err = err ? err : policy_parse(p, NULL, json, strlen(json), detail,
				       sizeof(detail));
	if (!err)
		err = conf_set_policy(c, p);
	else if (err != ENOMEM)
		log_warn("conf", "msg=\"stored policy ignored\" conf=%s "
			 "why=\"%s\"", c->id, detail);
	mem_deref(json);
	mem_deref(p);
	return err == ENOMEM ? err : 0;
}

static int sync_mediapol(struct conf *c, const struct odict_entry *pe)
{
	struct mediapol *mp;
	char *json = NULL, detail[160] = "";
	int err;

	if (!pe || pe->type != ODICT_OBJECT)
		return 0;
	mp = mem_zalloc(sizeof(*mp), NULL);
	if (!mp)
		return ENOMEM;
	mediapol_default(mp);
	err = re_sdprintf(&json, "%H", json_print, pe->u.odict);
	err = err ? err : mediapol_parse(mp, NULL, json, strlen(json),
					 detail, sizeof(detail));
	if (!err)
		err = conf_set_mediapol(c, mp);
	else if (err != ENOMEM)
		log_warn("conf", "msg=\"stored media policy ignored\" conf=%s "
			 "why=\"%s\"", c->id, detail);
	mem_deref(json);
	mem_deref(mp);
	return err == ENOMEM ? err : 0;
}

/* The audio status and the video settings: the video object read as at
 * load into a copy, then both through the setters (one re-INVITE) */
static void sync_media(struct conf *c, const struct odict *od)
{
	const struct odict_entry *pe = odict_lookup(od, "video");
	const char *a = conf_media_status(odict_string(od, "audio"));
	struct conf_video old = c->video, v = c->video;

	if (pe) {
		(void)conf_video_settings_apply(c, pe);
		v = c->video;
		c->video = old;
	}
	(void)conf_set_media(c, a ? a : c->audio, v.status);
	re_snprintf(v.status, sizeof(v.status), "%s", c->video.status);
	(void)conf_set_video(c, &v);
}

static void sync_mix(struct conf *c, const struct odict *od)
{
	const struct odict_entry *k = odict_lookup(od, "max_speakers");
	const struct odict_entry *r = odict_lookup(od, "mix_rate");
	unsigned nk = c->max_speakers, nr = c->mix_rate;

	if (k && k->type == ODICT_INT && k->u.integer >= 0 &&
	    k->u.integer <= CONF_MAX_SPEAKERS)
		nk = (unsigned)k->u.integer;
	if (r && r->type == ODICT_INT && r->u.integer >= 0 &&
	    r->u.integer <= 48000)
		nr = (unsigned)r->u.integer;
	(void)conf_set_mix(c, nk, nr);
}

/* A live conference's settings as the store has them now */
static int settings_sync(struct conf *c, const char *stored)
{
	struct odict *od = NULL;
	char *now = NULL;
	int err;

	err = conf_settings_json(c, &now);
	if (err)
		return err;
	if (!strcmp(now, stored)) {
		mem_deref(now);
		return 0;         /* our own change, or nothing new */
	}
	mem_deref(now);
	err = json_decode_odict(&od, 8, stored, strlen(stored), 8);
	if (err) {
		log_warn("conf", "msg=\"stored settings unreadable, not "
			 "applied\" conf=%s err=%m", c->id, err);
		return err == ENOMEM ? err : 0;
	}
	log_info("conf", "msg=\"settings changed in the store\" conf=%s",
		 c->id);
	mem_ref(c);               /* a policy may end the conference */
	err = sync_policy(c, odict_lookup(od, "policy"));
	if (!err && !c->destroyed)
		err = sync_mediapol(c, odict_lookup(od, "media_policy"));
	if (!err && !c->destroyed) {
		const char *by = odict_string(od, "created_by");

		sync_media(c, od);
		sync_mix(c, od);
		if (by && by[0])
			err = conf_set_created_by(c, by);
	}
	/* sidebars and floors are live structures with members: what
	 * another node changed there is taken at the next start (see
	 * docs/scale.md) */
	mem_deref(c);
	mem_deref(od);
	return err;
}

struct found {
	struct confs *cs;
	bool found;
	int err;
};

static int stored_h(const struct store_conf *sc, void *arg)
{
	struct found *f = arg;
	struct conf *c = confs_lookup(f->cs, sc->id);

	f->found = true;
	if (c)
		return settings_sync(c, sc->settings ? sc->settings : "{}");
	f->err = conf_load_stored(sc, f->cs);
	if (f->err)
		return f->err;
	c = confs_lookup(f->cs, sc->id);
	if (c) {
		log_info("conf", "msg=\"created in the store\" conf=%s",
			 sc->id);
		conf_changed(c);       /* the observers hear of it */
	}
	return 0;
}

int confs_sync(struct confs *cs, const char *id)
{
	struct found f = {.cs = cs};
	struct conf *c;
	int err;

	if (!cs || !id || !conf_id_valid(id))
		return EINVAL;
	cs->syncing = true;
	err = store_conf_get(cs->store, id, stored_h, &f);
	cs->syncing = false;
	if (err == ENOENT && !f.found) {
		c = confs_lookup(cs, id);
		if (!c || c->adhoc)
			return 0;
		log_info("conf", "msg=\"deleted in the store\" conf=%s", id);
		return conf_destroy(c);    /* ENOENT from the store: fine */
	}
	return err;
}

static int all_h(const struct store_conf *sc, void *arg)
{
	return confs_sync(arg, sc->id);
}

int confs_sync_all(struct confs *cs)
{
	struct le *le;
	int err;

	err = store_conf_foreach(cs->store, all_h, cs);
	if (err)
		return err;
	/* and those the store no longer has */
	le = cs->confl.head;
	while (le) {
		struct conf *c = le->data;

		le = le->next;
		if (!c->adhoc)
			(void)confs_sync(cs, c->id);
	}
	return 0;
}
