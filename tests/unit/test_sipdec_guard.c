/* sipdec_guard.c: a SIP message whose From, To or Contact is longer than
 * SIP_ADDR_MAX, or with a second From or To, is refused (EBADMSG)
 * before libre's decoder sees it, also while it is still arriving and
 * when a folded line makes it long; every other message decodes as libre
 * decodes it; and libre's own UDP transport reaches the guard. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "main/sipdec_guard.h"
#include "sip/sip.h"

/* a request with these From and extra lines (from: the From value) */
static int decode(const char *from, const char *extra, bool whole)
{
	struct mbuf *mb = mbuf_alloc(4096);
	struct sip_msg *msg = NULL;
	int err;

	assert_non_null(mb);
	assert_int_equal(mbuf_printf(mb, "INVITE sip:a@b SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1"
				     "\r\nFrom:%s\r\nTo: <sip:a@b>\r\n"
				     "Call-ID: 1\r\nCSeq: 1 INVITE\r\n%s%s",
				     from, extra, whole ?
				     "Content-Length: 0\r\n\r\n" : ""), 0);
	mb->pos = 0;
	err = sip_msg_decode(&msg, mb);
	if (!err)
		assert_int_equal(pl_strcmp(&msg->from.auri, "sip:x@y"), 0);
	mem_deref(msg);
	mem_deref(mb);
	return err;
}

/* " <sip:x@y>;tag=1;p=xxx..." of exactly len bytes */
static char *from_of(size_t len)
{
	char *s = malloc(len + 1);
	const char *head = " <sip:x@y>;tag=1;p=";

	assert_non_null(s);
	memset(s, 'x', len);
	memcpy(s, head, strlen(head));
	s[len] = '\0';
	return s;
}

static void test_lengths(void **state)
{
	char *ok = from_of(SIP_ADDR_MAX), *big = from_of(SIP_ADDR_MAX + 1);
	char contact[700];
	unsigned long before = sipdec_guard_refused();

	(void)state;
	assert_int_equal(decode(ok, "", true), 0);
	assert_int_equal(decode(big, "", true), EBADMSG);
	assert_int_equal(sipdec_guard_refused(), before + 1);
	snprintf(contact, sizeof(contact), "Contact:%s\r\n", big);
	assert_int_equal(decode(" <sip:x@y>;tag=1", contact, true), EBADMSG);
	snprintf(contact, sizeof(contact), "m:%s\r\n", big);
	assert_int_equal(decode(" <sip:x@y>;tag=1", contact, true), EBADMSG);
	snprintf(contact, sizeof(contact), "Contact:%s\r\n", ok);
	assert_int_equal(decode(" <sip:x@y>;tag=1", contact, true), 0);
	free(ok);
	free(big);
}

static void test_twice_and_folded(void **state)
{
	char folded[700];
	char *half = from_of(300);

	(void)state;
	assert_int_equal(decode(" <sip:x@y>;tag=1", "f: <sip:z@y>;tag=2\r\n",
				true), EBADMSG);
	assert_int_equal(decode(" <sip:x@y>;tag=1", "TO: <sip:c@d>\r\n",
				true), EBADMSG);
	assert_string_equal(sip_addr_lines_check("INVITE a b\r\nFrom: x\r\n"
					       "from: y\r\n\r\n", 37),
			    "From missing or repeated");
	/* a To of two folded lines, 600 bytes in all */
	snprintf(folded, sizeof(folded), "X-A: 1\r\nt: <sip:a@b>;p=%s\r\n\t%s"
		 "\r\n", half + 19, half + 19);
	assert_string_equal(sip_addr_lines_check(folded, strlen(folded)),
			    "To too long");
	/* what the body holds is not looked at */
	assert_null(sip_addr_lines_check("INVITE a b\r\nTo: x\r\n\r\nTo: y\r\n",
				       29));
	free(half);
}

/* Via, Route, Record-Route and Contact values together: at most
 * SIP_VALUES_MAX (the request's own Via is one) */
