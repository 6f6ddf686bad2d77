/* A conference's policy over HTTP: GET with an ETag; PUT replaces it,
 * PATCH changes the fields it names; both take If-Match (412 when the
 * policy changed meanwhile) and refuse a bad document with 400 naming the
 * field, nothing applied. Signalling thread. */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"

void api_reply_doc(struct api_req *r, re_printf_h *print, const void *doc,
		   const char *etag)
{
	char hdr[48];
	struct mbuf *mb = mbuf_alloc(1024);

	if (!mb || mbuf_printf(mb, "%H\n", print, doc)) {
		mem_deref(mb);
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
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

bool api_doc_body(struct api_req *r, const char *etag, const char *what,
		  const char **bodyp, size_t *lenp)
{
	const struct http_hdr *im = http_msg_hdr(r->msg, HTTP_HDR_IF_MATCH);
	char why[48];

	if (im && pl_strcmp(&im->val, "*") && pl_strcmp(&im->val, etag)) {
		re_snprintf(why, sizeof(why), "the %s changed", what);
		api_error(r, 412, "Precondition Failed", why,
			  "If-Match does not name the current ETag; GET it "
			  "again");
		return false;
	}
	*bodyp = r->msg->mb ? (const char *)mbuf_buf(r->msg->mb) : "";
	*lenp = r->msg->mb ? mbuf_get_left(r->msg->mb) : 0;
	if (!api_json_strict(*bodyp, *lenp)) {
		api_error(r, 400, "Bad Request", "malformed JSON",
			  "the body is not one JSON object");
		return false;
	}
	return true;
}

static int print_policy(struct re_printf *pf, void *p)
{
	return policy_print(pf, p);
}

static void reply_policy(struct api_req *r, struct conf *c)
{
	char etag[24];

	conf_policy_etag(c, etag, sizeof(etag));
	api_reply_doc(r, print_policy, conf_policy(c), etag);
}

void api_policy_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);

	if (c)
		reply_policy(r, c);
}

static void policy_write(struct api_req *r, bool patch)
{
	static struct policy np;          /* large; signalling thread only */
	struct conf *c = api_conf_or_404(r);
	const char *body;
	size_t len;
	char detail[160], etag[24];
	int err;

	if (!c)
		return;
	conf_policy_etag(c, etag, sizeof(etag));
	if (!api_doc_body(r, etag, "policy", &body, &len))
		return;
	err = policy_parse(&np, patch ? conf_policy(c) : NULL, body, len,
			   detail, sizeof(detail));
	if (err == ENOMEM) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  "nothing was changed");
		return;
	}
	if (err) {
		api_error(r, 400, "Bad Request", "invalid policy", detail);
		return;
	}
	/* the caller's role may change it, ask for it (202), or neither */
	if (api_change_gate(r, c, policy_diff(conf_policy(c), &np), patch ?
			    API_CHANGE_POLICY_PATCH : API_CHANGE_POLICY_PUT,
			    body, len))
		return;
	err = conf_set_policy(c, &np);
	if (err == ENOMEM) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  "nothing was changed");
		return;
	}
	if (err) {
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "policy", "the store failed; nothing was changed");
		return;
	}
	reply_policy(r, c);
}

void api_policy_put(struct api_req *r)
{
	policy_write(r, false);
}

void api_policy_patch(struct api_req *r)
{
	policy_write(r, true);
}

/* Moderation: who waits, and the moderator's answer */
static bool pending_h(struct participant *p, void *arg)
{
	struct odict *arr = arg;
	struct odict *o = NULL;
	char key[12];

	if (!part_privacy(p)->pending && !part_privacy(p)->lobby)
		return false;
	re_snprintf(key, sizeof(key), "%u", (unsigned)odict_count(arr, false));
	if (!odict_alloc(&o, 8)) {
		(void)odict_entry_add(o, "id", ODICT_STRING, part_id(p));
		(void)odict_entry_add(o, "uri", ODICT_STRING, part_uri(p));
		(void)odict_entry_add(o, "display_name", ODICT_STRING,
				      part_display(p));
		(void)odict_entry_add(o, "since", ODICT_INT,
				      part_joined_at(p));
		/* keying the PIN (approve lets it in without one) */
		(void)odict_entry_add(o, "lobby", ODICT_BOOL,
				      part_privacy(p)->lobby);
		(void)odict_entry_add(arr, key, ODICT_OBJECT, o);
	}
	mem_deref(o);
	return false;
}

void api_pending_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL, *arr = NULL;

	if (!c)
		return;
	if (odict_alloc(&out, 4) || odict_alloc(&arr, 16)) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		goto out;
	}
	(void)conf_apply_parts(c, pending_h, arr);
	(void)odict_entry_add(out, "pending", ODICT_ARRAY, arr);
	api_reply_json(r, 200, "OK", out, NULL);
out:
	mem_deref(arr);
	mem_deref(out);
}

static void decide(struct api_req *r, bool approve)
{
	struct conf *c = api_conf_or_404(r);
	struct participant *p;
	int err;

	if (!c)
		return;
	p = conf_find_part(c, r->param[1]);
	if (!p) {
		api_error(r, 404, "Not Found", "no such participant",
			  r->param[1]);
		return;
	}
	if (part_privacy(p)->lobby) {
		/* a moderator lets a caller in without its PIN, or sends
		 * it away */
		if (approve)
			part_set_lobby(p, false);
		else
			part_remove_by(p, "moderator");
		err = 0;
		if (approve && part_privacy(p)->pending)
			err = part_approve(p);
	}
	else {
		err = approve ? part_approve(p) : part_reject(p);
	}
	if (err == EALREADY) {
		api_error(r, 409, "Conflict", "not pending",
			  "the participant does not wait for a moderator");
		return;
	}
	api_reply_json(r, 204, "No Content", NULL, NULL);
}

void api_pending_approve(struct api_req *r)
{
	decide(r, true);
}

void api_pending_reject(struct api_req *r)
{
	decide(r, false);
}
