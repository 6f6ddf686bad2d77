/*
 * Parsing RFC 6230 messages from a TCP byte stream (s. 9's syntax):
 *
 *   CFW <trans-id> <method> CRLF | CFW <trans-id> <3DIGIT> [SP comment] CRLF
 *   *(Header-Name ":" SP value CRLF) CRLF [body of Content-Length bytes]
 *
 * What is wrong is told apart by whether the stream can still be
 * followed. A message whose framing is known (its head ended within
 * CFW_HEAD_MAX and its Content-Length is a number within CFW_BODY_MAX)
 * but whose content is wrong is skipped and answered 400 with the
 * reason; a stream that does not start with "CFW ", a transaction id
 * that cannot be read, a line over CFW_LINE_MAX, a head over CFW_HEAD_MAX
 * or a Content-Length that is not a number or too big leaves no way to
 * find the next message: the channel answers 400 when it has a
 * transaction id and closes. Lines end in CRLF only; header names are
 * matched without regard to case (ABNF strings); no folding.
 *
 * Called by the channel and the fuzz target; signalling thread.
 */
#include <string.h>
#include <re.h>
#include "mscp/cfw.h"

struct cfw_parser {
	struct mbuf *mb;
	size_t want;              /* decode again once this much is here */
	bool dead;
	cfw_parse_h *h;
	void *arg;
};

/* The state of one decode */
struct dec {
	struct cfw_perr *perr;
	struct cfw_msg *m;
	size_t clen;
	bool have_clen;
};

static void fail(struct dec *d, const char *why)
{
	if (d->perr->code)
		return;                 /* the first reason is kept */
	d->perr->code = CFW_BAD_REQUEST;
	d->perr->why = why;
}

/* The stream cannot be followed past this */
static int fatal(struct dec *d, const char *why)
{
	d->perr->code = CFW_BAD_REQUEST;
	d->perr->why = why;
	d->perr->fatal = true;
	return EPROTO;
}

static const uint8_t *find_crlf(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n')
			return p + i;
	return NULL;
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z');
}

