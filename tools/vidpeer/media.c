/*
 * caucus-vidpeer's sockets and its media other than video (vidpeer.h):
 * an RTP/RTCP pair per m-line on 127.0.0.1 (RTCP on RTP + 1), what the
 * SDP agreed for each stream, audio (20 ms of PCMU, a tone while
 * talking, else silence; what comes in is counted and dropped) and FECC
 * (H.224 frames received logged, ours sent on command). libre's loop,
 * main thread.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "vidpeer.h"
#include "media/media.h"
#include "mixer/rtp.h"
#include "video/h224.h"

#define AUDIO_PTIME_MS 20
#define AUDIO_SAMPLES 160          /* 20 ms at 8 kHz */
#define AUDIO_LEVEL 0.1            /* -20 dBFS: the sine's peak */
#define H224_CLOCK_HZ 4800

/* The pair's RTP port even, as RFC 3550 asks, RTCP next to it; ports
 * the kernel hands out (its ephemeral range, apart from the fixed
 * ranges the tests pick their servers' ports in: scripts/ports.sh) */
int vp_sock_pair(struct vp_stream *s)
{
	for (int tries = 0; tries < 200; tries++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t alen = sizeof(a);
		int rtp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0);
		int rtcp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
				  SOCK_CLOEXEC, 0);
		uint16_t port;

		if (rtp < 0 || rtcp < 0) {
			int err = errno;

			if (rtp >= 0)
				close(rtp);
			if (rtcp >= 0)
				close(rtcp);
			return err;
		}
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(rtp, (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(rtp, (struct sockaddr *)&a, &alen))
			goto next;
		port = ntohs(a.sin_port);
		if (port % 2 || port == 65535)
			goto next;
		a.sin_port = htons((uint16_t)(port + 1));
		if (bind(rtcp, (struct sockaddr *)&a, sizeof(a)))
			goto next;
		s->rtp_fd = rtp;
		s->rtcp_fd = rtcp;
		s->port = port;
		return 0;
	next:
		close(rtp);
		close(rtcp);
	}
	return EADDRINUSE;
}

static void close_pair(struct vp_stream *s)
{
	if (s->rtp_fd >= 0) {
		fd_close(s->rtp_fd);
		close(s->rtp_fd);
	}
	if (s->rtcp_fd >= 0) {
		fd_close(s->rtcp_fd);
		close(s->rtcp_fd);
	}
	s->rtp_fd = s->rtcp_fd = -1;
}

static void audio_rx_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t buf[1500];

	(void)flags;
	while (recv(vp->audio.rtp_fd, buf, sizeof(buf), 0) >= 0)
		vp->n.rx_audio_packets++;
}

/* RTCP we do not look at (audio's, FECC's): read so it does not pile
 * up */
static void drain_h(int flags, void *arg)
{
	int fd = *(const int *)arg;
	uint8_t buf[1500];

	(void)flags;
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		;
}

/* h224_print's "preset 3" as "action=preset n=3": one word per key */
static void fecc_log(struct vidpeer *vp, const char *what,
		     const struct h224_fecc *f)
{
	char buf[64];
	char *sp;

	re_snprintf(buf, sizeof(buf), "%H", h224_print, f);
	sp = strchr(buf, ' ');
	if (sp)
		*sp = '\0';
	vp_logt(vp, what, "action=%s%s%s", buf, sp ? " n=" : "",
		sp ? sp + 1 : "");
}

static void fecc_rx_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t buf[1500];
	ssize_t n;

	(void)flags;
	while ((n = recv(vp->fecc.rtp_fd, buf, sizeof(buf), 0)) >= 0) {
		struct h224_fecc f;
		struct rtp_hdr h;
		int err;

		if (!rtp_parse(&h, buf, (size_t)n)) {
			vp_logt(vp, "fecc", "error=not_rtp len=%zd", n);
			continue;
		}
		err = h224_parse(h.payload, h.plen, &f);
		if (err)
			vp_logt(vp, "fecc", "error=\"%m\" len=%zu", err,
				h.plen);
		else
			fecc_log(vp, "fecc", &f);
	}
}

