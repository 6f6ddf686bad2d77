/*
 * caucus-loadgen's sockets and codecs: the shared RTP/RTCP socket pairs
 * the legs send and receive on (one pair per LEGS_PER_SOCK legs), and
 * which codec each leg speaks. Main thread, before the media starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "loadgen.h"
#include "media/media.h"

enum media_codec lg_leg_codec(unsigned i)
{
	static const enum media_codec mixed[] = {MEDIA_PCMU, MEDIA_G722,
						 MEDIA_OPUS};

	switch (o.codec) {
	case LG_G722:  return MEDIA_G722;
	case LG_OPUS:  return MEDIA_OPUS;
	case LG_MIXED: return mixed[i % 3];
	default:       return MEDIA_PCMU;
	}
}

const char *lg_codec_sdp_name(enum media_codec c)
{
	return c == MEDIA_OPUS ? "opus" : c == MEDIA_G722 ? "G722" : "PCMU";
}

unsigned lg_codec_clock(enum media_codec c)
{
	return c == MEDIA_OPUS ? 48000 : 8000;
}

unsigned lg_codec_rate(enum media_codec c)
{
	return c == MEDIA_OPUS ? 48000 : c == MEDIA_G722 ? 16000 : 8000;
}

/* A UDP socket on 127.0.0.1:port (0: any), non-blocking reads via flags */
static int bind_udp(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 :
		ntohs(a.sin_port);
}

/* An RTP socket on an even port with its RTCP partner on the next one
 * (RFC 3550 s. 11), as the legs' SDP implies. */
static int open_pair(int *rtp, int *rtcp)
{
	for (int tries = 0; tries < 200; tries++) {
		uint16_t p;

		*rtp = bind_udp(0);
		if (*rtp < 0)
			return errno;
		p = port_of(*rtp);
		if (p && !(p & 1) && p < 65535 &&
		    (*rtcp = bind_udp((uint16_t)(p + 1))) >= 0)
			return 0;
		close(*rtp);
	}
	return EADDRINUSE;
}

int open_sockets(void)
{
	nsocks = (o.n + legs_per_sock - 1) / legs_per_sock;
	socks = calloc(nsocks, sizeof(*socks));
	rtcp_socks = calloc(nsocks, sizeof(*rtcp_socks));
	if (!socks || !rtcp_socks)
		return ENOMEM;
	for (unsigned s = 0; s < nsocks; s++) {
		int buf = 4 << 20, on = 1, err;

		err = open_pair(&socks[s], &rtcp_socks[s]);
		if (err)
			return err;
		(void)setsockopt(socks[s], SOL_SOCKET, SO_RCVBUF, &buf,
				 sizeof(buf));
		(void)setsockopt(socks[s], SOL_SOCKET, SO_SNDBUF, &buf,
				 sizeof(buf));
		(void)setsockopt(socks[s], SOL_SOCKET, SO_TIMESTAMPNS, &on,
				 sizeof(on));
	}
	return 0;
}
