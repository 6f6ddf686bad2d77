/*
 * Private to the video forwarding engine: the commands, the thread, its
 * rooms and streams, shared by video.c (signalling side) and the thread's
 * files (vthread.c: the loop; vcmd.c: commands; vfwd.c: selection,
 * switching, rewriting; vrtcp.c: feedback and reports; vfecc.c: H.224;
 * vsrtp.c: SRTP). Only the video module and its unit test include it.
 *
 * Ownership: a struct vstream is made on the signalling thread
 * (vstream_new, with its retransmission buffer and sent map), handed over
 * in an add command, and from then on belongs to its thread, which frees
 * it at the remove command (or the signalling side after the thread has
 * ended). Nothing in these structs is read by two threads except the
 * atomics of struct vthread and the rings.
 */
#ifndef CAUCUS_VID_INT_H
#define CAUCUS_VID_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "video/video.h"
#include "video/vpkt.h"
#include "util/msource.h"
#include "util/spsc.h"

#define VID_PKT_MAX 1500        /* the largest packet kept and forwarded */
#define VID_BUF (VID_PKT_MAX + 64)   /* with room for an SRTP tag and
				      * SRTCP index */
#define VID_RTX_SLOTS 256       /* per sender (a power of 2) */
#define VID_SENT_SLOTS 512      /* per receiver (a power of 2) */
#define VID_RX_BATCH 16         /* recvmmsg */
#define VID_TICK_US 20000       /* timers: at least this often */
#define VID_SECOND_US 1000000
#define VID_KF_GAP_US 300000    /* keyframe requests to one sender */
#define VID_ACTIVE_US 2000000   /* a sender silent longer is not shown */
#define VID_COMP_GRACE_US 3000000   /* the composer's first picture of a
				     * codec, at most this late */
#define VID_FECC_PER_S 20
#define VID_NACK_PER_S 100      /* packets a receiver may ask again a
				 * second (sent again or asked upstream) */
#define VID_NACK_BURST 64
#define VID_MIN_UP_KBPS 64      /* REMB/TMMBR never ask for less */

/* A sender's last packets, as received (decrypted), for NACKs */
struct vrtx_slot {
	bool used;
	uint16_t seq;
	uint16_t len;
	uint8_t pkt[VID_PKT_MAX];
};
struct vrtx {
	struct vrtx_slot slot[VID_RTX_SLOTS];
};

/* What a receiver was sent as out_seq: whose packet, and how rewritten
 * (out ts = ts + ts_off, out picture id = id + picid_off) */
struct vsent {
	bool used;
	uint16_t out_seq, in_seq, picid_off;
	uint32_t sender, ts_off;
};

/* RFC 3550 A.1, A.3, A.8: what we receive from a sender */
struct vrxstat {
	bool init;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles, base_seq, received;
	uint32_t expected_prior, received_prior;
	uint8_t fraction;           /* of the last report */
	int32_t transit;
	uint32_t jitter_q4;         /* jitter * 16, in 90 kHz units */
	uint32_t lsr;               /* of the last SR it sent */
	uint64_t sr_at_us;
};

enum vfd_kind { VFD_CMD, VFD_RTP, VFD_RTCP, VFD_COMP };
/* What an epoll event is about (its data.ptr) */
struct vfd {
	enum vfd_kind kind;
	void *obj;                  /* struct vstream, struct vroom */
};

struct vroom;

struct vstream {
	uint32_t id;
	struct vroom *room;
	int rtp_fd, rtcp_fd;
	struct vfd fd_rtp, fd_rtcp;
	struct video_media m;       /* rtp_dst: where we send (latched) */
	struct msource src;
	bool rtcp_latched;          /* m.rtcp_dst is where its RTCP came from */
	bool rtcp_mux;              /* its RTCP came to the RTP port */
	struct srtp *srtp_rx, *srtp_tx;
	struct mixer_srtp_made made[2];   /* mixer_srtp_ctx */
	struct video_stream_stats st;
	uint64_t rx_bytes_prev, tx_bytes_prev;   /* at the last second */

