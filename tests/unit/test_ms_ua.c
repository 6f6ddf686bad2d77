/*
 * The mixer role's SIP side (src/sip/ms_ua.c, ms_conn.c) end to end in
 * one process: a focus object made a mixer's UA (focus_allow), a real
 * mixer with two threads, and a focus's side played by a second libre
 * SIP stack on loopback UDP (the control channel over TCP, the media on
 * UDP with tones):
 *   - an INVITE from an address not in focus_allow: 403; without an
 *     offer: 488; MESSAGE outside a dialog: 403; OPTIONS: 200;
 *   - a control dialog: 200 with the listener's answer, the channel
 *     SYNCs with its cfw-id;
 *   - pool connections (c=0.0.0.0, port 9) answered, registered on the
 *     ACK as "<from tag>:<to tag>"; joined to a conference (B's home
 *     room is on the other mixer thread: made again there), then
 *     re-INVITEd with real addresses: A and B hear each other;
 *   - the media stops: A and B are ended with BYE and Reason 408 "no
 *     RTP"; the pool connection without an address stays;
 *   - the control dialog's BYE closes its channel; focus_shutdown BYEs
 *     what is left.
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
#include "conf/conf.h"
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "mscp/cfw.h"
#include "mscp/cfw_sdp.h"
#include "mscp/mixpkg.h"
#include "sip/sip.h"
#include "store/store.h"
#include "util/log.h"
#include "rtp_peer.h"

#define HEAD "<mscmixer version=\"1.0\" " \
	"xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
#define TAIL "</mscmixer>"
#define CFW_ID "ctl4711"

/* One dialog the focus's side opened */
struct dlg {
	struct sipsess *sess;
	char callid[128];
	bool estab, closed;
	uint16_t scode;               /* a refusal's */
	char connid[256];
	uint16_t ms_port;             /* the answer's audio port */
	char reason[128];             /* the Reason of a BYE to us */
	/* media */
	int peer;
	struct sockaddr_in peer_addr;
	double freq;
	uint8_t last[40][PEER_FRAME];
};

static struct {
	struct store *st;
	struct confs *cs;
	struct mixer *mx;
	struct focus *f;
	uint16_t port;               /* the mixer's SIP port */
	/* the focus's side */
	struct sip *sip, *stranger;
	struct sipsess_sock *sock, *sock2;
	struct sip_lsnr *peek;
	struct sdp_session *ctl_sdp;
	struct sa ctl_peer;
	struct cfw_chan *ch;
	bool ch_up, ch_closed;
	bool answered;
	uint16_t status;
	unsigned unjoins;
	uint16_t req_code;
	bool shut;
} t;

static struct dlg ctl, A = {.freq = 400}, B = {.freq = 700}, P, S, N;

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

static bool run(bool (*p)(void), unsigned ms)
{
	pred = p;
	tmr_start(&stop_tmr, ms, stop_h, NULL);
	tmr_start(&poll_tmr, 0, poll_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&stop_tmr);
	tmr_cancel(&poll_tmr);
	return !p || p();
}

static void mixer_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (t.f)
		focus_mixer_event(t.f, ev);
}

/* --- the focus's side: SIP --- */

