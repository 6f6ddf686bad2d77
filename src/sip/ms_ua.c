/*
 * The mixer role's SIP side (`caucusd --role mixer`, spec s. 6.3): with
 * focus_allow set, the focus object is a mixer's user agent. focus.c
 * hands it every INVITE outside a dialog (after the gate: validate.c and
 * the per-source limits) and the mixer's events; other requests outside
 * a dialog are refused here, OPTIONS excepted.
 *
 * - Only the focuses of focus_allow (by source address) may INVITE: 403
 *   for anyone else.
 * - An INVITE whose SDP is a control channel's offer (RFC 6230 s. 4) is a
 *   control dialog: the answer names the listener of mscp_ms.c, whose
 *   channels SYNC with this dialog's cfw-id; its end ends the channel and
 *   the conferences made over it.
 * - Any other INVITE with an SDP offer is a media connection (ms_conn.c).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "mixer/mixer.h"
#include "sip/ms_ua.h"
#include "util/log.h"

#define MS_CTLS_MAX 16         /* control dialogs (the listener's
				* channels are as many) */

/* A control dialog */
struct ms_ctl {
	struct le le;
	struct ms_ua *ua;
	struct sipsess *sess;
	struct mbuf *answer;          /* ours, again for a re-INVITE */
	char id[MSCP_ID_MAX + 1];     /* its cfw-id ("" until answered) */
};

static void ctl_destructor(void *arg)
{
	struct ms_ctl *ctl = arg;

	if (ctl->id[0])
		mscp_ms_dialog_end(ctl->ua->ms, ctl->id);
	list_unlink(&ctl->le);
	mem_deref(ctl->sess);
	mem_deref(ctl->answer);
}

/* A re-INVITE of the control dialog: the channel stays as it is
 * (a=connection:existing, docs/mscp.md), our answer with it */
static int ctl_offer_h(struct mbuf **descp, const struct sip_msg *msg,
		       void *arg)
{
	struct ms_ctl *ctl = arg;

	if (mbuf_get_left(msg->mb) && !mscp_sdp_is_control(msg->mb))
		return EPROTO;
	*descp = mem_ref(ctl->answer);
	return 0;
}

static int ctl_answer_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;
}

static void ctl_estab_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static void ctl_close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct ms_ctl *ctl = arg;

	log_info("sip", "msg=\"control dialog ended\" dialog=%s err=%d "
		 "code=%u", ctl->id, err == ECONNRESET ? 0 : err,
		 msg ? msg->scode : 0);
	mem_deref(ctl);
}

static void ctl_accept(struct ms_ua *ua, const struct sip_msg *msg)
{
	struct focus *f = ua->f;
	struct ms_ctl *ctl;
	int err;

	if (list_count(&ua->ctls) >= MS_CTLS_MAX) {
		focus_reply(f, msg, 503, "Service Unavailable (too many "
			    "control dialogs)", "Retry-After: 30\r\n");
		return;
	}
	ctl = mem_zalloc(sizeof(*ctl), ctl_destructor);
	if (!ctl) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return;
	}
	ctl->ua = ua;
	err = mscp_ms_dialog_offer(ua->ms, msg->mb, &ctl->answer, ctl->id,
				   sizeof(ctl->id));
	if (err) {
		if (err == EPROTO)
			focus_reply(f, msg, 488, "Not Acceptable Here (not a "
				    "control channel offer this mixer takes)",
				    NULL);
		else
			focus_reply(f, msg, 500, "Server Internal Error",
				    NULL);
		goto out;
	}
	err = sipsess_accept(&ctl->sess, f->sock, msg, 200, "OK", MS_CUSER,
			     "application/sdp", ctl->answer, NULL, NULL,
			     false, ctl_offer_h, ctl_answer_h, ctl_estab_h,
			     NULL, NULL, ctl_close_h, ctl, "%s", MS_HDRS);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		goto out;
	}
	(void)focus_dialog_follow_conn(sipsess_dialog(ctl->sess), msg);
	list_append(&ua->ctls, &ctl->le, ctl);
	log_info("sip", "msg=\"control dialog\" dialog=%s focus=%J", ctl->id,
		 &msg->src);
 out:
	if (err)
		mem_deref(ctl);
}

static bool allowed(const struct ms_ua *ua, const struct sa *src)
{
	for (unsigned i = 0; i < ua->nallow; i++)
		if (sa_cmp(&ua->allow[i], src, SA_ADDR))
			return true;
	return false;
}

void ms_ua_invite(struct focus *f, const struct sip_msg *msg)
{
	struct ms_ua *ua = f->ms;
	const struct sip_hdr *h;

	if (!allowed(ua, &msg->src)) {
		log_info("sip", "msg=\"INVITE refused: not a focus of this "
			 "mixer\" src=%J", &msg->src);
		focus_reply(f, msg, 403, "Forbidden (not a focus of this "
			    "mixer)", NULL);
		return;
	}
	h = focus_unsupported(msg);
	if (h) {
		char hdr[160];

		re_snprintf(hdr, sizeof(hdr), "Unsupported: %r\r\n", &h->val);
		focus_reply(f, msg, 420, "Bad Extension", hdr);
		return;
	}
	if (!mbuf_get_left(msg->mb)) {
		focus_reply(f, msg, 488, "Not Acceptable Here (offer "
			    "required)", NULL);
		return;
	}
	if (!msg_ctype_cmp(&msg->ctyp, "application", "sdp")) {
		focus_reply(f, msg, 415, "Unsupported Media Type (send "
			    "application/sdp)", "Accept: application/sdp\r\n");
		return;
	}
	if (mscp_sdp_is_control(msg->mb))
		ctl_accept(ua, msg);
	else
		ms_conn_accept(ua, msg);
}

