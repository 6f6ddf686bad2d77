/*
 * PATCH /v1/conferences/{id}: the media of the conference as a whole (the
 * audio and video statuses, through the policy's media part, which may
 * make it a request for a moderator) and its mixing (speakers mixed, mix
 * rate). The video's other settings are .../video's (api_video.c).
 * Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "conf/policy.h"
#include "media/media.h"

static const struct api_field conf_patch_fields[] = {
	{"media", API_ARRAY, false, 0, 8},
	{"max_speakers", API_NUMBER, false, 0, CONF_MAX_SPEAKERS},
	{"mix_rate", API_NUMBER, false, 0, 48000},
};

/* What a media list asks for: a status for audio and one for video,
 * "none" for a type it does not list (the list names the conference's
 * media as a whole, RFC 4575 available-media); false with a sentence in
 * detail */
struct media_ask {
	const char *audio, *video;
};

static bool status_known(const char *s)
{
	return !strcmp(s, "sendrecv") || !strcmp(s, "recvonly") ||
		!strcmp(s, "sendonly") || !strcmp(s, "inactive");
}

static bool media_from_list(const struct odict_entry *list,
			    struct media_ask *m, char *detail, size_t dsz)
{
	m->audio = m->video = "none";
	for (struct le *le = list->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const char *type, *status, **slot;

		if (e->type != ODICT_OBJECT) {
			snprintf(detail, dsz, "each media entry must be an "
				 "object with 'type' and 'status'");
			return false;
		}
		type = odict_string(e->u.odict, "type");
		status = odict_string(e->u.odict, "status");
		if (!type || !status ||
		    odict_count(e->u.odict, false) != 2) {
			snprintf(detail, dsz, "each media entry must be an "
				 "object with 'type' and 'status' (strings) "
				 "and nothing else");
			return false;
		}
		slot = !strcmp(type, "audio") ? &m->audio :
			!strcmp(type, "video") ? &m->video : NULL;
		if (!slot) {
			snprintf(detail, dsz, "media type '%.32s' is not one "
				 "caucus serves (audio, video)", type);
			return false;
		}
		if (strcmp(*slot, "none")) {
			snprintf(detail, dsz, "%s is listed twice", type);
			return false;
		}
		if (!status_known(status)) {
			snprintf(detail, dsz, "media status must be sendrecv, "
				 "recvonly, sendonly or inactive");
			return false;
		}
		*slot = status;
	}
	return true;
}

void api_conf_patch(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	struct media_ask m = {NULL, NULL};
	bool mix, media;
	char detail[160], ask[32] = "";
	double k = -1, hz = -1;
	int err = 0;

	if (!c || api_body(r, conf_patch_fields, 3, &in))
		return;
	media = odict_lookup(in, "media") != NULL;
	if (media) {
		if (!media_from_list(odict_lookup(in, "media"), &m, detail,
				     sizeof(detail))) {
			api_error(r, 400, "Bad Request", "invalid request",
				  detail);
			goto out;
		}
	}
	if (api_json_number(in, "max_speakers", &k) && k != (int)k) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'max_speakers' must be a whole number from 0 "
			  "to 16 (0: the server's setting)");
		goto out;
	}
	if (api_json_number(in, "mix_rate", &hz) &&
	    (hz != (unsigned)hz || (hz && !media_rate_valid((unsigned)hz)))) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'mix_rate' must be 8000, 16000 or 48000 "
			  "(0: the server's setting)");
		goto out;
	}
	if (!media && k < 0 && hz < 0) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "name 'media', 'max_speakers' or 'mix_rate'");
		goto out;
	}
	if (k < 0)
		k = conf_max_speakers(c);
	if (hz < 0)
		hz = conf_mix_rate(c);
	/* a media change of the conference: the policy's media part, both
	 * statuses in one change, so that an approval applies the list as
	 * it was asked for */
	if (media)
		re_snprintf(ask, sizeof(ask), "%s/%s", m.audio, m.video);
	media = media && (strcmp(m.audio, conf_audio(c)) ||
			  strcmp(m.video, conf_video(c)->status));
	if (media && api_change_gate(r, c, 1u << POLICY_PART_MEDIA,
				     API_CHANGE_MEDIA, ask, strlen(ask)))
		goto out;               /* refused, or waits for a moderator */
	mix = (unsigned)k != conf_max_speakers(c) ||
		(unsigned)hz != conf_mix_rate(c);
	if (mix && policy_may_change(conf_policy(c), api_role_in(r, c),
				     1u << POLICY_PART_MEDIA, NULL) !=
	    POLICY_CHANGE_DIRECT) {
		api_error(r, 403, "Forbidden", "forbidden", "your role may "
			  "not change the mixing of this conference "
			  "directly");
		goto out;
	}
	if (media)
		err = api_media_apply(c, ask);
	if (!err && mix)
		err = conf_set_mix(c, (unsigned)k, (unsigned)hz);
	if (err) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "change", "the store failed");
		goto out;
	}
	err = api_conf_json(&out, c, r);
	api_reply_obj(r, 200, "OK", out, err, NULL);
out:
	mem_deref(in);
}

