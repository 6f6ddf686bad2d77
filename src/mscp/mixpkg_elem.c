/*
 * The elements of msc-mixer/1.0 that caucus takes (RFC 6505 s. 4), one
 * function each, with their attribute tables; the generic walking is
 * mixpkg.c. The order of children the schema gives is not enforced;
 * everything else of the shape is (a child twice where once is allowed,
 * an unknown child or attribute: 400). Signalling thread.
 */
#include <string.h>
#include <libxml/tree.h>
#include <re.h>
#include "mscp/mixpkg_int.h"

#define S(f) offsetof(struct mixpkg_stream, f)
static const struct aspec a_none[] = {END};
static const struct aspec a_create[] = {
	{"conferenceid", false, A_ID, C(id)},
	{"reserved-talkers", false, A_UINT, C(reserved_talkers)},
	{"reserved-listeners", false, A_UINT, C(reserved_listeners)}, END};
static const struct aspec a_modify[] = {
	{"conferenceid", true, A_ID, C(id)}, END};
static const struct aspec a_mixing[] = {
	{"type", false, A_MIXTYPE, 0}, {"n", false, A_UINT, C(n)}, END};
static const struct aspec a_tsub[] = {
	{"interval", false, A_UINT, C(sub_interval_s)}, END};
static const struct aspec a_join[] = {
	{"id1", true, A_ID, M(id1)}, {"id2", true, A_ID, M(id2)}, END};
static const struct aspec a_stream[] = {
	{"media", true, A_MEDIA, S(media)}, {"label", false, A_LABEL, S(label)},
	{"direction", false, A_DIR, S(dir)}, END};
static const struct aspec a_volume[] = {
	{"controltype", true, A_IGNORE, 0}, {"value", false, A_IGNORE, 0},
	END};
static const struct aspec a_audit[] = {
	{"capabilities", false, A_BOOL, M(capabilities)},
	{"mixers", false, A_BOOL, M(mixers)},
	{"mixerid", false, A_ID, M(mixerid)}, END};
static const struct aspec a_response[] = {
	{"status", true, A_STATUS, M(status)},
	{"reason", false, A_TEXT, M(reason)},
	{"desclang", false, A_IGNORE, 0},
	{"conferenceid", false, A_ID, C(id)},
	{"connectionid", false, A_ID, M(connid)}, END};
static const struct aspec a_aresponse[] = {
	{"status", true, A_STATUS, M(status)},
	{"reason", false, A_TEXT, M(reason)},
	{"desclang", false, A_IGNORE, 0}, END};
static const struct aspec a_confid[] = {
	{"conferenceid", true, A_ID, C(id)}, END};
static const struct aspec a_item_conn[] = {
	{"connectionid", true, A_ID, 0}, END};
static const struct aspec a_item_id[] = {{"id", true, A_ID, 0}, END};
static const struct aspec a_codec[] = {{"name", true, A_LABEL, 0}, END};
static const struct aspec a_unjoin_ev[] = {
	{"status", true, A_U16, M(status)},
	{"reason", false, A_TEXT, M(reason)},
	{"id1", true, A_ID, M(id1)}, {"id2", true, A_ID, M(id2)}, END};
static const struct aspec a_exit_ev[] = {
	{"conferenceid", true, A_ID, C(id)},
	{"status", true, A_U16, M(status)},
	{"reason", false, A_TEXT, M(reason)}, END};

/* n's children, each named child and carrying the attributes of spec,
 * one per row of rows (row bytes apart), at most max */
static bool items(struct px *x, const xmlNode *n, const char *child,
		  const struct aspec *spec, void *rows, size_t row,
		  unsigned max, unsigned *cnt)
{
	const xmlNode *k[MIXPKG_LIST_MAX + 1];
	unsigned nk;

	if (!mpx_kids(x, n, k, MIXPKG_LIST_MAX + 1, &nk))
		return false;
	if (nk > max)
		return mpx_fail(x, MIXPKG_SYNTAX, "too many", child);
	for (unsigned i = 0; i < nk; i++)
		if (!mpx_is(k[i], child))
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
				    (const char *)k[i]->name);
		else if (!mpx_attrs(x, k[i], spec, (uint8_t *)rows + i * row) ||
			 !mpx_no_kids(x, k[i]))
			return false;
	*cnt = nk;
	return true;
}

