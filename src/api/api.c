/*
 * HTTP server and router of the API. The route table below is the one list
 * of what the API offers: dispatch, 405 Allow headers and `GET /v1` come
 * from it. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "conf/conf.h"
#include "sip/sip.h"
#include "util/json.h"
#include "util/log.h"
#include "util/srclimit.h"

#define PUB API_PERM_PUBLIC
#define ANY API_PERM_ANY
#define ADM API_PERM_ADMIN
#define CNF API_PERM_CONF
#define MOD API_PERM_CONF_MOD
#define SLF API_PERM_CONF_MOD_OR_SELF
#define OWN API_PERM_CONF_ADMIN

static const struct api_route routes[] = {
	{"GET",    "/v1/conferences", api_conf_list, ANY, "list conferences"},
	{"POST",   "/v1/conferences", api_conf_create, ANY,
	 "create a conference"},
	{"GET",    "/v1/conferences/{id}", api_conf_get, CNF,
	 "a conference with its participants"},
	{"PATCH",  "/v1/conferences/{id}", api_conf_patch, CNF,
	 "change the conference's media, audio and video (re-INVITE to "
	 "everyone), or how many talkers are mixed"},
	{"DELETE", "/v1/conferences/{id}", api_conf_delete, OWN,
	 "destroy a conference (BYE to everyone)"},
	{"GET",    "/v1/conferences/{id}/info", api_conf_info, CNF,
	 "RFC 4575 conference-info document (XML or JSON)"},
	{"GET",    "/v1/conferences/{id}/participants", api_part_list, CNF,
	 "list participants"},
	{"POST",   "/v1/conferences/{id}/participants", api_part_add, MOD,
	 "dial out to a URI"},
	{"POST",   "/v1/conferences/{id}/participants:batch", api_batch, MOD,
	 "mass invitation (a paced job) or mass ejection"},
	{"GET",    "/v1/jobs/{id}", api_job_get, ANY,
	 "a mass invitation's progress and per-target results"},
	{"GET",    "/v1/conferences/{id}/participants/{pid}", api_part_get, CNF,
	 "one participant"},
	{"PATCH",  "/v1/conferences/{id}/participants/{pid}", api_part_patch,
	 SLF, "mute, deaf, gains, hand; sidebar, floor, whisper "
	 "(moderators)"},
	{"DELETE", "/v1/conferences/{id}/participants/{pid}",
	 api_part_delete, SLF, "remove a participant (BYE)"},
	{"GET",    "/v1/conferences/{id}/policy", api_policy_get, CNF,
	 "the conference's policy, with its ETag"},
	{"PUT",    "/v1/conferences/{id}/policy", api_policy_put, CNF,
	 "replace the policy (If-Match: 412 when stale)"},
	{"PATCH",  "/v1/conferences/{id}/policy", api_policy_patch, CNF,
	 "change the fields named (If-Match: 412 when stale)"},
	{"GET",    "/v1/conferences/{id}/media-policy", api_mediapol_get, CNF,
	 "the conference's media policy (who hears whom), with its ETag"},
	{"PUT",    "/v1/conferences/{id}/media-policy", api_mediapol_put, CNF,
	 "replace the media policy (If-Match: 412 when stale)"},
	{"PATCH",  "/v1/conferences/{id}/media-policy", api_mediapol_patch,
	 CNF, "change the media policy's members named (If-Match: 412 when "
	 "stale)"},
	{"GET",    "/v1/conferences/{id}/sidebars", api_sidebar_list, CNF,
	 "the conference's sidebars and their members"},
	{"POST",   "/v1/conferences/{id}/sidebars", api_sidebar_create, MOD,
	 "make a sidebar"},
	{"GET",    "/v1/conferences/{id}/sidebars/{sid}", api_sidebar_get,
	 CNF, "a sidebar"},
	{"PATCH",  "/v1/conferences/{id}/sidebars/{sid}", api_sidebar_patch,
	 MOD, "change a sidebar's name, background or listing"},
	{"DELETE", "/v1/conferences/{id}/sidebars/{sid}", api_sidebar_delete,
	 MOD, "end a sidebar (its members back in the main conference)"},
	{"POST",   "/v1/conferences/{id}/sidebars/{sid}/members",
	 api_sidebar_join, MOD, "move a participant into the sidebar"},
	{"DELETE", "/v1/conferences/{id}/sidebars/{sid}/members/{pid}",
	 api_sidebar_leave, MOD, "move a participant back to the main "
	 "conference"},
	{"GET",    "/v1/conferences/{id}/breakouts", api_breakout_get, MOD,
	 "whether breakouts run, and their rooms"},
	{"POST",   "/v1/conferences/{id}/breakouts", api_breakout_start, MOD,
	 "split the conference into breakout rooms"},
	{"DELETE", "/v1/conferences/{id}/breakouts", api_breakout_end, MOD,
	 "end the breakouts: everyone back in the main conference"},
	{"GET",    "/v1/conferences/{id}/video", api_video_get, CNF,
	 "the conference's video: its settings, who is shown and pinned, "
	 "and the order people are shown in"},
	{"PATCH",  "/v1/conferences/{id}/video", api_video_patch, CNF,
	 "change the video's mode, layout, picture or camera policy "
	 "(moderators), or pin a participant (moderators, or the holder of "
	 "the audio floor)"},
	{"POST",   "/v1/conferences/{id}/participants/{pid}/camera",
	 api_video_camera, CNF, "steer a participant's camera (H.224): "
	 "moderators, or anyone in the call when camera_control is "
	 "participants"},
	{"GET",    "/v1/conferences/{id}/floors", api_floor_list, CNF,
	 "the conference's floors: policy, holders and queue"},
	{"GET",    "/v1/conferences/{id}/floors/{floorid}", api_floor_get, CNF,
	 "a floor: its policy, holders and queue"},
	{"PATCH",  "/v1/conferences/{id}/floors/{floorid}", api_floor_patch,
	 CNF, "change the floor's policy (floor control on or off, chair or "
	 "automatic, holders, time limit)"},
	{"POST",   "/v1/conferences/{id}/floors/{floorid}/requests",
	 api_floor_req_create, CNF, "request the floor for a participant "
	 "(moderators, or the participant itself)"},
	{"GET",    "/v1/conferences/{id}/floors/{floorid}/requests/{rid}",
	 api_floor_req_get, CNF, "a floor request"},
	{"DELETE", "/v1/conferences/{id}/floors/{floorid}/requests/{rid}",
	 api_floor_req_delete, CNF, "release or cancel a floor request (its "
	 "participant, or moderators)"},
	{"POST",
	 "/v1/conferences/{id}/floors/{floorid}/requests/{rid}/grant",
	 api_floor_req_grant, MOD, "grant the floor (chairs)"},
	{"POST",
	 "/v1/conferences/{id}/floors/{floorid}/requests/{rid}/deny",
	 api_floor_req_deny, MOD, "deny a waiting request (chairs)"},
	{"POST",
	 "/v1/conferences/{id}/floors/{floorid}/requests/{rid}/revoke",
	 api_floor_req_revoke, MOD, "take the floor back (chairs)"},
	{"POST",
	 "/v1/conferences/{id}/floors/{floorid}/requests/{rid}/accept",
	 api_floor_req_accept, MOD, "accept a request: it stays queued "
	 "(chairs)"},
	{"GET",    "/v1/conferences/{id}/pending", api_pending_list, MOD,
	 "joins waiting for a moderator"},
	{"POST",   "/v1/conferences/{id}/pending/{pid}/approve",
	 api_pending_approve, MOD, "let a waiting join in"},
	{"POST",   "/v1/conferences/{id}/pending/{pid}/reject",
	 api_pending_reject, MOD, "refuse a waiting join (BYE)"},
	{"GET",    "/v1/conferences/{id}/messages", api_msg_list, CNF,
	 "recent instant messages of the conference"},
	{"POST",   "/v1/conferences/{id}/messages", api_msg_send, CNF,
	 "send an instant message to every participant"},
	{"POST",   "/v1/conferences/{id}/announcements", api_announce, MOD,
	 "say a prompt or words to everyone, or to one participant"},
	{"GET",    "/v1/conferences/{id}/recordings", api_rec_list, MOD,
	 "the conference's recordings"},
	{"POST",   "/v1/conferences/{id}/recordings", api_rec_start, MOD,
	 "start recording the conference"},
	{"GET",    "/v1/conferences/{id}/recordings/{rid}", api_rec_get, MOD,
	 "a recording"},
	{"POST",   "/v1/conferences/{id}/recordings/{rid}/stop", api_rec_stop,
	 MOD, "stop a recording"},
	{"GET",    "/v1/conferences/{id}/recordings/{rid}/audio",
	 api_rec_audio, MOD, "a recording's file (Ogg Opus or WAV)"},
	{"GET",    "/v1/openapi.json", api_openapi, PUB,
	 "this description of the API (OpenAPI 3.0)"},
	{"GET",    "/metrics", api_metrics, ADM,
	 "Prometheus metrics (text format 0.0.4)"},
	{"GET",    "/v1/status", api_status, ADM, "server and mixer status"},
	{"GET",    "/v1/events", api_events, ANY,
	 "websocket: conference state and changes as JSON"},
	{"GET",    "/v1/users", api_user_list, ADM, "list users"},
	{"POST",   "/v1/users", api_user_create, ADM,
	 "create a user (SIP digest password, API token shown once)"},
	{"DELETE", "/v1/users/{id}", api_user_delete, ADM, "delete a user"},
	{"GET",    "/v1/me", api_me, ANY, "who the token belongs to"},
	{"GET",    "/v1/prompts", api_prompts, ANY,
	 "the prompts announcements can name"},
	{"PUT",    "/v1/conferences/{id}/self", api_self_put, CNF,
	 "set your own role and anonymity before joining"},
	{"GET",    "/v1/conferences/{id}/changes", api_change_list, CNF,
	 "requested policy and media changes"},
	{"GET",    "/v1/conferences/{id}/changes/{pid}", api_change_get, CNF,
	 "one requested change and its outcome"},
	{"POST",   "/v1/conferences/{id}/changes/{pid}/approve",
	 api_change_approve, CNF, "apply a requested change (moderators)"},
	{"POST",   "/v1/conferences/{id}/changes/{pid}/reject",
	 api_change_reject, CNF, "drop a requested change (moderators)"},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
_Static_assert(NROUTES <= API_MAX_ROUTES, "raise API_MAX_ROUTES");

const struct api_route *api_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/* Matches path against pattern; fills r->param. */
static bool path_match(const char *pattern, const struct pl *path,
		       struct api_req *r)
{
	const char *p = pattern, *s = path->p, *end = path->p + path->l;
	unsigned np = 0;

