/*
 * The mixer package carried out on the real mixer (src/mscp/mscp_*.c),
 * on loopback UDP with tones (as tests/unit/test_mixer.c). Four
 * connections: A, B and C send 400, 700 and 1000 Hz at falling levels,
 * D is silent and listens. Through msc-mixer/1.0 documents:
 *   - createconference with n=2 and active-talkers-sub; all four joined:
 *     D hears A and B, not C (the two loudest); active-talkers-notify
 *     names A, B and C and not D;
 *   - modifyjoin A recvonly (A not heard): D hears B and C;
 *   - unjoin B: D hears C alone;
 *   - audit, and each refusal with its status and nothing changed;
 *   - destroyconference: unjoin-notify for each member, conferenceexit.
 * Levels by Goertzel on the decoded G.711.
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
#include "mscp/mixpkg.h"
#include "mscp/mscp_mixer.h"
#include "rtp_peer.h"

#define NL 4
#define HEAD "<mscmixer version=\"1.0\" " \
	"xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
#define TAIL "</mscmixer>"

struct leg {
	const char *connid;
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	double freq, amp;
	uint32_t id;
	uint8_t last[40][PEER_FRAME];
	unsigned got;
};

static struct leg legs[NL] = {
	{"a1:a2", -1, {0}, {0}, 400, 16000, 0, {{0}}, 0},
	{"b1:b2", -1, {0}, {0}, 700, 10000, 0, {{0}}, 0},
	{"c1:c2", -1, {0}, {0}, 1000, 5000, 0, {{0}}, 0},
	{"d1:d2", -1, {0}, {0}, 0, 0, 0, {{0}}, 0},
};

static struct mscp_mixer *ex;
/* the events the AS would get */
static struct mixpkg_msg talkers;     /* the last active-talkers-notify */
static unsigned ntalkers, nunjoins, nexits;

static void event_h(const struct mixpkg_msg *ev, void *arg)
{
	struct mbuf *mb = mbuf_alloc(1024);
	struct mixpkg_msg *back = mem_zalloc(sizeof(*back), NULL);

	(void)arg;
	/* what goes to the AS is a valid document */
	assert_int_equal(mixpkg_print(mb, ev), 0);
	assert_int_equal(mixpkg_parse(back, mb->buf, mb->end), MIXPKG_OK);
	assert_int_equal(back->kind, MIXPKG_EVENT);
	if (ev->ev == MIXPKG_EV_TALKERS) {
		talkers = *ev;
		ntalkers++;
	}
	else if (ev->ev == MIXPKG_EV_UNJOIN) {
		nunjoins++;
	}
	else {
		nexits++;
	}
	mem_deref(back);
	mem_deref(mb);
}

static void mixer_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	mscp_mixer_event(ex, ev);
}

/* A request; the status of its answer (a valid document) */
static uint16_t ask(const char *body)
{
	struct mbuf *mb = mbuf_alloc(1024);
	struct mixpkg_msg *r = mem_zalloc(sizeof(*r), NULL);
	uint16_t st;

	assert_int_equal(mscp_mixer_control(ex, body, strlen(body), mb), 0);
	assert_int_equal(mixpkg_parse(r, mb->buf, mb->end), MIXPKG_OK);
	st = r->status;
	if (st != 200)
		print_message("%u %s\n", st, r->reason);
	mem_deref(r);
	mem_deref(mb);
	return st;
}

static void drain(struct leg *l)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != PEER_FRAME)
			continue;
		memmove(l->last[0], l->last[1], sizeof(l->last) - PEER_FRAME);
		memcpy(l->last[39], h.payload, PEER_FRAME);
		l->got++;
	}
}

static struct tmr stop, pump_tmr;
static struct {
	unsigned left, k;
	uint64_t next_ms;
} pump;

/* Every frame that is due, from each leg (D's is silence); everyone
 * drained. On the loop, so the mixer's talking events are taken (and
 * notified) while the media flows, as on an MS. */
