/*
 * Builds the RFC 4575 conference-info document of a conference, for one
 * view, as a tree (notify.h). Endpoints are grouped into users by AoR;
 * anonymous participants become users of their own with an anonymous URI,
 * and hidden ones and those pending approval are left out, except for
 * moderators (who see pending ones with status pending, not counted).
 * Sidebars (RFC 4575 s. 5.9): the conference's document lists every one
 * in sidebars-by-ref and, for those whose members it shows, in
 * sidebars-by-val (its description and its members, in the same view);
 * a subscriber to a sidebar's URI gets the sidebar's own document, its
 * members only. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "conf/floor.h"
#include "conf/policy.h"
#include "notify/notify.h"

struct build {
	const struct notify_view *view;
	bool members;               /* only the members of sb */
	const struct sidebar *sb;
	struct odict *users;        /* the <users> element's user array */
	struct hash *by_entity;     /* struct user_ref by user entity */
	unsigned user_count;
	bool any_connected;
	int err;
};

struct user_ref {
	struct le he;
	char *entity;
	struct odict *endpoints;    /* the user's <endpoint> array */
	unsigned n;
	bool counted;               /* has an endpoint in the conference */
};

static struct odict *child(struct odict *parent, const char *key,
			   bool array, int *errp)
{
	struct odict *c = NULL;
	int err;

	/* after a failure, nothing more: the parent may be missing (NULL),
	 * and odict_entry_add(NULL, ...) would replace *errp (ENOMEM) with
	 * EINVAL */
	if (!parent || *errp)
		return NULL;
	err = odict_alloc(&c, 8);
	if (!err)
		err = odict_entry_add(parent, key, array ? ODICT_ARRAY :
				      ODICT_OBJECT, c);
	mem_deref(c);             /* the parent holds it now */
	if (err) {
		*errp = err;
		return NULL;
	}
	return c;
}

/* the next element of an array (keys "0", "1", ...) */
static struct odict *item(struct odict *arr, int *errp)
{
	char key[12];

	re_snprintf(key, sizeof(key), "%zu", odict_count(arr, false));
	return child(arr, key, false, errp);
}

static void str(struct odict *o, const char *k, const char *v, int *errp)
{
	if (o && v && !*errp)
		*errp = odict_entry_add(o, k, ODICT_STRING, v);
}

static void num(struct odict *o, const char *k, int64_t v, int *errp)
{
	if (o && !*errp)
		*errp = odict_entry_add(o, k, ODICT_INT, v);
}

static void flag(struct odict *o, const char *k, bool v, int *errp)
{
	if (o && !*errp)
		*errp = odict_entry_add(o, k, ODICT_BOOL, v);
}

static void when(struct odict *o, const char *k, int64_t t, int *errp)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	str(o, k, buf, errp);
}

static void uri_entry(struct odict *entries, const char *uri,
		      const char *purpose, int *errp)
{
	struct odict *e = item(entries, errp);

	str(e, "uri", uri, errp);
	str(e, "purpose", purpose, errp);
}

static void description(struct odict *ci, const struct conf *c, int *errp)
{
	struct odict *d = child(ci, "conference-description", false, errp);
	struct odict *u, *m, *entry;
	const char *pu = conf_policy_uri(c), *v1 = strstr(pu, "/v1/");
	char web[300];

	if (!d)
		return;
	if (conf_display_text(c)[0])
		str(d, "display-text", conf_display_text(c), errp);
	u = child(child(d, "conf-uris", false, errp), "entry", true, errp);
	uri_entry(u, conf_uri(c), "participation", errp);
	u = child(child(d, "service-uris", false, errp), "entry", true, errp);
	/* the console page of this conference, and the policy URI */
	re_snprintf(web, sizeof(web), "%b/#%s", pu,
		    v1 ? (size_t)(v1 - pu) : strlen(pu), conf_id(c));
	uri_entry(u, web, "web-page", errp);
	uri_entry(u, conf_policy_uri(c), "control", errp);
	/* while it is being recorded (RFC 4575 s. 5.3.3) */
	if (conf_recording(c))
		uri_entry(u, conf_recording(c), "recording", errp);
	if (conf_policy(c)->max_participants)
		num(d, "maximum-user-count", conf_policy(c)->max_participants,
		    errp);
	if (!strcmp(conf_audio(c), "none") &&
	    !strcmp(conf_video(c)->status, "none"))
		return;                   /* no media in the conference */
	m = child(child(d, "available-media", false, errp), "entry", true,
		  errp);
	if (strcmp(conf_audio(c), "none")) {
		entry = m ? item(m, errp) : NULL;
		str(entry, "@label", "audio", errp);
		str(entry, "type", "audio", errp);
		str(entry, "status", conf_audio(c), errp);
	}
	if (strcmp(conf_video(c)->status, "none")) {
		/* switched (the speaker) or composed (continuous presence) */
		entry = m ? item(m, errp) : NULL;
		str(entry, "@label", "video", errp);
		str(entry, "display-text", conf_video(c)->mode, errp);
		str(entry, "type", "video", errp);
		str(entry, "status", conf_video(c)->status, errp);
	}
}