/* 1 to 9 digits (Seq, Timeout, Keep-Alive: 1*9DIGIT) */
static bool num9(const char *s, uint32_t *v)
{
	size_t n = strlen(s);
	uint32_t x = 0;

	if (!n || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint32_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/*
 * The start line: "CFW" SP trans-id SP (method / status-code [SP
 * comment]). A transaction id that cannot be read is fatal (nothing to
 * answer); anything else after it is a 400.
 */
static int start_line(struct dec *d, const uint8_t *p, size_t n)
{
	struct cfw_msg *m = d->m;
	size_t i = 4, t;

	if (n < 4 || memcmp(p, "CFW ", 4))
		return EPROTO;
	for (t = i; i < n && is_alnum(p[i]); i++)
		;
	if (i - t < CFW_TID_MIN || i - t > CFW_TID_MAX ||
	    (i < n && p[i] != ' '))
		return EPROTO;
	memcpy(m->tid, p + t, i - t);
	memcpy(d->perr->tid, p + t, i - t);
	if (i >= n || ++i >= n) {
		fail(d, "start line: no method or status code");
		return 0;
	}
	if (p[i] >= '0' && p[i] <= '9') {
		d->perr->response = true;
		if (n - i < 3 || (n - i > 3 && p[i + 3] != ' ')) {
			fail(d, "start line: status code is three digits");
			return 0;
		}
		for (int k = 0; k < 3; k++)
			if (p[i + k] < '0' || p[i + k] > '9') {
				fail(d, "start line: status code is three "
				     "digits");
				return 0;
			}
		m->scode = (uint16_t)((p[i] - '0') * 100 +
				      (p[i + 1] - '0') * 10 + (p[i + 2] - '0'));
		i += 3;
		if (i < n) {
			struct pl c = {(const char *)p + i + 1, n - i - 1};

			for (size_t k = 0; k < c.l; k++)
				if ((uint8_t)c.p[k] < 0x20 && c.p[k] != '\t')
					fail(d, "start line: control "
					     "character");
			if (c.l && pl_strdup(&m->reason, &c))
				return ENOMEM;
		}
		if (m->scode < 100)
			fail(d, "start line: status code below 100");
		return 0;
	}
	m->req = true;
	if (n - i > CFW_MNAME_MAX || p[i] < 'A' || p[i] > 'Z') {
		fail(d, "start line: method is upper-case letters");
		return 0;
	}
	for (size_t k = i; k < n; k++)
		if (!((p[k] >= 'A' && p[k] <= 'Z') || p[k] == '-')) {
			fail(d, "start line: method is upper-case letters");
			return 0;
		}
	memcpy(m->mname, p + i, n - i);
	m->method = CFW_M_OTHER;
	for (enum cfw_method k = CFW_SYNC; k < CFW_M_OTHER; k++)
		if (!strcmp(m->mname, cfw_method_name(k)))
			m->method = k;
	return 0;
}

static enum cfw_hdr_id hdr_lookup(const struct pl *name)
{
	for (enum cfw_hdr_id id = CFW_H_EXT + 1; id < CFW_H_COUNT; id++)
		if (!pl_strcasecmp(name, cfw_hdr_name(id)))
			return id;
	return CFW_H_EXT;
}

/* A known header's value, decoded where it has a form */
static void hdr_value(struct dec *d, enum cfw_hdr_id id, const char *v)
{
	struct cfw_msg *m = d->m;

	switch (id) {
	case CFW_H_KEEP_ALIVE:
		if (!num9(v, &m->keep_alive_s))
			fail(d, "Keep-Alive is 1 to 9 digits");
		break;
	case CFW_H_SEQ:
		if (!num9(v, &m->seq))
			fail(d, "Seq is 1 to 9 digits");
		break;
	case CFW_H_TIMEOUT:
		if (!num9(v, &m->timeout_s))
			fail(d, "Timeout is 1 to 9 digits");
		break;
	case CFW_H_STATUS:
		if (!str_casecmp(v, "update"))
			m->status = CFW_ST_UPDATE;
		else if (!str_casecmp(v, "terminate"))
			m->status = CFW_ST_TERMINATE;
		else
			fail(d, "Status is update or terminate");
		break;
	default:
		if (!*v)
			fail(d, "a header field without a value");
		break;
	}
}

/* Content-Length frames the stream: a bad one is fatal */
static int content_length(struct dec *d, const char *v)
{
	size_t n = strlen(v), x = 0;

	if (!n || n > 7)
		return EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return EPROTO;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	if (x > CFW_BODY_MAX || (d->have_clen && x != d->clen))
		return EPROTO;
	d->clen = x;
	d->have_clen = true;
	return 0;
}

static int header_line(struct dec *d, const uint8_t *p, size_t n)
{
	struct cfw_msg *m = d->m;
	const uint8_t *colon = memchr(p, ':', n);
	struct pl name, val;
	enum cfw_hdr_id id;
	struct cfw_hdr *h;

	if (!colon) {
		fail(d, "a header line without a colon");
		return 0;
	}
	name.p = (const char *)p;
	name.l = (size_t)(colon - p);
	while (name.l && (name.p[name.l - 1] == ' ' ||
			  name.p[name.l - 1] == '\t'))
		name.l--;
	val.p = (const char *)colon + 1;
	val.l = (size_t)(p + n - (colon + 1));
	while (val.l && (*val.p == ' ' || *val.p == '\t')) {
		val.p++;
		val.l--;
	}
	while (val.l && (val.p[val.l - 1] == ' ' ||
			 val.p[val.l - 1] == '\t'))
		val.l--;
	if (!name.l) {
		fail(d, "a header field without a name");
		return 0;
	}
	for (size_t i = 0; i < name.l; i++)
		if (!is_alnum((uint8_t)name.p[i]) && name.p[i] != '-') {
			fail(d, "a header name is letters, digits and '-'");
			return 0;
		}
	for (size_t i = 0; i < val.l; i++)
		if ((uint8_t)val.p[i] < 0x20 && val.p[i] != '\t') {
			fail(d, "a control character in a header value");
			return 0;
		}
	id = hdr_lookup(&name);
	if (id == CFW_H_CONTENT_LENGTH) {
		char v[16];

		pl_strcpy(&val, v, sizeof(v));
		if (val.l >= sizeof(v) || content_length(d, v))
			return fatal(d, "Content-Length is a number up to "
				     "65536, given once");
	}
	if (m->nhdr >= CFW_HDRS_MAX) {
		fail(d, "too many header fields");
		return 0;
	}
	if (id != CFW_H_EXT && id != CFW_H_CONTENT_LENGTH &&
	    cfw_msg_hdr(m, id))
		fail(d, "a header field given twice");
	h = &m->hdr[m->nhdr];
	if (pl_strdup(&h->name, &name) || pl_strdup(&h->val, &val))
		return ENOMEM;
	h->id = id;
	m->nhdr++;
	if (id != CFW_H_EXT && id != CFW_H_CONTENT_LENGTH)
		hdr_value(d, id, h->val);
	return 0;
}

/* What each request must carry (RFC 6230 s. 6.3: SYNC's Dialog-ID,
 * Keep-Alive and Packages; CONTROL's Control-Package and body; REPORT's
 * Seq and Status, and Timeout with update) */
static void mandatory(struct dec *d)
{
	const struct cfw_msg *m = d->m;

	if (m->blen && !cfw_msg_hdr(m, CFW_H_CONTENT_TYPE))
		fail(d, "a body without Content-Type");
	if (!m->req)
		return;
	switch (m->method) {
	case CFW_SYNC:
		if (!cfw_msg_hdr(m, CFW_H_DIALOG_ID))
			fail(d, "SYNC without Dialog-ID");
		else if (!cfw_msg_hdr(m, CFW_H_KEEP_ALIVE))
			fail(d, "SYNC without Keep-Alive");
		else if (!cfw_msg_hdr(m, CFW_H_PACKAGES))
			fail(d, "SYNC without Packages");
		break;
	case CFW_CONTROL:
		if (!cfw_msg_hdr(m, CFW_H_CONTROL_PACKAGE))
			fail(d, "CONTROL without Control-Package");
		else if (!m->blen)
			fail(d, "CONTROL without a body");
		break;
	case CFW_REPORT:
		if (!cfw_msg_hdr(m, CFW_H_SEQ))
			fail(d, "REPORT without Seq");
		else if (!cfw_msg_hdr(m, CFW_H_STATUS))
			fail(d, "REPORT without Status");
		else if (m->status == CFW_ST_UPDATE &&
			 !cfw_msg_hdr(m, CFW_H_TIMEOUT))
			fail(d, "REPORT update without Timeout");
		break;
	default:
		break;
	}
}

/* Whether the bytes so far can still become a message: a prefix of
 * "CFW ", no line over CFW_LINE_MAX, no head over CFW_HEAD_MAX */
static bool still_possible(const uint8_t *buf, size_t len)
{
	size_t start = 0;

	if (memcmp(buf, "CFW ", len < 4 ? len : 4))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
			start = i + 2;
		else if (i + 1 - start > CFW_LINE_MAX)
			return false;
	}
	return len <= CFW_HEAD_MAX;
}

/* The transaction id of a message that cannot be parsed, when its start
 * line gives one (so that the 400 can name it) */
static void peek_tid(struct cfw_perr *perr, const uint8_t *buf, size_t len)
{
	size_t i = 4;

	if (perr->tid[0] || len < 4 || memcmp(buf, "CFW ", 4))
		return;
	while (i < len && is_alnum(buf[i]))
		i++;
	if (i - 4 >= CFW_TID_MIN && i - 4 <= CFW_TID_MAX && i < len &&
	    buf[i] == ' ')
		memcpy(perr->tid, buf + 4, i - 4);
}

static int decode_head(struct dec *d, const uint8_t *buf, size_t hlen)
{
	const uint8_t *p = buf, *end = buf + hlen, *e;
	int err;

	e = find_crlf(p, (size_t)(end - p));
	if (e + 2 - p > CFW_LINE_MAX)
		return fatal(d, "a line too long");
	err = start_line(d, p, (size_t)(e - p));
	if (err == EPROTO)
		return fatal(d, "not a CFW start line with a transaction id");
	for (p = e + 2; !err && p < end; p = e + 2) {
		e = find_crlf(p, (size_t)(end - p));
		if (e == p)
			break;               /* the empty line */
		if (e + 2 - p > CFW_LINE_MAX)
			return fatal(d, "a line too long");
		err = header_line(d, p, (size_t)(e - p));
	}
	return err;
}

int cfw_msg_decode(struct cfw_msg **mp, struct cfw_perr *perr,
		   const uint8_t *buf, size_t len, size_t *used)
{
	struct dec d = {.perr = perr};
	size_t hlen = 0;
	int err;

	if (!mp || !perr || !used || (!buf && len))
		return EINVAL;
	memset(perr, 0, sizeof(*perr));
	*used = 0;
	for (size_t i = 0; i + 3 < len && i < CFW_HEAD_MAX; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			hlen = i + 4;
			break;
		}
	if (!hlen && still_possible(buf, len))
		return EAGAIN;
	/* (a message with a destructor, its id and code then cleared) */
	err = cfw_msg_response(&d.m, "none", 100, NULL);
	if (err)
		return err;
	memset(d.m->tid, 0, sizeof(d.m->tid));
	d.m->scode = 0;
	if (!hlen)
		err = fatal(&d, len > CFW_HEAD_MAX ? "the head is too long" :
			    "not a CFW message, or a line too long");
	else
		err = decode_head(&d, buf, hlen);
	if (err == EPROTO) {
		peek_tid(perr, buf, len);
		err = EBADMSG;
		goto out;
	}
	if (err)
		goto out;
	if (len < hlen + d.clen) {
		*used = hlen + d.clen;          /* what to wait for */
		err = EAGAIN;
		goto out;
	}
	if (d.clen) {
		d.m->body = mem_alloc(d.clen, NULL);
		if (!d.m->body) {
			err = ENOMEM;
			goto out;
		}
		memcpy(d.m->body, buf + hlen, d.clen);
		d.m->blen = d.clen;
	}
	*used = hlen + d.clen;
	mandatory(&d);
	if (perr->code) {
		err = EBADMSG;
		goto out;
	}
	*mp = d.m;
	d.m = NULL;
 out:
	mem_deref(d.m);
	return err;
}

static void parser_destructor(void *arg)
{
	struct cfw_parser *p = arg;

	mem_deref(p->mb);
}

int cfw_parser_alloc(struct cfw_parser **pp, cfw_parse_h *h, void *arg)
{
	struct cfw_parser *p;

	if (!pp || !h)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), parser_destructor);
	if (!p)
		return ENOMEM;
	p->mb = mbuf_alloc(1024);
	if (!p->mb) {
		mem_deref(p);
		return ENOMEM;
	}
	p->h = h;
	p->arg = arg;
	*pp = p;
	return 0;
}

