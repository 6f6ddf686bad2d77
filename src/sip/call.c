/*
 * One call between the focus and a participant: its SIP session (libre
 * sipsess), its SDP negotiation, and its mixer stream. Incoming calls start
 * in call_accept(), dial-outs in call_dial(); either way the call ends in
 * call_close(), which tells the roster (part_gone). Timers and the RTP
 * timeout of calls that are up are in call_watch.c. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "conf/policy.h"
#include "mixer/mix.h"
#include "sip/call_int.h"
#include "util/log.h"

static void call_destructor(void *arg)
{
	struct call *call = arg;

	tmr_cancel(&call->st_tmr);
	hash_unlink(&call->he);
	if (call->stream_id)
		(void)mixer_stream_remove(call->f->mixer, call->stream_id);
	if (call->rtp_fd >= 0)
		close(call->rtp_fd);
	if (call->rtcp_fd >= 0)
		close(call->rtcp_fd);
	if (call->room_held)
		mixer_room_release(call->f->mixer, call->room_key);
	/* deref of an established session sends BYE, of an early one
	 * CANCEL; libre finishes those transactions on its own */
	mem_deref(call->sess);
	mem_deref(call->sdp);
	mem_deref(call->early_desc);
	mem_deref(call->cuser);
	if (call->f->stats.calls_active)
		call->f->stats.calls_active--;
}

static int call_alloc(struct call **callp, struct focus *f,
		      const struct conf *c, struct participant *p)
{
	struct call *call = mem_zalloc(sizeof(*call), call_destructor);
	int err;

	if (!call)
		return ENOMEM;
	call->f = f;
	call->rtp_fd = call->rtcp_fd = -1;
	tmr_init(&call->st_tmr);
	f->stats.calls_active++;
	if (mixer_shared_sockets(f->mixer)) {
		/* the port of the mixer thread the conference is on */
		call->room_key = conf_room(c);
		err = mixer_room_hold(f->mixer, call->room_key, &call->lport);
		call->room_held = !err;
	}
	else {
		err = rtp_ports_alloc(f, &call->rtp_fd, &call->rtcp_fd,
				      &call->lport);
		if (err)
			log_warn("sip", "msg=\"no free RTP port pair\" "
				 "range=%u-%u", f->rtp_min, f->rtp_max);
	}
	if (err)
		goto out;
	err = sdpneg_alloc(&call->sdp, &f->rtp_laddr, call->lport);
	if (err)
		goto out;
	sdpneg_set_audio(call->sdp, conf_audio(c));
	call->part = p;
out:
	if (err)
		mem_deref(call);
	else
		*callp = call;
	return err;
}

static void media_fill(struct mixer_media *m, const struct call *call)
{
	const struct sdpneg_result *r = &call->neg;
	const struct part_settings *s = part_settings(call->part);

	memset(m, 0, sizeof(*m));
	memcpy(&m->rtp_dst, &r->rtp.u, r->rtp.len);
	m->rtp_dst_len = sa_isset(&r->rtp, SA_ALL) ? r->rtp.len : 0;
	memcpy(&m->rtcp_dst, &r->rtcp.u, r->rtcp.len);
	m->rtcp_dst_len = sa_isset(&r->rtcp, SA_ALL) ? r->rtcp.len : 0;
	m->codec = r->codec;
	m->tx_pt = r->pt;
	m->telev_pt = (int16_t)r->telev_pt;
	m->send = r->send;
	/* A participant who put the conference on hold (we may not send to
	 * them) is not mixed either: many phones play music on hold into a
	 * held call, and nobody in the room should hear it. */
	m->recv = r->recv && r->send;
	/* a listener's audio is never mixed, whatever its settings say */
	m->muted = s->muted || !strcmp(part_role(call->part), "listener");
	m->deaf = s->deaf;
	m->hold_music = part_privacy(call->part)->pending;
	m->room_speakers = (uint8_t)conf_max_speakers(part_conf(call->part));
	m->room_hz = conf_mix_rate(part_conf(call->part));
	m->level_id = r->level_id;
	m->opus = r->opus;
	m->csrc_level_id = r->csrc_level_id;
	m->gain_in_q16 = mix_gain_q16(s->gain_in_db);
	m->gain_out_q16 = mix_gain_q16(s->gain_out_db);
	m->tx_ssrc = part_media(call->part)->tx_ssrc;
}

