/*
 * Subscriptions to the conference event package (RFC 6665, RFC 4575).
 * caucus keeps its own subscription dialogs and sends its own NOTIFYs
 * (libre's notifier merges queued NOTIFYs and answers refreshes itself
 * with the old body, which partial documents cannot survive):
 *
 * - SUBSCRIBE to a conference URI: 200 with the granted Expires, then at
 *   once a NOTIFY with the full state, version 1 for that subscription.
 * - A change of the conference: the next NOTIFY carries what changed
 *   (partial) or the full state when that is smaller, version + 1; at most
 *   one NOTIFY per subscriber per interval, and never two in flight: what
 *   changes meanwhile goes into the next one. Versions neither skip nor
 *   go back.
 * - Refresh: 200 and a full NOTIFY. Unsubscribe (Expires: 0) and fetch:
 *   200 and a final full NOTIFY, terminated. Expiry: terminated;
 *   reason=timeout. Destroy and shutdown: terminated;reason=noresource.
 * - A NOTIFY that fails (timeout, 481, any error) ends the subscription.
 *
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf.h"
#include "notify/notify.h"
#include "util/log.h"

#define EXPIRES_DFL 3600
#define EXPIRES_MAX 3600

/* A render of one conference in one view at one version, shared by its
 * subscribers until the conference changes */
struct rcache {
	struct le le;
	struct conf *conf;            /* referenced */
	bool moderator;
	uint32_t version;
	struct notify_render *r;
};

struct notifier {
	struct list renders;          /* struct rcache */
	const struct conf *ending;    /* destroyed, final NOTIFYs going */
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct confs *confs;
	struct list subs;
	struct tmr tmr;
	/* one timer for every subscription's expiry, due at the earliest:
	 * a thousand hour-long timers in libre's sorted timer list would
	 * make every transaction's timer walk past them */
	struct tmr exp_tmr;
	uint64_t exp_next;            /* when exp_tmr fires */
	uint32_t interval_ms;
	uint32_t min_expires;
	const struct sa *laddr;
	struct notify_stats st;
	uint32_t delay_hist[NOTIFY_DELAY_BUCKETS];   /* ms; last: more */
	notify_gate_h *gateh;
	void *gate_arg;
};

enum sub_end { END_NONE = 0, END_TIMEOUT, END_NORESOURCE, END_UNSUB };

struct nsub {
	struct le le;
	struct notifier *n;
	struct sip_dialog *dlg;
	struct sip_request *req;      /* the NOTIFY in flight */
	struct conf *conf;            /* referenced */
	struct notify_render *last;   /* what the subscriber has */
	char contact[160];
	uint32_t version;             /* last version sent */
	uint64_t expires_at_ms;
	uint64_t dirty_since_ms;      /* first change not yet sent */
	bool dirty;                   /* the conference changed since */
	bool want_full;               /* next NOTIFY: the full state */
	enum sub_end end;             /* ending: the NOTIFY to send is final */
	bool final_sent;
	struct notify_view view;
};

static void send_next(struct nsub *s);
static void flush(void *arg);

static void rcache_destructor(void *arg)
{
	struct rcache *rc = arg;

	list_unlink(&rc->le);
	mem_deref(rc->r);
	mem_deref(rc->conf);
}

static void renders_drop(struct notifier *n, const struct conf *c)
{
	struct le *le = n->renders.head;

	while (le) {
		struct rcache *rc = le->data;

		le = le->next;
		if (rc->conf == c)
			mem_deref(rc);
	}
}

/* The current render of s's conference in s's view, built on first use.
 * The caller holds the returned render (mem_deref). A destroyed
 * conference's render is cached only while its subscribers get their
 * final NOTIFYs at once (conf_changed). */
