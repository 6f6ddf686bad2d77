/*
 * Video forwarding, signalling side (video.h): starts the forwarding
 * threads, places rooms on them (a new room on the thread with the
 * fewest streams; a room never split), turns calls into commands, makes
 * the composers of composed rooms, and delivers the threads' events from
 * the eventfd the signalling loop watches. Signalling thread only;
 * everything shared with a forwarding thread goes through struct
 * vthread's rings, eventfds and atomics (vid_int.h).
 *
 * A room is known here from its first stream or video_room_set until its
 * last stream leaves: then it is forgotten on both sides (its composer
 * too), and what it shows must be set again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <re.h>
#include "video/vid_int.h"
#include "video/vcomp.h"
#include "util/log.h"

struct smap {
	struct le he;
	uint32_t id, room;
	unsigned thread;
};

struct rmap {
	struct le he;
	uint32_t room;
	unsigned thread, streams;
	bool set;                   /* cfg was sent */
	struct video_room_cfg cfg;
	struct vcomp *vc;           /* composed: our reference */
};

struct video {
	struct vthread *t;
	unsigned n;
	int efd;
	video_event_h *eh;
	void *arg;
	uint32_t next_id;
	struct hash *streams;       /* struct smap by id */
	struct hash *rooms;         /* struct rmap by room */
	unsigned *load;             /* streams on each thread, as commanded */
	/* removals a full command ring did not take yet, oldest first:
	 * retried, never lost (a stream left behind would go on sending
	 * to someone who left) */
	struct list pending;
	struct tmr retry;
};

struct pending_rm {
	struct le le;
	unsigned thread;
	uint32_t id;
};

static void rmap_destructor(void *arg)
{
	struct rmap *r = arg;

	if (r->vc)
		vcomp_put(r->vc);
}

static void thread_stop(struct vthread *t)
{
	static const uint64_t one = 1;

	atomic_store(&t->run, false);
	if (t->cfd >= 0)
		(void)!write(t->cfd, &one, sizeof(one));
	if (t->tid)
		pthread_join(t->tid, NULL);
	vthread_free_all(t);
	spsc_free(&t->cmdq);
	spsc_free(&t->evq);
	if (t->ep >= 0)
		close(t->ep);
	if (t->cfd >= 0)
		close(t->cfd);
}

static void video_destructor(void *arg)
{
	struct video *v = arg;

	tmr_cancel(&v->retry);
	list_flush(&v->pending);    /* the threads drop their streams */
	for (unsigned i = 0; v->t && i < v->n; i++)
		thread_stop(&v->t[i]);
	free(v->t);
	mem_deref(v->load);
	if (v->efd >= 0) {
		fd_close(v->efd);
		close(v->efd);
	}
	hash_flush(v->streams);
	hash_flush(v->rooms);
	mem_deref(v->streams);
	mem_deref(v->rooms);
}

static void efd_handler(int flags, void *arg)
{
	struct video *v = arg;
	struct video_event ev;
	uint64_t cnt;

	(void)flags;
	if (read(v->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn("video", "msg=\"eventfd read\" err=%d", errno);
	for (unsigned i = 0; i < v->n; i++)
		while (spsc_pop(&v->t[i].evq, &ev))
			if (v->eh)
				v->eh(&ev, v->arg);
}

static int thread_start(struct video *v, unsigned i)
{
	struct vthread *t = &v->t[i];
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->fd_cmd};
	int err;

	t->idx = i;
	t->efd = v->efd;
	t->fd_cmd.kind = VFD_CMD;
	t->fd_cmd.obj = t;
	atomic_init(&t->run, true);
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->cfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->ep < 0 || t->cfd < 0)
		return errno;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->cfd, &ev))
		return errno;
	/* a mass join fits between two wake-ups; events: a stats event a
	 * stream a second, and bursts of the others */
	err = spsc_init(&t->cmdq, 1024, sizeof(struct vcmd));
	err |= spsc_init(&t->evq, 4096, sizeof(struct video_event));
	if (err)
		return ENOMEM;
	err = pthread_create(&t->tid, NULL, vthread_main, t);
	if (!err)          /* for top -H and perf: which thread is which */
		(void)pthread_setname_np(t->tid, "caucus-video");
	return err;
}

