/*
 * RTP and RTCP on the wire (RFC 3550): header parsing and writing, receive
 * statistics (sequence tracking, interarrival jitter, loss), and SR/RR/SDES
 * compound packets. Pure functions on caller-owned memory; mixer thread.
 */
#ifndef CAUCUS_RTP_H
#define CAUCUS_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12

struct rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;
	size_t plen;
};

/* EBADMSG-style: returns false for anything that is not valid RTP v2. */
bool rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len);
size_t rtp_write_hdr(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq,
		     uint32_t ts, uint32_t ssrc);
/* The same with a CSRC list of n (at most RTP_MAX_CSRC) sources and, when
 * ext_id (1..14) is set, their RFC 6465 audio levels (-dBov, 0..127) in
 * a one-byte header extension, in the same order. buf holds at least
 * RTP_HDR_MAX bytes. */
#define RTP_MAX_CSRC 15
#define RTP_HDR_MAX (RTP_HDR_LEN + 4 * RTP_MAX_CSRC + 4 + 16 + 4)
size_t rtp_write_hdr_csrc(uint8_t *buf, bool marker, uint8_t pt,
			  uint16_t seq, uint32_t ts, uint32_t ssrc,
			  const uint32_t *csrc, const uint8_t *levels,
			  unsigned n, uint8_t ext_id);
/* The same with the RFC 6464 audio level of the sender (-dBov, 0..127;
 * voice: the V bit) in a one-byte header extension with id ext_id
 * (1..14; else none) */
size_t rtp_write_hdr_level(uint8_t *buf, bool marker, uint8_t pt,
			   uint16_t seq, uint32_t ts, uint32_t ssrc,
			   uint8_t ext_id, uint8_t level, bool voice);
/* RFC 6464: the audio level (-dBov, 0..127) in the header extension with
 * this id (RFC 8285 one-byte or two-byte form) of an RTP packet that
 * rtp_parse() accepted; false when there is none */
bool rtp_audio_level(const uint8_t *buf, size_t len, uint8_t id,
		     uint8_t *level, bool *voice);

/* Receive side statistics of one source (RFC 3550 A.1, A.3, A.8). */
struct rtp_rxstat {
	bool init;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior;
	uint32_t transit;         /* last transit time, in timestamp units */
	uint32_t jitter_q4;       /* interarrival jitter << 4 */
	uint32_t lsr;             /* middle 32 bits of the last SR's NTP */
	uint64_t lsr_arrival_us;  /* when that SR arrived */
};

/* arrival_ts: the arrival time in the stream's clock (8 kHz units). */
void rtp_rxstat_update(struct rtp_rxstat *st, const struct rtp_hdr *h,
		       uint32_t arrival_ts);
/* The same for a packet whose timestamp says nothing of when it was
 * sent (RFC 4733: every packet of an event carries its start's): it
 * counts for loss, not for jitter */
void rtp_rxstat_count(struct rtp_rxstat *st, const struct rtp_hdr *h,
		      uint32_t arrival_ts);
uint32_t rtp_rxstat_expected(const struct rtp_rxstat *st);
int32_t  rtp_rxstat_lost(const struct rtp_rxstat *st);
uint32_t rtp_rxstat_jitter(const struct rtp_rxstat *st); /* ts units */

struct rtcp_sender {
	bool sent;                /* RTP sent since the last report: SR, else RR */
	uint32_t ssrc;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
	uint64_t now_us;          /* wall clock, for the NTP timestamp */
	unsigned clock_ratio;     /* the stream's RTP clock / 8000 (rx
				   * counts in 8 kHz units; the report's
				   * jitter is in the stream's); 0: 1 */
};

/* Writes SR (or RR when s->sent is false) with one report block when rx
 * has a source, then SDES CNAME.
 * Updates rx's "prior" counters. Returns bytes written, 0 if too small. */
size_t rtcp_write_sr(uint8_t *buf, size_t size, const struct rtcp_sender *s,
		     struct rtp_rxstat *rx, const char *cname);
/* RFC 3611 s. 4.7: an XR packet with one VoIP Metrics block, how the
 * stream from `source` fared at our receiving end; 127 (or 0 for the
 * burst and delay fields) where a metric is not measured */
struct rtcp_voip {
	uint32_t source;
	uint8_t loss_rate, discard_rate;    /* fraction of packets, /256 */
	uint16_t end_delay_ms;              /* jitter buffer + a frame */
	uint8_t rx_config;                  /* PLC, JBA bits (s. 4.7.6) */
	uint16_t jb_nominal_ms, jb_max_ms, jb_abs_max_ms;
};
#define RTCP_XR_VOIP_LEN 44
#define RTCP_XR_PLC_ENHANCED 0xC0       /* PLC: 11 */
#define RTCP_XR_JB_ADAPTIVE 0x30        /* JBA: 11 */
size_t rtcp_write_xr_voip(uint8_t *buf, size_t size, uint32_t ssrc,
			  const struct rtcp_voip *v);
/* Notes an incoming SR's timestamp for the LSR/DLSR fields. */
void rtcp_parse(struct rtp_rxstat *rx, const uint8_t *buf, size_t len,
		uint64_t now_us);

#endif