static struct notify_render *render_get(struct notifier *n,
					const struct nsub *s)
{
	struct notify_render *r = NULL;
	struct rcache *rc;

	for (struct le *le = n->renders.head; le; le = le->next) {
		rc = le->data;
		if (rc->conf == s->conf && rc->moderator == s->view.moderator &&
		    rc->version == conf_version(s->conf))
			return mem_ref(rc->r);
	}
	if (conf_destroyed(s->conf) && n->ending != s->conf)
		return notify_render_alloc(&r, s->conf, &s->view) ? NULL : r;
	rc = mem_zalloc(sizeof(*rc), rcache_destructor);
	if (!rc || notify_render_alloc(&rc->r, s->conf, &s->view)) {
		mem_deref(rc);
		return NULL;
	}
	rc->conf = mem_ref(s->conf);
	rc->moderator = s->view.moderator;
	rc->version = conf_version(s->conf);
	list_append(&n->renders, &rc->le, rc);
	return mem_ref(rc->r);
}

static void nsub_destructor(void *arg)
{
	struct nsub *s = arg;

	list_unlink(&s->le);
	mem_deref(s->req);            /* no callback after this */
	mem_deref(s->dlg);
	mem_deref(s->last);
	mem_deref(s->conf);
}

static const char *substate(const struct nsub *s, char *buf, size_t sz)
{
	switch (s->end) {
	case END_NONE: {
		uint64_t now = tmr_jiffies();
		uint64_t left = s->expires_at_ms > now ?
			(s->expires_at_ms - now) / 1000 : 0;

		re_snprintf(buf, sz, "active;expires=%llu",
			    (unsigned long long)left);
		return buf;
	}
	case END_TIMEOUT:    return "terminated;reason=timeout";
	case END_NORESOURCE: return "terminated;reason=noresource";
	default:             return "terminated";
	}
}

static void notify_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct nsub *s = arg;

	if (!err && msg && msg->scode < 200)
		return;
	s->req = NULL;
	if (err || !msg || msg->scode >= 300) {
		/* RFC 6665 s. 4.2.2: a failed NOTIFY ends the subscription */
		log_dbg("notify", "msg=\"subscriber gone\" conf=%s err=%m "
			"code=%u", conf_id(s->conf), err, msg ? msg->scode : 0);
		mem_deref(s);
		return;
	}
	if (s->final_sent) {
		mem_deref(s);
		return;
	}
	/* a final NOTIFY goes now; changes wait for the next interval, so
	 * that a subscriber gets at most one NOTIFY per interval and all of
	 * them share one render of the conference */
	if (s->end)
		send_next(s);
	else if (s->dirty && !tmr_isrunning(&s->n->tmr))
		tmr_start(&s->n->tmr, s->n->interval_ms, flush, s->n);
}

/* Sends the next NOTIFY now if none is in flight. */
static void send_next(struct nsub *s)
{
	struct notify_render *r;
	struct mbuf *body = NULL;
	bool partial = false;
	size_t body_len;
	char st[48], head[512];
	int err;

	if (s->req)
		return;               /* the response handler comes back */
	if (s->end)
		s->want_full = true;  /* the final NOTIFY: the whole state */
	r = render_get(s->n, s);
	err = r ? notify_render_delta(&body, &partial, r, s->last,
				      s->want_full) : ENOMEM;
	err = err ? err : notify_render_head(head, sizeof(head), r, partial,
					     s->version + 1);
	s->dirty = false;
	if (err == ENODATA) {
		/* nothing this subscriber sees changed: it has r as well */
		mem_deref(s->last);
		s->last = r;
		return;
	}
	if (err) {
		log_warn("notify", "msg=\"cannot build NOTIFY\" conf=%s err=%m",
			 conf_id(s->conf), err);
		mem_deref(body);
		mem_deref(r);
		return;
	}
	body_len = strlen(head) + mbuf_get_left(body);
	err = sip_drequestf(&s->req, s->n->sip, true, "NOTIFY", s->dlg, 0,
			    NULL, NULL, notify_resp, s,
			    "Contact: <%s>\r\n"
			    "Event: conference\r\n"
			    "Subscription-State: %s\r\n"
			    "Content-Type: " NOTIFY_CTYPE "\r\n"
			    "Content-Length: %zu\r\n\r\n%s%b",
			    s->contact, substate(s, st, sizeof(st)),
			    body_len, head, mbuf_buf(body),
			    mbuf_get_left(body));
	mem_deref(body);
	if (err) {
		log_warn("notify", "msg=\"NOTIFY not sent\" conf=%s err=%m",
			 conf_id(s->conf), err);
		mem_deref(r);
		mem_deref(s);
		return;
	}
	mem_deref(s->last);
	s->last = r;
	s->version++;
	s->want_full = false;
	s->n->st.notifies++;
	s->n->st.bytes += body_len;
	if (partial)
		s->n->st.partial++;
	if (s->dirty_since_ms) {
		/* change to NOTIFY, for the changes that caused one */
		uint64_t d = tmr_jiffies() - s->dirty_since_ms;

		s->n->delay_hist[d < NOTIFY_DELAY_BUCKETS - 1 ? d :
				 NOTIFY_DELAY_BUCKETS - 1]++;
		s->dirty_since_ms = 0;
	}
	if (s->end)
		s->final_sent = true;
}

