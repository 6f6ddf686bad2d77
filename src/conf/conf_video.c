/*
 * A conference's video (conf_video.h): its settings (stored with the
 * conference), who is shown and why, the participants' video state, and
 * the camera policy. The speaker detector runs on the talking changes the
 * mixer reports (part_set_talking) and one timer. Signalling thread only.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf_int.h"
#include "util/json.h"
#include "util/log.h"

static const char *const modes[] = {"switched", "composed"};
static const char *const layouts[] = {"1", "2x2", "3x3", "1+5"};
static const char *const cameras[] = {"none", "moderators", "participants"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool one_of(const char *s, const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, t[i]))
			return true;
	return false;
}

void conf_video_init(struct conf *c)
{
	struct conf_video *v = &c->video;

	memset(v, 0, sizeof(*v));
	re_snprintf(v->status, sizeof(v->status), "sendrecv");
	re_snprintf(v->mode, sizeof(v->mode), "switched");
	re_snprintf(v->layout, sizeof(v->layout), "2x2");
	v->width = 640;
	v->height = 360;
	v->fps = 15;
	v->kbps = 600;
	v->hold_ms = 2000;
	v->talk_ms = 1000;
	re_snprintf(v->camera, sizeof(v->camera), "moderators");
	tmr_init(&c->vid_tmr);
}

void conf_video_flush(struct conf *c)
{
	tmr_cancel(&c->vid_tmr);
}

const struct conf_video *conf_video(const struct conf *c)
{
	return &c->video;
}

int conf_video_check(const struct conf_video *v, char *detail, size_t sz)
{
	const char *why = NULL;

	if (!conf_media_status(v->status))
		why = "status: must be sendrecv, recvonly, sendonly, inactive "
			"or none";
	else if (!one_of(v->mode, modes, N(modes)))
		why = "mode: must be switched or composed";
	else if (!one_of(v->layout, layouts, N(layouts)))
		why = "layout: must be 1, 2x2, 3x3 or 1+5";
	else if (v->width < 160 || v->width > 1920 || (v->width & 1) ||
		 v->height < 90 || v->height > 1080 || (v->height & 1))
		why = "width, height: even, 160 to 1920 by 90 to 1080";
	else if (v->fps < 1 || v->fps > 30)
		why = "fps: 1 to 30";
	else if (v->kbps < 64 || v->kbps > 8000)
		why = "kbps: 64 to 8000";
	else if (v->hold_ms > 60000)
		why = "hold_ms: 0 to 60000";
	else if (v->talk_ms < 200 || v->talk_ms > 10000)
		why = "talk_ms: 200 to 10000";
	else if (!one_of(v->camera, cameras, N(cameras)))
		why = "camera_control: must be none, moderators or participants";
	if (why)
		re_snprintf(detail, sz, "%s", why);
	return why ? EINVAL : 0;
}

int conf_video_settings_print(struct re_printf *pf, const struct conf *c)
{
	const struct conf_video *v = &c->video;

	return re_hprintf(pf, "{\"status\":\"%s\",\"mode\":\"%s\","
			  "\"layout\":\"%s\",\"width\":%u,\"height\":%u,"
			  "\"fps\":%u,\"kbps\":%u,\"hold_ms\":%u,"
			  "\"talk_ms\":%u,\"camera_control\":\"%s\"}",
			  v->status, v->mode, v->layout, v->width, v->height,
			  v->fps, v->kbps, v->hold_ms, v->talk_ms, v->camera);
}

static void str_member(const struct odict *od, const char *name, char *dst,
		       size_t sz)
{
	const char *s = odict_string(od, name);

	if (s && strlen(s) < sz)
		re_snprintf(dst, sz, "%s", s);
}

static void num_member(const struct odict *od, const char *name,
		       uint32_t *dst)
{
	const struct odict_entry *e = odict_lookup(od, name);

	if (e && e->type == ODICT_INT && e->u.integer >= 0 &&
	    e->u.integer <= 100000)
		*dst = (uint32_t)e->u.integer;
}

int conf_video_settings_apply(struct conf *c, const struct odict_entry *e)
{
	struct conf_video v = c->video;
	uint32_t w = v.width, h = v.height, fps = v.fps, kbps = v.kbps;
	char detail[96];

	if (e->type != ODICT_OBJECT)
		return 0;
	str_member(e->u.odict, "status", v.status, sizeof(v.status));
	str_member(e->u.odict, "mode", v.mode, sizeof(v.mode));
	str_member(e->u.odict, "layout", v.layout, sizeof(v.layout));
	str_member(e->u.odict, "camera_control", v.camera, sizeof(v.camera));
	num_member(e->u.odict, "width", &w);
	num_member(e->u.odict, "height", &h);
	num_member(e->u.odict, "fps", &fps);
	num_member(e->u.odict, "kbps", &kbps);
	num_member(e->u.odict, "hold_ms", &v.hold_ms);
	num_member(e->u.odict, "talk_ms", &v.talk_ms);
	v.width = (uint16_t)w;
	v.height = (uint16_t)h;
	v.fps = (uint8_t)(fps > 255 ? 0 : fps);
	v.kbps = (uint16_t)(kbps > 65535 ? 0 : kbps);
	if (conf_video_check(&v, detail, sizeof(detail))) {
		log_warn("conf", "msg=\"stored video settings ignored\" "
			 "conf=%s why=\"%s\"", c->id, detail);
		return 0;
	}
	c->video = v;
	return 0;
}

static void dirty(struct conf *c)
{
	c->vid_dirty = true;
	conf_reconcile(c);
}

int conf_set_video(struct conf *c, const struct conf_video *v)
{
	struct conf_video old = c->video;
	char detail[96];
	bool status;

	if (conf_video_check(v, detail, sizeof(detail)))
		return EINVAL;
	if (!memcmp(&old, v, sizeof(old)))
		return 0;
	c->video = *v;
	if (conf_settings_save(c)) {             /* stored first */
		c->video = old;
		return EIO;
	}
	log_info("conf", "msg=\"video changed\" conf=%s status=%s mode=%s "
		 "layout=%s camera_control=%s", c->id, v->status, v->mode,
		 v->layout, v->camera);
	status = strcmp(old.status, v->status) != 0;
	for (struct le *le = c->parts.head; status && le; le = le->next) {
		struct participant *p = le->data;

		p->reoffer = true;
	}
	conf_changed(c);
	dirty(c);
	return 0;
}

