/* SIP digest authentication: the RFC 7616 example responses (MD5 and
 * SHA-256), the Authorization parser against garbage, and the whole check
 * on decoded SIP requests: a good answer, a replayed nonce count, a wrong
 * password, a foreign uri, unknown and forged nonces, an unknown user,
 * another realm, an unknown algorithm. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "sip/digest.h"
#include "store/store.h"
#include "users/users.h"

static void test_vectors(void **state)
{
	const struct pl nonce = PL("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	const struct pl cnonce = PL("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	const struct pl nc = PL("00000001"), met = PL("GET"),
		uri = PL("/dir/index.html");
	char ha1[HASHHEX_MAX], out[HASHHEX_MAX];

	(void)state;
	assert_int_equal(hashhex_printf(HASHHEX_MD5, ha1, "%s",
		"Mufasa:http-auth@example.org:Circle of Life"), 0);
	assert_int_equal(digest_response(HASHHEX_MD5, ha1, &nonce, &nc,
					 &cnonce, &met, &uri, out), 0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	assert_int_equal(hashhex_printf(HASHHEX_SHA256, ha1, "%s",
		"Mufasa:http-auth@example.org:Circle of Life"), 0);
	assert_int_equal(digest_response(HASHHEX_SHA256, ha1, &nonce, &nc,
					 &cnonce, &met, &uri, out), 0);
	assert_string_equal(out, "753927fa0e85d155564e2e272a28d180"
			    "2ca10daf4496794697cf8db5856cb6c1");
	assert_true(hashhex_equal("abc", "abc"));
	assert_false(hashhex_equal("abc", "abd"));
	assert_false(hashhex_equal("abc", "ab"));
}

static void test_algs(void **state)
{
	struct digest *d = NULL;
	char hdrs[640];

	(void)state;
	assert_true(focus_digest_algs_valid("SHA-256,MD5"));
	assert_true(focus_digest_algs_valid("md5"));
	assert_false(focus_digest_algs_valid("SHA-512"));
	assert_false(focus_digest_algs_valid(""));
	assert_false(focus_digest_algs_valid("MD5,MD5"));
	assert_int_equal(digest_alloc(&d, "r", 60, "SHA-1"), EINVAL);
	assert_int_equal(digest_alloc(&d, "r", 60, "MD5,SHA-256"), 0);
	assert_int_equal(digest_challenge(d, true, hdrs, sizeof(hdrs)), 0);
	assert_true(strstr(hdrs, "MD5") < strstr(hdrs, "SHA-256"));
	assert_non_null(strstr(hdrs, "stale=true"));
	assert_int_equal(digest_challenge(d, false, hdrs, 40), ENOSPC);
	mem_deref(d);
	assert_int_equal(digest_alloc(&d, "r", 60, "MD5"), 0);
	assert_int_equal(digest_challenge(d, false, hdrs, sizeof(hdrs)), 0);
	assert_null(strstr(hdrs, "SHA-256"));
	mem_deref(d);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"", "Basic abc", "Digest", "Digest ", "Digestusername=\"a\"",
		"Digest username=\"a\"", "Digest username=\"a\", realm",
		"Digest username=\"a, realm=\"r\"",
		"Digest username=\"a\" realm=\"r\"",
		"Digest username=\"a\",,realm=\"r\"",
		"Digest username=\"a\", username=\"b\", realm=\"r\", "
		"nonce=\"n\", uri=\"u\", response=\"x\"",
		"Digest username=\"a\\\"b\", realm=\"r\", nonce=\"n\", "
		"uri=\"u\", response=\"x\"",
		"Digest =x, username=\"a\", realm=\"r\", nonce=\"n\", "
		"uri=\"u\", response=\"x\"",
		"Digest username=, realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		"Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"",
		"Digest \x01\x02\x03",
	};
	struct digest_cred c;
	struct pl pl;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_set_str(&pl, bad[i]);
		if (digest_parse(&c, &pl) != EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
	pl_set_str(&pl, "digest  username=\"bob\" ,realm=\"r\",nonce=\"n\","
		   "uri=\"sip:x@y\",response=\"ab\",algorithm=SHA-256,"
		   "qop=auth,nc=00000001,cnonce=\"c\",extra=\"ignored\"");
	assert_int_equal(digest_parse(&c, &pl), 0);
	assert_int_equal(pl_strcmp(&c.username, "bob"), 0);
	assert_int_equal(pl_strcmp(&c.algorithm, "SHA-256"), 0);
	assert_int_equal(pl_strcmp(&c.qop, "auth"), 0);
	assert_int_equal(pl_strcmp(&c.uri, "sip:x@y"), 0);
	assert_int_equal(digest_parse(&c, NULL), EBADMSG);
}

static struct store *st;
static struct users *us;
static struct digest *dg;
static char nonce[64];

static int setup(void **state)
{
	const struct user *u;
	const struct user_new un = {.name = "alice", .password = "wonderland",
				    .aor = "sip:alice@example.com"};
	char detail[80], tok[HASHHEX_MAX];

	(void)state;
	assert_int_equal(store_open(&st, ":memory:"), 0);
	assert_int_equal(users_alloc(&us, st, "caucus", "example.com"), 0);
	assert_int_equal(users_add(us, &un, detail, sizeof(detail), tok, &u),
			 0);
	assert_int_equal(strlen(tok), 64);
	assert_null(users_find_token(us, "nope", 4));
	assert_ptr_equal(users_find_token(us, tok, 64), u);
	assert_ptr_equal(users_find_aor(us, "SIP:Alice@example.com"), u);
	assert_int_equal(digest_alloc(&dg, "caucus", 300, "SHA-256,MD5"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dg = mem_deref(dg);
	us = mem_deref(us);
	st = mem_deref(st);
	return 0;
}

/* a fresh challenge; its nonce into `nonce` */
static void challenge(void)
{
	char hdrs[640];
	const char *p;

	assert_int_equal(digest_challenge(dg, false, hdrs, sizeof(hdrs)), 0);
	assert_non_null(strstr(hdrs, "algorithm=SHA-256"));
	assert_non_null(strstr(hdrs, "algorithm=MD5"));
	assert_true(strstr(hdrs, "SHA-256") < strstr(hdrs, "MD5"));
	p = strstr(hdrs, "nonce=\"") + 7;
	memcpy(nonce, p, 40);
	nonce[40] = '\0';
}

