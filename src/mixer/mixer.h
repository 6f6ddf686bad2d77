/*
 * The mixer: threads that own RTP sockets and run the 20 ms tick (receive,
 * jitter buffer, decode, N-1 mix, encode, send, RTCP). The functions below
 * are called on the signalling thread only; they turn into commands on a
 * per-thread SPSC queue. Events (stats, DTMF) come back through another
 * queue plus an eventfd that the signalling loop watches, and are delivered
 * to the event handler on the signalling thread. A mixer thread never calls
 * into signalling code.
 */
#ifndef CAUCUS_MIXER_H
#define CAUCUS_MIXER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "media/media.h"

struct mixer;

#define MIXER_MAX_SPEAKERS 16
/* media policy (struct mixer_media) */
#define MIXER_CLASSES 4
#define MIXER_REL_MAX 16
#define MIXER_GAIN_OFF_DB -60.0f
/* sidebars in a room (groups 1 to MIXER_GROUPS - 1) */
#define MIXER_GROUPS 33

/* A DTLS record (RFC 7983: first byte 20 to 63) that arrived at a
 * stream's RTP or RTCP port, handed to the signalling thread (which runs the
 * handshake and sends its own records from the same port) */
typedef void (mixer_packet_h)(uint32_t stream_id, bool rtcp,
			      const struct sockaddr_storage *src,
			      socklen_t srclen, const uint8_t *data, size_t len,
			      void *arg);

struct mixer_cfg {
	unsigned threads;        /* 0: one per core */
	mixer_packet_h *packet_h;   /* DTLS records (NULL: dropped); called
				     * with mixer_alloc's arg */
	unsigned jitter_ms;
	unsigned max_speakers;   /* the K loudest talkers are mixed (1 to
				  * MIXER_MAX_SPEAKERS; 0: 4) */
	unsigned mix_hz;         /* the highest rate a room mixes at
				  * unless it names one; below it a room
				  * follows its callers' codecs (8000,
				  * 16000, 48000; 0: 16000) */
	/* per-thread RTP sockets: thread i binds shared_addr (its port
	 * ignored) at shared_port + 2i, RTCP on the next, and carries all
	 * its streams on them (mixer_stream_add takes no sockets then);
	 * every thread's pair must fit below shared_port_max (0: 65535).
	 * 0: each stream brings its own pair */
	uint16_t shared_port, shared_port_max;
	struct sockaddr_storage shared_addr;
	/* per-call sockets read and sent in batches through an io_uring
	 * per thread where the kernel allows it (else, and when false, a
	 * system call a packet) */
	bool uring;
};

/* SRTP of a stream (keys by value: nothing is shared between threads;
 * the mixer makes its own contexts at the command) */
#define MIXER_SRTP_KEY_MAX 30
struct mixer_srtp_keys {
	bool set;                 /* false: not known yet (a DTLS
				   * handshake): nothing sent, nothing
				   * taken */
	int suite;                /* libre's enum srtp_suite */
	uint8_t len;              /* master key and salt */
	uint8_t rx[MIXER_SRTP_KEY_MAX];   /* what they send */
	uint8_t tx[MIXER_SRTP_KEY_MAX];   /* what we send */
};

struct mixer_srtp {
	bool on;                  /* SRTP: nothing plain goes or is taken */
	bool dtls;                /* keyed by DTLS handshakes: records at
				   * the ports go to packet_h */
	struct mixer_srtp_keys rtp;
	/* RTCP: with SDES the RTP keys protect it too (rtcp unset); with
	 * DTLS-SRTP the RTCP port has a handshake and keys of its own */
	struct mixer_srtp_keys rtcp;
};

/* One direction's SRTP context for keys k (msrtp.c), for the mixer's
 * streams and the video forwarder's: a context whose key has not
 * changed is kept, with its rollover counter, SRTCP index and replay
 * window: a send context made again with the key it had would start its
 * index again and encrypt with keystream it already used (RFC 3711
 * s. 9.1; with AEAD_AES_128_GCM a nonce used twice). So a send context
 * outlives a pause (SRTP off, the stream removed by port 0) and is
 * remade only for a new key or suite, as a receive one is; keys not
 * known (k->set false) drop the receive context. made: the key the
 * context holds. EINVAL for a key longer than MIXER_SRTP_KEY_MAX. */
