/*
 * Instant messages in a conference (page mode, RFC 3428): a MESSAGE to
 * the conference URI from a participant goes to every other participant;
 * from anyone else it gets 403. Each copy comes from the conference URI,
 * with the sender's display name (or "Anonymous") in From, so that a
 * reply goes back to the whole conference. A sender that wraps its text
 * in message/cpim (RFC 3862) has it forwarded as CPIM with the sender's
 * URI in the CPIM From (anonymous senders: an anonymous URI).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "sip/cpim.h"
#include "sip/sip_int.h"
#include "util/log.h"

#define IM_MAX_BYTES 16384

static bool text_ctype(const struct pl *ct)
{
	return ct->l >= 5 && !strncasecmp(ct->p, "text/", 5);
}

void im_handle(struct focus *f, struct conf *c, const struct sip_msg *msg)
{
	struct participant *sender;
	char *aor = NULL, *ctype = NULL;
	const char *body = (const char *)mbuf_buf(msg->mb);
	size_t len = mbuf_get_left(msg->mb);
	struct pl ct = PL_INIT;
	struct cpim cp;
	bool cpim = false;
	unsigned sent = 0;
	int err;

	if (focus_aor_print(&aor, &msg->from.uri)) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return;
	}
	sender = conf_find_uri(c, aor, true);
	mem_deref(aor);
	if (!sender) {
		focus_reply(f, msg, 403, "Forbidden (only participants of the "
			    "conference may send it messages)", NULL);
		return;
	}
	if (!len) {
		focus_reply(f, msg, 400, "Bad Request (empty message)", NULL);
		return;
	}
	if (len > IM_MAX_BYTES) {
		focus_reply(f, msg, 413, "Request Entity Too Large", NULL);
		return;
	}
	if (msg->ctyp.type.l) {
		ct.p = msg->ctyp.type.p;
		ct.l = (size_t)(msg->ctyp.subtype.p + msg->ctyp.subtype.l -
				msg->ctyp.type.p);
	}
	if (msg_ctype_cmp(&msg->ctyp, "message", "cpim")) {
		if (cpim_decode(&cp, body, len)) {
			log_info("sip", "msg=\"malformed CPIM refused\" "
				 "conf=%s from=%s bytes=%zu", conf_id(c),
				 part_id(sender), len);
			log_dbg("sip", "msg=\"CPIM body\" body=\"%b\"", body,
				len);
			focus_reply(f, msg, 400, "Bad Request (malformed CPIM "
				    "body)", NULL);
			return;
		}
		cpim = true;
		ct = cp.ctype;
		body = cp.body.p;
		len = cp.body.l;
	}
	if (!text_ctype(&ct) || memchr(body, '\0', len)) {
		focus_reply(f, msg, 415, "Unsupported Media Type (text only)",
			    "Accept: text/plain, message/cpim\r\n");
		return;
	}
	err = pl_strdup(&ctype, &ct);
	err = err ? err : conf_message(c, sender, ctype, body, len, cpim,
				       &sent);
	mem_deref(ctype);
	if (err) {
		focus_reply(f, msg, 500, "Server Internal Error", NULL);
		return;
	}
	log_info("sip", "msg=\"message\" conf=%s from=%s recipients=%u",
		 conf_id(c), part_id(sender), sent);
	/* RFC 3428 s. 7: a relay that cannot vouch for delivery says 202 */
	(void)sip_treplyf(NULL, NULL, f->sip, msg, false, 202, "Accepted",
			  "Content-Length: 0\r\n\r\n");
}

/* One copy of a message on its way to one participant. A CPIM copy
 * refused with 415 (the client takes text/plain only) goes again as
 * text/plain: the sender is still named in From's display name. */
struct im_copy {
	struct le le;                 /* in focus->im_copies */
	struct focus *f;
	char *contact, *to, *from, *dn, *ctype, *cpim_body, *text;
	size_t text_len;
	bool cpim;
};

static void copy_destructor(void *arg)
{
	struct im_copy *cp = arg;

	list_unlink(&cp->le);
	mem_deref(cp->contact);
	mem_deref(cp->to);
	mem_deref(cp->from);
	mem_deref(cp->dn);
	mem_deref(cp->ctype);
	mem_deref(cp->cpim_body);
	mem_deref(cp->text);
}

