/*
 * A stream's playout, on its mixer thread: each tick takes one 20 ms
 * frame at the codec's native rate out of the jitter buffer, decoding
 * packets in timeline order (a packet longer than a frame leaves the rest
 * for the next ticks) and concealing what is missing: Opus from the next
 * packet's in-band FEC when exactly one frame is gone and the next packet
 * is there, else by libopus's own PLC; G.711 by media/plc.c (the last
 * pitch period repeated, fading); G.722 by repeating the last
 * frame, 6 dB quieter each time, then silence.
 * A silent Opus frame of a stream that is not talking (by its RFC 6464
 * level, or by its size) is not decoded at all; the decoder catches up
 * through its PLC when the stream speaks again.
 * A G.711 frame is not decoded until it is known to be heard: its level
 * comes from its bytes (a table, media_g711_energy; measured as the
 * packet arrived, while its bytes were in the cache), a quiet one of a
 * stream not talking is dropped here, a loud one waits (s->deferred)
 * until room_gather knows whether it is among the K loudest
 * (mstream_playout_decode) or not (mstream_playout_drop). In a room
 * where everyone talks, those beyond the K cost no decoding, no
 * concealer history and no copies.
 * No allocation, no logging.
 */
#include <string.h>
#include "mixer/mixer_stream.h"

/* concealment fades over this many frames, then silence */
#define CONCEAL_FRAMES 3
/* An Opus frame this small carries silence or comfort noise (a talking
 * Opus frame at any useful bitrate is several times larger) */
#define OPUS_SILENT_BYTES 10

void mstream_playout_init(struct mstream *s, unsigned mix_hz,
			  unsigned jitter_ms)
{
	s->native_hz = media_native_rate(s->m.codec, mix_hz);
	s->nframe = s->native_hz / JB_TICKS_PER_S;
	s->fifo_n = 0;
	s->conceal_run = 0;
	s->dec_stale = false;
	s->up_live = false;
	jbuf_init(&s->jb, media_rtp_clock(s->m.codec), jitter_ms);
}

/* clock units <-> native samples */
static unsigned to_samples(const struct mstream *s, uint32_t units)
{
	return (unsigned)((uint64_t)units * s->native_hz / s->jb.clock);
}

static uint32_t to_units(const struct mstream *s, unsigned samples)
{
	return (uint32_t)(((uint64_t)samples * s->jb.clock +
			   s->native_hz - 1) / s->native_hz);
}

/* Is this frame not worth decoding? Opus (the decoder is costly) of a
 * stream not talking, when the frame says it is quiet by its RFC 6464
 * level or by its size */
static bool skip_decode(const struct mstream *s, const struct jb_slot *p)
{
	if (s->m.codec != MEDIA_OPUS || s->talk.talking)
		return false;
	if (s->m.level_id && s->hdr_level_at &&
	    s->hdr_level > TALK_ON_DBOV)
		return true;
	return p->len <= OPUS_SILENT_BYTES;
}

static void conceal(struct mstream *s, unsigned n,
		    const struct jb_slot *after)
{
	int16_t *dst = s->fifo + s->fifo_n;
	unsigned shift = s->conceal_run + 1;

	if (!s->talk.talking) {
		/* nobody hears a stream that is not talking: what it lost
		 * is silence, and costs no concealer (an Opus caller in
		 * DTX leaves a hole after each comfort noise packet) */
		memset(dst, 0, n * sizeof(*dst));
		s->fifo_n += n;
		if (s->m.codec == MEDIA_OPUS)
			s->dec_stale = true;
		return;
	}
	if (s->m.codec == MEDIA_OPUS && !s->dec_stale) {
		/* exactly the frame before a packet that is here: its FEC */
		if (after && (int)to_units(s, n) ==
		    media_opus_samples(after->data, after->len) &&
		    media_coder_decode_fec(s->coder, dst, n, after->data,
					   after->len) == (int)n) {
			s->fifo_n += n;
			s->st.fec_recovered++;
			return;
		}
		if (media_coder_conceal(s->coder, dst, n) == (int)n) {
			s->fifo_n += n;
			return;
		}
	}
	if (s->plc && media_plc_fill(s->plc, dst, n) == (int)n) {
		s->fifo_n += n;
		return;
	}
	if (s->m.codec == MEDIA_OPUS || s->conceal_run >= CONCEAL_FRAMES)
		memset(dst, 0, n * sizeof(*dst));
	else
		for (unsigned i = 0; i < n; i++)
			dst[i] = (int16_t)(s->last[i % s->nframe] >> shift);
	s->fifo_n += n;
}

