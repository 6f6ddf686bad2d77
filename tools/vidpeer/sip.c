/*
 * caucus-vidpeer's call (vidpeer.h): the SDP offer (audio PCMU and
 * telephone-event, one video codec, H.224), the INVITE through libre's
 * sipsess, answers to it and to our re-INVITEs, offers in their
 * re-INVITEs, and the end (BYE either way). libre's loop, main thread.
 */
#include <errno.h>
#include <string.h>
#include "vidpeer.h"

static void log_state(struct vidpeer *vp, const char *state)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} fbs[] = {
		{VIDEO_FB_NACK, "nack"}, {VIDEO_FB_PLI, "pli"},
		{VIDEO_FB_FIR, "fir"}, {VIDEO_FB_TMMBR, "tmmbr"},
		{VIDEO_FB_REMB, "remb"},
	};
	const struct vp_stream *v = &vp->video;
	char fb[64] = "";
	size_t k = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fbs); i++) {
		if (v->on && (v->fb & fbs[i].bit))
			k += (size_t)re_snprintf(fb + k, sizeof(fb) - k,
						 "%s%s", k ? "," : "",
						 fbs[i].name);
	}
	vp_log(vp, "call state=%s video=%s pt=%u fb=%s fecc=%d dir=%s",
	       state, v->on ? video_codec_name(vp->o.codec) : "none",
	       v->on ? v->pt : 0, k ? fb : "none", vp->fecc.on,
	       v->on ? sdp_dir_name(sdp_media_dir(v->m)) : "inactive");
}

static void changed(struct vidpeer *vp)
{
	media_update(vp);
	if (vp->established) {
		log_state(vp, "updated");
		video_update(vp);
	}
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct vidpeer *vp = arg;
	int err = sdp_decode(vp->sdp, msg->mb, false);

	if (err)
		return err;
	changed(vp);
	return 0;
}

/* Their re-INVITE: with an offer we answer; without one (the offer in
 * our 200, the answer in their ACK) we offer */
static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct vidpeer *vp = arg;
	bool has = mbuf_get_left(msg->mb) > 0;
	int err = 0;

	if (has)
		err = sdp_decode(vp->sdp, msg->mb, true);
	err = err ? err : sdp_encode(descp, vp->sdp, !has);
	if (!err && has)
		changed(vp);
	return err;
}

static void progr_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct vidpeer *vp = arg;

	(void)msg;
	if (vp->established)
		return;
	vp->established = true;
	log_state(vp, "established");
	media_start_audio(vp);
	video_update(vp);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct vidpeer *vp = arg;

	vp->sess = mem_deref(vp->sess);
	if (vp->ending)
		return;
	vp->ending = true;
	tmr_cancel(&vp->audio_tmr);
	video_update(vp);
	/* libre reports a BYE received as ECONNRESET (LIBRE-NOTES.md) */
	if (vp->established && err == ECONNRESET) {
		vp_logt(vp, "bye", "by=them");
		vp_finish(vp, 0);
		return;
	}
	if (msg && msg->scode >= 300)
		vp_log(vp, "call state=failed code=%u reason=\"%r\"",
		       msg->scode, &msg->reason);
	else
		vp_log(vp, "call state=failed code=%u reason=\"%m\"",
		       msg ? msg->scode : 0, err);
	vp_finish(vp, 1);
}

/* Calls to us are not taken: this peer only calls */
static void conn_h(const struct sip_msg *msg, void *arg)
{
	struct vidpeer *vp = arg;

	(void)sip_treply(NULL, vp->sip, msg, 486, "Busy Here");
}

static void exit_h(void *arg)
{
	struct vidpeer *vp = arg;

	vp_finish(vp, vp->exit_code);
}

static void end_timeout_h(void *arg)
{
	struct vidpeer *vp = arg;

	if (vp->established)
		vp_logt(vp, "bye", "by=us timeout=1");
	vp_finish(vp, vp->exit_code);
}

static int add_video(struct vidpeer *vp)
{
	static const char *const fb[] = {
		"* nack", "* nack pli", "* ccm fir", "* goog-remb",
	};
	static const struct {
		const char *id, *name, *params;
	} fmts[] = {
		[VIDEO_VP8] = {"100", "VP8", NULL},
		[VIDEO_H264] = {"102", "H264",
				"packetization-mode=1;profile-level-id=42e01f"},
		[VIDEO_VP9] = {"98", "VP9", NULL},
	};
	int c = vp->o.codec;
	int err;

	err = sdp_media_add(&vp->video.m, vp->sdp, "video", vp->video.port,
			    vp->o.fb ? "RTP/AVPF" : "RTP/AVP");
	err = err ? err : sdp_format_add(NULL, vp->video.m, false,
					 fmts[c].id, fmts[c].name, 90000, 1,
					 NULL, NULL, NULL, false, "%s",
					 fmts[c].params ? fmts[c].params : "");
	for (size_t i = 0; vp->o.fb && !err && i < ARRAY_SIZE(fb); i++)
		err = sdp_media_set_lattr(vp->video.m, false, "rtcp-fb",
					  "%s", fb[i]);
	return err;
}