static void part_media_fill(struct call *call)
{
	struct part_media *pm = part_media(call->part);

	if (call->neg.removed) {          /* no stream: no media to show */
		pm->codec[0] = '\0';
		pm->remote[0] = '\0';
		re_snprintf(pm->direction, sizeof(pm->direction), "inactive");
		return;
	}
	re_snprintf(pm->codec, sizeof(pm->codec), "%s",
		    media_codec_name(call->neg.codec));
	re_snprintf(pm->remote, sizeof(pm->remote), "%J", &call->neg.rtp);
	pm->local_port = call->lport;
	re_snprintf(pm->direction, sizeof(pm->direction), "%s",
		    call->neg.dir);
}

/* Starts or updates the mixer stream from the latest negotiation. */
static int media_apply(struct call *call)
{
	struct mixer_media m;
	int err;

	if (!call->part || !call->negotiated)
		return 0;
	call->rx_last_ms = tmr_jiffies();     /* a fresh start for the
					       * RTP timeout */
	if (!part_media(call->part)->tx_ssrc)
		part_media(call->part)->tx_ssrc = rand_u32() | 1;  /* not 0 */
	media_fill(&m, call);
	part_media_fill(call);
	if (call->stream_id)
		return mixer_stream_update(call->f->mixer, call->stream_id, &m);
	err = mixer_stream_add(call->f->mixer, conf_room(part_conf(call->part)),
			       call->rtp_fd, call->rtcp_fd, &m,
			       &call->stream_id);
	if (err)
		return err;
	call->rtp_fd = call->rtcp_fd = -1;      /* the mixer owns them now */
	if (call->room_held) {       /* the stream keeps the room there now */
		mixer_room_release(call->f->mixer, call->room_key);
		call->room_held = false;
	}
	hash_append(call->f->calls, call->stream_id, &call->he, call);
	return 0;
}

static void status_from_media(struct call *call)
{
	if (!call->part)
		return;
	/* a call whose audio the peer removed is still in the conference */
	part_set_status(call->part, call->neg.send || call->neg.removed ?
			PART_CONNECTED : PART_ON_HOLD);
}

/* The call ended, whoever ended it. */
static void call_close(struct call *call, uint16_t scode, const char *reason)
{
	struct participant *p = call->part;

	call->part = NULL;
	if (p) {
		part_set_ep(p, NULL);
		part_gone(p, scode, reason);
	}
	mem_deref(call);
}

static int offer_handler(struct mbuf **descp, const struct sip_msg *msg,
			 void *arg)
{
	struct call *call = arg;
	const char *reason;
	int err;

	/* a re-INVITE refreshes the session. libre answers it without
	 * Session-Expires, which turns the peer's timer off (RFC 4028 s. 7.2):
	 * from now on the focus refreshes */
	if (call->st.interval) {
		call->st.refresher_uas = true;
		call_st_arm(call);
	}

	if (!mbuf_get_left(msg->mb))          /* re-INVITE without SDP */
		return sdpneg_offer(call->sdp, descp);
	err = sdpneg_reanswer(call->sdp, msg->mb, descp, &call->neg, &reason);
	if (err) {
		log_info("sip", "msg=\"re-INVITE refused\" reason=\"%s\"",
			 reason);
		return err;
	}
	call->negotiated = true;
	err = media_apply(call);
	status_from_media(call);
	return err;
}

static int answer_handler(const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;
	const char *reason;
	int err;

	/* inside a call a rejected audio stream leaves the call up */
	err = sdpneg_handle_answer(call->sdp, msg->mb, &call->neg, &reason,
				   call->established);
	if (err) {
		log_info("sip", "msg=\"bad SDP answer\" reason=\"%s\"",
			 reason);
		return err;
	}
	call->negotiated = true;
	return media_apply(call);
}

/* The Contact URI of msg into dst (left as is when there is none) */
static void contact_copy(char *dst, size_t sz, const struct sip_msg *msg)
{
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr addr;

	if (ct && !sip_addr_decode(&addr, &ct->val))
		pl_strcpy(&addr.auri, dst, sz);
}

