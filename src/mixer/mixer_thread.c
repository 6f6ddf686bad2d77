/*
 * The mixer thread: a 20 ms tick over the rooms placed on it. Each tick:
 * apply queued commands, read every stream's sockets (recvmmsg, non-
 * blocking; or the thread's shared ones, mixer_mux.c), play one frame out
 * of each jitter buffer, sum the frames that may be heard, and send each
 * listener the sum minus its own voice.
 *
 * Rules (ARCHITECTURE.md): no SIP, no SQL, no disk, no logging per packet,
 * no allocation in steady state (rooms and streams are allocated only when
 * commands add them). It talks to the signalling thread only via the two
 * SPSC queues and the eventfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "mixer/mix.h"
#include "mixer/mixer_stream.h"

#define TICK_NS 20000000LL

uint64_t mthread_now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void mthread_push_event(struct mthread *t, const struct mixer_event *ev,
		       bool *signalled)
{
	if (!spsc_push(&t->evq, ev)) {
		atomic_fetch_add(&t->events_dropped, 1);
		return;
	}
	*signalled = true;
}

static unsigned tick_bucket(uint64_t us)
{
	unsigned b = 0;

	while (b < MIXER_TICK_BUCKETS - 1 && us > mixer_tick_bounds_us[b])
		b++;
	return b;
}

/* Is a louder than b as a speaker? Those talking (by the detector) come
 * before those merely loud in this frame, then by level */
static bool louder(const struct mstream *a, const struct mstream *b)
{
	int ka = (a->talk.talking ? 0 : 128) + a->talk.level;
	int kb = (b->talk.talking ? 0 : 128) + b->talk.level;

	return ka < kb;
}

/* Keeps sel[] the k loudest candidates, loudest first */
static void speaker_offer(struct mstream **sel, unsigned *n, unsigned k,
			  struct mstream *s)
{
	unsigned i;

	if (*n == k && !louder(s, sel[k - 1]))
		return;
	i = *n < k ? (*n)++ : k - 1;
	while (i > 0 && louder(s, sel[i - 1])) {
		sel[i] = sel[i - 1];
		i--;
	}
	sel[i] = s;
}

/* Receive, play out, detect talking; the K loudest speakers go into the
 * room's sum at the mix rate (a stream that is talking, or loud in this
 * very frame so a talker's first words are not cut, is a candidate; only
 * candidates are resampled) */
static void room_gather(struct mthread *t, struct mroom *r, uint64_t mono_us,
			uint64_t wall_us, bool *sig)
{
	struct mstream *sel[MIXER_MAX_SPEAKERS];
	unsigned nsel = 0, k = r->k ? r->k : t->max_speakers;
	int16_t native[MEDIA_FRAME_MAX], mixf[MEDIA_FRAME_MAX];

	if (k > MIXER_MAX_SPEAKERS)
		k = MIXER_MAX_SPEAKERS;
	memset(r->sum, 0, r->frame * sizeof(r->sum[0]));
	r->npriv = 0;
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		bool got, changed, mixable, tapped;

		mstream_receive(t, s, mono_us, wall_us, sig);
		/* always play out, so a muted stream's buffer keeps moving */
		got = mstream_playout(s, native);
		/* keypad tones are never heard (inband.c) */
		if (s->inband)
			got = inband_frame(t, s, native, got, sig);
		if (got && s->telev_on &&
		    inband_telev_quiet(s, (uint32_t)(mono_us * 8 / 1000) / 8))
			got = false;
		if (s->m.level_id && s->hdr_level_at) {
			/* a level from the last 100 ms of headers, else
			 * silence (the sender stopped, or DTX) */
			uint32_t age = (uint32_t)(mono_us * 8 / 1000) -
				s->hdr_level_at;

			changed = talk_level_frame(&s->talk, s->m.recv &&
						   age < 800 ? s->hdr_level :
						   127);
		}
		else if (got && s->quiet) {
			/* not decoded: its level is known */
			changed = talk_level_frame(&s->talk, s->m.recv ?
						   s->quiet_level : 127);
		}
		else {
			/* an Opus frame not decoded (silent) needs no
			 * measuring */
			bool quiet = s->m.codec == MEDIA_OPUS && s->dec_stale;

			changed = talk_frame(&s->talk, got && s->m.recv &&
					     !quiet ? native : NULL,
					     s->nframe);
		}
		if (changed && !s->app) {
			struct mixer_event ev = {
				.type = MIXER_EV_TALKING, .stream_id = s->id,
				.talking = s->talk.talking,
				.level = s->talk.level,
			};

			mthread_push_event(t, &ev, sig);
		}
		s->have = false;
		s->tap_have = false;
		/* (a quiet frame's samples were not even made) */
		mixable = got && !s->quiet && s->m.recv && !s->m.muted &&
			(s->talk.talking || s->talk.level < TALK_ON_DBOV ||
			 s->app);
		/* a stream a sink hears alone (its own track, its name) is
		 * heard muted or not */
		tapped = s->tap && got && !s->quiet && s->m.recv;
		if (!mixable && !tapped) {
			s->up_live = false;
			continue;
		}
		if (!s->up_live)         /* its last input was long ago */
			media_coder_rx_reset(s->coder);
		s->up_live = true;
		media_coder_to_mix(s->coder, native, s->nframe, mixf,
				   r->frame);
		if (tapped) {
			memcpy(s->tap, mixf, r->frame * sizeof(*mixf));
			s->tap_have = true;
		}
		if (!mixable)
			continue;
		mix_scale(s->contrib, mixf, s->gain_in_q16, r->frame);
		if (!s->app) {
			speaker_offer(sel, &nsel, k, s);
		}
		else if (!s->app_to) {
			/* an application is mixed beside the K speakers */
			s->have = true;
			mix_add(r->sum, s->contrib, r->frame);
		}
		else if (r->npriv < ROOM_PRIVATE_MAX) {
			r->priv[r->npriv++] = s;   /* for one listener */
		}
	}
	for (unsigned i = 0; i < nsel; i++) {
		sel[i]->have = true;             /* in the mix this tick */
		mix_add(r->sum, sel[i]->contrib, r->frame);
		r->spk[i] = sel[i];
	}
	r->nspk = nsel;
}

