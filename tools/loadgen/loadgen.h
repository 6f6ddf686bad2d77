/*
 * caucus-loadgen internals: what the signalling side (main.c, libre's loop
 * on the main thread) and the media thread (media.c) share. The media
 * thread reads legs[] only after every call is up and main.c no longer
 * writes them; results are written by the media thread and read by main.c
 * after media_done is set.
 */
#ifndef CAUCUS_LOADGEN_H
#define CAUCUS_LOADGEN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <re.h>
#include "media/media.h"
#include "mixer/rtp.h"

#define LEGS_PER_SOCK 128
/* legs sharing a socket pair: LEGS_PER_SOCK, or 1 with --own-sockets
 * (for a server that tells calls apart by their address) */
extern unsigned legs_per_sock;

struct leg {
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *m;
	struct sockaddr_in dst;
	unsigned idx, sock;
	bool up, failed;
	/* --srtp: SDES AES_CM_128_HMAC_SHA1_80, our key and the contexts
	 * (made by main.c before the media starts) */
	uint8_t key[30];
	struct srtp *srtp_tx, *srtp_rx;
	/* media thread only */
	uint16_t tx_seq;
	uint32_t tx_ts, tx_ssrc;
	struct rtp_rxstat rx;
	uint32_t win_expected, win_received;
	bool rtcp_ok;     /* an RTCP report for the stream we receive came */
	bool xr_ok;       /* with RFC 3611 VoIP metrics of what we send */
};

struct opts {
	const char *target;
	const char *api;
	unsigned n, rate, warmup_s, seconds, talkers;
	unsigned sdp_port_offset;    /* advertise a port we do not use */
	double max_loss_pct;         /* exit 1 above this (tests) */
	int pid;
	const char *janus;           /* Janus HTTP API instead of SIP */
	const char *peers;           /* or a file of ports to send to */
	bool own_sockets;            /* a socket pair per leg */
	bool srtp;                   /* SDES SRTP (RTP/SAVP) */
	const char *setup;           /* a shell command run once all are
				      * in, before the media starts (the
				      * bench's media policy) */
	/* --codec pcmu|g722|opus|mixed (a third of the legs each) */
	enum lg_codec { LG_PCMU, LG_G722, LG_OPUS, LG_MIXED } codec;
	struct OpusEncoder *enc, *enc_quiet;   /* for the payload loops */
};

/* The codec leg i sends and receives, and what that means on the wire */
enum media_codec lg_leg_codec(unsigned i);
const char *lg_codec_sdp_name(enum media_codec c);   /* "PCMU", ... */
unsigned lg_codec_clock(enum media_codec c);         /* SDP and RTP */
unsigned lg_codec_rate(enum media_codec c);          /* sampling */

struct lg_results {
	double cpu_us, busy_us, frames, lost, expected, jitter_ms_mean,
		jitter_ms_max, late_ticks, tx_late, late_p99_ms;
	unsigned rtcp_legs;        /* legs that got an RTCP report for the
				    * stream caucusd sends them */
	unsigned xr_legs;          /* and VoIP metrics of what they send */
	double unauth;             /* SRTP from caucusd that did not
				    * authenticate (--srtp) */
};

extern struct opts o;
extern struct leg *legs;
extern unsigned established;
extern int *socks, *rtcp_socks;
extern unsigned nsocks;
extern int port_to_leg[65536];
extern atomic_bool media_done;
extern struct lg_results res;

int   open_sockets(void);
/* One blocking HTTP request to url ("http://host:port"), waiting at most
 * timeout_s for the answer (0: as long as it takes, for long polls); the
 * answer in buf, *bodyp its body (http.c) */
int   lg_http(const char *url, const char *method, const char *path,
	      const char *body, unsigned timeout_s, char *buf, size_t sz,
	      char **bodyp);
/* --janus URL: join every leg to a Janus AudioBridge room (janus.c) */
int   janus_join_all(const char *url);
void *media_main(void *arg);
/* --srtp (srtp.c): the leg's contexts from the answer's a=crypto; a
 * packet (iov: header, payload) sealed whole into buf as iov[0]; one
 * received opened in place (false: did not authenticate, counted) */
int   lg_srtp_keys(struct leg *l);
bool  lg_srtp_seal(struct leg *l, uint8_t *buf, size_t cap,
		   struct iovec *iov);
bool  lg_srtp_open(struct leg *l, uint8_t *buf, size_t *len, bool rtcp);

#endif
