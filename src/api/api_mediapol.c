/* A conference's media policy over HTTP (conf/mediapol.h: who hears whom,
 * lecture mode, the sidebars' background), shaped like the conference
 * policy (api_policy.c): GET with an ETag; PUT replaces it, PATCH changes
 * the members it names; both take If-Match (412 when it changed
 * meanwhile) and refuse a bad document with 400 naming the member,
 * nothing applied. A change is a change of the policy's media part: the
 * caller's role makes it, asks for it (202, api_change.c) or neither
 * (403). Signalling thread. */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/mediapol.h"
#include "conf/policy.h"

static int print_mediapol(struct re_printf *pf, void *mp)
{
	return mediapol_print(pf, mp);
}

static void reply_mediapol(struct api_req *r, struct conf *c)
{
	char etag[24];

	conf_mediapol_etag(c, etag, sizeof(etag));
	api_reply_doc(r, print_mediapol, conf_mediapol(c), etag);
}

void api_mediapol_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);

	if (c)
		reply_mediapol(r, c);
}

static void mediapol_write(struct api_req *r, bool patch)
{
	static struct mediapol mp;        /* large; signalling thread only */
	struct conf *c = api_conf_or_404(r);
	const char *body;
	size_t len;
	char detail[160], etag[24];
	unsigned parts;
	int err;

	if (!c)
		return;
	conf_mediapol_etag(c, etag, sizeof(etag));
	if (!api_doc_body(r, etag, "media policy", &body, &len))
		return;
	err = mediapol_parse(&mp, patch ? conf_mediapol(c) : NULL, body, len,
			     detail, sizeof(detail));
	if (err == ENOMEM) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  "nothing was changed");
		return;
	}
	if (err) {
		api_error(r, 400, "Bad Request", "invalid media policy",
			  detail);
		return;
	}
	/* the whole document is the policy's media part; the same
	 * document again changes nothing and asks nobody */
	parts = mediapol_equal(conf_mediapol(c), &mp) ? 0 :
		1u << POLICY_PART_MEDIA;
	if (api_change_gate(r, c, parts, patch ? API_CHANGE_MEDIAPOL_PATCH :
			    API_CHANGE_MEDIAPOL_PUT, body, len))
		return;           /* refused, or waits for a moderator */
	err = conf_set_mediapol(c, &mp);
	if (err == ENOMEM) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  "nothing was changed");
		return;
	}
	if (err) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "media policy", "the store failed; nothing was "
			  "changed");
		return;
	}
	reply_mediapol(r, c);
}

void api_mediapol_put(struct api_req *r)
{
	mediapol_write(r, false);
}

void api_mediapol_patch(struct api_req *r)
{
	mediapol_write(r, true);
}
