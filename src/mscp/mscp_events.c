/*
 * The executor's dispatch of a request (and its CONTROL body in and out),
 * audit, and what goes to the AS unasked: active-talkers-notify from the
 * mixer's talking events, unjoin-notify when a connection's dialog ends.
 *
 * active-talkers-notify (RFC 6505 s. 4.2.1.3): a conference created
 * with <active-talkers-sub interval="s"> gets one when its set of
 * talkers changed, at most one per interval; the first change after a
 * quiet interval goes at once, later ones wait for the interval's end.
 * The set may be empty (everyone stopped).
 *
 * Signalling thread only (the mixer's events arrive there through its
 * eventfd).
 */
#include <string.h>
#include <re.h>
#include "mscp/mscp_mixer_int.h"
#include "util/log.h"

/* What the MS mixes: the codecs of media/ (audit capabilities) */
static const char *const codecs[] = {"PCMU", "PCMA", "G722", "opus"};

static void talkers_send(struct mscp_conf *cf)
{
	struct mscp_mixer *ex = cf->ex;
	struct mixpkg_msg *ev = mem_zalloc(sizeof(*ev), NULL);
	struct le *le;

	cf->dirty = false;
	cf->last_ms = tmr_jiffies();
	if (!ev)
		return;
	ev->kind = MIXPKG_EVENT;
	ev->ev = MIXPKG_EV_TALKERS;
	str_ncpy(ev->conf.id, cf->id, sizeof(ev->conf.id));
	LIST_FOREACH(&ex->conns, le) {
		const struct mscp_conn *c = le->data;

		if (c->conf == cf && c->talking && ev->nlist < MIXPKG_LIST_MAX)
			str_ncpy(ev->list[ev->nlist++], c->id,
				 sizeof(ev->list[0]));
	}
	mscp_emit(ex, ev);
	mem_deref(ev);
}

static void talkers_tmr(void *arg)
{
	struct mscp_conf *cf = arg;

	if (cf->dirty)
		talkers_send(cf);
}

static void talkers_changed(struct mscp_conf *cf)
{
	uint64_t now = tmr_jiffies();
	uint64_t every = (uint64_t)cf->cfg.sub_interval_s * 1000;

	if (!cf->cfg.sub)
		return;
	cf->dirty = true;
	if (tmr_isrunning(&cf->tmr))
		return;
	if (!cf->last_ms || now - cf->last_ms >= every)
		talkers_send(cf);
	else
		tmr_start(&cf->tmr, cf->last_ms + every - now, talkers_tmr,
			  cf);
}

void mscp_mixer_event(struct mscp_mixer *ex, const struct mixer_event *ev)
{
	struct le *le;

	if (!ex || !ev || ev->type != MIXER_EV_TALKING)
		return;
	LIST_FOREACH(&ex->conns, le) {
		struct mscp_conn *c = le->data;

		if (c->stream != ev->stream_id)
			continue;
		if (c->conf && c->talking != ev->talking) {
			c->talking = ev->talking;
			talkers_changed(c->conf);
		}
		return;
	}
}

int mscp_mixer_conn_remove(struct mscp_mixer *ex, const char *connid)
{
	struct mscp_conn *c = ex && connid ? mscp_conn_find(ex, connid) : NULL;

	if (!c)
		return ENOENT;
	if (c->conf) {
		struct mscp_conf *cf = c->conf;
		bool talked = c->talking;

		c->conf = NULL;
		mscp_emit_unjoin(ex, c, cf, MIXPKG_EXIT_NETWORK,
				 "the connection ended");
		if (talked)
			talkers_changed(cf);
	}
	mem_deref(c);
	return 0;
}

