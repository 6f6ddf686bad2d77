/*
 * Floors over HTTP (conf/floor.h; spec s. 5.11, the model of BFCP):
 * a conference's floors with their holders and queue; a floor's policy
 * (PATCH: a change of the policy's media part, gated like the media
 * policy: made, asked for (202, api_change.c) or refused (403)); requests
 * made on a participant's behalf by a moderator or by the participant
 * itself, read, and released or cancelled by either; and the chairs'
 * decisions (grant, deny, revoke, accept: moderators only, api.c's
 * table). conf decides the rest: ids, order, the automatic policy, the
 * time limits, who is heard. Signalling thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"

/* A whole number in [1, max] from a path segment, else 0 */
static unsigned path_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > max ? 0 : (unsigned)v;
}

/* {floorid} of {id}, or 0 after replying 404 */
static unsigned floor_or_404(struct api_req *r, struct conf **cp)
{
	struct conf *c = api_conf_or_404(r);
	unsigned id;

	if (!c)
		return 0;
	id = path_num(r->param[1], 0xffff);
	if (!id || !conf_floor_policy(c, id)) {
		api_error(r, 404, "Not Found", "no such floor", r->param[1]);
		return 0;
	}
	*cp = c;
	return id;
}

/* {rid} of {floorid}, or NULL after replying 404 */
static struct floor_request *req_or_404(struct api_req *r, struct conf **cp)
{
	unsigned floorid = floor_or_404(r, cp);
	struct floor_request *fr;

	if (!floorid)
		return NULL;
	fr = conf_floor_request_find(*cp, (uint16_t)path_num(r->param[2],
							     0xffff));
	if (!fr || floor_request_floor(fr) != floorid) {
		api_error(r, 404, "Not Found", "no such floor request",
			  "no request with that id waits for or holds the "
			  "floor (ended requests are forgotten)");
		return NULL;
	}
	return fr;
}

static void reply_floor(struct api_req *r, struct conf *c, unsigned id)
{
	struct odict *out = NULL;
	int err = api_floor_json(&out, c, id, r);

	api_reply_obj(r, 200, "OK", out, err, NULL);
}

static void reply_req(struct api_req *r, const struct api_floor_req *s,
		      uint16_t scode, const char *reason, const char *hdrs)
{
	struct odict *out = NULL;
	int err = api_floor_req_json(&out, s, r);

	api_reply_obj(r, scode, reason, out, err, hdrs);
}

void api_floor_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL, *arr = NULL, *fo = NULL;
	int err;

	if (!c)
		return;
	err = odict_alloc(&out, 4);
	err = err ? err : odict_alloc(&arr, 4);
	/* floor ids are 1, 2, ... (only the audio floor for now) */
	for (unsigned id = 1; !err && conf_floor_policy(c, id); id++) {
		char key[12];

		re_snprintf(key, sizeof(key), "%u", id - 1);
		err = api_floor_json(&fo, c, id, r);
		err = err ? err : odict_entry_add(arr, key, ODICT_OBJECT, fo);
		fo = mem_deref(fo);
	}
	err = err ? err : odict_entry_add(out, "floors", ODICT_ARRAY, arr);
	mem_deref(arr);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

void api_floor_get(struct api_req *r)
{
	struct conf *c;
	unsigned id = floor_or_404(r, &c);

	if (id)
		reply_floor(r, c, id);
}

