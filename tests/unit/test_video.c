/*
 * The video forwarding engine end to end (src/video/video.c and the
 * thread's files) over loopback UDP. Each participant is a peer: a UDP
 * socket of the test (RTP and RTCP both) and the pair of sockets handed
 * to the engine. Senders send a synthetic frame every 20 ms, two packets
 * each (VP8: the payload descriptor with a 15-bit picture id, the VP8
 * payload header with the key frame bit, a keyframe's start code; H.264:
 * FU-A of an IDR slice or of a P slice), and answer a PLI or FIR with a
 * keyframe after key_delay frames. Every payload ends with its sender's
 * tag and frame number, so a receiver's log says whom it saw.
 *
 * The test waits for conditions with deadlines, driving the peers and
 * libre's loop (which delivers the engine's events) from a 2 ms timer;
 * no fixed sleeps decide anything.
 *
 * What is checked: who sees whom (the first of the order, never itself,
 * only its codec, within its REMB); a switch asks the new sender for a
 * keyframe and happens exactly at its keyframe, the old sender forwarded
 * until then; one SSRC, seq +1, ts rising and VP8 picture ids +1 a frame
 * across switches; NACKs answered from the buffer (same seq, same bytes)
 * or asked upstream; REMB and TMMBR up to the shown senders, TMMBN back;
 * strangers dropped and counted; SDES-SRTP both ways; FECC events, rate
 * and sending; no allocation in steady state (malloc, calloc and realloc
 * are wrapped, alloc_count.c); streams removed while packets flow; the
 * composed picture (vcomp.c) end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <re.h>
#include "video/video.h"
#include "video/vpkt.h"
#include "video/h224.h"
#include "alloc_count.h"
#include "rtp_peer.h"

#define NP 6
#define LOG_MAX 4096
#define FRAME_MS 20
#define PKT_BUF 1600

struct rxpkt {
	uint16_t seq, picid;
	uint32_t ts, ssrc, tag, frame, hash;
	uint8_t pt;
	bool start, key, has_picid;
};

struct peer {
	bool used;
	int fd;                       /* the test's end */
	int eng_rtp, eng_rtcp;        /* handed to the engine */
	struct sockaddr_in addr, eng_rtp_addr, eng_rtcp_addr;
	uint32_t id;
	uint32_t ssrc;                /* it sends with */
	uint32_t eng_ssrc;            /* the engine sends it with */
	uint32_t tag;
	enum video_codec codec;
	uint8_t pt, fb;
	bool fecc, srtp;
	bool sends, takes;            /* sends video; is sent video */
	unsigned pad;                 /* payload bytes a packet */
	uint16_t seq, picid;
	uint32_t ts, frame;
	uint64_t next_ms;
	unsigned key_delay;
	int key_in;                   /* frames to a keyframe; -1: none */
	bool skip_next;               /* the next packet is "lost" */
	uint16_t held_seq;            /* that packet, kept for a NACK */
	uint8_t held[PKT_BUF];
	size_t held_len;
	unsigned plis, firs, tmmbns, nacks;
	uint64_t pli_ms;              /* the last PLI or FIR came then */
	uint16_t nack_pid[64];
	uint64_t remb_bps, tmmbr_bps;
	struct rxpkt log[LOG_MAX];
	unsigned nlog;
	uint8_t fecc_rx[VIDEO_FECC_MAX];
	size_t fecc_rx_len;
	unsigned fecc_n;
	uint8_t ekey[30];             /* SRTP: what the engine sends with */
	uint8_t pkey[30];             /* and what the peer sends with */
	struct srtp *tx, *rx;
	unsigned unauth;              /* what did not decrypt here */
	bool drop_next;               /* the next RTP packet is "lost" */
	bool dropped;
	uint16_t dropped_seq;
	/* from the engine's events */
	uint32_t shown;
	unsigned shown_n, kf_events;
	struct video_stream_stats st;
	unsigned stats_n;
};

static struct peer P[NP];
static struct video *vid;
static unsigned fecc_events;
static uint8_t fecc_last[VIDEO_FECC_MAX];
static size_t fecc_last_len;
static uint32_t fecc_last_id;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static struct peer *peer_by_id(uint32_t id)
{
	for (unsigned i = 0; i < NP; i++)
		if (P[i].used && P[i].id == id)
			return &P[i];
	return NULL;
}

static void event_h(const struct video_event *ev, void *arg)
{
	struct peer *p = peer_by_id(ev->stream_id);

	(void)arg;
	if (ev->type == VIDEO_EV_FECC) {
		fecc_events++;
		fecc_last_id = ev->stream_id;
		fecc_last_len = ev->fecc_len;
		memcpy(fecc_last, ev->fecc, ev->fecc_len);
		return;
	}
	if (!p)
		return;
	switch (ev->type) {
	case VIDEO_EV_SHOWN:
		p->shown = ev->shown;
		p->shown_n++;
		break;
	case VIDEO_EV_STATS:
		p->st = ev->stats;
		p->stats_n++;
		break;
	case VIDEO_EV_KEYFRAME:
		p->kf_events++;
		break;
	default:
		break;
	}
}

/* --- SRTP of a peer (libre's, as a far end) --- */

static struct mbuf view(uint8_t *buf, size_t len, size_t cap)
{
	struct mbuf mb;

	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = cap;
	mb.end = len;
	return mb;
}

static size_t protect(struct peer *p, uint8_t *buf, size_t len, bool rtcp)
{
	struct mbuf mb = view(buf, len, PKT_BUF);

	if (!p->srtp)
		return len;
	assert_int_equal(rtcp ? srtcp_encrypt(p->tx, &mb) :
			 srtp_encrypt(p->tx, &mb), 0);
	return mb.end;
}

static bool unprotect(struct peer *p, uint8_t *buf, size_t *len, bool rtcp)
{
	struct mbuf mb = view(buf, *len, *len);

	if (!p->srtp)
		return true;
	if (rtcp ? srtcp_decrypt(p->rx, &mb) : srtp_decrypt(p->rx, &mb)) {
		p->unauth++;
		return false;
	}
	*len = mb.end;
	return true;
}