static void host_info(struct odict *ci, const struct conf *c, int *errp)
{
	struct odict *h = child(ci, "host-info", false, errp);
	struct odict *u;

	str(h, "display-text", "caucus", errp);
	u = h ? child(child(h, "uris", false, errp), "entry", true, errp) :
		NULL;
	if (u)
		str(item(u, errp), "uri", conf_uri(c), errp);
}

static const char *ep_status(struct participant *p)
{
	if (part_privacy(p)->pending || part_privacy(p)->lobby)
		return "pending";
	switch (part_status(p)) {
	case PART_DIALING_IN:    return "dialing-in";
	case PART_DIALING_OUT:   return "dialing-out";
	case PART_ALERTING:      return "alerting";
	case PART_ON_HOLD:       return "on-hold";
	case PART_DISCONNECTING: return "disconnecting";
	case PART_FAILED:        return "disconnected";
	default:
		return part_settings(p)->muted ? "muted-via-focus" :
			"connected";
	}
}

/* The media status as the participant sees it (RFC 4575 s. 5.7.1.7):
 * our sendonly is its recvonly; mute and deaf take a direction away. */
static const char *media_status(struct participant *p)
{
	const char *d = part_media(p)->direction;
	bool in = !strcmp(d, "sendrecv") || !strcmp(d, "recvonly");
	bool out = !strcmp(d, "sendrecv") || !strcmp(d, "sendonly");

	if (part_settings(p)->muted)
		in = false;
	if (part_settings(p)->deaf)
		out = false;
	if (in && out)
		return "sendrecv";
	return in ? "sendonly" : out ? "recvonly" : "inactive";
}

/* With floor control on for the audio floor: whether p holds it, as
 * RFC 6501's floor element in its audio media (the RFC 4575 schema admits
 * other namespaces at the end of a media element). Off, nothing: the
 * floor then decides nothing. */
static void floor_held(struct odict *m, struct participant *p, int *errp)
{
	const struct conf *c = part_conf(p);
	const struct floor_policy *fp = conf_floor_policy(c, FLOOR_AUDIO);
	const struct floor_request *r;
	struct odict *f;

	if (!m || !fp || !fp->enabled)
		return;
	r = conf_floor_request_of(c, FLOOR_AUDIO, p);
	f = child(m, "floor", false, errp);
	str(f, "@xmlns", NOTIFY_XCON_NS, errp);
	num(f, "@id", FLOOR_AUDIO, errp);
	flag(f, "#text", r && floor_request_status(r) == FLOOR_GRANTED, errp);
}