static bool mixing(struct px *x, const xmlNode *k)
{
	if (x->m->conf.mixing)
		return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
			    "audio-mixing");
	x->m->conf.mixing = true;
	return mpx_attrs(x, k, a_mixing, x->m) && mpx_no_kids(x, k);
}

/* <subscribe><active-talkers-sub interval=".."/></subscribe> */
static bool subscribe(struct px *x, const xmlNode *n)
{
	const xmlNode *k[1];
	unsigned cnt;

	if (!mpx_kids(x, n, k, 1, &cnt) || !mpx_attrs(x, n, a_none, NULL))
		return false;
	if (!cnt)
		return true;
	if (!mpx_is(k[0], "active-talkers-sub"))
		return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
			    (const char *)k[0]->name);
	x->m->conf.sub = true;
	x->m->conf.sub_interval_s = 3;
	return mpx_attrs(x, k[0], a_tsub, x->m) && mpx_no_kids(x, k[0]);
}

static bool conference(struct px *x, const xmlNode *n, bool create)
{
	const xmlNode *k[8];
	unsigned cnt;
	bool sub = false;

	if (!mpx_attrs(x, n, create ? a_create : a_modify, x->m) ||
	    !mpx_kids(x, n, k, 8, &cnt))
		return false;
	for (unsigned i = 0; i < cnt; i++) {
		if (mpx_is(k[i], "audio-mixing")) {
			if (!mixing(x, k[i]))
				return false;
		}
		else if (mpx_is(k[i], "subscribe") && !sub) {
			sub = true;
			if (!subscribe(x, k[i]))
				return false;
		}
		else {
			return mpx_unsupported(x, k[i]);
		}
	}
	return true;
}

static bool volume(struct px *x, const xmlNode *n, struct mixpkg_stream *st)
{
	xmlChar *ct, *v;
	uint32_t u;
	bool ok = true;

	if (!mpx_attrs(x, n, a_volume, NULL) || !mpx_no_kids(x, n))
		return false;
	ct = xmlGetProp(n, (const xmlChar *)"controltype");
	v = xmlGetProp(n, (const xmlChar *)"value");
	if (!strcmp((char *)ct, "setgain")) {
		const char *s = v ? (const char *)v : "";
		bool neg = *s == '-';

		if (*s == '-' || *s == '+')
			s++;
		if (!mpx_uint_value(s, &u) || u > MIXPKG_GAIN_MAX_DB)
			ok = mpx_fail(x, MIXPKG_SYNTAX, "setgain value is "
				      "whole dB from -96 to 96", NULL);
		st->vol = MIXPKG_VOL_GAIN;
		st->gain_db = neg ? -(int)u : (int)u;
	}
	else if (!strcmp((char *)ct, "setstate")) {
		if (v && !strcmp((char *)v, "mute"))
			st->vol = MIXPKG_VOL_MUTE;
		else if (v && !strcmp((char *)v, "unmute"))
			st->vol = MIXPKG_VOL_UNMUTE;
		else
			ok = mpx_fail(x, MIXPKG_SYNTAX, "setstate value is "
				      "mute or unmute", NULL);
	}
	else if (!strcmp((char *)ct, "automatic")) {
		ok = mpx_fail(x, MIXPKG_UNSUPPORTED, "volume controltype "
			  "automatic is not supported", NULL);
	}
	else {
		ok = mpx_fail(x, MIXPKG_SYNTAX, "not a controltype",
			      (char *)ct);
	}
	xmlFree(ct);
	xmlFree(v);
	return ok;
}

static bool stream(struct px *x, const xmlNode *n, struct mixpkg_stream *st)
{
	const xmlNode *k[2];
	unsigned cnt;

	if (!mpx_attrs(x, n, a_stream, st) || !mpx_kids(x, n, k, 2, &cnt))
		return false;
	for (unsigned i = 0; i < cnt; i++)
		if (!mpx_is(k[i], "volume") || i)
			return mpx_unsupported(x, k[i]);
		else if (!volume(x, k[i], st))
			return false;
	return true;
}

