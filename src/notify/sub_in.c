/*
 * SUBSCRIBE requests to conference URIs (RFC 6665, Event: conference): a
 * new subscription, a refresh, an unsubscribe or a fetch; each checked
 * (Event, Accept, Expires) and answered before sub.c sends its NOTIFY.
 * A sidebar's URI (<conf>+<sidebar>) is subscribed to like its
 * conference's, through the conference's gate, for the sidebar's own
 * document. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "notify/sub_int.h"
#include "util/srclimit.h"

#define EXPIRES_DFL 3600
#define EXPIRES_MAX 3600

static void reply(struct notifier *n, const struct sip_msg *msg,
		  uint16_t scode, const char *reason, const char *hdrs)
{
	(void)sip_treplyf(NULL, NULL, n->sip, msg, false, scode, reason,
			  "%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : "");
}

static bool accepts_ours(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_ACCEPT);
	char val[256];

	if (!h)
		return true;        /* RFC 6665: the package's default */
	pl_strcpy(&h->val, val, sizeof(val));
	return strstr(val, NOTIFY_CTYPE) || strstr(val, "*/*") ||
		strstr(val, "application/*");
}

static bool digits_only(const struct pl *pl)
{
	if (!pl->l || pl->l > 9)          /* fits 32 bits, like RFC 3261's */
		return false;
	for (size_t i = 0; i < pl->l; i++)
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
	return true;
}

/* The Expires to grant: what was asked, shortened to our maximum but
 * never lengthened (RFC 6665 s. 4.2.1.1); 0 stays 0. Replies and returns
 * an error for garbage (400) and for less than our minimum (423). */
static int granted_expires(struct notifier *n, const struct sip_msg *msg,
			   uint32_t *expp)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
	char mh[40];
	uint32_t e;

	if (!h) {
		*expp = EXPIRES_DFL;
		return 0;
	}
	if (!digits_only(&h->val)) {
		reply(n, msg, 400, "Bad Request (Expires is not a number)",
		      NULL);
		return EBADMSG;
	}
	e = pl_u32(&h->val);
	if (e && e < n->min_expires) {
		re_snprintf(mh, sizeof(mh), "Min-Expires: %u\r\n",
			    n->min_expires);
		reply(n, msg, 423, "Interval Too Brief", mh);
		return ERANGE;
	}
	*expp = e > EXPIRES_MAX ? EXPIRES_MAX : e;
	return 0;
}

/* The checks both a new SUBSCRIBE and a refresh go through. 0: fine. */
static int check_request(struct notifier *n, const struct sip_msg *msg)
{
	struct sipevent_event ev;
	const struct sip_hdr *hdr = sip_msg_hdr(msg, SIP_HDR_EVENT);

	if (!hdr || sipevent_event_decode(&ev, &hdr->val)) {
		reply(n, msg, 400, "Bad Request (Event header missing or "
		      "malformed)", NULL);
		return EBADMSG;
	}
	if (pl_strcasecmp(&ev.event, "conference")) {
		reply(n, msg, 489, "Bad Event", "Allow-Events: conference\r\n");
		return ENOTSUP;
	}
	if (!accepts_ours(msg)) {
		reply(n, msg, 406, "Not Acceptable",
		      "Accept: " NOTIFY_CTYPE "\r\n");
		return ENOTSUP;
	}
	return 0;
}

static void reply_ok(struct nsub *s, const struct sip_msg *msg,
		     uint32_t expires)
{
	(void)sip_treplyf(NULL, NULL, s->n->sip, msg, false, 200, "OK",
			  "Contact: <%s>\r\n"
			  "Expires: %u\r\n"
			  "Allow-Events: conference\r\n"
			  "Content-Length: 0\r\n\r\n", s->contact, expires);
}

static bool dialog_cmp(struct le *le, void *arg)
{
	const struct nsub *s = le->data;

	return sip_dialog_cmp(s->dlg, arg);
}

