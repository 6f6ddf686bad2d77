/*
 * Jitter buffer for one received stream: orders packets by RTP timestamp,
 * drops duplicates and late packets, conceals gaps, and plays out fixed
 * 20 ms frames at 8 kHz whatever the sender's packet time (10, 20, 30 ms).
 * Fixed storage, no allocation. Mixer thread only; unit-tested directly.
 */
#ifndef CAUCUS_JBUF_H
#define CAUCUS_JBUF_H

#include <stdbool.h>
#include <stdint.h>

#define JB_FRAME 160          /* samples per 20 ms tick at 8 kHz */
#define JB_SLOTS 32
#define JB_MAX_PKT 480        /* 60 ms at 8 kHz */

enum jb_put_result { JB_OK = 0, JB_DUP, JB_LATE, JB_OVERFLOW, JB_BAD };

struct jbuf_stats {
	uint32_t put;
	uint32_t dup;
	uint32_t late;
	uint32_t overflow;
	uint32_t concealed;   /* frames (or parts) filled by concealment */
	uint32_t underruns;   /* times the buffer ran dry while playing */
	uint32_t resyncs;     /* timeline jumps (sender restart, long gap) */
	uint32_t skipped;     /* frames dropped to cut excess delay */
};

struct jb_slot {
	uint16_t seq;
	uint32_t ts;
	uint16_t n;
	int16_t pcm[JB_MAX_PKT];
};

struct jbuf {
	struct jb_slot slot[JB_SLOTS];
	uint8_t order[JB_SLOTS];      /* slot indexes sorted by ts */
	unsigned count;
	bool playing;
	uint32_t play_ts;             /* next timestamp to play */
	unsigned target;              /* samples buffered before playout */
	unsigned dry_frames;          /* consecutive frames with no data */
	unsigned conceal_run;
	int16_t last[JB_FRAME];       /* last frame played, for concealment */
	struct jbuf_stats stats;
};

void jbuf_init(struct jbuf *jb, unsigned target_ms);
enum jb_put_result jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts,
			    const int16_t *pcm, unsigned n);
/* Fills out with one frame. Returns false when the stream is idle (nothing
 * received yet, or silent long enough to stop): out is then silence. */
bool jbuf_get(struct jbuf *jb, int16_t *out);
/* Samples buffered ahead of the playout point. */
unsigned jbuf_depth(const struct jbuf *jb);

#endif