/* The message that establishes the call (our 200's ACK for calls in, the
 * far end's 200 for dial-outs) carries both tags, in the initial request's
 * From/To order, and the far end's Contact for dial-outs. */
static void dialog_record(struct call *call, const struct sip_msg *msg)
{
	struct part_dialog *d;

	if (!call->part || !msg)
		return;
	d = part_dialog(call->part);
	pl_strcpy(&msg->callid, d->call_id, sizeof(d->call_id));
	pl_strcpy(&msg->from.tag, d->from_tag, sizeof(d->from_tag));
	pl_strcpy(&msg->to.tag, d->to_tag, sizeof(d->to_tag));
	if (msg->scode)              /* a 200: the far end's Contact */
		contact_copy(d->contact, sizeof(d->contact), msg);
}

static void estab_handler(const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;

	dialog_record(call, msg);
	call->established = true;
	call->rx_last_ms = tmr_jiffies();
	call_st_arm(call);
	if (!call->negotiated) {
		/* an answer that never came (late offer, empty ACK) */
		call_close(call, 488, "no SDP answer");
		return;
	}
	status_from_media(call);
}

static void progress_handler(const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;

	if (call->part && msg->scode >= 180 && msg->scode < 190)
		part_set_status(call->part, PART_ALERTING);
}

/* REFER inside a participant's call (RFC 4579 s. 5.5, 5.6) */
static void refer_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;

	(void)sip;
	if (!call->part) {
		focus_reply(call->f, msg, 481, "Call/Transaction Does Not "
			    "Exist", NULL);
		return;
	}
	refer_handle(call->f, part_conf(call->part), call->part,
		     sipsess_dialog(call->sess), msg);
}

static void close_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;
	uint16_t scode = msg ? msg->scode : 0;
	char reason[64] = "";

	/* a session refresh that timed out or found no dialog: the peer is
	 * gone without a BYE */
	if (call->established && call->st.interval &&
	    (err == ETIMEDOUT || scode == 408 || scode == 481)) {
		call_fail(call, 408, "session refresh failed");
		return;
	}
	/* a peer's BYE arrives as ECONNRESET: a normal end (LIBRE-NOTES) */
	if (msg && scode)
		re_snprintf(reason, sizeof(reason), "%r", &msg->reason);
	else if (err && err != ECONNRESET)
		re_snprintf(reason, sizeof(reason), "%m", err);
	call_close(call, scode, reason[0] ? reason : NULL);
}

int focus_aor_print(char **aorp, const struct uri *u)
{
	bool v6 = u->af == AF_INET6;
	char port[8] = "";

	if (u->port)
		re_snprintf(port, sizeof(port), ":%u", u->port);
	return re_sdprintf(aorp, "%r:%r%s%s%r%s%s", &u->scheme, &u->user,
			   pl_isset(&u->user) ? "@" : "", v6 ? "[" : "",
			   &u->host, v6 ? "]" : "", port);
}

static bool unsupported_h(const struct sip_hdr *hdr,
			  const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return pl_strcasecmp(&hdr->val, "join") &&
		pl_strcasecmp(&hdr->val, "timer");
}

/* The first option in Require that we do not support (we support
 * FOCUS_SUPPORTED), or NULL */
static const struct sip_hdr *unsupported_require(const struct sip_msg *msg)
{
	return sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, unsupported_h,
				 NULL);
}

/* Referred-By of an INVITE (someone sent the caller here), as an AoR */
static void referred_by(struct participant *p, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REFERRED_BY);
	struct sip_addr a;
	char *aor = NULL;

	if (!h || sip_addr_decode(&a, &h->val) ||
	    focus_aor_print(&aor, &a.uri))
		return;
	(void)part_set_referred_by(p, aor);
	mem_deref(aor);
}

