/*
 * The commands a forwarding thread takes from the signalling thread: add,
 * update, remove a stream; what a room shows; an H.224 frame to send; a
 * keyframe wanted. Applied at the end of a wake-up (vthread.c says why),
 * and the only place the thread allocates: a room and its array of
 * streams, the composed picture's retransmission buffers. A stream itself
 * (with its buffers) is made on the signalling thread (vstream_new) and
 * handed over in the add command, so a join costs the thread no more than
 * an array slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "video/vid_int.h"
#include "video/vcomp.h"

/* Where a receiver's sequence numbers, timestamps and picture ids start:
 * not predictable from outside (RFC 3550 s. 5.1) */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Signalling thread: the stream, its retransmission buffer (a sender's
 * last VID_RTX_SLOTS packets) and its sent map (what it was sent last,
 * VID_SENT_SLOTS), all made here so the thread does not allocate for a
 * join. FECC streams have neither. */
int vstream_new(struct vstream **sp, uint32_t id, int rtp_fd, int rtcp_fd,
		const struct video_media *m)
{
	struct vstream *s = calloc(1, sizeof(*s));
	struct timespec ts;
	uint64_t r;

	if (!s)
		return ENOMEM;
	if (!m->fecc) {
		s->rtx = calloc(1, sizeof(*s->rtx));
		s->sent = calloc(VID_SENT_SLOTS, sizeof(*s->sent));
		if (!s->rtx || !s->sent) {
			s->rtp_fd = s->rtcp_fd = -1;
			vstream_free(s);
			return ENOMEM;
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	r = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)id << 32) ^ m->tx_ssrc);
	s->id = id;
	s->rtp_fd = rtp_fd;
	s->rtcp_fd = rtcp_fd;
	s->fd_rtp.kind = VFD_RTP;
	s->fd_rtp.obj = s;
	s->fd_rtcp.kind = VFD_RTCP;
	s->fd_rtcp.obj = s;
	s->m = *m;
	s->last_seq = (uint16_t)r;
	s->last_ts = (uint32_t)(r >> 16);
	s->last_picid = (uint16_t)(r >> 48) & 0x7fff;
	s->fecc_seq = (uint16_t)(r >> 32);
	s->st.tx_ssrc = m->tx_ssrc;
	*sp = s;
	return 0;
}

/* Any thread that owns it: closes its sockets too */
void vstream_free(struct vstream *s)
{
	if (!s)
		return;
	if (s->rtp_fd >= 0)
		close(s->rtp_fd);
	if (s->rtcp_fd >= 0 && s->rtcp_fd != s->rtp_fd)
		close(s->rtcp_fd);
	vsrtp_free(s);
	free(s->rtx);
	free(s->sent);
	free(s);
}

unsigned vroom_tiles(enum video_layout l)
{
	switch (l) {
	case VIDEO_LAYOUT_1:   return 1;
	case VIDEO_LAYOUT_2X2: return 4;
	case VIDEO_LAYOUT_3X3: return 9;
	case VIDEO_LAYOUT_1P5: return 6;
	default:               return 1;
	}
}

struct vstream *vroom_stream(const struct vroom *r, uint32_t id)
{
	for (unsigned i = 0; id && i < r->n; i++)
		if (r->s[i]->id == id)
			return r->s[i];
	return NULL;
}

static void comp_detach(struct vthread *t, struct vroom *r)
{
	if (r->vc) {
		if (t)
			(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, vcomp_fd(r->vc),
					NULL);
		vcomp_put_nowait(r->vc);
		r->vc = NULL;
		if (t)
			atomic_fetch_sub(&t->composed, 1);
	}
	/* a next composer's packets start a new epoch: its receivers take
	 * them from its first keyframe, with offsets made again */
	for (unsigned c = 0; c < VIDEO_NCODECS; c++) {
		uint32_t epoch = r->cs[c].epoch + 1;

		free(r->cs[c].rtx);
		memset(&r->cs[c], 0, sizeof(r->cs[c]));
		r->cs[c].epoch = epoch;
	}
	r->want_codecs = 0;
}

void vroom_free(struct vroom *r)
{
	for (unsigned i = 0; i < r->n; i++)
		vstream_free(r->s[i]);
	comp_detach(NULL, r);
	free(r->s);
	free(r);
}

static struct vroom *room_get(struct vthread *t, uint32_t key, bool create)
{
	struct vroom *r;

