/*
 * msc-mixer/1.0 requests carried out on caucus's mixer (mscp_mixer.h).
 *
 * A registered connection's stream is parked at once (muted and deaf
 * in its home room). Every request is checked whole first (the
 * conference and connection exist, the streams make sense, K fits) and
 * only then applied, so a refusal changes nothing. The mixer is
 * commanded by its public API only: mixer_stream_update (settings: the
 * room's K, mute, deaf, gains) then mixer_stream_move (into the
 * conference's room, or back home); the two go down one SPSC queue in
 * that order, so a stream never sits in a room with the wrong K. A
 * move the mixer refuses because the room is on another of its threads
 * (EXDEV) is done by the SIP side instead (rehomeh: the stream made
 * again there, its new id recorded here).
 *
 * Directions are from id1's side (RFC 6505 s. 4.2.2): with the
 * connection as id1, sendonly means it is heard and hears nothing
 * (deaf), recvonly that it hears and is not heard (muted). A <volume>
 * applies to the stream's own flow: id1 to id2 for sendrecv and
 * sendonly (gain_in_db, setstate mute), id2 to id1 for recvonly
 * (gain_out_db, setstate mute = deaf). Two audio streams, one sendonly
 * and one recvonly, set each way apart. Video is refused (422).
 *
 * Lists, not hashes: an MS holds tens of conferences per AS and the
 * control plane is not per packet. Signalling thread only.
 */
#include <string.h>
#include <re.h>
#include "mscp/mscp_mixer_int.h"
#include "util/log.h"

static void conf_destructor(void *arg)
{
	struct mscp_conf *c = arg;

	tmr_cancel(&c->tmr);
	list_unlink(&c->le);
}

static void conn_destructor(void *arg)
{
	list_unlink(&((struct mscp_conn *)arg)->le);
}

static void ex_destructor(void *arg)
{
	struct mscp_mixer *ex = arg;

	list_flush(&ex->confs);
	list_flush(&ex->conns);
}

int mscp_mixer_alloc(struct mscp_mixer **exp,
		     const struct mscp_mixer_cfg *cfg)
{
	struct mscp_mixer *ex;

	if (!exp || !cfg || !cfg->mx)
		return EINVAL;
	ex = mem_zalloc(sizeof(*ex), ex_destructor);
	if (!ex)
		return ENOMEM;
	ex->mx = cfg->mx;
	ex->next_room = cfg->room_base;
	ex->eh = cfg->eh;
	ex->rehomeh = cfg->rehomeh;
	ex->arg = cfg->arg;
	*exp = ex;
	return 0;
}

struct mscp_conf *mscp_conf_find(const struct mscp_mixer *ex,
				 const char *id)
{
	struct le *le;

	LIST_FOREACH(&ex->confs, le) {
		struct mscp_conf *c = le->data;

		if (!strcmp(c->id, id))
			return c;
	}
	return NULL;
}

struct mscp_conn *mscp_conn_find(const struct mscp_mixer *ex,
				 const char *id)
{
	struct le *le;

	LIST_FOREACH(&ex->conns, le) {
		struct mscp_conn *c = le->data;

		if (!strcmp(c->id, id))
			return c;
	}
	return NULL;
}

/* The stream's settings for where it is: joined (the conference's K,
 * the join's directions and gains) or parked (muted and deaf), on top
 * of the media its SIP side negotiated (base) */
static void conn_media(struct mixer_media *m, const struct mscp_conn *c,
		       const struct mscp_conf *cf, const struct join_cfg *j)
{
	*m = c->base;
	if (cf) {
		m->room_speakers = (uint8_t)cf->cfg.n;
		m->muted = c->base.muted || !j->in || j->mute_in;
		m->deaf = c->base.deaf || !j->out || j->mute_out;
		m->gain_in_db = j->gain_in_db;
		m->gain_out_db = j->gain_out_db;
	}
	else {
		/* parked: nothing in, and nothing sent either, so that the
		 * first RTP the caller gets comes from the stream in its
		 * conference (a rehomed one starts a sequence of its own) */
		m->room_speakers = 0;
		m->muted = m->deaf = true;
		m->send = false;
	}
}

