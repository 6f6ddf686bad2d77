/*
 * API handlers for conferences and participants. Each validates, changes
 * state through conf.h, and lets the reconciler act. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "cluster/cluster.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/conf_video.h"
#include "conf/policy.h"
#include "users/users.h"
#include "util/log.h"

#define DISPLAY_MAX 256

static int media_json(struct odict **odp, struct participant *p)
{
	const struct part_media *pm = part_media(p);
	const struct part_stats *st = part_stats(p);
	struct odict *od;
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	err |= api_add_str(od, "codec", pm->codec);
	err |= api_add_str(od, "remote", pm->remote);
	err |= api_add_int(od, "local_port", pm->local_port);
	err |= api_add_str(od, "direction", pm->direction);
	err |= api_add_str(od, "encryption", pm->encryption[0] ?
			   pm->encryption : "none");
	err |= api_add_int(od, "rx_packets", (int64_t)st->rx_packets);
	err |= api_add_int(od, "tx_packets", (int64_t)st->tx_packets);
	err |= api_add_int(od, "rx_lost", st->rx_lost);
	err |= api_add_int(od, "rx_strangers", st->rx_stranger);
	err |= api_add_int(od, "rx_unauthenticated", st->rx_unauth);
	err |= api_add_int(od, "rx_late", st->rx_late);
	err |= api_add_int(od, "rx_duplicate", st->rx_dup);
	err |= api_add_int(od, "concealed_frames", st->concealed);
	err |= api_add_int(od, "fec_recovered", st->fec_recovered);
	err |= api_add_int(od, "decode_skipped", st->decode_skipped);
	err |= api_add_int(od, "dtx_not_sent", st->tx_dtx);
	err |= api_add_dbl(od, "jitter_ms", st->jitter_us / 1000.0);
	err |= api_add_dbl(od, "jitter_buffer_target_ms",
		       st->jb_target_us / 1000.0);
	err |= api_add_dbl(od, "jitter_buffer_depth_ms",
			   st->jb_depth_us / 1000.0);
	err |= api_add_int(od, "jitter_buffer_skipped", st->jb_skipped);
	err |= api_add_int(od, "jitter_buffer_stretched", st->jb_stretched);
	err |= api_add_int(od, "mix_hz", st->mix_hz);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* What the caller may see of p (api_remote.h: the same rule as for
 * other nodes' participants) */
static enum api_sight part_sight(const struct api_req *r, bool all,
				 const char *self, struct participant *p)
{
	const struct part_privacy *pv = part_privacy(p);
	struct api_seen s = {.conf = part_conf(p), .uri = part_uri(p),
			     .anonymous = pv->anonymous, .hidden = pv->hidden,
			     .waiting = pv->pending || pv->lobby};

	return api_sight(r, all, self, &s);
}

bool api_part_visible(const struct api_req *r, struct participant *p)
{
	return part_sight(r, api_sees_all(r, part_conf(p)), api_self_aor(r),
			  p) != API_SIGHT_NONE;
}

/* whole: the caller moderates, or is p (it sees whom p whispers to);
 * r: whom its video shows, as the caller may see them */
