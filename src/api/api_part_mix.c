/*
 * A participant's media policy state in the API (part.h "Media policy"):
 * its sidebar, the floor in lecture mode, whom it whispers to, and when it
 * raised its hand, shown wherever the API shows a participant and changed
 * by PATCH .../participants/{pid} (api_conf.c calls this file). Changing
 * them is the moderators' (like moving others between rooms), and every
 * member is checked before any is applied. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"

static const char *const listen_names[] = {
	[PART_LISTEN_ROOM] = "room",
	[PART_LISTEN_TARGET] = "target",
	[PART_LISTEN_NONE] = "none",
};

static int bad(struct api_req *r, const char *detail)
{
	api_error(r, 400, "Bad Request", "invalid request", detail);
	return EINVAL;
}

/* {"to": pid, "listen"?: room|target|none} into mp; 0 or replied */
static int whisper_from(struct api_req *r, struct participant *p,
			const struct odict_entry *e, struct api_mix_patch *mp)
{
	const struct conf *c = part_conf(p);
	const char *to, *listen;
	char detail[128];
	size_t known = 0;

	mp->whisper_set = true;
	if (e->type == ODICT_NULL)
		return 0;               /* speaks to the room again */
	to = odict_string(e->u.odict, "to");
	listen = odict_string(e->u.odict, "listen");
	known = (to != NULL) + (listen != NULL);
	if (!to || odict_count(e->u.odict, false) != known)
		return bad(r, "field 'whisper' must be null or {\"to\": "
			   "participant id, \"listen\"?: \"room\", \"target\" "
			   "or \"none\"} (strings, nothing else)");
	mp->whisper_to = conf_find_part(c, to);
	if (!mp->whisper_to) {
		re_snprintf(detail, sizeof(detail), "field 'whisper.to': no "
			    "participant '%s' in this conference", to);
		return bad(r, detail);
	}
	if (mp->whisper_to == p)
		return bad(r, "field 'whisper.to': a participant cannot "
			   "whisper to itself");
	mp->listen = PART_LISTEN_ROOM;
	if (!listen)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(listen_names); i++)
		if (!strcmp(listen, listen_names[i])) {
			mp->listen = (enum part_listen)i;
			return 0;
		}
	return bad(r, "field 'whisper.listen' must be \"room\", \"target\" "
		   "or \"none\"");
}

int api_part_mix_check(struct api_req *r, struct participant *p,
		       const struct odict *in, struct api_mix_patch *mp)
{
	const struct odict_entry *sb = odict_lookup(in, "sidebar");
	const struct odict_entry *wh = odict_lookup(in, "whisper");
	char detail[128];

	memset(mp, 0, sizeof(*mp));
	mp->floor_set = odict_get_boolean(in, &mp->floor, "floor");
	if (!sb && !wh && !mp->floor_set)
		return 0;
	/* like moving someone to another room: the chair's */
	if (!api_sees_all(r, part_conf(p))) {
		api_error(r, 403, "Forbidden", "forbidden", "only moderators "
			  "may move participants between sidebars, give the "
			  "floor or set a whisper");
		return EACCES;
	}
	if (sb) {
		mp->sidebar_set = true;
		if (sb->type == ODICT_STRING) {
			mp->sidebar = conf_sidebar_find(part_conf(p),
							sb->u.str);
			if (!mp->sidebar) {
				re_snprintf(detail, sizeof(detail), "field "
					    "'sidebar': no sidebar '%s' in "
					    "this conference", sb->u.str);
				return bad(r, detail);
			}
		}
	}
	return wh ? whisper_from(r, p, wh, mp) : 0;
}

void api_part_mix_apply(struct participant *p,
			const struct api_mix_patch *mp)
{
	/* checked above: both are this conference's */
	if (mp->sidebar_set)
		(void)part_set_sidebar(p, mp->sidebar);
	if (mp->floor_set)
		part_set_floor(p, mp->floor);
	if (mp->whisper_set)
		(void)part_set_whisper(p, mp->whisper_to, mp->listen);
}

int api_part_mix_json(struct odict *od, const struct participant *p,
		      bool whole)
{
	const struct sidebar *sb = part_sidebar(p);
	enum part_listen listen = PART_LISTEN_ROOM;
	struct participant *to = part_whisper(p, &listen);
	const struct floor_request *fr;
	struct odict *wo = NULL;
	int err;

	err = sb ? api_add_str(od, "sidebar", sidebar_id(sb)) :
		odict_entry_add(od, "sidebar", ODICT_NULL);
	err |= api_add_bool(od, "floor", part_floor(p));
	/* its request for the audio floor (floor control), if any */
	fr = conf_floor_request_of(part_conf(p), FLOOR_AUDIO, p);
	err |= fr ? api_add_int(od, "floor_request", floor_request_id(fr)) :
		odict_entry_add(od, "floor_request", ODICT_NULL);
	err |= part_hand_since(p) ?
		api_add_int(od, "hand_raised_at", part_hand_since(p)) :
		odict_entry_add(od, "hand_raised_at", ODICT_NULL);
	/* a coach's whisper is not for everyone to know of */
	if (!whole)
		return err;
	if (!to)
		return err | odict_entry_add(od, "whisper", ODICT_NULL);
	err |= odict_alloc(&wo, 4);
	if (!err) {
		err |= api_add_str(wo, "to", part_id(to));
		err |= api_add_str(wo, "listen", listen_names[listen]);
		err |= odict_entry_add(od, "whisper", ODICT_OBJECT, wo);
	}
	mem_deref(wo);
	return err;
}
