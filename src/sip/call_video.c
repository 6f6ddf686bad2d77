/*
 * A call's video and camera control streams (docs/video.md): their port
 * pairs (asked by the SDP when a stream is first taken or offered), the
 * streams on the video forwarder made, changed and removed as each
 * negotiation says, what the conference shows handed to its video room,
 * the forwarder's events (who a receiver sees, stats, keyframes wanted
 * from phones without RTCP feedback: a SIP INFO picture fast update, RFC
 * 5168), and camera control: H.224 frames relayed from a participant to
 * the one it sees when the conference's camera policy lets it, and the
 * API's actions built into frames. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf_video.h"
#include "sip/call_int.h"
#include "util/log.h"
#include "video/h224.h"

#define MEDIA_CONTROL "application/media_control+xml"

static bool vstream_cmp(struct le *le, void *arg)
{
	const struct call *call = le->data;
	uint32_t id = *(const uint32_t *)arg;

	return call->vid_stream == id || call->fecc_stream == id;
}

/* In f->vcalls under each stream id it has */
static void relink(struct call *call)
{
	list_unlink(&call->vhe);
	list_unlink(&call->fhe);
	if (call->vid_stream)
		hash_append(call->f->vcalls, call->vid_stream, &call->vhe,
			    call);
	if (call->fecc_stream)
		hash_append(call->f->vcalls, call->fecc_stream, &call->fhe,
			    call);
}

static struct call *call_of_stream(const struct focus *f, uint32_t id)
{
	return id ? list_ledata(hash_lookup(f->vcalls, id, vstream_cmp, &id)) :
		NULL;
}

