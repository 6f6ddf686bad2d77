/*
 * The AS end of the media-server split (src/mscp/mscp_as.c) against the
 * MS end (mscp_ms.c) over real loopback TCP, with a real mixer and RTP
 * on loopback (rtp_peer.c), as the focus and a mixer process use them:
 *   - the control dialog's offer and answer, the channel up (estabh);
 *   - createconference, two joins: B hears A's 400 Hz tone, and the
 *     active talkers name A alone;
 *   - modifyjoin A muted: B hears nothing of it; unmuted with a gain of
 *     -12 dB: about 12 dB less than before;
 *   - a join naming no connection reaches connh with 412;
 *   - requests before the channel is up: ENOTCONN;
 *   - the control dialog's end closes the channel (closeh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "mscp/mscp.h"
#include "rtp_peer.h"

struct leg {
	const char *connid;
	int peer;
	struct sockaddr_in mix_addr, peer_addr;
	double freq;
	uint32_t id, k;
	uint8_t last[25][PEER_FRAME];
	unsigned got;
};

static struct leg legs[2] = {
	{"fa1:ms1", -1, {0}, {0}, 400, 0, 0, {{0}}, 0},
	{"fb1:ms2", -1, {0}, {0}, 0, 0, 0, {{0}}, 0},
};

static struct mscp_ms *ms;
static struct mscp_as *as;
static struct tmr tick_tmr, stop_tmr;
static unsigned estabs, closes, talkers_a, talkers_none, refused_412;
static bool (*pred)(void);

static void estab_h(void *arg)
{
	(void)arg;
	estabs++;
}

static void close_h(int err, const char *why, void *arg)
{
	(void)arg;
	print_message("closed: %s (%d)\n", why, err);
	closes++;
}

static void talkers_h(const char *confid, const char *const *ids, size_t n,
		      void *arg)
{
	(void)arg;
	assert_string_equal(confid, "room1");
	if (n == 1 && !strcmp(ids[0], legs[0].connid))
		talkers_a++;
	if (n == 0)
		talkers_none++;
}

static void conn_h(const char *connid, uint16_t status, const char *reason,
		   void *arg)
{
	(void)arg;
	print_message("conn %s: %u %s\n", connid, status, reason);
	if (status == 412 && !strcmp(connid, "nobody:here"))
		refused_412++;
}

static void mixer_h(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	mscp_ms_event(ms, ev);
}

/* Every 20 ms: A's tone out, what B got in */
static void tick_h(void *arg)
{
	uint8_t pkt[12 + PEER_FRAME], buf[1500];
	ssize_t n;

	(void)arg;
	for (int i = 0; i < 2; i++) {
		struct leg *l = &legs[i];
		size_t len = peer_pcmu_packet(pkt, l->k++, l->freq,
					      l->freq ? 12000 : 0,
					      0x1000 + (uint32_t)i);

		(void)sendto(l->peer, pkt, len, 0,
			     (struct sockaddr *)&l->mix_addr,
			     sizeof(l->mix_addr));
		while ((n = recv(l->peer, buf, sizeof(buf), MSG_DONTWAIT)) >
		       0) {
			struct rtp_hdr h;

			if (!rtp_parse(&h, buf, (size_t)n) ||
			    h.plen != PEER_FRAME)
				continue;
			memmove(l->last[0], l->last[1],
				sizeof(l->last) - PEER_FRAME);
			memcpy(l->last[24], h.payload, PEER_FRAME);
			l->got++;
		}
	}
	if (pred && pred()) {
		re_cancel();
		return;
	}
	tmr_start(&tick_tmr, 20, tick_h, NULL);
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Runs the loop until p holds or ms milliseconds passed */
static bool run(bool (*p)(void), unsigned ms_max)
{
	pred = p;
	tmr_start(&tick_tmr, 1, tick_h, NULL);
	tmr_start(&stop_tmr, ms_max, stop_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&tick_tmr);
	tmr_cancel(&stop_tmr);
	pred = NULL;
	return !p || p();
}

static bool is_up(void) { return estabs > 0; }
static bool is_closed(void) { return closes > 0; }
static bool heard_a(void) { return talkers_a > 0; }
static bool got_412(void) { return refused_412 > 0; }

/* B's last half second at 400 Hz */
static double b_hears(void)
{
	return peer_pcmu_power_db((const uint8_t (*)[PEER_FRAME])
				  legs[1].last, 25, 400);
}

/* B hears A between these (dB): run() waits for it after a change,
 * which goes through the MS's channel and the mixer's queue, however
 * late a loaded machine runs them */
static double b_lo, b_hi;

static bool b_between(void)
{
	double p = b_hears();

	return p > b_lo && p < b_hi;
}

static void setup_legs(struct mixer *mx)
{
	for (int i = 0; i < 2; i++) {
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
		assert_int_equal(mixer_stream_add(mx, 10 + (uint32_t)i, rtp_fd,
						  rtcp_fd, &m, &legs[i].id), 0);
		assert_int_equal(mscp_ms_conn_add(ms, legs[i].connid,
						  legs[i].id, 10 + (uint32_t)i,
						  &m), 0);
	}
}

static void test_as(void **state)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 4};
	struct mscp_as_handlers h = {.estabh = estab_h, .closeh = close_h,
				     .talkersh = talkers_h, .connh = conn_h};
	struct mscp_join j = {0};
	struct mixer *mx = NULL;
	struct mbuf *offer = NULL, *answer = NULL;
	struct sa laddr;
	char id[80];
	double loud, soft;

	(void)state;
	tmr_init(&tick_tmr);
	tmr_init(&stop_tmr);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(mixer_alloc(&mx, &cfg, mixer_h, NULL), 0);
	assert_int_equal(mscp_ms_alloc(&ms, &(struct mscp_ms_cfg){
				.mx = mx, .laddr = &laddr,
				.room_base = 1000}), 0);
	setup_legs(mx);

	/* the control dialog: offer, answer, channel */
	assert_int_equal(mscp_as_alloc(&as, &laddr, &offer, &h), 0);
	assert_false(mscp_as_up(as));
	assert_int_equal(mscp_as_conf_create(as, "room1", 0), ENOTCONN);
	offer->pos = 0;
	assert_int_equal(mscp_ms_dialog_offer(ms, offer, &answer, id,
					      sizeof(id)), 0);
	answer->pos = 0;
	assert_int_equal(mscp_as_answer(as, answer), 0);
	assert_true(run(is_up, 3000));
	assert_true(mscp_as_up(as));

	/* a conference, two joins: B hears A, A is the talker */
	assert_int_equal(mscp_as_conf_create(as, "room1", 2), 0);
	assert_int_equal(mscp_as_join(as, legs[0].connid, "room1", &j), 0);
	assert_int_equal(mscp_as_join(as, legs[1].connid, "room1", &j), 0);
	assert_true(run(heard_a, 5000));
	assert_true(run(NULL, 600));
	loud = b_hears();
	print_message("B hears A at %.1f dB\n", loud);
	assert_true(loud > -30);

	/* muted: gone; unmuted at -12 dB: about 12 dB less */
	j.muted = true;
	assert_int_equal(mscp_as_modifyjoin(as, legs[0].connid, "room1", &j),
			 0);
	b_lo = -1000;
	b_hi = loud - 30;
	assert_true(run(b_between, 5000));
	assert_true(run(NULL, 700));
	print_message("A muted: %.1f dB\n", b_hears());
	assert_true(b_hears() < loud - 30);
	j.muted = false;
	j.gain_in_db = -12;
	assert_int_equal(mscp_as_modifyjoin(as, legs[0].connid, "room1", &j),
			 0);
	b_lo = loud - 16;
	b_hi = loud - 8;
	assert_true(run(b_between, 5000));
	assert_true(run(NULL, 700));
	soft = b_hears();
	print_message("A at -12 dB: %.1f dB\n", soft);
	assert_true(soft < loud - 8 && soft > loud - 16);

	/* a join naming no connection */
	assert_int_equal(mscp_as_join(as, "nobody:here", "room1", &j), 0);
	assert_true(run(got_412, 3000));
	assert_int_equal(mscp_as_join(as, "not-a-connid", "room1", &j),
			 EINVAL);

	/* the dialog's end closes the channel */
	mscp_ms_dialog_end(ms, id);
	assert_true(run(is_closed, 3000));
	assert_false(mscp_as_up(as));
	assert_int_equal(mscp_as_unjoin(as, legs[0].connid, "room1"),
			 ENOTCONN);

	as = mem_deref(as);
	for (int i = 0; i < 2; i++) {
		(void)mscp_ms_conn_remove(ms, legs[i].connid);
		(void)mixer_stream_remove(mx, legs[i].id);
		close(legs[i].peer);
	}
	ms = mem_deref(ms);
	mem_deref(offer);
	mem_deref(answer);
	mem_deref(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
