/*
 * A stream's network side, on its mixer thread: receive (recvmmsg, on its
 * own socket; with per-thread sockets mixer_mux.c reads and hands over),
 * latch the sender's address (symmetric RTP), take DTMF events and RFC 6464
 * levels, into the jitter buffer (decoded at playout, playout.c); encode
 * and send our frames; RTCP
 * reports and the per-second stats event. Called from the tick in
 * mixer_thread.c; no allocation, no logging.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "mixer/mixer_stream.h"
#include "util/msg.h"

static void rx_telev(struct mthread *t, struct mstream *s,
		     const struct rtp_hdr *h, bool *sig)
{
	static const char digits[] = "0123456789*#ABCD";
	struct mixer_event ev = {.type = MIXER_EV_DTMF, .stream_id = s->id};

	/* reported at its first packet (some senders end an event only
	 * when the key is let go) */
	if (h->plen < 4)
		return;
	/* an event comes in many packets (and its end three times, RFC
	 * 4733 s. 2.5.1.4): once per event, told by its timestamp and its
	 * code (some senders start every event at one timestamp) */
	if (s->dtmf_seen && s->dtmf_ts == h->ts &&
	    s->dtmf_ev == h->payload[0])
		return;
	s->dtmf_seen = true;
	s->dtmf_ts = h->ts;
	s->dtmf_ev = h->payload[0];
	if (h->payload[0] >= 16)
		return;
	ev.digit = digits[h->payload[0]];
	mthread_push_event(t, &ev, sig);
}

/* DTLS records handed on per stream and window (about a second): a
 * handshake is a few, a retransmitting one a few more; a flood at the
 * port is not the signalling thread's problem */
#define DTLS_PER_WIN 32

void mstream_rx_dtls(struct mthread *t, struct mstream *s, bool rtcp,
		     const uint8_t *buf, size_t len,
		     const struct sockaddr_storage *src, socklen_t srclen,
		     uint32_t arrival_ts, bool *sig)
{
	/* static: a tick's stack is no place for 1.6 KB, and only this
	 * thread touches it */
	static __thread struct mpkt p;
	uint32_t win = arrival_ts >> 13;

	/* only a stream keyed by DTLS takes records; a full queue drops
	 * them (the peer retransmits) */
	if (!s->m.srtp.dtls || len > sizeof(p.data))
		return;
	if (win != s->dtls_win) {
		s->dtls_win = win;
		s->dtls_n = 0;
	}
	if (++s->dtls_n > DTLS_PER_WIN)
		return;
	p.stream_id = s->id;
	p.rtcp = rtcp;
	p.src = *src;
	p.srclen = srclen;
	p.len = (uint16_t)len;
	memcpy(p.data, buf, len);
	if (spsc_push(&t->pktq, &p))
		*sig = true;
}

void mstream_rx_rtp(struct mthread *t, struct mstream *s, uint8_t *buf,
		    size_t len, const struct sockaddr_storage *src,
		    socklen_t srclen, uint32_t arrival_ts, bool *sig)
{
	struct rtp_hdr h, h8;
	enum media_codec codec;
	uint32_t clock_k = media_rtp_clock(s->m.codec) / 1000;
	/* arrival in the stream's RTP clock (arrival_ts is in 8 kHz) */
	uint32_t arrival_clk = arrival_ts * (clock_k / 8);
	int dur;
	uint8_t level;

	if (!rtp_parse(&h, buf, len)) {
		s->st.rx_bad++;
		return;
	}
	/* the owner's media only (util/msource.c); symmetric RTP: we send to
	 * where it comes from */
	/* the owner's, and then authentic (SRTP): decrypted in place */
	switch (msource_rtp(&s->src, src, srclen, h.ssrc, h.seq,
			    arrival_ts / 8)) {
	case MSOURCE_DROP:
		s->st.rx_stranger++;
		return;
	case MSOURCE_NEW:
		memcpy(&s->m.rtp_dst, src, srclen);
		s->m.rtp_dst_len = srclen;
		break;
	case MSOURCE_SAME:
		break;
	}
	if (s->srtp_on && (!msrtp_rx(s, buf, &len, false) ||
			     !rtp_parse(&h, buf, len)))
		return;
	s->latched = true;
	s->st.rx_packets++;
	s->st.rx_bytes += len;
	s->st.talking_seen = true;
	/* statistics in 8 kHz units, whatever the codec's clock */
	h8 = h;
	h8.ts = h.ts / (clock_k / 8);

	if (s->m.telev_pt >= 0 && h.pt == s->m.telev_pt) {
		rtp_rxstat_count(&s->rx, &h8, arrival_ts);
		inband_telev(s, arrival_ts / 8);   /* its audio is not heard */
		rx_telev(t, s, &h, sig);
		return;
	}
	rtp_rxstat_update(&s->rx, &h8, arrival_ts);
	/* RFC 6464: the sender's own measure of its level; talking is
	 * judged on it instead of on the decoded audio */
	if (s->m.level_id &&
	    rtp_audio_level(buf, len, s->m.level_id, &s->hdr_level,
			    &s->hdr_voice))
		s->hdr_level_at = arrival_ts;
	/* the negotiated codec, and in a G.711 stream G.711 of either
	 * kind (a phone may switch between them) */
	if (h.pt == s->m.tx_pt)
		codec = s->m.codec;
	else if ((h.pt == MEDIA_PCMU || h.pt == MEDIA_PCMA) &&
		 (s->m.codec == MEDIA_PCMU || s->m.codec == MEDIA_PCMA))
		codec = (enum media_codec)h.pt;
	else {
		s->st.rx_bad++;         /* comfort noise, unknown PT */
		return;
	}
	/* its length in RTP clock units; decoded at playout */
	dur = codec == MEDIA_OPUS ? media_opus_samples(h.payload, h.plen) :
		(int)h.plen;
	/* a G.711 frame's level now, from bytes still in the cache: most
	 * frames are dropped at playout on it alone (playout.c), which then
	 * reads only the slot's header */
	level = s->plc && (uint32_t)dur == s->jb.frame ?
		talk_level_g711(codec, h.payload, h.plen) : JB_LEVEL_NONE;
	if (dur <= 0 || jbuf_put(&s->jb, h.seq, h.ts, (uint32_t)dur, h.pt,
				 level, h.payload, h.plen,
				 arrival_clk) == JB_BAD)
		s->st.rx_bad++;
}

