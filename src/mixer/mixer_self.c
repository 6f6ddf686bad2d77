/*
 * Distributed mixing (spec s. 6.4; mixer.h's self_mix): a listener that
 * mixes for itself gets no mix from us. Each tick it gets, on its one
 * RTP session, a packet per source it hears: the talkers its group's
 * K-loudest selection took (room_gather in mixer_thread.c; never itself,
 * nobody the media policy says it does not hear), the applications mixed
 * beside them, and whatever is said to it alone (a whisper, a private
 * prompt). Each source is its own RTP stream: an SSRC the focus gives
 * it when it joins the room and keeps while it is there (announced
 * nowhere, but constant), its own sequence numbers (per codec) and
 * timestamps (from the ticks it lived, so a talkspurt after a pause
 * starts where real time is, with the marker bit).
 *
 * The cost per listener is a packet per source heard instead of one,
 * and no mixing: a source's frame is encoded once per codec and tick,
 * whoever of the room's self-mixing listeners asks first, as the shared
 * mix is (mgroup.shared). The encoders are made at commands
 * (self_relink), for the codecs the room's self-mixing listeners use,
 * for every stream of the room (any may start talking); a tick
 * allocates nothing.
 *
 * Gains are the listener's business (sent at unity), and a sidebar's
 * members get their sidebar's sources, not the main conference in the
 * background.
 *
 * A room with a multicast group (mixer.h's struct mixer_mcast) sends the
 * main group's selection (the K loudest and its applications) to the
 * group once a tick, each source with the SSRC, sequence numbers and
 * timestamps its unicast packets of that codec have, in the group's
 * codec; the listeners that take it (mixer_media's mcast_on, the group's
 * codec, the main group's selection unchanged: no sidebar, relations or
 * classes) get by unicast only what is said to them alone, and drop
 * their own voice from the group by its SSRC (the signalling side named
 * it: fwd_ssrc). Mixer thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "mixer/mixer.h"
#include "mixer/mix.h"
#include "mixer/mixer_stream.h"

/* A source's encoders and this tick's encodings, per codec index */
struct mfwd {
	unsigned hz;                   /* the mix rate they were made for */
	unsigned mask;                 /* codecs made (bit: index) */
	struct media_coder *enc[MEDIA_NCODECS];   /* (NULL is fine for
						   * G.711 in an 8 kHz
						   * mix) */
	uint32_t pcm_tick;             /* fwd_ticks pcm was made at */
	int16_t pcm[MEDIA_FRAME_MAX];
	uint32_t enc_tick[MEDIA_NCODECS];
	uint8_t out[MEDIA_NCODECS][MEDIA_MAX_PAYLOAD];
	size_t len[MEDIA_NCODECS];     /* 0: nothing to send (DTX) */
	uint16_t seq[MEDIA_NCODECS];   /* of this tick's packet */
	bool marker[MEDIA_NCODECS];
	uint32_t sent_tick[MEDIA_NCODECS];   /* last tick with a packet */
};

static const enum media_codec codecs[] = {MEDIA_PCMU, MEDIA_PCMA,
					  MEDIA_G722, MEDIA_OPUS};

void self_init(struct mstream *s)
{
	s->fwd_ssrc = s->m.fwd_ssrc;          /* (named by the SIP side) */
	while (!s->fwd_ssrc || s->fwd_ssrc == s->tx_ssrc)
		s->fwd_ssrc = arc4random();
	s->fwd_ts0 = arc4random();
	for (unsigned i = 0; i < MEDIA_NCODECS; i++)
		s->fwd_seq[i] = (uint16_t)arc4random();
}

bool self_on(const struct mstream *s)
{
	/* plain RTP only: sdpneg.c says why */
	return !s->app && s->m.self_mix && !s->srtp_on;
}

static void fwd_drop(struct mstream *s, unsigned i)
{
	media_coder_free(s->fwd->enc[i]);
	s->fwd->enc[i] = NULL;
	s->fwd->mask &= ~(1u << i);
}

