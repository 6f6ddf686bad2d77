/*
 * Breakouts over HTTP (conf.h "Breakouts"): split a conference into
 * breakout rooms (round robin, or by lists of participant ids), for a
 * while or until ended, see them, and bring everyone back. The
 * conference's moderators' (api.c's table). Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"

#define BREAKOUT_MAX_S 86400

static int breakouts_json(struct odict **odp, struct conf *c,
			  const struct api_req *r)
{
	struct odict *od = NULL;
	int err = odict_alloc(&od, 4);

	err = err ? err : api_add_bool(od, "active",
				       conf_breakout_active(c));
	err = err ? err : api_sidebars_json(od, "rooms", c, r, true);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

void api_breakout_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL;
	int err;

	if (!c)
		return;
	err = breakouts_json(&out, c, r);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

/* Reading "assign": its ids go to ids[] in order, a NULL after each
 * room's; k: how many so far */
struct assign_ctx {
	struct conf *c;
	const char **ids;
	unsigned k;
	char *detail;
	size_t dsz;
};

/* assign[i][j]: someone in the call, not listed before */
static int assign_id(struct assign_ctx *a, const struct odict_entry *id,
		     unsigned i, unsigned j)
{
	const struct participant *p;

	if (id->type != ODICT_STRING) {
		re_snprintf(a->detail, a->dsz, "field 'assign[%u][%u]' must "
			    "be a participant id", i, j);
		return EINVAL;
	}
	p = conf_find_part(a->c, id->u.str);
	if (!p || (part_status(p) != PART_CONNECTED &&
		   part_status(p) != PART_ON_HOLD)) {
		re_snprintf(a->detail, a->dsz, "field 'assign[%u][%u]': '%s' "
			    "is no participant in the call", i, j, id->u.str);
		return EINVAL;
	}
	for (unsigned x = 0; x < a->k; x++)
		if (a->ids[x] && !strcmp(a->ids[x], id->u.str)) {
			re_snprintf(a->detail, a->dsz, "field 'assign[%u][%u]'"
				    ": '%s' is listed twice", i, j,
				    id->u.str);
			return EINVAL;
		}
	a->ids[a->k++] = id->u.str;
	return 0;
}

/* The lists of "assign" (n arrays of participant ids) into lists[], each
 * NULL-terminated in a->ids (room for every id and a NULL per list), the
 * strings the body's. 0, or EINVAL with the entry and why in detail */
static int assign_lists(struct assign_ctx *a, const struct odict_entry *e,
			unsigned n, const char *const *lists[])
{
	unsigned i = 0;

	if (odict_count(e->u.odict, false) != n) {
		re_snprintf(a->detail, a->dsz, "field 'assign' must list one "
			    "array of participant ids for each of the %u "
			    "rooms", n);
		return EINVAL;
	}
	for (struct le *le = e->u.odict->lst.head; le; le = le->next, i++) {
		const struct odict_entry *room = le->data;
		unsigned j = 0;

		if (room->type != ODICT_ARRAY) {
			re_snprintf(a->detail, a->dsz, "field 'assign[%u]' "
				    "must be an array of participant ids", i);
			return EINVAL;
		}
		lists[i] = &a->ids[a->k];
		for (struct le *pe = room->u.odict->lst.head; pe;
		     pe = pe->next, j++)
			if (assign_id(a, pe->data, i, j))
				return EINVAL;
		a->ids[a->k++] = NULL;
	}
	return 0;
}

static const struct api_field breakout_fields[] = {
	{"rooms", API_NUMBER, true, 1, CONF_MAX_SIDEBARS},
	{"assign", API_ANY, false, 0, 0},
	{"duration_s", API_NUMBER, false, 0, BREAKOUT_MAX_S},
};

static unsigned id_count(const struct odict_entry *assign)
{
	unsigned n = 0;

	for (struct le *le = assign->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *room = le->data;

		n += 1 + (room->type == ODICT_ARRAY ?
			  (unsigned)odict_count(room->u.odict, false) : 0);
	}
	return n;
}

