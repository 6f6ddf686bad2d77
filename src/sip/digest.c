/*
 * Digest authentication (see digest.h). A nonce is
 *   hex(birth, 8) hex(random, 16) hex(mac, 16)
 * where mac is the start of SHA-256(secret ":" birth ":" random). The
 * table of live nonces is a list in birth order (expired ones drop off the
 * front) plus a hash for lookups; it is capped, and a nonce that fell out
 * is answered as stale, which costs an honest client one more round.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "sip/digest.h"
#include "users/users.h"
#include "util/log.h"

#define NONCE_LEN 40
#define NONCE_MAX 16384

struct digest {
	char realm[128];
	enum hashhex_alg algs[2];      /* offered, preferred first */
	unsigned nalgs;
	uint32_t ttl_s;
	char secret[33];
	struct list nonces;        /* struct nonce, oldest first */
	struct hash *ht;
};

struct nonce {
	struct le le, he;
	char val[NONCE_LEN + 1];
	int64_t born;
	uint32_t nc_max;
};

static void digest_destructor(void *arg)
{
	struct digest *d = arg;

	/* the list owns the entries; each unlinks itself from the hash
	 * (hash_flush would free them a second time) */
	list_flush(&d->nonces);
	mem_deref(d->ht);
	memset(d->secret, 0, sizeof(d->secret));
}

static void nonce_destructor(void *arg)
{
	struct nonce *n = arg;

	hash_unlink(&n->he);
}

static int parse_algs(const char *s, enum hashhex_alg algs[2],
		      unsigned *n)
{
	static const struct { const char *s; enum hashhex_alg a[2];
			      unsigned n; } t[] = {
		{"SHA-256,MD5", {HASHHEX_SHA256, HASHHEX_MD5}, 2},
		{"MD5,SHA-256", {HASHHEX_MD5, HASHHEX_SHA256}, 2},
		{"SHA-256", {HASHHEX_SHA256}, 1},
		{"MD5", {HASHHEX_MD5}, 1},
	};

	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcasecmp(s, t[i].s))
			continue;
		algs[0] = t[i].a[0];
		algs[1] = t[i].a[1];
		*n = t[i].n;
		return 0;
	}
	return EINVAL;
}

bool focus_digest_algs_valid(const char *algs)
{
	enum hashhex_alg a[2];
	unsigned n;

	return parse_algs(algs, a, &n) == 0;
}

int digest_alloc(struct digest **dp, const char *realm, uint32_t ttl_s,
		 const char *algs)
{
	struct digest *d = mem_zalloc(sizeof(*d), digest_destructor);
	uint8_t rnd[16];
	int err;

	if (!d)
		return ENOMEM;
	if (strlen(realm) >= sizeof(d->realm) ||
	    parse_algs(algs, d->algs, &d->nalgs)) {
		mem_deref(d);
		return EINVAL;
	}
	strcpy(d->realm, realm);
	d->ttl_s = ttl_s ? ttl_s : 300;
	rand_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		re_snprintf(d->secret + 2 * i, 3, "%02x", rnd[i]);
	err = hash_alloc(&d->ht, 1024);
	if (err)
		mem_deref(d);
	else
		*dp = d;
	return err;
}

unsigned digest_nonce_count(const struct digest *d)
{
	return list_count(&d->nonces);
}

/* ---- parsing ---- */

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' ||
			    **p == '\n'))
		(*p)++;
}

static struct pl *field(struct digest_cred *c, const char *k, size_t n)
{
	static const struct { const char *name; size_t off; } map[] = {
		{"username", offsetof(struct digest_cred, username)},
		{"realm", offsetof(struct digest_cred, realm)},
		{"nonce", offsetof(struct digest_cred, nonce)},
		{"uri", offsetof(struct digest_cred, uri)},
		{"response", offsetof(struct digest_cred, response)},
		{"algorithm", offsetof(struct digest_cred, algorithm)},
		{"cnonce", offsetof(struct digest_cred, cnonce)},
		{"nc", offsetof(struct digest_cred, nc)},
		{"qop", offsetof(struct digest_cred, qop)},
		{"opaque", offsetof(struct digest_cred, opaque)},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == n &&
		    !strncasecmp(map[i].name, k, n))
			return (struct pl *)((char *)c + map[i].off);
	return NULL;        /* an unknown parameter: ignored (RFC 3261) */
}

