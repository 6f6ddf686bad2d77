/*
 * Video (spec s. 4.6, 5.9, 5.12): forwarding threads that own the video
 * RTP sockets and send each receiver the participant it should see,
 * without transcoding (switched video), or a composed picture made by a
 * composer thread per conference (vcomp.h); and H.224 far-end camera
 * control streams (RFC 4573, h224.h), relayed through the signalling
 * thread, which decides who may steer whom.
 *
 * The functions below are called on the signalling thread only; they
 * turn into commands on a per-thread SPSC queue, like the audio mixer's
 * (mixer.h). Events (stats, who a receiver sees, camera control frames,
 * keyframe requests for peers without RTCP feedback) come back through
 * another queue and an eventfd that the signalling loop watches, and are
 * delivered to the event handler on the signalling thread. A forwarding
 * thread never calls into signalling code, never logs per packet, and
 * allocates only at commands.
 *
 * Who a receiver sees (switched): the room's order (video_room_set) lists
 * stream ids, most wanted first (the pinned participant or the floor
 * holder, the speaker, then earlier speakers: conf decides); a receiver
 * is shown the first one that is not itself, sends video, and whose
 * codec it takes; among those, the first whose bitrate fits what the
 * receiver can take (REMB, TMMBR, loss), else the first. A switch waits
 * for a keyframe of the new sender, asked for at once (PLI, else FIR;
 * an event when the sender has neither); until it comes the receiver
 * keeps the picture it had. Each receiver gets one stream with its own
 * SSRC, and continuous sequence numbers, timestamps (and VP8/VP9
 * picture ids) across switches. Generic NACKs are answered from a short
 * buffer per sender (and asked upstream when the packet never came).
 */
#ifndef CAUCUS_VIDEO_H
#define CAUCUS_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "mixer/mixer.h"      /* struct mixer_srtp */

struct video;

enum video_codec { VIDEO_VP8, VIDEO_H264, VIDEO_VP9, VIDEO_NCODECS };
/* "VP8", "H264", "VP9" (the SDP encoding names) */
const char *video_codec_name(enum video_codec c);

/* RTCP feedback a peer understands (its a=rtcp-fb lines; RFC 4585,
 * 5104, draft-alvestrand-rmcat-remb) */
enum {
	VIDEO_FB_NACK = 1,     /* generic NACK */
	VIDEO_FB_PLI = 2,      /* nack pli */
	VIDEO_FB_FIR = 4,      /* ccm fir */
	VIDEO_FB_TMMBR = 8,    /* ccm tmmbr */
	VIDEO_FB_REMB = 16,    /* goog-remb */
};

struct video_cfg {
	unsigned threads;      /* forwarding threads (0: 1) */
};

/* A stream's settings, which may change during a call */
struct video_media {
	struct sockaddr_storage rtp_dst;   /* where to send (until latched) */
	socklen_t rtp_dst_len;
	struct sockaddr_storage rtcp_dst;
	socklen_t rtcp_dst_len;
	bool fecc;              /* an H.224 stream (RFC 4573), not video */
	enum video_codec codec; /* video: what it sends and takes */
	uint8_t pt;             /* the payload type both ways */
	bool send;              /* we send to them */
	bool recv;              /* they send to us (may be shown) */
	uint8_t fb;             /* VIDEO_FB_* they understand */
	uint32_t max_kbps;      /* what their SDP allows us to send them
				 * (b=AS, b=TIAS; 0: not said) */
	uint32_t tx_ssrc;       /* the SSRC we send with (read on add) */
	struct mixer_srtp srtp; /* SDES keys (DTLS-SRTP is not offered for
				 * video: see docs/video.md) */
};

enum video_mode { VIDEO_SWITCHED, VIDEO_COMPOSED };
enum video_layout { VIDEO_LAYOUT_1, VIDEO_LAYOUT_2X2, VIDEO_LAYOUT_3X3,
		    VIDEO_LAYOUT_1P5 };

#define VIDEO_ORDER_MAX 16

