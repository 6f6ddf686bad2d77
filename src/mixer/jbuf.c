/*
 * Jitter buffer, see jbuf.h. Mixer thread only.
 *
 * The playout timeline is the sender's RTP timestamp: each tick consumes
 * JB_FRAME samples starting at play_ts, taking them from whichever packets
 * cover that span. Holes are concealed by repeating the last frame with a
 * fading gain (a plain G.711 PLC), then silence. Ordering by timestamp (not
 * sequence number) is what lets packets of any size line up.
 */
#include <string.h>
#include "mixer/jbuf.h"

/* after this many dry frames the stream is idle and re-buffers */
#define JB_IDLE_FRAMES 5
/* a gap this long (samples) is a new timeline, not loss: 2 s */
#define JB_RESYNC_GAP 16000
/* concealment fades over this many frames, then silence */
#define JB_CONCEAL_FRAMES 3

static int32_t tsdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void jbuf_init(struct jbuf *jb, unsigned target_ms)
{
	memset(jb, 0, sizeof(*jb));
	jb->target = target_ms * 8;
	if (jb->target < JB_FRAME)
		jb->target = JB_FRAME;
}

unsigned jbuf_depth(const struct jbuf *jb)
{
	const struct jb_slot *first, *last;
	int32_t d;

	if (!jb->count)
		return 0;
	first = &jb->slot[jb->order[0]];
	last = &jb->slot[jb->order[jb->count - 1]];
	d = tsdiff(last->ts + last->n, jb->playing ? jb->play_ts : first->ts);
	return d > 0 ? (unsigned)d : 0;
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

enum jb_put_result jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts,
			    const int16_t *pcm, unsigned n)
{
	unsigned pos;
	int idx;

	if (!n || n > JB_MAX_PKT)
		return JB_BAD;
	if (jb->playing && tsdiff(ts + n, jb->play_ts) <= 0) {
		/* entirely before the playout point; a far-back one is a
		 * restarted sender, not a late packet */
		if (tsdiff(jb->play_ts, ts) < JB_RESYNC_GAP) {
			jb->stats.late++;
			return JB_LATE;
		}
		jb->playing = false;
		jb->count = 0;
		jb->stats.resyncs++;
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
	jb->slot[idx].n = (uint16_t)n;
	memcpy(jb->slot[idx].pcm, pcm, n * sizeof(int16_t));
	jb->stats.put++;
	return JB_OK;
}

static void conceal(struct jbuf *jb, int16_t *out, unsigned n)
{
	/* each concealed frame is 6 dB quieter than the one before */
	unsigned shift = jb->conceal_run + 1;

	if (jb->conceal_run >= JB_CONCEAL_FRAMES) {
		memset(out, 0, n * sizeof(int16_t));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = (int16_t)(jb->last[i % JB_FRAME] >> shift);
}

/* Cuts delay that built up (a sender whose clock runs fast, or a burst
 * after a stall): keep the newest packet at most target + 3 frames ahead
 * of playout. Measured to the newest packet's start, so that one large
 * (30 or 60 ms) packet does not count as excess. */
static void trim_excess(struct jbuf *jb)
{
	const struct jb_slot *last;
	int32_t ahead;

	if (!jb->count)
		return;
	last = &jb->slot[jb->order[jb->count - 1]];
	ahead = tsdiff(last->ts, jb->play_ts);
	if (ahead > (int32_t)(jb->target + 3 * JB_FRAME)) {
		uint32_t cut = (uint32_t)ahead - jb->target;

		jb->play_ts += cut;
		jb->stats.skipped += cut / JB_FRAME;
	}
}

bool jbuf_get(struct jbuf *jb, int16_t *out)
{
	unsigned pos = 0;
	bool concealed = false;

	if (!jb->playing) {
		if (!jb->count || jbuf_depth(jb) < jb->target) {
			memset(out, 0, JB_FRAME * sizeof(int16_t));
			return false;
		}
		jb->playing = true;
		jb->play_ts = jb->slot[jb->order[0]].ts;
		jb->dry_frames = 0;
		jb->conceal_run = 0;
	}
	trim_excess(jb);

	while (pos < JB_FRAME) {
		struct jb_slot *s;
		int32_t off;
		unsigned take;

		if (!jb->count) {
			conceal(jb, out + pos, JB_FRAME - pos);
			concealed = true;
			jb->play_ts += JB_FRAME - pos;
			break;
		}
		s = &jb->slot[jb->order[0]];
		off = tsdiff(jb->play_ts, s->ts);
		if (off >= (int32_t)s->n) {
			drop_head(jb);             /* already played past it */
			continue;
		}
		if (off < 0) {
			unsigned gap = (unsigned)-off;

			if (gap >= JB_RESYNC_GAP) {
				jb->play_ts = s->ts;
				jb->stats.resyncs++;
				continue;
			}
			take = gap < JB_FRAME - pos ? gap : JB_FRAME - pos;
			conceal(jb, out + pos, take);
			concealed = true;
			pos += take;
			jb->play_ts += take;
			continue;
		}
		take = s->n - (unsigned)off;
		if (take > JB_FRAME - pos)
			take = JB_FRAME - pos;
		memcpy(out + pos, s->pcm + off, take * sizeof(int16_t));
		pos += take;
		jb->play_ts += take;
		if ((unsigned)off + take == s->n)
			drop_head(jb);
	}

	if (concealed) {
		jb->stats.concealed++;
		jb->conceal_run++;
		if (!jb->count && ++jb->dry_frames >= JB_IDLE_FRAMES) {
			/* the sender went quiet (hold, DTX, gone): stop and
			 * re-buffer when packets come back */
			jb->playing = false;
			jb->stats.underruns++;
			memset(out, 0, JB_FRAME * sizeof(int16_t));
			return false;
		}
	}
	else {
		jb->conceal_run = 0;
		jb->dry_frames = 0;
		memcpy(jb->last, out, sizeof(jb->last));
	}
	return true;
}
