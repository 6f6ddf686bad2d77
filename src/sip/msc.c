/*
 * The focus's mixers (spec s. 6.3, docs/mscp.md): with `--role focus`
 * the audio of calls is mixed by other caucusd processes (`--role
 * mixer`). Per mixer the focus keeps one control dialog (an INVITE whose
 * SDP opens an RFC 6230 channel, mscp.h) and a pool of media
 * connections: dialogs whose RTP port on the mixer is known before any
 * caller needs it. A call takes one (call_alloc: the mixer's address and
 * port go into the call's SDP, so RTP flows caller <-> mixer directly),
 * tells the mixer the caller's address and codec in a re-INVITE of that
 * dialog (msc_apply), and joins it to its conference's mixer there
 * (RFC 6505 join, modifyjoin for mute, deaf and gains). A mixer lost
 * ends the calls whose media it carried, with a reason; the focus stays
 * up and dials the mixer again with backoff. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "sip/msc_int.h"
#include "util/log.h"


static void msc_dial(void *arg);

static void conn_destructor(void *arg)
{
	struct msconn *mc = arg;

	tmr_cancel(&mc->retry);
	list_unlink(&mc->le);
	hash_unlink(&mc->he);
	if (mc->taken && mc->ms->used)
		mc->ms->used--;
	/* the mixer removes the connection (and its join) with the
	 * dialog: deref sends BYE (CANCEL when early) */
	mem_deref(mc->sess);
	mem_deref(mc->sdp);
	mem_deref(mc->pl);
	mem_deref(mc->ms);
}

/* A mixer's connection ended (it BYEd, or the mixer is gone): a call
 * that held it hears why */
static void conn_lost(struct msconn *mc, uint16_t code, const char *why)
{
	msc_lost_h *h = mc->losth;
	void *arg = mc->arg;

	mc->losth = NULL;
	mc->talkh = NULL;
	if (!mc->taken) {
		mem_deref(mc);        /* out of ready or pending */
		return;
	}
	list_unlink(&mc->le);        /* out of its conference */
	hash_unlink(&mc->he);
	if (h)
		h(code, why, arg);    /* the call lets go of mc (deref) */
}

static int no_offer_h(struct mbuf **descp, const struct sip_msg *msg,
		      void *arg)
{
	(void)descp;
	(void)msg;
	(void)arg;
	return EPROTO;          /* the mixer never re-offers */
}

/* An INVITE to the mixer with our offer desc: its control dialog or a
 * media connection (the handlers say which) */
static int mixer_invite(struct msc *ms, struct sipsess **sessp,
			struct mbuf *desc, sipsess_answer_h *answerh,
			sipsess_estab_h *estabh, sipsess_close_h *closeh,
			void *arg)
{
	return sipsess_connect(sessp, ms->f->sock, ms->uri, NULL,
			       "sip:focus@caucus.invalid", "focus", NULL, 0,
			       "application/sdp", desc, NULL, NULL, false,
			       no_offer_h, answerh, NULL, estabh, NULL, NULL,
			       closeh, arg, "Allow: INVITE, ACK, BYE, CANCEL, "
			       "OPTIONS\r\n");
}

static int conn_answer_h(const struct sip_msg *msg, void *arg)
{
	struct msconn *mc = arg;
	struct sdpneg_result neg;
	const char *reason = NULL;
	int err;

	if (mc->up)             /* a re-INVITE's answer: same port */
		return 0;
	memset(&neg, 0, sizeof(neg));
	err = sdpneg_handle_answer(mc->sdp, msg->mb, &neg, &reason, false);
	if (err || !sa_isset(&neg.rtp, SA_ALL)) {
		log_warn("sip", "msg=\"mixer's answer unusable\" mixer=%s "
			 "reason=\"%s\"", mc->ms->addr,
			 reason ? reason : "no address");
		return err ? err : EPROTO;
	}
	mc->maddr = neg.rtp;
	return 0;
}

