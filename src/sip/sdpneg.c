/*
 * SDP offer/answer for one audio stream and a BFCP stream (sdpbfcp.c),
 * see sdpneg.h. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "sip/sdpneg.h"

#define OPUS_PT "111"     /* = MEDIA_OPUS */
#define TELEV_PT "101"

struct sdpneg {
	struct sdp_session *sess;
	struct sdp_media *audio;
	struct sdp_media *bfcp;        /* RFC 8856, after the audio */
	struct sdpbfcp_state bfcp_st;
	struct sdp_media *video;       /* sdpvideo.c */
	struct sdp_media *fecc;
	struct sdpvideo_state vid;
	struct sdpsec_cfg sec;
	struct sdpsec_state sec_state;
	bool offered;                  /* the last thing we sent: an offer */
	bool mix_allow;                /* self mixing may be taken */
	bool self_taken;               /* by the latest negotiation */
	struct sa mc_group;            /* multicast group (unset: none) */
	enum media_codec mc_codec;
	bool mc_offered;               /* our latest offer named it */
	uint32_t voice_ssrc;           /* their voice in the group */
};

static void sdpneg_destructor(void *arg)
{
	struct sdpneg *sn = arg;

	mem_deref(sn->audio);
	mem_deref(sn->bfcp);
	mem_deref(sn->video);
	mem_deref(sn->fecc);
	mem_deref(sn->sess);
}

int sdpneg_alloc(struct sdpneg **snp, const struct sa *laddr,
		 uint16_t rtp_port, const struct sdpsec_cfg *sec)
{
	struct sdpneg *sn = mem_zalloc(sizeof(*sn), sdpneg_destructor);
	int err;

	if (!sn)
		return ENOMEM;
	sn->sec.mode = SDPSEC_OFF;
	sn->voice_ssrc = rand_u32() | 1;        /* never 0 */
	if (sec)
		sn->sec = *sec;
	err = sdp_session_alloc(&sn->sess, laddr);
	/* the profile we offer: SRTP (SDES) where it is required; every
	 * profile is one we take in an offer, the policy decides */
	err = err ? err : sdp_media_add(&sn->audio, sn->sess, sdp_media_audio,
					rtp_port,
					sn->sec.mode == SDPSEC_REQUIRED ?
					"RTP/SAVP" : sdp_proto_rtpavp);
	err = err ? err : sdp_media_set_alt_protos(sn->audio, 6, "RTP/AVP",
						   "RTP/AVPF", "RTP/SAVP",
						   "RTP/SAVPF",
						   "UDP/TLS/RTP/SAVP",
						   "UDP/TLS/RTP/SAVPF");
	err = err ? err : sdp_format_add(NULL, sn->audio, false, "0", "PCMU",
					 8000, 1, NULL, NULL, NULL, false,
					 NULL);
	err = err ? err : sdp_format_add(NULL, sn->audio, false, "8", "PCMA",
					 8000, 1, NULL, NULL, NULL, false,
					 NULL);
	/* G.722's RTP clock is 8000 although it samples at 16 kHz (RFC
	 * 3551 s. 4.5.2) */
	err = err ? err : sdp_format_add(NULL, sn->audio, false, "9", "G722",
					 8000, 1, NULL, NULL, NULL, false,
					 NULL);
	err = err ? err : sdp_format_add(NULL, sn->audio, false, OPUS_PT,
					 "opus", 48000, 2, NULL, NULL, NULL,
					 false, "useinbandfec=1;minptime=10");
	err = err ? err : sdp_format_add(NULL, sn->audio, false, TELEV_PT,
					 "telephone-event", 8000, 1, NULL,
					 NULL, NULL, false, "0-15");
	err = err ? err : sdp_media_set_lattr(sn->audio, true, "ptime", "20");
	err = err ? err : sdpbfcp_media_add(&sn->bfcp, sn->sess);
	err = err ? err : sdpvideo_media_add(&sn->video, &sn->fecc, sn->sess,
					     sn->sec.mode);
	re_snprintf(sn->vid.status, sizeof(sn->vid.status), "none");
	if (err)
		mem_deref(sn);
	else
		*snp = sn;
	return err;
}

/*
 * Checks what libre's SDP decoder lets through silently: every line must
 * be `<letter>=...` (RFC 4566 s. 5), the first `v=0`, connection addresses
 * must parse, and media ports must fit 16 bits. A session description that
 * fails is malformed (400), not something to guess at.
 */
