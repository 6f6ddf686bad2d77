/* API request body validation, see api_json.h. */
#include <errno.h>
#include <string.h>
#include "api/api_json.h"

#define JSON_MAX_DEPTH 8

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
	bool ok;

	switch (f->type) {
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
		snprintf(detail, dsz, "field '%s' must be %s", f->name,
			 type_name(f->type));
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

	while (i < len && strchr(" \t\r\n", body[i]))
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
