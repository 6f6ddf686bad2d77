/*
 * Recording a conference: its mix, as every listener hears it, written by
 * the I/O thread to <recordings_dir>/<conference>/<id>.ogg (or .wav).
 * Started and stopped by the API, the keypad or the policy (automatic:
 * from the first caller present until the last leaves); at most one per
 * conference at a time. The conference's state says while it records (a
 * service URI with purpose "recording" in RFC 4575, the API, the event
 * stream). A recording that cannot be written (disk full, a folder that
 * went away) stops with a warning and an event; the conference goes on.
 * Past recordings are listed from the folder, this run's with their
 * state.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "apps/apps_int.h"
#include "conf/conf.h"
#include "conf/part.h"
#include "conf/policy.h"
#include "util/json.h"
#include "util/log.h"

#define RECS_KEPT 200            /* this run's finished ones remembered */

enum rec_state { REC_ON, REC_STOPPING, REC_DONE, REC_FAILED };
static const char *const state_names[] = {"recording", "stopping",
					  "stopped", "failed"};

/* A participant's own track of a recording */
struct track {
	struct le le;              /* in rec.tracks */
	struct rec *r;
	struct participant *p;     /* a reference, while recorded */
	struct job *job;           /* while recorded */
	char pid[12];
};

struct rec {
	struct le le;              /* in apps.recs, newest first */
	struct apps *a;
	bool tracks;               /* one file per participant too */
	struct list tl;            /* struct track */
	char conf_id[72];
	char rid[32];
	enum media_rec_format fmt;
	enum rec_state state;
	bool auto_started;
	int64_t started, stopped;  /* unix seconds */
	uint64_t samples;
	int err;
	struct job *job;           /* while on */
};

static bool tracks_running(const struct rec *r)
{
	for (struct le *le = r->tl.head; le; le = le->next)
		if (((struct track *)le->data)->job)
			return true;
	return false;
}

static void rec_free(struct rec *r)
{
	while (r->tl.head) {
		struct track *t = r->tl.head->data;

		list_unlink(&t->le);
		mem_deref(t->p);
		free(t);
	}
	list_unlink(&r->le);
	free(r);
}

static void rec_forget_old(struct apps *a)
{
	unsigned n = 0;
	struct le *le = a->recs.head;

	while (le) {
		struct rec *r = le->data;

		le = le->next;
		if (++n > RECS_KEPT && !r->job && !tracks_running(r))
			rec_free(r);
	}
}

static void track_done(struct job *j, int err, void *arg)
{
	struct track *t = arg;

	(void)j;
	if (err && err != ECANCELED)
		log_warn("apps", "msg=\"track stopped: it could not be "
			 "written\" conf=%s id=%s-%s err=\"%m\"",
			 t->r->conf_id, t->r->rid, t->pid, err);
	t->job = NULL;
	t->p = mem_deref(t->p);
}

static bool tracked(const struct rec *r, const struct participant *p)
{
	for (struct le *le = r->tl.head; le; le = le->next)
		if (((struct track *)le->data)->p == p)
			return true;
	return false;
}

struct track_ctx {
	struct apps *a;
	struct rec *r;
	struct conf *c;
};

static bool track_h(struct participant *p, void *arg)
{
	struct track_ctx *x = arg;
	char path[700];
	struct track *t;

	if (!keypad_present(p) || tracked(x->r, p))
		return false;
	t = calloc(1, sizeof(*t));
	if (!t)
		return true;
	t->r = x->r;
	t->p = mem_ref(p);
	re_snprintf(t->pid, sizeof(t->pid), "%s", part_id(p));
	re_snprintf(path, sizeof(path), "%s/%s/%s-p%s.%s",
		    x->a->recordings_dir, x->r->conf_id, x->r->rid, t->pid,
		    media_rec_format_name(x->r->fmt));
	t->job = apps_job_rec(x->a, x->c, p, path, x->r->fmt, 0, track_done,
			      t);
	if (!t->job) {
		mem_deref(t->p);
		free(t);
		return true;
	}
	list_append(&x->r->tl, &t->le, t);
	return false;
}

static struct rec *rec_active(const struct apps *a, const struct conf *c)
{
	for (struct le *le = a->recs.head; le; le = le->next) {
		struct rec *r = le->data;

		if (r->job && !strcmp(r->conf_id, conf_id(c)))
			return r;
	}
	return NULL;
}

