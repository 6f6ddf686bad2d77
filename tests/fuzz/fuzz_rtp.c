/*
 * Fuzz target: the media path of a mixer thread, on a thread struct of
 * our own (no thread, no clock): four streams in one room (PCMU, PCMA,
 * G.722, Opus with FEC; RFC 6464 levels on one, RFC 6465 on another,
 * telephone-events), and a script of what arrives:
 *   op & 3 == 0, 1: an RTP packet for stream (op >> 2) & 3: its length
 *                   (2 bytes) and bytes; from the stream's signalled
 *                   address, or (op & 0x20) from a stranger; stream 1
 *                   is SRTP (SDES keys), stream 3 DTLS-SRTP with its RTP
 *                   keyed and its RTCP not yet, and with op & 0x80 their
 *                   packet is first encrypted as the peer would (else it
 *                   will not authenticate); a packet whose first byte is
 *                   20 to 63 is a DTLS record, handed on (or not) as the
 *                   mixer does
 *   op & 3 == 2:    an RTCP packet for stream (op >> 2) & 3, likewise
 *   op & 3 == 3:    a 20 ms tick (decode, conceal, detect talking, mix,
 *                   encode, send); with op & 0x40 first an update of
 *                   stream (op >> 2) & 3 to another codec or room rate,
 *                   and with the next byte's media policy: a group
 *                   (sidebar) with or without the main mix behind it, a
 *                   whisper to, or listening to, another stream, a
 *                   relation and a class row
 * Everything an RTP or RTCP parser, the source rule, the jitter buffer,
 * the decoders, the concealers and the mix can be handed goes through
 * the code caucusd runs. The streams are made once (their coders are
 * costly); each input starts with their jitter buffers and sources
 * reset, and a tick's worth of updates back to their first codecs.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_srtp.h>
#include "mixer/mixer_stream.h"

#define NSTREAMS 4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mthread t;
static struct sockaddr_storage peer[NSTREAMS], stranger;
static uint32_t next_id;
static struct srtp *peer_tx;        /* stream 1's peer, encrypting */
static const uint8_t key_a[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const uint8_t key_b[30] = {11, 12, 13, 14, 15, 16, 17, 18};

static const enum media_codec codecs[NSTREAMS] = {
	MEDIA_PCMU, MEDIA_PCMA, MEDIA_G722, MEDIA_OPUS,
};

static void addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, ip, &in->sin_addr);
}

static void media(struct mixer_media *m, int i, enum media_codec c,
		  unsigned room_hz)
{
	memset(m, 0, sizeof(*m));
	m->rtp_dst = peer[i];
	m->rtp_dst_len = sizeof(struct sockaddr_in);
	m->rtcp_dst = peer[i];
	((struct sockaddr_in *)&m->rtcp_dst)->sin_port =
		htons((uint16_t)(ntohs(((struct sockaddr_in *)&peer[i])->
				       sin_port) + 1));
	m->rtcp_dst_len = sizeof(struct sockaddr_in);
	m->codec = c;
	m->tx_pt = c == MEDIA_OPUS ? 111 : (uint8_t)c;
	m->telev_pt = 101;
	m->send = m->recv = true;
	m->room_hz = room_hz;
	m->level_id = i == 0 ? 1 : 0;
	m->csrc_level_id = i == 1 ? 2 : 0;
	m->opus.useinbandfec = 1;
	m->gain_in_db = i == 2 ? -6 : 0;
	if (i == 1 || i == 3) {
		/* 1: SDES; 3: DTLS-SRTP with RTP keyed, RTCP not yet (its
		 * records are handed on, its RTCP dropped) */
		m->srtp.on = true;
		m->srtp.dtls = i == 3;
		m->srtp.rtp.set = true;
		m->srtp.rtp.suite = SRTP_AES_CM_128_HMAC_SHA1_80;
		m->srtp.rtp.len = 30;
		memcpy(m->srtp.rtp.rx, key_a, 30);
		memcpy(m->srtp.rtp.tx, key_b, 30);
	}
}

static struct mstream *stream(unsigned i);

/* The media policy's part of an update, from one byte: whom it names
 * is one of the four streams (maybe itself, or one gone) */
static void policy(struct mixer_media *m, uint8_t q)
{
	const struct mstream *o = stream((q >> 4) & 3);
	uint32_t id = o ? o->id : 0;

	m->group = q & 3;
	m->bg = q & 4;
	m->bg_gain_db = -12;
	m->whisper_to = q & 8 ? id : 0;
	m->listen_to = q & 0x40 ? id : 0;
	if (q & 0x80) {
		m->rel[0].stream = id;
		m->rel[0].gain_db = q & 0x20 ? -6 : MIXER_GAIN_OFF_DB;
		m->nrel = 1;
		m->cls = q & 3;
		m->by_class = true;
		m->cls_gain_db[q & 3] = MIXER_GAIN_OFF_DB;
		m->cls_gain_db[(q + 1) & 3] = 6;
	}
}

static void push(const struct mcmd *c)
{
	if (!spsc_push(&t.cmdq, c))
		__builtin_trap();
}

/* the streams, each with sockets of its own (closed by the
 * mixer when the stream goes) */