bool ms_ua_request(struct focus *f, const struct sip_msg *msg)
{
	if (!pl_strcmp(&msg->met, "OPTIONS"))
		return false;              /* the table of methods answers */
	if (!pl_strcmp(&msg->met, "ACK"))
		return true;               /* a stray ACK: no answer */
	/* one that names a dialog (a To tag) names none of ours, a CANCEL
	 * no INVITE in progress: RFC 3261 s. 12.2.2, 9.2 */
	if (pl_isset(&msg->to.tag) || !pl_strcmp(&msg->met, "CANCEL"))
		focus_reply(f, msg, 481, "Call/Transaction Does Not Exist",
			    NULL);
	else
		focus_reply(f, msg, 403, "Forbidden (a mixer takes only its "
			    "focus's INVITEs)", NULL);
	return true;
}

void ms_ua_mixer_event(struct ms_ua *ua, const struct mixer_event *ev)
{
	switch (ev->type) {
	case MIXER_EV_STATS:
		ms_conn_stats(ua, ev->stream_id, &ev->stats);
		break;
	case MIXER_EV_TALKING:
		mscp_ms_event(ua->ms, ev);
		break;
	case MIXER_EV_DTMF:         /* msc-mixer/1.0 carries no digits */
		break;
	}
}

void ms_ua_close_all(struct ms_ua *ua)
{
	struct le *le;

	if (!ua)
		return;
	ms_conn_close_all(ua);
	while ((le = list_head(&ua->ctls)))
		mem_deref(le->data);
}

static void ua_destructor(void *arg)
{
	struct ms_ua *ua = arg;

	/* the connections first: they leave the executor as they go */
	ms_ua_close_all(ua);
	mem_deref(ua->ms);
	mem_deref(ua->streams);
}

static void trim(struct pl *pl)
{
	while (pl->l && (*pl->p == ' ' || *pl->p == '\t')) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && (pl->p[pl->l - 1] == ' ' ||
			 pl->p[pl->l - 1] == '\t'))
		pl->l--;
}

/* focus_allow: IP addresses, comma separated */
static int allow_parse(struct ms_ua *ua, const char *list)
{
	struct pl rest, item;

	pl_set_str(&rest, list);
	while (rest.l) {
		const char *c = pl_strchr(&rest, ',');
		char buf[64];

		item.p = rest.p;
		item.l = c ? (size_t)(c - rest.p) : rest.l;
		rest.p += item.l + (c ? 1 : 0);
		rest.l -= item.l + (c ? 1 : 0);
		trim(&item);
		if (!item.l)
			continue;
		if (ua->nallow >= MS_ALLOW_MAX || item.l >= sizeof(buf))
			return EINVAL;
		pl_strcpy(&item, buf, sizeof(buf));
		if (sa_set_str(&ua->allow[ua->nallow], buf, 0))
			return EINVAL;
		ua->nallow++;
	}
	return ua->nallow ? 0 : EINVAL;
}

/* The control channels' address: control_addr ("host" or "host:port"),
 * else the SIP address; port 0: any free one. Not the any address: the
 * answers name it */
static int control_laddr(struct sa *sa, const struct focus *f,
			 const struct focus_cfg *cfg)
{
	const char *a = cfg->control_addr;

	if (!a || !a[0]) {
		*sa = f->sip_laddr;
		sa_set_port(sa, 0);
		return sa_is_any(sa) ? EINVAL : 0;
	}
	if (sa_decode(sa, a, strlen(a)) && sa_set_str(sa, a, 0))
		return EINVAL;
	/* the answers name it: the focus connects there */
	return sa_is_any(sa) ? EINVAL : 0;
}

int ms_ua_alloc(struct ms_ua **uap, struct focus *f,
		const struct focus_cfg *cfg)
{
	struct mscp_ms_cfg mcfg = {.mx = f->mixer, .room_base = MS_ROOM_CONF,
				   .rehome = ms_conn_rehome};
	struct ms_ua *ua;
	struct sa laddr;
	int err;

	/* with the mixer's per-thread sockets a connection's port would be
	 * its thread's, and a join on another thread would change it */
	if (mixer_shared_sockets(f->mixer)) {
		log_err("sip", "msg=\"the mixer role takes a socket pair per "
			"connection: set rtp_sockets to per-call\"");
		return ENOTSUP;
	}
	ua = mem_zalloc(sizeof(*ua), ua_destructor);
	if (!ua)
		return ENOMEM;
	ua->f = f;
	ua->next_room = MS_ROOM_HOME;
	mcfg.arg = ua;
	err = allow_parse(ua, cfg->focus_allow);
	if (err) {
		log_err("sip", "msg=\"focus_allow is not a list of IP "
			"addresses\" focus_allow=\"%s\"", cfg->focus_allow);
		goto out;
	}
	err = control_laddr(&laddr, f, cfg);
	if (err) {
		log_err("sip", "msg=\"the control channels need an address "
			"the focus reaches (not any)\" control_addr=%s "
			"sip_addr=%J", cfg->control_addr, &f->sip_laddr);
		goto out;
	}
	mcfg.laddr = &laddr;
	err = hash_alloc(&ua->streams, 256);
	err = err ? err : mscp_ms_alloc(&ua->ms, &mcfg);
	if (err) {
		log_err("sip", "msg=\"cannot listen for control channels\" "
			"addr=%J err=%m", &laddr, err);
		goto out;
	}
	log_info("sip", "msg=\"mixer role\" focus_allow=\"%s\"",
		 cfg->focus_allow);
 out:
	if (err)
		mem_deref(ua);
	else
		*uap = ua;
	return err;
}
