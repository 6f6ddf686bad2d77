/*
 * GET /v1/events: a websocket that streams conference state as JSON, for
 * the web console. On connect, one message per conference (or only the one
 * named by ?conference=ID) with its full RFC 4575 document as JSON; then,
 * at most every EVENTS_INTERVAL_MS, the changes of each conference as
 * partial documents (the same machinery as the SIP notifier), each with
 * the conference's own version; and a message when a conference is
 * destroyed. Messages:
 *   {"type":"conference-info","conference":ID,"version":N,
 *    "state":"full"|"partial","document":{...}}
 *   {"type":"conference-destroyed","conference":ID}
 *   {"type":"conference-changed","conference":ID,"version":N} when it
 *    changed in ways the document does not show (its policy)
 *   {"type":"policy-change","conference":ID,"change":{...}} when a
 *    requested change is made, approved, rejected or expires
 *   {"type":"levels","conference":ID,"levels":{PID:dBov,...},
 *    "mixer_load":0..1} to a client that asked with ?levels=true: the
 *    participants' audio levels, at most five times a second
 *    (api_levels.c). The mixer measures them only for conferences that
 *    such a client follows (levels_sync).
 * Server administrators follow every conference; a user follows those
 * where they have a role (all, or one with ?conference=ID), each in the
 * view their role gives (moderators see everything, others the
 * participant view).
 * The stream is read-only: frames the client sends are ignored.
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "mixer/mixer.h"
#include "notify/notify.h"
#include "util/json.h"
#include "util/log.h"

#define EVENTS_INTERVAL_MS 100
#define EVENTS_KEEPALIVE_S 30

struct ev_client {
	struct le le;
	struct api *api;
	struct websock_conn *conn;
	char filter[72];             /* a conference id, or empty: all */
	bool admin;                  /* a server administrator: everything */
	char aor[160];               /* else the user's AoR: their
				      * conferences, in their role's view */
	bool levels;                 /* wants the "levels" events */
	struct list views;           /* struct ev_view, one per conference */
	struct tmr initial;
};

/* What one client has of one conference */
struct ev_view {
	struct le le;
	struct conf *conf;           /* referenced */
	struct notify_snap *snap;
	bool dirty;
};

static void view_destructor(void *arg)
{
	struct ev_view *v = arg;

	list_unlink(&v->le);
	mem_deref(v->snap);
	mem_deref(v->conf);
}

/* A conference whose levels the mixer reports (a->lv_rooms) */
struct lv_room {
	struct le le;
	struct conf *conf;           /* referenced */
};

static void lv_room_destructor(void *arg)
{
	struct lv_room *lr = arg;

	list_unlink(&lr->le);
	mem_deref(lr->conf);
}

static bool lv_room_cmp(struct le *le, void *arg)
{
	return ((struct lv_room *)le->data)->conf == arg;
}

static bool wants(const struct ev_client *cl, struct conf *c);

/* The mixer measures c's levels while a client that asked for them
 * follows c, and only then (a meter nobody sees costs nothing). Called
 * when clients come and go and when c changes (a role given, c gone). */
static void levels_sync(struct api *a, struct conf *c, bool gone)
{
	struct lv_room *lr = list_ledata(list_apply(&a->lv_rooms, true,
						    lv_room_cmp, c));
	bool want = false;

	for (struct le *le = a->ev_clients.head; !gone && !want && le;
	     le = le->next) {
		struct ev_client *cl = le->data;

		want = cl->levels && wants(cl, c);
	}
	if (want == (lr != NULL) || !a->mixer)
		return;
	if (want) {
		lr = mem_zalloc(sizeof(*lr), lv_room_destructor);
		if (!lr)
			return;
		lr->conf = mem_ref(c);
		list_append(&a->lv_rooms, &lr->le, lr);
	}
	else {
		mem_deref(lr);
	}
	if (mixer_room_levels(a->mixer, conf_room(c), want))
		log_warn("api", "msg=\"levels not switched\" conf=%s on=%d",
			 conf_id(c), want);
}

static void client_destructor(void *arg)
{
	struct ev_client *cl = arg;
	struct le *le;

	tmr_cancel(&cl->initial);
	list_unlink(&cl->le);
	list_flush(&cl->views);
	mem_deref(cl->conn);
	/* (each entry may go as it is looked at) */
	for (le = cl->levels ? cl->api->lv_rooms.head : NULL; le;) {
		struct lv_room *lr = le->data;

		le = le->next;
		levels_sync(cl->api, lr->conf, conf_destroyed(lr->conf));
	}
}

static int send_json(struct ev_client *cl, const struct odict *msg)
{
	return websock_send(cl->conn, WEBSOCK_TEXT, "%H", json_print, msg);
}