/* --- the peers --- */

static struct peer *peer_new(unsigned i, enum video_codec c, uint8_t pt,
			     bool sends, bool takes)
{
	struct peer *p = &P[i];

	memset(p, 0, sizeof(*p));
	p->used = true;
	p->codec = c;
	p->pt = pt;
	p->sends = sends;
	p->takes = takes;
	p->fb = VIDEO_FB_NACK | VIDEO_FB_PLI | VIDEO_FB_REMB;
	p->ssrc = 0x1000 + i;
	p->eng_ssrc = 0x5000 + i;
	p->tag = 0xa0 + i;
	p->pad = 100;
	p->seq = (uint16_t)(1000 * i + 65000);  /* wraps in the test */
	p->ts = 90000u * i;
	p->picid = (uint16_t)(0x7ff0 + i);      /* wraps too */
	p->key_in = 0;                          /* starts with a keyframe */
	p->fd = peer_udp(&p->addr);
	p->eng_rtp = peer_udp(&p->eng_rtp_addr);
	p->eng_rtcp = peer_udp(&p->eng_rtcp_addr);
	return p;
}

static struct video_media peer_media(const struct peer *p)
{
	struct video_media m;

	memset(&m, 0, sizeof(m));
	memcpy(&m.rtp_dst, &p->addr, sizeof(p->addr));
	m.rtp_dst_len = sizeof(p->addr);
	memcpy(&m.rtcp_dst, &p->addr, sizeof(p->addr));
	m.rtcp_dst_len = sizeof(p->addr);
	m.fecc = p->fecc;
	m.codec = p->codec;
	m.pt = p->pt;
	m.send = p->takes;
	m.recv = p->sends;
	m.fb = p->fb;
	m.tx_ssrc = p->eng_ssrc;
	if (p->srtp) {
		m.srtp.on = true;
		m.srtp.rtp.set = true;
		m.srtp.rtp.suite = SRTP_AES_CM_128_HMAC_SHA1_80;
		m.srtp.rtp.len = 30;
		memcpy(m.srtp.rtp.rx, p->pkey, 30);
		memcpy(m.srtp.rtp.tx, p->ekey, 30);
	}
	return m;
}

static void peer_srtp(struct peer *p)
{
	p->srtp = true;
	for (unsigned k = 0; k < 30; k++) {
		p->ekey[k] = (uint8_t)(k * 7 + p->tag);
		p->pkey[k] = (uint8_t)(k * 13 + p->tag + 1);
	}
	assert_int_equal(srtp_alloc(&p->tx, SRTP_AES_CM_128_HMAC_SHA1_80,
				    p->pkey, 30, 0), 0);
	assert_int_equal(srtp_alloc(&p->rx, SRTP_AES_CM_128_HMAC_SHA1_80,
				    p->ekey, 30, 0), 0);
}

static void peer_add(struct peer *p, uint32_t room)
{
	struct video_media m = peer_media(p);

	assert_int_equal(video_stream_add(vid, room, p->eng_rtp, p->eng_rtcp,
					  &m, &p->id), 0);
}

static void peer_close(struct peer *p)
{
	if (!p->used)
		return;
	close(p->fd);
	if (!p->id) {                 /* never handed over */
		close(p->eng_rtp);
		close(p->eng_rtcp);
	}
	p->tx = mem_deref(p->tx);
	p->rx = mem_deref(p->rx);
	p->used = false;
}

/* One packet of frame p->frame: first or second (last) of two */
static size_t build(struct peer *p, uint8_t *pkt, bool key, bool first)
{
	uint8_t *pl = pkt + 12;
	size_t i = 0;

	vpkt_rtp_header(pkt, !first, p->pt, p->seq, p->ts, p->ssrc);
	if (p->codec == VIDEO_H264) {
		pl[i++] = 0x7c;                           /* FU-A */
		pl[i++] = (uint8_t)((first ? 0x80 : 0x40) | (key ? 5 : 1));
	}
	else {
		pl[i++] = first ? 0x90 : 0x80;            /* X, S */
		pl[i++] = 0x80;                           /* I */
		pl[i++] = (uint8_t)(0x80 | (p->picid >> 8));
		pl[i++] = (uint8_t)p->picid;
		if (first && key) {
			static const uint8_t kh[] = {0x10, 0, 0, 0x9d, 0x01,
						     0x2a, 0xa0, 0, 0x78, 0};

			memcpy(pl + i, kh, sizeof(kh));
			i += sizeof(kh);
		}
		else if (first) {
			pl[i++] = 0x11;                   /* P: inter */
			pl[i++] = 0;
			pl[i++] = 0;
		}
	}
	memset(pl + i, 0x55, p->pad);
	i += p->pad;
	put32(pl + i, p->tag);
	put32(pl + i + 4, p->frame);
	return 12 + i + 8;
}

static void send_to(struct peer *p, uint8_t *pkt, size_t len, bool rtcp)
{
	const struct sockaddr_in *to = rtcp ? &p->eng_rtcp_addr :
		&p->eng_rtp_addr;

	len = protect(p, pkt, len, rtcp);
	(void)sendto(p->fd, pkt, len, 0, (const struct sockaddr *)to,
		     sizeof(*to));
}

static void send_frame(struct peer *p)
{
	uint8_t pkt[PKT_BUF];
	bool key = p->key_in == 0;

	if (p->key_in >= 0)
		p->key_in--;
	for (int k = 0; k < 2; k++) {
		size_t n = build(p, pkt, key, k == 0);

		if (p->skip_next) {           /* lost on its way */
			p->skip_next = false;
			p->held_seq = p->seq;
			memcpy(p->held, pkt, n);
			p->held_len = n;
		}
		else {
			send_to(p, pkt, n, false);
		}
		p->seq++;
	}
	p->ts += 90 * FRAME_MS;
	p->picid = (p->picid + 1) & 0x7fff;
	p->frame++;
}

