/*
 * The AS end of the media-server split (mscp.h): one control channel to
 * one mixer process. The focus INVITEs the mixer with our offer (a
 * control dialog, RFC 6230 s. 4), hands us the answer, and we connect
 * and SYNC; then each conference and join is a CONTROL of msc-mixer/1.0
 * (RFC 6505) printed by mixpkg_print.c, and the mixer's events come back
 * as CONTROLs we answer 200. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "mscp/cfw.h"
#include "mscp/cfw_sdp.h"
#include "mscp/mixpkg.h"
#include "mscp/mscp.h"
#include "util/log.h"

/* The channel's keep-alive (RFC 6230 s. 6.3.3): a mixer that went away
 * without closing its connection is found within one and a half times
 * this (cfw_chan.c) */
#define AS_KEEPALIVE_S 10
/* Talkers reported at most once a second (the roster's talking flags) */
#define AS_TALKERS_S 1

struct mscp_as {
	struct cfw_chan *ch;
	struct sdp_session *sdp;
	char id[CFW_SDP_ID_MAX + 1];       /* the cfw-id, the SYNC's
					    * Dialog-ID */
	struct mscp_as_handlers h;
	struct list reqs;                  /* struct as_req waiting */
	bool up;
};

/* What a request was about, for its answer */
struct as_req {
	struct le le;                      /* in as->reqs */
	struct mscp_as *as;
	enum mixpkg_kind kind;
	char id[MIXPKG_ID_MAX + 1];        /* the connection (a join) or the
					    * conference */
};

static void as_destructor(void *arg)
{
	struct mscp_as *as = arg;

	as->ch = mem_deref(as->ch);
	/* the channel's destructor drops its transactions silently */
	list_flush(&as->reqs);
	mem_deref(as->sdp);
}

static void req_destructor(void *arg)
{
	struct as_req *r = arg;

	list_unlink(&r->le);
}

static const char *kind_name(enum mixpkg_kind k)
{
	switch (k) {
	case MIXPKG_CREATE:     return "createconference";
	case MIXPKG_MODIFYCONF: return "modifyconference";
	case MIXPKG_DESTROY:    return "destroyconference";
	case MIXPKG_JOIN:       return "join";
	case MIXPKG_MODIFYJOIN: return "modifyjoin";
	case MIXPKG_UNJOIN:     return "unjoin";
	default:                return "request";
	}
}

static bool about_conn(enum mixpkg_kind k)
{
	return k == MIXPKG_JOIN || k == MIXPKG_MODIFYJOIN;
}

/* The mixer's answer to one of our requests */
static void resp_h(int err, const struct cfw_msg *msg, void *arg)
{
	struct as_req *r = arg;
	struct mixpkg_msg *m = NULL;
	uint16_t status = 0;
	const char *reason = "";

	/* 202 and REPORT updates: more to follow */
	if (!err && msg && ((!msg->req && msg->scode == CFW_ACCEPTED) ||
			    (msg->req && msg->status != CFW_ST_TERMINATE)))
		return;
	if (err) {
		status = 408;
		reason = "no answer from the mixer";
	}
	else if (!msg->req && msg->scode != CFW_OK) {
		status = msg->scode;
		reason = msg->reason ? msg->reason : cfw_reason(msg->scode);
	}
	else if (msg->blen) {
		m = mem_zalloc(sizeof(*m), NULL);
		if (!m)
			goto out;
		if (mixpkg_parse(m, msg->body, msg->blen) != MIXPKG_OK ||
		    m->kind != MIXPKG_RESPONSE) {
			status = 400;
			reason = "the mixer's answer is not a response";
		}
		else if (m->status != MIXPKG_OK) {
			status = m->status;
			reason = m->reason;
		}
	}
	if (status) {
		log_warn("mscp", "msg=\"mixer refused a request\" req=%s id=%s "
			 "status=%u reason=\"%s\"", kind_name(r->kind), r->id,
			 status, reason);
		if (about_conn(r->kind) && r->as->h.connh)
			r->as->h.connh(r->id, status, reason, r->as->h.arg);
	}
 out:
	mem_deref(m);
	mem_deref(r);
}

