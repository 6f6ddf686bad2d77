/*
 * One call between the focus and a participant: its SIP session (libre
 * sipsess), its SDP negotiation, and its mixer stream. Incoming calls are
 * taken in call_in.c (call_accept), dial-outs start in call_dial(); either
 * way the call ends in call_close(), which tells the roster (part_gone).
 * What a negotiation settled is reported to the participant's owner in
 * one step (part_set_media); the dialog likewise (part_set_dialog).
 * Timers and the RTP timeout of calls that are up are in call_watch.c.
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include "mixer/mixer.h"
#include "mscp/mscp.h"
#include "sip/call_int.h"
#include "sip/dtls.h"
#include "sip/msc.h"
#include "util/log.h"
#include "util/srclimit.h"

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
	if (call->src_held)
		srclimit_give(call->f->limit, &call->src, SRCLIMIT_CALLS);
	if (call->dtmf_dropped && call->sess)     /* call_info.c */
		log_info("sip", "msg=\"keypad digits by INFO over the limit "
			 "were dropped\" call_id=%s dropped=%u",
			 sip_dialog_callid(sipsess_dialog(call->sess)),
			 call->dtmf_dropped);
	/* deref of an established session sends BYE, of an early one
	 * CANCEL; libre finishes those transactions on its own */
	call_video_close(call);
	mem_deref(call->msc);      /* BYE to the mixer process */
	mem_deref(call->dtls);
	mem_deref(call->sess);
	mem_deref(call->sdp);
	mem_deref(call->early_desc);
	mem_deref(call->cuser);
	if (call->f->stats.calls_active)
		call->f->stats.calls_active--;
}

/* --role focus: the mixer process ended the call's media, or is gone */
static void split_lost(uint16_t code, const char *why, void *arg)
{
	struct call *call = arg;

	log_info("sip", "msg=\"call ended\" conf=%s pid=%s reason=\"%s\"",
		 call->part ? conf_id(part_conf(call->part)) : "-",
		 call->part ? part_id(call->part) : "-", why);
	call_fail(call, code, why);
}

static void split_talk(bool talking, void *arg)
{
	struct call *call = arg;

	if (call->part)
		part_set_talking(call->part, talking);
}

/* --role focus: the call's media goes to a connection on the mixer
 * process of its conference; our SDP names that mixer's RTP address and
 * port, plain RTP, audio alone (docs/mscp.md says what the split lacks) */
static int split_alloc(struct call *call, struct call **callp,
		       const struct conf *c, struct participant *p)
{
	struct sa maddr;
	int err = msc_take(call->f, conf_id(c), &call->msc, &maddr,
			   split_lost, split_talk, call);

	if (!err) {
		call->lport = sa_port(&maddr);
		err = sdpneg_alloc(&call->sdp, &maddr, call->lport, NULL);
	}
	if (err) {
		mem_deref(call);
		return err;
	}
	sdpneg_set_audio(call->sdp, conf_audio(c));
	call_video_sdp(call, c);       /* none: audio alone */
	call->part = p;
	call_bfcp_update(call, c);
	*callp = call;
	return 0;
}

int call_alloc(struct call **callp, struct focus *f, const struct conf *c,
	       struct participant *p)
{
	struct call *call = mem_zalloc(sizeof(*call), call_destructor);
	struct sdpsec_cfg sec;
	int err;

	if (!call)
		return ENOMEM;
	call->f = f;
	call->rtp_fd = call->rtcp_fd = -1;
	call->vid_fd[0] = call->vid_fd[1] = -1;
	call->fecc_fd[0] = call->fecc_fd[1] = -1;
	call->tx_ssrc = rand_u32() | 1;        /* never 0 */
	call->vid_ssrc = rand_u32() | 1;
	call->fecc_ssrc = rand_u32() | 1;
	tmr_init(&call->st_tmr);
	f->stats.calls_active++;
	if (msc_split(f))
		return split_alloc(call, callp, c, p);
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
	err = sdpneg_alloc(&call->sdp, &f->rtp_laddr, call->lport,
			   focus_sec_cfg(f, c, &sec));
	if (err)
		goto out;
	sdpneg_set_audio(call->sdp, conf_audio(c));
	call_video_sdp(call, c);
	call->part = p;
	call_mix_sdp(call);      /* x-caucus-mixing in our offers */
	call_bfcp_update(call, c);
	/* a caller of the dial-in lobby moves on to its conference, maybe
	 * on another mixer thread, where its stream is made again from
	 * its sockets */
	call->keep_fds = conf_lobby_only(c) && call->rtp_fd >= 0;
out:
	if (err)
		mem_deref(call);
	else
		*callp = call;
	return err;
}

