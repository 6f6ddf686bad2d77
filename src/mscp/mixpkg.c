/*
 * Parsing msc-mixer/1.0 documents (RFC 6505) with libxml2, strictly:
 * every element and attribute must be one the package defines in a
 * place the schema allows it, or the document is refused whole (400
 * with the reason; 428 for another namespace's; 435 for what the schema
 * allows but caucus does not do, e.g. video layouts). Nothing of a
 * refused document is acted on: the executor sees only whole parses.
 *
 * libxml2 safely: at most MIXPKG_DOC_MAX bytes; no DTD at all (a
 * document naming one is refused before libxml2 sees it, so there are
 * no entities to expand and nothing external to load); XML_PARSE_NONET;
 * libxml2's own depth limit, then ours (the shape has at most five
 * levels, anything deeper is an unknown element). No output to stderr.
 *
 * Attributes go through one table per element ({name, required, type,
 * where in struct mixpkg_msg}). Signalling thread (libxml2's parser
 * state is per call).
 */
#include <stddef.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>
#include <re.h>
#include "mscp/mixpkg_int.h"

bool mpx_fail(struct px *x, uint16_t code, const char *why,
	      const char *what)
{
	if (!x->code) {
		x->code = code;
		re_snprintf(x->m->reason, sizeof(x->m->reason), "%s%s%s", why,
			    what ? ": " : "", what ? what : "");
	}
	return false;
}

bool mpx_ours(const xmlNode *n)
{
	return n->ns && n->ns->href &&
		!strcmp((const char *)n->ns->href, MIXPKG_NS);
}

bool mpx_is(const xmlNode *n, const char *name)
{
	return !strcmp((const char *)n->name, name);
}

/* The element children of n, at most max (else 400); text other than
 * blanks, and elements not ours, refuse the document */
bool mpx_kids(struct px *x, const xmlNode *n, const xmlNode **out,
		 unsigned max, unsigned *cnt)
{
	*cnt = 0;
	for (const xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE)
			continue;
		if (k->type == XML_TEXT_NODE) {
			for (const xmlChar *c = k->content; c && *c; c++)
				if (*c != ' ' && *c != '\t' && *c != '\r' &&
				    *c != '\n')
					return mpx_fail(x, MIXPKG_SYNTAX,
							"text inside",
							(const char *)n->name);
			continue;
		}
		if (k->type != XML_ELEMENT_NODE)
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected node in",
				    (const char *)n->name);
		if (!mpx_ours(k))
			return mpx_fail(x, MIXPKG_FOREIGN, "element of another "
				    "namespace", (const char *)k->name);
		if (*cnt >= max)
			return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
				    (const char *)k->name);
		out[(*cnt)++] = k;
	}
	return true;
}

static bool id_value(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > MIXPKG_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return false;
	return true;
}

bool mpx_uint_value(const char *v, uint32_t *out)
{
	size_t n = strlen(v);
	uint32_t x = 0;

	if (!n || n > 7)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint32_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

bool mpx_one_of(const char *v, const char *const *words, int *out)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(v, words[i])) {
			*out = i;
			return true;
		}
	return false;
}

static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly",
				   "inactive", NULL};
static const char *const medias[] = {"audio", "video", NULL};