static void decode(struct mstream *s, const struct jb_slot *p,
		   uint32_t skip)
{
	enum media_codec codec = p->pt == s->m.tx_pt ? s->m.codec :
		(enum media_codec)p->pt;
	unsigned n = to_samples(s, p->dur), drop = to_samples(s, skip);
	unsigned room = PLAYOUT_FIFO - s->fifo_n;
	int16_t *dst = s->fifo + s->fifo_n;
	int got;

	if (n > room)
		n = room;
	if (skip_decode(s, p)) {
		memset(dst, 0, n * sizeof(*dst));
		s->st.decode_skipped++;
		s->dec_stale = true;
		got = (int)n;
	}
	else {
		got = media_coder_decode(s->coder, codec, dst, room, p->data,
					 p->len);
		if (got > 0) {
			s->dec_stale = false;
			media_plc_rx(s->plc, dst, (size_t)got);
		}
	}
	if (got <= 0) {
		/* undecodable: concealed in its place (conceal writes at
		 * dst and counts it; it is counted below instead, less what
		 * was already played) */
		s->st.rx_bad++;
		conceal(s, n, NULL);
		s->fifo_n -= n;
		got = (int)n;
	}
	/* the start of it was already played (concealed) */
	if (drop >= (unsigned)got)
		return;
	if (drop)
		memmove(dst, dst + drop, ((unsigned)got - drop) *
			sizeof(*dst));
	s->fifo_n += (unsigned)got - drop;
}

/* G.711's concealer starts afresh (a frame was not heard): once, until
 * it is given audio again */
static void plc_reset(struct mstream *s)
{
	if (s->plc_fresh)
		return;
	media_plc_reset(s->plc);
	s->plc_fresh = true;
}

/* A quiet frame of a stream not talking, one whole packet, needs no
 * decoding at all: G.711's level is read from its bytes, a silent Opus
 * frame is silence. The packet is taken; *level is set. A loud G.711
 * frame with nothing before it in the fifo waits, deferred: the packet
 * stays, *level is set. */
static bool quiet_frame(struct mstream *s, uint8_t *level)
{
	/* a G.711 frame that can wait undecoded: nothing before it in the
	 * fifo, and no keypad listener (it hears every frame) */
	bool can_defer = s->plc && !s->fifo_n && !s->inband;
	const struct jb_slot *p;
	struct jb_out o;

	/* (G.711's fifo holds only what a change of the room's rate gave
	 * back, mixer_rate.c: a stream not talking drops it here, the
	 * delay it added goes) */
	if ((s->talk.talking && !can_defer) || (s->fifo_n && !s->plc))
		return false;
	p = jbuf_peek(&s->jb);
	if (!p || to_samples(s, p->dur) != s->nframe)
		return false;
	if (s->m.codec == MEDIA_OPUS) {
		if (!skip_decode(s, p))
			return false;
		*level = 127;
		s->dec_stale = true;
		s->st.decode_skipped++;
	}
	else if (s->plc) {                /* G.711, either law */
		enum media_codec c = p->pt == s->m.tx_pt ? s->m.codec :
			(enum media_codec)p->pt;

		/* (measured as it arrived, mstream_rx_rtp: the payload is
		 * not read here) */
		*level = p->level != JB_LEVEL_NONE ? p->level :
			talk_level_g711(c, p->data, p->len);
		if (s->talk.talking || *level < TALK_ON_DBOV) {
			s->deferred = can_defer;
			return false;
		}
		plc_reset(s);
	}
	else
		return false;
	(void)jbuf_next(&s->jb, s->jb.frame, &o);
	s->fifo_n = 0;
	s->conceal_run = 0;
	return true;
}

/* The fifo filled to want samples from the jitter buffer, decoded or
 * concealed; true: some concealed */
