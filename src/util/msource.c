/*
 * Whose media a stream takes: only its owner's. Without this rule anyone
 * who learns (or sprays) a participant's media port is mixed into the
 * room ("RTP bleed"), and the first stranger's RTCP steers our reports.
 *
 * The rule (in the spirit of Asterisk's strictrtp, stricter on re-maps):
 *  - the address the SDP signalled is the owner's: its packets are always
 *    taken, and make it the source again;
 *  - the current source (the signalled address, or one learnt as below)
 *    is taken as long as it sends;
 *  - another address becomes the source only after PROBATION packets in
 *    sequence (each seq one more than the last), of one SSRC, from that
 *    one address, while the current source has been silent for SILENT_MS.
 *    A caller behind a NAT, whose SDP names a private address, is learnt
 *    so (its first 60 ms are lost). Once a source is known, a new address
 *    must also carry the source's own SSRC (a NAT that re-mapped keeps
 *    the SSRC): an off-path stranger knows neither it nor the sequence;
 *  - everything else is dropped and counted (rx_stranger).
 * RTCP is taken from the signalled RTCP address, or from the current RTP
 * source's host, nothing else.
 *
 * What this does not stop: a stranger who wins the race at the very
 * start of a call whose SDP address is not where its media comes from
 * (it must send PROBATION in-sequence packets to the right port before
 * the caller's first one arrives, or after a re-INVITE names a new
 * address), and anyone on the path who can read the SSRC and forge the
 * source address. With SRTP such a stranger's media is never mixed (it
 * does not authenticate) and what we send it cannot be read, but the
 * rule runs before authentication (libre's srtp moves a context's
 * rollover state before it checks the tag: strangers must not reach
 * it), so a stranger who wins that race becomes the source, and a
 * caller behind a NAT (another SSRC) is refused until a re-INVITE names
 * a new address: a denial of service, not a leak.
 *
 * The stream's own thread (msource_signal: at commands). No allocation.
 */
#include <string.h>
#include <netinet/in.h>
#include "util/msource.h"

#define PROBATION 4
#define SILENT_MS 200

void msource_signal(struct msource *ms, const struct sockaddr_storage *rtp,
		    socklen_t rtp_len, const struct sockaddr_storage *rtcp,
		    socklen_t rtcp_len)
{
	bool moved = rtp_len != ms->sig_len ||
		(rtp_len && !msource_addr_eq(rtp, &ms->sig, true));

	ms->sig_len = rtp_len;
	if (rtp_len)
		ms->sig = *rtp;
	ms->sig_rtcp_len = rtcp_len;
	if (rtcp_len)
		ms->sig_rtcp = *rtcp;
	/* a new address from signalling: what was learnt is history, the
	 * source's SSRC too (a new stream may come from behind a NAT) */
	if (moved) {
		ms->cur_len = 0;
		ms->cand_n = 0;
		ms->heard = false;
	}
}

static bool usable(const struct sockaddr_storage *a, socklen_t len)
{
	static const uint8_t zero[16];

	if (!len)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->
			sin_addr.s_addr != 0;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->
		      sin6_addr, zero, sizeof(zero)) != 0;
}

static enum msource_verdict take(struct msource *ms,
				 const struct sockaddr_storage *src,
				 socklen_t len, uint32_t ssrc, uint16_t seq,
				 uint32_t now_ms)
{
	bool same = ms->cur_len && msource_addr_eq(src, &ms->cur, true);

	if (!same) {          /* (a packet from where the last came
			       * copies no address) */
		ms->cur = *src;
		ms->cur_len = len;
	}
	ms->ssrc = ssrc;
	ms->seq = seq;
	ms->last_ms = now_ms;
	ms->heard = true;
	ms->cand_n = 0;
	return same ? MSOURCE_SAME : MSOURCE_NEW;
}

enum msource_verdict msource_rtp(struct msource *ms,
				 const struct sockaddr_storage *src,
				 socklen_t len, uint32_t ssrc, uint16_t seq,
				 uint32_t now_ms)
{
	/* the source now, else the signalled address: either is taken
	 * (the usual packet, from cur, reads nothing else) */
	if (ms->cur_len && msource_addr_eq(src, &ms->cur, true))
		return take(ms, src, len, ssrc, seq, now_ms);
	if (usable(&ms->sig, ms->sig_len) &&
	    msource_addr_eq(src, &ms->sig, true))
		return take(ms, src, len, ssrc, seq, now_ms);
	/* someone else, while the source still talks: never */
	if (ms->heard && now_ms - ms->last_ms < SILENT_MS)
		return MSOURCE_DROP;
	/* a re-map keeps the source's SSRC */
	if (ms->heard && ssrc != ms->ssrc)
		return MSOURCE_DROP;
	if (ms->cand_n && ms->cand_ssrc == ssrc &&
	    (uint16_t)(ms->cand_seq + 1) == seq &&
	    msource_addr_eq(src, &ms->cand, true)) {
		ms->cand_seq = seq;
		if (++ms->cand_n >= PROBATION)
			return take(ms, src, len, ssrc, seq, now_ms);
		return MSOURCE_DROP;
	}
	ms->cand = *src;
	ms->cand_ssrc = ssrc;
	ms->cand_seq = seq;
	ms->cand_n = 1;
	return MSOURCE_DROP;
}

bool msource_rtcp(const struct msource *ms, const struct sockaddr_storage *src)
{
	if (usable(&ms->sig_rtcp, ms->sig_rtcp_len) &&
	    msource_addr_eq(src, &ms->sig_rtcp, true))
		return true;
	return ms->cur_len && msource_addr_eq(src, &ms->cur, false);
}

bool msource_addr_eq(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b, bool port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
			(!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return !memcmp(&x->sin6_addr, &y->sin6_addr,
			       sizeof(x->sin6_addr)) &&
			(!port || x->sin6_port == y->sin6_port);
	}
	return false;
}
