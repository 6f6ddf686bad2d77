/*
 * A video forwarding thread: the loop. It sleeps in epoll_wait on the
 * RTP and RTCP sockets of the streams placed on it, its command eventfd,
 * and the composers' fds of its composed rooms; it wakes for packets at
 * once (switched video is forwarded as it comes, never on a tick) and at
 * least every 20 ms for its timers: selection and keyframe re-requests
 * (vfwd.c), and once a second RTCP and the stats events (vrtcp.c).
 *
 * Order within a wake-up: the sockets epoll reported are read first, the
 * commands applied last. A command may free a stream, and the events of
 * this epoll_wait still point at it; applying commands only after every
 * event of the batch was handled is what keeps those pointers valid.
 *
 * Rules (docs/architecture.md): no logging, no libre calls but srtp_* and
 * mem_deref of what it owns, allocation only in commands (vcmd.c). It
 * talks to the signalling thread only through the two SPSC rings and the
 * eventfds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "video/vid_int.h"
#include "video/vcomp.h"
#include "util/msg.h"

#define EP_EVENTS 64
/* recvmmsg batches read from one socket per wake-up, so a flood on one
 * stream cannot starve the others (epoll is level-triggered: the rest is
 * read on the next round) */
#define RX_ROUNDS 4

uint64_t vthread_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void vthread_event(struct vthread *t, const struct video_event *ev)
{
	if (!spsc_push(&t->evq, ev)) {
		atomic_fetch_add_explicit(&t->events_dropped, 1,
					  memory_order_relaxed);
		return;
	}
	t->sig = true;
}

static void rx_socket(struct vthread *t, struct vstream *s, bool rtcp)
{
	struct mmsghdr msgs[VID_RX_BATCH];
	struct iovec iov[VID_RX_BATCH];
	int fd = rtcp ? s->rtcp_fd : s->rtp_fd;

	for (unsigned round = 0; round < RX_ROUNDS; round++) {
		int n;

		for (unsigned i = 0; i < VID_RX_BATCH; i++) {
			/* one more than we take: a longer datagram is
			 * seen as such (truncated, then refused) */
			msg_one(&msgs[i].msg_hdr, &iov[i], t->rxbuf[i],
				VID_PKT_MAX + 1, &t->rxsrc[i],
				sizeof(t->rxsrc[i]));
		}
		n = recvmmsg(fd, msgs, VID_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint8_t *b = t->rxbuf[i];
			size_t len = msgs[i].msg_len;
			socklen_t sl = msgs[i].msg_hdr.msg_namelen;

			if (len > VID_PKT_MAX || len < 2)
				continue;
			t->rx_n++;
			/* RFC 5761 s. 4: RTCP on the RTP port (packet
			 * types 192-223, where payload types 64-95 with
			 * the marker would be; no SDP gives them video) */
			if (rtcp || (b[1] >= 192 && b[1] <= 223))
				vrtcp_rx(t, s, b, len, &t->rxsrc[i], sl,
					 !rtcp);
			else
				vfwd_rx(t, s, b, len, &t->rxsrc[i], sl);
		}
		if (n < VID_RX_BATCH)
			return;
	}
}

