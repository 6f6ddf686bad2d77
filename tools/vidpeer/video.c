/*
 * caucus-vidpeer's video (vidpeer.h). Out: a picture of one colour,
 * encoded at --fps (vcodec), cut into packets (vpack), with 90 kHz
 * timestamps from the clock; keyframes at the start, after "video on",
 * and when a PLI or FIR asks (at most one per VP_KEY_GAP_MS). In: every
 * packet is checked for continuity (SSRC, sequence, timestamp), then
 * assembled (vpack) and decoded (vcodec), and each picture's mean colour
 * logged; a loss or a picture that does not decode sends a PLI. RTCP
 * (vpkt): a report and SDES every second, PLI on loss; what comes in is
 * walked and the feedback logged. libre's loop, main thread.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "vidpeer.h"
#include "mixer/rtp.h"
#include "video/vcodec.h"
#include "video/vpack.h"
#include "video/vpkt.h"

#define FRAME_MAX (1024 * 1024)     /* the largest frame assembled */
#define RTCP_INTERVAL_MS 1000
#define RX_BUF_BYTES (1024 * 1024)  /* a keyframe's burst fits */

struct vp_video {
	struct venc *enc;
	struct vframe pic;
	bool pic_ok;
	struct vdepack *dp;
	struct vdec *dec;
	/* out */
	bool sending;               /* "video on" (the default) */
	bool running;               /* frames going out now */
	bool force_key;             /* the next frame: a keyframe, now */
	bool kf_pending;            /* asked by PLI/FIR: when the gap
				     * allows */
	uint64_t last_key_us, next_frame_us;
	uint16_t picid;
	uint32_t ts_base, last_ts, tx_packets, tx_octets;
	struct tmr frame_tmr, rtcp_tmr;
	/* in */
	bool rx_have;
	uint32_t rx_ssrc, rx_ts;
	uint16_t rx_seq;            /* the highest seen */
	struct rtp_rxstat rx;       /* for our reports */
	char cname[80];
};

static uint32_t ts_now(const struct vp_video *v)
{
	return v->ts_base + (uint32_t)(vp_now_us() * 9 / 100);
}

/* ---------------- RTCP ---------------- */

static uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 2208988800u) << 32 |
		(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* A report (SR when we have sent, else RR; a block about what we
 * receive) and SDES: the start of every compound packet we send */
static size_t rtcp_head(struct vidpeer *vp, uint8_t *buf, size_t cap)
{
	struct vp_video *v = vp->vid;
	struct vpkt_rr_block rb, *rbp = NULL;
	uint32_t ssrc = vp->video.tx_ssrc;
	size_t n;

	if (v->rx.init) {
		uint32_t expected = rtp_rxstat_expected(&v->rx);
		uint32_t exp_int = expected - v->rx.expected_prior;
		int32_t lost_int = (int32_t)(exp_int - (v->rx.received -
							v->rx.received_prior));
		int32_t lost = rtp_rxstat_lost(&v->rx);

		memset(&rb, 0, sizeof(rb));
		rb.ssrc = v->rx.ssrc;
		if (exp_int && lost_int > 0)
			rb.fraction_lost = (uint8_t)(((uint32_t)lost_int << 8)
						     / exp_int);
		rb.cum_lost = lost > 0 ? (uint32_t)lost & 0xffffff : 0;
		rb.ext_seq = v->rx.cycles + v->rx.max_seq;
		v->rx.expected_prior = expected;
		v->rx.received_prior = v->rx.received;
		rbp = &rb;
	}
	if (v->tx_packets)
		n = vpkt_sr(buf, cap, ssrc, ntp_now(), ts_now(v),
			    v->tx_packets, v->tx_octets, rbp);
	else
		n = vpkt_rr(buf, cap, ssrc, rbp);
	if (!n)
		return 0;
	return n + vpkt_sdes(buf + n, cap - n, ssrc, v->cname);
}

static void rtcp_send(struct vidpeer *vp, const uint8_t *buf, size_t len)
{
	(void)sendto(vp->video.rtcp_fd, buf, len, 0,
		     (const struct sockaddr *)&vp->video.rtcp_dst,
		     sizeof(vp->video.rtcp_dst));
}

static void rtcp_tick(void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t buf[256];
	size_t n;

	tmr_start(&vp->vid->rtcp_tmr, RTCP_INTERVAL_MS, rtcp_tick, vp);
	if (!vp->video.on)
		return;
	n = rtcp_head(vp, buf, sizeof(buf));
	if (n)
		rtcp_send(vp, buf, n);
}

static int pli_send(struct vidpeer *vp, const char *why)
{
	struct vp_video *v = vp->vid;
	uint8_t buf[256];
	size_t n, k;

	if (!v || !vp->video.on || vp->ending)
		return ENOTCONN;
	n = rtcp_head(vp, buf, sizeof(buf));
	k = n ? vpkt_pli(buf + n, sizeof(buf) - n, vp->video.tx_ssrc,
			 v->rx_ssrc) : 0;
	if (!k)
		return ENOSPC;
	rtcp_send(vp, buf, n + k);
	vp->n.plis_sent++;
	vp_logt(vp, "pli_sent", "ssrc=0x%08x why=%s", v->rx_ssrc, why);
	return 0;
}

int video_send_pli(struct vidpeer *vp)
{
	return pli_send(vp, "cmd");
}

static void kfreq(struct vidpeer *vp, const char *kind)
{
	vp->n.kfreqs++;
	vp->vid->kf_pending = true;
	vp_logt(vp, "kfreq", "kind=%s", kind);
}

static void fb_h(const struct vpkt_fb *fb, void *arg)
{
	struct vidpeer *vp = arg;

	switch (fb->kind) {
	case VPKT_PLI:
		vp_logt(vp, "rtcp", "kind=pli value=0x%08x", fb->media_ssrc);
		kfreq(vp, "pli");
		break;
	case VPKT_FIR:
		vp_logt(vp, "rtcp", "kind=fir value=0x%08x seq=%u",
			fb->media_ssrc, fb->fir_seq);
		kfreq(vp, "fir");
		break;
	case VPKT_NACK:
		vp_logt(vp, "rtcp", "kind=nack value=%u blp=0x%04x",
			fb->pid, fb->blp);
		break;
	case VPKT_REMB:
		vp_logt(vp, "rtcp", "kind=remb value=%llu",
			(unsigned long long)fb->bps);
		break;
	case VPKT_TMMBR:
		vp_logt(vp, "rtcp", "kind=tmmbr value=%llu",
			(unsigned long long)fb->bps);
		break;
	default:              /* reports, TMMBN: nothing to say */
		break;
	}
}

static void rtcp_rx_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t buf[1500];
	ssize_t n;

	(void)flags;
	while ((n = recv(vp->video.rtcp_fd, buf, sizeof(buf), 0)) >= 0) {
		if (!vpkt_rtcp_walk(buf, (size_t)n, fb_h, vp))
			vp_logt(vp, "rtcp", "kind=malformed value=%zd", n);
	}
}

/* ---------------- out ---------------- */

static int pkt_h(const uint8_t *pl, size_t len, bool last, void *arg)
{
	struct vidpeer *vp = arg;
	struct vp_video *v = vp->vid;
	int err = media_send_rtp(vp, &vp->video, last, v->last_ts, pl, len);

	if (!err) {
		v->tx_packets++;
		v->tx_octets += (uint32_t)len;
	}
	return err;
}

static void frame_send(struct vidpeer *vp, uint64_t now)
{
	struct vp_video *v = vp->vid;
	const uint8_t *data;
	size_t len;
	bool key, is_key;

	key = v->force_key || (v->kf_pending &&
			       now - v->last_key_us >= VP_KEY_GAP_MS * 1000);
	if (venc_frame(v->enc, &v->pic, key, &data, &len, &is_key) != 1)
		return;
	v->last_ts = ts_now(v);
	if (is_key) {
		v->force_key = v->kf_pending = false;
		v->last_key_us = now;
		vp_logt(vp, "keyframe_sent", "bytes=%zu", len);
	}
	(void)vpack_frame(vp->o.codec, data, len, is_key, v->picid, VP_MTU,
			  pkt_h, vp);
	v->picid = (v->picid + 1) & 0x7fff;
}

/* At --fps by the clock; a late tick sends one frame, not a burst */
static void frame_tick(void *arg)
{
	struct vidpeer *vp = arg;
	struct vp_video *v = vp->vid;
	uint64_t now = vp_now_us();
	uint64_t period = 1000000 / vp->o.fps;

	if (v->sending)
		frame_send(vp, now);
	v->next_frame_us += period;
	if (v->next_frame_us <= now)
		v->next_frame_us = now + period;
	tmr_start(&v->frame_tmr, (v->next_frame_us - now + 999) / 1000,
		  frame_tick, vp);
}