static int open_stream(struct vidpeer *vp, struct vp_stream *s,
		       fd_h *rtp_h, void *rtp_arg)
{
	int err = vp_sock_pair(s);

	err = err ? err : fd_listen(s->rtp_fd, FD_READ, rtp_h, rtp_arg);
	err = err ? err : fd_listen(s->rtcp_fd, FD_READ, drain_h,
				    &s->rtcp_fd);
	rand_bytes((uint8_t *)&s->tx_ssrc, sizeof(s->tx_ssrc));
	rand_bytes((uint8_t *)&s->tx_seq, sizeof(s->tx_seq));
	return err;
}

/* Video's pair is made here and listened to by video.c */
int media_open(struct vidpeer *vp)
{
	int err = open_stream(vp, &vp->audio, audio_rx_h, vp);

	if (!err && vp->o.codec != VP_CODEC_NONE)
		err = vp_sock_pair(&vp->video);
	if (!err && vp->o.fecc)
		err = open_stream(vp, &vp->fecc, fecc_rx_h, vp);
	rand_bytes((uint8_t *)&vp->audio_ts, sizeof(vp->audio_ts));
	return err;
}

void media_close(struct vidpeer *vp)
{
	tmr_cancel(&vp->audio_tmr);
	close_pair(&vp->audio);
	close_pair(&vp->video);
	close_pair(&vp->fecc);
}

static bool fb_attr_h(const char *name, const char *value, void *arg)
{
	static const struct {
		const char *what;
		uint8_t bit;
	} kinds[] = {
		{"nack", VIDEO_FB_NACK}, {"nack pli", VIDEO_FB_PLI},
		{"ccm fir", VIDEO_FB_FIR}, {"ccm tmmbr", VIDEO_FB_TMMBR},
		{"goog-remb", VIDEO_FB_REMB},
	};
	struct vp_stream *s = arg;
	const char *sp = strchr(value, ' ');
	char pt[8];

	(void)name;
	if (!sp || (size_t)(sp - value) >= sizeof(pt))
		return false;
	memcpy(pt, value, (size_t)(sp - value));
	pt[sp - value] = '\0';
	/* "*" is every format; a number only that one */
	if (strcmp(pt, "*") && (unsigned)atoi(pt) != s->pt)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(sp + 1, kinds[i].what))
			s->fb |= kinds[i].bit;
	}
	return false;
}

/* The remote format agreed for ours: by name, or a static payload type
 * (an answer may leave out the rtpmap of "0") */
static const struct sdp_format *rformat(const struct sdp_media *m,
					const char *name, int static_pt)
{
	const struct list *l = sdp_media_format_lst(m, false);

	for (const struct le *le = list_head(l); le; le = le->next) {
		const struct sdp_format *f = le->data;

		if (!f->sup)
			continue;
		if ((f->name && !str_casecmp(f->name, name)) ||
		    (static_pt >= 0 && f->pt == static_pt))
			return f;
	}
	return NULL;
}

static void stream_update(struct vp_stream *s, const char *codec,
			  int static_pt)
{
	const struct sdp_format *f;
	struct sa rtcp;
	enum sdp_dir dir;

	s->on = false;
	s->fb = 0;
	if (!s->m || sdp_media_disabled(s->m) || !sdp_media_rport(s->m))
		return;
	f = rformat(s->m, codec, static_pt);
	if (!f)
		return;
	s->pt = (uint8_t)f->pt;
	s->on = true;
	dir = sdp_media_dir(s->m);
	s->send = dir & SDP_SENDONLY;
	s->recv = dir & SDP_RECVONLY;
	memcpy(&s->rtp_dst, &sdp_media_raddr(s->m)->u.in, sizeof(s->rtp_dst));
	sdp_media_raddr_rtcp(s->m, &rtcp);
	memcpy(&s->rtcp_dst, &rtcp.u.in, sizeof(s->rtcp_dst));
	(void)sdp_media_rattr_apply(s->m, "rtcp-fb", fb_attr_h, s);
}