static void fb_h(const struct vpkt_fb *fb, void *arg)
{
	struct peer *p = arg;

	switch (fb->kind) {
	case VPKT_PLI:
	case VPKT_FIR:
		if (fb->media_ssrc != p->ssrc)
			break;
		p->pli_ms = now_ms();
		if (fb->kind == VPKT_PLI)
			p->plis++;
		else
			p->firs++;
		if (p->key_in < 0)
			p->key_in = (int)p->key_delay;
		break;
	case VPKT_NACK:
		if (fb->media_ssrc == p->ssrc && p->nacks < 64)
			p->nack_pid[p->nacks++] = fb->pid;
		break;
	case VPKT_REMB:
		p->remb_bps = fb->bps;
		break;
	case VPKT_TMMBR:
		if (fb->media_ssrc == p->ssrc)
			p->tmmbr_bps = fb->bps;
		break;
	case VPKT_TMMBN:
		p->tmmbns++;
		break;
	default:
		break;
	}
}

static void got_rtp(struct peer *p, const uint8_t *buf, size_t len)
{
	struct vpkt_rtp h;
	struct rxpkt *r;
	const uint8_t *pl;

	if (!vpkt_rtp_parse(buf, len, &h))
		return;
	pl = buf + h.hlen;
	if (p->fecc) {
		if (h.pt == p->pt && h.plen <= sizeof(p->fecc_rx)) {
			memcpy(p->fecc_rx, pl, h.plen);
			p->fecc_rx_len = h.plen;
			p->fecc_n++;
		}
		return;
	}
	if (p->nlog >= LOG_MAX || h.plen < 8)
		return;
	r = &p->log[p->nlog++];
	r->seq = h.seq;
	r->ts = h.ts;
	r->ssrc = h.ssrc;
	r->pt = h.pt;
	r->start = vpkt_frame_start(p->codec, pl, h.plen);
	r->key = vpkt_key_start(p->codec, pl, h.plen);
	r->has_picid = vpkt_picid_get(p->codec, pl, h.plen, &r->picid, NULL);
	r->tag = get32(pl + h.plen - 8);
	r->frame = get32(pl + h.plen - 4);
	r->hash = fnv(buf, len);
}

static void peer_drain(struct peer *p)
{
	uint8_t buf[PKT_BUF];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		size_t len = (size_t)n;
		bool rtcp = len >= 2 && buf[1] >= 200 && buf[1] <= 206;

		if (!rtcp && p->drop_next && len >= 12) {
			p->drop_next = false;
			p->dropped = true;
			p->dropped_seq = (uint16_t)(buf[2] << 8 | buf[3]);
			continue;
		}
		if (!unprotect(p, buf, &len, rtcp))
			continue;
		if (rtcp)
			(void)vpkt_rtcp_walk(buf, len, fb_h, p);
		else
			got_rtp(p, buf, len);
	}
}

/* A feedback message from p (after an empty RR) */
static void peer_rtcp(struct peer *p, const uint8_t *fb, size_t len)
{
	uint8_t buf[PKT_BUF];
	size_t n = vpkt_rr(buf, sizeof(buf), p->ssrc, NULL);

	memcpy(buf + n, fb, len);
	send_to(p, buf, n + len, true);
}

static void peer_nack(struct peer *p, uint16_t seq)
{
	uint8_t fb[64];

	peer_rtcp(p, fb, vpkt_nack(fb, sizeof(fb), p->ssrc, p->eng_ssrc, seq,
				   0));
}

static void peer_remb(struct peer *p, uint64_t bps)
{
	uint8_t fb[64];

	peer_rtcp(p, fb, vpkt_remb(fb, sizeof(fb), p->ssrc, bps,
				   &p->eng_ssrc, 1));
}

static void peers_step(void)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < NP; i++) {
		struct peer *p = &P[i];

		if (!p->used)
			continue;
		peer_drain(p);
		if (!p->sends || p->fecc)
			continue;
		if (!p->next_ms || (int64_t)(now - p->next_ms) > 200)
			p->next_ms = now;
		while (now >= p->next_ms) {
			send_frame(p);
			p->next_ms += FRAME_MS;
		}
	}
}

/* --- waiting for a condition, with a deadline --- */

typedef bool (cond_h)(void);
static cond_h *wait_cond;
static uint64_t wait_deadline;
static bool wait_met;
static struct tmr step_tmr;

static void step_h(void *arg)
{
	(void)arg;
	peers_step();
	if (wait_cond && wait_cond()) {
		wait_met = true;
		re_cancel();
		return;
	}
	if (now_ms() >= wait_deadline) {
		re_cancel();
		return;
	}
	tmr_start(&step_tmr, 2, step_h, NULL);
}

/* Runs the peers and the event loop until c holds (true) or timeout_ms
 * passed (false; c NULL: runs that long) */
static bool run_until(cond_h *c, unsigned timeout_ms)
{
	wait_cond = c;
	wait_met = false;
	wait_deadline = now_ms() + timeout_ms;
	tmr_start(&step_tmr, 1, step_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&step_tmr);
	peers_step();
	return wait_met;
}

static void setup_video(unsigned threads)
{
	struct video_cfg cfg = {.threads = threads};

	memset(P, 0, sizeof(P));
	fecc_events = 0;
	fecc_last_len = 0;
	assert_int_equal(video_alloc(&vid, &cfg, event_h, NULL), 0);
}

static void teardown_video(void)
{
	for (unsigned i = 0; i < NP; i++)
		if (P[i].used && P[i].id)
			(void)video_stream_remove(vid, P[i].id);
	vid = mem_deref(vid);
	for (unsigned i = 0; i < NP; i++)
		peer_close(&P[i]);
}

static void order_set(uint32_t room, const uint32_t *ids, unsigned n)
{
	struct video_room_cfg rc;

	memset(&rc, 0, sizeof(rc));
	rc.mode = VIDEO_SWITCHED;
	memcpy(rc.order, ids, n * sizeof(*ids));
	rc.norder = n;
	assert_int_equal(video_room_set(vid, room, &rc), 0);
}

