/*
 * The rate a room mixes at (issue 22). Unless the conference's policy
 * fixes one (mixer_media.room_hz), a room mixes at the highest rate its
 * callers' codecs carry (media_codec_rate), never above the server's
 * mixer_rate (mthread.mix_hz, a ceiling): a room of G.711 callers mixes
 * at 8 kHz, a G.722 caller takes it to 16 kHz and back when it leaves.
 * Decided here, by the mixer thread, because it alone knows each room's
 * streams (a `--role mixer` process has rooms and no policy); at
 * commands only (a stream added, updated, moved or removed), never in a
 * tick.
 * A room without callers (only applications: prompts, recording) sits at
 * 8 kHz: nobody hears it, and applications work at any rate (their
 * frames are resampled to and from MEDIA_L16's 16 kHz).
 * A change must not be heard, neither as a gap nor as a click: each
 * stream keeps its jitter buffer, its concealment and its codec state
 * (G.722's ADPCM; Opus, which runs at the mix rate, starts again), and
 * the resamplers' delays are made up for (struct rerate).
 * Mixer thread.
 */
#include <string.h>
#include "mixer/mixer_stream.h"
#include "util/log.h"

/* The room's policy rate: the one its streams carry (all the same once
 * the conference's update reached them all; the highest until then) */
static unsigned room_policy(const struct mroom *r)
{
	unsigned hz = 0;

	for (unsigned i = 0; i < r->n; i++)
		if (r->s[i]->m.room_hz > hz)
			hz = r->s[i]->m.room_hz;
	return media_rate_valid(hz) ? hz : 0;
}

/* The rate the room's callers need (applications follow, they do not
 * lead); 0 for none */
static unsigned room_callers(const struct mroom *r)
{
	unsigned hz = 0;

	for (unsigned i = 0; i < r->n; i++) {
		const struct mstream *s = r->s[i];

		if (!s->app && media_codec_rate(s->m.codec) > hz)
			hz = media_codec_rate(s->m.codec);
	}
	return hz;
}

static unsigned room_want(const struct mthread *t, const struct mroom *r)
{
	unsigned hz = room_policy(r);
	static const unsigned rates[] = MEDIA_RATES;

	if (hz)
		return hz;
	hz = room_callers(r);
	if (!hz)
		return rates[0];
	/* (a rate between two mix rates, none today, rounds up) */
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] >= hz)
			return rates[i] < t->mix_hz ? rates[i] : t->mix_hz;
	return t->mix_hz;
}

/* A change of rate under way. The room's mix has been made up to a
 * point M; the listeners heard it up to M less their send resampler's
 * delay. The delays change with the rate (a G.711 caller in a 16 kHz
 * mix is resampled both ways, 3 ms each, in an 8 kHz mix not at all),
 * so without care the listener hears a few ms again or loses them: a
 * click on a steady sound. Instead each talker's timeline moves by its
 * receive delay's change plus dout, the change of a G.711 listener's
 * send delay (the listeners that stay through an 8 <-> 16 kHz change):
 * taken ahead from its jitter buffer (lead) or given back from its last
 * frame; each new receive resampler starts full of the audio it would
 * have had, and what it makes meanwhile, summed, is the mix up to
 * M + dout at the new rate, which the new send resamplers start from:
 * their next output follows what was heard. (Delays in samples at
 * MEDIA_DELAY_HZ; applications and Opus talkers, which start again, are
 * left out of that mix.) */
struct rerate {
	unsigned old_hz, hz;
	int dout;
	/* the mix's last frame at hz, up to M + dout: what the talkers'
	 * new resamplers made while they were primed and led */
	int32_t hist[MEDIA_FRAME_MAX];
};

static int g711_delay(unsigned hz)
{
	int err;
	struct media_coder *c = media_coder_new(MEDIA_PCMU, hz, NULL, &err);
	int d = (int)media_coder_delay(c, false);

	media_coder_free(c);
	return d;
}

