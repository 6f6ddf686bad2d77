/* SDP offer/answer: codec choice, directions, hold, telephone-event,
 * offers that must be refused, BFCP streams (RFC 8856), and endpoints
 * that mix for themselves (a=x-caucus-mixing:self, spec s. 6.4). */
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

static int answer_in(bool call, const char *body, struct sdpneg_result *res,
		     char *ans, size_t anssz)
{
	struct mbuf *mb = mbuf_alloc(512), *out = NULL;
	const char *reason;
	int err;

	mbuf_write_str(mb, body);
	mb->pos = 0;
	err = call ? sdpneg_reanswer(sn, mb, &out, res, &reason) :
		sdpneg_answer(sn, mb, &out, res, &reason);
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

static int answer(const char *body, struct sdpneg_result *res,
		  char *ans, size_t anssz)
{
	return answer_in(false, body, res, ans, anssz);
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

/* BFCP (RFC 8856): the focus's floor control server at port 5070, in
 * conference 42, for user 7 */
#define AUDIO "m=audio 4000 RTP/AVP 0\r\n"
#define BFCP_TCP "m=application 9 TCP/BFCP *\r\n"

static void bfcp_on(void)
{
	sdpneg_set_bfcp(sn, NULL, 5070, 42, "7");
}

/* the section of the answer from its m=<media> line to the next one */
static void section(char *dst, size_t sz, const char *ans, const char *m)
{
	const char *p = strstr(ans, m), *end;

	assert_non_null(p);
	end = strstr(p + 2, "\r\nm=");
	snprintf(dst, sz, "%.*s", (int)(end ? end - p + 2 : (long)strlen(p)),
		 p);
}

/* the stream served (over proto) or refused, in ans and in r */
static void assert_served(const char *ans, const char *proto,
			  const struct sdpneg_result *r)
{
	char app[512], audio[512], want[64];

	assert_true(r->bfcp);
	assert_int_equal(r->bfcp_udp, proto[0] == 'U');
	snprintf(want, sizeof(want), "m=application 5070 %s *\r\n", proto);
	section(app, sizeof(app), ans, "m=application");
	assert_true(!strncmp(app, want, strlen(want)));
	assert_non_null(strstr(app, "a=floorctrl:s-only\r\n"));
	assert_non_null(strstr(app, "a=confid:42\r\n"));
	assert_non_null(strstr(app, "a=userid:7\r\n"));
	assert_non_null(strstr(app, "a=floorid:1 mstrm:1\r\n"));
	section(audio, sizeof(audio), ans, "m=audio");
	assert_non_null(strstr(audio, "a=label:1\r\n"));
}

static void assert_refused(const char *ans, const char *proto,
			   const struct sdpneg_result *r)
{
	char want[64];

	assert_false(r->bfcp);
	snprintf(want, sizeof(want), "m=application 0 %s", proto);
	assert_non_null(strstr(ans, want));
	assert_null(strstr(ans, "a=floorctrl"));
	assert_null(strstr(ans, "a=label"));
}

/* TCP: we are passive whether the client is active, actpass or silent
 * (RFC 4145's default, active), whichever role list lets it be the
 * client; a=connection:new; our audio's label; and over UDP */
static void test_bfcp_tcp(void **state)
{
	static const char *ok[] = {
		"a=floorctrl:c-only\r\na=setup:active\r\na=connection:new\r\n",
		"a=floorctrl:c-s\r\na=setup:actpass\r\n",
		"a=floorctrl:c-only s-only\r\na=setup:actpass\r\n",
		"",
	};
	struct sdpneg_result r;
	char body[512], ans[1024];
	struct sa srv;

	(void)state;
	bfcp_on();
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(body, sizeof(body), HDR AUDIO BFCP_TCP "%s", ok[i]);
		assert_int_equal(answer(body, &r, ans, sizeof(ans)), 0);
		assert_served(ans, "TCP/BFCP", &r);
		assert_non_null(strstr(ans, "a=setup:passive\r\n"));
		assert_non_null(strstr(ans, "a=connection:new\r\n"));
		assert_null(strstr(ans, "bfcpver"));
		assert_int_equal(sa_port(&r.bfcp_peer), 9);
		assert_int_equal(r.codec, MEDIA_PCMU);     /* audio as ever */
	}
	/* a server at an address of its own: a c= line for the stream */
	sa_set_str(&srv, "10.1.1.1", 0);
	sdpneg_set_bfcp(sn, &srv, 5070, 42, "7");
	assert_int_equal(answer(HDR AUDIO BFCP_TCP, &r, ans, sizeof(ans)), 0);
	assert_served(ans, "TCP/BFCP", &r);
	assert_non_null(strstr(ans, "TCP/BFCP *\r\nc=IN IP4 10.1.1.1\r\n"));
	assert_null(strstr(strstr(ans, "m=audio"), "c=IN IP4 127.0.0.1"));
	/* the offer's label of its audio is the one the floor names; one
	 * that is not a token is not */
	assert_int_equal(answer(HDR AUDIO "a=label:main\r\n" BFCP_TCP, &r, ans,
				sizeof(ans)), 0);
	assert_non_null(strstr(ans, "a=floorid:1 mstrm:main\r\n"));
	assert_non_null(strstr(ans, "a=label:main\r\nm=application"));
	bfcp_on();
	assert_int_equal(answer(HDR AUDIO "a=label:a\"b\r\n" BFCP_TCP, &r, ans,
				sizeof(ans)), 0);
	assert_served(ans, "TCP/BFCP", &r);
	/* UDP: no setup, no connection; bfcpver 2 */
	bfcp_on();
	assert_int_equal(answer(HDR AUDIO "m=application 6000 UDP/BFCP *\r\n"
				"a=floorctrl:c-only\r\na=bfcpver:1 2\r\n", &r,
				ans, sizeof(ans)), 0);
	assert_served(ans, "UDP/BFCP", &r);
	assert_non_null(strstr(ans, "a=bfcpver:2\r\n"));
	assert_null(strstr(ans, "a=setup"));
	assert_null(strstr(ans, "a=connection"));
	assert_int_equal(sa_port(&r.bfcp_peer), 6000);
}

/* port 0 for what we cannot serve; the audio goes on */
static void test_bfcp_refused(void **state)
{
	static const struct { const char *m; const char *proto; } c[] = {
		{BFCP_TCP "a=setup:passive\r\n", "TCP/BFCP"},
		{BFCP_TCP "a=setup:holdconn\r\n", "TCP/BFCP"},
		{BFCP_TCP "a=floorctrl:s-only\r\n", "TCP/BFCP"},
		{BFCP_TCP "a=bfcpver:2\r\n", "TCP/BFCP"},
		/* version 1 is TCP's (RFC 8855 s. 5.1) */
		{"m=application 6 UDP/BFCP *\r\na=bfcpver:1\r\n", "UDP/BFCP"},
		{"m=application 9 TCP/TLS/BFCP *\r\n", "TCP/TLS/BFCP"},
		{"m=application 9 UDP/TLS/BFCP *\r\n", "UDP/TLS/BFCP"},
		{"m=application 9 TCP/BFCP 0\r\n", "TCP/BFCP"},
	};
	struct sdpneg_result r;
	char body[512], ans[1024];

	(void)state;
	bfcp_on();
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(body, sizeof(body), HDR AUDIO "%s", c[i].m);
		assert_int_equal(answer(body, &r, ans, sizeof(ans)), 0);
		assert_refused(ans, c[i].proto, &r);
		assert_non_null(strstr(ans, "m=audio 20000 RTP/AVP 0"));
	}
	/* two streams: the first is served, the second gets port 0 */
	assert_int_equal(answer(HDR AUDIO BFCP_TCP "m=application 7 UDP/BFCP "
				"*\r\n", &r, ans, sizeof(ans)), 0);
	assert_served(ans, "TCP/BFCP", &r);
	assert_non_null(strstr(strstr(ans, "m=application 5070 TCP/BFCP *"),
			       "m=application 0 UDP/BFCP"));
	/* BFCP off */
	sdpneg_set_bfcp(sn, NULL, 0, 42, "7");
	assert_int_equal(answer(HDR AUDIO BFCP_TCP, &r, ans, sizeof(ans)), 0);
	assert_refused(ans, "TCP/BFCP", &r);
}

