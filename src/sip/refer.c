/*
 * REFER to the focus (RFC 3515, RFC 4579 s. 5.5 and 5.6): a participant
 * asks the focus to add someone (Refer-To: <sip:x>, the focus dials out)
 * or to remove someone (Refer-To: <sip:x;method=BYE>). Sent inside the
 * participant's call or outside any dialog to the conference URI. The
 * progress goes back in NOTIFYs of the implicit subscription (Event:
 * refer, message/sipfrag): 100 Trying, 180 Ringing, then the final status
 * of the dial-out. Participants may add anyone; only the participant
 * itself, a moderator or an administrator (by the policy's per-user
 * entries, or the factory's creator) may remove one; everyone else gets
 * 403. A Refer-To with ?Replaces=... (RFC 3891, escaped as RFC 3261 s.
 * 19.1.1 says) is RFC 4579's move of a two-party call into the
 * conference: the dial-out carries that Replaces, with Require: replaces
 * (a phone without Replaces answers 420, which the referrer hears in the
 * sipfrag, rather than ringing as a second call) and Referred-By; any
 * other header in the URI is ignored. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "sip/replaces.h"
#include "sip/sip_int.h"
#include "util/log.h"

#define REFER_EXPIRES_S 120       /* longest wait for a dial-out's end */

struct refer {
	struct le le;                 /* in focus->refers */
	struct focus *f;
	struct sip_dialog *dlg;       /* referenced */
	struct sip_request *req;      /* the NOTIFY in flight */
	struct participant *target;   /* referenced; NULL once final */
	struct tmr tmr;
	char contact[160];
	char *dial_hdrs;              /* Replaces and the rest (NULL: none) */
	uint32_t id;                  /* the REFER's CSeq (Event id) */
	uint16_t sent_code;           /* last sipfrag code sent */
	char next[96];                /* a sipfrag waiting for the NOTIFY in
				       * flight ("" none) */
	bool next_final;
	bool final_sent;
};

static void refer_destructor(void *arg)
{
	struct refer *r = arg;

	tmr_cancel(&r->tmr);
	list_unlink(&r->le);
	mem_deref(r->req);
	mem_deref(r->dlg);
	mem_deref(r->target);
	mem_deref(r->dial_hdrs);
}

static void notify_send(struct refer *r, const char *frag, bool final);

static void notify_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct refer *r = arg;

	if (!err && msg && msg->scode < 200)
		return;
	r->req = NULL;
	if (err || !msg || msg->scode >= 300 || r->final_sent) {
		/* RFC 6665: a refused NOTIFY ends the subscription */
		mem_deref(r);
		return;
	}
	if (r->next[0]) {
		char frag[96];

		re_snprintf(frag, sizeof(frag), "%s", r->next);
		r->next[0] = '\0';
		notify_send(r, frag, r->next_final);
	}
}

/* frag: "100 Trying"; one NOTIFY in flight at a time, the latest waits */
static void notify_send(struct refer *r, const char *frag, bool final)
{
	char body[112];
	int err;

	if (r->final_sent)
		return;
	if (r->req) {
		re_snprintf(r->next, sizeof(r->next), "%s", frag);
		r->next_final = final;
		return;
	}
	re_snprintf(body, sizeof(body), "SIP/2.0 %s\r\n", frag);
	err = sip_drequestf(&r->req, r->f->sip, true, "NOTIFY", r->dlg, 0,
			    NULL, NULL, notify_resp, r,
			    "Contact: <%s>\r\n"
			    "Event: refer;id=%u\r\n"
			    "Subscription-State: %s\r\n"
			    "Content-Type: message/sipfrag;version=2.0\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    r->contact, r->id, final ?
			    "terminated;reason=noresource" :
			    "active;expires=" "120", strlen(body), body);
	if (err) {
		log_warn("sip", "msg=\"refer NOTIFY not sent\" err=%m", err);
		mem_deref(r);
		return;
	}
	if (final) {
		r->final_sent = true;
		tmr_cancel(&r->tmr);
		r->target = mem_deref(r->target);
	}
}