struct srtp;
struct mixer_srtp_made {
	int suite;
	uint8_t len;
	uint8_t key[MIXER_SRTP_KEY_MAX];
};
int  mixer_srtp_ctx(struct srtp **ctx, struct mixer_srtp_made *made,
		    const struct mixer_srtp_keys *k, bool tx);

/* Distributed mixing over a multicast group (mixer_self.c): where a
 * room sends each source it selected once a tick, for all its
 * self-mixing listeners that take the group, instead of once per
 * listener. group: the group and port (group_len 0: none); local: the
 * address whose interface it goes out of (its port is ignored); ttl: of
 * the packets (IPv6: the hop limit); codec: the one the group carries,
 * with its static payload type (media.h's enum values; Opus 111). The
 * room's socket for it is made on the signalling thread when a stream
 * command first names a group (mixer.c) and handed to the mixer thread
 * by a command of its own. */
struct mixer_mcast {
	struct sockaddr_storage group;
	socklen_t group_len;
	struct sockaddr_storage local;
	socklen_t local_len;
	uint8_t ttl;
	enum media_codec codec;
};

/* The per-stream settings that can change during a call. */
struct mixer_media {
	/* (what every packet and tick reads first, with rtp_dst's address
	 * and port: one cache line in a mixer stream) */
	socklen_t rtp_dst_len;
	enum media_codec codec;            /* what we send */
	uint8_t tx_pt;
	bool self_mix;      /* it mixes for itself (below) */
	int16_t telev_pt;                  /* -1: no telephone-event */
	bool send;          /* we send the mix to them (not on hold) */
	bool recv;          /* their audio may enter the mix */
	bool muted;         /* not heard by others */
	bool deaf;          /* hears nothing */
	bool hold_music;    /* hears music on hold instead of the mix (a
			     * join waiting for a moderator) */
	uint8_t room_speakers;  /* the room's K (0: the thread's); every
				 * stream of a room carries the same */
	uint8_t level_id;       /* RFC 6464 header extension id (0: none) */
	uint8_t csrc_level_id;  /* RFC 6465: the speakers mixed (CSRC list)
				 * and their levels go in each packet we
				 * send, with this extension id (0: no) */
	uint32_t room_hz;       /* the room's mix rate, 8000, 16000 or
				 * 48000 (0: the thread's); every stream of
				 * a room carries the same */
	struct sockaddr_storage rtp_dst;   /* where to send (until latched) */
	struct sockaddr_storage rtcp_dst;
	socklen_t rtcp_dst_len;
	struct media_opus_fmtp opus;   /* the peer's Opus fmtp */
	double gain_in_db;      /* applied to their audio in the mix */
	double gain_out_db;     /* applied to what they hear */
	/* Media policy (conf/part.h's struct part_mix): exceptions to
	 * "everyone hears everyone" that cost nothing to listeners they do
	 * not touch. group: 0 the room's main mix, else a sidebar's
	 * (members are mixed only there and hear the main mix at bg_gain
	 * if bg); cls: the class of its voice; cls_gain_db: how it hears
	 * each class (used when by_class); rel: how it hears one stream;
	 * whisper_to: heard by that stream alone (not in any mix);
	 * listen_to: hears that stream alone. A gain at or below
	 * MIXER_GAIN_OFF_DB is silence. Relations change how a speaker in
	 * the mix is heard; they never add one the K loudest left out. */
	uint16_t group;
	bool bg;
	float bg_gain_db;
	uint8_t cls;
	bool by_class;
	float cls_gain_db[MIXER_CLASSES];
	struct mixer_rel {
		uint32_t stream;
		float gain_db;
	} rel[MIXER_REL_MAX];
	uint8_t nrel;
	uint32_t whisper_to;
	uint32_t listen_to;
	uint32_t tx_ssrc;   /* the SSRC we send with; read on add only, so
			     * the signalling side can name it (src-id) */
	struct mixer_srtp srtp;
	/* Distributed mixing (spec s. 6.4, mixer_self.c): it mixes for
	 * itself. Instead of a mix it gets each talker of its group's K
	 * loudest (never itself; nobody the media policy says it does not
	 * hear), each application heard in its group and what is said to
	 * it alone, as RTP streams of their own on its one session: an
	 * SSRC per source, fixed while the source is in the room, its own
	 * sequence numbers and timestamps, in its codec, each source
	 * encoded once per codec and tick for all such listeners. Gains
	 * and relations' levels are left to it (sent at unity); nothing
	 * is sent for a place nobody fills. Plain RTP only (the SIP side
	 * takes it so). self_level_id: RFC 6464 levels of each source in
	 * its packets, with this extension id (0: none). */
	/* (self_mix is with the fields every tick reads, above) */
	uint8_t self_level_id;
	/* fwd_ssrc: the SSRC of its own voice as a source (read on add
	 * only, so the signalling side can tell a listener on a group
	 * which SSRC to drop; 0: the mixer picks one). mcast: the room's
	 * group (every stream of a room carries the same; group_len 0:
	 * none). mcast_on: it mixes for itself and was told the group (its
	 * SDP): it gets the room's selection from the group, and by
	 * unicast only what the group does not carry (what is said to it
	 * alone); a listener whose selection differs from the room's main
	 * one (a sidebar, relations, classes) or whose codec is not the
	 * group's gets its unicast streams all the same. */
	uint32_t fwd_ssrc;
	struct mixer_mcast mcast;
	bool mcast_on;
};