static int part_json(struct odict **odp, struct participant *p,
		     enum api_sight sight, bool whole, const struct api_req *r)
{
	const struct part_settings *s = part_settings(p);
	struct odict *od, *media = NULL;
	bool anon = sight == API_SIGHT_ANON;
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	err |= api_add_str(od, "id", part_id(p));
	err |= api_add_str(od, "uri", anon ? "sip:anonymous@anonymous.invalid" :
		       part_uri(p));
	err |= api_add_str(od, "display_name", anon ? "Anonymous" :
		       part_display(p));
	err |= api_add_str(od, "status", part_status_name(part_status(p)));
	err |= api_add_str(od, "role", part_role(p));
	err |= api_add_str(od, "joining_method", part_dial_out(p) ?
		       "dialed-out" : "dialed-in");
	err |= api_add_bool(od, "muted", s->muted);
	err |= api_add_bool(od, "deaf", s->deaf);
	err |= api_add_bool(od, "talking", part_talking(p));
	err |= api_add_dbl(od, "gain_in_db", s->gain_in_db);
	err |= api_add_dbl(od, "gain_out_db", s->gain_out_db);
	err |= api_add_int(od, "joined_at", part_joined_at(p));
	err |= api_add_bool(od, "hand_raised", part_hand(p));
	err |= api_add_str(od, "mixing", part_mixing_name(part_mixing(p)));
	err |= api_add_bool(od, "multicast", part_multicast(p));
	err |= api_part_mix_json(od, p, whole);
	if (part_privacy(p)->pending)
		err |= api_add_bool(od, "pending", true);
	/* keying the conference's PIN */
	if (part_privacy(p)->lobby)
		err |= api_add_bool(od, "lobby", true);
	/* only those who see through it learn that it is anonymous */
	if (sight == API_SIGHT_FULL && part_privacy(p)->anonymous)
		err |= api_add_bool(od, "anonymous", true);
	if (sight == API_SIGHT_FULL && part_privacy(p)->hidden)
		err |= api_add_bool(od, "hidden", true);
	if (part_referred_by(p) && !anon)
		err |= api_add_str(od, "referred_by", part_referred_by(p));
	if (part_removed_by(p) && !anon)
		err |= api_add_str(od, "removed_by", part_removed_by(p));
	if (part_status(p) == PART_FAILED) {
		err |= api_add_int(od, "sip_code", part_fail_code(p));
		if (part_fail_reason(p))
			err |= api_add_str(od, "reason", part_fail_reason(p));
	}
	if (part_media(p)->codec[0]) {
		err |= media_json(&media, p);
		err |= odict_entry_add(od, "media", ODICT_OBJECT, media);
		mem_deref(media);
	}
	err |= api_video_part_json(od, p, r);
	/* in a cluster: its node; a cascade link: which end, to whom */
	err |= api_part_cluster_json(od, p, r);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* Does the caller see p whole (whom it whispers to): moderators, and p
 * itself */
static bool whole(const struct api_req *r, const char *self,
		  struct participant *p)
{
	return api_sees_all(r, part_conf(p)) ||
		(self && !strcasecmp(self, part_uri(p)));
}

/* Appends one JSON object per visited item to arr, keyed "0", "1", ... */
struct arr_ctx {
	struct odict *arr;
	unsigned n;
	int err;
	bool all;              /* the caller moderates */
	const char *self;      /* the caller's AoR, or NULL */
	const struct api_req *r;
};

static bool part_to_arr(struct participant *p, void *arg)
{
	struct arr_ctx *ctx = arg;
	struct odict *po = NULL;
	char key[12];

	enum api_sight sight = part_sight(ctx->r, ctx->all, ctx->self, p);

	if (sight == API_SIGHT_NONE)
		return false;
	re_snprintf(key, sizeof(key), "%u", ctx->n++);
	ctx->err = part_json(&po, p, sight, whole(ctx->r, ctx->self, p),
			     ctx->r);
	if (!ctx->err)
		ctx->err = odict_entry_add(ctx->arr, key, ODICT_OBJECT, po);
	mem_deref(po);
	return ctx->err != 0;
}

static int parts_json(struct odict **arrp, struct conf *c,
		      const struct api_req *r)
{
	struct arr_ctx ctx = {.all = api_sees_all(r, c),
			      .self = api_self_aor(r), .r = r};
	int err = odict_alloc(&ctx.arr, 16);

	if (err)
		return err;
	conf_apply_parts(c, part_to_arr, &ctx);
	/* then those other nodes serve (a cascaded conference) */
	if (!ctx.err)
		ctx.err = api_remotes_json(ctx.arr, c, r);
	if (ctx.err)
		mem_deref(ctx.arr);
	else
		*arrp = ctx.arr;
	return ctx.err;
}

/* One entry of the media list, unless its status is "none" */
static int media_entry(struct odict *arr, const char *type,
		       const char *status)
{
	struct odict *e = NULL;
	char key[12];
	int err;

	if (!strcmp(status, "none"))
		return 0;
	re_snprintf(key, sizeof(key), "%u", (unsigned)odict_count(arr,
								  false));
	err = odict_alloc(&e, 4);
	err = err ? err : api_add_str(e, "type", type);
	err = err ? err : api_add_str(e, "status", status);
	err = err ? err : odict_entry_add(arr, key, ODICT_OBJECT, e);
	mem_deref(e);
	return err;
}

/* "media": [{"type": "audio"|"video", "status": ...}]: the media the
 * conference has (RFC 4575 available-media); a type not listed is none */
static int media_list_json(struct odict *od, const struct conf *c)
{
	struct odict *arr = NULL;
	int err = odict_alloc(&arr, 4);

	err = err ? err : media_entry(arr, "audio", conf_audio(c));
	err = err ? err : media_entry(arr, "video", conf_video(c)->status);
	err = err ? err : odict_entry_add(od, "media", ODICT_ARRAY, arr);
	mem_deref(arr);
	return err;
}

/* with r: the participants r may see */
int api_conf_json(struct odict **odp, struct conf *c,
		  const struct api_req *r)
{
	struct odict *od, *arr = NULL;
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	err |= api_add_str(od, "id", conf_id(c));
	err |= api_add_str(od, "conference_uri", conf_uri(c));
	err |= api_add_str(od, "policy_uri", conf_policy_uri(c));
	err |= api_add_str(od, "display_text", conf_display_text(c));
	err |= api_add_int(od, "created_at", conf_created_at(c));
	if (conf_created_by(c))
		err |= api_add_str(od, "created_by", conf_created_by(c));
	/* the id BFCP's common header carries (RFC 8855; the SDP's
	 * a=confid), for floor control clients */
	err |= api_add_int(od, "bfcp_conference_id", conf_room(c));
	err |= api_add_int(od, "participant_count", conf_participant_count(c));
	err |= api_add_int(od, "version", conf_version(c));
	err |= api_add_bool(od, "adhoc", conf_adhoc(c));
	if (r && r->api->cluster) {
		/* the node that owns it (its main focus), as this node
		 * knows it ("": none serves it now), and how many the other
		 * nodes serve */
		err |= api_add_str(od, "owner",
				   cluster_owner(r->api->cluster, c));
		err |= api_add_int(od, "remote_participant_count",
				   conf_remote_count(c));
	}
	err |= media_list_json(od, c);
	/* who is shown and pinned: none named in a listing (r NULL) */
	err |= api_video_conf_json(od, c, r);
	err |= api_add_int(od, "max_speakers", conf_max_speakers(c));
	err |= api_add_int(od, "mix_rate", conf_mix_rate(c));
	err |= api_add_int(od, "mix_hz_now", conf_mix_hz_now(c));
	/* while it is recorded: where the recording is */
	if (conf_recording(c))
		err |= api_add_str(od, "recording", conf_recording(c));
	if (r) {
		err |= parts_json(&arr, c, r);
		err |= odict_entry_add(od, "participants", ODICT_ARRAY, arr);
		mem_deref(arr);
	}
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* {pid} of {id} as the caller may see it, or NULL after replying 404
 * (also for one they may not see: hidden or waiting) */
static struct participant *part_or_404(struct api_req *r,
				       enum api_sight *sight)
{
	struct conf *c = api_conf_or_404(r);
	struct participant *p;

	if (!c)
		return NULL;
	p = conf_find_part(c, r->param[1]);
	*sight = p ? part_sight(r, api_sees_all(r, c), api_self_aor(r), p) :
		API_SIGHT_NONE;
	if (*sight == API_SIGHT_NONE) {
		api_error(r, 404, "Not Found", "no such participant",
			  r->param[1]);
		return NULL;
	}
	return p;
}

static bool conf_to_arr(struct conf *c, void *arg)
{
	struct arr_ctx *ctx = arg;
	struct odict *co = NULL;
	char key[12];

	re_snprintf(key, sizeof(key), "%u", ctx->n++);
	ctx->err = api_conf_json(&co, c, NULL);
	if (!ctx->err)
		ctx->err = odict_entry_add(ctx->arr, key, ODICT_OBJECT, co);
	mem_deref(co);
	return ctx->err != 0;
}

void api_conf_list(struct api_req *r)
{
	struct arr_ctx ctx = {0};
	struct odict *od = NULL;
	int err = odict_alloc(&od, 4);

	err |= odict_alloc(&ctx.arr, 16);
	if (!err) {
		confs_apply(r->api->confs, conf_to_arr, &ctx);
		err = ctx.err;
		err |= odict_entry_add(od, "conferences", ODICT_ARRAY,
				       ctx.arr);
	}
	mem_deref(ctx.arr);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}

static const struct api_field conf_fields[] = {
	{"id", API_STRING, false, 0, 64},
	{"display_text", API_STRING, false, 0, DISPLAY_MAX},
};

/* A user who creates a conference administers it */
static void creator_is_admin(struct api_req *r, struct conf *c)
{
	static struct policy np;          /* large; signalling thread only */
	struct policy_user *u;

	np = *conf_policy(c);
	u = policy_user_get(&np, r->user->aor);
	if (u)
		strcpy(u->role, "administrator");
	if (!u || conf_set_policy(c, &np))
		log_warn("api", "msg=\"creator not stored as administrator\" "
			 "conf=%s", conf_id(c));
}

void api_conf_create(struct api_req *r)
{
	struct odict *in = NULL, *out = NULL;
	struct conf *c = NULL;
	const char *id;
	char hdr[128];
	int err;

	if (api_body(r, conf_fields, 2, &in))
		return;
	id = odict_string(in, "id");
	if (id && !conf_id_valid(id)) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'id' must be 1 to 64 of A-Z a-z 0-9 - _ .");
		goto out;
	}
	err = conf_create(r->api->confs, id, odict_string(in, "display_text"),
			  &c);
	if (err == EEXIST) {
		api_error(r, 409, "Conflict", "conference id taken", id);
		goto out;
	}
	if (err) {
		api_error(r, 500, "Internal Server Error", "store failure",
			  strerror(err));
		goto out;
	}
	if (r->user)
		creator_is_admin(r, c);
	(void)conf_set_created_by(c, r->user ? r->user->aor : "admin");
	snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s\r\n",
		 conf_id(c));
	err = api_conf_json(&out, c, NULL);
	api_reply_obj(r, 201, "Created", out, err, hdr);
out:
	mem_deref(in);
}

