/* Distributed mixing over a multicast group (mixer.h's struct
 * mixer_mcast, mixer_self.c) end to end on loopback: five PCMU legs in
 * one room with K = 2 and a group 239.255.x.y (random per run, so that
 * tests running side by side never hear each other). A, B and C send
 * tones of 400, 700 and 1000 Hz at falling levels and mix for
 * themselves, taking the group (mcast_on); D mixes for itself without it
 * (unicast, as before); E gets a mix. A socket that joined the group on
 * 127.0.0.1 reads it:
 *   - the group carries exactly A's and B's voices, each once a tick
 *     (not once per listener), with the SSRCs the signalling side named
 *     (fwd_ssrc), each its tone alone, sequence numbers unbroken;
 *   - A reading the group and dropping its own SSRC hears B alone;
 *   - A, B and C get no talker packets by unicast; D gets the same two
 *     voices by unicast, with the same SSRCs; E gets a mix of A and B;
 *   - the mixer thread allocates nothing in steady state;
 *   - C leaves the group (an update): its unicast streams come back;
 *   - the room's group set to none: nothing more reaches the group. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "media/media.h"
#include "mixer/mixer.h"
#include "mixer/rtp.h"
#include "alloc_count.h"
#include "rtp_peer.h"

#define NL 5
#define FRAME PEER_FRAME
#define WINDOW 20
#define MAX_SSRC 6
#define VOICE(i) (0x5000u + (uint32_t)(i))

struct src {
	uint32_t ssrc;
	unsigned n, since, skips;
	uint16_t seq;
	uint8_t last[WINDOW][FRAME];
};

struct ear {
	int fd;
	struct src src[MAX_SSRC];
	unsigned nsrc;
};

struct leg {
	struct ear ear;
	struct sockaddr_in mix_addr, peer_addr;
	double freq, amp;
	uint32_t id;
	struct mixer_media m;
};

static struct leg legs[NL];
static struct ear group;
static struct sockaddr_in group_sa;
static struct timespec next;
static unsigned kpkt;

static struct src *src_of(struct ear *e, uint32_t ssrc)
{
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i].ssrc == ssrc)
			return &e->src[i];
	assert_true(e->nsrc < MAX_SSRC);
	memset(&e->src[e->nsrc], 0, sizeof(e->src[0]));
	e->src[e->nsrc].ssrc = ssrc;
	return &e->src[e->nsrc++];
}

static void drain(struct ear *e)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct rtp_hdr h;
		struct src *s;

		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != FRAME ||
		    h.pt != 0)
			continue;
		s = src_of(e, h.ssrc);
		if (s->n && h.seq != (uint16_t)(s->seq + 1))
			s->skips++;
		s->seq = h.seq;
		s->n++;
		s->since++;
		memmove(s->last[0], s->last[1], sizeof(s->last) - FRAME);
		memcpy(s->last[WINDOW - 1], h.payload, FRAME);
	}
}

static void run(unsigned frames)
{
	for (unsigned k = 0; k < frames; k++, kpkt++) {
		for (int i = 0; i < NL; i++) {
			uint8_t pkt[12 + FRAME];
			size_t n = peer_pcmu_packet(pkt, kpkt, legs[i].freq,
						    legs[i].amp,
						    0x1000 + (uint32_t)i);

			(void)sendto(legs[i].ear.fd, pkt, n, 0,
				     (struct sockaddr *)&legs[i].mix_addr,
				     sizeof(legs[i].mix_addr));
			drain(&legs[i].ear);
		}
		drain(&group);
		peer_tick_sleep(&next);
	}
	for (int i = 0; i < NL; i++)
		drain(&legs[i].ear);
	drain(&group);
}

static void reset_one(struct ear *e)
{
	for (unsigned j = 0; j < e->nsrc; j++)
		e->src[j].since = e->src[j].skips = 0;
}

static void reset_counts(void)
{
	for (int i = 0; i < NL; i++)
		reset_one(&legs[i].ear);
	reset_one(&group);
}

static double pw(const struct src *s, double f)
{
	return peer_pcmu_power_db(s->last, WINDOW, f);
}

/* The SSRC carrying tone f alone (of the three), or NULL */
static const struct src *carrying(const struct ear *e, double f)
{
	static const double tones[] = {400, 700, 1000};

	for (unsigned i = 0; i < e->nsrc; i++) {
		const struct src *s = &e->src[i];
		bool alone = s->since > 0 && pw(s, f) > -25;

		for (unsigned t = 0; t < 3 && alone; t++)
			if (tones[t] != f && pw(s, tones[t]) > -45)
				alone = false;
		if (alone)
			return s;
	}
	return NULL;
}