/* pid, when it is in a call and sends video (not leaving, not failed) */
static struct participant *live(const struct conf *c, const char *pid)
{
	struct participant *p = pid[0] ? conf_find_part(c, pid) : NULL;

	return p && p->ep && !p->removing && p->video.sends ? p : NULL;
}

void conf_video_pin(struct conf *c, const struct participant *p)
{
	const char *pid = p ? p->pid : "";

	if (!strcmp(c->vid_pin, pid))
		return;
	re_snprintf(c->vid_pin, sizeof(c->vid_pin), "%s", pid);
	log_info("conf", "msg=\"video pinned\" conf=%s pid=%s", c->id,
		 pid[0] ? pid : "-");
	conf_changed(c);
	dirty(c);
}

const struct participant *conf_video_pinned(const struct conf *c)
{
	return c->vid_pin[0] ? conf_find_part(c, c->vid_pin) : NULL;
}

const struct participant *conf_video_shown(const struct conf *c)
{
	return live(c, c->vid_shown);
}

static bool listed(const struct participant **out, unsigned n,
		   const struct participant *p)
{
	for (unsigned i = 0; i < n; i++)
		if (out[i] == p)
			return true;
	return false;
}

static void add(const struct participant **out, unsigned *n, unsigned max,
		const struct participant *p)
{
	if (p && *n < max && !listed(out, *n, p))
		out[(*n)++] = p;
}

unsigned conf_video_order(const struct conf *c,
			  const struct participant **out, unsigned max)
{
	unsigned n = 0;
	struct le *le;

	add(out, &n, max, live(c, c->vid_pin));
	for (le = c->parts.head; le; le = le->next) {
		const struct participant *p = le->data;

		if (p->floor && live(c, p->pid))
			add(out, &n, max, p);
	}
	add(out, &n, max, live(c, c->vid_shown));
	for (unsigned i = 0; i < CONF_VIDEO_HIST; i++)
		add(out, &n, max, live(c, c->vid_hist[i]));
	for (le = c->parts.head; le; le = le->next) {
		const struct participant *p = le->data;

		if (live(c, p->pid))
			add(out, &n, max, p);
	}
	return n;
}

/* p is shown from now on; who was goes first in the history */
static void show(struct conf *c, const struct participant *p)
{
	char hist[CONF_VIDEO_HIST][12];
	unsigned n = 0;

	if (c->vid_shown[0])
		memcpy(hist[n++], c->vid_shown, sizeof(hist[0]));
	for (unsigned i = 0; i < CONF_VIDEO_HIST && n < CONF_VIDEO_HIST;
	     i++) {
		const char *h = c->vid_hist[i];

		if (h[0] && strcmp(h, p->pid) && strcmp(h, c->vid_shown))
			memcpy(hist[n++], h, sizeof(hist[0]));
	}
	memset(c->vid_hist, 0, sizeof(c->vid_hist));
	memcpy(c->vid_hist, hist, n * sizeof(hist[0]));
	re_snprintf(c->vid_shown, sizeof(c->vid_shown), "%s", p->pid);
	c->vid_shown_at = tmr_jiffies();
	log_info("conf", "msg=\"video speaker\" conf=%s pid=%s", c->id,
		 p->pid);
	conf_changed(c);
	dirty(c);
}