/* The last packet p got was sent by q */
static bool last_from(const struct peer *p, const struct peer *q)
{
	return p->nlog && p->log[p->nlog - 1].tag == q->tag;
}

/* p's log from k on: one SSRC (p's), p's payload type, seq +1 each,
 * timestamps never going back and rising at frame starts, picture ids
 * +1 at frame starts and the same within a frame */
static void check_continuity(const struct peer *p, unsigned k)
{
	for (unsigned i = k; i < p->nlog; i++) {
		const struct rxpkt *a = &p->log[i], *b;
		int32_t dts;

		assert_int_equal(a->ssrc, p->eng_ssrc);
		assert_int_equal(a->pt, p->pt);
		if (i == k)
			continue;
		b = &p->log[i - 1];
		assert_int_equal((uint16_t)(b->seq + 1), a->seq);
		dts = (int32_t)(a->ts - b->ts);
		assert_true(dts >= 0);
		if (a->start)
			assert_true(dts > 0);
		if (p->codec == VIDEO_H264)
			continue;
		assert_true(a->has_picid && b->has_picid);
		assert_int_equal(a->picid, (b->picid + (a->start ? 1 : 0)) &
				 0x7fff);
	}
}

/* --- conditions (on the peers named here) --- */

static struct peer *wa, *wb, *wc, *wd;
static unsigned wmark;
static uint16_t wseq;
static uint32_t wn;

static bool c_three_flowing(void)
{
	return wa->nlog >= 10 && wb->nlog >= 10 && wc->nlog >= 10;
}

/* wc got wn packets of wb's since wmark */
static bool c_sees_b(void)
{
	uint32_t n = 0;

	for (unsigned i = wmark; i < wc->nlog; i++)
		n += wc->log[i].tag == wb->tag;
	return n >= wn;
}

/* B's last keyframe request is older than the engine's limit (one per
 * 300 ms a sender), and B has answered it */
static bool c_b_quiet(void)
{
	return now_ms() - wb->pli_ms > 350 && wb->key_in < 0;
}

static bool c_plis_b(void)
{
	return wb->plis > wn;
}

/* A receiver sees the first of the order, never itself; a change of
 * order asks the new sender for a keyframe and switches exactly at it,
 * the old sender forwarded until then; one stream throughout */
static void test_switch(void **state)
{
	struct peer *a, *b, *c;
	uint32_t ids[2];
	unsigned first_b = 0, old_after = 0, p0;

	(void)state;
	setup_video(1);
	a = peer_new(0, VIDEO_VP8, 96, true, true);
	b = peer_new(1, VIDEO_VP8, 97, true, true);
	c = peer_new(2, VIDEO_VP8, 98, true, true);
	b->key_delay = 4;            /* frames: the switch must wait */
	peer_add(a, 1);
	peer_add(b, 1);
	peer_add(c, 1);
	ids[0] = a->id;
	ids[1] = b->id;
	order_set(1, ids, 2);
	wa = a; wb = b; wc = c;
	assert_true(run_until(c_three_flowing, 3000));
	for (unsigned i = 0; i < c->nlog; i++)
		assert_int_equal(c->log[i].tag, a->tag);
	for (unsigned i = 0; i < a->nlog; i++)      /* not itself */
		assert_int_equal(a->log[i].tag, b->tag);
	for (unsigned i = 0; i < b->nlog; i++)
		assert_int_equal(b->log[i].tag, a->tag);
	/* each started at a keyframe */
	assert_true(a->log[0].key && b->log[0].key && c->log[0].key);
	assert_int_equal(c->shown, a->id);
	assert_int_equal(a->shown, b->id);

	/* B first now: C switches to B, at B's keyframe, which B sends
	 * only when asked */
	assert_true(run_until(c_b_quiet, 2000));
	wmark = c->nlog;
	p0 = b->plis;
	ids[0] = b->id;
	ids[1] = a->id;
	order_set(1, ids, 2);
	wn = 10;
	assert_true(run_until(c_sees_b, 3000));
	assert_true(b->plis > p0);
	for (unsigned i = wmark; i < c->nlog; i++) {
		if (c->log[i].tag == b->tag) {
			first_b = i;
			break;
		}
		old_after++;
	}
	print_message("C got %u of A's packets while B's keyframe was "
		      "coming\n", old_after);
	assert_true(old_after >= 2);
	assert_true(c->log[first_b].key);
	for (unsigned i = first_b; i < c->nlog; i++)
		assert_int_equal(c->log[i].tag, b->tag);
	check_continuity(c, 0);
	check_continuity(a, 0);
	check_continuity(b, 0);

	/* told: two switches (nothing -> A -> B), B now */
	assert_int_equal(c->shown, b->id);
	assert_int_equal(c->shown_n, 2);
	assert_int_equal(a->shown_n, 1);

	/* a keyframe asked for C by signalling reaches B (whom C sees),
	 * once per 300 ms however often asked; the last request to B was
	 * at the switch, so its window is waited out first */
	assert_true(run_until(c_b_quiet, 2000));
	wn = p0 = b->plis;
	for (int k = 0; k < 3; k++)
		assert_int_equal(video_keyframe(vid, c->id), 0);
	assert_true(run_until(c_plis_b, 2000));
	(void)run_until(NULL, 100);         /* no second one */
	assert_int_equal(b->plis, p0 + 1);
	teardown_video();
}

static bool c_nack_answered(void)
{
	for (unsigned i = wmark; i < wc->nlog; i++)
		if (wc->log[i].seq == wseq)
			return true;
	return false;
}

