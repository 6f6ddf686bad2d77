/*
 * What a call's negotiation settled, in two forms: the mixer's stream
 * settings (with the participant's and the media policy's: mute, deaf,
 * gains, K, SRTP keys) and the participant's media for the roster, the
 * API and subscribers. Signalling thread.
 */
#include <string.h>
#include "mixer/mixer.h"
#include "sip/call_int.h"
#include "sip/dtls.h"

/* SRTP keys for the mixer: SDES from the negotiation, DTLS-SRTP from the
 * handshakes (until the RTP one is done the stream waits: nothing sent
 * or taken) */
static void srtp_fill(struct mixer_srtp *k, const struct call *call)
{
	const struct sdpneg_result *r = &call->neg;

	memset(k, 0, sizeof(*k));
	if (r->removed || r->sec == SDPSEC_PLAIN)
		return;
	k->on = true;
	if (r->sec == SDPSEC_DTLS) {
		k->dtls = true;
		dtls_call_keys(call->dtls, k);
		return;
	}
	k->rtp.set = true;
	k->rtp.suite = (int)r->suite;
	k->rtp.len = (uint8_t)r->key_len;
	memcpy(k->rtp.rx, r->rx_key, r->key_len);
	memcpy(k->rtp.tx, r->tx_key, r->key_len);
}

void sdpneg_mixer_media(struct mixer_media *m,
			const struct sdpneg_result *r)
{
	memset(m, 0, sizeof(*m));
	memcpy(&m->rtp_dst, &r->rtp.u, r->rtp.len);
	m->rtp_dst_len = sa_isset(&r->rtp, SA_ALL) ? r->rtp.len : 0;
	memcpy(&m->rtcp_dst, &r->rtcp.u, r->rtcp.len);
	m->rtcp_dst_len = sa_isset(&r->rtcp, SA_ALL) ? r->rtcp.len : 0;
	m->codec = r->codec;
	m->tx_pt = r->pt;
	m->telev_pt = (int16_t)r->telev_pt;
	m->send = r->send;
	/* A participant who put the conference on hold (we may not send to
	 * them) is not mixed either: many phones play music on hold into a
	 * held call, and nobody in the room should hear it. */
	m->recv = r->recv && r->send;
	m->level_id = r->level_id;
	m->csrc_level_id = r->csrc_level_id;
	m->opus = r->opus;
}

void call_media_fill(struct mixer_media *m, const struct call *call)
{
	const struct part_settings *s = part_settings(call->part);

	sdpneg_mixer_media(m, &call->neg);
	/* a listener's audio is never mixed, whatever its settings say */
	m->muted = s->muted || !strcmp(part_role(call->part), "listener");
	m->deaf = s->deaf;
	m->hold_music = part_privacy(call->part)->pending;
	/* keying a PIN: it hears only what is said to it (the lobby's
	 * prompts), and nobody hears it */
	if (part_privacy(call->part)->lobby) {
		m->muted = m->deaf = true;
		m->hold_music = false;
	}
	call_mix_fill(m, call->part);
	m->room_speakers = (uint8_t)conf_max_speakers(part_conf(call->part));
	m->room_hz = conf_mix_rate(part_conf(call->part));
	m->gain_in_db = s->gain_in_db;
	m->gain_out_db = s->gain_out_db;
	m->tx_ssrc = call->tx_ssrc;
	srtp_fill(&m->srtp, call);
}

/* The media security of the call, for the API and the console */
static void encryption_print(char *buf, size_t sz, const struct call *call)
{
	struct mixer_srtp k;

	switch (call->neg.sec) {
	case SDPSEC_PLAIN:
		re_snprintf(buf, sz, "none");
		break;
	case SDPSEC_SDES:
		re_snprintf(buf, sz, "SDES %s",
			    srtp_suite_name(call->neg.suite));
		break;
	case SDPSEC_DTLS:
		memset(&k, 0, sizeof(k));
		dtls_call_keys(call->dtls, &k);
		if (k.rtp.set)
			re_snprintf(buf, sz, "DTLS-SRTP %s", srtp_suite_name(
					    (enum srtp_suite)k.rtp.suite));
		else
			re_snprintf(buf, sz, "DTLS-SRTP (handshake)");
		break;
	}
}

/* What the negotiation settled, told to the participant's owner in one
 * change (a codec or direction of its own is news for subscribers) */
void call_media_report(const struct call *call)
{
	struct part_media pm = {.tx_ssrc = call->tx_ssrc};

	if (call->neg.removed) {          /* no stream: no media to show */
		re_snprintf(pm.direction, sizeof(pm.direction), "inactive");
	}
	else {
		re_snprintf(pm.codec, sizeof(pm.codec), "%s",
			    media_codec_name(call->neg.codec));
		re_snprintf(pm.remote, sizeof(pm.remote), "%J",
			    &call->neg.rtp);
		pm.local_port = call->lport;
		re_snprintf(pm.direction, sizeof(pm.direction), "%s",
			    call->neg.dir);
		encryption_print(pm.encryption, sizeof(pm.encryption), call);
	}
	part_set_media(call->part, &pm);
}
