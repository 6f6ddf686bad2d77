/*
 * The MS end of the media-server split (src/mscp/mscp_ms.c, mscp.h) over
 * real loopback TCP with a real mixer: the focus's side is a raw control
 * channel of cfw.h (as mscp_as.c would open it), the connections are
 * mixer streams on loopback UDP as the mixer role's SIP side adds them.
 *   - a control dialog's offer and answer; a SYNC with its Dialog-ID is
 *     taken, one with another (or for a dialog that has its channel, or
 *     that ended) refused 481; the dialog's end closes the channel;
 *   - createconference and the joins of two connections; a talker's
 *     tone gives an active-talkers-notify CONTROL on that channel; a
 *     muted join stays muted through mscp_ms_conn_update (which takes
 *     the new destination); the dialog's end destroys the conference and
 *     parks its connections (nothing heard); a channel that closes does
 *     the same;
 *   - with two mixer threads, a join into a room on the other thread
 *     goes through rehome (refused 419 when that fails) and the two
 *     hear each other.
 * Levels by Goertzel on the decoded G.711 (rtp_peer.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "mscp/cfw.h"
#include "mscp/cfw_sdp.h"
#include "mscp/mixpkg.h"
#include "mscp/mscp.h"
#include "rtp_peer.h"

#define HEAD "<mscmixer version=\"1.0\" " \
	"xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
#define TAIL "</mscmixer>"
#define NL 2

struct leg {
	const char *connid;
	int fd[2];                     /* the mixer side's (it gets dups) */
	int peer, peer2;               /* the caller, and its new address */
	struct sockaddr_in mix_addr, peer_addr, peer2_addr;
	double freq, amp;
	uint32_t id;
	uint8_t last[40][PEER_FRAME];  /* what reached peer */
	uint8_t last2[40][PEER_FRAME]; /* what reached peer2 */
};

static struct leg legs[NL] = {
	{.connid = "fa:ma", .freq = 400, .amp = 12000},
	{.connid = "fb:mb", .freq = 700, .amp = 12000},
};

static struct mixer *mx;
static struct mscp_ms *ms;

/* the focus's side of one channel */
static struct {
	struct cfw_chan *ch;
	bool up, closed;
	int close_err;
	char why[128];
	/* the answer to our last CONTROL */
	bool answered;
	uint16_t code, status;
	char conf[MIXPKG_ID_MAX + 1];
	/* the mixer's events */
	unsigned talkers_events, unjoins, exits;
	unsigned unjoins_at_answer;    /* when the last answer came */
	struct mixpkg_msg last_talkers;
} as;

static bool rehome_ok;
static unsigned rehomes;

static struct tmr poll_tmr, stop_tmr, pump_tmr;
static bool (*pred)(void);

static void poll_h(void *arg)
{
	(void)arg;
	if (pred && pred())
		re_cancel();
	else
		tmr_start(&poll_tmr, 2, poll_h, NULL);
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* The loop until p() holds or ms passed (p NULL: ms); whether it held */
static bool run(bool (*p)(void), unsigned ms_)
{
	pred = p;
	tmr_start(&stop_tmr, ms_, stop_h, NULL);
	tmr_start(&poll_tmr, 0, poll_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&stop_tmr);
	tmr_cancel(&poll_tmr);
	return !p || p();
}

static bool as_settled(void) { return as.up || as.closed; }
static bool as_closed(void) { return as.closed; }
static bool as_answered(void) { return as.answered; }

static void mixer_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	mscp_ms_event(ms, ev);
}

/* --- the focus's channel --- */

static void as_estab_h(struct cfw_chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	as.up = true;
}

static void as_close_h(struct cfw_chan *ch, int err, const char *why,
		       void *arg)
{
	(void)ch;
	(void)arg;
	as.closed = true;
	as.up = false;
	as.close_err = err;
	str_ncpy(as.why, why ? why : "", sizeof(as.why));
}