/* The keypad listener holds two frames back (inband.c): they come
 * before the playout's */
static bool held(const struct mstream *s)
{
	return s->inband && s->inband_fill == 2 && s->nframe == INBAND_FRAME;
}

/* The last frame of s's timeline the mix took (three are kept while
 * the keypad listener is on, playout.c) */
static const int16_t *fed(const struct mstream *s)
{
	bool three = s->inband && 3 * s->nframe <= MEDIA_FRAME_MAX;

	return !three ? s->last : s->last + (held(s) ? 0 : 2 * s->nframe);
}

/* s's mix, if it is one of r's. A stream moving in from another room
 * still points at its old one until room_relink, and that room may be
 * gone already (freed by an earlier move in the same batch of
 * commands): the pointer is compared, never followed. */
static struct mgroup *own_group(struct mroom *r, const struct mstream *s)
{
	for (unsigned g = 0; s->grp && g < MIXER_GROUPS; g++)
		if (r->grp[g] == s->grp)
			return s->grp;
	return NULL;
}

/* n samples of s's timeline taken ahead of its mix (n <= a frame) */
static bool take(struct mstream *s, int16_t *out, unsigned n)
{
	int16_t (*dl)[INBAND_FRAME] = s->inband_dl;
	const size_t f = INBAND_FRAME * sizeof(int16_t);
	int16_t more[MEDIA_FRAME_MAX];

	if (!held(s))
		return mstream_playout_lead(s, out, n);
	if (!mstream_playout_lead(s, more, n))
		return false;
	memcpy(out, dl[0], n * sizeof(*out));
	memmove(dl[0], dl[0] + n, f - n * sizeof(*out));
	memcpy(dl[0] + INBAND_FRAME - n, dl[1], n * sizeof(*out));
	memmove(dl[1], dl[1] + n, f - n * sizeof(*out));
	memcpy(dl[1] + INBAND_FRAME - n, more, n * sizeof(*out));
	return true;
}

/* n samples (the end of fed(s)) given back, to be mixed again */
static void give_back(struct mstream *s, unsigned n)
{
	int16_t (*dl)[INBAND_FRAME] = s->inband_dl;
	const size_t k = INBAND_FRAME - n;

	if (!held(s)) {
		mstream_playout_unget(s, fed(s) + s->nframe - n, n);
		return;
	}
	mstream_playout_unget(s, dl[1] + k, n);
	memmove(dl[1] + n, dl[1], k * sizeof(int16_t));
	memcpy(dl[1], dl[0] + k, n * sizeof(int16_t));
	memmove(dl[0] + n, dl[0], k * sizeof(int16_t));
	memcpy(dl[0], fed(s) + k, n * sizeof(int16_t));
}

/* The talker's timeline moved by n native samples (< 0: back), its new
 * receive resampler primed, what it adds to the mix's lead summed */
static void talker_move(struct mstream *s, int n, struct rerate *rc)
{
	int16_t lead[MEDIA_FRAME_MAX], out[2 * MEDIA_FRAME_MAX];
	unsigned back = n < 0 ? (unsigned)-n : 0, nh = rc->hz /
		JB_TICKS_PER_S;
	size_t got;

	if (back > s->nframe)
		back = s->nframe;
	if (back)
		give_back(s, back);
	got = media_coder_rx_feed(s->coder, fed(s), s->nframe - back, out,
				  MEDIA_FRAME_MAX);
	if (n > 0 && (unsigned)n <= s->nframe && take(s, lead, (unsigned)n))
		got += media_coder_rx_feed(s->coder, lead, (unsigned)n,
					   out + got, MEDIA_FRAME_MAX);
	if (!s->m.recv || s->m.muted)
		return;
	/* (its first outputs, before its filter was full, are older than
	 * a frame) */
	for (unsigned i = 0; i < nh && i < got; i++)
		rc->hist[nh - 1 - i] += (int32_t)(((int64_t)
			out[got - 1 - i] * s->gain_in_q16) >> 16);
}

