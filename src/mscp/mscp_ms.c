/*
 * The MS end of the media-server split (mscp.h; `caucusd --role mixer`):
 * the control dialogs the focus opened by INVITE (their cfw-ids), the
 * listener their channels connect to, and the executor of msc-mixer/1.0
 * on caucus's mixer (mscp_mixer.c). Called by the mixer role's SIP side
 * (sip/ms_ua.c). Signalling thread only.
 *
 * - A SYNC is taken only with the Dialog-ID of a control dialog we
 *   answered and that has no channel yet (else 481): the cfw-id is what
 *   ties a TCP connection to a SIP dialog from an allowed focus.
 * - A conference belongs to the control dialog whose channel created it:
 *   the executor's events about it (active-talkers-notify, unjoin-notify,
 *   conferenceexit) go there as CONTROLs. Events a request causes (a
 *   destroyconference's unjoins) are held until that request's 200 went,
 *   so the focus hears the answer first.
 * - A channel that closes (the focus died, or was cut off) or a control
 *   dialog that ends (BYE) takes its conferences with it, through the
 *   executor's destroyconference: their connections are parked again,
 *   ready for another focus or a new channel.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "mscp/cfw.h"
#include "mscp/cfw_sdp.h"
#include "mscp/mixpkg.h"
#include "mscp/mscp.h"
#include "mscp/mscp_mixer.h"
#include "util/log.h"

/* One control dialog: its cfw-id, and its channel once synced */
struct ms_dialog {
	struct le le;
	char id[CFW_SDP_ID_MAX + 1];
	struct cfw_chan *ch;         /* the listener's; NULL: none (yet) */
};

/* A conference and the control dialog that created it */
struct ms_owner {
	struct le le;
	char conf[MIXPKG_ID_MAX + 1];
	struct ms_dialog *d;
};

/* An event held while a request runs (by dialog id: it is looked up
 * again when sent) */
struct ms_held {
	struct le le;
	char dialog[CFW_SDP_ID_MAX + 1];
	struct mbuf *mb;
};

struct mscp_ms {
	struct cfw_listener *l;
	struct mscp_mixer *ex;
	struct sa laddr;             /* the listener's (its port) */
	struct list dialogs;         /* struct ms_dialog */
	struct list owners;          /* struct ms_owner */
	struct list held;            /* struct ms_held */
	bool busy;                   /* a request runs: events wait */
	unsigned nconns;
	mscp_ms_rehome_h *rehome;
	void *arg;
};

/* --- the SDP: control channel or media --- */

/* The next blank-separated token of s */
static bool next_tok(struct pl *s, struct pl *tok)
{
	while (s->l && (*s->p == ' ' || *s->p == '\t')) {
		s->p++;
		s->l--;
	}
	tok->p = s->p;
	tok->l = 0;
	while (tok->l < s->l && tok->p[tok->l] != ' ' &&
	       tok->p[tok->l] != '\t')
		tok->l++;
	s->p += tok->l;
	s->l -= tok->l;
	return tok->l > 0;
}

/* "m=application <port> TCP|TCP/TLS ... cfw ..." */
static bool cfw_mline(struct pl line)
{
	struct pl media, port, proto, fmt;

	if (line.l < 2 || line.p[0] != 'm' || line.p[1] != '=')
		return false;
	line.p += 2;
	line.l -= 2;
	if (!next_tok(&line, &media) || !next_tok(&line, &port) ||
	    !next_tok(&line, &proto) || pl_strcasecmp(&media, "application") ||
	    (pl_strcasecmp(&proto, "TCP") && pl_strcasecmp(&proto, "TCP/TLS")))
		return false;
	while (next_tok(&line, &fmt))
		if (!pl_strcmp(&fmt, "cfw"))
			return true;
	return false;
}

bool mscp_sdp_is_control(const struct mbuf *sdp)
{
	struct pl rest, line;

	if (!sdp)
		return false;
	rest.p = (const char *)mbuf_buf(sdp);
	rest.l = mbuf_get_left(sdp);
	while (rest.l) {
		const char *nl = pl_strchr(&rest, '\n');

		line.p = rest.p;
		line.l = nl ? (size_t)(nl - rest.p) : rest.l;
		rest.p += line.l + (nl ? 1 : 0);
		rest.l -= line.l + (nl ? 1 : 0);
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (cfw_mline(line))
			return true;
	}
	return false;
}

/* --- control dialogs and who owns which conference --- */

static void dialog_destructor(void *arg)
{
	list_unlink(&((struct ms_dialog *)arg)->le);
}

