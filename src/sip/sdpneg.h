/*
 * SDP offer/answer for one audio stream (RFC 3264) on top of libre's sdp:
 * PCMU, PCMA and telephone-event; the result says what to send, where,
 * and in which directions. Beside it, at most one BFCP stream (RFC 8856,
 * sdpbfcp.c) to the focus's floor control server. Private to the sip
 * module (and its unit tests). Signalling thread.
 */
#ifndef CAUCUS_SDPNEG_H
#define CAUCUS_SDPNEG_H

#include <stdbool.h>
#include <re.h>
#include "media/media.h"
#include "video/video.h"

struct sdpneg;

/* Media security (sdpsec.c) */
enum sdpsec_mode { SDPSEC_OPTIONAL, SDPSEC_REQUIRED, SDPSEC_OFF };
enum sdpsec_kind { SDPSEC_PLAIN, SDPSEC_SDES, SDPSEC_DTLS };
#define SDPSEC_KEY_MAX 30          /* master key and salt, bytes */
#define SDPSEC_FP_LEN 32           /* sha-256 */

struct sdpsec_cfg {
	enum sdpsec_mode mode;     /* the conference's srtp policy */
	bool have_dtls;            /* a DTLS certificate to answer with */
	uint8_t fingerprint[SDPSEC_FP_LEN];   /* its sha-256 */
};

/* What one call keeps: its own keys, made once, and what was agreed
 * (our re-offers say it again, and the answers to them must match) */
struct sdpsec_state {
	uint8_t own[3][SDPSEC_KEY_MAX];
	bool own_made[3];
	bool negotiated;           /* re-offers keep the profile agreed */
	enum sdpsec_kind kind;     /* agreed: plain, SDES, DTLS-SRTP */
	unsigned tag;              /* SDES: the a=crypto tag and suite */
	int suite;                 /* (index in sdpsec.c's table) */
};

/* Media security agreed for one RTP stream (video, camera control) */
struct sdpneg_sec {
	enum sdpsec_kind kind;     /* plain or SDES (never DTLS: video and
				    * FECC over DTLS-SRTP get port 0) */
	enum srtp_suite suite;
	size_t key_len;
	uint8_t rx_key[SDPSEC_KEY_MAX], tx_key[SDPSEC_KEY_MAX];
};

/* A video stream or an H.224 camera control stream (RFC 4573) as
 * negotiated (sdpvideo.c) */
struct sdpneg_stream {
	bool on;                   /* negotiated with a port (else none, or
				    * answered with port 0) */
	uint8_t pt;
	struct sa rtp, rtcp;       /* theirs */
	uint16_t lport;            /* ours */
	bool send, recv;           /* as for audio */
	const char *dir;
	struct sdpneg_sec sec;
};

struct sdpneg_video {
	struct sdpneg_stream v;
	enum video_codec codec;
	uint8_t fb;                /* VIDEO_FB_* of their a=rtcp-fb */
	uint32_t max_kbps;         /* their b=TIAS or b=AS (0: none) */
	const char *why_off;       /* offered but not taken: why (NULL: not
				    * offered, or taken) */
	struct sdpneg_stream fecc; /* H.224, only beside video */
};

struct sdpneg_result {
	enum media_codec codec;
	uint8_t pt;
	int telev_pt;              /* -1 when not negotiated */
	struct sa rtp;             /* remote RTP address */
	struct sa rtcp;            /* remote RTCP address */
	bool send;                 /* we may send to them */
	bool recv;                 /* they will send to us */
	const char *dir;           /* our direction, as an SDP word */
	bool removed;              /* a re-offer took the audio away
				    * (port 0): no media, the call stays */
	uint8_t level_id;          /* RFC 6464 audio level header extension
				    * id they send (0: none) */
	uint8_t csrc_level_id;     /* RFC 6465 mixer-to-client levels id
				    * they want from us (0: none) */
	struct media_opus_fmtp opus;   /* Opus: their fmtp */
	/* distributed mixing (spec s. 6.4): they said they mix for
	 * themselves (a=x-caucus-mixing:self on the audio), and we took it
	 * (sdpneg_set_mixing allowed it: our answer echoes it) */
	bool mixes_self;
	bool self_mix;
	/* and it was told the conference's multicast group
	 * (sdpneg_set_multicast; in our answer, or in the offer it
	 * answered) and negotiated the group's codec: the group, else
	 * unset */
	bool mcast;
	struct sa mcast_group;
	uint8_t self_level_id;     /* then: RFC 6464 levels of each talker
				    * in what we send, with this id (their
				    * extmap lets them receive it; 0: no) */
	/* media security: plain; SDES with the suite and both keys (rx:
	 * theirs, tx: ours); DTLS-SRTP with their fingerprint and whether
	 * we start the handshake (they said passive) */
	enum sdpsec_kind sec;
	enum srtp_suite suite;
	size_t key_len;
	uint8_t rx_key[SDPSEC_KEY_MAX], tx_key[SDPSEC_KEY_MAX];
	uint8_t peer_fp[SDPSEC_FP_LEN];
	bool dtls_active;
	/* BFCP (RFC 8856): a stream taken, we the floor control server;
	 * over UDP (else TCP, we passive); the client's address as its SDP
	 * gave it (port 9 for a TCP client that connects: RFC 4145) */
	bool bfcp;
	bool bfcp_udp;
	struct sa bfcp_peer;
	/* video and camera control (sdpvideo.c) */
	struct sdpneg_video video;
};

