/* The unit tests' far end of a mixer stream (rtp_peer.h) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "media/media.h"
#include "rtp_peer.h"

int peer_udp(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void peer_rtp_header(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts,
		     uint32_t ssrc)
{
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	put32(pkt + 4, ts);
	put32(pkt + 8, ssrc);
}

size_t peer_pcmu_packet(uint8_t *pkt, unsigned k, double freq, double amp,
			uint32_t ssrc)
{
	int16_t pcm[PEER_FRAME];
	uint32_t ts = k * PEER_FRAME;

	for (int i = 0; i < PEER_FRAME; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * freq *
						  (double)(ts + i) / 8000));
	peer_rtp_header(pkt, 0, (uint16_t)k, ts, ssrc);     /* PCMU */
	media_encode(MEDIA_PCMU, pkt + 12, pcm, PEER_FRAME);
	return 12 + PEER_FRAME;
}

double peer_pcmu_power_db(const uint8_t (*frames)[PEER_FRAME], unsigned n,
			  double f)
{
	double total = 0;

	for (unsigned k = 0; k < n; k++) {
		int16_t pcm[PEER_FRAME];
		double s1 = 0, s2 = 0, c = 2 * cos(2 * M_PI * f / 8000), p;

		media_decode(MEDIA_PCMU, pcm, frames[k], PEER_FRAME);
		for (int i = 0; i < PEER_FRAME; i++) {
			double s0 = pcm[i] / 32768.0 + c * s1 - s2;

			s2 = s1;
			s1 = s0;
		}
		p = s1 * s1 + s2 * s2 - c * s1 * s2;
		total += p / (PEER_FRAME * PEER_FRAME / 4.0);
	}
	return 10 * log10(total / n + 1e-20);
}

void peer_tick_sleep(struct timespec *next)
{
	next->tv_nsec += 20000000;
	if (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

uint64_t peer_mixer_ticks(const struct mixer *mx)
{
	uint64_t least = UINT64_MAX;

	for (unsigned i = 0; i < mixer_thread_count(mx); i++) {
		struct mixer_thread_stats st;

		mixer_thread_stats(mx, i, &st);
		if (st.ticks < least)
			least = st.ticks;
	}
	return least;
}

void peer_mixer_wait(const struct mixer *mx, uint64_t t0,
		     void (*meanwhile)(void))
{
	const struct timespec nap = {0, 1000000};
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 5;
	while (peer_mixer_ticks(mx) < t0 + 2) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec &&
						now.tv_nsec >= end.tv_nsec))
			break;
		if (meanwhile)
			meanwhile();
		else
			nanosleep(&nap, NULL);
	}
	assert_true(peer_mixer_ticks(mx) >= t0 + 2);
}

void peer_mixer_media(struct mixer_media *m,
		      const struct sockaddr_in *peer_addr,
		      enum media_codec codec)
{
	memset(m, 0, sizeof(*m));
	memcpy(&m->rtp_dst, peer_addr, sizeof(*peer_addr));
	m->rtp_dst_len = sizeof(*peer_addr);
	m->codec = codec;
	m->tx_pt = (uint8_t)codec;
	m->telev_pt = -1;
	m->send = m->recv = true;
}

void peer_stream_add(struct mixer *mx, uint32_t room,
		     const struct mixer_media *m, struct sockaddr_in *mix_addr,
		     uint32_t *idp)
{
	struct sockaddr_in rtcp;
	int rtp_fd = peer_udp(mix_addr), rtcp_fd = peer_udp(&rtcp);

	assert_int_equal(mixer_stream_add(mx, room, rtp_fd, rtcp_fd, m, idp),
			 0);
}