void video_update(struct vidpeer *vp)
{
	struct vp_video *v = vp->vid;
	bool run;

	if (!v)
		return;
	run = vp->established && !vp->ending && vp->video.on &&
		vp->video.send;
	if (run == v->running)
		return;
	v->running = run;
	if (!run) {
		tmr_cancel(&v->frame_tmr);
		return;
	}
	v->force_key = true;
	v->next_frame_us = vp_now_us();
	frame_tick(vp);
}

void video_set_color(struct vidpeer *vp, uint8_t y, uint8_t u, uint8_t v)
{
	vp->o.color[0] = y;
	vp->o.color[1] = u;
	vp->o.color[2] = v;
	if (vp->vid && vp->vid->pic_ok)
		vframe_fill(&vp->vid->pic, y, u, v);
}

int video_set_sending(struct vidpeer *vp, bool on)
{
	struct vp_video *v = vp->vid;

	if (!v)
		return ENOENT;
	if (on && !v->sending)
		v->force_key = true;    /* a receiver starts decoding again */
	v->sending = on;
	return 0;
}

/* ---------------- in ---------------- */

/* Every packet's continuity: a new SSRC, a sequence number that is not
 * the next one (a gap, or one late or repeated), a timestamp older than
 * the last in order. Only what breaks is logged */
static void continuity(struct vidpeer *vp, const struct vpkt_rtp *h)
{
	struct vp_video *v = vp->vid;
	int16_t d;

	if (!v->rx_have || h->ssrc != v->rx_ssrc) {
		if (v->rx_have) {
			vp->n.ssrc_changes++;
			vp_logt(vp, "rtp", "event=ssrc_change from=0x%08x "
				"to=0x%08x", v->rx_ssrc, h->ssrc);
		}
		v->rx_have = true;
		v->rx_ssrc = h->ssrc;
		v->rx_seq = h->seq;
		v->rx_ts = h->ts;
		return;
	}
	d = (int16_t)(h->seq - v->rx_seq);
	if (d != 1) {
		vp->n.seq_gaps++;
		vp_logt(vp, "rtp", "event=seq_gap from=%u to=%u", v->rx_seq,
			h->seq);
	}
	if (d <= 0)
		return;
	if ((int32_t)(h->ts - v->rx_ts) < 0) {
		vp->n.ts_back++;
		vp_logt(vp, "rtp", "event=ts_back from=%u to=%u", v->rx_ts,
			h->ts);
	}
	v->rx_seq = h->seq;
	v->rx_ts = h->ts;
}

/* --grid N: " grid=y:u:v/..." of the N x N cells, row by row, each
 * inset by a tenth so that a tile's edge does not blur it ("" without) */
static void grid_print(const struct vidpeer *vp, const struct vframe *pic,
		       char *buf, size_t sz)
{
	unsigned n = vp->o.grid, cw, ch;
	size_t o;

	buf[0] = '\0';
	if (!n)
		return;
	cw = pic->w / n;
	ch = pic->h / n;
	o = (size_t)snprintf(buf, sz, " grid=");
	for (unsigned r = 0; r < n; r++) {
		for (unsigned c = 0; c < n && o < sz; c++) {
			double m[3];

			vframe_mean(pic, c * cw + cw / 10, r * ch + ch / 10,
				    cw - cw / 5, ch - ch / 5, m);
			o += (size_t)snprintf(buf + o, sz - o, "%s%ld:%ld:%ld",
					      r || c ? "/" : "", lrint(m[0]),
					      lrint(m[1]), lrint(m[2]));
		}
	}
}

