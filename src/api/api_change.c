/*
 * Requested changes (spec s. 5.3, 5.5): a policy, media, media policy or
 * floor policy change by someone whose role may only ask for it. It is answered 202
 * with the change's id and waits; a moderator of every part it touches
 * approves it (it is applied then, on the policy as it is at that moment)
 * or rejects it (dropped); unanswered it expires as rejected after the
 * policy's changes.ttl_s. The requester follows the outcome with GET on
 * the change or on the event stream ("policy-change" messages). Decided
 * changes are kept for a while (the newest API_CHANGES_KEPT) so that
 * their outcome can be read. Signalling thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "conf/mediapol.h"
#include "conf/policy.h"
#include "users/users.h"
#include "util/log.h"

#define API_CHANGES_KEPT 256

enum change_state { CH_PENDING, CH_APPROVED, CH_REJECTED, CH_EXPIRED,
		    CH_FAILED };
static const char *const state_names[] = {"pending", "approved",
					  "rejected", "expired", "failed"};
static const char *const kind_names[] = {"policy-put", "policy-patch",
					 "media", "media-policy-put",
					 "media-policy-patch",
					 "floor-policy-patch"};

struct change {
	struct le le;
	struct api *api;
	uint32_t id;
	char conf_id[72];
	enum api_change_kind kind;
	char *payload;             /* the JSON body, or the media statuses
				    * ("AUDIO/VIDEO", api_media_apply) */
	char base_etag[24];        /* a media policy PUT: the media policy's
				    * ETag when it was asked for */
	unsigned parts;
	unsigned floorid;          /* a floor policy change's floor */
	char requester[160];
	int64_t created, expires;
	enum change_state state;
	char decided_by[160];
	char detail[160];
	struct tmr tmr;
};

static void change_destructor(void *arg)
{
	struct change *ch = arg;

	tmr_cancel(&ch->tmr);
	list_unlink(&ch->le);
	mem_deref(ch->payload);
}

void api_changes_flush(struct api *a)
{
	list_flush(&a->changes);
}

static int parts_json(struct odict *od, unsigned parts)
{
	struct odict *arr = NULL;
	unsigned n = 0;
	int err = odict_alloc(&arr, 8);

	for (unsigned i = 0; !err && i <= POLICY_PART_CONTROL; i++) {
		char key[8];

		if (!(parts & (1u << i)))
			continue;
		re_snprintf(key, sizeof(key), "%u", n++);
		err = odict_entry_add(arr, key, ODICT_STRING,
				      policy_part_name(i));
	}
	err = err ? err : odict_entry_add(od, "parts", ODICT_ARRAY, arr);
	mem_deref(arr);
	return err;
}

/* "AUDIO/VIDEO" into its two statuses */
static void media_split(const char *media, char *audio, char *video,
			size_t sz)
{
	const char *slash = strchr(media, '/');
	size_t n = slash ? (size_t)(slash - media) : strlen(media);

	re_snprintf(audio, sz, "%b", media, n < sz ? n : 0);
	re_snprintf(video, sz, "%s", slash && strlen(slash + 1) < sz ?
		    slash + 1 : "");
}

/* a media change's "audio" and "video" */
static int media_json(struct odict *od, const char *media)
{
	char audio[16], video[16];
	int err;

	media_split(media, audio, video, sizeof(audio));
	err = odict_entry_add(od, "audio", ODICT_STRING, audio);
	return err ? err : odict_entry_add(od, "video", ODICT_STRING, video);
}

int api_media_apply(struct conf *c, const char *media)
{
	char audio[16], video[16];

	media_split(media, audio, video, sizeof(audio));
	/* stored together, one re-INVITE each */
	return conf_set_media(c, audio, video);
}

