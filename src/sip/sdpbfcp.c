/*
 * BFCP in the SDP of a call (RFC 8856), for sdpneg.c: the focus is the
 * floor control server of the conference's floors, and a client that
 * offers a BFCP stream gets one, at most, to its server.
 *  - Offered: `m=application <port> TCP/BFCP *` or `UDP/BFCP *` that
 *    lets the offerer be a client (a=floorctrl with c-only or c-s, or no
 *    a=floorctrl: RFC 4583's default, offerer client and answerer
 *    server). We answer a=floorctrl:s-only, a=confid (the conference's
 *    conf_room), a=userid (the participant's id), a=floorid:1 (the
 *    audio floor) mstrm:<label> with a=label on our audio stream (the
 *    offer's label there, else "1"; neither while the audio is at port
 *    0), a=bfcpver when it was offered;
 *    over TCP we are passive (RFC 4145: the offer active or actpass, or
 *    silent, which means active) with a=connection new, or existing
 *    when the offer keeps the connection of a stream we had.
 *  - Port 0 for: BFCP off (no port), a second BFCP stream (libre gives
 *    the one local stream to the first; the others are unknown media),
 *    TCP/TLS/BFCP and UDP/TLS/BFCP (not ours: libre answers port 0 to a
 *    profile the stream does not list), an offerer that wants to be the
 *    server only, one that waits for us to connect (passive, holdconn),
 *    a bfcpver without the version of its transport (1 over TCP, 2 over
 *    UDP, RFC 8855 s. 5.1), no user id to give.
 *  - A re-offer keeps, adds or removes (port 0) the stream; ours repeat
 *    it as it stands (we never add one: our offers leave BFCP out).
 * The attributes are written just before each encode, so that a user id
 * known only after the offer was taken (call_in.c) is the one answered.
 * Signalling thread.
 */
#include <stdlib.h>
#include <string.h>
#include "conf/floor.h"
#include "sip/sdpneg.h"

static const char *const bfcp_attrs[] = {
	"floorctrl", "confid", "userid", "floorid", "bfcpver", "setup",
	"connection",
};

int sdpbfcp_media_add(struct sdp_media **mp, struct sdp_session *sess)
{
	int err;

	/* off (disabled) until negotiated: libre puts the enabled local
	 * streams into offers */
	err = sdp_media_add(mp, sess, "application", 0, "TCP/BFCP");
	err = err ? err : sdp_media_set_alt_protos(*mp, 2, "TCP/BFCP",
						   "UDP/BFCP");
	/* the format list is "*" (RFC 8856 s. 4): nothing for libre to
	 * align, our "*" answers theirs */
	err = err ? err : sdp_format_add(NULL, *mp, false, "*", NULL, 0, 0,
					 NULL, NULL, NULL, false, NULL);
	if (!err) {
		sdp_media_set_fmt_ignore(*mp, true);
		sdp_media_set_disabled(*mp, true);
	}
	return err;
}

/* BFCP's user ids are 16 bits (RFC 8855 s. 5.1), the SDP's 1*DIGIT */
static bool userid_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 5 || strspn(s, "0123456789") != n)
		return false;
	return strtoul(s, NULL, 10) <= 65535;
}

void sdpbfcp_set(struct sdpbfcp_state *st, struct sdp_media *m,
		 const struct sa *addr, uint16_t port, uint32_t confid,
		 const char *userid)
{
	struct sa laddr;

	/* an address of its own goes in a c= line of the stream */
	if (addr)
		laddr = *addr;
	else
		sa_init(&laddr, AF_INET);
	sa_set_port(&laddr, port);
	sdp_media_set_laddr(m, &laddr);
	st->port = port;
	st->confid = confid;
	if (userid_ok(userid))
		re_snprintf(st->userid, sizeof(st->userid), "%s", userid);
	else
		st->userid[0] = '\0';
}

/* Whether a space-separated list of words (an attribute's value) has
 * word w */
