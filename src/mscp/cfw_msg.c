/*
 * RFC 6230 messages: the tables of methods, headers and codes, building a
 * message, and printing one. Parsing is cfw_parse.c. Called by the
 * channel (cfw_chan.c) and the tests; signalling thread (no state).
 */
#include <stdarg.h>
#include <string.h>
#include <re.h>
#include "mscp/cfw.h"

static const struct {
	uint16_t code;
	const char *reason;
} reasons[] = {
	{CFW_OK, "OK"},
	{CFW_ACCEPTED, "Accepted"},
	{CFW_BAD_REQUEST, "Syntax error"},
	{CFW_FORBIDDEN, "Refused"},
	{CFW_NOT_ALLOWED, "Method not allowed"},
	{CFW_OUT_OF_SEQUENCE, "Message out of sequence"},
	{CFW_BAD_PACKAGE, "Control Package not valid for this session"},
	{CFW_NO_RENEGOTIATION, "Control Packages not re-negotiated"},
	{CFW_NO_PACKAGE, "No Control Package supported"},
	{CFW_TID_IN_USE, "Transaction ID in use"},
	{CFW_NO_TRANSACTION, "Transaction does not exist"},
	{CFW_NOT_UNDERSTOOD, "Request not understood"},
};

static const char *const methods[] = {
	[CFW_SYNC] = "SYNC", [CFW_CONTROL] = "CONTROL",
	[CFW_REPORT] = "REPORT", [CFW_KALIVE] = "K-ALIVE",
};

static const char *const hdr_names[CFW_H_COUNT] = {
	[CFW_H_CONTENT_LENGTH] = "Content-Length",
	[CFW_H_CONTENT_TYPE] = "Content-Type",
	[CFW_H_CONTROL_PACKAGE] = "Control-Package",
	[CFW_H_DIALOG_ID] = "Dialog-ID",
	[CFW_H_KEEP_ALIVE] = "Keep-Alive",
	[CFW_H_PACKAGES] = "Packages",
	[CFW_H_SEQ] = "Seq",
	[CFW_H_STATUS] = "Status",
	[CFW_H_SUPPORTED] = "Supported",
	[CFW_H_TIMEOUT] = "Timeout",
};

const char *cfw_reason(uint16_t code)
{
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return NULL;
}

const char *cfw_method_name(enum cfw_method m)
{
	return m > CFW_M_NONE && m < CFW_M_OTHER ? methods[m] : NULL;
}

const char *cfw_hdr_name(enum cfw_hdr_id id)
{
	return id > CFW_H_EXT && id < CFW_H_COUNT ? hdr_names[id] : NULL;
}

static void msg_destructor(void *arg)
{
	struct cfw_msg *m = arg;

	for (unsigned i = 0; i < m->nhdr; i++) {
		mem_deref(m->hdr[i].name);
		mem_deref(m->hdr[i].val);
	}
	mem_deref(m->reason);
	mem_deref(m->body);
}

static bool tid_valid(const char *tid)
{
	size_t n = tid ? strlen(tid) : 0;

	if (n < CFW_TID_MIN || n > CFW_TID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((tid[i] >= '0' && tid[i] <= '9') ||
		      (tid[i] >= 'a' && tid[i] <= 'z') ||
		      (tid[i] >= 'A' && tid[i] <= 'Z')))
			return false;
	return true;
}

static int msg_new(struct cfw_msg **mp, const char *tid)
{
	struct cfw_msg *m;

	if (!mp || !tid_valid(tid))
		return EINVAL;
	m = mem_zalloc(sizeof(*m), msg_destructor);
	if (!m)
		return ENOMEM;
	str_ncpy(m->tid, tid, sizeof(m->tid));
	*mp = m;
	return 0;
}

int cfw_msg_request(struct cfw_msg **mp, const char *tid,
		    enum cfw_method method)
{
	int err;

	if (!cfw_method_name(method))
		return EINVAL;
	err = msg_new(mp, tid);
	if (err)
		return err;
	(*mp)->req = true;
	(*mp)->method = method;
	str_ncpy((*mp)->mname, methods[method], sizeof((*mp)->mname));
	return 0;
}

