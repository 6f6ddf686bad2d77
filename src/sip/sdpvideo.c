/*
 * Video and camera control in the SDP of a call (sdpneg.h), for sdpneg.c.
 *  - Video: `m=video` with VP8 (RFC 7741), H.264 (RFC 6184,
 *    packetization-mode 1, a constrained baseline compatible profile:
 *    every H.264 receiver can decode what any H.264 sender sends, which
 *    forwarding needs) and VP9 (profile 0). The offerer's first codec we
 *    take is the one answered, alone: a participant sends and takes one
 *    codec, so the forwarder never meets a codec switch inside a stream.
 *    RTCP feedback (a=rtcp-fb, RFC 4585/5104: nack, nack pli, ccm fir,
 *    ccm tmmbr, goog-remb) is answered for what was offered for that
 *    payload type (or `*`); b=TIAS, else b=AS, caps what we send them.
 *    RTP/AVP, RTP/AVPF and the SAVP profiles with SDES (their own
 *    a=crypto, the conference's srtp policy as for audio); DTLS-SRTP
 *    video is answered with port 0 (libre: a profile the stream does not
 *    list), and so is video when the conference's video is "none".
 *  - Camera control: `m=application <port> RTP/AVP <pt>` with
 *    `a=rtpmap:<pt> H224/4800` (RFC 4573), taken only beside a video
 *    stream and where the conference's camera policy is not "none".
 *  - Ports: asked of the call (port_h) when a stream is first taken or
 *    offered; a failure answers that stream with port 0, the call goes
 *    on.
 *  - Our offers carry video only when asked (sdpneg_offer_video) or
 *    when the call already has it: a re-offer never adds a stream the
 *    peer did not want.
 * Signalling thread.
 */
#include <stdlib.h>
#include <string.h>
#include "sip/sdpneg.h"

#define VP8_PT "100"
#define H264_PT "102"
#define VP9_PT "98"
#define H224_PT "107"
#define H264_FMTP "packetization-mode=1;profile-level-id=42e01f"

/* A parameter of an fmtp line ("a=1;b=2"), or NULL */
static bool fmtp_get(const char *params, const char *name, struct pl *val)
{
	struct pl pl;

	if (!params)
		return false;
	pl_set_str(&pl, params);
	return fmt_param_get(&pl, name, val);
}

/*
 * H.264 as forwarding needs it: packetization-mode 1 (FU-A: frames
 * bigger than a packet), and a profile every receiver decodes:
 * constrained baseline (profile_idc 66 with constraint_set1, or any
 * profile with constraint_set1, RFC 6184 s. 8.1), or baseline 42 as
 * most phones say it. No profile-level-id means baseline (420010).
 */
static bool h264_cmp(const char *ours, const char *theirs, void *arg)
{
	struct pl mode, plid;
	unsigned idc, iop;

	(void)ours;
	(void)arg;
	if (!fmtp_get(theirs, "packetization-mode", &mode) ||
	    pl_u32(&mode) != 1)
		return false;
	if (!fmtp_get(theirs, "profile-level-id", &plid))
		return true;
	if (plid.l != 6)
		return false;
	idc = (unsigned)pl_x32(&(struct pl){plid.p, 2});
	iop = (unsigned)pl_x32(&(struct pl){plid.p + 2, 2});
	return idc == 66 || (iop & 0x40);
}

/* VP9: profile 0 (8-bit 4:2:0), said or not */
static bool vp9_cmp(const char *ours, const char *theirs, void *arg)
{
	struct pl id;

	(void)ours;
	(void)arg;
	return !fmtp_get(theirs, "profile-id", &id) || pl_u32(&id) == 0;
}

int sdpvideo_media_add(struct sdp_media **vp, struct sdp_media **fp,
		       struct sdp_session *sess, enum sdpsec_mode mode)
{
	const char *proto = mode == SDPSEC_REQUIRED ? "RTP/SAVP" :
		sdp_proto_rtpavp;
	int err;

