/*
 * Allocation failures on the core paths: SDP negotiation and policy
 * documents here, RFC 4575 documents in test_alloc_fail_notify.c, the
 * reconciler and reloading from the store in test_alloc_fail_conf.c.
 * Each path runs once for every n with its n-th allocation failing
 * (alloc_fail.c: malloc, calloc and realloc interposed, so libre's
 * mem_alloc and SQLite's too) and must return an error, ENOMEM (or EIO
 * from the store), or give the result it gives without failures, without
 * crashing and without leaking a block. Each test prints how many
 * allocations its path makes and how the runs ended; AF_VERBOSE=1 in the
 * environment prints every run with where its allocation failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "alloc_fail.h"
#include "test_alloc_fail.h"
#include "conf/policy.h"
#include "sip/sdpneg.h"

void af_case_run(const struct af_case *c)
{
	struct af_stats st;

	af_run(c, &st);
	print_message("%-36s %5lu allocations, %5lu runs: %5lu errors, "
		      "%lu absorbed\n", c->name, st.allocs, st.runs,
		      st.errors, st.unneeded);
}

bool af_enomem(int err)
{
	return err == ENOMEM;
}

void af_text(char *buf, size_t sz, const struct mbuf *mb)
{
	size_t n = mb ? mb->end : 0;

	if (n >= sz)
		n = sz - 1;
	if (n)
		memcpy(buf, mb->buf, n);
	buf[n] = '\0';
}

/* SDP ---------------------------------------------------------------- */

/* What a softphone offers: Opus with its fmtp, G.722, G.711 both laws,
 * telephone-event, RFC 6464 levels it sends and RFC 6465 levels it
 * wants, an rtcp port */
#define OFFER \
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n" \
	"s=call\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" \
	"m=audio 49170 RTP/AVP 111 9 0 8 101\r\n" \
	"a=rtpmap:111 opus/48000/2\r\n" \
	"a=fmtp:111 useinbandfec=1;maxaveragebitrate=24000\r\n" \
	"a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n" \
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n" \
	"a=fmtp:101 0-16\r\n" \
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on\r\n" \
	"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n" \
	"a=ptime:20\r\na=rtcp:49171\r\na=sendrecv\r\n"

/* The same call put on hold, G.711 first now, and a video stream
 * added (answered with port 0) */
#define REOFFER \
	"v=0\r\no=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n" \
	"s=call\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" \
	"m=audio 49170 RTP/AVP 0 111 101\r\n" \
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/2\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n" \
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" \
	"a=sendonly\r\n" \
	"m=video 51372 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"

/* A callee's answer to our offer (dial-out) */
#define ANSWER \
	"v=0\r\no=bob 1 1 IN IP4 198.51.100.7\r\ns=-\r\n" \
	"c=IN IP4 198.51.100.7\r\nt=0 0\r\n" \
	"m=audio 30000 RTP/AVP 111 101\r\n" \
	"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1;usedtx=1\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n" \
	"a=sendrecv\r\n"

static struct {
	struct sdpneg *sn;
	struct mbuf *in, *out;
	struct sdpneg_result res;
	const char *reason;
	char text[2048], ref_text[2048];
	struct sdpneg_result ref;
} sdp;

static int sdp_alloc(void)
{
	struct sa laddr;

	sa_set_str(&laddr, "203.0.113.1", 0);
	static const struct sdpsec_cfg opt = {.mode = SDPSEC_OPTIONAL};

	return sdpneg_alloc(&sdp.sn, &laddr, 20000, &opt);
}

static struct mbuf *sdp_body(const char *s)
{
	struct mbuf *mb = mbuf_alloc(512);

	if (mb) {
		mbuf_write_str(mb, s);
		mb->pos = 0;
	}
	return mb;
}

static void sdp_teardown(void)
{
	sdp.sn = mem_deref(sdp.sn);
	sdp.in = mem_deref(sdp.in);
	sdp.out = mem_deref(sdp.out);
}

/* The text without its o= line: libre puts a random session id there */
static void sdp_text(char *buf, size_t sz, const struct mbuf *mb)
{
	char *o, *e;

	af_text(buf, sz, mb);
	o = strstr(buf, "o=");
	e = o ? strstr(o, "\r\n") : NULL;
	if (e)
		memmove(o, e + 2, strlen(e + 2) + 1);
}

