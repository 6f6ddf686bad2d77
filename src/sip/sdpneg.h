/*
 * SDP offer/answer for one audio stream (RFC 3264) on top of libre's sdp:
 * PCMU, PCMA and telephone-event; the result says what to send, where,
 * and in which directions. Private to the sip module (and its unit tests).
 * Signalling thread.
 */
#ifndef CAUCUS_SDPNEG_H
#define CAUCUS_SDPNEG_H

#include <stdbool.h>
#include <re.h>
#include "media/media.h"

struct sdpneg;

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
};

#define SDPNEG_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDPNEG_CSRC_LEVEL "urn:ietf:params:rtp-hdrext:csrc-audio-level"

int sdpneg_alloc(struct sdpneg **snp, const struct sa *laddr,
		 uint16_t rtp_port);
/* A received offer. Errors: EBADMSG malformed SDP, EPROTO no audio stream
 * we can take, ENOTSUP no codec in common. reason gets a short text for
 * the SIP response. */
int sdpneg_answer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		  struct sdpneg_result *res, const char **reason);
/* The same for an offer inside an established call (re-INVITE): a stream
 * the peer removes (port 0) is answered with port 0 and res->removed;
 * streams it adds that caucus does not mix (video, ...) get port 0 in
 * the answer while the rest goes on. */
int sdpneg_reanswer(struct sdpneg *sn, struct mbuf *offer, struct mbuf **ansp,
		    struct sdpneg_result *res, const char **reason);
int sdpneg_offer(struct sdpneg *sn, struct mbuf **offerp);
/* An answer to our offer; allow_removed: inside a call, audio at port 0
 * (the peer rejected it, or we offered none) is res->removed, not an
 * error. */
int sdpneg_handle_answer(struct sdpneg *sn, struct mbuf *answer,
			 struct sdpneg_result *res, const char **reason,
			 bool allow_removed);
/* The conference's audio (conf_audio()): our direction is its mirror,
 * "none" offers and answers audio with port 0 */
void sdpneg_set_audio(struct sdpneg *sn, const char *status);

#endif
