/* SRTP in SDP (sip/sdpsec.c through sdpneg): SDES suites and keys,
 * "best effort" SDES in RTP/AVP, DTLS-SRTP fingerprint and roles, what
 * each srtp policy takes and refuses, our own offers and the answers to
 * them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "sip/sdpneg.h"

#define HDR "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n" \
	"t=0 0\r\n"
/* 30 bytes, 0x00 to 0x1d, in base64 */
#define KEY30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
/* 28 bytes */
#define KEY28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
/* 32 "bytes" of a digit and a colon */
#define BADFP "0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::" \
	"0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::00"
#define FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static struct sdpneg *sn;

static void make(enum sdpsec_mode mode, bool dtls)
{
	struct sdpsec_cfg cfg = {.mode = mode, .have_dtls = dtls};
	struct sa laddr;

	for (size_t i = 0; i < sizeof(cfg.fingerprint); i++)
		cfg.fingerprint[i] = (uint8_t)i;
	mem_deref(sn);
	sa_set_str(&laddr, "127.0.0.1", 0);
	assert_int_equal(sdpneg_alloc(&sn, &laddr, 20000, &cfg), 0);
}

static int teardown(void **state)
{
	(void)state;
	sn = mem_deref(sn);
	return 0;
}

/* our answer to body into ans; the error, with *why the reason */
static int answer(const char *body, struct sdpneg_result *res, char *ans,
		  size_t anssz, const char **why)
{
	struct mbuf *mb = mbuf_alloc(1024), *out = NULL;
	const char *reason = NULL;
	int err;

	memset(res, 0, sizeof(*res));
	mbuf_write_str(mb, body);
	mb->pos = 0;
	err = sdpneg_answer(sn, mb, &out, res, &reason);
	if (!err && ans) {
		size_t n = out->end < anssz - 1 ? out->end : anssz - 1;

		memcpy(ans, out->buf, n);
		ans[n] = '\0';
	}
	if (why)
		*why = reason;
	mem_deref(out);
	mem_deref(mb);
	return err;
}

static void test_sdes_suites(void **state)
{
	static const struct {
		const char *line;
		enum srtp_suite suite;
		size_t len;
	} ok[] = {
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30,
		 SRTP_AES_CM_128_HMAC_SHA1_80, 30},
		{"7 AES_CM_128_HMAC_SHA1_32 inline:" KEY30 "|2^31",
		 SRTP_AES_CM_128_HMAC_SHA1_32, 30},
		{"2 AEAD_AES_128_GCM inline:" KEY28, SRTP_AES_128_GCM, 28},
	};
	struct sdpneg_result r;
	char ans[1024], body[512], tag[16];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		make(SDPSEC_OPTIONAL, false);
		snprintf(body, sizeof(body), HDR "m=audio 4000 RTP/SAVP 0\r\n"
			 "a=crypto:%s\r\n", ok[i].line);
		assert_int_equal(answer(body, &r, ans, sizeof(ans), NULL), 0);
		assert_int_equal(r.sec, SDPSEC_SDES);
		assert_int_equal(r.suite, ok[i].suite);
		assert_int_equal(r.key_len, ok[i].len);
		/* their key decrypts what they send */
		for (size_t k = 0; k < ok[i].len; k++)
			assert_int_equal(r.rx_key[k], k);
		/* ours is another, answered under their tag */
		assert_memory_not_equal(r.tx_key, r.rx_key, ok[i].len);
		assert_non_null(strstr(ans, "m=audio 20000 RTP/SAVP 0"));
		snprintf(tag, sizeof(tag), "a=crypto:%.1s ", ok[i].line);
		assert_non_null(strstr(ans, tag));
		assert_null(strstr(ans, KEY30));
	}
}