static int change_json(struct odict **odp, const struct change *ch)
{
	struct odict *od = NULL;
	char id[12];
	int err = odict_alloc(&od, 16);

	re_snprintf(id, sizeof(id), "%u", ch->id);
	err = err ? err : odict_entry_add(od, "id", ODICT_STRING, id);
	err |= odict_entry_add(od, "conference", ODICT_STRING, ch->conf_id);
	err |= odict_entry_add(od, "kind", ODICT_STRING,
			       kind_names[ch->kind]);
	err |= odict_entry_add(od, "state", ODICT_STRING,
			       state_names[ch->state]);
	err |= parts_json(od, ch->parts);
	err |= odict_entry_add(od, "requested_by", ODICT_STRING,
			       ch->requester);
	err |= odict_entry_add(od, "created_at", ODICT_INT, ch->created);
	err |= odict_entry_add(od, "expires_at", ODICT_INT, ch->expires);
	if (ch->kind == API_CHANGE_FLOOR_PATCH)
		err |= odict_entry_add(od, "floor", ODICT_INT,
				       (int64_t)ch->floorid);
	if (ch->kind == API_CHANGE_MEDIA)
		err |= media_json(od, ch->payload);
	else
		err |= odict_entry_add(od, "document", ODICT_STRING,
				       ch->payload);
	if (ch->decided_by[0])
		err |= odict_entry_add(od, "decided_by", ODICT_STRING,
				       ch->decided_by);
	if (ch->detail[0])
		err |= odict_entry_add(od, "detail", ODICT_STRING,
				       ch->detail);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* the outcome (or the new request) to whoever follows the conference */
static void publish(struct change *ch)
{
	struct odict *msg = NULL, *co = NULL;
	int err = odict_alloc(&msg, 4);

	err = err ? err : change_json(&co, ch);
	err = err ? err : odict_entry_add(msg, "type", ODICT_STRING,
					  "policy-change");
	err = err ? err : odict_entry_add(msg, "conference", ODICT_STRING,
					  ch->conf_id);
	err = err ? err : odict_entry_add(msg, "change", ODICT_OBJECT, co);
	if (!err)
		api_events_send(ch->api, ch->conf_id, msg);
	mem_deref(co);
	mem_deref(msg);
}

/* keeps at most API_CHANGES_KEPT, dropping the oldest decided ones */
static void trim(struct api *a)
{
	struct le *le = a->changes.head;

	while (le && list_count(&a->changes) > API_CHANGES_KEPT) {
		struct change *ch = le->data;

		le = le->next;
		if (ch->state != CH_PENDING)
			mem_deref(ch);
	}
}

static void decide(struct change *ch, enum change_state st, const char *by)
{
	tmr_cancel(&ch->tmr);
	ch->state = st;
	re_snprintf(ch->decided_by, sizeof(ch->decided_by), "%s", by);
	log_info("api", "msg=\"requested change %s\" conf=%s change=%u "
		 "by=%s", state_names[st], ch->conf_id, ch->id, by);
	publish(ch);
}

static void expired(void *arg)
{
	decide(arg, CH_EXPIRED, "");
}

static const char *who(const struct api_req *r)
{
	return r->user ? r->user->aor : "admin";
}

int api_change_gate(struct api_req *r, struct conf *c, unsigned parts,
		    enum api_change_kind kind, const char *payload,
		    size_t len)
{
	const struct policy *p = conf_policy(c);
	unsigned role = api_role_in(r, c);
	const char *why = "?";
	struct odict *out = NULL;
	struct change *ch;
	char detail[160], hdr[128];
	int err;

	switch (policy_may_change(p, role, parts, &why)) {
	case POLICY_CHANGE_DIRECT:
		return 0;
	case POLICY_CHANGE_FORBIDDEN:
		re_snprintf(detail, sizeof(detail), "your role may not change "
			    "the %s part of this conference's policy", why);
		api_error(r, 403, "Forbidden", "forbidden", detail);
		return EACCES;
	default:
		break;
	}
	ch = mem_zalloc(sizeof(*ch), change_destructor);
	if (!ch || re_sdprintf(&ch->payload, "%b", payload, len)) {
		mem_deref(ch);
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return ENOMEM;
	}
	ch->api = r->api;
	ch->id = ++r->api->change_ids;
	re_snprintf(ch->conf_id, sizeof(ch->conf_id), "%s", conf_id(c));
	ch->kind = kind;
	ch->parts = parts;
	if (kind == API_CHANGE_MEDIAPOL_PUT)
		conf_mediapol_etag(c, ch->base_etag, sizeof(ch->base_etag));
	/* the floor routes' {floorid}, checked by their handler */
	if (kind == API_CHANGE_FLOOR_PATCH)
		ch->floorid = (unsigned)strtoul(r->param[1], NULL, 10);
	re_snprintf(ch->requester, sizeof(ch->requester), "%s", who(r));
	ch->created = (int64_t)time(NULL);
	ch->expires = ch->created + p->change_ttl_s;
	tmr_init(&ch->tmr);
	tmr_start(&ch->tmr, p->change_ttl_s * 1000ull, expired, ch);
	list_append(&r->api->changes, &ch->le, ch);
	trim(r->api);
	log_info("api", "msg=\"change waits for a moderator\" conf=%s "
		 "change=%u by=%s kind=%s", ch->conf_id, ch->id,
		 ch->requester, kind_names[kind]);
	publish(ch);
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s/changes/"
		    "%u\r\n", ch->conf_id, ch->id);
	err = change_json(&out, ch);
	api_reply_obj(r, 202, "Accepted", out, err, hdr);
	return EINPROGRESS;
}

static struct change *find(struct api_req *r, struct conf **cp)
{
	struct conf *c = api_conf_or_404(r);

	if (!c)
		return NULL;
	for (struct le *le = r->api->changes.head; le; le = le->next) {
		struct change *ch = le->data;
		char id[12];

		re_snprintf(id, sizeof(id), "%u", ch->id);
		if (!strcmp(ch->conf_id, conf_id(c)) &&
		    !strcmp(id, r->param[1])) {
			*cp = c;
			return ch;
		}
	}
	api_error(r, 404, "Not Found", "no such change", r->param[1]);
	return NULL;
}