static int make_offer(struct vidpeer *vp)
{
	struct sa laddr;
	int err;

	sa_set_str(&laddr, "127.0.0.1", vp->audio.port);
	err = sdp_session_alloc(&vp->sdp, &laddr);
	err = err ? err : sdp_media_add(&vp->audio.m, vp->sdp, "audio",
					vp->audio.port, "RTP/AVP");
	err = err ? err : sdp_format_add(NULL, vp->audio.m, false, "0",
					 "PCMU", 8000, 1, NULL, NULL, NULL,
					 false, NULL);
	err = err ? err : sdp_format_add(NULL, vp->audio.m, false, "101",
					 "telephone-event", 8000, 1, NULL,
					 NULL, NULL, false, "0-15");
	if (!err && vp->o.codec != VP_CODEC_NONE)
		err = add_video(vp);
	if (!err && vp->o.fecc) {
		err = sdp_media_add(&vp->fecc.m, vp->sdp, "application",
				    vp->fecc.port, "RTP/AVP");
		err = err ? err : sdp_format_add(NULL, vp->fecc.m, false,
						 "107", "H224", 4800, 1, NULL,
						 NULL, NULL, false, NULL);
	}
	return err;
}

int sip_call_start(struct vidpeer *vp)
{
	struct mbuf *offer = NULL;
	struct sa laddr;
	char from[128];
	int err;

	sa_set_str(&laddr, "127.0.0.1", 0);
	err = sip_alloc(&vp->sip, NULL, 32, 32, 32, "caucus-vidpeer",
			exit_h, vp);
	err = err ? err : sip_transp_add(vp->sip, SIP_TRANSP_UDP, &laddr);
	err = err ? err : sipsess_listen(&vp->ssock, vp->sip, 32, conn_h, vp);
	err = err ? err : make_offer(vp);
	err = err ? err : sdp_encode(&offer, vp->sdp, true);
	if (err)
		goto out;
	re_snprintf(from, sizeof(from), "sip:%s@127.0.0.1", vp->o.from);
	err = sipsess_connect(&vp->sess, vp->ssock, vp->o.target, NULL, from,
			      vp->o.from, NULL, 0, "application/sdp", offer,
			      NULL, NULL, false, offer_h, answer_h, progr_h,
			      estab_h, NULL, NULL, close_h, vp, "");
 out:
	mem_deref(offer);
	return err;
}

int sip_reinvite_video(struct vidpeer *vp, bool on)
{
	struct mbuf *offer = NULL;
	int err;

	if (!vp->video.m)
		return ENOENT;
	if (!vp->established || vp->ending || !vp->sess)
		return ENOTCONN;
	sdp_media_set_disabled(vp->video.m, !on);
	/* port 0 offered: nothing more goes out from now, whatever the
	 * answer */
	if (!on) {
		vp->video.on = false;
		video_update(vp);
	}
	err = sdp_encode(&offer, vp->sdp, true);
	err = err ? err : sipsess_modify(vp->sess, offer);
	mem_deref(offer);
	return err;
}

void sip_call_end(struct vidpeer *vp)
{
	if (vp->ending)
		return;
	vp->ending = true;
	if (vp->established) {
		vp_logt(vp, "bye", "by=us");
	}
	else {
		/* quit or --seconds before an answer: no call was had */
		vp_log(vp, "call state=failed code=0 reason=\"not answered\"");
		vp->exit_code = 1;
	}
	tmr_cancel(&vp->audio_tmr);
	video_update(vp);
	/* the BYE (or a CANCEL) goes out now; the session, which holds
	 * the last reference to the stack once we let ours go, ends when
	 * its transaction does, and the stack's exit handler then says we
	 * are done (a peer that never answers: the timer) */
	vp->sess = mem_deref(vp->sess);
	vp->ssock = mem_deref(vp->ssock);
	sip_close(vp->sip, false);
	/* an INVITE without any answer yet cannot be cancelled (RFC 3261
	 * s. 9.1): libre waits out its transaction; we do not */
	tmr_start(&vp->end_tmr, vp->established ? 10000 : 2000,
		  end_timeout_h, vp);
}

void sip_close_all(struct vidpeer *vp)
{
	tmr_cancel(&vp->end_tmr);
	vp->sess = mem_deref(vp->sess);
	vp->ssock = mem_deref(vp->ssock);
	sip_close(vp->sip, true);
	vp->sip = mem_deref(vp->sip);
	vp->sdp = mem_deref(vp->sdp);
}
