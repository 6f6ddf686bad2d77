/*
 * An INVITE that makes a new call into a conference, in steps. Each step
 * either lets the INVITE go on (0) or refuses it with a final answer that
 * says why and returns an errno; so call_accept() returns 0 exactly when a
 * call was set up, and its callers (focus.c: a conference URI, the
 * factory URI, a Join) can rely on that. An INVITE with Replaces (RFC
 * 3891, replaces.c) joins the conference of the dialog it names, and
 * takes that participant's place once answered. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf_remote.h"
#include "conf/policy.h"
#include "sip/call_int.h"
#include "util/log.h"
#include "util/srclimit.h"

/* What an INVITE asks for that we cannot give, before anything is made:
 * an extension we lack, a malformed or too short session timer, a body
 * that is not SDP */
static int check_request(struct focus *f, const struct sip_msg *msg,
			 struct stimer_neg *st)
{
	const struct sip_hdr *h = focus_unsupported(msg);
	int err;

	if (h) {
		char hdr[160];

		re_snprintf(hdr, sizeof(hdr), "Unsupported: %r\r\n", &h->val);
		focus_reply(f, msg, 420, "Bad Extension", hdr);
		return EPROTO;
	}
	err = stimer_negotiate(msg, &f->st_cfg, st);
	if (err == EBADMSG) {
		focus_reply(f, msg, 400, "Bad Request (malformed "
			    "Session-Expires or Min-SE)", NULL);
		return err;
	}
	if (err == ERANGE) {
		char hdr[32];

		re_snprintf(hdr, sizeof(hdr), "Min-SE: %u\r\n",
			    f->st_cfg.min_se);
		focus_reply(f, msg, 422, "Session Interval Too Small", hdr);
		return err;
	}
	if (mbuf_get_left(msg->mb) &&
	    msg_ctype_cmp(&msg->ctyp, "application", "sdp") == 0) {
		focus_reply(f, msg, 415, "Unsupported Media Type "
			    "(send application/sdp)",
			    "Accept: application/sdp\r\n");
		return EPROTO;
	}
	return 0;
}

/* The INVITE's offer, taken before anything else is decided (a caller
 * we cannot talk to is refused first). Our SDP is made once the caller
 * has joined (describe()): the BFCP user id in it is its participant's. */
static int negotiate(struct call *call, const struct conf *c,
		     const struct sip_msg *msg)
{
	const char *reason = NULL;
	int err;

	if (!mbuf_get_left(msg->mb))
		return 0;         /* we offer, in describe() */
	if (strcmp(conf_audio(c), "none"))
		err = sdpneg_answer(call->sdp, msg->mb, NULL, &call->neg,
				    &reason);
	else    /* a conference without audio takes callers without it */
		err = sdpneg_reanswer(call->sdp, msg->mb, NULL, &call->neg,
				      &reason);
	if (err == EBADMSG) {
		focus_reply(call->f, msg, 400, "Bad Request (malformed SDP)",
			    NULL);
		return err;
	}
	if (err == ENOMEM) {
		focus_reply(call->f, msg, 500, "Server Internal Error", NULL);
		return err;
	}
	if (err) {
		focus_reply(call->f, msg, 488, reason ? reason :
			    "Not Acceptable Here",
			    "Warning: 305 caucus \"Incompatible media "
			    "format\"\r\n");
		return err;
	}
	call->negotiated = mbuf_get_left(msg->mb) > 0;
	return 0;
}

/* The conference's policy on this caller: in, waiting for a moderator
 * (adm->pending), or refused (403/486 with the policy's reason) */
static int admit(struct focus *f, struct conf *c, const struct sip_msg *msg,
		 const char *aor, bool authed, struct policy_admission *adm)
{
	char why[160];

	conf_admit(c, aor, authed, adm);
	if (adm->allowed)
		return 0;
	re_snprintf(why, sizeof(why), "%s (%s)", adm->scode == 486 ?
		    "Busy Here" : "Forbidden", adm->reason);
	focus_reply(f, msg, adm->scode, why, NULL);
	log_info("sip", "msg=\"join refused by policy\" conf=%s from=%s "
		 "code=%u reason=\"%s\"", conf_id(c), aor, adm->scode,
		 adm->reason);
	return EPERM;
}

/* Referred-By of an INVITE (someone sent the caller here), as an AoR
 * into *byp (NULL: none, or not a usable address) */
static void referred_by(char **byp, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REFERRED_BY);
	struct sip_addr a;

	*byp = NULL;
	if (h && !sip_addr_decode(&a, &h->val))
		(void)focus_aor_print(byp, &a.uri);
}

