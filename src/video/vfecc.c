/*
 * Far-end camera control streams (RFC 4573: H.224 frames over RTP) on a
 * forwarding thread. Nothing is forwarded here: a frame that is well
 * formed goes up to the signalling thread as VIDEO_EV_FECC, which decides
 * who may steer whom and sends with video_fecc_send. Well formed means
 * h224_parse says 0 (an H.281 message) or ENOTSUP (another client: the
 * CME capability exchange that must pass between the ends before H.281
 * is used); EBADMSG is dropped. At most VID_FECC_PER_S frames a second
 * per stream go up: the event ring is shared with the whole thread, and
 * a camera moves by a few messages a second.
 */
#include <errno.h>
#include <string.h>
#include "video/vid_int.h"
#include "video/h224.h"

void vfecc_rx(struct vthread *t, struct vstream *s, const uint8_t *pl,
	      size_t len)
{
	struct video_event ev;
	struct h224_fecc f;
	int err;

	if (!len || len > VIDEO_FECC_MAX)
		return;
	err = h224_parse(pl, len, &f);
	if (err && err != ENOTSUP)
		return;
	if (t->now_us - s->fecc_win_us >= VID_SECOND_US) {
		s->fecc_win_us = t->now_us;
		s->fecc_n = 0;
	}
	if (s->fecc_n >= VID_FECC_PER_S) {
		s->st.fecc_dropped++;
		return;
	}
	s->fecc_n++;
	memset(&ev, 0, sizeof(ev));
	ev.type = VIDEO_EV_FECC;
	ev.stream_id = s->id;
	memcpy(ev.fecc, pl, len);
	ev.fecc_len = len;
	vthread_event(t, &ev);
}

/* One frame, one packet: its own seq, a 4800 Hz clock (RFC 4573 s. 5:
 * "h224/4800"), the stream's SSRC and payload type */
void vfecc_send(struct vthread *t, struct vstream *s, const uint8_t *frame,
		size_t len)
{
	if (!s->m.send || !len || len > VIDEO_FECC_MAX)
		return;
	vpkt_rtp_header(t->txbuf, false, s->m.pt, s->fecc_seq++,
			(uint32_t)(t->now_us * 48 / 10000), s->m.tx_ssrc);
	memcpy(t->txbuf + 12, frame, len);
	vfwd_send(t, s, 12 + len, len);
}
