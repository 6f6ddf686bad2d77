/* The media of a conference as a whole (spec s. 5.4.1: media changes for
 * the whole conference): its audio status, stored in the conference's
 * settings and carried to every participant by re-INVITE through the
 * reconciler. Signalling thread only. */
#include <errno.h>
#include <string.h>
#include "conf/conf_int.h"
#include "store/store.h"
#include "util/log.h"

static const char *const statuses[] = {
	"sendrecv", "recvonly", "sendonly", "inactive", "none",
};

static const char *known(const char *s)
{
	for (size_t i = 0; s && i < sizeof(statuses) / sizeof(statuses[0]);
	     i++)
		if (!strcmp(s, statuses[i]))
			return statuses[i];
	return NULL;
}

void conf_settings_apply(struct conf *c, const char *settings)
{
	struct odict *od = NULL;
	const char *a;

	if (!settings || json_decode_odict(&od, 8, settings, strlen(settings),
					   4))
		return;
	a = known(odict_string(od, "audio"));
	if (a)
		re_snprintf(c->audio, sizeof(c->audio), "%s", a);
	mem_deref(od);
}

const char *conf_audio(const struct conf *c)
{
	return c->audio;
}

int conf_set_audio(struct conf *c, const char *status)
{
	const char *a = known(status);
	char json[40];
	int err;

	if (!a)
		return EINVAL;
	if (!strcmp(c->audio, a))
		return 0;
	if (!c->adhoc) {
		/* stored first: nothing is live that is not stored */
		re_snprintf(json, sizeof(json), "{\"audio\":\"%s\"}", a);
		err = store_conf_set_settings(c->cs->store, c->id, json);
		if (err) {
			log_warn("conf", "msg=\"cannot store media\" conf=%s "
				 "err=%m", c->id, err);
			return EIO;
		}
	}
	re_snprintf(c->audio, sizeof(c->audio), "%s", a);
	log_info("conf", "msg=\"media changed\" conf=%s audio=%s", c->id, a);
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		p->reoffer = true;
	}
	conf_changed(c);
	conf_reconcile(c);
	return 0;
}
