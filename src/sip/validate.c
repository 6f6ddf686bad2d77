/*
 * The gate every SIP request passes before any handler sees it (RFC 3261
 * s. 8.2 and 18.3, read strictly): one table of checks, run in order; the
 * first that fails answers 400 with a reason phrase naming the fault (513
 * for a message too large), counts the fault for /metrics, and nothing
 * else sees the request. libre decodes leniently (a missing CSeq, a
 * Content-Length that is not a number, a body larger than the datagram
 * all pass its decoder), so these checks read the raw header values.
 *
 * It is the first request listener of the focus's SIP stack (focus.c
 * registers it before the session and event listeners), after libre's
 * own transaction matching, which only takes retransmissions of requests
 * already seen. Signalling thread.
 */
#include <string.h>
#include "sip/overload.h"
#include "sip/sip_int.h"
#include "util/log.h"
#include "util/srclimit.h"

/* Bounds: a conference's requests are small (an INVITE with SDP is 1 to
 * 3 KB; a MESSAGE at most IM_MAX_BYTES of text). Larger means a mistake
 * or an attack; 513 says so before any work is done for it. */
#define HDR_VALUE_MAX 2048
#define HDRS_MAX 64
#define RURI_MAX 512
#define BODY_MAX 16384

/* value of a header that must be there exactly once, else NULL */
static const struct sip_hdr *once(const struct sip_msg *msg,
				  enum sip_hdrid id)
{
	return sip_msg_hdr_count(msg, id) == 1 ? sip_msg_hdr(msg, id) : NULL;
}

static bool digits(const struct pl *pl, size_t max)
{
	if (!pl->l || pl->l > max)
		return false;
	for (size_t i = 0; i < pl->l; i++)
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
	return true;
}

/* digits only, and below limit */
static bool number_below(const struct pl *pl, uint64_t limit)
{
	uint64_t v = 0;

	if (!digits(pl, 10))
		return false;
	for (size_t i = 0; i < pl->l; i++)
		v = v * 10 + (uint64_t)(pl->p[i] - '0');
	return v < limit;
}

static const char *c_via(const struct sip_msg *msg)
{
	return sip_msg_hdr(msg, SIP_HDR_VIA) && pl_isset(&msg->via.branch) ?
		NULL : "missing Via or its branch";
}

static const char *c_from(const struct sip_msg *msg)
{
	if (!once(msg, SIP_HDR_FROM))
		return "From missing or repeated";
	if (!pl_isset(&msg->from.uri.scheme) || !pl_isset(&msg->from.uri.host))
		return "From is not an address";
	/* RFC 3261 s. 8.1.1.3: every request's From has a tag */
	return pl_isset(&msg->from.tag) ? NULL : "From without tag";
}

static const char *c_to(const struct sip_msg *msg)
{
	if (!once(msg, SIP_HDR_TO))
		return "To missing or repeated";
	return pl_isset(&msg->to.uri.scheme) && pl_isset(&msg->to.uri.host) ?
		NULL : "To is not an address";
}

static const char *c_callid(const struct sip_msg *msg)
{
	const struct sip_hdr *h = once(msg, SIP_HDR_CALL_ID);

	if (!h)
		return "Call-ID missing or repeated";
	if (!h->val.l || h->val.l > 255)
		return "Call-ID empty or too long";
	for (size_t i = 0; i < h->val.l; i++)
		if (h->val.p[i] <= ' ' || h->val.p[i] > '~')
			return "Call-ID has a character it may not have";
	return NULL;
}

static const char *c_cseq(const struct sip_msg *msg)
{
	const struct sip_hdr *h = once(msg, SIP_HDR_CSEQ);
	struct pl num, met;

	if (!h)
		return "CSeq missing or repeated";
	if (re_regex(h->val.p, h->val.l, "[^ \t]+[ \t]+[^ \t]+", &num, NULL,
		     &met) || num.p != h->val.p ||
	    met.p + met.l != h->val.p + h->val.l)
		return "CSeq is not a number and a method";
	/* RFC 3261 s. 8.1.1.5: less than 2**31 */
	if (!number_below(&num, 1ull << 31))
		return "CSeq number malformed";
	return pl_cmp(&met, &msg->met) ? "CSeq method is not the request's" :
		NULL;
}

static const char *c_maxfwd(const struct sip_msg *msg)
{
	const struct sip_hdr *h = once(msg, SIP_HDR_MAX_FORWARDS);

	if (!h)
		return "Max-Forwards missing or repeated";
	return number_below(&h->val, 256) ? NULL : "Max-Forwards malformed";
}

/* Content-Length: a number, once, and over UDP the bytes that are there
 * (RFC 3261 s. 18.3: a datagram shorter than it says is refused; one
 * longer is refused too, not cut: the extra bytes are someone's error) */
