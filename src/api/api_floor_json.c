/*
 * Floors as the API shows them (conf/floor.h): a floor with its policy,
 * its holders and its queue; a request; and the policy document that
 * PATCH .../floors/{floorid} takes, parsed strictly (api_floor.c, and
 * api_change.c when a requested change is approved). Requests are read
 * into a snapshot first: a decision that ends one (deny, revoke,
 * release) frees it, and the answer still shows how it ended. Calls
 * nothing of the api module back but the roster's visibility.
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/floor.h"

static const char *const mode_names[] = {
	[FLOOR_MODE_CHAIR] = "chair",
	[FLOOR_MODE_AUTO] = "auto",
};

/* What each floor is the right to use */
static const char *floor_media(unsigned floorid)
{
	return floorid == FLOOR_AUDIO ? "audio" : "?";
}

void api_floor_snap(struct api_floor_req *s, const struct floor_request *fr)
{
	memset(s, 0, sizeof(*s));
	s->id = floor_request_id(fr);
	s->floor = floor_request_floor(fr);
	s->p = floor_request_beneficiary(fr);
	s->by = floor_request_by(fr);
	s->status = floor_request_status(fr);
	s->qpos = floor_request_queue_pos(fr);
	s->priority = floor_request_priority(fr);
	re_snprintf(s->info, sizeof(s->info), "%s", floor_request_info(fr));
	re_snprintf(s->status_info, sizeof(s->status_info), "%s",
		    floor_request_status_info(fr));
	s->since_ms = floor_request_since(fr);
}

/* a participant's id, or null: none, or one the caller may not see in
 * the roster (hidden, waiting) */
static int pid_add(struct odict *od, const char *key, struct participant *p,
		   const struct api_req *r)
{
	if (!p || (r && !api_part_visible(r, p)))
		return odict_entry_add(od, key, ODICT_NULL);
	return api_add_str(od, key, part_id(p));
}

int api_floor_req_json(struct odict **odp, const struct api_floor_req *s,
		       const struct api_req *r)
{
	struct odict *od;
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	err |= api_add_int(od, "id", s->id);
	err |= api_add_int(od, "floor", s->floor);
	err |= pid_add(od, "participant", s->p, r);
	err |= pid_add(od, "requested_by", s->by, r);
	err |= api_add_str(od, "status", floor_status_name(s->status));
	err |= api_add_int(od, "queue_position", s->qpos);
	err |= api_add_int(od, "priority", s->priority);
	err |= api_add_str(od, "info", s->info);
	err |= api_add_str(od, "status_info", s->status_info);
	err |= api_add_int(od, "since", s->since_ms);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* The requests of a floor into its "holders" and "queue" arrays */
struct lists_ctx {
	struct odict *holders, *queue;
	unsigned nh, nq;
	const struct api_req *r;
	int err;
};

static bool req_to_list(struct floor_request *fr, void *arg)
{
	struct lists_ctx *x = arg;
	bool holds = floor_request_status(fr) == FLOOR_GRANTED;
	struct api_floor_req s;
	struct odict *ro = NULL;
	char key[12];

	api_floor_snap(&s, fr);
	re_snprintf(key, sizeof(key), "%u", holds ? x->nh++ : x->nq++);
	x->err = api_floor_req_json(&ro, &s, x->r);
	if (!x->err)
		x->err = odict_entry_add(holds ? x->holders : x->queue, key,
					 ODICT_OBJECT, ro);
	mem_deref(ro);
	return x->err != 0;
}

static int policy_json(struct odict *od, const struct floor_policy *fp)
{
	struct odict *po = NULL;
	int err = odict_alloc(&po, 4);

	if (err)
		return err;
	err |= api_add_bool(po, "enabled", fp->enabled);
	err |= api_add_str(po, "mode", mode_names[fp->mode]);
	err |= api_add_int(po, "max_holders", fp->max_holders);
	err |= api_add_int(po, "limit_s", fp->limit_s);
	err = err ? err : odict_entry_add(od, "policy", ODICT_OBJECT, po);
	mem_deref(po);
	return err;
}

int api_floor_json(struct odict **odp, struct conf *c, unsigned floorid,
		   const struct api_req *r)
{
	const struct floor_policy *fp = conf_floor_policy(c, floorid);
	struct lists_ctx x = {.r = r};
	struct odict *od = NULL;
	int err;

	if (!fp)
		return ENOENT;
	err = odict_alloc(&od, 8);
	err = err ? err : odict_alloc(&x.holders, 8);
	err = err ? err : odict_alloc(&x.queue, 16);
	if (!err) {
		err |= api_add_int(od, "id", floorid);
		err |= api_add_str(od, "media", floor_media(floorid));
		err |= policy_json(od, fp);
	}
	if (!err) {
		(void)conf_apply_floor_requests(c, floorid, req_to_list, &x);
		err = x.err;
	}
	err = err ? err : odict_entry_add(od, "holders", ODICT_ARRAY,
					  x.holders);
	err = err ? err : odict_entry_add(od, "queue", ODICT_ARRAY, x.queue);
	mem_deref(x.holders);
	mem_deref(x.queue);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

static const struct api_field policy_fields[] = {
	{"enabled", API_BOOL, false, 0, 0},
	{"mode", API_STRING, false, 0, 8},
	{"max_holders", API_NUMBER, false, 1, FLOOR_MAX_HOLDERS},
	{"limit_s", API_NUMBER, false, 0, 86400},
};

int api_floor_policy_parse(struct floor_policy *fp,
			   const struct floor_policy *base, const char *body,
			   size_t len, char *detail, size_t dsz)
{
	struct floor_policy np = *base;
	struct odict *in = NULL;
	const char *mode;
	double n;
	int err;

	err = api_json_parse(&in, body, len, policy_fields,
			     ARRAY_SIZE(policy_fields), detail, dsz);
	if (err)
		return err;
	err = EINVAL;
	if (!odict_count(in, false)) {
		re_snprintf(detail, dsz, "name 'enabled', 'mode', "
			    "'max_holders' or 'limit_s'");
		goto out;
	}
	(void)odict_get_boolean(in, &np.enabled, "enabled");
	mode = odict_string(in, "mode");
	if (mode && strcmp(mode, "chair") && strcmp(mode, "auto")) {
		re_snprintf(detail, dsz, "field 'mode' must be \"chair\" or "
			    "\"auto\"");
		goto out;
	}
	if (mode)
		np.mode = !strcmp(mode, "auto") ? FLOOR_MODE_AUTO :
			FLOOR_MODE_CHAIR;
	if (api_json_number(in, "max_holders", &n)) {
		if (n != (unsigned)n) {
			re_snprintf(detail, dsz, "field 'max_holders' must be "
				    "a whole number");
			goto out;
		}
		np.max_holders = (unsigned)n;
	}
	if (api_json_number(in, "limit_s", &n)) {
		if (n != (uint32_t)n) {
			re_snprintf(detail, dsz, "field 'limit_s' must be a "
				    "whole number");
			goto out;
		}
		np.limit_s = (uint32_t)n;
	}
	*fp = np;
	err = 0;
out:
	mem_deref(in);
	return err;
}