struct mixer_stream_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint32_t rx_lost, rx_late, rx_dup, rx_bad, concealed;
	uint32_t decode_skipped;   /* silent frames not decoded (Opus) */
	uint32_t fec_recovered;    /* lost frames rebuilt from Opus FEC */
	uint32_t tx_dtx;           /* Opus frames not sent (DTX) */
	uint32_t jitter_us;
	uint32_t jb_target_us, jb_depth_us;  /* the jitter buffer's target
					      * and what it holds */
	uint32_t jb_skipped, jb_stretched;   /* frames cut to follow drift,
					      * waited for late data */
	uint32_t rx_stranger;      /* RTP and RTCP not from the owner,
				    * dropped (util/msource.c) */
	uint32_t rx_unauth;        /* SRTP that did not authenticate */
	uint32_t rx_ssrc, tx_ssrc;
	uint32_t mix_hz;           /* the rate its room mixes at now */
	bool talking_seen;     /* media arrived since the last report */
	/* The loudest frame since the last report, -dBov (talk.h's level:
	 * 0 loudest, 127 silence), for the console's meters: only while
	 * the room's levels are wanted (mixer_room_levels), and then the
	 * reports come every MIXER_LEVEL_INTERVAL_MS instead of every
	 * second; else MIXER_LEVEL_NONE */
	uint8_t level;
};
#define MIXER_LEVEL_NONE 255
#define MIXER_LEVEL_INTERVAL_MS 200

enum mixer_ev_type { MIXER_EV_STATS, MIXER_EV_DTMF, MIXER_EV_TALKING };

struct mixer_event {
	enum mixer_ev_type type;
	uint32_t stream_id;
	char digit;                        /* MIXER_EV_DTMF */
	bool talking;                      /* MIXER_EV_TALKING: started or
					    * stopped (mixer/talk.h) */
	uint8_t level;                     /* its level then, -dBov */
	struct mixer_stream_stats stats;   /* MIXER_EV_STATS */
};

/* Tick durations (the work of one 20 ms tick), upper bounds in µs; the
 * last bucket has no bound */
#define MIXER_TICK_BUCKETS 9
extern const uint32_t mixer_tick_bounds_us[MIXER_TICK_BUCKETS - 1];

struct mixer_thread_stats {
	uint64_t tick_hist[MIXER_TICK_BUCKETS];  /* not cumulative */
	uint64_t late_hist[MIXER_TICK_BUCKETS];  /* how late each tick
						  * started (same bounds) */
	uint64_t ticks;
	uint64_t late_ticks;
	uint64_t busy_us;          /* time spent working in ticks */
	uint64_t late_us;          /* sum of late_hist's samples */
	uint32_t max_tick_us;
	uint32_t streams;
	uint64_t events_dropped;
	/* per-thread sockets: packets no stream claimed (an unknown
	 * source), packets a full socket refused to send */
	uint64_t rx_unmatched, tx_dropped;
	uint16_t port;             /* the thread's RTP port (0: per call) */
	uint32_t load_ppm;         /* its last second's work, in parts per
				    * million of the ticks' 20 ms */
};

typedef void (mixer_event_h)(const struct mixer_event *ev, void *arg);

int  mixer_alloc(struct mixer **mxp, const struct mixer_cfg *cfg,
		 mixer_event_h *eh, void *arg);
/* Hands rtp_fd and rtcp_fd over to the mixer (it closes them); with
 * per-thread sockets both are -1 and the room must be held
 * (mixer_room_hold). Streams of one room are always on one thread. */
