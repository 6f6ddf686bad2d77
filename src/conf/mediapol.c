/*
 * Media policy documents (mediapol.h): the strict parser, the printer
 * (GET returns exactly what it prints; conf.c hashes it for the ETag) and
 * the questions conf.c asks when it resolves who hears whom
 * (conf_part_mix). Pure data and functions: any thread, no state.
 *
 * Gains are kept in whole thousandths of a dB. libre's JSON decoder does
 * not round decimals correctly (it sums the digits in a long double), so
 * a double printed in its shortest decimal form would not always parse
 * back to the same double. A whole number of millidecibels prints exactly
 * and parses back to itself, which is what makes print, parse, equal hold
 * (tests/fuzz/fuzz_mediapol.c checks it); finer steps are not audible.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "conf/mediapol.h"
#include "util/json.h"

#define MDB_PER_DB 1000
#define SIDEBAR_BG_DEFAULT_DB -12.0
/* URIs longer than this do not fit mediapol_who.value */
#define URI_MAX 127
/* a participant id, as conf.c makes them (p1, p2, ...) or a client names
 * them */
#define PID_MAX 11

static const char *const roles[] = {"administrator", "moderator",
				    "participant", "listener"};

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static int word(const char *const *set, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], s))
			return (int)i;
	return -1;
}

static bool role_valid(const char *s)
{
	return word(roles, NWORDS(roles), s) >= 0;
}

/* sip: or sips:, something after it, and nothing a SIP header could not
 * carry unquoted (no spaces, no control characters) */
