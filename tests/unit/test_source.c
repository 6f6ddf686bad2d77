/* Whose media a stream takes (src/util/msource.c): the signalled address
 * always; a learnt one only after PROBATION in-sequence packets of one
 * SSRC while the source is silent, and a re-map only with the source's
 * SSRC; RTCP only from the signalled RTCP address or the source's host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "util/msource.h"

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return ss;
}

#define LEN ((socklen_t)sizeof(struct sockaddr_in))

static enum msource_verdict rtp(struct msource *ms, const char *ip,
				uint16_t port, uint32_t ssrc, uint16_t seq,
				uint32_t ms_now)
{
	struct sockaddr_storage a = addr(ip, port);

	return msource_rtp(ms, &a, LEN, ssrc, seq, ms_now);
}

static void signal_at(struct msource *ms, const char *ip, uint16_t port)
{
	struct sockaddr_storage r = addr(ip, port), c = addr(ip, port + 1);

	msource_signal(ms, &r, LEN, &c, LEN);
}

/* the signalled owner is taken; a stranger never while it talks, not
 * even with its SSRC and the next sequence numbers */
static void test_owner_and_stranger(void **state)
{
	struct msource ms = {0};
	uint32_t t = 1000;

	(void)state;
	signal_at(&ms, "10.0.0.1", 4000);
	assert_int_equal(rtp(&ms, "10.0.0.1", 4000, 7, 100, t), MSOURCE_NEW);
	for (uint16_t i = 1; i < 50; i++) {
		t += 20;
		assert_int_equal(rtp(&ms, "10.0.0.1", 4000, 7, 100 + i, t),
				 MSOURCE_SAME);
		/* the stranger, in step, with the owner's SSRC */
		assert_int_equal(rtp(&ms, "10.9.9.9", 5000, 7, 100 + i, t),
				 MSOURCE_DROP);
		assert_int_equal(rtp(&ms, "10.0.0.1", 4002, 99, i, t),
				 MSOURCE_DROP);
	}
}

/* a caller behind a NAT: its SDP names an address it does not send
 * from; the address it sends from is learnt after PROBATION packets in
 * sequence, and a stranger in between restarts the count */
static void test_learn_behind_nat(void **state)
{
	struct msource ms = {0};
	uint32_t t = 0;

	(void)state;
	signal_at(&ms, "192.168.1.5", 4000);
	assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, 10, t),
			 MSOURCE_DROP);
	assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, 11, t += 20),
			 MSOURCE_DROP);
	/* a stranger in between: the probation starts again */
	assert_int_equal(rtp(&ms, "198.51.100.1", 2000, 8, 1, t += 1),
			 MSOURCE_DROP);
	for (uint16_t s = 12; s < 15; s++)
		assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, s, t += 20),
				 MSOURCE_DROP);
	assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, 15, t += 20),
			 MSOURCE_NEW);
	assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, 16, t += 20),
			 MSOURCE_SAME);
	/* a gap in sequence numbers does not count as in sequence */
	struct msource m2 = {0};

	signal_at(&m2, "192.168.1.5", 4000);
	for (uint16_t s = 0; s < 8; s += 2)
		assert_int_equal(rtp(&m2, "203.0.113.7", 31000, 5, s, t += 20),
				 MSOURCE_DROP);
}

/* a NAT that re-maps: the owner falls silent, the same SSRC comes from a
 * new port in sequence and is followed; another SSRC never is; the
 * signalled address wins back at once */
static void test_remap(void **state)
{
	struct msource ms = {0};
	uint32_t t = 5000;
	uint16_t s = 300;

	(void)state;
	signal_at(&ms, "10.0.0.1", 4000);
	assert_int_equal(rtp(&ms, "10.0.0.1", 4000, 7, s++, t), MSOURCE_NEW);
	/* silent, but not for long enough yet */
	t += 150;
	for (int i = 0; i < 6; i++)
		assert_int_equal(rtp(&ms, "10.0.0.1", 4100, 7, s++, t += 5),
				 MSOURCE_DROP);
	/* silent long enough: another SSRC is still refused */
	t += 300;
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(rtp(&ms, "10.0.0.1", 4200, 8, i, t += 20),
				 MSOURCE_DROP);
	/* the owner's SSRC from a new port: PROBATION packets, then taken */
	for (int i = 0; i < 3; i++)
		assert_int_equal(rtp(&ms, "10.0.0.1", 4100, 7, s++, t += 20),
				 MSOURCE_DROP);
	assert_int_equal(rtp(&ms, "10.0.0.1", 4100, 7, s++, t += 20),
			 MSOURCE_NEW);
	assert_int_equal(rtp(&ms, "10.0.0.1", 4100, 7, s++, t += 20),
			 MSOURCE_SAME);
	/* the old (signalled) port is the owner's whenever it speaks */
	assert_int_equal(rtp(&ms, "10.0.0.1", 4000, 7, s++, t += 20),
			 MSOURCE_NEW);
	assert_int_equal(rtp(&ms, "10.0.0.1", 4100, 7, s++, t += 20),
			 MSOURCE_DROP);
}

/* RTCP: the signalled RTCP address, or the RTP source's host */
static void test_rtcp(void **state)
{
	struct msource ms = {0};
	struct sockaddr_storage sig = addr("192.168.1.5", 4001);
	struct sockaddr_storage nat = addr("203.0.113.7", 31001);
	struct sockaddr_storage other = addr("198.51.100.1", 31001);

	(void)state;
	signal_at(&ms, "192.168.1.5", 4000);
	assert_true(msource_rtcp(&ms, &sig));
	assert_false(msource_rtcp(&ms, &nat));       /* not learnt yet */
	for (uint16_t s = 0; s < 4; s++)
		(void)rtp(&ms, "203.0.113.7", 31000, 5, s, s * 20);
	assert_true(msource_rtcp(&ms, &nat));
	assert_false(msource_rtcp(&ms, &other));
}

/* new signalled addresses (a re-INVITE) forget what was learnt; the same
 * ones again do not */
static void test_resignal(void **state)
{
	struct msource ms = {0};

	(void)state;
	signal_at(&ms, "192.168.1.5", 4000);
	for (uint16_t s = 0; s < 4; s++)
		(void)rtp(&ms, "203.0.113.7", 31000, 5, s, s * 20);
	assert_int_equal(ms.cur_len, LEN);
	signal_at(&ms, "192.168.1.5", 4000);
	assert_int_equal(ms.cur_len, LEN);
	signal_at(&ms, "192.168.1.6", 4000);
	assert_int_equal(ms.cur_len, 0);
	assert_int_equal(rtp(&ms, "203.0.113.7", 31000, 5, 4, 100),
			 MSOURCE_DROP);
	/* and the SSRC learnt is history too: behind its NAT the caller
	 * now sends another stream (a new SSRC from a new port, as after a
	 * transfer through a B2BUA), learnt as at the start */
	for (uint16_t s = 0; s < 3; s++)
		assert_int_equal(rtp(&ms, "203.0.113.7", 32000, 9, s,
				     400 + s * 20), MSOURCE_DROP);
	assert_int_equal(rtp(&ms, "203.0.113.7", 32000, 9, 3, 460),
			 MSOURCE_NEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_and_stranger),
		cmocka_unit_test(test_learn_behind_nat),
		cmocka_unit_test(test_remap),
		cmocka_unit_test(test_rtcp),
		cmocka_unit_test(test_resignal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
