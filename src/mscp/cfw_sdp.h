/*
 * The SDP of a control channel (RFC 6230 s. 4 with COMEDIA, RFC 4145):
 *
 *   m=application <port> TCP cfw
 *   a=setup:active | passive
 *   a=connection:new
 *   a=cfw-id:<the channel's id, the SYNC's Dialog-ID>
 *
 * The AS offers setup active (it connects; port 9, RFC 4145 s. 4) and
 * its cfw-id; the MS answers passive with the port it listens on and the
 * same cfw-id. Made and read with libre's SDP API (cfw_sdp.c).
 * Internal to src/mscp; signalling thread.
 */
#ifndef CAUCUS_MSCP_CFW_SDP_H
#define CAUCUS_MSCP_CFW_SDP_H

#include <stddef.h>

struct mbuf;
struct sa;
struct sdp_session;

#define CFW_SDP_ID_MAX 64

/* AS: its offer (sessp keeps the session for reading the answer) */
int cfw_sdp_offer(struct sdp_session **sessp, struct mbuf **offerp,
		  const struct sa *laddr, const char *cfw_id);
/* AS: the MS's answer: where to connect. EPROTO: not a passive TCP cfw
 * stream with our cfw-id */
int cfw_sdp_answer_read(struct sdp_session *sess, struct mbuf *answer,
			const char *cfw_id, struct sa *peer);
/* MS: an offer, its cfw-id (for the SYNC's Dialog-ID) and our answer,
 * listening at listen. EPROTO: no application TCP cfw stream, a setup
 * other than active or actpass, a connection other than new, or no
 * cfw-id (a SIP UAS answers 488) */
int cfw_sdp_answer(struct mbuf **answerp, char *cfw_id, size_t idsz,
		   struct mbuf *offer, const struct sa *listen);

#endif