/* What a room shows */
struct video_room_cfg {
	enum video_mode mode;
	/* stream ids, most wanted first (switched: who is shown; composed:
	 * the tiles in order, the first the large one of 1+5) */
	uint32_t order[VIDEO_ORDER_MAX];
	unsigned norder;
	/* composed: the layout and the one picture made per codec that
	 * receivers take (every receiver of a codec gets the same) */
	enum video_layout layout;
	unsigned width, height, fps, kbps;   /* 0: 640, 360, 15, 600 */
};

struct video_stream_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint32_t rx_lost;
	uint32_t rx_stranger;        /* not from the owner: dropped */
	uint32_t rx_unauth;          /* SRTP that did not authenticate */
	uint32_t rx_kbps, tx_kbps;   /* over the last second */
	uint32_t keyframes_rx;       /* keyframes it sent us */
	uint32_t kf_requests_tx;     /* PLI/FIR we sent it */
	uint32_t kf_requests_rx;     /* PLI/FIR it sent us */
	uint32_t nacks_rx;           /* packets it asked again */
	uint32_t retransmits;        /* of those, sent again */
	uint32_t switches;           /* times what it sees changed */
	uint32_t est_kbps;           /* what it can take (REMB, TMMBR,
				      * loss; 0: not known) */
	uint32_t shown;              /* the stream it sees now (0: none;
				      * VIDEO_COMPOSED_ID: the composed
				      * picture) */
	uint32_t rx_ssrc, tx_ssrc;
	uint32_t fecc_dropped;       /* FECC: frames over the rate limit
				      * (VIDEO_EV_FECC: 20 a second) */
};
#define VIDEO_COMPOSED_ID 0xffffffffu

enum video_ev_type {
	VIDEO_EV_STATS,      /* every second per stream */
	VIDEO_EV_SHOWN,      /* what a receiver sees changed (stream, shown) */
	VIDEO_EV_KEYFRAME,   /* a keyframe is wanted from stream, which
			      * understands neither PLI nor FIR (the focus may
			      * ask by SIP INFO, RFC 5168) */
	VIDEO_EV_FECC,       /* an H.224 frame from stream (well formed) */
};

#define VIDEO_FECC_MAX 64    /* the longest H.224 frame taken */

struct video_event {
	enum video_ev_type type;
	uint32_t stream_id;
	uint32_t shown;                    /* VIDEO_EV_SHOWN */
	uint8_t fecc[VIDEO_FECC_MAX];      /* VIDEO_EV_FECC: the frame */
	size_t fecc_len;
	struct video_stream_stats stats;   /* VIDEO_EV_STATS */
};

typedef void (video_event_h)(const struct video_event *ev, void *arg);

int  video_alloc(struct video **vp, const struct video_cfg *cfg,
		 video_event_h *eh, void *arg);
/* Hands rtp_fd and rtcp_fd over (the thread closes them; on an error
 * the caller keeps them); streams of one room are always on one thread.
 * rtcp_fd may be -1 or rtp_fd: RTCP muxed on the RTP port */
int  video_stream_add(struct video *v, uint32_t room, int rtp_fd,
		      int rtcp_fd, const struct video_media *m, uint32_t *idp);
int  video_stream_update(struct video *v, uint32_t id,
			 const struct video_media *m);
int  video_stream_remove(struct video *v, uint32_t id);
/* What room shows (the same again costs nothing). A room whose last
 * stream leaves forgets it (and its composer): set it again when streams
 * come back */
int  video_room_set(struct video *v, uint32_t room,
		    const struct video_room_cfg *rc);
/* Sends an H.224 frame (an RTP payload) on FECC stream id */
int  video_fecc_send(struct video *v, uint32_t id, const uint8_t *frame,
		     size_t len);
/* Asks stream id for a keyframe (a receiver's INFO picture_fast_update,
 * RFC 5168, when it sees the composed picture: a new one is encoded) */
int  video_keyframe(struct video *v, uint32_t id);

struct video_thread_stats {
	uint64_t rx_packets, tx_packets, forwarded, retransmits;
	uint64_t busy_us;            /* time spent working */
	uint32_t streams, rooms, composed;
	uint64_t events_dropped;
};
unsigned video_thread_count(const struct video *v);
void video_thread_stats(const struct video *v, unsigned idx,
			struct video_thread_stats *st);

#endif
