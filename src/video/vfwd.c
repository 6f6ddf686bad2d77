/*
 * Switched video on a forwarding thread: who each receiver sees, the
 * switch at the new sender's keyframe, and the rewriting that makes a
 * receiver's stream one stream (its SSRC and payload type; sequence
 * numbers, timestamps and VP8/VP9 picture ids continuing across
 * switches); NACKs answered from the senders' buffers. The composed
 * picture of a codec (vcomp.h) is one more sender here, with the id
 * VIDEO_COMPOSED_ID, whose packets come from the composer instead of a
 * socket.
 *
 * A receiver R has cur (whom it is sent now) and want (whom selection
 * chose). When they differ, the new sender is asked for a keyframe and R
 * keeps getting cur's packets until want's first keyframe packet comes;
 * from that packet on R gets want's, rewritten with offsets computed at
 * it (seq: one more than the last sent; ts: the last sent plus the 90 kHz
 * ticks since it was sent; picture id: one more). A sender's epoch
 * changes with its SSRC (a restart): its seq and ts jump, so R waits for
 * a keyframe and computes the offsets again, as for a switch.
 *
 * Forwarding thread; per packet: no allocation, no logging.
 */
#include <string.h>
#include <sys/socket.h>
#include "video/vid_int.h"
#include "video/vcomp.h"

void vfwd_send(struct vthread *t, struct vstream *s, size_t len,
	       size_t payload)
{
	size_t n = len;

	if (!s->m.rtp_dst_len || s->rtp_fd < 0 ||
	    !vsrtp_tx(s, t->txbuf, &n, sizeof(t->txbuf), false))
		return;
	if (sendto(s->rtp_fd, t->txbuf, n, MSG_DONTWAIT,
		   (const struct sockaddr *)&s->m.rtp_dst,
		   s->m.rtp_dst_len) < 0)
		return;
	s->st.tx_packets++;
	s->st.tx_bytes += n;
	s->tx_pkts++;
	s->tx_octets += (uint32_t)payload;
	t->tx_n++;
}

void vfwd_show(struct vthread *t, struct vstream *r, uint32_t id)
{
	struct video_event ev;

	if (r->cur == id)
		return;
	r->cur = id;
	r->st.shown = id;
	r->st.switches++;
	memset(&ev, 0, sizeof(ev));
	ev.type = VIDEO_EV_SHOWN;
	ev.stream_id = r->id;
	ev.shown = id;
	vthread_event(t, &ev);
}

static bool has_picid(enum video_codec c)
{
	return c == VIDEO_VP8 || c == VIDEO_VP9;
}

/* Sends sender sid's packet (pkt, h: as received) to r as out_seq with
 * the offsets given, and notes it in r's sent map; retransmit: a NACK's
 * answer (r's last sent is not moved) */
static void send_as(struct vthread *t, struct vstream *r, uint32_t sid,
		    const uint8_t *pkt, size_t len, const struct vpkt_rtp *h,
		    uint16_t out_seq, uint32_t ts_off, uint16_t picid_off,
		    bool retransmit)
{
	uint8_t *b = t->txbuf;
	uint32_t out_ts = h->ts + ts_off;
	struct vsent *e = &r->sent[out_seq & (VID_SENT_SLOTS - 1)];
	uint16_t pic, out_pic = 0;
	unsigned bits = 0;
	bool newest;

	memcpy(b, pkt, len);
	vpkt_rtp_rewrite(b, r->m.pt, out_seq, out_ts, r->m.tx_ssrc);
	if (has_picid(r->m.codec) &&
	    vpkt_picid_get(r->m.codec, b + h->hlen, h->plen, &pic, &bits)) {
		out_pic = (uint16_t)(pic + picid_off);
		out_pic &= bits == 15 ? 0x7fff : 0x7f;
		(void)vpkt_picid_set(r->m.codec, b + h->hlen, h->plen,
				     out_pic);
	}
	e->used = true;
	e->out_seq = out_seq;
	e->in_seq = h->seq;
	e->sender = sid;
	e->ts_off = ts_off;
	e->picid_off = picid_off;
	newest = !r->have_sent || (int16_t)(out_seq - r->last_seq) > 0;
	if (!retransmit && newest) {
		r->have_sent = true;
		r->last_seq = out_seq;
		r->last_ts = out_ts;
		if (bits)
			r->last_picid = out_pic;
		r->last_sent_us = t->now_us;
	}
	vfwd_send(t, r, len, h->plen);
	if (retransmit) {
		r->st.retransmits++;
		t->rtx_n++;
	}
	else {
		t->fwd_n++;
	}
}

