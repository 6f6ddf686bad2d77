/* Per-source limits (src/util/srclimit.c) on a clock of our own: the
 * token bucket, refusals then silence, blocks after offences and their
 * end, exempt networks, what a source may hold at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "util/log.h"
#include "util/srclimit.h"

static uint64_t now;

static uint64_t clock_ms(void)
{
	return now;
}

static struct sa at(const char *ip)
{
	struct sa a;

	assert_int_equal(sa_set_str(&a, ip, 5060), 0);
	return a;
}

static struct srclimit *make(const char *exempt)
{
	struct srclimit_cfg cfg = {
		.what = "test", .rate_per_s = 10, .burst = 5, .offences = 3,
		.window_s = 60, .block_s = 600, .exempt = exempt,
		.held_max = {2, 1}, .clock_ms = clock_ms,
	};
	struct srclimit *sl = NULL;

	assert_int_equal(srclimit_alloc(&sl, &cfg), 0);
	return sl;
}

static void test_bucket(void **state)
{
	struct srclimit *sl = make(NULL);
	struct sa a = at("192.0.2.1"), b = at("192.0.2.2");
	struct srclimit_stats st;
	int i;

	(void)state;
	now = 1000;
	for (i = 0; i < 5; i++)                    /* the burst */
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	for (i = 0; i < 5; i++)                    /* refused, answered */
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OVER);
	for (i = 0; i < 20; i++)                   /* then silence */
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_QUIET);
	assert_int_equal(srclimit_check(sl, &b), SRCLIMIT_OK);   /* its own */
	now += 100;                                /* one token back */
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_QUIET);
	now += 1000;                  /* a new second: refusals again */
	for (i = 0; i < 5; i++)
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OVER);
	srclimit_stats(sl, &st);
	assert_int_equal(st.refused, 6);
	assert_int_equal(st.dropped, 21);
	mem_deref(sl);
}

static void test_block(void **state)
{
	struct srclimit *sl = make(NULL);
	struct sa a = at("192.0.2.1");
	struct srclimit_stats st;

	(void)state;
	now = 50000;
	srclimit_offence(sl, &a, "404");
	srclimit_offence(sl, &a, "404");
	now += 61000;                 /* the window passed: counts again */
	srclimit_offence(sl, &a, "404");
	srclimit_offence(sl, &a, "404");
	assert_false(srclimit_blocked(sl, &a));
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	srclimit_offence(sl, &a, "404");           /* the third in 60 s */
	assert_true(srclimit_blocked(sl, &a));
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_QUIET);
	srclimit_stats(sl, &st);
	assert_int_equal(st.blocks, 1);
	assert_int_equal(st.blocked, 1);
	now += 600000;                /* the block is over */
	assert_false(srclimit_blocked(sl, &a));
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	mem_deref(sl);
}

static void test_exempt(void **state)
{
	struct srclimit *sl = make("10.0.0.0/8, 2001:db8::/32,192.0.2.7");
	struct sa in = at("10.1.2.3"), v6 = at("2001:db8::1");
	struct sa one = at("192.0.2.7"), out = at("11.0.0.1");

	(void)state;
	now = 0;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(srclimit_check(sl, &in), SRCLIMIT_OK);
		assert_int_equal(srclimit_check(sl, &v6), SRCLIMIT_OK);
		assert_int_equal(srclimit_check(sl, &one), SRCLIMIT_OK);
		srclimit_offence(sl, &in, "404");
	}
	assert_false(srclimit_blocked(sl, &in));
	for (int i = 0; i < 5; i++)
		assert_int_equal(srclimit_check(sl, &out), SRCLIMIT_OK);
	assert_int_equal(srclimit_check(sl, &out), SRCLIMIT_OVER);
	assert_true(srclimit_exempt_valid("127.0.0.1/32,::1"));
	assert_true(srclimit_exempt_valid(""));
	assert_false(srclimit_exempt_valid("127.0.0.1/33"));
	assert_false(srclimit_exempt_valid("10.0.0.0/x"));
	assert_false(srclimit_exempt_valid("not-an-address"));
	mem_deref(sl);
}

static void test_held(void **state)
{
	struct srclimit *sl = make(NULL);
	struct sa a = at("192.0.2.1"), b = at("192.0.2.2");
	struct srclimit_stats st;

	(void)state;
	assert_true(srclimit_take(sl, &a, SRCLIMIT_CALLS));
	assert_true(srclimit_take(sl, &a, SRCLIMIT_CALLS));
	assert_false(srclimit_take(sl, &a, SRCLIMIT_CALLS));
	assert_true(srclimit_take(sl, &b, SRCLIMIT_CALLS));
	assert_true(srclimit_take(sl, &a, SRCLIMIT_SUBS));
	assert_false(srclimit_take(sl, &a, SRCLIMIT_SUBS));
	srclimit_give(sl, &a, SRCLIMIT_CALLS);
	assert_true(srclimit_take(sl, &a, SRCLIMIT_CALLS));
	srclimit_stats(sl, &st);
	assert_int_equal(st.held_refused[SRCLIMIT_CALLS], 1);
	assert_int_equal(st.held_refused[SRCLIMIT_SUBS], 1);
	mem_deref(sl);
}

/* A table full of live sources (a flood from many addresses): a new one
 * goes untracked (unlimited), and finding that out walks the table at most
 * once a second, not once a packet; once the sources go quiet for the
 * window, a sweep makes room and new ones are limited again */