static void commands(struct vthread *t)
{
	struct vcmd c;
	uint64_t cnt;

	if (read(t->cfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	while (spsc_pop(&t->cmdq, &c))
		vcmd_apply(t, &c);
}

/* A composer's eventfd (written per frame and per keyframe wish; never
 * read by vcomp.c): read first, then everything waiting taken, so what
 * comes after the read writes it again */
static void comp_ready(struct vthread *t, struct vroom *r)
{
	uint64_t cnt;

	if (!r->vc)
		return;
	(void)!read(vcomp_fd(r->vc), &cnt, sizeof(cnt));
	vfwd_comp_output(t, r);
	vfwd_comp_keys(t, r);
}

static void tick(struct vthread *t)
{
	for (unsigned i = 0; i < t->nrooms; i++) {
		struct vroom *r = t->rooms[i];

		if (r->vc)
			vfwd_comp_keys(t, r);
		vfwd_select(t, r);
	}
}

static void second(struct vthread *t)
{
	uint64_t span = t->now_us - t->last_sec_us;

	if (!span)
		span = VID_SECOND_US;
	t->last_sec_us = t->now_us;
	for (unsigned i = 0; i < t->nrooms; i++) {
		struct vroom *r = t->rooms[i];

		for (unsigned k = 0; k < r->n; k++)
			vrtcp_second(t, r->s[k], span);
	}
}

static void timers(struct vthread *t)
{
	if (!t->nrooms) {
		/* asleep until a command (wait_ms): the clocks start again
		 * with the first room, so its first second is a second */
		t->next_tick_us = t->now_us;
		t->last_sec_us = t->now_us;
		t->next_sec_us = t->now_us + VID_SECOND_US;
		return;
	}
	if (t->now_us >= t->next_tick_us) {
		t->next_tick_us = t->now_us + VID_TICK_US;
		tick(t);
	}
	if (t->now_us >= t->next_sec_us) {
		t->next_sec_us = t->now_us + VID_SECOND_US;
		second(t);
	}
}

/* What the wake-up did, into the atomics others read */
static void publish(struct vthread *t, uint64_t start)
{
	static const uint64_t one = 1;

	if (t->sig) {
		t->sig = false;
		(void)!write(t->efd, &one, sizeof(one));
	}
	if (t->rx_n)
		atomic_fetch_add_explicit(&t->rx_packets, t->rx_n,
					  memory_order_relaxed);
	if (t->tx_n)
		atomic_fetch_add_explicit(&t->tx_packets, t->tx_n,
					  memory_order_relaxed);
	if (t->fwd_n)
		atomic_fetch_add_explicit(&t->forwarded, t->fwd_n,
					  memory_order_relaxed);
	if (t->rtx_n)
		atomic_fetch_add_explicit(&t->retransmits, t->rtx_n,
					  memory_order_relaxed);
	t->rx_n = t->tx_n = t->fwd_n = t->rtx_n = 0;
	atomic_fetch_add_explicit(&t->busy_us, vthread_now_us() - start,
				  memory_order_relaxed);
}

/* How long to sleep: until the next tick, or, with no room on the
 * thread (no video at all, the usual audio-only server), until a
 * command comes: its timers have nothing to do */
static int wait_ms(const struct vthread *t)
{
	uint64_t now = vthread_now_us();

	if (!t->nrooms)
		return -1;
	if (now >= t->next_tick_us)
		return 0;
	return (int)((t->next_tick_us - now + 999) / 1000);
}

void *vthread_main(void *arg)
{
	struct vthread *t = arg;
	struct epoll_event ev[EP_EVENTS];

	t->now_us = vthread_now_us();
	t->last_sec_us = t->now_us;
	t->next_tick_us = t->now_us + VID_TICK_US;
	t->next_sec_us = t->now_us + VID_SECOND_US;
	while (atomic_load(&t->run)) {
		int n = epoll_wait(t->ep, ev, EP_EVENTS, wait_ms(t));
		bool cmd = false;
		uint64_t start;

		start = t->now_us = vthread_now_us();
		for (int i = 0; i < n; i++) {
			struct vfd *f = ev[i].data.ptr;

			switch (f->kind) {
			case VFD_CMD:
				cmd = true;
				break;
			case VFD_RTP:
				rx_socket(t, f->obj, false);
				break;
			case VFD_RTCP:
				rx_socket(t, f->obj, true);
				break;
			case VFD_COMP:
				comp_ready(t, f->obj);
				break;
			}
		}
		timers(t);
		if (cmd)
			commands(t);
		publish(t, start);
	}
	return NULL;
}

/* After the thread ended (signalling thread): its rooms and streams, and
 * the commands it never took */
void vthread_free_all(struct vthread *t)
{
	struct vcmd c;

	while (t->cmdq.items && spsc_pop(&t->cmdq, &c))
		vcmd_discard(&c);
	for (unsigned i = 0; i < t->nrooms; i++)
		vroom_free(t->rooms[i]);
	free(t->rooms);
	t->rooms = NULL;
	t->nrooms = t->cap_rooms = 0;
}