/* r starts showing sid at this packet (a keyframe's first) */
static void switch_at(struct vthread *t, struct vstream *r, uint32_t sid,
		      uint32_t epoch, const uint8_t *pkt,
		      const struct vpkt_rtp *h)
{
	uint16_t out_seq = r->last_seq, out_pic = r->last_picid, pic;
	uint32_t out_ts = r->last_ts;

	if (r->have_sent) {
		uint64_t ticks = (t->now_us - r->last_sent_us) * 90 / 1000;

		out_seq++;
		out_pic++;
		/* at least one tick: a decoder takes two frames with one
		 * timestamp for one */
		out_ts += ticks ? (uint32_t)ticks : 1;
	}
	r->seq_off = (uint16_t)(out_seq - h->seq);
	r->ts_off = out_ts - h->ts;
	r->picid_off = 0;
	if (has_picid(r->m.codec) &&
	    vpkt_picid_get(r->m.codec, pkt + h->hlen, h->plen, &pic, NULL))
		r->picid_off = (uint16_t)(out_pic - pic);
	r->start_seq = h->seq;
	r->cur_epoch = epoch;
	vfwd_show(t, r, sid);
}

/* A packet of sender sid (epoch, key: a keyframe's first) for r, which
 * shows it or waits for it */
static void fwd_one(struct vthread *t, struct vstream *r, uint32_t sid,
		    uint32_t epoch, const uint8_t *pkt, size_t len,
		    const struct vpkt_rtp *h, bool key)
{
	bool synced = r->cur == sid && r->cur_epoch == epoch;

	if (r->want == sid && !synced) {
		if (!key)
			return;
		switch_at(t, r, sid, epoch, pkt, h);
		synced = true;
	}
	/* what came before the switch (reordered) would reuse the last
	 * sender's sequence numbers */
	if (!synced || (int16_t)(h->seq - r->start_seq) < 0)
		return;
	/* the guard follows the stream (a half circle later every seq
	 * would be "before" it) */
	if ((int16_t)(h->seq - r->start_seq) > 1024)
		r->start_seq = (uint16_t)(h->seq - 1024);
	send_as(t, r, sid, pkt, len, h, (uint16_t)(h->seq + r->seq_off),
		r->ts_off, r->picid_off, false);
}

static void rtx_put(struct vrtx *x, const uint8_t *pkt, size_t len,
		    uint16_t seq)
{
	struct vrtx_slot *sl;

	if (!x || len > VID_PKT_MAX)
		return;
	sl = &x->slot[seq & (VID_RTX_SLOTS - 1)];
	memcpy(sl->pkt, pkt, len);
	sl->len = (uint16_t)len;
	sl->seq = seq;
	sl->used = true;
}

static const struct vrtx_slot *rtx_get(const struct vrtx *x, uint16_t seq)
{
	const struct vrtx_slot *sl;

	if (!x)
		return NULL;
	sl = &x->slot[seq & (VID_RTX_SLOTS - 1)];
	return sl->used && sl->seq == seq ? sl : NULL;
}

static bool active(const struct vstream *s, uint64_t now)
{
	return s->heard && now - s->last_rx_us < VID_ACTIVE_US;
}

/* A packet of video from s (decrypted, h parsed, its payload type s's) */
static void video(struct vthread *t, struct vstream *s, uint8_t *buf,
		  size_t len, const struct vpkt_rtp *h)
{
	struct vroom *r = s->room;
	const uint8_t *pl = buf + h->hlen;
	bool key = vpkt_key_start(s->m.codec, pl, h->plen);
	bool was_active = active(s, t->now_us);

	s->heard = true;
	s->last_rx_us = t->now_us;
	if (key && (!s->key_seen || s->key_ts != h->ts)) {
		s->key_seen = true;
		s->key_ts = h->ts;
		s->st.keyframes_rx++;
	}
	if (s->kf_pending) {
		s->kf_pending = false;
		if (!key)
			vfwd_kf_request(t, s);
	}
	rtx_put(s->rtx, buf, len, h->seq);
	if (r->vc && s->in_tile)
		(void)vcomp_input(r->vc, s->id, s->m.codec, buf, len);
	if (!s->m.recv)
		return;
	/* a sender that starts (again) may be whom a receiver should see:
	 * chosen before this packet, which may be the keyframe it needs */
	if (!was_active)
		vfwd_select(t, r);
	for (unsigned i = 0; i < r->n; i++) {
		struct vstream *o = r->s[i];

		if (o == s || !o->m.send || o->m.fecc ||
		    o->m.codec != s->m.codec)
			continue;
		if (o->cur == s->id || o->want == s->id)
			fwd_one(t, o, s->id, s->epoch, buf, len, h, key);
	}
}

