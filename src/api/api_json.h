/*
 * Request body validation for the API: a body must be one JSON object whose
 * members are all known and of the declared type. Private to the api module
 * and its unit tests. Signalling thread (pure functions).
 */
#ifndef CAUCUS_API_JSON_H
#define CAUCUS_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <re.h>

/* API_ANY: any JSON value; the handler checks it (a member that takes
 * one of several shapes). API_OR_NULL, or'ed into a type: null is also
 * accepted (it says "none": no sidebar, no background). */
enum api_ftype { API_STRING, API_BOOL, API_NUMBER, API_ARRAY, API_OBJECT,
		 API_ANY, API_OR_NULL = 0x100 };

struct api_field {
	const char *name;
	enum api_ftype type;
	bool required;
	double min, max;            /* API_NUMBER bounds; API_STRING max len;
				     * API_ARRAY max elements */
};

/* Returns 0 and *odp, or EBADMSG (not JSON / not an object) or EINVAL (a
 * field is unknown, missing or wrong), with a sentence in detail. An
 * empty body is an empty object. */
int api_json_parse(struct odict **odp, const char *body, size_t len,
		   const struct api_field *fields, size_t nfields,
		   char *detail, size_t dsz);
bool api_json_number(const struct odict *od, const char *name, double *v);
/* Strict RFC 8259 syntax (libre's decoder is lenient) */
bool api_json_strict(const char *body, size_t len);
/* od[k] = v, by type; 0 or an errno (the handlers OR them together) */
int  api_add_str(struct odict *od, const char *k, const char *v);
int  api_add_int(struct odict *od, const char *k, int64_t v);
int  api_add_bool(struct odict *od, const char *k, bool v);
int  api_add_dbl(struct odict *od, const char *k, double v);

#endif
