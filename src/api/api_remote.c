/*
 * Requests that change a participant another node of the cluster serves
 * (api_remote.h): forwarded to that node's API as they came (method, body,
 * the caller's Authorization: the nodes share the users and the admin
 * token, so the serving node decides what it would decide for a request
 * made to it), with the participant's id there, and its answer relayed
 * as it is. A node that does not answer within FWD_TIMEOUT_MS gets the
 * caller a 504; a node that is not live a 502. Signalling thread.
 */
#include <string.h>
#include <re.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "cluster/cluster.h"
#include "conf/conf_remote.h"
#include "util/log.h"

#define FWD_TIMEOUT_MS 5000

struct fwd {
	struct le le;
	struct api *api;
	struct http_conn *conn;       /* the caller's, referenced */
	struct http_req *req;
	struct tmr tmr;
	int route;
	char node[CONF_NODE_MAX + 1];
};

static void fwd_destructor(void *arg)
{
	struct fwd *fw = arg;

	tmr_cancel(&fw->tmr);
	list_unlink(&fw->le);
	fw->req = mem_deref(fw->req);
	mem_deref(fw->conn);
}

static void fwd_error(struct fwd *fw, uint16_t scode, const char *reason,
		      const char *error, const char *detail)
{
	struct api_req r = {.api = fw->api, .conn = fw->conn,
			    .route = fw->route};

	api_error(&r, scode, reason, error, detail);
	mem_deref(fw);
}

static void fwd_timeout(void *arg)
{
	struct fwd *fw = arg;
	char detail[96];

	log_warn("api", "msg=\"forwarded request unanswered\" node=%s",
		 fw->node);
	re_snprintf(detail, sizeof(detail), "node %s did not answer in "
		    "%u ms", fw->node, FWD_TIMEOUT_MS);
	fwd_error(fw, 504, "Gateway Timeout", "the serving node did not "
		  "answer", detail);
}

static void fwd_resp(int err, const struct http_msg *msg, void *arg)
{
	struct fwd *fw = arg;
	struct api_req r = {.api = fw->api, .conn = fw->conn,
			    .route = fw->route};
	const struct http_hdr *ct;
	const struct pl no_pl = PL_INIT;
	char detail[96], reason[64];
	const uint8_t *body = NULL;
	size_t len = 0;

	if (err || !msg) {
		re_snprintf(detail, sizeof(detail), "node %s: %m", fw->node,
			    err ? err : EPROTO);
		fwd_error(fw, 502, "Bad Gateway", "the serving node could "
			  "not be reached", detail);
		return;
	}
	if (msg->mb) {
		body = mbuf_buf(msg->mb);
		len = mbuf_get_left(msg->mb);
	}
	ct = http_msg_hdr(msg, HTTP_HDR_CONTENT_TYPE);
	pl_strcpy(&msg->reason, reason, sizeof(reason));
	api_count(&r, msg->scode);
	(void)http_reply(fw->conn, msg->scode, reason, "%s%r%s"
			 "Cache-Control: no-store\r\n"
			 "X-Caucus-Node: %s\r\n"
			 "Content-Length: %zu\r\n\r\n%b",
			 ct ? "Content-Type: " : "",
			 ct ? &ct->val : &no_pl, ct ? "\r\n" : "",
			 fw->node, len, body, len);
	mem_deref(fw);
}

/* The request's path with its segment {pid}@{node} (or {pid}%40{node})
 * made {pid} */
static int target_path(char *buf, size_t sz, const struct api_req *r,
		       const struct conf_remote *rp)
{
	const struct pl *path = &r->msg->path;
	const char *end = path->p + path->l, *p = NULL, *rest, *s;
	int n;

	/* the segment with the '@': conference and sidebar ids have none */
	for (s = path->p; s < end; s = rest + 1) {
		rest = memchr(s, '/', (size_t)(end - s));
		if (!rest)
			rest = end;
		if (memchr(s, '@', (size_t)(rest - s)) ||
		    memmem(s, (size_t)(rest - s), "%40", 3)) {
			p = s;
			break;
		}
		if (rest == end)
			break;
	}
	if (!p)
		return EINVAL;
	rest = memchr(p, '/', (size_t)(end - p));
	n = re_snprintf(buf, sz, "%b%s%b%r", path->p, (size_t)(p - path->p),
			rp->pid, rest ? rest : "",
			rest ? (size_t)(path->p + path->l - rest) : (size_t)0,
			&r->msg->prm);
	return n < 0 || (size_t)n >= sz ? ENOSPC : 0;
}