static void conn_estab_h(const struct sip_msg *msg, void *arg)
{
	struct msconn *mc = arg;
	struct msc *ms = mc->ms;

	list_unlink(&mc->le);        /* out of pending */
	mc->up = true;
	re_snprintf(mc->connid, sizeof(mc->connid), "%r:%r", &msg->from.tag,
		    &msg->to.tag);
	if (!sa_isset(&mc->maddr, SA_ALL) || ms->state != MSC_UP) {
		mem_deref(mc);
		return;
	}
	hash_append(ms->f->msconns, hash_fast_str(mc->connid), &mc->he, mc);
	list_append(&ms->ready, &mc->le, mc);
	msc_fill(ms);
}

/* The Reason of the mixer's BYE (RFC 3326), to pass on */
static void bye_reason(const struct sip_msg *msg, uint16_t *code,
		       char *why, size_t sz)
{
	const struct sip_hdr *h = msg ? sip_msg_xhdr(msg, "Reason") : NULL;
	struct pl c, t;

	if (!h)
		return;
	if (!re_regex(h->val.p, h->val.l, "cause=[0-9]+", &c))
		*code = (uint16_t)pl_u32(&c);
	if (!re_regex(h->val.p, h->val.l, "text=\"[^\"]*\"", &t))
		re_snprintf(why, sz, "media server: %r", &t);
}

static void conn_close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct msconn *mc = arg;
	uint16_t code = 503;
	char why[128] = "media server ended the media";

	if (!mc->up)
		log_warn("sip", "msg=\"mixer refused a media connection\" "
			 "mixer=%s code=%u err=%m", mc->ms->addr,
			 msg ? msg->scode : 0, err);
	bye_reason(msg, &code, why, sizeof(why));
	conn_lost(mc, code, why);
}

/* One more pooled connection: an INVITE whose offer has no caller yet
 * (0.0.0.0, port 9: nothing is sent) */
static int conn_dial(struct msc *ms)
{
	struct msconn *mc = mem_zalloc(sizeof(*mc), conn_destructor);
	struct mbuf *desc = NULL;
	struct sa none;
	int err;

	if (!mc)
		return ENOMEM;
	mc->ms = mem_ref(ms);
	tmr_init(&mc->retry);
	err = sa_set_str(&none, "0.0.0.0", 9);
	err = err ? err : sdpneg_alloc(&mc->sdp, &none, 9, NULL);
	err = err ? err : sdpneg_offer(mc->sdp, &desc);
	err = err ? err : mixer_invite(ms, &mc->sess, desc, conn_answer_h,
					conn_estab_h, conn_close_h, mc);
	mem_deref(desc);
	if (err) {
		mem_deref(mc);
		return err;
	}
	list_append(&ms->pending, &mc->le, mc);
	return 0;
}

void msc_fill(struct msc *ms)
{
	while (ms->state == MSC_UP &&
	       list_count(&ms->pending) < MSC_INFLIGHT &&
	       list_count(&ms->ready) + list_count(&ms->pending) <
	       ms->pool) {
		int err = conn_dial(ms);

		if (err) {
			log_warn("sip", "msg=\"cannot dial the mixer\" "
				 "mixer=%s err=%m", ms->addr, err);
			break;
		}
	}
}

/* The mixer is gone (or never came): everything on it ends, and we
 * dial it again later */
static void msc_down(struct msc *ms, const char *why)
{
	struct focus *f = ms->f;
	bool was_up = ms->state == MSC_UP;
	struct le *le;

	ms->state = MSC_DOWN;
	ms->as = mem_deref(ms->as);
	ms->ctl = mem_deref(ms->ctl);
	list_flush(&ms->ready);
	list_flush(&ms->pending);
	/* its conferences are gone with it: the calls whose media it
	 * mixed end, saying why */
	while ((le = list_head(&ms->places))) {
		struct mplace *pl = mem_ref(le->data);

		pl->valid = false;
		hash_unlink(&pl->he);
		list_unlink(&pl->le);
		while ((le = list_head(&pl->conns)))
			conn_lost(le->data, 503, "media server lost");
		mem_deref(pl);
	}
	if (was_up) {
		ms->lost++;
		log_warn("sip", "msg=\"mixer down\" mixer=%s why=\"%s\"",
			 ms->addr, why);
	}
	ms->backoff_ms = ms->backoff_ms ? ms->backoff_ms * 2 :
		MSC_BACKOFF_MIN_MS;
	if (ms->backoff_ms > MSC_BACKOFF_MAX_MS)
		ms->backoff_ms = MSC_BACKOFF_MAX_MS;
	if (!f->shutting_down)
		tmr_start(&ms->tmr, ms->backoff_ms, msc_dial, ms);
}