int video_alloc(struct video **vp, const struct video_cfg *cfg,
		video_event_h *eh, void *arg)
{
	unsigned n = cfg && cfg->threads ? cfg->threads : 1;
	struct video *v;
	int err;

	if (!vp)
		return EINVAL;
	v = mem_zalloc(sizeof(*v), video_destructor);
	if (!v)
		return ENOMEM;
	v->efd = -1;
	v->eh = eh;
	v->arg = arg;
	tmr_init(&v->retry);
	err = hash_alloc(&v->streams, 256);
	err |= hash_alloc(&v->rooms, 64);
	v->t = calloc(n, sizeof(*v->t));
	v->load = mem_zalloc(n * sizeof(*v->load), NULL);
	if (err || !v->t || !v->load) {
		err = ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		v->t[i].ep = v->t[i].cfd = -1;
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd < 0) {
		err = errno;
		goto out;
	}
	err = fd_listen(v->efd, FD_READ, efd_handler, v);
	if (err)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		v->n = i + 1;
		err = thread_start(v, i);
		if (err)
			goto out;
	}
	log_info("video", "msg=\"started\" threads=%u", n);
out:
	if (err)
		mem_deref(v);
	else
		*vp = v;
	return err;
}

static bool smap_cmp(struct le *le, void *arg)
{
	return ((struct smap *)le->data)->id == *(uint32_t *)arg;
}

static bool rmap_cmp(struct le *le, void *arg)
{
	return ((struct rmap *)le->data)->room == *(uint32_t *)arg;
}

static struct smap *smap_find(const struct video *v, uint32_t id)
{
	return list_ledata(hash_lookup(v->streams, id, smap_cmp, &id));
}

static struct rmap *rmap_find(const struct video *v, uint32_t room)
{
	return list_ledata(hash_lookup(v->rooms, room, rmap_cmp, &room));
}

/* The room's map, made (placed on the least loaded thread) if new */
static struct rmap *rmap_get(struct video *v, uint32_t room)
{
	struct rmap *r = rmap_find(v, room);

	if (r)
		return r;
	r = mem_zalloc(sizeof(*r), rmap_destructor);
	if (!r)
		return NULL;
	r->room = room;
	for (unsigned i = 1; i < v->n; i++)
		if (v->load[i] < v->load[r->thread])
			r->thread = i;
	hash_append(v->rooms, room, &r->he, r);
	return r;
}

static void rmap_forget(struct rmap *r)
{
	hash_unlink(&r->he);
	mem_deref(r);
}

static int push(struct video *v, unsigned thread, const struct vcmd *c)
{
	static const uint64_t one = 1;
	struct vthread *t = &v->t[thread];

	if (!spsc_push(&t->cmdq, c))
		return EAGAIN;
	(void)!write(t->cfd, &one, sizeof(one));
	return 0;
}

static bool media_valid(const struct video_media *m)
{
	return m && (m->fecc || (unsigned)m->codec < VIDEO_NCODECS) &&
		m->rtp_dst_len <= sizeof(m->rtp_dst) &&
		m->rtcp_dst_len <= sizeof(m->rtcp_dst) &&
		m->srtp.rtp.len <= MIXER_SRTP_KEY_MAX;
}

int video_stream_add(struct video *v, uint32_t room, int rtp_fd,
		     int rtcp_fd, const struct video_media *m, uint32_t *idp)
{
	struct vcmd c;
	struct rmap *r;
	struct smap *sm;
	int err;

	if (!v || !idp || rtp_fd < 0 || !media_valid(m))
		return EINVAL;
	r = rmap_get(v, room);
	sm = mem_zalloc(sizeof(*sm), NULL);
	memset(&c, 0, sizeof(c));
	c.type = VCMD_ADD;
	c.room = room;
	c.id = v->next_id + 1;
	err = !r || !sm ? ENOMEM :
		vstream_new(&c.s, c.id, rtp_fd, rtcp_fd, m);
	if (!err)
		err = push(v, r->thread, &c);
	if (err) {
		if (c.s) {             /* the caller keeps its sockets */
			c.s->rtp_fd = c.s->rtcp_fd = -1;
			vstream_free(c.s);
		}
		mem_deref(sm);
		if (r && !r->streams && !r->set)
			rmap_forget(r);
		return err;
	}
	v->next_id = c.id;
	r->streams++;
	v->load[r->thread]++;
	sm->id = c.id;
	sm->room = room;
	sm->thread = r->thread;
	hash_append(v->streams, sm->id, &sm->he, sm);
	*idp = c.id;
	return 0;
}

