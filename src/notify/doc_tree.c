/*
 * The helpers that build an RFC 4575 document's tree (doc_int.h): a
 * child element, an array's next element, scalars. Each does nothing
 * once an error is set, so the builders (doc.c, doc_remote.c) read as
 * the document they make and check once. Signalling thread; pure.
 */
#include <time.h>
#include "notify/doc_int.h"

struct odict *doc_child(struct odict *parent, const char *key, bool array,
			int *errp)
{
	struct odict *c = NULL;
	int err;

	/* after a failure, nothing more: the parent may be missing (NULL),
	 * and odict_entry_add(NULL, ...) would replace *errp (ENOMEM) with
	 * EINVAL */
	if (!parent || *errp)
		return NULL;
	err = odict_alloc(&c, 8);
	if (!err)
		err = odict_entry_add(parent, key, array ? ODICT_ARRAY :
				      ODICT_OBJECT, c);
	mem_deref(c);             /* the parent holds it now */
	if (err) {
		*errp = err;
		return NULL;
	}
	return c;
}

struct odict *doc_item(struct odict *arr, int *errp)
{
	char key[12];

	if (!arr)
		return NULL;
	re_snprintf(key, sizeof(key), "%zu", odict_count(arr, false));
	return doc_child(arr, key, false, errp);
}

void doc_str(struct odict *o, const char *k, const char *v, int *errp)
{
	if (o && v && !*errp)
		*errp = odict_entry_add(o, k, ODICT_STRING, v);
}

void doc_num(struct odict *o, const char *k, int64_t v, int *errp)
{
	if (o && !*errp)
		*errp = odict_entry_add(o, k, ODICT_INT, v);
}

void doc_flag(struct odict *o, const char *k, bool v, int *errp)
{
	if (o && !*errp)
		*errp = odict_entry_add(o, k, ODICT_BOOL, v);
}

void doc_when(struct odict *o, const char *k, int64_t t, int *errp)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	doc_str(o, k, buf, errp);
}
