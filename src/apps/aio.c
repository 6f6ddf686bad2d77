/*
 * The applications' I/O thread: everything that reads or writes a file,
 * or renders speech, so that neither the signalling thread nor a mixer
 * thread ever waits on a disk or on espeak-ng (ARCHITECTURE.md). It takes
 * jobs from the signalling thread (an inbox under a mutex), and every
 * 20 ms keeps each announcement's ring a few frames ahead of the mixer
 * and drains each recorder's ring into its file. A job it is done with
 * is marked done and never touched again; the signalling thread then
 * takes it out of the mixer and frees it.
 *
 * Prompts and speech are rendered once: in memory (up to CACHE_MAX
 * samples, then forgotten and made again), and speech also as a WAV file
 * in the cache folder, so a restart does not render it again. At start
 * the thread renders the built-in prompts in the default language that
 * are not cached yet, and logs its progress.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "apps/apps_int.h"
#include "mixer/mixer.h"
#include "util/hashhex.h"
#include "util/log.h"

#define AHEAD 6                  /* frames queued before the mixer */
#define CACHE_MAX (16u * 60 * MEDIA_APP_HZ)   /* 16 minutes of audio */

struct cached {
	struct cached *next;
	char key[HASHHEX_MAX];
	int16_t *pcm;
	size_t n;
};

struct aio {
	pthread_t tid;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	bool run;                  /* under mtx */
	struct job *inbox;         /* under mtx, newest first */
	/* the thread's own */
	struct job *active;
	struct cached *cache;
	size_t cached_n;
	char *prompts_dir, *cache_dir;
	char lang[16];
};

static void cache_flush(struct aio *io)
{
	while (io->cache) {
		struct cached *c = io->cache;

		io->cache = c->next;
		free(c->pcm);
		free(c);
	}
	io->cached_n = 0;
}