static void refresh(struct notifier *n, const struct sip_msg *msg)
{
	struct nsub *s = list_ledata(list_apply(&n->subs, true, dialog_cmp,
						(void *)msg));
	uint32_t expires;

	if (!s || s->end) {
		reply(n, msg, 481, "Subscription Does Not Exist", NULL);
		return;
	}
	if (!sip_dialog_rseq_valid(s->dlg, msg)) {
		reply(n, msg, 500, "Server Internal Error (CSeq out of order)",
		      NULL);
		return;
	}
	if (check_request(n, msg) || granted_expires(n, msg, &expires))
		return;
	reply_ok(s, msg, expires);
	if (!expires) {
		sub_end(s, END_UNSUB);
		return;
	}
	sub_arm_expiry(s, expires);
	/* RFC 6665 s. 4.2.1.2: a NOTIFY follows every accepted SUBSCRIBE */
	s->want_full = true;
	s->dirty = true;
	sub_send_next(s);
}

bool sub_subscribe_handler(const struct sip_msg *msg, void *arg)
{
	struct notifier *n = arg;
	struct nsub *s;
	struct conf *c = NULL;
	struct sidebar *sb = NULL;
	uint32_t expires;
	bool moderator = false;
	/* a conference id (conf_id_valid: at most 64), or <conf>+<sidebar> */
	char id[64 + 1 + SIDEBAR_ID_MAX + 1], user[sizeof(id)];
	struct sa srcbuf;
	const struct sa *src;
	int err;

	if (pl_strcmp(&msg->met, "SUBSCRIBE"))
		return false;
	/* the subscriber's address, behind a proxy the one it recorded */
	src = srclimit_sip_src(n->limit, msg, &srcbuf);
	if (pl_isset(&msg->to.tag)) {
		refresh(n, msg);
		return true;
	}
	/* refused for load before any lookup: it must cost next to nothing
	 * (refreshes, inside a dialog, never are) */
	if (n->admith && !n->admith(msg, n->admit_arg))
		return true;
	if (pl_isset(&msg->uri.user) && msg->uri.user.l < sizeof(id)) {
		pl_strcpy(&msg->uri.user, id, sizeof(id));
		c = confs_lookup_user(n->confs, id, &sb);
	}
	if (check_request(n, msg))
		return true;
	if (!c) {
		reply(n, msg, 404, "Conference Not Found", NULL);
		srclimit_offence(n->limit, src, "no such conference");
		return true;
	}
	if (n->gateh && n->gateh(c, msg, &moderator, n->gate_arg))
		return true;                  /* challenged or refused */
	if (granted_expires(n, msg, &expires))
		return true;
	if (!srclimit_take(n->limit, src, SRCLIMIT_SUBS)) {
		reply(n, msg, 503, "Service Unavailable (too many "
		      "subscriptions from your address)",
		      "Retry-After: 30\r\n");
		return true;
	}
	if (sub_alloc(&s, n, c, sb)) {
		srclimit_give(n->limit, src, SRCLIMIT_SUBS);
		reply(n, msg, 500, "Server Internal Error", NULL);
		return true;
	}
	s->src = *src;
	s->src_held = true;
	s->view.moderator = moderator;    /* proven moderators only */
	/* the URI subscribed to is the focus's for this dialog */
	re_snprintf(user, sizeof(user), "%s%s%s", conf_id(c), sb ? "+" : "",
		    sb ? sidebar_id(sb) : "");
	if (!n->contacth || n->contacth(s->contact, sizeof(s->contact),
					user, msg, n->contact_arg))
		re_snprintf(s->contact, sizeof(s->contact), "sip:%s@%J%s",
			    user, n->laddr, sip_transp_param(msg->tp));
	/* the dialog's local tag is the To tag libre puts in our reply */
	err = sip_dialog_accept(&s->dlg, msg);
	if (err) {
		reply(n, msg, 500, "Server Internal Error", NULL);
		mem_deref(s);
		return true;
	}
	list_append(&n->subs, &s->le, s);
	reply_ok(s, msg, expires);
	s->want_full = true;
	if (!expires) {
		sub_end(s, END_UNSUB);       /* fetch: one NOTIFY, final */
		return true;
	}
	sub_arm_expiry(s, expires);
	sub_send_next(s);
	return true;
}