static bool fill(struct mstream *s, unsigned want)
{
	bool concealed = false;

	s->plc_fresh = false;         /* (the concealer may be fed) */
	while (s->fifo_n < want) {
		struct jb_out o;
		unsigned need = want - s->fifo_n;

		if (jbuf_next(&s->jb, to_units(s, need), &o) == JB_PACKET) {
			decode(s, o.pkt, o.skip);
			continue;
		}
		/* a hole; an empty buffer fills just this frame */
		need = o.dry ? need : to_samples(s, o.hole);
		if (need > PLAYOUT_FIFO - s->fifo_n)
			need = PLAYOUT_FIFO - s->fifo_n;
		if (!need)
			need = 1;
		conceal(s, need, o.dry ? NULL : o.after);
		concealed = true;
	}
	return concealed;
}

/* The frame out of the fifo, filled first */
static void play(struct mstream *s, int16_t *out)
{
	bool concealed = fill(s, s->nframe);

	memcpy(out, s->fifo, s->nframe * sizeof(*out));
	s->fifo_n -= s->nframe;
	memmove(s->fifo, s->fifo + s->nframe, s->fifo_n * sizeof(*out));
	s->conceal_run = concealed ? s->conceal_run + 1 : 0;
	/* the last frame: what G.722's concealment repeats (never a
	 * concealed one), and what a new receive resampler starts from
	 * when the room changes rate (mixer_rate.c); three while the
	 * keypad listener (inband.c) holds two back */
	if (s->inband && 3 * s->nframe <= MEDIA_FRAME_MAX) {
		memmove(s->last, s->last + s->nframe, 2 * s->nframe *
			sizeof(*out));
		memcpy(s->last + 2 * s->nframe, out, s->nframe * sizeof(*out));
	}
	else if (!concealed || s->m.codec != MEDIA_G722)
		memcpy(s->last, out, s->nframe * sizeof(*out));
}

bool mstream_playout(struct mstream *s, int16_t *out)
{
	mstream_playout_drop(s);        /* (one left from a tick before) */
	s->quiet = false;
	if (s->app)      /* an application's frame, from its ring */
		return s->app->source && spsc_pop(&s->app->in, out);
	if (!jbuf_tick(&s->jb)) {
		s->fifo_n = 0;
		return false;
	}
	if (quiet_frame(s, &s->quiet_level)) {
		s->quiet = true;
		return true;
	}
	if (!s->deferred)
		play(s, out);
	return true;
}

void mstream_playout_decode(struct mstream *s, int16_t *out)
{
	if (!s->deferred)
		return;
	s->deferred = false;
	play(s, out);
}

void mstream_playout_drop(struct mstream *s)
{
	struct jb_out o;

	if (!s->deferred)
		return;
	s->deferred = false;
	/* as a quiet frame: taken, and the concealer starts afresh (what
	 * it would repeat is older than what was not heard) */
	(void)jbuf_next(&s->jb, s->jb.frame, &o);
	plc_reset(s);
	s->conceal_run = 0;
}

void mstream_playout_rate(struct mstream *s, unsigned mix_hz)
{
	unsigned native = media_native_rate(s->m.codec, mix_hz);

	/* the jitter buffer is in RTP clock units and keeps every packet;
	 * decoded samples at the old native rate (Opus only: its native
	 * rate is the mix rate) are dropped with its old decoder */
	if (native == s->native_hz)
		return;
	s->native_hz = native;
	s->nframe = native / JB_TICKS_PER_S;
	s->fifo_n = 0;
	s->dec_stale = true;
	memset(s->last, 0, sizeof(s->last));
}

bool mstream_playout_lead(struct mstream *s, int16_t *out, unsigned n)
{
	/* (only what arrived: audio concealed now, ahead of its time,
	 * would be played again when its packet comes) */
	if (s->app || !s->jb.playing || n > PLAYOUT_FIFO - s->nframe ||
	    s->fifo_n + to_samples(s, jbuf_depth(&s->jb)) < n)
		return false;
	(void)fill(s, n);
	memcpy(out, s->fifo, n * sizeof(*out));
	s->fifo_n -= n;
	memmove(s->fifo, s->fifo + n, s->fifo_n * sizeof(*out));
	return true;
}

void mstream_playout_unget(struct mstream *s, const int16_t *in, unsigned n)
{
	if (s->app || n > PLAYOUT_FIFO - s->fifo_n)
		return;
	memmove(s->fifo + n, s->fifo, s->fifo_n * sizeof(*in));
	memcpy(s->fifo, in, n * sizeof(*in));
	s->fifo_n += n;
}
