/*
 * The applications' module (apps.h), signalling side: jobs (an
 * announcement, a recording) made here, added to the conference's room
 * in the mixer as applications (mixer.h) and handed to the I/O thread
 * (aio.c) that feeds or drains them. Announcements to the same listeners
 * (everyone in a conference, or one participant) are said one after the
 * other, never over each other; a private one waits until its listener's
 * call has a mixer stream. A timer watches the running jobs every 40 ms
 * and takes the finished ones out of the mixer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "apps/apps_int.h"
#include "conf/conf.h"
#include "conf/part.h"
#include "conf/policy.h"
#include "mixer/mixer.h"
#include "util/log.h"

#define POLL_MS 40
#define PLAY_FRAMES 16             /* an announcement's ring: 320 ms */
#define REC_FRAMES 128             /* a recorder's: 2.5 s */

struct apps_pcm *apps_pcm_new(const int16_t *s, size_t n)
{
	struct apps_pcm *p = malloc(sizeof(*p) + n * sizeof(*s));

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->n = n;
	memcpy(p->s, s, n * sizeof(*s));
	return p;
}

struct apps_pcm *apps_pcm_get(struct apps_pcm *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void apps_pcm_put(struct apps_pcm *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		free(p);
}

static void job_free(struct job *j)
{
	list_unlink(&j->le);
	for (unsigned i = 0; i < j->nitems; i++)
		apps_pcm_put(j->items[i].pcm);
	if (j->stream)
		(void)mixer_stream_remove(j->a->mx, j->stream);
	mixer_app_put(j->app);
	mem_deref(j->conf);
	mem_deref(j->to);
	free(j->pcm);
	free(j);
}

/* Are j's listeners busy with an earlier announcement? */
static bool listeners_busy(const struct apps *a, const struct job *j)
{
	for (struct le *le = a->jobs.head; le && le->data != j;
	     le = le->next) {
		const struct job *o = le->data;

		if (o->kind == JOB_PLAY && o->conf == j->conf &&
		    o->to == j->to)
			return true;
	}
	return false;
}

/* Into the mixer and to the I/O thread, when it may start; false: not
 * yet */
static bool job_start(struct apps *a, struct job *j)
{
	struct mixer_media m;
	uint32_t to = 0;
	int err;

	if (j->kind == JOB_PLAY && listeners_busy(a, j))
		return false;
	if (j->to) {
		to = part_stream(j->to);
		if (!to)
			return false;        /* its call has no stream yet */
	}
	memset(&m, 0, sizeof(m));
	m.room_speakers = (uint8_t)conf_max_speakers(j->conf);
	m.room_hz = conf_mix_rate(j->conf);
	err = mixer_app_add(a->mx, conf_room(j->conf), j->app, to, &m,
			    &j->stream);
	if (err) {
		atomic_store(&j->err, err);
		atomic_store(&j->done, true);
		return true;
	}
	j->handed = true;
	aio_hand(a->io, j);
	return true;
}

static void poll_jobs(void *arg)
{
	struct apps *a = arg;
	struct le *le = a->jobs.head;

	while (le) {
		struct job *j = le->data;
		int err;

		le = le->next;
		if (!j->handed) {
			/* a listener gone, or its conference: dropped */
			if (conf_destroyed(j->conf) ||
			    (j->to && !part_in_conf(j->to))) {
				if (j->doneh)
					j->doneh(j, ECANCELED, j->arg);
				job_free(j);
				continue;
			}
			(void)job_start(a, j);
			continue;
		}
		if (!atomic_load(&j->done)) {
			if (j->to && !part_in_conf(j->to))
				apps_job_stop(j);
			continue;
		}
		err = atomic_load(&j->err);
		if (j->doneh)
			j->doneh(j, err, j->arg);
		job_free(j);
	}
	if (a->jobs.head)
		tmr_start(&a->poll, POLL_MS, poll_jobs, a);
}

/* A job made; the caller fills its request, then job_launch */
static struct job *job_new(struct apps *a, struct conf *c,
			   struct participant *to, enum job_kind kind,
			   job_done_h *doneh, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->app = kind == JOB_PLAY ? mixer_app_new(true, false, PLAY_FRAMES) :
		mixer_app_new(false, true, REC_FRAMES);
	if (!j->app) {
		free(j);
		return NULL;
	}
	j->a = a;
	j->kind = kind;
	j->id = ++a->next_id;
	j->conf = mem_ref(c);
	j->to = mem_ref(to);
	j->doneh = doneh;
	j->arg = arg;
	atomic_init(&j->stop, false);
	atomic_init(&j->done, false);
	atomic_init(&j->err, 0);
	atomic_init(&j->samples, 0);
	re_snprintf(j->lang, sizeof(j->lang), "%s",
		    conf_policy(c)->apps.language);
	return j;
}

static void job_launch(struct apps *a, struct job *j)
{
	list_append(&a->jobs, &j->le, j);
	(void)job_start(a, j);
	if (!tmr_isrunning(&a->poll))
		tmr_start(&a->poll, POLL_MS, poll_jobs, a);
}

int apps_job_play(struct apps *a, struct conf *c, struct participant *to,
		  const struct apps_item *items, unsigned n,
		  job_done_h *doneh, void *arg, uint32_t *idp)
{
	const char *lang = conf_policy(c)->apps.language;
	struct job *j;

	if (!n || n > APPS_ITEMS_MAX)
		return EINVAL;
	for (unsigned i = 0; i < n; i++) {
		size_t len = strnlen(items[i].what, sizeof(items[i].what));

		if (items[i].kind == APPS_PCM) {
			if (!items[i].pcm)
				return EINVAL;
			continue;
		}
		if (!len || len == sizeof(items[i].what))
			return E2BIG;
		if (items[i].kind == APPS_PROMPT &&
		    !apps_prompt_exists(a, items[i].what, lang))
			return ENOENT;
		if (items[i].kind == APPS_TONE &&
		    !prompt_is_tone(items[i].what))
			return ENOENT;
	}
	if (conf_destroyed(c) || (to && !part_in_conf(to)))
		return ENOENT;
	/* a tone already waiting to be played to the same listeners is
	 * not queued again: a hundred joins in a second are one entry
	 * tone, not a minute of them */
	for (struct le *le = a->jobs.head;
	     n == 1 && !doneh && items[0].kind == APPS_TONE && le;
	     le = le->next) {
		const struct job *o = le->data;

		if (o->kind == JOB_PLAY && !o->handed && o->conf == c &&
		    o->to == to && o->nitems == 1 &&
		    o->items[0].kind == items[0].kind &&
		    !strcmp(o->items[0].what, items[0].what)) {
			if (idp)
				*idp = o->id;
			return 0;
		}
	}
	j = job_new(a, c, to, JOB_PLAY, doneh, arg);
	if (!j)
		return ENOMEM;
	memcpy(j->items, items, n * sizeof(*items));
	for (unsigned i = 0; i < n; i++)
		j->items[i].pcm = items[i].kind == APPS_PCM ?
			apps_pcm_get(items[i].pcm) : NULL;
	j->nitems = n;
	if (idp)
		*idp = j->id;
	job_launch(a, j);
	return 0;
}

int apps_say(struct apps *a, struct conf *c, struct participant *to,
	     const char *prompt, job_done_h *doneh, void *arg)
{
	struct apps_item it = {.kind = APPS_PROMPT};

	re_snprintf(it.what, sizeof(it.what), "%s", prompt);
	if (prompt_is_tone(prompt))
		it.kind = APPS_TONE;
	log_dbg("apps", "msg=\"say\" conf=%s to=%s prompt=%s", conf_id(c),
		to ? part_id(to) : "all", prompt);
	return apps_job_play(a, c, to, &it, 1, doneh, arg, NULL);
}

int apps_say_text(struct apps *a, struct conf *c, struct participant *to,
		  const char *text)
{
	struct apps_item it = {.kind = APPS_TEXT};

	re_snprintf(it.what, sizeof(it.what), "%s", text);
	return apps_job_play(a, c, to, &it, 1, NULL, NULL, NULL);
}

int apps_announce(struct apps *a, struct conf *c, struct participant *to,
		  const struct apps_item *items, unsigned n, uint32_t *idp)
{
	return apps_job_play(a, c, to, items, n, NULL, NULL, idp);
}

bool apps_prompt_exists(const struct apps *a, const char *name,
			const char *lang)
{
	char path[600];

	if (!prompt_name_valid(name))
		return false;
	return prompt_text(name) ||
		!prompt_file(a->prompts_dir, name, lang, path, sizeof(path));
}

struct job *apps_job_rec(struct apps *a, struct conf *c,
			 struct participant *to, const char *path,
			 enum media_rec_format fmt, size_t cap,
			 job_done_h *doneh, void *arg)
{
	struct job *j = job_new(a, c, to, JOB_REC, doneh, arg);

	if (!j)
		return NULL;
	re_snprintf(j->path, sizeof(j->path), "%s", path);
	j->cap = cap;
	re_snprintf(j->title, sizeof(j->title), "%s",
		    conf_display_text(c) && conf_display_text(c)[0] ?
		    conf_display_text(c) : conf_id(c));
	j->format = fmt;
	job_launch(a, j);
	return j;
}

void apps_jobs_forget(struct apps *a, void *arg)
{
	for (struct le *le = a->jobs.head; le; le = le->next) {
		struct job *j = le->data;

		if (j->arg == arg)
			j->doneh = NULL;
	}
}

void apps_job_stop(struct job *j)
{
	atomic_store(&j->stop, true);
}

void apps_counts(const struct apps *a, unsigned *playing,
		 unsigned *recording)
{
	*playing = *recording = 0;
	for (struct le *le = a->jobs.head; le; le = le->next) {
		const struct job *j = le->data;

		if (j->kind == JOB_PLAY)
			(*playing)++;
		else
			(*recording)++;
	}
}

static void conf_change(struct conf *c, bool destroyed, void *arg)
{
	struct apps *a = arg;

	keypad_conf_changed(a, c, destroyed);
	record_conf_changed(a, c, destroyed);
}

static void apps_destructor(void *arg)
{
	struct apps *a = arg;

	tmr_cancel(&a->poll);
	confs_remove_change_handler(a->cs, conf_change, a);
	confs_set_dtmf_handler(a->cs, NULL, NULL);
	confs_set_breakout_handler(a->cs, NULL, NULL);
	/* the thread ends first: recordings are closed with what they
	 * heard, then every job is over */
	aio_stop(a->io);
	while (a->jobs.head) {
		struct job *j = a->jobs.head->data;

		if (j->doneh)
			j->doneh(j, ECANCELED, j->arg);
		job_free(j);
	}
	keypad_free(a);
	mem_deref(a->caller_by);
	record_free(a);
	mem_deref(a->prompts_dir);
	mem_deref(a->cache_dir);
	mem_deref(a->recordings_dir);
	mem_deref(a->operator_uri);
}

static int dup_cfg(char **dst, const char *s)
{
	*dst = NULL;
	return s && s[0] ? str_dup(dst, s) : 0;
}

/* Breakouts ended (conf_breakout_end): everyone is back, and told so */
static void breakout_over(struct conf *c, void *arg)
{
	(void)apps_say(arg, c, NULL, "breakout-over", NULL, NULL);
}

int apps_alloc(struct apps **ap, const struct apps_cfg *cfg,
	       struct confs *cs, struct mixer *mx)
{
	struct apps *a = mem_zalloc(sizeof(*a), apps_destructor);
	int err;

	if (!a)
		return ENOMEM;
	a->cs = cs;
	a->mx = mx;
	tmr_init(&a->poll);
	err = dup_cfg(&a->prompts_dir, cfg->prompts_dir);
	err = err ? err : dup_cfg(&a->cache_dir, cfg->cache_dir);
	err = err ? err : dup_cfg(&a->recordings_dir, cfg->recordings_dir);
	err = err ? err : dup_cfg(&a->operator_uri, cfg->operator_uri);
	if (err) {
		mem_deref(a);
		return err;
	}
	a->cfg = *cfg;
	a->cfg.prompts_dir = a->prompts_dir;
	a->cfg.cache_dir = a->cache_dir;
	a->cfg.recordings_dir = a->recordings_dir;
	a->cfg.operator_uri = a->operator_uri;
	if (!a->cfg.pin_tries)
		a->cfg.pin_tries = 3;
	if (!a->cfg.pin_timeout_s)
		a->cfg.pin_timeout_s = 30;
	err = hash_alloc(&a->caller_by, 4096);
	err = err ? err : aio_start(&a->io, a);
	if (err) {
		mem_deref(a);
		return err;
	}
	err = confs_add_change_handler(cs, conf_change, a);
	if (err) {
		mem_deref(a);
		return err;
	}
	confs_set_dtmf_handler(cs, keypad_dtmf, a);
	confs_set_breakout_handler(cs, breakout_over, a);
	*ap = a;
	return 0;
}
