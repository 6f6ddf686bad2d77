/*
 * The primitives about floor requests (RFC 8855 s. 13.1 to 13.5) and the
 * floor handler that tells clients of changes. The conference's floor
 * (conf/floor.h) decides; this only maps BFCP onto it.
 *
 * A request's change made by the message being handled is its response
 * (fc->cur captures it), not a notification as well; every other change
 * goes as a FloorRequestStatus to the client that made the request, and
 * as one FloorStatus (batched by a zero timer, after the change settled)
 * to the clients that queried the floor. Signalling thread only.
 */
#include <string.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "floorctl/fc_int.h"
#include "util/log.h"

void fc_snap_take(struct fc_snap *s, const struct floor_request *r)
{
	const struct participant *b = floor_request_beneficiary(r);
	const struct participant *by = floor_request_by(r);

	memset(s, 0, sizeof(*s));
	s->reqid = floor_request_id(r);
	s->floorid = (uint16_t)floor_request_floor(r);
	s->status = (uint8_t)floor_request_status(r);
	s->qpos = (uint8_t)(floor_request_queue_pos(r) > 255 ? 255 :
			    floor_request_queue_pos(r));
	s->priority = floor_request_priority(r);
	s->ben = b ? fc_user_id(b) : 0;
	s->by = by ? fc_user_id(by) : 0;
	s->third = by != NULL;
	str_ncpy(s->status_info, floor_request_status_info(r),
		 sizeof(s->status_info));
	str_ncpy(s->info, floor_request_info(r), sizeof(s->info));
	if (b) {
		str_ncpy(s->ben_name, part_display(b) ? part_display(b) : "",
			 sizeof(s->ben_name));
		str_ncpy(s->ben_uri, part_uri(b), sizeof(s->ben_uri));
	}
}

/* ben: BENEFICIARY-INFORMATION even for a request of the user itself
 * (the lists: who is who) */
void fc_snap_info(const struct fc_snap *s, struct floorctl_reqinfo *ri,
		  bool ben)
{
	memset(ri, 0, sizeof(*ri));
	ri->reqid = s->reqid;
	ri->floorid = s->floorid;
	ri->status = s->status;
	ri->qpos = s->qpos;
	ri->status_info = s->status_info;
	ri->beneficiary = s->third || ben ? s->ben : 0;
	ri->ben_name = s->ben_name;
	ri->ben_uri = s->ben_uri;
	ri->requested_by = s->third ? s->by : 0;
	ri->has_priority = true;
	ri->priority = s->priority;
	ri->part_info = s->info;
}

static int frs_enc(struct mbuf *mb, const struct floorctl_hdr *h, void *arg)
{
	struct floorctl_reqinfo ri;

	fc_snap_info(arg, &ri, false);
	return floorctl_enc_frs(mb, h, &ri);
}

struct fc_track *fc_track_find(const struct fc_client *cl, bool watch,
				   uint32_t confid, uint16_t id)
{
	for (struct le *le = cl->tracks.head; le; le = le->next) {
		struct fc_track *t = le->data;

		if (t->watch == watch && t->confid == confid && t->id == id)
			return t;
	}
	return NULL;
}

static void track_destructor(void *arg)
{
	struct fc_track *t = arg;

	list_unlink(&t->le);
}

static void track(struct fc_client *cl, const struct bfcp_msg *msg,
		  bool watch, uint16_t id)
{
	struct fc_track *t = fc_track_find(cl, watch, msg->confid, id);

	if (!t) {
		if (list_count(&cl->tracks) >= FC_TRACK_MAX) {
			log_dbg("floorctl", "msg=\"too much followed\" "
				"peer=%J", &cl->peer);
			return;
		}
		t = mem_zalloc(sizeof(*t), track_destructor);
		if (!t)
			return;
		list_append(&cl->tracks, &t->le, t);
	}
	t->watch = watch;
	t->confid = msg->confid;
	t->id = id;
	t->userid = msg->userid;
	t->ver = msg->ver;
}

static bool mine(const struct fc_ctx *x, const struct floor_request *r)
{
	return floor_request_beneficiary(r) == x->p ||
		floor_request_by(r) == x->p || fc_is_chair(x->p);
}

