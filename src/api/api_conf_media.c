/*
 * PATCH /v1/conferences/{id}: the media of the conference as a whole (the
 * audio status, through the policy's media part, which may make it a
 * request for a moderator) and its mixing (speakers mixed, mix rate).
 * Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "media/media.h"

static const struct api_field conf_patch_fields[] = {
	{"media", API_ARRAY, false, 0, 8},
	{"max_speakers", API_NUMBER, false, 0, CONF_MAX_SPEAKERS},
	{"mix_rate", API_NUMBER, false, 0, 48000},
};

/* The audio status a media list asks for ("none" without audio), or
 * NULL with a sentence in detail */
static const char *media_from_list(const struct odict_entry *list,
				   char *detail, size_t dsz)
{
	const char *audio = "none";
	bool seen = false;

	for (struct le *le = list->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const char *type, *status;

		if (e->type != ODICT_OBJECT) {
			snprintf(detail, dsz, "each media entry must be an "
				 "object with 'type' and 'status'");
			return NULL;
		}
		type = odict_string(e->u.odict, "type");
		status = odict_string(e->u.odict, "status");
		if (!type || !status ||
		    odict_count(e->u.odict, false) != 2) {
			snprintf(detail, dsz, "each media entry must be an "
				 "object with 'type' and 'status' (strings) "
				 "and nothing else");
			return NULL;
		}
		if (strcmp(type, "audio")) {
			snprintf(detail, dsz, "media type '%.32s' is not "
				 "mixed by caucus (audio only)", type);
			return NULL;
		}
		if (seen) {
			snprintf(detail, dsz, "audio is listed twice");
			return NULL;
		}
		if (strcmp(status, "sendrecv") && strcmp(status, "recvonly") &&
		    strcmp(status, "sendonly") && strcmp(status, "inactive")) {
			snprintf(detail, dsz, "media status must be sendrecv, "
				 "recvonly, sendonly or inactive");
			return NULL;
		}
		seen = true;
		audio = status;
	}
	return audio;
}

void api_conf_patch(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	const char *audio = NULL;
	bool mix;
	char detail[160];
	double k = -1, hz = -1;
	int err = 0;

	if (!c || api_body(r, conf_patch_fields, 3, &in))
		return;
	if (odict_lookup(in, "media")) {
		audio = media_from_list(odict_lookup(in, "media"), detail,
					sizeof(detail));
		if (!audio) {
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
	if (!audio && k < 0 && hz < 0) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "name 'media', 'max_speakers' or 'mix_rate'");
		goto out;
	}
	if (k < 0)
		k = conf_max_speakers(c);
	if (hz < 0)
		hz = conf_mix_rate(c);
	/* a media change of the conference: the policy's media part */
	if (audio && strcmp(audio, conf_audio(c)) &&
	    api_change_gate(r, c, 1u << POLICY_PART_MEDIA, API_CHANGE_MEDIA,
			    audio, strlen(audio)))
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
	if (audio)
		err = conf_set_audio(c, audio);
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

