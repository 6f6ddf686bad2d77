/*
 * Datagrams that libre cannot decode as SIP, answered instead of dropped.
 * libre drops such a datagram (a CSeq that is not a number, a From that is
 * not an address, a version other than SIP/2.0) with a line on stderr per
 * packet, so a scanner's garbage would fill the logs and get no answer.
 * This guard sees every datagram at the SIP UDP port first (a libre UDP
 * helper), decodes it as libre will, and for one that does not decode
 * answers 400 naming the fault (505 for another SIP version, 513 when it
 * is too large), counts it, and keeps it from libre. What decodes goes on
 * to libre and then to the gate of checks (validate.c).
 *
 * libre 1.1.0 has no way to reach its UDP transport's socket, which the
 * helper must be registered on. The socket is learnt from the one message
 * that reaches us with it: at start the focus sends itself a probe (an
 * OPTIONS with a random Call-ID) from a throwaway socket, the gate
 * recognises it and hands its msg->sock here. Keep this trick here.
 * Signalling thread.
 */
#include <string.h>
#include "sip/sip_int.h"
#include "util/log.h"
#include "util/srclimit.h"

/* The largest datagram read whole: every bound of the gate (validate.c)
 * fits in it; a datagram that fills it was larger (cut by recvfrom) */
#define RX_MAX 20480
/* An answer is at most this much larger than the datagram it answers */
#define ANSWER_MARGIN 256

/* One header line of a raw message: its name and value */
struct raw_hdr {
	struct pl name, val;
};

/* The next header line at *p (folded lines not unfolded: only the first
 * line of each is looked at, enough to name a fault) */
static bool next_hdr(struct pl *rest, struct raw_hdr *h)
{
	const char *nl = memchr(rest->p, '\n', rest->l);
	struct pl line;
	const char *colon;

	if (!nl)
		return false;
	line.p = rest->p;
	line.l = (size_t)(nl - rest->p);
	pl_advance(rest, line.l + 1);
	if (line.l && line.p[line.l - 1] == '\r')
		line.l--;
	if (!line.l)
		return false;                 /* the end of the headers */
	colon = memchr(line.p, ':', line.l);
	h->name.p = line.p;
	h->name.l = colon ? (size_t)(colon - line.p) : line.l;
	while (h->name.l && (h->name.p[h->name.l - 1] == ' ' ||
			     h->name.p[h->name.l - 1] == '\t'))
		h->name.l--;
	h->val.p = colon ? colon + 1 : line.p + line.l;
	h->val.l = colon ? (size_t)(line.p + line.l - h->val.p) : 0;
	while (h->val.l && (*h->val.p == ' ' || *h->val.p == '\t'))
		pl_advance(&h->val, 1);
	return true;
}

static bool named(const struct pl *n, const char *full, const char *compact)
{
	return !pl_strcasecmp(n, full) || (compact && !pl_strcasecmp(n,
								     compact));
}

/* "METHOD URI VERSION" at the start of msg: two words (no space, tab,
 * CR or LF) each followed by one space, then the rest of the line. In one
 * pass: a regex search would try every position of a datagram that has
 * no such line, at a cost of the square of its length. */
static bool start_line(const struct pl *msg, struct pl *method,
		       struct pl *uri, struct pl *ver)
{
	struct pl *w[2] = {method, uri};
	size_t i = 0;

	for (int k = 0; k < 2; k++) {
		size_t b = i;

		while (i < msg->l && msg->p[i] != ' ' && msg->p[i] != '\t' &&
		       msg->p[i] != '\r' && msg->p[i] != '\n')
			i++;
		if (i == b || i >= msg->l || msg->p[i] != ' ')
			return false;
		w[k]->p = msg->p + b;
		w[k]->l = i - b;
		i++;
	}
	ver->p = msg->p + i;
	while (i < msg->l && msg->p[i] != '\r' && msg->p[i] != '\n')
		i++;
	ver->l = (size_t)(msg->p + i - ver->p);
	return ver->l > 0;
}

/* What libre's decoder would choke on, in words for the reason phrase;
 * scode: the answer (0: none: a response, or no Via to answer to). The
 * first fault is named; every line is read for a Via all the same. */
