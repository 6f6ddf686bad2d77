/*
 * The participants other nodes of a cluster serve (conf_remote.h) in a
 * conference's RFC 4575 document: after the local ones (doc.c), by node
 * then in the order each node gave, so that every node's document lists
 * everyone in the same order. They are users under the same views as
 * local ones: hidden and pending ones for moderators only (pending ones
 * with status pending, not counted), anonymous ones under an anonymous
 * URI of their own unless the viewer moderates and the policy reveals
 * them. An AoR already listed (a local call, or another node's) gets one
 * more endpoint, as two local calls of one AoR do. Another node's link
 * into it (an entry with a focus) is a child focus's user, as doc.c
 * renders this node's own links. Each endpoint names the node serving it
 * in caucus's extension (node="..."), as local ones do in a cluster.
 * What only the serving node knows (the dialog, SSRCs, who referred it,
 * why it failed) is not shown. Signalling thread.
 */
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/policy.h"
#include "notify/doc_int.h"

struct remotes {
	struct doc_build *b;
	bool reveal;                /* the viewer sees through anonymity */
};

static void endpoint(struct odict *ep, const struct conf_remote *r,
		     bool anon, const char *entity, int *errp)
{
	struct odict *m, *x;

	doc_str(ep, "@entity", entity, errp);
	doc_str(ep, "@state", "full", errp);
	if (!anon && r->display[0])
		doc_str(ep, "display-text", r->display, errp);
	doc_str(ep, "status", doc_ep_status(r->status, r->muted, r->pending),
		errp);
	if (r->joined_at)
		doc_when(doc_child(ep, "joining-info", false, errp), "when",
			 r->joined_at, errp);
	if (r->codec[0]) {
		m = doc_item(doc_child(ep, "media", true, errp), errp);
		doc_str(m, "@id", "1", errp);
		doc_str(m, "display-text", r->codec, errp);
		doc_str(m, "type", "audio", errp);
		doc_str(m, "label", "audio", errp);
		/* its direction is its node's to know: only what mute and
		 * deaf take away */
		doc_str(m, "status", doc_media_status("sendrecv", r->muted,
						      r->deaf), errp);
	}
	/* always there: it names the node */
	x = doc_child(ep, "caucus", false, errp);
	doc_str(x, "@xmlns", NOTIFY_EXT_NS, errp);
	doc_str(x, "@node", r->node, errp);
	if (r->hand)
		doc_str(x, "@hand-raised", "true", errp);
}

static bool add_remote(const struct conf_remote *r, void *arg)
{
	struct remotes *x = arg;
	struct doc_build *b = x->b;
	const char *role = r->role[0] ? r->role : "participant";
	bool link = r->focus[0] != '\0';
	bool anon = !link && r->anonymous && !x->reveal;
	char entity[200], ep_entity[240], id[64];
	struct doc_user *u;

	if ((r->hidden || r->pending) && !b->view->moderator)
		return false;
	/* its id in the API: local ids are numbers alone, so "<pid>@<node>"
	 * and the anonymous URI made of it clash with no local one */
	re_snprintf(id, sizeof(id), "%s@%s", r->pid, r->node);
	if (link) {
		u = doc_user_get(b, r->focus, r->display, role, r->focus);
	}
	else if (anon) {
		re_snprintf(entity, sizeof(entity),
			    "sip:anonymous-%s.%s@anonymous.invalid", r->pid,
			    r->node);
		u = doc_user_get(b, entity, NULL, role, NULL);
	}
	else {
		u = doc_user_get(b, r->uri, r->display, role, NULL);
	}
	if (!u || !u->endpoints)
		return b->err != 0;
	/* its Contact, unless that would identify an anonymous one; else
	 * the user's URI; made unique with its id when taken */
	doc_ep_entity(ep_entity, sizeof(ep_entity), u,
		      !anon && r->contact[0] ? r->contact : u->entity, id);
	endpoint(doc_item(u->endpoints, &b->err), r, anon, ep_entity,
		 &b->err);
	doc_count(b, u, r->status, r->pending, link);
	return b->err != 0;
}

void doc_remotes_add(struct doc_build *b, const struct conf *c)
{
	struct remotes x = {.b = b, .reveal = b->view->moderator &&
			    conf_policy(c)->reveal_anonymous};

	(void)conf_apply_remotes(c, add_remote, &x);
}