static int conn_apply(struct mscp_mixer *ex, struct mscp_conn *c,
		      struct mscp_conf *cf, const struct join_cfg *j)
{
	struct mixer_media m;

	conn_media(&m, c, cf, j);
	return mixer_stream_update(ex->mx, c->stream, &m);
}

int mscp_mixer_conn_add(struct mscp_mixer *ex, const char *connid,
			uint32_t stream, uint32_t home_room,
			const struct mixer_media *m)
{
	struct mscp_conn *c;
	int err;

	if (!ex || !connid || !m || strlen(connid) > MIXPKG_ID_MAX ||
	    !mixpkg_is_connid(connid))
		return EINVAL;
	if (mscp_conn_find(ex, connid))
		return EEXIST;
	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c)
		return ENOMEM;
	str_ncpy(c->id, connid, sizeof(c->id));
	c->stream = stream;
	c->home_room = home_room;
	c->base = *m;
	/* parked until joined: neither heard nor hearing */
	err = conn_apply(ex, c, NULL, NULL);
	if (err) {
		mem_deref(c);
		return err;
	}
	list_append(&ex->conns, &c->le, c);
	return 0;
}

int mscp_mixer_conn_update(struct mscp_mixer *ex, const char *connid,
			   const struct mixer_media *m)
{
	struct mscp_conn *c = ex && connid && m ?
		mscp_conn_find(ex, connid) : NULL;

	if (!c)
		return ENOENT;
	c->base = *m;
	return conn_apply(ex, c, c->conf, &c->j);
}

void mscp_emit(struct mscp_mixer *ex, const struct mixpkg_msg *ev)
{
	if (ex->eh)
		ex->eh(ev, ex->arg);
}

void mscp_emit_unjoin(struct mscp_mixer *ex, const struct mscp_conn *c,
		      const struct mscp_conf *cf, uint16_t status,
		      const char *why)
{
	struct mixpkg_msg *ev = mem_zalloc(sizeof(*ev), NULL);

	if (!ev)
		return;
	ev->kind = MIXPKG_EVENT;
	ev->ev = MIXPKG_EV_UNJOIN;
	ev->status = status;
	str_ncpy(ev->reason, why, sizeof(ev->reason));
	str_ncpy(ev->id1, c->id, sizeof(ev->id1));
	str_ncpy(ev->id2, cf->id, sizeof(ev->id2));
	mscp_emit(ex, ev);
	mem_deref(ev);
}

/* A parked connection's home room and a conference's room may be on two
 * mixer threads, and the mixer moves a stream only within its thread:
 * its SIP side makes it again in the room (m: its settings there) */
static int conn_rehome(struct mscp_mixer *ex, struct mscp_conn *c,
		       uint32_t room, const struct mixer_media *m)
{
	uint32_t id = 0;
	int err;

	if (!ex->rehomeh)
		return EXDEV;
	/* the old stream sends nothing more (the join's settings went to
	 * it first): the caller hears only the new one */
	(void)conn_apply(ex, c, NULL, NULL);
	err = ex->rehomeh(c->id, room, m, &id, ex->arg);
	if (err)
		return err;
	log_info("mscp", "msg=\"connection made again on another mixer "
		 "thread\" conn=%s room=%u stream=%u new_stream=%u", c->id,
		 room, c->stream, id);
	c->stream = id;
	return 0;
}

int mscp_conn_join(struct mscp_mixer *ex, struct mscp_conn *c,
		   struct mscp_conf *cf, const struct join_cfg *j)
{
	uint32_t room = cf ? cf->room : c->home_room;
	struct mixer_media m;
	int err;

	conn_media(&m, c, cf, j);
	err = mixer_stream_update(ex->mx, c->stream, &m);
	if (!err && c->conf != cf)
		err = mixer_stream_move(ex->mx, c->stream, room);
	if (err == EXDEV)
		err = conn_rehome(ex, c, room, &m);
	if (err) {
		log_warn("mscp", "msg=\"mixer refused\" conn=%s err=%m",
			 c->id, err);
		/* the settings of where it still is */
		(void)conn_apply(ex, c, c->conf, &c->j);
		return err;
	}
	c->conf = cf;
	c->j = *j;
	if (!cf)
		c->talking = false;
	return 0;
}

