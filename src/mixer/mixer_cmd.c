/*
 * The commands a mixer thread takes from the signalling thread (add,
 * update, remove a stream), applied at the start of a tick: the rooms and
 * streams they make and free, the coders and gains they set up. The only
 * place a mixer thread allocates (ARCHITECTURE.md: never in steady
 * state). Mixer thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mixer/mix.h"
#include "mixer/mixer_stream.h"

/* Are the levels of room key wanted (MCMD_LEVELS)? */
static bool levels_wanted(const struct mthread *t, uint32_t key)
{
	for (unsigned i = 0; i < t->n_lv; i++)
		if (t->lv_rooms[i] == key)
			return true;
	return false;
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
	r->levels = levels_wanted(t, key);
	r->grp[0] = &r->main;
	r->hz = t->mix_hz;
	r->frame = r->hz / JB_TICKS_PER_S;
	t->rooms[t->nrooms++] = r;
	return r;
}

static struct mstream *room_stream(const struct mroom *r, uint32_t id)
{
	for (unsigned i = 0; id && i < r->n; i++)
		if (r->s[i]->id == id)
			return r->s[i];
	return NULL;
}

/* A group of the room, made when first named (out of memory: the main
 * one) */
static struct mgroup *group_get(struct mroom *r, unsigned idx)
{
	struct mgroup *g;

	if (idx >= MIXER_GROUPS)
		idx = 0;
	if (r->grp[idx])
		return r->grp[idx];
	g = calloc(1, sizeof(*g));
	if (!g)
		return &r->main;
	g->idx = idx;
	r->grp[idx] = g;
	return g;
}

static int32_t policy_q16(float db)
{
	return db <= MIXER_GAIN_OFF_DB ? 0 : mix_gain_q16(db);
}

/*
 * After the commands of a tick changed a room: what each stream's media
 * policy names is looked up again (streams by id become pointers), its
 * group made, the group's shared coder for its codec made, and the
 * streams that are heard alone (by a sink, by a whisperer listening to
 * its target) keep a copy of their audio each tick. The only place these
 * links are made, so a stream that left is never pointed at in a tick.
 */
static void room_relink(struct mroom *r)
{
	for (unsigned g = 0; g < MIXER_GROUPS; g++)
		if (r->grp[g])
			r->grp[g]->live = false;
	for (unsigned i = 0; i < r->n; i++) {
		r->s[i]->tap_src = NULL;
		r->s[i]->tapped_by = 0;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		const struct mixer_media *m = &s->m;
		unsigned ci = media_codec_index(m->codec);
		struct mgroup *g;
		int err;

		s->priv_to = s->app ? (s->app->source ? s->app_to : 0) :
			m->whisper_to;
		s->hear_only = s->app ? (s->app->sink ? s->app_to : 0) :
			m->listen_to;
		g = s->grp = group_get(r, m->group);
		if (!g->live) {              /* its members carry the same */
			g->live = true;
			g->bg = g->idx && m->bg;
			g->bg_q16 = policy_q16(m->bg_gain_db);
		}
		/* (an application's sink hears its own frame, never the
		 * shared one) */
		if (!g->shared[ci] && m->codec != MEDIA_L16)
			g->shared[ci] = media_coder_new(m->codec, r->hz, NULL,
							&err);
		s->custom = false;
		for (unsigned c = 0; c < MIXER_CLASSES; c++) {
			s->cls_q16[c] = m->by_class ?
				policy_q16(m->cls_gain_db[c]) : MIX_UNITY_Q16;
			s->custom |= s->cls_q16[c] != MIX_UNITY_Q16;
		}
		s->nrelp = 0;
		for (unsigned k = 0; k < m->nrel && k < MIXER_REL_MAX; k++) {
			const struct mstream *o = room_stream(r,
							      m->rel[k].stream);

			if (!o || o == s)
				continue;
			s->relp[s->nrelp] = o;
			s->rel_q16[s->nrelp++] = policy_q16(m->rel[k].gain_db);
			s->custom = true;
		}
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];
		struct mstream *o = room_stream(r, s->hear_only);

		if (!o || o == s || o->app)
			continue;
		if (!o->tap)
			o->tap = calloc(MEDIA_FRAME_MAX, sizeof(*o->tap));
		if (!o->tap)
			continue;
		o->tapped_by++;
		s->tap_src = o;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct mstream *s = r->s[i];

		if (!s->tapped_by && s->tap) {
			free(s->tap);
			s->tap = NULL;
			s->tap_have = false;
		}
	}
	self_relink(r);           /* listeners that mix for themselves */
	r->relink = false;
}