/* What a POST asks for */
struct breakout_ask {
	unsigned rooms;
	uint32_t duration_s;
	const struct odict_entry *lists;   /* "assign"'s lists; NULL: round
					    * robin */
};

static int bad(struct api_req *r, const char *detail)
{
	api_error(r, 400, "Bad Request", "invalid request", detail);
	return EINVAL;
}

/* The body's numbers and shape into *ask; 0, or replied (400, 409) */
static int ask_from(struct api_req *r, struct conf *c,
		    const struct odict *in, struct breakout_ask *ask)
{
	const struct odict_entry *assign = odict_lookup(in, "assign");
	double rooms = 0, dur = 0;
	unsigned left = CONF_MAX_SIDEBARS - conf_sidebar_count(c);
	char detail[128];

	(void)api_json_number(in, "rooms", &rooms);
	(void)api_json_number(in, "duration_s", &dur);
	if (rooms != (unsigned)rooms || dur != (uint32_t)dur)
		return bad(r, "fields 'rooms' and 'duration_s' must be whole "
			   "numbers");
	ask->rooms = (unsigned)rooms;
	ask->duration_s = (uint32_t)dur;
	ask->lists = assign && assign->type == ODICT_ARRAY ? assign : NULL;
	if (assign && !ask->lists && (assign->type != ODICT_STRING ||
				      strcmp(assign->u.str, "round_robin")))
		return bad(r, "field 'assign' must be \"round_robin\" or an "
			   "array of arrays of participant ids, one per "
			   "room");
	if (conf_breakout_active(c)) {
		api_error(r, 409, "Conflict", "breakouts already run",
			  "end them first (DELETE .../breakouts)");
		return EBUSY;
	}
	if (ask->rooms > left) {
		re_snprintf(detail, sizeof(detail), "field 'rooms': only %u "
			    "more sidebars fit (a conference has at most %u)",
			    left, CONF_MAX_SIDEBARS);
		return bad(r, detail);
	}
	return 0;
}

void api_breakout_start(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	const char *const *lists[CONF_MAX_SIDEBARS];
	const char **ids = NULL;
	struct breakout_ask ask;
	struct assign_ctx a;
	struct odict *in = NULL, *out = NULL;
	char detail[160], hdr[128];
	int err;

	if (!c || api_body(r, breakout_fields,
			   ARRAY_SIZE(breakout_fields), &in) ||
	    ask_from(r, c, in, &ask))
		goto out;
	if (ask.lists) {
		ids = mem_zalloc((id_count(ask.lists) + 1) * sizeof(*ids),
				 NULL);
		if (!ids) {
			api_error(r, 500, "Internal Server Error",
				  "out of memory", NULL);
			goto out;
		}
		a = (struct assign_ctx){.c = c, .ids = ids, .detail = detail,
					.dsz = sizeof(detail)};
		if (assign_lists(&a, ask.lists, ask.rooms, lists)) {
			(void)bad(r, detail);
			goto out;
		}
	}
	err = conf_breakout_start(c, ask.rooms, ids ? lists : NULL,
				  ask.duration_s);
	if (err == EINVAL) {      /* the rest was ruled out above */
		(void)bad(r, "field 'assign': someone listed is leaving the "
			  "call");
		goto out;
	}
	if (err) {
		api_error(r, 500, "Internal Server Error", "cannot start "
			  "breakouts", strerror(err));
		goto out;
	}
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s/"
		    "breakouts\r\n", conf_id(c));
	err = breakouts_json(&out, c, r);
	api_reply_obj(r, 201, "Created", out, err, hdr);
out:
	mem_deref(ids);
	mem_deref(in);
}

void api_breakout_end(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);

	if (!c)
		return;
	if (conf_breakout_end(c) == EALREADY) {
		api_error(r, 409, "Conflict", "no breakouts run", NULL);
		return;
	}
	api_reply_json(r, 204, "No Content", NULL, NULL);
}