static bool uri_valid(const char *s)
{
	size_t n = strlen(s), scheme = !strncasecmp(s, "sip:", 4) ? 4 :
		!strncasecmp(s, "sips:", 5) ? 5 : 0;

	if (!scheme || n <= scheme || n > URI_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool pid_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= PID_MAX &&
		strspn(s, "abcdefghijklmnopqrstuvwxyz"
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* The three ways to name someone, by enum mediapol_kind. rank: how
 * specific the name is. A participant id is one call; a URI may be
 * several (the same AoR calling twice); a role is many people. */
static const struct {
	const char *name;
	bool (*valid)(const char *s);
	const char *why;
	int rank;
} kinds[] = {
	[MEDIAPOL_ROLE] = {"role", role_valid, "must be administrator, "
			   "moderator, participant or listener", 1},
	[MEDIAPOL_URI] = {"uri", uri_valid, "must be a sip: or sips: URI of "
			  "up to 127 characters without spaces", 2},
	[MEDIAPOL_PARTICIPANT] = {"participant", pid_valid, "must be a "
				  "participant id (1 to 11 of A-Z a-z 0-9 _ "
				  "-)", 3},
};

void mediapol_default(struct mediapol *mp)
{
	memset(mp, 0, sizeof(*mp));
	mp->sidebar_bg = true;
	mp->sidebar_bg_db = SIDEBAR_BG_DEFAULT_DB;
}

/* detail is "<path>: <why>", the path as the client wrote it
 * (relations[2].speaker); path NULL: the document as a whole */
static int bad(char *detail, size_t dsz, const char *path,
	       const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!detail || !dsz)
		return EINVAL;
	if (path)
		n = snprintf(detail, dsz, "%s: ", path);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < dsz)
		vsnprintf(detail + n, dsz - (size_t)n, fmt, ap);
	va_end(ap);
	return EINVAL;
}

/* Whole millidecibels; a value that mediapol_parse did not make (one
 * built in code) may lie outside the range and is clamped, so that what
 * prints is still a document that parses */
long mediapol_mdb(double db)
{
	if (!(db >= MEDIAPOL_GAIN_MIN_DB))
		db = MEDIAPOL_GAIN_MIN_DB;
	else if (db > MEDIAPOL_GAIN_MAX_DB)
		db = MEDIAPOL_GAIN_MAX_DB;
	return lround(db * MDB_PER_DB);
}

/* A number (whole or not) within the gain range, in millidecibel steps.
 * The comparison is written so that NaN (libre makes one of 0e5000)
 * fails it too. */
static bool get_gain(const struct odict_entry *e, double *db)
{
	double v;

	if (e->type == ODICT_INT) {
		if (e->u.integer < MEDIAPOL_GAIN_MIN_DB ||
		    e->u.integer > MEDIAPOL_GAIN_MAX_DB)
			return false;
		v = (double)e->u.integer;
	}
	else if (e->type == ODICT_DOUBLE) {
		v = e->u.dbl;
	}
	else {
		return false;
	}
	if (!(v >= MEDIAPOL_GAIN_MIN_DB && v <= MEDIAPOL_GAIN_MAX_DB))
		return false;
	*db = (double)mediapol_mdb(v) / MDB_PER_DB;
	return true;
}

static int bad_gain(char *detail, size_t dsz, const char *path)
{
	return bad(detail, dsz, path, "must be a number from %g to %g (dB)",
		   MEDIAPOL_GAIN_MIN_DB, MEDIAPOL_GAIN_MAX_DB);
}

/* {"role": ...}, {"uri": ...} or {"participant": ...}: exactly one */
static int parse_who(struct mediapol_who *w, const struct odict_entry *e,
		     const char *path, char *detail, size_t dsz)
{
	const struct odict_entry *f = NULL;
	char fp[96];
	int k = -1;

	if (e->type == ODICT_OBJECT && odict_count(e->u.odict, false) == 1) {
		f = e->u.odict->lst.head->data;
		for (size_t i = 0; i < NWORDS(kinds); i++)
			if (!strcmp(kinds[i].name, f->key))
				k = (int)i;
	}
	if (k < 0)
		return bad(detail, dsz, path, "must name one of role, uri or "
			   "participant");
	snprintf(fp, sizeof(fp), "%s.%s", path, f->key);
	if (f->type != ODICT_STRING || !kinds[k].valid(f->u.str))
		return bad(detail, dsz, fp, "%s", kinds[k].why);
	memset(w, 0, sizeof(*w));
	w->kind = (enum mediapol_kind)k;
	/* fits: every kind's validity limits its length below 128 */
	strcpy(w->value, f->u.str);
	return 0;
}

/* Two AoRs name the same person when they are equal ignoring case once
 * any URI parameters (from the first ';' after the '@': a contact's
 * ;transport=tcp or ;ob) are left off. Strictly the user part is case
 * sensitive (RFC 3261 s. 19.1.4), but a policy that tells bob from Bob
 * would surprise more than it helps. */
static size_t uri_base_len(const char *u)
{
	const char *at = strchr(u, '@'), *h = at ? at : u;

	return (size_t)(h - u) + strcspn(h, ";");
}

static bool uri_same(const char *a, const char *b)
{
	size_t na = uri_base_len(a), nb = uri_base_len(b);

	return na == nb && !strncasecmp(a, b, na);
}

/* Do a and b name the same people (two relations between them could not
 * both apply)? */
static bool who_same(const struct mediapol_who *a,
		     const struct mediapol_who *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind == MEDIAPOL_URI ? uri_same(a->value, b->value) :
		!strcmp(a->value, b->value);
}

static int parse_rel(struct mediapol_rel *r, const struct odict_entry *e,
		     size_t i, char *detail, size_t dsz)
{
	bool has_l = false, has_s = false, has_gain = false, hears = true;
	char path[32], fp[96];
	double gain = 0;
	int err = 0;

	snprintf(path, sizeof(path), "relations[%zu]", i);
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, path, "must be an object");
	memset(r, 0, sizeof(*r));
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;

		snprintf(fp, sizeof(fp), "%s.%s", path, f->key);
		if (!strcmp(f->key, "listener")) {
			err = parse_who(&r->listener, f, fp, detail, dsz);
			has_l = true;
		}
		else if (!strcmp(f->key, "speaker")) {
			err = parse_who(&r->speaker, f, fp, detail, dsz);
			has_s = true;
		}
		else if (!strcmp(f->key, "hears")) {
			if (f->type != ODICT_BOOL)
				err = bad(detail, dsz, fp, "must be true or "
					  "false");
			else
				hears = f->u.boolean;
		}
		else if (!strcmp(f->key, "gain_db")) {
			if (!get_gain(f, &gain))
				err = bad_gain(detail, dsz, fp);
			has_gain = true;
		}
		else {
			err = bad(detail, dsz, fp, "is unknown");
		}
	}
	if (err)
		return err;
	if (!has_l || !has_s)
		return bad(detail, dsz, path, "needs a %s",
			   has_l ? "speaker" : "listener");
	if (!hears && has_gain) {
		snprintf(fp, sizeof(fp), "%s.gain_db", path);
		return bad(detail, dsz, fp, "makes no sense when hears is "
			   "false");
	}
	/* the floor of the range is silence: one way to say it, so that two
	 * documents that mean the same are equal */
	r->hears = hears && gain > MEDIAPOL_GAIN_MIN_DB;
	r->gain_db = r->hears ? gain : 0;
	return 0;
}

