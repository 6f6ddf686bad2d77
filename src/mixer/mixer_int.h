/* Private to the mixer module: the command and thread structures shared by
 * mixer.c (signalling side) and mixer_thread.c (mixer side). */
#ifndef CAUCUS_MIXER_INT_H
#define CAUCUS_MIXER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "mixer/mixer.h"
#include "util/spsc.h"

/* MCMD_GROUP: a room's multicast group (media.mcast; rtp_fd its socket,
 * -1 for none) */
/* MCMD_LEVELS: levels of room wanted or not (levels; to every thread) */
enum mcmd_type { MCMD_ADD, MCMD_UPDATE, MCMD_REMOVE, MCMD_MOVE,
		 MCMD_GROUP, MCMD_LEVELS };

struct mcmd {
	enum mcmd_type type;
	uint32_t id;
	uint32_t room;
	int rtp_fd, rtcp_fd;
	struct mixer_app *app;    /* MCMD_ADD of an application (a
				   * reference the command carries) */
	uint32_t app_to;
	bool levels;
	struct mixer_media media;
};

/* An application's rings (mixer.h), shared by reference between its
 * thread and the mixer thread */
struct mixer_app {
	_Atomic int refs;
	bool source, sink;
	struct spsc in;           /* frames to play: app -> mixer */
	struct spsc out;          /* frames heard: mixer -> app */
	_Atomic uint32_t lost;    /* frames the sink's full ring lost */
};
struct mixer_app *mixer_app_get(struct mixer_app *a);

struct mroom;
struct mux;
struct uring;

struct mthread {
	pthread_t tid;
	unsigned idx;
	unsigned jitter_ms;
	unsigned max_speakers;    /* K: the loudest mixed in each room */
	unsigned mix_hz;          /* the ceiling of a room's rate unless
				   * it names one (mixer_rate.c) */
	int efd;                  /* eventfd shared with the signalling loop */
	struct mux *mux;          /* per-thread RTP sockets (NULL: a pair
				   * per stream) */
	struct uring *uring;      /* the pairs read and sent in batches
				   * (NULL: a call a packet) */
	atomic_bool run;
	struct spsc cmdq;         /* signalling -> mixer */
	struct spsc evq;          /* mixer -> signalling */
	struct spsc pktq;         /* mixer -> signalling: DTLS records */
	/* owned by the mixer thread */
	struct mroom **rooms;
	unsigned nrooms, cap_rooms;
	/* this tick's music on hold at each mix rate (MEDIA_RATES) */
	int16_t moh[3][MEDIA_FRAME_MAX];
	uint64_t moh_tick;        /* its position, in ticks */
	unsigned moh_ready;       /* bit i: moh[i] computed for this tick */
	uint32_t *lv_rooms;       /* rooms whose levels are wanted (the
				   * keys, placed here or not) */
	unsigned n_lv, cap_lv;
	uint64_t shared_sends;    /* packets sent from a shared encoding
				   * (mixer thread only; for the tests) */
	/* reports (counters, meters) wait for the next wake-up of the
	 * signalling thread, at most MTHREAD_LAZY_US: since when one waits,
	 * and how many */
	uint64_t lazy_at_us;
	unsigned lazy_n;
	/* written by the mixer thread, read by anyone */
	_Atomic uint64_t ticks, late_ticks, busy_us, late_us, events_dropped;
	_Atomic uint64_t rx_unmatched, tx_dropped;   /* per-thread sockets */
	_Atomic uint64_t tick_hist[MIXER_TICK_BUCKETS];
	_Atomic uint64_t late_hist[MIXER_TICK_BUCKETS];
	_Atomic uint32_t max_tick_us, streams;
	_Atomic uint32_t load_ppm;  /* the last second's busy share */
};

void *mthread_main(void *arg);
/* Per-thread sockets (mixer_mux.c), made and freed on the signalling
 * thread before the mixer thread starts and after it ended. addr's port
 * is ignored: RTP binds port, RTCP port + 1. */
int  mux_new(struct mux **mp, const struct sockaddr_storage *addr,
	     uint16_t port, unsigned *rcvbuf);
void mux_free(struct mux *m);
int  mux_fd(const struct mux *m, bool rtcp);
/* The io_uring of a thread with per-call sockets (mixer_uring.c), made
 * and freed likewise: an errno when the kernel has none for us */
int  uring_new(struct uring **up);
void uring_free(struct uring *u);
/* Thread i's sockets before it starts (mixer_sock.c, said in the log):
 * with per-thread sockets its own pair, else (cfg->uring) its io_uring,
 * unless one could not be made before (*uring_err: not tried again, and
 * not an error: the calls go a system call a packet); how n threads
 * read and send RTP (mixer_rtp_io) */
int  mthread_sockets(struct mthread *t, const struct mixer_cfg *cfg,
		     unsigned i, int *uring_err);
const char *mthread_rtp_io(const struct mthread *t, unsigned n,
			   bool shared);

/* A DTLS record on its way to the signalling thread */
struct mpkt {
	uint32_t stream_id;
	bool rtcp;                /* at the RTCP port */
	socklen_t srclen;
	uint16_t len;
	struct sockaddr_storage src;
	uint8_t data[1500];
};
void mthread_free_rooms(struct mthread *t);
/* The mix rate follows the room (issue 22; mixer_rate.c): after a
 * command changed r's streams (why: "new", "join", "leave", "codec",
 * "policy"), its rate is decided again and, when it changed, every
 * coder and playout moved to it without a gap; a stream's playout at
 * the new rate (playout.c). Mixer thread, at commands. */
struct mstream;
void mroom_follow(struct mthread *t, struct mroom *r, const char *why);
void mstream_playout_rate(struct mstream *s, unsigned mix_hz);
/* The next n native samples of s's timeline taken now, ahead of the
 * tick (false: not playing, nothing taken); n samples put back in front
 * of what it plays next */
bool mstream_playout_lead(struct mstream *s, int16_t *out, unsigned n);
void mstream_playout_unget(struct mstream *s, const int16_t *in,
			   unsigned n);

#endif