void media_update(struct vidpeer *vp)
{
	stream_update(&vp->audio, "PCMU", VP_PT_PCMU);
	if (vp->o.codec != VP_CODEC_NONE)
		stream_update(&vp->video, video_codec_name(vp->o.codec), -1);
	stream_update(&vp->fecc, "H224", -1);
}

int media_send_rtp(struct vidpeer *vp, struct vp_stream *s, bool marker,
		   uint32_t ts, const uint8_t *pl, size_t len)
{
	uint8_t buf[RTP_HDR_LEN + 1500];
	size_t hl;

	(void)vp;
	if (!s->on || len > sizeof(buf) - RTP_HDR_LEN)
		return EINVAL;
	hl = rtp_write_hdr(buf, marker, s->pt, s->tx_seq++, ts, s->tx_ssrc);
	memcpy(buf + hl, pl, len);
	if (sendto(s->rtp_fd, buf, hl + len, 0,
		   (const struct sockaddr *)&s->rtp_dst,
		   sizeof(s->rtp_dst)) < 0)
		return errno;
	return 0;
}

/* ---------------- audio ---------------- */

static void audio_frame(struct vidpeer *vp)
{
	uint8_t pl[AUDIO_SAMPLES];
	double step = 2 * M_PI * vp->o.tone_hz / 8000.0;

	for (int i = 0; i < AUDIO_SAMPLES; i++) {
		int16_t s = 0;

		if (vp->talking) {
			s = (int16_t)lrint(32767 * AUDIO_LEVEL *
					   sin(vp->phase));
			vp->phase = fmod(vp->phase + step, 2 * M_PI);
		}
		pl[i] = g711_ulaw_encode(s);
	}
	/* PCMU: the answer agreed on pt 0 (the only audio codec offered) */
	(void)media_send_rtp(vp, &vp->audio, false, vp->audio_ts, pl,
			     sizeof(pl));
	vp->audio_ts += AUDIO_SAMPLES;
}

/* Paced by the clock, not by the timer's own slips: packets that are
 * due are sent (a few at most, after a stall), then the timer is set
 * for the next one */
static void audio_tick(void *arg)
{
	struct vidpeer *vp = arg;
	uint64_t now = vp_now_us();
	const uint64_t period = AUDIO_PTIME_MS * 1000;
	unsigned k = 0;

	while (vp->audio_next_us <= now && k++ < 5) {
		audio_frame(vp);
		vp->audio_next_us += period;
	}
	if (vp->audio_next_us <= now)     /* too far behind: skip ahead */
		vp->audio_next_us = now + period;
	tmr_start(&vp->audio_tmr, (vp->audio_next_us - now + 999) / 1000,
		  audio_tick, vp);
}

void media_start_audio(struct vidpeer *vp)
{
	if (!vp->audio.on)
		return;
	vp->audio_next_us = vp_now_us();
	audio_tick(vp);
}

/* ---------------- FECC ---------------- */

int media_fecc_send(struct vidpeer *vp, const char *action, unsigned n)
{
	struct h224_fecc f;
	uint8_t buf[64];
	size_t len;
	int err;

	if (!vp->fecc.on || vp->ending)
		return ENOTCONN;
	memset(&f, 0, sizeof(f));
	err = h224_action_parse(&f, action, n);
	if (err)
		return err;
	len = h224_build(buf, sizeof(buf), &f);
	if (!len)
		return EINVAL;
	err = media_send_rtp(vp, &vp->fecc, true,
			     (uint32_t)(vp_now_us() * H224_CLOCK_HZ /
					1000000), buf, len);
	if (!err)
		fecc_log(vp, "fecc_sent", &f);
	return err;
}