static bool attr_value(struct px *x, const struct aspec *a, const char *v,
		       uint8_t *base)
{
	uint8_t *p = base ? base + a->off : NULL;   /* (NULL: nothing kept) */
	uint32_t u = 0;
	int k = 0;

	switch (a->type) {
	case A_ID:
		if (!id_value(v))
			return mpx_fail(x, MIXPKG_SYNTAX, "not an id", a->name);
		str_ncpy((char *)p, v, MIXPKG_ID_MAX + 1);
		return true;
	case A_UINT:
		if (!mpx_uint_value(v, &u) || u > 1000000)
			return mpx_fail(x, MIXPKG_SYNTAX, "not a number up to "
				    "1000000", a->name);
		memcpy(p, &u, sizeof(u));
		return true;
	case A_U16:
		if (!mpx_uint_value(v, &u) || u > 999)
			return mpx_fail(x, MIXPKG_SYNTAX,
					"not a number up to 999", a->name);
		*(uint16_t *)p = (uint16_t)u;
		return true;
	case A_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false") &&
		    strcmp(v, "1") && strcmp(v, "0"))
			return mpx_fail(x, MIXPKG_SYNTAX, "not a boolean",
					a->name);
		*(bool *)p = !strcmp(v, "true") || !strcmp(v, "1");
		return true;
	case A_STATUS:
		if (strlen(v) != 3 || !mpx_uint_value(v, &u) || u < 100)
			return mpx_fail(x, MIXPKG_SYNTAX, "not a status code",
				    a->name);
		*(uint16_t *)p = (uint16_t)u;
		return true;
	case A_TEXT:
		if (strlen(v) > MIXPKG_REASON_MAX)
			return mpx_fail(x, MIXPKG_SYNTAX, "too long", a->name);
		str_ncpy((char *)p, v, MIXPKG_REASON_MAX + 1);
		return true;
	case A_DIR:
		if (!mpx_one_of(v, dirs, &k))
			return mpx_fail(x, MIXPKG_SYNTAX, "not a direction",
				    a->name);
		*(enum mixpkg_dir *)p = (enum mixpkg_dir)k;
		return true;
	case A_MEDIA:
		if (!mpx_one_of(v, medias, &k))
			return mpx_fail(x, MIXPKG_SYNTAX, "not audio or video",
				    a->name);
		str_ncpy((char *)p, v, 8);
		return true;
	case A_LABEL:
		if (!id_value(v) || strlen(v) >= 32)
			return mpx_fail(x, MIXPKG_SYNTAX, "not a label",
					a->name);
		str_ncpy((char *)p, v, 32);
		return true;
	case A_VERSION:
		if (strcmp(v, "1.0"))
			return mpx_fail(x, MIXPKG_SYNTAX, "version is 1.0",
					NULL);
		return true;
	case A_MIXTYPE:
		if (!strcmp(v, "nbest"))
			return true;
		if (!strcmp(v, "controller"))
			return mpx_fail(x, MIXPKG_UNSUPPORTED,
					"audio-mixing type controller is not "
					"supported", NULL);
		return mpx_fail(x, MIXPKG_SYNTAX, "not a mixing type", a->name);
	default:
		return true;
	}
}

/* Every attribute of n must be in spec; required ones must be there */
bool mpx_attrs(struct px *x, const xmlNode *n, const struct aspec *spec,
		  void *base)
{
	for (const xmlAttr *at = n->properties; at; at = at->next) {
		const struct aspec *a = spec;
		xmlChar *v;
		bool ok;

		if (at->ns)
			return mpx_fail(x, MIXPKG_FOREIGN,
					"attribute of another namespace",
					(const char *)at->name);
		while (a->name && strcmp(a->name, (const char *)at->name))
			a++;
		if (!a->name)
			return mpx_fail(x, MIXPKG_SYNTAX, "unknown attribute",
				    (const char *)at->name);
		v = xmlNodeListGetString(n->doc, at->children, 1);
		ok = attr_value(x, a, v ? (const char *)v : "", base);
		xmlFree(v);
		if (!ok)
			return false;
	}
	for (const struct aspec *a = spec; a->name; a++)
		if (a->required && !xmlHasProp(n, (const xmlChar *)a->name))
			return mpx_fail(x, MIXPKG_SYNTAX, "missing attribute",
				    a->name);
	return true;
}

/* Elements the schema has that caucus does not do */
bool mpx_unsupported(struct px *x, const xmlNode *k)
{
	static const char *const names[] = {"codecs", "video-layouts",
		"video-switch", "clamp", "region", "priority", NULL};
	int i;

	if (mpx_one_of((const char *)k->name, names, &i))
		return mpx_fail(x, MIXPKG_UNSUPPORTED, "not supported",
				names[i]);
	return mpx_fail(x, MIXPKG_SYNTAX, "unexpected element",
		    (const char *)k->name);
}

bool mpx_no_kids(struct px *x, const xmlNode *n)
{
	const xmlNode *k[1];
	unsigned cnt;

	if (!mpx_kids(x, n, k, 1, &cnt))
		return false;
	return cnt ? mpx_unsupported(x, k[0]) : true;
}


static const struct aspec a_root[] = {{"version", true, A_VERSION, 0}, END};