static void owner_destructor(void *arg)
{
	list_unlink(&((struct ms_owner *)arg)->le);
}

static void held_destructor(void *arg)
{
	struct ms_held *h = arg;

	list_unlink(&h->le);
	mem_deref(h->mb);
}

static struct ms_dialog *dialog_find(const struct mscp_ms *ms, const char *id)
{
	struct le *le;

	LIST_FOREACH(&ms->dialogs, le) {
		struct ms_dialog *d = le->data;

		if (id && !strcmp(d->id, id))
			return d;
	}
	return NULL;
}

static struct ms_dialog *dialog_of(const struct mscp_ms *ms,
				   const struct cfw_chan *ch)
{
	struct le *le;

	LIST_FOREACH(&ms->dialogs, le) {
		struct ms_dialog *d = le->data;

		if (d->ch == ch)
			return d;
	}
	return NULL;
}

static struct ms_owner *owner_find(const struct mscp_ms *ms, const char *conf)
{
	struct le *le;

	LIST_FOREACH(&ms->owners, le) {
		struct ms_owner *o = le->data;

		if (!strcmp(o->conf, conf))
			return o;
	}
	return NULL;
}

/* The conferences d created, destroyed as by destroyconference (their
 * events go nowhere: d has no channel by now) */
static void dialog_confs_destroy(struct mscp_ms *ms, struct ms_dialog *d)
{
	struct mixpkg_msg *req = mem_zalloc(sizeof(*req), NULL);
	struct mixpkg_msg *resp = mem_zalloc(sizeof(*resp), NULL);
	struct le *le = list_head(&ms->owners);

	while (le) {
		struct ms_owner *o = le->data;

		le = le->next;
		if (o->d != d)
			continue;
		if (req && resp) {
			req->kind = MIXPKG_DESTROY;
			str_ncpy(req->conf.id, o->conf, sizeof(req->conf.id));
			mscp_mixer_exec(ms->ex, req, resp);
			log_info("mscp", "msg=\"conference of a gone control "
				 "channel destroyed\" conf=%s dialog=%s "
				 "status=%u", o->conf, d->id, resp->status);
		}
		mem_deref(o);
	}
	mem_deref(req);
	mem_deref(resp);
}

/* --- the executor's events to the focus --- */

static void event_resp_h(int err, const struct cfw_msg *msg, void *arg)
{
	(void)arg;
	if (err || (msg->scode != CFW_OK && msg->scode != CFW_ACCEPTED))
		log_dbg("mscp", "msg=\"event not taken by the focus\" err=%d "
			"code=%u", err, msg ? msg->scode : 0);
}

static void event_send(struct mscp_ms *ms, const char *dialog,
		       const struct mbuf *mb)
{
	struct ms_dialog *d = dialog_find(ms, dialog);
	int err;

	if (!d || !d->ch)
		return;            /* the channel is gone: nobody to tell */
	err = cfw_chan_control(d->ch, MIXPKG_NAME, MIXPKG_CTYPE, mb->buf,
			       mb->end, event_resp_h, NULL);
	if (err)
		log_warn("mscp", "msg=\"event not sent\" dialog=%s err=%m",
			 dialog, err);
}

static void held_flush(struct mscp_ms *ms)
{
	struct le *le;

	while ((le = list_head(&ms->held))) {
		struct ms_held *h = le->data;

		event_send(ms, h->dialog, h->mb);
		mem_deref(h);
	}
}

static void event_h(const struct mixpkg_msg *ev, void *arg)
{
	struct mscp_ms *ms = arg;
	const char *conf = ev->ev == MIXPKG_EV_UNJOIN ? ev->id2 : ev->conf.id;
	struct ms_owner *o = owner_find(ms, conf);
	struct ms_held *h;

	if (!o || !o->d->ch)
		return;
	h = mem_zalloc(sizeof(*h), held_destructor);
	if (!h)
		return;
	str_ncpy(h->dialog, o->d->id, sizeof(h->dialog));
	h->mb = mbuf_alloc(512);
	if (!h->mb || mixpkg_print(h->mb, ev)) {
		mem_deref(h);
		return;
	}
	list_append(&ms->held, &h->le, h);
	if (!ms->busy)
		held_flush(ms);
}

/* --- the listener's channels --- */

static bool dialog_h(const char *dialog_id, void *arg)
{
	struct ms_dialog *d = dialog_find(arg, dialog_id);

	/* one channel per control dialog */
	return d && !d->ch;
}