static unsigned live(const struct ear *e)
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->nsrc; i++)
		n += e->src[i].since > 0;
	return n;
}

static void show(const char *name, const struct ear *e)
{
	for (unsigned i = 0; i < e->nsrc; i++)
		print_message("%s: ssrc %08x: %u (%u new, %u skipped); 400 "
			      "%.1f, 700 %.1f, 1000 %.1f dBFS\n", name,
			      e->src[i].ssrc, e->src[i].n, e->src[i].since,
			      e->src[i].skips, pw(&e->src[i], 400),
			      pw(&e->src[i], 700), pw(&e->src[i], 1000));
}

/* The group's reader: bound to the group and port, joined on loopback */
static void group_join(void)
{
	struct ip_mreq mr;
	int one = 1;

	group_sa.sin_family = AF_INET;
	group_sa.sin_addr.s_addr = htonl(0xefff0000u |
					 (arc4random() & 0xfffe) | 1);
	group_sa.sin_port = htons((uint16_t)(20000 +
					     2 * arc4random_uniform(10000)));
	group.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(group.fd >= 0);
	assert_int_equal(setsockopt(group.fd, SOL_SOCKET, SO_REUSEADDR, &one,
				    sizeof(one)), 0);
	assert_int_equal(bind(group.fd, (struct sockaddr *)&group_sa,
			      sizeof(group_sa)), 0);
	mr.imr_multiaddr = group_sa.sin_addr;
	mr.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(group.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP,
				    &mr, sizeof(mr)), 0);
}

static void leg_add(struct mixer *mx, struct leg *l, int i, bool self,
		    bool mc)
{
	struct sockaddr_in rtcp, lo = {.sin_family = AF_INET};
	int rtp_fd = peer_udp(&l->mix_addr), rtcp_fd = peer_udp(&rtcp);

	l->ear.fd = peer_udp(&l->peer_addr);
	memset(&l->m, 0, sizeof(l->m));
	memcpy(&l->m.rtp_dst, &l->peer_addr, sizeof(l->peer_addr));
	l->m.rtp_dst_len = sizeof(l->peer_addr);
	l->m.codec = MEDIA_PCMU;
	l->m.telev_pt = -1;
	l->m.send = l->m.recv = true;
	l->m.self_mix = self;
	l->m.fwd_ssrc = VOICE(i);
	memcpy(&l->m.mcast.group, &group_sa, sizeof(group_sa));
	l->m.mcast.group_len = sizeof(group_sa);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&l->m.mcast.local, &lo, sizeof(lo));
	l->m.mcast.local_len = sizeof(lo);
	l->m.mcast.ttl = 1;
	l->m.mcast.codec = MEDIA_PCMU;
	l->m.mcast_on = mc;
	assert_int_equal(mixer_stream_add(mx, 1, rtp_fd, rtcp_fd, &l->m,
					  &l->id), 0);
}