/* The seq p has not got, around its log's entry k on (-1: none) */
static int missing(const struct peer *p, unsigned k)
{
	uint16_t last = p->log[p->nlog - 1].seq;

	for (uint16_t q = (uint16_t)(p->log[k].seq - 4); q != last; q++) {
		bool have = false;

		for (unsigned i = k > 40 ? k - 40 : 0; i < p->nlog; i++)
			have |= p->log[i].seq == q;
		if (!have)
			return q;
	}
	return -1;
}

static bool c_gap_seen(void)
{
	return wa->held_len && wc->nlog > wmark + 6;
}

static bool c_nack_up(void)
{
	return wa->nacks > 0;
}

static bool c_nack_stats(void)
{
	struct video_thread_stats st;

	video_thread_stats(vid, 0, &st);
	return st.retransmits >= 2;
}

static uint64_t flood_base;

/* run_until with it: the loop runs for the time given */
static bool c_never(void)
{
	return false;
}

static bool c_flood_answered(void)
{
	struct video_thread_stats st;

	video_thread_stats(vid, 0, &st);
	return st.retransmits >= flood_base + 60;
}

/* NACKs: answered from the sender's buffer with the same seq and bytes;
 * a packet that never came is asked of the sender in its own seq, and
 * forwarded when it comes; a flood of them is answered only up to the
 * receiver's budget (a burst of 64, then 100 a second) */
static void test_nack(void **state)
{
	struct peer *a, *r;
	uint32_t hash;
	unsigned k;

	(void)state;
	setup_video(1);
	a = peer_new(0, VIDEO_VP8, 96, true, false);
	r = peer_new(1, VIDEO_VP8, 100, false, true);
	peer_add(a, 2);
	peer_add(r, 2);
	order_set(2, &a->id, 1);
	wa = a; wb = a; wc = r;
	wmark = 0;
	wn = 20;
	assert_true(run_until(c_sees_b, 3000));

	k = r->nlog - 5;
	wseq = r->log[k].seq;
	hash = r->log[k].hash;
	wmark = r->nlog;
	peer_nack(r, wseq);
	assert_true(run_until(c_nack_answered, 2000));
	for (unsigned i = wmark; i < r->nlog; i++)
		if (r->log[i].seq == wseq)
			assert_int_equal(r->log[i].hash, hash);

	/* one of A's packets is lost before the engine */
	a->skip_next = true;
	wmark = r->nlog;
	assert_true(run_until(c_gap_seen, 2000));
	k = (unsigned)missing(r, wmark);
	assert_true(k <= 0xffff);
	wseq = (uint16_t)k;
	peer_nack(r, wseq);
	assert_true(run_until(c_nack_up, 2000));
	assert_int_equal(a->nack_pid[0], a->held_seq);
	/* A sends it again: forwarded with the seq R missed */
	wmark = r->nlog;
	send_to(a, a->held, a->held_len, false);
	assert_true(run_until(c_nack_answered, 2000));
	/* and asked again now, it is in the buffer */
	peer_nack(r, wseq);
	assert_true(run_until(c_nack_stats, 2500));

	/* 40 NACKs of 17 packets each, at once */
	{
		struct video_thread_stats st;
		uint64_t t0;
		uint8_t fb[64];

		/* the budget has refilled from the answers above */
		(void)run_until(c_never, 700);
		video_thread_stats(vid, 0, &st);
		flood_base = st.retransmits;
		t0 = now_ms();
		for (unsigned i = 0; i < 40; i++)
			peer_rtcp(r, fb, vpkt_nack(fb, sizeof(fb), r->ssrc,
						   r->eng_ssrc,
						   r->log[r->nlog - 40].seq,
						   0xffff));
		assert_true(run_until(c_flood_answered, 2000));
		(void)run_until(c_never, 200);
		video_thread_stats(vid, 0, &st);
		assert_true(st.retransmits - flood_base <=
			    64 + 100 * (now_ms() - t0) / 1000 + 2);
	}
	teardown_video();
}

/* A sender's sequence numbers run round the circle (jumps of 20 000,
 * as a long call's would in minutes): the receiver never stops getting
 * them (the guard against packets from before a switch follows the
 * stream) */
static void test_seq_circle(void **state)
{
	struct peer *a, *r;

	(void)state;
	setup_video(1);
	a = peer_new(0, VIDEO_VP8, 96, true, false);
	r = peer_new(1, VIDEO_VP8, 100, false, true);
	peer_add(a, 2);
	peer_add(r, 2);
	order_set(2, &a->id, 1);
	wa = a; wb = a; wc = r;
	wmark = 0;
	wn = 10;
	assert_true(run_until(c_sees_b, 3000));
	for (unsigned i = 0; i < 4; i++) {
		a->seq = (uint16_t)(a->seq + 20000);
		wmark = r->nlog;
		wn = 10;
		assert_true(run_until(c_sees_b, 2000));
	}
	/* settings for a room nobody is in (a conference without video
	 * callers): no room on the thread, no composer */
	{
		struct video_room_cfg rc = {.mode = VIDEO_COMPOSED};
		struct video_thread_stats st;

		assert_int_equal(video_room_set(vid, 77, &rc), 0);
		(void)run_until(c_never, 100);
		video_thread_stats(vid, 0, &st);
		assert_int_equal(st.rooms, 1);
		assert_int_equal(st.composed, 0);
	}
	teardown_video();
}

static bool c_codec(void)
{
	return wa->nlog >= 10 && wb->nlog >= 10 && wc->nlog >= 10;
}

/* A VP8 receiver never gets an H.264 sender: the next of the order that
 * matches; H.264 receivers get H.264 from its IDR */