int call_accept(struct focus *f, struct conf *c, const struct sip_msg *msg,
		const char *role)
{
	struct call *call = NULL;
	struct participant *p = NULL;
	struct mbuf *desc = NULL;
	char *aor = NULL, *dname = NULL;
	const char *reason = NULL;
	bool has_body = mbuf_get_left(msg->mb) > 0;
	struct stimer_neg st;
	struct policy_admission adm = {0};
	struct gate_id id;
	int st_err = stimer_negotiate(msg, &f->st_cfg, &st);
	char st_hdrs[96];
	int err;

	if (unsupported_require(msg)) {
		const struct sip_hdr *h = unsupported_require(msg);
		char hdr[160];

		re_snprintf(hdr, sizeof(hdr), "Unsupported: %r\r\n", &h->val);
		focus_reply(f, msg, 420, "Bad Extension", hdr);
		return 0;
	}
	if (st_err == EBADMSG) {
		focus_reply(f, msg, 400, "Bad Request (malformed Session-Expires "
			    "or Min-SE)", NULL);
		return 0;
	}
	if (st_err == ERANGE) {
		char hdr[32];

		re_snprintf(hdr, sizeof(hdr), "Min-SE: %u\r\n",
			    f->st_cfg.min_se);
		focus_reply(f, msg, 422, "Session Interval Too Small", hdr);
		return 0;
	}
	if (has_body && msg_ctype_cmp(&msg->ctyp, "application", "sdp") == 0) {
		focus_reply(f, msg, 415, "Unsupported Media Type "
			    "(send application/sdp)",
			    "Accept: application/sdp\r\n");
		return 0;
	}
	if (focus_gate(f, c, msg, &id))
		return 0;                    /* challenged or refused */
	err = call_alloc(&call, f, c, NULL);
	if (err) {
		focus_reply(f, msg, 503, err == EADDRINUSE ?
			    "Service Unavailable (no RTP ports)" :
			    "Service Unavailable", NULL);
		return err;
	}
	if (has_body) {
		/* a conference without audio takes callers without it */
		err = strcmp(conf_audio(c), "none") ?
			sdpneg_answer(call->sdp, msg->mb, &desc, &call->neg,
				      &reason) :
			sdpneg_reanswer(call->sdp, msg->mb, &desc, &call->neg,
					&reason);
		if (err) {
			if (err == EBADMSG)
				focus_reply(f, msg, 400, "Bad Request "
					    "(malformed SDP)", NULL);
			else
				focus_reply(f, msg, 488, reason ? reason :
					    "Not Acceptable Here",
					    "Warning: 305 caucus "
					    "\"Incompatible media format\"\r\n");
			goto out;
		}
		call->negotiated = true;
	}
	else {
		/* late offer: we offer in the 200, the answer is in the ACK */
		err = sdpneg_offer(call->sdp, &desc);
		if (err)
			goto out;
	}

	err = focus_aor_print(&aor, &msg->from.uri);
	if (pl_isset(&msg->from.dname))
		err |= pl_strdup(&dname, &msg->from.dname);
	if (!err) {
		conf_admit(c, aor, id.authed, &adm);
		if (!adm.allowed) {
			char why[160];

			re_snprintf(why, sizeof(why), "%s (%s)",
				    adm.scode == 486 ? "Busy Here" :
				    "Forbidden", adm.reason);
			focus_reply(f, msg, adm.scode, why, NULL);
			log_info("sip", "msg=\"join refused by policy\" "
				 "conf=%s from=%s code=%u reason=\"%s\"",
				 conf_id(c), aor, adm.scode, adm.reason);
			err = EPERM;
			goto out;
		}
	}
	err = err ? err : part_add(c, aor, dname, false, &p);
	if (err)
		goto out;
	call->part = p;
	part_set_ep(p, call);
	part_apply_entry(p);
	if (adm.pending)
		part_set_pending(p, f->moderation_timeout_s);
	if (role)
		part_set_role(p, role);
	referred_by(p, msg);
	contact_copy(part_dialog(p)->contact, sizeof(part_dialog(p)->contact),
		     msg);
	err = focus_contact(&call->cuser, f, conf_id(c), conf_policy_uri(c),
			    msg->tp);
	call->st = st;
	err = err ? err : stimer_print(st_hdrs, sizeof(st_hdrs), &st);
	if (err)
		goto out;
	/* a waiting join hears music on hold: in early media (183 with our
	 * SDP, the 200 comes with the approval) when so configured and the
	 * INVITE made an offer, else in an answered call */
	call->early = adm.pending && f->moderation_early && has_body;
	if (call->early) {
		call->early_desc = mem_ref(desc);
		re_snprintf(call->st_hdrs, sizeof(call->st_hdrs), "%s",
			    st_hdrs);
	}
	err = sipsess_accept(&call->sess, f->sock, msg,
			     call->early ? 183 : 200, call->early ?
			     "Session Progress" : "OK",
			     call->cuser, "application/sdp", desc, NULL, NULL,
			     false, offer_handler, answer_handler,
			     estab_handler, NULL, refer_h, close_handler, call,
			     ANSWER_HDRS "%s", st_hdrs);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		goto out;
	}
	err = media_apply(call);
	if (err)
		log_warn("sip", "msg=\"mixer refused stream\" err=%m", err);
	err = 0;