static void fds_close(int fd[2])
{
	for (int i = 0; i < 2; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}

int call_video_port(bool fecc, uint16_t *port, void *arg)
{
	struct call *call = arg;
	int *fd = fecc ? call->fecc_fd : call->vid_fd;
	int err;

	if (!call->f->video)
		return ENOSYS;
	fds_close(fd);              /* a pair never handed over */
	err = rtp_ports_alloc(call->f, &fd[0], &fd[1], port);
	if (err)
		log_warn("sip", "msg=\"no free RTP port pair for %s\" "
			 "range=%u-%u", fecc ? "camera control" : "video",
			 call->f->rtp_min, call->f->rtp_max);
	return err;
}

void call_video_sdp(struct call *call, const struct conf *c)
{
	const struct conf_video *v = conf_video(c);

	/* --role focus: the mixer processes carry audio alone */
	sdpneg_set_video(call->sdp, call->f->video && !call->msc ?
			 v->status : "none",
			 strcmp(v->camera, "none") != 0, call_video_port,
			 call);
}

void call_video_close(struct call *call)
{
	struct video *v = call->f->video;

	if (call->vid_stream)
		(void)video_stream_remove(v, call->vid_stream);
	if (call->fecc_stream)
		(void)video_stream_remove(v, call->fecc_stream);
	call->vid_stream = call->fecc_stream = 0;
	relink(call);
	fds_close(call->vid_fd);
	fds_close(call->fecc_fd);
}

static void media_of(struct video_media *m, const struct sdpneg_stream *s)
{
	memset(m, 0, sizeof(*m));
	memcpy(&m->rtp_dst, &s->rtp.u, s->rtp.len);
	m->rtp_dst_len = sa_isset(&s->rtp, SA_ALL) ? s->rtp.len : 0;
	memcpy(&m->rtcp_dst, &s->rtcp.u, s->rtcp.len);
	m->rtcp_dst_len = sa_isset(&s->rtcp, SA_ALL) ? s->rtcp.len : 0;
	m->pt = s->pt;
	m->send = s->send;
	m->recv = s->recv;
	if (s->sec.kind == SDPSEC_SDES) {
		m->srtp.on = true;
		m->srtp.rtp.set = true;
		m->srtp.rtp.suite = (int)s->sec.suite;
		m->srtp.rtp.len = (uint8_t)s->sec.key_len;
		memcpy(m->srtp.rtp.rx, s->sec.rx_key, s->sec.key_len);
		memcpy(m->srtp.rtp.tx, s->sec.tx_key, s->sec.key_len);
	}
}

/* One stream on the forwarder as the negotiation says: made (the fds
 * handed over), changed, or removed (its port pair is gone with it: a
 * stream taken again gets a new one) */
static int stream_apply(struct call *call, const struct sdpneg_stream *s,
			struct video_media *m, uint32_t *id, int fd[2],
			uint32_t ssrc)
{
	struct video *v = call->f->video;
	int err;

	if (!s->on) {
		if (*id) {
			/* the forwarder closes the port pair with it: a
			 * stream taken again gets a new one */
			(void)video_stream_remove(v, *id);
			*id = 0;
			sdpneg_video_port_gone(call->sdp, fd == call->fecc_fd);
		}
		return 0;
	}
	m->tx_ssrc = ssrc;
	if (*id)
		return video_stream_update(v, *id, m);
	if (fd[0] < 0)
		return EBADF;
	err = video_stream_add(v, conf_room(part_conf(call->part)), fd[0],
			       fd[1], m, id);
	if (!err)
		fd[0] = fd[1] = -1;        /* the forwarder's now */
	return err;
}

void call_video_apply(struct call *call)
{
	const struct sdpneg_video *nv = &call->neg.video;
	struct part_video pv;
	struct video_media m;

	if (!call->f->video || !call->part)
		return;
	media_of(&m, &nv->v);
	m.codec = nv->codec;
	m.fb = nv->fb;
	m.max_kbps = nv->max_kbps;
	if (stream_apply(call, &nv->v, &m, &call->vid_stream, call->vid_fd,
			 call->vid_ssrc))
		log_warn("sip", "msg=\"video stream not started\" conf=%s "
			 "pid=%s", conf_id(part_conf(call->part)),
			 part_id(call->part));
	media_of(&m, &nv->fecc);
	m.fecc = true;
	if (stream_apply(call, &nv->fecc, &m, &call->fecc_stream,
			 call->fecc_fd, call->fecc_ssrc))
		log_warn("sip", "msg=\"camera control stream not started\" "
			 "conf=%s pid=%s", conf_id(part_conf(call->part)),
			 part_id(call->part));
	relink(call);
	if (nv->why_off)
		log_info("sip", "msg=\"video not taken\" conf=%s pid=%s "
			 "why=\"%s\"", conf_id(part_conf(call->part)),
			 part_id(call->part), nv->why_off);
	memset(&pv, 0, sizeof(pv));
	if (call->vid_stream) {
		re_snprintf(pv.codec, sizeof(pv.codec), "%s",
			    video_codec_name(nv->codec));
		re_snprintf(pv.direction, sizeof(pv.direction), "%s",
			    nv->v.dir);
		pv.local_port = nv->v.lport;
		pv.tx_ssrc = call->vid_ssrc;
		pv.sends = nv->v.recv;
	}
	pv.fecc = call->fecc_stream != 0;
	pv.fecc_port = pv.fecc ? nv->fecc.lport : 0;
	part_set_video(call->part, &pv);
}

/* ops->video: what the conference shows, to its video room */
void call_video_room(struct focus *f, struct conf *c)
{
	const struct participant *order[VIDEO_ORDER_MAX];
	const struct conf_video *cv = conf_video(c);
	struct video_room_cfg rc;
	unsigned n;

	if (!f->video)
		return;
	memset(&rc, 0, sizeof(rc));
	rc.mode = !strcmp(cv->mode, "composed") ? VIDEO_COMPOSED :
		VIDEO_SWITCHED;
	rc.layout = !strcmp(cv->layout, "1") ? VIDEO_LAYOUT_1 :
		!strcmp(cv->layout, "3x3") ? VIDEO_LAYOUT_3X3 :
		!strcmp(cv->layout, "1+5") ? VIDEO_LAYOUT_1P5 :
		VIDEO_LAYOUT_2X2;
	rc.width = cv->width;
	rc.height = cv->height;
	rc.fps = cv->fps;
	rc.kbps = cv->kbps;
	n = conf_video_order(c, order, VIDEO_ORDER_MAX);
	for (unsigned i = 0; i < n; i++) {
		const struct call *call = part_ep(order[i]);

		if (call && call->vid_stream)
			rc.order[rc.norder++] = call->vid_stream;
	}
	if (video_room_set(f->video, conf_room(c), &rc))
		log_warn("sip", "msg=\"video room not updated\" conf=%s",
			 conf_id(c));
}

/* RFC 5168: a phone without RTCP feedback is asked for a keyframe by
 * INFO */
static void info_resp(int err, const struct sip_msg *msg, void *arg)
{
	(void)err;
	(void)msg;
	(void)arg;
}

static void fast_update(struct call *call)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>"
		"\r\n<media_control><vc_primitive><to_encoder>"
		"<picture_fast_update/></to_encoder></vc_primitive>"
		"</media_control>\r\n";
	struct mbuf *mb;

	if (!call->sess || !call->established)
		return;
	mb = mbuf_alloc(sizeof(xml));
	if (!mb)
		return;
	(void)mbuf_write_str(mb, xml);
	mb->pos = 0;
	(void)sipsess_info(call->sess, MEDIA_CONTROL, mb, info_resp, call);
	mem_deref(mb);
}