static const struct rec *rec_known(const struct apps *a, const char *cid,
				   const char *rid)
{
	for (struct le *le = a->recs.head; le; le = le->next) {
		const struct rec *r = le->data;

		if (!strcmp(r->conf_id, cid) && !strcmp(r->rid, rid))
			return r;
	}
	return NULL;
}

bool record_on(const struct apps *a, const struct conf *c)
{
	return rec_active(a, c) != NULL;
}

void record_tracks(struct apps *a, struct conf *c)
{
	struct rec *r = rec_active(a, c);
	struct track_ctx x = {.a = a, .r = r, .c = c};

	if (r && r->tracks && r->state == REC_ON)
		(void)conf_apply_parts(c, track_h, &x);
}

static void rec_done(struct job *j, int err, void *arg)
{
	struct rec *r = arg;
	struct conf *c = confs_lookup(r->a->cs, r->conf_id);

	r->samples = atomic_load(&j->samples);
	r->stopped = (int64_t)time(NULL);
	for (struct le *le = r->tl.head; le; le = le->next) {
		struct track *t = le->data;

		if (t->job)               /* (a failed mix ends them too) */
			apps_job_stop(t->job);
	}
	r->err = err == ECANCELED ? 0 : err;
	r->state = r->err ? REC_FAILED : REC_DONE;
	r->job = NULL;
	if (r->err)
		log_warn("apps", "msg=\"recording stopped: it could not be "
			 "written\" conf=%s id=%s err=\"%m\"", r->conf_id,
			 r->rid, r->err);
	else
		log_info("apps", "msg=\"recording stopped\" conf=%s id=%s "
			 "seconds=%llu", r->conf_id, r->rid,
			 (unsigned long long)(r->samples / MEDIA_APP_HZ));
	if (!c || conf_destroyed(c))
		return;
	(void)conf_set_recording(c, NULL);
	if (conf_policy(c)->apps.recording && err != ECANCELED)
		(void)apps_say(r->a, c, NULL, "recording-stopped", NULL,
			       NULL);
}

static const char *ext_of(enum media_rec_format f)
{
	return media_rec_format_name(f);
}

/* <recordings_dir>/<conference>, made with the folders above it when
 * missing */
static int conf_dir(const struct apps *a, const char *cid, char *buf,
		    size_t sz)
{
	if (!a->recordings_dir)
		return ENOTSUP;
	re_snprintf(buf, sz, "%s/%s", a->recordings_dir, cid);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST) {
			*p = '/';
			return errno;
		}
		*p = '/';
	}
	if (mkdir(buf, 0750) && errno != EEXIST)
		return errno;
	return 0;
}