/* "relations" replaces the whole list (in a PATCH too: a list has no
 * keys to merge by) */
static int parse_rels(struct mediapol *p, const struct odict_entry *e,
		      char *detail, size_t dsz)
{
	size_t n = 0, nspecific = 0;
	char path[32];
	int err;

	if (e->type != ODICT_ARRAY)
		return bad(detail, dsz, e->key, "must be an array");
	if (odict_count(e->u.odict, false) > MEDIAPOL_MAX_RELATIONS)
		return bad(detail, dsz, e->key, "may hold at most %d relations",
			   MEDIAPOL_MAX_RELATIONS);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next, n++) {
		const struct mediapol_rel *r = &p->rel[n];

		err = parse_rel(&p->rel[n], le->data, n, detail, dsz);
		if (err)
			return err;
		if (r->speaker.kind != MEDIAPOL_ROLE &&
		    ++nspecific > MEDIAPOL_MAX_SPECIFIC)
			return bad(detail, dsz, e->key, "at most %d relations "
				   "may name their speaker by uri or "
				   "participant (relations[%zu] is one more)",
				   MEDIAPOL_MAX_SPECIFIC, n);
		/* which of the two applies could not be told */
		for (size_t j = 0; j < n; j++) {
			if (!who_same(&p->rel[j].listener, &r->listener) ||
			    !who_same(&p->rel[j].speaker, &r->speaker))
				continue;
			snprintf(path, sizeof(path), "relations[%zu]", n);
			return bad(detail, dsz, path, "the same listener and "
				   "speaker as relations[%zu]", j);
		}
	}
	memset(&p->rel[n], 0, (MEDIAPOL_MAX_RELATIONS - n) * sizeof(p->rel[0]));
	p->nrel = n;
	return 0;
}

static int parse_lecturers(struct mediapol *p, const struct odict_entry *e,
			   char *detail, size_t dsz)
{
	size_t n = 0;
	char path[48];
	int err;

	if (e->type != ODICT_ARRAY)
		return bad(detail, dsz, "lecture.lecturers", "must be an "
			   "array");
	if (odict_count(e->u.odict, false) > MEDIAPOL_MAX_LECTURERS)
		return bad(detail, dsz, "lecture.lecturers", "may hold at "
			   "most %d lecturers", MEDIAPOL_MAX_LECTURERS);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next, n++) {
		snprintf(path, sizeof(path), "lecture.lecturers[%zu]", n);
		err = parse_who(&p->lecturers[n], le->data, path, detail, dsz);
		if (err)
			return err;
	}
	memset(&p->lecturers[n], 0,
	       (MEDIAPOL_MAX_LECTURERS - n) * sizeof(p->lecturers[0]));
	p->nlect = n;
	return 0;
}

/* Members it does not name keep their values (base's in a PATCH, the
 * defaults in a PUT). No lecturers with lecture mode on is allowed:
 * mediapol_lecturer() then takes the moderators and administrators. */
static int parse_lecture(struct mediapol *p, const struct odict_entry *e,
			 char *detail, size_t dsz)
{
	char fp[96];
	int err = 0;

	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, e->key, "must be an object");
	for (struct le *le = e->u.odict->lst.head; le && !err; le = le->next) {
		const struct odict_entry *f = le->data;

		snprintf(fp, sizeof(fp), "lecture.%s", f->key);
		if (!strcmp(f->key, "enabled")) {
			if (f->type != ODICT_BOOL)
				err = bad(detail, dsz, fp, "must be true or "
					  "false");
			else
				p->lecture = f->u.boolean;
		}
		else if (!strcmp(f->key, "lecturers")) {
			err = parse_lecturers(p, f, detail, dsz);
		}
		else {
			err = bad(detail, dsz, fp, "is unknown");
		}
	}
	return err;
}

/* null: sidebars do not hear the main conference (the gain is kept for
 * when they hear it again, and not printed meanwhile) */