static void group_coders_free(struct mgroup *g)
{
	for (unsigned i = 0; i < MEDIA_NCODECS; i++) {
		media_coder_free(g->shared[i]);
		g->shared[i] = NULL;
	}
}

static void stream_free(struct mstream *s)
{
	free(s->tap);
	if (s->app) {                /* an application: no sockets */
		mixer_app_put(s->app);
	}
	else if (s->mux) {           /* the thread's: they stay open */
		mux_detach(s->mux, s);
	}
	else {
		close(s->rtp_fd);
		close(s->rtcp_fd);
	}
	media_coder_free(s->coder);
	media_plc_free(s->plc);
	self_free(s);
	inband_free(s);
	msrtp_free(s);
	free(s);
}

static void room_free(struct mroom *r)
{
	self_group_set(r, -1, NULL);
	for (unsigned g = 0; g < MIXER_GROUPS; g++) {
		if (!r->grp[g])
			continue;
		group_coders_free(r->grp[g]);
		if (r->grp[g] != &r->main)
			free(r->grp[g]);
	}
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

/* The coders of a stream (allocated here, at a command, never in a
 * tick; its group's shared one room_relink makes). ENOMEM leaves the
 * stream without one: its codec's frames are not decoded or sent. */
static void coders_for(struct mthread *t, struct mroom *r,
		       struct mstream *s)
{
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
	r->relink = true;
	mstream_playout_init(s, r->hz, t->jitter_ms);
	inband_setup(s);
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

/* The gains as the mix applies them (a command, not a tick: pow() is
 * fine here) */
static void stream_gains(struct mstream *s)
{
	s->gain_in_q16 = mix_gain_q16(s->m.gain_in_db);
	s->gain_out_q16 = mix_gain_q16(s->m.gain_out_db);
}

static void cmd_add(struct mthread *t, const struct mcmd *c)
{
	struct mroom *r = room_find(t, c->room, true);
	struct mstream *s = mstream_alloc();
	bool shared = c->rtp_fd < 0 && !c->app;

	if (!r || !s || !room_reserve(r) || (shared && !t->mux) ||
	    (shared && !mux_reserve(t->mux, atomic_load(&t->streams) + 1))) {
		/* out of memory: the stream is not mixed, its sockets close
		 * (an application's reference goes) */
		if (c->app)
			mixer_app_put(c->app);
		else if (!shared) {
			close(c->rtp_fd);
			close(c->rtcp_fd);
		}
		free(s);
		if (r && !r->n)
			room_drop(t, r);
		return;
	}
	s->id = c->id;
	if (c->app) {
		s->app = c->app;       /* the command's reference, now ours */
		s->app_to = c->app_to;
		s->rtp_fd = s->rtcp_fd = -1;
	}
	else if (shared)
		mux_attach(t->mux, s);
	else {
		s->rtp_fd = c->rtp_fd;
		s->rtcp_fd = c->rtcp_fd;
		s->ur = t->uring;
	}
	s->m = c->media;
	msource_signal(&s->src, &c->media.rtp_dst, c->media.rtp_dst_len,
		       &c->media.rtcp_dst, c->media.rtcp_dst_len);
	(void)msrtp_apply(s);
	stream_gains(s);
	r->s[r->n++] = s;          /* its codec counts in the room's rate */
	mroom_follow(t, r, r->n == 1 ? "new" : "join");
	coders_for(t, r, s);
	s->tx_ssrc = c->media.tx_ssrc ? c->media.tx_ssrc : arc4random();
	s->tx_seq = (uint16_t)arc4random();
	s->tx_ts = arc4random();
	s->tx_marker = true;
	s->st.tx_ssrc = s->tx_ssrc;
	s->level_peak = 127;
	self_init(s);
	/* spread RTCP and stats of many streams over the interval */
	s->next_rtcp_us = mthread_now_us(CLOCK_MONOTONIC) + 1000000 +
		arc4random_uniform(RTCP_INTERVAL_US);
	s->next_stats_us = mthread_now_us(CLOCK_MONOTONIC) +
		arc4random_uniform(r->levels ? LEVEL_INTERVAL_US :
				   STATS_INTERVAL_US);
	r->k = c->media.room_speakers;
	r->relink = true;
	atomic_fetch_add(&t->streams, 1);
}

/* A room's multicast group: set on the room, made when it has no
 * stream yet (the stream's command follows); none on an empty room drops
 * it */
static void cmd_group(struct mthread *t, const struct mcmd *c)
{
	struct mroom *r = room_find(t, c->room, true);

	if (!r) {                      /* out of memory: no group */
		if (c->rtp_fd >= 0)
			close(c->rtp_fd);
		return;
	}
	self_group_set(r, c->rtp_fd, &c->media.mcast);
	r->relink = true;
	if (!r->n && !r->mc_on)
		room_drop(t, r);
}

/* Levels of a room wanted or not: kept by key, for a room placed here
 * later too (out of memory: not wanted, the meters stay still) */
static void cmd_levels(struct mthread *t, const struct mcmd *c)
{
	struct mroom *r = room_find(t, c->room, false);
	unsigned i = 0;

	while (i < t->n_lv && t->lv_rooms[i] != c->room)
		i++;
	if (!c->levels && i < t->n_lv)
		t->lv_rooms[i] = t->lv_rooms[--t->n_lv];
	else if (c->levels && i == t->n_lv) {
		if (t->n_lv == t->cap_lv) {
			unsigned cap = t->cap_lv ? t->cap_lv * 2 : 8;
			uint32_t *v = realloc(t->lv_rooms, cap * sizeof(*v));

			if (!v)
				return;
			t->lv_rooms = v;
			t->cap_lv = cap;
		}
		t->lv_rooms[t->n_lv++] = c->room;
	}
	if (!r || r->levels == c->levels)
		return;
	r->levels = c->levels;
	/* a meter shown moves within one interval, not at the next of the
	 * once-a-second reports (spread over it, as at an add) */
	for (unsigned k = 0; c->levels && k < r->n; k++) {
		uint64_t soon = mthread_now_us(CLOCK_MONOTONIC) +
			arc4random_uniform(LEVEL_INTERVAL_US);

		if (r->s[k]->next_stats_us > soon)
			r->s[k]->next_stats_us = soon;
	}
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
	r->relink = true;
	if (!r->n)
		room_drop(t, r);
	else
		mroom_follow(t, r, "leave");
}

/* A stream over to another room of the thread (made when missing): its
 * coders made for the room's rate and codec; the room it leaves goes
 * when empty */
static void cmd_move(struct mthread *t, uint32_t id, uint32_t key)
{
	struct mroom *r, *to;
	unsigned i;
	struct mstream *s = stream_find(t, id, &r, &i);

	if (!s || r->key == key)
		return;
	to = room_find(t, key, true);
	if (!to || !room_reserve(to)) {
		if (to && !to->n)
			room_drop(t, to);
		return;            /* out of memory: it stays where it is */
	}
	r->s[i] = r->s[--r->n];
	r->relink = true;
	/* a room with streams keeps its K (the update that follows
	 * carries the conference's), a new one takes the stream's; both
	 * rooms' rates follow who is in them */
	if (!to->n)
		to->k = s->m.room_speakers;
	to->s[to->n++] = s;
	mroom_follow(t, to, "join");
	coders_for(t, to, s);
	if (!r->n)
		room_drop(t, r);
	else
		mroom_follow(t, r, "leave");
}

static bool opus_fmtp_eq(const struct media_opus_fmtp *a,
			 const struct media_opus_fmtp *b)
{
	return a->maxplaybackrate == b->maxplaybackrate &&
		a->maxaveragebitrate == b->maxaveragebitrate &&
		a->useinbandfec == b->useinbandfec && a->usedtx == b->usedtx;
}

void mthread_drain_commands(struct mthread *t)
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

			if (s && s->app) {
				/* an application keeps what it is */
				c.media.codec = MEDIA_L16;
				c.media.send = s->m.send;
				c.media.recv = s->m.recv;
				c.media.rtp_dst_len = 0;
				c.media.rtcp_dst_len = 0;
				c.media.srtp.on = false;
				c.media.level_id = 0;
				c.media.csrc_level_id = 0;
			}
			if (s) {
				/* a re-INVITE chose another codec, or
				 * other Opus parameters (bitrate, FEC, DTX) */
				bool recode = s->m.codec != c.media.codec ||
					!opus_fmtp_eq(&s->m.opus,
						      &c.media.opus);

				r->k = c.media.room_speakers;
				/* a learnt source is the truth (NAT); it is
				 * kept unless signalling gave a new address
				 * (msource_signal forgets it then) */
				struct sockaddr_storage dst = s->m.rtp_dst;
				socklen_t dlen = s->m.rtp_dst_len;
				struct sockaddr_storage rdst = s->m.rtcp_dst;
				socklen_t rlen = s->m.rtcp_dst_len;

				s->m = c.media;
				(void)msrtp_apply(s);
				msource_signal(&s->src, &c.media.rtp_dst,
					       c.media.rtp_dst_len,
					       &c.media.rtcp_dst,
					       c.media.rtcp_dst_len);
				stream_gains(s);
				r->relink = true;
				if (recode)
					coders_for(t, r, s);
				else
					inband_setup(s);   /* telephone-event
							    * may be new */
				mroom_follow(t, r, recode ? "codec" :
					     "policy");
				if (s->mux)     /* its address may be new */
					mux_changed(s->mux);
				s->latched = s->latched && s->src.cur_len;
				if (s->latched) {
					s->m.rtp_dst = dst;
					s->m.rtp_dst_len = dlen;
				}
				if (s->rtcp_latched && s->latched) {
					s->m.rtcp_dst = rdst;
					s->m.rtcp_dst_len = rlen;
				}
				else {
					s->rtcp_latched = false;
				}
			}
			break;
		}
		case MCMD_REMOVE:
			cmd_remove(t, c.id);
			break;
		case MCMD_MOVE:
			cmd_move(t, c.id, c.room);
			break;
		case MCMD_GROUP:
			cmd_group(t, &c);
			break;
		case MCMD_LEVELS:
			cmd_levels(t, &c);
			break;
		}
	}
	for (unsigned i = 0; i < t->nrooms; i++)
		if (t->rooms[i]->relink)
			room_relink(t->rooms[i]);
}

void mthread_free_rooms(struct mthread *t)
{
	struct mcmd c;

	/* commands never applied: what they carry is let go */
	while (spsc_pop(&t->cmdq, &c)) {
		if (c.type == MCMD_GROUP && c.rtp_fd >= 0)
			close(c.rtp_fd);
		if (c.type != MCMD_ADD)
			continue;
		if (c.app)
			mixer_app_put(c.app);
		else if (c.rtp_fd >= 0) {
			close(c.rtp_fd);
			close(c.rtcp_fd);
		}
	}
	for (unsigned r = 0; r < t->nrooms; r++) {
		for (unsigned i = 0; i < t->rooms[r]->n; i++)
			stream_free(t->rooms[r]->s[i]);
		room_free(t->rooms[r]);
	}
	free(t->rooms);
	t->rooms = NULL;
	t->nrooms = 0;
	free(t->lv_rooms);
	t->lv_rooms = NULL;
	t->n_lv = t->cap_lv = 0;
}