/* Run an action on a request with its changes captured as the response */
void fc_act_begin(const struct fc_ctx *x, struct fc_cur *cur,
		      uint16_t reqid, const struct participant *ben)
{
	memset(cur, 0, sizeof(*cur));
	cur->cl = x->cl;
	cur->confid = x->msg->confid;
	cur->reqid = reqid;
	cur->ben = ben;
	x->cl->fc->cur = cur;
}

void fc_act_end(const struct fc_ctx *x, struct fc_cur *cur,
		    const struct floor_request *r)
{
	x->cl->fc->cur = NULL;
	if (!cur->taken && r)
		fc_snap_take(&cur->snap, r);
	if (!cur->cl)
		return;                 /* the client went meanwhile */
	if (!floor_status_final(cur->snap.status))
		track(cur->cl, x->msg, false, cur->snap.reqid);
	fc_reply(cur->cl, x->msg, frs_enc, &cur->snap);
}

struct req_attrs {
	unsigned floors, bad_floor;
};

static bool floor_attr(const struct bfcp_attr *a, void *arg)
{
	struct req_attrs *ra = arg;

	if (a->type == BFCP_FLOOR_ID) {
		ra->floors++;
		ra->bad_floor += a->v.floorid != FLOOR_AUDIO;
	}
	return false;
}

void fc_floor_request(const struct fc_ctx *x)
{
	const struct bfcp_attr *ben = bfcp_msg_attr(x->msg,
						    BFCP_BENEFICIARY_ID);
	const struct bfcp_attr *prio = bfcp_msg_attr(x->msg, BFCP_PRIORITY);
	const struct bfcp_attr *ppi = bfcp_msg_attr(x->msg,
						    BFCP_PART_PROV_INFO);
	struct participant *b = x->p;
	struct req_attrs ra = {0};
	struct floor_request *r = NULL;
	struct fc_cur cur;
	int err;

	bfcp_msg_attr_apply(x->msg, floor_attr, &ra);
	if (!ra.floors) {
		fc_error(x->cl, x->msg, BFCP_PARSE_ERROR, "no FLOOR-ID");
		return;
	}
	if (ra.bad_floor) {
		fc_error(x->cl, x->msg, BFCP_INVALID_FLOOR_ID, NULL);
		return;
	}
	if (ben && ben->v.beneficiaryid != x->msg->userid) {
		if (!fc_is_chair(x->p)) {
			fc_error(x->cl, x->msg, BFCP_UNAUTH_OPERATION,
				 "third-party requests: chairs only");
			return;
		}
		b = fc_find_user(x->c, ben->v.beneficiaryid);
		if (!b) {
			fc_error(x->cl, x->msg, BFCP_USER_NOT_EXIST,
				 "no such beneficiary");
			return;
		}
	}
	fc_act_begin(x, &cur, 0, b);
	err = conf_floor_request(x->c, FLOOR_AUDIO, b, x->p,
				 prio ? (uint8_t)prio->v.priority : 2,
				 ppi ? ppi->v.partprovinfo : NULL, &r);
	if (err) {
		x->cl->fc->cur = NULL;
		if (err == EALREADY)
			fc_error(x->cl, x->msg, BFCP_MAX_FLOOR_REQ_REACHED,
				 NULL);
		else if (err == EPERM || err == ENOENT)
			fc_error(x->cl, x->msg, BFCP_INVALID_FLOOR_ID,
				 "floor control is off");
		else
			fc_error(x->cl, x->msg, BFCP_GENERIC_ERROR,
				 err == ENOSPC ? "the queue is full" : NULL);
		return;
	}
	fc_act_end(x, &cur, cur.taken ? NULL : r);
}

static struct floor_request *req_of(const struct fc_ctx *x)
{
	const struct bfcp_attr *a = bfcp_msg_attr(x->msg,
						  BFCP_FLOOR_REQUEST_ID);
	struct floor_request *r;

