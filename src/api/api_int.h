/* Private to the api module: the request context, reply helpers and the
 * handlers that the route table in api.c points at. The files call each
 * other in one direction: api.c (the router and its table) calls the
 * handlers; handlers call api_reply.c (replies, the body, the conference
 * of {id}), api_auth.c and api_json.c, which call nothing back. A handler
 * that needs the table (/metrics) finds it through struct api.
 * Signalling thread. */
#ifndef CAUCUS_API_INT_H
#define CAUCUS_API_INT_H

#include <re.h>
#include "api/api.h"
#include "api/api_json.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "util/admit.h"

#define API_MAX_PARAMS 3
#define API_MAX_ROUTES 80

struct api_req;
typedef void (api_handler)(struct api_req *r);

/* What a route asks of its caller (api_auth.c) */
enum api_perm {
	API_PERM_PUBLIC,         /* nothing */
	API_PERM_ANY,            /* any authenticated caller */
	API_PERM_ADMIN,          /* the server's administrators */
	API_PERM_CONF,           /* any role in conference {id} */
	API_PERM_CONF_MOD,       /* its moderators and administrators */
	API_PERM_CONF_MOD_OR_SELF,   /* those, or the participant {pid}
				      * itself */
	API_PERM_CONF_ADMIN,     /* its administrators */
};

/* A route of the API (the table is in api.c) */
struct api_route {
	const char *method;
	const char *path;          /* segments; "{x}" captures one */
	api_handler *h;
	enum api_perm perm;
	const char *summary;
};

struct api {
	struct http_sock *sock;
	const struct api_route *routes;   /* api.c's table */
	size_t nroutes;
	struct confs *confs;
	struct focus *focus;
	struct mixer *mixer;
	struct notifier *notifier;
	struct apps *apps;            /* announcements, recordings */
	struct cluster *cluster;      /* NULL: one server alone */
	struct http_cli *fwd_cli;     /* forwards to other nodes
				       * (api_remote.c); made at first use */
	struct dnsc *fwd_dnsc;
	struct list fwds;             /* forwarded requests on their way */
	uint32_t max_body;
	char *web_root;
	uint64_t started_us;
	uint64_t requests;
	uint64_t overload_refused;     /* 429: the signalling thread was
					* behind (api.c) */
	uint64_t overload_logged;      /* refused at the last summary */
	uint64_t overload_log_ms;      /* its time */
	struct admit_share loaded;     /* the API's share of the thread
					* while calls are limited (api.c) */
	double cost_us[API_MAX_ROUTES];  /* what a request of each route
					  * took lately (a moving mean) */
	struct websock *ws;           /* the event stream (api_events.c) */
	uint64_t hits[API_MAX_ROUTES + 1][6];  /* per route (last: none),
						* per status class 1xx..5xx,
						* [0]: other */
	struct list ev_clients;
	struct tmr ev_tmr;
	struct list lv_rooms;         /* conferences whose levels the mixer
				       * reports (api_events.c) */
	struct list lv_batches;       /* levels on their way (api_levels.c) */
	struct list jobs;             /* mass invitations (api_batch.c) */
	struct hmac *tok_mac;         /* keyed with a random secret */
	uint8_t tok_digest[32];       /* of the admin token; only kept so */
	bool auth;                    /* a token is required */
	struct users *users;
	struct list changes;          /* requested changes (api_change.c) */
	struct srclimit *limit;       /* per source: rate, blocks */
	struct srclimit *sip_limit;   /* the focus's (for /metrics) */
	uint32_t change_ids;
};

struct api_req {
	struct api *api;
	struct http_conn *conn;
	const struct http_msg *msg;
	char param[API_MAX_PARAMS][72];   /* {id}, {pid}, ... from the path */
	int route;                        /* index in the route table; -1 */
	bool admin;                       /* may do everything */
	const struct user *user;          /* by a user token, else NULL */
	bool charged;                     /* admitted under load: what it
					   * takes is charged (api.c) */
};

