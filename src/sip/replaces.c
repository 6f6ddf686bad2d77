/*
 * Replaces (RFC 3891) at the focus. Two uses:
 *  - a REFER whose Refer-To carries ?Replaces=... (RFC 4579's move of a
 *    two-party call into a conference): refer.c takes the header out of
 *    the URI here (replaces_uri_header) and dials with it;
 *  - an INVITE with Replaces naming one of the focus's dialogs (an
 *    attended transfer of a participant's call, a call pickup): call_in.c
 *    asks here which participant it names (replaces_find, before the gate,
 *    so that the gate and the policy are that conference's), whether that
 *    dialog may be replaced (replaces_state, after the gate), with what
 *    role the new caller joins (replaces_role), and hands over the place
 *    once the new call is answered (replaces_take_over: the old one gets
 *    a BYE).
 * The parsing is pure (replaces.h: the unit test and fuzz_replaces drive
 * it); the rest calls the conf module and reply.c only. Signalling
 * thread.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "conf/conf_remote.h"
#include "sip/replaces.h"
#include "sip/sip_int.h"
#include "util/log.h"

/* RFC 3261 s. 25.1: token, and word (a Call-ID's halves) */
static bool token_ch(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch >= '0' && ch <= '9') || (ch && strchr("-.!%*_+`'~", ch));
}

static bool word_ch(char ch)
{
	return token_ch(ch) || (ch && strchr("()<>:\\\"/[]?{}", ch));
}

/* a gen-value's characters outside quotes: token and host (IPv6) */
static bool genval_ch(char ch)
{
	return token_ch(ch) || ch == ':' || ch == '[' || ch == ']';
}

