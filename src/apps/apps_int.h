/* Private to the applications' module: the jobs (an announcement or a
 * recording), the I/O thread that feeds and drains them (aio.c), the
 * prompts (prompts.c), the callers' keypad state and the entry and exit
 * announcements (keypad.c), the PIN lobby, names and the dial-in lobby
 * (lobby.c), recording (record.c) and the module (apps.c). */
#ifndef CAUCUS_APPS_INT_H
#define CAUCUS_APPS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <re.h>
#include "apps/apps.h"
#include "conf/policy.h"
#include "media/media.h"

struct aio;
struct job;

/* Called on the signalling thread when a job is over (err: 0, or why it
 * stopped) */
typedef void (job_done_h)(struct job *j, int err, void *arg);

enum job_kind { JOB_PLAY, JOB_REC };

struct job {
	struct le le;              /* in apps.jobs (signalling side) */
	struct apps *a;
	uint32_t id;
	enum job_kind kind;
	struct conf *conf;         /* a reference */
	struct participant *to;    /* a reference; NULL: everyone */
	struct mixer_app *app;
	uint32_t stream;           /* in the mixer (0: not added yet) */
	bool handed;               /* given to the I/O thread */
	job_done_h *doneh;
	void *arg;
	/* the request, written before it is handed over, then read only */
	struct apps_item items[APPS_ITEMS_MAX];
	unsigned nitems;
	char lang[16];
	char path[512];            /* JOB_REC: the file ("": into pcm,
				    * at most cap samples: a name) */
	size_t cap;
	enum media_rec_format format;
	char title[128];
	/* shared with the I/O thread */
	atomic_bool stop;          /* signalling asks it to end */
	atomic_bool done;          /* the I/O thread has let go of it */
	atomic_int err;
	_Atomic uint64_t samples;
	/* the I/O thread's own */
	struct job *io_next;
	int16_t *pcm;
	size_t n, pos;
	struct media_rec *rec;
};

struct apps {
	struct apps_cfg cfg;       /* its strings are the copies below */
	char *prompts_dir, *cache_dir, *recordings_dir, *operator_uri;
	struct confs *cs;
	struct mixer *mx;
	struct aio *io;
	struct list jobs;          /* struct job, in the order asked */
	struct tmr poll;           /* while jobs run */
	uint32_t next_id;
	struct list callers;       /* struct caller (keypad.c) */
	struct hash *caller_by;    /* the same by participant */
	struct list recs;          /* struct rec (record.c) */
};

/* aio.c: the I/O thread. start: renders the built-in prompts of lang
 * that are not cached yet (progress in the log) */
int  aio_start(struct aio **iop, const struct apps *a);
void aio_stop(struct aio *io);
void aio_hand(struct aio *io, struct job *j);

/* prompts.c: the built-in prompts (their English text; NULL: none),
 * tones, and where a prompt's file is */
const char *prompt_text(const char *name);
const char *prompt_name(unsigned i);     /* NULL past the last */
/* Is name one of the tones? Its samples at MEDIA_APP_HZ (malloc'd);
 * ENOENT: no such tone */
bool prompt_is_tone(const char *name);
int  prompt_tone(const char *name, int16_t **pcm, size_t *n);
/* The file of a prompt in the prompts folder (0: found) */
int  prompt_file(const char *dir, const char *name, const char *lang,
		 char *path, size_t psz);
bool prompt_name_valid(const char *name);

/* apps.c: a job made, queued and started when its listeners are free;
 * what is said (items), to whom */
int  apps_job_play(struct apps *a, struct conf *c, struct participant *to,
		   const struct apps_item *items, unsigned n,
		   job_done_h *doneh, void *arg, uint32_t *idp);
/* a prompt by name, privately or to all, with a handler */
int  apps_say(struct apps *a, struct conf *c, struct participant *to,
	      const char *prompt, job_done_h *doneh, void *arg);
int  apps_say_text(struct apps *a, struct conf *c, struct participant *to,
		   const char *text);
/* A recording of c's mix (to NULL) or of one participant's voice, into
 * path (or, path "", into memory: at most cap samples, in j->pcm and
 * j->n when it is done) */
struct job *apps_job_rec(struct apps *a, struct conf *c,
			 struct participant *to, const char *path,
			 enum media_rec_format fmt, size_t cap,
			 job_done_h *doneh, void *arg);
/* Audio shared by reference between announcements (a recorded name):
 * made with n samples of room, any thread lets go */
struct apps_pcm {
	_Atomic int refs;
	size_t n;
	int16_t s[];
};
struct apps_pcm *apps_pcm_new(const int16_t *s, size_t n);
struct apps_pcm *apps_pcm_get(struct apps_pcm *p);
void apps_pcm_put(struct apps_pcm *p);
void apps_job_stop(struct job *j);
/* The jobs whose handler would be called with arg (a caller that went)
 * call none */
void apps_jobs_forget(struct apps *a, void *arg);

/* A caller's keypad and lobby state (keypad.c, lobby.c) */
struct caller {
	struct le le;              /* in apps.callers */
	struct le he;              /* in apps.caller_by by participant */
	struct apps *a;
	struct participant *p;     /* a reference */
	char keys[4];              /* a sequence being keyed */
	struct tmr key_tmr;
	char digits[POLICY_PIN_MAX + 1];   /* a PIN being keyed */
	unsigned tries;
	struct tmr pin_tmr;
	bool lobby_started;        /* asked for its PIN */
	bool leaving;              /* said goodbye: no more keys */
	bool announced;            /* its entry was announced */
	bool told_wait;            /* told to wait for a moderator */
	bool naming;               /* its name is being recorded */
	struct apps_pcm *name;     /* its name as it said it, or NULL */
};

/* keypad.c: digits, entry and exit announcements. present: connected,
 * and neither hidden, waiting nor in the lobby (whom others count and
 * hear) */
bool keypad_present(const struct participant *p);
void keypad_dtmf(struct participant *p, char digit, void *arg);
void keypad_conf_changed(struct apps *a, struct conf *c, bool destroyed);
void keypad_free(struct apps *a);
/* lobby.c: asks for the PIN (or, in the dial-in lobby, the number; or
 * the name); a digit keyed in the lobby */
void lobby_start(struct caller *k);
void lobby_digit(struct caller *k, char d);
/* keypad.c: the speakable name of a participant into an item (its
 * recorded name, else its display name spoken) */
void keypad_name_item(struct apps *a, const struct participant *p,
		      struct apps_item *it);
/* record.c: a participant present now gets its own track */
void record_tracks(struct apps *a, struct conf *c);

/* record.c */
void record_conf_changed(struct apps *a, struct conf *c, bool destroyed);
bool record_on(const struct apps *a, const struct conf *c);
/* A moderator's keypad action (keypad_mod.c; enum policy_key_action) */
void keypad_moderator(struct caller *k, int act);
void record_free(struct apps *a);

#endif
