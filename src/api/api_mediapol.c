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

static void reply_mediapol(struct api_req *r, struct conf *c)
{
	char etag[24], hdr[48];
	struct mbuf *mb = mbuf_alloc(512);

	if (!mb || mbuf_printf(mb, "%H\n", mediapol_print, conf_mediapol(c))) {
		mem_deref(mb);
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	conf_mediapol_etag(c, etag, sizeof(etag));
	re_snprintf(hdr, sizeof(hdr), "ETag: %s\r\n", etag);
	api_count(r, 200);
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: application/json\r\n"
			 "Cache-Control: no-store\r\n"
			 "%s"
			 "Content-Length: %zu\r\n\r\n%b", hdr, mb->end,
			 mb->buf, mb->end);
	mem_deref(mb);
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
	const struct http_hdr *im;
	struct conf *c = api_conf_or_404(r);
	const char *body;
	size_t len;
	char detail[160], etag[24];
	unsigned parts;
	int err;

	if (!c)
		return;
	im = http_msg_hdr(r->msg, HTTP_HDR_IF_MATCH);
	conf_mediapol_etag(c, etag, sizeof(etag));
	if (im && pl_strcmp(&im->val, "*") && pl_strcmp(&im->val, etag)) {
		api_error(r, 412, "Precondition Failed", "the media policy "
			  "changed", "If-Match does not name the current "
			  "ETag; GET it again");
		return;
	}
	body = r->msg->mb ? (const char *)mbuf_buf(r->msg->mb) : "";
	len = r->msg->mb ? mbuf_get_left(r->msg->mb) : 0;
	if (!api_json_strict(body, len)) {
		api_error(r, 400, "Bad Request", "malformed JSON",
			  "the body is not one JSON object");
		return;
	}
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
