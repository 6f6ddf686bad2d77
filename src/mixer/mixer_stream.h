/* Private to mixer_thread.c and mixer_io.c: a stream and a room as their
 * mixer thread holds them, and the stream I/O the tick calls. (Apart from
 * mixer_int.h, because the jitter buffer's names clash with libre's, which
 * mixer.c includes.) Mixer thread only. */
#ifndef CAUCUS_MIXER_STREAM_H
#define CAUCUS_MIXER_STREAM_H

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "media/media.h"
#include "mixer/jbuf.h"
#include "mixer/mixer_int.h"
#include "mixer/rtp.h"
#include "mixer/talk.h"
#include "util/msource.h"

#define RX_BATCH 8
#define INBAND_FRAME 160         /* 20 ms at 8 kHz */
#define PKT_MAX 1500
#define RTCP_INTERVAL_US 5000000
#define STATS_INTERVAL_US 1000000
/* while a room's levels are wanted (mixer.h) */
#define LEVEL_INTERVAL_US (MIXER_LEVEL_INTERVAL_MS * 1000)
#define RTCP_POLL_TICKS 10       /* 200 ms */
/* 120 ms at 48 kHz (the longest Opus packet) and a frame */
#define PLAYOUT_FIFO (5760 + MEDIA_FRAME_MAX)


/* SRTP of a stream (msrtp.c): contexts made from s->m.srtp at a command
 * (the only allocation; one whose key is unchanged is kept), freed with
 * the stream; packets decrypted in
 * place (false: not authentic, or keys not yet known: drop), encrypted
 * in place with room for the tag (cap: the buffer's size) */
struct mstream;
struct srtp;
#define MSRTP_TAG_MAX 24         /* the tag, and SRTCP's index too */
int  msrtp_apply(struct mstream *s);
void msrtp_free(struct mstream *s);
bool msrtp_rx(struct mstream *s, uint8_t *buf, size_t *len, bool rtcp);
bool msrtp_tx(struct mstream *s, uint8_t *buf, size_t *len, size_t cap,
	      bool rtcp);

/* A stream and a room, owned by their mixer thread. A stream is
 * allocated by mstream_alloc, at its alignment: its hot fields are laid
 * out by cache line */