/*
 * Appends data and hands over every whole message. A message is decoded
 * once its head is complete, and again only once its whole body is here
 * (want), so a body arriving a byte at a time costs no more than one
 * arriving at once. The handler may free the parser's owner (it returns
 * false then): nothing of p is touched after a handler said stop.
 */
int cfw_parser_feed(struct cfw_parser *p, const uint8_t *data, size_t len)
{
	struct mbuf *mb;
	int err;

	if (!p || (!data && len))
		return EINVAL;
	if (p->dead)
		return EPROTO;
	mb = p->mb;
	mb->pos = mb->end;
	err = mbuf_write_mem(mb, data, len);
	if (err)
		return err;
	mb->pos = 0;
	while (mbuf_get_left(mb) && mbuf_get_left(mb) >= p->want) {
		struct cfw_msg *msg = NULL;
		struct cfw_perr perr;
		size_t used;
		bool go;

		err = cfw_msg_decode(&msg, &perr, mbuf_buf(mb),
				     mbuf_get_left(mb), &used);
		if (err == EAGAIN) {
			p->want = used ? used : mbuf_get_left(mb) + 1;
			break;
		}
		p->want = 0;
		if (err == EBADMSG && perr.fatal) {
			p->dead = true;
			(void)p->h(NULL, &perr, p->arg);
			return EPROTO;
		}
		if (err && err != EBADMSG)
			return err;
		/* what is left goes to the front, before the handler runs
		 * (it may end the parser) */
		memmove(mb->buf, mb->buf + used, mb->end - used);
		mb->end -= used;
		go = p->h(err ? NULL : msg, err ? &perr : NULL, p->arg);
		mem_deref(msg);
		if (!go)
			return 0;
	}
	return 0;
}