static void estab_h(struct cfw_chan *ch, void *arg)
{
	struct mscp_ms *ms = arg;
	struct ms_dialog *d = dialog_find(ms, cfw_chan_dialog_id(ch));

	if (!d || d->ch) {          /* (dialog_h said yes just now) */
		cfw_chan_close(ch);
		return;
	}
	d->ch = ch;
	log_info("mscp", "msg=\"control channel of a dialog up\" dialog=%s",
		 d->id);
}

static void close_h(struct cfw_chan *ch, int err, const char *why, void *arg)
{
	struct mscp_ms *ms = arg;
	struct ms_dialog *d = dialog_of(ms, ch);

	if (!d)
		return;             /* never synced */
	log_info("mscp", "msg=\"control channel lost, its conferences go\" "
		 "dialog=%s err=%d why=\"%s\"", d->id, err, why);
	d->ch = NULL;
	dialog_confs_destroy(ms, d);
}

/* After a request the executor carried out: who owns a conference it
 * made or destroyed */
static void owners_follow(struct mscp_ms *ms, struct ms_dialog *d,
			  const struct mixpkg_msg *req,
			  const struct mixpkg_msg *resp)
{
	struct ms_owner *o;

	if (resp->status != MIXPKG_OK)
		return;
	if (req->kind == MIXPKG_DESTROY) {
		mem_deref(owner_find(ms, req->conf.id));
		return;
	}
	if (req->kind != MIXPKG_CREATE || !d)
		return;
	o = mem_zalloc(sizeof(*o), owner_destructor);
	if (!o) {
		log_warn("mscp", "msg=\"conference without an owner: its "
			 "events are lost\" conf=%s", resp->conf.id);
		return;
	}
	str_ncpy(o->conf, resp->conf.id, sizeof(o->conf));
	o->d = d;
	list_append(&ms->owners, &o->le, o);
}

/* A CONTROL of msc-mixer/1.0 (the channel checked the package): carried
 * out by the executor, answered 200 with its response (the package's
 * status is in the body, RFC 6505 s. 4.2). These are mscp_mixer_control's
 * steps, with the request and response kept for owners_follow. */
static void control_h(struct cfw_chan *ch, const struct cfw_msg *msg,
		      void *arg)
{
	struct mscp_ms *ms = arg;
	struct mixpkg_msg *req = mem_zalloc(sizeof(*req), NULL);
	struct mixpkg_msg *resp = mem_zalloc(sizeof(*resp), NULL);
	struct mbuf *mb = mbuf_alloc(1024);
	uint16_t st;
	int err = ENOMEM;

	ms->busy = true;
	if (!req || !resp || !mb)
		goto out;
	st = mixpkg_parse(req, msg->body, msg->blen);
	if (st != MIXPKG_OK) {
		log_dbg("mscp", "msg=\"mixer request refused\" status=%u "
			"why=\"%s\"", st, req->reason);
		mixpkg_response(resp, st, req->reason);
	}
	else {
		mscp_mixer_exec(ms->ex, req, resp);
		owners_follow(ms, dialog_of(ms, ch), req, resp);
	}
	err = mixpkg_print(mb, resp);
	if (!err) {
		err = cfw_chan_reply(ch, msg->tid, CFW_OK, 0, MIXPKG_CTYPE,
				     mb->buf, mb->end);
		if (err)
			log_warn("mscp", "msg=\"answer not sent\" err=%m",
				 err);
	}
 out:
	if (err == ENOMEM)
		(void)cfw_chan_reply(ch, msg->tid, CFW_NOT_UNDERSTOOD, 0, NULL,
				     NULL, 0);
	ms->busy = false;
	held_flush(ms);
	mem_deref(req);
	mem_deref(resp);
	mem_deref(mb);
}

/* --- the facade --- */

static int rehome_h(const char *connid, uint32_t room,
		    const struct mixer_media *m, uint32_t *idp, void *arg)
{
	struct mscp_ms *ms = arg;

	return ms->rehome ? ms->rehome(connid, room, m, idp, ms->arg) : EXDEV;
}

static void ms_destructor(void *arg)
{
	struct mscp_ms *ms = arg;

	/* the listener frees its channels without calling close_h */
	ms->l = mem_deref(ms->l);
	list_flush(&ms->held);
	list_flush(&ms->owners);
	list_flush(&ms->dialogs);
	mem_deref(ms->ex);
}