static bool sdp_sane(const struct mbuf *mb)
{
	struct pl text, line;
	bool first = true;

	pl_set_mbuf(&text, mb);
	if (!text.l || memchr(text.p, '\0', text.l))
		return false;
	while (text.l) {
		const char *nl = memchr(text.p, '\n', text.l);
		size_t len = nl ? (size_t)(nl - text.p) : text.l;

		line.p = text.p;
		line.l = len;
		text.p += nl ? len + 1 : len;
		text.l -= nl ? len + 1 : len;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l)
			continue;
		if (line.l < 2 || line.p[1] != '=' || line.p[0] < 'a' ||
		    line.p[0] > 'z')
			return false;
		if (first && pl_strcmp(&line, "v=0"))
			return false;
		first = false;
		if (line.p[0] == 'c') {
			struct pl net, addr;
			struct sa sa;

			if (re_regex(line.p, line.l, "c=IN IP[46]1 [^ /]+",
				     &net, &addr) ||
			    sa_set(&sa, &addr, 0))
				return false;
		}
		else if (line.p[0] == 'm') {
			struct pl port;

			if (re_regex(line.p, line.l, "m=[^ ]+ [0-9]+", NULL,
				     &port) || pl_u32(&port) > 65535)
				return false;
		}
	}
	return !first;
}

/* The body is read from the SIP message's buffer, whose position marks
 * where the body starts; put it back so the message stays intact. */
static int sdp_decode_keep(struct sdp_session *sess, struct mbuf *mb,
			   bool offer)
{
	size_t pos = mb->pos;
	int err;

	if (!sdp_sane(mb))
		return EBADMSG;
	err = sdp_decode(sess, mb, offer);

	mb->pos = pos;
	return err;
}

static const char *dir_word(enum sdp_dir d)
{
	switch (d) {
	case SDP_SENDRECV: return "sendrecv";
	case SDP_SENDONLY: return "sendonly";
	case SDP_RECVONLY: return "recvonly";
	default:           return "inactive";
	}
}

/* A static payload type offered without a=rtpmap has no name of its own:
 * it is the local format with that number. */
static const char *fmt_name(const struct sdp_media *m,
			    const struct sdp_format *f)
{
	const struct sdp_format *lf;

	if (f->name)
		return f->name;
	lf = f->pt < 96 ? sdp_media_lformat(m, f->pt) : NULL;
	return lf ? lf->name : NULL;
}

/* An extension the peer offers (RFC 8285 one-byte ids, 1 to 14) in the
 * direction that is of use: RFC 6464 levels it sends, RFC 6465 levels
 * it receives */
struct extmap_want {
	const char *uri;
	enum sdp_dir dir;       /* what the peer must do with it */
	uint8_t id;
};

static bool extmap_h(const char *name, const char *value, void *arg)
{
	struct sdp_extmap ext;
	struct extmap_want *w = arg;

	(void)name;
	if (sdp_extmap_decode(&ext, value) ||
	    pl_strcasecmp(&ext.name, w->uri) ||
	    ext.id < 1 || ext.id > 14 ||
	    (ext.dir_set && !(ext.dir & w->dir)))
		return false;
	w->id = (uint8_t)ext.id;
	return true;
}

/* An error leaves the answer without an extension that res says was
 * taken: the caller must not answer then */
static int level_ext(struct sdpneg *sn, struct sdpneg_result *res)
{
	struct extmap_want lv = {SDPNEG_AUDIO_LEVEL, SDP_SENDONLY, 0};
	struct extmap_want lr = {SDPNEG_AUDIO_LEVEL, SDP_RECVONLY, 0};
	struct extmap_want cl = {SDPNEG_CSRC_LEVEL, SDP_RECVONLY, 0};
	uint8_t lid, sid;
	int err = 0;

	(void)sdp_media_rattr_apply(sn->audio, "extmap", extmap_h, &lv);
	(void)sdp_media_rattr_apply(sn->audio, "extmap", extmap_h, &lr);
	(void)sdp_media_rattr_apply(sn->audio, "extmap", extmap_h, &cl);
	lid = res->level_id = lv.id;
	/* mixing for itself, it gets each talker's level (RFC 6464 the
	 * other way) where it takes them */
	sid = res->self_level_id = res->self_mix ? lr.id : 0;
	res->csrc_level_id = cl.id != lid && cl.id != sid ? cl.id : 0;
	/* our answer takes them: we receive the one, send the others */
	sdp_media_del_lattr(sn->audio, "extmap");
	if (lid)
		err = sdp_media_set_lattr(sn->audio, false, "extmap", "%u%s %s",
					  lid, sid == lid ? "" : "/recvonly",
					  SDPNEG_AUDIO_LEVEL);
	if (!err && sid && sid != lid)
		err = sdp_media_set_lattr(sn->audio, false, "extmap",
					  "%u/sendonly %s", sid,
					  SDPNEG_AUDIO_LEVEL);
	if (!err && res->csrc_level_id)
		err = sdp_media_set_lattr(sn->audio, false, "extmap",
					  "%u/sendonly %s",
					  res->csrc_level_id,
					  SDPNEG_CSRC_LEVEL);
	return err;
}