static void pump_h(void *arg)
{
	uint64_t now = tmr_jiffies();

	(void)arg;
	for (; pump.left && pump.next_ms <= now; pump.left--, pump.k++) {
		for (int i = 0; i < NL; i++) {
			uint8_t pkt[12 + PEER_FRAME];
			size_t n = peer_pcmu_packet(pkt, pump.k, legs[i].freq,
						    legs[i].amp, 0x2000 + i);

			(void)sendto(legs[i].peer, pkt, n, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
		}
		pump.next_ms += 20;
	}
	for (int i = 0; i < NL; i++)
		drain(&legs[i]);
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

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* The signalling loop for ms: the mixer's events, the notify timer */
static void loop(unsigned ms)
{
	tmr_start(&stop, ms, stop_h, NULL);
	(void)re_main(NULL);
}

static double power(int i, double f)
{
	return peer_pcmu_power_db(legs[i].last + 20, 20, f);
}

/* A tone's power p as wanted: heard (above -25 dBFS) or not (below -45) */
static bool as_wanted(bool want, double p)
{
	return want ? p > -25 : p < -45;
}

/* What D hears: each of A, B, C's tones heard or not */
static void d_hears(bool a, bool b, bool c)
{
	double p[3] = {power(3, 400), power(3, 700), power(3, 1000)};
	bool want[3] = {a, b, c};

	print_message("D: 400 %.1f, 700 %.1f, 1000 %.1f dBFS\n", p[0], p[1],
		      p[2]);
	for (int i = 0; i < 3; i++)
		assert_true(as_wanted(want[i], p[i]));
}

/* D's three tones as wanted */
static bool d_is(bool a, bool b, bool c)
{
	return as_wanted(a, power(3, 400)) && as_wanted(b, power(3, 700)) &&
		as_wanted(c, power(3, 1000));
}

/* After a change: media for frames, then 50 more at a time (4 times at
 * most) until D hears what it should, and d_hears checks it. A change
 * reaches the mixer thread at its next tick, which a loaded machine
 * (ASan under ctest -j2) can hold back; one that never took effect
 * still fails. */
static void d_hears_after(unsigned frames, bool a, bool b, bool c)
{
	media(frames);
	for (int round = 0; round < 4 && !d_is(a, b, c); round++)
		media(50);
	d_hears(a, b, c);
}

static bool talker(const char *id)
{
	for (unsigned i = 0; i < talkers.nlist; i++)
		if (!strcmp(talkers.list[i], id))
			return true;
	return false;
}

static void setup_legs(struct mixer *mx)
{
	for (int i = 0; i < NL; i++) {
		struct sockaddr_in rtcp;
		struct mixer_media m = {0};
		int rtp_fd = peer_udp(&legs[i].mix_addr);
		int rtcp_fd = peer_udp(&rtcp);

		legs[i].peer = peer_udp(&legs[i].peer_addr);
		memcpy(&m.rtp_dst, &legs[i].peer_addr,
		       sizeof(legs[i].peer_addr));
		m.rtp_dst_len = sizeof(legs[i].peer_addr);
		m.codec = MEDIA_PCMU;
		m.telev_pt = -1;
		m.send = m.recv = true;
		/* each in a room of its own until joined */
		assert_int_equal(mixer_stream_add(mx, 100 + (uint32_t)i, rtp_fd,
						  rtcp_fd, &m, &legs[i].id), 0);
		assert_int_equal(mscp_mixer_conn_add(ex, legs[i].connid,
						     legs[i].id,
						     100 + (uint32_t)i, &m), 0);
	}
	assert_int_equal(mscp_mixer_conn_add(ex, legs[0].connid, 99, 1,
					     &(struct mixer_media){0}), EEXIST);
	assert_int_equal(mscp_mixer_conn_add(ex, "conference1", 99, 1,
					     &(struct mixer_media){0}), EINVAL);
}

#define JOIN(c) HEAD "<join id1=\"" c "\" id2=\"c1\"/>" TAIL

static void test_executor(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 4};
	struct mscp_mixer_cfg xcfg = {.room_base = 500, .eh = event_h};
	struct mixer *mx = NULL;

	(void)state;
	tmr_init(&stop);
	tmr_init(&pump_tmr);
	assert_int_equal(mixer_alloc(&mx, &cfg, mixer_h, NULL), 0);
	xcfg.mx = mx;
	assert_int_equal(mscp_mixer_alloc(&ex, &xcfg), 0);
	setup_legs(mx);

	assert_int_equal(ask(HEAD "<createconference conferenceid=\"c1\">"
			     "<audio-mixing type=\"nbest\" n=\"2\"/><subscribe>"
			     "<active-talkers-sub interval=\"1\"/></subscribe>"
			     "</createconference>" TAIL), 200);
	for (int i = 0; i < NL; i++) {
		char doc[256];

		re_snprintf(doc, sizeof(doc), JOIN("%s"), legs[i].connid);
		assert_int_equal(ask(doc), 200);
	}
	media(150);
	d_hears(true, true, false);
	/* A hears B, not itself (N-1) */
	assert_true(power(0, 700) > -25 && power(0, 400) < -45);
	/* the first change went at once, the rest once a second */
	print_message("talkers: %u notifies, last has %u\n", ntalkers,
		      talkers.nlist);
	assert_in_range(ntalkers, 2, 4);
	assert_string_equal(talkers.conf.id, "c1");
	assert_true(talker("a1:a2") && talker("b1:b2") && talker("c1:c2"));
	assert_false(talker("d1:d2"));
	/* the media stops: they all stopped talking (each after its
	 * hangover, notified at most once a second) */
	loop(3500);
	assert_int_equal(talkers.nlist, 0);

	/* A muted (it hears, it is not heard): C is among the two now */
	assert_int_equal(ask(HEAD "<modifyjoin id1=\"a1:a2\" id2=\"c1\">"
			     "<stream media=\"audio\" direction=\"recvonly\"/>"
			     "</modifyjoin>" TAIL), 200);
	d_hears_after(100, false, true, true);
	assert_true(power(0, 700) > -25);      /* A still hears */

	/* B leaves the conference */
	assert_int_equal(ask(HEAD "<unjoin id1=\"b1:b2\" id2=\"c1\"/>" TAIL),
			 200);
	d_hears_after(100, false, false, true);

	/* the conference seen from the other side (id1 the conference):
	 * A back to sendrecv */
	assert_int_equal(ask(HEAD "<modifyjoin id1=\"c1\" id2=\"a1:a2\"/>"
			     TAIL), 200);
	d_hears_after(100, true, false, true);

	/* refusals change nothing */
	assert_int_equal(ask(JOIN("x1:x2")), 412);
	assert_int_equal(ask(HEAD "<join id1=\"b1:b2\" id2=\"nope\"/>" TAIL),
			 406);
	assert_int_equal(ask(HEAD "<join id1=\"b1:b2\" id2=\"c1:c2\"/>" TAIL),
			 435);
	assert_int_equal(ask(JOIN("a1:a2")), 408);
	assert_int_equal(ask(HEAD "<unjoin id1=\"b1:b2\" id2=\"c1\"/>" TAIL),
			 409);
	assert_int_equal(ask(HEAD "<createconference conferenceid=\"c1\"/>"
			     TAIL), 405);
	assert_int_equal(ask(HEAD "<createconference><audio-mixing n=\"20\"/>"
			     "</createconference>" TAIL), 421);
	assert_int_equal(ask(HEAD "<join id1=\"b1:b2\" id2=\"c1\"><stream "
			     "media=\"video\"/></join>" TAIL), 422);
	assert_int_equal(ask(HEAD "<join id1=\"b1:b2\" id2=\"c1\"><stream "
			     "media=\"audio\"/><stream media=\"audio\"/>"
			     "</join>" TAIL), 407);
	assert_int_equal(ask(HEAD "<join id1=\"b1:b2\">" TAIL), 400);
	assert_int_equal(ask(HEAD "<response status=\"200\"/>" TAIL), 400);
	assert_int_equal(ask(HEAD "<audit mixerid=\"nope\"/>" TAIL), 406);
	assert_int_equal(ask(HEAD "<audit mixerid=\"c1\"/>" TAIL), 200);
	media(50);
	d_hears(true, false, true);

	/* destroy: each member unjoined (unjoin-notify), conferenceexit */
	nunjoins = nexits = 0;
	assert_int_equal(ask(HEAD "<destroyconference conferenceid=\"c1\"/>"
			     TAIL), 200);
	assert_int_equal(nunjoins, 3);
	assert_int_equal(nexits, 1);
	memset(legs[3].last, 0xff, sizeof(legs[3].last));   /* silence */
	d_hears_after(50, false, false, false);
	assert_int_equal(ask(HEAD "<destroyconference conferenceid=\"c1\"/>"
			     TAIL), 406);
	/* a dialog that ends: gone from the table */
	assert_int_equal(mscp_mixer_conn_remove(ex, "d1:d2"), 0);
	assert_int_equal(mscp_mixer_conn_remove(ex, "d1:d2"), ENOENT);

	ex = mem_deref(ex);
	for (int i = 0; i < NL; i++)
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < NL; i++)
		close(legs[i].peer);
}