/* one k=v or k="v"; *p moves past it */
static int parse_param(struct digest_cred *c, const char **p,
		       const char *end)
{
	const char *k = *p, *v;
	struct pl *f;
	size_t kn;

	while (*p < end && (isalnum((unsigned char)**p) || **p == '-' ||
			    **p == '_'))
		(*p)++;
	kn = (size_t)(*p - k);
	skip_ws(p, end);
	if (!kn || *p >= end || **p != '=')
		return EBADMSG;
	(*p)++;
	skip_ws(p, end);
	if (*p < end && **p == '"') {
		v = ++(*p);
		while (*p < end && **p != '"') {
			if (**p == '\\')
				return EBADMSG;    /* no escapes in our fields */
			(*p)++;
		}
		if (*p >= end)
			return EBADMSG;
		f = field(c, k, kn);
		if (f) {
			if (pl_isset(f))
				return EBADMSG;       /* twice */
			f->p = v;
			f->l = (size_t)(*p - v);
		}
		(*p)++;
	}
	else {
		v = *p;
		while (*p < end && **p != ',' && **p != ' ' && **p != '\t')
			(*p)++;
		if (*p == v)
			return EBADMSG;
		f = field(c, k, kn);
		if (f) {
			if (pl_isset(f))
				return EBADMSG;
			f->p = v;
			f->l = (size_t)(*p - v);
		}
	}
	return 0;
}

int digest_parse(struct digest_cred *c, const struct pl *hval)
{
	const char *p, *end;
	int err;

	memset(c, 0, sizeof(*c));
	if (!hval || !hval->p)
		return EBADMSG;
	p = hval->p;
	end = hval->p + hval->l;
	skip_ws(&p, end);
	if (end - p < 7 || strncasecmp(p, "Digest", 6) ||
	    (p[6] != ' ' && p[6] != '\t'))
		return EBADMSG;
	p += 6;
	for (;;) {
		skip_ws(&p, end);
		err = parse_param(c, &p, end);
		if (err)
			return err;
		skip_ws(&p, end);
		if (p >= end)
			break;
		if (*p != ',')
			return EBADMSG;
		p++;
	}
	if (!pl_isset(&c->username) || !pl_isset(&c->realm) ||
	    !pl_isset(&c->nonce) || !pl_isset(&c->uri) ||
	    !pl_isset(&c->response))
		return EBADMSG;
	return 0;
}

int digest_response(enum hashhex_alg alg, const char *ha1,
		    const struct pl *nonce, const struct pl *nc,
		    const struct pl *cnonce, const struct pl *method,
		    const struct pl *uri, char out[HASHHEX_MAX])
{
	char ha2[HASHHEX_MAX];
	int err;

	err = hashhex_printf(alg, ha2, "%r:%r", method, uri);
	return err ? err : hashhex_printf(alg, out, "%s:%r:%r:%r:auth:%s",
					  ha1, nonce, nc, cnonce, ha2);
}

/* ---- nonces ---- */

static void prune(struct digest *d, int64_t now)
{
	struct le *le = d->nonces.head;

	while (le) {
		struct nonce *n = le->data;

		le = le->next;
		if (now - n->born <= (int64_t)d->ttl_s &&
		    list_count(&d->nonces) <= NONCE_MAX)
			break;
		list_unlink(&n->le);
		mem_deref(n);
	}
}

static void nonce_mac(const struct digest *d, const char *born_rnd,
		      char mac[17])
{
	char h[HASHHEX_MAX];

	if (hashhex_printf(HASHHEX_SHA256, h, "%s:%b", d->secret, born_rnd,
			   (size_t)24))
		memset(h, '0', 16);
	memcpy(mac, h, 16);
	mac[16] = '\0';
}

int digest_challenge(struct digest *d, bool stale, char *buf, size_t sz)
{
	struct nonce *n;
	int64_t now = (int64_t)time(NULL);
	uint8_t rnd[8];
	char mac[17];
	int len;

	if (!sz)
		return ENOSPC;
	buf[0] = '\0';
	n = mem_zalloc(sizeof(*n), nonce_destructor);
	if (!n)
		return ENOMEM;
	rand_bytes(rnd, sizeof(rnd));
	re_snprintf(n->val, sizeof(n->val), "%08llx%w",
		    (unsigned long long)(uint32_t)now, rnd, sizeof(rnd));
	nonce_mac(d, n->val, mac);
	strcat(n->val, mac);
	n->born = now;
	prune(d, now);
	list_append(&d->nonces, &n->le, n);
	hash_append(d->ht, hash_joaat_str(n->val), &n->he, n);
	len = 0;
	for (unsigned i = 0; i < d->nalgs; i++) {
		int l = re_snprintf(buf + len, sz - (size_t)len,
			"WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", "
			"algorithm=%s, qop=\"auth\"%s\r\n", d->realm, n->val,
			d->algs[i] == HASHHEX_MD5 ? "MD5" : "SHA-256",
			stale ? ", stale=true" : "");

		if (l < 0 || (size_t)l >= sz - (size_t)len)
			return ENOSPC;
		len += l;
	}
	return len < 0 || (size_t)len >= sz ? ENOSPC : 0;
}

static bool nonce_cmp(struct le *le, void *arg)
{
	const struct nonce *n = le->data;

	return !pl_strcmp(arg, n->val);
}