void api_conf_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *od = NULL;
	int err;

	if (!c)
		return;
	err = api_conf_json(&od, c, r);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}

void api_conf_delete(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	int err;

	if (!c)
		return;
	err = conf_destroy(c);
	if (err) {
		api_error(r, 500, "Internal Server Error", "store failure",
			  strerror(err));
		return;
	}
	api_reply_json(r, 204, "No Content", NULL, NULL);
}

void api_part_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *od = NULL, *arr = NULL;
	int err;

	if (!c)
		return;
	err = odict_alloc(&od, 4);
	err = err ? err : parts_json(&arr, c, r);
	err = err ? err : odict_entry_add(od, "participants", ODICT_ARRAY,
					  arr);
	mem_deref(arr);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}

static const struct api_field dial_fields[] = {
	{"uri", API_STRING, true, 0, 256},
};

static bool dial_uri_valid(const char *s)
{
	struct uri uri;
	struct pl pl;

	pl_set_str(&pl, s);
	if (uri_decode(&uri, &pl))
		return false;
	return (!pl_strcasecmp(&uri.scheme, "sip") ||
		!pl_strcasecmp(&uri.scheme, "sips")) && pl_isset(&uri.host) &&
		!strpbrk(s, " \t\r\n<>\"");
}

void api_part_add(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	struct participant *p = NULL;
	struct part_new pn = {.dial_out = true};
	const char *uri;
	char hdr[160];
	int err;

	if (!c || api_body(r, dial_fields, 1, &in))
		return;
	uri = odict_string(in, "uri");
	if (!dial_uri_valid(uri)) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'uri' must be a sip: or sips: URI");
		goto out;
	}
	pn.uri = uri;
	err = part_add(c, &pn, &p);
	if (err) {
		api_error(r, 500, "Internal Server Error", "cannot add",
			  strerror(err));
		goto out;
	}
	mem_ref(p);            /* the reconciler may fail it at once */
	conf_reconcile(c);
	snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s/"
		 "participants/%s\r\n", conf_id(c), part_id(p));
	err = part_json(&out, p, API_SIGHT_FULL, true, r);
	api_reply_obj(r, 201, "Created", out, err, hdr);
	mem_deref(p);
