/* RFC 4028 session timer negotiation on real INVITEs decoded by libre:
 * who refreshes, the interval, Require, 422 and 400, and garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "sip/stimer.h"

static const struct stimer_cfg cfg = {.expires = 1800, .min_se = 90};

/* Negotiates an INVITE with the given extra header lines */
static int neg(const char *hdrs, struct stimer_neg *n)
{
	char buf[1024];
	struct mbuf *mb;
	struct sip_msg *msg = NULL;
	int err, len;

	len = snprintf(buf, sizeof(buf),
		       "INVITE sip:room@example.org SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
		       "From: <sip:a@example.org>;tag=1\r\n"
		       "To: <sip:room@example.org>\r\n"
		       "Call-ID: c1\r\n"
		       "CSeq: 1 INVITE\r\n"
		       "%s"
		       "Content-Length: 0\r\n\r\n", hdrs);
	mb = mbuf_alloc(len);
	assert_non_null(mb);
	assert_int_equal(mbuf_write_mem(mb, (uint8_t *)buf, (size_t)len), 0);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	err = stimer_negotiate(msg, &cfg, n);
	mem_deref(msg);
	mem_deref(mb);
	return err;
}

static void test_cases(void **state)
{
	static const struct {
		const char *hdrs;
		int err;
		uint32_t interval;
		bool uas, require;
	} cases[] = {
		/* nothing asked, no support: no timer */
		{"", 0, 0, false, false},
		/* supported only: ours, the focus refreshes */
		{"Supported: timer\r\n", 0, 1800, true, true},
		{"Supported: 100rel, timer\r\n", 0, 1800, true, true},
		/* asked, with and without refresher */
		{"Supported: timer\r\nSession-Expires: 600\r\n", 0, 600, true,
		 true},
		{"Supported: timer\r\nSession-Expires: 600;refresher=uac\r\n",
		 0, 600, false, true},
		{"Supported: timer\r\nSession-Expires: 600;refresher=uas\r\n",
		 0, 600, true, true},
		{"Require: timer\r\nSession-Expires: 300;refresher=uac\r\n", 0,
		 300, false, true},
		/* longer than ours: shortened */
		{"Supported: timer\r\nSession-Expires: 7200\r\n", 0, 1800,
		 true, true},
		/* a proxy asked, the UAC cannot refresh: we do, no Require */
		{"Session-Expires: 600;refresher=uac\r\n", 0, 600, true,
		 false},
		/* the request's Min-SE wins over a shorter interval */
		{"Supported: timer\r\nSession-Expires: 100\r\nMin-SE: 120\r\n",
		 0, 120, true, true},
		{"Supported: timer\r\nSession-Expires: 90\r\n", 0, 90, true,
		 true},
		/* too short: 422 */
		{"Supported: timer\r\nSession-Expires: 89\r\n", ERANGE, 0,
		 false, false},
		{"Session-Expires: 1\r\n", ERANGE, 0, false, false},
		/* garbage: 400 */
		{"Session-Expires: abc\r\n", EBADMSG, 0, false, false},
		{"Session-Expires: 0\r\n", EBADMSG, 0, false, false},
		{"Session-Expires: -5\r\n", EBADMSG, 0, false, false},
		{"Session-Expires: 600;refresher=me\r\n", EBADMSG, 0, false,
		 false},
		{"Session-Expires: 99999999999\r\n", EBADMSG, 0, false, false},
		{"Session-Expires: 600\r\nSession-Expires: 700\r\n", EBADMSG,
		 0, false, false},
		{"Session-Expires: ;refresher=uac\r\n", EBADMSG, 0, false,
		 false},
		{"Session-Expires: 600\r\nMin-SE: x\r\n", EBADMSG, 0, false,
		 false},
	};
	struct stimer_neg n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = neg(cases[i].hdrs, &n);

		if (err != cases[i].err)
			fail_msg("case %zu (%s): err %d, want %d", i,
				 cases[i].hdrs, err, cases[i].err);
		if (err)
			continue;
		if (n.interval != cases[i].interval ||
		    (n.interval && (n.refresher_uas != cases[i].uas ||
				    n.require != cases[i].require)))
			fail_msg("case %zu (%s): %u uas=%d req=%d", i,
				 cases[i].hdrs, n.interval, n.refresher_uas,
				 n.require);
	}
}

static void test_print_and_deadline(void **state)
{
	struct stimer_neg n = {.interval = 600, .refresher_uas = false,
			       .require = true};
	char buf[128];

	(void)state;
	assert_int_equal(stimer_print(buf, sizeof(buf), &n), 0);
	assert_string_equal(buf, "Session-Expires: 600;refresher=uac\r\n"
			    "Require: timer\r\n");
	n.interval = 0;
	assert_int_equal(stimer_print(buf, sizeof(buf), &n), 0);
	assert_string_equal(buf, "");
	/* expiry minus the lesser of 32 s and a third */
	assert_int_equal(stimer_deadline_ms(1800), 1768000);
	assert_int_equal(stimer_deadline_ms(90), 60000);
	assert_int_equal(stimer_deadline_ms(6), 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_print_and_deadline),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