out:
	if (err && call) {
		if (p) {
			call->part = NULL;
			part_set_ep(p, NULL);
			part_remove(p);
		}
		mem_deref(call);
	}
	mem_deref(desc);
	mem_deref(aor);
	mem_deref(dname);
	return err;
}

int call_dial(struct focus *f, struct participant *p)
{
	struct conf *c = part_conf(p);
	struct call *call;
	struct mbuf *desc = NULL;
	struct uri uri;
	struct pl pl;
	enum sip_transp tp = SIP_TRANSP_UDP;
	int err;

	pl_set_str(&pl, part_uri(p));
	if (uri_decode(&uri, &pl))
		return EINVAL;
	if (!msg_param_decode(&uri.params, "transport", &pl) &&
	    !pl_strcasecmp(&pl, "tcp"))
		tp = SIP_TRANSP_TCP;
	err = call_alloc(&call, f, c, p);
	if (err)
		return err;
	err = sdpneg_offer(call->sdp, &desc);
	err = err ? err : focus_contact(&call->cuser, f, conf_id(c),
					conf_policy_uri(c), tp);
	if (err)
		goto out;
	part_set_ep(p, call);
	err = sipsess_connect(&call->sess, f->sock, part_uri(p),
			      conf_display_text(c)[0] ?
			      conf_display_text(c) : NULL,
			      conf_uri(c), call->cuser, NULL, 0,
			      "application/sdp", desc, NULL, NULL, false,
			      offer_handler, answer_handler, progress_handler,
			      estab_handler, NULL, refer_h, close_handler, call,
			      "Allow: " FOCUS_ALLOW "\r\n");
	if (err)
		part_set_ep(p, NULL);
out:
	if (err) {
		call->part = NULL;
		mem_deref(call);
	}
	mem_deref(desc);
	return err;
}

void call_hangup(struct participant *p)
{
	struct call *call = part_ep(p);

	if (!call)
		return;
	if (call->early)           /* never answered: a final refusal */
		(void)sipsess_reject(call->sess, 403, "Forbidden (not "
				     "admitted by a moderator)", "");
	call_close(call, 0, NULL);
}

/* Approved while in early media: now the 200 */
static void answer_early(struct call *call)
{
	int err;

	call->early = false;
	err = sipsess_answer(call->sess, 200, "OK", call->early_desc,
			     ANSWER_HDRS "%s", call->st_hdrs);
	call->early_desc = mem_deref(call->early_desc);
	if (err)
		call_fail(call, 500, "cannot answer after approval");
}

/* The conference's media changed: offer the call the new media */
void call_reoffer(struct participant *p)
{
	struct call *call = part_ep(p);
	struct mbuf *desc = NULL;
	int err;

	if (!call)
		return;
	sdpneg_set_audio(call->sdp, conf_audio(part_conf(p)));
	if (!call->established)
		return;               /* the new media goes with the answer */
	err = sdpneg_offer(call->sdp, &desc);
	err = err ? err : sipsess_modify(call->sess, desc);
	mem_deref(desc);
	if (err)
		log_warn("sip", "msg=\"media re-INVITE not sent\" pid=%s "
			 "err=%m", part_id(p), err);
}

void call_apply_settings(struct participant *p)
{
	struct call *call = part_ep(p);

	if (call && media_apply(call))
		log_warn("sip", "msg=\"mixer update failed\" pid=%s",
			 part_id(p));
	if (call && call->early && !part_privacy(p)->pending)
		answer_early(call);
}

