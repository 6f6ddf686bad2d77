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
 * it checks a packet's tag; the source rule (util/msource.c) runs first, so
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
	memset(s->made, 0, sizeof(s->made));
}

int mixer_srtp_ctx(struct srtp **ctx, struct mixer_srtp_made *made,
		   const struct mixer_srtp_keys *k, bool tx)
{
	const uint8_t *key = tx ? k->tx : k->rx;
	int err;

	if (!k->set || k->len > MIXER_SRTP_KEY_MAX) {
		if (!tx)                       /* nothing to take now */
			*ctx = mem_deref(*ctx);
		return k->set ? EINVAL : 0;
	}
	if (*ctx && made->suite == k->suite && made->len == k->len &&
	    !memcmp(made->key, key, k->len))
		return 0;
	*ctx = mem_deref(*ctx);
	err = srtp_alloc(ctx, (enum srtp_suite)k->suite, key, k->len, 0);
	if (err)
		return err;
	made->suite = k->suite;
	made->len = k->len;
	memcpy(made->key, key, k->len);
	return 0;
}

int msrtp_apply(struct mstream *s)
{
	static const struct mixer_srtp_keys none;
	const struct mixer_srtp *k = &s->m.srtp;
	const struct mixer_srtp_keys *rtp = k->on ? &k->rtp : &none;
	const struct mixer_srtp_keys *rtcp = k->on ? &k->rtcp : &none;
	int err;

	s->srtp_on = k->on;
	/* off: nothing is taken (the receive contexts go), and the send
	 * contexts wait for their key to come back */
	err = mixer_srtp_ctx(&s->srtp_rx, &s->made[0], rtp, false);
	err |= mixer_srtp_ctx(&s->srtp_tx, &s->made[1], rtp, true);
	err |= mixer_srtp_ctx(&s->srtcp_rx, &s->made[2], rtcp, false);
	err |= mixer_srtp_ctx(&s->srtcp_tx, &s->made[3], rtcp, true);
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

/* The context for a packet, under the keys in force (NULL: none yet).
 * RTCP's: its own (DTLS on the RTCP port), else RTP's (SDES); DTLS-SRTP
 * without RTCP keys yet: none. RTP's: none while its keys are not known,
 * whatever send context is kept from before (ctx_for): a new handshake
 * is under way. */
static struct srtp *ctx_of(const struct mstream *s, bool rtcp, bool rx)
{
	const struct mixer_srtp *k = &s->m.srtp;

	if (rtcp && k->rtcp.set)
		return rx ? s->srtcp_rx : s->srtcp_tx;
	if ((rtcp && k->dtls) || !k->rtp.set)
		return NULL;
	return rx ? s->srtp_rx : s->srtp_tx;
}

bool msrtp_rx(struct mstream *s, uint8_t *buf, size_t *len, bool rtcp)
{
	struct srtp *ctx;
	struct mbuf mb;

	if (!s->srtp_on)
		return true;
	ctx = ctx_of(s, rtcp, true);
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

	if (!s->srtp_on)
		return true;
	ctx = ctx_of(s, rtcp, false);
	if (!ctx)
		return false;
	mb = view(buf, *len, cap);
	if (rtcp ? srtcp_encrypt(ctx, &mb) : srtp_encrypt(ctx, &mb))
		return false;
	*len = mb.end;
	return true;
}