/* Distributed mixing: do they say they mix for themselves, and is it
 * taken (plain RTP only: libre's SRTP context keeps at most 8 SSRCs, and
 * talkers come and go; then our answer says so too, else it says
 * nothing of it). Made again when the answer is encoded (the policy may
 * have been told meanwhile), with the level extensions that follow */
/* Our x-caucus-multicast line (sdpneg.h) */
static int mcast_line(struct sdpneg *sn)
{
	return sdp_media_set_lattr(sn->audio, false, SDPNEG_MCAST_ATTR,
				   "%j %u %u/%s/%u ssrc=%u", &sn->mc_group,
				   sa_port(&sn->mc_group),
				   (unsigned)sn->mc_codec,
				   media_codec_name(sn->mc_codec),
				   media_rtp_clock(sn->mc_codec),
				   sn->voice_ssrc);
}

/* (answering: we answer their offer, else they answered ours, which
 * named the group or not) */
static int mixing_attr(struct sdpneg *sn, struct sdpneg_result *res,
		       bool answering)
{
	const char *v = sdp_media_rattr(sn->audio, SDPNEG_MIXING_ATTR);
	int err = 0;

	res->mixes_self = !res->removed && v && !strcasecmp(v, "self");
	res->self_mix = res->mixes_self && sn->mix_allow &&
		res->sec == SDPSEC_PLAIN;
	sdp_media_del_lattr(sn->audio, SDPNEG_MIXING_ATTR);
	sdp_media_del_lattr(sn->audio, SDPNEG_MCAST_ATTR);
	sn->self_taken = res->self_mix;
	res->mcast = res->self_mix && sa_isset(&sn->mc_group, SA_ALL) &&
		res->codec == sn->mc_codec && (answering || sn->mc_offered);
	sa_init(&res->mcast_group, AF_UNSPEC);
	if (res->mcast)
		res->mcast_group = sn->mc_group;
	if (res->self_mix)
		err = sdp_media_set_lattr(sn->audio, false,
					  SDPNEG_MIXING_ATTR, "self");
	if (!err && res->mcast)
		err = mcast_line(sn);
	return err ? err : res->removed ? 0 : level_ext(sn, res);
}

void sdpneg_set_mixing(struct sdpneg *sn, bool allow)
{
	sn->mix_allow = allow;
}

void sdpneg_set_multicast(struct sdpneg *sn, const struct sa *group,
			  enum media_codec codec)
{
	if (group ? sa_cmp(group, &sn->mc_group, SA_ALL) &&
	    codec == sn->mc_codec : !sa_isset(&sn->mc_group, SA_ALL))
		return;
	sn->mc_offered = false;         /* an offer of another group */
	sn->mc_codec = codec;
	if (group)
		sn->mc_group = *group;
	else
		sa_init(&sn->mc_group, AF_UNSPEC);
}

uint32_t sdpneg_voice_ssrc(const struct sdpneg *sn)
{
	return sn->voice_ssrc;
}

static bool codec_of(const char *name, enum media_codec *c)
{
	static const struct { const char *name; enum media_codec c; } t[] = {
		{"PCMU", MEDIA_PCMU}, {"PCMA", MEDIA_PCMA},
		{"G722", MEDIA_G722}, {"opus", MEDIA_OPUS},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcasecmp(name, t[i].name)) {
			*c = t[i].c;
			return true;
		}
	}
	return false;
}

/* The codec chosen goes first among ours, so that the answer lists it
 * first and the peer sends what we decided (RFC 3264 s. 6.1: the
 * answerer's order is its preference) */
