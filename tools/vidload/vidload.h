/*
 * caucus-vidload internals: what the signalling side (main.c, libre's
 * loop on the main thread) and the media thread (media.c, rx.c) share.
 * The media thread reads legs[] only after every call is up and main.c
 * no longer writes them (the SDP answers decoded, the sockets open);
 * from then on main.c only waits for media_done and reads res.
 */
#ifndef CAUCUS_VIDLOAD_H
#define CAUCUS_VIDLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <re.h>

#define VL_PT_PCMU 0
#define VL_PT_VP8 100
#define VL_PKT_MAX 1400          /* the largest video payload we send */

/* A leg's sockets, in the order of its epoll tags (leg * VL_NFD + k) */
enum vl_fd { VL_AUDIO, VL_AUDIO_RTCP, VL_VIDEO, VL_VIDEO_RTCP, VL_NFD };

/* What a leg received, and the window's snapshot of it */
struct vl_rx {
	uint64_t video, audio, keys;  /* video packets (RTP, not RTCP),
				       * audio packets, keyframe starts */
	uint64_t kf_req;              /* PLI and FIR about what we send */
	uint64_t expected;            /* video packets there should have
				       * been (from sequence numbers) */
	bool seq_init;
	uint32_t ssrc;                /* of the video stream we get */
	uint16_t max_seq;
	uint32_t ssrc_changes;
};

struct vleg {
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *am, *vm;
	int fd[VL_NFD];
	struct sockaddr_in adst, vdst;   /* where caucusd (or the floor)
					  * takes our audio and video */
	unsigned idx;
	bool up, failed, video;          /* video: answered with a port */
	/* media thread only */
	uint16_t a_seq, v_seq, picid;
	uint32_t a_ts, v_ts, a_ssrc, v_ssrc;
	uint64_t frame0_us, frames, next_frame_us, next_key_us;
	bool key_wanted;                 /* a PLI or FIR came */
	uint64_t v_sent, keys_sent, keys_asked;  /* keys_asked: of the
						  * keys sent, those for a
						  * PLI or FIR */
	struct vl_rx rx, win;            /* win: rx at the window's start */
	uint64_t v_sent0, keys_sent0, keys_asked0;
};

struct opts {
	const char *target;
	unsigned n, rate, warmup_s, seconds, talkers;
	unsigned fps, pkts, size;        /* video: frames/s, packets a
					  * frame, payload bytes a packet */
	unsigned key_ms;                 /* a keyframe at least this often */
	unsigned turn_ms;                /* talkers take turns (0: all talk) */
	unsigned ab_s;                   /* video on and off in turns of this
					  * (0: on all the window) */
	int pid;                         /* whose CPU is measured */
	const char *peers;               /* a file of UDP ports: video to
					  * those, no SIP, no audio */
	bool no_video;                   /* audio only (the baseline) */
};

/* What the peer spent and the legs got in phases with video on ([0])
 * or paused ([1], --ab) */
struct vl_phase {
	double cpu_us, gen_us, seconds, fwd;   /* gen_us: our own CPU */
};

struct vl_results {
	struct vl_phase ph[2];
	double seconds;                  /* the window, measured */
	double fwd, sent, expected, audio_rx;
	double keys_rx, keys_sent, keys_asked, kf_req;
	double min_leg;                  /* the least any video leg got */
	unsigned silent_legs;            /* video legs that got no video */
	unsigned ssrc_changes;
	unsigned gen_late;               /* our ticks 5 ms late or more */
};

extern struct opts o;
extern struct vleg *legs;
extern unsigned established;
extern atomic_bool media_done;
extern struct vl_results res;

/* media.c: sockets (a pair for audio, one for video, per leg) */
int   vl_open_sockets(struct vleg *l);
void  vl_close_sockets(struct vleg *l);
uint16_t vl_port(int fd);
void *vl_media_main(void *arg);
double vl_proc_cpu_us(int pid);

/* rx.c: everything that came in (epoll over every leg's sockets) */
int   vl_rx_open(void);
void  vl_rx_poll(void);
void  vl_rx_close(void);

#endif
