/* Video and camera control in the SDP (sip/sdpvideo.c): the codec
 * answered alone, H.264's packetization mode and profile, RTCP feedback,
 * bandwidth, the conference's video status, ports from the call,
 * DTLS-SRTP video refused, SDES per stream, H.224 beside video only,
 * re-offers that remove video, and our own offers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "sip/sdpneg.h"

static struct sdpneg *sn;
static const struct sdpsec_cfg opt = {.mode = SDPSEC_OPTIONAL};
static unsigned ports_asked[2];
static bool ports_fail;

static int port_h(bool fecc, uint16_t *port, void *arg)
{
	(void)arg;
	ports_asked[fecc]++;
	if (ports_fail)
		return EADDRINUSE;
	*port = fecc ? 20004 : 20002;
	return 0;
}

static int setup(void **state)
{
	struct sa laddr;

	(void)state;
	memset(ports_asked, 0, sizeof(ports_asked));
	ports_fail = false;
	sa_set_str(&laddr, "127.0.0.1", 0);
	if (sdpneg_alloc(&sn, &laddr, 20000, &opt))
		return -1;
	sdpneg_set_video(sn, "sendrecv", true, port_h, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sn = mem_deref(sn);
	return 0;
}

static int answer_in(bool call, const char *body, struct sdpneg_result *res,
		     char *ans, size_t anssz)
{
	struct mbuf *mb = mbuf_alloc(1024), *out = NULL;
	const char *reason;
	int err;

	mbuf_write_str(mb, body);
	mb->pos = 0;
	err = call ? sdpneg_reanswer(sn, mb, &out, res, &reason) :
		sdpneg_answer(sn, mb, &out, res, &reason);
	if (!err) {
		size_t n = out->end < anssz - 1 ? out->end : anssz - 1;

		memcpy(ans, out->buf, n);
		ans[n] = '\0';
	}
	mem_deref(out);
	mem_deref(mb);
	return err;
}

/* the section of ans from its m=<media> line to the next one */
static void section(char *dst, size_t sz, const char *ans, const char *m)
{
	const char *p = strstr(ans, m), *end;

	assert_non_null(p);
	end = strstr(p + 2, "\r\nm=");
	snprintf(dst, sz, "%.*s", (int)(end ? end - p + 2 : (long)strlen(p)),
		 p);
}

#define HDR "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n" \
	"t=0 0\r\n"
#define AUDIO "m=audio 4000 RTP/AVP 0\r\n"
#define VIDEO_AVPF "m=video 4002 RTP/AVPF 96 97\r\n" \
	"b=TIAS:800000\r\n" \
	"a=rtpmap:96 VP8/90000\r\n" \
	"a=rtpmap:97 H264/90000\r\n" \
	"a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n" \
	"a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n" \
	"a=rtcp-fb:* ccm fir\r\na=rtcp-fb:97 goog-remb\r\n"

/* The offerer's first codec, alone, under its payload type; the
 * feedback offered for it (and for *), nothing else; b=TIAS */
static void test_vp8_answered_alone(void **state)
{
	struct sdpneg_result r;
	char ans[2048], v[1024];

	(void)state;
	assert_int_equal(answer_in(false, HDR AUDIO VIDEO_AVPF, &r, ans,
				   sizeof(ans)), 0);
	assert_true(r.video.v.on);
	assert_int_equal(r.video.codec, VIDEO_VP8);
	assert_int_equal(r.video.v.pt, 96);
	assert_int_equal(r.video.fb, VIDEO_FB_NACK | VIDEO_FB_PLI |
			 VIDEO_FB_FIR);
	assert_int_equal(r.video.max_kbps, 800);
	assert_int_equal(sa_port(&r.video.v.rtp), 4002);
	assert_int_equal(sa_port(&r.video.v.rtcp), 4003);
	assert_true(r.video.v.send && r.video.v.recv);
	assert_int_equal(r.video.v.sec.kind, SDPSEC_PLAIN);
	assert_int_equal(ports_asked[0], 1);
	section(v, sizeof(v), ans, "m=video");
	assert_non_null(strstr(v, "m=video 20002 RTP/AVPF 96\r\n"));
	assert_non_null(strstr(v, "a=rtpmap:96 VP8/90000"));
	assert_null(strstr(v, "H264"));
	assert_non_null(strstr(v, "a=rtcp-fb:96 nack\r\n"));
	assert_non_null(strstr(v, "a=rtcp-fb:96 nack pli\r\n"));
	assert_non_null(strstr(v, "a=rtcp-fb:96 ccm fir\r\n"));
	assert_null(strstr(v, "goog-remb"));
	assert_null(strstr(v, "tmmbr"));
	/* the audio goes first, as offered; no camera control line */
	assert_true(strstr(ans, "m=audio") < strstr(ans, "m=video"));
	assert_null(strstr(ans, "m=application"));
	/* a second offer in the call keeps the port: asked once */
	assert_int_equal(answer_in(true, HDR AUDIO VIDEO_AVPF, &r, ans,
				   sizeof(ans)), 0);
	assert_int_equal(ports_asked[0], 1);
}