void api_floor_patch(struct api_req *r)
{
	struct conf *c;
	unsigned id = floor_or_404(r, &c);
	struct floor_policy fp;
	const char *body;
	char detail[160];
	size_t len;
	unsigned parts;
	int err;

	if (!id)
		return;
	body = r->msg->mb ? (const char *)mbuf_buf(r->msg->mb) : "";
	len = r->msg->mb ? mbuf_get_left(r->msg->mb) : 0;
	err = api_floor_policy_parse(&fp, conf_floor_policy(c, id), body, len,
				     detail, sizeof(detail));
	if (err == ENOMEM) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  "nothing was changed");
		return;
	}
	if (err) {
		api_error(r, 400, "Bad Request", err == EBADMSG ?
			  "malformed JSON" : "invalid floor policy", detail);
		return;
	}
	/* the floor decides who is heard: the policy's media part; the
	 * same policy again changes nothing and asks nobody */
	parts = memcmp(&fp, conf_floor_policy(c, id), sizeof(fp)) ?
		1u << POLICY_PART_MEDIA : 0;
	if (api_change_gate(r, c, parts, API_CHANGE_FLOOR_PATCH, body, len))
		return;           /* refused, or waits for a moderator */
	err = conf_set_floor_policy(c, id, &fp);
	if (err == EIO) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "floor policy", "the store failed; nothing was "
			  "changed");
		return;
	}
	if (err) {
		api_error(r, 500, "Internal Server Error", "cannot set the "
			  "floor policy", strerror(err));
		return;
	}
	reply_floor(r, c, id);
}

/* The caller's own participant in c (a user in the call), or NULL */
static bool uri_is(struct participant *p, void *arg)
{
	return !strcasecmp(part_uri(p), arg) &&
		part_status(p) != PART_FAILED;
}

static struct participant *caller_part(const struct api_req *r,
				       struct conf *c)
{
	const char *aor = api_self_aor(r);

	return aor ? conf_apply_parts(c, uri_is, (void *)aor) : NULL;
}

/* Is the caller p itself (its user's AoR)? */
static bool is_self(const struct api_req *r, const struct participant *p)
{
	const char *aor = api_self_aor(r);

	return aor && !strcasecmp(aor, part_uri(p));
}

static const struct api_field request_fields[] = {
	{"participant", API_STRING, true, 0, 64},
	{"priority", API_NUMBER, false, 0, 4},
	{"info", API_STRING, false, 0, FLOOR_INFO_MAX - 1},
};

/* A second request of the same participant: 409 naming the first */
static void already(struct api_req *r, const struct floor_request *fr)
{
	struct odict *od = NULL;
	char detail[96];
	int err = odict_alloc(&od, 4);

	re_snprintf(detail, sizeof(detail), "the participant has request %u "
		    "for this floor (%s); release it first",
		    floor_request_id(fr),
		    floor_status_name(floor_request_status(fr)));
	err = err ? err : api_add_str(od, "error", "already requested");
	err = err ? err : api_add_str(od, "detail", detail);
	err = err ? err : api_add_int(od, "request", floor_request_id(fr));
	api_reply_obj(r, 409, "Conflict", od, err, NULL);
}

/* What conf_floor_request refuses with, in the API's words */
static void request_refused(struct api_req *r, int err,
			    const struct floor_request *fr)
{
	switch (err) {
	case EALREADY:
		already(r, fr);
		break;
	case EPERM:
		api_error(r, 409, "Conflict", "floor control is off",
			  "turn it on with PATCH on the floor's policy "
			  "(\"enabled\": true)");
		break;
	case ENOSPC:
		api_error(r, 409, "Conflict", "the queue is full",
			  "too many requests wait for this floor");
		break;
	default:
		api_error(r, 500, "Internal Server Error", "cannot request "
			  "the floor", strerror(err));
		break;
	}
}