	/* as a sender: what it sends us */
	struct vrxstat rx;
	struct vrtx *rtx;           /* NULL for FECC */
	bool heard;
	uint64_t last_rx_us;
	uint32_t epoch;             /* changes with its SSRC */
	bool key_seen;
	uint32_t key_ts;            /* of its last keyframe */
	bool kf_asked;
	uint64_t kf_asked_us;       /* our last PLI/FIR to it */
	bool kf_pending;            /* asked before its SSRC was known:
				     * sent at its first packet */
	uint8_t fir_seq;
	uint32_t up_kbps;           /* our last REMB/TMMBR to it */
	bool in_tile;               /* composed: fed to the composer */

	/* as a receiver: what we send it */
	struct vsent *sent;         /* VID_SENT_SLOTS; NULL for FECC */
	uint32_t cur, want;         /* shown now; chosen (cur until its
				     * keyframe comes) */
	uint32_t cur_epoch;
	uint16_t start_seq;         /* cur's first packet sent (its seq) */
	uint16_t seq_off, picid_off;
	uint32_t ts_off;
	bool have_sent;
	uint16_t last_seq, last_picid;
	uint32_t last_ts;
	uint64_t last_sent_us;
	uint32_t tx_pkts, tx_octets;    /* for SR */
	uint32_t remb_kbps, tmmbr_kbps, loss_cap_kbps;
	uint8_t rr_fraction;        /* the last it reported of our stream */
	bool fir_rx_any;
	uint8_t fir_rx_seq;
	/* NACKs it may still have answered (a token bucket: a receiver
	 * cannot make us send its stream many times over) */
	uint32_t nack_tokens;
	uint64_t nack_at_us;

	/* FECC */
	uint16_t fecc_seq;
	uint64_t fecc_win_us;
	unsigned fecc_n;
};

/* The composed picture of one codec: a sender of its own */
struct vcsend {
	struct vrtx *rtx;
	uint16_t seq;
	uint32_t epoch;
	uint64_t last_out_us;       /* 0: none yet */
	uint64_t wanted_us;         /* since receivers take it (0: none do) */
};

struct vroom {
	uint32_t key;
	struct vstream **s;
	unsigned n, cap;
	struct video_room_cfg cfg;
	struct vcomp *vc;           /* composed (a reference of ours) */
	struct vfd fd_comp;
	struct vcsend cs[VIDEO_NCODECS];
	unsigned want_codecs;
};

enum vcmd_type { VCMD_ADD, VCMD_UPDATE, VCMD_REMOVE, VCMD_ROOM,
		 VCMD_FECC, VCMD_KEYFRAME };

struct vcmd {
	enum vcmd_type type;
	uint32_t id, room;
	struct vstream *s;          /* ADD: the stream, handed over */
	struct vcomp *vc;           /* ROOM, composed: a reference it
				     * carries (the thread keeps it) */
	union {
		struct video_media m;           /* UPDATE */
		struct video_room_cfg rc;       /* ROOM */
		struct {
			uint8_t data[VIDEO_FECC_MAX];
			uint8_t len;
		} fecc;                         /* FECC */
	} u;
};

struct vthread {
	pthread_t tid;
	unsigned idx;
	int ep;                     /* epoll */
	int cfd;                    /* eventfd: commands wait */
	int efd;                    /* eventfd: events wait (shared, the
				     * signalling loop watches it) */
	struct vfd fd_cmd;
	atomic_bool run;
	struct spsc cmdq;           /* signalling -> thread */
	struct spsc evq;            /* thread -> signalling */