static void test_mcast(void **state)
{
	const double freq[NL] = {400, 700, 1000, 0, 0};
	const double amp[NL] = {16000, 10000, 5000, 0, 0};
	const bool self[NL] = {true, true, true, true, false};
	const bool mc[NL] = {true, true, true, false, false};
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 2};
	struct mixer *mx = NULL;
	uint64_t t0;
	struct leg *a = &legs[0], *c = &legs[2], *d = &legs[3],
		*e = &legs[4];
	const struct src *ga, *gb;
	unsigned long before;
	unsigned heard_by_a = 0;

	(void)state;
	memset(legs, 0, sizeof(legs));
	memset(&group, 0, sizeof(group));
	group_join();
	assert_int_equal(mixer_alloc(&mx, &cfg, NULL, NULL), 0);
	for (int i = 0; i < NL; i++) {
		legs[i].freq = freq[i];
		legs[i].amp = amp[i];
		leg_add(mx, &legs[i], i, self[i], mc[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(100);
	reset_counts();
	before = allocs;
	run(50);                       /* a second of steady state */
	assert_int_equal(allocs - before, 0);
	show("group", &group);
	show("A", &a->ear);
	show("C", &c->ear);
	show("D", &d->ear);
	show("E", &e->ear);
	/* the group: A and B, once a tick each, on the SSRCs named */
	assert_int_equal(live(&group), 2);
	ga = carrying(&group, 400);
	gb = carrying(&group, 700);
	assert_non_null(ga);
	assert_non_null(gb);
	assert_int_equal(ga->ssrc, VOICE(0));
	assert_int_equal(gb->ssrc, VOICE(1));
	assert_in_range(ga->since, 45, 51);
	assert_in_range(gb->since, 45, 51);
	assert_int_equal(ga->skips + gb->skips, 0);
	/* A drops its own SSRC: B is what it hears */
	for (unsigned i = 0; i < group.nsrc; i++)
		if (group.src[i].ssrc != VOICE(0) && group.src[i].since)
			heard_by_a |= group.src[i].ssrc == VOICE(1) ? 1 : 2;
	assert_int_equal(heard_by_a, 1);
	/* no talker by unicast to those on the group */
	for (int i = 0; i < 3; i++)
		assert_int_equal(live(&legs[i].ear), 0);
	/* D (unicast): the same voices, the same SSRCs */
	assert_int_equal(live(&d->ear), 2);
	assert_non_null(carrying(&d->ear, 400));
	assert_int_equal(carrying(&d->ear, 400)->ssrc, VOICE(0));
	assert_int_equal(carrying(&d->ear, 700)->ssrc, VOICE(1));
	/* E: a mix */
	assert_int_equal(live(&e->ear), 1);
	assert_true(pw(&e->ear.src[0], 400) > -25);
	assert_true(pw(&e->ear.src[0], 700) > -25);

	/* C leaves the group: A and B come by unicast again */
	c->m.mcast_on = false;
	t0 = peer_mixer_ticks(mx);
	assert_int_equal(mixer_stream_update(mx, c->id, &c->m), 0);
	peer_mixer_wait(mx, t0, NULL);
	run(10);
	reset_counts();
	run(25);
	show("C, unicast", &c->ear);
	assert_int_equal(live(&c->ear), 2);
	assert_int_equal(carrying(&c->ear, 400)->ssrc, VOICE(0));
	assert_int_equal(live(&group), 2);

	/* the room without a group (every stream says so): nothing more
	 * reaches it, and A gets unicast */
	t0 = peer_mixer_ticks(mx);
	for (int i = 0; i < NL; i++) {
		legs[i].m.mcast.group_len = 0;
		legs[i].m.mcast_on = false;
		assert_int_equal(mixer_stream_update(mx, legs[i].id,
						     &legs[i].m), 0);
	}
	peer_mixer_wait(mx, t0, NULL);
	run(10);
	reset_counts();
	run(25);
	show("group, off", &group);
	assert_int_equal(live(&group), 0);
	assert_int_equal(live(&a->ear), 1);

	for (int i = 0; i < NL; i++)
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
	mem_deref(mx);
	for (int i = 0; i < NL; i++)
		close(legs[i].ear.fd);
	close(group.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcast),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