#define SDPNEG_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDPNEG_CSRC_LEVEL "urn:ietf:params:rtp-hdrext:csrc-audio-level"

/* sec NULL: plain RTP only (SDPSEC_OFF without DTLS) */
int sdpneg_alloc(struct sdpneg **snp, const struct sa *laddr,
		 uint16_t rtp_port, const struct sdpsec_cfg *sec);
/* A received offer. Errors: EBADMSG malformed SDP, EPROTO no audio stream
 * we can take, ENOTSUP no codec in common. reason gets a short text for
 * the SIP response. ansp NULL: the answer is made later, by
 * sdpneg_answer_encode (when the BFCP user id is known only then). */
int sdpneg_answer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		  struct sdpneg_result *res, const char **reason);
/* The same for an offer inside an established call (re-INVITE): a stream
 * the peer removes (port 0) is answered with port 0 and res->removed;
 * streams it adds that caucus does not mix (video, ...) get port 0 in
 * the answer while the rest goes on. */
int sdpneg_reanswer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		    struct sdpneg_result *res, const char **reason);
/* The answer to the offer sdpneg_answer took (with ansp NULL); res is
 * that call's, and says BFCP is off when no user id was set since */
int sdpneg_answer_encode(struct sdpneg *sn, struct mbuf **ansp,
			 struct sdpneg_result *res);
/* Our offer: audio; BFCP only as it was negotiated (a stream the peer
 * offered stays, at port 0 once it ended; we never add one) */
int sdpneg_offer(struct sdpneg *sn, struct mbuf **offerp);
/* Our offers name codec (PCMU, PCMA, G722, opus) first */
void sdpneg_prefer(struct sdpneg *sn, const char *codec);
/* An answer to our offer; allow_removed: inside a call, audio at port 0
 * (the peer rejected it, or we offered none) is res->removed, not an
 * error. */
int sdpneg_handle_answer(struct sdpneg *sn, struct mbuf *answer,
			 struct sdpneg_result *res, const char **reason,
			 bool allow_removed);
/* sdpsec.c, for sdpneg.c: the kind of a profile; the answer to an offer
 * (after its decode), our offer's lines, and an answer to our offer */
enum sdpsec_kind sdpsec_kind_of(const char *proto);
int  sdpsec_answer(struct sdpsec_state *st, const struct sdp_session *sess,
		   struct sdp_media *m, const struct sdpsec_cfg *cfg,
		   struct sdpneg_result *res, const char **reason);
int  sdpsec_offer(struct sdpsec_state *st, struct sdp_media *m,
		  const struct sdpsec_cfg *cfg);
int  sdpsec_take_answer(struct sdpsec_state *st,
			const struct sdp_session *sess, struct sdp_media *m,
			const struct sdpsec_cfg *cfg,
			struct sdpneg_result *res, const char **reason);
/* %H: a sha-256 fingerprint as SDP writes it (AB:CD:...) */
int  sdpsec_fp_print(struct re_printf *pf, void *md);

/* The mixer stream's settings a negotiation gives (call_media.c, for a
 * call's stream and a mixer process's connection): addresses, codec,
 * payload types, directions (held is not mixed), RFC 6464/6465 ids and
 * the Opus fmtp; everything else zero */
struct mixer_media;
void sdpneg_mixer_media(struct mixer_media *m,
			const struct sdpneg_result *r);

/* The conference's audio (conf_audio()): our direction is its mirror,
 * "none" offers and answers audio with port 0 */
void sdpneg_set_audio(struct sdpneg *sn, const char *status);

/* Distributed mixing (spec s. 6.4): may the endpoint mix for itself
 * (the conference's policy for this participant)? Allowed, an audio
 * stream with a=x-caucus-mixing:self is taken as such (res->self_mix)
 * and our answer echoes the attribute, and our offers carry it (the
 * endpoint may answer with it); not allowed (the default), the attribute
 * is ignored and never sent. Takes effect from the next offer or
 * answer. */
