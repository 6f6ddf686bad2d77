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
 * members only.
 * Cascading (conf_remote.h): a child focus's link into this node is a
 * user named by the child's conference URI, with <cascaded-focus>; this
 * node's own link up to the main focus is not listed (the main focus
 * lists it); the participants other nodes serve follow the local ones
 * (doc_remote.c), so that every node's document lists everyone.
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/conf_video.h"
#include "conf/floor.h"
#include "conf/policy.h"
#include "notify/doc_int.h"

static void uri_entry(struct odict *entries, const char *uri,
		      const char *purpose, int *errp)
{
	struct odict *e = doc_item(entries, errp);

	doc_str(e, "uri", uri, errp);
	doc_str(e, "purpose", purpose, errp);
}

static void description(struct odict *ci, const struct conf *c, int *errp)
{
	struct odict *d = doc_child(ci, "conference-description", false,
				    errp);
	struct odict *u, *m, *entry;
	const char *pu = conf_policy_uri(c), *v1 = strstr(pu, "/v1/");
	char web[300];

	if (!d)
		return;
	if (conf_display_text(c)[0])
		doc_str(d, "display-text", conf_display_text(c), errp);
	u = doc_child(doc_child(d, "conf-uris", false, errp), "entry", true,
		      errp);
	uri_entry(u, conf_uri(c), "participation", errp);
	u = doc_child(doc_child(d, "service-uris", false, errp), "entry", true,
		      errp);
	/* the console page of this conference, and the policy URI */
	re_snprintf(web, sizeof(web), "%b/#%s", pu,
		    v1 ? (size_t)(v1 - pu) : strlen(pu), conf_id(c));
	uri_entry(u, web, "web-page", errp);
	uri_entry(u, conf_policy_uri(c), "control", errp);
	/* while it is being recorded (RFC 4575 s. 5.3.3) */
	if (conf_recording(c))
		uri_entry(u, conf_recording(c), "recording", errp);
	if (conf_policy(c)->max_participants)
		doc_num(d, "maximum-user-count",
			conf_policy(c)->max_participants, errp);
	if (!strcmp(conf_audio(c), "none") &&
	    !strcmp(conf_video(c)->status, "none"))
		return;                   /* no media in the conference */
	m = doc_child(doc_child(d, "available-media", false, errp), "entry",
		      true, errp);
	if (strcmp(conf_audio(c), "none")) {
		entry = m ? doc_item(m, errp) : NULL;
		doc_str(entry, "@label", "audio", errp);
		doc_str(entry, "type", "audio", errp);
		doc_str(entry, "status", conf_audio(c), errp);
		/* the multicast group self-mixing endpoints hear from */
		if (policy_mixing_any(conf_policy(c)) &&
		    conf_policy(c)->mcast.group[0]) {
			struct odict *x = doc_child(entry, "caucus", false,
						    errp);

			doc_str(x, "@xmlns", NOTIFY_EXT_NS, errp);
			doc_str(x, "@multicast", conf_policy(c)->mcast.group,
				errp);
			doc_str(x, "@multicast-codec",
				conf_policy(c)->mcast.codec, errp);
		}
	}
	if (strcmp(conf_video(c)->status, "none")) {
		/* switched (the speaker) or composed (continuous presence) */
		entry = m ? doc_item(m, errp) : NULL;
		doc_str(entry, "@label", "video", errp);
		doc_str(entry, "display-text", conf_video(c)->mode, errp);
		doc_str(entry, "type", "video", errp);
		doc_str(entry, "status", conf_video(c)->status, errp);
	}
}

static void host_info(struct odict *ci, const struct conf *c, int *errp)
{
	struct odict *h = doc_child(ci, "host-info", false, errp);
	struct odict *u;

	doc_str(h, "display-text", "caucus", errp);
	u = h ? doc_child(doc_child(h, "uris", false, errp), "entry", true,
			  errp) : NULL;
	if (u)
		doc_str(doc_item(u, errp), "uri", conf_uri(c), errp);
}