	/* a trailing slash is the same resource */
	if (end - s > 1 && end[-1] == '/')
		end--;
	while (*p && s < end) {
		if (*p == '{') {
			const char *seg = s;
			size_t len;

			while (s < end && *s != '/')
				s++;
			len = (size_t)(s - seg);
			if (!len || len >= sizeof(r->param[0]) ||
			    np >= API_MAX_PARAMS)
				return false;
			memcpy(r->param[np], seg, len);
			r->param[np++][len] = '\0';
			p = strchr(p, '}') + 1;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return !*p && s == end;
}

static void allow_list(char *buf, size_t sz, const struct pl *path)
{
	struct api_req tmp;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].path, path, &tmp))
			continue;
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? ", " : "",
				      routes[i].method);
	}
}

/* The API's share of the signalling thread, over all clients, while new
 * calls are limited by load: enough for moderators and dashboards. Each
 * request admitted then pays what it took, so a GET of a conference of
 * thousands costs what it costs, not one request; a route whose requests
 * have lately taken more than the burst waits (one request of 100 ms
 * would stall every call's signalling that long) */
#define API_LOADED_SHARE 0.1        /* of the thread's time */
#define API_LOADED_BURST_US 20000.0
#define API_LOADED_DEBT_US 200000.0

/* The API runs on the signalling thread, with the calls: while new calls
 * are refused for load (SIP's measure, sip/overload.c) the API, over all
 * its clients, gets API_LOADED_SHARE of the thread's time, and none while
 * the thread is behind; the rest wait with a 429, so that an API flood
 * cannot starve the calls nor the calls the API. Status and metrics
 * still answer: they are what an operator looks at then. Refusals are
 * logged as a summary, every 5 s at most. */