static const struct cached *cache_find(const struct aio *io, const char *key)
{
	for (const struct cached *c = io->cache; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

/* Keeps pcm (taken over; freed when it cannot be kept) */
static const struct cached *cache_put(struct aio *io, const char *key,
				      int16_t *pcm, size_t n)
{
	struct cached *c;

	if (io->cached_n + n > CACHE_MAX)
		cache_flush(io);
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(pcm);
		return NULL;
	}
	strcpy(c->key, key);
	c->pcm = pcm;
	c->n = n;
	c->next = io->cache;
	io->cache = c;
	io->cached_n += n;
	return c;
}

/* Speech of text in lang: the memory cache, the cache folder, or
 * espeak-ng (then kept in both) */
static int speech(struct aio *io, const char *text, const char *lang,
		  const struct cached **out)
{
	char key[HASHHEX_MAX], path[600];
	int16_t *pcm = NULL;
	size_t n = 0;
	int err;

	if (hashhex_printf(HASHHEX_SHA256, key, "tts\n%s\n%s", lang, text))
		return ENOMEM;
	*out = cache_find(io, key);
	if (*out)
		return 0;
	if (io->cache_dir) {
		re_snprintf(path, sizeof(path), "%s/%s.wav", io->cache_dir,
			    key);
		if (!media_audio_file_load(path, &pcm, &n)) {
			*out = cache_put(io, key, pcm, n);
			return *out ? 0 : ENOMEM;
		}
	}
	err = media_tts_render(text, lang, &pcm, &n);
	if (err)
		return err;
	if (io->cache_dir) {
		struct media_rec *r;
		char tmp[620];

		/* written whole, then renamed: never half a file */
		re_snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if (!media_rec_open(&r, tmp, MEDIA_REC_WAV, MEDIA_APP_HZ,
				    NULL)) {
			int werr = media_rec_write(r, pcm, n);

			if (!media_rec_close(r, NULL) && !werr)
				(void)rename(tmp, path);
			else
				(void)remove(tmp);
		}
	}
	*out = cache_put(io, key, pcm, n);
	return *out ? 0 : ENOMEM;
}

/* A prompt: its file in the prompts folder, else its built-in words */
static int prompt(struct aio *io, const char *name, const char *lang,
		  const struct cached **out)
{
	char key[HASHHEX_MAX], path[600];
	int16_t *pcm;
	size_t n;

	if (!prompt_file(io->prompts_dir, name, lang, path, sizeof(path))) {
		if (hashhex_printf(HASHHEX_SHA256, key, "file\n%s", path))
			return ENOMEM;
		*out = cache_find(io, key);
		if (*out)
			return 0;
		if (!media_audio_file_load(path, &pcm, &n)) {
			*out = cache_put(io, key, pcm, n);
			return *out ? 0 : ENOMEM;
		}
		log_warn("apps", "msg=\"prompt file unreadable, the built-in "
			 "one is used\" path=%s", path);
	}
	if (!prompt_text(name))
		return ENOENT;
	return speech(io, prompt_text(name), "en", out);
}

/* All of a job's items as one buffer, with 200 ms between items */
static int render(struct aio *io, struct job *j)
{
	const size_t gap = MEDIA_APP_HZ / 5;
	int16_t *all = NULL;
	size_t n = 0;

	for (unsigned i = 0; i < j->nitems; i++) {
		const struct apps_item *it = &j->items[i];
		const struct cached *c = NULL;
		int16_t *tone = NULL, *v;
		size_t tn = 0, add;
		int err;

		if (it->kind == APPS_PCM) {
			tone = malloc((it->pcm->n ? it->pcm->n : 1) *
				      sizeof(*tone));
			err = tone ? 0 : ENOMEM;
			if (tone) {
				memcpy(tone, it->pcm->s,
				       it->pcm->n * sizeof(*tone));
				tn = it->pcm->n;
			}
		}
		else if (it->kind == APPS_TONE)
			err = prompt_tone(it->what, &tone, &tn);
		else if (it->kind == APPS_PROMPT)
			err = prompt(io, it->what, j->lang, &c);
		else
			err = speech(io, it->what, j->lang, &c);
		if (err) {
			log_warn("apps", "msg=\"announcement item not "
				 "rendered\" item=\"%s\" err=\"%m\"",
				 it->what, err);
			continue;
		}
		add = (c ? c->n : tn) + (n ? gap : 0);
		v = realloc(all, (n + add) * sizeof(*v));
		if (!v) {
			free(tone);
			free(all);
			return ENOMEM;
		}
		all = v;
		if (n) {
			memset(all + n, 0, gap * sizeof(*all));
			n += gap;
		}
		memcpy(all + n, c ? c->pcm : tone,
		       (c ? c->n : tn) * sizeof(*all));
		n += c ? c->n : tn;
		free(tone);
	}
	j->pcm = all;
	j->n = n;
	j->pos = 0;
	return 0;
}

/* A job the thread takes up: rendered, or its file opened */
static void begin(struct aio *io, struct job *j)
{
	int err;

	if (j->kind == JOB_PLAY) {
		err = render(io, j);
	}
	else if (!j->path[0]) {
		/* into memory (a name) */
		j->pcm = malloc((j->cap ? j->cap : 1) * sizeof(*j->pcm));
		j->n = 0;
		err = j->pcm ? 0 : ENOMEM;
	}
	else {
		err = media_rec_open(&j->rec, j->path, j->format,
				     MEDIA_APP_HZ, j->title);
		if (err)
			log_warn("apps", "msg=\"recording not started\" "
				 "path=%s err=\"%m\"", j->path, err);
	}
	atomic_store(&j->err, err);
}

/* One pass over a job; true when it is over */
static bool step(struct job *j)
{
	int16_t frame[MIXER_APP_FRAME];

	if (atomic_load(&j->err))
		return true;
	if (j->kind == JOB_PLAY) {
		if (atomic_load(&j->stop))
			return true;
		while (j->pos < j->n && mixer_app_queued(j->app) < AHEAD) {
			size_t k = j->n - j->pos;

			if (k > MIXER_APP_FRAME)
				k = MIXER_APP_FRAME;
			memset(frame, 0, sizeof(frame));
			memcpy(frame, j->pcm + j->pos, k * sizeof(*frame));
			if (!mixer_app_play(j->app, frame))
				break;
			j->pos += k;
		}
		/* over once the mixer has taken the last frame */
		return j->pos >= j->n && !mixer_app_queued(j->app);
	}
	while (!j->rec && mixer_app_take(j->app, frame)) {
		size_t k = j->cap - j->n;

		if (k > MIXER_APP_FRAME)
			k = MIXER_APP_FRAME;
		memcpy(j->pcm + j->n, frame, k * sizeof(*frame));
		j->n += k;
		atomic_fetch_add(&j->samples, k);
		if (j->n == j->cap)
			return true;
	}
	while (j->rec && mixer_app_take(j->app, frame)) {
		int err = media_rec_write(j->rec, frame, MIXER_APP_FRAME);

		if (err) {
			atomic_store(&j->err, err);
			return true;
		}
		atomic_fetch_add(&j->samples, MIXER_APP_FRAME);
	}
	return atomic_load(&j->stop);
}

/* A job let go: its file closed, its samples freed; done is the last
 * thing the thread does with it */
static void finish(struct job *j)
{
	/* (what a job recorded into memory stays, for its owner) */
	if (j->kind == JOB_PLAY) {
		free(j->pcm);
		j->pcm = NULL;
	}
	if (j->rec) {
		uint64_t n = 0;
		int err = media_rec_close(j->rec, &n);

		/* (what the file holds: less after a failed write) */
		atomic_store(&j->samples, n);
		j->rec = NULL;
		if (err && !atomic_load(&j->err))
			atomic_store(&j->err, err);
	}
	atomic_store(&j->done, true);
}

static void prerender(struct aio *io)
{
	unsigned total = 0, made = 0;
	const struct cached *c;
	time_t last = time(NULL);

	while (prompt_name(total))
		total++;
	for (unsigned i = 0; i < total; i++) {
		if (!prompt(io, prompt_name(i), io->lang, &c))
			made++;
		if (time(NULL) != last) {
			last = time(NULL);
			log_info("apps", "msg=\"rendering the built-in "
				 "prompts\" done=%u of=%u", i + 1, total);
		}
		pthread_mutex_lock(&io->mtx);
		bool run = io->run;
		pthread_mutex_unlock(&io->mtx);
		if (!run)
			return;
	}
	log_info("apps", "msg=\"prompts ready\" prompts=%u of=%u", made,
		 total);
}

static void *aio_main(void *arg)
{
	struct aio *io = arg;

	prerender(io);
	pthread_mutex_lock(&io->mtx);
	while (io->run || io->active) {
		struct job *in = io->inbox, **pp;
		struct timespec ts;

		io->inbox = NULL;
		pthread_mutex_unlock(&io->mtx);
		/* the oldest first */
		while (in) {
			struct job *j = in, **tail = &io->active;

			in = j->io_next;
			begin(io, j);
			while (*tail)
				tail = &(*tail)->io_next;
			j->io_next = NULL;
			*tail = j;
		}
		for (pp = &io->active; *pp;) {
			struct job *j = *pp;

			if (step(j)) {
				*pp = j->io_next;
				finish(j);
			}
			else {
				pp = &j->io_next;
			}
		}
		pthread_mutex_lock(&io->mtx);
		if (!io->run) {
			/* stopping: recordings end with what they heard */
			for (struct job *j = io->active; j; j = j->io_next)
				atomic_store(&j->stop, true);
			continue;
		}
		if (io->inbox)
			continue;
		if (!io->active) {
			pthread_cond_wait(&io->cv, &io->mtx);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_nsec -= 1000000000;
			ts.tv_sec++;
		}
		pthread_cond_timedwait(&io->cv, &io->mtx, &ts);
	}
	pthread_mutex_unlock(&io->mtx);
	cache_flush(io);
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

int aio_start(struct aio **iop, const struct apps *a)
{
	struct aio *io = calloc(1, sizeof(*io));
	int err;

	if (!io)
		return ENOMEM;
	pthread_mutex_init(&io->mtx, NULL);
	pthread_cond_init(&io->cv, NULL);
	io->run = true;
	io->prompts_dir = dup_or_null(a->cfg.prompts_dir);
	io->cache_dir = dup_or_null(a->cfg.cache_dir);
	strcpy(io->lang, "en");
	if (io->cache_dir && mkdir(io->cache_dir, 0755) && errno != EEXIST) {
		log_warn("apps", "msg=\"no speech cache folder: speech is "
			 "kept in memory only\" dir=%s err=\"%m\"",
			 io->cache_dir, errno);
		free(io->cache_dir);
		io->cache_dir = NULL;
	}
	err = pthread_create(&io->tid, NULL, aio_main, io);
	if (!err)          /* for top -H and perf: which thread is which */
		(void)pthread_setname_np(io->tid, "caucus-appsio");
	if (err) {
		free(io->prompts_dir);
		free(io->cache_dir);
		free(io);
		return err;
	}
	*iop = io;
	return 0;
}

void aio_stop(struct aio *io)
{
	if (!io)
		return;
	pthread_mutex_lock(&io->mtx);
	io->run = false;
	pthread_cond_signal(&io->cv);
	pthread_mutex_unlock(&io->mtx);
	pthread_join(io->tid, NULL);
	/* jobs handed over but never taken up */
	for (struct job *j = io->inbox; j; j = j->io_next)
		atomic_store(&j->done, true);
	pthread_mutex_destroy(&io->mtx);
	pthread_cond_destroy(&io->cv);
	free(io->prompts_dir);
	free(io->cache_dir);
	free(io);
}

void aio_hand(struct aio *io, struct job *j)
{
	pthread_mutex_lock(&io->mtx);
	j->io_next = io->inbox;
	io->inbox = j;
	pthread_cond_signal(&io->cv);
	pthread_mutex_unlock(&io->mtx);
}
