/*
 * Printing msc-mixer/1.0 documents (RFC 6505) from struct mixpkg_msg:
 * canonical (two-space indent, attributes in the schema's order, values
 * escaped, optional attributes left out at their defaults), so that a
 * document parsed, printed and parsed again is equal to the first parse.
 * Signalling thread (no state).
 */
#include <string.h>
#include <re.h>
#include "mscp/mixpkg.h"

static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly",
				   "inactive"};

/* ` name="value"` with the value escaped for an attribute */
static int attr(struct mbuf *mb, const char *name, const char *v)
{
	int err = mbuf_printf(mb, " %s=\"", name);

	for (; !err && *v; v++) {
		switch (*v) {
		case '&': err = mbuf_write_str(mb, "&amp;"); break;
		case '<': err = mbuf_write_str(mb, "&lt;"); break;
		case '>': err = mbuf_write_str(mb, "&gt;"); break;
		case '"': err = mbuf_write_str(mb, "&quot;"); break;
		case '\'': err = mbuf_write_str(mb, "&apos;"); break;
		/* kept as they are: a raw one would be read as a space
		 * (attribute value normalisation, XML 1.0 s. 3.3.3) */
		case '\t': err = mbuf_write_str(mb, "&#9;"); break;
		case '\n': err = mbuf_write_str(mb, "&#10;"); break;
		case '\r': err = mbuf_write_str(mb, "&#13;"); break;
		default: err = mbuf_write_u8(mb, (uint8_t)*v); break;
		}
	}
	return err ? err : mbuf_write_str(mb, "\"");
}

static int attr_opt(struct mbuf *mb, const char *name, const char *v)
{
	return *v ? attr(mb, name, v) : 0;
}

static int attr_u(struct mbuf *mb, const char *name, uint32_t v)
{
	return mbuf_printf(mb, " %s=\"%u\"", name, v);
}

static int mixing(struct mbuf *mb, const struct mixpkg_conf *c,
		  const char *ind)
{
	if (!c->mixing)
		return 0;
	return mbuf_printf(mb, "%s<audio-mixing type=\"nbest\" n=\"%u\"/>\n",
			   ind, c->n);
}

static int conference(struct mbuf *mb, const struct mixpkg_msg *m,
		      const char *name)
{
	const struct mixpkg_conf *c = &m->conf;
	int err = mbuf_printf(mb, "  <%s", name);

	err |= attr_opt(mb, "conferenceid", c->id);
	if (c->reserved_talkers)
		err |= attr_u(mb, "reserved-talkers", c->reserved_talkers);
	if (c->reserved_listeners)
		err |= attr_u(mb, "reserved-listeners", c->reserved_listeners);
	if (!c->mixing && !c->sub)
		return err | mbuf_write_str(mb, "/>\n");
	err |= mbuf_write_str(mb, ">\n");
	err |= mixing(mb, c, "    ");
	if (c->sub)
		err |= mbuf_printf(mb, "    <subscribe>\n      "
				   "<active-talkers-sub interval=\"%u\"/>\n"
				   "    </subscribe>\n", c->sub_interval_s);
	return err | mbuf_printf(mb, "  </%s>\n", name);
}

static int stream(struct mbuf *mb, const struct mixpkg_stream *s)
{
	int err = mbuf_write_str(mb, "    <stream");

	err |= attr(mb, "media", s->media);
	err |= attr_opt(mb, "label", s->label);
	if (s->dir != MIXPKG_SENDRECV)
		err |= attr(mb, "direction", dirs[s->dir]);
	switch (s->vol) {
	case MIXPKG_VOL_GAIN:
		return err | mbuf_printf(mb, ">\n      <volume controltype="
					 "\"setgain\" value=\"%d\"/>\n"
					 "    </stream>\n", s->gain_db);
	case MIXPKG_VOL_MUTE:
	case MIXPKG_VOL_UNMUTE:
		return err | mbuf_printf(mb, ">\n      <volume controltype="
					 "\"setstate\" value=\"%s\"/>\n"
					 "    </stream>\n", s->vol ==
					 MIXPKG_VOL_MUTE ? "mute" : "unmute");
	default:
		return err | mbuf_write_str(mb, "/>\n");
	}
}

static int join(struct mbuf *mb, const struct mixpkg_msg *m,
		const char *name)
{
	int err = mbuf_printf(mb, "  <%s", name);

	err |= attr(mb, "id1", m->id1);
	err |= attr(mb, "id2", m->id2);
	if (!m->nstreams)
		return err | mbuf_write_str(mb, "/>\n");
	err |= mbuf_write_str(mb, ">\n");
	for (unsigned i = 0; i < m->nstreams; i++)
		err |= stream(mb, &m->streams[i]);
	return err | mbuf_printf(mb, "  </%s>\n", name);
}

static int status(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err = attr_u(mb, "status", m->status);

	return err | attr_opt(mb, "reason", m->reason);
}

static int list(struct mbuf *mb, const struct mixpkg_msg *m,
		const char *item, const char *aname, const char *ind)
{
	int err = 0;

	for (unsigned i = 0; i < m->nlist; i++) {
		err |= mbuf_printf(mb, "%s<%s", ind, item);
		err |= attr(mb, aname, m->list[i]);
		err |= mbuf_write_str(mb, "/>\n");
	}
	return err;
}