static bool join(struct px *x, const xmlNode *n, bool streams)
{
	const xmlNode *k[MIXPKG_STREAMS_MAX + 1];
	unsigned cnt;

	if (!mpx_attrs(x, n, a_join, x->m) ||
	    !mpx_kids(x, n, k, MIXPKG_STREAMS_MAX + 1, &cnt))
		return false;
	if (cnt && !streams)
		return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
			    (const char *)k[0]->name);
	if (cnt > MIXPKG_STREAMS_MAX)
		return mpx_fail(x, MIXPKG_SYNTAX, "too many", "stream");
	for (unsigned i = 0; i < cnt; i++)
		if (!mpx_is(k[i], "stream"))
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
				    (const char *)k[i]->name);
		else if (!stream(x, k[i], &x->m->streams[i]))
			return false;
	x->m->nstreams = cnt;
	return true;
}

static bool audit(struct px *x, const xmlNode *n)
{
	x->m->capabilities = x->m->mixers = true;
	return mpx_attrs(x, n, a_audit, x->m) && mpx_no_kids(x, n);
}

/* <capabilities><codecs><codec name=".."/>...</codecs></capabilities> */
static bool caps(struct px *x, const xmlNode *n)
{
	struct mixpkg_msg *m = x->m;
	const xmlNode *k[1];
	unsigned cnt;

	if (m->has_caps)
		return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
				"capabilities");
	m->has_caps = true;
	if (!mpx_attrs(x, n, a_none, NULL) || !mpx_kids(x, n, k, 1, &cnt))
		return false;
	if (!cnt)
		return true;
	if (!mpx_is(k[0], "codecs") || !mpx_attrs(x, k[0], a_none, NULL))
		return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
				(const char *)k[0]->name);
	return items(x, k[0], "codec", a_codec, m->codecs,
		     sizeof(m->codecs[0]), MIXPKG_CODECS_MAX, &m->ncodecs);
}

/* <conferenceaudit conferenceid=".."> with <audio-mixing> and
 * <participants><participant id=".."/>...</participants> */
static bool confaudit(struct px *x, const xmlNode *n)
{
	struct mixpkg_msg *m = x->m;
	const xmlNode *k[3];
	unsigned cnt;
	bool parts = false;

	if (m->has_conf)
		return mpx_fail(x, MIXPKG_UNSUPPORTED, "more than one "
				"conferenceaudit", NULL);
	m->has_conf = true;
	if (!mpx_attrs(x, n, a_confid, m) || !mpx_kids(x, n, k, 3, &cnt))
		return false;
	for (unsigned i = 0; i < cnt; i++) {
		if (mpx_is(k[i], "audio-mixing")) {
			if (!mixing(x, k[i]))
				return false;
		}
		else if (mpx_is(k[i], "participants") && !parts) {
			parts = true;
			if (!mpx_attrs(x, k[i], a_none, NULL) ||
			    !items(x, k[i], "participant", a_item_id, m->list,
				   sizeof(m->list[0]), MIXPKG_LIST_MAX,
				   &m->nlist))
				return false;
		}
		else {
			return mpx_unsupported(x, k[i]);
		}
	}
	return true;
}

static bool mixers(struct px *x, const xmlNode *n)
{
	struct mixpkg_msg *m = x->m;
	const xmlNode *k[MIXPKG_LIST_MAX + 2];
	unsigned cnt;

	if (!mpx_attrs(x, n, a_none, NULL) ||
	    !mpx_kids(x, n, k, MIXPKG_LIST_MAX + 2, &cnt))
		return false;
	for (unsigned i = 0; i < cnt; i++) {
		if (mpx_is(k[i], "conferenceaudit")) {
			if (!confaudit(x, k[i]))
				return false;
		}
		else if (mpx_is(k[i], "joinaudit") &&
			 m->njoins < MIXPKG_LIST_MAX) {
			struct mixpkg_msg j;
			struct px y = {.m = &j};

			memset(&j, 0, sizeof(j));
			if (!mpx_attrs(&y, k[i], a_join, &j) ||
			    !mpx_no_kids(&y, k[i]))
				return mpx_fail(x, y.code, j.reason, NULL);
			str_ncpy(m->joins[m->njoins][0], j.id1,
				 MIXPKG_ID_MAX + 1);
			str_ncpy(m->joins[m->njoins++][1], j.id2,
				 MIXPKG_ID_MAX + 1);
		}
		else {
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
					(const char *)k[i]->name);
		}
	}
	return true;
}