/* the first line we can take, in the offerer's order */
static void test_sdes_first_usable(void **state)
{
	struct sdpneg_result r;
	char ans[1024];

	(void)state;
	make(SDPSEC_OPTIONAL, false);
	assert_int_equal(answer(HDR "m=audio 4000 RTP/SAVP 0\r\n"
				"a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:"
				KEY30 "\r\n"
				"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"
				KEY30 "|2^20|1:4\r\n"
				"a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:"
				KEY30 "\r\n"
				"a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:"
				KEY30 "\r\n", &r, ans, sizeof(ans), NULL), 0);
	assert_int_equal(r.suite, SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_non_null(strstr(ans, "a=crypto:3 AES_CM_128_HMAC_SHA1_32 "));
	assert_null(strstr(ans, "a=crypto:4"));
}

static void test_sdes_refused(void **state)
{
	static const char *bad[] = {
		/* no crypto at all */
		"",
		/* an MKI, a suite we lack, a short key, session params */
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:4\r\n",
		"a=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY30 "\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQF\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30
		" UNENCRYPTED_SRTP\r\n",
		"a=crypto:1 AEAD_AES_128_GCM inline:" KEY30 "\r\n",
		"a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!!\r\n",
		"a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY30
		"\r\n",
	};
	struct sdpneg_result r;
	const char *why;
	char body[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make(SDPSEC_OPTIONAL, false);
		snprintf(body, sizeof(body), HDR "m=audio 4000 RTP/SAVP 0\r\n"
			 "%s", bad[i]);
		if (answer(body, &r, NULL, 0, &why) != ENOTSUP)
			fail_msg("crypto %zu was taken", i);
		assert_non_null(strstr(why, "a=crypto"));
	}
}

/* RTP/AVP with a=crypto: SRTP unless it is off, then plain */
static void test_best_effort(void **state)
{
	const char *offer = HDR "m=audio 4000 RTP/AVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n";
	struct sdpneg_result r;
	char ans[1024];

	(void)state;
	make(SDPSEC_OPTIONAL, false);
	assert_int_equal(answer(offer, &r, ans, sizeof(ans), NULL), 0);
	assert_int_equal(r.sec, SDPSEC_SDES);
	assert_non_null(strstr(ans, "m=audio 20000 RTP/AVP 0"));
	assert_non_null(strstr(ans, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "));
	make(SDPSEC_REQUIRED, false);
	assert_int_equal(answer(offer, &r, ans, sizeof(ans), NULL), 0);
	assert_int_equal(r.sec, SDPSEC_SDES);
	make(SDPSEC_OFF, false);
	assert_int_equal(answer(offer, &r, ans, sizeof(ans), NULL), 0);
	assert_int_equal(r.sec, SDPSEC_PLAIN);
	assert_null(strstr(ans, "a=crypto"));
}

static void test_policy(void **state)
{
	const char *plain = HDR "m=audio 4000 RTP/AVP 0\r\n";
	const char *savp = HDR "m=audio 4000 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n";
	struct sdpneg_result r;
	const char *why;

	(void)state;
	make(SDPSEC_REQUIRED, false);
	assert_int_equal(answer(plain, &r, NULL, 0, &why), ENOTSUP);
	assert_non_null(strstr(why, "requires SRTP"));
	make(SDPSEC_OFF, false);
	assert_int_equal(answer(savp, &r, NULL, 0, &why), ENOTSUP);
	assert_non_null(strstr(why, "SRTP is off"));
	make(SDPSEC_OPTIONAL, false);
	assert_int_equal(answer(plain, &r, NULL, 0, NULL), 0);
	assert_int_equal(r.sec, SDPSEC_PLAIN);
}

static void test_dtls(void **state)
{
	char ans[1024];
	struct sdpneg_result r;
	const char *why;

	(void)state;
	make(SDPSEC_REQUIRED, true);
	/* actpass at session level: we are passive, they start */
	assert_int_equal(answer(HDR "a=fingerprint:sha-256 " FP "\r\n"
				"a=setup:actpass\r\n"
				"m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n", &r, ans,
				sizeof(ans), NULL), 0);
	assert_int_equal(r.sec, SDPSEC_DTLS);
	assert_false(r.dtls_active);
	assert_int_equal(r.peer_fp[0], 0xab);
	assert_int_equal(r.peer_fp[31], 0x89);
	assert_non_null(strstr(ans, "m=audio 20000 UDP/TLS/RTP/SAVP 0"));
	assert_non_null(strstr(ans, "a=setup:passive"));
	assert_non_null(strstr(ans, "a=fingerprint:sha-256 00:01:02:03:"));
	/* passive at media level: we start */
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\n"
				"a=setup:passive\r\n"
				"a=fingerprint:SHA-256 " FP "\r\n", &r, ans,
				sizeof(ans), NULL), 0);
	assert_true(r.dtls_active);
	assert_non_null(strstr(ans, "a=setup:active"));
	/* passive at session level too */
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "a=setup:passive\r\n"
				"a=fingerprint:sha-256 " FP "\r\n"
				"m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n", &r, ans,
				sizeof(ans), NULL), 0);
	assert_true(r.dtls_active);
	/* several fingerprints (RFC 8122): the sha-256 one is taken, after
	 * a sha-1 line too */
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=setup:actpass\r\n"
				"a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:"
				"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01\r\n"
				"a=fingerprint:sha-256 " FP "\r\n", &r, ans,
				sizeof(ans), NULL), 0);
	assert_int_equal(r.sec, SDPSEC_DTLS);
	assert_int_equal(r.peer_fp[0], 0xab);
	assert_int_equal(r.peer_fp[31], 0x89);
	/* no DTLS certificate here, a sha-1 or broken fingerprint */
	make(SDPSEC_OPTIONAL, false);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-256 " FP "\r\n", &r, NULL, 0,
				&why), ENOTSUP);
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:"
				"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01\r\n", &r,
				NULL, 0, &why), ENOTSUP);
	assert_non_null(strstr(why, "fingerprint"));
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-256 AB:CD:EF\r\n", &r, NULL,
				0, &why), ENOTSUP);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-256 " FP ":AB\r\n", &r, NULL,
				0, &why), ENOTSUP);
	/* colons where digits belong: not a fingerprint */
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-256 " BADFP "\r\n", &r,
				NULL, 0, &why), ENOTSUP);
	make(SDPSEC_OFF, true);
	assert_int_equal(answer(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
				"a=fingerprint:sha-256 " FP "\r\n", &r, NULL, 0,
				&why), ENOTSUP);
}