struct mstream {
	uint32_t id;
	struct mixer_app *app;   /* an application (no sockets): its rings
				  * instead of the network (mixer.h) */
	uint32_t app_to;         /* a source heard by this stream only;
				  * a sink hearing this stream only */
	/* the media policy (struct mixer_media's group, cls, rel,
	 * whisper_to, listen_to), resolved at commands by room_relink */
	uint32_t priv_to;        /* heard by that stream alone (a private
				  * application, a whisper) */
	uint32_t hear_only;      /* hears that stream alone (a sink's
				  * app_to, a call's listen_to) */
	struct mgroup *grp;      /* the mix it is in (never NULL) */
	bool custom;             /* relations: a frame of its own */
	/* what every packet and every tick touches, kept together (a
	 * stream is 43 kB: scattered, these were a dozen cache lines a
	 * packet) */
	bool latched;            /* a source was heard: rtp_dst is where
				  * its media comes from */
	bool rtcp_latched;
	unsigned native_hz, nframe;      /* native rate, samples in 20 ms */
	unsigned fifo_n;
	unsigned conceal_run;
	bool dec_stale;      /* Opus: the last frame was not decoded */
	bool quiet;          /* this tick's frame was quiet and not even
			      * decoded: quiet_level is its level, the
			      * samples were not written */
	uint8_t quiet_level;
	bool deferred;       /* this tick's frame (G.711, loud or from a
			      * talker) waits undecoded in the jitter
			      * buffer: quiet_level is its level */
	bool up_live;        /* the receive resampler ran last tick */
	bool srtp_on;        /* m.srtp.on as of the last msrtp_apply
			      * (which follows every change of m), here
			      * where every packet looks */
	bool plc_fresh;      /* plc was reset and has been given nothing
			      * since (its own allocation is not touched
			      * again for a frame dropped unheard) */
	struct rtp_rxstat rx;
	uint32_t tx_ssrc, tx_ts, tx_packets, tx_octets;
	uint32_t tx_packets_reported;   /* tx_packets at the last RTCP */
	uint16_t tx_seq;
	bool tx_marker;
	uint64_t next_rtcp_us, next_stats_us;
	bool telev_on;           /* RFC 4733 events silence the audio */
	uint32_t telev_until_ms; /* until then (inband.c) */
	struct mixer_stream_stats st;
	struct talk talk;        /* who is talking (what they send, muted
				  * or not) */
	uint8_t hdr_level;       /* RFC 6464: the last level in a header */
	bool hdr_voice;
	uint32_t hdr_level_at;   /* when (8 kHz units); 0: never */
	uint8_t level_peak;      /* the loudest talk.level since the last
				  * stats report (-dBov) */
	bool have;               /* contrib holds audio this tick */
	uint32_t fwd_ssrc, fwd_ts0, fwd_ticks;   /* mixer_self.c, below */
	/* keypad tones (inband.c): a G.711 caller without telephone-event
	 * is listened to for in-band tones and delayed two frames (looked
	 * at every tick; its state is with the rest, below) */
	struct dtmf_rx_state_s *inband;
	int rtp_fd, rtcp_fd;     /* its own, or its thread's (mux) */
	struct mux *mux;         /* per-thread sockets (NULL: its own) */
	struct uring *ur;        /* its own, read and sent through its
				  * thread's io_uring (NULL: a call a
				  * packet) */
	int32_t gain_in_q16, gain_out_q16;   /* m's gains in mix.h's unit */
	struct media_coder *coder;   /* codec state and resamplers (NULL:
				      * G.711 in an 8 kHz mix) */
	struct media_plc *plc;       /* G.711's concealment */
	struct srtp *srtp_rx, *srtp_tx;   /* msrtp.c; NULL: plain RTP */
	/* whose media is taken (util/msource.c), and the stream's media
	 * settings: each starts a cache line, so that a packet reads one
	 * line of each (their first fields, and the address in it) */
	struct msource src __attribute__((aligned(64)));
	struct mixer_media m __attribute__((aligned(64)));
	/* the rest */
	struct srtp *srtcp_rx, *srtcp_tx; /* RTCP's own (DTLS-SRTP) */
	struct mixer_srtp_made made[4];   /* the key each context holds:
					   * RTP rx, tx; RTCP's own rx, tx */
	uint32_t dtls_win;       /* DTLS records handed on in this window */
	unsigned dtls_n;         /* (about a second), at most DTLS_PER_WIN */
	/* relations (room_relink) and taps */
	int32_t cls_q16[MIXER_CLASSES];      /* how it hears each class */
	const struct mstream *relp[MIXER_REL_MAX];  /* how it hears */
	int32_t rel_q16[MIXER_REL_MAX];             /* these streams */
	unsigned nrelp;
	struct mstream *tap_src; /* the stream it hears alone (hear_only) */
	int16_t *tap;            /* tapped by a sink: this tick's audio at
				  * the mix rate, mixed or not (muted) */
	bool tap_have;           /* tap holds audio this tick */
	unsigned tapped_by;      /* sinks hearing it */
	struct jbuf jb;
	/* playout: decoded samples at the native rate waiting to be
	 * played (a packet may be longer than a tick), the last frame
	 * played (G.722 concealment repeats it, fading) */
	int16_t fifo[PLAYOUT_FIFO];
	int16_t last[MEDIA_FRAME_MAX];
	/* keypad tones (inband, above) */
	int16_t inband_dl[2][INBAND_FRAME];
	bool inband_got[2];
	uint8_t inband_fill, inband_drop;
	char inband_digits[4];
	unsigned inband_n;
	uint32_t dtmf_ts;        /* timestamp of the last reported event */
	uint8_t dtmf_ev;         /* and its code */
	bool dtmf_seen;
	int32_t contrib[MEDIA_FRAME_MAX];
	/* distributed mixing (mixer_self.c): its voice as the RTP stream
	 * listeners that mix for themselves get: an SSRC of its own for
	 * its life in the room, sequence numbers per codec, timestamps
	 * from the ticks it lived; the encoders and this tick's encodings
	 * (made at commands while the room has such listeners; fwd_ssrc,
	 * fwd_ts0 and fwd_ticks are with the fields of every tick) */
	uint16_t fwd_seq[MEDIA_NCODECS];
	struct mfwd *fwd;
	bool mc_take;            /* it hears the room's selection from the
				  * room's multicast group (self_relink) */
};

