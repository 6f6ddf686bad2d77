/*
 * Conference applications (spec s. 5.10): announcements and prompts, the
 * PIN lobby and the dial-in lobby, keypad commands, roll call and
 * recording. Each is a participant of the mixer (mixer.h's applications:
 * a stream that plays into the mix or hears it), so the room's rules
 * decide who hears it; files are read and written, and speech rendered,
 * by one I/O thread of this module, never on a mixer thread. Everything
 * here but that thread runs on the signalling thread.
 */
#ifndef CAUCUS_APPS_H
#define CAUCUS_APPS_H

#include <stdbool.h>
#include <stdint.h>

struct apps;
struct confs;
struct conf;
struct mixer;
struct participant;
struct re_printf;

struct apps_cfg {
	const char *prompts_dir;   /* <dir>/<lang>/<name>.wav|.ogg, then
				    * <dir>/<name>.*; NULL or "": none
				    * (the built-in spoken set only) */
	const char *cache_dir;     /* rendered speech kept as WAV files
				    * (NULL or "": in memory only) */
	const char *recordings_dir;   /* <dir>/<conference>/<id>.ogg */
	const char *operator_uri;  /* the keypad's "operator" dials it
				    * into the conference ("": none) */
	uint32_t pin_timeout_s;    /* to key a PIN or a number */
	uint32_t pin_tries;        /* wrong ones before goodbye */
};

int  apps_alloc(struct apps **ap, const struct apps_cfg *cfg,
		struct confs *cs, struct mixer *mx);

/* Announcements: what is said, in order (up to APPS_ITEMS_MAX items) */
#define APPS_ITEMS_MAX 8
enum apps_item_kind { APPS_PROMPT, APPS_TEXT, APPS_TONE, APPS_PCM };
struct apps_pcm;
struct apps_item {
	enum apps_item_kind kind;
	char what[256];            /* a prompt's or tone's name, or text */
	struct apps_pcm *pcm;      /* APPS_PCM: audio (a recorded name) */
};
/* Says items in conference c, to everyone or to one participant (to;
 * NULL: everyone), after whatever is being said to the same listeners.
 * ENOENT: no such prompt (its name is in no file and not built in);
 * E2BIG: a text too long; *idp: the announcement's number. */
int  apps_announce(struct apps *a, struct conf *c, struct participant *to,
		   const struct apps_item *items, unsigned n, uint32_t *idp);
/* The prompts as JSON (re_printf %H, arg: the apps): the built-in ones
 * with their words, the tones, the files of the prompts folder (with
 * their language folder) */
int  apps_prompt_list(struct re_printf *pf, void *arg);
/* Is name a prompt (a file of the prompts folder or a built-in one)? */
bool apps_prompt_exists(const struct apps *a, const char *name,
			const char *lang);

/* Recording (the conference's mix) into recordings_dir. start: EALREADY
 * when one is on, the file system's error when its folder cannot be
 * made; format "" or NULL:
 * the policy's; tracks: also one file per participant (its own voice,
 * <id>-<participant>.ogg), for everyone present and whoever joins. stop:
 * ENOENT when rid is not the one on. */
int  apps_record_start(struct apps *a, struct conf *c, const char *format,
		       bool tracks, char *rid, size_t rsz);
int  apps_record_stop(struct apps *a, struct conf *c, const char *rid);
/* The recordings of c as a JSON array (re_printf %H), newest first */
int  apps_record_list(struct re_printf *pf, void *arg);
struct apps_rec_list {
	const struct apps *a;
	const struct conf *c;
	const char *rid;           /* only this one, as an object */
};
/* The file of recording rid of c (for its download): ENOENT when there
 * is none, EBUSY while it is being written */
int  apps_record_path(const struct apps *a, const struct conf *c,
		      const char *rid, char *path, size_t psz,
		      const char **ctype);
/* How many announcements and recordings are running (for /v1/status) */
void apps_counts(const struct apps *a, unsigned *playing,
		 unsigned *recording);

#endif