static bool auditresponse(struct px *x, const xmlNode *n)
{
	const xmlNode *k[2];
	unsigned cnt;
	bool mx = false;

	if (!mpx_attrs(x, n, a_aresponse, x->m) || !mpx_kids(x, n, k, 2, &cnt))
		return false;
	for (unsigned i = 0; i < cnt; i++) {
		if (mpx_is(k[i], "capabilities")) {
			if (!caps(x, k[i]))
				return false;
		}
		else if (mpx_is(k[i], "mixers") && !mx) {
			mx = true;
			if (!mixers(x, k[i]))
				return false;
		}
		else {
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
					(const char *)k[i]->name);
		}
	}
	return true;
}

static bool event(struct px *x, const xmlNode *n)
{
	struct mixpkg_msg *m = x->m;
	const xmlNode *k[1];
	unsigned cnt;

	if (!mpx_attrs(x, n, a_none, NULL) || !mpx_kids(x, n, k, 1, &cnt))
		return false;
	if (!cnt)
		return mpx_fail(x, MIXPKG_SYNTAX, "an event names one", NULL);
	if (mpx_is(k[0], "active-talkers-notify")) {
		m->ev = MIXPKG_EV_TALKERS;
		return mpx_attrs(x, k[0], a_confid, m) &&
			items(x, k[0], "active-talker", a_item_conn, m->list,
			      sizeof(m->list[0]), MIXPKG_LIST_MAX, &m->nlist);
	}
	if (mpx_is(k[0], "unjoin-notify")) {
		m->ev = MIXPKG_EV_UNJOIN;
		return mpx_attrs(x, k[0], a_unjoin_ev, m) &&
			mpx_no_kids(x, k[0]);
	}
	if (mpx_is(k[0], "conferenceexit")) {
		m->ev = MIXPKG_EV_CONFEXIT;
		return mpx_attrs(x, k[0], a_exit_ev, m) && mpx_no_kids(x, k[0]);
	}
	return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
			(const char *)k[0]->name);
}

bool mpx_request(struct px *x, const xmlNode *n)
{
	struct mixpkg_msg *m = x->m;

	if (mpx_is(n, "createconference")) {
		m->kind = MIXPKG_CREATE;
		return conference(x, n, true);
	}
	if (mpx_is(n, "modifyconference")) {
		m->kind = MIXPKG_MODIFYCONF;
		return conference(x, n, false);
	}
	if (mpx_is(n, "destroyconference")) {
		m->kind = MIXPKG_DESTROY;
		return mpx_attrs(x, n, a_modify, m) && mpx_no_kids(x, n);
	}
	if (mpx_is(n, "join") || mpx_is(n, "modifyjoin")) {
		m->kind = mpx_is(n, "join") ? MIXPKG_JOIN : MIXPKG_MODIFYJOIN;
		return join(x, n, true);
	}
	if (mpx_is(n, "unjoin")) {
		m->kind = MIXPKG_UNJOIN;
		return join(x, n, false);
	}
	if (mpx_is(n, "audit")) {
		m->kind = MIXPKG_AUDIT;
		return audit(x, n);
	}
	if (mpx_is(n, "response")) {
		m->kind = MIXPKG_RESPONSE;
		return mpx_attrs(x, n, a_response, m) && mpx_no_kids(x, n);
	}
	if (mpx_is(n, "auditresponse")) {
		m->kind = MIXPKG_AUDITRESPONSE;
		return auditresponse(x, n);
	}
	if (mpx_is(n, "event")) {
		m->kind = MIXPKG_EVENT;
		return event(x, n);
	}
	return mpx_fail(x, MIXPKG_SYNTAX, "unknown element",
			(const char *)n->name);
}