/* BYEs to us: their Reason, before the session takes them */
static bool peek_h(const struct sip_msg *msg, void *arg)
{
	struct dlg *all[] = {&ctl, &A, &B, &P};
	const struct sip_hdr *r = sip_msg_xhdr(msg, "Reason");

	(void)arg;
	if (pl_strcmp(&msg->met, "BYE"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!pl_strcmp(&msg->callid, all[i]->callid))
			re_snprintf(all[i]->reason, sizeof(all[i]->reason),
				    "%r", r ? &r->val : &(struct pl)PL(""));
	return false;
}

static void conn_h(const struct sip_msg *msg, void *arg)
{
	(void)arg;
	(void)sip_treply(NULL, t.sip, msg, 603, "Decline");
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg,
		   void *arg)
{
	(void)descp;
	(void)msg;
	(void)arg;
	return EPROTO;            /* the mixer never re-INVITEs */
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;
	struct pl port;

	if (d == &ctl)
		return cfw_sdp_answer_read(t.ctl_sdp, msg->mb, CFW_ID,
					   &t.ctl_peer);
	if (re_regex((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb),
		     "m=audio [0-9]+", &port))
		return EPROTO;
	d->ms_port = (uint16_t)pl_u32(&port);
	return 0;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;

	re_snprintf(d->connid, sizeof(d->connid), "%r:%r", &msg->from.tag,
		    &msg->to.tag);
	d->estab = true;
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct dlg *d = arg;

	(void)err;
	d->closed = true;
	d->scode = msg ? msg->scode : 0;
	d->sess = mem_deref(d->sess);
}

static bool settled(struct dlg *d) { return d->estab || d->closed; }
static bool ctl_settled(void) { return settled(&ctl); }

static const char pool_sdp[] =
	"v=0\r\no=focus 1 %u IN IP4 127.0.0.1\r\ns=-\r\n"
	"c=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\na=sendrecv\r\n";

static struct mbuf *audio_sdp(unsigned ver, const char *addr, unsigned port)
{
	struct mbuf *mb = mbuf_alloc(512);

	assert_int_equal(mbuf_printf(mb, pool_sdp, ver, addr, port), 0);
	mb->pos = 0;
	return mb;
}

static void dial(struct dlg *d, struct sip *sip, struct sipsess_sock *sock,
		 struct mbuf *desc)
{
	char uri[64];

	re_snprintf(uri, sizeof(uri), "sip:mixer@127.0.0.1:%u", t.port);
	assert_int_equal(sipsess_connect(&d->sess, sock, uri, NULL,
					 "sip:focus@127.0.0.1", "focus", NULL,
					 0, "application/sdp", desc, NULL,
					 NULL, false, offer_h, answer_h, NULL,
					 estab_h, NULL, NULL, close_h, d, ""),
			 0);
	str_ncpy(d->callid, sip_dialog_callid(sipsess_dialog(d->sess)),
		 sizeof(d->callid));
	mem_deref(desc);
}

/* The caller's address, codec and direction, as the focus learns them */
static void reinvite(struct dlg *d)
{
	struct mbuf *desc = audio_sdp(2, "127.0.0.1",
				      ntohs(d->peer_addr.sin_port));

	assert_int_equal(sipsess_modify(d->sess, desc), 0);
	mem_deref(desc);
}

static bool a_settled(void) { return settled(&A); }
static bool b_settled(void) { return settled(&B); }
static bool p_settled(void) { return settled(&P); }
static bool s_settled(void) { return settled(&S); }
static bool n_settled(void) { return settled(&N); }

static void req_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	t.req_code = err ? 1 : msg->scode;
}

static bool req_done(void) { return t.req_code != 0; }

/* A request outside any dialog: its answer's code */
static uint16_t request(const char *met)
{
	char uri[64];

	re_snprintf(uri, sizeof(uri), "sip:mixer@127.0.0.1:%u", t.port);
	t.req_code = 0;
	assert_int_equal(sip_requestf(NULL, t.sip, true, met, uri, NULL,
				      NULL, NULL, req_resp_h, NULL,
				      "To: <%s>\r\n"
				      "From: <sip:focus@127.0.0.1>;tag=%08x\r\n"
				      "Call-ID: %08x@test\r\n"
				      "CSeq: 1 %s\r\n"
				      "Content-Length: 0\r\n\r\n", uri,
				      rand_u32(), rand_u32(), met), 0);
	assert_true(run(req_done, 3000));
	return t.req_code;
}

/* --- the focus's side: the control channel --- */

static void ch_estab_h(struct cfw_chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	t.ch_up = true;
}

static void ch_close_h(struct cfw_chan *ch, int err, const char *why,
		       void *arg)
{
	(void)ch;
	(void)err;
	(void)why;
	(void)arg;
	t.ch_closed = true;
	t.ch_up = false;
}

static void ch_control_h(struct cfw_chan *ch, const struct cfw_msg *req,
			 void *arg)
{
	struct mixpkg_msg *ev = mem_zalloc(sizeof(*ev), NULL);

	(void)arg;
	assert_int_equal(mixpkg_parse(ev, req->body, req->blen), MIXPKG_OK);
	if (ev->ev == MIXPKG_EV_UNJOIN) {
		assert_int_equal(ev->status, MIXPKG_EXIT_NETWORK);
		t.unjoins++;
	}
	(void)cfw_chan_reply(ch, req->tid, 200, 0, NULL, NULL, 0);
	mem_deref(ev);
}

static void ch_resp_h(int err, const struct cfw_msg *msg, void *arg)
{
	struct mixpkg_msg *r = mem_zalloc(sizeof(*r), NULL);

	(void)arg;
	assert_int_equal(err, 0);
	assert_int_equal(mixpkg_parse(r, msg->body, msg->blen), MIXPKG_OK);
	t.status = r->status;
	t.answered = true;
	mem_deref(r);
}

static bool ch_settled(void) { return t.ch_up || t.ch_closed; }
static bool ch_closed(void) { return t.ch_closed; }
static bool answered(void) { return t.answered; }