/* The frame everyone who is not in the mix hears at unity gain, encoded
 * once per codec in a tick (by the room's own coder, which resamples to
 * the codec's rate where it differs) and sent to all of them */
struct shared_mix {
	int16_t pcm[MEDIA_FRAME_MAX];
	bool pcm_ready;
	uint8_t enc[MEDIA_NCODECS][MEDIA_MAX_PAYLOAD];
	size_t len[MEDIA_NCODECS];
	bool enc_ready[MEDIA_NCODECS];
};

static const uint8_t *shared_payload(struct shared_mix *sh,
				     const struct mroom *r,
				     enum media_codec codec, size_t *len)
{
	unsigned i = media_codec_index(codec);

	if (!sh->pcm_ready) {
		mix_render(sh->pcm, r->sum, NULL, MIX_UNITY_Q16, r->frame);
		sh->pcm_ready = true;
	}
	if (!sh->enc_ready[i]) {
		sh->len[i] = media_coder_encode(r->shared[i], codec,
						sh->enc[i],
						sizeof(sh->enc[i]), sh->pcm,
						r->frame);
		sh->enc_ready[i] = true;
	}
	*len = sh->len[i];
	return sh->enc[i];
}

/* This tick's music on hold at the room's rate, made once per rate */
static const int16_t *moh_frame(struct mthread *t, const struct mroom *r)
{
	unsigned i = r->hz == 8000 ? 0 : r->hz == 16000 ? 1 : 2;

	if (!(t->moh_ready & (1u << i))) {
		media_moh_frame(t->moh_tick * r->frame, r->hz, t->moh[i],
				r->frame);
		t->moh_ready |= 1u << i;
	}
	return t->moh[i];
}

/* What the private sources of this tick say to s (an application heard
 * by s alone), added to base (the frame s would hear otherwise, in the
 * mix's 32 bits) into out; false: none is for s */
static bool private_for(const struct mroom *r, const struct mstream *s,
			const int32_t *base, int32_t *out)
{
	bool any = false;

	for (unsigned i = 0; i < r->npriv; i++) {
		if (r->priv[i]->app_to != s->id)
			continue;
		if (!any)
			memcpy(out, base, r->frame * sizeof(*out));
		mix_add(out, r->priv[i]->contrib, r->frame);
		any = true;
	}
	return any;
}