static uint16_t diagnose(const struct pl *msg, char *why, size_t sz)
{
	struct pl method, uri, ver, rest = *msg;
	const char *nl = memchr(msg->p, '\n', msg->l);
	struct raw_hdr h;
	uint16_t scode = 0;
	const char *fault0;
	bool via = false;

	/* a response, even one whose start line or headers are beyond
	 * reading, is never answered (RFC 3261 s. 18.1.2: discarded) */
	if (msg->l >= 4 && !memcmp(msg->p, "SIP/", 4))
		return 0;
	if (!start_line(msg, &method, &uri, &ver)) {
		re_snprintf(why, sz, "start line malformed");
		scode = 400;
	}
	/* an address too long for libre's decoders (sipdec_guard.c kept
	 * it from them): named, and not decoded below either */
	if (!scode && (fault0 = sip_addr_lines_check(msg->p, msg->l))) {
		re_snprintf(why, sz, "%s", fault0);
		scode = 400;
	}
	pl_advance(&rest, nl ? (size_t)(nl + 1 - msg->p) : msg->l);
	while (next_hdr(&rest, &h)) {
		struct sip_addr a;
		struct sip_via v;
		struct sip_cseq c;
		const char *fault = NULL;

		if (!h.name.l || memchr(h.name.p, ' ', h.name.l))
			fault = "a header line without a name";
		else if (named(&h.name, "Via", "v")) {
			via = true;
			if (sip_via_decode(&v, &h.val))
				fault = "Via malformed";
		}
		else if ((named(&h.name, "From", "f") ||
			  named(&h.name, "To", "t")) &&
			 h.val.l <= SIP_ADDR_MAX &&
			 sip_addr_decode(&a, &h.val)) {
			if (!scode)
				re_snprintf(why, sz, "%r is not an address",
					    &h.name);
			scode = 400;
		}
		else if (named(&h.name, "CSeq", NULL) &&
			 sip_cseq_decode(&c, &h.val))
			fault = "CSeq is not a number and a method";
		if (fault && !scode) {
			re_snprintf(why, sz, "%s", fault);
			scode = 400;
		}
	}
	if (!via)
		return 0;                     /* nowhere to answer */
	if (scode)
		return scode;
	if (pl_strcmp(&ver, "SIP/2.0")) {
		re_snprintf(why, sz, "SIP version %r", &ver);
		return 505;
	}
	if (uri_decode(&(struct uri){0}, &uri)) {
		re_snprintf(why, sz, "Request-URI malformed");
		return 400;
	}
	re_snprintf(why, sz, "not a SIP message");
	return 400;
}

/* An answer made of the request's own Via, From, To, Call-ID and CSeq
 * lines, as RFC 3261 s. 8.2.6.2 wants them (a To tag added), the first
 * of each only: a datagram of many To or Via lines must not make an
 * answer larger than itself (its source address may be forged: the
 * focus must not be a reflector that amplifies). ENOSPC: not sent. */
static int answer(struct udp_sock *us, const struct sa *dst,
		  const struct pl *msg, uint16_t scode, const char *reason)
{
	static const char *const names[][2] = {
		{"Via", "v"}, {"From", "f"}, {"To", "t"}, {"Call-ID", "i"},
		{"CSeq", NULL},
	};
	bool seen[ARRAY_SIZE(names)] = {false};
	struct mbuf *mb = mbuf_alloc(512);
	struct pl rest = *msg;
	struct raw_hdr h;
	const char *nl = memchr(msg->p, '\n', msg->l);
	int err;

	if (!mb || !nl) {
		mem_deref(mb);
		return mb ? EINVAL : ENOMEM;
	}
	pl_advance(&rest, (size_t)(nl + 1 - msg->p));
	err = mbuf_printf(mb, "SIP/2.0 %u %s\r\n", scode, reason);
	while (!err && next_hdr(&rest, &h)) {
		size_t i;
		bool to;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (named(&h.name, names[i][0], names[i][1]))
				break;
		if (i == ARRAY_SIZE(names) || seen[i])
			continue;
		seen[i] = true;
		to = i == 2;
		err = mbuf_printf(mb, "%r: %r%s\r\n", &h.name, &h.val,
				  to && !re_regex(h.val.p, h.val.l, ";tag=") ?
				  "" : to ? ";tag=caucus-bad" : "");
	}
	err = err ? err : mbuf_printf(mb, "Content-Length: 0\r\n\r\n");
	/* the status line and a tag are all it may add */
	if (!err && mb->end > msg->l + ANSWER_MARGIN)
		err = ENOSPC;
	mb->pos = 0;
	err = err ? err : udp_send(us, dst, mb);
	mem_deref(mb);
	return err;
}