/* Reads a join's streams (id1 is the connection when conn_first) */
static uint16_t join_cfg(const struct mixpkg_msg *req, bool conn_first,
			 struct join_cfg *j, const char **why)
{
	bool seen[4] = {false};

	memset(j, 0, sizeof(*j));
	j->in = j->out = true;
	for (unsigned i = 0; i < req->nstreams; i++) {
		const struct mixpkg_stream *s = &req->streams[i];
		enum mixpkg_dir d = s->dir;
		bool in_flow;

		if (strcmp(s->media, "audio")) {
			*why = "only audio is mixed here";
			return MIXPKG_UNSUP_STREAMS;
		}
		/* seen from the connection's side */
		if (!conn_first && d == MIXPKG_SENDONLY)
			d = MIXPKG_RECVONLY;
		else if (!conn_first && d == MIXPKG_RECVONLY)
			d = MIXPKG_SENDONLY;
		if (seen[d] || (req->nstreams > 1 && (d == MIXPKG_SENDRECV ||
						      d == MIXPKG_INACTIVE))) {
			*why = "two audio streams are one sendonly and one "
				"recvonly";
			return MIXPKG_BAD_STREAMS;
		}
		seen[d] = true;
		if (req->nstreams == 1) {
			j->in = d == MIXPKG_SENDRECV || d == MIXPKG_SENDONLY;
			j->out = d == MIXPKG_SENDRECV || d == MIXPKG_RECVONLY;
		}
		in_flow = d != MIXPKG_RECVONLY;
		if (s->vol == MIXPKG_VOL_GAIN) {
			if (in_flow)
				j->gain_in_db = s->gain_db;
			else
				j->gain_out_db = s->gain_db;
		}
		else if (s->vol != MIXPKG_VOL_NONE) {
			bool mute = s->vol == MIXPKG_VOL_MUTE;

			if (in_flow)
				j->mute_in = mute;
			else
				j->mute_out = mute;
		}
	}
	return MIXPKG_OK;
}

/* Which of id1 and id2 is the conference, which the connection */
static uint16_t parties(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			struct mscp_conf **cfp, struct mscp_conn **cp,
			bool *conn_first, const char **why)
{
	*conn_first = !mscp_conf_find(ex, req->id1);
	*cfp = mscp_conf_find(ex, *conn_first ? req->id2 : req->id1);
	*cp = mscp_conn_find(ex, *conn_first ? req->id1 : req->id2);
	if (*conn_first && !*cfp && mixpkg_is_connid(req->id2)) {
		*why = "connections are joined to conferences only";
		return MIXPKG_UNSUPPORTED;
	}
	if (!*cfp) {
		*why = "no such conference";
		return MIXPKG_NO_CONF;
	}
	if (!*cp) {
		*why = "no such connection";
		return MIXPKG_NO_CONN;
	}
	return MIXPKG_OK;
}

uint16_t mscp_do_join(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			const char **why)
{
	struct mscp_conf *cf;
	struct mscp_conn *c;
	struct join_cfg j;
	bool first;
	uint16_t st = parties(ex, req, &cf, &c, &first, why);

	if (st != MIXPKG_OK)
		return st;
	if (req->kind == MIXPKG_JOIN && c->conf) {
		*why = c->conf == cf ? "already joined" :
			"joined to another conference";
		return MIXPKG_JOINED;
	}
	if (req->kind != MIXPKG_JOIN && c->conf != cf) {
		*why = "not joined";
		return MIXPKG_NOT_JOINED;
	}
	if (req->kind == MIXPKG_UNJOIN) {
		memset(&j, 0, sizeof(j));
		cf = NULL;
	}
	else {
		st = join_cfg(req, first, &j, why);
		if (st != MIXPKG_OK)
			return st;
	}
	if (mscp_conn_join(ex, c, cf, &j)) {
		*why = "the mixer refused";
		return MIXPKG_EXEC;
	}
	return MIXPKG_OK;
}