/* Authentication and permissions (api_auth.c). 0: go on; else replied */
int  api_authenticate(struct api_req *r);
int  api_permit(struct api_req *r, enum api_perm perm);
int  api_token_digest(const struct api *a, const char *p, size_t n,
		      uint8_t md[32]);
/* The caller's role bits in c (every bit for administrators; 0: none) */
struct conf;
unsigned api_role_in(const struct api_req *r, struct conf *c);
/* The same for a user's AoR (or everything for an administrator) */
unsigned api_role_for(bool admin, const char *aor, struct conf *c);
/* Moderator view: pending, hidden and anonymous participants as they are */
bool api_sees_all(const struct api_req *r, struct conf *c);
/* The caller's own AoR (a user), or NULL */
const char *api_self_aor(const struct api_req *r);

/* Replies (api_reply.c) */
void api_reply_json(struct api_req *r, uint16_t scode, const char *reason,
		    const struct odict *od, const char *extra_hdrs);
/* od when err is 0, else 500; od is released either way */
void api_reply_obj(struct api_req *r, uint16_t scode, const char *reason,
		   struct odict *od, int err, const char *hdrs);
void api_error(struct api_req *r, uint16_t scode, const char *reason,
	       const char *error, const char *detail);
void api_error_hdr(struct api_req *r, uint16_t scode, const char *reason,
		   const char *error, const char *detail, const char *hdrs);
/* The conference named by {id}, or NULL after replying 404 */
struct conf *api_conf_or_404(struct api_req *r);
/* A conference as the API shows it, in r's caller's view (r may be NULL:
 * the administrator's) */
int  api_conf_json(struct odict **odp, struct conf *c,
		   const struct api_req *r);
/* Parses the body against fields; on error it has already replied. */
int  api_body(struct api_req *r, const struct api_field *fields, size_t n,
	      struct odict **odp);

uint64_t api_uptime_us(const struct api *a);
/* a monotonic clock in µs */
uint64_t api_now_us(void);
/* Counts a reply for /metrics (every reply goes through it) */
void api_count(struct api_req *r, uint16_t scode);
/* The route table (api.c), for the tests (handlers use r->api->routes) */
const struct api_route *api_routes(size_t *n);

/* The console's folder into *rootp: configured (a warning when it has no
 * index.html), else found beside the executable (NULL and a warning when
 * there is none: the console then answers 404) */
int  api_web_locate(char **rootp, const char *configured);
void api_web(struct api_req *r);

/* /metrics (api_metrics.c) */
void api_metrics(struct api_req *r);
/* /v1/openapi.json: src/api/openapi.json, built in (openapi_gen.c) */
extern const char api_openapi_json[];
void api_openapi(struct api_req *r);

/* Handlers (api_apps.c) */
void api_announce(struct api_req *r);
void api_prompts(struct api_req *r);
void api_rec_list(struct api_req *r);
void api_rec_start(struct api_req *r);
void api_rec_get(struct api_req *r);
void api_rec_stop(struct api_req *r);
void api_rec_audio(struct api_req *r);

/* Handlers (api_conf.c) */
void api_conf_list(struct api_req *r);
void api_conf_create(struct api_req *r);
void api_conf_get(struct api_req *r);
void api_conf_delete(struct api_req *r);
void api_conf_patch(struct api_req *r);
void api_part_list(struct api_req *r);
void api_part_add(struct api_req *r);
void api_part_get(struct api_req *r);
void api_part_patch(struct api_req *r);
void api_part_delete(struct api_req *r);
void api_status(struct api_req *r);
void api_conf_info(struct api_req *r);
/* Mass invitation and ejection (api_batch.c) */
void api_batch(struct api_req *r);
void api_job_get(struct api_req *r);
/* Policy (api_policy.c) */
/* A policy-like document (api_policy.c, api_mediapol.c): 200 with it as
 * JSON and its ETag; a PUT's or PATCH's If-Match (412: "the WHAT
 * changed") and strict JSON body (400) checked, *bodyp and *lenp set
 * (false: refused, answered) */