/* A stream's coder and playout at the room's new rate; out of memory:
 * no coder, its codec's frames are not sent (as at an add) */
static void stream_move(struct mstream *s, struct rerate *rc)
{
	int old_in = (int)media_coder_delay(s->coder, true), shift;
	unsigned native = s->native_hz;
	/* it was mixed last tick: its audio goes on */
	bool live = s->up_live && !s->app;

	if (media_coder_rerate(&s->coder, s->m.codec, rc->hz, &s->m.opus)) {
		media_coder_free(s->coder);
		s->coder = NULL;
	}
	mstream_playout_rate(s, rc->hz);
	if (!live || s->native_hz != native)     /* (Opus starts again) */
		return;
	shift = rc->dout + (int)media_coder_delay(s->coder, true) - old_in;
	talker_move(s, shift * (int)s->native_hz / MEDIA_DELAY_HZ, rc);
}

static void group_rerate(struct mgroup *g, unsigned hz)
{
	static const enum media_codec codecs[MEDIA_NCODECS] = {
		MEDIA_PCMU, MEDIA_PCMA, MEDIA_G722, MEDIA_OPUS, MEDIA_L16};

	for (unsigned i = 0; i < MEDIA_NCODECS; i++) {
		if (g->shared[i] && media_coder_rerate(&g->shared[i],
						       codecs[i], hz, NULL)) {
			media_coder_free(g->shared[i]);
			g->shared[i] = NULL;  /* room_relink tries again */
		}
	}
}

static void room_move(struct mroom *r, struct rerate *rc)
{
	int16_t h[MEDIA_FRAME_MAX];

	rc->dout = g711_delay(rc->hz) - g711_delay(rc->old_hz);
	memset(rc->hist, 0, sizeof(rc->hist));
	for (unsigned g = 0; g < MIXER_GROUPS; g++)
		if (r->grp[g])
			group_rerate(r->grp[g], rc->hz);
	for (unsigned i = 0; i < r->n; i++)
		if (r->s[i]->nframe)    /* (just added: coders_for follows) */
			stream_move(r->s[i], rc);
	for (unsigned i = 0; i < r->n; i++) {
		/* a shared coder the new rate needs (G.711's, leaving
		 * 8 kHz) is made now, to be primed (room_relink would make
		 * it, empty) */
		struct mgroup *g = own_group(r, r->s[i]);
		enum media_codec c = r->s[i]->m.codec;
		int err;

		if (g && c != MEDIA_L16 && !g->shared[media_codec_index(c)])
			g->shared[media_codec_index(c)] =
				media_coder_new(c, rc->hz, NULL, &err);
	}
	for (unsigned i = 0; i < r->frame; i++)
		h[i] = (int16_t)(rc->hist[i] > 32767 ? 32767 :
				 rc->hist[i] < -32768 ? -32768 : rc->hist[i]);
	for (unsigned g = 0; g < MIXER_GROUPS; g++)
		for (unsigned c = 0; r->grp[g] && c < MEDIA_NCODECS; c++)
			media_coder_tx_prime(r->grp[g]->shared[c], h, r->frame);
	for (unsigned i = 0; i < r->n; i++)
		if (r->s[i]->nframe)
			media_coder_tx_prime(r->s[i]->coder, h, r->frame);
}

void mroom_follow(struct mthread *t, struct mroom *r, const char *why)
{
	struct rerate rc = {.old_hz = r->hz, .hz = room_want(t, r)};

	for (unsigned i = 0; i < r->n; i++)
		r->s[i]->st.mix_hz = rc.hz;
	if (rc.hz == rc.old_hz)
		return;
	r->hz = rc.hz;
	r->frame = rc.hz / JB_TICKS_PER_S;
	room_move(r, &rc);
	r->relink = true;
	log_info("mixer", "msg=\"mix rate\" conf=%u hz=%u from=%u why=%s",
		 r->key, rc.hz, rc.old_hz, why);
}