static bool refused_for_load(struct api_req *r, size_t route)
{
	struct api *a = r->api;
	enum focus_load load;
	uint64_t now = tmr_jiffies();
	char hdr[32];

	if (routes[route].h == api_status || routes[route].h == api_metrics)
		return false;
	load = focus_load(a->focus);
	if (load == FOCUS_LOAD_OK)
		return false;
	if (load == FOCUS_LOAD_LIMITING &&
	    admit_share_take(&a->loaded, a->cost_us[route], api_now_us())) {
		r->charged = true;
		return false;
	}
	a->overload_refused++;
	if (now - a->overload_log_ms >= 5000) {
		log_warn("api", "msg=\"overloaded: requests refused with "
			 "429\" refused=%llu refused_total=%llu",
			 a->overload_refused - a->overload_logged,
			 a->overload_refused);
		a->overload_logged = a->overload_refused;
		a->overload_log_ms = now;
	}
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n",
		 1 + rand_u16() % 4);
	api_error_hdr(r, 429, "Too Many Requests", "server overloaded",
		      load == FOCUS_LOAD_BEHIND ? "the signalling thread is "
		      "behind; see Retry-After" : "new calls come first while "
		      "they are refused for load; see Retry-After", hdr);
	return true;
}

/* route i for r: forwarded to the conference's node, refused, or run */
static void serve(struct api_req *r, size_t i)
{
	if (r->api->cluster &&
	    api_remote_route(r, routes[i].h == api_part_get))
		return;
	/* the API's description is public; all else asks */
	if (routes[i].perm != API_PERM_PUBLIC &&
	    (api_authenticate(r) || api_permit(r, routes[i].perm)))
		return;
	routes[i].h(r);
}

