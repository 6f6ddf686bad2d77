/* DTLS-SRTP of a call (dtls.c): the handshakes on its media ports and
 * their keys. Private to the sip module. Signalling thread. */
#ifndef CAUCUS_DTLS_H
#define CAUCUS_DTLS_H

#include "sip/sdpneg.h"
#include "sip/sip_int.h"

struct dtls_call;
struct mixer_srtp;

/* New keys (a handshake done): the call gives them to its stream */
typedef void (dtls_keys_h)(void *arg);
/* The call cannot be secured (why: for the BYE's Reason); the handler
 * ends the call, and frees the dtls_call with it */
typedef void (dtls_fail_h)(const char *why, void *arg);

/* The certificate of DTLS-SRTP for this run and its fingerprint
 * (f->dtls_tls, f->dtls_fp); without it DTLS-SRTP offers get 488 */
int  focus_dtls_init(struct focus *f);
/* After a negotiation r: starts (first time: dups fd, the RTP and RTCP
 * sockets our records go out from), restarts (a new fingerprint or
 * setup) or ends (no DTLS-SRTP now) the call's DTLS. sig_src: where the
 * INVITE came from (NULL: a dial-out). */
int  dtls_call_update(struct dtls_call **dcp, struct focus *f,
		      const struct sdpneg_result *r, const struct sa *sig_src,
		      const int fd[2], dtls_keys_h *keysh, dtls_fail_h *failh,
		      void *arg);
/* The keys so far into k (rtp and rtcp; unset ones: not yet) */
void dtls_call_keys(const struct dtls_call *dc, struct mixer_srtp *k);
/* A DTLS record the mixer read at the call's RTP or RTCP port */
void dtls_call_packet(struct dtls_call *dc, bool rtcp,
		      const struct sockaddr_storage *src, socklen_t srclen,
		      const uint8_t *data, size_t len);

#endif
