/*
 * Jitter buffer for one received stream. It holds the packets as they came
 * (encoded), ordered by RTP timestamp, drops duplicates and late ones, and
 * hands them out in timeline order at playout, where they are decoded:
 * so a codec's decoder sees its packets in order, a hole is known as a
 * hole when it is due (Opus then conceals it from the next packet's FEC
 * or by its own PLC), and a silent frame need not be decoded at all.
 * Everything is counted in the stream's RTP clock units.
 *
 * Adaptive: the playout target follows the measured interarrival jitter
 * (RFC 3550 s. 6.4.1) and late packets, between the configured minimum
 * and JB_TARGET_MAX_MS; the delay actually held follows the sender's clock
 * drift: when for a whole second the buffer never fell below the target
 * plus a frame, one frame's worth is skipped (a faster sender); an empty
 * buffer is concealed without moving the timeline (a slower sender, or a
 * late packet, which then still plays).
 * Fixed storage, no allocation. Mixer thread only; unit-tested directly.
 */
#ifndef CAUCUS_JBUF_H
#define CAUCUS_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_SLOTS 32
#define JB_PAYLOAD 640        /* bytes: 80 ms of G.711 */
#define JB_TARGET_MAX_MS 200
#define JB_TICKS_PER_S 50
/* more than this many frames over the target is cut at once (a burst
 * after a stall); below it the drift follower takes a frame a second */
#define JB_EXCESS_FRAMES 5

enum jb_put_result { JB_OK = 0, JB_DUP, JB_LATE, JB_OVERFLOW, JB_BAD };

struct jbuf_stats {
	uint32_t put;
	uint32_t dup;
	uint32_t late;
	uint32_t overflow;
	uint32_t concealed;   /* holes and dry spells handed out */
	uint32_t underruns;   /* times the buffer ran dry while playing */
	uint32_t resyncs;     /* timeline jumps (sender restart, long gap) */
	uint32_t skipped;     /* frames dropped to cut excess delay */
	uint32_t stretched;   /* frames concealed to wait for late data */
};

/* a packet's level not known to the buffer (jbuf_put) */
#define JB_LEVEL_NONE 255

struct jb_slot {
	uint16_t seq;
	uint8_t pt;
	uint8_t level;              /* -dBov, as given to jbuf_put */
	uint16_t len;
	uint32_t ts;
	uint32_t dur;               /* clock units */
	uint8_t data[JB_PAYLOAD];
};

struct jbuf {
	uint8_t order[JB_SLOTS];      /* slot indexes sorted by ts */
	unsigned count;
	unsigned clock;               /* RTP clock, Hz */
	unsigned frame;               /* clock units in 20 ms */
	bool playing;
	uint32_t play_ts;             /* next timestamp to play */
	uint32_t dry;                 /* clock units concealed since the
				       * last packet */
	/* the target: what is buffered before playout starts, and the
	 * delay the drift follower keeps */
	unsigned target_min, target;
	unsigned late_boost;          /* added after late packets */
	/* interarrival jitter (RFC 3550), clock units << 4 */
	uint32_t jitter_q4;
	int32_t last_transit;
	bool transit_known;
	/* the drift follower's window: ticks seen, least depth in them */
	unsigned win_ticks;
	uint32_t win_min;
	struct jbuf_stats stats;
	/* (last: what every packet and tick reads above shares a few
	 * cache lines) */
	struct jb_slot slot[JB_SLOTS];
};

void jbuf_init(struct jbuf *jb, unsigned clock_hz, unsigned target_ms);
/* A packet of dur clock units, arrived at `arrival` (clock units of any
 * origin). level: its level (-dBov) when the caller measured it as it
 * arrived, from bytes still in the cache (G.711: playout.c then need
 * not read the payload of a frame it drops), else JB_LEVEL_NONE; kept in
 * the slot's header */
enum jb_put_result jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts,
			    uint32_t dur, uint8_t pt, uint8_t level,
			    const uint8_t *data, size_t len,
			    uint32_t arrival);
/* Once per 20 ms tick, before jbuf_next: starts playout when enough is
 * buffered, adapts the target, follows drift. False: not playing (nothing
 * received yet, or the sender went quiet), play silence */
bool jbuf_tick(struct jbuf *jb);

enum jb_next { JB_PACKET, JB_HOLE };
struct jb_out {
	const struct jb_slot *pkt;    /* JB_PACKET: the packet to decode */
	uint32_t skip;                /* its first units already past */
	uint32_t hole;                /* JB_HOLE: units to conceal */
	const struct jb_slot *after;  /* the packet right after the hole,
				       * when the hole ends at it (FEC) */
	bool dry;                     /* the hole is an empty buffer */
};
/* The next piece of the timeline when `want` units more are needed: a
 * packet (the play point moves past it), or a hole of at most want units
 * (the play point moves past it, except when the buffer is empty: then
 * it waits for the data, and the delay grows) */
enum jb_next jbuf_next(struct jbuf *jb, uint32_t want, struct jb_out *o);
/* The packet that starts exactly at the playout point, if it is there
 * (jbuf_next would hand it out whole next); NULL otherwise */
const struct jb_slot *jbuf_peek(const struct jbuf *jb);
/* Clock units buffered ahead of the playout point */
unsigned jbuf_depth(const struct jbuf *jb);
/* The current target and jitter, in clock units */
unsigned jbuf_target(const struct jbuf *jb);
unsigned jbuf_jitter(const struct jbuf *jb);

#endif