bool call_video_info(struct call *call, const char *ctype,
		     const uint8_t *body, size_t len)
{
	/* in a call without video it is refused (415) by the caller */
	if (strcasecmp(ctype, MEDIA_CONTROL) || !call->vid_stream)
		return false;
	if (memmem(body, len, "picture_fast_update", 19))
		(void)video_keyframe(call->f->video, call->vid_stream);
	return true;
}

/* An H.224 frame from a's camera control stream: to the participant a
 * sees, when the policy lets a steer its camera */
static void fecc_relay(struct call *a, const struct video_event *ev)
{
	struct call *t = call_of_stream(a->f, a->vid_seen);
	struct h224_fecc fc;

	/* FECC or another H.224 client (the capability exchange): relayed
	 * as it is; only what is not H.224 at all is dropped */
	if (h224_parse(ev->fecc, ev->fecc_len, &fc) == EBADMSG)
		return;
	if (!t || !t->part || !t->fecc_stream ||
	    !conf_camera_allowed(part_conf(a->part), a->part, t->part)) {
		if (!a->fecc_refused++)
			log_info("sip", "msg=\"camera control refused\" "
				 "conf=%s pid=%s to=%s why=\"%s\"",
				 conf_id(part_conf(a->part)), part_id(a->part),
				 t && t->part ? part_id(t->part) : "-",
				 !t || !t->part ? "sees nobody" :
				 !t->fecc_stream ? "no camera control there" :
				 "the camera policy");
		return;
	}
	a->fecc_relayed++;
	(void)video_fecc_send(a->f->video, t->fecc_stream, ev->fecc,
			      ev->fecc_len);
}

static void stats_of(struct call *call, const struct video_stream_stats *s)
{
	struct part_video_stats ps = *part_video_stats(call->part);
	const struct call *seen;

	ps.rx_packets = s->rx_packets;
	ps.tx_packets = s->tx_packets;
	ps.rx_kbps = s->rx_kbps;
	ps.tx_kbps = s->tx_kbps;
	ps.est_kbps = s->est_kbps;
	ps.rx_lost = s->rx_lost;
	ps.rx_stranger = s->rx_stranger;
	ps.keyframes_rx = s->keyframes_rx;
	ps.kf_requests_tx = s->kf_requests_tx;
	ps.kf_requests_rx = s->kf_requests_rx;
	ps.nacks_rx = s->nacks_rx;
	ps.retransmits = s->retransmits;
	ps.switches = s->switches;
	seen = call_of_stream(call->f, s->shown);
	re_snprintf(ps.sees, sizeof(ps.sees), "%s",
		    s->shown == VIDEO_COMPOSED_ID ? "composed" :
		    seen && seen->part ? part_id(seen->part) : "");
	part_set_video_stats(call->part, &ps);
}

void call_video_event(struct focus *f, const struct video_event *ev)
{
	struct call *call = call_of_stream(f, ev->stream_id);

	if (!call || !call->part)
		return;
	switch (ev->type) {
	case VIDEO_EV_STATS:
		if (ev->stream_id == call->vid_stream)
			stats_of(call, &ev->stats);
		break;
	case VIDEO_EV_SHOWN:
		call->vid_seen = ev->shown;
		break;
	case VIDEO_EV_KEYFRAME:
		fast_update(call);
		break;
	case VIDEO_EV_FECC:
		fecc_relay(call, ev);
		break;
	}
}

int call_camera(struct participant *p, const char *action, unsigned n)
{
	struct call *call = part_ep(p);
	struct h224_fecc fc;
	uint8_t frame[VIDEO_FECC_MAX];
	size_t len;

	if (!call || !call->fecc_stream)
		return ENOENT;
	/* a stop names the motion it ends (cameras that match the two
	 * would go on until the start's timeout) */
	fc = call->fecc_last;
	if (h224_action_parse(&fc, action, n))
		return EINVAL;
	if (fc.action == H224_START)
		call->fecc_last = fc;
	len = h224_build(frame, sizeof(frame), &fc);
	if (!len)
		return EINVAL;
	log_info("sip", "msg=\"camera control\" conf=%s pid=%s action=%s",
		 conf_id(part_conf(p)), part_id(p), action);
	return video_fecc_send(call->f->video, call->fecc_stream, frame, len);
}