static void endpoint(struct odict *ep, struct participant *p, bool anon,
		     const char *entity, int *errp)
{
	const struct part_dialog *dlg = part_dialog(p);
	struct odict *ji, *m, *ci, *sip;
	bool shown, pinned;
	const char *d;
	char ssrc[12];

	str(ep, "@entity", entity, errp);
	str(ep, "@state", "full", errp);
	if (!anon && part_display(p)[0])
		str(ep, "display-text", part_display(p), errp);
	if (part_referred_by(p)) {
		struct odict *ref = child(ep, "referred", false, errp);

		when(ref, "when", part_joined_at(p), errp);
		str(ref, "by", part_referred_by(p), errp);
	}
	str(ep, "status", ep_status(p), errp);
	str(ep, "joining-method", part_dial_out(p) ? "dialed-out" :
	    "dialed-in", errp);
	ji = child(ep, "joining-info", false, errp);
	when(ji, "when", part_joined_at(p), errp);
	if (part_referred_by(p))          /* who sent it here, again */
		str(ji, "by", part_referred_by(p), errp);
	if (part_status(p) == PART_FAILED) {
		uint16_t code = part_fail_code(p);
		struct odict *di;
		char why[96];

		str(ep, "disconnection-method", code == 486 || code == 600 ?
		    "busy" : "failed", errp);
		di = child(ep, "disconnection-info", false, errp);
		when(di, "when", part_status_since(p), errp);
		if (code)
			re_snprintf(why, sizeof(why), "%u %s", code,
				    part_fail_reason(p) ?
				    part_fail_reason(p) : "");
		else
			re_snprintf(why, sizeof(why), "%s",
				    part_fail_reason(p) ?
				    part_fail_reason(p) : "no answer");
		str(di, "reason", why, errp);
	}
	else if (part_removed_by(p)) {
		/* leaving at someone's request (REFER method=BYE) */
		struct odict *di;

		str(ep, "disconnection-method", strcmp(part_removed_by(p),
		    part_uri(p)) ? "booted" : "departed", errp);
		di = child(ep, "disconnection-info", false, errp);
		when(di, "when", part_status_since(p), errp);
		str(di, "by", part_removed_by(p), errp);
	}
	if (part_media(p)->codec[0]) {
		m = item(child(ep, "media", true, errp), errp);
		str(m, "@id", "1", errp);
		/* the codec we send them: a re-INVITE that changes only the
		 * codec is news for subscribers */
		str(m, "display-text", part_media(p)->codec, errp);
		str(m, "type", "audio", errp);
		str(m, "label", "audio", errp);
		re_snprintf(ssrc, sizeof(ssrc), "%u", part_media(p)->tx_ssrc);
		str(m, "src-id", ssrc, errp);
		str(m, "status", media_status(p), errp);
		floor_held(m, p, errp);
	}
	if (part_video(p)->codec[0]) {
		m = item(child(ep, "media", true, errp), errp);
		str(m, "@id", "2", errp);
		str(m, "display-text", part_video(p)->codec, errp);
		str(m, "type", "video", errp);
		str(m, "label", "video", errp);
		re_snprintf(ssrc, sizeof(ssrc), "%u", part_video(p)->tx_ssrc);
		str(m, "src-id", ssrc, errp);
		/* its direction is the mirror of ours */
		d = part_video(p)->direction;
		str(m, "status", !strcmp(d, "sendonly") ? "recvonly" :
		    !strcmp(d, "recvonly") ? "sendonly" : d, errp);
	}
	/* the dialog ids would identify an anonymous caller */
	if (!anon && dlg->call_id[0] && dlg->from_tag[0] && dlg->to_tag[0]) {
		ci = child(ep, "call-info", false, errp);
		sip = ci ? child(ci, "sip", false, errp) : NULL;
		str(sip, "call-id", dlg->call_id, errp);
		str(sip, "from-tag", dlg->from_tag, errp);
		str(sip, "to-tag", dlg->to_tag, errp);
	}
	/* what RFC 4575 has no element for, in caucus's own namespace
	 * (the schema admits other namespaces at the end of an endpoint):
	 * a raised hand, a caller keying its PIN, the speaker everyone
	 * sees (switched video) and who a moderator pinned there */
	shown = conf_video_shown(part_conf(p)) == p;
	pinned = conf_video_pinned(part_conf(p)) == p;
	if (part_hand(p) || part_privacy(p)->lobby || shown || pinned) {
		struct odict *x = child(ep, "caucus", false, errp);

		str(x, "@xmlns", NOTIFY_EXT_NS, errp);
		if (part_hand(p))
			str(x, "@hand-raised", "true", errp);
		if (part_privacy(p)->lobby)
			str(x, "@lobby", "true", errp);
		if (shown)
			str(x, "@video-speaker", "true", errp);
		if (pinned)
			str(x, "@video-pinned", "true", errp);
	}
}

static bool entity_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct user_ref *)le->data)->entity, arg);
}

static void user_ref_destructor(void *arg)
{
	struct user_ref *u = arg;

	hash_unlink(&u->he);
	mem_deref(u->entity);
}

/* The user element for entity, created on first use. */
static struct user_ref *user_get(struct build *b, const char *entity,
				 struct participant *p, bool anon)
{
	uint32_t key = hash_joaat_str(entity);
	struct user_ref *u = list_ledata(hash_lookup(b->by_entity, key,
						     entity_cmp,
						     (void *)entity));
	struct odict *user;