static uint16_t ask(const char *fmt, ...)
{
	char doc[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(doc, sizeof(doc), fmt, ap);
	va_end(ap);
	t.answered = false;
	assert_int_equal(cfw_chan_control(t.ch, MIXPKG_NAME, MIXPKG_CTYPE,
					  doc, strlen(doc), ch_resp_h, NULL),
			 0);
	assert_true(run(answered, 3000));
	return t.status;
}

/* --- media --- */

static struct {
	unsigned left, k;
	uint64_t next_ms;
} pump;

static void drain(struct dlg *d)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(d->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != PEER_FRAME)
			continue;
		memmove(d->last[0], d->last[1], 39 * PEER_FRAME);
		memcpy(d->last[39], h.payload, PEER_FRAME);
	}
}

static void pump_h(void *arg)
{
	struct dlg *legs[] = {&A, &B};
	uint64_t now = tmr_jiffies();

	(void)arg;
	for (; pump.left && pump.next_ms <= now; pump.left--, pump.k++) {
		for (int i = 0; i < 2; i++) {
			struct sockaddr_in to = {.sin_family = AF_INET};
			uint8_t pkt[12 + PEER_FRAME];
			size_t n = peer_pcmu_packet(pkt, pump.k,
						    legs[i]->freq, 12000,
						    0x4000 + i);

			to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			to.sin_port = htons(legs[i]->ms_port);
			(void)sendto(legs[i]->peer, pkt, n, 0,
				     (struct sockaddr *)&to, sizeof(to));
		}
		pump.next_ms += 20;
	}
	drain(&A);
	drain(&B);
	if (!pump.left) {
		re_cancel();
		return;
	}
	tmr_start(&pump_tmr, pump.next_ms - now, pump_h, NULL);
}

static void media(unsigned frames)
{
	pump.left = frames;
	pump.next_ms = tmr_jiffies();
	tmr_start(&pump_tmr, 0, pump_h, NULL);
	(void)re_main(NULL);
}

static double power(struct dlg *d, double f)
{
	double p = peer_pcmu_power_db(d->last + 20, 20, f);

	print_message("%s hears %.0f Hz at %.1f dBFS\n", d->connid, f, p);
	return p;
}

/* --- setup --- */

static void mixer_up(void)
{
	struct confs_cfg ccfg = {.domain = "127.0.0.1",
				 .http_base = "http://127.0.0.1:8080"};
	struct mixer_cfg mcfg = {.threads = 2, .jitter_ms = 20,
				 .max_speakers = 4};
	struct sockaddr_in a;
	int fd = peer_udp(&a);
	struct focus_cfg fcfg = {
		.sip_addr = "127.0.0.1", .udp = true,
		.rtp_addr = "127.0.0.1", .rtp_port_min = 43000,
		.rtp_port_max = 43099, .rtp_timeout_s = 2,
		.focus_allow = "10.9.9.9, 127.0.0.1",
	};
	struct sa laddr;

	/* a free UDP port for SIP (peer_udp's, let go) */
	t.port = ntohs(a.sin_port);
	close(fd);
	fcfg.sip_port = t.port;
	assert_int_equal(store_open(&t.st, ":memory:"), 0);
	assert_int_equal(confs_alloc(&t.cs, &ccfg, t.st), 0);
	assert_int_equal(mixer_alloc(&t.mx, &mcfg, mixer_h, NULL), 0);
	assert_int_equal(focus_alloc(&t.f, &fcfg, t.cs, t.mx), 0);
	assert_int_equal(focus_start(t.f), 0);
	run(NULL, 50);                 /* the UDP guard's probe */

	/* the focus's side, and a stranger at another address */
	assert_int_equal(sip_alloc(&t.sip, NULL, 32, 32, 32, "test", NULL,
				   NULL), 0);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(sip_transp_add(t.sip, SIP_TRANSP_UDP, &laddr), 0);
	assert_int_equal(sip_listen(&t.peek, t.sip, true, peek_h, NULL), 0);
	assert_int_equal(sipsess_listen(&t.sock, t.sip, 32, conn_h, NULL), 0);
	assert_int_equal(sip_alloc(&t.stranger, NULL, 32, 32, 32, "test",
				   NULL, NULL), 0);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.2", 0), 0);
	assert_int_equal(sip_transp_add(t.stranger, SIP_TRANSP_UDP, &laddr),
			 0);
	assert_int_equal(sipsess_listen(&t.sock2, t.stranger, 32, conn_h,
					NULL), 0);
}

static void done_h(void *arg)
{
	(void)arg;
	t.shut = true;
}

static bool shut(void) { return t.shut; }
static bool p_closed(void) { return P.closed; }
static bool ab_closed(void) { return A.closed && B.closed; }