void api_change_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL, *arr = NULL;
	unsigned n = 0;
	int err;

	if (!c)
		return;
	err = odict_alloc(&out, 4);
	err = err ? err : odict_alloc(&arr, 16);
	for (struct le *le = r->api->changes.head; !err && le;
	     le = le->next) {
		struct change *ch = le->data;
		struct odict *co = NULL;
		char key[12];

		if (strcmp(ch->conf_id, conf_id(c)))
			continue;
		re_snprintf(key, sizeof(key), "%u", n++);
		err = change_json(&co, ch);
		err = err ? err : odict_entry_add(arr, key, ODICT_OBJECT, co);
		mem_deref(co);
	}
	err = err ? err : odict_entry_add(out, "changes", ODICT_ARRAY, arr);
	mem_deref(arr);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

static void reply_change(struct api_req *r, const struct change *ch)
{
	struct odict *out = NULL;
	int err = change_json(&out, ch);

	api_reply_obj(r, 200, "OK", out, err, NULL);
}

void api_change_get(struct api_req *r)
{
	struct conf *c;
	struct change *ch = find(r, &c);

	if (ch)
		reply_change(r, ch);
}

/* A requested media policy document, on the media policy as it is now */
static int apply_mediapol(struct change *ch, struct conf *c)
{
	static struct mediapol mp;        /* large; signalling thread only */
	bool put = ch->kind == API_CHANGE_MEDIAPOL_PUT;
	char etag[24];
	int err;

	/* the media policy is one part: a whole document asked for earlier
	 * would now also undo what others changed meanwhile */
	conf_mediapol_etag(c, etag, sizeof(etag));
	if (put && strcmp(etag, ch->base_etag)) {
		re_snprintf(ch->detail, sizeof(ch->detail), "the media policy "
			    "changed since the request: it would now undo "
			    "that change too; request it again");
		return EINVAL;
	}
	err = mediapol_parse(&mp, put ? NULL : conf_mediapol(c), ch->payload,
			     strlen(ch->payload), ch->detail,
			     sizeof(ch->detail));
	return err ? err : conf_set_mediapol(c, &mp);
}

/* A requested floor policy change, on the floor's policy as it is now */
static int apply_floor(struct change *ch, struct conf *c)
{
	const struct floor_policy *base = conf_floor_policy(c, ch->floorid);
	struct floor_policy fp;
	int err;

	if (!base) {
		re_snprintf(ch->detail, sizeof(ch->detail), "no floor %u",
			    ch->floorid);
		return EINVAL;
	}
	err = api_floor_policy_parse(&fp, base, ch->payload,
				     strlen(ch->payload), ch->detail,
				     sizeof(ch->detail));
	if (err == EBADMSG)
		err = EINVAL;
	return err ? err : conf_set_floor_policy(c, ch->floorid, &fp);
}

/* Applies ch to c as c is now; EINVAL with detail when it no longer fits */
static int apply(struct change *ch, struct conf *c)
{
	static struct policy np;          /* large; signalling thread only */
	int err;

	if (ch->kind == API_CHANGE_MEDIA)
		return api_media_apply(c, ch->payload);
	if (ch->kind == API_CHANGE_MEDIAPOL_PUT ||
	    ch->kind == API_CHANGE_MEDIAPOL_PATCH)
		return apply_mediapol(ch, c);
	if (ch->kind == API_CHANGE_FLOOR_PATCH)
		return apply_floor(ch, c);
	err = policy_parse(&np, ch->kind == API_CHANGE_POLICY_PATCH ?
			   conf_policy(c) : NULL, ch->payload,
			   strlen(ch->payload), ch->detail,
			   sizeof(ch->detail));
	if (err)
		return err;
	/* a whole document asked for earlier would now also undo what
	 * others changed meanwhile, in parts its moderator did not see */
	if (policy_diff(conf_policy(c), &np) & ~ch->parts) {
		re_snprintf(ch->detail, sizeof(ch->detail), "the policy "
			    "changed since the request: it would now change "
			    "more than it asked for; request it again");
		return EINVAL;
	}
	return conf_set_policy(c, &np);
}

static void answer(struct api_req *r, bool approve)
{
	struct conf *c;
	struct change *ch = find(r, &c);
	int err;

	if (!ch)
		return;
	if (ch->state != CH_PENDING) {
		api_error(r, 409, "Conflict", "already decided",
			  state_names[ch->state]);
		return;
	}
	if (!policy_may_moderate(conf_policy(c), api_role_in(r, c),
				 ch->parts)) {
		api_error(r, 403, "Forbidden", "forbidden", "only moderators "
			  "of every part the change touches may decide it");
		return;
	}
	if (!approve) {
		decide(ch, CH_REJECTED, who(r));
		reply_change(r, ch);
		return;
	}
	err = apply(ch, c);
	if (err) {
		if (!ch->detail[0])
			re_snprintf(ch->detail, sizeof(ch->detail),
				    "cannot apply: %m", err);
		decide(ch, CH_FAILED, who(r));
		api_error(r, err == EINVAL ? 409 : 503, err == EINVAL ?
			  "Conflict" : "Service Unavailable",
			  "the change no longer applies", ch->detail);
		return;
	}
	decide(ch, CH_APPROVED, who(r));
	reply_change(r, ch);
}

void api_change_approve(struct api_req *r)
{
	answer(r, true);
}

void api_change_reject(struct api_req *r)
{
	answer(r, false);
}