/* Ends a subscription with a final NOTIFY (after the one in flight). */
static void sub_end(struct nsub *s, enum sub_end why)
{
	if (s->end)
		return;
	s->end = why;
	send_next(s);
}

static void expiry_sweep(void *arg)
{
	struct notifier *n = arg;
	uint64_t now = tmr_jiffies(), next = UINT64_MAX;
	struct le *le = n->subs.head;

	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		if (s->end)
			continue;
		if (s->expires_at_ms <= now)
			sub_end(s, END_TIMEOUT);   /* may free s */
		else if (s->expires_at_ms < next)
			next = s->expires_at_ms;
	}
	if (next != UINT64_MAX) {
		n->exp_next = next;
		tmr_start(&n->exp_tmr, next - now, expiry_sweep, n);
	}
}

static void flush(void *arg)
{
	struct notifier *n = arg;
	struct le *le = n->subs.head;

	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		if (s->dirty && !s->end)
			send_next(s);
	}
}

static void conf_changed(struct conf *c, bool destroyed, void *arg)
{
	struct notifier *n = arg;
	struct le *le = n->subs.head;
	bool any = false;

	renders_drop(n, c);               /* stale from now on */
	if (destroyed)
		n->ending = c;            /* one final render per view */
	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		if (s->conf != c)
			continue;
		if (destroyed) {
			sub_end(s, END_NORESOURCE);
			continue;
		}
		if (!s->dirty_since_ms)
			s->dirty_since_ms = tmr_jiffies();
		s->dirty = true;
		any = true;
	}
	if (destroyed) {
		n->ending = NULL;
		renders_drop(n, c);
	}
	/* coalesce: at most one NOTIFY per subscriber per interval */
	if (any && !tmr_isrunning(&n->tmr))
		tmr_start(&n->tmr, n->interval_ms, flush, n);
}

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

static void arm_expiry(struct nsub *s, uint32_t expires)
{
	struct notifier *n = s->n;

	s->expires_at_ms = tmr_jiffies() + expires * 1000ull;
	if (!tmr_isrunning(&n->exp_tmr) || s->expires_at_ms < n->exp_next) {
		n->exp_next = s->expires_at_ms;
		tmr_start(&n->exp_tmr, expires * 1000ull, expiry_sweep, n);
	}
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
	arm_expiry(s, expires);
	/* RFC 6665 s. 4.2.1.2: a NOTIFY follows every accepted SUBSCRIBE */
	s->want_full = true;
	s->dirty = true;
	send_next(s);
}