static void send_view(struct ev_client *cl, struct ev_view *v)
{
	struct notify_view nv = {.moderator = cl->admin ||
		(api_role_for(false, cl->aor, v->conf) &
		 (POLICY_ROLE_ADMINISTRATOR | POLICY_ROLE_MODERATOR))};
	struct odict *full = NULL, *doc = NULL, *msg = NULL;
	bool partial = false;
	int err;

	v->dirty = false;
	err = notify_doc_full(&full, v->conf, conf_version(v->conf), &nv);
	err = err ? err : notify_doc_diff(&doc, v->snap, full, &partial);
	if (err == ENODATA) {
		/* the conference changed in ways its document does not show
		 * (its policy, a participant's anonymity to moderators) */
		err = odict_alloc(&msg, 4);
		err = err ? err : odict_entry_add(msg, "type", ODICT_STRING,
						  "conference-changed");
		err = err ? err : odict_entry_add(msg, "conference",
						  ODICT_STRING,
						  conf_id(v->conf));
		err = err ? err : odict_entry_add(msg, "version", ODICT_INT,
					(int64_t)conf_version(v->conf));
		err = err ? err : send_json(cl, msg);
		goto out;
	}
	err = err ? err : odict_alloc(&msg, 8);
	err = err ? err : odict_entry_add(msg, "type", ODICT_STRING,
					  "conference-info");
	err = err ? err : odict_entry_add(msg, "conference", ODICT_STRING,
					  conf_id(v->conf));
	err = err ? err : odict_entry_add(msg, "version", ODICT_INT,
					  (int64_t)conf_version(v->conf));
	err = err ? err : odict_entry_add(msg, "state", ODICT_STRING,
					  partial ? "partial" : "full");
	err = err ? err : odict_entry_add(msg, "document", ODICT_OBJECT, doc);
	err = err ? err : send_json(cl, msg);
	if (err)
		log_dbg("api", "msg=\"event not sent\" err=%m", err);
out:
	mem_deref(msg);
	mem_deref(doc);
	mem_deref(full);
}

static bool view_cmp(struct le *le, void *arg)
{
	return ((struct ev_view *)le->data)->conf == arg;
}

static struct ev_view *view_get(struct ev_client *cl, struct conf *c)
{
	struct ev_view *v = list_ledata(list_apply(&cl->views, true, view_cmp,
						   c));

	if (v)
		return v;
	v = mem_zalloc(sizeof(*v), view_destructor);
	if (!v || notify_snap_alloc(&v->snap)) {
		mem_deref(v);
		return NULL;
	}
	v->conf = mem_ref(c);
	list_append(&cl->views, &v->le, v);
	return v;
}

static bool wants(const struct ev_client *cl, struct conf *c)
{
	if (cl->filter[0] && strcmp(cl->filter, conf_id(c)))
		return false;
	return cl->admin || api_role_for(false, cl->aor, c) != 0;
}

static void flush(void *arg)
{
	struct api *a = arg;

	for (struct le *le = a->ev_clients.head; le; le = le->next) {
		struct ev_client *cl = le->data;

		for (struct le *ve = cl->views.head; ve; ve = ve->next) {
			struct ev_view *v = ve->data;

			if (v->dirty)
				send_view(cl, v);
		}
	}
}

static void conf_changed(struct conf *c, bool destroyed, void *arg)
{
	struct api *a = arg;
	bool any = false;

	for (struct le *le = a->ev_clients.head; le; le = le->next) {
		struct ev_client *cl = le->data;
		struct ev_view *v;

		if (!wants(cl, c))
			continue;
		if (destroyed) {
			struct odict *msg = NULL;

			if (!odict_alloc(&msg, 4) &&
			    !odict_entry_add(msg, "type", ODICT_STRING,
					     "conference-destroyed") &&
			    !odict_entry_add(msg, "conference", ODICT_STRING,
					     conf_id(c)))
				(void)send_json(cl, msg);
			mem_deref(msg);
			mem_deref(list_ledata(list_apply(&cl->views, true,
							 view_cmp, c)));
			continue;
		}
		v = view_get(cl, c);
		if (v) {
			v->dirty = true;
			any = true;
		}
	}
	if (any && !tmr_isrunning(&a->ev_tmr))
		tmr_start(&a->ev_tmr, EVENTS_INTERVAL_MS, flush, a);
	levels_sync(a, c, destroyed);
}

static void recv_handler(const struct websock_hdr *hdr, struct mbuf *mb,
			 void *arg)
{
	(void)hdr;
	(void)mb;
	(void)arg;                   /* read-only stream */
}