/* A zeroed stream at the alignment its layout wants (free() frees it);
 * NULL: out of memory */
static inline struct mstream *mstream_alloc(void)
{
	struct mstream *s = aligned_alloc(_Alignof(struct mstream),
					  sizeof(struct mstream));

	if (s)
		memset(s, 0, sizeof(*s));
	return s;
}

/* A mix within a room: the main conference's (group 0) or a
 * sidebar's. Its members' K loudest are summed; a member hears the sum
 * but itself, and a sidebar's members the main sum too, at bg_q16 */
struct mgroup {
	unsigned idx;
	bool live;               /* has members (room_relink) */
	bool bg;                 /* members hear the main mix */
	int32_t bg_q16;
	int32_t sum[MEDIA_FRAME_MAX];
	/* the speakers in this tick's mix, loudest first (RFC 6465) */
	const struct mstream *spk[MIXER_MAX_SPEAKERS];
	unsigned nspk;
	/* the applications mixed beside them this tick (mixer_self.c
	 * sends them as streams of their own) */
#define GROUP_APPS_MAX 8
	const struct mstream *app[GROUP_APPS_MAX];
	unsigned napp;
	/* what members not in the mix hear (a sidebar's: its sum and the
	 * main one's in the background), made when first needed in a
	 * tick */
	int32_t base[MEDIA_FRAME_MAX];
	bool base_ready;
	/* that frame at unity gain, encoded once per codec in a tick by
	 * the group's own coder (state for G.722 and Opus; made at
	 * commands) and sent to all of them */
	struct media_coder *shared[MEDIA_NCODECS];
	int16_t pcm[MEDIA_FRAME_MAX];
	bool pcm_ready;
	uint8_t enc[MEDIA_NCODECS][MEDIA_MAX_PAYLOAD];
	size_t len[MEDIA_NCODECS];
	bool enc_ready[MEDIA_NCODECS];
};

struct mroom {
	uint32_t key;
	unsigned k;              /* speakers mixed; 0: the thread's */
	unsigned hz, frame;      /* mix rate, samples in 20 ms */
	struct mstream **s;
	unsigned n, cap;
	struct mgroup main;
	struct mgroup *grp[MIXER_GROUPS];   /* [0]: &main; sidebars' made
					     * at commands */
	bool relink;             /* a command changed it: room_relink
				  * before the next tick */
	bool levels;             /* its streams' levels are wanted: stats
				  * reports at LEVEL_INTERVAL_US, with
				  * their level_peak */
	/* private sources this tick (an application or a whisper heard
	 * by one stream only: its priv_to) */
#define ROOM_PRIVATE_MAX 64
	const struct mstream *priv[ROOM_PRIVATE_MAX];
	unsigned npriv;
	/* distributed mixing's multicast group (mixer_self.c): its socket
	 * (the command's, closed with the room), where, in which codec;
	 * mc_live: a listener takes it (self_relink), so the main group's
	 * selection is sent to it each tick */
	bool mc_on, mc_live;
	int mc_fd;
	struct sockaddr_storage mc_dst;
	socklen_t mc_dst_len;
	enum media_codec mc_codec;
	uint64_t mc_packets;     /* sent to the group (for the tests) */
};


/* An event for the signalling thread (*sig: the eventfd must be poked) */
/* clk's time in µs */
uint64_t mthread_now_us(clockid_t clk);
/* One 20 ms tick's work (mixer_thread.c): commands, receive, play out,
 * mix, send; *sig: an event waits for the signalling thread. The fuzz
 * target of the media path runs it on a thread of its own making. */