static void first_in_answer(struct sdpneg *sn, const char *name)
{
	struct list *lst = (struct list *)sdp_media_format_lst(sn->audio,
							       true);

	for (struct le *le = list_head(lst); le; le = le->next) {
		struct sdp_format *lf = le->data;

		if (lf->name && !strcasecmp(lf->name, name)) {
			list_unlink(&lf->le);
			list_prepend(lst, &lf->le, lf);
			return;
		}
	}
}

/* Reads the negotiated state out of the session after a decode (of an
 * offer, or of the answer to ours). */
static int result_get(struct sdpneg *sn, struct sdpneg_result *res,
		      const char **reason, bool offer)
{
	int err;

	const struct sdp_format *fmt, *te;
	struct le *le;
	enum sdp_dir dir;

	memset(res, 0, sizeof(*res));
	if (!sdp_media_rport(sn->audio) || sdp_media_disabled(sn->audio)) {
		*reason = "No audio stream in the offer";
		return EPROTO;
	}
	/* the offerer's order is its preference: take its first codec */
	fmt = NULL;
	for (le = sdp_media_format_lst(sn->audio, false)->head; le;
	     le = le->next) {
		const struct sdp_format *f = le->data;
		const char *name = fmt_name(sn->audio, f);

		if (f->sup && name && codec_of(name, &res->codec)) {
			fmt = f;
			break;
		}
	}
	if (!fmt) {
		*reason = "Not Acceptable Here: no common codec "
			"(caucus takes PCMU, PCMA, G722, opus)";
		return ENOTSUP;
	}
	res->pt = (uint8_t)fmt->pt;
	if (res->codec == MEDIA_OPUS)
		media_opus_fmtp_parse(&res->opus, fmt->params);
	first_in_answer(sn, fmt_name(sn->audio, fmt));
	te = sdp_media_rformat(sn->audio, "telephone-event");
	res->telev_pt = te ? te->pt : -1;
	res->rtp = *sdp_media_raddr(sn->audio);
	sdp_media_raddr_rtcp(sn->audio, &res->rtcp);
	dir = sdp_media_dir(sn->audio);
	/* c=0.0.0.0 is the RFC 2543 way to say hold */
	if (!sa_isset(&res->rtp, SA_ADDR))
		dir &= ~SDP_SENDONLY;
	res->send = dir & SDP_SENDONLY;
	res->recv = dir & SDP_RECVONLY;
	res->dir = dir_word(dir);
	err = offer ? sdpsec_answer(&sn->sec_state, sn->sess, sn->audio,
				    &sn->sec, res, reason) :
		sdpsec_take_answer(&sn->sec_state, sn->sess, sn->audio,
				   &sn->sec, res,
				   reason);
	return err ? err : mixing_attr(sn, res, offer);
}

/* audio taken away (port 0 on either side) inside a call */
static void removed(struct sdpneg_result *res, const char **reason)
{
	memset(res, 0, sizeof(*res));
	res->removed = true;
	res->telev_pt = -1;
	res->dir = "inactive";
	*reason = NULL;
}

static int answer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		  struct sdpneg_result *res, const char **reason,
		  bool allow_removed)
{
	int err;

	*reason = NULL;
	sdpvideo_prepare(&sn->vid, sn->video, sn->fecc);
	err = sdp_decode_keep(sn->sess, offer, true);
	if (err == ENOMEM)
		return err;             /* not the offer's fault */
	if (err) {
		*reason = "Malformed SDP";
		return EBADMSG;
	}
	err = result_get(sn, res, reason, true);
	if (err == EPROTO && allow_removed) {
		/* audio taken away: answer it with port 0, keep the call */
		removed(res, reason);
		err = 0;
	}
	if (err)
		return err;
	sdpbfcp_take_offer(&sn->bfcp_st, sn->bfcp, sn->audio, res);
	sdpvideo_take(&sn->vid, sn->sess, sn->video, sn->fecc, &sn->sec,
		      &res->video, false);
	return ansp ? sdpneg_answer_encode(sn, ansp, res) : 0;
}

int sdpneg_answer_encode(struct sdpneg *sn, struct mbuf **ansp,
			 struct sdpneg_result *res)
{
	int err = sdpbfcp_lines(&sn->bfcp_st, sn->bfcp, sn->audio, true);

	err = err ? err : mixing_attr(sn, res, true);