/* Decodes an INVITE to uri with an Authorization header for the given
 * answer and checks it */
static enum digest_result check(const char *user, const char *pass,
				const char *alg, const char *n,
				const char *nc, const char *auth_uri,
				const char *realm)
{
	const char *ruri = "sip:demo@127.0.0.1:5060";
	char ha1[HASHHEX_MAX], resp[HASHHEX_MAX], text[1500];
	struct pl pn, pnc, pc = PL("0a4f113b"), pm = PL("INVITE"), pu;
	enum hashhex_alg a = !strcmp(alg, "SHA-256") ? HASHHEX_SHA256 :
		HASHHEX_MD5;
	struct mbuf *mb;
	struct sip_msg *msg = NULL;
	const struct user *u = NULL;
	const char *why = NULL;
	enum digest_result r;

	pl_set_str(&pn, n);
	pl_set_str(&pnc, nc);
	pl_set_str(&pu, auth_uri);
	assert_int_equal(hashhex_printf(a, ha1, "%s:%s:%s", user, realm,
					pass), 0);
	assert_int_equal(digest_response(a, ha1, &pn, &pnc, &pc, &pm, &pu,
					 resp), 0);
	snprintf(text, sizeof(text),
		 "INVITE %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\n"
		 "From: <sip:alice@example.com>;tag=1\r\n"
		 "To: <%s>\r\nCall-ID: x1\r\nCSeq: 2 INVITE\r\n"
		 "Max-Forwards: 70\r\n"
		 "Authorization: Digest username=\"%s\", realm=\"%s\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		 "algorithm=%s, qop=auth, nc=%s, cnonce=\"0a4f113b\"\r\n"
		 "Content-Length: 0\r\n\r\n",
		 ruri, ruri, user, realm, n, auth_uri, resp, alg, nc);
	mb = mbuf_alloc(2048);
	mbuf_write_str(mb, text);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	r = digest_check(dg, us, msg, &u, &why);
	if (r == DIGEST_OK)
		assert_string_equal(u->name, "alice");
	else
		assert_non_null(why);
	mem_deref(msg);
	mem_deref(mb);
	return r;
}