	/* the thread's own */
	struct vroom **rooms;
	unsigned nrooms, cap_rooms;
	bool sig;                   /* events pushed, eventfd not written */
	uint64_t now_us;            /* CLOCK_MONOTONIC, this wake-up */
	uint64_t next_tick_us, next_sec_us, last_sec_us;
	uint8_t rxbuf[VID_RX_BATCH][VID_BUF];
	struct sockaddr_storage rxsrc[VID_RX_BATCH];
	uint8_t txbuf[VID_BUF];
	uint64_t rx_n, tx_n, fwd_n, rtx_n;   /* added to the atomics
					      * once per wake-up */

	/* written by the thread, read by anyone */
	_Atomic uint64_t rx_packets, tx_packets, forwarded, retransmits;
	_Atomic uint64_t busy_us, events_dropped;
	_Atomic uint32_t streams, nrooms_st, composed;
};

/* vthread.c */
void *vthread_main(void *arg);
uint64_t vthread_now_us(void);
void vthread_event(struct vthread *t, const struct video_event *ev);
void vthread_free_all(struct vthread *t);

/* vcmd.c: streams made on the signalling thread, commands on the
 * thread */
int  vstream_new(struct vstream **sp, uint32_t id, int rtp_fd, int rtcp_fd,
		 const struct video_media *m);
void vstream_free(struct vstream *s);
void vcmd_apply(struct vthread *t, struct vcmd *c);
void vcmd_discard(struct vcmd *c);
struct vstream *vroom_stream(const struct vroom *r, uint32_t id);
void vroom_free(struct vroom *r);
/* How many tiles a layout has */
unsigned vroom_tiles(enum video_layout l);

/* vfwd.c */
void vfwd_rx(struct vthread *t, struct vstream *s, uint8_t *buf, size_t len,
	     const struct sockaddr_storage *src, socklen_t srclen);
void vfwd_select(struct vthread *t, struct vroom *r);
void vfwd_comp_output(struct vthread *t, struct vroom *r);
void vfwd_comp_keys(struct vthread *t, struct vroom *r);
void vfwd_kf_request(struct vthread *t, struct vstream *s);
void vfwd_kf_for(struct vthread *t, struct vstream *r);
void vfwd_nack(struct vthread *t, struct vstream *r, uint16_t seq);
uint32_t vfwd_est_kbps(const struct vstream *r);
void vfwd_show(struct vthread *t, struct vstream *r, uint32_t id);
/* Encrypts (when SRTP) and sends an RTP packet of len bytes in t->txbuf
 * to s; payload: its payload bytes (for SR) */
void vfwd_send(struct vthread *t, struct vstream *s, size_t len,
	       size_t payload);

/* vrtcp.c */
/* muxed: it came to the RTP port (RFC 5761) */
void vrtcp_rx(struct vthread *t, struct vstream *s, uint8_t *buf, size_t len,
	      const struct sockaddr_storage *src, socklen_t srclen,
	      bool muxed);
void vrtcp_rxstat(struct vstream *s, const struct vpkt_rtp *h,
		  uint64_t now_us);
void vrtcp_second(struct vthread *t, struct vstream *s, uint64_t span_us);
void vrtcp_up(struct vthread *t, struct vstream *sender, bool periodic);
void vrtcp_pli(struct vthread *t, struct vstream *s, bool fir);
void vrtcp_nack(struct vthread *t, struct vstream *s, uint16_t seq);

/* vfecc.c */
void vfecc_rx(struct vthread *t, struct vstream *s, const uint8_t *pl,
	      size_t len);
void vfecc_send(struct vthread *t, struct vstream *s, const uint8_t *frame,
		size_t len);

/* vsrtp.c */
int  vsrtp_apply(struct vstream *s);
void vsrtp_free(struct vstream *s);
bool vsrtp_rx(struct vstream *s, uint8_t *buf, size_t *len, bool rtcp);
bool vsrtp_tx(struct vstream *s, uint8_t *buf, size_t *len, size_t cap,
	      bool rtcp);

#endif