static void test_values(void **state)
{
	char extra[2048];
	int n = snprintf(extra, sizeof(extra), "Route: <sip:r@p>");

	(void)state;
	for (int i = 2; i < SIP_VALUES_MAX; i++)
		n += snprintf(extra + n, sizeof(extra) - (size_t)n,
			      ",<sip:r@p>");
	snprintf(extra + n, sizeof(extra) - (size_t)n, "\r\n");
	assert_int_equal(decode(" <sip:x@y>;tag=1", extra, true), 0);
	snprintf(extra + n, sizeof(extra) - (size_t)n, "\r\nv: x\r\n");
	assert_int_equal(decode(" <sip:x@y>;tag=1", extra, true), EBADMSG);
	{
		char via[128] = "INVITE a b\r\nVia: ";
		size_t k = strlen(via);

		memset(via + k, ',', SIP_VALUES_MAX);      /* 65 values */
		memcpy(via + k + SIP_VALUES_MAX, "\r\n", 3);
		assert_string_equal(sip_addr_lines_check(via, strlen(via)),
				    "too many Via, Route or Contact values");
	}
}

static void test_arriving(void **state)
{
	char *big = from_of(SIP_ADDR_MAX + 1);

	(void)state;
	/* no end of headers yet: libre waits (ENODATA) */
	assert_int_equal(decode(" <sip:x@y>;tag=1", "", false), ENODATA);
	/* a From still growing is refused once it is too long */
	{
		char buf[800];
		int n = snprintf(buf, sizeof(buf), "INVITE a b\r\nFrom:%s",
				 big);

		assert_string_equal(sip_addr_lines_check(buf, (size_t)n),
				    "From too long");
	}
	free(big);
}

/* libre's UDP transport decodes what it receives with sip_msg_decode:
 * this executable's, the guard */
static bool got;
static bool recv_h(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	got = true;
	re_cancel();
	return true;
}

static void timeout_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static void test_libre_calls_it(void **state)
{
	struct sip *sip = NULL;
	struct sa laddr, dst;
	struct udp_sock *us = NULL;
	struct sip_lsnr *lsnr = NULL;
	struct mbuf *mb = mbuf_alloc(2048);
	struct tmr t;
	char *big = from_of(SIP_ADDR_MAX + 100);
	unsigned long before = sipdec_guard_refused();

	(void)state;
	tmr_init(&t);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(sip_alloc(&sip, NULL, 32, 32, 32, "test", NULL, NULL),
			 0);
	assert_int_equal(sip_transp_add(sip, SIP_TRANSP_UDP, &laddr), 0);
	assert_int_equal(sip_listen(&lsnr, sip, true, recv_h, NULL), 0);
	assert_int_equal(sip_transp_laddr(sip, &dst, SIP_TRANSP_UDP, NULL),
			 0);
	assert_int_equal(udp_listen(&us, &laddr, NULL, NULL), 0);
	/* the long From first (refused by the guard: libre drops it),
	 * then a good one, which libre hands on */
	assert_int_equal(mbuf_printf(mb, "OPTIONS sip:a@b SIP/2.0\r\nVia: "
				     "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n"
				     "From:%s\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
				     "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n"
				     "\r\n", big), 0);
	mb->pos = 0;
	assert_int_equal(udp_send(us, &dst, mb), 0);
	mbuf_reset(mb);
	assert_int_equal(mbuf_printf(mb, "OPTIONS sip:a@b SIP/2.0\r\nVia: "
				     "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2\r\n"
				     "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
				     "Call-ID: 2\r\nCSeq: 1 OPTIONS\r\n"
				     "Content-Length: 0\r\n\r\n"), 0);
	mb->pos = 0;
	assert_int_equal(udp_send(us, &dst, mb), 0);
	tmr_start(&t, 5000, timeout_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
	assert_true(got);
	assert_int_equal(sipdec_guard_refused(), before + 1);
	mem_deref(lsnr);
	sip_close(sip, true);
	mem_deref(sip);
	mem_deref(us);
	mem_deref(mb);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_twice_and_folded),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_arriving),
		cmocka_unit_test(test_libre_calls_it),
	};
	int r;

	if (libre_init())
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