/* The sidebar a request URI names (<conf>+<sidebar>), or NULL */
static struct sidebar *sidebar_of(const struct focus *f,
				  const struct sip_msg *msg)
{
	struct sidebar *sb = NULL;
	char id[65];

	if (pl_isset(&msg->uri.user) && msg->uri.user.l < sizeof(id)) {
		pl_strcpy(&msg->uri.user, id, sizeof(id));
		(void)confs_lookup_user(f->confs, id, &sb);
	}
	return sb;
}

/* The caller into the roster, as one change of the conference */
static int join(struct call *call, struct conf *c, const struct sip_msg *msg,
		const struct gate_id *id, const char *role, bool pending)
{
	struct part_new pn = {.uri = id->aor, .role = role,
			      .pending = pending,
			      .pending_timeout_s =
			      call->f->moderation_timeout_s};
	char *dname = NULL, *by = NULL, contact[160] = "";
	struct participant *p = NULL;
	int err = 0;

	if (pl_isset(&msg->from.dname))
		err = pl_strdup(&dname, &msg->from.dname);
	referred_by(&by, msg);
	call_contact_copy(contact, sizeof(contact), msg);
	pn.display = dname;
	pn.referred_by = by;
	pn.contact = contact;
	/* a call to a sidebar's URI joins straight into it */
	pn.sidebar = sidebar_of(call->f, msg);
	err = err ? err : part_add(c, &pn, &p);
	mem_deref(dname);
	mem_deref(by);
	if (err) {
		focus_reply(call->f, msg, 500, "Server Internal Error", NULL);
		return err;
	}
	call->part = p;
	part_set_ep(p, call);
	return 0;
}

/* Our SDP for the 200 (or 183): the answer to the INVITE's offer, or our
 * offer when it had none (its answer comes in the ACK) */
static int describe(struct call *call, const struct conf *c,
		    const struct sip_msg *msg, struct mbuf **descp)
{
	int err;

	call_bfcp_update(call, c);
	call_mix_sdp(call);       /* x-caucus-mixing, when taken */
	if (call->negotiated) {
		err = sdpneg_answer_encode(call->sdp, descp, &call->neg);
	}
	else {
		if (strcmp(conf_video(c)->status, "none"))
			sdpneg_offer_video(call->sdp);
		err = sdpneg_offer(call->sdp, descp);
	}
	if (err)
		focus_reply(call->f, msg, 500, "Server Internal Error", NULL);
	return err;
}

/* The answer: 200, or 183 with our SDP for a join waiting for a
 * moderator in early media (the 200 comes with the approval) */
static int answer(struct call *call, struct conf *c,
		  const struct sip_msg *msg, struct mbuf *desc, bool pending)
{
	struct focus *f = call->f;
	const struct sidebar *sb = part_sidebar(call->part);
	char st_hdrs[96], user[64 + SIDEBAR_ID_MAX + 2];
	int err;

	/* a call to a sidebar's URI: the sidebar is the focus it reached
	 * (RFC 4579: Contact is the conference URI, ;isfocus) */
	re_snprintf(user, sizeof(user), "%s%s%s", conf_id(c), sb ? "+" : "",
		    sb ? sidebar_id(sb) : "");
	err = focus_contact(&call->cuser, f, user, conf_policy_uri(c),
			    msg->tp, !pl_strcasecmp(&msg->uri.scheme, "sips"));
	err = err ? err : stimer_print(st_hdrs, sizeof(st_hdrs), &call->st);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return err;
	}
	call->early = pending && f->moderation_early && call->negotiated;
	if (call->early) {
		call->early_desc = mem_ref(desc);
		re_snprintf(call->st_hdrs, sizeof(call->st_hdrs), "%s",
			    st_hdrs);
	}
	err = call_sess_accept(call, msg, call->early ? 183 : 200,
			       call->early ? "Session Progress" : "OK", desc,
			       st_hdrs);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return err;
	}
	/* the call is answered: a mixer that cannot take the stream now
	 * leaves it silent, not refused (the RTP timeout ends it) */
	err = call_media_apply(call);
	if (err)
		log_warn("sip", "msg=\"mixer refused stream\" err=%m", err);
	return 0;
}

/* The cluster's say (sip.h, struct focus_cluster): a cascade link from
 * another node (1: *node and *focus set; it needs no credentials, no
 * admission and no per-source slot: the signature is its proof), or a
 * caller this node may take (0), or neither (minus an errno: answered) */
