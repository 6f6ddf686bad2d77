/* The media of a conference as a whole (spec s. 5.4.1: media changes for
 * the whole conference): its audio status, stored in the conference's
 * settings and carried to every participant by re-INVITE through the
 * reconciler. Signalling thread only. */
#include <errno.h>
#include <string.h>
#include "conf/conf_int.h"
#include "media/media.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"

static const char *const statuses[] = {
	"sendrecv", "recvonly", "sendonly", "inactive", "none",
};

const char *conf_media_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof(statuses) / sizeof(statuses[0]);
	     i++)
		if (!strcmp(s, statuses[i]))
			return statuses[i];
	return NULL;
}

int conf_settings_apply(struct conf *c, const char *settings)
{
	struct odict *od = NULL;
	const struct odict_entry *pe;
	const char *a;
	int err;

	if (!settings)
		return 0;
	err = json_decode_odict(&od, 8, settings, strlen(settings), 8);
	if (err) {
		if (err == ENOMEM)
			return err;
		log_warn("conf", "msg=\"stored settings unreadable, defaults "
			 "kept\" conf=%s err=%m", c->id, err);
		return 0;
	}
	a = conf_media_status(odict_string(od, "audio"));
	if (a)
		re_snprintf(c->audio, sizeof(c->audio), "%s", a);
	a = odict_string(od, "created_by");
	if (a && a[0] && !c->created_by && str_dup(&c->created_by, a)) {
		mem_deref(od);
		return ENOMEM;
	}
	pe = odict_lookup(od, "max_speakers");
	if (pe && pe->type == ODICT_INT && pe->u.integer >= 0 &&
	    pe->u.integer <= CONF_MAX_SPEAKERS)
		c->max_speakers = (uint8_t)pe->u.integer;
	pe = odict_lookup(od, "mix_rate");
	if (pe && pe->type == ODICT_INT &&
	    media_rate_valid((unsigned)pe->u.integer))
		c->mix_rate = (uint32_t)pe->u.integer;
	pe = odict_lookup(od, "policy");
	if (pe && pe->type == ODICT_OBJECT) {
		char *json = NULL, detail[160] = "";

		/* a stored policy must not give way to the open default for
		 * want of memory */
		err = re_sdprintf(&json, "%H", json_print, pe->u.odict);
		err = err ? err : policy_parse(c->policy, NULL, json,
					       strlen(json), detail,
					       sizeof(detail));
		if (err && err != ENOMEM) {
			log_warn("conf", "msg=\"stored policy ignored\" "
				 "conf=%s why=\"%s\"", c->id, detail);
			err = 0;
		}
		mem_deref(json);
	}
	pe = err ? NULL : odict_lookup(od, "media_policy");
	if (pe && pe->type == ODICT_OBJECT) {
		char *json = NULL, detail[160] = "";

		err = re_sdprintf(&json, "%H", json_print, pe->u.odict);
		err = err ? err : mediapol_parse(c->mediapol, NULL, json,
						 strlen(json), detail,
						 sizeof(detail));
		if (err && err != ENOMEM) {
			log_warn("conf", "msg=\"stored media policy ignored\" "
				 "conf=%s why=\"%s\"", c->id, detail);
			err = 0;
		}
		mem_deref(json);
	}
	pe = err ? NULL : odict_lookup(od, "sidebars");
	if (pe)
		err = sidebar_settings_apply(c, pe);
	pe = err ? NULL : odict_lookup(od, "floors");
	if (pe)
		err = floor_settings_apply(c, pe);
	pe = err ? NULL : odict_lookup(od, "video");
	if (pe)
		err = conf_video_settings_apply(c, pe);
	mem_deref(od);
	return err;
}

int conf_settings_json(const struct conf *c, char **jsonp)
{
	return re_sdprintf(jsonp, "{\"audio\":\"%s\",\"max_speakers\":%u,"
			   "\"mix_rate\":%u,\"policy\":%H,"
			   "\"media_policy\":%H,\"sidebars\":%H,"
			   "\"floors\":%H,\"video\":%H,\"created_by\":%H}",
			   c->audio, c->max_speakers, c->mix_rate,
			   policy_print, c->policy, mediapol_print,
			   c->mediapol, sidebar_settings_print, c,
			   floor_settings_print, c,
			   conf_video_settings_print, c, json_print_string,
			   c->created_by ? c->created_by : "");
}