/* Who should be shown now, and when to look again */
static void evaluate(void *arg)
{
	struct conf *c = arg;
	const struct participant *shown = live(c, c->vid_shown), *cand = NULL;
	uint64_t now = tmr_jiffies(), next = 0;
	bool held;

	if (c->destroyed)
		return;

	for (struct le *le = c->parts.head; le; le = le->next) {
		const struct participant *p = le->data;
		uint64_t due;

		if (!p->talk_since || p == shown || !live(c, p->pid))
			continue;
		due = p->talk_since + c->video.talk_ms;
		if (due <= now) {
			if (!cand || p->talk_since < cand->talk_since)
				cand = p;
		}
		else if (!next || due < next) {
			next = due;
		}
	}
	/* the speaker shown holds the picture for hold_ms, and for as long
	 * as it talks when it began before the candidate (two talking at
	 * once: no switching to and fro) */
	held = shown && (now < c->vid_shown_at + c->video.hold_ms ||
			 (cand && shown->talk_since &&
			  shown->talk_since <= cand->talk_since));
	if (cand && !held)
		show(c, cand);
	else if (cand && now < c->vid_shown_at + c->video.hold_ms &&
		 (!next || c->vid_shown_at + c->video.hold_ms < next))
		next = c->vid_shown_at + c->video.hold_ms;
	if (!shown && !cand) {
		/* nobody shown yet: the first who sends video */
		for (struct le *le = c->parts.head; le; le = le->next) {
			const struct participant *p = le->data;

			if (live(c, p->pid)) {
				show(c, p);
				break;
			}
		}
	}
	if (next)
		tmr_start(&c->vid_tmr, next > now ? next - now : 1, evaluate, c);
	else
		tmr_cancel(&c->vid_tmr);
	/* someone left: the forwarder's order, even when the speaker
	 * shown stays */
	if (c->vid_dirty)
		conf_reconcile(c);
}

void conf_video_talking(struct participant *p)
{
	p->talk_since = p->talking ? tmr_jiffies() : 0;
	if (p->video.sends)
		evaluate(p->conf);
}

void conf_video_part_gone(struct participant *p)
{
	struct conf *c = p->conf;

	p->talk_since = 0;
	if (!strcmp(c->vid_pin, p->pid))
		c->vid_pin[0] = '\0';
	for (unsigned i = 0; i < CONF_VIDEO_HIST; i++)
		if (!strcmp(c->vid_hist[i], p->pid))
			c->vid_hist[i][0] = '\0';
	if (!strcmp(c->vid_shown, p->pid)) {
		/* the speaker before, else anyone: at once, no hold */
		c->vid_shown[0] = '\0';
		for (unsigned i = 0; i < CONF_VIDEO_HIST; i++) {
			struct participant *q = live(c, c->vid_hist[i]);

			if (q && q != p) {
				re_snprintf(c->vid_shown, sizeof(c->vid_shown),
					    "%s", q->pid);
				c->vid_hist[i][0] = '\0';
				c->vid_shown_at = tmr_jiffies();
				break;
			}
		}
		conf_changed(c);            /* who is shown now */
	}
	if (p->video.sends && !c->destroyed) {
		c->vid_dirty = true;
		/* once it is out of the roster: nobody shown, the first */
		tmr_start(&c->vid_tmr, 0, evaluate, c);
	}
}

void part_set_video(struct participant *p, const struct part_video *v)
{
	bool sends = p->video.sends;

	if (!memcmp(&p->video, v, sizeof(*v)))
		return;
	p->video = *v;
	conf_changed(p->conf);
	if (sends != v->sends || v->sends) {
		p->conf->vid_dirty = true;
		evaluate(p->conf);
		conf_reconcile(p->conf);
	}
}

const struct part_video *part_video(const struct participant *p)
{
	return &p->video;
}

void part_set_video_stats(struct participant *p,
			  const struct part_video_stats *st)
{
	p->vstats = *st;
}

const struct part_video_stats *part_video_stats(const struct participant *p)
{
	return &p->vstats;
}

int conf_camera(struct conf *c, const struct participant *from,
		struct participant *to, const char *action, unsigned n)
{
	const struct conf_ops *ops = c->cs->ops;

	if (!to->video.fecc)
		return ENOENT;
	if (!conf_camera_allowed(c, from, to))
		return EPERM;
	if (!ops || !ops->camera)
		return ENOENT;
	return ops->camera(to, action, n, c->cs->ops_arg);
}

bool conf_camera_allowed(const struct conf *c, const struct participant *from,
			 const struct participant *to)
{
	const char *cam = c->video.camera;

	if (!to || !to->video.fecc || !strcmp(cam, "none"))
		return false;
	if (!from || !strcmp(cam, "participants"))
		return true;
	return !strcmp(from->role, "moderator") ||
		!strcmp(from->role, "administrator");
}