void self_free(struct mstream *s)
{
	if (!s->fwd)
		return;
	for (unsigned i = 0; i < MEDIA_NCODECS; i++)
		fwd_drop(s, i);
	free(s->fwd);
	s->fwd = NULL;
}

/* s's encoders for the codecs in mask, at the room's rate (out of
 * memory: a codec without one, whose listeners do not get s) */
static void fwd_prepare(struct mstream *s, unsigned mask, unsigned hz)
{
	struct mfwd *f;

	if (!mask) {
		self_free(s);
		return;
	}
	if (!s->fwd) {
		s->fwd = calloc(1, sizeof(*s->fwd));
		if (!s->fwd)
			return;
		/* (nothing made yet; the first packet starts a talkspurt) */
		memset(s->fwd->enc_tick, 0xff, sizeof(s->fwd->enc_tick));
		memset(s->fwd->sent_tick, 0xff, sizeof(s->fwd->sent_tick));
		s->fwd->pcm_tick = UINT32_MAX;
		s->fwd->hz = hz;
	}
	f = s->fwd;
	for (unsigned k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
		unsigned i = media_codec_index(codecs[k]);
		int err = 0;

		if ((f->mask & (1u << i)) && (!(mask & (1u << i)) ||
					      f->hz != hz))
			fwd_drop(s, i);
		if (!(mask & (1u << i)) || (f->mask & (1u << i)))
			continue;
		f->enc[i] = media_coder_new(codecs[k], hz, NULL, &err);
		if (f->enc[i] || !err)
			f->mask |= 1u << i;
	}
	f->hz = hz;
}

/* Does s hear the room's selection from its group? */
static bool group_takes(const struct mroom *r, const struct mstream *s)
{
	return r->mc_on && self_on(s) && s->m.mcast_on &&
		s->m.codec == r->mc_codec && s->grp == &r->main &&
		!s->custom && !s->m.listen_to && !s->m.deaf &&
		!s->m.hold_music;
}

void self_relink(struct mroom *r)
{
	unsigned mask = 0;

	r->mc_live = false;
	for (unsigned i = 0; i < r->n; i++) {
		r->s[i]->mc_take = group_takes(r, r->s[i]);
		r->mc_live |= r->s[i]->mc_take;
		if (self_on(r->s[i]))
			mask |= 1u << media_codec_index(r->s[i]->m.codec);
	}
	for (unsigned i = 0; i < r->n; i++)
		fwd_prepare(r->s[i], mask, r->hz);
}

/* o's frame of this tick in codec c, encoded once for every listener
 * (NULL: nothing to send: no encoder, a failed encoding, DTX) */
static const uint8_t *fwd_payload(const struct mroom *r, struct mstream *o,
				  enum media_codec c, unsigned i)
{
	struct mfwd *f = o->fwd;

	if (!f || !(f->mask & (1u << i)))
		return NULL;
	if (f->enc_tick[i] == o->fwd_ticks)
		return f->len[i] ? f->out[i] : NULL;
	if (f->pcm_tick != o->fwd_ticks) {
		mix_render(f->pcm, o->contrib, NULL, MIX_UNITY_Q16, r->frame);
		f->pcm_tick = o->fwd_ticks;
	}
	f->enc_tick[i] = o->fwd_ticks;
	f->len[i] = media_coder_encode(f->enc[i], c, f->out[i],
				       sizeof(f->out[i]), f->pcm, r->frame);
	/* Opus DTX (2 bytes or less): not sent, and the next packet
	 * starts a talkspurt */
	if (f->len[i] > MEDIA_MAX_PAYLOAD ||
	    (c == MEDIA_OPUS && f->len[i] <= 2))
		f->len[i] = 0;
	if (!f->len[i])
		return NULL;
	f->seq[i] = o->fwd_seq[i]++;
	f->marker[i] = f->sent_tick[i] + 1 != o->fwd_ticks;
	f->sent_tick[i] = o->fwd_ticks;
	return f->out[i];
}