const char *doc_ep_status(enum part_status st, bool muted, bool waiting)
{
	if (waiting)
		return "pending";
	switch (st) {
	case PART_DIALING_IN:    return "dialing-in";
	case PART_DIALING_OUT:   return "dialing-out";
	case PART_ALERTING:      return "alerting";
	case PART_ON_HOLD:       return "on-hold";
	case PART_DISCONNECTING: return "disconnecting";
	case PART_FAILED:        return "disconnected";
	default:
		return muted ? "muted-via-focus" : "connected";
	}
}

const char *doc_media_status(const char *dir, bool muted, bool deaf)
{
	bool in = !strcmp(dir, "sendrecv") || !strcmp(dir, "recvonly");
	bool out = !strcmp(dir, "sendrecv") || !strcmp(dir, "sendonly");

	if (muted)
		in = false;
	if (deaf)
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
	f = doc_child(m, "floor", false, errp);
	doc_str(f, "@xmlns", NOTIFY_XCON_NS, errp);
	doc_num(f, "@id", FLOOR_AUDIO, errp);
	doc_flag(f, "#text", r && floor_request_status(r) == FLOOR_GRANTED,
		 errp);
}

static void endpoint(struct odict *ep, struct participant *p, bool anon,
		     const char *entity, int *errp)
{
	const struct part_dialog *dlg = part_dialog(p);
	struct odict *ji, *m, *ci, *sip;
	bool shown, pinned;
	const char *d, *node;
	char ssrc[12];

	doc_str(ep, "@entity", entity, errp);
	doc_str(ep, "@state", "full", errp);
	if (!anon && part_display(p)[0])
		doc_str(ep, "display-text", part_display(p), errp);
	if (part_referred_by(p)) {
		struct odict *ref = doc_child(ep, "referred", false, errp);

		doc_when(ref, "when", part_joined_at(p), errp);
		doc_str(ref, "by", part_referred_by(p), errp);
	}
	doc_str(ep, "status", doc_ep_status(part_status(p),
					    part_settings(p)->muted,
					    part_privacy(p)->pending ||
					    part_privacy(p)->lobby), errp);
	doc_str(ep, "joining-method", part_dial_out(p) ? "dialed-out" :
	    "dialed-in", errp);
	ji = doc_child(ep, "joining-info", false, errp);
	doc_when(ji, "when", part_joined_at(p), errp);
	if (part_referred_by(p))          /* who sent it here, again */
		doc_str(ji, "by", part_referred_by(p), errp);
	if (part_status(p) == PART_FAILED) {
		uint16_t code = part_fail_code(p);
		struct odict *di;
		char why[96];

		doc_str(ep, "disconnection-method", code == 486 || code == 600 ?
		    "busy" : "failed", errp);
		di = doc_child(ep, "disconnection-info", false, errp);
		doc_when(di, "when", part_status_since(p), errp);
		if (code)
			re_snprintf(why, sizeof(why), "%u %s", code,
				    part_fail_reason(p) ?
				    part_fail_reason(p) : "");
		else
			re_snprintf(why, sizeof(why), "%s",
				    part_fail_reason(p) ?
				    part_fail_reason(p) : "no answer");
		doc_str(di, "reason", why, errp);
	}
	else if (part_removed_by(p)) {
		/* leaving at someone's request (REFER method=BYE) */
		struct odict *di;

		doc_str(ep, "disconnection-method", strcmp(part_removed_by(p),
		    part_uri(p)) ? "booted" : "departed", errp);
		di = doc_child(ep, "disconnection-info", false, errp);
		doc_when(di, "when", part_status_since(p), errp);
		doc_str(di, "by", part_removed_by(p), errp);
	}
	if (part_media(p)->codec[0]) {
		m = doc_item(doc_child(ep, "media", true, errp), errp);
		doc_str(m, "@id", "1", errp);
		/* the codec we send them: a re-INVITE that changes only the
		 * codec is news for subscribers */
		doc_str(m, "display-text", part_media(p)->codec, errp);
		doc_str(m, "type", "audio", errp);
		doc_str(m, "label", "audio", errp);
		re_snprintf(ssrc, sizeof(ssrc), "%u", part_media(p)->tx_ssrc);
		doc_str(m, "src-id", ssrc, errp);
		doc_str(m, "status", doc_media_status(part_media(p)->direction,
						      part_settings(p)->muted,
						      part_settings(p)->deaf),
			errp);
		floor_held(m, p, errp);
		/* who mixes what it hears (spec s. 6.4), in caucus's own
		 * namespace, where the policy lets any endpoint mix */
		if (policy_mixing_any(conf_policy(part_conf(p)))) {
			struct odict *x = doc_child(m, "caucus", false, errp);

			doc_str(x, "@xmlns", NOTIFY_EXT_NS, errp);
			doc_str(x, "@mixing", part_mixing_name(part_mixing(p)),
				errp);
			/* and whether it hears them from the group */
			if (conf_policy(part_conf(p))->mcast.group[0])
				doc_str(x, "@multicast", part_multicast(p) ?
					"true" : "false", errp);
		}
	}
	if (part_video(p)->codec[0]) {
		m = doc_item(doc_child(ep, "media", true, errp), errp);
		doc_str(m, "@id", "2", errp);
		doc_str(m, "display-text", part_video(p)->codec, errp);
		doc_str(m, "type", "video", errp);
		doc_str(m, "label", "video", errp);
		re_snprintf(ssrc, sizeof(ssrc), "%u", part_video(p)->tx_ssrc);
		doc_str(m, "src-id", ssrc, errp);
		/* its direction is the mirror of ours */
		d = part_video(p)->direction;
		doc_str(m, "status", !strcmp(d, "sendonly") ? "recvonly" :
		    !strcmp(d, "recvonly") ? "sendonly" : d, errp);
	}
	/* the dialog ids would identify an anonymous caller */
	if (!anon && dlg->call_id[0] && dlg->from_tag[0] && dlg->to_tag[0]) {
		ci = doc_child(ep, "call-info", false, errp);
		sip = ci ? doc_child(ci, "sip", false, errp) : NULL;
		doc_str(sip, "call-id", dlg->call_id, errp);
		doc_str(sip, "from-tag", dlg->from_tag, errp);
		doc_str(sip, "to-tag", dlg->to_tag, errp);
	}
	/* what RFC 4575 has no element for, in caucus's own namespace
	 * (the schema admits other namespaces at the end of an endpoint):
	 * a raised hand, a caller keying its PIN, the speaker everyone
	 * sees (switched video) and who a moderator pinned there; in a
	 * cluster, the node serving it (doc_remote.c's say the same) */
	shown = conf_video_shown(part_conf(p)) == p;
	pinned = conf_video_pinned(part_conf(p)) == p;
	node = conf_node(part_conf(p));
	if (part_hand(p) || part_privacy(p)->lobby || shown || pinned ||
	    node[0]) {
		struct odict *x = doc_child(ep, "caucus", false, errp);

		doc_str(x, "@xmlns", NOTIFY_EXT_NS, errp);
		if (node[0])
			doc_str(x, "@node", node, errp);
		if (part_hand(p))
			doc_str(x, "@hand-raised", "true", errp);
		if (part_privacy(p)->lobby)
			doc_str(x, "@lobby", "true", errp);
		if (shown)
			doc_str(x, "@video-speaker", "true", errp);
		if (pinned)
			doc_str(x, "@video-pinned", "true", errp);
	}
}

