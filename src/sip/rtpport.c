/*
 * RTP/RTCP port pairs: RTP on an even port, RTCP on the next (RFC 3550
 * s. 11), taken round-robin from the configured range so that a port just
 * released is not handed out again at once (late packets of the old call
 * would land in the new one). Signalling thread; the sockets go to the
 * mixer, which closes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include "sip/sip_int.h"

static int bind_udp(const struct sa *addr, uint16_t port, int *fdp)
{
	struct sa a = *addr;
	int fd, err = 0;

	sa_set_port(&a, port);
	fd = socket(sa_af(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, &a.u.sa, a.len) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int rtp_ports_alloc(struct focus *f, int *rtp_fd, int *rtcp_fd,
		    uint16_t *port)
{
	unsigned span = (unsigned)(f->rtp_max - f->rtp_min) / 2;

	for (unsigned i = 0; i < span; i++) {
		uint16_t p = f->rtp_next;

		f->rtp_next += 2;
		if (f->rtp_next + 1 > f->rtp_max)
			f->rtp_next = f->rtp_min;
		if (bind_udp(&f->rtp_laddr, p, rtp_fd))
			continue;
		if (bind_udp(&f->rtp_laddr, (uint16_t)(p + 1), rtcp_fd)) {
			close(*rtp_fd);
			continue;
		}
		*port = p;
		return 0;
	}
	return EADDRINUSE;
}