static int parse_sidebar(struct mediapol *p, const struct odict_entry *e,
			 char *detail, size_t dsz)
{
	if (e->type == ODICT_NULL) {
		p->sidebar_bg = false;
		return 0;
	}
	if (!get_gain(e, &p->sidebar_bg_db))
		return bad(detail, dsz, e->key, "must be a number from %g to "
			   "%g (dB), or null (sidebars do not hear the main "
			   "conference)", MEDIAPOL_GAIN_MIN_DB,
			   MEDIAPOL_GAIN_MAX_DB);
	p->sidebar_bg = true;
	return 0;
}

static const struct {
	const char *name;
	int (*parse)(struct mediapol *p, const struct odict_entry *e,
		     char *detail, size_t dsz);
} members[] = {
	{"relations", parse_rels},
	{"lecture", parse_lecture},
	{"sidebar_background_db", parse_sidebar},
};

static int parse_member(struct mediapol *p, const struct odict_entry *e,
			char *detail, size_t dsz)
{
	for (size_t i = 0; i < NWORDS(members); i++)
		if (!strcmp(members[i].name, e->key))
			return members[i].parse(p, e, detail, dsz);
	return bad(detail, dsz, e->key, "is unknown");
}

int mediapol_parse(struct mediapol *mp, const struct mediapol *base,
		   const char *json, size_t len, char *detail, size_t dsz)
{
	struct mediapol *p = NULL;    /* built aside: *mp changes only when
				       * all of it is good */
	struct odict *od = NULL;
	size_t i = 0;
	int err;

	while (i < len && isspace((unsigned char)json[i]))
		i++;
	/* libre's decoder takes a top-level array or scalar too; a NUL
	 * would end the strings it makes where the document does not */
	if (i == len || json[i] != '{' || memchr(json, '\0', len))
		return bad(detail, dsz, NULL, "the media policy must be a "
			   "JSON object");
	err = json_decode_odict(&od, 32, json, len, 8);
	if (err == ENOMEM)
		goto out;
	if (err || !od) {
		err = bad(detail, dsz, NULL, "the media policy must be a "
			  "JSON object");
		goto out;
	}
	p = mem_alloc(sizeof(*p), NULL);
	if (!p) {
		err = ENOMEM;
		goto out;
	}
	if (base)
		*p = *base;
	else
		mediapol_default(p);
	for (struct le *le = od->lst.head; le && !err; le = le->next)
		err = parse_member(p, le->data, detail, dsz);
	if (!err)
		*mp = *p;
out:
	/* not the document's fault: it must not be called invalid */
	if (err == ENOMEM && detail && dsz)
		snprintf(detail, dsz, "out of memory");
	mem_deref(p);
	mem_deref(od);
	return err;
}

bool mediapol_names(const struct mediapol_who *who,
		    const struct mediapol_person *p)
{
	if (!who || !p)
		return false;
	switch (who->kind) {
	case MEDIAPOL_ROLE:
		return p->role && !strcmp(p->role, who->value);
	case MEDIAPOL_URI:
		return p->uri && uri_same(p->uri, who->value);
	case MEDIAPOL_PARTICIPANT:
		return p->pid && !strcmp(p->pid, who->value);
	default:
		return false;
	}
}

const struct mediapol_rel *mediapol_relation(const struct mediapol *mp,
					     const struct mediapol_person *l,
					     const struct mediapol_person *s)
{
	const struct mediapol_rel *best = NULL;
	int best_rank = 0;

	for (size_t i = 0; i < mp->nrel; i++) {
		const struct mediapol_rel *r = &mp->rel[i];
		int rank;

		if (!mediapol_names(&r->listener, l) ||
		    !mediapol_names(&r->speaker, s))
			continue;
		/* the listener's kind first, then the speaker's; >=: of two
		 * as specific, the later in the list wins (mediapol_parse
		 * refuses the same pair twice, so only a policy built in
		 * code has such ties) */
		rank = kinds[r->listener.kind].rank * 4 +
			kinds[r->speaker.kind].rank;
		if (rank >= best_rank) {
			best = r;
			best_rank = rank;
		}
	}
	return best;
}

/* With none named, those who run the conference lecture: the moderators
 * (mediapol_default's word) and the administrators, who may do whatever
 * a moderator may */
bool mediapol_lecturer(const struct mediapol *mp,
		       const struct mediapol_person *p)
{
	if (!mp->nlect)
		return p->role && (!strcmp(p->role, "moderator") ||
				   !strcmp(p->role, "administrator"));
	for (size_t i = 0; i < mp->nlect; i++)
		if (mediapol_names(&mp->lecturers[i], p))
			return true;
	return false;
}