/* Where the dial-out of r's target stands, as a sipfrag; final or not */
static void progress(struct refer *r)
{
	struct participant *p = r->target;
	char frag[96];
	uint16_t code;

	if (!part_in_conf(p)) {
		notify_send(r, "487 Request Terminated", true);
		return;
	}
	switch (part_status(p)) {
	case PART_CONNECTED:
	case PART_ON_HOLD:
		notify_send(r, "200 OK", true);
		return;
	case PART_FAILED:
		code = part_fail_code(p);
		if (code >= 300 && code < 700)
			re_snprintf(frag, sizeof(frag), "%u %s", code,
				    part_fail_reason(p) ?
				    part_fail_reason(p) : "Failed");
		else
			re_snprintf(frag, sizeof(frag), "480 Temporarily "
				    "Unavailable");
		notify_send(r, frag, true);
		return;
	case PART_ALERTING:
		if (r->sent_code < 180) {
			r->sent_code = 180;
			notify_send(r, "180 Ringing", false);
		}
		return;
	default:
		return;
	}
}

static void expired(void *arg)
{
	struct refer *r = arg;

	notify_send(r, "408 Request Timeout", true);
}

void refer_conf_changed(struct focus *f, struct conf *c)
{
	struct le *le = f->refers.head;

	while (le) {
		struct refer *r = le->data;

		le = le->next;
		if (r->target && part_conf(r->target) == c)
			progress(r);
	}
}

static void reply(struct focus *f, const struct sip_msg *msg, uint16_t scode,
		  const char *reason)
{
	focus_reply(f, msg, scode, reason, NULL);
	log_info("sip", "msg=\"REFER refused\" code=%u reason=\"%s\"", scode,
		 reason);
}

/* The AoR of a name-addr header value into buf; false if it is none */
static bool aor_of(char **aorp, const struct pl *val)
{
	struct sip_addr a;

	if (sip_addr_decode(&a, val))
		return false;
	if (pl_strcasecmp(&a.uri.scheme, "sip") &&
	    pl_strcasecmp(&a.uri.scheme, "sips"))
		return false;
	return !focus_aor_print(aorp, &a.uri);
}

static int refer_alloc(struct refer **rp, struct focus *f, struct conf *c,
		       struct sip_dialog *dlg, const struct sip_msg *msg)
{
	struct refer *r = mem_zalloc(sizeof(*r), refer_destructor);

	if (!r)
		return ENOMEM;
	r->f = f;
	r->id = msg->cseq.num;
	tmr_init(&r->tmr);
	(void)focus_contact_uri(r->contact, sizeof(r->contact), f, conf_id(c),
				msg->tp, !pl_strcasecmp(&msg->uri.scheme,
							"sips"));
	if (dlg) {
		r->dlg = mem_ref(dlg);
	}
	else if (sip_dialog_accept(&r->dlg, msg)) {
		mem_deref(r);
		return ENOMEM;
	}
	list_append(&f->refers, &r->le, r);
	*rp = r;
	return 0;
}

static void accepted(struct focus *f, const struct sip_msg *msg,
		     const struct refer *r)
{
	(void)sip_treplyf(NULL, NULL, f->sip, msg, true, 202, "Accepted",
			  "Contact: <%s>\r\n"
			  "Content-Length: 0\r\n\r\n", r->contact);
}

void refer_handle(struct focus *f, struct conf *c, struct participant *from,
		  struct sip_dialog *dlg, const struct sip_msg *msg)
{
	const struct sip_hdr *rt = sip_msg_hdr(msg, SIP_HDR_REFER_TO);
	const struct sip_hdr *rb = sip_msg_hdr(msg, SIP_HDR_REFERRED_BY);
	struct participant *target;
	struct sip_addr to;
	struct pl method = PL_INIT, tp;
	char *taor = NULL, *by = NULL, *uri = NULL;
	char rep[REPLACES_VALUE_MAX];
	struct refer *r = NULL;
	int err;

