/*
 * Audio levels for the console's meters: the conferences' level handler
 * (conf.h; the SIP side hands on what the mixer measured, five times a
 * second per participant while a console follows the conference, see
 * api_events.c's levels_sync) gathers them per conference and, at most
 * every LEVELS_INTERVAL_MS, sends each event-stream client that asked
 * for levels one message:
 *   {"type":"levels","conference":ID,"levels":{PID:-23,...},
 *    "mixer_load":0.012}
 * levels in dBov (-127 silence .. 0 full scale, the loudest frame of the
 * interval), only of the participants the client may see (the same rule
 * as the API's roster: hidden and waiting ones to moderators only);
 * mixer_load: the share of its mixer thread's 20 ms ticks spent working
 * over the last second (absent when its media is not on this server's
 * mixer). Levels are telemetry: never roster state, never a new
 * version, never a NOTIFY; a batch lives until it is sent.
 * Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "conf/conf.h"
#include "mixer/mixer.h"

#define LEVELS_INTERVAL_MS MIXER_LEVEL_INTERVAL_MS

/* One participant's loudest level of the interval */
struct lv_ent {
	struct le le;
	char pid[16];
	uint8_t level;            /* -dBov */
};

/* A conference's levels on their way */
struct lv_batch {
	struct le le;
	struct api *api;
	struct conf *conf;        /* referenced */
	struct list ents;
	struct tmr tmr;
};

static void batch_destructor(void *arg)
{
	struct lv_batch *b = arg;

	tmr_cancel(&b->tmr);
	list_unlink(&b->le);
	list_flush(&b->ents);
	mem_deref(b->conf);
}

static bool batch_cmp(struct le *le, void *arg)
{
	return ((struct lv_batch *)le->data)->conf == arg;
}

static bool ent_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct lv_ent *)le->data)->pid, arg);
}

/* What viewer v may see of the batch: one message, or ENOENT */
static int batch_msg(struct odict **msgp, const struct api_viewer *v,
		     void *arg)
{
	struct lv_batch *b = arg;
	struct api_req rq = {.api = b->api, .admin = v->admin};
	struct odict *msg = NULL, *lv = NULL;
	struct mixer_thread_stats st;
	int err, th;

	err = odict_alloc(&lv, 16);
	for (struct le *le = b->ents.head; !err && le; le = le->next) {
		struct lv_ent *e = le->data;
		struct participant *p = conf_find_part(b->conf, e->pid);
		const struct part_privacy *pv = p ? part_privacy(p) : NULL;
		struct api_seen seen;

		if (!p)
			continue;                 /* gone meanwhile */
		seen = (struct api_seen){.conf = b->conf, .uri = part_uri(p),
			.anonymous = pv->anonymous, .hidden = pv->hidden,
			.waiting = pv->pending || pv->lobby};
		if (api_sight(&rq, v->moderator, v->aor, &seen) ==
		    API_SIGHT_NONE)
			continue;
		err = api_add_int(lv, e->pid, -(int64_t)e->level);
	}
	if (!err && !odict_count(lv, false))
		err = ENOENT;
	err = err ? err : odict_alloc(&msg, 8);
	err = err ? err : api_add_str(msg, "type", "levels");
	err = err ? err : api_add_str(msg, "conference", conf_id(b->conf));
	err = err ? err : odict_entry_add(msg, "levels", ODICT_OBJECT, lv);
	th = b->api->mixer ? mixer_room_thread(b->api->mixer,
					       conf_room(b->conf)) : -1;
	if (!err && th >= 0) {
		mixer_thread_stats(b->api->mixer, (unsigned)th, &st);
		err = api_add_dbl(msg, "mixer_load",
				  (double)st.load_ppm / 1e6);
	}
	mem_deref(lv);
	if (err)
		mem_deref(msg);
	else
		*msgp = msg;
	return err;
}

static void batch_send(void *arg)
{
	struct lv_batch *b = arg;

	if (!conf_destroyed(b->conf))
		api_events_levels(b->api, b->conf, batch_msg, b);
	mem_deref(b);
}

static void level_h(struct participant *p, uint8_t level, void *arg)
{
	struct api *a = arg;
	struct conf *c = part_conf(p);
	struct lv_batch *b = list_ledata(list_apply(&a->lv_batches, true,
						    batch_cmp, c));
	struct lv_ent *e;

	if (!b) {
		b = mem_zalloc(sizeof(*b), batch_destructor);
		if (!b)
			return;
		b->api = a;
		b->conf = mem_ref(c);
		tmr_init(&b->tmr);
		list_append(&a->lv_batches, &b->le, b);
		/* the first level of a batch starts its interval: at most
		 * one message per conference and interval */
		tmr_start(&b->tmr, LEVELS_INTERVAL_MS, batch_send, b);
	}
	e = list_ledata(list_apply(&b->ents, true, ent_cmp,
				   (void *)part_id(p)));
	if (e) {
		if (level < e->level)
			e->level = level;
		return;
	}
	e = mem_zalloc(sizeof(*e), NULL);
	if (!e)
		return;
	str_ncpy(e->pid, part_id(p), sizeof(e->pid));
	e->level = level;
	list_append(&b->ents, &e->le, e);
}

int api_levels_init(struct api *a)
{
	confs_set_level_handler(a->confs, level_h, a);
	return 0;
}

void api_levels_close(struct api *a)
{
	if (a->confs)
		confs_set_level_handler(a->confs, NULL, NULL);
	list_flush(&a->lv_batches);
}
