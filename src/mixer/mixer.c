/*
 * Mixer, signalling side: starts the mixer threads, places rooms on them,
 * turns API calls into commands, and delivers events from the eventfd.
 * Signalling thread only; everything it shares with a mixer thread goes
 * through struct mthread's queues and atomics.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <re.h>
#include "mixer/mixer_int.h"
#include "util/log.h"

struct smap {
	struct le he;
	uint32_t id;
	uint32_t room;
	unsigned thread;
	bool app;               /* an application: carries no group */
};

struct rmap {
	struct le he;
	uint32_t room;
	unsigned thread;
	unsigned streams;       /* and holds */
	unsigned live;          /* streams alone: at 0 the thread drops
				 * the room, and its group's socket */
	bool mc_sent;           /* the thread's room has mc (mcast_sync) */
	struct mixer_mcast mc;
};

struct mixer {
	struct mthread *t;
	unsigned n;
	int efd;
	mixer_event_h *eh;
	mixer_packet_h *packet_h;
	void *arg;
	uint32_t next_id;
	struct hash *streams;   /* struct smap by id */
	struct hash *rooms;     /* struct rmap by room */
	uint16_t shared_port;   /* per-thread sockets: thread i's RTP port
				 * is shared_port + 2i (0: per call) */
	unsigned *load;         /* streams and holds on each thread, as
				 * commanded (a new room goes to the least
				 * loaded; the thread's own count lags) */
};

static void mixer_destructor(void *arg)
{
	struct mixer *mx = arg;

	for (unsigned i = 0; i < mx->n; i++)
		atomic_store(&mx->t[i].run, false);
	for (unsigned i = 0; mx->t && i < mx->n; i++) {
		if (mx->t[i].tid)
			pthread_join(mx->t[i].tid, NULL);
		mthread_free_rooms(&mx->t[i]);
		mux_free(mx->t[i].mux);
		uring_free(mx->t[i].uring);
		spsc_free(&mx->t[i].cmdq);
		spsc_free(&mx->t[i].evq);
		spsc_free(&mx->t[i].pktq);
	}
	mem_deref(mx->t);
	mem_deref(mx->load);
	if (mx->efd >= 0) {
		fd_close(mx->efd);
		close(mx->efd);
	}
	hash_flush(mx->streams);
	hash_flush(mx->rooms);
	mem_deref(mx->streams);
	mem_deref(mx->rooms);
}