/* where SRTP is required our offers are SDES with every suite, and the
 * answer must pick one of them */
static void test_our_offer(void **state)
{
	struct mbuf *offer = NULL, *ans = mbuf_alloc(512);
	struct sdpneg_result r;
	const char *why;
	char *o;

	(void)state;
	make(SDPSEC_REQUIRED, true);
	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	o = mem_zalloc(offer->end + 1, NULL);
	memcpy(o, offer->buf, offer->end);
	assert_non_null(strstr(o, "RTP/SAVP"));
	assert_non_null(strstr(o, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "));
	assert_non_null(strstr(o, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "));
	assert_non_null(strstr(o, "a=crypto:3 AEAD_AES_128_GCM "));
	mbuf_write_str(ans, HDR "m=audio 5000 RTP/SAVP 0\r\n"
		       "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY30
		       "\r\n");
	ans->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, ans, &r, &why, false), 0);
	assert_int_equal(r.suite, SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(r.rx_key[29], 29);
	/* the answer's tag must name the suite we offered under it */
	make(SDPSEC_REQUIRED, true);
	mem_deref(offer);
	offer = NULL;
	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	mbuf_reset(ans);
	mbuf_write_str(ans, HDR "m=audio 5000 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY30
		       "\r\n");
	ans->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, ans, &r, &why, false),
			 ENOTSUP);
	/* a plain answer where SRTP is required */
	mbuf_reset(ans);
	mbuf_write_str(ans, HDR "m=audio 5000 RTP/AVP 0\r\n");
	ans->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, ans, &r, &why, false),
			 ENOTSUP);
	mem_deref(o);
	mem_deref(offer);
	mem_deref(ans);
}

static char *offer_text(void)
{
	struct mbuf *offer = NULL;
	char *o;

	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	o = mem_zalloc(offer->end + 1, NULL);
	memcpy(o, offer->buf, offer->end);
	mem_deref(offer);
	return o;
}