void mthread_tick(struct mthread *t, uint64_t mono, uint64_t wall,
		  bool *sig);
/* The queued commands applied (mixer_cmd.c), at the start of a tick */
void mthread_drain_commands(struct mthread *t);
void mthread_push_event(struct mthread *t, const struct mixer_event *ev,
			bool *sig);
/* A report (counters, a meter's level) that can wait: the signalling
 * thread is woken for it within MTHREAD_LAZY_US while a console's meters
 * are on in one of the thread's rooms (MTHREAD_LAZY_QUIET_US while none
 * are: counters come once a second anyway), or once MTHREAD_LAZY_MAX
 * wait, or with the next event that cannot wait */
void mthread_push_report(struct mthread *t, const struct mixer_event *ev,
			 uint64_t mono_us);
#define MTHREAD_LAZY_US 100000
#define MTHREAD_LAZY_QUIET_US 500000
#define MTHREAD_LAZY_MAX 1024
/* A stream's network side (mixer_io.c): read into the jitter buffer;
 * encode and send a frame (or send an encoded payload); RTCP and stats
 * when due */
void mstream_receive(struct mthread *t, struct mstream *s, uint64_t mono_us,
		     uint64_t wall_us, bool *sig);
/* (g: the mix this is, for the RFC 6465 CSRC list and levels; NULL: no
 * sources, e.g. music on hold) */
void mstream_send(struct mstream *s, const struct mgroup *g,
		  const int16_t *pcm, unsigned n);
void mstream_send_payload(struct mstream *s, const struct mgroup *g,
			  const uint8_t *payload, size_t len);
void mstream_rtcp(struct mstream *s, uint64_t mono_us, uint64_t wall_us);
/* One RTP or RTCP packet from src for s (mixer_io.c; the mux hands it
 * over once it knows whose it is) */
/* RFC 7983: a datagram at an RTP port whose first byte is 20 to 63 is
 * DTLS; mstream_rx_dtls hands it to the signalling thread */
static inline bool mstream_is_dtls(const uint8_t *buf, size_t len)
{
	return len >= 13 && buf[0] >= 20 && buf[0] <= 63;
}
void mstream_rx_dtls(struct mthread *t, struct mstream *s, bool rtcp,
		     const uint8_t *buf, size_t len,
		     const struct sockaddr_storage *src, socklen_t srclen,
		     uint32_t arrival_ts, bool *sig);
void mstream_rx_rtp(struct mthread *t, struct mstream *s, uint8_t *buf,
		    size_t len, const struct sockaddr_storage *src,
		    socklen_t srclen, uint32_t arrival_ts, bool *sig);
void mstream_rx_rtcp(struct mstream *s, uint8_t *buf, size_t len,
		     const struct sockaddr_storage *src, socklen_t srclen,
		     uint64_t wall_us);
/* Same address (and port, if port): util/msource.h's msource_addr_eq */
#define mstream_addr_eq msource_addr_eq
/* A packet of bytes, payload of them, went out for s */
void mstream_sent(struct mstream *s, size_t bytes, size_t payload);
/* (levels: the room's are wanted, mroom.levels) */
void mstream_stats(struct mthread *t, struct mstream *s, uint64_t mono_us,
		   bool levels);
/* One 20 ms frame (s->nframe samples at the native rate) out of the
 * jitter buffer, decoded or concealed (playout.c). False: the stream is
 * not playing (nothing to hear; out is not written). With s->quiet set,
 * out was not written either: the frame was quiet (s->quiet_level) from
 * a stream not talking */
bool mstream_playout(struct mstream *s, int16_t *out);
/* With s->deferred set, out was not written either: the frame is
 * decoded into out by mstream_playout_decode if it is heard, else
 * mstream_playout_drop takes it (one of them in the same tick; nothing
 * when s->deferred is not set) */
