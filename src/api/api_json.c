/* API request body validation, see api_json.h. */
#include <errno.h>
#include <string.h>
#include "api/api_json.h"

#define JSON_MAX_DEPTH 8

/*
 * A strict RFC 8259 syntax check, run before libre's decoder: that decoder
 * is lenient (it takes `{"a":}` and trailing commas), and an API should
 * not guess what a broken body meant. Recursive descent with a depth cap.
 */
struct jscan {
	const char *p, *end;
	unsigned depth;
};

static void ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool lit(struct jscan *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
		return false;
	s->p += n;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

static bool jstring(struct jscan *s)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++)
				if (s->p >= s->end || !is_hex(*s->p++))
					return false;
		}
		else if (!strchr("\"\\/bfnrt", c) || !c) {
			return false;
		}
	}
	return false;
}

static bool digits(struct jscan *s)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static bool jnumber(struct jscan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return false;
	}
	return true;
}

static bool jvalue(struct jscan *s);

static bool jcontainer(struct jscan *s, char close, bool object)
{
	if (++s->depth > JSON_MAX_DEPTH)
		return false;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			if (!jstring(s))
				return false;
			ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!jvalue(s))
			return false;
		ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (*s->p++ != close)
			return false;
		s->depth--;
		return true;
	}
}

static bool jvalue(struct jscan *s)
{
	ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': return jcontainer(s, '}', true);
	case '[': return jcontainer(s, ']', false);
	case '"': return jstring(s);
	case 't': return lit(s, "true");
	case 'f': return lit(s, "false");
	case 'n': return lit(s, "null");
	default:  return jnumber(s);
	}
}

bool api_json_strict(const char *body, size_t len)
{
	struct jscan s = {.p = body, .end = body + len};

	if (!jvalue(&s))
		return false;
	ws(&s);
	return s.p == s.end;
}

static const struct api_field *field_find(const struct api_field *f,
					  size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

static const char *type_name(enum api_ftype t)
{
	switch (t) {
	case API_STRING: return "a string";
	case API_BOOL:   return "a boolean";
	case API_ARRAY:  return "an array";
	case API_OBJECT: return "an object";
	case API_ANY:    return "a value";
	default:         return "a number";
	}
}

bool api_json_number(const struct odict *od, const char *name, double *v)
{
	const struct odict_entry *e = odict_lookup(od, name);

	if (!e)
		return false;
	if (e->type == ODICT_INT)
		*v = (double)e->u.integer;
	else if (e->type == ODICT_DOUBLE)
		*v = e->u.dbl;
	else
		return false;
	return true;
}

static int check_entry(const struct odict_entry *e, const struct api_field *f,
		       char *detail, size_t dsz)
{
	bool nullable = f->type & API_OR_NULL;
	enum api_ftype type = f->type & ~API_OR_NULL;
	bool ok;

	if (e->type == ODICT_NULL && nullable)
		return 0;
	switch (type) {
	case API_ANY:
		ok = true;
		break;
	case API_STRING:
		ok = e->type == ODICT_STRING;
		if (ok && f->max > 0 && strlen(e->u.str) > (size_t)f->max) {
			snprintf(detail, dsz, "field '%s' is longer than %.0f "
				 "characters", f->name, f->max);
			return EINVAL;
		}
		break;
	case API_BOOL:
		ok = e->type == ODICT_BOOL;
		break;
	case API_OBJECT:
		ok = e->type == ODICT_OBJECT;
		break;
	case API_ARRAY:
		ok = e->type == ODICT_ARRAY;
		if (ok && odict_count(e->u.odict, false) > (size_t)f->max) {
			snprintf(detail, dsz, "field '%s' has more than %.0f "
				 "elements", f->name, f->max);
			return EINVAL;
		}
		break;
	default: {
		double v = e->type == ODICT_INT ? (double)e->u.integer :
			e->u.dbl;

		ok = e->type == ODICT_INT || e->type == ODICT_DOUBLE;
		if (ok && (v < f->min || v > f->max)) {
			snprintf(detail, dsz, "field '%s' must be between "
				 "%g and %g", f->name, f->min, f->max);
			return EINVAL;
		}
		break;
	}
	}
	if (!ok) {
		snprintf(detail, dsz, "field '%s' must be %s%s", f->name,
			 type_name(type), nullable ? " or null" : "");
		return EINVAL;
	}
	return 0;
}

int api_json_parse(struct odict **odp, const char *body, size_t len,
		   const struct api_field *fields, size_t nfields,
		   char *detail, size_t dsz)
{
	struct odict *od = NULL;
	size_t i = 0;
	int err;

	while (i < len && (body[i] == ' ' || body[i] == '\t' ||
			   body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len) {
		err = odict_alloc(&od, 8);
		if (err)
			return err;
		goto check_required;
	}
	/* libre's decoder takes a top-level array too; the API wants an
	 * object, and says so */
	if (body[i] != '{') {
		snprintf(detail, dsz, "the body must be a JSON object");
		return EBADMSG;
	}
	if (memchr(body, '\0', len)) {
		snprintf(detail, dsz, "the body contains a NUL byte");
		return EBADMSG;
	}
	if (!api_json_strict(body, len)) {
		snprintf(detail, dsz, "the body is not valid JSON");
		return EBADMSG;
	}
	err = json_decode_odict(&od, 32, body, len, JSON_MAX_DEPTH);
	if (err) {
		snprintf(detail, dsz, "the body is not valid JSON");
		return EBADMSG;
	}
	for (struct le *le = od->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const struct api_field *f = field_find(fields, nfields,
						       e->key);

		if (!f) {
			snprintf(detail, dsz, "unknown field '%s'", e->key);
			err = EINVAL;
			goto out;
		}
		err = check_entry(e, f, detail, dsz);
		if (err)
			goto out;
	}
check_required:
	for (size_t k = 0; k < nfields; k++) {
		if (fields[k].required && !odict_lookup(od, fields[k].name)) {
			snprintf(detail, dsz, "field '%s' is required",
				 fields[k].name);
			err = EINVAL;
			goto out;
		}
	}
out:
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

/* One member of an object, by type (the handlers' shorthand) */
int api_add_str(struct odict *od, const char *k, const char *v)
{
	return odict_entry_add(od, k, ODICT_STRING, v ? v : "");
}

int api_add_int(struct odict *od, const char *k, int64_t v)
{
	return odict_entry_add(od, k, ODICT_INT, v);
}

int api_add_bool(struct odict *od, const char *k, bool v)
{
	return odict_entry_add(od, k, ODICT_BOOL, v);
}

int api_add_dbl(struct odict *od, const char *k, double v)
{
	return odict_entry_add(od, k, ODICT_DOUBLE, v);
}
