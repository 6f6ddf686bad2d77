/*
 * A participant's mixing under the media policy (conf_part_mix: its
 * sidebar, relations, whisper, lecture) in the mixer's terms, for the
 * stream settings call.c sends the mixer; and who mixes for it
 * (distributed mixing, spec s. 6.4): what its latest negotiation said is
 * reported to its owner here, since these settings follow every
 * negotiation (call_media_apply) and every policy change (the
 * reconciler), and its SDP is told what the policy allows for the next
 * offer or answer; and the conference's multicast group, if it has one,
 * to the SDP (told to a self-mixing endpoint) and to the mixer (the room's
 * group, and whether this listener takes it). Signalling thread.
 */
#include <string.h>
#include "conf/conf.h"
#include "conf/policy.h"
#include "mixer/mixer.h"
#include "sip/call_int.h"

/* What the policy allows p's endpoint, told to the call's SDP for the
 * next offer or answer (call_mix_fill does it after every negotiation
 * and policy change; a first answer or offer needs it before: call_in.c's
 * describe() and a dial-out's call_alloc, once they call it) */
/* The conference's group: where, and in what (false: none; a split
 * focus has none: its mixer is another process's, which sends none) */
static bool mcast_of(const struct call *call, struct sa *group,
		     enum media_codec *codec)
{
	static const enum media_codec codecs[] = {MEDIA_PCMU, MEDIA_PCMA,
						  MEDIA_G722, MEDIA_OPUS};
	const struct policy *pol = conf_policy(part_conf(call->part));

	if (call->msc || !policy_mcast_group(pol, group))
		return false;
	*codec = MEDIA_PCMU;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (!strcmp(media_codec_name(codecs[i]), pol->mcast.codec))
			*codec = codecs[i];
	return true;
}

void call_mix_sdp(struct call *call)
{
	const struct participant *p = call->part;
	enum media_codec codec = MEDIA_PCMU;
	struct sa group;
	bool mc;

	if (!p)
		return;
	sdpneg_set_mixing(call->sdp, policy_self_mixing(
				  conf_policy(part_conf(p)), part_uri(p)));
	/* a caller waiting for a moderator or keying a PIN must not learn
	 * where the conference can be heard: it gets unicast (only what it
	 * may hear) until a negotiation after it was let in */
	mc = !part_privacy(p)->pending && !part_privacy(p)->lobby &&
		mcast_of(call, &group, &codec);
	sdpneg_set_multicast(call->sdp, mc ? &group : NULL, codec);
}

/* The room's group for the mixer (every stream of the room carries the
 * same), and whether p's endpoint takes it: it mixes for itself and its
 * latest negotiation named this very group in its codec (a group set or
 * changed since reaches it at its next negotiation; until then it gets
 * its streams by unicast) */
static void mcast_fill(struct mixer_media *m, const struct call *call)
{
	const struct sdpneg_result *r = &call->neg;
	struct mixer_mcast *mc = &m->mcast;
	enum media_codec codec;
	struct sa group;

	m->fwd_ssrc = sdpneg_voice_ssrc(call->sdp);
	if (!mcast_of(call, &group, &codec))
		return;
	memcpy(&mc->group, &group.u, group.len);
	mc->group_len = group.len;
	memcpy(&mc->local, &call->f->rtp_laddr.u, call->f->rtp_laddr.len);
	mc->local_len = call->f->rtp_laddr.len;
	mc->ttl = conf_policy(part_conf(call->part))->mcast.ttl;
	mc->codec = codec;
	m->mcast_on = m->self_mix && r->mcast && r->codec == codec &&
		sa_cmp(&r->mcast_group, &group, SA_ALL);
}

/* Self mixing: the endpoint's word (its latest negotiation; over SRTP
 * never taken, sdpneg.c says why) to its owner, who resolves the mode
 * with the policy (each talker's RFC 6464 level needs a negotiation that
 * took self mixing: the extension is answered then) */
static void mixing_fill(struct mixer_media *m, const struct participant *p)
{
	struct call *call = part_ep(p);
	const struct sdpneg_result *r;

	if (!call || call->part != p)
		return;
	r = &call->neg;
	call_mix_sdp(call);
	part_set_mixing(call->part, call->negotiated && !r->removed &&
			r->mixes_self && r->sec == SDPSEC_PLAIN);
	m->self_mix = part_mixing(p) == PART_MIXING_SELF;
	m->self_level_id = m->self_mix ? r->self_level_id : 0;
	mcast_fill(m, call);
	part_set_multicast(call->part, m->mcast_on);
}

void call_mix_fill(struct mixer_media *m, const struct participant *p)
{
	struct part_mix x;

	conf_part_mix(p, &x);
	if (x.silenced)
		m->muted = true;
	if (x.listen_none)
		m->deaf = true;
	m->group = (uint16_t)x.group;
	m->bg = x.bg;
	m->bg_gain_db = (float)x.bg_db;
	m->cls = (uint8_t)x.cls;
	m->by_class = x.by_class;
	for (unsigned i = 0; i < MIXER_CLASSES && i < PART_MIX_CLASSES; i++)
		m->cls_gain_db[i] = (float)x.cls_db[i];
	for (unsigned i = 0; i < x.nrel && i < MIXER_REL_MAX; i++) {
		m->rel[i].stream = x.rel[i].stream;
		m->rel[i].gain_db = (float)x.rel[i].gain_db;
		m->nrel = (uint8_t)(i + 1);
	}
	m->whisper_to = x.whisper_to;
	m->listen_to = x.listen_to;
	mixing_fill(m, p);
}