	if (!rt || sip_msg_hdr_count(msg, SIP_HDR_REFER_TO) != 1) {
		reply(f, msg, 400, "Bad Request (exactly one Refer-To)");
		return;
	}
	if (sip_addr_decode(&to, &rt->val) ||
	    !aor_of(&taor, &rt->val) || !pl_isset(&to.uri.host)) {
		reply(f, msg, 400, "Bad Request (Refer-To is not a SIP URI)");
		return;
	}
	if (rb && sip_msg_hdr_count(msg, SIP_HDR_REFERRED_BY) != 1) {
		reply(f, msg, 400, "Bad Request (more than one Referred-By)");
		goto out;
	}
	if (!from) {
		char *faor = NULL;

		if (!focus_aor_print(&faor, &msg->from.uri))
			from = conf_find_uri(c, faor, true);
		mem_deref(faor);
	}
	if (!from) {
		reply(f, msg, 403, "Forbidden (only participants may refer "
		      "others to the conference)");
		goto out;
	}
	/* who referred, as the roster will show it */
	if (part_privacy(from)->anonymous)
		err = str_dup(&by, CONF_ANON_URI);
	else if (rb)
		err = aor_of(&by, &rb->val) ? 0 : EBADMSG;
	else
		err = str_dup(&by, part_uri(from));
	if (err) {
		reply(f, msg, 400, "Bad Request (malformed Referred-By)");
		goto out;
	}
	(void)msg_param_decode(&to.uri.params, "method", &method);
	if (pl_isset(&method) && !pl_strcasecmp(&method, "BYE")) {
		target = conf_find_uri(c, taor, false);
		if (!target) {
			reply(f, msg, 404, "Not Found (no such participant)");
			goto out;
		}
		if (target != from && strcmp(part_role(from), "moderator") &&
		    strcmp(part_role(from), "administrator")) {
			reply(f, msg, 403, "Forbidden (only the participant "
			      "itself or a moderator may remove it)");
			goto out;
		}
		if (refer_alloc(&r, f, c, dlg, msg)) {
			reply(f, msg, 500, "Server Internal Error");
			goto out;
		}
		accepted(f, msg, r);
		/* the hang-up is ours and cannot fail: final at once, before
		 * the BYE ends the dialog */
		notify_send(r, "200 OK", true);
		log_info("sip", "msg=\"REFER BYE\" conf=%s pid=%s by=%s",
			 conf_id(c), part_id(target), by);
		part_remove_by(target, by);
		goto out;
	}
	if (pl_isset(&method) && pl_strcasecmp(&method, "INVITE")) {
		reply(f, msg, 501, "Not Implemented (Refer-To method other "
		      "than INVITE or BYE)");
		goto out;
	}
	if (replaces_uri_header(rep, sizeof(rep), &to.uri.headers)) {
		reply(f, msg, 400, "Bad Request (malformed Replaces in "
		      "Refer-To)");
		goto out;
	}
	err = 0;
	if (!msg_param_decode(&to.uri.params, "transport", &tp))
		err = re_sdprintf(&uri, "%s;transport=%r", taor, &tp);
	else
		err = str_dup(&uri, taor);
	target = NULL;
	err = err ? err : part_add(c, &(struct part_new){.uri = uri,
				   .dial_out = true, .referred_by = by},
				   &target);
	err = err ? err : refer_alloc(&r, f, c, dlg, msg);
	if (!err && rep[0])
		err = re_sdprintf(&r->dial_hdrs, "Replaces: %s\r\n"
				  "Require: replaces\r\n"
				  "Referred-By: <%s>\r\n", rep, by);
	if (err) {
		mem_deref(r);
		if (target)
			part_remove(target);
		reply(f, msg, 503, "Service Unavailable (cannot dial out)");
		goto out;
	}
	r->target = mem_ref(target);
	accepted(f, msg, r);
	notify_send(r, "100 Trying", false);
	r->sent_code = 100;
	tmr_start(&r->tmr, REFER_EXPIRES_S * 1000, expired, r);
	log_info("sip", "msg=\"REFER\" conf=%s target=%s pid=%s by=%s "
		 "replaces=%d", conf_id(c), uri, part_id(target), by,
		 rep[0] != '\0');
	conf_reconcile(c);            /* dials; may fail it at once */
out:
	mem_deref(taor);
	mem_deref(by);
	mem_deref(uri);
}

int refer_dial_hdrs(const struct focus *f, const struct participant *p,
		    char *buf, size_t sz)
{
	for (struct le *le = f->refers.head; le; le = le->next) {
		const struct refer *r = le->data;
		size_t len = strlen(buf);

		if (r->target != p || !r->dial_hdrs)
			continue;
		if (len + strlen(r->dial_hdrs) >= sz)
			return ENOSPC;
		memcpy(buf + len, r->dial_hdrs, strlen(r->dial_hdrs) + 1);
		return 0;
	}
	return 0;
}