static void test_check(void **state)
{
	const char *ru = "sip:demo@127.0.0.1:5060";
	char forged[64];

	(void)state;
	challenge();
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000001", ru, "caucus"), DIGEST_OK);
	/* the same nonce count again: a replay */
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000001", ru, "caucus"), DIGEST_REPLAY);
	assert_int_equal(check("alice", "wonderland", "SHA-256", nonce,
			       "00000002", ru, "caucus"), DIGEST_OK);
	assert_int_equal(check("alice", "looking-glass", "SHA-256", nonce,
			       "00000003", ru, "caucus"), DIGEST_WRONG);
	assert_int_equal(check("bob", "wonderland", "MD5", nonce, "00000004",
			       ru, "caucus"), DIGEST_WRONG);
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000005", "sip:other@127.0.0.1", "caucus"),
			 DIGEST_BAD);
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "0000000x", ru, "caucus"), DIGEST_BAD);
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000000", ru, "caucus"), DIGEST_BAD);
	assert_int_equal(check("alice", "wonderland", "SHA-512-256", nonce,
			       "00000006", ru, "caucus"), DIGEST_NONE);
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000007", ru, "elsewhere"), DIGEST_NONE);
	/* a nonce we never issued, one with a forged mac, a short one */
	snprintf(forged, sizeof(forged), "%.24s%s", nonce,
		 "0000000000000000");
	assert_int_equal(check("alice", "wonderland", "MD5", forged,
			       "00000001", ru, "caucus"), DIGEST_STALE);
	assert_int_equal(check("alice", "wonderland", "MD5", "abc",
			       "00000001", ru, "caucus"), DIGEST_STALE);
	/* a nonce of ours the table no longer knows (e.g. a restart) */
	mem_deref(dg);
	assert_int_equal(digest_alloc(&dg, "caucus", 300, "SHA-256,MD5"), 0);
	assert_int_equal(check("alice", "wonderland", "MD5", nonce,
			       "00000009", ru, "caucus"), DIGEST_STALE);
	challenge();
	assert_int_equal(digest_nonce_count(dg), 1);
	assert_int_equal(check("alice", "wonderland", "SHA-256", nonce,
			       "00000001", ru, "caucus"), DIGEST_OK);
}

static void test_users_garbage(void **state)
{
	static const struct user_new bad[] = {
		{.name = "", .password = "12345678"},
		{.name = "a b", .password = "12345678"},
		{.name = "a", .password = "short"},
		{.name = "a", .password = NULL},
		{.name = "a", .password = "12345678", .aor = "alice"},
		{.name = "a", .password = "12345678", .aor = "sip:@x"},
		{.name = "a", .password = "12345678", .aor = "sip:a@"},
		{.name = "a", .password = "12345678", .aor = "sip:a b@x"},
		{.name = NULL, .password = "12345678"},
	};
	const struct user_new dup = {.name = "alice", .password = "12345678"};
	const struct user_new dup_aor = {.name = "al", .password = "12345678",
					 .aor = "sip:ALICE@example.com"};
	const struct user *u;
	char detail[80], tok[HASHHEX_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		detail[0] = '\0';
		assert_int_equal(users_add(us, &bad[i], detail,
					   sizeof(detail), tok, &u), EINVAL);
		assert_true(detail[0] != '\0');
	}
	assert_int_equal(users_add(us, &dup, detail, sizeof(detail), tok, &u),
			 EEXIST);
	assert_int_equal(users_add(us, &dup_aor, detail, sizeof(detail), tok,
				   &u), EEXIST);
	assert_int_equal(users_count(us), 1);
	assert_int_equal(users_delete(us, "nobody"), ENOENT);
	assert_int_equal(users_delete(us, "alice"), 0);
	assert_int_equal(users_count(us), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_algs),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_garbage, setup,
						teardown),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
