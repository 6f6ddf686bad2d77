/*
 * A participant's mixing under the media policy (conf_part_mix: its
 * sidebar, relations, whisper, lecture) in the mixer's terms, for the
 * stream settings call.c sends the mixer. Signalling thread.
 */
#include "mixer/mixer.h"
#include "sip/call_int.h"

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
}