static bool entity_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct doc_user *)le->data)->entity, arg);
}

static void doc_user_destructor(void *arg)
{
	struct doc_user *u = arg;

	hash_unlink(&u->he);
	mem_deref(u->entity);
}

struct doc_user *doc_user_get(struct doc_build *b, const char *entity,
			      const char *display, const char *role,
			      const char *focus)
{
	uint32_t key = hash_joaat_str(entity);
	struct doc_user *u = list_ledata(hash_lookup(b->by_entity, key,
						     entity_cmp,
						     (void *)entity));
	struct odict *user, *roles;

	if (u)
		return u;
	u = mem_zalloc(sizeof(*u), doc_user_destructor);
	if (!u || str_dup(&u->entity, entity)) {
		mem_deref(u);
		b->err = ENOMEM;
		return NULL;
	}
	hash_append(b->by_entity, key, &u->he, u);
	/* in the schema's order: display-text, roles, cascaded-focus,
	 * endpoints */
	user = doc_item(b->users, &b->err);
	doc_str(user, "@entity", entity, &b->err);
	doc_str(user, "@state", "full", &b->err);
	if (display && display[0])
		doc_str(user, "display-text", display, &b->err);
	roles = doc_child(doc_child(user, "roles", false, &b->err), "entry",
			  true, &b->err);
	doc_str(roles, "0", role, &b->err);
	if (focus && focus[0])
		doc_str(user, "cascaded-focus", focus, &b->err);
	u->endpoints = doc_child(user, "endpoint", true, &b->err);
	return u;
}