void api_floor_req_create(struct api_req *r)
{
	struct conf *c;
	unsigned id = floor_or_404(r, &c);
	struct floor_request *fr = NULL;
	struct participant *p;
	struct api_floor_req s;
	struct odict *in = NULL;
	const char *pid;
	char detail[128], hdr[160];
	double prio = 0;
	int err;

	if (!id || api_body(r, request_fields, ARRAY_SIZE(request_fields),
			    &in))
		return;
	pid = odict_string(in, "participant");
	p = conf_find_part(c, pid);
	if (!p || !api_part_visible(r, p)) {
		re_snprintf(detail, sizeof(detail), "field 'participant': no "
			    "participant '%s' in this conference", pid);
		api_error(r, 400, "Bad Request", "invalid request", detail);
		goto out;
	}
	if (!api_sees_all(r, c) && !is_self(r, p)) {
		api_error(r, 403, "Forbidden", "forbidden", "only moderators "
			  "request the floor for others");
		goto out;
	}
	if (api_json_number(in, "priority", &prio) && prio != (uint8_t)prio) {
		api_error(r, 400, "Bad Request", "invalid request", "field "
			  "'priority' must be a whole number, 0 to 4");
		goto out;
	}
	if (part_status(p) == PART_FAILED ||
	    part_status(p) == PART_DISCONNECTING) {
		api_error(r, 409, "Conflict", "not in the call",
			  "the participant is leaving or has left");
		goto out;
	}
	err = conf_floor_request(c, id, p, caller_part(r, c), (uint8_t)prio,
				 odict_string(in, "info"), &fr);
	if (err) {
		request_refused(r, err, fr);
		goto out;
	}
	api_floor_snap(&s, fr);
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s/floors/"
		    "%u/requests/%u\r\n", conf_id(c), id, s.id);
	reply_req(r, &s, 201, "Created", hdr);
out:
	mem_deref(in);
}

void api_floor_req_get(struct api_req *r)
{
	struct conf *c;
	struct floor_request *fr = req_or_404(r, &c);
	struct api_floor_req s;

	if (!fr)
		return;
	api_floor_snap(&s, fr);
	reply_req(r, &s, 200, "OK", NULL);
}

void api_floor_req_delete(struct api_req *r)
{
	struct conf *c;
	struct floor_request *fr = req_or_404(r, &c);
	struct participant *p;

	if (!fr)
		return;
	p = floor_request_beneficiary(fr);
	if (!api_sees_all(r, c) && !(p && is_self(r, p))) {
		api_error(r, 403, "Forbidden", "forbidden", "only the "
			  "participant itself or a moderator lets go of its "
			  "request");
		return;
	}
	floor_request_release(fr);       /* it is gone now */
	api_reply_json(r, 204, "No Content", NULL, NULL);
}

/* A chair's decision; the answer is the request as it is after it (as
 * it ended, for a denial or a revocation) */
static const struct api_field decide_fields[] = {
	{"status_info", API_STRING, false, 0, FLOOR_INFO_MAX - 1},
};

static void decide(struct api_req *r, enum floor_status st)
{
	struct conf *c;
	struct floor_request *fr = req_or_404(r, &c);
	struct api_floor_req s;
	struct odict *in = NULL;
	const char *why;
	char detail[128];
	int err;

	if (!fr || api_body(r, decide_fields, 1, &in))
		return;
	why = odict_string(in, "status_info");
	api_floor_snap(&s, fr);
	err = floor_request_decide(fr, st, why);
	if (err == ENOSPC) {
		re_snprintf(detail, sizeof(detail), "the floor has "
			    "max_holders holders (%u); revoke one first",
			    conf_floor_policy(c, s.floor)->max_holders);
		api_error(r, 409, "Conflict", "the floor is full", detail);
		goto out;
	}
	if (err) {
		re_snprintf(detail, sizeof(detail), "a request that is %s "
			    "cannot be %s", floor_status_name(s.status),
			    floor_status_name(st));
		api_error(r, 409, "Conflict", "not a decision for this "
			  "request", detail);
		goto out;
	}
	fr = conf_floor_request_find(c, s.id);
	if (fr) {
		api_floor_snap(&s, fr);
	}
	else {                           /* ended: as it ended */
		s.status = st;
		s.qpos = 0;
		re_snprintf(s.status_info, sizeof(s.status_info), "%s",
			    why ? why : "");
	}
	reply_req(r, &s, 200, "OK", NULL);
out:
	mem_deref(in);
}

void api_floor_req_grant(struct api_req *r)
{
	decide(r, FLOOR_GRANTED);
}

void api_floor_req_deny(struct api_req *r)
{
	decide(r, FLOOR_DENIED);
}

void api_floor_req_revoke(struct api_req *r)
{
	decide(r, FLOOR_REVOKED);
}

void api_floor_req_accept(struct api_req *r)
{
	decide(r, FLOOR_ACCEPTED);
}