	if (!a) {
		fc_error(x->cl, x->msg, BFCP_PARSE_ERROR,
			 "no FLOOR-REQUEST-ID");
		return NULL;
	}
	r = conf_floor_request_find(x->c, a->v.floorreqid);
	if (!r)
		fc_error(x->cl, x->msg, BFCP_FLOOR_REQ_ID_NOT_EXIST, NULL);
	else if (!mine(x, r))
		fc_error(x->cl, x->msg, BFCP_UNAUTH_OPERATION,
			 "not your request");
	else
		return r;
	return NULL;
}

void fc_floor_release(const struct fc_ctx *x)
{
	struct floor_request *r = req_of(x);
	struct fc_cur cur;

	if (!r)
		return;
	fc_act_begin(x, &cur, floor_request_id(r), NULL);
	floor_request_release(r);
	fc_act_end(x, &cur, cur.taken ? NULL : r);
}

void fc_floor_request_query(const struct fc_ctx *x)
{
	struct floor_request *r = req_of(x);
	struct fc_snap s;

	if (!r)
		return;
	fc_snap_take(&s, r);
	fc_reply(x->cl, x->msg, frs_enc, &s);
}

struct list_arg {
	const struct participant *ben;   /* NULL: all */
	struct fc_snap snaps[FC_STATUS_MAX];
	struct floorctl_reqinfo ri[FC_STATUS_MAX];
	size_t n;
	uint16_t id;
	const char *name, *uri;
};

static bool list_h(struct floor_request *r, void *arg)
{
	struct list_arg *la = arg;

	if (la->ben && floor_request_beneficiary(r) != la->ben)
		return false;
	fc_snap_take(&la->snaps[la->n], r);
	fc_snap_info(&la->snaps[la->n], &la->ri[la->n], true);
	return ++la->n == FC_STATUS_MAX;
}

static int user_enc(struct mbuf *mb, const struct floorctl_hdr *h,
		    void *arg)
{
	const struct list_arg *la = arg;

	return floorctl_enc_user_status(mb, h, la->id, la->name, la->uri,
					la->ri, la->n);
}

void fc_user_query(const struct fc_ctx *x)
{
	const struct bfcp_attr *ben = bfcp_msg_attr(x->msg,
						    BFCP_BENEFICIARY_ID);
	struct list_arg *la = mem_zalloc(sizeof(*la), NULL);
	struct participant *u = x->p;

	if (!la)
		return;
	if (ben && ben->v.beneficiaryid != x->msg->userid) {
		if (!fc_is_chair(x->p)) {
			fc_error(x->cl, x->msg, BFCP_UNAUTH_OPERATION,
				 "other users: chairs only");
			goto out;
		}
		u = fc_find_user(x->c, ben->v.beneficiaryid);
		if (!u) {
			fc_error(x->cl, x->msg, BFCP_USER_NOT_EXIST, NULL);
			goto out;
		}
	}
	if (ben) {
		la->id = fc_user_id(u);
		la->name = part_display(u);
		la->uri = part_uri(u);
	}
	la->ben = u;
	(void)conf_apply_floor_requests(x->c, FLOOR_AUDIO, list_h, la);
	fc_reply(x->cl, x->msg, user_enc, la);
out:
	mem_deref(la);
}

static int floor_enc(struct mbuf *mb, const struct floorctl_hdr *h,
		     void *arg)
{
	const struct list_arg *la = arg;

	return floorctl_enc_floor_status(mb, h, la->id, la->ri, la->n);
}

/* FloorStatus of floorid (0: none) in c, into la */
static void floor_list(struct list_arg *la, const struct conf *c,
		       uint16_t floorid)
{
	memset(la, 0, sizeof(*la));
	la->id = floorid;
	if (floorid)
		(void)conf_apply_floor_requests(c, floorid, list_h, la);
}