int conf_settings_save(struct conf *c)
{
	char *json = NULL;
	int err;

	if (c->adhoc || c->cs->syncing)
		return 0;       /* not stored, or applying what is stored */
	err = conf_settings_json(c, &json);
	err = err ? err : store_conf_set_settings(c->cs->store, c->id, json);
	if (err)
		log_warn("conf", "msg=\"cannot store settings\" conf=%s "
			 "err=%m", c->id, err);
	mem_deref(json);
	return err ? EIO : 0;
}

const char *conf_audio(const struct conf *c)
{
	return c->audio;
}

int conf_set_audio(struct conf *c, const char *status)
{
	const char *a = conf_media_status(status);
	char old[sizeof(c->audio)];

	if (!a)
		return EINVAL;
	if (!strcmp(c->audio, a))
		return 0;
	/* stored first: nothing is live that is not stored */
	re_snprintf(old, sizeof(old), "%s", c->audio);
	re_snprintf(c->audio, sizeof(c->audio), "%s", a);
	if (conf_settings_save(c)) {
		re_snprintf(c->audio, sizeof(c->audio), "%s", old);
		return EIO;
	}
	log_info("conf", "msg=\"media changed\" conf=%s audio=%s", c->id, a);
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		p->reoffer = true;
	}
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

int conf_set_media(struct conf *c, const char *audio, const char *video)
{
	const char *a = conf_media_status(audio);
	const char *v = conf_media_status(video);
	char old_a[sizeof(c->audio)], old_v[sizeof(c->video.status)];

	if (!a || !v)
		return EINVAL;
	if (!strcmp(c->audio, a) && !strcmp(c->video.status, v))
		return 0;
	re_snprintf(old_a, sizeof(old_a), "%s", c->audio);
	re_snprintf(old_v, sizeof(old_v), "%s", c->video.status);
	re_snprintf(c->audio, sizeof(c->audio), "%s", a);
	re_snprintf(c->video.status, sizeof(c->video.status), "%s", v);
	if (conf_settings_save(c)) {             /* stored first */
		re_snprintf(c->audio, sizeof(c->audio), "%s", old_a);
		re_snprintf(c->video.status, sizeof(c->video.status), "%s",
			    old_v);
		return EIO;
	}
	log_info("conf", "msg=\"media changed\" conf=%s audio=%s video=%s",
		 c->id, a, v);
	/* one re-INVITE each, with both */
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		p->reoffer = true;
	}
	c->vid_dirty = true;
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

unsigned conf_max_speakers(const struct conf *c)
{
	return c->max_speakers;
}

unsigned conf_mix_rate(const struct conf *c)
{
	return c->mix_rate;
}

unsigned conf_mix_hz_now(const struct conf *c)
{
	unsigned hz = 0;

	/* (one room: its reports all say the same, but for a report
	 * crossing a change) */
	for (struct le *le = list_head(&c->parts); le; le = le->next) {
		const struct participant *p = le->data;

		if (p->stats.mix_hz > hz)
			hz = p->stats.mix_hz;
	}
	return hz;
}

int conf_set_mix(struct conf *c, unsigned max_speakers, unsigned rate_hz)
{
	uint8_t old_k = c->max_speakers;
	uint32_t old_hz = c->mix_rate;

	if (max_speakers > CONF_MAX_SPEAKERS ||
	    (rate_hz && !media_rate_valid(rate_hz)))
		return EINVAL;
	if (max_speakers == old_k && rate_hz == old_hz)
		return 0;
	c->max_speakers = (uint8_t)max_speakers;
	c->mix_rate = rate_hz;
	if (conf_settings_save(c)) {             /* stored first */
		c->max_speakers = old_k;
		c->mix_rate = old_hz;
		return EIO;
	}
	log_info("conf", "msg=\"mixing changed\" conf=%s max_speakers=%u "
		 "mix_rate=%u", c->id, max_speakers, rate_hz);
	/* every stream carries them to the mixer's room */
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		p->settings_dirty = true;
	}
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}

int conf_set_recording(struct conf *c, const char *uri)
{
	char *old = c->recording;

	if ((!uri && !old) || (uri && old && !strcmp(uri, old)))
		return 0;
	c->recording = NULL;
	if (uri && str_dup(&c->recording, uri)) {
		c->recording = old;
		return ENOMEM;
	}
	mem_deref(old);
	conf_changed(c);
	return 0;
}

const char *conf_recording(const struct conf *c)
{
	return c->recording;
}

void conf_set_lobby_only(struct conf *c, bool on)
{
	c->lobby_only = on;
	/* its callers move on to their conference: no video streams to
	 * carry over (conf_video.h) */
	if (on)
		re_snprintf(c->video.status, sizeof(c->video.status), "none");
}

bool conf_lobby_only(const struct conf *c)
{
	return c->lobby_only;
}