int  mixer_stream_add(struct mixer *mx, uint32_t room, int rtp_fd,
		      int rtcp_fd, const struct mixer_media *m, uint32_t *idp);
/*
 * Applications (prompt players, recorders) join a room the way a call
 * does: as a stream, with the same settings (mute, deaf, gains), but
 * without sockets. A source plays 20 ms frames of 16 kHz linear PCM
 * (MIXER_APP_FRAME samples) into the mix from a ring its own thread
 * fills; a sink gets the mix it hears, as every listener does, into a
 * ring its thread drains. Each ring has one producer and one consumer
 * (the application's thread and the mixer thread); the object is shared
 * by counted references, so either side may let go first. A source
 * whose ring is empty is silent; a sink whose ring is full loses the
 * frame (counted). to: a source heard by that stream alone (a private
 * prompt; 0: by everyone the room's rules let hear it); a sink that
 * hears that stream alone, muted or not (its own track of a recording,
 * a name said at the lobby; 0: the room's mix). An application's audio
 * is mixed beside the K loudest speakers, never instead of one.
 */
#define MIXER_APP_FRAME (MEDIA_APP_HZ / 50)   /* 20 ms */
struct mixer_app;
/* source, sink: what it does; frames: the rings' size (a power of 2) */
struct mixer_app *mixer_app_new(bool source, bool sink, unsigned frames);
/* Lets go of a reference (the caller's; the mixer holds its own while
 * the stream is in a room) */
void mixer_app_put(struct mixer_app *a);
/* The application's side: a frame to play (false: the ring is full);
 * a frame heard (false: none waiting); frames waiting to be played;
 * frames lost because the sink's ring was full */
bool mixer_app_play(struct mixer_app *a, const int16_t *frame);
bool mixer_app_take(struct mixer_app *a, int16_t *frame);
unsigned mixer_app_queued(const struct mixer_app *a);
uint32_t mixer_app_lost(const struct mixer_app *a);
/* Adds the application to room (m: its settings; codec and addresses
 * are ignored); the mixer takes a reference */
int  mixer_app_add(struct mixer *mx, uint32_t room, struct mixer_app *a,
		   uint32_t to, const struct mixer_media *m, uint32_t *idp);
int  mixer_stream_update(struct mixer *mx, uint32_t id,
			 const struct mixer_media *m);
int  mixer_stream_remove(struct mixer *mx, uint32_t id);
/* The stream goes over to another room (a caller moved from the dial-in
 * lobby into its conference), keeping its sockets, state and SSRC. A
 * room on no thread yet is placed on the stream's; EXDEV: the room is on
 * another thread (the caller removes the stream and adds it there) */
int  mixer_stream_move(struct mixer *mx, uint32_t id, uint32_t room);
/* Per-thread sockets: places room on a thread (if it is not placed yet)
 * and holds it there until mixer_room_release, so that a call can name
 * that thread's port in its SDP before its stream is added (a stream
 * keeps its room where it is too, so the hold may be released once the
 * stream is added). ENOTSUP: the mixer takes sockets per call
 * (rtp_ports_alloc's). */
int  mixer_room_hold(struct mixer *mx, uint32_t room, uint16_t *port);
/* With per-thread sockets, the RTP (or RTCP) socket of the thread room
 * is held on (for a call's DTLS records to go out from the port its SDP
 * names: the caller dups it); -1 when there is none */
int  mixer_room_fd(const struct mixer *mx, uint32_t room, bool rtcp);
void mixer_room_release(struct mixer *mx, uint32_t room);
bool mixer_shared_sockets(const struct mixer *mx);
/* How RTP is read and sent: "batches" (per-thread sockets), "io_uring"
 * (per-call sockets, every thread has its ring), "syscalls" (a call a
 * packet) */
const char *mixer_rtp_io(const struct mixer *mx);
/* The levels of room's streams wanted (a console follows it) or not:
 * their stats reports carry their level, five times a second
 * (mixer_stream_stats.level). Told to every thread, so a room placed
 * later has it too; a room nobody asked for costs nothing more. */
int  mixer_room_levels(struct mixer *mx, uint32_t room, bool on);
/* The thread room is placed on (for mixer_thread_stats), or -1 */
int  mixer_room_thread(const struct mixer *mx, uint32_t room);
unsigned mixer_thread_count(const struct mixer *mx);
void mixer_thread_stats(const struct mixer *mx, unsigned idx,
			struct mixer_thread_stats *st);

#endif