void doc_ep_entity(char *buf, size_t sz, const struct doc_user *u,
		   const char *entity, const char *id)
{
	for (struct le *le = u->endpoints->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const char *have = odict_string(e->u.odict, "@entity");

		if (have && !strcmp(have, entity)) {
			re_snprintf(buf, sz, "%s;ep=%s", entity, id);
			return;
		}
	}
	re_snprintf(buf, sz, "%s", entity);
}

void doc_count(struct doc_build *b, struct doc_user *u,
	       enum part_status st, bool waiting, bool link)
{
	if (!u->counted && st != PART_FAILED && !waiting && !link) {
		u->counted = true;
		b->user_count++;
	}
	if (st == PART_CONNECTED || st == PART_ON_HOLD)
		b->any_connected = true;
}

static bool add_part(struct participant *p, void *arg)
{
	struct doc_build *b = arg;
	const struct part_privacy *pv = part_privacy(p);
	/* moderators see through anonymity where the policy lets them */
	bool anon = pv->anonymous && !(b->view->moderator &&
				      conf_policy(part_conf(p))->
				      reveal_anonymous);
	char entity[200], ep_entity[240];
	struct doc_user *u;
	const char *contact = part_dialog(p)->contact, *lnode, *focus;
	enum part_link link = part_link(p, &lnode, &focus);

	if ((pv->hidden || pv->pending || pv->lobby) && !b->view->moderator)
		return false;
	if (b->members && part_sidebar(p) != b->sb)
		return false;
	if (link == PART_LINK_UP)           /* the main focus lists it */
		return false;
	if (link == PART_LINK_DOWN && focus[0]) {
		/* a child focus (RFC 4575's cascaded-focus): named by its
		 * URI and its node, never anonymous (it is no person) */
		u = doc_user_get(b, focus, lnode, part_role(p), focus);
		anon = false;
	}
	else {
		if (anon)
			re_snprintf(entity, sizeof(entity),
				    "sip:anonymous-%s@anonymous.invalid",
				    part_id(p));
		else
			re_snprintf(entity, sizeof(entity), "%s",
				    part_uri(p));
		u = doc_user_get(b, entity, anon ? NULL : part_display(p),
				 part_role(p), NULL);
	}
	if (!u || !u->endpoints)
		return b->err != 0;
	/* endpoints of one user need distinct entities: the Contact, made
	 * unique with the participant id when another endpoint has it */
	if (anon || !contact[0])
		re_snprintf(ep_entity, sizeof(ep_entity), "%s;ep=%s", u->entity,
			    part_id(p));
	else
		doc_ep_entity(ep_entity, sizeof(ep_entity), u, contact,
			      part_id(p));
	endpoint(doc_item(u->endpoints, &b->err), p, anon, ep_entity, &b->err);
	doc_count(b, u, part_status(p), pv->pending || pv->lobby,
		  link != PART_LINK_NONE);
	return b->err != 0;
}

/* The <users> element of parent: c's participants in b's view (only the
 * members of b->sb when b->members), then those other nodes serve; with
 * `none`, empty */