void api_reply_doc(struct api_req *r, re_printf_h *print, const void *doc,
		   const char *etag);
bool api_doc_body(struct api_req *r, const char *etag, const char *what,
		  const char **bodyp, size_t *lenp);
void api_policy_get(struct api_req *r);
void api_policy_put(struct api_req *r);
void api_policy_patch(struct api_req *r);
void api_pending_list(struct api_req *r);
void api_pending_approve(struct api_req *r);
void api_pending_reject(struct api_req *r);
/* Users (api_users.c) */
void api_user_list(struct api_req *r);
void api_user_create(struct api_req *r);
void api_user_delete(struct api_req *r);
void api_me(struct api_req *r);
void api_self_put(struct api_req *r);
/* Requested policy and media changes (api_change.c) */
void api_change_list(struct api_req *r);
void api_change_get(struct api_req *r);
void api_change_approve(struct api_req *r);
void api_change_reject(struct api_req *r);
/* Applies or queues a change of conference c by the caller: parts are
 * what it touches; 0 when it replied (200/202/403 etc.) */
enum api_change_kind { API_CHANGE_POLICY_PUT, API_CHANGE_POLICY_PATCH,
		       API_CHANGE_MEDIA, API_CHANGE_MEDIAPOL_PUT,
		       API_CHANGE_MEDIAPOL_PATCH, API_CHANGE_FLOOR_PATCH };
/* Forbidden: replied 403, returns EACCES; moderated: queued, replied
 * 202, returns EINPROGRESS; direct: returns 0 and the caller applies.
 * A floor policy change is of the floor the route's {floorid} names. */
int  api_change_gate(struct api_req *r, struct conf *c, unsigned parts,
		     enum api_change_kind kind, const char *payload,
		     size_t len);
void api_changes_flush(struct api *a);
/* The media policy (api_mediapol.c) */
void api_mediapol_get(struct api_req *r);
void api_mediapol_put(struct api_req *r);
void api_mediapol_patch(struct api_req *r);
/* Sidebars and breakouts (api_sidebar.c, api_breakout.c) */
void api_sidebar_list(struct api_req *r);
void api_sidebar_create(struct api_req *r);
void api_sidebar_get(struct api_req *r);
void api_sidebar_patch(struct api_req *r);
void api_sidebar_delete(struct api_req *r);
void api_sidebar_join(struct api_req *r);
void api_sidebar_leave(struct api_req *r);
void api_breakout_get(struct api_req *r);
void api_breakout_start(struct api_req *r);
void api_breakout_end(struct api_req *r);
/* Sidebars as JSON, in r's caller's view (api_sidebar_json.c); a list
 * of them as out[name] (breakouts: the breakout rooms only) */
struct sidebar;
int  api_sidebar_json(struct odict **odp, struct sidebar *sb,
		      const struct api_req *r);
int  api_sidebars_json(struct odict *out, const char *name, struct conf *c,
		       const struct api_req *r, bool breakouts);
/* The media policy members of a participant PATCH ("sidebar", "floor",
 * "whisper"; moderators only): all checked before anything is applied.
 * 0: *mp says what to apply; else it has replied (400, 403) */
struct api_mix_patch {
	bool sidebar_set, floor_set, whisper_set;
	struct sidebar *sidebar;        /* NULL: the main conference */
	bool floor;
	struct participant *whisper_to; /* NULL: speak to the room again */
	enum part_listen listen;
};
int  api_part_mix_check(struct api_req *r, struct participant *p,
			const struct odict *in, struct api_mix_patch *mp);
void api_part_mix_apply(struct participant *p,
			const struct api_mix_patch *mp);
/* "sidebar", "floor", "whisper" and "hand_raised_at" of p into od; whom
 * it whispers to only for those who moderate or are p (whole: true) */
int  api_part_mix_json(struct odict *od, const struct participant *p,
		       bool whole);
/* May the caller see p in the roster (hidden and waiting participants
 * only to moderators and themselves; api_conf.c) */