static int rec_begin(struct apps *a, struct conf *c, enum media_rec_format f,
		     bool automatic, bool tracks, char *rid, size_t rsz)
{
	char dir[512], path[600], uri[600];
	struct rec *r;
	struct tm tm;
	time_t now = time(NULL);
	int err;

	if (rec_active(a, c))
		return EALREADY;
	err = conf_dir(a, conf_id(c), dir, sizeof(dir));
	if (err) {
		log_warn("apps", "msg=\"recording not started: no folder\" "
			 "conf=%s dir=%s err=\"%m\"", conf_id(c), dir, err);
		return err;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->a = a;
	r->fmt = f;
	r->auto_started = automatic;
	r->tracks = tracks;
	r->started = (int64_t)now;
	re_snprintf(r->conf_id, sizeof(r->conf_id), "%s", conf_id(c));
	gmtime_r(&now, &tm);
	/* a name of its time, made unique */
	for (unsigned k = 1; k < 100; k++) {
		struct stat st;
		size_t n = strftime(r->rid, sizeof(r->rid), "%Y%m%dT%H%M%SZ",
				    &tm);

		char other[600];

		if (k > 1)
			re_snprintf(r->rid + n, sizeof(r->rid) - n, "-%u", k);
		/* unique whatever the format: an id names one file */
		re_snprintf(path, sizeof(path), "%s/%s.%s", dir, r->rid,
			    ext_of(f));
		re_snprintf(other, sizeof(other), "%s/%s.%s", dir, r->rid,
			    ext_of(f == MEDIA_REC_WAV ? MEDIA_REC_OGG_OPUS :
				   MEDIA_REC_WAV));
		if (stat(path, &st) && stat(other, &st) &&
		    !rec_known(a, conf_id(c), r->rid))
			break;
	}
	r->job = apps_job_rec(a, c, NULL, path, f, 0, rec_done, r);
	if (!r->job) {
		free(r);
		return ENOMEM;
	}
	list_prepend(&a->recs, &r->le, r);
	rec_forget_old(a);
	re_snprintf(uri, sizeof(uri), "%s/recordings/%s", conf_policy_uri(c),
		    r->rid);
	(void)conf_set_recording(c, uri);
	log_info("apps", "msg=\"recording started\" conf=%s id=%s path=%s "
		 "automatic=%s", conf_id(c), r->rid, path,
		 automatic ? "yes" : "no");
	if (conf_policy(c)->apps.recording)
		(void)apps_say(a, c, NULL, "recording-started", NULL, NULL);
	if (rid)
		re_snprintf(rid, rsz, "%s", r->rid);
	record_tracks(a, c);
	return 0;
}

int apps_record_start(struct apps *a, struct conf *c, const char *format,
		      bool tracks, char *rid, size_t rsz)
{
	enum media_rec_format f =
		(enum media_rec_format)conf_policy(c)->apps.record_format;

	if (format && format[0] && media_rec_format_parse(format, &f))
		return EINVAL;
	if (conf_destroyed(c))
		return ENOENT;
	return rec_begin(a, c, f, false, tracks, rid, rsz);
}

int apps_record_stop(struct apps *a, struct conf *c, const char *rid)
{
	struct rec *r = rec_active(a, c);

	if (!r || (rid && strcmp(rid, r->rid)))
		return rid && rec_known(a, conf_id(c), rid) ? EALREADY :
			ENOENT;
	if (r->state == REC_ON)
		r->state = REC_STOPPING;
	apps_job_stop(r->job);
	for (struct le *le = r->tl.head; le; le = le->next) {
		struct track *t = le->data;

		if (t->job)
			apps_job_stop(t->job);
	}
	return 0;
}

/* Anyone to record? (connected, not waiting, not in the lobby) */
static bool someone_h(struct participant *p, void *arg)
{
	(void)arg;
	return part_status(p) == PART_CONNECTED &&
		!part_privacy(p)->pending && !part_privacy(p)->lobby;
}

void record_conf_changed(struct apps *a, struct conf *c, bool destroyed)
{
	struct rec *r = rec_active(a, c);
	bool someone;

	if (destroyed) {
		if (r)
			(void)apps_record_stop(a, c, NULL);
		return;
	}
	record_tracks(a, c);
	someone = conf_apply_parts(c, someone_h, NULL) != NULL;
	if (!r && someone && conf_policy(c)->apps.record_auto)
		(void)rec_begin(a, c, (enum media_rec_format)
				conf_policy(c)->apps.record_format, true,
				false, NULL, 0);
	else if (r && r->auto_started && !someone && r->state == REC_ON)
		(void)apps_record_stop(a, c, NULL);
}

void record_free(struct apps *a)
{
	while (a->recs.head)
		rec_free(a->recs.head->data);
}

static bool rid_valid(const char *rid)
{
	size_t n = strlen(rid);

	return n && n < 32 && rid[0] != '.' &&
		strspn(rid, "0123456789TZp-") == n;
}

int apps_record_path(const struct apps *a, const struct conf *c,
		     const char *rid, char *path, size_t psz,
		     const char **ctype)
{
	const struct rec *r = rec_active(a, c);
	struct stat st;

	if (!a->recordings_dir || !rid_valid(rid))
		return ENOENT;
	/* (its tracks are <rid>-<participant>) */
	if (r && !strncmp(r->rid, rid, strlen(r->rid)))
		return EBUSY;
	for (int f = 0; f < 2; f++) {
		re_snprintf(path, psz, "%s/%s/%s.%s", a->recordings_dir,
			    conf_id(c), rid, ext_of((enum media_rec_format)f));
		if (!stat(path, &st) && S_ISREG(st.st_mode)) {
			*ctype = f == MEDIA_REC_OGG_OPUS ? "audio/ogg" :
				"audio/wav";
			return 0;
		}
	}
	return ENOENT;
}

static int print_one(struct re_printf *pf, const struct rec *r,
		     const char *dir)
{
	char path[700];
	struct stat st;
	uint64_t samples = r->job ? atomic_load(&r->job->samples) :
		r->samples;
	int err;

	re_snprintf(path, sizeof(path), "%s/%s.%s", dir, r->rid,
		    ext_of(r->fmt));
	err = re_hprintf(pf, "{\"id\":%H,\"format\":\"%s\",\"state\":\"%s\","
			 "\"automatic\":%s,\"started_at\":%lld,"
			 "\"duration_ms\":%llu", json_print_string, r->rid,
			 ext_of(r->fmt), state_names[r->state],
			 r->auto_started ? "true" : "false",
			 (long long)r->started,
			 (unsigned long long)(samples * 1000 / MEDIA_APP_HZ));
	if (!err && r->stopped)
		err = re_hprintf(pf, ",\"stopped_at\":%lld",
				 (long long)r->stopped);
	if (!err && r->tracks) {
		bool first = true;

		err = re_hprintf(pf, ",\"tracks\":[");
		for (struct le *le = r->tl.head; le && !err; le = le->next) {
			const struct track *t = le->data;

			err = re_hprintf(pf, "%s{\"id\":\"%s-p%s\","
					 "\"participant\":%H,"
					 "\"recording\":%s}",
					 first ? "" : ",", r->rid, t->pid,
					 json_print_string, t->pid,
					 t->job ? "true" : "false");
			first = false;
		}
		err = err ? err : re_hprintf(pf, "]");
	}
	if (!err && r->err)
		err = re_hprintf(pf, ",\"error\":\"%m\"", r->err);
	if (!err && !stat(path, &st))
		err = re_hprintf(pf, ",\"bytes\":%lld", (long long)st.st_size);
	return err ? err : re_hprintf(pf, "}");
}

/* Files of an earlier run: what the folder says of them */
static int print_file(struct re_printf *pf, const char *dir,
		      const char *name, bool *first)
{
	char path[700], rid[32];
	const char *dot = strrchr(name, '.');
	struct stat st;
	enum media_rec_format f;
	const char *sep, *track;

	if (!dot || (size_t)(dot - name) >= sizeof(rid) ||
	    media_rec_format_parse(dot + 1, &f))
		return 0;
	memcpy(rid, name, (size_t)(dot - name));
	rid[dot - name] = '\0';
	re_snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!rid_valid(rid) || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	sep = *first ? "" : ",";
	*first = false;
	track = strstr(rid, "-p");
	return re_hprintf(pf, "%s{\"id\":%H,\"format\":\"%s\",\"state\":"
			  "\"stopped\",\"stopped_at\":%lld,\"bytes\":%lld"
			  "%s%b%s}", sep, json_print_string, rid, dot + 1,
			  (long long)st.st_mtime, (long long)st.st_size,
			  track ? ",\"track_of\":\"" : "", rid,
			  track ? (size_t)(track - rid) : (size_t)0,
			  track ? "\"" : "");
}

int apps_record_list(struct re_printf *pf, void *arg)
{
	const struct apps_rec_list *l = arg;
	const char *cid = conf_id(l->c);
	char dir[600];
	bool first = true;
	DIR *d;
	int err = 0;

	re_snprintf(dir, sizeof(dir), "%s/%s", l->a->recordings_dir ?
		    l->a->recordings_dir : "", cid);
	if (l->rid) {
		const struct rec *r = rec_known(l->a, cid, l->rid);

		return r ? print_one(pf, r, dir) : ENOENT;
	}
	err = re_hprintf(pf, "[");
	for (struct le *le = l->a->recs.head; le && !err; le = le->next) {
		const struct rec *r = le->data;

		if (strcmp(r->conf_id, cid))
			continue;
		err = re_hprintf(pf, "%s", first ? "" : ",");
		err = err ? err : print_one(pf, r, dir);
		first = false;
	}
	d = l->a->recordings_dir ? opendir(dir) : NULL;
	for (struct dirent *e; d && !err && (e = readdir(d));) {
		char rid[32];
		const char *dot = strrchr(e->d_name, '.');

		if (!dot || (size_t)(dot - e->d_name) >= sizeof(rid))
			continue;
		memcpy(rid, e->d_name, (size_t)(dot - e->d_name));
		rid[dot - e->d_name] = '\0';
		char *tp = strstr(rid, "-p");
		bool mine = rec_known(l->a, cid, rid);

		if (tp) {             /* a track: with its recording */
			*tp = '\0';
			mine = rec_known(l->a, cid, rid);
			*tp = '-';
		}
		if (!mine)
			err = print_file(pf, dir, e->d_name, &first);
	}
	if (d)
		closedir(d);
	return err ? err : re_hprintf(pf, "]");
}
