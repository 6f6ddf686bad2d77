/* A mixer stream's SRTP contexts (src/mixer/msrtp.c) across commands: a
 * send context is never made again with the key it had (its SRTCP index
 * and rollover counter would start again: keystream used twice), so a
 * pause (SRTP off, audio removed and back, the same keys) leaves the far
 * end's replay check content; a new key gets a new context; while a new
 * DTLS handshake runs nothing is sent or taken, and a kept context does
 * not change that. The far end is libre's srtp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_srtp.h>
#include "mixer/mixer_stream.h"

#define SUITE SRTP_AES_CM_128_HMAC_SHA1_80

static uint8_t key_a[30], key_b[30], key_c[30];

static void keys(struct mstream *s, const uint8_t *rx, const uint8_t *tx,
		 bool dtls)
{
	struct mixer_srtp *k = &s->m.srtp;

	memset(k, 0, sizeof(*k));
	k->on = true;
	k->dtls = dtls;
	if (!rx)
		return;                  /* a handshake under way */
	k->rtp.set = true;
	k->rtp.suite = SUITE;
	k->rtp.len = 30;
	memcpy(k->rtp.rx, rx, 30);
	memcpy(k->rtp.tx, tx, 30);
	if (dtls)
		k->rtcp = k->rtp;
}

static struct mstream *stream(void)
{
	struct mstream *s = mstream_alloc();

	assert_non_null(s);
	for (int i = 0; i < 30; i++) {
		key_a[i] = (uint8_t)(i + 1);
		key_b[i] = (uint8_t)(0x80 + i);
		key_c[i] = (uint8_t)(0x40 + i);
	}
	return s;
}

static void drop(struct mstream *s)
{
	msrtp_free(s);
	free(s);
}

/* a receiver report of ours, protected; 0 or the far end's error */
static int report_to(struct mstream *s, struct srtp *far)
{
	uint8_t buf[64] = {0x80, 201, 0, 1, 0, 0, 0, 7};
	size_t len = 8;
	struct mbuf mb;

	if (!msrtp_tx(s, buf, &len, sizeof(buf), true))
		return -1;
	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = sizeof(buf);
	mb.end = len;
	return srtcp_decrypt(far, &mb);
}

static void test_pause_keeps_send_context(void **state)
{
	struct mstream *s = stream();
	struct srtp *far = NULL;

	(void)state;
	assert_int_equal(srtp_alloc(&far, SUITE, key_b, 30, 0), 0);
	keys(s, key_a, key_b, false);
	assert_int_equal(msrtp_apply(s), 0);
	assert_int_equal(report_to(s, far), 0);
	assert_int_equal(report_to(s, far), 0);
	/* audio removed (port 0): SRTP off; then back with the same keys */
	memset(&s->m.srtp, 0, sizeof(s->m.srtp));
	assert_int_equal(msrtp_apply(s), 0);
	keys(s, key_a, key_b, false);
	assert_int_equal(msrtp_apply(s), 0);
	/* index 3 now, not 1 again (which the far end has seen) */
	assert_int_equal(report_to(s, far), 0);
	/* a re-INVITE with the peer's new key: our send context stays */
	keys(s, key_c, key_b, false);
	assert_int_equal(msrtp_apply(s), 0);
	assert_int_equal(report_to(s, far), 0);
	/* our key changes: a new context, the old far end cannot read it */
	keys(s, key_c, key_c, false);
	assert_int_equal(msrtp_apply(s), 0);
	assert_int_not_equal(report_to(s, far), 0);
	mem_deref(far);
	drop(s);
}

static void test_handshake_sends_nothing(void **state)
{
	struct mstream *s = stream();
	struct srtp *far = NULL;
	uint8_t pkt[64] = {0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9};
	size_t len = 12 + 20;

	(void)state;
	assert_int_equal(srtp_alloc(&far, SUITE, key_b, 30, 0), 0);
	keys(s, key_a, key_b, true);
	assert_int_equal(msrtp_apply(s), 0);
	assert_int_equal(report_to(s, far), 0);
	/* a re-INVITE starts a new handshake: no keys until it ends */
	keys(s, NULL, NULL, true);
	assert_int_equal(msrtp_apply(s), 0);
	assert_false(msrtp_tx(s, pkt, &len, sizeof(pkt), false));
	assert_int_equal(report_to(s, far), -1);
	len = 12 + 20;
	assert_false(msrtp_rx(s, pkt, &len, false));
	mem_deref(far);
	drop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_keeps_send_context),
		cmocka_unit_test(test_handshake_sends_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
