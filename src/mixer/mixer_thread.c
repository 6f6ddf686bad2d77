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

static uint64_t now_us(clockid_t clk)
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

static struct mroom *room_find(struct mthread *t, uint32_t key, bool create)
{
	struct mroom *r;

	for (unsigned i = 0; i < t->nrooms; i++)
		if (t->rooms[i]->key == key)
			return t->rooms[i];
	if (!create)
		return NULL;
	if (t->nrooms == t->cap_rooms) {
		unsigned cap = t->cap_rooms ? t->cap_rooms * 2 : 8;
		struct mroom **v = realloc(t->rooms, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->rooms = v;
		t->cap_rooms = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = key;
	r->hz = t->mix_hz;
	r->frame = r->hz / JB_TICKS_PER_S;
	t->rooms[t->nrooms++] = r;
	return r;
}

static void stream_free(struct mstream *s)
{
	if (s->mux) {                /* the thread's: they stay open */
		mux_detach(s->mux, s);
	}
	else {
		close(s->rtp_fd);
		close(s->rtcp_fd);
	}
	media_coder_free(s->coder);
	media_plc_free(s->plc);
	free(s);
}

static void room_free(struct mroom *r)
{
	for (unsigned i = 0; i < MEDIA_NCODECS; i++)
		media_coder_free(r->shared[i]);
	free(r->s);
	free(r);
}

/* An empty room leaves the thread */
static void room_drop(struct mthread *t, struct mroom *r)
{
	for (unsigned k = 0; k < t->nrooms; k++) {
		if (t->rooms[k] == r) {
			t->rooms[k] = t->rooms[--t->nrooms];
			break;
		}
	}
	room_free(r);
}

/* The coders of a stream and of its room's shared mix for its codec
 * (allocated here, at a command, never in a tick). ENOMEM leaves the
 * stream without one: its codec's frames are not decoded or sent. */
static void coders_for(struct mthread *t, struct mroom *r,
		       struct mstream *s)
{
	unsigned ci = media_codec_index(s->m.codec);
	int err;

	media_coder_free(s->coder);
	s->coder = media_coder_new(s->m.codec, r->hz, &s->m.opus, &err);
	if (s->m.codec == MEDIA_PCMU || s->m.codec == MEDIA_PCMA) {
		if (!s->plc)
			s->plc = media_plc_new();
	}
	else {
		media_plc_free(s->plc);
		s->plc = NULL;
	}
	if (!r->shared[ci])
		r->shared[ci] = media_coder_new(s->m.codec, r->hz, NULL,
						&err);
	mstream_playout_init(s, r->hz, t->jitter_ms);
}

/* A room that changes its mix rate (a command, not a tick): every
 * stream's coders and playout are made again at the new rate */
static void room_rate(struct mthread *t, struct mroom *r, unsigned hz)
{
	if (!hz)
		hz = t->mix_hz;
	if (!media_rate_valid(hz) || hz == r->hz)
		return;
	r->hz = hz;
	r->frame = hz / JB_TICKS_PER_S;
	for (unsigned i = 0; i < MEDIA_NCODECS; i++) {
		media_coder_free(r->shared[i]);
		r->shared[i] = NULL;
	}
	for (unsigned i = 0; i < r->n; i++)
		coders_for(t, r, r->s[i]);
}

static struct mstream *stream_find(struct mthread *t, uint32_t id,
				   struct mroom **rp, unsigned *ip)
{
	for (unsigned r = 0; r < t->nrooms; r++) {
		struct mroom *room = t->rooms[r];

		for (unsigned i = 0; i < room->n; i++) {
			if (room->s[i]->id != id)
				continue;
			if (rp)
				*rp = room;
			if (ip)
				*ip = i;
			return room->s[i];
		}
	}
	return NULL;
}

static bool room_reserve(struct mroom *r)
{
	unsigned cap;
	struct mstream **v;

	if (r->n < r->cap)
		return true;
	cap = r->cap ? r->cap * 2 : 8;
	v = realloc(r->s, cap * sizeof(*v));
	if (!v)
		return false;
	r->s = v;
	r->cap = cap;
	return true;
}

static void cmd_add(struct mthread *t, const struct mcmd *c)
{
	struct mroom *r = room_find(t, c->room, true);
	struct mstream *s = calloc(1, sizeof(*s));
	bool shared = c->rtp_fd < 0;

	if (!r || !s || !room_reserve(r) || (shared && !t->mux) ||
	    (shared && !mux_reserve(t->mux, atomic_load(&t->streams) + 1))) {
		/* out of memory: the stream is not mixed, its sockets close */
		if (!shared) {
			close(c->rtp_fd);
			close(c->rtcp_fd);
		}
		free(s);
		if (r && !r->n)
			room_drop(t, r);
		return;
	}
	s->id = c->id;
	if (shared)
		mux_attach(t->mux, s);
	else {
		s->rtp_fd = c->rtp_fd;
		s->rtcp_fd = c->rtcp_fd;
	}
	s->m = c->media;
	room_rate(t, r, c->media.room_hz);
	coders_for(t, r, s);
	s->tx_ssrc = c->media.tx_ssrc ? c->media.tx_ssrc : arc4random();
	s->tx_seq = (uint16_t)arc4random();
	s->tx_ts = arc4random();
	s->tx_marker = true;
	s->st.tx_ssrc = s->tx_ssrc;
	/* spread RTCP and stats of many streams over the interval */
	s->next_rtcp_us = now_us(CLOCK_MONOTONIC) + 1000000 +
		arc4random_uniform(RTCP_INTERVAL_US);
	s->next_stats_us = now_us(CLOCK_MONOTONIC) +
		arc4random_uniform(STATS_INTERVAL_US);
	r->k = c->media.room_speakers;
	r->s[r->n++] = s;
	atomic_fetch_add(&t->streams, 1);
}

static void cmd_remove(struct mthread *t, uint32_t id)
{
	struct mroom *r;
	unsigned i;
	struct mstream *s = stream_find(t, id, &r, &i);

	if (!s)
		return;
	r->s[i] = r->s[--r->n];
	stream_free(s);
	atomic_fetch_sub(&t->streams, 1);
	if (!r->n)
		room_drop(t, r);
}

static bool opus_fmtp_eq(const struct media_opus_fmtp *a,
			 const struct media_opus_fmtp *b)
{
	return a->maxplaybackrate == b->maxplaybackrate &&
		a->maxaveragebitrate == b->maxaveragebitrate &&
		a->useinbandfec == b->useinbandfec && a->usedtx == b->usedtx;
}

static void drain_commands(struct mthread *t)
{
	struct mcmd c;

	while (spsc_pop(&t->cmdq, &c)) {
		switch (c.type) {
		case MCMD_ADD:
			cmd_add(t, &c);
			break;
		case MCMD_UPDATE: {
			struct mroom *r = NULL;
			struct mstream *s = stream_find(t, c.id, &r, NULL);

			if (s) {
				/* a re-INVITE chose another codec, or
				 * other Opus parameters (bitrate, FEC, DTX) */
				bool recode = s->m.codec != c.media.codec ||
					!opus_fmtp_eq(&s->m.opus,
						      &c.media.opus);

				r->k = c.media.room_speakers;
				room_rate(t, r, c.media.room_hz);
				/* a latched address is the truth (NAT); keep
				 * it unless signalling gave a new one */
				bool same = s->m.rtp_dst_len ==
					c.media.rtp_dst_len &&
					!memcmp(&s->m.rtp_dst,
						&c.media.rtp_dst,
						c.media.rtp_dst_len);
				struct sockaddr_storage dst = s->m.rtp_dst;
				socklen_t dlen = s->m.rtp_dst_len;

				s->m = c.media;
				if (recode)
					coders_for(t, r, s);
				if (s->mux)     /* its address may be new */
					mux_changed(s->mux);
				if (s->latched && !same)
					s->latched = false;
				else if (s->latched) {
					s->m.rtp_dst = dst;
					s->m.rtp_dst_len = dlen;
				}
			}
			break;
		}
		case MCMD_REMOVE:
			cmd_remove(t, c.id);
			break;
		}
	}
}

/* RFC 4733: report each event once, when its end bit first shows. */
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
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		bool got, changed;

		mstream_receive(t, s, mono_us, wall_us, sig);
		/* always play out, so a muted stream's buffer keeps moving */
		got = mstream_playout(s, native);
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
		if (changed) {
			struct mixer_event ev = {
				.type = MIXER_EV_TALKING, .stream_id = s->id,
				.talking = s->talk.talking,
				.level = s->talk.level,
			};

			mthread_push_event(t, &ev, sig);
		}
		s->have = false;
		/* (a quiet frame's samples were not even made) */
		if (!got || s->quiet || !s->m.recv || s->m.muted ||
		    (!s->talk.talking && s->talk.level >= TALK_ON_DBOV)) {
			s->up_live = false;
			continue;
		}
		if (!s->up_live)         /* its last input was long ago */
			media_coder_rx_reset(s->coder);
		s->up_live = true;
		media_coder_to_mix(s->coder, native, s->nframe, mixf,
				   r->frame);
		mix_scale(s->contrib, mixf, s->m.gain_in_q16, r->frame);
		speaker_offer(sel, &nsel, k, s);
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

static void room_tick(struct mthread *t, struct mroom *r, uint64_t mono_us,
		      uint64_t wall_us, bool *sig)
{
	struct shared_mix sh;
	int16_t frame[MEDIA_FRAME_MAX];
	int32_t music[MEDIA_FRAME_MAX];
	size_t len;

	sh.pcm_ready = false;
	memset(sh.enc_ready, 0, sizeof(sh.enc_ready));
	room_gather(t, r, mono_us, wall_us, sig);
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];

		if (!s->m.send || !s->m.rtp_dst_len) {
			/* keep the clock running so a resumed stream's
			 * timestamps stay in step with real time */
			s->tx_ts += media_rtp_clock(s->m.codec) /
				JB_TICKS_PER_S;
		}
		else if (s->m.hold_music) {
			mix_scale(music, moh_frame(t, r), s->m.gain_out_q16,
				  r->frame);
			mix_render(frame, music, NULL, MIX_UNITY_Q16,
				   r->frame);
			mstream_send(s, NULL, frame, r->frame);
		}
		else if (s->m.deaf) {
			memset(frame, 0, r->frame * sizeof(frame[0]));
			mstream_send(s, NULL, frame, r->frame);
		}
		else if (!s->have && s->m.gain_out_q16 == MIX_UNITY_Q16) {
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
				   s->m.gain_out_q16, r->frame);
			mstream_send(s, r, frame, r->frame);
		}
		if (mono_us >= s->next_rtcp_us)
			mstream_rtcp(s, mono_us, wall_us);
		if (mono_us >= s->next_stats_us)
			mstream_stats(t, s, mono_us, sig);
	}
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
		start = now_us(CLOCK_MONOTONIC);
		wall = now_us(CLOCK_REALTIME);
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
		drain_commands(t);
		mono = start;
		if (t->moh_ready)              /* the music moves on */
			t->moh_tick++;
		t->moh_ready = 0;
		/* the thread's own sockets: read once for every room, and
		 * what the rooms send goes out in batches */
		mux_receive(t, mono, wall, &sig);
		for (unsigned i = 0; i < t->nrooms; i++)
			room_tick(t, t->rooms[i], mono, wall, &sig);
		if (t->mux)
			mux_flush(t->mux);
		if (sig)
			(void)!write(t->efd, &one, sizeof(one));

		busy = now_us(CLOCK_MONOTONIC) - start;
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

void mthread_free_rooms(struct mthread *t)
{
	for (unsigned r = 0; r < t->nrooms; r++) {
		for (unsigned i = 0; i < t->rooms[r]->n; i++)
			stream_free(t->rooms[r]->s[i]);
		room_free(t->rooms[r]);
	}
	free(t->rooms);
	t->rooms = NULL;
	t->nrooms = 0;
}