	if (u)
		return u;
	u = mem_zalloc(sizeof(*u), user_ref_destructor);
	if (!u || str_dup(&u->entity, entity)) {
		mem_deref(u);
		b->err = ENOMEM;
		return NULL;
	}
	hash_append(b->by_entity, key, &u->he, u);
	user = item(b->users, &b->err);
	str(user, "@entity", entity, &b->err);
	str(user, "@state", "full", &b->err);
	if (!anon && part_display(p)[0])
		str(user, "display-text", part_display(p), &b->err);
	if (user) {
		struct odict *roles = child(user, "roles", false, &b->err);
		struct odict *entries = roles ? child(roles, "entry", true,
						      &b->err) : NULL;

		str(entries, "0", part_role(p), &b->err);
	}
	u->endpoints = user ? child(user, "endpoint", true, &b->err) : NULL;
	return u;
}

/* Is entity already an endpoint entity of this user? */
static bool ep_taken(const struct user_ref *u, const char *entity)
{
	for (struct le *le = u->endpoints->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const char *have = odict_string(e->u.odict, "@entity");

		if (have && !strcmp(have, entity))
			return true;
	}
	return false;
}

static bool add_part(struct participant *p, void *arg)
{
	struct build *b = arg;
	const struct part_privacy *pv = part_privacy(p);
	/* moderators see through anonymity where the policy lets them */
	bool anon = pv->anonymous && !(b->view->moderator &&
				      conf_policy(part_conf(p))->
				      reveal_anonymous);
	char entity[200], ep_entity[240];
	struct user_ref *u;
	const char *contact = part_dialog(p)->contact;

	if ((pv->hidden || pv->pending || pv->lobby) && !b->view->moderator)
		return false;
	if (b->members && part_sidebar(p) != b->sb)
		return false;
	if (anon)
		re_snprintf(entity, sizeof(entity),
			    "sip:anonymous-%s@anonymous.invalid", part_id(p));
	else
		re_snprintf(entity, sizeof(entity), "%s", part_uri(p));
	u = user_get(b, entity, p, anon);
	if (!u || !u->endpoints)
		return b->err != 0;
	/* endpoints of one user need distinct entities: the Contact, made
	 * unique with the participant id when another endpoint has it */
	if (anon || !contact[0])
		re_snprintf(ep_entity, sizeof(ep_entity), "%s;ep=%s", entity,
			    part_id(p));
	else if (ep_taken(u, contact))
		re_snprintf(ep_entity, sizeof(ep_entity), "%s;ep=%s", contact,
			    part_id(p));
	else
		re_snprintf(ep_entity, sizeof(ep_entity), "%s", contact);
	endpoint(item(u->endpoints, &b->err), p, anon, ep_entity, &b->err);
	u->n++;
	/* user-count: users with an endpoint in the conference, so not a
	 * dial-out that failed */
	if (!u->counted && part_status(p) != PART_FAILED && !pv->pending &&
	    !pv->lobby) {
		u->counted = true;
		b->user_count++;
	}
	if (part_status(p) == PART_CONNECTED || part_status(p) == PART_ON_HOLD)
		b->any_connected = true;
	return b->err != 0;
}

/* The <users> element of parent: c's participants in b's view (only the
 * members of b->sb when b->members); with `none`, empty */
static void users_add(struct odict *parent, const struct conf *c,
		      struct build *b, bool none)
{
	b->users = child(child(parent, "users", false, &b->err), "user", true,
			 &b->err);
	if (b->err || none)
		return;
	b->err = hash_alloc(&b->by_entity, 64);
	if (!b->err)
		conf_apply_parts(c, add_part, b);
	if (b->by_entity)
		hash_flush(b->by_entity);
	b->by_entity = mem_deref(b->by_entity);
}

static void state_add(struct odict *st, const struct conf *c,
		      const struct build *b, int *errp)
{
	num(st, "user-count", b->user_count, errp);
	flag(st, "active", b->any_connected, errp);
	flag(st, "locked", conf_policy(c)->locked, errp);
}

struct sidebars {
	const struct notify_view *view;
	struct odict *ci;
	struct odict *ref;          /* sidebars-by-ref's entry array */
	struct odict *val;          /* sidebars-by-val's, made on demand */
	int err;
};

