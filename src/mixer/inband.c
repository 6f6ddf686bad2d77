/*
 * Keypad tones, on a mixer thread: whichever way a digit comes, nobody in
 * the room hears it.
 *   - RFC 4733 events: while a caller's events arrive (and for 100 ms
 *     after the last), its audio is not mixed, so a phone that also
 *     plays the tone into its audio is not heard doing so.
 *   - In-band tones from a G.711 caller that offered no telephone-event:
 *     spandsp's DTMF receiver listens to its decoded audio, and the
 *     digits it finds are reported like RFC 4733 ones. So that a tone
 *     can be cut before anyone hears its start, such a caller's audio
 *     reaches the mix two frames (40 ms) late: when the receiver
 *     suspects a tone, the frames in that delay and the frame after the
 *     tone are dropped.
 * The receiver is made at a command (never in a tick) and only for the
 * callers that need it.
 */
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
#include "mixer/mixer_stream.h"

#define TELEV_QUIET_MS 100       /* audio dropped after the last event */
#define DROP_AFTER 3             /* frames dropped from the last hint */

bool inband_wanted(const struct mstream *s)
{
	return !s->app && s->m.telev_pt < 0 &&
		(s->m.codec == MEDIA_PCMU || s->m.codec == MEDIA_PCMA);
}

static void digits_h(void *arg, const char *digits, int len)
{
	struct mstream *s = arg;

	for (int i = 0; i < len; i++) {
		if (s->inband_n < sizeof(s->inband_digits))
			s->inband_digits[s->inband_n++] = digits[i];
	}
}

void inband_setup(struct mstream *s)
{
	if (!inband_wanted(s)) {
		inband_free(s);
		return;
	}
	if (s->inband)
		return;
	s->inband = dtmf_rx_init(NULL, digits_h, s);
	s->inband_fill = 0;
	s->inband_drop = 0;
}

void inband_free(struct mstream *s)
{
	if (s->inband)
		dtmf_rx_free(s->inband);
	s->inband = NULL;
}

void inband_telev(struct mstream *s, uint32_t now_ms)
{
	s->telev_until_ms = now_ms + TELEV_QUIET_MS;
	s->telev_on = true;
}

bool inband_telev_quiet(struct mstream *s, uint32_t now_ms)
{
	if (!s->telev_on)
		return false;
	if ((int32_t)(now_ms - s->telev_until_ms) < 0)
		return true;
	s->telev_on = false;
	return false;
}

bool inband_frame(struct mthread *t, struct mstream *s, int16_t *pcm,
		  bool got, bool *sig)
{
	int16_t cur[INBAND_FRAME];
	bool cur_got = got && !s->quiet && s->nframe == INBAND_FRAME;
	bool out_got;
	int st;

	/* what the receiver hears: the frame, or silence */
	if (cur_got)
		memcpy(cur, pcm, sizeof(cur));
	else
		memset(cur, 0, sizeof(cur));
	s->inband_n = 0;
	(void)dtmf_rx(s->inband, cur, INBAND_FRAME);
	for (unsigned i = 0; i < s->inband_n; i++) {
		struct mixer_event ev = {.type = MIXER_EV_DTMF,
					 .stream_id = s->id,
					 .digit = s->inband_digits[i]};

		mthread_push_event(t, &ev, sig);
	}
	st = dtmf_rx_status(s->inband);
	if (st)             /* a tone, or maybe one: drop what holds it */
		s->inband_drop = DROP_AFTER;
	/* two frames late: the oldest goes out, this one goes in */
	out_got = s->inband_fill == 2 && s->inband_got[0];
	if (out_got)
		memcpy(pcm, s->inband_dl[0], sizeof(cur));
	memcpy(s->inband_dl[0], s->inband_dl[1], sizeof(cur));
	s->inband_got[0] = s->inband_got[1];
	memcpy(s->inband_dl[1], cur, sizeof(cur));
	s->inband_got[1] = cur_got;
	if (s->inband_fill < 2)
		s->inband_fill++;
	if (s->inband_drop) {
		s->inband_drop--;
		out_got = false;
	}
	/* (a quiet frame was not decoded: it is silence now) */
	s->quiet = false;
	return out_got;
}