void fc_floor_query(const struct fc_ctx *x)
{
	struct req_attrs ra = {0};
	struct list_arg *la;
	struct le *le;

	bfcp_msg_attr_apply(x->msg, floor_attr, &ra);
	if (ra.bad_floor) {
		fc_error(x->cl, x->msg, BFCP_INVALID_FLOOR_ID, NULL);
		return;
	}
	la = mem_zalloc(sizeof(*la), NULL);
	if (!la)
		return;
	/* the floors queried replace those queried before by this user */
	le = x->cl->tracks.head;
	while (le) {
		struct fc_track *t = le->data;

		le = le->next;
		if (t->watch && t->confid == x->msg->confid &&
		    t->userid == x->msg->userid && !ra.floors)
			mem_deref(t);
	}
	if (ra.floors)
		track(x->cl, x->msg, true, FLOOR_AUDIO);
	floor_list(la, x->c, ra.floors ? FLOOR_AUDIO : 0);
	fc_reply(x->cl, x->msg, floor_enc, la);
	mem_deref(la);
}

/* The request changed: its maker hears of it, watchers of its floor
 * soon (fc_floor_flush) */
void fc_floor_changed(struct floor_request *r, void *arg)
{
	struct floorctl *fc = arg;
	const struct participant *b = floor_request_beneficiary(r);
	struct fc_cur *cur = fc->cur;
	struct fc_snap s;
	uint32_t confid;
	uint16_t id = floor_request_id(r);
	struct le *le;

	if (!b || !part_conf(b))
		return;
	confid = conf_room(part_conf(b));
	fc_snap_take(&s, r);
	if (cur && cur->confid == confid && (cur->reqid ? cur->reqid == id :
	    (!cur->taken && b == cur->ben))) {
		cur->reqid = id;
		cur->taken = true;
		cur->snap = s;
	}
	for (le = fc->clients.head; le; le = le->next) {
		struct fc_client *cl = le->data;
		struct fc_track *t = fc_track_find(cl, true, confid,
						   s.floorid);

		if (t) {
			t->dirty = true;
			tmr_start(&fc->floor_tmr, 0, fc_floor_flush, fc);
		}
	}
	le = fc->clients.head;
	while (le) {
		struct fc_client *cl = le->data;
		struct fc_track *t = fc_track_find(cl, false, confid, id);
		struct floorctl_hdr h;
		struct floorctl_reqinfo ri;
		struct mbuf *mb;

		le = le->next;
		if (!t)
			continue;
		h = (struct floorctl_hdr){.ver = t->ver, .confid = confid,
			.tid = fc_next_tid(cl), .userid = t->userid};
		if (floor_status_final(s.status))
			mem_deref(t);
		if (cur && cur->taken && cur->cl == cl && cur->reqid == id)
			continue;       /* the response tells it */
		fc_snap_info(&s, &ri, false);
		mb = mbuf_alloc(256);
		if (mb && !floorctl_enc_frs(mb, &h, &ri)) {
			mb->pos = 0;
			(void)fc_notify(cl, mb, h.tid);
		}
		mem_deref(mb);
	}
}

static void flush_one(struct fc_client *cl, struct fc_track *t,
		      struct list_arg *la)
{
	struct floorctl *fc = cl->fc;
	struct conf *c = confs_lookup_room(fc->cs, t->confid);
	struct floorctl_hdr h = {.ver = t->ver, .confid = t->confid,
				 .userid = t->userid};
	struct mbuf *mb;

	t->dirty = false;
	if (!c)
		return;
	floor_list(la, c, t->id);
	h.tid = fc_next_tid(cl);
	mb = mbuf_alloc(512);
	if (mb && !floor_enc(mb, &h, la)) {
		mb->pos = 0;
		(void)fc_notify(cl, mb, h.tid);
	}
	mem_deref(mb);
}

/* One FloorStatus to each client whose floor changed since */
void fc_floor_flush(void *arg)
{
	struct floorctl *fc = arg;
	struct list_arg *la = mem_zalloc(sizeof(*la), NULL);
	struct le *le = fc->clients.head;

	if (!la)
		return;
	while (le) {
		struct fc_client *cl = le->data;

		le = le->next;
		mem_ref(cl);
		for (struct le *l2 = cl->tracks.head; l2 && !cl->closed;
		     l2 = l2->next) {
			struct fc_track *t = l2->data;

			if (t->watch && t->dirty)
				flush_one(cl, t, la);
		}
		/* a TCP client closed by a failed send left the list */
		mem_deref(cl);
	}
	mem_deref(la);
}