static void as_estab_h(void *arg)
{
	struct msc *ms = arg;

	ms->state = MSC_UP;
	ms->backoff_ms = 0;
	log_info("sip", "msg=\"mixer up\" mixer=%s", ms->addr);
	msc_fill(ms);
}

static void as_close_h(int err, const char *why, void *arg)
{
	struct msc *ms = arg;
	char buf[128];

	re_snprintf(buf, sizeof(buf), "control channel: %s (%m)", why, err);
	msc_down(ms, buf);
}

static struct msconn *conn_find(const struct focus *f, const char *connid)
{
	struct le *le = list_head(hash_list(f->msconns,
					    hash_fast_str(connid)));

	for (; le; le = le->next) {
		struct msconn *mc = le->data;

		if (!strcmp(mc->connid, connid))
			return mc;
	}
	return NULL;
}

static void as_talkers_h(const char *confid, const char *const *ids,
			 size_t n, void *arg)
{
	struct msc *ms = arg;
	struct le *le, *c;

	for (le = list_head(&ms->places); le; le = le->next) {
		struct mplace *pl = le->data;

		if (strcmp(pl->confid, confid))
			continue;
		for (c = list_head(&pl->conns); c; c = c->next) {
			struct msconn *mc = c->data;
			bool t = false;

			for (size_t k = 0; k < n && !t; k++)
				t = !strcmp(ids[k], mc->connid);
			if (t != mc->talking && mc->talkh) {
				mc->talking = t;
				mc->talkh(t, mc->arg);
			}
		}
		return;
	}
}

void msc_join_send(struct msconn *mc)
{
	struct mscp_as *as = mc->ms->as;
	int err;

	if (!mc->pl || !mscp_as_up(as))
		return;
	err = mc->join_sent ?
		mscp_as_modifyjoin(as, mc->connid, mc->pl->confid, &mc->j) :
		mscp_as_join(as, mc->connid, mc->pl->confid, &mc->j);
	if (err)
		log_warn("sip", "msg=\"join not sent to the mixer\" mixer=%s "
			 "conn=%s err=%m", mc->ms->addr, mc->connid, err);
	else
		mc->join_sent = true;
}

static void retry_h(void *arg)
{
	msc_join_send(arg);
}

static void as_conn_h(const char *connid, uint16_t status, const char *reason,
		      void *arg)
{
	struct msc *ms = arg;
	struct msconn *mc = conn_find(ms->f, connid);
	char why[160];

	if (!mc || status < 400)   /* unjoin-notify: the BYE says why */
		return;
	/* our ACK may not have reached the mixer yet: the join again */
	if (status == 412 && mc->retries < MSC_JOIN_RETRIES) {
		mc->retries++;
		mc->join_sent = false;
		tmr_start(&mc->retry, MSC_JOIN_RETRY_MS * mc->retries,
			  retry_h, mc);
		return;
	}
	re_snprintf(why, sizeof(why), "media server refused the join (%u %s)",
		    status, reason);
	conn_lost(mc, 503, why);
}

static void ctl_answer_h_fail(struct msc *ms, const char *why)
{
	log_warn("sip", "msg=\"mixer's control dialog failed\" mixer=%s "
		 "why=\"%s\"", ms->addr, why);
}

static int ctl_answer_h(const struct sip_msg *msg, void *arg)
{
	struct msc *ms = arg;
	int err = mscp_as_answer(ms->as, msg->mb);

	if (err)
		ctl_answer_h_fail(ms, "its answer opens no control channel");
	return err;
}

static void ctl_estab_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static void ctl_close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct msc *ms = arg;
	char why[96];

	re_snprintf(why, sizeof(why), "control dialog ended (%u %m)",
		    msg ? msg->scode : 0, err);
	msc_down(ms, why);
}

/* Opens the control dialog: INVITE with the channel's offer; the
 * answer's port is where we connect (ctl_answer_h) */
