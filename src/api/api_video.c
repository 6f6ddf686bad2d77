/*
 * A conference's video over HTTP (conf/conf_video.h): GET and PATCH
 * .../video (the settings, who is shown and pinned, the order the
 * forwarder shows people in), POST .../participants/{pid}/camera (far-end
 * camera control, H.224), and the video members of a conference's and a
 * participant's JSON, which api_conf.c asks this file for. The video's
 * status is not here: the conference's media list owns it
 * (api_conf_media.c). A participant the caller may not see in the roster
 * is left out, or null, wherever this file would name it. Signalling
 * thread.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "conf/floor.h"
#include "video/h224.h"

/* May the caller see p in the roster? The roster's rule (api_conf.c's
 * api_part_visible: hidden and waiting participants only to moderators
 * and themselves; anonymous ones by their pid, which the roster shows
 * anonymised), read from the same accessors here because api_conf.c
 * calls this file and the module's files call each other one way only
 * (tests/lint). r NULL: a listing that names no participant (the list
 * of conferences) */
static bool seen(const struct api_req *r, const struct participant *p)
{
	const struct part_privacy *pv;
	const char *self;

	if (!r || !p)
		return false;
	pv = part_privacy(p);
	if (!pv->hidden && !pv->pending && !pv->lobby)
		return true;
	self = api_self_aor(r);
	return api_sees_all(r, part_conf(p)) ||
		(self && !strcasecmp(self, part_uri(p)));
}

/* p's id, or null: nobody, or someone the caller may not see */
static int pid_add(struct odict *od, const char *key,
		   const struct participant *p, const struct api_req *r)
{
	if (!seen(r, p))
		return odict_entry_add(od, key, ODICT_NULL);
	return api_add_str(od, key, part_id(p));
}

int api_video_conf_json(struct odict *od, struct conf *c,
			const struct api_req *r)
{
	const struct conf_video *v = conf_video(c);
	struct odict *vo = NULL;
	int err = odict_alloc(&vo, 8);

	if (err)
		return err;
	err |= api_add_str(vo, "status", v->status);
	err |= api_add_str(vo, "mode", v->mode);
	err |= api_add_str(vo, "layout", v->layout);
	err |= pid_add(vo, "shown", conf_video_shown(c), r);
	err |= pid_add(vo, "pinned", conf_video_pinned(c), r);
	err = err ? err : odict_entry_add(od, "video", ODICT_OBJECT, vo);
	mem_deref(vo);
	return err;
}

/* whom p sees: a pid, "composed", or null (nothing yet, or someone the
 * caller may not see) */
static int sees_add(struct odict *od, const struct participant *p,
		    const struct api_req *r)
{
	const char *sees = part_video_stats(p)->sees;

	if (!strcmp(sees, "composed"))
		return api_add_str(od, "sees", sees);
	return pid_add(od, "sees", sees[0] ?
		       conf_find_part(part_conf(p), sees) : NULL, r);
}

int api_video_part_json(struct odict *od, const struct participant *p,
			const struct api_req *r)
{
	const struct part_video *pv = part_video(p);
	const struct part_video_stats *st = part_video_stats(p);
	struct odict *vo = NULL;
	int err;

	if (!pv->codec[0])
		return 0;
	err = odict_alloc(&vo, 32);
	if (err)
		return err;
	err |= api_add_str(vo, "codec", pv->codec);
	err |= api_add_str(vo, "direction", pv->direction);
	err |= api_add_int(vo, "local_port", pv->local_port);
	err |= api_add_int(vo, "tx_ssrc", pv->tx_ssrc);
	err |= api_add_bool(vo, "sends", pv->sends);
	err |= api_add_bool(vo, "camera_control", pv->fecc);
	err |= api_add_int(vo, "rx_packets", (int64_t)st->rx_packets);
	err |= api_add_int(vo, "tx_packets", (int64_t)st->tx_packets);
	err |= api_add_int(vo, "rx_kbps", st->rx_kbps);
	err |= api_add_int(vo, "tx_kbps", st->tx_kbps);
	err |= api_add_int(vo, "est_kbps", st->est_kbps);
	err |= api_add_int(vo, "rx_lost", st->rx_lost);
	err |= api_add_int(vo, "rx_stranger", st->rx_stranger);
	err |= api_add_int(vo, "keyframes_rx", st->keyframes_rx);
	err |= api_add_int(vo, "kf_requests_tx", st->kf_requests_tx);
	err |= api_add_int(vo, "kf_requests_rx", st->kf_requests_rx);
	err |= api_add_int(vo, "nacks_rx", st->nacks_rx);
	err |= api_add_int(vo, "retransmits", st->retransmits);
	err |= api_add_int(vo, "switches", st->switches);
	err |= sees_add(vo, p, r);
	err = err ? err : odict_entry_add(od, "video", ODICT_OBJECT, vo);
	mem_deref(vo);
	return err;
}