int video_stream_update(struct video *v, uint32_t id,
			const struct video_media *m)
{
	struct vcmd c;
	struct smap *sm;

	if (!v || !media_valid(m))
		return EINVAL;
	sm = smap_find(v, id);
	if (!sm)
		return ENOENT;
	memset(&c, 0, sizeof(c));
	c.type = VCMD_UPDATE;
	c.id = id;
	c.u.m = *m;
	return push(v, sm->thread, &c);
}

static void retry_h(void *arg)
{
	struct video *v = arg;
	struct le *le;

	while ((le = list_head(&v->pending))) {
		struct pending_rm *p = le->data;
		struct vcmd c = {.type = VCMD_REMOVE, .id = p->id};

		if (push(v, p->thread, &c))
			break;
		mem_deref(p);
	}
	if (!list_isempty(&v->pending))
		tmr_start(&v->retry, 10, retry_h, v);
}

static void pending_destructor(void *arg)
{
	list_unlink(&((struct pending_rm *)arg)->le);
}

/* The remove command for id on thread, now or (the ring full, or
 * removals already waiting: in order) soon; ENOMEM only when even that
 * cannot be noted */
static int remove_push(struct video *v, unsigned thread, uint32_t id)
{
	struct vcmd c = {.type = VCMD_REMOVE, .id = id};
	struct pending_rm *p;

	if (list_isempty(&v->pending) && !push(v, thread, &c))
		return 0;
	p = mem_zalloc(sizeof(*p), pending_destructor);
	if (!p)
		return ENOMEM;
	p->thread = thread;
	p->id = id;
	list_append(&v->pending, &p->le, p);
	if (!tmr_isrunning(&v->retry))
		tmr_start(&v->retry, 10, retry_h, v);
	return 0;
}

int video_stream_remove(struct video *v, uint32_t id)
{
	struct smap *sm;
	struct rmap *r;
	int err;

	if (!v)
		return EINVAL;
	sm = smap_find(v, id);
	if (!sm)
		return ENOENT;
	err = remove_push(v, sm->thread, id);
	if (err)
		return err;
	v->load[sm->thread]--;
	r = rmap_find(v, sm->room);
	/* the last one: the thread drops the room (and its reference to
	 * the composer), and so do we */
	if (r && !--r->streams)
		rmap_forget(r);
	hash_unlink(&sm->he);
	mem_deref(sm);
	return 0;
}

/* The same as what the room shows (defaults filled in) */
static bool cfg_same(const struct video_room_cfg *a,
		     const struct video_room_cfg *b)
{
	if (a->mode != b->mode || a->norder != b->norder ||
	    memcmp(a->order, b->order, a->norder * sizeof(a->order[0])))
		return false;
	return a->mode != VIDEO_COMPOSED ||
		(a->layout == b->layout && a->width == b->width &&
		 a->height == b->height && a->fps == b->fps &&
		 a->kbps == b->kbps);
}

static void cfg_norm(struct video_room_cfg *c, const struct video_room_cfg *in)
{
	memset(c, 0, sizeof(*c));
	c->mode = in->mode;
	c->norder = in->norder;
	memcpy(c->order, in->order, in->norder * sizeof(in->order[0]));
	if (c->mode != VIDEO_COMPOSED)
		return;
	c->layout = in->layout;
	c->width = in->width ? in->width : 640;
	c->height = in->height ? in->height : 360;
	c->fps = in->fps ? in->fps : 15;
	c->kbps = in->kbps ? in->kbps : 600;
}

/* The composer for cfg: the room's own when its picture is the same
 * (only the tiles changed), else a new one (*made) */
