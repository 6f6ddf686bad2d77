/*
 * GET /v1/conferences/{id}/info: the conference's RFC 4575 document, as
 * application/conference-info+xml when the client asks for it, else as
 * its JSON equivalent (the same tree). Until API callers have roles (the
 * policy work), the API's caller is the operator and gets the moderator
 * view; ?view=participant shows what an ordinary participant sees.
 * Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "notify/notify.h"
#include "util/json.h"

enum fmt { FMT_JSON, FMT_XML, FMT_NONE };

/* A small Accept reading: the first of our two types that is listed, a
 * wildcard or no header means JSON, anything else 406. */
static enum fmt accept_fmt(const struct http_msg *msg)
{
	const struct http_hdr *h = http_msg_hdr(msg, HTTP_HDR_ACCEPT);
	char val[256];

	if (!h)
		return FMT_JSON;
	pl_strcpy(&h->val, val, sizeof(val));
	if (strstr(val, NOTIFY_CTYPE))
		return FMT_XML;
	if (strstr(val, "application/json") || strstr(val, "*/*") ||
	    strstr(val, "application/*"))
		return FMT_JSON;
	return FMT_NONE;
}

void api_conf_info(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct notify_view view = {.moderator = true};
	struct odict *doc = NULL;
	struct mbuf *mb = NULL;
	enum fmt fmt = accept_fmt(r->msg);
	int err;

	if (!c)
		return;
	if (fmt == FMT_NONE) {
		api_error(r, 406, "Not Acceptable", "no acceptable type",
			  "ask for " NOTIFY_CTYPE " or application/json");
		return;
	}
	if ((pl_isset(&r->msg->prm) &&
	     !pl_strcmp(&r->msg->prm, "?view=participant")) ||
	    !api_sees_all(r, c))
		view.moderator = false;      /* what the caller may see */
	err = notify_doc_full(&doc, c, conf_version(c), &view);
	mb = mbuf_alloc(2048);
	if (err || !mb ||
	    mbuf_printf(mb, "%H\n", fmt == FMT_XML ? notify_xml_print :
			json_print, doc)) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		goto out;
	}
	api_count(r, 200);
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: %s\r\n"
			 "Cache-Control: no-store\r\n"
			 "Vary: Accept\r\n"
			 "Content-Length: %zu\r\n\r\n%b",
			 fmt == FMT_XML ? NOTIFY_CTYPE : "application/json",
			 mb->end, mb->buf, mb->end);
out:
	mem_deref(mb);
	mem_deref(doc);
}