static void room_tick(struct mthread *t, struct mroom *r, uint64_t mono_us,
		      uint64_t wall_us, bool *sig)
{
	struct shared_mix sh;
	int16_t frame[MEDIA_FRAME_MAX];
	int32_t music[MEDIA_FRAME_MAX], own[MEDIA_FRAME_MAX];
	static const int32_t silence[MEDIA_FRAME_MAX];
	size_t len;

	sh.pcm_ready = false;
	memset(sh.enc_ready, 0, sizeof(sh.enc_ready));
	room_gather(t, r, mono_us, wall_us, sig);
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];

		if (!s->m.send || (!s->m.rtp_dst_len && !s->app)) {
			/* keep the clock running so a resumed stream's
			 * timestamps stay in step with real time */
			s->tx_ts += media_rtp_clock(s->m.codec) /
				JB_TICKS_PER_S;
		}
		else if (s->app && s->app_to) {
			/* a sink that hears one stream alone */
			const struct mstream *src = s->tap_src;

			if (src && src->tap_have)
				memcpy(frame, src->tap,
				       r->frame * sizeof(frame[0]));
			else
				memset(frame, 0, r->frame * sizeof(frame[0]));
			mstream_send(s, NULL, frame, r->frame);
		}
		else if (s->m.hold_music || s->m.deaf) {
			/* music on hold, or nothing; and what an
			 * application says to this stream alone */
			const int32_t *base = silence;

			if (s->m.hold_music) {
				mix_scale(music, moh_frame(t, r),
					  MIX_UNITY_Q16, r->frame);
				base = music;
			}
			if (private_for(r, s, base, own))
				base = own;
			mix_render(frame, base, NULL, s->gain_out_q16,
				   r->frame);
			mstream_send(s, NULL, frame, r->frame);
		}
		else if (private_for(r, s, r->sum, own)) {
			mix_render(frame, own, s->have ? s->contrib : NULL,
				   s->gain_out_q16, r->frame);
			mstream_send(s, r, frame, r->frame);
		}
		else if (!s->have && s->gain_out_q16 == MIX_UNITY_Q16 &&
			 !s->app) {
			/* not in the mix: the shared frame (len is set by
			 * shared_payload, so it is called first) */
			const uint8_t *pl = shared_payload(&sh, r, s->m.codec,
							   &len);

			mstream_send_payload(s, r, pl, len);
			t->shared_sends++;
		}
		else {
			/* a speaker hears everyone but itself; a listener
			 * with its own gain gets its own frame */
			mix_render(frame, r->sum, s->have ? s->contrib : NULL,
				   s->gain_out_q16, r->frame);
			mstream_send(s, r, frame, r->frame);
		}
		if (mono_us >= s->next_rtcp_us)
			mstream_rtcp(s, mono_us, wall_us);
		if (mono_us >= s->next_stats_us)
			mstream_stats(t, s, mono_us, sig);
	}
}

void mthread_tick(struct mthread *t, uint64_t mono, uint64_t wall,
		  bool *sig)
{
	mthread_drain_commands(t);
	if (t->moh_ready)              /* the music moves on */
		t->moh_tick++;
	t->moh_ready = 0;
	/* the thread's own sockets: read once for every room, and what the
	 * rooms send goes out in batches */
	mux_receive(t, mono, wall, sig);
	for (unsigned i = 0; i < t->nrooms; i++)
		room_tick(t, t->rooms[i], mono, wall, sig);
	if (t->mux)
		mux_flush(t->mux);
}

void *mthread_main(void *arg)
{
	struct mthread *t = arg;
	struct timespec next;
	uint64_t one = 1;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (atomic_load(&t->run)) {
		uint64_t start, mono, wall, busy;
		bool sig = false;
		long long late_ns;
		struct timespec now;

		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		start = mthread_now_us(CLOCK_MONOTONIC);
		wall = mthread_now_us(CLOCK_REALTIME);
		/* how late this tick starts: the timer's wake-up and any
		 * overrun of the tick before it (its own work is in
		 * tick_hist) */
		{
			uint64_t due = (uint64_t)next.tv_sec * 1000000 +
				(uint64_t)next.tv_nsec / 1000;
			uint64_t us = start > due ? start - due : 0;

			atomic_fetch_add(&t->late_hist[tick_bucket(us)], 1);
			atomic_fetch_add(&t->late_us, us);
		}
		mono = start;
		mthread_tick(t, mono, wall, &sig);
		if (sig)
			(void)!write(t->efd, &one, sizeof(one));

		busy = mthread_now_us(CLOCK_MONOTONIC) - start;
		atomic_fetch_add(&t->ticks, 1);
		atomic_fetch_add(&t->busy_us, busy);
		atomic_fetch_add(&t->tick_hist[tick_bucket(busy)], 1);
		if (busy > atomic_load(&t->max_tick_us))
			atomic_store(&t->max_tick_us, (uint32_t)busy);
		/* a tick that ends past the next deadline is late; after a
		 * long stall, restart the clock instead of bursting */
		clock_gettime(CLOCK_MONOTONIC, &now);
		late_ns = (now.tv_sec - next.tv_sec) * 1000000000LL +
			(now.tv_nsec - next.tv_nsec);

		if (late_ns > TICK_NS) {
			atomic_fetch_add(&t->late_ticks, 1);
			if (late_ns > 5 * TICK_NS)
				next = now;
		}
	}
	return NULL;
}
