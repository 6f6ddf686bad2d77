/* The far end of a mixer stream in the unit tests: a UDP socket on
 * loopback, PCMU tone packets, and the power of a tone in PCMU frames. */
#ifndef CAUCUS_TEST_RTP_PEER_H
#define CAUCUS_TEST_RTP_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include "mixer/mixer.h"

#define PEER_FRAME 160           /* 20 ms of PCMU */

/* A UDP socket bound to 127.0.0.1 on a free port (asserted); sa: where */
int peer_udp(struct sockaddr_in *sa);
/* An RTP header (version 2, no padding, extension, CSRC or marker) into
 * pkt's first 12 bytes */
void peer_rtp_header(uint8_t *pkt, uint8_t pt, uint16_t seq, uint32_t ts,
		     uint32_t ssrc);
/* RTP packet k of a PCMU tone (freq Hz, amp of full 32768; 0: silence)
 * from ssrc, into pkt (12 + PEER_FRAME bytes); returns its length */
size_t peer_pcmu_packet(uint8_t *pkt, unsigned k, double freq, double amp,
			uint32_t ssrc);
/* Power at f (dB relative to full scale) over n PCMU frames */
double peer_pcmu_power_db(const uint8_t (*frames)[PEER_FRAME], unsigned n,
			  double f);
/* Sleeps until 20 ms after *next, which moves on */
void peer_tick_sleep(struct timespec *next);
/* The ticks every thread of mx has run (the fewest of them): a command
 * queued before this read c is applied once it reads c + 2 (a tick
 * takes its commands first, and is counted at its end) */
uint64_t peer_mixer_ticks(const struct mixer *mx);
/* Until what was queued before peer_mixer_ticks read t0 is applied
 * (asserted, within 5 s): calls meanwhile() over and over (a tick of the
 * peers' media, say), or naps when it is NULL */
void peer_mixer_wait(const struct mixer *mx, uint64_t t0,
		     void (*meanwhile)(void));
/* What a mixer stream of codec (sent with its static payload type)
 * sends a peer at peer_addr: both ways, no keypad events, the rest 0 */
void peer_mixer_media(struct mixer_media *m,
		      const struct sockaddr_in *peer_addr,
		      enum media_codec codec);
/* m's stream in room on a socket pair of its own (mix_addr: where its
 * RTP is; asserted) */
void peer_stream_add(struct mixer *mx, uint32_t room,
		     const struct mixer_media *m, struct sockaddr_in *mix_addr,
		     uint32_t *idp);

#endif
