/*
 * The mixer role's media connections (ms_ua.h): an INVITE from the
 * focus with an audio offer becomes one SIP dialog and one mixer stream
 * on a port pair of its own, parked in a home room of its own until the
 * focus joins it to a conference over the control channel (mscp_ms.c).
 *
 * - The focus keeps connections ready before it knows their callers: its
 *   first offer names c=IN IP4 0.0.0.0 and port 9. Taken as it is: no
 *   destination, nothing sent, no RTP timeout, until a re-INVITE names
 *   the caller's address, codec and direction (mscp_ms_conn_update then:
 *   the package's mute, deaf, gains and K stay).
 * - A connection's id (RFC 6230 s. 5) is "<focus's tag>:<our tag>",
 *   From and To of the dialog; libre says our tag only on the ACK, so the
 *   connection is registered with the executor in the estab handler. A
 *   join the focus sends between our 200 and its ACK is refused 412; the
 *   focus retries it.
 * - The sockets stay ours, the mixer gets copies: a join into a room on
 *   another mixer thread makes the stream again there from the same port
 *   (ms_conn_rehome), as the dial-in lobby's move does (call_move.c).
 * - Plain RTP only (sdpneg without security): RTP flows between the
 *   caller and the mixer, SRTP there would need the caller's keys
 *   relayed by the focus; not covered yet (docs/mscp.md).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "mixer/mixer.h"
#include "sip/ms_ua.h"
#include "sip/sdpneg.h"
#include "util/log.h"

struct ms_conn {
	struct le le;                 /* in ua->conns */
	struct le he;                 /* in ua->streams */
	struct ms_ua *ua;
	struct sipsess *sess;
	struct sdpneg *sdp;
	struct sdpneg_result neg;
	int fd[2];                    /* RTP, RTCP: the mixer has copies */
	uint16_t lport;
	uint32_t room;                /* its home room */
	uint32_t stream;              /* 0: none yet */
	uint32_t tx_ssrc;
	char id[MSCP_ID_MAX + 1];     /* "" until the ACK */
	bool registered;              /* with the executor */
	uint64_t rx_packets, tx_packets;
	uint32_t rx_lost;
	uint64_t rx_last_ms;          /* RTP last grew, or media changed */
};

static void conn_destructor(void *arg)
{
	struct ms_conn *c = arg;
	struct focus *f = c->ua->f;

	if (c->registered)
		(void)mscp_ms_conn_remove(c->ua->ms, c->id);
	if (c->stream)
		(void)mixer_stream_remove(f->mixer, c->stream);
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	hash_unlink(&c->he);
	list_unlink(&c->le);
	/* an established session sends BYE as it goes */
	mem_deref(c->sess);
	mem_deref(c->sdp);
	if (f->stats.calls_active)
		f->stats.calls_active--;
}

/* The mixer's settings from the latest negotiation (the same as a
 * call's): mute, deaf, gains and K are the package's (the executor sets
 * them) */
static void media_fill(struct mixer_media *m, const struct ms_conn *c)
{
	sdpneg_mixer_media(m, &c->neg);
	m->tx_ssrc = c->tx_ssrc;
}

/* A stream in room from copies of the connection's sockets */
static int stream_add(struct ms_conn *c, uint32_t room,
		      const struct mixer_media *m, uint32_t *idp)
{
	int fd[2] = {dup(c->fd[0]), dup(c->fd[1])};
	int err = fd[0] < 0 || fd[1] < 0 ? EMFILE : 0;

	err = err ? err : mixer_stream_add(c->ua->f->mixer, room, fd[0],
					   fd[1], m, idp);
	if (err) {
		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0)
				close(fd[i]);
	}
	return err;
}

/* Ended by us: BYE with why */
static void conn_fail(struct ms_conn *c, uint16_t code, const char *why)
{
	(void)sipsess_set_close_headers(c->sess, "Reason: SIP;cause=%u;"
					"text=\"%s\"\r\n", code, why);
	mem_deref(c);
}

/* A new negotiation (re-INVITE): the executor keeps the package's
 * settings on top; not registered yet, it stays parked */
