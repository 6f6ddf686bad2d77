/* message/cpim decoding (RFC 3862 s. 3). Pure function, no allocation. */
#include <string.h>
#include "sip/cpim.h"

/* One line of [p, end): *linep (without its line end), *nextp after it.
 * false when there is no line end before end. */
static bool line_next(const char *p, const char *end, struct pl *linep,
		      const char **nextp)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return false;
	linep->p = p;
	linep->l = (size_t)(nl - p);
	if (linep->l && p[linep->l - 1] == '\r')
		linep->l--;
	*nextp = nl + 1;
	return true;
}

static bool token_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		(ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		ch == '.';
}

/* "Name: value" into name and value (value trimmed of leading spaces) */
static bool header_split(const struct pl *line, struct pl *name,
			 struct pl *val)
{
	size_t i = 0;

	while (i < line->l && token_char(line->p[i]))
		i++;
	if (!i || i >= line->l || line->p[i] != ':')
		return false;
	name->p = line->p;
	name->l = i;
	i++;
	while (i < line->l && (line->p[i] == ' ' || line->p[i] == '\t'))
		i++;
	val->p = line->p + i;
	val->l = line->l - i;
	return true;
}

/* Header lines up to an empty line; calls back per header. *pp moves
 * past the empty line. */
static int headers(const char **pp, const char *end, struct cpim *c,
		   bool mime)
{
	struct pl line, name, val;
	const char *next;
	unsigned n = 0;

	for (;;) {
		if (!line_next(*pp, end, &line, &next))
			return EBADMSG;
		*pp = next;
		if (!line.l)
			return n || mime ? 0 : EBADMSG;
		if (!header_split(&line, &name, &val) || ++n > 64)
			return EBADMSG;
		if (!mime && !pl_strcasecmp(&name, "From"))
			c->from = val;
		if (mime && !pl_strcasecmp(&name, "Content-Type"))
			c->ctype = val;
	}
}

int cpim_decode(struct cpim *c, const char *buf, size_t len)
{
	const char *p, *end;
	int err;

	if (!c || !buf)
		return EINVAL;
	p = buf;
	end = buf + len;
	memset(c, 0, sizeof(*c));
	err = headers(&p, end, c, false);
	err = err ? err : headers(&p, end, c, true);
	if (err)
		return err;
	if (!pl_isset(&c->ctype))
		return EBADMSG;
	if (memchr(buf, '\0', len))
		return EBADMSG;
	c->body.p = p;
	c->body.l = (size_t)(end - p);
	return 0;
}