/* The audit's answer, and a dialog ending while joined */
static void test_audit(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20};
	struct mscp_mixer_cfg xcfg = {.room_base = 500, .eh = event_h};
	struct mixpkg_msg *r = mem_zalloc(sizeof(*r), NULL);
	struct mbuf *mb = mbuf_alloc(2048);
	struct mixer *mx = NULL;
	const char *doc = HEAD "<audit mixerid=\"c1\"/>" TAIL;

	(void)state;
	assert_int_equal(mixer_alloc(&mx, &cfg, mixer_h, NULL), 0);
	xcfg.mx = mx;
	assert_int_equal(mscp_mixer_alloc(&ex, &xcfg), 0);
	setup_legs(mx);
	assert_int_equal(ask(HEAD "<createconference conferenceid=\"c1\">"
			     "<audio-mixing n=\"3\"/></createconference>"
			     TAIL), 200);
	assert_int_equal(ask(JOIN("a1:a2")), 200);
	assert_int_equal(ask(JOIN("c1:c2")), 200);
	assert_int_equal(mscp_mixer_control(ex, doc, strlen(doc), mb), 0);
	assert_int_equal(mixpkg_parse(r, mb->buf, mb->end), MIXPKG_OK);
	assert_int_equal(r->kind, MIXPKG_AUDITRESPONSE);
	assert_int_equal(r->status, 200);
	assert_true(r->has_caps && r->ncodecs == 4);
	assert_true(r->has_conf);
	assert_string_equal(r->conf.id, "c1");
	assert_int_equal(r->conf.n, 3);
	assert_int_equal(r->nlist, 2);
	assert_string_equal(r->list[0], "a1:a2");
	assert_string_equal(r->list[1], "c1:c2");
	assert_int_equal(r->njoins, 2);
	/* a generated conference id */
	mbuf_reset(mb);
	doc = HEAD "<createconference/>" TAIL;
	assert_int_equal(mscp_mixer_control(ex, doc, strlen(doc), mb), 0);
	assert_int_equal(mixpkg_parse(r, mb->buf, mb->end), MIXPKG_OK);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->conf.id, "conf1");
	/* A's dialog ends while joined: unjoin-notify */
	nunjoins = 0;
	assert_int_equal(mscp_mixer_conn_remove(ex, "a1:a2"), 0);
	assert_int_equal(nunjoins, 1);
	ex = mem_deref(ex);
	for (int i = 0; i < NL; i++) {
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
		close(legs[i].peer);
	}
	mem_deref(mx);
	mem_deref(mb);
	mem_deref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_executor),
		cmocka_unit_test(test_audit),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