out:
	mem_deref(in);
}

/* {pid} names another node's participant ("<pid>@<node>"): answered
 * here, from what that node published (change: false) or by that node */
static bool remote_done(struct api_req *r, bool change)
{
	const struct conf_remote *rp;
	struct conf *c;

	if (!api_remote_id(r))
		return false;
	c = api_conf_or_404(r);
	if (c && !change)
		api_remote_part_get(r, c);
	else if (c && (rp = api_remote_or_404(r, c)))
		api_remote_forward(r, rp);
	return true;
}

void api_part_get(struct api_req *r)
{
	enum api_sight sight;
	struct participant *p;
	struct odict *od = NULL;
	int err;

	if (remote_done(r, false))
		return;
	p = part_or_404(r, &sight);
	if (!p)
		return;
	err = part_json(&od, p, sight, whole(r, api_self_aor(r), p), r);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}

static const struct api_field patch_fields[] = {
	{"muted", API_BOOL, false, 0, 0},
	{"deaf", API_BOOL, false, 0, 0},
	{"gain_in_db", API_NUMBER, false, -96, 24},
	{"gain_out_db", API_NUMBER, false, -96, 24},
	{"hand_raised", API_BOOL, false, 0, 0},
	/* the media policy's (api_part_mix.c) */
	{"sidebar", API_STRING | API_OR_NULL, false, 0, 64},
	{"floor", API_BOOL, false, 0, 0},
	{"whisper", API_OBJECT | API_OR_NULL, false, 0, 0},
};

