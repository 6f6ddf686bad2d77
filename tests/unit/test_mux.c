/* The mixer on per-thread RTP sockets (mixer_mux.c), end to end on
 * loopback: one thread, one port pair P/P+1 for every stream. A, B and C
 * send tones of 400, 700 and 1000 Hz; C's SDP names a port it does not
 * send from. Then:
 *   - every packet a leg gets comes from P, and each hears the other two
 *     and not itself (the packets were told apart by source);
 *   - C, heard from an unsignalled port, is claimed (the only stream not
 *     yet heard from at its host) and its mix goes where it sends from;
 *   - a stranger (new address, new SSRC) is not heard and is counted,
 *     and so is garbage (short, not RTP, random);
 *   - A moves to another port with the same SSRC (a NAT re-mapped): the
 *     others still hear it and its mix follows it;
 *   - two callers at one host whose SDP both name ports they do not send
 *     from are not guessed at: neither is heard (no cross-wiring), nor
 *     are two unheard calls signalled at one address and port;
 *   - the thread allocates nothing in steady state, and the thread's
 *     stats name P. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
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

struct leg {
	int sig;                     /* the socket its SDP names */
	int tx;                      /* the socket it sends from */
	struct sockaddr_in sig_addr;
	double freq;
	uint32_t ssrc, id;
	uint8_t last[20][PEER_FRAME];
	unsigned got, wrong_src;
	bool borrowed;               /* its socket is another leg's */
};

static uint16_t port;            /* the thread's RTP port */
static struct sockaddr_in mix_addr;

/* A mixer with one thread on a free even port pair */
static struct mixer *mixer_on_free_port(void)
{
	struct mixer_cfg cfg = {.threads = 1, .jitter_ms = 20,
				.max_speakers = 4, .mix_hz = 8000};
	struct sockaddr_in *a = (struct sockaddr_in *)&cfg.shared_addr;
	struct mixer *mx = NULL;

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 50 && !mx; i++) {
		cfg.shared_port = (uint16_t)(42000 + 2 * (rand() % 8000));
		if (mixer_alloc(&mx, &cfg, NULL, NULL))
			mx = NULL;
	}
	assert_non_null(mx);
	port = cfg.shared_port;
	memset(&mix_addr, 0, sizeof(mix_addr));
	mix_addr.sin_family = AF_INET;
	mix_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	mix_addr.sin_port = htons(port);
	return mx;
}

/* l's stream in room 1, signalled at l->sig_addr: PCMU both ways */
static void stream_add(struct mixer *mx, struct leg *l)
{
	struct mixer_media m = {0};

	memcpy(&m.rtp_dst, &l->sig_addr, sizeof(l->sig_addr));
	m.rtp_dst_len = sizeof(l->sig_addr);
	m.codec = MEDIA_PCMU;
	m.telev_pt = -1;
	m.send = m.recv = true;
	m.gain_in_db = m.gain_out_db = 0;
	assert_int_equal(mixer_stream_add(mx, 1, -1, -1, &m, &l->id), 0);
}

/* A leg with its stream; it sends from its signalled socket unless
 * apart */
static void leg_add(struct mixer *mx, struct leg *l, double freq,
		    uint32_t ssrc, bool apart)
{
	struct sockaddr_in other;

	memset(l, 0, sizeof(*l));
	l->freq = freq;
	l->ssrc = ssrc;
	l->sig = peer_udp(&l->sig_addr);
	l->tx = apart ? peer_udp(&other) : l->sig;
	stream_add(mx, l);
}

/* A leg with its stream at the very address (and socket) of another
 * leg: two calls multiplexed on one address, told apart by SSRC */
static void leg_add_at(struct mixer *mx, struct leg *l, double freq,
		       uint32_t ssrc, const struct leg *at)
{
	memset(l, 0, sizeof(*l));
	l->freq = freq;
	l->ssrc = ssrc;
	l->sig = l->tx = at->sig;
	l->sig_addr = at->sig_addr;
	l->borrowed = true;
	stream_add(mx, l);
}

/* A, B and C with 400, 700 and 1000 Hz from SSRCs ssrc, + 0x10, + 0x20;
 * C (and B when b_apart) send from ports their SDP does not name */
static void tones_add(struct mixer *mx, struct leg *legs, uint32_t ssrc,
		      bool b_apart)
{
	leg_add(mx, &legs[0], 400, ssrc, false);
	leg_add(mx, &legs[1], 700, ssrc + 0x10, b_apart);
	leg_add(mx, &legs[2], 1000, ssrc + 0x20, true);
}