static void test_codec(void **state)
{
	struct peer *h, *v, *h2, *r;
	uint32_t ids[3];

	(void)state;
	setup_video(1);
	h = peer_new(0, VIDEO_H264, 102, true, true);
	v = peer_new(1, VIDEO_VP8, 96, true, false);
	h2 = peer_new(2, VIDEO_H264, 103, true, true);
	r = peer_new(3, VIDEO_VP8, 98, false, true);
	peer_add(h, 3);
	peer_add(v, 3);
	peer_add(h2, 3);
	peer_add(r, 3);
	ids[0] = h->id;
	ids[1] = v->id;
	ids[2] = h2->id;
	order_set(3, ids, 3);
	wa = r; wb = h2; wc = h;
	assert_true(run_until(c_codec, 3000));
	for (unsigned i = 0; i < r->nlog; i++)
		assert_int_equal(r->log[i].tag, v->tag);
	for (unsigned i = 0; i < h2->nlog; i++)
		assert_int_equal(h2->log[i].tag, h->tag);
	for (unsigned i = 0; i < h->nlog; i++)
		assert_int_equal(h->log[i].tag, h2->tag);
	assert_true(h2->log[0].key);           /* the IDR's first FU-A */
	check_continuity(r, 0);
	check_continuity(h2, 0);
	teardown_video();
}

static bool c_both_see(void)
{
	return wc->nlog >= 4 && wd->nlog >= 4;
}

static bool c_remb(void)
{
	return last_from(wc, wb) && wb->tmmbr_bps && wa->remb_bps >= 4900000;
}

static bool c_tmmbn(void)
{
	return wc->tmmbns > 0;
}

/* REMB: a receiver whose estimate the first sender does not fit sees the
 * next that fits; the shown senders hear the smallest estimate of their
 * viewers, as REMB or TMMBR (what they understand); TMMBR is answered
 * with TMMBN */
static void test_remb(void **state)
{
	struct peer *big, *small, *r1, *r2;
	uint32_t ids[2];
	uint8_t fb[64];

	(void)state;
	setup_video(1);
	big = peer_new(0, VIDEO_VP8, 96, true, false);
	small = peer_new(1, VIDEO_VP8, 97, true, false);
	r1 = peer_new(2, VIDEO_VP8, 98, false, true);
	r2 = peer_new(3, VIDEO_VP8, 99, false, true);
	big->pad = 1100;             /* about 900 kb/s */
	small->pad = 100;            /* about 120 kb/s */
	small->fb = VIDEO_FB_PLI | VIDEO_FB_NACK | VIDEO_FB_TMMBR;
	peer_add(big, 4);
	peer_add(small, 4);
	peer_add(r1, 4);
	peer_add(r2, 4);
	ids[0] = big->id;
	ids[1] = small->id;
	order_set(4, ids, 2);
	wa = big; wb = small; wc = r1; wd = r2;
	assert_true(run_until(c_both_see, 3000));
	assert_true(last_from(r1, big) && last_from(r2, big));
	peer_remb(r1, 300000);
	peer_remb(r2, 5000000);
	assert_true(run_until(c_remb, 4000));
	print_message("big sends %u kb/s; small heard TMMBR %llu, big REMB "
		      "%llu\n", big->st.rx_kbps,
		      (unsigned long long)small->tmmbr_bps,
		      (unsigned long long)big->remb_bps);
	assert_true(last_from(r2, big));
	assert_true(small->tmmbr_bps >= 297000 && small->tmmbr_bps <= 300000);
	assert_true(big->remb_bps <= 5000000);
	check_continuity(r1, 0);

	peer_rtcp(r1, fb, vpkt_tmmbr(fb, sizeof(fb), r1->ssrc, r1->eng_ssrc,
				     250000, 40));
	assert_true(run_until(c_tmmbn, 2000));
	teardown_video();
}

static struct peer *ga, *gr, *gs, *gsr, *gf1, *gf2;

static bool c_guards_flowing(void)
{
	return gr->nlog >= 5 && gsr->nlog >= 10 && gs->plis >= 1;
}

/* all counted in the stats: the stranger's 31 packets, the two SRTP
 * packets that do not authenticate, the 31 FECC frames (events or
 * dropped over the rate) */
static bool c_guards_counted(void)
{
	return ga->stats_n && ga->st.rx_stranger >= 31 &&
		gs->stats_n && gs->st.rx_unauth >= 2 &&
		gf1->stats_n && fecc_events + gf1->st.fecc_dropped >= 31;
}

static bool c_srtp_nack(void)
{
	for (unsigned i = wmark; i < gsr->nlog; i++)
		if (gsr->log[i].seq == wseq)
			return true;
	return false;
}

static bool c_srtp_dropped(void)
{
	return gsr->dropped && gsr->nlog >= wn;
}

static bool c_fecc_event(void)
{
	return fecc_events >= 1;
}

static bool c_fecc_sent(void)
{
	return gf2->fecc_n >= 1;
}

static void fecc_rtp(struct peer *p, const uint8_t *pl, size_t len)
{
	uint8_t pkt[PKT_BUF];

	vpkt_rtp_header(pkt, false, p->pt, p->seq++, p->ts, p->ssrc);
	p->ts += 480;
	memcpy(pkt + 12, pl, len);
	send_to(p, pkt, 12 + len, false);
}

/* 30 RTP packets (A's SSRC and seq, forged) and a PLI to A's ports from
 * another host (RTCP is taken from the source's host, any port) */
static void stranger_sends(const struct peer *a)
{
	static struct peer x;
	struct sockaddr_in xa = {.sin_family = AF_INET};
	uint8_t pkt[PKT_BUF];
	size_t n;
	int xfd;

	xa.sin_addr.s_addr = htonl(0x7f000002);
	xfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(xfd >= 0);
	assert_int_equal(bind(xfd, (struct sockaddr *)&xa, sizeof(xa)), 0);
	x = *a;
	x.tag = 0xbad;
	for (int k = 0; k < 30; k++) {
		n = build(&x, pkt, true, true);
		x.seq++;
		(void)sendto(xfd, pkt, n, 0,
			     (const struct sockaddr *)&a->eng_rtp_addr,
			     sizeof(a->eng_rtp_addr));
	}
	n = vpkt_rr(pkt, sizeof(pkt), 0xbad, NULL);
	n += vpkt_pli(pkt + n, sizeof(pkt) - n, 0xbad, a->eng_ssrc);
	(void)sendto(xfd, pkt, n, 0, (const struct sockaddr *)&a->eng_rtcp_addr,
		     sizeof(a->eng_rtcp_addr));
	close(xfd);
}