/* The mixer's events: each a valid document of the package */
static void as_control_h(struct cfw_chan *ch, const struct cfw_msg *req,
			 void *arg)
{
	struct mixpkg_msg *ev = mem_zalloc(sizeof(*ev), NULL);

	(void)arg;
	assert_string_equal(cfw_msg_hdr(req, CFW_H_CONTROL_PACKAGE),
			    MIXPKG_NAME);
	assert_string_equal(cfw_msg_hdr(req, CFW_H_CONTENT_TYPE),
			    MIXPKG_CTYPE);
	assert_int_equal(mixpkg_parse(ev, req->body, req->blen), MIXPKG_OK);
	assert_int_equal(ev->kind, MIXPKG_EVENT);
	if (ev->ev == MIXPKG_EV_TALKERS) {
		as.talkers_events++;
		as.last_talkers = *ev;
	}
	else if (ev->ev == MIXPKG_EV_UNJOIN) {
		as.unjoins++;
	}
	else {
		as.exits++;
	}
	assert_int_equal(cfw_chan_reply(ch, req->tid, 200, 0, NULL, NULL, 0),
			 0);
	mem_deref(ev);
}

static const struct cfw_handlers as_h = {
	.estabh = as_estab_h, .controlh = as_control_h, .closeh = as_close_h,
};

/* The focus's control dialog: its offer (cfw-id id) to the MS, the
 * answer read; the channel connects and SYNCs with sync_id */
static void as_open(const char *id, const char *sync_id)
{
	struct sdp_session *sess = NULL;
	struct mbuf *offer = NULL, *answer = NULL;
	struct cfw_chan_cfg cfg = {.dialog_id = sync_id,
				   .packages = MIXPKG_NAME,
				   .keepalive_s = 30};
	char got[MSCP_ID_MAX + 1];
	struct sa laddr, peer;

	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(cfw_sdp_offer(&sess, &offer, &laddr, id), 0);
	offer->pos = 0;
	assert_true(mscp_sdp_is_control(offer));
	assert_int_equal(mscp_ms_dialog_offer(ms, offer, &answer, got,
					      sizeof(got)), 0);
	assert_string_equal(got, id);
	answer->pos = 0;
	assert_int_equal(cfw_sdp_answer_read(sess, answer, id, &peer), 0);
	memset(&as, 0, sizeof(as));
	assert_int_equal(cfw_chan_connect(&as.ch, &peer, &cfg, &as_h), 0);
	assert_true(run(as_settled, 3000));
	mem_deref(sess);
	mem_deref(offer);
	mem_deref(answer);
}

static void resp_h(int err, const struct cfw_msg *msg, void *arg)
{
	struct mixpkg_msg *r = mem_zalloc(sizeof(*r), NULL);

	(void)arg;
	assert_int_equal(err, 0);
	as.code = msg->scode;
	if (msg->blen) {
		assert_string_equal(cfw_msg_hdr(msg, CFW_H_CONTENT_TYPE),
				    MIXPKG_CTYPE);
		assert_int_equal(mixpkg_parse(r, msg->body, msg->blen),
				 MIXPKG_OK);
		as.status = r->status;
		as.unjoins_at_answer = as.unjoins;
		str_ncpy(as.conf, r->conf.id, sizeof(as.conf));
		if (r->status != 200)
			print_message("%u %s\n", r->status, r->reason);
	}
	as.answered = true;
	mem_deref(r);
}

/* A request on the channel: the package's status of its 200 */
static uint16_t req(const char *doc)
{
	as.answered = false;
	as.code = as.status = 0;
	assert_int_equal(cfw_chan_control(as.ch, MIXPKG_NAME, MIXPKG_CTYPE,
					  doc, strlen(doc), resp_h, NULL), 0);
	assert_true(run(as_answered, 3000));
	assert_int_equal(as.code, 200);
	return as.status;
}

/* --- media --- */

/* what reached each leg's first address: packets, and the SSRCs they
 * came from (a caller's jitter buffer wants one sequence) */
static struct {
	unsigned got;
	uint32_t ssrc[4];
	unsigned nssrc;
} rx[NL];