static void close_handler(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}

static bool send_initial(struct conf *c, void *arg)
{
	struct ev_client *cl = arg;
	struct ev_view *v;

	if (!wants(cl, c))
		return false;
	v = view_get(cl, c);
	if (v)
		send_view(cl, v);
	if (cl->levels)
		levels_sync(cl->api, c, false);
	return false;
}

static void initial_h(void *arg)
{
	struct ev_client *cl = arg;

	(void)confs_apply(cl->api->confs, send_initial, cl);
}

void api_events(struct api_req *r)
{
	struct ev_client *cl;
	struct pl id;

	if (!http_msg_hdr_has_value(r->msg, HTTP_HDR_UPGRADE, "websocket")) {
		api_error(r, 400, "Bad Request", "websocket required",
			  "connect with Upgrade: websocket");
		return;
	}
	cl = mem_zalloc(sizeof(*cl), client_destructor);
	if (!cl) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	cl->api = r->api;
	tmr_init(&cl->initial);
	if (!re_regex(r->msg->prm.p, r->msg->prm.l, "conference=[^&]+", &id))
		pl_strcpy(&id, cl->filter, sizeof(cl->filter));
	if (!re_regex(r->msg->prm.p, r->msg->prm.l, "levels=[^&]+", &id))
		cl->levels = !pl_strcmp(&id, "true") || !pl_strcmp(&id, "1");
	if (cl->filter[0] && !confs_lookup(r->api->confs, cl->filter)) {
		api_error(r, 404, "Not Found", "no such conference",
			  cl->filter);
		mem_deref(cl);
		return;
	}
	cl->admin = r->admin;
	if (!r->admin) {
		struct conf *c = confs_lookup(r->api->confs, cl->filter);

		re_snprintf(cl->aor, sizeof(cl->aor), "%s", api_self_aor(r));
		if (c && !api_role_in(r, c)) {
			api_error(r, 403, "Forbidden", "forbidden",
				  "you are not a member of this conference");
			mem_deref(cl);
			return;
		}
	}
	api_count(r, 101);
	if (websock_accept(&cl->conn, r->api->ws, r->conn, r->msg,
			   EVENTS_KEEPALIVE_S * 1000, recv_handler,
			   close_handler, cl)) {
		api_error(r, 400, "Bad Request", "websocket handshake failed",
			  NULL);
		mem_deref(cl);
		return;
	}
	list_append(&r->api->ev_clients, &cl->le, cl);
	/* A client that reads the 101 and a first frame in one go may lose
	 * the frame (libre's own client does): the initial state goes a
	 * moment after the handshake, which helps such clients on an idle
	 * machine and guarantees nothing (our own clients, caucusctl and
	 * tools/wsclient, keep the bytes after the 101). Changes before
	 * then are included. */
	tmr_start(&cl->initial, 20, initial_h, cl);
}

void api_events_levels(struct api *a, struct conf *c, api_viewer_msg_h *h,
		       void *arg)
{
	for (struct le *le = a->ev_clients.head; le; le = le->next) {
		struct ev_client *cl = le->data;
		struct api_viewer v = {.admin = cl->admin,
			.aor = cl->aor[0] ? cl->aor : NULL};
		struct odict *msg = NULL;

		if (!cl->levels || !wants(cl, c))
			continue;
		v.moderator = cl->admin || (api_role_for(false, cl->aor, c) &
			(POLICY_ROLE_ADMINISTRATOR | POLICY_ROLE_MODERATOR));
		if (!h(&msg, &v, arg))
			(void)send_json(cl, msg);
		mem_deref(msg);
	}
}

void api_events_send(struct api *a, const char *conf_id,
		     const struct odict *msg)
{
	for (struct le *le = a->ev_clients.head; le; le = le->next) {
		struct ev_client *cl = le->data;

		struct conf *c = confs_lookup(a->confs, conf_id);

		if (c ? wants(cl, c) :
		    cl->admin && (!cl->filter[0] ||
				  !strcmp(cl->filter, conf_id)))
			(void)send_json(cl, msg);
	}
}

int api_events_init(struct api *a)
{
	tmr_init(&a->ev_tmr);
	return websock_alloc(&a->ws, NULL, NULL) ||
		confs_add_change_handler(a->confs, conf_changed, a);
}

void api_events_close(struct api *a)
{
	tmr_cancel(&a->ev_tmr);
	confs_remove_change_handler(a->confs, conf_changed, a);
	/* first: a client's destructor looks at the clients (levels_sync),
	 * which list_flush leaves half taken apart */
	list_flush(&a->lv_rooms);
	list_flush(&a->ev_clients);
	a->ws = mem_deref(a->ws);
}
