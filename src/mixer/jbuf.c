/*
 * Jitter buffer, see jbuf.h. Mixer thread only.
 *
 * The playout timeline is the sender's RTP timestamp. Packets are kept
 * encoded and ordered by timestamp (not sequence number), which is what
 * lets packets of any size line up; the stream's playout decodes what
 * jbuf_next hands it, in order, until it has a frame.
 */
#include <string.h>
#include "mixer/jbuf.h"

/* after this many frames of an empty buffer the stream is idle and
 * re-buffers */
#define JB_IDLE_FRAMES 5

static int32_t tsdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void jbuf_init(struct jbuf *jb, unsigned clock_hz, unsigned target_ms)
{
	memset(jb, 0, sizeof(*jb));
	jb->clock = clock_hz;
	jb->frame = clock_hz / JB_TICKS_PER_S;
	jb->target_min = target_ms * (clock_hz / 1000);
	if (jb->target_min < jb->frame)
		jb->target_min = jb->frame;
	jb->target = jb->target_min;
	jb->win_min = UINT32_MAX;
}

unsigned jbuf_depth(const struct jbuf *jb)
{
	const struct jb_slot *first, *last;
	int32_t d;

	if (!jb->count)
		return 0;
	first = &jb->slot[jb->order[0]];
	last = &jb->slot[jb->order[jb->count - 1]];
	d = tsdiff(last->ts + last->dur,
		   jb->playing ? jb->play_ts : first->ts);
	return d > 0 ? (unsigned)d : 0;
}

unsigned jbuf_target(const struct jbuf *jb)
{
	return jb->target;
}

unsigned jbuf_jitter(const struct jbuf *jb)
{
	return (jb->jitter_q4 + 8) >> 4;
}

static void drop_head(struct jbuf *jb)
{
	memmove(jb->order, jb->order + 1, --jb->count);
}

static int free_slot(const struct jbuf *jb)
{
	bool used[JB_SLOTS] = {false};

	for (unsigned i = 0; i < jb->count; i++)
		used[jb->order[i]] = true;
	for (int i = 0; i < JB_SLOTS; i++)
		if (!used[i])
			return i;
	return -1;
}

/* RFC 3550 s. 6.4.1: J += (|D| - J) / 16, kept << 4 */
static void jitter_update(struct jbuf *jb, uint32_t ts, uint32_t arrival)
{
	int32_t transit = (int32_t)(arrival - ts), d;

	if (jb->transit_known) {
		d = transit - jb->last_transit;
		if (d < 0)
			d = -d;
		/* a jump of seconds is a new timeline, not jitter */
		if ((uint32_t)d < jb->clock)
			jb->jitter_q4 += (uint32_t)d -
				((jb->jitter_q4 + 8) >> 4);
	}
	jb->last_transit = transit;
	jb->transit_known = true;
}

enum jb_put_result jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts,
			    uint32_t dur, uint8_t pt, uint8_t level,
			    const uint8_t *data, size_t len,
			    uint32_t arrival)
{
	unsigned pos;
	int idx;

	/* at most 120 ms (the longest Opus packet) */
	if (!dur || dur > jb->clock * 3 / 25 || !len || len > JB_PAYLOAD)
		return JB_BAD;
	jitter_update(jb, ts, arrival);
	if (jb->playing && tsdiff(ts + dur, jb->play_ts) <= 0) {
		/* entirely before the playout point; a far-back one is a
		 * restarted sender, not a late packet */
		if (tsdiff(jb->play_ts, ts) < (int32_t)(2 * jb->clock)) {
			jb->stats.late++;
			/* wait longer from now on */
			if (jb->late_boost < JB_TARGET_MAX_MS * jb->clock /
			    1000)
				jb->late_boost += jb->frame / 2;
			return JB_LATE;
		}
		jb->playing = false;
		jb->count = 0;
		jb->stats.resyncs++;
	}
	/* far from what is buffered, either way: a new timeline (a sender
	 * that restarted, or garbage). Keeping everything within 2 s of the
	 * head keeps the buffer's order well defined: timestamps compare
	 * modulo 2^32, and two of them 2^31 apart are each before the
	 * other (found by fuzz_jbuf) */
	if (jb->count) {
		int32_t d = tsdiff(ts, jb->slot[jb->order[0]].ts);

		if (d >= (int32_t)(2 * jb->clock) ||
		    d <= -(int32_t)(2 * jb->clock)) {
			jb->playing = false;
			jb->count = 0;
			jb->stats.resyncs++;
		}
	}
	for (pos = 0; pos < jb->count; pos++) {
		const struct jb_slot *s = &jb->slot[jb->order[pos]];

		if (s->seq == seq || s->ts == ts) {
			jb->stats.dup++;
			return JB_DUP;
		}
		if (tsdiff(ts, s->ts) < 0)
			break;
	}
	if (jb->count == JB_SLOTS) {
		/* full: the oldest packet goes, it is the next to be late */
		jb->stats.overflow++;
		if (pos == 0)
			return JB_OVERFLOW;
		drop_head(jb);
		pos--;
	}
	idx = free_slot(jb);
	memmove(jb->order + pos + 1, jb->order + pos, jb->count - pos);
	jb->order[pos] = (uint8_t)idx;
	jb->count++;
	jb->slot[idx].seq = seq;
	jb->slot[idx].ts = ts;
	jb->slot[idx].dur = dur;
	jb->slot[idx].pt = pt;
	jb->slot[idx].level = level;
	jb->slot[idx].len = (uint16_t)len;
	memcpy(jb->slot[idx].data, data, len);
	jb->stats.put++;
	return JB_OK;
}

