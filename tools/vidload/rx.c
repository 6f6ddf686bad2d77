/*
 * caucus-vidload media thread, receiving side: one epoll set over every
 * leg's four sockets, asked without waiting once a tick (media.c), and
 * each socket it names read empty with recvmmsg. Video: counted per leg,
 * with the packets there should have been (sequence numbers: caucusd
 * gives each receiver one continuous stream), keyframe starts, and
 * SSRC changes (there should be none). RTCP: a PLI or FIR about the
 * stream a leg sends makes its next frame a key frame. Audio and the
 * rest: read and counted, so no buffer fills. Media thread only.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "vidload.h"
#include "video/vpkt.h"

#define BATCH 64
#define EVENTS 256

static int ep = -1;

int vl_rx_open(void)
{
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return errno;
	for (unsigned i = 0; i < o.n; i++) {
		for (unsigned k = 0; k < VL_NFD; k++) {
			struct epoll_event ev = {.events = EPOLLIN};

			if (legs[i].fd[k] < 0)
				continue;
			ev.data.u64 = (uint64_t)i * VL_NFD + k;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, legs[i].fd[k], &ev))
				return errno;
		}
	}
	return 0;
}

void vl_rx_close(void)
{
	if (ep >= 0)
		close(ep);
	ep = -1;
}

static void fb_h(const struct vpkt_fb *fb, void *arg)
{
	struct vleg *l = arg;

	if ((fb->kind == VPKT_PLI || fb->kind == VPKT_FIR) &&
	    fb->media_ssrc == l->v_ssrc) {
		l->rx.kf_req++;
		l->key_wanted = true;
	}
}

/* RFC 3550 A.1, reduced: what a receiver of one continuous stream
 * expects (reordered and duplicated packets count as received, not as
 * expected, which is why a loss below 0 is reported as 0) */
static void video_seq(struct vl_rx *rx, const struct vpkt_rtp *h)
{
	int16_t d;

	if (!rx->seq_init || h->ssrc != rx->ssrc) {
		if (rx->seq_init)
			rx->ssrc_changes++;
		rx->seq_init = true;
		rx->ssrc = h->ssrc;
		rx->max_seq = h->seq;
		rx->expected++;
		return;
	}
	d = (int16_t)(h->seq - rx->max_seq);
	if (d > 0) {
		rx->expected += (uint16_t)d;
		rx->max_seq = h->seq;
	}
}

static void video_rx(struct vleg *l, const uint8_t *b, size_t len)
{
	struct vpkt_rtp h;

	/* RTCP on the RTP port (RFC 5761), should caucusd send it there */
	if (len >= 2 && b[1] >= 200 && b[1] <= 204) {
		(void)vpkt_rtcp_walk(b, len, fb_h, l);
		return;
	}
	if (!vpkt_rtp_parse(b, len, &h) || h.pt != VL_PT_VP8)
		return;
	l->rx.video++;
	video_seq(&l->rx, &h);
	if (vpkt_key_start(VIDEO_VP8, b + h.hlen, h.plen))
		l->rx.keys++;
}

static void drain(struct vleg *l, unsigned k)
{
	static uint8_t buf[BATCH][1500];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	int n;

	do {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(l->fd[k], msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			size_t len = msgs[i].msg_len;

			switch (k) {
			case VL_VIDEO:
				video_rx(l, buf[i], len);
				break;
			case VL_VIDEO_RTCP:
				(void)vpkt_rtcp_walk(buf[i], len, fb_h, l);
				break;
			case VL_AUDIO:
				l->rx.audio++;
				break;
			default:
				break;
			}
		}
	} while (n == BATCH);
}

void vl_rx_poll(void)
{
	struct epoll_event ev[EVENTS];
	int n;

	do {
		n = epoll_wait(ep, ev, EVENTS, 0);
		for (int i = 0; i < n; i++) {
			unsigned tag = (unsigned)ev[i].data.u64;

			drain(&legs[tag / VL_NFD], tag % VL_NFD);
		}
	} while (n == EVENTS);
}
