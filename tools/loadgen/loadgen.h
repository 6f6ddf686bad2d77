/*
 * caucus-loadgen internals: what the signalling side (main.c, libre's loop
 * on the main thread) and the media thread (media.c, tones.c, legs.c)
 * share. Before the media starts main.c sets every leg up; after, a leg's
 * media fields (dst, the SRTP contexts, on) belong to the media thread and
 * main.c changes them only through lg_leg_post() (a call placed again,
 * --rejoin). Results are written by the media thread and read by main.c
 * after window_done or media_done is set.
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

struct tone_rx;

#define LEGS_PER_SOCK 128
/* what a talking leg sends is a loop of this many 20 ms frames (1 s) */
#define LG_LOOP 50
#define LG_MAX_TONES 16
#define LG_MAX_TARGETS 128
/* legs sharing a socket pair: LEGS_PER_SOCK, or 1 with --own-sockets
 * (for a server that tells calls apart by their address) */
extern unsigned legs_per_sock;

struct leg {
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *m;
	struct sockaddr_in dst;
	unsigned idx, sock;
	int tone;                 /* the tone it sends (--tones), or -1;
				   * set before any thread starts */
	bool up, failed;
	bool joined;              /* up when all were placed (LIVE counts
				   * these); set before the media starts */
	/* main thread: the answer of a call placed again, handed over by
	 * lg_leg_post(); --rejoin's schedule */
	struct sockaddr_in next_dst;
	struct srtp *next_tx, *next_rx;
	bool rejoin_due;
	uint64_t rejoin_at_us, on_since_us;
	unsigned backoff_ms;
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
	bool on;          /* sending and counted (main.c sets it before
			   * the start, lg_leg_post() after) */
	struct tone_rx *trx;      /* a checked leg's ears (tones.c) */
	bool self_mix;            /* --self-mix: says it mixes for itself;
				   * checked, its ears by SSRC (selfmix.c) */
	struct self_rx *srx;
	/* the answer named a multicast group (selfmix.c): its socket,
	 * joined (main thread, before the media starts; read by the media
	 * thread), and the SSRC of its own voice there, to drop */
	bool mc_on;
	int mc_fd;
	uint32_t mc_ssrc;
	/* written by the media thread, read by main.c's --rejoin */
	_Atomic uint64_t last_rx_us;   /* monotonic */
	uint64_t gap_from_us;     /* placed again: the old call's last
				   * packet (media thread) */
};

struct opts {
	const char *target;          /* the first of targets[] */
	const char *targets[LG_MAX_TARGETS];   /* leg i dials i % n */
	unsigned ntargets;
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
	/* --tones K: legs that send tones of their own, and the checked
	 * legs (--check-legs M) that say which they hear (tones.c) */
	unsigned tones, check_legs;
	bool tone_spread;            /* tone legs spread over the range */
	unsigned self_mix;           /* the first M legs mix for themselves
				      * (selfmix.c) */
	bool latency;                /* gated tones, onsets timed */
	bool hold;                   /* up until SIGTERM (--hold) */
	bool rejoin;                 /* calls that end are placed again */
	unsigned report_every_s;     /* LIVE every S seconds (0: SIGUSR1) */
	const char *user;            /* From: sip:<user><i>@127.0.0.1 */
};

/* The codec leg i sends and receives, and what that means on the wire */
enum media_codec lg_leg_codec(unsigned i);
const char *lg_codec_sdp_name(enum media_codec c);   /* "PCMU", ... */
unsigned lg_codec_clock(enum media_codec c);         /* SDP and RTP */
unsigned lg_codec_rate(enum media_codec c);          /* sampling */

/* Written by the media thread until the window ends (window_done), read
 * by main.c after it: tx_late (our late sends) too, though the thread
 * sends on for --hold */
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
extern atomic_bool media_done;
/* the measurement window is over (RESULT can be printed); stop: the
 * media thread ends (SIGTERM in --hold); requests from signals */
extern atomic_bool window_done, media_stop, live_req, tones_req;
extern atomic_uint rejoined, rejoin_retries, tone_failures;
extern struct lg_results res;

void  lg_opts_parse(int argc, char *argv[]);     /* opts.c; exits on
						   * an error */
int   open_sockets(void);
/* The leg a packet from a (caucusd's address and port) is for, -1 none;
 * main.c before the media starts, the media thread after (legs.c) */
int   lg_port_leg(const struct sockaddr_in *a);
int   lg_port_set(const struct sockaddr_in *a, int leg);
/* A leg's media switched on (at l->next_dst, with l->next_tx and
 * next_rx) or off, applied by the media thread at its next tick; the
 * contexts it drops are freed by lg_legs_close() after it ended */
int   lg_leg_post(struct leg *l, bool on);
void  lg_legs_apply(uint64_t now_us);      /* media thread */
/* a packet for l: the first after it was placed again ends its outage
 * (media thread) */
void  lg_leg_rx(struct leg *l, uint64_t now_us);
void  lg_legs_close(void);                 /* main.c, at the end */
/* The LIVE line: per node (caucusd's media address) legs and dead ones
 * (no media for 2 s); media thread */
void  lg_live_report(uint64_t now_us);
extern uint64_t lg_t0_us;                  /* when all were in */
/* --tones (tones.c): which leg sends which tone and which are checked
 * (main.c, before the media); the payload loops (media thread); what a
 * checked leg got (a packet, arrival in CLOCK_REALTIME us); the windows
 * over which they are judged and reported */
int   tones_plan(void);
double tone_hz(unsigned k);
void  tones_loops_make(enum media_codec c);
const uint8_t *tones_payload(enum media_codec c, unsigned k, unsigned pos,
			     size_t *len);
void  tones_sent(unsigned k, uint64_t now_rt_us);
void  tones_rx(struct leg *l, const struct rtp_hdr *h, uint64_t at_rt_us);
void  tones_leg_reset(struct leg *l);
void  tones_window(uint64_t now_us, unsigned settle_ms, unsigned len_ms);
void  tones_tick(uint64_t now_us);
void  tones_free(void);
/* --self-mix M (selfmix.c): the legs that say so, and the checked ones
 * among them given ears per SSRC (main.c, after tones_plan); a packet of
 * such a leg (instead of tones_rx; collecting: in a window); its SELFMIX
 * line at the end of a window, true when it passed */
struct self_rx;
int   selfmix_plan(void);
void  selfmix_free(void);
void  selfmix_rx(struct leg *l, const struct rtp_hdr *h, bool collecting);
bool  selfmix_report(struct leg *l);
/* The answer's a=x-caucus-multicast, if any: the group joined on the
 * interface of the leg's address (main.c's answer_h); every leg's group
 * read, its own SSRC dropped, the rest heard as the talkers (media
 * thread, each tick) */
void  selfmix_answer(struct leg *l);
void  selfmix_group_recv(uint64_t now_us);
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

/* --peers FILE: one UDP port on 127.0.0.1 per line, one per leg
 * (opts.c) */
int  lg_peers_read(const char *path);
/* SIGTERM and SIGINT call stoph on the loop; SIGUSR1 and SIGUSR2 set
 * live_req and tones_req (signals.c) */
int  lg_signals_init(void (*stoph)(void));
void lg_signals_close(void);

/* The amplitude of a tone at hz in n samples at rate (Goertzel over a
 * rectangular window; tones.c) */
double lg_goertzel(const int16_t *x, size_t n, double hz, unsigned rate);

#endif