static void dtls_keyed(void *arg)
{
	(void)call_media_apply(arg);
}

static void dtls_failed(const char *why, void *arg)
{
	struct call *call = arg;

	log_info("sip", "msg=\"call ended\" conf=%s reason=\"%s\"",
		 call->part ? conf_id(part_conf(call->part)) : "-", why);
	call_fail(call, 488, why);
}

/* DTLS-SRTP follows each negotiation; its records go out from the call's
 * sockets, or the mixer thread's its room is held on */
static int dtls_update(struct call *call)
{
	int fd[2] = {call->rtp_fd, call->rtcp_fd};
	int err;

	if (fd[0] < 0 && call->room_held) {
		fd[0] = mixer_room_fd(call->f->mixer, call->room_key, false);
		fd[1] = mixer_room_fd(call->f->mixer, call->room_key, true);
	}
	/* the sockets are the mixer's once the stream is there: DTLS-SRTP
	 * starts with the call, not in a re-INVITE */
	if (!call->dtls && call->stream_id)
		fd[0] = fd[1] = -1;
	err = dtls_call_update(&call->dtls, call->f, &call->neg,
			       call->src_held ? &call->src : NULL, fd,
			       dtls_keyed, dtls_failed, call);
	if (err)
		log_warn("sip", "msg=\"DTLS-SRTP cannot start\" err=%m", err);
	return err;
}

/* --role focus: the caller's media and settings to its mixer process
 * (a participant on hold is not heard, as media_fill says) */
static int split_apply(struct call *call)
{
	struct mixer_media m;
	struct mscp_join j;

	call->rx_last_ms = tmr_jiffies();
	call_media_fill(&m, call);
	call_media_report(call);
	memset(&j, 0, sizeof(j));
	j.muted = m.muted || !m.recv;
	j.deaf = m.deaf;
	j.gain_in_db = (int)lrintf(m.gain_in_db);
	j.gain_out_db = (int)lrintf(m.gain_out_db);
	return msc_apply(call->msc, conf_id(part_conf(call->part)),
			 &call->neg, &j, m.room_speakers);
}

int call_media_apply(struct call *call)
{
	struct mixer_media m;
	int err;

	if (!call->part || !call->negotiated)
		return 0;
	/* its conference may be another now (the lobby's move) */
	call_bfcp_update(call, part_conf(call->part));
	if (call->msc)
		return split_apply(call);
	err = dtls_update(call);
	if (err)
		return err;
	call->rx_last_ms = tmr_jiffies();     /* a fresh start for the
					       * RTP timeout */
	call_media_fill(&m, call);
	call_media_report(call);
	call_video_apply(call);
	if (call->stream_id)
		return mixer_stream_update(call->f->mixer, call->stream_id, &m);
	if (call->keep_fds) {
		int fd[2] = {dup(call->rtp_fd), dup(call->rtcp_fd)};

		if (fd[0] < 0 || fd[1] < 0 ||
		    mixer_stream_add(call->f->mixer,
				     conf_room(part_conf(call->part)), fd[0],
				     fd[1], &m, &call->stream_id)) {
			if (fd[0] >= 0)
				close(fd[0]);
			if (fd[1] >= 0)
				close(fd[1]);
			return EMFILE;
		}
	}
	else {
		err = mixer_stream_add(call->f->mixer,
				       conf_room(part_conf(call->part)),
				       call->rtp_fd, call->rtcp_fd, &m,
				       &call->stream_id);
		if (err)
			return err;
		call->rtp_fd = call->rtcp_fd = -1;   /* the mixer's now */
	}
	if (call->room_held) {       /* the stream keeps the room there now */
		mixer_room_release(call->f->mixer, call->room_key);
		call->room_held = false;
	}
	hash_append(call->f->calls, call->stream_id, &call->he, call);
	part_set_stream(call->part, call->stream_id);
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
		part_set_stream(p, 0);
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

	/* libre took the target from its Contact again */
	(void)focus_dialog_follow_conn(sipsess_dialog(call->sess), msg);
	if (!mbuf_get_left(msg->mb))          /* re-INVITE without SDP */
		return sdpneg_offer(call->sdp, descp);
	err = sdpneg_reanswer(call->sdp, msg->mb, descp, &call->neg, &reason);
	if (err) {
		log_info("sip", "msg=\"re-INVITE refused\" reason=\"%s\"",
			 reason);
		return err;
	}
	call->negotiated = true;
	err = call_media_apply(call);
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
	return call_media_apply(call);
}