static void users_add(struct odict *parent, const struct conf *c,
		      struct doc_build *b, bool none)
{
	b->users = doc_child(doc_child(parent, "users", false, &b->err),
			     "user", true, &b->err);
	if (b->err || none)
		return;
	b->err = hash_alloc(&b->by_entity, 64);
	if (!b->err)
		conf_apply_parts(c, add_part, b);
	if (!b->err && !b->members)
		doc_remotes_add(b, c);
	if (b->by_entity)
		hash_flush(b->by_entity);
	b->by_entity = mem_deref(b->by_entity);
}

static void state_add(struct odict *st, const struct conf *c,
		      const struct doc_build *b, int *errp)
{
	doc_num(st, "user-count", b->user_count, errp);
	doc_flag(st, "active", b->any_connected, errp);
	doc_flag(st, "locked", conf_policy(c)->locked, errp);
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
	struct odict *e = doc_item(x->ref, &x->err);

	doc_str(e, "uri", sidebar_uri(sb), &x->err);
	if (sidebar_display_text(sb)[0])
		doc_str(e, "display-text", sidebar_display_text(sb), &x->err);
	return x->err != 0;
}

/* A sidebar as a conference of its own (conference-type): its display
 * text, and its members with the rules of the main users */
static bool by_val_h(struct sidebar *sb, void *arg)
{
	struct sidebars *x = arg;
	struct doc_build b = {.view = x->view, .members = true, .sb = sb};
	struct odict *e, *d;

	if (!sidebar_by_val(sb))
		return false;
	if (!x->val)
		x->val = doc_child(doc_child(x->ci, "sidebars-by-val", false,
					     &x->err), "entry", true, &x->err);
	e = doc_item(x->val, &x->err);
	doc_str(e, "@entity", sidebar_uri(sb), &x->err);
	doc_str(e, "@state", "full", &x->err);
	/* always there, empty or not: a partial entry can replace it, but
	 * nothing could take it away */
	d = doc_child(e, "conference-description", false, &x->err);
	if (sidebar_display_text(sb)[0])
		doc_str(d, "display-text", sidebar_display_text(sb), &x->err);
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
	ref = doc_child(ci, "sidebars-by-ref", false, errp);
	doc_str(ref, "@state", "full", errp);
	x.ref = doc_child(ref, "entry", true, errp);
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
	struct doc_build b = {.view = view, .members = true, .sb = sb};
	struct odict *d, *u, *st;
	int err = 0;

	d = doc_child(ci, "conference-description", false, &err);
	if (sb && sidebar_display_text(sb)[0])
		doc_str(d, "display-text", sidebar_display_text(sb), &err);
	u = doc_child(doc_child(d, "conf-uris", false, &err), "entry", true,
		      &err);
	uri_entry(u, uri, "participation", &err);
	host_info(ci, c, &err);
	st = doc_child(ci, "conference-state", false, &err);
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
	struct doc_build b = {.view = view};
	bool of_sidebar = view->sidebar || view->ended;
	struct odict *doc = NULL, *ci, *st;
	int err = odict_alloc(&doc, 4);

	if (err)
		return err;
	ci = doc_child(doc, "conference-info", false, &err);
	doc_str(ci, "@entity", view->sidebar ? sidebar_uri(view->sidebar) :
	    view->ended ? view->ended : conf_uri(c), &err);
	doc_str(ci, "@state", "full", &err);
	doc_num(ci, "@version", version, &err);
	if (!err && of_sidebar) {
		err = sidebar_doc(ci, c, view);
	}
	else if (!err) {
		description(ci, c, &err);
		/* who made it: RFC 4575 has no element for that, so caucus's
		 * own, last in the description (the schema's ##other) */
		if (!err && conf_created_by(c)) {
			const struct odict_entry *d = odict_lookup(ci,
						"conference-description");
			struct odict *x = d ? doc_child(d->u.odict, "caucus",
							false, &err) : NULL;

			doc_str(x, "@xmlns", NOTIFY_EXT_NS, &err);
			doc_str(x, "@created-by", conf_created_by(c), &err);
		}
		host_info(ci, c, &err);
		st = doc_child(ci, "conference-state", false, &err);
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