static bool subscribe_handler(const struct sip_msg *msg, void *arg)
{
	struct notifier *n = arg;
	struct nsub *s;
	struct conf *c = NULL;
	uint32_t expires;
	bool moderator = false;
	char id[65];
	int err;

	if (pl_strcmp(&msg->met, "SUBSCRIBE"))
		return false;
	if (pl_isset(&msg->to.tag)) {
		refresh(n, msg);
		return true;
	}
	if (pl_isset(&msg->uri.user) && msg->uri.user.l < sizeof(id)) {
		pl_strcpy(&msg->uri.user, id, sizeof(id));
		c = confs_lookup(n->confs, id);
	}
	if (check_request(n, msg))
		return true;
	if (!c) {
		reply(n, msg, 404, "Conference Not Found", NULL);
		return true;
	}
	if (n->gateh && n->gateh(c, msg, &moderator, n->gate_arg))
		return true;                  /* challenged or refused */
	if (granted_expires(n, msg, &expires))
		return true;
	s = mem_zalloc(sizeof(*s), nsub_destructor);
	if (!s) {
		reply(n, msg, 500, "Server Internal Error", NULL);
		return true;
	}
	s->n = n;
	s->conf = mem_ref(c);
	s->view.moderator = moderator;    /* proven moderators only */
	re_snprintf(s->contact, sizeof(s->contact), "sip:%s@%J%s", conf_id(c),
		    n->laddr, sip_transp_param(msg->tp));
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
	arm_expiry(s, expires);
	send_next(s);
	return true;
}

void notifier_terminate_all(struct notifier *n)
{
	struct le *le = n->subs.head;

	/* the server is going away: say so, as for a destroyed conference */
	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		sub_end(s, END_NORESOURCE);
	}
}

static void notifier_destructor(void *arg)
{
	struct notifier *n = arg;

	tmr_cancel(&n->tmr);
	tmr_cancel(&n->exp_tmr);
	confs_remove_change_handler(n->confs, conf_changed, n);
	list_flush(&n->subs);
	list_flush(&n->renders);
	mem_deref(n->lsnr);
}

int notifier_alloc(struct notifier **np, struct sip *sip, struct confs *cs,
		   const struct sa *laddr, uint32_t interval_ms,
		   uint32_t min_expires)
{
	struct notifier *n = mem_zalloc(sizeof(*n), notifier_destructor);
	int err;

	if (!n)
		return ENOMEM;
	n->sip = sip;
	n->confs = cs;
	n->laddr = laddr;
	n->interval_ms = interval_ms;
	n->min_expires = min_expires ? min_expires : 1;
	tmr_init(&n->tmr);
	tmr_init(&n->exp_tmr);
	err = sip_listen(&n->lsnr, sip, true, subscribe_handler, n);
	if (err) {
		mem_deref(n);
		return err;
	}
	err = confs_add_change_handler(cs, conf_changed, n);
	if (err) {
		mem_deref(n);
		return err;
	}
	*np = n;
	return 0;
}

void notifier_set_gate(struct notifier *n, notify_gate_h *h, void *arg)
{
	n->gateh = h;
	n->gate_arg = arg;
}

unsigned notifier_count(const struct notifier *n)
{
	return list_count(&n->subs);
}

void notifier_stats(const struct notifier *n, struct notify_stats *st)
{
	uint64_t total = 0, seen = 0;

	*st = n->st;
	st->subscriptions = list_count(&n->subs);
	for (size_t i = 0; i < NOTIFY_DELAY_BUCKETS; i++)
		total += n->delay_hist[i];
	st->delayed = total;
	for (size_t i = 0; total && i < NOTIFY_DELAY_BUCKETS; i++) {
		seen += n->delay_hist[i];
		if (!st->delay_p50_ms && seen * 2 >= total)
			st->delay_p50_ms = (uint32_t)i;
		if (seen * 100 >= total * 99) {
			st->delay_p99_ms = (uint32_t)i;
			break;
		}
	}
	for (size_t i = NOTIFY_DELAY_BUCKETS; i-- > 0;) {
		if (n->delay_hist[i]) {
			st->delay_max_ms = (uint32_t)i;
			break;
		}
	}
}