void mstream_playout_decode(struct mstream *s, int16_t *out);
void mstream_playout_drop(struct mstream *s);
/* Sets up a stream's playout for its codec and its room's rate */
void mstream_playout_init(struct mstream *s, unsigned mix_hz,
			  unsigned jitter_ms);

/* Keypad tones (inband.c): wanted for s (G.711 without telephone-event);
 * its receiver made or freed to match (a command); an RFC 4733 event
 * arrived; is the audio silenced for one (now in ms); one frame (8 kHz,
 * INBAND_FRAME samples, in pcm, got: there is one) through the in-band
 * receiver and its delay: true when pcm holds a frame to mix */
bool inband_wanted(const struct mstream *s);
void inband_setup(struct mstream *s);
void inband_free(struct mstream *s);
void inband_telev(struct mstream *s, uint32_t now_ms);
bool inband_telev_quiet(struct mstream *s, uint32_t now_ms);
bool inband_frame(struct mthread *t, struct mstream *s, int16_t *pcm,
		  bool got, bool *sig);

/* Distributed mixing (mixer_self.c; mixer.h's self_mix): a new
 * stream's SSRC and clocks; after a command changed the room, the
 * encoders each source needs for the codecs of the room's self-mixing
 * listeners (the only allocation; freed when none is left); a stream's
 * freed; in a tick, what s hears sent as a stream per source. How s
 * hears a speaker under the media policy (Q16; 0: not at all) */
void self_init(struct mstream *s);
void self_relink(struct mroom *r);
void self_free(struct mstream *s);
void self_send(const struct mroom *r, struct mstream *s);
bool self_on(const struct mstream *s);
/* The room's multicast group (mixer_self.c): set from a command (fd:
 * its socket, now the room's, -1 none; the one it had is closed), or
 * dropped with the room (fd -1, mc NULL); in a tick, before the
 * listeners, the main group's selection sent to it, each source once */
struct mixer_mcast;
void self_group_set(struct mroom *r, int fd, const struct mixer_mcast *mc);
void self_group_send(struct mroom *r);
int32_t mstream_heard_q16(const struct mstream *s, const struct mstream *spk);
/* A forwarded packet went out for s (counted for the stats, not for
 * the RTCP sender report of its own SSRC); mux_commit's payload then */
void mstream_fwd_sent(struct mstream *s, size_t bytes);
#define MUX_PAYLOAD_FWD 0xffff

/* Per-thread sockets (mixer_mux.c), mixer thread only. At a command:
 * room for n streams in the lookup tables (false: out of memory); s
 * starts or stops using the thread's sockets; s's signalled address
 * changed. */
bool mux_reserve(struct mux *m, unsigned n);
void mux_attach(struct mux *m, struct mstream *s);
void mux_detach(struct mux *m, struct mstream *s);
void mux_changed(struct mux *m);
/* At the start of a tick: everything that arrived, read in batches and
 * handed to its stream (before any stream plays out) */
void mux_receive(struct mthread *t, uint64_t mono_us, uint64_t wall_us,
		 bool *sig);
/* Sending: the buffer the next packet is written into; the packet
 * queued for s (sent at the latest by mux_flush, at the end of the
 * tick) */
uint8_t *mux_slot(struct mux *m);
void mux_commit(struct mux *m, struct mstream *s, size_t bytes,
		size_t payload);
void mux_flush(struct mux *m);

/* Per-call sockets in batches (mixer_uring.c), mixer thread only: is
 * the thread's ring in use (NULL or failed: one call a packet); at the
 * start of a tick, before any stream plays out, every stream's RTP read;
 * sending as mux_slot, mux_commit and mux_flush; packets lost sending */
bool uring_on(const struct uring *u);
void uring_receive(struct mthread *t, uint64_t mono_us, bool *sig);
uint8_t *uring_slot(struct uring *u);
void uring_commit(struct uring *u, struct mstream *s, size_t bytes,
		  size_t payload);
void uring_flush(struct uring *u);
uint64_t uring_tx_dropped(const struct uring *u);

#endif
