/*
 * The roster share and the Caucus-Link header (cluster_wire.h).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "cluster/cluster_wire.h"
#include "conf/conf.h"
#include "util/json.h"

/* --- the roster share --- */

static int share_part_print(struct re_printf *pf,
			    const struct participant *p)
{
	const struct part_settings *s = part_settings(p);
	const struct part_privacy *pv = part_privacy(p);
	const char *focus = "";
	int err;

	if (part_link(p, NULL, &focus) != PART_LINK_DOWN)
		focus = "";
	err = re_hprintf(pf, "{\"id\":%H,\"uri\":%H,\"display\":%H,"
			 "\"contact\":%H,\"role\":%H,\"status\":%H,",
			 json_print_string, part_id(p),
			 json_print_string, part_uri(p),
			 json_print_string, part_display(p) ?
			 part_display(p) : "",
			 json_print_string, part_dialog(p)->contact,
			 json_print_string, part_role(p),
			 json_print_string,
			 part_status_name(part_status(p)));
	err |= re_hprintf(pf, "\"muted\":%s,\"deaf\":%s,\"anonymous\":%s,"
			  "\"hidden\":%s,\"pending\":%s,\"hand\":%s,"
			  "\"codec\":%H,\"focus\":%H,\"joined_at\":%lld}",
			  s->muted ? "true" : "false",
			  s->deaf ? "true" : "false",
			  pv->anonymous ? "true" : "false",
			  pv->hidden ? "true" : "false",
			  (pv->pending || pv->lobby) ? "true" : "false",
			  part_hand(p) ? "true" : "false",
			  json_print_string, part_media(p)->codec,
			  json_print_string, focus,
			  (long long)part_joined_at(p));
	return err;
}

struct share {
	struct re_printf *pf;
	unsigned n;
	int err;
};

static bool share_h(struct participant *p, void *arg)
{
	struct share *sh = arg;

	if (part_link(p, NULL, NULL) == PART_LINK_UP)
		return false;         /* the owner lists the link */
	sh->err |= re_hprintf(sh->pf, "%s%H", sh->n++ ? "," : "",
			      share_part_print, p);
	return sh->err != 0;
}

int cluster_share_print(struct re_printf *pf, const struct conf *c)
{
	struct share sh = {.pf = pf};

	sh.err = re_hprintf(pf, "{\"v\":1,\"participants\":[");
	(void)conf_apply_parts(c, share_h, &sh);
	sh.err |= re_hprintf(pf, "]}");
	return sh.err;
}

static bool jbool(const struct odict *o, const char *name)
{
	const struct odict_entry *e = odict_lookup(o, name);

	return e && e->type == ODICT_BOOL && e->u.boolean;
}

static void jstr(const struct odict *o, const char *name, char *dst,
		 size_t sz)
{
	const char *s = odict_string(o, name);

	if (s && strlen(s) < sz)
		strcpy(dst, s);
	else
		dst[0] = '\0';       /* too long is as good as absent */
}

static enum part_status status_of(const char *name)
{
	for (int st = PART_DIALING_IN; st <= PART_FAILED; st++)
		if (!strcmp(part_status_name(st), name))
			return st;
	return PART_CONNECTED;
}

static void entry_read(struct conf_remote *r, const struct odict *o)
{
	const struct odict_entry *ja;
	char st[20];

	jstr(o, "display", r->display, sizeof(r->display));
	jstr(o, "contact", r->contact, sizeof(r->contact));
	jstr(o, "role", r->role, sizeof(r->role));
	if (!r->role[0])
		strcpy(r->role, "participant");
	jstr(o, "status", st, sizeof(st));
	r->status = status_of(st);
	r->muted = jbool(o, "muted");
	r->deaf = jbool(o, "deaf");
	r->anonymous = jbool(o, "anonymous");
	r->hidden = jbool(o, "hidden");
	r->pending = jbool(o, "pending");
	r->hand = jbool(o, "hand");
	jstr(o, "codec", r->codec, sizeof(r->codec));
	jstr(o, "focus", r->focus, sizeof(r->focus));
	ja = odict_lookup(o, "joined_at");
	r->joined_at = ja && ja->type == ODICT_INT ? ja->u.integer : 0;
}

int cluster_share_parse(const char *node, const char *doc, size_t len,
			struct conf_remote **vp, size_t *np)
{
	struct odict *od = NULL;
	const struct odict_entry *pe;
	struct conf_remote *v;
	size_t n = 0, count;
	int err;

