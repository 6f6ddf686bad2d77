/*
 * Subscriptions to the conference event package (RFC 6665, RFC 4575) on
 * libre's notifier. A SUBSCRIBE to a conference URI gets 200 and at once a
 * NOTIFY with the full state, version 1 for that subscription; every
 * later change of the conference brings another NOTIFY with the next
 * version, at most one per subscriber per interval (changes in between are
 * coalesced). Fetch (Expires: 0) gets one NOTIFY and the subscription
 * ends; destroying the conference ends its subscriptions with
 * reason=noresource. Signalling thread.
 *
 * Every NOTIFY carries the full document. libre merges NOTIFYs that are
 * queued while one is in flight (the last body wins) and answers
 * refreshes itself by re-sending the last body: with full documents both
 * stay correct, where a lost partial document would corrupt the
 * subscriber's copy. Partial documents need a NOTIFY path of our own.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf.h"
#include "notify/notify.h"
#include "util/log.h"

struct notifier {
	struct sip *sip;
	struct sipevent_sock *sock;
	struct confs *confs;
	struct list subs;
	struct tmr tmr;
	uint32_t interval_ms;
	const struct sa *laddr;
	uint64_t notifies_sent;
};

struct nsub {
	struct le le;
	struct notifier *n;
	struct sipnot *not;
	struct conf *conf;          /* referenced */
	uint32_t version;           /* last version sent */
	uint32_t conf_version;      /* conference version it showed */
	bool dirty;
	bool fetch;
	struct notify_view view;
};

static void nsub_destructor(void *arg)
{
	struct nsub *s = arg;

	list_unlink(&s->le);
	mem_deref(s->not);
	mem_deref(s->conf);
}

static int doc_mbuf(struct mbuf **mbp, struct nsub *s)
{
	struct odict *doc = NULL;
	struct mbuf *mb = mbuf_alloc(2048);
	int err = mb ? 0 : ENOMEM;

	err = err ? err : notify_doc_full(&doc, s->conf, s->version + 1,
					  &s->view);
	err = err ? err : mbuf_printf(mb, "%H", notify_xml_print, doc);
	mem_deref(doc);
	if (err) {
		mem_deref(mb);
		return err;
	}
	mb->pos = 0;
	*mbp = mb;
	return 0;
}

static void send_state(struct nsub *s, enum sipevent_subst st,
		       enum sipevent_reason reason)
{
	struct mbuf *mb = NULL;
	int err = doc_mbuf(&mb, s);

	if (!err)
		err = sipevent_notify(s->not, mb, st, reason, 0);
	mem_deref(mb);
	if (err) {
		log_warn("notify", "msg=\"NOTIFY failed\" conf=%s err=%m",
			 conf_id(s->conf), err);
		return;
	}
	s->version++;
	s->conf_version = conf_version(s->conf);
	s->dirty = false;
	s->n->notifies_sent++;
}

static void flush(void *arg)
{
	struct notifier *n = arg;

	for (struct le *le = n->subs.head; le; le = le->next) {
		struct nsub *s = le->data;

		if (s->dirty && s->conf_version != conf_version(s->conf))
			send_state(s, SIPEVENT_ACTIVE, 0);
		s->dirty = false;
	}
}

static void conf_changed(struct conf *c, bool destroyed, void *arg)
{
	struct notifier *n = arg;
	struct le *le = n->subs.head;
	bool any = false;

	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		if (s->conf != c)
			continue;
		if (destroyed) {
			send_state(s, SIPEVENT_TERMINATED,
				   SIPEVENT_NORESOURCE);
			mem_deref(s);
			continue;
		}
		s->dirty = true;
		any = true;
	}
	/* coalesce: at most one NOTIFY per subscriber per interval */
	if (any && !tmr_isrunning(&n->tmr))
		tmr_start(&n->tmr, n->interval_ms, flush, n);
}

static void close_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct nsub *s = arg;

	/* unsubscribed, expired, or its NOTIFY failed (timeout, 481) */
	log_dbg("notify", "msg=\"subscription ended\" conf=%s err=%m code=%u",
		conf_id(s->conf), err, msg ? msg->scode : 0);
	mem_deref(s);
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