void vfwd_rx(struct vthread *t, struct vstream *s, uint8_t *buf, size_t len,
	     const struct sockaddr_storage *src, socklen_t srclen)
{
	struct vpkt_rtp h;

	if (!vpkt_rtp_parse(buf, len, &h))
		return;
	/* the owner's only, before SRTP (msrtp.c, msource.c say why) */
	switch (msource_rtp(&s->src, src, srclen, h.ssrc, h.seq,
			    (uint32_t)(t->now_us / 1000))) {
	case MSOURCE_DROP:
		s->st.rx_stranger++;
		return;
	case MSOURCE_NEW:               /* symmetric RTP: sent there now */
		memcpy(&s->m.rtp_dst, src, srclen);
		s->m.rtp_dst_len = srclen;
		break;
	case MSOURCE_SAME:
		break;
	}
	if (s->m.srtp.on && (!vsrtp_rx(s, buf, &len, false) ||
			     !vpkt_rtp_parse(buf, len, &h)))
		return;
	s->st.rx_packets++;
	s->st.rx_bytes += len;
	if (s->rx.init && s->rx.ssrc != h.ssrc && h.pt != s->m.pt)
		return;      /* another stream of theirs (RTX, FEC): not ours */
	if (!s->rx.init || s->rx.ssrc != h.ssrc) {
		/* a new SSRC (a restart): its seq and ts are new */
		s->epoch++;
		for (unsigned i = 0; s->rtx && i < VID_RTX_SLOTS; i++)
			s->rtx->slot[i].used = false;
	}
	vrtcp_rxstat(s, &h, t->now_us);
	if (s->m.fecc) {
		vfecc_rx(t, s, buf + h.hlen, h.plen);
		return;
	}
	if (h.pt == s->m.pt)
		video(t, s, buf, len, &h);
}

/* The composer's packets: each codec's picture is a sender of its own */
void vfwd_comp_output(struct vthread *t, struct vroom *r)
{
	/* a wake-up's receive buffers are free here (vthread.c reads
	 * sockets and composers one after another) */
	uint8_t *b = t->rxbuf[0];
	struct vcomp_pkt p;

	while (r->vc && vcomp_output(r->vc, &p)) {
		struct vcsend *cs;
		struct vpkt_rtp h;

		if (p.codec >= VIDEO_NCODECS || p.len > VCOMP_MTU || !p.len)
			continue;
		cs = &r->cs[p.codec];
		vpkt_rtp_header(b, p.marker, 0, cs->seq++, p.ts, 0);
		memcpy(b + 12, p.payload, p.len);
		if (!vpkt_rtp_parse(b, 12 + p.len, &h))
			continue;
		cs->last_out_us = t->now_us;
		rtx_put(cs->rtx, b, 12 + p.len, h.seq);
		for (unsigned i = 0; i < r->n; i++) {
			struct vstream *o = r->s[i];

			if (!o->m.send || o->m.fecc || o->m.codec != p.codec)
				continue;
			if (o->cur == VIDEO_COMPOSED_ID ||
			    o->want == VIDEO_COMPOSED_ID)
				fwd_one(t, o, VIDEO_COMPOSED_ID, cs->epoch, b,
					12 + p.len, &h, p.key_start);
		}
	}
}

