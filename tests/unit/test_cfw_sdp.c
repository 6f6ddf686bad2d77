/*
 * The control channel's SDP (src/mscp/cfw_sdp.c, RFC 6230 s. 4 with
 * COMEDIA), part of test_cfw: the AS's offer, the MS's answer and the AS
 * reading it; each offer the MS cannot take, and an answer the AS must
 * not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "mscp/cfw_sdp.h"

void test_cfw_sdp(void **state);

static struct mbuf *text(const char *s)
{
	struct mbuf *mb = mbuf_alloc(512);

	mbuf_write_str(mb, s);
	mb->pos = 0;
	return mb;
}

/* mbufs are not strings */
static bool has(const struct mbuf *mb, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= mb->end; i++)
		if (!memcmp(mb->buf + i, s, n))
			return true;
	return false;
}

#define OFFER(m, attrs) "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n" m "\r\n" attrs

static const char *const bad_offers[] = {
	OFFER("m=audio 4000 RTP/AVP 0", ""),
	OFFER("m=application 9 TCP cfw", "a=setup:passive\r\n"
	      "a=connection:new\r\na=cfw-id:abc\r\n"),
	OFFER("m=application 9 TCP cfw", "a=setup:active\r\n"
	      "a=connection:existing\r\na=cfw-id:abc\r\n"),
	OFFER("m=application 9 TCP cfw", "a=setup:active\r\n"
	      "a=connection:new\r\n"),
	OFFER("m=application 9 TCP cfw", "a=connection:new\r\n"
	      "a=cfw-id:abc\r\n"),
	OFFER("m=application 9 TCP bfcp", "a=setup:active\r\n"
	      "a=connection:new\r\na=cfw-id:abc\r\n"),
};

void test_cfw_sdp(void **state)
{
	struct sdp_session *as = NULL;
	struct mbuf *offer = NULL, *answer = NULL, *mb;
	struct sa laddr, listen, peer;
	char id[CFW_SDP_ID_MAX + 1];

	(void)state;
	sa_set_str(&laddr, "127.0.0.1", 0);
	sa_set_str(&listen, "127.0.0.2", 7575);
	assert_int_equal(cfw_sdp_offer(&as, &offer, &laddr,
				       "H839quwhjdhegvdga"), 0);
	print_message("%.*s", (int)offer->end, (char *)offer->buf);
	assert_true(has(offer, "m=application 9 TCP cfw"));
	assert_true(has(offer, "a=setup:active"));
	assert_true(has(offer, "a=connection:new"));
	assert_true(has(offer, "a=cfw-id:H839quwhjdhegvdga"));
	offer->pos = 0;
	assert_int_equal(cfw_sdp_answer(&answer, id, sizeof(id), offer,
					&listen), 0);
	assert_string_equal(id, "H839quwhjdhegvdga");
	print_message("%.*s", (int)answer->end, (char *)answer->buf);
	assert_true(has(answer, "m=application 7575 TCP cfw"));
	assert_true(has(answer, "a=setup:passive"));
	answer->pos = 0;
	assert_int_equal(cfw_sdp_answer_read(as, answer, "H839quwhjdhegvdga",
					     &peer), 0);
	assert_true(sa_cmp(&peer, &listen, SA_ALL));
	/* an answer for another channel is not ours */
	answer->pos = 0;
	assert_int_equal(cfw_sdp_answer_read(as, answer, "other", &peer),
			 EPROTO);
	mem_deref(answer);
	answer = NULL;
	assert_int_equal(cfw_sdp_offer(&as, &mb, &laddr, "bad id"), EINVAL);

	for (size_t i = 0; i < ARRAY_SIZE(bad_offers); i++) {
		mb = text(bad_offers[i]);
		assert_int_equal(cfw_sdp_answer(&answer, id, sizeof(id), mb,
						&listen), EPROTO);
		assert_null(answer);
		mem_deref(mb);
	}
	/* actpass is taken (we are passive) */
	mb = text(OFFER("m=application 9 TCP cfw", "a=setup:actpass\r\n"
			"a=connection:new\r\na=cfw-id:abc\r\n"));
	assert_int_equal(cfw_sdp_answer(&answer, id, sizeof(id), mb, &listen),
			 0);
	mem_deref(answer);
	mem_deref(mb);
	mem_deref(offer);
	mem_deref(as);
}