/* The target: the configured minimum, or three times the jitter over a
 * frame, plus what late packets asked for; at most JB_TARGET_MAX_MS (or
 * the minimum, when that was configured higher) */
static void adapt_target(struct jbuf *jb)
{
	unsigned t = jb->frame + 3 * jbuf_jitter(jb);
	unsigned max = JB_TARGET_MAX_MS * (jb->clock / 1000);

	if (max < jb->target_min)        /* configured above it */
		max = jb->target_min;
	if (t < jb->target_min)
		t = jb->target_min;
	t += jb->late_boost;
	jb->target = t > max ? max : t;
}

/* Follows the sender's clock: a second in which the buffer never held
 * less than target + a frame costs one frame of delay; far too much is
 * cut at once */
static void follow_drift(struct jbuf *jb)
{
	uint32_t depth = jbuf_depth(jb);

	if (depth > jb->target + JB_EXCESS_FRAMES * jb->frame) {
		uint32_t cut = depth - jb->target;

		jb->play_ts += cut;
		jb->stats.skipped += cut / jb->frame;
		jb->win_ticks = 0;
		jb->win_min = UINT32_MAX;
		return;
	}
	if (depth < jb->win_min)
		jb->win_min = depth;
	if (++jb->win_ticks < JB_TICKS_PER_S)
		return;
	if (jb->win_min > jb->target + jb->frame) {
		jb->play_ts += jb->frame;
		jb->stats.skipped++;
	}
	/* late packets' extra wait wears off, a quarter frame a second */
	jb->late_boost = jb->late_boost > jb->frame / 4 ?
		jb->late_boost - jb->frame / 4 : 0;
	jb->win_ticks = 0;
	jb->win_min = UINT32_MAX;
}

bool jbuf_tick(struct jbuf *jb)
{
	adapt_target(jb);
	if (!jb->playing) {
		const struct jb_slot *last;

		if (!jb->count || jbuf_depth(jb) < jb->target)
			return false;
		jb->playing = true;
		jb->dry = 0;
		jb->win_ticks = 0;
		jb->win_min = UINT32_MAX;
		/* from the first packet, unless that is far too much
		 * delay (a burst): then with the target's */
		last = &jb->slot[jb->order[jb->count - 1]];
		jb->play_ts = jb->slot[jb->order[0]].ts;
		if (tsdiff(last->ts + last->dur, jb->play_ts) >
		    (int32_t)(jb->target + JB_EXCESS_FRAMES * jb->frame))
			jb->play_ts = last->ts + last->dur - jb->target;
		return true;
	}
	if (jb->dry >= JB_IDLE_FRAMES * jb->frame) {
		/* the sender went quiet (hold, DTX, gone): stop, and
		 * re-buffer when packets come back */
		jb->playing = false;
		jb->stats.underruns++;
		return false;
	}
	follow_drift(jb);
	return true;
}

const struct jb_slot *jbuf_peek(const struct jbuf *jb)
{
	const struct jb_slot *s;

	if (!jb->playing || !jb->count)
		return NULL;
	s = &jb->slot[jb->order[0]];
	return s->ts == jb->play_ts ? s : NULL;
}

enum jb_next jbuf_next(struct jbuf *jb, uint32_t want, struct jb_out *o)
{
	memset(o, 0, sizeof(*o));
	for (;;) {
		const struct jb_slot *s;
		int32_t off;
		uint32_t gap;

		if (!jb->count) {
			/* nothing to play: conceal, and wait for the data
			 * without moving the timeline */
			o->hole = want;
			o->dry = true;
			jb->dry += want;
			jb->stats.concealed++;
			jb->stats.stretched++;
			return JB_HOLE;
		}
		s = &jb->slot[jb->order[0]];
		off = tsdiff(jb->play_ts, s->ts);
		if (off >= (int32_t)s->dur) {
			drop_head(jb);             /* already played past it */
			continue;
		}
		if (off >= 0) {
			/* the slot's storage stays until the next put */
			o->pkt = s;
			o->skip = (uint32_t)off;
			jb->play_ts = s->ts + s->dur;
			jb->dry = 0;
			drop_head(jb);
			return JB_PACKET;
		}
		gap = (uint32_t)-off;
		if (gap >= 2 * jb->clock) {
			jb->play_ts = s->ts;       /* a new timeline */
			jb->stats.resyncs++;
			continue;
		}
		o->hole = gap < want ? gap : want;
		o->after = o->hole == gap ? s : NULL;
		jb->play_ts += o->hole;
		jb->stats.concealed++;
		return JB_HOLE;
	}
}