int mscp_ms_alloc(struct mscp_ms **msp, const struct mscp_ms_cfg *cfg)
{
	struct cfw_chan_cfg ccfg = {.packages = MIXPKG_NAME};
	struct cfw_handlers h = {.estabh = estab_h, .controlh = control_h,
				 .closeh = close_h, .dialogh = dialog_h};
	struct mscp_mixer_cfg xcfg;
	struct mscp_ms *ms;
	uint16_t port = 0;
	int err;

	if (!msp || !cfg || !cfg->mx || !cfg->laddr)
		return EINVAL;
	ms = mem_zalloc(sizeof(*ms), ms_destructor);
	if (!ms)
		return ENOMEM;
	ms->rehome = cfg->rehome;
	ms->arg = cfg->arg;
	xcfg = (struct mscp_mixer_cfg){.mx = cfg->mx,
				       .room_base = cfg->room_base,
				       .eh = event_h, .rehomeh = rehome_h,
				       .arg = ms};
	h.arg = ms;
	err = mscp_mixer_alloc(&ms->ex, &xcfg);
	err = err ? err : cfw_listen(&ms->l, cfg->laddr, &ccfg, &h);
	err = err ? err : cfw_listener_port(ms->l, &port);
	if (err) {
		mem_deref(ms);
		return err;
	}
	ms->laddr = *cfg->laddr;
	sa_set_port(&ms->laddr, port);
	log_info("mscp", "msg=\"control channels listening\" addr=%J",
		 &ms->laddr);
	*msp = ms;
	return 0;
}

int mscp_ms_dialog_offer(struct mscp_ms *ms, struct mbuf *offer,
			 struct mbuf **answerp, char *id, size_t idsz)
{
	struct ms_dialog *d;
	struct mbuf *ans = NULL;
	int err;

	if (!ms || !offer || !answerp || !id || !idsz)
		return EINVAL;
	d = mem_zalloc(sizeof(*d), dialog_destructor);
	if (!d)
		return ENOMEM;
	err = cfw_sdp_answer(&ans, d->id, sizeof(d->id), offer, &ms->laddr);
	if (!err && dialog_find(ms, d->id))
		err = EPROTO;       /* a cfw-id in use names another dialog */
	if (!err && strlen(d->id) >= idsz)
		err = ENOSPC;
	if (err) {
		mem_deref(ans);
		mem_deref(d);
		return err;
	}
	str_ncpy(id, d->id, idsz);
	list_append(&ms->dialogs, &d->le, d);
	log_info("mscp", "msg=\"control dialog\" dialog=%s listen=%J", d->id,
		 &ms->laddr);
	*answerp = ans;
	return 0;
}

void mscp_ms_dialog_end(struct mscp_ms *ms, const char *id)
{
	struct ms_dialog *d = ms ? dialog_find(ms, id) : NULL;

	if (!d)
		return;
	if (d->ch) {
		struct cfw_chan *ch = d->ch;

		d->ch = NULL;
		cfw_chan_close(ch);     /* no handler is called */
	}
	log_info("mscp", "msg=\"control dialog ended\" dialog=%s", d->id);
	dialog_confs_destroy(ms, d);
	mem_deref(d);
}

int mscp_ms_conn_add(struct mscp_ms *ms, const char *connid,
		     uint32_t stream, uint32_t home_room,
		     const struct mixer_media *m)
{
	int err;

	if (!ms)
		return EINVAL;
	err = mscp_mixer_conn_add(ms->ex, connid, stream, home_room, m);
	if (!err)
		ms->nconns++;
	return err;
}

int mscp_ms_conn_update(struct mscp_ms *ms, const char *connid,
			const struct mixer_media *m)
{
	return ms ? mscp_mixer_conn_update(ms->ex, connid, m) : EINVAL;
}

int mscp_ms_conn_remove(struct mscp_ms *ms, const char *connid)
{
	int err;

	if (!ms)
		return EINVAL;
	err = mscp_mixer_conn_remove(ms->ex, connid);
	if (!err && ms->nconns)
		ms->nconns--;
	return err;
}

void mscp_ms_event(struct mscp_ms *ms, const struct mixer_event *ev)
{
	if (ms)
		mscp_mixer_event(ms->ex, ev);
}

void mscp_ms_counts(const struct mscp_ms *ms, unsigned *chans,
		    unsigned *confs, unsigned *conns)
{
	unsigned n = 0;
	struct le *le;

	if (!ms)
		return;
	LIST_FOREACH(&ms->dialogs, le)
		n += ((struct ms_dialog *)le->data)->ch != NULL;
	if (chans)
		*chans = n;
	if (confs)
		*confs = list_count(&ms->owners);
	if (conns)
		*conns = ms->nconns;
}