static void streams_add(void)
{
	for (int i = 0; i < NSTREAMS; i++) {
		struct mcmd c = {.type = MCMD_ADD, .id = ++next_id, .room = 1};
		struct sockaddr_in a = {.sin_family = AF_INET};

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		c.rtp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		c.rtcp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		(void)bind(c.rtp_fd, (struct sockaddr *)&a, sizeof(a));
		(void)bind(c.rtcp_fd, (struct sockaddr *)&a, sizeof(a));
		media(&c.media, i, codecs[i], 0);
		push(&c);
	}
	mthread_drain_commands(&t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	t.jitter_ms = 40;
	t.max_speakers = 4;
	t.mix_hz = 16000;
	t.efd = eventfd(0, EFD_NONBLOCK);
	if (spsc_init(&t.cmdq, 64, sizeof(struct mcmd)) ||
	    spsc_init(&t.evq, 4096, sizeof(struct mixer_event)) ||
	    spsc_init(&t.pktq, 64, sizeof(struct mpkt)))
		__builtin_trap();
	for (int i = 0; i < NSTREAMS; i++)     /* nothing listens there */
		addr(&peer[i], "127.0.0.1", (uint16_t)(9 + 2 * i));
	addr(&stranger, "127.0.0.66", 4000);
	streams_add();
	return 0;
}

static struct mstream *stream(unsigned i)
{
	if (!t.nrooms || !t.rooms[0]->n)
		return NULL;
	return t.rooms[0]->s[i % t.rooms[0]->n];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[PKT_MAX + MSRTP_TAG_MAX];
	uint64_t mono = 1000000000, wall = 1700000000000000ull;
	const uint8_t *p = data, *end = data + size;
	struct mixer_event ev;
	static struct mpkt rec;
	bool sig = false;
	unsigned ticks = 0;

	/* where the last input left them: back to the first codecs and
	 * rates, empty buffers, no source learnt */
	for (unsigned i = 0; i < t.rooms[0]->n; i++) {
		struct mstream *s = t.rooms[0]->s[i];
		struct mcmd c = {.type = MCMD_UPDATE, .id = s->id};

		media(&c.media, (int)i, codecs[i], 0);
		push(&c);
	}
	mthread_drain_commands(&t);
	for (unsigned i = 0; i < t.rooms[0]->n; i++) {
		struct mstream *s = t.rooms[0]->s[i];

		jbuf_init(&s->jb, s->jb.clock, t.jitter_ms);
		memset(&s->src, 0, sizeof(s->src));
		msource_signal(&s->src, &s->m.rtp_dst, s->m.rtp_dst_len,
			       &s->m.rtcp_dst, s->m.rtcp_dst_len);
	}
	/* stream 1's peer starts over too (its rollover state) */
	mem_deref(peer_tx);
	if (srtp_alloc(&peer_tx, SRTP_AES_CM_128_HMAC_SHA1_80, key_a, 30, 0))
		__builtin_trap();
	while (p < end) {
		unsigned op = *p++, i = (op >> 2) & 3, len;
		size_t n;
		struct mstream *s = stream(i);

		if (!s)
			break;
		if ((op & 3) == 3) {
			/* a tick encodes for every stream: at most 16 an
			 * input, or the fuzzer crawls */
			if (++ticks > 16)
				break;
			if (op & 0x40 && p < end) {
				static const unsigned hz[] = {0, 8000, 16000,
							      48000};
				struct mcmd c = {.type = MCMD_UPDATE,
						 .id = s->id};
				uint8_t b = *p++;

				media(&c.media, (int)i, codecs[b & 3],
				      hz[(b >> 2) & 3]);
				if (p < end)
					policy(&c.media, *p++);
				push(&c);
			}
			mthread_tick(&t, mono, wall, &sig);
			mono += 20000;
			wall += 20000;
			while (spsc_pop(&t.evq, &ev))
				;
			continue;
		}
		if (end - p < 2)
			break;
		len = (unsigned)p[0] | (unsigned)p[1] << 8;
		p += 2;
		if (len > (size_t)(end - p))
			len = (unsigned)(end - p);
		n = len > PKT_MAX ? PKT_MAX : len;
		memcpy(pkt, p, n);
		p += len;
		if ((i == 1 || i == 3) && (op & 0x80)) {
			struct mbuf mb = {.buf = pkt, .size = sizeof(pkt),
					  .end = n};

			if ((op & 3) == 2 ? srtcp_encrypt(peer_tx, &mb) :
			    srtp_encrypt(peer_tx, &mb))
				continue;
			n = mb.end;
		}
		if ((op & 3) == 2)
			mstream_rx_rtcp(s, pkt, n, &peer[i],
					sizeof(struct sockaddr_in), wall);
		else if (mstream_is_dtls(pkt, n))
			mstream_rx_dtls(&t, s, false, pkt, n, &peer[i],
					sizeof(struct sockaddr_in),
					(uint32_t)(mono * 8 / 1000), &sig);
		else
			mstream_rx_rtp(&t, s, pkt, n, op & 0x20 ? &stranger :
				       &peer[i], sizeof(struct sockaddr_in),
				       (uint32_t)(mono * 8 / 1000), &sig);
	}
	while (spsc_pop(&t.evq, &ev))
		;
	while (spsc_pop(&t.pktq, &rec))
		;
	return 0;
}
