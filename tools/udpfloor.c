/*
 * udpfloor: the kernel's share of a conference server's work, measured: N
 * UDP sockets on 127.0.0.1 (one per participant, as caucusd has), and a
 * 20 ms loop that reads each socket with recvmmsg and sends every packet
 * back where it came from. No decoding, no mixing: what remains is the
 * price of the system calls, the floor any server with a socket per
 * participant pays. bench/janus.sh runs it under the same generator
 * (caucus-loadgen --peers FILE) as caucusd and Janus.
 *
 * With --shared, the floor of a server with one socket for everyone
 * (caucusd's rtp_sockets = per-thread): one socket, read with recvmmsg
 * and answered with sendmmsg, 64 packets a call.
 *
 * With --fanout, the floor of switched video (bench/video.sh, under
 * caucus-vidload --peers FILE): a socket per participant, woken by epoll
 * as packets come (a forwarder does not wait for a tick), each ready
 * socket read with recvmmsg and the sender's address latched (symmetric
 * RTP). What socket 0 sends (the speaker) goes to every other latched
 * peer, what socket 1 sends (the speaker before) to socket 0's peer,
 * each batch read in one sendmmsg per receiver on the receiver's own
 * socket; everything else is read and dropped. The least a switched
 * forwarder does: read everyone, send N-1 copies of the speaker and one
 * of the speaker before, with no rewriting, no selection, no RTCP.
 *
 *   udpfloor [--shared|--fanout] N PORTS-FILE
 *                                      writes one port per line (the
 *                                      same one N times with --shared),
 *                                      then loops until SIGTERM
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define BATCH 8
#define SHARED_BATCH 64
#define FANOUT_BATCH 32
#define PKT 1500

static volatile sig_atomic_t run = 1;

static void stop(int sig)
{
	(void)sig;
	run = 0;
}

static void tick_wait(struct timespec *next)
{
	next->tv_nsec += 20000000;
	if (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next,
			       NULL) == EINTR && run)
		;
}

/* Everything there is on fd, SHARED_BATCH at a time, straight back */
static void echo_shared(int fd)
{
	static uint8_t buf[SHARED_BATCH][PKT];
	static struct mmsghdr mh[SHARED_BATCH];
	static struct iovec iov[SHARED_BATCH];
	static struct sockaddr_in from[SHARED_BATCH];
	int got;

	do {
		for (int k = 0; k < SHARED_BATCH; k++) {
			iov[k].iov_base = buf[k];
			iov[k].iov_len = PKT;
			memset(&mh[k], 0, sizeof(mh[k]));
			mh[k].msg_hdr.msg_iov = &iov[k];
			mh[k].msg_hdr.msg_iovlen = 1;
			mh[k].msg_hdr.msg_name = &from[k];
			mh[k].msg_hdr.msg_namelen = sizeof(from[k]);
		}
		got = recvmmsg(fd, mh, SHARED_BATCH, MSG_DONTWAIT, NULL);
		for (int k = 0; k < got; k++)
			iov[k].iov_len = mh[k].msg_len;
		for (int off = 0, r; off < got; off += r > 0 ? r : 1)
			r = sendmmsg(fd, mh + off, (unsigned)(got - off),
				     MSG_DONTWAIT);
	} while (got == SHARED_BATCH);
}

/* --fanout: a batch just read (got packets) to socket to's latched
 * peer, in one sendmmsg on to's socket */
static void fanout_copy(const int *fd, const struct sockaddr_in *peer,
			struct mmsghdr *mh, int got, int to)
{
	for (int k = 0; k < got; k++) {
		mh[k].msg_hdr.msg_name = (void *)&peer[to];
		mh[k].msg_hdr.msg_namelen = sizeof(peer[to]);
	}
	for (int off = 0, r; off < got; off += r > 0 ? r : got)
		r = sendmmsg(fd[to], mh + off, (unsigned)(got - off),
			     MSG_DONTWAIT);
}