static int send_req(struct mscp_as *as, const struct mixpkg_msg *m,
		    const char *id)
{
	struct mbuf *mb;
	struct as_req *r;
	int err;

	if (!as || !as->up || !as->ch)
		return ENOTCONN;
	mb = mbuf_alloc(512);
	r = mem_zalloc(sizeof(*r), req_destructor);
	if (!mb || !r) {
		err = ENOMEM;
		goto out;
	}
	r->as = as;
	r->kind = m->kind;
	str_ncpy(r->id, id, sizeof(r->id));
	err = mixpkg_print(mb, m);
	err = err ? err : cfw_chan_control(as->ch, MIXPKG_NAME, MIXPKG_CTYPE,
					   mb->buf, mb->end, resp_h, r);
	if (!err) {
		list_append(&as->reqs, &r->le, r);
		r = NULL;           /* resp_h's now */
	}
 out:
	mem_deref(r);
	mem_deref(mb);
	return err;
}

/* An event of the mixer (a CONTROL to us): answered 200, passed on */
static void control_h(struct cfw_chan *ch, const struct cfw_msg *req,
		      void *arg)
{
	struct mscp_as *as = arg;
	struct mixpkg_msg *m = mem_zalloc(sizeof(*m), NULL);
	const char *ids[MIXPKG_LIST_MAX];
	uint16_t st;

	if (!m) {
		(void)cfw_chan_reply(ch, req->tid, CFW_NOT_UNDERSTOOD, 0, NULL,
				     NULL, 0);
		return;
	}
	st = mixpkg_parse(m, req->body, req->blen);
	if (st != MIXPKG_OK || m->kind != MIXPKG_EVENT) {
		/* the framework's answer to what the package refuses */
		(void)cfw_chan_reply(ch, req->tid, CFW_BAD_REQUEST, 0, NULL,
				     NULL, 0);
		log_info("mscp", "msg=\"mixer sent something not an event\" "
			 "status=%u reason=\"%s\"", st, m->reason);
		mem_deref(m);
		return;
	}
	(void)cfw_chan_reply(ch, req->tid, CFW_OK, 0, NULL, NULL, 0);
	switch (m->ev) {
	case MIXPKG_EV_TALKERS:
		for (unsigned i = 0; i < m->nlist; i++)
			ids[i] = m->list[i];
		if (as->h.talkersh)
			as->h.talkersh(m->conf.id, ids, m->nlist, as->h.arg);
		break;
	case MIXPKG_EV_UNJOIN:
		if (as->h.connh)
			as->h.connh(mixpkg_is_connid(m->id1) ? m->id1 : m->id2,
				    m->status, m->reason, as->h.arg);
		break;
	case MIXPKG_EV_CONFEXIT:
		log_info("mscp", "msg=\"mixer ended a conference\" conf=%s "
			 "status=%u reason=\"%s\"", m->conf.id, m->status,
			 m->reason);
		break;
	default:
		break;
	}
	mem_deref(m);
}

static void estab_h(struct cfw_chan *ch, void *arg)
{
	struct mscp_as *as = arg;

	(void)ch;
	as->up = true;
	if (as->h.estabh)
		as->h.estabh(as->h.arg);
}

static void close_h(struct cfw_chan *ch, int err, const char *why,
		    void *arg)
{
	struct mscp_as *as = arg;

	(void)ch;
	as->up = false;
	as->ch = mem_deref(as->ch);     /* cfw_chan_fail holds its own */
	if (as->h.closeh)
		as->h.closeh(err, why, as->h.arg);
}

int mscp_as_alloc(struct mscp_as **asp, const struct sa *laddr,
		  struct mbuf **offerp, const struct mscp_as_handlers *h)
{
	struct mscp_as *as;
	char a[CFW_TID_MAX + 1], b[CFW_TID_MAX + 1];
	int err;

	if (!asp || !laddr || !offerp || !h)
		return EINVAL;
	as = mem_zalloc(sizeof(*as), as_destructor);
	if (!as)
		return ENOMEM;
	as->h = *h;
	cfw_tid_new(a);
	cfw_tid_new(b);
	re_snprintf(as->id, sizeof(as->id), "%s%s", a, b);
	err = cfw_sdp_offer(&as->sdp, offerp, laddr, as->id);
	if (err)
		mem_deref(as);
	else
		*asp = as;
	return err;
}