static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; p && *p; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (!strncmp(p, w, n) && (p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* An offerer that may be the client: c-only or c-s among its roles (RFC
 * 8856 s. 5.1), or no floorctrl at all */
static bool roles_ok(const struct sdp_media *m)
{
	const char *r = sdp_media_rattr(m, "floorctrl");

	return !r || has_word(r, "c-only") || has_word(r, "c-s");
}

/* Over TCP we listen: the offerer connects (RFC 4145 s. 4: no setup
 * attribute means active) */
static bool setup_ok(const struct sdp_media *m)
{
	const char *s = sdp_media_rattr(m, "setup");

	return !s || !strcmp(s, "active") || !strcmp(s, "actpass");
}

/* bfcpver (RFC 8856 s. 5.5): *ver the version of our transport when it
 * was offered (0 when no bfcpver was); false when it lists others only */
static bool version_ok(const struct sdp_media *m, bool udp, unsigned *ver)
{
	const char *v = sdp_media_rattr(m, "bfcpver");

	*ver = 0;
	if (!v)
		return true;
	if (!has_word(v, udp ? "2" : "1"))
		return false;
	*ver = udp ? 2 : 1;
	return true;
}

static bool star_offered(const struct sdp_media *m)
{
	const struct list *l = sdp_media_format_lst(m, false);

	for (struct le *le = list_head(l); le; le = le->next) {
		const struct sdp_format *f = le->data;

		if (f->id && !strcmp(f->id, "*"))
			return true;
	}
	return false;
}

/* RFC 4566 token characters, short enough for our buffer */
static bool label_ok(const char *s)
{
	static const char tok[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`{|}~";
	size_t n = s ? strlen(s) : 0;

	return n && n <= SDPBFCP_LABEL_MAX && strspn(s, tok) == n;
}

static void result_set(const struct sdpbfcp_state *st,
		       const struct sdp_media *m, struct sdpneg_result *res)
{
	res->bfcp = st->on;
	res->bfcp_udp = st->on && st->udp;
	if (st->on)
		res->bfcp_peer = *sdp_media_raddr(m);
	else
		sa_init(&res->bfcp_peer, AF_UNSPEC);
}

void sdpbfcp_take_offer(struct sdpbfcp_state *st, struct sdp_media *m,
			const struct sdp_media *audio,
			struct sdpneg_result *res)
{
	bool had_tcp = st->on && !st->udp;
	const char *conn = sdp_media_rattr(m, "connection");
	const char *label = sdp_media_rattr(audio, "label");
	bool udp;

	/* rport 0: not offered, removed, or another profile in its place */
	st->on = st->port && sdp_media_rport(m) && star_offered(m);
	udp = !strcmp(sdp_media_proto(m), "UDP/BFCP");
	st->on = st->on && roles_ok(m) && version_ok(m, udp, &st->ver) &&
		(udp || setup_ok(m));
	st->udp = udp;
	st->existing = st->on && !udp && had_tcp && conn &&
		!strcmp(conn, "existing");
	re_snprintf(st->label, sizeof(st->label), "%s",
		    label_ok(label) ? label : "1");
	sdp_media_set_disabled(m, !st->on);
	result_set(st, m, res);
}

void sdpbfcp_take_answer(struct sdpbfcp_state *st, struct sdp_media *m,
			 struct sdpneg_result *res)
{
	const char *r = sdp_media_rattr(m, "floorctrl");

	/* we offered it only as it stood: it stays unless they end it or
	 * would not be the client */
	st->on = st->on && sdp_media_rport(m) &&
		(!r || has_word(r, "c-only"));
	st->existing = st->on && !st->udp;
	sdp_media_set_disabled(m, !st->on);
	result_set(st, m, res);
}

int sdpbfcp_lines(struct sdpbfcp_state *st, struct sdp_media *m,
		  struct sdp_media *audio, bool answer)
{
	bool live;
	int err;

	for (size_t i = 0; i < sizeof(bfcp_attrs) / sizeof(bfcp_attrs[0]);
	     i++)
		sdp_media_del_lattr(m, bfcp_attrs[i]);
	sdp_media_del_lattr(audio, "label");
	if (st->on && !st->userid[0]) {     /* nobody to name: no floors */
		st->on = false;
		sdp_media_set_disabled(m, true);
	}
	if (!st->on)
		return 0;
	err = sdp_media_set_lattr(m, false, "floorctrl", "s-only");
	err = err ? err : sdp_media_set_lattr(m, false, "confid", "%u",
					      st->confid);
	err = err ? err : sdp_media_set_lattr(m, false, "userid", "%s",
					      st->userid);
	/* the floor is the audio's: named by its label while it has one
	 * (an audio stream at port 0 has no lines) */
	live = sdp_media_rport(audio) && !sdp_media_disabled(audio);
	err = err ? err : sdp_media_set_lattr(m, false, "floorid", "%u%s%s",
					      FLOOR_AUDIO,
					      live ? " mstrm:" : "",
					      live ? st->label : "");
	if (!err && st->ver)
		err = sdp_media_set_lattr(m, false, "bfcpver", "%u", st->ver);
	/* a re-offer of ours keeps the connection the answer made */
	if (!err && !st->udp)
		err = sdp_media_set_lattr(m, false, "setup", "passive");
	if (!err && !st->udp)
		err = sdp_media_set_lattr(m, false, "connection", "%s",
					  st->existing || !answer ?
					  "existing" : "new");
	if (!err && live)
		err = sdp_media_set_lattr(audio, false, "label", "%s",
					  st->label);
	return err;
}