static void decode(struct vidpeer *vp, const uint8_t *frame, size_t len,
		   bool key)
{
	struct vp_video *v = vp->vid;
	struct vframe pic;
	double yuv[3];
	char cells[512];
	int r;

	if (key)
		vp->n.keyframes++;
	r = vdec_frame(v->dec, frame, len, &pic);
	if (r < 0) {
		vp->n.decode_errors++;
		(void)pli_send(vp, "decode");
		return;
	}
	if (r == 0)
		return;
	vp->n.frames++;
	vframe_mean(&pic, 0, 0, pic.w, pic.h, yuv);
	grid_print(vp, &pic, cells, sizeof(cells));
	vp_logt(vp, "frame", "ssrc=0x%08x key=%d w=%u h=%u y=%ld u=%ld v=%ld%s",
		v->rx_ssrc, key, pic.w, pic.h, lrint(yuv[0]), lrint(yuv[1]),
		lrint(yuv[2]), cells);
}

static void packet(struct vidpeer *vp, const uint8_t *buf, size_t len)
{
	struct vp_video *v = vp->vid;
	struct vpkt_rtp h;
	struct rtp_hdr rh;
	const uint8_t *frame;
	size_t flen;
	bool key = false, need_key = false;
	int r;

	vp->n.rx_video_packets++;
	if (!vpkt_rtp_parse(buf, len, &h) || !vp->video.on ||
	    h.pt != vp->video.pt)
		return;
	continuity(vp, &h);
	memset(&rh, 0, sizeof(rh));
	rh.seq = h.seq;
	rh.ts = h.ts;
	rh.ssrc = h.ssrc;
	rtp_rxstat_count(&v->rx, &rh, 0);
	r = vdepack_push(v->dp, h.seq, h.ts, h.marker, buf + h.hlen, h.plen,
			 &frame, &flen, &key, &need_key);
	if (r < 0 && need_key)
		(void)pli_send(vp, "loss");
	if (r == 1)
		decode(vp, frame, flen, key);
}

static void rtp_rx_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t buf[2048];
	ssize_t n;

	(void)flags;
	while ((n = recv(vp->video.rtp_fd, buf, sizeof(buf), 0)) >= 0)
		packet(vp, buf, (size_t)n);
}

/* ---------------- setup ---------------- */

int video_init(struct vidpeer *vp)
{
	struct vp_video *v;
	int c = vp->o.codec;
	int bufsz = RX_BUF_BYTES;
	int err;

	if (c == VP_CODEC_NONE)
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return ENOMEM;
	vp->vid = v;
	v->sending = true;
	tmr_init(&v->frame_tmr);
	tmr_init(&v->rtcp_tmr);
	rand_bytes((uint8_t *)&v->ts_base, sizeof(v->ts_base));
	rand_bytes((uint8_t *)&v->picid, sizeof(v->picid));
	v->picid &= 0x7fff;
	rand_bytes((uint8_t *)&vp->video.tx_ssrc, sizeof(vp->video.tx_ssrc));
	rand_bytes((uint8_t *)&vp->video.tx_seq, sizeof(vp->video.tx_seq));
	re_snprintf(v->cname, sizeof(v->cname), "%s@127.0.0.1", vp->o.from);
	(void)setsockopt(vp->video.rtp_fd, SOL_SOCKET, SO_RCVBUF, &bufsz,
			 sizeof(bufsz));
	err = vframe_alloc(&v->pic, vp->o.w, vp->o.h);
	if (err)
		return err;
	v->pic_ok = true;
	vframe_fill(&v->pic, vp->o.color[0], vp->o.color[1], vp->o.color[2]);
	err = venc_alloc(&v->enc, c, vp->o.w, vp->o.h, vp->o.fps, vp->o.kbps);
	err = err ? err : vdepack_alloc(&v->dp, c, FRAME_MAX);
	err = err ? err : vdec_alloc(&v->dec, c);
	err = err ? err : fd_listen(vp->video.rtp_fd, FD_READ, rtp_rx_h, vp);
	err = err ? err : fd_listen(vp->video.rtcp_fd, FD_READ, rtcp_rx_h,
				    vp);
	if (!err)
		tmr_start(&v->rtcp_tmr, RTCP_INTERVAL_MS, rtcp_tick, vp);
	return err;
}

void video_close(struct vidpeer *vp)
{
	struct vp_video *v = vp->vid;

	if (!v)
		return;
	tmr_cancel(&v->frame_tmr);
	tmr_cancel(&v->rtcp_tmr);
	if (v->enc)
		venc_free(v->enc);
	if (v->dec)
		vdec_free(v->dec);
	if (v->dp)
		vdepack_free(v->dp);
	if (v->pic_ok)
		vframe_free(&v->pic);
	free(v);
	vp->vid = NULL;
}