static const char *c_clen(const struct sip_msg *msg)
{
	size_t n = sip_msg_hdr_count(msg, SIP_HDR_CONTENT_LENGTH);
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_LENGTH);

	if (!n)
		return msg->tp == SIP_TRANSP_UDP ? NULL :
			"Content-Length missing";
	if (n > 1)
		return "Content-Length repeated";
	if (!number_below(&h->val, 1ull << 32))
		return "Content-Length is not a number";
	if (msg->tp == SIP_TRANSP_UDP &&
	    pl_u32(&h->val) != mbuf_get_left(msg->mb))
		return "Content-Length is not the body's length";
	return NULL;
}

static const char *c_ctype(const struct sip_msg *msg)
{
	if (!mbuf_get_left(msg->mb))
		return NULL;
	return sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE) ? NULL :
		"a body without Content-Type";
}

static const char *c_ruri(const struct sip_msg *msg)
{
	if (msg->ruri.l > RURI_MAX)
		return "Request-URI too long";
	if (pl_strcasecmp(&msg->uri.scheme, "sip") &&
	    pl_strcasecmp(&msg->uri.scheme, "sips"))
		return "Request-URI is not a SIP URI";
	return pl_isset(&msg->uri.host) ? NULL : "Request-URI without host";
}

static bool hdr_big(const struct sip_hdr *hdr, const struct sip_msg *msg,
		    void *arg)
{
	unsigned *n = arg;

	(void)msg;
	return ++*n > HDRS_MAX || hdr->val.l > HDR_VALUE_MAX;
}

static const char *c_size(const struct sip_msg *msg)
{
	unsigned n = 0;

	if (mbuf_get_left(msg->mb) > BODY_MAX)
		return "body too large";
	/* every header, named or not */
	for (struct le *le = msg->hdrl.head; le; le = le->next)
		if (hdr_big(le->data, msg, &n))
			return n > HDRS_MAX ? "too many headers" :
				"a header too long";
	return NULL;
}

/* In order: what a reply needs first (its Via, tags, Call-ID, CSeq), then
 * the rest. scode: the answer to a failure. */
static const struct sip_check {
	const char *name;              /* the metrics label */
	const char *(*check)(const struct sip_msg *msg);
	uint16_t scode;
} checks[] = {
	/* faults found in the raw datagram (udp_guard.c), not here */
	{"unparsable",     NULL,     400},
	{"size",           c_size,   513},
	{"via",            c_via,    400},
	{"from",           c_from,   400},
	{"to",             c_to,     400},
	{"call_id",        c_callid, 400},
	{"cseq",           c_cseq,   400},
	{"max_forwards",   c_maxfwd, 400},
	{"content_length", c_clen,   400},
	{"content_type",   c_ctype,  400},
	{"request_uri",    c_ruri,   400},
};

_Static_assert(sizeof(checks) / sizeof(checks[0]) == FOCUS_NCHECKS,
	       "FOCUS_NCHECKS is the number of checks");
_Static_assert(FOCUS_CHECK_UNPARSABLE == 0 && FOCUS_CHECK_SIZE == 1,
	       "the raw faults' places in the table");

const char *focus_check_name(unsigned i)
{
	return i < FOCUS_NCHECKS ? checks[i].name : "";
}

bool focus_validate(const struct sip_msg *msg, void *arg)
{
	struct focus *f = arg;
	struct sa srcbuf;

	if (focus_udp_guard_claim(f, msg))
		return true;                  /* our own probe */
	overload_request(f->ovl, msg);
	switch (srclimit_check(f->limit, srclimit_sip_src(f->limit, msg,
							  &srcbuf))) {
	case SRCLIMIT_OK:
		break;
	case SRCLIMIT_OVER:
		f->stats.limited++;
		if (pl_strcmp(&msg->met, "ACK"))
			focus_reply(f, msg, 503, "Service Unavailable (too "
				    "many requests from your address)",
				    "Retry-After: 1\r\n");
		return true;
	case SRCLIMIT_QUIET:
		f->stats.limited++;
		return true;                  /* blocked, or a flood */
	}
	for (unsigned i = 0; i < FOCUS_NCHECKS; i++) {
		const char *why = checks[i].check ? checks[i].check(msg) :
			NULL;
		char reason[96];

		if (!why)
			continue;
		f->stats.malformed[i]++;
		log_dbg("sip", "msg=\"malformed request\" src=%J method=%r "
			"fault=\"%s\"", &msg->src, &msg->met, why);
		/* an ACK is never answered (RFC 3261 s. 17.2.1) */
		if (!pl_strcmp(&msg->met, "ACK"))
			return true;
		re_snprintf(reason, sizeof(reason), "%s (%s)",
			    checks[i].scode == 513 ? "Message Too Large" :
			    "Bad Request", why);
		focus_reply(f, msg, checks[i].scode, reason, NULL);
		return true;
	}
	return false;
}
