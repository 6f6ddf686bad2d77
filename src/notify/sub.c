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
 * - A sidebar's URI (<conf>+<sidebar>): the same, with the sidebar's own
 *   document. Its subscribers see it end as a conference's see a destroy:
 *   terminated;reason=noresource, the last document empty.
 * - A NOTIFY that fails (timeout, 481, any error) ends the subscription.
 *
 * This file sends the NOTIFYs; SUBSCRIBE requests are taken in
 * sub_in.c, the notifier's life in notifier.c. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "notify/sub_int.h"
#include "util/log.h"
#include "util/srclimit.h"

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
		    rc->sb == s->view.sidebar && !s->view.ended &&
		    rc->version == conf_version(s->conf))
			return mem_ref(rc->r);
	}
	/* an ended sidebar's last document is its subscriber's own */
	if ((conf_destroyed(s->conf) && n->ending != s->conf) ||
	    s->view.ended)
		return notify_render_alloc(&r, s->conf, &s->view) ? NULL : r;
	rc = mem_zalloc(sizeof(*rc), rcache_destructor);
	if (!rc || notify_render_alloc(&rc->r, s->conf, &s->view)) {
		mem_deref(rc);
		return NULL;
	}
	rc->conf = mem_ref(s->conf);
	rc->sb = s->view.sidebar;
	rc->moderator = s->view.moderator;
	rc->version = conf_version(s->conf);
	list_append(&n->renders, &rc->le, rc);
	return mem_ref(rc->r);
}

static void nsub_destructor(void *arg)
{
	struct nsub *s = arg;

	list_unlink(&s->le);
	if (s->src_held)
		srclimit_give(s->n->limit, &s->src, SRCLIMIT_SUBS);
	mem_deref(s->req);            /* no callback after this */
	mem_deref(s->dlg);
	mem_deref(s->last);
	mem_deref(s->conf);
	mem_deref(s->sb_uri);
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
		sub_send_next(s);
	else if (s->dirty && !tmr_isrunning(&s->n->tmr))
		tmr_start(&s->n->tmr, s->n->interval_ms, flush, s->n);
}

/* Sends the next NOTIFY now if none is in flight. */
void sub_send_next(struct nsub *s)
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
void sub_end(struct nsub *s, enum sub_end why)
{
	if (s->end)
		return;
	s->end = why;
	sub_send_next(s);
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
			sub_send_next(s);
	}
}

/* A subscriber to a sidebar: still there? Sidebars are not referenced,
 * so its sidebar is found again by id at each change (a sidebar goes
 * with a change of its conference). Gone: the view names its URI. */
static bool sidebar_ended(struct nsub *s)
{
	const struct sidebar *sb;

	if (!s->sb_id[0] || s->view.ended)
		return false;
	sb = conf_sidebar_find(s->conf, s->sb_id);
	if (sb && sb == s->view.sidebar)
		return false;
	s->view.sidebar = NULL;
	s->view.ended = s->sb_uri;
	return true;
}

void sub_conf_changed(struct conf *c, bool destroyed, void *arg)
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
		/* a sidebar that went: as a conference destroyed */
		if (destroyed || sidebar_ended(s)) {
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


int sub_alloc(struct nsub **sp, struct notifier *n, struct conf *c,
	      const struct sidebar *sb)
{
	struct nsub *s = mem_zalloc(sizeof(*s), nsub_destructor);

	if (!s)
		return ENOMEM;
	s->n = n;
	s->conf = mem_ref(c);
	if (sb) {
		re_snprintf(s->sb_id, sizeof(s->sb_id), "%s", sidebar_id(sb));
		s->view.sidebar = sb;
		if (str_dup(&s->sb_uri, sidebar_uri(sb))) {
			mem_deref(s);
			return ENOMEM;
		}
	}
	*sp = s;
	return 0;
}

void sub_arm_expiry(struct nsub *s, uint32_t expires)
{
	struct notifier *n = s->n;

	s->expires_at_ms = tmr_jiffies() + expires * 1000ull;
	if (!tmr_isrunning(&n->exp_tmr) || s->expires_at_ms < n->exp_next) {
		n->exp_next = s->expires_at_ms;
		tmr_start(&n->exp_tmr, expires * 1000ull, expiry_sweep, n);
	}
}