	res->bfcp = res->bfcp && sn->bfcp_st.on;
	return err ? err : sdp_encode(ansp, sn->sess, false);
}

int sdpneg_answer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		  struct sdpneg_result *res, const char **reason)
{
	return answer(sn, offer, ansp, res, reason, false);
}

int sdpneg_reanswer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		    struct sdpneg_result *res, const char **reason)
{
	return answer(sn, offer, ansp, res, reason, true);
}

int sdpneg_offer(struct sdpneg *sn, struct mbuf **offerp)
{
	int err = sdpsec_offer(&sn->sec_state, sn->audio, &sn->sec);

	/* an endpoint that mixes for itself may say so in its answer */
	sdp_media_del_lattr(sn->audio, SDPNEG_MIXING_ATTR);
	if (!err && sn->mix_allow)
		err = sdp_media_set_lattr(sn->audio, false,
					  SDPNEG_MIXING_ATTR, "self");
	/* and one that does gets the group again (its answer decides) */
	sdp_media_del_lattr(sn->audio, SDPNEG_MCAST_ATTR);
	sn->mc_offered = !err && sn->mix_allow && sn->self_taken &&
		sa_isset(&sn->mc_group, SA_ALL);
	if (sn->mc_offered)
		err = mcast_line(sn);

	err = err ? err : sdpvideo_offer(&sn->vid, sn->video, sn->fecc,
					 &sn->sec);
	err = err ? err : sdpbfcp_lines(&sn->bfcp_st, sn->bfcp, sn->audio,
					false);
	return err ? err : sdp_encode(offerp, sn->sess, true);
}

void sdpneg_prefer(struct sdpneg *sn, const char *codec)
{
	struct sdp_format *fmt = sdp_media_format(sn->audio, true, NULL, -1,
						  codec, -1, -1);
	struct list *l = fmt ? fmt->le.list : NULL;

	if (!l || l->head == &fmt->le)
		return;
	list_unlink(&fmt->le);
	list_prepend(l, &fmt->le, fmt);
}

int sdpneg_handle_answer(struct sdpneg *sn, struct mbuf *answer,
			 struct sdpneg_result *res, const char **reason,
			 bool allow_removed)
{
	int err;

	*reason = NULL;
	sdpvideo_prepare(&sn->vid, sn->video, sn->fecc);
	err = sdp_decode_keep(sn->sess, answer, false);
	if (err == ENOMEM)
		return err;             /* not the answer's fault */
	if (err) {
		*reason = "Malformed SDP";
		return EBADMSG;
	}
	err = result_get(sn, res, reason, false);
	if (err == EPROTO && allow_removed) {
		removed(res, reason);
		err = 0;
	}
	if (!err) {
		sdpbfcp_take_answer(&sn->bfcp_st, sn->bfcp, res);
		sdpvideo_take(&sn->vid, sn->sess, sn->video, sn->fecc,
			      &sn->sec, &res->video, true);
	}
	return err;
}

void sdpneg_set_audio(struct sdpneg *sn, const char *status)
{
	enum sdp_dir d = SDP_SENDRECV;

	/* the participants' view, so ours is its mirror */
	if (!strcmp(status, "recvonly"))
		d = SDP_SENDONLY;
	else if (!strcmp(status, "sendonly"))
		d = SDP_RECVONLY;
	else if (!strcmp(status, "inactive"))
		d = SDP_INACTIVE;
	sdp_media_set_ldir(sn->audio, d);
	sdp_media_set_disabled(sn->audio, !strcmp(status, "none"));
}

void sdpneg_set_bfcp(struct sdpneg *sn, const struct sa *addr,
		     uint16_t port, uint32_t confid, const char *userid)
{
	sdpbfcp_set(&sn->bfcp_st, sn->bfcp, addr, port, confid, userid);
}

void sdpneg_set_video(struct sdpneg *sn, const char *status, bool fecc,
		      sdpneg_port_h *port_h, void *arg)
{
	re_snprintf(sn->vid.status, sizeof(sn->vid.status), "%s", status);
	sn->vid.fecc_allowed = fecc;
	sn->vid.port_h = port_h;
	sn->vid.arg = arg;
}

void sdpneg_video_port_gone(struct sdpneg *sn, bool fecc)
{
	if (fecc)
		sn->vid.fport = 0;
	else
		sn->vid.port = 0;
}

void sdpneg_offer_video(struct sdpneg *sn)
{
	sn->vid.offer = true;
}