static uint16_t conf_cfg_check(const struct mixpkg_conf *cfg,
			       const char **why)
{
	if (cfg->mixing && cfg->n > MIXER_MAX_SPEAKERS) {
		*why = "n is at most 16";
		return MIXPKG_AUDIO_MIX;
	}
	if (cfg->sub && !cfg->sub_interval_s) {
		*why = "active-talkers-sub interval is at least 1 s";
		return MIXPKG_UNSUPPORTED;
	}
	return MIXPKG_OK;
}

uint16_t mscp_do_create(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			  struct mixpkg_msg *resp, const char **why)
{
	struct mscp_conf *c;
	uint16_t st = conf_cfg_check(&req->conf, why);

	if (st != MIXPKG_OK)
		return st;
	if (req->conf.id[0] && mscp_conf_find(ex, req->conf.id)) {
		*why = "conference exists";
		return MIXPKG_CONF_EXISTS;
	}
	c = mem_zalloc(sizeof(*c), conf_destructor);
	if (!c) {
		*why = "out of memory";
		return MIXPKG_EXEC;
	}
	c->ex = ex;
	c->cfg = req->conf;
	tmr_init(&c->tmr);
	if (req->conf.id[0])
		str_ncpy(c->id, req->conf.id, sizeof(c->id));
	else
		do
			re_snprintf(c->id, sizeof(c->id), "conf%u",
				    ++ex->next_conf);
		while (mscp_conf_find(ex, c->id));
	c->room = ex->next_room++;
	list_append(&ex->confs, &c->le, c);
	str_ncpy(resp->conf.id, c->id, sizeof(resp->conf.id));
	log_info("mscp", "msg=\"conference created\" conf=%s room=%u n=%u",
		 c->id, c->room, c->cfg.n);
	return MIXPKG_OK;
}

static void conf_members(struct mscp_mixer *ex, struct mscp_conf *cf,
			 bool unjoin)
{
	struct le *le = list_head(&ex->conns);

	while (le) {
		struct mscp_conn *c = le->data;

		le = le->next;
		if (c->conf != cf)
			continue;
		if (unjoin) {
			struct join_cfg j = {0};

			(void)mscp_conn_join(ex, c, NULL, &j);
			/* (out of the conference even if the mixer said
			 * no: the conference goes) */
			c->conf = NULL;
			c->talking = false;
			mscp_emit_unjoin(ex, c, cf, MIXPKG_EXIT_REQUESTED,
					 "conference destroyed");
		}
		else {
			(void)mscp_conn_join(ex, c, cf, &c->j);
		}
	}
}

uint16_t mscp_do_modify(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			  const char **why)
{
	struct mscp_conf *cf = mscp_conf_find(ex, req->conf.id);
	uint16_t st = conf_cfg_check(&req->conf, why);

	if (st != MIXPKG_OK)
		return st;
	if (!cf) {
		*why = "no such conference";
		return MIXPKG_NO_CONF;
	}
	if (req->conf.mixing) {
		cf->cfg.mixing = true;
		cf->cfg.n = req->conf.n;
	}
	if (req->conf.sub) {
		cf->cfg.sub = true;
		cf->cfg.sub_interval_s = req->conf.sub_interval_s;
	}
	conf_members(ex, cf, false);
	return MIXPKG_OK;
}

uint16_t mscp_do_destroy(struct mscp_mixer *ex,
			 const struct mixpkg_msg *req, const char **why)
{
	struct mscp_conf *cf = mscp_conf_find(ex, req->conf.id);
	struct mixpkg_msg *ev;

	if (!cf) {
		*why = "no such conference";
		return MIXPKG_NO_CONF;
	}
	conf_members(ex, cf, true);
	ev = mem_zalloc(sizeof(*ev), NULL);
	if (ev) {
		ev->kind = MIXPKG_EVENT;
		ev->ev = MIXPKG_EV_CONFEXIT;
		ev->status = MIXPKG_EXIT_REQUESTED;
		str_ncpy(ev->conf.id, cf->id, sizeof(ev->conf.id));
		str_ncpy(ev->reason, "destroyconference", sizeof(ev->reason));
		mscp_emit(ex, ev);
		mem_deref(ev);
	}
	log_info("mscp", "msg=\"conference destroyed\" conf=%s", cf->id);
	mem_deref(cf);
	return MIXPKG_OK;
}