static void sdp_check(bool reference)
{
	const struct sdpneg_result *r = &sdp.res, *w = &sdp.ref;

	sdp_text(sdp.text, sizeof(sdp.text), sdp.out);
	if (reference) {
		memcpy(sdp.ref_text, sdp.text, sizeof(sdp.text));
		sdp.ref = sdp.res;
		return;
	}
	assert_string_equal(sdp.text, sdp.ref_text);
	assert_int_equal(r->codec, w->codec);
	assert_int_equal(r->pt, w->pt);
	assert_int_equal(r->telev_pt, w->telev_pt);
	assert_true(sa_cmp(&r->rtp, &w->rtp, SA_ALL));
	assert_true(sa_cmp(&r->rtcp, &w->rtcp, SA_ALL));
	assert_int_equal(r->send, w->send);
	assert_int_equal(r->recv, w->recv);
	assert_string_equal(r->dir ? r->dir : "", w->dir ? w->dir : "");
	assert_int_equal(r->removed, w->removed);
	assert_int_equal(r->level_id, w->level_id);
	assert_int_equal(r->csrc_level_id, w->csrc_level_id);
	assert_memory_equal(&r->opus, &w->opus, sizeof(r->opus));
}

/* a new call: the session made and the offer answered */
static int sdp_answer_setup(void)
{
	sdp.in = sdp_body(OFFER);
	return sdp.in ? 0 : ENOMEM;
}

static int sdp_answer_run(void)
{
	int err = sdp_alloc();

	return err ? err : sdpneg_answer(sdp.sn, sdp.in, &sdp.out, &sdp.res,
					 &sdp.reason);
}