static int take(const char *answer_sdp, struct sdpneg_result *r)
{
	struct mbuf *ans = mbuf_alloc(512);
	const char *why;
	int err;

	mbuf_write_str(ans, answer_sdp);
	ans->pos = 0;
	err = sdpneg_handle_answer(sn, ans, r, &why, false);
	mem_deref(ans);
	return err;
}

/* Our re-offer in an SDES call (a session refresh, a media change) keeps
 * the agreed tag, suite and our key; the peer's answer with that tag is
 * taken, whatever the tag (the peer chose it in its offer) */
static void test_reoffer_sdes(void **state)
{
	struct sdpneg_result r;
	char ans[1024], *o;

	(void)state;
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "m=audio 4000 RTP/SAVP 0\r\n"
				"a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"
				KEY30 "\r\n", &r, ans, sizeof(ans), NULL), 0);
	o = offer_text();
	assert_non_null(strstr(o, "RTP/SAVP"));
	assert_non_null(strstr(o, "a=crypto:7 AES_CM_128_HMAC_SHA1_32 "));
	assert_null(strstr(o, "a=crypto:1"));
	mem_deref(o);
	assert_int_equal(take(HDR "m=audio 4000 RTP/SAVP 0\r\n"
			      "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"
			      KEY30 "\r\n", &r), 0);
	assert_int_equal(r.sec, SDPSEC_SDES);
	assert_int_equal(r.suite, SRTP_AES_CM_128_HMAC_SHA1_32);
	/* another tag or suite than agreed is not an answer to it */
	o = offer_text();
	mem_deref(o);
	assert_int_equal(take(HDR "m=audio 4000 RTP/SAVP 0\r\n"
			      "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:"
			      KEY30 "\r\n", &r), ENOTSUP);
}

/* Our re-offer in a DTLS-SRTP call keeps the profile, our fingerprint
 * and our role; the peer's answer (its fingerprint, the other role) is
 * taken and names the same association */
static void test_reoffer_dtls(void **state)
{
	struct sdpneg_result r;
	char ans[1024], *o;

	(void)state;
	make(SDPSEC_OPTIONAL, true);
	assert_int_equal(answer(HDR "a=fingerprint:sha-256 " FP "\r\n"
				"a=setup:actpass\r\n"
				"m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n", &r, ans,
				sizeof(ans), NULL), 0);
	o = offer_text();
	assert_non_null(strstr(o, "UDP/TLS/RTP/SAVP"));
	assert_non_null(strstr(o, "a=setup:passive"));
	assert_non_null(strstr(o, "a=fingerprint:sha-256 00:01:02:03:"));
	mem_deref(o);
	assert_int_equal(take(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
			      "a=setup:active\r\n"
			      "a=fingerprint:sha-256 " FP "\r\n", &r), 0);
	assert_int_equal(r.sec, SDPSEC_DTLS);
	assert_false(r.dtls_active);
	assert_int_equal(r.peer_fp[0], 0xab);
	/* an answer without a fingerprint is none */
	o = offer_text();
	mem_deref(o);
	assert_int_equal(take(HDR "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"
			      "a=setup:active\r\n", &r), ENOTSUP);
}

/* optional: our offers are plain RTP */
static void test_our_offer_optional(void **state)
{
	char *o;

	(void)state;
	make(SDPSEC_OPTIONAL, true);
	o = offer_text();
	assert_non_null(strstr(o, "RTP/AVP"));
	assert_null(strstr(o, "a=crypto"));
	mem_deref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sdes_suites, teardown),
		cmocka_unit_test_teardown(test_sdes_first_usable, teardown),
		cmocka_unit_test_teardown(test_sdes_refused, teardown),
		cmocka_unit_test_teardown(test_best_effort, teardown),
		cmocka_unit_test_teardown(test_policy, teardown),
		cmocka_unit_test_teardown(test_dtls, teardown),
		cmocka_unit_test_teardown(test_our_offer, teardown),
		cmocka_unit_test_teardown(test_our_offer_optional, teardown),
		cmocka_unit_test_teardown(test_reoffer_sdes, teardown),
		cmocka_unit_test_teardown(test_reoffer_dtls, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