/* H.264 only in packetization-mode 1 with a constrained baseline
 * compatible profile; the offerer's order otherwise */
static void test_h264(void **state)
{
	struct sdpneg_result r;
	char ans[2048], v[1024];

	(void)state;
	assert_int_equal(answer_in(false, HDR AUDIO
		"m=video 4002 RTP/AVP 97 98 99 100\r\n"
		"a=rtpmap:97 H264/90000\r\n"
		"a=fmtp:97 packetization-mode=0;profile-level-id=42e01f\r\n"
		"a=rtpmap:98 H264/90000\r\n"
		"a=fmtp:98 packetization-mode=1;profile-level-id=640c1f\r\n"
		"a=rtpmap:99 H264/90000\r\n"
		"a=fmtp:99 profile-level-id=42e01f;packetization-mode=1\r\n"
		"a=rtpmap:100 VP8/90000\r\n", &r, ans, sizeof(ans)), 0);
	assert_true(r.video.v.on);
	assert_int_equal(r.video.codec, VIDEO_H264);
	assert_int_equal(r.video.v.pt, 99);
	assert_int_equal(r.video.fb, 0);
	section(v, sizeof(v), ans, "m=video");
	assert_non_null(strstr(v, "m=video 20002 RTP/AVP 99\r\n"));
	assert_non_null(strstr(v, "packetization-mode=1"));
	assert_null(strstr(v, "VP8"));
	/* mode 0 (or no fmtp) and High alone: not taken, VP9 then */
	assert_int_equal(answer_in(true, HDR AUDIO
		"m=video 4002 RTP/AVP 97 98\r\n"
		"a=rtpmap:97 H264/90000\r\n"
		"a=rtpmap:98 VP9/90000\r\n", &r, ans, sizeof(ans)), 0);
	assert_int_equal(r.video.codec, VIDEO_VP9);
	assert_int_equal(r.video.v.pt, 98);
	assert_int_equal(answer_in(true, HDR AUDIO
		"m=video 4002 RTP/AVP 97\r\n"
		"a=rtpmap:97 H264/90000\r\n"
		"a=fmtp:97 packetization-mode=1;profile-level-id=640c1f\r\n",
		&r, ans, sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_non_null(r.video.why_off);
	assert_non_null(strstr(ans, "m=video 0 RTP/AVP"));
	assert_non_null(strstr(ans, "m=audio 20000 RTP/AVP 0"));
}

/* "none": port 0 and the call goes on; a port that cannot be had:
 * port 0 too; DTLS-SRTP video: port 0 */
static void test_refusals(void **state)
{
	struct sdpneg_result r;
	char ans[2048];

	(void)state;
	sdpneg_set_video(sn, "none", true, port_h, NULL);
	assert_int_equal(answer_in(false, HDR AUDIO VIDEO_AVPF, &r, ans,
				   sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_non_null(strstr(ans, "m=video 0 RTP/AVPF"));
	assert_int_equal(ports_asked[0], 0);
	assert_true(r.send);

	sdpneg_set_video(sn, "sendrecv", true, port_h, NULL);
	ports_fail = true;
	assert_int_equal(answer_in(true, HDR AUDIO VIDEO_AVPF, &r, ans,
				   sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_non_null(strstr(ans, "m=video 0 "));
	ports_fail = false;

	assert_int_equal(answer_in(true, HDR AUDIO
		"m=video 4002 UDP/TLS/RTP/SAVPF 96\r\n"
		"a=rtpmap:96 VP8/90000\r\n"
		"a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n",
		&r, ans, sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_non_null(strstr(ans, "m=video 0 UDP/TLS/RTP/SAVPF"));
}

/* SDES: the video stream's own keys, answered with its own line */
static void test_sdes(void **state)
{
	struct sdpneg_result r;
	char ans[2048], v[1024];

	(void)state;
	assert_int_equal(answer_in(false, HDR
		"m=audio 4000 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
		"m=video 4002 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n"
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
		"inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk\r\n",
		&r, ans, sizeof(ans)), 0);
	assert_true(r.video.v.on);
	assert_int_equal(r.video.v.sec.kind, SDPSEC_SDES);
	assert_int_equal(r.video.v.sec.suite, SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(r.video.v.sec.key_len, 30);
	assert_memory_equal(r.video.v.sec.rx_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcd",
			    30);
	assert_memory_not_equal(r.video.v.sec.tx_key, r.tx_key, 30);
	section(v, sizeof(v), ans, "m=video");
	assert_non_null(strstr(v, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
			       "inline:"));
}

/* H.224 beside video: its own port and payload type; without video, or
 * where the camera policy says none, port 0 */
static void test_fecc(void **state)
{
	struct sdpneg_result r;
	char ans[2048], a[512];
	const char *fecc = "m=application 4004 RTP/AVP 107\r\n"
		"a=rtpmap:107 H224/4800\r\n";
	char offer[1024];

	(void)state;
	snprintf(offer, sizeof(offer), HDR AUDIO VIDEO_AVPF "%s", fecc);
	assert_int_equal(answer_in(false, offer, &r, ans, sizeof(ans)), 0);
	assert_true(r.video.fecc.on);
	assert_int_equal(r.video.fecc.pt, 107);
	assert_int_equal(sa_port(&r.video.fecc.rtp), 4004);
	assert_int_equal(r.video.fecc.lport, 20004);
	section(a, sizeof(a), ans, "m=application");
	assert_non_null(strstr(a, "m=application 20004 RTP/AVP 107\r\n"));
	assert_non_null(strstr(a, "a=rtpmap:107 H224/4800"));

	sdpneg_set_video(sn, "sendrecv", false, port_h, NULL);
	assert_int_equal(answer_in(true, offer, &r, ans, sizeof(ans)), 0);
	assert_false(r.video.fecc.on);
	assert_true(r.video.v.on);
	assert_non_null(strstr(ans, "m=application 0 RTP/AVP"));

	sdpneg_set_video(sn, "sendrecv", true, port_h, NULL);
	snprintf(offer, sizeof(offer), HDR AUDIO
		 "m=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n%s", fecc);
	assert_int_equal(answer_in(true, offer, &r, ans, sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_false(r.video.fecc.on);
	assert_non_null(strstr(ans, "m=application 0 RTP/AVP"));
}

/* Audio alone: no video line in the answer; video added by a re-offer,
 * then removed (port 0) while the audio goes on */
static void test_reoffers(void **state)
{
	struct sdpneg_result r;
	char ans[2048];

	(void)state;
	assert_int_equal(answer_in(false, HDR AUDIO, &r, ans, sizeof(ans)),
			 0);
	assert_null(strstr(ans, "m=video"));
	assert_false(r.video.v.on);
	assert_int_equal(answer_in(true, HDR AUDIO VIDEO_AVPF, &r, ans,
				   sizeof(ans)), 0);
	assert_true(r.video.v.on);
	assert_int_equal(answer_in(true, HDR AUDIO
		"m=video 0 RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\n", &r, ans,
		sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_null(r.video.why_off);
	assert_non_null(strstr(ans, "m=video 0 RTP/AVPF"));
	assert_true(r.send && r.recv);
	/* our next offer (a session refresh) keeps it away */
	{
		struct mbuf *offer = NULL;
		char text[2048];

		assert_int_equal(sdpneg_offer(sn, &offer), 0);
		snprintf(text, sizeof(text), "%.*s", (int)offer->end,
			 offer->buf);
		assert_non_null(strstr(text, "m=video 0 "));
		mem_deref(offer);
	}
	/* a payload type RTCP's range would hide (RFC 5761): not taken */
	assert_int_equal(answer_in(true, HDR AUDIO
		"m=video 4002 RTP/AVP 77\r\na=rtpmap:77 VP8/90000\r\n", &r, ans,
		sizeof(ans)), 0);
	assert_false(r.video.v.on);
	assert_non_null(r.video.why_off);
}

/* Our offers: no video unless asked; then every codec with feedback,
 * and the peer's answer taken */
static void test_our_offer(void **state)
{
	struct mbuf *offer = NULL, *ans = mbuf_alloc(512);
	struct sdpneg_result r;
	const char *reason;
	char text[2048];

	(void)state;
	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	snprintf(text, sizeof(text), "%.*s", (int)offer->end, offer->buf);
	assert_null(strstr(text, "m=video"));
	offer = mem_deref(offer);

	sdpneg_offer_video(sn);
	assert_int_equal(sdpneg_offer(sn, &offer), 0);
	snprintf(text, sizeof(text), "%.*s", (int)offer->end, offer->buf);
	assert_non_null(strstr(text, "m=video 20002 RTP/AVP 100 102 98\r\n"));
	assert_non_null(strstr(text, "a=rtcp-fb:* nack pli\r\n"));
	assert_non_null(strstr(text, "a=rtcp-fb:* goog-remb\r\n"));
	assert_non_null(strstr(text, "m=application 20004 RTP/AVP 107\r\n"));
	assert_non_null(strstr(text, "packetization-mode=1"));
	mbuf_write_str(ans, HDR AUDIO
		       "m=video 5002 RTP/AVP 102\r\na=rtpmap:102 H264/90000\r\n"
		       "a=fmtp:102 packetization-mode=1;"
		       "profile-level-id=42e01f\r\n"
		       "a=rtcp-fb:102 ccm fir\r\n"
		       "m=application 0 RTP/AVP 107\r\n");
	ans->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, ans, &r, &reason, false), 0);
	assert_true(r.video.v.on);
	assert_int_equal(r.video.codec, VIDEO_H264);
	assert_int_equal(r.video.fb, VIDEO_FB_FIR);
	assert_int_equal(sa_port(&r.video.v.rtp), 5002);
	assert_false(r.video.fecc.on);
	mem_deref(offer);
	mem_deref(ans);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vp8_answered_alone), T(test_h264), T(test_refusals),
		T(test_sdes), T(test_fecc), T(test_reoffers),
		T(test_our_offer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