static void fanout_rx(const int *fd, int n, struct sockaddr_in *peer,
		      bool *known, int i)
{
	static uint8_t buf[FANOUT_BATCH][PKT];
	static struct mmsghdr mh[FANOUT_BATCH];
	static struct iovec iov[FANOUT_BATCH];
	static struct sockaddr_in from[FANOUT_BATCH];
	int got;

	do {
		for (int k = 0; k < FANOUT_BATCH; k++) {
			iov[k].iov_base = buf[k];
			iov[k].iov_len = PKT;
			memset(&mh[k], 0, sizeof(mh[k]));
			mh[k].msg_hdr.msg_iov = &iov[k];
			mh[k].msg_hdr.msg_iovlen = 1;
			mh[k].msg_hdr.msg_name = &from[k];
			mh[k].msg_hdr.msg_namelen = sizeof(from[k]);
		}
		got = recvmmsg(fd[i], mh, FANOUT_BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		peer[i] = from[got - 1];
		known[i] = true;
		for (int k = 0; k < got; k++)
			iov[k].iov_len = mh[k].msg_len;
		for (int j = 1; i == 0 && j < n; j++)
			if (known[j])
				fanout_copy(fd, peer, mh, got, j);
		if (i == 1 && known[0])
			fanout_copy(fd, peer, mh, got, 0);
	} while (got == FANOUT_BATCH);
}

static int fanout(const int *fd, int n)
{
	struct sockaddr_in *peer = calloc((size_t)n, sizeof(*peer));
	bool *known = calloc((size_t)n, sizeof(*known));
	struct epoll_event ev[64];
	int ep = epoll_create1(0);

	if (!peer || !known || ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 =
					(uint32_t)i};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e))
			return 1;
	}
	while (run) {
		int got = epoll_wait(ep, ev, 64, 100);

		for (int k = 0; k < got; k++)
			fanout_rx(fd, n, peer, known, (int)ev[k].data.u32);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	static uint8_t buf[BATCH][PKT];
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	struct timespec next;
	bool shared = argc > 1 && !strcmp(argv[1], "--shared");
	bool fan = argc > 1 && !strcmp(argv[1], "--fanout");
	FILE *f;
	int *fd, n;
	unsigned port0 = 0;

	argc -= shared || fan;
	argv += shared || fan;
	if (argc != 3 || (n = atoi(argv[1])) <= 0 || n > 20000 ||
	    (fan && n < 2)) {
		fprintf(stderr, "usage: udpfloor [--shared|--fanout] N "
			"PORTS-FILE\n");
		return 2;
	}
	fd = calloc((size_t)n, sizeof(*fd));
	f = fopen(argv[2], "w");
	if (!fd || !f)
		return 1;
	for (int i = 0; i < n; i++) {
		if (shared && i) {            /* everyone to the first */
			fprintf(f, "%u\n", port0);
			continue;
		}
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t len = sizeof(a);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd[i] < 0 || bind(fd[i], (struct sockaddr *)&a,
				      sizeof(a)) ||
		    getsockname(fd[i], (struct sockaddr *)&a, &len)) {
			perror("udpfloor: socket");
			return 1;
		}
		port0 = ntohs(a.sin_port);
		fprintf(f, "%u\n", port0);
		if (shared) {
			/* (as caucusd asks for its per-thread sockets) */
			int big = 8 << 20;

			if (setsockopt(fd[i], SOL_SOCKET, SO_RCVBUFFORCE, &big,
				       sizeof(big)))
				(void)setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF,
						 &big, sizeof(big));
		}
	}
	fclose(f);
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	if (fan)
		return fanout(fd, n);
	for (int k = 0; k < BATCH; k++) {
		iov[k].iov_base = buf[k];
		iov[k].iov_len = PKT;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (run && shared) {
		echo_shared(fd[0]);
		tick_wait(&next);
	}
	while (run && !shared) {
		for (int i = 0; i < n; i++) {
			int got;

			for (int k = 0; k < BATCH; k++) {
				memset(&mh[k], 0, sizeof(mh[k]));
				mh[k].msg_hdr.msg_iov = &iov[k];
				mh[k].msg_hdr.msg_iovlen = 1;
				mh[k].msg_hdr.msg_name = &from[k];
				mh[k].msg_hdr.msg_namelen = sizeof(from[k]);
			}
			got = recvmmsg(fd[i], mh, BATCH, MSG_DONTWAIT, NULL);
			for (int k = 0; k < got; k++)
				(void)sendto(fd[i], buf[k], mh[k].msg_len,
					     MSG_DONTWAIT,
					     (struct sockaddr *)&from[k],
					     mh[k].msg_hdr.msg_namelen);
		}
		tick_wait(&next);
	}
	return 0;
}