static bool by_ref_h(struct sidebar *sb, void *arg)
{
	struct sidebars *x = arg;
	struct odict *e = item(x->ref, &x->err);

	str(e, "uri", sidebar_uri(sb), &x->err);
	if (sidebar_display_text(sb)[0])
		str(e, "display-text", sidebar_display_text(sb), &x->err);
	return x->err != 0;
}

/* A sidebar as a conference of its own (conference-type): its display
 * text, and its members with the rules of the main users */
static bool by_val_h(struct sidebar *sb, void *arg)
{
	struct sidebars *x = arg;
	struct build b = {.view = x->view, .members = true, .sb = sb};
	struct odict *e, *d;

	if (!sidebar_by_val(sb))
		return false;
	if (!x->val)
		x->val = child(child(x->ci, "sidebars-by-val", false, &x->err),
			       "entry", true, &x->err);
	e = item(x->val, &x->err);
	str(e, "@entity", sidebar_uri(sb), &x->err);
	str(e, "@state", "full", &x->err);
	/* always there, empty or not: a partial entry can replace it, but
	 * nothing could take it away */
	d = child(e, "conference-description", false, &x->err);
	if (sidebar_display_text(sb)[0])
		str(d, "display-text", sidebar_display_text(sb), &x->err);
	if (!x->err) {
		users_add(e, sidebar_conf(sb), &b, false);
		x->err = b.err;
	}
	return x->err != 0;
}

/* sidebars-by-ref, every sidebar; sidebars-by-val, those listed by value;
 * neither without sidebars. The list by reference is whole (state full)
 * in partial documents too: its entries have no state of their own. */
static void sidebars(struct odict *ci, const struct conf *c,
		     const struct notify_view *view, int *errp)
{
	struct sidebars x = {.view = view, .ci = ci};
	struct odict *ref;

	if (*errp || !conf_sidebar_count(c))
		return;
	ref = child(ci, "sidebars-by-ref", false, errp);
	str(ref, "@state", "full", errp);
	x.ref = child(ref, "entry", true, errp);
	if (*errp)
		return;
	(void)conf_apply_sidebars(c, by_ref_h, &x);
	if (!x.err)
		(void)conf_apply_sidebars(c, by_val_h, &x);
	*errp = x.err;
}

/* The document of a sidebar (view->sidebar), or of one that ended
 * (view->ended): its URI, display text and members */
static int sidebar_doc(struct odict *ci, const struct conf *c,
		       const struct notify_view *view)
{
	const struct sidebar *sb = view->sidebar;
	const char *uri = sb ? sidebar_uri(sb) : view->ended;
	struct build b = {.view = view, .members = true, .sb = sb};
	struct odict *d, *u, *st;
	int err = 0;

	d = child(ci, "conference-description", false, &err);
	if (sb && sidebar_display_text(sb)[0])
		str(d, "display-text", sidebar_display_text(sb), &err);
	u = child(child(d, "conf-uris", false, &err), "entry", true, &err);
	uri_entry(u, uri, "participation", &err);
	host_info(ci, c, &err);
	st = child(ci, "conference-state", false, &err);
	if (err)
		return err;
	users_add(ci, c, &b, !sb);
	err = b.err;
	state_add(st, c, &b, &err);
	return err;
}

int notify_doc_full(struct odict **docp, const struct conf *c,
		    uint32_t version, const struct notify_view *view)
{
	struct build b = {.view = view};
	bool of_sidebar = view->sidebar || view->ended;
	struct odict *doc = NULL, *ci, *st;
	int err = odict_alloc(&doc, 4);

	if (err)
		return err;
	ci = child(doc, "conference-info", false, &err);
	str(ci, "@entity", view->sidebar ? sidebar_uri(view->sidebar) :
	    view->ended ? view->ended : conf_uri(c), &err);
	str(ci, "@state", "full", &err);
	num(ci, "@version", version, &err);
	if (!err && of_sidebar) {
		err = sidebar_doc(ci, c, view);
	}
	else if (!err) {
		description(ci, c, &err);
		host_info(ci, c, &err);
		st = child(ci, "conference-state", false, &err);
		if (!err) {
			users_add(ci, c, &b, false);
			err = b.err;
			state_add(st, c, &b, &err);
		}
		sidebars(ci, c, view, &err);
	}
	if (err)
		mem_deref(doc);
	else
		*docp = doc;
	return err;
}