/* A DTD is where entities live: none is allowed, so none is expanded */
static bool has_dtd(const char *doc, size_t len)
{
	static const char *const marks[] = {"<!DOCTYPE", "<!ENTITY"};

	for (size_t k = 0; k < 2; k++) {
		size_t n = strlen(marks[k]);

		for (size_t i = 0; i + n <= len; i++)
			if (doc[i] == '<' && !memcmp(doc + i, marks[k], n))
				return true;
	}
	return false;
}

/* libxml2 reports some errors (an encoding it cannot convert) through
 * its generic handler whatever the parse options say: not to stderr */
static void quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

uint16_t mixpkg_parse(struct mixpkg_msg *m, const void *doc, size_t len)
{
	struct px x = {.m = m};
	const xmlNode *root, *k[1];
	xmlDoc *d;
	unsigned cnt;

	if (!m)
		return MIXPKG_SYNTAX;
	memset(m, 0, sizeof(*m));
	if (!doc || !len || len > MIXPKG_DOC_MAX) {
		mpx_fail(&x, MIXPKG_SYNTAX, "empty or too big a document",
			 NULL);
		return x.code;
	}
	if (has_dtd(doc, len)) {
		mpx_fail(&x, MIXPKG_SYNTAX, "a DTD is not allowed", NULL);
		return x.code;
	}
	xmlSetGenericErrorFunc(NULL, quiet);
	d = xmlReadMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET |
			  XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			  XML_PARSE_NOCDATA);
	if (!d) {
		mpx_fail(&x, MIXPKG_SYNTAX, "not well-formed XML", NULL);
		return x.code;
	}
	root = xmlDocGetRootElement(d);
	if (!root || !mpx_is(root, "mscmixer") || !mpx_ours(root))
		mpx_fail(&x, MIXPKG_SYNTAX, "not an mscmixer document", NULL);
	else if (d->intSubset || d->extSubset)
		mpx_fail(&x, MIXPKG_SYNTAX, "a DTD is not allowed", NULL);
	else if (mpx_attrs(&x, root, a_root, NULL) &&
		 mpx_kids(&x, root, k, 1, &cnt)) {
		if (!cnt)
			mpx_fail(&x, MIXPKG_SYNTAX, "an empty mscmixer", NULL);
		else
			(void)mpx_request(&x, k[0]);
	}
	xmlFreeDoc(d);
	if (x.code) {
		char why[MIXPKG_REASON_MAX + 1];

		/* the reason alone survives a refusal */
		str_ncpy(why, m->reason, sizeof(why));
		memset(m, 0, sizeof(*m));
		str_ncpy(m->reason, why, sizeof(m->reason));
		return x.code;
	}
	return MIXPKG_OK;
}

static const struct {
	uint16_t code;
	const char *reason;
} codes[] = {
	{MIXPKG_OK, "OK"},
	{MIXPKG_SYNTAX, "Syntax error"},
	{MIXPKG_CONF_EXISTS, "Conference already exists"},
	{MIXPKG_NO_CONF, "Conference does not exist"},
	{MIXPKG_NO_CONN, "Connection does not exist"},
	{MIXPKG_JOINED, "Already joined"},
	{MIXPKG_NOT_JOINED, "Not joined"},
	{MIXPKG_BAD_STREAMS, "Incompatible stream configuration"},
	{MIXPKG_EXEC, "Execution error"},
	{MIXPKG_AUDIO_MIX, "Unable to configure audio mix"},
	{MIXPKG_UNSUP_STREAMS, "Unsupported media stream configuration"},
	{MIXPKG_FOREIGN, "Unsupported foreign namespace element or "
	 "attribute"},
	{MIXPKG_UNSUPPORTED, "Unsupported capability"},
};

const char *mixpkg_code_reason(uint16_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i].code == status)
			return codes[i].reason;
	return "Error";
}

void mixpkg_response(struct mixpkg_msg *m, uint16_t status,
		     const char *reason)
{
	memset(m, 0, sizeof(*m));
	m->kind = MIXPKG_RESPONSE;
	m->status = status;
	if (reason)
		str_ncpy(m->reason, reason, sizeof(m->reason));
}

bool mixpkg_is_connid(const char *id)
{
	const char *sep = strpbrk(id, ":~");

	return sep && sep != id && sep[1] && !strpbrk(sep + 1, ":~");
}
