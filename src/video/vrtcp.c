/*
 * RTCP of the video streams on a forwarding thread: what receivers and
 * senders tell us, and what we tell them.
 *
 * In (from the owner only, then SRTCP): a receiver's PLI and FIR become a
 * keyframe request to whom it sees (vfwd_kf_for); its generic NACKs are
 * answered from the senders' buffers or asked upstream (vfwd_nack); its
 * REMB, TMMBR (answered with TMMBN) and the loss in its receiver reports
 * make its estimate (est_kbps: the smallest of them and its SDP's
 * bandwidth), which selection and the feedback up use. A sender's SR
 * gives the LSR of our reports.
 *
 * Out, every second per stream: an SR when we send to it (else an RR),
 * with a report block of what it sends us, SDES, and to a sender that is
 * shown, REMB or TMMBR with the smallest estimate of its viewers (not
 * below 64 kbps; nothing when none has one) -- at once too when that
 * falls by more than a fifth. Then the stats event.
 *
 * Forwarding thread; no allocation, no logging.
 */
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "video/vid_int.h"

#define CNAME "caucus"
#define LOSS_HIGH 26            /* fraction lost (of 256) above 10% */
#define LOSS_LOW 5              /* below 2% */
#define LOSS_CAP_MAX 50000      /* kbps: past this a loss cap is gone */

/* RFC 3550 A.1 (without the probation: msource.c has one) and A.8 */
void vrtcp_rxstat(struct vstream *s, const struct vpkt_rtp *h,
		  uint64_t now_us)
{
	struct vrxstat *x = &s->rx;
	uint16_t delta = (uint16_t)(h->seq - x->max_seq);
	int32_t transit;
	int64_t d;

	if (!x->init || x->ssrc != h->ssrc) {
		memset(x, 0, sizeof(*x));
		x->init = true;
		x->ssrc = h->ssrc;
		x->base_seq = h->seq;
		x->max_seq = h->seq;
		x->received = 1;
		x->transit = (int32_t)((uint32_t)(now_us * 9 / 100) - h->ts);
		return;
	}
	if (delta < 3000) {
		if (h->seq < x->max_seq)
			x->cycles += 65536;
		x->max_seq = h->seq;
	}
	else if (delta <= 65536 - 100) {
		/* a jump: counted from here */
		x->base_seq = h->seq;
		x->max_seq = h->seq;
		x->cycles = 0;
		x->received = 0;
		x->expected_prior = x->received_prior = 0;
	}
	x->received++;
	/* jitter in 90 kHz units, for video's clock */
	transit = (int32_t)((uint32_t)(now_us * 9 / 100) - h->ts);
	/* in 64 bits: a hostile timestamp can be half the circle away */
	d = (int64_t)transit - x->transit;
	x->transit = transit;
	if (d < 0)
		d = -d;
	if (d > INT32_MAX)
		d = INT32_MAX;
	x->jitter_q4 += (uint32_t)d - ((x->jitter_q4 + 8) >> 4);
}

static uint32_t rx_expected(const struct vrxstat *x)
{
	return x->cycles + x->max_seq - x->base_seq + 1;
}

static uint32_t rx_lost(const struct vrxstat *x)
{
	uint32_t exp = rx_expected(x);

	return exp > x->received ? exp - x->received : 0;
}

/* A report block of what s sends us (its interval ends now) */
static void block(struct vstream *s, struct vpkt_rr_block *rb, uint64_t now)
{
	struct vrxstat *x = &s->rx;
	uint32_t exp = rx_expected(x);
	uint32_t exp_int = exp - x->expected_prior;
	uint32_t rec_int = x->received - x->received_prior;
	uint32_t lost = rx_lost(x);

	x->expected_prior = exp;
	x->received_prior = x->received;
	x->fraction = exp_int > rec_int ?
		(uint8_t)(((exp_int - rec_int) << 8) / exp_int) : 0;
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = x->ssrc;
	rb->fraction_lost = x->fraction;
	rb->cum_lost = lost > 0x7fffff ? 0x7fffff : lost;
	rb->ext_seq = x->cycles + x->max_seq;
	rb->jitter = x->jitter_q4 >> 4;
	rb->lsr = x->lsr;
	if (x->sr_at_us)
		rb->dlsr = (uint32_t)((now - x->sr_at_us) * 65536 / 1000000);
}

static uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 2208988800u) << 32 |
		(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* Our RTP clock for s now (SR) */
static uint32_t rtp_now(const struct vstream *s, uint64_t now)
{
	if (s->m.fecc)
		return (uint32_t)(now * 48 / 10000);
	if (!s->have_sent)
		return s->last_ts;
	return s->last_ts + (uint32_t)((now - s->last_sent_us) * 90 / 1000);
}

/* A compound packet's head in t->txbuf: SR or RR, SDES. periodic: the
 * second's report (SR when we send, with a report block) rather than the
 * RR that precedes a feedback message */
static size_t head(struct vthread *t, struct vstream *s, bool periodic)
{
	const size_t cap = VID_PKT_MAX;
	uint8_t *b = t->txbuf;
	struct vpkt_rr_block rb;
	bool have = periodic && s->rx.init;
	size_t n;

	if (have)
		block(s, &rb, t->now_us);
	if (periodic && s->tx_pkts)
		n = vpkt_sr(b, cap, s->m.tx_ssrc, ntp_now(),
			    rtp_now(s, t->now_us), s->tx_pkts, s->tx_octets,
			    have ? &rb : NULL);
	else
		n = vpkt_rr(b, cap, s->m.tx_ssrc, have ? &rb : NULL);
	return n + vpkt_sdes(b + n, cap - n, s->m.tx_ssrc, CNAME);
}

static void rtcp_send(struct vthread *t, struct vstream *s, size_t n)
{
	int fd = s->rtcp_mux || s->rtcp_fd < 0 ? s->rtp_fd : s->rtcp_fd;

	if (!n || !s->m.rtcp_dst_len ||
	    !vsrtp_tx(s, t->txbuf, &n, sizeof(t->txbuf), true))
		return;
	(void)sendto(fd, t->txbuf, n, MSG_DONTWAIT,
		     (const struct sockaddr *)&s->m.rtcp_dst,
		     s->m.rtcp_dst_len);
}

void vrtcp_pli(struct vthread *t, struct vstream *s, bool fir)
{
	size_t n = head(t, s, false);

	if (fir)
		n += vpkt_fir(t->txbuf + n, VID_PKT_MAX - n, s->m.tx_ssrc,
			      s->rx.ssrc, s->fir_seq++);
	else
		n += vpkt_pli(t->txbuf + n, VID_PKT_MAX - n, s->m.tx_ssrc,
			      s->rx.ssrc);
	rtcp_send(t, s, n);
}

void vrtcp_nack(struct vthread *t, struct vstream *s, uint16_t seq)
{
	size_t n = head(t, s, false);

	n += vpkt_nack(t->txbuf + n, VID_PKT_MAX - n, s->m.tx_ssrc,
		       s->rx.ssrc, seq, 0);
	rtcp_send(t, s, n);
}

/* The smallest estimate of those shown sender (0: none has one) */
static uint32_t viewers_kbps(const struct vstream *sender)
{
	const struct vroom *r = sender->room;
	uint32_t min = 0;

	for (unsigned i = 0; i < r->n; i++) {
		const struct vstream *o = r->s[i];
		uint32_t e;

		if (o->cur != sender->id || !o->m.send)
			continue;
		e = vfwd_est_kbps(o);
		if (e && (!min || e < min))
			min = e;
	}
	if (min && min < VID_MIN_UP_KBPS)
		min = VID_MIN_UP_KBPS;
	return min;
}

/* REMB or TMMBR to sender at t->txbuf + n (what it understands) */
static size_t up_msg(struct vthread *t, struct vstream *s, size_t n,
		     uint32_t kbps)
{
	uint64_t bps = (uint64_t)kbps * 1000;

	if (s->m.fb & VIDEO_FB_REMB)
		return vpkt_remb(t->txbuf + n, VID_PKT_MAX - n, s->m.tx_ssrc,
				 bps, &s->rx.ssrc, 1);
	if (s->m.fb & VIDEO_FB_TMMBR)
		return vpkt_tmmbr(t->txbuf + n, VID_PKT_MAX - n,
				  s->m.tx_ssrc, s->rx.ssrc, bps, 0);
	return 0;
}

void vrtcp_up(struct vthread *t, struct vstream *s, bool periodic)
{
	uint32_t kbps = viewers_kbps(s);
	size_t n, m;

	/* between seconds, only a fall of more than a fifth is worth it */
	if (!kbps || !s->rx.init || (!periodic && s->up_kbps &&
				     (uint64_t)kbps * 5 >= (uint64_t)s->up_kbps * 4))
		return;
	n = head(t, s, false);
	m = up_msg(t, s, n, kbps);
	if (!m)
		return;
	s->up_kbps = kbps;
	rtcp_send(t, s, n + m);
}

/* r's estimate changed: its sender hears of a fall at once */
static void est_changed(struct vthread *t, struct vstream *r)
{
	struct vstream *s;

	if (!r->cur || r->cur == VIDEO_COMPOSED_ID)
		return;
	s = vroom_stream(r->room, r->cur);
	if (s)
		vrtcp_up(t, s, false);
}

/* A receiver report of our stream to r */
static void rr_in(struct vthread *t, struct vstream *r, uint8_t fraction)
{
	r->rr_fraction = fraction;
	if (fraction < LOSS_HIGH || !r->st.tx_kbps)
		return;
	r->loss_cap_kbps = r->st.tx_kbps * 85 / 100;
	if (!r->loss_cap_kbps)
		r->loss_cap_kbps = 1;
	est_changed(t, r);
}

struct walk {
	struct vthread *t;
	struct vstream *s;
};

static bool about_us(const struct vstream *s, uint32_t media)
{
	return media == s->m.tx_ssrc || media == 0;
}

static uint32_t kbps_of(uint64_t bps)
{
	uint64_t k = bps / 1000;

	return k > UINT32_MAX ? UINT32_MAX : k ? (uint32_t)k : 1;
}

static void tmmbr_in(struct vthread *t, struct vstream *s,
		     const struct vpkt_fb *fb)
{
	size_t n;

	if (fb->media_ssrc != s->m.tx_ssrc)
		return;
	s->tmmbr_kbps = kbps_of(fb->bps);
	/* RFC 5104 s. 4.2.2: the bounding set, which is theirs alone */
	n = head(t, s, false);
	n += vpkt_tmmbn(t->txbuf + n, VID_PKT_MAX - n, s->m.tx_ssrc,
			fb->sender_ssrc, fb->bps, fb->overhead);
	rtcp_send(t, s, n);
	est_changed(t, s);
}

static void nack_in(struct vthread *t, struct vstream *s,
		    const struct vpkt_fb *fb)
{
	s->st.nacks_rx++;
	vfwd_nack(t, s, fb->pid);
	for (unsigned i = 0; i < 16; i++) {
		if (!(fb->blp & (1u << i)))
			continue;
		s->st.nacks_rx++;
		vfwd_nack(t, s, (uint16_t)(fb->pid + i + 1));
	}
}

static void fb_h(const struct vpkt_fb *fb, void *arg)
{
	struct walk *w = arg;
	struct vstream *s = w->s;

	switch (fb->kind) {
	case VPKT_SR:
		if (s->rx.init && fb->sender_ssrc != s->rx.ssrc)
			break;
		s->rx.lsr = (uint32_t)(fb->ntp >> 16);
		s->rx.sr_at_us = w->t->now_us;
		break;
	case VPKT_RR:
		if (fb->media_ssrc == s->m.tx_ssrc)
			rr_in(w->t, s, fb->fraction_lost);
		break;
	case VPKT_FIR:
		/* RFC 5104 s. 4.3.1.2: a repeated FIR (same seq) is the
		 * same request */
		if (fb->media_ssrc != s->m.tx_ssrc ||
		    (s->fir_rx_any && fb->fir_seq == s->fir_rx_seq))
			break;
		s->fir_rx_any = true;
		s->fir_rx_seq = fb->fir_seq;
		vfwd_kf_for(w->t, s);
		break;
	case VPKT_PLI:
		if (about_us(s, fb->media_ssrc))
			vfwd_kf_for(w->t, s);
		break;
	case VPKT_NACK:
		if (about_us(s, fb->media_ssrc))
			nack_in(w->t, s, fb);
		break;
	case VPKT_TMMBR:
		tmmbr_in(w->t, s, fb);
		break;
	case VPKT_REMB:
		s->remb_kbps = kbps_of(fb->bps);
		est_changed(w->t, s);
		break;
	case VPKT_TMMBN:
		break;
	}
}

void vrtcp_rx(struct vthread *t, struct vstream *s, uint8_t *buf, size_t len,
	      const struct sockaddr_storage *src, socklen_t srclen,
	      bool muxed)
{
	struct walk w = {t, s};

	/* the owner's RTCP only: a stranger's must not steer us */
	if (!msource_rtcp(&s->src, src)) {
		s->st.rx_stranger++;
		return;
	}
	if (!vsrtp_rx(s, buf, &len, true))
		return;
	/* theirs, on the RTP port: ours goes there too */
	if (muxed && !s->rtcp_mux) {
		s->rtcp_mux = true;
		s->rtcp_latched = false;
	}
	if (!s->rtcp_latched) {
		memcpy(&s->m.rtcp_dst, src, srclen);
		s->m.rtcp_dst_len = srclen;
		s->rtcp_latched = true;
	}
	(void)vpkt_rtcp_walk(buf, len, fb_h, &w);
}

static void stats(struct vthread *t, struct vstream *s, uint64_t span_us)
{
	struct video_event ev;

	s->st.rx_kbps = (uint32_t)((s->st.rx_bytes - s->rx_bytes_prev) * 8 *
				   1000 / span_us);
	s->st.tx_kbps = (uint32_t)((s->st.tx_bytes - s->tx_bytes_prev) * 8 *
				   1000 / span_us);
	s->rx_bytes_prev = s->st.rx_bytes;
	s->tx_bytes_prev = s->st.tx_bytes;
	s->st.rx_lost = s->rx.init ? rx_lost(&s->rx) : 0;
	s->st.rx_ssrc = s->rx.ssrc;
	s->st.tx_ssrc = s->m.tx_ssrc;
	s->st.shown = s->cur;
	s->st.est_kbps = vfwd_est_kbps(s);
	memset(&ev, 0, sizeof(ev));
	ev.type = VIDEO_EV_STATS;
	ev.stream_id = s->id;
	ev.stats = s->st;
	vthread_event(t, &ev);
}

void vrtcp_second(struct vthread *t, struct vstream *s, uint64_t span_us)
{
	size_t n;

	/* a loss cap wears off while the loss stays low: +8% a second */
	if (s->loss_cap_kbps && s->rr_fraction < LOSS_LOW) {
		s->loss_cap_kbps += s->loss_cap_kbps * 8 / 100 + 1;
		if (s->loss_cap_kbps > LOSS_CAP_MAX)
			s->loss_cap_kbps = 0;
	}
	stats(t, s, span_us);
	if (!s->rx.init && !s->tx_pkts)
		return;                  /* nothing either way yet */
	n = head(t, s, true);
	if (s->rx.init) {
		uint32_t kbps = viewers_kbps(s);
		size_t m = kbps ? up_msg(t, s, n, kbps) : 0;

		if (m)
			s->up_kbps = kbps;
		n += m;
	}
	rtcp_send(t, s, n);
}