static void request_handler(struct http_conn *conn,
			    const struct http_msg *msg, void *arg)
{
	struct api_req r = {.api = arg, .conn = conn, .msg = msg,
			    .route = -1};
	char allow[64], hdr[96];

	r.api->requests++;
	if (srclimit_check(r.api->limit, http_conn_peer(conn)) !=
	    SRCLIMIT_OK) {
		/* over its rate, or blocked: over TCP an answer reflects
		 * nothing, so it gets one */
		api_error_hdr(&r, 429, "Too Many Requests", "too many "
			      "requests", "from your address; see Retry-After",
			      "Retry-After: 1\r\n");
		return;
	}
	if (msg->clen > r.api->max_body ||
	    (msg->mb && mbuf_get_left(msg->mb) > r.api->max_body)) {
		char detail[80];

		snprintf(detail, sizeof(detail), "the limit is %u bytes",
			 r.api->max_body);
		api_error(&r, 413, "Payload Too Large", "body too large",
			  detail);
		return;
	}
	for (size_t i = 0; i < NROUTES; i++) {
		if (pl_strcmp(&msg->met, routes[i].method))
			continue;
		memset(r.param, 0, sizeof(r.param));
		if (path_match(routes[i].path, &msg->path, &r)) {
			uint64_t t0, took;

			r.route = (int)i;
			if (refused_for_load(&r, i))
				return;
			t0 = api_now_us();
			serve(&r, i);
			took = api_now_us() - t0;
			admit_cost_learn(&r.api->cost_us[i], took);
			if (r.charged)
				admit_share_pay(&r.api->loaded, took);
			return;
		}
	}
	allow_list(allow, sizeof(allow), &msg->path);
	if (allow[0]) {
		snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
		struct odict *od = NULL;

		if (!odict_alloc(&od, 4)) {
			(void)odict_entry_add(od, "error", ODICT_STRING,
					      "method not allowed");
			(void)odict_entry_add(od, "detail", ODICT_STRING,
					      allow);
			api_reply_json(&r, 405, "Method Not Allowed", od, hdr);
			mem_deref(od);
		}
		return;
	}
	if (!pl_strcmp(&msg->met, "GET") &&
	    (msg->path.l < 3 || memcmp(msg->path.p, "/v1", 3))) {
		api_web(&r);
		return;
	}
	api_error(&r, 404, "Not Found", "no such resource", NULL);
}