static void reply(struct notifier *n, const struct sip_msg *msg,
		  uint16_t scode, const char *reason, const char *hdrs)
{
	(void)sip_treplyf(NULL, NULL, n->sip, msg, false,
			  scode, reason, "%sContent-Length: 0\r\n\r\n",
			  hdrs ? hdrs : "");
}

static bool subscribe_handler(const struct sip_msg *msg, void *arg)
{
	struct notifier *n = arg;
	struct sipevent_event ev;
	const struct sip_hdr *hdr;
	struct nsub *s;
	struct conf *c;
	char id[65], cuser[128];
	int err;

	hdr = sip_msg_hdr(msg, SIP_HDR_EVENT);
	if (!hdr || sipevent_event_decode(&ev, &hdr->val)) {
		reply(n, msg, 400, "Bad Request (Event header missing or "
		      "malformed)", NULL);
		return true;
	}
	if (pl_strcasecmp(&ev.event, "conference")) {
		reply(n, msg, 489, "Bad Event", "Allow-Events: conference\r\n");
		return true;
	}
	c = NULL;
	if (pl_isset(&msg->uri.user) && msg->uri.user.l < sizeof(id)) {
		pl_strcpy(&msg->uri.user, id, sizeof(id));
		c = confs_lookup(n->confs, id);
	}
	if (!c) {
		reply(n, msg, 404, "Conference Not Found", NULL);
		return true;
	}
	if (!accepts_ours(msg)) {
		reply(n, msg, 406, "Not Acceptable",
		      "Accept: " NOTIFY_CTYPE "\r\n");
		return true;
	}
	s = mem_zalloc(sizeof(*s), nsub_destructor);
	if (!s) {
		reply(n, msg, 500, "Server Internal Error", NULL);
		return true;
	}
	s->n = n;
	s->conf = mem_ref(c);
	s->view.moderator = false;     /* roles come with the policy */
	re_snprintf(cuser, sizeof(cuser), "sip:%s@%J%s", conf_id(c), n->laddr,
		    sip_transp_param(msg->tp));
	err = sipevent_accept(&s->not, n->sock, msg, NULL, &ev, 200, "OK",
			      60, 3600, 3600, cuser, NOTIFY_CTYPE, NULL, NULL,
			      false, close_handler, s,
			      "Allow-Events: conference\r\n");
	if (err) {
		reply(n, msg, 500, "Server Internal Error", NULL);
		mem_deref(s);
		return true;
	}
	list_append(&n->subs, &s->le, s);
	hdr = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
	s->fetch = hdr && pl_u32(&hdr->val) == 0;
	/* the full state at once; a fetch ends with it */
	send_state(s, s->fetch ? SIPEVENT_TERMINATED : SIPEVENT_ACTIVE,
		   SIPEVENT_TIMEOUT);
	if (s->fetch)
		mem_deref(s);
	return true;
}

void notifier_terminate_all(struct notifier *n)
{
	struct le *le = n->subs.head;

	/* the server is going away: say so, as for a destroyed conference */
	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		send_state(s, SIPEVENT_TERMINATED, SIPEVENT_NORESOURCE);
		mem_deref(s);
	}
}

static void notifier_destructor(void *arg)
{
	struct notifier *n = arg;

	tmr_cancel(&n->tmr);
	confs_set_change_handler(n->confs, NULL, NULL);
	list_flush(&n->subs);
	mem_deref(n->sock);
}

int notifier_alloc(struct notifier **np, struct sip *sip, struct confs *cs,
		   const struct sa *laddr, uint32_t interval_ms)
{
	struct notifier *n = mem_zalloc(sizeof(*n), notifier_destructor);
	int err;

	if (!n)
		return ENOMEM;
	n->sip = sip;
	n->confs = cs;
	n->laddr = laddr;
	n->interval_ms = interval_ms;
	tmr_init(&n->tmr);
	err = sipevent_listen(&n->sock, sip, 1024, 1024, subscribe_handler,
			      n);
	if (err) {
		mem_deref(n);
		return err;
	}
	confs_set_change_handler(cs, conf_changed, n);
	*np = n;
	return 0;
}

unsigned notifier_count(const struct notifier *n)
{
	return list_count(&n->subs);
}

uint64_t notifier_sent(const struct notifier *n)
{
	return n->notifies_sent;
}
