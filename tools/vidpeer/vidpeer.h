/*
 * caucus-vidpeer internals: one object (struct vidpeer) that main.c makes
 * and every part uses, all on libre's loop on the main thread (no other
 * thread: the tool is a test peer, correct rather than fast).
 *
 *   main.c   options, the log, stdin commands, the end and its summary
 *   sip.c    the call: SDP offer and answers, re-INVITEs, BYE
 *   media.c  sockets, audio (PCMU tone or silence), FECC (H.224)
 *   video.c  video out (vcodec + vpack), video in (continuity, vpack,
 *            vcodec), RTCP both ways (vpkt)
 */
#ifndef CAUCUS_VIDPEER_H
#define CAUCUS_VIDPEER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <re.h>
#include "video/video.h"

#define VP_CODEC_NONE (-1)
#define VP_MTU 1200            /* RTP payload bytes at most (vpack) */
#define VP_KEY_GAP_MS 200      /* keyframes asked by PLI/FIR: at most one
				* per this */
#define VP_PT_PCMU 0
#define VP_PT_TELEV 101
#define VP_PT_VP8 100
#define VP_PT_H264 102
#define VP_PT_VP9 98
#define VP_PT_H224 107

struct vp_opts {
	const char *target, *from, *log_path;
	int codec;                 /* enum video_codec or VP_CODEC_NONE */
	uint8_t color[3];          /* Y, U, V */
	unsigned w, h, fps, kbps, tone_hz, seconds;
	unsigned grid;             /* frame lines give an N x N grid's
				    * mean colours too (0: none) */
	bool fecc, fb;
};

/* One m-line: its sockets and what the last answer (or offer) said */
struct vp_stream {
	struct sdp_media *m;
	int rtp_fd, rtcp_fd;
	uint16_t port;             /* ours; RTCP on port + 1 */
	bool on;                   /* a port and a format agreed */
	bool send, recv;           /* the direction agreed */
	uint8_t pt;                /* what both sides use */
	uint8_t fb;                /* VIDEO_FB_* the answer named */
	struct sockaddr_in rtp_dst, rtcp_dst;
	uint32_t tx_ssrc;
	uint16_t tx_seq;
};

/* What we count, printed in the summary line at the end */
struct vp_counts {
	unsigned rx_video_packets, frames, keyframes, ssrc_changes, seq_gaps,
		ts_back, decode_errors, plis_sent, kfreqs, rx_audio_packets;
};

struct vp_video;               /* video.c's state */

struct vidpeer {
	struct vp_opts o;
	FILE *log;
	uint64_t t0_us;            /* monotonic start */
	struct vp_stream audio, video, fecc;
	struct vp_counts n;
	struct vp_video *vid;
	/* audio out */
	bool talking;
	double phase;              /* of the tone, in radians */
	uint32_t audio_ts;
	uint64_t audio_next_us;
	struct tmr audio_tmr;
	/* the call (sip.c) */
	struct sip *sip;
	struct sipsess_sock *ssock;
	struct sipsess *sess;
	struct sdp_session *sdp;
	bool established, ending;
	struct tmr end_tmr;
	int exit_code;
	/* stdin */
	int in_fd;
	char in_buf[512];
	size_t in_len;
};

/* main.c */
uint64_t vp_now_us(void);
uint64_t vp_ms(const struct vidpeer *vp);       /* since start */
/* One log line, flushed: "WHAT t=MS " then fmt (libre's printf, so %H
 * and %m work) */
void vp_logt(struct vidpeer *vp, const char *what, const char *fmt, ...);
/* One log line as it is given (the call and summary lines have no t) */
void vp_log(struct vidpeer *vp, const char *fmt, ...);
/* Ends the program with code after what is pending (BYE) is done */
void vp_finish(struct vidpeer *vp, int code);

/* sip.c */
int  sip_call_start(struct vidpeer *vp);
/* Hangs up (BYE, or CANCEL before an answer); vp_finish when done */
void sip_call_end(struct vidpeer *vp);
/* The video m-line's port 0 (off) or back (on), by re-INVITE */
int  sip_reinvite_video(struct vidpeer *vp, bool on);
void sip_close_all(struct vidpeer *vp);

/* media.c */
int  media_open(struct vidpeer *vp);
void media_close(struct vidpeer *vp);
/* The answer (or offer) decoded: streams' addresses and formats */
void media_update(struct vidpeer *vp);
void media_start_audio(struct vidpeer *vp);
/* Sends one RTP packet (header written here) on a stream */
int  media_send_rtp(struct vidpeer *vp, struct vp_stream *s, bool marker,
		    uint32_t ts, const uint8_t *pl, size_t len);
/* fecc ACTION [N]: one H.224 frame to the far end */
int  media_fecc_send(struct vidpeer *vp, const char *action, unsigned n);
int  vp_sock_pair(struct vp_stream *s);

/* video.c */
int  video_init(struct vidpeer *vp);
void video_close(struct vidpeer *vp);
/* The stream's state changed (an answer): start or stop */
void video_update(struct vidpeer *vp);
void video_set_color(struct vidpeer *vp, uint8_t y, uint8_t u, uint8_t v);
/* video on|off; ENOENT: no video offered */
int  video_set_sending(struct vidpeer *vp, bool on);
/* A PLI for what we receive; ENOTCONN: no video now */
int  video_send_pli(struct vidpeer *vp);

#endif
