/*
 * Replies of the API, which every handler uses: JSON answers and errors
 * (each counted for /metrics), the request body parsed against its
 * fields, the conference that {id} names. A leaf of the api module: it
 * calls nothing of it but api_json.c. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/srclimit.h"

uint64_t api_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void api_count(struct api_req *r, uint16_t scode)
{
	size_t route = r->route >= 0 && r->route < API_MAX_ROUTES ?
		(size_t)r->route : API_MAX_ROUTES;

	r->api->hits[route][scode >= 100 && scode < 600 ? scode / 100 : 0]++;
}

void api_reply_json(struct api_req *r, uint16_t scode, const char *reason,
		    const struct odict *od, const char *extra_hdrs)
{
	struct mbuf *mb = mbuf_alloc(512);

	api_count(r, scode);
	if (!mb || (od && mbuf_printf(mb, "%H\n", json_print, od))) {
		http_ereply(r->conn, 500, "Internal Server Error");
		mem_deref(mb);
		return;
	}
	(void)http_reply(r->conn, scode, reason,
			 "Content-Type: application/json\r\n"
			 "Cache-Control: no-store\r\n"
			 "%s"
			 "Content-Length: %zu\r\n\r\n%b",
			 extra_hdrs ? extra_hdrs : "", mb->end, mb->buf,
			 mb->end);
	mem_deref(mb);
}

void api_reply_obj(struct api_req *r, uint16_t scode, const char *reason,
		   struct odict *od, int err, const char *hdrs)
{
	if (err)
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
	else
		api_reply_json(r, scode, reason, od, hdrs);
	mem_deref(od);
}

void api_error_hdr(struct api_req *r, uint16_t scode, const char *reason,
		   const char *error, const char *detail, const char *hdrs)
{
	struct odict *od = NULL;

	if (odict_alloc(&od, 4)) {
		http_ereply(r->conn, 500, "Internal Server Error");
		return;
	}
	(void)odict_entry_add(od, "error", ODICT_STRING, error);
	if (detail)
		(void)odict_entry_add(od, "detail", ODICT_STRING, detail);
	log_dbg("api", "msg=\"refused\" status=%u error=\"%s\"", scode, error);
	/* what tells a scanner something: a wrong token, a forbidden
	 * route, no such thing */
	if (scode == 401 || scode == 403 || scode == 404)
		srclimit_offence(r->api->limit, http_conn_peer(r->conn),
				 error);
	api_reply_json(r, scode, reason, od, hdrs);
	mem_deref(od);
}

void api_error(struct api_req *r, uint16_t scode, const char *reason,
	       const char *error, const char *detail)
{
	api_error_hdr(r, scode, reason, error, detail, NULL);
}

struct conf *api_conf_or_404(struct api_req *r)
{
	struct conf *c = confs_lookup(r->api->confs, r->param[0]);

	if (!c)
		api_error(r, 404, "Not Found", "no such conference",
			  r->param[0]);
	return c;
}

int api_body(struct api_req *r, const struct api_field *fields, size_t n,
	     struct odict **odp)
{
	const struct http_msg *m = r->msg;
	char detail[160];
	int err;

	if (m->mb && mbuf_get_left(m->mb) && pl_isset(&m->ctyp.type) &&
	    !msg_ctype_cmp(&m->ctyp, "application", "json") &&
	    /* curl -d sends this by default; the body must still be JSON */
	    !msg_ctype_cmp(&m->ctyp, "application",
			   "x-www-form-urlencoded")) {
		api_error(r, 415, "Unsupported Media Type",
			  "unsupported content type",
			  "send the body as application/json");
		return EINVAL;
	}
	err = api_json_parse(odp, m->mb ? (const char *)mbuf_buf(m->mb) : "",
			     m->mb ? mbuf_get_left(m->mb) : 0, fields, n,
			     detail, sizeof(detail));
	if (err) {
		api_error(r, 400, "Bad Request", err == EBADMSG ?
			  "malformed JSON" : "invalid request", detail);
		return err;
	}
	return 0;
}

uint64_t api_uptime_us(const struct api *a)
{
	return api_now_us() - a->started_us;
}
