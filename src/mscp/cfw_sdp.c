/*
 * The control channel's SDP offer and answer (cfw_sdp.h), with libre's
 * SDP API. libre adds a=sendrecv to the stream; harmless here (RFC 4145
 * streams have no direction). Only plain TCP: TCP/TLS is not covered
 * (docs/mscp.md). Signalling thread.
 */
#include <string.h>
#include <re.h>
#include "mscp/cfw_sdp.h"

/* cfw-id: a token we can put in a SYNC header and an SDP line */
static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!n || n > CFW_SDP_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return false;
	return true;
}

static int stream_new(struct sdp_session **sessp, struct sdp_media **mp,
		      const struct sa *laddr, uint16_t port)
{
	int err = sdp_session_alloc(sessp, laddr);

	if (!err)
		err = sdp_media_add(mp, *sessp, "application", port, "TCP");
	if (!err)
		err = sdp_format_add(NULL, *mp, false, "cfw", NULL, 0, 0,
				     NULL, NULL, NULL, false, NULL);
	return err;
}

static int lattrs(struct sdp_media *m, const char *setup, const char *id)
{
	int err = sdp_media_set_lattr(m, true, "setup", "%s", setup);

	err |= sdp_media_set_lattr(m, true, "connection", "new");
	err |= sdp_media_set_lattr(m, true, "cfw-id", "%s", id);
	return err;
}

int cfw_sdp_offer(struct sdp_session **sessp, struct mbuf **offerp,
		  const struct sa *laddr, const char *cfw_id)
{
	struct sdp_session *sess = NULL;
	struct sdp_media *m = NULL;
	int err;

	if (!sessp || !offerp || !laddr || !id_ok(cfw_id))
		return EINVAL;
	err = stream_new(&sess, &m, laddr, 9);
	if (!err)
		err = lattrs(m, "active", cfw_id);
	if (!err)
		err = sdp_encode(offerp, sess, true);
	if (err) {
		mem_deref(sess);
		return err;
	}
	*sessp = sess;
	return 0;
}

/* The first application stream of sess, when it is TCP cfw */
static struct sdp_media *cfw_stream(struct sdp_session *sess)
{
	struct le *le = list_head(sdp_session_medial(sess, false));
	struct sdp_media *m = le ? le->data : NULL;
	const struct sdp_format *f;

	if (!m)
		return NULL;
	/* (by its id: a format without rtpmap has no name to look up) */
	f = sdp_media_rformat(m, NULL);
	if (!f || !f->id || strcmp(f->id, "cfw") ||
	    !sa_isset(sdp_media_raddr(m), SA_ADDR))
		return NULL;
	return m;
}

int cfw_sdp_answer_read(struct sdp_session *sess, struct mbuf *answer,
			const char *cfw_id, struct sa *peer)
{
	struct sdp_media *m;
	const char *setup, *id;
	int err;

	if (!sess || !answer || !cfw_id || !peer)
		return EINVAL;
	err = sdp_decode(sess, answer, false);
	if (err)
		return EPROTO;
	m = cfw_stream(sess);
	if (!m)
		return EPROTO;
	setup = sdp_media_rattr(m, "setup");
	id = sdp_media_rattr(m, "cfw-id");
	if (!setup || strcmp(setup, "passive") || !id || strcmp(id, cfw_id) ||
	    !sa_port(sdp_media_raddr(m)))
		return EPROTO;
	*peer = *sdp_media_raddr(m);
	return 0;
}

int cfw_sdp_answer(struct mbuf **answerp, char *cfw_id, size_t idsz,
		   struct mbuf *offer, const struct sa *listen)
{
	struct sdp_session *sess = NULL;
	struct sdp_media *m = NULL;
	const char *setup, *conn, *id;
	int err;

	if (!answerp || !cfw_id || !idsz || !offer || !listen ||
	    !sa_port(listen))
		return EINVAL;
	err = stream_new(&sess, &m, listen, sa_port(listen));
	if (err)
		goto out;
	if (sdp_decode(sess, offer, true) || !cfw_stream(sess)) {
		err = EPROTO;
		goto out;
	}
	setup = sdp_media_rattr(m, "setup");
	conn = sdp_media_rattr(m, "connection");
	id = sdp_media_rattr(m, "cfw-id");
	if (!setup || (strcmp(setup, "active") && strcmp(setup, "actpass")) ||
	    (conn && strcmp(conn, "new")) || !id_ok(id) ||
	    strlen(id) >= idsz) {
		err = EPROTO;
		goto out;
	}
	str_ncpy(cfw_id, id, idsz);
	err = lattrs(m, "passive", id);
	if (!err)
		err = sdp_encode(answerp, sess, false);
 out:
	mem_deref(sess);
	return err;
}
