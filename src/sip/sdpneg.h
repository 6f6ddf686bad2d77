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

/* The conference's audio (conf_audio()): our direction is its mirror,
 * "none" offers and answers audio with port 0 */
void sdpneg_set_audio(struct sdpneg *sn, const char *status);

/* BFCP (RFC 8856): the floor control server's address (NULL: the one
 * of the session, our RTP's) and port (0: BFCP off, every BFCP stream
 * answered with port 0), the conference id (conf_room) and the
 * participant's user id (part_id; NULL: not known yet, set it before
 * the answer is encoded). Takes effect from the next answer. */
void sdpneg_set_bfcp(struct sdpneg *sn, const struct sa *addr,
		     uint16_t port, uint32_t confid, const char *userid);

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