/* A new socket for l to send (and be answered) from, same SSRC */
static void leg_move(struct leg *l)
{
	struct sockaddr_in a;

	if (l->tx != l->sig)
		close(l->tx);
	l->tx = peer_udp(&a);
}

static void leg_close(struct leg *l)
{
	if (l->borrowed)
		return;
	if (l->tx != l->sig)
		close(l->tx);
	close(l->sig);
}

/* The end of a test: the legs' streams removed, the mixer freed */
static void legs_end(struct mixer *mx, struct leg *legs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(mixer_stream_remove(mx, legs[i].id), 0);
		leg_close(&legs[i]);
	}
	mem_deref(mx);
}

static void leg_send(struct leg *l, unsigned k)
{
	uint8_t pkt[12 + PEER_FRAME];
	size_t n = peer_pcmu_packet(pkt, k, l->freq, 12000, l->ssrc);

	(void)sendto(l->tx, pkt, n, 0, (struct sockaddr *)&mix_addr,
		     sizeof(mix_addr));
}

/* What came to fd for l: each packet must come from the thread's port */
static void drain_fd(struct leg *l, int fd)
{
	uint8_t buf[1500];
	struct sockaddr_in src;
	socklen_t slen = sizeof(src);
	ssize_t n;

	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&src, &slen)) > 0) {
		struct rtp_hdr h;

		slen = sizeof(src);
		if (ntohs(src.sin_port) != port)
			l->wrong_src++;
		if (!rtp_parse(&h, buf, (size_t)n) || h.plen != PEER_FRAME)
			continue;
		memmove(l->last[0], l->last[1], sizeof(l->last) -
			PEER_FRAME);
		memcpy(l->last[19], h.payload, PEER_FRAME);
		l->got++;
	}
}

static void drain(struct leg *l)
{
	drain_fd(l, l->tx);
	if (l->tx != l->sig)
		drain_fd(l, l->sig);
}

static double heard_db(const struct leg *l, double f)
{
	return peer_pcmu_power_db(l->last + 10, 10, f);
}

/* ticks of everyone in legs[] sending (and a stranger, when given) */
static void run(struct leg *legs, unsigned n, unsigned from, unsigned to,
		struct timespec *next, struct leg *stranger)
{
	for (unsigned k = from; k < to; k++) {
		for (unsigned i = 0; i < n; i++) {
			leg_send(&legs[i], k);
			drain(&legs[i]);
		}
		if (stranger)
			leg_send(stranger, k);
		peer_tick_sleep(next);
	}
	for (unsigned i = 0; i < n; i++)
		drain(&legs[i]);
}

static void test_shared_port(void **state)
{
	struct mixer *mx = mixer_on_free_port();
	struct leg legs[3], stranger;
	struct mixer_thread_stats st;
	struct timespec next;
	unsigned long before;
	uint8_t junk[64];
	int jfd;
	struct sockaddr_in ja;

	(void)state;
	tones_add(mx, legs, 0xa0, false);
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(legs, 3, 0, 50, &next, NULL);
	before = allocs;
	run(legs, 3, 50, 100, &next, NULL);
	assert_int_equal(allocs - before, 0);
	for (int i = 0; i < 3; i++) {
		print_message("leg %d: got %u (not from P: %u); 400 %.1f, "
			      "700 %.1f, 1000 %.1f dBFS\n", i, legs[i].got,
			      legs[i].wrong_src, heard_db(&legs[i], 400),
			      heard_db(&legs[i], 700),
			      heard_db(&legs[i], 1000));
		assert_true(legs[i].got > 80);
		assert_int_equal(legs[i].wrong_src, 0);
		/* hears the other two, not itself */
		for (int j = 0; j < 3; j++)
			assert_true(i == j ?
				    heard_db(&legs[i], legs[j].freq) < -40 :
				    heard_db(&legs[i], legs[j].freq) > -30);
	}

	/* a stranger and garbage: not heard, counted */
	leg_add(mx, &stranger, 0, 0, false);        /* (only for sockets) */
	assert_int_equal(mixer_stream_remove(mx, stranger.id), 0);
	stranger.freq = 1500;
	stranger.ssrc = 0x5e;
	jfd = peer_udp(&ja);
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(junk));

		for (size_t b = 0; b < n; b++)
			junk[b] = (uint8_t)rand();
		if (i % 3 == 0 && n >= 12)
			junk[0] = 0x80;          /* RTP-like, unknown SSRC */
		(void)sendto(jfd, junk, n, 0, (struct sockaddr *)&mix_addr,
			     sizeof(mix_addr));
	}
	close(jfd);
	run(legs, 3, 100, 150, &next, &stranger);
	mixer_thread_stats(mx, 0, &st);
	print_message("stranger 1500 Hz at A: %.1f dBFS; unmatched %llu, "
		      "port %u\n", heard_db(&legs[0], 1500),
		      (unsigned long long)st.rx_unmatched, st.port);
	assert_true(heard_db(&legs[0], 1500) < -40);
	assert_true(heard_db(&legs[0], 700) > -30);
	assert_true(st.rx_unmatched >= 50 + 150);
	assert_int_equal(st.port, port);

	/* A's NAT re-maps: same SSRC from a new port */
	leg_move(&legs[0]);
	legs[0].got = 0;
	run(legs, 3, 150, 200, &next, NULL);
	print_message("A moved: got %u there; B hears 400 at %.1f dBFS\n",
		      legs[0].got, heard_db(&legs[1], 400));
	assert_true(legs[0].got > 30);
	assert_true(heard_db(&legs[0], 700) > -30);
	assert_true(heard_db(&legs[1], 400) > -30);

	leg_close(&stranger);
	legs_end(mx, legs, 3);
}