static void rx_count(int fd, uint32_t ssrc)
{
	for (int i = 0; i < NL; i++) {
		unsigned k;

		if (fd != legs[i].peer)
			continue;
		rx[i].got++;
		for (k = 0; k < rx[i].nssrc && rx[i].ssrc[k] != ssrc; k++)
			;
		if (k == rx[i].nssrc && k < 4)
			rx[i].ssrc[rx[i].nssrc++] = ssrc;
	}
}

static void drain(int fd, uint8_t (*last)[PEER_FRAME])
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != PEER_FRAME)
			continue;
		rx_count(fd, h.ssrc);
		memmove(last[0], last[1], 39 * PEER_FRAME);
		memcpy(last[39], h.payload, PEER_FRAME);
	}
}

static struct {
	unsigned left, k;
	uint64_t next_ms;
	bool from_peer2[NL];
} pump;

static void pump_h(void *arg)
{
	uint64_t now = tmr_jiffies();

	(void)arg;
	for (; pump.left && pump.next_ms <= now; pump.left--, pump.k++) {
		for (int i = 0; i < NL; i++) {
			uint8_t pkt[12 + PEER_FRAME];
			size_t n = peer_pcmu_packet(pkt, pump.k, legs[i].freq,
						    legs[i].amp, 0x3000 + i);

			(void)sendto(pump.from_peer2[i] ? legs[i].peer2 :
				     legs[i].peer, pkt, n, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
		}
		pump.next_ms += 20;
	}
	for (int i = 0; i < NL; i++) {
		drain(legs[i].peer, legs[i].last);
		drain(legs[i].peer2, legs[i].last2);
	}
	if (!pump.left) {
		re_cancel();
		return;
	}
	tmr_start(&pump_tmr, pump.next_ms - now, pump_h, NULL);
}

/* frames of 20 ms from each leg, the loop running (the mixer's events,
 * the channel) */
static void media(unsigned frames)
{
	for (int i = 0; i < NL; i++) {
		memset(legs[i].last, 0xff, sizeof(legs[i].last)); /* silence */
		memset(legs[i].last2, 0xff, sizeof(legs[i].last2));
	}
	pump.left = frames;
	pump.next_ms = tmr_jiffies();
	tmr_start(&pump_tmr, 0, pump_h, NULL);
	(void)re_main(NULL);
}

/* The power of leg j's tone in what leg i (at its second address: alt)
 * got in the last 20 frames, dBFS */
static double power(int i, int j, bool alt)
{
	return peer_pcmu_power_db(alt ? legs[i].last2 + 20 :
				  legs[i].last + 20, 20, legs[j].freq);
}

/* Whether leg i (at its second address: alt) hears leg j's tone */
static bool hears(int i, int j, bool alt)
{
	double p = power(i, j, alt);

	print_message("%s%s hears %.0f Hz at %.1f dBFS\n", legs[i].connid,
		      alt ? " (new address)" : "", legs[j].freq, p);
	if (p > -25)
		return true;
	assert_true(p < -45);        /* nothing in between */
	return false;
}

/* Media until leg i hears leg j's tone clearly (want) or clearly not,
 * 60 frames at a time, 5 times at most: a change reaches the mixer
 * thread at its next tick, which a loaded machine (ASan under ctest -j2)
 * can hold back; the caller's hears() then says what came of it */
static void media_until(int i, int j, bool alt, bool want)
{
	for (int round = 0; round < 5; round++) {
		double p;

		media(60);
		p = power(i, j, alt);
		if (want ? p > -25 : p < -45)
			return;
	}
}

static void leg_media(const struct leg *l, struct mixer_media *m, bool alt)
{
	memset(m, 0, sizeof(*m));
	memcpy(&m->rtp_dst, alt ? &l->peer2_addr : &l->peer_addr,
	       sizeof(l->peer_addr));
	m->rtp_dst_len = sizeof(l->peer_addr);
	m->codec = MEDIA_PCMU;
	m->telev_pt = -1;
	m->send = m->recv = true;
	m->tx_ssrc = 0x5000 + (uint32_t)(l - legs);
}

/* The connections, each in a home room of its own, registered */
static void legs_up(void)
{
	for (int i = 0; i < NL; i++) {
		struct leg *l = &legs[i];
		struct sockaddr_in rtcp;
		struct mixer_media m;

		l->fd[0] = peer_udp(&l->mix_addr);
		l->fd[1] = peer_udp(&rtcp);
		l->peer = peer_udp(&l->peer_addr);
		l->peer2 = peer_udp(&l->peer2_addr);
		leg_media(l, &m, false);
		assert_int_equal(mixer_stream_add(mx, 7000 + (uint32_t)i,
						  dup(l->fd[0]), dup(l->fd[1]),
						  &m, &l->id), 0);
		assert_int_equal(mscp_ms_conn_add(ms, l->connid, l->id,
						  7000 + (uint32_t)i, &m), 0);
	}
}

static void legs_down(void)
{
	for (int i = 0; i < NL; i++) {
		struct leg *l = &legs[i];

		(void)mscp_ms_conn_remove(ms, l->connid);
		assert_int_equal(mixer_stream_remove(mx, l->id), 0);
		close(l->fd[0]);
		close(l->fd[1]);
		close(l->peer);
		close(l->peer2);
	}
	memset(&pump, 0, sizeof(pump));
}

/* As the SIP side does it (sip/ms_conn.c): the stream again in room
 * from copies of the sockets, the old one removed */
static int rehome_h(const char *connid, uint32_t room,
		    const struct mixer_media *m, uint32_t *idp, void *arg)
{
	struct leg *l = NULL;
	uint32_t id;
	int err;

	(void)arg;
	for (int i = 0; i < NL; i++)
		if (!strcmp(legs[i].connid, connid))
			l = &legs[i];
	assert_non_null(l);
	if (!rehome_ok)
		return EMFILE;
	err = mixer_stream_add(mx, room, dup(l->fd[0]), dup(l->fd[1]), m,
			       &id);
	if (err)
		return err;
	assert_int_equal(mixer_stream_remove(mx, l->id), 0);
	l->id = id;
	*idp = id;
	rehomes++;
	return 0;
}

static void setup_ms(unsigned threads)
{
	struct mixer_cfg cfg = {.threads = threads, .jitter_ms = 20,
				.max_speakers = 4};
	struct mscp_ms_cfg mcfg = {.room_base = 500, .rehome = rehome_h};
	struct sa laddr;

	tmr_init(&poll_tmr);
	tmr_init(&stop_tmr);
	tmr_init(&pump_tmr);
	assert_int_equal(mixer_alloc(&mx, &cfg, mixer_h, NULL), 0);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	mcfg.mx = mx;
	mcfg.laddr = &laddr;
	assert_int_equal(mscp_ms_alloc(&ms, &mcfg), 0);
}

static void teardown_ms(void)
{
	as.ch = mem_deref(as.ch);
	ms = mem_deref(ms);
	mx = mem_deref(mx);
}

static void counts(unsigned chans, unsigned confs, unsigned conns)
{
	unsigned a = 99, b = 99, c = 99;

	mscp_ms_counts(ms, &a, &b, &c);
	assert_int_equal(a, chans);
	assert_int_equal(b, confs);
	assert_int_equal(c, conns);
}

#define JOIN(c, conf) HEAD "<join id1=\"" c "\" id2=\"" conf "\"/>" TAIL
#define CREATE(conf) HEAD "<createconference conferenceid=\"" conf "\">" \
	"<audio-mixing type=\"nbest\" n=\"3\"/><subscribe>" \
	"<active-talkers-sub interval=\"1\"/></subscribe>" \
	"</createconference>" TAIL

/* Control dialogs: offer and answer, SYNCs taken and refused, the end */
static void test_dialogs(void **state)
{
	const char *media_sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	struct mbuf *mb = mbuf_alloc(256), *answer = NULL;
	char id[MSCP_ID_MAX + 1];
	struct cfw_chan *first;

	(void)state;
	setup_ms(1);
	mbuf_write_str(mb, media_sdp);
	mb->pos = 0;
	assert_false(mscp_sdp_is_control(mb));
	assert_false(mscp_sdp_is_control(NULL));
	assert_int_equal(mscp_ms_dialog_offer(ms, mb, &answer, id,
					      sizeof(id)), EPROTO);
	mbuf_reset(mb);
	mbuf_write_str(mb, "v=0\nm=application 9 TCP/TLS foo cfw\n");
	mb->pos = 0;
	assert_true(mscp_sdp_is_control(mb));

	/* a SYNC naming no dialog of ours: 481, the channel refused */
	as_open("dlgA", "dlgX");
	assert_true(as.closed);
	assert_int_equal(as.close_err, EPERM);
	assert_non_null(strstr(as.why, "no such control dialog"));
	as.ch = mem_deref(as.ch);
	counts(0, 0, 0);

	/* the cfw-id of a dialog we answered: up */
	as_open("dlgB", "dlgB");
	assert_true(as.up);
	counts(1, 0, 0);
	first = as.ch;
	/* a second channel for that dialog: refused */
	{
		struct sdp_session *sess = NULL;
		struct mbuf *offer = NULL;
		struct sa laddr;

		assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
		assert_int_equal(cfw_sdp_offer(&sess, &offer, &laddr, "dlgB"),
				 0);
		offer->pos = 0;
		/* the same cfw-id offered again names another dialog */
		assert_int_equal(mscp_ms_dialog_offer(ms, offer, &answer, id,
						      sizeof(id)), EPROTO);
		mem_deref(sess);
		mem_deref(offer);
	}
	as_open("dlgC", "dlgB");
	assert_int_equal(as.close_err, EPERM);
	as.ch = mem_deref(as.ch);
	counts(1, 0, 0);

	/* dlgB's dialog ends: its channel is closed */
	as.ch = first;
	as.closed = false;
	mscp_ms_dialog_end(ms, "dlgB");
	assert_true(run(as_closed, 3000));
	assert_int_equal(as.close_err, ECONNRESET);
	counts(0, 0, 0);
	as.ch = mem_deref(as.ch);
	/* and its id is no longer taken */
	as_open("dlgD", "dlgB");
	assert_int_equal(as.close_err, EPERM);
	mscp_ms_dialog_end(ms, "nope");          /* nothing to end */
	mem_deref(mb);
	teardown_ms();
}

/* Conferences, joins, events on the channel, conn_update, the dialog's
 * end and the channel's close */
static void test_conference(void **state)
{
	struct mixer_media m;

	(void)state;
	setup_ms(1);
	legs_up();
	as_open("dlg1", "dlg1");
	assert_true(as.up);
	counts(1, 0, 2);

	assert_int_equal(req(JOIN("fa:ma", "c1")), 406);
	assert_int_equal(req(CREATE("c1")), 200);
	assert_string_equal(as.conf, "c1");
	assert_int_equal(req(JOIN("fx:mx", "c1")), 412);
	assert_int_equal(req(JOIN("fa:ma", "c1")), 200);
	assert_int_equal(req(JOIN("fb:mb", "c1")), 200);
	counts(1, 1, 2);
	media(120);
	assert_true(hears(0, 1, false));
	assert_true(hears(1, 0, false));
	/* the talkers, told on this channel */
	print_message("talkers: %u events, last names %u\n",
		      as.talkers_events, as.last_talkers.nlist);
	assert_true(as.talkers_events >= 1);
	assert_string_equal(as.last_talkers.conf.id, "c1");
	assert_int_equal(as.last_talkers.nlist, 2);

	/* B muted by the package; a re-INVITE moves B's media to its new
	 * address: B hears A there, and stays muted */
	assert_int_equal(req(HEAD "<modifyjoin id1=\"fb:mb\" id2=\"c1\">"
			     "<stream media=\"audio\"><volume controltype="
			     "\"setstate\" value=\"mute\"/></stream>"
			     "</modifyjoin>" TAIL), 200);
	leg_media(&legs[1], &m, true);
	assert_int_equal(mscp_ms_conn_update(ms, "fb:mb", &m), 0);
	assert_int_equal(mscp_ms_conn_update(ms, "fx:mx", &m), ENOENT);
	pump.from_peer2[1] = true;
	media(100);
	assert_true(hears(1, 0, true));
	assert_false(hears(0, 1, false));

	/* the dialog ends: the conference goes, its connections are
	 * parked (nothing heard, nothing hears) */
	mscp_ms_dialog_end(ms, "dlg1");
	assert_true(run(as_closed, 3000));
	counts(0, 0, 2);
	media_until(1, 0, true, false);
	assert_false(hears(1, 0, true));
	assert_false(hears(0, 1, false));
	as.ch = mem_deref(as.ch);

	/* a new dialog: A joins again (it was unjoined); then its channel
	 * closes (the focus died): the conference goes with it */
	as_open("dlg2", "dlg2");
	assert_int_equal(req(CREATE("c2")), 200);
	assert_int_equal(req(JOIN("fa:ma", "c2")), 200);
	assert_int_equal(req(JOIN("fb:mb", "c2")), 200);
	counts(1, 1, 2);
	/* B's dialog ends while joined: unjoin-notify on this channel */
	assert_int_equal(mscp_ms_conn_remove(ms, "fb:mb"), 0);
	assert_int_equal(mscp_ms_conn_remove(ms, "fb:mb"), ENOENT);
	assert_true(run(NULL, 200));
	assert_int_equal(as.unjoins, 1);
	as.ch = mem_deref(as.ch);            /* the TCP connection closes */
	run(NULL, 300);
	counts(0, 0, 1);
	as_open("dlg3", "dlg3");
	assert_int_equal(req(CREATE("c2")), 200);   /* the id is free */
	assert_int_equal(req(JOIN("fa:ma", "c2")), 200);
	/* destroyconference: its 200 first, then unjoin-notify and
	 * conferenceexit on the channel */
	as.unjoins = as.exits = 0;
	assert_int_equal(req(HEAD "<destroyconference conferenceid=\"c2\"/>"
			     TAIL), 200);
	assert_int_equal(as.unjoins_at_answer, 0);
	assert_true(run(NULL, 200));
	assert_int_equal(as.unjoins, 1);
	assert_int_equal(as.exits, 1);
	counts(1, 0, 1);
	/* B was removed above; register it again for legs_down */
	leg_media(&legs[1], &m, false);
	assert_int_equal(mscp_ms_conn_add(ms, "fb:mb", legs[1].id, 7001, &m),
			 0);
	legs_down();
	teardown_ms();
}

/* Two mixer threads: B's home room is on the other thread than the
 * conference's room (placed on A's when A joined first) */
static void test_rehome(void **state)
{
	(void)state;
	setup_ms(2);
	legs_up();
	as_open("dlgR", "dlgR");
	/* parked, with an address: nothing is sent to them */
	memset(rx, 0, sizeof(rx));
	media(20);
	assert_int_equal(rx[0].got + rx[1].got, 0);
	assert_int_equal(req(CREATE("r1")), 200);
	assert_int_equal(req(JOIN("fa:ma", "r1")), 200);
	rehome_ok = false;
	rehomes = 0;
	assert_int_equal(req(JOIN("fb:mb", "r1")), 419);
	assert_int_equal(rehomes, 0);
	rehome_ok = true;
	assert_int_equal(req(JOIN("fb:mb", "r1")), 200);
	assert_int_equal(rehomes, 1);
	media(120);
	assert_true(hears(0, 1, false));
	assert_true(hears(1, 0, false));
	/* B heard only the stream made again in the conference: one SSRC
	 * from the start (a second one, with a sequence of its own, is
	 * what a phone's jitter buffer drops as late) */
	print_message("B got %u packets from %u SSRC(s)\n", rx[1].got,
		      rx[1].nssrc);
	assert_true(rx[1].got > 50);
	assert_int_equal(rx[1].nssrc, 1);
	/* unjoined, B goes home on the thread it is on now */
	assert_int_equal(req(HEAD "<unjoin id1=\"fb:mb\" id2=\"r1\"/>" TAIL),
			 200);
	assert_int_equal(rehomes, 1);
	media_until(1, 0, false, false);
	assert_false(hears(0, 1, false));
	assert_false(hears(1, 0, false));
	legs_down();
	teardown_ms();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialogs),
		cmocka_unit_test(test_conference),
		cmocka_unit_test(test_rehome),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