void mstream_receive(struct mthread *t, struct mstream *s, uint64_t mono_us,
		     uint64_t wall_us, bool *sig)
{
	static __thread uint8_t buf[RX_BATCH][PKT_MAX];
	static __thread struct sockaddr_storage rxsrc[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	uint32_t arrival_ts = (uint32_t)(mono_us * 8 / 1000);
	int n;

	/* read for the whole thread (mixer_mux.c); an application has no
	 * sockets */
	if (s->mux || s->app)
		return;
	/* read with the others' (mixer_uring.c) */
	for (; !uring_on(s->ur);) {
		for (int i = 0; i < RX_BATCH; i++)
			msg_one(&msgs[i].msg_hdr, &iov[i], buf[i], PKT_MAX,
				&rxsrc[i], sizeof(rxsrc[i]));
		n = recvmmsg(s->rtp_fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (mstream_is_dtls(buf[i], msgs[i].msg_len))
				mstream_rx_dtls(t, s, false, buf[i],
						msgs[i].msg_len, &rxsrc[i],
						msgs[i].msg_hdr.msg_namelen,
						arrival_ts, sig);
			else
				mstream_rx_rtp(t, s, buf[i], msgs[i].msg_len,
					       &rxsrc[i],
					       msgs[i].msg_hdr.msg_namelen,
					       arrival_ts, sig);
		}
		if (n < RX_BATCH)
			break;
	}
	/* RTCP comes every few seconds: its socket is read every
	 * RTCP_POLL_TICKS ticks (streams spread over them), not every tick,
	 * which saves a system call per participant per tick */
	if ((mono_us / 20000 + s->id) % RTCP_POLL_TICKS &&
	    !(s->m.srtp.dtls && !s->m.srtp.rtcp.set))  /* a handshake is
							 * on: every tick */
		return;
	for (;;) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		ssize_t r = recvfrom(s->rtcp_fd, buf[0], PKT_MAX,
				     MSG_DONTWAIT, (struct sockaddr *)&src,
				     &slen);

		if (r <= 0)
			break;
		if (mstream_is_dtls(buf[0], (size_t)r))
			mstream_rx_dtls(t, s, true, buf[0], (size_t)r, &src,
					slen, arrival_ts, sig);
		else
			mstream_rx_rtcp(s, buf[0], (size_t)r, &src, slen,
					wall_us);
	}
}

void mstream_rx_rtcp(struct mstream *s, uint8_t *buf, size_t len,
		     const struct sockaddr_storage *src, socklen_t srclen,
		     uint64_t wall_us)
{
	/* the owner's RTCP only: a stranger's first datagram must not
	 * steer our reports */
	if (!msource_rtcp(&s->src, src)) {
		s->st.rx_stranger++;
		return;
	}
	if (!msrtp_rx(s, buf, &len, true))
		return;
	rtcp_parse(&s->rx, buf, len, wall_us);
	if (!s->rtcp_latched) {
		memcpy(&s->m.rtcp_dst, src, srclen);
		s->m.rtcp_dst_len = srclen;
		s->rtcp_latched = true;
	}
}

