/*
 * udpfloor: the kernel's share of a conference server's work, measured: N
 * UDP sockets on 127.0.0.1 (one per participant, as caucusd has), and a
 * 20 ms loop that reads each socket with recvmmsg and sends every packet
 * back where it came from. No decoding, no mixing: what remains is the
 * price of the system calls, the floor any server with a socket per
 * participant pays. bench/janus.sh runs it under the same generator
 * (caucus-loadgen --peers FILE) as caucusd and Janus.
 *
 *   udpfloor N PORTS-FILE     writes one port per line, then loops until
 *                             SIGTERM
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#define BATCH 8
#define PKT 1500

static volatile sig_atomic_t run = 1;

static void stop(int sig)
{
	(void)sig;
	run = 0;
}

int main(int argc, char *argv[])
{
	static uint8_t buf[BATCH][PKT];
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	struct timespec next;
	FILE *f;
	int *fd, n;

	if (argc != 3 || (n = atoi(argv[1])) <= 0 || n > 20000) {
		fprintf(stderr, "usage: udpfloor N PORTS-FILE\n");
		return 2;
	}
	fd = calloc((size_t)n, sizeof(*fd));
	f = fopen(argv[2], "w");
	if (!fd || !f)
		return 1;
	for (int i = 0; i < n; i++) {
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
		fprintf(f, "%u\n", ntohs(a.sin_port));
	}
	fclose(f);
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	for (int k = 0; k < BATCH; k++) {
		iov[k].iov_base = buf[k];
		iov[k].iov_len = PKT;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (run) {
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
		next.tv_nsec += 20000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR && run)
			;
	}
	return 0;
}