static int copy_send(struct im_copy *cp);

static void im_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct im_copy *cp = arg;

	if (!err && msg && msg->scode < 200)
		return;
	if (!err && msg && msg->scode == 415 && cp->cpim) {
		log_dbg("sip", "msg=\"CPIM refused, sending text/plain\" "
			"to=%s", cp->to);
		cp->cpim = false;
		if (!copy_send(cp))
			return;          /* cp lives on with the new request */
	}
	log_dbg("sip", "msg=\"message %s\" err=%m code=%u",
		!err && msg && msg->scode < 300 ? "delivered" :
		"not delivered", err, msg ? msg->scode : 0);
	mem_deref(cp);
}

static int copy_send(struct im_copy *cp)
{
	const char *body = cp->cpim ? cp->cpim_body : cp->text;
	size_t len = cp->cpim ? strlen(cp->cpim_body) : cp->text_len;

	return sip_requestf(NULL, cp->f->sip, true, "MESSAGE", cp->contact,
			    NULL, NULL, NULL, im_resp, cp,
			    "To: <%s>\r\n"
			    "From: \"%s\" <%s>;tag=%016llx\r\n"
			    "Call-ID: %016llx%08x@caucus\r\n"
			    "CSeq: 1 MESSAGE\r\n"
			    "Max-Forwards: 70\r\n"
			    "Content-Type: %s\r\n"
			    "Content-Length: %zu\r\n\r\n%b",
			    cp->to, cp->dn, cp->from,
			    (unsigned long long)rand_u64(),
			    (unsigned long long)rand_u64(), rand_u32(),
			    cp->cpim ? "message/cpim" : cp->ctype, len, body,
			    len);
}

static int cpim_print(char **bodyp, const struct conf *c,
		      const struct conf_msg *m)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)m->at;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return re_sdprintf(bodyp, "From: %s%s%s<%s>\r\n"
			   "To: <%s>\r\n"
			   "DateTime: %s\r\n\r\n"
			   "Content-Type: %s\r\n\r\n%b",
			   m->display ? "\"" : "", m->display ? m->display : "",
			   m->display ? "\" " : "", m->from, conf_uri(c), when,
			   m->ctype, m->text, m->len);
}

/* The display name is ours or a participant's: no quote, backslash or
 * control character may end or bend it */
static int dn_print(char **dnp, const char *name)
{
	char dn[96];
	size_t j = 0;

	for (size_t i = 0; name[i] && j + 1 < sizeof(dn); i++)
		if (name[i] != '"' && name[i] != '\\' &&
		    (unsigned char)name[i] >= 0x20)
			dn[j++] = name[i];
	dn[j] = '\0';
	return str_dup(dnp, dn);
}

int im_send(struct focus *f, struct participant *p, const struct conf_msg *m)
{
	const struct conf *c = part_conf(p);
	const char *name = m->display;
	struct im_copy *cp;
	int err;

	if (!part_dialog(p)->contact[0])
		return EINVAL;
	if (!name)
		name = !strcmp(m->from, CONF_ANON_URI) ? "Anonymous" :
			!strcmp(m->from, conf_uri(c)) ? "caucus" : m->from;
	cp = mem_zalloc(sizeof(*cp), copy_destructor);
	if (!cp)
		return ENOMEM;
	cp->f = f;
	cp->cpim = m->cpim;
	cp->text_len = m->len;
	err = str_dup(&cp->contact, part_dialog(p)->contact);
	err = err ? err : str_dup(&cp->to, part_uri(p));
	err = err ? err : str_dup(&cp->from, conf_uri(c));
	err = err ? err : dn_print(&cp->dn, name);
	err = err ? err : str_dup(&cp->ctype, m->ctype);
	cp->text = mem_alloc(m->len + 1, NULL);
	if (cp->text)
		memcpy(cp->text, m->text, m->len + 1);
	else
		err = err ? err : ENOMEM;
	if (!err && m->cpim)
		err = cpim_print(&cp->cpim_body, c, m);
	err = err ? err : copy_send(cp);
	if (err)
		mem_deref(cp);
	else
		list_append(&f->im_copies, &cp->le, cp);
	return err;
}