static void api_destructor(void *arg)
{
	struct api *a = arg;

	api_levels_close(a);
	api_events_close(a);
	list_flush(&a->fwds);
	mem_deref(a->fwd_cli);
	mem_deref(a->fwd_dnsc);
	list_flush(&a->jobs);
	api_changes_flush(a);
	mem_deref(a->users);
	mem_deref(a->limit);
	mem_deref(a->sip_limit);
	mem_deref(a->tok_mac);
	mem_deref(a->sock);
	mem_deref(a->web_root);
}

int api_alloc(struct api **apip, const struct api_cfg *cfg,
	      struct confs *cs, struct focus *f, struct mixer *mx,
	      struct notifier *nt)
{
	struct api *a = mem_zalloc(sizeof(*a), api_destructor);
	struct sa laddr;
	int err;

	if (!a)
		return ENOMEM;
	a->confs = cs;
	a->focus = f;
	a->mixer = mx;
	a->notifier = nt;
	a->max_body = cfg->max_body;
	admit_share_init(&a->loaded, API_LOADED_SHARE, API_LOADED_BURST_US,
			 API_LOADED_DEBT_US, api_now_us());
	a->users = mem_ref(cfg->users);
	a->limit = mem_ref(cfg->limit);
	a->sip_limit = mem_ref(cfg->sip_limit);
	a->routes = routes;
	a->nroutes = NROUTES;
	a->started_us = api_now_us();
	err = api_web_locate(&a->web_root, cfg->web_root);
	if (err) {
		mem_deref(a);
		return err;
	}
	if (cfg->admin_token && cfg->admin_token[0]) {
		uint8_t key[32];

		rand_bytes(key, sizeof(key));
		err = hmac_create(&a->tok_mac, HMAC_HASH_SHA256, key,
				  sizeof(key));
		err = err ? err : api_token_digest(a, cfg->admin_token,
					       strlen(cfg->admin_token),
					       a->tok_digest);
		if (err) {
			log_err("api", "msg=\"cannot set up token checks\" "
				"err=%m", err);
			mem_deref(a);
			return err;
		}
		a->auth = true;
	}
	err = api_events_init(a);
	err = err ? err : api_levels_init(a);
	if (err) {
		mem_deref(a);
		return err;
	}
	err = sa_set_str(&laddr, cfg->addr, cfg->port);
	if (!err && cfg->tls_cert)
		err = https_listen(&a->sock, &laddr, cfg->tls_cert,
				   request_handler, a);
	else if (!err)
		err = http_listen(&a->sock, &laddr, request_handler, a);
	/* libre listens with a backlog of 5: a burst of clients (a console
	 * reload, a monitoring fleet) would be refused. listen() again on the
	 * same socket only raises the backlog. */
	err = err ? err : tcp_sock_listen(http_sock_tcp(a->sock), 1024);
	if (err) {
		log_err("api", "msg=\"cannot listen\" addr=%s port=%u err=%m",
			cfg->addr, cfg->port, err);
		mem_deref(a);
		return err;
	}
	log_info("api", "msg=\"listening\" url=%s://%J/ auth=%s",
		 cfg->tls_cert ? "https" : "http", &laddr,
		 a->auth ? "token" : "none (loopback only)");
	*apip = a;
	return 0;
}
