/*
 * Media policy documents printed back (GET returns exactly this; conf.c
 * hashes it for the ETag) and compared as they print (mediapol.h). Gains
 * are whole millidecibels (mediapol.c says why). Pure functions.
 */
#include <stdio.h>
#include <string.h>
#include "conf/mediapol.h"
#include "util/json.h"

#define MDB_PER_DB 1000

static const char *const kind_names[] = {
	[MEDIAPOL_ROLE] = "role", [MEDIAPOL_URI] = "uri",
	[MEDIAPOL_PARTICIPANT] = "participant",
};

/* Are a and b written the same (what prints)? */
static bool who_equal(const struct mediapol_who *a,
		      const struct mediapol_who *b)
{
	return a->kind == b->kind && !strcmp(a->value, b->value);
}

int mediapol_print_db(struct re_printf *pf, const double *db)
{
	long mdb = mediapol_mdb(*db);
	unsigned long a = (unsigned long)(mdb < 0 ? -mdb : mdb);
	char frac[8];
	size_t n;

	if (!(a % MDB_PER_DB))
		return re_hprintf(pf, "%s%lu", mdb < 0 ? "-" : "",
				  a / MDB_PER_DB);
	snprintf(frac, sizeof(frac), "%03lu", a % MDB_PER_DB);
	for (n = strlen(frac); frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	return re_hprintf(pf, "%s%lu.%s", mdb < 0 ? "-" : "",
			  a / MDB_PER_DB, frac);
}

static int print_who(struct re_printf *pf, const struct mediapol_who *w)
{
	return re_hprintf(pf, "{\"%s\":%H}", kind_names[w->kind],
			  json_print_string, w->value);
}

/* Does the listener hear at all? A relation built in code may say it
 * does at the floor of the range (or below): parse says that is not
 * hearing, and print and equal must agree with it */
static bool rel_hears(const struct mediapol_rel *r)
{
	return r->hears &&
		mediapol_mdb(r->gain_db) > MEDIAPOL_GAIN_MIN_DB * MDB_PER_DB;
}

static int print_rel(struct re_printf *pf, const struct mediapol_rel *r)
{
	bool hears = rel_hears(r);
	int err = re_hprintf(pf, "{\"listener\":%H,\"speaker\":%H,"
			     "\"hears\":%s", print_who, &r->listener,
			     print_who, &r->speaker, hears ? "true" : "false");

	if (!err && hears)
		err = re_hprintf(pf, ",\"gain_db\":%H", mediapol_print_db,
				 &r->gain_db);
	return err ? err : re_hprintf(pf, "}");
}

int mediapol_print(struct re_printf *pf, const struct mediapol *mp)
{
	int err = re_hprintf(pf, "{\"relations\":[");

	for (size_t i = 0; i < mp->nrel && !err; i++)
		err = re_hprintf(pf, "%s%H", i ? "," : "", print_rel,
				 &mp->rel[i]);
	err = err ? err : re_hprintf(pf, "],\"lecture\":{\"enabled\":%s,"
				     "\"lecturers\":[",
				     mp->lecture ? "true" : "false");
	for (size_t i = 0; i < mp->nlect && !err; i++)
		err = re_hprintf(pf, "%s%H", i ? "," : "", print_who,
				 &mp->lecturers[i]);
	err = err ? err : re_hprintf(pf, "]},\"sidebar_background_db\":");
	if (!err && mp->sidebar_bg)
		err = mediapol_print_db(pf, &mp->sidebar_bg_db);
	else if (!err)
		err = re_hprintf(pf, "null");
	return err ? err : re_hprintf(pf, "}");
}

/* Gains compare as they print (whole millidecibels); a gain that is not
 * used (does not hear, sidebars off) does not count */
static bool rel_equal(const struct mediapol_rel *a,
		      const struct mediapol_rel *b)
{
	return who_equal(&a->listener, &b->listener) &&
		who_equal(&a->speaker, &b->speaker) &&
		rel_hears(a) == rel_hears(b) &&
		(!rel_hears(a) || mediapol_mdb(a->gain_db) == mediapol_mdb(b->gain_db));
}

bool mediapol_equal(const struct mediapol *a, const struct mediapol *b)
{
	if (a->nrel != b->nrel || a->lecture != b->lecture ||
	    a->nlect != b->nlect || a->sidebar_bg != b->sidebar_bg)
		return false;
	if (a->sidebar_bg &&
	    mediapol_mdb(a->sidebar_bg_db) != mediapol_mdb(b->sidebar_bg_db))
		return false;
	for (size_t i = 0; i < a->nrel; i++)
		if (!rel_equal(&a->rel[i], &b->rel[i]))
			return false;
	for (size_t i = 0; i < a->nlect; i++)
		if (!who_equal(&a->lecturers[i], &b->lecturers[i]))
			return false;
	return true;
}