static void efd_handler(int flags, void *arg)
{
	struct mixer *mx = arg;
	struct mixer_event ev;
	uint64_t cnt;

	(void)flags;
	if (read(mx->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn("mixer", "msg=\"eventfd read\" err=%d", errno);
	for (unsigned i = 0; i < mx->n; i++) {
		struct mpkt pkt;

		while (spsc_pop(&mx->t[i].evq, &ev))
			mx->eh(&ev, mx->arg);
		while (spsc_pop(&mx->t[i].pktq, &pkt))
			if (mx->packet_h)
				mx->packet_h(pkt.stream_id, pkt.rtcp,
					     &pkt.src,
					     pkt.srclen, pkt.data, pkt.len,
					     mx->arg);
	}
}

int mixer_alloc(struct mixer **mxp, const struct mixer_cfg *cfg,
		mixer_event_h *eh, void *arg)
{
	struct mixer *mx;
	unsigned n = cfg->threads;
	int16_t warm;
	uint8_t zero = 0;
	int err, uring_err = 0;

	if (!n) {
		/* one per core caucusd may run on (taskset, a container's
		 * cpuset), not per core of the machine: two threads on
		 * one core only take turns */
		cpu_set_t cpus;
		long cores = sched_getaffinity(0, sizeof(cpus), &cpus) ?
			sysconf(_SC_NPROCESSORS_ONLN) : CPU_COUNT(&cpus);

		n = cores > 0 ? (unsigned)cores : 1;
	}
	if (cfg->shared_port) {          /* a pair per thread, all in range */
		unsigned max = cfg->shared_port_max ? cfg->shared_port_max :
			65535;

		if (cfg->shared_port + 2 * n - 1 > max) {
			log_err("mixer", "msg=\"rtp_port_min..rtp_port_max "
				"has no room for a port pair per mixer "
				"thread\" threads=%u rtp_port_min=%u "
				"rtp_port_max=%u", n, cfg->shared_port, max);
			return EINVAL;
		}
	}
	mx = mem_zalloc(sizeof(*mx), mixer_destructor);
	if (!mx)
		return ENOMEM;
	mx->efd = -1;
	mx->shared_port = cfg->shared_port;
	mx->eh = eh;
	mx->packet_h = cfg->packet_h;
	mx->arg = arg;
	/* builds the G.711 tables here, before any mixer thread reads them */
	media_decode(MEDIA_PCMU, &warm, &zero, 1);

	err = hash_alloc(&mx->streams, 1024);
	err |= hash_alloc(&mx->rooms, 256);
	mx->t = mem_zalloc(n * sizeof(*mx->t), NULL);
	mx->load = mem_zalloc(n * sizeof(*mx->load), NULL);
	if (err || !mx->t || !mx->load) {
		err = ENOMEM;
		goto out;
	}
	mx->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mx->efd < 0) {
		err = errno;
		goto out;
	}
	err = fd_listen(mx->efd, FD_READ, efd_handler, mx);
	if (err)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		struct mthread *t = &mx->t[i];

		t->idx = i;
		t->jitter_ms = cfg->jitter_ms;
		t->mix_hz = media_rate_valid(cfg->mix_hz) ? cfg->mix_hz :
			16000;
		t->max_speakers = !cfg->max_speakers ? 4 :
			cfg->max_speakers > MIXER_MAX_SPEAKERS ?
			MIXER_MAX_SPEAKERS : cfg->max_speakers;
		t->efd = mx->efd;
		atomic_init(&t->run, true);
		/* 4096 commands: a mass join of thousands fits between two
		 * ticks without the signalling side ever seeing "full" */
		err = spsc_init(&t->cmdq, 4096, sizeof(struct mcmd));
		err |= spsc_init(&t->evq, 8192, sizeof(struct mixer_event));
		/* DTLS handshakes: a few records a call, a few calls at
		 * once */
		err |= spsc_init(&t->pktq, 64, sizeof(struct mpkt));
		if (err) {
			err = ENOMEM;
			goto out;
		}
		mx->n = i + 1;
		err = mthread_sockets(t, cfg, i, &uring_err);
		if (err)
			goto out;
		err = pthread_create(&t->tid, NULL, mthread_main, t);
		if (!err)   /* for top -H and perf: which thread is which */
			(void)pthread_setname_np(t->tid, "caucus-mixer");
		if (err)
			goto out;
	}
	/* (mix_hz_max: rooms follow their callers below it) */
	log_info("mixer", "msg=\"started\" threads=%u jitter_ms=%u "
		 "max_speakers=%u mix_hz_max=%u rtp_sockets=%s rtp_io=%s", n,
		 cfg->jitter_ms, mx->t[0].max_speakers, mx->t[0].mix_hz,
		 cfg->shared_port ? "per-thread" : "per-call",
		 mixer_rtp_io(mx));
out:
	if (err)
		mem_deref(mx);
	else
		*mxp = mx;
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

static struct smap *smap_find(struct mixer *mx, uint32_t id)
{
	return list_ledata(hash_lookup(mx->streams, id, smap_cmp, &id));
}

static struct rmap *rmap_find(struct mixer *mx, uint32_t room)
{
	return list_ledata(hash_lookup(mx->rooms, room, rmap_cmp, &room));
}

static unsigned least_loaded(const struct mixer *mx)
{
	unsigned best = 0;

	for (unsigned i = 1; i < mx->n; i++)
		if (mx->load[i] < mx->load[best])
			best = i;
	return best;
}

bool mixer_shared_sockets(const struct mixer *mx)
{
	return mx->shared_port != 0;
}

const char *mixer_rtp_io(const struct mixer *mx)
{
	return mthread_rtp_io(mx->t, mx->n, mx->shared_port != 0);
}

int mixer_room_hold(struct mixer *mx, uint32_t room, uint16_t *port)
{
	struct rmap *r;

	if (!mx->shared_port)
		return ENOTSUP;
	r = rmap_find(mx, room);
	if (!r) {
		r = mem_zalloc(sizeof(*r), NULL);
		if (!r)
			return ENOMEM;
		r->room = room;
		r->thread = least_loaded(mx);
		hash_append(mx->rooms, room, &r->he, r);
	}
	r->streams++;              /* a hold counts as a stream */
	mx->load[r->thread]++;
	*port = (uint16_t)(mx->shared_port + 2 * r->thread);
	return 0;
}

int mixer_room_fd(const struct mixer *mx, uint32_t room, bool rtcp)
{
	const struct rmap *r = rmap_find((struct mixer *)mx, room);

	if (!mx->shared_port || !r || !mx->t[r->thread].mux)
		return -1;
	return mux_fd(mx->t[r->thread].mux, rtcp);
}

static void rmap_put(struct rmap *r)
{
	if (r && !--r->streams) {
		hash_unlink(&r->he);
		mem_deref(r);
	}
}

void mixer_room_release(struct mixer *mx, uint32_t room)
{
	struct rmap *r = rmap_find(mx, room);

	if (!r)
		return;
	mx->load[r->thread]--;
	rmap_put(r);
}

static bool mcast_eq(const struct mixer_mcast *a,
		     const struct mixer_mcast *b)
{
	return a->group_len == b->group_len && a->local_len == b->local_len &&
		a->ttl == b->ttl && a->codec == b->codec &&
		!memcmp(&a->group, &b->group, a->group_len) &&
		!memcmp(&a->local, &b->local, a->local_len);
}

/* A group's socket: its TTL, out of the interface of the local address
 * (bound to it, so the packets come from our media address), looped
 * back so listeners on this host hear it too */
static int mcast_socket(const struct mixer_mcast *mc, int *fdp)
{
	int af = mc->group.ss_family, one = 1, ttl = mc->ttl ? mc->ttl : 1;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool local = mc->local_len && mc->local.ss_family == af;
	int err = 0;

	if (fd < 0)
		return errno;
	if (af == AF_INET) {
		const struct sockaddr_in *l = (const void *)&mc->local;

		err |= setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
				  sizeof(ttl));
		err |= setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one,
				  sizeof(one));
		if (local && l->sin_addr.s_addr != htonl(INADDR_ANY))
			err |= setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
					  &l->sin_addr, sizeof(l->sin_addr));
	}
	else {
		err |= setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
				  sizeof(ttl));
		err |= setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one,
				  sizeof(one));
	}
	if (!err && local) {
		struct sockaddr_storage a = mc->local;

		((struct sockaddr_in *)&a)->sin_port = 0;   /* (v6 alike) */
		err = bind(fd, (struct sockaddr *)&a, mc->local_len);
	}
	if (err) {
		err = errno ? errno : EINVAL;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* The room's group as the stream command about to go says: a new one
 * (or none) goes to the thread first, with its socket made here (the
 * signalling thread: the mixer makes none); the same, nothing. A
 * socket that cannot be made leaves the room without a group (its
 * listeners' streams are not sent; logged once per change). */
static void mcast_sync(struct mixer *mx, struct rmap *r,
		       const struct mixer_mcast *mc)
{
	struct mcmd c = {.type = MCMD_GROUP, .room = r->room, .rtp_fd = -1,
			 .rtcp_fd = -1};
	int err;

	if (r->mc_sent ? mcast_eq(&r->mc, mc) : !mc->group_len)
		return;
	c.media.mcast = *mc;
	if (mc->group_len) {
		err = mcast_socket(mc, &c.rtp_fd);
		if (err) {
			log_warn("mixer", "msg=\"no socket for the "
				 "multicast group\" room=%u err=\"%m\"",
				 r->room, err);
			c.media.mcast.group_len = 0;
		}
	}
	if (!spsc_push(&mx->t[r->thread].cmdq, &c)) {
		if (c.rtp_fd >= 0)
			close(c.rtp_fd);
		return;                 /* the next command tries again */
	}
	r->mc = *mc;
	r->mc_sent = true;
}

/* A stream of the room is gone (removed, moved away) */
static void rmap_unlive(struct rmap *r)
{
	if (r && r->live && !--r->live)
		r->mc_sent = false;     /* the thread dropped the room */
}

/* An add command for the thread room is on (placed now if it is on
 * none) */
static int stream_add(struct mixer *mx, struct mcmd *cp, uint32_t *idp)
{
	struct mcmd c = *cp;
	uint32_t room = c.room;
	struct rmap *r = rmap_find(mx, room);
	struct smap *s;

	s = mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;
	if (!r) {
		r = mem_zalloc(sizeof(*r), NULL);
		if (!r) {
			mem_deref(s);
			return ENOMEM;
		}
		r->room = room;
		r->thread = least_loaded(mx);
		hash_append(mx->rooms, room, &r->he, r);
	}
	c.id = ++mx->next_id;
	if (!c.app)
		mcast_sync(mx, r, &c.media.mcast);
	if (!spsc_push(&mx->t[r->thread].cmdq, &c)) {
		mem_deref(s);
		if (!r->streams) {
			hash_unlink(&r->he);
			mem_deref(r);
		}
		return EAGAIN;
	}
	r->streams++;
	r->live++;
	mx->load[r->thread]++;
	s->id = c.id;
	s->app = c.app != NULL;
	s->room = room;
	s->thread = r->thread;
	hash_append(mx->streams, s->id, &s->he, s);
	*idp = c.id;
	return 0;
}

int mixer_stream_add(struct mixer *mx, uint32_t room, int rtp_fd,
		     int rtcp_fd, const struct mixer_media *m, uint32_t *idp)
{
	struct mcmd c = {.type = MCMD_ADD, .room = room, .rtp_fd = rtp_fd,
			 .rtcp_fd = rtcp_fd, .media = *m};

	return stream_add(mx, &c, idp);
}

int mixer_app_add(struct mixer *mx, uint32_t room, struct mixer_app *a,
		  uint32_t to, const struct mixer_media *m, uint32_t *idp)
{
	struct mcmd c = {.type = MCMD_ADD, .room = room, .rtp_fd = -1,
			 .rtcp_fd = -1, .app = a, .app_to = to, .media = *m};
	int err;

	c.media.codec = MEDIA_L16;
	c.media.send = a->sink;
	c.media.recv = a->source;
	c.media.rtp_dst_len = c.media.rtcp_dst_len = 0;
	c.media.srtp.on = false;
	c.media.level_id = c.media.csrc_level_id = 0;
	c.media.telev_pt = -1;
	mixer_app_get(a);           /* the command's, then the stream's */
	err = stream_add(mx, &c, idp);
	if (err)
		mixer_app_put(a);
	return err;
}

int mixer_stream_update(struct mixer *mx, uint32_t id,
			const struct mixer_media *m)
{
	struct mcmd c = {.type = MCMD_UPDATE, .id = id, .media = *m};
	struct smap *s = smap_find(mx, id);
	struct rmap *r;

	if (!s)
		return ENOENT;
	r = rmap_find(mx, s->room);
	if (r && !s->app)
		mcast_sync(mx, r, &m->mcast);
	return spsc_push(&mx->t[s->thread].cmdq, &c) ? 0 : EAGAIN;
}

int mixer_stream_remove(struct mixer *mx, uint32_t id)
{
	struct mcmd c = {.type = MCMD_REMOVE, .id = id};
	struct smap *s = smap_find(mx, id);

	if (!s)
		return ENOENT;
	if (!spsc_push(&mx->t[s->thread].cmdq, &c))
		return EAGAIN;
	mx->load[s->thread]--;
	rmap_unlive(rmap_find(mx, s->room));
	rmap_put(rmap_find(mx, s->room));
	hash_unlink(&s->he);
	mem_deref(s);
	return 0;
}

int mixer_stream_move(struct mixer *mx, uint32_t id, uint32_t room)
{
	struct mcmd c = {.type = MCMD_MOVE, .id = id, .room = room};
	struct smap *s = smap_find(mx, id);
	struct rmap *r;
	bool made = false;

	if (!s)
		return ENOENT;
	if (s->room == room)
		return 0;
	r = rmap_find(mx, room);
	if (!r) {                  /* not placed: where the stream is */
		r = mem_zalloc(sizeof(*r), NULL);
		if (!r)
			return ENOMEM;
		r->room = room;
		r->thread = s->thread;
		hash_append(mx->rooms, room, &r->he, r);
		made = true;
	}
	if (r->thread != s->thread || !spsc_push(&mx->t[s->thread].cmdq,
						 &c)) {
		int err = r->thread != s->thread ? EXDEV : EAGAIN;

		if (made) {
			hash_unlink(&r->he);
			mem_deref(r);
		}
		return err;
	}
	r->streams++;
	r->live++;
	rmap_unlive(rmap_find(mx, s->room));
	rmap_put(rmap_find(mx, s->room));
	s->room = room;
	return 0;
}

int mixer_room_levels(struct mixer *mx, uint32_t room, bool on)
{
	struct mcmd c = {.type = MCMD_LEVELS, .room = room, .levels = on};
	int err = 0;

	/* every thread: the room may be placed later, on any of them */
	for (unsigned i = 0; i < mx->n; i++)
		if (!spsc_push(&mx->t[i].cmdq, &c))
			err = EAGAIN;
	return err;
}

int mixer_room_thread(const struct mixer *mx, uint32_t room)
{
	const struct rmap *r = list_ledata(hash_lookup(mx->rooms, room,
						       rmap_cmp, &room));

	return r ? (int)r->thread : -1;
}

unsigned mixer_thread_count(const struct mixer *mx)
{
	return mx->n;
}

void mixer_thread_stats(const struct mixer *mx, unsigned idx,
			struct mixer_thread_stats *st)
{
	const struct mthread *t = &mx->t[idx];

	st->ticks = atomic_load(&t->ticks);
	st->late_ticks = atomic_load(&t->late_ticks);
	st->busy_us = atomic_load(&t->busy_us);
	st->max_tick_us = atomic_load(&t->max_tick_us);
	st->streams = atomic_load(&t->streams);
	st->events_dropped = atomic_load(&t->events_dropped);
	for (unsigned b = 0; b < MIXER_TICK_BUCKETS; b++)
		st->tick_hist[b] = atomic_load(&t->tick_hist[b]);
	for (unsigned b = 0; b < MIXER_TICK_BUCKETS; b++)
		st->late_hist[b] = atomic_load(&t->late_hist[b]);
	st->late_us = atomic_load(&t->late_us);
	st->rx_unmatched = atomic_load(&t->rx_unmatched);
	st->tx_dropped = atomic_load(&t->tx_dropped);
	st->load_ppm = atomic_load(&t->load_ppm);
	st->port = mx->shared_port ? (uint16_t)(mx->shared_port + 2 * idx) :
		0;
}