static struct nonce *nonce_find(struct digest *d, const struct pl *v)
{
	struct le *le = hash_lookup(d->ht, hash_joaat(
		(const uint8_t *)v->p, v->l), nonce_cmp, (void *)v);

	return le ? le->data : NULL;
}

/* ---- checking ---- */

/* The Authorization header for our realm, parsed */
static enum digest_result find_cred(const struct digest *d,
				    const struct sip_msg *msg,
				    struct digest_cred *c, const char **why)
{
	struct le *le;
	bool seen = false;

	for (le = list_head(&msg->hdrl); le; le = le->next) {
		const struct sip_hdr *h = le->data;

		if (h->id != SIP_HDR_AUTHORIZATION)
			continue;
		seen = true;
		if (digest_parse(c, &h->val)) {
			*why = "malformed Authorization header";
			return DIGEST_BAD;
		}
		if (!pl_strcmp(&c->realm, d->realm))
			return DIGEST_OK;
	}
	*why = seen ? "credentials for another realm" : "no credentials";
	return DIGEST_NONE;
}

static bool nc_parse(const struct pl *nc, uint32_t *v)
{
	uint32_t x = 0;

	if (nc->l != 8)
		return false;
	for (size_t i = 0; i < 8; i++) {
		char ch = nc->p[i];
		int dv = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (dv < 0)
			return false;
		x = x << 4 | (uint32_t)dv;
	}
	*v = x;
	return x > 0;
}

enum digest_result digest_check(struct digest *d, const struct users *us,
				const struct sip_msg *msg,
				const struct user **up, const char **why)
{
	struct digest_cred c;
	enum digest_result r = find_cred(d, msg, &c, why);
	enum hashhex_alg alg;
	const struct user *u;
	struct nonce *n;
	char name[65], expect[HASHHEX_MAX], got[HASHHEX_MAX], mac[17];
	uint32_t nc;

	if (r != DIGEST_OK)
		return r;
	if (!pl_isset(&c.algorithm) || !pl_strcasecmp(&c.algorithm, "MD5"))
		alg = HASHHEX_MD5;
	else if (!pl_strcasecmp(&c.algorithm, "SHA-256"))
		alg = HASHHEX_SHA256;
	else
		alg = (enum hashhex_alg)-1;
	if (d->algs[0] != alg && (d->nalgs < 2 || d->algs[1] != alg)) {
		*why = "algorithm not offered";
		return DIGEST_NONE;
	}
	if (pl_strcasecmp(&c.qop, "auth") || !pl_isset(&c.cnonce) ||
	    !nc_parse(&c.nc, &nc)) {
		*why = "qop=auth with cnonce and nc required";
		return DIGEST_BAD;
	}
	/* RFC 7616 s. 3.4.6: the uri must be the request's */
	if (pl_cmp(&c.uri, &msg->ruri)) {
		*why = "uri does not match the Request-URI";
		return DIGEST_BAD;
	}
	if (c.nonce.l != NONCE_LEN) {
		*why = "unknown nonce";
		return DIGEST_STALE;
	}
	nonce_mac(d, c.nonce.p, mac);   /* reads the first 24 characters */
	n = nonce_find(d, &c.nonce);
	if (memcmp(mac, c.nonce.p + 24, 16) || !n ||
	    (int64_t)time(NULL) - n->born > (int64_t)d->ttl_s) {
		*why = "nonce unknown or expired";
		return DIGEST_STALE;
	}
	u = c.username.l < sizeof(name) &&
		!pl_strcpy(&c.username, name, sizeof(name)) ?
		users_find_name(us, name) : NULL;
	if (!u || !u->realm_ok) {
		/* the same answer as a bad password, after the same work: a
		 * hash over a made-up HA1, so that time tells nothing either */
		static const char none[HASHHEX_MAX] = "0";

		(void)digest_response(alg, none, &c.nonce, &c.nc, &c.cnonce,
				      &msg->met, &c.uri, expect);
		*why = "wrong credentials";
		return DIGEST_WRONG;
	}
	if (digest_response(alg, alg == HASHHEX_MD5 ? u->ha1_md5 :
			    u->ha1_sha256, &c.nonce, &c.nc, &c.cnonce,
			    &msg->met, &c.uri, expect) ||
	    c.response.l >= sizeof(got) ||
	    pl_strcpy(&c.response, got, sizeof(got))) {
		*why = "wrong credentials";
		return DIGEST_WRONG;
	}
	for (char *p = got; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!hashhex_equal(expect, got)) {
		*why = "wrong credentials";
		return DIGEST_WRONG;
	}
	if (nc <= n->nc_max) {
		*why = "nonce count reused (replay)";
		return DIGEST_REPLAY;
	}
	n->nc_max = nc;
	*up = u;
	return DIGEST_OK;
}
