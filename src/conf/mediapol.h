/*
 * A conference's media policy (spec s. 4.6, 5.6): who hears whom and how
 * loud. Everyone hears everyone at full level unless a relation says
 * otherwise; relations are exceptions between a listener and a speaker,
 * each named by role, by URI (AoR) or by participant id, and the most
 * specific one wins (participant before URI before role, the listener
 * first). Lecture mode: only the lecturers (and whoever a moderator gives
 * the floor) are heard. Sidebars hear the main conference in the
 * background at a gain, or not at all.
 *
 * Pure data and functions like policy.h: the document is parsed strictly
 * (a bad field is named, nothing is partly applied) and printed back as
 * JSON; conf.c applies it to the participants (conf_part_mix()).
 */
#ifndef CAUCUS_MEDIAPOL_H
#define CAUCUS_MEDIAPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

#define MEDIAPOL_MAX_RELATIONS 64
/* relations whose speaker is one person (by URI or participant id):
 * the mixer keeps them per listener, so they are few */
#define MEDIAPOL_MAX_SPECIFIC 16
#define MEDIAPOL_MAX_LECTURERS 16
/* a gain at or below this is "does not hear" */
#define MEDIAPOL_GAIN_MIN_DB -60.0
#define MEDIAPOL_GAIN_MAX_DB 12.0

/* Whom a relation names */
enum mediapol_kind { MEDIAPOL_ROLE, MEDIAPOL_URI, MEDIAPOL_PARTICIPANT };
struct mediapol_who {
	enum mediapol_kind kind;
	char value[128];      /* a role (administrator, moderator,
			       * participant, listener), an AoR, or a
			       * participant id */
};

struct mediapol_rel {
	struct mediapol_who listener, speaker;
	bool hears;           /* false: the listener does not hear them */
	double gain_db;       /* when it hears: at this gain (0: as usual) */
};

struct mediapol {
	struct mediapol_rel rel[MEDIAPOL_MAX_RELATIONS];
	size_t nrel;
	bool lecture;         /* only the lecturers (and the floor) heard */
	struct mediapol_who lecturers[MEDIAPOL_MAX_LECTURERS];
	size_t nlect;
	/* the main conference heard in a sidebar: the default of new
	 * sidebars (each sidebar has its own) */
	bool sidebar_bg;      /* false: not at all */
	double sidebar_bg_db;
};

/* Everyone hears everyone; no lecture; sidebars hear the main
 * conference at -12 dB; lecturers (when lecture mode is turned on
 * without naming any): the moderators and administrators */
void mediapol_default(struct mediapol *mp);
/* A media policy document (JSON object) into *mp. EINVAL with the field
 * and why in detail (*mp untouched); with base, members the document does
 * not name keep base's values (PATCH), else the defaults (PUT). */
int  mediapol_parse(struct mediapol *mp, const struct mediapol *base,
		    const char *json, size_t len, char *detail, size_t dsz);
/* As JSON (re_printf %H) */
int  mediapol_print(struct re_printf *pf, const struct mediapol *mp);
/* A gain in whole millidecibels, clamped to the range (what prints and
 * parses back exactly: libre's JSON decoder does not round decimals
 * correctly), and printed so (re_printf %H) */
long mediapol_mdb(double db);
int  mediapol_print_db(struct re_printf *pf, const double *db);
bool mediapol_equal(const struct mediapol *a, const struct mediapol *b);

/* One person, for the questions below */
struct mediapol_person {
	const char *role, *uri, *pid;
};
/* Does who name the person? */
bool mediapol_names(const struct mediapol_who *who,
		    const struct mediapol_person *p);
/* The relation that decides how listener hears speaker (the most
 * specific one naming both: the listener's kind first, then the
 * speaker's), or NULL: as usual */
const struct mediapol_rel *mediapol_relation(const struct mediapol *mp,
					     const struct mediapol_person *l,
					     const struct mediapol_person *s);
/* Is the person a lecturer (lecture mode on or not) */
bool mediapol_lecturer(const struct mediapol *mp,
		       const struct mediapol_person *p);

#endif