/* A packet of s altered on the way, and one in the clear */
static void srtp_bad(struct peer *s)
{
	uint8_t pkt[PKT_BUF];
	size_t n = build(s, pkt, false, true);

	s->seq++;
	n = protect(s, pkt, n, false);
	pkt[n - 1] ^= 0x40;
	(void)sendto(s->fd, pkt, n, 0, (struct sockaddr *)&s->eng_rtp_addr,
		     sizeof(s->eng_rtp_addr));
	n = build(s, pkt, false, true);
	s->seq++;
	(void)sendto(s->fd, pkt, n, 0, (struct sockaddr *)&s->eng_rtp_addr,
		     sizeof(s->eng_rtp_addr));
}

/*
 * What is refused and counted, three rooms at once (they share the wait
 * for a stats event):
 *  - a stranger's packets at a sender's ports: dropped and counted;
 *  - SDES-SRTP both ways: what the sender encrypts reaches the receiver
 *    encrypted with its keys; SRTCP feedback both ways (a PLI to the
 *    sender, a NACK answered); what does not authenticate is counted;
 *  - FECC: a well formed H.224 frame comes up as an event, garbage does
 *    not, at most 20 a second; video_fecc_send reaches the stream.
 */
static void test_guards(void **state)
{
	static const uint8_t garbage[] = "garbage, not H.224";
	struct h224_fecc f = {.action = H224_START, .pan = -1, .timeout = 4};
	uint8_t frame[VIDEO_FECC_MAX];
	size_t n;

	(void)state;
	setup_video(1);
	ga = peer_new(0, VIDEO_VP8, 96, true, false);
	gr = peer_new(1, VIDEO_VP8, 98, false, true);
	gs = peer_new(2, VIDEO_VP8, 96, true, false);
	gsr = peer_new(3, VIDEO_VP8, 98, false, true);
	gf1 = peer_new(4, VIDEO_VP8, 107, true, true);
	gf2 = peer_new(5, VIDEO_VP8, 107, true, true);
	peer_srtp(gs);
	peer_srtp(gsr);
	gf1->fecc = gf2->fecc = true;
	peer_add(ga, 5);
	peer_add(gr, 5);
	peer_add(gs, 6);
	peer_add(gsr, 6);
	peer_add(gf1, 8);
	peer_add(gf2, 8);
	order_set(5, &ga->id, 1);
	order_set(6, &gs->id, 1);
	n = h224_build(frame, sizeof(frame), &f);
	assert_true(n > 0);
	fecc_rtp(gf1, garbage, sizeof(garbage));
	fecc_rtp(gf1, frame, n);
	assert_true(run_until(c_guards_flowing, 3000));

	/* FECC: the frame, not the garbage; then a burst over the rate */
	assert_true(run_until(c_fecc_event, 2000));
	assert_int_equal(fecc_events, 1);
	assert_int_equal(fecc_last_id, gf1->id);
	assert_int_equal(fecc_last_len, n);
	assert_memory_equal(fecc_last, frame, n);
	for (int k = 0; k < 30; k++)
		fecc_rtp(gf1, frame, n);
	assert_int_equal(video_fecc_send(vid, gf2->id, frame, n), 0);
	assert_int_equal(video_fecc_send(vid, gf2->id, frame,
					 VIDEO_FECC_MAX + 1), EINVAL);
	assert_true(run_until(c_fecc_sent, 2000));
	assert_int_equal(gf2->fecc_rx_len, n);
	assert_memory_equal(gf2->fecc_rx, frame, n);

	/* SRTP: what the receiver got decrypted, and SRTCP's NACK of a
	 * packet it lost answered (one it had would be refused by its
	 * replay window) */
	assert_int_equal(gsr->unauth, 0);
	assert_int_equal(gs->unauth, 0);
	for (unsigned i = 0; i < gsr->nlog; i++)
		assert_int_equal(gsr->log[i].tag, gs->tag);
	gsr->drop_next = true;
	wc = gsr;
	wn = gsr->nlog + 4;
	assert_true(run_until(c_srtp_dropped, 2000));
	wseq = gsr->dropped_seq;
	wmark = gsr->nlog;
	peer_nack(gsr, wseq);
	assert_true(run_until(c_srtp_nack, 2000));
	assert_int_equal(gsr->unauth, 0);
	srtp_bad(gs);

	stranger_sends(ga);
	assert_true(run_until(c_guards_counted, 2500));
	for (unsigned i = 0; i < gr->nlog; i++)
		assert_int_equal(gr->log[i].tag, ga->tag);
	check_continuity(gr, 0);
	print_message("FECC: %u events, %u dropped\n", fecc_events,
		      gf1->st.fecc_dropped);
	assert_true(fecc_events <= 21);
	assert_true(gf1->st.fecc_dropped >= 10);
	assert_int_equal(fecc_events + gf1->st.fecc_dropped, 31);
	teardown_video();
}

static bool c_steady_stats(void)
{
	return wc->stats_n && wc->st.nacks_rx >= 2 && wc->st.retransmits >= 1 &&
		wb->stats_n && wb->st.kf_requests_tx >= 1 &&
		wb->st.keyframes_rx >= 1 && wc->st.switches == 1 &&
		wc->st.shown == wa->id && wc->st.est_kbps == 2000;
}

/* Once running, the forwarding thread allocates nothing: a second of
 * forwarding, RTCP, stats, NACKs, PLIs and REMB is counted (the streams'
 * stats then say what happened in it) */