	/* off until wanted (sdpvideo_offer, an offer taken) */
	err = sdp_media_add(vp, sess, sdp_media_video, 0, proto);
	err = err ? err : sdp_media_set_alt_protos(*vp, 4, "RTP/AVP",
						   "RTP/AVPF", "RTP/SAVP",
						   "RTP/SAVPF");
	err = err ? err : sdp_format_add(NULL, *vp, false, VP8_PT, "VP8",
					 90000, 1, NULL, NULL, NULL, false,
					 NULL);
	err = err ? err : sdp_format_add(NULL, *vp, false, H264_PT, "H264",
					 90000, 1, NULL, h264_cmp, NULL,
					 false, "%s", H264_FMTP);
	err = err ? err : sdp_format_add(NULL, *vp, false, VP9_PT, "VP9",
					 90000, 1, NULL, vp9_cmp, NULL,
					 false, NULL);
	err = err ? err : sdp_media_add(fp, sess, "application", 0, proto);
	err = err ? err : sdp_media_set_alt_protos(*fp, 4, "RTP/AVP",
						   "RTP/AVPF", "RTP/SAVP",
						   "RTP/SAVPF");
	err = err ? err : sdp_format_add(NULL, *fp, false, H224_PT, "H224",
					 4800, 1, NULL, NULL, NULL, false,
					 NULL);
	if (!err) {
		sdp_media_set_disabled(*vp, true);
		sdp_media_set_disabled(*fp, true);
	}
	return err;
}

static bool codec_of(const char *name, enum video_codec *c)
{
	for (int i = 0; i < VIDEO_NCODECS; i++) {
		if (name && !strcasecmp(name, video_codec_name(i))) {
			*c = (enum video_codec)i;
			return true;
		}
	}
	return false;
}

/* The rtcp-fb lines for one payload type (or "*") */
struct fb_scan {
	unsigned pt;
	uint8_t fb;
};

static bool fb_h(const char *name, const char *value, void *arg)
{
	static const struct { const char *word; uint8_t bit; } t[] = {
		{"nack", VIDEO_FB_NACK}, {"nack pli", VIDEO_FB_PLI},
		{"ccm fir", VIDEO_FB_FIR}, {"ccm tmmbr", VIDEO_FB_TMMBR},
		{"goog-remb", VIDEO_FB_REMB},
	};
	struct fb_scan *s = arg;
	struct pl pt, rest;

	(void)name;
	if (re_regex(value, strlen(value), "[^ ]+ [^]+", &pt, &rest))
		return false;
	if (pl_strcmp(&pt, "*") && pl_u32(&pt) != s->pt)
		return false;
	while (rest.l && rest.p[rest.l - 1] == ' ')
		rest.l--;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!pl_strcasecmp(&rest, t[i].word))
			s->fb |= t[i].bit;
	return false;
}

static int fb_lines(struct sdp_media *v, const char *pt, uint8_t fb)
{
	static const struct { uint8_t bit; const char *word; } t[] = {
		{VIDEO_FB_NACK, "nack"}, {VIDEO_FB_PLI, "nack pli"},
		{VIDEO_FB_FIR, "ccm fir"}, {VIDEO_FB_TMMBR, "ccm tmmbr"},
		{VIDEO_FB_REMB, "goog-remb"},
	};
	int err = 0;

	sdp_media_del_lattr(v, "rtcp-fb");
	for (size_t i = 0; !err && i < sizeof(t) / sizeof(t[0]); i++)
		if (fb & t[i].bit)
			err = sdp_media_set_lattr(v, false, "rtcp-fb",
						  "%s %s", pt, t[i].word);
	return err;
}

static const char *dir_word(enum sdp_dir d)
{
	return d == SDP_SENDRECV ? "sendrecv" : d == SDP_SENDONLY ?
		"sendonly" : d == SDP_RECVONLY ? "recvonly" : "inactive";
}

/* The conference's video status as our direction (its mirror) */
static enum sdp_dir our_dir(const char *status)
{
	if (!strcmp(status, "recvonly"))
		return SDP_SENDONLY;
	if (!strcmp(status, "sendonly"))
		return SDP_RECVONLY;
	if (!strcmp(status, "inactive"))
		return SDP_INACTIVE;
	return SDP_SENDRECV;
}