static uint16_t do_audit(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			 struct mixpkg_msg *resp, const char **why)
{
	const struct mscp_conf *cf = NULL;
	struct le *le;

	if (req->mixerid[0]) {
		cf = mscp_conf_find(ex, req->mixerid);
		if (!cf) {
			*why = "no such conference";
			return MIXPKG_NO_CONF;
		}
	}
	resp->kind = MIXPKG_AUDITRESPONSE;
	if (req->capabilities) {
		resp->has_caps = true;
		for (size_t i = 0; i < ARRAY_SIZE(codecs); i++)
			str_ncpy(resp->codecs[resp->ncodecs++], codecs[i],
				 sizeof(resp->codecs[0]));
	}
	if (!req->mixers)
		return MIXPKG_OK;
	if (cf) {
		resp->has_conf = true;
		resp->conf = cf->cfg;
		str_ncpy(resp->conf.id, cf->id, sizeof(resp->conf.id));
		resp->conf.reserved_talkers = resp->conf.reserved_listeners = 0;
		resp->conf.sub = false;
		resp->conf.sub_interval_s = 0;
	}
	LIST_FOREACH(&ex->conns, le) {
		const struct mscp_conn *c = le->data;

		if (!c->conf || (cf && c->conf != cf))
			continue;
		if (cf && resp->nlist < MIXPKG_LIST_MAX)
			str_ncpy(resp->list[resp->nlist++], c->id,
				 sizeof(resp->list[0]));
		if (resp->njoins >= MIXPKG_LIST_MAX) {
			*why = "too many joins for one audit";
			return MIXPKG_UNSUPPORTED;
		}
		str_ncpy(resp->joins[resp->njoins][0], c->id,
			 sizeof(resp->joins[0][0]));
		str_ncpy(resp->joins[resp->njoins++][1], c->conf->id,
			 sizeof(resp->joins[0][1]));
	}
	return MIXPKG_OK;
}

void mscp_mixer_exec(struct mscp_mixer *ex, const struct mixpkg_msg *req,
		     struct mixpkg_msg *resp)
{
	const char *why = NULL;
	uint16_t st;

	memset(resp, 0, sizeof(*resp));
	resp->kind = MIXPKG_RESPONSE;
	switch (req->kind) {
	case MIXPKG_CREATE:
		st = mscp_do_create(ex, req, resp, &why);
		break;
	case MIXPKG_MODIFYCONF:
		st = mscp_do_modify(ex, req, &why);
		break;
	case MIXPKG_DESTROY:
		st = mscp_do_destroy(ex, req, &why);
		break;
	case MIXPKG_JOIN:
	case MIXPKG_MODIFYJOIN:
	case MIXPKG_UNJOIN:
		st = mscp_do_join(ex, req, &why);
		break;
	case MIXPKG_AUDIT:
		st = do_audit(ex, req, resp, &why);
		break;
	default:
		st = MIXPKG_SYNTAX;
		why = "not a request";
		break;
	}
	if (st != MIXPKG_OK) {
		enum mixpkg_kind kind = req->kind == MIXPKG_AUDIT ?
			MIXPKG_AUDITRESPONSE : MIXPKG_RESPONSE;

		mixpkg_response(resp, st, why);
		resp->kind = kind;
		return;
	}
	resp->status = MIXPKG_OK;
	if (req->kind == MIXPKG_DESTROY)
		str_ncpy(resp->conf.id, req->conf.id, sizeof(resp->conf.id));
}

int mscp_mixer_control(struct mscp_mixer *ex, const void *body, size_t len,
		       struct mbuf *out)
{
	struct mixpkg_msg *req = mem_zalloc(sizeof(*req), NULL);
	struct mixpkg_msg *resp = mem_zalloc(sizeof(*resp), NULL);
	uint16_t st;
	int err;

	if (!req || !resp) {
		err = ENOMEM;
		goto out;
	}
	st = mixpkg_parse(req, body, len);
	if (st != MIXPKG_OK) {
		log_dbg("mscp", "msg=\"mixer request refused\" status=%u "
			"why=\"%s\"", st, req->reason);
		mixpkg_response(resp, st, req->reason);
	}
	else {
		mscp_mixer_exec(ex, req, resp);
	}
	err = mixpkg_print(out, resp);
 out:
	mem_deref(req);
	mem_deref(resp);
	return err;
}
