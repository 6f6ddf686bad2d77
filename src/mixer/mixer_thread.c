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

/* An event queued for the signalling thread (a full queue drops it,
 * counted) */
static bool push(struct mthread *t, const struct mixer_event *ev)
{
	if (spsc_push(&t->evq, ev))
		return true;
	atomic_fetch_add(&t->events_dropped, 1);
	return false;
}

void mthread_push_event(struct mthread *t, const struct mixer_event *ev,
		       bool *signalled)
{
	if (push(t, ev))
		*signalled = true;
}

void mthread_push_report(struct mthread *t, const struct mixer_event *ev,
			 uint64_t mono_us)
{
	if (push(t, ev) && !t->lazy_n++)
		t->lazy_at_us = mono_us;
}

/* Wake the signalling thread for what must not wait (a talker, a digit,
 * a DTLS record), or for reports that waited long enough or fill a
 * good part of the queue: a server of 400 calls sends 400 counters a
 * second, which would otherwise wake it every tick (and each wake-up
 * takes time and cache from the mixer when both share a core) */
static void mthread_signal(struct mthread *t, bool sig, uint64_t mono_us)
{
	static const uint64_t one = 1;
	uint64_t wait = t->n_lv ? MTHREAD_LAZY_US : MTHREAD_LAZY_QUIET_US;

	if (!sig && (!t->lazy_n || (mono_us - t->lazy_at_us < wait &&
				    t->lazy_n < MTHREAD_LAZY_MAX)))
		return;
	(void)!write(t->efd, &one, sizeof(one));
	t->lazy_n = 0;
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

/* Keeps sel[] the k loudest candidates, loudest first; false: s is not
 * among them (so far) */
static bool speaker_offer(struct mstream **sel, unsigned *n, unsigned k,
			  struct mstream *s)
{
	unsigned i;

	if (*n == k && !louder(s, sel[k - 1]))
		return false;
	i = *n < k ? (*n)++ : k - 1;
	while (i > 0 && louder(s, sel[i - 1])) {
		sel[i] = sel[i - 1];
		i--;
	}
	sel[i] = s;
	return true;
}

/* Receive, play out, detect talking; the K loudest speakers of each
 * group go into its sum at the mix rate (a stream that is talking, or
 * loud in this very frame so a talker's first words are not cut, is a
 * candidate). Candidates are chosen by the level already measured, and
 * only one that is among the K loudest so far is brought to the mix
 * rate and scaled: in a room where everyone talks, those beyond the K
 * cost no resampling and no copy (its resampler restarts when it is
 * next heard), and a G.711 one is not even decoded (playout.c). A
 * whisper, and an application speaking to one stream, go to no sum:
 * they are private (r->priv) */
static void room_gather(struct mthread *t, struct mroom *r, uint64_t mono_us,
			uint64_t wall_us, bool *sig)
{
	struct mstream *sel[MIXER_GROUPS][MIXER_MAX_SPEAKERS];
	unsigned nsel[MIXER_GROUPS];
	unsigned k = r->k ? r->k : t->max_speakers;
	int16_t native[MEDIA_FRAME_MAX], mixf[MEDIA_FRAME_MAX];

	if (k > MIXER_MAX_SPEAKERS)
		k = MIXER_MAX_SPEAKERS;
	for (unsigned g = 0; g < MIXER_GROUPS; g++) {
		struct mgroup *gr = r->grp[g];

		nsel[g] = 0;
		/* (the main mix is made even with nobody in it: the
		 * sidebars hear it in the background) */
		if (!gr || (!gr->live && g))
			continue;
		memset(gr->sum, 0, r->frame * sizeof(gr->sum[0]));
		gr->nspk = 0;
		gr->napp = 0;
		gr->base_ready = false;
		gr->pcm_ready = false;
		memset(gr->enc_ready, 0, sizeof(gr->enc_ready));
	}
	r->npriv = 0;
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		bool got, changed, mixable, tapped, spk = false;

		s->fwd_ticks++;          /* its forwarded stream's clock */
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
		else if (got && (s->quiet || s->deferred)) {
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
		/* for the meters (mstream_stats): one compare a tick */
		if (s->talk.level < s->level_peak)
			s->level_peak = s->talk.level;
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
		/* a stream heard alone (a sink's own track, its name; a
		 * whisperer listening to its target) is copied muted or not */
		tapped = s->tap && got && !s->quiet && s->m.recv;
		/* a speaker beyond the K loudest so far is not heard */
		if (mixable && !s->priv_to && !s->app) {
			unsigned g = s->grp->idx;

			spk = speaker_offer(sel[g], &nsel[g], k, s);
			mixable = spk;
		}
		if (!mixable && !tapped) {
			mstream_playout_drop(s);     /* never decoded */
			s->up_live = false;
			continue;
		}
		mstream_playout_decode(s, native);
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
		/* (a speaker's, before the sums are made below) */
		mix_scale(s->contrib, mixf, s->gain_in_q16, r->frame);
		if (spk)
			continue;
		if (s->priv_to) {
			if (r->npriv < ROOM_PRIVATE_MAX)
				r->priv[r->npriv++] = s;   /* for one */
		}
		else {
			/* an application is mixed beside the K speakers */
			s->have = true;
			mix_add(s->grp->sum, s->contrib, r->frame);
			if (s->grp->napp < GROUP_APPS_MAX)
				s->grp->app[s->grp->napp++] = s;
		}
	}
	for (unsigned g = 0; g < MIXER_GROUPS; g++) {
		struct mgroup *gr = r->grp[g];

		for (unsigned i = 0; i < nsel[g]; i++) {
			sel[g][i]->have = true;      /* in the mix this tick */
			mix_add(gr->sum, sel[g][i]->contrib, r->frame);
			gr->spk[i] = sel[g][i];
		}
		if (gr)
			gr->nspk = nsel[g];
	}
}

/* What a member of g hears when it is not in the mix itself: the
 * group's sum, and for a sidebar the main sum in the background */
static const int32_t *group_base(const struct mroom *r, struct mgroup *g)
{
	if (!g->idx || !g->bg || !g->bg_q16)
		return g->sum;
	if (!g->base_ready) {
		memcpy(g->base, g->sum, r->frame * sizeof(g->base[0]));
		mix_add_scaled(g->base, r->main.sum, g->bg_q16, r->frame);
		g->base_ready = true;
	}
	return g->base;
}

/* The frame of g's members who hear it at unity gain, encoded once per
 * codec in a tick (by the group's own coder, which resamples to the
 * codec's rate where it differs) and sent to all of them */
static const uint8_t *shared_payload(const struct mroom *r, struct mgroup *g,
				     enum media_codec codec, size_t *len)
{
	unsigned i = media_codec_index(codec);

	if (!g->pcm_ready) {
		mix_render(g->pcm, group_base(r, g), NULL, MIX_UNITY_Q16,
			   r->frame);
		g->pcm_ready = true;
	}
	if (!g->enc_ready[i]) {
		g->len[i] = media_coder_encode(g->shared[i], codec, g->enc[i],
					       sizeof(g->enc[i]), g->pcm,
					       r->frame);
		g->enc_ready[i] = true;
	}
	*len = g->len[i];
	return g->enc[i];
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

/* What the private sources of this tick say to s (an application or a
 * whisper heard by s alone), added to base (the frame s would hear
 * otherwise, in the mix's 32 bits) into out; false: none is for s */
static bool private_for(const struct mroom *r, const struct mstream *s,
			const int32_t *base, int32_t *out)
{
	bool any = false;

	for (unsigned i = 0; i < r->npriv; i++) {
		if (r->priv[i]->priv_to != s->id)
			continue;
		if (!any && out != base)
			memcpy(out, base, r->frame * sizeof(*out));
		mix_add(out, r->priv[i]->contrib, r->frame);
		any = true;
	}
	return any;
}

/* How s hears a speaker under the media policy (Q16) */
int32_t mstream_heard_q16(const struct mstream *s, const struct mstream *spk)
{
	for (unsigned i = 0; i < s->nrelp; i++)
		if (s->relp[i] == spk)
			return s->rel_q16[i];
	return s->cls_q16[spk->m.cls < MIXER_CLASSES ? spk->m.cls : 0];
}

/* The relations of s applied to the frame it hears (out, which holds
 * its group's base): each speaker in a mix it hears is taken out and put
 * back at the level the policy says, so the cost is per speaker mixed,
 * not per pair */
static void relations_apply(const struct mroom *r, const struct mgroup *g,
			    const struct mstream *s, int32_t *out)
{
	for (unsigned i = 0; i < g->nspk; i++) {
		const struct mstream *spk = g->spk[i];
		int32_t q;

		if (spk == s)
			continue;
		q = mstream_heard_q16(s, spk);
		if (q != MIX_UNITY_Q16)
			mix_add_scaled(out, spk->contrib, q - MIX_UNITY_Q16,
				       r->frame);
	}
	if (!g->idx || !g->bg || !g->bg_q16)
		return;
	for (unsigned i = 0; i < r->main.nspk; i++) {
		const struct mstream *spk = r->main.spk[i];
		int32_t q = mstream_heard_q16(s, spk);

		if (q != MIX_UNITY_Q16)
			mix_add_scaled(out, spk->contrib,
				       (int32_t)(((int64_t)q * g->bg_q16) >>
						 16) - g->bg_q16, r->frame);
	}
}

/* A stream that hears one other alone (a sink's own track; a whisperer
 * listening to its target) and what is said to it privately */
static void send_heard_alone(const struct mroom *r, struct mstream *s)
{
	const struct mstream *src = s->tap_src;
	int16_t frame[MEDIA_FRAME_MAX];
	int32_t own[MEDIA_FRAME_MAX];
	/* a call hears a muted voice no more than the room does; a
	 * recorder's track of it is made all the same */
	bool heard = src && src->tap_have && (s->app || !src->m.muted);

	if (s->app) {                  /* a track: the samples as they are */
		if (heard)
			memcpy(frame, src->tap, r->frame * sizeof(frame[0]));
		else
			memset(frame, 0, r->frame * sizeof(frame[0]));
		mstream_send(s, NULL, frame, r->frame);
		return;
	}
	if (heard)
		mix_scale(own, src->tap, MIX_UNITY_Q16, r->frame);
	else
		memset(own, 0, r->frame * sizeof(own[0]));
	(void)private_for(r, s, own, own);
	mix_render(frame, own, NULL, s->gain_out_q16, r->frame);
	mstream_send(s, NULL, frame, r->frame);
}

static void room_tick(struct mthread *t, struct mroom *r, uint64_t mono_us,
		      uint64_t wall_us, bool *sig)
{
	int16_t frame[MEDIA_FRAME_MAX];
	int32_t music[MEDIA_FRAME_MAX], own[MEDIA_FRAME_MAX];
	static const int32_t silence[MEDIA_FRAME_MAX];
	size_t len;

	room_gather(t, r, mono_us, wall_us, sig);
	self_group_send(r);       /* each source once, for the group's */
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		struct mgroup *g = s->grp;

		if (!s->m.send || (!s->m.rtp_dst_len && !s->app)) {
			/* keep the clock running so a resumed stream's
			 * timestamps stay in step with real time */
			s->tx_ts += media_rtp_clock(s->m.codec) /
				JB_TICKS_PER_S;
		}
		else if (s->hear_only) {
			send_heard_alone(r, s);
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
		else if (self_on(s)) {
			/* it mixes for itself: a stream per source */
			self_send(r, s);
		}
		else {
			const int32_t *base = group_base(r, g);
			bool priv = r->npriv && private_for(r, s, base, own);

			if (!priv && !s->custom && !s->have && !s->app &&
			    s->gain_out_q16 == MIX_UNITY_Q16) {
				/* not in the mix: the shared frame (len is
				 * set by shared_payload, so it is called
				 * first) */
				const uint8_t *pl = shared_payload(
					r, g, s->m.codec, &len);

				mstream_send_payload(s, g, pl, len);
				t->shared_sends++;
				goto next;
			}
			if (s->custom) {
				if (!priv)
					memcpy(own, base,
					       r->frame * sizeof(own[0]));
				relations_apply(r, g, s, own);
				priv = true;
			}
			/* a speaker hears everyone but itself; a listener
			 * with its own gain or relations gets its own
			 * frame */
			mix_render(frame, priv ? own : base,
				   s->have ? s->contrib : NULL,
				   s->gain_out_q16, r->frame);
			mstream_send(s, g, frame, r->frame);
		}
next:
		if (mono_us >= s->next_rtcp_us)
			mstream_rtcp(s, mono_us, wall_us);
		if (mono_us >= s->next_stats_us)
			mstream_stats(t, s, mono_us, r->levels);
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
	/* or the calls' own, all read in batches (mixer_uring.c) */
	uring_receive(t, mono, sig);
	for (unsigned i = 0; i < t->nrooms; i++)
		room_tick(t, t->rooms[i], mono, wall, sig);
	if (t->mux)
		mux_flush(t->mux);
	if (t->uring) {
		uring_flush(t->uring);
		atomic_store(&t->tx_dropped, uring_tx_dropped(t->uring));
	}
}

void *mthread_main(void *arg)
{
	struct mthread *t = arg;
	struct timespec next;
	uint64_t win_busy = 0;
	unsigned win_ticks = 0;

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
		mthread_signal(t, sig, mono);

		busy = mthread_now_us(CLOCK_MONOTONIC) - start;
		atomic_fetch_add(&t->ticks, 1);
		atomic_fetch_add(&t->busy_us, busy);
		atomic_fetch_add(&t->tick_hist[tick_bucket(busy)], 1);
		/* the share of the last second's ticks spent working */
		win_busy += busy;
		if (++win_ticks == 50) {
			atomic_store(&t->load_ppm, (uint32_t)(win_busy *
				1000000 / (50 * (TICK_NS / 1000))));
			win_busy = 0;
			win_ticks = 0;
		}
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