static int cluster_check(struct focus *f, struct conf *c,
			 const struct sip_msg *msg, char *node, size_t nsz,
			 char *focus, size_t fsz)
{
	const struct focus_cluster *fc = f->cluster;
	int link = 0, err;

	if (!fc)
		return 0;
	if (fc->link_check)
		link = fc->link_check(msg, c, node, nsz, focus, fsz,
				      f->cluster_arg);
	if (link < 0) {
		focus_reply(f, msg, 403, "Forbidden (a cascade link whose "
			    "signature does not hold)", NULL);
		return -EPERM;
	}
	if (link > 0)
		return 1;
	err = fc->join ? fc->join(c, f->cluster_arg) : 0;
	if (err) {
		focus_reply(f, msg, 503, "Service Unavailable (the "
			    "conference's owner cannot be reached)",
			    "Retry-After: 5\r\n");
		return -err;
	}
	return 0;
}

/* call_accept() once the request is known to be one we can take; old:
 * the participant whose dialog the INVITE's Replaces names (NULL: none) */
static int accept_in(struct focus *f, struct conf *c,
		     const struct sip_msg *msg, const char *role,
		     struct participant *old, const struct stimer_neg *st)
{
	struct call *call = NULL;
	struct mbuf *desc = NULL;
	struct policy_admission adm = {0};
	struct gate_id id;
	struct sa srcbuf;
	const struct sa *src;
	char link_node[CONF_NODE_MAX + 1] = "", link_focus[128] = "";
	int err, link;

	link = cluster_check(f, c, msg, link_node, sizeof(link_node),
			     link_focus, sizeof(link_focus));
	if (link < 0)
		return -link;
	if (link > 0) {
		memset(&id, 0, sizeof(id));
		re_snprintf(id.aor, sizeof(id.aor), "%s", link_focus);
		id.authed = true;
	}
	else {
		err = focus_gate(f, c, msg, &id);
		if (!err && old)      /* RFC 3891 s. 3: 603, 486 */
			err = replaces_state(f, msg, old);
		if (err)
			return err;
	}
	if (old)
		role = replaces_role(old, &id, role);
	err = call_alloc(&call, f, c, NULL);
	if (err) {
		/* --role focus: the mixer processes (msc.c) */
		focus_reply(f, msg, 503, err == EADDRINUSE ?
			    "Service Unavailable (no RTP ports)" :
			    err == ENOTCONN ? "Service Unavailable (no media "
			    "server is up)" : err == EAGAIN ? "Service "
			    "Unavailable (no media server connection ready)" :
			    "Service Unavailable", err == ENOTCONN ?
			    "Retry-After: 10\r\n" : err == EAGAIN ?
			    "Retry-After: 1\r\n" : NULL);
		return err;
	}
	call->st = *st;
	/* held per source while the call lasts (call.c gives it back):
	 * the caller's address, behind a proxy the one it recorded */
	src = srclimit_sip_src(f->limit, msg, &srcbuf);
	if (!link && !srclimit_take(f->limit, src, SRCLIMIT_CALLS)) {
		focus_reply(f, msg, 503, "Service Unavailable (too many calls "
			    "from your address)", "Retry-After: 30\r\n");
		mem_deref(call);
		return EBUSY;
	}
	call->src = *src;
	call->src_held = !link;
	call->authed = id.authed;
	err = negotiate(call, c, msg);
	if (link)             /* the owner takes its children's links */
		adm.allowed = true;
	else
		err = err ? err : admit(f, c, msg, id.aor, id.authed, &adm);
	err = err ? err : join(call, c, msg, &id, link ? "participant" : role,
			       adm.pending);
	if (!err && link) {
		part_set_link(call->part, PART_LINK_DOWN, link_node,
			      link_focus);
		/* a link is never in the PIN lobby: the PIN is its
		 * callers' to key, on their node */
		part_set_lobby(call->part, false);
		log_info("sip", "msg=\"cascade link joined\" conf=%s node=%s "
			 "pid=%s", conf_id(c), link_node,
			 part_id(call->part));
	}
	err = err ? err : describe(call, c, msg, &desc);
	err = err ? err : answer(call, c, msg, desc, adm.pending);
	if (!err && old)
		replaces_take_over(call->part, old);
	/* the factory's conference: who made it (its first caller) */
	if (!err && !link && conf_adhoc(c) && !conf_created_by(c))
		(void)conf_set_created_by(c, id.aor);
	if (err && call->part) {
		struct participant *p = call->part;

		call->part = NULL;
		part_set_ep(p, NULL);
		part_remove(p);
	}
	if (err)
		mem_deref(call);
	mem_deref(desc);
	return err;
}

int call_accept(struct focus *f, struct conf *c, const struct sip_msg *msg,
		const char *role)
{
	struct participant *old = NULL;
	struct stimer_neg st;
	int err = check_request(f, msg, &st);

	/* RFC 3891: the dialog a Replaces names, and so its conference,
	 * before the gate and the policy (replaces.c) */
	err = err ? err : replaces_find(f, msg, &c, &old);
	err = err ? err : accept_in(f, c, msg, role, old, &st);
	mem_deref(old);
	return err;
}