/* Two unheard callers at one host, both sending from ports their SDP
 * does not name: which is which cannot be known, so neither is taken
 * (a guess could give one the other's mute and gain); once one of them
 * is heard from where its SDP says, the other is the only one left */
static void test_ambiguous(void **state)
{
	struct mixer *mx = mixer_on_free_port();
	struct leg legs[3];
	struct mixer_thread_stats st;
	struct timespec next;

	(void)state;
	tones_add(mx, legs, 0xa1, true);
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(legs, 3, 0, 60, &next, NULL);
	mixer_thread_stats(mx, 0, &st);
	print_message("A hears 700 %.1f, 1000 %.1f dBFS; unmatched %llu\n",
		      heard_db(&legs[0], 700), heard_db(&legs[0], 1000),
		      (unsigned long long)st.rx_unmatched);
	assert_true(heard_db(&legs[0], 700) < -40);
	assert_true(heard_db(&legs[0], 1000) < -40);
	assert_true(st.rx_unmatched >= 100);
	/* B now sends from its signalled port: C is the only one left */
	close(legs[1].tx);
	legs[1].tx = legs[1].sig;
	run(legs, 3, 60, 120, &next, NULL);
	print_message("then A hears 700 %.1f, 1000 %.1f dBFS\n",
		      heard_db(&legs[0], 700), heard_db(&legs[0], 1000));
	assert_true(heard_db(&legs[0], 700) > -30);
	assert_true(heard_db(&legs[0], 1000) > -30);
	legs_end(mx, legs, 3);
}

/* Two calls signalled at one address and port, both sending (SSRCs
 * 0xd0, 0xe0) before either was heard: which is which cannot be known,
 * so neither is taken; once one of the calls ends, the other is the only
 * one at that address and is heard */
static void test_same_address(void **state)
{
	struct mixer *mx = mixer_on_free_port();
	struct leg legs[3];
	struct timespec next;

	(void)state;
	leg_add(mx, &legs[0], 400, 0xa2, false);
	leg_add(mx, &legs[1], 700, 0xd0, false);
	leg_add_at(mx, &legs[2], 1000, 0xe0, &legs[1]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	run(legs, 3, 0, 60, &next, NULL);
	print_message("A hears 700 %.1f, 1000 %.1f dBFS\n",
		      heard_db(&legs[0], 700), heard_db(&legs[0], 1000));
	assert_true(heard_db(&legs[0], 700) < -40);
	assert_true(heard_db(&legs[0], 1000) < -40);
	assert_int_equal(mixer_stream_remove(mx, legs[2].id), 0);
	run(legs, 2, 60, 120, &next, NULL);
	print_message("the 1000 Hz call ended: A hears 700 %.1f dBFS\n",
		      heard_db(&legs[0], 700));
	assert_true(heard_db(&legs[0], 700) > -30);
	legs_end(mx, legs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_port),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_same_address),
	};

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (libre_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