static int confaudit(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err = mbuf_write_str(mb, "      <conferenceaudit");

	err |= attr(mb, "conferenceid", m->conf.id);
	err |= mbuf_write_str(mb, ">\n");
	err |= mixing(mb, &m->conf, "        ");
	if (m->nlist) {
		err |= mbuf_write_str(mb, "        <participants>\n");
		err |= list(mb, m, "participant", "id", "          ");
		err |= mbuf_write_str(mb, "        </participants>\n");
	}
	return err | mbuf_write_str(mb, "      </conferenceaudit>\n");
}

static int auditresponse(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err = mbuf_write_str(mb, "  <auditresponse");

	err |= status(mb, m);
	if (!m->has_caps && !m->has_conf && !m->njoins)
		return err | mbuf_write_str(mb, "/>\n");
	err |= mbuf_write_str(mb, ">\n");
	if (m->has_caps) {
		err |= mbuf_write_str(mb, "    <capabilities>\n");
		if (m->ncodecs)
			err |= mbuf_write_str(mb, "      <codecs>\n");
		for (unsigned i = 0; i < m->ncodecs; i++) {
			err |= mbuf_write_str(mb, "        <codec");
			err |= attr(mb, "name", m->codecs[i]);
			err |= mbuf_write_str(mb, "/>\n");
		}
		if (m->ncodecs)
			err |= mbuf_write_str(mb, "      </codecs>\n");
		err |= mbuf_write_str(mb, "    </capabilities>\n");
	}
	if (m->has_conf || m->njoins) {
		err |= mbuf_write_str(mb, "    <mixers>\n");
		if (m->has_conf)
			err |= confaudit(mb, m);
		for (unsigned i = 0; i < m->njoins; i++) {
			err |= mbuf_write_str(mb, "      <joinaudit");
			err |= attr(mb, "id1", m->joins[i][0]);
			err |= attr(mb, "id2", m->joins[i][1]);
			err |= mbuf_write_str(mb, "/>\n");
		}
		err |= mbuf_write_str(mb, "    </mixers>\n");
	}
	return err | mbuf_write_str(mb, "  </auditresponse>\n");
}

static int event(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err = mbuf_write_str(mb, "  <event>\n");

	switch (m->ev) {
	case MIXPKG_EV_TALKERS:
		err |= mbuf_write_str(mb, "    <active-talkers-notify");
		err |= attr(mb, "conferenceid", m->conf.id);
		if (!m->nlist) {
			err |= mbuf_write_str(mb, "/>\n");
			break;
		}
		err |= mbuf_write_str(mb, ">\n");
		err |= list(mb, m, "active-talker", "connectionid", "      ");
		err |= mbuf_write_str(mb, "    </active-talkers-notify>\n");
		break;
	case MIXPKG_EV_UNJOIN:
		err |= mbuf_write_str(mb, "    <unjoin-notify");
		err |= status(mb, m);
		err |= attr(mb, "id1", m->id1);
		err |= attr(mb, "id2", m->id2);
		err |= mbuf_write_str(mb, "/>\n");
		break;
	case MIXPKG_EV_CONFEXIT:
		err |= mbuf_write_str(mb, "    <conferenceexit");
		err |= attr(mb, "conferenceid", m->conf.id);
		err |= status(mb, m);
		err |= mbuf_write_str(mb, "/>\n");
		break;
	default:
		return EINVAL;
	}
	return err | mbuf_write_str(mb, "  </event>\n");
}

static int body(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err = 0;

	switch (m->kind) {
	case MIXPKG_CREATE:
		return conference(mb, m, "createconference");
	case MIXPKG_MODIFYCONF:
		return conference(mb, m, "modifyconference");
	case MIXPKG_DESTROY:
		err = mbuf_write_str(mb, "  <destroyconference");
		err |= attr(mb, "conferenceid", m->conf.id);
		return err | mbuf_write_str(mb, "/>\n");
	case MIXPKG_JOIN:
		return join(mb, m, "join");
	case MIXPKG_MODIFYJOIN:
		return join(mb, m, "modifyjoin");
	case MIXPKG_UNJOIN:
		return join(mb, m, "unjoin");
	case MIXPKG_AUDIT:
		err = mbuf_write_str(mb, "  <audit");
		if (!m->capabilities)
			err |= attr(mb, "capabilities", "false");
		if (!m->mixers)
			err |= attr(mb, "mixers", "false");
		err |= attr_opt(mb, "mixerid", m->mixerid);
		return err | mbuf_write_str(mb, "/>\n");
	case MIXPKG_RESPONSE:
		err = mbuf_write_str(mb, "  <response");
		err |= status(mb, m);
		err |= attr_opt(mb, "conferenceid", m->conf.id);
		err |= attr_opt(mb, "connectionid", m->connid);
		return err | mbuf_write_str(mb, "/>\n");
	case MIXPKG_AUDITRESPONSE:
		return auditresponse(mb, m);
	case MIXPKG_EVENT:
		return event(mb, m);
	default:
		return EINVAL;
	}
}

int mixpkg_print(struct mbuf *mb, const struct mixpkg_msg *m)
{
	int err;

	if (!mb || !m)
		return EINVAL;
	err = mbuf_write_str(mb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<mscmixer version=\"1.0\" xmlns=\"" MIXPKG_NS
			     "\">\n");
	err |= body(mb, m);
	return err ? (err == EINVAL ? EINVAL : ENOMEM) :
		mbuf_write_str(mb, "</mscmixer>\n");
}