static void test_full_table(void **state)
{
	struct srclimit *sl = make(NULL);
	struct srclimit_stats st;
	struct sa a;
	int i;

	(void)state;
	now = 5000;
	for (i = 0; i < 65536; i++) {
		sa_set_in(&a, 0x0a000000u | (uint32_t)i, 5060);  /* 10.0/16 */
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	}
	srclimit_stats(sl, &st);
	assert_int_equal(st.sources, 65536);
	assert_int_equal(st.sweeps, 0);
	for (i = 0; i < 1000; i++) {       /* 1000 more in the same second */
		sa_set_in(&a, 0x0b000000u | (uint32_t)i, 5060);
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	}
	srclimit_stats(sl, &st);
	assert_int_equal(st.sweeps, 1);    /* one walk, not 1000 */
	assert_int_equal(st.sources, 65536);
	now += 1000;
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	srclimit_stats(sl, &st);
	assert_int_equal(st.sweeps, 2);
	/* the flood stops: after the window the next newcomer makes room
	 * and is limited as any source is */
	now += 61000;
	sa_set_in(&a, 0x0c000001u, 5060);
	for (i = 0; i < 5; i++)
		assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OK);
	assert_int_equal(srclimit_check(sl, &a), SRCLIMIT_OVER);
	srclimit_stats(sl, &st);
	assert_int_equal(st.sweeps, 3);
	assert_int_equal(st.sources, 1);
	mem_deref(sl);
}

/* No table (limits off, as the fuzz world runs): everything is let
 * through and nothing reads through the NULL (found by fuzz_sip) */
static void test_no_table(void **state)
{
	struct sa a;
	struct srclimit_stats st;

	(void)state;
	assert_int_equal(sa_set_str(&a, "192.0.2.1", 5060), 0);
	assert_int_equal(srclimit_check(NULL, &a), SRCLIMIT_OK);
	assert_false(srclimit_blocked(NULL, &a));
	for (int i = 0; i < 100; i++)
		srclimit_offence(NULL, &a, "404");
	assert_int_equal(srclimit_check(NULL, &a), SRCLIMIT_OK);
	assert_true(srclimit_take(NULL, &a, SRCLIMIT_CALLS));
	srclimit_give(NULL, &a, SRCLIMIT_CALLS);
	assert_false(srclimit_exempt(NULL, &a));
	srclimit_conn_refused(NULL);
	memset(&st, 0xff, sizeof(st));
	srclimit_stats(NULL, &st);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(st.sources, 0);
}

/* A SIP request decoded as libre does, as if it came from src */
static struct sip_msg *request(const char *vias, const char *src)
{
	struct mbuf *mb = mbuf_alloc(512);
	struct sip_msg *msg = NULL;

	assert_non_null(mb);
	assert_int_equal(mbuf_printf(mb, "OPTIONS sip:big@10.0.0.11 SIP/2.0\r\n"
				     "%s"
				     "From: <sip:a@x>;tag=1\r\n"
				     "To: <sip:big@10.0.0.11>\r\n"
				     "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
				     "Max-Forwards: 69\r\n"
				     "Content-Length: 0\r\n\r\n", vias), 0);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	msg->src = at(src);
	mem_deref(mb);
	return msg;
}

/* Behind a proxy of the list, the caller is the address the proxy
 * recorded in the Via below its own; anyone else is who sent it */
static void test_proxy_source(void **state)
{
	struct srclimit_cfg cfg = {.what = "test", .rate_per_s = 10,
				   .burst = 5, .proxies = "10.0.0.2/32",
				   .clock_ms = clock_ms};
	struct srclimit *sl = NULL;
	struct sip_msg *m;
	struct sa buf;
	const struct sa *got;

	(void)state;
	assert_false(srclimit_proxies_valid("10.0.0.2/33"));
	assert_true(srclimit_proxies_valid("10.0.0.2/32, 192.0.2.0/24"));
	assert_int_equal(srclimit_alloc(&sl, &cfg), 0);
	/* through the proxy: received and rport of the caller's Via */
	m = request("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
		    "Via: SIP/2.0/UDP 192.168.1.5:5062;rport=40000;"
		    "received=203.0.113.7;branch=z9hG4bK2\r\n", "10.0.0.2");
	got = srclimit_sip_src(sl, m, &buf);
	assert_ptr_equal(got, &buf);
	{
		struct sa want = at("203.0.113.7");

		sa_set_port(&want, 40000);
		assert_true(sa_cmp(got, &want, SA_ALL));
	}
	mem_deref(m);
	/* one Via line holding both: the second is the caller's; no
	 * received: its sent-by */
	m = request("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1, "
		    "SIP/2.0/UDP 198.51.100.9:5070;branch=z9hG4bK2\r\n",
		    "10.0.0.2");
	got = srclimit_sip_src(sl, m, &buf);
	{
		struct sa want = at("198.51.100.9");

		sa_set_port(&want, 5070);
		assert_true(sa_cmp(got, &want, SA_ALL));
	}
	mem_deref(m);
	/* the proxy's own request (one Via): the proxy */
	m = request("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n",
		    "10.0.0.2");
	assert_ptr_equal(srclimit_sip_src(sl, m, &buf), &m->src);
	mem_deref(m);
	/* not from a proxy: whatever its Vias say, the sender */
	m = request("Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK1\r\n"
		    "Via: SIP/2.0/UDP 203.0.113.7;received=203.0.113.8;"
		    "branch=z9hG4bK2\r\n", "10.0.0.9");
	assert_ptr_equal(srclimit_sip_src(sl, m, &buf), &m->src);
	/* and the proxies are exempt from the limits themselves */
	{
		struct sa px = at("10.0.0.2");

		assert_true(srclimit_exempt(sl, &px));
	}
	mem_deref(m);
	mem_deref(sl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_no_table),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_proxy_source),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