	*vp = NULL;
	*np = 0;
	if (!node || strlen(node) > CONF_NODE_MAX || !doc)
		return EINVAL;
	err = json_decode_odict(&od, 32, doc, len, 4);
	if (err)
		return err == ENOMEM ? err : EBADMSG;
	pe = odict_lookup(od, "participants");
	if (!pe || pe->type != ODICT_ARRAY) {
		mem_deref(od);
		return EBADMSG;
	}
	count = odict_count(pe->u.odict, false);
	if (count > CLUSTER_SHARE_MAX) {
		mem_deref(od);
		return E2BIG;
	}
	v = mem_zalloc((count + 1) * sizeof(*v), NULL);
	if (!v) {
		mem_deref(od);
		return ENOMEM;
	}
	for (struct le *le = pe->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		struct conf_remote *r = &v[n];

		if (e->type != ODICT_OBJECT)
			continue;
		strcpy(r->node, node);
		jstr(e->u.odict, "id", r->pid, sizeof(r->pid));
		jstr(e->u.odict, "uri", r->uri, sizeof(r->uri));
		if (!r->pid[0] || !r->uri[0]) {
			memset(r, 0, sizeof(*r));
			continue;
		}
		entry_read(r, e->u.odict);
		n++;
	}
	mem_deref(od);
	*vp = v;
	*np = n;
	return 0;
}

/* --- the Caucus-Link header --- */

/* One field (name=value) of a Caucus-Link value, into dst (sz bytes);
 * false when absent, empty or too long */
static bool field(const struct pl *val, const char *name, char *dst,
		  size_t sz)
{
	size_t nl = strlen(name);
	const char *p = val->p, *end = val->p + val->l;

	while (p && p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;

		while (p < e && *p == ' ')
			p++;
		if ((size_t)(e - p) > nl && !memcmp(p, name, nl) &&
		    p[nl] == '=') {
			size_t l = (size_t)(e - p) - nl - 1;

			while (l && p[nl + l] == ' ')
				l--;         /* spaces before the ; */
			/* a NUL would cut the value short of what was
			 * checked and signed */
			if (l == 0 || l >= sz || memchr(p + nl + 1, '\0', l))
				return false;
			memcpy(dst, p + nl + 1, l);
			dst[l] = '\0';
			return true;
		}
		p = semi ? semi + 1 : NULL;
	}
	return false;
}

static bool all(const char *s, int (*cls)(int), const char *extra)
{
	for (; *s; s++)
		if (!cls((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

int cluster_link_decode(struct cluster_link *l, const struct pl *val)
{
	char ts[24];

	memset(l, 0, sizeof(*l));
	if (!val || !val->p ||
	    !field(val, "node", l->node, sizeof(l->node)) ||
	    !field(val, "conf", l->conf, sizeof(l->conf)) ||
	    !field(val, "focus", l->focus, sizeof(l->focus)) ||
	    !field(val, "ts", ts, sizeof(ts)) ||
	    !field(val, "sig", l->sig, sizeof(l->sig)))
		return EBADMSG;
	if (!all(l->node, isalnum, "_-") || !conf_id_valid(l->conf) ||
	    strncmp(l->focus, "sip:", 4) || !all(l->focus, isgraph, "") ||
	    strpbrk(l->focus, ";,<>\"") || strlen(ts) > 15 ||
	    !all(ts, isdigit, "") || strlen(l->sig) != 64 ||
	    !all(l->sig, isxdigit, ""))
		return EBADMSG;
	l->ts = strtoll(ts, NULL, 10);
	return 0;
}

int cluster_link_sign(const char *secret, const struct cluster_link *l,
		      char hex[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char data[320];
	int n;

	n = re_snprintf(data, sizeof(data), "%s|%s|%s|%lld", l->node,
			l->conf, l->focus, l->ts);
	if (n < 0 || (size_t)n >= sizeof(data))
		return ENOSPC;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
		  (const uint8_t *)data, (size_t)n, md, &mdlen) ||
	    mdlen != 32)
		return EPROTO;
	for (unsigned i = 0; i < 32; i++)
		re_snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int cluster_link_print(char *buf, size_t sz, const char *secret,
		       const struct cluster_link *l)
{
	char sig[65];
	int n, err = cluster_link_sign(secret, l, sig);

	if (err)
		return err;
	n = re_snprintf(buf, sz, "Caucus-Link: node=%s;conf=%s;focus=%s;"
			"ts=%lld;sig=%s\r\n", l->node, l->conf, l->focus,
			l->ts, sig);
	return n < 0 || (size_t)n >= sz ? ENOSPC : 0;
}

bool cluster_link_valid(const char *secret, const struct cluster_link *l)
{
	char want[65], got[65];

	if (cluster_link_sign(secret, l, want) || strlen(l->sig) != 64)
		return false;
	/* hex digits in either case */
	for (unsigned i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)l->sig[i]);
	got[64] = '\0';
	return CRYPTO_memcmp(want, got, 64) == 0;
}