/* call_in.c: the offer is taken before the caller joins, the answer made
 * once its user id is known; with none, BFCP is refused */
static void test_bfcp_user_later(void **state)
{
	struct mbuf *mb = mbuf_alloc(512), *out = NULL;
	struct sdpneg_result r;
	const char *reason;
	char ans[1024];

	(void)state;
	sdpneg_set_bfcp(sn, NULL, 5070, 42, NULL);
	mbuf_write_str(mb, HDR AUDIO BFCP_TCP);
	mb->pos = 0;
	assert_int_equal(sdpneg_answer(sn, mb, NULL, &r, &reason), 0);
	assert_true(r.bfcp);
	sdpneg_set_bfcp(sn, NULL, 5070, 42, "7");
	assert_int_equal(sdpneg_answer_encode(sn, &out, &r), 0);
	snprintf(ans, sizeof(ans), "%.*s", (int)out->end, out->buf);
	assert_served(ans, "TCP/BFCP", &r);
	mem_deref(out);
	mem_deref(mb);
	/* no user id (or one BFCP cannot carry) when the answer is made */
	sdpneg_set_bfcp(sn, NULL, 5070, 42, "70000");
	assert_int_equal(answer(HDR AUDIO BFCP_TCP, &r, ans, sizeof(ans)), 0);
	assert_refused(ans, "TCP/BFCP", &r);
}