static int composer_for(struct rmap *r, const struct video_room_cfg *cfg,
			struct vcomp **vcp, bool *made)
{
	struct vcomp_cfg vcfg = {.layout = cfg->layout, .width = cfg->width,
				 .height = cfg->height, .fps = cfg->fps,
				 .kbps = cfg->kbps};
	const struct video_room_cfg *o = &r->cfg;

	*made = false;
	if (r->vc && o->layout == cfg->layout && o->width == cfg->width &&
	    o->height == cfg->height && o->fps == cfg->fps &&
	    o->kbps == cfg->kbps) {
		*vcp = r->vc;
		return 0;
	}
	*made = true;
	return vcomp_new(vcp, &vcfg);
}

int video_room_set(struct video *v, uint32_t room,
		   const struct video_room_cfg *rc)
{
	struct video_room_cfg cfg;
	struct vcmd c;
	struct vcomp *vc = NULL;
	struct rmap *r;
	bool made = false;
	int err;

	if (!v || !rc || rc->norder > VIDEO_ORDER_MAX ||
	    (rc->mode != VIDEO_SWITCHED && rc->mode != VIDEO_COMPOSED) ||
	    (unsigned)rc->layout > VIDEO_LAYOUT_1P5)
		return EINVAL;
	cfg_norm(&cfg, rc);
	/* a room without streams has nothing to show: no room on a
	 * thread, no composer (the settings come again with its first
	 * stream, ops->video after each join with video) */
	r = rmap_find(v, room);
	if (!r || !r->streams)
		return 0;
	if (r->set && cfg_same(&r->cfg, &cfg))
		return 0;
	if (cfg.mode == VIDEO_COMPOSED) {
		err = composer_for(r, &cfg, &vc, &made);
		if (err)
			goto out;
		vcomp_get(vc);          /* the command's, kept by the thread */
	}
	memset(&c, 0, sizeof(c));
	c.type = VCMD_ROOM;
	c.room = room;
	c.vc = vc;
	c.u.rc = cfg;
	err = push(v, r->thread, &c);
	if (err) {
		if (vc)
			vcomp_put(vc);
		if (made)
			vcomp_put(vc);
		goto out;
	}
	if (r->vc && r->vc != vc)
		vcomp_put(r->vc);
	r->vc = vc;
	r->cfg = cfg;
	r->set = true;
out:
	return err;
}

int video_fecc_send(struct video *v, uint32_t id, const uint8_t *frame,
		    size_t len)
{
	struct vcmd c;
	struct smap *sm;

	if (!v || !frame || !len || len > VIDEO_FECC_MAX)
		return EINVAL;
	sm = smap_find(v, id);
	if (!sm)
		return ENOENT;
	memset(&c, 0, sizeof(c));
	c.type = VCMD_FECC;
	c.id = id;
	memcpy(c.u.fecc.data, frame, len);
	c.u.fecc.len = (uint8_t)len;
	return push(v, sm->thread, &c);
}

int video_keyframe(struct video *v, uint32_t id)
{
	struct vcmd c = {.type = VCMD_KEYFRAME, .id = id};
	struct smap *sm;

	if (!v)
		return EINVAL;
	sm = smap_find(v, id);
	if (!sm)
		return ENOENT;
	return push(v, sm->thread, &c);
}

unsigned video_thread_count(const struct video *v)
{
	return v ? v->n : 0;
}

void video_thread_stats(const struct video *v, unsigned idx,
			struct video_thread_stats *st)
{
	const struct vthread *t;

	memset(st, 0, sizeof(*st));
	if (!v || idx >= v->n)
		return;
	t = &v->t[idx];
	st->rx_packets = atomic_load(&t->rx_packets);
	st->tx_packets = atomic_load(&t->tx_packets);
	st->forwarded = atomic_load(&t->forwarded);
	st->retransmits = atomic_load(&t->retransmits);
	st->busy_us = atomic_load(&t->busy_us);
	st->streams = atomic_load(&t->streams);
	st->rooms = atomic_load(&t->nrooms_st);
	st->composed = atomic_load(&t->composed);
	st->events_dropped = atomic_load(&t->events_dropped);
}