static bool count_h(struct participant *p, void *arg)
{
	(void)p;
	++*(unsigned *)arg;
	return false;
}

/* "order": who the forwarder shows, most wanted first, as r may see */
static int order_add(struct odict *od, struct conf *c,
		     const struct api_req *r)
{
	const struct participant **ps;
	struct odict *arr = NULL;
	unsigned max = 1, n, k = 0;
	int err;

	(void)conf_apply_parts(c, count_h, &max);
	ps = mem_zalloc(max * sizeof(*ps), NULL);
	if (!ps)
		return ENOMEM;
	n = conf_video_order(c, ps, max);
	err = odict_alloc(&arr, 16);
	for (unsigned i = 0; !err && i < n; i++) {
		char key[12];

		if (!seen(r, ps[i]))
			continue;
		re_snprintf(key, sizeof(key), "%u", k++);
		err = api_add_str(arr, key, part_id(ps[i]));
	}
	err = err ? err : odict_entry_add(od, "order", ODICT_ARRAY, arr);
	mem_deref(arr);
	mem_deref(ps);
	return err;
}

/* GET's body, and PATCH's answer */
static int video_json(struct odict **odp, struct conf *c,
		      const struct api_req *r)
{
	const struct conf_video *v = conf_video(c);
	struct odict *od = NULL;
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	err |= api_add_str(od, "status", v->status);
	err |= api_add_str(od, "mode", v->mode);
	err |= api_add_str(od, "layout", v->layout);
	err |= api_add_int(od, "width", v->width);
	err |= api_add_int(od, "height", v->height);
	err |= api_add_int(od, "fps", v->fps);
	err |= api_add_int(od, "kbps", v->kbps);
	err |= api_add_int(od, "hold_ms", v->hold_ms);
	err |= api_add_int(od, "talk_ms", v->talk_ms);
	err |= api_add_str(od, "camera_control", v->camera);
	err |= pid_add(od, "shown", conf_video_shown(c), r);
	err |= pid_add(od, "pinned", conf_video_pinned(c), r);
	err |= order_add(od, c, r);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

void api_video_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL;
	int err;

	if (!c)
		return;
	err = video_json(&out, c, r);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

/* Numbers are taken as any JSON number and then held to the setting's
 * own range by conf_video_check, so that a 400 says that range (not the
 * width of the field that stores it) */
#define ANY_NUM -1e12, 1e12

static const struct api_field video_fields[] = {
	{"mode", API_STRING, false, 0, 32},
	{"layout", API_STRING, false, 0, 32},
	{"width", API_NUMBER, false, ANY_NUM},
	{"height", API_NUMBER, false, ANY_NUM},
	{"fps", API_NUMBER, false, ANY_NUM},
	{"kbps", API_NUMBER, false, ANY_NUM},
	{"hold_ms", API_NUMBER, false, ANY_NUM},
	{"talk_ms", API_NUMBER, false, ANY_NUM},
	{"camera_control", API_STRING, false, 0, 32},
	{"pin", API_STRING | API_OR_NULL, false, 0, 64},
	/* the media list's: named here only to say where it is */
	{"status", API_ANY, false, 0, 0},
};

static void bad(struct api_req *r, const char *detail)
{
	api_error(r, 400, "Bad Request", "invalid request", detail);
}

/* A whole number member into *dst; beyond what the setting can hold it
 * becomes max, which is beyond every setting's range (conf_video_check
 * then names it). false: not whole, 400 replied */
static bool num_get(struct api_req *r, const struct odict *in,
		    const char *name, uint32_t max, uint32_t *dst)
{
	char detail[80];
	double v;

	if (!api_json_number(in, name, &v))
		return true;
	if (v != (double)(int64_t)v) {
		re_snprintf(detail, sizeof(detail), "field '%s' must be a "
			    "whole number", name);
		bad(r, detail);
		return false;
	}
	*dst = v < 0 || v > max ? max : (uint32_t)v;
	return true;
}

/* A word member into dst; one too long for it is none of the words
 * (dst is emptied, which conf_video_check names) */
static void word_get(const struct odict *in, const char *name, char *dst,
		     size_t sz)
{
	const char *s = odict_string(in, name);

	if (s)
		re_snprintf(dst, sz, "%s", strlen(s) < sz ? s : "");
}

/* The settings the body names on top of the current ones; false: 400
 * replied, naming the member */
static bool settings_from(struct api_req *r, const struct odict *in,
			  struct conf_video *v)
{
	uint32_t w = v->width, h = v->height, fps = v->fps, kbps = v->kbps;
	char detail[128], why[96];

	word_get(in, "mode", v->mode, sizeof(v->mode));
	word_get(in, "layout", v->layout, sizeof(v->layout));
	word_get(in, "camera_control", v->camera, sizeof(v->camera));
	if (!num_get(r, in, "width", UINT16_MAX, &w) ||
	    !num_get(r, in, "height", UINT16_MAX, &h) ||
	    !num_get(r, in, "fps", UINT8_MAX, &fps) ||
	    !num_get(r, in, "kbps", UINT16_MAX, &kbps) ||
	    !num_get(r, in, "hold_ms", UINT32_MAX, &v->hold_ms) ||
	    !num_get(r, in, "talk_ms", UINT32_MAX, &v->talk_ms))
		return false;
	v->width = (uint16_t)w;
	v->height = (uint16_t)h;
	v->fps = (uint8_t)fps;
	v->kbps = (uint16_t)kbps;
	if (conf_video_check(v, why, sizeof(why))) {
		re_snprintf(detail, sizeof(detail), "field %s", why);
		bad(r, detail);
		return false;
	}
	return true;
}

/* Does the caller (a user) hold the audio floor in c, in one of its
 * calls? */
struct floor_ctx {
	const char *aor;
	struct conf *c;
};

static bool holds_h(struct participant *p, void *arg)
{
	const struct floor_ctx *x = arg;
	const struct floor_request *fr;

	if (strcasecmp(part_uri(p), x->aor))
		return false;
	fr = conf_floor_request_of(x->c, FLOOR_AUDIO, p);
	return fr && floor_request_status(fr) == FLOOR_GRANTED;
}

static bool holds_floor(const struct api_req *r, struct conf *c)
{
	struct floor_ctx x = {api_self_aor(r), c};

	return x.aor && conf_apply_parts(c, holds_h, &x) != NULL;
}

/* The participant pin names (NULL: unpin); false: 404 or 409 replied */
static bool pin_from(struct api_req *r, struct conf *c,
		     const struct odict_entry *pe, struct participant **pp)
{
	struct participant *p;

	*pp = NULL;
	if (pe->type == ODICT_NULL)
		return true;
	p = conf_find_part(c, pe->u.str);
	if (!p || !seen(r, p)) {
		api_error(r, 404, "Not Found", "no such participant",
			  pe->u.str);
		return false;
	}
	if (!part_video(p)->sends) {
		api_error(r, 409, "Conflict", "the participant sends no video",
			  "only someone who sends video can be pinned");
		return false;
	}
	*pp = p;
	return true;
}

/* May the caller change what the body names? false: 403 replied */
static bool may_patch(struct api_req *r, struct conf *c, bool settings)
{
	if (api_sees_all(r, c))
		return true;
	if (settings) {
		api_error(r, 403, "Forbidden", "forbidden", "only the "
			  "conference's moderators may change its video");
		return false;
	}
	if (holds_floor(r, c))
		return true;
	api_error(r, 403, "Forbidden", "forbidden", "only moderators, or "
		  "the holder of the audio floor, may pin a participant's "
		  "video");
	return false;
}

void api_video_patch(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	const struct odict_entry *pe;
	struct participant *pin = NULL;
	struct odict *in = NULL, *out = NULL;
	struct conf_video v;
	size_t settings;
	int err;

	if (!c || api_body(r, video_fields, ARRAY_SIZE(video_fields), &in))
		return;
	if (odict_lookup(in, "status")) {
		bad(r, "field 'status' is the conference's media list: PATCH "
		    "/v1/conferences/{id} with {\"media\": [{\"type\": "
		    "\"video\", \"status\": ...}]}");
		goto out;
	}
	pe = odict_lookup(in, "pin");
	settings = odict_count(in, false) - (pe ? 1 : 0);
	if (!settings && !pe) {
		bad(r, "name one of mode, layout, width, height, fps, kbps, "
		    "hold_ms, talk_ms, camera_control, pin");
		goto out;
	}
	v = *conf_video(c);
	if (!may_patch(r, c, settings > 0) || !settings_from(r, in, &v) ||
	    (pe && !pin_from(r, c, pe, &pin)))
		goto out;
	/* all checked: the settings first, as they can fail (stored) */
	err = conf_set_video(c, &v);
	if (err) {
		api_error(r, err == EIO ? 503 : 500, err == EIO ?
			  "Service Unavailable" : "Internal Server Error",
			  "cannot store the video settings", err == EIO ?
			  "the store failed; nothing was changed" :
			  strerror(err));
		goto out;
	}
	if (pe)
		conf_video_pin(c, pin);
	err = video_json(&out, c, r);
	api_reply_obj(r, 200, "OK", out, err, NULL);
out:
	mem_deref(in);
}

static const struct api_field camera_fields[] = {
	{"action", API_STRING, true, 0, 32},
	{"n", API_NUMBER, false, 0, 15},
};

/* An action h224_action_parse takes, checked here first: a typo should
 * be a 400 that lists them, not the 409 of a participant without camera
 * control or the 403 of the camera policy */
static bool action_known(const char *a, unsigned n)
{
	struct h224_fecc f;

	memset(&f, 0, sizeof(f));
	return !h224_action_parse(&f, a, n);
}

/* The caller's own participant in the call (a user), or NULL */
static bool live_self_h(struct participant *p, void *arg)
{
	return !strcasecmp(part_uri(p), arg) &&
		(part_status(p) == PART_CONNECTED ||
		 part_status(p) == PART_ON_HOLD);
}

/* Who steers, by the conference's camera_control: *fromp NULL for a
 * moderator (the API's own), the caller's participant otherwise; false:
 * 403 replied, naming the policy */
static bool steerer(struct api_req *r, struct conf *c,
		    struct participant **fromp)
{
	const char *cam = conf_video(c)->camera, *aor = api_self_aor(r);
	char detail[160];

	*fromp = NULL;
	if (!strcmp(cam, "none")) {
		api_error(r, 403, "Forbidden", "forbidden", "the conference's "
			  "camera_control is 'none': nobody steers cameras");
		return false;
	}
	if (api_sees_all(r, c))
		return true;
	*fromp = aor && !strcmp(cam, "participants") ?
		conf_apply_parts(c, live_self_h, (void *)aor) : NULL;
	if (*fromp)
		return true;
	re_snprintf(detail, sizeof(detail), "the conference's camera_control "
		    "is '%s': %s", cam, !strcmp(cam, "participants") ?
		    "participants steer cameras from their call, and you are "
		    "not in it" : "only its moderators steer cameras");
	api_error(r, 403, "Forbidden", "forbidden", detail);
	return false;
}

static void unknown_action(struct api_req *r, const char *a)
{
	char detail[240];

	re_snprintf(detail, sizeof(detail), "unknown camera action '%s': "
		    "pan_left, pan_right, tilt_up, tilt_down, zoom_in, "
		    "zoom_out, focus_in, focus_out, stop, preset, "
		    "store_preset, source (these three with n, 0 to 15)", a);
	bad(r, detail);
}

void api_video_camera(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct participant *p, *from;
	struct odict *in = NULL;
	const char *action;
	uint32_t n = 0;
	int err;

	if (!c)
		return;
	p = conf_find_part(c, r->param[1]);
	if (!p || !seen(r, p)) {
		api_error(r, 404, "Not Found", "no such participant",
			  r->param[1]);
		return;
	}
	if (api_body(r, camera_fields, ARRAY_SIZE(camera_fields), &in))
		return;
	action = odict_string(in, "action");
	if (!num_get(r, in, "n", 15, &n))
		goto out;
	if (!action_known(action, n)) {
		unknown_action(r, action);
		goto out;
	}
	if (!steerer(r, c, &from))
		goto out;
	if (!part_video(p)->fecc) {
		api_error(r, 409, "Conflict", "no camera control",
			  "the participant has no camera control stream "
			  "(H.224) to steer");
		goto out;
	}
	err = conf_camera(c, from, p, action, n);
	if (!err)
		api_reply_json(r, 204, "No Content", NULL, NULL);
	else if (err == EPERM)
		api_error(r, 403, "Forbidden", "forbidden", "the conference's "
			  "camera_control does not let you steer this camera");
	else if (err == ENOENT)
		api_error(r, 409, "Conflict", "no camera control", "the "
			  "participant has no camera control stream (H.224) "
			  "to steer");
	else if (err == EINVAL)
		unknown_action(r, action);
	else
		api_error(r, 500, "Internal Server Error", "cannot steer the "
			  "camera", strerror(err));
out:
	mem_deref(in);
}