static void offer_str(char *dst, size_t sz)
{
	struct mbuf *o = NULL;

	assert_int_equal(sdpneg_offer(sn, &o), 0);
	snprintf(dst, sz, "%.*s", (int)o->end, o->buf);
	mem_deref(o);
}

/* re-INVITEs add the stream, keep it (the same TCP connection), remove
 * it; our re-offers repeat it as it stands and never add one */
static void test_bfcp_reoffers(void **state)
{
	struct mbuf *mb = mbuf_alloc(256);
	struct sdpneg_result r;
	const char *reason;
	char ans[1024];

	(void)state;
	bfcp_on();
	assert_int_equal(answer(HDR AUDIO, &r, ans, sizeof(ans)), 0);
	assert_null(strstr(ans, "m=application"));
	assert_false(r.bfcp);
	offer_str(ans, sizeof(ans));
	assert_null(strstr(ans, "m=application"));
	/* added */
	assert_int_equal(answer_in(true, HDR AUDIO BFCP_TCP "a=setup:actpass"
				   "\r\na=connection:new\r\n", &r, ans,
				   sizeof(ans)), 0);
	assert_served(ans, "TCP/BFCP", &r);
	assert_non_null(strstr(ans, "a=connection:new"));
	/* kept */
	assert_int_equal(answer_in(true, HDR AUDIO BFCP_TCP "a=setup:active"
				   "\r\na=connection:existing\r\n", &r, ans,
				   sizeof(ans)), 0);
	assert_served(ans, "TCP/BFCP", &r);
	assert_non_null(strstr(ans, "a=connection:existing"));
	offer_str(ans, sizeof(ans));
	assert_non_null(strstr(ans, "m=application 5070 TCP/BFCP *"));
	assert_non_null(strstr(ans, "a=floorctrl:s-only"));
	assert_non_null(strstr(ans, "a=connection:existing"));
	/* the peer's answer to that may end it */
	mbuf_write_str(mb, HDR AUDIO "m=application 0 TCP/BFCP *\r\n");
	mb->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, mb, &r, &reason, true), 0);
	assert_false(r.bfcp);
	offer_str(ans, sizeof(ans));
	assert_refused(ans, "TCP/BFCP", &r);
	/* over UDP, then removed by the client */
	assert_int_equal(answer_in(true, HDR AUDIO "m=application 6000 "
				   "UDP/BFCP *\r\n", &r, ans, sizeof(ans)), 0);
	assert_served(ans, "UDP/BFCP", &r);
	assert_int_equal(answer_in(true, HDR AUDIO "m=application 0 UDP/BFCP "
				   "*\r\n", &r, ans, sizeof(ans)), 0);
	assert_refused(ans, "UDP/BFCP", &r);
	/* audio removed, BFCP kept */
	assert_int_equal(answer_in(true, HDR "m=audio 0 RTP/AVP 0\r\n"
				   BFCP_TCP, &r, ans, sizeof(ans)), 0);
	assert_true(r.removed);
	assert_true(r.bfcp);
	assert_non_null(strstr(ans, "m=application 5070 TCP/BFCP *"));
	/* the floor names no stream while the audio has none */
	assert_non_null(strstr(ans, "a=floorid:1\r\n"));
	assert_null(strstr(ans, "a=label"));
	mem_deref(mb);
}

/* without a BFCP stream in the offer the answer is what it was before
 * BFCP existed (the o= line aside: its session id is random) */
static void test_bfcp_none_offered(void **state)
{
	static const char *offers[] = {
		HDR AUDIO,
		HDR "m=audio 4000 RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2"
		"\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n",
		HDR AUDIO "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
	};
	struct sdpneg_result r;
	char a1[1024], a2[1024];

	for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		assert_int_equal(setup(state), 0);
		assert_int_equal(answer(offers[i], &r, a1, sizeof(a1)), 0);
		teardown(state);
		assert_int_equal(setup(state), 0);
		bfcp_on();
		assert_int_equal(answer(offers[i], &r, a2, sizeof(a2)), 0);
		teardown(state);
		assert_false(r.bfcp);
		assert_string_equal(strstr(a1, "s=-"), strstr(a2, "s=-"));
	}
}