int mscp_as_answer(struct mscp_as *as, struct mbuf *answer)
{
	struct cfw_chan_cfg cfg = {.packages = MIXPKG_NAME,
				   .keepalive_s = AS_KEEPALIVE_S};
	struct cfw_handlers h = {.estabh = estab_h, .controlh = control_h,
				 .closeh = close_h};
	struct sa peer;
	int err;

	if (!as || !answer || as->ch)
		return EINVAL;
	err = cfw_sdp_answer_read(as->sdp, answer, as->id, &peer);
	if (err)
		return err;
	cfg.dialog_id = as->id;
	h.arg = as;
	return cfw_chan_connect(&as->ch, &peer, &cfg, &h);
}

bool mscp_as_up(const struct mscp_as *as)
{
	return as && as->up;
}

static int conf_req(struct mscp_as *as, enum mixpkg_kind kind,
		    const char *confid, unsigned n)
{
	struct mixpkg_msg *m;
	int err;

	if (!confid || !confid[0] || strlen(confid) > MIXPKG_ID_MAX)
		return EINVAL;
	m = mem_zalloc(sizeof(*m), NULL);
	if (!m)
		return ENOMEM;
	m->kind = kind;
	str_ncpy(m->conf.id, confid, sizeof(m->conf.id));
	if (kind != MIXPKG_DESTROY) {
		m->conf.mixing = n > 0;
		m->conf.n = n;
		m->conf.sub = true;
		m->conf.sub_interval_s = AS_TALKERS_S;
	}
	err = send_req(as, m, confid);
	mem_deref(m);
	return err;
}

int mscp_as_conf_create(struct mscp_as *as, const char *confid, unsigned n)
{
	return conf_req(as, MIXPKG_CREATE, confid, n);
}

int mscp_as_conf_modify(struct mscp_as *as, const char *confid, unsigned n)
{
	return conf_req(as, MIXPKG_MODIFYCONF, confid, n);
}

int mscp_as_conf_destroy(struct mscp_as *as, const char *confid)
{
	return conf_req(as, MIXPKG_DESTROY, confid, 0);
}

static int clamp_db(int db)
{
	return db < MIXPKG_GAIN_MIN_DB ? MIXPKG_GAIN_MIN_DB :
		db > MIXPKG_GAIN_MAX_DB ? MIXPKG_GAIN_MAX_DB : db;
}

/* One audio stream each way (RFC 6505 s. 4.2.2.2): sendonly is what the
 * connection says into the conference, recvonly what it hears; each with
 * its gain, or muted */
static void stream_set(struct mixpkg_stream *s, enum mixpkg_dir dir,
		       bool mute, int gain_db)
{
	str_ncpy(s->media, "audio", sizeof(s->media));
	s->dir = dir;
	s->vol = mute ? MIXPKG_VOL_MUTE : MIXPKG_VOL_GAIN;
	s->gain_db = mute ? 0 : clamp_db(gain_db);
}

static int join_req(struct mscp_as *as, enum mixpkg_kind kind,
		    const char *connid, const char *confid,
		    const struct mscp_join *j)
{
	struct mixpkg_msg *m;
	int err;

	if (!connid || !confid || !mixpkg_is_connid(connid) ||
	    strlen(confid) > MIXPKG_ID_MAX)
		return EINVAL;
	m = mem_zalloc(sizeof(*m), NULL);
	if (!m)
		return ENOMEM;
	m->kind = kind;
	str_ncpy(m->id1, connid, sizeof(m->id1));
	str_ncpy(m->id2, confid, sizeof(m->id2));
	if (j) {
		stream_set(&m->streams[0], MIXPKG_SENDONLY, j->muted,
			   j->gain_in_db);
		stream_set(&m->streams[1], MIXPKG_RECVONLY, j->deaf,
			   j->gain_out_db);
		m->nstreams = 2;
	}
	err = send_req(as, m, connid);
	mem_deref(m);
	return err;
}

int mscp_as_join(struct mscp_as *as, const char *connid, const char *confid,
		 const struct mscp_join *j)
{
	return j ? join_req(as, MIXPKG_JOIN, connid, confid, j) : EINVAL;
}

int mscp_as_modifyjoin(struct mscp_as *as, const char *connid,
		       const char *confid, const struct mscp_join *j)
{
	return j ? join_req(as, MIXPKG_MODIFYJOIN, connid, confid, j) : EINVAL;
}

int mscp_as_unjoin(struct mscp_as *as, const char *connid,
		   const char *confid)
{
	return join_req(as, MIXPKG_UNJOIN, connid, confid, NULL);
}