void vfwd_kf_request(struct vthread *t, struct vstream *s)
{
	struct video_event ev;

	/* not heard yet: a PLI would name no SSRC; asked at its first
	 * packet unless that starts a keyframe */
	if (!s->rx.init) {
		s->kf_pending = true;
		return;
	}
	/* one request per sender per VID_KF_GAP_US, whatever the number
	 * of receivers that wait for it */
	if (s->kf_asked && t->now_us - s->kf_asked_us < VID_KF_GAP_US)
		return;
	s->kf_asked = true;
	s->kf_asked_us = t->now_us;
	s->st.kf_requests_tx++;
	if (s->m.fb & VIDEO_FB_PLI) {
		vrtcp_pli(t, s, false);
		return;
	}
	if (s->m.fb & VIDEO_FB_FIR) {
		vrtcp_pli(t, s, true);
		return;
	}
	/* neither: the focus may ask by SIP INFO; a PLI costs nothing and
	 * many answer it without saying so */
	memset(&ev, 0, sizeof(ev));
	ev.type = VIDEO_EV_KEYFRAME;
	ev.stream_id = s->id;
	vthread_event(t, &ev);
	vrtcp_pli(t, s, false);
}

/* The composer limits its keyframes itself (one per 500 ms a codec,
 * a request kept until then), so every wish is passed on: one dropped
 * here would be lost */
static void comp_kf(struct vroom *r, enum video_codec c)
{
	if (r->vc)
		vcomp_keyframe(r->vc, c);
}

static void kf_of(struct vthread *t, struct vroom *r, uint32_t id,
		  enum video_codec c)
{
	struct vstream *s;

	if (id == VIDEO_COMPOSED_ID) {
		comp_kf(r, c);
		return;
	}
	s = vroom_stream(r, id);
	if (s)
		vfwd_kf_request(t, s);
}

/* r (a receiver) asks for a keyframe (PLI, FIR, video_keyframe): of
 * whom it sees, or is about to */
void vfwd_kf_for(struct vthread *t, struct vstream *r)
{
	uint32_t id = r->cur ? r->cur : r->want;

	r->st.kf_requests_rx++;
	if (id)
		kf_of(t, r->room, id, r->m.codec);
}

void vfwd_comp_keys(struct vthread *t, struct vroom *r)
{
	uint32_t id;

	while (r->vc && vcomp_need_key(r->vc, &id)) {
		struct vstream *s = vroom_stream(r, id);

		if (s)
			vfwd_kf_request(t, s);
	}
}

uint32_t vfwd_est_kbps(const struct vstream *r)
{
	const uint32_t v[4] = {r->remb_kbps, r->tmmbr_kbps, r->loss_cap_kbps,
			       r->m.max_kbps};
	uint32_t est = 0;

	for (unsigned i = 0; i < 4; i++)
		if (v[i] && (!est || v[i] < est))
			est = v[i];
	return est;
}

/* The composer makes codec c's picture: it did in the last 2 s, or it
 * was asked for it only lately (a codec it cannot make never comes, and
 * its receivers get switched video after the grace) */
static bool comp_makes(const struct vroom *r, enum video_codec c,
		       uint64_t now)
{
	const struct vcsend *cs = &r->cs[c];

	if (!r->vc || c >= VIDEO_NCODECS || !cs->wanted_us)
		return false;
	if (cs->last_out_us)
		return now - cs->last_out_us < VID_ACTIVE_US ||
			now - cs->wanted_us < VID_COMP_GRACE_US;
	return now - cs->wanted_us < VID_COMP_GRACE_US;
}

/* The order's senders that may be shown now (sending, active, video),
 * resolved once per selection (cand[i] NULL: order[i] may not be) */
static void candidates(const struct vroom *r, uint64_t now,
		       const struct vstream **cand)
{
	for (unsigned i = 0; i < r->cfg.norder; i++) {
		const struct vstream *s = vroom_stream(r, r->cfg.order[i]);

		cand[i] = s && s->m.recv && !s->m.fecc && active(s, now) ?
			s : NULL;
	}
}

static uint32_t choose(const struct vroom *r, const struct vstream *o,
		       const struct vstream **cand, uint64_t now)
{
	uint32_t est, first = 0;

	if (comp_makes(r, o->m.codec, now))
		return VIDEO_COMPOSED_ID;
	est = vfwd_est_kbps(o);
	for (unsigned i = 0; i < r->cfg.norder; i++) {
		const struct vstream *s = cand[i];

		if (!s || s == o || s->m.codec != o->m.codec)
			continue;
		if (!first)
			first = s->id;
		if (!est || s->st.rx_kbps <= est)
			return s->id;
	}
	return first;
}