/* o's packet of this tick in codec c into pkt (0: nothing to send) */
static size_t fwd_packet(const struct mroom *r, const struct mstream *src,
			 enum media_codec c, uint8_t pt, uint8_t level_id,
			 uint8_t *pkt)
{
	/* (the encodings are o's, made here for whoever asks first) */
	struct mstream *o = (struct mstream *)src;
	unsigned i = media_codec_index(c);
	const uint8_t *pl = fwd_payload(r, o, c, i);
	uint32_t ts;
	size_t n;

	if (!pl)
		return 0;
	ts = o->fwd_ts0 + o->fwd_ticks * (media_rtp_clock(c) /
					  JB_TICKS_PER_S);
	n = rtp_write_hdr_level(pkt, o->fwd->marker[i], pt, o->fwd->seq[i],
				ts, o->fwd_ssrc, level_id, o->talk.level,
				o->talk.talking);
	memcpy(pkt + n, pl, o->fwd->len[i]);
	return n + o->fwd->len[i];
}

/* One packet of o's stream to s */
static void fwd_one(const struct mroom *r, struct mstream *s,
		    const struct mstream *src)
{
	uint8_t own[RTP_HDR_MAX + MEDIA_MAX_PAYLOAD];
	uint8_t *pkt = s->mux ? mux_slot(s->mux) : own;
	size_t n = fwd_packet(r, src, s->m.codec, s->m.tx_pt,
			      s->m.self_level_id, pkt);

	if (!n)
		return;
	if (s->mux)
		mux_commit(s->mux, s, n, MUX_PAYLOAD_FWD);
	else if (sendto(s->rtp_fd, pkt, n, MSG_DONTWAIT,
			(struct sockaddr *)&s->m.rtp_dst,
			s->m.rtp_dst_len) > 0)
		mstream_fwd_sent(s, n);
}

void mstream_fwd_sent(struct mstream *s, size_t bytes)
{
	s->st.tx_packets++;
	s->st.tx_bytes += bytes;
}

void self_send(const struct mroom *r, struct mstream *s)
{
	const struct mgroup *g = s->grp;

	/* the group carries the rest */
	for (unsigned i = 0; !s->mc_take && i < g->nspk; i++)
		if (g->spk[i] != s && mstream_heard_q16(s, g->spk[i]))
			fwd_one(r, s, g->spk[i]);
	for (unsigned i = 0; !s->mc_take && i < g->napp; i++)
		if (g->app[i] != s)
			fwd_one(r, s, g->app[i]);
	for (unsigned i = 0; i < r->npriv; i++)
		if (r->priv[i]->priv_to == s->id)
			fwd_one(r, s, r->priv[i]);
}

void self_group_set(struct mroom *r, int fd, const struct mixer_mcast *mc)
{
	if (r->mc_on)
		close(r->mc_fd);
	r->mc_on = fd >= 0 && mc && mc->group_len &&
		mc->group_len <= sizeof(r->mc_dst);
	r->mc_fd = r->mc_on ? fd : -1;
	if (!r->mc_on) {
		if (fd >= 0)
			close(fd);
		r->mc_live = false;
		return;
	}
	memcpy(&r->mc_dst, &mc->group, mc->group_len);
	r->mc_dst_len = mc->group_len;
	r->mc_codec = mc->codec;
}

void self_group_send(struct mroom *r)
{
	const struct mgroup *g = &r->main;
	uint8_t pkt[RTP_HDR_MAX + MEDIA_MAX_PAYLOAD];
	/* the codec's static payload type (Opus: ours, 111) */
	uint8_t pt = (uint8_t)r->mc_codec;

	if (!r->mc_live)
		return;
	for (unsigned i = 0; i < g->nspk + g->napp; i++) {
		const struct mstream *o = i < g->nspk ? g->spk[i] :
			g->app[i - g->nspk];
		size_t n = fwd_packet(r, o, r->mc_codec, pt, 0, pkt);

		if (n && sendto(r->mc_fd, pkt, n, MSG_DONTWAIT,
				(struct sockaddr *)&r->mc_dst,
				r->mc_dst_len) > 0)
			r->mc_packets++;
	}
}