static void skip_ws(const char **p, const char *e)
{
	while (*p < e && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* 1 or more characters of class ok into *out */
static bool span(const char **p, const char *e, bool (*ok)(char),
		 struct pl *out)
{
	const char *s = *p;

	while (*p < e && ok(**p))
		(*p)++;
	out->p = s;
	out->l = (size_t)(*p - s);
	return out->l > 0;
}

/* DQUOTE *(qdtext / quoted-pair) DQUOTE (controls are refused before) */
static bool quoted(const char **p, const char *e)
{
	if (*p >= e || **p != '"')
		return false;
	for ((*p)++; *p < e; (*p)++) {
		if (**p == '\\') {
			if (++(*p) >= e)
				return false;
		}
		else if (**p == '"') {
			(*p)++;
			return true;
		}
	}
	return false;
}

/* one replaces-param: its name and value (value.l 0: none) */
static int param(const char **p, const char *e, struct pl *name,
		 struct pl *value)
{
	memset(value, 0, sizeof(*value));
	if (!span(p, e, token_ch, name))
		return EBADMSG;
	skip_ws(p, e);
	if (*p >= e || **p != '=')
		return 0;
	(*p)++;
	skip_ws(p, e);
	value->p = *p;
	if (*p < e && **p == '"') {
		if (!quoted(p, e))
			return EBADMSG;
		value->l = (size_t)(*p - value->p);
		return 0;
	}
	return span(p, e, genval_ch, value) ? 0 : EBADMSG;
}

/* a tag's value: a token, given once */
static int tag_set(struct pl *tag, const struct pl *value)
{
	const char *p = value->p, *e = value->p + value->l;
	struct pl t;

	if (pl_isset(tag) || !value->l || !span(&p, e, token_ch, &t) ||
	    p != e)
		return EBADMSG;
	*tag = t;
	return 0;
}

int replaces_parse(struct replaces *r, const struct pl *val)
{
	const char *p, *e;
	struct pl half, name, value;
	int err = 0;

	if (!r || !val || !val->p)
		return EBADMSG;
	memset(r, 0, sizeof(*r));
	p = val->p;
	e = val->p + val->l;
	for (const char *q = p; q < e; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return EBADMSG;
	skip_ws(&p, e);
	r->call_id.p = p;
	if (!span(&p, e, word_ch, &half))
		return EBADMSG;
	if (p < e && *p == '@') {
		p++;
		if (!span(&p, e, word_ch, &half))
			return EBADMSG;
	}
	r->call_id.l = (size_t)(p - r->call_id.p);
	for (;;) {
		skip_ws(&p, e);
		if (p == e)
			break;
		if (*p != ';')
			return EBADMSG;
		p++;
		skip_ws(&p, e);
		err = param(&p, e, &name, &value);
		if (err)
			return err;
		if (!pl_strcasecmp(&name, "to-tag"))
			err = tag_set(&r->to_tag, &value);
		else if (!pl_strcasecmp(&name, "from-tag"))
			err = tag_set(&r->from_tag, &value);
		else if (!pl_strcasecmp(&name, "early-only"))
			err = r->early_only || value.l ? EBADMSG : 0;
		if (err)
			return err;
		if (!pl_strcasecmp(&name, "early-only"))
			r->early_only = true;
	}
	/* s. 6.1: exactly one of each, as a dialog needs both */
	return pl_isset(&r->to_tag) && pl_isset(&r->from_tag) ? 0 : EBADMSG;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* %XX-unescapes p (n bytes) into dst, NUL-terminated. The whole input is
 * read either way: EBADMSG for a bad escape or a NUL, else ENOSPC when it
 * did not fit in sz bytes, else 0 */
static int unescape(char *dst, size_t sz, const char *p, size_t n)
{
	size_t o = 0;
	bool full = false;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)p[i];

		if (ch == '%') {
			int hi = i + 2 < n ? hexval(p[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(p[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return EBADMSG;
			ch = hi * 16 + lo;
			i += 2;
		}
		if (!ch)
			return EBADMSG;
		if (o + 1 < sz)
			dst[o++] = (char)ch;
		else
			full = true;
	}
	if (sz)
		dst[o] = '\0';
	return full ? ENOSPC : 0;
}

int replaces_uri_header(char *buf, size_t sz, const struct pl *hdrs)
{
	const char *p, *e;
	bool found = false;
	int err;

	if (!buf || !sz)
		return EINVAL;
	buf[0] = '\0';
	if (!hdrs || !pl_isset(hdrs))
		return 0;
	p = hdrs->p;
	e = hdrs->p + hdrs->l;
	if (*p == '?')             /* libre's struct uri keeps it */
		p++;
	while (p <= e) {
		const char *amp = memchr(p, '&', (size_t)(e - p));
		const char *end = amp ? amp : e;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		char name[16];

		if (!eq || eq == p)
			return EBADMSG;         /* hname "=" hvalue */
		err = unescape(name, sizeof(name), p, (size_t)(eq - p));
		if (err == EBADMSG)
			return err;
		if (!err && !strcasecmp(name, "Replaces")) {
			struct replaces r;
			struct pl v;

			if (found)
				return EBADMSG;
			found = true;
			err = unescape(buf, sz, eq + 1, (size_t)(end - eq - 1));
			if (err)
				return err;
			pl_set_str(&v, buf);
			if (replaces_parse(&r, &v))
				return EBADMSG;
		}
		else {
			/* not ours to honour: its escapes must still be
			 * well formed */
			char skip[1];

			err = unescape(skip, sizeof(skip), eq + 1,
				       (size_t)(end - eq - 1));
			if (err == EBADMSG)
				return err;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	if (!found)
		buf[0] = '\0';
	return 0;
}

bool replaces_match(const struct replaces *r, const struct part_dialog *d,
		    bool dial_out)
{
	const char *ours = dial_out ? d->from_tag : d->to_tag;
	const char *theirs = dial_out ? d->to_tag : d->from_tag;

	if (!d->call_id[0] || !ours[0] || !theirs[0])
		return false;
	return !pl_strcmp(&r->call_id, d->call_id) &&
		!pl_strcmp(&r->to_tag, ours) &&
		!pl_strcmp(&r->from_tag, theirs);
}

struct find_ctx {
	const struct replaces *r;
	struct participant *found;
	unsigned n;
};

static bool find_part_h(struct participant *p, void *arg)
{
	struct find_ctx *x = arg;

	if (replaces_match(x->r, part_dialog(p), part_dial_out(p))) {
		x->found = p;
		x->n++;
	}
	return false;                 /* all of them: see replaces_find */
}

static bool find_conf_h(struct conf *c, void *arg)
{
	(void)conf_apply_parts(c, find_part_h, arg);
	return false;
}

int replaces_find(struct focus *f, const struct sip_msg *msg,
		  struct conf **cp, struct participant **oldp)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REPLACES);
	struct find_ctx x = {0};
	struct replaces r;

	*oldp = NULL;
	if (!h)
		return 0;
	/* s. 3: one Replaces, well formed; RFC 3911 s. 5: not with Join */
	if (sip_msg_hdr_count(msg, SIP_HDR_REPLACES) != 1 ||
	    sip_msg_xhdr(msg, "Join") || replaces_parse(&r, &h->val)) {
		focus_reply(f, msg, 400, "Bad Request (malformed Replaces "
			    "header)", NULL);
		return EBADMSG;
	}
	/* the factory makes a new conference: there is nobody to replace
	 * there (and the one it made would be left empty) */
	if (f->factory_user[0] && !pl_strcmp(&msg->uri.user,
					     f->factory_user)) {
		focus_reply(f, msg, 400, "Bad Request (Replaces to the "
			    "conference factory)", NULL);
		return EBADMSG;
	}
	x.r = &r;
	(void)confs_apply(f->confs, find_conf_h, &x);
	/* s. 3: matching more than one dialog is matching none */
	if (x.n != 1) {
		focus_reply(f, msg, 481, "Call/Transaction Does Not Exist "
			    "(Replaces names no dialog of ours)", NULL);
		return ENOENT;
	}
	/* the named dialog's conference, whatever the request URI (the
	 * Contact the focus gave it may be the dial-in lobby's) */
	*cp = part_conf(x.found);
	*oldp = mem_ref(x.found);
	return 0;
}

int replaces_state(struct focus *f, const struct sip_msg *msg,
		   const struct participant *old)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REPLACES);
	enum part_status st = part_status(old);
	struct replaces r;

	(void)replaces_parse(&r, &h->val);      /* replaces_find took it */
	/* s. 3: a dialog that has ended (or is ending) is declined */
	if (!part_in_conf(old) || !part_ep(old) || st == PART_FAILED ||
	    st == PART_DISCONNECTING) {
		focus_reply(f, msg, 603, "Decline (the dialog Replaces names "
			    "has ended)", NULL);
		return ECONNRESET;
	}
	/* only confirmed dialogs are recorded (replaces_match): early-only
	 * always finds one that is confirmed */
	if (r.early_only) {
		focus_reply(f, msg, 486, "Busy Here (Replaces is early-only "
			    "and the dialog is confirmed)", NULL);
		return EBUSY;
	}
	if (part_link(old, NULL, NULL) != PART_LINK_NONE) {
		focus_reply(f, msg, 403, "Forbidden (a cascade link cannot "
			    "be replaced)", NULL);
		return EPERM;
	}
	return 0;
}

const char *replaces_role(const struct participant *old,
			  const struct gate_id *id, const char *role)
{
	/* RFC 3891 s. 3 and s. 8 leave who may replace a dialog to the
	 * UAS; the dialog's ids prove little here (RFC 4575 documents show
	 * them to subscribers). The caller passed the conference's own admission;
	 * the replaced role (a moderator's, the factory's administrator)
	 * goes over only to a caller proven by digest to be the same user,
	 * else it joins with its own role, as a direct call would */
	if (id->authed && !strcmp(id->aor, part_uri(old)))
		return part_role(old);
	return role;
}

void replaces_take_over(struct participant *np, struct participant *old)
{
	struct part_settings s = *part_settings(np);
	const struct part_settings *o = part_settings(old);

	/* what the transferred call had: mute and deafness (never undone:
	 * the newcomer's own entry may mute it too), gains, its sidebar and
	 * raised hand. Its stream is already there: the mixer gets these
	 * with its next command, before its next tick */
	s.muted = s.muted || o->muted;
	s.deaf = s.deaf || o->deaf;
	s.gain_in_db = o->gain_in_db;
	s.gain_out_db = o->gain_out_db;
	if (part_sidebar(old) && part_sidebar(np) != part_sidebar(old))
		(void)part_set_sidebar(np, part_sidebar(old));
	if (part_hand(old))
		part_set_hand(np, true);
	part_update_settings(np, &s);
	log_info("sip", "msg=\"dialog replaced\" conf=%s pid=%s by=%s",
		 conf_id(part_conf(old)), part_id(old), part_id(np));
	/* s. 3: the replaced dialog ends (BYE), its place taken */
	part_remove_by(old, part_privacy(np)->anonymous ? CONF_ANON_URI :
		       part_uri(np));
}