static void msc_dial(void *arg)
{
	struct msc *ms = arg;
	struct focus *f = ms->f;
	struct mscp_as_handlers h = {.estabh = as_estab_h,
				     .closeh = as_close_h,
				     .talkersh = as_talkers_h,
				     .connh = as_conn_h, .arg = ms};
	struct mbuf *offer = NULL;
	int err;

	if (f->shutting_down)
		return;
	ms->state = MSC_DIALING;
	err = mscp_as_alloc(&ms->as, &f->sip_laddr, &offer, &h);
	err = err ? err : mixer_invite(ms, &ms->ctl, offer, ctl_answer_h,
					ctl_estab_h, ctl_close_h, ms);
	mem_deref(offer);
	if (err) {
		ms->as = mem_deref(ms->as);
		ctl_answer_h_fail(ms, "cannot send the INVITE");
		msc_down(ms, "cannot dial");
	}
}

static void msc_destructor(void *arg)
{
	struct msc *ms = arg;

	tmr_cancel(&ms->tmr);
	list_unlink(&ms->le);
}

/* Lets go of what the mixer does for no call: its pool, its control
 * dialog (BYEs, so that it cleans up) */
static void msc_release(struct msc *ms)
{
	tmr_cancel(&ms->tmr);
	ms->state = MSC_DOWN;
	list_flush(&ms->ready);
	list_flush(&ms->pending);
	ms->as = mem_deref(ms->as);
	ms->ctl = mem_deref(ms->ctl);
}

int msc_start(struct focus *f, const char *mixers, unsigned pool)
{
	struct pl rest, item;
	int err = 0;

	if (!mixers || !mixers[0])
		return 0;
	f->msc_tag = rand_u32();
	err = hash_alloc(&f->msconns, 256);
	err = err ? err : hash_alloc(&f->mplaces, 64);
	if (err)
		return err;
	pl_set_str(&rest, mixers);
	while (!err && !re_regex(rest.p, rest.l, "[ ]*[^, ]+[ ,]*", NULL,
				 &item, NULL)) {
		struct msc *ms = mem_zalloc(sizeof(*ms), msc_destructor);
		struct sa a;

		if (!ms)
			return ENOMEM;
		ms->f = f;
		ms->pool = pool ? pool : MSC_POOL_DEFAULT;
		tmr_init(&ms->tmr);
		pl_strcpy(&item, ms->addr, sizeof(ms->addr));
		if (sa_decode(&a, item.p, item.l)) {
			log_err("sip", "msg=\"a mixer is host:port\" mixer=%s",
				ms->addr);
			mem_deref(ms);
			return EINVAL;
		}
		re_snprintf(ms->uri, sizeof(ms->uri), "sip:mixer@%s",
			    ms->addr);
		list_append(&f->mscs, &ms->le, ms);
		tmr_start(&ms->tmr, 0, msc_dial, ms);
		rest.l -= (size_t)(item.p + item.l - rest.p);
		rest.p = item.p + item.l;
	}
	return err;
}

void msc_stop(struct focus *f)
{
	struct le *le;

	for (le = list_head(&f->mscs); le; le = le->next)
		msc_release(le->data);
}

/* The focus goes: calls still on a mixer keep their references to it
 * (they end with the conferences) */
void msc_close(struct focus *f)
{
	msc_stop(f);
	hash_clear(f->msconns);
	hash_clear(f->mplaces);
	list_flush(&f->mscs);
	f->msconns = mem_deref(f->msconns);
	f->mplaces = mem_deref(f->mplaces);
}

unsigned focus_mixers(const struct focus *f, struct focus_mixer *m,
		      unsigned max)
{
	struct le *le;
	unsigned n = 0;

	for (le = list_head(&f->mscs); le; le = le->next, n++) {
		const struct msc *ms = le->data;

		if (n >= max)
			continue;
		memset(&m[n], 0, sizeof(m[n]));
		str_ncpy(m[n].addr, ms->addr, sizeof(m[n].addr));
		m[n].up = ms->state == MSC_UP;
		m[n].ready = list_count(&ms->ready);
		m[n].used = ms->used;
		m[n].conferences = list_count(&ms->places);
		m[n].lost = ms->lost;
	}
	return n;
}

bool msc_split(const struct focus *f)
{
	return !list_isempty(&f->mscs);
}
