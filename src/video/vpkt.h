/*
 * Video packets, looked at and made without state (vpkt.c): the RTP
 * header, where a keyframe starts (VP8 RFC 7741, H.264 RFC 6184, VP9
 * draft-ietf-payload-vp9), the VP8/VP9 picture id, and RTCP: a compound
 * packet walked for what a forwarder needs (receiver reports, RFC 4585
 * PLI and generic NACK, RFC 5104 FIR and TMMBR/TMMBN, REMB), and the
 * packets the forwarder sends (SR, RR, SDES, PLI, FIR, NACK, TMMBR,
 * TMMBN, REMB). Pure functions: any thread; every parser takes hostile
 * input (tests/fuzz/fuzz_vpkt.c).
 */
#ifndef CAUCUS_VPKT_H
#define CAUCUS_VPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "video/video.h"

/* An RTP packet's header (RFC 3550 s. 5.1) */
struct vpkt_rtp {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t hlen;        /* header with CSRCs and extension: the payload
			     * starts here */
	size_t plen;        /* payload, without padding */
};
/* false: not RTP version 2, too short, or lengths that do not fit */
bool vpkt_rtp_parse(const uint8_t *buf, size_t len, struct vpkt_rtp *h);
/* Rewrites the header of a parsed packet in place */
void vpkt_rtp_rewrite(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc);
/* Writes a 12-byte header (no CSRC, no extension) */
void vpkt_rtp_header(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq,
		     uint32_t ts, uint32_t ssrc);

/* The payload (pl, len) is the first packet of a keyframe: a receiver
 * switched to this sender can start decoding here (VP8: start of
 * partition 0 with a key frame header; H.264: an SPS, or an IDR slice's
 * start, single, in a STAP-A or the first FU-A; VP9: start of a frame
 * that is not inter-predicted, lowest spatial layer) */
bool vpkt_key_start(enum video_codec c, const uint8_t *pl, size_t len);
/* The payload starts a frame (VP8 S bit with partition 0; H.264: not a
 * continuing FU-A; VP9 B bit) */
bool vpkt_frame_start(enum video_codec c, const uint8_t *pl, size_t len);
/* VP8/VP9 picture id (7 or 15 bits; *bits says which); false: none (or
 * H.264) */
bool vpkt_picid_get(enum video_codec c, const uint8_t *pl, size_t len,
		    uint16_t *picid, unsigned *bits);
/* Writes picid (masked to the field's width) where vpkt_picid_get found
 * one; false: none */
bool vpkt_picid_set(enum video_codec c, uint8_t *pl, size_t len,
		    uint16_t picid);

/* RTCP, RFC 3550 s. 6; 4585 s. 6; 5104 s. 4.2, 4.3; REMB */
enum vpkt_fb_kind {
	VPKT_RR,       /* a report block (from an SR or RR) */
	VPKT_PLI,
	VPKT_FIR,      /* one FCI entry (media_ssrc, fir_seq) */
	VPKT_NACK,     /* one FCI entry (pid, blp) */
	VPKT_TMMBR,    /* one FCI entry (media_ssrc, bps) */
	VPKT_TMMBN,
	VPKT_REMB,     /* bps, for the SSRCs listed (media_ssrc the first) */
	VPKT_SR,       /* a sender report (sender_ssrc, ntp, rtp_ts) */
};
struct vpkt_fb {
	enum vpkt_fb_kind kind;
	uint32_t sender_ssrc;      /* who sent the RTCP packet */
	uint32_t media_ssrc;       /* what it is about */
	uint16_t pid, blp;         /* NACK */
	uint8_t fir_seq;           /* FIR */
	uint64_t bps;              /* TMMBR, TMMBN, REMB */
	uint16_t overhead;         /* TMMBR */
	uint8_t fraction_lost;     /* RR: RFC 3550 s. 6.4.1 */
	uint32_t cum_lost, ext_seq, jitter, lsr, dlsr;
	uint64_t ntp;              /* SR */
	uint32_t rtp_ts;
};
typedef void (vpkt_fb_h)(const struct vpkt_fb *fb, void *arg);
/* Calls h for each item of a compound RTCP packet, in order. False: it
 * is not well formed (nothing was reported then: it is checked whole
 * first) */
bool vpkt_rtcp_walk(const uint8_t *buf, size_t len, vpkt_fb_h *h, void *arg);

/* Builders: each writes one RTCP packet at buf (cap bytes there) and
 * returns its length, 0 when it does not fit; a compound packet is
 * several written one after another (SR or RR first, then SDES) */
struct vpkt_rr_block {
	uint32_t ssrc;
	uint8_t fraction_lost;
	uint32_t cum_lost, ext_seq, jitter, lsr, dlsr;
};
size_t vpkt_sr(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t ntp,
	       uint32_t rtp_ts, uint32_t packets, uint32_t octets,
	       const struct vpkt_rr_block *rb);      /* rb NULL: none */
size_t vpkt_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
	       const struct vpkt_rr_block *rb);      /* rb NULL: none */
size_t vpkt_sdes(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
size_t vpkt_pli(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media);
size_t vpkt_fir(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		uint8_t seq);
size_t vpkt_nack(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		 uint16_t pid, uint16_t blp);
size_t vpkt_tmmbr(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		  uint64_t bps, uint16_t overhead);
size_t vpkt_tmmbn(uint8_t *buf, size_t cap, uint32_t ssrc, uint32_t media,
		  uint64_t bps, uint16_t overhead);
size_t vpkt_remb(uint8_t *buf, size_t cap, uint32_t ssrc, uint64_t bps,
		 const uint32_t *media, unsigned n);

#endif