static void test_sdp_answer(void **state)
{
	static const struct af_case c = {"sdpneg_alloc + sdpneg_answer",
		sdp_answer_setup, sdp_answer_run, sdp_check, sdp_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_int_equal(sdp.ref.codec, MEDIA_OPUS);
	assert_int_equal(sdp.ref.level_id, 1);
	assert_int_equal(sdp.ref.csrc_level_id, 2);
	assert_int_equal(sdp.ref.telev_pt, 101);
}

/* our offer (dial-out, INVITE without SDP) */
static int sdp_offer_run(void)
{
	return sdpneg_offer(sdp.sn, &sdp.out);
}

static void test_sdp_offer(void **state)
{
	static const struct af_case c = {"sdpneg_offer", sdp_alloc,
		sdp_offer_run, sdp_check, sdp_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_non_null(strstr(sdp.ref_text, "opus/48000/2"));
}

/* a re-INVITE in the call: hold, another codec first, video added */
static int sdp_reanswer_setup(void)
{
	struct mbuf *ans = NULL;
	int err = sdp_alloc();

	sdp.in = sdp_body(OFFER);
	err = err ? err : sdp.in ? 0 : ENOMEM;
	err = err ? err : sdpneg_answer(sdp.sn, sdp.in, &ans, &sdp.res,
					&sdp.reason);
	mem_deref(ans);
	mem_deref(sdp.in);
	sdp.in = sdp_body(REOFFER);
	return err ? err : sdp.in ? 0 : ENOMEM;
}

static int sdp_reanswer_run(void)
{
	return sdpneg_reanswer(sdp.sn, sdp.in, &sdp.out, &sdp.res,
			       &sdp.reason);
}

static void test_sdp_reanswer(void **state)
{
	static const struct af_case c = {"sdpneg_reanswer",
		sdp_reanswer_setup, sdp_reanswer_run, sdp_check, sdp_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_int_equal(sdp.ref.codec, MEDIA_PCMU);
	assert_false(sdp.ref.send);
	assert_non_null(strstr(sdp.ref_text, "m=video 0 "));
}

/* the callee's answer to our offer */
static int sdp_handle_setup(void)
{
	int err = sdp_alloc();

	err = err ? err : sdpneg_offer(sdp.sn, &sdp.out);
	sdp.out = mem_deref(sdp.out);
	sdp.in = sdp_body(ANSWER);
	return err ? err : sdp.in ? 0 : ENOMEM;
}

static int sdp_handle_run(void)
{
	return sdpneg_handle_answer(sdp.sn, sdp.in, &sdp.res, &sdp.reason,
				    false);
}

static void test_sdp_handle_answer(void **state)
{
	static const struct af_case c = {"sdpneg_handle_answer",
		sdp_handle_setup, sdp_handle_run, sdp_check, sdp_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_int_equal(sdp.ref.codec, MEDIA_OPUS);
	assert_int_equal(sdp.ref.opus.usedtx, 1);
}

/* Policy ------------------------------------------------------------- */

static const char policy_doc[] =
	"{\"start\":1700000000,\"end\":1900000000,"
	"\"destroy_on_last_leave\":false,\"idle_timeout_s\":600,"
	"\"max_participants\":40,\"locked\":false,"
	"\"allow_unauthenticated\":true,\"reveal_anonymous\":false,"
	"\"default_action\":\"moderate\","
	"\"rules\":["
	"{\"aor\":\"sip:troll@example.org\",\"action\":\"deny\"},"
	"{\"domain\":\"partner.example\",\"action\":\"allow\"},"
	"{\"pattern\":\"sip:guest-*@example.org\",\"action\":\"moderate\"},"
	"{\"pattern\":\"sip:*@vpn.example.org\",\"action\":\"authenticate\"},"
	"{\"domain\":\"example.org\",\"action\":\"allow\"}],"
	"\"users\":["
	"{\"aor\":\"sip:chair@example.org\",\"role\":\"administrator\"},"
	"{\"aor\":\"sip:mod@example.org\",\"role\":\"moderator\","
	"\"invite\":true},"
	"{\"aor\":\"sip:quiet@example.org\",\"role\":\"listener\","
	"\"muted\":true},"
	"{\"aor\":\"sip:shy@example.org\",\"anonymous\":true},"
	"{\"aor\":\"sip:ghost@example.org\",\"hidden\":true},"
	"{\"aor\":\"sips:\\\"odd\\\"@example.org\",\"role\":\"participant\"}],"
	"\"changes\":{\"ttl_s\":120,"
	"\"membership\":{\"direct\":[\"moderator\"],"
	"\"moderated\":[\"participant\"],\"moderators\":[\"moderator\"]},"
	"\"media\":{\"direct\":[\"participant\"]}},"
	"\"self_service\":{\"roles\":[\"participant\",\"listener\"],"
	"\"anonymous\":true,\"hidden\":false}}";

/* a PATCH on top of it */
static const char policy_patch[] =
	"{\"locked\":true,\"max_participants\":12,"
	"\"rules\":[{\"aor\":\"sip:troll@example.org\",\"action\":\"deny\"}]}";

/* and one that must be refused, naming its field */
static const char policy_bad[] =
	"{\"locked\":true,\"users\":[{\"aor\":\"sip:a@example.org\"},"
	"{\"aor\":\"sip:b@example.org\",\"role\":\"boss\"}]}";

static struct {
	struct policy put, patched, bad;
	char *printed;
	char detail[160], why[160];
	char ref[8192], ref_why[160];
} pol;

static int policy_run(void)
{
	int err = policy_parse(&pol.put, NULL, policy_doc,
			       sizeof(policy_doc) - 1, pol.detail,
			       sizeof(pol.detail));

	err = err ? err : policy_parse(&pol.patched, &pol.put, policy_patch,
				       sizeof(policy_patch) - 1, pol.detail,
				       sizeof(pol.detail));
	if (!err) {
		err = policy_parse(&pol.bad, NULL, policy_bad,
				   sizeof(policy_bad) - 1, pol.why,
				   sizeof(pol.why));
		/* refused is right; 0 is not (EPROTO fails af_enomem) */
		err = err == EINVAL ? 0 : err ? err : EPROTO;
	}
	return err ? err : re_sdprintf(&pol.printed, "%H", policy_print,
				       &pol.patched);
}

static void policy_check(bool reference)
{
	if (reference) {
		snprintf(pol.ref, sizeof(pol.ref), "%s", pol.printed);
		snprintf(pol.ref_why, sizeof(pol.ref_why), "%s", pol.why);
		return;
	}
	assert_string_equal(pol.printed, pol.ref);
	assert_string_equal(pol.why, pol.ref_why);
}

static void policy_teardown(void)
{
	pol.printed = mem_deref(pol.printed);
}

static void test_policy(void **state)
{
	static const struct af_case c = {"policy_parse PUT/PATCH/bad + print",
		NULL, policy_run, policy_check, policy_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_non_null(strstr(pol.ref, "\"locked\":true"));
	assert_non_null(strstr(pol.ref, "sip:quiet@example.org"));
	assert_string_equal(pol.ref_why, "field 'users[1].role' must be "
			    "administrator, moderator, participant or "
			    "listener");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sdp_answer, af_guard),
		cmocka_unit_test_teardown(test_sdp_offer, af_guard),
		cmocka_unit_test_teardown(test_sdp_reanswer, af_guard),
		cmocka_unit_test_teardown(test_sdp_handle_answer, af_guard),
		cmocka_unit_test_teardown(test_policy, af_guard),
		cmocka_unit_test_setup_teardown(test_notify_full,
			notify_world_setup, notify_world_teardown),
		cmocka_unit_test_setup_teardown(test_notify_diff,
			notify_world_setup, notify_world_teardown),
		cmocka_unit_test_setup_teardown(test_notify_render,
			notify_world_setup, notify_world_teardown),
		cmocka_unit_test_teardown(test_reconciler, af_guard),
		cmocka_unit_test_teardown(test_reload, af_guard),
	};

	libre_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