static void media_changed(struct ms_conn *c)
{
	struct mixer_media m;
	int err;

	c->rx_last_ms = tmr_jiffies();
	media_fill(&m, c);
	if (c->registered) {
		err = mscp_ms_conn_update(c->ua->ms, c->id, &m);
	}
	else {
		m.muted = m.deaf = true;
		err = mixer_stream_update(c->ua->f->mixer, c->stream, &m);
	}
	if (err)
		log_warn("sip", "msg=\"mixer update failed\" conn=%s err=%m",
			 c->id, err);
	else
		log_dbg("sip", "msg=\"media connection updated\" conn=%s "
			 "remote=%J codec=%s dir=%s", c->id, &c->neg.rtp,
			 media_codec_name(c->neg.codec), c->neg.dir);
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg,
		   void *arg)
{
	struct ms_conn *c = arg;
	const char *reason = NULL;
	int err;

	(void)focus_dialog_follow_conn(sipsess_dialog(c->sess), msg);
	if (!mbuf_get_left(msg->mb))        /* re-INVITE without SDP */
		return sdpneg_offer(c->sdp, descp);
	err = sdpneg_reanswer(c->sdp, msg->mb, descp, &c->neg, &reason);
	if (err) {
		log_info("sip", "msg=\"re-INVITE refused\" conn=%s "
			 "reason=\"%s\"", c->id, reason);
		return err;
	}
	media_changed(c);
	return 0;
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct ms_conn *c = arg;
	const char *reason = NULL;
	int err;

	err = sdpneg_handle_answer(c->sdp, msg->mb, &c->neg, &reason, true);
	if (err) {
		log_info("sip", "msg=\"bad SDP answer\" conn=%s reason=\"%s\"",
			 c->id, reason);
		return err;
	}
	media_changed(c);
	return 0;
}

/* The ACK: both tags known, the connection has its id */
static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct ms_conn *c = arg;
	struct mixer_media m;
	int err;

	re_snprintf(c->id, sizeof(c->id), "%r:%r", &msg->from.tag,
		    &msg->to.tag);
	c->rx_last_ms = tmr_jiffies();
	media_fill(&m, c);
	err = mscp_ms_conn_add(c->ua->ms, c->id, c->stream, c->room, &m);
	if (err) {
		log_warn("sip", "msg=\"media connection not registered\" "
			 "conn=%s err=%m", c->id, err);
		conn_fail(c, 500, "connection not registered");
		return;
	}
	c->registered = true;
	log_dbg("sip", "msg=\"media connection\" conn=%s port=%u stream=%u "
		 "remote=%J", c->id, c->lport, c->stream, &c->neg.rtp);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct ms_conn *c = arg;

	/* a peer's BYE arrives as ECONNRESET: a normal end */
	log_info("sip", "msg=\"media connection ended\" conn=%s err=%d "
		 "code=%u", c->id, err == ECONNRESET ? 0 : err,
		 msg ? msg->scode : 0);
	mem_deref(c);
}

/* An offer we cannot take: the answer says why */
static void refuse_offer(struct focus *f, const struct sip_msg *msg,
			 int err, const char *reason)
{
	if (err == EBADMSG)
		focus_reply(f, msg, 400, "Bad Request (malformed SDP)", NULL);
	else if (err == ENOMEM)
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
	else
		focus_reply(f, msg, 488, reason ? reason :
			    "Not Acceptable Here",
			    "Warning: 305 caucus \"Incompatible media "
			    "format\"\r\n");
}

/* Its port pair, the answer to the offer (desc), its stream parked in
 * a home room of its own. 0, or answered with the reason. */
static int conn_media(struct ms_conn *c, const struct sip_msg *msg,
		      struct mbuf **descp)
{
	struct ms_ua *ua = c->ua;
	struct focus *f = ua->f;
	const char *reason = NULL;
	struct mixer_media m;
	int err;

	err = rtp_ports_alloc(f, &c->fd[0], &c->fd[1], &c->lport);
	if (err) {
		/* the port range bounds the connections a mixer takes */
		log_warn("sip", "msg=\"no free RTP port pair\" range=%u-%u",
			 f->rtp_min, f->rtp_max);
		focus_reply(f, msg, 503, "Service Unavailable (no free RTP "
			    "ports on this mixer)", "Retry-After: 10\r\n");
		return err;
	}
	err = sdpneg_alloc(&c->sdp, &f->rtp_laddr, c->lport, NULL);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return err;
	}
	err = sdpneg_answer(c->sdp, msg->mb, descp, &c->neg, &reason);
	if (err) {
		refuse_offer(f, msg, err, reason);
		return err;
	}
	c->room = ua->next_room++;
	if (ua->next_room < MS_ROOM_HOME)          /* wrapped */
		ua->next_room = MS_ROOM_HOME;
	media_fill(&m, c);
	m.muted = m.deaf = true;    /* parked (the executor keeps it so) */
	err = stream_add(c, c->room, &m, &c->stream);
	if (err) {
		log_warn("sip", "msg=\"mixer refused stream\" err=%m", err);
		focus_reply(f, msg, 503, "Service Unavailable (the mixer "
			    "cannot take the stream)", "Retry-After: 5\r\n");
		return err;
	}
	hash_append(ua->streams, c->stream, &c->he, c);
	return 0;
}