/* The port of a stream, asked of the call the first time */
static bool port_get(struct sdpvideo_state *st, bool fecc,
		     struct sdp_media *m)
{
	uint16_t *port = fecc ? &st->fport : &st->port;

	if (!*port && (!st->port_h || st->port_h(fecc, port, st->arg)))
		return false;
	sdp_media_set_lport(m, *port);
	return true;
}

/* Addresses, directions and security of a stream with a port */
static bool stream_take(struct sdpvideo_state *st,
			const struct sdp_session *sess, struct sdp_media *m,
			struct sdpsec_state *sec, const struct sdpsec_cfg *cfg,
			struct sdpneg_stream *s, bool answer)
{
	struct sdpneg_result tmp;
	const char *reason = NULL;
	enum sdp_dir dir;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	err = answer ? sdpsec_take_answer(sec, sess, m, cfg, &tmp, &reason) :
		sdpsec_answer(sec, sess, m, cfg, &tmp, &reason);
	if (err || tmp.sec == SDPSEC_DTLS)
		return false;
	s->sec.kind = tmp.sec;
	s->sec.suite = tmp.suite;
	s->sec.key_len = tmp.key_len;
	memcpy(s->sec.rx_key, tmp.rx_key, sizeof(s->sec.rx_key));
	memcpy(s->sec.tx_key, tmp.tx_key, sizeof(s->sec.tx_key));
	s->rtp = *sdp_media_raddr(m);
	sdp_media_raddr_rtcp(m, &s->rtcp);
	dir = sdp_media_dir(m);
	if (!sa_isset(&s->rtp, SA_ADDR))
		dir &= ~SDP_SENDONLY;
	s->send = dir & SDP_SENDONLY;
	s->recv = dir & SDP_RECVONLY;
	s->dir = dir_word(dir);
	s->lport = st->port;
	s->on = true;
	return true;
}

/* The offerer's first format we take (libre marked which), alone in
 * the answer */
static const struct sdp_format *pick(struct sdp_media *v,
				     enum video_codec *c)
{
	const struct sdp_format *fmt = NULL;
	struct list *lst;

	for (struct le *le = sdp_media_format_lst(v, false)->head; le;
	     le = le->next) {
		const struct sdp_format *f = le->data;

		/* 64 to 95 would pass for RTCP with the marker set (RFC
		 * 5761): the forwarder could not tell them apart */
		if (f->sup && (f->pt < 64 || f->pt > 95) &&
		    codec_of(f->name, c)) {
			fmt = f;
			break;
		}
	}
	if (!fmt)
		return NULL;
	lst = (struct list *)sdp_media_format_lst(v, true);
	for (struct le *le = list_head(lst); le; le = le->next) {
		struct sdp_format *lf = le->data;

		if (lf->name && strcasecmp(lf->name, fmt->name))
			lf->sup = false;
	}
	return fmt;
}

static void video_take(struct sdpvideo_state *st,
		       const struct sdp_session *sess, struct sdp_media *v,
		       const struct sdpsec_cfg *cfg, struct sdpneg_video *res,
		       bool answer)
{
	const struct sdp_format *fmt;
	struct fb_scan fs;
	int32_t bw;

	if (!strcmp(st->status, "none")) {
		sdp_media_set_disabled(v, true);
		res->why_off = "the conference has no video";
		return;
	}
	fmt = pick(v, &res->codec);
	if (!fmt) {
		res->why_off = "no video codec in common (caucus takes VP8, "
			"H264 packetization-mode 1 constrained baseline, "
			"VP9 profile 0)";
		return;
	}
	sdp_media_set_disabled(v, false);
	if (!port_get(st, false, v)) {
		sdp_media_set_disabled(v, true);
		res->why_off = "no free RTP port pair for video";
		return;
	}
	if (!answer)
		sdp_media_set_ldir(v, our_dir(st->status));
	if (!stream_take(st, sess, v, &st->sec, cfg, &res->v, answer)) {
		sdp_media_set_disabled(v, true);
		res->why_off = "video security not acceptable (SDES as the "
			"conference's srtp policy says; no DTLS-SRTP)";
		return;
	}
	res->v.pt = (uint8_t)fmt->pt;
	fs.pt = (unsigned)fmt->pt;
	fs.fb = 0;
	(void)sdp_media_rattr_apply(v, "rtcp-fb", fb_h, &fs);
	res->fb = fs.fb;
	bw = sdp_media_rbandwidth(v, SDP_BANDWIDTH_TIAS);
	if (bw > 0)
		res->max_kbps = (uint32_t)bw / 1000;
	else if ((bw = sdp_media_rbandwidth(v, SDP_BANDWIDTH_AS)) > 0)
		res->max_kbps = (uint32_t)bw;
	if (!answer)
		(void)fb_lines(v, fmt->id, fs.fb);
	st->offer = true;           /* the call has video: re-offers keep it */
}