static void test_steady_alloc(void **state)
{
	struct peer *a, *b, *c;
	uint32_t ids[2];
	unsigned long before;

	(void)state;
	setup_video(1);
	a = peer_new(0, VIDEO_VP8, 96, true, true);
	b = peer_new(1, VIDEO_VP8, 97, true, true);
	c = peer_new(2, VIDEO_VP8, 98, true, true);
	peer_add(a, 9);
	peer_add(b, 9);
	peer_add(c, 9);
	ids[0] = a->id;
	ids[1] = b->id;
	order_set(9, ids, 2);
	wa = a; wb = b; wc = c;
	assert_true(run_until(c_three_flowing, 3000));
	before = allocs;
	peer_nack(c, c->log[c->nlog - 3].seq);
	peer_nack(c, (uint16_t)(c->log[c->nlog - 1].seq + 3));
	peer_remb(c, 2000000);
	(void)run_until(NULL, 1100);
	print_message("allocations in a second of steady state: %lu\n",
		      allocs - before);
	assert_int_equal(allocs - before, 0);
	assert_true(run_until(c_steady_stats, 2000));
	teardown_video();
}

static bool c_two_threads(void)
{
	struct video_thread_stats s0, s1;

	video_thread_stats(vid, 0, &s0);
	video_thread_stats(vid, 1, &s1);
	return s0.streams == 3 && s1.streams == 2 && wc->nlog >= 10 &&
		wd->nlog >= 10;
}

static bool c_after_remove(void)
{
	return last_from(wc, wb) && wc->shown == wb->id && !wb->shown &&
		wb->shown_n >= 2;
}

static bool c_d_more(void)
{
	return wd->nlog >= wmark + 20;
}

/* Rooms on two threads; streams removed while packets flow: receivers
 * of the one removed switch to the next; the others go on */
static void test_remove(void **state)
{
	struct peer *a, *b, *c, *d, *e;
	struct video_thread_stats st;
	uint32_t ids[2];

	(void)state;
	setup_video(2);
	a = peer_new(0, VIDEO_VP8, 96, true, true);
	b = peer_new(1, VIDEO_VP8, 97, true, true);
	c = peer_new(2, VIDEO_VP8, 98, true, true);
	d = peer_new(3, VIDEO_H264, 99, false, true);
	e = peer_new(4, VIDEO_H264, 100, true, false);
	peer_add(a, 10);
	peer_add(b, 10);
	peer_add(c, 10);
	peer_add(d, 11);
	peer_add(e, 11);
	ids[0] = a->id;
	ids[1] = b->id;
	order_set(10, ids, 2);
	order_set(11, &e->id, 1);
	wb = b; wc = c; wd = d;
	assert_int_equal(video_thread_count(vid), 2);
	assert_true(run_until(c_two_threads, 3000));
	assert_int_equal(video_stream_remove(vid, a->id), 0);
	a->id = 0;
	assert_true(run_until(c_after_remove, 3000));
	assert_int_equal(video_stream_remove(vid, b->id), 0);
	b->id = 0;
	assert_int_equal(video_stream_remove(vid, c->id), 0);
	c->id = 0;
	assert_int_equal(video_stream_remove(vid, c->id), ENOENT);
	wmark = d->nlog;
	assert_true(run_until(c_d_more, 2000));
	check_continuity(d, 0);
	video_thread_stats(vid, 1, &st);
	assert_true(st.forwarded >= 20 && st.rooms == 1);
	teardown_video();
}

static bool c_composed(void)
{
	return wc->nlog >= 1 && wc->shown == VIDEO_COMPOSED_ID &&
		wa->plis >= 1 && wb->plis >= 1;
}

static bool c_new_key(void)
{
	for (unsigned i = wmark; i < wc->nlog; i++)
		if (wc->log[i].key)
			return true;
	return false;
}

static bool c_back_to_a(void)
{
	return wc->shown == wa->id && last_from(wc, wa);
}

/* Composed: the receiver is sent the composer's picture as its own
 * stream, from a keyframe; the tiles' senders are asked for keyframes
 * for the composer; a PLI of the receiver brings a new keyframe; a new
 * composer (the picture's settings changed) and back to switched: the
 * stream goes on from the new source's keyframe, one stream throughout */
static void test_composed(void **state)
{
	struct video_room_cfg rc;
	struct peer *a, *b, *r;
	uint8_t fb[64];

	(void)state;
	setup_video(1);
	a = peer_new(0, VIDEO_VP8, 96, true, false);
	b = peer_new(1, VIDEO_VP8, 97, true, false);
	r = peer_new(2, VIDEO_VP8, 98, false, true);
	a->key_in = b->key_in = -1;  /* keyframes only when asked */
	peer_add(a, 12);
	peer_add(b, 12);
	peer_add(r, 12);
	memset(&rc, 0, sizeof(rc));
	rc.mode = VIDEO_COMPOSED;
	rc.layout = VIDEO_LAYOUT_2X2;
	rc.order[0] = a->id;
	rc.order[1] = b->id;
	rc.norder = 2;
	rc.width = 160;
	rc.height = 96;
	rc.fps = 15;
	rc.kbps = 200;
	assert_int_equal(video_room_set(vid, 12, &rc), 0);
	assert_int_equal(video_room_set(vid, 12, &rc), 0);   /* the same */
	wa = a; wb = b; wc = r;
	assert_true(run_until(c_composed, 5000));
	assert_true(r->log[0].key);
	/* a PLI from the receiver: a new keyframe of the composed picture */
	wmark = r->nlog;
	peer_rtcp(r, fb, vpkt_pli(fb, sizeof(fb), r->ssrc, r->eng_ssrc));
	assert_true(run_until(c_new_key, 3000));
	check_continuity(r, 0);
	/* another picture (a new composer): from its first keyframe on */
	rc.kbps = 150;
	wmark = r->nlog;
	assert_int_equal(video_room_set(vid, 12, &rc), 0);
	assert_true(run_until(c_new_key, 3000));
	check_continuity(r, 0);
	/* switched again: A from its keyframe, the stream continuing */
	order_set(12, &a->id, 1);
	assert_true(run_until(c_back_to_a, 3000));
	check_continuity(r, 0);
	teardown_video();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch),
		cmocka_unit_test(test_nack),
		cmocka_unit_test(test_seq_circle),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_remb),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_steady_alloc),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_composed),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