bool api_part_visible(const struct api_req *r, struct participant *p);

/* Floors (api_floor.c): the floors and their policy, requests on a
 * participant's behalf, and the chairs' decisions */
void api_floor_list(struct api_req *r);
void api_floor_get(struct api_req *r);
void api_floor_patch(struct api_req *r);
void api_floor_req_create(struct api_req *r);
void api_floor_req_get(struct api_req *r);
void api_floor_req_delete(struct api_req *r);
void api_floor_req_grant(struct api_req *r);
void api_floor_req_deny(struct api_req *r);
void api_floor_req_revoke(struct api_req *r);
void api_floor_req_accept(struct api_req *r);
/* Floors as JSON (api_floor_json.c). A request as it was when read (a
 * decision that ends one frees it) */
struct api_floor_req {
	uint16_t id;
	unsigned floor;
	struct participant *p, *by;     /* NULL: none */
	enum floor_status status;
	unsigned qpos;
	uint8_t priority;
	char info[FLOOR_INFO_MAX];
	char status_info[FLOOR_INFO_MAX];
	int64_t since_ms;
};
void api_floor_snap(struct api_floor_req *s, const struct floor_request *fr);
/* participants r may not see in the roster are null (r NULL: all seen) */
int  api_floor_req_json(struct odict **odp, const struct api_floor_req *s,
			const struct api_req *r);
/* floorid with its policy, holders and queue; ENOENT: no such floor */
int  api_floor_json(struct odict **odp, struct conf *c, unsigned floorid,
		    const struct api_req *r);
/* A PATCH document of a floor's policy on base into *fp: 0, or EBADMSG
 * (not JSON) or EINVAL (a bad member) with the member and why in detail */
int  api_floor_policy_parse(struct floor_policy *fp,
			    const struct floor_policy *base, const char *body,
			    size_t len, char *detail, size_t dsz);

/* Video (api_video.c): the conference's video settings, who is shown
 * and pinned and in what order, far-end camera control; and the
 * "video" member of a conference's and of a participant's JSON (none
 * for a participant without video), naming only participants r may see
 * in the roster (r NULL: none) */
void api_video_get(struct api_req *r);
void api_video_patch(struct api_req *r);
void api_video_camera(struct api_req *r);
int  api_video_conf_json(struct odict *od, struct conf *c,
			 const struct api_req *r);
int  api_video_part_json(struct odict *od, const struct participant *p,
			 const struct api_req *r);
/* A media change (api_change.c): "AUDIO/VIDEO", the statuses a media
 * list asked for ("none" for a type it left out), applied to c: 0, or
 * conf_set_audio's or conf_set_video's error */
int  api_media_apply(struct conf *c, const char *media);

/* Instant messages (api_msg.c) */
void api_msg_list(struct api_req *r);
void api_msg_send(struct api_req *r);

/* Event stream (api_events.c) */
void api_events(struct api_req *r);
int  api_events_init(struct api *a);
void api_events_close(struct api *a);
/* One message to every client following conf_id */
void api_events_send(struct api *a, const char *conf_id,
		     const struct odict *msg);
/* The clients that asked for levels (?levels=true), as a message for
 * them is made: what they may see of c (api_sight's rule) */
struct api_viewer {
	bool admin;
	const char *aor;            /* a user's (NULL: none) */
	bool moderator;             /* of c */
};
typedef int (api_viewer_msg_h)(struct odict **msgp,
			       const struct api_viewer *v, void *arg);
/* To each client that follows c and asked for levels, the message h
 * makes for it (ENOENT from h: nothing for that one) */
void api_events_levels(struct api *a, struct conf *c, api_viewer_msg_h *h,
		       void *arg);

/* Audio levels for the console's meters (api_levels.c): the conferences'
 * level handler, batched per conference into a "levels" event at most
 * every LEVELS_INTERVAL_MS */
int  api_levels_init(struct api *a);
void api_levels_close(struct api *a);


#endif
