/*
 * SRTP of a mixer stream (RFC 3711, with libre's srtp): the contexts of
 * one stream (RTP's, and RTCP's when a DTLS handshake on the RTCP port
 * gave it keys of its own), made on its mixer thread when a command
 * brings keys (add, update: a re-INVITE, or the end of a DTLS handshake)
 * and freed with it; every packet decrypted and authenticated in place
 * on receipt, encrypted in place before it is sent. A stream whose keys are not
 * known yet (DTLS in progress) neither sends nor takes anything. No
 * logging: what does not authenticate is counted (rx_unauth).
 *
 * libre keeps up to 8 SSRCs a context and moves its rollover state before
 * it checks a packet's tag; the source rule (source.c) runs first, so
 * only the owner's address ever reaches these contexts. Mixer thread.
 */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_srtp.h>
#include "mixer/mixer_stream.h"

void msrtp_free(struct mstream *s)
{
	s->srtp_rx = mem_deref(s->srtp_rx);
	s->srtp_tx = mem_deref(s->srtp_tx);
	s->srtcp_rx = mem_deref(s->srtcp_rx);
	s->srtcp_tx = mem_deref(s->srtcp_tx);
}

static int ctx_pair(struct srtp **rx, struct srtp **tx,
		    const struct mixer_srtp_keys *k)
{
	int err;

	*rx = mem_deref(*rx);
	*tx = mem_deref(*tx);
	if (!k->set)
		return 0;
	err = srtp_alloc(rx, (enum srtp_suite)k->suite, k->rx, k->len, 0);
	err = err ? err : srtp_alloc(tx, (enum srtp_suite)k->suite, k->tx,
				     k->len, 0);
	if (err) {
		*rx = mem_deref(*rx);
		*tx = mem_deref(*tx);
	}
	return err;
}

int msrtp_apply(struct mstream *s, const struct mixer_srtp *old)
{
	const struct mixer_srtp *k = &s->m.srtp;
	int err = 0;

	if (!k->on) {
		msrtp_free(s);
		return 0;
	}
	/* the same keys keep their contexts (and rollover state): a
	 * re-INVITE that changed something else, or the second
	 * handshake's keys coming in */
	if (!old || !old->on || memcmp(&old->rtp, &k->rtp, sizeof(k->rtp)))
		err = ctx_pair(&s->srtp_rx, &s->srtp_tx, &k->rtp);
	if (!old || !old->on || memcmp(&old->rtcp, &k->rtcp, sizeof(k->rtcp)))
		err |= ctx_pair(&s->srtcp_rx, &s->srtcp_tx, &k->rtcp);
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

/* RTCP's context: its own (DTLS on the RTCP port), else RTP's (SDES);
 * DTLS-SRTP without RTCP keys yet: none */
static struct srtp *rtcp_ctx(const struct mstream *s, bool rx)
{
	if (s->m.srtp.rtcp.set)
		return rx ? s->srtcp_rx : s->srtcp_tx;
	if (s->m.srtp.dtls)
		return NULL;
	return rx ? s->srtp_rx : s->srtp_tx;
}

bool msrtp_rx(struct mstream *s, uint8_t *buf, size_t *len, bool rtcp)
{
	struct srtp *ctx;
	struct mbuf mb;

	if (!s->m.srtp.on)
		return true;
	ctx = rtcp ? rtcp_ctx(s, true) : s->srtp_rx;
	if (!ctx)                              /* keys not yet known */
		return false;
	mb = view(buf, *len, *len);
	if (rtcp ? srtcp_decrypt(ctx, &mb) : srtp_decrypt(ctx, &mb)) {
		s->st.rx_unauth++;
		return false;
	}
	*len = mb.end;
	return true;
}

bool msrtp_tx(struct mstream *s, uint8_t *buf, size_t *len, size_t cap,
	      bool rtcp)
{
	struct srtp *ctx;
	struct mbuf mb;

	if (!s->m.srtp.on)
		return true;
	ctx = rtcp ? rtcp_ctx(s, false) : s->srtp_tx;
	if (!ctx)
		return false;
	mb = view(buf, *len, cap);
	if (rtcp ? srtcp_encrypt(ctx, &mb) : srtp_encrypt(ctx, &mb))
		return false;
	*len = mb.end;
	return true;
}