/* Distributed mixing: an endpoint that says it mixes for itself is
 * taken so only when the policy allows it (sdpneg_set_mixing), and then
 * our answer echoes the attribute and sends it the talkers' RFC 6464
 * levels where its extmap takes them; not allowed, the attribute is
 * ignored and never echoed; never over SRTP; the policy told between
 * the offer and the answer's encoding counts; our offers carry it when
 * allowed, and the answer to one decides */
#define MIXES "a=x-caucus-mixing:self\r\n"
#define LEVEL "a=extmap:1 " SDPNEG_AUDIO_LEVEL "\r\n"

static void test_self_mixing(void **state)
{
	struct mbuf *mb = mbuf_alloc(512), *out = NULL;
	struct sdpneg_result r;
	const char *reason;
	char ans[1024];

	(void)state;
	/* the default: ignored */
	assert_int_equal(answer(HDR AUDIO MIXES LEVEL, &r, ans, sizeof(ans)),
			 0);
	assert_true(r.mixes_self);
	assert_false(r.self_mix);
	assert_int_equal(r.self_level_id, 0);
	assert_null(strstr(ans, "x-caucus-mixing"));
	assert_non_null(strstr(ans, "a=extmap:1/recvonly " SDPNEG_AUDIO_LEVEL));
	/* allowed: taken and echoed, the levels both ways */
	sdpneg_set_mixing(sn, true);
	assert_int_equal(answer(HDR AUDIO MIXES LEVEL, &r, ans, sizeof(ans)),
			 0);
	assert_true(r.self_mix);
	assert_int_equal(r.level_id, 1);
	assert_int_equal(r.self_level_id, 1);
	assert_non_null(strstr(ans, "a=x-caucus-mixing:self\r\n"));
	assert_non_null(strstr(ans, "a=extmap:1 " SDPNEG_AUDIO_LEVEL));
	/* levels it only receives */
	assert_int_equal(answer(HDR AUDIO MIXES "a=extmap:4/recvonly "
				SDPNEG_AUDIO_LEVEL "\r\n", &r, ans,
				sizeof(ans)), 0);
	assert_int_equal(r.level_id, 0);
	assert_int_equal(r.self_level_id, 4);
	assert_non_null(strstr(ans, "a=extmap:4/sendonly " SDPNEG_AUDIO_LEVEL));
	/* a phone that says nothing gets a mix, and hears nothing of it */
	assert_int_equal(answer(HDR AUDIO, &r, ans, sizeof(ans)), 0);
	assert_false(r.mixes_self || r.self_mix);
	assert_null(strstr(ans, "x-caucus-mixing"));
	/* not over SRTP */
	assert_int_equal(answer(HDR "m=audio 4000 RTP/SAVP 0\r\n"
				"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
				"WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
				MIXES, &r, ans, sizeof(ans)), 0);
	assert_int_equal(r.sec, SDPSEC_SDES);
	assert_true(r.mixes_self);
	assert_false(r.self_mix);
	assert_null(strstr(ans, "x-caucus-mixing"));
	/* told between the offer and the answer's encoding */
	sdpneg_set_mixing(sn, false);
	mbuf_write_str(mb, HDR AUDIO MIXES);
	mb->pos = 0;
	assert_int_equal(sdpneg_answer(sn, mb, NULL, &r, &reason), 0);
	assert_false(r.self_mix);
	sdpneg_set_mixing(sn, true);
	assert_int_equal(sdpneg_answer_encode(sn, &out, &r), 0);
	assert_true(r.self_mix);
	assert_non_null(memmem(out->buf, out->end, "x-caucus-mixing:self",
			       20));
	out = mem_deref(out);
	/* our offer says it may; its answer decides */
	offer_str(ans, sizeof(ans));
	assert_non_null(strstr(ans, "a=x-caucus-mixing:self\r\n"));
	mbuf_rewind(mb);
	mbuf_write_str(mb, HDR "m=audio 5000 RTP/AVP 0\r\n" MIXES);
	mb->pos = 0;
	assert_int_equal(sdpneg_handle_answer(sn, mb, &r, &reason, false), 0);
	assert_true(r.self_mix);
	sdpneg_set_mixing(sn, false);
	offer_str(ans, sizeof(ans));
	assert_null(strstr(ans, "x-caucus-mixing"));
	mem_deref(mb);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_pcmu), T(test_audio_level), T(test_csrc_level),
		T(test_g722_opus), T(test_offerer_order_wins),
		T(test_no_common_codec), T(test_no_audio),
		T(test_hold_directions), T(test_malformed),
		T(test_offer_and_answer), T(test_bfcp_tcp),
		T(test_bfcp_refused), T(test_bfcp_user_later),
		T(test_bfcp_reoffers), T(test_self_mixing),
		cmocka_unit_test(test_bfcp_none_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
