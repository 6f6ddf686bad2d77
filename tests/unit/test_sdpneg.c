/* SDP offer/answer: codec choice, directions, hold, telephone-event,
 * and offers that must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "sip/sdpneg.h"

static struct sdpneg *sn;
/* the default: SRTP taken when offered */
static const struct sdpsec_cfg opt = {.mode = SDPSEC_OPTIONAL};

static int setup(void **state)
{
	struct sa laddr;

	(void)state;
	sa_set_str(&laddr, "127.0.0.1", 0);
	return sdpneg_alloc(&sn, &laddr, 20000, &opt);
}

static int teardown(void **state)
{
	(void)state;
	sn = mem_deref(sn);
	return 0;
}

static int answer(const char *body, struct sdpneg_result *res,
		  char *ans, size_t anssz)
{
	struct mbuf *mb = mbuf_alloc(512), *out = NULL;
	const char *reason;
	int err;

	mbuf_write_str(mb, body);
	mb->pos = 0;
	err = sdpneg_answer(sn, mb, &out, res, &reason);
	if (!err && ans) {
		size_t n = out->end < anssz - 1 ? out->end : anssz - 1;

		memcpy(ans, out->buf, n);
		ans[n] = '\0';
	}
	if (err)
		assert_non_null(reason);
	mem_deref(out);
	mem_deref(mb);
	return err;
}

#define HDR "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n" \
	"t=0 0\r\n"

static void test_pcmu(void **state)
{
	struct sdpneg_result r;
	char ans[512];

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n", &r, ans,
				sizeof(ans)), 0);
	assert_int_equal(r.codec, MEDIA_PCMU);
	assert_int_equal(r.pt, 0);
	assert_int_equal(r.telev_pt, -1);
	assert_true(r.send && r.recv);
	assert_string_equal(r.dir, "sendrecv");
	assert_int_equal(sa_port(&r.rtp), 4000);
	assert_int_equal(sa_port(&r.rtcp), 4001);
	assert_non_null(strstr(ans, "m=audio 20000 RTP/AVP 0"));
	assert_null(strstr(ans, "PCMA"));
}

/* RFC 6464: the audio level extension the offerer sends is taken and
 * echoed (we receive it); receive-only, unknown, out-of-range or absent
 * ones are not */
static void test_audio_level(void **state)
{
	static const struct { const char *extmap; uint8_t id; } c[] = {
		{"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", 1},
		{"a=extmap:3/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level"
		 " vad=on\r\n", 3},
		{"a=extmap:2 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
		 "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", 5},
		{"a=extmap:4/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level"
		 "\r\n", 0},
		{"a=extmap:15 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", 0},
		{"a=extmap:x urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", 0},
		{"a=extmap:1 urn:example:other\r\n", 0},
		{"", 0},
	};
	struct sdpneg_result r;
	char body[512], ans[768], want[96];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(body, sizeof(body), HDR "m=audio 4000 RTP/AVP 0\r\n%s",
			 c[i].extmap);
		assert_int_equal(answer(body, &r, ans, sizeof(ans)), 0);
		if (r.level_id != c[i].id)
			fail_msg("%s: id %u, want %u", c[i].extmap, r.level_id,
				 c[i].id);
		snprintf(want, sizeof(want), "a=extmap:%u/recvonly %s",
			 c[i].id, SDPNEG_AUDIO_LEVEL);
		if (c[i].id)
			assert_non_null(strstr(ans, want));
		else
			assert_null(strstr(ans, "extmap"));
	}
}

/* Wideband and Opus: the offerer's first codec we take is chosen, with
 * its own payload type number, and listed first in our answer */
/* RFC 6465: the offerer that wants mixer-to-client levels gets them
 * (answered sendonly: we send them), beside RFC 6464's; one that would
 * only send them, or the same id twice, does not */
static void test_csrc_level(void **state)
{
	struct sdpneg_result r;
	char ans[768];

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=extmap:1 " SDPNEG_AUDIO_LEVEL "\r\n"
				"a=extmap:2/recvonly " SDPNEG_CSRC_LEVEL
				"\r\n", &r, ans, sizeof(ans)), 0);
	assert_int_equal(r.level_id, 1);
	assert_int_equal(r.csrc_level_id, 2);
	assert_non_null(strstr(ans, "a=extmap:1/recvonly " SDPNEG_AUDIO_LEVEL));
	assert_non_null(strstr(ans, "a=extmap:2/sendonly " SDPNEG_CSRC_LEVEL));
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=extmap:3 " SDPNEG_CSRC_LEVEL "\r\n", &r,
				ans, sizeof(ans)), 0);
	assert_int_equal(r.level_id, 0);
	assert_int_equal(r.csrc_level_id, 3);
	assert_null(strstr(ans, SDPNEG_AUDIO_LEVEL));
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=extmap:3/sendonly " SDPNEG_CSRC_LEVEL
				"\r\n", &r, ans, sizeof(ans)), 0);
	assert_int_equal(r.csrc_level_id, 0);
	assert_null(strstr(ans, "extmap"));
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=extmap:4 " SDPNEG_AUDIO_LEVEL "\r\n"
				"a=extmap:4 " SDPNEG_CSRC_LEVEL "\r\n", &r,
				ans, sizeof(ans)), 0);
	assert_int_equal(r.level_id, 4);
	assert_int_equal(r.csrc_level_id, 0);
}