	for (unsigned i = 0; i < t->nrooms; i++)
		if (t->rooms[i]->key == key)
			return t->rooms[i];
	if (!create)
		return NULL;
	if (t->nrooms == t->cap_rooms) {
		unsigned cap = t->cap_rooms ? t->cap_rooms * 2 : 8;
		struct vroom **v = realloc(t->rooms, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->rooms = v;
		t->cap_rooms = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = key;
	r->fd_comp.kind = VFD_COMP;
	r->fd_comp.obj = r;
	t->rooms[t->nrooms++] = r;
	atomic_store(&t->nrooms_st, t->nrooms);
	return r;
}

static void room_drop(struct vthread *t, struct vroom *r)
{
	for (unsigned i = 0; i < t->nrooms; i++) {
		if (t->rooms[i] != r)
			continue;
		t->rooms[i] = t->rooms[--t->nrooms];
		break;
	}
	atomic_store(&t->nrooms_st, t->nrooms);
	comp_detach(t, r);
	vroom_free(r);
}

static struct vstream *stream_find(const struct vthread *t, uint32_t id)
{
	for (unsigned i = 0; i < t->nrooms; i++) {
		struct vstream *s = vroom_stream(t->rooms[i], id);

		if (s)
			return s;
	}
	return NULL;
}

/*
 * After a command changed a room: who is in a tile (fed to the composer),
 * which codecs its receivers take (the composer makes those), and the
 * retransmission buffer of each composed picture taken. Then selection
 * runs at once, so a change of order is acted on (keyframes asked for)
 * without waiting for the next tick.
 */
static void room_relink(struct vthread *t, struct vroom *r)
{
	unsigned ntiles = 0, want = 0;

	if (r->vc) {
		ntiles = vroom_tiles(r->cfg.layout);
		if (ntiles > r->cfg.norder)
			ntiles = r->cfg.norder;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct vstream *s = r->s[i];

		s->in_tile = false;
		if (s->m.send && !s->m.fecc && s->m.codec < VIDEO_NCODECS)
			want |= 1u << s->m.codec;
	}
	for (unsigned i = 0; i < ntiles; i++) {
		struct vstream *s = vroom_stream(r, r->cfg.order[i]);

		if (s && !s->m.fecc)
			s->in_tile = true;
	}
	if (r->vc) {
		vcomp_tiles(r->vc, r->cfg.order, ntiles);
		vcomp_want(r->vc, want);
		for (unsigned c = 0; c < VIDEO_NCODECS; c++) {
			struct vcsend *cs = &r->cs[c];

			if (!(want & (1u << c))) {
				cs->wanted_us = 0;
				continue;
			}
			if (!cs->rtx)
				cs->rtx = calloc(1, sizeof(*cs->rtx));
			if (!cs->wanted_us)
				cs->wanted_us = t->now_us;
		}
	}
	r->want_codecs = want;
	vfwd_select(t, r);
}

static void ep_add(struct vthread *t, int fd, struct vfd *f)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};

