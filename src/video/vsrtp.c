/*
 * SRTP of a video stream (RFC 3711, SDES keys, libre's srtp): one
 * context each way, made on the stream's forwarding thread when a
 * command brings keys (add, update) and freed with the stream; RTCP goes
 * through the same contexts (SDES keys protect both). Every packet is
 * decrypted and authenticated in place on receipt, after the source rule
 * (util/msource.c: libre moves a context's rollover state before it
 * checks the tag, so strangers must not reach it), and encrypted in place
 * before it is sent. No logging: what does not authenticate is counted
 * (rx_unauth). Forwarding thread.
 */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_srtp.h>
#include "video/vid_int.h"

void vsrtp_free(struct vstream *s)
{
	s->srtp_rx = mem_deref(s->srtp_rx);
	s->srtp_tx = mem_deref(s->srtp_tx);
	memset(s->made, 0, sizeof(s->made));
}

int vsrtp_apply(struct vstream *s)
{
	static const struct mixer_srtp_keys none;
	const struct mixer_srtp_keys *k = s->m.srtp.on ? &s->m.srtp.rtp :
		&none;
	int err;

	err = mixer_srtp_ctx(&s->srtp_rx, &s->made[0], k, false);
	err |= mixer_srtp_ctx(&s->srtp_tx, &s->made[1], k, true);
	return err;
}

static struct mbuf view(uint8_t *buf, size_t len, size_t cap)
{
	struct mbuf mb;

	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = cap;
	mb.end = len;
	return mb;
}

bool vsrtp_rx(struct vstream *s, uint8_t *buf, size_t *len, bool rtcp)
{
	struct mbuf mb;

	if (!s->m.srtp.on)
		return true;
	if (!s->srtp_rx || !s->m.srtp.rtp.set)
		return false;
	mb = view(buf, *len, *len);
	if (rtcp ? srtcp_decrypt(s->srtp_rx, &mb) :
	    srtp_decrypt(s->srtp_rx, &mb)) {
		s->st.rx_unauth++;
		return false;
	}
	*len = mb.end;
	return true;
}

bool vsrtp_tx(struct vstream *s, uint8_t *buf, size_t *len, size_t cap,
	      bool rtcp)
{
	struct mbuf mb;

	if (!s->m.srtp.on)
		return true;
	if (!s->srtp_tx || !s->m.srtp.rtp.set)
		return false;
	mb = view(buf, *len, cap);
	if (rtcp ? srtcp_encrypt(s->srtp_tx, &mb) :
	    srtp_encrypt(s->srtp_tx, &mb))
		return false;
	*len = mb.end;
	return true;
}