/* r shows what it wants (not waiting for a keyframe) */
static bool synced(const struct vroom *r, const struct vstream *o)
{
	const struct vstream *s;

	if (o->want != o->cur)
		return false;
	if (o->want == VIDEO_COMPOSED_ID)
		return o->m.codec < VIDEO_NCODECS &&
			o->cur_epoch == r->cs[o->m.codec].epoch;
	s = vroom_stream(r, o->want);
	return !s || o->cur_epoch == s->epoch;
}

void vfwd_select(struct vthread *t, struct vroom *r)
{
	const struct vstream *cand[VIDEO_ORDER_MAX];

	candidates(r, t->now_us, cand);
	for (unsigned i = 0; i < r->n; i++) {
		struct vstream *o = r->s[i];
		uint32_t c;

		if (!o->m.send || o->m.fecc) {
			o->want = 0;
			if (o->cur)
				vfwd_show(t, o, 0);
			continue;
		}
		c = choose(r, o, cand, t->now_us);
		if (c != o->want) {
			o->want = c;
			if (!c && o->cur)
				vfwd_show(t, o, 0);
		}
		/* asked again every VID_KF_GAP_US while the switch waits
		 * (the limit is per sender: kf_of) */
		if (o->want && !synced(r, o))
			kf_of(t, r, o->want, o->m.codec);
	}
}

/* One of r's NACK tokens, refilled at VID_NACK_PER_S up to a burst */
static bool nack_budget(struct vstream *r, uint64_t now)
{
	uint64_t add;

	if (now < r->nack_at_us)
		r->nack_at_us = now;
	add = (now - r->nack_at_us) * VID_NACK_PER_S / VID_SECOND_US;
	if (add) {
		r->nack_tokens = add >= VID_NACK_BURST ? VID_NACK_BURST :
			(uint32_t)(r->nack_tokens + add) > VID_NACK_BURST ?
			VID_NACK_BURST : r->nack_tokens + (uint32_t)add;
		r->nack_at_us = add >= VID_NACK_BURST ? now :
			r->nack_at_us + add * VID_SECOND_US / VID_NACK_PER_S;
	}
	if (!r->nack_tokens)
		return false;
	r->nack_tokens--;
	return true;
}

void vfwd_nack(struct vthread *t, struct vstream *r, uint16_t seq)
{
	const struct vsent *e;
	const struct vrtx_slot *sl;
	const struct vrtx *x = NULL;
	struct vstream *s = NULL;
	struct vpkt_rtp h;
	uint32_t sid, ts_off;
	uint16_t in_seq, picid_off;

	if (!r->sent || !nack_budget(r, t->now_us))
		return;
	e = &r->sent[seq & (VID_SENT_SLOTS - 1)];
	if (e->used && e->out_seq == seq) {
		sid = e->sender;
		in_seq = e->in_seq;
		ts_off = e->ts_off;
		picid_off = e->picid_off;
	}
	else if (r->cur && r->have_sent &&
		 (int16_t)(seq - (uint16_t)(r->start_seq + r->seq_off)) >= 0 &&
		 (int16_t)(seq - r->last_seq) <= 0) {
		/* never sent: lost on its way to us, in cur's stretch */
		sid = r->cur;
		in_seq = (uint16_t)(seq - r->seq_off);
		ts_off = r->ts_off;
		picid_off = r->picid_off;
	}
	else {
		return;                 /* before what we know */
	}
	if (sid == VIDEO_COMPOSED_ID) {
		if (r->m.codec < VIDEO_NCODECS)
			x = r->room->cs[r->m.codec].rtx;
	}
	else {
		s = vroom_stream(r->room, sid);
		x = s ? s->rtx : NULL;
	}
	sl = rtx_get(x, in_seq);
	if (sl && vpkt_rtp_parse(sl->pkt, sl->len, &h)) {
		send_as(t, r, sid, sl->pkt, sl->len, &h, seq, ts_off,
			picid_off, true);
		return;
	}
	/* not here: asked of the sender, in its own sequence space */
	if (s && (s->m.fb & VIDEO_FB_NACK))
		vrtcp_nack(t, s, in_seq);
}