void api_part_patch(struct api_req *r)
{
	enum api_sight sight;
	struct participant *p;
	struct api_mix_patch mix;
	struct part_settings s;
	struct odict *in = NULL, *out = NULL;
	int err;

	bool hand;

	if (remote_done(r, true))
		return;
	p = part_or_404(r, &sight);
	if (!p || api_body(r, patch_fields, ARRAY_SIZE(patch_fields), &in) ||
	    api_part_mix_check(r, p, in, &mix))
		goto out;
	s = *part_settings(p);
	hand = part_hand(p);
	(void)odict_get_boolean(in, &hand, "hand_raised");
	(void)odict_get_boolean(in, &s.muted, "muted");
	(void)odict_get_boolean(in, &s.deaf, "deaf");
	(void)api_json_number(in, "gain_in_db", &s.gain_in_db);
	(void)api_json_number(in, "gain_out_db", &s.gain_out_db);
	/* the mixer never mixes a listener: unmuting one would be a 200
	 * that changes nothing anyone hears */
	if (!s.muted && !strcmp(part_role(p), "listener")) {
		api_error(r, 409, "Conflict", "a listener is never heard",
			  "give it another role in the conference's policy "
			  "to unmute it");
		goto out;
	}
	part_update_settings(p, &s);
	part_set_hand(p, hand);
	api_part_mix_apply(p, &mix);
	err = part_json(&out, p, sight, whole(r, api_self_aor(r), p), r);
	api_reply_obj(r, 200, "OK", out, err, NULL);
out:
	mem_deref(in);
}

void api_part_delete(struct api_req *r)
{
	enum api_sight sight;
	struct participant *p;

	if (remote_done(r, true))
		return;
	p = part_or_404(r, &sight);
	if (!p)
		return;
	part_remove(p);
	api_reply_json(r, 204, "No Content", NULL, NULL);
}