static bool guard_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct focus *f = arg;
	struct sip_msg *msg = NULL;
	size_t pos = mb->pos, n = mbuf_get_left(mb);
	struct pl raw;
	char why[80], reason[112];
	uint16_t scode;
	int err;

	/* keepalives (CRLF, RFC 5626) and STUN (first two bits 0) are
	 * libre's to answer */
	if (n <= 4 || mbuf_buf(mb)[0] < 0x20)
		return false;
	/* a blocked source gets nothing, and costs no decoding */
	if (srclimit_blocked(f->limit, src)) {
		f->stats.limited++;
		return true;
	}
	raw.p = (const char *)mbuf_buf(mb);
	raw.l = n;
	if (n >= RX_MAX) {
		scode = 513;
		re_snprintf(why, sizeof(why), "more than %u bytes", RX_MAX - 1);
	}
	else {
		err = sip_msg_decode(&msg, mb);
		mb->pos = pos;            /* libre decodes it again */
		mem_deref(msg);
		if (!err)
			return false;
		scode = diagnose(&raw, why, sizeof(why));
	}
	f->stats.malformed[scode == 513 ? FOCUS_CHECK_SIZE :
			   FOCUS_CHECK_UNPARSABLE]++;
	if (!scode)
		return true;              /* dropped: nothing to answer */
	/* answers to garbage come out of the source's bucket as any
	 * answer does; past it, silence (not even the 503 a request would
	 * get: garbage is not worth a second answer) */
	if (srclimit_check(f->limit, src) != SRCLIMIT_OK) {
		f->stats.limited++;
		return true;
	}
	log_dbg("sip", "msg=\"undecodable datagram\" src=%J fault=\"%s\"",
		src, why);
	re_snprintf(reason, sizeof(reason), "%s (%s)", scode == 513 ?
		    "Message Too Large" : scode == 505 ?
		    "Version Not Supported" : "Bad Request", why);
	if (!answer(f->udp_sock, src, &raw, scode, reason))
		f->stats.rejected++;
	return true;
}

int focus_udp_guard_probe(struct focus *f)
{
	struct sa dst = f->sip_laddr, any;
	struct mbuf *mb;
	int err;

	/* the focus's own UDP port, reached over loopback when it listens
	 * on every address */
	if (sa_is_any(&dst))
		(void)sa_set_str(&dst, sa_af(&dst) == AF_INET6 ? "::1" :
				 "127.0.0.1", sa_port(&f->sip_laddr));
	sa_init(&any, sa_af(&dst));
	rand_str(f->probe_id, sizeof(f->probe_id));
	err = udp_listen(&f->probe_sock, &any, NULL, NULL);
	mb = mbuf_alloc(512);
	if (!mb)
		err = err ? err : ENOMEM;
	err = err ? err : mbuf_printf(mb, "OPTIONS sip:%J SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP %J;branch=z9hG4bK%s\r\n"
				      "From: <sip:probe@%J>;tag=%s\r\n"
				      "To: <sip:%J>\r\nCall-ID: %s\r\n"
				      "CSeq: 1 OPTIONS\r\nMax-Forwards: 1\r\n"
				      "Content-Length: 0\r\n\r\n", &dst,
				      &dst, f->probe_id, &dst, f->probe_id,
				      &dst, f->probe_id);
	if (!err) {
		mb->pos = 0;
		err = udp_send(f->probe_sock, &dst, mb);
	}
	mem_deref(mb);
	if (err)
		log_warn("sip", "msg=\"cannot probe the UDP transport: "
			 "undecodable datagrams go to libre\" err=%m", err);
	return err;
}

bool focus_udp_guard_claim(struct focus *f, const struct sip_msg *msg)
{
	int err;

	if (!f->probe_sock || msg->tp != SIP_TRANSP_UDP ||
	    pl_strcmp(&msg->callid, f->probe_id))
		return false;
	f->probe_sock = mem_deref(f->probe_sock);
	f->udp_sock = msg->sock;          /* lives as long as the transport */
	udp_rxsz_set(f->udp_sock, RX_MAX);
	err = udp_register_helper(&f->udp_guard, f->udp_sock, 0, NULL,
				  guard_recv, f);
	if (err)
		log_warn("sip", "msg=\"no guard for undecodable datagrams\" "
			 "err=%m", err);
	return true;                      /* the probe is not answered */
}
