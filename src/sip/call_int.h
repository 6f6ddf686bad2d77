/* Private to call.c, call_in.c, call_bfcp.c and call_watch.c: one call
 * between the focus and a participant. Signalling thread. */
#ifndef CAUCUS_CALL_INT_H
#define CAUCUS_CALL_INT_H

#include "conf/conf_video.h"
#include "sip/dtmfinfo.h"
#include "video/h224.h"
#include "sip/sdpneg.h"
#include "sip/sip_int.h"

struct call {
	struct le he;                 /* in focus->calls, by stream id */
	struct focus *f;
	struct participant *part;     /* NULL once the roster let go */
	struct sipsess *sess;
	struct sdpneg *sdp;
	struct sdpneg_result neg;     /* the latest negotiation: audio, and
				       * the BFCP stream (neg.bfcp) */
	struct dtls_call *dtls;       /* DTLS-SRTP of this call (dtls.c) */
	bool negotiated;
	int rtp_fd, rtcp_fd;          /* until handed to the mixer (kept,
				       * the mixer getting copies, when the
				       * call may move: keep_fds) */
	bool keep_fds;                /* in the dial-in lobby: it may move
				       * to another mixer thread */
	bool authed;                  /* the caller proved who it is
				       * (digest): for the policy of a
				       * conference it moves to */
	uint16_t lport;
	bool room_held;               /* per-thread RTP sockets: lport is
				       * the port of the thread room_key is
				       * held on (mixer_room_hold) until the
				       * call's stream is there */
	uint32_t room_key;
	uint32_t stream_id;           /* 0: no mixer stream yet */
	struct msconn *msc;           /* --role focus: its media connection
				       * on a mixer process (msc.h; then no
				       * local stream, ports or sockets) */
	uint32_t tx_ssrc;             /* of the mix we send them */
	struct sa src;                /* a call in: where its INVITE came
				       * from, counted per source while it
				       * lasts (srclimit) */
	bool src_held;
	char *cuser;
	bool established;
	bool early;                   /* answered 183 with SDP: waits for a
				       * moderator, hearing music on hold */
	struct mbuf *early_desc;      /* our SDP, for the 200 then */
	char st_hdrs[96];             /* session timer headers of the 200 */
	uint64_t rx_packets;          /* as of the last mixer report */
	uint64_t tx_packets;
	uint32_t rx_lost;
	uint32_t rx_stranger;
	uint32_t rx_unauth;
	uint64_t rx_last_ms;          /* when they last grew (or media
				       * was (re)negotiated) */
	struct stimer_neg st;         /* RFC 4028 session timer */
	struct tmr st_tmr;
	struct dtmfinfo_rate dtmf_rate;   /* digits by INFO (call_info.c) */
	uint32_t dtmf_dropped;        /* over that limit, dropped */
	/* video and camera control (call_video.c) */
	int vid_fd[2], fecc_fd[2];    /* until handed to the forwarder */
	uint32_t vid_stream, fecc_stream;   /* on it (0: none) */
	uint32_t vid_ssrc, fecc_ssrc; /* what we send them with */
	uint32_t vid_seen;            /* the stream they are shown */
	struct le vhe, fhe;           /* in focus->vcalls by stream id */
	uint32_t fecc_refused, fecc_relayed;
	struct h224_fecc fecc_last;   /* the API's last motion (a stop
				       * names it) */
};

/* A call for conference c (p: its participant, when known), with its
 * RTP ports (or its room held on a mixer thread) and SDP state. */
int  call_alloc(struct call **callp, struct focus *f, const struct conf *c,
		struct participant *p);
/* Answers msg (the INVITE) as scode/reason with desc and our answer
 * headers (hdrs: more of them), the session's handlers being call.c's */
int  call_sess_accept(struct call *call, const struct sip_msg *msg,
		      uint16_t scode, const char *reason, struct mbuf *desc,
		      const char *hdrs);
/* Starts or updates the mixer stream from the latest negotiation and
 * reports the media to the participant's owner */
int  call_media_apply(struct call *call);
/* call_media.c: the stream settings of the latest negotiation and the
 * participant's; the media reported to the participant's owner */
struct mixer_media;
void call_media_fill(struct mixer_media *m, const struct call *call);
void call_media_report(const struct call *call);
/* The media policy's part of p's stream settings (call_mix.c) */
struct mixer_media;
void call_mix_fill(struct mixer_media *m, const struct participant *p);
/* The SDP's x-caucus-mixing (spec s. 6.4) as the conference's policy
 * lets this participant mix for itself (call_mix.c) */
void call_mix_sdp(struct call *call);
/* The Contact URI of msg into dst (left as is when there is none) */
void call_contact_copy(char *dst, size_t sz, const struct sip_msg *msg);
/* The call failed after it was up: BYE with why, listed as failed */
void call_fail(struct call *call, uint16_t code, const char *why);
/* RFC 4028: (re)arms the session timer for the call's negotiation */
void call_st_arm(struct call *call);
/* The BFCP settings of the call's SDP (call_bfcp.c): the focus's BFCP
 * port, c's conference id and the participant's user id (none yet: BFCP
 * is refused should an answer be made before it joins) */
void call_bfcp_update(struct call *call, const struct conf *c);
/* Video (call_video.c): the SDP's port pairs (sdpneg_port_h); the
 * conference's video settings into the call's SDP; the streams on the
 * forwarder as the latest negotiation says; gone with the call; an INFO
 * of application/media_control+xml in a call with video (RFC 5168: true,
 * taken) */
int  call_video_port(bool fecc, uint16_t *port, void *arg);
void call_video_sdp(struct call *call, const struct conf *c);
void call_video_apply(struct call *call);
void call_video_close(struct call *call);
bool call_video_info(struct call *call, const char *ctype,
		     const uint8_t *body, size_t len);
/* INFO in the call's dialog (call_info.c): keypad digits; answers it */
void call_info_h(struct sip *sip, const struct sip_msg *msg, void *arg);

#endif