int cfw_msg_response(struct cfw_msg **mp, const char *tid, uint16_t scode,
		     const char *reason)
{
	int err;

	if (scode < 100 || scode > 999)
		return EINVAL;
	err = msg_new(mp, tid);
	if (err)
		return err;
	(*mp)->scode = scode;
	if (reason && str_dup(&(*mp)->reason, reason)) {
		*mp = mem_deref(*mp);
		return ENOMEM;
	}
	return 0;
}

/* A header value goes on one line: no CR, LF or other controls */
static bool value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 && *v != '\t')
			return false;
	return true;
}

int cfw_msg_add(struct cfw_msg *m, enum cfw_hdr_id id, const char *val)
{
	struct cfw_hdr *h;
	int err;

	if (!m || !val || !cfw_hdr_name(id) || !value_ok(val) ||
	    id == CFW_H_CONTENT_LENGTH)
		return EINVAL;
	if (m->nhdr >= CFW_HDRS_MAX)
		return EOVERFLOW;
	h = &m->hdr[m->nhdr];
	err = str_dup(&h->name, hdr_names[id]);
	err |= str_dup(&h->val, val);
	if (err) {
		h->name = mem_deref(h->name);
		h->val = mem_deref(h->val);
		return ENOMEM;
	}
	h->id = id;
	m->nhdr++;
	return 0;
}

int cfw_msg_addf(struct cfw_msg *m, enum cfw_hdr_id id, const char *fmt, ...)
{
	char buf[CFW_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = re_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return EOVERFLOW;
	return cfw_msg_add(m, id, buf);
}

int cfw_msg_body(struct cfw_msg *m, const char *ctype, const void *body,
		 size_t len)
{
	int err;

	if (!m || !ctype || (len && !body) || len > CFW_BODY_MAX || m->body)
		return EINVAL;
	err = cfw_msg_add(m, CFW_H_CONTENT_TYPE, ctype);
	if (err || !len)
		return err;
	m->body = mem_alloc(len, NULL);
	if (!m->body)
		return ENOMEM;
	memcpy(m->body, body, len);
	m->blen = len;
	return 0;
}

const char *cfw_msg_hdr(const struct cfw_msg *m, enum cfw_hdr_id id)
{
	for (unsigned i = 0; m && i < m->nhdr; i++)
		if (m->hdr[i].id == id && id != CFW_H_EXT)
			return m->hdr[i].val;
	return NULL;
}

/*
 * Prints the start line, the headers in their order (a Content-Length
 * where it was, with the body's length), a Content-Length at the end
 * when there is a body and none was there, the empty line, the body.
 * A message parsed and printed again is the same bytes when its header
 * names were spelt as RFC 6230 spells them and with one space after the
 * colon.
 */
int cfw_msg_encode(struct mbuf *mb, const struct cfw_msg *m)
{
	bool clen = false;
	int err;

	if (!mb || !m)
		return EINVAL;
	if (m->req)
		err = mbuf_printf(mb, "CFW %s %s\r\n", m->tid, m->mname);
	else if (m->reason)
		err = mbuf_printf(mb, "CFW %s %03u %s\r\n", m->tid, m->scode,
				  m->reason);
	else
		err = mbuf_printf(mb, "CFW %s %03u\r\n", m->tid, m->scode);
	for (unsigned i = 0; !err && i < m->nhdr; i++) {
		const struct cfw_hdr *h = &m->hdr[i];

		if (h->id == CFW_H_CONTENT_LENGTH) {
			err = mbuf_printf(mb, "%s: %zu\r\n", h->name, m->blen);
			clen = true;
		}
		else {
			err = mbuf_printf(mb, "%s: %s\r\n", h->name, h->val);
		}
	}
	if (!err && !clen && m->blen)
		err = mbuf_printf(mb, "Content-Length: %zu\r\n", m->blen);
	if (!err)
		err = mbuf_write_str(mb, "\r\n");
	if (!err && m->blen)
		err = mbuf_write_mem(mb, m->body, m->blen);
	return err;
}

void cfw_tid_new(char tid[CFW_TID_MAX + 1])
{
	static const char an[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int i = 0; i < 12; i++)
		tid[i] = an[rand_u32() % (sizeof(an) - 1)];
	tid[12] = '\0';
}