/* The Contact URI of msg into dst (left as is when there is none) */
void call_contact_copy(char *dst, size_t sz, const struct sip_msg *msg)
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
	struct part_dialog d;

	if (!call->part || !msg)
		return;
	d = *part_dialog(call->part);
	pl_strcpy(&msg->callid, d.call_id, sizeof(d.call_id));
	pl_strcpy(&msg->from.tag, d.from_tag, sizeof(d.from_tag));
	pl_strcpy(&msg->to.tag, d.to_tag, sizeof(d.to_tag));
	if (msg->scode)              /* a 200: the far end's Contact */
		call_contact_copy(d.contact, sizeof(d.contact), msg);
	part_set_dialog(call->part, &d);
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

int call_sess_accept(struct call *call, const struct sip_msg *msg,
		     uint16_t scode, const char *reason, struct mbuf *desc,
		     const char *hdrs)
{
	int err = sipsess_accept(&call->sess, call->f->sock, msg, scode,
				 reason, call->cuser, "application/sdp", desc,
				 NULL, NULL, false, offer_handler,
				 answer_handler, estab_handler, call_info_h,
				 refer_h, close_handler, call, "%s%s",
				 call->f->answer_hdrs, hdrs);

	if (!err)
		(void)focus_dialog_follow_conn(sipsess_dialog(call->sess),
					       msg);
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
	char link_hdrs[1024] = "";
	int err;

	pl_set_str(&pl, part_uri(p));
	if (uri_decode(&uri, &pl))
		return EINVAL;
	/* the transport the call goes over: libre picks it from the URI
	 * the same way (sips: and transport=tls: TLS) */
	if (!pl_strcasecmp(&uri.scheme, "sips"))
		tp = SIP_TRANSP_TLS;
	else if (!msg_param_decode(&uri.params, "transport", &pl))
		tp = !pl_strcasecmp(&pl, "tcp") ? SIP_TRANSP_TCP :
			!pl_strcasecmp(&pl, "tls") ? SIP_TRANSP_TLS :
			SIP_TRANSP_UDP;
	err = call_alloc(&call, f, c, p);
	if (err)
		return err;
	/* a cascade link carries the nodes' audio alone (link.c) */
	err = focus_link_dial(f, p, call->sdp, link_hdrs, sizeof(link_hdrs));
	if (!err && !link_hdrs[0] && strcmp(conf_video(c)->status, "none"))
		sdpneg_offer_video(call->sdp);
	err = err ? err : refer_dial_hdrs(f, p, link_hdrs, sizeof(link_hdrs));
	err = err ? err : sdpneg_offer(call->sdp, &desc);
	err = err ? err : focus_contact(&call->cuser, f, conf_id(c),
					conf_policy_uri(c), tp,
					!pl_strcasecmp(&uri.scheme, "sips"));
	if (err)
		goto out;
	part_set_ep(p, call);
	err = sipsess_connect(&call->sess, f->sock, part_uri(p),
			      conf_display_text(c)[0] ?
			      conf_display_text(c) : NULL,
			      conf_uri(c), call->cuser, NULL, 0,
			      "application/sdp", desc, NULL, NULL, false,
			      offer_handler, answer_handler, progress_handler,
			      estab_handler, call_info_h, refer_h,
			      close_handler, call, "Allow: %s\r\n%s", f->allow,
			      link_hdrs);
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
	/* a caller sent away for wrong PINs is guessing, as a scanner
	 * does: it counts toward blocking its address */
	if (part_removed_by(p) && !strcmp(part_removed_by(p), "pin") &&
	    call->src_held)
		srclimit_offence(call->f->limit, &call->src, "wrong PIN");
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
			     "%s%s", call->f->answer_hdrs, call->st_hdrs);
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
	call_video_sdp(call, part_conf(p));
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

	if (call && call_media_apply(call))
		log_warn("sip", "msg=\"mixer update failed\" pid=%s",
			 part_id(p));
	if (call && call->early && !part_privacy(p)->pending)
		answer_early(call);
}