/* RFC 6465: who is in the mix s hears (everyone mixed but s itself) */
static unsigned mix_sources(const struct mstream *s, const struct mgroup *g,
			    uint32_t *csrc, uint8_t *levels)
{
	unsigned n = 0;

	if (!g || !s->m.csrc_level_id)
		return 0;
	for (unsigned i = 0; i < g->nspk && n < RTP_MAX_CSRC; i++) {
		if (g->spk[i] == s)
			continue;
		csrc[n] = g->spk[i]->rx.ssrc;
		levels[n++] = g->spk[i]->talk.level;
	}
	return n;
}

/* One packet of an encoded 20 ms frame; the RTP clock runs at the
 * codec's clock rate (48 kHz for Opus) */
void mstream_send_payload(struct mstream *s, const struct mgroup *g,
			  const uint8_t *payload, size_t len)
{
	uint8_t own[RTP_HDR_MAX + MEDIA_MAX_PAYLOAD + MSRTP_TAG_MAX];
	/* with the thread's sockets, written straight into its queue; so
	 * with its io_uring */
	bool ur = !s->mux && uring_on(s->ur);
	uint8_t *pkt = s->mux ? mux_slot(s->mux) : ur ? uring_slot(s->ur) :
		own;
	uint32_t csrc[RTP_MAX_CSRC];
	uint8_t levels[RTP_MAX_CSRC];
	unsigned nsrc = mix_sources(s, g, csrc, levels);
	size_t hl;

	if (len > MEDIA_MAX_PAYLOAD)
		len = 0;
	if (s->m.codec == MEDIA_OPUS && len && len <= 2) {
		/* DTX: libopus says a packet of 2 bytes or less need not
		 * be sent. Nothing goes out, the clock runs on, and the
		 * next packet sent starts a talkspurt (marker) */
		s->tx_ts += media_rtp_clock(s->m.codec) / JB_TICKS_PER_S;
		s->tx_marker = true;
		s->st.tx_dtx++;
		return;
	}
	hl = nsrc ? rtp_write_hdr_csrc(pkt, s->tx_marker, s->m.tx_pt,
				       s->tx_seq, s->tx_ts, s->tx_ssrc, csrc,
				       levels, nsrc, s->m.csrc_level_id) :
		rtp_write_hdr(pkt, s->tx_marker, s->m.tx_pt, s->tx_seq,
			      s->tx_ts, s->tx_ssrc);
	memcpy(pkt + hl, payload, len);
	size_t n = hl + len;

	/* SRTP: encrypted in place, the buffers have room for the tag */
	if (len && !msrtp_tx(s, pkt, &n, sizeof(own), false))
		len = 0;
	if (len && s->mux)
		mux_commit(s->mux, s, n, len);
	else if (len && ur)
		uring_commit(s->ur, s, n, len);
	else if (len && sendto(s->rtp_fd, pkt, n, MSG_DONTWAIT,
			       (struct sockaddr *)&s->m.rtp_dst,
			       s->m.rtp_dst_len) > 0)
		mstream_sent(s, n, len);
	s->tx_seq++;
	s->tx_ts += media_rtp_clock(s->m.codec) / JB_TICKS_PER_S;
}

void mstream_sent(struct mstream *s, size_t bytes, size_t payload)
{
	s->tx_marker = false;
	s->tx_packets++;
	s->tx_octets += (uint32_t)payload;
	s->st.tx_packets++;
	s->st.tx_bytes += bytes;
}

void mstream_send(struct mstream *s, const struct mgroup *g,
		  const int16_t *pcm, unsigned n)
{
	uint8_t payload[MEDIA_MAX_PAYLOAD];
	size_t len;

	if (s->app) {
		/* an application's sink: the frame at its rate, into its
		 * ring (a full ring loses it) */
		int16_t f[MIXER_APP_FRAME];

		if (media_coder_from_mix(s->coder, pcm, n, f,
					 MIXER_APP_FRAME) != MIXER_APP_FRAME ||
		    !spsc_push(&s->app->out, f))
			atomic_fetch_add(&s->app->lost, 1);
		return;
	}
	len = media_coder_encode(s->coder, s->m.codec, payload,
				 sizeof(payload), pcm, n);
	mstream_send_payload(s, g, payload, len);
}

/* RFC 3611 VoIP metrics of what we receive: loss and discards (late,
 * overflow) since the start, the jitter buffer's delay and target */
