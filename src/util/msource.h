/*
 * Whose media an RTP stream takes: its owner's only (msource.c says the
 * rule and what it does not stop). Used by the audio mixer's streams and
 * the video forwarding streams, each on its own thread; no allocation,
 * no shared state.
 */
#ifndef CAUCUS_MSOURCE_H
#define CAUCUS_MSOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Whose media a stream takes: the owner's only */
struct msource {
	/* what every packet reads, with cur's first bytes (its address
	 * and port): one cache line when the struct starts one (a mixer
	 * stream's does) */
	socklen_t cur_len;
	bool heard;                    /* a packet was taken from cur */
	uint8_t cand_n;                /* packets in sequence from cand */
	uint16_t seq;                  /* of the last packet taken */
	uint32_t ssrc;                 /* of the last packet taken */
	uint32_t last_ms;              /* when (arrival clock) */
	socklen_t sig_len, sig_rtcp_len;
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	struct sockaddr_storage cur;   /* the source now (signalled, or
					* learnt) */
	struct sockaddr_storage sig, sig_rtcp;   /* signalled in SDP */
	struct sockaddr_storage cand;  /* an address on probation */
};

enum msource_verdict { MSOURCE_DROP, MSOURCE_SAME, MSOURCE_NEW };
/* The addresses signalling gave (add, update); a new RTP address resets
 * what was learnt */
void msource_signal(struct msource *ms, const struct sockaddr_storage *rtp,
		    socklen_t rtp_len, const struct sockaddr_storage *rtcp,
		    socklen_t rtcp_len);
/* A parsed RTP packet from src: taken from the source (SAME), taken from
 * a new source (NEW: send there from now on), or dropped */
enum msource_verdict msource_rtp(struct msource *ms,
				 const struct sockaddr_storage *src,
				 socklen_t len, uint32_t ssrc, uint16_t seq,
				 uint32_t now_ms);
/* An RTCP packet from src is the owner's */
bool msource_rtcp(const struct msource *ms,
		  const struct sockaddr_storage *src);

/* Same address (and port, if port) of the same family, whatever else
 * the sockaddrs hold */
bool msource_addr_eq(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b, bool port);

#endif