static int client(struct api *a)
{
	struct sa ns;
	int err;

	if (a->fwd_cli)
		return 0;
	/* requests go to addresses, never names: the resolver is only
	 * there because libre's client wants one */
	err = sa_set_str(&ns, "127.0.0.1", 53);
	err = err ? err : dnsc_alloc(&a->fwd_dnsc, NULL, &ns, 1);
	err = err ? err : http_client_alloc(&a->fwd_cli, a->fwd_dnsc);
	return err;
}

/* {x} of the route that names another node's participant: the index in
 * r->param, or -1 */
static int remote_param(struct api_req *r)
{
	for (int i = 1; i < API_MAX_PARAMS && r->param[i][0]; i++)
		if (api_remote_at(r->param[i]))
			return i;
	return -1;
}

bool api_remote_route(struct api_req *r, bool part_get)
{
	const struct conf_remote *rp;
	struct conf *c;
	int i = remote_param(r);

	if (i < 0 || (part_get && i == 1))
		return false;        /* local, or the roster's view of it */
	/* the serving node decides what the caller may do; this one only
	 * asks that the caller is someone */
	if (api_authenticate(r))
		return true;
	c = api_conf_or_404(r);
	if (!c)
		return true;
	rp = conf_find_remote(c, r->param[i]);
	if (!rp) {
		api_error(r, 404, "Not Found", "no such participant",
			  r->param[i]);
		return true;
	}
	api_remote_forward(r, rp);
	return true;
}

void api_remote_forward(struct api_req *r, const struct conf_remote *rp)
{
	const struct http_msg *m = r->msg;
	const struct http_hdr *auth = http_msg_hdr(m, HTTP_HDR_AUTHORIZATION);
	const struct pl no_pl = PL_INIT;
	const char *base = cluster_node_api(r->api->cluster, rp->node);
	char path[512], url[700], met[12], detail[128];
	struct fwd *fw;
	const uint8_t *body = NULL;
	size_t len = 0;
	int err;

	if (!base) {
		re_snprintf(detail, sizeof(detail), "node %s serving %s@%s is "
			    "not live", rp->node, rp->pid, rp->node);
		api_error(r, 502, "Bad Gateway", "the serving node is not "
			  "live", detail);
		return;
	}
	if (target_path(path, sizeof(path), r, rp) ||
	    m->met.l >= sizeof(met)) {
		api_error(r, 400, "Bad Request", "path not understood", NULL);
		return;
	}
	pl_strcpy(&m->met, met, sizeof(met));
	re_snprintf(url, sizeof(url), "%s%s", base, path);
	fw = mem_zalloc(sizeof(*fw), fwd_destructor);
	if (!fw || client(r->api)) {
		mem_deref(fw);
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	fw->api = r->api;
	fw->conn = mem_ref(r->conn);
	fw->route = r->route;
	re_snprintf(fw->node, sizeof(fw->node), "%s", rp->node);
	if (m->mb) {
		body = mbuf_buf(m->mb);
		len = mbuf_get_left(m->mb);
	}
	err = http_request(&fw->req, r->api->fwd_cli, met, url, fwd_resp,
			   NULL, fw, "%s%r%s"
			   "Content-Type: application/json\r\n"
			   "X-Caucus-Forwarded-By: %s\r\n"
			   "Content-Length: %zu\r\n\r\n%b",
			   auth ? "Authorization: " : "",
			   auth ? &auth->val : &no_pl,
			   auth ? "\r\n" : "",
			   cluster_node(r->api->cluster), len, body, len);
	if (err) {
		re_snprintf(detail, sizeof(detail), "node %s: %m", rp->node,
			    err);
		fwd_error(fw, 502, "Bad Gateway", "the serving node could "
			  "not be reached", detail);
		return;
	}
	list_append(&r->api->fwds, &fw->le, fw);
	tmr_start(&fw->tmr, FWD_TIMEOUT_MS, fwd_timeout, fw);
	log_info("api", "msg=\"forwarded\" method=%s path=%s node=%s", met,
		 path, rp->node);
}