static void test_ms_ua(void **state)
{
	struct cfw_chan_cfg ccfg = {.dialog_id = CFW_ID,
				    .packages = MIXPKG_NAME,
				    .keepalive_s = 30};
	struct cfw_handlers ch = {.estabh = ch_estab_h,
				  .controlh = ch_control_h,
				  .closeh = ch_close_h};
	struct mbuf *offer = NULL;
	struct sa laddr;

	(void)state;
	tmr_init(&poll_tmr);
	tmr_init(&stop_tmr);
	tmr_init(&pump_tmr);
	mixer_up();

	/* refusals */
	dial(&S, t.stranger, t.sock2, audio_sdp(1, "0.0.0.0", 9));
	assert_true(run(s_settled, 3000));
	assert_true(S.closed);
	assert_int_equal(S.scode, 403);
	dial(&N, t.sip, t.sock, NULL);
	assert_true(run(n_settled, 3000));
	assert_int_equal(N.scode, 488);
	assert_int_equal(request("MESSAGE"), 403);
	assert_int_equal(request("OPTIONS"), 200);

	/* the control dialog and its channel */
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(cfw_sdp_offer(&t.ctl_sdp, &offer, &laddr, CFW_ID),
			 0);
	offer->pos = 0;
	dial(&ctl, t.sip, t.sock, offer);
	assert_true(run(ctl_settled, 3000));
	assert_true(ctl.estab);
	assert_int_equal(cfw_chan_connect(&t.ch, &t.ctl_peer, &ccfg, &ch), 0);
	assert_true(run(ch_settled, 3000));
	assert_true(t.ch_up);

	/* three pool connections */
	dial(&A, t.sip, t.sock, audio_sdp(1, "0.0.0.0", 9));
	dial(&B, t.sip, t.sock, audio_sdp(1, "0.0.0.0", 9));
	dial(&P, t.sip, t.sock, audio_sdp(1, "0.0.0.0", 9));
	assert_true(run(a_settled, 3000) && run(b_settled, 3000) &&
		    run(p_settled, 3000));
	assert_true(A.estab && B.estab && P.estab);
	assert_true(A.ms_port >= 43000 && A.ms_port < 43100);
	run(NULL, 100);                /* the ACKs reach the mixer */
	assert_int_equal(ask(HEAD "<createconference conferenceid=\"c1\">"
			     "<audio-mixing n=\"3\"/></createconference>"
			     TAIL), 200);
	assert_int_equal(ask(HEAD "<join id1=\"%s\" id2=\"c1\"/>" TAIL,
			     A.connid), 200);
	/* B's home room is on the other mixer thread */
	assert_int_equal(ask(HEAD "<join id1=\"%s\" id2=\"c1\"/>" TAIL,
			     B.connid), 200);
	assert_int_equal(ask(HEAD "<join id1=\"%s\" id2=\"c1\"/>" TAIL,
			     "nobody:here"), 412);

	/* the callers are known: re-INVITEs with their addresses */
	A.peer = peer_udp(&A.peer_addr);
	B.peer = peer_udp(&B.peer_addr);
	reinvite(&A);
	reinvite(&B);
	run(NULL, 200);
	media(100);
	assert_true(power(&A, 700) > -25);
	assert_true(power(&B, 400) > -25);

	/* silence: A and B end, P (no address) does not */
	t.unjoins = 0;
	assert_true(run(ab_closed, 6000));
	print_message("A's BYE: Reason: %s\n", A.reason);
	assert_non_null(strstr(A.reason, "cause=408"));
	assert_non_null(strstr(A.reason, "no RTP"));
	assert_non_null(strstr(B.reason, "no RTP"));
	assert_false(P.closed);
	assert_int_equal(t.unjoins, 2);
	assert_int_equal(ask(HEAD "<join id1=\"%s\" id2=\"c1\"/>" TAIL,
			     P.connid), 200);

	/* the control dialog's BYE closes the channel */
	ctl.sess = mem_deref(ctl.sess);
	assert_true(run(ch_closed, 3000));

	/* shutdown: BYE to what is left */
	focus_shutdown(t.f, 2000, done_h, NULL);
	assert_true(run(p_closed, 3000));
	assert_true(run(shut, 3000));

	close(A.peer);
	close(B.peer);
	t.ch = mem_deref(t.ch);
	t.ctl_sdp = mem_deref(t.ctl_sdp);
	mem_deref(t.sock);
	mem_deref(t.sock2);
	mem_deref(t.peek);
	sip_close(t.sip, true);
	sip_close(t.stranger, true);
	mem_deref(t.sip);
	mem_deref(t.stranger);
	mem_deref(t.f);
	mem_deref(t.cs);
	mem_deref(t.mx);
	mem_deref(t.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ms_ua),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