static void test_g722_opus(void **state)
{
	struct sdpneg_result r;
	char ans[768];
	const char *m;

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 96 9 0\r\n"
				"a=rtpmap:96 opus/48000/2\r\n", &r, ans,
				sizeof(ans)), 0);
	assert_int_equal(r.codec, MEDIA_OPUS);
	assert_int_equal(r.pt, 96);
	m = strstr(ans, "m=audio 20000 RTP/AVP ");
	assert_non_null(m);
	assert_true(!strncmp(m + 22, "96", 2));
	assert_non_null(strstr(ans, "a=rtpmap:96 opus/48000/2"));
	assert_int_equal(r.opus.useinbandfec, 0);     /* not given */
	/* its fmtp reaches our encoder (RFC 7587 s. 6.1) */
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 96\r\n"
				"a=rtpmap:96 opus/48000/2\r\n"
				"a=fmtp:96 useinbandfec=1;usedtx=1;"
				"maxplaybackrate=16000;maxaveragebitrate="
				"20000\r\n", &r, ans, sizeof(ans)), 0);
	assert_int_equal(r.opus.useinbandfec, 1);
	assert_int_equal(r.opus.usedtx, 1);
	assert_int_equal(r.opus.maxplaybackrate, 16000);
	assert_int_equal(r.opus.maxaveragebitrate, 20000);
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 9 0\r\n", &r, ans,
				sizeof(ans)), 0);
	assert_int_equal(r.codec, MEDIA_G722);
	assert_int_equal(r.pt, 9);
	m = strstr(ans, "m=audio 20000 RTP/AVP ");
	assert_true(!strncmp(m + 22, "9 ", 2));
	/* opus at another clock is not opus as RFC 7587 defines it */
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 97\r\n"
				"a=rtpmap:97 opus/16000/1\r\n", &r, NULL, 0),
			 ENOTSUP);
}

static void test_offerer_order_wins(void **state)
{
	struct sdpneg_result r;
	char ans[512];

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 18 8 0 96\r\n"
				"a=rtpmap:18 G729/8000\r\n"
				"a=rtpmap:96 telephone-event/8000\r\n"
				"a=fmtp:96 0-15\r\n", &r, ans, sizeof(ans)),
			 0);
	assert_int_equal(r.codec, MEDIA_PCMA);
	assert_int_equal(r.pt, 8);
	assert_int_equal(r.telev_pt, 96);       /* the offerer's number */
	assert_null(strstr(ans, "G729"));
}

static void test_no_common_codec(void **state)
{
	struct sdpneg_result r;

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 18 3\r\n"
				"a=rtpmap:18 G729/8000\r\n", &r, NULL, 0),
			 ENOTSUP);
	/* telephone-event alone is not a codec */
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 101\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n", &r,
				NULL, 0), ENOTSUP);
}

static void test_no_audio(void **state)
{
	struct sdpneg_result r;

	(void)state;
	assert_int_equal(answer(HDR "m=video 4000 RTP/AVP 96\r\n"
				"a=rtpmap:96 VP8/90000\r\n", &r, NULL, 0),
			 EPROTO);
	assert_int_equal(answer(HDR, &r, NULL, 0), EPROTO);
	/* secure RTP only: we cannot take it */
	assert_int_not_equal(answer(HDR "m=audio 4000 RTP/SAVP 0\r\n", &r,
				    NULL, 0), 0);
}

static void test_hold_directions(void **state)
{
	struct sdpneg_result r;
	char ans[512];

	(void)state;
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=sendonly\r\n", &r, ans, sizeof(ans)), 0);
	assert_false(r.send);
	assert_true(r.recv);
	assert_string_equal(r.dir, "recvonly");
	assert_non_null(strstr(ans, "a=recvonly"));

	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=recvonly\r\n", &r, ans, sizeof(ans)), 0);
	assert_true(r.send);
	assert_false(r.recv);
	assert_non_null(strstr(ans, "a=sendonly"));

	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=inactive\r\n", &r, ans, sizeof(ans)), 0);
	assert_false(r.send);
	assert_false(r.recv);

	/* RFC 2543 hold */
	assert_int_equal(answer("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\n"
				"c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				"m=audio 4000 RTP/AVP 0\r\n", &r, NULL, 0), 0);
	assert_false(r.send);

	/* resume */
	assert_int_equal(answer(HDR "m=audio 4000 RTP/AVP 0\r\n"
				"a=sendrecv\r\n", &r, NULL, 0), 0);
	assert_true(r.send && r.recv);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"this is not sdp",
		"v=0\r\nm=audio notaport RTP/AVP 0\r\n",
		"v=0\r\nc=IN IP4 999.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n",
		"\x01\x02\x03\xff\xfe",
		"v=0\r\nm=audio 4000 RTP/AVP\r\n",
		"m=audio 70000 RTP/AVP 0\r\n",
		"v=0\r\na=rtpmap:0\r\nm=\r\n",
	};
	struct sdpneg_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!answer(bad[i], &r, NULL, 0))
			fail_msg("bad SDP %zu was accepted", i);
}

static void test_offer_and_answer(void **state)
{
	struct mbuf *offer = NULL, *ans = mbuf_alloc(256);
	struct sdpneg_result r;
	const char *reason;

	(void)state;
	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	offer->pos = 0;
	assert_non_null(memmem(offer->buf, offer->end, "RTP/AVP 0 8 9 111 101",
				21));
	mbuf_write_str(ans, HDR "m=audio 5000 RTP/AVP 8\r\n");
	ans->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, ans, &r, &reason, false), 0);
	assert_int_equal(r.codec, MEDIA_PCMA);
	assert_int_equal(sa_port(&r.rtp), 5000);
	mem_deref(offer);
	mem_deref(ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pcmu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audio_level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_csrc_level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_g722_opus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offerer_order_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_common_codec, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_audio, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hold_directions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offer_and_answer, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