static void fecc_take(struct sdpvideo_state *st,
		      const struct sdp_session *sess, struct sdp_media *f,
		      const struct sdpsec_cfg *cfg, struct sdpneg_video *res,
		      bool answer)
{
	const struct sdp_format *fmt;

	if (!sdp_media_rport(f) || !res->v.on || !st->fecc_allowed) {
		sdp_media_set_disabled(f, true);
		return;
	}
	fmt = sdp_media_rformat(f, "H224");
	if (!fmt || !fmt->sup) {
		sdp_media_set_disabled(f, true);
		return;
	}
	sdp_media_set_disabled(f, false);
	if (!port_get(st, true, f)) {
		sdp_media_set_disabled(f, true);
		return;
	}
	if (!stream_take(st, sess, f, &st->fsec, cfg, &res->fecc, answer)) {
		sdp_media_set_disabled(f, true);
		memset(&res->fecc, 0, sizeof(res->fecc));
		return;
	}
	res->fecc.lport = st->fport;
	res->fecc.pt = (uint8_t)fmt->pt;
}

void sdpvideo_prepare(struct sdpvideo_state *st, struct sdp_media *v,
		      struct sdp_media *f)
{
	/* libre aligns the formats of enabled streams only */
	sdp_media_set_disabled(v, !strcmp(st->status, "none"));
	sdp_media_set_disabled(f, !strcmp(st->status, "none") ||
			       !st->fecc_allowed);
}

void sdpvideo_take(struct sdpvideo_state *st, const struct sdp_session *sess,
		   struct sdp_media *v, struct sdp_media *f,
		   const struct sdpsec_cfg *cfg, struct sdpneg_video *res,
		   bool answer)
{
	memset(res, 0, sizeof(*res));
	if (sdp_media_rport(v)) {
		video_take(st, sess, v, cfg, res, answer);
	}
	else if (!answer || st->offered) {
		/* they have no video (taken away, never offered, or our
		 * offer of it refused): our re-offers do not bring it back
		 * (when the conference's video came back, they would) */
		if (!answer)
			sdp_media_set_disabled(v, true);
		st->offer = false;
	}
	fecc_take(st, sess, f, cfg, res, answer);
}

int sdpvideo_offer(struct sdpvideo_state *st, struct sdp_media *v,
		   struct sdp_media *f, const struct sdpsec_cfg *cfg)
{
	bool want = st->offer && strcmp(st->status, "none");
	uint8_t all = VIDEO_FB_NACK | VIDEO_FB_PLI | VIDEO_FB_FIR |
		VIDEO_FB_TMMBR | VIDEO_FB_REMB;
	int err = 0;

	if (want && !port_get(st, false, v))
		want = false;
	st->offered = want;
	sdp_media_set_disabled(v, !want);
	if (want) {
		struct list *lst = (struct list *)sdp_media_format_lst(v,
								       true);

		/* every codec again: the peer answers one */
		for (struct le *le = list_head(lst); le; le = le->next)
			((struct sdp_format *)le->data)->sup = true;
		sdp_media_set_ldir(v, our_dir(st->status));
		err = sdpsec_offer(&st->sec, v, cfg);
		err = err ? err : fb_lines(v, "*", all);
	}
	want = want && st->fecc_allowed && port_get(st, true, f);
	sdp_media_set_disabled(f, !want);
	if (!err && want)
		err = sdpsec_offer(&st->fsec, f, cfg);
	return err;
}