void ms_conn_accept(struct ms_ua *ua, const struct sip_msg *msg)
{
	struct focus *f = ua->f;
	struct ms_conn *c = mem_zalloc(sizeof(*c), conn_destructor);
	struct mbuf *desc = NULL;
	int err;

	if (!c) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return;
	}
	c->ua = ua;
	c->fd[0] = c->fd[1] = -1;
	c->tx_ssrc = rand_u32() | 1;          /* never 0 */
	f->stats.calls_active++;
	err = conn_media(c, msg, &desc);
	if (err)
		goto out;
	c->rx_last_ms = tmr_jiffies();
	err = sipsess_accept(&c->sess, f->sock, msg, 200, "OK", MS_CUSER,
			     "application/sdp", desc, NULL, NULL, false,
			     offer_h, answer_h, estab_h, NULL, NULL, close_h,
			     c, "%s", MS_HDRS);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		goto out;
	}
	(void)focus_dialog_follow_conn(sipsess_dialog(c->sess), msg);
	list_append(&ua->conns, &c->le, c);
 out:
	if (err)
		mem_deref(c);
	mem_deref(desc);
}

static bool stream_cmp(struct le *le, void *arg)
{
	return ((struct ms_conn *)le->data)->stream == *(uint32_t *)arg;
}

/* RTP timeout (call_watch.c's rtp_check): a connection that has the
 * caller's address and should get its RTP, and got none for the
 * configured time, lost its caller without a BYE; the focus hears of it
 * by ours. Pool connections (no address yet) never time out. */
void ms_conn_stats(struct ms_ua *ua, uint32_t stream,
		   const struct mixer_stream_stats *st)
{
	struct ms_conn *c = list_ledata(hash_lookup(ua->streams, stream,
						    stream_cmp, &stream));
	struct focus *f = ua->f;
	uint64_t now = tmr_jiffies(), limit = f->rtp_timeout_ms;

	if (!c)
		return;
	/* totals for /metrics: what moved since the last report */
	if (st->rx_packets > c->rx_packets)
		f->stats.rtp_rx += st->rx_packets - c->rx_packets;
	if (st->tx_packets > c->tx_packets)
		f->stats.rtp_tx += st->tx_packets - c->tx_packets;
	if (st->rx_lost > c->rx_lost)
		f->stats.rtp_lost += st->rx_lost - c->rx_lost;
	c->tx_packets = st->tx_packets;
	c->rx_lost = st->rx_lost;
	if (st->rx_packets != c->rx_packets) {
		c->rx_packets = st->rx_packets;
		c->rx_last_ms = now;
		return;
	}
	if (!limit || !c->registered || !c->neg.recv ||
	    !sa_isset(&c->neg.rtp, SA_ADDR) || now - c->rx_last_ms < limit)
		return;
	log_info("sip", "msg=\"RTP timeout, ending the connection\" conn=%s "
		 "remote=%J silent_ms=%llu", c->id, &c->neg.rtp,
		 (unsigned long long)(now - c->rx_last_ms));
	conn_fail(c, 408, "no RTP");
}

static struct ms_conn *conn_find(const struct ms_ua *ua, const char *id)
{
	struct le *le;

	LIST_FOREACH(&ua->conns, le) {
		struct ms_conn *c = le->data;

		if (c->registered && !strcmp(c->id, id))
			return c;
	}
	return NULL;
}

/* The stream again in room (another mixer thread), from the same
 * sockets, with a new SSRC: a fresh sequence from the old one would
 * look like a jump to the caller's jitter buffer and loss counters
 * (call_move.c does the same) */
int ms_conn_rehome(const char *connid, uint32_t room,
		   const struct mixer_media *m, uint32_t *idp, void *arg)
{
	struct ms_ua *ua = arg;
	struct ms_conn *c = conn_find(ua, connid);
	struct mixer_media mm;
	uint32_t id = 0;
	int err;

	if (!c || !m || !idp)
		return ENOENT;
	mm = *m;
	mm.tx_ssrc = rand_u32() | 1;
	err = stream_add(c, room, &mm, &id);
	if (err)
		return err;
	(void)mixer_stream_remove(ua->f->mixer, c->stream);
	hash_unlink(&c->he);
	c->stream = id;
	c->tx_ssrc = mm.tx_ssrc;
	hash_append(ua->streams, id, &c->he, c);
	/* the new stream's counters start at 0 */
	c->rx_packets = c->tx_packets = 0;
	c->rx_lost = 0;
	c->rx_last_ms = tmr_jiffies();
	*idp = id;
	return 0;
}

void ms_conn_close_all(struct ms_ua *ua)
{
	struct le *le;

	while ((le = list_head(&ua->conns)))
		mem_deref(le->data);
}