#define SDPNEG_MIXING_ATTR "x-caucus-mixing"
void sdpneg_set_mixing(struct sdpneg *sn, bool allow);
/* Distributed mixing over a multicast group (docs/media-policy.md): the
 * conference's group and the codec it carries (group NULL: none). An
 * endpoint whose self mixing is taken and whose codec is the group's
 * is told, in our answer and in our offers once it took self mixing:
 *   a=x-caucus-multicast:<address> <port> <pt>/<codec>/<clock> ssrc=<n>
 * n being the SSRC of its own voice there (sdpneg_voice_ssrc, the
 * call's for its life), to drop; res->mcast says so. An endpoint that
 * did not ask to mix for itself never sees it. Takes effect from the
 * next offer or answer. */
#define SDPNEG_MCAST_ATTR "x-caucus-multicast"
void sdpneg_set_multicast(struct sdpneg *sn, const struct sa *group,
			  enum media_codec codec);
uint32_t sdpneg_voice_ssrc(const struct sdpneg *sn);

/* BFCP (RFC 8856): the floor control server's address (NULL: the one
 * of the session, our RTP's) and port (0: BFCP off, every BFCP stream
 * answered with port 0), the conference id (conf_room) and the
 * participant's user id (part_id; NULL: not known yet, set it before
 * the answer is encoded). Takes effect from the next answer. */
void sdpneg_set_bfcp(struct sdpneg *sn, const struct sa *addr,
		     uint16_t port, uint32_t confid, const char *userid);

/* Video (sdpvideo.c): the conference's video status (conf_video(); "none":
 * port 0), whether camera control (H.224) is answered, and where the
 * call's port pairs come from: port_h is asked once per stream, when it
 * is first taken or offered (fecc: the H.224 stream's); an error leaves
 * the stream at port 0. Takes effect from the next offer or answer. */
typedef int (sdpneg_port_h)(bool fecc, uint16_t *port, void *arg);
void sdpneg_set_video(struct sdpneg *sn, const char *status, bool fecc,
		      sdpneg_port_h *port_h, void *arg);
/* The port pair of the video (fecc: the H.224) stream is gone with its
 * stream: the next offer or answer that takes it asks port_h again */
void sdpneg_video_port_gone(struct sdpneg *sn, bool fecc);
/* Our offers carry video from now on (a dial-out, an INVITE without SDP
 * in a conference with video); a call that negotiated video keeps it */
void sdpneg_offer_video(struct sdpneg *sn);

/* sdpvideo.c, for sdpneg.c */
struct sdpvideo_state {
	struct sdpsec_state sec, fsec;   /* the streams' own SDES keys */
	char status[10];
	bool fecc_allowed;
	bool offer;                /* our offers carry video */
	bool offered;              /* the last one did, with a port */
	sdpneg_port_h *port_h;
	void *arg;
	uint16_t port, fport;      /* 0: none yet */
};
int  sdpvideo_media_add(struct sdp_media **vp, struct sdp_media **fp,
			struct sdp_session *sess, enum sdpsec_mode mode);
/* Before the decode of an offer or answer */
void sdpvideo_prepare(struct sdpvideo_state *st, struct sdp_media *v,
		      struct sdp_media *f);
/* After the decode of an offer (answer false) or of an answer to ours */
void sdpvideo_take(struct sdpvideo_state *st, const struct sdp_session *sess,
		   struct sdp_media *v, struct sdp_media *f,
		   const struct sdpsec_cfg *cfg, struct sdpneg_video *res,
		   bool answer);
/* Before our offer is encoded */
int  sdpvideo_offer(struct sdpvideo_state *st, struct sdp_media *v,
		    struct sdp_media *f, const struct sdpsec_cfg *cfg);

/* sdpbfcp.c, for sdpneg.c: what one call's BFCP stream is */
#define SDPBFCP_LABEL_MAX 32
struct sdpbfcp_state {
	uint16_t port;             /* settings (sdpneg_set_bfcp) */
	uint32_t confid;
	char userid[6];            /* "": unknown; BFCP's are 16 bits */
	bool on;                   /* negotiated: the stream is ours */
	bool udp;
	bool existing;             /* the offer reuses the connection */
	unsigned ver;              /* bfcpver to answer (0: not offered) */
	char label[SDPBFCP_LABEL_MAX + 1];   /* of our audio stream */
};
int  sdpbfcp_media_add(struct sdp_media **mp, struct sdp_session *sess);
void sdpbfcp_set(struct sdpbfcp_state *st, struct sdp_media *m,
		 const struct sa *addr, uint16_t port, uint32_t confid,
		 const char *userid);
/* After the decode of an offer (of an answer to ours): on or off, into
 * st and res */
void sdpbfcp_take_offer(struct sdpbfcp_state *st, struct sdp_media *m,
			const struct sdp_media *audio,
			struct sdpneg_result *res);
void sdpbfcp_take_answer(struct sdpbfcp_state *st, struct sdp_media *m,
			 struct sdpneg_result *res);
/* Before every encode: the stream's attributes and our audio's label
 * (answer: false for an offer of ours) */
int  sdpbfcp_lines(struct sdpbfcp_state *st, struct sdp_media *m,
		   struct sdp_media *audio, bool answer);

#endif