static void voip_metrics(const struct mstream *s, struct rtcp_voip *v)
{
	uint32_t expected = rtp_rxstat_expected(&s->rx);
	int32_t lost = rtp_rxstat_lost(&s->rx);
	uint32_t discarded = s->jb.stats.late + s->jb.stats.overflow;
	uint32_t ms = s->jb.clock / 1000;

	memset(v, 0, sizeof(*v));
	v->source = s->rx.ssrc;
	if (expected) {
		uint64_t l = lost > 0 ? (uint64_t)lost * 256 / expected : 0;
		uint64_t d = (uint64_t)discarded * 256 / expected;

		v->loss_rate = (uint8_t)(l > 255 ? 255 : l);
		v->discard_rate = (uint8_t)(d > 255 ? 255 : d);
	}
	v->end_delay_ms = (uint16_t)((jbuf_depth(&s->jb) + s->jb.frame) / ms);
	v->rx_config = RTCP_XR_PLC_ENHANCED | RTCP_XR_JB_ADAPTIVE;
	v->jb_nominal_ms = (uint16_t)(jbuf_target(&s->jb) / ms);
	v->jb_max_ms = (uint16_t)(jbuf_target(&s->jb) / ms +
				  JB_EXCESS_FRAMES * 20);
	v->jb_abs_max_ms = JB_TARGET_MAX_MS + JB_EXCESS_FRAMES * 20;
}

void mstream_rtcp(struct mstream *s, uint64_t mono_us, uint64_t wall_us)
{
	uint8_t pkt[256 + MSRTP_TAG_MAX];
	struct rtcp_sender snd = {
		.sent = s->tx_packets != s->tx_packets_reported,
		.ssrc = s->tx_ssrc, .rtp_ts = s->tx_ts,
		.packets = s->tx_packets, .octets = s->tx_octets,
		.now_us = wall_us,
		.clock_ratio = media_rtp_clock(s->m.codec) / 8000,
	};
	struct rtcp_voip v;
	size_t n;

	s->next_rtcp_us = mono_us + RTCP_INTERVAL_US;
	s->tx_packets_reported = s->tx_packets;
	if (!s->m.rtcp_dst_len)
		return;
	n = rtcp_write_sr(pkt, sizeof(pkt) - MSRTP_TAG_MAX, &snd, &s->rx,
			  "caucus@focus");
	/* with what the jitter buffer saw, once something was received */
	if (n && s->rx.init) {
		voip_metrics(s, &v);
		n += rtcp_write_xr_voip(pkt + n,
					sizeof(pkt) - MSRTP_TAG_MAX - n,
					s->tx_ssrc, &v);
	}
	if (n && !msrtp_tx(s, pkt, &n, sizeof(pkt), true))
		n = 0;
	if (n)
		(void)sendto(s->rtcp_fd, pkt, n, MSG_DONTWAIT,
			     (struct sockaddr *)&s->m.rtcp_dst,
			     s->m.rtcp_dst_len);
}

const uint32_t mixer_tick_bounds_us[MIXER_TICK_BUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 20000,
};

void mstream_stats(struct mthread *t, struct mstream *s, uint64_t mono_us,
		   bool levels)
{
	struct mixer_event ev = {.type = MIXER_EV_STATS, .stream_id = s->id};
	int32_t lost = rtp_rxstat_lost(&s->rx);
	uint8_t peak = s->level_peak;

	/* a console's meters want a few levels a second; nobody else
	 * needs the counters more than once a second */
	s->next_stats_us = mono_us + (levels ? LEVEL_INTERVAL_US :
				      STATS_INTERVAL_US);
	s->level_peak = 127;
	if (s->app)              /* nothing of a network to report */
		return;
	s->st.rx_lost = lost > 0 ? (uint32_t)lost : 0;
	s->st.rx_late = s->jb.stats.late;
	s->st.rx_dup = s->jb.stats.dup;
	s->st.concealed = s->jb.stats.concealed;
	s->st.jitter_us = rtp_rxstat_jitter(&s->rx) * 125;  /* 8 kHz */
	s->st.jb_target_us = (uint32_t)((uint64_t)jbuf_target(&s->jb) *
					1000000 / s->jb.clock);
	s->st.jb_depth_us = (uint32_t)((uint64_t)jbuf_depth(&s->jb) *
				       1000000 / s->jb.clock);
	s->st.jb_skipped = s->jb.stats.skipped;
	s->st.jb_stretched = s->jb.stats.stretched;
	s->st.rx_ssrc = s->rx.ssrc;
	ev.stats = s->st;
	ev.stats.level = levels ? peak : MIXER_LEVEL_NONE;
	mthread_push_report(t, &ev, mono_us);
	s->st.talking_seen = false;
}