	if (fd >= 0)
		(void)epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void ep_del(struct vthread *t, int fd)
{
	if (fd >= 0)
		(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void cmd_add(struct vthread *t, struct vcmd *c)
{
	struct vstream *s = c->s;
	struct vroom *r = room_get(t, c->room, true);

	if (r && r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 8;
		struct vstream **v = realloc(r->s, cap * sizeof(*v));

		if (v) {
			r->s = v;
			r->cap = cap;
		}
	}
	if (!r || r->n == r->cap) {      /* out of memory: the call has
					  * no video */
		vstream_free(s);
		return;
	}
	r->s[r->n++] = s;
	s->room = r;
	if (s->rtcp_fd == s->rtp_fd)
		s->rtcp_fd = -1;         /* one socket: RTCP muxed */
	ep_add(t, s->rtp_fd, &s->fd_rtp);
	ep_add(t, s->rtcp_fd, &s->fd_rtcp);
	msource_signal(&s->src, &s->m.rtp_dst, s->m.rtp_dst_len,
		       &s->m.rtcp_dst, s->m.rtcp_dst_len);
	(void)vsrtp_apply(s);            /* failed: nothing authenticates */
	atomic_fetch_add(&t->streams, 1);
	room_relink(t, r);
}

static void cmd_update(struct vthread *t, struct vstream *s,
		       const struct video_media *m)
{
	struct video_media old = s->m;
	bool same_rtcp = m->rtcp_dst_len == s->src.sig_rtcp_len &&
		(!m->rtcp_dst_len ||
		 msource_addr_eq(&m->rtcp_dst, &s->src.sig_rtcp, true));

	s->m = *m;
	s->m.tx_ssrc = old.tx_ssrc;      /* read on add */
	s->m.fecc = old.fecc;
	msource_signal(&s->src, &m->rtp_dst, m->rtp_dst_len, &m->rtcp_dst,
		       m->rtcp_dst_len);
	/* a source learnt and not moved by signalling: still sent to */
	if (s->src.cur_len) {
		s->m.rtp_dst = s->src.cur;
		s->m.rtp_dst_len = s->src.cur_len;
	}
	if (s->rtcp_latched && same_rtcp) {
		s->m.rtcp_dst = old.rtcp_dst;
		s->m.rtcp_dst_len = old.rtcp_dst_len;
	}
	else {
		s->rtcp_latched = false;
	}
	(void)vsrtp_apply(s);
	/* another codec: what it was sent continues only from a keyframe
	 * of what it takes now */
	if (old.codec != s->m.codec) {
		s->cur_epoch = ~s->cur_epoch;
		s->epoch++;
		for (unsigned i = 0; s->rtx && i < VID_RTX_SLOTS; i++)
			s->rtx->slot[i].used = false;
		/* a NACK must not bring back a packet of the old codec */
		for (unsigned i = 0; s->sent && i < VID_SENT_SLOTS; i++)
			s->sent[i].used = false;
	}
	if (!s->m.send) {
		s->want = 0;
		if (s->cur)
			vfwd_show(t, s, 0);
	}
	room_relink(t, s->room);
}

static void cmd_remove(struct vthread *t, struct vstream *s)
{
	struct vroom *r = s->room;

	for (unsigned i = 0; i < r->n; i++) {
		if (r->s[i] != s)
			continue;
		/* the order of the others is kept */
		memmove(&r->s[i], &r->s[i + 1],
			(r->n - i - 1) * sizeof(r->s[0]));
		r->n--;
		break;
	}
	ep_del(t, s->rtp_fd);
	ep_del(t, s->rtcp_fd);
	vstream_free(s);
	atomic_fetch_sub(&t->streams, 1);
	/* receivers showing it keep their picture until the next one's
	 * keyframe (selection picks another) */
	if (!r->n)
		room_drop(t, r);
	else
		room_relink(t, r);
}

static void cmd_room(struct vthread *t, struct vcmd *c)
{
	struct vroom *r = room_get(t, c->room, true);

	if (!r) {
		if (c->vc)
			vcomp_put_nowait(c->vc);
		return;
	}
	r->cfg = c->u.rc;
	if (r->cfg.norder > VIDEO_ORDER_MAX)
		r->cfg.norder = VIDEO_ORDER_MAX;
	if (c->vc && c->vc == r->vc) {
		vcomp_put_nowait(c->vc);        /* the same composer: one reference
					  * is enough */
	}
	else if (c->vc != r->vc) {
		comp_detach(t, r);
		if (c->vc) {
			struct epoll_event ev = {.events = EPOLLIN,
						 .data.ptr = &r->fd_comp};

			r->vc = c->vc;
			(void)epoll_ctl(t->ep, EPOLL_CTL_ADD, vcomp_fd(r->vc),
					&ev);
			atomic_fetch_add(&t->composed, 1);
		}
	}
	room_relink(t, r);
}

void vcmd_apply(struct vthread *t, struct vcmd *c)
{
	struct vstream *s = NULL;

	if (c->type != VCMD_ADD && c->type != VCMD_ROOM) {
		s = stream_find(t, c->id);
		if (!s)
			return;
	}
	switch (c->type) {
	case VCMD_ADD:
		cmd_add(t, c);
		break;
	case VCMD_UPDATE:
		cmd_update(t, s, &c->u.m);
		break;
	case VCMD_REMOVE:
		cmd_remove(t, s);
		break;
	case VCMD_ROOM:
		cmd_room(t, c);
		break;
	case VCMD_FECC:
		if (s->m.fecc)
			vfecc_send(t, s, c->u.fecc.data, c->u.fecc.len);
		break;
	case VCMD_KEYFRAME:
		vfwd_kf_for(t, s);
		break;
	}
}

/* A command the thread never took (it ended first): what it carries is
 * freed */
void vcmd_discard(struct vcmd *c)
{
	if (c->type == VCMD_ADD)
		vstream_free(c->s);
	if (c->type == VCMD_ROOM && c->vc)
		vcomp_put_nowait(c->vc);
}
